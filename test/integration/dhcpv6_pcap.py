#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""dhcpv6_pcap.py - list the DHCPv6 messages in a pcap file (pasta -p).

  dhcpv6_pcap.py FILE

Prints one line per DHCPv6 message found in the capture (Ethernet, IPv6
without extension headers, UDP port 546 or 547), in order:

      client TYPE                   from port 546 to port 547
      server TYPE [status CODE]     from port 547 to port 546

TYPE is the message type name (SOLICIT, REPLY, ...), CODE the value of a
top-level Status Code option, if there is one.  Standard library only.
"""

import struct
import sys

TYPES = {1: "SOLICIT", 2: "ADVERTISE", 3: "REQUEST", 4: "CONFIRM",
         5: "RENEW", 6: "REBIND", 7: "REPLY", 8: "RELEASE", 9: "DECLINE",
         10: "RECONFIGURE", 11: "INFORMATION-REQUEST"}
OPT_STATUS_CODE = 13
ETH_HLEN, IP6_HLEN, UDP_HLEN = 14, 40, 8


def frames(data):
    """Yield the frames of a pcap capture (either byte order)."""
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        off += 16
        yield data[off:off + incl]
        off += incl


def status(msg):
    """Return the top-level Status Code of a DHCPv6 message, or None."""
    off = 4
    while off + 4 <= len(msg):
        code, length = struct.unpack("!HH", msg[off:off + 4])
        if code == OPT_STATUS_CODE and length >= 2:
            return struct.unpack("!H", msg[off + 4:off + 6])[0]
        off += 4 + length
    return None


def main():
    if len(sys.argv) != 2:
        print("usage: dhcpv6_pcap.py FILE", file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    for f in frames(data):
        if len(f) < ETH_HLEN + IP6_HLEN + UDP_HLEN + 4:
            continue
        if f[12:14] != b"\x86\xdd" or f[ETH_HLEN + 6] != 17:
            continue
        udp = ETH_HLEN + IP6_HLEN
        sport, dport = struct.unpack("!HH", f[udp:udp + 4])
        msg = f[udp + UDP_HLEN:]
        name = TYPES.get(msg[0], str(msg[0]))
        if (sport, dport) == (546, 547):
            print("client %s" % name)
        elif (sport, dport) == (547, 546):
            st = status(msg)
            print("server %s%s" % (name, "" if st is None
                                   else " status %d" % st))
    return 0


if __name__ == "__main__":
    sys.exit(main())
