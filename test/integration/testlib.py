#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# testlib.py - what the Python helpers of the integration tests share
#
# Standard library only.  The tools run as "python3 test/integration/X.py",
# so this directory is on sys.path and "import testlib" finds this file.
#
# - addresses: family_of()
# - sockets in a named network namespace: netns_socket()
# - what a client sees of a port with nothing behind it: probe_closed()
# - the TCP exchanges of tcp_tool.py and splice_tool.py: deterministic
#   payloads, reading to end of file, the half-close exchange (one side
#   sends its data and FIN, the other answers with the SHA-256 of what it
#   got and bytes derived from it), many connections echoed at once
# - main(): exit status of a tool's main(), 130 on ^C

import asyncio
import ctypes
import hashlib
import json
import os
import random
import resource
import socket
import sys
import time

CHUNK = 65536


def family_of(addr):
    """Address family for a numeric address"""
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


CLONE_NEWNET = 0x40000000
_libc = None


def _setns(fd):
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.setns(fd, CLONE_NEWNET):
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def netns_socket(ns, family, kind=socket.SOCK_STREAM):
    """A socket in the network namespace /run/netns/NS (ip netns add), made
    by the calling thread after setns(), which then returns to its own
    namespace.  The socket stays in NS whatever thread uses it.  Needs
    CAP_SYS_ADMIN; setns() changes only the calling thread"""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    target = os.open("/run/netns/" + ns, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns(target)
        try:
            return socket.socket(family, kind)
        finally:
            _setns(own)
    finally:
        os.close(target)
        os.close(own)


def probe_closed(s, addr, port, max_time):
    """Connect S to a port with nothing behind it, wait for what follows:
    (what, seconds), what being "refused", "reset-connect" (reset while
    connecting), "reset", "eof", "data", "open" (nothing within MAX_TIME
    seconds) or "error <message>".  Closes S"""
    t0 = time.monotonic()
    s.settimeout(max_time)
    step = "connect"
    try:
        s.connect((addr, port))
        step = "recv"
        s.settimeout(max(0.1, max_time - (time.monotonic() - t0)))
        what = "data" if s.recv(1) else "eof"
    except ConnectionRefusedError as e:
        what = "refused" if step == "connect" else "error %s" % e
    except ConnectionResetError:
        what = "reset-connect" if step == "connect" else "reset"
    except socket.timeout:
        what = "open"
    except OSError as e:
        what = "error %s" % e
    finally:
        s.close()
    return what, time.monotonic() - t0


def raise_nofile():
    """Soft limit of open files up to the hard one"""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def payload(seed, size):
    """Deterministic bytes for a seed"""
    return random.Random(seed).randbytes(size)


def recv_all(sock, deadline):
    """Read until end of file, bounded by deadline (time.monotonic())"""
    parts = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no end of file before the deadline "
                               "(%d bytes)" % sum(map(len, parts)))
        sock.settimeout(left)
        buf = sock.recv(CHUNK)
        if not buf:
            return b"".join(parts)
        parts.append(buf)


def recv_exact(sock, size, deadline):
    """Read SIZE bytes, bounded by deadline; EOFError if they don't come"""
    parts = []
    got = 0
    while got < size:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("only %d of %d bytes before the deadline"
                               % (got, size))
        sock.settimeout(left)
        buf = sock.recv(min(CHUNK, size - got))
        if not buf:
            raise EOFError("EOF after %d of %d bytes" % (got, size))
        parts.append(buf)
        got += len(buf)
    return b"".join(parts)


def recv_upto(sock, size):
    """Read up to SIZE bytes, fewer if the peer closes first"""
    got = b""
    while len(got) < size:
        buf = sock.recv(size - len(got))
        if not buf:
            break
        got += buf
    return got


def make_reply(data, reply_size):
    """The answer to DATA: its SHA-256, a newline, bytes derived from it"""
    digest = hashlib.sha256(data).hexdigest()
    return digest.encode() + b"\n" + payload(digest, reply_size)


def check_reply(reply, data, reply_size):
    """None if REPLY is make_reply(DATA, REPLY_SIZE), else the problem"""
    want_hex = hashlib.sha256(data).hexdigest()
    nl = reply.find(b"\n")
    if nl < 0:
        return "reply has no digest line (%d bytes)" % len(reply)
    got_hex = reply[:nl].decode("ascii", "replace")
    if got_hex != want_hex:
        return ("peer got other data: its digest %s, ours %s (%d bytes)"
                % (got_hex, want_hex, len(data)))
    rest = reply[nl + 1:]
    want = payload(want_hex, reply_size)
    if rest != want:
        return ("reply body differs: %d bytes, expected %d, sha256 %s vs %s"
                % (len(rest), len(want), hashlib.sha256(rest).hexdigest(),
                   hashlib.sha256(want).hexdigest()))
    return None


def client_exchange(s, mode, data, reply_size, deadline):
    """The client's side of one half-close exchange on the connected S

    MODE "hc-client": send DATA and FIN, then the server's reply to it must
    follow up to its FIN; otherwise the server's data up to its FIN must
    be DATA, then send the reply and FIN, and nothing more may come.
    Returns (the problem or None, what happened)."""
    if mode == "hc-client":
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        reply = recv_all(s, deadline)
        return (check_reply(reply, data, reply_size),
                "sent %d bytes and FIN, then received the reply (%d bytes)"
                % (len(data), len(reply)))
    got = recv_all(s, deadline)
    err = None
    if got != data:
        err = ("server data differs: %d bytes (sha256 %s), expected %d "
               "(sha256 %s)" % (len(got), hashlib.sha256(got).hexdigest(),
                                len(data), hashlib.sha256(data).hexdigest()))
    s.settimeout(max(0.1, deadline - time.monotonic()))
    s.sendall(make_reply(got, reply_size))
    s.shutdown(socket.SHUT_WR)
    rest = recv_all(s, deadline)
    if err is None and rest:
        err = "%d unexpected bytes after the server's FIN" % len(rest)
    return (err, "received %d bytes up to the server's FIN, then sent the "
            "reply" % len(got))


def server_exchange(conn, mode, data, reply_size, deadline):
    """The server's side of one half-close exchange on the accepted CONN,
    which it closes

    MODE "hc-client": the client's data up to its FIN, then the reply to
    it; otherwise send DATA and FIN, then the client's reply to it must
    follow up to its FIN.  Returns (the problem or None, what happened)."""
    if mode == "hc-client":
        got = recv_all(conn, deadline)
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        conn.sendall(make_reply(got, reply_size))
        conn.close()
        return (None, "hc-client: got %d bytes after the client's FIN, "
                "replied" % len(got))
    conn.settimeout(max(0.1, deadline - time.monotonic()))
    conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)
    reply = recv_all(conn, deadline)
    conn.close()
    return (check_reply(reply, data, reply_size),
            "hc-server: sent %d bytes and FIN, got the client's reply (%d "
            "bytes)" % (len(data), len(reply)))


async def _many_conn(i, reader, writer, args, res):
    data = payload("%d/many/%d" % (args.seed, i), args.size)

    async def send():
        writer.write(data)
        await writer.drain()
        writer.write_eof()

    async def recv():
        parts = []
        while True:
            buf = await reader.read(CHUNK)
            if not buf:
                return b"".join(parts)
            parts.append(buf)

    try:
        _, got = await asyncio.wait_for(asyncio.gather(send(), recv()),
                                        args.timeout)
    except asyncio.TimeoutError:
        res["timeout"] += 1
        return
    except (ConnectionError, OSError) as e:
        res["error"] += 1
        res.setdefault("errors", []).append("%d: %s" % (i, e))
        return
    finally:
        writer.close()
    if got == data:
        res["intact"] += 1
    else:
        res["corrupt"] += 1
        res.setdefault("errors", []).append(
            "%d: %d bytes back, expected %d, %s" %
            (i, len(got), len(data),
             "other data" if len(got) == len(data) else "length differs"))


async def _many(args):
    res = {"conns": args.conns, "connected": 0, "connect_failed": 0,
           "intact": 0, "corrupt": 0, "timeout": 0, "error": 0}

    async def opener(i):
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(args.connect, args.port,
                                        limit=CHUNK * 4), args.timeout)
        except (OSError, asyncio.TimeoutError) as e:
            res.setdefault("connect_errors", []).append(
                "%d: %s" % (i, e or type(e).__name__))
            return None

    t0 = time.monotonic()
    conns = await asyncio.gather(*(opener(i) for i in range(args.conns)))
    res["connect_s"] = round(time.monotonic() - t0, 3)
    tasks = []
    for i, c in enumerate(conns):
        if c is None:
            res["connect_failed"] += 1
            continue
        res["connected"] += 1
        tasks.append(_many_conn(i, c[0], c[1], args, res))
    # Every connection is open at this point: the transfers run together
    await asyncio.gather(*tasks)
    res["total_s"] = round(time.monotonic() - t0, 3)
    for k in ("connect_errors", "errors"):
        if k in res:
            res[k] = res[k][:10]
    print(json.dumps(res), flush=True)
    return 0 if res["intact"] == args.conns else 1


def cmd_many(args):
    """--conns connections to an echo server opened at once, then --size
    bytes of its own on each, all echoed intact; a JSON report on stdout"""
    raise_nofile()
    return asyncio.run(_many(args))


def main(fn):
    """Exit with the status fn() returns, 130 on ^C"""
    try:
        sys.exit(fn())
    except KeyboardInterrupt:
        sys.exit(130)
