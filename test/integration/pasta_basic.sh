#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pasta_basic.sh - pasta --config-net gives the new namespace the host's
# addresses, prefix lengths, default routes, MTU 65520 and a link that is
# up; as root and as an unprivileged user.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest.sh"

test_start

# As root: the tap takes the name of the host's default route interface
d=$(netinfo_dir root)
capture netinfo_dump "$d" in_host timeout 30 "$PASTA" --config-net --
show_capture
assert_eq "$CAP_RC" 0 "root: pasta --config-net -- <dump> exit status"
check_topo_config "$d" eth0 "root"

# -I names the tap
d=$(netinfo_dir ifname)
capture netinfo_dump "$d" in_host timeout 30 "$PASTA" --config-net -I ptap7 --
show_capture
assert_eq "$CAP_RC" 0 "root -I ptap7: exit status"
check_topo_config "$d" ptap7 "root -I ptap7"
assert_no_line "$NI_IFACES" "eth0" "root -I ptap7: no eth0 in the namespace"

# As nobody: a user namespace owned by the unprivileged user
topo_unpriv_bin
d=$(netinfo_dir nobody)
capture netinfo_dump "$d" in_host timeout 30 "${AS_NOBODY[@]}" "$UPASTA" --config-net --
show_capture
assert_eq "$CAP_RC" 0 "nobody: pasta --config-net -- <dump> exit status"
check_uid_map_outer "$d" "$NOBODY_UID" "nobody"
check_topo_config "$d" eth0 "nobody"

# Without --config-net the tap exists but pasta leaves addresses alone
d=$(netinfo_dir noconf)
capture netinfo_dump "$d" in_host timeout 30 "$PASTA" --
show_capture
assert_eq "$CAP_RC" 0 "root, no --config-net: exit status"
netinfo_load "$d" "no --config-net"
assert_line "$NI_IFACES" "eth0" "no --config-net: tap eth0 exists"
assert_no_line "$NI_ADDR" "addr eth0 inet $HOST_IP4/24" "no --config-net: no IPv4 address configured"
assert_no_line "$NI_ROUTE4" "route default via $GW_IP4 dev eth0" "no --config-net: no IPv4 default route"

echo "pasta_basic: all checks passed"
