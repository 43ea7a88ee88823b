#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""dns_tool.py - a tiny DNS server and a DNS client for the DNS tests.

  server  --bind ADDR [--bind ADDR...] [--port 53] [--a ADDR] [--aaaa ADDR]
          [--name test.example] [--log FILE] [--timeout S]
          Answers on UDP and TCP (two-byte length prefix, RFC 1035 4.2.2)
          on each address: A and AAAA queries for --name get the --a and
          --aaaa addresses (TTL 60), other names NXDOMAIN, other types an
          empty answer.  Every query is logged as one line to --log:
          "udp|tcp PEER_ADDR PEER_PORT ID NAME TYPE".  Exits after
          --timeout seconds.

  query   --server ADDR [--port 53] [--tcp] --name NAME [--type A|AAAA]
          [--expect ADDR] [--timeout S]
          Builds the query itself (random ID, recursion desired), sends it
          over UDP or TCP and checks the response: same ID, QR set, opcode
          0, the question echoed back, rcode NOERROR, and (UDP) that it came
          from ADDR:PORT.  Prints "query id ID over PROTO ..." first, then
          "answer ADDR" for every A/AAAA record, and with --expect checks
          that ADDR is among them.
          Exit status: 0 answer checked, 1 bad answer, 2 no answer within
          --timeout, 3 a network error (refused, unreachable) instead.

Standard library only, and testlib.py next to this file.
"""

import argparse
import ipaddress
import random
import select
import socket
import struct
import threading
import time

from testlib import family_of
import testlib

TYPES = {"A": 1, "AAAA": 28, "TXT": 16}
CLASS_IN = 1


def encode_name(name):
    """Domain name in wire format"""
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def decode_name(msg, off):
    """Name at OFF (compression pointers followed), and the offset after it"""
    labels = []
    end = None
    hops = 0
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the message")
        n = msg[off]
        if n & 0xc0 == 0xc0:
            if off + 1 >= len(msg):
                raise ValueError("truncated pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3f) << 8) | msg[off + 1]
            hops += 1
            if hops > 32:
                raise ValueError("pointer loop")
            continue
        if n == 0:
            off += 1
            break
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels), (end if end is not None else off)


def build_query(qid, name, qtype):
    """A standard query with recursion desired"""
    hdr = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    return hdr + encode_name(name) + struct.pack("!HH", qtype, CLASS_IN)


def parse_question(msg):
    """(id, flags, name, qtype, offset after the question) of a message"""
    if len(msg) < 12:
        raise ValueError("message shorter than a header")
    qid, flags, qd, _, _, _ = struct.unpack("!HHHHHH", msg[:12])
    if qd != 1:
        raise ValueError("%d questions" % qd)
    name, off = decode_name(msg, 12)
    if off + 4 > len(msg):
        raise ValueError("truncated question")
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    if qclass != CLASS_IN:
        raise ValueError("class %d" % qclass)
    return qid, flags, name, qtype, off + 4


# Server

class Server:
    """Answers A/AAAA for one name"""

    def __init__(self, args):
        self.args = args
        self.name = args.name.rstrip(".").lower()
        self.lock = threading.Lock()
        self.log = open(args.log, "a", encoding="ascii") if args.log else None

    def note(self, proto, peer, qid, name, qtype):
        line = "%s %s %d %d %s %d" % (proto, peer[0], peer[1], qid,
                                      name or ".", qtype)
        with self.lock:
            if self.log:
                self.log.write(line + "\n")
                self.log.flush()
            print(line, flush=True)

    def answer(self, query, proto, peer):
        """Response to QUERY, or None to ignore it"""
        try:
            qid, flags, name, qtype, qend = parse_question(query)
        except (ValueError, struct.error) as e:
            print("bad query from %s: %s" % (peer, e), flush=True)
            return None
        if flags & 0x8000:
            return None
        self.note(proto, peer, qid, name, qtype)
        question = query[12:qend]
        rcode = 0
        answers = []
        if name.lower() != self.name:
            rcode = 3
        elif qtype == TYPES["A"] and self.args.a:
            for a in self.args.a:
                answers.append((1, socket.inet_pton(socket.AF_INET, a)))
        elif qtype == TYPES["AAAA"] and self.args.aaaa:
            for a in self.args.aaaa:
                answers.append((28, socket.inet_pton(socket.AF_INET6, a)))
        rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode
        out = struct.pack("!HHHHHH", qid, rflags, 1, len(answers), 0, 0)
        out += question
        for rtype, rdata in answers:
            out += struct.pack("!HHHIH", 0xc00c, rtype, CLASS_IN, 60,
                               len(rdata)) + rdata
        return out

    def serve_udp(self, s):
        while True:
            try:
                data, peer = s.recvfrom(65535)
            except OSError:
                continue
            resp = self.answer(data, "udp", peer)
            if resp is not None:
                try:
                    s.sendto(resp, peer)
                except OSError as e:
                    print("udp sendto %s: %s" % (peer, e), flush=True)

    def serve_tcp_conn(self, conn, peer):
        conn.settimeout(10)
        buf = b""
        try:
            while True:
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(
                        "!H", buf[:2])[0]:
                    n = struct.unpack("!H", buf[:2])[0]
                    query, buf = buf[2:2 + n], buf[2 + n:]
                    resp = self.answer(query, "tcp", peer)
                    if resp is not None:
                        conn.sendall(struct.pack("!H", len(resp)) + resp)
                data = conn.recv(65535)
                if not data:
                    break
                buf += data
        except OSError:
            pass
        finally:
            conn.close()

    def serve_tcp(self, s):
        while True:
            try:
                conn, peer = s.accept()
            except OSError:
                continue
            threading.Thread(target=self.serve_tcp_conn, args=(conn, peer),
                             daemon=True).start()


def cmd_server(args):
    srv = Server(args)
    socks = []
    for addr in args.bind:
        af = family_of(addr)
        u = socket.socket(af, socket.SOCK_DGRAM)
        t = socket.socket(af, socket.SOCK_STREAM)
        for s in (u, t):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if af == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, args.port))
        t.listen(16)
        socks += [u, t]
        threading.Thread(target=srv.serve_udp, args=(u,), daemon=True).start()
        threading.Thread(target=srv.serve_tcp, args=(t,), daemon=True).start()
    print("serving on %s port %d, UDP and TCP" % (", ".join(args.bind),
                                                   args.port), flush=True)
    time.sleep(args.timeout)
    return 0


# Client

def recv_exact(s, n, end):
    """N bytes from a stream socket before END (monotonic)"""
    buf = b""
    while len(buf) < n:
        left = end - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        s.settimeout(left)
        data = s.recv(n - len(buf))
        if not data:
            raise ConnectionResetError("connection closed after %d of %d "
                                       "bytes" % (len(buf), n))
        buf += data
    return buf


def query_udp(args, query, end):
    """Response over UDP: (data, address it came from)"""
    af = family_of(args.server)
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.sendto(query, (args.server, args.port))
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        # Unconnected: a reply from anywhere else is seen, and rejected
        data, peer = s.recvfrom(65535)
        return data, peer


def query_tcp(args, query, end):
    """Response over TCP"""
    af = family_of(args.server)
    s = socket.socket(af, socket.SOCK_STREAM)
    s.settimeout(max(end - time.monotonic(), 0.01))
    s.connect((args.server, args.port))
    s.sendall(struct.pack("!H", len(query)) + query)
    n = struct.unpack("!H", recv_exact(s, 2, end))[0]
    data = recv_exact(s, n, end)
    peer = s.getpeername()
    s.close()
    return data, peer


def check_response(args, qid, qtype, resp):
    """Addresses answered, or raise ValueError"""
    rid, flags, name, rqtype, off = parse_question(resp)
    if rid != qid:
        raise ValueError("ID %d, expected %d" % (rid, qid))
    if not flags & 0x8000:
        raise ValueError("QR not set")
    if (flags >> 11) & 0xf:
        raise ValueError("opcode %d" % ((flags >> 11) & 0xf))
    if name.lower() != args.name.rstrip(".").lower() or rqtype != qtype:
        raise ValueError("question %s/%d, expected %s/%d" %
                         (name, rqtype, args.name, qtype))
    rcode = flags & 0xf
    if rcode:
        raise ValueError("rcode %d" % rcode)
    ancount = struct.unpack("!H", resp[6:8])[0]
    addrs = []
    for _ in range(ancount):
        _, off = decode_name(resp, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", resp[off:off + 10])
        off += 10
        rdata = resp[off:off + rdlen]
        if len(rdata) != rdlen:
            raise ValueError("truncated record")
        off += rdlen
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == 28 and rdlen == 16:
            addrs.append(socket.inet_ntop(socket.AF_INET6, rdata))
    return addrs


def cmd_query(args):
    qtype = TYPES[args.type]
    qid = random.SystemRandom().randrange(1, 65536)
    query = build_query(qid, args.name, qtype)
    end = time.monotonic() + args.timeout
    proto = "tcp" if args.tcp else "udp"
    print("query id %d over %s to %s port %d: %s %s" %
          (qid, proto, args.server, args.port, args.name, args.type),
          flush=True)
    try:
        if args.tcp:
            resp, peer = query_tcp(args, query, end)
        else:
            resp, peer = query_udp(args, query, end)
    except socket.timeout:
        print("no answer over %s from %s port %d within %g s" %
              (proto, args.server, args.port, args.timeout))
        return 2
    except OSError as e:
        print("no answer over %s from %s port %d: %s" %
              (proto, args.server, args.port, e))
        return 3

    if (ipaddress.ip_address(peer[0]) != ipaddress.ip_address(args.server)
            or peer[1] != args.port):
        print("answer from %s port %d, expected %s port %d" %
              (peer[0], peer[1], args.server, args.port))
        return 1
    try:
        addrs = check_response(args, qid, qtype, resp)
    except (ValueError, struct.error) as e:
        print("bad answer over %s: %s (%s)" % (proto, e, resp.hex()))
        return 1
    for a in addrs:
        print("answer %s" % a)
    if args.expect and ipaddress.ip_address(args.expect) not in \
            [ipaddress.ip_address(a) for a in addrs]:
        print("expected %s among the answers over %s from %s" %
              (args.expect, proto, args.server))
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("server")
    p.add_argument("--bind", action="append", required=True)
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--name", default="test.example")
    p.add_argument("--a", action="append", default=[])
    p.add_argument("--aaaa", action="append", default=[])
    p.add_argument("--log")
    p.add_argument("--timeout", type=float, default=120)
    p.set_defaults(fn=cmd_server)

    p = sub.add_parser("query")
    p.add_argument("--server", required=True)
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--tcp", action="store_true")
    p.add_argument("--name", default="test.example")
    p.add_argument("--type", choices=sorted(TYPES), default="A")
    p.add_argument("--expect")
    p.add_argument("--timeout", type=float, default=5)
    p.set_defaults(fn=cmd_query)

    args = ap.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    testlib.main(main)
