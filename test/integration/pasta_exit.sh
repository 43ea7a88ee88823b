#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pasta_exit.sh - pasta exits with the status of the command it started,
# 128 + N when the command was killed by signal N; as root and as nobody.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

test_start
topo_unpriv_bin

# check_exit() - EXPECTED SCRIPT LABEL RUNNER...
check_exit() {
	local want=$1 script=$2 label=$3

	shift 3
	capture in_host timeout 30 "$@" -- sh -c "$script"
	if [ "$CAP_RC" != "$want" ]; then
		show_capture
	fi
	assert_eq "$CAP_RC" "$want" "$label: pasta -- sh -c '$script' exit status"
}

# shellcheck disable=SC2016 # $$ is for the inner shell
{
check_exit 0 'exit 0' root "$PASTA"
check_exit 7 'exit 7' root "$PASTA"
check_exit 7 'exit 7' "root --config-net" "$PASTA" --config-net
check_exit 137 'kill -9 $$' root "$PASTA"
check_exit 143 'kill -TERM $$' root "$PASTA"
check_exit 7 'exit 7' nobody "${AS_NOBODY[@]}" "$UPASTA"
check_exit 137 'kill -9 $$' nobody "${AS_NOBODY[@]}" "$UPASTA"
}

# The command's output reaches pasta's standard output
capture in_host timeout 30 "$PASTA" -- sh -c 'echo hello-from-ns'
assert_eq "$CAP_RC" 0 "pasta -- echo: exit status"
assert_line "$CAP_OUT" "hello-from-ns" "command output passed through"

echo "pasta_exit: all checks passed"
