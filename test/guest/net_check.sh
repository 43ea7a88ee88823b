#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck source-path=SCRIPTDIR
#
# test/guest/net_check.sh - guest side of test/integration/qemu_guest.sh
#
# Runs as /test.sh in the qemu guest, eth0 already up.  Always: eth0's MAC
# and state, then ARP for the gateway with a static address (what DHCP
# would assign; arp_count=N on the kernel command line: N requests, default
# 3).  With guest_full=1 on the kernel command line also:
# DHCP with udhcpc, ping to the IPv4 gateway, SLAAC, ping6 to the IPv6
# gateway.  Every finding is a GUEST-RESULT line; the host side asserts.

# shellcheck source=lib.sh
. /lib/guest/lib.sh

GW4=198.51.100.1
GW6=2001:db8::1
ADDR4=198.51.100.2/24

result eth0_mac "$(cat /sys/class/net/eth0/address)"
# Carrier at once; operstate follows through the kernel's link watch
wait_for 5 grep -qx up /sys/class/net/eth0/operstate
result eth0_carrier "$(cat /sys/class/net/eth0/carrier 2>/dev/null)"
result eth0_operstate "$(cat /sys/class/net/eth0/operstate)"

# ARP: passt answers for every address but the guest's own
ip addr add "$ADDR4" dev eth0
run arping arping -c "${arp_count:-3}" -w 5 -I eth0 "$GW4"
result arp_replies "$(grep -ci 'reply from' /tmp/arping.out)"
result arp_macs "$(sed -n 's/.*reply from [0-9.]* \[\([0-9A-Fa-f:]*\)\].*/\1/Ip' \
	/tmp/arping.out | tr 'A-F' 'a-f' | sort -u | tr '\n' ' ' | sed 's/ $//')"
result arp_received "$(sed -n 's/^Received \([0-9]*\) response.*/\1/p' /tmp/arping.out)"
ip -4 addr flush dev eth0

[ "${guest_full:-0}" = 1 ] || exit 0

# DHCP: the script reports dhcp_* and configures the lease
if ! run udhcpc udhcpc -i eth0 -f -n -q -t 4 -T 2 -s /lib/guest/udhcpc.script; then
	# So that the ping below still tests ICMP on its own
	guest_error "no DHCP lease, configuring $ADDR4 via $GW4 statically"
	ip addr add "$ADDR4" dev eth0
	ip route add default via "$GW4" dev eth0
fi
run addr4 ip -4 addr show dev eth0
run route4 ip -4 route show

run ping4 ping -c 3 -w 10 "$GW4"
result ping4_received "$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping4.out)"

# SLAAC: a global address (no longer tentative) and a default route
# shellcheck disable=SC2317 # called through wait_for
have_ip6() {
	ip -6 addr show dev eth0 scope global 2>/dev/null | grep inet6 |
		grep -qv tentative &&
	[ -n "$(ip -6 route show default 2>/dev/null)" ]
}
wait_for 15 have_ip6
result ip6_addr "$(ip -6 addr show dev eth0 scope global | grep inet6 |
	sed 's/.*inet6 \([^ ]*\).*/\1/' | tr '\n' ' ' | sed 's/ $//')"
result ip6_router "$(ip -6 route show default | sed -n 's/.*via \([^ ]*\).*/\1/p' | head -n 1)"
run addr6 ip -6 addr show dev eth0
run route6 ip -6 route show

run ping6 ping6 -c 3 -w 10 "$GW6"
result ping6_received "$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping6.out)"
exit 0
