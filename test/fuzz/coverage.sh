#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/fuzz/coverage.sh - Line coverage of the daemon's files over the fuzz
# corpus: each target built with llvm's source coverage (test/fuzz/cov/)
# runs every input of its corpus (test/fuzz/corpus/TARGET, and what
# fuzzing found in test/fuzz/work/TARGET) once; the profiles are merged
# and llvm-cov prints lines covered per file, for all targets together.
# With FUZZ_COV_PER_TARGET=1 it prints a report per target too.
#
# Usage: test/fuzz/coverage.sh TARGET...

set -eu

cd "$(dirname "$0")/../.."
COV=test/fuzz/cov
PROFDATA=$(command -v llvm-profdata || command -v llvm-profdata-14)
LLVMCOV=$(command -v llvm-cov || command -v llvm-cov-14)
DAEMON_SRCS=""
for f in ./*.c; do
	case "$f" in ./passt.c|./qrap.c) ;; *) DAEMON_SRCS="$DAEMON_SRCS $f" ;; esac
done

# report() - Lines, lines missed and line coverage per file, from llvm-cov
report() {
	awk 'NF >= 10 && $1 != "Filename" {
		printf "%-14s %6s lines %6s missed %8s\n", $1, $8, $9, $10
	}'
}

rm -f "$COV"/*.profraw "$COV"/*.profdata
objs=""
for t in "$@"; do
	bin="$COV/fuzz_$t"
	files=$(find "test/fuzz/corpus/$t" "test/fuzz/work/$t" -type f \
		2>/dev/null || true)
	if [ -z "$files" ]; then
		echo "coverage: no corpus for $t" >&2
		exit 1
	fi
	# One process per batch of inputs, each with its own profile
	echo "$files" | LLVM_PROFILE_FILE="$COV/$t-%p.profraw" \
		xargs -n 500 nice -n 19 "$bin" -runs=1 >/dev/null 2>&1 || {
		echo "coverage: $t failed on its corpus" >&2
		exit 1
	}
	"$PROFDATA" merge -sparse -o "$COV/$t.profdata" "$COV"/"$t"-*.profraw
	if [ "${FUZZ_COV_PER_TARGET:-0}" = 1 ]; then
		echo "== fuzz_$t"
		# shellcheck disable=SC2086
		"$LLVMCOV" report "$bin" -instr-profile="$COV/$t.profdata" \
			$DAEMON_SRCS | report
	fi
	objs="$objs -object $bin"
done

"$PROFDATA" merge -sparse -o "$COV/all.profdata" "$COV"/*-*.profraw
echo "== line coverage over the corpus of: $*"
# shellcheck disable=SC2086
"$LLVMCOV" report ${objs# -object } -instr-profile="$COV/all.profdata" \
	$DAEMON_SRCS | report
