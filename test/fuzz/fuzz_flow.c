// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_flow.c - libFuzzer target: stateful TCP, UDP and ICMP, with live
 * sockets on the far side
 *
 * An input is a sequence of operations against one flow table, which lives
 * as long as the input: segments and datagrams from the guest, actions of
 * the peers on the host side, time passing, connections and datagrams to
 * forwarded ports. The far side is real: in the fuzzer's own network
 * namespace, TCP listeners on the loopback (ports 7 and 19, IPv4 and IPv6;
 * nothing on 9; on 79, a full queue nobody accepts from, where SYNs go
 * unanswered) accept what the daemon connects, UDP sockets (ports
 * 7 and 53; nothing on 9) answer datagrams, ping sockets answer echo
 * requests, and clients connect to the forwarded ports (TCP 8080, UDP
 * 8053). The guest sends to the gateway, which the daemon maps to the
 * loopback. pasta's namespace also has a network namespace of its own
 * (the daemon's splice path goes there, for UDP between loopbacks):
 * there, UDP 8053 answers what's spliced from the host, and clients send
 * to 8054, spliced to the same port on the host, which answers too.
 *
 * So that inputs reach established connections, the harness builds the
 * guest's segments: the input picks the four-tuple, flags, options,
 * window and payload length, and sequence and acknowledgement numbers
 * either raw or relative to the live connection (what the daemon expects
 * next, what it sent, what the guest acknowledged), plus or minus a
 * delta. Checksums are right, and payloads follow a pattern of their
 * position in the stream.
 *
 * The guest is pasta's namespace, over a datagram socket pair standing for
 * the tap device, or, if the first byte of the input is odd, a passt guest
 * over a stream socket with small buffers, which may stop reading for a
 * while (the daemon's backlog, connections held back). Bits 1 and 2 of
 * that byte pick the MTU: 65520, 1500, 1280 or 9000. For pasta, bits 3
 * and 4 pick the virtio-net header on the tap and its offloads (see
 * fz_vnet_set()): none (--no-tap-offload), the header alone, checksum,
 * checksum with TSO and USO: TCP data then goes to the guest in segments
 * of up to 64 KiB, with the checksum left partial, the guest's UDP
 * datagrams may come as one frame for the daemon to split, and runs of
 * datagrams from the host's peers go to the guest as one such frame, each
 * datagram in it checked on its own.
 *
 * Operations, one byte to say which, then its fields:
 *
 *	0 TCP segment	target, flags, modes, delta (2), ack delta (2),
 *			window (2), payload length (2) [, raw seq (4)]
 *			[, raw ack (4)] [, options: length (1) and bytes]
 *	1 UDP datagram	target, payload length (2) [, with USO: segment
 *			size (2), 0 for none: the datagrams, each filled
 *			from the start of the pattern, go in one frame with
 *			a virtio-net header, through the tap's read path]
 *	2 peer action	peer, action, count (2): send, read, shut down,
 *			close, reset, small receive buffer, the guest stops
 *			or starts reading (passt), small send buffer of the
 *			daemon's socket
 *	3 time		milliseconds (2), flags: bit 0 housekeeping,
 *			bit 1 past the idle timeout, bit 2 out of
 *			descriptors from now on (no time passes then),
 *			bit 3: then the host's network changes, as the
 *			fields that follow say (fz_host_change())
 *	4 inbound	what: TCP or UDP, IPv4 or IPv6; UDP spliced (pasta):
 *			from the host's loopback to the namespace's, or
 *			the other way around; payload length / 4 (UDP)
 *	5 ICMP echo	IPv4 or IPv6, identifier (2), sequence (2), length
 *	6 table full	every free entry of the flow table taken until the
 *			end of the input
 *	7 raw frame	length (2), frame: through dispatch_frames() fixed up
 *
 * After every operation the harness handles socket events as the daemon's
 * loop would, reads and checks every frame the guest gets, and checks:
 *	- each frame: MTU, length fields, checksums (fz_frame_check()),
 *	  and, with the virtio-net header, what that says (fz_vnet_frame())
 *	- TCP data to the guest lies within what the peer socket gave the
 *	  daemon (never past it), and is what the peer sent at that position;
 *	  a FIN only once the peer shut down, after all its data; an ACK
 *	  never past what the guest sent
 *	- data the peers receive is the guest's, in order, none skipped,
 *	  none twice; UDP payloads either way, spliced ones too, and ICMP
 *	  echo data, are intact
 *	  (not checked once a raw frame, which may carry any data, went in)
 *	- after the host's network changed, no TCP connection or UDP flow is
 *	  left bound to an address the host lost (reset and closed)
 *	- every flow of the table is found by a lookup of its own key, the
 *	  table's count of entries matches its contents (as many entries can
 *	  be taken as the limit leaves), and the flows peers opened stay
 *	  within their share
 *	- once the input is over and its flows closed: no TCP timer armed,
 *	  no connection blocked, no socket left open, no log flood
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "dispatch.h"
#include "flow.h"
#include "fwd.h"
#include "harness.h"
#include "icmp.h"
#include "inany.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"

/* Flow table entries for this target: small, so that it fills up */
#define FZ_FLOW_LIMIT		48
#define FZ_FLOW_LIMIT_STR	"48"

/* tcp.c's state for a connection waiting for the guest's SYN-ACK */
#define FZ_TCPS_SYN_SENT	3

#define FZ_PEERS		16	/* Host side TCP sockets at once */
#define FZ_RECS			40	/* Guest side TCP connections tracked */
#define FZ_EVENT_ROUNDS		8

/* What the harness does with one of its own sockets, once readable */
#define FZ_HEP_ACCEPT		1	/* A listener: accept */
#define FZ_HEP_SERVE		2	/* A UDP server: answer */
#define FZ_HEP_CLIENT		3	/* A UDP client: read */
#define FZ_PAYLOAD_MAX		(TAP_FRAME_MAX - ETH_HLEN - 40 - 60)
#define FZ_TCP_FWD		8080
#define FZ_UDP_FWD		8053
#define FZ_UDP_FWD_NS		8054	/* -U: namespace to host */
#define FZ_GUEST_PORT		40000
#define FZ_MAP_GUEST4		"192.0.2.2"	/* --map-guest-addr */
#define FZ_MAP_GUEST6		"2001:db8:2::2"

/* 9: closed; 79: accept queue full, connections never complete */
static const uint16_t tcp_ports[4] = { 7, 9, 19, 79 };
#define FZ_PORT_STUCK		79
static const uint16_t udp_ports[4] = { 7, 9, 53, 5353 };	/* Open: 7, 53 */

/**
 * struct peer - A host side TCP socket: accepted, or a client to -t
 * @fd:		Socket, -1 if the slot is free
 * @sent:	Bytes written to it so far (the daemon may see no more)
 * @rcvd:	Bytes read from it so far
 * @port:	Its port as the daemon's socket sees it: the daemon's
 *		socket's peer for accepted ones, the guest side key's @dport
 *		for clients
 * @inbound:	A client of a forwarded port
 * @shut:	It shut down its sending side: no more data
 */
struct peer {
	int fd;
	uint32_t sent;
	uint32_t rcvd;
	uint16_t port;
	bool inbound;
	bool shut;
};

/**
 * struct rec - What the harness knows of a TCP connection of the daemon
 * @flow:	Its flow entry, NULL if the slot is free
 * @isn:	The daemon's initial sequence number towards the guest
 * @base:	Sequence number of the guest's first data byte
 * @base_ok:	@base is known (not before the guest's SYN-ACK, inbound)
 * @gmax:	Furthest the guest sent, relative to @base, FIN included
 * @peer:	Index of its host side peer, -1 if not known yet
 * @fwd:	Its host side is a client of a forwarded port
 */
struct rec {
	union flow *flow;
	uint32_t isn;
	uint32_t base;
	bool base_ok;
	uint32_t gmax;
	int peer;
	bool fwd;
};

static struct ctx c;
static int guest_fd;		/* The guest's end of the tap in use */
static int pasta_fds[2], passt_fds[2];	/* Daemon's end, guest's end */
static struct fz_rx rx;		/* passt: the stream as the guest reads it */
static bool noread;		/* passt: the guest doesn't read for now */
static bool stale;		/* passt: frames of freed connections queued */
static bool raw;		/* A raw frame went in: data isn't all ours */
static struct timespec now;
static struct peer peers[FZ_PEERS];
static struct rec recs[FZ_RECS];
static const uint16_t listen_ports[3] = { 7, 19, FZ_PORT_STUCK };
static int tcp_listeners[6], udp_servers[4];
static int udp_clients[2] = { -1, -1 };
static int hep;		/* epoll set of the harness's own sockets */
static int ns_servers[2], ns_clients[2];	/* In the namespace */
static int host_ns_servers[2];			/* Host side of -U */
static union flow *held[FLOW_MAX];	/* Taken by "table full" */
static unsigned int nheld;

/**
 * gpat() - Byte of the guest's (and every UDP and ICMP) data at a position
 * @k:		Position in the stream, or in the datagram
 *
 * Return: the byte
 */
static FZ_NOCOV uint8_t gpat(uint32_t k)
{
	return (uint8_t)(k * 31 + (k >> 8) * 7 + 1);
}

/**
 * hpat() - Byte of the host side peers' TCP data at a position
 * @k:		Position in the stream
 *
 * Return: the byte
 */
static FZ_NOCOV uint8_t hpat(uint32_t k)
{
	return (uint8_t)(k * 13 + (k >> 8) * 5 + 3);
}

/* gpat() and hpat() repeat after this many bytes: tables of twice that
 * give any stretch of up to a period with one memcpy() or memcmp(), where
 * a call per byte took a fifth of this target's time
 */
#define FZ_PAT_PERIOD		(1U << 16)

static uint8_t gtab[2 * FZ_PAT_PERIOD];	/* gpat() from position 0 */
static uint8_t htab[2 * FZ_PAT_PERIOD];	/* hpat() */

/**
 * pat_init() - Fill the pattern tables
 */
static FZ_NOCOV void pat_init(void)
{
	uint32_t k;

	for (k = 0; k < 2 * FZ_PAT_PERIOD; k++) {
		gtab[k] = gpat(k);
		htab[k] = hpat(k);
	}
}

/**
 * fill() - Write a pattern into a buffer
 * @buf:	Buffer
 * @len:	Bytes to write
 * @k:		Position of the first byte
 * @tab:	gtab or htab
 */
static FZ_NOCOV void fill(uint8_t *buf, size_t len, uint32_t k,
			  const uint8_t *tab)
{
	while (len) {
		size_t n = MIN(len, (size_t)FZ_PAT_PERIOD);

		memcpy(buf, tab + k % FZ_PAT_PERIOD, n);
		buf += n;
		len -= n;
		k += (uint32_t)n;
	}
}

/**
 * differs() - Find where a buffer differs from a pattern
 * @buf:	Buffer
 * @len:	Its length
 * @k:		Position of the first byte
 * @tab:	gtab or htab
 *
 * Return: offset of the first byte that differs, @len if none
 */
static FZ_NOCOV size_t differs(const uint8_t *buf, size_t len, uint32_t k,
			       const uint8_t *tab)
{
	size_t done = 0, i;

	while (done < len) {
		size_t n = MIN(len - done, (size_t)FZ_PAT_PERIOD);
		const uint8_t *t = tab + (uint32_t)(k + done) % FZ_PAT_PERIOD;

		if (memcmp(buf + done, t, n)) {
			for (i = 0; buf[done + i] == t[i]; i++)
				;
			return done + i;
		}
		done += n;
	}
	return len;
}

/**
 * rec_of() - The harness's record of a TCP flow
 * @flow:	Flow
 *
 * Return: record, NULL if none
 */
static FZ_NOCOV struct rec *rec_of(const union flow *flow)
{
	int i;

	for (i = 0; i < FZ_RECS; i++) {
		if (recs[i].flow == flow &&
		    recs[i].isn == flow->tcp.seq_init_to_tap)
			return &recs[i];
	}
	return NULL;
}

/**
 * sock_port() - Local or peer port of a socket
 * @s:		Socket
 * @remote:	The peer's port, not ours
 *
 * Return: port, 0 on failure
 */
static uint16_t sock_port(int s, bool remote)
{
	union sockaddr_inany sa;
	socklen_t sl = sizeof(sa);

	if ((remote ? getpeername(s, &sa.sa, &sl) :
		      getsockname(s, &sa.sa, &sl)))
		return 0;
	return ntohs(sa.sa.sa_family == AF_INET ? sa.sa4.sin_port :
						  sa.sa6.sin6_port);
}


/**
 * peer_alive() - Is a peer's connection still there?
 * @i:		Peer
 *
 * A connection the daemon reset leaves our end open, in CLOSE, until an
 * op closes it; the daemon's next connection may get the same local port
 * (a reset leaves no TIME-WAIT), and then the same four-tuple: matching
 * by port alone took the old peer, its data and its state, for the new
 * connection's (a FIN to the guest then looked early: "the peer sent 0
 * and goes on").
 *
 * Return: false if it's closed
 */
static bool peer_alive(int i)
{
	struct tcp_info ti;
	socklen_t sl = sizeof(ti);

	if (getsockopt(peers[i].fd, IPPROTO_TCP, TCP_INFO, &ti, &sl))
		return false;
	return ti.tcpi_state != TCP_CLOSE;
}
/**
 * recs_update() - Forget records of freed flows, make records of new ones,
 *		   pair them with their peers
 */
static FZ_NOCOV void recs_update(void)
{
	union flow *flow;
	int i, j;

	for (i = 0; i < FZ_RECS; i++) {
		struct rec *r = &recs[i];

		if (r->flow && (r->flow->f.type != FLOW_TCP ||
				r->flow->tcp.seq_init_to_tap != r->isn)) {
			/* Its frames still on the way to a passt guest
			 * would be taken for those of a new connection with
			 * the same four-tuple
			 */
			if (c.mode == MODE_PASST &&
			    (noread || tap_backlogged()))
				stale = true;
			r->flow = NULL;
		}
		if (r->flow && !r->base_ok &&
		    r->flow->tcp.state != FZ_TCPS_SYN_SENT) {
			r->base = r->flow->tcp.seq_from_tap;
			r->base_ok = true;
			r->gmax = 0;
		}
	}

	flow_foreach(flow, FLOW_TCP) {
		struct rec *r = rec_of(flow);

		if (r)
			continue;
		for (i = 0; i < FZ_RECS && recs[i].flow; i++)
			;
		if (i == FZ_RECS)
			return;
		r = &recs[i];
		r->flow = flow;
		r->isn = flow->tcp.seq_init_to_tap;
		r->peer = -1;
		r->fwd = flow->f.key.sport == FZ_TCP_FWD;
		r->base_ok = flow->tcp.state != FZ_TCPS_SYN_SENT;
		r->base = flow->tcp.seq_from_tap;
		r->gmax = 0;
	}

	for (i = 0; i < FZ_RECS; i++) {
		struct rec *r = &recs[i];
		uint16_t port;

		if (!r->flow || r->peer >= 0 || r->flow->tcp.sock < 0)
			continue;
		port = r->fwd ? r->flow->f.key.dport :
				sock_port(r->flow->tcp.sock, false);
		for (j = 0; j < FZ_PEERS; j++) {
			if (peers[j].fd >= 0 && peers[j].inbound == r->fwd &&
			    peers[j].port == port && peer_alive(j)) {
				r->peer = j;
				break;
			}
		}
	}
}

/**
 * check_tcp_to_guest() - Check a TCP segment to the guest against the peer
 * @th:		TCP header
 * @l4len:	Length of header and payload
 * @guest:	Guest's address
 * @remote:	Address the segment comes from
 */
static void check_tcp_to_guest(const struct tcphdr *th, size_t l4len,
			       const union inany_addr *guest,
			       const union inany_addr *remote)
{
	const uint8_t *payload = (const uint8_t *)th + th->doff * 4;
	size_t plen = l4len - th->doff * 4, i;
	struct flow_key key;
	union flow *flow;
	const struct rec *r;
	uint32_t k;

	memset(&key, 0, sizeof(key));
	key.src = *guest;
	key.dst = *remote;
	key.sport = ntohs(th->dest);
	key.dport = ntohs(th->source);
	key.proto = IPPROTO_TCP;
	flow = flow_lookup(&key);
	if (!flow || flow->f.type != FLOW_TCP || !(r = rec_of(flow)) ||
	    th->rst || stale)
		return;

	if (th->syn) {
		if (ntohl(th->seq) != r->isn)
			fz_fail("SYN to the guest with sequence %u, ISN %u",
				ntohl(th->seq), r->isn);
		return;
	}
	if (th->ack && r->base_ok && !raw &&
	    (int32_t)(ntohl(th->ack_seq) - r->base) > (int32_t)r->gmax)
		fz_fail("ACK to the guest at %i: it sent up to %u",
			(int32_t)(ntohl(th->ack_seq) - r->base), r->gmax);
	if (r->peer < 0 || (!plen && !th->fin))
		return;

	k = ntohl(th->seq) - (r->isn + 1);
	if (getenv("FZ_DEBUG"))
		fprintf(stderr, "TCP to the guest: %zu bytes at %u%s, peer "
			"sent %u\n", plen, k, th->fin ? " FIN" : "",
			peers[r->peer].sent);
	if (k > peers[r->peer].sent || plen > peers[r->peer].sent - k)
		fz_fail("data to the guest at %u, %zu bytes: the peer sent %u",
			k, plen, peers[r->peer].sent);
	if ((i = differs(payload, plen, k, htab)) < plen)
		fz_fail("data to the guest at %u differs from what the peer "
			"sent", k + (uint32_t)i);
	if (th->fin && (!peers[r->peer].shut ||
			k + plen != peers[r->peer].sent))
		fz_fail("FIN to the guest at %zu: the peer sent %u and %s",
			k + plen, peers[r->peer].sent,
			peers[r->peer].shut ? "shut down" : "goes on");
}

/**
 * check_data() - Check that a UDP or ICMP payload to the guest is intact
 * @p:		Payload
 * @len:	Its length
 * @what:	Protocol, for the message
 */
static void check_data(const uint8_t *p, size_t len, const char *what)
{
	size_t i = differs(p, len, 0, gtab);

	if (i < len && !raw)
		fz_fail("%s payload to the guest damaged at %zu", what, i);
}

/**
 * check_frame() - Check a frame the daemon sent to the guest
 * @f:		Frame
 * @len:	Length
 * @max:	Longest it may be (see fz_vnet_frame()), 0 for the MTU
 */
static void check_frame(const uint8_t *f, size_t len, size_t max)
{
	union inany_addr guest, remote;
	uint16_t proto = (uint16_t)(f[12] << 8 | f[13]);
	const uint8_t *l4;
	size_t l4len;
	uint8_t nxt;

	if (getenv("FZ_DEBUG"))
		fprintf(stderr, "frame to the guest: %zu bytes, type %04x\n",
			len, proto);
	f = fz_frame_check(&c, f, len, max, &len);
	if (!f)
		return;		/* A fragment, more to come */
	if (proto == ETH_P_IP) {
		const struct iphdr *iph = (const struct iphdr *)(f + ETH_HLEN);

		inany_from_af(&guest, AF_INET, &iph->daddr);
		inany_from_af(&remote, AF_INET, &iph->saddr);
		nxt = iph->protocol;
		l4 = f + ETH_HLEN + sizeof(*iph);
	} else if (proto == ETH_P_IPV6) {
		const struct ip6_hdr *ip6h;

		ip6h = (const struct ip6_hdr *)(f + ETH_HLEN);
		inany_from_af(&guest, AF_INET6, &ip6h->ip6_dst);
		inany_from_af(&remote, AF_INET6, &ip6h->ip6_src);
		nxt = ip6h->ip6_nxt;
		l4 = f + ETH_HLEN + sizeof(*ip6h);
	} else {
		return;
	}
	l4len = len - (size_t)(l4 - f);

	if (nxt == IPPROTO_TCP) {
		check_tcp_to_guest((const struct tcphdr *)l4, l4len, &guest,
				   &remote);
	} else if (nxt == IPPROTO_UDP) {
		size_t off, plen = l4len - sizeof(struct udphdr);
		size_t seg = fz_udp_seg ? fz_udp_seg : MAX(plen, 1);

		/* A USO frame: each datagram in it on its own */
		for (off = 0; off < plen; off += seg)
			check_data(l4 + sizeof(struct udphdr) + off,
				   MIN(seg, plen - off), "UDP");
	} else if ((nxt == IPPROTO_ICMP && l4[0] == ICMP_ECHOREPLY) ||
		   (nxt == IPPROTO_ICMPV6 && l4[0] == ICMP6_ECHO_REPLY)) {
		check_data(l4 + 8, l4len - 8, "ICMP echo");
	}
}

/**
 * check_stream_frame() - Check a frame the daemon sent to a passt guest
 * @f:		Frame
 * @len:	Length
 */
static void check_stream_frame(const uint8_t *f, size_t len)
{
	check_frame(f, len, 0);
}

/**
 * read_back() - Flush the daemon's output, read and check every frame
 *
 * passt: what the guest's socket didn't take stays in the daemon's
 * backlog, and connections that held back for it go on once it drained,
 * as in the daemon's loop.
 */
static void read_back(void)
{
	static uint8_t buf[1 << 17];
	ssize_t n;

	tap_flush(&c);
	if (c.mode == MODE_PASTA) {
		while ((n = recv(guest_fd, buf, sizeof(buf),
				 MSG_DONTWAIT)) >= 0) {
			size_t len, max;
			uint8_t *f = fz_vnet_frame(&c, buf, (size_t)n, &len,
						   &max);

			check_frame(f, len, max);
		}
		return;
	}
	if (noread)
		return;
	fz_stream_rx(&rx, guest_fd, check_stream_frame);
	if (tap_backlogged()) {
		tap_flush(&c);
		fz_stream_rx(&rx, guest_fd, check_stream_frame);
	}
	if (!tap_backlogged() && !rx.len)
		stale = false;	/* All out: frames are current again */
	if (tcp_tap_blocked() && !tap_backlogged()) {
		tcp_tap_resume(&c, &now);
		tap_flush(&c);
		fz_stream_rx(&rx, guest_fd, check_stream_frame);
	}
}

/**
 * peer_add() - Take a host side TCP socket into a free peer slot
 * @fd:		Socket
 * @inbound:	A client of a forwarded port
 */
static void peer_add(int fd, bool inbound)
{
	int i;

	for (i = 0; i < FZ_PEERS && peers[i].fd >= 0; i++)
		;
	if (i == FZ_PEERS) {
		close(fd);
		return;
	}
	fd_set_nonblock(fd);
	peers[i].fd = fd;
	peers[i].sent = peers[i].rcvd = 0;
	peers[i].inbound = inbound;
	peers[i].shut = false;
	peers[i].port = sock_port(fd, !inbound);
}

/**
 * peer_close() - Close a peer's socket, forget it
 * @i:		Peer
 * @rst:	Reset the connection
 */
static void peer_close(int i, bool rst)
{
	int j;

	if (peers[i].fd < 0)
		return;
	if (rst)
		sock_close_rst(peers[i].fd);
	else
		close(peers[i].fd);
	peers[i].fd = -1;
	for (j = 0; j < FZ_RECS; j++) {
		if (recs[j].peer == i)
			recs[j].peer = -1;
	}
}

/**
 * peer_recv() - Read what a peer got, check it's the guest's data in order
 * @i:		Peer
 */
static void peer_recv(int i)
{
	static uint8_t buf[1 << 16];
	ssize_t n;
	size_t j;

	while ((n = recv(peers[i].fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		j = differs(buf, (size_t)n, peers[i].rcvd, gtab);
		if (j < (size_t)n && !raw)
			fz_fail("peer got byte %zu wrong: the guest's data was "
				"skipped, repeated or damaged",
				peers[i].rcvd + j);
		peers[i].rcvd += (uint32_t)n;
	}
}

/**
 * udp_serve_one() - A UDP server: check each datagram, send it back
 * @s:		Its socket
 *
 * Return: number of datagrams answered
 */
static int udp_serve_one(int s)
{
	static uint8_t buf[1 << 16];
	union sockaddr_inany sa;
	socklen_t sl = sizeof(sa);
	int done = 0;
	ssize_t n;

	while ((n = recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, &sa.sa,
			     &sl)) >= 0) {
		size_t j = differs(buf, (size_t)n, 0, gtab);

		if (j < (size_t)n && !raw)
			fz_fail("UDP datagram damaged at %zu", j);
		sendto(s, buf, (size_t)n, MSG_DONTWAIT, &sa.sa, sl);
		sl = sizeof(sa);
		done++;
	}
	return done;
}

/**
 * udp_serve() - Every UDP server: check each datagram, send it back
 *
 * Return: number of datagrams answered
 */
static int udp_serve(void)
{
	const int *srv[3] = { udp_servers, ns_servers, host_ns_servers };
	const unsigned int cnt[3] = { ARRAY_SIZE(udp_servers), 2, 2 };
	unsigned int i, k;
	int done = 0;

	for (k = 0; k < ARRAY_SIZE(srv); k++) {
		for (i = 0; i < cnt[k]; i++)
			done += udp_serve_one(srv[k][i]);
	}
	return done;
}

/**
 * udp_client_read() - Read what came back to a UDP client, check it
 * @s:		Its socket
 *
 * Return: number of datagrams read
 */
static int udp_client_read(int s)
{
	static uint8_t buf[1 << 16];
	int done = 0;
	ssize_t n;

	while ((n = recv(s, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		size_t j = differs(buf, (size_t)n, 0, gtab);

		if (j < (size_t)n && !raw)
			fz_fail("UDP datagram to a client damaged at %zu", j);
		done++;
	}
	return done;
}

/**
 * udp_clients_read() - Read what came back to every UDP client, check it
 *
 * Return: number of datagrams read
 */
static int udp_clients_read(void)
{
	const int *cl[2] = { udp_clients, ns_clients };
	unsigned int i, k;
	int done = 0;

	for (k = 0; k < ARRAY_SIZE(cl); k++) {
		for (i = 0; i < 2; i++) {
			if (cl[k][i] >= 0)
				done += udp_client_read(cl[k][i]);
		}
	}
	return done;
}

/**
 * accept_one() - Accept what the daemon connected to a listener
 * @l:		Listening socket
 * @never:	It's the port nobody accepts on: close what's there
 *
 * Return: number of connections accepted (and kept)
 */
static int accept_one(int l, bool never)
{
	int s, done = 0;

	while ((s = accept4(l, NULL, NULL,
			    SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		if (never) {
			close(s);
			continue;
		}
		peer_add(s, false);
		done++;
	}
	return done;
}

/**
 * accept_all() - Accept what the daemon connected to the listeners
 * @stuck:	Also empty the queue of the port nobody accepts on, and close
 *		what's there: at the end of an input
 *
 * Return: number of connections accepted
 */
static int accept_all(bool stuck)
{
	unsigned int i;
	int done = 0;

	for (i = 0; i < ARRAY_SIZE(tcp_listeners); i++) {
		bool never = listen_ports[i / 2] == FZ_PORT_STUCK;

		if (!never || stuck)
			done += accept_one(tcp_listeners[i], never);
	}
	return done;
}

/**
 * hep_add() - Watch one of the harness's own sockets for work
 * @s:		Socket, nothing if negative
 * @kind:	FZ_HEP_ACCEPT, FZ_HEP_SERVE or FZ_HEP_CLIENT
 */
static void hep_add(int s, uint32_t kind)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = (uint64_t)kind << 32 |
					      (uint32_t)s };

	if (s >= 0 && epoll_ctl(hep, EPOLL_CTL_ADD, s, &ev))
		fz_fail("watching socket %i: %s", s, strerror(errno));
}

/**
 * udp_client() - The UDP client of the host for one IP version
 * @v6:		IPv6, not IPv4
 *
 * Return: its socket, made on first use, -1 if none can be made
 */
static int udp_client(bool v6)
{
	if (udp_clients[v6] < 0) {
		udp_clients[v6] = socket(v6 ? AF_INET6 : AF_INET,
					 SOCK_DGRAM | SOCK_NONBLOCK |
					 SOCK_CLOEXEC, 0);
		hep_add(udp_clients[v6], FZ_HEP_CLIENT);
	}
	return udp_clients[v6];
}

/**
 * harness_work() - What the harness's own sockets have: connections to
 *		    accept, datagrams to answer or to read
 *
 * One look at their epoll set instead of a call on each socket: most of
 * them have nothing, most of the time.
 *
 * Return: number of connections and datagrams handled
 */
static int harness_work(void)
{
	struct epoll_event ev[32];
	int n, i, done = 0;

	n = epoll_wait(hep, ev, ARRAY_SIZE(ev), 0);
	for (i = 0; i < n; i++) {
		int s = (int)(uint32_t)ev[i].data.u64;

		switch (ev[i].data.u64 >> 32) {
		case FZ_HEP_ACCEPT:
			done += accept_one(s, false);
			break;
		case FZ_HEP_SERVE:
			done += udp_serve_one(s);
			break;
		default:
			done += udp_client_read(s);
		}
	}
	return done;
}

/**
 * events() - Handle the daemon's socket events, as its loop would
 */
static void events(bool udp_only)
{
	struct epoll_event ev[64];
	int round, n, i;

	for (round = 0; round < FZ_EVENT_ROUNDS; round++) {
		n = epoll_wait(c.epollfd, ev, ARRAY_SIZE(ev), 0);
		for (i = 0; i < n; i++) {
			union epoll_ref ref = { .u64 = ev[i].data.u64 };

			if (udp_only && ref.type != EPOLL_TYPE_UDP &&
			    ref.type != EPOLL_TYPE_UDP_LISTEN &&
			    ref.type != EPOLL_TYPE_UDP_LISTEN_NS)
				continue;	/* Next time, level-triggered */

			switch (ref.type) {
			case EPOLL_TYPE_PING:
				icmp_sock_handler(&c, ref, &now);
				break;
			case EPOLL_TYPE_TCP:
				tcp_sock_handler(&c, ref, ev[i].events, &now);
				break;
			case EPOLL_TYPE_TCP_LISTEN:
				tcp_listen_handler(&c, ref, &now);
				break;
			case EPOLL_TYPE_UDP:
				udp_sock_handler(&c, ref, ev[i].events, &now);
				break;
			case EPOLL_TYPE_UDP_LISTEN:
			case EPOLL_TYPE_UDP_LISTEN_NS:
				udp_listen_handler(&c, ref, ev[i].events, &now);
				break;
			default:
				fz_fail("event on a descriptor of type %u",
					ref.type);
			}
		}
		read_back();
		n += harness_work();
		recs_update();
		if (n <= 0)
			break;
	}
}

/**
 * send_frame() - Send one frame from the guest through dispatch_frames()
 * @f:		Frame
 * @len:	Length
 */
static void send_frame(uint8_t *f, size_t len)
{
	struct iovec pkt[1];
	struct pool p = { .buf = (const char *)f, .buf_size = len,
			  .size = 1, .pkt = pkt };

	fz_frame_fix(f, len);
	packet_add(&p, len, (const char *)f);
	dispatch_frames(&c, &p, &now);
	read_back();
}

/**
 * put_l3() - Write Ethernet and IP headers of a frame from the guest
 * @f:		Frame
 * @v6:		IPv6, not IPv4
 * @proto:	Layer 4 protocol
 * @host:	To the --map-guest-addr address (the host's), not the gateway
 *
 * Return: offset of the layer 4 header
 */
static size_t put_l3(uint8_t *f, bool v6, uint8_t proto, bool host)
{
	memcpy(f, fz_our_mac, ETH_ALEN);
	memcpy(f + ETH_ALEN, fz_guest_mac, ETH_ALEN);
	if (v6) {
		struct ip6_hdr *h = (struct ip6_hdr *)(f + ETH_HLEN);

		f[12] = ETH_P_IPV6 >> 8;
		f[13] = ETH_P_IPV6 & 0xff;
		memset(h, 0, sizeof(*h));
		h->ip6_flow = htonl(6U << 28);
		h->ip6_nxt = proto;
		h->ip6_hlim = 64;
		inet_pton(AF_INET6, FZ_GUEST6, &h->ip6_src);
		inet_pton(AF_INET6, host ? FZ_MAP_GUEST6 : FZ_GW6,
			  &h->ip6_dst);
		return ETH_HLEN + sizeof(*h);
	} else {
		struct iphdr *h = (struct iphdr *)(f + ETH_HLEN);

		f[12] = ETH_P_IP >> 8;
		f[13] = ETH_P_IP & 0xff;
		memset(h, 0, sizeof(*h));
		h->version = 4;
		h->ihl = 5;
		h->ttl = 64;
		h->protocol = proto;
		inet_pton(AF_INET, FZ_GUEST4, &h->saddr);
		inet_pton(AF_INET, host ? FZ_MAP_GUEST4 : FZ_GW4, &h->daddr);
		return ETH_HLEN + sizeof(*h);
	}
}

/**
 * op_tcp() - A TCP segment from the guest
 * @in:		Input
 */
static void op_tcp(struct fz_in *in)
{
	static uint8_t f[TAP_FRAME_MAX];
	uint8_t target = fz_u8(in), flags = fz_u8(in), modes = fz_u8(in);
	uint16_t delta = fz_u16(in), adelta = fz_u16(in), wnd = fz_u16(in);
	size_t plen = fz_u16(in) % (FZ_PAYLOAD_MAX + 1), off, optlen = 0;
	bool v6 = target & 0x20;
	uint16_t sport, dport;
	struct flow_key key;
	struct tcphdr *th;
	union flow *flow;
	uint32_t seq, ack, base = 0;
	uint8_t opts[40];
	struct rec *r = NULL;

	if (target & 0x10) {
		/* A connection the daemon opened towards the guest */
		unsigned int n = target & 0x0f, j;

		for (j = 0; j < FZ_RECS; j++) {
			if (recs[j].flow && recs[j].fwd && !n--)
				break;
		}
		if (j == FZ_RECS)
			return;
		r = &recs[j];
		v6 = !inany_is_v4(&r->flow->f.key.src);
		sport = r->flow->f.key.sport;
		dport = r->flow->f.key.dport;
	} else {
		sport = FZ_GUEST_PORT + (target & 3);
		dport = tcp_ports[(target >> 2) & 3];
	}

	off = put_l3(f, v6, IPPROTO_TCP, !r && (target & 0x40));
	th = (struct tcphdr *)(f + off);
	if (v6)
		flow_key_set(&key, AF_INET6,
			     &((struct ip6_hdr *)(f + ETH_HLEN))->ip6_src,
			     &((struct ip6_hdr *)(f + ETH_HLEN))->ip6_dst,
			     sport, dport, IPPROTO_TCP);
	else
		flow_key_set(&key, AF_INET,
			     &((struct iphdr *)(f + ETH_HLEN))->saddr,
			     &((struct iphdr *)(f + ETH_HLEN))->daddr,
			     sport, dport, IPPROTO_TCP);
	flow = flow_lookup(&key);
	if (flow && flow->f.type != FLOW_TCP)
		flow = NULL;
	r = flow ? rec_of(flow) : NULL;
	if (r && !r->base_ok)
		r = NULL;
	if (r)
		base = r->base;

	switch (modes & 3) {
	case 0:
		seq = (flow ? flow->tcp.seq_from_tap : 0) + delta;
		break;
	case 1:
		seq = (flow ? flow->tcp.seq_from_tap : 0) - delta;
		break;
	case 2:
		seq = fz_u32(in);
		break;
	default:
		seq = (flow ? flow->tcp.seq_from_tap : 0) + delta * 64U;
	}
	if (r) {
		/* Furthest the guest sent: we must never acknowledge more */
		uint32_t end = seq - base + (uint32_t)plen +
			       ((flags & TH_FIN) ? 1 : 0);

		if ((int32_t)end > (int32_t)r->gmax)
			r->gmax = end;
	}
	switch ((modes >> 2) & 3) {
	case 0:
		ack = (flow ? flow->tcp.seq_to_tap : 0) + (adelta & 1);
		break;
	case 1:
		ack = (flow ? flow->tcp.seq_ack_from_tap : 0) + adelta;
		break;
	case 2:
		ack = fz_u32(in);
		break;
	default:
		ack = (flow ? flow->tcp.seq_ack_from_tap : 0) - adelta;
	}

	if (modes & 0x10) {		/* MSS */
		opts[optlen++] = TCPOPT_MAXSEG;
		opts[optlen++] = TCPOLEN_MAXSEG;
		opts[optlen++] = (uint8_t)(delta >> 8);
		opts[optlen++] = (uint8_t)delta;
	}
	if (modes & 0x20) {		/* Window scale */
		opts[optlen++] = TCPOPT_NOP;
		opts[optlen++] = TCPOPT_WINDOW;
		opts[optlen++] = TCPOLEN_WINDOW;
		opts[optlen++] = (uint8_t)(adelta & 0x0f);
	}
	if (modes & 0x40) {		/* Whatever the input says */
		size_t n = fz_u8(in) % (sizeof(opts) - optlen + 1);

		optlen += fz_bytes(in, opts + optlen, n);
	}
	while (optlen % 4)
		opts[optlen++] = TCPOPT_EOL;

	memset(th, 0, sizeof(*th));
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = (uint16_t)((sizeof(*th) + optlen) / 4);
	f[off + 13] = flags;
	th->window = htons(wnd);
	memcpy(th + 1, opts, optlen);
	off += sizeof(*th) + optlen;
	fill(f + off, plen, seq - base, gtab);

	if (getenv("FZ_DEBUG"))
		fprintf(stderr, "TCP from the guest: flags 0x%02x, %zu bytes "
			"at %i, ack %u, window %u, %s\n", flags, plen,
			r ? (int32_t)(seq - base) : (int32_t)seq,
			flow ? ack - flow->tcp.seq_init_to_tap - 1 : ack, wnd,
			r ? "known" : "new");
	send_frame(f, off + plen);
	if (getenv("FZ_DEBUG") && (flow = flow_lookup(&key)) &&
	    flow->f.type == FLOW_TCP)
		fprintf(stderr, "  flow %u: expects %i, %u kept, state %u, "
			"flags 0x%x\n", flow_idx(flow),
			(int32_t)(flow->tcp.seq_from_tap - base),
			flow->tcp.ooo_held, flow->tcp.state, flow->tcp.flags);
}

/**
 * send_frame_uso() - Send a UDP frame from pasta's guest for the daemon to
 *		      split, through the tap's read path
 * @f:		Frame
 * @len:	Length
 * @l4off:	Offset of the UDP header
 * @seg:	Datagram size
 */
static void send_frame_uso(uint8_t *f, size_t len, size_t l4off,
			   uint16_t seg)
{
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4,
		.hdr_len = (uint16_t)(l4off + sizeof(struct udphdr)),
		.gso_size = seg,
		.csum_start = (uint16_t)l4off,
		.csum_offset = offsetof(struct udphdr, check),
	};
	struct iovec iov[2] = { { &vh, sizeof(vh) }, { f, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	fz_frame_fix(f, len);
	if (sendmsg(guest_fd, &mh, MSG_DONTWAIT) < 0)
		fz_fail("can't write to the tap: %s", strerror(errno));
	dispatch_pasta_handler(&c, EPOLLIN, &now);
	read_back();
}

/**
 * op_udp() - A UDP datagram from the guest
 * @in:		Input
 */
static void op_udp(struct fz_in *in)
{
	static uint8_t f[TAP_FRAME_MAX];
	uint8_t target = fz_u8(in);
	size_t plen = fz_u16(in) % (FZ_PAYLOAD_MAX + 1), off, i;
	bool v6 = target & 0x20;
	struct udphdr *uh;
	uint16_t seg = 0;

	if (c.mode == MODE_PASTA && (c.tap_offloads & TUN_F_USO4))
		seg = fz_u16(in);

	off = put_l3(f, v6, IPPROTO_UDP,
		     !((target & 0x10) && udp_clients[v6] >= 0) &&
		     (target & 0x40));
	uh = (struct udphdr *)(f + off);
	if ((target & 0x10) && udp_clients[v6] >= 0) {
		/* Reply to the client of the forwarded port */
		uh->source = htons(FZ_UDP_FWD);
		uh->dest = htons(sock_port(udp_clients[v6], false));
	} else {
		uh->source = htons(FZ_GUEST_PORT + (target & 3));
		uh->dest = htons(udp_ports[(target >> 2) & 3]);
	}
	off += sizeof(*uh);
	if (!seg) {
		fill(f + off, plen, 0, gtab);
		send_frame(f, off + plen);
		return;
	}
	for (i = 0; i < plen; i += seg)
		fill(f + off + i, MIN(seg, plen - i), 0, gtab);
	send_frame_uso(f, off + plen, off - sizeof(*uh), seg);
}

/**
 * op_peer() - Something a host side peer does
 * @in:		Input
 */
static void op_peer(struct fz_in *in)
{
	static uint8_t buf[1 << 16];
	int i = fz_u8(in) % FZ_PEERS, one = 1;
	uint8_t action = fz_u8(in);
	int count = fz_u16(in), j;
	struct peer *p = &peers[i];
	ssize_t n;

	if (action % 8 == 7) {
		/* passt: the guest stops reading, or starts again */
		noread = !noread;
		return;
	}
	if (p->fd < 0)
		return;

	switch (action % 8) {
	case 0:
		fill(buf, (size_t)count, p->sent, htab);
		n = send(p->fd, buf, (size_t)count, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			p->sent += (uint32_t)n;
		break;
	case 1:
		peer_recv(i);
		break;
	case 2:
		shutdown(p->fd, SHUT_WR);
		p->shut = true;
		break;
	case 3:
		peer_recv(i);
		peer_close(i, false);
		break;
	case 4:
		peer_close(i, true);
		break;
	case 5:
		/* A slow reader: small buffer, the daemon's writes fill it */
		count = MAX(count, 1024);
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &count,
			   sizeof(count));
		setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		break;
	case 6:
		/* A host with small buffers: the daemon's socket fills */
		for (j = 0; j < FZ_RECS; j++) {
			if (recs[j].flow && recs[j].peer == i)
				setsockopt(recs[j].flow->tcp.sock, SOL_SOCKET,
					   SO_SNDBUF, &count, sizeof(count));
		}
		break;
	default:
		break;		/* The guest's reading: see above */
	}
}

/**
 * netns_cookie() - Which network namespace a socket is in
 * @s:		Socket
 *
 * Return: the namespace's cookie, 0 if unknown
 */
static uint64_t netns_cookie(int s)
{
	socklen_t sl = sizeof(uint64_t);
	uint64_t cookie = 0;

	if (getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &sl))
		return 0;
	return cookie;
}

/**
 * check_gone() - No connection or flow left bound to an address that's gone
 * @af:		Address family
 * @addr:	Address the host lost
 *
 * Sockets in pasta's namespace (spliced flows) have the guest's addresses,
 * not the host's: they stay.
 */
static void check_gone(sa_family_t af, const void *addr)
{
	static const uint8_t types[2] = { FLOW_TCP, FLOW_UDP };
	uint64_t host = netns_cookie(tcp_listeners[0]);
	union inany_addr gone, local;
	union flow *flow;
	unsigned int i;

	if (!host)
		fz_fail("no SO_NETNS_COOKIE: can't tell the host's sockets");
	inany_from_af(&gone, af, addr);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		flow_foreach(flow, types[i]) {
			int s = types[i] == FLOW_TCP ? flow->tcp.sock :
						       flow->udp.sock;
			union sockaddr_inany sa;
			socklen_t sl = sizeof(sa);

			if (s < 0 || netns_cookie(s) != host ||
			    getsockname(s, &sa.sa, &sl))
				continue;
			if (sa.sa.sa_family == AF_INET)
				inany_from_af(&local, AF_INET,
					      &sa.sa4.sin_addr);
			else if (sa.sa.sa_family == AF_INET6)
				inany_from_af(&local, AF_INET6,
					      &sa.sa6.sin6_addr);
			else
				continue;
			if (inany_equals(&local, &gone))
				fz_fail("flow %u (type %u, flags 0x%x) still "
					"bound to an address the host lost",
					flow_idx(flow), types[i],
					types[i] == FLOW_UDP ?
					flow->udp.flags : flow->tcp.flags);
		}
	}
}

/**
 * op_host() - The host's network changes
 * @in:		Input, see fz_host_change()
 *
 * Connections and flows bound to the host's address, if that's gone, end:
 * the guest's connections are reset.
 */
static void op_host(struct fz_in *in)
{
	bool on4 = c.ifi4 && !c.local_mode, on6 = c.ifi6 && !c.local_mode;
	struct in_addr o4 = c.ip4.addr;
	struct in6_addr o6 = c.ip6.addr;

	fz_host_change(&c, in, &now);
	read_back();
	if (on4 && o4.s_addr != c.ip4.addr.s_addr)
		check_gone(AF_INET, &o4);
	if (on6 && !IN6_ARE_ADDR_EQUAL(&o6, &c.ip6.addr))
		check_gone(AF_INET6, &o6);
}

/**
 * op_time() - Time passes: the flow timers run
 * @in:		Input
 */
static void op_time(struct fz_in *in)
{
	uint16_t ms = fz_u16(in);
	uint8_t flags = fz_u8(in);

	now.tv_nsec += (long)(ms % 1000) * 1000000L;
	now.tv_sec += ms / 1000 + now.tv_nsec / 1000000000L;
	now.tv_nsec %= 1000000000L;
	if (flags & 2)
		now.tv_sec += c.tcp_idle_timeout;
	if (flags & 4)
		fz_fds_run_out(true);
	flow_timer(&c, &now, true, flags & 3);
	read_back();
	if (flags & 8)
		op_host(in);
}

/**
 * ns_addrs() - Give the loopback of the namespace we're in the guest's
 *		addresses
 *
 * Datagrams spliced from the host's loopback go to the namespace's own
 * address, as the guest has it. The host has them too: they're the
 * host's addresses the guest is given (see op_host()).
 */
static void ns_addrs(void)
{
	fz_lo_addrs(&c.ip4.addr_seen, &c.ip6.addr, 128);
}

/**
 * op_splice() - pasta: a datagram between the loopbacks, answered
 * @in:		Input: payload length / 4
 * @v6:		IPv6, not IPv4
 * @from_ns:	From the namespace's loopback to the host's, not the reverse
 * @sa:		Loopback address of the family, port to be set
 * @sl:		Its length
 *
 * Splicing is on only while these datagrams are handled: the TCP peers
 * of the other operations connect from the host's loopback too, and
 * expect to reach the guest.
 */
static void op_splice(struct fz_in *in, bool v6, bool from_ns,
		      union sockaddr_inany *sa, socklen_t sl)
{
	static uint8_t buf[1 << 10];
	size_t len = fz_u8(in) * 4U;
	int s;

	if (c.mode != MODE_PASTA)
		return;

	sa->sa4.sin_port = htons(from_ns ? FZ_UDP_FWD_NS : FZ_UDP_FWD);
	s = from_ns ? ns_clients[v6] : udp_client(v6);
	fill(buf, len, 0, gtab);
	sendto(s, buf, len, 0, &sa->sa, sl);

	c.no_splice = false;
	events(true);
	c.no_splice = true;
}

/**
 * op_inbound() - A client on the host connects or sends to a forwarded port
 * @in:		Input
 */
static void op_inbound(struct fz_in *in)
{
	uint8_t what = fz_u8(in);
	bool v6 = what & 1;
	union sockaddr_inany sa = { 0 };
	socklen_t sl;
	int s;

	if (v6) {
		sa.sa6.sin6_family = AF_INET6;
		sa.sa6.sin6_addr = in6addr_loopback;
		sl = sizeof(sa.sa6);
	} else {
		sa.sa4.sin_family = AF_INET;
		sa.sa4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(sa.sa4);
	}

	if ((what & 6) == 6) {
		op_splice(in, v6, what & 8, &sa, sl);
		return;
	}

	if (what & 2) {
		static uint8_t buf[1 << 10];
		size_t len = fz_u8(in) * 4U;

		sa.sa4.sin_port = htons(FZ_UDP_FWD);	/* Same place in sa6 */
		fill(buf, len, 0, gtab);
		sendto(udp_client(v6), buf, len, 0, &sa.sa, sl);
		return;
	}

	sa.sa4.sin_port = htons(FZ_TCP_FWD);
	s = socket(v6 ? AF_INET6 : AF_INET,
		   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	if (connect(s, &sa.sa, sl) && errno != EINPROGRESS) {
		close(s);
		return;
	}
	peer_add(s, true);
}

/**
 * op_icmp() - An echo request from the guest to the gateway
 * @in:		Input
 */
static void op_icmp(struct fz_in *in)
{
	static uint8_t f[ETH_HLEN + 40 + 8 + 1024];
	bool v6 = fz_u8(in) & 1;
	uint16_t id = fz_u16(in), seq = fz_u16(in);
	size_t len = fz_u8(in) * 4U, off;

	off = put_l3(f, v6, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, false);
	f[off] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	f[off + 1] = 0;
	f[off + 4] = (uint8_t)(id >> 8);
	f[off + 5] = (uint8_t)id;
	f[off + 6] = (uint8_t)(seq >> 8);
	f[off + 7] = (uint8_t)seq;
	fill(f + off + 8, len, 0, gtab);
	send_frame(f, off + 8 + len);
}

/**
 * op_fill() - Take every free entry of the flow table
 */
static void op_fill(void)
{
	union flow *flow;

	while (nheld < ARRAY_SIZE(held) &&
	       (flow = flow_alloc(&c, FLOW_ORIGIN_GUEST)))
		held[nheld++] = flow;
}

/**
 * op_raw() - A frame from the input, fixed up, through dispatch_frames()
 * @in:		Input
 */
static void op_raw(struct fz_in *in)
{
	static uint8_t f[TAP_FRAME_MAX];
	size_t len = fz_bytes(in, f, fz_u16(in));

	raw = true;	/* It may carry data into our connections and flows */
	send_frame(f, len);
}

/**
 * count_live() - Count the flows in the table, check each is found by its key
 * @peers:	Set to how many of them peers opened
 *
 * Return: number of flows
 */
static FZ_NOCOV unsigned int count_live(unsigned int *peers)
{
	unsigned int live = 0, type;
	union flow *flow;

	*peers = 0;
	for (type = FLOW_PING4; type < FLOW_NUM_TYPES; type++) {
		flow_foreach(flow, type) {
			if (flow_lookup(&flow->f.key) != flow)
				fz_fail("flow of type %u not found by its key",
					type);
			if (flow->f.origin == FLOW_ORIGIN_PEER)
				(*peers)++;
			live++;
		}
	}
	return live;
}

/**
 * check_table() - Every flow is found by its key; the counts add up
 * @full:	Also check the count: take the free entries (which may close
 *		inbound flows the guest never answered), give them back
 */
static void check_table(bool full)
{
	unsigned int live, peers, taken = 0;
	union flow *extra[FZ_FLOW_LIMIT + 1];

	live = count_live(&peers);
	if (peers > FLOW_PEER_MAX(FZ_FLOW_LIMIT))
		fz_fail("peers opened %u flows, their share is %u", peers,
			FLOW_PEER_MAX(FZ_FLOW_LIMIT));
	if (!full)
		return;

	while (taken < ARRAY_SIZE(extra) &&
	       (extra[taken] = flow_alloc(&c, FLOW_ORIGIN_GUEST)))
		taken++;
	live = count_live(&peers);
	if (live + nheld + taken != FZ_FLOW_LIMIT)
		fz_fail("flow table: %u live, %u held, %u more could be taken, "
			"limit %u", live, nheld, taken, FZ_FLOW_LIMIT);
	while (taken)
		flow_free(extra[--taken]);
}

/**
 * LLVMFuzzerInitialize() - Namespace, listeners, servers, context: once
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int small = 16384, host_ns;
	unsigned int i;
	char err[128];

	(void)argc;
	(void)argv;
	pat_init();
	fz_setup(&c, MODE_PASTA);
	pasta_fds[1] = fz_pasta_tap(&c);
	pasta_fds[0] = c.fd_tap;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, passt_fds))
		return 1;
	/* Small for passt: the backlog gets used */
	setsockopt(passt_fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(passt_fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	fd_set_nonblock(passt_fds[0]);
	c.no_splice = true;

	for (i = 0; i < ARRAY_SIZE(tcp_listeners); i++) {
		sa_family_t af = i % 2 ? AF_INET6 : AF_INET;
		uint16_t port = listen_ports[i / 2];

		tcp_listeners[i] = sock_bind_port(af, SOCK_STREAM, port, NULL);
		if (tcp_listeners[i] < 0 ||
		    listen(tcp_listeners[i],
			   port == FZ_PORT_STUCK ? 0 : 128))
			fz_fail("can't listen on port %u", port);
		fd_set_nonblock(tcp_listeners[i]);
	}
	for (i = 0; i < ARRAY_SIZE(udp_servers); i++) {
		sa_family_t af = i % 2 ? AF_INET6 : AF_INET;
		uint16_t port = i / 2 ? 53 : 7;

		udp_servers[i] = sock_bind_port(af, SOCK_DGRAM, port, NULL);
		if (udp_servers[i] < 0)
			fz_fail("can't bind UDP port %u", port);
	}

	/* pasta's namespace: answers on 8053, clients for 8054 */
	host_ns = fz_netns_enter(-1);
	ns_addrs();
	for (i = 0; i < 2; i++) {
		sa_family_t af = i ? AF_INET6 : AF_INET;

		ns_servers[i] = sock_bind_port(af, SOCK_DGRAM, FZ_UDP_FWD,
					       NULL);
		ns_clients[i] = socket(af, SOCK_DGRAM | SOCK_NONBLOCK |
				       SOCK_CLOEXEC, 0);
		if (ns_servers[i] < 0 || ns_clients[i] < 0)
			fz_fail("UDP sockets in the namespace");
	}
	c.pasta_netns_fd = fz_netns_enter(host_ns);	/* Back, keep it */
	close(host_ns);
	ns_addrs();
	inet_pton(AF_INET, FZ_MAP_GUEST4, &c.ip4.map_guest_addr);
	inet_pton(AF_INET6, FZ_MAP_GUEST6, &c.ip6.map_guest_addr);
	conf_host_open();
	for (i = 0; i < 2; i++) {
		host_ns_servers[i] = sock_bind_port(i ? AF_INET6 : AF_INET,
						    SOCK_DGRAM, FZ_UDP_FWD_NS,
						    NULL);
		if (host_ns_servers[i] < 0)
			fz_fail("can't bind UDP port %u", FZ_UDP_FWD_NS);
	}

	setenv("PASST_FLOW_MAX_TEST", FZ_FLOW_LIMIT_STR, 1);
	fz_daemon_init(&c);
	c.tcp_in.mode = c.udp_in.mode = FWD_SPEC;
	if (fwd_parse_spec(&c.tcp_in, STR(FZ_TCP_FWD), false, false, err,
			   sizeof(err)) ||
	    fwd_parse_spec(&c.udp_in, STR(FZ_UDP_FWD), false, false, err,
			   sizeof(err)))
		fz_fail("port forwarding: %s", err);
	c.udp_out.mode = FWD_SPEC;
	if (fwd_parse_spec(&c.udp_out, STR(FZ_UDP_FWD_NS), false, false, err,
			   sizeof(err)))
		fz_fail("port forwarding: %s", err);
	fwd_socks_init(&c, false);
	fwd_socks_init(&c, true);

	for (i = 0; i < FZ_PEERS; i++)
		peers[i].fd = -1;

	hep = epoll_create1(EPOLL_CLOEXEC);
	if (hep < 0)
		fz_fail("epoll_create1: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(tcp_listeners); i++) {
		if (listen_ports[i / 2] != FZ_PORT_STUCK)
			hep_add(tcp_listeners[i], FZ_HEP_ACCEPT);
	}
	for (i = 0; i < ARRAY_SIZE(udp_servers); i++)
		hep_add(udp_servers[i], FZ_HEP_SERVE);
	for (i = 0; i < 2; i++) {
		hep_add(ns_servers[i], FZ_HEP_SERVE);
		hep_add(host_ns_servers[i], FZ_HEP_SERVE);
		hep_add(ns_clients[i], FZ_HEP_CLIENT);
	}

	clock_gettime(CLOCK_MONOTONIC, &now);
	fz_ready();
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - One sequence of operations
 * @data:	Input
 * @size:	Its size
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	unsigned int i, vnet;

	static const int mtus[4] = { FZ_MTU, 1500, 1280, 9000 };

	/* First byte: bit 0, passt over a stream socket; bits 1-2, MTU;
	 * bits 3-4, pasta's virtio-net header and offloads
	 */
	c.mode = size && (data[0] & 1) ? MODE_PASST : MODE_PASTA;
	c.mtu = mtus[size ? (data[0] >> 1) & 3 : 0];
	vnet = c.mode == MODE_PASTA && size ? (data[0] >> 3) & 3 : 0;
	fz_vnet_set(&c, vnet == 3 ? 4 : vnet);	/* 3: TSO and USO */
	c.fd_tap = c.mode == MODE_PASST ? passt_fds[0] : pasta_fds[0];
	guest_fd = c.mode == MODE_PASST ? passt_fds[1] : pasta_fds[1];
	noread = stale = raw = false;
	while (in.len) {
		switch (fz_u8(&in) % 8) {
		case 0:
			op_tcp(&in);
			break;
		case 1:
			op_udp(&in);
			break;
		case 2:
			op_peer(&in);
			break;
		case 3:
			op_time(&in);
			break;
		case 4:
			op_inbound(&in);
			break;
		case 5:
			op_icmp(&in);
			break;
		case 6:
			op_fill();
			break;
		default:
			op_raw(&in);
		}
		events(false);
		check_table(false);
	}
	check_table(true);

	/* Over: give back what we held, the host as it was, close everything */
	fz_fds_run_out(false);
	fz_host_back(&c, &now);
	while (nheld)
		flow_free(held[--nheld]);
	flow_close_all(&c);
	read_back();
	for (i = 0; i < FZ_PEERS; i++)
		peer_close((int)i, false);
	for (i = 0; i < ARRAY_SIZE(udp_clients); i++) {
		if (udp_clients[i] >= 0)
			close(udp_clients[i]);
		udp_clients[i] = -1;
	}
	events(false);		/* Inbound connections not yet accepted */
	flow_close_all(&c);
	read_back();
	accept_all(true);
	for (i = 0; i < FZ_PEERS; i++)
		peer_close((int)i, false);
	udp_serve();
	udp_clients_read();
	memset(recs, 0, sizeof(recs));
	noread = false;		/* What the socket holds, then the backlog */
	read_back();
	for (i = 0; i < 1024 && (tap_backlogged() || rx.len); i++)
		read_back();
	if (tap_backlogged() || rx.len)
		fz_fail("passt: output to the guest left over: %zu bytes read",
			rx.len);
	now.tv_sec += 1;

	if (tcp_timer_pending() || tcp_tap_blocked())
		fz_fail("TCP timers or blocked connections without flows");
	fz_log_check();
	fz_fds_check();
	return 0;
}
