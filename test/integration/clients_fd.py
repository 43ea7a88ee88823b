#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""clients_fd.py - start passt the way qemu 10 does (-netdev passt): on one
end of a socketpair, as "passt --quiet --pid FILE --fd N", without -f, so
that passt goes to the background and the launcher waits for the process
it started to return.

  frames  --passt PATH --pidfile FILE [--guest-mac MAC] [--guest-ip IP]
          [--gw-ip IP] [--gw-mac MAC] [-- EXTRA PASST ARGS]
          Start passt, check that the started process returns 0 and that
          FILE holds the PID of a running passt, then exchange frames over
          the other end: an ARP request for --gw-ip (the reply must come
          from --gw-mac, for --guest-ip) and a DHCPDISCOVER (the offer
          must be for --guest-ip, from --gw-ip).  Close our end; passt must
          exit within 5 s and remove FILE.

  onfd    --fd N [--expect-peer PATH] [--guest-mac ...]
          The same ARP and DHCP exchange on descriptor N, inherited (for
          instance from qrap): a program standing in for qemu.

  qemu    --passt PATH --pidfile FILE [--log FILE] -- QEMU [ARG]...
          Start passt likewise, then execute QEMU with our end of the
          socketpair on the same descriptor number: the argument
          "stream,id=ID,..." of -netdev becomes
          "stream,id=ID,server=off,addr.type=fd,addr.str=N", which is what
          qemu 10 gives itself.  Used as $QEMU by guest_start().

Messages go to standard error, prefixed with "clients_fd:".
Standard library only, and passt_client.py next to this file.
"""

import argparse
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time

from passt_client import (ETH_P_ARP, ETH_P_IP, CheckFailed, Conn,
                          child_setup, csum, framed, mac_bytes, mac_str)

IPPROTO_UDP = 17


def say(msg):
    print("clients_fd: " + msg, file=sys.stderr, flush=True)


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return "(%s)" % e


def pid_text_ok(text):
    return text.endswith("\n") and text.strip().isdigit()


def start_passt(args, extra, log):
    """Start passt on a socketpair: return (our socket, daemon PID)"""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    n = theirs.fileno()
    cmd = [args.passt, "--quiet", "--pid", args.pidfile, "--fd", str(n)]
    cmd += extra
    say("starting: " + " ".join(cmd))
    proc = subprocess.Popen(cmd, pass_fds=(n,), preexec_fn=child_setup,
                            stdin=subprocess.DEVNULL, stdout=log,
                            stderr=log)
    theirs.close()
    try:
        rc = proc.wait(timeout=15)
    except subprocess.TimeoutExpired as e:
        proc.kill()
        proc.wait()
        raise CheckFailed("passt did not return within 15 s (it should "
                          "go to the background)") from e
    if rc != 0:
        raise CheckFailed("passt returned status %d" % rc)
    say("passt returned 0 (went to the background)")
    # qemu reads the file as soon as passt returns: it must be complete.
    # If it isn't, say so (a failure) and wait, for the other checks.
    text = read_text(args.pidfile)
    if not pid_text_ok(text):
        say("PID file not ready when passt returned: %r" % text)
        args.failures.append("PID file %s held %r when passt returned"
                             % (args.pidfile, text))
        t0 = time.monotonic()
        while not pid_text_ok(text) and time.monotonic() < t0 + 5:
            time.sleep(0.01)
            text = read_text(args.pidfile)
        say("PID file holds %r %.3f s later" % (text, time.monotonic() - t0))
    if not pid_text_ok(text):
        raise CheckFailed("PID file %s holds %r, not a PID and a newline"
                          % (args.pidfile, text))
    pid = int(text)
    if not pid_alive(pid):
        raise CheckFailed("PID %d from %s is not running" % (pid,
                                                             args.pidfile))
    try:
        exe = os.readlink("/proc/%d/exe" % pid)
    except OSError:
        exe = "?"
    say("passt daemon PID %d (%s)" % (pid, exe))
    return ours, pid


# --- frames -----------------------------------------------------------------

def next_frame(conn, deadline):
    """The next frame from passt, None on timeout"""
    try:
        return conn.recv_frame(deadline)
    except EOFError:
        raise CheckFailed("passt closed the connection") from None


def arp_check(conn, args):
    eth = (b"\xff" * 6 + mac_bytes(args.guest_mac)
           + struct.pack("!H", ETH_P_ARP))
    arp = struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, 1,
                      mac_bytes(args.guest_mac),
                      socket.inet_aton(args.guest_ip), b"\0" * 6,
                      socket.inet_aton(args.gw_ip))
    conn.sock.sendall(framed(eth + arp))
    say("sent ARP who-has %s tell %s" % (args.gw_ip, args.guest_ip))
    deadline = time.monotonic() + 5
    while True:
        f = next_frame(conn, deadline)
        if f is None:
            raise CheckFailed("no ARP reply within 5 s")
        if len(f) < 42 or struct.unpack("!H", f[12:14])[0] != ETH_P_ARP:
            continue
        op = struct.unpack("!H", f[20:22])[0]
        sha, spa = f[22:28], socket.inet_ntoa(f[28:32])
        tpa = socket.inet_ntoa(f[38:42])
        if op != 2 or spa != args.gw_ip:
            continue
        say("ARP reply: %s is-at %s (for %s)" % (spa, mac_str(sha), tpa))
        if mac_str(sha) != args.gw_mac or tpa != args.guest_ip:
            raise CheckFailed("ARP reply from %s for %s, expected %s for %s"
                              % (mac_str(sha), tpa, args.gw_mac,
                                 args.guest_ip))
        return


def dhcp_check(conn, args):
    xid = random.randrange(1 << 32)
    chaddr = mac_bytes(args.guest_mac)
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0,
                        0x8000, b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                        chaddr + b"\0" * 10, b"", b"")
    opts = b"\x63\x82\x53\x63" + bytes([53, 1, 1, 55, 3, 1, 3, 6, 255])
    payload = bootp + opts
    udp_len = 8 + len(payload)
    src, dst = b"\0" * 4, b"\xff" * 4
    pseudo = src + dst + struct.pack("!BBH", 0, IPPROTO_UDP, udp_len)
    udp = struct.pack("!HHHH", 68, 67, udp_len, 0) + payload
    ucs = csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", ucs) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64,
                     IPPROTO_UDP, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\xff" * 6 + chaddr + struct.pack("!H", ETH_P_IP)
    conn.sock.sendall(framed(eth + ip + udp))
    say("sent DHCPDISCOVER xid 0x%08x" % xid)
    deadline = time.monotonic() + 5
    while True:
        f = next_frame(conn, deadline)
        if f is None:
            raise CheckFailed("no DHCPOFFER within 5 s")
        if len(f) < 14 + 20 + 8 + 240:
            continue
        if struct.unpack("!H", f[12:14])[0] != ETH_P_IP or f[23] != 17:
            continue
        ihl = (f[14] & 0xf) * 4
        sport, dport = struct.unpack("!HH", f[14 + ihl:18 + ihl])
        if (sport, dport) != (67, 68):
            continue
        b = f[14 + ihl + 8:]
        if struct.unpack("!I", b[4:8])[0] != xid:
            continue
        yiaddr = socket.inet_ntoa(b[16:20])
        ipsrc = socket.inet_ntoa(f[26:30])
        say("DHCPOFFER: %s from %s (%s)" % (yiaddr, ipsrc, mac_str(f[6:12])))
        if yiaddr != args.guest_ip:
            raise CheckFailed("offered %s, expected %s" % (yiaddr,
                                                          args.guest_ip))
        return


def cmd_frames(args, extra):
    ours, pid = start_passt(args, extra, None)
    try:
        conn = Conn(ours)
        arp_check(conn, args)
        dhcp_check(conn, args)
        if not pid_alive(pid):
            raise CheckFailed("passt exited before the peer closed")
        ours.close()
        say("closed our end of the socketpair")
        deadline = time.monotonic() + 5
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_alive(pid):
            raise CheckFailed("passt (PID %d) still running 5 s after the "
                              "peer closed" % pid)
        say("passt (PID %d) exited after the peer closed" % pid)
        # The daemon removes the file as it exits: give it a moment
        deadline = time.monotonic() + 2
        while os.path.exists(args.pidfile) and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.path.exists(args.pidfile):
            raise CheckFailed("PID file %s left behind" % args.pidfile)
        say("PID file %s removed" % args.pidfile)
    finally:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def cmd_onfd(args):
    try:
        sock = socket.socket(fileno=args.fd)
    except OSError as e:
        raise CheckFailed("descriptor %d: %s" % (args.fd, e)) from e
    if sock.type != socket.SOCK_STREAM or sock.family != socket.AF_UNIX:
        raise CheckFailed("descriptor %d is not a UNIX stream socket"
                          % args.fd)
    peer = sock.getpeername()
    say("descriptor %d: UNIX stream socket connected to %s"
        % (args.fd, peer or "(unnamed)"))
    if args.expect_peer and peer != args.expect_peer:
        raise CheckFailed("connected to %r, expected %r"
                          % (peer, args.expect_peer))
    conn = Conn(sock)
    arp_check(conn, args)
    dhcp_check(conn, args)
    sock.close()


def cmd_qemu(args, qemu):
    if not qemu:
        raise CheckFailed("no qemu command given")
    log = open(args.log, "ab") if args.log else None
    ours, pid = start_passt(args, [], log)
    n = ours.fileno()
    os.set_inheritable(n, True)
    out = []
    for a in qemu:
        if a.startswith("stream,") and "addr.type=" in a:
            ident = [x for x in a.split(",") if x.startswith("id=")]
            a = "stream,%s,server=off,addr.type=fd,addr.str=%d" % (
                ident[0] if ident else "id=n0", n)
        out.append(a)
    say("exec: " + " ".join(out))
    os.execvp(out[0], out)


def main():
    argv = sys.argv[1:]
    rest = []
    if "--" in argv:
        i = argv.index("--")
        argv, rest = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("frames", "qemu", "onfd"):
        sp = sub.add_parser(name)
        if name == "onfd":
            sp.add_argument("--fd", type=int, required=True)
            sp.add_argument("--expect-peer")
        else:
            sp.add_argument("--passt", required=True)
            sp.add_argument("--pidfile", required=True)
            sp.add_argument("--log")
        sp.add_argument("--guest-mac", default="52:54:00:12:34:56")
        sp.add_argument("--guest-ip", default="198.51.100.2")
        sp.add_argument("--gw-ip", default="198.51.100.1")
        sp.add_argument("--gw-mac", default="9a:55:9a:55:9a:55")
    args = p.parse_args(argv)
    args.failures = []
    try:
        if args.cmd == "frames":
            cmd_frames(args, rest)
        elif args.cmd == "onfd":
            cmd_onfd(args)
        else:
            cmd_qemu(args, rest)
    except (CheckFailed, OSError) as e:
        say("FAILED: %s" % e)
        return 1
    if args.failures:
        for f in args.failures:
            say("FAILED: " + f)
        return 1
    say("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
