#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# icmp.sh - ICMP and ICMPv6 echo through pasta's ping sockets: replies to
# the gateway address (which reaches the host's loopback) and to the
# router's remote address, with every sequence number answered; a burst of
# 100 loses none; as root and as nobody; a clear log line when the host
# doesn't allow ping sockets.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

test_start
topo_unpriv_bin

# Ping sockets are allowed per namespace: allow every group in the host's
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

# The router ignores echo requests to its own addresses unless we say so:
# first make sure it answers, so that remote pings can succeed
in_router sysctl -qw net.ipv4.icmp_echo_ignore_all=0

# check_ping() - LABEL FAMILY DST COUNT INTERVAL RUNNER...
check_ping() {
	local label=$1 fam=$2 dst=$3 count=$4 interval=$5 seq got

	shift 5
	# Neighbour discovery for IPv6 may take a moment: one warm-up ping
	capture in_host timeout 60 "$@" --config-net -- sh -c \
		"ping -$fam -c 1 -W 3 $dst >/dev/null 2>&1; \
		 ping -$fam -n -c $count -i $interval -W 3 $dst"
	if [ "$CAP_RC" != 0 ]; then
		show_capture
	fi
	assert_eq "$CAP_RC" 0 "$label: ping -$fam $dst exit status"
	assert_contains "$CAP_OUT" "$count packets transmitted, $count received" \
		"$label: every echo answered"
	for seq in $(seq 1 "$count"); do
		got=$(printf '%s\n' "$CAP_OUT" | grep -c "from $dst: icmp_seq=$seq " || true)
		if [ "$got" != 1 ]; then
			fail "$label: icmp_seq=$seq answered $got times"
		fi
	done
	ok "$label: sequence numbers 1 to $count each answered once, from $dst"
}

check_ping "root, IPv4 gateway" 4 "$GW_IP4" 3 0.2 "$PASTA"
check_ping "root, IPv4 remote" 4 "$REMOTE_IP4" 3 0.2 "$PASTA"
check_ping "root, IPv6 gateway" 6 "$GW_IP6" 3 0.2 "$PASTA"
check_ping "root, IPv6 remote" 6 "$REMOTE_IP6" 3 0.2 "$PASTA"
check_ping "nobody, IPv4 remote" 4 "$REMOTE_IP4" 3 0.2 \
	"${AS_NOBODY[@]}" "$UPASTA"
check_ping "nobody, IPv6 gateway" 6 "$GW_IP6" 3 0.2 \
	"${AS_NOBODY[@]}" "$UPASTA"
check_ping "burst, IPv4 remote" 4 "$REMOTE_IP4" 100 0.005 "$PASTA"
check_ping "burst, IPv6 remote" 6 "$REMOTE_IP6" 100 0.005 "$PASTA"

# The gateway address reaches the host's loopback, not the router: with the
# router ignoring echo requests, the gateway still answers, the remote
# address doesn't, and with --no-map-gw neither does the gateway.
in_router sysctl -qw net.ipv4.icmp_echo_ignore_all=1
check_ping "router silent, IPv4 gateway (host loopback)" 4 "$GW_IP4" 3 0.2 \
	"$PASTA"
capture in_host timeout 30 "$PASTA" --config-net -- \
	ping -4 -n -c 2 -i 0.2 -W 1 "$REMOTE_IP4"
assert_ne "$CAP_RC" 0 "router silent: remote address doesn't answer"
capture in_host timeout 30 "$PASTA" --config-net --no-map-gw -- \
	ping -4 -n -c 2 -i 0.2 -W 1 "$GW_IP4"
assert_ne "$CAP_RC" 0 "router silent, --no-map-gw: gateway doesn't answer"
in_router sysctl -qw net.ipv4.icmp_echo_ignore_all=0

# Ping sockets not allowed: one clear line in the log, no replies
in_host sysctl -qw net.ipv4.ping_group_range="1 0"
capture in_host timeout 30 "$PASTA" --config-net -- \
	ping -4 -n -c 3 -i 0.2 -W 1 "$REMOTE_IP4"
assert_ne "$CAP_RC" 0 "ping sockets disallowed: no replies"
assert_contains "$CAP_ERR" "ping_group_range" \
	"ping sockets disallowed: the log names the sysctl"
assert_eq "$(printf '%s\n' "$CAP_ERR" | grep -c ping_group_range)" 1 \
	"ping sockets disallowed: said once, not per request"

echo "icmp: all checks passed"
