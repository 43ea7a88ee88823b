#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck source-path=SCRIPTDIR
#
# test/clients/guest/reconnect.sh - guest side of test/clients/qemu.sh
#
# Runs as /test.sh in the qemu guest: DHCP, then polls the banner server
# on 203.0.113.1:7070 until it says "phase1" (result phase1=ok), then
# until it says "phase2" (the host side has restarted passt and the
# server by then), for phase2_wait seconds at most (kernel command line,
# default 60): result phase2=ok or phase2=timeout, with the banner's
# text.

# shellcheck source=../../guest/lib.sh
. /lib/guest/lib.sh

# banner() - print what the server on 203.0.113.1:7070 says, if anything
banner() {
	timeout 3 nc 203.0.113.1 7070 </dev/null 2>/dev/null
}

# poll() - PHASE SECONDS: poll the banner until it names PHASE
poll() {
	_end=$(($(cut -d. -f1 /proc/uptime) + $2))
	while [ "$(cut -d. -f1 /proc/uptime)" -lt "$_end" ]; do
		_b=$(banner)
		case "$_b" in
		*"$1"*)
			result "$1_banner" "$_b"
			result "$1" ok
			return 0
			;;
		esac
		sleep 0.5
	done
	result "$1" timeout
	return 1
}

run udhcpc udhcpc -i eth0 -f -n -q -t 4 -T 2 -s /lib/guest/udhcpc.script
poll phase1 30 || exit 1
poll phase2 "${phase2_wait:-60}"
