#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# log_sinks.sh - a guest can't fill the disk, nor block the daemon, through
# its log:
#
#   1. log file: passt started as root (so running as nobody, with a log
#      file of root's it can't open again) with --debug -l FILE
#      --log-size 20480; a fake guest sends frames from ever new source
#      MAC addresses, which passt logs one line each, until the file has
#      been rotated 3 times (log_tool.py macflood): the file never exceeds
#      20480 bytes, keeps at least 40% of it after each rotation (the
#      newer half, not a truncation), and ends with an unbroken run of the
#      addresses up to the last one sent.
#   2. system log: passt goes to the background in a mount namespace of
#      its own, where /dev is a tmpfs whose /dev/log is a datagram socket
#      of ours (log_tool.py syslog; /dev/null bound from the real one);
#      nothing of the machine's /dev is touched.  A guest connecting gets
#      "<30>Mmm dd hh:mm:ss passt[PID]: Guest connected ..." (daemon.info,
#      PID of the daemon).  Then the listener stops reading (its queue,
#      net.unix.max_dgram_qlen = 10 in the host namespace, fills up) and
#      20 guests connect one after the other: each gets its ARP answer,
#      so the daemon never blocks on the log.  The listener reads again, a
#      last guest connects: a warning "N messages dropped" comes first,
#      and the messages received plus N are all the messages there were
#      (2 per guest: connected, disconnected).
#   3. rate limits: 100 connections to passt's socket, each with an
#      impossible frame length (log_tool.py badlen): each is closed, but
#      passt logs at most 5 of those errors per second, plus the number
#      it left out (checked against the time the 100 took).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

LOGTOOL="$TOPO_ROOT/test/integration/log_tool.py"
GUESTS=20

test_start

# --- 1: log file size limit, after the switch to nobody ---------------------

sock="$TOPO_TMP/flood.sock"
flog="$TOPO_TMP/flood.log"
passt_start "$sock" "$TOPO_TMP/flood.out" --debug -l "$flog" --log-size 20480
ok "passt -f --debug -l $flog --log-size 20480, PID $PASST_PID"
soft assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$PASST_PID/status")" \
	"$NOBODY_UID" "passt runs as nobody"
capture "$PYTHON" "$LOGTOOL" macflood --sock "$sock" --log "$flog" \
	--limit 20480 --rotations 3
show_capture
if [ "$CAP_RC" = 0 ]; then
	ok "3 rotations: never above 20480 bytes, newer half kept, newest" \
	   "lines unbroken: $(printf '%s\n' "$CAP_OUT" | grep '^result:')"
else
	tfail "log file rotation"
fi
size=$(stat -c %s "$flog")
if [ "$size" -le 20480 ]; then
	ok "log file size at the end: $size bytes"
else
	tfail "log file size at the end: $size bytes, limit 20480"
fi
kill -TERM "$PASST_PID"
wait_pid_exit "$PASST_PID" 5 || tfail "passt still running after SIGTERM"

# --- 2: system log ------------------------------------------------------------

ip netns exec "$HOST_NS" sysctl -qw net.unix.max_dgram_qlen=10
devlog="$TOPO_TMP/devlog.sock"
received="$TOPO_TMP/syslog.txt"
pause="$TOPO_TMP/syslog.pause"
bg_host "$TOPO_TMP/syslog.out" "$PYTHON" "$LOGTOOL" syslog --sock "$devlog" \
	--out "$received" --ready "$TOPO_TMP/syslog.ready" --pause "$pause"
wait_until 5 test -e "$TOPO_TMP/syslog.ready" || fail "syslog listener not ready"

sock="$TOPO_TMP/daemon.sock"
pidfile="$TOPO_TMP/daemon.pid"
touch "$TOPO_TMP/devnull"
topo_track_pidfile "$pidfile"
# shellcheck disable=SC2016 # expanded by that sh
capture in_host timeout 10 unshare -m --propagation private sh -e -c '
	mount --bind /dev/null "$1/devnull"
	mount -t tmpfs -o mode=755 log-sinks /dev
	touch /dev/null /dev/log
	mount --bind "$1/devnull" /dev/null
	mount --bind "$1/devlog.sock" /dev/log
	shift
	exec "$@"' sh "$TOPO_TMP" "$PASST" -s "$sock" -P "$pidfile"
show_capture
assert_eq "$CAP_RC" 0 "passt in the background, /dev/log ours"
pid=$(read_pidfile "$pidfile") || fail "no PID in $pidfile"
topo_track_pid "$pid"

# guest() - LABEL: a guest connects, gets an ARP answer, leaves
GOT_ARP=0
guest() {
	capture timeout 10 "$PYTHON" "$CLIENT" arp --sock "$sock" \
		--target "$GW_IP4" --timeout 3 --grace 0
	if [ "$CAP_RC" = 0 ]; then
		GOT_ARP=$((GOT_ARP + 1))
	else
		show_capture
		tfail "$1: no ARP answer"
		return 1
	fi
}

# lines() - ERE: number of datagrams received that match
lines() {
	grep -cE -- "$1" "$received" || true
}

guest "first guest" || true
wait_until 5 grep -q "Guest disconnected" "$received" ||
	tfail "the system log got no 'Guest disconnected'"
first=$(grep -m1 "Guest connected" "$received" || true)
info "first message: $first"
if [[ $first =~ ^\<30\>[A-Z][a-z]{2}\ [\ 0-9][0-9]\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ passt\[$pid\]:\ Guest\ connected ]]; then
	ok "syslog format: <30>Mmm dd hh:mm:ss passt[$pid]: Guest connected"
else
	tfail "syslog format: '$first'"
fi

touch "$pause"
wait_until 5 test -e "$pause.paused" || fail "syslog listener didn't pause"
before=$(wc -l <"$received")
GOT_ARP=0
for i in $(seq "$GUESTS"); do
	guest "guest $i, system log full" || break
done
soft assert_eq "$GOT_ARP" "$GUESTS" "guests answered while the system log was full"
rm -f "$pause"
# The listener reads again, and empties its queue (10 datagrams, or 11),
# before the last guest comes: else the report and the last guest's
# messages can all find the queue still full, and be dropped too
wait_until 5 test ! -e "$pause.paused" ||
	fail "syslog listener didn't read again"
# shellcheck disable=SC2016 # expanded by that sh
wait_until 5 sh -c '[ "$(wc -l <"$1")" -ge "$2" ]' sh "$received" \
	"$((before + 10))" || true

guest "last guest" || true
wait_until 10 grep -q "messages dropped" "$received" ||
	tfail "no 'messages dropped' report"
# The last guest's two messages: the one the report came with, and another
# shellcheck disable=SC2016 # expanded by that sh
wait_until 10 sh -c '[ "$(grep -c "Guest" "$1")" -gt "$2" ]' sh \
	"$received" "$before" || true
sleep 0.5
show_log "$received" "system log" 12
report=$(grep -m1 "messages dropped" "$received" || true)
dropped=$(printf '%s\n' "$report" | sed -n 's/.*: \([0-9]*\) messages dropped.*/\1/p')
if [[ $report =~ ^\<28\>.*\ passt\[$pid\]:\ [0-9]+\ messages\ dropped ]] &&
   [ "${dropped:-0}" -gt 0 ]; then
	ok "drops reported as a warning: $dropped messages"
else
	tfail "drop report: '$report'"
fi
guests=$((GUESTS + 2))
got=$(lines "passt\[$pid\]: Guest (connected|disconnected)")
soft assert_eq "$((got + ${dropped:-0}))" "$((guests * 2))" \
	"received ($got) + dropped (${dropped:-0}): every message accounted for"

kill -TERM "$pid"
wait_pid_exit "$pid" 5 || tfail "passt still running after SIGTERM"

# --- 3: rate limits ------------------------------------------------------------

sock="$TOPO_TMP/badlen.sock"
blog="$TOPO_TMP/badlen.log"
passt_start "$sock" "$blog"
capture "$PYTHON" "$LOGTOOL" badlen --sock "$sock" --count 100
show_capture
assert_eq "$CAP_RC" 0 "100 connections with an impossible frame length, each closed"
elapsed=$(printf '%s\n' "$CAP_OUT" | sed -n 's/^result:.* elapsed=\([0-9]*\).*/\1/p')
# One more, in a later second: it brings the count of those left out
sleep 1.1
capture "$PYTHON" "$LOGTOOL" badlen --sock "$sock" --count 1
logged=$(grep -c "Impossible frame length" "$blog" || true)
limit=$((5 * (elapsed + 3)))
if [ "$logged" -ge 1 ] && [ "$logged" -le "$limit" ]; then
	ok "impossible frame lengths: $logged errors logged for 101 in" \
	   "about $((elapsed + 1)) s (at most $limit)"
else
	tfail "impossible frame lengths: $logged errors logged for 101 in" \
	      "about $((elapsed + 1)) s, expected 1 to $limit"
fi
soft assert_contains "$(cat "$blog")" "messages suppressed)" \
	"the number left out is logged"
kill -TERM "$PASST_PID"

soft_finish
echo "log_sinks: all checks passed"
