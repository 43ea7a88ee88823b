#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# file_create.sh - the PID file (-P), the capture file (-p) and the log
# file (-l) of a daemon started as root can't be turned against root's
# own files by another user:
#
#   1. in a directory owned by nobody (not sticky: the kernel's
#      fs.protected_symlinks doesn't apply there, and no sysctl is
#      touched), nobody plants at the path a symbolic link to a file of
#      root's, or a file of its own; root plants a hard link to a file of
#      root's (what nobody could do where fs.protected_hardlinks is 0):
#      passt refuses to start, with exit status 1 and a message naming
#      the path and the reason, and the file of root's, the link and
#      nobody's file are left exactly as they were (type, mode, links,
#      owner, contents).  Each for -P, -p and -l; pasta for -P and -p.
#   2. stale regular files of root's at the three paths (mode 0644, other
#      contents) are reused: same inode, mode 0600, the PID file holds the
#      daemon's PID and nothing else, the capture starts with the pcap
#      header, the log holds none of the old contents.
#   3. new files are created with mode 0600, even under umask 000.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

test_start

# settled() - PID SOCK: the daemon exited, or listens on SOCK
settled() {
	pid_gone "$1" || [ -S "$2" ]
}

# try_start() - LOG SOCK CMD...: start CMD in the host namespace, wait
# until it exits or listens on SOCK (or 5 s); set TRY_RC to its exit
# status, or "running" (and stop it) if it didn't exit
TRY_RC=""
try_start() {
	local log=$1 sock=$2 pid rc=0

	shift 2
	bg_host "$log" "$@"
	pid=$BG_PID
	wait_until 5 settled "$pid" "$sock" || true
	if pid_alive "$pid"; then
		TRY_RC=running
		topo_kill_pid "$pid"
		wait "$pid" 2>/dev/null || true
	else
		wait "$pid" || rc=$?
		TRY_RC=$rc
	fi
}

target="$TOPO_TMP/root-file"
planted="$TOPO_TMP/planted"
mkdir -m 755 "$planted"
chown "$NOBODY_UID:$NOBODY_GID" "$planted"

# plant() - KIND PATH: put at PATH a symbolic link to $target (planted by
# nobody), a hard link to it (by root), or a regular file of nobody's
plant() {
	case "$1" in
	symlink) "${AS_NOBODY[@]}" ln -s "$target" "$2" ;;
	hardlink) ln "$target" "$2" ;;
	foreign) echo nobody-was-here | "${AS_NOBODY[@]}" tee "$2" >/dev/null ;;
	esac
}

# reason() - KIND: the reason the daemon has to give
reason() {
	case "$1" in
	symlink) echo "is a symbolic link" ;;
	hardlink) echo "has 2 hard links" ;;
	foreign) echo "belongs to uid $NOBODY_UID" ;;
	esac
}

# refused() - LABEL KIND FILE CMD...: with FILE planted as KIND, CMD
# (whose option names FILE) exits with 1 and says why, and leaves FILE
# and $target alone
refused() {
	local label=$1 kind=$2 file=$3 before_t before_f log

	shift 3
	printf 'precious %s\n' "$label" >"$target"
	chmod 644 "$target"
	rm -f "$file"
	plant "$kind" "$file"
	before_t=$(file_state "$target")
	before_f=$(file_state "$file")
	log="$TOPO_TMP/try-${label// /_}.log"

	try_start "$log" "$TOPO_TMP/try.sock" "$@"
	if [ "$TRY_RC" = 1 ]; then
		ok "$label: refused to start (exit status 1)"
	else
		show_log "$log" "daemon output"
		tfail "$label: exit status $TRY_RC, expected 1"
	fi
	soft assert_contains "$(cat "$log")" "$file: it $(reason "$kind")" \
		"$label: message names the path and the reason"
	soft assert_eq "$(file_state "$target")" "$before_t" \
		"$label: root's file untouched"
	soft assert_eq "$(file_state "$file")" "$before_f" \
		"$label: planted $kind left as it was"
	soft assert_not_exists "$TOPO_TMP/try.sock" "$label: no socket left"
	rm -f "$file" "$TOPO_TMP/try.sock"
}

# --- 1: links and foreign files at the paths --------------------------------

pns=$(topo_netns_name pasta)
topo_netns_add "$pns"
for kind in symlink hardlink foreign; do
	f="$planted/file"
	refused "passt -P, $kind" "$kind" "$f" \
		"$PASST" -f -s "$TOPO_TMP/try.sock" -P "$f"
	refused "passt -p, $kind" "$kind" "$f" \
		"$PASST" -f -s "$TOPO_TMP/try.sock" -p "$f"
	refused "passt -l, $kind" "$kind" "$f" \
		"$PASST" -f -s "$TOPO_TMP/try.sock" -l "$f"
	refused "pasta -P, $kind" "$kind" "$f" \
		"$PASTA" -f --config-net --netns "$pns" -P "$f"
	refused "pasta -p, $kind" "$kind" "$f" \
		"$PASTA" -f --config-net --netns "$pns" -p "$f"
done

# --- 2: stale files of ours are reused --------------------------------------

own="$TOPO_TMP/own"
mkdir -m 755 "$own"
for f in pid pcap log; do
	printf 'stale-%s-contents\n' "$f" >"$own/$f"
	chmod 644 "$own/$f"
done
ino_before=$(stat -c %i "$own/pid" "$own/pcap" "$own/log" | tr '\n' ' ')
topo_track_pidfile "$own/pid"
capture in_host timeout 10 "$PASST" -s "$own/sock" -P "$own/pid" \
	-p "$own/pcap" -l "$own/log"
show_capture
assert_eq "$CAP_RC" 0 "stale files of ours: passt started"
pid=$(read_pidfile "$own/pid") || fail "PID file: $(cat "$own/pid")"
topo_track_pid "$pid"
soft assert_eq "$(cat "$own/pid")" "$pid" "reused PID file holds the PID only"
soft assert_eq "$(stat -c %i "$own/pid" "$own/pcap" "$own/log" | tr '\n' ' ')" \
	"$ino_before" "the same three files were reused (inodes)"
soft assert_eq "$(stat -c %a "$own/pid" "$own/pcap" "$own/log" | tr '\n' ' ')" \
	"600 600 600 " "reused files made 0600"
soft assert_eq "$(od -An -tx1 -N4 "$own/pcap" | tr -d ' ')" d4c3b2a1 \
	"reused capture file starts with the pcap magic"
soft assert_not_contains "$(cat "$own/pcap" "$own/log" | tr -d '\0')" \
	"stale-" "old contents gone"
soft assert_contains "$(cat "$own/log")" "Saving packet capture" \
	"reused log file holds the new messages"
kill -TERM "$pid"
wait_pid_exit "$pid" 5 || tfail "passt still running 5 s after SIGTERM"

# --- 3: new files are 0600 --------------------------------------------------

new="$TOPO_TMP/new"
mkdir -m 755 "$new"
topo_track_pidfile "$new/pid"
capture in_host timeout 10 sh -c 'umask 000; exec "$@"' sh "$PASST" \
	-s "$new/sock" -P "$new/pid" -p "$new/pcap" -l "$new/log"
show_capture
assert_eq "$CAP_RC" 0 "new files, umask 000: passt started"
pid=$(read_pidfile "$new/pid") || fail "PID file: $(cat "$new/pid")"
topo_track_pid "$pid"
soft assert_eq "$(stat -c %a "$new/pid" "$new/pcap" "$new/log" | tr '\n' ' ')" \
	"600 600 600 " "new PID, capture and log files have mode 0600"
kill -TERM "$pid"
wait_pid_exit "$pid" 5 || tfail "passt still running 5 s after SIGTERM"

soft_finish
echo "file_create: all checks passed"
