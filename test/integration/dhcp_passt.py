#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""dhcp_passt.py - a DHCP client speaking to passt over its qemu socket.

Plays the guest on passt's UNIX socket (frames with a 4-byte length
prefix, passt_client.Conn) and runs a fixed sequence of exchanges, each
checked on the reply's fields and option values, decoded here without
help from the daemon's code:

  1. DISCOVER: OFFER to the offered address at the guest's MAC address,
     with the expected address, mask, router, DNS, MTU, lease (--lease,
     default infinite), server id
  2. malformed requests (truncated header, hlen 200, no magic cookie, an
     option running past the end, no END): no reply, and passt still
     answers the next valid request
  3. REQUEST for another address (--other-ip): NAK, broadcast
  4. REQUEST for the right address: ACK
  5. INFORM: ACK without yiaddr and without lease time
  6. DISCOVER with Rapid Commit: ACK carrying option 80
  7. no maximum message size: the reply fits 576 bytes and leaves the
     (long) search list out; maximum size 1500: the search list is there,
     split in several option 119 pieces, and decodes to --search

With --quick, only 1. to 4.

Prints "ok - ..." for each check that holds; exits 1 at the first one that
doesn't.  Standard library only.
"""

import argparse
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from dns_tool import decode_name  # noqa: E402
from passt_client import CheckFailed, Conn, csum, framed, mac_bytes  # noqa: E402

ETH_P_IP = 0x0800
BCAST_MAC = b"\xff" * 6
COOKIE = bytes([99, 130, 83, 99])

DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = range(1, 9)


def ok(msg):
    print("ok - " + msg, flush=True)


def check(cond, msg):
    if not cond:
        raise CheckFailed(msg)
    ok(msg)


def option(code, value):
    return bytes([code, len(value)]) + value


def bootp(xid, mac, msg_type=None, opts=b"", ciaddr="0.0.0.0", flags=0,
          hlen=6, end=True, cookie=True):
    """A BOOTREQUEST: header, cookie, option 53, OPTS, END"""
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, hlen, 0, xid, 0,
                      flags, socket.inet_aton(ciaddr), bytes(4), bytes(4),
                      bytes(4), mac, b"", b"")
    body = b""
    if msg_type:
        body += option(53, bytes([msg_type]))
    body += opts
    if end:
        body += b"\xff"
    return hdr + (COOKIE if cookie else b"") + body


def udp4_frame(mac, payload, udp_len=None):
    """Ethernet + IPv4 + UDP 68 -> 67, 0.0.0.0 -> broadcast"""
    ulen = 8 + len(payload) if udp_len is None else udp_len
    udp = struct.pack("!HHHH", 68, 67, ulen, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                     0, bytes(4), b"\xff" * 4)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return BCAST_MAC + mac + struct.pack("!H", ETH_P_IP) + ip + udp


class Reply:
    """A DHCP reply frame, parsed"""

    def __init__(self, frame):
        self.frame = frame
        self.eth_dst = frame[0:6]
        ihl = (frame[14] & 0x0F) * 4
        ip = frame[14:14 + ihl]
        self.ip_len = struct.unpack("!H", ip[2:4])[0]
        if csum(ip) != 0:
            raise CheckFailed("bad IPv4 header checksum in reply")
        self.ip_src = socket.inet_ntoa(ip[12:16])
        self.ip_dst = socket.inet_ntoa(ip[16:20])
        udp = frame[14 + ihl:14 + self.ip_len]
        self.sport, self.dport, ulen = struct.unpack("!HHH", udp[0:6])
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, ulen)
        if csum(pseudo + udp[:ulen]) != 0:
            raise CheckFailed("bad UDP checksum in reply")
        msg = udp[8:ulen]
        (self.op, _, _, _, self.xid, _, self.flags) = \
            struct.unpack("!BBBBIHH", msg[0:12])
        self.ciaddr = socket.inet_ntoa(msg[12:16])
        self.yiaddr = socket.inet_ntoa(msg[16:20])
        if msg[236:240] != COOKIE:
            raise CheckFailed("no magic cookie in reply")
        self.opts = {}
        self.pieces = {}
        i = 240
        while True:
            if i >= len(msg):
                raise CheckFailed("reply options have no END")
            code = msg[i]
            if code == 0:
                i += 1
                continue
            if code == 255:
                break
            n = msg[i + 1]
            if i + 2 + n > len(msg):
                raise CheckFailed("option %d runs past the reply" % code)
            self.opts[code] = self.opts.get(code, b"") + msg[i + 2:i + 2 + n]
            self.pieces[code] = self.pieces.get(code, 0) + 1
            i += 2 + n
        self.type = self.opts.get(53, b"\0")[0]


def decode_names(data):
    """Domain names of an option 119 value, RFC 1035 compression"""
    names, off = [], 0
    while off < len(data):
        try:
            name, off = decode_name(data, off)
        except ValueError as e:
            raise CheckFailed("option 119: %s" % e) from e
        names.append(name)
    return names


class Guest:
    """The client side of the exchanges"""

    def __init__(self, conn, args):
        self.conn = conn
        self.args = args
        self.mac = mac_bytes(args.guest_mac)

    def send(self, payload, udp_len=None):
        self.conn.send(framed(udp4_frame(self.mac, payload, udp_len)))

    def recv(self, xid, timeout):
        """The DHCP reply with XID, None if none comes within TIMEOUT"""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.conn.recv_frame(deadline)
            if frame is None:
                return None
            if len(frame) < 14 + 20 + 8 or \
               struct.unpack("!H", frame[12:14])[0] != ETH_P_IP or \
               frame[23] != 17:
                continue
            r = Reply(frame)
            if r.sport == 67 and r.xid == xid:
                return r

    def exchange(self, msg_type, opts=b"", ciaddr="0.0.0.0", flags=0):
        xid = random.getrandbits(32)
        self.send(bootp(xid, self.mac, msg_type, opts, ciaddr, flags))
        r = self.recv(xid, self.args.timeout)
        if r is None:
            raise CheckFailed("no reply to message type %d" % msg_type)
        return r

    def expect_none(self, label, payload, udp_len=None):
        xid = struct.unpack("!I", payload[4:8])[0] if len(payload) >= 8 \
            else 0
        self.send(payload, udp_len)
        r = self.recv(xid, self.args.grace)
        check(r is None, "malformed request (%s): no reply" % label)


def addr_opt(a):
    return socket.inet_aton(a)


def run(g, args):
    ip, gw = args.ip, args.gw
    mask = socket.inet_aton(args.mask)
    dns = b"".join(socket.inet_aton(d) for d in args.dns)

    # 1. DISCOVER -> OFFER
    r = g.exchange(DISCOVER)
    check(r.type == OFFER, "DISCOVER: OFFER")
    check(r.op == 2 and r.yiaddr == ip, "OFFER: yiaddr %s" % ip)
    check(r.ip_src == gw and r.ip_dst == ip and r.dport == 68,
          "OFFER: from %s:67 to %s:68" % (gw, ip))
    check(r.eth_dst == g.mac, "OFFER: to the guest's MAC address")
    check(r.opts.get(1) == mask, "OFFER: subnet mask %s" % args.mask)
    check(r.opts.get(3) == addr_opt(gw), "OFFER: router %s" % gw)
    check(r.opts.get(54) == addr_opt(gw), "OFFER: server identifier %s" % gw)
    check(r.opts.get(51) == struct.pack("!I", args.lease),
          "OFFER: lease %d" % args.lease)
    check(r.opts.get(6) == dns, "OFFER: DNS %s" % " ".join(args.dns))
    check(r.opts.get(26) == struct.pack("!H", args.mtu),
          "OFFER: MTU %d" % args.mtu)

    # 2. Malformed requests
    xid = 0x0BADF00D
    good = bootp(xid, g.mac, DISCOVER)
    g.expect_none("truncated header", good[:100])
    g.expect_none("UDP length beyond datagram", good, 8 + len(good) + 40)
    g.expect_none("hlen 200", bootp(xid, g.mac, DISCOVER, hlen=200))
    g.expect_none("no magic cookie", good[:236])
    g.expect_none("option length past the end",
                  bootp(xid, g.mac, DISCOVER, b"\x3d\xc8\x01\x02", end=False))
    g.expect_none("zero-length message type",
                  bootp(xid, g.mac, None, b"\x35\x00"))
    g.expect_none("no END option", bootp(xid, g.mac, DISCOVER, end=False))
    r = g.exchange(DISCOVER)
    check(r.type == OFFER, "after malformed requests: still answered")

    # 3., 4. REQUEST
    r = g.exchange(REQUEST, option(50, addr_opt(args.other_ip)) +
                   option(54, addr_opt(gw)))
    check(r.type == NAK, "REQUEST for %s: NAK" % args.other_ip)
    check(r.ip_dst == "255.255.255.255" and r.eth_dst == BCAST_MAC,
          "NAK: broadcast")
    check(51 not in r.opts and 1 not in r.opts and r.yiaddr == "0.0.0.0",
          "NAK: no lease, no configuration")
    r = g.exchange(REQUEST, option(50, addr_opt(ip)) +
                   option(54, addr_opt(gw)))
    check(r.type == ACK and r.yiaddr == ip, "REQUEST for %s: ACK" % ip)
    check(r.opts.get(51) == struct.pack("!I", args.lease),
          "ACK: lease %d" % args.lease)
    if args.quick:
        return

    # 5. INFORM
    r = g.exchange(INFORM, ciaddr=ip)
    check(r.type == ACK and r.yiaddr == "0.0.0.0" and r.ciaddr == ip,
          "INFORM: ACK, no yiaddr, ciaddr %s" % ip)
    check(51 not in r.opts and r.opts.get(1) == mask,
          "INFORM ACK: configuration, no lease time")
    check(r.ip_dst == ip, "INFORM ACK: to ciaddr")

    # 6. Rapid Commit
    r = g.exchange(DISCOVER, option(80, b""))
    check(r.type == ACK and r.opts.get(80) == b"" and r.yiaddr == ip,
          "DISCOVER with Rapid Commit: ACK with option 80")

    # 7. Maximum message size
    r = g.exchange(DISCOVER)
    check(r.ip_len <= 576, "no maximum size: reply of %d bytes fits 576"
          % r.ip_len)
    check(119 not in r.opts, "no maximum size: long search list left out")
    check(r.opts.get(1) == mask and 3 in r.opts and 6 in r.opts,
          "no maximum size: mask, router, DNS kept")
    r = g.exchange(DISCOVER, option(57, struct.pack("!H", 1500)))
    check(576 < r.ip_len <= 1500, "maximum size 1500: reply of %d bytes"
          % r.ip_len)
    check(r.pieces.get(119, 0) >= 2, "maximum size 1500: search list in %d "
          "option 119 pieces" % r.pieces.get(119, 0))
    names = decode_names(r.opts[119])
    check(names == args.search, "search list decodes to %s" % " ".join(names))
    if args.hostname:
        check(r.opts.get(12) == args.hostname.encode(),
              "host name %s" % args.hostname)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sock", required=True)
    p.add_argument("--guest-mac", default="52:54:00:12:34:56")
    p.add_argument("--ip", required=True)
    p.add_argument("--gw", required=True)
    p.add_argument("--mask", required=True)
    p.add_argument("--dns", action="append", default=[])
    p.add_argument("--search", nargs="*", default=[])
    p.add_argument("--hostname")
    p.add_argument("--mtu", type=int, default=65520)
    p.add_argument("--lease", type=int, default=0xffffffff,
                   help="lease time expected, seconds")
    p.add_argument("--quick", action="store_true",
                   help="stop after 4.: the configuration only")
    p.add_argument("--other-ip", default="198.51.100.99",
                   help="an address REQUESTed that must get a NAK")
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--grace", type=float, default=0.3,
                   help="how long to wait for a reply that must not come")
    args = p.parse_args()

    try:
        conn = Conn.connect(args.sock, args.timeout)
        try:
            run(Guest(conn, args), args)
        finally:
            conn.close()
    except (CheckFailed, EOFError, OSError) as e:
        print("FAIL - %s" % (e or "passt closed the connection"), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
