#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tcp_churn.sh - connections one after the other, as fast as a C client
# (test/bench_rr cps) makes them, CHURN_CLIENTS (default 3) such clients
# at once, to a server that closes first, as an HTTP/1.0 server does: on
# the tap path out of the namespace (to the gateway address, the host's
# loopback), on the spliced path (-T) and on the tap path into the
# namespace (-t from the host's own address), for CHURN_TIME seconds each
# (default 4).  pasta runs with --debug: slower, it reads more events in
# one batch, which is where the bug was.
#
# Every connection must complete: 64 bytes echoed, then the server's
# close.  Before, one batch of events could hold the guest's last ACK of
# a connection (which freed its flow and closed its socket), its SYN for
# the next one (which took the same flow entry and the same descriptor
# number) and an event, a hangup, of the old socket, which was then taken
# for the new one: "connect() failed: Success", the new connection reset
# on both sides (the client saw "Connection refused", the server "reset by
# peer" before any data). With one client, 0 to 101 connections of some
# 10,000 failed in a run; with three, every run failed, each client
# giving up after 100 failures.  Checked: no client failure, no server failure, no such line
# in pasta's log, and each path made at least CHURN_MIN connections
# (default 300) in all.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

T=${CHURN_TIME:-4}
CLIENTS=${CHURN_CLIENTS:-3}
MIN=${CHURN_MIN:-300}
RR_TOOL="$TOPO_ROOT/test/bench_rr"
TOOL="$TOPO_ROOT/test/integration/tcp_tool.py"
P_OUT=10801	# Server on the host's loopback, through the gateway address
P_SPLICE=10802	# -T: the namespace's loopback to the host's
P_IN=10803	# -t: the host's own address into the namespace
SIZE=64

[ -x "$RR_TOOL" ] || fail "no $RR_TOOL (make check builds it)"

test_start

ns=$(topo_netns_name ns)
pasta_ns "$ns" -t "$P_IN" -T "$P_SPLICE" -u none -U none --debug
LOG=$DAEMON_LOG
# The clients keep a TIME_WAIT socket for each connection, and so do the
# servers, here: room for them (in these namespaces only)
for n in "$HOST_NS" "$ns"; do
	ns_run "$n" sysctl -qw net.ipv4.ip_local_port_range="10000 65535" \
		net.ipv4.tcp_tw_reuse=1
done

# churn() - NAME SERVER_NS BIND PORT CLIENT_NS ADDR: a run of connections
churn() {
	local name=$1 sns=$2 bind=$3 port=$4 cns=$5 addr=$6 spid out i r v
	local pids=() n=0 f=0 rc=0

	out="$TOPO_TMP/server-$name.log"
	bg_ns "$sns" "$out" "$PYTHON" "$TOOL" server --mode echo-close \
		--bind "$bind" --port "$port" --size "$SIZE" --timeout 30
	spid=$BG_PID
	wait_listen "$sns" "$port" 10 || fail "$name: no server on port $port"
	for i in $(seq "$CLIENTS"); do
		bg_ns "$cns" "$TOPO_TMP/client-$name.$i" timeout $((T + 30)) \
			"$RR_TOOL" cps "$addr" "$port" "$T" "$SIZE"
		pids+=("$BG_PID")
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || rc=1
		r=$(grep '^{' "$TOPO_TMP/client-$name.$((i + 1))" || true)
		info "$name, client $((i + 1)): ${r:-no result}"
		v=$(json_get "$r" connections)
		n=$((n + ${v:-0}))
		v=$(json_get "$r" failed)
		f=$((f + ${v:-1}))
	done
	stop "$spid"
	if [ "$rc" = 0 ] && [ "$f" = 0 ]; then
		ok "$name: every connection completed ($n)"
	else
		grep -h "bench_rr:" "$TOPO_TMP/client-$name".* | head -n 5 |
			sed 's/^/#   /'
		tfail "$name: $f of $n connections failed"
	fi
	if [ "$n" -ge "$MIN" ]; then
		ok "$name: at least $MIN connections ($n)"
	else
		tfail "$name: only $n connections, fewer than $MIN"
	fi
	if grep -q "FAIL" "$out"; then
		grep "FAIL" "$out" | head -n 5 | sed 's/^/#   /'
		tfail "$name: the server saw $(grep -c FAIL "$out") fail"
	else
		ok "$name: the server saw every request whole"
	fi
}

churn "tap, namespace to host" "$HOST_NS" 127.0.0.1 "$P_OUT" "$ns" "$GW_IP4"
churn "spliced, namespace to host" "$HOST_NS" 127.0.0.1 "$P_SPLICE" "$ns" \
	127.0.0.1
churn "tap, host to namespace" "$ns" 0.0.0.0 "$P_IN" "$HOST_NS" "$HOST_IP4"

if grep -q "connect() failed: Success" "$LOG"; then
	tfail "pasta took a left-over event for a new connection" \
	      "($(grep -c "connect() failed: Success" "$LOG") times)"
else
	ok "pasta's log: no \"connect() failed: Success\""
fi

soft_finish
echo "tcp_churn: all checks passed"
