#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libvirt.sh - passt started the way libvirt starts it for an interface of
# type "user" with the passt back end, replayed with its exact options:
#
#   passt --one-off --socket SOCK --mac-addr MAC --pid FILE --mtu 1500
#         --interface eth0 --log-file LOG --address 10.0.2.15 --netmask 24
#         --gateway 10.0.2.2 --tcp-ports 2222:22
#
# passt goes to the background; libvirt then reads the PID file and starts
# qemu on the socket.  Two runs:
#
#   1. session mode: everything as the unprivileged user (nobody), files in
#      a directory of that user; --mac-addr is the guest's own MAC address,
#      as libvirt passes it.  The guest (test/guest/full_check.sh): lease
#      10.0.2.15/24, router 10.0.2.2, MTU 1500; ping 10.0.2.2 (the host's
#      loopback); download from the host's 127.0.0.1 through 10.0.2.2;
#      busybox nc to 203.0.113.1 in the router namespace, which sees the
#      connection come from the host's own 198.51.100.2; the host's
#      127.0.0.1:2222 reaches nc -l -p 22 in the guest (data both ways)
#   2. as root, files in a directory only root can write, --mac-addr
#      02:00:00:00:00:01: lease, ping, and the gateway's MAC address in the
#      guest's neighbour table is 02:00:00:00:00:01 (--mac-addr is passt's
#      own address on the link)
#
# Both times: after the guest powers off, passt exits by itself
# (--one-off), the log file has the configuration in it; the PID file and
# the socket are gone in session mode, and left in the directory only root
# can write to in the second run (passt runs as nobody by then), still
# root's, for libvirt to remove.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest_qemu.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest_qemu.sh"

HTTP_PORT=8081
BANNER_PORT=7070
VM_ADDR=10.0.2.15
VM_GW=10.0.2.2

test_start
guest_tests_start "$GUEST_DIR/full_check.sh"
topo_unpriv_bin

# Servers: a download on the host's loopback, a banner on the "remote"
guest_http_server "$HTTP_PORT" 1048576
head -c 100000 /dev/urandom >"$TOPO_TMP/cli.bin"
CLI_SHA=$(sha256sum <"$TOPO_TMP/cli.bin" | cut -d' ' -f1)
srv_start "$ROUTER_NS" banner banner --bind "$REMOTE_IP4" \
	--port "$BANNER_PORT" --text hello-from-remote

# start_libvirt_passt() - LABEL DIR MAC RUNNER...: run passt with
# libvirt's options, files in DIR; sets PPID_D, SOCK, PIDF, LOGF
PPID_D=""
SOCK=""
PIDF=""
LOGF=""
start_libvirt_passt() {
	local label=$1 dir=$2 mac=$3

	shift 3
	SOCK="$dir/vm-net0.socket"
	PIDF="$dir/vm-net0.pid"
	LOGF="$dir/vm-net0.log"
	topo_track_pidfile "$PIDF"
	capture in_host timeout 20 "$@" --one-off --socket "$SOCK" \
		--mac-addr "$mac" --pid "$PIDF" --mtu 1500 --interface eth0 \
		--log-file "$LOGF" --address "$VM_ADDR" --netmask 24 \
		--gateway "$VM_GW" --tcp-ports 2222:22
	show_capture
	assert_eq "$CAP_RC" 0 "$label: passt returned 0 after going to the background"
	# libvirt reads the PID file as soon as passt returns
	PPID_D=$(read_pidfile "$PIDF") || true
	soft assert_ne "$PPID_D" "" "$label: PID file written by the time passt returned"
	if [ -z "$PPID_D" ]; then
		wait_until 2 read_pidfile "$PIDF" >/dev/null || true
		PPID_D=$(read_pidfile "$PIDF") || fail "$label: no PID in $PIDF"
	fi
	topo_track_pid "$PPID_D"
	pid_alive "$PPID_D" || fail "$label: PID $PPID_D from $PIDF is not running"
	ok "$label: $PIDF holds the daemon's PID ($PPID_D)"
	assert_eq "$(readlink "/proc/$PPID_D/exe" | sed 's,.*/,,')" passt \
		"$label: the PID is passt's"
	[ -S "$SOCK" ] || fail "$label: no socket at $SOCK"
	ok "$label: socket $SOCK"
}

# after_one_off() - LABEL removed|left: passt exits, PID file and socket
# removed, or left in place, root's (then removed here, as libvirt does),
# log kept
after_one_off() {
	local l=$1 f

	if wait_pid_exit "$PPID_D" 5; then
		ok "$l: passt exited after the guest powered off (--one-off)"
	else
		show_log "$LOGF" "passt log" all
		fail "$l: passt (PID $PPID_D) still running 5 s after the guest powered off"
	fi
	if [ "$2" = removed ]; then
		wait_until 2 test ! -e "$PIDF" || true
		assert_not_exists "$PIDF" "$l: PID file removed"
		wait_until 2 test ! -e "$SOCK" || true
		assert_not_exists "$SOCK" "$l: socket removed"
	else
		for f in "$PIDF" "$SOCK"; do
			assert_exists "$f" "$l: left for libvirt to remove"
			assert_eq "$(stat -c %u "$f")" 0 "$l: $f still root's"
			rm -f "$f"
		done
	fi
	[ -s "$LOGF" ] || fail "$l: log file $LOGF is empty or missing"
	show_log "$LOGF" "passt log" all
	ok "$l: log file has $(wc -l <"$LOGF") lines"
	assert_contains "$(cat "$LOGF")" "$VM_ADDR" "$l: log file shows the configured address"
}

# check_guest() - LOG LABEL MAC [NOTE]: the guest's lease is what libvirt's
# options say, it reached the gateway (MAC: --mac-addr) and downloaded
check_guest() {
	local g=$1 l=$2

	soft assert_eq "$(r "$g" failed_checks)" 0 "$l: no check failed in the guest"
	soft assert_eq "$(r "$g" dhcp_ip)/$(r "$g" dhcp_mask)" "$VM_ADDR/24" \
		"$l: lease has --address/--netmask"
	soft assert_eq "$(r "$g" dhcp_router)" "$VM_GW" "$l: router is --gateway"
	soft assert_eq "$(r "$g" dhcp_mtu)" 1500 "$l: MTU is --mtu"
	soft assert_eq "$(r "$g" ping4_received)" 3 "$l: ping replies from $VM_GW"
	soft assert_eq "$(r "$g" gw4_mac)" "$3" \
		"$l: the gateway's MAC seen by the guest is --mac-addr${4:-}"
	soft assert_eq "$(r "$g" http_sha256)" "$DL_SHA" \
		"$l: download through $VM_GW (SHA-256)"
}

# --- 1. session mode: as nobody, --mac-addr = the guest's MAC ---------------

dir="$TOPO_TMP/session"
mkdir -m 700 "$dir"
chown "$NOBODY_UID:$NOBODY_GID" "$dir"
start_libvirt_passt "session (nobody)" "$dir" "$GUEST_MAC" "${AS_NOBODY[@]}" "$UPASST"
assert_eq "$(daemon_status "$PPID_D" Uid)" "$NOBODY_UID" "session: passt runs as nobody"

g1="$TOPO_TMP/guest1.log"
GUEST_APPEND="t_checks=dhcp,ping4,neigh,http,outbound,tcpin t_gw4=$VM_GW"
GUEST_APPEND+=" t_http=$HTTP_PORT t_out=$REMOTE_IP4:$BANNER_PORT t_tcpin_port=22"
GUEST_APPEND+=" t_srv_size=200000"
guest_start "$SOCK" "$GUEST_INITRD" "$g1" || fail "cannot start qemu"
if guest_wait_result "$g1" tcpin_ready=1 120; then
	capture in_host timeout 60 "$PYTHON" "$SRV" tcpx --connect 127.0.0.1:2222 \
		--send "$TOPO_TMP/cli.bin" --expect-size 200000
	show_capture
	soft assert_eq "$CAP_RC" 0 "session: host 127.0.0.1:2222 -> guest port 22, both directions"
	soft assert_line "$CAP_OUT" "tcpx recv 200000 $(r "$g1" tcpin_srv_sha256)" \
		"session: the host got the guest's data (SHA-256)"
else
	soft fail "session: guest never reported tcpin_ready=1"
fi
guest_finish "$g1" session "$LOGF" 120
check_guest "$g1" session "$GUEST_MAC" \
	" (here the guest's own, as libvirt passes it)"
soft assert_contains "$(r "$g1" outbound_text)" "hello-from-remote peer=$HOST_IP4:" \
	"session: outbound TCP to $REMOTE_IP4 arrives from the host's address"
soft assert_eq "$(r "$g1" tcpin_recv_size) $(r "$g1" tcpin_recv_sha256)" "100000 $CLI_SHA" \
	"session: the guest got the host's data on port 22"
after_one_off "session" removed

# --- 2. as root, --mac-addr 02:00:00:00:00:01 ---------------------------------

dir="$TOPO_TMP/system"
mkdir -m 755 "$dir"
start_libvirt_passt "root" "$dir" 02:00:00:00:00:01 "$PASST"
g2="$TOPO_TMP/guest2.log"
GUEST_APPEND="t_checks=dhcp,ping4,neigh,http t_gw4=$VM_GW t_http=$HTTP_PORT"
guest_start "$SOCK" "$GUEST_INITRD" "$g2" || fail "cannot start qemu"
guest_finish "$g2" root "$LOGF" 120
check_guest "$g2" root 02:00:00:00:00:01
after_one_off "root" left

soft_finish
echo "libvirt: all checks passed"
