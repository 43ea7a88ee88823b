#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# follow_flows.sh - UDP and ping flows of the guest go on when the host's
# address changes under them (pasta without --config-net; the namespace
# is configured by hand with the host's first addresses, as a guest that
# hasn't renewed its lease yet):
#
# - UDP, both families, from a fixed address and port in the namespace to
#   an echo server in the router namespace: an exchange before the change
#   leaves from the host's first address; after the change, the same
#   four-tuple in the namespace gets its answer again, and the server saw
#   it come from the host's new address (the host side socket of the old
#   flow was connected, so it kept the vanished source address: the flow
#   is closed at the change, the next datagram opens a new one)
# - ping, one run across the change: replies keep coming (ping sockets
#   aren't bound to an address: the host picks the source for every
#   request)
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

NEW_IP4=198.51.100.7
NEW_IP6=2001:db8::7
PORT=7080
SPORT=40000

test_start
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"
srv_start "$ROUTER_NS" echo4 udpecho --bind "$REMOTE_IP4" --port "$PORT"
srv_start "$ROUTER_NS" echo6 udpecho --bind "$REMOTE_IP6" --port "$PORT"

NS=$(topo_netns_name ns)
PASTA_NS_CONF=()
pasta_ns "$NS" -t none -u none -T none -U none
LOG=$DAEMON_LOG
ns_run "$NS" ip addr add "$HOST_IP4/24" dev eth0
ns_run "$NS" ip route add default via "$GW_IP4" dev eth0
ns_run "$NS" ip -6 addr add "$HOST_IP6/64" dev eth0 nodad
ns_run "$NS" ip -6 route add default via "$GW_IP6" dev eth0 metric 1

# udp() - V ADDR TEXT: send TEXT from ADDR (port SPORT) to the echo server
# of family V (4 or 6), through pasta; fails without an answer
udp() {
	local to=$REMOTE_IP4:$PORT from=$2:$SPORT

	if [ "$1" = 6 ]; then
		to="[$REMOTE_IP6]:$PORT"
		from="[$2]:$SPORT"
	fi
	capture ns_run "$NS" "$PYTHON" "$SRV" udpx --to "$to" --bind "$from" \
		--send "$3" --retries 5
	show_capture
	[ "$CAP_RC" = 0 ] &&
		printf '%s\n' "$CAP_OUT" | grep -q "udpx reply echo:$3 "
}

# seen() - V TEXT: the address the echo server of family V saw TEXT from
seen() {
	sed -n "s/^.*udpecho b'$2' from \(.*\):[0-9]*$/\1/p" \
		"$TOPO_TMP/echo$1.log" | tail -n 1
}

udp 4 "$HOST_IP4" one4 || fail "UDP over IPv4 before the change: no answer"
assert_eq "$(seen 4 one4)" "$HOST_IP4" "UDP over IPv4 leaves from $HOST_IP4"
udp 6 "$HOST_IP6" one6 || fail "UDP over IPv6 before the change: no answer"
assert_eq "$(seen 6 one6)" "$HOST_IP6" "UDP over IPv6 leaves from $HOST_IP6"

# ping across the change: a timestamp on every line
bg_ns "$NS" "$TOPO_TMP/ping.out" ping -D -n -i 0.2 -c 50 "$REMOTE_IP4"
PING_PID=$BG_PID
sleep 2

in_host ip addr del "$HOST_IP4/24" dev eth0
in_host ip addr add "$NEW_IP4/24" dev eth0
in_host ip route add default via "$GW_IP4" dev eth0
in_host ip -6 addr add "$NEW_IP6/64" dev eth0 nodad
in_host ip -6 addr del "$HOST_IP6/64" dev eth0
T_CHANGE=$(date +%s)
wait_until 10 grep -q "IPv6 address $HOST_IP6/64 -> $NEW_IP6/64" "$LOG" ||
	fail "pasta didn't see the change: $(cat "$LOG")"

if udp 4 "$HOST_IP4" two4; then
	ok "UDP over IPv4, same four-tuple after the change: answered"
else
	tfail "UDP over IPv4 after the change: no answer"
fi
soft assert_eq "$(seen 4 two4)" "$NEW_IP4" "UDP over IPv4 now leaves from $NEW_IP4"
if udp 6 "$HOST_IP6" two6; then
	ok "UDP over IPv6, same four-tuple after the change: answered"
else
	tfail "UDP over IPv6 after the change: no answer"
fi
soft assert_eq "$(seen 6 two6)" "$NEW_IP6" "UDP over IPv6 now leaves from $NEW_IP6"

rc=0
wait "$PING_PID" || rc=$?
sed "s/^/#   /" "$TOPO_TMP/ping.out" | tail -n 5
after=$(awk -v t="$T_CHANGE" -F'[][]' \
	'/bytes from/ && $2 > t + 1 { n++ } END { print n + 0 }' \
	"$TOPO_TMP/ping.out")
if [ "$after" -ge 5 ]; then
	ok "ping: $after replies more than a second after the change"
else
	tfail "ping: $after replies more than a second after the change"
fi

soft_finish
echo "follow_flows: all checks passed"
