#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pasta_attach.sh - pasta joining existing namespaces (--netns NAME,
# --netns PATH, PID) returns once the tap is configured, keeps running in
# the background, and quits when the namespace or the process goes away
# (unless --no-netns-quit).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest.sh"

test_start


# start_attached() - LABEL PIDFILE RUNNER...: run pasta in attach mode,
# expect it to return 0 and leave a live daemon; sets DAEMON_PID
DAEMON_PID=""
start_attached() {
	local label=$1 pidfile=$2

	shift 2
	topo_track_pidfile "$pidfile"
	capture in_host timeout 20 "$@"
	show_capture
	assert_eq "$CAP_RC" 0 "$label: pasta returned after configuring"
	DAEMON_PID=$(read_pidfile "$pidfile") || fail "$label: no PID in $pidfile"
	topo_track_pid "$DAEMON_PID"
	if pid_alive "$DAEMON_PID"; then
		ok "$label: pasta keeps running in the background (PID $DAEMON_PID)"
	else
		fail "$label: PID $DAEMON_PID from $pidfile is not running"
	fi
}

# --netns NAME: configured right after pasta returns, quits on ip netns del
tgt=$(topo_netns_name tgt)
topo_netns_add "$tgt"
start_attached "--netns NAME" "$TOPO_TMP/netns-name.pid" \
	"$PASTA" --config-net --netns "$tgt" -P "$TOPO_TMP/netns-name.pid"
d=$(netinfo_dir netns-name)
netinfo_dump "$d" ip netns exec "$tgt" || fail "cannot dump config of netns $tgt"
check_topo_config "$d" eth0 "--netns NAME"
ip netns del "$tgt"
info "deleted netns $tgt"
expect_quit "$DAEMON_PID" "--netns NAME, after ip netns del"

# --netns PATH
tgt=$(topo_netns_name tgtpath)
topo_netns_add "$tgt"
start_attached "--netns PATH" "$TOPO_TMP/netns-path.pid" \
	"$PASTA" --config-net --netns "/run/netns/$tgt" -P "$TOPO_TMP/netns-path.pid"
d=$(netinfo_dir netns-path)
netinfo_dump "$d" ip netns exec "$tgt" || fail "cannot dump config of netns $tgt"
check_topo_config "$d" eth0 "--netns PATH"
ip netns del "$tgt"
info "deleted netns $tgt"
expect_quit "$DAEMON_PID" "--netns PATH, after ip netns del"

# --no-netns-quit: still running after the namespace is deleted
tgt=$(topo_netns_name tgtstay)
topo_netns_add "$tgt"
start_attached "--no-netns-quit" "$TOPO_TMP/netns-stay.pid" \
	"$PASTA" --config-net --no-netns-quit --netns "$tgt" -P "$TOPO_TMP/netns-stay.pid"
ip netns del "$tgt"
info "deleted netns $tgt, waiting $((QUIT_TIMEOUT + 1)) s"
sleep $((QUIT_TIMEOUT + 1))
if pid_alive "$DAEMON_PID"; then
	ok "--no-netns-quit: pasta still running after ip netns del"
else
	fail "--no-netns-quit: pasta exited after ip netns del"
fi
kill -TERM "$DAEMON_PID"
expect_quit "$DAEMON_PID" "--no-netns-quit, after SIGTERM"

# pasta PID, as root, on a process that made its own netns with unshare -n
bg_host /dev/null unshare -n sleep 600
spid=$BG_PID
wait_until 5 is_sleep "$spid" || fail "unshare -n sleep did not start"
assert_ne "$(pid_netns_id "$spid")" "$(netns_id "$HOST_NS")" "target process has its own netns"
start_attached "pasta PID" "$TOPO_TMP/pid.pid" \
	"$PASTA" --config-net -P "$TOPO_TMP/pid.pid" "$spid"
d=$(netinfo_dir pid)
netinfo_dump "$d" nsenter -t "$spid" -n || fail "cannot dump config of PID $spid"
check_topo_config "$d" eth0 "pasta PID"
kill -TERM "$spid"
wait "$spid" || true
info "target process $spid killed"
expect_quit "$DAEMON_PID" "pasta PID, after the process exited"

# The rootless container case: nobody makes user + net namespaces with
# unshare, and pasta, also as nobody, joins them by PID
topo_unpriv_bin
udir="$TOPO_TMP/nobody-run"
mkdir -m 755 "$udir"
chown "$NOBODY_UID:$NOBODY_GID" "$udir"
bg_host /dev/null "${AS_NOBODY[@]}" unshare -rn sleep 600
spid=$BG_PID
wait_until 5 is_sleep "$spid" || fail "nobody: unshare -rn sleep did not start"
start_attached "nobody, pasta PID" "$udir/pid.pid" \
	"${AS_NOBODY[@]}" "$UPASTA" --config-net -P "$udir/pid.pid" "$spid"
d=$(netinfo_dir nobody-pid)
netinfo_dump "$d" nsenter -t "$spid" -n || fail "cannot dump config of PID $spid"
check_topo_config "$d" eth0 "nobody, pasta PID"
kill -TERM "$spid"
wait "$spid" || true
info "target process $spid killed"
expect_quit "$DAEMON_PID" "nobody, pasta PID, after the process exited"

echo "pasta_attach: all checks passed"
