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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

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

START_TEST(get_whole_packet)
{
	size_t left = 99;

	ck_assert(packet_add(&pool, 10, buf + 20));
	ck_assert_ptr_eq(packet_get(&pool, 0, 0, 10, &left), buf + 20);
	ck_assert_uint_eq(left, 0);
}
END_TEST

START_TEST(get_range_sets_bytes_left)
{
	const char *p;
	size_t left = 99;

	ck_assert(packet_add(&pool, 10, buf + 20));
	p = packet_get(&pool, 0, 2, 3, &left);
	ck_assert_ptr_eq(p, buf + 22);
	ck_assert_int_eq(p[0], buf[22]);
	ck_assert_uint_eq(left, 5);
}
END_TEST

START_TEST(get_last_byte)
{
	size_t left = 99;

	ck_assert(packet_add(&pool, 10, buf + 20));
	ck_assert_ptr_eq(packet_get(&pool, 0, 9, 1, &left), buf + 29);
	ck_assert_uint_eq(left, 0);
}
END_TEST

START_TEST(get_without_left_pointer)
{
	ck_assert(packet_add(&pool, 10, buf + 20));
	ck_assert_ptr_eq(packet_get(&pool, 0, 4, 6, NULL), buf + 24);
}
END_TEST

START_TEST(get_refuses_one_byte_past_end)
{
	ck_assert(packet_add(&pool, 10, buf + 20));
	ck_assert_ptr_null(packet_get(&pool, 0, 10, 1, NULL));
	ck_assert_ptr_null(packet_get(&pool, 0, 9, 2, NULL));
	ck_assert_ptr_null(packet_get(&pool, 0, 0, 11, NULL));
}
END_TEST

START_TEST(get_refuses_offset_past_end)
{
	ck_assert(packet_add(&pool, 10, buf + 20));
	ck_assert_ptr_null(packet_get(&pool, 0, 11, 0, NULL));
	ck_assert_ptr_null(packet_get(&pool, 0, 100, 1, NULL));
}
END_TEST

START_TEST(get_refuses_huge_offset)
{
	ck_assert(packet_add(&pool, 10, buf + 20));
	ck_assert_ptr_null(packet_get(&pool, 0, SIZE_MAX, 1, NULL));
	ck_assert_ptr_null(packet_get(&pool, 0, SIZE_MAX, 0, NULL));
	ck_assert_ptr_null(packet_get(&pool, 0, SIZE_MAX - 4, 10, NULL));
}
END_TEST

START_TEST(get_refuses_huge_length)
{
	ck_assert(packet_add(&pool, 10, buf + 20));
	ck_assert_ptr_null(packet_get(&pool, 0, 0, SIZE_MAX, NULL));
	ck_assert_ptr_null(packet_get(&pool, 0, 1, SIZE_MAX, NULL));
	ck_assert_ptr_null(packet_get(&pool, 0, 5, SIZE_MAX - 4, NULL));
}
END_TEST

START_TEST(get_leaves_left_untouched_on_failure)
{
	size_t left = 99;

	ck_assert(packet_add(&pool, 10, buf + 20));
	ck_assert_ptr_null(packet_get(&pool, 0, 5, 6, &left));
	ck_assert_uint_eq(left, 99);
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

	tc = tcase_create("packet_add");
	tcase_add_checked_fixture(tc, pool_reset, NULL);
	tcase_add_test(tc, add_packet_inside_buffer);
	tcase_add_test(tc, add_whole_buffer);
	tcase_add_test(tc, add_packet_ending_at_buffer_end);
	tcase_add_test(tc, add_refuses_start_before_buffer);
	tcase_add_test(tc, add_refuses_start_after_buffer);
	tcase_add_test(tc, add_refuses_packet_running_past_buffer);
	tcase_add_test(tc, add_refuses_huge_length);
	tcase_add_test(tc, add_refuses_beyond_capacity);
	tcase_add_test(tc, flush_empties_pool);
	suite_add_tcase(s, tc);

	tc = tcase_create("packet_get");
	tcase_add_checked_fixture(tc, pool_reset, NULL);
	tcase_add_test(tc, get_whole_packet);
	tcase_add_test(tc, get_range_sets_bytes_left);
	tcase_add_test(tc, get_last_byte);
	tcase_add_test(tc, get_without_left_pointer);
	tcase_add_test(tc, get_refuses_one_byte_past_end);
	tcase_add_test(tc, get_refuses_offset_past_end);
	tcase_add_test(tc, get_refuses_huge_offset);
	tcase_add_test(tc, get_refuses_huge_length);
	tcase_add_test(tc, get_leaves_left_untouched_on_failure);
	tcase_add_test(tc, get_refuses_index_out_of_range);
	tcase_add_test(tc, get_checks_each_packet_own_length);
	tcase_add_test(tc, get_hdr_checks_header_size);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(packet_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
