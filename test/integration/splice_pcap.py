#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""splice_pcap.py - count the TCP segments for given ports in a pcap file

Usage: splice_pcap.py FILE PORT[,PORT...]

Reads a classic libpcap file (as written by passt/pasta -p: Ethernet link
type, micro- or nanosecond timestamps, either byte order) and prints one
JSON object:

  {"frames": N, "ipv4": N, "ipv6": N, "tcp": N, "match": N,
   "match_ports": {"PORT": N, ...}, "truncated": false}

"match" counts the TCP segments (IPv4 or IPv6, after any IPv6 extension
headers) whose source or destination port is one of PORTs.  A capture that
is cut off in the middle of a frame (the daemon still writing) is reported
with "truncated": true; what came before is counted.

Exit status: 0 if the file could be read, 2 if it isn't a pcap file.
Standard library only.
"""

import json
import struct
import sys

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86dd
ETH_P_8021Q = 0x8100
IPPROTO_TCP = 6
IPV6_EXT = {0, 43, 60}		# hop-by-hop, routing, destination options
IPPROTO_FRAGMENT = 44


def tcp_ports(frame):
    """(family, sport, dport) of a TCP segment in an Ethernet frame"""
    if len(frame) < 14:
        return None, None
    off = 12
    (ethertype,) = struct.unpack_from("!H", frame, off)
    off += 2
    while ethertype == ETH_P_8021Q and len(frame) >= off + 4:
        (ethertype,) = struct.unpack_from("!H", frame, off + 2)
        off += 4

    if ethertype == ETH_P_IP:
        if len(frame) < off + 20:
            return 4, None
        ihl = (frame[off] & 0x0f) * 4
        proto = frame[off + 9]
        (frag,) = struct.unpack_from("!H", frame, off + 6)
        if proto != IPPROTO_TCP or frag & 0x1fff:
            return 4, None
        off += ihl
        fam = 4
    elif ethertype == ETH_P_IPV6:
        if len(frame) < off + 40:
            return 6, None
        nh = frame[off + 6]
        off += 40
        while nh in IPV6_EXT or nh == IPPROTO_FRAGMENT:
            if len(frame) < off + 8:
                return 6, None
            if nh == IPPROTO_FRAGMENT:
                (fo,) = struct.unpack_from("!H", frame, off + 2)
                if fo & 0xfff8:
                    return 6, None	# Not the first fragment
                nh = frame[off]
                off += 8
                continue
            nh, hlen = frame[off], (frame[off + 1] + 1) * 8
            off += hlen
        if nh != IPPROTO_TCP:
            return 6, None
        fam = 6
    else:
        return None, None

    if len(frame) < off + 4:
        return fam, None
    return fam, struct.unpack_from("!HH", frame, off)


def pcap_frames(path):
    """Frames of a pcap file, and whether it ends in the middle of one

    Raises ValueError if it isn't a pcap file of Ethernet frames.
    """
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: too short for a pcap header" % path)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError("%s: not a pcap file (magic %s)" %
                         (path, magic.hex()))
    (linktype,) = struct.unpack_from(endian + "I", data, 20)
    if linktype != 1:
        raise ValueError("link type %d, expected 1 (Ethernet)" % linktype)

    frames = []
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            return frames, True
        _, _, incl, _ = struct.unpack_from(endian + "IIII", data, off)
        off += 16
        if off + incl > len(data):
            return frames, True
        frames.append(data[off:off + incl])
        off += incl
    return frames, False


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    ports = {int(p) for p in sys.argv[2].split(",") if p}
    res = {"frames": 0, "ipv4": 0, "ipv6": 0, "tcp": 0, "match": 0,
           "match_ports": {}, "truncated": False}

    try:
        frames, truncated = pcap_frames(sys.argv[1])
    except ValueError as e:
        print("splice_pcap: %s" % e, file=sys.stderr)
        return 2
    res["truncated"] = truncated

    for frame in frames:
        res["frames"] += 1

        fam, tp = tcp_ports(frame)
        if fam == 4:
            res["ipv4"] += 1
        elif fam == 6:
            res["ipv6"] += 1
        if tp is None:
            continue
        res["tcp"] += 1
        for p in set(tp) & ports:
            res["match"] += 1
            res["match_ports"][str(p)] = res["match_ports"].get(str(p),
                                                                0) + 1
            break

    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
