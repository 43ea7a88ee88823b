# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/guest/lib.sh - helpers for guest test scripts, installed in the
# initramfs as /lib/guest/lib.sh; /init sources it, a test script does too:
#	. /lib/guest/lib.sh

# result() - KEY VALUE...: report a result to the host (one line)
result() {
	_k=$1
	shift
	echo "GUEST-RESULT $_k=$*"
}

# guest_error() - TEXT...: report an error
guest_error() {
	echo "GUEST-ERROR $*"
}

# guest_uptime() - Print seconds since boot
guest_uptime() {
	cut -d' ' -f1 /proc/uptime
}

# run() - LABEL CMD...: run CMD with a prefix on each output line, keep
# the output in /tmp/LABEL.out and report LABEL_rc; lines CMD prints
# with GUEST- markers are passed through unchanged
run() {
	_l=$1
	shift
	echo "GUEST-CMD $_l: $*"
	"$@" >"/tmp/$_l.out" 2>&1
	_rc=$?
	# Markers CMD prints itself (e.g. the udhcpc script) pass as they are
	sed "/^GUEST-[A-Z]* /!s/^/GUEST-OUT $_l: /" "/tmp/$_l.out"
	result "${_l}_rc" "$_rc"
	return "$_rc"
}

# wait_for() - SECONDS CMD...: poll CMD every 0.2 s, 0 once it succeeds
wait_for() {
	_n=$(($1 * 5))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	"$@"
}
