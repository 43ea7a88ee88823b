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
guest_tests_start "$GUEST_DIR/net_check.sh"
ok "guest initramfs built ($(stat -c %s "$GUEST_INITRD") bytes, kernel $GUEST_KVER)"

# --- 1. passt -f -s SOCK, the guest boots, checks, powers off ---------------

sock="$TOPO_TMP/passt.sock"
plog="$TOPO_TMP/passt.log"
passt_start "$sock" "$plog"
ppid=$PASST_PID
ok "passt -f -s listens on $sock (PID $ppid)"

glog="$TOPO_TMP/guest.log"
if [ "$FULL" = 1 ]; then
	GUEST_APPEND="guest_full=1"
	timeout=120
else
	GUEST_APPEND=""
	timeout=60
fi
guest_start "$sock" "$GUEST_INITRD" "$glog" || fail "cannot start qemu"
guest_finish "$glog" "guest" "$plog" "$timeout"
assert_eq "$(guest_done_rc "$glog")" 0 "guest script exit status"
soft assert_eq "$(tr -d '\r' <"$glog" | grep '^GUEST-ERROR' || true)" "" \
	"no errors reported by the guest"

assert_eq "$(r "$glog" eth0)" present "guest has eth0"
assert_eq "$(r "$glog" eth0_mac)" "$GUEST_MAC" "eth0 has the MAC qemu was given"
assert_eq "$(r "$glog" eth0_carrier)" 1 "eth0 has carrier"
assert_eq "$(r "$glog" arping_rc)" 0 "arping -c 3 -I eth0 $GW_IP4 exit status"
assert_eq "$(r "$glog" arp_replies)" 3 "ARP replies for $GW_IP4"
assert_eq "$(r "$glog" arp_received)" 3 "arping counted 3 responses"
assert_eq "$(r "$glog" arp_macs)" "$GW_MAC" "every ARP reply came from $GW_MAC"
pid_alive "$ppid" || { show_log "$plog" "passt log" all; fail "passt died during the guest's run"; }

if [ "$FULL" = 1 ]; then
	guest_check_lease "$glog" guest
	soft assert_eq "$(r "$glog" ping4_rc)" 0 "ping -c 3 $GW_IP4 exit status"
	soft assert_token "$(r "$glog" ip6_addr)" "$(eui64_addr "$GUEST_MAC")" \
		"SLAAC address: prefix 2001:db8::/64, EUI-64 from the MAC"
	soft assert_contains "$(r "$glog" ip6_router)" "fe80::" "IPv6 default route via a link-local router"
	soft assert_eq "$(r "$glog" ping6_rc)" 0 "ping6 -c 3 $GW_IP6 exit status"
	soft assert_eq "$(r "$glog" ping6_received)" 3 "ping6 replies from $GW_IP6"
	if [ "$SOFT_FAILS" != 0 ]; then
		show_log "$plog" "passt log" all
	fi
else
	info "DHCP, ping and ping6 from the guest not run: set QEMU_GUEST_FULL=1"
fi

# --- 2. passt outlives the guest and serves the next client ----------------

if wait_until 2 pid_alive "$ppid"; then
	ok "passt still running after the guest powered off"
else
	show_log "$plog" "passt log" all
	fail "passt exited when the guest disconnected (no --one-off)"
fi
capture "$PYTHON" "$CLIENT" arp --sock "$sock" --target "$GW_IP4"
show_capture
[ "$CAP_RC" = 0 ] || show_log "$plog" "passt log" all
assert_eq "$CAP_RC" 0 "next client after the guest: ARP for $GW_IP4 answered"
pid_alive "$ppid" || fail "passt is no longer running after the second client"

# --- 3. --one-off: passt exits once the guest disconnects -------------------

sock1="$TOPO_TMP/passt1.sock"
plog1="$TOPO_TMP/passt1.log"
passt_start "$sock1" "$plog1" -1
ppid1=$PASST_PID
ok "passt -f --one-off -s listens on $sock1 (PID $ppid1)"

# The same guest, one ARP request; passt must be there until it powers off
glog1="$TOPO_TMP/guest1.log"
GUEST_APPEND="arp_count=1"
guest_start "$sock1" "$GUEST_INITRD" "$glog1" || fail "cannot start qemu"
guest_finish "$glog1" "second guest (on the --one-off passt)" "$plog1" 60
assert_eq "$(r "$glog1" arp_replies)" 1 "--one-off: guest got an ARP reply"
assert_eq "$(r "$glog1" arp_macs)" "$GW_MAC" "--one-off: ARP reply from $GW_MAC"
passt_one_off_exit "$ppid1" "$plog1" "second guest"

# Stop the first passt
kill -TERM "$ppid"
wait_pid_exit "$ppid" 5 || fail "passt still running 5 s after SIGTERM"

soft_finish
if [ "$FULL" = 1 ]; then
	echo "qemu_guest: all checks passed (with DHCP, ping, ping6)"
else
	echo "qemu_guest: all checks passed (ARP; QEMU_GUEST_FULL=1 adds DHCP, ping, ping6)"
fi
