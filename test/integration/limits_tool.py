#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""limits_tool.py - clients and servers for fd_limit.sh, udp_burst.sh and
tcp_idle.sh: connections left pending, bursts of numbered datagrams, idle
connections.

Every check is on data or on how a connection ended (refused, reset, end
of file), and every wait is bounded.

Subcommands:

  pending   --connect ADDR --port P | --unix PATH, --conns N: open N
            connections (TCP, or to a UNIX stream socket) and send nothing:
            a daemon out of descriptors can't accept them.  Prints
            "connected N" once every attempt is made, then waits up to
            --max-time seconds, from its first attempt, for the daemon to
            end each one, and writes a JSON report to --ready: how each
            ended (refused, reset, eof, queue_full: a UNIX socket's
            queue had no room, data, open: still open after --max-time)
            and the slowest end (max_s).  Then keeps the open
            ones until the file --release exists (at most --wait s).
  burst-recv --bind ADDR --port P --count N: a UDP socket with a receive
            buffer of --rcvbuf bytes (SO_RCVBUFFORCE where allowed) takes
            datagrams "burst SEQ <bytes derived from SEQ>" (and warm-up
            datagrams, which it counts apart) until it has all N, or
            nothing came for --quiet seconds after the first, or --timeout
            seconds passed; creates --ready once bound.  Writes a JSON
            report (received, missing, corrupt, duplicate, unexpected, the
            first missing sequence numbers) to stdout; exit 0 if all N
            came, each once, intact.
  burst-send --connect ADDR --port P --count N --size S: one warm-up
            datagram (neighbour resolution, the daemon's flow and socket),
            --warmup-wait seconds, then N datagrams of S bytes, numbered
            0 to N - 1, in as few system calls as possible: sendmmsg(2)
            through ctypes, 1024 at a time (a loop of send() if that isn't
            available; --no-mmsg forces it).  --warm FILE: create it after
            the warm-up; --go FILE: wait for it (at most --timeout s)
            before the burst.  Creates --sent once done.
  idle-server --bind ADDR --port P, idle-client --connect ADDR --port P,
            --mode idle|tick, --wait S: one connection.  idle: neither
            side sends anything; each waits in recv() up to S seconds for
            the connection to end (reset, end of file) and reports how and
            when; if it stays quiet, the client then sends --size bytes
            and FIN, and the server answers with their SHA-256 and bytes
            derived from it (testlib's half-close exchange): the
            connection still works.  tick: the client sends one byte every
            --tick-s seconds for S seconds, then the same exchange over
            everything it sent.  A JSON report on stdout; exit 0 if the
            connection ended as --expect says (reset, eof, up).

Exit status: 0 when every check held, 1 otherwise (pending: 0 once its
report is written, the report is the result).  Standard library only, and
testlib.py next to this file.
"""

import argparse
import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import select
import signal
import socket
import sys
import time

from testlib import (check_reply, family_of, make_reply, payload,
                     raise_nofile, recv_all)
import testlib


def say(msg):
    print("limits_tool: " + msg, file=sys.stderr, flush=True)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def wait_file(path, wait):
    """Wait until PATH exists, at most WAIT seconds: True if it does"""
    deadline = time.monotonic() + wait
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def errname(e):
    return errno.errorcode.get(getattr(e, "errno", None), type(e).__name__)


# ---------------------------------------------------------------- pending

def pending_connect(args):
    """One attempt: (socket, None) if connected, else (None, how it ended)"""
    if args.unix:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = args.unix
    else:
        s = socket.socket(family_of(args.connect), socket.SOCK_STREAM)
        target = (args.connect, args.port)
    s.settimeout(args.conn_timeout)
    try:
        s.connect(target)
    except ConnectionRefusedError:
        s.close()
        return None, "refused"
    except ConnectionResetError:
        s.close()
        return None, "reset"
    except (socket.timeout, TimeoutError):
        s.close()
        return None, "connect_timeout"
    except BlockingIOError:
        # A UNIX socket's queue is full: no room for one more
        s.close()
        return None, "queue_full"
    except OSError as e:
        s.close()
        return None, "error:" + errname(e)
    s.setblocking(False)
    return s, None


def cmd_pending(args):
    raise_nofile()
    t0 = time.monotonic()
    ends = []		# (how, seconds since t0)
    open_socks = {}
    for _ in range(args.conns):
        s, how = pending_connect(args)
        if s is None:
            ends.append((how, time.monotonic() - t0))
        else:
            open_socks[s.fileno()] = s
    print("connected %d" % len(open_socks), flush=True)
    say("%d attempts: %d connected, %d ended at once"
        % (args.conns, len(open_socks), len(ends)))

    still = dict(open_socks)
    while still:
        left = t0 + args.max_time - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select(list(still.values()), [], [], left)
        for s in r:
            try:
                buf = s.recv(1)
                how = "data" if buf else "eof"
            except BlockingIOError:
                continue
            except ConnectionResetError:
                how = "reset"
            except OSError as e:
                how = "error:" + errname(e)
            ends.append((how, time.monotonic() - t0))
            del still[s.fileno()]

    rep = {"conns": args.conns, "open": len(still)}
    for how, _ in ends:
        rep[how] = rep.get(how, 0) + 1
    if ends:
        rep["max_s"] = round(max(t for _, t in ends), 3)
    say("report: %s" % json.dumps(rep))
    if args.ready:
        write_json(args.ready, rep)
    if args.release and not wait_file(args.release, args.wait):
        say("no %s within %d s" % (args.release, args.wait))
    for s in open_socks.values():
        s.close()
    return 0


# ---------------------------------------------------------------- burst

BURST_TAG = b"burst "
WARMUP = b"warm-up"


def burst_datagram(seq, size):
    """Datagram number SEQ: "burst SEQ " and bytes derived from SEQ, SIZE
    bytes in all (at least the header)"""
    head = BURST_TAG + b"%d " % seq
    return head + payload("burst/%d" % seq, max(0, size - len(head)))


def cmd_burst_recv(args):
    s = socket.socket(family_of(args.bind), socket.SOCK_DGRAM)
    for opt in (getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF):
        try:
            s.setsockopt(socket.SOL_SOCKET, opt, args.rcvbuf)
            break
        except OSError:
            continue
    s.bind((args.bind, args.port))
    rcvbuf = s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    if args.ready:
        write_json(args.ready, {"rcvbuf": rcvbuf})

    seen = {}
    corrupt = []
    unexpected = 0
    warmup = 0
    duplicate = 0
    t0 = time.monotonic()
    first = last = None
    while len(seen) < args.count:
        now = time.monotonic()
        left = t0 + args.timeout - now
        if last is not None:
            left = min(left, last + args.quiet - now)
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        buf = s.recv(65536)
        now = time.monotonic()
        if buf == WARMUP:
            warmup += 1
            continue
        if first is None:
            first = now
        last = now
        try:
            seq = int(buf[len(BURST_TAG):].split(b" ", 1)[0])
        except ValueError:
            seq = -1
        if not buf.startswith(BURST_TAG) or not 0 <= seq < args.count:
            unexpected += 1
            continue
        if buf != burst_datagram(seq, len(buf)) or len(buf) != args.size:
            corrupt.append(seq)
        if seq in seen:
            duplicate += 1
        seen[seq] = seen.get(seq, 0) + 1

    missing = [i for i in range(args.count) if i not in seen]
    rep = {"count": args.count, "received": len(seen),
           "missing": len(missing), "corrupt": len(corrupt),
           "duplicate": duplicate, "unexpected": unexpected,
           "warmup": warmup, "rcvbuf": rcvbuf}
    if missing:
        rep["first_missing"] = missing[:5]
        # Runs of consecutive numbers that did come: where the cuts are
        runs, start = [], None
        for i in range(args.count + 1):
            if i < args.count and i in seen:
                if start is None:
                    start = i
            elif start is not None:
                runs.append("%d-%d" % (start, i - 1))
                start = None
        rep["runs"] = runs[:10]
    if corrupt:
        rep["first_corrupt"] = corrupt[:5]
    if first is not None and last is not None:
        rep["spread_ms"] = round((last - first) * 1000, 3)
    print(json.dumps(rep), flush=True)
    good = (len(seen) == args.count and not corrupt and not duplicate and
            not unexpected)
    return 0 if good else 1


class Iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class Msghdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p),
                ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.POINTER(Iovec)),
                ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p),
                ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]


class Mmsghdr(ctypes.Structure):
    _fields_ = [("msg_hdr", Msghdr), ("msg_len", ctypes.c_uint)]


def sendmmsg_fn():
    """libc's sendmmsg(), or None"""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6",
                           use_errno=True)
        fn = libc.sendmmsg
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.POINTER(Mmsghdr), ctypes.c_uint,
                   ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def send_mmsg(fn, s, dgrams):
    """Send DGRAMS on the connected socket S with sendmmsg(): the number of
    system calls it took"""
    n = len(dgrams)
    bufs = [ctypes.create_string_buffer(d, len(d)) for d in dgrams]
    iov = (Iovec * n)()
    msgs = (Mmsghdr * n)()
    for i, b in enumerate(bufs):
        iov[i].iov_base = ctypes.cast(b, ctypes.c_void_p)
        iov[i].iov_len = len(dgrams[i])
        msgs[i].msg_hdr.msg_iov = ctypes.pointer(iov[i])
        msgs[i].msg_hdr.msg_iovlen = 1
    done = calls = 0
    while done < n:
        r = fn(s.fileno(), ctypes.cast(ctypes.byref(msgs, done *
                                                    ctypes.sizeof(Mmsghdr)),
                                       ctypes.POINTER(Mmsghdr)),
               min(n - done, 1024), 0)
        calls += 1
        if r < 0:
            e = ctypes.get_errno()
            if e == errno.EINTR:
                continue
            raise OSError(e, os.strerror(e))
        done += r
    return calls


def cmd_burst_send(args):
    s = socket.socket(family_of(args.connect), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.connect((args.connect, args.port))
    s.send(WARMUP)
    time.sleep(args.warmup_wait)
    if args.warm:
        write_json(args.warm, {"warm": True})
    if args.go and not wait_file(args.go, args.timeout):
        say("no %s within %d s" % (args.go, args.timeout))
        return 1
    dgrams = [burst_datagram(i, args.size) for i in range(args.count)]
    fn = None if args.no_mmsg else sendmmsg_fn()
    t0 = time.perf_counter()
    if fn:
        calls = send_mmsg(fn, s, dgrams)
        how = "sendmmsg"
    else:
        for d in dgrams:
            s.send(d)
        calls = len(dgrams)
        how = "send"
    dt = time.perf_counter() - t0
    if args.sent:
        write_json(args.sent, {"sent": len(dgrams)})
    print(json.dumps({"sent": len(dgrams), "how": how, "calls": calls,
                      "ms": round(dt * 1000, 3)}), flush=True)
    return 0


# ---------------------------------------------------------------- idle

def wait_end(s, wait):
    """Wait in recv() up to WAIT seconds: ("quiet", None) if nothing came,
    else (how, seconds): reset, eof, data (then the bytes), error:..."""
    t0 = time.monotonic()
    s.settimeout(wait)
    try:
        buf = s.recv(65536)
    except (socket.timeout, TimeoutError):
        return "quiet", None, b""
    except ConnectionResetError:
        return "reset", time.monotonic() - t0, b""
    except OSError as e:
        return "error:" + errname(e), time.monotonic() - t0, b""
    return ("data" if buf else "eof"), time.monotonic() - t0, buf


def report(rep, ok):
    print(json.dumps(rep), flush=True)
    return 0 if ok else 1


def cmd_idle_server(args):
    ls = socket.socket(family_of(args.bind), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.bind, args.port))
    ls.listen(4)
    ls.settimeout(args.timeout)
    try:
        conn, addr = ls.accept()
    except (socket.timeout, TimeoutError):
        return report({"end": "no connection"}, False)
    ls.close()
    rep = {"peer": addr[0]}
    # In both modes, the first thing to come tells: tick bytes or the
    # exchange (data), or the end of the connection
    how, t, buf = wait_end(conn, args.wait + args.timeout)
    rep["end"] = how
    if t is not None:
        rep["after_s"] = round(t, 3)
    if how != "data":
        conn.close()
        return report(rep, how == args.expect)
    deadline = time.monotonic() + args.timeout
    try:
        rest = recv_all(conn, deadline)
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        conn.sendall(make_reply(buf + rest, args.reply_size))
        conn.close()
    except (OSError, TimeoutError) as e:
        rep["exchange"] = "%s: %s" % (type(e).__name__, e)
        return report(rep, False)
    rep["got"] = len(buf) + len(rest)
    rep["exchange"] = "replied"
    return report(rep, args.expect == "up")


def cmd_idle_client(args):
    s = socket.socket(family_of(args.connect), socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    try:
        s.connect((args.connect, args.port))
    except OSError as e:
        return report({"end": "connect: " + errname(e)}, False)
    sent = b""
    rep = {}
    t0 = time.monotonic()
    if args.mode == "idle":
        how, t, buf = wait_end(s, args.wait)
        rep["end"] = how
        if t is not None:
            rep["after_s"] = round(t, 3)
        if how != "quiet":
            if buf:
                rep["unexpected"] = len(buf)
            s.close()
            return report(rep, how == args.expect)
    else:
        i = 0
        while time.monotonic() - t0 < args.wait:
            b = bytes([0x30 + i % 64])
            try:
                s.sendall(b)
            except OSError as e:
                rep["end"] = "send: " + errname(e)
                rep["after_s"] = round(time.monotonic() - t0, 3)
                return report(rep, False)
            sent += b
            i += 1
            how, t, buf = wait_end(s, args.tick_s)
            if how != "quiet":
                rep["end"] = how
                rep["after_s"] = round(time.monotonic() - t0, 3)
                rep["ticks"] = i
                s.close()
                return report(rep, False)
        rep["ticks"] = i
        rep["end"] = "quiet"
    # Still up after WAIT seconds: it must carry data both ways, intact
    data = sent + payload("idle/%d" % args.port, args.size)
    deadline = time.monotonic() + args.timeout
    try:
        s.settimeout(args.timeout)
        s.sendall(data[len(sent):])
        s.shutdown(socket.SHUT_WR)
        reply = recv_all(s, deadline)
        err = check_reply(reply, data, args.reply_size)
    except (OSError, TimeoutError) as e:
        err = "%s: %s" % (type(e).__name__, errname(e))
    s.close()
    rep["exchange"] = err or "intact"
    rep["sent"] = len(data)
    rep["sha256"] = hashlib.sha256(data).hexdigest()[:16]
    return report(rep, err is None and args.expect == "up")


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    sp = sub.add_parser("pending")
    sp.add_argument("--connect")
    sp.add_argument("--port", type=int, default=0)
    sp.add_argument("--unix")
    sp.add_argument("--conns", type=int, default=4)
    sp.add_argument("--conn-timeout", type=float, default=3)
    sp.add_argument("--max-time", type=float, default=5)
    sp.add_argument("--ready")
    sp.add_argument("--release")
    sp.add_argument("--wait", type=float, default=60)

    sp = sub.add_parser("burst-recv")
    sp.add_argument("--bind", required=True)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--count", type=int, default=200)
    sp.add_argument("--size", type=int, default=64)
    sp.add_argument("--rcvbuf", type=int, default=8 << 20)
    sp.add_argument("--quiet", type=float, default=3)
    sp.add_argument("--timeout", type=float, default=30)
    sp.add_argument("--ready")

    sp = sub.add_parser("burst-send")
    sp.add_argument("--connect", required=True)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--count", type=int, default=200)
    sp.add_argument("--size", type=int, default=64)
    sp.add_argument("--warmup-wait", type=float, default=0.5)
    sp.add_argument("--no-mmsg", action="store_true")
    sp.add_argument("--warm")
    sp.add_argument("--go")
    sp.add_argument("--sent")
    sp.add_argument("--timeout", type=float, default=30)

    for name in ("idle-server", "idle-client"):
        sp = sub.add_parser(name)
        if name == "idle-server":
            sp.add_argument("--bind", required=True)
        else:
            sp.add_argument("--connect", required=True)
        sp.add_argument("--port", type=int, required=True)
        sp.add_argument("--mode", choices=("idle", "tick"), default="idle")
        sp.add_argument("--wait", type=float, default=8)
        sp.add_argument("--tick-s", type=float, default=1)
        sp.add_argument("--expect", choices=("reset", "eof", "up"),
                        required=True)
        sp.add_argument("--size", type=int, default=65536)
        sp.add_argument("--reply-size", type=int, default=4096)
        sp.add_argument("--timeout", type=float, default=20)

    args = p.parse_args()
    if args.cmd == "pending" and not (args.unix or args.connect):
        p.error("pending: --connect or --unix")
    fn = {"pending": cmd_pending, "burst-recv": cmd_burst_recv,
          "burst-send": cmd_burst_send, "idle-server": cmd_idle_server,
          "idle-client": cmd_idle_client}[args.cmd]
    return fn(args)


if __name__ == "__main__":
    testlib.main(main)
