#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tw_tool.py - a connection that leaves the guest's end in TIME-WAIT, then
# another one on the same four-tuple (tcp_tw.sh)
#
# server PORT READY: for each connection, read the size announced in its
#	first 8 bytes and that many bytes, answer their SHA-256, close first
#	(so this end goes to TIME-WAIT), and go on with the next connection
# client ADDR PORT SRCPORT SIZE [SEED]: connect from SRCPORT, send SIZE
#	bytes, check the answer, close; print a JSON report: seconds taken
#	and what went wrong, if anything

import hashlib
import json
import socket
import struct
import sys
import time

import testlib


def server(port, ready):
    """Answer connections one after the other, closing first"""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(16)
    open(ready, "w").close()
    while True:
        s, _ = ls.accept()
        deadline = time.monotonic() + 60
        size = struct.unpack("!Q", testlib.recv_exact(s, 8, deadline))[0]
        data = testlib.recv_exact(s, size, deadline)
        s.sendall(hashlib.sha256(data).digest())
        s.close()


def client(addr, port, srcport, size, seed):
    """One connection from srcport; report on stdout"""
    t0 = time.monotonic()
    rep = {"srcport": srcport, "size": size}
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", srcport))
        s.settimeout(30)
        s.connect((addr, port))
        data = testlib.payload(seed, size)
        s.sendall(struct.pack("!Q", size) + data)
        got = testlib.recv_all(s, time.monotonic() + 30)
        s.close()
        rep["ok"] = got == hashlib.sha256(data).digest()
        if not rep["ok"]:
            rep["error"] = "wrong answer (%d bytes)" % len(got)
    except OSError as e:
        rep["ok"] = False
        rep["error"] = "%s: %s" % (type(e).__name__, e)
    rep["seconds"] = round(time.monotonic() - t0, 3)
    print(json.dumps(rep))
    return 0 if rep["ok"] else 1


def run():
    """Command line"""
    a = sys.argv[1:]
    if a and a[0] == "server":
        return server(int(a[1]), a[2])
    if a and a[0] == "client":
        return client(a[1], int(a[2]), int(a[3]), int(a[4]),
                      int(a[5]) if len(a) > 5 else 1)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    testlib.main(run)
