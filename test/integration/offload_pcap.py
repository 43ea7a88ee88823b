#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""offload_pcap.py - TCP segments in a pasta capture: sizes and checksums

Usage: offload_pcap.py FILE OUR_MAC MTU

Reads a classic libpcap file (as written by pasta -p) and prints one JSON
object with, for each direction ("to_ns": frames whose source MAC address
is OUR_MAC, pasta's own; "from_ns": the others), counts of TCP segments
carrying data, and of UDP datagrams larger than the MTU:

  {"data": N, "over_mtu": N, "csum_ok": N, "csum_partial": N,
   "csum_bad": N, "udp_over_mtu": N, "udp_csum_ok": N,
   "udp_csum_partial": N, "udp_csum_bad": N}

"over_mtu" counts IP packets longer than MTU (super-segments, which only
segmentation offload can carry). "csum_partial" counts segments whose
checksum field holds only the sum of the pseudo-header, to be completed by
the kernel (virtio-net VIRTIO_NET_HDR_F_NEEDS_CSUM); "csum_bad" those
whose checksum is neither complete nor partial. The "udp_csum_" counts
are the same for UDP datagrams (an IPv4 one without checksum counts as
complete); IP fragments are left out.

Exit status: 0 if the file could be read, 2 if it isn't a pcap file.
Standard library only.
"""

import array
import json
import struct
import sys

from splice_pcap import ETH_P_IP, ETH_P_IPV6, IPPROTO_TCP, pcap_frames

IPPROTO_UDP = 17


def ones_sum(data):
    """Unfolded 16-bit ones' complement sum, in native byte order"""
    if len(data) % 2:
        data += b"\0"
    return sum(array.array("H", data))


def fold(s):
    """Fold a sum to 16 bits"""
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def l4_of(frame):
    """(protocol, pseudo-header, TCP or UDP packet, IP packet length), or
    None"""
    if len(frame) < 14:
        return None
    (ethertype,) = struct.unpack_from("!H", frame, 12)
    ip = frame[14:]
    if ethertype == ETH_P_IP and len(ip) >= 20:
        ihl = (ip[0] & 0xf) * 4
        (tot, frag) = struct.unpack_from("!HxxH", ip, 2)
        if ip[9] not in (IPPROTO_TCP, IPPROTO_UDP) or tot > len(ip) or \
                tot < ihl or frag & 0x3fff:
            return None
        seg = ip[ihl:tot]
        ph = ip[12:20] + struct.pack("!BBH", 0, ip[9], len(seg))
        return ip[9], ph, seg, tot
    if ethertype == ETH_P_IPV6 and len(ip) >= 40:
        (plen,) = struct.unpack_from("!H", ip, 4)
        if ip[6] not in (IPPROTO_TCP, IPPROTO_UDP) or 40 + plen > len(ip):
            return None
        seg = ip[40:40 + plen]
        ph = ip[8:40] + struct.pack("!IxxxB", len(seg), ip[6])
        return ip[6], ph, seg, 40 + plen
    return None


def csum_kind(ph, seg, off, zero_ok=False):
    """"csum_ok", "csum_partial" or "csum_bad": the checksum at OFF in SEG,
    with pseudo-header PH; ZERO_OK: a zero checksum means none"""
    (check,) = array.array("H", seg[off:off + 2])
    if fold(ones_sum(ph) + ones_sum(seg)) == 0xffff:
        return "csum_ok"
    if check == fold(ones_sum(ph)):
        return "csum_partial"
    if not check and zero_ok:
        return "csum_ok"
    return "csum_bad"


def main():
    """Count, print"""
    path, mac, mtu = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ours = bytes(int(x, 16) for x in mac.split(":"))
    res = {d: {"data": 0, "over_mtu": 0, "csum_ok": 0, "csum_partial": 0,
               "csum_bad": 0, "udp_over_mtu": 0, "udp_csum_ok": 0,
               "udp_csum_partial": 0, "udp_csum_bad": 0}
           for d in ("to_ns", "from_ns")}
    try:
        frames, _ = pcap_frames(path)
    except ValueError as e:
        print(f"offload_pcap: {e}", file=sys.stderr)
        sys.exit(2)
    for fr in frames:
        t = l4_of(fr)
        if not t:
            continue
        proto, ph, seg, iplen = t
        r = res["to_ns" if fr[6:12] == ours else "from_ns"]
        if proto == IPPROTO_UDP:
            if len(seg) < 8:
                continue
            r["udp_over_mtu"] += iplen > mtu
            r["udp_" + csum_kind(ph, seg, 6, len(ph) == 12)] += 1
            continue
        if len(seg) < 20 or len(seg) <= (seg[12] >> 4) * 4:
            continue
        r["data"] += 1
        if iplen > mtu:
            r["over_mtu"] += 1
        r[csum_kind(ph, seg, 16)] += 1
    print(json.dumps(res))


if __name__ == "__main__":
    main()
