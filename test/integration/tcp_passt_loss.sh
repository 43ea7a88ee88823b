#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tcp_passt_loss.sh - one lost frame, at every position of a short TCP
# connection through passt: for each of the first TCP_LOSS_FRAMES (8)
# TCP frames in each direction (up to the last one the connection has) (passt -> guest, guest -> passt), a fresh
# passt, guest and relay.py that drops just that frame, and a 1 KiB
# transfer that must still arrive intact (SHA-256), both ways, on both
# paths (guest -> gateway -> host loopback, host loopback -> -t -> guest).
# So every handshake segment, data segment, ACK and FIN is lost once
# somewhere: SYN and SYN-ACK retransmission, a lost handshake ACK (the
# guest, in SYN-RECV, retransmits its SYN-ACK and must get an ACK again),
# data and FIN retransmission, a lost last ACK.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/assert.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"
# shellcheck source=../lib/topo.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/topo.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

FRAMES=${TCP_LOSS_FRAMES:-8}
XFER_TIMEOUT=${TCP_LOSS_TIMEOUT:-12}

topo_init
require_binaries
topo_setup
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

P_OUT=10001
P_IN=10010
f1k=$(tcp_mkfile kib 1K)
run=0

# one_loss() - PATH DIR SIDE N: fresh passt, guest and relay dropping the
# Nth TCP frame towards SIDE ("in": to the guest, "out": to passt), then
# one transfer: PATH "out" (guest -> gateway) or "in" (host -> -t -> guest)
one_loss() {
	local path=$1 dir=$2 side=$3 n=$4 sock g ppid rpid label stats rc=0
	local to=guest

	[ "$side" = out ] && to=passt

	run=$((run + 1))
	sock="$TOPO_TMP/passt$run.sock"
	stats="$TOPO_TMP/relay$run.json"
	bg_host "$TOPO_TMP/passt$run.log" "$PASST" -f -s "$sock" -t "$P_IN" -u none
	ppid=$BG_PID
	DAEMON_LOG="$TOPO_TMP/passt$run.log"
	if ! wait_until 5 test -S "$sock"; then
		show_log "$DAEMON_LOG" "passt log"
		if pid_alive "$ppid"; then
			tfail "passt did not create $sock within 5 s (still running)"
		else
			wait "$ppid" || rc=$?
			tfail "passt did not create $sock: exited with status $rc"
		fi
		return 1
	fi
	g=$(topo_netns_name "g$run")
	guest_ns_tap "$g" 65520
	bg_ns "$g" "$TOPO_TMP/relay$run.log" "$PYTHON" "$RELAY" --sock "$sock" \
		--stats "$stats" "--drop-tcp-$side" "$n"
	rpid=$BG_PID
	guest_ns_config "$g" >/dev/null

	if [ "$path" = out ]; then
		label="guest->gateway, TCP frame #$n to $to lost"
		tcp_xfer "$label" "$dir" "$HOST_NS" 127.0.0.1 "$P_OUT" \
			"$g" "$GW_IP4" "$P_OUT" "$f1k" || rc=1
	else
		label="host->-t->guest, TCP frame #$n to $to lost"
		tcp_xfer "$label" "$dir" "$g" 0.0.0.0 "$P_IN" \
			"$HOST_NS" 127.0.0.1 "$P_IN" "$f1k" || rc=1
	fi
	topo_kill_pid "$rpid"
	wait "$rpid" 2>/dev/null || true
	if [ "$(json_get "$(cat "$stats" 2>/dev/null)" "$side.dropped")" != 1 ]; then
		info "(fewer than $n TCP frames to $to: nothing dropped)"
		LOSS_PAST_END=1
	fi
	if ! pid_alive "$ppid"; then
		tfail "passt exited"
		rc=1
	fi
	topo_kill_pid "$ppid"
	wait "$ppid" 2>/dev/null || true
	ip netns del "$g"
	return "$rc"
}

LOSS_PAST_END=0
for path in out in; do
	for dir in down up; do
		for side in in out; do
			LOSS_PAST_END=0
			for n in $(seq "$FRAMES"); do
				tcp_check one_loss "$path" "$dir" "$side" "$n"
				# Past the last frame: the next ones won't exist either
				[ "$LOSS_PAST_END" = 0 ] || break
			done
		done
	done
done

soft_finish
echo "tcp_passt_loss: all checks passed"
