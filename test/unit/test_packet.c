// SPDX-License-Identifier: GPL-2.0-or-later
/* test_packet.c - Bounds-checked packet pools (packet.c)
 *
 * A pool is laid over the middle of a larger array, so that pointers just
 * before and just after the pool's buffer are valid to form and compare.
 * packet_add() must take only packets lying wholly inside the buffer, and
 * only as many as the pool holds; packet_get() must return a pointer only
 * for ranges lying wholly inside a packet, whatever the offset and length,
 * including values chosen to overflow a naive offset + len check.
 */

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "util.h"
#include "unit.h"

#define AREA_SIZE	256
#define BUF_OFFSET	64	/* Pool buffer starts here in the area */
#define BUF_SIZE	128
#define POOL_CAP	4

static char area[AREA_SIZE];
static char *const buf = area + BUF_OFFSET;
static struct iovec pkts[POOL_CAP];
static struct pool pool;

/**
 * pool_reset() - Checked fixture: an empty pool over @buf, numbered bytes
 */
static void pool_reset(void)
{
	size_t i;

	for (i = 0; i < sizeof(area); i++)
		area[i] = (char)i;
	memset(pkts, 0, sizeof(pkts));
	pool.buf = buf;
	pool.buf_size = BUF_SIZE;
	pool.size = POOL_CAP;
	pool.count = 0;
	pool.pkt = pkts;
}

/* packet_add() */

START_TEST(add_packet_inside_buffer)
{
	ck_assert(packet_add(&pool, 10, buf + 5));
	ck_assert_uint_eq(pool.count, 1);
	ck_assert_ptr_eq(pool.pkt[0].iov_base, buf + 5);
	ck_assert_uint_eq(pool.pkt[0].iov_len, 10);
	ck_assert_uint_eq(packet_len(&pool, 0), 10);
}
END_TEST

START_TEST(add_whole_buffer)
{
	ck_assert(packet_add(&pool, BUF_SIZE, buf));
	ck_assert_uint_eq(packet_len(&pool, 0), BUF_SIZE);
}
END_TEST

START_TEST(add_packet_ending_at_buffer_end)
{
	ck_assert(packet_add(&pool, 10, buf + BUF_SIZE - 10));
}
END_TEST

START_TEST(add_refuses_start_before_buffer)
{
	ck_assert(!packet_add(&pool, 10, buf - 1));
	ck_assert(!packet_add(&pool, 10, area));
	ck_assert_uint_eq(pool.count, 0);
}
END_TEST

START_TEST(add_refuses_start_after_buffer)
{
	ck_assert(!packet_add(&pool, 1, buf + BUF_SIZE));
	ck_assert(!packet_add(&pool, 1, buf + BUF_SIZE + 1));
	ck_assert_uint_eq(pool.count, 0);
}
END_TEST

START_TEST(add_refuses_packet_running_past_buffer)
{
	ck_assert(!packet_add(&pool, 11, buf + BUF_SIZE - 10));
	ck_assert(!packet_add(&pool, BUF_SIZE + 1, buf));
	ck_assert_uint_eq(pool.count, 0);
}
END_TEST

START_TEST(add_refuses_huge_length)
{
	ck_assert(!packet_add(&pool, SIZE_MAX, buf));
	ck_assert(!packet_add(&pool, SIZE_MAX, buf + 10));
	ck_assert(!packet_add(&pool, SIZE_MAX - BUF_SIZE + 1, buf + 10));
	ck_assert_uint_eq(pool.count, 0);
}
END_TEST

START_TEST(add_refuses_beyond_capacity)
{
	size_t i;

	for (i = 0; i < POOL_CAP; i++) {
		ck_assert(!pool_full(&pool));
		ck_assert(packet_add(&pool, 8, buf + i * 8));
	}
	ck_assert(pool_full(&pool));
	ck_assert(!packet_add(&pool, 8, buf + POOL_CAP * 8));
	ck_assert_uint_eq(pool.count, POOL_CAP);
}
END_TEST

START_TEST(flush_empties_pool)
{
	ck_assert(packet_add(&pool, 8, buf));
	pool_flush(&pool);
	ck_assert_uint_eq(pool.count, 0);
	ck_assert(!pool_full(&pool));
	ck_assert_ptr_null(packet_get(&pool, 0, 0, 1, NULL));
}
END_TEST

/* packet_get() */

#define PKT_OFF		20	/* Where in the buffer the packet lies */
#define PKT_LEN		10

/**
 * struct get_case - A range of the packet at PKT_OFF, PKT_LEN bytes long
 * @off:	Offset of the range in the packet
 * @len:	Length of the range
 * @inside:	Whether the range lies within the packet
 * @left:	Bytes expected after the range, if it does
 * @what:	What the case is about, for messages
 */
static const struct get_case {
	size_t off;
	size_t len;
	bool inside;
	size_t left;
	const char *what;
} get_cases[] = {
	{ 0,            PKT_LEN,      true,  0, "whole packet" },
	{ 2,            3,            true,  5, "range in the middle" },
	{ 9,            1,            true,  0, "last byte" },
	{ 4,            6,            true,  0, "range to the end" },
	{ 10,           1,            false, 0, "one byte past the end" },
	{ 9,            2,            false, 0, "last byte and one past" },
	{ 0,            11,           false, 0, "one byte too long" },
	{ 11,           0,            false, 0, "offset past the end" },
	{ 100,          1,            false, 0, "offset far past the end" },
	{ SIZE_MAX,     1,            false, 0, "huge offset" },
	{ SIZE_MAX,     0,            false, 0, "huge offset, no length" },
	{ SIZE_MAX - 4, 10,           false, 0, "offset wrapping around" },
	{ 0,            SIZE_MAX,     false, 0, "huge length" },
	{ 1,            SIZE_MAX,     false, 0, "huge length, offset 1" },
	{ 5,            SIZE_MAX - 4, false, 0, "length wrapping around" },
	{ 5,            6,            false, 0, "one byte too long inside" },
};

START_TEST(get_range)
{
	const struct get_case *t = &get_cases[_i];
	const char *p;
	size_t left = 99;

	ck_assert(packet_add(&pool, PKT_LEN, buf + PKT_OFF));
	p = packet_get(&pool, 0, t->off, t->len, &left);
	ck_assert_ptr_eq(packet_get(&pool, 0, t->off, t->len, NULL), p);

	if (!t->inside) {
		ck_assert_msg(!p, "%s: range returned", t->what);
		ck_assert_uint_eq(left, 99);	/* Untouched on failure */
		return;
	}
	ck_assert_msg(p == buf + PKT_OFF + t->off, "%s: wrong pointer",
		      t->what);
	ck_assert_int_eq(p[0], buf[PKT_OFF + t->off]);
	ck_assert_uint_eq(left, t->left);
}
END_TEST

START_TEST(get_refuses_index_out_of_range)
{
	ck_assert(packet_add(&pool, 10, buf));
	ck_assert(packet_add(&pool, 10, buf + 10));
	ck_assert_ptr_nonnull(packet_get(&pool, 1, 0, 1, NULL));
	ck_assert_ptr_null(packet_get(&pool, 2, 0, 1, NULL));
	ck_assert_ptr_null(packet_get(&pool, POOL_CAP, 0, 1, NULL));
	ck_assert_ptr_null(packet_get(&pool, SIZE_MAX, 0, 1, NULL));
	ck_assert_uint_eq(packet_len(&pool, 2), 0);
	ck_assert_uint_eq(packet_len(&pool, SIZE_MAX), 0);
}
END_TEST

START_TEST(get_checks_each_packet_own_length)
{
	ck_assert(packet_add(&pool, 4, buf));
	ck_assert(packet_add(&pool, 40, buf + 4));
	ck_assert_ptr_null(packet_get(&pool, 0, 0, 5, NULL));
	ck_assert_ptr_eq(packet_get(&pool, 1, 0, 5, NULL), buf + 4);
}
END_TEST

START_TEST(get_hdr_checks_header_size)
{
	struct hdr {
		uint32_t a;
		uint32_t b;
	};

	ck_assert(packet_add(&pool, 12, buf));
	ck_assert_ptr_eq(packet_get_hdr(&pool, 0, 4, struct hdr), buf + 4);
	ck_assert_ptr_null(packet_get_hdr(&pool, 0, 5, struct hdr));
}
END_TEST

/**
 * packet_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *packet_suite(void)
{
	Suite *s = suite_create("packet");
	TCase *tc;

	unit_tcase(s, "packet_add", pool_reset, NULL, TESTS(
		add_packet_inside_buffer, add_whole_buffer,
		add_packet_ending_at_buffer_end,
		add_refuses_start_before_buffer,
		add_refuses_start_after_buffer,
		add_refuses_packet_running_past_buffer,
		add_refuses_huge_length, add_refuses_beyond_capacity,
		flush_empties_pool));

	tc = unit_tcase(s, "packet_get", pool_reset, NULL, TESTS(
		get_refuses_index_out_of_range,
		get_checks_each_packet_own_length,
		get_hdr_checks_header_size));
	UNIT_LOOP(tc, get_range, get_cases);

	return s;
}

int main(void)
{
	return unit_run(packet_suite());
}
