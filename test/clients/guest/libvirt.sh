#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck source-path=SCRIPTDIR
#
# test/clients/guest/libvirt.sh - guest side of test/clients/libvirt.sh
#
# Runs as /test.sh in the guest libvirt started: DHCP, then the banner
# servers in the router namespace (203.0.113.1:7070) and on the host's
# loopback (through the gateway address, 198.51.100.1:7071), each reported
# as a result; then serves "guest-port-forward" on TCP port 22 (the
# domain's <portForward> maps the host's 2222 to it), reports
# listening=1 and stays up until virsh destroy.

# shellcheck source=../../guest/lib.sh
. /lib/guest/lib.sh

run udhcpc udhcpc -i eth0 -f -n -q -t 4 -T 2 -s /lib/guest/udhcpc.script
result remote "$(timeout 5 nc 203.0.113.1 7070 </dev/null 2>&1)"
result host "$(timeout 5 nc 198.51.100.1 7071 </dev/null 2>&1)"
(while :; do echo guest-port-forward | nc -l -p 22; done) >/dev/null 2>&1 &
result listening 1
sleep 600
