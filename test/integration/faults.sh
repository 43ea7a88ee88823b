#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# faults.sh - TCP through passt and pasta when things go wrong: a bad
# link, a peer or a namespace that goes away, a reader that stops.  Every
# check is on data (SHA-256 of what was sent and what arrived) or on how a
# connection ended (end of file, reset, or nothing: a hang), as the peer's
# own socket calls report it (faults_tool.py).
#
# 1. A lossy link with duplicates: passt's guest behind relay.py dropping,
#    reordering and duplicating FAULTS_LOSS (5 %) of the TCP frames each
#    way.  FAULTS_SIZE (8 MiB) both ways of data, guest -> gateway -> host
#    loopback and host loopback -> -t -> guest, IPv4 and IPv6, intact.
#    The relay's counters show frames were lost, reordered and duplicated
#    both ways, and give the payload bytes passt sent twice (sequence
#    ranges it had sent already: retransmissions), which are printed.
# 2. The guest vanishes: while four streams run through that guest (guest
#    -> host and host -> guest, on both paths, IPv4 and IPv6), the relay,
#    passt's socket client, is killed (SIGKILL).  Every host-side peer must
#    see its connection reset (ECONNRESET, not an end of file, not a hang)
#    within FAULTS_RESET_TIMEOUT (5) seconds, and passt's open descriptors
#    must come back to their number before the guest connected (its
#    connections are gone).  Then a new guest (a fresh namespace and
#    relay) connects to the same passt and moves FAULTS_SIZE both ways,
#    intact.
# 3. The host-side peer vanishes: the server the guest sends to, on the
#    host's loopback, is stopped with data in its receive queue and killed
#    (SIGKILL), so the kernel resets the connection: the sender in the
#    guest must see ECONNRESET or EPIPE (not an end of file, not a hang)
#    within FAULTS_RESET_TIMEOUT seconds.  IPv4 and IPv6, through passt
#    (the new guest of 2.) and through pasta (a namespace client to the
#    gateway address).
# 4. (pasta, last) The namespace goes away while transfers run: pasta
#    attached with --netns NAME (in the foreground, -f, so that its exit
#    status is ours to see) carries three streams (namespace -> gateway;
#    host -> -t -> namespace, through the tap and spliced); everything
#    inside the namespace is killed and the namespace deleted (ip netns
#    del).  pasta must exit within QUIT_TIMEOUT (5) seconds with status 0
#    (pasta_netns_quit_check(): "Namespace ... is gone, exiting"),
#    remove its PID file (in a directory of nobody's: started as root,
#    pasta runs as nobody by then), leave no process (its children
#    included) and no listening socket on its -t ports behind.
# 5. (pasta) A reader that stops: two servers in pasta's namespace, one
#    reached through the tap (host address -> -t) and one spliced (host
#    loopback -> -t), with a small receive buffer, read 1 MiB and then
#    stop calling recv(), so their windows fill up, for FAULTS_STALL (20)
#    seconds while their clients still have data to send
#    (FAULTS_STALL_SIZE, 64 MiB).  Meanwhile another connection on each
#    path moves FAULTS_SIZE intact, and pasta doesn't spin: at most 10 %
#    of a CPU (CPU ticks) over the rest of the stall.  Once the servers
#    read again, both stalled streams complete, intact.
#
# Environment: FAULTS_SIZE (8M, head -c syntax), FAULTS_LOSS (0.05),
# FAULTS_RESET_TIMEOUT (5 s), FAULTS_STALL (20 s), FAULTS_STALL_SIZE
# (64M), FAULTS_XFER_TIMEOUT (60 s: one transfer), FAULTS_SEED (7: the
# relay's random numbers), QUIT_TIMEOUT (5 s, daemon.sh).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

SIZE=${FAULTS_SIZE:-8M}
LOSS=${FAULTS_LOSS:-0.05}
RESET_TIMEOUT=${FAULTS_RESET_TIMEOUT:-5}
STALL=${FAULTS_STALL:-20}
STALL_SIZE=${FAULTS_STALL_SIZE:-64M}
SEED=${FAULTS_SEED:-7}
XFER_TIMEOUT=${FAULTS_XFER_TIMEOUT:-60}
TOOL="$TOPO_ROOT/test/integration/faults_tool.py"

# passt
P_OUT=10001	# item 1: servers on the host's loopback, through the gateway
P_IN=10010	# item 1: -t, servers in the guest
P_G_UP=10021	# item 2: host server reading what the guest sends
P_G_DOWN=10022	# item 2: host server sending to the guest
P_T_UP=10023	# item 2: -t, guest server reading what the host sends
P_T_DOWN=10024	# item 2: -t, guest server sending to the host
P_KILL=10025	# item 3: host server that gets killed (passt and pasta)
# pasta
P_ST=10030	# item 5: -t, stalled reader, through the tap
P_SS=10031	# item 5: -t, stalled reader, spliced
P_X=10032	# item 5: -t, transfers meanwhile
P_Q_OUT=10033	# item 4: host server sending to the namespace
P_Q_IN=10034	# item 4: -t, namespace server reading, through the tap
P_Q_IN2=10035	# item 4: -t, namespace server reading, spliced

test_start
# passt runs as nobody: let the guest's echo requests through
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

fsize=$(tcp_mkfile data "$SIZE")
info "test file: $SIZE ($(stat -c %s "$fsize") bytes)"
stall_bytes=$(numfmt --from=iec "$STALL_SIZE")

# fstream() - NAME NS ARGS...: faults_tool.py stream ARGS in NS, in the
# background (BG_PID), report in $TOPO_TMP/NAME.json, progress file
# $TOPO_TMP/NAME.progress, log $TOPO_TMP/NAME.log
fstream() {
	local name=$1 ns=$2

	shift 2
	rm -f "$TOPO_TMP/$name.json" "$TOPO_TMP/$name.progress"
	bg_ns "$ns" "$TOPO_TMP/$name.log" "$PYTHON" "$TOOL" stream \
		--report "$TOPO_TMP/$name.json" \
		--progress "$TOPO_TMP/$name.progress" "$@"
}

# fserver() - NAME NS PORT ARGS...: fstream() listening on PORT, once it
# listens; status 1 (and a failed check) if it doesn't
fserver() {
	local name=$1 ns=$2 port=$3

	shift 3
	fstream "$name" "$ns" --port "$port" "$@"
	wait_listen "$ns" "$port" && return 0
	tfail "$name: no server on port $port in $ns"
	return 1
}

# rep() - NAME KEY: a value from the report of stream NAME ("" if none);
# the report is one flat JSON object of numbers and strings without
# quotes in them (faults_tool.py), read without starting a Python
rep() {
	local json re="\"$2\": \"?([^\",}]*)"

	json=$(cat "$TOPO_TMP/$1.json" 2>/dev/null) || return 0
	[[ $json =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
	return 0
}

# running() - NAME...: true once every stream NAME moved its first MiB
running() {
	local n

	for n in "$@"; do
		[ -e "$TOPO_TMP/$n.progress" ] || return 1
	done
}

# wait_running() - LABEL TIMEOUT NAME...: wait until the streams run, a
# failed check (status 1) if they don't
wait_running() {
	local label=$1 t=$2 n

	shift 2
	wait_until "$t" running "$@" && return 0
	for n in "$@"; do
		[ -e "$TOPO_TMP/$n.progress" ] ||
			info "$n: not running: $(tail -n 2 "$TOPO_TMP/$n.log" 2>/dev/null)"
	done
	tfail "$label: the streams did not start within $t s"
	return 1
}

# now_s() - the time, seconds with milliseconds, as the reports have it
now_s() {
	date +%s.%3N
}

# after() - T0 T1: T1 - T0 in seconds, two decimals
after() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# left_of() - T0: whole seconds left of RESET_TIMEOUT since T0 (now_s)
left_of() {
	awk -v t0="$1" -v now="$(now_s)" -v t="$RESET_TIMEOUT" \
		'BEGIN { l = t0 + t - now; print (l > 0 ? int(l + 0.999) : 0) }'
}

# expect_end() - LABEL NAME T0 ENDS...: stream NAME ends, within
# RESET_TIMEOUT seconds of T0 (now_s), in one of ENDS (its "end")
expect_end() {
	local label=$1 name=$2 t0=$3 end e

	shift 3
	if ! wait_until "$(left_of "$t0")" test -s "$TOPO_TMP/$name.json"; then
		tfail "$label: still open $RESET_TIMEOUT s later (a hang;" \
		      "expected $*)"
		return 1
	fi
	end=$(rep "$name" end)
	for e in "$@"; do
		if [ "$end" = "$e" ]; then
			ok "$label: $end after $(after "$t0" "$(rep "$name" t_end)") s" \
			   "($(rep "$name" bytes) bytes moved)"
			return 0
		fi
	done
	tfail "$label: ended with '$end' ($(rep "$name" error)) after" \
	      "$(after "$t0" "$(rep "$name" t_end)") s, expected $*"
	return 1
}

# same_stream() - LABEL SENDER RECEIVER: both streams ended as they
# should (done, eof) and the receiver got every byte the sender sent
same_stream() {
	local label=$1 s=$2 r=$3

	if [ "$(rep "$s" end)" = "done" ] && [ "$(rep "$r" end)" = eof ] &&
	   [ "$(rep "$s" bytes)" = "$(rep "$r" bytes)" ] &&
	   [ "$(rep "$s" sha256)" = "$(rep "$r" sha256)" ]; then
		ok "$label: $(rep "$r" bytes) bytes, intact (sha256" \
		   "$(rep "$r" sha256 | cut -c1-16)...)"
		return 0
	fi
	tfail "$label: sender ended '$(rep "$s" end)' after $(rep "$s" bytes)" \
	      "bytes (sha256 $(rep "$s" sha256)), receiver '$(rep "$r" end)'" \
	      "after $(rep "$r" bytes) (sha256 $(rep "$r" sha256))"
	return 1
}

# fd_count() - PID: number of open descriptors of PID
fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# fds_are() - PID N: PID has N open descriptors
fds_are() {
	[ "$(fd_count "$1")" = "$2" ]
}

# recvq() - NS PORT: bytes in the receive queue of the connection whose
# local port is PORT in NS (the largest, if several)
recvq() {
	ns_run "$1" ss -Htn state established "sport = :$2" 2>/dev/null |
		awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m }'
}

# recvq_nonzero() - NS PORT
recvq_nonzero() {
	[ "$(recvq "$1" "$2")" -gt 0 ]
}

# peer_killed() - LABEL CNS CADDR SBIND: item 3: a client in CNS sends to
# CADDR, a server on the host's SBIND, port P_KILL, until that server,
# stopped with data in its receive queue, is killed: the client must see
# a reset
peer_killed() {
	local label=$1 cns=$2 caddr=$3 sbind=$4 spid cpid t0

	fserver kill-srv "$HOST_NS" "$P_KILL" --listen "$sbind" --role recv \
		--timeout 60 || return 1
	spid=$BG_PID
	fstream kill-cli "$cns" --connect "$caddr" --port "$P_KILL" \
		--role send --timeout 60
	cpid=$BG_PID
	if ! wait_running "$label" 20 kill-srv kill-cli; then
		stop "$spid"
		stop "$cpid"
		return 1
	fi
	kill -STOP "$spid"
	if ! wait_until 5 recvq_nonzero "$HOST_NS" "$P_KILL"; then
		info "$label: the stopped server's receive queue stays empty"
	fi
	info "$label: server stopped with $(recvq "$HOST_NS" "$P_KILL")" \
	     "bytes unread; SIGKILL"
	t0=$(now_s)
	kill -KILL "$spid"
	wait "$spid" 2>/dev/null || true
	expect_end "$label: the sender in the namespace sees a reset" \
		kill-cli "$t0" reset epipe || true
	stop "$cpid"
}

# ---------------------------------------------------------------- passt

sock="$TOPO_TMP/passt.sock"
passt_start "$sock" "$TOPO_TMP/passt.log" -t "$P_IN,$P_T_UP,$P_T_DOWN" \
	-u none
DAEMON_LOG="$TOPO_TMP/passt.log"
ppid=$PASST_PID
sleep 0.5
fds0=$(fd_count "$ppid")
info "passt PID $ppid: $fds0 open descriptors before any guest"

# 1. Lossy relay with duplicates
g1=$(topo_netns_name g1)
guest_ns_tap "$g1" 65520
bg_ns "$g1" "$TOPO_TMP/relay1.log" "$PYTHON" "$RELAY" --sock "$sock" \
	--stats "$TOPO_TMP/relay1.json" --seed "$SEED" \
	--drop-in "$LOSS" --drop-out "$LOSS" \
	--reorder-in "$LOSS" --reorder-out "$LOSS" \
	--dup-in "$LOSS" --dup-out "$LOSS"
rpid1=$BG_PID
guest_ns_config "$g1"
info "guest 1: $g1, relay PID $rpid1 dropping, reordering and duplicating" \
     "$LOSS of the TCP frames each way"

for fam in 4 6; do
	if [ "$fam" = 4 ]; then
		lo=127.0.0.1 any=0.0.0.0 gw=$GW_IP4
	else
		lo=::1 any=:: gw=$GW_IP6
	fi
	for dir in down up; do
		tcp_check tcp_xfer "lossy: v$fam guest->gateway->host lo" "$dir" \
			"$HOST_NS" "$lo" "$P_OUT" "$g1" "$gw" "$P_OUT" "$fsize"
		tcp_check tcp_xfer "lossy: v$fam host lo->-t->guest" "$dir" \
			"$g1" "$any" "$P_IN" "$HOST_NS" "$lo" "$P_IN" "$fsize"
	done
done
stop "$rpid1"
json=$(cat "$TOPO_TMP/relay1.json" 2>/dev/null || true)
info "lossy relay counters: $json"
for k in in.dropped out.dropped in.reordered out.reordered \
	 in.duplicated out.duplicated; do
	v=$(json_get "$json" "$k")
	if [ -n "$v" ] && [ "$v" -gt 0 ]; then
		ok "lossy: relay counter $k = $v"
	else
		tfail "lossy: relay counter $k is '$v', expected > 0"
	fi
done
r=$(json_get "$json" in.retrans)
p=$(json_get "$json" in.payload)
info "lossy: passt sent $r payload bytes twice (retransmitted) of $p sent" \
     "to the guest; the guest sent $(json_get "$json" out.retrans) of" \
     "$(json_get "$json" out.payload) twice"
if [ -n "$r" ] && [ "$r" -gt 0 ]; then
	ok "lossy: passt retransmitted what the relay lost ($r bytes)"
else
	tfail "lossy: passt retransmitted nothing ('$r') though frames to" \
	      "the guest were lost"
fi
wait_until 5 fds_are "$ppid" "$fds0" || true
info "passt: $(fd_count "$ppid") open descriptors once the lossy guest left"

# 2. The guest vanishes while streams run both ways, on both paths: the
# same guest connects again, through a clean relay this time
bg_ns "$g1" "$TOPO_TMP/relay1b.log" "$PYTHON" "$RELAY" --sock "$sock"
rpid1=$BG_PID
wait_until 10 topo_link_up "$g1" tap0 ||
	fail "tap0 in $g1 has no carrier: relay not attached"
fserver g-up "$HOST_NS" "$P_G_UP" --listen 127.0.0.1 --role recv \
	--timeout 90 || true
fserver g-down "$HOST_NS" "$P_G_DOWN" --listen ::1 --role send \
	--timeout 90 || true
fserver t-up "$g1" "$P_T_UP" --listen 0.0.0.0 --role recv --timeout 90 ||
	true
fserver t-down "$g1" "$P_T_DOWN" --listen :: --role send --timeout 90 ||
	true
fstream g-up-cli "$g1" --connect "$GW_IP4" --port "$P_G_UP" --role send \
	--timeout 90
fstream g-down-cli "$g1" --connect "$GW_IP6" --port "$P_G_DOWN" \
	--role recv --timeout 90
fstream t-up-cli "$HOST_NS" --connect 127.0.0.1 --port "$P_T_UP" \
	--role send --timeout 90
fstream t-down-cli "$HOST_NS" --connect ::1 --port "$P_T_DOWN" \
	--role recv --timeout 90
host_ends="g-up g-down t-up-cli t-down-cli"
# shellcheck disable=SC2086 # list of names
if wait_running "guest vanishes" 30 $host_ends; then
	info "guest vanishes: four streams run; passt has $(fd_count "$ppid")" \
	     "open descriptors; SIGKILL to the relay"
	t0=$(now_s)
	kill -KILL "$rpid1"
	wait "$rpid1" 2>/dev/null || true
	tcp_check expect_end "guest vanishes: v4 host server reading from the guest" \
		g-up "$t0" reset
	tcp_check expect_end "guest vanishes: v6 host server sending to the guest" \
		g-down "$t0" reset
	tcp_check expect_end "guest vanishes: v4 host client sending through -t" \
		t-up-cli "$t0" reset
	tcp_check expect_end "guest vanishes: v6 host client reading through -t" \
		t-down-cli "$t0" reset
	if wait_until "$RESET_TIMEOUT" fds_are "$ppid" "$fds0"; then
		ok "guest vanishes: passt is back to $fds0 open descriptors"
	else
		tfail "guest vanishes: passt has $(fd_count "$ppid") open" \
		      "descriptors $RESET_TIMEOUT s later, $fds0 before the" \
		      "guest connected"
		find "/proc/$ppid/fd" -mindepth 1 -printf "#   %f -> %l\n"
		show_log "$DAEMON_LOG" "passt log" 10
	fi
else
	kill -KILL "$rpid1"
	wait "$rpid1" 2>/dev/null || true
fi
for n in g-up g-down t-up t-down g-up-cli g-down-cli t-up-cli t-down-cli; do
	info "guest vanishes: $n: $(cat "$TOPO_TMP/$n.json" 2>/dev/null ||
		echo "still open")"
done
for pid in $(ip netns pids "$g1"); do
	stop "$pid"
done
ip netns del "$g1"

if pid_alive "$ppid"; then
	ok "guest vanishes: passt still running"
else
	show_log "$DAEMON_LOG" "passt log"
	fail "guest vanishes: passt exited"
fi

# 2, continued: the next guest, on the same passt
g2=$(topo_netns_name g2)
guest_ns_tap "$g2" 65520
bg_ns "$g2" "$TOPO_TMP/relay2.log" "$PYTHON" "$RELAY" --sock "$sock" \
	--stats "$TOPO_TMP/relay2.json"
rpid2=$BG_PID
guest_ns_config "$g2"
info "guest 2: $g2, relay PID $rpid2 (clean)"
for dir in up down; do
	tcp_check tcp_xfer "next guest: v4 guest->gateway->host lo" "$dir" \
		"$HOST_NS" 127.0.0.1 "$P_OUT" "$g2" "$GW_IP4" "$P_OUT" "$fsize"
	tcp_check tcp_xfer "next guest: v6 host lo->-t->guest" "$dir" \
		"$g2" :: "$P_IN" "$HOST_NS" ::1 "$P_IN" "$fsize"
done

# 3. The host-side peer vanishes, passt
tcp_check peer_killed "passt: v4 host server killed" "$g2" "$GW_IP4" 127.0.0.1
tcp_check peer_killed "passt: v6 host server killed" "$g2" "$GW_IP6" ::1

if pid_alive "$ppid"; then
	ok "passt still running"
else
	show_log "$DAEMON_LOG" "passt log"
	tfail "passt exited"
fi
stop "$rpid2"
stop "$ppid"

# ---------------------------------------------------------------- pasta

ns=$(topo_netns_name ns)
pidfile="$(nobody_dir run)/pasta.pid"
topo_netns_add "$ns"
ns_run "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
ns_run "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
topo_track_pidfile "$pidfile"
bg_host "$TOPO_TMP/pasta.log" "$PASTA" -f --config-net --netns "$ns" \
	-P "$pidfile" -t "$P_ST,$P_SS,$P_X,$P_Q_IN,$P_Q_IN2" -u none -T none -U none
PASTA_PID=$BG_PID
DAEMON_LOG="$TOPO_TMP/pasta.log"
if ! wait_until 10 read_pidfile "$pidfile" >/dev/null; then
	show_log "$DAEMON_LOG" "pasta log" all
	fail "pasta -f --netns $ns wrote no PID file"
fi
assert_eq "$(read_pidfile "$pidfile")" "$PASTA_PID" \
	"pasta -f: the PID file holds its PID"
info "pasta -f attached to $ns, PID $PASTA_PID"

# 3. The host-side peer vanishes, pasta
tcp_check peer_killed "pasta: v4 host server killed" "$ns" "$GW_IP4" 127.0.0.1
tcp_check peer_killed "pasta: v6 host server killed" "$ns" "$GW_IP6" ::1

# 5. Readers that stop, through the tap and spliced
stall() {
	local resume="$TOPO_TMP/stall.resume" t_stall ticks left hz pct

	rm -f "$resume"
	fserver st-srv "$ns" "$P_ST" --listen 0.0.0.0 --role recv \
		--rcvbuf 65536 --pause-after 1048576 --resume "$resume" \
		--timeout $((STALL + 90)) || return 1
	fserver ss-srv "$ns" "$P_SS" --listen 0.0.0.0 --role recv \
		--rcvbuf 65536 --pause-after 1048576 --resume "$resume" \
		--timeout $((STALL + 90)) || return 1
	fstream st-cli "$HOST_NS" --connect "$HOST_IP4" --port "$P_ST" \
		--role send --size "$stall_bytes" --timeout $((STALL + 90))
	fstream ss-cli "$HOST_NS" --connect 127.0.0.1 --port "$P_SS" \
		--role send --size "$stall_bytes" --timeout $((STALL + 90))
	# Each server stops reading after its first MiB
	wait_running "stalled readers" 20 st-srv ss-srv || return 1
	t_stall=$SECONDS
	wait_until 5 recvq_nonzero "$ns" "$P_ST" || true
	wait_until 5 recvq_nonzero "$ns" "$P_SS" || true
	sleep 1
	info "readers paused, $(recvq "$ns" "$P_ST") (tap) and" \
	     "$(recvq "$ns" "$P_SS") (spliced) bytes unread"
	if [ -s "$TOPO_TMP/st-cli.json" ] || [ -s "$TOPO_TMP/ss-cli.json" ]; then
		tfail "stalled readers: a client could send all of its" \
		      "$stall_bytes bytes to a paused reader (raise" \
		      "FAULTS_STALL_SIZE)"
	fi

	tcp_check tcp_xfer "meanwhile: v4 host addr->-t->ns (tap)" up \
		"$ns" 0.0.0.0 "$P_X" "$HOST_NS" "$HOST_IP4" "$P_X" "$fsize"
	tcp_check tcp_xfer "meanwhile: v4 host lo->-t->ns (spliced)" up \
		"$ns" 0.0.0.0 "$P_X" "$HOST_NS" 127.0.0.1 "$P_X" "$fsize"

	left=$((STALL - (SECONDS - t_stall)))
	[ "$left" -ge 5 ] || left=5
	hz=$(getconf CLK_TCK)
	ticks=$(cpu_ticks_in "$PASTA_PID" "$left")
	pct=$((ticks * 100 / (hz * left)))
	if [ "$((ticks * 10))" -le "$((hz * left))" ]; then
		ok "stalled readers: pasta idle, $ticks CPU ticks in $left s" \
		   "($pct % of a CPU, limit 10 %)"
	else
		tfail "stalled readers: pasta busy, $ticks CPU ticks in $left s" \
		      "($pct % of a CPU, limit 10 %)"
	fi
	info "after $((SECONDS - t_stall)) s: $(recvq "$ns" "$P_ST") (tap) and" \
	     "$(recvq "$ns" "$P_SS") (spliced) bytes unread; reading again"
	if [ -s "$TOPO_TMP/st-cli.json" ] || [ -s "$TOPO_TMP/ss-cli.json" ]; then
		tfail "stalled readers: a client ended during the stall:" \
		      "$(cat "$TOPO_TMP/st-cli.json" "$TOPO_TMP/ss-cli.json" \
			 2>/dev/null)"
	fi
	touch "$resume"
	wait_until 60 test -s "$TOPO_TMP/st-srv.json" || true
	wait_until 60 test -s "$TOPO_TMP/ss-srv.json" || true
	wait_until 10 test -s "$TOPO_TMP/st-cli.json" || true
	wait_until 10 test -s "$TOPO_TMP/ss-cli.json" || true
	tcp_check same_stream "stalled reader, tap: resumed" st-cli st-srv
	tcp_check same_stream "stalled reader, spliced: resumed" ss-cli ss-srv
}
tcp_check stall

# 4. The namespace goes away while transfers run
fserver q-out "$HOST_NS" "$P_Q_OUT" --listen 127.0.0.1 --role send \
	--timeout 60 || true
qsrv=$BG_PID
fstream q-out-cli "$ns" --connect "$GW_IP4" --port "$P_Q_OUT" --role recv \
	--timeout 60
fserver q-in "$ns" "$P_Q_IN" --listen :: --role recv --timeout 60 || true
fstream q-tap "$HOST_NS" --connect "$HOST_IP6" --port "$P_Q_IN" \
	--role send --timeout 60
qtap=$BG_PID
fserver q-in2 "$ns" "$P_Q_IN2" --listen :: --role recv --timeout 60 || true
fstream q-spl "$HOST_NS" --connect ::1 --port "$P_Q_IN2" --role send \
	--timeout 60
qspl=$BG_PID
wait_running "namespace deleted" 20 q-out-cli q-in q-in2 || true
children=$(cat /proc/"$PASTA_PID"/task/*/children 2>/dev/null || true)
info "namespace deleted: pasta's children: ${children:-none}"
for pid in $(ip netns pids "$ns"); do
	[ "$pid" = "$PASTA_PID" ] && continue
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
done
ip netns del "$ns"
t0=$SECONDS
rc=0
if wait_pid_exit "$PASTA_PID" "$QUIT_TIMEOUT"; then
	wait "$PASTA_PID" || rc=$?
	ok "namespace deleted: pasta exited within $((SECONDS - t0 + 1)) s"
	soft assert_eq "$rc" 0 "namespace deleted: pasta's exit status"
else
	tfail "namespace deleted: pasta (PID $PASTA_PID) still running" \
	      "$QUIT_TIMEOUT s after ip netns del"
fi
show_log "$DAEMON_LOG" "pasta log" 5
wait_until 2 test ! -e "$pidfile" || true
soft assert_not_exists "$pidfile" "namespace deleted: PID file removed"
for pid in $PASTA_PID $children; do
	if wait_until 2 pid_gone "$pid"; then
		ok "namespace deleted: no process $pid left"
	else
		tfail "namespace deleted: process $pid ($(cat "/proc/$pid/comm"))" \
		      "still running"
	fi
done
for port in $P_ST $P_SS $P_X $P_Q_IN $P_Q_IN2; do
	if bound "$HOST_NS" tcp "$port"; then
		tfail "namespace deleted: something still listens on port $port"
		ns_run "$HOST_NS" ss -Hltnp "sport = :$port" | sed 's/^/#   /'
	else
		ok "namespace deleted: nothing listens on port $port any more"
	fi
done
for n in q-out q-tap q-spl; do
	wait_until 3 test -s "$TOPO_TMP/$n.json" || true
	info "namespace deleted: host side $n: $(cat "$TOPO_TMP/$n.json" \
		2>/dev/null || echo "still open")"
done
stop "$qsrv"
stop "$qtap"
stop "$qspl"

soft_finish
echo "faults: all checks passed"
