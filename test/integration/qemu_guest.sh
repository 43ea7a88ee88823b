#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# qemu_guest.sh - a real qemu guest (Debian kernel, busybox initramfs,
# virtio-net over -netdev stream) on passt's UNIX socket:
#
#   always:            eth0 with the MAC qemu was given, carrier; busybox
#                      arping for the gateway gets 3 replies, all from
#                      9a:55:9a:55:9a:55; passt keeps running after the
#                      guest powers off and serves the next client; with
#                      --one-off passt exits (status 0) once the guest is
#                      gone
#   QEMU_GUEST_FULL=1 (default; 0 skips): udhcpc gets 198.51.100.2/24 router 198.51.100.1
#                      (DNS 203.0.113.1, MTU 65520); ping to 198.51.100.1
#                      and, after SLAAC, ping6 to 2001:db8::1 get every
#                      reply
#
# The guest side is test/guest/net_check.sh; the harness is
# test/lib/guest_qemu.sh.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest_qemu.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest_qemu.sh"

FULL=${QEMU_GUEST_FULL:-1}

test_start

command -v "$QEMU" >/dev/null || fail "$QEMU not found (install qemu-system-x86)"

# A distribution lets every group open ICMP echo sockets (systemd's
# 50-default.conf); a fresh namespace does not.  passt, running as nobody,
# needs them to relay the guest's pings.
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

initrd="$TOPO_TMP/guest.cpio.gz"
if ! guest_build_initramfs "$initrd" "$GUEST_DIR/net_check.sh"; then
	fail "cannot build the guest initramfs"
fi
ok "guest initramfs built ($(stat -c %s "$initrd") bytes, kernel $GUEST_KVER)"

# eui64_addr() - MAC: the SLAAC address in 2001:db8::/64 for MAC, /64
eui64_addr() {
	local IFS=: b

	# shellcheck disable=SC2086 # split on IFS
	set -- $1
	b=$((0x$1 ^ 2))
	printf '2001:db8::%x:%x:%x:%x/64\n' $(((b << 8) | 0x$2)) \
		$(((0x$3 << 8) | 0xff)) $((0xfe00 | 0x$4)) $(((0x$5 << 8) | 0x$6))
}

# show_passt_log() - LOG: print passt's log, indented
show_passt_log() {
	info "passt log:"
	sed 's/^/#   passt: /' "$1"
}

# --- 1. passt -f -s SOCK, the guest boots, checks, powers off ---------------

sock="$TOPO_TMP/passt.sock"
plog="$TOPO_TMP/passt.log"
bg_host "$plog" "$PASST" -f -s "$sock"
ppid=$BG_PID
wait_until 5 test -S "$sock" || { show_passt_log "$plog"; fail "passt did not create $sock"; }
ok "passt -f -s listens on $sock (PID $ppid)"

glog="$TOPO_TMP/guest.log"
if [ "$FULL" = 1 ]; then
	GUEST_APPEND="guest_full=1"
	timeout=120
else
	GUEST_APPEND=""
	timeout=60
fi
rc=0
guest_run "$sock" "$initrd" "$glog" "$timeout" || rc=$?
guest_show_log "$glog"
if [ "$rc" != 0 ]; then
	show_passt_log "$plog"
	[ "$rc" = 124 ] && fail "guest did not power off within $timeout s"
	fail "guest did not finish its script (qemu exit status $GUEST_RC)"
fi
ok "guest booted, ran its script and powered off in $GUEST_SECONDS s"
assert_eq "$GUEST_RC" 0 "qemu exit status"
assert_eq "$(guest_done_rc "$glog")" 0 "guest script exit status"
soft assert_eq "$(tr -d '\r' <"$glog" | grep '^GUEST-ERROR' || true)" "" \
	"no errors reported by the guest"

# r() - KEY: the guest's result for KEY, empty if none
r() {
	guest_result "$glog" "$1" || true
}

assert_eq "$(r eth0)" present "guest has eth0"
assert_eq "$(r eth0_mac)" "$GUEST_MAC" "eth0 has the MAC qemu was given"
assert_eq "$(r eth0_carrier)" 1 "eth0 has carrier"
assert_eq "$(r arping_rc)" 0 "arping -c 3 -I eth0 $GW_IP4 exit status"
assert_eq "$(r arp_replies)" 3 "ARP replies for $GW_IP4"
assert_eq "$(r arp_received)" 3 "arping counted 3 responses"
assert_eq "$(r arp_macs)" "$GW_MAC" "every ARP reply came from $GW_MAC"
pid_alive "$ppid" || { show_passt_log "$plog"; fail "passt died during the guest's run"; }

if [ "$FULL" = 1 ]; then
	soft assert_eq "$(r udhcpc_rc)" 0 "udhcpc exit status"
	soft assert_eq "$(r dhcp_ip)" "$HOST_IP4" "DHCP lease address"
	soft assert_eq "$(r dhcp_mask)" 24 "DHCP lease prefix length"
	soft assert_eq "$(r dhcp_router)" "$GW_IP4" "DHCP router"
	soft assert_token "$(r dhcp_dns)" "$REMOTE_IP4" "DHCP DNS server"
	soft assert_eq "$(r dhcp_mtu)" 65520 "DHCP MTU"
	soft assert_eq "$(r ping4_rc)" 0 "ping -c 3 $GW_IP4 exit status"
	soft assert_eq "$(r ping4_received)" 3 "ping replies from $GW_IP4"
	soft assert_token "$(r ip6_addr)" "$(eui64_addr "$GUEST_MAC")" \
		"SLAAC address: prefix 2001:db8::/64, EUI-64 from the MAC"
	soft assert_contains "$(r ip6_router)" "fe80::" "IPv6 default route via a link-local router"
	soft assert_eq "$(r ping6_rc)" 0 "ping6 -c 3 $GW_IP6 exit status"
	soft assert_eq "$(r ping6_received)" 3 "ping6 replies from $GW_IP6"
	if [ "$SOFT_FAILS" != 0 ]; then
		show_passt_log "$plog"
	fi
else
	info "DHCP, ping and ping6 from the guest not run: set QEMU_GUEST_FULL=1"
fi

# --- 2. passt outlives the guest and serves the next client ----------------

if wait_until 2 pid_alive "$ppid"; then
	ok "passt still running after the guest powered off"
else
	show_passt_log "$plog"
	fail "passt exited when the guest disconnected (no --one-off)"
fi
capture "$PYTHON" "$CLIENT" arp --sock "$sock" --target "$GW_IP4"
show_capture
[ "$CAP_RC" = 0 ] || show_passt_log "$plog"
assert_eq "$CAP_RC" 0 "next client after the guest: ARP for $GW_IP4 answered"
pid_alive "$ppid" || fail "passt is no longer running after the second client"

# --- 3. --one-off: passt exits once the guest disconnects -------------------

sock1="$TOPO_TMP/passt1.sock"
plog1="$TOPO_TMP/passt1.log"
bg_host "$plog1" "$PASST" -f -1 -s "$sock1"
ppid1=$BG_PID
wait_until 5 test -S "$sock1" || { show_passt_log "$plog1"; fail "passt --one-off did not create $sock1"; }
ok "passt -f --one-off -s listens on $sock1 (PID $ppid1)"

# The same guest, one ARP request; passt must be there until it powers off
glog1="$TOPO_TMP/guest1.log"
GUEST_APPEND="arp_count=1"
rc=0
guest_run "$sock1" "$initrd" "$glog1" 60 || rc=$?
if [ "$rc" != 0 ]; then
	guest_show_log "$glog1"
	show_passt_log "$plog1"
	fail "second guest (on the --one-off passt) did not finish (status $rc)"
fi
ok "second guest powered off in $GUEST_SECONDS s"
assert_eq "$(guest_result "$glog1" arp_replies || true)" 1 \
	"--one-off: guest got an ARP reply"
assert_eq "$(guest_result "$glog1" arp_macs || true)" "$GW_MAC" \
	"--one-off: ARP reply from $GW_MAC"

if wait_pid_exit "$ppid1" 5; then
	ok "passt --one-off exited after the guest disconnected"
else
	show_passt_log "$plog1"
	fail "passt --one-off still running 5 s after the guest powered off"
fi
rc=0
wait "$ppid1" || rc=$?
assert_eq "$rc" 0 "passt --one-off exit status"

# Stop the first passt
kill -TERM "$ppid"
wait_pid_exit "$ppid" 5 || fail "passt still running 5 s after SIGTERM"

soft_finish
if [ "$FULL" = 1 ]; then
	echo "qemu_guest: all checks passed (with DHCP, ping, ping6)"
else
	echo "qemu_guest: all checks passed (ARP; QEMU_GUEST_FULL=1 adds DHCP, ping, ping6)"
fi
