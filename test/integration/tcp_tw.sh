#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tcp_tw.sh - a new connection on the four-tuple of one the guest still
# holds in TIME-WAIT (tap path, pasta -t from the host's own address)
#
# The server in the namespace closes first, so its end of a connection
# stays in TIME-WAIT (60 s on Linux).  After 32 MiB (TCP_TW_SIZE) from
# the host, the guest expects the next segment of that four-tuple past
# the last byte it got; our initial sequence number for a new connection
# of the same four-tuple moves with a 4 us clock, 256 KiB a second, so a
# few seconds later it isn't past it: the guest answers our SYN with the
# old connection's ACK.  pasta must answer that with a reset (RFC 9293,
# 3.10.7.3), which ends the TIME-WAIT, and its next SYN opens the new
# connection: the second connection from the same host port completes
# within TCP_TW_MAX seconds (default 5), its data intact.  Before, it hung
# until the TIME-WAIT ran out (the client gave up after 30 s).  Also
# checked: the guest really held the old connection in TIME-WAIT when the
# second one started (ss in the namespace).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

SIZE=${TCP_TW_SIZE:-33554432}
MAX=${TCP_TW_MAX:-5}
TOOL="$TOPO_ROOT/test/integration/tw_tool.py"
PORT=10600
SRCPORT=41234

test_start

ns=$(topo_netns_name ns)
pasta_ns "$ns" -t "$PORT" -T none -u none -U none
bg_ns "$ns" "$TOPO_TMP/srv.log" "$PYTHON" "$TOOL" server "$PORT" \
	"$TOPO_TMP/srv.ready"
wait_until 10 test -e "$TOPO_TMP/srv.ready" || fail "server didn't start"

capture in_host "$PYTHON" "$TOOL" client "$HOST_IP4" "$PORT" "$SRCPORT" \
	"$SIZE" 1
if [ "$CAP_RC" = 0 ]; then
	ok "first connection from port $SRCPORT: $SIZE bytes ($CAP_OUT)"
else
	show_capture
	fail "first connection from port $SRCPORT failed: $CAP_OUT"
fi

tw=$(ns_run "$ns" ss -tanH state time-wait "( dport = :$SRCPORT )")
if [ -n "$tw" ]; then
	ok "the guest holds the first connection in TIME-WAIT: $tw"
else
	tfail "the guest doesn't hold the first connection in TIME-WAIT"
fi

capture in_host "$PYTHON" "$TOOL" client "$HOST_IP4" "$PORT" "$SRCPORT" \
	1000 2
secs=$(printf '%s' "$CAP_OUT" | sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p')
if [ "$CAP_RC" = 0 ] && [ -n "$secs" ] &&
   awk -v s="$secs" -v m="$MAX" 'BEGIN { exit !(s <= m) }'; then
	ok "second connection from port $SRCPORT, the guest's end of the" \
	   "first in TIME-WAIT: done in $secs s"
else
	show_capture
	tfail "second connection from port $SRCPORT, the guest's end of the" \
	      "first in TIME-WAIT: expected done, intact, within $MAX s;" \
	      "got: $CAP_OUT"
fi

soft_finish
echo "tcp_tw: all checks passed"
