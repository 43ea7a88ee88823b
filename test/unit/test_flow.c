// SPDX-License-Identifier: GPL-2.0-or-later
/* test_flow.c - The flow table (flow.c): SipHash, allocation, hash table
 *
 * SipHash-2-4 is checked against the reference vector of its paper. The
 * table is filled completely (allocation must then fail, not overflow),
 * and the hash table must find every flow after arbitrary removals, which
 * exercises the backward shift of linear probing.
 */

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "unit.h"

/* Key 00 01 .. 0f, message 00 01 .. 0e: from the SipHash paper */
START_TEST(siphash_reference_vector)
{
	uint64_t key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	uint8_t msg[15];
	unsigned int i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	ck_assert_uint_eq(siphash_2_4(msg, sizeof(msg), key),
			  0xa129ca6149be45e5ULL);
}
END_TEST

/* Empty message, same key: first entry of the reference test vectors */
START_TEST(siphash_empty_message)
{
	uint64_t key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };

	ck_assert_uint_eq(siphash_2_4("", 0, key), 0x726fdb47dd0e0e31ULL);
}
END_TEST

/**
 * key_for() - A distinct IPv4 ICMP key for a number
 * @key:	Key to fill
 * @n:		Number
 */
static void key_for(struct flow_key *key, uint32_t n)
{
	struct in_addr src = { htonl(0xc0000200) }, dst = { htonl(n) };

	flow_key_set(key, AF_INET, &src, &dst, (uint16_t)(n * 7), 0,
		     IPPROTO_ICMP);
}

START_TEST(alloc_until_full_then_refuse)
{
	union flow *flow, *freed = NULL;
	unsigned int i;

	flow_init();
	for (i = 0; i < FLOW_MAX; i++) {
		flow = flow_alloc();
		ck_assert_ptr_nonnull(flow);
		ck_assert_uint_eq(flow_idx(flow), i);
		if (i == 1234)
			freed = flow;
	}
	ck_assert_ptr_null(flow_alloc());

	flow_free(freed);
	ck_assert_ptr_eq(flow_alloc(), freed);
	ck_assert_ptr_null(flow_alloc());
}
END_TEST

START_TEST(lookup_after_removals)
{
	enum { N = 20000 };
	static union flow *f[N];
	struct flow_key k;
	unsigned int i;

	flow_init();
	for (i = 0; i < N; i++) {
		f[i] = flow_alloc();
		ck_assert_ptr_nonnull(f[i]);
		f[i]->f.type = FLOW_PING4;
		key_for(&f[i]->f.key, i);
		ck_assert_int_eq(flow_hash_insert(f[i]), 0);
	}

	/* Same key again: refused */
	key_for(&k, 5);
	ck_assert_ptr_eq(flow_lookup(&k), f[5]);
	{
		union flow *dup = flow_alloc();

		dup->f.key = k;
		ck_assert_int_ne(flow_hash_insert(dup), 0);
		flow_free(dup);
	}

	/* Remove every third flow, the others must still be found */
	for (i = 0; i < N; i += 3) {
		flow_hash_remove(f[i]);
		flow_free(f[i]);
	}
	for (i = 0; i < N; i++) {
		key_for(&k, i);
		if (i % 3)
			ck_assert_ptr_eq(flow_lookup(&k), f[i]);
		else
			ck_assert_ptr_null(flow_lookup(&k));
	}

	key_for(&k, N + 1);
	ck_assert_ptr_null(flow_lookup(&k));
}
END_TEST

/* An index from an epoll reference gives a flow only of the type asked */
START_TEST(at_checks_range_and_type)
{
	union flow *ping, *udp;

	flow_init();
	ping = flow_alloc();
	udp = flow_alloc();
	ping->f.type = FLOW_PING4;
	udp->f.type = FLOW_UDP;

	ck_assert_ptr_eq(flow_at(flow_idx(ping), FLOW_PING4), ping);
	ck_assert_ptr_null(flow_at(flow_idx(ping), FLOW_TCP));
	ck_assert_ptr_eq(flow_at(flow_idx(udp), FLOW_UDP), udp);
	ck_assert_ptr_null(flow_at(flow_idx(udp) + 1, FLOW_UDP));
	ck_assert_ptr_null(flow_at(FLOW_MAX, FLOW_TYPE_NONE));
	ck_assert_ptr_null(flow_at(UINT32_MAX, FLOW_UDP));

	flow_free(udp);
	ck_assert_ptr_null(flow_at(flow_idx(udp), FLOW_UDP));
}
END_TEST

/* A scan visits each flow of its type once, also if the body frees it */
START_TEST(foreach_survives_free)
{
	enum { N = 100 };
	unsigned int i, seen = 0;
	union flow *flow;

	flow_init();
	for (i = 0; i < N; i++) {
		flow = flow_alloc();
		flow->f.type = i % 2 ? FLOW_UDP : FLOW_TCP;
	}

	flow_foreach(flow, FLOW_UDP) {
		ck_assert_uint_eq(flow->f.type, FLOW_UDP);
		seen++;
		flow_free(flow);
	}
	ck_assert_uint_eq(seen, N / 2);

	seen = 0;
	flow_foreach(flow, FLOW_UDP)
		seen++;
	ck_assert_uint_eq(seen, 0);
	flow_foreach(flow, FLOW_TCP)
		seen++;
	ck_assert_uint_eq(seen, N / 2);
}
END_TEST

static Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *tc;

	unit_tcase(s, "siphash", NULL, NULL, TESTS(
		siphash_reference_vector, siphash_empty_message));
	tc = unit_tcase(s, "table", NULL, NULL, TESTS(
		alloc_until_full_then_refuse, lookup_after_removals,
		at_checks_range_and_type, foreach_survives_free));
	tcase_set_timeout(tc, 30);
	return s;
}

int main(void)
{
	return unit_run(flow_suite());
}
