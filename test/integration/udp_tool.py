#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""udp_tool.py - UDP clients and servers for the UDP tests.

Every check is on data: the contents of each datagram are derived from a
seed and its sequence number, and the receiver compares what came with
what was sent, byte for byte, and where it came from.  Every wait is
bounded.

Subcommands:

  echo      --bind ADDR [--bind ADDR...] --port P: send every datagram
            back to its sender (plain sendto(): the kernel picks the source
            address, as simple servers do), until --timeout seconds have
            passed, --count datagrams were echoed or, with --stop, the
            datagram "udp_tool: stop" came.  --peers FILE appends
            "ADDR PORT" for every new peer, at once.  --late FILE: once
            FILE exists, send every peer seen so far, once, the datagram
            "udp_tool: late", from the socket it used.
            A datagram "udp_tool: burst SEED PLAN" isn't echoed: the
            server answers with the datagrams of PLAN (see burst).
  stop      --connect ADDR --port P: send that datagram.
  ping      --connect ADDR --port P --sizes S,S,...: from one unconnected
            socket, send one datagram of each size (contents from --seed)
            and wait for each echo: it must come from ADDR:P exactly and
            hold the same bytes.  --repeat N goes through the sizes N times.
  gso       --connect ADDR --port P --segment S --count N: one send()
            of N datagrams of S bytes each, with UDP_SEGMENT (the kernel
            splits it, or leaves that to the device: pasta with USO), and
            every one must come back from an echo server, intact, alone.
  burst     --connect ADDR --port P --plan PLAN: ask an echo server for
            the datagrams of PLAN, comma-separated sends "SIZExCOUNT" or
            "SIZExCOUNT+LAST" (COUNT datagrams of SIZE bytes, then one of
            LAST bytes), each one send() with UDP_SEGMENT SIZE (plain for a
            single datagram), back to back; contents from --seed and a
            sequence number over the whole plan.  Every datagram must come
            from ADDR:P, in order, intact and alone (no two merged, none
            split).  --send: send those datagrams to an echo server
            instead, which must echo each as it came.
  flood     --connect ADDR --port P --count N --max-size S: N datagrams of
            assorted sizes (0 to S bytes) to an echo server, at most
            --window datagrams and --window-bytes bytes in flight (0: no
            limit, everything at once); every echo must come back, in
            order, intact, from ADDR:P.  --rcvbuf sets SO_RCVBUF (and
            SO_RCVBUFFORCE where allowed).  A JSON summary on stdout.
  many      --connect ADDR --port P --flows N: N sockets (N flows) send
            one datagram each to an echo server at once, each must get
            its own back (--resend: ask again once a second for missing
            ones, for losses to full buffers).
  refused   --connect ADDR --port P: a connected socket sends a datagram
            and must get "Connection refused" (ICMP port unreachable)
            within --max-time seconds; prints the seconds it took.
            --expect ENETUNREACH|EHOSTUNREACH with --recverr (IP_RECVERR,
            without which the kernel doesn't report those) for other
            ICMP destination unreachable errors.
  silent    --connect ADDR --port P --wait S: send, and expect nothing at
            all back within S seconds (exit 0), an error from the network
            also counts as nothing; a reply is a failure.
  answered  --connect ADDR --port P --flows N --ready FILE: N sockets, each
            bound to a port of its own and connected to an echo server,
            send a datagram and must get it back (the server answers:
            the flow is answered); then FILE says so, and each waits up
            to --late-wait seconds for the server's "udp_tool: late", which
            only arrives from ADDR:P exactly (connected sockets).  A JSON
            summary on stdout.
  spoof     --connect ADDR --port P --from A --addrs K --ports N: IPv4
            datagrams with forged sources, from a raw socket (IP_HDRINCL):
            every pair of K addresses counting up from A and N source
            ports counting up from 1024 sends one datagram in turn, pass
            after pass, until the file --stop names exists or --max-time
            seconds passed.  --pass-done FILE: write the summary of the
            first pass there once it's sent, when every datagram came
            from a different source.  --rate caps datagrams per second.
            A JSON summary on stdout.

Exit status: 0 when every check held, 1 otherwise.  Standard library only,
and testlib.py next to this file.
"""

import argparse
import errno
import ipaddress
import json
import os
import random
import select
import socket
import struct
import sys
import time

from testlib import family_of
import testlib

BLOCK_SEED = 0x5eed
MAX_DGRAM = 65535
UDP_SEGMENT = getattr(socket, "UDP_SEGMENT", 103)  # linux/udp.h


def same_addr(sockaddr, addr, port):
    """True if the address returned by recvfrom() is ADDR:PORT"""
    try:
        return (ipaddress.ip_address(sockaddr[0].split("%")[0]) ==
                ipaddress.ip_address(addr) and sockaddr[1] == port)
    except ValueError:
        return False


def fmt_addr(sockaddr):
    """ADDR PORT of a socket address"""
    return "%s %d" % (sockaddr[0], sockaddr[1])


class Payloads:
    """Datagram contents: a slice of a seeded random block, chosen by the
    sequence number, with "seq, size, seed" in the first 12 bytes"""

    def __init__(self, seed):
        self.seed = seed
        rnd = random.Random(BLOCK_SEED ^ seed)
        self.block = rnd.randbytes(2 * MAX_DGRAM)

    def make(self, seq, size):
        """Contents of datagram SEQ, SIZE bytes"""
        off = (seq * 7919 + self.seed * 104729) % MAX_DGRAM
        data = bytearray(self.block[off:off + size])
        hdr = struct.pack("!III", seq & 0xffffffff, size, self.seed)
        n = min(len(hdr), size)
        data[:n] = hdr[:n]
        return bytes(data)

    @staticmethod
    def describe(data):
        """What a received datagram claims to be, for error messages"""
        if len(data) >= 12:
            seq, size, seed = struct.unpack("!III", data[:12])
            return "seq %d size %d seed %d (%d bytes)" % (seq, size, seed,
                                                          len(data))
        return "%d bytes: %s" % (len(data), data.hex())


SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33


def set_buf(s, force, opt, size):
    """Set the buffer size OPT, forcing past the system's maximum (FORCE)
    if we may"""
    if not size:
        return
    try:
        s.setsockopt(socket.SOL_SOCKET, force, size)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, opt, size)


def set_rcvbuf(s, size):
    set_buf(s, SO_RCVBUFFORCE, socket.SO_RCVBUF, size)


def set_sndbuf(s, size):
    set_buf(s, SO_SNDBUFFORCE, socket.SO_SNDBUF, size)


STOP = b"udp_tool: stop"
LATE = b"udp_tool: late"
BURST = b"udp_tool: burst "


def burst_plan(plan):
    """The sends of PLAN (see burst): a list of lists of sizes"""
    sends = []
    for item in plan.split(","):
        size, _, rest = item.partition("x")
        count, _, last = rest.partition("+")
        sizes = [int(size)] * int(count)
        if last:
            sizes.append(int(last))
        sends.append(sizes)
    return sends


def burst_send(s, seed, plan, peer):
    """Send the datagrams of PLAN to PEER, one send() each item"""
    pl = Payloads(seed)
    seq = 0
    for sizes in burst_plan(plan):
        data = b"".join(pl.make(seq + i, n) for i, n in enumerate(sizes))
        seq += len(sizes)
        cmsg = []
        if len(sizes) > 1:
            cmsg = [(socket.IPPROTO_UDP, UDP_SEGMENT,
                     struct.pack("=H", sizes[0]))]
        while True:
            try:
                s.sendmsg([data], cmsg, 0, peer)
                break
            except BlockingIOError:
                select.select([], [s], [], 1)


def cmd_echo(args):
    """Echo server"""
    socks = []
    for addr in args.bind:
        af = family_of(addr)
        s = socket.socket(af, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if af == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        set_rcvbuf(s, args.rcvbuf)
        set_sndbuf(s, args.rcvbuf)
        s.bind((addr, args.port))
        s.setblocking(False)
        socks.append(s)
    print("echo: bound to %s port %d" % (", ".join(args.bind), args.port),
          flush=True)
    peers = {}
    echoed = 0
    end = time.monotonic() + args.timeout
    late_sent = False
    while args.count == 0 or echoed < args.count:
        left = end - time.monotonic()
        if left <= 0:
            print("echo: %d datagrams echoed, time is up" % echoed)
            return 0 if args.count == 0 else 1
        if args.late and not late_sent and os.path.exists(args.late):
            for s, peer in peers.values():
                s.sendto(LATE, peer)
            print("echo: sent %d peers %r" % (len(peers), LATE), flush=True)
            late_sent = True
        r, _, _ = select.select(socks, [], [],
                                min(left, 0.1) if args.late else left)
        for s in r:
            try:
                data, peer = s.recvfrom(MAX_DGRAM)
            except BlockingIOError:
                continue
            except OSError as e:
                print("echo: recvfrom: %s" % e, file=sys.stderr)
                continue
            if args.stop and data == STOP:
                print("echo: %d datagrams echoed, stopped by %s" %
                      (echoed, fmt_addr(peer)))
                return 0
            if data.startswith(BURST):
                seed, plan = data[len(BURST):].decode().split(" ", 1)
                try:
                    burst_send(s, int(seed), plan, peer)
                except OSError as e:
                    print("echo: burst to %s: %s" % (fmt_addr(peer), e),
                          file=sys.stderr)
                continue
            key = fmt_addr(peer)
            if key not in peers:
                peers[key] = (s, peer)
                print("echo: new peer %s" % key, flush=True)
                if args.peers:
                    with open(args.peers, "a", encoding="ascii") as f:
                        f.write(key + "\n")
            while True:
                try:
                    s.sendto(data, peer)
                    break
                except BlockingIOError:
                    select.select([], [s], [], 1)
                except OSError as e:
                    print("echo: sendto %s: %s" % (key, e), file=sys.stderr)
                    break
            echoed += 1
    print("echo: %d datagrams echoed" % echoed)
    return 0


def cmd_stop(args):
    """Stop an echo server started with --stop"""
    s = socket.socket(family_of(args.connect), socket.SOCK_DGRAM)
    s.sendto(STOP, (args.connect, args.port))
    return 0


def client_socket(args):
    """Unconnected socket for ADDR, bound if --bind / --sport say so"""
    af = family_of(args.connect)
    s = socket.socket(af, socket.SOCK_DGRAM)
    set_rcvbuf(s, getattr(args, "rcvbuf", 0))
    set_sndbuf(s, getattr(args, "rcvbuf", 0))
    if args.bind or args.sport:
        s.bind((args.bind or ("::" if af == socket.AF_INET6 else "0.0.0.0"),
                args.sport))
    return s


def recv_checked(s, timeout, addr, port):
    """Receive one datagram within TIMEOUT seconds, from ADDR:PORT only;
    return (data, None) or (None, reason)"""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return None, "no reply within %g s" % timeout
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        try:
            data, peer = s.recvfrom(MAX_DGRAM)
        except OSError as e:
            return None, "recvfrom: %s" % e
        if not same_addr(peer, addr, port):
            return None, "reply from %s, expected %s %d" % (fmt_addr(peer),
                                                            addr, port)
        return data, None


def cmd_ping(args):
    """Send datagrams of given sizes, check each echo"""
    s = client_socket(args)
    pl = Payloads(args.seed)
    sizes = [int(x) for x in args.sizes.split(",") if x != ""]
    seq = 0
    for _ in range(args.repeat):
        for size in sizes:
            want = pl.make(seq, size)
            s.sendto(want, (args.connect, args.port))
            got, why = recv_checked(s, args.timeout, args.connect, args.port)
            if got is None:
                print("ping: datagram %d (%d bytes): %s" % (seq, size, why))
                return 1
            if got != want:
                print("ping: datagram %d (%d bytes): echo differs: got %s" %
                      (seq, size, Payloads.describe(got)))
                return 1
            seq += 1
    local = s.getsockname()
    print("ping: %d datagrams (sizes %s) echoed intact from %s %d, "
          "local port %d" % (seq, args.sizes, args.connect, args.port,
                             local[1]))
    return 0


def cmd_gso(args):
    """One send() of many datagrams (UDP_SEGMENT), check each echo"""
    s = client_socket(args)
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, args.segment)
    pl = Payloads(args.seed)
    want = [pl.make(seq, args.segment) for seq in range(args.count)]
    s.sendto(b"".join(want), (args.connect, args.port))
    got_all = {}
    for _ in want:
        got, why = recv_checked(s, args.timeout, args.connect, args.port)
        if got is None:
            print("gso: %d of %d datagrams echoed, then: %s" %
                  (len(got_all), args.count, why))
            return 1
        if got not in want:
            print("gso: echo isn't one of the datagrams sent: %s" %
                  Payloads.describe(got))
            return 1
        got_all[want.index(got)] = True
    if len(got_all) != args.count:
        print("gso: %d distinct datagrams of %d echoed" %
              (len(got_all), args.count))
        return 1
    print("gso: %d datagrams of %d bytes, sent with one send(), echoed "
          "intact from %s %d" % (args.count, args.segment, args.connect,
                                 args.port))
    return 0


def cmd_burst(args):
    """Ask an echo server for a burst, check every datagram of it"""
    s = client_socket(args)
    set_rcvbuf(s, 4 << 20)
    pl = Payloads(args.seed)
    want = [n for sizes in burst_plan(args.plan) for n in sizes]
    if args.send:
        burst_send(s, args.seed, args.plan, (args.connect, args.port))
    else:
        s.sendto(BURST + b"%d %s" % (args.seed, args.plan.encode()),
                 (args.connect, args.port))
    for seq, size in enumerate(want):
        got, why = recv_checked(s, args.timeout, args.connect, args.port)
        if got is None:
            print("burst: %d of %d datagrams, then: %s" %
                  (seq, len(want), why))
            return 1
        if got != pl.make(seq, size):
            print("burst: datagram %d (%d bytes) differs: got %s" %
                  (seq, size, Payloads.describe(got)))
            return 1
    print("burst: %d datagrams (%d bytes) from %s %d, in order, intact" %
          (len(want), sum(want), args.connect, args.port))
    return 0


def flood_sizes(count, max_size, seed):
    """Assorted sizes: empty, tiny, around 1280/1500 boundaries, large and
    the maximum, mixed in a seeded order"""
    rnd = random.Random(seed)
    edges = [0, 1, 7, 8, 12, 13, 100, 512, 1232, 1252, 1280, 1432, 1452,
             1472, 1473, 1500, 4096, 8192, 16384, 32768, 65000]
    edges = [e for e in edges if e <= max_size] + [max_size]

    def between(lo, hi):
        return rnd.randint(min(lo, max_size), min(hi, max_size))

    sizes = []
    for i in range(count):
        k = rnd.random()
        if i < len(edges):
            size = edges[i]
        elif k < 0.30:
            size = between(0, 200)
        elif k < 0.55:
            size = between(200, 1500)
        elif k < 0.80:
            size = between(1500, 16384)
        elif k < 0.97:
            size = between(16384, max_size)
        else:
            size = max_size
        sizes.append(size)
    return sizes


def cmd_flood(args):
    """Many datagrams through an echo server, checked in order"""
    s = client_socket(args)
    s.setblocking(False)
    pl = Payloads(args.seed)
    sizes = flood_sizes(args.count, args.max_size, args.seed)
    dest = (args.connect, args.port)
    sent = 0           # next sequence number to send
    done = 0           # next sequence number expected back
    in_flight_bytes = 0
    send_blocked = 0
    t0 = time.monotonic()
    last_progress = t0
    err = None
    bytes_total = sum(sizes)

    while done < args.count:
        can_send = (sent < args.count and
                    (args.window == 0 or sent - done < args.window) and
                    (args.window_bytes == 0 or sent == done or
                     in_flight_bytes + sizes[sent] <= args.window_bytes))
        wl = [s] if can_send else []
        r, w, _ = select.select([s], wl, [], 0.2)
        now = time.monotonic()
        if w:
            try:
                s.sendto(pl.make(sent, sizes[sent]), dest)
                in_flight_bytes += sizes[sent]
                sent += 1
                last_progress = now
            except BlockingIOError:
                send_blocked += 1
            except OSError as e:
                err = "sendto, datagram %d: %s" % (sent, e)
                break
        if r:
            while True:
                try:
                    data, peer = s.recvfrom(MAX_DGRAM)
                except BlockingIOError:
                    break
                except OSError as e:
                    err = "recvfrom: %s" % e
                    break
                if not same_addr(peer, args.connect, args.port):
                    err = "datagram from %s, expected %s %d" % (
                        fmt_addr(peer), args.connect, args.port)
                    break
                if done >= sent:
                    err = "unexpected datagram: %s" % Payloads.describe(data)
                    break
                want = pl.make(done, sizes[done])
                if data != want:
                    err = ("expected datagram %d (%d bytes), got %s" %
                           (done, sizes[done], Payloads.describe(data)))
                    break
                in_flight_bytes -= sizes[done]
                done += 1
                last_progress = now
            if err:
                break
        if now - last_progress > args.timeout:
            err = ("no progress for %g s: %d sent, %d echoed, next expected "
                   "datagram %d (%d bytes)" % (args.timeout, sent, done, done,
                                               sizes[done]))
            break
        if now - t0 > args.max_time:
            err = "took over %g s: %d sent, %d echoed" % (args.max_time,
                                                          sent, done)
            break

    elapsed = time.monotonic() - t0
    summary = {"count": args.count, "sent": sent, "echoed": done,
               "bytes": bytes_total, "max_size": max(sizes),
               "seconds": round(elapsed, 2), "window": args.window,
               "window_bytes": args.window_bytes,
               "send_would_block": send_blocked}
    if err:
        summary["error"] = err
        # Count what still arrives, for the report
        extra = 0
        end = time.monotonic() + 1
        while time.monotonic() < end:
            r, _, _ = select.select([s], [], [], 0.1)
            if r:
                try:
                    s.recvfrom(MAX_DGRAM)
                    extra += 1
                except OSError:
                    pass
        summary["late"] = extra
    print(json.dumps(summary))
    return 1 if err else 0


def cmd_many(args):
    """Many sockets, one flow each, every one gets its own echo"""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = args.flows + 64
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (min(want, hard), hard))
    except (ImportError, ValueError, OSError):
        pass
    af = family_of(args.connect)
    pl = Payloads(args.seed)
    socks = []
    for i in range(args.flows):
        s = socket.socket(af, socket.SOCK_DGRAM)
        s.setblocking(False)
        socks.append(s)
    pending = {}
    for i, s in enumerate(socks):
        s.sendto(pl.make(i, args.size), (args.connect, args.port))
        pending[s.fileno()] = (i, s)
    poller = select.poll()
    for s in socks:
        poller.register(s, select.POLLIN)
    end = time.monotonic() + args.timeout
    resent = 0
    last_send = time.monotonic()
    while pending:
        left = end - time.monotonic()
        if left <= 0:
            break
        for fd, _ in poller.poll(min(left, 0.5) * 1000):
            i, s = pending.get(fd, (None, None))
            if s is None:
                continue
            try:
                data, peer = s.recvfrom(MAX_DGRAM)
            except BlockingIOError:
                continue
            except OSError as e:
                print("many: flow %d: %s" % (i, e))
                return 1
            if not same_addr(peer, args.connect, args.port):
                print("many: flow %d: reply from %s" % (i, fmt_addr(peer)))
                return 1
            if data != pl.make(i, args.size):
                print("many: flow %d got %s" % (i, Payloads.describe(data)))
                return 1
            poller.unregister(s)
            del pending[fd]
        if pending and time.monotonic() - last_send > 1 and args.resend:
            # A datagram lost to a full buffer: ask again, once a second
            for i, s in pending.values():
                s.sendto(pl.make(i, args.size), (args.connect, args.port))
                resent += 1
            last_send = time.monotonic()
    if pending:
        print("many: %d of %d flows got no echo within %g s" %
              (len(pending), args.flows, args.timeout))
        return 1
    print("many: %d flows, each echoed its own datagram (%d resent)" %
          (args.flows, resent))
    return 0


def cmd_refused(args):
    """Expect an error (ECONNREFUSED by default) on a connected socket"""
    af = family_of(args.connect)
    want = getattr(errno, args.expect)
    s = socket.socket(af, socket.SOCK_DGRAM)
    if args.recverr:
        if af == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, 11, 1)       # IP_RECVERR
        else:
            s.setsockopt(socket.IPPROTO_IPV6, 25, 1)     # IPV6_RECVERR
    if args.sport:
        s.bind(("::" if af == socket.AF_INET6 else "0.0.0.0", args.sport))
    s.connect((args.connect, args.port))
    t0 = time.monotonic()
    end = t0 + args.max_time
    payload = b"anyone there?"
    while True:
        left = end - time.monotonic()
        if left <= 0:
            print("%s: nothing within %g s" % (args.expect, args.max_time))
            return 1
        try:
            s.send(payload)
            r, _, _ = select.select([s], [], [], min(left, 0.5))
            if not r:
                continue
            data = s.recv(MAX_DGRAM)
        except OSError as e:
            if e.errno == want:
                print("%.3f" % (time.monotonic() - t0))
                return 0
            print("%s: got %s instead" % (args.expect, e))
            return 1
        print("%s: got a reply of %d bytes instead" % (args.expect, len(data)))
        return 1


def cmd_silent(args):
    """Expect no reply at all"""
    af = family_of(args.connect)
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.sendto(b"hello? " * 4, (args.connect, args.port))
    r, _, _ = select.select([s], [], [], args.wait)
    if not r:
        print("silent: nothing within %g s" % args.wait)
        return 0
    try:
        data, peer = s.recvfrom(MAX_DGRAM)
    except OSError as e:
        print("silent: only an error: %s" % e)
        return 0
    print("silent: got %d bytes from %s" % (len(data), fmt_addr(peer)))
    return 1


def cmd_answered(args):
    """Flows an echo server answered, waiting for its late datagram"""
    af = family_of(args.connect)
    pl = Payloads(args.seed)
    socks = []
    for _ in range(args.flows):
        s = socket.socket(af, socket.SOCK_DGRAM)
        s.connect((args.connect, args.port))
        s.setblocking(False)
        socks.append(s)

    def collect(pending, want, timeout, resend):
        """Wait for WANT(i) on each socket of PENDING (index: socket),
        sending datagram i again once a second if RESEND; return what's
        still pending and an error, if any"""
        end = time.monotonic() + timeout
        last = time.monotonic()
        while pending and time.monotonic() < end:
            r, _, _ = select.select(list(pending.values()), [], [], 0.2)
            for i in [i for i, s in pending.items() if s in r]:
                try:
                    data = pending[i].recv(MAX_DGRAM)
                except OSError as e:
                    return pending, "flow %d: %s" % (i, e)
                if data != want(i):
                    return pending, "flow %d got %s" % (
                        i, Payloads.describe(data))
                del pending[i]
            if resend and time.monotonic() - last > 1:
                for i, s in pending.items():
                    s.send(pl.make(i, 64))
                last = time.monotonic()
        return pending, None

    for i, s in enumerate(socks):
        s.send(pl.make(i, 64))
    pending, err = collect(dict(enumerate(socks)), lambda i: pl.make(i, 64),
                           args.timeout, True)
    summary = {"flows": args.flows, "echoed": args.flows - len(pending),
               "ports": [s.getsockname()[1] for s in socks[:3]]}
    with open(args.ready + ".tmp", "w", encoding="ascii") as f:
        f.write(json.dumps(summary) + "\n")
    os.rename(args.ready + ".tmp", args.ready)
    if err or pending:
        summary["error"] = err or "%d flows not echoed" % len(pending)
        print(json.dumps(summary))
        return 1

    pending, err = collect(dict(enumerate(socks)), lambda i: LATE,
                           args.late_wait, False)
    summary["late"] = args.flows - len(pending)
    if err or pending:
        summary["error"] = err or ("no late datagram from %s %d on %d "
                                   "flows" % (args.connect, args.port,
                                              len(pending)))
    print(json.dumps(summary))
    return 1 if "error" in summary else 0


def spoofed_datagrams(dst, port, first, addrs, ports):
    """IPv4 headers and UDP datagrams from every (address, port) pair, the
    addresses counting up from FIRST, ports from 1024: the kernel fills in
    the IP identification and checksum; a zero UDP checksum is allowed
    over IPv4"""
    payload = b"spoofed datagram"
    udp_len = 8 + len(payload)
    base = int(ipaddress.IPv4Address(first))
    daddr = socket.inet_aton(dst)
    out = []
    for a in range(addrs):
        saddr = socket.inet_aton(str(ipaddress.IPv4Address(base + a)))
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000,
                         64, socket.IPPROTO_UDP, 0, saddr, daddr)
        for p in range(1024, 1024 + ports):
            out.append(ip + struct.pack("!HHHH", p, port, udp_len, 0) +
                       payload)
    return out


def cmd_spoof(args):
    """Datagrams from many forged sources, over and over"""
    pkts = spoofed_datagrams(args.connect, args.port, args.source,
                             args.addrs, args.ports)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    set_sndbuf(s, 4 << 20)
    dest = (args.connect, 0)
    sent = passes = dropped = 0
    t0 = time.monotonic()
    step = 256        # datagrams between checks of the clock and --stop

    def summary():
        secs = time.monotonic() - t0
        return {"sources": len(pkts), "sent": sent, "passes": passes,
                "send_errors": dropped, "seconds": round(secs, 2),
                "rate": int(sent / secs) if secs else 0}

    while True:
        for i in range(0, len(pkts), step):
            for pkt in pkts[i:i + step]:
                try:
                    s.sendto(pkt, dest)
                except OSError as e:
                    if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                        raise
                    dropped += 1
            sent += len(pkts[i:i + step])
            now = time.monotonic()
            if args.rate and sent > args.rate * (now - t0):
                time.sleep(sent / args.rate - (now - t0))
            if (now - t0 > args.max_time or
                    (args.stop and os.path.exists(args.stop))):
                print(json.dumps(summary()))
                return 0
        passes += 1
        if passes == 1 and args.pass_done:
            with open(args.pass_done + ".tmp", "w", encoding="ascii") as f:
                f.write(json.dumps(summary()) + "\n")
            os.rename(args.pass_done + ".tmp", args.pass_done)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("echo")
    p.add_argument("--bind", action="append", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--peers")
    p.add_argument("--rcvbuf", type=int, default=0)
    p.add_argument("--stop", action="store_true",
                   help="end when a datagram says '%s'" % STOP.decode())
    p.add_argument("--late")
    p.set_defaults(fn=cmd_echo)

    p = sub.add_parser("answered")
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--flows", type=int, default=50)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--ready", required=True)
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("--late-wait", type=float, default=60)
    p.set_defaults(fn=cmd_answered)

    p = sub.add_parser("stop")
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, required=True)
    p.set_defaults(fn=cmd_stop)

    for name, fn in (("ping", cmd_ping), ("flood", cmd_flood),
                     ("gso", cmd_gso), ("burst", cmd_burst)):
        p = sub.add_parser(name)
        p.add_argument("--connect", required=True)
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--bind", default="")
        p.add_argument("--sport", type=int, default=0)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--timeout", type=float, default=5)
        p.set_defaults(fn=fn)
        if name == "ping":
            p.add_argument("--sizes", default="0,1,100,1400,8000")
            p.add_argument("--repeat", type=int, default=1)
        elif name == "gso":
            p.add_argument("--segment", type=int, default=1400)
            p.add_argument("--count", type=int, default=40)
        elif name == "burst":
            p.add_argument("--plan", required=True)
            p.add_argument("--send", action="store_true")
        else:
            p.add_argument("--count", type=int, default=10000)
            p.add_argument("--max-size", type=int, default=65000)
            p.add_argument("--window", type=int, default=32)
            p.add_argument("--window-bytes", type=int, default=0)
            p.add_argument("--rcvbuf", type=int, default=0)
            p.add_argument("--max-time", type=float, default=240)

    p = sub.add_parser("many")
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--flows", type=int, default=1000)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("--resend", action="store_true")
    p.set_defaults(fn=cmd_many)

    p = sub.add_parser("refused")
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--max-time", type=float, default=3)
    p.add_argument("--expect", default="ECONNREFUSED",
                   choices=["ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH"])
    p.add_argument("--sport", type=int, default=0)
    p.add_argument("--recverr", action="store_true",
                   help="IP_RECVERR: also report errors that aren't fatal")
    p.set_defaults(fn=cmd_refused)

    p = sub.add_parser("silent")
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--wait", type=float, default=2)
    p.set_defaults(fn=cmd_silent)

    p = sub.add_parser("spoof")
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--from", dest="source", required=True)
    p.add_argument("--addrs", type=int, default=3)
    p.add_argument("--ports", type=int, default=50000)
    p.add_argument("--rate", type=int, default=0)
    p.add_argument("--stop")
    p.add_argument("--pass-done")
    p.add_argument("--max-time", type=float, default=120)
    p.set_defaults(fn=cmd_spoof)

    args = ap.parse_args()
    return args.fn(args)


def run():
    """main(), an unexpected OSError as exit status 1 (2 for EINVAL)"""
    try:
        return main()
    except OSError as e:
        print("udp_tool: %s" % e, file=sys.stderr)
        return 1 if e.errno != errno.EINVAL else 2


if __name__ == "__main__":
    testlib.main(run)
