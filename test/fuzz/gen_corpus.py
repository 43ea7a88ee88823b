#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/fuzz/gen_corpus.py - Write the seed corpus of every fuzz target
#
# Valid frames and exchanges of each kind the guest may send, built here
# from the RFCs' layouts, in the input format of each target (see the top
# of each test/fuzz/fuzz_*.c): what fuzzing starts from. Run it again after
# changing a format; files it writes start with "seed-", whatever fuzzing
# added (make fuzz-merge) is left alone.
#
# Usage: test/fuzz/gen_corpus.py [DIR]	(default: test/fuzz/corpus)

import ipaddress
import os
import struct
import sys

GUEST_MAC = bytes([0x02, 0, 0, 0, 0, 0x42])
OUR_MAC = bytes([0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55])
BCAST = b'\xff' * 6
GUEST4, GW4, DNS4 = '198.51.100.2', '198.51.100.1', '198.51.100.53'
GUEST6, GW6, LL6 = '2001:db8::2', '2001:db8::1', 'fe80::1'
GUEST_LL6 = 'fe80::42'

ETH_P_IP, ETH_P_ARP, ETH_P_IPV6 = 0x0800, 0x0806, 0x86dd
TCP, UDP, ICMP, ICMP6 = 6, 17, 1, 58
HOPOPTS, ROUTING, FRAGMENT, DSTOPTS = 0, 43, 44, 60


def a4(s):
    return ipaddress.IPv4Address(s).packed


def a6(s):
    return ipaddress.IPv6Address(s).packed


def csum(data, init=0):
    if len(data) % 2:
        data += b'\0'
    s = init + sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def pseudo(src, dst, proto, length):
    return sum(struct.unpack('!%dH' % len(src), src + dst)) + \
        proto + length


def eth(proto, dst=OUR_MAC):
    return dst + GUEST_MAC + struct.pack('!H', proto)


def l4_csum(proto, src, dst, l4, off):
    """Layer 4 segment with its checksum set at @off"""
    init = 0 if proto == ICMP else pseudo(src, dst, proto, len(l4))
    c = csum(l4, init)
    return l4[:off] + struct.pack('!H', c) + l4[off + 2:]


CSUM_OFF = {TCP: 16, UDP: 6, ICMP: 2, ICMP6: 2}


def ip4(proto, l4, src=GUEST4, dst=GW4, frag=0, dst_mac=OUR_MAC):
    s, d = a4(src), a4(dst)
    if proto in CSUM_OFF and not frag:
        l4 = l4_csum(proto, s, d, l4, CSUM_OFF[proto])
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 1, frag, 64,
                    proto, 0, s, d)
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return eth(ETH_P_IP, dst_mac) + h + l4


def ip6(proto, l4, src=GUEST6, dst=GW6, hlim=64, ext=b'', ext_nh=None,
        dst_mac=OUR_MAC):
    s, d = a6(src), a6(dst)
    if proto in CSUM_OFF:
        l4 = l4_csum(proto, s, d, l4, CSUM_OFF[proto])
    nh = ext_nh if ext else proto
    h = struct.pack('!IHBB16s16s', 6 << 28, len(ext) + len(l4), nh, hlim,
                    s, d)
    return eth(ETH_P_IPV6, dst_mac) + h + ext + l4


def udp(sport, dport, payload):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, seq, ack, flags, opts=b'', payload=b'', wnd=65535):
    doff = (20 + len(opts)) // 4
    return struct.pack('!HHIIBBHHH', sport, dport, seq, ack, doff << 4,
                       flags, wnd, 0, 0) + opts + payload


SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08
SYN_OPTS = bytes([2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0])


# DHCP (RFC 2131, 2132)
def dhcp(msgtype, opts=b'', ciaddr='0.0.0.0', flags=0, file_sname=b''):
    bootp = struct.pack('!BBBBIHH4s4s4s4s16s', 1, 1, 6, 0, 0x12345678, 0,
                        flags, a4(ciaddr), b'\0' * 4, b'\0' * 4, b'\0' * 4,
                        GUEST_MAC + b'\0' * 10)
    sname_file = file_sname.ljust(64 + 128, b'\0')
    o = bytes([53, 1, msgtype]) + opts + bytes([255])
    return bootp + sname_file + bytes([99, 130, 83, 99]) + o


CLIENT_ID = bytes([61, 7, 1]) + GUEST_MAC
PRL = bytes([55, 8, 1, 3, 6, 15, 26, 28, 119, 121])
DHCP_MSGS = {
    'discover': dhcp(1, CLIENT_ID + PRL + bytes([57, 2, 0x05, 0xdc]) +
                     bytes([12, 5]) + b'guest'),
    'request': dhcp(3, CLIENT_ID + bytes([50, 4]) + a4(GUEST4) +
                    bytes([54, 4]) + a4(GW4) + PRL +
                    bytes([81, 8, 0, 0, 0]) + b'guest'),
    'renew': dhcp(3, CLIENT_ID + PRL, ciaddr=GUEST4),
    'inform': dhcp(8, CLIENT_ID + PRL, ciaddr=GUEST4),
    'release': dhcp(7, CLIENT_ID + bytes([54, 4]) + a4(GW4),
                    ciaddr=GUEST4),
    'decline': dhcp(4, CLIENT_ID + bytes([50, 4]) + a4(GUEST4) +
                    bytes([54, 4]) + a4(GW4)),
    'overload': dhcp(1, bytes([52, 1, 3]) + PRL,
                     file_sname=b'\x0c\x03abc\xff'.ljust(64, b'\0') +
                     bytes([55, 2, 42, 119, 255])),
    'broadcast': dhcp(1, PRL, flags=0x8000),
}


# DHCPv6 (RFC 8415)
def opt6(code, data):
    return struct.pack('!HH', code, len(data)) + data


DUID_CLIENT = opt6(1, struct.pack('!HH', 3, 1) + GUEST_MAC)
DUID_SERVER = opt6(2, struct.pack('!HH', 3, 1) + OUR_MAC)
IA_NA = opt6(3, struct.pack('!III', 1, 0, 0) +
             opt6(5, a6(GUEST6) + struct.pack('!II', 0, 0)))
IA_NA_EMPTY = opt6(3, struct.pack('!III', 1, 0, 0))
ORO = opt6(6, struct.pack('!HHH', 23, 24, 39))
FQDN = opt6(39, b'\x00\x05guest')
ELAPSED = opt6(8, b'\0\0')


def dhcpv6(msgtype, opts):
    return struct.pack('!I', msgtype << 24 | 0xabcdef) + opts


DHCPV6_MSGS = {
    'solicit': dhcpv6(1, DUID_CLIENT + IA_NA_EMPTY + ORO + ELAPSED + FQDN),
    'solicit_rapid': dhcpv6(1, DUID_CLIENT + IA_NA_EMPTY + opt6(14, b'')),
    'request': dhcpv6(3, DUID_CLIENT + DUID_SERVER + IA_NA + ORO + FQDN),
    'confirm': dhcpv6(4, DUID_CLIENT + IA_NA),
    'renew': dhcpv6(5, DUID_CLIENT + DUID_SERVER + IA_NA + ORO),
    'rebind': dhcpv6(6, DUID_CLIENT + IA_NA + ORO),
    'release': dhcpv6(8, DUID_CLIENT + DUID_SERVER + IA_NA),
    'decline': dhcpv6(9, DUID_CLIENT + DUID_SERVER + IA_NA),
    'info': dhcpv6(11, DUID_CLIENT + ORO),
    'ia_ta_pd': dhcpv6(1, DUID_CLIENT + opt6(4, struct.pack('!I', 2)) +
                       opt6(25, struct.pack('!III', 3, 0, 0))),
}

# NDP (RFC 4861)
SLLA = bytes([1, 1]) + GUEST_MAC
NDP_MSGS = {
    'rs': (GUEST_LL6, 'ff02::2', bytes([133, 0, 0, 0, 0, 0, 0, 0]) + SLLA),
    'ns_gw': (GUEST_LL6, 'ff02::1:ff00:1',
              bytes([135, 0, 0, 0, 0, 0, 0, 0]) + a6(GW6) + SLLA),
    'ns_ll': (GUEST6, LL6, bytes([135, 0, 0, 0, 0, 0, 0, 0]) + a6(LL6) +
              SLLA),
    'ns_dad': ('::', 'ff02::1:ff00:2',
               bytes([135, 0, 0, 0, 0, 0, 0, 0]) + a6(GUEST6)),
    'na': (GUEST_LL6, 'ff02::1', bytes([136, 0, 0, 0, 0x20, 0, 0, 0]) +
           a6(GUEST6) + bytes([2, 1]) + GUEST_MAC),
}

ARP_REQ = struct.pack('!HHBBH', 1, ETH_P_IP, 6, 4, 1) + GUEST_MAC + \
    a4(GUEST4) + b'\0' * 6 + a4(GW4)
ARP_PROBE = struct.pack('!HHBBH', 1, ETH_P_IP, 6, 4, 1) + GUEST_MAC + \
    a4('0.0.0.0') + b'\0' * 6 + a4(GUEST4)
ARP_GRAT = struct.pack('!HHBBH', 1, ETH_P_IP, 6, 4, 2) + GUEST_MAC + \
    a4(GUEST4) + BCAST + a4(GUEST4)


def echo4(ident, seq, data=b'ping data'):
    return struct.pack('!BBHHH', 8, 0, 0, ident, seq) + data


def echo6(ident, seq, data=b'ping data'):
    return struct.pack('!BBHHH', 128, 0, 0, ident, seq) + data


def frames():
    """Frames of every kind, name -> frame"""
    f = {
        'arp': eth(ETH_P_ARP, BCAST) + ARP_REQ,
        'arp_probe': eth(ETH_P_ARP, BCAST) + ARP_PROBE,
        'arp_grat': eth(ETH_P_ARP, BCAST) + ARP_GRAT,
        'icmp4': ip4(ICMP, echo4(7, 1)),
        'icmp6': ip6(ICMP6, echo6(7, 1)),
        'tcp4_syn': ip4(TCP, tcp(40000, 7, 1000, 0, SYN, SYN_OPTS)),
        'tcp6_syn': ip6(TCP, tcp(40001, 7, 1000, 0, SYN, SYN_OPTS)),
        'tcp4_data': ip4(TCP, tcp(40000, 7, 1001, 1, ACK | PSH,
                                  payload=b'hello')),
        'tcp4_rst': ip4(TCP, tcp(40000, 7, 1001, 0, RST)),
        'udp4': ip4(UDP, udp(40000, 7, b'hello udp')),
        'udp6': ip6(UDP, udp(40000, 7, b'hello udp')),
        'udp4_dns': ip4(UDP, udp(40000, 53, b'\x12\x34\x01\x00\x00\x01' +
                                 b'\0' * 6 + b'\x07example\x03com\x00' +
                                 b'\x00\x01\x00\x01'), dst=DNS4),
        'udp4_big': ip4(UDP, udp(40000, 7, bytes(range(256)) * 36)),
        'frag4': ip4(UDP, udp(40000, 7, b'x' * 16), frag=0x2000),
        'frag6': ip6(UDP, udp(40000, 7, b'frag'), ext_nh=FRAGMENT,
                     ext=bytes([UDP, 0, 0, 1, 0, 0, 0, 1])),
        'ext6_hop': ip6(UDP, udp(40000, 7, b'hop'), ext_nh=HOPOPTS,
                        ext=bytes([UDP, 0, 1, 4, 0, 0, 0, 0])),
        'ext6_chain': ip6(ICMP6, echo6(9, 2), ext_nh=HOPOPTS,
                          ext=bytes([ROUTING, 0, 1, 4, 0, 0, 0, 0]) +
                          bytes([DSTOPTS, 0, 0, 0, 0, 0, 0, 0]) +
                          bytes([ICMP6, 0, 1, 4, 0, 0, 0, 0])),
    }
    for name, msg in DHCP_MSGS.items():
        f['dhcp_' + name] = ip4(UDP, udp(68, 67, msg), src='0.0.0.0',
                                dst='255.255.255.255', dst_mac=BCAST)
    for name, msg in DHCPV6_MSGS.items():
        f['dhcpv6_' + name] = ip6(UDP, udp(546, 547, msg), src=GUEST_LL6,
                                  dst='ff02::1:2', hlim=1,
                                  dst_mac=b'\x33\x33\0\x01\0\x02')
    for name, (src, dst, msg) in NDP_MSGS.items():
        f['ndp_' + name] = ip6(ICMP6, msg, src=src, dst=dst, hlim=255,
                               dst_mac=b'\x33\x33\0\0\0\x02')
    return f


def rec_frames(frs, flags=1):
    """fuzz_frames records"""
    return b''.join(struct.pack('!BH', flags, len(f)) + f for f in frs)


# virtio-net header (struct virtio_net_hdr) on pasta's tap
VNET_NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_UDP_L4, GSO_TCPV6 = 0, 1, 5, 4


def vnet(flags=0, gso_type=GSO_NONE, hdr_len=0, gso_size=0, csum_start=0,
         csum_offset=0):
    """struct virtio_net_hdr, host order as on the tap (little-endian)"""
    return struct.pack('<BBHHHH', flags, gso_type, hdr_len, gso_size,
                       csum_start, csum_offset)


def vnet_of(f, gso_size=0):
    """The header the namespace's kernel writes for frame f: checksum left
    partial for TCP and UDP, segmentation at gso_size if given"""
    v6 = f[12:14] == b'\x86\xdd'
    l4off = 14 + (40 if v6 else 20)
    proto = f[14 + 6] if v6 else f[14 + 9]
    if proto == TCP:
        hl, off = l4off + (f[l4off + 12] >> 4) * 4, 16
        gso = GSO_TCPV6 if v6 else GSO_TCPV4
    elif proto == UDP:
        hl, off, gso = l4off + 8, 6, GSO_UDP_L4
    else:
        return vnet()
    return vnet(VNET_NEEDS_CSUM, gso if gso_size else GSO_NONE, hl,
                gso_size, l4off, off)


def rec_vnet(recs, sel=4, flags=1):
    """fuzz_frames records with the header: (header, frame) pairs, the
    offloads of sel (bits 4-6 of the first record's flags)"""
    return b''.join(struct.pack('!BH', flags | (sel << 4 if not i else 0),
                                len(h + f)) + h + f
                    for i, (h, f) in enumerate(recs))


def stream(frs, cuts=(), flags=0):
    """fuzz_stream input"""
    s = b''.join(struct.pack('!I', len(f)) + f for f in frs)
    return struct.pack('!BB', flags, len(cuts)) + \
        b''.join(struct.pack('!H', c) for c in cuts) + s


# fuzz_flow operations
def op_tcp(target, flags, modes=0, delta=0, adelta=0, wnd=65535, plen=0):
    return struct.pack('!BBBBHHHH', 0, target, flags, modes, delta, adelta,
                       wnd, plen)


def op_udp(target, plen):
    return struct.pack('!BBH', 1, target, plen)


def op_peer(peer, action, count=0):
    return struct.pack('!BBBH', 2, peer, action, count)


def op_time(ms, flags=0):
    return struct.pack('!BHB', 3, ms, flags)


def op_inbound(what, n=16):
    return struct.pack('!BB', 4, what) + (bytes([n]) if what & 2 else b'')


def op_icmp(v6, ident, seq, n):
    return struct.pack('!BBHHB', 5, v6, ident, seq, n)


def host(what=0, v4=0, gw=0, v6=0, resolv=b''):
    """Host change fields (fz_host_change()): bits of what, table indices"""
    return struct.pack('!BBBBB', what, v4, gw, v6, len(resolv)) + resolv


def op_host(*args, **kw):
    """fuzz_flow: the host changes (time, no time passing, flag 8)"""
    return op_time(0, 8) + host(*args, **kw)


RESOLV = b'nameserver 198.51.100.53\nnameserver 2001:db8::53\n' \
    b'search example.com\n'
RESOLV_NEW = b'nameserver 203.0.113.53\nnameserver 127.0.0.53\n' \
    b'nameserver ::1\nnameserver fd00::53%eth0\nsearch new.example\n'


SYN_M = 0x30	# MSS and window scale options


def vnet_seeds(frs):
    """fuzz_frames inputs with the virtio-net header"""
    s = {}
    allf = list(frs.values())
    s['vnet_all'] = rec_vnet([(vnet_of(f), f) for f in allf])
    s['vnet_plain'] = rec_vnet([(vnet(), f) for f in allf], 1)
    s['vnet_csum'] = rec_vnet([(vnet_of(f), f) for f in allf], 2)
    # USO: 40 datagrams of 1200 bytes in one frame, IPv4 and IPv6
    for name, ipf, fam in (('4', ip4, ''), ('6', ip6, '')):
        f = ipf(UDP, udp(40000, 7, bytes(range(200)) * 240))
        s['vnet_uso' + name] = rec_vnet([(vnet_of(f, 1200), f)])
    # TSO: a handshake's SYN, then a 60000-byte segment of 1448 each
    for name, ipf in (('4', ip4), ('6', ip6)):
        syn = ipf(TCP, tcp(40000, 7, 1000, 0, SYN, SYN_OPTS))
        big = ipf(TCP, tcp(40000, 7, 1001, 1, ACK | PSH,
                           payload=bytes(range(250)) * 240))
        s['vnet_tso' + name] = rec_vnet([(vnet_of(syn), syn),
                                         (vnet_of(big, 1448), big)])
    # Headers that lie: UDP segmentation on TCP, sizes 0, 1 and huge,
    # unknown flags and types, checksum past the end, records shorter
    # than the header
    u, t = frs['udp4_big'], frs['tcp4_data']
    s['vnet_hostile'] = rec_vnet([
        (vnet(1, GSO_UDP_L4, 54, 100, 34, 6), t),
        (vnet(1, GSO_UDP_L4, 42, 0, 34, 6), u),
        (vnet(1, GSO_UDP_L4, 42, 1, 34, 6), u),
        (vnet(1, GSO_UDP_L4, 42, 65535, 34, 6), u),
        (vnet(1, GSO_UDP_L4, 42, 7, 34, 6), u),
        (vnet(0xff, 0xff, 0xffff, 0xffff, 0xffff, 0xffff), u),
        (vnet(1, GSO_TCPV6, 54, 1, 60000, 60000), t),
        (vnet(1, GSO_UDP_L4 | 0x80, 42, 100, 34, 6), u),
        (b'\x01\x05\x2a', b''),
        (vnet(1, GSO_UDP_L4, 42, 100, 34, 6), u[:20]),
        (vnet(), b''),
    ])
    return s


def flow_seeds():
    """fuzz_flow inputs: exchanges that reach each state"""
    s = {}
    # Outbound to port 7, IPv4 and IPv6: handshake, data both ways, close
    for fam, name in ((0, '4'), (0x20, '6')):
        t = fam | 0		# sport idx 0, dport idx 0 (7)
        hs = op_tcp(t, SYN, SYN_M, delta=1460, adelta=7) + \
            op_tcp(t, ACK) + b''
        s['tcp' + name + '_handshake'] = hs
        s['tcp' + name + '_data'] = hs + op_tcp(t, ACK | PSH, plen=1000) + \
            op_peer(0, 1) + op_peer(0, 0, 3000) + op_tcp(t, ACK) + \
            op_peer(0, 2) + op_tcp(t, ACK) + op_tcp(t, FIN | ACK) + \
            op_peer(0, 3)
        s['tcp' + name + '_ooo'] = hs + \
            op_tcp(t, ACK, 0, delta=1000, plen=500) + \
            op_tcp(t, ACK, 0, delta=500, plen=500) + \
            op_tcp(t, ACK, plen=500) + op_peer(0, 1)
        s['tcp' + name + '_retrans'] = hs + op_peer(0, 0, 60000) + \
            op_time(300) + op_tcp(t, ACK, 4) + op_tcp(t, ACK, 4) + \
            op_tcp(t, ACK, 4) + op_tcp(t, ACK, 4) + op_time(1200) + \
            op_tcp(t, ACK)
        s['tcp' + name + '_zero_window'] = hs + op_tcp(t, ACK, wnd=0) + \
            op_peer(0, 0, 5000) + op_time(1000) + op_time(2000) + \
            op_tcp(t, ACK, wnd=1000)
        s['tcp' + name + '_rst'] = hs + op_tcp(t, RST) + op_peer(0, 4)
        s['tcp' + name + '_peer_rst'] = hs + op_peer(0, 0, 100) + \
            op_peer(0, 4) + op_tcp(t, ACK)
        s['tcp' + name + '_refused'] = op_tcp(fam | 0x04, SYN, SYN_M)
        s['tcp' + name + '_timeout'] = op_tcp(t, SYN, SYN_M) + \
            op_time(1000) + op_time(2000) + op_time(4000) + \
            op_time(8000) + op_time(16000) + op_time(32000) + \
            op_time(65000) + op_time(65000) + op_time(1, 2)
        s['tcp' + name + '_full_sock'] = hs + op_peer(0, 5, 1024) + \
            op_peer(0, 6, 4096) + \
            op_tcp(t, ACK | PSH, plen=60000) + \
            op_tcp(t, ACK | PSH, plen=60000) + \
            op_tcp(t, ACK | PSH, plen=60000) + op_peer(0, 1)
        s['udp' + name] = op_udp(fam | 0, 100) + op_udp(fam | 0x08, 200) + \
            op_udp(fam | 0x04, 50) + op_time(31000, 1)
        s['icmp' + name] = op_icmp(fam >> 5, 7, 1, 16) + \
            op_time(61000, 1)
        s['inbound' + name] = op_inbound(fam >> 5) + \
            op_tcp(0x10 | fam, SYN | ACK, SYN_M, delta=1460, adelta=0) + \
            op_peer(0, 0, 100) + op_tcp(0x10 | fam, ACK) + \
            op_peer(0, 2) + op_tcp(0x10 | fam, FIN | ACK)
        s['inbound_udp' + name] = op_inbound(2 | fam >> 5, 20) + \
            op_udp(0x10 | fam, 30)
    # The same over passt's stream (an odd first byte: time, 0 ms)
    passt = op_time(0)
    for name in [n for n in s if n.startswith('tcp')]:
        s['passt_' + name] = passt + s[name]
    hs = op_tcp(0, SYN, SYN_M, delta=1460, adelta=7) + op_tcp(0, ACK)
    s['passt_noread'] = passt + hs + op_peer(0, 7) + \
        op_peer(0, 0, 60000) + op_peer(0, 0, 60000) + op_tcp(0, ACK) + \
        op_peer(0, 7) + op_tcp(0, ACK) + op_tcp(0, ACK)
    s['no_fds'] = op_time(0, 4) + op_tcp(0, SYN, SYN_M) + op_udp(0, 10) + \
        op_icmp(0, 1, 1, 4) + op_inbound(0) + op_inbound(2)
    # Port 79: the accept queue is full, the second SYN stays unanswered
    s['connect_timeout'] = op_tcp(0x0c, SYN, SYN_M) + \
        op_tcp(0x0d, SYN, SYN_M) + op_time(1000) + \
        op_tcp(0x0d, SYN, SYN_M) + op_time(65000) + op_time(1000)
    s['table_full'] = op_tcp(0, SYN, SYN_M) + b'\x06' + \
        op_tcp(1, SYN, SYN_M) + op_udp(0, 10) + op_inbound(0)
    s['many'] = b''.join(op_tcp(i & 0x2f, SYN, SYN_M) for i in range(48)) + \
        b''.join(op_udp(i & 0x2f, 10) for i in range(48))
    # The host loses the address its connections and flows are bound to
    # (to the --map-guest-addr address, target bit 6): reset, closed
    for fam, name in ((0, '4'), (0x20, '6')):
        t = 0x40 | fam
        hs = op_tcp(t, SYN, SYN_M, delta=1460, adelta=7) + op_tcp(t, ACK)
        new = {'v6': 2} if fam else {'v4': 1}
        s['host_gone' + name] = hs + op_tcp(t, ACK | PSH, plen=100) + \
            op_peer(0, 0, 200) + op_udp(t, 50) + \
            op_host(resolv=RESOLV, **new) + \
            op_tcp(t, ACK) + op_tcp(t, SYN, SYN_M) + op_udp(t, 20)
        s['host_same' + name] = hs + op_host(resolv=RESOLV_NEW) + \
            op_tcp(t, ACK | PSH, plen=100) + op_peer(0, 1)
        s['host_off' + name] = hs + op_udp(t, 50) + \
            op_host(what=1 if not fam else 2, resolv=RESOLV) + \
            op_tcp(t, ACK) + op_host(resolv=RESOLV)
    s['host_local'] = op_tcp(0x40, SYN, SYN_M, delta=1460, adelta=7) + \
        op_tcp(0x40, ACK) + op_host(what=0x40) + op_tcp(0, SYN, SYN_M) + \
        op_host()
    s['host_from_host'] = op_udp(0x40, 10) + op_udp(0x60, 10) + \
        op_host(what=0x3c) + op_host(what=0x14, v6=7)
    # pasta with the virtio-net header (first byte, bits 3-4: checksum
    # offload alone, or with TSO and USO) at MTU 1500 (bits 1-2), so data to
    # the guest goes in segments the guest's kernel splits: the first
    # operation a peer's read, of no peer yet
    for sel in (2, 3):
        pre = struct.pack('!BBBH', 0x02 | sel << 3, 0, 1, 0)
        for name in ('data', 'retrans', 'zero_window', 'full_sock'):
            for fam in '46':
                s['vnet%u_tcp%s_%s' % (sel, fam, name)] = \
                    pre + s['tcp%s_%s' % (fam, name)]
    # USO too (sel 3): 40 datagrams of 1200 bytes in one frame to the echo
    # server, one of 7 and 3 more bytes, and one not split, IPv4 and IPv6
    pre = struct.pack('!BBBH', 0x02 | 3 << 3, 0, 1, 0)
    for fam, name in ((0, '4'), (0x20, '6')):
        s['vnet3_uso' + name] = pre + \
            op_udp(fam, 48000) + struct.pack('!H', 1200) + \
            op_udp(fam, 10) + struct.pack('!H', 7) + \
            op_udp(fam, 100) + struct.pack('!H', 0) + op_time(31000, 1)
    return s


def services():
    """fuzz_services inputs: selector, length, body"""
    def msg(sel, body):
        return struct.pack('!BH', sel, len(body)) + body
    s = {'arp': msg(0, ARP_REQ) + msg(0, ARP_PROBE) + msg(0, ARP_GRAT)}
    for name, m in DHCP_MSGS.items():
        s['dhcp_' + name] = msg(1, m)
    s['dhcp_settings'] = msg(7, b'\x8b') + msg(1, DHCP_MSGS['discover'])
    for name, m in DHCPV6_MSGS.items():
        s['dhcpv6_' + name] = msg(2 | 0x60, m)
    s['dhcpv6_settings'] = msg(7, b'\xc2') + \
        msg(2 | 0x60, DHCPV6_MSGS['request'])
    for sel, name in ((0x03, 'rs'), (0x23, 'ns_gw'), (0x53, 'ns_ll'),
                      (0x2b, 'ns_dad'), (0x63, 'na')):
        s['ndp_' + name] = msg(sel, NDP_MSGS[name][2])
    s['ndp_timer'] = msg(3, NDP_MSGS['rs'][2]) + msg(6, b'\0\x05') + \
        msg(6, b'\x01\0') + msg(7, b'\x04') + msg(6, b'\x02\0')
    s['icmp4'] = msg(4, echo4(1, 1)) + msg(4, echo4(1, 2))
    s['icmp6'] = msg(5 | 0x20, echo6(1, 1))
    s['icmp_no_fds'] = msg(7, b'\x00\x01') + msg(4, echo4(2, 1))
    # The host's network changes (selector 7 with bit 3), then the guest
    # asks again
    rs = msg(3, NDP_MSGS['rs'][2])
    disc = msg(1, DHCP_MSGS['discover'])
    req6 = msg(2 | 0x60, DHCPV6_MSGS['request'])
    ns_gw = msg(0x23, NDP_MSGS['ns_gw'][2])
    hc = 0x0f
    s['host_v4'] = disc + msg(hc, host(v4=1 | 8, resolv=RESOLV)) + disc + \
        msg(1, DHCP_MSGS['request']) + msg(hc, host(v4=3 | 16))
    s['host_v6_prefix'] = rs + req6 + \
        msg(hc, host(v6=2, resolv=RESOLV_NEW)) + rs + req6 + \
        msg(6, b'\0\x05') + msg(hc, host(v6=4)) + rs
    s['host_gw'] = ns_gw + msg(hc, host(gw=0x11, resolv=RESOLV)) + ns_gw + \
        disc + rs + msg(hc, host(gw=0x32)) + rs + msg(6, b'\0\x10')
    s['host_dns'] = msg(hc, host(resolv=RESOLV_NEW)) + disc + req6 + rs + \
        msg(hc, host(what=0x80)) + disc + req6 + rs + \
        msg(2 | 0x60, DHCPV6_MSGS['info'])
    s['host_v6_off_on'] = rs + msg(hc, host(what=2, resolv=RESOLV)) + rs + \
        req6 + msg(6, b'\0\x05') + msg(hc, host(v6=1, resolv=RESOLV)) + \
        rs + req6
    s['host_v4_off_on'] = disc + msg(hc, host(what=1)) + disc + \
        msg(0, ARP_REQ) + msg(hc, host(resolv=RESOLV)) + disc
    s['host_local'] = disc + rs + msg(hc, host(what=0x40)) + disc + rs + \
        req6 + msg(4, echo4(3, 1)) + msg(hc, host(resolv=RESOLV)) + disc + rs
    s['host_from_host'] = msg(hc, host(what=0x3c)) + disc + rs + \
        msg(hc, host(what=0x14, v6=7)) + rs + req6
    return s


CONF = [
    (0, ['-f', '-e', '-s', '/tmp/x.socket', '-t', '22,80:8080']),
    (0, ['--fd', '5', '-1', '-m', '1500', '-a', '10.0.0.2', '-n', '24',
         '-g', '10.0.0.1']),
    (0, ['-M', '02:00:00:00:00:01', '-D', '192.0.2.53', '-D', '2001:db8::53',
         '-S', 'example.com', '--no-dhcp-dns', '-4']),
    (0, ['--no-tcp', '--no-udp', '--no-icmp', '--no-dhcp', '--no-ndp',
         '--no-dhcpv6', '--no-ra', '--no-map-gw', '-6']),
    (0, ['-l', '/tmp/log', '--log-size', '100000', '--tcp-idle-timeout',
         '60', '-P', '/tmp/pid', '-p', '/tmp/pcap', '-d', '--trace']),
    (0, ['--map-host-loopback', '198.51.100.1', '--map-guest-addr',
         '198.51.100.3', '--dns-forward', '198.51.100.53', '-o',
         '192.0.2.1', '--outbound-if4', 'eth0', '-i', 'eth0']),
    (1, ['-t', 'auto', '-u', '53', '-T', 'none', '-U', '~5000-6000',
         '--config-net', '-I', 'tap0', '--ns-mac-addr', '02:00:00:00:00:02',
         'sh']),
    (1, ["--netns", "foo", "--userns", "/proc/1/ns/user", "--no-netns-quit",
         '--host-lo-to-ns-lo', '--no-splice']),
    (1, ['--version']),
    (0, ['--help']),
    (1, ['--runas', 'nobody', '-q', '--stderr', '1234']),
]

PORTS = [
    (1, ['22']), (1, ['1-1024,~80-90']), (1, ['all']), (1, ['auto']),
    (1, ['none']), (0, ['127.0.0.1/22']), (2, ['%lo/8080:80']),
    (0, ['[::1]/22']), (0, ['::1%lo/1000-2000:3000-4000']),
    (1, ['~22']), (1, ['22', '23', '22']), (1, ['auto', '~8000-9000']),
    (0, ['65535', '1:65535', '2-3:4-5']),
]


def auto():
    """fuzz_auto: sockets bound and closed on the host and in pasta's
    namespace, and scans"""
    def bind(slot, pidx, udp=0, v6=0, ns=0, v6only=0, idle=0):
        return bytes([0, udp | v6 << 1 | ns << 2 | v6only << 3 | idle << 4 |
                      slot << 5, pidx])

    def close(slot):
        return bytes([1, slot])
    scan = bytes([2])
    s = {}
    for udp in (0, 1):
        for ns in (0, 1):
            for v6 in (0, 1):
                name = '%s_%s_%s' % ('udp' if udp else 'tcp',
                                     'ns' if ns else 'host',
                                     'v6' if v6 else 'v4')
                s[name] = bind(0, 0, udp, v6, ns) + scan + close(0) + scan
    s['excluded'] = bind(0, 3, ns=1) + bind(1, 4, udp=1, ns=1) + \
        bind(2, 6) + scan
    s['explicit'] = bind(0, 5, ns=1) + scan + close(0) + scan
    s['ephemeral'] = bind(0, 11, udp=1, ns=1) + bind(1, 12, udp=1) + \
        bind(2, 13, udp=1, ns=1) + scan
    s['both_sides'] = bind(0, 0, ns=1) + bind(1, 0) + scan + close(0) + \
        scan + close(1) + scan + bind(2, 0, ns=1) + scan
    s['idle'] = bind(0, 2, ns=1, idle=1) + bind(1, 2, udp=1, idle=1) + \
        bind(2, 2, udp=1, ns=1, idle=1) + scan
    s['v6only'] = bind(0, 7, v6=1, v6only=1, ns=1) + bind(1, 7, ns=0) + \
        scan + close(1) + scan
    s['low_high'] = bind(0, 8, ns=1) + bind(1, 9, udp=1) + scan
    s['raw_port'] = bytes([0, 4, 0x80, 0x30, 0x39]) + scan
    s['chase'] = bind(0, 1, ns=1) + scan + bind(1, 1) + scan + close(0) + \
        scan + scan
    return s


def write(d, target, name, data):
    os.makedirs(os.path.join(d, target), exist_ok=True)
    with open(os.path.join(d, target, 'seed-' + name), 'wb') as f:
        f.write(data)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'corpus')
    frs = frames()
    for name, f in frs.items():
        write(d, 'frames', name, rec_frames([f]))
        write(d, 'stream', name, stream([f]))
    allf = list(frs.values())
    write(d, 'frames', 'all', rec_frames(allf))
    write(d, 'frames', 'batches', rec_frames(allf[:8], 3) +
          rec_frames(allf[8:], 7))
    # Answers to some batches written while the tap's interface is down
    write(d, 'frames', 'tap_down', rec_frames(allf[:8], 3) +
          rec_frames(allf[8:], 0x0b))
    # More replies in one batch than the output queue holds at once
    write(d, 'frames', 'arp_burst', rec_frames([frs['arp']] * 2100))
    write(d, 'stream', 'arp_burst', stream([frs['arp']] * 2100))
    write(d, 'stream', 'arp_burst_noread', stream([frs['arp']] * 2100, (),
                                                  1))
    write(d, 'stream', 'all', stream(allf))
    write(d, 'stream', 'cut', stream(allf[:6], (1, 3, 40, 100, 5, 1000)))
    write(d, 'stream', 'noread', stream(allf * 4, (), 1))
    write(d, 'stream', 'one_off_second', stream(allf[:3], (), 6))
    write(d, 'stream', 'bad_len', stream(allf[:2])[:-10] + b'\xff' * 8)
    # The guest goes before the daemon read its last frames: the answers
    # meet a closed socket
    write(d, 'stream', 'gone_unread', stream(allf[:6], (), 8))
    for name, data in vnet_seeds(frs).items():
        write(d, 'frames', name, data)
    for name, data in flow_seeds().items():
        write(d, 'flow', name, data)
    for name, data in services().items():
        write(d, 'services', name, data)
    for name, data in auto().items():
        write(d, 'auto', name, data)
    for i, (mode, args) in enumerate(CONF):
        write(d, 'conf', str(i), bytes([mode]) +
              b'\0'.join(a.encode() for a in args))
    for i, (flags, specs) in enumerate(PORTS):
        write(d, 'ports', str(i), bytes([flags]) +
              b'\0'.join(a.encode() for a in specs))


if __name__ == '__main__':
    main()
