#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-integration.sh - run the integration tests (test/integration/*.sh)
#
# Usage: test/run-integration.sh [NAME...]
#
# Runs every test (or only those named, e.g. "pasta_basic") in file name
# order, prints its output indented, then "PASS name" or "FAIL name", and
# at the end "N passed, N failed".  Exits non-zero if any test failed.
# Must run as root.
#
# Environment:
#   PASST_BIN_DIR   directory holding passt and pasta (default: repo root)
#   TEST_TIMEOUT    seconds one test may take (default: 300)
#   TEST_DIR        directory of the tests (default: test/integration;
#                   make check-clients gives test/clients)
set -eu

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "run-integration.sh: must run as root" >&2
	exit 2
fi

PASST_BIN_DIR=$(cd "${PASST_BIN_DIR:-$root}" && pwd)
export PASST_BIN_DIR
timeout_s=${TEST_TIMEOUT:-300}
test_dir=$(cd "${TEST_DIR:-$here/integration}" && pwd)

for b in passt pasta; do
	if [ ! -x "$PASST_BIN_DIR/$b" ]; then
		echo "run-integration.sh: warning: $PASST_BIN_DIR/$b missing;" \
		     "tests will fail" >&2
	fi
done

logdir=$(mktemp -d /tmp/passt-integration.XXXXXX)
trap 'rm -rf "$logdir"' EXIT

passed=0
failed=0
failed_names=""
index=0

# selected() - NAME: true if NAME was asked for (or nothing was)
selected() {
	local want

	[ "$#" -gt 1 ] || return 0
	for want in "${@:2}"; do
		[ "$want" = "$1" ] && return 0
	done
	return 1
}

# leftover_netns() - TAG: print namespaces named after TAG still present
leftover_netns() {
	ip netns list 2>/dev/null | awk '{ print $1 }' | grep -E "^$1_" || true
}

for t in "$test_dir"/*.sh; do
	name=$(basename "$t" .sh)
	selected "$name" "$@" || continue
	index=$((index + 1))
	tag="pti$$n$index"
	log="$logdir/$name.log"

	echo "=== $name"
	start=$SECONDS
	rc=0
	TOPO_TAG=$tag timeout -k 30 "$timeout_s" bash "$t" </dev/null >"$log" 2>&1 || rc=$?
	sed 's/^/    /' "$log"
	if [ "$rc" = 124 ]; then
		echo "    (timed out after ${timeout_s} s)"
	fi

	# A test must leave no namespace behind, even when it fails
	leaked=$(leftover_netns "$tag")
	if [ -n "$leaked" ]; then
		echo "    leaked network namespaces: $(echo "$leaked" | tr '\n' ' ')"
		for ns in $leaked; do
			for pid in $(ip netns pids "$ns" 2>/dev/null); do
				kill -KILL "$pid" 2>/dev/null || true
			done
			ip netns del "$ns" 2>/dev/null || true
			rm -rf "/etc/netns/$ns"
		done
		[ "$rc" != 0 ] || rc=1
	fi

	if [ "$rc" = 0 ]; then
		echo "PASS $name ($((SECONDS - start)) s)"
		passed=$((passed + 1))
	else
		echo "FAIL $name (exit $rc, $((SECONDS - start)) s)"
		failed=$((failed + 1))
		failed_names="$failed_names $name"
	fi
done

if [ $((passed + failed)) = 0 ]; then
	echo "run-integration.sh: no test selected" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

if [ -n "$failed_names" ]; then
	echo "failed:$failed_names"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
