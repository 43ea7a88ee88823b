// SPDX-License-Identifier: GPL-2.0-or-later
/* test_tcp.c - TCP helpers (tcp.h, tcp.c): sequence number arithmetic
 * across the 2^32 wrap, and parsing of the guest's TCP options, which are
 * hostile input: every malformed layout must be refused without reading
 * past the header.
 */

#include <check.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "tcp.h"
#include "unit.h"

START_TEST(seq_compare_plain)
{
	ck_assert(SEQ_LT(1, 2));
	ck_assert(SEQ_LE(2, 2));
	ck_assert(SEQ_GT(3, 2));
	ck_assert(SEQ_GE(3, 3));
	ck_assert(!SEQ_LT(2, 2));
	ck_assert(!SEQ_GT(2, 2));
}
END_TEST

START_TEST(seq_compare_wraps)
{
	/* 0xfffffff0 + 0x20 wraps to 0x10: still "after" */
	ck_assert(SEQ_LT(0xfffffff0U, 0x10U));
	ck_assert(SEQ_GT(0x10U, 0xfffffff0U));
	ck_assert(SEQ_LE(0xffffffffU, 0U));
	ck_assert(SEQ_GE(0U, 0xffffffffU));
	/* Half the space apart: the sign decides */
	ck_assert(SEQ_LT(0U, 0x7fffffffU));
	ck_assert(SEQ_GT(0U, 0x80000001U));
}
END_TEST

START_TEST(seq_difference_wraps)
{
	uint32_t ack = 0xfffffff0U, sent = 0x00000010U;

	ck_assert_uint_eq(sent - ack, 0x20);
}
END_TEST

static char buf[256];
static struct iovec pkt[1];
static struct pool pool = { .buf = buf, .buf_size = sizeof(buf), .size = 1,
			    .pkt = pkt };

/**
 * parse() - Parse a TCP header of 20 bytes followed by @opts
 * @opts:	Options
 * @optlen:	Length of options as stored
 * @hlen:	Header length to claim (data offset * 4)
 * @o:		Result
 *
 * Return: what tcp_opts_parse() returns
 */
static int parse(const uint8_t *opts, size_t optlen, size_t hlen,
		 struct tcp_opts *o)
{
	memset(buf, 0, sizeof(buf));
	if (optlen)
		memcpy(buf + sizeof(struct tcphdr), opts, optlen);
	pool.count = 0;
	packet_add(&pool, sizeof(struct tcphdr) + optlen, buf);
	return tcp_opts_parse(&pool, 0, hlen, o);
}

START_TEST(opts_mss_and_ws)
{
	const uint8_t o[] = { TCPOPT_MAXSEG, 4, 0x05, 0xb4,
			      TCPOPT_NOP, TCPOPT_WINDOW, 3, 7 };
	struct tcp_opts r;

	ck_assert_int_eq(parse(o, sizeof(o), 20 + sizeof(o), &r), 0);
	ck_assert_int_eq(r.mss, 1460);
	ck_assert_int_eq(r.ws, 7);
}
END_TEST

START_TEST(opts_none)
{
	struct tcp_opts r;

	ck_assert_int_eq(parse(NULL, 0, 20, &r), 0);
	ck_assert_int_eq(r.mss, 0);
	ck_assert_int_eq(r.ws, -1);
}
END_TEST

START_TEST(opts_ws_clamped_to_14)
{
	const uint8_t o[] = { TCPOPT_WINDOW, 3, 200, TCPOPT_EOL };
	struct tcp_opts r;

	ck_assert_int_eq(parse(o, sizeof(o), 20 + sizeof(o), &r), 0);
	ck_assert_int_eq(r.ws, 14);
}
END_TEST

START_TEST(opts_unknown_skipped)
{
	/* SACK permitted, timestamps, then MSS */
	const uint8_t o[] = { 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8,
			      TCPOPT_MAXSEG, 4, 0x20, 0x00 };
	struct tcp_opts r;

	ck_assert_int_eq(parse(o, sizeof(o), 20 + sizeof(o), &r), 0);
	ck_assert_int_eq(r.mss, 0x2000);
}
END_TEST

START_TEST(opts_eol_stops)
{
	const uint8_t o[] = { TCPOPT_EOL, TCPOPT_MAXSEG, 4, 0x05, 0xb4, 0, 0,
			      0 };
	struct tcp_opts r;

	ck_assert_int_eq(parse(o, sizeof(o), 20 + sizeof(o), &r), 0);
	ck_assert_int_eq(r.mss, 0);
}
END_TEST

START_TEST(opts_zero_length_refused)
{
	const uint8_t o[] = { 30, 0, 0, 0 };
	struct tcp_opts r;

	ck_assert_int_eq(parse(o, sizeof(o), 20 + sizeof(o), &r), -1);
}
END_TEST

START_TEST(opts_length_one_refused)
{
	const uint8_t o[] = { 30, 1, 0, 0 };
	struct tcp_opts r;

	ck_assert_int_eq(parse(o, sizeof(o), 20 + sizeof(o), &r), -1);
}
END_TEST

START_TEST(opts_past_header_refused)
{
	/* MSS claims 4 bytes, the header ends after 2 */
	const uint8_t o[] = { TCPOPT_NOP, TCPOPT_NOP, TCPOPT_MAXSEG, 4 };
	struct tcp_opts r;

	ck_assert_int_eq(parse(o, sizeof(o), 20 + sizeof(o), &r), -1);
}
END_TEST

START_TEST(opts_header_beyond_packet_refused)
{
	/* Data offset says 60 bytes, the packet has 24 */
	const uint8_t o[] = { TCPOPT_NOP, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_NOP };
	struct tcp_opts r;

	ck_assert_int_eq(parse(o, sizeof(o), 60, &r), -1);
}
END_TEST

START_TEST(opts_wrong_mss_length_ignored)
{
	const uint8_t o[] = { TCPOPT_MAXSEG, 6, 1, 2, 3, 4, 0, 0 };
	struct tcp_opts r;

	ck_assert_int_eq(parse(o, sizeof(o), 20 + sizeof(o), &r), 0);
	ck_assert_int_eq(r.mss, 0);
}
END_TEST

static Suite *tcp_suite(void)
{
	Suite *s = suite_create("tcp");

	unit_tcase(s, "sequence", NULL, NULL, TESTS(
		seq_compare_plain, seq_compare_wraps, seq_difference_wraps));
	unit_tcase(s, "options", NULL, NULL, TESTS(
		opts_mss_and_ws, opts_none, opts_ws_clamped_to_14,
		opts_unknown_skipped, opts_eol_stops,
		opts_zero_length_refused, opts_length_one_refused,
		opts_past_header_refused,
		opts_header_beyond_packet_refused,
		opts_wrong_mss_length_ignored));
	return s;
}

int main(void)
{
	return unit_run(tcp_suite());
}
