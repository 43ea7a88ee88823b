// SPDX-License-Identifier: GPL-2.0-or-later
/* checksum.c - Internet checksums (RFC 1071): IPv4 header, and TCP, UDP,
 * ICMP and ICMPv6 with their pseudo-headers
 *
 * Sums are accumulated unfolded in 32 bits, in network byte order as read
 * from memory, and folded to 16 bits at the end; the pseudo-header helpers
 * return an unfolded sum to start the payload's sum from.
 */

#include <string.h>

#include "checksum.h"

/**
 * csum_unfolded() - Add a buffer to a 32-bit unfolded checksum
 * @buf:	Data
 * @len:	Length of data
 * @init:	Sum so far
 *
 * Return: new unfolded sum
 */
uint32_t csum_unfolded(const void *buf, size_t len, uint32_t init)
{
	const uint8_t *p = buf;
	uint64_t sum = init;

	while (len >= 8) {
		uint32_t a, b;

		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		sum += (uint64_t)a + b;
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		sum += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;

		memcpy(&w, p, 1);
		sum += w;
	}

	while (sum >> 32)
		sum = (sum & 0xffffffffULL) + (sum >> 32);
	return (uint32_t)sum;
}

/**
 * csum_fold() - Fold a 32-bit sum to 16 bits and complement it
 * @sum:	Unfolded sum
 *
 * Return: checksum, ready to store
 */
uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * csum() - Checksum of a buffer, starting from a partial sum
 * @buf:	Data
 * @len:	Length of data
 * @init:	Unfolded sum so far, e.g. a pseudo-header
 *
 * Return: checksum, ready to store
 */
uint16_t csum(const void *buf, size_t len, uint32_t init)
{
	return csum_fold(csum_unfolded(buf, len, init));
}

/**
 * csum_ip4_header() - Checksum of an IPv4 header, its checksum field zero
 * @iph:	Header
 * @hlen:	Header length
 *
 * Return: checksum, ready to store
 */
uint16_t csum_ip4_header(const void *iph, size_t hlen)
{
	return csum(iph, hlen, 0);
}

/**
 * csum_pseudo4() - Unfolded sum of an IPv4 pseudo-header
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Protocol number
 * @l4len:	Length of the layer 4 header and payload
 *
 * Return: unfolded sum
 */
uint32_t csum_pseudo4(struct in_addr src, struct in_addr dst, uint8_t proto,
		      size_t l4len)
{
	uint32_t sum = 0;

	sum += src.s_addr >> 16;
	sum += src.s_addr & 0xffff;
	sum += dst.s_addr >> 16;
	sum += dst.s_addr & 0xffff;
	sum += htons(proto);
	sum += htons((uint16_t)l4len);
	return sum;
}

/**
 * csum_pseudo6() - Unfolded sum of an IPv6 pseudo-header
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Next header value
 * @l4len:	Length of the layer 4 header and payload
 *
 * Return: unfolded sum
 */
uint32_t csum_pseudo6(const struct in6_addr *src, const struct in6_addr *dst,
		      uint8_t proto, size_t l4len)
{
	struct {
		struct in6_addr src;
		struct in6_addr dst;
		uint32_t len;
		uint8_t zero[3];
		uint8_t nh;
	} __attribute__((packed)) ph = {
		.src = *src, .dst = *dst, .len = htonl((uint32_t)l4len),
		.nh = proto,
	};

	return csum_unfolded(&ph, sizeof(ph), 0);
}
