#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# udp_burst.sh - a burst of UDP datagrams of one flow from the guest
# arrives whole: 200 (UDP_BURST_COUNT) datagrams of 64 bytes
# (UDP_BURST_SIZE), each numbered and with contents derived from its
# number, sent from pasta's namespace as fast as one process can
# (sendmmsg(2), up to 1024 datagrams per call) to a server on the host
# namespace's loopback, through the gateway address (the tap path); the
# server's receive buffer is 8 MiB, so nothing may be lost on the way:
# every one of them must arrive, once, intact.
#
# Each burst is sent twice: once as it comes, and once with the daemon
# stopped (SIGSTOP) from just before the burst until the sender has sent
# it all, then continued: it then finds the whole burst waiting on its
# tap (the tap queue holds 500 frames) and reads it in one go, as it does
# whenever it was busy elsewhere when a burst came.  A daemon that reads
# frames as they arrive may never see more than a few at once; this makes
# the run of frames of one flow that it hands to UDP as long as the burst.
# A warm-up datagram of the same flow, before the burst, resolves the
# gateway's neighbour entry and opens the daemon's flow and socket.
#
# - pasta, IPv4: namespace -> 198.51.100.1 -> host 127.0.0.1
# - pasta, IPv6: namespace -> 2001:db8::1 -> host ::1
# - passt (UDP_BURST_PASST=1, the default; 0 leaves it out), with a
#   "guest" namespace behind relay.py: the same over IPv4, the burst
#   waiting in passt's socket instead of the tap
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

COUNT=${UDP_BURST_COUNT:-200}
SIZE=${UDP_BURST_SIZE:-64}
WITH_PASST=${UDP_BURST_PASST:-1}
TOOL="$TOPO_ROOT/test/integration/limits_tool.py"

P_BASE=10300	# one server port per burst, counting up from here

test_start

NEXT_PORT=$P_BASE

# burst() - LABEL DPID CNS SBIND CADDR FREEZE: a burst of COUNT datagrams
# from CNS to CADDR (a new port each time), received by a server on SBIND
# in the host namespace; FREEZE=1: the daemon (DPID) is stopped while the
# burst is sent
burst() {
	local label=$1 dpid=$2 cns=$3 sbind=$4 caddr=$5 freeze=$6
	local port=$NEXT_PORT d="$TOPO_TMP/burst$NEXT_PORT" rpid spid rep sent

	NEXT_PORT=$((NEXT_PORT + 1))
	mkdir -p "$d"
	bg_host "$d/recv.log" "$PYTHON" "$TOOL" burst-recv --bind "$sbind" \
		--port "$port" --count "$COUNT" --size "$SIZE" \
		--rcvbuf 8388608 --quiet 3 --timeout 30 --ready "$d/ready"
	rpid=$BG_PID
	if ! wait_until 10 test -e "$d/ready"; then
		stop "$rpid"
		show_log "$d/recv.log" "receiver"
		tfail "$label: no receiver on $sbind port $port"
		return 1
	fi

	if [ "$freeze" = 1 ]; then
		bg_ns "$cns" "$d/send.log" "$PYTHON" "$TOOL" burst-send \
			--connect "$caddr" --port "$port" --count "$COUNT" \
			--size "$SIZE" --warm "$d/warm" --go "$d/go" \
			--sent "$d/sent" --timeout 20
		spid=$BG_PID
		if ! wait_until 10 test -e "$d/warm"; then
			stop "$spid"
			stop "$rpid"
			tfail "$label: the sender never got past its warm-up"
			return 1
		fi
		kill -STOP "$dpid"
		touch "$d/go"
		wait_until 10 test -e "$d/sent" ||
			info "$label: the sender did not finish within 10 s"
		sleep 0.2
		kill -CONT "$dpid"
		reap "$spid" 10
	else
		bg_ns "$cns" "$d/send.log" "$PYTHON" "$TOOL" burst-send \
			--connect "$caddr" --port "$port" --count "$COUNT" \
			--size "$SIZE" --sent "$d/sent"
		spid=$BG_PID
		reap "$spid" 20
	fi
	sent=$(grep '^{' "$d/send.log" | tail -n 1)
	reap "$rpid" 40
	rep=$(grep '^{' "$d/recv.log" | tail -n 1)
	if [ "$REAP_RC" = 0 ]; then
		ok "$label: all $COUNT datagrams arrived, each once, intact" \
		   "(sender: $(json_get "$sent" how), $(json_get "$sent" calls)" \
		   "calls, $(json_get "$sent" ms) ms; received over" \
		   "$(json_get "$rep" spread_ms) ms)"
		return 0
	fi
	show_log "$d/send.log" "sender"
	show_log "$d/recv.log" "receiver"
	[ -n "$DAEMON_LOG" ] && show_log "$DAEMON_LOG" "daemon log" 10
	tfail "$label: $(json_get "$rep" received) of $COUNT datagrams" \
	      "arrived (missing $(json_get "$rep" missing), corrupt" \
	      "$(json_get "$rep" corrupt), duplicate $(json_get "$rep" duplicate);" \
	      "runs that arrived: $(json_get "$rep" runs))"
}

# ------------------------------------------------------------------ pasta

ns=$(topo_netns_name ns)
pasta_ns "$ns" -t none -u none -T none -U none

for fam in 4 6; do
	if [ "$fam" = 4 ]; then
		lo=127.0.0.1 gw=$GW_IP4
	else
		lo=::1 gw=$GW_IP6
	fi
	burst "pasta v$fam, as it comes" "$PASTA_PID" "$ns" "$lo" "$gw" 0
	burst "pasta v$fam, read at once" "$PASTA_PID" "$ns" "$lo" "$gw" 1
done
pid_alive "$PASTA_PID" || tfail "pasta (PID $PASTA_PID) died"
stop "$PASTA_PID"

# ------------------------------------------------------------------ passt

if [ "$WITH_PASST" = 1 ]; then
	passt_guest guest -t none -u none
	g=$GUEST_NS
	burst "passt v4, as it comes" "$PASST_PID" "$g" 127.0.0.1 "$GW_IP4" 0
	burst "passt v4, read at once" "$PASST_PID" "$g" 127.0.0.1 "$GW_IP4" 1
	pid_alive "$PASST_PID" || tfail "passt (PID $PASST_PID) died"
else
	info "passt left out (UDP_BURST_PASST=$WITH_PASST)"
fi

soft_finish
echo "udp_burst: all checks passed"
