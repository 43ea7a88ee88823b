#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""close_tool.py - how TCP connections end, many cases at once, on data

One process runs a whole plan of cases in parallel, each with its own
port: for each case, a listening socket in one network namespace and a
client socket in another, both made after setns() into /run/netns/NAME
(testlib.netns_socket(): a socket stays in the namespace it was made in,
whichever thread uses it), then a thread for each side, plus one for
writing where a side reads and writes at once.  Every byte sent comes
from a deterministic stream (64 KiB blocks: 16 bytes of seed and block
number, then one of 61 random blocks), so the SHA-256 of any prefix of
what a side sent can be computed afterwards and compared with what the
other side received.

  matrix --plan FILE [--ready FILE] [options]

    FILE: one case a line, tab-separated:
      LABEL PATTERN CLIENT_NS CONNECT_ADDR SERVER_NS BIND_ADDR PORT SIZE
    PATTERN (client's part / server's part), possibly followed by "#N"
    to tell apart cases of one pattern on one path:
      simul      both write SIZE bytes at once, each shuts down writing
                 when its own write returns, reads to end of file, closes;
                 each must get the other's SIZE bytes, then end of file
      cfirst     the client writes SIZE, shuts down writing, reads to end
                 of file; the server reads to end of file, and only then
                 writes SIZE in --pace-chunks pieces over --pace-time
                 seconds, shuts down writing; both get all, then EOF
      sfirst     the same, the server first
      abort-cs   the client writes SIZE and closes with a reset (SO_LINGER
                 {1, 0}) while its data is still on the way: the server
                 must read a prefix of it, intact, then ECONNRESET (not
                 end of file), within --reset-max seconds of the abort
      abort-cr   the server writes SIZE, then reads; the client reads
                 SIZE/2 of it and closes with a reset: the server must see
                 ECONNRESET (on its write or its read)
      abort-ss, abort-sr   the same with the roles swapped
      hold       the client writes 500 bytes and shuts down writing; the
                 server reads them to end of file, keeps the connection
                 half-closed for --hold-time seconds (--ready FILE is
                 written once every hold case got there), then writes
                 SIZE bytes and closes; both get all, then end of file
      nolisten   nothing listens (no server): the client must see
                 "Connection refused" within --nolisten-max seconds
      nolisten-fwd  the same behind a port forward, which accepts first:
                 refused or reset, or, at worst, end of file without data
    Prints a line for each case: "ok<TAB>what happened" or
    "FAIL<TAB>what was expected, what happened", each side's bytes,
    SHA-256 and end (eof, ECONNRESET, EPIPE, timeout...); exit 1 if a
    case failed.

Standard library only, and testlib.py next to this file.
"""

import argparse
import errno
import hashlib
import random
import socket
import struct
import threading
import time

from testlib import CHUNK, family_of, netns_socket, probe_closed
import testlib

BLOCK = 65536
HDR = 16
POOL_N = 61
_POOL = []


def pool():
    """The random blocks the streams are made of, made once"""
    if not _POOL:
        rng = random.Random(20250601)
        _POOL.extend(rng.randbytes(BLOCK - HDR) for _ in range(POOL_N))
    return _POOL


class Stream:
    """What one side of one case sends: block i is the seed key and i (16
    bytes), then a random block picked by the key and i"""

    def __init__(self, seed):
        self.key = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8],
                                  "big")

    def block(self, i):
        return (struct.pack("!QQ", self.key, i) +
                pool()[(self.key + i * 7) % POOL_N])

    def piece(self, off, size):
        """Bytes [off, off + size) of the stream"""
        parts = []
        while size > 0:
            i, o = divmod(off, BLOCK)
            b = self.block(i)[o:o + size]
            parts.append(b)
            off += len(b)
            size -= len(b)
        return b"".join(parts)

    def digest(self, size):
        """SHA-256 of the first SIZE bytes"""
        h = hashlib.sha256()
        i = 0
        while size > 0:
            b = self.block(i)
            h.update(b[:size])
            size -= len(b)
            i += 1
        return h.hexdigest()


def end_of(e):
    """What an exception says about how a socket call ended"""
    if isinstance(e, ConnectionResetError):
        return "ECONNRESET"
    if isinstance(e, BrokenPipeError):
        return "EPIPE"
    if isinstance(e, ConnectionRefusedError):
        return "ECONNREFUSED"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(e, OSError) and e.errno:
        return errno.errorcode.get(e.errno, str(e.errno))
    return type(e).__name__


def short(h):
    return h[:16] + "..."


def mib(n):
    if n and n % (1 << 20) == 0:
        return "%d MiB" % (n >> 20)
    return "%d bytes" % n


class Side:
    """One end of a case: what it sent and received, how each ended"""

    def __init__(self, name, seed, t0):
        self.name = name
        self.stream = Stream(seed)
        self.t0 = t0
        self.sent = 0
        self.write_end = None     # done, ECONNRESET, EPIPE, timeout...
        self.recv = 0
        self.sha = hashlib.sha256()
        self.read_end = None      # eof, limit, ECONNRESET, timeout...
        self.read_t = None        # when the read ended, from the start
        self.abort_t = None       # when this side reset the connection
        self.reached = threading.Event()   # hold: half-closed state seen
        self.error = None         # setting up: connect, accept
        self.up = threading.Event()  # connected (or failed to)
        self.up_t = None          # when the connection was there

    def now(self):
        return time.monotonic() - self.t0

    def saw_reset(self):
        return "ECONNRESET" in (self.read_end, self.write_end)

    def failed(self):
        """A call on the socket failed: the socket is done for"""
        return (self.write_end not in (None, "done") or
                self.read_end not in (None, "eof", "limit"))

    # ------------------------------------------------------- operations

    def write(self, sock, size, pieces=1, pace=0.0):
        """Write SIZE bytes of our stream, in PIECES over PACE seconds"""
        step = -(-size // pieces) if pieces > 1 else size
        try:
            while self.sent < size:
                end = min(size, self.sent + step)
                while self.sent < end:
                    n = min(CHUNK, end - self.sent)
                    self.sent += sock.send(self.stream.piece(self.sent, n))
                if pieces > 1 and self.sent < size:
                    time.sleep(pace / pieces)
            self.write_end = "done"
        except OSError as e:
            self.write_end = end_of(e)

    def read(self, sock, limit=0):
        """Read to end of file, or LIMIT bytes if given"""
        buf = bytearray(CHUNK)
        mv = memoryview(buf)
        try:
            while not limit or self.recv < limit:
                want = CHUNK if not limit else min(CHUNK, limit - self.recv)
                n = sock.recv_into(mv[:want])
                if not n:
                    self.read_end = "eof"
                    break
                self.sha.update(mv[:n])
                self.recv += n
            else:
                self.read_end = "limit"
        except OSError as e:
            self.read_end = end_of(e)
        self.read_t = self.now()

    def shut(self, sock):
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            self.write_end = end_of(e)

    def abort(self, sock):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        self.abort_t = self.now()
        sock.close()

    def describe(self):
        """bytes, digest and end of what this side received"""
        return "%s got %d bytes (sha256 %s), then %s%s" % (
            self.name, self.recv, short(self.sha.hexdigest()),
            self.read_end or "no read",
            "" if self.write_end in (None, "done") else
            " (its write: %s after %d bytes)" % (self.write_end, self.sent))


# ------------------------------------------------------------- patterns
#
# Each pattern: what the client does, what the server does.  Steps:
#   write      write SIZE                 pwrite   the same, paced
#   shut       shutdown(SHUT_WR)          read     read to end of file
#   wr         write SIZE and shut, reading to end of file meanwhile
#   readhalf   read SIZE / 2              abort    close with a reset
#   w500       write 500 bytes            hold     mark the half-closed
#                                                  state, wait --hold-time
#   close      close (always done last, unless aborted)

PATTERNS = {
    "simul": (["wr"], ["wr"]),
    "cfirst": (["write", "shut", "read"], ["read", "pwrite", "shut"]),
    "sfirst": (["read", "pwrite", "shut"], ["write", "shut", "read"]),
    "abort-cs": (["write", "abort"], ["read"]),
    "abort-cr": (["readhalf", "abort"], ["write", "read"]),
    "abort-ss": (["read"], ["write", "abort"]),
    "abort-sr": (["write", "read"], ["readhalf", "abort"]),
    "hold": (["w500", "shut", "read"], ["read", "hold", "write"]),
    "nolisten": (None, None),
    "nolisten-fwd": (None, None),
}


class Case:
    def __init__(self, line, args):
        f = line.rstrip("\n").split("\t")
        if len(f) != 8:
            raise ValueError("plan line needs 8 tab-separated fields: %r"
                             % line)
        self.label, pattern, self.cns, self.caddr = f[:4]
        # "simul#2": a second case of one pattern on the same path
        self.pattern, _, self.nth = pattern.partition("#")
        self.sns, self.sbind = f[4:6]
        self.port, self.size = int(f[6]), int(f[7])
        if self.pattern not in PATTERNS:
            raise ValueError("unknown pattern %s" % self.pattern)
        self.args = args
        self.t0 = None
        self.client = None
        self.server = None
        self.lsock = None
        self.csock = None
        self.probe = None         # nolisten: (what, seconds)
        self.threads = []

    def name(self):
        return "%s, %s%s" % (self.label, self.pattern,
                             " #" + self.nth if self.nth else "")

    def prepare(self):
        """Sockets, in their namespaces (main thread only: setns)"""
        seed = "%s/%s/%s/%d" % (self.label, self.pattern, self.nth,
                                self.port)
        fam = family_of(self.caddr)
        self.csock = netns_socket(self.cns, fam)
        if PATTERNS[self.pattern][1] is not None:
            s = netns_socket(self.sns, family_of(self.sbind))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((self.sbind, self.port))
            s.listen(4)
            self.lsock = s
        self.seed = seed

    def start(self):
        self.t0 = time.monotonic()
        self.client = Side("client", self.seed + "/c", self.t0)
        self.server = Side("server", self.seed + "/s", self.t0)
        if self.lsock is not None:
            t = threading.Thread(target=self.run_server, daemon=True)
            t.start()
            self.threads.append(t)
        t = threading.Thread(target=self.run_client, daemon=True)
        t.start()
        self.threads.append(t)

    # ------------------------------------------------------- the sides

    def steps(self, me, sock, steps):
        a = self.args
        for st in steps:
            if me.failed():
                break
            if st == "write":
                me.write(sock, self.size)
            elif st == "pwrite":
                me.write(sock, self.size, a.pace_chunks, a.pace_time)
            elif st == "w500":
                me.write(sock, 500)
            elif st == "shut":
                me.shut(sock)
            elif st == "read":
                me.read(sock)
            elif st == "readhalf":
                me.read(sock, self.size // 2)
            elif st == "wr":
                def write_shut():
                    me.write(sock, self.size)
                    if me.write_end == "done":
                        me.shut(sock)
                t = threading.Thread(target=write_shut, daemon=True)
                t.start()
                me.read(sock)
                t.join(a.timeout + 5)
            elif st == "hold":
                me.reached.set()
                time.sleep(a.hold_time)
            elif st == "abort":
                me.abort(sock)
                return
        sock.close()

    def run_server(self):
        me = self.server
        self.lsock.settimeout(self.args.timeout)
        try:
            conn, _ = self.lsock.accept()
        except OSError as e:
            me.error = "accept: %s after %.1f s" % (end_of(e), me.now())
            me.reached.set()
            return
        finally:
            self.lsock.close()
        me.up_t = me.now()
        # Start once the client, too, knows the connection is there: a
        # starved client thread would otherwise find it reset already
        self.client.up.wait(self.args.timeout)
        conn.settimeout(self.args.timeout)
        self.steps(me, conn, PATTERNS[self.pattern][1])

    def run_client(self):
        me = self.client
        s = self.csock
        if self.pattern.startswith("nolisten"):
            self.probe = probe_closed(s, self.caddr, self.port,
                                      self.args.nolisten_max)
            return
        s.settimeout(self.args.timeout)
        try:
            s.connect((self.caddr, self.port))
        except OSError as e:
            me.error = "connect: %s after %.1f s" % (end_of(e), me.now())
            s.close()
            return
        finally:
            me.up.set()
        me.up_t = me.now()
        self.steps(me, s, PATTERNS[self.pattern][0])

    # ------------------------------------------------------- verdict

    def expect_all(self, me, peer, size):
        """ME must have got PEER's SIZE bytes, then end of file"""
        want = peer.stream.digest(size)
        got = me.sha.hexdigest()
        if me.recv == size and got == want and me.read_end == "eof" and \
           not me.saw_reset():
            return None
        return ("%s: expected %s (sha256 %s), then eof; %s" %
                (me.name, mib(size), short(want), me.describe()))

    def expect_reset(self, me, peer):
        """ME must have seen a reset, after an intact prefix of what PEER
        sent, within --reset-max seconds of PEER's abort"""
        want = peer.stream.digest(me.recv)
        probs = []
        if me.sha.hexdigest() != want or me.recv > peer.sent:
            probs.append("the bytes differ from the first %d sent (sha256 "
                         "%s, %d sent in all)" % (me.recv, short(want),
                                                  peer.sent))
        if not me.saw_reset():
            probs.append("no ECONNRESET")
        elif peer.abort_t is not None and me.read_t is not None and \
                me.read_t - peer.abort_t > self.args.reset_max:
            probs.append("the reset came %.1f s after the abort" %
                         (me.read_t - peer.abort_t))
        if not probs:
            return None
        return ("%s: expected ECONNRESET after a prefix of the %s's data; "
                "%s: %s" % (me.name, peer.name, me.describe(),
                            ", ".join(probs)))

    def verdict(self):
        """(True, what happened) or (False, expected and happened)"""
        a = self.args
        if self.pattern.startswith("nolisten"):
            what, dt = self.probe or ("no result", 0)
            good = {"refused"}
            if self.pattern == "nolisten-fwd":
                good |= {"reset", "reset-connect", "eof"}
            if what in good and dt <= a.nolisten_max:
                note = (" (accepted at worst: a reset would tell the "
                        "client what a closed port tells it)"
                        if what == "eof" else "")
                return True, "client: %s after %.3f s%s" % (what, dt, note)
            return False, ("client: expected %s within %.0f s, got %s "
                           "after %.3f s" % (" or ".join(sorted(good)),
                                              a.nolisten_max, what, dt))
        c, s = self.client, self.server
        if c.error or s.error:
            return False, "; ".join(
                "%s: %s" % (me.name, me.error) if me.error else
                "%s: connected at %.1f s, %s" % (me.name, me.up_t or -1,
                                                 me.describe())
                for me in (c, s))
        p = self.pattern
        probs = []
        if p in ("simul", "cfirst", "sfirst"):
            probs = [self.expect_all(c, s, self.size),
                     self.expect_all(s, c, self.size)]
            ok_msg = ("each side got the other's %s intact (sha256), then "
                      "eof (%.1f s)" % (mib(self.size),
                                        max(c.read_t, s.read_t)))
        elif p == "hold":
            probs = [self.expect_all(s, c, 500),
                     self.expect_all(c, s, self.size)]
            ok_msg = ("500 bytes and FIN, held half-closed %.0f s, then "
                      "the %s reply, intact, eof" % (a.hold_time,
                                                     mib(self.size)))
        else:
            aborter, victim = (c, s) if p[6] == "c" else (s, c)
            if p[7] == "s":
                probs = [self.expect_reset(victim, aborter)]
                ok_msg = ("the %s reset after writing %s; the %s got %d "
                          "bytes, intact, then ECONNRESET %.2f s after" %
                          (aborter.name, mib(aborter.sent), victim.name,
                           victim.recv, (victim.read_t or 0) -
                           (aborter.abort_t or 0)))
            else:
                if not victim.saw_reset():
                    probs.append(
                        "%s: expected ECONNRESET on its write or read "
                        "after the %s reset; it wrote %d bytes (%s), "
                        "then read %s" % (victim.name, aborter.name,
                                          victim.sent, victim.write_end,
                                          victim.read_end))
                want = victim.stream.digest(aborter.recv)
                if aborter.read_end != "limit" or \
                        aborter.sha.hexdigest() != want:
                    probs.append("%s: expected %d intact bytes before its "
                                 "reset; %s" % (aborter.name,
                                                self.size // 2,
                                                aborter.describe()))
                ok_msg = ("the %s reset after reading %d bytes, intact; "
                          "the %s saw ECONNRESET (write: %s after %d "
                          "bytes, read: %s)" %
                          (aborter.name, aborter.recv, victim.name,
                           victim.write_end, victim.sent,
                           victim.read_end or "not reached"))
        probs = [x for x in probs if x]
        if probs:
            return False, "; ".join(probs)
        return True, ok_msg


def cmd_matrix(args):
    testlib.raise_nofile()
    threading.stack_size(1 << 20)
    with open(args.plan, encoding="utf-8") as f:
        cases = [Case(line, args) for line in f if line.strip()]
    pool()
    for c in cases:
        c.prepare()
    for c in cases:
        c.start()
    holds = [c for c in cases if c.pattern == "hold"]
    if args.ready:
        for c in holds:
            c.server.reached.wait(args.timeout)
        with open(args.ready, "w", encoding="ascii") as f:
            f.write("%d\n" % len(holds))
    deadline = time.monotonic() + args.timeout + 10
    for c in cases:
        for t in c.threads:
            t.join(max(0.1, deadline - time.monotonic()))
    rc = 0
    for c in cases:
        if any(t.is_alive() for t in c.threads):
            good, msg = False, "still running after %d s" % args.timeout
        else:
            good, msg = c.verdict()
        if not good:
            rc = 1
        print("%s\t%s: %s" % ("ok" if good else "FAIL", c.name(), msg),
              flush=True)
    return rc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("matrix")
    m.add_argument("--plan", required=True)
    m.add_argument("--ready", help="written once every hold case is "
                   "half-closed")
    m.add_argument("--timeout", type=float, default=40,
                   help="seconds any one socket call may wait")
    m.add_argument("--pace-time", type=float, default=2.0)
    m.add_argument("--pace-chunks", type=int, default=20)
    m.add_argument("--hold-time", type=float, default=5.0)
    m.add_argument("--nolisten-max", type=float, default=3.0)
    m.add_argument("--reset-max", type=float, default=5.0)
    args = p.parse_args()
    return cmd_matrix(args)


if __name__ == "__main__":
    testlib.main(main)
