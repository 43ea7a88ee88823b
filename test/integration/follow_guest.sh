#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# follow_guest.sh - without --config-net, the guest learns the host's new
# addressing through its own clients:
#
# - pasta with --dhcp-lease 10, udhcpc running in the namespace: the host's
#   address and resolv.conf change; a connection the namespace had open
#   from the old address ends with a reset; at its renewal (half the
#   lease), udhcpc gets a NAK for the old address and then the new
#   address, prefix and DNS server, without being told anything
# - the host's IPv6 prefix changes: an unsolicited router advertisement
#   comes at once with the new prefix and the old one at lifetime 0
#   (ndp_listen.py), rdisc6 then sees the new prefix only
# - passt: a DHCP client of ours on its socket (dhcp_passt.py) is offered
#   the host's address, then the new one once the host's changed, and a
#   REQUEST for the old one gets a NAK
#
# How long each change took to reach the guest is printed ("took").
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

UDHCPC=/usr/sbin/udhcpc
RDISC6=/usr/bin/rdisc6
LISTEN="$TOPO_ROOT/test/integration/ndp_listen.py"
NEW_IP4=198.51.100.7
NEW_IP6=2001:db8:2::2
NEW_GW6=2001:db8:2::1
NEW_DNS4=203.0.113.53
LEASE=10

test_start
for b in "$UDHCPC" "$RDISC6"; do
	[ -x "$b" ] || fail "$b not installed (test/setup.sh installs it)"
done
srv_start "$ROUTER_NS" hold sink --bind "$REMOTE_IP4" --port 7071 \
	--out "$TOPO_TMP/hold" --timeout 60
in_router ip addr add "$NEW_GW6/64" dev rt0 nodad

# passt first, while the host has its first addresses
sock="$TOPO_TMP/passt.sock"
passt_start "$sock" "$TOPO_TMP/passt.log"
capture "$PYTHON" "$TOPO_ROOT/test/integration/dhcp_passt.py" \
	--sock "$sock" --ip "$HOST_IP4" --gw "$GW_IP4" --mask 255.255.255.0 \
	--dns "$REMOTE_IP4" --lease 120 --quick
show_capture
assert_eq "$CAP_RC" 0 "passt: DHCP offers the host's $HOST_IP4, 120 s lease"

NS=$(topo_netns_name ns)
PASTA_NS_CONF=()
pasta_ns "$NS" --dhcp-lease "$LEASE" -t none -u none -T none -U none
LOG=$DAEMON_LOG

# udhcpc records each lease it takes, and configures it, so that its
# renewal goes out unicast from the leased address, as on a real guest
SCRIPT="$TOPO_TMP/udhcpc.script"
LEASES="$TOPO_TMP/leases"
cat >"$SCRIPT" <<EOF
#!/bin/sh
case "\$1" in
bound|renew)
	ip addr flush dev eth0 scope global
	ip addr add "\$ip/\$subnet" dev eth0
	ip route replace default via "\$router" dev eth0
	echo "\$1 ip=\$ip subnet=\$subnet router=\$router dns=\$dns lease=\$lease" >>"$LEASES"
	;;
nak)
	echo "nak" >>"$LEASES"
	;;
esac
EOF
chmod 755 "$SCRIPT"
: >"$LEASES"
bg_ns "$NS" "$TOPO_TMP/udhcpc.log" "$UDHCPC" -i eth0 -f -t 5 -T 1 -A 1 \
	-s "$SCRIPT"
wait_until 10 grep -q "^bound ip=$HOST_IP4 " "$LEASES" ||
	fail "udhcpc: no lease for $HOST_IP4 ($(cat "$LEASES"))"
assert_contains "$(cat "$LEASES")" "lease=$LEASE" "udhcpc: $LEASE s lease"

# A connection from the old address, held open
bg_ns "$NS" "$TOPO_TMP/hold.out" "$PYTHON" -u "$SRV" tcpx \
	--connect "$REMOTE_IP4:7071" --expect-size 1 --timeout 40
HOLD_PID=$BG_PID
wait_until 5 grep -qs "tcpx connected" "$TOPO_TMP/hold.out" ||
	fail "held connection: not connected"

change eval "printf 'nameserver %s\n' $NEW_DNS4 >/etc/netns/$HOST_NS/resolv.conf;
	in_host ip addr del $HOST_IP4/24 dev eth0;
	in_host ip addr add $NEW_IP4/25 dev eth0;
	in_host ip route add default via $GW_IP4 dev eth0"
rc=0
wait "$HOLD_PID" || rc=$?
assert_contains "$(cat "$TOPO_TMP/hold.out")" "Connection reset by peer" \
	"held connection from the vanished $HOST_IP4: reset (took $(took) ms)"
if wait_until $((LEASE * 3)) grep -q "^bound ip=$NEW_IP4 " "$LEASES"; then
	ok "udhcpc renewed to $NEW_IP4 on its own (took $(took) ms)"
else
	sed 's/^/#   /' "$LEASES" "$LOG" "$TOPO_TMP/udhcpc.log"
	tfail "udhcpc: no lease for $NEW_IP4 within $((LEASE * 3)) s"
fi
sed 's/^/#   /' "$TOPO_TMP/udhcpc.log"
last=$(grep "^bound ip=$NEW_IP4 " "$LEASES" | tail -n 1)
assert_contains "$last" "subnet=255.255.255.128" "new lease: the new prefix"
assert_contains "$last" "dns=$NEW_DNS4" "new lease: the new DNS server"
assert_contains "$(cat "$LEASES")" "nak" "the renewal of $HOST_IP4 got a NAK"

# IPv6 prefix: an advertisement at once, the old prefix at lifetime 0. The
# host goes without IPv6 for a moment first (its default route goes with
# the old address), long enough for the daemon to see that: the guest must
# still hear that the old prefix is gone once IPv6 is back.
bg_ns "$NS" "$TOPO_TMP/ra.out" "$PYTHON" -u "$LISTEN" eth0 20 \
	2001:db8:2::/64
RA_PID=$BG_PID
wait_until 10 grep -qx listening "$TOPO_TMP/ra.out" ||
	fail "ndp_listen.py: not listening ($(cat "$TOPO_TMP/ra.out"))"
in_host ip -6 addr del $HOST_IP6/64 dev eth0
in_host ip -6 route del default 2>/dev/null || true
sleep 1
change eval "in_host ip -6 addr add $NEW_IP6/64 dev eth0 nodad;
	in_host ip -6 route replace default via $NEW_GW6 dev eth0"
rc=0
wait "$RA_PID" || rc=$?
ra=$(cat "$TOPO_TMP/ra.out")
printf '%s\n' "$ra" | sed 's/^/#   /'
assert_eq "$rc" 0 "IPv6 prefix: an advertisement with the new prefix (took $(took) ms)"
assert_contains "$ra" "prefix 2001:db8:2::/64 valid 4294967295" \
	"the advertisement: new prefix, infinite lifetime"
assert_contains "$ra" "prefix 2001:db8::/64 valid 0 preferred 0" \
	"the advertisement: old prefix, lifetime 0"
capture ns_run "$NS" "$RDISC6" -1 -w 1000 -r 3 eth0
show_capture
assert_contains "$CAP_OUT" "2001:db8:2::/64" "rdisc6: the new prefix"
assert_not_contains "$CAP_OUT" "2001:db8::/64" "rdisc6: not the old one"

# passt: the new address on the next DISCOVER, the old one refused
assert_contains "$(cat "$TOPO_TMP/passt.log")" \
	"IPv4 address $HOST_IP4/24 -> $NEW_IP4/25" "passt logged the change"
capture "$PYTHON" "$TOPO_ROOT/test/integration/dhcp_passt.py" \
	--sock "$sock" --ip "$NEW_IP4" --gw "$GW_IP4" \
	--mask 255.255.255.128 --dns "$NEW_DNS4" --lease 120 \
	--other-ip "$HOST_IP4" --quick
show_capture
assert_eq "$CAP_RC" 0 "passt: DHCP offers $NEW_IP4/25 and DNS $NEW_DNS4, NAK for $HOST_IP4"

echo "follow_guest: all checks passed"
