#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""faults_tool.py - one end of a TCP stream that says how it ended.

For faults.sh: a stream of bytes derived from a seed (--seed), sent or
received over one connection, and a JSON report, written to --report when
the stream ends, of what moved and how the connection ended:

  stream --listen ADDR | --connect ADDR  --port P  --role send|recv
         --size N       bytes to send (0, the default: until it fails);
                        send then shuts down writing and waits for the
                        peer's end of file
         --timeout S    the whole stream, connection included, may take
                        this long (then it ends as "timeout": a hang)
         --progress FILE --progress-after N: create FILE once N bytes
                        (default 1 MiB) have moved, so that the caller
                        knows the stream runs
         --rcvbuf N     SO_RCVBUF, set before listen() or connect()
         --pause-after N --resume FILE: recv: after exactly N bytes, stop
                        reading (the peer's window fills up) until FILE
                        exists, then go on
         --report FILE  the JSON report

The report: {"role", "bytes" (sent or received), "sha256" (of those
bytes), "end", "error", "elapsed" (seconds from the connection on),
"t_end" (time.time() when it ended, to compare with the caller's clock)}.
"end" is one of:

  done      send: every byte sent, then the peer's end of file
  eof       an end of file from the peer (recv: the normal end; send:
            before the data was all sent, or, with --size 0, at all)
  reset     ECONNRESET on a read or a write
  epipe     EPIPE on a write (the connection was reset or shut down before)
  timeout   nothing ended the stream within --timeout
  error:E   another error (errno name E), "connect:..." while connecting

The sender watches for the peer's data and end of file while it writes,
so a clean close (FIN) of the other side is told from a reset even when
the writes fail afterwards.  Exit status: 0 once a report is written.
Standard library only, and testlib.py next to this file.
"""

import argparse
import errno
import hashlib
import json
import os
import selectors
import socket
import sys
import time

from testlib import CHUNK, family_of, payload
import testlib

# The stream repeats a block of this many bytes (not a power of two, so
# that repeats don't line up with segment or buffer boundaries)
BLOCK = (1 << 20) + 7


def say(msg):
    print("faults_tool: " + msg, file=sys.stderr, flush=True)


def classify(e):
    """The report's name for an exception that ended the stream"""
    if isinstance(e, ConnectionResetError):
        return "reset"
    if isinstance(e, BrokenPipeError):
        return "epipe"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "timeout"
    return "error:%s" % errno.errorcode.get(getattr(e, "errno", None),
                                             type(e).__name__)


class Stream:
    """The bytes of the stream and the report"""

    def __init__(self, args):
        self.args = args
        block = payload(args.seed, BLOCK)
        self.ring = memoryview(block + block[:CHUNK])
        self.moved = 0
        self.sha = hashlib.sha256()
        self.progress_done = not args.progress
        self.t0 = time.monotonic()

    def chunk(self):
        """The next bytes to send, up to CHUNK (fewer at the end)"""
        n = CHUNK
        if self.args.size:
            n = min(n, self.args.size - self.moved)
        off = self.moved % BLOCK
        return self.ring[off:off + n]

    def account(self, data):
        self.moved += len(data)
        self.sha.update(data)
        if not self.progress_done and \
           self.moved >= self.args.progress_after:
            with open(self.args.progress, "w", encoding="ascii") as f:
                f.write("%d\n" % self.moved)
            self.progress_done = True

    def report(self, end, error=""):
        rep = {"role": self.args.role, "bytes": self.moved,
               "sha256": self.sha.hexdigest(), "end": end, "error": error,
               "elapsed": round(time.monotonic() - self.t0, 3),
               "t_end": round(time.time(), 3)}
        say(json.dumps(rep))
        if self.args.report:
            tmp = self.args.report + ".tmp"
            with open(tmp, "w", encoding="ascii") as f:
                json.dump(rep, f)
            os.rename(tmp, self.args.report)


def pause(st, deadline):
    """Stop reading until the --resume file exists: False on timeout"""
    say("paused after %d bytes, until %s exists" % (st.moved,
                                                   st.args.resume))
    while not os.path.exists(st.args.resume):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    say("reading again")
    return True


def run_recv(s, st, deadline):
    paused = not st.args.pause_after
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout"
        n = CHUNK
        if not paused:
            n = min(n, st.args.pause_after - st.moved)
            if not n:
                if not pause(st, deadline):
                    return "timeout"
                paused = True
                continue
        s.settimeout(left)
        buf = s.recv(n)
        if not buf:
            return "eof"
        st.account(buf)


def run_send(s, st, deadline):
    sel = selectors.DefaultSelector()
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    writing = True
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            for _, ev in sel.select(left):
                if ev & selectors.EVENT_READ:
                    try:
                        buf = s.recv(CHUNK)
                    except BlockingIOError:
                        buf = None
                    if buf == b"":
                        return "done" if not writing else "eof"
                if ev & selectors.EVENT_WRITE and writing:
                    data = st.chunk()
                    if not len(data):
                        s.shutdown(socket.SHUT_WR)
                        writing = False
                        sel.modify(s, selectors.EVENT_READ)
                        continue
                    try:
                        n = s.send(data)
                    except BlockingIOError:
                        continue
                    st.account(data[:n])
    finally:
        sel.close()


def cmd_stream(args):
    deadline = time.monotonic() + args.timeout
    st = Stream(args)
    addr = args.listen or args.connect
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    if args.rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    try:
        if args.listen:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((args.listen, args.port))
            s.listen(1)
            s.settimeout(args.timeout)
            conn, peer = s.accept()
            s.close()
            s = conn
        else:
            s.settimeout(args.timeout)
            s.connect((args.connect, args.port))
            peer = s.getpeername()
    except OSError as e:
        st.report("connect:" + classify(e), str(e))
        return 0
    say("%s: connected with %s" % (args.role, peer[0]))
    st.t0 = time.monotonic()
    err = ""
    try:
        if args.role == "recv":
            end = run_recv(s, st, deadline)
        else:
            end = run_send(s, st, deadline)
    except OSError as e:
        end = classify(e)
        err = str(e)
    st.report(end, err)
    s.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("stream")
    where = sp.add_mutually_exclusive_group(required=True)
    where.add_argument("--listen")
    where.add_argument("--connect")
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--role", required=True, choices=("send", "recv"))
    sp.add_argument("--size", type=int, default=0)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--timeout", type=float, default=60)
    sp.add_argument("--progress")
    sp.add_argument("--progress-after", type=int, default=1 << 20)
    sp.add_argument("--rcvbuf", type=int, default=0)
    sp.add_argument("--pause-after", type=int, default=0)
    sp.add_argument("--resume")
    sp.add_argument("--report")
    args = p.parse_args()
    if args.pause_after and not args.resume:
        p.error("--pause-after needs --resume")
    return {"stream": cmd_stream}[args.cmd](args)


if __name__ == "__main__":
    testlib.main(main)
