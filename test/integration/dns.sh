#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dns.sh - --dns-forward: DNS queries (UDP and TCP, port 53) the namespace
# sends to the --dns-forward address reach the host's resolver, and the
# answer comes back from that address, port 53; checked on the answers'
# contents and on the logs of the DNS servers that got the queries:
#
# - --dns-host 127.0.0.1 / ::1: a server on the host namespace's loopback
#   (test.example A 192.0.2.77, AAAA 2001:db8:77::77)
# - no --dns-host: the first name server of the host namespace's
#   resolv.conf, the router's 203.0.113.1 / 2001:db8:1::1 (test.example
#   A 192.0.2.78, AAAA 2001:db8:78::78)
# - IPv4 (--dns-forward 169.254.1.1) and IPv6 (--dns-forward fd00::53),
#   A and AAAA queries over each
# - without --dns-forward, a query to 169.254.1.1 or fd00::53 gets no
#   answer and reaches none of our servers; with it, port 5353 at the
#   forward address isn't redirected, and the router's own address still
#   reaches the router
# - rootless: pasta as nobody
#
# The DNS servers and clients are test/integration/dns_tool.py (standard
# library only: it builds and parses the messages itself).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

DNS_TOOL="$TOPO_ROOT/test/integration/dns_tool.py"

FWD4=169.254.1.1
FWD6=fd00::53
NAME=test.example
HOST_A=192.0.2.77
HOST_AAAA=2001:db8:77::77
ROUTER_A=192.0.2.78
ROUTER_AAAA=2001:db8:78::78
OTHER_A=192.0.2.79		# servers on port 5353
NO_FWD=(-t none -T none -u none -U none)	# no port forwarding at all

test_start
topo_unpriv_bin

LOG_HOST="$TOPO_TMP/dns-host.log"
LOG_ROUTER="$TOPO_TMP/dns-router.log"
LOG_5353="$TOPO_TMP/dns-5353.log"
touch "$LOG_HOST" "$LOG_ROUTER" "$LOG_5353"
chmod 644 "$LOG_HOST" "$LOG_ROUTER" "$LOG_5353"

# dns_server() - NS LOG PORT A AAAA ADDR...: start a DNS server on ADDRs
dns_server() {
	local ns=$1 log=$2 port=$3 a=$4 aaaa=$5 addr
	local -a binds=()

	shift 5
	for addr in "$@"; do binds+=(--bind "$addr"); done
	ip netns exec "$ns" "$PYTHON" "$DNS_TOOL" server "${binds[@]}" \
		--port "$port" --name "$NAME" --a "$a" --aaaa "$aaaa" \
		--log "$log" --timeout 280 </dev/null >"$log.out" 2>&1 &
	topo_track_pid $!
	for addr in "$@"; do
		if ! wait_until 10 bound "$ns" udp "$port" "$addr" ||
		   ! wait_until 10 bound "$ns" tcp "$port" "$addr"; then
			show_log "$log.out" "DNS server"
			fail "DNS server on $addr port $port in $ns did not start"
		fi
	done
}

# hostport() - ADDR PORT: ADDR:PORT, [ADDR]:PORT for IPv6
hostport() {
	case "$1" in
	*:*) printf '[%s]:%s\n' "$1" "$2" ;;
	*) printf '%s:%s\n' "$1" "$2" ;;
	esac
}

# query_id() - Print the query ID from the last captured query output
query_id() {
	printf '%s\n' "$CAP_OUT" | sed -n 's/^query id \([0-9]*\) .*/\1/p' |
		head -n 1
}

# logged() - LOG PROTO ID TYPE: true if the server LOG has that query
logged() {
	grep -qE "^$2 [^ ]+ [0-9]+ $3 $NAME $4\$" "$1"
}

# dns_check() - LABEL NS SERVER udp|tcp A|AAAA WANT_ADDR WANT_LOG [RUN...]
# Query SERVER:53 from NS, the answer must hold WANT_ADDR; the query must
# be in WANT_LOG (the server that answered), and in no other log
dns_check() {
	local label=$1 cns=$2 server=$3 proto=$4 type=$5 want=$6 wlog=$7
	local id qtype=1 l other=""
	local -a tcp=()

	shift 7
	[ "$proto" = tcp ] && tcp=(--tcp)
	[ "$type" = AAAA ] && qtype=28
	if [ "$#" = 0 ]; then
		set -- ns_run "$cns" timeout 20 "$PYTHON" "$DNS_TOOL"
	fi
	capture "$@" query --server "$server" --name "$NAME" --type "$type" \
		--expect "$want" --timeout 5 "${tcp[@]}"
	if [ "$CAP_RC" != 0 ]; then
		show_capture
		show_log "$DAEMON_LOG" "pasta log" 5
		tfail "$label: $type $NAME over $proto to $server: no good answer"
		return 0
	fi
	id=$(query_id)
	# The server logs before it answers, so the line is there by now
	if ! logged "$wlog" "$proto" "$id" "$qtype"; then
		tfail "$label: query $id not in $wlog"
		return 0
	fi
	for l in "$LOG_HOST" "$LOG_ROUTER" "$LOG_5353"; do
		[ "$l" = "$wlog" ] && continue
		logged "$l" "$proto" "$id" "$qtype" && other="$other $l"
	done
	if [ -n "$other" ]; then
		tfail "$label: query $id also reached$other"
		return 0
	fi
	ok "$label: $type $NAME over $proto to $(hostport "$server" 53)" \
	   "answered $want, from there, by $(basename "$wlog" .log)"
}

# noanswer_check() - LABEL NS SERVER PORT udp|tcp: no answer, and the query
# reached none of our servers
noanswer_check() {
	local label=$1 cns=$2 server=$3 port=$4 proto=$5 id l
	local -a tcp=()

	[ "$proto" = tcp ] && tcp=(--tcp)
	capture ns_run "$cns" timeout 20 "$PYTHON" "$DNS_TOOL" query \
		--server "$server" --port "$port" --name "$NAME" --timeout 2 \
		"${tcp[@]}"
	case "$CAP_RC" in
	2 | 3) ;;
	*)
		show_capture
		tfail "$label: expected no answer over $proto from $server" \
		      "port $port (exit $CAP_RC)"
		return 0
		;;
	esac
	id=$(query_id)
	for l in "$LOG_HOST" "$LOG_ROUTER" "$LOG_5353"; do
		if logged "$l" "$proto" "$id" 1; then
			tfail "$label: query $id reached $l"
			return 0
		fi
	done
	ok "$label: no answer over $proto from $(hostport "$server" "$port")," \
	   "no server of ours saw the query ($(printf '%s' "$CAP_OUT" |
	   tail -n 1))"
}

# DNS servers: the host's loopback, the router's remote addresses (the
# host namespace's resolv.conf), and port 5353 on both
dns_server "$HOST_NS" "$LOG_HOST" 53 "$HOST_A" "$HOST_AAAA" 127.0.0.1 ::1
dns_server "$ROUTER_NS" "$LOG_ROUTER" 53 "$ROUTER_A" "$ROUTER_AAAA" \
	"$REMOTE_IP4" "$REMOTE_IP6"
dns_server "$HOST_NS" "$LOG_5353" 5353 "$OTHER_A" "$HOST_AAAA" 127.0.0.1
info "host namespace's resolv.conf: $(tr '\n' ' ' <"/etc/netns/$HOST_NS/resolv.conf")"

# --dns-host: the host's loopback
ns=$(topo_netns_name lo)
pasta_ns "$ns" "${NO_FWD[@]}" --dns-forward "$FWD4" --dns-forward "$FWD6" \
	--dns-host 127.0.0.1 --dns-host ::1
for proto in udp tcp; do
	dns_check "--dns-host 127.0.0.1, v4" "$ns" "$FWD4" "$proto" A \
		"$HOST_A" "$LOG_HOST"
	dns_check "--dns-host 127.0.0.1, v4" "$ns" "$FWD4" "$proto" AAAA \
		"$HOST_AAAA" "$LOG_HOST"
	dns_check "--dns-host ::1, v6" "$ns" "$FWD6" "$proto" A \
		"$HOST_A" "$LOG_HOST"
	dns_check "--dns-host ::1, v6" "$ns" "$FWD6" "$proto" AAAA \
		"$HOST_AAAA" "$LOG_HOST"
done
# The queries came from the host's loopback
assert_contains "$(cut -d' ' -f2 "$LOG_HOST" | sort -u | tr '\n' ' ')" \
	"127.0.0.1 ::1" "--dns-host: the host's server saw queries from its loopback"
# Only port 53 is redirected; other addresses are left alone
noanswer_check "--dns-forward $FWD4: port 5353 isn't DNS" "$ns" "$FWD4" \
	5353 udp
noanswer_check "--dns-forward $FWD4: port 5353 isn't DNS" "$ns" "$FWD4" \
	5353 tcp
dns_check "--dns-forward $FWD4: the router's own address" "$ns" \
	"$REMOTE_IP4" udp A "$ROUTER_A" "$LOG_ROUTER"
dns_check "--dns-forward $FWD6: the router's own address" "$ns" \
	"$REMOTE_IP6" tcp A "$ROUTER_A" "$LOG_ROUTER"
pid_alive "$PASTA_PID" || tfail "pasta (PID $PASTA_PID) died"

# No --dns-host: the first name server in resolv.conf, the router's
ns=$(topo_netns_name rc)
pasta_ns "$ns" "${NO_FWD[@]}" --dns-forward "$FWD4" \
	--dns-forward "$FWD6"
for proto in udp tcp; do
	dns_check "resolv.conf ($REMOTE_IP4), v4" "$ns" "$FWD4" "$proto" A \
		"$ROUTER_A" "$LOG_ROUTER"
	dns_check "resolv.conf ($REMOTE_IP6), v6" "$ns" "$FWD6" "$proto" AAAA \
		"$ROUTER_AAAA" "$LOG_ROUTER"
done
# The router saw them from the host's own addresses
peers=$(cut -d' ' -f2 "$LOG_ROUTER" | sort -u | tr '\n' ' ')
assert_contains "$peers" "$HOST_IP4" "resolv.conf: the router saw $HOST_IP4"
assert_contains "$peers" "$HOST_IP6" "resolv.conf: the router saw $HOST_IP6"

# Without --dns-forward, the forward addresses are just addresses (with no
# route at the router): no answer, from anybody
ns=$(topo_netns_name none)
pasta_ns "$ns" "${NO_FWD[@]}"
for proto in udp tcp; do
	noanswer_check "no --dns-forward, v4" "$ns" "$FWD4" 53 "$proto"
	noanswer_check "no --dns-forward, v6" "$ns" "$FWD6" 53 "$proto"
done

# Rootless: pasta as nobody runs the queries in its own namespaces
for proto in udp tcp; do
	dns_check "rootless, --dns-host 127.0.0.1" "" "$FWD4" "$proto" A \
		"$HOST_A" "$LOG_HOST" \
		in_host timeout 30 "${AS_NOBODY[@]}" "$UPASTA" --config-net \
		"${NO_FWD[@]}" --dns-forward "$FWD4" \
		--dns-host 127.0.0.1 -- "$UPYTHON" "$DNS_TOOL"
	dns_check "rootless, resolv.conf, v6" "" "$FWD6" "$proto" A \
		"$ROUTER_A" "$LOG_ROUTER" \
		in_host timeout 30 "${AS_NOBODY[@]}" "$UPASTA" --config-net \
		"${NO_FWD[@]}" --dns-forward "$FWD6" \
		-- "$UPYTHON" "$DNS_TOOL"
done

soft_finish
echo "dns: all checks passed"
