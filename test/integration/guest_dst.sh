#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# guest_dst.sh - what a hostile guest may send to, and from: passt (frames
# on its UNIX socket) and pasta (frames written on its tap device from
# inside the namespace), with the default gateway mapping and with
# --no-map-gw
#
# Servers that note everything reaching them (guest_dst_tool.py record):
# TCP and UDP on 127.0.0.1, ::1 (port P_LO), 0.0.0.0 and :: (P_ANY) in
# the daemon's namespace; on the router's far addresses (P_FAR); members
# of 224.0.0.251 and ff02::fb on the router's side of the link (5353).
#
# - bad-dst: TCP SYNs, UDP datagrams and echo requests to 127.0.0.1,
#   127.1.2.3, 0.0.0.0, 255.255.255.255, the subnet's broadcast,
#   240.0.0.1, ::1, :: and ::ffff:127.0.0.1 reach no server and get no
#   answer at all; bad-src: the same to the far servers from 127.0.0.1,
#   0.0.0.0, 224.0.0.1, 255.255.255.255, ::1, ::, ff02::1 and an
#   IPv4-mapped address; mcast-none: UDP to the mDNS groups reaches no
#   member. The daemon counts every one of those frames (passt: exactly)
#   and never takes such a source as the guest's address.
# - mapped (default only): the gateway addresses lead to the servers on
#   the host's loopback, data checked (a TCP handshake, data and FIN; UDP;
#   echo replies); gw-unmapped (--no-map-gw): TCP to the gateway gets the
#   router's reset, and nothing reaches the host's loopback; far: the far
#   servers get the data, whatever the mapping.
# - --forward-multicast: the members of both groups get the datagrams,
#   and the destinations above are still dropped.
# - a guest changing its IPv4 source address 2000 times in a row (ARP)
#   gets a bounded number of "Guest uses IPv4 address" lines in the log.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

TOOL="$TOPO_ROOT/test/integration/guest_dst_tool.py"
P_LO=10711	# Servers on the host's loopback addresses
P_ANY=10712	# Servers on the host's wildcard addresses
P_FAR=10713	# Servers on the router's far addresses
P_MCAST=5353
TAP=gd0		# pasta's tap device
# pasta's "guest" sends from addresses its namespace doesn't hold, so
# that the namespace's kernel leaves pasta's answers to us alone
PASTA_GUEST4=198.51.100.77
PASTA_GUEST6=2001:db8::77
FLOOD=2000
FLOOD_MAX_LINES=20	# 5 a second (LOG_RATELIMIT_BURST); the flood takes 1

test_start

# Ping sockets for the daemon (as nobody) in the host namespace
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

LOG_HOST="$TOPO_TMP/record.host"
LOG_ROUTER="$TOPO_TMP/record.router"
bg_host "$TOPO_TMP/record-host.out" "$PYTHON" "$TOOL" record \
	--log "$LOG_HOST" --ready "$TOPO_TMP/host.ready" \
	--tcp "127.0.0.1:$P_LO" --tcp "[::1]:$P_LO" \
	--tcp "0.0.0.0:$P_ANY" --tcp "[::]:$P_ANY" \
	--udp "127.0.0.1:$P_LO" --udp "[::1]:$P_LO" \
	--udp "0.0.0.0:$P_ANY" --udp "[::]:$P_ANY"
bg_ns "$ROUTER_NS" "$TOPO_TMP/record-router.out" "$PYTHON" "$TOOL" record \
	--log "$LOG_ROUTER" --ready "$TOPO_TMP/router.ready" \
	--tcp "$REMOTE_IP4:$P_FAR" --tcp "[$REMOTE_IP6]:$P_FAR" \
	--udp "$REMOTE_IP4:$P_FAR" --udp "[$REMOTE_IP6]:$P_FAR" \
	--group "224.0.0.251:$P_MCAST%rt0" --group "[ff02::fb]:$P_MCAST%rt0"
for r in host router; do
	if ! wait_until 10 test -e "$TOPO_TMP/$r.ready"; then
		show_log "$TOPO_TMP/record-$r.out" "$r servers" all
		fail "the servers in the $r namespace did not start"
	fi
done

PORTS=(--lo-port "$P_LO" --any-port "$P_ANY" --far-port "$P_FAR"
       --mcast-port "$P_MCAST" --gw4 "$GW_IP4" --gw6 "$GW_IP6"
       --far4 "$REMOTE_IP4" --far6 "$REMOTE_IP6"
       --records "$LOG_HOST" "$LOG_ROUTER")

# probe() - LABEL SETS LOG LINK...: run the probe sets (guest_dst_tool.py)
# over LINK (--passt SOCK, or the namespace and --tap ...); its "ok" and
# "FAIL" lines go to our output.  Then, in the daemon's LOG: no source
# from the bad-src set taken as the guest's address.  Sets DROPPED to the
# number of frames that had to be dropped
DROPPED=0
probe() {
	local label=$1 sets=$2 log=$3 bad

	shift 3
	capture timeout 90 "$@" probe --sets "$sets" "${PORTS[@]}"
	printf '%s\n' "$CAP_OUT" | sed "s/^\(ok\|FAIL\) - /&$label: /"
	if [ "$CAP_RC" != 0 ]; then
		[ -z "$CAP_ERR" ] || printf '%s\n' "$CAP_ERR" | sed 's/^/#   /'
		show_log "$log" "daemon log"
		tfail "$label: some probes went where they must not, or didn't" \
		      "arrive where they must"
	fi
	DROPPED=$(printf '%s\n' "$CAP_OUT" |
		  sed -n 's/^# \([0-9]*\) frames sent that must be dropped, in all$/\1/p')
	DROPPED=${DROPPED:-0}
	bad=$(grep -E 'Guest uses IPv4 address (127\.|0\.0\.0\.0|224\.|255\.255\.255\.255)' \
		"$log" || true)
	if [ -n "$bad" ]; then
		tfail "$label: a bad source became the guest's address: $bad"
	else
		ok "$label: no bad source taken as the guest's address"
	fi
}

# dropped_count() - LOG: the last count of frames dropped for their
# address, from the daemon's periodic debug line
dropped_count() {
	sed -n 's/.* \([0-9]*\) dropped for their address$/\1/p' "$1" | tail -n 1
}

# dropped_at_least() - LOG N: the daemon counted at least N such frames
dropped_at_least() {
	local n

	n=$(dropped_count "$1")
	[ -n "$n" ] && [ "$n" -ge "$2" ]
}

# check_counted() - LABEL LOG EXACT: the daemon logged why it dropped
# frames, and counted DROPPED of them (or more, unless EXACT is "exact")
check_counted() {
	local label=$1 log=$2 exact=$3 n

	if grep -q ' from the guest dropped: destination .* is ' "$log"; then
		ok "$label: drops logged: $(grep -m1 ' from the guest dropped: ' "$log")"
	else
		tfail "$label: no debug line about dropped frames in the log"
	fi
	wait_until 3 dropped_at_least "$log" "$DROPPED" || true
	n=$(dropped_count "$log")
	if [ "$exact" = exact ] && [ "$n" = "$DROPPED" ]; then
		ok "$label: $n frames counted as dropped for their address"
	elif [ "$exact" != exact ] && [ -n "$n" ] && [ "$n" -ge "$DROPPED" ]; then
		ok "$label: $n frames counted as dropped for their address" \
		   "(at least the $DROPPED probes)"
	else
		show_log "$log" "daemon log"
		tfail "$label: expected $DROPPED frames counted as dropped for" \
		      "their address, the log says '${n:-nothing}'"
	fi
}

# run_passt() - LABEL SETS EXACT ARGS...: passt -d ARGS, the probe sets
run_passt() {
	local label=$1 sets=$2 exact=$3 sock log

	shift 3
	sock="$TOPO_TMP/passt-$label.sock"
	log="$TOPO_TMP/passt-$label.log"
	passt_start "$sock" "$log" -d "$@"
	probe "passt $label" "$sets" "$log" "$PYTHON" "$TOOL" --passt "$sock"
	if [ -n "$exact" ]; then
		check_counted "passt $label" "$log" "$exact"
	fi
	topo_kill_pid "$PASST_PID"
}

# run_pasta() - LABEL SETS EXACT ARGS...: pasta -d ARGS, the probe sets
# from inside its namespace
run_pasta() {
	local label=$1 sets=$2 exact=$3 ns

	shift 3
	ns=$(topo_netns_name "$label")
	pasta_ns "$ns" -d -I "$TAP" -t none -u none -T none -U none "$@"
	probe "pasta $label" "$sets" "$DAEMON_LOG" ip netns exec "$ns" "$PYTHON" \
		"$TOOL" --tap "$TAP" --guest4 "$PASTA_GUEST4" \
		--guest6 "$PASTA_GUEST6"
	if [ -n "$exact" ]; then
		check_counted "pasta $label" "$DAEMON_LOG" "$exact"
	fi
	topo_kill_pid "$PASTA_PID"
}

BAD="bad-dst,bad-src,mcast-none"

run_passt map "$BAD,mapped,far" exact
run_passt no-map "$BAD,gw-unmapped,far" "" --no-map-gw
run_pasta map "$BAD,mapped,far" at-least
run_pasta no-map "$BAD,gw-unmapped,far" "" --no-map-gw

# flood() - LABEL LOG LINK...: FLOOD source address changes (ARP), then a
# bounded number of lines about them in LOG
flood() {
	local label=$1 log=$2 lines

	shift 2
	expect_success "$label: $FLOOD ARP requests from as many addresses" \
		"$label: ARP flood failed" timeout 30 "$@" arp-flood \
		--count "$FLOOD"
	lines=$(grep -c 'Guest uses IPv4 address' "$log" || true)
	if [ "$lines" -ge 1 ] && [ "$lines" -le "$FLOOD_MAX_LINES" ]; then
		ok "$label: $lines lines about the guest's address in the log" \
		   "(1 to $FLOOD_MAX_LINES)"
	else
		show_log "$log" "daemon log" 10
		tfail "$label: $lines lines about the guest's address in the" \
		      "log, expected 1 to $FLOOD_MAX_LINES"
	fi
}

sock="$TOPO_TMP/passt-flood.sock"
passt_start "$sock" "$TOPO_TMP/passt-flood.log"
flood "passt" "$TOPO_TMP/passt-flood.log" "$PYTHON" "$TOOL" --passt "$sock"
topo_kill_pid "$PASST_PID"

ns=$(topo_netns_name flood)
pasta_ns "$ns" -I "$TAP" -t none -u none -T none -U none
flood "pasta" "$DAEMON_LOG" ip netns exec "$ns" "$PYTHON" "$TOOL" --tap "$TAP"
topo_kill_pid "$PASTA_PID"

# Last: the option is new
run_passt mcast "mcast,bad-dst" "" --forward-multicast
run_pasta mcast "mcast,bad-dst" "" --forward-multicast

soft_finish
echo "guest_dst: all checks passed"
