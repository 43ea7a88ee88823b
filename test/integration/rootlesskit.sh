#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rootlesskit.sh - pasta started the way rootlesskit (--net=pasta) starts
# it for its child, with rootlesskit's exact options:
#
#   pasta --stderr --ns-ifname=tap0 --mtu=65520 --config-net
#         --address=10.0.2.100 --netmask=24 --gateway=10.0.2.2
#         --dns-forward=10.0.2.3 --no-map-gw --ipv4-only
#         --tcp-ports=auto --udp-ports=auto --host-lo-to-ns-lo PID
#
# rootlesskit runs it with Go's CombinedOutput() (standard output and error
# on one pipe; it waits for pasta to exit and for the pipe to close), and
# then starts using the child's network.  Two runs:
#
#   1. root, the child made with unshare -n in the host namespace
#   2. as nobody, the child in its own user, network and mount namespaces
#      (unshare --user --map-root-user --net --mount), pasta also as nobody
#      outside them, as rootlesskit's parent process runs
#
# Each time: pasta returns 0 and the pipe closes; tap0 has 10.0.2.100/24,
# MTU 65520, default route via 10.0.2.2, no global IPv6 address nor IPv6
# default route (--ipv4-only); a TCP server on the child's 127.0.0.1:9090
# and a UDP one on 127.0.0.1:9091 get forwarded automatically, and the
# host's 127.0.0.1:9090 / :9091 reach them, appearing to come from
# 127.0.0.1 (--host-lo-to-ns-lo); DNS to 10.0.2.3 is answered by the
# host's resolver; TCP to 203.0.113.1 leaves from the host's address;
# pasta exits once the child is gone.
#
#   3. the options Debian 13's rootlesskit 2.0.2 really gives (seen by
#      test/clients/rootlesskit.sh): --foreground --stderr --ns-ifname=tap0
#      --mtu=65520 --no-dhcp --no-ra --address=10.0.2.100 --netmask=24
#      --gateway=10.0.2.2 --dns-forward=10.0.2.3 --ipv4-only
#      --tcp-ports=auto --udp-ports=auto PID; rootlesskit configures tap0
#      itself; outbound TCP, DNS, an automatic forward, pasta's exit
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest.sh"

DNS_NAME=child.example
DNS_ANSWER=192.0.2.54
RLK_OPTS=(--stderr --ns-ifname=tap0 --mtu=65520 --config-net
	  --address=10.0.2.100 --netmask=24 --gateway=10.0.2.2
	  --dns-forward=10.0.2.3 --no-map-gw --ipv4-only --tcp-ports=auto
	  --udp-ports=auto --host-lo-to-ns-lo)

test_start
topo_unpriv_bin

remote_servers "$DNS_NAME" "$DNS_ANSWER"

# wait_secs() - SECONDS CMD...: retry CMD (which may itself take a while)
# until it succeeds or SECONDS have passed
wait_secs() {
	local end=$((SECONDS + $1))

	shift
	while ! "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# tcp_banner() - ADDR PORT NEEDLE: a connection from the host ns gets
# a banner containing NEEDLE
tcp_banner() {
	in_host "$PYTHON" "$SRV" get --connect "$1:$2" --timeout 2 2>/dev/null |
		grep -qF "$3"
}

# udp_echo() - ADDR PORT NEEDLE: a datagram from the host ns is answered
# with an echo containing NEEDLE
udp_echo() {
	in_host "$PYTHON" "$SRV" udpx --to "$1:$2" --send "$3" --retries 1 2>/dev/null |
		grep -qF "udpx reply echo:$3"
}

# run_child() - LABEL CHILD_PID RUNNER...: run pasta with rootlesskit's
# options on CHILD_PID, check the result, end the child, expect pasta to go
run_child() {
	local l=$1 child=$2 d ppid

	shift 2
	local C=(nsenter -t "$child" -n)

	capture in_host "$PYTHON" "$SRV" combined -- "$@" "${RLK_OPTS[@]}" "$child"
	show_capture
	assert_line "$CAP_OUT" "combined rc 0" "$l: pasta returned 0"
	soft assert_contains "$CAP_OUT" "combined eof yes" \
		"$l: the output pipe closed (rootlesskit's CombinedOutput() returns)"

	ppid=""
	for pid in $(ip netns pids "$HOST_NS"); do
		[ "$(readlink "/proc/$pid/exe" 2>/dev/null | sed 's,.*/,,')" = passt ] || continue
		tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qx -- "$child" && ppid=$pid
	done
	[ -n "$ppid" ] || fail "$l: no pasta running for PID $child"
	topo_track_pid "$ppid"
	ok "$l: pasta runs in the background (PID $ppid)"

	d=$(netinfo_dir "$l")
	netinfo_dump "$d" "${C[@]}" || fail "$l: cannot read the child's configuration"
	netinfo_load "$d" "$l"
	check_link tap0 65520 "$l"
	assert_line "$NI_ADDR" "addr tap0 inet 10.0.2.100/24" "$l: tap0 address"
	assert_line "$NI_ROUTE4" "route default via 10.0.2.2 dev tap0" "$l: default route"
	assert_no_line_matching "$NI_ADDR" '^addr tap0 inet6-scope .* global$' \
		"$l: --ipv4-only: no global IPv6 address"
	assert_no_line_matching "$NI_ROUTE6" '^route default' "$l: --ipv4-only: no IPv6 default route"
	CONFIG_SHOWN+="$l:"$'\n'"$(printf '%s\n%s\n' "$NI_ADDR" "$NI_ROUTE4" |
		grep -E '^(addr tap0 inet6? |route|link tap0 mtu)' | sed 's/^/  /')"$'\n'

	# Servers on the child's loopback only: --tcp-ports=auto finds them
	bg_run "$TOPO_TMP/lo-tcp-$child.log" "${C[@]}" "$PYTHON" -u "$SRV" banner \
		--bind 127.0.0.1 --port 9090 --text "child-loopback-$child"
	bg_run "$TOPO_TMP/lo-udp-$child.log" "${C[@]}" "$PYTHON" -u "$SRV" udpecho \
		--bind 127.0.0.1 --port 9091
	if wait_secs 15 tcp_banner 127.0.0.1 9090 "child-loopback-$child"; then
		ok "$l: host 127.0.0.1:9090 reaches the child's 127.0.0.1:9090 (auto-forwarded)"
		capture in_host "$PYTHON" "$SRV" get --connect 127.0.0.1:9090
		soft assert_contains "$CAP_OUT" "peer=127.0.0.1:" \
			"$l: --host-lo-to-ns-lo: the connection comes from 127.0.0.1"
	else
		soft fail "$l: host 127.0.0.1:9090 never reached the child's loopback server"
	fi
	if wait_secs 15 udp_echo 127.0.0.1 9091 "dgram-$child"; then
		ok "$l: host 127.0.0.1:9091 (UDP) reaches the child's 127.0.0.1:9091 (auto-forwarded)"
		soft assert_contains "$(cat "$TOPO_TMP/lo-udp-$child.log")" "from 127.0.0.1:" \
			"$l: --host-lo-to-ns-lo: the datagram comes from 127.0.0.1"
	else
		soft fail "$l: host 127.0.0.1:9091 (UDP) never reached the child's loopback server"
	fi

	capture "${C[@]}" timeout 20 "$PYTHON" "$SRV" dnsq --server 10.0.2.3 --name "$DNS_NAME"
	show_capture
	soft assert_line "$CAP_OUT" "dnsq answer $DNS_ANSWER" "$l: DNS via 10.0.2.3 answered by the host's resolver"
	soft assert_contains "$CAP_OUT" "dnsq from 10.0.2.3:53 " "$l: answer from 10.0.2.3:53"

	capture "${C[@]}" timeout 20 "$PYTHON" "$SRV" get --connect "$REMOTE_IP4:7070"
	show_capture
	soft assert_contains "$CAP_OUT" "hello-from-remote peer=$HOST_IP4:" \
		"$l: outbound TCP to $REMOTE_IP4 leaves from the host's address"

	kill -TERM "$child"
	wait "$child" 2>/dev/null || true
	info "$l: child $child ended"
	expect_quit "$ppid" "$l, after the child ended"
}
CONFIG_SHOWN=""

# --- 1. root ------------------------------------------------------------------

bg_host /dev/null unshare -n sleep 600
child=$BG_PID
wait_until 5 is_sleep "$child" || fail "root: unshare -n sleep did not start"
run_child root "$child" "$PASTA"

# --- 2. nobody, the child in its own user + network + mount namespaces -----

bg_host /dev/null "${AS_NOBODY[@]}" unshare --user --map-root-user --net --mount sleep 600
child=$BG_PID
wait_until 5 is_sleep "$child" || fail "nobody: unshare ... sleep did not start"
assert_ne "$(readlink "/proc/$child/ns/user")" "$(readlink /proc/self/ns/user)" \
	"nobody: the child has its own user namespace"
run_child nobody "$child" "${AS_NOBODY[@]}" "$UPASTA"

# --- 3. Debian 13's rootlesskit 2.0.2, as test/clients/rootlesskit.sh saw it --
#
# That release runs pasta with --foreground (pasta stays its child, no
# CombinedOutput) and without --config-net: rootlesskit configures tap0
# in the child itself, as done here with ip

RLK2_OPTS=(--foreground --stderr --ns-ifname=tap0 --mtu=65520 --no-dhcp
	   --no-ra --address=10.0.2.100 --netmask=24 --gateway=10.0.2.2
	   --dns-forward=10.0.2.3 --ipv4-only --tcp-ports=auto --udp-ports=auto)
l=rootlesskit-2.0.2
bg_host /dev/null unshare -n sleep 600
child=$BG_PID
wait_until 5 is_sleep "$child" || fail "$l: unshare -n sleep did not start"
C=(nsenter -t "$child" -n)
bg_host "$TOPO_TMP/rlk2.log" "$PASTA" "${RLK2_OPTS[@]}" "$child"
ppid=$BG_PID
wait_until 10 "${C[@]}" ip link show tap0 >/dev/null 2>&1 ||
	{ show_log "$TOPO_TMP/rlk2.log" pasta all; fail "$l: no tap0 in the child"; }
"${C[@]}" ip link set lo up
"${C[@]}" ip link set tap0 up
"${C[@]}" ip addr add 10.0.2.100/24 dev tap0
"${C[@]}" ip route add default via 10.0.2.2 dev tap0
ok "$l: pasta --foreground (PID $ppid) made tap0; configured as rootlesskit does"
capture "${C[@]}" timeout 20 "$PYTHON" "$SRV" get --connect "$REMOTE_IP4:7070"
show_capture
soft assert_contains "$CAP_OUT" "hello-from-remote peer=$HOST_IP4:" \
	"$l: outbound TCP to $REMOTE_IP4 leaves from the host's address"
capture "${C[@]}" timeout 20 "$PYTHON" "$SRV" dnsq --server 10.0.2.3 --name "$DNS_NAME"
show_capture
soft assert_line "$CAP_OUT" "dnsq answer $DNS_ANSWER" "$l: DNS via 10.0.2.3 answered by the host's resolver"
bg_run "$TOPO_TMP/rlk2-tcp.log" "${C[@]}" "$PYTHON" -u "$SRV" banner \
	--bind 0.0.0.0 --port 9092 --text "child-rlk2"
srv=$BG_PID
if wait_secs 15 tcp_banner 127.0.0.1 9092 "child-rlk2"; then
	ok "$l: host 127.0.0.1:9092 reaches the child's 0.0.0.0:9092 (auto-forwarded)"
else
	soft fail "$l: host 127.0.0.1:9092 never reached the child's server"
fi
topo_kill_pid "$srv"
kill -TERM "$child"
wait "$child" 2>/dev/null || true
expect_quit "$ppid" "$l, after the child ended"

info "configuration, per run:"
printf '%s' "$CONFIG_SHOWN" | sed 's/^/#   /'
soft_finish
echo "rootlesskit: all checks passed"
