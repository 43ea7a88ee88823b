#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# soak.sh - three daemons under steady mixed traffic for SOAK_TIME seconds
# (600), all at once: pasta over its tap, pasta's spliced path, and passt
# with a "guest" namespace behind relay.py.  For each daemon, in both
# directions (pasta tap: namespace -> gateway -> host loopback, and the
# host's address -> -t/-u -> namespace; pasta spliced: host loopback ->
# -t/-u -> namespace, and namespace loopback -> -T/-U -> host loopback;
# passt: guest -> gateway -> host loopback, and host loopback -> -t/-u ->
# guest), load_tool.py soak-client runs:
#
# - TCP bulk transfers up and down (SOAK_BULK bytes every second each way,
#   checked by SHA-256)
# - request and response on one connection for the whole run (every
#   50 ms, each response compared with its request)
# - connections opened, used and closed at SOAK_CHURN_RATE a second
#   (every other one closed by the server first), each echo checked
# - UDP datagrams echoed (every 50 ms, each checked, none may go missing)
# - and, for pasta's tap and passt, ping to the gateway every 0.2 s
#   (every request answered)
#
# Every few seconds (SOAK_SAMPLE, 5) it samples each daemon's VmRSS, its
# descriptors (minus pasta's pool of namespace sockets and ping sockets,
# see daemon_socks in test/lib/tcp.sh) and CPU time (utime + stime).  At the end, a table
# per daemon: the first minute against the last minute (or the first
# and last third of a run shorter than three minutes): VmRSS, descriptors,
# CPU use, their drift, and CPU time per connection opened.
#
# Exit status 1 if any transfer, response, echo or ping failed; if the
# descriptors grew (their lowest value in the last minute above their
# highest in the first) or, once the TCP traffic has ended, don't come
# back to exactly what they were before it started (UDP and ping flows
# stay open until the end); or if VmRSS grew by more than
# SOAK_RSS_SLACK_KB from the first minute to the last.
#
# "make soak" runs it; test/integration/soak_short.sh runs 45 s of it in
# "make check".  Must run as root.
#
# Environment:
#   SOAK_TIME           seconds of traffic (600)
#   SOAK_SAMPLE         seconds between samples (5)
#   SOAK_RSS_SLACK_KB   VmRSS growth allowed, first to last minute (2048)
#   SOAK_BULK           bytes of each bulk transfer (2097152)
#   SOAK_CHURN_RATE     connections opened a second, per direction (10)
#   PASST_BIN_DIR       directory holding passt and pasta (repo root)
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tcp.sh"

T=${SOAK_TIME:-600}
SAMPLE=${SOAK_SAMPLE:-5}
RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-2048}
BULK=${SOAK_BULK:-2097152}
CHURN=${SOAK_CHURN_RATE:-10}
TOOL="$TOPO_ROOT/test/integration/load_tool.py"
EXTRA=15	# UDP and ping go on this long after the TCP traffic

if [ "$(id -u)" != 0 ]; then
	echo "soak.sh: must run as root" >&2
	exit 2
fi

P_TAP_OUT=22001	# pasta (tap): server on the host's loopback, via the gateway
P_TAP_IN=22002	# pasta (tap): -t -u, server in the namespace
P_SPL_T=22011	# pasta (spliced): -t -u, server in the namespace
P_SPL_TT=22012	# pasta (spliced): -T -U, server on the host's loopback
P_PST_OUT=22021	# passt: server on the host's loopback, via the gateway
P_PST_IN=22022	# passt: -t -u, server in the guest

test_start
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

# ------------------------------------------------------------- daemons

ns_tap=$(topo_netns_name tap)
pasta_ns "$ns_tap" -t "$P_TAP_IN" -u "$P_TAP_IN" -T none -U none
PID_TAP=$PASTA_PID
ns_spl=$(topo_netns_name spl)
pasta_ns "$ns_spl" -t "$P_SPL_T" -u "$P_SPL_T" -T "$P_SPL_TT" -U "$P_SPL_TT"
PID_SPL=$PASTA_PID

sock="$TOPO_TMP/passt.sock"
passt_start "$sock" "$TOPO_TMP/passt.log" -t "$P_PST_IN" -u "$P_PST_IN"
PID_PST=$PASST_PID
guest=$(topo_netns_name guest)
guest_ns_tap "$guest" 65520
bg_ns "$guest" "$TOPO_TMP/relay.log" "$PYTHON" "$RELAY" --sock "$sock" \
	--tap tap0
guest_ns_config "$guest"

DAEMONS="tap spl pst"
declare -A PID=([tap]=$PID_TAP [spl]=$PID_SPL [pst]=$PID_PST)
declare -A NAME=([tap]="pasta (tap)" [spl]="pasta (spliced)" [pst]="passt")
declare -A NSOF=([tap]=$ns_tap [spl]=$ns_spl [pst]=$guest)

# held() - D: descriptors of daemon D but pasta's pool of namespace sockets
# and ping sockets (the soak's ping keeps its flow for the whole run; others
# come and go on their own timer)
held() {
	daemon_socks "${PID[$1]}" held "${NSOF[$1]}"
}

# ------------------------------------------------------------- servers

# server() - NS BIND PORT: a soak-server, TCP and UDP
SERVERS=()
server() {
	bg_ns "$1" "$TOPO_TMP/srv.$3.json" "$PYTHON" "$TOOL" soak-server \
		--bind "$2" --port "$3" --timeout $((T + 300))
	SERVERS+=("$BG_PID:$3")
	wait_listen "$1" "$3" || fail "no soak server on port $3 in $1"
}
server "$HOST_NS" 127.0.0.1 "$P_TAP_OUT"
server "$ns_tap" 0.0.0.0 "$P_TAP_IN"
server "$ns_spl" 0.0.0.0 "$P_SPL_T"
server "$HOST_NS" 127.0.0.1 "$P_SPL_TT"
server "$HOST_NS" 127.0.0.1 "$P_PST_OUT"
server "$guest" 0.0.0.0 "$P_PST_IN"

# The clients of each daemon: "NS ADDR PORT", one line per direction
declare -A CLIENTS=(
	[tap]="$ns_tap $GW_IP4 $P_TAP_OUT
$HOST_NS $HOST_IP4 $P_TAP_IN"
	[spl]="$HOST_NS 127.0.0.1 $P_SPL_T
$ns_spl 127.0.0.1 $P_SPL_TT"
	[pst]="$guest $GW_IP4 $P_PST_OUT
$HOST_NS 127.0.0.1 $P_PST_IN"
)

# ------------------------------------------- UDP and ping, the whole run

UDP_PIDS=()
PINGS=()
for d in $DAEMONS; do
	while read -r cns caddr port; do
		bg_ns "$cns" "$TOPO_TMP/udp.$d.$port.json" "$PYTHON" "$TOOL" \
			soak-client --connect "$caddr" --port "$port" --udp \
			--duration $((T + EXTRA)) --seed "$port"
		UDP_PIDS+=("$BG_PID:$d:$port")
	done <<<"${CLIENTS[$d]}"
done
for d in tap pst; do
	bg_ns "${NSOF[$d]}" "$TOPO_TMP/ping.$d.out" ping -4 -n -q \
		-c $(((T + EXTRA) * 5)) -i 0.2 -W 5 "$GW_IP4"
	PINGS+=("$BG_PID:$d")
done
sleep 3

declare -A BASE
for d in $DAEMONS; do
	BASE[$d]=$(held "$d")
done

# ---------------------------------------------------------- TCP traffic

TCP_PIDS=()
for d in $DAEMONS; do
	while read -r cns caddr port; do
		bg_ns "$cns" "$TOPO_TMP/tcp.$d.$port.json" "$PYTHON" "$TOOL" \
			soak-client --connect "$caddr" --port "$port" --tcp \
			--duration "$T" --bulk "$BULK" --churn-rate "$CHURN" \
			--seed "$port"
		TCP_PIDS+=("$BG_PID")
	done <<<"${CLIENTS[$d]}"
done
info "soak: $T s of traffic through ${NAME[tap]} (PID $PID_TAP)," \
     "${NAME[spl]} (PID $PID_SPL) and passt (PID $PID_PST)"

t0=$SECONDS
for d in $DAEMONS; do
	: >"$TOPO_TMP/samples.$d"
done
# sample() - One line per daemon: seconds, VmRSS kB, descriptors, ticks
sample() {
	local d

	for d in $DAEMONS; do
		printf '%s %s %s %s\n' $((SECONDS - t0)) \
			"$(daemon_status "${PID[$d]}" VmRSS)" "$(held "$d")" \
			"$(daemon_cpu_ticks "${PID[$d]}")" >>"$TOPO_TMP/samples.$d"
	done
}
any_running() {
	local p

	for p in "${TCP_PIDS[@]}"; do
		pid_alive "$p" && return 0
	done
	return 1
}
next=0
while any_running && [ $((SECONDS - t0)) -le $((T + 120)) ]; do
	if [ $((SECONDS - t0)) -ge "$next" ]; then
		sample
		next=$((next + SAMPLE))
	fi
	sleep 0.5
done
sample
tcp_end=$((SECONDS - t0))

# ------------------------------------------------------------ results

declare -A CONNS
for d in $DAEMONS; do
	CONNS[$d]=0
done
i=0
for d in $DAEMONS; do
	while read -r cns caddr port; do
		reap "${TCP_PIDS[$i]}" 60
		i=$((i + 1))
		rep=$(grep '^{' "$TOPO_TMP/tcp.$d.$port.json" | tail -n 1)
		if [ "$REAP_RC" = 0 ] && [ -n "$rep" ]; then
			ok "${NAME[$d]}: TCP from $cns to $caddr port $port: every" \
			   "transfer, response and echo intact ($rep)"
		else
			tfail "${NAME[$d]}: TCP from $cns to $caddr port $port" \
			      "(exit $REAP_RC): ${rep:-no report}"
		fi
		CONNS[$d]=$((CONNS[$d] + $(json_get "$rep" conns || echo 0)))
	done <<<"${CLIENTS[$d]}"
done

# Once the TCP traffic is over, the descriptors come back to what they
# were before it (UDP and ping flows are still there, as they were)
# settled() - D: daemon D holds no more than before, and no more
# unconnected sockets than pasta's pool
settled() {
	[ "$(held "$1")" -le "${BASE[$1]}" ] &&
	[ "$(daemon_pool_socks "${PID[$1]}" "${NSOF[$1]}")" -le 64 ]
}
for d in $DAEMONS; do
	wait_until 60 settled "$d" || true
	got=$(held "$d")
	if [ "$got" = "${BASE[$d]}" ]; then
		ok "${NAME[$d]}: after the TCP traffic, descriptors back to" \
		   "${BASE[$d]}, as before it"
	else
		tfail "${NAME[$d]}: after the TCP traffic, $got descriptors," \
		      "${BASE[$d]} before it"
	fi
done

for u in "${UDP_PIDS[@]}"; do
	IFS=: read -r p d port <<<"$u"
	reap "$p" $((EXTRA + 60))
	rep=$(grep '^{' "$TOPO_TMP/udp.$d.$port.json" | tail -n 1)
	if [ "$REAP_RC" = 0 ] && [ -n "$rep" ]; then
		ok "${NAME[$d]}: UDP to port $port: every datagram echoed" \
		   "intact ($rep)"
	else
		tfail "${NAME[$d]}: UDP to port $port (exit $REAP_RC):" \
		      "${rep:-no report}"
	fi
done
for u in "${PINGS[@]}"; do
	IFS=: read -r p d <<<"$u"
	reap "$p" 30
	n=$(((T + EXTRA) * 5))
	line=$(grep 'packets transmitted' "$TOPO_TMP/ping.$d.out" || true)
	if [ "$REAP_RC" = 0 ] &&
	   has_token "$line" "$n packets transmitted, $n received"; then
		ok "${NAME[$d]}: ping: $line"
	else
		tfail "${NAME[$d]}: ping (exit $REAP_RC): ${line:-no summary}"
	fi
done

for d in $DAEMONS; do
	pid_alive "${PID[$d]}" || tfail "${NAME[$d]} (PID ${PID[$d]}) died"
done

# The tables: first window against the last
W=60
[ "$tcp_end" -ge 180 ] || W=$((tcp_end / 3))
[ "$W" -ge "$SAMPLE" ] || W=$SAMPLE
HZ=$(getconf CLK_TCK)
for d in $DAEMONS; do
	res=$(awk -v w="$W" -v end="$tcp_end" -v hz="$HZ" \
		  -v conns="${CONNS[$d]}" '
		NR == 1 { t0 = $1; k0 = $4 }
		{ t = $1; k = $4 }
		# The first sample is in the first window even if a slow
		# machine took it late
		$1 < w || NR == 1 {
			if (!f++) { fr = $2; fmin = $3; fmax = $3; ft0 = $1; fk0 = $4 }
			if ($2 > fr) fr = $2
			if ($3 < fmin) fmin = $3
			if ($3 > fmax) fmax = $3
			ft1 = $1; fk1 = $4
		}
		$1 >= end - w {
			if (!l++) { lr = $2; lmin = $3; lmax = $3; lt0 = $1; lk0 = $4 }
			if ($2 > lr) lr = $2
			if ($3 < lmin) lmin = $3
			if ($3 > lmax) lmax = $3
			lt1 = $1; lk1 = $4
		}
		END {
			fc = ft1 > ft0 ? (fk1 - fk0) * 100 / hz / (ft1 - ft0) : 0
			lc = lt1 > lt0 ? (lk1 - lk0) * 100 / hz / (lt1 - lt0) : 0
			cpu = (k - k0) / hz
			printf "%d %d %d %d %d %d %.1f %.1f %.2f %d %.3f\n", fr, lr,
				fmin, fmax, lmin, lmax, fc, lc, cpu, NR,
				conns ? cpu * 1000 / conns : 0
		}' "$TOPO_TMP/samples.$d")
	read -r fr lr fmin fmax lmin lmax fc lc cpu n per <<<"$res"
	info ""
	info "${NAME[$d]}, PID ${PID[$d]}: $tcp_end s, $n samples, windows" \
	     "of $W s"
	info "$(printf '%-22s %16s %16s %10s' "" "first $W s" "last $W s" drift)"
	info "$(printf '%-22s %16s %16s %10s' "VmRSS kB (max)" "$fr" "$lr" \
		"$((lr - fr))")"
	info "$(printf '%-22s %16s %16s %10s' "descriptors (min-max)" \
		"$fmin-$fmax" "$lmin-$lmax" "$((lmin - fmax))")"
	info "$(printf '%-22s %16s %16s' "CPU %" "$fc" "$lc")"
	info "CPU time $cpu s for ${CONNS[$d]} connections opened: $per ms" \
	     "per connection (all of its CPU time, bulk included)"
	if [ $((lr - fr)) -le "$RSS_SLACK_KB" ]; then
		ok "${NAME[$d]}: VmRSS drift $((lr - fr)) kB (slack" \
		   "$RSS_SLACK_KB kB)"
	else
		tfail "${NAME[$d]}: VmRSS grew by $((lr - fr)) kB from the first" \
		      "$W s to the last"
	fi
	if [ "$lmin" -le "$fmax" ]; then
		ok "${NAME[$d]}: descriptors don't grow (last $W s: $lmin-$lmax," \
		   "first: $fmin-$fmax)"
	else
		tfail "${NAME[$d]}: descriptors grew: $lmin-$lmax in the last" \
		      "$W s, $fmin-$fmax in the first"
	fi
done

for s in "${SERVERS[@]}"; do
	IFS=: read -r p port <<<"$s"
	stop "$p"
	rep=$(grep '^{' "$TOPO_TMP/srv.$port.json" | tail -n 1)
	if [ "$(json_get "$rep" errors)" = 0 ]; then
		ok "server on port $port: no errors"
	else
		tfail "server on port $port: ${rep:-no report}"
	fi
done

soft_finish
echo "soak: all checks passed"
