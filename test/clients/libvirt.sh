#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libvirt.sh - libvirt 11 (bookworm-backports tree), session mode, as an
# unprivileged user, runs a TCG domain whose interface is
#
#   <interface type='user'><backend type='passt'/>
#     <portForward proto='tcp'><range start='2222' to='22'/></portForward>
#
# with our passt: the session daemon finds passt on its $PATH, where our
# /opt/passt comes first.  The guest is the Debian kernel with the busybox
# initramfs of test/lib/guest_qemu.sh running guest/libvirt.sh.  Checks:
# the passt libvirt ran is ours (its argv is shown); the guest got its
# lease (the host's address, the gateway); it reached the router
# namespace (the banner sees the host's address) and the host's loopback
# through the gateway address; the host's 127.0.0.1:2222 reaches the
# guest's port 22 (<portForward>), text checked; after virsh destroy,
# passt is gone.  Broken on purpose: a "passt" that exits at once first
# on $PATH: virsh start fails.
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
guest_tests_start "$(dirname "${BASH_SOURCE[0]}")/guest/libvirt.sh"
guest_boot_image || fail "no guest kernel"
# The domain's kernel and initramfs, readable by the user, at their paths
# in the tree (the kernel's cache directory is root's only)
cp "$GUEST_BOOT_IMAGE" "$TOPO_TMP/vmlinux"
GUEST_BOOT_IMAGE="$TOPO_TMP/vmlinux"
chmod 644 "$GUEST_INITRD" "$GUEST_BOOT_IMAGE"
TREE_SAME=("$TOPO_TMP")
tree_start bpo
broken_pastas
ln -s pasta "$CLIENTS_WORK/exit1/passt"

remote_servers none.example 192.0.2.1
srv_start "$HOST_NS" hlo banner --bind 127.0.0.1 --port 7071 \
	--text hello-from-host-loopback

CONSOLE=/work/home/console.log
GLOG="$CLIENTS_WORK/home/console.log"

# domain_xml() - the domain, TCG, direct kernel boot, passt backend
domain_xml() {
	cat <<EOX
<domain type='qemu'>
  <name>ptest</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$GUEST_BOOT_IMAGE</kernel>
    <initrd>$GUEST_INITRD</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <cpu mode='maximum' check='none'/>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='user'>
      <backend type='passt'/>
      <mac address='$GUEST_MAC'/>
      <model type='virtio'/>
      <rom enabled='no'/>
      <portForward proto='tcp'>
        <range start='2222' to='22'/>
      </portForward>
    </interface>
    <serial type='file'>
      <source path='$CONSOLE'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOX
}
domain_xml >"$CLIENTS_WORK/domain.xml"

VIRSH=(virsh -q -c qemu:///session)
TREE_ENV=(PATH=/opt/passt:/usr/sbin:/usr/bin:/sbin:/bin)
tree_user_cmd
tree_on_exit "${TREE_USER[*]} ${VIRSH[*]} destroy ptest"

capture tree_user "${VIRSH[@]}" version
show_capture
assert_contains "$CAP_OUT" "libvirt 11." "libvirt 11 from the tree"
capture tree_user "${VIRSH[@]}" define /work/domain.xml
[ "$CAP_RC" = 0 ] || { show_capture; fail "virsh define"; }

# --- 1. our passt --------------------------------------------------------------

capture tree_user "${VIRSH[@]}" start ptest
show_capture
[ "$CAP_RC" = 0 ] || fail "virsh start failed"
ok "virsh start: the domain runs"

check_ours libvirt

if ! wait_until 120 guest_said "$GLOG" listening=1; then
	guest_show_log "$GLOG"
	fail "the guest never got to listen on port 22"
fi
guest_show_log "$GLOG"
soft assert_eq "$(r "$GLOG" udhcpc_rc)" 0 "the guest got its lease"
soft assert_eq "$(r "$GLOG" dhcp_ip)" "$HOST_IP4" "lease: the host's address"
soft assert_eq "$(r "$GLOG" dhcp_router)" "$GW_IP4" "lease: the gateway"
soft assert_contains "$(r "$GLOG" remote)" "hello-from-remote peer=$HOST_IP4:" \
	"the guest reaches $REMOTE_IP4 in the router namespace"
soft assert_contains "$(r "$GLOG" host)" "hello-from-host-loopback" \
	"the guest reaches the host's loopback through $GW_IP4"

# fwd_get() - the host's 127.0.0.1:2222 gives the guest's text
fwd_get() {
	in_host "$PYTHON" "$SRV" get --connect 127.0.0.1:2222 --timeout 3 2>/dev/null |
		grep -qx guest-port-forward
}
if wait_until 20 fwd_get; then
	ok "<portForward> 2222 -> 22: the host's 127.0.0.1:2222 reaches the guest"
else
	tfail "<portForward> 2222 -> 22: no text from the guest on 127.0.0.1:2222"
fi

capture tree_user "${VIRSH[@]}" destroy ptest
show_capture
for pid in $OURS_PIDS; do
	expect_quit "$pid" "virsh destroy"
done

# --- 2. broken on purpose: a passt that exits at once --------------------------

TREE_ENV=(PATH=/work/exit1:/opt/passt:/usr/sbin:/usr/bin:/sbin:/bin)
# The session daemon keeps the $PATH it started with: end it (by the PID
# in its PID file), virsh starts a new one
for f in virtqemud libvirtd; do
	dpid=$(tree_root cat "/run/user/$CTEST_UID/libvirt/$f.pid" 2>/dev/null) || continue
	info "ending the session daemon $f (PID $dpid)"
	topo_kill_pid "$dpid"
done
capture tree_user "${VIRSH[@]}" start ptest
show_capture
soft assert_ne "$CAP_RC" 0 "broken (passt exits 1): virsh start fails"
tree_user "${VIRSH[@]}" destroy ptest >/dev/null 2>&1 || true
tree_user "${VIRSH[@]}" undefine ptest >/dev/null 2>&1 || true

soft_finish
