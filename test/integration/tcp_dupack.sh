#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tcp_dupack.sh - what passt takes as a duplicate ACK from the guest
#
# A guest written by hand over passt's socket (tcp_dupack_tool.py), IPv4
# and IPv6, connects through the gateway address to a server on the host
# namespace's loopback that sends 256 KiB at once.  The guest offers a
# 4 KiB window and takes that much without acknowledging it; then
#
# - three window updates, each with the same acknowledgement number and a
#   larger window (a guest whose application reads slowly): passt fills
#   the opened window with new data and sends nothing again (RFC 5681, 2:
#   an ACK that changes the window is no duplicate)
# - three duplicate ACKs, the same acknowledgement number and the same
#   window: passt sends the segment at that number again at once (fast
#   retransmit, RFC 5681, 3.2)
#
# Both within 150 ms of the ACKs, before passt's retransmission timeout.
# Before the fix, passt took the window updates as duplicate ACKs and
# sent the first unacknowledged segment again.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

TOOL="$TOPO_ROOT/test/integration/tcp_dupack_tool.py"
PORT=10720

test_start

sock="$TOPO_TMP/passt.sock"
log="$TOPO_TMP/passt.log"
passt_start "$sock" "$log" -d

capture in_host timeout 60 "$PYTHON" "$TOOL" --passt "$sock" --port "$PORT" \
	--guest4 "$HOST_IP4" --guest6 "$HOST_IP6" --gw4 "$GW_IP4" \
	--gw6 "$GW_IP6"
printf '%s\n' "$CAP_OUT"
if [ "$CAP_RC" != 0 ]; then
	[ -z "$CAP_ERR" ] || printf '%s\n' "$CAP_ERR" | sed 's/^/#   /'
	show_log "$log" "passt log"
	tfail "window updates and duplicate ACKs from the guest, see above"
fi
info "passt's log: $(grep -c 'fast retransmit' "$log" || true) fast" \
     "retransmits, $(grep -c 'retransmission timeout' "$log" || true)" \
     "retransmission timeouts"
topo_kill_pid "$PASST_PID"

soft_finish
echo "tcp_dupack: all checks passed"
