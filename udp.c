// SPDX-License-Identifier: GPL-2.0-or-later
/* udp.c - UDP between the guest (tap) and host sockets
 *
 * Theory of operation
 * ===================
 *
 * UDP has no connections, so we make flows: a flow is the guest side
 * four-tuple (guest address and port, the address and port it talks to),
 * kept in the common flow table.
 *
 * Outbound: the first datagram of a flow from the guest opens a host
 * socket, bound per -o / --outbound-if*, and connected to the destination
 * (translated: the gateway address reaches the host's loopback, and DNS to
 * the --dns-forward address reaches the host's resolver). Being connected,
 * the socket receives only the replies of that peer, and those go back to
 * the guest from the address and port the guest sent to. A run of
 * datagrams of one flow from the guest leaves with one sendmmsg(), and
 * replies are read with recvmmsg().
 *
 * Inbound: each port forwarded with -u has a socket bound on the host.
 * A datagram from a peer makes (or finds) the flow for that peer, with the
 * peer translated as the guest sees it (the host's loopback appears as the
 * gateway), and the guest's replies leave from the same socket, so the
 * peer sees them coming from the port it sent to. Such a flow costs a peer
 * one datagram, maybe forged: until the guest answers, it's the first the
 * flow table closes when it's short of room (flow.c).
 *
 * To the guest: datagrams read with one recvmmsg() go out one frame each,
 * but on pasta's tap with UDP segmentation offload (USO, see tap.c) a run
 * of them from one sender, all of one size but the last, which may be
 * shorter, and each within the guest's MTU, goes in one frame of up to
 * 64 KiB, as one send() with UDP_SEGMENT would make it. The guest's kernel
 * splits it back into the same datagrams (see udp_run_to_tap()): one
 * write() to the tap instead of one per datagram, no checksum computed.
 * Outbound flows' sockets ask for UDP_GRO: datagrams the host's kernel
 * coalesced (a peer's send() with UDP_SEGMENT over loopback, or GRO on a
 * device) come as one message, and go on in such frames, or one by one
 * without USO, split at the size the kernel gives (udp_gro_to_tap()).
 *
 * Errors: sockets of outbound flows ask for extended errors (IP_RECVERR),
 * so an ICMP port unreachable for a datagram we sent is read from the
 * error queue and passed on to the guest as ICMP (or ICMPv6) port
 * unreachable, quoting the guest's datagram as the guest sent it.
 *
 * Flows expire after UDP_TIMEOUT_ONEWAY seconds without traffic if only
 * one side ever sent, UDP_TIMEOUT seconds once both have.
 *
 * pasta's loopback fast path: a datagram from the host's loopback to a
 * -u port, or from inside the namespace to a -U port (bound in the
 * namespace), doesn't go through the tap: it is sent on a socket of the
 * other side, connected to the target (the namespace's address, or its
 * loopback with --host-lo-to-ns-lo; the host's loopback for -U), and the
 * answers come back through the bound socket the datagram arrived on.
 *
 * Checksums: the guest's are not verified (the host's socket layer makes
 * new ones); an IPv6 datagram with a zero checksum is invalid (RFC 8200,
 * 8.1) and dropped, for IPv4 zero means "no checksum" and is fine.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "frame.h"
#include "fwd.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "udp.h"
#include "util.h"

#define UDP_BATCH		64	/* Datagrams per sendmmsg/recvmmsg */
#define UDP_SEGS_MAX		128	/* In one USO frame, as Linux allows */
#define UDP_GSO_SEGS_MAX	64	/* With UDP_SEGMENT, in older kernels */
#define UDP_BUF_SIZE		65536
#define UDP_READ_ROUNDS		4	/* recvmmsg() calls per wakeup */
#define UDP_ICMP_QUOTE_MAX	512	/* Bytes of payload quoted in errors */
#define UDP_SOCK_BUF		(4 << 20)	/* Socket buffers we ask for */

#define UDP_F_INBOUND		0x01	/* On a shared -u socket */
#define UDP_F_TAP_SENT		0x02	/* The guest sent something */
#define UDP_F_SOCK_SENT		0x04	/* The host side sent something */
#define UDP_F_SPLICE		0x08	/* Loopback to loopback, no tap */
#define UDP_F_NO_GSO		0x10	/* The socket refused UDP_SEGMENT */

static uint8_t udp_bufs[UDP_BATCH][UDP_BUF_SIZE];
/* UDP_GRO on outbound flows' sockets: segment size of a coalesced arrival */
static union {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
} udp_gro_cmsg[UDP_BATCH];

/**
 * udp_sock_bufs() - Large buffers: a burst of big datagrams must fit
 * @s:		Socket
 *
 * The default receive buffer holds only a couple of datagrams of 64 KiB.
 * Ask for more, beyond the system limit where we're allowed to.
 *
 * syscalls: setsockopt
 */
static void udp_sock_bufs(int s)
{
	int sz = UDP_SOCK_BUF;

	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

/**
 * udp_flow_close() - Close a flow's own socket, free its entry
 * @c:		Execution context
 * @uf:		Flow
 *
 * syscalls: close
 */
static void udp_flow_close(const struct ctx *c, struct udp_flow *uf)
{
	if ((!(uf->flags & UDP_F_INBOUND) || (uf->flags & UDP_F_SPLICE)) &&
	    uf->sock >= 0) {
		epoll_del(c, uf->sock);
		close(uf->sock);
	}
	flow_hash_remove((union flow *)uf);
	flow_free((union flow *)uf);
}

/**
 * udp_flow_new() - Open an outbound flow from the guest
 * @c:		Execution context
 * @key:	Guest side four-tuple
 * @af:		Address family
 * @to:		Host side destination, from fwd_sockaddr_from_tap()
 * @now:	Current time
 *
 * Return: flow, NULL on failure
 *
 * syscalls: socket setsockopt connect close
 */
static struct udp_flow *udp_flow_new(struct ctx *c, const struct flow_key *key,
				     sa_family_t af,
				     const struct fwd_target *to,
				     const struct timespec *now)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_UDP };
	struct udp_flow *uf;
	union flow *flow;
	int s, one = 1;

	flow = flow_alloc(c, FLOW_ORIGIN_GUEST);
	if (!flow) {
		warn_ratelimit("Flow table full: dropping UDP from the guest");
		return NULL;
	}
	uf = &flow->udp;
	uf->f.type = FLOW_UDP;
	uf->f.key = *key;
	uf->sock = uf->shared = -1;
	uf->ts = now->tv_sec;

	s = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s < 0) {
		warn_ratelimit("UDP: can't open socket: %s", strerror(errno));
		flow_free(flow);
		return NULL;
	}
	uf->sock = s;

	if (af == AF_INET)
		setsockopt(s, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	else
		setsockopt(s, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	/* Datagrams coalesced by the host's kernel stay so: see udp_gro() */
	setsockopt(s, SOL_UDP, UDP_GRO, &one, sizeof(one));
	udp_sock_bufs(s);

	if (!to->to_lo)
		fwd_bind_outbound(c, s, af);

	if (connect(s, &to->sa.sa, to->sl)) {
		debug_ratelimit("UDP: can't connect: %s", strerror(errno));
		close(s);
		flow_free(flow);
		return NULL;
	}

	ref.fd = s;
	ref.data = flow_ref(flow);
	if (epoll_add(c, EPOLLIN, ref) || flow_hash_insert(flow)) {
		close(s);
		flow_free(flow);
		return NULL;
	}
	return uf;
}

/**
 * udp_tap_msg() - Point a message header at one datagram from the guest
 * @p:		Pool of UDP packets (headers at offset 0)
 * @i:		Index of the packet
 * @af:		Address family
 * @uf:		Flow the datagram belongs to
 * @mm:		Message header to fill
 * @iov:	Buffer descriptor to fill
 *
 * Return: true if the datagram is valid and @mm now describes it
 */
static bool udp_tap_msg(const struct pool *p, size_t i, sa_family_t af,
			struct udp_flow *uf, struct mmsghdr *mm,
			struct iovec *iov)
{
	const struct udphdr *uh;
	const uint8_t *data;
	size_t ulen;

	uh = packet_get_hdr(p, i, 0, struct udphdr);
	if (!uh)
		return false;
	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || ulen > packet_len(p, i))
		return false;	/* Length field lies */
	if (af == AF_INET6 && !uh->check)
		return false;	/* Not allowed over IPv6 */

	data = packet_get(p, i, sizeof(*uh), ulen - sizeof(*uh), NULL);
	if (!data && ulen > sizeof(*uh))
		return false;

	iov->iov_base = (void *)(uintptr_t)data;
	iov->iov_len = ulen - sizeof(*uh);
	mm->msg_hdr.msg_iov = iov;
	mm->msg_hdr.msg_iovlen = 1;
	if (uf->flags & UDP_F_INBOUND) {
		mm->msg_hdr.msg_name = &uf->peer;
		mm->msg_hdr.msg_namelen =
			uf->peer.sa4.sin_family == AF_INET ?
			sizeof(uf->peer.sa4) : sizeof(uf->peer.sa6);
	}
	return true;
}

/**
 * udp_tap_sendmmsg() - Send datagrams from the guest, say what was dropped
 * @s:		Socket of the flow
 * @mm:		Message headers
 * @n:		Number of messages
 *
 * syscalls: sendmmsg
 */
static void udp_tap_sendmmsg(int s, struct mmsghdr *mm, size_t n)
{
	size_t done = 0;

	while (done < n) {
		int r = sendmmsg(s, mm + done, (unsigned int)(n - done),
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			      errno == ENOBUFS)) {
			/* Socket buffer full: like a full link, drop */
			debug_ratelimit("UDP: buffer full, %zu datagrams "
					"dropped", n - done);
			return;
		}
		/* The first unsent one failed: drop it, go on with the rest */
		debug_ratelimit("UDP: send failed, datagram dropped: %s",
				r < 0 ? strerror(errno) : "nothing sent");
		done++;
	}
}

/**
 * udp_tap_gso() - Send datagrams the guest's kernel left us to split (USO)
 *		   with one sendmsg() and UDP_SEGMENT: the host's kernel splits
 * @uf:		Flow
 * @mh:		Message header of the whole payload (and address, if any)
 * @seg:	Datagram size
 *
 * A socket may refuse the segment size (larger than the route's MTU:
 * EMSGSIZE, EINVAL in older kernels), or the kernel the option, or the
 * route (EIO, e.g. IPsec): then the flow splits such payloads itself from
 * now on (UDP_F_NO_GSO). On any other error, the caller sends the
 * datagrams one by one, as if we hadn't tried.
 *
 * Return: true if sent, or dropped for a full buffer; false if the caller
 *	   is to split the payload into datagrams instead
 *
 * syscalls: sendmsg
 */
static bool udp_tap_gso(struct udp_flow *uf, struct msghdr *mh, uint16_t seg)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} u;
	struct cmsghdr *cm;
	ssize_t r;

	memset(&u, 0, sizeof(u));
	mh->msg_control = u.buf;
	mh->msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));

	do
		r = sendmsg(uf->sock, mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	mh->msg_control = NULL;
	mh->msg_controllen = 0;

	if (r >= 0)
		return true;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
		debug_ratelimit("UDP: buffer full, datagrams of %u bytes "
				"dropped", seg);
		return true;
	}
	if (errno == EINVAL || errno == EMSGSIZE || errno == EIO ||
	    errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
		debug_ratelimit("UDP: no UDP_SEGMENT (%u bytes) on this flow: "
				"%s", seg, strerror(errno));
		uf->flags |= UDP_F_NO_GSO;
	}
	return false;
}

/**
 * udp_tap_handler() - A run of UDP datagrams of one flow from the guest
 * @c:		Execution context
 * @af:		Address family
 * @saddr:	Source address
 * @daddr:	Destination address
 * @p:		Pool of datagrams: UDP header and payload each
 * @seg:	Per datagram of @p, the size of the datagrams it is to be split
 *		into (UDP segmentation offload on pasta's tap), 0 for none;
 *		NULL if none is
 * @now:	Current time
 *
 * Return: number of datagrams consumed (all)
 */
int udp_tap_handler(struct ctx *c, sa_family_t af, const void *saddr,
		    const void *daddr, const struct pool *p,
		    const uint16_t *seg, const struct timespec *now)
{
	struct mmsghdr mm[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	const struct udphdr *uh;
	struct udp_flow *uf;
	struct flow_key key;
	union flow *flow;
	size_t i, n;

	if (c->no_udp)
		return (int)p->count;

	uh = packet_get_hdr(p, 0, 0, struct udphdr);
	if (!uh)
		return (int)p->count;

	flow_key_set(&key, af, saddr, daddr, ntohs(uh->source),
		     ntohs(uh->dest), IPPROTO_UDP);
	flow = flow_lookup(&key);
	if (flow) {
		uf = &flow->udp;
	} else {
		struct fwd_target to;

		if (!fwd_sockaddr_from_tap(c, IPPROTO_UDP, af, saddr, daddr,
					   key.dport, &to)) {
			tap_stats.dropped_addr += p->count;
			return (int)p->count;
		}
		uf = udp_flow_new(c, &key, af, &to, now);
	}
	if (!uf)
		return (int)p->count;

	/* The run may hold more datagrams than one sendmmsg() takes: send
	 * them all, UDP_BATCH at a time. A frame the guest's kernel left us
	 * to split (USO) stands for datagrams of @seg[i] bytes (the last one
	 * shorter), back to back after one header: it goes whole, with
	 * UDP_SEGMENT, unless the socket doesn't take that, and then as those
	 * datagrams.
	 */
	for (i = 0, n = 0; i < p->count; i++) {
		size_t len, off = 0, step;
		struct iovec whole;
		struct mmsghdr one;

		memset(&one, 0, sizeof(one));
		if (!udp_tap_msg(p, i, af, uf, &one, &whole))
			continue;
		len = whole.iov_len;
		step = seg && seg[i] && seg[i] < len ? seg[i] : len;
		if (step && (len + step - 1) / step > UDP_SEGS_MAX) {
			debug_ratelimit("UDP: %zu bytes in segments of %zu from "
					"the guest: too many, dropped",
					len, step);
			continue;
		}
		if (step < len && !(uf->flags & UDP_F_NO_GSO) &&
		    (len + step - 1) / step <= UDP_GSO_SEGS_MAX) {
			if (n) {
				udp_tap_sendmmsg(uf->sock, mm, n);
				n = 0;
			}
			if (udp_tap_gso(uf, &one.msg_hdr, (uint16_t)step))
				continue;
		}

		do {
			if (n == UDP_BATCH) {
				udp_tap_sendmmsg(uf->sock, mm, n);
				n = 0;
			}
			mm[n] = one;
			iov[n].iov_base = (char *)whole.iov_base + off;
			iov[n].iov_len = MIN(step, len - off);
			mm[n].msg_hdr.msg_iov = &iov[n];
			n++;
			off += step;
		} while (off < len);
	}
	if (n)
		udp_tap_sendmmsg(uf->sock, mm, n);

	/* On a flow a peer opened, that's the guest's answer */
	flow_answered((union flow *)uf);
	uf->flags |= UDP_F_TAP_SENT;
	uf->ts = now->tv_sec;
	return (int)p->count;
}

/**
 * udp_to_tap() - Send a datagram of a flow to the guest
 * @c:		Execution context
 * @uf:		Flow
 * @data:	Payload
 * @len:	Length of payload
 */
static void udp_to_tap(struct ctx *c, const struct udp_flow *uf,
		       const void *data, size_t len)
{
	const struct flow_key *k = &uf->f.key;

	if (inany_is_v4(&k->src))
		frame_udp4_send(c, k->dst.v4mapped.a4, k->dport,
				k->src.v4mapped.a4, k->sport, data, len);
	else
		frame_udp6_send(c, &k->dst.a6, k->dport, &k->src.a6, k->sport,
				data, len);
}

/**
 * union udp_peer - Sender of a datagram, IPv4 or IPv6
 * @sa4:	IPv4 address and port
 * @sa6:	IPv6 address and port
 */
union udp_peer {
	struct sockaddr_in sa4;
	struct sockaddr_in6 sa6;
};

/**
 * udp_peer_eq() - Do two datagrams come from the same sender?
 * @a:		Sender of one, as recvmmsg() wrote it
 * @b:		Sender of the other
 *
 * Return: true if family, address and port (and IPv6 scope) are the same
 */
static bool udp_peer_eq(const union udp_peer *a, const union udp_peer *b)
{
	return !memcmp(a, b, a->sa4.sin_family == AF_INET ?
		       sizeof(struct sockaddr_in) :
		       sizeof(struct sockaddr_in6));
}

/**
 * udp_run_send() - Send datagrams of a flow to the guest: one alone, more
 *		    in one frame for the guest's kernel to split (USO)
 * @c:		Execution context
 * @uf:		Flow
 * @data:	Payloads: each of @seg bytes but the last, which may be shorter
 * @cnt:	Number of datagrams, at most FRAME_UDP_SEGS_MAX, and more than
 *		one only if frame_udp_gso_max() allows
 * @seg:	Datagram size
 */
static void udp_run_send(struct ctx *c, const struct udp_flow *uf,
			 const struct iovec *data, size_t cnt, size_t seg)
{
	const struct flow_key *k = &uf->f.key;

	if (cnt == 1)
		udp_to_tap(c, uf, data[0].iov_base, data[0].iov_len);
	else if (inany_is_v4(&k->src))
		frame_udp_gso_send(c, AF_INET, &k->dst.v4mapped.a4, k->dport,
				   &k->src.v4mapped.a4, k->sport, data, cnt,
				   seg);
	else
		frame_udp_gso_send(c, AF_INET6, &k->dst.a6, k->dport,
				   &k->src.a6, k->sport, data, cnt, seg);
}

/**
 * udp_gro() - Segment size of a datagram the host's kernel coalesced
 * @mm:		Message as recvmmsg() returned it
 *
 * With UDP_GRO, one message may hold datagrams of one sender that arrived
 * together (or one send() with UDP_SEGMENT made, over loopback): all of
 * the size the UDP_GRO control message gives, but the last, which may be
 * shorter.
 *
 * Return: that size, 0 if the message is one datagram
 */
static size_t udp_gro(const struct mmsghdr *mm)
{
	const struct msghdr *mh = &mm->msg_hdr;
	const struct cmsghdr *cm;
	int seg;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR((struct msghdr *)mh,
							  (struct cmsghdr *)cm)) {
		if (cm->cmsg_level != SOL_UDP || cm->cmsg_type != UDP_GRO ||
		    cm->cmsg_len < CMSG_LEN(sizeof(seg)))
			continue;
		memcpy(&seg, CMSG_DATA(cm), sizeof(seg));
		if (seg > 0 && (size_t)seg < mm->msg_len)
			return (size_t)seg;
	}
	return 0;
}

/**
 * udp_gro_to_tap() - Send datagrams the host's kernel coalesced to the guest
 * @c:		Execution context
 * @uf:		Flow
 * @buf:	Payload of the coalesced message
 * @len:	Its length
 * @seg:	Datagram size, see udp_gro()
 *
 * In frames of as many datagrams as frame_udp_gso_max() allows, one each
 * without USO: the guest gets the datagrams that were sent, boundaries kept.
 */
static void udp_gro_to_tap(struct ctx *c, const struct udp_flow *uf,
			   uint8_t *buf, size_t len, size_t seg)
{
	sa_family_t af = inany_is_v4(&uf->f.key.src) ? AF_INET : AF_INET6;
	size_t max = frame_udp_gso_max(c, af, seg), off = 0;
	struct iovec data[FRAME_UDP_SEGS_MAX];

	while (off < len) {
		size_t cnt = 0, total = 0;

		do {
			size_t dlen = MIN(seg, len - off);

			data[cnt].iov_base = buf + off;
			data[cnt++].iov_len = dlen;
			total += dlen;
			off += dlen;
		} while (off < len && cnt < FRAME_UDP_SEGS_MAX &&
			 total + MIN(seg, len - off) <= max);
		udp_run_send(c, uf, data, cnt, seg);
	}
}

/**
 * udp_run_to_tap() - Send datagrams of a flow to the guest, a run of them
 *		      in one frame where the tap takes UDP segmentation offload
 * @c:		Execution context
 * @uf:		Flow
 * @mm:		Datagrams received into udp_bufs
 * @peers:	Their senders, NULL if all come from the flow's peer
 * @first:	Index of the first datagram to send
 * @n:		Number of datagrams in @mm
 *
 * A run is what one send() with UDP_SEGMENT could have made: datagrams in
 * a row from the same sender, all as large as the first, but the last,
 * which may be shorter (and not empty), as many as frame_udp_gso_max()
 * lets into one frame. The guest's kernel splits it back into the same
 * datagrams, with their boundaries. A run of one, or without USO, goes
 * alone, as always. A message the host's kernel coalesced (UDP_GRO) goes
 * on its own, split at its datagrams' size, see udp_gro_to_tap().
 *
 * Return: index of the first datagram not sent, after @first
 */
static int udp_run_to_tap(struct ctx *c, const struct udp_flow *uf,
			  const struct mmsghdr *mm, const union udp_peer *peers,
			  int first, int n)
{
	sa_family_t af = inany_is_v4(&uf->f.key.src) ? AF_INET : AF_INET6;
	size_t seg = mm[first].msg_len, total = seg, gro = udp_gro(&mm[first]);
	struct iovec data[FRAME_UDP_SEGS_MAX];
	int i, cnt = 1;
	size_t max;

	if (gro) {
		udp_gro_to_tap(c, uf, udp_bufs[first], seg, gro);
		return first + 1;
	}

	max = frame_udp_gso_max(c, af, seg);
	for (i = first + 1; max && i < n && cnt < FRAME_UDP_SEGS_MAX; i++) {
		size_t len = mm[i].msg_len;

		if (!len || len > seg || total + len > max ||
		    (peers && !udp_peer_eq(&peers[i], &peers[first])) ||
		    udp_gro(&mm[i]))
			break;
		data[cnt].iov_base = udp_bufs[i];
		data[cnt++].iov_len = len;
		total += len;
		if (len < seg) {
			i++;
			break;
		}
	}

	data[0].iov_base = udp_bufs[first];
	data[0].iov_len = seg;
	udp_run_send(c, uf, data, (size_t)cnt, seg);
	return first + cnt;
}

/**
 * udp_icmp_to_tap() - Pass an ICMP error for a datagram on to the guest
 * @c:		Execution context
 * @uf:		Flow
 * @ee:		Extended error from the error queue
 * @data:	Start of the datagram the error is about
 * @len:	Bytes of it
 */
static void udp_icmp_to_tap(struct ctx *c, const struct udp_flow *uf,
			    const struct sock_extended_err *ee,
			    const void *data, size_t len)
{
	const struct flow_key *k = &uf->f.key;
	uint8_t buf[sizeof(struct icmphdr) + sizeof(struct ip6_hdr) +
		    sizeof(struct udphdr) + UDP_ICMP_QUOTE_MAX];
	struct udphdr uh = {
		.source = htons(k->sport),
		.dest = htons(k->dport),
		.len = htons((uint16_t)(sizeof(uh) + len)),
	};
	size_t qlen = MIN(len, (size_t)UDP_ICMP_QUOTE_MAX), off = 0;

	memset(buf, 0, sizeof(buf));

	if (inany_is_v4(&k->src)) {
		struct icmphdr *ih = (struct icmphdr *)buf;
		struct iphdr *iph = (struct iphdr *)(ih + 1);

		if (ee->ee_origin != SO_EE_ORIGIN_ICMP ||
		    ee->ee_type != ICMP_DEST_UNREACH)
			return;
		ih->type = ICMP_DEST_UNREACH;
		ih->code = ee->ee_code;
		/* The datagram as the guest sent it: its header quoted */
		frame_ip4(iph, k->src.v4mapped.a4, k->dst.v4mapped.a4,
			  IPPROTO_UDP, sizeof(uh) + len, FRAME_HLIM_DEFAULT);
		off = sizeof(*ih) + sizeof(*iph);
		memcpy(buf + off, &uh, sizeof(uh));
		memcpy(buf + off + sizeof(uh), data, qlen);
		frame_icmp4_send(c, k->dst.v4mapped.a4, k->src.v4mapped.a4,
				 buf, off + sizeof(uh) + qlen);
	} else {
		struct icmp6_hdr *ih = (struct icmp6_hdr *)buf;
		struct ip6_hdr *ip6h = (struct ip6_hdr *)(ih + 1);

		if (ee->ee_origin != SO_EE_ORIGIN_ICMP6 ||
		    ee->ee_type != ICMP6_DST_UNREACH)
			return;
		ih->icmp6_type = ICMP6_DST_UNREACH;
		ih->icmp6_code = ee->ee_code;
		frame_ip6(ip6h, &k->src.a6, &k->dst.a6, IPPROTO_UDP,
			  sizeof(uh) + len, FRAME_HLIM_DEFAULT);
		off = sizeof(*ih) + sizeof(*ip6h);
		memcpy(buf + off, &uh, sizeof(uh));
		memcpy(buf + off + sizeof(uh), data, qlen);
		frame_icmp6_send(c, &k->dst.a6, &k->src.a6, buf,
				 off + sizeof(uh) + qlen);
	}
}

/**
 * udp_sock_errors() - Read the error queue of a flow's socket
 * @c:		Execution context
 * @uf:		Flow
 *
 * syscalls: recvmsg
 */
static void udp_sock_errors(struct ctx *c, struct udp_flow *uf)
{
	int i;

	for (i = 0; i < UDP_READ_ROUNDS; i++) {
		char cbuf[CMSG_SPACE(sizeof(struct sock_extended_err) +
				     sizeof(struct sockaddr_in6))];
		struct iovec iov = { .iov_base = udp_bufs[0],
				     .iov_len = UDP_BUF_SIZE };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;
		ssize_t n;

		n = recvmsg(uf->sock, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0)
			return;

		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			const struct sock_extended_err *ee;

			if (!((cm->cmsg_level == IPPROTO_IP &&
			       cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == IPPROTO_IPV6 &&
			       cm->cmsg_type == IPV6_RECVERR)))
				continue;
			if (cm->cmsg_len < CMSG_LEN(sizeof(*ee)))
				continue;
			ee = (const struct sock_extended_err *)CMSG_DATA(cm);
			udp_icmp_to_tap(c, uf, ee, udp_bufs[0], (size_t)n);
		}
	}
}

/**
 * udp_mmsg_init() - Prepare headers for a recvmmsg() into udp_bufs
 * @mm:		UDP_BATCH message headers
 * @iov:	UDP_BATCH buffer descriptors
 * @peers:	UDP_BATCH sender addresses to fill, NULL if not needed
 */
static void udp_mmsg_init(struct mmsghdr *mm, struct iovec *iov,
			  union udp_peer *peers)
{
	int i;

	memset(mm, 0, sizeof(*mm) * UDP_BATCH);
	for (i = 0; i < UDP_BATCH; i++) {
		iov[i].iov_base = udp_bufs[i];
		iov[i].iov_len = UDP_BUF_SIZE;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		if (peers) {
			mm[i].msg_hdr.msg_name = &peers[i];
			mm[i].msg_hdr.msg_namelen = sizeof(peers[i]);
		}
	}
}

/**
 * udp_sock_handler() - Datagrams or errors on an outbound flow's socket
 * @c:		Execution context
 * @ref:	epoll reference: flow index in data
 * @events:	epoll events
 * @now:	Current time
 *
 * syscalls: recvmmsg sendmmsg
 */
void udp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
		      const struct timespec *now)
{
	union flow *flow = flow_from_ref(ref.data, FLOW_UDP);
	struct mmsghdr mm[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct udp_flow *uf;
	int i, r, n;

	if (!flow || flow->udp.sock != ref.fd)
		return;
	uf = &flow->udp;

	if (events & EPOLLERR)
		udp_sock_errors(c, uf);
	if (!(events & EPOLLIN))
		return;

	for (r = 0; r < UDP_READ_ROUNDS; r++) {
		udp_mmsg_init(mm, iov, NULL);
		for (i = 0; i < UDP_BATCH && !(uf->flags & UDP_F_SPLICE); i++) {
			mm[i].msg_hdr.msg_control = udp_gro_cmsg[i].buf;
			mm[i].msg_hdr.msg_controllen =
				sizeof(udp_gro_cmsg[i].buf);
		}

		n = recvmmsg(uf->sock, mm, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno == ECONNREFUSED)
				udp_sock_errors(c, uf);
			break;
		}
		if (uf->flags & UDP_F_SPLICE) {
			socklen_t sl = uf->peer.sa4.sin_family == AF_INET ?
				       sizeof(uf->peer.sa4) :
				       sizeof(uf->peer.sa6);

			/* From the host's loopback: the namespace answers */
			flow_answered(flow);

			for (i = 0; i < n; i++) {
				mm[i].msg_hdr.msg_name = &uf->peer;
				mm[i].msg_hdr.msg_namelen = sl;
				iov[i].iov_len = mm[i].msg_len;
			}
			if (sendmmsg(uf->shared, mm, (unsigned int)n,
				     MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				debug_ratelimit("UDP: splice send failed: %s",
						strerror(errno));
		} else {
			for (i = 0; i < n; )
				i = udp_run_to_tap(c, uf, mm, NULL, i, n);
		}

		uf->flags |= UDP_F_SOCK_SENT;
		uf->ts = now->tv_sec;
		if (n < UDP_BATCH)
			break;
	}
}

/**
 * struct udp_connect_arg - A connected socket to open
 * @af:		Address family
 * @to:		Address to connect to
 * @sl:		Length of @to
 */
struct udp_connect_arg {
	sa_family_t af;
	const struct sockaddr *to;
	socklen_t sl;
};

/**
 * udp_connect_sock() - Open a socket connected to a target, see ns_sock()
 * @arg:	struct udp_connect_arg
 *
 * Return: the socket, -1 on failure
 *
 * syscalls(pasta): socket connect close
 */
static int udp_connect_sock(const void *arg)
{
	const struct udp_connect_arg *a = arg;
	int s;

	s = sock_open(a->af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		   IPPROTO_UDP);
	if (s >= 0 && connect(s, a->to, a->sl)) {
		close(s);
		return -1;
	}
	return s;
}

/**
 * udp_splice_datagrams() - Loopback datagrams on a bound socket: send them
 *			    on through the flow's socket on the other side
 * @c:		Execution context
 * @from_ns:	The bound socket is in the namespace (-U), not on the host
 * @shared:	The bound socket
 * @port:	Port it's bound to
 * @peers:	Senders of the datagrams
 * @mm:		Datagrams as received
 * @first:	First datagram to send on
 * @n:		Number of datagrams received
 * @now:	Current time
 *
 * Return: index of the first datagram not handled (a different peer)
 *
 * syscalls(pasta): sendmmsg close
 */
static int udp_splice_datagrams(struct ctx *c, bool from_ns, int shared,
				uint16_t port, const union udp_peer *peers,
				struct mmsghdr *mm, int first, int n,
				const struct timespec *now)
{
	const union udp_peer *peer = &peers[first];
	sa_family_t af = peer->sa4.sin_family;
	union sockaddr_inany to;
	union inany_addr a;
	struct udp_flow *uf;
	struct flow_key key;
	union flow *flow;
	uint16_t pport, target;
	int i, last;

	if (af == AF_INET) {
		inany_from_af(&a, AF_INET, &peer->sa4.sin_addr);
		pport = ntohs(peer->sa4.sin_port);
	} else {
		inany_from_af(&a, AF_INET6, &peer->sa6.sin6_addr);
		pport = ntohs(peer->sa6.sin6_port);
	}

	/* The run: consecutive datagrams from the same peer */
	for (last = first + 1; last < n; last++)
		if (!udp_peer_eq(&peers[last], peer))
			break;

	memset(&key, 0, sizeof(key));
	key.src = a;
	key.sport = pport;
	key.dport = port;
	key.proto = IPPROTO_UDP;
	key.pif = from_ns ? PIF_NS : PIF_HOST;

	flow = flow_lookup(&key);
	if (!flow) {
		union epoll_ref ref = { .type = EPOLL_TYPE_UDP };
		struct udp_connect_arg a;
		socklen_t sl;
		int s;

		target = fwd_port_target(from_ns ? &c->udp_out : &c->udp_in,
					 port);
		/* Without an IPv6 address, the namespace's loopback takes it */
		fwd_splice_sockaddr(c, af, target,
				    from_ns || c->host_lo_to_ns_lo, &to, &sl);

		a.af = af;
		a.to = &to.sa;
		a.sl = sl;
		s = ns_sock(c, !from_ns, udp_connect_sock, &a);
		if (s < 0)
			return last;
		udp_sock_bufs(s);

		flow = flow_alloc(c, from_ns ? FLOW_ORIGIN_GUEST :
					  FLOW_ORIGIN_PEER);
		if (!flow) {
			warn_ratelimit("Flow table full: dropping UDP");
			close(s);
			return last;
		}
		uf = &flow->udp;
		uf->f.type = FLOW_UDP;
		uf->f.key = key;
		uf->sock = s;
		uf->shared = shared;
		uf->flags = UDP_F_SPLICE | UDP_F_INBOUND;
		memcpy(&uf->peer, peer, af == AF_INET ?
		       sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		ref.fd = s;
		ref.data = flow_ref(flow);
		if (epoll_add(c, EPOLLIN, ref) || flow_hash_insert(flow)) {
			close(s);
			flow_free(flow);
			return last;
		}
		/* From the host: may go first until the namespace answers */
		flow_set_unanswered(flow);
	}
	uf = &flow->udp;

	for (i = first; i < last; i++) {
		mm[i].msg_hdr.msg_name = NULL;
		mm[i].msg_hdr.msg_namelen = 0;
		mm[i].msg_hdr.msg_iov->iov_len = mm[i].msg_len;
	}
	if (sendmmsg(uf->sock, mm + first, (unsigned int)(last - first),
		     MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		debug_ratelimit("UDP: splice send failed: %s",
				strerror(errno));
	uf->flags |= UDP_F_TAP_SENT;
	uf->ts = now->tv_sec;
	return last;
}

/**
 * udp_listen_handler() - Datagrams on a -u port, or on a -U port in the
 *			  namespace
 * @c:		Execution context
 * @ref:	epoll reference: port in data
 * @events:	epoll events
 * @now:	Current time
 *
 * syscalls: recvmmsg
 */
void udp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
			const struct timespec *now)
{
	union udp_peer peers[UDP_BATCH];
	uint16_t port = (uint16_t)ref.data;
	struct mmsghdr mm[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	int i, n;

	if (!(events & EPOLLIN))
		return;

	udp_mmsg_init(mm, iov, peers);

	n = recvmmsg(ref.fd, mm, UDP_BATCH, MSG_DONTWAIT, NULL);

	if (ref.type == EPOLL_TYPE_UDP_LISTEN_NS) {
		/* -U: all from the namespace's loopback, to the host's */
		for (i = 0; i < n; )
			i = udp_splice_datagrams(c, true, ref.fd, port, peers,
						 mm, i, n, now);
		return;
	}

	for (i = 0; i < n; i++) {
		union inany_addr peer, remote, guest;
		struct udp_flow *uf;
		struct flow_key key;
		union flow *flow;
		uint16_t peer_port;

		if (c->mode == MODE_PASTA && !c->no_splice &&
		    ((peers[i].sa4.sin_family == AF_INET &&
		      (ntohl(peers[i].sa4.sin_addr.s_addr) >> 24) ==
		      IN_LOOPBACKNET) ||
		     (peers[i].sa4.sin_family == AF_INET6 &&
		      IN6_IS_ADDR_LOOPBACK(&peers[i].sa6.sin6_addr)))) {
			i = udp_splice_datagrams(c, false, ref.fd, port, peers,
						 mm, i, n, now) - 1;
			continue;
		}

		if (peers[i].sa4.sin_family == AF_INET) {
			inany_from_af(&peer, AF_INET, &peers[i].sa4.sin_addr);
			peer_port = ntohs(peers[i].sa4.sin_port);
			if (!c->ifi4)
				continue;
		} else {
			inany_from_af(&peer, AF_INET6,
				      &peers[i].sa6.sin6_addr);
			peer_port = ntohs(peers[i].sa6.sin6_port);
			if (!c->ifi6)
				continue;
		}

		fwd_nat_to_tap(c, &peer, &remote, &guest);
		memset(&key, 0, sizeof(key));
		key.src = guest;
		key.dst = remote;
		key.sport = fwd_port_target(&c->udp_in, port);
		key.dport = peer_port;
		key.proto = IPPROTO_UDP;

		flow = flow_lookup(&key);
		if (!flow) {
			flow = flow_alloc(c, FLOW_ORIGIN_PEER);
			if (!flow) {
				warn_ratelimit("Flow table full: dropping "
					       "UDP to port %u", port);
				continue;
			}
			uf = &flow->udp;
			uf->f.type = FLOW_UDP;
			uf->f.key = key;
			uf->sock = ref.fd;
			uf->flags = UDP_F_INBOUND;
			memcpy(&uf->peer, &peers[i], sizeof(uf->peer));
			if (flow_hash_insert(flow)) {
				flow_free(flow);
				continue;
			}
			/* One forged datagram made it: first to go, until
			 * the guest answers
			 */
			flow_set_unanswered(flow);
		}
		uf = &flow->udp;
		if (uf->sock != ref.fd) {
			/* The guest started this flow from its side, on a
			 * socket of its own: the peer answered on ours.
			 */
			continue;
		}
		/* Those after it from the same peer may go along */
		i = udp_run_to_tap(c, uf, mm, peers, i, n) - 1;
		uf->flags |= UDP_F_SOCK_SENT;
		uf->ts = now->tv_sec;
	}
}

/**
 * udp_flow_timer() - Close a flow idle for too long
 * @c:		Execution context
 * @flow:	The flow's entry
 * @now:	Current time
 *
 * Return: true if the flow was closed, and freed
 */
static bool udp_flow_timer(struct ctx *c, union flow *flow,
			   const struct timespec *now)
{
	struct udp_flow *uf = &flow->udp;
	time_t timeout = (uf->flags & UDP_F_TAP_SENT) &&
			 (uf->flags & UDP_F_SOCK_SENT) ?
			 UDP_TIMEOUT : UDP_TIMEOUT_ONEWAY;

	if (now->tv_sec - uf->ts <= timeout)
		return false;

	udp_flow_close(c, uf);
	return true;
}

/**
 * udp_open() - A socket bound to a -u or -U port
 * @af:		Address family
 * @port:	Port
 * @rule:	Forwarding rule of the port, NULL if none
 *
 * Return: socket, -1 on failure
 */
static int udp_open(sa_family_t af, uint16_t port, const struct fwd_rule *rule)
{
	int s = sock_bind_port(af, SOCK_DGRAM, port, rule);

	if (s >= 0)
		udp_sock_bufs(s);
	return s;
}

/**
 * udp_drop_sock() - A -u or -U socket is about to close: close its flows
 * @c:		Execution context
 * @s:		The socket
 */
static void udp_drop_sock(struct ctx *c, int s)
{
	union flow *flow;

	flow_foreach(flow, FLOW_UDP) {
		struct udp_flow *uf = &flow->udp;

		if (!(uf->flags & UDP_F_INBOUND))
			continue;
		if (uf->sock == s ||
		    ((uf->flags & UDP_F_SPLICE) && uf->shared == s))
			udp_flow_close(c, uf);
	}
}

/**
 * udp_flow_drop() - The guest is gone: close a flow
 * @c:		Execution context
 * @flow:	Flow
 */
static void udp_flow_drop(struct ctx *c, union flow *flow)
{
	udp_flow_close(c, &flow->udp);
}

/**
 * udp_flow_sock() - An outbound flow's own socket, for flow_addr_gone()
 * @flow:	Flow
 *
 * connect() gave it the source address the host had then, bound or not:
 * flows from a -u or -U socket have the bound socket's address (or none)
 * or live between loopbacks.
 *
 * Return: the socket, -1 for inbound and spliced flows
 */
static int udp_flow_sock(const union flow *flow)
{
	if (flow->udp.flags & (UDP_F_INBOUND | UDP_F_SPLICE))
		return -1;
	return flow->udp.sock;
}

/**
 * udp_init() - The flow timer and closing of flows, how to open -u and -U
 *		sockets
 * @c:		Execution context
 */
void udp_init(struct ctx *c)
{
	static const struct flow_ops ops = {
		.timer = udp_flow_timer, .close = udp_flow_drop,
		.sock = udp_flow_sock, .gone = udp_flow_drop,
	};

	(void)c;
	flow_register(FLOW_UDP, &ops);
	fwd_socks_register(FWD_UDP_IN, udp_open, udp_drop_sock);
	fwd_socks_register(FWD_UDP_OUT, udp_open, udp_drop_sock);
}
