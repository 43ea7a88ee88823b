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

# one_family() - HAVE NOT ADDR_HAVE ADDR_NOT PLEN_HAVE PLEN_NOT GW: with a
# default route for IPv$HAVE only (via GW), pasta --config-net configures
# IPv$HAVE alone and says on stderr why IPv$NOT is disabled
one_family() {
	local l="IPv$1 only" d

	d=$(netinfo_dir "v$1only")
	capture netinfo_dump "$d" in_host timeout 30 "$PASTA" --config-net --
	show_capture
	assert_eq "$CAP_RC" 0 "$l: pasta --config-net exit status"
	netinfo_load "$d" "$l"
	assert_line "$NI_ADDR" "addr eth0 $(inet "$1") $3/$5" "$l: IPv$1 address"
	assert_line "$(route_of "$1")" "route default via $7 dev eth0" \
		"$l: IPv$1 default route"
	assert_no_line "$NI_ADDR" "addr eth0 $(inet "$2") $4/$6" \
		"$l: no IPv$2 address"
	assert_no_line_matching "$(route_of "$2")" '^route default ' \
		"$l: no IPv$2 default route"
	assert_contains "$(printf '%s' "$CAP_ERR" | tr '[:upper:]' '[:lower:]')" \
		"ipv$2" "$l: message about IPv$2 on stderr"
}

# inet() - 4|6: the family as ipjson.py names it, inet or inet6
inet() {
	if [ "$1" = 6 ]; then echo inet6; else echo inet; fi
}

# route_of() - 4|6: the default routes netinfo_load read for that family
route_of() {
	if [ "$1" = 6 ]; then
		printf '%s\n' "$NI_ROUTE6"
	else
		printf '%s\n' "$NI_ROUTE4"
	fi
}

# IPv4 default route only: IPv6 disabled, with a message
in_host ip route add default via "$GW_IP4" dev eth0
one_family 4 6 "$HOST_IP4" "$HOST_IP6" 24 64 "$GW_IP4"

# IPv6 default route only: IPv4 disabled, with a message
in_host ip route del default via "$GW_IP4" dev eth0
in_host ip -6 route add default via "$GW_IP6" dev eth0
one_family 6 4 "$HOST_IP6" "$HOST_IP4" 64 24 "$GW_IP6"

echo "local_mode: all checks passed"
