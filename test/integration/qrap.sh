#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# qrap.sh - qrap FD QEMU-COMMAND... connects to passt's socket and runs
# qemu with the connection on descriptor FD, for qemu without -netdev
# stream:
#
#   1. PASST_SOCKET=SOCK qrap 5 qemu ... -netdev socket,id=n0,fd=5
#      -device virtio-net-pci,netdev=n0: the guest (test/guest/
#      full_check.sh) gets its lease, pings the gateway, downloads a file
#      (SHA-256 compared)
#   2. the same through -net socket,fd=5 -net nic,model=virtio, on the
#      same passt
#   3. the default search, in a private /tmp (a mount namespace with a
#      tmpfs, so the machine's /tmp/passt_N.socket are out of reach):
#      nothing listening -> exit status 1 and a message; a stale
#      /tmp/passt_1.socket is skipped and qrap connects to passt on
#      /tmp/passt_2.socket (ARP and DHCP over the inherited descriptor)
#   4. errors: PASST_SOCKET naming a missing path or a socket nobody
#      listens on, a bad descriptor number, a missing command, no
#      arguments: exit status 1, a message on standard error, and the
#      command is not run
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest_qemu.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest_qemu.sh"

FDC="$TOPO_ROOT/test/integration/clients_fd.py"
QRAP="$PASST_BIN_DIR/qrap"
HTTP_PORT=8081
REAL_QEMU=$QEMU

test_start
[ -x "$QRAP" ] || fail "$QRAP not found or not executable (run make)"
guest_tests_start "$GUEST_DIR/full_check.sh"
guest_http_server "$HTTP_PORT" 1048576

# qrap_wrapper() - FILE STYLE: write a "qemu" that guest_start can run:
# qrap 5 qemu with the -netdev stream arguments replaced by STYLE
# (netdev: -netdev socket,id=n0,fd=5; net: -net socket,fd=5 -net nic)
qrap_wrapper() {
	cat >"$1" <<EOF
#!/bin/bash
style=$2
args=()
skip=0
for a in "\$@"; do
	if [ "\$skip" = 1 ]; then
		skip=0
		continue
	fi
	case "\$a" in
	stream,*)
		if [ "\$style" = netdev ]; then
			a=socket,id=n0,fd=5
		else
			# -netdev already in args: replace it
			unset 'args[\${#args[@]}-1]'
			args+=(-net socket,fd=5)
			continue
		fi
		;;
	virtio-net-pci,netdev=n0,*)
		if [ "\$style" = net ]; then
			unset 'args[\${#args[@]}-1]'
			args+=(-net "nic,model=virtio,macaddr=$GUEST_MAC")
			continue
		fi
		;;
	esac
	args+=("\$a")
done
export PASST_SOCKET="$sock"
echo "qrap-wrapper: PASST_SOCKET=\$PASST_SOCKET $QRAP 5 $REAL_QEMU \${args[*]}"
exec "$QRAP" 5 "$REAL_QEMU" "\${args[@]}"
EOF
	chmod 755 "$1"
}

# run_guest() - LABEL STYLE LOG: boot a guest through qrap, check it
run_guest() {
	local l=$1 g=$3

	qrap_wrapper "$TOPO_TMP/qemu-$2.sh" "$2"
	QEMU="$TOPO_TMP/qemu-$2.sh"
	GUEST_APPEND="t_checks=dhcp,ping4,ping6,http t_http=$HTTP_PORT"
	guest_start "$sock" "$GUEST_INITRD" "$g" || fail "$l: cannot start qemu"
	QEMU=$REAL_QEMU
	guest_finish "$g" "$l" "$plog" 120
	assert_contains "$(tr -d '\r' <"$g" | head -n 3)" "qrap-wrapper: PASST_SOCKET=$sock $QRAP 5" \
		"$l: qemu ran through qrap"
	soft assert_eq "$(r "$g" failed_checks)" 0 "$l: no check failed in the guest"
	soft assert_eq "$(r "$g" udhcpc_rc)" 0 "$l: udhcpc exit status"
	soft assert_eq "$(r "$g" dhcp_ip)/$(r "$g" dhcp_mask)" "$HOST_IP4/24" "$l: DHCP lease"
	soft assert_eq "$(r "$g" dhcp_router)" "$GW_IP4" "$l: DHCP router"
	soft assert_eq "$(r "$g" ping4_received)" 3 "$l: ping replies from $GW_IP4"
	soft assert_eq "$(r "$g" ping6_received)" 3 "$l: ping6 replies from $GW_IP6"
	soft assert_eq "$(r "$g" http_sha256)" "$DL_SHA" "$l: downloaded file's SHA-256"
}

# --- 1, 2: guests through qrap ----------------------------------------------

# In a directory of nobody's: passt, started as root, runs as nobody when
# it removes its socket, and the next one mustn't find it there
sock="$(nobody_dir run)/passt.sock"
plog="$TOPO_TMP/passt.log"
passt_start "$sock" "$plog"
ppid=$PASST_PID
ok "passt listening on $sock (PID $ppid)"

run_guest "qrap, -netdev socket,fd=5" netdev "$TOPO_TMP/guest1.log"
pid_alive "$ppid" || fail "passt exited after the first qrap guest"
run_guest "qrap, -net socket,fd=5 -net nic" net "$TOPO_TMP/guest2.log"
pid_alive "$ppid" || fail "passt exited after the second qrap guest"
assert_eq "$(grep -c 'Guest connected' "$plog")" 2 "passt saw two guests connect"

# --- 3: default search in a private /tmp ------------------------------------

# The programs are copied out of the way first: the repository (or
# PASST_BIN_DIR) may itself live under /tmp, which the tmpfs hides
STAGE=$(mktemp -d /dev/shm/qrap-test.XXXXXX)
# (clients_fd.py imports passt_client.py)
cp "$QRAP" "$PASST" "$FDC" "$CLIENT" "$STAGE/"
S_QRAP="$STAGE/qrap"
S_PASST="$STAGE/passt"
S_FDC="$STAGE/$(basename "$FDC")"
# A real interpreter, not a shim that wants the old working directory
S_PYTHON=/usr/bin/python3
[ -x "$S_PYTHON" ] || S_PYTHON=$(command -v "$PYTHON")
cat >"$TOPO_TMP/search.sh" <<EOF
#!/bin/bash
# Runs in its own mount namespace: a fresh, empty /tmp
set -u
unset PASST_SOCKET
cd /
mount -t tmpfs -o mode=1777 qrap-test /tmp || exit 90
echo "== nothing listening"
$S_QRAP 5 touch /tmp/marker
echo "rc=\$?"
[ -e /tmp/marker ] && echo "command ran"
echo "== stale /tmp/passt_1.socket, passt on /tmp/passt_2.socket"
$S_PYTHON -c 'import socket; socket.socket(socket.AF_UNIX).bind("/tmp/passt_1.socket")'
$S_PASST -f -s /tmp/passt_2.socket >/tmp/passt.log 2>&1 </dev/null &
p=\$!
for i in \$(seq 50); do [ -S /tmp/passt_2.socket ] && break; sleep 0.1; done
timeout 20 $S_QRAP 5 $S_PYTHON $S_FDC onfd --fd 5 --expect-peer /tmp/passt_2.socket
echo "rc=\$?"
kill -TERM \$p
wait \$p
echo "passt rc=\$?"
EOF
capture in_host timeout 60 unshare -m --propagation private bash "$TOPO_TMP/search.sh"
rm -rf "$STAGE"
show_capture
out1=$(printf '%s\n' "$CAP_OUT" | sed -n '/^== nothing/,/^== stale/p')
err1=$(printf '%s\n' "$CAP_ERR" | grep '^/.*qrap' | head -n 1)
assert_line "$out1" "rc=1" "no passt listening: qrap exits with 1"
assert_not_contains "$out1" "command ran" "no passt listening: the command is not run"
assert_contains "$CAP_ERR" "/tmp/passt_1.socket" "no passt listening: the message names the sockets searched"
info "message: $err1"
out2=$(printf '%s\n' "$CAP_OUT" | sed -n '/^== stale/,$p')
assert_line "$out2" "rc=0" "default search: stale passt_1 skipped, ARP and DHCP over passt_2 through descriptor 5"
assert_contains "$CAP_ERR" "connected to /tmp/passt_2.socket" "default search: connected to /tmp/passt_2.socket"

# --- 4: errors --------------------------------------------------------------

# qrap_fails() - LABEL NEEDLE ENV... -- ARGS...: exit 1, NEEDLE on stderr,
# one line, and the command (touch MARKER) not run
marker="$TOPO_TMP/marker"
qrap_fails() {
	local label=$1 needle=$2

	shift 2
	rm -f "$marker"
	capture in_host timeout 10 env "$@"
	show_capture
	assert_eq "$CAP_RC" 1 "$label: exit status"
	assert_contains "$CAP_ERR" "$needle" "$label: message"
	assert_not_exists "$marker" "$label: command not run"
}

qrap_fails "PASST_SOCKET missing" "$TOPO_TMP/nonexistent.sock" \
	PASST_SOCKET="$TOPO_TMP/nonexistent.sock" "$QRAP" 5 touch "$marker"
assert_eq "$(line_count "$CAP_ERR")" 1 "PASST_SOCKET missing: one line"

stale="$TOPO_TMP/stale.sock"
"$PYTHON" -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$stale"
qrap_fails "PASST_SOCKET, nobody listening" "$stale" \
	PASST_SOCKET="$stale" "$QRAP" 5 touch "$marker"
assert_contains "$CAP_ERR" "refused" "PASST_SOCKET, nobody listening: says why"

kill -TERM "$ppid"
wait_pid_exit "$ppid" 5 || fail "passt still running 5 s after SIGTERM"
qrap_fails "PASST_SOCKET after passt exited" "$sock" \
	PASST_SOCKET="$sock" "$QRAP" 5 touch "$marker"

# A listening passt for the remaining cases: the failure must come from
# the arguments, not the socket
passt_start "$sock" "$TOPO_TMP/passt2.log"
qrap_fails "descriptor 2" "invalid descriptor" PASST_SOCKET="$sock" "$QRAP" 2 touch "$marker"
qrap_fails "descriptor x" "invalid descriptor" PASST_SOCKET="$sock" "$QRAP" x touch "$marker"
qrap_fails "missing command" "can't run" PASST_SOCKET="$sock" "$QRAP" 5 "$TOPO_TMP/no-such-qemu"
qrap_fails "no arguments" "Usage" PASST_SOCKET="$sock" "$QRAP"

soft_finish
echo "qrap: all checks passed"
