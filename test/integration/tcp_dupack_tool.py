#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tcp_dupack_tool.py - window updates aren't duplicate ACKs (tcp_dupack.sh)

A guest written by hand over passt's UNIX socket (the frame builders of
guest_dst_tool.py) connects, through the gateway address, to a server of
ours on the host's loopback, which sends --size bytes at once on accept.
The guest offers a small window (--wnd, no window scaling), takes the
segments that fill it without acknowledging them, and then:

  1. window updates: one ACK that moves by the first segment (it starts
     passt's retransmission timer again), then three pure ACKs with that
     same acknowledgement number and a window growing by --wnd each time.
     passt must fill the opened window with new data, and send nothing
     again (RFC 5681, 2: an ACK that changes the window is no duplicate)
  2. duplicate ACKs: one ACK that moves by the next segment, then three
     pure ACKs with the same acknowledgement number and the same window:
     passt must send the segment at that number again at once (fast
     retransmit, RFC 5681, 3.2)

Each phase is over well before passt's retransmission timeout could
fire (200 ms after the ACK that moved, TCP_RTO_MIN_MS in tcp.c): what
comes again within --within seconds came for the ACKs.  A machine too
slow for that (the data not there in time, or sent again from before
the ACK that moved: a timeout came first) makes a try inconclusive, and
the guest tries again, on a new connection, at most --tries times.

  --passt SOCK --guest4 A --guest6 A --gw4 A --gw6 A [--port P]
      [--size N] [--wnd N] [--within S] [--tries N] [--af 4|6]...

Prints "ok - ..." or "FAIL - ..." for each family, exits 1 if any failed.
Run it in passt's namespace: the server listens on 127.0.0.1 and ::1.

Standard library only, and guest_dst_tool.py next to this file.
"""

import argparse
import socket
import struct
import threading
import time

from passt_client import DEFAULT_GUEST_MAC, DEFAULT_GW_MAC
from guest_dst_tool import PasstLink, ip_frame, parse, tcp_seg, \
    TH_ACK, TH_FIN, TH_RST, TH_SYN
import testlib

TCPOPT_MSS = 2
ISS = 3000000000	# Wraps around 2^32 past 1.29 GB: not in this test
SEQ_MASK = 0xFFFFFFFF


class Inconclusive(Exception):
    """The machine was too slow to tell: try again"""


class Failed(Exception):
    """passt did what it must not"""


def say(msg):
    print(msg, flush=True)


def serve(port, size):
    """Servers on 127.0.0.1 and ::1, PORT: SIZE bytes to each client"""
    data = testlib.payload(1, size)

    def feed(conn):
        try:
            conn.sendall(data)
            conn.recv(1)	# Until the guest resets the connection
        except OSError:
            pass
        conn.close()

    def accept(s):
        while True:
            conn, _ = s.accept()
            threading.Thread(target=feed, args=(conn,), daemon=True).start()

    for host, fam in (("127.0.0.1", socket.AF_INET),
                      ("::1", socket.AF_INET6)):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(16)
        threading.Thread(target=accept, args=(s,), daemon=True).start()


class Guest:
    """One connection of the guest, sequence numbers relative to passt's
    first data byte"""

    def __init__(self, link, af, src, dst, sport, dport):
        self.link, self.af = link, af
        self.src, self.dst, self.sport, self.dport = src, dst, sport, dport
        self.isn = None		# passt's initial sequence number
        self.top = 0		# End of the data passt sent, relative
        self.segs = []		# (relative seq, length) of data, in order

    def send(self, segs):
        """Send (flags, ack, window[, opts]) segments in one write"""
        frames = []
        for flags, ack, wnd, *opts in segs:
            seq = ISS if flags & TH_SYN else ISS + 1
            if ack is not None and self.isn is not None:
                ack = (self.isn + 1 + ack) & SEQ_MASK
            seg = tcp_seg(self.sport, self.dport, seq, ack or 0, flags,
                          window=wnd, opts=opts[0] if opts else b"")
            frames.append(ip_frame(self.link, self.af, self.src, self.dst,
                                   socket.IPPROTO_TCP, seg))
        self.link.send(frames)

    def recv(self, deadline):
        """Next TCP segment of ours: (seq, ack, flags, payload length),
        None at DEADLINE"""
        while True:
            frame = self.link.recv(deadline)
            if frame is None:
                return None
            p = parse(frame)
            if not p or p[0] != self.af or p[3] != socket.IPPROTO_TCP:
                continue
            l4 = p[4]
            sport, dport, seq, ack, off, flags = struct.unpack(
                "!HHIIBB", l4[:14])
            if (sport, dport) != (self.dport, self.sport):
                continue
            return seq, ack, flags, len(l4) - (off >> 4) * 4

    def data(self, deadline):
        """Next data segment: (relative seq, length, sent before), None at
        DEADLINE; Failed on a reset or FIN"""
        while True:
            r = self.recv(deadline)
            if r is None:
                return None
            seq, _, flags, plen = r
            if flags & (TH_RST | TH_FIN):
                raise Failed("passt closed the connection (flags 0x%02x)"
                             % flags)
            if not plen:
                continue
            rel = (seq - self.isn - 1) & SEQ_MASK
            again = rel < self.top
            self.segs.append((rel, plen))
            self.top = max(self.top, rel + plen)
            return rel, plen, again

    def open(self, wnd, mss):
        self.send([(TH_SYN, None, wnd, struct.pack("!BBH", TCPOPT_MSS, 4,
                                                    mss))])
        deadline = time.monotonic() + 5
        while True:
            r = self.recv(deadline)
            if r is None:
                raise Failed("no SYN-ACK within 5 s")
            seq, ack, flags, _ = r
            if flags & TH_RST:
                raise Failed("reset instead of a SYN-ACK")
            if flags & TH_SYN and flags & TH_ACK and ack == ISS + 1:
                self.isn = seq
                break
        self.send([(TH_ACK, 0, wnd)])

    def close(self):
        self.send([(TH_RST, None, 0)])


def fill(g, wnd):
    """Take the segments that fill the window WND"""
    deadline = time.monotonic() + 5
    while g.top < wnd:
        r = g.data(deadline)
        if r is None:
            raise Failed("only %d bytes of a %d-byte window within 5 s" %
                         (g.top, wnd))
        if r[2]:
            raise Inconclusive("sent again at %d while filling the window"
                               % r[0])


def window_updates(g, wnd, within):
    """Phase 1: three window updates with the same ACK: new data only"""
    ack = g.segs[0][1]
    t0 = time.monotonic()
    g.send([(TH_ACK, ack, wnd)] +
           [(TH_ACK, ack, wnd * (i + 2)) for i in range(3)])
    want = ack + wnd * 4
    until = t0 + within
    while True:
        r = g.data(until)
        if r is None:
            if g.top >= want:
                return ("%d new bytes in the opened window, nothing sent "
                        "again" % (g.top - wnd))
            raise Inconclusive("passt sent up to %d of %d in %.0f ms" %
                               (g.top, want, within * 1000))
        if r[2] and r[0] < ack:
            raise Inconclusive("%d sent again: a timeout before our ACKs"
                               % r[0])
        if r[2]:
            raise Failed("window updates taken as duplicate ACKs: %d bytes "
                         "at %d sent again after %.1f ms (ACK %d)" %
                         (r[1], r[0], (time.monotonic() - t0) * 1000, ack))


def dup_acks(g, wnd, within):
    """Phase 2: three true duplicate ACKs: the segment at the ACK again"""
    ack = g.segs[1][0] + g.segs[1][1]
    want = g.top + g.segs[1][1]	# The first ACK opens the window by that
    wnd *= 4
    t0 = time.monotonic()
    g.send([(TH_ACK, ack, wnd)] * 4)
    until = t0 + within
    while True:
        r = g.data(until)
        if r is None and g.top < want:
            raise Inconclusive("passt sent up to %d of %d in %.0f ms" %
                               (g.top, want, within * 1000))
        if r is None:
            raise Failed("no fast retransmit at %d within %.0f ms of three "
                         "duplicate ACKs" % (ack, within * 1000))
        if r[2] and r[0] == ack:
            return ("%d bytes at %d sent again %.1f ms after three "
                    "duplicate ACKs" % (r[1], ack,
                                        (time.monotonic() - t0) * 1000))
        if r[2] and r[0] < ack:
            raise Inconclusive("%d sent again: a timeout before our ACKs"
                               % r[0])
        if r[2]:
            raise Failed("%d bytes at %d sent again, expected %d" %
                         (r[1], r[0], ack))


def run(link, args, af, sport, held):
    """One try over one family, what held appended to HELD"""
    src, dst = (args.guest4, args.gw4) if af == 4 else (args.guest6,
                                                        args.gw6)
    fam = socket.AF_INET if af == 4 else socket.AF_INET6
    g = Guest(link, fam, src, dst, sport, args.port)
    g.open(args.wnd, 1460 if af == 4 else 1440)
    try:
        fill(g, args.wnd)
        held.append(window_updates(g, args.wnd, args.within))
        held.append(dup_acks(g, args.wnd, args.within))
    finally:
        g.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--passt", metavar="SOCK", required=True)
    for a in ("--guest4", "--guest6", "--gw4", "--gw6"):
        ap.add_argument(a, required=True)
    ap.add_argument("--port", type=int, default=10720)
    ap.add_argument("--size", type=int, default=256 * 1024)
    ap.add_argument("--wnd", type=int, default=4096)
    ap.add_argument("--within", type=float, default=0.15,
                    help="seconds for an answer, below the 0.2 s timeout")
    ap.add_argument("--tries", type=int, default=3)
    ap.add_argument("--af", type=int, choices=(4, 6), action="append")
    args = ap.parse_args()

    serve(args.port, args.size)
    link = PasstLink(args.passt, DEFAULT_GUEST_MAC, DEFAULT_GW_MAC)
    fails = 0
    sport = 40000
    for af in args.af or (4, 6):
        for t in range(1, args.tries + 1):
            sport += 1
            held = []
            try:
                run(link, args, af, sport, held)
            except Inconclusive as e:
                say("# IPv%d, try %d: inconclusive: %s" % (af, t, e))
                continue
            except Failed as e:
                fails += 1
                held.append(None)
                failed = e
            for h in held:
                say("ok - IPv%d: %s" % (af, h) if h else
                    "FAIL - IPv%d: %s" % (af, failed))
            break
        else:
            say("FAIL - IPv%d: inconclusive %d times in a row" %
                (af, args.tries))
            fails += 1
    return 1 if fails else 0


if __name__ == "__main__":
    testlib.main(main)
