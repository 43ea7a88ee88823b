#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# udp.sh - UDP through pasta, checked on data (every datagram's contents,
# and the address and port every reply comes from), IPv4 and IPv6:
#
# - outbound over the tap: namespace -> gateway address -> the host
#   namespace's loopback; namespace -> the router's remote address;
#   replies come back from the address and port the namespace sent to;
#   sizes from 0 bytes up to the largest datagram the 65520-byte MTU
#   carries; --no-map-gw: the gateway address is the router's
# - inbound over the tap (-u): from the host's own address (the namespace
#   sees the gateway as the peer), from the router's remote address (seen
#   as such), and with --no-splice from the host's loopback (seen as the
#   gateway); the reply reaches the sender from the forwarded port
# - inbound from the host's loopback, pasta's loopback fast path: the
#   namespace sees its own address as the peer (its loopback with
#   --host-lo-to-ns-lo); -u 9000:53 maps the port; -u 127.0.0.1/PORT binds
#   only that address; two senders at once each get their own replies;
#   both with pasta attached to a namespace (--netns) and in namespaces of
#   its own (pasta -- CMD)
# - closed port: the sender in the namespace gets "Connection refused"
#   (ICMP port unreachable relayed), also when the port opens later on the
#   same flow; no route: "Network unreachable" (with IP_RECVERR)
# - 10 000 datagrams of assorted sizes up to 65000 bytes through an echo
#   server and back, every one intact and in order (paced: at most 16
#   datagrams and 64 KiB in flight, see flood_check), namespace -> host
#   loopback and host loopback -> -u -> namespace, both ways of carrying it
# - thousands of flows at once, each with its own socket, none mixed up
# - rootless: pasta as nobody, outbound and -u inbound
#
# Ports are always explicit (-u ... -t none -T none -U none).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

UDP_TOOL="$TOPO_ROOT/test/integration/udp_tool.py"
FLOOD_COUNT=${UDP_FLOOD_COUNT:-10000}
FLOOD_WINDOW=${UDP_FLOOD_WINDOW:-16}		# datagrams in flight
FLOOD_WINDOW_BYTES=${UDP_FLOOD_WINDOW_BYTES:-65536}	# bytes in flight

# Commands pasta runs in its own namespaces (possibly as nobody) can't
# reach a python3 under /root (pyenv shims)

test_start
topo_unpriv_bin

P_OUT=10001	# echo servers outside: host loopback, router's remote address
P_IN=10010	# -u: echo servers in the namespace
P_IN_LO=10011	# -u 127.0.0.1/PORT
P_MAP=9000	# -u 9000:53
P_OWN=10020	# -u, pasta in namespaces of its own
P_CLOSED=10099	# nothing listens here, anywhere (until after_refusal)
# Fixed source ports of the test's clients (--sport) are 20000 to 23999:
# below the ephemeral range, where pasta's own sockets take their ports

# MTU 65520: the largest UDP payload that fits, IPv4 and IPv6
MAX4=$((65520 - 20 - 8))
MAX6=$((65520 - 40 - 8))

# Socket buffers of the test's own sockets (not pasta's)
BUF=4194304

# echo_server() - NS BIND PORT: start an echo server, wait until it's bound;
# its peers are appended to $TOPO_TMP/peers.NS.BIND.PORT
echo_server() {
	local ns=$1 bind=$2 port=$3

	bg_ns "$ns" "$TOPO_TMP/echo.$ns.$bind.$port.log" "$PYTHON" "$UDP_TOOL" \
		echo --bind "$bind" --port "$port" --timeout 280 --rcvbuf "$BUF" \
		--peers "$TOPO_TMP/peers.$ns.$bind.$port"
	if ! wait_until 10 bound "$ns" udp "$port" "$bind"; then
		show_log "$TOPO_TMP/echo.$ns.$bind.$port.log" "echo server"
		fail "echo server on $bind port $port in $ns did not start"
	fi
}

# peers_of() - NS BIND PORT: the peers an echo server has seen, "ADDR PORT"
peers_of() {
	cat "$TOPO_TMP/peers.$1.$2.$3" 2>/dev/null || true
}

# ping_check() - LABEL NS ADDR PORT SIZES [udp_tool ping options...]: send
# datagrams of SIZES from NS to ADDR:PORT, each echo intact, from ADDR:PORT;
# sets PING_OK to 1 if so, 0 if not
PING_OK=0
ping_check() {
	local label=$1 cns=$2 addr=$3 port=$4 sizes=$5

	shift 5
	capture ns_run "$cns" timeout 60 "$PYTHON" "$UDP_TOOL" ping \
		--connect "$addr" --port "$port" --sizes "$sizes" "$@"
	PING_OK=0
	if [ "$CAP_RC" = 0 ]; then
		ok "$label: $CAP_OUT"
		PING_OK=1
		return 0
	fi
	show_capture
	show_log "$DAEMON_LOG" "pasta log" 5
	tfail "$label: datagrams of $sizes bytes to $addr port $port not all" \
	      "echoed intact"
}

# peer_check() - LABEL PEERS WANT: WANT is a line of the peer list PEERS
peer_check() {
	if printf '%s\n' "$2" | grep -qxF -- "$3"; then
		ok "$1: seen from $3"
	else
		tfail "$1: expected a datagram from '$3', the server saw:" \
		      "$(printf '%s' "$2" | tr '\n' ',')"
	fi
}

# in_check() - LABEL CNS CADDR CBIND SPORT NS NS_BIND WANT [PORT [NS_PORT]]
# Inbound: CNS sends from CBIND:SPORT (CBIND may be empty) to CADDR:PORT,
# each echo must come from there; the echo server in NS on NS_BIND:NS_PORT
# must have seen WANT ("ADDR SPORT", or "ADDR" for any port)
in_check() {
	local label=$1 cns=$2 caddr=$3 cbind=$4 sport=$5 sns=$6 nsbind=$7
	local want=$8 port=${9:-$P_IN} nsport=${10:-${9:-$P_IN}} peers
	local -a bind=()

	[ -n "$cbind" ] && bind=(--bind "$cbind")
	ping_check "$label" "$cns" "$caddr" "$port" \
		"0,1,100,1472,1473,9000,65000" --sport "$sport" --seed "$sport" \
		"${bind[@]}"
	[ "$PING_OK" = 1 ] || return 0
	peers=$(peers_of "$sns" "$nsbind" "$nsport")
	case "$want" in
	*" "*) ;;
	*) peers=$(printf '%s\n' "$peers" | cut -d' ' -f1) ;;
	esac
	peer_check "$label" "$peers" "$want"
}

# flood_check() - LABEL CNS ADDR PORT COUNT MAX_SIZE
#
# Paced: pasta's own sockets keep the kernel's default receive buffer
# (net.core.rmem_default, 212992 bytes), and on loopback one 65000-byte
# datagram takes about 128 KiB of it, so with more in flight, datagrams are
# dropped by pasta's socket (its drops column in /proc/net/udp) whenever
# pasta doesn't read at once.  At most 64 KiB and 16 datagrams in flight
# can't fill it.  The test's own sockets get 4 MiB.
# UDP_FLOOD_WINDOW=32 UDP_FLOOD_WINDOW_BYTES=0 shows the losses.
flood_check() {
	local label=$1 cns=$2 addr=$3 port=$4 count=$5 max=$6

	capture ns_run "$cns" timeout 200 "$PYTHON" "$UDP_TOOL" flood \
		--connect "$addr" --port "$port" --count "$count" \
		--max-size "$max" --window "$FLOOD_WINDOW" \
		--window-bytes "$FLOOD_WINDOW_BYTES" \
		--rcvbuf "$BUF" --timeout 5 --max-time 180
	if [ "$CAP_RC" = 0 ]; then
		ok "$label: $count datagrams up to $max bytes, all echoed in" \
		   "order, intact: $CAP_OUT"
		return 0
	fi
	show_capture
	show_log "$DAEMON_LOG" "pasta log" 5
	info "UDP sockets with drops (host ns):"
	ns_run "$HOST_NS" cat /proc/net/udp /proc/net/udp6 |
		awk 'NR > 1 && $NF ~ /^[0-9]+$/ && $NF != 0' | sed 's/^/#   /'
	tfail "$label: flood of $count datagrams"
}

# concurrent_check() - LABEL ADDR PORT: two senders on the host at once, to
# the same forwarded port, each gets its own replies (their contents
# differ: a mix-up fails the check)
concurrent_check() {
	local label=$1 addr=$2 port=$3 a b rca=0 rcb=0

	bg_host "$TOPO_TMP/conc-a.log" "$PYTHON" "$UDP_TOOL" ping \
		--connect "$addr" --port "$port" --sizes 1,500,3000 \
		--repeat 100 --seed 7 --timeout 5
	a=$BG_PID
	bg_host "$TOPO_TMP/conc-b.log" "$PYTHON" "$UDP_TOOL" ping \
		--connect "$addr" --port "$port" --sizes 2,700,20000 \
		--repeat 100 --seed 8 --timeout 5
	b=$BG_PID
	wait_pid_exit "$a" 60 || topo_kill_pid "$a"
	wait_pid_exit "$b" 60 || topo_kill_pid "$b"
	wait "$a" || rca=$?
	wait "$b" || rcb=$?
	if [ "$rca" = 0 ] && [ "$rcb" = 0 ]; then
		ok "$label: two senders at once, 300 datagrams each, each got" \
		   "its own echoes"
	else
		show_log "$TOPO_TMP/conc-a.log" "sender A"
		show_log "$TOPO_TMP/conc-b.log" "sender B"
		tfail "$label: concurrent senders (exit $rca, $rcb)"
	fi
}

# refused_check() - LABEL NS ADDR [udp_tool refused options]: ECONNREFUSED
# (or what --expect says) within 3 s
refused_check() {
	local label=$1 cns=$2 addr=$3

	shift 3
	capture ns_run "$cns" timeout 15 "$PYTHON" "$UDP_TOOL" refused \
		--connect "$addr" --port "$P_CLOSED" --max-time 3 "$@"
	if [ "$CAP_RC" = 0 ]; then
		ok "$label: after $CAP_OUT s"
	else
		show_capture
		tfail "$label: expected a prompt error"
	fi
}

# own_pasta() - LABEL PEERS BINDS PASTA_ARGS...: start OWN_RUNNER (pasta,
# possibly behind setpriv) with --config-net in namespaces of its own,
# running an echo server on P_OWN bound to each address of BINDS (comma
# separated), peers to PEERS; wait until the host reaches it through
# -u P_OWN on 127.0.0.1.  Sets OWN_PID and OWN_LOG.  The echo server ends
# on own_stop, and pasta with it.
OWN_RUNNER=()
OWN_PID=""
OWN_LOG=""
own_pasta() {
	local label=$1 peers=$2 i
	local -a binds=()

	for i in ${3//,/ }; do binds+=(--bind "$i"); done
	shift 3

	OWN_LOG="$TOPO_TMP/own.$P_OWN.$RANDOM.log"
	bg_host "$OWN_LOG" "${OWN_RUNNER[@]}" --config-net -f "$@" -- \
		"$UPYTHON" "$UDP_TOOL" echo "${binds[@]}" --port "$P_OWN" \
		--stop --timeout 90 --rcvbuf "$BUF" --peers "$peers"
	OWN_PID=$BG_PID
	for i in $(seq 50); do
		if in_host timeout 5 "$PYTHON" "$UDP_TOOL" ping \
			--connect 127.0.0.1 --port "$P_OWN" --sizes 10 \
			--timeout 0.3 >/dev/null 2>&1; then
			# pasta's command outlives pasta: clean it up too
			# shellcheck disable=SC2046 # one PID per word
			topo_track_pid $(ps -o pid= --ppid "$OWN_PID")
			return 0
		fi
		pid_alive "$OWN_PID" || break
		sleep 0.1
	done
	: "$i"
	show_log "$OWN_LOG" "pasta $label"
	tfail "$label: the echo server behind -u $P_OWN never answered"
	topo_kill_pid "$OWN_PID"
	return 1
}

# own_stop() - LABEL: stop the echo server, pasta must exit with it
own_stop() {
	in_host "$PYTHON" "$UDP_TOOL" stop --connect 127.0.0.1 --port "$P_OWN"
	if wait_pid_exit "$OWN_PID" 20; then
		ok "$1: pasta exited with its command"
	else
		show_log "$OWN_LOG" "pasta $1"
		tfail "$1: pasta still running after its command ended"
		topo_kill_pid "$OWN_PID"
	fi
}

ns=$(topo_netns_name ns)

# Echo servers: outside (host loopback, router), inside (-u targets)
echo_server "$HOST_NS" 127.0.0.1 "$P_OUT"
echo_server "$HOST_NS" ::1 "$P_OUT"
echo_server "$ROUTER_NS" "$REMOTE_IP4" "$P_OUT"
echo_server "$ROUTER_NS" "$REMOTE_IP6" "$P_OUT"

pasta_ns "$ns" -u "$P_IN,$P_MAP:53" -u "127.0.0.1/$P_IN_LO" \
	-t none -T none -U none
main_log=$DAEMON_LOG
main_pid=$PASTA_PID

for p in "$P_IN" 53 "$P_IN_LO"; do
	echo_server "$ns" 0.0.0.0 "$p"
	echo_server "$ns" :: "$p"
done

# Outbound: every size, replies from where the namespace sent to; the
# second round from the same source port reuses the flow
sizes="0,1,8,100,1232,1472,1473,4096,32768,65000"
for sport in 20001 20001; do
	ping_check "v4 ns->gateway->host lo (sport $sport)" "$ns" "$GW_IP4" \
		"$P_OUT" "$sizes,$MAX4" --sport "$sport" --seed "$sport"
	ping_check "v6 ns->gateway->host lo (sport $sport)" "$ns" "$GW_IP6" \
		"$P_OUT" "$sizes,$MAX6" --sport "$sport" --seed "$sport"
	ping_check "v4 ns->remote (sport $sport)" "$ns" "$REMOTE_IP4" \
		"$P_OUT" "$sizes" --sport "$sport"
	ping_check "v6 ns->remote (sport $sport)" "$ns" "$REMOTE_IP6" \
		"$P_OUT" "$sizes" --sport "$sport"
done
# The gateway address reached the host's loopback (pasta's socket there),
# the remote address the router, from the host's own address
peer_check "v4 ns->gateway" "$(peers_of "$HOST_NS" 127.0.0.1 "$P_OUT" |
	cut -d' ' -f1)" 127.0.0.1
peer_check "v6 ns->gateway" "$(peers_of "$HOST_NS" ::1 "$P_OUT" |
	cut -d' ' -f1)" ::1
peer_check "v4 ns->remote" "$(peers_of "$ROUTER_NS" "$REMOTE_IP4" "$P_OUT" |
	cut -d' ' -f1)" "$HOST_IP4"
peer_check "v6 ns->remote" "$(peers_of "$ROUTER_NS" "$REMOTE_IP6" "$P_OUT" |
	cut -d' ' -f1)" "$HOST_IP6"

# Inbound over the tap: from the host's own address (seen as the gateway)
# and from the router's remote address (seen as itself)
in_check "v4 host $HOST_IP4->-u->ns" "$HOST_NS" "$HOST_IP4" "" 21003 \
	"$ns" 0.0.0.0 "$GW_IP4 21003"
in_check "v6 host $HOST_IP6->-u->ns" "$HOST_NS" "$HOST_IP6" "" 21004 \
	"$ns" :: "$GW_IP6 21004"
in_check "v4 router $REMOTE_IP4->$HOST_IP4->-u->ns" "$ROUTER_NS" \
	"$HOST_IP4" "$REMOTE_IP4" 21005 "$ns" 0.0.0.0 "$REMOTE_IP4 21005"
in_check "v6 router $REMOTE_IP6->$HOST_IP6->-u->ns" "$ROUTER_NS" \
	"$HOST_IP6" "$REMOTE_IP6" 21006 "$ns" :: "$REMOTE_IP6 21006"

# Inbound from the host's loopback: the loopback fast path, the namespace
# sees its own address
in_check "v4 host 127.0.0.1->-u->ns" "$HOST_NS" 127.0.0.1 "" 21001 \
	"$ns" 0.0.0.0 "$HOST_IP4"
in_check "v6 host ::1->-u->ns" "$HOST_NS" ::1 "" 21002 "$ns" :: "$HOST_IP6"
in_check "v4 -u $P_MAP:53" "$HOST_NS" 127.0.0.1 "" 21007 "$ns" 0.0.0.0 \
	"$HOST_IP4" "$P_MAP" 53
in_check "v6 -u $P_MAP:53" "$HOST_NS" ::1 "" 21008 "$ns" :: "$HOST_IP6" \
	"$P_MAP" 53
in_check "v4 -u 127.0.0.1/$P_IN_LO" "$HOST_NS" 127.0.0.1 "" 21009 "$ns" \
	0.0.0.0 "$HOST_IP4" "$P_IN_LO"
ping_check "v4 -u $P_MAP:53 at the largest size" "$HOST_NS" 127.0.0.1 \
	"$P_MAP" "$MAX4"
ping_check "v6 -u $P_MAP:53 at the largest size" "$HOST_NS" ::1 \
	"$P_MAP" "$MAX6"
concurrent_check "v4 host lo->-u->ns" 127.0.0.1 "$P_IN"
concurrent_check "v6 host lo->-u->ns" ::1 "$P_IN"

# -u 127.0.0.1/PORT: the host's own address isn't forwarded, so the host's
# kernel refuses
expect_success \
	"-u 127.0.0.1/$P_IN_LO: $HOST_IP4 port $P_IN_LO not forwarded (refused)" \
	"-u 127.0.0.1/$P_IN_LO: $HOST_IP4 port $P_IN_LO must not be forwarded" \
	in_host timeout 10 "$PYTHON" "$UDP_TOOL" refused \
	--connect "$HOST_IP4" --port "$P_IN_LO" --max-time 3
bound=$(ip netns exec "$HOST_NS" ss -Hlun "sport = :$P_IN_LO" |
	awk '{ print $4 }' | sort -u | tr '\n' ' ')
assert_eq "$bound" "127.0.0.1:$P_IN_LO " \
	"-u 127.0.0.1/$P_IN_LO: pasta bound only 127.0.0.1"

# Closed ports: "Connection refused" in the namespace
refused_check "v4 ns->gateway, closed port: refused" "$ns" "$GW_IP4"
refused_check "v6 ns->gateway, closed port: refused" "$ns" "$GW_IP6"
refused_check "v4 ns->remote, closed port: refused" "$ns" "$REMOTE_IP4"
refused_check "v6 ns->remote, closed port: refused" "$ns" "$REMOTE_IP6"
# After a refusal, the same flow delivers as soon as the port is open
# after_refusal() - LABEL ADDR BIND SPORT
after_refusal() {
	local label=$1 addr=$2 sbind=$3 sport=$4

	refused_check "$label: closed port" "$ns" "$addr" --sport "$sport"
	echo_server "$HOST_NS" "$sbind" "$P_CLOSED"
	ping_check "$label: then open, same flow" "$ns" "$addr" "$P_CLOSED" \
		1,2,3 --sport "$sport"
	topo_kill_pid "$BG_PID"
}
after_refusal "v4 ns->gateway" "$GW_IP4" 127.0.0.1 22001
after_refusal "v6 ns->gateway" "$GW_IP6" ::1 22002
# The router has no route to TEST-NET-1 / 2001:db8:ffff::/48 and says so
refused_check "v4 ns->no route: net unreachable" "$ns" 192.0.2.1 \
	--recverr --expect ENETUNREACH
refused_check "v6 ns->no route: net unreachable" "$ns" 2001:db8:ffff::1 \
	--recverr --expect ENETUNREACH

# Floods: 10 000 datagrams up to 65000 bytes each way through the host's
# loopback, fewer and smaller through the router (fragmented on the veth)
flood_check "v4 ns->gateway->host lo" "$ns" "$GW_IP4" "$P_OUT" \
	"$FLOOD_COUNT" 65000
flood_check "v6 ns->gateway->host lo" "$ns" "$GW_IP6" "$P_OUT" \
	"$FLOOD_COUNT" 65000
flood_check "v4 host lo->-u->ns" "$HOST_NS" 127.0.0.1 "$P_IN" \
	"$FLOOD_COUNT" 65000
flood_check "v6 host lo->-u->ns" "$HOST_NS" ::1 "$P_IN" "$FLOOD_COUNT" 65000
flood_check "v4 ns->remote" "$ns" "$REMOTE_IP4" "$P_OUT" 1000 8000
flood_check "v6 ns->remote" "$ns" "$REMOTE_IP6" "$P_OUT" 1000 8000

# Many flows at once: one datagram from each of many sockets, every socket
# gets its own echo (a burst this size can overflow queues on the way, so
# missing echoes are asked for again, once a second)
# many_check() - LABEL NS ADDR PORT FLOWS
many_check() {
	capture ns_run "$2" timeout 60 "$PYTHON" "$UDP_TOOL" many \
		--connect "$3" --port "$4" --flows "$5" --resend --timeout 30
	if [ "$CAP_RC" = 0 ]; then
		ok "$1: $CAP_OUT"
	else
		show_capture
		show_log "$DAEMON_LOG" "pasta log" 5
		tfail "$1: $5 flows at once"
	fi
}
many_check "v4 ns->gateway->host lo" "$ns" "$GW_IP4" "$P_OUT" 2000
many_check "v6 ns->gateway->host lo" "$ns" "$GW_IP6" "$P_OUT" 1000
many_check "v4 ns->remote" "$ns" "$REMOTE_IP4" "$P_OUT" 1000

pid_alive "$main_pid" || tfail "pasta (PID $main_pid) died"
errs=$(grep -E "Can't|rror" "$main_log" | sed 's/^[0-9.]*: //' | sort |
	uniq -c | head -5 || true)
if [ -n "$errs" ]; then
	tfail "pasta logged errors: $(printf '%s' "$errs" | tr '\n' ';')"
else
	ok "pasta logged no errors"
fi

# --no-splice: from the host's loopback over the tap, the namespace sees
# the gateway.  IPv6 first, before the namespace sent anything: pasta
# doesn't know yet which of its addresses the namespace uses.
ns_tap=$(topo_netns_name tap)
pasta_ns "$ns_tap" --no-splice -u "$P_IN" -t none -T none -U none
echo_server "$ns_tap" 0.0.0.0 "$P_IN"
echo_server "$ns_tap" :: "$P_IN"
info "global IPv6 addresses in $ns_tap:" \
	"$(ip -n "$ns_tap" -6 -o addr show scope global | awk '{ print $4 }' |
	   tr '\n' ' ')"
in_check "--no-splice: v6 host ::1->-u->ns" "$HOST_NS" ::1 "" 21102 \
	"$ns_tap" :: "$GW_IP6 21102"
in_check "--no-splice: v4 host 127.0.0.1->-u->ns" "$HOST_NS" 127.0.0.1 "" \
	21101 "$ns_tap" 0.0.0.0 "$GW_IP4 21101"
many_check "--no-splice: v4 host lo->-u->ns" "$HOST_NS" 127.0.0.1 "$P_IN" 1000
many_check "--no-splice: v6 host lo->-u->ns" "$HOST_NS" ::1 "$P_IN" 1000
flood_check "--no-splice: v4 host lo->-u->ns" "$HOST_NS" 127.0.0.1 "$P_IN" \
	"$FLOOD_COUNT" 65000
flood_check "--no-splice: v6 host lo->-u->ns" "$HOST_NS" ::1 "$P_IN" \
	"$FLOOD_COUNT" 65000

# --no-map-gw: the gateway address is the router's, not the host's
# loopback: a namespace of its own, the router answers on its gateway
# address
echo_server "$ROUTER_NS" "$GW_IP4" "$P_OUT"
echo_server "$ROUTER_NS" "$GW_IP6" "$P_OUT"
lo4_before=$(peers_of "$HOST_NS" 127.0.0.1 "$P_OUT" | wc -l)
lo6_before=$(peers_of "$HOST_NS" ::1 "$P_OUT" | wc -l)
ns_nomap=$(topo_netns_name nomap)
pasta_ns "$ns_nomap" --no-map-gw -u none -t none -T none -U none
ping_check "v4 --no-map-gw ns->gateway" "$ns_nomap" "$GW_IP4" "$P_OUT" \
	0,1,1473,9000
ping_check "v6 --no-map-gw ns->gateway" "$ns_nomap" "$GW_IP6" "$P_OUT" \
	0,1,1473,9000
peer_check "v4 --no-map-gw: the router answered" \
	"$(peers_of "$ROUTER_NS" "$GW_IP4" "$P_OUT" | cut -d' ' -f1)" "$HOST_IP4"
peer_check "v6 --no-map-gw: the router answered" \
	"$(peers_of "$ROUTER_NS" "$GW_IP6" "$P_OUT" | cut -d' ' -f1)" "$HOST_IP6"
assert_eq "$(peers_of "$HOST_NS" 127.0.0.1 "$P_OUT" | wc -l)" "$lo4_before" \
	"v4 --no-map-gw: nothing reached the host's loopback"
assert_eq "$(peers_of "$HOST_NS" ::1 "$P_OUT" | wc -l)" "$lo6_before" \
	"v6 --no-map-gw: nothing reached the host's loopback"

# pasta in namespaces of its own (pasta -- CMD), as root: the loopback
# fast path; the namespace sees its own address, or with
# --host-lo-to-ns-lo its loopback (a server bound there only gets it)
DAEMON_LOG=""
peers="$TOPO_TMP/own-peers"
OWN_RUNNER=("$PASTA")
if own_pasta "own ns" "$peers" 0.0.0.0,:: -t none -T none -U none \
	-u "$P_OWN"; then
	ping_check "own ns: v4 host lo->-u->ns" "$HOST_NS" 127.0.0.1 \
		"$P_OWN" "0,1,1473,65000,$MAX4" --sport 21201
	ping_check "own ns: v6 host lo->-u->ns" "$HOST_NS" ::1 \
		"$P_OWN" "0,1,1473,65000,$MAX6" --sport 21202
	peer_check "own ns: v4 host lo->-u->ns" "$(cut -d' ' -f1 "$peers")" \
		"$HOST_IP4"
	peer_check "own ns: v6 host lo->-u->ns" "$(cut -d' ' -f1 "$peers")" \
		"$HOST_IP6"
	concurrent_check "own ns: v4 host lo->-u->ns" 127.0.0.1 "$P_OWN"
	flood_check "own ns: v4 host lo->-u->ns" "$HOST_NS" 127.0.0.1 \
		"$P_OWN" "$FLOOD_COUNT" 65000
	flood_check "own ns: v6 host lo->-u->ns" "$HOST_NS" ::1 \
		"$P_OWN" "$FLOOD_COUNT" 65000
	own_stop "own ns"
fi
peers="$TOPO_TMP/own-lo-peers"
if own_pasta "own ns, --host-lo-to-ns-lo" "$peers" 127.0.0.1,::1 \
	--host-lo-to-ns-lo -t none -T none -U none -u "$P_OWN"; then
	ping_check "own ns, --host-lo-to-ns-lo: v4" "$HOST_NS" 127.0.0.1 \
		"$P_OWN" 0,1,1473,65000 --sport 21203
	ping_check "own ns, --host-lo-to-ns-lo: v6" "$HOST_NS" ::1 \
		"$P_OWN" 0,1,1473,65000 --sport 21204
	peer_check "own ns, --host-lo-to-ns-lo: v4" \
		"$(cut -d' ' -f1 "$peers")" 127.0.0.1
	peer_check "own ns, --host-lo-to-ns-lo: v6" \
		"$(cut -d' ' -f1 "$peers")" ::1
	own_stop "own ns, --host-lo-to-ns-lo"
fi

# Rootless: pasta as nobody, in namespaces of its own
ud="$TOPO_TMP/nobody"
mkdir -m 755 "$ud"
chown "$NOBODY_UID:$NOBODY_GID" "$ud"
capture in_host timeout 60 "${AS_NOBODY[@]}" "$UPASTA" --config-net \
	-t none -u none -T none -U none -- sh -c "
	$UPYTHON $UDP_TOOL ping --connect $GW_IP4 --port $P_OUT \
		--sizes 0,1,1472,1473,65000 --seed 11 &&
	$UPYTHON $UDP_TOOL ping --connect $REMOTE_IP6 --port $P_OUT \
		--sizes 0,1,1472,1473,8000 --seed 12 &&
	$UPYTHON $UDP_TOOL refused --connect $GW_IP6 --port $P_CLOSED"
if [ "$CAP_RC" = 0 ]; then
	ok "rootless: ns->gateway v4, ns->remote v6 echoed intact, closed port" \
	   "refused"
else
	show_capture
	tfail "rootless: outbound UDP as nobody (pasta exit $CAP_RC)"
fi
OWN_RUNNER=("${AS_NOBODY[@]}" "$UPASTA")
if own_pasta "rootless" "$ud/peers" 0.0.0.0,:: -t none -T none -U none \
	-u "$P_OWN"; then
	ping_check "rootless: v4 host lo->-u->ns" "$HOST_NS" 127.0.0.1 \
		"$P_OWN" 0,1,1473,30000,65000 --seed 13
	ping_check "rootless: v6 host lo->-u->ns" "$HOST_NS" ::1 \
		"$P_OWN" 0,1,1473,30000,65000 --seed 14
	own_stop "rootless"
fi

soft_finish
echo "udp: all checks passed"
