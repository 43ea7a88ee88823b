#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# udp_expiry.sh - Idle UDP flows expire and their sockets are closed: a
# datagram from the namespace opens a flow with a socket of its own in
# pasta; 30 s after the last datagram (one-way flow) the socket is gone.
# Counted on pasta's open descriptors.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

test_start

NS="${TOPO_TAG}_ns"
topo_netns_add "$NS"
PIDFILE="$TOPO_TMP/pasta.pid"

in_host "$PASTA" --config-net --netns "$NS" -P "$PIDFILE" -t none -u none \
	-T none -U none -l "$TOPO_TMP/pasta.log"
topo_track_pidfile "$PIDFILE"
wait_until 5 test -s "$PIDFILE" || fail "no PID file"
PID=$(cat "$PIDFILE")

# count_socks() - Sockets pasta holds open
count_socks() {
	find "/proc/$PID/fd" -lname 'socket:*' 2>/dev/null | wc -l
}

# Sockets pasta opens for itself in its first seconds (the pools for -t
# and -T, refilled at its timer): the count to start from is one that held
# for more than a timer period
before=$(count_socks)
for _ in $(seq 10); do
	sleep 1.5
	now=$(count_socks)
	[ "$now" = "$before" ] && break
	before=$now
done
info "pasta holds $before sockets before any UDP flow"

# Five flows, one-way: to five ports of the router (nobody listens there,
# the datagrams are simply dropped by the router's kernel... or answered
# with port unreachable, which doesn't count as the other side sending)
for port in 7001 7002 7003 7004 7005; do
	ip netns exec "$NS" sh -c "echo flow-$port | socat -u - UDP:$REMOTE_IP4:$port"
done
sleep 1
during=$(count_socks)
assert_eq "$during" "$((before + 5))" "five UDP flows, five more sockets"

# One-way flows expire after 30 s without traffic: wait up to 40 s
if wait_until 40 sh -c "[ \$(find /proc/$PID/fd -lname 'socket:*' | wc -l) -le $before ]"; then
	ok "the flows expired and their sockets were closed ($(count_socks) sockets)"
else
	fail "sockets still open after 40 s: $(count_socks), expected $before"
fi
pid_alive "$PID" || fail "pasta exited"

echo "udp_expiry: all checks passed"
