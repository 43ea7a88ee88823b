#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ra_passt.py - wait for an unsolicited router advertisement from passt.

  ra_passt.py SOCKET SECONDS [WANT]

Plays a guest on passt's UNIX socket (passt_client.Conn) that sends
nothing and reads every frame: for each router advertisement (Ethernet,
IPv6, ICMPv6 type 134) it prints what ndp_listen.py prints, with the
same lines for its options.  It prints "listening" once connected, and
exits 0 as soon as an advertisement to the all-nodes group (ff02::1)
arrived (with a line of it starting with the words WANT, or "prefix
WANT", if given), 1 if none did within SECONDS.  Standard library only.
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from ndp_listen import ND_ROUTER_ADVERT, report  # noqa: E402
from passt_client import Conn  # noqa: E402

ETH_P_IPV6 = 0x86DD
IPPROTO_ICMPV6 = 58
ETH_HLEN = 14
IP6_HLEN = 40


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: ra_passt.py SOCKET SECONDS [WANT]", file=sys.stderr)
        return 2
    path, timeout = sys.argv[1], float(sys.argv[2])
    want = sys.argv[3] if len(sys.argv) == 4 else None
    end = time.monotonic() + timeout

    conn = Conn.connect(path, timeout)
    print("listening", flush=True)
    while True:
        try:
            frame = conn.recv_frame(end)
        except EOFError:
            return 1
        if frame is None:
            return 1
        if len(frame) < ETH_HLEN + IP6_HLEN + 16:
            continue
        if struct.unpack("!H", frame[12:14])[0] != ETH_P_IPV6:
            continue
        ip6 = frame[ETH_HLEN:ETH_HLEN + IP6_HLEN]
        msg = frame[ETH_HLEN + IP6_HLEN:]
        if ip6[6] != IPPROTO_ICMPV6 or msg[0] != ND_ROUTER_ADVERT:
            continue
        src = socket.inet_ntop(socket.AF_INET6, ip6[8:24])
        dst = socket.inet_ntop(socket.AF_INET6, ip6[24:40])
        if report(src, dst, ip6[7], msg, want):
            return 0


if __name__ == "__main__":
    sys.exit(main())
