#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tcp_exhaust.sh - a full flow table: with PASST_FLOW_MAX_TEST=N (a test
# knob that limits the table to N entries) pasta holds at most N TCP
# connections; further ones are refused or reset promptly, in both
# directions (outbound SYN from the namespace, inbound through -t: on the
# tap from the host's address, spliced from its loopback), while
# the connections already open keep working (4 MiB echoed intact on the
# first and the last); thousands of refused attempts don't grow the
# daemon's memory (VmRSS) by more than a few MB nor flood its log; once
# the connections are closed the table is whole again, cycle after cycle.
# Connections from the host side (-t) get the peers' share of the table
# only, N - N/4: the last quarter is kept for the namespace's own.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

N=${TCP_EXHAUST_FLOWS:-64}	# flow table size for the daemon
STORM=${TCP_EXHAUST_STORM:-3000} # refused attempts while full
RSS_SLACK_KB=${TCP_EXHAUST_RSS_KB:-4096}
LOG_LINES_MAX=100

test_start

P_OUT=10001	# echo server on the host's loopback, through the gateway
P_IN=10010	# -t: echo server in the namespace

ns=$(topo_netns_name ns)
PASST_FLOW_MAX_TEST=$N
export PASST_FLOW_MAX_TEST
pasta_ns "$ns" -t "$P_IN" -u none -T none -U none
unset PASST_FLOW_MAX_TEST
info "flow table limited to $N entries (PASST_FLOW_MAX_TEST)"

bg_ns "$HOST_NS" "$TOPO_TMP/echo-host.log" "$PYTHON" "$TCP_TOOL" server \
	--bind 127.0.0.1 --port "$P_OUT" --mode echo --timeout 290
bg_ns "$HOST_NS" "$TOPO_TMP/echo-host6.log" "$PYTHON" "$TCP_TOOL" server \
	--bind ::1 --port "$P_OUT" --mode echo --timeout 290
bg_ns "$ns" "$TOPO_TMP/echo-ns.log" "$PYTHON" "$TCP_TOOL" server \
	--bind :: --port "$P_IN" --mode echo --timeout 290
wait_listen "$HOST_NS" "$P_OUT" || fail "echo server on the host's loopback"
wait_listen "$ns" "$P_IN" || fail "echo server in the namespace"

# Every connection first: a transfer on one connection, before the limit
tcp_check tcp_xfer "before filling the table" up "$HOST_NS" 127.0.0.1 10002 \
	"$ns" "$GW_IP4" 10002 "$(tcp_mkfile mib 1M)"

rss() {
	daemon_status "$PASTA_PID" VmRSS
}

# hold_start() - TAG CNS CADDR PORT: background hold client, filling the
# table; sets HOLD_PID, HOLD_READY, HOLD_RELEASE, HOLD_OUT
hold_start() {
	HOLD_READY="$TOPO_TMP/hold-$1.ready"
	HOLD_RELEASE="$TOPO_TMP/hold-$1.release"
	HOLD_OUT="$TOPO_TMP/hold-$1.out"
	bg_ns "$2" "$HOLD_OUT" "$PYTHON" "$TCP_TOOL" hold --connect "$3" \
		--port "$4" --max $((N + 16)) --extra 20 --ready "$HOLD_READY" \
		--release "$HOLD_RELEASE" --wait 200 --check-size 4194304 \
		--timeout 60
	HOLD_PID=$BG_PID
	wait_until 120 test -s "$HOLD_READY" ||
		fail "hold client: no report within 120 s"
	HOLD_REPORT=$(cat "$HOLD_READY")
	info "hold client: $HOLD_REPORT"
}

# hold_finish() - LABEL: release the hold client, check its echo results
hold_finish() {
	local rep rc=0

	touch "$HOLD_RELEASE"
	reap "$HOLD_PID" 90
	rep=$(grep '^{' "$HOLD_OUT" | tail -n 1)
	info "hold client at the end: $rep"
	for k in first last; do
		if [ "$(json_get "$rep" "checks.$k")" = intact ]; then
			ok "$1: 4 MiB echoed intact over the $k connection held"
		else
			tfail "$1: on the $k connection held: '$(json_get "$rep" "checks.$k")'"
			rc=1
			sed 's/^/#   /' "$HOLD_OUT" | tail -n 5
		fi
	done
	return "$rc"
}

# check_full() - LABEL: the hold report: the table filled up to at most N,
# the next attempts were all refused or reset, promptly
check_full() {
	local label=$1 opened first extra bad=0

	opened=$(json_get "$HOLD_REPORT" opened)
	first=$(json_get "$HOLD_REPORT" first_failure)
	if [ "$opened" -le "$N" ] && [ "$opened" -ge $((N / 2)) ]; then
		ok "$label: $opened connections open with a table of $N"
	else
		tfail "$label: $opened connections open, table limited to $N" \
		      "(is PASST_FLOW_MAX_TEST honoured?)"
		bad=1
	fi
	case "$first" in
	refused | reset | eof)
		ok "$label: the next connection: $first" ;;
	*)	tfail "$label: the connection beyond the limit: '$first'," \
		      "expected refused or reset"
		bad=1 ;;
	esac
	# What is left of the 20 extra attempts once refusals are taken out
	extra=$(without_refusals "$(json_get "$HOLD_REPORT" extra)")
	if [ "$extra" = "{}" ]; then
		ok "$label: 20 more attempts all refused or reset" \
		   "(slowest $(json_get "$HOLD_REPORT" extra_max_s) s)"
	else
		tfail "$label: of 20 more attempts, some were not refused: $extra"
		bad=1
	fi
	OPENED=$opened
	return "$bad"
}

# storm() - LABEL CNS CADDR PORT COUNT: COUNT attempts, none may succeed
# or hang
storm() {
	local label=$1 out s

	capture ns_run "$2" timeout 200 "$PYTHON" "$TCP_TOOL" storm \
		--connect "$3" --port "$4" --count "$5" --parallel 50 \
		--conn-timeout 3
	out=$CAP_OUT
	s=$(without_refusals "$out")
	if [ "$CAP_RC" = 0 ] && [ "$s" = "{}" ]; then
		ok "$label: $5 attempts, all refused or reset ($out)"
	else
		show_capture
		tfail "$label: attempts that were not refused: $s"
	fi
}

# without_refusals() - JSON: the counts of a report that are not refusals
without_refusals() {
	"$PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
for k in ("seconds", "refused", "reset", "eof", "reset_after_connect",
          "closed_after_connect"):
    d.pop(k, None)
print(json.dumps(d))' "$1" 2>/dev/null || echo "unreadable: $1"
}

OPENED=0
rss0=$(rss)
log0=$(wc -l <"$DAEMON_LOG")

# Cycle 1, outbound: fill, storm, inbound while full, old connections work
hold_start out1 "$ns" "$GW_IP4" "$P_OUT"
tcp_check check_full "outbound fill"
first_opened=$OPENED
rss1=$(rss)
tcp_check storm "outbound, table full" "$ns" "$GW_IP4" "$P_OUT" "$STORM"
tcp_check storm "outbound v6, table full" "$ns" "$GW_IP6" "$P_OUT" 500
tcp_check storm "inbound -t (tap), table full" "$HOST_NS" "$HOST_IP4" "$P_IN" 500
tcp_check storm "inbound -t (spliced), table full" "$HOST_NS" 127.0.0.1 "$P_IN" 200
capture in_host timeout 15 "$PYTHON" "$TCP_TOOL" refused --connect "$HOST_IP4" \
	--port "$P_IN" --max-time 5 --allow-reset
if [ "$CAP_RC" = 0 ]; then
	ok "inbound while full: closed promptly ($CAP_OUT)"
else
	show_capture
	tfail "inbound while full: not closed within 5 s"
fi
rss2=$(rss)
info "pasta VmRSS: $rss0 kB at start, $rss1 kB with the table full," \
     "$rss2 kB after $((STORM + 1200)) refused attempts"
if [ $((rss2 - rss1)) -le "$RSS_SLACK_KB" ]; then
	ok "VmRSS grew by $((rss2 - rss1)) kB over the refused attempts (limit $RSS_SLACK_KB)"
else
	tfail "VmRSS grew by $((rss2 - rss1)) kB over the refused attempts"
fi
log1=$(wc -l <"$DAEMON_LOG")
if [ $((log1 - log0)) -le "$LOG_LINES_MAX" ]; then
	ok "log: $((log1 - log0)) lines for $((STORM + 1200)) refusals (rate limited)"
else
	info "most frequent lines in the log:"
	tail -n +"$((log0 + 1))" "$DAEMON_LOG" | sed 's/^[0-9.]*: //' | sort |
		uniq -c | sort -rn | head -n 5 | sed 's/^/#   /'
	tfail "log: $((log1 - log0)) lines for $((STORM + 1200)) refusals"
fi
pid_alive "$PASTA_PID" || fail "pasta (PID $PASTA_PID) died"
tcp_check hold_finish "outbound fill"

# refill() - TAG CNS CADDR PORT LABEL [WANT]: fill again (the flows of
# closed connections may take a moment to be freed), expect the same count
# as the first time, or WANT
refill() {
	local i want=${6:-$first_opened}

	for i in $(seq 10); do
		hold_start "$1-$i" "$2" "$3" "$4"
		touch "$HOLD_RELEASE"
		if [ "$(json_get "$HOLD_REPORT" opened)" -ge "$want" ] ||
		   [ "$i" = 10 ]; then
			break
		fi
		reap "$HOLD_PID" 90
		sleep 2
	done
	check_full "$5" || return 1
	hold_finish "$5" || return 1
	if [ "$OPENED" = "$want" ]; then
		ok "$5: the table holds $OPENED connections again"
	else
		tfail "$5: $OPENED connections, expected $want"
	fi
}

# Cycles 2 and 3: the table is whole again after the connections close
tcp_check refill out2 "$ns" "$GW_IP4" "$P_OUT" "outbound, cycle 2"
tcp_check refill out3 "$ns" "$GW_IP6" "$P_OUT" "outbound v6, cycle 3"
# Cycle 4: filled from the host side, through -t: the peers' share only
tcp_check refill in4 "$HOST_NS" "$HOST_IP4" "$P_IN" "inbound -t (tap), cycle 4" \
	$((N - N / 4))
tcp_check refill out5 "$ns" "$GW_IP4" "$P_OUT" "outbound after inbound, cycle 5"

rss3=$(rss)
info "pasta VmRSS after 5 cycles: $rss3 kB, peak $(daemon_status "$PASTA_PID" VmHWM) kB"
if [ $((rss3 - rss1)) -le "$RSS_SLACK_KB" ]; then
	ok "VmRSS after 5 cycles within $RSS_SLACK_KB kB of the first fill ($((rss3 - rss1)) kB)"
else
	tfail "VmRSS grew by $((rss3 - rss1)) kB over 5 cycles"
fi

# And plain transfers still work
tcp_check tcp_xfer "after the cycles" down "$HOST_NS" 127.0.0.1 10002 \
	"$ns" "$GW_IP4" 10002 "$TOPO_TMP/data/mib"
pid_alive "$PASTA_PID" || tfail "pasta (PID $PASTA_PID) died"

soft_finish
echo "tcp_exhaust: all checks passed"
