#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""splice_tool.py - TCP clients and servers for the spliced path tests

Every check is on data: the bytes each side sends derive from a seed (and
the connection's number), the receiving side compares them with what it
expected, through SHA-256 digests.  Every wait is bounded by --timeout.

Subcommands:

  server  --bind ADDR --port P --mode MODE [--count N] [--timeout S]
          [--peers FILE]
          echo       echo each connection until EOF, then close (a thread
                     per connection)
          hc-client  half-close, client first: read to EOF, then reply
                     "<sha256 of what came>\\n" + --reply-size bytes
                     derived from that digest, close
          hc-server  half-close, server first: send --size bytes, shut
                     down writing, read the client's reply to EOF, check it
          abort      send --size bytes, wait 0.5 s, close with a reset
                     (SO_LINGER 0)
          expect-reset  read: all of the peer's --size bytes, then a
                     reset, not a clean end of file
          Serves --count connections (0: until --timeout), appends the
          peer "ADDR PORT" of each to --peers; exit 1 if one failed or
          fewer than --count came in time.
  client  --connect ADDR --port P --mode hc-client|hc-server
          [--repeat N]: the other side of the half-close exchanges, N
          times one after the other; --mode abort|expect-reset: as the
          server modes, on the connecting side
  many    --connect ADDR --port P --conns N --size S: open N connections
          to an echo server at once, then send S bytes of its own on each
          (FIN after the data) and check each echo; JSON on stdout
  hold    --connect ADDR --port P --conns N: open N connections to an
          echo server, check a short echo on each, print "held N", keep
          them open for --timeout seconds
  send    --connect ADDR --port P --size S: send S bytes (from --seed),
          stop quietly if the receiver goes away
  slow    --bind ADDR --port P --size S --duration D: accept one
          connection, read it slowly (4 KiB every 10 ms, small receive
          buffer) for D seconds; the bytes that came must be the start of
          what send sends; JSON {"got": N, "intact": true|false}
  probe   --connect ADDR --port P --max-time S: what happens to a
          connection to a forwarded port with nothing behind it.  Prints
          one line: "refused T", "reset-connect T", "reset T", "eof T",
          "data", "open" (nothing within S seconds) or "error E"; exit 0
          for refused / reset / eof within S seconds.

Exit status: 0 when every check held, 1 otherwise.  Standard library only,
and testlib.py next to this file.
"""

import argparse
import json
import socket
import struct
import sys
import threading
import time

from testlib import (CHUNK, client_exchange, cmd_many, family_of, payload,
                     probe_closed, raise_nofile, recv_upto, server_exchange)
import testlib


def say(msg):
    print("splice_tool: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- server

def serve_echo(conn, deadline):
    try:
        while True:
            conn.settimeout(max(0.1, deadline - time.monotonic()))
            buf = conn.recv(CHUNK)
            if not buf:
                break
            conn.sendall(buf)
        conn.shutdown(socket.SHUT_WR)
        return None
    except OSError as e:
        return "echo: %s: %s" % (type(e).__name__, e)
    finally:
        conn.close()


def serve_hc(conn, args, n, deadline):
    try:
        return server_exchange(conn, args.mode,
                               payload("%d/%d" % (args.seed, n), args.size),
                               args.reply_size, deadline)[0]
    except (OSError, TimeoutError) as e:
        conn.close()
        return "%s: %s" % (type(e).__name__, e)


def abort_side(sock, args):
    """Send --size bytes, wait a moment, then close with a reset"""
    sock.settimeout(args.timeout)
    sock.sendall(payload("%d/abort" % args.seed, args.size))
    time.sleep(0.5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()
    return None


def expect_reset_side(sock, args):
    """Read: all of the peer's --size bytes, then a reset (not EOF)"""
    deadline = time.monotonic() + args.timeout
    want = payload("%d/abort" % args.seed, args.size)
    got = bytearray()
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "no reset within %d s (%d bytes)" % (args.timeout,
                                                            len(got))
            sock.settimeout(left)
            buf = sock.recv(CHUNK)
            if not buf:
                return ("clean end of file after %d bytes, expected a "
                        "reset" % len(got))
            got += buf
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    if bytes(got) != want:
        return ("reset after %d bytes, but expected the %d bytes sent "
                "first%s" % (len(got), len(want),
                             "" if len(got) != len(want) else
                             " (same length, other data)"))
    return None


def cmd_server(args):
    raise_nofile()
    s = socket.socket(family_of(args.bind), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family_of(args.bind) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((args.bind, args.port))
    s.listen(1024)
    deadline = time.monotonic() + args.timeout
    errors = []
    threads = []
    n = 0
    say("%s server on %s port %d" % (args.mode, args.bind, args.port))
    while not args.count or n < args.count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            conn, peer = s.accept()
        except socket.timeout:
            break
        if args.peers:
            with open(args.peers, "a", encoding="ascii") as f:
                f.write("%s %d\n" % (peer[0], peer[1]))
        if args.mode in ("abort", "expect-reset"):
            try:
                err = (abort_side if args.mode == "abort"
                       else expect_reset_side)(conn, args)
            except OSError as e:
                err = "%s: %s" % (type(e).__name__, e)
            if err:
                errors.append("connection %d: %s" % (n, err))
        elif args.mode == "echo":
            def run(c=conn):
                err = serve_echo(c, deadline)
                if err:
                    errors.append(err)
            t = threading.Thread(target=run, daemon=True)
            t.start()
            threads.append(t)
        else:
            err = serve_hc(conn, args, n, deadline)
            if err:
                errors.append("connection %d: %s" % (n, err))
        n += 1
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    s.close()
    for e in errors[:5]:
        say("FAIL: " + e)
    if args.count and n < args.count:
        say("FAIL: %d of %d connections within %d s" %
            (n, args.count, args.timeout))
        return 1
    return 1 if errors else 0


# ---------------------------------------------------------------- client

def client_once(args, n):
    deadline = time.monotonic() + args.timeout
    s = socket.socket(family_of(args.connect), socket.SOCK_STREAM)
    try:
        s.settimeout(args.timeout)
        s.connect((args.connect, args.port))
        data = payload("%d/%d%s" % (args.seed, n,
                                    "/c" if args.mode == "hc-client" else ""),
                       args.size)
        return client_exchange(s, args.mode, data, args.reply_size,
                               deadline)[0]
    except (OSError, TimeoutError) as e:
        return "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()


def cmd_client(args):
    if args.mode in ("abort", "expect-reset"):
        try:
            s = socket.create_connection((args.connect, args.port),
                                         timeout=args.timeout)
            err = (abort_side if args.mode == "abort"
                   else expect_reset_side)(s, args)
        except OSError as e:
            err = "%s: %s" % (type(e).__name__, e)
        if err:
            say("FAIL: " + err)
            return 1
        say("%s: %d bytes, then a reset" % (args.mode, args.size))
        return 0
    for n in range(args.repeat):
        err = client_once(args, n)
        if err:
            say("FAIL: connection %d of %d: %s" % (n + 1, args.repeat, err))
            return 1
    if args.mode == "hc-client":
        say("%d x: sent %d bytes and FIN, then got the %d-byte reply, "
            "intact" % (args.repeat, args.size, args.reply_size))
    else:
        say("%d x: got %d bytes up to the server's FIN, then sent the "
            "reply" % (args.repeat, args.size))
    return 0


# ---------------------------------------------------------------- slow

def cmd_hold(args):
    """Open --conns connections to an echo server, check each, hold them"""
    raise_nofile()
    held = []
    try:
        for i in range(args.conns):
            s = socket.create_connection((args.connect, args.port),
                                         timeout=10)
            msg = b"hold %d\n" % i
            s.sendall(msg)
            if recv_upto(s, len(msg)) != msg:
                say("FAIL: connection %d: echo differs" % i)
                return 1
            held.append(s)
    except OSError as e:
        say("FAIL: connection %d: %s" % (len(held), e))
        return 1
    print("held %d" % len(held), flush=True)
    time.sleep(args.timeout)
    return 0


def cmd_send(args):
    """Send --size seeded bytes; stop quietly when the peer goes away"""
    data = payload("%d/slow" % args.seed, args.size)
    s = socket.create_connection((args.connect, args.port), timeout=10)
    s.settimeout(args.timeout)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        say("sender stopped: %s" % e)
    s.close()
    return 0


def cmd_slow(args):
    """Accept one connection, read it slowly for --duration seconds,
    check that what came is the start of the sender's data"""
    s = socket.socket(family_of(args.bind), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.bind, args.port))
    s.listen(1)
    s.settimeout(args.timeout)
    conn, _ = s.accept()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    want = payload("%d/slow" % args.seed, args.size)
    got = bytearray()
    t0 = time.monotonic()
    conn.settimeout(args.timeout)
    while time.monotonic() - t0 < args.duration and len(got) < args.size:
        buf = conn.recv(4096)
        if not buf:
            break
        got += buf
        time.sleep(0.01)
    conn.close()
    intact = bytes(got) == want[:len(got)]
    print(json.dumps({"got": len(got), "intact": intact}), flush=True)
    return 0 if intact and got else 1


# ---------------------------------------------------------------- probe

def cmd_probe(args):
    s = socket.socket(family_of(args.connect), socket.SOCK_STREAM)
    what, dt = probe_closed(s, args.connect, args.port, args.max_time)
    if what in ("refused", "reset-connect", "reset", "eof"):
        print("%s %.3f" % (what, dt), flush=True)
        return 0
    print(what, flush=True)
    return 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def cmd(name, where="--connect"):
        sp = sub.add_parser(name)
        sp.add_argument(where, required=True)
        return sp

    sp = cmd("server", "--bind")
    sp.add_argument("--mode", choices=("echo", "hc-client", "hc-server",
                                       "abort", "expect-reset"),
                    required=True)
    sp.add_argument("--count", type=int, default=0)
    sp.add_argument("--peers")
    sc = cmd("client")
    sc.add_argument("--mode", choices=("hc-client", "hc-server", "abort",
                                       "expect-reset"),
                    required=True)
    sc.add_argument("--repeat", type=int, default=1)
    sm = cmd("many")
    sm.add_argument("--conns", type=int, required=True)
    sr = cmd("probe")
    sr.add_argument("--max-time", type=float, default=3)
    sh = cmd("hold")
    sh.add_argument("--conns", type=int, required=True)
    ss = cmd("send")
    sl = cmd("slow", "--bind")
    sl.add_argument("--duration", type=float, default=5)

    for x in (sp, sc, sm, sr, sh, ss, sl):
        x.add_argument("--port", type=int, required=True)
        x.add_argument("--timeout", type=float, default=30)
        x.add_argument("--seed", type=int, default=1)
        x.add_argument("--size", type=int, default=300000)
        x.add_argument("--reply-size", type=int, default=200000)

    args = p.parse_args()
    return {"server": cmd_server, "client": cmd_client, "many": cmd_many,
            "probe": cmd_probe, "hold": cmd_hold, "send": cmd_send,
            "slow": cmd_slow}[args.cmd](args)


if __name__ == "__main__":
    testlib.main(main)
