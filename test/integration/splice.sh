#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# splice.sh - pasta's spliced TCP path (tcp_splice.c): connections between
# the host namespace's loopback and pasta's namespace carried socket to
# socket, checked on data (SHA-256 of what was sent and what arrived):
#
# - -t PORT: host 127.0.0.1 / ::1 -> a server in the namespace; -T PORT:
#   namespace 127.0.0.1 / ::1 -> a server on the host namespace's loopback;
#   -T 9000:80 connects to host port 80; 256 MiB (SPLICE_BIG) each way,
#   IPv4 and IPv6
# - half-close both ways: the side that sent FIN still gets the reply
# - a reset from either side reaches the other one after the data sent
#   before it (not a clean end of file)
# - nothing listening behind the forward: the client's connection is
#   reset or closed within 3 s (what it sees is reported)
# - 200 (SPLICE_MANY) concurrent connections, each with its own data
# - 100 connections one after the other: every one spliced, not only the
#   first few
# - back-pressure: with 60 (SPLICE_HOLD) idle connections open, a slow
#   reader in the namespace; pasta waits for it without spinning (under
#   30 % of a CPU), the data it gets is intact
# - where connections arrive: at the namespace's own address (a server on
#   the namespace's loopback only is not reachable), or with
#   --host-lo-to-ns-lo at its loopback (and not at its address)
# - proof of the fast path: pasta -p FILE captures no TCP frame for any
#   of these ports; with --no-splice the same -t transfers still work and
#   their frames do appear in the capture
#
# The main set runs twice: pasta as root attached to a namespace this test
# made (--netns NAME), and pasta as nobody attached to the user and network
# namespaces of a process nobody started (pasta PID); --host-lo-to-ns-lo
# and --no-splice as root.  pasta always runs in the host namespace, with
# --config-net.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

BIG=${SPLICE_BIG:-256M}
MANY=${SPLICE_MANY:-200}
SEQ=${SPLICE_SEQ:-100}
HOLD=${SPLICE_HOLD:-60}
TOOL="$TOPO_ROOT/test/integration/splice_tool.py"
PCAP_TOOL="$TOPO_ROOT/test/integration/splice_pcap.py"

P_T=10100	# -t: transfers
P_T_HC=10101	# -t: half-close
P_T_ECHO=10102	# -t: concurrent connections
P_T_CLOSED=10103 # -t: nothing listens in the namespace
P_T_SEQ=10104	# -t: connections one after the other
P_T_WHERE=10105	# -t: which address of the namespace is reached
P_T_SLOW=10106	# -t: a slow reader in the namespace
P_TT=10200	# -T: transfers
P_TT_HC=10201	# -T: half-close
P_TT_ECHO=10202	# -T: concurrent connections
P_TT_CLOSED=10203 # -T: nothing listens on the host's loopback
T_PORTS="$P_T,$P_T_HC,$P_T_ECHO,$P_T_CLOSED,$P_T_SEQ,$P_T_WHERE,$P_T_SLOW"
TT_PORTS="$P_TT,$P_TT_HC,$P_TT_ECHO,$P_TT_CLOSED,9000:80"
ALL_PORTS="$T_PORTS,$P_TT,$P_TT_HC,$P_TT_ECHO,$P_TT_CLOSED,9000,80"

# ---------------------------------------------------------------- helpers

# pasta_stop() - End the pasta under test (its -t ports are taken)
pasta_stop() {
	stop "$PASTA_PID"
}

# ----------------------------------------------------------------- checks


# abort() - LABEL WHO SNS SBIND PORT CNS CADDR: WHO (server or client)
# sends 100000 bytes, then closes with a reset; the other side must get
# the bytes and then the reset, not a clean end of file
abort() {
	local label=$1 who=$2 sns=$3 sbind=$4 port=$5 cns=$6 caddr=$7 spid
	local smode=abort cmode=expect-reset

	[ "$who" = client ] && smode=expect-reset && cmode=abort
	tcp_server "$label" "$sns" "$TOPO_TMP/abort-srv.log" "$port" \
		"$PYTHON" "$TOOL" server \
		--bind "$sbind" --port "$port" --mode "$smode" --count 1 \
		--timeout 20 --size 100000 || return 1
	spid=$BG_PID
	capture ns_run "$cns" timeout 30 "$PYTHON" "$TOOL" client \
		--connect "$caddr" --port "$port" --mode "$cmode" --timeout 20 \
		--size 100000
	reap "$spid" 10
	if [ "$CAP_RC" = 0 ] && [ "$REAP_RC" = 0 ]; then
		ok "$label: the $who sent 100000 bytes and reset; the other" \
		   "side got the bytes, then the reset"
		return 0
	fi
	show_capture
	show_log "$TOPO_TMP/abort-srv.log" "server"
	tfail "$label: reset not passed on (client $CAP_RC, server $REAP_RC)"
}

# closed() - LABEL NS ADDR PORT: nothing behind the forward.  The
# forwarding socket accepts first, so the client can't get "refused":
# it must be reset or see end of file within 3 s
closed() {
	local label=$1 cns=$2 addr=$3 port=$4

	capture ns_run "$cns" timeout 15 "$PYTHON" "$TOOL" probe \
		--connect "$addr" --port "$port" --max-time 3
	if [ "$CAP_RC" = 0 ]; then
		ok "$label: the client sees: $CAP_OUT s"
		return 0
	fi
	show_capture
	show_log "$DAEMON_LOG" "pasta log" 10
	tfail "$label: expected a reset or close within 3 s, got: $CAP_OUT"
}

# many() - LABEL SNS SBIND PORT CNS CADDR: concurrent connections, each
# with its own data, echoed
many() {
	local label=$1 sns=$2 sbind=$3 port=$4 cns=$5 caddr=$6 spid

	tcp_server "$label" "$sns" "$TOPO_TMP/echo.log" "$port" \
		"$PYTHON" "$TOOL" server --bind "$sbind" --port "$port" \
		--mode echo --timeout 150 || return 1
	spid=$BG_PID
	capture ns_run "$cns" timeout 150 "$PYTHON" "$TOOL" many \
		--connect "$caddr" --port "$port" --conns "$MANY" --size 65536 \
		--timeout 120
	stop "$spid"
	if [ "$CAP_RC" = 0 ]; then
		ok "$label: $MANY concurrent connections, 64 KiB each, all" \
		   "echoed intact ($CAP_OUT)"
		return 0
	fi
	show_capture
	show_log "$DAEMON_LOG" "pasta log" 10
	tfail "$label: not every connection intact"
}

# seq_spliced() - LABEL NS BIND CADDR WANT_PEER: SEQ connections one after
# the other through -t; each must be intact and spliced, that is, seen by
# the server as coming from the namespace's address WANT_PEER (over the
# tap it would come from the gateway)
seq_spliced() {
	local label=$1 sns=$2 bind=$3 caddr=$4 want=$5 peers="$TOPO_TMP/peers"
	local spid n other

	rm -f "$peers"
	tcp_server "$label" "$sns" "$TOPO_TMP/seq.log" "$P_T_SEQ" \
		"$PYTHON" "$TOOL" server \
		--bind "$bind" --port "$P_T_SEQ" --mode hc-client \
		--count "$SEQ" --timeout 60 --size 1000 --reply-size 1000 \
		--peers "$peers" || return 1
	spid=$BG_PID
	capture in_host timeout 70 "$PYTHON" "$TOOL" client --connect "$caddr" \
		--port "$P_T_SEQ" --mode hc-client --size 1000 --reply-size 1000 \
		--repeat "$SEQ" --timeout 10
	reap "$spid" 10
	if [ "$CAP_RC" != 0 ] || [ "$REAP_RC" != 0 ]; then
		show_capture
		show_log "$TOPO_TMP/seq.log" "server"
		tfail "$label: $SEQ connections in a row: not all intact"
		return 1
	fi
	n=$(cut -d' ' -f1 "$peers" | grep -cxF "$want" || true)
	if [ "$n" != "$SEQ" ]; then
		other=$(cut -d' ' -f1 "$peers" | grep -nvxF "$want" | head -n 1)
		tfail "$label: only $n of $SEQ connections in a row spliced" \
		      "(from $want); the first other one, #${other%%:*}, came" \
		      "from ${other#*:}, over the tap"
		show_log "$DAEMON_LOG" "pasta log" 5
		return 1
	fi
	ok "$label: $SEQ connections in a row, all intact, all spliced" \
	   "(seen from $want)"
}

# reach() - LABEL NS BIND CADDR WANT_PEER: which address of the namespace
# a -t connection from the host's loopback reaches.  A server bound to BIND
# only; WANT_PEER: the client address the server must see, or "none": the
# server must get no connection, and the client must be reset or closed
reach() {
	local label=$1 tns=$2 bind=$3 caddr=$4 want=$5 peers="$TOPO_TMP/peers"
	local spid

	rm -f "$peers"
	bg_ns "$tns" "$TOPO_TMP/where.log" "$PYTHON" "$TOOL" server \
		--bind "$bind" --port "$P_T_WHERE" --mode hc-client --count 1 \
		--timeout 20 --size 1000 --reply-size 1000 --peers "$peers"
	spid=$BG_PID
	if ! wait_listen "$tns" "$P_T_WHERE"; then
		tfail "$label: no server on $bind"
		return 1
	fi
	if [ "$want" = none ]; then
		capture in_host timeout 15 "$PYTHON" "$TOOL" probe \
			--connect "$caddr" --port "$P_T_WHERE" --max-time 3
		sleep 0.2
		stop "$spid"
		if [ -s "$peers" ]; then
			tfail "$label: the server on $bind got a connection" \
			      "from $(cat "$peers")"
			return 1
		fi
		if [ "$CAP_RC" != 0 ]; then
			show_capture
			tfail "$label: client not reset or closed within 3 s"
			return 1
		fi
		ok "$label: $caddr -> the server on $bind only: not reached" \
		   "(the client sees: $CAP_OUT s)"
		return 0
	fi
	capture in_host timeout 30 "$PYTHON" "$TOOL" client \
		--connect "$caddr" --port "$P_T_WHERE" --mode hc-client \
		--size 1000 --reply-size 1000 --timeout 20
	reap "$spid" 10
	if [ "$CAP_RC" != 0 ] || [ "$REAP_RC" != 0 ]; then
		show_capture
		show_log "$TOPO_TMP/where.log" "server"
		tfail "$label: $caddr -> the server on $bind only: exchange" \
		      "failed (client $CAP_RC, server $REAP_RC)"
		return 1
	fi
	if [ "$(cut -d' ' -f1 "$peers")" != "$want" ]; then
		tfail "$label: $caddr -> the server on $bind sees the" \
		      "connection from '$(cat "$peers")', expected $want"
		return 1
	fi
	ok "$label: $caddr -> the server on $bind only: reached, from $want," \
	   "data intact"
}

# slow_reader() - LABEL NS: back-pressure.  With HOLD idle connections
# open through -t (as an application keeping a pool would), a sender on
# the host's loopback faces a reader in the namespace that takes 4 KiB
# every 10 ms: pasta must wait for the reader, not spin (its CPU time
# over 3 s of this stays under 30 % of one CPU), and what the reader
# gets must be intact.  Run on a fresh pasta: the idle connections' pipes
# then take the user's whole pipe allowance (fs.pipe-user-pages-soft,
# 64 MiB: 32 connections with two 1 MiB pipes), so that the pipes of
# later connections are as small as the kernel makes them for a user
# over it (two pages), smaller than the size pasta tried to set
slow_reader() {
	local l=$1 ns=$2 epid hpid spid cpid ticks hz pct res

	tcp_server "$l" "$ns" /dev/null "$P_T_ECHO" \
		"$PYTHON" "$TOOL" server --bind 0.0.0.0 \
		--port "$P_T_ECHO" --mode echo --timeout 60 || return 1
	epid=$BG_PID
	bg_host "$TOPO_TMP/hold.log" "$PYTHON" "$TOOL" hold --connect \
		127.0.0.1 --port "$P_T_ECHO" --conns "$HOLD" --timeout 60
	hpid=$BG_PID
	if ! wait_until 20 grep -q "^held" "$TOPO_TMP/hold.log"; then
		stop "$hpid"
		stop "$epid"
		show_log "$TOPO_TMP/hold.log" "hold"
		tfail "$l: could not open $HOLD idle connections"
		return 1
	fi
	tcp_server "$l" "$ns" "$TOPO_TMP/slow.log" "$P_T_SLOW" \
		"$PYTHON" "$TOOL" slow --bind 0.0.0.0 --port "$P_T_SLOW" \
		--size 67108864 --duration 6 --timeout 30 || return 1
	spid=$BG_PID
	bg_host /dev/null "$PYTHON" "$TOOL" send --connect 127.0.0.1 \
		--port "$P_T_SLOW" --size 67108864 --timeout 30
	cpid=$BG_PID
	sleep 1.5
	ticks=$(cpu_ticks_in "$PASTA_PID" 3)
	reap "$spid" 20
	stop "$cpid"
	stop "$hpid"
	stop "$epid"
	res=$(head -n 1 "$TOPO_TMP/slow.log")
	hz=$(getconf CLK_TCK)
	pct=$((ticks * 100 / (3 * hz)))
	if [ "$REAP_RC" != 0 ]; then
		show_log "$TOPO_TMP/slow.log" "slow reader"
		tfail "$l: slow reader: data not intact ($res)"
		return 1
	fi
	if [ "$pct" -ge 30 ]; then
		tfail "$l: slow reader, $HOLD idle connections open: pasta" \
		      "used $pct % of a CPU while waiting for the reader" \
		      "(busy loop; reader: $res)"
		return 1
	fi
	ok "$l: slow reader, $HOLD idle connections open: pasta used" \
	   "$pct % of a CPU while waiting; reader: $res"
}

# pcap_count() - FILE PORTS: set PCAP_JSON, PCAP_MATCH, PCAP_FRAMES
PCAP_JSON=""
PCAP_MATCH=""
PCAP_FRAMES=""
pcap_count() {
	PCAP_JSON=$("$PYTHON" "$PCAP_TOOL" "$1" "$2") || PCAP_JSON=""
	PCAP_MATCH=$(json_get "$PCAP_JSON" match)
	PCAP_FRAMES=$(json_get "$PCAP_JSON" frames)
}

# no_frames() - LABEL FILE PORTS: the capture is valid and shows no TCP
# segment for PORTS
no_frames() {
	pcap_count "$2" "$3"
	if [ -z "$PCAP_JSON" ]; then
		tfail "$1: can't read the capture $2"
		return 1
	fi
	if [ "$PCAP_MATCH" != 0 ]; then
		tcpdump -nr "$2" tcp 2>/dev/null | head -n 5 | sed 's/^/#   /'
		tfail "$1: $PCAP_MATCH TCP frames for the spliced ports on the" \
		      "tap: not spliced ($PCAP_JSON)"
		return 1
	fi
	ok "$1: the capture holds $PCAP_FRAMES frames, no TCP segment for" \
	   "the spliced ports"
}

# suite() - LABEL NS PCAP: everything through a pasta attached to NS with
# -t $T_PORTS -T $TT_PORTS -p PCAP
suite() {
	local l=$1 ns=$2 pcap=$3 dir mode

	# First, while pasta has done nothing yet: see slow_reader()
	tcp_check slow_reader "$l" "$ns"

	for dir in up down; do
		tcp_check tcp_xfer "$l: v4 -t, 127.0.0.1:$P_T" "$dir" "$ns" 0.0.0.0 \
			"$P_T" "$HOST_NS" 127.0.0.1 "$P_T" "$FBIG"
		tcp_check tcp_xfer "$l: v6 -t, [::1]:$P_T" "$dir" "$ns" :: "$P_T" \
			"$HOST_NS" ::1 "$P_T" "$FBIG"
		tcp_check tcp_xfer "$l: v4 -T, 127.0.0.1:$P_TT" "$dir" "$HOST_NS" \
			127.0.0.1 "$P_TT" "$ns" 127.0.0.1 "$P_TT" "$FBIG"
		tcp_check tcp_xfer "$l: v6 -T, [::1]:$P_TT" "$dir" "$HOST_NS" ::1 \
			"$P_TT" "$ns" ::1 "$P_TT" "$FBIG"
	done

	# -T 9000:80: port 9000 in the namespace reaches port 80 on the host
	tcp_check tcp_xfer "$l: v4 -T 9000:80" down "$HOST_NS" 127.0.0.1 80 \
		"$ns" 127.0.0.1 9000 "$F1K"
	tcp_check tcp_xfer "$l: v6 -T 9000:80" up "$HOST_NS" ::1 80 "$ns" ::1 9000 \
		"$F1K"

	for mode in hc-client hc-server; do
		tcp_check hc_check "$l: v4 -t $mode" "$mode" "$ns" 0.0.0.0 \
			"$P_T_HC" "$HOST_NS" 127.0.0.1 "$TOOL"
		tcp_check hc_check "$l: v6 -t $mode" "$mode" "$ns" :: \
			"$P_T_HC" "$HOST_NS" ::1 "$TOOL"
		tcp_check hc_check "$l: v4 -T $mode" "$mode" "$HOST_NS" \
			127.0.0.1 "$P_TT_HC" "$ns" 127.0.0.1 "$TOOL"
		tcp_check hc_check "$l: v6 -T $mode" "$mode" "$HOST_NS" ::1 \
			"$P_TT_HC" "$ns" ::1 "$TOOL"
	done

	for mode in server client; do
		tcp_check abort "$l: v4 -t, $mode resets" "$mode" "$ns" 0.0.0.0 \
			"$P_T_HC" "$HOST_NS" 127.0.0.1
		tcp_check abort "$l: v6 -T, $mode resets" "$mode" "$HOST_NS" ::1 \
			"$P_TT_HC" "$ns" ::1
	done

	tcp_check closed "$l: v4 -t, nothing listening in the namespace" \
		"$HOST_NS" 127.0.0.1 "$P_T_CLOSED"
	tcp_check closed "$l: v6 -t, nothing listening in the namespace" \
		"$HOST_NS" ::1 "$P_T_CLOSED"
	tcp_check closed "$l: v4 -T, nothing listening on the host's loopback" \
		"$ns" 127.0.0.1 "$P_TT_CLOSED"
	tcp_check closed "$l: v6 -T, nothing listening on the host's loopback" \
		"$ns" ::1 "$P_TT_CLOSED"

	tcp_check many "$l: v4 -t" "$ns" 0.0.0.0 "$P_T_ECHO" "$HOST_NS" 127.0.0.1
	tcp_check many "$l: v6 -t" "$ns" :: "$P_T_ECHO" "$HOST_NS" ::1
	tcp_check many "$l: v4 -T" "$HOST_NS" 127.0.0.1 "$P_TT_ECHO" "$ns" \
		127.0.0.1
	tcp_check many "$l: v6 -T" "$HOST_NS" ::1 "$P_TT_ECHO" "$ns" ::1

	tcp_check seq_spliced "$l: v4 -t" "$ns" 0.0.0.0 127.0.0.1 "$HOST_IP4"
	tcp_check seq_spliced "$l: v6 -t" "$ns" :: ::1 "$HOST_IP6"

	# Connections from the host's loopback arrive at the namespace's
	# own address, not at its loopback
	tcp_check reach "$l: v4" "$ns" "$HOST_IP4" 127.0.0.1 "$HOST_IP4"
	tcp_check reach "$l: v4" "$ns" 127.0.0.1 127.0.0.1 none
	tcp_check reach "$l: v6" "$ns" "$HOST_IP6" ::1 "$HOST_IP6"
	tcp_check reach "$l: v6" "$ns" ::1 ::1 none

	pid_alive "$PASTA_PID" || tfail "$l: pasta (PID $PASTA_PID) died"
	tcp_check no_frames "$l: pcap" "$pcap" "$ALL_PORTS"
}

# ------------------------------------------------------------------- test

test_start
topo_unpriv_bin

FBIG=$(tcp_mkfile big "$BIG")
F1K=$(tcp_mkfile kib 1K)
FMID=$(tcp_mkfile mid 4M)
info "test file: $BIG ($(stat -c %s "$FBIG") bytes)"

# pasta as root, attached to a namespace of ours
ns=$(topo_netns_name ns)
pasta_ns "$ns" -t "$T_PORTS" -T "$TT_PORTS" -u none -U none \
	-p "$TOPO_TMP/root.pcap"
suite root "$ns" "$TOPO_TMP/root.pcap"
pasta_stop

# --host-lo-to-ns-lo: at the namespace's loopback, not at its address
ns_lo=$(topo_netns_name lo)
pasta_ns "$ns_lo" --host-lo-to-ns-lo -t "$P_T_WHERE" -T none -u none \
	-U none -p "$TOPO_TMP/lo.pcap"
tcp_check reach "--host-lo-to-ns-lo: v4" "$ns_lo" 127.0.0.1 127.0.0.1 127.0.0.1
tcp_check reach "--host-lo-to-ns-lo: v4" "$ns_lo" "$HOST_IP4" 127.0.0.1 none
tcp_check reach "--host-lo-to-ns-lo: v6" "$ns_lo" ::1 ::1 ::1
tcp_check reach "--host-lo-to-ns-lo: v6" "$ns_lo" "$HOST_IP6" ::1 none
tcp_check no_frames "--host-lo-to-ns-lo: pcap" "$TOPO_TMP/lo.pcap" "$P_T_WHERE"
pasta_stop

# --no-splice: the same -t transfers over the tap, where the capture sees
# them
ns_ns=$(topo_netns_name nosplice)
pasta_ns "$ns_ns" --no-splice -t "$P_T,$P_T_WHERE" -T none -u none \
	-U none -p "$TOPO_TMP/nosplice.pcap"
# Over the tap, the namespace sees the gateway as the peer: what tells
# the checks of seq_spliced() apart
tcp_check reach "--no-splice: v4" "$ns_ns" "$HOST_IP4" 127.0.0.1 "$GW_IP4"
tcp_check reach "--no-splice: v6" "$ns_ns" "$HOST_IP6" ::1 "$GW_IP6"
for dir in up down; do
	tcp_check tcp_xfer "--no-splice: v4 -t" "$dir" "$ns_ns" 0.0.0.0 "$P_T" \
		"$HOST_NS" 127.0.0.1 "$P_T" "$FMID"
	tcp_check tcp_xfer "--no-splice: v6 -t" "$dir" "$ns_ns" :: "$P_T" \
		"$HOST_NS" ::1 "$P_T" "$FMID"
done
pcap_count "$TOPO_TMP/nosplice.pcap" "$P_T"
# 4 x 4 MiB in frames of at most 65520 bytes: 256 data segments at least
if [ -n "$PCAP_MATCH" ] && [ "$PCAP_MATCH" -ge 256 ]; then
	ok "--no-splice: the capture shows the transfers on the tap" \
	   "($PCAP_MATCH TCP frames for port $P_T)"
else
	tfail "--no-splice: expected the transfers' frames in the" \
		"capture, got: ${PCAP_JSON:-an unreadable capture}"
fi
pasta_stop

# pasta as nobody, attached by PID to namespaces nobody made
ns_nb=$(topo_netns_name nobody)
pasta_nobody "$ns_nb" -t "$T_PORTS" -T "$TT_PORTS" -u none -U none \
	-p "$TOPO_TMP/nobody/nobody.pcap"
suite nobody "$ns_nb" "$TOPO_TMP/nobody/nobody.pcap"
pasta_stop

soft_finish
echo "splice: all checks passed"
