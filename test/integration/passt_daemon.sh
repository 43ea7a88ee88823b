#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt_daemon.sh - passt without -f: the parent returns 0 once the socket
# listens, -P holds the daemon's PID, SIGTERM removes socket and PID file
# where the daemon, by then running as nobody, may: in a directory of
# nobody's; started as root, in a directory only root may write to, or in
# a sticky one like /tmp, they stay, root's, for whoever started passt to
# remove (see --runas in passt.1); -1 / --one-off: exit with status 0 when
# the client disconnects.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

test_start

# daemon_case() - LABEL DIR removed|left CMD...: CMD -s DIR/daemon.sock -P
# DIR/daemon.pid returns once the socket listens, leaves a daemon that
# answers ARP, and after SIGTERM socket and PID file are removed, or left
# in place, still root's
daemon_case() {
	local label=$1 dir=$2 files=$3 sock pidfile pid f

	shift 3
	sock="$dir/daemon.sock"
	pidfile="$dir/daemon.pid"
	topo_track_pidfile "$pidfile"
	capture in_host timeout 10 "$@" -s "$sock" -P "$pidfile"
	show_capture
	assert_eq "$CAP_RC" 0 "$label: passt -s SOCK -P PIDFILE returns with status 0"
	if [ -S "$sock" ]; then
		ok "$label: socket $sock exists when passt returns"
	else
		fail "$label: socket $sock missing when passt returns"
	fi
	pid=$(read_pidfile "$pidfile") ||
		fail "$label: PID file $pidfile missing or not a number: $(cat "$pidfile" 2>&1)"
	topo_track_pid "$pid"
	if pid_alive "$pid"; then
		ok "$label: PID $pid from the PID file is running"
	else
		fail "$label: PID $pid from the PID file is not running"
	fi
	assert_eq "$(basename "$(readlink "/proc/$pid/exe")")" passt "$label: PID file names a passt process"
	assert_eq "$(pid_netns_id "$pid")" "$(netns_id "$HOST_NS")" "$label: daemon runs in the host namespace"

	capture "$PYTHON" "$CLIENT" arp --sock "$sock" --target "$GW_IP4"
	show_capture
	assert_eq "$CAP_RC" 0 "$label: daemon answers ARP"

	kill -TERM "$pid"
	if wait_pid_exit "$pid" 5; then
		ok "$label: daemon exited after SIGTERM"
	else
		fail "$label: daemon still running 5 s after SIGTERM"
	fi
	if [ "$files" = removed ]; then
		soft assert_not_exists "$sock" "$label: socket removed after SIGTERM"
		soft assert_not_exists "$pidfile" "$label: PID file removed after SIGTERM"
		return
	fi
	for f in "$sock" "$pidfile"; do
		soft assert_exists "$f" "$label: left in place after SIGTERM"
		soft assert_eq "$(stat -c %u:%g "$f")" 0:0 \
			"$label: $f still root's"
		rm -f "$f"
	done
}

# As root, files in a directory of nobody's, the user passt switches to
daemon_case "root, nobody's directory" "$(nobody_dir root-nobody)" removed \
	"$PASST"

# As root, files in a directory only root may write to, and in a sticky
# directory anybody may write to, like /tmp
daemon_case "root, root's directory" "$TOPO_TMP" left "$PASST"
sticky="$TOPO_TMP/sticky"
mkdir -m 1777 "$sticky"
daemon_case "root, sticky directory" "$sticky" left "$PASST"

# As nobody, files in a directory owned by nobody
topo_unpriv_bin
daemon_case nobody "$(nobody_dir nobody-daemon)" removed \
	"${AS_NOBODY[@]}" "$UPASST"

# One-off mode, short and long option
for opt in -1 --one-off; do
	sock="$TOPO_TMP/oneoff$opt.sock"
	passt_start "$sock" "$TOPO_TMP/oneoff$opt.log" "$opt"
	capture "$PYTHON" "$CLIENT" arp --sock "$sock" --target "$GW_IP4"
	show_capture
	assert_eq "$CAP_RC" 0 "$opt: ARP exchange"
	passt_one_off_exit "$PASST_PID" "$TOPO_TMP/oneoff$opt.log" "$opt"
done

soft_finish
echo "passt_daemon: all checks passed"
