#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dhcp.sh - real DHCP clients get their configuration from pasta's DHCP
# server: busybox udhcpc and ISC dhclient run in a namespace that pasta
# starts without --config-net, and each records what it received through
# a script of ours.  Checked: address, netmask, router, MTU, DNS servers,
# search list, domain, host name and FQDN, server identifier and the
# lease (--dhcp-lease: 120 s by default, as given, infinite with
# --no-follow); with the host's defaults, with -a/-n/-g, with a gateway
# outside the guest's subnet (classless static routes, option 121), with
# --no-dhcp-dns/--no-dhcp-search, and as an unprivileged user; dhclient
# starting from a stale lease gets a NAK first.  Then passt: a client of
# ours on the qemu socket (dhcp_passt.py) for malformed requests, NAK,
# INFORM, Rapid Commit and the maximum message size.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

UDHCPC=/usr/sbin/udhcpc
DHCLIENT=/usr/sbin/dhclient

test_start
for b in "$UDHCPC" "$DHCLIENT"; do
	[ -x "$b" ] || fail "$b not installed (test/setup.sh installs it)"
done

# udhcpc calls its script with the event as $1 and the lease in the
# environment: keep the variables of the "bound" event
UDHCPC_SCRIPT="$TOPO_TMP/udhcpc.script"
cat >"$UDHCPC_SCRIPT" <<'EOF'
#!/bin/sh
[ "$1" = bound ] || exit 0
for v in ip subnet router dns domain search mtu hostname staticroutes \
	 serverid lease; do
	eval "printf '%s=%s\n' $v \"\${$v:-}\""
done >"$DHCP_OUT.tmp"
mv "$DHCP_OUT.tmp" "$DHCP_OUT"
EOF

# dhclient: same, for the BOUND reason, new_* variables.  dhclient gives
# its script a clean environment: the output path is written into it
DHCLIENT_SCRIPT="$TOPO_TMP/dhclient.script"
# dhclient_script() - OUT: write the dhclient script recording to OUT
dhclient_script() {
	cat >"$DHCLIENT_SCRIPT" <<EOF
#!/bin/sh
[ "\$reason" = BOUND ] || exit 0
env | grep '^new_' | sort >"$1.tmp"
mv "$1.tmp" "$1"
exit 0
EOF
	chmod 755 "$DHCLIENT_SCRIPT"
}

DHCLIENT_CONF="$TOPO_TMP/dhclient.conf"
cat >"$DHCLIENT_CONF" <<'EOF'
option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
timeout 10;
retry 1;
initial-interval 1;
request subnet-mask, routers, domain-name, domain-name-servers,
	domain-search, host-name, interface-mtu,
	rfc3442-classless-static-routes;
EOF

# dhclient stays in the foreground to keep its lease: run it in the
# background inside the namespace, wait (bounded) for the lease, stop it
DHCLIENT_RUN="$TOPO_TMP/dhclient.run"
cat >"$DHCLIENT_RUN" <<'EOF'
#!/bin/sh
d=$1
dhclient -d -1 -v -cf "$d/dhclient.conf" -sf "$d/dhclient.script" \
	-lf "$d/dhclient.leases" -pf "$d/dhclient.pid" eth0 \
	>"$d/dhclient.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$DHCP_OUT" ] && [ $i -lt 150 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
kill $pid 2>/dev/null
wait $pid 2>/dev/null
[ -s "$DHCP_OUT" ]
EOF
chmod 755 "$UDHCPC_SCRIPT" "$DHCLIENT_RUN"

# Leases are recorded here, writable by the unprivileged user too
OUT="$TOPO_TMP/leases"
mkdir -p "$OUT"
chmod 777 "$OUT"
LEASE=""

# run_udhcpc() - LABEL PASTA_ARGS...: udhcpc in a new pasta namespace,
# lease variables to LEASE
run_udhcpc() {
	local label=$1 out="$OUT/udhcpc.${1// /_}"

	shift
	rm -f "$out"
	capture in_host env DHCP_OUT="$out" timeout 30 "$@" -- \
		"$UDHCPC" -i eth0 -f -q -n -t 5 -T 1 -A 1 -s "$UDHCPC_SCRIPT"
	show_capture
	assert_eq "$CAP_RC" 0 "$label: udhcpc got a lease"
	[ -s "$out" ] || fail "$label: udhcpc script recorded no lease"
	LEASE=$(cat "$out")
	printf '%s\n' "$LEASE" | sed 's/^/#   /'
}

# run_dhclient() - LABEL PASTA_ARGS...: dhclient in a new pasta namespace,
# starting from the lease in $DHCLIENT_OLD_LEASE if set
DHCLIENT_OLD_LEASE=""
run_dhclient() {
	local label=$1 out="$OUT/dhclient.${1// /_}"

	shift
	rm -f "$out" "$TOPO_TMP/dhclient.leases"
	if [ -n "$DHCLIENT_OLD_LEASE" ]; then
		printf '%s\n' "$DHCLIENT_OLD_LEASE" >"$TOPO_TMP/dhclient.leases"
	fi
	dhclient_script "$out"
	capture in_host env DHCP_OUT="$out" timeout 30 "$@" -- \
		"$DHCLIENT_RUN" "$TOPO_TMP"
	show_capture
	if [ "$CAP_RC" != 0 ] || [ ! -s "$out" ]; then
		sed 's/^/#   dhclient: /' "$TOPO_TMP/dhclient.log" || true
		fail "$label: dhclient got no lease (exit $CAP_RC)"
	fi
	ok "$label: dhclient got a lease"
	LEASE=$(cat "$out")
	printf '%s\n' "$LEASE" | sed 's/^/#   /'
}

# Host defaults: the address, prefix and gateway of the host's eth0, DNS
# from its resolv.conf (topo.sh), MTU 65520; no search list, no names
run_udhcpc "udhcpc defaults" "$PASTA"
assert_line "$LEASE" "ip=$HOST_IP4" "udhcpc defaults: address"
assert_line "$LEASE" "subnet=255.255.255.0" "udhcpc defaults: netmask"
assert_line "$LEASE" "router=$GW_IP4" "udhcpc defaults: router"
assert_line "$LEASE" "dns=$REMOTE_IP4" "udhcpc defaults: DNS from resolv.conf"
assert_line "$LEASE" "mtu=65520" "udhcpc defaults: MTU"
assert_line "$LEASE" "serverid=$GW_IP4" "udhcpc defaults: server identifier"
assert_line "$LEASE" "lease=120" "udhcpc defaults: 120 s lease, following the host"
assert_line "$LEASE" "search=" "udhcpc defaults: no search list"
assert_line "$LEASE" "hostname=" "udhcpc defaults: no host name"
assert_line "$LEASE" "staticroutes=" "udhcpc defaults: no static routes"

run_dhclient "dhclient defaults" "$PASTA"
assert_line "$LEASE" "new_ip_address=$HOST_IP4" "dhclient defaults: address"
assert_line "$LEASE" "new_subnet_mask=255.255.255.0" "dhclient defaults: netmask"
assert_line "$LEASE" "new_routers=$GW_IP4" "dhclient defaults: router"
assert_line "$LEASE" "new_domain_name_servers=$REMOTE_IP4" "dhclient defaults: DNS"
assert_line "$LEASE" "new_interface_mtu=65520" "dhclient defaults: MTU"
assert_line "$LEASE" "new_dhcp_server_identifier=$GW_IP4" "dhclient defaults: server identifier"
assert_line "$LEASE" "new_dhcp_lease_time=120" "dhclient defaults: 120 s lease"

run_udhcpc "udhcpc --no-follow" "$PASTA" --no-follow
assert_line "$LEASE" "lease=4294967295" "udhcpc --no-follow: infinite lease"
run_udhcpc "udhcpc --dhcp-lease 30" "$PASTA" --dhcp-lease 30
assert_line "$LEASE" "lease=30" "udhcpc --dhcp-lease 30: 30 s lease"

# A lease for another address, still valid: dhclient asks for it again
# (INIT-REBOOT), gets a NAK, starts over and gets the right one
DHCLIENT_OLD_LEASE='lease {
  interface "eth0";
  fixed-address 198.51.100.99;
  option subnet-mask 255.255.255.0;
  option dhcp-server-identifier 198.51.100.1;
  renew 4 2037/01/01 00:00:00;
  rebind 4 2037/01/01 00:00:00;
  expire 4 2037/01/01 00:00:00;
}'
run_dhclient "dhclient old lease" "$PASTA"
DHCLIENT_OLD_LEASE=""
log=$(cat "$TOPO_TMP/dhclient.log")
assert_contains "$log" "DHCPREQUEST for 198.51.100.99" "dhclient old lease: asked for its old address"
assert_contains "$log" "DHCPNAK from $GW_IP4" "dhclient old lease: NAK for the old address"
assert_line "$LEASE" "new_ip_address=$HOST_IP4" "dhclient old lease: then the right address"

# DNS, search list, names given on the command line
NAMES=(-D 192.0.2.53 -D 198.51.100.53 -S "example.com sub.example.com"
       -H guest-one --fqdn guest-one.example.org)
run_udhcpc "udhcpc names" "$PASTA" "${NAMES[@]}"
assert_line "$LEASE" "ip=$HOST_IP4" "udhcpc names: address"
assert_line "$LEASE" "dns=192.0.2.53 198.51.100.53" "udhcpc names: DNS servers (-D)"
assert_line "$LEASE" "search=example.com sub.example.com" "udhcpc names: search list (-S, option 119)"
assert_line "$LEASE" "domain=example.com" "udhcpc names: domain name"
assert_line "$LEASE" "hostname=guest-one" "udhcpc names: host name (-H)"

run_dhclient "dhclient names" "$PASTA" "${NAMES[@]}"
assert_line "$LEASE" "new_domain_name_servers=192.0.2.53 198.51.100.53" "dhclient names: DNS servers"
assert_line "$LEASE" "new_domain_search=example.com. sub.example.com." "dhclient names: search list"
assert_line "$LEASE" "new_domain_name=example.com" "dhclient names: domain name"
assert_line "$LEASE" "new_host_name=guest-one" "dhclient names: host name"
assert_line "$LEASE" "new_fqdn_fqdn=guest-one.example.org" "dhclient names: FQDN (--fqdn, option 81)"
assert_line "$LEASE" "new_fqdn_encoded=true" "dhclient names: FQDN in canonical wire format"
assert_line "$LEASE" "new_fqdn_server_update=false" "dhclient names: FQDN, no DNS updates by the server"
# The whole option: flags E and N, RCODE1 and RCODE2 255, the name
assert_line "$LEASE" "new_fqdn=c:ff:ff:9:67:75:65:73:74:2d:6f:6e:65:7:65:78:61:6d:70:6c:65:3:6f:72:67:0" \
	"dhclient names: option 81 byte for byte"

# Addresses given on the command line, the classic qemu user-mode ones
ADDRS=(-a 10.0.2.15 -n 24 -g 10.0.2.2)
run_udhcpc "udhcpc -a -n -g" "$PASTA" "${ADDRS[@]}"
assert_line "$LEASE" "ip=10.0.2.15" "udhcpc -a: address"
assert_line "$LEASE" "subnet=255.255.255.0" "udhcpc -n 24: netmask"
assert_line "$LEASE" "router=10.0.2.2" "udhcpc -g: router"
assert_line "$LEASE" "serverid=10.0.2.2" "udhcpc -g: server identifier"
assert_line "$LEASE" "staticroutes=" "udhcpc -a -n -g: no static routes"

run_dhclient "dhclient -a -n -g" "$PASTA" "${ADDRS[@]}"
assert_line "$LEASE" "new_ip_address=10.0.2.15" "dhclient -a: address"
assert_line "$LEASE" "new_subnet_mask=255.255.255.0" "dhclient -n 24: netmask"
assert_line "$LEASE" "new_routers=10.0.2.2" "dhclient -g: router"

# Gateway outside the guest's subnet: option 121, a /32 route to the
# gateway on the link and the default route through it
OUTSIDE=(-a 192.0.2.10 -n 24 -g "$GW_IP4")
run_udhcpc "udhcpc gateway outside" "$PASTA" "${OUTSIDE[@]}"
assert_line "$LEASE" "ip=192.0.2.10" "udhcpc gateway outside: address"
assert_line "$LEASE" "router=$GW_IP4" "udhcpc gateway outside: router"
assert_line "$LEASE" "staticroutes=$GW_IP4/32 0.0.0.0 0.0.0.0/0 $GW_IP4" \
	"udhcpc gateway outside: classless static routes"

run_dhclient "dhclient gateway outside" "$PASTA" "${OUTSIDE[@]}"
assert_line "$LEASE" "new_ip_address=192.0.2.10" "dhclient gateway outside: address"
assert_line "$LEASE" "new_rfc3442_classless_static_routes=32 ${GW_IP4//./ } 0 0 0 0 0 ${GW_IP4//./ }" \
	"dhclient gateway outside: classless static routes"

# Switches: no DNS, no search list; MTU from -m
SWITCHES=(-S example.com --no-dhcp-dns --no-dhcp-search -m 1500)
run_udhcpc "udhcpc switches" "$PASTA" "${SWITCHES[@]}"
assert_line "$LEASE" "dns=" "udhcpc --no-dhcp-dns: no DNS servers"
assert_line "$LEASE" "search=" "udhcpc --no-dhcp-search: no search list"
assert_line "$LEASE" "domain=" "udhcpc --no-dhcp-search: no domain name"
assert_line "$LEASE" "mtu=1500" "udhcpc -m 1500: MTU"

# Rootless: pasta as nobody
topo_unpriv_bin
run_udhcpc "udhcpc nobody" "${AS_NOBODY[@]}" "$UPASTA" -H guest-two
assert_line "$LEASE" "ip=$HOST_IP4" "udhcpc nobody: address"
assert_line "$LEASE" "router=$GW_IP4" "udhcpc nobody: router"
assert_line "$LEASE" "hostname=guest-two" "udhcpc nobody: host name"

# passt: a client of our own on the qemu socket, for what the real
# clients don't do: malformed requests, NAK, INFORM, Rapid Commit, and a
# search list too long for 576 bytes, split over several options
SEARCH=()
for i in 1 2 3 4 5 6; do
	SEARCH+=("d$i-$(printf 'x%.0s' $(seq 47)).example.org")
done
sock="$TOPO_TMP/passt.sock"
plog="$TOPO_TMP/passt.log"
bg_host "$plog" "$PASST" -f -s "$sock" -S "${SEARCH[*]}" -H guest-three
ppid=$BG_PID
wait_until 5 test -S "$sock" || fail "passt did not create $sock"
capture "$PYTHON" "$TOPO_ROOT/test/integration/dhcp_passt.py" \
	--sock "$sock" --ip "$HOST_IP4" --gw "$GW_IP4" --mask 255.255.255.0 \
	--dns "$REMOTE_IP4" --hostname guest-three --search "${SEARCH[@]}" \
	--lease 120
show_capture
if [ "$CAP_RC" != 0 ]; then
	info "passt log:"
	sed 's/^/#   /' "$plog"
fi
assert_eq "$CAP_RC" 0 "passt: DHCP exchanges over the qemu socket"
pid_alive "$ppid" || fail "passt: no longer running after the exchanges"
ok "passt: still running"

echo "dhcp: all checks passed"
