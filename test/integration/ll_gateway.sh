#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ll_gateway.sh - pasta when the host's IPv6 default route goes via a
# link-local gateway (fe80::1 on the router's end of the veth, as routers
# announcing themselves with link-local addresses give it), checked on data:
#
# - pasta takes fe80::1 as IPv6 gateway (its log), IPv6 is not disabled,
#   and --config-net gives the namespace the host's IPv6 address and a
#   default route via fe80::1; pasta answers neighbour solicitations for it
# - TCP from the namespace to [fe80::1%IF] reaches a server on the host
#   namespace's loopback (::1): the gateway address stands for the host
#   (nothing listens on that port in the router), 1 MiB both ways, SHA-256;
#   with --no-map-gw it reaches the router's fe80::1 instead
# - TCP from the namespace to the router's remote address, through the
#   host's link-local default route, both ways; and from the remote address
#   to a -t port, into the namespace
# - -t: from the host's own address (over the tap) the server in the
#   namespace sees the gateway fe80::1 as its peer; from the host's ::1
#   the connection is spliced (seen from the namespace's own address), and
#   with --no-splice it goes over the tap and is seen from fe80::1
# - UDP to [fe80::1%IF] reaches an echo server on the host's ::1 and the
#   echo comes back intact, from fe80::1 and the same port
# - ping -6 to fe80::1%IF is answered, every sequence number once, with
#   the router ignoring echo requests (net.ipv6.icmp.echo_ignore_all): the
#   replies come through pasta from the host's loopback
#
# pasta attaches to namespaces this test creates (--netns NAME); ports are
# always explicit.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

UDP_TOOL="$TOPO_ROOT/test/integration/udp_tool.py"

LL_GW=fe80::1	# the router's link-local address, the host's IPv6 gateway

P_OUT=10001	# TCP servers outside: host ::1, router's remote address
P_UDP=10002	# UDP echo server on the host's ::1
P_NOMAP=10003	# TCP server in the router only, for --no-map-gw
P_IN=10010	# -t: servers in the namespace, default pasta
P_IN_NS=10011	# -t: servers in the namespace, pasta --no-splice

test_start

# The router's end of the link gets fe80::1, the host's IPv6 default route
# goes via it instead of the global 2001:db8::1
in_router ip -6 addr add "$LL_GW/64" dev rt0 nodad
in_host ip -6 route replace default via "$LL_GW" dev eth0
routes=$(in_host ip -j -6 route show default | "$PYTHON" "$IPJSON" route -)
assert_eq "$routes" "route default via $LL_GW dev eth0" \
	"setup: the host's only IPv6 default route is via $LL_GW"
# ...and the router answers there: the link-local gateway is usable
capture in_host ping -6 -n -c 1 -W 3 "$LL_GW%eth0"
[ "$CAP_RC" = 0 ] || show_capture
assert_eq "$CAP_RC" 0 "setup: the router answers on $LL_GW%eth0"

# pasta's ping sockets in the host namespace
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

ns=$(topo_netns_name ns)
pasta_ns "$ns" -t "$P_IN" -u none -T none -U none
ns_log=$DAEMON_LOG
pasta_pids=$PASTA_PID
# --no-splice: connections from the host's loopback go over the tap too
ns_nosplice=$(topo_netns_name nosplice)
pasta_ns "$ns_nosplice" --no-splice -t "$P_IN_NS" -u none -T none -U none
pasta_pids="$pasta_pids $PASTA_PID"
# --no-map-gw: the gateway address is the router's, not the host's
ns_nomap=$(topo_netns_name nomap)
pasta_ns "$ns_nomap" --no-map-gw -t none -u none -T none -U none
pasta_pids="$pasta_pids $PASTA_PID"
DAEMON_LOG=$ns_log

# 1. Configuration: pasta's log, the namespace's address and routes

tap=$(ip -n "$ns" -j link show | "$PYTHON" "$IPJSON" ifaces -)
assert_eq "$(line_count "$tap")" 1 "the namespace has one interface besides lo ($tap)"

log=$(cat "$ns_log")
# The "    gateway" line that follows "IPv6 (from IF): ..."
gw6=$(printf '%s\n' "$log" | awk '
	/IPv6 \(from / { v6 = 1; next }
	v6 && / gateway / { print $NF; exit }
	/^[0-9.]*: [^ ]/ { v6 = 0 }')
soft assert_eq "$gw6" "$LL_GW" "pasta's log: IPv6 gateway"
soft assert_contains "$log" "IPv6 (from eth0): address $HOST_IP6/64" \
	"pasta's log: IPv6 address from the host's eth0"
soft assert_not_contains "$log" "IPv6 disabled" "pasta's log: IPv6 enabled"

addrs=$(ip -n "$ns" -j addr show | "$PYTHON" "$IPJSON" addr -)
routes6=$(ip -n "$ns" -j -6 route show | "$PYTHON" "$IPJSON" route -)
soft assert_line "$addrs" "addr $tap inet6 $HOST_IP6/64" \
	"namespace: the host's IPv6 address"
soft assert_line "$routes6" "route default via $LL_GW dev $tap" \
	"namespace: IPv6 default route via the link-local gateway"
soft assert_eq "$(printf '%s\n' "$routes6" | grep -c '^route default ')" 1 \
	"namespace: one IPv6 default route"

# 2. TCP to the link-local gateway: the host's loopback

f=$(tcp_mkfile mib 1M)
for dir in down up; do
	tcp_check tcp_xfer "ns->[$LL_GW%$tap]->host ::1" "$dir" \
		"$HOST_NS" ::1 "$P_OUT" "$ns" "$LL_GW%$tap" "$P_OUT" "$f"
done

# --no-map-gw: [fe80::1%IF] is the router's link-local address (pasta's
# socket needs the scope of the host's interface); nothing listens on that
# port in the host namespace
tcp_check tcp_xfer "--no-map-gw: ns->[$LL_GW%$tap]->router" down \
	"$ROUTER_NS" :: "$P_NOMAP" "$ns_nomap" "$LL_GW%$tap" "$P_NOMAP" "$f"

# pasta resolved fe80::1 for the namespace: its MAC address
neigh=$(ip -n "$ns" -6 neigh show "$LL_GW" dev "$tap")
soft assert_contains "$neigh" "lladdr $GW_MAC" \
	"namespace: neighbour $LL_GW is pasta ($GW_MAC)"

# 3. TCP to and from the router's remote address, via the host's
# link-local default route

for dir in down up; do
	tcp_check tcp_xfer "ns->remote $REMOTE_IP6" "$dir" \
		"$ROUTER_NS" "$REMOTE_IP6" "$P_OUT" "$ns" "$REMOTE_IP6" \
		"$P_OUT" "$f"
done
tcp_check tcp_xfer "remote->[$HOST_IP6]:$P_IN (-t)->ns" down \
	"$ns" :: "$P_IN" "$ROUTER_NS" "$HOST_IP6" "$P_IN" "$f"

# 4. -t: the peer the server in the namespace sees

tcp_check peer_check "-t from the host's $HOST_IP6 (tap)" "$ns" :: "$P_IN" \
	"$HOST_NS" "$HOST_IP6" "$LL_GW"
tcp_check peer_check "-t from the host's ::1 (spliced)" "$ns" :: "$P_IN" \
	"$HOST_NS" ::1 "$HOST_IP6"
tcp_check peer_check "--no-splice: -t from the host's ::1 (tap)" \
	"$ns_nosplice" :: "$P_IN_NS" "$HOST_NS" ::1 "$LL_GW"
tcp_check tcp_xfer "--no-splice: host ::1->-t->ns" down \
	"$ns_nosplice" :: "$P_IN_NS" "$HOST_NS" ::1 "$P_IN_NS" "$f"

# 5. UDP to the link-local gateway: an echo server on the host's ::1

udp_peers="$TOPO_TMP/udp-peers"
bg_ns "$HOST_NS" "$TOPO_TMP/udp-echo.log" "$PYTHON" "$UDP_TOOL" echo \
	--bind ::1 --port "$P_UDP" --timeout 60 --peers "$udp_peers"
udp_pid=$BG_PID
wait_until 10 bound "$HOST_NS" udp "$P_UDP" ||
	fail "UDP echo server on ::1 port $P_UDP did not start"

# socat, scoped address: its connected socket takes replies from
# [fe80::1%IF]:P_UDP only
dg=$(tcp_mkfile dgram 1000)
out="$TOPO_TMP/dgram.out"
ns_run "$ns" timeout 20 socat -b 65536 -t 2 \
	"OPEN:$dg,rdonly!!CREATE:$out" "UDP6:[$LL_GW%$tap]:$P_UDP" \
	</dev/null >"$TOPO_TMP/udp-socat.log" 2>&1 || true
got=$( [ -f "$out" ] && sha_of "$out" || echo none)
if [ "$got" = "$(sha_of "$dg")" ]; then
	ok "UDP ns->[$LL_GW%$tap]:$P_UDP->host ::1: 1000-byte datagram echoed intact"
else
	sed 's/^/#   socat: /' "$TOPO_TMP/udp-socat.log" | head -n 5
	show_log "$TOPO_TMP/udp-echo.log" "echo server"
	tfail "UDP ns->[$LL_GW%$tap]:$P_UDP: echo sha256 $got," \
		"expected $(sha_of "$dg")"
fi

# udp_tool.py, datagrams of several sizes, each echo checked byte for byte
# and on its source address and port.  Unscoped address: its check of the
# source compares the address as given, and fe80::/64 is only on $tap
capture ns_run "$ns" timeout 30 "$PYTHON" "$UDP_TOOL" ping \
	--connect "$LL_GW" --port "$P_UDP" --sizes 0,1,100,1400,8000,65000
if [ "$CAP_RC" = 0 ]; then
	ok "UDP ns->$LL_GW:$P_UDP->host ::1: $CAP_OUT"
else
	show_capture
	tfail "UDP ns->$LL_GW:$P_UDP: not every echo intact"
fi
soft assert_eq "$(cut -d' ' -f1 "$udp_peers" 2>/dev/null | sort -u)" ::1 \
	"UDP: the echo server on the host's ::1 saw the datagrams from ::1"
topo_kill_pid "$udp_pid"

# 6. ping -6 to the link-local gateway, the router silent: the replies come
# through pasta from the host's loopback

in_router sysctl -qw net.ipv6.icmp.echo_ignore_all=1
capture in_host ping -6 -n -c 2 -i 0.2 -W 1 "$LL_GW%eth0"
soft assert_ne "$CAP_RC" 0 "control: the router no longer answers $LL_GW from the host"
capture ns_run "$ns" ping -6 -n -c 2 -i 0.2 -W 1 "$REMOTE_IP6"
soft assert_ne "$CAP_RC" 0 "control: nor $REMOTE_IP6 from the namespace"

capture ns_run "$ns" timeout 30 ping -6 -n -c 3 -i 0.2 -W 3 "$LL_GW%$tap"
[ "$CAP_RC" = 0 ] || show_capture
soft assert_eq "$CAP_RC" 0 "ping -6 $LL_GW%$tap from the namespace: exit status"
soft assert_contains "$CAP_OUT" "3 packets transmitted, 3 received" \
	"ping -6 $LL_GW%$tap: every echo answered"
for seq in 1 2 3; do
	n=$(printf '%s\n' "$CAP_OUT" |
		grep -c "from $LL_GW%$tap: icmp_seq=$seq " || true)
	soft assert_eq "$n" 1 "ping -6 $LL_GW%$tap: icmp_seq=$seq answered once"
done
in_router sysctl -qw net.ipv6.icmp.echo_ignore_all=0

for pid in $pasta_pids; do
	pid_alive "$pid" || tfail "pasta (PID $pid) died during the test"
done
soft_finish
echo "ll_gateway: all checks passed"
