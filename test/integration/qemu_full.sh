#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# qemu_full.sh - a real qemu guest (-accel tcg, test/lib/guest_qemu.sh) on
# passt, doing in one boot what a VM user does:
#
#   1. passt -f -s SOCK -t 8080:80 -u 5555:5555; the guest
#      (test/guest/full_check.sh): udhcpc lease; ping 198.51.100.1; the
#      gateway's MAC; SLAAC and ping6 2001:db8::1; busybox wget of a 2 MiB
#      file from a python http.server on the host's 127.0.0.1:8081 (through
#      the gateway address), SHA-256 compared; 1 MiB up with busybox nc to
#      a sink on 127.0.0.1:8082, SHA-256 compared on the host; busybox tftp
#      get and put (UDP both ways, guest first) with a TFTP server on
#      127.0.0.1:6969; busybox nc -l -p 80 reached from the host's
#      127.0.0.1:8080 (data both ways, checksums); socat in the guest on
#      UDP 5555 reached from the host's 127.0.0.1:5555, answer back
#   2. a second guest on the same passt (it went back to listening):
#      lease, ping, download
#   3. passt --one-off: a guest works, passt exits with 0 after it
#   4. qemu 10's way: passt --quiet --pid FILE --fd N on a socketpair,
#      started without -f: the launcher returns 0, FILE has the daemon's
#      PID; frames (ARP, DHCP) from python, then a real guest (qemu
#      -netdev stream,addr.type=fd) with lease, ping, download; passt
#      exits once the peer is gone and FILE is removed
#
# The guest reports on its serial console (GUEST-RESULT key=value), the
# host side asserts on those values and on what its own servers received.
# Sockets and PID files are in a directory of nobody's: passt, started as
# root, runs as nobody when it removes them.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest_qemu.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest_qemu.sh"

FDC="$TOPO_ROOT/test/integration/clients_fd.py"
HTTP_PORT=8081
SINK_PORT=8082
TFTP_PORT=6969
FWD_TCP=8080
FWD_UDP=5555
REAL_QEMU=$QEMU

test_start
command -v socat >/dev/null || fail "socat not found (it is copied into the guest)"
guest_tests_start "$GUEST_DIR/full_check.sh"

# --- guest image: base + full_check.sh + socat with its libraries ----------

# add_socat() - INITRD: append socat and its shared libraries to INITRD
add_socat() {
	local st="$TOPO_TMP/socat-root" lib

	mkdir -p "$st/usr/bin"
	cp "$(command -v socat)" "$st/usr/bin/socat"
	for lib in $(ldd "$(command -v socat)" | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$st$(dirname "$lib")"
		cp -L "$lib" "$st$lib"
	done
	guest_cpio "$st" "$TOPO_TMP/socat.cpio.gz" || return 1
	cat "$TOPO_TMP/socat.cpio.gz" >>"$1"
	rm -rf "$st" "$TOPO_TMP/socat.cpio.gz"
}

add_socat "$GUEST_INITRD" || fail "cannot add socat to the initramfs"
ok "guest initramfs built ($(stat -c %s "$GUEST_INITRD") bytes, kernel $GUEST_KVER, with socat)"

# --- host side: files and servers on the host namespace's loopback ---------

mkdir -p "$TOPO_TMP/tftp"
head -c 65636 /dev/urandom >"$TOPO_TMP/tftp/tdl.bin"
head -c 300000 /dev/urandom >"$TOPO_TMP/cli.bin"
chmod -R a+rX "$TOPO_TMP/tftp"
TDL_SHA=$(sha256sum <"$TOPO_TMP/tftp/tdl.bin" | cut -d' ' -f1)
CLI_SHA=$(sha256sum <"$TOPO_TMP/cli.bin" | cut -d' ' -f1)

guest_http_server "$HTTP_PORT" 2097152
srv_start "$HOST_NS" sink sink --bind 127.0.0.1 --port "$SINK_PORT" \
	--out "$TOPO_TMP/sink"
srv_start "$HOST_NS" tftpd tftpd --bind 127.0.0.1 --port "$TFTP_PORT" \
	--root "$TOPO_TMP/tftp"

ok "host ns servers: http 127.0.0.1:$HTTP_PORT, sink :$SINK_PORT, tftp :$TFTP_PORT"

# --- helpers ------------------------------------------------------------------

# check_basic() - LOG LABEL: no check failed in the guest; lease, ping,
# download
check_basic() {
	local g=$1 l=$2

	soft assert_eq "$(r "$g" failed_checks)" 0 \
		"$l: no check failed in the guest"
	guest_check_lease "$g" "$l"
	soft assert_eq "$(r "$g" http_rc)" 0 "$l: wget http://$GW_IP4:$HTTP_PORT/dl.bin exit status"
	soft assert_eq "$(r "$g" http_size)" 2097152 "$l: downloaded size"
	soft assert_eq "$(r "$g" http_sha256)" "$DL_SHA" "$l: downloaded SHA-256"
}

# basic_guest() - SOCK LOG LABEL PASST_LOG: a guest on passt's SOCK that
# gets a lease, pings and downloads, then powers off; check_basic
basic_guest() {
	GUEST_APPEND="t_checks=dhcp,ping4,http t_http=$HTTP_PORT"
	guest_start "$1" "$GUEST_INITRD" "$2" || fail "cannot start qemu"
	guest_finish "$2" "$3" "$4"
	check_basic "$2" "$3"
}

# --- 1. one boot, everything ------------------------------------------------

run=$(nobody_dir run)
sock="$run/passt.sock"
plog="$TOPO_TMP/passt.log"
passt_start "$sock" "$plog" -t "$FWD_TCP:80" -u "$FWD_UDP:5555"
ppid=$PASST_PID
ok "passt -f -s SOCK -t $FWD_TCP:80 -u $FWD_UDP:5555 listening (PID $ppid)"

g1="$TOPO_TMP/guest1.log"
GUEST_APPEND="t_checks=dhcp,ping4,neigh,ping6,http,upload,tftp,tcpin,udpin"
GUEST_APPEND+=" t_http=$HTTP_PORT t_sink=$SINK_PORT t_tftp=$TFTP_PORT"
GUEST_APPEND+=" t_up_size=1048576 t_tput_size=40000 t_srv_size=262144"
guest_start "$sock" "$GUEST_INITRD" "$g1" || fail "cannot start qemu"
info "guest 1 started (qemu PID $GUEST_PID)"

# Inbound TCP: the host's 127.0.0.1:8080 reaches nc -l -p 80 in the guest
if guest_wait_result "$g1" tcpin_ready=1 150; then
	srv_size=$(r "$g1" tcpin_srv_size)
	capture in_host timeout 60 "$PYTHON" "$SRV" tcpx --connect "127.0.0.1:$FWD_TCP" \
		--send "$TOPO_TMP/cli.bin" --expect-size "${srv_size:-0}" \
		--out "$TOPO_TMP/tcpin.bin"
	show_capture
	soft assert_eq "$CAP_RC" 0 "inbound TCP: host 127.0.0.1:$FWD_TCP -> guest port 80, both directions"
	soft assert_line "$CAP_OUT" "tcpx recv $srv_size $(r "$g1" tcpin_srv_sha256)" \
		"inbound TCP: the host got the guest's data (size, SHA-256)"
else
	soft fail "guest never reported tcpin_ready=1"
fi

# Inbound UDP: the host's 127.0.0.1:5555 reaches socat in the guest
payload="host-datagram-$$-$RANDOM"
if guest_wait_result "$g1" udpin_ready=1 60; then
	capture in_host timeout 30 "$PYTHON" "$SRV" udpx --to "127.0.0.1:$FWD_UDP" \
		--send "$payload" --retries 5
	show_capture
	soft assert_eq "$CAP_RC" 0 "inbound UDP: an answer came back"
	soft assert_contains "$CAP_OUT" "udpx reply guest-got:$payload from 127.0.0.1:$FWD_UDP" \
		"inbound UDP: the guest's answer, from the forwarded port"
else
	soft fail "guest never reported udpin_ready=1"
fi

guest_finish "$g1" "guest 1" "$plog"
info "guest 1 results:"
guest_results "$g1" | sed 's/^/#   /'
soft assert_eq "$(tr -d '\r' <"$g1" | grep '^GUEST-ERROR' || true)" "" "guest 1: no GUEST-ERROR"
check_basic "$g1" "guest 1"
soft assert_eq "$(r "$g1" gw4_mac)" "$GW_MAC" "guest 1: gateway's MAC in the neighbour table"
soft assert_token "$(r "$g1" ip6_addr)" "$(eui64_addr "$GUEST_MAC")" "guest 1: SLAAC address"
soft assert_eq "$(r "$g1" ping6_received)" 3 "guest 1: ping6 replies from $GW_IP6"

# Upload: what the sink got is what the guest sent
sink1=$(grep '^sink 1 ' "$TOPO_TMP/sink.log" || true)
info "sink: ${sink1:-nothing}"
soft assert_eq "$(r "$g1" upload_rc)" 0 "guest 1: nc upload exit status"
soft assert_eq "$(echo "$sink1" | cut -d' ' -f3-4)" \
	"$(r "$g1" up_size) $(r "$g1" up_sha256)" "upload: sink received the guest's file (size, SHA-256)"
soft assert_eq "$(echo "$sink1" | cut -d' ' -f5 | cut -d: -f1)" 127.0.0.1 \
	"upload: connection to the gateway arrived from the host's loopback"

# TFTP: UDP both ways, guest first
info "tftpd: $(tr '\n' ';' <"$TOPO_TMP/tftpd.log")"
soft assert_eq "$(r "$g1" tftp_get_rc)" 0 "guest 1: tftp get exit status"
soft assert_eq "$(r "$g1" tftp_get_sha256)" "$TDL_SHA" "tftp get: SHA-256 of tdl.bin in the guest"
soft assert_eq "$(r "$g1" tftp_put_rc)" 0 "guest 1: tftp put exit status"
if [ -f "$TOPO_TMP/tftp/tup.bin" ]; then
	soft assert_eq "$(sha256sum <"$TOPO_TMP/tftp/tup.bin" | cut -d' ' -f1)" \
		"$(r "$g1" tftp_put_sha256)" "tftp put: the host stored the guest's file (SHA-256)"
else
	soft fail "tftp put: nothing stored on the host"
fi

# Inbound TCP and UDP, as the guest saw them
soft assert_eq "$(r "$g1" tcpin_rc)" 0 "guest 1: nc -l exit status"
soft assert_eq "$(r "$g1" tcpin_recv_size) $(r "$g1" tcpin_recv_sha256)" \
	"300000 $CLI_SHA" "inbound TCP: the guest got the host's data (size, SHA-256)"
soft assert_eq "$(r "$g1" udpin_got)" "$payload" "inbound UDP: the guest got the host's datagram"

if pid_alive "$ppid"; then
	ok "passt still running after guest 1 powered off"
else
	show_log "$plog" "passt log" all
	fail "passt exited after the guest disconnected (no --one-off)"
fi

# --- 2. a second guest on the same passt ------------------------------------

basic_guest "$sock" "$TOPO_TMP/guest2.log" "guest 2" "$plog"
pid_alive "$ppid" || fail "passt exited after the second guest"
kill -TERM "$ppid"
wait_pid_exit "$ppid" 5 || fail "passt still running 5 s after SIGTERM"
assert_not_exists "$sock" "passt removed its socket after SIGTERM"
[ "$SOFT_FAILS" = 0 ] || show_log "$plog" "passt log" all

# --- 3. --one-off -------------------------------------------------------------

sock1="$run/passt1.sock"
plog1="$TOPO_TMP/passt1.log"
passt_start "$sock1" "$plog1" --one-off
ppid1=$PASST_PID
basic_guest "$sock1" "$TOPO_TMP/guest3.log" "--one-off guest" "$plog1"
passt_one_off_exit "$ppid1" "$plog1" "--one-off guest"
assert_not_exists "$sock1" "passt --one-off removed its socket"

# --- 4. qemu 10: passt --quiet --pid FILE --fd N over a socketpair ----------

pidf="$run/passt-fd-frames.pid"
topo_track_pidfile "$pidf"
capture in_host timeout 60 "$PYTHON" "$FDC" frames --passt "$PASST" --pidfile "$pidf"
show_capture
soft assert_not_contains "$CAP_ERR" "PID file not ready" \
	"passt --quiet --pid FILE --fd N: PID file complete when the started process returns"
soft assert_eq "$CAP_RC" 0 "passt --quiet --pid FILE --fd N: returns 0, PID file, ARP and DHCP frames, exit and PID file removed on close"
assert_eq "$CAP_OUT" "" "passt --quiet printed nothing on standard output"
assert_eq "$(printf '%s\n' "$CAP_ERR" | grep -v '^clients_fd: ' || true)" "" \
	"passt --quiet printed nothing on standard error (only the launcher did)"

pidf="$run/passt-fd-qemu.pid"
qlog="$TOPO_TMP/passt-fd-qemu.log"
topo_track_pidfile "$pidf"
wrapper="$TOPO_TMP/qemu10.sh"
cat >"$wrapper" <<EOF
#!/bin/bash
# qemu, as qemu 10 with -netdev passt: passt started on a socketpair
exec ip netns exec "$HOST_NS" "$PYTHON" "$FDC" qemu --passt "$PASST" \\
	--pidfile "$pidf" --log "$qlog" -- "$REAL_QEMU" "\$@"
EOF
chmod 755 "$wrapper"
g4="$TOPO_TMP/guest4.log"
QEMU=$wrapper
GUEST_APPEND="t_checks=dhcp,ping4,http,upload t_http=$HTTP_PORT t_sink=$SINK_PORT t_up_size=65536"
guest_start /unused "$GUEST_INITRD" "$g4" || fail "cannot start qemu"
QEMU=$REAL_QEMU
fdpid=""
if wait_until 20 test -s "$pidf"; then
	fdpid=$(read_pidfile "$pidf") || true
	[ -n "$fdpid" ] && topo_track_pid "$fdpid"
fi
guest_finish "$g4" "qemu 10 guest" "$qlog"
soft assert_contains "$(tr -d '\r' <"$g4")" "clients_fd: passt returned 0 (went to the background)" \
	"qemu 10: passt --quiet --pid FILE --fd N returned 0"
soft assert_not_contains "$(tr -d '\r' <"$g4")" "PID file not ready" \
	"qemu 10: PID file complete when passt returned (qemu reads it then)"
[ -n "$fdpid" ] || fail "qemu 10: no PID in $pidf while the guest ran"
ok "qemu 10: $pidf held the daemon's PID ($fdpid)"
check_basic "$g4" "qemu 10 guest"
sink2=$(grep '^sink 2 ' "$TOPO_TMP/sink.log" || true)
soft assert_eq "$(echo "$sink2" | cut -d' ' -f3-4)" \
	"$(r "$g4" up_size) $(r "$g4" up_sha256)" "qemu 10 guest: upload received (size, SHA-256)"
if wait_pid_exit "$fdpid" 5; then
	ok "qemu 10: passt exited once qemu closed its end"
else
	fail "qemu 10: passt (PID $fdpid) still running 5 s after qemu exited"
fi
wait_until 2 test ! -e "$pidf" || true
assert_not_exists "$pidf" "qemu 10: PID file removed at exit"
soft assert_eq "$(cat "$qlog" 2>/dev/null)" "" "qemu 10: passt --quiet wrote nothing"

soft_finish
echo "qemu_full: all checks passed"
