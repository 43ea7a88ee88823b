#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""passt_client.py - a minimal "guest" for passt's qemu socket framing.

passt and qemu exchange Ethernet frames over a UNIX stream socket, each
frame preceded by its length as a 4-byte big-endian integer.  This client
plays the guest: it builds ARP requests, writes them with the framing
(optionally split across several writes, or several frames in one write),
reads framed replies with a timeout and checks them field by field.

Subcommands (all exit 0 when every check holds, 1 otherwise):

  arp         ARP exchange(s) over --sock
  impossible  send an impossible frame length, expect the peer to close
  fd          start passt on one end of a socketpair (--fd N), ARP over
              the other end, close it and expect passt to exit
  pcapcheck   parse a pcap file and look for the frames a previous
              'arp --record' exchanged, byte for byte

Standard library only.
"""

import argparse
import json
import select
import signal
import socket
import struct
import subprocess
import sys
import time

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_JUNK = 0x88B5  # IEEE 802 local experimental ethertype
ARPHRD_ETHER = 1
ARPOP_REQUEST = 1
ARPOP_REPLY = 2
ETH_HLEN = 14
MAX_FRAME = 65535 + ETH_HLEN

DEFAULT_GW_MAC = "9a:55:9a:55:9a:55"
DEFAULT_GUEST_MAC = "52:54:00:12:34:56"
DEFAULT_GUEST_IP = "198.51.100.2"

LINKTYPE_ETHERNET = 1


class CheckFailed(Exception):
    """A check on received data did not hold"""


def say(msg):
    print("passt_client: " + msg, flush=True)


def mac_bytes(mac):
    raw = bytes(int(x, 16) for x in mac.split(":"))
    if len(raw) != 6:
        raise ValueError("bad MAC address " + mac)
    return raw


def mac_str(raw):
    return ":".join("%02x" % b for b in raw)


def ip4_str(raw):
    return socket.inet_ntop(socket.AF_INET, raw)


def arp_frame(op, eth_dst, eth_src, sha, spa, tha, tpa, pad=False):
    """Build an Ethernet + ARP frame, addresses as strings"""
    eth = mac_bytes(eth_dst) + mac_bytes(eth_src) + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH6s4s6s4s", ARPHRD_ETHER, ETH_P_IP, 6, 4, op,
                      mac_bytes(sha), socket.inet_aton(spa),
                      mac_bytes(tha), socket.inet_aton(tpa))
    frame = eth + arp
    if pad and len(frame) < 60:
        frame += bytes(60 - len(frame))
    return frame


def arp_request(guest_mac, guest_ip, target_ip, pad=False):
    return arp_frame(ARPOP_REQUEST, "ff:ff:ff:ff:ff:ff", guest_mac,
                     guest_mac, guest_ip, "00:00:00:00:00:00", target_ip, pad)


def parse_arp(frame):
    """Return a dict describing an Ethernet/ARP frame, None if not ARP"""
    if len(frame) < ETH_HLEN + 28:
        return None
    if struct.unpack("!H", frame[12:14])[0] != ETH_P_ARP:
        return None
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = struct.unpack(
        "!HHBBH6s4s6s4s", frame[ETH_HLEN:ETH_HLEN + 28])
    return {
        "eth_dst": mac_str(frame[0:6]), "eth_src": mac_str(frame[6:12]),
        "htype": htype, "ptype": ptype, "hlen": hlen, "plen": plen,
        "op": op, "sha": mac_str(sha), "spa": ip4_str(spa),
        "tha": mac_str(tha), "tpa": ip4_str(tpa),
    }


def junk_frame(length, dst, src):
    """A frame of an unknown ethertype, LENGTH bytes long in total"""
    head = mac_bytes(dst) + mac_bytes(src) + struct.pack("!H", ETH_P_JUNK)
    if length < len(head):
        raise ValueError("junk frame too short")
    return head + bytes((i * 7) & 0xFF for i in range(length - len(head)))


def csum(data):
    """Internet checksum of DATA"""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def framed(frame, length=None):
    """Prepend the qemu length header"""
    n = len(frame) if length is None else length
    return struct.pack("!I", n) + frame


def split_bytes(data, parts):
    """Split DATA into PARTS non-empty chunks of about equal size.

    Boundaries are chosen so that the first cut falls inside the 4-byte
    length header whenever there are at least three parts.
    """
    parts = max(1, min(parts, len(data)))
    if parts == 1:
        return [data]
    cuts = [2] if parts >= 3 else []
    rest = parts - 1 - len(cuts)
    start = cuts[0] if cuts else 0
    for i in range(1, rest + 1):
        cuts.append(start + (len(data) - start) * i // (rest + 1))
    cuts = sorted(set(c for c in cuts if 0 < c < len(data)))
    bounds = [0] + cuts + [len(data)]
    return [data[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]


class Conn:
    """A framed connection to passt"""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    @classmethod
    def connect(cls, path, timeout):
        """Connect to PATH, retrying while it does not accept yet"""
        deadline = time.monotonic() + timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
                return cls(sock)
            except (FileNotFoundError, ConnectionRefusedError) as e:
                sock.close()
                if time.monotonic() >= deadline:
                    raise CheckFailed("cannot connect to %s within %.1f s: %s"
                                      % (path, timeout, e)) from e
                time.sleep(0.05)

    def send(self, data, parts=1, delay=0.0):
        chunks = split_bytes(data, parts)
        for i, chunk in enumerate(chunks):
            if i and delay:
                time.sleep(delay)
            self.sock.sendall(chunk)
        if len(chunks) > 1:
            say("sent %d bytes in %d writes (%s), %.2f s apart"
                % (len(data), len(chunks),
                   "+".join(str(len(c)) for c in chunks), delay))

    def _fill(self, deadline):
        """Read more bytes; False on timeout.  Sets self.eof on EOF"""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            data = self.sock.recv(1 << 17)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
        self.buf += data
        return True

    def recv_frame(self, deadline):
        """Next frame, or None on timeout; raises EOFError at end of stream"""
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack("!I", self.buf[:4])[0]
                if n == 0 or n > MAX_FRAME:
                    raise CheckFailed("peer sent impossible frame length %d" % n)
                if len(self.buf) >= 4 + n:
                    frame = self.buf[4:4 + n]
                    self.buf = self.buf[4 + n:]
                    return frame
            if self.eof:
                if self.buf:
                    raise CheckFailed("EOF inside a frame (%d bytes pending)"
                                      % len(self.buf))
                raise EOFError
            if not self._fill(deadline):
                return None

    def wait_eof(self, timeout):
        """True if the peer closes within TIMEOUT (frames before are skipped)"""
        deadline = time.monotonic() + timeout
        while not self.eof:
            if not self._fill(deadline):
                return False
            self.buf = b""
        return True

    def close(self):
        self.sock.close()


def check_arp_reply(a, target, args):
    """List of problems with ARP reply A for TARGET"""
    want = [
        ("eth_dst", args.guest_mac), ("eth_src", args.gw_mac),
        ("htype", ARPHRD_ETHER), ("ptype", ETH_P_IP), ("hlen", 6),
        ("plen", 4), ("op", ARPOP_REPLY), ("sha", args.gw_mac),
        ("spa", target), ("tha", args.guest_mac), ("tpa", args.guest_ip),
    ]
    return ["%s is %s, expected %s" % (k, a[k], v)
            for k, v in want if a[k] != v]


def arp_exchange(conn, args, record):
    """Send ARP requests for args.target, check the replies.

    Without --sequential all requests (and the --junk-before frame) go out
    in a single write, split into --split writes.
    """
    targets = args.target or ["198.51.100.1"]
    reqs = [arp_request(args.guest_mac, args.guest_ip, t, args.pad)
            for t in targets]

    prefix = b""
    if args.junk_before:
        junk = junk_frame(args.junk_before, args.gw_mac, args.guest_mac)
        prefix = framed(junk)
        say("prepending a %d-byte frame of ethertype 0x%04x"
            % (len(junk), ETH_P_JUNK))

    if args.sequential:
        batches = [[i] for i in range(len(reqs))]
    else:
        batches = [list(range(len(reqs)))]

    for bi, batch in enumerate(batches):
        data = prefix if bi == 0 else b""
        for i in batch:
            data += framed(reqs[i])
            record.append(["sent", reqs[i].hex()])
            say("ARP request: who-has %s tell %s (%d bytes)"
                % (targets[i], args.guest_ip, len(reqs[i])))
        conn.send(data, args.split, args.delay)
        pending = [targets[i] for i in batch]
        collect_replies(conn, args, pending, record)


def collect_replies(conn, args, pending, record):
    """Read frames until every target in PENDING got its ARP reply"""
    expect_none = args.expect_none
    want = list(pending)
    deadline = time.monotonic() + args.timeout
    done = False
    while True:
        if not want and not done:
            # everything answered: a short grace period for duplicates
            done = True
            deadline = time.monotonic() + args.grace
        try:
            frame = conn.recv_frame(deadline)
        except EOFError as e:
            raise CheckFailed("connection closed by passt while waiting for "
                              "ARP replies for %s" % (want or pending)) from e
        if frame is None:
            break
        record.append(["recv", frame.hex()])
        a = parse_arp(frame)
        if a is None:
            say("ignoring non-ARP frame, %d bytes, ethertype 0x%s"
                % (len(frame), frame[12:14].hex()))
            continue
        if a["op"] != ARPOP_REPLY:
            say("ignoring ARP op %d from %s" % (a["op"], a["spa"]))
            continue
        if expect_none and a["spa"] in pending:
            raise CheckFailed("got ARP reply for %s (%s is-at %s), expected "
                              "no reply" % (a["spa"], a["spa"], a["sha"]))
        if a["spa"] not in want:
            raise CheckFailed("unexpected or duplicate ARP reply: %s is-at %s"
                              % (a["spa"], a["sha"]))
        problems = check_arp_reply(a, a["spa"], args)
        if problems:
            raise CheckFailed("bad ARP reply for %s: %s"
                              % (a["spa"], "; ".join(problems)))
        want.remove(a["spa"])
        say("ARP reply: %s is-at %s (to %s/%s, %d bytes)"
            % (a["spa"], a["sha"], a["tpa"], a["tha"], len(frame)))

    if expect_none:
        say("no ARP reply for %s within %.1f s, as expected"
            % (", ".join(pending), args.timeout))
        return
    if want:
        raise CheckFailed("no ARP reply for %s within %.1f s"
                          % (", ".join(want), args.timeout))


def add_arp_options(p):
    p.add_argument("--target", action="append",
                   help="IPv4 address to resolve (repeatable)")
    p.add_argument("--guest-ip", default=DEFAULT_GUEST_IP)
    p.add_argument("--guest-mac", default=DEFAULT_GUEST_MAC)
    p.add_argument("--gw-mac", default=DEFAULT_GW_MAC,
                   help="MAC address passt must answer with")
    p.add_argument("--split", type=int, default=1,
                   help="split each write into N writes")
    p.add_argument("--delay", type=float, default=0.0,
                   help="seconds between split writes")
    p.add_argument("--sequential", action="store_true",
                   help="one request per write, waiting for each reply")
    p.add_argument("--pad", action="store_true",
                   help="pad requests to 60 bytes")
    p.add_argument("--junk-before", type=int, default=0, metavar="LEN",
                   help="send a LEN-byte unknown-ethertype frame first")
    p.add_argument("--expect-none", action="store_true",
                   help="expect no reply for the targets")
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--grace", type=float, default=0.3,
                   help="time to wait for duplicate replies")
    p.add_argument("--record", help="write exchanged frames to FILE (JSON)")


def write_record(args, record):
    if args.record:
        with open(args.record, "w") as f:
            json.dump(record, f)


def cmd_arp(args):
    conn = Conn.connect(args.sock, args.connect_timeout)
    record = []
    try:
        arp_exchange(conn, args, record)
    finally:
        write_record(args, record)
        conn.close()


def cmd_impossible(args):
    conn = Conn.connect(args.sock, args.connect_timeout)
    data = struct.pack("!I", args.length) + bytes(args.extra)
    say("sending frame length %d (+%d bytes)" % (args.length, args.extra))
    try:
        conn.sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    if not conn.wait_eof(args.timeout):
        raise CheckFailed("connection still open %.1f s after frame length %d"
                          % (args.timeout, args.length))
    say("passt closed the connection after frame length %d" % args.length)
    conn.close()


def child_setup():
    # Python ignores SIGPIPE; a daemon must not inherit that
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def cmd_fd(args):
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        raise CheckFailed("fd: no passt command given")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    n = theirs.fileno()
    cmd += ["--fd", str(n)]
    say("starting: " + " ".join(cmd))
    proc = subprocess.Popen(cmd, pass_fds=(n,), preexec_fn=child_setup,
                            stdin=subprocess.DEVNULL)
    theirs.close()
    try:
        conn = Conn(ours)
        record = []
        arp_exchange(conn, args, record)
        write_record(args, record)
        if proc.poll() is not None:
            raise CheckFailed("passt exited (status %d) before the peer closed"
                              % proc.returncode)
        conn.close()
        say("closed our end of the socketpair")
        try:
            rc = proc.wait(timeout=args.exit_timeout)
        except subprocess.TimeoutExpired as e:
            raise CheckFailed("passt still running %.1f s after the peer "
                              "closed" % args.exit_timeout) from e
        if rc != args.expect_status:
            raise CheckFailed("passt exit status %d, expected %d"
                              % (rc, args.expect_status))
        say("passt exited with status %d after the peer closed" % rc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def parse_pcap(path):
    """Return (header dict, list of (ts, caplen, origlen, bytes))"""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise CheckFailed("pcap %s: %d bytes, shorter than the global header"
                          % (path, len(data)))
    magics = {
        b"\xd4\xc3\xb2\xa1": ("<", 1e6), b"\xa1\xb2\xc3\xd4": (">", 1e6),
        b"\x4d\x3c\xb2\xa1": ("<", 1e9), b"\xa1\xb2\x3c\x4d": (">", 1e9),
    }
    if data[:4] not in magics:
        raise CheckFailed("pcap %s: bad magic %s" % (path, data[:4].hex()))
    e, frac = magics[data[:4]]
    vmaj, vmin, _zone, _sigfigs, snaplen, linktype = struct.unpack(
        e + "HHiIII", data[4:24])
    hdr = {"version": "%d.%d" % (vmaj, vmin), "snaplen": snaplen,
           "linktype": linktype}
    if (vmaj, vmin) != (2, 4):
        raise CheckFailed("pcap version %s, expected 2.4" % hdr["version"])
    if linktype != LINKTYPE_ETHERNET:
        raise CheckFailed("pcap linktype %d, expected %d (Ethernet)"
                          % (linktype, LINKTYPE_ETHERNET))
    pkts = []
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            raise CheckFailed("pcap: truncated record header at offset %d"
                              % off)
        sec, frac_ts, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if frac_ts >= frac:
            raise CheckFailed("pcap record %d: sub-second field %d out of "
                              "range" % (len(pkts), frac_ts))
        if incl > orig:
            raise CheckFailed("pcap record %d: caplen %d > len %d"
                              % (len(pkts), incl, orig))
        if off + incl > len(data):
            raise CheckFailed("pcap record %d: truncated (%d of %d bytes)"
                              % (len(pkts), len(data) - off, incl))
        pkts.append((sec + frac_ts / frac, incl, orig, data[off:off + incl]))
        off += incl
    return hdr, pkts


def cmd_pcapcheck(args):
    hdr, pkts = parse_pcap(args.pcap)
    say("pcap: version %s, linktype %d, snaplen %d, %d records"
        % (hdr["version"], hdr["linktype"], hdr["snaplen"], len(pkts)))
    now = time.time()
    last = 0.0
    for i, (ts, incl, orig, _) in enumerate(pkts):
        if abs(ts - now) > 86400:
            raise CheckFailed("pcap record %d: timestamp %.6f is not the "
                              "current time (%.0f)" % (i, ts, now))
        if ts + 1e-6 < last:
            raise CheckFailed("pcap record %d: timestamp %.6f before the "
                              "previous one (%.6f)" % (i, ts, last))
        last = ts
        if incl != orig:
            raise CheckFailed("pcap record %d: truncated capture (%d of %d)"
                              % (i, incl, orig))
    with open(args.record) as f:
        record = json.load(f)
    if not record:
        raise CheckFailed("record %s is empty" % args.record)
    # The recorded frames must appear, byte for byte and in the order the
    # client saw them, as a subsequence of the capture
    pos = 0
    for kind, hexframe in record:
        frame = bytes.fromhex(hexframe)
        while pos < len(pkts) and pkts[pos][3] != frame:
            pos += 1
        if pos == len(pkts):
            raise CheckFailed("%s frame (%d bytes) not found in the pcap "
                              "(in order): %s" % (kind, len(frame), hexframe))
        say("pcap record %d matches the %s frame (%d bytes)"
            % (pos, kind, len(frame)))
        pos += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd_name", required=True)

    p = sub.add_parser("arp", help="ARP exchange over the socket")
    p.add_argument("--sock", required=True)
    p.add_argument("--connect-timeout", type=float, default=5.0)
    add_arp_options(p)
    p.set_defaults(func=cmd_arp)

    p = sub.add_parser("impossible", help="send an impossible frame length")
    p.add_argument("--sock", required=True)
    p.add_argument("--connect-timeout", type=float, default=5.0)
    p.add_argument("--length", type=int, required=True)
    p.add_argument("--extra", type=int, default=0,
                   help="bytes of payload to send after the header")
    p.add_argument("--timeout", type=float, default=5.0)
    p.set_defaults(func=cmd_impossible)

    p = sub.add_parser("fd", help="passt --fd over a socketpair")
    add_arp_options(p)
    p.add_argument("--exit-timeout", type=float, default=5.0)
    p.add_argument("--expect-status", type=int, default=0)
    p.add_argument("cmd", nargs=argparse.REMAINDER,
                   help="-- passt command line (--fd N is appended)")
    p.set_defaults(func=cmd_fd)

    p = sub.add_parser("pcapcheck", help="check a pcap against a record")
    p.add_argument("--pcap", required=True)
    p.add_argument("--record", required=True)
    p.set_defaults(func=cmd_pcapcheck)

    args = ap.parse_args()
    try:
        args.func(args)
    except CheckFailed as e:
        print("passt_client: FAIL: %s" % e, file=sys.stderr, flush=True)
        return 1
    except OSError as e:
        print("passt_client: FAIL: %s" % e, file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
