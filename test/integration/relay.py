#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""relay.py - a lossy frame relay between a tap device and passt's socket.

Plays qemu for passt: connects to passt's UNIX socket (qemu framing: each
Ethernet frame preceded by its length, 4 bytes, big-endian) and relays
frames both ways to a tap device, which must exist already (ip tuntap add
dev tap0 mode tap) in the network namespace the relay runs in (ip netns
exec NS relay.py ...).  The tap is opened through /dev/net/tun with
TUNSETIFF, IFF_TAP | IFF_NO_PI.

Impairments, separately for each direction ("in": passt -> tap, towards
the guest; "out": tap -> passt, from the guest):

  --drop-in F, --drop-out F        drop this fraction of frames
  --reorder-in F, --reorder-out F  hold this fraction of frames back and
                                   release each after the next frame (or
                                   after --hold-ms if none comes)
  --dup-in F, --dup-out F          send this fraction of frames twice, the
                                   copy right after the original (a frame
                                   held back for reordering is released
                                   twice)
  --drop-syn-in N, --drop-syn-out N  drop the first N frames with the SYN
                                   flag (SYN or SYN-ACK)
  --drop-tcp-in L, --drop-tcp-out L  drop the TCP frames numbered in the
                                   list L (e.g. 2,5: the second and the
                                   fifth TCP frame in that direction)

SIGUSR1 toggles dropping every frame towards the guest ("in"), SIGUSR2
every frame towards passt ("out"): a guest that stops answering.

The decisions come from random.Random(seed) per direction (--seed), so a
run is reproducible for a given sequence of frames.  By default only TCP
frames (IPv4 or IPv6 next header 6) are impaired; ARP, NDP and the rest
pass untouched (--impair-all changes that), so that loss exercises TCP
retransmission rather than neighbour discovery timeouts.

On SIGTERM / SIGINT, or when passt closes the socket, the relay writes its
counters as JSON to --stats (if given) and exits 0: for each direction,
frames, bytes, TCP frames, dropped, reordered, duplicated (frames sent
twice; "dup_payload": their TCP payload bytes), and TCP payload bytes
("payload") with the part of them below the highest sequence number
already relayed on that connection ("retrans": retransmissions, of data
the relay passed on before or of data the sender lost before it reached
the relay; counted as frames arrive, before the relay drops any or
duplicates them, so the relay's own copies are not in it).  Loss,
duplication and reordering are decided in that order, each only when its
fraction is not zero, so a run without duplicates draws the same random
numbers as before duplicates existed.
Standard library only.
"""

import argparse
import fcntl
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
MAX_FRAME = 65535 + 14
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
IPPROTO_TCP = 6


def say(msg):
    print("relay: " + msg, file=sys.stderr, flush=True)


def tcp_segment(frame):
    """(flow key, seq, flags, payload length) of a TCP frame, or None"""
    if len(frame) < 14:
        return None
    off = 12
    etype = struct.unpack_from("!H", frame, off)[0]
    if etype == ETH_P_8021Q and len(frame) >= 18:
        off += 4
        etype = struct.unpack_from("!H", frame, off)[0]
    l3 = off + 2
    if etype == ETH_P_IP and len(frame) >= l3 + 20:
        if frame[l3 + 9] != IPPROTO_TCP:
            return None
        ihl = (frame[l3] & 0x0F) * 4
        total = struct.unpack_from("!H", frame, l3 + 2)[0]
        addrs = frame[l3 + 12:l3 + 20]
        l4 = l3 + ihl
        l4_len = total - ihl
    elif etype == ETH_P_IPV6 and len(frame) >= l3 + 40:
        if frame[l3 + 6] != IPPROTO_TCP:
            return None
        addrs = frame[l3 + 8:l3 + 40]
        l4 = l3 + 40
        l4_len = struct.unpack_from("!H", frame, l3 + 4)[0]
    else:
        return None
    if len(frame) < l4 + 20:
        return (None, 0, 0, 0)
    sport, dport, seq = struct.unpack_from("!HHI", frame, l4)
    doff = (frame[l4 + 12] >> 4) * 4
    flags = frame[l4 + 13]
    return ((addrs, sport, dport), seq, flags, max(0, l4_len - doff))


def seq_lt(a, b):
    return ((a - b) & 0xFFFFFFFF) > 0x7FFFFFFF


class Direction:
    """Impairments and counters for one direction"""

    def __init__(self, name, drop, reorder, seed, hold_s, impair_all, emit,
                 drop_syn=0, drop_nth=(), dup=0.0):
        self.name = name
        self.drop_syn = drop_syn
        self.drop_nth = set(drop_nth)
        self.blackhole = False
        self.drop = drop
        self.reorder = reorder
        self.dup = dup
        self.rng = random.Random(seed)
        self.hold_s = hold_s
        self.impair_all = impair_all
        self.emit = emit
        self.held = None
        self.held_copies = 1
        self.held_at = 0.0
        self.stats = {"frames": 0, "bytes": 0, "tcp": 0, "dropped": 0,
                      "reordered": 0, "released_by_timer": 0,
                      "write_errors": 0, "payload": 0, "retrans": 0,
                      "syn_dropped": 0, "blackholed": 0,
                      "duplicated": 0, "dup_payload": 0}
        self.hi = {}    # TCP flow -> end of the highest payload seen

    def _account(self, seg):
        """Payload bytes, and those already sent once (retransmitted)"""
        key, seq, flags, plen = seg
        if key is None:
            return
        if flags & 0x02:    # SYN: a new connection on this four-tuple
            self.hi[key] = (seq + 1) & 0xFFFFFFFF
            return
        if not plen:
            return
        self.stats["payload"] += plen
        end = (seq + plen) & 0xFFFFFFFF
        hi = self.hi.get(key)
        if hi is None:
            self.hi[key] = end
            return
        if seq_lt(seq, hi):
            self.stats["retrans"] += min(plen, (hi - seq) & 0xFFFFFFFF)
        if seq_lt(hi, end):
            self.hi[key] = end

    def _out(self, frame):
        if not self.emit(frame):
            self.stats["write_errors"] += 1

    def frame(self, frame):
        st = self.stats
        st["frames"] += 1
        st["bytes"] += len(frame)
        if self.blackhole:
            st["dropped"] += 1
            st["blackholed"] += 1
            return
        seg = tcp_segment(frame)
        tcp = seg is not None
        copies = 1
        if tcp:
            st["tcp"] += 1
            self._account(seg)
            if seg[2] & 0x02 and st["syn_dropped"] < self.drop_syn:
                st["syn_dropped"] += 1
                st["dropped"] += 1
                return
            if st["tcp"] in self.drop_nth:
                st["dropped"] += 1
                return
        if tcp or self.impair_all:
            if self.drop and self.rng.random() < self.drop:
                st["dropped"] += 1
                return
            if self.dup and self.rng.random() < self.dup:
                copies = 2
                st["duplicated"] += 1
                if tcp:
                    st["dup_payload"] += seg[3]
            if (self.reorder and self.held is None and
                    self.rng.random() < self.reorder):
                st["reordered"] += 1
                self.held = frame
                self.held_copies = copies
                self.held_at = time.monotonic()
                return
        for _ in range(copies):
            self._out(frame)
        self._release()

    def _release(self):
        if self.held is not None:
            held, self.held = self.held, None
            for _ in range(self.held_copies):
                self._out(held)

    def tick(self, now):
        if self.held is not None and now - self.held_at >= self.hold_s:
            self.stats["released_by_timer"] += 1
            self._release()

    def timeout(self, now):
        if self.held is None:
            return None
        return max(0.0, self.held_at + self.hold_s - now)


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    ifr = struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    os.set_blocking(fd, False)
    return fd


def connect_passt(path, timeout):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError as e:
            s.close()
            if time.monotonic() > deadline:
                raise OSError("cannot connect to %s: %s" % (path, e)) from e
            time.sleep(0.05)


def nth(spec):
    """Frame numbers from "1,3,7" """
    return [int(x) for x in spec.split(",") if x.strip()]


class Stop(Exception):
    pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sock", required=True, help="passt's UNIX socket")
    p.add_argument("--tap", default="tap0", help="tap device (must exist)")
    p.add_argument("--drop-in", type=float, default=0.0)
    p.add_argument("--drop-out", type=float, default=0.0)
    p.add_argument("--reorder-in", type=float, default=0.0)
    p.add_argument("--reorder-out", type=float, default=0.0)
    p.add_argument("--dup-in", type=float, default=0.0,
                   help="send this fraction of frames to the tap twice")
    p.add_argument("--dup-out", type=float, default=0.0,
                   help="send this fraction of frames to passt twice")
    p.add_argument("--drop-syn-in", type=int, default=0,
                   help="drop the first N SYN or SYN-ACK frames to the tap")
    p.add_argument("--drop-syn-out", type=int, default=0,
                   help="drop the first N SYN or SYN-ACK frames to passt")
    p.add_argument("--drop-tcp-in", default="",
                   help="drop these TCP frames to the tap (1,2,...: their "
                   "order among the TCP frames in that direction)")
    p.add_argument("--drop-tcp-out", default="",
                   help="drop these TCP frames to passt")
    p.add_argument("--hold-ms", type=float, default=20.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--impair-all", action="store_true")
    p.add_argument("--stats", help="write JSON counters here at exit")
    p.add_argument("--connect-timeout", type=float, default=10.0)
    args = p.parse_args()

    stopping = []

    def on_signal(signum, _frame):
        stopping.append(signum)
        raise Stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    tap = open_tap(args.tap)
    sock = connect_passt(args.sock, args.connect_timeout)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    say("relaying between %s and %s" % (args.tap, args.sock))

    def to_tap(frame):
        try:
            os.write(tap, frame)
            return True
        except BlockingIOError:
            return False
        except OSError as e:
            say("write to %s: %s" % (args.tap, e))
            return False

    def to_passt(frame):
        try:
            sock.sendall(struct.pack("!I", len(frame)) + frame)
            return True
        except OSError as e:
            say("write to passt: %s" % e)
            raise Stop() from e

    hold_s = args.hold_ms / 1000.0
    d_in = Direction("in", args.drop_in, args.reorder_in, args.seed * 2 + 1,
                     hold_s, args.impair_all, to_tap, args.drop_syn_in,
                     nth(args.drop_tcp_in), args.dup_in)
    d_out = Direction("out", args.drop_out, args.reorder_out, args.seed * 2,
                      hold_s, args.impair_all, to_passt, args.drop_syn_out,
                      nth(args.drop_tcp_out), args.dup_out)
    def blackhole(signum, _frame):
        d = d_in if signum == signal.SIGUSR1 else d_out
        d.blackhole = not d.blackhole
        say("%s: %s" % (d.name, "dropping everything" if d.blackhole
                        else "relaying again"))

    signal.signal(signal.SIGUSR1, blackhole)
    signal.signal(signal.SIGUSR2, blackhole)
    buf = bytearray()
    reason = "signal"
    try:
        while True:
            now = time.monotonic()
            tmo = [t for t in (d_in.timeout(now), d_out.timeout(now))
                   if t is not None]
            r, _, _ = select.select([tap, sock], [], [],
                                    min(tmo) if tmo else 1.0)
            if sock in r:
                data = sock.recv(1 << 20)
                if not data:
                    reason = "passt closed the socket"
                    break
                buf += data
                while len(buf) >= 4:
                    n = struct.unpack_from("!I", buf)[0]
                    if n > MAX_FRAME:
                        reason = "impossible frame length %d" % n
                        raise Stop()
                    if len(buf) < 4 + n:
                        break
                    d_in.frame(bytes(buf[4:4 + n]))
                    del buf[:4 + n]
            if tap in r:
                for _ in range(64):
                    try:
                        frame = os.read(tap, MAX_FRAME)
                    except BlockingIOError:
                        break
                    if not frame:
                        break
                    d_out.frame(frame)
            now = time.monotonic()
            d_in.tick(now)
            d_out.tick(now)
    except Stop:
        if stopping:
            reason = "signal %d" % stopping[0]
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stats = {"in": d_in.stats, "out": d_out.stats, "reason": reason}
    say("stopping (%s): %s" % (reason, json.dumps(stats)))
    if args.stats:
        tmp = args.stats + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            json.dump(stats, f)
        os.rename(tmp, args.stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
