#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# follow_guest6.sh - without --config-net, the guest follows the host's
# IPv6 through router advertisements and DHCPv6 (pasta, --dhcp-lease 10;
# the namespace's kernel takes the advertisements, dhclient -6 runs there):
#
# - the host starts without IPv6 (no global address, no default route);
#   it gets both: an unsolicited advertisement with the prefix comes at
#   once, rdisc6 sees it, dhclient -6 gets the host's address
# - resolv.conf's search domain changes (and nothing else): an unsolicited
#   advertisement at once with the new domain in its DNSSL option and the
#   old one at lifetime 0
# - resolv.conf gets another IPv6 name server: an unsolicited
#   advertisement at once with the new server in its RDNSS option and the
#   old one at lifetime 0; rdisc6 sees only the new one; dhclient's
#   renewal brings the new one
# - the host's IPv6 prefix changes: dhclient's renewal brings the new
#   address, and the old one at lifetime 0
# - IPv6 disappears from the host: an advertisement at once with router
#   lifetime 0, the last prefix, the DNS server and the search domain at
#   lifetime 0; the namespace's kernel drops its default route through us
#   and deprecates its address; IPv6 comes back: an advertisement with the
#   prefix and a router lifetime again, and the default route is back
# - passt, a guest of ours on its socket (ra_passt.py) that's there when
#   IPv6 disappears: the same final advertisement
#
# How long each change took to reach the guest is printed ("took").
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

RDISC6=/usr/bin/rdisc6
DHCLIENT=/usr/sbin/dhclient
LISTEN="$TOPO_ROOT/test/integration/ndp_listen.py"
NEW_IP6=2001:db8:2::2
NEW_GW6=2001:db8:2::1
NEW_DNS6=2001:db8:1::53
LEASE=10

test_start --no-default-route6
for b in "$RDISC6" "$DHCLIENT"; do
	[ -x "$b" ] || fail "$b not installed (test/setup.sh installs it)"
done
in_host ip -6 addr del "$HOST_IP6/64" dev eth0
in_router ip addr add "$NEW_GW6/64" dev rt0 nodad
# resolv_conf() - SERVER...: the host's resolv.conf, search domain $SEARCH
SEARCH=old.example
resolv_conf() {
	{ printf 'search %s\n' "$SEARCH"; printf 'nameserver %s\n' "$@"; } \
		>"/etc/netns/$HOST_NS/resolv.conf"
}
resolv_conf "$REMOTE_IP4" "$REMOTE_IP6"

PASST_SOCK="$TOPO_TMP/passt.sock"
passt_start "$PASST_SOCK" "$TOPO_TMP/passt.log"

NS=$(topo_netns_name ns)
PASTA_NS_CONF=()
pasta_ns "$NS" --dhcp-lease "$LEASE" -t none -u none -T none -U none
LOG=$DAEMON_LOG
assert_contains "$(cat "$LOG")" "No default IPv6 route on the host" \
	"start: the host has no IPv6"

# listen() - WANT: listen in the namespace for an unsolicited advertisement
# with a line starting with WANT (ndp_listen.py), output in $RA_OUT; sets
# RA_PID
RA_OUT="$TOPO_TMP/ra.out"
RA_PID=""
listen() {
	: >"$RA_OUT"	# Not the last one's "listening"
	bg_ns "$NS" "$RA_OUT" "$PYTHON" -u "$LISTEN" eth0 10 "$1"
	RA_PID=$BG_PID
	wait_until 10 grep -qx listening "$RA_OUT" ||
		fail "ndp_listen.py: not listening ($(cat "$RA_OUT"))"
}

# heard() - LABEL: the listener got its advertisement; RA, what it printed
RA=""
heard() {
	local rc=0

	wait "$RA_PID" || rc=$?
	RA=$(cat "$RA_OUT")
	printf '%s\n' "$RA" | sed 's/^/#   /'
	if [ "$rc" = 0 ]; then
		ok "$1 (took $(took) ms)"
	else
		tfail "$1: no such advertisement within 10 s"
	fi
}

# rdisc() - rdisc6 in the namespace, its output in CAP_OUT
rdisc() {
	capture ns_run "$NS" "$RDISC6" -1 -w 1000 -r 3 eth0
	show_capture
}

# IPv6 appears on the host
listen "prefix 2001:db8::/64"
change eval "in_host ip -6 addr add $HOST_IP6/64 dev eth0 nodad;
	in_host ip -6 route add default via $GW_IP6 dev eth0"
heard "IPv6 appears: an advertisement with the prefix 2001:db8::/64"
soft assert_contains "$RA" "prefix 2001:db8::/64 valid 4294967295" \
	"the advertisement: the host's prefix, infinite lifetime"
soft assert_contains "$RA" "dnssl old.example lifetime 4294967295" \
	"the advertisement: the search domain, infinite lifetime"
rdisc
soft assert_contains "$CAP_OUT" "2001:db8::/64" "rdisc6: the host's prefix"

# dhclient -6 records every lease it takes; it configures nothing (the
# namespace's kernel does SLAAC on its own): it's its answers we check
D="$TOPO_TMP/dhcpv6"
mkdir -p "$D"
cat >"$D/record" <<EOF
#!/bin/sh
{ echo "reason=\$reason"; env | grep -E '^(new|old)_' | sort; echo; } >>"$D/env"
exit 0
EOF
chmod 755 "$D/record"
printf '%s\n' '# Nothing beyond the default options' >"$D/plain.conf"
: >"$D/env"
bg_ns "$NS" "$D/out" "$DHCLIENT" -6 -d -v -cf "$D/plain.conf" \
	-sf "$D/record" -lf "$D/lease" -pf "$D/pid" eth0

# leased() - LINE: a lease dhclient took had LINE among its variables
leased() {
	grep -qxF "$1" "$D/env"
}

if wait_until 15 leased "new_ip6_address=$HOST_IP6"; then
	ok "dhclient -6: the host's address $HOST_IP6 (took $(took) ms)"
else
	sed 's/^/#   /' "$D/env" "$D/out"
	tfail "dhclient -6: no lease for $HOST_IP6"
fi
soft assert_line "$(cat "$D/env")" "new_dhcp6_name_servers=$REMOTE_IP6" \
	"dhclient -6: the host's DNS server $REMOTE_IP6"

# Another search domain, nothing else changes
listen "dnssl new.example"
SEARCH=new.example
change resolv_conf "$REMOTE_IP4" "$REMOTE_IP6"
heard "search domain change: an advertisement with new.example"
soft assert_contains "$RA" "dnssl new.example lifetime 4294967295" \
	"the advertisement: the new search domain, infinite lifetime"
soft assert_contains "$RA" "dnssl old.example lifetime 0" \
	"the advertisement: the old search domain, lifetime 0"

# Another IPv6 name server
listen "rdnss $NEW_DNS6"
change resolv_conf "$REMOTE_IP4" "$NEW_DNS6"
heard "DNS change: an advertisement with the new server $NEW_DNS6"
soft assert_contains "$RA" "rdnss $NEW_DNS6 lifetime 4294967295" \
	"the advertisement: the new server, infinite lifetime"
soft assert_contains "$RA" "rdnss $REMOTE_IP6 lifetime 0" \
	"the advertisement: the old server, lifetime 0"
rdisc
soft assert_contains "$CAP_OUT" "$NEW_DNS6" "rdisc6: the new DNS server"
soft assert_not_contains "$CAP_OUT" "$REMOTE_IP6" "rdisc6: not the old one"
if wait_until $((LEASE * 3)) leased "new_dhcp6_name_servers=$NEW_DNS6"; then
	ok "dhclient -6 renewed: DNS server $NEW_DNS6 (took $(took) ms)"
else
	sed 's/^/#   /' "$D/env"
	tfail "dhclient -6: no renewal with $NEW_DNS6"
fi

# Another IPv6 prefix
listen "prefix 2001:db8:2::/64"
change eval "in_host ip -6 addr add $NEW_IP6/64 dev eth0 nodad;
	in_host ip -6 addr del $HOST_IP6/64 dev eth0;
	in_host ip -6 route replace default via $NEW_GW6 dev eth0"
heard "IPv6 prefix change: an advertisement with the new prefix"
soft assert_contains "$RA" "prefix 2001:db8::/64 valid 0 preferred 0" \
	"the advertisement: the old prefix, lifetime 0"
if wait_until $((LEASE * 3)) leased "new_ip6_address=$NEW_IP6"; then
	ok "dhclient -6 renewed to $NEW_IP6 (took $(took) ms)"
else
	sed 's/^/#   /' "$D/env" "$D/out"
	tfail "dhclient -6: no lease for $NEW_IP6"
fi
out=$(cat "$D/out")
# The last answer that listed the old address, as dhclient printed it
old=$(printf '%s\n' "$out" | grep -A2 "^RCV: .* X-- IAADDR $HOST_IP6" |
      tail -n 2)
soft assert_contains "$old" "Preferred lifetime 0." \
	"DHCPv6: the old address $HOST_IP6 at preferred lifetime 0"
soft assert_contains "$old" "Max lifetime 0." \
	"DHCPv6: ... and valid lifetime 0"

# IPv6 gone from the host: router lifetime 0, the prefix withdrawn
# ns_route6() - the namespace's IPv6 default route, "via ADDR" or nothing
ns_route6() {
	ip -n "$NS" -6 route show default dev eth0 |
		awk '/^default/ { print $2, $3; exit }'
}
# ns_slaac() - the namespace's global addresses in PREFIX (a string start),
# with their flags, one per line
ns_slaac() {
	ip -n "$NS" -6 addr show dev eth0 scope global | grep -A1 " $1"
}
# ns_route6_is() - [ROUTE]: the namespace's default route is ROUTE, or none
ns_route6_is() {
	[ "$(ns_route6)" = "${1:-}" ]
}
wait_until 5 eval '! ns_route6_is' ||
	fail "the namespace has no IPv6 default route from our advertisements"
ll=$(ns_route6)
info "namespace's default route: $ll; addresses: $(ns_slaac 2001:db8:2:)"
listen "router lifetime 0"
PASST_RA="$TOPO_TMP/passt-ra.out"
bg_run "$PASST_RA" "$PYTHON" -u "$TOPO_ROOT/test/integration/ra_passt.py" \
	"$PASST_SOCK" 15 "router lifetime 0"
PASST_RA_PID=$BG_PID
# The first advertisement of passt's new guest, at the next housekeeping
# tick: what the final one withdraws (a guest that heard nothing is told
# nothing)
wait_until 10 grep -qx "router lifetime $((0xffff))" "$PASST_RA" ||
	fail "ra_passt.py: no first advertisement ($(cat "$PASST_RA"))"
change eval "in_host ip -6 route del default;
	in_host ip -6 addr del $NEW_IP6/64 dev eth0"
heard "IPv6 gone: an advertisement with router lifetime 0"
soft assert_contains "$RA" "prefix 2001:db8:2::/64 valid 0 preferred 0" \
	"the advertisement: the last prefix, lifetime 0"
soft assert_contains "$RA" "rdnss $NEW_DNS6 lifetime 0" \
	"the advertisement: the DNS server, lifetime 0"
soft assert_contains "$RA" "dnssl new.example lifetime 0" \
	"the advertisement: the search domain, lifetime 0"
if wait_until 5 ns_route6_is; then
	ok "IPv6 gone: the namespace's default route through us is gone"
else
	tfail "IPv6 gone: the namespace still routes $(ns_route6)"
fi
soft assert_contains "$(ns_slaac 2001:db8:2:)" "deprecated" \
	"IPv6 gone: the namespace's address from the prefix is deprecated"
rc=0
wait "$PASST_RA_PID" || rc=$?
sed 's/^/#   /' "$PASST_RA"
soft assert_eq "$rc" 0 "passt: an advertisement with router lifetime 0 too"
soft assert_contains "$(cat "$PASST_RA")" \
	"prefix 2001:db8:2::/64 valid 0 preferred 0" \
	"passt: the last prefix, lifetime 0"

# And back
listen "prefix 2001:db8:2::/64"
change eval "in_host ip -6 addr add $NEW_IP6/64 dev eth0 nodad;
	in_host ip -6 route add default via $NEW_GW6 dev eth0"
heard "IPv6 back: an advertisement with the prefix"
soft assert_not_contains "$RA" "router lifetime 0" \
	"IPv6 back: a router lifetime again"
if wait_until 5 ns_route6_is "$ll"; then
	ok "IPv6 back: the namespace routes $ll again"
else
	tfail "IPv6 back: the namespace's default route is '$(ns_route6)'"
fi

soft_finish
echo "follow_guest6: all checks passed"
