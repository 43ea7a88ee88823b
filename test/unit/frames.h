/* SPDX-License-Identifier: GPL-2.0-or-later */
/* frames.h - Frames the unit tests write for the daemon and read back from
 * it, and the option lists inside them
 *
 * Include after check.h and passt.h.
 */

#ifndef TEST_UNIT_FRAMES_H
#define TEST_UNIT_FRAMES_H

#include <linux/if_ether.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Larger than any frame the daemon may send: an overlong one shows */
#define FRAME_BUF_SIZE		(1 << 17)

/**
 * struct frame - A frame the guest received, split up
 * @buf:	The frame
 * @len:	Its length, 0 if nothing was sent
 * @eh:		Ethernet header, copied out (@buf isn't aligned for it)
 * @ip4:	IPv4 header, copied out, for an IPv4 frame
 * @ip6:	IPv6 header, copied out, for an IPv6 frame
 * @l4:		What follows the IP header, inside @buf; NULL if not IP
 * @l4_len:	Its length, from the IP header
 */
struct frame {
	uint8_t buf[FRAME_BUF_SIZE];
	size_t len;
	struct ethhdr eh;
	union {
		struct iphdr ip4;
		struct ip6_hdr ip6;
	};
	const uint8_t *l4;
	size_t l4_len;
};

/**
 * struct opt_fmt - Layout of a type-length-value option list
 * @field:	Size of the type field and of the length field, in bytes
 * @unit:	Unit of the length field, in bytes
 * @len_has_hdr: The length counts the type and length fields too
 */
struct opt_fmt {
	size_t field;
	size_t unit;
	bool len_has_hdr;
};

/* DHCPv6 (RFC 8415, 21.1) and NDP (RFC 4861, 4.6) options */
extern const struct opt_fmt opt_dhcpv6;
extern const struct opt_fmt opt_ndp;

size_t eth_put(uint8_t *p, const uint8_t *dst, const uint8_t *src,
	       uint16_t proto);
size_t ip4_put(uint8_t *p, in_addr_t saddr, in_addr_t daddr, uint8_t proto,
	       size_t plen);
size_t ip6_put(uint8_t *p, const struct in6_addr *src,
	       const struct in6_addr *dst, uint8_t nxt, uint8_t hlim,
	       size_t plen);

size_t frame_recv(struct ctx *c, int fd, void *buf, size_t size);
size_t frame_read(struct ctx *c, int fd, struct frame *f);
void assert_eth(const struct frame *f, const uint8_t *dst,
		const uint8_t *src, uint16_t proto);
void assert_ip6(const struct frame *f, const struct in6_addr *src,
		const struct in6_addr *dst, uint8_t nxt);
void assert_udp(const struct frame *f, uint16_t sport, uint16_t dport);
void assert_icmp6(const struct frame *f, uint8_t type);

size_t opt_walk(const struct opt_fmt *fmt, const uint8_t *p, size_t start,
		size_t end, unsigned int type, unsigned int nth, size_t *len);
void assert_opt_eq(const struct opt_fmt *fmt, const uint8_t *p, size_t start,
		   size_t end, unsigned int type, const void *val, size_t len);
void assert_opt_absent(const struct opt_fmt *fmt, const uint8_t *p,
		       size_t start, size_t end, unsigned int type);

#endif /* TEST_UNIT_FRAMES_H */
