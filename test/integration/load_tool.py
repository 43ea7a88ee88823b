#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""load_tool.py - many TCP connections at once, and UDP and ICMP echo flows
filling a flow table, for the load and soak tests.

Every check is on data: each connection and each datagram carries bytes
derived from a seed and its own number, and what comes back is compared
byte for byte.  Every wait is bounded.  One process and one epoll set per
side: thousands of sockets need no threads.

Subcommands:

  tcp-server  --bind ADDR --port P [--ports N]: listen on ports P to
              P+N-1; on every connection read --size bytes, send them
              back, then wait for the client's end of file and close.
              Runs until SIGTERM or --timeout; then a JSON summary on
              stdout: accepted, echoed, clean (end of file after the
              echo), errors, the most connections open at once.
  tcp-client  --connect ADDR --port P [--ports N] --conns C: open C
              connections (at most --parallel handshakes and exchanges at
              once), spread over the N ports; on each send --size bytes
              of its own and read them back.  Once every connection is
              echoed intact and all are open at once, write a JSON report
              to --ready, keep them open (none may see data, end of file
              or an error meanwhile) until the file --release exists,
              then shut down writing on each and expect the server's end
              of file (a clean close, not a reset).  Exit status 0 if
              every connection was intact, held and closed cleanly; the
              final JSON on stdout.  --allow-refused: connections refused,
              reset or closed before their echo count as "refused", and
              are fine (what a daemon out of descriptors may do); only
              those that hang or are corrupted fail.
  udp-server  --bind ADDR --port P: receive datagrams written by
              udp-send, check each one's contents against its header,
              log "TAG SPORT ok|bad" per datagram to --log, and send back
              those that ask for it (mode "echo"), for --timeout seconds.
  udp-send    --connect ADDR --port P --sports A-B[,C...] --tag T: one
              datagram from each source port (bound explicitly), mode
              "sink" or, with --echo, "echo": then every one must come
              back intact from ADDR:P within --wait seconds (with
              --expect-none, none may).  JSON counts on stdout.
  icmp        --connect ADDR --ids A-B[,C...] --tag T: one echo request
              per identifier from a raw socket, payload derived from tag
              and identifier; every reply must come back with the same
              identifier, sequence number and payload within --wait
              seconds (--expect-none: no reply may come).  JSON counts.

  soak-server --bind ADDR --port P: TCP and UDP on one port, until
              SIGTERM.  UDP: every datagram echoed.  TCP: the first line
              of a connection says what it wants: "up SIZE" then SIZE
              bytes (answered with their SHA-256), "down SIZE SEED" (SIZE
              bytes derived from SEED, then end of file), "rr" (frames of
              a 4-byte length and data, each echoed, until end of file),
              "churn SIZE server|client" (SIZE bytes echoed, then the
              server closes, or waits for the client's end of file).
              JSON counts on stdout; errors make the exit status 1.
  soak-client --connect ADDR --port P --duration S [--tcp] [--udp]:
              for S seconds, at a steady pace: bulk transfers up and down
              (--bulk bytes every --bulk-interval s, checked by SHA-256),
              request and response on one connection (--rr-interval),
              connections opened, used and closed (--churn-rate a second,
              every other one closed by the server first), datagrams
              echoed (--udp-interval), every reply checked.  A failure is
              counted and the traffic goes on; JSON counts on stdout
              ("conns": connections opened); exit status 1 if anything
              failed.

Exit status: 0 when every check held, 1 otherwise.  Standard library only,
and testlib.py next to this file.
"""

import argparse
import asyncio
import errno
import hashlib
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time

from testlib import CHUNK, family_of, payload, raise_nofile
import testlib


def say(msg):
    print("load_tool: " + msg, file=sys.stderr, flush=True)


def ports_of(args):
    return [args.port + i for i in range(args.ports)]


def ranges(spec):
    """Numbers of "A-B,C,D-E"""
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


# ------------------------------------------------------------ TCP server

class ServerConn:
    __slots__ = ("sock", "got", "out", "state")

    def __init__(self, sock):
        self.sock = sock
        self.got = bytearray()
        self.out = b""
        self.state = "read"	# read -> write -> eof


def cmd_tcp_server(args):
    raise_nofile()
    sel = selectors.EpollSelector()
    for port in ports_of(args):
        ls = socket.socket(family_of(args.bind), socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((args.bind, port))
        ls.listen(args.backlog)
        ls.setblocking(False)
        sel.register(ls, selectors.EVENT_READ, None)
    res = {"accepted": 0, "echoed": 0, "clean": 0, "errors": 0,
           "peak_open": 0}
    errs = []
    conns = {}
    stop = [False]

    def on_term(_sig, _frame):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_term)
    if args.ready:
        with open(args.ready, "w", encoding="ascii") as f:
            f.write("listening\n")
    say("echo server on %s ports %s" % (args.bind, ports_of(args)))

    end = time.monotonic() + args.timeout
    while not stop[0] and time.monotonic() < end:
        for key, ev in sel.select(0.5):
            if key.data is None:
                while True:
                    try:
                        s, _ = key.fileobj.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as e:
                        res["errors"] += 1
                        errs.append("accept: %s" % e)
                        break
                    s.setblocking(False)
                    c = ServerConn(s)
                    conns[s.fileno()] = c
                    sel.register(s, selectors.EVENT_READ, c)
                    res["accepted"] += 1
                res["peak_open"] = max(res["peak_open"], len(conns))
                continue
            c = key.data
            fd = c.sock.fileno()
            err = None
            try:
                if c.state == "read":
                    buf = c.sock.recv(args.size - len(c.got))
                    if not buf:
                        err = "end of file after %d of %d bytes" % (
                            len(c.got), args.size)
                    else:
                        c.got += buf
                        if len(c.got) == args.size:
                            c.out = bytes(c.got)
                            c.state = "write"
                if c.state == "write":
                    n = c.sock.send(c.out)
                    c.out = c.out[n:]
                    if c.out:
                        sel.modify(c.sock, selectors.EVENT_WRITE, c)
                    else:
                        res["echoed"] += 1
                        c.state = "eof"
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                elif c.state == "eof" and ev & selectors.EVENT_READ:
                    buf = c.sock.recv(4096)
                    if buf:
                        err = "%d bytes after the echo" % len(buf)
                    else:
                        res["clean"] += 1
                        sel.unregister(c.sock)
                        c.sock.close()
                        del conns[fd]
                        continue
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                err = str(e)
            if err:
                res["errors"] += 1
                if len(errs) < 10:
                    errs.append(err)
                sel.unregister(c.sock)
                c.sock.close()
                del conns[fd]
    res["open_at_exit"] = len(conns)
    if errs:
        res["error_list"] = errs
    print(json.dumps(res), flush=True)
    return 0 if res["errors"] == 0 else 1


# ------------------------------------------------------------ TCP client

class ClientConn:
    __slots__ = ("i", "sock", "data", "out", "got", "state", "t0")

    def __init__(self, i, sock, data):
        self.i = i
        self.sock = sock
        self.data = data
        self.out = data
        self.got = bytearray()
        self.state = "connect"	# connect -> exchange -> held -> closing
        self.t0 = time.monotonic()


def held_event(c, held, drop):
    """An event on a held connection, where nothing may happen: drop it
    as lost with what happened (nothing, if the wake-up was spurious)"""
    try:
        buf = c.sock.recv(4096)
        msg = ("%d bytes while held" % len(buf) if buf
               else "end of file while held")
    except (BlockingIOError, InterruptedError):
        return
    except OSError as e:
        msg = "while held: %s" % e
    drop(c, held, "held_lost", msg)


def cmd_tcp_client(args):
    raise_nofile()
    sel = selectors.EpollSelector()
    ports = ports_of(args)
    fam = family_of(args.connect)
    res = {"conns": args.conns, "intact": 0, "refused": 0,
           "connect_failed": 0,
           "corrupt": 0, "failed": 0, "held_lost": 0, "clean": 0,
           "reset": 0, "close_timeout": 0}
    errs = []
    active = {}	# fd -> conn, handshake or exchange in progress
    held = {}	# fd -> conn, echoed and open
    closing = {}
    nxt = [0]

    def note(msg):
        if len(errs) < 10:
            errs.append(msg)

    def start_one():
        i = nxt[0]
        nxt[0] += 1
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        c = ClientConn(i, s, payload("%d/load/%d" % (args.seed, i),
                                     args.size))
        try:
            s.connect((args.connect, ports[i % len(ports)]))
        except BlockingIOError:
            pass
        except OSError as e:
            res["connect_failed"] += 1
            note("%d: connect: %s" % (i, e))
            s.close()
            return
        active[s.fileno()] = c
        sel.register(s, selectors.EVENT_WRITE, c)

    def refusal(err, key):
        """With --allow-refused, a connection refused, reset or closed
        before the echo counts as refused, not failed"""
        if args.allow_refused and err in (0, errno.ECONNREFUSED,
                                          errno.ECONNRESET, errno.EPIPE):
            return "refused"
        return key

    def drop(c, table, key, msg):
        res[key] += 1
        note("%d: %s" % (c.i, msg))
        table.pop(c.sock.fileno(), None)
        sel.unregister(c.sock)
        c.sock.close()

    t0 = time.monotonic()
    end = t0 + args.timeout
    # Open and echo every connection, at most --parallel in progress
    while (nxt[0] < args.conns or active) and time.monotonic() < end:
        while nxt[0] < args.conns and len(active) < args.parallel:
            start_one()
        for key, ev in sel.select(0.2):
            c = key.data
            if c.state == "held":
                held_event(c, held, drop)
                continue
            try:
                if c.state == "connect":
                    e = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if e:
                        drop(c, active, refusal(e, "connect_failed"),
                             "connect: %s" % os.strerror(e))
                        continue
                    c.state = "exchange"
                if c.out:
                    n = c.sock.send(c.out)
                    c.out = c.out[n:]
                    sel.modify(c.sock, selectors.EVENT_READ |
                               (selectors.EVENT_WRITE if c.out else 0), c)
                if ev & selectors.EVENT_READ:
                    buf = c.sock.recv(args.size - len(c.got))
                    if not buf:
                        drop(c, active, refusal(0, "failed"),
                             "end of file after %d "
                             "of %d bytes" % (len(c.got), args.size))
                        continue
                    c.got += buf
                if len(c.got) == args.size and not c.out:
                    if c.got != c.data:
                        drop(c, active, "corrupt", "echo differs (sha256 "
                             "%s, sent %s)" % (
                                 hashlib.sha256(c.got).hexdigest()[:16],
                                 hashlib.sha256(c.data).hexdigest()[:16]))
                        continue
                    res["intact"] += 1
                    c.state = "held"
                    c.got = None
                    del active[c.sock.fileno()]
                    held[c.sock.fileno()] = c
                    sel.modify(c.sock, selectors.EVENT_READ, c)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                drop(c, active, refusal(e.errno, "failed"), str(e))
    res["timeout"] = len(active) + args.conns - nxt[0]
    for c in list(active.values()):
        note("%d: no echo in time (%s)" % (c.i, c.state))
        active.pop(c.sock.fileno())
        sel.unregister(c.sock)
        c.sock.close()
    res["open_s"] = round(time.monotonic() - t0, 2)
    res["held"] = len(held)
    report = dict(res)
    if errs:
        report["error_list"] = list(errs)
    if args.ready:
        tmp = args.ready + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write(json.dumps(report) + "\n")
        os.rename(tmp, args.ready)

    # Hold until released; a held connection must stay quiet
    hold_end = time.monotonic() + args.wait
    while args.release and not os.path.exists(args.release):
        if time.monotonic() > hold_end:
            note("never released")
            break
        for key, _ in sel.select(0.1):
            held_event(key.data, held, drop)

    # Close: FIN from us, the server's FIN back
    t1 = time.monotonic()
    for fd, c in list(held.items()):
        c.state = "closing"
        try:
            c.sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            drop(c, held, "reset", "shutdown: %s" % e)
            continue
        closing[fd] = c
    held.clear()
    close_end = time.monotonic() + args.close_timeout
    while closing and time.monotonic() < close_end:
        for key, _ in sel.select(0.2):
            c = key.data
            try:
                buf = c.sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionResetError:
                drop(c, closing, "reset", "reset instead of end of file")
                continue
            except OSError as e:
                drop(c, closing, "reset", "closing: %s" % e)
                continue
            if buf:
                drop(c, closing, "failed", "%d bytes after the echo"
                     % len(buf))
                continue
            res["clean"] += 1
            closing.pop(c.sock.fileno())
            sel.unregister(c.sock)
            c.sock.close()
    for c in list(closing.values()):
        drop(c, closing, "close_timeout", "no end of file from the server")
    res["close_s"] = round(time.monotonic() - t1, 2)
    if errs:
        res["error_list"] = errs
    print(json.dumps(res), flush=True)
    ok = (res["intact"] + res["refused"] == args.conns and
          res["clean"] == res["intact"])
    return 0 if ok else 1


# ------------------------------------------------------------------- UDP

def udp_datagram(tag, sport, mode, size):
    """Contents: "TAG SPORT MODE\\n" and bytes derived from them"""
    head = ("%s %d %s\n" % (tag, sport, mode)).encode()
    return head + payload("%s/%d" % (tag, sport), size)


def udp_check(data):
    """(tag, sport, mode) of an intact datagram, None if it isn't one"""
    nl = data.find(b"\n")
    try:
        tag, sport, mode = data[:nl].decode("ascii").split(" ")
        sport = int(sport)
    except (ValueError, UnicodeDecodeError):
        return None
    if data != udp_datagram(tag, sport, mode, len(data) - nl - 1):
        return None
    return tag, sport, mode


def cmd_udp_server(args):
    s = socket.socket(family_of(args.bind), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((args.bind, args.port))
    s.settimeout(0.5)
    say("UDP server on %s port %d" % (args.bind, args.port))
    end = time.monotonic() + args.timeout
    stop = [False]

    def on_term(_sig, _frame):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_term)
    with open(args.log, "a", encoding="ascii") as log:
        while not stop[0] and time.monotonic() < end:
            try:
                data, peer = s.recvfrom(65535)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            what = udp_check(data)
            if what is None:
                log.write("? %d bad\n" % peer[1])
            else:
                # The port is the guest's: pasta's socket has its own
                log.write("%s %d ok\n" % (what[0], what[1]))
                if what[2] == "echo":
                    s.sendto(data, peer)
            log.flush()
    return 0


def cmd_udp_send(args):
    raise_nofile()
    fam = family_of(args.connect)
    any_addr = "::" if fam == socket.AF_INET6 else "0.0.0.0"
    mode = "echo" if args.echo else "sink"
    sports = ranges(args.sports)
    socks = {}
    res = {"sent": 0, "send_failed": 0, "replies": 0, "intact": 0,
           "bad": 0}
    errs = []
    sel = selectors.EpollSelector()
    for sp in sports:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((any_addr, sp))
        s.setblocking(False)
        socks[sp] = s
        sel.register(s, selectors.EVENT_READ, sp)
    for sp, s in socks.items():
        try:
            s.sendto(udp_datagram(args.tag, sp, mode, args.size),
                     (args.connect, args.port))
            res["sent"] += 1
        except OSError as e:
            res["send_failed"] += 1
            if len(errs) < 5:
                errs.append("%d: %s" % (sp, e))
        if args.pace:
            time.sleep(args.pace)
    pending = set(sports)
    end = time.monotonic() + args.wait
    while (args.expect_none or (args.echo and pending)) and \
            time.monotonic() < end:
        for key, _ in sel.select(0.1):
            sp = key.data
            try:
                data, peer = key.fileobj.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                # ICMP errors for a sink datagram are not replies
                if len(errs) < 5:
                    errs.append("%d: %s" % (sp, e))
                continue
            res["replies"] += 1
            want = udp_datagram(args.tag, sp, mode, args.size)
            if (data == want and peer[1] == args.port and
                    sp in pending):
                res["intact"] += 1
                pending.discard(sp)
            else:
                res["bad"] += 1
                if len(errs) < 5:
                    errs.append("%d: reply of %d bytes from %s" %
                                (sp, len(data), peer))
    for s in socks.values():
        s.close()
    if errs:
        res["error_list"] = errs
    print(json.dumps(res), flush=True)
    if args.expect_none:
        return 0 if res["replies"] == 0 else 1
    if args.echo:
        return 0 if res["intact"] == len(sports) and not res["bad"] else 1
    return 0 if res["sent"] == len(sports) else 1


# ------------------------------------------------------------------ ICMP

def icmp_csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def icmp_request(ident, seq, body):
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    csum = icmp_csum(hdr + body)
    return struct.pack("!BBHHH", 8, 0, csum, ident, seq) + body


def cmd_icmp(args):
    ids = ranges(args.ids)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setblocking(False)
    bodies = {i: payload("%s/%d" % (args.tag, i), args.size) for i in ids}
    res = {"sent": 0, "send_failed": 0, "replies": 0, "intact": 0,
           "bad": 0}
    errs = []
    for i in ids:
        try:
            s.sendto(icmp_request(i, args.seq, bodies[i]), (args.connect, 0))
            res["sent"] += 1
        except BlockingIOError:
            time.sleep(0.01)
            s.sendto(icmp_request(i, args.seq, bodies[i]), (args.connect, 0))
            res["sent"] += 1
        except OSError as e:
            res["send_failed"] += 1
            if len(errs) < 5:
                errs.append("%d: %s" % (i, e))
        if args.pace:
            time.sleep(args.pace)
    pending = set(ids)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ)
    end = time.monotonic() + args.wait
    while (args.expect_none or pending) and time.monotonic() < end:
        if not sel.select(0.1):
            continue
        while True:
            try:
                pkt, peer = s.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                break
            ihl = (pkt[0] & 0xf) * 4
            icmp = pkt[ihl:]
            if len(icmp) < 8 or icmp[0] != 0:
                continue	# not an echo reply
            _, _, _, ident, seq = struct.unpack("!BBHHH", icmp[:8])
            if ident not in bodies:
                continue	# someone else's
            res["replies"] += 1
            if (peer[0] == args.connect and seq == args.seq and
                    icmp[8:] == bodies[ident] and ident in pending and
                    icmp_csum(icmp) == 0):
                res["intact"] += 1
                pending.discard(ident)
            else:
                res["bad"] += 1
                if len(errs) < 5:
                    errs.append("id %d seq %d from %s, %d bytes" %
                                (ident, seq, peer[0], len(icmp) - 8))
    if errs:
        res["error_list"] = errs
    if pending and not args.expect_none:
        res["missing"] = sorted(pending)[:10]
    print(json.dumps(res), flush=True)
    if args.expect_none:
        return 0 if res["replies"] == 0 else 1
    return 0 if res["intact"] == len(ids) and not res["bad"] else 1


# ------------------------------------------------------------------ soak

async def soak_serve_tcp(reader, writer, res):
    try:
        line = await asyncio.wait_for(reader.readline(), 60)
        words = line.decode("ascii", "replace").split()
        what = words[0] if words else ""
        if what == "up":
            size = int(words[1])
            data = await asyncio.wait_for(reader.readexactly(size), 120)
            writer.write(hashlib.sha256(data).hexdigest().encode() + b"\n")
        elif what == "down":
            writer.write(payload(words[2], int(words[1])))
        elif what == "rr":
            while True:
                hdr = await reader.read(4)
                if not hdr:
                    break
                if len(hdr) < 4:
                    hdr += await reader.readexactly(4 - len(hdr))
                n = struct.unpack("!I", hdr)[0]
                writer.write(hdr + await reader.readexactly(n))
                await writer.drain()
        elif what == "churn":
            data = await reader.readexactly(int(words[1]))
            writer.write(data)
            if words[2] == "client":
                await writer.drain()
                rest = await asyncio.wait_for(reader.read(1), 30)
                if rest:
                    raise ValueError("data after the churn echo")
        else:
            raise ValueError("unknown request %r" % line[:40])
        await writer.drain()
        res["served"] += 1
    except (OSError, ValueError, asyncio.IncompleteReadError,
            asyncio.TimeoutError) as e:
        res["errors"] += 1
        if len(res["error_list"]) < 10:
            res["error_list"].append("%s: %s" % (type(e).__name__, e))
    finally:
        writer.close()


class SoakUdpEcho(asyncio.DatagramProtocol):
    def __init__(self, res):
        self.res = res
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.res["datagrams"] += 1
        self.transport.sendto(data, addr)


async def soak_server(args):
    res = {"served": 0, "errors": 0, "datagrams": 0, "error_list": []}
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    srv = await asyncio.start_server(
        lambda r, w: soak_serve_tcp(r, w, res), args.bind, args.port,
        backlog=4096, reuse_address=True, limit=CHUNK * 4)
    await loop.create_datagram_endpoint(lambda: SoakUdpEcho(res),
                                        local_addr=(args.bind, args.port))
    say("soak server on %s port %d, TCP and UDP" % (args.bind, args.port))
    try:
        await asyncio.wait_for(stop.wait(), args.timeout)
    except asyncio.TimeoutError:
        pass
    srv.close()
    print(json.dumps(res), flush=True)
    return 0 if res["errors"] == 0 else 1


def cmd_soak_server(args):
    raise_nofile()
    return asyncio.run(soak_server(args))


class SoakClient:
    """The traffic of one soak client, and its counts"""

    def __init__(self, args):
        self.a = args
        self.end = time.monotonic() + args.duration
        self.res = {"conns": 0, "bulk_up": 0, "bulk_down": 0,
                    "bulk_bytes": 0, "rr": 0, "churn": 0, "udp": 0,
                    "failures": 0, "error_list": []}
        self.n = 0

    def fail(self, what, e):
        self.res["failures"] += 1
        if len(self.res["error_list"]) < 10:
            self.res["error_list"].append("%s: %s: %s" %
                                          (what, type(e).__name__, e))

    async def connect(self):
        r, w = await asyncio.wait_for(
            asyncio.open_connection(self.a.connect, self.a.port,
                                    limit=CHUNK * 4), self.a.op_timeout)
        self.res["conns"] += 1
        return r, w

    async def paced(self, interval, fn, what):
        """Run fn every interval seconds until the end"""
        t = time.monotonic()
        while t < self.end:
            try:
                await asyncio.wait_for(fn(), self.a.op_timeout)
            except (OSError, ValueError, asyncio.IncompleteReadError,
                    asyncio.TimeoutError) as e:
                self.fail(what, e)
            t += interval
            await asyncio.sleep(max(0, t - time.monotonic()))

    async def bulk_up(self):
        self.n += 1
        data = payload("%d/up/%d" % (self.a.seed, self.n), self.a.bulk)
        r, w = await self.connect()
        try:
            w.write(b"up %d\n" % len(data))
            w.write(data)
            await w.drain()
            got = (await r.readline()).strip().decode("ascii", "replace")
            if got != hashlib.sha256(data).hexdigest():
                raise ValueError("the server got other data (sha256 %s)"
                                 % got[:16])
        finally:
            w.close()
        self.res["bulk_up"] += 1
        self.res["bulk_bytes"] += len(data)

    async def bulk_down(self):
        self.n += 1
        seed = "%d/down/%d" % (self.a.seed, self.n)
        r, w = await self.connect()
        try:
            w.write(b"down %d %s\n" % (self.a.bulk, seed.encode()))
            await w.drain()
            h = hashlib.sha256()
            got = 0
            while True:
                buf = await r.read(CHUNK)
                if not buf:
                    break
                h.update(buf)
                got += len(buf)
        finally:
            w.close()
        if (got != self.a.bulk or
                h.hexdigest() != hashlib.sha256(
                    payload(seed, self.a.bulk)).hexdigest()):
            raise ValueError("received %d bytes, sha256 %s: not what was "
                             "sent" % (got, h.hexdigest()[:16]))
        self.res["bulk_down"] += 1
        self.res["bulk_bytes"] += got

    async def rr_loop(self):
        """One connection for the whole run, request and response"""
        try:
            r, w = await self.connect()
            w.write(b"rr\n")
        except (OSError, asyncio.TimeoutError) as e:
            self.fail("rr", e)
            return
        i = 0
        t = time.monotonic()
        try:
            while t < self.end:
                i += 1
                msg = payload("%d/rr/%d" % (self.a.seed, i), 64 + i % 1900)
                w.write(struct.pack("!I", len(msg)) + msg)
                await w.drain()
                back = await asyncio.wait_for(
                    r.readexactly(4 + len(msg)), self.a.op_timeout)
                if back[4:] != msg:
                    raise ValueError("response %d differs" % i)
                self.res["rr"] += 1
                t += self.a.rr_interval
                await asyncio.sleep(max(0, t - time.monotonic()))
            w.write_eof()
            if await asyncio.wait_for(r.read(1), self.a.op_timeout):
                raise ValueError("data after the last response")
        except (OSError, ValueError, asyncio.IncompleteReadError,
                asyncio.TimeoutError) as e:
            self.fail("rr", e)
        finally:
            w.close()

    async def churn_one(self):
        self.n += 1
        closer = "client" if self.n % 2 else "server"
        data = payload("%d/churn/%d" % (self.a.seed, self.n), 256)
        r, w = await self.connect()
        phase = "echo"
        try:
            w.write(b"churn %d %s\n" % (len(data), closer.encode()))
            w.write(data)
            await w.drain()
            if await r.readexactly(len(data)) != data:
                raise ValueError("churn echo differs")
            phase = "end of file"
            if closer == "server" and await r.read(1):
                raise ValueError("data after the churn echo")
        except asyncio.CancelledError:
            # Timed out: which connection, for a look at it with ss
            self.fail("churn", ValueError(
                "from %s, %s closes, no %s by %s" % (
                    w.get_extra_info("sockname"), closer, phase,
                    time.strftime("%H:%M:%S"))))
            raise
        finally:
            w.close()
        self.res["churn"] += 1

    async def churn_loop(self):
        """Connections opened at a steady rate, each on its own"""
        tasks = set()
        t = time.monotonic()
        while t < self.end:
            task = asyncio.ensure_future(self.guard(self.churn_one, "churn"))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            t += 1.0 / self.a.churn_rate
            await asyncio.sleep(max(0, t - time.monotonic()))
        if tasks:
            await asyncio.gather(*tasks)

    async def guard(self, fn, what):
        try:
            await asyncio.wait_for(fn(), self.a.op_timeout)
        except (OSError, ValueError, asyncio.IncompleteReadError,
                asyncio.TimeoutError) as e:
            self.fail(what, e)

    async def udp_loop(self):
        """Datagrams to the echo, each checked, none may go missing"""
        loop = asyncio.get_running_loop()
        q = asyncio.Queue()

        class Proto(asyncio.DatagramProtocol):
            def datagram_received(self, data, addr):
                q.put_nowait(data)

            def error_received(self, exc):
                q.put_nowait(exc)

        tr, _ = await loop.create_datagram_endpoint(
            Proto, remote_addr=(self.a.connect, self.a.port))
        i = 0
        t = time.monotonic()
        try:
            while t < self.end:
                i += 1
                msg = payload("%d/udp/%d" % (self.a.seed, i), 32 + i % 1400)
                tr.sendto(msg)
                back = await asyncio.wait_for(q.get(), self.a.op_timeout)
                if isinstance(back, Exception):
                    raise back
                if back != msg:
                    raise ValueError("datagram %d: other data back" % i)
                self.res["udp"] += 1
                t += self.a.udp_interval
                await asyncio.sleep(max(0, t - time.monotonic()))
        except (OSError, ValueError, asyncio.TimeoutError) as e:
            self.fail("udp %d" % i, e)
        finally:
            tr.close()

    async def run(self):
        jobs = []
        if self.a.tcp:
            jobs += [self.paced(self.a.bulk_interval, self.bulk_up, "up"),
                     self.paced(self.a.bulk_interval, self.bulk_down,
                                "down"),
                     self.rr_loop(), self.churn_loop()]
        if self.a.udp:
            jobs.append(self.udp_loop())
        await asyncio.gather(*jobs)
        if not self.res["error_list"]:
            del self.res["error_list"]
        print(json.dumps(self.res), flush=True)
        return 0 if self.res["failures"] == 0 else 1


def cmd_soak_client(args):
    raise_nofile()
    return asyncio.run(SoakClient(args).run())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    sp = sub.add_parser("tcp-server")
    sp.add_argument("--bind", required=True)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--ports", type=int, default=1)
    sp.add_argument("--size", type=int, default=1024)
    sp.add_argument("--backlog", type=int, default=4096)
    sp.add_argument("--timeout", type=float, default=280)
    sp.add_argument("--ready")

    sp = sub.add_parser("tcp-client")
    sp.add_argument("--connect", required=True)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--ports", type=int, default=1)
    sp.add_argument("--conns", type=int, default=10000)
    sp.add_argument("--size", type=int, default=1024)
    sp.add_argument("--parallel", type=int, default=256)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--timeout", type=float, default=120,
                    help="seconds to open and echo every connection")
    sp.add_argument("--ready")
    sp.add_argument("--release")
    sp.add_argument("--wait", type=float, default=120,
                    help="seconds to wait for --release")
    sp.add_argument("--close-timeout", type=float, default=60)
    sp.add_argument("--allow-refused", action="store_true")

    sp = sub.add_parser("udp-server")
    sp.add_argument("--bind", required=True)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--log", required=True)
    sp.add_argument("--timeout", type=float, default=280)

    sp = sub.add_parser("udp-send")
    sp.add_argument("--connect", required=True)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--sports", required=True)
    sp.add_argument("--tag", required=True)
    sp.add_argument("--size", type=int, default=200)
    sp.add_argument("--echo", action="store_true")
    sp.add_argument("--expect-none", action="store_true")
    sp.add_argument("--wait", type=float, default=3)
    sp.add_argument("--pace", type=float, default=0)

    sp = sub.add_parser("icmp")
    sp.add_argument("--connect", required=True)
    sp.add_argument("--ids", required=True)
    sp.add_argument("--tag", required=True)
    sp.add_argument("--seq", type=int, default=1)
    sp.add_argument("--size", type=int, default=56)
    sp.add_argument("--expect-none", action="store_true")
    sp.add_argument("--wait", type=float, default=3)
    sp.add_argument("--pace", type=float, default=0)

    sp = sub.add_parser("soak-server")
    sp.add_argument("--bind", required=True)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--timeout", type=float, default=3600)

    sp = sub.add_parser("soak-client")
    sp.add_argument("--connect", required=True)
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--duration", type=float, required=True)
    sp.add_argument("--tcp", action="store_true")
    sp.add_argument("--udp", action="store_true")
    sp.add_argument("--bulk", type=int, default=2 << 20)
    sp.add_argument("--bulk-interval", type=float, default=1)
    sp.add_argument("--rr-interval", type=float, default=0.05)
    sp.add_argument("--churn-rate", type=float, default=10)
    sp.add_argument("--udp-interval", type=float, default=0.05)
    sp.add_argument("--op-timeout", type=float, default=30)
    sp.add_argument("--seed", type=int, default=1)

    args = ap.parse_args()
    return {"tcp-server": cmd_tcp_server, "tcp-client": cmd_tcp_client,
            "udp-server": cmd_udp_server, "udp-send": cmd_udp_send,
            "icmp": cmd_icmp, "soak-server": cmd_soak_server,
            "soak-client": cmd_soak_client}[args.cmd](args)


if __name__ == "__main__":
    testlib.main(main)
