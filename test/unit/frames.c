// SPDX-License-Identifier: GPL-2.0-or-later
/* frames.c - Frames the unit tests write for the daemon and read back from
 * it, and the option lists inside them
 *
 * The tests of the link services (ARP, DHCP, DHCPv6, NDP) write requests
 * the way a guest would, hand them to the daemon, and read what it queued
 * for the guest out of the other end of its tap device. This file holds
 * what they all need for that: writing Ethernet, IPv4 and IPv6 headers;
 * reading one frame after tap_flush() and splitting it into its headers,
 * with every length checked against the next; checksums, computed here,
 * independently of checksum.c, which is what is under test; and a walker
 * for the type-length-value option lists of DHCPv6 and NDP, which also
 * checks that a whole list is well-formed.
 *
 * Every helper accesses frames through memcpy(): a frame in a buffer is not
 * aligned for any header.
 */

#include <check.h>
#include <errno.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "passt.h"
#include "tap.h"
#include "frames.h"

const struct opt_fmt opt_dhcpv6 = { .field = 2, .unit = 1 };
const struct opt_fmt opt_ndp = { .field = 1, .unit = 8, .len_has_hdr = true };

/**
 * sum16() - Add bytes, as 16-bit big-endian words, to a one's complement sum
 * @sum:	Running sum
 * @buf:	Bytes
 * @len:	How many, an odd last one padded with a zero
 *
 * Return: new sum, not folded
 */
static uint32_t sum16(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

/**
 * sum16_fold() - Fold a one's complement sum to 16 bits
 * @sum:	Sum, not folded
 *
 * Return: folded sum
 */
static uint16_t sum16_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * sum16_ok() - Check a one's complement sum over data including its checksum
 * @sum:	Sum, not folded
 *
 * Return: true if it folds to 0xffff, that is, if the checksum is right
 */
static bool sum16_ok(uint32_t sum)
{
	return sum16_fold(sum) == 0xffff;
}

/**
 * l4_csum_ok() - Check the checksum of the transport header and payload
 * @f:		Frame, IPv4 or IPv6
 *
 * Return: true if the checksum, pseudo-header included, is right
 */
static bool l4_csum_ok(const struct frame *f)
{
	uint32_t sum;

	if (ntohs(f->eh.h_proto) == ETH_P_IP) {
		sum = sum16(0, &f->ip4.saddr, 2 * sizeof(f->ip4.saddr));
		sum += f->ip4.protocol;
	} else {
		sum = sum16(0, &f->ip6.ip6_src, 2 * sizeof(f->ip6.ip6_src));
		sum += f->ip6.ip6_nxt;
	}
	sum += (uint32_t)(f->l4_len >> 16) + (uint32_t)(f->l4_len & 0xffff);
	return sum16_ok(sum16(sum, f->l4, f->l4_len));
}

/**
 * eth_put() - Write an Ethernet header
 * @p:		Where to write it
 * @dst:	Destination MAC address
 * @src:	Source MAC address
 * @proto:	Ethertype, host order
 *
 * Return: bytes written
 */
size_t eth_put(uint8_t *p, const uint8_t *dst, const uint8_t *src,
	       uint16_t proto)
{
	struct ethhdr eh;

	memcpy(eh.h_dest, dst, ETH_ALEN);
	memcpy(eh.h_source, src, ETH_ALEN);
	eh.h_proto = htons(proto);
	memcpy(p, &eh, sizeof(eh));
	return sizeof(eh);
}

/**
 * ip4_put() - Write an IPv4 header without options, checksum included
 * @p:		Where to write it
 * @saddr:	Source address, network order
 * @daddr:	Destination address, network order
 * @proto:	Protocol of the payload
 * @plen:	Length of the payload
 *
 * Return: bytes written
 */
size_t ip4_put(uint8_t *p, in_addr_t saddr, in_addr_t daddr, uint8_t proto,
	       size_t plen)
{
	struct iphdr iph;

	memset(&iph, 0, sizeof(iph));
	iph.version = 4;
	iph.ihl = sizeof(iph) / 4;
	iph.tot_len = htons((uint16_t)(sizeof(iph) + plen));
	iph.ttl = 64;
	iph.protocol = proto;
	iph.saddr = saddr;
	iph.daddr = daddr;
	iph.check = htons((uint16_t)~sum16_fold(sum16(0, &iph, sizeof(iph))));
	memcpy(p, &iph, sizeof(iph));
	return sizeof(iph);
}

/**
 * ip6_put() - Write an IPv6 header
 * @p:		Where to write it
 * @src:	Source address
 * @dst:	Destination address
 * @nxt:	Next header
 * @hlim:	Hop limit
 * @plen:	Payload length
 *
 * Return: bytes written
 */
size_t ip6_put(uint8_t *p, const struct in6_addr *src,
	       const struct in6_addr *dst, uint8_t nxt, uint8_t hlim,
	       size_t plen)
{
	struct ip6_hdr ip6h;

	memset(&ip6h, 0, sizeof(ip6h));
	ip6h.ip6_flow = htonl(6U << 28);
	ip6h.ip6_plen = htons((uint16_t)plen);
	ip6h.ip6_nxt = nxt;
	ip6h.ip6_hlim = hlim;
	ip6h.ip6_src = *src;
	ip6h.ip6_dst = *dst;
	memcpy(p, &ip6h, sizeof(ip6h));
	return sizeof(ip6h);
}

/**
 * frame_recv() - Flush the daemon's tap queue, read one frame from its pipe
 * @c:		Execution context, pasta mode, a pipe as tap device
 * @fd:		Read end of that pipe
 * @buf:	Buffer
 * @size:	Size of @buf
 *
 * Return: frame length, 0 if nothing was sent
 */
size_t frame_recv(struct ctx *c, int fd, void *buf, size_t size)
{
	ssize_t n;

	tap_flush(c);
	n = read(fd, buf, size);
	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		return 0;
	}
	return (size_t)n;
}

/**
 * frame_read() - Read one frame as frame_recv() does, split it into @f
 * @c:		Execution context, pasta mode, a pipe as tap device
 * @fd:		Read end of that pipe
 * @f:		Frame, filled in
 *
 * For IPv4 and IPv6, checks the version, that the IP header accounts for
 * exactly the rest of the frame, and the IPv4 header checksum.
 *
 * Return: frame length, 0 if nothing was sent
 */
size_t frame_read(struct ctx *c, int fd, struct frame *f)
{
	const uint8_t *l3 = f->buf + ETH_HLEN;

	memset(&f->eh, 0, sizeof(f->eh));
	f->l4 = NULL;
	f->l4_len = 0;
	f->len = frame_recv(c, fd, f->buf, sizeof(f->buf));
	if (!f->len)
		return 0;

	ck_assert_uint_ge(f->len, ETH_HLEN);
	memcpy(&f->eh, f->buf, sizeof(f->eh));

	switch (ntohs(f->eh.h_proto)) {
	case ETH_P_IP:
		ck_assert_uint_ge(f->len, ETH_HLEN + sizeof(f->ip4));
		memcpy(&f->ip4, l3, sizeof(f->ip4));
		ck_assert_uint_eq(f->ip4.version, 4);
		ck_assert_uint_eq(f->ip4.ihl, sizeof(f->ip4) / 4);
		ck_assert_uint_eq(ntohs(f->ip4.tot_len), f->len - ETH_HLEN);
		ck_assert(sum16_ok(sum16(0, l3, sizeof(f->ip4))));
		f->l4 = l3 + sizeof(f->ip4);
		f->l4_len = f->len - ETH_HLEN - sizeof(f->ip4);
		break;
	case ETH_P_IPV6:
		ck_assert_uint_ge(f->len, ETH_HLEN + sizeof(f->ip6));
		memcpy(&f->ip6, l3, sizeof(f->ip6));
		ck_assert_uint_eq(f->ip6.ip6_vfc >> 4, 6);
		ck_assert_uint_eq(ntohs(f->ip6.ip6_plen),
				  f->len - ETH_HLEN - sizeof(f->ip6));
		f->l4 = l3 + sizeof(f->ip6);
		f->l4_len = f->len - ETH_HLEN - sizeof(f->ip6);
		break;
	}
	return f->len;
}

/**
 * assert_eth() - Check the Ethernet header of a frame
 * @f:		Frame
 * @dst:	Destination MAC address expected, NULL for any
 * @src:	Source MAC address expected
 * @proto:	Ethertype expected, host order
 */
void assert_eth(const struct frame *f, const uint8_t *dst,
		const uint8_t *src, uint16_t proto)
{
	ck_assert_uint_gt(f->len, 0);
	if (dst)
		ck_assert_mem_eq(f->eh.h_dest, dst, ETH_ALEN);
	ck_assert_mem_eq(f->eh.h_source, src, ETH_ALEN);
	ck_assert_uint_eq(ntohs(f->eh.h_proto), proto);
}

/**
 * assert_ip6() - Check the IPv6 header of a frame
 * @f:		Frame
 * @src:	Source address expected
 * @dst:	Destination address expected
 * @nxt:	Next header expected
 */
void assert_ip6(const struct frame *f, const struct in6_addr *src,
		const struct in6_addr *dst, uint8_t nxt)
{
	ck_assert_uint_eq(ntohs(f->eh.h_proto), ETH_P_IPV6);
	ck_assert_uint_eq(f->ip6.ip6_nxt, nxt);
	ck_assert_mem_eq(&f->ip6.ip6_src, src, sizeof(*src));
	ck_assert_mem_eq(&f->ip6.ip6_dst, dst, sizeof(*dst));
}

/**
 * assert_udp() - Check the UDP header of a frame: length, checksum, ports
 * @f:		Frame, IPv4 or IPv6
 * @sport:	Source port expected, 0 for any
 * @dport:	Destination port expected, 0 for any
 */
void assert_udp(const struct frame *f, uint16_t sport, uint16_t dport)
{
	struct udphdr uh;

	ck_assert_ptr_nonnull(f->l4);
	if (ntohs(f->eh.h_proto) == ETH_P_IP)
		ck_assert_uint_eq(f->ip4.protocol, IPPROTO_UDP);
	else
		ck_assert_uint_eq(f->ip6.ip6_nxt, IPPROTO_UDP);

	ck_assert_uint_ge(f->l4_len, sizeof(uh));
	memcpy(&uh, f->l4, sizeof(uh));
	ck_assert_uint_eq(ntohs(uh.len), f->l4_len);
	ck_assert_msg(l4_csum_ok(f), "bad UDP checksum");
	if (sport)
		ck_assert_uint_eq(ntohs(uh.source), sport);
	if (dport)
		ck_assert_uint_eq(ntohs(uh.dest), dport);
}

/**
 * assert_icmp6() - Check the ICMPv6 header of a frame: type, code, checksum
 * @f:		Frame, IPv6
 * @type:	ICMPv6 type expected; the code must be 0
 */
void assert_icmp6(const struct frame *f, uint8_t type)
{
	ck_assert_ptr_nonnull(f->l4);
	ck_assert_uint_eq(f->ip6.ip6_nxt, IPPROTO_ICMPV6);
	ck_assert_uint_ge(f->l4_len, 4);
	ck_assert_uint_eq(f->l4[0], type);
	ck_assert_uint_eq(f->l4[1], 0);
	ck_assert_msg(l4_csum_ok(f), "bad ICMPv6 checksum");
}

/**
 * field_get() - Read a big-endian field of an option header
 * @p:		Field
 * @size:	Its size, 1 or 2 bytes
 *
 * Return: value
 */
static size_t field_get(const uint8_t *p, size_t size)
{
	return size == 1 ? p[0] : (size_t)(p[0] << 8 | p[1]);
}

/**
 * opt_walk() - Find an option in a list, checking the whole list
 * @fmt:	Layout of the options
 * @p:		Message holding the list
 * @start:	Offset of the list in @p
 * @end:	End of the list in @p: the last option must end exactly there
 * @type:	Option type to find
 * @nth:	Which one of that type, from 0
 * @len:	Set to the length of the option's data, if found
 *
 * Return: offset of the option's data in @p, 0 if it isn't there
 */
size_t opt_walk(const struct opt_fmt *fmt, const uint8_t *p, size_t start,
		size_t end, unsigned int type, unsigned int nth, size_t *len)
{
	size_t hdr = 2 * fmt->field, off, found = 0;

	for (off = start; off < end; ) {
		size_t t, total;

		ck_assert_uint_le(off + hdr, end);
		t = field_get(p + off, fmt->field);
		total = field_get(p + off + fmt->field, fmt->field) * fmt->unit;
		if (!fmt->len_has_hdr)
			total += hdr;
		ck_assert_uint_ge(total, hdr);
		ck_assert_uint_le(off + total, end);

		if (t == type && !found && !nth--) {
			found = off + hdr;
			*len = total - hdr;
		}
		off += total;
	}
	ck_assert_uint_eq(off, end);
	return found;
}

/**
 * assert_opt_eq() - Check that a list holds an option with exactly this data
 * @fmt:	Layout of the options
 * @p:		Message holding the list
 * @start:	Offset of the list in @p
 * @end:	End of the list in @p
 * @type:	Option type
 * @val:	Data expected
 * @len:	Length of @val
 */
void assert_opt_eq(const struct opt_fmt *fmt, const uint8_t *p, size_t start,
		   size_t end, unsigned int type, const void *val, size_t len)
{
	size_t olen, off = opt_walk(fmt, p, start, end, type, 0, &olen);

	ck_assert_msg(off, "option %u missing", type);
	ck_assert_uint_eq(olen, len);
	ck_assert_mem_eq(p + off, val, len);
}

/**
 * assert_opt_absent() - Check that a well-formed list has no such option
 * @fmt:	Layout of the options
 * @p:		Message holding the list
 * @start:	Offset of the list in @p
 * @end:	End of the list in @p
 * @type:	Option type
 */
void assert_opt_absent(const struct opt_fmt *fmt, const uint8_t *p,
		       size_t start, size_t end, unsigned int type)
{
	size_t olen;

	ck_assert_msg(!opt_walk(fmt, p, start, end, type, 0, &olen),
		      "option %u present", type);
}
