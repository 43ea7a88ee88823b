#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# close.sh - a TCP connection through passt or pasta ends the way it would
# between two hosts.  Every path, IPv4 and IPv6, every way of closing,
# checked on data: the SHA-256 of what each side received, and how each
# side's read ended (clean end of file, or ECONNRESET).
#
# Paths (and, as a control, the same cases between the host namespace and
# the router with no daemon at all: what the kernel itself does):
# 1. pasta tap, outbound: namespace -> gateway address -> a server on the
#    host namespace's loopback
# 2. pasta tap, inbound -t: host namespace -> the host's own address
#    (eth0) -> a server in pasta's namespace
# 3. pasta spliced -t: host 127.0.0.1 / ::1 -> a server in the namespace
# 4. pasta spliced -T: namespace 127.0.0.1 / ::1 -> a server on the host
#    namespace's loopback
# 5. passt outbound: a guest namespace behind relay.py (as tcp_passt.sh)
#    -> gateway -> a server on the host namespace's loopback
# 6. passt inbound -t: host 127.0.0.1 / ::1 -> a server in the guest
#
# Ways of closing (close_tool.py has the details):
# a. simul: both sides write CLOSE_SIZE bytes at once, each shuts down
#    writing when its own write returns, reads to end of file, closes:
#    each gets all of the other's bytes, then end of file
# b. cfirst: the client sends CLOSE_HC_SIZE bytes and shuts down writing;
#    the server reads to end of file and only then sends as many back,
#    in 20 pieces over 2 s, and shuts down: the half-closed connection
#    carries the other direction for seconds and megabytes; and sfirst,
#    the mirror: the server first
# c. abort-cs, abort-ss: the client (or the server) writes CLOSE_ABORT_SIZE
#    bytes and closes with SO_LINGER {1, 0} while they are on the way: the
#    other side gets an intact prefix, then ECONNRESET, not end of file;
#    abort-cr, abort-sr: the client (server) resets after reading half of
#    what the other side writes: the writer sees ECONNRESET
# d. nolisten: nothing listens behind the port: outbound, the client gets
#    "Connection refused" within 3 s, as from a host; behind -t and -T,
#    which accept first (as tcp_pasta.sh and splice.sh accept), a reset
#    or refusal, or at worst end of file without data (reported as such)
# e. afterwards, nothing left: within CLOSE_FD_WAIT seconds after the
#    last connection ended, the daemon holds no more descriptors than at
#    rest, no pipe more than at rest, and no TCP socket other than its
#    listening ones (ss -p in the host namespace and in pasta's)
#
# Half-close spin: a client on the host's loopback sends 500 bytes to a -t
# port and shuts down writing, while the server in the namespace reads
# them (and the end of file) and keeps the connection open for 5 s; pasta
# must stay idle meanwhile (CPU ticks over 3 s under CLOSE_SPIN_PCT % of
# one CPU), then the server's reply reaches the client intact.  The same
# through -T from the namespace.  IPv4 and IPv6 at once, on a pasta for
# -t and another one for -T, before everything else.
#
# All cases of a phase run at once, in one close_tool.py process: the
# half-close spin first, then the matrix, through three daemons: a pasta
# for the tap paths, another one for the spliced paths, and passt.
#
# Environment:
#   CLOSE_SIZE        bytes each way, simul (default 32M; head -c syntax):
#                     from 24M on, today's spliced paths, on their own,
#                     fail every time; 8M fails them half the time
#   CLOSE_HC_SIZE     bytes each way, cfirst and sfirst (default 4M)
#   CLOSE_ABORT_SIZE  bytes written before or while a reset (default 4M)
#   CLOSE_SIMUL_CONNS simul connections on each path and family (default
#                     2: today's spliced paths fail about 19 times in 20
#                     with one, so a pair fails them every time)
#   CLOSE_PASST_SIZE  CLOSE_SIZE for the passt paths (default 8M: the
#                     Python relay is the slowest link)
#   CLOSE_ONLY        run only these ways of closing (e.g. "simul
#                     abort-cs"; default: all)
#   CLOSE_TIMEOUT     seconds any one socket call may wait (default 40)
#   CLOSE_FD_WAIT     seconds for the descriptors to go back (default 5)
#   CLOSE_SPIN_PCT    CPU limit, percent of one CPU (default 20)
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

TOOL="$TOPO_ROOT/test/integration/close_tool.py"

# bytes() - SIZE: head -c style size (1K, 4M) in bytes
bytes() {
	numfmt --from=iec "$1"
}

SIMUL=$(bytes "${CLOSE_SIZE:-32M}")
HC=$(bytes "${CLOSE_HC_SIZE:-4M}")
ABORT=$(bytes "${CLOSE_ABORT_SIZE:-4M}")
PSIMUL=$(bytes "${CLOSE_PASST_SIZE:-8M}")
TIMEOUT=${CLOSE_TIMEOUT:-40}
FD_WAIT=${CLOSE_FD_WAIT:-5}
SPIN_PCT=${CLOSE_SPIN_PCT:-20}
HOLD_REPLY=100000
HZ=$(getconf CLK_TCK)

# Port bases: +0..+19 IPv4, +20..+39 IPv6, one port for each case
P_KERNEL=21000	# control: host namespace -> router, no daemon
P_TAP_OUT=21100	# 1. pasta: namespace -> gateway -> host lo
P_TAP_IN=21200	# 2. pasta -t: host address -> namespace (tap)
P_SPL_T=21300	# 3. pasta -t: host lo -> namespace (spliced)
P_SPL_TT=21400	# 4. pasta -T: namespace lo -> host lo (spliced)
P_PASST_OUT=21500 # 5. passt: guest -> gateway -> host lo
P_PASST_IN=21600 # 6. passt -t: host lo -> guest
P_SPIN=21700	# half-close spin: -t v4, v6; -T v4, v6

SIMUL_CONNS=${CLOSE_SIMUL_CONNS:-2}
if [ "$SIMUL_CONNS" -lt 1 ] || [ "$SIMUL_CONNS" -gt 12 ]; then
	echo "CLOSE_SIMUL_CONNS: 1 to 12, not $SIMUL_CONNS" >&2
	exit 1
fi
PATTERNS="simul"
for i in $(seq 2 "$SIMUL_CONNS"); do
	PATTERNS="$PATTERNS simul#$i"
done
PATTERNS="$PATTERNS cfirst sfirst abort-cs abort-cr abort-ss abort-sr nolisten"
ONLY=${CLOSE_ONLY:-}

test_start

# ---------------------------------------------------------------- helpers

# plan_add() - PLAN LABEL PATTERN CNS CADDR SNS SBIND PORT SIZE: one case
plan_add() {
	local plan=$1

	shift
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$plan"
}

# plan_path() - PLAN LABEL CNS CADDR SNS SBIND PORT NOLISTEN SIMUL_SIZE:
# every way of closing on one path, from port PORT on; NOLISTEN is the
# pattern for the case with no server (nolisten or nolisten-fwd)
plan_path() {
	local plan=$1 label=$2 cns=$3 caddr=$4 sns=$5 sbind=$6 port=$7
	local nl=$8 simul=$9 p size

	for p in $PATTERNS; do
		port=$((port + 1))
		case " $ONLY " in
		"  " | *" ${p%#*} "*) ;;
		*) continue ;;
		esac
		case "$p" in
		simul*) size=$simul ;;
		cfirst | sfirst) size=$HC ;;
		abort-*) size=$ABORT ;;
		nolisten) p=$nl size=0 ;;
		esac
		plan_add "$plan" "$label" "$p" "$cns" "$caddr" "$sns" "$sbind" \
			$((port - 1)) "$size"
	done
}

# results() - LOG EXPECTED: turn close_tool.py's lines into checks; a
# failed check, too, unless there is one line for each of EXPECTED cases
results() {
	local log=$1 want=$2 verdict msg n=0

	while IFS=$'\t' read -r verdict msg; do
		case "$verdict" in
		ok) ok "$msg"; n=$((n + 1)) ;;
		FAIL) tfail "$msg"; n=$((n + 1)) ;;
		*) info "close_tool: $verdict${msg:+ $msg}" ;;
		esac
	done <"$log"
	if [ "$n" != "$want" ]; then
		tfail "close_tool.py reported $n of $want cases"
	fi
}

# fd_census() - PID: "TOTAL PIPES" of the descriptors PID holds
fd_census() {
	find "/proc/$1/fd" -mindepth 1 -printf '%l\n' 2>/dev/null |
		awk '{ t++ } /^pipe:/ { p++ } END { printf "%d %d\n", t, p }'
}

# tcp_left() - PID NS...: TCP sockets of PID other than listening ones,
# in any of the namespaces NS, one line each
tcp_left() {
	local pid=$1 ns

	shift
	for ns in "$@"; do
		ns_run "$ns" ss -Htanp 2>/dev/null |
			awk -v p="pid=$pid," -v n="$ns" \
			'index($0, p) && $1 != "LISTEN" { print n ": " $0 }'
	done
}

# fds_back() - PID REST NS...: PID holds at most as many descriptors as
# REST ("TOTAL PIPES") says, no more pipes, no TCP socket but listening
# ones in the namespaces NS
fds_back() {
	local pid=$1 rest=$2 now

	shift 2
	now=$(fd_census "$pid")
	[ "${now% *}" -le "${rest% *}" ] && [ "${now#* }" -le "${rest#* }" ] &&
		[ -z "$(tcp_left "$pid" "$@")" ]
}

# fd_check() - LABEL PID REST NS...: fds_back() within FD_WAIT seconds
fd_check() {
	local label=$1 pid=$2 rest=$3 now left

	shift 3
	if wait_until "$FD_WAIT" fds_back "$pid" "$rest" "$@"; then
		now=$(fd_census "$pid")
		ok "$label: nothing left: ${now% *} descriptors (at rest" \
		   "${rest% *}), ${now#* } pipes (at rest ${rest#* }), no TCP" \
		   "socket but listening ones"
		return 0
	fi
	now=$(fd_census "$pid")
	left=$(tcp_left "$pid" "$@")
	tfail "$label: $FD_WAIT s after the last connection ended:" \
	      "${now% *} descriptors (at rest ${rest% *}), ${now#* } pipes" \
	      "(at rest ${rest#* }), $(line_count "$left") TCP sockets" \
	      "other than listening ones"
	printf '%s\n' "$left" | head -n 20 | sed 's/^/#   /'
}

# ------------------------------------------------ half-close spin (first)

# spin_check() - OPT PID TICKS: pasta (PID) for OPT used TICKS in 3 s
# while its connections were held half-closed: under SPIN_PCT % of a CPU
spin_check() {
	local pct=$(($3 * 100 / (3 * HZ)))

	if [ "$pct" -lt "$SPIN_PCT" ]; then
		ok "spliced $1, a half-closed connection held open (v4 and" \
		   "v6): pasta used $3 CPU ticks in 3 s, $pct % of a CPU" \
		   "(limit $SPIN_PCT %)"
	else
		tfail "spliced $1, a half-closed connection held open (v4 and" \
		      "v6): pasta (PID $2) used $3 CPU ticks in 3 s, $pct %" \
		      "of a CPU (limit $SPIN_PCT %): busy while nothing moves"
	fi
}

ns_st=$(topo_netns_name spin_t)
pasta_ns "$ns_st" -t "$P_SPIN,$((P_SPIN + 1))" -u none -T none -U none
pid_st=$PASTA_PID
ns_stt=$(topo_netns_name spin_tt)
pasta_ns "$ns_stt" -t none -u none -T "$((P_SPIN + 2)),$((P_SPIN + 3))" \
	-U none
pid_stt=$PASTA_PID

plan="$TOPO_TMP/spin.plan"
plan_add "$plan" "v4 pasta spliced -t (half-close spin)" hold "$HOST_NS" \
	127.0.0.1 "$ns_st" 0.0.0.0 "$P_SPIN" "$HOLD_REPLY"
plan_add "$plan" "v6 pasta spliced -t (half-close spin)" hold "$HOST_NS" \
	::1 "$ns_st" :: $((P_SPIN + 1)) "$HOLD_REPLY"
plan_add "$plan" "v4 pasta spliced -T (half-close spin)" hold "$ns_stt" \
	127.0.0.1 "$HOST_NS" 127.0.0.1 $((P_SPIN + 2)) "$HOLD_REPLY"
plan_add "$plan" "v6 pasta spliced -T (half-close spin)" hold "$ns_stt" \
	::1 "$HOST_NS" ::1 $((P_SPIN + 3)) "$HOLD_REPLY"

rest_st=$(fd_census "$pid_st")
rest_stt=$(fd_census "$pid_stt")
ready="$TOPO_TMP/spin.ready"
bg_host "$TOPO_TMP/spin.log" "$PYTHON" "$TOOL" matrix --plan "$plan" \
	--ready "$ready" --hold-time 5 --timeout "$TIMEOUT"
spid=$BG_PID
if wait_until 10 test -s "$ready"; then
	t0_st=$(daemon_cpu_ticks "$pid_st")
	t0_stt=$(daemon_cpu_ticks "$pid_stt")
	sleep 3
	ticks_st=$(($(daemon_cpu_ticks "$pid_st") - t0_st))
	ticks_stt=$(($(daemon_cpu_ticks "$pid_stt") - t0_stt))
	spin_check -t "$pid_st" "$ticks_st"
	spin_check -T "$pid_stt" "$ticks_stt"
else
	tfail "half-close spin: the connections never got half-closed"
fi
reap "$spid" $((TIMEOUT + 20))
results "$TOPO_TMP/spin.log" 4
fd_check "pasta for -t, after the half-close" "$pid_st" "$rest_st" \
	"$HOST_NS" "$ns_st"
fd_check "pasta for -T, after the half-close" "$pid_stt" "$rest_stt" \
	"$HOST_NS" "$ns_stt"
stop "$pid_st"
stop "$pid_stt"

# ------------------------------------------------------------ the matrix

# One pasta for the tap paths, one for the spliced ones: the spliced
# paths' data doesn't wait for pasta to move the tap paths' (which takes
# the stress out of them, and hides the reset of "simul" now and then)
ns=$(topo_netns_name tap)
pasta_ns "$ns" -t "$P_TAP_IN-$((P_TAP_IN + 39))" -u none -T none -U none
pid_tap=$PASTA_PID
log_tap=$DAEMON_LOG
nss=$(topo_netns_name spl)
pasta_ns "$nss" -t "$P_SPL_T-$((P_SPL_T + 39))" -u none \
	-T "$P_SPL_TT-$((P_SPL_TT + 39))" -U none
pid_spl=$PASTA_PID
log_spl=$DAEMON_LOG

# passt runs as nobody: let the guest's echo requests through, so that
# guest_ns_config can check the path first
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"
sock="$TOPO_TMP/passt.sock"
passt_start "$sock" "$TOPO_TMP/passt.log" \
	-t "$P_PASST_IN-$((P_PASST_IN + 39))" -u none
pid_passt=$PASST_PID
g=$(topo_netns_name guest)
guest_ns_tap "$g" 65520
bg_ns "$g" "$TOPO_TMP/relay.log" "$PYTHON" "$RELAY" --sock "$sock" --tap tap0
rpid=$BG_PID
guest_ns_config "$g"

plan="$TOPO_TMP/matrix.plan"
: >"$plan"
for v in 4 6; do
	if [ "$v" = 4 ]; then
		lo=127.0.0.1 any=0.0.0.0 gw=$GW_IP4 me=$HOST_IP4 far=$REMOTE_IP4
		o=0
	else
		lo=::1 any=:: gw=$GW_IP6 me=$HOST_IP6 far=$REMOTE_IP6
		o=20
	fi
	plan_path "$plan" "v$v kernel, host -> router (no daemon)" \
		"$HOST_NS" "$far" "$ROUTER_NS" "$far" $((P_KERNEL + o)) \
		nolisten "$SIMUL"
	plan_path "$plan" "v$v pasta tap, ns -> gateway -> host lo" \
		"$ns" "$gw" "$HOST_NS" "$lo" $((P_TAP_OUT + o)) nolisten "$SIMUL"
	plan_path "$plan" "v$v pasta tap, host addr -> -t -> ns" \
		"$HOST_NS" "$me" "$ns" "$any" $((P_TAP_IN + o)) nolisten-fwd \
		"$SIMUL"
	plan_path "$plan" "v$v pasta spliced, host lo -> -t -> ns" \
		"$HOST_NS" "$lo" "$nss" "$any" $((P_SPL_T + o)) nolisten-fwd \
		"$SIMUL"
	plan_path "$plan" "v$v pasta spliced, ns lo -> -T -> host lo" \
		"$nss" "$lo" "$HOST_NS" "$lo" $((P_SPL_TT + o)) nolisten-fwd \
		"$SIMUL"
	plan_path "$plan" "v$v passt, guest -> gateway -> host lo" \
		"$g" "$gw" "$HOST_NS" "$lo" $((P_PASST_OUT + o)) nolisten \
		"$PSIMUL"
	plan_path "$plan" "v$v passt, host lo -> -t -> guest" \
		"$HOST_NS" "$lo" "$g" "$any" $((P_PASST_IN + o)) nolisten-fwd \
		"$PSIMUL"
done

info "$(line_count "$(cat "$plan")") cases at once: simul $SIMUL bytes" \
     "each way ($PSIMUL through passt), cfirst/sfirst $HC, aborts $ABORT"
rest_tap=$(fd_census "$pid_tap")
rest_spl=$(fd_census "$pid_spl")
rest_passt=$(fd_census "$pid_passt")
t0=$SECONDS
capture in_host timeout $((TIMEOUT + 60)) "$PYTHON" "$TOOL" matrix \
	--plan "$plan" --timeout "$TIMEOUT"
info "matrix: $((SECONDS - t0)) s, close_tool.py exit $CAP_RC"
printf '%s\n' "$CAP_OUT" >"$TOPO_TMP/matrix.log"
[ -z "$CAP_ERR" ] || printf '%s\n' "$CAP_ERR" | head -n 20 | sed 's/^/#   /'
results "$TOPO_TMP/matrix.log" "$(line_count "$(cat "$plan")")"

fd_check "pasta (tap paths), after the matrix" "$pid_tap" "$rest_tap" \
	"$HOST_NS" "$ns"
fd_check "pasta (spliced paths), after the matrix" "$pid_spl" "$rest_spl" \
	"$HOST_NS" "$nss"
fd_check "passt, after the matrix" "$pid_passt" "$rest_passt" "$HOST_NS"

pid_alive "$pid_tap" || tfail "pasta for the tap paths (PID $pid_tap) died"
pid_alive "$pid_spl" || tfail "pasta for the spliced paths (PID $pid_spl) died"
pid_alive "$pid_passt" || tfail "passt (PID $pid_passt) died"
if [ "$SOFT_FAILS" != 0 ]; then
	show_log "$log_tap" "pasta (tap paths) log" 10
	show_log "$log_spl" "pasta (spliced paths) log" 10
	show_log "$TOPO_TMP/passt.log" "passt log" 10
fi
stop "$rpid"

soft_finish
echo "close: all checks passed"
