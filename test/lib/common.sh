# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/common.sh - what every integration test starts with: the
# assertions (assert.sh), the topology (topo.sh) and the daemons under test
# (daemon.sh), then test_start
#
# Usage, in test/integration/NAME.sh:
#	set -eu
#	# shellcheck source=../lib/common.sh
#	. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
#	test_start [topo_setup options]

COMMON_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/assert.sh
. "$COMMON_LIB_DIR/assert.sh"
# shellcheck source=../lib/topo.sh
. "$COMMON_LIB_DIR/topo.sh"
# shellcheck source=../lib/daemon.sh
. "$COMMON_LIB_DIR/daemon.sh"

# test_start() - [topo_setup options]: temporary directory and clean-up
# traps, check that passt and pasta were built, build the topology
# shellcheck disable=SC2120 # options are optional
test_start() {
	topo_init
	require_binaries
	topo_setup "$@"
}

# srv_start() - NS NAME ARGS...: start clients_srv.py ARGS in NS (a server
# that says when it is ready), log in $TOPO_TMP/NAME.log; wait until it is
# ready
srv_start() {
	local ns=$1 name=$2

	shift 2
	bg_ns "$ns" "$TOPO_TMP/$name.log" "$PYTHON" -u "$SRV" "$@" \
		--ready "$TOPO_TMP/$name.ready"
	wait_until 10 test -e "$TOPO_TMP/$name.ready" ||
		fail "$name server ($*) did not start"
}

# remote_servers() - NAME ADDR: on the router's remote address, a DNS
# server answering NAME with ADDR (A) on port 53, and a banner,
# "hello-from-remote" followed by the client's address, on port 7070
remote_servers() {
	srv_start "$ROUTER_NS" dns dns --bind "$REMOTE_IP4" --port 53 \
		--a "$1=$2"
	srv_start "$ROUTER_NS" remote banner --bind "$REMOTE_IP4" --port 7070 \
		--text hello-from-remote
}

# change() - CMD...: run CMD (a change to the host namespace, for the tests
# that follow it), note the time in T0 for took()
T0=0
change() {
	"$@"
	T0=$(date +%s%N)
}

# took() - Milliseconds since the last change()
took() {
	echo $((($(date +%s%N) - T0) / 1000000))
}
