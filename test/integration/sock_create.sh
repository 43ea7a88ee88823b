#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sock_create.sh - passt's UNIX domain socket is created race-free and
# only for its owner, and qrap talks only to a passt of its own user or
# root's:
#
#   1. -s PATH in a directory of nobody's, where nobody left a symbolic
#      link to a file of root's, a regular file, or a socket of its own:
#      passt (root) exits with 1 and a message naming the path and the
#      reason, and leaves the thing and the file of root's as they were;
#      a live passt at the path: the same ("in use"), and the live one
#      still answers; a stale socket of root's: replaced.
#   2. under umask 000 the socket file has mode 0600: nobody can't
#      connect (and passt logs no guest), root can (ARP answered).
#   3. without -s, in a private /tmp (a mount namespace with a tmpfs, the
#      machine's /tmp out of reach): nobody listens on /tmp/passt_1.socket
#      and planted /tmp/passt_2.socket (regular file), /tmp/passt_3.socket
#      (symbolic link to a file of root's), /tmp/passt_4.socket (a socket
#      of nobody's, not listening); /tmp/passt_5.socket is a stale socket
#      of root's: passt takes /tmp/passt_5.socket and leaves 1-4 alone.
#      qrap, searching, refuses nobody's listener on /tmp/passt_1.socket
#      and reaches passt on /tmp/passt_5.socket (ARP
#      and DHCP over the descriptor it hands over); the impostor receives
#      no byte.  PASST_SOCKET naming nobody's listener: qrap exits with 1,
#      says whose it is, and doesn't run the command.  qrap as nobody
#      with a passt of nobody's: accepted (ARP and DHCP).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

FDC="$TOPO_ROOT/test/integration/clients_fd.py"
QRAP="$PASST_BIN_DIR/qrap"

test_start
[ -x "$QRAP" ] || fail "$QRAP not found or not executable (run make)"

# arp_ok() - SOCK LABEL: a client gets an ARP reply through SOCK
arp_ok() {
	capture "$PYTHON" "$CLIENT" arp --sock "$1" --target "$GW_IP4"
	if [ "$CAP_RC" = 0 ]; then
		ok "$2: ARP answered through $1"
	else
		show_capture
		tfail "$2: no ARP answer through $1"
	fi
}

# bind_stale() - PATH [RUNAS...]: leave a socket file nobody listens on
bind_stale() {
	local path=$1

	shift
	"$@" "$UPYTHON" -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$path"
}

# --- 1: explicit paths ------------------------------------------------------

target="$TOPO_TMP/root-file"
echo "precious" >"$target"
chmod 644 "$target"
d="$TOPO_TMP/planted"
mkdir -m 755 "$d"
chown "$NOBODY_UID:$NOBODY_GID" "$d"

# refused() - LABEL REASON: passt -f -s $d/sock exits with 1, names the
# path and REASON, leaves $d/sock and $target as they were
refused() {
	local before_t before_s

	before_t=$(file_state "$target")
	before_s=$(file_state "$d/sock")
	capture in_host timeout 10 "$PASST" -f -s "$d/sock"
	if [ "$CAP_RC" = 1 ]; then
		ok "$1: passt exits with status 1"
	else
		show_capture
		tfail "$1: exit status $CAP_RC, expected 1"
	fi
	soft assert_contains "$CAP_ERR" "$d/sock: $2" \
		"$1: message names the path and the reason"
	soft assert_eq "$(file_state "$d/sock")" "$before_s" \
		"$1: left as it was"
	soft assert_eq "$(file_state "$target")" "$before_t" \
		"$1: root's file untouched"
	rm -f "$d/sock"
}

"${AS_NOBODY[@]}" ln -s "$target" "$d/sock"
refused "symbolic link of nobody's" "it is a symbolic link"
echo "nobody's" | "${AS_NOBODY[@]}" tee "$d/sock" >/dev/null
refused "regular file of nobody's" "it exists and is not a socket"
bind_stale "$d/sock" "${AS_NOBODY[@]}"
refused "stale socket of nobody's" "it is a socket of uid $NOBODY_UID"

live="$TOPO_TMP/live.sock"
passt_start "$live" "$TOPO_TMP/live.log"
live_pid=$PASST_PID
capture in_host timeout 10 "$PASST" -f -s "$live"
soft assert_eq "$CAP_RC" 1 "live instance at the path: exit status"
soft assert_contains "$CAP_ERR" "$live: it is in use by another instance" \
	"live instance at the path: message"
arp_ok "$live" "live instance at the path: the first instance"
kill -TERM "$live_pid"
wait_pid_exit "$live_pid" 5 || tfail "passt still running after SIGTERM"

stale="$TOPO_TMP/stale.sock"
bind_stale "$stale"
passt_start "$stale" "$TOPO_TMP/stale.log"
arp_ok "$stale" "stale socket of root's replaced"
kill -TERM "$PASST_PID"

# --- 2: mode 0600 whatever the umask ----------------------------------------

um="$TOPO_TMP/umask.sock"
bg_host "$TOPO_TMP/umask.log" sh -c 'umask 000; exec "$@"' sh \
	"$PASST" -f -s "$um"
wait_until 5 test -S "$um" || fail "passt under umask 000: no socket"
soft assert_eq "$(stat -c %a "$um")" 600 "socket mode under umask 000"
capture "${AS_NOBODY[@]}" "$UPYTHON" -c 'import socket, sys
socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$um"
if [ "$CAP_RC" != 0 ] && [[ $CAP_ERR == *PermissionError* ]]; then
	ok "nobody can't connect to root's socket (permission denied)"
else
	show_capture
	tfail "nobody could connect to root's socket (or failed otherwise)"
fi
arp_ok "$um" "root connects under umask 000"
soft assert_not_contains "$(cat "$TOPO_TMP/umask.log")" \
	"uid $NOBODY_UID" "passt saw no guest of nobody's"

# --- 3: default search, qrap ------------------------------------------------

# Programs copied out of the way of the tmpfs over /tmp (the repository,
# or PASST_BIN_DIR, may be under /tmp), readable by nobody
STAGE=$(mktemp -d /dev/shm/sock-create.XXXXXX)
chmod 755 "$STAGE"
cp "$QRAP" "$PASST" "$FDC" "$CLIENT" "$STAGE/"
chmod 755 "$STAGE"/*
S_FDC="$STAGE/$(basename "$FDC")"
cat >"$TOPO_TMP/search.sh" <<EOF
#!/bin/bash
# Runs in its own mount namespace: a fresh, empty /tmp
set -u
unset PASST_SOCKET
cd /
mount -t tmpfs -o mode=1777 sock-create /tmp || exit 90
nobody=(${AS_NOBODY[*]})
state() { stat -c '%F %a %u %i' "\$1"; [ -L "\$1" ] && readlink "\$1"; [ -f "\$1" ] && sha256sum <"\$1"; }
py=$UPYTHON
pids=()
echo precious >/tmp/root-file
echo nobody-was-here | "\${nobody[@]}" tee /tmp/passt_2.socket >/dev/null
"\${nobody[@]}" ln -s /tmp/root-file /tmp/passt_3.socket
"\${nobody[@]}" \$py -c 'import socket; socket.socket(socket.AF_UNIX).bind("/tmp/passt_4.socket")'
"\${nobody[@]}" \$py -c '
import socket
s = socket.socket(socket.AF_UNIX)
s.bind("/tmp/passt_1.socket")
s.listen(8)
open("/tmp/impostor.out", "w").close()
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        data = c.recv(65536)
    except OSError:
        data = b""
    with open("/tmp/impostor.out", "a") as f:
        f.write("connection, %d bytes\n" % len(data))
    c.close()
' &
pids+=(\$!)
\$py -c 'import socket; socket.socket(socket.AF_UNIX).bind("/tmp/passt_5.socket")'
for i in \$(seq 50); do [ -e /tmp/impostor.out ] && break; sleep 0.1; done
before=\$(for i in 1 2 3 4; do state /tmp/passt_\$i.socket; done; state /tmp/root-file)

echo "== passt, default search"
$STAGE/passt -f >/tmp/passt.log 2>&1 </dev/null &
pids+=(\$!)
for i in \$(seq 50); do grep -q "socket bound at" /tmp/passt.log && break; sleep 0.1; done
grep "socket bound at" /tmp/passt.log
after=\$(for i in 1 2 3 4; do state /tmp/passt_\$i.socket; done; state /tmp/root-file)
[ "\$before" = "\$after" ] && echo "planted paths unchanged"

echo "== qrap, default search"
timeout 20 $STAGE/qrap 5 \$py $S_FDC onfd --fd 5 --expect-peer /tmp/passt_5.socket
echo "rc=\$?"

echo "== qrap, PASST_SOCKET naming the impostor"
PASST_SOCKET=/tmp/passt_1.socket timeout 20 $STAGE/qrap 5 touch /tmp/marker
echo "rc=\$?"
[ -e /tmp/marker ] && echo "command ran"

echo "== qrap as nobody, passt of nobody's"
"\${nobody[@]}" $STAGE/passt -f -s /tmp/nobody.socket >/tmp/passt-nobody.log 2>&1 </dev/null &
pids+=(\$!)
for i in \$(seq 50); do [ -S /tmp/nobody.socket ] && break; sleep 0.1; done
PASST_SOCKET=/tmp/nobody.socket timeout 20 "\${nobody[@]}" $STAGE/qrap 5 \$py $S_FDC onfd --fd 5 --expect-peer /tmp/nobody.socket
echo "rc=\$?"

echo "== impostor"
cat /tmp/impostor.out
kill -TERM "\${pids[@]}"
wait
EOF
capture in_host timeout 90 unshare -m --propagation private bash "$TOPO_TMP/search.sh"
rm -rf "$STAGE"
show_capture
section() {
	printf '%s\n' "$CAP_OUT" | sed -n "/^== $1/,/^== /p"
}
out=$(section "passt, default search")
soft assert_contains "$out" "socket bound at /tmp/passt_5.socket" \
	"default search: passt takes /tmp/passt_5.socket, the stale one of root's"
soft assert_line "$out" "planted paths unchanged" \
	"default search: nobody's file, link, sockets and root's file unchanged"
out=$(section "qrap, default search")
soft assert_line "$out" "rc=0" \
	"qrap search: ARP and DHCP through passt on /tmp/passt_5.socket"
soft assert_contains "$CAP_ERR" \
	"refusing /tmp/passt_1.socket: it belongs to a process of uid $NOBODY_UID" \
	"qrap search: nobody's listener refused, and said so"
out=$(section "qrap, PASST_SOCKET naming")
soft assert_line "$out" "rc=1" "PASST_SOCKET naming nobody's listener: exit status 1"
soft assert_not_contains "$out" "command ran" \
	"PASST_SOCKET naming nobody's listener: command not run"
out=$(section "qrap as nobody")
soft assert_line "$out" "rc=0" "qrap as nobody: its own passt accepted"
out=$(section impostor)
soft assert_no_line_matching "$out" "connection, [1-9][0-9]* bytes" \
	"nobody's listener received no byte"

soft_finish
echo "sock_create: all checks passed"
