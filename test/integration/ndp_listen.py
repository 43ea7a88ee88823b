#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ndp_listen.py - wait for an unsolicited router advertisement.

  ndp_listen.py IFNAME SECONDS [PREFIX/LEN]

Listens on a raw ICMPv6 socket, without soliciting anything, for router
advertisements arriving on IFNAME.  For each one it prints

      ra from SRC to DST hlim N len N

and a line for each prefix information option in it

      prefix PREFIX/LEN valid SECONDS preferred SECONDS

and it exits 0 as soon as one to the all-nodes group (ff02::1) arrived
(with PREFIX/LEN among its prefixes, if given), 1 if none did within
SECONDS.  Standard library only.
"""

import socket
import struct
import sys
import time

ND_ROUTER_ADVERT = 134
IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)
IPV6_RECVHOPLIMIT = getattr(socket, "IPV6_RECVHOPLIMIT", 51)
IPV6_HOPLIMIT = getattr(socket, "IPV6_HOPLIMIT", 52)
ICMP6_FILTER = 1
ND_OPT_PREFIX_INFORMATION = 3


def prefixes(ra):
    """Prefix information options of an advertisement, as text lines"""
    out = []
    off = 16            # ICMPv6 header, hop limit, flags, lifetimes
    while off + 2 <= len(ra):
        otype, olen = ra[off], ra[off + 1] * 8
        if not olen or off + olen > len(ra):
            break
        if otype == ND_OPT_PREFIX_INFORMATION and olen >= 32:
            plen = ra[off + 2]
            valid, pref = struct.unpack("!II", ra[off + 4:off + 12])
            pfx = socket.inet_ntop(socket.AF_INET6, ra[off + 16:off + 32])
            out.append("prefix %s/%d valid %d preferred %d"
                       % (pfx, plen, valid, pref))
        off += olen
    return out


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: ndp_listen.py IFNAME SECONDS [PREFIX/LEN]",
              file=sys.stderr)
        return 2
    ifname, timeout = sys.argv[1], float(sys.argv[2])
    want = sys.argv[3] if len(sys.argv) == 4 else None
    ifindex = socket.if_nametoindex(ifname)

    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE,
                 ifname.encode() + b"\0")
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
    # Block every type but router advertisements (RFC 3542, 3.2)
    blocked = [0xffffffff] * 8
    blocked[ND_ROUTER_ADVERT >> 5] &= ~(1 << (ND_ROUTER_ADVERT & 31))
    s.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER,
                 struct.pack("8I", *blocked))

    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return 1
        s.settimeout(left)
        try:
            data, anc, _, src = s.recvmsg(65536, 256)
        except socket.timeout:
            return 1
        dst, idx, hlim = "?", 0, -1
        for level, ctype, cdata in anc:
            if level != socket.IPPROTO_IPV6:
                continue
            if ctype == IPV6_PKTINFO:
                dst = socket.inet_ntop(socket.AF_INET6, cdata[:16])
                idx = struct.unpack("I", cdata[16:20])[0]
            elif ctype == IPV6_HOPLIMIT:
                hlim = struct.unpack("i", cdata[:4])[0]
        if not data or data[0] != ND_ROUTER_ADVERT or idx != ifindex:
            continue
        print("ra from %s to %s hlim %d len %d"
              % (src[0].split("%")[0], dst, hlim, len(data)), flush=True)
        pfx = prefixes(data)
        for line in pfx:
            print(line, flush=True)
        if dst == "ff02::1" and (not want or any(
                line.split()[1] == want for line in pfx)):
            return 0


if __name__ == "__main__":
    sys.exit(main())
