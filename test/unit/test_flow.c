// SPDX-License-Identifier: GPL-2.0-or-later
/* test_flow.c - The flow table (flow.c): SipHash, allocation, shares,
 * hash table
 *
 * SipHash-2-4 is checked against the reference vector of its paper. The
 * table is filled completely (allocation must then fail, not overflow),
 * and the hash table must find every flow after arbitrary removals, which
 * exercises the backward shift of linear probing. Flows peers open stay
 * within their share, the guest's quarter stays free for the guest, and
 * when room is short the flows the guest never answered are closed,
 * oldest first, and only those.
 */

#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
		flow = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
		ck_assert_ptr_nonnull(flow);
		ck_assert_uint_eq(flow_idx(flow), i);
		if (i == 1234)
			freed = flow;
	}
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_GUEST));

	flow_free(freed);
	ck_assert_ptr_eq(flow_alloc(NULL, FLOW_ORIGIN_GUEST), freed);
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_GUEST));
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
		f[i] = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
		ck_assert_ptr_nonnull(f[i]);
		f[i]->f.type = FLOW_PING4;
		key_for(&f[i]->f.key, i);
		ck_assert_int_eq(flow_hash_insert(f[i]), 0);
	}

	/* Same key again: refused */
	key_for(&k, 5);
	ck_assert_ptr_eq(flow_lookup(&k), f[5]);
	{
		union flow *dup = flow_alloc(NULL, FLOW_ORIGIN_GUEST);

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
	ping = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
	udp = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
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

/* An epoll reference outlives its flow: once the entry is freed, and even
 * once it holds the next flow, the reference gives nothing (an event for the
 * old socket, in the same epoll_wait() batch as the new flow)
 */
START_TEST(ref_of_a_freed_flow_gives_nothing)
{
	union flow *tcp, *next;
	uint32_t ref, side;

	flow_init();
	tcp = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
	tcp->f.type = FLOW_TCP;
	ref = flow_ref(tcp);
	side = ref | FLOW_REF_SIDE;
	ck_assert_ptr_eq(flow_from_ref(ref, FLOW_TCP), tcp);
	ck_assert_ptr_eq(flow_from_ref(side, FLOW_TCP), tcp);
	ck_assert_ptr_null(flow_from_ref(ref, FLOW_UDP));

	flow_free(tcp);
	ck_assert_ptr_null(flow_from_ref(ref, FLOW_TCP));

	next = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
	ck_assert_ptr_eq(next, tcp);			/* The same entry */
	next->f.type = FLOW_TCP;
	ck_assert_ptr_null(flow_from_ref(ref, FLOW_TCP));
	ck_assert_ptr_null(flow_from_ref(side, FLOW_TCP));
	ck_assert_uint_ne(flow_ref(next), ref);
	ck_assert_ptr_eq(flow_from_ref(flow_ref(next), FLOW_TCP), next);
	ck_assert_ptr_eq(flow_from_ref(flow_ref(next) | FLOW_REF_SIDE,
				       FLOW_TCP), next);
	ck_assert_ptr_null(flow_from_ref(UINT32_MAX, FLOW_TCP));
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
		flow = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
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

#define CLOSED_KEPT	16
static unsigned int closed[CLOSED_KEPT];	/* The first ones closed */
static unsigned int last_closed;
static unsigned int nclosed;

/**
 * record_close() - Close operation of the shares tests: note, then free
 * @c:		Execution context, unused
 * @flow:	Flow the table takes back
 */
static void record_close(struct ctx *c, union flow *flow)
{
	(void)c;
	last_closed = flow_idx(flow);
	if (nclosed < CLOSED_KEPT)
		closed[nclosed] = last_closed;
	nclosed++;
	flow_free(flow);
}

/**
 * shares_setup() - Fresh table (each test runs in its own process) whose
 *		    UDP flows are closed by record_close()
 */
static void shares_setup(void)
{
	static const struct flow_ops ops = { .close = record_close };

	flow_init();
	flow_register(FLOW_UDP, &ops);
	nclosed = 0;
}

/**
 * udp_sock_of() - Socket operation of the addr_gone test: the UDP one
 * @flow:	Flow
 *
 * Return: its socket, -1 if none
 */
static int udp_sock_of(const union flow *flow)
{
	return flow->udp.sock;
}

/**
 * bound_flow() - A UDP flow whose socket is bound to an address
 * @af:		Address family
 * @addr:	Address, text, NULL for none (no socket)
 *
 * Return: the flow
 */
static union flow *bound_flow(sa_family_t af, const char *addr)
{
	union flow *flow = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
	union sockaddr_inany sa = { 0 };

	ck_assert_ptr_nonnull(flow);
	flow->f.type = FLOW_UDP;
	flow->udp.sock = -1;
	if (!addr)
		return flow;

	flow->udp.sock = socket(af, SOCK_DGRAM, 0);
	ck_assert_int_ge(flow->udp.sock, 0);
	sa.sa.sa_family = af;
	if (af == AF_INET)
		ck_assert_int_eq(inet_pton(af, addr, &sa.sa4.sin_addr), 1);
	else
		ck_assert_int_eq(inet_pton(af, addr, &sa.sa6.sin6_addr), 1);
	ck_assert_int_eq(bind(flow->udp.sock, &sa.sa,
			      af == AF_INET ? sizeof(sa.sa4) : sizeof(sa.sa6)),
			 0);
	return flow;
}

/* Only flows whose socket has the vanished local address are ended */
START_TEST(addr_gone_ends_flows_bound_to_it)
{
	static const struct flow_ops ops = {
		.close = record_close, .sock = udp_sock_of,
		.gone = record_close,
	};
	union flow *gone, *other, *none, *any6;
	struct in_addr a;
	int s1, s2;

	flow_register(FLOW_UDP, &ops);
	gone = bound_flow(AF_INET, "127.0.0.1");
	other = bound_flow(AF_INET, "127.0.0.2");
	none = bound_flow(AF_INET, NULL);
	any6 = bound_flow(AF_INET6, "::");
	s1 = gone->udp.sock;
	s2 = other->udp.sock;

	inet_pton(AF_INET, "127.0.0.1", &a);
	flow_addr_gone(NULL, AF_INET, &a);
	ck_assert_uint_eq(nclosed, 1);
	ck_assert_uint_eq(closed[0], flow_idx(gone));
	ck_assert_ptr_eq(flow_at(flow_idx(other), FLOW_UDP), other);
	ck_assert_ptr_eq(flow_at(flow_idx(none), FLOW_UDP), none);
	ck_assert_ptr_eq(flow_at(flow_idx(any6), FLOW_UDP), any6);

	close(s1);
	close(s2);
	close(any6->udp.sock);
}
END_TEST

/**
 * peer_udp() - A flow a peer opened, unanswered: inbound UDP
 *
 * Return: flow, NULL if the table refused it
 */
static union flow *peer_udp(void)
{
	union flow *flow = flow_alloc(NULL, FLOW_ORIGIN_PEER);

	if (flow) {
		flow->f.type = FLOW_UDP;
		flow_set_unanswered(flow);
	}
	return flow;
}

/* Peers get three quarters, the guest keeps the last quarter for itself */
START_TEST(peers_stay_in_their_share)
{
	unsigned int i, peer_max = FLOW_PEER_MAX(FLOW_MAX);
	union flow *flow;

	unsigned int bad = 0;

	ck_assert_uint_eq(peer_max, FLOW_MAX / 4 * 3);
	for (i = 0; i < peer_max; i++) {
		flow = flow_alloc(NULL, FLOW_ORIGIN_PEER);
		if (!flow)
			break;
		flow->f.type = FLOW_TCP;	/* Accepted: never taken back */
	}
	ck_assert_uint_eq(i, peer_max);
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_PEER));

	for (i = 0; i < FLOW_MAX - peer_max; i++)
		bad += !flow_alloc(NULL, FLOW_ORIGIN_GUEST);
	ck_assert_uint_eq(bad, 0);
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_GUEST));
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_PEER));

	/* A peer's flow freed gives room to a peer again */
	flow_free(flow);
	ck_assert_ptr_eq(flow_alloc(NULL, FLOW_ORIGIN_PEER), flow);
	ck_assert_uint_eq(nclosed, 0);
}
END_TEST

/* The guest may fill the whole table: a peer then gets nothing */
START_TEST(guest_may_take_everything)
{
	unsigned int i, bad = 0;

	for (i = 0; i < FLOW_MAX; i++)
		bad += !flow_alloc(NULL, FLOW_ORIGIN_GUEST);
	ck_assert_uint_eq(bad, 0);
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_PEER));
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_GUEST));
}
END_TEST

/* A flood of unanswered flows: each new one takes the oldest one's entry,
 * the answered ones and the guest's are never touched
 */
START_TEST(unanswered_go_first_oldest_first)
{
	enum { ANSWERED = 1000 };
	unsigned int i, bad = 0, peer_max = FLOW_PEER_MAX(FLOW_MAX);
	union flow *flow;

	/* (Check's assertions are slow: loops count what's wrong, once) */

	/* Peers' flows the guest answered, then a flood of unanswered ones */
	for (i = 0; i < ANSWERED; i++) {
		flow = peer_udp();
		ck_assert_ptr_nonnull(flow);
		flow_answered(flow);
	}
	for (i = ANSWERED; i < peer_max; i++)
		bad += flow_idx(peer_udp()) != i;
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(nclosed, 0);

	/* The share is full: the oldest unanswered goes, and its entry is
	 * the new flow's, over and over, in constant time
	 */
	for (i = 0; i < 3 * peer_max; i++) {
		flow = peer_udp();
		bad += !flow || nclosed != i + 1 ||
		       last_closed != ANSWERED + i % (peer_max - ANSWERED) ||
		       flow_idx(flow) != last_closed;
	}
	ck_assert_uint_eq(bad, 0);

	/* The guest's quarter was never touched: all of it is there */
	for (i = 0; i < FLOW_MAX - peer_max; i++) {
		flow = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
		bad += !flow || flow_idx(flow) < peer_max;
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(nclosed, 3 * peer_max);

	/* Beyond it, the guest takes unanswered flows' entries, still the
	 * oldest first, then none
	 */
	for (i = 0; i < peer_max - ANSWERED; i++) {
		flow = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
		bad += !flow || last_closed != ANSWERED +
		       (3 * peer_max + i) % (peer_max - ANSWERED);
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_GUEST));
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_PEER));

	/* Every answered flow is still there, untouched */
	for (i = 0; i < ANSWERED; i++)
		bad += !flow_at(i, FLOW_UDP);
	ck_assert_uint_eq(bad, 0);
}
END_TEST

/* Flows leave the list when answered or freed: the order of the others
 * holds, and the guest's flows are never on it
 */
START_TEST(answered_and_freed_leave_the_list)
{
	enum { N = 10 };
	unsigned int i, peer_max = FLOW_PEER_MAX(FLOW_MAX);
	union flow *f[N], *guest;

	guest = flow_alloc(NULL, FLOW_ORIGIN_GUEST);
	guest->f.type = FLOW_UDP;
	flow_set_unanswered(guest);		/* Not a peer's: ignored */
	ck_assert_uint_eq(guest->f.unanswered, 0);

	for (i = 0; i < N; i++)
		f[i] = peer_udp();
	flow_answered(f[0]);			/* Head */
	flow_answered(f[4]);			/* Middle */
	flow_free(f[9]);			/* Tail */
	flow_free(f[6]);			/* Middle */
	flow_answered(f[4]);			/* Twice: no harm */

	/* Fill the peers' share with answered flows */
	for (i = N - 2; i < peer_max; i++) {
		union flow *flow = flow_alloc(NULL, FLOW_ORIGIN_PEER);

		ck_assert_ptr_nonnull(flow);
		flow->f.type = FLOW_UDP;
	}

	/* Left, oldest first: 1 2 3 5 7 8 */
	for (i = 0; i < 6; i++)
		ck_assert_ptr_nonnull(peer_udp());
	ck_assert_uint_eq(nclosed, 6);
	ck_assert_uint_eq(closed[0], flow_idx(f[1]));
	ck_assert_uint_eq(closed[1], flow_idx(f[2]));
	ck_assert_uint_eq(closed[2], flow_idx(f[3]));
	ck_assert_uint_eq(closed[3], flow_idx(f[5]));
	ck_assert_uint_eq(closed[4], flow_idx(f[7]));
	ck_assert_uint_eq(closed[5], flow_idx(f[8]));

	/* Then the six new ones, in their turn */
	for (i = 0; i < 6; i++)
		ck_assert_ptr_nonnull(peer_udp());
	ck_assert_uint_eq(closed[6], closed[0]);
	ck_assert_uint_eq(closed[11], closed[5]);
	ck_assert_ptr_eq(flow_at(flow_idx(guest), FLOW_UDP), guest);
}
END_TEST

/* The test knob shrinks the shares with the table */
START_TEST(shares_follow_the_test_limit)
{
	unsigned int i;

	setenv("PASST_FLOW_MAX_TEST", "64", 1);
	shares_setup();
	for (i = 0; i < 48; i++)
		ck_assert_ptr_nonnull(flow_alloc(NULL, FLOW_ORIGIN_PEER));
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_PEER));
	for (i = 0; i < 16; i++)
		ck_assert_ptr_nonnull(flow_alloc(NULL, FLOW_ORIGIN_GUEST));
	ck_assert_ptr_null(flow_alloc(NULL, FLOW_ORIGIN_GUEST));
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
		at_checks_range_and_type, ref_of_a_freed_flow_gives_nothing,
		foreach_survives_free));
	tcase_set_timeout(tc, 30);
	tc = unit_tcase(s, "shares", shares_setup, NULL, TESTS(
		peers_stay_in_their_share, guest_may_take_everything,
		unanswered_go_first_oldest_first,
		answered_and_freed_leave_the_list,
		addr_gone_ends_flows_bound_to_it));
	tcase_set_timeout(tc, 30);
	unit_tcase(s, "test limit", NULL, NULL, TESTS(
		shares_follow_the_test_limit));
	return s;
}

int main(void)
{
	return unit_run(flow_suite());
}
