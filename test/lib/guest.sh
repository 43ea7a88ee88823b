# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/guest.sh - look at the network configuration pasta gave a namespace
#
# NETINFO_SH is a shell script, run inside the namespace (as the command
# pasta starts, or through ip netns exec / nsenter), that dumps the
# configuration into the directory given as $1: addr.json, route4.json,
# route6.json (ip -j) and uid_map.  The check_* functions read it back
# through ipjson.py and assert on it.  Needs topo.sh and assert.sh.

# shellcheck disable=SC2016 # expanded by the inner shell
NETINFO_SH='ip -j addr >"$1/addr.json" &&
ip -j route >"$1/route4.json" &&
ip -6 -j route >"$1/route6.json" &&
cat /proc/self/uid_map >"$1/uid_map"'

# netinfo_dir() - NAME: create and print an empty directory for a dump,
# writable by the unprivileged user too
netinfo_dir() {
	local d="$TOPO_TMP/netinfo-$1"

	rm -rf "$d"
	mkdir -p "$d"
	chown "$NOBODY_UID:$NOBODY_GID" "$d"
	chmod 777 "$d"
	printf '%s\n' "$d"
}

# netinfo_dump() - DIR CMD...: run CMD... sh -c NETINFO_SH sh DIR
# e.g. netinfo_dump "$d" ip netns exec tgt
netinfo_dump() {
	local d=$1

	shift
	"$@" sh -c "$NETINFO_SH" sh "$d"
}

# ipjson() - addr|route|ifaces FILE: flattened ip -j output
ipjson() {
	"$PYTHON" "$IPJSON" "$@"
}

# netinfo_load() - DIR LABEL: set NI_ADDR, NI_ROUTE4, NI_ROUTE6, NI_IFACES
NI_ADDR=""
NI_ROUTE4=""
NI_ROUTE6=""
NI_IFACES=""
netinfo_load() {
	local f

	for f in addr.json route4.json route6.json; do
		[ -s "$1/$f" ] || fail "$2: no $f written by the command in the namespace"
	done
	NI_ADDR=$(ipjson addr "$1/addr.json") || fail "$2: cannot parse $1/addr.json"
	NI_ROUTE4=$(ipjson route "$1/route4.json") || fail "$2: cannot parse $1/route4.json"
	NI_ROUTE6=$(ipjson route "$1/route6.json") || fail "$2: cannot parse $1/route6.json"
	NI_IFACES=$(ipjson ifaces "$1/addr.json") || fail "$2: cannot parse $1/addr.json"
	info "$2: interfaces: $(printf '%s' "$NI_IFACES" | tr '\n' ' ')"
	printf '%s\n' "$NI_ADDR" | grep -E '^(addr|link [^ ]+ mtu)' | sed 's/^/#   /'
	printf '%s\n%s\n' "$NI_ROUTE4" "$NI_ROUTE6" | grep . | sed 's/^/#   /' || true
}

# check_link() - IF MTU LABEL: IF exists, is up with carrier, has MTU; lo is up
check_link() {
	local ifname=$1 mtu=$2 label=$3

	assert_line "$NI_IFACES" "$ifname" "$label: interface $ifname exists"
	assert_line "$NI_ADDR" "link $ifname mtu $mtu" "$label: $ifname MTU"
	assert_line "$NI_ADDR" "link $ifname flag UP" "$label: $ifname administratively up"
	assert_line "$NI_ADDR" "link $ifname flag LOWER_UP" "$label: $ifname has carrier"
	assert_line "$NI_ADDR" "link lo flag UP" "$label: lo is up"
	assert_line "$NI_ADDR" "addr lo inet 127.0.0.1/8" "$label: lo has 127.0.0.1"
}

# check_topo_config() - DIR IF LABEL: the namespace mirrors the host ns:
# addresses, prefix lengths, default routes of both families, MTU 65520
check_topo_config() {
	local d=$1 ifname=$2 label=$3

	netinfo_load "$d" "$label"
	check_link "$ifname" 65520 "$label"
	assert_line "$NI_ADDR" "addr $ifname inet $HOST_IP4/24" "$label: IPv4 address and prefix"
	assert_line "$NI_ADDR" "addr $ifname inet6 $HOST_IP6/64" "$label: IPv6 address and prefix"
	assert_line "$NI_ROUTE4" "route default via $GW_IP4 dev $ifname" "$label: IPv4 default route"
	assert_line "$NI_ROUTE6" "route default via $GW_IP6 dev $ifname" "$label: IPv6 default route"
}

# check_uid_map_outer() - DIR UID LABEL: the namespace maps uid 0 to UID
check_uid_map_outer() {
	local outer

	[ -s "$1/uid_map" ] || fail "$3: no uid_map dump"
	outer=$(awk '$1 == 0 { print $2 }' "$1/uid_map")
	assert_eq "$outer" "$2" "$3: uid 0 in the namespace is uid $2 outside"
}
