#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dhcpv6.sh - dhclient -6 in a pasta namespace (no --config-net) gets the
# host's address, 2001:db8::2, with lifetimes of --dhcp-lease (default
# 120 s, T1 at half, T2 at four fifths) or, with --no-follow, infinite
# lifetimes (the root run), the DNS server
# given with -D, the search list given with -S and the name given with
# --fqdn, from our link-local address, with our DUID-LL as server ID.
#
# Stateful (Solicit, Advertise, Request, Reply), with Rapid Commit (Solicit,
# Reply), stateless (Information-request, Reply) and Release are each run
# with a fresh dhclient; each one's script records the new_* variables
# dhclient hands it, and those are checked against the configuration. A
# capture (pasta -p) shows the whole exchange, and the Reply to the
# Release, which dhclient doesn't wait for. As root and as nobody.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

DNS6=2001:db8::53
SEARCH1=example.org
SEARCH2=sub.example.net
FQDN=guest.example.org
SERVER_DUID=0:3:0:1:9a:55:9a:55:9a:55		# DUID-LL, our MAC
INFINITE=4294967295
# Lifetimes expected, per run: set before check_clients
LIFE=$INFINITE
T1=$INFINITE
T2=$INFINITE

# Runs inside pasta's namespace: $1 the test directory (configurations and
# recording scripts are there), $2 the tap's name. Each dhclient run is
# bounded by timeout; output, exit codes and recorded variables go to files
# named after the run, checked outside.
# shellcheck disable=SC2016 # expanded by the inner shell
DHCPV6_NS_SH='d=$1 ifc=$2

# dhclient needs a usable link-local address: wait out its DAD, bounded
n=100
while [ "$n" -gt 0 ]; do
	ip -6 addr show dev "$ifc" scope link -tentative |
		grep -q "inet6 fe80:" && break
	sleep 0.1; n=$((n - 1))
done

# client() - NAME CONF DHCLIENT_ARGS...: one dhclient run, to the end
client() {
	name=$1 conf=$2
	shift 2
	timeout 20 dhclient -6 -1 -v -cf "$d/$conf" -sf "$d/record_$name" \
		-lf "$d/$name.lease" -pf "$d/$name.pid" "$@" "$ifc" \
		>"$d/$name.out" 2>&1
	echo $? >"$d/$name.rc"
}

# stop() - NAME: end the dhclient daemon of run NAME, if it is still there
stop() {
	pid=$(cat "$d/$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
}

client stateful fqdn.conf
client rapid rapid.conf
stop rapid
client stateless plain.conf -S
stop stateless

# Release what the first run got: this also ends its daemon. Its lease
# must be in the file first, or dhclient -r has nothing to release: under
# load, the daemon may not have written it yet when we get here
n=50
while [ "$n" -gt 0 ]; do
	grep -qs iaaddr "$d/stateful.lease" && break
	sleep 0.1; n=$((n - 1))
done
timeout 20 dhclient -6 -r -v -cf "$d/fqdn.conf" -sf "$d/record_release" \
	-lf "$d/stateful.lease" -pf "$d/stateful.pid" "$ifc" \
	>"$d/release.out" 2>&1
echo $? >"$d/release.rc"
stop stateful

# dhclient -r does not wait for the Reply: give it time to reach the capture
sleep 1
exit 0'

# dhcpv6_dir() - NAME: prepare a directory with client configurations and
# recording scripts, readable and writable by nobody too, print its path
dhcpv6_dir() {
	local d="$TOPO_TMP/dhcpv6-$1" run

	mkdir -p "$d"
	for run in stateful rapid stateless release; do
		cat >"$d/record_$run" <<-EOF
		#!/bin/sh
		# dhclient runs this with the lease in its environment
		{ echo "reason=\$reason"; env | grep -E '^new_' | sort; echo; } \\
			>>"$d/$run.env"
		exit 0
		EOF
		chmod 755 "$d/record_$run"
	done
	printf '%s\n' '# Nothing beyond the default options' >"$d/plain.conf"
	cat >"$d/fqdn.conf" <<-EOF
	send fqdn.fqdn "myself";
	send fqdn.server-update on;
	also request dhcp6.fqdn;
	EOF
	printf '%s\n' 'send dhcp6.rapid-commit;' >"$d/rapid.conf"
	chown -R "$NOBODY_UID:$NOBODY_GID" "$d"
	chmod 777 "$d"
	printf '%s\n' "$d"
}

# dhcpv6_file() - DIR NAME: print a result file, or fail if it's missing
dhcpv6_file() {
	[ -f "$1/$2" ] || fail "no $2 written in the namespace"
	cat "$1/$2"
}

# env_block() - DIR RUN REASON: print the variables recorded for REASON
env_block() {
	awk -v r="reason=$3" '$0 == r { on = 1; next } /^$/ { on = 0 } on' \
		"$1/$2.env"
}

# check_lease() - LABEL DIR RUN REASON: the variables of a stateful lease
check_lease() {
	local label=$1 d=$2 run=$3 reason=$4 vars

	dhcpv6_file "$d" "$run.env" >/dev/null
	vars=$(env_block "$d" "$run" "$reason")
	printf '%s\n' "$vars" | sed 's/^/#   /'
	assert_line "$vars" "new_ip6_address=$HOST_IP6" "$label $run: address"
	assert_line "$vars" "new_preferred_life=$LIFE" "$label $run: preferred lifetime $LIFE"
	assert_line "$vars" "new_max_life=$LIFE" "$label $run: valid lifetime $LIFE"
	assert_line "$vars" "new_renew=$T1" "$label $run: T1 $T1"
	assert_line "$vars" "new_rebind=$T2" "$label $run: T2 $T2"
	check_info "$label" "$run" "$vars"
}

# check_info() - LABEL RUN VARS: what every reply carries
check_info() {
	assert_line "$3" "new_dhcp6_server_id=$SERVER_DUID" "$1 $2: our DUID-LL as server ID"
	assert_line "$3" "new_dhcp6_name_servers=$DNS6" "$1 $2: DNS server"
	assert_line "$3" "new_dhcp6_domain_search=$SEARCH1. $SEARCH2." "$1 $2: search list"
}

# check_clients() - LABEL DIR: every dhclient run got what it should
check_clients() {
	local label=$1 d=$2 out vars

	# Stateful, with the client asking for a name
	out=$(dhcpv6_file "$d" stateful.out)
	assert_eq "$(dhcpv6_file "$d" stateful.rc)" 0 "$label stateful: dhclient bound"
	assert_contains "$out" "RCV: Advertise message on eth0 from $HOST_LL" \
		"$label stateful: Advertise from our link-local address"
	assert_contains "$out" "Preference 255" "$label stateful: highest preference"
	assert_contains "$out" "RCV: Reply message on eth0 from $HOST_LL" \
		"$label stateful: Reply from our link-local address"
	check_lease "$label" "$d" stateful BOUND6
	vars=$(env_block "$d" stateful BOUND6)
	assert_line "$vars" "new_fqdn_fqdn=$FQDN" "$label stateful: name"
	assert_line "$vars" "new_fqdn_no_client_update=true" "$label stateful: N flag, no DNS updates"
	assert_line "$vars" "new_fqdn_server_update=false" "$label stateful: S flag clear"

	# Rapid Commit: no Advertise, no Request
	out=$(dhcpv6_file "$d" rapid.out)
	assert_eq "$(dhcpv6_file "$d" rapid.rc)" 0 "$label rapid commit: dhclient bound"
	assert_contains "$out" "RCV: Reply message on eth0 from $HOST_LL" \
		"$label rapid commit: Reply to the Solicit"
	assert_not_contains "$out" "Advertise message" "$label rapid commit: no Advertise"
	assert_not_contains "$out" "Forming Request" "$label rapid commit: no Request"
	check_lease "$label" "$d" rapid BOUND6
	vars=$(env_block "$d" rapid BOUND6)
	assert_no_line_matching "$vars" '^new_fqdn_' "$label rapid commit: no name unasked"

	# Stateless: Information-request, no address
	out=$(dhcpv6_file "$d" stateless.out)
	assert_eq "$(dhcpv6_file "$d" stateless.rc)" 0 "$label stateless: dhclient done"
	assert_contains "$out" "XMT: Info-Request on eth0" "$label stateless: Information-request sent"
	# dhclient 4.4 reports a stateless reply as RENEW6, others as INFORM6
	dhcpv6_file "$d" stateless.env >/dev/null
	vars=$(env_block "$d" stateless RENEW6; env_block "$d" stateless INFORM6)
	printf '%s\n' "$vars" | sed 's/^/#   /'
	check_info "$label" stateless "$vars"
	assert_no_line_matching "$vars" '^new_ip6_address=' "$label stateless: no address"

	# Release: dhclient doesn't wait for the Reply, the capture shows it
	out=$(dhcpv6_file "$d" release.out)
	assert_eq "$(dhcpv6_file "$d" release.rc)" 0 "$label release: dhclient -r exit status"
	assert_contains "$out" "Release Address $HOST_IP6" "$label release: Release sent"

	# The whole exchange, as captured by pasta: one answer per message
	out=$("$PYTHON" "$TOPO_ROOT/test/integration/dhcpv6_pcap.py" "$d/dhcpv6.pcap") ||
		fail "$label: cannot read the capture $d/dhcpv6.pcap"
	printf '%s\n' "$out" | sed 's/^/#   /'
	assert_eq "$(printf '%s\n' "$out" | tr '\n' ',')" \
		"client SOLICIT,server ADVERTISE,client REQUEST,server REPLY,client SOLICIT,server REPLY,client INFORMATION-REQUEST,server REPLY,client RELEASE,server REPLY status 0," \
		"$label: captured exchange, Release answered with status Success"
}

test_start

HOST_LL=$(in_host ip -j -6 addr show dev eth0 scope link |
	  "$PYTHON" "$IPJSON" addr - |
	  awk '$3 == "inet6" { sub("/.*", "", $4); print $4 }')
[ -n "$HOST_LL" ] || fail "no link-local address on eth0 in the host namespace"
info "host link-local address: $HOST_LL"

PASTA_OPTS=(-D "$DNS6" -S "$SEARCH1,$SEARCH2" --fqdn "$FQDN")

# As root, --no-follow: infinite lifetimes
d=$(dhcpv6_dir root)
capture in_host timeout 120 "$PASTA" "${PASTA_OPTS[@]}" --no-follow \
	-p "$d/dhcpv6.pcap" \
	-- sh -c "$DHCPV6_NS_SH" sh "$d" eth0
show_capture
assert_eq "$CAP_RC" 0 "root: pasta with the clients as command exits"
check_clients root "$d"

# As nobody: pasta in a user namespace of its own; following the host,
# so lifetimes of the default --dhcp-lease
LIFE=120
T1=60
T2=96
topo_unpriv_bin
d=$(dhcpv6_dir nobody)
capture in_host timeout 120 "${AS_NOBODY[@]}" "$UPASTA" "${PASTA_OPTS[@]}" \
	-p "$d/dhcpv6.pcap" \
	-- sh -c "$DHCPV6_NS_SH" sh "$d" eth0
show_capture
assert_eq "$CAP_RC" 0 "nobody: pasta with the clients as command exits"
check_clients nobody "$d"

echo "dhcpv6: all checks passed"
