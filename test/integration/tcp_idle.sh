#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tcp_idle.sh - the idle timeout of TCP connections on the tap path
# (--tcp-idle-timeout SECONDS, default 7875: Linux's keepalive time, 7200
# s, plus nine probes 75 s apart): a connection between the guest and a
# host socket that carried nothing either way for that long is reset at
# both ends; spliced connections (socket to socket) are left alone.
#
# With pasta --tcp-idle-timeout 3 (TCP_IDLE_TIMEOUT), each end of these
# connections waits in recv(), sending nothing:
#
# - outbound, namespace -> gateway address -> host loopback, IPv4 and
#   IPv6, and inbound through -t from the host's own (non-loopback)
#   address: both ends see ECONNRESET (not end of file) within 2 to 8 s
#   (TCP_IDLE_MIN, TCP_IDLE_MAX) of connecting
#
# and these stay up for 8 s (TCP_IDLE_HOLD), then carry 64 KiB and a
# reply (its SHA-256 and bytes derived from it) intact, and end cleanly:
#
# - outbound, and inbound through -t, with one byte every second from the
#   client (on the namespace's side, then on the host's side)
# - spliced, without a byte: -t from the host's loopback, -T from the
#   namespace's loopback
# - on a second pasta without the option (the default timeout): outbound
#   and inbound -t, without a byte
#
# All of them run at the same time.  Also: pasta --help and passt --help
# name the option, the man page (passt.1) documents it and its default,
# and passt --tcp-idle-timeout abc stops at start-up (status 1) with a
# message naming the option and the value.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

TIMEOUT=${TCP_IDLE_TIMEOUT:-3}
MIN=${TCP_IDLE_MIN:-2}
MAX=${TCP_IDLE_MAX:-8}
HOLD=${TCP_IDLE_HOLD:-8}
TOOL="$TOPO_ROOT/test/integration/limits_tool.py"

P_OUT=10401	# outbound, idle: reset
P_OUT6=10407	# the same over IPv6
P_IN=10402	# -t inbound from the host's address, idle: reset
P_OUT_TICK=10403 # outbound, a byte every second: up
P_IN_TICK=10404	# -t inbound, a byte every second: up
P_SPL_T=10405	# -t from the host's loopback, spliced, idle: up
P_SPL_TT=10406	# -T from the namespace's loopback, spliced, idle: up
P_OUT_DEF=10411	# outbound, idle, without the option: up
P_IN_DEF=10412	# -t inbound, idle, without the option: up

test_start

# ---------------------------------------------------------- documentation

# help_names() - TEXT: TEXT names --tcp-idle-timeout
help_names() {
	has_token "$1" "--tcp-idle-timeout"
}

HAVE_OPT=1
for bin in "$PASTA" "$PASST"; do
	capture "$bin" --help
	if help_names "$CAP_OUT$CAP_ERR"; then
		ok "${bin##*/} --help names --tcp-idle-timeout"
	else
		tfail "${bin##*/} --help doesn't name --tcp-idle-timeout"
		HAVE_OPT=0
	fi
done
# The man page without its escapes (\- is a hyphen, \% a hint); the
# paragraph of the option: from its tag to the next one
man=$(sed 's/\\-/-/g; s/\\%//g' "$TOPO_ROOT/passt.1" |
	sed -n '/^\.[A-Z]* *--tcp-idle-timeout/,/^\.TP/p')
if [ -n "$man" ] && has_token "$man" 7875; then
	ok "passt.1 documents --tcp-idle-timeout, default 7875"
else
	tfail "passt.1: no paragraph on --tcp-idle-timeout naming its" \
	      "default, 7875 (found: '$(printf '%s' "$man" | head -c 300)')"
fi
capture in_host timeout 5 "$PASST" -f -s "$TOPO_TMP/bad.sock" \
	--tcp-idle-timeout abc
if [ "$CAP_RC" = 1 ] && has_token "$CAP_OUT$CAP_ERR" "--tcp-idle-timeout" &&
   has_token "$CAP_OUT$CAP_ERR" abc; then
	ok "passt --tcp-idle-timeout abc: exit status 1, the message names" \
	   "the option and the value"
else
	show_capture
	tfail "passt --tcp-idle-timeout abc: expected exit status 1 and a" \
	      "message naming the option and the value"
fi

# ----------------------------------------------------------------- pastas

ns=$(topo_netns_name ns)
if [ "$HAVE_OPT" = 1 ]; then
	pasta_ns "$ns" --tcp-idle-timeout "$TIMEOUT" \
		-t "$P_IN,$P_IN_TICK,$P_SPL_T" -T "$P_SPL_TT" -u none -U none
	LOG_IDLE=$DAEMON_LOG
	PID_IDLE=$PASTA_PID
else
	tfail "no --tcp-idle-timeout: the checks with the option can't run," \
	      "only those without it"
fi
ns_def=$(topo_netns_name def)
pasta_ns "$ns_def" -t "$P_IN_DEF" -T none -u none -U none
PID_DEF=$PASTA_PID

# ----------------------------------------------------------------- checks

NAMES=()
SPIDS=()
CPIDS=()
SLOGS=()
CLOGS=()
EXPECT=()

# conn() - NAME EXPECT MODE SNS SBIND PORT CNS CADDR: start an idle server
# and its client, in the background; EXPECT: reset or up
conn() {
	local name=$1 expect=$2 mode=$3 sns=$4 sbind=$5 port=$6 cns=$7
	local caddr=$8 d="$TOPO_TMP/c${#NAMES[@]}" wait=$HOLD

	mkdir -p "$d"
	# Connections to be reset wait longer than they should take
	[ "$expect" = reset ] && wait=$((MAX + 4))
	if ! tcp_server "$name" "$sns" "$d/server.log" "$port" \
		"$PYTHON" "$TOOL" idle-server --bind "$sbind" --port "$port" \
		--mode "$mode" --wait "$wait" --expect "$expect" --timeout 30; then
		return 1
	fi
	SPIDS+=("$BG_PID")
	bg_ns "$cns" "$d/client.log" "$PYTHON" "$TOOL" idle-client \
		--connect "$caddr" --port "$port" --mode "$mode" \
		--wait "$wait" --expect "$expect" --timeout 30
	CPIDS+=("$BG_PID")
	NAMES+=("$name")
	SLOGS+=("$d/server.log")
	CLOGS+=("$d/client.log")
	EXPECT+=("$expect")
}

# verdict() - I: the checks of connection I
verdict() {
	local i=$1 name=${NAMES[$1]} side log rep end t pid bad=0

	for side in client server; do
		if [ "$side" = client ]; then
			log=${CLOGS[$i]} pid=${CPIDS[$i]}
		else
			log=${SLOGS[$i]} pid=${SPIDS[$i]}
		fi
		reap "$pid" 40
		rep=$(grep '^{' "$log" | tail -n 1)
		end=$(json_get "$rep" end)
		t=$(json_get "$rep" after_s)
		if [ "${EXPECT[$i]}" = reset ]; then
			if [ "$end" = reset ] &&
			   awk -v t="$t" -v a="$MIN" -v b="$MAX" \
				'BEGIN { exit !(t >= a && t <= b) }'; then
				ok "$name: the $side sees a reset after $t s"
				continue
			fi
			tfail "$name: the $side: expected a reset after $MIN to" \
			      "$MAX s, got: ${end:-nothing} ${t:+after $t s} ($rep)"
		else
			if [ "$REAP_RC" = 0 ]; then
				if [ "$side" = client ]; then
					ok "$name: up after $HOLD s, then" \
					   "$(json_get "$rep" sent) bytes and the" \
					   "reply intact (sha256" \
					   "$(json_get "$rep" sha256)...)"
				fi
				continue
			fi
			tfail "$name: the $side: expected the connection up and" \
			      "intact after $HOLD s, got: $rep"
		fi
		bad=1
		show_log "$log" "$side"
	done
	return "$bad"
}

out4=$GW_IP4
out6=$GW_IP6
if [ "$HAVE_OPT" = 1 ]; then
	l="idle $TIMEOUT s"
	tcp_check conn "$l, outbound v4" reset idle \
		"$HOST_NS" 127.0.0.1 "$P_OUT" "$ns" "$out4" "$P_OUT"
	tcp_check conn "$l, outbound v6" reset idle \
		"$HOST_NS" ::1 "$P_OUT6" "$ns" "$out6" "$P_OUT6"
	tcp_check conn "$l, inbound -t" reset idle \
		"$ns" 0.0.0.0 "$P_IN" "$HOST_NS" "$HOST_IP4" "$P_IN"
	tcp_check conn "$l, outbound, a byte a second" up tick \
		"$HOST_NS" 127.0.0.1 "$P_OUT_TICK" "$ns" "$out4" "$P_OUT_TICK"
	tcp_check conn "$l, inbound -t, a byte a second" up tick \
		"$ns" 0.0.0.0 "$P_IN_TICK" "$HOST_NS" "$HOST_IP4" "$P_IN_TICK"
	tcp_check conn "$l, spliced -t from the host's loopback" up idle \
		"$ns" 0.0.0.0 "$P_SPL_T" "$HOST_NS" 127.0.0.1 "$P_SPL_T"
	tcp_check conn "$l, spliced -T from the namespace's loopback" up idle \
		"$HOST_NS" 127.0.0.1 "$P_SPL_TT" "$ns" 127.0.0.1 "$P_SPL_TT"
fi
tcp_check conn "default timeout, outbound" up idle "$HOST_NS" 127.0.0.1 \
	"$P_OUT_DEF" "$ns_def" "$out4" "$P_OUT_DEF"
tcp_check conn "default timeout, inbound -t" up idle "$ns_def" 0.0.0.0 \
	"$P_IN_DEF" "$HOST_NS" "$HOST_IP4" "$P_IN_DEF"
info "${#NAMES[@]} connections open, waiting"

for i in "${!NAMES[@]}"; do
	tcp_check verdict "$i"
done

if [ "$HAVE_OPT" = 1 ]; then
	pid_alive "$PID_IDLE" ||
		tfail "pasta --tcp-idle-timeout (PID $PID_IDLE) died"
fi
pid_alive "$PID_DEF" || tfail "pasta without the option (PID $PID_DEF) died"
if [ "$SOFT_FAILS" != 0 ] && [ "$HAVE_OPT" = 1 ]; then
	show_log "$LOG_IDLE" "pasta --tcp-idle-timeout $TIMEOUT log" 15
fi

soft_finish
echo "tcp_idle: all checks passed"
