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
# data and FIN retransmission, a lost last ACK.  Then, at MTU 1500, the
# sixth frame to the guest of a 64 KiB transfer that ends with the FIN.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

FRAMES=${TCP_LOSS_FRAMES:-8}
XFER_TIMEOUT=${TCP_LOSS_TIMEOUT:-12}

test_start
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

P_OUT=10001
P_IN=10010
f1k=$(tcp_mkfile kib 1K)
run=0
QUIET_AFTER=0

# tcp_frames_to_guest() - PCAP: number of TCP frames passt sent to the guest
tcp_frames_to_guest() {
	tcpdump -nn -r "$1" "tcp and src host $GW_IP4" 2>/dev/null | wc -l
}

# one_loss() - PATH DIR SIDE N [MTU FILE]: fresh passt, guest (MTU, default
# 65520) and relay dropping the Nth TCP frame towards SIDE ("in": to the
# guest, "out": to passt), then one transfer of FILE (default 1 KiB): PATH
# "out" (guest -> gateway) or "in" (host -> -t -> guest)
one_loss() {
	local path=$1 dir=$2 side=$3 n=$4 mtu=${5:-65520} f=${6:-$f1k}
	local sock g ppid rpid label stats rc=0 to=guest a b

	[ "$side" = out ] && to=passt

	run=$((run + 1))
	sock="$TOPO_TMP/passt$run.sock"
	stats="$TOPO_TMP/relay$run.json"
	bg_host "$TOPO_TMP/passt$run.log" "$PASST" -f -s "$sock" -t "$P_IN" \
		-u none -p "$TOPO_TMP/passt$run.pcap"
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
	guest_ns_tap "$g" "$mtu"
	bg_ns "$g" "$TOPO_TMP/relay$run.log" "$PYTHON" "$RELAY" --sock "$sock" \
		--stats "$stats" "--drop-tcp-$side" "$n"
	rpid=$BG_PID
	guest_ns_config "$g" >/dev/null

	if [ "$path" = out ]; then
		label="guest->gateway, TCP frame #$n to $to lost"
		tcp_xfer "$label" "$dir" "$HOST_NS" 127.0.0.1 "$P_OUT" \
			"$g" "$GW_IP4" "$P_OUT" "$f" || rc=1
	else
		label="host->-t->guest, TCP frame #$n to $to lost"
		tcp_xfer "$label" "$dir" "$g" 0.0.0.0 "$P_IN" \
			"$HOST_NS" 127.0.0.1 "$P_IN" "$f" || rc=1
	fi
	# QUIET_AFTER=1: both ends closed, everything acknowledged, so passt
	# has nothing left to send to the guest (the pcap holds what it sent)
	# (the transfer ends when the far end reads the end of file: passt's
	# ACK of the guest's FIN, sent in the same loop iteration, may reach
	# the pcap a moment after that, on a loaded machine: start counting
	# once it's there, that is once the pcap stops growing for 0.3 s)
	if [ "$rc" = 0 ] && [ "$QUIET_AFTER" = 1 ]; then
		pcap="$TOPO_TMP/passt$run.pcap"
		a=$(tcp_frames_to_guest "$pcap")
		for _ in 1 2 3 4 5; do
			sleep 0.3
			b=$(tcp_frames_to_guest "$pcap")
			[ "$a" = "$b" ] && break
			a=$b
		done
		sleep 1.5
		b=$(tcp_frames_to_guest "$pcap")
		if [ "$a" != "$b" ]; then
			tcpdump -nn -r "$pcap" "tcp and src host $GW_IP4" \
				2>/dev/null | tail -n $((b - a + 2)) |
				sed 's/^/#   /'
			tfail "$label: passt sent $((b - a)) more TCP frames in the" \
			      "1.5 s after the transfer"
			rc=1
		fi
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

# A segment lost early in a burst that ends with the FIN (MTU 1500, 64 KiB
# written at once, then close): the guest keeps the rest and the FIN out
# of order, passt sends the lost segment again, and the guest's ACK then
# covers the FIN as well: no retransmission after that, and a clean close
# (our ACK of the guest's FIN, not a reset for it sent again)
f64k=$(tcp_mkfile k64 64K)
QUIET_AFTER=1
for path in out in; do
	for dir in down up; do
		tcp_check one_loss "$path" "$dir" in 6 1500 "$f64k"
	done
done

soft_finish
echo "tcp_passt_loss: all checks passed"
