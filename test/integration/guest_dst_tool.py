#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""guest_dst_tool.py - a guest that sends where it shouldn't (guest_dst.sh)

Frames are written by hand, as a hostile guest would, either over passt's
UNIX socket (--passt SOCK, the qemu framing of passt_client.Conn) or on
pasta's tap device from inside its namespace (--tap IFNAME, a packet
socket: what it sends goes to pasta, what pasta sends comes back to it).

  record --log FILE --ready FILE [--tcp ADDR:PORT]... [--udp ADDR:PORT]...
         [--group GROUP:PORT%IFNAME]...
      Servers that note everything reaching them, one JSON line each in
      FILE: {"at": "tcp 127.0.0.1:10711", "event": "accept" | "data" |
      "datagram", "peer": ..., "data": ...}.  A TCP connection gets an
      "accept" line at once and a "data" line with what it carried once
      it ends.  --group joins a multicast group on an interface and takes
      the datagrams sent to it.  IPv6 addresses in brackets.

  (--passt SOCK | --tap IFNAME) [--guest4 A] [--guest6 A] probe
        --sets SET[,SET...] --records FILE... [addresses, ports: --help]
      Sends the probes of each set in turn, and checks what reached the
      servers (the record files) and what came back to the guest:

      bad-dst     TCP SYNs, UDP datagrams and echo requests to loopback,
                  unspecified, broadcast, reserved and IPv4-in-IPv6
                  destinations
      bad-src     the same to the far servers, from loopback,
                  unspecified, multicast and broadcast sources
      mcast-none  UDP to 224.0.0.251 and ff02::fb, port --mcast-port
        These three must reach no server, and get no answer at all.
      mapped      TCP (handshake, data, FIN), UDP and echo to the gateway
                  addresses: the data must reach the servers on the host's
                  loopback, the echo requests be answered
      far         the same to the far addresses, and their servers
      mcast       UDP to the groups: the data reaches the group's server
      gw-unmapped TCP and UDP to the gateway addresses: the host's
                  loopback servers see nothing, and the TCP SYNs get a
                  reset (from the router)

      Prints "ok - ..." or "FAIL - ..." for each probe, and exits 1 if
      any failed.

  (--passt SOCK | --tap IFNAME) arp-flood --count N
      N ARP requests, each from another sender address (10.0.0.1 on),
      a source address change each for the daemon.

Standard library only, and passt_client.py next to this file.
"""

import argparse
import json
import os
import select
import selectors
import socket
import struct
import time

from passt_client import Conn, arp_request, csum, framed, mac_bytes
import testlib

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4

TH_FIN, TH_SYN, TH_RST, TH_PSH, TH_ACK = 0x01, 0x02, 0x04, 0x08, 0x10
ICMP_ECHO, ICMP_ECHOREPLY = 8, 0
ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY = 128, 129
SPORT_BASE = 20000
ISS = 1000000

# Sets whose probes must reach nothing and get no answer
SILENT_SETS = ("bad-dst", "bad-src", "mcast-none")


def say(msg):
    print(msg, flush=True)


def split_hostport(spec):
    """("ADDR", PORT) from "ADDR:PORT" or "[ADDR6]:PORT" """
    host, _, port = spec.rpartition(":")
    return host.strip("[]"), int(port)


# --- record -----------------------------------------------------------------

class Recorder:
    """Servers writing what reaches them to one file"""

    def __init__(self, path):
        self.out = open(path, "a", encoding="ascii")
        self.sel = selectors.DefaultSelector()
        self.conns = {}

    def note(self, at, event, peer, data=b""):
        rec = {"at": at, "event": event, "peer": "%s:%d" % peer[:2],
               "data": data.decode("ascii", "replace")}
        self.out.write(json.dumps(rec) + "\n")
        self.out.flush()

    def tcp(self, spec):
        host, port = split_hostport(spec)
        fam = testlib.family_of(host)
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port))
        s.listen(64)
        self.sel.register(s, selectors.EVENT_READ, ("listen", "tcp " + spec))

    def udp(self, spec):
        host, port = split_hostport(spec)
        fam = testlib.family_of(host)
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port))
        self.sel.register(s, selectors.EVENT_READ, ("udp", "udp " + spec))

    def group(self, spec):
        spec, _, ifname = spec.partition("%")
        group, port = split_hostport(spec)
        ifindex = socket.if_nametoindex(ifname)
        fam = testlib.family_of(group)
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET:
            s.bind((group, port))
            mreqn = (socket.inet_aton(group) + socket.inet_aton("0.0.0.0") +
                     struct.pack("@i", ifindex))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((group, port, 0, ifindex))
            mreq = (socket.inet_pton(socket.AF_INET6, group) +
                    struct.pack("@I", ifindex))
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        self.sel.register(s, selectors.EVENT_READ, ("udp", "udp " + spec))

    def run(self):
        while True:
            for key, _ in self.sel.select():
                kind, at = key.data[0], key.data[1]
                s = key.fileobj
                if kind == "listen":
                    try:
                        conn, peer = s.accept()
                    except OSError:
                        continue
                    self.note(at, "accept", peer)
                    self.sel.register(conn, selectors.EVENT_READ,
                                      ("conn", at, peer))
                    self.conns[conn] = b""
                elif kind == "udp":
                    data, peer = s.recvfrom(65536)
                    self.note(at, "datagram", peer, data)
                else:
                    try:
                        buf = s.recv(65536)
                    except OSError:
                        buf = b""
                    if buf:
                        self.conns[s] += buf
                        continue
                    self.note(at, "data", key.data[2], self.conns.pop(s))
                    self.sel.unregister(s)
                    s.close()


def cmd_record(args):
    rec = Recorder(args.log)
    for spec in args.tcp:
        rec.tcp(spec)
    for spec in args.udp:
        rec.udp(spec)
    for spec in args.group:
        rec.group(spec)
    open(args.ready, "w").close()
    rec.run()


# --- frames -----------------------------------------------------------------

def l4_csum(af, src, dst, proto, seg):
    """Checksum of a TCP, UDP or ICMPv6 segment with its pseudo-header"""
    if af == socket.AF_INET:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack("!I3xB", len(seg), proto)
    return csum(pseudo + seg)


def ip_frame(link, af, src, dst, proto, seg):
    """Ethernet frame of an IPv4 or IPv6 packet, checksums filled in.  SEG
    is the layer 4 header and payload, with a zero checksum at its place
    for TCP, UDP and ICMPv6"""
    s = socket.inet_pton(af, src)
    d = socket.inet_pton(af, dst)
    off = {socket.IPPROTO_TCP: 16, socket.IPPROTO_UDP: 6}.get(proto, 2)
    if proto == socket.IPPROTO_ICMP:
        c = csum(seg)
    else:
        c = l4_csum(af, s, d, proto, seg)
        if proto == socket.IPPROTO_UDP and not c:
            c = 0xFFFF
    seg = seg[:off] + struct.pack("!H", c) + seg[off + 2:]
    if af == socket.AF_INET:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0,
                         0x4000, 64, proto, 0, s, d)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        ethertype = ETH_P_IP
    else:
        ip = struct.pack("!IHBB16s16s", 0x60000000, len(seg), proto, 64, s, d)
        ethertype = ETH_P_IPV6
    return link.ours + link.mac + struct.pack("!H", ethertype) + ip + seg


def tcp_seg(sport, dport, seq, ack, flags, payload=b"", window=65535,
            opts=b""):
    """TCP header and payload, zero checksum; OPTS padded to 4 bytes"""
    opts += bytes(-len(opts) % 4)
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack,
                       (5 + len(opts) // 4) << 4, flags, window, 0,
                       0) + opts + payload


def udp_dgram(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp_echo(af, ident, payload):
    t = ICMP_ECHO if af == socket.AF_INET else ICMP6_ECHO_REQUEST
    return struct.pack("!BBHHH", t, 0, 0, ident, 1) + payload


def parse(frame):
    """(af, src, dst, proto, layer 4 bytes) of an IP frame, None if not"""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == ETH_P_IP and len(frame) >= 34:
        ihl = (frame[14] & 0x0F) * 4
        tot = struct.unpack("!H", frame[16:18])[0]
        return (socket.AF_INET, socket.inet_ntop(socket.AF_INET, frame[26:30]),
                socket.inet_ntop(socket.AF_INET, frame[30:34]), frame[23],
                frame[14 + ihl:14 + tot])
    if ethertype == ETH_P_IPV6 and len(frame) >= 54:
        plen = struct.unpack("!H", frame[18:20])[0]
        return (socket.AF_INET6,
                socket.inet_ntop(socket.AF_INET6, frame[22:38]),
                socket.inet_ntop(socket.AF_INET6, frame[38:54]), frame[20],
                frame[54:54 + plen])
    return None


# --- links to the daemon ----------------------------------------------------

class PasstLink:
    """The guest's end of passt's UNIX socket"""

    def __init__(self, path, guest_mac, ours):
        self.conn = Conn.connect(path, 5)
        self.mac = mac_bytes(guest_mac)
        self.ours = mac_bytes(ours)

    def send(self, frames):
        self.conn.sock.sendall(b"".join(framed(f) for f in frames))

    def recv(self, deadline):
        return self.conn.recv_frame(deadline)


class TapLink:
    """A packet socket on pasta's tap device, in its namespace"""

    def __init__(self, ifname, ours):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        self.sock.bind((ifname, 0))
        self.mac = self.sock.getsockname()[4]
        self.ours = mac_bytes(ours)

    def send(self, frames):
        for i, f in enumerate(frames):
            self.sock.send(f)
            if i % 64 == 63:
                time.sleep(0.002)	# Don't overflow the tap's queue

    def recv(self, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            data, addr = self.sock.recvfrom(65536)
            if addr[2] != PACKET_OUTGOING:
                return data


def open_link(args):
    if args.passt:
        return PasstLink(args.passt, args.guest_mac, args.ours)
    return TapLink(args.tap, args.ours)


# --- probes -----------------------------------------------------------------

class Probe:
    """One packet from the guest, what came back, and where it must land"""

    def __init__(self, n, proto, src, dst, port, at=None):
        self.proto, self.src, self.dst, self.port = proto, src, dst, port
        self.af = testlib.family_of(dst)
        self.sport = SPORT_BASE + n
        self.tag = "guest-dst %d %s %s %s %d" % (n, proto, src, dst, port)
        self.at = at		# Server that must get it ("tcp ADDR:PORT")
        self.answers = []
        self.synack_seq = None
        self.acked = False
        self.rst = False

    def name(self):
        dst = "[%s]" % self.dst if ":" in self.dst else self.dst
        what = "%s %s:%d" % (self.proto.upper(), dst, self.port)
        if self.proto == "icmp":
            what = "echo request to %s" % self.dst
        return "%s from %s" % (what, self.src)

    def first(self, link):
        """The first frame"""
        if self.proto == "tcp":
            seg = tcp_seg(self.sport, self.port, ISS, 0, TH_SYN)
            p = socket.IPPROTO_TCP
        elif self.proto == "udp":
            seg = udp_dgram(self.sport, self.port, self.tag.encode())
            p = socket.IPPROTO_UDP
        else:
            seg = icmp_echo(self.af, self.sport, self.tag.encode())
            p = socket.IPPROTO_ICMP if self.af == socket.AF_INET else \
                socket.IPPROTO_ICMPV6
        return ip_frame(link, self.af, self.src, self.dst, p, seg)

    def matches(self, af, proto, l4):
        """True if the layer 4 bytes L4 answer this probe"""
        if af != self.af or len(l4) < 8:
            return False
        if self.proto == "tcp" and proto == socket.IPPROTO_TCP:
            sport, dport = struct.unpack("!HH", l4[:4])
            return (sport, dport) == (self.port, self.sport)
        if self.proto == "udp" and proto == socket.IPPROTO_UDP:
            return struct.unpack("!H", l4[2:4])[0] == self.sport
        if self.proto == "icmp" and proto in (socket.IPPROTO_ICMP,
                                              socket.IPPROTO_ICMPV6):
            t = l4[0]
            ident = struct.unpack("!H", l4[4:6])[0]
            return t in (ICMP_ECHOREPLY, ICMP6_ECHO_REPLY) and \
                ident == self.sport
        return False

    def answer(self, link, l4, want_data):
        """Note an answer; the frame to send back, if any"""
        if self.proto == "icmp":
            ok = l4[8:] == self.tag.encode()
            self.answers.append("echo reply" + ("" if ok else
                                                " (other payload)"))
            return None
        if self.proto == "udp":
            self.answers.append("UDP datagram")
            return None
        seq, ack, _, flags = struct.unpack("!IIBB", l4[4:14])
        if flags & TH_RST:
            self.rst = True
            self.answers.append("reset")
            return None
        if flags & TH_SYN and flags & TH_ACK:
            self.answers.append("SYN-ACK")
            if not want_data or self.synack_seq is not None:
                return None
            self.synack_seq = seq
            data = self.tag.encode()
            seg = tcp_seg(self.sport, self.port, ISS + 1, seq + 1,
                          TH_ACK | TH_PSH | TH_FIN, data)
            return ip_frame(link, self.af, self.src, self.dst,
                            socket.IPPROTO_TCP, seg)
        if self.synack_seq is not None and \
           ack == (ISS + 1 + len(self.tag) + 1) & 0xFFFFFFFF:
            self.acked = True
        return None


def silent_probes(args, kind, n0):
    """Probes of a set that must reach nothing"""
    out = []

    def add(proto, src, dst, port):
        out.append(Probe(n0 + len(out), proto, src, dst, port))

    if kind == "bad-dst":
        for dst in ("127.0.0.1", "127.1.2.3", "0.0.0.0", "255.255.255.255",
                    args.bcast4, "240.0.0.1", "::1", "::",
                    "::ffff:127.0.0.1"):
            src = args.guest6 if ":" in dst else args.guest4
            for port in (args.lo_port, args.any_port):
                add("tcp", src, dst, port)
                add("udp", src, dst, port)
            add("icmp", src, dst, 0)
    elif kind == "bad-src":
        for src in ("127.0.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
                    "::1", "::", "ff02::1", "::ffff:" + args.guest4):
            dst = args.far6 if ":" in src else args.far4
            add("tcp", src, dst, args.far_port)
            add("udp", src, dst, args.far_port)
            add("icmp", src, dst, 0)
    else:
        add("udp", args.guest4, "224.0.0.251", args.mcast_port)
        add("udp", args.guest6, "ff02::fb", args.mcast_port)
    return out


def reach_probes(args, kind, n0):
    """Probes of a set that must reach a server, or get an answer"""
    out = []

    def add(proto, dst, port, at=None):
        src = args.guest6 if ":" in dst else args.guest4
        out.append(Probe(n0 + len(out), proto, src, dst, port, at))

    if kind == "mapped":
        for dst, lo in ((args.gw4, "127.0.0.1"), (args.gw6, "[::1]")):
            at = "%s:%d" % (lo, args.lo_port)
            add("tcp", dst, args.lo_port, "tcp " + at)
            add("udp", dst, args.lo_port, "udp " + at)
            add("icmp", dst, 0)
    elif kind == "far":
        for dst in (args.far4, args.far6):
            at = "%s:%d" % ("[%s]" % dst if ":" in dst else dst,
                            args.far_port)
            add("tcp", dst, args.far_port, "tcp " + at)
            add("udp", dst, args.far_port, "udp " + at)
            add("icmp", dst, 0)
    elif kind == "mcast":
        for group in ("224.0.0.251", "[ff02::fb]"):
            add("udp", group.strip("[]"), args.mcast_port,
                "udp %s:%d" % (group, args.mcast_port))
    elif kind == "gw-unmapped":
        for dst in (args.gw4, args.gw6):
            add("tcp", dst, args.lo_port)
            add("udp", dst, args.lo_port)
    return out


class Records:
    """What the servers noted since the last mark()"""

    def __init__(self, paths):
        self.paths = paths
        self.offsets = {}

    def mark(self):
        for p in self.paths:
            self.offsets[p] = os.path.getsize(p)

    def new(self):
        out = []
        for p in self.paths:
            with open(p, encoding="ascii") as f:
                f.seek(self.offsets[p])
                out += [json.loads(line) for line in f if line.strip()]
        return out


def exchange(link, probes, wait, want_data, done):
    """Send the first frame of every probe, then take answers until WAIT
    seconds are over, or DONE() says there's nothing left to wait for"""
    link.send([p.first(link) for p in probes])
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and not done():
        frame = link.recv(min(deadline, time.monotonic() + 0.1))
        if frame is None:
            continue
        parsed = parse(frame)
        if not parsed:
            continue
        af, _, _, proto, l4 = parsed
        for p in probes:
            if p.matches(af, proto, l4):
                back = p.answer(link, l4, want_data)
                if back:
                    link.send([back])
                break


def run_silent(link, records, args, kind, n0):
    """A set of probes that must reach nothing: failures"""
    probes = silent_probes(args, kind, n0)
    records.mark()
    exchange(link, probes, args.wait, False, lambda: False)
    got = records.new()
    fails = 0
    for r in got:
        say("FAIL - %s: a server got %s at %s from %s: %r" %
            (kind, r["event"], r["at"], r["peer"], r["data"]))
        fails += 1
    for p in probes:
        if p.answers:
            say("FAIL - %s: %s answered: %s" %
                (kind, p.name(), ", ".join(p.answers)))
            fails += 1
        else:
            say("ok - %s: %s dropped: no answer" % (kind, p.name()))
    if not got:
        say("ok - %s: no server got anything from %d probes" %
            (kind, len(probes)))
    say("# %s: %d frames sent that must be dropped" % (kind, len(probes)))
    return fails, len(probes)


def run_reach(link, records, args, kind, n0):
    """A set of probes that must reach their servers: failures"""
    probes = reach_probes(args, kind, n0)
    records.mark()
    tags = {}

    def done():
        for r in records.new():
            tags.setdefault((r["at"], r["data"]), r)
        for p in probes:
            if p.at and (p.at, p.tag) not in tags:
                return False
            if p.proto == "icmp" and not p.answers:
                return False
            if kind == "mapped" or kind == "far":
                if p.proto == "tcp" and not p.acked:
                    return False
            if kind == "gw-unmapped" and p.proto == "tcp" and not p.rst:
                return False
        return True

    exchange(link, probes, args.reach_wait, kind != "gw-unmapped", done)
    done()
    fails = 0
    for p in probes:
        problems = []
        if p.at and (p.at, p.tag) not in tags:
            problems.append("its data didn't reach %s" % p.at)
        if p.proto == "tcp" and kind in ("mapped", "far") and not p.acked:
            problems.append("no ACK of data and FIN (answers: %s)" %
                            (", ".join(p.answers) or "none"))
        if p.proto == "icmp" and p.answers != ["echo reply"]:
            problems.append("answers: %s" % (", ".join(p.answers) or "none"))
        if kind == "gw-unmapped" and p.proto == "tcp" and not p.rst:
            problems.append("no reset from the router (answers: %s)" %
                            (", ".join(p.answers) or "none"))
        if problems:
            say("FAIL - %s: %s: %s" % (kind, p.name(), "; ".join(problems)))
            fails += 1
        else:
            say("ok - %s: %s: %s" % (kind, p.name(),
                                     "data intact at " + p.at if p.at else
                                     ", ".join(p.answers) or
                                     "no server got it"))
    # Nothing else may have reached a server: in particular, with
    # gw-unmapped, nothing reached the host's loopback
    expected = {(p.at, p.tag) for p in probes if p.at}
    for (at, data), r in tags.items():
        if (at, data) in expected or \
           (r["event"] == "accept" and any(a == at for a, _ in expected)):
            continue
        say("FAIL - %s: a server got %s at %s from %s: %r" %
            (kind, r["event"], at, r["peer"], data))
        fails += 1
    return fails, 0


def cmd_probe(args):
    link = open_link(args)
    records = Records(args.records)
    fails = silent = n0 = 0
    for kind in args.sets.split(","):
        if kind in SILENT_SETS:
            f, n = run_silent(link, records, args, kind, n0)
        else:
            f, n = run_reach(link, records, args, kind, n0)
        fails += f
        silent += n
        n0 += 100
    say("# %d frames sent that must be dropped, in all" % silent)
    return 1 if fails else 0


def cmd_arp_flood(args):
    link = open_link(args)
    sender = ":".join("%02x" % b for b in link.mac)
    frames = [arp_request(sender, socket.inet_ntoa(struct.pack(
        "!I", 0x0A000001 + i)), args.target) for i in range(args.count)]
    link.send(frames)
    # Hold the connection (passt) until the daemon had time to read it all
    time.sleep(1)
    say("# sent %d ARP requests from as many sender addresses" % args.count)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    link = ap.add_mutually_exclusive_group()
    link.add_argument("--passt", metavar="SOCK", help="passt's socket")
    link.add_argument("--tap", metavar="IFNAME", help="pasta's tap device")
    ap.add_argument("--guest-mac", default="52:54:00:12:34:56",
                    help="passt: our MAC address as the guest")
    ap.add_argument("--ours", default="9a:55:9a:55:9a:55",
                    help="the daemon's MAC address")
    ap.add_argument("--guest4", default="198.51.100.2")
    ap.add_argument("--guest6", default="2001:db8::2")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("record", help="servers noting what reaches them")
    p.add_argument("--log", required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--tcp", action="append", default=[])
    p.add_argument("--udp", action="append", default=[])
    p.add_argument("--group", action="append", default=[])
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("arp-flood", help="source address changes")
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--target", default="198.51.100.1")
    p.set_defaults(func=cmd_arp_flood)

    p = sub.add_parser("probe", help="probe sets, checked")
    p.add_argument("--sets", required=True)
    p.add_argument("--records", nargs="+", required=True)
    p.add_argument("--gw4", default="198.51.100.1")
    p.add_argument("--gw6", default="2001:db8::1")
    p.add_argument("--bcast4", default="198.51.100.255")
    p.add_argument("--far4", default="203.0.113.1")
    p.add_argument("--far6", default="2001:db8:1::1")
    p.add_argument("--lo-port", type=int, default=10711)
    p.add_argument("--any-port", type=int, default=10712)
    p.add_argument("--far-port", type=int, default=10713)
    p.add_argument("--mcast-port", type=int, default=5353)
    p.add_argument("--wait", type=float, default=1.5,
                   help="seconds to wait for what must not come")
    p.add_argument("--reach-wait", type=float, default=10,
                   help="seconds, at most, for what must come")
    p.set_defaults(func=cmd_probe)

    args = ap.parse_args()
    if args.cmd != "record" and not (args.passt or args.tap):
        ap.error("--passt or --tap is needed")
    return args.func(args)


if __name__ == "__main__":
    testlib.main(main)
