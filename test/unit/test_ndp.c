// SPDX-License-Identifier: GPL-2.0-or-later
/* test_ndp.c - Neighbour and router advertisements (ndp.c)
 *
 * Each test builds an NDP message as the guest would send it, runs ndp() on
 * it (or tap_handler() on the whole frame), and reads back what was sent to
 * the guest: the daemon runs in pasta mode with the write end of a pipe as
 * its tap device, so every frame queued comes out of the read end whole on
 * tap_flush(). Replies are checked field by field, router advertisement
 * options byte for byte, and every ICMPv6 checksum is verified.
 *
 * Malformed messages (bad code, hop limit, truncated, options of length
 * zero or running past the end) must be consumed as NDP and get no answer.
 */

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checksum.h"
#include "ndp.h"
#include "packet.h"
#include "passt.h"
#include "tap.h"

#include "fixture.h"
#include "unit.h"

#define OUR_LL		"fe80::1"
#define GW		"2001:db8::1"
#define GUEST_ADDR	"2001:db8::2"
#define GUEST_LL	"fe80::5054:ff:fe12:3456"
#define DNS1		"2001:db8::53"
#define DNS2		"2001:db8:1::53"
#define ALL_NODES	"ff02::1"
#define ALL_ROUTERS	"ff02::2"

static const uint8_t all_nodes_mac[ETH_ALEN] = { 0x33, 0x33, 0, 0, 0, 1 };

static struct ctx c;		/* Large: static */
static int peer_fd = -1;	/* Guest side: frames come out here */

/* Message under test, then (optionally) the IPv6 header, in one buffer */
#define MSG_OFF		0
#define IP6H_OFF	2048
static uint8_t in_buf[4096] __attribute__((aligned(8)));
static size_t msg_len;

/**
 * struct reply - A frame the guest received, split up
 * @len:	Frame length, 0 if nothing was sent
 * @frame:	The frame
 * @eh:		Ethernet header, copied out
 * @ip6h:	IPv6 header, copied out
 * @icmp:	ICMPv6 message, inside @frame
 * @icmp_len:	Length of @icmp, from the IPv6 payload length
 */
struct reply {
	size_t len;
	uint8_t frame[TAP_FRAME_MAX];
	struct ethhdr eh;
	struct ip6_hdr ip6h;
	const uint8_t *icmp;
	size_t icmp_len;
};
static struct reply r;

/**
 * ndp_setup() - Checked fixture: pasta context with a pipe as tap device
 */
static void ndp_setup(void)
{
	memset(in_buf, 0, sizeof(in_buf));
	msg_len = 0;

	fixture_pasta(&c, &peer_fd);
	c.ifi6 = 1;
	c.mtu = MTU_DEFAULT;
	c.ip6.addr = addr6(GUEST_ADDR);
	c.ip6.addr_seen = c.ip6.addr;
	c.ip6.addr_ll_seen = addr6(GUEST_LL);
	c.ip6.prefix_len = 64;
	c.ip6.gw = addr6(GW);
	c.ip6.our_tap_ll = addr6(OUR_LL);
	c.ip6.dns[0] = addr6(DNS1);
	c.ip6.dns[1] = addr6(DNS2);
	strcpy(c.dns_search[0], "example.org");
	strcpy(c.dns_search[1], "sub.example.net");

}

/**
 * ndp_teardown() - Checked fixture: close both ends of the pipe
 */
static void ndp_teardown(void)
{
	close(peer_fd);
	if (c.fd_tap >= 0)
		close(c.fd_tap);
}

/**
 * put() - Append bytes to the message under test
 * @data:	Bytes
 * @len:	Length
 */
static void put(const void *data, size_t len)
{
	ck_assert_uint_le(msg_len + len, IP6H_OFF);
	memcpy(in_buf + MSG_OFF + msg_len, data, len);
	msg_len += len;
}

/**
 * put_ns() - Write a neighbour solicitation for @target, no options
 * @target:	Target address, text
 */
static void put_ns(const char *target)
{
	struct nd_neighbor_solicit ns;

	memset(&ns, 0, sizeof(ns));
	ns.nd_ns_type = ND_NEIGHBOR_SOLICIT;
	ns.nd_ns_target = addr6(target);
	msg_len = 0;
	put(&ns, sizeof(ns));
}

/**
 * put_rs() - Write a router solicitation, no options
 */
static void put_rs(void)
{
	struct nd_router_solicit rs;

	memset(&rs, 0, sizeof(rs));
	rs.nd_rs_type = ND_ROUTER_SOLICIT;
	msg_len = 0;
	put(&rs, sizeof(rs));
}

/**
 * put_slla() - Append a source link-layer address option: the guest's MAC
 */
static void put_slla(void)
{
	uint8_t opt[8] = { ND_OPT_SOURCE_LINKADDR, 1 };

	memcpy(opt + 2, guest_mac, ETH_ALEN);
	put(opt, sizeof(opt));
}

/**
 * run_ndp_hlim() - Call ndp() on the message, with an IPv6 header
 * @src:	Source address, text
 * @dst:	Destination address, text
 * @hlim:	Hop limit in the IPv6 header, -1 to pass no header
 *
 * Return: what ndp() returns
 */
static int run_ndp_hlim(const char *src, const char *dst, int hlim)
{
	struct in6_addr s = addr6(src), d = addr6(dst);
	struct iovec pkt[2];
	struct pool p = {
		.buf = (const char *)in_buf, .buf_size = sizeof(in_buf),
		.size = 2, .count = 0, .pkt = pkt,
	};

	ck_assert(packet_add(&p, msg_len, (const char *)in_buf + MSG_OFF));
	if (hlim >= 0) {
		struct ip6_hdr ip6h;

		memset(&ip6h, 0, sizeof(ip6h));
		ip6h.ip6_flow = htonl(6U << 28);
		ip6h.ip6_plen = htons((uint16_t)msg_len);
		ip6h.ip6_nxt = IPPROTO_ICMPV6;
		ip6h.ip6_hlim = (uint8_t)hlim;
		ip6h.ip6_src = s;
		ip6h.ip6_dst = d;
		memcpy(in_buf + IP6H_OFF, &ip6h, sizeof(ip6h));
		ck_assert(packet_add(&p, sizeof(ip6h),
				     (const char *)in_buf + IP6H_OFF));
	}

	return ndp(&c, &s, &d, &p);
}

/**
 * run_ndp() - Call ndp() on the message, with hop limit 255
 * @src:	Source address, text
 * @dst:	Destination address, text
 *
 * Return: what ndp() returns
 */
static int run_ndp(const char *src, const char *dst)
{
	return run_ndp_hlim(src, dst, 255);
}

/**
 * read_reply() - Flush the tap queue, read and split one frame into @r
 *
 * Return: frame length, 0 if nothing was sent
 */
static size_t read_reply(void)
{
	ssize_t n;

	memset(&r, 0, sizeof(r));
	tap_flush(&c);
	n = read(peer_fd, r.frame, sizeof(r.frame));
	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		return 0;
	}
	r.len = (size_t)n;
	ck_assert_uint_ge(r.len, sizeof(r.eh) + sizeof(r.ip6h));
	memcpy(&r.eh, r.frame, sizeof(r.eh));
	memcpy(&r.ip6h, r.frame + sizeof(r.eh), sizeof(r.ip6h));
	r.icmp = r.frame + sizeof(r.eh) + sizeof(r.ip6h);
	r.icmp_len = ntohs(r.ip6h.ip6_plen);
	ck_assert_uint_eq(r.len, sizeof(r.eh) + sizeof(r.ip6h) + r.icmp_len);
	return r.len;
}

/**
 * assert_no_reply() - Check that nothing was sent to the guest
 */
static void assert_no_reply(void)
{
	ck_assert_uint_eq(read_reply(), 0);
}

/**
 * assert_icmp6_frame() - Read one frame: ICMPv6 of @type, @src to @dst
 * @type:	ICMPv6 type expected
 * @src:	Source address expected, text
 * @dst:	Destination address expected, text
 * @mac:	Destination MAC address expected
 *
 * Checks the Ethernet and IPv6 headers, ICMPv6 code 0 and the checksum;
 * nothing else may have been sent.
 */
static void assert_icmp6_frame(uint8_t type, const char *src, const char *dst,
			       const uint8_t *mac)
{
	struct in6_addr s = addr6(src), d = addr6(dst);

	ck_assert_uint_gt(read_reply(), 0);
	ck_assert_mem_eq(r.eh.h_dest, mac, ETH_ALEN);
	ck_assert_mem_eq(r.eh.h_source, our_mac, ETH_ALEN);
	ck_assert_uint_eq(ntohs(r.eh.h_proto), ETH_P_IPV6);

	ck_assert_uint_eq(r.ip6h.ip6_vfc >> 4, 6);
	ck_assert_uint_eq(r.ip6h.ip6_nxt, IPPROTO_ICMPV6);
	ck_assert_uint_eq(r.ip6h.ip6_hlim, 255);
	ck_assert_mem_eq(&r.ip6h.ip6_src, &s, sizeof(s));
	ck_assert_mem_eq(&r.ip6h.ip6_dst, &d, sizeof(d));

	ck_assert_uint_ge(r.icmp_len, 4);
	ck_assert_uint_eq(r.icmp[0], type);
	ck_assert_uint_eq(r.icmp[1], 0);
	ck_assert_uint_eq(csum(r.icmp, r.icmp_len,
			       csum_pseudo6(&s, &d, IPPROTO_ICMPV6,
					    r.icmp_len)), 0);

	{
		uint8_t more[64];

		ck_assert_int_lt(read(peer_fd, more, sizeof(more)), 0);
	}
}

/**
 * assert_na() - Check the reply is the advertisement for @target
 * @target:	Target address solicited, text
 * @dst:	Destination expected, text
 * @mac:	Destination MAC address expected
 * @solicited:	Solicited flag expected
 */
static void assert_na(const char *target, const char *dst,
		      const uint8_t *mac, bool solicited)
{
	struct in6_addr t = addr6(target);
	uint8_t expect[32] = { ND_NEIGHBOR_ADVERT, 0, 0, 0,
			       solicited ? 0xe0 : 0xa0, 0, 0, 0 };

	memcpy(expect + 8, &t, sizeof(t));
	expect[24] = ND_OPT_TARGET_LINKADDR;
	expect[25] = 1;
	memcpy(expect + 26, our_mac, ETH_ALEN);

	assert_icmp6_frame(ND_NEIGHBOR_ADVERT, target, dst, mac);
	ck_assert_uint_eq(r.icmp_len, sizeof(expect));
	memcpy(expect + 2, r.icmp + 2, 2);	/* Checksum: checked */
	ck_assert_mem_eq(r.icmp, expect, sizeof(expect));
}

/* Neighbour solicitations */

START_TEST(ns_for_gateway_answered)
{
	put_ns(GW);
	put_slla();
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
	assert_na(GW, GUEST_LL, guest_mac, true);
}
END_TEST

START_TEST(ns_for_any_other_address_answered)
{
	static const char *targets[] = {
		"2001:db8::99", "2001:db8:1::1", "fe80::1234", OUR_LL,
		"2001:db8::5054:ff:fe12:3457",
	};
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		put_ns(targets[i]);
		put_slla();
		ck_assert_int_eq(run_ndp(GUEST_ADDR, "ff02::1:ff00:99"), 1);
		assert_na(targets[i], GUEST_ADDR, guest_mac, true);
	}
}
END_TEST

START_TEST(ns_unicast_without_options_answered)
{
	/* Neighbour unreachability detection: unicast, no option needed */
	put_ns(OUR_LL);
	ck_assert_int_eq(run_ndp(GUEST_LL, OUR_LL), 1);
	assert_na(OUR_LL, GUEST_LL, guest_mac, true);
}
END_TEST

START_TEST(ns_with_ignored_options_answered)
{
	uint8_t nonce[8] = { 14, 1, 1, 2, 3, 4, 5, 6 };	/* RFC 3971 */

	put_ns(GW);
	put(nonce, sizeof(nonce));
	put_slla();
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
	assert_na(GW, GUEST_LL, guest_mac, true);
}
END_TEST

START_TEST(ns_without_ipv6_header_answered)
{
	put_ns(GW);
	ck_assert_int_eq(run_ndp_hlim(GUEST_LL, "ff02::1:ff00:1", -1), 1);
	assert_na(GW, GUEST_LL, guest_mac, true);
}
END_TEST

START_TEST(dad_for_guest_address_unanswered)
{
	put_ns(GUEST_ADDR);
	ck_assert_int_eq(run_ndp("::", "ff02::1:ff00:2"), 1);
	assert_no_reply();

	put_ns(GUEST_LL);
	ck_assert_int_eq(run_ndp("::", "ff02::1:ff12:3456"), 1);
	assert_no_reply();
}
END_TEST

START_TEST(dad_for_any_new_address_unanswered)
{
	/* SLAAC and privacy addresses the guest makes up */
	put_ns("2001:db8::5054:ff:fe12:3456");
	ck_assert_int_eq(run_ndp("::", "ff02::1:ff12:3456"), 1);
	assert_no_reply();

	put_ns("2001:db8::1234:5678:9abc:def0");
	ck_assert_int_eq(run_ndp("::", "ff02::1:ffbc:def0"), 1);
	assert_no_reply();
}
END_TEST

START_TEST(dad_for_our_address_defended)
{
	put_ns(OUR_LL);
	ck_assert_int_eq(run_ndp("::", "ff02::1:ff00:1"), 1);
	assert_na(OUR_LL, ALL_NODES, all_nodes_mac, false);

	put_ns(GW);
	ck_assert_int_eq(run_ndp("::", "ff02::1:ff00:1"), 1);
	assert_na(GW, ALL_NODES, all_nodes_mac, false);
}
END_TEST

START_TEST(ns_for_guest_address_unanswered)
{
	put_ns(GUEST_ADDR);
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:2"), 1);
	assert_no_reply();

	put_ns(GUEST_LL);
	ck_assert_int_eq(run_ndp(GUEST_ADDR, "ff02::1:ff12:3456"), 1);
	assert_no_reply();

	c.ip6.addr_seen = addr6("2001:db8::77");
	put_ns("2001:db8::77");
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:77"), 1);
	assert_no_reply();
}
END_TEST

START_TEST(ns_for_multicast_target_dropped)
{
	put_ns("ff02::1");
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1"), 1);
	assert_no_reply();
}
END_TEST

START_TEST(dad_with_source_lladdr_dropped)
{
	put_ns(OUR_LL);
	put_slla();
	ck_assert_int_eq(run_ndp("::", "ff02::1:ff00:1"), 1);
	assert_no_reply();
}
END_TEST

START_TEST(dad_not_to_solicited_node_group_dropped)
{
	put_ns(OUR_LL);
	ck_assert_int_eq(run_ndp("::", OUR_LL), 1);
	assert_no_reply();
	put_ns(OUR_LL);
	ck_assert_int_eq(run_ndp("::", ALL_NODES), 1);
	assert_no_reply();
}
END_TEST

START_TEST(ns_with_bad_hop_limit_dropped)
{
	static const int hlim[] = { 0, 1, 64, 254 };
	size_t i;

	for (i = 0; i < sizeof(hlim) / sizeof(hlim[0]); i++) {
		put_ns(GW);
		ck_assert_int_eq(run_ndp_hlim(GUEST_LL, "ff02::1:ff00:1",
					      hlim[i]), 1);
		assert_no_reply();
	}
}
END_TEST

START_TEST(ns_with_truncated_ipv6_header_dropped)
{
	struct iovec pkt[2];
	struct pool p = {
		.buf = (const char *)in_buf, .buf_size = sizeof(in_buf),
		.size = 2, .count = 0, .pkt = pkt,
	};
	struct in6_addr s = addr6(GUEST_LL), d = addr6("ff02::1:ff00:1");

	put_ns(GW);
	in_buf[IP6H_OFF + 7] = 255;
	ck_assert(packet_add(&p, msg_len, (const char *)in_buf + MSG_OFF));
	ck_assert(packet_add(&p, 39, (const char *)in_buf + IP6H_OFF));
	ck_assert_int_eq(ndp(&c, &s, &d, &p), 1);
	assert_no_reply();
}
END_TEST

START_TEST(ns_with_nonzero_code_dropped)
{
	put_ns(GW);
	in_buf[MSG_OFF + 1] = 1;
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
	assert_no_reply();
}
END_TEST

START_TEST(truncated_ns_dropped)
{
	size_t len;

	for (len = 2; len < sizeof(struct nd_neighbor_solicit); len++) {
		put_ns(GW);
		msg_len = len;
		ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
		assert_no_reply();
	}
}
END_TEST

START_TEST(ns_with_zero_length_option_dropped)
{
	uint8_t opt[8] = { ND_OPT_SOURCE_LINKADDR, 0 };

	put_ns(GW);
	put(opt, sizeof(opt));
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
	assert_no_reply();

	/* Also after a good one */
	put_ns(GW);
	put_slla();
	put(opt, sizeof(opt));
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
	assert_no_reply();
}
END_TEST

START_TEST(ns_with_option_past_end_dropped)
{
	uint8_t opt[8] = { ND_OPT_SOURCE_LINKADDR, 2 };	/* 16 bytes */

	put_ns(GW);
	put(opt, sizeof(opt));
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
	assert_no_reply();

	/* Longest possible claim */
	put_ns(GW);
	opt[1] = 255;
	put(opt, sizeof(opt));
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
	assert_no_reply();
}
END_TEST

START_TEST(ns_with_truncated_option_dropped)
{
	uint8_t opt[8] = { ND_OPT_SOURCE_LINKADDR, 1 };

	/* A lone byte where an option header should be */
	put_ns(GW);
	put(opt, 1);
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
	assert_no_reply();

	/* Header there, body cut */
	put_ns(GW);
	put(opt, 6);
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
	assert_no_reply();
}
END_TEST

/**
 * frame_ns() - Build a whole frame: Ethernet, IPv6, neighbour solicitation
 * @buf:	Buffer
 * @hlim:	Hop limit
 *
 * Return: frame length
 */
static size_t frame_ns(uint8_t *buf, uint8_t hlim)
{
	struct ethhdr eh = { .h_proto = htons(ETH_P_IPV6) };
	struct nd_neighbor_solicit ns;
	struct ip6_hdr ip6h;

	memcpy(eh.h_dest, "\x33\x33\xff\x00\x00\x01", ETH_ALEN);
	memcpy(eh.h_source, guest_mac, ETH_ALEN);

	memset(&ns, 0, sizeof(ns));
	ns.nd_ns_type = ND_NEIGHBOR_SOLICIT;
	ns.nd_ns_target = addr6(GW);

	memset(&ip6h, 0, sizeof(ip6h));
	ip6h.ip6_flow = htonl(6U << 28);
	ip6h.ip6_plen = htons(sizeof(ns));
	ip6h.ip6_nxt = IPPROTO_ICMPV6;
	ip6h.ip6_hlim = hlim;
	ip6h.ip6_src = addr6(GUEST_LL);
	ip6h.ip6_dst = addr6("ff02::1:ff00:1");

	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ip6h, sizeof(ip6h));
	memcpy(buf + sizeof(eh) + sizeof(ip6h), &ns, sizeof(ns));
	return sizeof(eh) + sizeof(ip6h) + sizeof(ns);
}

START_TEST(ns_through_tap_handler_answered)
{
	PACKET_POOL_P(pool, in_buf, sizeof(in_buf));

	ck_assert(packet_add(&pool, frame_ns(in_buf, 255),
			     (const char *)in_buf));
	tap_handler(&c, &pool, NULL);
	assert_na(GW, GUEST_LL, guest_mac, true);
	ck_assert_uint_eq(tap_stats.dropped_in, 0);
}
END_TEST

/* Other ICMPv6 messages */

START_TEST(echo_request_not_ndp)
{
	uint8_t echo[16] = { ICMP6_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1 };

	put(echo, sizeof(echo));
	ck_assert_int_eq(run_ndp(GUEST_ADDR, GW), 0);
	assert_no_reply();

	msg_len = 0;
	put(echo, 1);
	ck_assert_int_eq(run_ndp(GUEST_ADDR, GW), 0);
	assert_no_reply();
}
END_TEST

START_TEST(advertisements_and_redirects_ignored)
{
	static const uint8_t types[] = { ND_NEIGHBOR_ADVERT, ND_ROUTER_ADVERT,
					 ND_REDIRECT };
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		uint8_t msg[40] = { types[i] };

		msg_len = 0;
		put(msg, sizeof(msg));
		ck_assert_int_eq(run_ndp(GUEST_LL, ALL_NODES), 1);
		assert_no_reply();
	}
}
END_TEST

/* Router advertisements */

/* What the RA for the fixture's configuration must be, checksum zeroed */
static const uint8_t ra_expect[] = {
	/* Type, code, checksum, hop limit, M and O, router lifetime 65535 */
	134, 0, 0, 0, 0, 0xc0, 0xff, 0xff,
	/* Reachable time, retransmission timer: unspecified */
	0, 0, 0, 0, 0, 0, 0, 0,
	/* Source link-layer address */
	1, 1, 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55,
	/* MTU: 65520 */
	5, 1, 0, 0, 0, 0, 0xff, 0xf0,
	/* Prefix information: /64, on-link, autonomous, infinite */
	3, 4, 64, 0xc0, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* RDNSS: two servers, infinite lifetime */
	25, 5, 0, 0, 0xff, 0xff, 0xff, 0xff,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	/* DNSSL: example.org, sub.example.net, two bytes of padding */
	31, 5, 0, 0, 0xff, 0xff, 0xff, 0xff,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
	3, 's', 'u', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	3, 'n', 'e', 't', 0, 0, 0,
};

/**
 * ra_option() - Find an option in the advertisement received
 * @type:	Option type
 * @len:	Set to the option length in bytes
 *
 * Return: offset of the option in r.icmp, 0 if it isn't there
 */
static size_t ra_option(uint8_t type, size_t *len)
{
	size_t off = sizeof(struct nd_router_advert);

	while (off + 2 <= r.icmp_len) {
		ck_assert_uint_ne(r.icmp[off + 1], 0);
		*len = r.icmp[off + 1] * 8U;
		ck_assert_uint_le(off + *len, r.icmp_len);
		if (r.icmp[off] == type)
			return off;
		off += *len;
	}
	ck_assert_uint_eq(off, r.icmp_len);
	return 0;
}

/**
 * assert_ra_option() - The advertisement has option @type, as @expect says
 * @type:	Option type
 * @expect:	Expected option, byte for byte
 * @len:	Length of @expect
 */
static void assert_ra_option(uint8_t type, const uint8_t *expect, size_t len)
{
	size_t olen, off = ra_option(type, &olen);

	ck_assert_msg(off, "option %u missing", type);
	ck_assert_uint_eq(olen, len);
	ck_assert_mem_eq(r.icmp + off, expect, len);
}

/**
 * assert_no_ra_option() - The advertisement has no option of @type
 * @type:	Option type
 */
static void assert_no_ra_option(uint8_t type)
{
	size_t olen;

	ck_assert_msg(!ra_option(type, &olen), "option %u present", type);
}

/**
 * assert_ra_full() - The advertisement is exactly @ra_expect
 */
static void assert_ra_full(void)
{
	uint8_t got[sizeof(ra_expect)];

	ck_assert_uint_eq(r.icmp_len, sizeof(ra_expect));
	memcpy(got, r.icmp, sizeof(got));
	got[2] = got[3] = 0;
	ck_assert_mem_eq(got, ra_expect, sizeof(ra_expect));
}

START_TEST(rs_answered_with_ra)
{
	put_rs();
	put_slla();
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL, GUEST_LL, guest_mac);
	assert_ra_full();

	/* And option by option, for a clearer message if that failed */
	assert_ra_option(ND_OPT_SOURCE_LINKADDR, ra_expect + 16, 8);
	assert_ra_option(ND_OPT_MTU, ra_expect + 24, 8);
	assert_ra_option(ND_OPT_PREFIX_INFORMATION, ra_expect + 32, 32);
	assert_ra_option(25, ra_expect + 64, 40);
	assert_ra_option(31, ra_expect + 104, 40);
}
END_TEST

START_TEST(rs_from_unspecified_answered_to_all_nodes)
{
	put_rs();
	ck_assert_int_eq(run_ndp("::", ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL, ALL_NODES, all_nodes_mac);
	assert_ra_full();
}
END_TEST

START_TEST(rs_through_tap_handler_answered)
{
	PACKET_POOL_P(pool, in_buf, sizeof(in_buf));
	uint8_t rs[8] = { ND_ROUTER_SOLICIT };
	uint16_t plen = htons(sizeof(rs));
	size_t len;

	/* Turn an NS frame into an RS to all routers */
	frame_ns(in_buf, 255);
	memcpy(in_buf + ETH_HLEN + 4, &plen, sizeof(plen));
	inet_pton(AF_INET6, ALL_ROUTERS, in_buf + ETH_HLEN + 24);
	memcpy(in_buf + ETH_HLEN + 40, rs, sizeof(rs));
	len = ETH_HLEN + 40 + sizeof(rs);

	ck_assert(packet_add(&pool, len, (const char *)in_buf));
	tap_handler(&c, &pool, NULL);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL, GUEST_LL, guest_mac);
	assert_ra_full();
}
END_TEST

START_TEST(rs_with_no_ra_unanswered)
{
	c.no_ra = true;
	put_rs();
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_no_reply();

	/* Neighbour advertisements still work */
	put_ns(GW);
	ck_assert_int_eq(run_ndp(GUEST_LL, "ff02::1:ff00:1"), 1);
	assert_na(GW, GUEST_LL, guest_mac, true);
}
END_TEST

START_TEST(rs_from_unspecified_with_slla_dropped)
{
	put_rs();
	put_slla();
	ck_assert_int_eq(run_ndp("::", ALL_ROUTERS), 1);
	assert_no_reply();
}
END_TEST

START_TEST(rs_with_bad_hop_limit_dropped)
{
	put_rs();
	ck_assert_int_eq(run_ndp_hlim(GUEST_LL, ALL_ROUTERS, 254), 1);
	assert_no_reply();
	put_rs();
	ck_assert_int_eq(run_ndp_hlim(GUEST_LL, ALL_ROUTERS, 1), 1);
	assert_no_reply();
}
END_TEST

START_TEST(rs_with_nonzero_code_dropped)
{
	put_rs();
	in_buf[MSG_OFF + 1] = 255;
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_no_reply();
}
END_TEST

START_TEST(malformed_rs_dropped)
{
	uint8_t zero_len[8] = { ND_OPT_SOURCE_LINKADDR, 0 };
	uint8_t past_end[8] = { ND_OPT_SOURCE_LINKADDR, 3 };
	size_t len;

	for (len = 2; len < sizeof(struct nd_router_solicit); len++) {
		put_rs();
		msg_len = len;
		ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
		assert_no_reply();
	}

	put_rs();
	put(zero_len, sizeof(zero_len));
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_no_reply();

	put_rs();
	put_slla();
	put(past_end, sizeof(past_end));
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_no_reply();

	put_rs();
	put(past_end, 1);
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_no_reply();
}
END_TEST

START_TEST(ra_in_local_mode_has_no_prefix)
{
	memset(&c.ip6.addr, 0, sizeof(c.ip6.addr));
	memset(&c.ip6.addr_seen, 0, sizeof(c.ip6.addr_seen));
	c.ip6.our_tap_ll = c.ip6.gw = addr6("fe80::1");

	put_rs();
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, "fe80::1", GUEST_LL, guest_mac);
	assert_no_ra_option(ND_OPT_PREFIX_INFORMATION);
	ck_assert_uint_eq(r.icmp[5], 0x40);		/* O, not M */
	ck_assert_uint_eq(r.icmp[6], 0xff);		/* Still a router */
	ck_assert_uint_eq(r.icmp[7], 0xff);
	assert_ra_option(ND_OPT_SOURCE_LINKADDR, ra_expect + 16, 8);
	assert_ra_option(ND_OPT_MTU, ra_expect + 24, 8);
	assert_ra_option(25, ra_expect + 64, 40);
	assert_ra_option(31, ra_expect + 104, 40);
}
END_TEST

START_TEST(ra_prefix_is_masked)
{
	static const uint8_t pio[32] = {
		3, 4, 56, 0xc0, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
	};

	c.ip6.addr = addr6("2001:db8:1234:5678::2");
	c.ip6.prefix_len = 56;
	put_rs();
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL, GUEST_LL, guest_mac);
	assert_ra_option(ND_OPT_PREFIX_INFORMATION, pio, sizeof(pio));
}
END_TEST

START_TEST(ra_options_follow_switches)
{
	c.mtu = MTU_MIN_IPV6 - 1;
	c.no_dhcp_dns = true;
	c.no_dhcp_dns_search = true;
	c.no_dhcpv6 = true;

	put_rs();
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL, GUEST_LL, guest_mac);
	ck_assert_uint_eq(r.icmp[5], 0);		/* No M, no O */
	assert_no_ra_option(ND_OPT_MTU);
	assert_no_ra_option(25);
	assert_no_ra_option(31);
	assert_ra_option(ND_OPT_PREFIX_INFORMATION, ra_expect + 32, 32);
	ck_assert_uint_eq(r.icmp_len, 16 + 8 + 32);
}
END_TEST

START_TEST(ra_mtu_option_value)
{
	static const uint8_t mtu[8] = { 5, 1, 0, 0, 0, 0, 0x05, 0x00 };

	c.mtu = MTU_MIN_IPV6;
	put_rs();
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL, GUEST_LL, guest_mac);
	assert_ra_option(ND_OPT_MTU, mtu, sizeof(mtu));
}
END_TEST

START_TEST(ra_without_dns_servers_or_domains)
{
	memset(c.ip6.dns, 0, sizeof(c.ip6.dns));
	memset(c.dns_search, 0, sizeof(c.dns_search));
	put_rs();
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL, GUEST_LL, guest_mac);
	assert_no_ra_option(25);
	assert_no_ra_option(31);
}
END_TEST

START_TEST(ra_dnssl_skips_bad_names)
{
	/* One 8-octet unit exactly: no padding */
	static const uint8_t dnssl[16] = {
		31, 2, 0, 0, 0xff, 0xff, 0xff, 0xff,
		1, 'a', 4, 't', 'e', 's', 't', 0,
	};

	memset(c.dns_search, 0, sizeof(c.dns_search));
	strcpy(c.dns_search[0], "a..b");
	memset(c.dns_search[1], 'x', 64);		/* Label too long */
	strcpy(c.dns_search[2], "a.test.");		/* Final dot: fine */
	strcpy(c.dns_search[3], ".");
	strcpy(c.dns_search[4], ".lead");

	put_rs();
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL, GUEST_LL, guest_mac);
	assert_ra_option(31, dnssl, sizeof(dnssl));
}
END_TEST

START_TEST(ra_stays_within_minimum_mtu)
{
	size_t i, olen;

	/* Six search domains of 253 characters: far too many for 1280 */
	for (i = 0; i < MAXDNSRCH; i++) {
		size_t j;

		memset(c.dns_search[i], 0, sizeof(c.dns_search[i]));
		for (j = 0; j < 253; j++)
			c.dns_search[i][j] = (j % 50 == 49) ? '.' :
					     (char)('a' + i);
	}

	put_rs();
	ck_assert_int_eq(run_ndp(GUEST_LL, ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL, GUEST_LL, guest_mac);
	ck_assert_uint_le(r.icmp_len + 40, MTU_MIN_IPV6);
	ck_assert_uint_eq(r.icmp_len % 8, 0);
	ck_assert(ra_option(31, &olen));
	ck_assert_uint_eq(olen, 8 + 4 * 256);	/* Four names fit */
}
END_TEST

/* Unsolicited advertisements */

/**
 * at() - A monotonic timestamp
 * @sec:	Seconds
 *
 * Return: the timestamp, with some nanoseconds
 */
static struct timespec at(time_t sec)
{
	struct timespec ts = { .tv_sec = sec, .tv_nsec = 123456789 };

	return ts;
}

/**
 * ra_sent() - Did the timer send an unsolicited advertisement?
 *
 * Return: true if exactly one RA to all nodes went out
 */
static bool ra_sent(void)
{
	if (!read_reply())
		return false;
	ck_assert_uint_eq(r.icmp[0], ND_ROUTER_ADVERT);
	ck_assert_mem_eq(r.eh.h_dest, all_nodes_mac, ETH_ALEN);
	assert_no_reply();
	return true;
}

/**
 * timer_reset() - Forget the schedule of earlier tests (no fork mode)
 */
static void timer_reset(void)
{
	int fd = c.fd_tap;
	struct timespec now = at(0);

	c.fd_tap = -1;
	ndp_timer(&c, &now);
	c.fd_tap = fd;
}

START_TEST(timer_sends_quick_then_slow_advertisements)
{
	struct timespec now;
	time_t t = 1000, next;

	timer_reset();

	now = at(t);
	ndp_timer(&c, &now);
	ck_assert(ra_sent());
	ndp_timer(&c, &now);
	ck_assert(!ra_sent());

	/* The next initial ones, RA_INITIAL_INTERVAL apart */
	now = at(t + RA_INITIAL_INTERVAL - 1);
	ndp_timer(&c, &now);
	ck_assert(!ra_sent());
	t += RA_INITIAL_INTERVAL;
	now = at(t);
	ndp_timer(&c, &now);
	ck_assert(ra_sent());
	t += RA_INITIAL_INTERVAL;
	now = at(t);
	ndp_timer(&c, &now);
	ck_assert(ra_sent());

	/* Then one within RA_INTERVAL_MIN to RA_INTERVAL_MAX seconds */
	for (next = t + 1; next <= t + RA_INTERVAL_MAX; next++) {
		now = at(next);
		ndp_timer(&c, &now);
		if (ra_sent())
			break;
	}
	ck_assert_int_ge(next - t, RA_INTERVAL_MIN);
	ck_assert_int_le(next - t, RA_INTERVAL_MAX);

	/* Each one from our link-local address, the full advertisement */
	now = at(next + RA_INTERVAL_MAX);
	ndp_timer(&c, &now);
	ck_assert_uint_gt(read_reply(), 0);
	assert_ra_full();
}
END_TEST

START_TEST(timer_waits_for_a_guest)
{
	struct timespec now;
	int fd = c.fd_tap;

	timer_reset();

	/* Quick ones, then the guest goes away */
	now = at(10);
	ndp_timer(&c, &now);
	ck_assert(ra_sent());

	c.fd_tap = -1;
	now = at(10 + RA_INITIAL_INTERVAL);
	ndp_timer(&c, &now);
	c.fd_tap = fd;
	assert_no_reply();

	/* A guest again: it gets one at once */
	now = at(11 + RA_INITIAL_INTERVAL);
	ndp_timer(&c, &now);
	ck_assert(ra_sent());
}
END_TEST

START_TEST(timer_silent_with_no_ra)
{
	struct timespec now = at(5);

	timer_reset();
	c.no_ra = true;
	ndp_timer(&c, &now);
	assert_no_reply();

	c.no_ra = false;
	c.no_ndp = true;
	ndp_timer(&c, &now);
	assert_no_reply();
}
END_TEST

/**
 * ndp_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *ndp_suite(void)
{
	Suite *s = suite_create("ndp");

	unit_tcase(s, "neighbour solicitation", ndp_setup, ndp_teardown, TESTS(
		ns_for_gateway_answered,
		ns_for_any_other_address_answered,
		ns_unicast_without_options_answered,
		ns_with_ignored_options_answered,
		ns_without_ipv6_header_answered,
		dad_for_guest_address_unanswered,
		dad_for_any_new_address_unanswered,
		dad_for_our_address_defended,
		ns_for_guest_address_unanswered,
		ns_for_multicast_target_dropped,
		dad_with_source_lladdr_dropped,
		dad_not_to_solicited_node_group_dropped,
		ns_with_bad_hop_limit_dropped,
		ns_with_truncated_ipv6_header_dropped,
		ns_with_nonzero_code_dropped, truncated_ns_dropped,
		ns_with_zero_length_option_dropped,
		ns_with_option_past_end_dropped,
		ns_with_truncated_option_dropped,
		ns_through_tap_handler_answered, echo_request_not_ndp,
		advertisements_and_redirects_ignored));

	unit_tcase(s, "router advertisement", ndp_setup, ndp_teardown, TESTS(
		rs_answered_with_ra,
		rs_from_unspecified_answered_to_all_nodes,
		rs_through_tap_handler_answered,
		rs_with_no_ra_unanswered,
		rs_from_unspecified_with_slla_dropped,
		rs_with_bad_hop_limit_dropped,
		rs_with_nonzero_code_dropped, malformed_rs_dropped,
		ra_in_local_mode_has_no_prefix, ra_prefix_is_masked,
		ra_options_follow_switches, ra_mtu_option_value,
		ra_without_dns_servers_or_domains,
		ra_dnssl_skips_bad_names, ra_stays_within_minimum_mtu));

	unit_tcase(s, "unsolicited advertisements", ndp_setup, ndp_teardown,
		   TESTS(
		timer_sends_quick_then_slow_advertisements,
		timer_waits_for_a_guest, timer_silent_with_no_ra));

	return s;
}

int main(void)
{
	return unit_run(ndp_suite());
}
