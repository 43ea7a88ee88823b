#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# qemu.sh - qemu 10 (bookworm-backports tree) reconnects to a restarted
# passt: the guest (Debian kernel, busybox initramfs, test/lib/
# guest_qemu.sh) is on
#
#   -netdev stream,id=n0,server=off,addr.type=unix,addr.path=SOCK,
#           reconnect-ms=500
#
# of our passt.  The guest polls a banner server in the router namespace
# until it says "phase1"; then passt is stopped (SIGTERM), the server
# changed to say "phase2" and passt started again on the same socket,
# while the guest runs.  Checks: qemu is version 10; the guest got its
# lease and reached the server (phase1) from the host's address; after the
# restart the guest's traffic resumes (phase2) without the guest doing
# anything but retry.  Broken on purpose: the same, but the "passt"
# started again exits at once: the guest never sees phase2.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest_qemu.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest_qemu.sh"
# shellcheck source=lib/clients.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/clients.sh"

test_start
guest_tests_start "$(dirname "${BASH_SOURCE[0]}")/guest/reconnect.sh"
guest_boot_image || fail "no guest kernel"
# qemu in the tree sees the kernel, initramfs and socket at their paths
TREE_SAME=("$TOPO_TMP" "$(dirname "$GUEST_BOOT_IMAGE")")
tree_start bpo
broken_pastas

QEMU="$TOPO_TMP/qemu-in-tree"
printf '#!/bin/sh\nexec nsenter -t %s -m -n -r -w -- qemu-system-x86_64 "$@"\n' \
	"$TREE_PID" >"$QEMU"
chmod 755 "$QEMU"
capture "$QEMU" --version
show_capture
assert_contains "$CAP_OUT" "QEMU emulator version 10." "qemu 10 from the tree"
GUEST_NETDEV=reconnect-ms=500

BANNER_PID=""
# banner() - TEXT: (re)start the banner server on $REMOTE_IP4:7070
banner() {
	[ -z "$BANNER_PID" ] || topo_kill_pid "$BANNER_PID"
	srv_start "$ROUTER_NS" "banner-$1" banner --bind "$REMOTE_IP4" \
		--port 7070 --text "$1"
	BANNER_PID=$BG_PID
}

# restart_run() - LABEL RESTART_CMD... : boot the guest on passt, wait for
# phase1, stop passt, switch the banner to phase2, run RESTART_CMD (which
# starts the new daemon on $sock), let the guest finish
restart_run() {
	local l=$1 glog="$TOPO_TMP/guest-$1.log" plog="$TOPO_TMP/passt-$1.log"

	shift
	banner phase1
	passt_start "$sock" "$plog"
	guest_start "$sock" "$GUEST_INITRD" "$glog" || fail "$l: cannot start qemu"
	info "$l: qemu PID $GUEST_PID runs $(readlink "/proc/$GUEST_PID/exe")"
	if ! guest_wait_result "$glog" phase1=ok 90; then
		guest_show_log "$glog"
		fail "$l: the guest never reached the server through the first passt"
	fi
	ok "$l: the guest reached $REMOTE_IP4 through the first passt: $(r "$glog" phase1_banner)"
	topo_kill_pid "$PASST_PID"
	wait "$PASST_PID" 2>/dev/null || true
	rm -f "$sock"
	banner phase2
	"$@"
	guest_finish "$glog" "$l" "$plog" 180
	GLOG=$glog
}

sock="$TOPO_TMP/passt.sock"

# --- 1. passt restarted -----------------------------------------------------

restart_run ours passt_start "$sock" "$TOPO_TMP/passt-ours-2.log" --one-off
soft assert_eq "$(r "$GLOG" udhcpc_rc)" 0 "the guest got its lease"
soft assert_eq "$(r "$GLOG" dhcp_ip)" "$HOST_IP4" "lease: the host's address"
soft assert_eq "$(r "$GLOG" phase2)" ok "after passt restarted, the guest's traffic resumes"
soft assert_contains "$(r "$GLOG" phase2_banner)" "phase2 peer=$HOST_IP4:" \
	"through the new passt, from the host's address"

# --- 2. broken on purpose: what starts again exits at once -------------------

# start_broken() - run the broken pasta as passt would be run
start_broken() {
	capture "$CLIENTS_WORK/exit1/pasta" -f -s "$sock"
	info "broken daemon exited with status $CAP_RC"
}
GUEST_APPEND="phase2_wait=15"
restart_run broken start_broken
soft assert_eq "$(r "$GLOG" phase2)" timeout \
	"broken: the guest's traffic does not resume (the check fails)"

soft_finish
