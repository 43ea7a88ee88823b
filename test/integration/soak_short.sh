#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# soak_short.sh - a short run of the soak test (test/soak.sh, "make soak")
# in "make check": SOAK_SHORT_TIME (45) seconds of mixed traffic at once
# through pasta's tap, pasta's spliced path and passt (TCP bulk, request
# and response, connections opened and closed, UDP, ping, both
# directions), every transfer checked; the daemons' descriptors must not
# grow and come back once the TCP traffic ends, their VmRSS not grow by
# more than SOAK_RSS_SLACK_KB; a table per daemon.  About 75 s.
#
# Environment:
#   SOAK_SHORT_TIME   seconds of traffic (45)
#   and those of test/soak.sh but SOAK_TIME
#
# shellcheck source-path=SCRIPTDIR
set -eu

SOAK_TIME=${SOAK_SHORT_TIME:-45}
export SOAK_TIME
exec bash "$(dirname "${BASH_SOURCE[0]}")/../soak.sh"
