#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/bench.sh - benchmark of pasta next to its ceiling, the kernel's own
# paths between the same kind of endpoints, in the same run (`make bench`,
# as root).  Every row is measured for each implementation right after the
# other, so that a change in the machine's load hits them alike:
#
# - tap path, next to a veth pair between two namespaces with pasta's MTU
#   (65520): client in pasta's namespace, server on the host namespace's
#   loopback reached through the gateway address
#   - iperf3 TCP, namespace -> host and host -> namespace (-R), one
#     stream and four (-P 4)
#   - iperf3 UDP, both directions, 64 B and 16 KiB datagrams at full speed
#     (-b 0): packets/s and Gbit/s that arrived at the receiver, and the
#     loss there
#   - request/response (BENCH_RR_SIZE bytes back and forth over one TCP
#     connection, median and 99th percentile) and connections per second
#     (connect, BENCH_RR_SIZE bytes echoed, close), outbound (namespace
#     -> host) and inbound: a client in the host namespace to the host's
#     own address on a -t port (not loopback: tap path); the veth the
#     other way round.  Both measured by test/bench_rr (C: a client that
#     costs little next to the path); in every namespace of the run,
#     local ports from 10000 and TIME_WAIT reuse (net.ipv4.tcp_tw_reuse
#     1), or the client's TIME_WAIT sockets fill the port range within
#     seconds and connect() then spends its time looking for a free one
# - spliced path, next to plain loopback TCP in the host namespace:
#   - iperf3 TCP over a -t port from the host's loopback (host ->
#     namespace, and -R)
#   - request/response and connections per second inbound (client on the
#     host's loopback to the -t port, echo server in the namespace) and
#     outbound (client on the namespace's loopback to a -T port, echo
#     server on the host's loopback)
# - MTU 1500: a second pasta instance with -m 1500 in a namespace of its
#   own, next to a second veth pair with MTU 1500: TCP both ways, UDP
#   namespace -> host with 16 KiB datagrams (IP fragments on the link) and
#   with 1472 B ones (the largest without)
# - pasta's CPU seconds per GB moved (utime + stime of the daemon from
#   /proc/PID/stat around each iperf3 run, over the bytes that arrived)
#   (also for four TCP streams) and its peak RSS (VmHWM)
#
# With BENCH_OTHER_PASTA, every pasta row is measured with that binary too
# (its own instances, namespaces and ports; options common to both only,
# and BENCH_OTHER_ARGS), in columns "other", "other/REF" and "ours/other":
# a comparison with another implementation, e.g. Debian's 2023 pasta
# (test/bench_other.sh fetches it).  BENCH_JSON writes every figure and
# ratio, keyed IMPL.PATH.FIGURE_UNIT (IMPL: ours, other, ref) and
# ratio.A_B.PATH.FIGURE_UNIT, for test/bench_compare.py.
#
# A benchmark, not a test: slowness is reported, never a failure.  It exits
# non-zero only when a measurement could not be made at all.
#
# Environment: BENCH_TIME   seconds per iperf3 run (default 5, at most 10)
#              BENCH_RR     request/response round trips (default 5000)
#              BENCH_RR_SIZE  bytes per request and response (default 64)
#              BENCH_CPS_TIME seconds per connections/s run (default 3)
#              BENCH_PASTA_ARGS  extra options for our pasta instances
#                           (split on white space)
#              BENCH_OTHER_PASTA  another pasta binary to compare with
#              BENCH_OTHER_ARGS  extra options for it (default: --runas 0)
#              BENCH_JSON   write every figure and ratio to this file, a
#                           flat JSON object (test/bench_compare.py
#                           compares two of them)
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
RR_SIZE=${BENCH_RR_SIZE:-64}
CPS_TIME=${BENCH_CPS_TIME:-3}
read -ra OUR_ARGS <<<"${BENCH_PASTA_ARGS:-}"
OTHER=${BENCH_OTHER_PASTA:-}
# Debian's 2023 pasta, started as root, drops to nobody before it joins a
# namespace it didn't create, and then can't: it stays root
read -ra OTHER_ARGS <<<"${BENCH_OTHER_ARGS---runas 0}"
if [ -n "$OTHER" ] && [ ! -x "$OTHER" ]; then
	echo "bench.sh: BENCH_OTHER_PASTA=$OTHER is not executable" >&2
	exit 2
fi
HZ=$(getconf CLK_TCK)
RR_TOOL=$TOPO_ROOT/test/bench_rr
if [ ! -x "$RR_TOOL" ]; then
	echo "bench.sh: no $RR_TOOL: make bench builds it" >&2
	exit 2
fi
ERRORS=0
BENCH_T0=$SECONDS

test_start

# veth_pair() - A B MTU: namespaces A and B joined by a veth pair with MTU,
# VETH_A in A and VETH_B in B
VETH_A=192.0.2.1
VETH_B=192.0.2.2
veth_pair() {
	topo_netns_add "$1"
	topo_netns_add "$2"
	ip -n "$1" link set lo up
	ip -n "$2" link set lo up
	ip -n "$1" link add veth0 mtu "$3" type veth peer name veth0 \
		netns "$2" mtu "$3"
	ip -n "$1" addr add "$VETH_A/24" dev veth0
	ip -n "$2" addr add "$VETH_B/24" dev veth0
	ip -n "$1" link set veth0 up
	ip -n "$2" link set veth0 up
	wait_until 5 topo_link_up "$1" veth0 ||
		fail "veth between $1 and $2: no carrier"
}

# The ceilings: veth pairs with pasta's MTU and with 1500
va=$(topo_netns_name va)
vb=$(topo_netns_name vb)
va15=$(topo_netns_name va15)
vb15=$(topo_netns_name vb15)
veth_pair "$va" "$vb" 65520
veth_pair "$va15" "$vb15" 1500

# Per implementation ("ours", "other"): namespace and PID of the pasta
# instance at its default MTU and of the one at MTU 1500, the -t port
# (from the host into the namespace, spliced from the host's loopback,
# tap from the host's own address) and the -T port (from the namespace's
# loopback to the host's, spliced)
declare -A NS PID NS15 PID15 PIN POUT VER
IMPLS=(ours)
[ -n "$OTHER" ] && IMPLS+=(other)

# bench_pasta() - IMPL BINARY PORTBASE ARGS...: start the two pasta
# instances of IMPL (pasta_ns with BINARY as pasta), -t PORTBASE + 99,
# -T PORTBASE + 98
bench_pasta() {
	local impl=$1 bin=$2 base=$3

	shift 3
	PIN[$impl]=$((base + 99))
	POUT[$impl]=$((base + 98))
	NS[$impl]=$(topo_netns_name "n$impl")
	NS15[$impl]=$(topo_netns_name "m$impl")
	VER[$impl]=$("$bin" --version 2>/dev/null | head -n 1)
	PASTA=$bin pasta_ns "${NS[$impl]}" -t "${PIN[$impl]}" -u none \
		-T "${POUT[$impl]}" -U none "$@"
	PID[$impl]=$PASTA_PID
	PASTA=$bin pasta_ns "${NS15[$impl]}" -m 1500 -t none -u none \
		-T none -U none "$@"
	PID15[$impl]=$PASTA_PID
}

bench_pasta ours "$PASTA" 5300 "${OUR_ARGS[@]}"
[ -n "$OTHER" ] && bench_pasta other "$OTHER" 5400 "${OTHER_ARGS[@]}"

# Connections per second: a client (and pasta, where it closes a host socket
# first) keeps a TIME_WAIT socket per connection; room for them, above the
# ports the run binds.  Per namespace: the machine's own stay as they are
for ns in "$va" "$vb" "$va15" "$vb15" "$HOST_NS" "${NS[@]}" "${NS15[@]}"; do
	ns_run "$ns" sysctl -qw net.ipv4.ip_local_port_range="10000 65535" \
		net.ipv4.tcp_tw_reuse=1
done

# R[IMPL.KEY]: the figures, IMPL "ours", "other" or "ref" (the kernel's
# path); the unit ends KEY
declare -A R

# use_port() - [FIXED]: set port to FIXED, or to a port not used before
# (from 5100 on, below the forwarded ones)
next_port=5100
port=""
use_port() {
	if [ -n "$1" ]; then
		port=$1
	else
		next_port=$((next_port + 1))
		port=$next_port
	fi
}

# bad() - IMPL.KEY WHAT: record a measurement that failed
bad() {
	R[$1]=error
	ERRORS=$((ERRORS + 1))
	printf 'bench: %s failed: %s\n' "$1" "$2" >&2
}

# ends() - IMPL PATH: the endpoints of PATH for IMPL in E: pasta's PID
# (none for the kernel's path), server namespace and address to bind, client
# namespace, address to connect to and port (empty: pick a new one)
#
# PATH: tap_out	client in the namespace, server on the host
#       tap_in	client on the host to its own address, a -t port
#       splice_in	client on the host's loopback, a -t port
#       splice_out	client on the namespace's loopback, a -T port
#       m1500	as tap_out, MTU 1500
E=()
ends() {
	case "$1:$2" in
	ref:tap_out)	E=("" "$vb" "$VETH_B" "$va" "$VETH_B" "") ;;
	ref:tap_in)	E=("" "$va" "$VETH_A" "$vb" "$VETH_A" "") ;;
	ref:splice_*)	E=("" "$HOST_NS" 127.0.0.1 "$HOST_NS" 127.0.0.1 "") ;;
	ref:m1500)	E=("" "$vb15" "$VETH_B" "$va15" "$VETH_B" "") ;;
	*:tap_out)	E=("${PID[$1]}" "$HOST_NS" 127.0.0.1 "${NS[$1]}"
			   "$GW_IP4" "") ;;
	*:tap_in)	E=("${PID[$1]}" "${NS[$1]}" 0.0.0.0 "$HOST_NS"
			   "$HOST_IP4" "${PIN[$1]}") ;;
	*:splice_in)	E=("${PID[$1]}" "${NS[$1]}" 0.0.0.0 "$HOST_NS"
			   127.0.0.1 "${PIN[$1]}") ;;
	*:splice_out)	E=("${PID[$1]}" "$HOST_NS" 127.0.0.1 "${NS[$1]}"
			   127.0.0.1 "${POUT[$1]}") ;;
	*:m1500)	E=("${PID15[$1]}" "$HOST_NS" 127.0.0.1 "${NS15[$1]}"
			   "$GW_IP4" "") ;;
	esac
}

# each() - FUNC KEY PATH [ARGS...]: FUNC IMPL KEY <ends IMPL PATH> ARGS for
# every implementation and the kernel's path, one after the other
each() {
	local fn=$1 key=$2 path=$3 impl

	shift 3
	for impl in "${IMPLS[@]}" ref; do
		ends "$impl" "$path"
		"$fn" "$impl" "$key" "${E[@]}" "$@"
	done
}

# iperf_run() - IMPL KEY PID SNS SBIND CNS CADDR PORT [IPERF3 ARGS]: one
# iperf3 run against a one-off server; sets CAP_OUT (the client's JSON
# report) and IPERF_TICKS, the CPU ticks PID used meanwhile; records an
# error for IMPL.KEY_gbps and returns 1 if it failed
IPERF_TICKS=0
iperf_run() {
	local k=$1.$2 pid=$3 sns=$4 sbind=$5 cns=$6 caddr=$7 spid t0=0 t1=0

	use_port "$8"
	shift 8
	bg_ns "$sns" "$TOPO_TMP/iperf-s-$k.log" timeout $((T + 30)) \
		iperf3 -s -1 -B "$sbind" -p "$port"
	spid=$BG_PID
	if ! wait_listen "$sns" "$port" 10; then
		stop "$spid"
		bad "${k}_gbps" "no iperf3 server on $sbind port $port"
		return 1
	fi
	if [ -n "$pid" ]; then t0=$(daemon_cpu_ticks "$pid"); fi
	capture ns_run "$cns" timeout $((T + 30)) iperf3 -c "$caddr" \
		-p "$port" -t "$T" -J "$@"
	if [ -n "$pid" ]; then t1=$(daemon_cpu_ticks "$pid"); fi
	IPERF_TICKS=$((t1 - t0))
	reap "$spid" 10
	if [ "$CAP_RC" != 0 ]; then
		bad "${k}_gbps" "iperf3 -c $caddr -p $port $* (exit $CAP_RC):
$(json_get "$CAP_OUT" error)
$(printf '%s\n' "$CAP_ERR" | head -n 5)"
		return 1
	fi
}

# cpu_per_gb() - IMPL.KEY PID BYTES: pasta's CPU seconds per GB that
# arrived, from IPERF_TICKS, in R[IMPL.KEY_cpu_s_per_gb]
cpu_per_gb() {
	[ -n "$2" ] || return 0
	R[${1}_cpu_s_per_gb]=$(awk -v t="$IPERF_TICKS" -v hz="$HZ" -v b="$3" \
		'BEGIN { printf "%.2f", (t / hz) / (b / 1e9) }')
}

# gbps() - BITS_PER_SECOND: Gbit/s, three decimals below 1
gbps() {
	awk -v b="$1" 'BEGIN { printf (b < 1e9 ? "%.3f" : "%.2f"), b / 1e9 }'
}

# tcp() - IMPL KEY PID SNS SBIND CNS CADDR PORT [IPERF3 ARGS]: TCP
# throughput in R[IMPL.KEY_gbps], pasta's CPU cost in ..._cpu_s_per_gb
tcp() {
	local k=$1.$2 pid=$3 bytes bps

	iperf_run "$@" || return 0
	bytes=$(json_get "$CAP_OUT" end.sum_received.bytes)
	bps=$(json_get "$CAP_OUT" end.sum_received.bits_per_second)
	if [ -z "$bytes" ] || [ "$bytes" = 0 ]; then
		bad "${k}_gbps" "iperf3: nothing received"
		return 0
	fi
	R[${k}_gbps]=$(gbps "$bps")
	cpu_per_gb "$k" "$pid" "$bytes"
}

# udp() - IMPL KEY PID SNS SBIND CNS CADDR PORT LEN [IPERF3 ARGS]: UDP at
# full speed, LEN bytes per datagram; at the receiver: datagrams per
# second in R[IMPL.KEY_pps], Gbit/s in ..._gbps, and the share of the
# datagrams sent that never arrived in ..._loss_pct (nothing arriving is a
# result, 100 % loss, not a failure)
udp() {
	local k=$1.$2 pid=$3 len=$9 s=end.sum_received bytes bps sent got lost
	local secs

	set -- "${@:1:8}" "${@:10}"
	iperf_run "$@" -u -b 0 -l "$len" || return 0
	bytes=$(json_get "$CAP_OUT" "$s.bytes")
	bps=$(json_get "$CAP_OUT" "$s.bits_per_second")
	# the receiver's "packets" is the highest sequence number it saw
	got=$(json_get "$CAP_OUT" "$s.packets")
	lost=$(json_get "$CAP_OUT" "$s.lost_packets")
	got=$((${got:-0} - ${lost:-0}))
	secs=$(json_get "$CAP_OUT" "$s.seconds")
	sent=$(json_get "$CAP_OUT" end.sum_sent.packets)
	if [ -z "$sent" ] || [ "$sent" = 0 ] || [ -z "$secs" ]; then
		bad "${k}_gbps" "iperf3 -u: nothing sent"
		return 0
	fi
	[ "$got" -ge 0 ] || got=0
	R[${k}_gbps]=$(gbps "${bps:-0}")
	R[${k}_pps]=$(awk -v g="$got" -v s="$secs" \
		'BEGIN { r = s > 0 ? g / s : 0; printf "%.0f", r }')
	R[${k}_loss_pct]=$(awk -v g="$got" -v n="$sent" \
		'BEGIN { l = 100 * (n - g) / n; printf "%.1f", (l > 0 ? l : 0) }')
	[ "${bytes:-0}" = 0 ] || cpu_per_gb "$k" "$pid" "$bytes"
}

# rr() - IMPL KEY PID SNS SBIND CNS CADDR PORT DIR: against test/bench_rr's
# echo server, request/response median and 99th percentile in
# R[IMPL.KEY.rr_DIR_p50_us] and ..._p99_us, connections per second in
# R[IMPL.KEY.cps_DIR_per_s]
rr() {
	local k=$1.$2 sns=$4 sbind=$5 cns=$6 caddr=$7 dir=$9 spid

	use_port "$8"
	bg_ns "$sns" "$TOPO_TMP/echo-$k.$dir.log" "$RR_TOOL" server "$sbind" \
		"$port"
	spid=$BG_PID
	if ! wait_listen "$sns" "$port" 10; then
		stop "$spid"
		bad "$k.rr_${dir}_p50_us" "no echo server on $sbind port $port"
		return 0
	fi
	capture ns_run "$cns" timeout 120 "$RR_TOOL" rr "$caddr" "$port" \
		"$RR" "$RR_SIZE"
	if [ "$CAP_RC" = 0 ]; then
		R[$k.rr_${dir}_p50_us]=$(json_get "$CAP_OUT" p50_us)
		R[$k.rr_${dir}_p99_us]=$(json_get "$CAP_OUT" p99_us)
	else
		bad "$k.rr_${dir}_p50_us" "request/response: $CAP_ERR"
	fi
	capture ns_run "$cns" timeout $((CPS_TIME + 30)) "$RR_TOOL" cps \
		"$caddr" "$port" "$CPS_TIME" "$RR_SIZE"
	if [ "$CAP_RC" = 0 ]; then
		R[$k.cps_${dir}_per_s]=$(json_get "$CAP_OUT" per_s)
	else
		bad "$k.cps_${dir}_per_s" "connections per second: $CAP_ERR"
	fi
	stop "$spid"
}

echo "bench: ${T} s per iperf3 run, $RR round trips of $RR_SIZE B per" \
     "latency run, ${CPS_TIME} s per connections/s run; $(nproc) CPUs," \
     "$(uname -r)"
for impl in "${IMPLS[@]}"; do
	echo "bench: $impl: ${VER[$impl]:-?}, PID ${PID[$impl]}" \
	     "(MTU 1500: ${PID15[$impl]})"
done
[ ${#OUR_ARGS[@]} = 0 ] || echo "bench: ours with ${OUR_ARGS[*]}"

each tcp tap.tcp_up tap_out
each tcp tap.tcp_down tap_out -R
each tcp tap.tcp4_up tap_out -P 4
each tcp tap.tcp4_down tap_out -R -P 4
each udp tap.udp64_up tap_out 64
each udp tap.udp64_down tap_out 64 -R
each udp tap.udp16k_up tap_out 16384
each udp tap.udp16k_down tap_out 16384 -R
each rr tap tap_out out
each rr tap tap_in in
each tcp splice.tcp_down splice_in
each tcp splice.tcp_up splice_in -R
each rr splice splice_in in
each rr splice splice_out out
each tcp m1500.tcp_up m1500
each tcp m1500.tcp_down m1500 -R
each udp m1500.udp16k_up m1500 16384
each udp m1500.udp1472_up m1500 1472
for impl in "${IMPLS[@]}"; do
	R[$impl.mem.vmhwm_kb]=$(daemon_status "${PID[$impl]}" VmHWM)
	R[$impl.mem.vmrss_kb]=$(daemon_status "${PID[$impl]}" VmRSS)
done

# ratio() - A B: A / B, or "-"
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0)
			printf "%.2f", a / b
		else
			printf "-"
	}'
}

# v() - IMPL.KEY: the figure, "-" if none
v() {
	printf '%s' "${R[$1]:--}"
}

# line() - LABEL COLUMNS...: one line of the table
line() {
	printf '%-42s' "$1"
	shift
	printf ' %10s' "$@"
	printf '\n'
}

# table_head() - TITLE REF: the head of a table, REF the name of the
# kernel's path, "" for pasta's own costs
TREF=""
table_head() {
	local dash=----------

	TREF=$2
	echo
	if [ -n "$TREF" ] && [ -n "$OTHER" ]; then
		line "$1" ours "$TREF" "ours/$TREF" other "other/$TREF" \
			ours/other
		line "$DASH" $dash $dash $dash $dash $dash $dash
	elif [ -n "$TREF" ]; then
		line "$1" pasta "$TREF" "pasta/$TREF"
		line "$DASH" $dash $dash $dash
	elif [ -n "$OTHER" ]; then
		line "$1" ours other ours/other
		line "$DASH" $dash $dash $dash
	else
		line "$1" pasta
		line "$DASH" $dash
	fi
}
DASH=$(printf '%042d' 0 | tr 0 -)

# row() - KEY LABEL: a line of figures; ratios to the kernel's path unless
# the figure is a loss (no ratios) or a cost of pasta's (only ours/other);
# ratios kept in R[ratio.*]
row() {
	local key=$1 o x r ro="-" rx="-" ox="-"

	o=$(v "ours.$key")
	x=$(v "other.$key")
	r=$(v "ref.$key")
	case "$key" in
	*_loss_pct) ;;
	*)
		ro=$(ratio "$o" "$r")
		rx=$(ratio "$x" "$r")
		ox=$(ratio "$o" "$x")
		;;
	esac
	[ "$ro" = - ] || R[ratio.ours_ref.$key]=$ro
	[ "$rx" = - ] || R[ratio.other_ref.$key]=$rx
	[ "$ox" = - ] || R[ratio.ours_other.$key]=$ox
	if [ -n "$TREF" ] && [ -n "$OTHER" ]; then
		line "$2" "$o" "$r" "$ro" "$x" "$rx" "$ox"
	elif [ -n "$TREF" ]; then
		line "$2" "$o" "$r" "$ro"
	elif [ -n "$OTHER" ]; then
		line "$2" "$o" "$x" "$ox"
	else
		line "$2" "$o"
	fi
}

# rr_rows() - PATH DIR LABEL: request/response and connections/s rows
rr_rows() {
	row "$1.rr_${2}_p50_us" "RR $RR_SIZE B $3, median us"
	row "$1.rr_${2}_p99_us" "RR $RR_SIZE B $3, 99th pct us"
	row "$1.cps_${2}_per_s" "connections/s $3"
}

# udp_rows() - KEY LABEL: packets/s, Gbit/s and loss rows
udp_rows() {
	row "${1}_pps" "$2, packets/s"
	row "${1}_gbps" "$2, Gbit/s"
	row "${1}_loss_pct" "$2, loss %"
}

table_head "TCP and UDP, tap path" veth
row tap.tcp_up_gbps "TCP ns -> host, Gbit/s"
row tap.tcp_down_gbps "TCP host -> ns, Gbit/s"
row tap.tcp4_up_gbps "TCP ns -> host, 4 streams, Gbit/s"
row tap.tcp4_down_gbps "TCP host -> ns, 4 streams, Gbit/s"
udp_rows tap.udp64_up "UDP ns -> host, 64 B"
udp_rows tap.udp16k_up "UDP ns -> host, 16 KiB"
udp_rows tap.udp64_down "UDP host -> ns, 64 B"
udp_rows tap.udp16k_down "UDP host -> ns, 16 KiB"
rr_rows tap out "ns -> host"
rr_rows tap in "host -> ns (-t)"

table_head "spliced path (loopback)" lo
row splice.tcp_down_gbps "TCP host -> ns (-t), Gbit/s"
row splice.tcp_up_gbps "TCP ns -> host (-t, -R), Gbit/s"
rr_rows splice in "host -> ns (-t)"
rr_rows splice out "ns -> host (-T)"

table_head "MTU 1500, tap path (and veth)" veth
row m1500.tcp_up_gbps "TCP ns -> host, Gbit/s"
row m1500.tcp_down_gbps "TCP host -> ns, Gbit/s"
udp_rows m1500.udp16k_up "UDP ns -> host, 16 KiB"
udp_rows m1500.udp1472_up "UDP ns -> host, 1472 B"

table_head "pasta's cost" ""
row tap.tcp_up_cpu_s_per_gb "CPU s/GB, TCP ns -> host"
row tap.tcp_down_cpu_s_per_gb "CPU s/GB, TCP host -> ns"
row tap.tcp4_up_cpu_s_per_gb "CPU s/GB, TCP ns -> host, 4 streams"
row tap.tcp4_down_cpu_s_per_gb "CPU s/GB, TCP host -> ns, 4 streams"
row tap.udp16k_up_cpu_s_per_gb "CPU s/GB, UDP 16 KiB ns -> host"
row tap.udp16k_down_cpu_s_per_gb "CPU s/GB, UDP 16 KiB host -> ns"
row splice.tcp_down_cpu_s_per_gb "CPU s/GB, spliced TCP host -> ns"
row splice.tcp_up_cpu_s_per_gb "CPU s/GB, spliced TCP ns -> host"
row m1500.tcp_up_cpu_s_per_gb "CPU s/GB, MTU 1500 TCP ns -> host"
row m1500.tcp_down_cpu_s_per_gb "CPU s/GB, MTU 1500 TCP host -> ns"
row m1500.udp1472_up_cpu_s_per_gb "CPU s/GB, MTU 1500 UDP 1472 B ns -> host"
row mem.vmhwm_kb "peak RSS (VmHWM), kB"
row mem.vmrss_kb "RSS at the end (VmRSS), kB"
echo "(ratios above 1 are better for throughput, packets/s and" \
     "connections/s, worse for latency, CPU and memory; loss: the" \
     "receiver's)"
echo "bench: $((SECONDS - BENCH_T0)) s"

if [ -n "${BENCH_JSON:-}" ]; then
	R[meta.time]=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	R[meta.kernel]=$(uname -r)
	R[meta.cpus]=$(nproc)
	R[meta.bench_time_s]=$T
	R[meta.rr_count]=$RR
	R[meta.rr_size_b]=$RR_SIZE
	R[meta.rr_tool]=test/bench_rr
	R[meta.ours_version]=${VER[ours]:-}
	R[meta.ours_args]=${OUR_ARGS[*]:-}
	R[meta.other]=$OTHER
	R[meta.other_version]=${VER[other]:-}
	for k in "${!R[@]}"; do
		printf '%s\t%s\n' "$k" "${R[$k]}"
	done | "$PYTHON" -c '
import json, sys
out = {}
for l in sys.stdin.read().splitlines():
    k, _, v = l.partition("\t")
    try:
        out[k] = float(v) if not k.startswith("meta.") else v
    except ValueError:
        out[k] = v
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
' "$BENCH_JSON"
	echo "bench: figures in $BENCH_JSON"
fi

if [ "$ERRORS" != 0 ]; then
	echo "bench: $ERRORS measurement(s) failed" >&2
	exit 1
fi
