#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# load.sh - pasta under load, checked on data and on what the daemon
# holds (VmRSS from /proc/PID/status, descriptors in /proc/PID/fd):
#
# - TCP over the tap: LOAD_CONNS (10000) connections from the namespace
#   to the gateway address (a server on the host namespace's loopback),
#   all open at once at the peak (the server's namespace shows them all
#   established); on each, 1 KiB of its own sent and echoed back intact,
#   then a clean close (the client's FIN, the server's end of file, no
#   reset)
# - TCP spliced: the same from the host's loopback through -t to a server
#   in the namespace, as many connections as pasta's descriptor limit
#   holds, up to LOAD_CONNS (a spliced connection takes two sockets and
#   two pipes: with the hard limit of 20000 descriptors a process may
#   have on a machine without CAP_SYS_RESOURCE, about 3300 of them; the
#   test measures what one takes and says how many it opens)
# - beyond pasta's descriptor limit: LOAD_OVER (300) more spliced
#   connections than fit; those that fit are intact, the others are
#   refused or reset, none hangs; then, pasta out of descriptors, one
#   more connection is refused or reset within 5 s, while pasta stays
#   idle (under 30 % of a CPU over 3 s: no busy loop on accept() failing
#   with EMFILE); everything closes cleanly, descriptors back to rest
# - pasta's descriptors and VmRSS at rest (after 100 connections on each
#   path, which touch the buffers a first connection touches), at each
#   peak and after each close: the descriptors must come back to exactly
#   the rest value, VmRSS to within LOAD_RSS_SLACK_KB of it; the table is
#   printed
# - UDP flows filling the flow table: with PASST_FLOW_MAX_TEST=N
#   (LOAD_TABLE_FLOWS, 256) a pasta of its own takes N flows (datagrams
#   from N source ports of the namespace, all received intact); datagrams
#   of LOAD_BEYOND (2000) new flows are dropped (none reaches the server,
#   no reply comes back), with a rate-limited log line ("Flow table
#   full") and no flood (at most 100 lines); the first and the last flow
#   still carry a datagram each way, intact; once the one-way flows expire
#   (30 s) a new flow works again
# - ICMP echo identifiers filling the table the same way: N identifiers
#   answered, LOAD_BEYOND new ones not, the first and the last still
#   answered, a new one answered once the idle ones expire (60 s)
#
# The UDP and ICMP expiry waits overlap the TCP load: a pasta of its own
# for each.  About 80 s on a 2-core machine with the defaults.
#
# Environment:
#   LOAD_CONNS          TCP connections at once on each path (10000)
#   LOAD_SIZE           bytes each way on each connection (1024)
#   LOAD_PARALLEL       handshakes in progress at once (128)
#   LOAD_RSS_SLACK_KB   VmRSS after the close may exceed rest by (8192)
#   LOAD_TABLE_FLOWS    flow table size for the UDP and ICMP checks (256)
#   LOAD_BEYOND         new UDP flows and ICMP ids tried while full (2000)
#   LOAD_OVER           spliced connections tried beyond pasta's limit (300)
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

CONNS=${LOAD_CONNS:-10000}
SIZE=${LOAD_SIZE:-1024}
PARALLEL=${LOAD_PARALLEL:-128}
RSS_SLACK_KB=${LOAD_RSS_SLACK_KB:-8192}
FLOWS=${LOAD_TABLE_FLOWS:-256}
BEYOND=${LOAD_BEYOND:-2000}
LOG_LINES_MAX=100
WARM=100
TOOL="$TOPO_ROOT/test/integration/load_tool.py"

P_TAP=20001	# echo server on the host's loopback, through the gateway
P_SPL=20101	# -t: echo server in the namespace
P_UDP=20201	# UDP server on the host's loopback, through the gateway
SP_FILL=21000	# source ports of the UDP flows filling the table, and up
SP_BEYOND=24000	# source ports of the UDP flows beyond it, and up
SP_AFTER=28000	# source ports of new flows once the table has room again
ID_FILL=1000	# ICMP echo identifiers filling the table, and up
ID_BEYOND=20000	# identifiers beyond it
ID_AFTER=30000	# once the table has room again

test_start

# pasta's ping sockets, in the host namespace
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

# rss() - PID: VmRSS of PID, kB
rss() {
	daemon_status "$1" VmRSS
}

# log_lines() - FILE: lines in a log file
log_lines() {
	wc -l <"$1"
}

# held() - Descriptors of the TCP pasta but its pool of namespace sockets
held() {
	echo $(($(daemon_fds "$PID_T") - $(daemon_pool_socks "$PID_T" "$ns_t")))
}

ROWS=()
# sample() - LABEL: record a row of the table for the TCP pasta
sample() {
	local f p

	f=$(daemon_fds "$PID_T")
	p=$(daemon_pool_socks "$PID_T" "$ns_t")
	ROWS+=("$(printf '%-32s %10s %8s %8s %8s' "$1" "$(rss "$PID_T")" "$f" \
		"$p" $((f - p)))")
}

# ------------------------------------------------------------- daemons

ns_t=$(topo_netns_name tcp)
pasta_ns "$ns_t" -t "$P_SPL" -u none -T none -U none
PID_T=$PASTA_PID
LOG_T=$DAEMON_LOG

PASST_FLOW_MAX_TEST=$FLOWS
export PASST_FLOW_MAX_TEST
ns_u=$(topo_netns_name udp)
pasta_ns "$ns_u" -t none -u none -T none -U none
PID_U=$PASTA_PID
LOG_U=$DAEMON_LOG
ns_i=$(topo_netns_name icmp)
pasta_ns "$ns_i" -t none -u none -T none -U none
PID_I=$PASTA_PID
LOG_I=$DAEMON_LOG
unset PASST_FLOW_MAX_TEST
info "UDP and ICMP: flow table limited to $FLOWS entries (PASST_FLOW_MAX_TEST)"

# ----------------------------------------------- UDP and ICMP: fill up

bg_ns "$HOST_NS" "$TOPO_TMP/udp-srv.out" "$PYTHON" "$TOOL" udp-server \
	--bind 127.0.0.1 --port "$P_UDP" --log "$TOPO_TMP/udp.log" --timeout 280
wait_until 10 bound "$HOST_NS" udp "$P_UDP" || fail "no UDP server"
touch "$TOPO_TMP/udp.log"

# udp_seen() - TAG: datagrams of TAG the server got intact
udp_seen() {
	grep -c "^$1 [0-9]* ok$" "$TOPO_TMP/udp.log" || true
}

# udp_send() - LABEL SPORTS TAG ARGS...: udp-send from the UDP namespace,
# the result in CAP_OUT; a failed check (tfail) if it fails
udp_send() {
	local label=$1 sports=$2 tag=$3

	shift 3
	capture ns_run "$ns_u" timeout 60 "$PYTHON" "$TOOL" udp-send \
		--connect "$GW_IP4" --port "$P_UDP" --sports "$sports" \
		--tag "$tag" "$@"
	if [ "$CAP_RC" = 0 ]; then
		ok "$label ($CAP_OUT)"
		return 0
	fi
	show_capture
	show_log "$LOG_U" "pasta log" 10
	tfail "$label"
}

# icmp_send() - LABEL IDS TAG ARGS...: the same for echo requests
icmp_send() {
	local label=$1 ids=$2 tag=$3

	shift 3
	capture ns_run "$ns_i" timeout 60 "$PYTHON" "$TOOL" icmp \
		--connect "$GW_IP4" --ids "$ids" --tag "$tag" "$@"
	if [ "$CAP_RC" = 0 ]; then
		ok "$label ($CAP_OUT)"
		return 0
	fi
	show_capture
	show_log "$LOG_I" "pasta log" 10
	tfail "$label"
}

u_fds0=$(daemon_fds "$PID_U")
i_fds0=$(daemon_fds "$PID_I")
last_fill=$((SP_FILL + FLOWS - 1))

# UDP: N one-way flows, every datagram received
tcp_check udp_send "UDP: $FLOWS flows from $FLOWS source ports sent" \
	"$SP_FILL-$last_fill" fill
wait_until 5 test "$(udp_seen fill)" -ge "$FLOWS" || true
n=$(udp_seen fill)
if [ "$n" = "$FLOWS" ]; then
	ok "UDP: the table holds $FLOWS flows: the server got all $n" \
	   "datagrams intact"
else
	tfail "UDP: the server got $n of the $FLOWS datagrams filling the" \
	      "table of $FLOWS"
	grep -v ' ok$' "$TOPO_TMP/udp.log" | head -n 5 | sed 's/^/#   /'
fi
u_fds1=$(daemon_fds "$PID_U")
u_log1=$(log_lines "$LOG_U")

# ...then LOAD_BEYOND more, asking for an echo: none may pass
tcp_check udp_send "UDP: table full, $BEYOND new flows, none answered" \
	"$SP_BEYOND-$((SP_BEYOND + BEYOND - 1))" beyond --echo --expect-none \
	--wait 2
sleep 0.5
assert_eq "$(udp_seen beyond)" 0 "UDP: datagrams of flows beyond the table that reached the server"
pid_alive "$PID_U" || fail "pasta (UDP) died with its table full"
u_log2=$(log_lines "$LOG_U")
if [ $((u_log2 - u_log1)) -le "$LOG_LINES_MAX" ]; then
	ok "UDP: log: $((u_log2 - u_log1)) lines for $BEYOND dropped flows" \
	   "(rate limited)"
else
	tfail "UDP: log: $((u_log2 - u_log1)) lines for $BEYOND dropped flows"
	tail -n 5 "$LOG_U" | sed 's/^/#   /'
fi
assert_contains "$(tail -n +"$((u_log1 + 1))" "$LOG_U")" "Flow table full" \
	"UDP: the log says why the new flows are dropped"

# The first and the last flow still work both ways
tcp_check udp_send \
	"UDP: table full, the first and the last flow: a datagram each way, intact" \
	"$SP_FILL,$last_fill" existing --echo
assert_eq "$(daemon_fds "$PID_U")" "$u_fds1" "UDP: pasta's descriptors while full, after the storm"
info "UDP: pasta holds $u_fds0 descriptors at rest, $u_fds1 with the table full"

# ICMP: N identifiers, every one answered
last_id=$((ID_FILL + FLOWS - 1))
tcp_check icmp_send \
	"ICMP: $FLOWS echo identifiers fill the table, each answered intact" \
	"$ID_FILL-$last_id" fill
i_log1=$(log_lines "$LOG_I")
tcp_check icmp_send \
	"ICMP: table full, $BEYOND new identifiers, none answered" \
	"$ID_BEYOND-$((ID_BEYOND + BEYOND - 1))" beyond \
	--expect-none --wait 2
pid_alive "$PID_I" || fail "pasta (ICMP) died with its table full"
i_log2=$(log_lines "$LOG_I")
if [ $((i_log2 - i_log1)) -le "$LOG_LINES_MAX" ]; then
	ok "ICMP: log: $((i_log2 - i_log1)) lines for $BEYOND dropped" \
	   "identifiers (rate limited)"
else
	tfail "ICMP: log: $((i_log2 - i_log1)) lines for $BEYOND dropped" \
	      "identifiers"
	tail -n 5 "$LOG_I" | sed 's/^/#   /'
fi
assert_contains "$(tail -n +"$((i_log1 + 1))" "$LOG_I")" "Flow table full" \
	"ICMP: the log says why the new requests are dropped"
tcp_check icmp_send \
	"ICMP: table full, the first and the last identifier still answered" \
	"$ID_FILL,$last_id" existing --seq 2
i_fds1=$(daemon_fds "$PID_I")
info "ICMP: pasta holds $i_fds0 descriptors at rest, $i_fds1 with the table full"
t_filled=$SECONDS

# ------------------------------------------------------------- TCP load

bg_ns "$HOST_NS" "$TOPO_TMP/srv-tap.json" "$PYTHON" "$TOOL" tcp-server \
	--bind 127.0.0.1 --port "$P_TAP" --size "$SIZE" --timeout 280
SRV_TAP=$BG_PID
bg_ns "$ns_t" "$TOPO_TMP/srv-spliced.json" "$PYTHON" "$TOOL" tcp-server \
	--bind 0.0.0.0 --port "$P_SPL" --size "$SIZE" --timeout 280
SRV_SPL=$BG_PID
wait_listen "$HOST_NS" "$P_TAP" || fail "no TCP server on the host's loopback"
wait_listen "$ns_t" "$P_SPL" || fail "no TCP server in the namespace"

# established() - NS PORT: connections established to PORT, server side
established() {
	ns_run "$1" ss -Htn state established "( sport = :$2 )" | wc -l
}

# load_run() - LABEL CNS CADDR SNS PORT CONNS: CONNS connections from CNS
# to CADDR:PORT (a tcp-server in SNS), held open, then closed; sets
# LOAD_PEAK_FDS to pasta's descriptors with all of them open
LOAD_PEAK_FDS=0
load_run() {
	local label=$1 cns=$2 caddr=$3 sns=$4 port=$5 conns=$6 cpid rep est
	local ready="$TOPO_TMP/ready.$1" release="$TOPO_TMP/release.$1"

	bg_ns "$cns" "$TOPO_TMP/cli.$label.json" "$PYTHON" "$TOOL" tcp-client \
		--connect "$caddr" --port "$port" --conns "$conns" --size "$SIZE" \
		--parallel "$PARALLEL" --timeout 100 --ready "$ready" \
		--release "$release" --wait 60 --close-timeout 60
	cpid=$BG_PID
	if ! wait_until 110 test -s "$ready"; then
		stop "$cpid"
		tfail "$label: the client did not open its connections in 110 s"
		return 1
	fi
	rep=$(cat "$ready")
	est=$(established "$sns" "$port")
	LOAD_PEAK_FDS=$(held)
	sample "$label peak"
	if [ "$(json_get "$rep" intact)" = "$conns" ] &&
	   [ "$(json_get "$rep" held)" = "$conns" ]; then
		ok "$label: $conns connections, $SIZE bytes each way on each," \
		   "echoed intact, all open at once (in $(json_get "$rep" \
		   open_s) s)"
	else
		tfail "$label: not every connection open and intact: $rep"
		show_log "$LOG_T" "pasta log" 10
	fi
	if [ "$est" = "$conns" ]; then
		ok "$label: the server's namespace shows $est connections" \
		   "established at the peak"
	else
		tfail "$label: the server's namespace shows $est connections" \
		      "established at the peak, expected $conns"
	fi
	touch "$release"
	reap "$cpid" 90
	rep=$(grep '^{' "$TOPO_TMP/cli.$label.json" | tail -n 1)
	if [ "$REAP_RC" = 0 ]; then
		ok "$label: all $conns closed cleanly (FIN, then the server's" \
		   "end of file, in $(json_get "$rep" close_s) s)"
	else
		tfail "$label: closing: $rep (exit $REAP_RC)"
	fi
}

# settled() - The TCP pasta holds no more descriptors than at rest, and no
# more unconnected sockets than its pool holds (a connection's socket,
# closed, is not listed by the kernel any more until pasta closes it)
settled() {
	[ "$(held)" -le "$FDS0" ] && [ "$(daemon_pool_socks "$PID_T" "$ns_t")" -le 64 ]
}

# settle() - LABEL: wait (60 s at most) for the TCP pasta's descriptors
# (but its socket pool) to come back to their rest value, record the row,
# check descriptors and VmRSS
settle() {
	local label=$1 t0=$SECONDS got pool r

	wait_until 60 settled || true
	sample "$label"
	got=$(held)
	pool=$(daemon_pool_socks "$PID_T" "$ns_t")
	if [ "$got" = "$FDS0" ]; then
		ok "$label: pasta's descriptors back to $FDS0 (in" \
		   "$((SECONDS - t0)) s), and $pool sockets in its pool"
	else
		tfail "$label: pasta holds $got descriptors (and $pool sockets" \
		      "in its pool), $FDS0 at rest"
	fi
	if [ "$pool" -le 64 ]; then
		ok "$label: pasta's pool of namespace sockets: $pool, at most 64"
	else
		tfail "$label: $pool unconnected sockets, the pool holds 64 at most"
	fi
	r=$(rss "$PID_T")
	if [ "$r" -le $((RSS0 + RSS_SLACK_KB)) ]; then
		ok "$label: VmRSS $r kB, $((r - RSS0)) kB over rest (slack" \
		   "$RSS_SLACK_KB kB)"
	else
		tfail "$label: VmRSS $r kB, $((r - RSS0)) kB over rest, more" \
		      "than $RSS_SLACK_KB kB"
	fi
}

sample "start"
fds_start=$(held)

# Warm-up: what a first connection touches counts as rest; and what one
# connection takes on each path
load_run "warm-up tap" "$ns_t" "$GW_IP4" "$HOST_NS" "$P_TAP" "$WARM"
per_tap=$(((LOAD_PEAK_FDS - fds_start + WARM / 2) / WARM))
wait_until 30 test "$(held)" -le "$fds_start" || true
load_run "warm-up spliced" "$HOST_NS" 127.0.0.1 "$ns_t" "$P_SPL" "$WARM"
per_spl=$(((LOAD_PEAK_FDS - fds_start + WARM / 2) / WARM))
wait_until 30 test "$(held)" -le "$fds_start" || true

FDS0=$(held)
RSS0=$(rss "$PID_T")
sample "rest"
assert_eq "$FDS0" "$fds_start" "pasta's descriptors after the warm-up"

limit=$(awk '$1 == "Max" && $2 == "open" { print $4 }' "/proc/$PID_T/limits")
[ "$per_tap" -ge 1 ] || per_tap=1
[ "$per_spl" -ge 1 ] || per_spl=1
room=$((limit - FDS0 - 64 - 64))	# the pool, and a margin
n_tap=$CONNS
n_spl=$CONNS
[ $((n_tap * per_tap)) -le "$room" ] || n_tap=$((room / per_tap))
[ $((n_spl * per_spl)) -le "$room" ] || n_spl=$((room / per_spl))
info "pasta: descriptor limit $limit; a connection takes $per_tap over" \
     "the tap, $per_spl spliced: $n_tap over the tap, $n_spl spliced"
[ "$n_tap" = "$CONNS" ] ||
	info "LOAD_CONNS=$CONNS does not fit pasta's descriptor limit over the tap"

load_run "tap" "$ns_t" "$GW_IP4" "$HOST_NS" "$P_TAP" "$n_tap"
tcp_check settle "tap, after the close"
load_run "spliced" "$HOST_NS" 127.0.0.1 "$ns_t" "$P_SPL" "$n_spl"
tcp_check settle "spliced, after the close"
pid_alive "$PID_T" || tfail "pasta (TCP) died"

# server_check() - NAME PID: stop a tcp-server, check its summary
server_check() {
	local rep

	stop "$2"
	rep=$(grep '^{' "$TOPO_TMP/srv-$1.json" | tail -n 1)
	if [ "$(json_get "$rep" errors)" = 0 ] &&
	   [ "$(json_get "$rep" open_at_exit)" = 0 ]; then
		ok "server ($1): no errors, every connection closed ($rep)"
	else
		tfail "server ($1): $rep"
	fi
}
server_check tap "$SRV_TAP"
server_check spliced "$SRV_SPL"

# A server of its own: connections pasta refuses may reach it and end
# before their data
bg_ns "$ns_t" "$TOPO_TMP/srv-over.json" "$PYTHON" "$TOOL" tcp-server \
	--bind 0.0.0.0 --port "$P_SPL" --size "$SIZE" --timeout 200
SRV_OVER=$BG_PID
wait_listen "$ns_t" "$P_SPL" || fail "no TCP server in the namespace"

# over_limit() - More spliced connections than pasta has descriptors for:
# those that fit are intact, the others refused or reset, none hangs;
# with pasta at its limit, one more connection is refused or reset within
# 5 s, and pasta doesn't spin meanwhile (under 30 % of a CPU over 3 s)
over_limit() {
	local l="spliced, over the limit" conns=$((n_spl + OVER)) cpid ppid
	local ready="$TOPO_TMP/ready.over" release="$TOPO_TMP/release.over"
	local rep ticks pct hz

	bg_ns "$HOST_NS" "$TOPO_TMP/cli.over.json" "$PYTHON" "$TOOL" \
		tcp-client --connect 127.0.0.1 --port "$P_SPL" --conns "$conns" \
		--size "$SIZE" --parallel "$PARALLEL" --timeout 15 \
		--allow-refused --ready "$ready" --release "$release" --wait 60 \
		--close-timeout 60
	cpid=$BG_PID
	if ! wait_until 40 test -s "$ready"; then
		stop "$cpid"
		tfail "$l: the client did not finish opening in 40 s"
		return 1
	fi
	rep=$(cat "$ready")
	sample "over the limit, peak"
	if [ "$(json_get "$rep" timeout)" = 0 ] &&
	   [ "$(json_get "$rep" corrupt)" = 0 ] &&
	   [ "$(json_get "$rep" failed)" = 0 ] &&
	   [ "$(json_get "$rep" connect_failed)" = 0 ] &&
	   [ "$(json_get "$rep" intact)" -ge "$n_spl" ]; then
		ok "$l: $conns tried, $(json_get "$rep" intact) intact," \
		   "$(json_get "$rep" refused) refused or reset, none hung"
	else
		tfail "$l: $conns tried, at least $n_spl should be intact, the" \
		      "others refused or reset: $rep"
	fi

	bg_host "$TOPO_TMP/probe.out" "$PYTHON" "$TCP_TOOL" refused \
		--connect 127.0.0.1 --port "$P_SPL" --max-time 5 --allow-reset
	ppid=$BG_PID
	sleep 1
	ticks=$(cpu_ticks_in "$PID_T" 3)
	reap "$ppid" 10
	hz=$(getconf CLK_TCK)
	pct=$((ticks * 100 / (3 * hz)))
	info "pasta at its limit: $(daemon_fds "$PID_T") descriptors of $limit"
	if [ "$REAP_RC" = 0 ]; then
		ok "$l: one more connection: $(head -n 1 "$TOPO_TMP/probe.out")"
	else
		tfail "$l: one more connection, pasta out of descriptors: not" \
		      "refused or reset within 5 s ($(tail -n 1 \
		      "$TOPO_TMP/probe.out"))"
	fi
	if [ "$pct" -lt 30 ]; then
		ok "$l: pasta used $pct % of a CPU with a connection it can't" \
		   "take waiting"
	else
		tfail "$l: pasta used $pct % of a CPU with a connection it" \
		      "can't take waiting (busy loop)"
	fi

	touch "$release"
	reap "$cpid" 90
	rep=$(grep '^{' "$TOPO_TMP/cli.over.json" | tail -n 1)
	if [ "$REAP_RC" = 0 ]; then
		ok "$l: the $(json_get "$rep" clean) intact ones closed cleanly"
	else
		tfail "$l: closing: $rep (exit $REAP_RC)"
	fi
}

OVER=${LOAD_OVER:-300}
tcp_check over_limit
tcp_check settle "over the limit, after the close"
pid_alive "$PID_T" || tfail "pasta (TCP) died"

info "pasta (TCP), $n_tap connections over the tap, $n_spl spliced:"
info "$(printf '%-32s %10s %8s %8s %8s' "" "VmRSS kB" "fds" "pool" \
	"fds-pool")"
for r in "${ROWS[@]}"; do
	info "$r"
done
info "VmHWM $(daemon_status "$PID_T" VmHWM) kB"

stop "$SRV_OVER"

# ------------------------------------------- UDP and ICMP: room again

# udp_socks() - Sockets the UDP pasta holds
u_room() {
	[ "$(daemon_fds "$PID_U")" -le $((u_fds0 + 2)) ]
}
if wait_until 45 u_room; then
	ok "UDP: the one-way flows expired ($(daemon_fds "$PID_U") descriptors," \
	   "$u_fds0 at rest; the two flows used both ways stay)"
else
	tfail "UDP: pasta still holds $(daemon_fds "$PID_U") descriptors, $u_fds0 at" \
	      "rest (plus two flows used both ways)"
fi
tcp_check udp_send "UDP: room again: 10 new flows, a datagram each way" \
	"$SP_AFTER-$((SP_AFTER + 9))" after --echo

# Idle ping flows expire after 60 s
i_room() {
	[ "$(daemon_fds "$PID_I")" -le $((i_fds0 + 2)) ]
}
if wait_until $((80 - (SECONDS - t_filled))) i_room; then
	ok "ICMP: the idle identifiers expired ($(daemon_fds "$PID_I") descriptors," \
	   "$i_fds0 at rest)"
else
	tfail "ICMP: pasta still holds $(daemon_fds "$PID_I") descriptors, $i_fds0 at" \
	      "rest (plus the two identifiers used again)"
fi
tcp_check icmp_send "ICMP: room again: 10 new identifiers answered" \
	"$ID_AFTER-$((ID_AFTER + 9))" after
pid_alive "$PID_U" || tfail "pasta (UDP) died"
pid_alive "$PID_I" || tfail "pasta (ICMP) died"

soft_finish
echo "load: all checks passed"
