#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tap_offload.sh - pasta's tap with the virtio-net header and offloads
# (checksum, TSO), checked on data: a file of a few MiB (TAP_OFFLOAD_SIZE)
# through the tap, IPv4 and IPv6, namespace -> host and host -> namespace
# (a client in the namespace connecting to the gateway, which reaches the
# host namespace's loopback), its SHA-256 compared, at MTU 1500 and 65520:
#
# - offloads on (default): the log names them; a capture (-p) shows that
#   the namespace's kernel sent us TCP segments larger than the MTU with
#   their checksum left partial, and that it took ours, also larger than
#   the MTU and with partial checksums (the data arrived intact); UDP
#   segmentation offload (USO): 40 datagrams the namespace sends with one
#   send() (UDP_SEGMENT) cross the tap as one frame and reach an echo
#   server on the host as 40 datagrams, each echoed back intact (pasta
#   sends them on with one sendmsg() and UDP_SEGMENT, or one by one where
#   the host's kernel refuses that: 3000-byte datagrams to the router's far
#   address, beyond the host's link of MTU 1500); the other
#   way, bursts of datagrams from the host (UDP_BURST_PLAN: runs of equal
#   sizes, a shorter last one, a larger one after a smaller, datagrams
#   larger than the MTU) reach the namespace in order, each intact and
#   alone, and runs of them cross the tap as frames larger than the MTU
#   with their checksum left partial: replies on the namespace's own
#   socket, and datagrams to a -u port, which an echo server in the
#   namespace sends back as it got them
# - --no-tap-offload: no header at all: every frame within the MTU, every
#   checksum complete, the same datagrams arriving the same way
# - a kernel that refuses some flags, simulated with --no-tap-offload=LIST:
#   uso (as before Linux 6.2): TCP as with all offloads, UDP datagrams
#   one a frame both ways (UDP_SEGMENT ones split by the namespace's
#   kernel); tso4,tso6: checksum offload
#   only, frames within the MTU; csum: nothing left
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

test_start

P_OUT=10201
P_UDP=10202
P_UDP_IN=10203	# -u: echo server in the namespace
OUR_MAC=9a:55:9a:55:9a:55
PCAP_TOOL="$TOPO_ROOT/test/integration/offload_pcap.py"
UDP_TOOL="$TOPO_ROOT/test/integration/udp_tool.py"

for a in 127.0.0.1 ::1; do
	bg_host "$TOPO_TMP/echo.$a.log" "$PYTHON" "$UDP_TOOL" echo \
		--bind "$a" --port "$P_UDP" --timeout 280
	wait_until 10 bound "$HOST_NS" udp "$P_UDP" "$a" ||
		fail "UDP echo server on $a did not start"
done
# Beyond the host's link (MTU 1500): datagrams the host's kernel refuses to
# send with UDP_SEGMENT, if their size is over that MTU
for a in "$REMOTE_IP4" "$REMOTE_IP6"; do
	bg_ns "$ROUTER_NS" "$TOPO_TMP/echo.$a.log" "$PYTHON" "$UDP_TOOL" echo \
		--bind "$a" --port "$P_UDP" --timeout 280
	wait_until 10 bound "$ROUTER_NS" udp "$P_UDP" "$a" ||
		fail "UDP echo server on $a did not start"
done

f=$(tcp_mkfile data "${TAP_OFFLOAD_SIZE:-4M}")
info "test file: $(stat -c %s "$f") bytes"

RUN=0
PCAP_JSON=""

# udp_gso() - LABEL NS ADDR [SEGMENT COUNT]: COUNT datagrams (default 40)
# sent with UDP_SEGMENT (SEGMENT bytes each, 1200 by default) from NS to
# the echo server at ADDR, all echoed intact
udp_gso() {
	local out

	if out=$(ip netns exec "$2" timeout 30 "$PYTHON" "$UDP_TOOL" gso \
		 --connect "$3" --port "$P_UDP" --segment "${4:-1200}" \
		 --count "${5:-40}" 2>&1)
	then
		ok "$1: $out"
	else
		fail "$1: UDP_SEGMENT datagrams: $out"
	fi
}

# Sends of the host's burst, see udp_tool.py burst: the boundaries that a
# run of datagrams in one frame must keep
UDP_BURST_PLAN=64x40,100x10+20,100x10,200x10,1x1,1200x40,3000x3,1400x20+7,64x5
# The same within MTU 1500, for an echo from the namespace: we take no
# fragments from it
UDP_BURST_IN_PLAN=64x40,100x10+20,100x10,200x10,1x1,1200x40,1400x20+7,64x5

# udp_burst() - LABEL NS ADDR: the echo server at ADDR sends the datagrams
# of UDP_BURST_PLAN to NS, which gets each intact, alone and in order
udp_burst() {
	local out

	if out=$(ip netns exec "$2" timeout 30 "$PYTHON" "$UDP_TOOL" burst \
		 --connect "$3" --port "$P_UDP" --plan "$UDP_BURST_PLAN" 2>&1)
	then
		ok "$1: $out"
	else
		fail "$1: burst from the host: $out"
	fi
}

# udp_burst_in() - LABEL NS ADDR: the host sends the datagrams of
# UDP_BURST_IN_PLAN to ADDR, its own address, port P_UDP_IN forwarded (-u) to
# an echo server in NS, which echoes each datagram as it got it
udp_burst_in() {
	local out

	if out=$(ns_run "$HOST_NS" timeout 30 "$PYTHON" "$UDP_TOOL" burst \
		 --send --connect "$3" --port "$P_UDP_IN" \
		 --plan "$UDP_BURST_IN_PLAN" 2>&1)
	then
		ok "$1: $out"
	else
		fail "$1: burst to -u $P_UDP_IN: $out"
	fi
}

# mode_run() - LABEL MTU OFFLOADS PASTA_ARGS...: pasta on a new namespace
# with a capture, OFFLOADS the log must name ("" for no header at all),
# transfers both ways in both families; the capture's counts (see
# offload_pcap.py) in PCAP_JSON
mode_run() {
	local label=$1 mtu=$2 want=$3 ns pcap log echo_pid

	shift 3
	RUN=$((RUN + 1))
	ns=$(topo_netns_name "off$RUN")
	pcap="$TOPO_TMP/off$RUN.pcap"
	pasta_ns "$ns" -m "$mtu" -p "$pcap" -t none -u "$P_UDP_IN" -T none \
		-U none "$@"
	log=$DAEMON_LOG
	bg_ns "$ns" "$TOPO_TMP/echo-in$RUN.log" "$PYTHON" "$UDP_TOOL" echo \
		--bind 0.0.0.0 --bind :: --port "$P_UDP_IN" --timeout 120 \
		--rcvbuf 4194304
	echo_pid=$BG_PID
	wait_until 10 bound "$ns" udp "$P_UDP_IN" ||
		fail "$label: UDP echo server in the namespace did not start"

	if [ -n "$want" ]; then
		if grep -q "Tap offloads: $want\$" "$log"; then
			ok "$label: offloads: $want"
		else
			fail "$label: offloads not '$want': $(grep offload "$log")"
		fi
	else
		assert_not_contains "$(cat "$log")" "Tap offloads" \
			"$label: no virtio-net header"
	fi

	tcp_check tcp_xfer "$label v4 ns->host" up "$HOST_NS" 127.0.0.1 \
		"$P_OUT" "$ns" "$GW_IP4" "$P_OUT" "$f"
	tcp_check tcp_xfer "$label v4 host->ns" down "$HOST_NS" 127.0.0.1 \
		"$P_OUT" "$ns" "$GW_IP4" "$P_OUT" "$f"
	tcp_check tcp_xfer "$label v6 ns->host" up "$HOST_NS" ::1 \
		"$P_OUT" "$ns" "$GW_IP6" "$P_OUT" "$f"
	tcp_check tcp_xfer "$label v6 host->ns" down "$HOST_NS" ::1 \
		"$P_OUT" "$ns" "$GW_IP6" "$P_OUT" "$f"
	udp_gso "$label v4" "$ns" "$GW_IP4"
	udp_gso "$label v6" "$ns" "$GW_IP6"
	udp_burst "$label v4" "$ns" "$GW_IP4"
	udp_burst "$label v6" "$ns" "$GW_IP6"
	udp_burst_in "$label v4, -u" "$ns" "$HOST_IP4"
	udp_burst_in "$label v6, -u" "$ns" "$HOST_IP6"
	if [ "$mtu" -gt 3100 ]; then
		udp_gso "$label v4, over the host's MTU" "$ns" \
			"$REMOTE_IP4" 3000 20
		udp_gso "$label v6, over the host's MTU" "$ns" \
			"$REMOTE_IP6" 3000 20
	fi

	topo_kill_pid "$echo_pid"
	topo_kill_pid "$PASTA_PID"
	PCAP_JSON=$("$PYTHON" "$PCAP_TOOL" "$pcap" "$OUR_MAC" "$mtu") ||
		fail "$label: can't read the capture $pcap"
	info "$label: capture: $PCAP_JSON"
	rm -f "$pcap"
}

# pcap_is() - LABEL KEY OP VALUE: compare a count of PCAP_JSON
pcap_is() {
	local v

	v=$(json_get "$PCAP_JSON" "$2")
	case "$3" in
	-gt) [ "$v" -gt "$4" ] && ok "$1: $2 = $v, > $4" && return ;;
	-eq) [ "$v" -eq "$4" ] && ok "$1: $2 = $v" && return ;;
	esac
	fail "$1: $2 = $v, expected $3 $4"
}

# offloaded() - LABEL MTU [USO]: super-segments (at MTU 1500) and partial
# checksums both ways, nothing else wrong; UDP super-datagrams both ways (at
# MTU 1500), those to the namespace with partial checksums, if USO is 1
# (default), none if it is 0
offloaded() {
	local d

	for d in to_ns from_ns; do
		if [ "${3:-1}" = 0 ]; then
			pcap_is "$1" "$d.udp_over_mtu" -eq 0
		elif [ "$2" -lt 65000 ]; then
			pcap_is "$1" "$d.udp_over_mtu" -gt 0
		fi
	done
	if [ "${3:-1}" = 0 ]; then
		pcap_is "$1" "to_ns.udp_csum_partial" -eq 0
	else
		pcap_is "$1" "to_ns.udp_csum_partial" -gt 0
	fi
	for d in to_ns from_ns; do
		pcap_is "$1" "$d.csum_partial" -gt 0
		pcap_is "$1" "$d.csum_bad" -eq 0
		pcap_is "$1" "$d.udp_csum_bad" -eq 0
		if [ "$2" -lt 65000 ]; then
			pcap_is "$1" "$d.over_mtu" -gt 0
		fi
	done
}

# within_mtu() - LABEL PARTIAL: every frame within the MTU, checksums
# complete (PARTIAL: 0), or some partial (PARTIAL: 1)
within_mtu() {
	local d

	pcap_is "$1" "to_ns.udp_csum_partial" -eq 0
	for d in to_ns from_ns; do
		pcap_is "$1" "$d.data" -gt 0
		pcap_is "$1" "$d.over_mtu" -eq 0
		pcap_is "$1" "$d.udp_over_mtu" -eq 0
		pcap_is "$1" "$d.csum_bad" -eq 0
		pcap_is "$1" "$d.udp_csum_bad" -eq 0
		if [ "$2" = 1 ]; then
			pcap_is "$1" "$d.csum_partial" -gt 0
		else
			pcap_is "$1" "$d.csum_partial" -eq 0
		fi
	done
}

for mtu in 1500 65520; do
	mode_run "offloads, MTU $mtu" "$mtu" "checksum TSO4 TSO6 USO"
	offloaded "offloads, MTU $mtu" "$mtu"

	mode_run "--no-tap-offload, MTU $mtu" "$mtu" "" --no-tap-offload
	within_mtu "--no-tap-offload, MTU $mtu" 0
done

mode_run "USO refused, MTU 1500" 1500 "checksum TSO4 TSO6" \
	--no-tap-offload=uso
offloaded "USO refused, MTU 1500" 1500 0

mode_run "TSO refused, MTU 1500" 1500 "checksum" --no-tap-offload=tso4,tso6
within_mtu "TSO refused, MTU 1500" 1

mode_run "checksum refused, MTU 1500" 1500 "none" --no-tap-offload=csum
within_mtu "checksum refused, MTU 1500" 0

[ "${SOFT_FAILS:-0}" = 0 ] || fail "$SOFT_FAILS transfer(s) failed"
echo "tap_offload: all checks passed"
