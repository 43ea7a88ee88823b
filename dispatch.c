// SPDX-License-Identifier: GPL-2.0-or-later
/* dispatch.c - Frames from the guest: parse them, hand them to protocols
 *
 * The layer between the transports (tap.c) and the protocols. For each
 * wakeup on the guest's socket or tap device, it takes pools of received
 * frames from tap.c, parses each one (Ethernet, then IPv4 or IPv6, with
 * every length checked against what was received, through packet.c) and
 * hands it to the protocol that owns it: ARP, DHCP, NDP and DHCPv6 are
 * answered at once; ICMP, UDP and TCP go to icmp.c, udp.c and tcp.c.
 *
 * Consecutive TCP or UDP packets of one flow (same addresses, protocol and
 * ports) are collected into a run (struct dispatch_run, on the stack of
 * dispatch_frames()) and handed on together, so that a protocol can make
 * one socket call for the whole run.
 *
 * Layering: calls go one way, from here down. Protocols build their
 * frames with frame.c and queue them with tap.c; nothing below calls back
 * up here, and the output queue is flushed by the handlers below (and at
 * the end of each loop iteration in passt.c).
 */

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>

#include "arp.h"
#include "dhcp.h"
#include "dhcpv6.h"
#include "dispatch.h"
#include "flow.h"
#include "fwd.h"
#include "icmp.h"
#include "log.h"
#include "ndp.h"
#include "passt.h"
#include "pcap.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"

/* Most IPv6 extension headers we walk before giving up on a packet */
#define DISPATCH_IP6_EXT_MAX	8

/* Most packets in a run */
#define DISPATCH_RUN_MAX	256

/**
 * struct dispatch_run - Consecutive TCP or UDP packets of one flow
 * @pool:	The packets: layer 4 header and payload, in the frames' buffer
 * @pkt:	Storage for @pool
 * @seg:	UDP: per packet, the datagram size it's to be split at, 0 for
 *		none (see tap_udp_seg())
 * @proto:	IPPROTO_TCP or IPPROTO_UDP, 0 if no run is open
 * @af:		Address family
 * @saddr:	Source address
 * @daddr:	Destination address
 * @ports:	Source and destination port, as in the header
 */
struct dispatch_run {
	struct pool pool;
	struct iovec pkt[DISPATCH_RUN_MAX];
	uint16_t seg[DISPATCH_RUN_MAX];
	uint8_t proto;
	sa_family_t af;
	struct in6_addr saddr;
	struct in6_addr daddr;
	uint32_t ports;
};

/**
 * dispatch_unhandled() - Frames for a protocol that has no handler (yet)
 * @proto:	Description of the protocol
 * @count:	Number of frames
 */
static void dispatch_unhandled(const char *proto, size_t count)
{
	trace("%zu %s frame(s) from the guest: not handled", count, proto);
}

/**
 * dispatch_run_flush() - Hand the collected run, if any, to its protocol
 * @c:		Execution context
 * @run:	The run: empty afterwards
 * @now:	Current time
 */
static void dispatch_run_flush(struct ctx *c, struct dispatch_run *run,
			       const struct timespec *now)
{
	if (run->proto == IPPROTO_TCP)
		tcp_tap_handler(c, run->af, &run->saddr, &run->daddr,
				&run->pool, now);
	else if (run->proto == IPPROTO_UDP)
		udp_tap_handler(c, run->af, &run->saddr, &run->daddr,
				&run->pool, run->seg, now);

	pool_flush(&run->pool);
	run->proto = 0;
}

/**
 * dispatch_run_add() - Add a TCP or UDP packet to the run, or start a new one
 * @c:		Execution context
 * @run:	The run
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @af:		Address family
 * @saddr:	Source address
 * @daddr:	Destination address
 * @frames:	Pool of frames the packet lies in
 * @l4:		Layer 4 header and payload, checked to lie in @frames
 * @l4len:	Its length, at least 4 bytes (the ports)
 * @seg:	UDP: datagram size to split it at, 0 for none
 * @now:	Current time
 */
static void dispatch_run_add(struct ctx *c, struct dispatch_run *run,
			     uint8_t proto, sa_family_t af, const void *saddr,
			     const void *daddr, const struct pool *frames,
			     const char *l4, size_t l4len, uint16_t seg,
			     const struct timespec *now)
{
	size_t alen = af == AF_INET ? sizeof(struct in_addr) :
				      sizeof(struct in6_addr);
	uint32_t ports;

	memcpy(&ports, l4, sizeof(ports));

	if (run->proto == proto && run->af == af && run->ports == ports &&
	    !memcmp(&run->saddr, saddr, alen) &&
	    !memcmp(&run->daddr, daddr, alen) &&
	    run->pool.buf == frames->buf && !pool_full(&run->pool)) {
		run->seg[run->pool.count] = seg;
		packet_add(&run->pool, l4len, l4);
		return;
	}

	dispatch_run_flush(c, run, now);
	run->proto = proto;
	run->af = af;
	run->ports = ports;
	memset(&run->saddr, 0, sizeof(run->saddr));
	memset(&run->daddr, 0, sizeof(run->daddr));
	memcpy(&run->saddr, saddr, alen);
	memcpy(&run->daddr, daddr, alen);
	run->pool.buf = frames->buf;
	run->pool.buf_size = frames->buf_size;
	run->seg[0] = seg;
	packet_add(&run->pool, l4len, l4);
}

/**
 * dispatch_l4() - Hand a TCP or UDP packet on: to a run, or to DHCP
 * @c:		Execution context
 * @run:	Run of TCP or UDP packets being collected
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @af:		Address family
 * @saddr:	Source address
 * @daddr:	Destination address
 * @frames:	Pool of frames the packet lies in
 * @idx:	Index of its frame in @frames
 * @l4:		Pool holding just the packet (layer 4 header and payload)
 * @now:	Current time
 *
 * Return: true if the packet was valid
 */
static bool dispatch_l4(struct ctx *c, struct dispatch_run *run,
			uint8_t proto, sa_family_t af, const void *saddr,
			const void *daddr, const struct pool *frames,
			size_t idx, const struct pool *l4,
			const struct timespec *now)
{
	uint16_t seg = 0;
	size_t l4len = packet_len(l4, 0);
	const char *l4h = packet_get(l4, 0, 0, l4len, NULL);

	if (proto == IPPROTO_TCP) {
		if (l4len < sizeof(struct tcphdr))
			return false;
	} else {
		const struct udphdr *uh = packet_get_hdr(l4, 0, 0,
							 struct udphdr);

		if (!uh)
			return false;
		if (af == AF_INET && !c->no_dhcp &&
		    ntohs(uh->dest) == DHCP_SERVER_PORT) {
			dhcp(c, l4);
			return true;
		}
		if (af == AF_INET6 && !c->no_dhcpv6 &&
		    ntohs(uh->dest) == DHCPV6_SERVER_PORT) {
			dhcpv6(c, saddr, daddr, l4);
			return true;
		}
		seg = tap_udp_seg(frames, idx);
	}

	dispatch_run_add(c, run, proto, af, saddr, daddr, frames, l4h, l4len,
			 seg, now);
	return true;
}

/**
 * dispatch_ip4() - Parse an IPv4 frame and hand it to its protocol
 * @c:		Execution context
 * @run:	Run of TCP or UDP packets being collected
 * @frames:	Pool of frames
 * @idx:	Index of the frame
 * @now:	Current time
 *
 * Return: true if the frame was valid
 */
static bool dispatch_ip4(struct ctx *c, struct dispatch_run *run,
			 const struct pool *frames, size_t idx,
			 const struct timespec *now)
{
	PACKET_POOL_P(l4, frames->buf, frames->buf_size);
	struct in_addr saddr, daddr;
	const struct iphdr *iph;
	const char *l4h;
	size_t hlen, tot, avail = packet_len(frames, idx) - ETH_HLEN;

	iph = packet_get_hdr(frames, idx, ETH_HLEN, struct iphdr);
	if (!iph || iph->version != IPVERSION)
		return false;
	hlen = (size_t)iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	if (hlen < sizeof(*iph) || tot < hlen || tot > avail)
		return false;

	fwd_learn_addr4(c, iph->saddr);

	if (ntohs(iph->frag_off) & (IP_MF | IP_OFFMASK)) {
		debug_ratelimit("IPv4 fragment from guest dropped");
		return true;
	}

	l4h = packet_get(frames, idx, ETH_HLEN + hlen, tot - hlen, NULL);
	if (!l4h || !packet_add(&l4, tot - hlen, l4h))
		return false;
	saddr.s_addr = iph->saddr;
	daddr.s_addr = iph->daddr;

	switch (iph->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return dispatch_l4(c, run, iph->protocol, AF_INET, &saddr,
				   &daddr, frames, idx, &l4, now);
	case IPPROTO_ICMP:
		if (!c->no_icmp)
			icmp_tap_handler(c, AF_INET, &saddr, &daddr, &l4, now);
		break;
	default:
		dispatch_unhandled("IPv4 (other)", 1);
	}
	return true;
}

/**
 * dispatch_ip6() - Parse an IPv6 frame and hand it to its protocol
 * @c:		Execution context
 * @run:	Run of TCP or UDP packets being collected
 * @frames:	Pool of frames
 * @idx:	Index of the frame
 * @now:	Current time
 *
 * Return: true if the frame was valid
 */
static bool dispatch_ip6(struct ctx *c, struct dispatch_run *run,
			 const struct pool *frames, size_t idx,
			 const struct timespec *now)
{
	PACKET_POOL_P(l4, frames->buf, frames->buf_size);
	const char *l4h;
	size_t off = ETH_HLEN + sizeof(struct ip6_hdr), plen, end;
	const struct ip6_hdr *ip6h;
	uint8_t nh;
	int hops;

	ip6h = packet_get_hdr(frames, idx, ETH_HLEN, struct ip6_hdr);
	if (!ip6h || (ip6h->ip6_vfc >> 4) != 6)
		return false;
	plen = ntohs(ip6h->ip6_plen);
	if (!packet_get(frames, idx, off, plen, NULL))
		return false;
	end = off + plen;

	fwd_learn_addr6(c, &ip6h->ip6_src);

	/* Skip extension headers, bounded */
	nh = ip6h->ip6_nxt;
	for (hops = 0; hops < DISPATCH_IP6_EXT_MAX; hops++) {
		const struct ip6_ext *ext;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS)
			break;
		ext = packet_get_hdr(frames, idx, off, struct ip6_ext);
		if (!ext)
			return false;
		nh = ext->ip6e_nxt;
		off += ((size_t)ext->ip6e_len + 1) * 8;	/* RFC 8200, 4.3 */
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
	case IPPROTO_UDP:
		return dispatch_l4(c, run, nh, AF_INET6, &ip6h->ip6_src,
				   &ip6h->ip6_dst, frames, idx, &l4, now);
	default:
		dispatch_unhandled("IPv6 (other)", 1);
	}
	return true;
}

/**
 * dispatch_frames() - Parse frames from the guest and dispatch them
 * @c:		Execution context
 * @frames:	Pool of received frames
 * @now:	Current time
 */
void dispatch_frames(struct ctx *c, const struct pool *frames,
		     const struct timespec *now)
{
	struct dispatch_run run = { .pool = { .size = DISPATCH_RUN_MAX } };
	size_t i;

	run.pool.pkt = run.pkt;

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
			ok = c->ifi4 && dispatch_ip4(c, &run, frames, i, now);
			break;
		case ETH_P_IPV6:
			ok = c->ifi6 && dispatch_ip6(c, &run, frames, i, now);
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

	dispatch_run_flush(c, &run, now);
}

/**
 * dispatch_passt_gone() - passt: the guest went away: close its flows (the
 *			   host side peers of its TCP connections get a
 *			   reset), and its connection
 * @c:		Execution context
 *
 * The next guest starts from an empty flow table.
 *
 * Return: true if we must exit now (see tap_passt_close())
 */
static bool dispatch_passt_gone(struct ctx *c)
{
	bool quit = tap_passt_close(c);

	flow_close_all(c);
	return quit;
}

/**
 * dispatch_passt_handler() - passt: data or hangup on the guest's socket
 * @c:		Execution context
 * @events:	epoll events
 * @now:	Current time
 *
 * Return: true if the guest is gone and we must exit (--one-off, --fd)
 */
bool dispatch_passt_handler(struct ctx *c, uint32_t events,
			    const struct timespec *now)
{
	const struct pool *frames;
	bool gone = false;

	if (events & EPOLLOUT) {
		tap_flush(c);
		if (!tap_backlogged())
			tcp_tap_resume(c, now);
	}

	if (!(events & EPOLLIN)) {
		if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
			return dispatch_passt_gone(c);
		return false;
	}

	while ((frames = tap_passt_read(c, &gone)))
		dispatch_frames(c, frames, now);

	tap_flush(c);
	if (gone)
		return dispatch_passt_gone(c);
	return false;
}

/**
 * dispatch_pasta_handler() - pasta: frames on the tap device
 * @c:		Execution context
 * @events:	epoll events
 * @now:	Current time
 */
void dispatch_pasta_handler(struct ctx *c, uint32_t events,
			    const struct timespec *now)
{
	if (events & EPOLLOUT)
		tap_flush(c);

	if (events & (EPOLLHUP | EPOLLERR))
		die("Tap device closed, exiting");

	if (!(events & EPOLLIN))
		return;

	dispatch_frames(c, tap_pasta_read(c), now);
	tap_flush(c);
}
