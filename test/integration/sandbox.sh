#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sandbox.sh - what a running passt or pasta is left with once set-up is
# done.  passt and pasta (attached to a namespace, and running a command),
# each started as root and as nobody, started through nsenter --net so that
# they begin in this script's mount, IPC and UTS namespaces, and with a
# descriptor they must not keep: 7, /etc/hostname, inherited from here.
# For each daemon, /proc/PID shows:
#
#   - status: NoNewPrivs 1; CapInh, CapPrm, CapEff, CapBnd, CapAmb all
#     empty; Seccomp 2 (a filter); started as root, no uid or gid 0 left
#     (real, effective, saved, file system); started as nobody, a user
#     namespace of its own where uid and gid 65534 map to themselves
#   - root: an empty directory; ns/mnt, ns/ipc, ns/uts: not this script's
#   - fd: besides 0 to 2, only the daemon's own kinds: epoll, eventfd,
#     signalfd, pidfd, inotify (resolv.conf), sockets, pipes (splicing),
#     the tap (/dev/net/tun), the /proc/net files the automatic port scan
#     reads, resolv.conf and its directory (to follow the host's DNS), and
#     the files and directories named for it: its log file, the
#     directories of its socket and PID file (to remove them at exit) and
#     of the --netns path (to see it go); fd 7 is gone
#
# and so do pasta's namespace brokers, but for the user namespace (they
# join the target's, if any), the descriptors (a socket to pasta) and,
# with --config-net, CAP_NET_ADMIN (over the target namespace, to change
# its addresses and routes as the host's change); no
# process running our binary as root is left among the daemons, their
# children and the processes in this test's network namespaces.
#
# Traffic flows in that state, files checked by SHA-256: through passt
# (a guest namespace behind relay.py: guest -> gateway -> host loopback,
# host loopback -> -t -> guest, an echo request to the gateway: a ping
# socket as nobody, in a user namespace too), and through pasta attached
# to a namespace (namespace -> remote address over the tap; namespace
# loopback -> host loopback, spliced, for a host port that listened before
# pasta started and for one that started listening after, which needs a
# socket opened in the namespace at run time; host loopback -> namespace,
# spliced, for a port the namespace started listening on after start).
#
# At exit: passt removes its socket and PID file from a directory of
# nobody's, started as root or as nobody (it runs as nobody by then); pasta running a command as nobody ends it on SIGTERM; pasta
# started as root can't signal the command, which runs as root, once it
# runs as nobody: the command is left without its tap device (passt.1,
# SIGNALS).
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

test_start
topo_unpriv_bin

# Every process started from here on inherits it
exec 7</etc/hostname

P_OUT=10101		# passt: host loopback server, through the gateway
P_IN_ROOT=10102		# passt as root: -t, server in the guest
P_IN_USER=10103		# passt as nobody: -t, server in the guest
P_REM=10104		# pasta: server on the remote address, over the tap
P_PRE=10105		# pasta -T auto: host loopback, listening before start
P_POST=10106		# pasta -T auto: host loopback, listening after start
P_NS_ROOT=10107		# pasta as root -t auto: server in its namespace
P_NS_USER=10108		# pasta as nobody -t auto: server in its namespace

DATA=$(tcp_mkfile data 1M)
DATA_SHA=$(sha_of "$DATA")
BIN=$(readlink -f "$PASST")
UBIN=$(readlink -f "$UPASST")

# passt runs as nobody: its ping sockets need the group in this range
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"

# file_server() - NS BIND PORT: serve DATA to every client of BIND:PORT
file_server() {
	bg_ns "$1" "$TOPO_TMP/srv-$3.log" socat -U \
		"$(socat_listen "$2" "$3"),fork" "OPEN:$DATA,rdonly"
	wait_listen "$1" "$3" || fail "no file server on port $3 in $1"
}

# fetch_check() - LABEL NS ADDR PORT: a client in NS downloads from
# ADDR:PORT what file_server serves, intact
fetch_check() {
	local out="$TOPO_TMP/fetch.out" got=none

	rm -f "$out"
	capture ns_run "$2" timeout 20 socat -u \
		"$(socat_connect "$3" "$4")" "CREATE:$out"
	[ -f "$out" ] && got=$(sha_of "$out")
	if [ "$CAP_RC" = 0 ] && [ "$got" = "$DATA_SHA" ]; then
		ok "$1: $(stat -c %s "$out") bytes, intact"
	else
		show_capture
		tfail "$1: download from $3:$4 in $2: exit $CAP_RC, sha256" \
		      "$got, expected $DATA_SHA"
	fi
}

# What the daemons keep to follow the host's resolv.conf, and the broker's
# capability set with --config-net: CAP_NET_ADMIN (12) alone
RESOLV=$(readlink -f /etc/resolv.conf)
RESOLV_DIR=$(dirname "$RESOLV")
CAP_NET_ADMIN_ONLY=0000000000001000

# sandbox_check() - PID LABEL root|user|broker PATH...: what /proc/PID
# shows of a running daemon, see the top of this file; PATH: files and
# directories it may hold descriptors of, besides its own kinds.  root:
# started as root; user: as nobody; broker: pasta's broker, which lives in
# the user namespace of pasta's target, if any
sandbox_check() {
	local pid=$1 label=$2 who=$3 ids n fd t bad="" inherited=no p listed
	local want

	shift 3
	soft assert_eq "$(proc_status "$pid" NoNewPrivs)" 1 \
		"$label: NoNewPrivs"
	for n in CapInh CapPrm CapEff CapBnd CapAmb; do
		want=0000000000000000
		if [ "$who" = broker ] && [ "$n" != CapInh ] &&
		   [ "$n" != CapAmb ]; then
			want=$CAP_NET_ADMIN_ONLY
		fi
		soft assert_eq "$(proc_status "$pid" "$n")" "$want" \
			"$label: $n"
	done
	soft assert_eq "$(proc_status "$pid" Seccomp)" 2 \
		"$label: Seccomp (2: a filter)"
	if [ "$who" != user ]; then
		for n in Uid Gid; do
			ids=$(proc_status "$pid" "$n")
			if [ -z "$ids" ] || has_token "$ids" 0; then
				tfail "$label: $n '$ids': root left"
			else
				ok "$label: $n $ids"
			fi
		done
	else
		soft assert_ne "$(readlink "/proc/$pid/ns/user")" \
			"$(readlink "/proc/$$/ns/user")" \
			"$label: a user namespace of its own"
		for n in uid_map gid_map; do
			soft assert_eq "$(xargs <"/proc/$pid/$n")" \
				"$NOBODY_UID $NOBODY_UID 1" \
				"$label: $n maps $NOBODY_UID to itself"
		done
	fi

	soft assert_eq "$(find "/proc/$pid/root/" -mindepth 1 -maxdepth 1 \
		2>&1 | head -n 5 | tr '\n' ' ')" "" \
		"$label: /proc/$pid/root is empty"
	for n in mnt ipc uts; do
		soft assert_ne "$(readlink "/proc/$pid/ns/$n")" \
			"$(readlink "/proc/$$/ns/$n")" "$label: $n namespace"
	done

	n=0
	for fd in "/proc/$pid/fd/"*; do
		t=$(readlink "$fd") || continue
		n=$((n + 1))
		if [ "$t" = /etc/hostname ]; then
			inherited="yes, as ${fd##*/}"
		fi
		if [ "${fd##*/}" -le 2 ]; then
			continue
		fi
		case "$t" in
		"anon_inode:[eventpoll]" | "anon_inode:[eventfd]" | \
		"anon_inode:[signalfd]" | "anon_inode:[pidfd]" | pidfd:* | \
		anon_inode:inotify | "$RESOLV" | "$RESOLV_DIR" | \
		socket:* | pipe:* | /dev/net/tun | /proc/[0-9]*/net/tcp | \
		/proc/[0-9]*/net/tcp6 | /proc/[0-9]*/net/udp | \
		/proc/[0-9]*/net/udp6)
			continue
			;;
		esac
		listed=0
		for p in "$@"; do
			if [ "$t" = "$p" ]; then
				listed=1
			fi
		done
		if [ "$listed" = 0 ]; then
			bad="$bad ${fd##*/}:$t"
		fi
	done
	soft assert_eq "$inherited" no "$label: inherited fd 7 (/etc/hostname)"
	if [ -n "$bad" ]; then
		tfail "$label: unexpected descriptors:$bad"
	else
		ok "$label: $n descriptors, none unexpected"
	fi
}

# root_of_ours() - PID...: print the processes running our binary with a
# uid or gid 0 among PID..., their children and the processes in this
# test's network namespaces
root_of_ours() {
	local ids="" ns p pid ppid nsid exe mine d

	for ns in "${TOPO_NETNS[@]}"; do
		ids="$ids $(netns_id "$ns" 2>/dev/null || true)"
	done
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		if [ "$exe" != "$BIN" ] && [ "$exe" != "$UBIN" ]; then
			continue
		fi
		pid=${p#/proc/}
		ppid=$(daemon_status "$pid" PPid)
		nsid=$(pid_netns_id "$pid" || true)
		mine=0
		for d in "$@"; do
			if [ "$pid" = "$d" ] || [ "$ppid" = "$d" ]; then
				mine=1
			fi
		done
		if [ -n "$nsid" ] && has_token "$ids" "$nsid"; then
			mine=1
		fi
		if [ "$mine" = 1 ] && has_token "$(proc_status "$pid" Uid) \
$(proc_status "$pid" Gid)" 0; then
			printf '%s ' "$pid (PPid $ppid, Uid" \
			       "$(proc_status "$pid" Uid))"
		fi
	done
}

# child_of() - PID: print the first child of PID
child_of() {
	awk '{ print $1 }' "/proc/$1/task/$1/children" 2>/dev/null
}

# broker_of() - PID: print the child of pasta (PID) that is its broker
broker_of() {
	local ch kids=""

	read -r -a kids <"/proc/$1/task/$1/children" || true
	for ch in "${kids[@]}"; do
		if [ "$(cat "/proc/$ch/comm" 2>/dev/null)" = pasta-broker ]; then
			printf '%s\n' "$ch"
			return 0
		fi
	done
	return 1
}

# spawned() - PID: true once pasta (PID) runs its command, sleep
spawned() {
	local ch

	ch=$(child_of "$1")
	[ -n "$ch" ] && is_sleep "$ch"
}

# taps_of() - PID: print the tun and tap devices in the netns of PID
taps_of() {
	nsenter -t "$1" -n ip -o link show type tun 2>/dev/null
}

# no_taps() - PID: true if there's none
no_taps() {
	[ -z "$(taps_of "$1")" ]
}

# --- servers ----------------------------------------------------------------

file_server "$HOST_NS" 127.0.0.1 "$P_OUT"
file_server "$HOST_NS" 127.0.0.1 "$P_PRE"
file_server "$ROUTER_NS" "$REMOTE_IP4" "$P_REM"

# --- the daemons --------------------------------------------------------------

# passt as root and as nobody, files in directories of nobody's
rdir=$(nobody_dir passt-root)
bg_run "$TOPO_TMP/passt-root.log" "${IN_HOST_NET[@]}" "$PASST" -f \
	-s "$rdir/passt.sock" -P "$rdir/passt.pid" -t "$P_IN_ROOT"
PASST_ROOT=$BG_PID
udir=$(nobody_dir passt-nobody)
bg_run "$TOPO_TMP/passt-nobody.log" "${IN_HOST_NET[@]}" "${AS_NOBODY[@]}" \
	"$UPASST" -f -s "$udir/passt.sock" -P "$udir/passt.pid" -t "$P_IN_USER"
PASST_USER=$BG_PID
for f in "$rdir/passt.pid" "$udir/passt.pid"; do
	wait_until 5 read_pidfile "$f" >/dev/null ||
		fail "passt: no PID in $f"
done

# pasta attached to a namespace: as root by name, as nobody by PID
DAEMON_IN=("${IN_HOST_NET[@]}")
NS_ROOT=$(topo_netns_name pr)
pasta_ns "$NS_ROOT"
PASTA_ROOT=$PASTA_PID
LOG_ROOT=$DAEMON_LOG
NS_USER=$(topo_netns_name pu)
pasta_nobody "$NS_USER"
PASTA_USER=$PASTA_PID
LOG_USER=$DAEMON_LOG

# pasta running a command, in the foreground
bg_run "$TOPO_TMP/spawn-root.log" "${IN_HOST_NET[@]}" "$PASTA" --config-net \
	-- sleep 600
SPAWN_ROOT=$BG_PID
bg_run "$TOPO_TMP/spawn-nobody.log" "${IN_HOST_NET[@]}" "${AS_NOBODY[@]}" \
	"$UPASTA" --config-net -- sleep 600
SPAWN_USER=$BG_PID
for pid in "$SPAWN_ROOT" "$SPAWN_USER"; do
	wait_until 10 spawned "$pid" || fail "pasta $pid: no command running"
done
CMD_ROOT=$(child_of "$SPAWN_ROOT")
CMD_USER=$(child_of "$SPAWN_USER")
topo_track_pid "$CMD_ROOT" "$CMD_USER"
info "passt $PASST_ROOT (root), $PASST_USER (nobody); pasta $PASTA_ROOT," \
     "$SPAWN_ROOT (root), $PASTA_USER, $SPAWN_USER (nobody)"

# --- what's left to them --------------------------------------------------------

sandbox_check "$PASST_ROOT" "passt, root" root "$rdir"
sandbox_check "$PASST_USER" "passt, nobody" user "$udir"
sandbox_check "$PASTA_ROOT" "pasta --netns, root" root /run/netns \
	"$TOPO_TMP" "$LOG_ROOT"
sandbox_check "$PASTA_USER" "pasta PID, nobody" user "$TOPO_TMP/nobody" \
	"$LOG_USER"
sandbox_check "$SPAWN_ROOT" "pasta -- sleep, root" root
sandbox_check "$SPAWN_USER" "pasta -- sleep, nobody" user

# pasta's brokers, in the target namespaces, are left with the same: the
# user namespace they joined aside, and a socket to pasta
for pid in "$PASTA_ROOT" "$SPAWN_ROOT" "$PASTA_USER" "$SPAWN_USER"; do
	if b=$(broker_of "$pid"); then
		sandbox_check "$b" "broker of pasta $pid" broker
	else
		tfail "pasta $pid: no broker running"
	fi
done

left=$(root_of_ours "$PASST_ROOT" "$PASST_USER" "$PASTA_ROOT" "$PASTA_USER" \
	"$SPAWN_ROOT" "$SPAWN_USER")
soft assert_eq "$left" "" "no process of our binary runs as root"
soft assert_eq "$(daemon_status "$CMD_ROOT" Uid)" 0 \
	"pasta started as root: its command runs as root"

# --- traffic in that state -----------------------------------------------------

# passt_traffic() - LABEL SOCK PORT: a guest behind passt's SOCK (-t PORT)
passt_traffic() {
	local label=$1 sock=$2 port=$3 g

	guest_behind "$sock" "g$port"
	g=$GUEST_NS
	expect_success "$label: echo reply from the gateway" \
		"$label: no echo reply from the gateway" \
		ns_run "$g" ping -c 1 -W 5 "$GW_IP4"
	fetch_check "$label: guest -> gateway -> host loopback" "$g" \
		"$GW_IP4" "$P_OUT"
	file_server "$g" 0.0.0.0 "$port"
	fetch_check "$label: host loopback -> -t -> guest" "$HOST_NS" \
		127.0.0.1 "$port"
}

passt_traffic "passt, root" "$rdir/passt.sock" "$P_IN_ROOT"
passt_traffic "passt, nobody" "$udir/passt.sock" "$P_IN_USER"

file_server "$HOST_NS" 127.0.0.1 "$P_POST"

# pasta_traffic() - LABEL NS PORT: through pasta attached to NS, whose
# servers listen on PORT
pasta_traffic() {
	local label=$1 ns=$2 port=$3

	fetch_check "$label: namespace -> remote, over the tap" "$ns" \
		"$REMOTE_IP4" "$P_REM"
	fetch_check "$label: namespace loopback -> host loopback (spliced)" \
		"$ns" 127.0.0.1 "$P_PRE"
	if wait_until 5 bound "$ns" tcp "$P_POST"; then
		fetch_check "$label: host port found after start, spliced" \
			"$ns" 127.0.0.1 "$P_POST"
	else
		tfail "$label: host port $P_POST, listening after start, not" \
		      "forwarded into the namespace within 5 s"
	fi
	file_server "$ns" 0.0.0.0 "$port"
	if wait_until 5 bound "$HOST_NS" tcp "$port"; then
		fetch_check "$label: host loopback -> namespace (spliced)" \
			"$HOST_NS" 127.0.0.1 "$port"
	else
		tfail "$label: namespace port $port not forwarded to the host" \
		      "within 5 s"
	fi
}

pasta_traffic "pasta --netns, root" "$NS_ROOT" "$P_NS_ROOT"
pasta_traffic "pasta PID, nobody" "$NS_USER" "$P_NS_USER"

for pid in "$PASST_ROOT" "$PASST_USER" "$PASTA_ROOT" "$PASTA_USER"; do
	pid_alive "$pid" || tfail "daemon $pid exited during the transfers"
done

# --- at exit ------------------------------------------------------------------

for pid in "$PASST_ROOT" "$PASST_USER"; do
	kill -TERM "$pid"
	wait_pid_exit "$pid" 5 || tfail "passt $pid still running after SIGTERM"
done
for f in "$rdir/passt.sock" "$rdir/passt.pid"; do
	soft assert_not_exists "$f" "passt, root: removed at exit"
done
for f in "$udir/passt.sock" "$udir/passt.pid"; do
	soft assert_not_exists "$f" "passt, nobody: removed at exit"
done

kill -TERM "$SPAWN_USER"
if wait_pid_exit "$CMD_USER" 5; then
	ok "pasta -- sleep, nobody: the command ended with pasta"
else
	tfail "pasta -- sleep, nobody: the command outlived pasta"
fi

soft assert_ne "$(taps_of "$CMD_ROOT")" "" \
	"pasta -- sleep, root: a tap device in the command's namespace"
kill -TERM "$SPAWN_ROOT"
wait_pid_exit "$SPAWN_ROOT" 5 || tfail "pasta $SPAWN_ROOT ignored SIGTERM"
if ! pid_alive "$CMD_ROOT"; then
	info "pasta -- sleep, root: the command ended with pasta"
elif wait_until 5 no_taps "$CMD_ROOT"; then
	ok "pasta -- sleep, root: the command, as root, outlived pasta (as" \
	   "nobody), without its tap device"
else
	tfail "pasta -- sleep, root: the command still has its tap device"
fi

soft_finish
echo "sandbox: all checks passed"
