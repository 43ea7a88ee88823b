// SPDX-License-Identifier: GPL-2.0-or-later
/* test_fwd.c - Port forwarding specifications (fwd.c)
 *
 * Each test parses one or more specifications, as -t/-u/-T/-U would, into a
 * zeroed struct fwd_ports and checks the result through the lookups the data
 * path uses: which ports are forwarded, to which port, and from which rule
 * (bind address and interface). Invalid specifications must be refused with
 * -1 and a message that names the offending piece.
 *
 * Also: the IPv4 address the guest really uses is followed, and a guest
 * that keeps changing it can't make us write a log line per frame.
 */

#include <arpa/inet.h>
#include <check.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

START_TEST(changing_guest_address_logged_rate_limited)
{
	static struct ctx c;
	char path[] = "/tmp/test_fwd_log_XXXXXX", buf[1 << 16];
	in_addr_t other[2] = { inet_addr("192.0.2.3"),
			       inet_addr("192.0.2.4") };
	int fd = mkstemp(path), i, lines = 0;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	log_open_file(path, LOGFILE_SIZE_DEFAULT);
	log_stderr = false;
	c.ip4.addr.s_addr = inet_addr("192.0.2.2");

	/* Every frame from another address than the one before */
	for (i = 0; i < 200; i++)
		fwd_learn_addr4(&c, other[i % 2]);
	ck_assert_uint_eq(c.ip4.addr_seen.s_addr, other[1]);

	log_close_file();
	n = read(fd, buf, sizeof(buf));
	close(fd);
	unlink(path);
	for (i = 0; i < n; i++)
		lines += buf[i] == '\n';
	/* A burst and a summary a second, the loop may span two seconds */
	ck_assert_int_ge(lines, 1);
	ck_assert_int_le(lines, 2 * (LOG_RATELIMIT_BURST + 1));
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

	unit_tcase(s, "guest address", NULL, NULL, TESTS(
		changing_guest_address_logged_rate_limited));

	return s;
}

int main(void)
{
	return unit_run(fwd_suite());
}
