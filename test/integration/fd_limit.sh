#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fd_limit.sh - out of file descriptors, the daemon refuses connections
# instead of spinning on them.  A listening socket stays readable while a
# connection waits in its queue: a daemon that can't accept it and leaves
# it there is woken up again at once, for ever.
#
# The daemon runs under prlimit --nofile=N (FD_LIMIT_PASTA, default 128:
# pasta keeps up to 64 sockets ready in its namespace for spliced
# connections; FD_LIMIT_PASST, default 64).  For each listener, on a fresh
# daemon:
#
# 1. connections to it, each checked with a short echo and kept open,
#    until one fails (the first one must work); then, so that not one descriptor is left (a spliced
#    connection takes several, and an attempt that fails halfway gives
#    back what it took), outbound connections over the tap, one descriptor
#    each, until one fails too.  The daemon must then hold N descriptors
#    (numbered below N: one it inherited may be numbered above)
# 2. 4 more connections (FD_LIMIT_PENDING) to the listener, kept open by
#    the client: over the next 3 s the daemon uses less than 20 %
#    (FD_LIMIT_CPU_PCT) of one CPU, and each of them is ended (reset, end
#    of file or refused, not left hanging) within 5 s of the attempt
# 3. every connection closed: within 15 s, new connections to the listener
#    work again (2 of them, 64 KiB each echoed intact)
#
# Listeners: pasta -t reached from the host's own address (the tap path,
# tcp.c), pasta -t from the host's loopback and -T from the namespace's
# loopback (spliced, tcp_splice.c); pasta -t from the host's address
# again, under a limit of 64 (FD_LIMIT_PASTA_LOW), no -T: fewer
# descriptors than the sockets pasta would keep ready in the namespace,
# and the forwarded port must still work; passt -t with a guest namespace
# behind relay.py; and passt's UNIX socket (tap.c): with one guest
# connected, passt out of descriptors (filled by the guest's outbound
# connections), and 4 more clients connecting to its socket.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

N_PASTA=${FD_LIMIT_PASTA:-128}
N_PASTA_LOW=${FD_LIMIT_PASTA_LOW:-64}
N_PASST=${FD_LIMIT_PASST:-64}
PENDING=${FD_LIMIT_PENDING:-4}
CPU_PCT=${FD_LIMIT_CPU_PCT:-20}
TOOL="$TOPO_ROOT/test/integration/limits_tool.py"

P_T=10500	# -t: echo server in the namespace or guest
P_TT=10501	# -T: echo server on the host's loopback
P_OUT=10502	# echo server on the host's loopback, through the gateway

test_start

HZ=$(getconf CLK_TCK)
RUN=0

# ---------------------------------------------------------------- helpers

# fd_count() - PID [LIMIT]: descriptors PID holds (numbered below LIMIT:
# one it inherited may be numbered above its limit)
fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null |
		awk -v l="${2:-}" 'l == "" || $1 < l + 0 { n++ } END { print n + 0 }'
}

# fd_limit() - PID: its soft limit of open files
fd_limit() {
	awk '/^Max open files/ { print $4 }' "/proc/$1/limits"
}

# echo_server() - NS BIND PORT: an echo server (tcp_tool.py), registered
# for clean-up
echo_server() {
	bg_ns "$1" "$TOPO_TMP/echo-$1-$3.log" "$PYTHON" "$TCP_TOOL" server \
		--bind "$2" --port "$3" --mode echo --timeout 280
	wait_listen "$1" "$3" || fail "no echo server on port $3 in $1"
}

# fill() - TAG NS ADDR PORT: connections from NS to ADDR PORT, each
# checked with an echo and kept open (tcp_tool.py hold), until one fails;
# they're closed once $REL exists.  Sets FILL_PID, FILL_REP (its report)
FILL_PID=""
FILL_REP=""
fill() {
	local r="$D/fill-$1.json"

	bg_ns "$2" "$D/fill-$1.log" "$PYTHON" "$TCP_TOOL" hold \
		--connect "$3" --port "$4" --max 4096 --extra 0 \
		--conn-timeout 2 --check-size 0 --ready "$r" --release "$REL" \
		--wait 200
	FILL_PID=$BG_PID
	if ! wait_until 90 test -s "$r"; then
		show_log "$D/fill-$1.log" "fill $1"
		FILL_REP=""
		return 1
	fi
	FILL_REP=$(cat "$r")
}

# recover() - LABEL NS ADDR PORT: within 15 s, 2 connections from NS to
# ADDR PORT, 64 KiB echoed intact on each
recover() {
	local label=$1 t0=$SECONDS tries=0

	while :; do
		tries=$((tries + 1))
		capture ns_run "$2" timeout 20 "$PYTHON" "$TCP_TOOL" many \
			--connect "$3" --port "$4" --conns 2 --size 65536 \
			--timeout 5
		if [ "$CAP_RC" = 0 ]; then
			ok "$label: connections work again: 2 x 64 KiB echoed" \
			   "intact (attempt $tries, after $((SECONDS - t0)) s)"
			return 0
		fi
		[ $((SECONDS - t0)) -lt 15 ] || break
		sleep 1
	done
	show_capture
	tfail "$label: no working connection within 15 s of closing the" \
	      "others ($tries attempts)"
}

# exhaust() - LABEL DPID FNS FADDR FPORT TNS TADDR TPORT PENDING_ARGS...
# Steps 1 and 2 above, on the daemon DPID: fill from FNS to FADDR FPORT
# (FPORT empty: don't), top up from TNS to TADDR TPORT, then the pending
# connections from $PENDING_NS (limits_tool.py pending PENDING_ARGS); the
# connections stay open until release()
exhaust() {
	local label=$1 dpid=$2 fns=$3 faddr=$4 fport=$5 tns=$6 taddr=$7
	local tport=$8 limit fds ticks pct rep opened=0 topped

	shift 8
	RUN=$((RUN + 1))
	D="$TOPO_TMP/run$RUN"
	REL="$D/release"
	PIDS=()
	mkdir -p "$D"
	limit=$(fd_limit "$dpid")
	info "$label: daemon PID $dpid, limit $limit descriptors," \
	     "$(fd_count "$dpid" "$limit") in use"

	if [ -n "$fport" ]; then
		if ! fill main "$fns" "$faddr" "$fport"; then
			tfail "$label: filling connections: no report"
			return 1
		fi
		PIDS+=("$FILL_PID")
		opened=$(json_get "$FILL_REP" opened)
		info "$label: $opened connections held, then:" \
		     "$(json_get "$FILL_REP" first_failure)" \
		     "($(fd_count "$dpid" "$limit") descriptors in use)"
	fi
	if ! fill topup "$tns" "$taddr" "$tport"; then
		tfail "$label: topping up: no report"
		return 1
	fi
	PIDS+=("$FILL_PID")
	topped=$(json_get "$FILL_REP" opened)
	info "$label: $topped outbound connections more, then:" \
	     "$(json_get "$FILL_REP" first_failure)"
	if [ -n "$fport" ] && [ "$opened" = 0 ]; then
		tfail "$label: not one connection to the listener before" \
		      "running out"
	fi
	fds=$(fd_count "$dpid" "$limit")
	if [ "$fds" -ge "$limit" ]; then
		ok "$label: the daemon is out of descriptors (all $limit" \
		   "numbers below its limit taken)"
	else
		tfail "$label: the daemon holds $fds descriptors below its" \
		      "limit of $limit: not out of them"
	fi

	bg_ns "${PENDING_NS}" "$D/pending.log" "$PYTHON" "$TOOL" pending \
		"$@" --conns "$PENDING" --max-time 5 --conn-timeout 2 \
		--ready "$D/pending.json" --release "$REL" --wait 200
	PIDS+=("$BG_PID")
	if ! wait_until 15 grep -q '^connected' "$D/pending.log"; then
		show_log "$D/pending.log" "pending"
		tfail "$label: the $PENDING more connection attempts didn't" \
		      "finish within 15 s"
		return 1
	fi
	ticks=$(cpu_ticks_in "$dpid" 3)
	pct=$((ticks * 100 / (3 * HZ)))
	if [ "$pct" -lt "$CPU_PCT" ]; then
		ok "$label: with $PENDING more connections waiting, the daemon" \
		   "used $pct % of a CPU over 3 s ($ticks ticks)"
	else
		tfail "$label: with $PENDING more connections waiting, the" \
		      "daemon used $pct % of a CPU over 3 s ($ticks ticks):" \
		      "spinning"
	fi
	if ! wait_until 15 test -s "$D/pending.json"; then
		show_log "$D/pending.log" "pending"
		tfail "$label: no report on the $PENDING more connections"
		return 1
	fi
	rep=$(cat "$D/pending.json")
	if [ "$(json_get "$rep" open)" = 0 ] &&
	   [ -z "$(json_get "$rep" data)" ] &&
	   [ -z "$(json_get "$rep" connect_timeout)" ]; then
		ok "$label: the $PENDING connections beyond the limit ended" \
		   "within $(json_get "$rep" max_s) s ($rep)"
	else
		tfail "$label: of $PENDING connections beyond the limit, not" \
		      "all ended within 5 s: $rep"
	fi
}

# release() - LABEL DPID: close every connection exhaust() opened
release() {
	local p

	touch "$REL"
	for p in "${PIDS[@]}"; do
		reap "$p" 30
	done
	pid_alive "$2" || tfail "$1: the daemon (PID $2) died"
	info "$1: connections closed, the daemon holds" \
	     "$(fd_count "$2" "$(fd_limit "$2")") descriptors"
}

PIDS=()
D=""
REL=""
PENDING_NS=""

# ------------------------------------------------------------------ pasta

# pasta_case() - LABEL N TT CNS CADDR PORT: a fresh pasta under a limit of
# N descriptors, with -t $P_T -T TT, filled and probed through CADDR PORT
# from CNS ("ns": its namespace)
pasta_case() {
	local label=$1 n=$2 tt=$3 cns=$4 caddr=$5 port=$6 ns

	ns=$(topo_netns_name "ns$RUN")
	DAEMON_WRAP=(prlimit "--nofile=$n:$n")
	pasta_ns "$ns" -t "$P_T" -T "$tt" -u none -U none
	DAEMON_WRAP=()
	echo_server "$ns" 0.0.0.0 "$P_T"
	[ "$cns" = ns ] && cns=$ns
	PENDING_NS=$cns
	exhaust "$label" "$PASTA_PID" "$cns" "$caddr" "$port" "$ns" \
		"$GW_IP4" "$P_OUT" --connect "$caddr" --port "$port" || true
	release "$label" "$PASTA_PID"
	recover "$label" "$cns" "$caddr" "$port"
	stop "$PASTA_PID"
}

echo_server "$HOST_NS" 127.0.0.1 "$P_OUT"
echo_server "$HOST_NS" 127.0.0.1 "$P_TT"

pasta_case "pasta -t, tap" "$N_PASTA" "$P_TT" "$HOST_NS" "$HOST_IP4" "$P_T"
pasta_case "pasta -t, spliced" "$N_PASTA" "$P_TT" "$HOST_NS" 127.0.0.1 "$P_T"
pasta_case "pasta -T, spliced" "$N_PASTA" "$P_TT" ns 127.0.0.1 "$P_TT"
# Fewer descriptors than the sockets pasta would keep ready for spliced
# connections: -t must still work, and not spin once they're used up
pasta_case "pasta -t, tap, limit $N_PASTA_LOW" "$N_PASTA_LOW" none \
	"$HOST_NS" "$HOST_IP4" "$P_T"

# ------------------------------------------------------------------ passt

# passt runs as nobody: let the guest's echo requests through
# (guest_ns_config checks the path with them)
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"
sock="$TOPO_TMP/passt.sock"
DAEMON_WRAP=(prlimit "--nofile=$N_PASST:$N_PASST")
passt_start "$sock" "$TOPO_TMP/passt.log" -t "$P_T" -u none
DAEMON_WRAP=()
DAEMON_LOG="$TOPO_TMP/passt.log"
g=$(topo_netns_name guest)
guest_ns_tap "$g" 65520
bg_ns "$g" "$TOPO_TMP/relay.log" "$PYTHON" "$RELAY" --sock "$sock" --tap tap0
guest_ns_config "$g"
echo_server "$g" 0.0.0.0 "$P_T"

# The UNIX socket: filled by the guest alone, then more clients for it
PENDING_NS=$HOST_NS
label="passt UNIX socket, a guest connected"
exhaust "$label" "$PASST_PID" "" "" "" "$g" "$GW_IP4" "$P_OUT" \
	--unix "$sock" || true
release "$label" "$PASST_PID"
recover "$label" "$g" "$GW_IP4" "$P_OUT"

label="passt -t"
exhaust "$label" "$PASST_PID" "$HOST_NS" 127.0.0.1 "$P_T" "$g" "$GW_IP4" \
	"$P_OUT" --connect 127.0.0.1 --port "$P_T" || true
release "$label" "$PASST_PID"
recover "$label" "$HOST_NS" 127.0.0.1 "$P_T"

soft_finish
echo "fd_limit: all checks passed"
