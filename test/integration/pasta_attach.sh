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

# check_attached() - LABEL NAME CMD...: the configuration of the namespace
# CMD... enters (ip netns exec NS, nsenter -t PID -n) is the host's
check_attached() {
	local d

	d=$(netinfo_dir "$2")
	netinfo_dump "$d" "${@:3}" || fail "$1: cannot dump the configuration"
	check_topo_config "$d" eth0 "$1"
}

# netns_case() - LABEL NAME PREFIX: pasta --netns PREFIX<namespace> on a new
# namespace: configured when pasta returns, quits on ip netns del
netns_case() {
	local tgt pidfile="$TOPO_TMP/$2.pid"

	tgt=$(topo_netns_name "$2")
	topo_netns_add "$tgt"
	start_attached "$1" "$pidfile" \
		"$PASTA" --config-net --netns "$3$tgt" -P "$pidfile"
	check_attached "$1" "$2" ip netns exec "$tgt"
	ip netns del "$tgt"
	info "deleted netns $tgt"
	expect_quit "$DAEMON_PID" "$1, after ip netns del"
}

# pid_case() - LABEL NAME PIDFILE RUNNER...: RUNNER... --config-net -P
# PIDFILE $spid: pasta joins the namespaces of the process $spid, is
# configured when it returns, quits once the process is gone
pid_case() {
	start_attached "$1" "$3" "${@:4}" --config-net -P "$3" "$spid"
	check_attached "$1" "$2" nsenter -t "$spid" -n
	kill -TERM "$spid"
	wait "$spid" || true
	info "target process $spid killed"
	expect_quit "$DAEMON_PID" "$1, after the process exited"
}

netns_case "--netns NAME" netns-name ""
netns_case "--netns PATH" netns-path /run/netns/

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
pid_case "pasta PID" pid "$TOPO_TMP/pid.pid" "$PASTA"

# The rootless container case: nobody makes user + net namespaces with
# unshare, and pasta, also as nobody, joins them by PID
topo_unpriv_bin
udir="$TOPO_TMP/nobody-run"
mkdir -m 755 "$udir"
chown "$NOBODY_UID:$NOBODY_GID" "$udir"
bg_host /dev/null "${AS_NOBODY[@]}" unshare -rn sleep 600
spid=$BG_PID
wait_until 5 is_sleep "$spid" || fail "nobody: unshare -rn sleep did not start"
pid_case "nobody, pasta PID" nobody-pid "$udir/pid.pid" \
	"${AS_NOBODY[@]}" "$UPASTA"

echo "pasta_attach: all checks passed"
