// SPDX-License-Identifier: GPL-2.0-or-later
/* test_fwd.c - Port forwarding specifications, and where what the guest
 * sends may go (fwd.c)
 *
 * Each test of a specification parses one or more, as -t/-u/-T/-U would,
 * into a zeroed struct fwd_ports and checks the result through the lookups
 * the data path uses: which ports are forwarded, to which port, and from
 * which rule (bind address and interface). Invalid specifications must be
 * refused with -1 and a message that names the offending piece.
 *
 * The tests of guest addresses give fwd_sockaddr_from_tap() packets from
 * the guest, as a table, and check the verdict: dropped, or the host side
 * address and whether it is the host's loopback. Then the guest's source
 * addresses fwd_learn_addr4() and fwd_learn_addr6() take, or not, and how
 * many lines a guest changing its address all the time gets in the log.
 */

#include <arpa/inet.h>
#include <check.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd.h"
#include "log.h"
#include "passt.h"
#include "util.h"
#include "unit.h"

static struct fwd_ports fwd;	/* Large: static, zeroed before each test */
static char errbuf[256];

/**
 * fwd_reset() - Checked fixture: start each test from an empty configuration
 */
static void fwd_reset(void)
{
	memset(&fwd, 0, sizeof(fwd));
	memset(errbuf, 0, sizeof(errbuf));
}

/**
 * parse() - Parse a specification as passt would for -t/-u
 * @spec:	Specification
 *
 * Return: what fwd_parse_spec() returns
 */
static int parse(const char *spec)
{
	return fwd_parse_spec(&fwd, spec, false, true, errbuf, sizeof(errbuf));
}

/**
 * parse_pasta() - Parse a specification as pasta would ("auto" allowed)
 * @spec:	Specification
 *
 * Return: what fwd_parse_spec() returns
 */
static int parse_pasta(const char *spec)
{
	return fwd_parse_spec(&fwd, spec, true, true, errbuf, sizeof(errbuf));
}

#define assert_parse_ok(spec)						\
	ck_assert_msg(parse(spec) == 0, "\"%s\" refused: %s",		\
		      (spec), errbuf)

/* Refused with -1, and the message names @piece */
#define assert_parse_err(spec, piece)					\
	do {								\
		ck_assert_msg(parse(spec) == -1,			\
			      "\"%s\" accepted", (spec));		\
		ck_assert_msg(strstr(errbuf, (piece)) != NULL,		\
			      "message for \"%s\" doesn't mention "	\
			      "\"%s\": %s", (spec), (piece), errbuf);	\
	} while (0)

/* @port is forwarded, to @to */
#define assert_fwd(port, to)						\
	do {								\
		ck_assert_msg(fwd_port_is_fwd(&fwd, (port)),		\
			      "port %u not forwarded", (port));		\
		ck_assert_uint_eq(fwd_port_target(&fwd, (port)), (to));	\
		ck_assert_ptr_nonnull(fwd_port_rule(&fwd, (port)));	\
	} while (0)

#define assert_not_fwd(port)						\
	do {								\
		ck_assert_msg(!fwd_port_is_fwd(&fwd, (port)),		\
			      "port %u forwarded", (port));		\
		ck_assert_ptr_null(fwd_port_rule(&fwd, (port)));	\
	} while (0)

/* Single ports, ranges, mappings */

START_TEST(single_port_forwarded_to_itself)
{
	assert_parse_ok("22");
	ck_assert_int_eq(fwd.mode, FWD_SPEC);
	ck_assert_uint_eq(fwd.rule_count, 1);
	assert_fwd(22, 22);
	assert_not_fwd(21);
	assert_not_fwd(23);
	assert_not_fwd(0);
}
END_TEST

START_TEST(lowest_and_highest_port_accepted)
{
	assert_parse_ok("1");
	assert_parse_ok("65535");
	assert_fwd(1, 1);
	assert_fwd(65535, 65535);
}
END_TEST

START_TEST(range_forwards_every_port_in_it)
{
	assert_parse_ok("1000-2000");
	assert_not_fwd(999);
	assert_fwd(1000, 1000);
	assert_fwd(1500, 1500);
	assert_fwd(2000, 2000);
	assert_not_fwd(2001);
}
END_TEST

START_TEST(mapping_sets_target_port)
{
	assert_parse_ok("8080:80");
	assert_fwd(8080, 80);
	assert_not_fwd(80);
	assert_not_fwd(8081);
}
END_TEST

START_TEST(mapped_range_keeps_offsets)
{
	assert_parse_ok("1000-1010:2000-2010");
	assert_not_fwd(999);
	assert_fwd(1000, 2000);
	assert_fwd(1005, 2005);
	assert_fwd(1010, 2010);
	assert_not_fwd(1011);
	assert_not_fwd(2000);
}
END_TEST

START_TEST(mapping_wraps_around_port_space)
{
	assert_parse_ok("65535:1");
	assert_parse_ok("1:65535");
	assert_fwd(65535, 1);
	assert_fwd(1, 65535);
}
END_TEST

START_TEST(comma_separated_items_all_apply)
{
	const struct fwd_rule *r;

	assert_parse_ok("22,80:8080,1000-1002");
	ck_assert_uint_eq(fwd.rule_count, 3);
	assert_fwd(22, 22);
	assert_fwd(80, 8080);
	assert_fwd(1000, 1000);
	assert_fwd(1002, 1002);
	assert_not_fwd(1003);

	r = fwd_port_rule(&fwd, 1001);
	ck_assert_uint_eq(r->first, 1000);
	ck_assert_uint_eq(r->last, 1002);
	ck_assert_uint_eq(r->to, 1000);
}
END_TEST

START_TEST(repeated_specs_accumulate)
{
	assert_parse_ok("22");
	assert_parse_ok("80:8080");
	assert_parse_ok("1000-1001");
	ck_assert_int_eq(fwd.mode, FWD_SPEC);
	ck_assert_uint_eq(fwd.rule_count, 3);
	assert_fwd(22, 22);
	assert_fwd(80, 8080);
	assert_fwd(1001, 1001);
	ck_assert_ptr_eq(fwd_port_rule(&fwd, 22), &fwd.rules[0]);
	ck_assert_ptr_eq(fwd_port_rule(&fwd, 80), &fwd.rules[1]);
	ck_assert_ptr_eq(fwd_port_rule(&fwd, 1000), &fwd.rules[2]);
}
END_TEST

START_TEST(rule_limit_reached_exactly)
{
	char spec[16];
	unsigned int i;

	for (i = 0; i < FWD_RULES_MAX; i++) {
		snprintf(spec, sizeof(spec), "%u", 1000U + i);
		assert_parse_ok(spec);
	}
	ck_assert_uint_eq(fwd.rule_count, FWD_RULES_MAX);
	ck_assert_ptr_eq(fwd_port_rule(&fwd, 1000 + FWD_RULES_MAX - 1),
			 &fwd.rules[FWD_RULES_MAX - 1]);

	snprintf(spec, sizeof(spec), "%u", 1000U + FWD_RULES_MAX);
	ck_assert_int_eq(parse(spec), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "too many"));
	assert_not_fwd(1000 + FWD_RULES_MAX);
}
END_TEST

/* Exclusions */

START_TEST(exclusion_alone_forwards_all_other_ports)
{
	uint16_t eph_first, eph_last;

	fwd_ephemeral_range(&eph_first, &eph_last);
	assert_parse_ok("~22");
	ck_assert_int_eq(fwd.mode, FWD_SPEC);
	assert_not_fwd(0);
	assert_fwd(1, 1);
	assert_fwd(21, 21);
	assert_not_fwd(22);
	assert_fwd(23, 23);
	/* Like "all": the ephemeral range stays the host's */
	assert_not_fwd(eph_first);
	assert_not_fwd(eph_last);
	if (eph_first > 1024)
		assert_fwd(eph_first - 1, eph_first - 1);
	if (eph_last < 65535)
		assert_fwd(65535, 65535);
}
END_TEST

START_TEST(excluded_range_alone_forwards_all_other_ports)
{
	assert_parse_ok("~1000-1010");
	assert_fwd(999, 999);
	assert_not_fwd(1000);
	assert_not_fwd(1010);
	assert_fwd(1011, 1011);
}
END_TEST

START_TEST(exclusion_punches_hole_in_range)
{
	assert_parse_ok("1000-2000,~1500");
	assert_not_fwd(999);
	assert_fwd(1000, 1000);
	assert_fwd(1499, 1499);
	assert_not_fwd(1500);
	assert_fwd(1501, 1501);
	assert_fwd(2000, 2000);
	assert_not_fwd(2001);
	assert_not_fwd(22);
}
END_TEST

START_TEST(exclusion_applies_wherever_it_appears)
{
	assert_parse_ok("~1500,1000-2000");
	assert_fwd(1499, 1499);
	assert_not_fwd(1500);
	assert_fwd(1501, 1501);
	assert_not_fwd(22);
}
END_TEST

START_TEST(exclusion_keeps_mapping_of_other_ports)
{
	assert_parse_ok("1000-1010:2000-2010,~1005");
	assert_fwd(1004, 2004);
	assert_not_fwd(1005);
	assert_fwd(1006, 2006);
}
END_TEST

START_TEST(exclusion_is_local_to_its_spec)
{
	assert_parse_ok("1000-2000,~1500");
	assert_parse_ok("1500");
	assert_fwd(1500, 1500);
	ck_assert_ptr_eq(fwd_port_rule(&fwd, 1500), &fwd.rules[1]);
}
END_TEST

/* Bind prefix: address and interface */

/**
 * assert_rule() - The rule forwarding @port binds to @addr and @ifname
 * @port:	Port
 * @af:		Address family of the bind address, AF_UNSPEC for any
 * @addr:	Bind address, text, if @af isn't AF_UNSPEC
 * @ifname:	Interface name, "" for none
 */
static void assert_rule(in_port_t port, int af, const char *addr,
			const char *ifname)
{
	const struct fwd_rule *r = fwd_port_rule(&fwd, port);
	struct in6_addr a;	/* Either family */

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->af, af);
	if (af == AF_INET) {
		ck_assert_int_eq(inet_pton(af, addr, &a), 1);
		ck_assert_mem_eq(&r->addr.a4, &a, sizeof(r->addr.a4));
	} else if (af == AF_INET6) {
		ck_assert_int_eq(inet_pton(af, addr, &a), 1);
		ck_assert_mem_eq(&r->addr.a6, &a, sizeof(r->addr.a6));
	}
	ck_assert_str_eq(r->ifname, ifname);
}

START_TEST(ipv4_bind_address_recorded)
{
	assert_parse_ok("127.0.0.1/8080");
	assert_fwd(8080, 8080);
	assert_rule(8080, AF_INET, "127.0.0.1", "");
}
END_TEST

START_TEST(ipv6_bind_address_recorded)
{
	assert_parse_ok("::1/8080");
	assert_fwd(8080, 8080);
	assert_rule(8080, AF_INET6, "::1", "");
}
END_TEST

START_TEST(bind_address_applies_to_every_item)
{
	assert_parse_ok("127.0.0.1/22,80:8080");
	assert_rule(22, AF_INET, "127.0.0.1", "");
	assert_rule(80, AF_INET, "127.0.0.1", "");
	assert_fwd(80, 8080);
}
END_TEST

START_TEST(no_prefix_binds_any_address)
{
	assert_parse_ok("8080");
	assert_rule(8080, AF_UNSPEC, NULL, "");
}
END_TEST

START_TEST(interface_prefix_recorded)
{
	assert_parse_ok("%lo/8080");
	assert_fwd(8080, 8080);
	assert_rule(8080, AF_UNSPEC, NULL, "lo");
}
END_TEST

START_TEST(address_and_interface_prefix_recorded)
{
	assert_parse_ok("127.0.0.1%lo/22");
	assert_fwd(22, 22);
	assert_rule(22, AF_INET, "127.0.0.1", "lo");
}
END_TEST

START_TEST(unknown_interface_accepted_without_check)
{
	/* -T and -U: the interface lives in the namespace, not here */
	ck_assert_int_eq(fwd_parse_spec(&fwd, "%nonexist0/80", true, false,
					errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(fwd_port_rule(&fwd, 80)->ifname, "nonexist0");
}
END_TEST

/* Keywords */

START_TEST(all_forwards_everything_but_ephemeral_range)
{
	uint16_t eph_first, eph_last;

	fwd_ephemeral_range(&eph_first, &eph_last);
	ck_assert_uint_gt(eph_first, 1);

	assert_parse_ok("all");
	ck_assert_int_eq(fwd.mode, FWD_ALL);
	assert_not_fwd(0);
	assert_fwd(1, 1);
	assert_fwd(22, 22);
	assert_fwd(eph_first - 1, eph_first - 1);
	assert_not_fwd(eph_first);
	assert_not_fwd((eph_first + eph_last) / 2);
	assert_not_fwd(eph_last);
	if (eph_last < NUM_PORTS - 1)
		assert_fwd(eph_last + 1, eph_last + 1);
}
END_TEST

START_TEST(all_with_exclusion)
{
	assert_parse_ok("all,~22");
	ck_assert_int_eq(fwd.mode, FWD_ALL);
	assert_fwd(21, 21);
	assert_not_fwd(22);
	assert_fwd(23, 23);
}
END_TEST

START_TEST(all_after_mapping_keeps_mapping)
{
	assert_parse_ok("80:8080");
	assert_parse_ok("all");
	assert_fwd(80, 8080);
	assert_fwd(81, 81);
}
END_TEST

START_TEST(none_forwards_nothing)
{
	assert_parse_ok("none");
	ck_assert_int_eq(fwd.mode, FWD_NONE);
	ck_assert_uint_eq(fwd.rule_count, 0);
	assert_not_fwd(1);
	assert_not_fwd(22);
	assert_not_fwd(65535);
}
END_TEST

START_TEST(none_twice_accepted)
{
	assert_parse_ok("none");
	assert_parse_ok("none");
	ck_assert_int_eq(fwd.mode, FWD_NONE);
}
END_TEST

START_TEST(auto_accepted_for_pasta)
{
	ck_assert_msg(parse_pasta("auto") == 0, "refused: %s", errbuf);
	ck_assert_int_eq(fwd.mode, FWD_AUTO);
	ck_assert_uint_eq(fwd.rule_count, 0);
	assert_not_fwd(22);
}
END_TEST

START_TEST(exclusion_with_auto_kept)
{
	/* The automatic scan must know what not to forward: if "auto,~22"
	 * is accepted at all, 22 has to be recorded as excluded.
	 */
	if (parse_pasta("auto,~22"))
		return;
	ck_assert_int_eq(fwd.mode, FWD_AUTO);
	ck_assert_msg(bitmap_isset(fwd.excl, 22),
		      "\"auto,~22\" accepted, but 22 isn't in the exclusions");
}
END_TEST

START_TEST(auto_refused_for_passt)
{
	assert_parse_err("auto", "auto");
	ck_assert_int_ne(fwd.mode, FWD_AUTO);
}
END_TEST

/* Invalid specifications */

/**
 * struct refused_spec - A specification fwd_parse_spec() refuses on its own
 * @spec:	Specification
 * @piece:	What the message must name, NULL not to check the message
 * @not_fwd:	A port it must not leave forwarded, 0 for none
 */
static const struct refused_spec {
	const char *spec;
	const char *piece;
	in_port_t not_fwd;
} refused_specs[] = {
	{ "70000",			"70000", 0 },	/* Above 65535 */
	{ "65536",			"65536", 0 },
	{ "1000-70000",			"1000-70000", 0 },	/* Range end */
	{ "80:70000",			"80:70000", 0 },	/* Target */
	{ "2000-1000",			"2000-1000", 0 },	/* Reversed */
	{ "1000-1010:2000-2005",	"1000-1010:2000-2005", 0 },
	{ "1000-1010:2000",		"1000-1010:2000", 0 },
	{ "0",				"\"0\"", 0 },	/* Port zero */
	{ "80:0",			"80:0", 0 },	/* ...as target */
	{ "abc",			"abc", 0 },	/* Garbage */
	{ "80x",			"80x", 0 },	/* Trailing garbage */
	{ "22-",			"22-", 0 },	/* Open range */
	{ "~",				"~", 0 },		/* Bare tilde */
	{ "",				"empty", 0 },
	{ ",,",				"empty", 0 },	/* Only commas */
	{ "127.0.0.1/",			NULL, 0 },		/* No ports */
	{ "80,none",			"none", 0 },	/* "none" and ports */
	{ "22,22",			"22", 0 },		/* Port twice */
	{ "%nonexist0/80",		"nonexist0",	80 },
	{ "%/80",			"%/80", 0 },	/* Empty interface */
	{ "%abcdefghijklmnopq/80",	"abcdefghijklmnopq", 0 },
	{ "300.1.1.1/80",		"300.1.1.1",	80 },
};

START_TEST(spec_refused)
{
	const struct refused_spec *t = &refused_specs[_i];

	if (t->piece)
		assert_parse_err(t->spec, t->piece);
	else
		ck_assert_msg(parse(t->spec) == -1, "\"%s\" accepted", t->spec);
	if (t->not_fwd)
		assert_not_fwd(t->not_fwd);
}
END_TEST

START_TEST(none_after_ports_refused)
{
	assert_parse_ok("22");
	assert_parse_err("none", "none");
	assert_fwd(22, 22);
}
END_TEST

START_TEST(ports_after_none_refused)
{
	assert_parse_ok("none");
	assert_parse_err("80", "80");
	ck_assert_int_eq(fwd.mode, FWD_NONE);
	assert_not_fwd(80);
}
END_TEST

START_TEST(port_forwarded_twice_across_specs_refused)
{
	assert_parse_ok("80");
	assert_parse_err("80", "80");
}
END_TEST

START_TEST(overlapping_ranges_refused)
{
	assert_parse_ok("1000-2000");
	assert_parse_err("1500-2500", "1500");
	assert_not_fwd(2001);
}
END_TEST

START_TEST(overlong_spec_refused)
{
	static char spec[BUFSIZ + 16];

	memset(spec, '1', sizeof(spec) - 1);
	ck_assert_int_eq(parse(spec), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "too long"));
}
END_TEST

/* Where what the guest sends goes */

static struct ctx c;		/* Large: static */

#define GUEST4		"198.51.100.2"
#define GW4		"198.51.100.1"
#define DNS4		"198.51.100.53"		/* --dns-forward */
#define MAPGUEST4	"192.0.2.1"		/* --map-guest-addr */
#define FAR4		"203.0.113.1"
#define GUEST6		"2001:db8::2"
#define GW6		"2001:db8::1"
#define DNS6		"2001:db8::53"
#define FAR6		"2001:db8:1::1"
#define IFI6		7

/**
 * pton() - Parse an IPv4 or IPv6 address, failing the test if it's none
 * @s:		Address, text
 * @out:	Set to the address: room for a struct in6_addr
 *
 * Return: AF_INET or AF_INET6
 */
static sa_family_t pton(const char *s, void *out)
{
	if (inet_pton(AF_INET, s, out) == 1)
		return AF_INET;
	ck_assert_msg(inet_pton(AF_INET6, s, out) == 1, "bad address %s", s);
	return AF_INET6;
}

/**
 * addr_ctx() - Checked fixture: the guest's addresses, as conf() sets them
 *		from the host's, with the default loopback mapping, DNS
 *		forwarding to the host's loopback, and --map-guest-addr
 */
static void addr_ctx(void)
{
	memset(&c, 0, sizeof(c));
	pton(GUEST4, &c.ip4.addr);
	c.ip4.addr_seen = c.ip4.addr;
	c.ip4.prefix_len = 24;
	pton(GW4, &c.ip4.gw);
	c.ip4.map_host_loopback = c.ip4.gw;
	pton(DNS4, &c.ip4.dns_match);
	pton("127.0.0.53", &c.ip4.dns_host);
	pton(MAPGUEST4, &c.ip4.map_guest_addr);

	pton(GUEST6, &c.ip6.addr);
	c.ip6.addr_seen = c.ip6.addr;
	c.ip6.prefix_len = 64;
	pton(GW6, &c.ip6.gw);
	c.ip6.map_host_loopback = c.ip6.gw;
	pton(DNS6, &c.ip6.dns_match);
	pton("::1", &c.ip6.dns_host);
	c.ifi4 = 2;
	c.ifi6 = IFI6;
}

#define NO_MAP		0x01	/* --no-map-gw */
#define MCAST		0x02	/* --forward-multicast */

/**
 * struct guest_pkt - A packet from the guest, and where it must go
 * @proto:	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 * @src:	Source address, text
 * @dst:	Destination address, text (same family as @src)
 * @dport:	Destination port
 * @opts:	NO_MAP, MCAST
 * @to:		Address of the host side socket, NULL if dropped
 * @to_lo:	That is the host's loopback
 * @scope:	Scope identifier expected with an IPv6 @to
 */
static const struct guest_pkt {
	uint8_t proto;
	const char *src;
	const char *dst;
	uint16_t dport;
	int opts;
	const char *to;
	bool to_lo;
	uint32_t scope;
} guest_pkts[] = {
	/* Forwarded as they are */
	{ IPPROTO_TCP,	GUEST4, FAR4,		80, 0,	FAR4, false, 0 },
	{ IPPROTO_UDP,	GUEST4, FAR4,		53, 0,	FAR4, false, 0 },
	{ IPPROTO_ICMP,	GUEST4, FAR4,		0, 0,	FAR4, false, 0 },
	{ IPPROTO_TCP,	GUEST6, FAR6,		80, 0,	FAR6, false, 0 },
	{ IPPROTO_ICMPV6, GUEST6, FAR6,		0, 0,	FAR6, false, 0 },
	{ IPPROTO_TCP,	"fe80::2", FAR6,	80, 0,	FAR6, false, 0 },
	{ IPPROTO_TCP,	GUEST6, "fe80::9",	80, 0,	"fe80::9", false,
	  IFI6 },
	/* The network address isn't a broadcast address */
	{ IPPROTO_TCP,	GUEST4, "198.51.100.0",	80, 0,	"198.51.100.0", false,
	  0 },

	/* The mappings, and only they, lead to the host's loopback */
	{ IPPROTO_TCP,	GUEST4, GW4,		80, 0,	"127.0.0.1", true, 0 },
	{ IPPROTO_UDP,	GUEST4, GW4,		80, 0,	"127.0.0.1", true, 0 },
	{ IPPROTO_ICMP,	GUEST4, GW4,		0, 0,	"127.0.0.1", true, 0 },
	{ IPPROTO_TCP,	GUEST6, GW6,		80, 0,	"::1", true, 0 },
	{ IPPROTO_ICMPV6, GUEST6, GW6,		0, 0,	"::1", true, 0 },
	{ IPPROTO_TCP,	GUEST4, GW4,		80, NO_MAP, GW4, false, 0 },
	{ IPPROTO_TCP,	GUEST6, GW6,		80, NO_MAP, GW6, false, 0 },
	{ IPPROTO_UDP,	GUEST4, DNS4,		53, 0,	"127.0.0.53", true, 0 },
	{ IPPROTO_UDP,	GUEST4, DNS4,		53, NO_MAP, "127.0.0.53", true,
	  0 },
	{ IPPROTO_UDP,	GUEST6, DNS6,		53, 0,	"::1", true, 0 },
	{ IPPROTO_UDP,	GUEST4, DNS4,		54, 0,	DNS4, false, 0 },
	{ IPPROTO_TCP,	GUEST4, MAPGUEST4,	80, 0,	GUEST4, false, 0 },

	/* Destinations that are no one's, whatever the mapping */
	{ IPPROTO_TCP,	GUEST4, "127.0.0.1",	80, 0,	NULL, false, 0 },
	{ IPPROTO_TCP,	GUEST4, "127.0.0.1",	80, NO_MAP, NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST4, "127.1.2.3",	80, 0,	NULL, false, 0 },
	{ IPPROTO_ICMP,	GUEST4, "127.0.0.1",	0, NO_MAP, NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST4, "127.0.0.1",	53, 0,	NULL, false, 0 },
	{ IPPROTO_TCP,	GUEST4, "0.0.0.0",	80, 0,	NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST4, "0.1.2.3",	80, NO_MAP, NULL, false, 0 },
	{ IPPROTO_ICMP,	GUEST4, "0.0.0.0",	0, 0,	NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST4, "255.255.255.255", 67, 0, NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST4, "198.51.100.255", 137, 0, NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST4, "198.51.100.255", 137, MCAST, NULL, false, 0 },
	{ IPPROTO_TCP,	GUEST4, "240.0.0.1",	80, 0,	NULL, false, 0 },
	{ IPPROTO_TCP,	GUEST6, "::1",		80, 0,	NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST6, "::1",		80, NO_MAP, NULL, false, 0 },
	{ IPPROTO_ICMPV6, GUEST6, "::1",	0, 0,	NULL, false, 0 },
	{ IPPROTO_TCP,	GUEST6, "::",		80, 0,	NULL, false, 0 },
	{ IPPROTO_TCP,	GUEST6, "::ffff:127.0.0.1", 80, 0, NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST6, "::ffff:203.0.113.1", 80, NO_MAP, NULL, false,
	  0 },
	{ IPPROTO_TCP,	GUEST6, "::127.0.0.1",	80, 0,	NULL, false, 0 },
	{ IPPROTO_TCP,	GUEST6, "::203.0.113.1", 80, 0,	NULL, false, 0 },

	/* Multicast: only UDP, only if asked for */
	{ IPPROTO_UDP,	GUEST4, "224.0.0.251",	5353, 0, NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST4, "239.255.255.250", 1900, 0, NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST6, "ff02::fb",	5353, 0, NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST4, "224.0.0.251",	5353, MCAST, "224.0.0.251",
	  false, 0 },
	{ IPPROTO_UDP,	GUEST6, "ff02::fb",	5353, MCAST, "ff02::fb", false,
	  IFI6 },
	{ IPPROTO_UDP,	GUEST6, "ff05::1:3",	547, MCAST, "ff05::1:3", false,
	  0 },
	{ IPPROTO_UDP,	GUEST6, "ff01::1",	9, MCAST, NULL, false, 0 },
	{ IPPROTO_UDP,	GUEST6, "ff00::1",	9, MCAST, NULL, false, 0 },
	{ IPPROTO_TCP,	GUEST4, "224.0.0.251",	5353, MCAST, NULL, false, 0 },
	{ IPPROTO_ICMP,	GUEST4, "224.0.0.1",	0, MCAST, NULL, false, 0 },
	{ IPPROTO_ICMPV6, GUEST6, "ff02::1",	0, MCAST, NULL, false, 0 },

	/* Sources that are no one's, to good destinations */
	{ IPPROTO_TCP,	"127.0.0.1", FAR4,	80, 0,	NULL, false, 0 },
	{ IPPROTO_TCP,	"127.0.0.1", GW4,	80, 0,	NULL, false, 0 },
	{ IPPROTO_UDP,	"0.0.0.0", FAR4,	53, 0,	NULL, false, 0 },
	{ IPPROTO_ICMP,	"0.0.0.0", FAR4,	0, 0,	NULL, false, 0 },
	{ IPPROTO_UDP,	"224.0.0.1", FAR4,	53, MCAST, NULL, false, 0 },
	{ IPPROTO_UDP,	"255.255.255.255", FAR4, 53, 0,	NULL, false, 0 },
	{ IPPROTO_TCP,	"198.51.100.255", FAR4,	80, 0,	NULL, false, 0 },
	{ IPPROTO_TCP,	"240.0.0.1", FAR4,	80, 0,	NULL, false, 0 },
	{ IPPROTO_TCP,	"::1", FAR6,		80, 0,	NULL, false, 0 },
	{ IPPROTO_UDP,	"::", FAR6,		53, 0,	NULL, false, 0 },
	{ IPPROTO_UDP,	"ff02::1", FAR6,	53, MCAST, NULL, false, 0 },
	{ IPPROTO_TCP,	"::ffff:198.51.100.2", FAR6, 80, 0, NULL, false, 0 },
};

START_TEST(guest_pkt_verdict)
{
	const struct guest_pkt *t = &guest_pkts[_i];
	struct in6_addr src, dst, want;
	struct fwd_target to;
	sa_family_t af;
	bool fwd;

	c.no_map_gw = t->opts & NO_MAP;
	c.fwd_multicast = t->opts & MCAST;
	af = pton(t->src, &src);
	ck_assert_int_eq(pton(t->dst, &dst), af);

	memset(&to, 0xaa, sizeof(to));
	fwd = fwd_sockaddr_from_tap(&c, t->proto, af, &src, &dst, t->dport,
				    &to);
	if (!t->to) {
		ck_assert_msg(!fwd, "%s -> %s (protocol %u, options %x) "
			      "forwarded", t->src, t->dst, t->proto, t->opts);
		return;
	}
	ck_assert_msg(fwd, "%s -> %s (protocol %u, options %x) dropped",
		      t->src, t->dst, t->proto, t->opts);
	ck_assert_int_eq(pton(t->to, &want), af);
	ck_assert_int_eq(to.to_lo, t->to_lo);
	if (af == AF_INET) {
		ck_assert_int_eq(to.sa.sa4.sin_family, AF_INET);
		ck_assert_int_eq(to.sl, sizeof(to.sa.sa4));
		ck_assert_uint_eq(ntohs(to.sa.sa4.sin_port), t->dport);
		ck_assert_mem_eq(&to.sa.sa4.sin_addr, &want,
				 sizeof(struct in_addr));
	} else {
		ck_assert_int_eq(to.sa.sa6.sin6_family, AF_INET6);
		ck_assert_int_eq(to.sl, sizeof(to.sa.sa6));
		ck_assert_uint_eq(ntohs(to.sa.sa6.sin6_port), t->dport);
		ck_assert_mem_eq(&to.sa.sa6.sin6_addr, &want, sizeof(want));
		ck_assert_uint_eq(to.sa.sa6.sin6_scope_id, t->scope);
		ck_assert_uint_eq(to.sa.sa6.sin6_flowinfo, 0);
	}
}
END_TEST

START_TEST(translation_to_broadcast_dropped)
{
	struct in_addr src, dst;
	struct fwd_target to;

	/* A DNS redirection, say, can't lead somewhere the guest can't go */
	pton("255.255.255.255", &c.ip4.dns_host);
	pton(GUEST4, &src);
	pton(DNS4, &dst);
	ck_assert(!fwd_sockaddr_from_tap(&c, IPPROTO_UDP, AF_INET, &src, &dst,
					 53, &to));
	pton("224.0.0.1", &c.ip4.dns_host);
	c.fwd_multicast = true;
	ck_assert(!fwd_sockaddr_from_tap(&c, IPPROTO_UDP, AF_INET, &src, &dst,
					 53, &to));
}
END_TEST

/* Source addresses fwd_learn_addr4() and fwd_learn_addr6() don't take */
static const char *const not_learned[] = {
	"127.0.0.1", "127.9.9.9", "0.0.0.0", "0.0.0.9", "224.0.0.1",
	"239.1.2.3", "255.255.255.255", "198.51.100.255", "240.0.0.1",
	"::", "::1", "ff02::1", "ff05::2", "ff01::1", "::ffff:10.0.0.1",
	"::10.0.0.1",
};

START_TEST(bad_source_not_learned)
{
	struct in6_addr a;

	if (pton(not_learned[_i], &a) == AF_INET) {
		in_addr_t a4;

		memcpy(&a4, &a, sizeof(a4));
		fwd_learn_addr4(&c, a4);
	} else {
		fwd_learn_addr6(&c, &a);
	}
	ck_assert_mem_eq(&c.ip4.addr_seen, &c.ip4.addr, sizeof(c.ip4.addr));
	ck_assert_mem_eq(&c.ip6.addr_seen, &c.ip6.addr, sizeof(c.ip6.addr));
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&c.ip6.addr_ll_seen));
}
END_TEST

START_TEST(unicast_source_learned)
{
	struct in6_addr a6, ll;
	struct in_addr a4;

	pton("10.0.0.7", &a4);
	fwd_learn_addr4(&c, a4.s_addr);
	ck_assert_mem_eq(&c.ip4.addr_seen, &a4, sizeof(a4));

	pton("2001:db8::77", &a6);
	pton("fe80::77", &ll);
	fwd_learn_addr6(&c, &a6);
	fwd_learn_addr6(&c, &ll);
	ck_assert_mem_eq(&c.ip6.addr_seen, &a6, sizeof(a6));
	ck_assert_mem_eq(&c.ip6.addr_ll_seen, &ll, sizeof(ll));
}
END_TEST

START_TEST(address_changes_logged_at_bounded_rate)
{
	unsigned int i, lines = 0;
	char buf[BUFSIZ];
	FILE *f = tmpfile();
	size_t n;
	int fd;

	ck_assert_ptr_nonnull(f);
	fd = dup(STDERR_FILENO);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fileno(f), STDERR_FILENO), STDERR_FILENO);

	/* 2,000 changes in well under a second, or two at worst */
	for (i = 0; i < 2000; i++)
		fwd_learn_addr4(&c, htonl(0x0a000001 + i));

	dup2(fd, STDERR_FILENO);
	close(fd);
	ck_assert_uint_eq(ntohl(c.ip4.addr_seen.s_addr), 0x0a000001 + 1999);

	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)))
		while (n--)
			lines += buf[n] == '\n';
	fclose(f);
	ck_assert_uint_ge(lines, 1);
	/* Two seconds' worth of lines, and one about those suppressed */
	ck_assert_uint_le(lines, 2 * LOG_RATELIMIT_BURST + 1);
}
END_TEST

/* Sockets for forwarded ports: which ports fwd_socks_init() opened */

static uint16_t opened[8];
static unsigned int nopened;

/**
 * open_record() - Stands for a protocol's opening of a forwarded port:
 *		   records the port, returns some socket
 * @af:		Address family
 * @port:	Port
 * @rule:	Rule of the port
 *
 * Return: a socket, -1 on failure
 */
static int open_record(sa_family_t af, uint16_t port,
		       const struct fwd_rule *rule)
{
	(void)rule;
	if (nopened < ARRAY_SIZE(opened))
		opened[nopened++] = port;
	return socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/**
 * socks_ctx() - Checked fixture: pasta with IPv4 only, -t given by each
 *		 test, nothing else forwarded, no socket opened yet
 */
static void socks_ctx(void)
{
	memset(&c, 0, sizeof(c));
	c.mode = MODE_PASTA;
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(c.epollfd, 0);
	c.ifi4 = 1;
	c.udp_in.mode = c.tcp_out.mode = c.udp_out.mode = FWD_NONE;
	fwd_socks_register(FWD_TCP_IN, open_record, NULL);
	nopened = 0;
	memset(errbuf, 0, sizeof(errbuf));
}

/**
 * open_at_start() - Parse a -t specification, open its sockets as at start
 * @spec:	Specification
 */
static void open_at_start(const char *spec)
{
	ck_assert_msg(!fwd_parse_spec(&c.tcp_in, spec, true, true, errbuf,
				      sizeof(errbuf)),
		      "\"%s\" refused: %s", spec, errbuf);
	fwd_socks_init(&c, false);
}

START_TEST(explicit_port_with_auto_opened)
{
	/* passt.1: "Ports given explicitly alongside auto are always
	 * forwarded": at start, as with a list of ports, not only once the
	 * scan finds something bound on the other side (it won't take a
	 * port that's forwarded explicitly).
	 */
	open_at_start("auto,18080");
	ck_assert_uint_eq(nopened, 1);
	ck_assert_uint_eq(opened[0], 18080);
}
END_TEST

START_TEST(listed_ports_opened)
{
	open_at_start("18080,18090");
	ck_assert_uint_eq(nopened, 2);
	ck_assert_uint_eq(opened[0], 18080);
	ck_assert_uint_eq(opened[1], 18090);
}
END_TEST

START_TEST(auto_alone_opens_nothing_at_start)
{
	open_at_start("auto,~22");
	ck_assert_uint_eq(nopened, 0);
}
END_TEST

/**
 * fwd_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *fwd_suite(void)
{
	Suite *s = suite_create("fwd");
	TCase *tc;

	unit_tcase(s, "ports", fwd_reset, NULL, TESTS(
		single_port_forwarded_to_itself,
		lowest_and_highest_port_accepted,
		range_forwards_every_port_in_it,
		mapping_sets_target_port, mapped_range_keeps_offsets,
		mapping_wraps_around_port_space,
		comma_separated_items_all_apply,
		repeated_specs_accumulate, rule_limit_reached_exactly));

	unit_tcase(s, "exclusions", fwd_reset, NULL, TESTS(
		exclusion_alone_forwards_all_other_ports,
		excluded_range_alone_forwards_all_other_ports,
		exclusion_punches_hole_in_range,
		exclusion_applies_wherever_it_appears,
		exclusion_keeps_mapping_of_other_ports,
		exclusion_is_local_to_its_spec));

	unit_tcase(s, "bind prefix", fwd_reset, NULL, TESTS(
		ipv4_bind_address_recorded, ipv6_bind_address_recorded,
		bind_address_applies_to_every_item,
		no_prefix_binds_any_address, interface_prefix_recorded,
		address_and_interface_prefix_recorded,
		unknown_interface_accepted_without_check));

	unit_tcase(s, "keywords", fwd_reset, NULL, TESTS(
		all_forwards_everything_but_ephemeral_range,
		all_with_exclusion, all_after_mapping_keeps_mapping,
		none_forwards_nothing, none_twice_accepted,
		auto_accepted_for_pasta, exclusion_with_auto_kept,
		auto_refused_for_passt));

	tc = unit_tcase(s, "errors", fwd_reset, NULL, TESTS(
		none_after_ports_refused, ports_after_none_refused,
		port_forwarded_twice_across_specs_refused,
		overlapping_ranges_refused, overlong_spec_refused));
	UNIT_LOOP(tc, spec_refused, refused_specs);

	unit_tcase(s, "sockets at start", socks_ctx, NULL, TESTS(
		explicit_port_with_auto_opened, listed_ports_opened,
		auto_alone_opens_nothing_at_start));

	tc = unit_tcase(s, "guest addresses", addr_ctx, NULL, TESTS(
		translation_to_broadcast_dropped, unicast_source_learned,
		address_changes_logged_at_bounded_rate));
	UNIT_LOOP(tc, guest_pkt_verdict, guest_pkts);
	UNIT_LOOP(tc, bad_source_not_learned, not_learned);

	return s;
}

int main(void)
{
	return unit_run(fwd_suite());
}
