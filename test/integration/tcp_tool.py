#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tcp_tool.py - TCP clients and servers for the TCP tests.

Every check is on data: the bytes each side sends are derived from a seed,
and the receiving side compares what it got with what it expected, byte for
byte (through SHA-256 digests).  Every wait is bounded by --timeout.

Subcommands:

  server    --bind ADDR --port P --mode MODE
            echo        echo every connection until EOF, forever (or
                        --count connections); TCP_NODELAY
            hc-client   half-close, client first: read until EOF, reply
                        "<sha256 of what came>\\n" + --reply-size bytes
                        derived from that digest, close
            hc-server   half-close, server first: send --size bytes
                        (--seed), shut down writing, read until EOF, check
                        that the client replied "<sha256>\\n" + derived
                        bytes, close
            echo-close  server closes first: read --size bytes, send them
                        back, close; every connection, until --timeout
                        passes without one; "FAIL: ..." for each that
                        failed (reset before its data came, say)
            --peers FILE appends "ADDR PORT" of every accepted client
            --backlog N: listen() backlog (default 4096); echo only:
            --accept-delay S: don't accept for S seconds (the accept
            queue overflows, the kernel drops handshakes)
  client    --connect ADDR --port P --mode hc-client|hc-server: the other
            side of the two half-close exchanges, with the same checks
  many      --conns N --size S: open N connections to an echo server,
            all at once, then send S bytes of its own on each (half-close
            after the data) and check each echo; JSON summary on stdout
  refused   expect "Connection refused" within --max-time seconds
            (--allow-reset: a connection that is accepted and then reset
            or closed without data also counts)
  hold      open connections to an echo server one after the other, each
            checked with a short echo, until one fails or --max are open;
            try --extra more (they must all fail); write a JSON report to
            --ready, wait for the file --release, then move --check-size
            bytes over the first and the last connection held and close
  storm     --count N attempts, --parallel P at a time: JSON counts of
            refused / reset / timeout / success

Exit status: 0 when every check held, 1 otherwise (storm: always 0, the
counts are the result).  Standard library only, and testlib.py next to
this file.
"""

import argparse
import asyncio
import errno
import json
import os
import signal
import socket
import sys
import time

from testlib import (CHUNK, client_exchange, cmd_many, family_of, payload,
                     raise_nofile, recv_exact, server_exchange)
import testlib


def say(msg):
    print("tcp_tool: " + msg, file=sys.stderr, flush=True)


def listen_socket(bind, port, backlog=4096):
    fam = family_of(bind)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, port))
    s.listen(backlog)
    return s


def note_peer(path, addr):
    if path:
        with open(path, "a", encoding="ascii") as f:
            f.write("%s %d\n" % (addr[0], addr[1]))


# ---------------------------------------------------------------- server

async def echo_conn(reader, writer, args):
    sock = writer.get_extra_info("socket")
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    note_peer(args.peers, writer.get_extra_info("peername"))
    try:
        while True:
            buf = await reader.read(CHUNK)
            if not buf:
                break
            writer.write(buf)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def echo_server(args):
    sock = listen_socket(args.bind, args.port, args.backlog)
    done = asyncio.Event()
    count = [0]
    if args.accept_delay:
        # Nobody accepts for a while: the accept queue fills up, and the
        # kernel drops the handshakes it can't queue (ListenOverflows)
        await asyncio.sleep(args.accept_delay)

    async def handle(reader, writer):
        try:
            await echo_conn(reader, writer, args)
        finally:
            count[0] += 1
            if args.count and count[0] >= args.count:
                done.set()

    server = await asyncio.start_server(handle, sock=sock,
                                        limit=CHUNK * 4,
                                        backlog=args.backlog)
    say("echo server on %s port %d" % (args.bind, args.port))
    async with server:
        if args.timeout:
            try:
                await asyncio.wait_for(done.wait(), args.timeout)
            except asyncio.TimeoutError:
                if args.count:
                    say("timeout: %d of %d connections done"
                        % (count[0], args.count))
                    return 1
        else:
            await done.wait()
    return 0


def hc_server_conn(conn, args):
    """One half-close exchange on an accepted socket: None or error"""
    err, what = server_exchange(conn, args.mode,
                                payload(args.seed, args.size),
                                args.reply_size,
                                time.monotonic() + args.timeout)
    if err is None:
        say(what)
    return err


def echo_close_server(args):
    """Server closes first: --size bytes echoed, then close, forever"""
    sock = listen_socket(args.bind, args.port, args.backlog)
    sock.settimeout(args.timeout)
    say("echo-close server on %s port %d" % (args.bind, args.port))
    n = 0
    while True:
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            say("%d connections" % n)
            return 0
        n += 1
        try:
            conn.settimeout(10)
            data = b""
            while len(data) < args.size:
                chunk = conn.recv(args.size - len(data))
                if not chunk:
                    break
                data += chunk
            if len(data) < args.size:
                say("FAIL: connection %d: %d of %d bytes"
                    % (n, len(data), args.size))
            conn.sendall(data)
        except OSError as e:
            say("FAIL: connection %d: %s" % (n, e))
        conn.close()


def cmd_server(args):
    raise_nofile()
    if args.mode == "echo":
        return asyncio.run(echo_server(args))
    if args.mode == "echo-close":
        return echo_close_server(args)

    sock = listen_socket(args.bind, args.port)
    sock.settimeout(args.timeout)
    rc = 0
    for _ in range(args.count or 1):
        try:
            conn, addr = sock.accept()
        except socket.timeout:
            say("no connection within %d s" % args.timeout)
            return 1
        note_peer(args.peers, addr)
        try:
            err = hc_server_conn(conn, args)
        except (OSError, TimeoutError, EOFError) as e:
            err = "%s: %s" % (type(e).__name__, e)
        if err:
            say("FAIL: " + err)
            rc = 1
    return rc


# ---------------------------------------------------------------- client

def connect(addr, port, timeout):
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, port))
    return s


def cmd_client(args):
    deadline = time.monotonic() + args.timeout
    try:
        s = connect(args.connect, args.port, args.timeout)
        err, what = client_exchange(s, args.mode,
                                    payload(args.seed, args.size),
                                    args.reply_size, deadline)
        s.close()
    except (OSError, TimeoutError, EOFError) as e:
        say("FAIL: %s: %s" % (type(e).__name__, e))
        return 1
    if err:
        say("FAIL: " + err)
        return 1
    say(what + ": intact")
    return 0


# ---------------------------------------------------------------- refused

def cmd_refused(args):
    t0 = time.monotonic()
    s = socket.socket(family_of(args.connect), socket.SOCK_STREAM)
    s.settimeout(args.max_time)
    try:
        s.connect((args.connect, args.port))
    except ConnectionRefusedError:
        dt = time.monotonic() - t0
        print("refused %.3f" % dt, flush=True)
        say("Connection refused after %.3f s" % dt)
        return 0
    except ConnectionResetError:
        # Accepted and reset at once: connect() reports the reset
        dt = time.monotonic() - t0
        if args.allow_reset:
            print("reset %.3f" % dt, flush=True)
            say("reset while connecting, after %.3f s" % dt)
            return 0
        say("FAIL: Connection reset (expected Connection refused)")
        print("reset", flush=True)
        return 1
    except socket.timeout:
        say("FAIL: no answer within %.1f s (expected Connection refused)"
            % args.max_time)
        print("timeout", flush=True)
        return 1
    except OSError as e:
        say("FAIL: %s (expected Connection refused)" % e)
        print("error %s" % errno.errorcode.get(e.errno, e.errno), flush=True)
        return 1
    if not args.allow_reset:
        say("FAIL: connected (expected Connection refused)")
        print("connected", flush=True)
        return 1
    # Accepted (a port forward accepts first): it must be closed promptly
    try:
        left = max(0.1, args.max_time - (time.monotonic() - t0))
        s.settimeout(left)
        buf = s.recv(1)
    except ConnectionResetError:
        dt = time.monotonic() - t0
        print("reset %.3f" % dt, flush=True)
        say("accepted, then reset after %.3f s" % dt)
        return 0
    except socket.timeout:
        say("FAIL: accepted and still open after %.1f s" % args.max_time)
        print("open", flush=True)
        return 1
    except OSError as e:
        say("FAIL: %s" % e)
        return 1
    dt = time.monotonic() - t0
    if buf:
        say("FAIL: accepted and got data")
        print("data", flush=True)
        return 1
    print("eof %.3f" % dt, flush=True)
    say("accepted, then closed without data after %.3f s" % dt)
    return 0


# ---------------------------------------------------------------- hold

def classify(e):
    if isinstance(e, ConnectionRefusedError):
        return "refused"
    if isinstance(e, ConnectionResetError):
        return "reset"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(e, EOFError):
        return "eof"
    return "error:%s" % (errno.errorcode.get(getattr(e, "errno", None),
                                             type(e).__name__))


def hold_one(args, i):
    """Connect and check with a short echo: socket, or raise"""
    s = connect(args.connect, args.port, args.conn_timeout)
    try:
        msg = b"hold %d\n" % i
        s.sendall(msg)
        got = recv_exact(s, len(msg), time.monotonic() + args.conn_timeout)
        if got != msg:
            raise EOFError("echo differs")
    except BaseException:
        s.close()
        raise
    return s


def echo_check(s, seed, size, timeout):
    data = payload(seed, size)
    deadline = time.monotonic() + timeout
    s.setblocking(False)
    sent = 0
    parts = []
    got = 0
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    try:
        while got < size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("echo: %d of %d bytes back" % (got, size))
            for _, ev in sel.select(left):
                if ev & selectors.EVENT_WRITE and sent < size:
                    try:
                        sent += s.send(data[sent:sent + CHUNK])
                    except BlockingIOError:
                        pass
                    if sent == size:
                        sel.modify(s, selectors.EVENT_READ)
                if ev & selectors.EVENT_READ:
                    try:
                        buf = s.recv(CHUNK)
                    except BlockingIOError:
                        continue
                    if not buf:
                        raise EOFError("EOF after %d of %d bytes" %
                                       (got, size))
                    parts.append(buf)
                    got += len(buf)
    finally:
        sel.close()
        s.setblocking(True)
    return b"".join(parts) == data


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def cmd_hold(args):
    raise_nofile()
    held = []
    rep = {"opened": 0, "first_failure": None, "extra": {}}
    t0 = time.monotonic()
    for i in range(args.max):
        try:
            held.append(hold_one(args, i))
        except (OSError, EOFError, TimeoutError) as e:
            rep["first_failure"] = classify(e)
            rep["first_failure_s"] = round(time.monotonic() - t0, 3)
            break
    rep["opened"] = len(held)
    extra_t = []
    for i in range(args.extra):
        t1 = time.monotonic()
        try:
            s = hold_one(args, args.max + i)
            k = "success"
            held.append(s)
        except (OSError, EOFError, TimeoutError) as e:
            k = classify(e)
        extra_t.append(time.monotonic() - t1)
        rep["extra"][k] = rep["extra"].get(k, 0) + 1
    if extra_t:
        rep["extra_max_s"] = round(max(extra_t), 3)
    say("held %d connections, first failure: %s, %d more: %s"
        % (rep["opened"], rep["first_failure"], args.extra, rep["extra"]))
    if args.ready:
        write_json(args.ready, rep)
    if args.release:
        deadline = time.monotonic() + args.wait
        while not os.path.exists(args.release):
            if time.monotonic() > deadline:
                say("FAIL: no %s within %d s" % (args.release, args.wait))
                return 1
            time.sleep(0.1)
    rc = 0
    checks = {}
    if held and args.check_size:
        for name, idx in (("first", 0), ("last", rep["opened"] - 1)):
            if idx < 0:
                continue
            try:
                good = echo_check(held[idx], idx + 7, args.check_size,
                                  args.timeout)
                checks[name] = "intact" if good else "corrupt"
            except (OSError, EOFError, TimeoutError) as e:
                checks[name] = classify(e)
            if checks[name] != "intact":
                rc = 1
    for s in held:
        s.close()
    rep["checks"] = checks
    print(json.dumps(rep), flush=True)
    return rc


# ---------------------------------------------------------------- storm

async def storm(args):
    counts = {}
    sem = asyncio.Semaphore(args.parallel)

    async def one(i):
        async with sem:
            try:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection(args.connect, args.port),
                    args.conn_timeout)
            except ConnectionRefusedError:
                k = "refused"
            except ConnectionResetError:
                k = "reset"
            except asyncio.TimeoutError:
                k = "timeout"
            except OSError as e:
                k = "error:%s" % errno.errorcode.get(e.errno, e.errno)
            else:
                try:
                    w.write(b"x")
                    buf = await asyncio.wait_for(r.read(1), args.conn_timeout)
                    k = "success" if buf else "closed_after_connect"
                except (ConnectionResetError, BrokenPipeError):
                    k = "reset_after_connect"
                except asyncio.TimeoutError:
                    k = "hung_after_connect"
                except OSError as e:
                    k = "error:%s" % errno.errorcode.get(e.errno, e.errno)
                w.close()
            counts[k] = counts.get(k, 0) + 1

    t0 = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(args.count)))
    counts["seconds"] = round(time.monotonic() - t0, 3)
    print(json.dumps(counts), flush=True)
    return 0


def cmd_storm(args):
    raise_nofile()
    return asyncio.run(storm(args))


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp, server=False):
        if server:
            sp.add_argument("--bind", required=True)
        else:
            sp.add_argument("--connect", required=True)
        sp.add_argument("--port", type=int, required=True)
        sp.add_argument("--timeout", type=float, default=60)
        sp.add_argument("--seed", type=int, default=1)
        sp.add_argument("--size", type=int, default=100000)

    sp = sub.add_parser("server")
    common(sp, server=True)
    sp.add_argument("--mode", required=True,
                    choices=("echo", "echo-close", "hc-client",
                             "hc-server"))
    sp.add_argument("--count", type=int, default=0)
    sp.add_argument("--reply-size", type=int, default=100000)
    sp.add_argument("--peers")
    sp.add_argument("--backlog", type=int, default=4096,
                    help="listen() backlog (echo: also asyncio's)")
    sp.add_argument("--accept-delay", type=float, default=0,
                    help="echo: start accepting only after this long")

    sp = sub.add_parser("client")
    common(sp)
    sp.add_argument("--mode", required=True, choices=("hc-client", "hc-server"))
    sp.add_argument("--reply-size", type=int, default=100000)

    sp = sub.add_parser("many")
    common(sp)
    sp.add_argument("--conns", type=int, default=500)

    sp = sub.add_parser("refused")
    common(sp)
    sp.add_argument("--max-time", type=float, default=3)
    sp.add_argument("--allow-reset", action="store_true")

    sp = sub.add_parser("hold")
    common(sp)
    sp.add_argument("--max", type=int, required=True)
    sp.add_argument("--extra", type=int, default=10)
    sp.add_argument("--conn-timeout", type=float, default=3)
    sp.add_argument("--ready")
    sp.add_argument("--release")
    sp.add_argument("--wait", type=float, default=180)
    sp.add_argument("--check-size", type=int, default=1 << 20)

    sp = sub.add_parser("storm")
    common(sp)
    sp.add_argument("--count", type=int, default=1000)
    sp.add_argument("--parallel", type=int, default=50)
    sp.add_argument("--conn-timeout", type=float, default=3)

    args = p.parse_args()
    fn = {"server": cmd_server, "client": cmd_client, "many": cmd_many,
          "refused": cmd_refused, "hold": cmd_hold,
          "storm": cmd_storm}[args.cmd]
    return fn(args)


if __name__ == "__main__":
    testlib.main(main)
