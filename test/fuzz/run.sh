#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/fuzz/run.sh - Run the libFuzzer targets, one after the other
#
# Each target fuzzes for FUZZ_SECONDS (default 15), at the lowest CPU
# priority, from its corpus in the tree (test/fuzz/corpus/TARGET) with
# its dictionary (test/fuzz/dict/TARGET.dict, frames.dict for every target
# fed frames) if there is one. New inputs go to test/fuzz/work/TARGET,
# never to the tree; a crash or a failed invariant leaves its input as
# test/fuzz/work/TARGET-crash-* and fails the run, after the other targets
# ran. FUZZ_JOBS (default 1) runs that many
# fuzzing processes per target in parallel, for long runs.
#
# With --merge, nothing is fuzzed: what test/fuzz/work/ holds that adds
# coverage is copied into the corpus in the tree.
#
# Usage: test/fuzz/run.sh [--merge] TARGET...

set -eu

cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-15}
# libFuzzer's temporary files (the merge's control file), where fuzz_stream,
# which gets a /tmp of its own, sees them too: under test/fuzz/work, or
# under /var/tmp for a tree that is itself under /tmp
case "$(pwd)/" in
/tmp/*)
	TMPDIR=$(mktemp -d /var/tmp/passt-fuzz.XXXXXX)
	trap 'rm -rf "$TMPDIR"' EXIT
	;;
*)
	TMPDIR="$(pwd)/test/fuzz/work/tmp"
	mkdir -p "$TMPDIR"
	;;
esac
export TMPDIR
JOBS=${FUZZ_JOBS:-1}
MERGE=0
if [ "${1:-}" = "--merge" ]; then
	MERGE=1
	shift
fi

# max_len() - Longest input for a target: frames of any size where it
# takes frames, a command line or a port list otherwise
max_len() {
	case "$1" in
	frames|stream|flow)	echo 140000 ;;
	services)		echo 70000 ;;
	*)			echo 4096 ;;
	esac
}

# dict_of() - Dictionary of a target: frames' for every target fed frames
dict_of() {
	case "$1" in
	stream|services)	echo frames ;;
	*)			echo "$1" ;;
	esac
}

# count() - Files in a directory
count() {
	find "$1" -type f | wc -l
}

failed=""
total=0
for t in "$@"; do
	bin="test/fuzz/fuzz_$t"
	corpus="test/fuzz/corpus/$t"
	work="test/fuzz/work/$t"
	log="test/fuzz/work/$t.log"
	mkdir -p "$work" "$corpus"

	if [ "$MERGE" = 1 ]; then
		nice -n 19 "$bin" -merge=1 -max_len="$(max_len "$t")" \
			"$corpus" "$work" >"$log" 2>&1 || {
			echo "fuzz_$t: merge failed, see $log" >&2
			failed="$failed $t"
			continue
		}
		echo "fuzz_$t: corpus now $(count "$corpus") inputs"
		continue
	fi

	dict=""
	par=""
	[ "$JOBS" -gt 1 ] && par="-jobs=$JOBS -workers=$JOBS"
	d=$(dict_of "$t")
	[ -f "test/fuzz/dict/$d.dict" ] && dict="-dict=test/fuzz/dict/$d.dict"
	rc=0
	# shellcheck disable=SC2086
	nice -n 19 "$bin" -max_total_time="$SECONDS_EACH" \
		-max_len="$(max_len "$t")" -timeout=20 -print_final_stats=1 \
		-artifact_prefix="test/fuzz/work/$t-" $dict $par \
		"$work" "$corpus" >"$log" 2>&1 || rc=$?
	# With jobs, libFuzzer copies each job's log (fuzz-N.log) into its
	# own output as the job ends: don't add them again, or every
	# execution is counted twice
	if [ "$JOBS" -gt 1 ]; then
		rm -f fuzz-*.log
	fi

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		awk '{ s += $1 } END { print s + 0 }')
	total=$((total + execs))
	echo "fuzz_$t: $execs executions in ${SECONDS_EACH} s," \
	     "corpus $(count "$corpus") + $(count "$work") new," \
	     "exit status $rc"
	if [ "$rc" -ne 0 ] || ls "test/fuzz/work/$t-"crash-* \
		"test/fuzz/work/$t-"leak-* "test/fuzz/work/$t-"timeout-* \
		>/dev/null 2>&1; then
		grep -B2 -A30 'INVARIANT FAILED\|ERROR: \|SUMMARY' "$log" |
			head -60 >&2
		ls "test/fuzz/work/$t-"* >&2 2>/dev/null || true
		failed="$failed $t"
	fi
done

[ "$MERGE" = 1 ] || echo "fuzz: $total executions in all"
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed" >&2
	exit 1
fi
