#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""log_tool.py - make a daemon log a lot, and look at where it went.

  macflood  --sock SOCK --log FILE --limit BYTES [--rotations N]
            As the guest on passt's socket: frames (of an ethertype passt
            ignores) each from a new source MAC address, 02:00:00:xx:xx:xx
            counting up, in batches; with --debug, passt logs each new
            address.  After each batch, wait until its last address is in
            FILE, and check FILE: never above BYTES; after a rotation (the
            file shrank) at least 40% of BYTES, the newer half kept; stop
            after N rotations.  Then FILE must hold an unbroken run of the
            addresses ending with the last one sent.  Prints one
            "result: ..." line with the figures.

  badlen    --sock SOCK --count N
            N connections to passt's socket one after the other, each
            sending an impossible frame length (0) and waiting for passt
            to close it: passt logs an error for each, rate limited.
            Prints "result: connections=N elapsed=SECONDS".

  syslog    --sock PATH --out FILE --ready FILE [--pause FILE]
            A system log: bind a datagram socket at PATH, write each
            datagram received to FILE, one per line, as text.  While
            --pause FILE exists, don't read (the queue fills up), after
            creating FILE.paused to say so.

Exit status 0 when every check holds, 1 otherwise.  Standard library only,
and passt_client.py next to this file.
"""

import argparse
import os
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from passt_client import ETH_P_JUNK, CheckFailed, Conn, framed  # noqa: E402

BATCH = 25
MAC_RE = re.compile(rb"Guest MAC address: 02:00:00:"
                    rb"([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})")


def say(msg):
    print("log_tool: " + msg, file=sys.stderr, flush=True)


def mac_frame(n):
    """A frame passt ignores, from source MAC 02:00:00 + N"""
    src = b"\x02\x00\x00" + n.to_bytes(3, "big")
    return b"\xff" * 6 + src + struct.pack("!H", ETH_P_JUNK) + b"\x00" * 46


def macs_in(data):
    """The numbers of the addresses logged in DATA, in order"""
    return [int(b"".join(m.groups()), 16) for m in MAC_RE.finditer(data)]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def cmd_macflood(args):
    conn = Conn.connect(args.sock, 5)
    n = 0
    last_size = 0
    rotations = 0
    max_size = 0
    after = []
    while rotations < args.rotations:
        if n > 200000:
            raise CheckFailed("%d rotations only after %d lines" % (rotations, n))
        conn.send(b"".join(framed(mac_frame(n + i)) for i in range(BATCH)))
        n += BATCH
        deadline = time.monotonic() + 10
        while True:
            data = read(args.log)
            got = macs_in(data)
            if got and got[-1] == n - 1:
                break
            if time.monotonic() > deadline:
                raise CheckFailed("address %d not logged within 10 s" % (n - 1))
            time.sleep(0.01)
        size = len(data)
        max_size = max(max_size, size)
        if size > args.limit:
            raise CheckFailed("log file has %d bytes, limit %d" % (size, args.limit))
        if size < last_size:
            rotations += 1
            after.append(size)
            say("rotation %d after address %d: %d bytes left"
                % (rotations, n - 1, size))
            if size < args.limit * 0.4:
                raise CheckFailed("only %d bytes left after a rotation "
                                  "(limit %d): the newer half was lost"
                                  % (size, args.limit))
        last_size = size
    conn.close()

    got = macs_in(read(args.log))
    if got != list(range(got[0], n)):
        raise CheckFailed("addresses in the file are not a run ending with %d"
                          % (n - 1))
    print("result: addresses=%d max_size=%d rotations=%d after_rotation=%s "
          "kept=%d-%d" % (n, max_size, rotations,
                          ",".join(str(a) for a in after), got[0], got[-1]))


def cmd_badlen(args):
    start = time.monotonic()
    for i in range(args.count):
        conn = Conn.connect(args.sock, 5)
        try:
            conn.sock.sendall(struct.pack("!I", 0) + bytes(64))
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not conn.wait_eof(5):
            raise CheckFailed("connection %d still open 5 s after frame "
                              "length 0" % i)
        conn.close()
    print("result: connections=%d elapsed=%.2f"
          % (args.count, time.monotonic() - start))


def cmd_syslog(args):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(args.sock)
    os.chmod(args.sock, 0o666)
    s.settimeout(0.05)
    out = open(args.out, "a")
    open(args.ready, "w").close()
    paused = args.pause + ".paused" if args.pause else None
    while True:
        if args.pause and os.path.exists(args.pause):
            if not os.path.exists(paused):
                open(paused, "w").close()
            time.sleep(0.05)
            continue
        if paused and os.path.exists(paused):
            os.unlink(paused)
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        out.write(data.decode(errors="replace").replace("\n", "\\n") + "\n")
        out.flush()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("macflood")
    f.add_argument("--sock", required=True)
    f.add_argument("--log", required=True)
    f.add_argument("--limit", type=int, required=True)
    f.add_argument("--rotations", type=int, default=3)
    f = sub.add_parser("badlen")
    f.add_argument("--sock", required=True)
    f.add_argument("--count", type=int, required=True)
    f = sub.add_parser("syslog")
    f.add_argument("--sock", required=True)
    f.add_argument("--out", required=True)
    f.add_argument("--ready", required=True)
    f.add_argument("--pause")
    args = p.parse_args()
    try:
        {"macflood": cmd_macflood, "badlen": cmd_badlen,
         "syslog": cmd_syslog}[args.cmd](args)
    except CheckFailed as e:
        say("FAILED: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
