#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# local_mode.sh - without default routes in the host namespace pasta and
# passt run in "local mode" (guest 169.254.2.1/16, gateway 169.254.2.2,
# IPv6 gateway fe80::1); with a default route for one family only, the
# other family is disabled with a message.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest.sh"

LOCAL_IP4=169.254.2.1
LOCAL_GW4=169.254.2.2
LOCAL_GW6=fe80::1

test_start --no-default-routes

# pasta: local mode; the tap name is not the host's (there is no default
# route interface), so take the one interface besides lo
d=$(netinfo_dir local)
capture netinfo_dump "$d" in_host timeout 30 "$PASTA" --config-net --
show_capture
assert_eq "$CAP_RC" 0 "local mode: pasta --config-net exit status"
netinfo_load "$d" "local mode"
assert_eq "$(line_count "$NI_IFACES")" 1 "local mode: one interface besides lo"
tap=$NI_IFACES
check_link "$tap" 65520 "local mode"
assert_line "$NI_ADDR" "addr $tap inet $LOCAL_IP4/16" "local mode: IPv4 address"
assert_line "$NI_ROUTE4" "route default via $LOCAL_GW4 dev $tap" "local mode: IPv4 default route"
assert_line "$NI_ROUTE6" "route default via $LOCAL_GW6 dev $tap" "local mode: IPv6 default route"
assert_no_line "$NI_ADDR" "addr $tap inet $HOST_IP4/24" "local mode: host address not used"

# passt: answers ARP for the local-mode gateway, not for the guest itself
sock="$TOPO_TMP/passt-local.sock"
bg_host "$TOPO_TMP/passt-local.log" "$PASST" -f -s "$sock"
ppid=$BG_PID
wait_until 5 test -S "$sock" || fail "passt (local mode) did not create $sock"
capture "$PYTHON" "$CLIENT" arp --sock "$sock" --guest-ip "$LOCAL_IP4" --target "$LOCAL_GW4"
show_capture
assert_eq "$CAP_RC" 0 "passt local mode: ARP reply for $LOCAL_GW4 to $LOCAL_IP4"
capture "$PYTHON" "$CLIENT" arp --sock "$sock" --guest-ip "$LOCAL_IP4" --target "$LOCAL_IP4" \
	--expect-none --timeout 1
show_capture
assert_eq "$CAP_RC" 0 "passt local mode: no ARP reply for the guest's own $LOCAL_IP4"
kill -TERM "$ppid"
rc=0
wait "$ppid" || rc=$?
info "passt exited with status $rc"

# IPv4 default route only: IPv6 disabled, with a message
in_host ip route add default via "$GW_IP4" dev eth0
d=$(netinfo_dir v4only)
capture netinfo_dump "$d" in_host timeout 30 "$PASTA" --config-net --
show_capture
assert_eq "$CAP_RC" 0 "IPv4 only: pasta --config-net exit status"
netinfo_load "$d" "IPv4 only"
assert_line "$NI_ADDR" "addr eth0 inet $HOST_IP4/24" "IPv4 only: IPv4 address"
assert_line "$NI_ROUTE4" "route default via $GW_IP4 dev eth0" "IPv4 only: IPv4 default route"
assert_no_line "$NI_ADDR" "addr eth0 inet6 $HOST_IP6/64" "IPv4 only: no IPv6 address"
assert_no_line_matching "$NI_ROUTE6" '^route default ' "IPv4 only: no IPv6 default route"
assert_contains "$(printf '%s' "$CAP_ERR" | tr '[:upper:]' '[:lower:]')" "ipv6" \
	"IPv4 only: message about IPv6 on stderr"

# IPv6 default route only: IPv4 disabled, with a message
in_host ip route del default via "$GW_IP4" dev eth0
in_host ip -6 route add default via "$GW_IP6" dev eth0
d=$(netinfo_dir v6only)
capture netinfo_dump "$d" in_host timeout 30 "$PASTA" --config-net --
show_capture
assert_eq "$CAP_RC" 0 "IPv6 only: pasta --config-net exit status"
netinfo_load "$d" "IPv6 only"
assert_line "$NI_ADDR" "addr eth0 inet6 $HOST_IP6/64" "IPv6 only: IPv6 address"
assert_line "$NI_ROUTE6" "route default via $GW_IP6 dev eth0" "IPv6 only: IPv6 default route"
assert_no_line "$NI_ADDR" "addr eth0 inet $HOST_IP4/24" "IPv6 only: no IPv4 address"
assert_no_line_matching "$NI_ROUTE4" '^route default ' "IPv6 only: no IPv4 default route"
assert_contains "$(printf '%s' "$CAP_ERR" | tr '[:upper:]' '[:lower:]')" "ipv4" \
	"IPv6 only: message about IPv4 on stderr"

echo "local_mode: all checks passed"
