#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""clients_srv.py - small servers and clients for the client-replay tests
(qemu_full.sh, qrap.sh, libvirt.sh, podman.sh, rootlesskit.sh).

Servers (run until killed, or until --count transfers are done; each
writes --ready FILE once it listens, and logs one line per event to
standard output):

  sink    --bind ADDR --port P --out PREFIX [--count N]
          TCP: accept, read to EOF, store the data in PREFIX.K (K = 1,
          2, ...), then close.  Logs "sink K BYTES SHA256 PEER".

  banner  --bind ADDR --port P --text TEXT
          TCP: accept, send "TEXT peer=ADDR:PORT\\n", close.  Logs the peer.

  tftpd   --bind ADDR --port P --root DIR [--count N]
          TFTP (RFC 1350, octet and netascii treated alike, options
          ignored, so 512-byte blocks): RRQ serves DIR/NAME, WRQ stores
          DIR/NAME.  Replies come from the listening port itself, one
          transfer at a time.  Logs "tftpd rrq|wrq NAME BYTES SHA256 PEER".

  dns     --bind ADDR --port P --a NAME=ADDR [--a ...]
          UDP: A queries for a known NAME get ADDR (TTL 60); other names
          NXDOMAIN; other types an empty answer.  Logs "dns NAME TYPE PEER".

  udpecho --bind ADDR --port P --prefix TEXT
          UDP: answers every datagram with TEXT + datagram, to its sender.

Clients (exit 0 if the exchange worked, 1 otherwise; print what they got):

  tcpx    --connect ADDR:PORT [--send FILE] [--expect-size N] [--out FILE]
          Connect, send FILE, read until N bytes (or EOF), close.  Prints
          "tcpx sent BYTES SHA256", "tcpx recv BYTES SHA256".  Without
          --expect-size, half-closes after sending and reads to EOF.

  udpx    --to ADDR:PORT --send TEXT [--retries N] [--bind ADDR:PORT]
          Send TEXT, print the first reply ("udpx reply TEXT"), resending
          every second up to N times.

  dnsq    --server ADDR [--port 53] --name NAME
          One A query over UDP; prints "dnsq rcode N" and "dnsq answer ADDR"
          lines.

  httpget --url URL [--out FILE]
          HTTP GET; prints "httpget BYTES SHA256".

  get     --connect ADDR:PORT
          Connect, half-close, print everything received (banner client).

  combined [--timeout T] [--eof-timeout E] -- CMD [ARG]...
          Run CMD the way Go's exec.Cmd.CombinedOutput() does, as podman
          and rootlesskit run pasta: standard output and error on one
          pipe, standard input /dev/null; wait for CMD to exit, then for
          end of file on the pipe.  Prints "out: LINE" for each line,
          "combined rc N", then "combined eof yes", or "combined eof no"
          if something CMD left behind still holds the pipe E seconds
          after CMD exited (the caller would wait for ever).  Exit status:
          CMD's, 124 if CMD ran longer than T, 125 without end of file.

Standard library only, and testlib.py next to this file.
"""

import argparse
import hashlib
import os
import random
import select
import socket
import struct
import sys
import time

from testlib import family_of


def say(msg):
    print(msg, flush=True)


def split_hostport(s):
    if s.startswith("["):
        host, _, port = s[1:].partition("]:")
    else:
        host, _, port = s.rpartition(":")
    return host, int(port)


def peer_str(peer):
    return "%s:%d" % (peer[0], peer[1])


def ready(path):
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(path + ".tmp", path)


def listen_tcp(args):
    s = socket.socket(family_of(args.bind), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.bind, args.port))
    s.listen(16)
    return s


def bind_udp(args):
    s = socket.socket(family_of(args.bind), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.bind, args.port))
    return s


def sha(data):
    return hashlib.sha256(data).hexdigest()


# --- servers ----------------------------------------------------------------

def cmd_sink(args):
    s = listen_tcp(args)
    ready(args.ready)
    k = 0
    while not args.count or k < args.count:
        c, peer = s.accept()
        c.settimeout(args.timeout)
        k += 1
        data = bytearray()
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                data += d
        except OSError as e:
            say("sink %d error %s after %d bytes" % (k, e, len(data)))
        with open("%s.%d" % (args.out, k), "wb") as f:
            f.write(data)
        c.close()
        say("sink %d %d %s %s" % (k, len(data), sha(data), peer_str(peer)))
    return 0


def cmd_banner(args):
    s = listen_tcp(args)
    ready(args.ready)
    while True:
        c, peer = s.accept()
        say("banner peer %s" % peer_str(peer))
        try:
            c.sendall(("%s peer=%s\n" % (args.text, peer_str(peer))).encode())
        except OSError as e:
            say("banner error %s" % e)
        c.close()


TFTP_RRQ, TFTP_WRQ, TFTP_DATA, TFTP_ACK, TFTP_ERROR = 1, 2, 3, 4, 5
TFTP_BLK = 512


def tftp_error(s, peer, code, text):
    s.sendto(struct.pack("!HH", TFTP_ERROR, code) + text.encode() + b"\0",
             peer)


def tftp_wait(s, peer, timeout):
    """Next datagram from PEER (others are answered with an error)"""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return None
        pkt, src = s.recvfrom(65536)
        if src[:2] != peer[:2]:
            tftp_error(s, src, 5, "busy")
            continue
        return pkt


def tftp_rrq(s, peer, path, name):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        tftp_error(s, peer, 1, "file not found")
        say("tftpd rrq %s not-found %s" % (name, peer_str(peer)))
        return
    nblocks = len(data) // TFTP_BLK + 1
    for blk in range(1, nblocks + 1):
        chunk = data[(blk - 1) * TFTP_BLK:blk * TFTP_BLK]
        pkt = struct.pack("!HH", TFTP_DATA, blk & 0xffff) + chunk
        for _ in range(8):
            s.sendto(pkt, peer)
            got = False
            while True:
                r = tftp_wait(s, peer, 1.0)
                if r is None:
                    break
                if len(r) >= 4:
                    op, n = struct.unpack("!HH", r[:4])
                    if op == TFTP_ACK and n == (blk & 0xffff):
                        got = True
                        break
                    if op == TFTP_ERROR:
                        say("tftpd rrq %s peer-error %s" % (name, r[4:]))
                        return
            if got:
                break
        else:
            say("tftpd rrq %s timeout at block %d" % (name, blk))
            return
    say("tftpd rrq %s %d %s %s" % (name, len(data), sha(data),
                                   peer_str(peer)))


def tftp_wrq(s, peer, path, name):
    data = bytearray()
    expect = 1
    s.sendto(struct.pack("!HH", TFTP_ACK, 0), peer)
    while True:
        r = None
        for _ in range(8):
            r = tftp_wait(s, peer, 1.0)
            if r is not None:
                break
            s.sendto(struct.pack("!HH", TFTP_ACK, (expect - 1) & 0xffff),
                     peer)
        if r is None:
            say("tftpd wrq %s timeout at block %d" % (name, expect))
            return
        if len(r) < 4:
            continue
        op, n = struct.unpack("!HH", r[:4])
        if op != TFTP_DATA:
            continue
        if n == (expect & 0xffff):
            data += r[4:]
            s.sendto(struct.pack("!HH", TFTP_ACK, n), peer)
            expect += 1
            if len(r) - 4 < TFTP_BLK:
                break
        else:
            # Duplicate: acknowledge again
            s.sendto(struct.pack("!HH", TFTP_ACK, n), peer)
    with open(path, "wb") as f:
        f.write(data)
    say("tftpd wrq %s %d %s %s" % (name, len(data), sha(data),
                                   peer_str(peer)))


def cmd_tftpd(args):
    s = bind_udp(args)
    ready(args.ready)
    done = 0
    while not args.count or done < args.count:
        pkt, peer = s.recvfrom(65536)
        if len(pkt) < 4:
            continue
        op = struct.unpack("!H", pkt[:2])[0]
        if op not in (TFTP_RRQ, TFTP_WRQ):
            continue
        fields = pkt[2:].split(b"\0")
        name = fields[0].decode("ascii", "replace")
        base = os.path.basename(name)
        if not base or base != name:
            tftp_error(s, peer, 2, "bad file name")
            continue
        path = os.path.join(args.root, base)
        if op == TFTP_RRQ:
            tftp_rrq(s, peer, path, base)
        else:
            tftp_wrq(s, peer, path, base)
        done += 1
    return 0


def dns_name(msg, off):
    labels = []
    while True:
        if off >= len(msg):
            raise ValueError("name past the end")
        n = msg[off]
        off += 1
        if n == 0:
            break
        if n & 0xc0:
            raise ValueError("compressed name in question")
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels), off


def cmd_dns(args):
    table = {}
    for a in args.a:
        name, _, addr = a.partition("=")
        table[name.lower().rstrip(".")] = socket.inet_aton(addr)
    s = bind_udp(args)
    ready(args.ready)
    while True:
        msg, peer = s.recvfrom(65536)
        try:
            qid, flags, qd = struct.unpack("!HHH", msg[:6])
            name, off = dns_name(msg, 12)
            qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
        except (ValueError, struct.error):
            continue
        question = msg[12:off + 4]
        say("dns %s %d %s" % (name, qtype, peer_str(peer)))
        key = name.lower().rstrip(".")
        answers = b""
        ancount = 0
        rcode = 0
        if key not in table:
            rcode = 3
        elif qtype == 1:
            answers = (struct.pack("!HHHIH", 0xc00c, 1, 1, 60, 4)
                       + table[key])
            ancount = 1
        rflags = 0x8000 | (flags & 0x0100) | 0x0080 | 0x0400 | rcode
        hdr = struct.pack("!HHHHHH", qid, rflags, 1, ancount, 0, 0)
        s.sendto(hdr + question + answers, peer)


def cmd_udpecho(args):
    s = bind_udp(args)
    ready(args.ready)
    while True:
        msg, peer = s.recvfrom(65536)
        say("udpecho %r from %s" % (msg, peer_str(peer)))
        s.sendto(args.prefix.encode() + msg, peer)


# --- clients ----------------------------------------------------------------

def cmd_tcpx(args):
    host, port = split_hostport(args.connect)
    c = socket.create_connection((host, port), timeout=args.timeout)
    say("tcpx connected %s -> %s" % (peer_str(c.getsockname()),
                                     peer_str(c.getpeername())))
    sent = b""
    if args.send:
        with open(args.send, "rb") as f:
            sent = f.read()
        c.sendall(sent)
    say("tcpx sent %d %s" % (len(sent), sha(sent)))
    if args.expect_size is None:
        c.shutdown(socket.SHUT_WR)
    data = bytearray()
    deadline = time.monotonic() + args.timeout
    rc = 0
    while args.expect_size is None or len(data) < args.expect_size:
        left = deadline - time.monotonic()
        if left <= 0:
            say("tcpx timeout after %d bytes" % len(data))
            rc = 1
            break
        c.settimeout(left)
        try:
            d = c.recv(65536)
        except socket.timeout:
            continue
        if not d:
            if args.expect_size is not None:
                say("tcpx EOF after %d bytes" % len(data))
                rc = 1
            break
        data += d
    c.close()
    if args.out:
        with open(args.out, "wb") as f:
            f.write(data)
    say("tcpx recv %d %s" % (len(data), sha(data)))
    return rc


def cmd_udpx(args):
    host, port = split_hostport(args.to)
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    if args.bind:
        s.bind(split_hostport(args.bind))
    for i in range(args.retries):
        s.sendto(args.send.encode(), (host, port))
        say("udpx sent %r (try %d)" % (args.send, i + 1))
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            try:
                msg, peer = s.recvfrom(65536)
            except OSError as e:
                say("udpx error %s" % e)
                continue
            say("udpx reply %s from %s" % (msg.decode("ascii", "replace")
                                           .rstrip("\n"), peer_str(peer)))
            return 0
    say("udpx no reply")
    return 1


def cmd_dnsq(args):
    s = socket.socket(family_of(args.server), socket.SOCK_DGRAM)
    qid = random.randrange(65536)
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in args.name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 1, 1)
    for i in range(args.retries):
        s.sendto(q, (args.server, args.port))
        r, _, _ = select.select([s], [], [], 1.0)
        if not r:
            continue
        try:
            msg, peer = s.recvfrom(65536)
        except OSError as e:
            say("dnsq error %s" % e)
            return 1
        rid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
        if rid != qid:
            continue
        say("dnsq from %s rcode %d answers %d" % (peer_str(peer),
                                                  flags & 0xf, an))
        _, off = dns_name(msg, 12)
        off += 4
        for _ in range(an):
            # Answers: name (pointer or labels), type, class, ttl, rdlength
            if msg[off] & 0xc0:
                off += 2
            else:
                _, off = dns_name(msg, off)
            rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            if rtype == 1 and rdlen == 4:
                say("dnsq answer %s" % socket.inet_ntoa(msg[off:off + 4]))
            off += rdlen
        return 0
    say("dnsq no answer")
    return 1


def cmd_get(args):
    host, port = split_hostport(args.connect)
    c = socket.create_connection((host, port), timeout=args.timeout)
    c.shutdown(socket.SHUT_WR)
    data = bytearray()
    while True:
        d = c.recv(65536)
        if not d:
            break
        data += d
    c.close()
    sys.stdout.write(data.decode("ascii", "replace"))
    sys.stdout.flush()
    return 0 if data else 1


def cmd_httpget(args):
    import urllib.request
    with urllib.request.urlopen(args.url, timeout=args.timeout) as r:
        data = r.read()
    if args.out:
        with open(args.out, "wb") as f:
            f.write(data)
    say("httpget %d %s" % (len(data), sha(data)))
    return 0


def cmd_combined(args):
    import signal
    import subprocess
    cmd = args.command
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        say("combined: no command")
        return 2
    r, w = os.pipe()
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=w, stderr=w,
        preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_DFL))
    os.close(w)
    out = bytearray()
    eof = False
    rc = None
    while True:
        if rc is None:
            rc = proc.poll()
            if rc is not None:
                t_exit = time.monotonic()
        now = time.monotonic()
        if rc is None and now - t0 > args.timeout:
            say("combined timeout: still running after %.0f s" % args.timeout)
            proc.kill()
            proc.wait()
            return 124
        if rc is not None and (eof or now - t_exit > args.eof_timeout):
            break
        ready, _, _ = select.select([r], [], [], 0.05)
        if ready:
            d = os.read(r, 65536)
            if not d:
                eof = True
                if rc is None:
                    rc = proc.wait()
                    t_exit = time.monotonic()
            else:
                out += d
    os.close(r)
    for line in out.decode("utf-8", "replace").splitlines():
        say("out: " + line)
    say("combined rc %d" % rc)
    if not eof:
        say("combined eof no: the output pipe was still open %.0f s after "
            "the command exited (a process left behind holds it)"
            % args.eof_timeout)
        return 125
    say("combined eof yes (%.2f s)" % (time.monotonic() - t0))
    return rc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def server(name, **kw):
        sp = sub.add_parser(name)
        sp.add_argument("--bind", required=True)
        sp.add_argument("--port", type=int, required=True)
        sp.add_argument("--ready")
        return sp

    sp = server("sink")
    sp.add_argument("--out", required=True)
    sp.add_argument("--count", type=int, default=0)
    sp.add_argument("--timeout", type=float, default=60)
    sp = server("banner")
    sp.add_argument("--text", required=True)
    sp = server("tftpd")
    sp.add_argument("--root", required=True)
    sp.add_argument("--count", type=int, default=0)
    sp = server("dns")
    sp.add_argument("--a", action="append", default=[])
    sp = server("udpecho")
    sp.add_argument("--prefix", default="echo:")

    sp = sub.add_parser("tcpx")
    sp.add_argument("--connect", required=True)
    sp.add_argument("--send")
    sp.add_argument("--expect-size", type=int)
    sp.add_argument("--out")
    sp.add_argument("--timeout", type=float, default=30)
    sp = sub.add_parser("udpx")
    sp.add_argument("--to", required=True)
    sp.add_argument("--send", required=True)
    sp.add_argument("--bind")
    sp.add_argument("--retries", type=int, default=5)
    sp = sub.add_parser("dnsq")
    sp.add_argument("--server", required=True)
    sp.add_argument("--port", type=int, default=53)
    sp.add_argument("--name", required=True)
    sp.add_argument("--retries", type=int, default=3)
    sp = sub.add_parser("httpget")
    sp.add_argument("--url", required=True)
    sp.add_argument("--out")
    sp.add_argument("--timeout", type=float, default=30)
    sp = sub.add_parser("combined")
    sp.add_argument("--timeout", type=float, default=20)
    sp.add_argument("--eof-timeout", type=float, default=5)
    sp.add_argument("command", nargs=argparse.REMAINDER)
    sp = sub.add_parser("get")
    sp.add_argument("--connect", required=True)
    sp.add_argument("--timeout", type=float, default=10)

    args = p.parse_args()
    fn = globals()["cmd_" + args.cmd]
    try:
        return fn(args)
    except OSError as e:
        say("%s: %s" % (args.cmd, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
