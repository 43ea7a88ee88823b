#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# follow_pasta.sh - pasta --config-net follows the host namespace's network
# as it changes, and --no-follow keeps what it read at start:
#
# - the host's IPv4 address and prefix change (198.51.100.2/24 ->
#   198.51.100.7/25): the namespace's address follows within a few
#   seconds, a TCP connection the namespace had open from the old address
#   ends with a reset (seen by the client), a new one leaves from the new
#   address (the remote server says which)
# - the default route moves to another gateway: so does the namespace's,
#   and the new gateway address reaches the host's loopback
# - the IPv6 prefix changes (2001:db8::2/64 -> 2001:db8:2::2/64)
# - resolv.conf gets another name server: DNS sent to the --dns-forward
#   address reaches the new one (its answer differs); rewritten in place
#   (ip netns exec binds it on /etc/resolv.conf), and, for another pasta,
#   a link to a file in another directory that's replaced by rename()
# - --map-guest-addr: the mapped address reaches the host's address of the
#   moment, before and after the change (the host's server sees it)
# - both default routes go: local mode (169.254.2.1/16 via 169.254.2.2);
#   the IPv4 one comes back: normal mode, IPv4 only; then the IPv6 one:
#   IPv6 appears in the namespace
# - --no-follow, in a second namespace: still the address read at start
# - rootless: pasta as nobody, in user and network namespaces of its own,
#   follows the address change too
#
# How long each change took to reach the namespace is printed ("took").
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

NEW_IP4=198.51.100.7
NEW_GW4=198.51.100.126
NEW_IP6=2001:db8:2::2
NEW_GW6=2001:db8:2::1
NEW_DNS4=203.0.113.53
FWD4=169.254.1.1
NAME=test.example
OLD_A=192.0.2.78
NEW_A=192.0.2.99
MAP4=169.254.1.2

test_start
remote_servers "$NAME" "$OLD_A"
srv_start "$ROUTER_NS" hold sink --bind "$REMOTE_IP4" --port 7071 \
	--out "$TOPO_TMP/hold" --timeout 60
srv_start "$ROUTER_NS" remote6 banner --bind "$REMOTE_IP6" --port 7070 \
	--text hello-from-remote
in_router ip addr add "$NEW_DNS4/32" dev lo
srv_start "$ROUTER_NS" dns2 dns --bind "$NEW_DNS4" --port 53 \
	--a "$NAME=$NEW_A"
in_router ip addr add "$NEW_GW4/24" dev rt0
srv_start "$HOST_NS" hostlo banner --bind 127.0.0.1 --port 7072 \
	--text hello-from-host-lo
srv_start "$HOST_NS" hostany banner --bind 0.0.0.0 --port 7073 \
	--text hello-from-host
in_router ip addr add "$NEW_GW6/64" dev rt0 nodad

NS=$(topo_netns_name ns)
NS_FIXED=$(topo_netns_name fixed)
NS_USER=$(topo_netns_name user)
pasta_ns "$NS_FIXED" --no-follow -t none -u none -T none -U none
topo_unpriv_bin
pasta_nobody "$NS_USER" -t none -u none -T none -U none

# A resolv.conf that is a link to a file in another directory, replaced by
# rename() there, as systemd-resolved does: pasta runs with a directory of
# ours bound on /etc, in a mount namespace of its own
NS_LINK=$(topo_netns_name link)
ETC="$TOPO_TMP/etc"
RESOLVE="$TOPO_TMP/resolve"
mkdir -p "$ETC" "$RESOLVE"
cp /etc/passwd /etc/group "$ETC/"
printf 'nameserver %s\n' "$REMOTE_IP4" >"$RESOLVE/stub-resolv.conf"
ln -s "$RESOLVE/stub-resolv.conf" "$ETC/resolv.conf"
WRAP="$TOPO_TMP/etc-wrap"
cat >"$WRAP" <<'EOF'
#!/bin/sh
# etc-wrap DIR CMD...: CMD with DIR bound on /etc, in a mount namespace of
# its own
exec unshare -m --propagation private sh -c \
	'mount --bind "$0" /etc && exec "$@"' "$@"
EOF
chmod 755 "$WRAP"
DAEMON_WRAP=("$WRAP" "$ETC")
pasta_ns "$NS_LINK" --dns-forward "$FWD4" -t none -u none -T none -U none
DAEMON_WRAP=()
LOG_LINK=$DAEMON_LOG
pasta_ns "$NS" --dns-forward "$FWD4" --map-guest-addr "$MAP4" -t none -u none -T none -U none
LOG=$DAEMON_LOG
TAP=eth0

# ns_addrs() - NS: the namespace's global addresses, "ADDR/PLEN" per line
ns_addrs() {
	ip -n "$1" -o addr show dev "$TAP" scope global |
		awk '{ print $4 }'
}

# ns_has_addr() - NS ADDR/PLEN: true if NS has it on the tap
ns_has_addr() {
	ns_addrs "$1" | grep -qxF "$2"
}

# ns_default() - NS 4|6: the namespace's default route, "via GW" or empty
ns_default() {
	ip -n "$1" "-$2" route show default dev "$TAP" |
		awk '/^default/ { print $2, $3; exit }'
}

# ns_default_is() - NS 4|6 GW: true if the default route goes via GW
ns_default_is() {
	[ "$(ns_default "$1" "$2")" = "via $3" ]
}

# followed() - LABEL TIMEOUT CMD...: CMD succeeds within TIMEOUT seconds of
# the last change(), and say how long that took
followed() {
	local label=$1 t=$2

	shift 2
	if wait_until "$t" "$@"; then
		ok "$label (took $(took) ms)"
	else
		show_log "$LOG" "pasta log" all
		tfail "$label: not within $t s"
	fi
}

# Start: what the host has
assert_eq "$(ns_addrs "$NS" | sort | tr '\n' ' ')" \
	"198.51.100.2/24 2001:db8::2/64 " "start: the host's addresses"

# --map-guest-addr: the host's address of the moment, as seen by the host
capture ns_run "$NS" "$PYTHON" "$SRV" get --connect "$MAP4:7073"
assert_contains "$CAP_OUT" "hello-from-host peer=$HOST_IP4:" \
	"--map-guest-addr $MAP4: the host's server reached at $HOST_IP4"

# A connection from the old address, held open
bg_ns "$NS" "$TOPO_TMP/hold.out" "$PYTHON" -u "$SRV" tcpx \
	--connect "$REMOTE_IP4:7071" --expect-size 1 --timeout 40
HOLD_PID=$BG_PID
wait_until 5 grep -qs "tcpx connected" "$TOPO_TMP/hold.out" ||
	fail "held connection: not connected"
assert_contains "$(cat "$TOPO_TMP/hold.out")" "tcpx connected $HOST_IP4:" \
	"held connection leaves from $HOST_IP4"

# IPv4 address and prefix
change eval "in_host ip addr del $HOST_IP4/24 dev eth0;
	in_host ip addr add $NEW_IP4/25 dev eth0;
	in_host ip route add default via $GW_IP4 dev eth0"
followed "IPv4 address: the namespace has $NEW_IP4/25" 10 \
	ns_has_addr "$NS" "$NEW_IP4/25"
followed "IPv4 address, rootless pasta: $NEW_IP4/25" 10 \
	ns_has_addr "$NS_USER" "$NEW_IP4/25"
assert_eq "$(ns_addrs "$NS" | grep -c '^198\.51\.100\.')" 1 \
	"IPv4 address: the old one is gone from the namespace"
followed "IPv4 address: default route via $GW_IP4 again" 5 \
	ns_default_is "$NS" 4 "$GW_IP4"
rc=0
wait "$HOLD_PID" || rc=$?
assert_contains "$(cat "$TOPO_TMP/hold.out")" "Connection reset by peer" \
	"held connection from the vanished $HOST_IP4: reset"
assert_ne "$rc" 0 "held connection: the client saw it fail"
capture ns_run "$NS" "$PYTHON" "$SRV" get --connect "$REMOTE_IP4:7070"
assert_contains "$CAP_OUT" "hello-from-remote peer=$NEW_IP4:" \
	"new connection leaves from $NEW_IP4"
assert_contains "$(cat "$LOG")" "IPv4 address $HOST_IP4/24 -> $NEW_IP4/25" \
	"pasta logged the address change"
capture ns_run "$NS" "$PYTHON" "$SRV" get --connect "$MAP4:7073"
assert_contains "$CAP_OUT" "hello-from-host peer=$NEW_IP4:" \
	"--map-guest-addr $MAP4 after the change: the host reached at $NEW_IP4"

# Default route to another gateway
change in_host ip route replace default via "$NEW_GW4" dev eth0
followed "IPv4 gateway: default route via $NEW_GW4" 10 \
	ns_default_is "$NS" 4 "$NEW_GW4"
assert_contains "$(cat "$LOG")" "IPv4 default route via $NEW_GW4" \
	"pasta logged the new default route"
capture ns_run "$NS" "$PYTHON" "$SRV" get --connect "$REMOTE_IP4:7070"
assert_contains "$CAP_OUT" "hello-from-remote peer=$NEW_IP4:" \
	"new gateway: the remote host still reached"
capture ns_run "$NS" "$PYTHON" "$SRV" get --connect "$NEW_GW4:7072"
assert_contains "$CAP_OUT" "hello-from-host-lo" \
	"new gateway: $NEW_GW4 maps to the host's loopback"

# IPv6 prefix
change eval "in_host ip -6 addr add $NEW_IP6/64 dev eth0 nodad;
	in_host ip -6 addr del $HOST_IP6/64 dev eth0;
	in_host ip -6 route replace default via $NEW_GW6 dev eth0"
followed "IPv6 prefix: the namespace has $NEW_IP6/64" 10 \
	ns_has_addr "$NS" "$NEW_IP6/64"
followed "IPv6 prefix: $HOST_IP6 gone from the namespace" 5 \
	eval "! ns_has_addr $NS $HOST_IP6/64"

# resolv.conf: rewritten in place (ip netns exec mounts it on its own)
capture ns_run "$NS" "$PYTHON" "$SRV" dnsq --server "$FWD4" --name "$NAME"
assert_contains "$CAP_OUT" "dnsq answer $OLD_A" \
	"DNS before the change: the first resolver answers"
change eval "printf 'nameserver %s\n' $NEW_DNS4 >/etc/netns/$HOST_NS/resolv.conf"
# dnsq_from() - ADDR [NS]: the answer through the forwarder is ADDR
dnsq_from() {
	ns_run "${2:-$NS}" "$PYTHON" "$SRV" dnsq --server "$FWD4" \
		--name "$NAME" --retries 1 | grep -q "dnsq answer $1"
}
followed "resolv.conf: DNS reaches the new resolver $NEW_DNS4" 10 \
	dnsq_from "$NEW_A"
assert_contains "$(cat "$LOG")" "DNS server $NEW_DNS4" \
	"pasta logged the new DNS server"

# resolv.conf, a link, its target replaced by rename()
dnsq_from "$OLD_A" "$NS_LINK" ||
	tfail "resolv.conf link: DNS before the change not answered by $OLD_A"
change eval "printf 'nameserver %s\n' $NEW_DNS4 >$RESOLVE/new &&
	mv $RESOLVE/new $RESOLVE/stub-resolv.conf"
LOG_SAVED=$LOG
LOG=$LOG_LINK
followed "resolv.conf link, target renamed over: DNS reaches $NEW_DNS4" 10 \
	dnsq_from "$NEW_A" "$NS_LINK"
LOG=$LOG_SAVED

# No default route at all: local mode, and back
change eval "in_host ip route del default; in_host ip -6 route del default"
followed "no default route: local mode address 169.254.2.1/16" 10 \
	ns_has_addr "$NS" 169.254.2.1/16
followed "no default route: local mode gateway 169.254.2.2" 5 \
	ns_default_is "$NS" 4 169.254.2.2
assert_eq "$(ns_addrs "$NS" | grep -c "^$NEW_IP4/")" 0 \
	"local mode: $NEW_IP4 gone from the namespace"
change in_host ip route add default via "$GW_IP4" dev eth0
followed "IPv4 default route back: $NEW_IP4/25 again" 10 \
	ns_has_addr "$NS" "$NEW_IP4/25"
followed "IPv4 default route back: via $GW_IP4" 5 \
	ns_default_is "$NS" 4 "$GW_IP4"
assert_eq "$(ns_addrs "$NS" | grep -c '^169\.254\.')" 0 \
	"normal mode: local mode address gone"
assert_eq "$(ns_addrs "$NS" | grep -c ':')" 0 \
	"IPv4 only: no IPv6 address in the namespace"
capture ns_run "$NS" "$PYTHON" "$SRV" get --connect "$REMOTE_IP4:7070"
assert_contains "$CAP_OUT" "hello-from-remote peer=$NEW_IP4:" \
	"out of local mode: the remote host reached from $NEW_IP4"

# IPv6 appears
change in_host ip -6 route add default via "$NEW_GW6" dev eth0
followed "IPv6 default route back: $NEW_IP6/64 in the namespace" 10 \
	ns_has_addr "$NS" "$NEW_IP6/64"
followed "IPv6 default route back: via $NEW_GW6" 5 \
	ns_default_is "$NS" 6 "$NEW_GW6"
capture ns_run "$NS" "$PYTHON" "$SRV" get --connect "[$REMOTE_IP6]:7070"
assert_contains "$CAP_OUT" "hello-from-remote peer=$NEW_IP6" \
	"IPv6 back: the remote host reached from $NEW_IP6"

# --no-follow: what was read at start
assert_eq "$(ns_addrs "$NS_FIXED" | sort | tr '\n' ' ')" \
	"198.51.100.2/24 2001:db8::2/64 " "--no-follow: the addresses of the start"
assert_eq "$(ns_default "$NS_FIXED" 4)" "via $GW_IP4" \
	"--no-follow: the default route of the start"

echo "follow_pasta: all checks passed"
