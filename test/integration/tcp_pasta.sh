#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tcp_pasta.sh - TCP through pasta's tap, checked on data (SHA-256 of what
# was sent and what arrived), IPv4 and IPv6, 1 byte, 1 KiB and 256 MiB
# (TCP_BIG), both directions of data on every path:
#
# - outbound: namespace -> gateway address -> the host namespace's
#   loopback; namespace -> the router's remote address (through the veth)
# - inbound (-t): host namespace -> the host's own address -> tap -> a
#   server in pasta's namespace, which sees the gateway as the peer; and
#   host namespace -> 127.0.0.1 / ::1, which pasta splices (tcp_splice.c)
#   rather than passing through the tap; -t 9000:80 maps the port,
#   -t 127.0.0.1/PORT binds only that address
# - --no-map-gw: the gateway address reaches the router, not the host
# - half-close both ways: the side that sent FIN still receives the reply
# - "Connection refused" from a closed port, promptly
# - a slow request/response exchange doesn't keep pasta busy in between
# - 500 concurrent connections, each with its own data, all intact
# - rootless: pasta as nobody, outbound and inbound transfers
#
# pasta attaches to namespaces this test creates (--netns NAME); ports are
# always explicit (-t ... -u none -T none -U none).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

BIG=${TCP_BIG:-256M}
MANY=${TCP_MANY:-500}

test_start

P_OUT=10001	# servers outside (host loopback, router) for transfers
P_HC=10002	# half-close, outbound
P_ECHO=10003	# echo server outside, concurrent connections
P_CLOSED=10099	# nothing listens here, anywhere
P_IN=10010	# -t: transfers into the namespace
P_IN_HC=10011	# -t: half-close, inbound
P_IN_ECHO=10012	# -t: concurrent connections, inbound
P_IN_CLOSED=10013 # -t: forwarded, but nothing listens in the namespace
P_IN_LO=10014	# -t 127.0.0.1/PORT
P_MAPGW=10020	# --no-map-gw check
P_RR=10021	# slow request/response, server on the host's loopback

ns=$(topo_netns_name ns)
pasta_ns "$ns" -t "$P_IN,$P_IN_HC,$P_IN_ECHO,$P_IN_CLOSED,9000:80" \
	-t "127.0.0.1/$P_IN_LO" -u none -T none -U none
ns_log=$DAEMON_LOG

f1=$(tcp_mkfile one 1)
f1k=$(tcp_mkfile kib 1K)
fbig=$(tcp_mkfile big "$BIG")
info "test files: 1 byte, 1 KiB, $BIG ($(stat -c %s "$fbig") bytes)"

# xfer_all() - LABEL SNS SBIND PORT CNS CADDR CPORT: every size, both ways
xfer_all() {
	local label=$1 f dir

	shift
	for f in "$f1" "$f1k" "$fbig"; do
		for dir in down up; do
			tcp_check tcp_xfer "$label" "$dir" "$1" "$2" "$3" \
				"$4" "$5" "$6" "$f"
		done
	done
}

# Outbound: namespace -> gateway (host loopback), namespace -> remote
xfer_all "v4 ns->gateway->host lo" "$HOST_NS" 127.0.0.1 "$P_OUT" \
	"$ns" "$GW_IP4" "$P_OUT"
xfer_all "v6 ns->gateway->host lo" "$HOST_NS" ::1 "$P_OUT" \
	"$ns" "$GW_IP6" "$P_OUT"
xfer_all "v4 ns->remote" "$ROUTER_NS" "$REMOTE_IP4" "$P_OUT" \
	"$ns" "$REMOTE_IP4" "$P_OUT"
xfer_all "v6 ns->remote" "$ROUTER_NS" "$REMOTE_IP6" "$P_OUT" \
	"$ns" "$REMOTE_IP6" "$P_OUT"

# Inbound: host ns -> own address -> -t -> tap -> server in the ns; and
# host ns -> loopback -> -t, which pasta splices (tcp_splice.c) instead
xfer_all "v4 host lo->-t->ns (spliced)" "$ns" 0.0.0.0 "$P_IN" \
	"$HOST_NS" 127.0.0.1 "$P_IN"
xfer_all "v6 host lo->-t->ns (spliced)" "$ns" :: "$P_IN" \
	"$HOST_NS" ::1 "$P_IN"
xfer_all "v4 host addr->-t->ns (tap)" "$ns" 0.0.0.0 "$P_IN" \
	"$HOST_NS" "$HOST_IP4" "$P_IN"
xfer_all "v6 host addr->-t->ns (tap)" "$ns" :: "$P_IN" \
	"$HOST_NS" "$HOST_IP6" "$P_IN"

# -t 9000:80: host port 9000 reaches port 80 in the namespace
tcp_check tcp_xfer "v4 -t 9000:80" down "$ns" 0.0.0.0 80 \
	"$HOST_NS" 127.0.0.1 9000 "$f1k"
tcp_check tcp_xfer "v6 -t 9000:80" up "$ns" :: 80 \
	"$HOST_NS" ::1 9000 "$f1k"

# -t 127.0.0.1/PORT: forwarded from that address only
tcp_check tcp_xfer "-t 127.0.0.1/$P_IN_LO: via 127.0.0.1" down "$ns" 0.0.0.0 \
	"$P_IN_LO" "$HOST_NS" 127.0.0.1 "$P_IN_LO" "$f1k"
expect_success \
	"-t 127.0.0.1/$P_IN_LO: $HOST_IP4:$P_IN_LO not forwarded (refused)" \
	"-t 127.0.0.1/$P_IN_LO: $HOST_IP4:$P_IN_LO must not be forwarded" \
	in_host timeout 10 "$PYTHON" "$TCP_TOOL" refused \
	--connect "$HOST_IP4" --port "$P_IN_LO" --max-time 3

# Peers seen by the namespace: what came through the tap from the host's
# own address appears from the gateway address; what came from the host's
# loopback is spliced (tcp_splice.c), connected inside the namespace:
# only logged here
tcp_check peer_check "v4 from the host's address, tap" "$ns" 0.0.0.0 \
	"$P_IN_HC" "$HOST_NS" "$HOST_IP4" "$GW_IP4"
tcp_check peer_check "v6 from the host's address, tap" "$ns" :: \
	"$P_IN_HC" "$HOST_NS" "$HOST_IP6" "$GW_IP6"
tcp_check peer_check "v4 from host lo, spliced" "$ns" 0.0.0.0 \
	"$P_IN_HC" "$HOST_NS" 127.0.0.1 ""
tcp_check peer_check "v6 from host lo, spliced" "$ns" :: \
	"$P_IN_HC" "$HOST_NS" ::1 ""

# --no-map-gw: a second namespace, whose gateway address is the router
mkdir -p "$TOPO_TMP/mapgw"
fa=$(tcp_mkfile host-lo-content 4K)
fb=$(tcp_mkfile router-content 4K)
for a in 127.0.0.1 ::1; do
	bg_ns "$HOST_NS" /dev/null timeout 300 socat -u "OPEN:$fa,rdonly" \
		"$(socat_listen "$a" "$P_MAPGW"),fork"
done
for a in "$GW_IP4" "$GW_IP6"; do
	bg_ns "$ROUTER_NS" /dev/null timeout 300 socat -u "OPEN:$fb,rdonly" \
		"$(socat_listen "$a" "$P_MAPGW"),fork"
done
if ! wait_listen "$HOST_NS" "$P_MAPGW" || ! wait_listen "$ROUTER_NS" "$P_MAPGW"; then
	fail "--no-map-gw: servers did not start"
fi
sleep 0.2
ns_nomap=$(topo_netns_name nomap)
pasta_ns "$ns_nomap" --no-map-gw -t none -u none -T none -U none
DAEMON_LOG=$ns_log

# fetch_check() - LABEL NS ADDR WANT_FILE OTHER_FILE
fetch_check() {
	local label=$1 cns=$2 addr=$3 want=$4 other=$5 out="$TOPO_TMP/mapgw/out" got

	rm -f "$out"
	ns_run "$cns" timeout 20 socat -u "$(socat_connect "$addr" "$P_MAPGW")" \
		"CREATE:$out" </dev/null >/dev/null 2>&1 || true
	got=$( [ -f "$out" ] && sha_of "$out" || echo none)
	if [ "$got" = "$(sha_of "$want")" ]; then
		ok "$label"
	elif [ "$got" = "$(sha_of "$other")" ]; then
		tfail "$label: reached the wrong server"
	else
		tfail "$label: no data (sha256 $got)"
	fi
}
tcp_check fetch_check "v4 gateway reaches the host's loopback" \
	"$ns" "$GW_IP4" "$fa" "$fb"
tcp_check fetch_check "v6 gateway reaches the host's loopback" \
	"$ns" "$GW_IP6" "$fa" "$fb"
tcp_check fetch_check "v4 --no-map-gw: gateway reaches the router" \
	"$ns_nomap" "$GW_IP4" "$fb" "$fa"
tcp_check fetch_check "v6 --no-map-gw: gateway reaches the router" \
	"$ns_nomap" "$GW_IP6" "$fb" "$fa"

for mode in hc-client hc-server; do
	tcp_check hc_check "v4 ns->gateway $mode" "$mode" "$HOST_NS" 127.0.0.1 \
		"$P_HC" "$ns" "$GW_IP4"
	tcp_check hc_check "v6 ns->gateway $mode" "$mode" "$HOST_NS" ::1 \
		"$P_HC" "$ns" "$GW_IP6"
	tcp_check hc_check "v4 ns->remote $mode" "$mode" "$ROUTER_NS" "$REMOTE_IP4" \
		"$P_HC" "$ns" "$REMOTE_IP4"
	tcp_check hc_check "v4 host addr->-t->ns (tap) $mode" "$mode" "$ns" 0.0.0.0 \
		"$P_IN_HC" "$HOST_NS" "$HOST_IP4"
	tcp_check hc_check "v6 host addr->-t->ns (tap) $mode" "$mode" "$ns" :: \
		"$P_IN_HC" "$HOST_NS" "$HOST_IP6"
	tcp_check hc_check "v4 host lo->-t->ns (spliced) $mode" "$mode" "$ns" 0.0.0.0 \
		"$P_IN_HC" "$HOST_NS" 127.0.0.1
	tcp_check hc_check "v6 host lo->-t->ns (spliced) $mode" "$mode" "$ns" :: \
		"$P_IN_HC" "$HOST_NS" ::1
done

# Closed ports: "Connection refused", promptly
# refused() - LABEL NS ADDR PORT [--allow-reset]
refused() {
	local label=$1 cns=$2 addr=$3 port=$4

	shift 4
	capture ns_run "$cns" timeout 15 "$PYTHON" "$TCP_TOOL" refused \
		--connect "$addr" --port "$port" --max-time 3 "$@"
	if [ "$CAP_RC" = 0 ]; then
		ok "$label: $CAP_OUT s"
		return 0
	fi
	show_capture
	tfail "$label: expected a prompt refusal"
}
tcp_check refused "v4 ns->gateway, closed port" "$ns" "$GW_IP4" "$P_CLOSED"
tcp_check refused "v6 ns->gateway, closed port" "$ns" "$GW_IP6" "$P_CLOSED"
tcp_check refused "v4 ns->remote, closed port" "$ns" "$REMOTE_IP4" "$P_CLOSED"
tcp_check refused "v6 ns->remote, closed port" "$ns" "$REMOTE_IP6" "$P_CLOSED"
tcp_check refused "v4 host addr->-t (tap), nothing listening in the ns" \
	"$HOST_NS" "$HOST_IP4" "$P_IN_CLOSED" --allow-reset
tcp_check refused "v6 host addr->-t (tap), nothing listening in the ns" \
	"$HOST_NS" "$HOST_IP6" "$P_IN_CLOSED" --allow-reset
tcp_check refused "v4 host lo->-t (spliced), nothing listening in the ns" \
	"$HOST_NS" 127.0.0.1 "$P_IN_CLOSED" --allow-reset
tcp_check refused "v6 host lo->-t (spliced), nothing listening in the ns" \
	"$HOST_NS" ::1 "$P_IN_CLOSED" --allow-reset

# Many concurrent connections, each with its own data
tcp_check many_check "v4 ns->gateway" "$HOST_NS" 127.0.0.1 "$P_ECHO" "$ns" \
	"$GW_IP4" "$MANY"
tcp_check many_check "v6 ns->remote" "$ROUTER_NS" "$REMOTE_IP6" "$P_ECHO" \
	"$ns" "$REMOTE_IP6" "$MANY"
tcp_check many_check "v4 host addr->-t->ns (tap)" "$ns" :: "$P_IN_ECHO" \
	"$HOST_NS" "$HOST_IP4" "$MANY"
tcp_check many_check "v6 host addr->-t->ns (tap)" "$ns" :: "$P_IN_ECHO" \
	"$HOST_NS" "$HOST_IP6" "$MANY"
tcp_check many_check "v4 host lo->-t->ns (spliced)" "$ns" :: "$P_IN_ECHO" \
	"$HOST_NS" 127.0.0.1 "$MANY"

# slow_rr() - LABEL: a server on the host's loopback sends 100 bytes, waits
# for the client's 1-byte answer, and 50 ms later sends again; the client
# in the namespace answers 30 ms after each message, so its ACK of the
# message waits that long (it rides on the answer): pasta must sleep
# meanwhile, not poll the socket that still holds the message until the
# ACK (about 40% of a CPU when it did).  Limit: 10% of a CPU over 4 s
slow_rr() {
	local label=$1 spid cpid ticks hz n

	hz=$(getconf CLK_TCK)
	bg_ns "$HOST_NS" "$TOPO_TMP/rr-srv.log" "$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
end = time.monotonic() + 6
while time.monotonic() < end:
    c.send(b"x" * 100)
    if not c.recv(10):
        break
    time.sleep(0.05)
' "$P_RR"
	spid=$BG_PID
	wait_listen "$HOST_NS" "$P_RR" || { tfail "$label: no server"; return 1; }
	bg_ns "$ns" "$TOPO_TMP/rr-cli.log" timeout 20 "$PYTHON" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
n = 0
while s.recv(1000):
    n += 1
    time.sleep(0.03)
    s.send(b"y")
print(n)
' "$GW_IP4" "$P_RR"
	cpid=$BG_PID
	sleep 1
	ticks=$(cpu_ticks_in "$PASTA_PID" 4)
	reap "$cpid" 15
	stop "$spid"
	n=$(cat "$TOPO_TMP/rr-cli.log")
	if [ "$REAP_RC" != 0 ] || [ "${n:-0}" -lt 40 ]; then
		tfail "$label: the exchanges didn't run (exit $REAP_RC," \
		      "${n:-no} messages)"
		return 1
	fi
	if [ $((ticks * 10)) -le $((hz * 4)) ]; then
		ok "$label: pasta used $ticks CPU ticks in 4 s" \
		   "($n messages in 6 s, limit $((hz * 4 / 10)))"
	else
		tfail "$label: pasta used $ticks CPU ticks in 4 s," \
		      "limit $((hz * 4 / 10)) (10%): polling while it waits"
	fi
}
tcp_check slow_rr "v4 ns->gateway, slow request/response"

pid_alive "$PASTA_PID" || tfail "pasta (PID $PASTA_PID) died"

# Rootless: pasta as nobody runs a command in its own namespaces
topo_unpriv_bin
ud="$TOPO_TMP/nobody"
mkdir -m 755 "$ud"
chown "$NOBODY_UID:$NOBODY_GID" "$ud"
fmid=$(tcp_mkfile mib 1M)
bg_ns "$HOST_NS" /dev/null timeout 200 socat -u "OPEN:$fmid,rdonly" \
	"$(socat_listen 127.0.0.1 "$P_OUT"),fork"
bg_ns "$ROUTER_NS" /dev/null timeout 200 socat -u "OPEN:$fmid,rdonly" \
	"$(socat_listen "$REMOTE_IP6" "$P_OUT"),fork"
if ! wait_listen "$HOST_NS" "$P_OUT" || ! wait_listen "$ROUTER_NS" "$P_OUT"; then
	fail "rootless: servers did not start"
fi
capture in_host timeout 60 "${AS_NOBODY[@]}" "$UPASTA" --config-net \
	-t none -u none -T none -U none -- sh -c "
	socat -u $(socat_connect "$GW_IP4" "$P_OUT") CREATE:$ud/gw &&
	socat -u $(socat_connect "$REMOTE_IP6" "$P_OUT") CREATE:$ud/remote"
[ "$CAP_RC" = 0 ] || show_capture
for f in gw remote; do
	got=$( [ -f "$ud/$f" ] && sha_of "$ud/$f" || echo none)
	if [ "$got" = "$(sha_of "$fmid")" ]; then
		ok "rootless: 1 MiB from $f intact"
	else
		tfail "rootless: 1 MiB from $f: sha256 $got (pasta exit $CAP_RC)"
	fi
done

# Rootless, inbound: the command in the namespace serves a file on the
# forwarded port; the host side retries until the server listens
bg_host "$ud/pasta-in.log" "${AS_NOBODY[@]}" "$UPASTA" --config-net -f \
	-t 10030 -u none -T none -U none -- timeout 60 socat -u \
	"OPEN:$fmid,rdonly" "TCP-LISTEN:10030,reuseaddr"
upid=$BG_PID
got=none
for _ in $(seq 40); do
	rm -f "$ud/in"
	in_host timeout 20 socat -u "TCP4:127.0.0.1:10030" "CREATE:$ud/in" \
		</dev/null >/dev/null 2>&1 || true
	got=$( [ -s "$ud/in" ] && sha_of "$ud/in" || echo none)
	[ "$got" != none ] && break
	sleep 0.25
done
if [ "$got" = "$(sha_of "$fmid")" ]; then
	ok "rootless: 1 MiB through -t 10030 intact"
else
	show_log "$ud/pasta-in.log" "pasta as nobody"
	tfail "rootless: 1 MiB through -t 10030: sha256 $got"
fi
reap "$upid" 10

soft_finish
echo "tcp_pasta: all checks passed"
