#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# options.sh - every bad option value stops passt / pasta at start-up with
# exit status 1 and exactly one line on stderr naming the bad value (or the
# unknown option), and nothing gets started: no socket file, no command.
# A few valid values are checked too, so that the checks can tell.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

test_start

# run_bad() - LABEL VALUE ARTIFACT CMD...: CMD must fail as a bad option
run_bad() {
	local label=$1 value=$2 artifact=$3 lines

	shift 3
	capture in_host timeout 10 "$@"
	lines=$(line_count "$CAP_ERR")
	if [ "$CAP_RC" != 1 ] || [ "$lines" != 1 ] || ! has_token "$CAP_ERR" "$value"; then
		show_capture
	fi
	assert_eq "$CAP_RC" 1 "$label: exit status"
	assert_eq "$lines" 1 "$label: lines on stderr"
	if has_token "$CAP_ERR" "$value"; then
		ok "$label: stderr names '$value': $CAP_ERR"
	else
		fail "$label: stderr does not name '$value': $CAP_ERR"
	fi
	assert_not_exists "$artifact" "$label: nothing started"
}

n=0

# bad_passt() - VALUE ARGS...: passt -f -s SOCK ARGS... must fail
bad_passt() {
	local value=$1 sock

	shift
	n=$((n + 1))
	sock="$TOPO_TMP/bad$n.sock"
	run_bad "passt $*" "$value" "$sock" "$PASST" -f -s "$sock" "$@"
}

# bad_pasta() - VALUE ARGS...: pasta ARGS... -- touch MARKER must fail
bad_pasta() {
	local value=$1 marker

	shift
	n=$((n + 1))
	marker="$TOPO_TMP/ran$n"
	run_bad "pasta $*" "$value" "$marker" "$PASTA" "$@" -- touch "$marker"
}

# good_pasta() - ARGS...: pasta ARGS... -- true must succeed
good_pasta() {
	capture in_host timeout 20 "$PASTA" "$@" -- true
	if [ "$CAP_RC" != 0 ]; then
		show_capture
	fi
	assert_eq "$CAP_RC" 0 "valid: pasta $* -- true"
}

for tool in passt pasta; do
	bad_$tool bogus --bogus
	bad_$tool 70000 -t 70000
	bad_$tool 2000-1000 -t 2000-1000
	bad_$tool 1000-1010:2000-2005 -t 1000-1010:2000-2005
	bad_$tool 10 -m 10
	bad_$tool 70000 -m 70000
	bad_$tool 300.1.1.1 -a 300.1.1.1
	bad_$tool notanaddress -g notanaddress
	bad_$tool nonexist0 -i nonexist0
	bad_$tool abc --log-size abc
	# Started as root, neither keeps running as root
	bad_$tool 0 --runas 0
	bad_$tool root --runas root
	bad_$tool nobody:root --runas nobody:root
	bad_$tool 65534:0 --runas 65534:0
done

# passt only: socket path longer than sun_path, "auto" port forwarding
long="$TOPO_TMP/"
while [ ${#long} -lt 200 ]; do
	long="${long}s"
done
assert_eq "${#long}" 200 "long socket path length"
run_bad "passt -s <200-character path>" "$long" "$long" "$PASST" -f -s "$long"
bad_passt auto -t auto

# The same options with valid values are accepted
good_pasta -t 1000-1010:2000-2010
good_pasta -t auto
good_pasta -m 1500
good_pasta -m 65520
good_pasta -a "$HOST_IP4" -g "$GW_IP4"
good_pasta -i eth0

echo "options: all checks passed"
