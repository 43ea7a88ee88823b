// SPDX-License-Identifier: GPL-2.0-or-later
/* tap.c - The guest side: both transports, frame parsing, batched output
 *
 * passt talks to qemu over a UNIX domain stream socket: each Ethernet frame
 * is preceded by its length, a 32-bit big-endian number. One read can carry
 * many frames and a frame can be split across reads, so the receive path
 * keeps a partial frame at the start of its buffer until the rest arrives.
 * A length that no Ethernet frame can have (shorter than an Ethernet
 * header, longer than a maximum IP packet plus header) means the stream is
 * out of sync or hostile: the connection is closed and logged, and passt
 * listens again, rather than guessing where the next frame starts.
 *
 * pasta reads a tap device in the namespace: every read is exactly one
 * frame, and many reads are done per wakeup.
 *
 * Either way, frames are collected into a packet pool (packet.c) and then
 * parsed: Ethernet, then IPv4 or IPv6 with lengths checked against what was
 * received, then handed to the protocol that owns them. Consecutive frames
 * of one flow (same addresses, protocol and ports) are handed on together
 * so that a protocol can make one socket call for the whole run.
 *
 * Output is queued and flushed once per loop iteration: for passt, one
 * sendmsg() carries every queued frame with its length prefix. A stream
 * socket may take only part of that; the rest of a frame that was started
 * is kept and written first next time, so the framing never breaks, and
 * frames that can't be queued are dropped (and counted), never blocked on.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "arp.h"
#include "checksum.h"
#include "dhcp.h"
#include "dhcpv6.h"
#include "icmp.h"
#include "ndp.h"
#include "log.h"
#include "passt.h"
#include "pcap.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"

struct tap_stats tap_stats;
unsigned long tap_flush_gen;	/* Counts flushes: frames by reference free */

/* Receive side: frames land here, the pool describes them */
static char tap_buf[TAP_BUF_BYTES];
static size_t tap_buf_partial;		/* passt: bytes of an incomplete frame */
PACKET_POOL_DECL(tap_pool, TAP_POOL_FRAMES, tap_buf, sizeof(tap_buf));

/* Output side: queued frames, each with room for the 4-byte length */
static char tap_out[TAP_OUT_BYTES];
static size_t tap_out_used;
static struct iovec tap_out_iov[TAP_OUT_FRAMES * 2];
static uint32_t tap_out_len[TAP_OUT_FRAMES];
static size_t tap_out_frames;

/* passt: bytes the socket didn't take yet, whole frames (but the first,
 * which may have been started), with their length prefixes
 */
static char tap_backlog[TAP_BACKLOG_BYTES];
static size_t tap_backlog_len;

/**
 * tap_sock_unlink() - Remove passt's socket file, if we created one
 * @c:		Execution context
 */
void tap_sock_unlink(const struct ctx *c)
{
	if (c->mode == MODE_PASST && !c->fd_tap_given && *c->sock_path)
		unlink(c->sock_path);
}

/**
 * tap_sock_try_path() - Bind a UNIX socket to a path if nobody listens there
 * @fd:		Socket
 * @path:	Path
 * @explicit:	Path given by the user: report problems as fatal
 *
 * Return: 0 if bound, -1 if the path is taken by a live listener
 */
static int tap_sock_try_path(int fd, const char *path, bool explicit)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int probe;

	strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);

	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return 0;
	if (errno != EADDRINUSE) {
		if (explicit)
			die_perror("Can't bind UNIX socket %s", path);
		return -1;
	}

	/* A leftover socket file from a dead instance can be replaced; a
	 * live one is somebody else's.
	 */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		die_perror("Can't create UNIX socket");
	if (connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0 ||
	    errno != ECONNREFUSED) {
		close(probe);
		if (explicit)
			die("Socket path %s is in use by another instance",
			    path);
		return -1;
	}
	close(probe);

	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return 0;
	if (explicit)
		die_perror("Can't bind UNIX socket %s", path);
	return -1;
}

/**
 * tap_sock_init() - passt: create the listening socket, or take --fd
 * @c:		Execution context
 */
void tap_sock_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_LISTEN };
	int fd, i;

	if (c->fd_tap_given) {
		ref.type = EPOLL_TYPE_TAP_PASST;
		ref.fd = c->fd_tap;
		fd_set_nonblock(c->fd_tap);
		if (epoll_add(c, EPOLLIN | EPOLLRDHUP, ref))
			die("Can't watch the descriptor given with --fd");
		info("Using connected socket on descriptor %i", c->fd_tap);
		return;
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_perror("Can't create UNIX socket");

	if (*c->sock_path) {
		tap_sock_try_path(fd, c->sock_path, true);
	} else {
		for (i = 1; i < UNIX_SOCK_MAX; i++) {
			snprintf(c->sock_path, sizeof(c->sock_path),
				 "/tmp/passt_%i.socket", i);
			if (!tap_sock_try_path(fd, c->sock_path, false))
				break;
		}
		if (i == UNIX_SOCK_MAX) {
			*c->sock_path = '\0';
			die("No free socket path in /tmp/passt_1.socket to "
			    "/tmp/passt_%i.socket", UNIX_SOCK_MAX - 1);
		}
	}

	if (listen(fd, 1) < 0) {
		tap_sock_unlink(c);
		die_perror("Can't listen on UNIX socket %s", c->sock_path);
	}

	c->fd_tap_listen = fd;
	ref.fd = fd;
	epoll_add(c, EPOLLIN, ref);

	info("UNIX domain socket bound at %s", c->sock_path);
	info("You can now start qemu (>= 7.2, with commit 13c6be96618c):");
	info("    kvm ... -device virtio-net-pci,netdev=s "
	     "-netdev stream,id=s,server=off,addr.type=unix,addr.path=%s",
	     c->sock_path);
	info("or qrap, for earlier qemu versions:");
	info("    ./qrap 5 kvm ... -net socket,fd=5 -net nic,model=virtio");
}

/**
 * tap_passt_reset() - Forget the state of a guest connection
 */
static void tap_passt_reset(void)
{
	tap_buf_partial = 0;
	tap_backlog_len = 0;
	tap_out_used = 0;
	tap_out_frames = 0;
	pool_flush(&tap_pool);
}

/**
 * tap_listen_handler() - passt: a guest connects
 * @c:		Execution context
 * @events:	epoll events
 */
void tap_listen_handler(struct ctx *c, uint32_t events)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_PASST };
	struct ucred cred;
	socklen_t sl = sizeof(cred);
	int fd;

	(void)events;

	fd = accept4(c->fd_tap_listen, NULL, NULL,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;

	if (c->fd_tap >= 0) {
		/* One guest at a time: tell the newcomer by closing */
		warn("Another guest is already connected, refusing a new one");
		close(fd);
		return;
	}

	if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl))
		info("Guest connected (pid %i, uid %u)", cred.pid, cred.uid);
	else
		info("Guest connected");

	tap_passt_reset();
	c->fd_tap = fd;
	ref.fd = fd;
	epoll_add(c, EPOLLIN | EPOLLRDHUP, ref);
}

/**
 * tap_passt_close() - passt: the guest is gone, listen again or quit
 * @c:		Execution context
 */
static void tap_passt_close(struct ctx *c)
{
	epoll_del(c, c->fd_tap);
	close(c->fd_tap);
	c->fd_tap = -1;
	tap_passt_reset();

	if (c->one_off || c->fd_tap_given) {
		info("Guest disconnected, exiting (%s)",
		     c->fd_tap_given ? "--fd" : "--one-off");
		passt_exit(c, EXIT_SUCCESS);
	}
	info("Guest disconnected, waiting for a new connection");
}

/**
 * tap_stream_parse() - Split qemu stream data into frames
 * @frames:	Pool to add complete frames to
 * @buf:	Data: length-prefixed frames, possibly ending with a partial one
 * @len:	Bytes of data
 * @consumed:	Set to the bytes taken by complete frames (or up to the
 *		first frame the pool had no room for)
 *
 * Return: 0 on success, -1 if a length is impossible (stream out of sync)
 */
int tap_stream_parse(struct pool *frames, char *buf, size_t len,
		     size_t *consumed)
{
	size_t off = 0;

	while (len - off >= sizeof(uint32_t)) {
		uint32_t flen;

		memcpy(&flen, buf + off, sizeof(flen));
		flen = ntohl(flen);

		if (flen < TAP_FRAME_MIN || flen > TAP_FRAME_MAX) {
			*consumed = off;
			return -1;
		}
		if (len - off - sizeof(uint32_t) < flen)
			break;			/* Rest arrives later */
		if (pool_full(frames))
			break;

		packet_add(frames, flen, buf + off + sizeof(uint32_t));
		off += sizeof(uint32_t) + flen;
	}

	*consumed = off;
	return 0;
}

/**
 * tap_passt_handler() - passt: data or hangup on the guest's socket
 * @c:		Execution context
 * @events:	epoll events
 * @now:	Current time
 */
void tap_passt_handler(struct ctx *c, uint32_t events,
		       const struct timespec *now)
{
	bool eof = false;
	int rounds;

	if (events & EPOLLOUT) {
		tap_flush(c);
		if (!tap_backlogged())
			tcp_tap_resume(c, now);
	}

	if (!(events & EPOLLIN)) {
		if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
			tap_passt_close(c);
		return;
	}

	/* Bounded: level-triggered epoll calls us again if data is left */
	for (rounds = 0; rounds < TAP_READ_ROUNDS; rounds++) {
		size_t total, off = 0, consumed;
		ssize_t n;
		int rc;

		n = recv(c->fd_tap, tap_buf + tap_buf_partial,
			 sizeof(tap_buf) - tap_buf_partial, MSG_DONTWAIT);
		if (n == 0) {
			eof = true;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				warn_perror("Guest socket read error");
				eof = true;
			}
			break;
		}

		total = tap_buf_partial + (size_t)n;
		do {
			pool_flush(&tap_pool);
			rc = tap_stream_parse(&tap_pool, tap_buf + off,
					      total - off, &consumed);
			tap_handler(c, &tap_pool, now);
			off += consumed;
		} while (!rc && consumed && pool_full(&tap_pool));

		if (rc) {
			uint32_t bad;

			memcpy(&bad, tap_buf + off, sizeof(bad));
			err("Impossible frame length %u from guest, "
			    "closing the connection", ntohl(bad));
			eof = true;
			break;
		}

		tap_buf_partial = total - off;
		memmove(tap_buf, tap_buf + off, tap_buf_partial);
	}

	tap_flush(c);
	if (eof)
		tap_passt_close(c);
}

/**
 * tap_pasta_handler() - pasta: frames on the tap device
 * @c:		Execution context
 * @events:	epoll events
 * @now:	Current time
 */
void tap_pasta_handler(struct ctx *c, uint32_t events,
		       const struct timespec *now)
{
	size_t used = 0;

	if (events & EPOLLOUT)
		tap_flush(c);

	if (events & (EPOLLHUP | EPOLLERR))
		die("Tap device closed, exiting");

	if (!(events & EPOLLIN))
		return;

	pool_flush(&tap_pool);
	while (sizeof(tap_buf) - used >= TAP_FRAME_MAX &&
	       !pool_full(&tap_pool)) {
		ssize_t n = read(c->fd_tap, tap_buf + used, TAP_FRAME_MAX);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				warn_perror("Tap read error");
			break;
		}
		if (n == 0)
			die("Tap device closed, exiting");
		if (n < TAP_FRAME_MIN) {
			tap_stats.dropped_in++;
			continue;
		}
		packet_add(&tap_pool, (size_t)n, tap_buf + used);
		used += ROUND_UP((size_t)n, 8);
	}

	tap_handler(c, &tap_pool, now);
	tap_flush(c);
}

/**
 * tap_send_iov() - Queue one frame, given in pieces, for the guest
 * @c:		Execution context
 * @iov:	Pieces of the frame, starting with the Ethernet header
 * @cnt:	Number of pieces
 *
 * The frame is copied to the output queue, so the caller's buffers can be
 * reused at once. The queue is flushed at the end of the loop iteration,
 * or right now if it is full.
 */
void tap_send_iov(struct ctx *c, const struct iovec *iov, size_t cnt)
{
	size_t len = 0, i;
	char *dst;

	for (i = 0; i < cnt; i++)
		len += iov[i].iov_len;

	if (len < TAP_FRAME_MIN || len > TAP_FRAME_MAX) {
		tap_stats.dropped_out++;
		return;
	}
	if (c->fd_tap < 0)
		return;

	if (tap_out_frames >= TAP_OUT_FRAMES ||
	    sizeof(tap_out) - tap_out_used < len)
		tap_flush(c);
	if (tap_out_frames >= TAP_OUT_FRAMES ||
	    sizeof(tap_out) - tap_out_used < len) {
		tap_stats.dropped_out++;
		return;
	}

	dst = tap_out + tap_out_used;
	for (i = 0; i < cnt; i++) {
		memcpy(dst, iov[i].iov_base, iov[i].iov_len);
		dst += iov[i].iov_len;
	}

	tap_out_len[tap_out_frames] = htonl((uint32_t)len);
	tap_out_iov[tap_out_frames * 2].iov_base = &tap_out_len[tap_out_frames];
	tap_out_iov[tap_out_frames * 2].iov_len = sizeof(uint32_t);
	tap_out_iov[tap_out_frames * 2 + 1].iov_base = tap_out + tap_out_used;
	tap_out_iov[tap_out_frames * 2 + 1].iov_len = len;
	tap_out_frames++;
	tap_out_used += ROUND_UP(len, 8);
}

/**
 * tap_send_frame_ref() - Queue a frame without copying it
 * @c:		Execution context
 * @frame:	Frame, starting with the Ethernet header: it must stay
 *		unchanged until the next tap_flush() (see tap_flush_gen)
 * @len:	Length of the frame
 *
 * Return: true if queued, false if dropped
 */
bool tap_send_frame_ref(struct ctx *c, const void *frame, size_t len)
{
	if (len < TAP_FRAME_MIN || len > TAP_FRAME_MAX || c->fd_tap < 0) {
		tap_stats.dropped_out++;
		return false;
	}
	if (tap_out_frames >= TAP_OUT_FRAMES)
		tap_flush(c);

	tap_out_len[tap_out_frames] = htonl((uint32_t)len);
	tap_out_iov[tap_out_frames * 2].iov_base = &tap_out_len[tap_out_frames];
	tap_out_iov[tap_out_frames * 2].iov_len = sizeof(uint32_t);
	tap_out_iov[tap_out_frames * 2 + 1].iov_base = (void *)(uintptr_t)frame;
	tap_out_iov[tap_out_frames * 2 + 1].iov_len = len;
	tap_out_frames++;
	return true;
}

/**
 * tap_send_frame() - Queue one frame for the guest
 * @c:		Execution context
 * @frame:	Frame, starting with the Ethernet header
 * @len:	Length of the frame
 */
void tap_send_frame(struct ctx *c, const void *frame, size_t len)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)frame,
			     .iov_len = len };

	tap_send_iov(c, &iov, 1);
}

/**
 * tap_eth_dst() - Destination MAC address for a frame to the guest
 * @c:		Execution context
 * @af:		Address family of @dst
 * @dst:	Destination IP address
 * @mac:	Set to the MAC address
 */
static void tap_eth_dst(const struct ctx *c, sa_family_t af, const void *dst,
			uint8_t *mac)
{
	static const uint8_t zero[ETH_ALEN];

	if (af == AF_INET6 && IN6_IS_ADDR_MULTICAST((const struct in6_addr *)dst)) {
		const uint8_t *a = dst;

		mac[0] = mac[1] = 0x33;
		memcpy(mac + 2, a + 12, 4);
		return;
	}
	if ((af == AF_INET &&
	     ((const struct in_addr *)dst)->s_addr == htonl(INADDR_BROADCAST)) ||
	    !memcmp(c->guest_mac, zero, ETH_ALEN)) {
		memset(mac, 0xff, ETH_ALEN);
		return;
	}
	memcpy(mac, c->guest_mac, ETH_ALEN);
}

/**
 * tap_ip4_send() - Build an IPv4 frame around a layer 4 packet, queue it
 * @c:		Execution context
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Protocol number
 * @l4:		Layer 4 header (and payload), checksum already set
 * @hlen:	Length of @l4
 * @data:	Payload, if not in @l4: NULL if none
 * @dlen:	Length of @data
 */
static void tap_ip4_send(struct ctx *c, struct in_addr src,
			 struct in_addr dst, uint8_t proto, const void *l4,
			 size_t hlen, const void *data, size_t dlen)
{
	struct {
		struct ethhdr eh;
		struct iphdr iph;
	} __attribute__((packed)) h;
	size_t l4len = hlen + dlen;
	struct iovec iov[3];

	if (l4len > 65535 - sizeof(h.iph))
		return;

	tap_eth_dst(c, AF_INET, &dst, h.eh.h_dest);
	memcpy(h.eh.h_source, c->our_tap_mac, ETH_ALEN);
	h.eh.h_proto = htons(ETH_P_IP);

	memset(&h.iph, 0, sizeof(h.iph));
	h.iph.version = 4;
	h.iph.ihl = sizeof(h.iph) / 4;
	h.iph.tot_len = htons((uint16_t)(sizeof(h.iph) + l4len));
	h.iph.frag_off = htons(IP_DF);
	h.iph.ttl = 255;
	h.iph.protocol = proto;
	h.iph.saddr = src.s_addr;
	h.iph.daddr = dst.s_addr;
	h.iph.check = csum_ip4_header(&h.iph, sizeof(h.iph));

	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)l4;
	iov[1].iov_len = hlen;
	iov[2].iov_base = (void *)(uintptr_t)data;
	iov[2].iov_len = dlen;
	tap_send_iov(c, iov, dlen ? 3 : 2);
}

/**
 * tap_ip6_send() - Build an IPv6 frame around a layer 4 packet, queue it
 * @c:		Execution context
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Next header
 * @l4:		Layer 4 header (and payload), checksum already set
 * @hlen:	Length of @l4
 * @data:	Payload, if not in @l4: NULL if none
 * @dlen:	Length of @data
 */
static void tap_ip6_send(struct ctx *c, const struct in6_addr *src,
			 const struct in6_addr *dst, uint8_t proto,
			 const void *l4, size_t hlen, const void *data,
			 size_t dlen)
{
	struct {
		struct ethhdr eh;
		struct ip6_hdr ip6h;
	} __attribute__((packed)) h;
	size_t l4len = hlen + dlen;
	struct iovec iov[3];

	if (l4len > 65535)
		return;

	tap_eth_dst(c, AF_INET6, dst, h.eh.h_dest);
	memcpy(h.eh.h_source, c->our_tap_mac, ETH_ALEN);
	h.eh.h_proto = htons(ETH_P_IPV6);

	memset(&h.ip6h, 0, sizeof(h.ip6h));
	h.ip6h.ip6_flow = htonl(6U << 28);
	h.ip6h.ip6_plen = htons((uint16_t)l4len);
	h.ip6h.ip6_nxt = proto;
	h.ip6h.ip6_hlim = 255;	/* Required for NDP (RFC 4861, 6.1) */
	h.ip6h.ip6_src = *src;
	h.ip6h.ip6_dst = *dst;

	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)l4;
	iov[1].iov_len = hlen;
	iov[2].iov_base = (void *)(uintptr_t)data;
	iov[2].iov_len = dlen;
	tap_send_iov(c, iov, dlen ? 3 : 2);
}

/**
 * tap_udp4_send() - Send a UDP datagram over IPv4 to the guest
 * @c:		Execution context
 * @src:	Source address
 * @sport:	Source port, host order
 * @dst:	Destination address (broadcast goes to the broadcast MAC)
 * @dport:	Destination port, host order
 * @data:	Payload
 * @len:	Length of payload
 */
void tap_udp4_send(struct ctx *c, struct in_addr src, in_port_t sport,
		   struct in_addr dst, in_port_t dport, const void *data,
		   size_t len)
{
	size_t l4len = sizeof(struct udphdr) + len;
	struct udphdr uh;
	uint32_t sum;

	if (len > 65535 - sizeof(uh) - sizeof(struct iphdr))
		return;

	uh.source = htons(sport);
	uh.dest = htons(dport);
	uh.len = htons((uint16_t)l4len);
	uh.check = 0;
	/* The header has an even length: its sum and the payload's add up */
	sum = csum_unfolded(&uh, sizeof(uh),
			    csum_pseudo4(src, dst, IPPROTO_UDP, l4len));
	uh.check = csum(data, len, sum);
	if (!uh.check)
		uh.check = 0xffff;

	tap_ip4_send(c, src, dst, IPPROTO_UDP, &uh, sizeof(uh), data, len);
}

/**
 * tap_udp6_send() - Send a UDP datagram over IPv6 to the guest
 * @c:		Execution context
 * @src:	Source address
 * @sport:	Source port, host order
 * @dst:	Destination address
 * @dport:	Destination port, host order
 * @data:	Payload
 * @len:	Length of payload
 */
void tap_udp6_send(struct ctx *c, const struct in6_addr *src, in_port_t sport,
		   const struct in6_addr *dst, in_port_t dport,
		   const void *data, size_t len)
{
	size_t l4len = sizeof(struct udphdr) + len;
	struct udphdr uh;
	uint32_t sum;

	if (len > 65535 - sizeof(uh))
		return;

	uh.source = htons(sport);
	uh.dest = htons(dport);
	uh.len = htons((uint16_t)l4len);
	uh.check = 0;
	sum = csum_unfolded(&uh, sizeof(uh),
			    csum_pseudo6(src, dst, IPPROTO_UDP, l4len));
	uh.check = csum(data, len, sum);
	if (!uh.check)
		uh.check = 0xffff;

	tap_ip6_send(c, src, dst, IPPROTO_UDP, &uh, sizeof(uh), data, len);
}

/**
 * tap_icmp4_send() - Send an ICMP message to the guest
 * @c:		Execution context
 * @src:	Source address
 * @dst:	Destination address
 * @icmp:	ICMP header and payload: the checksum is computed here
 * @len:	Length of @icmp
 */
void tap_icmp4_send(struct ctx *c, struct in_addr src, struct in_addr dst,
		    void *icmp, size_t len)
{
	uint8_t *p = icmp;

	if (len < 4)
		return;
	p[2] = p[3] = 0;
	{
		uint16_t sum = csum(icmp, len, 0);

		memcpy(p + 2, &sum, sizeof(sum));
	}
	tap_ip4_send(c, src, dst, IPPROTO_ICMP, icmp, len, NULL, 0);
}

/**
 * tap_icmp6_send() - Send an ICMPv6 message to the guest
 * @c:		Execution context
 * @src:	Source address
 * @dst:	Destination address
 * @icmp6:	ICMPv6 header and payload: the checksum is computed here
 * @len:	Length of @icmp6
 */
void tap_icmp6_send(struct ctx *c, const struct in6_addr *src,
		    const struct in6_addr *dst, void *icmp6, size_t len)
{
	uint8_t *p = icmp6;
	uint16_t sum;

	if (len < 4)
		return;
	p[2] = p[3] = 0;
	sum = csum(icmp6, len, csum_pseudo6(src, dst, IPPROTO_ICMPV6, len));
	memcpy(p + 2, &sum, sizeof(sum));
	tap_ip6_send(c, src, dst, IPPROTO_ICMPV6, icmp6, len, NULL, 0);
}

/**
 * tap_set_epollout() - Ask for (or stop asking for) writability of the tap
 * @c:		Execution context
 * @on:		Whether to watch for EPOLLOUT
 */
static void tap_set_epollout(const struct ctx *c, bool on)
{
	union epoll_ref ref = { .fd = c->fd_tap };
	struct epoll_event ev;

	ref.type = c->mode == MODE_PASST ? EPOLL_TYPE_TAP_PASST :
					   EPOLL_TYPE_TAP_PASTA;
	ev.events = EPOLLIN | (on ? EPOLLOUT : 0) |
		    (c->mode == MODE_PASST ? EPOLLRDHUP : 0);
	ev.data.u64 = ref.u64;
	epoll_ctl(c->epollfd, EPOLL_CTL_MOD, c->fd_tap, &ev);
}

/**
 * tap_backlogged() - Is output to the guest waiting for the socket?
 *
 * Return: true while the backlog isn't empty: producers of bulk data
 *	   (TCP) hold back until tap_flush() drains it
 */
bool tap_backlogged(void)
{
	return tap_backlog_len > 0;
}

/**
 * tap_backlog_add() - Keep queued output the socket didn't take
 * @from:	Index in tap_out_iov of the first piece not (fully) written
 * @skip:	Bytes of that piece already written
 *
 * A frame that was started must be completed, so its rest always goes in;
 * whole frames after it go in while there's room, and are dropped (and
 * counted) after that.
 */
static void tap_backlog_add(size_t from, size_t skip)
{
	size_t i = from, end = tap_out_frames * 2;

	/* Finish the frame that was started, if any */
	if (skip || i % 2) {
		size_t last = i | 1;	/* Its data piece */

		for (; i <= last; i++) {
			const struct iovec *v = &tap_out_iov[i];
			size_t l = v->iov_len - skip;

			memcpy(tap_backlog + tap_backlog_len,
			       (const char *)v->iov_base + skip, l);
			tap_backlog_len += l;
			skip = 0;
		}
		tap_stats.frames_out++;
	}

	for (; i < end; i += 2) {
		size_t l = tap_out_iov[i].iov_len + tap_out_iov[i + 1].iov_len;

		if (sizeof(tap_backlog) - tap_backlog_len < l) {
			tap_stats.dropped_out += (end - i) / 2;
			return;
		}
		memcpy(tap_backlog + tap_backlog_len, tap_out_iov[i].iov_base,
		       tap_out_iov[i].iov_len);
		memcpy(tap_backlog + tap_backlog_len + tap_out_iov[i].iov_len,
		       tap_out_iov[i + 1].iov_base, tap_out_iov[i + 1].iov_len);
		tap_backlog_len += l;
		tap_stats.frames_out++;
	}
}

/**
 * tap_flush_passt() - passt: write the backlog and queued frames
 * @c:		Execution context
 *
 * What the socket doesn't take is kept in the backlog and written first
 * next time (we're woken up by EPOLLOUT): the framing never breaks, and
 * nothing is lost unless the backlog itself overflows.
 */
static void tap_flush_passt(struct ctx *c)
{
	size_t start = 0;
	ssize_t n;

	if (tap_backlog_len) {
		n = send(c->fd_tap, tap_backlog, tap_backlog_len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			tap_backlog_len -= (size_t)n;
			memmove(tap_backlog, tap_backlog + n, tap_backlog_len);
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			   errno != EINTR) {
			debug_perror("Guest socket write error");
		}
		if (tap_backlog_len) {
			tap_backlog_add(0, 0);
			tap_set_epollout(c, true);
			return;
		}
	}

	while (start < tap_out_frames) {
		size_t cnt = MIN(tap_out_frames - start, (size_t)512), i, total;
		struct msghdr mh = { 0 };

		mh.msg_iov = &tap_out_iov[start * 2];
		mh.msg_iovlen = cnt * 2;
		for (i = 0, total = 0; i < cnt * 2; i++)
			total += mh.msg_iov[i].iov_len;

		n = sendmsg(c->fd_tap, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				debug_perror("Guest socket write error");
				tap_stats.dropped_out += tap_out_frames - start;
				return;
			}
			n = 0;
		}

		if ((size_t)n == total) {
			tap_stats.frames_out += cnt;
			start += cnt;
			continue;
		}

		/* Partly written: find where it stopped, keep the rest */
		for (i = start * 2; (size_t)n >= tap_out_iov[i].iov_len; i++) {
			n -= (ssize_t)tap_out_iov[i].iov_len;
			if (i % 2)
				tap_stats.frames_out++;
		}
		tap_backlog_add(i, (size_t)n);
		tap_set_epollout(c, true);
		return;
	}

	tap_set_epollout(c, false);
}

/**
 * tap_flush() - Send every queued frame to the guest
 * @c:		Execution context
 */
void tap_flush(struct ctx *c)
{
	size_t i;

	if (!tap_out_frames && !tap_backlog_len)
		return;

	if (c->fd_tap < 0)
		goto out;

	for (i = 0; i < tap_out_frames; i++)
		pcap_frame(tap_out_iov[i * 2 + 1].iov_base,
			   tap_out_iov[i * 2 + 1].iov_len);

	if (c->mode == MODE_PASST) {
		tap_flush_passt(c);
		goto out;
	}

	for (i = 0; i < tap_out_frames; i++) {
		const struct iovec *iov = &tap_out_iov[i * 2 + 1];

		if (write(c->fd_tap, iov->iov_base, iov->iov_len) < 0) {
			tap_stats.dropped_out++;
			debug_ratelimit("Tap write error: %s", strerror(errno));
		} else {
			tap_stats.frames_out++;
		}
	}

out:
	tap_out_frames = 0;
	tap_out_used = 0;
	tap_flush_gen++;
}

/**
 * tap_l4_unhandled() - Frames for a protocol that has no handler (yet)
 * @proto:	Description of the protocol
 * @count:	Number of frames
 */
static void tap_l4_unhandled(const char *proto, size_t count)
{
	trace("%zu %s frame(s) from the guest: not handled", count, proto);
}

/* A run: consecutive TCP or UDP packets of one flow, handed on together */
#define TAP_RUN_MAX		256
static struct iovec tap_run_pkt[TAP_RUN_MAX];
static struct pool tap_run_pool = { .size = TAP_RUN_MAX,
				    .pkt = tap_run_pkt };

/**
 * struct tap_run - The run being collected
 * @active:	A run is open
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @af:		Address family
 * @saddr:	Source address
 * @daddr:	Destination address
 * @ports:	Source and destination port, as in the header
 */
static struct tap_run {
	bool active;
	uint8_t proto;
	sa_family_t af;
	struct in6_addr saddr;
	struct in6_addr daddr;
	uint32_t ports;
} tap_run;

/**
 * tap_run_flush() - Hand the collected run to its protocol
 * @c:		Execution context
 * @now:	Current time
 */
static void tap_run_flush(struct ctx *c, const struct timespec *now)
{
	if (!tap_run.active)
		return;

	if (tap_run.proto == IPPROTO_TCP)
		tcp_tap_handler(c, tap_run.af, &tap_run.saddr, &tap_run.daddr,
				&tap_run_pool, now);
	else
		udp_tap_handler(c, tap_run.af, &tap_run.saddr, &tap_run.daddr,
				&tap_run_pool, now);

	pool_flush(&tap_run_pool);
	tap_run.active = false;
}

/**
 * tap_run_add() - Add a TCP or UDP packet to the run, or start a new one
 * @c:		Execution context
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @af:		Address family
 * @saddr:	Source address
 * @daddr:	Destination address
 * @frames:	Pool of frames the packet lies in
 * @l4:		Layer 4 header and payload, checked to lie in @frames
 * @l4len:	Its length, at least 4 bytes (the ports)
 * @now:	Current time
 */
static void tap_run_add(struct ctx *c, uint8_t proto, sa_family_t af,
			const void *saddr, const void *daddr,
			const struct pool *frames, const char *l4,
			size_t l4len, const struct timespec *now)
{
	size_t alen = af == AF_INET ? sizeof(struct in_addr) :
				      sizeof(struct in6_addr);
	uint32_t ports;

	memcpy(&ports, l4, sizeof(ports));

	if (tap_run.active && tap_run.proto == proto && tap_run.af == af &&
	    tap_run.ports == ports && !memcmp(&tap_run.saddr, saddr, alen) &&
	    !memcmp(&tap_run.daddr, daddr, alen) &&
	    tap_run_pool.buf == frames->buf && !pool_full(&tap_run_pool)) {
		packet_add(&tap_run_pool, l4len, l4);
		return;
	}

	tap_run_flush(c, now);
	tap_run.active = true;
	tap_run.proto = proto;
	tap_run.af = af;
	tap_run.ports = ports;
	memset(&tap_run.saddr, 0, sizeof(tap_run.saddr));
	memset(&tap_run.daddr, 0, sizeof(tap_run.daddr));
	memcpy(&tap_run.saddr, saddr, alen);
	memcpy(&tap_run.daddr, daddr, alen);
	tap_run_pool.buf = frames->buf;
	tap_run_pool.buf_size = frames->buf_size;
	packet_add(&tap_run_pool, l4len, l4);
}

/**
 * tap_learn_addr4() - Note the IPv4 source address the guest uses
 * @c:		Execution context
 * @saddr:	Source address, network order
 *
 * Replies go to the address the guest uses, which may not be the one we
 * offered; say so in the log when it changes to something unexpected.
 */
void tap_learn_addr4(struct ctx *c, in_addr_t saddr)
{
	char buf[INET_ADDRSTRLEN], want[INET_ADDRSTRLEN];

	if (saddr == c->ip4.addr_seen.s_addr)
		return;
	c->ip4.addr_seen.s_addr = saddr;
	if (saddr == c->ip4.addr.s_addr)
		return;
	inet_ntop(AF_INET, &saddr, buf, sizeof(buf));
	inet_ntop(AF_INET, &c->ip4.addr, want, sizeof(want));
	info("Guest uses IPv4 address %s, not %s: replies go there", buf,
	     want);
}

/**
 * tap_ip4() - Parse an IPv4 frame and hand it to its protocol
 * @c:		Execution context
 * @frames:	Pool of frames
 * @idx:	Index of the frame
 * @now:	Current time
 *
 * Return: true if the frame was valid
 */
static bool tap_ip4(struct ctx *c, const struct pool *frames, size_t idx,
		    const struct timespec *now)
{
	PACKET_POOL_P(l4, frames->buf, frames->buf_size);
	struct in_addr saddr, daddr;
	const struct iphdr *iph;
	const char *l4h;
	size_t hlen, tot, avail = packet_len(frames, idx) - ETH_HDR_LEN;

	iph = packet_get_hdr(frames, idx, ETH_HDR_LEN, struct iphdr);
	if (!iph || iph->version != 4)
		return false;
	hlen = (size_t)iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	if (hlen < sizeof(*iph) || tot < hlen || tot > avail)
		return false;

	if (iph->saddr && iph->saddr != htonl(INADDR_BROADCAST))
		tap_learn_addr4(c, iph->saddr);

	if (ntohs(iph->frag_off) & (IP_MF | IP_OFFMASK)) {
		debug_ratelimit("IPv4 fragment from guest dropped");
		return true;
	}

	l4h = packet_get(frames, idx, ETH_HDR_LEN + hlen, tot - hlen, NULL);
	if (!l4h || !packet_add(&l4, tot - hlen, l4h))
		return false;
	saddr.s_addr = iph->saddr;
	daddr.s_addr = iph->daddr;

	switch (iph->protocol) {
	case IPPROTO_TCP:
		if (tot - hlen < sizeof(struct tcphdr))
			return false;
		tap_run_add(c, IPPROTO_TCP, AF_INET, &saddr, &daddr, frames,
			    l4h, tot - hlen, now);
		break;
	case IPPROTO_UDP: {
		const struct udphdr *uh = packet_get_hdr(&l4, 0, 0,
							 struct udphdr);

		if (!uh)
			return false;
		if (ntohs(uh->dest) == 67 && !c->no_dhcp) {
			dhcp(c, &l4);
			break;
		}
		tap_run_add(c, IPPROTO_UDP, AF_INET, &saddr, &daddr, frames,
			    l4h, tot - hlen, now);
		break;
	}
	case IPPROTO_ICMP:
		if (!c->no_icmp)
			icmp_tap_handler(c, AF_INET, &saddr, &daddr, &l4, now);
		break;
	default:
		tap_l4_unhandled("IPv4 (other)", 1);
	}
	return true;
}

/**
 * tap_ip6() - Parse an IPv6 frame and hand it to its protocol
 * @c:		Execution context
 * @frames:	Pool of frames
 * @idx:	Index of the frame
 * @now:	Current time
 *
 * Return: true if the frame was valid
 */
static bool tap_ip6(struct ctx *c, const struct pool *frames, size_t idx,
		    const struct timespec *now)
{
	PACKET_POOL_P(l4, frames->buf, frames->buf_size);
	const char *l4h;
	size_t off = ETH_HDR_LEN + sizeof(struct ip6_hdr), plen, end;
	const struct ip6_hdr *ip6h;
	uint8_t nh;
	int hops;

	ip6h = packet_get_hdr(frames, idx, ETH_HDR_LEN, struct ip6_hdr);
	if (!ip6h || (ip6h->ip6_vfc >> 4) != 6)
		return false;
	plen = ntohs(ip6h->ip6_plen);
	if (!packet_get(frames, idx, off, plen, NULL))
		return false;
	end = off + plen;

	if (IN6_IS_ADDR_LINKLOCAL(&ip6h->ip6_src))
		c->ip6.addr_ll_seen = ip6h->ip6_src;
	else if (!IN6_IS_ADDR_UNSPECIFIED(&ip6h->ip6_src))
		c->ip6.addr_seen = ip6h->ip6_src;

	/* Skip extension headers, bounded */
	nh = ip6h->ip6_nxt;
	for (hops = 0; hops < 8; hops++) {
		const struct ip6_ext *ext;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS)
			break;
		ext = packet_get_hdr(frames, idx, off, struct ip6_ext);
		if (!ext)
			return false;
		nh = ext->ip6e_nxt;
		off += ((size_t)ext->ip6e_len + 1) * 8;
		if (off > end)
			return false;
	}

	if (nh == IPPROTO_FRAGMENT) {
		debug_ratelimit("IPv6 fragment from guest dropped");
		return true;
	}

	l4h = packet_get(frames, idx, off, end - off, NULL);
	if (!l4h || !packet_add(&l4, end - off, l4h))
		return false;

	switch (nh) {
	case IPPROTO_ICMPV6: {
		/* NDP checks the hop limit: the IPv6 header goes along */
		struct iovec ndp_pkt[2];
		struct pool ndp_p = { .buf = frames->buf,
				      .buf_size = frames->buf_size,
				      .size = 2, .pkt = ndp_pkt };

		packet_add(&ndp_p, end - off, l4h);
		packet_add(&ndp_p, sizeof(*ip6h), (const char *)ip6h);
		if (!c->no_ndp &&
		    ndp(c, &ip6h->ip6_src, &ip6h->ip6_dst, &ndp_p))
			break;
		if (!c->no_icmp)
			icmp_tap_handler(c, AF_INET6, &ip6h->ip6_src,
					 &ip6h->ip6_dst, &l4, now);
		break;
	}
	case IPPROTO_TCP:
		if (end - off < sizeof(struct tcphdr))
			return false;
		tap_run_add(c, IPPROTO_TCP, AF_INET6, &ip6h->ip6_src,
			    &ip6h->ip6_dst, frames, l4h, end - off, now);
		break;
	case IPPROTO_UDP: {
		const struct udphdr *uh = packet_get_hdr(&l4, 0, 0,
							 struct udphdr);

		if (!uh)
			return false;
		if (ntohs(uh->dest) == 547 && !c->no_dhcpv6) {
			dhcpv6(c, &ip6h->ip6_src, &ip6h->ip6_dst, &l4);
			break;
		}
		tap_run_add(c, IPPROTO_UDP, AF_INET6, &ip6h->ip6_src,
			    &ip6h->ip6_dst, frames, l4h, end - off, now);
		break;
	}
	default:
		tap_l4_unhandled("IPv6 (other)", 1);
	}
	return true;
}

/**
 * tap_handler() - Parse frames from the guest and dispatch them
 * @c:		Execution context
 * @frames:	Pool of received frames
 * @now:	Current time
 */
void tap_handler(struct ctx *c, const struct pool *frames,
		 const struct timespec *now)
{
	size_t i;

	for (i = 0; i < frames->count; i++) {
		const struct ethhdr *eh;
		bool ok = false;

		tap_stats.frames_in++;
		pcap_frame(frames->pkt[i].iov_base, frames->pkt[i].iov_len);

		eh = packet_get_hdr(frames, i, 0, struct ethhdr);
		if (!eh) {
			tap_stats.dropped_in++;
			continue;
		}

		if (!(eh->h_source[0] & 1) &&
		    memcmp(c->guest_mac, eh->h_source, ETH_ALEN)) {
			memcpy(c->guest_mac, eh->h_source, ETH_ALEN);
			debug("Guest MAC address: "
			      "%02x:%02x:%02x:%02x:%02x:%02x",
			      eh->h_source[0], eh->h_source[1],
			      eh->h_source[2], eh->h_source[3],
			      eh->h_source[4], eh->h_source[5]);
		}

		switch (ntohs(eh->h_proto)) {
		case ETH_P_ARP:
			ok = arp(c, frames, i);
			break;
		case ETH_P_IP:
			ok = c->ifi4 && tap_ip4(c, frames, i, now);
			break;
		case ETH_P_IPV6:
			ok = c->ifi6 && tap_ip6(c, frames, i, now);
			break;
		default:
			ok = true;	/* Not ours to care about: ignored */
		}

		if (!ok) {
			tap_stats.dropped_in++;
			debug_ratelimit("Malformed or unexpected frame from "
					"the guest dropped (%zu bytes)",
					frames->pkt[i].iov_len);
		}
	}

	tap_run_flush(c, now);
}

/**
 * tap_backend_init() - pasta: register the tap device with the loop
 * @c:		Execution context
 */
void tap_backend_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_PASTA,
				.fd = c->fd_tap };

	fd_set_nonblock(c->fd_tap);
	if (epoll_add(c, EPOLLIN, ref))
		die("Can't watch the tap device");
}
