#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# seccomp.sh - passt and pasta, started as root and as nobody, run their
# event loop under their seccomp filter: /proc/PID/status shows filter mode
# (Seccomp: 2), one filter, no_new_privs.  Under it they keep working and
# end cleanly: pasta moves 1 MiB from the host's loopback to its namespace
# (data checked), passt answers ARP to two guests in a row (the second one
# after the first disconnected); both are alive afterwards and quit on
# SIGTERM, passt with exit status 0.  Any call missing from a list kills
# the daemon with SIGSYS, which fails these checks.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/tcp.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tcp.sh"

test_start
topo_unpriv_bin

P_OUT=10050	# server on the host's loopback, reached through the gateway
fmib=$(tcp_mkfile mib 1M)

# filtered() - LABEL PID: PID runs under one seccomp filter, no_new_privs
filtered() {
	assert_eq "$(daemon_status "$2" Seccomp)" 2 "$1: Seccomp (2: filter)"
	assert_eq "$(daemon_status "$2" Seccomp_filters)" 1 \
		"$1: Seccomp_filters"
	assert_eq "$(daemon_status "$2" NoNewPrivs)" 1 "$1: NoNewPrivs"
}

# pasta_case() - LABEL NS: pasta (PASTA_PID) serving NS: filtered, moves
# data under the filter, still alive, quits on SIGTERM
pasta_case() {
	local label=$1 ns=$2

	filtered "$label" "$PASTA_PID"
	tcp_check tcp_xfer "$label: ns->gateway->host lo" down "$HOST_NS" \
		127.0.0.1 "$P_OUT" "$ns" "$GW_IP4" "$P_OUT" "$fmib"
	if pid_alive "$PASTA_PID"; then
		ok "$label: pasta alive after the transfer"
	else
		fail "$label: pasta (PID $PASTA_PID) died"
	fi
	kill -TERM "$PASTA_PID"
	expect_quit "$PASTA_PID" "$label: SIGTERM"
}

pasta_ns "$(topo_netns_name ns)" -t none -u none -T none -U none
pasta_case "pasta (root)" "$(topo_netns_name ns)"

pasta_nobody "$(topo_netns_name nobody)" -t none -u none -T none -U none
pasta_case "pasta (nobody)" "$(topo_netns_name nobody)"

# passt_case() - LABEL DIR CMD...: passt -f -s DIR/passt.sock, run by CMD,
# answers ARP to two guests in a row under its filter, exits 0 on SIGTERM
passt_case() {
	local label=$1 dir=$2 sock="$2/passt.sock" log="$2/passt.log" i rc=0

	shift 2
	bg_host "$log" "$@" -f -s "$sock"
	PASST_PID=$BG_PID
	wait_until 5 test -S "$sock" || fail "$label: no socket $sock"

	for i in 1 2; do
		capture "$PYTHON" "$CLIENT" arp --sock "$sock" \
			--target "$GW_IP4"
		[ "$CAP_RC" = 0 ] || show_capture
		assert_eq "$CAP_RC" 0 "$label: guest $i: ARP answered"
		[ "$i" = 1 ] && filtered "$label" "$PASST_PID"
	done

	kill -TERM "$PASST_PID"
	if wait_pid_exit "$PASST_PID" 5; then
		wait "$PASST_PID" || rc=$?
		[ "$rc" = 0 ] || show_log "$log" "passt log" all
		assert_eq "$rc" 0 "$label: exit status after SIGTERM"
	else
		fail "$label: passt still running 5 s after SIGTERM"
	fi
}

passt_case "passt (root)" "$TOPO_TMP" "$PASST"

udir="$TOPO_TMP/nobody-passt"
mkdir -m 755 "$udir"
chown "$NOBODY_UID:$NOBODY_GID" "$udir"
passt_case "passt (nobody)" "$udir" "${AS_NOBODY[@]}" "$UPASST"

soft_finish
echo "seccomp: all checks passed"
