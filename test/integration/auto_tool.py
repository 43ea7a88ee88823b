#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""auto_tool.py - servers and pollers for the automatic forwarding tests

Every wait is bounded; every check is on data (random tokens and payloads
that must come back unchanged).

Subcommands:

  server  --proto tcp|udp --bind ADDR --port P [--timeout S]
          TCP: echo every connection until EOF (one thread each).
          UDP: send every datagram back to where it came from.
          Runs until SIGTERM or --timeout seconds (0: no limit).

  wait    --proto tcp|udp --connect ADDR --port P --until up|down
          --timeout S [--interval S] [--size BYTES]
          Poll until the port forward is in the wanted state:
            tcp up:   a connection echoes a fresh random token
            tcp down: the connection is refused
            udp up:   a fresh random datagram comes back unchanged
            udp down: the datagram is refused (ICMP port unreachable)
          With --until up and --size, once up, BYTES of random data are
          echoed over one more connection (TCP) or in 1000-byte datagrams
          (UDP, each one checked) and compared.
          Prints JSON: {"state": "up"|"down"|"timeout", "elapsed": S,
          "attempts": N, "last": "what the last failed attempt saw",
          "end_ms": wall clock (ms since the epoch) when the state was
          seen, "data": "intact"|"..."} and exits 0 if the state was reached
          (and the data, if any, came back intact), 1 otherwise.

  never   --proto tcp|udp --connect ADDR --port P --duration S
          Poll for S seconds; the port must never be forwarded to a
          server (no echo ever comes back).  Prints JSON with what the
          attempts saw; exit 0 if no attempt got an echo.
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time

from testlib import CHUNK, family_of, recv_upto
import testlib


def say(msg):
    print("auto_tool: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- server

def tcp_echo_conn(conn):
    try:
        conn.settimeout(60)
        while True:
            buf = conn.recv(CHUNK)
            if not buf:
                break
            conn.sendall(buf)
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        conn.close()


def cmd_server(args):
    fam = family_of(args.bind)
    if args.proto == "tcp":
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((args.bind, args.port))
        s.listen(128)
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((args.bind, args.port))
    say("%s echo server on %s port %d" % (args.proto, args.bind, args.port))

    deadline = time.monotonic() + args.timeout if args.timeout else None
    while True:
        left = None
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return 0
        s.settimeout(min(left, 1.0) if left is not None else 1.0)
        try:
            if args.proto == "tcp":
                conn, _ = s.accept()
                threading.Thread(target=tcp_echo_conn, args=(conn,),
                                 daemon=True).start()
            else:
                buf, peer = s.recvfrom(65535)
                s.sendto(buf, peer)
        except socket.timeout:
            continue
        except OSError as e:
            say("server: %s" % e)


# ---------------------------------------------------------------- probes

def tcp_attempt(args, token, deadline):
    """One connection: 'echo', 'refused', or what else happened"""
    s = socket.socket(family_of(args.connect), socket.SOCK_STREAM)
    try:
        s.settimeout(max(0.05, min(1.0, deadline - time.monotonic())))
        s.connect((args.connect, args.port))
        s.sendall(token)
        s.shutdown(socket.SHUT_WR)
        got = recv_upto(s, len(token))
        if got == token:
            return "echo"
        if token.startswith(got):
            return "eof after %d bytes" % len(got)
        return "wrong data"
    except ConnectionRefusedError:
        return "refused"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "error: %s" % e
    finally:
        s.close()


def udp_attempt(args, token, deadline):
    s = socket.socket(family_of(args.connect), socket.SOCK_DGRAM)
    try:
        s.connect((args.connect, args.port))
        s.send(token)
        end = min(deadline, time.monotonic() + args.reply_wait)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return "no reply"
            s.settimeout(left)
            buf = s.recv(65535)
            if buf == token:
                return "echo"
            # A late reply to an earlier attempt can't reach this socket
            return "wrong data"
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "no reply"
    except OSError as e:
        return "error: %s" % e
    finally:
        s.close()


def tcp_bulk(args):
    """Echo --size random bytes over one connection: None or error"""
    data = os.urandom(args.size)
    s = socket.create_connection((args.connect, args.port), timeout=10)
    try:
        got = []
        err = []

        def sender():
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            except OSError as e:
                err.append(str(e))

        t = threading.Thread(target=sender, daemon=True)
        t.start()
        while True:
            buf = s.recv(CHUNK)
            if not buf:
                break
            got.append(buf)
        t.join(10)
        got = b"".join(got)
        if err:
            return "send: " + err[0]
        if got != data:
            return "echo of %d bytes differs (%d came back)" % (len(data),
                                                              len(got))
        return None
    except OSError as e:
        return "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()


def udp_bulk(args):
    s = socket.socket(family_of(args.connect), socket.SOCK_DGRAM)
    s.connect((args.connect, args.port))
    s.settimeout(2)
    n = (args.size + 999) // 1000
    try:
        for i in range(n):
            d = b"%08d" % i + os.urandom(992)
            s.send(d)
            got = s.recv(65535)
            if got != d:
                return "datagram %d of %d came back different" % (i, n)
        return None
    except OSError as e:
        return "datagram %d of %d: %s: %s" % (i, n, type(e).__name__, e)
    finally:
        s.close()


def cmd_wait(args):
    attempt = tcp_attempt if args.proto == "tcp" else udp_attempt
    want = "echo" if args.until == "up" else "refused"
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    res = {"state": "timeout", "attempts": 0, "last": ""}
    while True:
        token = b"auto %d %s\n" % (res["attempts"], os.urandom(8).hex()
                                   .encode())
        seen = attempt(args, token, deadline)
        res["attempts"] += 1
        if seen == want:
            res["state"] = args.until
            res["end_ms"] = int(time.time() * 1000)
            break
        res["last"] = seen
        if time.monotonic() >= deadline:
            break
        time.sleep(args.interval)
    res["elapsed"] = round(time.monotonic() - t0, 3)
    rc = 0 if res["state"] == args.until else 1
    if rc == 0 and args.until == "up" and args.size:
        err = tcp_bulk(args) if args.proto == "tcp" else udp_bulk(args)
        res["data"] = err or "intact"
        if err:
            rc = 1
    print(json.dumps(res), flush=True)
    return rc


def cmd_never(args):
    attempt = tcp_attempt if args.proto == "tcp" else udp_attempt
    t0 = time.monotonic()
    deadline = t0 + args.duration
    seen = {}
    n = 0
    while time.monotonic() < deadline:
        token = b"never %d %s\n" % (n, os.urandom(8).hex().encode())
        s = attempt(args, token, deadline + 1)
        seen[s] = seen.get(s, 0) + 1
        n += 1
        time.sleep(args.interval)
    print(json.dumps({"attempts": n, "seen": seen}), flush=True)
    return 1 if "echo" in seen else 0


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    sp = sub.add_parser("server")
    sp.add_argument("--proto", choices=("tcp", "udp"), required=True)
    sp.add_argument("--bind", required=True)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--timeout", type=float, default=0)

    for name in ("wait", "never"):
        sp = sub.add_parser(name)
        sp.add_argument("--proto", choices=("tcp", "udp"), required=True)
        sp.add_argument("--connect", required=True)
        sp.add_argument("--port", type=int, required=True)
        sp.add_argument("--interval", type=float, default=0.05)
        sp.add_argument("--reply-wait", type=float, default=0.3)
        if name == "wait":
            sp.add_argument("--until", choices=("up", "down"),
                            required=True)
            sp.add_argument("--timeout", type=float, required=True)
            sp.add_argument("--size", type=int, default=0)
        else:
            sp.add_argument("--duration", type=float, required=True)

    args = p.parse_args()
    return {"server": cmd_server, "wait": cmd_wait,
            "never": cmd_never}[args.cmd](args)


if __name__ == "__main__":
    testlib.main(main)
