#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# flow_share.sh - a flood of forged UDP datagrams through a -u port can't
# take the flow table away from the guest.
#
# From the router namespace, a raw socket sends datagrams to a forwarded
# port from 180,000 forged sources (3 addresses, 60,000 ports each), over
# and over: more sources than the table has entries (131,072, the real
# size, no test knob). Each source is a flow the guest never answers.
# Before the test judges anything, the host namespace must have received
# at least 131,072 datagrams during the first pass, every one from a
# different source: enough to fill the whole table.
#
# While the flood goes on, and right after it stops (its flows would stay
# for 30 s), the guest must still:
# - open TCP connections out, IPv4 and IPv6 (a file sent, checked with
#   SHA-256 at the far end);
# - send UDP out and get each datagram back intact from the address it
#   sent to (new flows: a new socket each time), IPv4 and IPv6;
# - ping, IPv4 and IPv6: every echo request answered;
# - serve a new client of its own UDP service behind another -u port
#   (the guest answers, the client gets its datagram back from the port
#   it sent to).
# And 50 inbound flows the guest answered before the flood must survive
# it, though the flood made hundreds of thousands of newer flows: after
# it, the guest sends each of those peers one more datagram, which has to
# leave from the forwarded port (each peer's socket is connected: from
# any other port it would never arrive).
#
# Run with pasta (the namespace behind the tap; FLOW_SHARE_PASTA_RATE
# datagrams per second) and with passt (a "guest" namespace behind
# relay.py; the flood slowed down to what the relay carries,
# FLOW_SHARE_PASST_RATE).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

UDP_TOOL="$TOPO_ROOT/test/integration/udp_tool.py"

TABLE=131072		# FLOW_MAX
SPOOF_ADDRS=3		# forged sources: 3 addresses from 203.0.113.10,
SPOOF_PORTS=60000	# 60000 ports each: 180000 sources, > TABLE
ANSWERED=50		# inbound flows the guest answers before the flood

P_FLOOD=5000		# -u: nothing listens in the guest
P_SVC=5001		# -u: the guest's UDP echo service
P_TCP=7070		# in the router: TCP receiver
P_UDP=7071		# in the router: UDP echo

# Datagrams per second: the daemon must receive every datagram of the
# first pass, or the test can't tell whether the table was filled (pasta
# takes more than this, but this machine is shared). The relay between
# passt and its guest is Python: a flood it can't carry would take the
# guest's link, not its flows, so passt's flood is slower.
PASTA_RATE=${FLOW_SHARE_PASTA_RATE:-50000}
PASST_RATE=${FLOW_SHARE_PASST_RATE:-20000}

test_start

# Ping sockets for the daemons (pasta runs as root here); the router
# answers echo requests
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"
in_router sysctl -qw net.ipv4.icmp_echo_ignore_all=0

bg_ns "$ROUTER_NS" "$TOPO_TMP/udp-echo.log" "$PYTHON" "$UDP_TOOL" echo \
	--bind "$REMOTE_IP4" --bind "$REMOTE_IP6" --port "$P_UDP" --timeout 280
wait_until 10 bound "$ROUTER_NS" udp "$P_UDP" ||
	fail "no UDP echo server in the router"
DATA=$(tcp_mkfile data 256K)

# udp_snmp() - NS FIELD: a field of the Udp line of /proc/net/snmp in NS
udp_snmp() {
	# shellcheck disable=SC2016 # awk's fields
	ns_run "$1" awk -v f="$2" '
		$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1;
				     next }
		$1 == "Udp:" { print $c[f] }' /proc/net/snmp
}

# ping_check() - LABEL NS FAMILY DST: three echo requests, three replies
ping_check() {
	capture ns_run "$2" timeout 20 ping -"$3" -n -c 3 -i 0.2 -W 2 "$4"
	if has_token "$CAP_OUT" "3 received"; then
		ok "$1: ping -$3 $4, 3 of 3 answered"
		return 0
	fi
	tfail "$1: ping -$3 $4: $(printf '%s\n' "$CAP_OUT" | tail -n 2 |
	      tr '\n' ' ')"
}

# udp_check() - LABEL NS ADDR PORT: datagrams of three sizes from a new
# socket (a new flow), each echoed intact from ADDR PORT
udp_check() {
	capture ns_run "$2" timeout 20 "$PYTHON" "$UDP_TOOL" ping \
		--connect "$3" --port "$4" --sizes 0,100,1400 --timeout 3
	if [ "$CAP_RC" = 0 ]; then
		ok "$1: UDP to $3 port $4, 3 datagrams echoed intact"
		return 0
	fi
	tfail "$1: UDP to $3 port $4: $CAP_OUT"
}

# guest_checks() - LABEL GNS: what the guest (in GNS) does for itself,
# and a new client of its service
guest_checks() {
	local label=$1 g=$2

	tcp_check tcp_xfer "$label: TCP v4" up "$ROUTER_NS" "$REMOTE_IP4" \
		"$P_TCP" "$g" "$REMOTE_IP4" "$P_TCP" "$DATA"
	tcp_check tcp_xfer "$label: TCP v6" up "$ROUTER_NS" "$REMOTE_IP6" \
		"$P_TCP" "$g" "$REMOTE_IP6" "$P_TCP" "$DATA"
	tcp_check udp_check "$label" "$g" "$REMOTE_IP4" "$P_UDP"
	tcp_check udp_check "$label" "$g" "$REMOTE_IP6" "$P_UDP"
	tcp_check ping_check "$label" "$g" 4 "$REMOTE_IP4"
	tcp_check ping_check "$label" "$g" 6 "$REMOTE_IP6"
	tcp_check udp_check "$label: new client of the guest's service" \
		"$ROUTER_NS" "$HOST_IP4" "$P_SVC"
}

# flood_phase() - NAME GNS RATE: the guest in GNS behind the daemon under
# test, a flood of RATE datagrams per second at most
flood_phase() {
	local name=$1 g=$2 rate=$3 d="$TOPO_TMP/$1" apid fpid in0 got rep

	mkdir -p "$d"
	bg_ns "$g" "$d/svc.log" "$PYTHON" "$UDP_TOOL" echo --bind 0.0.0.0 \
		--port "$P_SVC" --late "$d/late" --timeout 280
	wait_until 10 bound "$g" udp "$P_SVC" ||
		fail "$name: no UDP service in the guest"

	# Flows the guest answers, before the flood
	bg_ns "$ROUTER_NS" "$d/answered.log" "$PYTHON" "$UDP_TOOL" answered \
		--connect "$HOST_IP4" --port "$P_SVC" --flows "$ANSWERED" \
		--ready "$d/answered.ready" --timeout 10 --late-wait 120
	apid=$BG_PID
	wait_until 20 test -e "$d/answered.ready" ||
		fail "$name: the answered clients never got going"
	rep=$(cat "$d/answered.ready")
	assert_eq "$(json_get "$rep" echoed)" "$ANSWERED" \
		"$name: inbound flows answered by the guest before the flood"

	guest_checks "$name, before the flood" "$g"

	in0=$(udp_snmp "$HOST_NS" InDatagrams)
	bg_ns "$ROUTER_NS" "$d/spoof.log" "$PYTHON" "$UDP_TOOL" spoof \
		--connect "$HOST_IP4" --port "$P_FLOOD" --from 203.0.113.10 \
		--addrs "$SPOOF_ADDRS" --ports "$SPOOF_PORTS" --rate "$rate" \
		--pass-done "$d/pass1" --stop "$d/stop" --max-time 150
	fpid=$BG_PID
	wait_until 60 test -e "$d/pass1" ||
		fail "$name: the flood's first pass took over 60 s"
	got=$(($(udp_snmp "$HOST_NS" InDatagrams) - in0))
	info "$name: flood, first pass: $(cat "$d/pass1"); the host" \
	     "namespace received $got datagrams meanwhile"
	if [ "$got" -lt "$TABLE" ]; then
		fail "$name: the host namespace received only $got datagrams" \
		     "during the first pass of the flood, not enough to fill" \
		     "a table of $TABLE (receive errors:" \
		     "$(udp_snmp "$HOST_NS" RcvbufErrors))"
	fi
	ok "$name: $got datagrams from different sources reached the daemon"

	guest_checks "$name, during the flood" "$g"

	touch "$d/stop"
	reap "$fpid" 20
	info "$name: flood: $(grep '^{' "$d/spoof.log" | tail -n 1)"
	guest_checks "$name, right after the flood" "$g"

	# The flows answered before the flood are still there
	touch "$d/late"
	reap "$apid" 30
	rep=$(grep '^{' "$d/answered.log" | tail -n 1)
	if [ "$REAP_RC" = 0 ]; then
		ok "$name: all $ANSWERED flows the guest answered survived the" \
		   "flood (a late datagram each, from $HOST_IP4 port $P_SVC)"
	else
		tfail "$name: flows the guest answered, after the flood: $rep"
	fi
	info "$name: daemon log: $(grep -c 'Flow table' "$DAEMON_LOG") lines" \
	     "about the flow table; last: $(grep 'Flow table' "$DAEMON_LOG" |
	     tail -n 1)"
}

# ------------------------------------------------------------------ pasta

ns=$(topo_netns_name ns)
pasta_ns "$ns" -t none -u "$P_FLOOD-$P_SVC" -T none -U none
flood_phase pasta "$ns" "$PASTA_RATE"
pid_alive "$PASTA_PID" || tfail "pasta (PID $PASTA_PID) died"
stop "$PASTA_PID"

# ------------------------------------------------------------------ passt

passt_guest guest -t none -u "$P_FLOOD-$P_SVC"
flood_phase passt "$GUEST_NS" "$PASST_RATE"
pid_alive "$PASST_PID" || tfail "passt (PID $PASST_PID) died"

soft_finish
echo "flow_share: all checks passed"
