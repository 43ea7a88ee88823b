# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/assert.sh - assertions and helpers for the integration tests
#
# Every assertion prints one "ok - ..." line when it holds and otherwise
# prints "FAIL - ..." with the expected and actual values and exits the
# test with status 1 (the EXIT trap from topo.sh then cleans up).  Never
# call an assertion inside $(...): the exit would only leave the subshell.

# info() - Print a progress line
info() {
	printf '# %s\n' "$*"
}

# ok() - Record a check that held
ok() {
	printf 'ok - %s\n' "$*"
}

# fail() - Report a failed check and end the test
fail() {
	printf 'FAIL - %s\n' "$*"
	exit 1
}

# assert_eq() - ACTUAL EXPECTED DESCRIPTION
assert_eq() {
	if [ "$1" = "$2" ]; then
		ok "$3 (= $2)"
	else
		fail "$3: expected '$2', got '$1'"
	fi
}

# assert_ne() - ACTUAL UNEXPECTED DESCRIPTION
assert_ne() {
	if [ "$1" != "$2" ]; then
		ok "$3 ('$1' != '$2')"
	else
		fail "$3: got '$1', which must not be"
	fi
}

# assert_contains() - HAYSTACK NEEDLE DESCRIPTION (fixed string)
assert_contains() {
	case "$1" in
	*"$2"*) ok "$3 (contains '$2')" ;;
	*) fail "$3: '$2' not found in: $(printf '%s' "$1" | head -c 2000)" ;;
	esac
}

# assert_not_contains() - HAYSTACK NEEDLE DESCRIPTION (fixed string)
assert_not_contains() {
	case "$1" in
	*"$2"*) fail "$3: '$2' must not appear in: $(printf '%s' "$1" | head -c 2000)" ;;
	*) ok "$3 (no '$2')" ;;
	esac
}

# has_token() - TEXT VALUE: VALUE occurs in TEXT, not glued to a letter or
# digit on either side (so "10" does not match inside "2010")
has_token() {
	local hay=$1 n=$2 pre post a b

	while [[ $hay == *"$n"* ]]; do
		pre=${hay%%"$n"*}
		post=${hay#*"$n"}
		a=${pre: -1}
		b=${post:0:1}
		if [[ ! $a =~ [[:alnum:]] ]] && [[ ! $b =~ [[:alnum:]] ]]; then
			return 0
		fi
		hay=$post
	done
	return 1
}

# assert_token() - TEXT VALUE DESCRIPTION: has_token() as an assertion
assert_token() {
	if has_token "$1" "$2"; then
		ok "$3 (names '$2')"
	else
		fail "$3: '$2' not named in: $(printf '%s' "$1" | head -c 2000)"
	fi
}

# assert_line() - TEXT LINE DESCRIPTION: TEXT has a line exactly equal to LINE
assert_line() {
	if printf '%s\n' "$1" | grep -qxF -- "$2"; then
		ok "$3 ('$2')"
	else
		fail "$3: no line '$2' in:
$1"
	fi
}

# assert_no_line() - TEXT LINE DESCRIPTION: no line of TEXT equals LINE
assert_no_line() {
	if printf '%s\n' "$1" | grep -qxF -- "$2"; then
		fail "$3: line '$2' must not be present in:
$1"
	else
		ok "$3 (no '$2')"
	fi
}

# assert_no_line_matching() - TEXT ERE DESCRIPTION
assert_no_line_matching() {
	if printf '%s\n' "$1" | grep -qE -- "$2"; then
		fail "$3: a line matches /$2/ in:
$1"
	else
		ok "$3 (nothing matches /$2/)"
	fi
}

# assert_exists() - PATH DESCRIPTION
assert_exists() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		ok "$2 ($1 exists)"
	else
		fail "$2: $1 does not exist"
	fi
}

# assert_not_exists() - PATH DESCRIPTION
assert_not_exists() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		fail "$2: $1 exists but must not"
	else
		ok "$2 ($1 absent)"
	fi
}

# file_state() - PATH: print what is at PATH, for before/after comparisons:
# type, mode, links, owner and inode, without following a symbolic link
# (its target instead), and the SHA-256 of a regular file; "missing" if
# there's nothing
file_state() {
	local s

	s=$(stat -c '%F %a %h %u %i' "$1" 2>&1) || s="missing"
	if [ -L "$1" ]; then
		s="$s -> $(readlink "$1")"
	elif [ -f "$1" ]; then
		s="$s $(sha256sum <"$1" | cut -d' ' -f1)"
	fi
	printf '%s\n' "$s"
}

# line_count() - Print the number of lines of TEXT (0 for empty text)
line_count() {
	if [ -z "$1" ]; then
		echo 0
	else
		printf '%s\n' "$1" | wc -l | tr -d ' '
	fi
}

# capture() - Run CMD..., set CAP_RC, CAP_OUT, CAP_ERR; never trips set -e
#
# Output goes through files, not pipes, so a daemon that keeps the
# descriptors open cannot make this hang.
CAP_RC=0
CAP_OUT=""
CAP_ERR=""
capture() {
	local out err
	out=$(mktemp "${TOPO_TMP:-/tmp}/cap.out.XXXXXX")
	err=$(mktemp "${TOPO_TMP:-/tmp}/cap.err.XXXXXX")
	CAP_RC=0
	"$@" >"$out" 2>"$err" </dev/null || CAP_RC=$?
	CAP_OUT=$(cat "$out")
	CAP_ERR=$(cat "$err")
	rm -f "$out" "$err"
}

# show_capture() - Print the last captured output, indented, for the log
show_capture() {
	printf '  [exit %s]\n' "$CAP_RC"
	if [ -n "$CAP_OUT" ]; then
		printf '%s\n' "$CAP_OUT" | head -n 40 | sed 's/^/  stdout: /'
	fi
	if [ -n "$CAP_ERR" ]; then
		printf '%s\n' "$CAP_ERR" | head -n 40 | sed 's/^/  stderr: /'
	fi
}

# wait_until() - TIMEOUT_S CMD...: poll CMD every 0.1 s, 0 once it succeeds
wait_until() {
	local tries=$(($1 * 10))
	shift
	while [ "$tries" -gt 0 ]; do
		if "$@"; then
			return 0
		fi
		sleep 0.1
		tries=$((tries - 1))
	done
	"$@"
}

# pid_alive() - PID: true if the process exists and is not a zombie
pid_alive() {
	local stat state
	[ -n "$1" ] || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	state=${stat##*) }
	state=${state%% *}
	[ "$state" != "Z" ] && [ "$state" != "X" ]
}

# proc_status() - PID FIELD: print the value of a /proc/PID/status field,
# whole (e.g. "65534 65534 65534 65534" for Uid: real, effective, saved and
# file system user ID)
proc_status() {
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ +/, ""); print }' \
		"/proc/$1/status" 2>/dev/null
}

# daemon_status() - PID FIELD: print the first value of a /proc/PID/status
# field: in kB for the memory ones, the real ID for Uid and Gid.  Not
# /proc/PID's owner: a daemon that isn't dumpable shows as root's there
daemon_status() {
	proc_status "$1" "$2" | awk '{ print $1 }'
}

# pid_gone() - PID: negation of pid_alive(), for wait_until
pid_gone() {
	! pid_alive "$1"
}

# wait_pid_exit() - PID TIMEOUT_S: 0 once PID has exited, 1 on timeout
wait_pid_exit() {
	wait_until "$2" pid_gone "$1"
}

# read_pidfile() - FILE: print the PID in FILE (digits only) or nothing
read_pidfile() {
	local pid=""
	if [ -r "$1" ]; then
		pid=$(tr -d ' \n\t' <"$1")
	fi
	case "$pid" in
	'' | *[!0-9]*) return 1 ;;
	esac
	printf '%s\n' "$pid"
}

# SOFT_FAILS - checks that failed without ending the test (tfail, soft);
# soft_finish() fails the test if there are any, and so does topo.sh's
# clean-up for a test that exits 0 without calling it
SOFT_FAILS=0

# tfail() - Report a failed check without ending the test, count it in
# SOFT_FAILS; returns 0 so that a check may end with it under set -e
tfail() {
	printf 'FAIL - %s\n' "$*"
	SOFT_FAILS=$((SOFT_FAILS + 1))
	return 0
}

# expect_success() - OK_TEXT FAIL_TEXT CMD...: capture CMD; a check that
# holds (OK_TEXT) if it exits 0, else a failed one (FAIL_TEXT, tfail)
expect_success() {
	local good=$1 bad=$2

	shift 2
	capture "$@"
	if [ "$CAP_RC" = 0 ]; then
		ok "$good"
	else
		show_capture
		tfail "$bad"
	fi
}

# show_log() - FILE LABEL [LINES]: print the last LINES (default 30, "all"
# for the whole file) of a log, indented
show_log() {
	local lines=${3:-30}

	[ -s "$1" ] || return 0
	if [ "$lines" = all ]; then
		info "$2 ($1):"
		sed 's/^/#   /' "$1"
	else
		info "$2 (last lines of $1):"
		tail -n "$lines" "$1" | sed 's/^/#   /'
	fi
}

# soft() - ASSERTION...: run an assertion without ending the test on
# failure; soft_finish() then fails the test if any soft assertion failed
soft() {
	if ! ("$@"); then
		SOFT_FAILS=$((SOFT_FAILS + 1))
	fi
}

# soft_finish() - Fail the test if a soft() assertion failed
soft_finish() {
	if [ "$SOFT_FAILS" != 0 ]; then
		fail "$SOFT_FAILS check(s) failed above"
	fi
}
