// SPDX-License-Identifier: GPL-2.0-or-later
/* frame.c - Frames to the guest: Ethernet, IPv4 and IPv6 headers
 *
 * The one place where headers of frames to the guest are written. The
 * header builders fill in a header in a buffer the caller owns: tcp.c uses
 * them on its frames, written in place in front of the payload it peeked
 * (tap.c's frame buffers, queued by reference). The frame_*_send()
 * functions build a whole UDP or ICMP frame (headers on the stack, payload
 * where it lies) and queue it for the guest with tap_send_iov(), which
 * copies it: the link services (DHCP, DHCPv6, NDP) and udp.c and icmp.c
 * use those. A packet larger than the guest's MTU goes in fragments. On
 * pasta's tap with UDP segmentation offload, frame_udp_gso_send() puts a
 * run of datagrams in one frame, which the guest's kernel splits again.
 *
 * Layering: this file calls down into tap.c's output queue only.
 */

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>

#include "checksum.h"
#include "frame.h"
#include "passt.h"
#include "tap.h"
#include "util.h"

/**
 * frame_eth() - Write the Ethernet header of a frame to the guest
 * @c:		Execution context
 * @eh:		Header to fill
 * @af:		Address family of the packet
 * @dst:	Destination IP address, struct in_addr or struct in6_addr
 *
 * IPv6 multicast goes to its multicast MAC address (RFC 2464, 7), the
 * IPv4 broadcast address to the broadcast MAC address, and so does
 * everything while we don't know the guest's MAC address yet.
 */
void frame_eth(const struct ctx *c, struct ethhdr *eh, sa_family_t af,
	       const void *dst)
{
	static const uint8_t zero[ETH_ALEN];

	if (af == AF_INET6 &&
	    IN6_IS_ADDR_MULTICAST((const struct in6_addr *)dst)) {
		const uint8_t *a = dst;

		eh->h_dest[0] = eh->h_dest[1] = 0x33;
		memcpy(eh->h_dest + 2, a + 12, 4);
	} else if ((af == AF_INET && ((const struct in_addr *)dst)->s_addr ==
					htonl(INADDR_BROADCAST)) ||
		   !memcmp(c->guest_mac, zero, ETH_ALEN)) {
		memset(eh->h_dest, 0xff, ETH_ALEN);
	} else {
		memcpy(eh->h_dest, c->guest_mac, ETH_ALEN);
	}
	memcpy(eh->h_source, c->our_tap_mac, ETH_ALEN);
	eh->h_proto = htons(af == AF_INET ? ETH_P_IP : ETH_P_IPV6);
}

/**
 * frame_ip4() - Write an IPv4 header, without options, checksum included
 * @iph:	Header to fill
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Protocol number
 * @l4len:	Length of what follows the header
 * @ttl:	Time to live
 */
void frame_ip4(struct iphdr *iph, struct in_addr src, struct in_addr dst,
	       uint8_t proto, size_t l4len, uint8_t ttl)
{
	memset(iph, 0, sizeof(*iph));
	iph->version = IPVERSION;
	iph->ihl = sizeof(*iph) / 4;
	iph->tot_len = htons((uint16_t)(sizeof(*iph) + l4len));
	iph->frag_off = htons(IP_DF);
	iph->ttl = ttl;
	iph->protocol = proto;
	iph->saddr = src.s_addr;
	iph->daddr = dst.s_addr;
	iph->check = csum_ip4_header(iph, sizeof(*iph));
}

/**
 * frame_ip6() - Write an IPv6 header
 * @ip6h:	Header to fill
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Next header
 * @l4len:	Payload length
 * @hlim:	Hop limit
 */
void frame_ip6(struct ip6_hdr *ip6h, const struct in6_addr *src,
	       const struct in6_addr *dst, uint8_t proto, size_t l4len,
	       uint8_t hlim)
{
	memset(ip6h, 0, sizeof(*ip6h));
	ip6h->ip6_flow = htonl(6U << 28);	/* Version, no class or label */
	ip6h->ip6_plen = htons((uint16_t)l4len);
	ip6h->ip6_nxt = proto;
	ip6h->ip6_hlim = hlim;
	ip6h->ip6_src = *src;
	ip6h->ip6_dst = *dst;
}

/**
 * frame_slice() - Point iovecs at a byte range of a packet given in pieces
 * @piece:	Pieces of the packet
 * @n:		Number of pieces
 * @off:	Offset of the range in the packet
 * @len:	Length of the range
 * @iov:	Filled with the parts of pieces the range covers, at most @n
 *
 * Return: number of iovecs filled
 */
static size_t frame_slice(const struct iovec *piece, size_t n, size_t off,
			  size_t len, struct iovec *iov)
{
	size_t i, cnt = 0;

	for (i = 0; i < n && len; i++) {
		size_t take;

		if (off >= piece[i].iov_len) {
			off -= piece[i].iov_len;
			continue;
		}
		take = MIN(len, piece[i].iov_len - off);
		iov[cnt].iov_base = (uint8_t *)piece[i].iov_base + off;
		iov[cnt++].iov_len = take;
		len -= take;
		off = 0;
	}
	return cnt;
}

/**
 * frame_ip_send() - Build an IP frame around a layer 4 packet, queue it
 * @c:		Execution context
 * @af:		Address family
 * @src:	Source address, struct in_addr or struct in6_addr
 * @dst:	Destination address, same type
 * @proto:	Protocol number, next header for IPv6
 * @l4:		Layer 4 header (and payload), checksum already set
 * @hlen:	Length of @l4
 * @data:	Payload, if not in @l4: NULL if none
 * @dlen:	Length of @data
 *
 * A packet that doesn't fit the guest's MTU goes in fragments, as the
 * host's kernel would send it on a link of that MTU: we are its source on
 * the guest's link (IPv4 fragments, or an IPv6 Fragment header, RFC 8200,
 * 4.5). The guest reassembles them.
 */
static void frame_ip_send(struct ctx *c, sa_family_t af, const void *src,
			  const void *dst, uint8_t proto, const void *l4,
			  size_t hlen, const void *data, size_t dlen)
{
	static uint32_t frag_id;
	struct {
		uint8_t pad[2];		/* So that the IP header is aligned */
		struct ethhdr eh;
		union {
			struct iphdr v4;
			struct {
				struct ip6_hdr hdr;
				struct ip6_frag frag;
			} v6;
		} ip;
	} h;
	size_t l4len = hlen + dlen, iplen, mtu, step, off;
	const struct iovec piece[2] = {
		{ .iov_base = (void *)(uintptr_t)l4, .iov_len = hlen },
		{ .iov_base = (void *)(uintptr_t)data, .iov_len = dlen },
	};
	struct iovec iov[3];

	if (af == AF_INET) {
		iplen = sizeof(h.ip.v4);
		if (l4len > IP_MAXPACKET - iplen)
			return;
	} else {
		iplen = sizeof(h.ip.v6.hdr);
		if (l4len > IP_MAXPACKET)
			return;
	}
	frame_eth(c, &h.eh, af, dst);
	iov[0].iov_base = &h.eh;

	mtu = (size_t)(c->mtu ? c->mtu : MTU_DEFAULT);
	if (iplen + l4len <= mtu) {
		if (af == AF_INET)
			frame_ip4(&h.ip.v4, *(const struct in_addr *)src,
				  *(const struct in_addr *)dst, proto, l4len,
				  FRAME_HLIM_LINK);
		else
			frame_ip6(&h.ip.v6.hdr, src, dst, proto, l4len,
				  FRAME_HLIM_LINK);
		iov[0].iov_len = sizeof(h.eh) + iplen;
		tap_send_iov(c, iov, 1 + frame_slice(piece, 2, 0, l4len,
						     iov + 1), NULL);
		return;
	}

	/* Fragments: all but the last carry a multiple of 8 bytes */
	if (af == AF_INET6)
		iplen += sizeof(h.ip.v6.frag);
	if (mtu < iplen + 8)
		return;
	step = (mtu - iplen) & ~(size_t)7;
	frag_id++;
	for (off = 0; off < l4len; off += step) {
		size_t len = MIN(step, l4len - off);
		bool more = off + len < l4len;

		if (af == AF_INET) {
			struct iphdr *iph = &h.ip.v4;

			frame_ip4(iph, *(const struct in_addr *)src,
				  *(const struct in_addr *)dst, proto, len,
				  FRAME_HLIM_LINK);
			iph->id = htons((uint16_t)frag_id);
			iph->frag_off = htons((uint16_t)((off / 8) |
							 (more ? IP_MF : 0)));
			iph->check = 0;
			iph->check = csum_ip4_header(iph, sizeof(*iph));
		} else {
			struct ip6_frag *fh = &h.ip.v6.frag;

			frame_ip6(&h.ip.v6.hdr, src, dst, IPPROTO_FRAGMENT,
				  sizeof(*fh) + len, FRAME_HLIM_LINK);
			fh->ip6f_nxt = proto;
			fh->ip6f_reserved = 0;
			fh->ip6f_offlg = htons((uint16_t)off) |
					 (more ? IP6F_MORE_FRAG : 0);
			fh->ip6f_ident = htonl(frag_id);
		}
		iov[0].iov_len = sizeof(h.eh) + iplen;
		tap_send_iov(c, iov, 1 + frame_slice(piece, 2, off, len,
						     iov + 1), NULL);
	}
}

/**
 * frame_udp_hdr() - Write a UDP header, checksum over header and payload
 * @uh:		Header to fill
 * @sport:	Source port, host order
 * @dport:	Destination port, host order
 * @data:	Payload
 * @len:	Length of payload
 * @psum:	Unfolded checksum of the pseudo-header
 */
static void frame_udp_hdr(struct udphdr *uh, in_port_t sport,
			  in_port_t dport, const void *data, size_t len,
			  uint32_t psum)
{
	uh->source = htons(sport);
	uh->dest = htons(dport);
	uh->len = htons((uint16_t)(sizeof(*uh) + len));
	uh->check = 0;
	/* The header has an even length: its sum and the payload's add up */
	uh->check = csum(data, len, csum_unfolded(uh, sizeof(*uh), psum));
	if (!uh->check)
		uh->check = 0xffff;	/* RFC 768: zero means no checksum */
}

/**
 * frame_udp4_send() - Send a UDP datagram over IPv4 to the guest
 * @c:		Execution context
 * @src:	Source address
 * @sport:	Source port, host order
 * @dst:	Destination address (broadcast goes to the broadcast MAC)
 * @dport:	Destination port, host order
 * @data:	Payload
 * @len:	Length of payload
 */
void frame_udp4_send(struct ctx *c, struct in_addr src, in_port_t sport,
		     struct in_addr dst, in_port_t dport, const void *data,
		     size_t len)
{
	size_t l4len = sizeof(struct udphdr) + len;
	struct udphdr uh;

	if (len > IP_MAXPACKET - sizeof(uh) - sizeof(struct iphdr))
		return;

	frame_udp_hdr(&uh, sport, dport, data, len,
		      csum_pseudo4(src, dst, IPPROTO_UDP, l4len));
	frame_ip_send(c, AF_INET, &src, &dst, IPPROTO_UDP, &uh, sizeof(uh), data,
		      len);
}

/**
 * frame_udp6_send() - Send a UDP datagram over IPv6 to the guest
 * @c:		Execution context
 * @src:	Source address
 * @sport:	Source port, host order
 * @dst:	Destination address
 * @dport:	Destination port, host order
 * @data:	Payload
 * @len:	Length of payload
 */
void frame_udp6_send(struct ctx *c, const struct in6_addr *src,
		     in_port_t sport, const struct in6_addr *dst,
		     in_port_t dport, const void *data, size_t len)
{
	size_t l4len = sizeof(struct udphdr) + len;
	struct udphdr uh;

	if (len > IP_MAXPACKET - sizeof(uh))
		return;

	frame_udp_hdr(&uh, sport, dport, data, len,
		      csum_pseudo6(src, dst, IPPROTO_UDP, l4len));
	frame_ip_send(c, AF_INET6, src, dst, IPPROTO_UDP, &uh, sizeof(uh), data,
		      len);
}

/**
 * frame_vnet_csum() - Leave a layer 4 checksum to the guest's kernel
 * @vh:		virtio-net header of the frame, to fill
 * @check:	Checksum field in the layer 4 header
 * @psum:	Unfolded checksum of the pseudo-header, with the length of the
 *		whole layer 4 packet
 * @l4off:	Offset of the layer 4 header from the start of the frame
 * @csumoff:	Offset of @check in the layer 4 header
 * @hdrlen:	Length of the headers, Ethernet to layer 4
 *
 * With VIRTIO_NET_HDR_F_NEEDS_CSUM, the field holds the folded sum of the
 * pseudo-header, and the kernel adds the rest to it (virtio 1.2, 5.1.6.2):
 * pasta's tap with checksum offload (TUN_F_CSUM) only. Splitting a frame
 * (segmentation offload), the kernel puts the length of each segment in
 * place of the whole's in that sum.
 */
void frame_vnet_csum(struct virtio_net_hdr *vh, uint16_t *check,
		     uint32_t psum, size_t l4off, size_t csumoff,
		     size_t hdrlen)
{
	*check = (uint16_t)~csum_fold(psum);
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = (uint16_t)l4off;
	vh->csum_offset = (uint16_t)csumoff;
	vh->hdr_len = (uint16_t)hdrlen;
}

/**
 * frame_udp_gso_max() - Payload of a frame of UDP datagrams that the
 *			 guest's kernel splits (UDP segmentation offload)
 * @c:		Execution context
 * @af:		Address family
 * @seg:	Payload of each datagram (the last may be shorter)
 *
 * Only pasta's tap with USO for @af (and checksum offload, which it comes
 * with) takes such frames, and only datagrams that fit the guest's MTU
 * may go in one: a larger one goes alone, in fragments.
 *
 * Return: bytes of payload of all datagrams together, at most: what the
 *	   largest IP packet holds, and FRAME_UDP_SEGS_MAX datagrams; 0 if
 *	   datagrams of @seg bytes can't go in one frame
 */
size_t frame_udp_gso_max(const struct ctx *c, sa_family_t af, size_t seg)
{
	unsigned int uso = af == AF_INET ? TUN_F_USO4 : TUN_F_USO6;
	size_t hlen = sizeof(struct udphdr) + (af == AF_INET ?
		      sizeof(struct iphdr) : sizeof(struct ip6_hdr));
	size_t mtu = (size_t)(c->mtu ? c->mtu : MTU_DEFAULT);

	if (!(c->tap_offloads & uso) || !(c->tap_offloads & TUN_F_CSUM) ||
	    !seg || hlen + seg > mtu)
		return 0;
	return MIN(TAP_FRAME_MAX - ETH_HLEN - hlen,
		   seg * FRAME_UDP_SEGS_MAX);
}

/**
 * frame_udp_gso_send() - Send UDP datagrams to the guest in one frame that
 *			  its kernel splits (UDP segmentation offload)
 * @c:		Execution context
 * @af:		Address family
 * @src:	Source address, struct in_addr or struct in6_addr
 * @sport:	Source port, host order
 * @dst:	Destination address, same type
 * @dport:	Destination port, host order
 * @data:	Payloads, one a datagram: each of @seg bytes but the last,
 *		which may be shorter (not empty)
 * @n:		Number of datagrams, at most FRAME_UDP_SEGS_MAX
 * @seg:	Payload of each datagram, see frame_udp_gso_max()
 *
 * One frame, as a sender's kernel makes it of one send() with UDP_SEGMENT:
 * IP and UDP lengths of the whole, gso_size @seg in the virtio-net header,
 * the checksum left partial (frame_vnet_csum()). The guest's kernel splits
 * it at @seg bytes of payload into the datagrams we received, or hands it
 * whole to a socket that asked for UDP_GRO. The caller checks, with
 * frame_udp_gso_max(), that such a frame can go; nothing is sent if not.
 */
void frame_udp_gso_send(struct ctx *c, sa_family_t af, const void *src,
			in_port_t sport, const void *dst, in_port_t dport,
			const struct iovec *data, size_t n, size_t seg)
{
	struct {
		uint8_t pad[2];		/* So that the IP header is aligned */
		struct ethhdr eh;
		union {
			struct iphdr v4;
			struct ip6_hdr v6;
		} ip;
	} h;
	struct iovec iov[FRAME_UDP_SEGS_MAX + 2];
	struct virtio_net_hdr vh = { 0 };
	size_t len = 0, l4len, iplen, i;
	struct udphdr uh;
	uint32_t psum;

	if (!n || n > FRAME_UDP_SEGS_MAX)
		return;
	for (i = 0; i < n; i++) {
		if (!data[i].iov_len || data[i].iov_len > seg ||
		    (i < n - 1 && data[i].iov_len != seg))
			return;
		len += data[i].iov_len;
		iov[i + 2] = data[i];
	}
	if (len > frame_udp_gso_max(c, af, seg))
		return;
	l4len = sizeof(uh) + len;

	frame_eth(c, &h.eh, af, dst);
	if (af == AF_INET) {
		struct in_addr s4 = *(const struct in_addr *)src;
		struct in_addr d4 = *(const struct in_addr *)dst;

		frame_ip4(&h.ip.v4, s4, d4, IPPROTO_UDP, l4len,
			  FRAME_HLIM_LINK);
		psum = csum_pseudo4(s4, d4, IPPROTO_UDP, l4len);
		iplen = sizeof(h.ip.v4);
	} else {
		frame_ip6(&h.ip.v6, src, dst, IPPROTO_UDP, l4len,
			  FRAME_HLIM_LINK);
		psum = csum_pseudo6(src, dst, IPPROTO_UDP, l4len);
		iplen = sizeof(h.ip.v6);
	}

	uh.source = htons(sport);
	uh.dest = htons(dport);
	uh.len = htons((uint16_t)l4len);
	frame_vnet_csum(&vh, &uh.check, psum, ETH_HLEN + iplen,
			offsetof(struct udphdr, check),
			ETH_HLEN + iplen + sizeof(uh));
	if (len > seg) {
		vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
		vh.gso_size = (uint16_t)seg;
	}

	iov[0].iov_base = &h.eh;
	iov[0].iov_len = ETH_HLEN + iplen;
	iov[1].iov_base = &uh;
	iov[1].iov_len = sizeof(uh);
	tap_send_iov(c, iov, n + 2, &vh);
}

/**
 * frame_icmp_csum() - Set the checksum of an ICMP or ICMPv6 message
 * @icmp:	Message, at least 4 bytes: the checksum is at offset 2
 * @len:	Length of @icmp
 * @psum:	Unfolded checksum of the pseudo-header, 0 for ICMP (IPv4)
 */
static void frame_icmp_csum(void *icmp, size_t len, uint32_t psum)
{
	uint8_t *p = icmp;
	uint16_t sum;

	p[2] = p[3] = 0;
	sum = csum(icmp, len, psum);
	memcpy(p + 2, &sum, sizeof(sum));
}

/**
 * frame_icmp4_send() - Send an ICMP message to the guest
 * @c:		Execution context
 * @src:	Source address
 * @dst:	Destination address
 * @icmp:	ICMP header and payload: the checksum is computed here
 * @len:	Length of @icmp
 */
void frame_icmp4_send(struct ctx *c, struct in_addr src, struct in_addr dst,
		      void *icmp, size_t len)
{
	if (len < 4)
		return;
	frame_icmp_csum(icmp, len, 0);
	frame_ip_send(c, AF_INET, &src, &dst, IPPROTO_ICMP, icmp, len, NULL, 0);
}

/**
 * frame_icmp6_send() - Send an ICMPv6 message to the guest
 * @c:		Execution context
 * @src:	Source address
 * @dst:	Destination address
 * @icmp6:	ICMPv6 header and payload: the checksum is computed here
 * @len:	Length of @icmp6
 */
void frame_icmp6_send(struct ctx *c, const struct in6_addr *src,
		      const struct in6_addr *dst, void *icmp6, size_t len)
{
	if (len < 4)
		return;
	frame_icmp_csum(icmp6, len,
			csum_pseudo6(src, dst, IPPROTO_ICMPV6, len));
	frame_ip_send(c, AF_INET6, src, dst, IPPROTO_ICMPV6, icmp6, len, NULL,
		      0);
}
