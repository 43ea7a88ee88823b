#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/bench.sh - benchmark of pasta's TCP tap path next to its ceiling, the
# kernel's own veth pair between two namespaces, in the same run (`make
# bench`, as root):
#
# - iperf3 TCP throughput, namespace -> host and host -> namespace (-R):
#   pasta: client in pasta's namespace, server on the host namespace's
#   loopback reached through the gateway address (the tap path, not the
#   spliced one); veth: client and server at either end of a veth pair
#   with the same MTU (65520)
# - the same over pasta's spliced path (client on the host's loopback, a
#   -t port, server in the namespace) next to plain loopback TCP
# - request/response latency: 1-byte ping-pong over one TCP connection,
#   median and 99th percentile (and the plain loopback for reference)
# - connections per second (connect, 1-byte echo, close)
# - UDP throughput over the tap path next to veth (what arrives, losses
#   subtracted)
# - pasta's CPU seconds per GB moved (utime + stime of the daemon from
#   /proc/PID/stat around each iperf3 run) and its peak RSS (VmHWM)
#
# A benchmark, not a test: slowness is reported, never a failure.  It exits
# non-zero only when a measurement could not be made at all.
#
# Environment: BENCH_TIME   seconds per iperf3 run (default 5, at most 10)
#              BENCH_RR     ping-pong round trips (default 5000)
#              PASST_BIN_DIR  where passt and pasta are (default: repo root)
#
# shellcheck source-path=SCRIPTDIR
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "bench.sh: must run as root (it creates namespaces)" >&2
	exit 2
fi

TOPO_TAG=${TOPO_TAG:-pb$$}
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tcp.sh"

T=${BENCH_TIME:-5}
[ "$T" -gt 10 ] && T=10
[ "$T" -lt 1 ] && T=1
RR=${BENCH_RR:-5000}
HZ=$(getconf CLK_TCK)
ERRORS=0

test_start

# The ceiling: a veth pair between two namespaces, same MTU as pasta's tap
VETH_A=192.0.2.1
VETH_B=192.0.2.2
va=$(topo_netns_name va)
vb=$(topo_netns_name vb)
topo_netns_add "$va"
topo_netns_add "$vb"
ip -n "$va" link set lo up
ip -n "$vb" link set lo up
ip -n "$va" link add veth0 mtu 65520 type veth peer name veth0 netns "$vb" mtu 65520
ip -n "$va" addr add "$VETH_A/24" dev veth0
ip -n "$vb" addr add "$VETH_B/24" dev veth0
ip -n "$va" link set veth0 up
ip -n "$vb" link set veth0 up
wait_until 5 topo_link_up "$va" veth0 || fail "veth between $va and $vb: no carrier"

# pasta, attached to a namespace of ours, reaching the host's loopback
# through the gateway address (tap path); -t P_SPLICE: from the host's
# loopback into the namespace, which pasta splices (no tap)
P_SPLICE=5399
ns=$(topo_netns_name ns)
pasta_ns "$ns" -t "$P_SPLICE" -u none -T none -U none

port=5200

# iperf_server() - KEY SNS SBIND: a one-off iperf3 server in SNS on
# SBIND:$port; sets BG_PID, or records an error for KEY and returns 1 if
# it doesn't listen
iperf_server() {
	bg_ns "$2" "$TOPO_TMP/iperf-s-$1.log" timeout $((T + 30)) \
		iperf3 -s -1 -B "$3" -p "$port"
	wait_listen "$2" "$port" 10 && return 0
	R[$1]=error
	ERRORS=$((ERRORS + 1))
	return 1
}

# iperf() - KEY SNS SBIND CNS CADDR PORT [IPERF3 ARGS]: one iperf3 run
# (PORT "": pick one); stores Gbit/s in R_KEY, pasta's CPU s/GB in C_KEY
declare -A R C
iperf() {
	local key=$1 sns=$2 sbind=$3 cns=$4 caddr=$5 spid t0 t1 bytes bps

	port=$((port + 1))
	[ -n "$6" ] && port=$6
	shift 6
	iperf_server "$key" "$sns" "$sbind" || return 0
	spid=$BG_PID
	t0=$(daemon_cpu_ticks "$PASTA_PID")
	capture ns_run "$cns" timeout $((T + 30)) iperf3 -c "$caddr" -p "$port" \
		-t "$T" -J "$@"
	t1=$(daemon_cpu_ticks "$PASTA_PID")
	reap "$spid" 10
	bytes=$(json_get "$CAP_OUT" end.sum_received.bytes)
	bps=$(json_get "$CAP_OUT" end.sum_received.bits_per_second)
	if [ "$CAP_RC" != 0 ] || [ -z "$bytes" ] || [ "$bytes" = 0 ]; then
		echo "bench: iperf3 $key failed (exit $CAP_RC):" >&2
		printf '%s\n%s\n' "$(json_get "$CAP_OUT" error)" "$CAP_ERR" |
			head -n 5 >&2
		R[$key]=error
		ERRORS=$((ERRORS + 1))
		return
	fi
	R[$key]=$(awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e9 }')
	C[$key]=$(awk -v t="$((t1 - t0))" -v hz="$HZ" -v b="$bytes" \
		'BEGIN { printf "%.2f", (t / hz) / (b / 1e9) }')
}

# iperf_udp() - KEY SNS SBIND CNS CADDR: UDP throughput, unlimited rate,
# 16 KiB datagrams; stores the rate that arrived (sent, less what was lost)
# in Gbit/s in R_KEY
iperf_udp() {
	local key=$1 sns=$2 sbind=$3 cns=$4 caddr=$5 spid bps lost

	port=$((port + 1))
	iperf_server "$key" "$sns" "$sbind" || return 0
	spid=$BG_PID
	capture ns_run "$cns" timeout $((T + 30)) iperf3 -c "$caddr" -p "$port" \
		-t "$T" -u -b 0 -l 16384 -J
	reap "$spid" 10
	bps=$(json_get "$CAP_OUT" end.sum.bits_per_second)
	lost=$(json_get "$CAP_OUT" end.sum.lost_percent)
	if [ "$CAP_RC" != 0 ] || [ -z "$bps" ]; then
		echo "bench: iperf3 $key failed (exit $CAP_RC)" >&2
		R[$key]=error
		ERRORS=$((ERRORS + 1))
		return
	fi
	R[$key]=$(awk -v b="$bps" -v l="${lost:-0}" \
		'BEGIN { printf "%.2f", b * (100 - l) / 100 / 1e9 }')
}

# rr() - KEY SNS SBIND CNS CADDR: ping-pong latency and connections per
# second against an echo server; sets R_KEY_lat, R_KEY_p99, R_KEY_cps
rr() {
	local key=$1 sns=$2 sbind=$3 cns=$4 caddr=$5 spid

	port=$((port + 1))
	bg_ns "$sns" "$TOPO_TMP/echo-$key.log" "$PYTHON" "$TCP_TOOL" server \
		--bind "$sbind" --port "$port" --mode echo --timeout 120
	spid=$BG_PID
	if ! wait_listen "$sns" "$port" 10; then
		R[${key}_lat]=error
		ERRORS=$((ERRORS + 1))
		return
	fi
	capture ns_run "$cns" timeout 60 "$PYTHON" "$TCP_TOOL" pingpong \
		--connect "$caddr" --port "$port" --count "$RR" --timeout 50
	if [ "$CAP_RC" = 0 ]; then
		R[${key}_lat]=$(json_get "$CAP_OUT" median_us)
		R[${key}_p99]=$(json_get "$CAP_OUT" p99_us)
	else
		echo "bench: ping-pong $key failed: $CAP_ERR" >&2
		R[${key}_lat]=error
		ERRORS=$((ERRORS + 1))
	fi
	capture ns_run "$cns" timeout 30 "$PYTHON" "$TCP_TOOL" cps \
		--connect "$caddr" --port "$port" --duration 3 --timeout 5
	if [ "$CAP_RC" = 0 ]; then
		R[${key}_cps]=$(json_get "$CAP_OUT" per_s)
	else
		echo "bench: connections per second $key failed: $CAP_ERR" >&2
		R[${key}_cps]=error
		ERRORS=$((ERRORS + 1))
	fi
	topo_kill_pid "$spid"
	wait "$spid" 2>/dev/null || true
}

echo "bench: ${T} s per iperf3 run, $RR round trips per latency run;" \
     "pasta PID $PASTA_PID, $(nproc) CPUs, $(uname -r)"

iperf pasta_up "$HOST_NS" 127.0.0.1 "$ns" "$GW_IP4" ""
iperf pasta_down "$HOST_NS" 127.0.0.1 "$ns" "$GW_IP4" "" -R
iperf veth_up "$vb" "$VETH_B" "$va" "$VETH_B" ""
iperf veth_down "$vb" "$VETH_B" "$va" "$VETH_B" "" -R
iperf splice_up "$ns" 0.0.0.0 "$HOST_NS" 127.0.0.1 "$P_SPLICE"
iperf splice_down "$ns" 0.0.0.0 "$HOST_NS" 127.0.0.1 "$P_SPLICE" -R
iperf lo_up "$HOST_NS" 127.0.0.1 "$HOST_NS" 127.0.0.1 ""
iperf lo_down "$HOST_NS" 127.0.0.1 "$HOST_NS" 127.0.0.1 "" -R
iperf_udp pasta_udp "$HOST_NS" 127.0.0.1 "$ns" "$GW_IP4"
iperf_udp veth_udp "$vb" "$VETH_B" "$va" "$VETH_B"
rr pasta "$HOST_NS" 127.0.0.1 "$ns" "$GW_IP4"
rr veth "$vb" "$VETH_B" "$va" "$VETH_B"
rr lo "$HOST_NS" 127.0.0.1 "$HOST_NS" 127.0.0.1
hwm=$(daemon_status "$PASTA_PID" VmHWM)
rss=$(daemon_status "$PASTA_PID" VmRSS)

# ratio() - A B: A / B, or "-"
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0)
			printf "%.2f", a / b
		else
			printf "-"
	}'
}

v() {
	printf '%s' "${R[$1]:-n/a}"
}

echo
printf '%-44s %12s %12s %10s\n' "TCP, tap path" "pasta" "veth" "pasta/veth"
printf '%-44s %12s %12s %10s\n' "--------------------------------------------" \
	"------------" "------------" "----------"
printf '%-44s %12s %12s %10s\n' "throughput ns -> host, Gbit/s" \
	"$(v pasta_up)" "$(v veth_up)" "$(ratio "$(v pasta_up)" "$(v veth_up)")"
printf '%-44s %12s %12s %10s\n' "throughput host -> ns (-R), Gbit/s" \
	"$(v pasta_down)" "$(v veth_down)" \
	"$(ratio "$(v pasta_down)" "$(v veth_down)")"
printf '%-44s %12s %12s %10s\n' "UDP ns -> host, 16 KiB datagrams, Gbit/s" \
	"$(v pasta_udp)" "$(v veth_udp)" "$(ratio "$(v pasta_udp)" "$(v veth_udp)")"
printf '%-44s %12s %12s %10s\n' "request/response 1 B, median us" \
	"$(v pasta_lat)" "$(v veth_lat)" "$(ratio "$(v pasta_lat)" "$(v veth_lat)")"
printf '%-44s %12s %12s %10s\n' "request/response 1 B, 99th percentile us" \
	"$(v pasta_p99)" "$(v veth_p99)" "$(ratio "$(v pasta_p99)" "$(v veth_p99)")"
printf '%-44s %12s %12s %10s\n' "connections per second" \
	"$(v pasta_cps)" "$(v veth_cps)" "$(ratio "$(v pasta_cps)" "$(v veth_cps)")"
echo
printf '%-44s %12s %12s %10s\n' "TCP, spliced path (-t from host loopback)" \
	"pasta" "loopback" "pasta/lo"
printf '%-44s %12s %12s %10s\n' "--------------------------------------------" \
	"------------" "------------" "----------"
printf '%-44s %12s %12s %10s\n' "throughput host -> ns, Gbit/s" \
	"$(v splice_up)" "$(v lo_up)" "$(ratio "$(v splice_up)" "$(v lo_up)")"
printf '%-44s %12s %12s %10s\n' "throughput ns -> host (-R), Gbit/s" \
	"$(v splice_down)" "$(v lo_down)" "$(ratio "$(v splice_down)" "$(v lo_down)")"
echo
printf '%-44s %12s\n' "pasta CPU s per GB, ns -> host" "${C[pasta_up]:-n/a}"
printf '%-44s %12s\n' "pasta CPU s per GB, host -> ns" "${C[pasta_down]:-n/a}"
printf '%-44s %12s\n' "pasta CPU s per GB, spliced, host -> ns" "${C[splice_up]:-n/a}"
printf '%-44s %12s\n' "pasta CPU s per GB, spliced, ns -> host" "${C[splice_down]:-n/a}"
printf '%-44s %12s\n' "pasta peak RSS (VmHWM), kB" "${hwm:-n/a}"
printf '%-44s %12s\n' "pasta RSS at the end (VmRSS), kB" "${rss:-n/a}"
printf '%-44s %12s\n' "loopback request/response 1 B, median us" "$(v lo_lat)"
printf '%-44s %12s\n' "loopback connections per second" "$(v lo_cps)"
echo "(ratios: pasta/veth; above 1 is better for throughput and" \
     "connections, worse for latency)"

if [ "$ERRORS" != 0 ]; then
	echo "bench: $ERRORS measurement(s) failed" >&2
	exit 1
fi
