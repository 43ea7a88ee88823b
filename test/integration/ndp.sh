#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ndp.sh - pasta without --config-net: the namespace configures IPv6 from
# our router advertisements and finds every neighbour at our MAC address.
#
# rdisc6 sees the prefix 2001:db8::/64 (on-link, autonomous, infinite
# lifetimes), MTU 65520, the DNS server given with -D (RDNSS), the search
# list given with -S (DNSSL), the M and O flags and our MAC address, from
# our link-local address (the host's own on eth0); the kernel makes up its
# SLAAC address (EUI-64 from the tap's MAC) and a default route via that
# link-local address; ndisc6 gets 9a:55:9a:55:9a:55 for the gateway and
# for any other address. With --no-ra no advertisement comes, neighbour
# advertisements still do; with --no-ndp neither. As root and as nobody.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

DNS6=2001:db8::53
SEARCH1=example.org
SEARCH2=sub.example.net

# Runs inside pasta's namespace: $1 output directory, $2 the tap's name,
# $3 "slaac" to wait for SLAAC, $4 ndp_listen.py to listen for unsolicited
# advertisements meanwhile (or nothing). Every wait is bounded; results and
# exit codes go to files, checked outside.
# shellcheck disable=SC2016 # expanded by the inner shell
NDP_NS_SH='d=$1 ifc=$2 lpid=

# From the start: the quick unsolicited advertisements come in seconds
if [ -n "${4:-}" ]; then
	timeout 20 python3 "$4" "$ifc" 15 >"$d/listen.out" 2>&1 &
	lpid=$!
fi

# Take router advertisements on the tap: this namespace only
sysctl -qw net.ipv6.conf.$ifc.forwarding=0 net.ipv6.conf.$ifc.accept_ra=1 \
	net.ipv6.conf.$ifc.autoconf=1
echo $? >"$d/sysctl.rc"
ip -br link show dev "$ifc" | awk "{ print \$3 }" >"$d/mac"

# wait_for() - SECONDS CMD...: poll every 0.1 s, bounded
wait_for() {
	n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1; n=$((n - 1))
	done
	return 1
}
ll_ready() {
	ip -6 addr show dev "$ifc" scope link -tentative | grep -q "inet6 fe80:"
}
slaac_ready() {
	ip -6 addr show dev "$ifc" scope global -tentative |
		grep -q "inet6 2001:db8::" &&
	ip -6 route show default | grep -q "via fe80:"
}

# Sending needs a usable link-local address: wait out its DAD
wait_for 10 ll_ready; echo $? >"$d/ll.rc"

timeout 10 rdisc6 -1 -r 3 -w 1000 "$ifc" >"$d/rdisc6.out" 2>&1
echo $? >"$d/rdisc6.rc"

if [ "${3:-}" = slaac ]; then
	wait_for 15 slaac_ready; echo $? >"$d/slaac.rc"
	ip -j -6 addr show dev "$ifc" -tentative >"$d/addr.json"
	ip -j -6 route >"$d/route6.json"
fi

timeout 10 ndisc6 -1 -r 3 -w 1000 2001:db8::1 "$ifc" >"$d/ndisc6_gw.out" 2>&1
echo $? >"$d/ndisc6_gw.rc"
timeout 10 ndisc6 -1 -r 3 -w 1000 2001:db8:1::1 "$ifc" \
	>"$d/ndisc6_remote.out" 2>&1
echo $? >"$d/ndisc6_remote.rc"

if [ -n "$lpid" ]; then
	wait "$lpid"; echo $? >"$d/listen.rc"
fi
exit 0'

# ndp_dir() - NAME: create and print an empty directory, writable by nobody
ndp_dir() {
	local d="$TOPO_TMP/ndp-$1"

	mkdir -p "$d"
	chown "$NOBODY_UID:$NOBODY_GID" "$d"
	chmod 777 "$d"
	printf '%s\n' "$d"
}

# ndp_file() - DIR NAME: print a result file the namespace wrote, or fail
ndp_file() {
	[ -f "$1/$2" ] || fail "no $2 written in the namespace"
	cat "$1/$2"
}

# tidy() - Strip the alignment spaces of rdisc6 / ndisc6 output
tidy() {
	sed -E 's/^ +//; s/ +/ /g; s/ +$//; s/\( +/(/g' "$1"
}

# eui64() - MAC: the SLAAC interface identifier for MAC, as in an address
eui64() {
	local IFS=: b

	# shellcheck disable=SC2086 # split on colons
	set -- $1
	b=$(printf '%02x' $((0x$1 ^ 2)))
	printf '%s%s:%sff:fe%s:%s%s\n' "$b" "$2" "$3" "$4" "$5" "$6"
}

# canon6() - ADDR: print ADDR in canonical text form (RFC 5952)
canon6() {
	"$PYTHON" -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]))' "$1"
}

# run_pasta() - LABEL DIR MODE LISTEN PASTA_ARGS...: run NDP_NS_SH in a new
# pasta namespace as its command (MODE: "slaac" to wait for SLAAC too;
# LISTEN: path of ndp_listen.py, or "")
run_pasta() {
	local label=$1 d=$2 mode=$3 listen=$4

	shift 4
	capture in_host timeout 60 "$@" -D "$DNS6" -S "$SEARCH1,$SEARCH2" \
		-- sh -c "$NDP_NS_SH" sh "$d" eth0 "$mode" "$listen"
	show_capture
	assert_eq "$CAP_RC" 0 "$label: pasta with the checks as command exits"
	assert_eq "$(ndp_file "$d" sysctl.rc)" 0 "$label: sysctls set in the namespace"
	assert_eq "$(ndp_file "$d" ll.rc)" 0 "$label: link-local address usable"
}

# check_ra() - LABEL DIR: rdisc6 saw the advertisement we mean to send
check_ra() {
	local label=$1 d=$2 out

	assert_eq "$(ndp_file "$d" rdisc6.rc)" 0 "$label: rdisc6 got an advertisement"
	out=$(tidy "$d/rdisc6.out")
	printf '%s\n' "$out" | sed 's/^/#   /'
	assert_line "$out" "Stateful address conf. : Yes" "$label: M flag"
	assert_line "$out" "Stateful other conf. : Yes" "$label: O flag"
	assert_line "$out" "Router lifetime : 65535 (0x0000ffff) seconds" "$label: router lifetime"
	assert_line "$out" "Source link-layer address: $GW_MAC_UC" "$label: our MAC address"
	assert_line "$out" "MTU : 65520 bytes (valid)" "$label: MTU"
	assert_line "$out" "Prefix : 2001:db8::/64" "$label: prefix"
	assert_line "$out" "On-link : Yes" "$label: prefix on-link"
	assert_line "$out" "Autonomous address conf.: Yes" "$label: prefix for SLAAC"
	assert_line "$out" "Valid time : infinite (0xffffffff)" "$label: prefix valid lifetime"
	assert_line "$out" "Pref. time : infinite (0xffffffff)" "$label: prefix preferred lifetime"
	assert_line "$out" "Recursive DNS server : $DNS6" "$label: RDNSS"
	assert_line "$out" "DNS server lifetime : infinite (0xffffffff)" "$label: RDNSS lifetime"
	assert_line "$out" "DNS search list : $SEARCH1 $SEARCH2" "$label: DNSSL"
	assert_line "$out" "from $HOST_LL" "$label: from the host's link-local address"
	assert_eq "$(printf '%s\n' "$out" | grep -c '^Prefix :')" 1 "$label: one prefix"
}

# check_na() - LABEL DIR: ndisc6 got our MAC for the gateway and the remote
check_na() {
	local label=$1 d=$2 t out

	for t in gw remote; do
		assert_eq "$(ndp_file "$d" "ndisc6_$t.rc")" 0 "$label: ndisc6 $t answered"
		out=$(tidy "$d/ndisc6_$t.out")
		assert_line "$out" "Target link-layer address: $GW_MAC_UC" "$label: $t is at our MAC"
	done
}

# check_unsolicited() - LABEL DIR: an advertisement to all nodes came
# unasked, from our link-local address, hop limit 255, the same 128 bytes:
# header 16, source link-layer address 8, MTU 8, prefix 32, RDNSS with one
# server 24, DNSSL with two domains 40
check_unsolicited() {
	local label=$1 d=$2 out

	out=$(ndp_file "$d" listen.out)
	printf '%s\n' "$out" | sed 's/^/#   /'
	assert_eq "$(ndp_file "$d" listen.rc)" 0 "$label: unsolicited advertisement heard"
	assert_line "$out" "ra from $HOST_LL to ff02::1 hlim 255 len 128" \
		"$label: unsolicited advertisement to all nodes"
}

# check_slaac() - LABEL DIR: SLAAC address from the tap's MAC, default route
check_slaac() {
	local label=$1 d=$2 addr route mac

	assert_eq "$(ndp_file "$d" slaac.rc)" 0 "$label: SLAAC address and default route appeared"
	mac=$(ndp_file "$d" mac)
	addr=$(ipjson addr "$d/addr.json") || fail "$label: cannot parse addr.json"
	route=$(ipjson route "$d/route6.json") || fail "$label: cannot parse route6.json"
	printf '%s\n%s\n' "$addr" "$route" | grep -E '^(addr|route)' | sed 's/^/#   /'
	assert_line "$addr" "addr eth0 inet6-scope $(canon6 "2001:db8::$(eui64 "$mac")")/64 global" \
		"$label: SLAAC address from MAC $mac in 2001:db8::/64"
	assert_line "$route" "route default via $HOST_LL dev eth0" \
		"$label: default route via our link-local address"
	assert_line "$route" "route 2001:db8::/64 dev eth0" "$label: prefix route on-link"
}

# ipjson() - addr|route FILE: flattened ip -j output
ipjson() {
	"$PYTHON" "$IPJSON" "$@"
}

test_start

GW_MAC_UC=$(printf '%s' "$GW_MAC" | tr '[:lower:]' '[:upper:]')
HOST_LL=$(in_host ip -j -6 addr show dev eth0 scope link |
	  ipjson addr - | awk '$3 == "inet6" { sub("/.*", "", $4); print $4 }')
[ -n "$HOST_LL" ] || fail "no link-local address on eth0 in the host namespace"
info "host link-local address: $HOST_LL"

# Where the unprivileged user can read it too
topo_unpriv_bin
listen="$TOPO_TMP/bin/ndp_listen.py"
cp "$TOPO_ROOT/test/integration/ndp_listen.py" "$listen"
chmod 755 "$listen"

# As root
d=$(ndp_dir root)
run_pasta root "$d" slaac "$listen" "$PASTA"
check_ra root "$d"
check_unsolicited root "$d"
check_slaac root "$d"
check_na root "$d"

# As nobody: pasta in a user namespace of its own
d=$(ndp_dir nobody)
run_pasta nobody "$d" slaac "$listen" "${AS_NOBODY[@]}" "$UPASTA"
check_ra nobody "$d"
check_unsolicited nobody "$d"
check_slaac nobody "$d"
check_na nobody "$d"

# --no-ra: no advertisement, neighbours still found
d=$(ndp_dir no-ra)
run_pasta "--no-ra" "$d" - "$listen" "$PASTA" --no-ra
assert_ne "$(ndp_file "$d" rdisc6.rc)" 0 "--no-ra: rdisc6 got no advertisement"
assert_ne "$(ndp_file "$d" listen.rc)" 0 "--no-ra: no unsolicited advertisement either"
check_na "--no-ra" "$d"

# --no-ndp: nothing at all
d=$(ndp_dir no-ndp)
run_pasta "--no-ndp" "$d" - "" "$PASTA" --no-ndp
assert_ne "$(ndp_file "$d" rdisc6.rc)" 0 "--no-ndp: rdisc6 got no advertisement"
assert_ne "$(ndp_file "$d" ndisc6_gw.rc)" 0 "--no-ndp: ndisc6 got no advertisement"

echo "ndp: all checks passed"
