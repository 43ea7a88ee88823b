# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2034 # variables are for the tests that source this
#
# test/lib/tcp.sh - helpers for the TCP tests and the benchmark: test
# files, checked transfers with socat, a "guest" namespace behind passt
# through the lossy relay, daemon counters (memory, descriptors, CPU)
#
# Needs common.sh (topo_init done).  Checks here don't end the test: they
# print "ok - ..." or "FAIL - ..." (tfail, which counts the failure in
# SOFT_FAILS) and return 0 or 1; tcp_check runs such a check and counts a
# failure it didn't report, so one run reports every broken case;
# soft_finish (assert.sh) fails the test at the end.

TCP_TOOL="$TOPO_ROOT/test/integration/tcp_tool.py"
RELAY="$TOPO_ROOT/test/integration/relay.py"
XFER_TIMEOUT=${XFER_TIMEOUT:-120}

# tcp_check() - CMD...: run a check that returns non-zero on failure,
# count the failure (unless the check counted it already with tfail),
# carry on
tcp_check() {
	local before=$SOFT_FAILS

	if ! "$@" && [ "$SOFT_FAILS" = "$before" ]; then
		SOFT_FAILS=$((SOFT_FAILS + 1))
	fi
}

# tcp_mkfile() - NAME SIZE: random file of SIZE bytes (head -c syntax, e.g.
# 1, 1K, 256M) in the test directory, print its path
tcp_mkfile() {
	local d="$TOPO_TMP/data" f

	mkdir -p "$d"
	chmod 755 "$d"
	f="$d/$1"
	head -c "$2" /dev/urandom >"$f"
	chmod 644 "$f"
	printf '%s\n' "$f"
}

# sha_of() - FILE: print the SHA-256 of FILE
sha_of() {
	sha256sum "$1" | cut -d' ' -f1
}

# is_ip6() - ADDR: true for an IPv6 address
is_ip6() {
	case "$1" in *:*) return 0 ;; esac
	return 1
}

# socat_listen() - BIND PORT: socat listening address
socat_listen() {
	if is_ip6 "$1"; then
		printf 'TCP6-LISTEN:%s,bind=[%s],reuseaddr\n' "$2" "$1"
	else
		printf 'TCP4-LISTEN:%s,bind=%s,reuseaddr\n' "$2" "$1"
	fi
}

# socat_connect() - ADDR PORT: socat connecting address
socat_connect() {
	if is_ip6 "$1"; then
		printf 'TCP6:[%s]:%s\n' "$1" "$2"
	else
		printf 'TCP4:%s:%s\n' "$1" "$2"
	fi
}

# url() - ADDR PORT: ADDR:PORT, [ADDR]:PORT for IPv6
url() {
	if is_ip6 "$1"; then
		printf '[%s]:%s\n' "$1" "$2"
	else
		printf '%s:%s\n' "$1" "$2"
	fi
}

# wait_listen() - NS PORT [TIMEOUT_S]: wait for a listener
wait_listen() {
	wait_until "${3:-10}" bound "$1" tcp "$2"
}

# tcp_server() - LABEL NS LOG PORT CMD...: start the TCP server CMD in NS
# (bg_ns: output to LOG, sets BG_PID) and wait until it listens on PORT;
# if it doesn't, a failed check and status 1
tcp_server() {
	bg_ns "$2" "$3" "${@:5}"
	wait_listen "$2" "$4" && return 0
	tfail "$1: no server on port $4 in $2"
	return 1
}

# reap() - PID TIMEOUT_S: wait for PID to exit, kill it if it doesn't;
# sets REAP_RC to its exit status (124 if it had to be killed)
REAP_RC=0
reap() {
	REAP_RC=0
	if ! wait_pid_exit "$1" "$2"; then
		topo_kill_pid "$1"
		wait "$1" 2>/dev/null || true
		REAP_RC=124
		return 0
	fi
	wait "$1" 2>/dev/null || REAP_RC=$?
}

# DAEMON_LOG (daemon.sh) - log file of the daemon under test, shown when a
# check fails

# tcp_xfer() - LABEL DIR SNS SBIND PORT CNS CADDR CPORT FILE: move FILE over
# one TCP connection and compare checksums
# DIR: down: the server sends FILE, the client receives
#      up:   the client sends FILE, the server receives
# SNS, SBIND, PORT: namespace, address and port the server listens on
# CNS, CADDR, CPORT: namespace of the client and where it connects
tcp_xfer() {
	local label=$1 dir=$2 sns=$3 sbind=$4 port=$5 cns=$6 caddr=$7
	local cport=$8 src=$9 out="$TOPO_TMP/xfer.out" slog="$TOPO_TMP/xfer.slog"
	local clog="$TOPO_TMP/xfer.clog" spid crc srv cli t0 t1 ms size got want

	size=$(stat -c %s "$src")
	rm -f "$out"
	srv=$(socat_listen "$sbind" "$port")
	cli=$(socat_connect "$caddr" "$cport")
	if [ "$dir" = down ]; then
		bg_ns "$sns" "$slog" timeout "$XFER_TIMEOUT" \
			socat -u -b 262144 "OPEN:$src,rdonly" "$srv"
	else
		bg_ns "$sns" "$slog" timeout "$XFER_TIMEOUT" \
			socat -u -b 262144 "$srv" "CREATE:$out"
	fi
	spid=$BG_PID
	if ! wait_listen "$sns" "$port" 10; then
		topo_kill_pid "$spid"
		tfail "$label: server in $sns never listened on port $port"
		return 1
	fi

	t0=$(date +%s%N)
	crc=0
	if [ "$dir" = down ]; then
		ip netns exec "$cns" timeout "$XFER_TIMEOUT" socat -u -b 262144 \
			"$cli" "CREATE:$out" </dev/null >"$clog" 2>&1 || crc=$?
	else
		ip netns exec "$cns" timeout "$XFER_TIMEOUT" socat -u -b 262144 \
			"OPEN:$src,rdonly" "$cli" </dev/null >"$clog" 2>&1 || crc=$?
	fi
	if [ "$crc" = 0 ]; then
		reap "$spid" 30
	else
		# The transfer failed already: don't wait for the server
		stop "$spid"
		REAP_RC=killed
	fi
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))

	want=$(sha_of "$src")
	got=$( [ -f "$out" ] && sha_of "$out" || echo none)
	if [ "$got" = "$want" ] && [ "$crc" = 0 ] && [ "$REAP_RC" = 0 ]; then
		ok "$label: $size bytes $dir, intact (sha256 ${want:0:16}..., $ms ms$(
			[ "$size" -ge 1048576 ] && [ "$ms" -gt 0 ] &&
			printf ', %s MB/s' $((size / 1000 / ms))))"
		rm -f "$out"
		return 0
	fi
	tfail "$label: $dir transfer of $size bytes: client exit $crc," \
	      "server exit $REAP_RC, received $( [ -f "$out" ] &&
	      stat -c %s "$out" || echo no) bytes, sha256 $got, expected $want" \
	      "($ms ms)"
	sed 's/^/#   server: /' "$slog" | head -n 5
	sed 's/^/#   client: /' "$clog" | head -n 5
	[ -n "$DAEMON_LOG" ] && show_log "$DAEMON_LOG" "daemon log" 15
	rm -f "$out"
	return 1
}

# peer_check() - LABEL SNS SBIND PORT CNS CADDR WANT: one exchange to a
# server in SNS, which must see the client's address as WANT ("": only
# log it)
peer_check() {
	local label=$1 sns=$2 sbind=$3 port=$4 cns=$5 caddr=$6 want=$7
	local peers="$TOPO_TMP/peers" spid got

	rm -f "$peers"
	tcp_server "$label" "$sns" "$TOPO_TMP/peer-srv.log" "$port" \
		"$PYTHON" "$TCP_TOOL" server \
		--bind "$sbind" --port "$port" --mode hc-client --count 1 \
		--timeout 30 --peers "$peers" || return 1
	spid=$BG_PID
	capture ns_run "$cns" timeout 40 "$PYTHON" "$TCP_TOOL" client \
		--connect "$caddr" --port "$port" --mode hc-client --size 1000
	reap "$spid" 10
	if [ "$CAP_RC" != 0 ] || [ "$REAP_RC" != 0 ]; then
		show_capture
		show_log "$TOPO_TMP/peer-srv.log" "server"
		tfail "$label: exchange failed (client $CAP_RC, server $REAP_RC)"
		return 1
	fi
	got=$(cut -d' ' -f1 "$peers" 2>/dev/null)
	if [ -z "$want" ]; then
		info "$label: the server sees the connection from $got"
	elif [ "$got" = "$want" ]; then
		ok "$label: the server sees the connection from $want"
	else
		tfail "$label: the server sees the connection from '$got'," \
		      "expected $want"
	fi
}

# hc_check() - LABEL MODE SNS SBIND PORT CNS CADDR [TOOL]: one half-close
# exchange between a server in SNS and a client in CNS, with TOOL
# (tcp_tool.py; splice_tool.py speaks the same); MODE hc-client: the
# client sends 300000 bytes and FIN, then reads the reply; hc-server: the
# server sends them, the client replies
hc_check() {
	local label=$1 mode=$2 sns=$3 sbind=$4 port=$5 cns=$6 caddr=$7
	local tool=${8:-$TCP_TOOL} spid

	tcp_server "$label" "$sns" "$TOPO_TMP/hc-srv.log" "$port" \
		"$PYTHON" "$tool" server \
		--bind "$sbind" --port "$port" --mode "$mode" --count 1 \
		--timeout 60 --size 300000 --reply-size 200000 || return 1
	spid=$BG_PID
	capture ns_run "$cns" timeout 70 "$PYTHON" "$tool" client \
		--connect "$caddr" --port "$port" --mode "$mode" \
		--timeout 60 --size 300000 --reply-size 200000
	reap "$spid" 10
	if [ "$CAP_RC" = 0 ] && [ "$REAP_RC" = 0 ]; then
		if [ "$mode" = hc-client ]; then
			ok "$label: client sent 300000 bytes + FIN, then got the" \
			   "server's 200000-byte reply, intact"
		else
			ok "$label: server sent 300000 bytes + FIN, then got the" \
			   "client's 200000-byte reply, intact"
		fi
		return 0
	fi
	show_capture
	show_log "$TOPO_TMP/hc-srv.log" "server"
	[ -n "$DAEMON_LOG" ] && show_log "$DAEMON_LOG" "daemon log" 15
	tfail "$label: half-close exchange failed (client $CAP_RC," \
	      "server $REAP_RC)"
}

# many_check() - LABEL SNS SBIND PORT CNS CADDR CONNS: CONNS connections
# opened at once to an echo server, then 64 KiB of its own on each, all
# echoed intact.  The server's listen() backlog (tcp_tool.py's, 4096)
# holds the whole burst: when an accept queue overflows by hundreds,
# Linux itself resets some connections (TcpExtSyncookiesFailed), Linux to
# Linux too, so a small backlog makes a check that fails by chance.  The
# overflow paths have their own checks: SYN cookies (tcp_passt.sh), and
# lost handshake segments (tcp_passt_loss.sh).
many_check() {
	local label=$1 sns=$2 sbind=$3 port=$4 cns=$5 caddr=$6 conns=$7 spid

	bg_ns "$sns" "$TOPO_TMP/echo.log" "$PYTHON" "$TCP_TOOL" server \
		--bind "$sbind" --port "$port" --mode echo --timeout 200
	spid=$BG_PID
	if ! wait_listen "$sns" "$port"; then
		tfail "$label: no echo server"
		return 1
	fi
	capture ns_run "$cns" timeout 150 "$PYTHON" "$TCP_TOOL" many \
		--connect "$caddr" --port "$port" --conns "$conns" --size 65536 \
		--timeout 120
	topo_kill_pid "$spid"
	wait "$spid" 2>/dev/null || true
	if [ "$CAP_RC" = 0 ]; then
		ok "$label: $conns concurrent connections, 64 KiB each, all" \
		   "echoed intact ($CAP_OUT)"
		return 0
	fi
	show_capture
	info "server's namespace: $(ns_run "$sns" nstat -az 2>/dev/null |
		awk '$1 == "TcpExtListenOverflows" { print $1, $2 }')"
	[ -n "$DAEMON_LOG" ] && show_log "$DAEMON_LOG" "daemon log" 15
	tfail "$label: not every connection intact"
}

# guest_ns_tap() - NS MTU: create the "guest" namespace NS for passt, with
# an unconfigured tap0 (the relay attaches to it, guest_ns_config sets up
# addresses once it has carrier)
guest_ns_tap() {
	local ns=$1 mtu=$2

	topo_netns_add "$ns"
	ns_run "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
	ns_run "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	ns_run "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0
	ns_run "$ns" sysctl -qw net.ipv6.conf.default.accept_ra=0
	ip -n "$ns" link set lo up
	ip -n "$ns" tuntap add dev tap0 mode tap
	ip -n "$ns" link set tap0 address 02:00:00:00:00:02 mtu "$mtu" up
}

# passt_guest() - NAME ARGS...: passt ARGS on $TOPO_TMP/passt.sock, and a
# "guest" namespace behind it, see guest_behind; sets PASST_PID,
# DAEMON_LOG, GUEST_NS and RELAY_PID
passt_guest() {
	local sock="$TOPO_TMP/passt.sock"

	# passt runs as nobody: let the guest's echo requests through
	# (guest_ns_config checks the path with them)
	in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"
	passt_start "$sock" "$TOPO_TMP/passt.log" "${@:2}"
	DAEMON_LOG="$TOPO_TMP/passt.log"
	guest_behind "$sock" "$1"
}

# guest_behind() - SOCK NAME: a "guest" namespace (topo_netns_name NAME)
# whose tap0 relay.py (log: $TOPO_TMP/relay-NAME.log) attaches to the passt
# listening on SOCK, configured by guest_ns_config; sets GUEST_NS and
# RELAY_PID
GUEST_NS=""
RELAY_PID=""
guest_behind() {
	GUEST_NS=$(topo_netns_name "$2")
	guest_ns_tap "$GUEST_NS" 65520
	bg_ns "$GUEST_NS" "$TOPO_TMP/relay-$2.log" "$PYTHON" "$RELAY" \
		--sock "$1" --tap tap0
	RELAY_PID=$BG_PID
	guest_ns_config "$GUEST_NS"
}

# guest_ns_config() - NS: addresses and default routes on tap0, as DHCP and
# NDP from passt would give them; then one echo request to each gateway so
# that passt knows the guest's MAC address before any port forward
guest_ns_config() {
	local ns=$1

	wait_until 10 topo_link_up "$ns" tap0 ||
		fail "tap0 in $ns has no carrier: relay not attached"
	ip -n "$ns" addr add "$HOST_IP4/24" dev tap0
	ip -n "$ns" addr add "$HOST_IP6/64" dev tap0 nodad
	ip -n "$ns" route add default via "$GW_IP4" dev tap0
	ip -n "$ns" -6 route add default via "$GW_IP6" dev tap0
	ns_run "$ns" ping -4 -c 1 -W 3 "$GW_IP4" >/dev/null 2>&1 ||
		info "guest $ns: no echo reply from $GW_IP4 (carrying on)"
	ns_run "$ns" ping -6 -c 1 -W 3 "$GW_IP6" >/dev/null 2>&1 ||
		info "guest $ns: no echo reply from $GW_IP6 (carrying on)"
}

# daemon_fds() - PID: descriptors PID holds
daemon_fds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# daemon_socks() - PID WHICH NS...: count PID's sockets by the kernel's
# tables of the host namespace and of the namespaces NS (/proc/net/tcp,
# udp, raw, icmp, their IPv6 twins, netlink, unix, packet).  WHICH:
#   unlisted  sockets no table lists: for pasta, its pool of namespace
#             sockets opened in advance for spliced connections (32 per
#             family, SPLICE_POOL_SIZE, refilled by a timer), not bound or
#             connected yet; and sockets of connections the kernel has
#             closed and the daemon hasn't yet
#   ping      ping sockets (listed in icmp, icmp6): echo flows, which
#             close on their own 60 s after their last request
#   held      all of PID's descriptors but those two kinds, counted from
#             the same reading (counts taken one after the other can
#             disagree while the pool is refilled)
# One process reads a namespace's tables: on a loaded machine, one per
# table made a reading take many seconds.
daemon_socks() {
	local pid=$1 which=$2 ns f tables=()

	shift 2
	for f in tcp tcp6 udp udp6 raw raw6 icmp icmp6 netlink unix packet; do
		[ -e "/proc/net/$f" ] && tables+=("/proc/net/$f")
	done
	{
		find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' \
			2>/dev/null |
			sed -e 's/^socket:\[\(.*\)\]$/fd \1/' -e '/^fd /!s/.*/other/'
		for ns in "$HOST_NS" "$@"; do
			# The inode is field 10, 7 in unix, 9 in packet
			# shellcheck disable=SC2016 # awk's, not ours
			ns_run "$ns" awk 'FNR > 1 {
				n = split(FILENAME, p, "/")
				c = p[n] == "unix" ? 7 : p[n] == "packet" ? 9 : 10
				print p[n], $c
			}' "${tables[@]}" 2>/dev/null
		done
	} | awk -v which="$which" '
		$1 == "other" { other++; next }
		$1 == "fd" { fd[$2] = 1; next }
		{ t[$2] = 1 }
		$1 == "icmp" || $1 == "icmp6" { ping[$2] = 1 }
		END {
			n = which == "held" ? other : 0
			for (i in fd) {
				if (which == "unlisted")
					n += !(i in t)
				else if (which == "ping")
					n += i in ping
				else
					n += (i in t) && !(i in ping)
			}
			print n
		}'
}

# daemon_pool_socks() - PID NS...: daemon_socks PID unlisted NS...; the
# descriptors of pasta minus these come back exactly to their rest value
# once its connections are gone
daemon_pool_socks() {
	local pid=$1

	shift
	daemon_socks "$pid" unlisted "$@"
}

# daemon_cpu_ticks() - PID: utime + stime of PID, clock ticks
daemon_cpu_ticks() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# after "comm)": state is field 3, utime 14 and stime 15 of the line
	printf '%s\n' "$stat" | awk '{ print $12 + $13 }'
}

# cpu_ticks_in() - PID SECONDS: print the CPU ticks (utime + stime) PID
# uses over the next SECONDS
cpu_ticks_in() {
	local t0 t1

	t0=$(daemon_cpu_ticks "$1")
	sleep "$2"
	t1=$(daemon_cpu_ticks "$1")
	echo $((t1 - t0))
}

# json_get() - JSON KEY: print a value of a flat JSON object ("" if none);
# KEY may be "a.b" for a nested object
json_get() {
	"$PYTHON" -c '
import json, sys
try:
    v = json.loads(sys.argv[1])
    for k in sys.argv[2].split("."):
        v = v.get(k, "") if isinstance(v, dict) else ""
except ValueError:
    v = ""
print(v if not isinstance(v, (dict, list)) else json.dumps(v))
' "$1" "$2"
}

# stop() - PID: end a background helper, by PID
stop() {
	topo_kill_pid "$1"
	wait "$1" 2>/dev/null || true
}

