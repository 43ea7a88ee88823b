#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt_pcap.sh - passt -p FILE captures the frames of both directions in
# a libpcap file (linktype Ethernet) that tcpdump reads.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

test_start

sock="$TOPO_TMP/pcap.sock"
pcap="$TOPO_TMP/capture.pcap"
record="$TOPO_TMP/exchange.json"
passt_start "$sock" "$TOPO_TMP/passt.log" -p "$pcap"
ppid=$PASST_PID

capture "$PYTHON" "$CLIENT" arp --sock "$sock" --sequential --record "$record" \
	--target "$GW_IP4" --target "$REMOTE_IP4"
show_capture
assert_eq "$CAP_RC" 0 "two ARP exchanges"

kill -TERM "$ppid"
wait_pid_exit "$ppid" 5 || fail "passt still running 5 s after SIGTERM"
wait "$ppid" || true
assert_exists "$pcap" "pcap file written"

capture "$PYTHON" "$CLIENT" pcapcheck --pcap "$pcap" --record "$record"
show_capture
assert_eq "$CAP_RC" 0 "pcap holds both requests and both replies, byte for byte, in order"

if command -v tcpdump >/dev/null 2>&1; then
	capture tcpdump -nn -e -r "$pcap"
	show_capture
	assert_eq "$CAP_RC" 0 "tcpdump -r reads the capture"
	assert_contains "$CAP_OUT" "Request who-has $GW_IP4 tell $HOST_IP4" "tcpdump decodes the request"
	assert_contains "$CAP_OUT" "Reply $GW_IP4 is-at $GW_MAC" "tcpdump decodes the reply"
	assert_contains "$CAP_OUT" "Reply $REMOTE_IP4 is-at $GW_MAC" "tcpdump decodes the second reply"
else
	echo "SKIP - tcpdump not installed: tcpdump -r check NOT run"
fi

echo "passt_pcap: all checks passed"
