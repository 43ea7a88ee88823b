# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2034 # variables are for the tests that source this
#
# test/lib/daemon.sh - the daemons under test, started the way the tests
# need them: passt on a UNIX socket (passt_start); pasta attached as root
# to a named namespace (pasta_ns), or as nobody to a process of nobody's in
# user and network namespaces of its own (pasta_nobody); waiting for pasta
# to quit
#
# Needs assert.sh and topo.sh (topo_init done; topo_unpriv_bin for
# pasta_nobody).  They set PASST_PID or PASTA_PID, registered for
# clean-up, and the pasta ones DAEMON_LOG, pasta's log file.
#
# DAEMON_WRAP, an array, is a command prefix for the daemon started by
# passt_start, pasta_ns and pasta_nobody: a command that execs the rest of
# its command line, so that the daemon keeps its PID and its name, e.g.
# DAEMON_WRAP=(prlimit --nofile=64:64).  Empty by default.
#
# DAEMON_IN, an array, is how pasta_ns and pasta_nobody enter the host
# namespace: in_host by default, ("${IN_HOST_NET[@]}") to keep the
# caller's mount namespace.
#
# PASTA_NS_CONF, an array, is how pasta_ns configures the namespace:
# (--config-net) by default, () to leave it to clients in there (DHCP,
# SLAAC).

PASST_PID=""
PASTA_PID=""
DAEMON_LOG=""
DAEMON_WRAP=()
DAEMON_IN=(in_host)
PASTA_NS_CONF=(--config-net)
QUIT_TIMEOUT=${QUIT_TIMEOUT:-5}

# passt_start() - SOCK LOG ARGS...: start passt -f -s SOCK ARGS in the host
# namespace, in the background, output to LOG; fail the test unless the
# socket is there within 5 s.  Sets PASST_PID
passt_start() {
	local sock=$1 log=$2

	shift 2
	bg_host "$log" "${DAEMON_WRAP[@]}" "$PASST" -f -s "$sock" "$@"
	PASST_PID=$BG_PID
	if ! wait_until 5 test -S "$sock"; then
		show_log "$log" "passt log" all
		fail "passt -f -s $sock $* did not create $sock"
	fi
}

# passt_one_off_exit() - PID LOG LABEL: passt --one-off (PID, started by
# passt_start) exits within 5 s of its client leaving, with status 0
passt_one_off_exit() {
	local rc=0

	if wait_pid_exit "$1" 5; then
		ok "$3: passt --one-off exited after the client disconnected"
	else
		show_log "$2" "passt log" all
		fail "$3: passt --one-off still running 5 s after the client" \
		     "disconnected"
	fi
	wait "$1" || rc=$?
	assert_eq "$rc" 0 "$3: passt --one-off exit status"
}

# pasta_wait_pid() - PIDFILE: set PASTA_PID once the PID file holds it
#
# The PID file may still be empty when pasta's foreground process has
# returned (see the report): wait for it, bounded, and say so.
pasta_wait_pid() {
	if ! read_pidfile "$1" >/dev/null; then
		info "PID file $1 still empty after pasta returned; waiting"
		wait_until 5 read_pidfile "$1" >/dev/null ||
			fail "pasta: no PID in $1"
	fi
	PASTA_PID=$(read_pidfile "$1")
	topo_track_pid "$PASTA_PID"
	pid_alive "$PASTA_PID" || fail "pasta (PID $PASTA_PID) not running"
}

# pasta_ns() - NS ARGS...: create the network namespace NS and attach pasta
# (--config-net, or PASTA_NS_CONF) to it from the host namespace, with
# ARGS; the PID must be
# in the PID file by the time pasta returns (a failed check if not)
pasta_ns() {
	local ns=$1 pidfile log

	shift
	pidfile="$TOPO_TMP/pasta-$ns.pid"
	log="$TOPO_TMP/pasta-$ns.log"
	topo_netns_add "$ns"
	ns_run "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
	ns_run "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	topo_track_pidfile "$pidfile"
	capture "${DAEMON_IN[@]}" timeout 20 "${DAEMON_WRAP[@]}" "$PASTA" \
		"${PASTA_NS_CONF[@]}" --netns "$ns" -P "$pidfile" -l "$log" "$@"
	if [ "$CAP_RC" != 0 ]; then
		show_capture
		fail "pasta $* attached to $ns: exit status $CAP_RC"
	fi
	if ! read_pidfile "$pidfile" >/dev/null; then
		tfail "pasta returned before it wrote its PID to $pidfile"
	fi
	pasta_wait_pid "$pidfile"
	DAEMON_LOG=$log
	info "pasta $* attached to netns $ns, PID $PASTA_PID"
}

# holder_unshared() - PID: PID is in a user namespace of its own (unshare
# -Urn makes both namespaces with one unshare(), then runs sleep)
holder_unshared() {
	local id

	id=$(stat -L -c %i "/proc/$1/ns/user" 2>/dev/null) || return 1
	[ "$id" != "$(stat -L -c %i /proc/self/ns/user)" ] &&
		[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$(command -v sleep)")" ]
}

# pasta_nobody() - NS ARGS...: a process of nobody's in new user and
# network namespaces, named NS (ip netns attach) so that the test can run
# servers and clients there; pasta as nobody attached to it by PID
HOLDER_PID=""
pasta_nobody() {
	local ns=$1 d pidfile log

	shift
	d=$(nobody_dir nobody)
	pidfile="$d/pasta-$ns.pid"
	log="$d/pasta-$ns.log"
	bg_host /dev/null "${AS_NOBODY[@]}" unshare -Urn sleep 600
	HOLDER_PID=$BG_PID
	wait_until 5 holder_unshared "$HOLDER_PID" ||
		fail "nobody: unshare -Urn did not create the namespaces"
	ip netns attach "$ns" "$HOLDER_PID"
	TOPO_NETNS+=("$ns")
	if [ "$(netns_id "$ns")" = "$(netns_id "$HOST_NS")" ] ||
	   [ "$(netns_id "$ns")" = "$(stat -L -c %i /proc/self/ns/net)" ] ||
	   [ "$(netns_id "$ns")" != "$(pid_netns_id "$HOLDER_PID")" ]; then
		fail "nobody: netns $ns is not the one of PID $HOLDER_PID"
	fi
	ns_run "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
	ns_run "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	topo_track_pidfile "$pidfile"
	capture "${DAEMON_IN[@]}" timeout 20 "${AS_NOBODY[@]}" "${DAEMON_WRAP[@]}" \
		"$UPASTA" --config-net -P "$pidfile" -l "$log" "$@" "$HOLDER_PID"
	if [ "$CAP_RC" != 0 ]; then
		show_capture
		fail "pasta as nobody $* attached to PID $HOLDER_PID:" \
		     "exit status $CAP_RC"
	fi
	pasta_wait_pid "$pidfile"
	DAEMON_LOG=$log
	info "pasta (nobody) $* attached to PID $HOLDER_PID (netns $ns)," \
	     "PID $PASTA_PID"
}

# expect_quit() - PID LABEL: pasta (PID) exits within QUIT_TIMEOUT seconds
expect_quit() {
	local t0=$SECONDS

	if wait_pid_exit "$1" "$QUIT_TIMEOUT"; then
		ok "$2: pasta exited (within $((SECONDS - t0 + 1)) s)"
	else
		fail "$2: pasta (PID $1) still running after $QUIT_TIMEOUT s"
	fi
}
