#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt_socket.sh - the qemu framing on passt's UNIX socket: ARP replies
# from 9a:55:9a:55:9a:55, a frame split across writes, several frames in
# one write, a maximum-size frame, one client after the other, impossible
# frame lengths dropping the client, SIGTERM removing the socket (from a
# directory of nobody's: started as root, passt runs as nobody by then,
# see passt_daemon.sh).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

test_start

sock="$(nobody_dir run)/passt.sock"
log="$TOPO_TMP/passt.log"
passt_start "$sock" "$log"
ppid=$PASST_PID
ok "passt -f -s listens on $sock"

# client() - LABEL ARGS...: run the test client, expect success
client() {
	local label=$1

	shift
	capture "$PYTHON" "$CLIENT" "$@"
	show_capture
	if [ "$CAP_RC" != 0 ]; then
		info "passt log:"
		sed 's/^/#   /' "$log"
	fi
	assert_eq "$CAP_RC" 0 "$label"
	pid_alive "$ppid" || fail "$label: passt is no longer running"
}

client "ARP for the gateway $GW_IP4" \
	arp --sock "$sock" --target "$GW_IP4"
client "second client after the first disconnected: ARP for $REMOTE_IP4" \
	arp --sock "$sock" --target "$REMOTE_IP4"
client "padded 60-byte ARP request" \
	arp --sock "$sock" --target 198.51.100.77 --pad
client "no ARP reply for the guest's own address $HOST_IP4" \
	arp --sock "$sock" --target "$HOST_IP4" --expect-none --timeout 1
client "one frame split across 3 writes, 0.2 s apart" \
	arp --sock "$sock" --target "$GW_IP4" --split 3 --delay 0.2
client "3 frames in one write: 3 replies" \
	arp --sock "$sock" --target "$GW_IP4" --target "$REMOTE_IP4" --target 198.51.100.77
client "3 frames split across 7 writes" \
	arp --sock "$sock" --target "$GW_IP4" --target "$REMOTE_IP4" --target 198.51.100.77 \
	--split 7 --delay 0.05
client "3 requests one after the other on one connection" \
	arp --sock "$sock" --target "$GW_IP4" --target "$REMOTE_IP4" --target 198.51.100.77 \
	--sequential
client "maximum-size frame (65549 bytes) then ARP in one write" \
	arp --sock "$sock" --junk-before 65549 --target "$GW_IP4"

# Impossible lengths: passt drops that client, then accepts another one
for len in 0 65550 4294967295; do
	before=$(wc -l <"$log")
	client "frame length $len: connection closed by passt" \
		impossible --sock "$sock" --length "$len" --extra 64
	client "frame length $len: next client gets ARP replies" \
		arp --sock "$sock" --target "$GW_IP4"
	soft assert_token "$(tail -n +"$((before + 1))" "$log")" "$len" \
		"frame length $len: logged"
done

# Client that vanishes in the middle of a frame
capture "$PYTHON" - "$sock" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(struct.pack("!I", 42) + b"\xff" * 20)
s.close()
EOF
assert_eq "$CAP_RC" 0 "client closed after half a frame"
client "after a half-frame disconnect the next client gets ARP replies" \
	arp --sock "$sock" --target "$GW_IP4"

# SIGTERM: exits, removes its socket
kill -TERM "$ppid"
if wait_pid_exit "$ppid" 5; then
	ok "passt exited after SIGTERM"
else
	fail "passt still running 5 s after SIGTERM"
fi
rc=0
wait "$ppid" || rc=$?
info "passt exit status after SIGTERM: $rc"
soft assert_not_exists "$sock" "socket file removed on SIGTERM"

soft_finish
echo "passt_socket: all checks passed"
