#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# auto_fwd.sh - pasta's automatic port forwarding (fwd_auto_scan()):
# pasta with no -t/-u/-T/-U (the default, auto for each) follows what is
# bound on the other side, scanning about once a second:
#
# - -t auto: a TCP server started in the namespace after pasta becomes
#   reachable from the host's 127.0.0.1 / ::1 on its port, and stops
#   being forwarded (connection refused) after it exits
# - -T auto: a server started on the host namespace's loopback becomes
#   reachable from the namespace's 127.0.0.1 / ::1, and stops after it
#   exits
# - -u auto: a UDP server bound in the namespace gets (and answers)
#   datagrams sent to the host's 127.0.0.1 / ::1 on its port, and stops
#   being forwarded after it exits; one bound inside the ephemeral port
#   range is never forwarded
# - -U auto: the same for a UDP server on the host's loopback, reached
#   from the namespace's 127.0.0.1 / ::1
# - -t auto,~PORT never forwards PORT (the other ports still are), and
#   -T none forwards nothing the other way
#
# Each "becomes reachable" / "stops" is a bounded poll (every 50 ms) that
# must succeed within 5 s (pasta scans every second: 2 s is what to expect,
# 5 s leaves room for a loaded machine); the time measured is printed,
# from the server's start or exit to the first echo or refusal.  Every
# "reachable" is checked on data: random tokens, then 1 MiB of TCP or 100
# UDP datagrams echoed and compared.
#
# All of it twice: pasta as root attached to a namespace this test made
# (--netns NAME), and pasta as nobody attached to the user and network
# namespaces of a process nobody started (pasta PID).  pasta always runs
# in the host namespace, with --config-net.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

TOOL="$TOPO_ROOT/test/integration/auto_tool.py"
LIMIT=${AUTO_LIMIT:-5}		# seconds allowed for each change
NEVER=${AUTO_NEVER:-3}		# seconds a port must stay unforwarded

A_T=10400	# TCP server in the namespace (-t auto)
A_TT=10401	# TCP server on the host's loopback (-T auto)
A_U=10402	# UDP server in the namespace (-u auto)
A_UU=10403	# UDP server on the host's loopback (-U auto)
A_U_EPH=40000	# UDP server in the namespace, in the ephemeral range
A_EX=10410	# -t auto,~A_EX: excluded
A_OK=10411	# -t auto,~A_EX: forwarded

# ---------------------------------------------------------------- helpers

# now_ms() - Print a monotonic-enough clock in milliseconds
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

DAEMON_LOG=""
PASTA_PID=""

# ----------------------------------------------------------------- checks

# server() - NS PROTO BIND PORT: start an echo server; sets SRV_PID once it
# is bound (fails the tcp_check otherwise)
SRV_PID=""
server() {
	local ns=$1 proto=$2 bind=$3 port=$4

	bg_ns "$ns" "$TOPO_TMP/srv-$port-$proto-$bind.log" "$PYTHON" "$TOOL" \
		server --proto "$proto" --bind "$bind" --port "$port" \
		--timeout 300
	SRV_PID=$BG_PID
	if ! wait_until 10 bound "$ns" "$proto" "$port"; then
		show_log "$TOPO_TMP/srv-$port-$proto-$bind.log" "server"
		tfail "no $proto server on $bind port $port in $ns"
		return 1
	fi
}

# poll() - LABEL NS PROTO PORT UNTIL T0_MS [SIZE]: from NS, poll 127.0.0.1
# and ::1 on PORT, both at once, until each is forwarded (UNTIL up: echo,
# then SIZE bytes intact) or not (down: refused), within LIMIT s; report
# the time from T0_MS (wall clock) to the first echo or refusal
poll() {
	local label=$1 ns=$2 proto=$3 port=$4 until=$5 t0=$6 size=${7:-0}
	local addr f pids=() rc=0 i=0 out ms state data

	for addr in 127.0.0.1 ::1; do
		f="$TOPO_TMP/poll.$i"
		ns_run "$ns" timeout $((LIMIT + 30)) "$PYTHON" "$TOOL" wait \
			--proto "$proto" --connect "$addr" --port "$port" \
			--until "$until" --timeout "$LIMIT" --size "$size" \
			</dev/null >"$f.out" 2>"$f.err" &
		pids+=($!)
		i=$((i + 1))
	done
	i=0
	for addr in 127.0.0.1 ::1; do
		f="$TOPO_TMP/poll.$i"
		rc=0
		wait "${pids[$i]}" || rc=$?
		i=$((i + 1))
		out=$(cat "$f.out")
		state=$(json_get "$out" state)
		data=$(json_get "$out" data)
		ms=$(json_get "$out" end_ms)
		[ -n "$ms" ] && ms=$((ms - t0))
		if [ "$rc" = 0 ]; then
			if [ "$until" = up ]; then
				ok "$label, $addr:$port: forwarded after $ms ms" \
				   "($(json_get "$out" attempts) attempts)," \
				   "$size bytes echoed $data"
			else
				ok "$label, $addr:$port: no longer forwarded" \
				   "(refused) after $ms ms"
			fi
			continue
		fi
		printf '  %s: %s\n' "$addr" "$out"
		sed 's/^/  stderr: /' "$f.err" | head -n 5
		show_log "$DAEMON_LOG" "pasta log" 8
		if [ "$state" = "$until" ]; then
			tfail "$label, $addr:$port: $until after $ms ms," \
				"but the data: $data"
		else
			tfail "$label, $addr:$port: not $until within" \
				"$LIMIT s (the last attempt saw:" \
				"$(json_get "$out" last))"
		fi
	done
}

# never() - LABEL NS PROTO ADDR PORT: from NS, ADDR PORT never echoes, for
# NEVER seconds
never() {
	local label=$1 ns=$2 proto=$3 addr=$4 port=$5

	capture ns_run "$ns" timeout $((NEVER + 30)) "$PYTHON" "$TOOL" never \
		--proto "$proto" --connect "$addr" --port "$port" \
		--duration "$NEVER"
	if [ "$CAP_RC" = 0 ]; then
		ok "$label: not forwarded in $NEVER s ($CAP_OUT)"
		return 0
	fi
	show_capture
	tfail "$label: forwarded, but must not be"
}

# not_bound() - LABEL NS PROTO PORT: nothing bound on PORT in NS
not_bound() {
	if bound "$2" "$3" "$4"; then
		ip netns exec "$2" ss -Hlntup "sport = :$4" | sed 's/^/#   /'
		tfail "$1: $3 port $4 is bound in $2"
		return 1
	fi
	ok "$1: nothing bound on $3 port $4 in $2"
}

# auto_case() - LABEL NS WHERE PROTO PORT SIZE OPT: with pasta's OPT auto,
# echo servers on PORT, started now in NS (WHERE "ns", on ::) or on the
# host's loopback (WHERE "host", 127.0.0.1 and ::1), are forwarded from the
# other side within LIMIT s, SIZE bytes echoed intact; once they're gone,
# no longer forwarded
auto_case() {
	local l=$1 ns=$2 proto=$4 port=$5 size=$6 t0 b p
	local sns=$ns cns=$HOST_NS side=host place="in the ns" what="$7 auto,"
	local binds=(::) pids=()

	if [ "$3" = host ]; then
		sns=$HOST_NS cns=$ns side=ns place="on the host's loopback"
		binds=(127.0.0.1 ::1)
	fi
	if [ "$proto" = udp ]; then
		what="$what UDP server"
	else
		what="$what server"
	fi
	for b in "${binds[@]}"; do
		if ! server "$sns" "$proto" "$b" "$port"; then
			for p in "${pids[@]}" "$SRV_PID"; do stop "$p"; done
			return 0
		fi
		pids+=("$SRV_PID")
	done
	t0=$(now_ms)
	poll "$l: $what started $place; $side" "$cns" "$proto" "$port" up \
		"$t0" "$size"
	t0=$(now_ms)
	for p in "${pids[@]}"; do stop "$p"; done
	poll "$l: $what $place gone; $side" "$cns" "$proto" "$port" down "$t0"
}

# suite() - LABEL NS: pasta with every direction automatic attached to NS
# Times run from the moment the server is seen bound (ss), or from just
# before it is told to exit
suite() {
	local l=$1 ns=$2

	# Nothing yet: the host doesn't listen on the port
	tcp_check not_bound "$l: before the server" "$HOST_NS" tcp "$A_T"

	auto_case "$l" "$ns" ns tcp "$A_T" 1048576 -t
	auto_case "$l" "$ns" host tcp "$A_TT" 1048576 -T
	auto_case "$l" "$ns" ns udp "$A_U" 100000 -u
	auto_case "$l" "$ns" host udp "$A_UU" 100000 -U

	# -u auto skips the ephemeral range, where clients' sockets live
	if server "$ns" udp :: "$A_U_EPH"; then
		tcp_check never "$l: -u auto, UDP server on $A_U_EPH (ephemeral)" \
			"$HOST_NS" udp 127.0.0.1 "$A_U_EPH"
		tcp_check not_bound "$l: -u auto, ephemeral port" "$HOST_NS" udp \
			"$A_U_EPH"
		stop "$SRV_PID"
	fi

	pid_alive "$PASTA_PID" || tfail "$l: pasta (PID $PASTA_PID) died"
}

# excl_suite() - LABEL NS: pasta -t auto,~A_EX -u none -T none -U none
excl_suite() {
	local l=$1 ns=$2 t0 p pids=()

	tcp_check server "$HOST_NS" tcp 127.0.0.1 "$A_TT"
	pids+=("$SRV_PID")
	tcp_check server "$ns" tcp :: "$A_EX"
	pids+=("$SRV_PID")
	if server "$ns" tcp :: "$A_OK"; then
		t0=$(now_ms)
		poll "$l: -t auto,~$A_EX: server started in the ns; host" \
			"$HOST_NS" tcp "$A_OK" up "$t0" 1048576
	fi
	pids+=("$SRV_PID")
	tcp_check never "$l: -t auto,~$A_EX: server on $A_EX in the ns" \
		"$HOST_NS" tcp 127.0.0.1 "$A_EX"
	tcp_check not_bound "$l: -t auto,~$A_EX: excluded port" "$HOST_NS" tcp \
		"$A_EX"
	tcp_check never "$l: -T none: server on the host's loopback" "$ns" tcp \
		127.0.0.1 "$A_TT"
	for p in "${pids[@]}"; do
		stop "$p"
	done
	pid_alive "$PASTA_PID" || tfail "$l: pasta (PID $PASTA_PID) died"
}

# ------------------------------------------------------------------- test

test_start
topo_unpriv_bin
read -r eph_lo eph_hi < <(in_host cat /proc/sys/net/ipv4/ip_local_port_range)
if [ "$A_U_EPH" -lt "$eph_lo" ] || [ "$A_U_EPH" -gt "$eph_hi" ]; then
	fail "port $A_U_EPH is outside the ephemeral range $eph_lo-$eph_hi"
fi

# Root: pasta attached to a namespace; nobody: to a process of nobody's in
# namespaces of its own.  Each with every direction automatic, then with
# -t auto and one port excluded
for who in root nobody; do
	attach=pasta_ns
	[ "$who" = nobody ] && attach=pasta_nobody
	ns=$(topo_netns_name "$who")
	"$attach" "$ns" -d
	suite "$who" "$ns"
	stop "$PASTA_PID"
	ns=$(topo_netns_name "${who}_excl")
	"$attach" "$ns" -d -t "auto,~$A_EX" -u none -T none -U none
	excl_suite "$who" "$ns"
	stop "$PASTA_PID"
done

soft_finish
echo "auto_fwd: all checks passed"
