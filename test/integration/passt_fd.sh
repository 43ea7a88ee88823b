#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt_fd.sh - passt --fd N uses an already connected socket (one end of
# a socketpair it inherited) and exits when the peer closes it.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

test_start

capture in_host timeout 30 "$PYTHON" "$CLIENT" fd --target "$GW_IP4" \
	--target "$REMOTE_IP4" --split 3 --delay 0.1 -- "$PASST" -f
show_capture
assert_eq "$CAP_RC" 0 "ARP over the socketpair, passt exits with status 0 when the peer closes"

capture in_host timeout 30 "$PYTHON" "$CLIENT" fd --target "$GW_IP4" -- "$PASST" -f -q
show_capture
assert_eq "$CAP_RC" 0 "same with -q"

echo "passt_fd: all checks passed"
