#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rootlesskit.sh - Debian 13's rootlesskit 2, as an unprivileged user,
#
#   rootlesskit --net=pasta --port-driver=implicit
#               --pasta-binary=/opt/passt/pasta --state-dir=DIR CHILD
#
# runs our pasta for its child (trixie tree, lib/clients.sh).  The child
# is a shell that waits for a file and exits 3.  Checks:
#   - the pasta rootlesskit started runs our binary; its argv is shown
#   - the child's interface has an address, a default route and MTU
#   - from the child: TCP to the router namespace's remote address (the
#     banner sees the host's address), DNS through the forwarder address
#     rootlesskit gives pasta (--dns-forward), answered by the host's
#     resolver
#   - a TCP and a UDP server the child's namespace opens (on 0.0.0.0,
#     ports 9090 and 9091) are forwarded without being asked for
#     (implicit port driver: pasta's automatic forwarding): the host's
#     127.0.0.1 and its own address reach them, data checked
#   - clean exit: once the child exits, rootlesskit exits with the
#     child's status (3) and pasta is gone
# Then with pastas broken on purpose: one that exits 1 at once
# (rootlesskit does not notice, but the child's outbound TCP and the
# forwarding checks fail) and one with the UDP forwarding options turned
# to none (the UDP check fails, TCP still works).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest.sh"
# shellcheck source=lib/clients.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/clients.sh"

DNS_NAME=child.example
DNS_ANSWER=192.0.2.54

test_start
tree_start trixie
broken_pastas
remote_servers "$DNS_NAME" "$DNS_ANSWER"

W=$CLIENTS_WORK
head -c 262144 /dev/urandom >"$TOPO_TMP/dl.bin"
DL_SHA=$(sha256sum <"$TOPO_TMP/dl.bin" | cut -d' ' -f1)

capture tree_user rootlesskit --version
show_capture
assert_contains "$CAP_OUT" "rootlesskit version 2." "rootlesskit 2 from the tree"

RLK_PID=""
CHILD=""
# start_rlk() - NAME PASTA: start rootlesskit with PASTA (path in the
# tree); sets RLK_PID, and CHILD once the child runs (empty if it never
# does within 20 s)
start_rlk() {
	local st="/work/home/$1.state"

	tree_user_cmd
	bg_run "$TOPO_TMP/$1.log" "${TREE_USER[@]}" rootlesskit --net=pasta \
		--port-driver=implicit --pasta-binary="$2" --state-dir="$st" \
		sh -c "while [ ! -e /work/$1.done ]; do sleep 0.2; done; exit 3"
	RLK_PID=$BG_PID
	CHILD=""
	if wait_until 20 read_pidfile "$W/home/$1.state/child_pid" >/dev/null; then
		CHILD=$(read_pidfile "$W/home/$1.state/child_pid")
		tree_on_exit "kill -KILL $CHILD"
	fi
}

# stop_rlk() - NAME: let the child exit; set RLK_RC to rootlesskit's exit
# status ("timeout" if it is still running 20 s later)
RLK_RC=""
stop_rlk() {
	touch "$W/$1.done"
	RLK_RC=timeout
	wait_pid_exit "$RLK_PID" 20 || return 0
	RLK_RC=0
	wait "$RLK_PID" || RLK_RC=$?
}

# fwd_tcp() - NS ADDR: download from the child's server through ADDR:9090
fwd_tcp() {
	ns_run "$1" timeout 10 "$PYTHON" "$SRV" tcpx --connect "$2:9090" 2>/dev/null |
		grep -qF "tcpx recv 262144 $DL_SHA"
}

# fwd_udp() - NS ADDR: an answer from the child's UDP server via ADDR:9091
fwd_udp() {
	ns_run "$1" timeout 10 "$PYTHON" "$SRV" udpx --to "$2:9091" \
		--send "u-$1" --retries 1 2>/dev/null | grep -qF "udpx reply echo:u-$1"
}

# child_servers() - the child's TCP and UDP servers, in its namespace;
# sets SRV_PIDS
SRV_PIDS=()
child_servers() {
	local C=(nsenter -t "$CHILD" -n)

	bg_run "$TOPO_TMP/child-tcp.log" "${C[@]}" socat \
		TCP4-LISTEN:9090,reuseaddr,fork OPEN:"$TOPO_TMP/dl.bin",rdonly
	SRV_PIDS=("$BG_PID")
	bg_run "$TOPO_TMP/child-udp.log" "${C[@]}" "$PYTHON" -u "$SRV" udpecho \
		--bind 0.0.0.0 --port 9091
	SRV_PIDS+=("$BG_PID")
}

# stop_servers() - end the child's servers, so that its namespace can go
stop_servers() {
	local pid

	for pid in "${SRV_PIDS[@]}"; do
		topo_kill_pid "$pid"
	done
}

# --- 1. our pasta --------------------------------------------------------------

start_rlk ours /opt/passt/pasta
[ -n "$CHILD" ] || { show_log "$TOPO_TMP/ours.log" rootlesskit all; fail "rootlesskit: the child never ran"; }
ok "rootlesskit runs the child (PID $CHILD)"

check_ours rootlesskit
PASTA_PIDS=$OURS_PIDS

d=$(netinfo_dir child)
netinfo_dump "$d" nsenter -t "$CHILD" -n || fail "cannot read the child's configuration"
netinfo_load "$d" child
ifname=$(printf '%s\n' "$NI_IFACES" | grep -vx lo | head -n 1)
check_link "$ifname" 65520 child
soft assert_contains "$NI_ADDR" "addr $ifname inet " "child: $ifname has an IPv4 address"
soft assert_contains "$NI_ROUTE4" "route default via " "child: IPv4 default route"
dns=$(sed -n 's/^nameserver //p' "$TREE_DIR/etc/resolv.conf" | head -n 1)
fwd=$(tr '\0' '\n' <"/proc/${PASTA_PIDS%%$'\n'*}/cmdline" | sed -n 's/^--dns-forward=//p')
info "rootlesskit gave pasta --dns-forward=$fwd"

C=(nsenter -t "$CHILD" -n)
capture "${C[@]}" timeout 20 "$PYTHON" "$SRV" get --connect "$REMOTE_IP4:7070"
show_capture
soft assert_contains "$CAP_OUT" "hello-from-remote peer=$HOST_IP4:" \
	"child: outbound TCP to $REMOTE_IP4 leaves from the host's address"
capture "${C[@]}" timeout 20 "$PYTHON" "$SRV" dnsq --server "$fwd" --name "$DNS_NAME"
show_capture
soft assert_line "$CAP_OUT" "dnsq answer $DNS_ANSWER" \
	"child: DNS via the forwarder $fwd answered by the host's resolver"
: "$dns"

child_servers
if wait_until 15 fwd_tcp "$HOST_NS" 127.0.0.1; then
	ok "host 127.0.0.1:9090 reaches the child's TCP server (download SHA-256)"
else
	tfail "host 127.0.0.1:9090 never reached the child's TCP server"
fi
if wait_until 15 fwd_tcp "$ROUTER_NS" "$HOST_IP4"; then
	ok "router -> $HOST_IP4:9090 reaches the child's TCP server (download SHA-256)"
else
	tfail "router -> $HOST_IP4:9090 never reached the child's TCP server"
fi
if wait_until 15 fwd_udp "$HOST_NS" 127.0.0.1; then
	ok "host 127.0.0.1:9091 (UDP) reaches the child's UDP server (echo)"
else
	tfail "host 127.0.0.1:9091 (UDP) never reached the child's UDP server"
fi

stop_servers
stop_rlk ours
assert_eq "$RLK_RC" 3 "rootlesskit exits with the child's status"
for pid in $PASTA_PIDS; do
	expect_quit "$pid" "after rootlesskit"
done
assert_eq "$(pastas_in_host)" "" "no pasta left after rootlesskit exited"

# --- 2. broken on purpose ---------------------------------------------------------

# rootlesskit starts pasta --foreground and does not wait for it: the
# child runs all the same, without a network
start_rlk exit1 /work/exit1/pasta
if [ -z "$CHILD" ]; then
	ok "broken (pasta exits 1): rootlesskit fails, the child never runs"
	show_log "$TOPO_TMP/exit1.log" rootlesskit 5
else
	show_log "$TOPO_TMP/exit1.log" rootlesskit 5
	capture nsenter -t "$CHILD" -n timeout 20 "$PYTHON" "$SRV" get \
		--connect "$REMOTE_IP4:7070" --timeout 3
	soft assert_not_contains "$CAP_OUT" "hello-from-remote" \
		"broken (pasta exits 1): the child's outbound TCP check fails"
	child_servers
	if wait_until 5 fwd_tcp "$HOST_NS" 127.0.0.1; then
		tfail "broken (pasta exits 1): the forwarding check passed"
	else
		ok "broken (pasta exits 1): the forwarding check fails, as it must"
	fi
	stop_servers
	stop_rlk exit1
fi

start_rlk noudp /work/noudp/pasta
[ -n "$CHILD" ] || fail "broken (no UDP): rootlesskit: the child never ran"
child_servers
if wait_until 15 fwd_tcp "$HOST_NS" 127.0.0.1; then
	ok "broken (no UDP): TCP forwarding still works"
else
	tfail "broken (no UDP): TCP forwarding should work"
fi
if fwd_udp "$HOST_NS" 127.0.0.1; then
	tfail "broken (no UDP): the UDP check passed with UDP forwarding dropped"
else
	ok "broken (no UDP): the UDP check fails, as it must"
fi
stop_servers
stop_rlk noudp

soft_finish
