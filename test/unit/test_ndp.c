// SPDX-License-Identifier: GPL-2.0-or-later
/* test_ndp.c - Neighbour and router advertisements (ndp.c)
 *
 * Each test builds an NDP message as the guest would send it, runs ndp() on
 * it (or dispatch_frames() on the whole frame), and reads back what was sent to
 * the guest: the daemon runs in pasta mode with the write end of a pipe as
 * its tap device, so every frame queued comes out of the read end whole on
 * tap_flush(). Replies are checked field by field, router advertisement
 * options byte for byte, and every ICMPv6 checksum is verified.
 *
 * Which solicitations get an answer, and which don't, are tables. Malformed
 * solicitations (bad code, hop limit, truncated, options of length zero or
 * running past the end), neighbour and router solicitations alike, must be
 * consumed as NDP and get no answer.
 */

#include <arpa/inet.h>
#include <check.h>
#include <linux/if_ether.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndp.h"
#include "packet.h"
#include "passt.h"
#include "dispatch.h"
#include "tap.h"
#include "util.h"
#include "unit.h"

#include "fixture.h"

#define ALL_NODES	"ff02::1"
#define ALL_ROUTERS	"ff02::2"
#define GW_SNMC		"ff02::1:ff00:1"	/* Solicited-node group, GW6 */
#define OTHER_SNMC	"ff02::1:ff00:99"

static const uint8_t all_nodes_mac[ETH_ALEN] = { 0x33, 0x33, 0, 0, 0, 1 };

/* Message under test, then (optionally) the IPv6 header, in one buffer */
#define MSG_OFF		0
#define IP6H_OFF	2048
static uint8_t in_buf[4096] __attribute__((aligned(8)));
static size_t msg_len;

static struct frame r;		/* What the guest received */

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
 * timer_reset() - Forget the schedule of earlier tests, and what they
 *		   advertised (no fork mode): as if the guest went away
 */
static void timer_reset(void)
{
	int fd = c.fd_tap;
	struct timespec now = at(0);

	c.fd_tap = -1;
	ndp_timer(&c, &now);
	c.fd_tap = fd;
}

/**
 * ndp_setup() - Checked fixture: pasta context with a pipe as tap device
 */
static void ndp_setup(void)
{
	memset(in_buf, 0, sizeof(in_buf));
	msg_len = 0;

	fixture_pasta_ip6();
	timer_reset();
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
 * run_ndp_ip6() - Call ndp() on the message, with an IPv6 header
 * @src:	Source address, text
 * @dst:	Destination address, text
 * @hlim:	Hop limit in the IPv6 header
 * @ip6h_len:	Bytes of the IPv6 header to pass, 0 to pass no header
 *
 * Return: what ndp() returns
 */
static int run_ndp_ip6(const char *src, const char *dst, uint8_t hlim,
		       size_t ip6h_len)
{
	struct in6_addr s = addr6(src), d = addr6(dst);
	struct iovec pkt[2];
	struct pool p = {
		.buf = (const char *)in_buf, .buf_size = sizeof(in_buf),
		.size = 2, .count = 0, .pkt = pkt,
	};

	ck_assert(packet_add(&p, msg_len, (const char *)in_buf + MSG_OFF));
	if (ip6h_len) {
		ip6_put(in_buf + IP6H_OFF, &s, &d, IPPROTO_ICMPV6, hlim,
			msg_len);
		ck_assert(packet_add(&p, ip6h_len,
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
	return run_ndp_ip6(src, dst, 255, sizeof(struct ip6_hdr));
}

/**
 * assert_silent_hlim() - Message consumed as NDP, nothing sent to the guest
 * @src:	Source address, text
 * @dst:	Destination address, text
 * @hlim:	Hop limit in the IPv6 header
 */
static void assert_silent_hlim(const char *src, const char *dst,
			       uint8_t hlim)
{
	ck_assert_int_eq(run_ndp_ip6(src, dst, hlim, sizeof(struct ip6_hdr)),
			 1);
	assert_no_reply();
}

/**
 * assert_silent() - Message consumed as NDP, nothing sent to the guest
 * @src:	Source address, text
 * @dst:	Destination address, text
 */
static void assert_silent(const char *src, const char *dst)
{
	assert_silent_hlim(src, dst, 255);
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

	ck_assert_uint_gt(guest_read(&r), 0);
	assert_eth(&r, mac, our_mac, ETH_P_IPV6);
	assert_ip6(&r, &s, &d, IPPROTO_ICMPV6);
	ck_assert_uint_eq(r.ip6.ip6_hlim, 255);
	assert_icmp6(&r, type);
	assert_no_reply();
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
	ck_assert_uint_eq(r.l4_len, sizeof(expect));
	memcpy(expect + 2, r.l4 + 2, 2);	/* Checksum: checked */
	ck_assert_mem_eq(r.l4, expect, sizeof(expect));
}

/**
 * frame_of_msg() - Make a whole frame of the message under test
 * @buf:	Buffer for the frame
 * @src:	IPv6 source address, text
 * @dst:	IPv6 destination address, text
 * @mac:	Destination MAC address
 *
 * Return: frame length
 */
static size_t frame_of_msg(uint8_t *buf, const char *src, const char *dst,
			   const uint8_t *mac)
{
	struct in6_addr s = addr6(src), d = addr6(dst);
	size_t len = eth_put(buf, mac, guest_mac, ETH_P_IPV6);

	len += ip6_put(buf + len, &s, &d, IPPROTO_ICMPV6, 255, msg_len);
	memcpy(buf + len, in_buf + MSG_OFF, msg_len);
	return len + msg_len;
}

/**
 * run_dispatch_frames() - Hand the message under test, framed, to dispatch_frames()
 * @src:	IPv6 source address, text
 * @dst:	IPv6 destination address, text
 * @mac:	Destination MAC address
 */
static void run_tap_handler(const char *src, const char *dst,
			    const uint8_t *mac)
{
	static uint8_t frame[4096] __attribute__((aligned(8)));
	PACKET_POOL_P(pool, frame, sizeof(frame));

	ck_assert(packet_add(&pool, frame_of_msg(frame, src, dst, mac),
			     (const char *)frame));
	dispatch_frames(&c, &pool, NULL);
}

/* Neighbour solicitations */

#define NS_SLLA		(1U << 0)	/* With a source link-layer address */
#define NS_NONCE	(1U << 1)	/* With a nonce (RFC 3971) first */
#define NS_NO_IP6H	(1U << 2)	/* Without an IPv6 header for ndp() */

/**
 * struct ns_case - A neighbour solicitation from the guest
 * @target:	Target address, text
 * @src:	Source address, text
 * @dst:	Destination address, text
 * @flags:	NS_SLLA, NS_NONCE, NS_NO_IP6H
 * @what:	What the case is about, for messages
 */
struct ns_case {
	const char *target;
	const char *src;
	const char *dst;
	unsigned int flags;
	const char *what;
};

/**
 * run_ns() - Write the neighbour solicitation of a case, call ndp() on it
 * @t:		Case
 *
 * Return: what ndp() returns
 */
static int run_ns(const struct ns_case *t)
{
	static const uint8_t nonce[8] = { 14, 1, 1, 2, 3, 4, 5, 6 };

	put_ns(t->target);
	if (t->flags & NS_NONCE)
		put(nonce, sizeof(nonce));
	if (t->flags & NS_SLLA)
		put_slla();
	if (t->flags & NS_NO_IP6H)
		return run_ndp_ip6(t->src, t->dst, 255, 0);
	return run_ndp(t->src, t->dst);
}

/* Answered: to the source, or to all nodes for duplicate address detection
 * (from the unspecified address), without the solicited flag (RFC 4861,
 * 7.2.4)
 */
static const struct ns_case ns_answered[] = {
	{ GW6,		GUEST_LL6, GW_SNMC,	NS_SLLA, "gateway" },
	{ "2001:db8::99", GUEST6, OTHER_SNMC,	NS_SLLA, "other" },
	{ "2001:db8:1::1", GUEST6, OTHER_SNMC,	NS_SLLA, "other" },
	{ "fe80::1234",	GUEST6,	OTHER_SNMC,	NS_SLLA, "other" },
	{ OUR_LL6,	GUEST6,	OTHER_SNMC,	NS_SLLA, "other" },
	{ "2001:db8::5054:ff:fe12:3457", GUEST6, OTHER_SNMC, NS_SLLA, "other" },
	{ OUR_LL6,	GUEST_LL6, OUR_LL6,	0, "unicast: unreachability" },
	{ GW6,		GUEST_LL6, GW_SNMC,	NS_NONCE | NS_SLLA, "options" },
	{ GW6,		GUEST_LL6, GW_SNMC,	NS_NO_IP6H, "no IPv6 header" },
	{ OUR_LL6,	"::",	GW_SNMC,	0, "DAD, ours" },
	{ GW6,		"::",	GW_SNMC,	0, "DAD, ours" },
};

START_TEST(ns_answered_with_na)
{
	const struct ns_case *t = &ns_answered[_i];

	ck_assert_msg(run_ns(t) == 1, "%s: not taken as NDP", t->what);
	if (!strcmp(t->src, "::"))
		assert_na(t->target, ALL_NODES, all_nodes_mac, false);
	else
		assert_na(t->target, t->src, guest_mac, true);
}
END_TEST

static const struct ns_case ns_unanswered[] = {
	{ GUEST6,	"::",	"ff02::1:ff00:2",	0, "DAD, guest" },
	{ GUEST_LL6,	"::",	"ff02::1:ff12:3456",	0, "DAD, guest" },
	/* SLAAC and privacy addresses the guest makes up */
	{ "2001:db8::5054:ff:fe12:3456", "::", "ff02::1:ff12:3456", 0,
	  "DAD, new address" },
	{ "2001:db8::1234:5678:9abc:def0", "::", "ff02::1:ffbc:def0", 0,
	  "DAD, new address" },
	{ GUEST6, GUEST_LL6,	"ff02::1:ff00:2",	0, "guest's address" },
	{ GUEST_LL6, GUEST6,	"ff02::1:ff12:3456",	0, "guest's address" },
	{ "ff02::1",	GUEST_LL6, "ff02::1",		0, "multicast target" },
	{ OUR_LL6,	"::",	GW_SNMC,	NS_SLLA, "DAD with address" },
	{ OUR_LL6,	"::",	OUR_LL6,		0, "DAD not to group" },
	{ OUR_LL6,	"::",	ALL_NODES,	0, "DAD not to group" },
};

START_TEST(ns_unanswered_silently)
{
	const struct ns_case *t = &ns_unanswered[_i];

	ck_assert_msg(run_ns(t) == 1, "%s: not taken as NDP", t->what);
	assert_no_reply();
}
END_TEST

START_TEST(ns_for_address_guest_uses_unanswered)
{
	c.ip6.addr_seen = addr6("2001:db8::77");
	put_ns("2001:db8::77");
	assert_silent(GUEST_LL6, "ff02::1:ff00:77");
}
END_TEST

START_TEST(ns_through_tap_handler_answered)
{
	static const uint8_t snmc_mac[ETH_ALEN] = { 0x33, 0x33, 0xff, 0, 0, 1 };

	put_ns(GW6);
	run_tap_handler(GUEST_LL6, GW_SNMC, snmc_mac);
	assert_na(GW6, GUEST_LL6, guest_mac, true);
	ck_assert_uint_eq(tap_stats.dropped_in, 0);
}
END_TEST

/* Other ICMPv6 messages */

START_TEST(echo_request_not_ndp)
{
	uint8_t echo[16] = { ICMP6_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1 };

	put(echo, sizeof(echo));
	ck_assert_int_eq(run_ndp(GUEST6, GW6), 0);
	assert_no_reply();

	msg_len = 0;
	put(echo, 1);
	ck_assert_int_eq(run_ndp(GUEST6, GW6), 0);
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
		assert_silent(GUEST_LL6, ALL_NODES);
	}
}
END_TEST

/* Malformed solicitations, neighbour and router */

/**
 * struct solicit - A kind of solicitation, and where the guest sends it
 * @type:	ICMPv6 type
 * @len:	Length without options
 * @dst:	Destination address, text
 */
static const struct solicit {
	uint8_t type;
	size_t len;
	const char *dst;
} solicits[] = {
	{ ND_NEIGHBOR_SOLICIT, sizeof(struct nd_neighbor_solicit), GW_SNMC },
	{ ND_ROUTER_SOLICIT, sizeof(struct nd_router_solicit), ALL_ROUTERS },
};

/**
 * put_solicit() - Write a solicitation of a kind, no options
 * @s:		Kind of solicitation, neighbour's for the gateway
 */
static void put_solicit(const struct solicit *s)
{
	if (s->type == ND_NEIGHBOR_SOLICIT)
		put_ns(GW6);
	else
		put_rs();
}

/**
 * struct bad_opts - Options that spoil a solicitation
 * @slla:	A good source link-layer address option first
 * @opt:	Then this option...
 * @len:	...this many bytes of it
 */
static const struct bad_opts {
	bool slla;
	uint8_t opt[8];
	size_t len;
} bad_opts[] = {
	{ false, { ND_OPT_SOURCE_LINKADDR, 0 }, 8 },	/* Length zero */
	{ true,  { ND_OPT_SOURCE_LINKADDR, 0 }, 8 },	/* ...after one */
	{ false, { ND_OPT_SOURCE_LINKADDR, 2 }, 8 },	/* Past the end */
	{ false, { ND_OPT_SOURCE_LINKADDR, 255 }, 8 },	/* Longest */
	{ true,  { ND_OPT_SOURCE_LINKADDR, 3 }, 8 },	/* ...after one */
	{ false, { ND_OPT_SOURCE_LINKADDR, 1 }, 1 },	/* A lone byte */
	{ false, { ND_OPT_SOURCE_LINKADDR, 1 }, 6 },	/* Body cut */
};

START_TEST(solicit_with_bad_options_dropped)
{
	const struct solicit *s = &solicits[_i / ARRAY_SIZE(bad_opts)];
	const struct bad_opts *t = &bad_opts[_i % ARRAY_SIZE(bad_opts)];

	put_solicit(s);
	if (t->slla)
		put_slla();
	put(t->opt, t->len);
	assert_silent(GUEST_LL6, s->dst);
}
END_TEST

START_TEST(truncated_solicit_dropped)
{
	const struct solicit *s = &solicits[_i];
	size_t len;

	for (len = 2; len < s->len; len++) {
		put_solicit(s);
		msg_len = len;
		assert_silent(GUEST_LL6, s->dst);
	}
}
END_TEST

START_TEST(solicit_with_nonzero_code_dropped)
{
	const struct solicit *s = &solicits[_i];

	put_solicit(s);
	in_buf[MSG_OFF + 1] = 1;
	assert_silent(GUEST_LL6, s->dst);

	put_solicit(s);
	in_buf[MSG_OFF + 1] = 255;
	assert_silent(GUEST_LL6, s->dst);
}
END_TEST

START_TEST(solicit_with_bad_hop_limit_dropped)
{
	static const uint8_t hlim[] = { 0, 1, 64, 254 };
	const struct solicit *s = &solicits[_i];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hlim); i++) {
		put_solicit(s);
		assert_silent_hlim(GUEST_LL6, s->dst, hlim[i]);
	}
}
END_TEST

START_TEST(solicit_with_truncated_ipv6_header_dropped)
{
	const struct solicit *s = &solicits[_i];

	put_solicit(s);
	ck_assert_int_eq(run_ndp_ip6(GUEST_LL6, s->dst, 255,
				     sizeof(struct ip6_hdr) - 1), 1);
	assert_no_reply();
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
 * @len:	Set to the option length in bytes, header included
 *
 * Return: offset of the option data in r.l4, 0 if it isn't there
 */
static size_t ra_option(uint8_t type, size_t *len)
{
	size_t off = opt_walk(&opt_ndp, r.l4, sizeof(struct nd_router_advert),
			      r.l4_len, type, 0, len);

	if (off)
		*len += 2;
	return off;
}

/**
 * assert_ra_option() - The advertisement has option @type, as @expect says
 * @type:	Option type
 * @expect:	Expected option, byte for byte, header included
 * @len:	Length of @expect
 */
static void assert_ra_option(uint8_t type, const uint8_t *expect, size_t len)
{
	ck_assert_uint_eq(expect[0], type);
	ck_assert_uint_eq(expect[1] * 8U, len);
	assert_opt_eq(&opt_ndp, r.l4, sizeof(struct nd_router_advert),
		      r.l4_len, type, expect + 2, len - 2);
}

/**
 * assert_no_ra_option() - The advertisement has no option of @type
 * @type:	Option type
 */
static void assert_no_ra_option(uint8_t type)
{
	assert_opt_absent(&opt_ndp, r.l4, sizeof(struct nd_router_advert),
			  r.l4_len, type);
}

/**
 * assert_ra_full() - The advertisement is exactly @ra_expect
 */
static void assert_ra_full(void)
{
	uint8_t got[sizeof(ra_expect)];

	ck_assert_uint_eq(r.l4_len, sizeof(ra_expect));
	memcpy(got, r.l4, sizeof(got));
	got[2] = got[3] = 0;
	ck_assert_mem_eq(got, ra_expect, sizeof(ra_expect));
}

/**
 * assert_ra_options_but_prefix() - Options as @ra_expect has them, one by one,
 *				    but for the prefix information
 */
static void assert_ra_options_but_prefix(void)
{
	assert_ra_option(ND_OPT_SOURCE_LINKADDR, ra_expect + 16, 8);
	assert_ra_option(ND_OPT_MTU, ra_expect + 24, 8);
	assert_ra_option(25, ra_expect + 64, 40);
	assert_ra_option(31, ra_expect + 104, 40);
}

/**
 * solicit_ra() - Solicit an advertisement from the guest's link-local address
 *
 * The advertisement must come, to the guest, from our link-local address.
 */
static void solicit_ra(void)
{
	put_rs();
	ck_assert_int_eq(run_ndp(GUEST_LL6, ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL6, GUEST_LL6, guest_mac);
}

START_TEST(rs_answered_with_ra)
{
	put_rs();
	put_slla();
	ck_assert_int_eq(run_ndp(GUEST_LL6, ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL6, GUEST_LL6, guest_mac);
	assert_ra_full();

	/* And option by option, for a clearer message if that failed */
	assert_ra_option(ND_OPT_PREFIX_INFORMATION, ra_expect + 32, 32);
	assert_ra_options_but_prefix();
}
END_TEST

START_TEST(rs_from_unspecified_answered_to_all_nodes)
{
	put_rs();
	ck_assert_int_eq(run_ndp("::", ALL_ROUTERS), 1);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL6, ALL_NODES, all_nodes_mac);
	assert_ra_full();
}
END_TEST

START_TEST(rs_through_tap_handler_answered)
{
	static const uint8_t all_routers_mac[ETH_ALEN] = { 0x33, 0x33,
							   0, 0, 0, 2 };

	put_rs();
	run_tap_handler(GUEST_LL6, ALL_ROUTERS, all_routers_mac);
	assert_icmp6_frame(ND_ROUTER_ADVERT, OUR_LL6, GUEST_LL6, guest_mac);
	assert_ra_full();
}
END_TEST

START_TEST(rs_with_no_ra_unanswered)
{
	c.no_ra = true;
	put_rs();
	assert_silent(GUEST_LL6, ALL_ROUTERS);

	/* Neighbour advertisements still work */
	put_ns(GW6);
	ck_assert_int_eq(run_ndp(GUEST_LL6, GW_SNMC), 1);
	assert_na(GW6, GUEST_LL6, guest_mac, true);
}
END_TEST

START_TEST(rs_from_unspecified_with_slla_dropped)
{
	put_rs();
	put_slla();
	assert_silent("::", ALL_ROUTERS);
}
END_TEST

START_TEST(ra_in_local_mode_has_no_prefix)
{
	memset(&c.ip6.addr, 0, sizeof(c.ip6.addr));
	memset(&c.ip6.addr_seen, 0, sizeof(c.ip6.addr_seen));
	c.ip6.our_tap_ll = c.ip6.gw = addr6(OUR_LL6);

	solicit_ra();
	assert_no_ra_option(ND_OPT_PREFIX_INFORMATION);
	ck_assert_uint_eq(r.l4[5], 0x40);		/* O, not M */
	ck_assert_uint_eq(r.l4[6], 0xff);		/* Still a router */
	ck_assert_uint_eq(r.l4[7], 0xff);
	assert_ra_options_but_prefix();
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
	solicit_ra();
	assert_ra_option(ND_OPT_PREFIX_INFORMATION, pio, sizeof(pio));
}
END_TEST

START_TEST(ra_options_follow_switches)
{
	c.mtu = MTU_MIN_IPV6 - 1;
	c.no_dhcp_dns = true;
	c.no_dhcp_dns_search = true;
	c.no_dhcpv6 = true;

	solicit_ra();
	ck_assert_uint_eq(r.l4[5], 0);		/* No M, no O */
	assert_no_ra_option(ND_OPT_MTU);
	assert_no_ra_option(25);
	assert_no_ra_option(31);
	assert_ra_option(ND_OPT_PREFIX_INFORMATION, ra_expect + 32, 32);
	ck_assert_uint_eq(r.l4_len, 16 + 8 + 32);
}
END_TEST

START_TEST(ra_mtu_option_value)
{
	static const uint8_t mtu[8] = { 5, 1, 0, 0, 0, 0, 0x05, 0x00 };

	c.mtu = MTU_MIN_IPV6;
	solicit_ra();
	assert_ra_option(ND_OPT_MTU, mtu, sizeof(mtu));
}
END_TEST

START_TEST(ra_without_dns_servers_or_domains)
{
	memset(c.ip6.dns, 0, sizeof(c.ip6.dns));
	memset(c.dns_search, 0, sizeof(c.dns_search));
	solicit_ra();
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

	solicit_ra();
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

	solicit_ra();
	ck_assert_uint_le(r.l4_len + 40, MTU_MIN_IPV6);
	ck_assert_uint_eq(r.l4_len % 8, 0);
	ck_assert(ra_option(31, &olen));
	ck_assert_uint_eq(olen, 8 + 4 * 256);	/* Four names fit */
}
END_TEST

/* Unsolicited advertisements */

/**
 * ra_sent() - Did the timer send an unsolicited advertisement?
 *
 * Return: true if exactly one RA to all nodes went out
 */
static bool ra_sent(void)
{
	if (!guest_read(&r))
		return false;
	ck_assert_uint_eq(r.l4[0], ND_ROUTER_ADVERT);
	ck_assert_mem_eq(r.eh.h_dest, all_nodes_mac, ETH_ALEN);
	assert_no_reply();
	return true;
}

START_TEST(timer_sends_quick_then_slow_advertisements)
{
	struct timespec now;
	time_t t = 1000, next;

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
	ck_assert_uint_gt(guest_read(&r), 0);
	assert_ra_full();
}
END_TEST

START_TEST(timer_waits_for_a_guest)
{
	struct timespec now;
	int fd = c.fd_tap;

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
 * assert_ra_nth() - The advertisement has a second (or further) option of
 *		     @type, as @expect says
 * @type:	Option type
 * @nth:	Which one of that type, from 0
 * @expect:	Expected option, byte for byte, header included
 * @len:	Length of @expect
 */
static void assert_ra_nth(uint8_t type, unsigned int nth,
			  const uint8_t *expect, size_t len)
{
	size_t olen, off = opt_walk(&opt_ndp, r.l4,
				    sizeof(struct nd_router_advert), r.l4_len,
				    type, nth, &olen);

	ck_assert_msg(off, "option %u number %u missing", type, nth);
	ck_assert_uint_eq(olen + 2, len);
	ck_assert_mem_eq(r.l4 + off, expect + 2, len - 2);
}

/**
 * host_changed() - Tell ndp.c the host changed; the guest gets one
 *		    advertisement to all nodes, from @src, or nothing
 * @src:	Source expected, text, NULL if nothing may be sent
 */
static void host_changed(const char *src)
{
	struct timespec now = at(100);

	ndp_host_changed(&c, &now);
	if (src)
		assert_icmp6_frame(ND_ROUTER_ADVERT, src, "ff02::1",
				   all_nodes_mac);
	else
		assert_no_reply();
}

START_TEST(host_change_already_heard_sends_nothing)
{
	solicit_ra();
	host_changed(NULL);
}
END_TEST

START_TEST(host_change_of_dns_withdraws_old_server)
{
	static const uint8_t rdnss[40] = {
		25, 5, 0, 0, 0xff, 0xff, 0xff, 0xff,
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
		0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	};
	static const uint8_t gone[24] = {
		25, 3, 0, 0, 0, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	};
	size_t len;

	solicit_ra();
	c.ip6.dns[0] = addr6(DNS6_2);
	c.ip6.dns[1] = addr6("2001:db8:2::53");
	host_changed(OUR_LL6);
	ck_assert_uint_eq(r.l4[6], 0xff);		/* Still a router */
	assert_ra_nth(25, 0, rdnss, sizeof(rdnss));
	assert_ra_nth(25, 1, gone, sizeof(gone));
	assert_ra_option(ND_OPT_PREFIX_INFORMATION, ra_expect + 32, 32);

	/* Withdrawn once: the next one has the servers only */
	solicit_ra();
	assert_ra_option(25, rdnss, sizeof(rdnss));
	ck_assert(!opt_walk(&opt_ndp, r.l4, sizeof(struct nd_router_advert),
			    r.l4_len, 25, 1, &len));
}
END_TEST

START_TEST(host_change_of_search_withdraws_old_domain)
{
	static const uint8_t dnssl[32] = {
		31, 4, 0, 0, 0xff, 0xff, 0xff, 0xff,
		3, 'n', 'e', 'w', 4, 't', 'e', 's', 't', 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
		0,
	};
	/* example.org stays, sub.example.net is gone */
	static const uint8_t gone[32] = {
		31, 4, 0, 0, 0, 0, 0, 0,
		3, 's', 'u', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		3, 'n', 'e', 't', 0, 0, 0, 0, 0, 0, 0, 0,
	};
	size_t len;

	solicit_ra();
	memset(c.dns_search, 0, sizeof(c.dns_search));
	strcpy(c.dns_search[0], "new.test");
	strcpy(c.dns_search[1], "example.org");
	host_changed(OUR_LL6);
	ck_assert_uint_eq(r.l4[6], 0xff);		/* Still a router */
	assert_ra_nth(31, 0, dnssl, sizeof(dnssl));
	assert_ra_nth(31, 1, gone, sizeof(gone));

	/* Withdrawn once: nothing more to tell, then the new list only */
	host_changed(NULL);
	solicit_ra();
	assert_ra_nth(31, 0, dnssl, sizeof(dnssl));
	ck_assert(!opt_walk(&opt_ndp, r.l4, sizeof(struct nd_router_advert),
			    r.l4_len, 31, 1, &len));
}
END_TEST

START_TEST(host_without_ipv6_final_advertisement)
{
	static const uint8_t pio[32] = {
		3, 4, 64, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t gone[40] = {
		25, 5, 0, 0, 0, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	};
	uint8_t dnssl_gone[40];

	/* The search list as it was, at lifetime 0 */
	memcpy(dnssl_gone, ra_expect + 104, sizeof(dnssl_gone));
	memset(dnssl_gone + 4, 0, 4);

	solicit_ra();

	/* As conf_refresh() leaves it: IPv6 off */
	c.ifi6 = 0;
	memset(&c.ip6.our_tap_ll, 0, sizeof(c.ip6.our_tap_ll));
	host_changed(OUR_LL6);
	ck_assert_uint_eq(r.l4[5], 0);			/* No M, no O */
	ck_assert_uint_eq(r.l4[6], 0);			/* Router lifetime 0 */
	ck_assert_uint_eq(r.l4[7], 0);
	assert_ra_option(ND_OPT_PREFIX_INFORMATION, pio, sizeof(pio));
	assert_ra_option(25, gone, sizeof(gone));
	assert_ra_option(31, dnssl_gone, sizeof(dnssl_gone));

	/* Once */
	host_changed(NULL);

	/* IPv6 back, the same prefix: the usual advertisement */
	c.ifi6 = 1;
	c.ip6.our_tap_ll = addr6(OUR_LL6);
	host_changed(OUR_LL6);
	assert_ra_full();
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
	TCase *tc;

	tc = unit_tcase(s, "neighbour solicitation", ndp_setup,
			fixture_teardown, TESTS(
		ns_for_address_guest_uses_unanswered,
		ns_through_tap_handler_answered, echo_request_not_ndp,
		advertisements_and_redirects_ignored));
	UNIT_LOOP(tc, ns_answered_with_na, ns_answered);
	UNIT_LOOP(tc, ns_unanswered_silently, ns_unanswered);

	tc = unit_tcase(s, "malformed solicitation", ndp_setup,
			fixture_teardown, TESTS());
	tcase_add_loop_test(tc, solicit_with_bad_options_dropped, 0,
			    ARRAY_SIZE(solicits) * ARRAY_SIZE(bad_opts));
	UNIT_LOOP(tc, truncated_solicit_dropped, solicits);
	UNIT_LOOP(tc, solicit_with_nonzero_code_dropped, solicits);
	UNIT_LOOP(tc, solicit_with_bad_hop_limit_dropped, solicits);
	UNIT_LOOP(tc, solicit_with_truncated_ipv6_header_dropped, solicits);

	unit_tcase(s, "router advertisement", ndp_setup, fixture_teardown,
		   TESTS(
		rs_answered_with_ra, rs_from_unspecified_answered_to_all_nodes,
		rs_through_tap_handler_answered, rs_with_no_ra_unanswered,
		rs_from_unspecified_with_slla_dropped,
		ra_in_local_mode_has_no_prefix, ra_prefix_is_masked,
		ra_options_follow_switches, ra_mtu_option_value,
		ra_without_dns_servers_or_domains, ra_dnssl_skips_bad_names,
		ra_stays_within_minimum_mtu));

	unit_tcase(s, "unsolicited advertisements", ndp_setup,
		   fixture_teardown, TESTS(
		timer_sends_quick_then_slow_advertisements,
		timer_waits_for_a_guest, timer_silent_with_no_ra));

	unit_tcase(s, "host changes", ndp_setup, fixture_teardown, TESTS(
		host_change_already_heard_sends_nothing,
		host_change_of_dns_withdraws_old_server,
		host_change_of_search_withdraws_old_domain,
		host_without_ipv6_final_advertisement));

	return s;
}

int main(void)
{
	return unit_run(ndp_suite());
}
