#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ndp_listen.py - wait for an unsolicited router advertisement.

  ndp_listen.py IFNAME SECONDS [WANT]

Listens on a raw ICMPv6 socket, without soliciting anything, for router
advertisements arriving on IFNAME.  It prints "listening" once the socket
is ready, then for each one

      ra from SRC to DST hlim N len N
      router lifetime SECONDS

a line for each prefix information option in it

      prefix PREFIX/LEN valid SECONDS preferred SECONDS

and one for each address of its RDNSS options (RFC 8106)

      rdnss ADDR lifetime SECONDS

and one for each domain of its DNSSL options (RFC 8106, 5.2)

      dnssl DOMAIN lifetime SECONDS

and it exits 0 as soon as one to the all-nodes group (ff02::1) arrived
(with a line of it starting with the words WANT, or "prefix WANT", if
given: a bare PREFIX/LEN is a prefix), 1 if none did within SECONDS.  Standard
library only.
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
ND_OPT_RDNSS = 25
ND_OPT_DNSSL = 31


def domains(data):
    """Domain names in DNSSL option data (RFC 1035, 3.1 encoding, no
    compression), up to the padding"""
    names, labels, i = [], [], 0
    while i < len(data):
        n = data[i]
        i += 1
        if not n:
            if not labels:
                break           # Padding
            names.append(".".join(labels))
            labels = []
            continue
        labels.append(data[i:i + n].decode("ascii", "replace"))
        i += n
    return names


def options(ra):
    """Router lifetime, prefix information, RDNSS and DNSSL options of an
    advertisement, as text lines"""
    out = []
    if len(ra) >= 8:
        out.append("router lifetime %d" % struct.unpack("!H", ra[6:8]))
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
        if otype == ND_OPT_RDNSS and olen >= 24:
            life = struct.unpack("!I", ra[off + 4:off + 8])[0]
            for a in range(off + 8, off + olen - 15, 16):
                out.append("rdnss %s lifetime %d" % (socket.inet_ntop(
                    socket.AF_INET6, ra[a:a + 16]), life))
        if otype == ND_OPT_DNSSL and olen >= 16:
            life = struct.unpack("!I", ra[off + 4:off + 8])[0]
            for name in domains(ra[off + 8:off + olen]):
                out.append("dnssl %s lifetime %d" % (name, life))
        off += olen
    return out


def wanted(lines, want):
    """Does an advertisement printed as LINES have a line starting with the
    words WANT, or "prefix WANT"?  Any does, if WANT is None"""
    return not want or any((line + " ").startswith(w + " ")
                           for line in lines
                           for w in (want, "prefix " + want))


def report(src, dst, hlim, ra, want):
    """Print an advertisement RA from SRC to DST; True if it's the one
    awaited: to all nodes, and wanted() if WANT is given"""
    print("ra from %s to %s hlim %d len %d" % (src, dst, hlim, len(ra)),
          flush=True)
    lines = options(ra)
    for line in lines:
        print(line, flush=True)
    return dst == "ff02::1" and wanted(lines, want)


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: ndp_listen.py IFNAME SECONDS [WANT]",
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
    print("listening", flush=True)

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
        if report(src[0].split("%")[0], dst, hlim, data, want):
            return 0


if __name__ == "__main__":
    sys.exit(main())
