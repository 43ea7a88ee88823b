# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2034 # variables are for the tests that source this
#
# test/lib/topo.sh - the integration topology and its clean-up
#
#   router netns                              host netns
#   lo:  203.0.113.1/24, 2001:db8:1::1/64
#   rt0: 198.51.100.1/24  <----- veth ----->  eth0: 198.51.100.2/24
#        2001:db8::1/64                             2001:db8::2/64
#   forwarding on                             default via 198.51.100.1
#                                             default via 2001:db8::1
#
# The host namespace resolves names through 203.0.113.1 / 2001:db8:1::1
# (/etc/netns/NAME/resolv.conf, which ip netns exec mounts over
# /etc/resolv.conf), so nothing ever points at the machine's own resolver.
#
# passt and pasta run only inside the host namespace (in_host).  Names carry
# a per-test tag ($TOPO_TAG, default "pt<pid>") so tests can run side by
# side, and everything a test creates is registered here: topo_cleanup(),
# run from the EXIT trap, kills the registered processes by PID (plus any
# process left inside a namespace the test created), deletes the
# namespaces and the temporary directory, on success and on failure alike.
#
# Usage:
#	. test/lib/assert.sh
#	. test/lib/topo.sh
#	topo_init                        # temp dir, traps
#	topo_setup [--no-default-routes | --no-default-route4 |
#	            --no-default-route6]
#	in_host CMD...   in_router CMD...

TOPO_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOPO_ROOT=$(cd "$TOPO_LIB_DIR/../.." && pwd)
PASST_BIN_DIR=${PASST_BIN_DIR:-$TOPO_ROOT}
PASST="$PASST_BIN_DIR/passt"
PASTA="$PASST_BIN_DIR/pasta"
# Debian's python3 (test/setup.sh installs it), not whatever python3 is
# first on $PATH: a pyenv shim there runs several shell scripts before
# each interpreter (2.8 s against 0.19 s on a loaded machine, and the
# tests start hundreds), and commands in pasta's own namespaces, possibly
# as nobody, couldn't run one under /root anyway
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
UPYTHON=$PYTHON
CLIENT="$TOPO_ROOT/test/integration/passt_client.py"
IPJSON="$TOPO_ROOT/test/integration/ipjson.py"
SRV="$TOPO_ROOT/test/integration/clients_srv.py"

TOPO_TAG=${TOPO_TAG:-pt$$}
HOST_NS="${TOPO_TAG}_host"
ROUTER_NS="${TOPO_TAG}_router"

# Addresses of the topology
HOST_IP4=198.51.100.2
HOST_IP6=2001:db8::2
GW_IP4=198.51.100.1
GW_IP6=2001:db8::1
REMOTE_IP4=203.0.113.1
REMOTE_IP6=2001:db8:1::1
GW_MAC=9a:55:9a:55:9a:55

# Unprivileged user for rootless checks
NOBODY_UID=65534
NOBODY_GID=65534

TOPO_TMP=""
TOPO_NETNS=()
TOPO_PIDS=()
TOPO_PIDFILES=()

# topo_init() - Create the temporary directory and install the traps
topo_init() {
	TOPO_TMP=$(mktemp -d "/tmp/${TOPO_TAG}.XXXXXX")
	chmod 755 "$TOPO_TMP"
	trap topo_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# topo_netns_add() - NAME: create a network namespace, delete it at clean-up
topo_netns_add() {
	ip netns add "$1"
	TOPO_NETNS+=("$1")
}

# topo_netns_name() - SUFFIX: print a namespace name unique to this test
topo_netns_name() {
	printf '%s_%s\n' "$TOPO_TAG" "$1"
}

# topo_track_pid() - PID...: kill these processes at clean-up
topo_track_pid() {
	TOPO_PIDS+=("$@")
}

# topo_track_pidfile() - FILE: kill the daemon whose PID FILE holds
topo_track_pidfile() {
	TOPO_PIDFILES+=("$1")
}

# in_host() - CMD...: run CMD in the host namespace
in_host() {
	ip netns exec "$HOST_NS" "$@"
}

# IN_HOST_NET - command prefix: run in the host network namespace and
# nothing else, unlike in_host (ip netns exec also gives the command a
# mount namespace of its own, with the host namespace's /etc/resolv.conf
# and /sys): for a daemon whose namespaces are compared with the caller's.
# An array, usable with capture and bg_run
IN_HOST_NET=(nsenter "--net=/run/netns/$HOST_NS" --)

# in_router() - CMD...: run CMD in the router namespace
in_router() {
	ip netns exec "$ROUTER_NS" "$@"
}

# ns_run() - NS CMD...: run CMD in the named network namespace
ns_run() {
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

# netns_id() - NAME: print the inode of a named netns
netns_id() {
	stat -L -c %i "/run/netns/$1"
}

# pid_netns_id() - PID: print the inode of the netns of PID
pid_netns_id() {
	stat -L -c %i "/proc/$1/ns/net" 2>/dev/null
}

# topo_setup() - Build host and router namespaces
# --no-default-routes		no default route in the host ns (local mode)
# --no-default-route4		only the IPv6 default route
# --no-default-route6		only the IPv4 default route
# shellcheck disable=SC2120 # options are optional
topo_setup() {
	local route4=1 route6=1 ns opt

	for opt in "$@"; do
		case "$opt" in
		--no-default-routes) route4=0; route6=0 ;;
		--no-default-route4) route4=0 ;;
		--no-default-route6) route6=0 ;;
		*) echo "topo_setup: unknown option $opt" >&2; return 1 ;;
		esac
	done

	topo_netns_add "$ROUTER_NS"
	topo_netns_add "$HOST_NS"

	# ip netns exec bind-mounts /etc/netns/NAME/resolv.conf: the host ns
	# gets the router as its only name server, never the machine's own
	mkdir -p "/etc/netns/$HOST_NS"
	printf 'nameserver %s\nnameserver %s\n' "$REMOTE_IP4" "$REMOTE_IP6" \
		>"/etc/netns/$HOST_NS/resolv.conf"

	for ns in "$ROUTER_NS" "$HOST_NS"; do
		# No duplicate address detection: addresses usable at once
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_ra=0
		ip -n "$ns" link set lo up
	done

	ip -n "$HOST_NS" link add eth0 type veth peer name rt0 netns "$ROUTER_NS"

	ip -n "$ROUTER_NS" addr add "$GW_IP4/24" dev rt0
	ip -n "$ROUTER_NS" addr add "$GW_IP6/64" dev rt0 nodad
	ip -n "$ROUTER_NS" addr add "$REMOTE_IP4/24" dev lo
	ip -n "$ROUTER_NS" addr add "$REMOTE_IP6/64" dev lo nodad
	ip -n "$ROUTER_NS" link set rt0 up
	ip netns exec "$ROUTER_NS" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$ROUTER_NS" sysctl -qw net.ipv6.conf.all.forwarding=1

	ip -n "$HOST_NS" addr add "$HOST_IP4/24" dev eth0
	ip -n "$HOST_NS" addr add "$HOST_IP6/64" dev eth0 nodad
	ip -n "$HOST_NS" link set eth0 up
	if [ "$route4" = 1 ]; then
		ip -n "$HOST_NS" route add default via "$GW_IP4" dev eth0
	fi
	if [ "$route6" = 1 ]; then
		ip -n "$HOST_NS" -6 route add default via "$GW_IP6" dev eth0
	fi

	# Both ends up: the veth has carrier
	if ! wait_until 5 topo_link_up "$HOST_NS" eth0; then
		echo "topo_setup: eth0 in $HOST_NS has no carrier" >&2
		return 1
	fi
	info "topology: host ns $HOST_NS (eth0 $HOST_IP4/24 $HOST_IP6/64," \
	     "default routes v4=$route4 v6=$route6), router ns $ROUTER_NS"
}

# topo_link_up() - NS IFNAME: true if the link is up with carrier
topo_link_up() {
	ip -n "$1" -o link show dev "$2" | grep -q 'state UP'
}

# require_binaries() - Fail the test unless passt and pasta were built
require_binaries() {
	local b
	for b in "$PASST" "$PASTA"; do
		if [ ! -x "$b" ]; then
			fail "binary $b not found or not executable (PASST_BIN_DIR=$PASST_BIN_DIR; run make)"
		fi
	done
}

# topo_unpriv_bin() - Copy the binary where an unprivileged user can run it
#
# Sets UPASST and UPASTA (pasta is a symlink, as in the build tree).
UPASST=""
UPASTA=""
topo_unpriv_bin() {
	local dir="$TOPO_TMP/bin"

	mkdir -p "$dir"
	chmod 755 "$dir"
	cp "$(readlink -f "$PASST")" "$dir/passt"
	chmod 755 "$dir/passt"
	ln -sf passt "$dir/pasta"
	UPASST="$dir/passt"
	UPASTA="$dir/pasta"
}

# nobody_dir() - NAME: create the directory $TOPO_TMP/NAME, of nobody's,
# mode 755, and print its path: where a daemon started as root, which runs
# as nobody by the time it exits, can remove its socket and PID files
nobody_dir() {
	local d="$TOPO_TMP/$1"

	mkdir -p "$d"
	chmod 755 "$d"
	chown "$NOBODY_UID:$NOBODY_GID" "$d"
	printf '%s\n' "$d"
}

# AS_NOBODY - command prefix: run as uid/gid 65534 without supplementary
# groups and without capabilities.  An array, not a function, so that it
# also works after timeout, ip netns exec and in bg_host.
AS_NOBODY=(setpriv --reuid "$NOBODY_UID" --regid "$NOBODY_GID" --clear-groups
	   --inh-caps=-all --)

# bg_run() - LOG CMD...: start CMD (an executable, not a shell function)
# in the background, output to LOG
#
# Sets BG_PID to the PID of CMD itself (ip netns exec and nsenter exec it)
# and registers it for clean-up.
BG_PID=""
bg_run() {
	local log=$1

	shift
	"$@" </dev/null >"$log" 2>&1 &
	BG_PID=$!
	topo_track_pid "$BG_PID"
}

# bg_ns() - NS LOG CMD...: bg_run() in the namespace NS
bg_ns() {
	bg_run "$2" ip netns exec "$1" "${@:3}"
}

# bg_host() - LOG CMD...: bg_ns() in the host namespace
bg_host() {
	bg_ns "$HOST_NS" "$@"
}

# bound() - NS tcp|udp PORT [ADDR]: true if a TCP socket listens, or a UDP
# socket is bound, on PORT in NS (on ADDR exactly, if given)
bound() {
	local opt=-Hltn want=${4:-}

	[ "$2" = udp ] && opt=-Hlun
	case "$want" in *:*) want="[$want]" ;; esac
	ip netns exec "$1" ss "$opt" "sport = :$3" 2>/dev/null |
		awk '{ print $4 }' | grep -qx${want:+F} -- "${want:-.*}:$3"
}

# is_sleep() - PID: true once PID has exec'd sleep (after unshare)
is_sleep() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "sleep" ]
}

# topo_kill_pid() - PID: SIGTERM, then SIGKILL after 2 s, by PID only
topo_kill_pid() {
	local pid=$1 i

	pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 20); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	echo "cleanup: PID $pid ignored SIGTERM, sending SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null || true
	: "$i"
}

# topo_pidfile_pid() - FILE: print the PID in FILE if it runs our binary
topo_pidfile_pid() {
	local pid exe

	pid=$(read_pidfile "$1") || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	case "${exe##*/}" in
	passt* | pasta*) printf '%s\n' "$pid" ;;
	*) return 1 ;;
	esac
}

# topo_cleanup() - Kill what the test started, delete its namespaces
topo_cleanup() {
	local rc=$? pid f ns

	set +e
	trap - EXIT INT TERM HUP

	# A soft check failed and the test went on to exit 0 anyway
	if [ "$rc" = 0 ] && [ "${SOFT_FAILS:-0}" != 0 ]; then
		printf 'FAIL - %s check(s) failed above\n' "$SOFT_FAILS"
		rc=1
	fi

	for pid in "${TOPO_PIDS[@]}"; do
		topo_kill_pid "$pid"
	done
	for f in "${TOPO_PIDFILES[@]}"; do
		pid=$(topo_pidfile_pid "$f") && topo_kill_pid "$pid"
	done
	# Anything still inside a namespace this test made was started by it
	for ns in "${TOPO_NETNS[@]}"; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			echo "cleanup: killing leftover PID $pid in netns $ns" >&2
			topo_kill_pid "$pid"
		done
	done
	for pid in "${TOPO_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "${TOPO_NETNS[@]}"; do
		if [ -e "/run/netns/$ns" ]; then
			ip netns del "$ns" || echo "cleanup: cannot delete netns $ns" >&2
		fi
		if [ -d "/etc/netns/$ns" ]; then
			rm -rf "/etc/netns/$ns"
		fi
	done
	if [ -n "$TOPO_TMP" ] && [ -d "$TOPO_TMP" ]; then
		rm -rf "$TOPO_TMP"
	fi
	exit "$rc"
}
