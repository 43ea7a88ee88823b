#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tcp_passt.sh - TCP through passt's qemu socket, with a "guest" namespace
# behind relay.py (tap0 <-> passt's UNIX socket), checked on data (SHA-256
# of what was sent and what arrived), 1 KiB and 64 MiB (TCP_PASST_BIG),
# both directions of data, on both paths:
#
# - guest -> gateway address -> the host namespace's loopback
# - host namespace's loopback -> -t -> server in the guest, which sees the
#   connection from the gateway address
#
# 1. clean relay, MTU 65520 (what passt's DHCP gives): IPv4 and IPv6;
#    300 connections at once, each way, 64 KiB echoed on each
# 1b. the guest answers every SYN with a SYN cookie (tcp_syncookies=2): no
#    window scaling, and a Linux guest then never opens its window again
#    after a segment larger than it offers (about 64000 bytes): passt
#    must keep its segments within half the guest's largest window
# 2. lossy relay, MTU 65520: 2% of the TCP frames dropped and 2% reordered
#    in each direction (TCP_PASST_LOSS, TCP_PASST_REORDER): 1 KiB over
#    IPv4 and IPv6, 64 MiB over IPv4 (TCP_PASST_FULL=1: over IPv6 too)
# 3. lossy relay, MTU 1500 (a guest without the DHCP MTU option): 4 MiB
#    over IPv4, guest -> gateway, both directions of data
# 4. a guest that stops answering (the relay drops everything towards it)
#    while a connection closes, and then leaves: passt stays idle and
#    exits on SIGTERM
#
# Through a lossy relay passt must retransmit what the guest didn't get
# and cope with what the guest retransmits and with segments out of
# order.  The relay's counters prove that frames were lost and reordered,
# and, through the clean relay, that neither side had to send anything
# twice (at most 1% of the payload).
# For scale: through the same relay settings, Linux to Linux (no SACK)
# moves 64 MiB at MTU 65520 in about 0.5 s, 4 MiB at MTU 1500 in about
# 1.5 s; the time limits below (XFER_TIMEOUT_LOSSY, default 40 s) leave
# a wide margin.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

BIG=${TCP_PASST_BIG:-64M}
LOSS=${TCP_PASST_LOSS:-0.02}
REORDER=${TCP_PASST_REORDER:-0.02}
FULL=${TCP_PASST_FULL:-0}
XFER_TIMEOUT_LOSSY=${XFER_TIMEOUT_LOSSY:-40}

test_start

P_OUT=10001	# servers in the host namespace, reached through the gateway
P_IN=10010	# -t: servers in the guest

f1k=$(tcp_mkfile kib 1K)
fbig=$(tcp_mkfile big "$BIG")
fmid=$(tcp_mkfile mid 4M)
info "test files: 1 KiB, 4 MiB, $BIG ($(stat -c %s "$fbig") bytes)"

# passt runs as nobody: let the guest's echo requests through, so that
# guest_ns_config can check the path before the transfers
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

run=0
COOKIES=0

# passt_run() - LABEL MTU PLAN RELAY_ARGS...: one passt, one guest, one
# relay with RELAY_ARGS; PLAN: lines of "FAMILY FILE PATHS", PATHS being
# "out" (guest -> gateway), "in" (host -> -t -> guest) or "both"; every
# transfer both ways
passt_run() {
	local label=$1 mtu=$2 plan=$3 sock log g rpid ppid stats fam f paths
	local lo any gw st dir

	shift 3
	run=$((run + 1))
	sock="$TOPO_TMP/passt$run.sock"
	log="$TOPO_TMP/passt$run.log"
	stats="$TOPO_TMP/relay$run.json"
	bg_host "$log" "$PASST" -f -s "$sock" -t "$P_IN" -u none
	ppid=$BG_PID
	DAEMON_LOG=$log
	wait_until 5 test -S "$sock" || fail "$label: passt did not create $sock"

	g=$(topo_netns_name "g$run")
	guest_ns_tap "$g" "$mtu"
	bg_ns "$g" "$TOPO_TMP/relay$run.log" "$PYTHON" "$RELAY" --sock "$sock" \
		--tap tap0 --stats "$stats" "$@"
	rpid=$BG_PID
	guest_ns_config "$g"
	if [ "$COOKIES" = 1 ]; then
		ns_run "$g" sysctl -qw net.ipv4.tcp_syncookies=2
	fi
	info "$label: passt PID $ppid, guest $g (MTU $mtu), relay $*"

	while read -r fam f paths; do
		[ -n "$fam" ] || continue
		if [ "$fam" = 4 ]; then
			lo=127.0.0.1 any=0.0.0.0 gw=$GW_IP4
		else
			lo=::1 any=:: gw=$GW_IP6
		fi
		for dir in down up; do
			if [ "$paths" != in ]; then
				tcp_check tcp_xfer "$label: v$fam guest->gateway->host lo" \
					"$dir" "$HOST_NS" "$lo" "$P_OUT" \
					"$g" "$gw" "$P_OUT" "$f"
			fi
			if [ "$paths" != out ]; then
				tcp_check tcp_xfer "$label: v$fam host lo->-t->guest" \
					"$dir" "$g" "$any" "$P_IN" \
					"$HOST_NS" "$lo" "$P_IN" "$f"
			fi
		done
	done <<<"$plan"

	if [ "$label" = clean ]; then
		tcp_check peer_check "$label: v4 from host lo" "$g" 0.0.0.0 \
			"$P_IN" "$HOST_NS" 127.0.0.1 "$GW_IP4"
		tcp_check peer_check "$label: v6 from host lo" "$g" :: \
			"$P_IN" "$HOST_NS" ::1 "$GW_IP6"
		tcp_check many_check "$label: host lo->-t->guest" "$g" \
			0.0.0.0 "$P_IN" "$HOST_NS" 127.0.0.1 300
		tcp_check many_check "$label: guest->gateway->host lo" \
			"$HOST_NS" 127.0.0.1 "$P_OUT" "$g" "$GW_IP4" 300
	fi

	if [ "$COOKIES" = 1 ]; then
		st=$(ns_run "$g" nstat -az TcpExtSyncookiesRecv |
		     awk '$1 == "TcpExtSyncookiesRecv" { print $2 }')
		if [ "${st:-0}" -gt 0 ]; then
			ok "$label: the guest accepted $st connections by cookie"
		else
			tfail "$label: the guest took no SYN cookie back"
		fi
	fi

	if pid_alive "$ppid"; then
		ok "$label: passt still running"
	else
		tfail "$label: passt exited"
		show_log "$log" "passt log"
	fi
	topo_kill_pid "$rpid"
	wait "$rpid" 2>/dev/null || true
	topo_kill_pid "$ppid"
	wait "$ppid" 2>/dev/null || true
	RELAY_STATS=""

	if [ -s "$stats" ]; then
		st=$(cat "$stats")
		info "$label: relay counters: $st"
		RELAY_STATS=$st
	else
		tfail "$label: relay wrote no counters"
	fi
}

RELAY_STATS=""

# retrans_max() - LABEL DIR PERCENT: at most PERCENT of the TCP payload
# relayed in DIR ("in": passt -> guest, "out": guest -> passt) was sent
# again (sequence numbers below the highest already relayed).  Nothing is
# lost on a clean relay: whatever a sender had to send again was lost
# before it reached the relay (passt dropping its own frames) or after
# (the guest dropping them).
retrans_max() {
	local p r who=passt

	[ "$2" = out ] && who="the guest"
	p=$(json_get "$RELAY_STATS" "$2.payload")
	r=$(json_get "$RELAY_STATS" "$2.retrans")
	if [ -z "$p" ] || [ -z "$r" ] || [ "$p" = 0 ]; then
		tfail "$1: no payload counters for $2: '$p' '$r'"
		return 1
	fi
	if [ $((r * 100)) -le $((p * $3)) ]; then
		ok "$1: $who sent $r bytes again out of $p ($(awk -v r="$r" \
			-v p="$p" 'BEGIN { printf "%.2f", r * 100 / p }')%, limit $3%)"
	else
		tfail "$1: $who sent $r bytes again out of $p" \
		      "($((r * 100 / p))%, limit $3%) over a relay that lost nothing"
	fi
}

# stat_positive() - LABEL KEY: a relay counter is above zero
stat_positive() {
	local v

	v=$(json_get "$RELAY_STATS" "$2")
	if [ -n "$v" ] && [ "$v" -gt 0 ]; then
		ok "$1: $2 = $v"
	else
		tfail "$1: relay counter $2 is '$v', expected > 0"
	fi
}

passt_run "clean" 65520 "4 $f1k both
4 $fbig both
6 $f1k both
6 $fbig both"
tcp_check stat_positive "clean" in.tcp
tcp_check stat_positive "clean" out.tcp
tcp_check retrans_max "clean" in 1
tcp_check retrans_max "clean" out 1

COOKIES=1
passt_run "SYN cookies" 65520 "4 $fmid in
6 $fmid in"
COOKIES=0

impair=(--seed 7 --drop-in "$LOSS" --drop-out "$LOSS"
	--reorder-in "$REORDER" --reorder-out "$REORDER")
plan="4 $f1k both
6 $f1k both
4 $fbig both"
[ "$FULL" = 1 ] && plan="$plan
6 $fbig both"
XFER_TIMEOUT=$XFER_TIMEOUT_LOSSY
passt_run "lossy" 65520 "$plan" "${impair[@]}"
for k in in.dropped out.dropped in.reordered out.reordered; do
	tcp_check stat_positive "lossy: frames were lost and reordered" "$k"
done
info "lossy: passt sent again $(json_get "$RELAY_STATS" in.retrans) of" \
     "$(json_get "$RELAY_STATS" in.payload) payload bytes, the guest" \
     "$(json_get "$RELAY_STATS" out.retrans) of $(json_get "$RELAY_STATS" out.payload)"

XFER_TIMEOUT=$((XFER_TIMEOUT_LOSSY / 2))
passt_run "lossy, MTU 1500" 1500 "4 $fmid out" "${impair[@]}"
for k in in.dropped out.dropped; do
	tcp_check stat_positive "lossy, MTU 1500: frames were lost" "$k"
done
info "lossy, MTU 1500: passt sent again $(json_get "$RELAY_STATS" in.retrans)" \
     "of $(json_get "$RELAY_STATS" in.payload) payload bytes, the guest" \
     "$(json_get "$RELAY_STATS" out.retrans) of $(json_get "$RELAY_STATS" out.payload)"

# stuck_fin() - LABEL GONE: a connection closes on both sides on the host
# (the guest sent its FIN, then the host server closes) while the guest
# answers nothing (the relay drops everything towards it), and with GONE=1
# the guest then disconnects: passt must neither spin on the socket (at
# most 0.2 s of CPU over one second) nor miss SIGTERM
stuck_fin() {
	local label=$1 gone=$2 sock g ppid rpid ticks rc=0

	run=$((run + 1))
	sock="$TOPO_TMP/passt$run.sock"
	bg_host "$TOPO_TMP/passt$run.log" "$PASST" -f -s "$sock" -u none
	ppid=$BG_PID
	DAEMON_LOG="$TOPO_TMP/passt$run.log"
	wait_until 5 test -S "$sock" || { tfail "$label: passt did not start"; return 1; }
	g=$(topo_netns_name "g$run")
	guest_ns_tap "$g" 65520
	bg_ns "$g" "$TOPO_TMP/relay$run.log" "$PYTHON" "$RELAY" --sock "$sock"
	rpid=$BG_PID
	guest_ns_config "$g"
	bg_ns "$HOST_NS" /dev/null timeout 30 socat \
		"TCP4-LISTEN:$P_OUT,bind=127.0.0.1,reuseaddr" SYSTEM:"sleep 1"
	wait_listen "$HOST_NS" "$P_OUT" || { tfail "$label: no server"; return 1; }
	bg_ns "$g" /dev/null timeout 30 socat -u OPEN:/dev/null \
		"TCP4:$GW_IP4:$P_OUT"
	sleep 0.3
	kill -USR1 "$rpid"	# from now on, nothing reaches the guest
	sleep 1.5		# the server closed: passt's FIN goes unanswered
	if [ "$gone" = 1 ]; then
		topo_kill_pid "$rpid"
		wait "$rpid" 2>/dev/null || true
	fi
	sleep 0.5
	ticks=$(cpu_ticks_in "$ppid" 1)
	if [ "$ticks" -le 20 ]; then
		ok "$label: passt idle ($ticks CPU ticks in 1 s)"
	else
		tfail "$label: passt busy: $ticks CPU ticks (of $(getconf CLK_TCK))" \
		      "in 1 s"
		rc=1
	fi
	kill -TERM "$ppid"
	if wait_pid_exit "$ppid" 3; then
		ok "$label: passt exited on SIGTERM"
	else
		tfail "$label: passt still running 3 s after SIGTERM"
		rc=1
	fi
	topo_kill_pid "$ppid"
	wait "$ppid" 2>/dev/null || true
	topo_kill_pid "$rpid"
	wait "$rpid" 2>/dev/null || true
	return "$rc"
}
tcp_check stuck_fin "FIN unanswered, guest connected" 0
tcp_check stuck_fin "FIN unanswered, then the guest left" 1

soft_finish
echo "tcp_passt: all checks passed"
