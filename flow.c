// SPDX-License-Identifier: GPL-2.0-or-later
/* flow.c - The flow table: every TCP connection, UDP flow and ICMP echo
 * flow, in one static array
 *
 * Entries are allocated from a free list (entries freed earlier) or, when
 * that is empty, from the never used part above a high watermark; there is
 * no dynamic memory. When the table is full, flow_alloc() returns NULL and
 * the protocol refuses the new flow in its own way.
 *
 * Outside traffic must not be able to take the guest's own flows away, so
 * the table has shares: flows that peers open, through forwarded ports,
 * take at most FLOW_PEER_MAX() entries, and the rest is kept for the flows
 * the guest opens. Among the peers' flows, those the guest never answered
 * (inbound UDP, flow_set_unanswered()) cost an attacker one forged
 * datagram each: they are kept on a list, oldest first, and when a new flow
 * finds its share or the table full, the oldest of them is closed to make
 * room (its protocol's close operation), in constant time. An answer from
 * the guest (flow_answered()) takes a flow off the list for good, so a
 * busy service the guest runs keeps its flows.
 *
 * Flows are found from the guest side by their key (addresses, ports or
 * echo identifier, protocol) through an open addressing hash table with
 * linear probing; removal shifts later entries of a probe sequence back, so
 * there are no tombstones and lookups stay short. The hash is SipHash-2-4
 * with a key drawn at start-up, so a guest can't choose keys that collide.
 * Sockets find their flow directly: the flow index is in the epoll
 * reference, with the entry's generation (flow_ref()), and
 * flow_from_ref() gives the entry only if the index is in the table, the
 * entry is of the type the caller handles and it is still the same flow.
 * The generation counts the times an entry was freed: one epoll_wait()
 * can return an event for a socket whose flow a handler before it in the
 * same batch closed, and the free list gives that entry, and close() the
 * descriptor number, to the next new flow at once, so that index and
 * descriptor alone would hand that event, a hangup say, to a flow it was
 * never about. The table itself
 * and its bookkeeping are private to this file: scans go through
 * flow_foreach().
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flow.h"
#include "log.h"

static union flow flowtab[FLOW_MAX];
static unsigned int flow_count;			/* Entries in use */
static unsigned int flow_first_free = FLOW_MAX;	/* Head of the free list */
static unsigned int flow_high;			/* Entries above never used */
static unsigned int flow_limit = FLOW_MAX;	/* Usable entries */
static unsigned int flow_peer_count;		/* Entries peers opened */
static uint16_t flow_gen[FLOW_MAX];		/* Times each entry was freed */

#define FLOW_GEN_SHIFT		(FLOW_IDX_BITS + 1)
#define FLOW_GEN_MASK		((1U << (32 - FLOW_GEN_SHIFT)) - 1)
_Static_assert(FLOW_MAX <= 1U << FLOW_IDX_BITS, "FLOW_IDX_BITS too small");

/**
 * struct flow_link - Place of a flow on the list of unanswered ones
 * @prev:	Index of the previous (older) flow, FLOW_MAX if none
 * @next:	Index of the next (newer) flow, FLOW_MAX if none
 */
struct flow_link {
	uint32_t prev;
	uint32_t next;
};

/* Unanswered flows, oldest first, linked by index: valid for the entries
 * whose flow_common.unanswered is set
 */
static struct flow_link flow_unanswered_link[FLOW_MAX];
static uint32_t flow_unanswered_head = FLOW_MAX;	/* Oldest */
static uint32_t flow_unanswered_tail = FLOW_MAX;	/* Newest */

/* Hash table: flow index + 1, 0 for an empty bucket */
static uint32_t flow_hashtab[FLOW_HASH_SIZE];
static uint64_t flow_hash_key[2];

#define ROTL64(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3)					\
	do {								\
		v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0;		\
		v0 = ROTL64(v0, 32);					\
		v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;		\
		v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;		\
		v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2;		\
		v2 = ROTL64(v2, 32);					\
	} while (0)

/**
 * siphash_2_4() - SipHash-2-4 of a buffer (Aumasson and Bernstein, 2012)
 * @data:	Data
 * @len:	Length of data
 * @key:	128-bit key, as two 64-bit words read little-endian
 *
 * Return: 64-bit hash
 */
uint64_t siphash_2_4(const void *data, size_t len, const uint64_t key[2])
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = key[1] ^ 0x7465646279746573ULL;
	const uint8_t *p = data;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, left = len % 8;

	for (i = 0; i + 8 <= len; i += 8) {
		int j;

		for (m = 0, j = 7; j >= 0; j--)
			m = (m << 8) | p[i + (size_t)j];
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}

	for (m = 0; left; left--)
		m |= (uint64_t)p[i + left - 1] << (8 * (left - 1));
	b |= m;

	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);

	return v0 ^ v1 ^ v2 ^ v3;
}

/**
 * flow_init() - Draw the hash key; apply the test knob for the table size
 *
 * PASST_FLOW_MAX_TEST=N in the environment limits the table to N entries,
 * so that tests can fill it.
 */
void flow_init(void)
{
	const char *lim = getenv("PASST_FLOW_MAX_TEST");

	if (lim) {
		unsigned long v = strtoul(lim, NULL, 10);

		if (v && v < FLOW_MAX) {
			flow_limit = (unsigned int)v;
			warn("Flow table limited to %u entries for testing",
			     flow_limit);
		}
	}

	if (getrandom(flow_hash_key, sizeof(flow_hash_key), 0) !=
	    sizeof(flow_hash_key)) {
		struct timespec ts;

		/* Not secret, but no worse than a fixed key */
		clock_gettime(CLOCK_REALTIME, &ts);
		flow_hash_key[0] = (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
		flow_hash_key[1] = (uint64_t)ts.tv_sec;
	}
}

/**
 * flow_key_set() - Fill a flow key
 * @key:	Key to fill
 * @af:		Address family of @src and @dst
 * @src:	Guest's address
 * @dst:	Destination address
 * @sport:	Guest's port or echo identifier, host order
 * @dport:	Destination port, host order
 * @proto:	IP protocol number
 */
void flow_key_set(struct flow_key *key, sa_family_t af, const void *src,
		  const void *dst, uint16_t sport, uint16_t dport,
		  uint8_t proto)
{
	memset(key, 0, sizeof(*key));
	inany_from_af(&key->src, af, src);
	inany_from_af(&key->dst, af, dst);
	key->sport = sport;
	key->dport = dport;
	key->proto = proto;
}

/**
 * flow_idx() - Index of a flow in the table
 * @flow:	Flow
 *
 * Return: index
 */
unsigned int flow_idx(const union flow *flow)
{
	return (unsigned int)(flow - flowtab);
}

/**
 * flow_at() - The flow at an index, if it is of the expected type
 * @idx:	Index, from an epoll reference: not trusted to be in range
 * @type:	Type the caller handles
 *
 * Return: flow, NULL if @idx is out of the table or holds another type
 */
union flow *flow_at(uint32_t idx, enum flow_type type)
{
	if (idx >= FLOW_MAX || flowtab[idx].f.type != type)
		return NULL;
	return &flowtab[idx];
}

/**
 * flow_ref() - The data of an epoll reference for a socket of a flow
 * @flow:	Flow
 *
 * Return: its index and its generation; FLOW_REF_SIDE is clear, for the
 * caller to set
 */
uint32_t flow_ref(const union flow *flow)
{
	unsigned int idx = flow_idx(flow);

	return idx | (flow_gen[idx] & FLOW_GEN_MASK) << FLOW_GEN_SHIFT;
}

/**
 * flow_from_ref() - The flow of an epoll reference, if it's still there
 * @ref:	Data of the reference, from flow_ref(), FLOW_REF_SIDE ignored
 * @type:	Type the caller handles
 *
 * Return: flow, NULL if the entry holds another type, or was freed since
 * the reference was made (an event left over from the flow it was)
 */
union flow *flow_from_ref(uint32_t ref, enum flow_type type)
{
	uint32_t idx = ref & (FLOW_REF_SIDE - 1);
	union flow *flow = flow_at(idx, type);

	if (!flow || (flow_gen[idx] & FLOW_GEN_MASK) != ref >> FLOW_GEN_SHIFT)
		return NULL;
	return flow;
}

/**
 * flow_next() - The next flow of a type, for scans of the table
 * @flow:	Flow to start after, NULL to start from the beginning
 * @type:	Type to find
 *
 * Only the part of the table ever used is scanned. @flow may have been
 * freed since it was returned: the scan goes on from its index.
 *
 * Return: flow, NULL if there's none of @type after @flow
 */
union flow *flow_next(const union flow *flow, enum flow_type type)
{
	unsigned int i = flow ? flow_idx(flow) + 1 : 0;

	for (; i < flow_high; i++) {
		if (flowtab[i].f.type == type)
			return &flowtab[i];
	}
	return NULL;
}

/**
 * flow_set_unanswered() - A peer opened this flow and the guest hasn't
 *			   answered yet: the table may take it back
 * @flow:	Flow, opened by a peer (flows the guest opens are never taken)
 *
 * The flow goes to the end of the list: the newest is the last to go.
 */
void flow_set_unanswered(union flow *flow)
{
	uint32_t idx = flow_idx(flow);

	if (flow->f.origin != FLOW_ORIGIN_PEER || flow->f.unanswered)
		return;

	flow_unanswered_link[idx].prev = flow_unanswered_tail;
	flow_unanswered_link[idx].next = FLOW_MAX;
	if (flow_unanswered_tail < FLOW_MAX)
		flow_unanswered_link[flow_unanswered_tail].next = idx;
	else
		flow_unanswered_head = idx;
	flow_unanswered_tail = idx;
	flow->f.unanswered = 1;
}

/**
 * flow_answered() - The guest answered: the flow stays until it expires
 * @flow:	Flow, on the list of unanswered flows or not
 */
void flow_answered(union flow *flow)
{
	const struct flow_link *l;

	if (!flow->f.unanswered)
		return;

	l = &flow_unanswered_link[flow_idx(flow)];
	if (l->prev < FLOW_MAX)
		flow_unanswered_link[l->prev].next = l->next;
	else
		flow_unanswered_head = l->next;
	if (l->next < FLOW_MAX)
		flow_unanswered_link[l->next].prev = l->prev;
	else
		flow_unanswered_tail = l->prev;
	flow->f.unanswered = 0;
}

static const struct flow_ops *flow_ops[FLOW_NUM_TYPES];

/**
 * flow_ops_of() - Operations of a table entry's protocol
 * @flow:	Table entry
 *
 * Return: the operations, NULL for a free entry or an unregistered type
 */
static const struct flow_ops *flow_ops_of(const union flow *flow)
{
	if (flow->f.type == FLOW_TYPE_NONE || flow->f.type >= FLOW_NUM_TYPES)
		return NULL;
	return flow_ops[flow->f.type];
}

/**
 * flow_take_unanswered() - Close the oldest flow the guest never answered
 * @c:		Execution context
 *
 * Return: true if a flow was closed and its entry freed
 */
static bool flow_take_unanswered(struct ctx *c)
{
	unsigned int count = flow_count;
	const struct flow_ops *ops;
	union flow *flow;

	if (flow_unanswered_head >= FLOW_MAX)
		return false;

	flow = &flowtab[flow_unanswered_head];
	ops = flow_ops_of(flow);
	if (!ops || !ops->close) {
		flow_answered(flow);	/* Can't be closed: never again */
		return false;
	}

	warn_ratelimit("Flow table short: closing the oldest inbound flow "
		       "the guest never answered");
	ops->close(c, flow);
	return flow_count < count;
}

/**
 * flow_alloc() - Take a free entry of the flow table
 * @c:		Execution context, to close an unanswered flow if needed
 * @origin:	Who opens the flow: the guest, or a peer
 *
 * A flow a peer opens gets an entry only within the peers' share. If the
 * table, or the peers' share for their flow, is full, the oldest flow the
 * guest never answered is closed to make room, if there's one.
 *
 * Return: zeroed entry with its origin set, NULL if there's no room
 */
union flow *flow_alloc(struct ctx *c, enum flow_origin origin)
{
	union flow *flow;

	if ((flow_count >= flow_limit ||
	     (origin == FLOW_ORIGIN_PEER &&
	      flow_peer_count >= FLOW_PEER_MAX(flow_limit))) &&
	    !flow_take_unanswered(c))
		return NULL;

	if (flow_first_free < FLOW_MAX) {
		flow = &flowtab[flow_first_free];
		flow_first_free = flow->free.next_free;
	} else if (flow_high < FLOW_MAX) {
		flow = &flowtab[flow_high++];
	} else {
		return NULL;
	}

	memset(flow, 0, sizeof(*flow));
	flow->f.origin = (uint8_t)origin;
	flow_count++;
	if (origin == FLOW_ORIGIN_PEER)
		flow_peer_count++;
	return flow;
}

/**
 * flow_free() - Give an entry back; it must be out of the hash table
 * @flow:	Flow
 */
void flow_free(union flow *flow)
{
	flow_answered(flow);
	if (flow->f.origin == FLOW_ORIGIN_PEER)
		flow_peer_count--;
	flow_gen[flow_idx(flow)]++;

	memset(flow, 0, sizeof(*flow));
	flow->free.type = FLOW_TYPE_NONE;
	flow->free.next_free = flow_first_free;
	flow_first_free = flow_idx(flow);
	flow_count--;
}

/**
 * flow_bucket() - Home bucket of a key
 * @key:	Key
 *
 * Return: bucket index
 */
static unsigned int flow_bucket(const struct flow_key *key)
{
	return (unsigned int)(siphash_2_4(key, sizeof(*key), flow_hash_key) %
			      FLOW_HASH_SIZE);
}

/**
 * flow_hash_insert() - Make a flow findable by its key
 * @flow:	Flow, key set
 *
 * Return: 0 on success, -EEXIST if another flow has the same key
 */
int flow_hash_insert(union flow *flow)
{
	unsigned int b = flow_bucket(&flow->f.key);

	/* The table has twice as many buckets as flows: never full */
	while (flow_hashtab[b]) {
		const union flow *o = &flowtab[flow_hashtab[b] - 1];

		if (!memcmp(&o->f.key, &flow->f.key, sizeof(o->f.key)))
			return -EEXIST;
		b = (b + 1) % FLOW_HASH_SIZE;
	}
	flow_hashtab[b] = flow_idx(flow) + 1;
	return 0;
}

/**
 * flow_lookup() - Find a flow by its key
 * @key:	Key
 *
 * Return: flow, NULL if none
 */
union flow *flow_lookup(const struct flow_key *key)
{
	unsigned int b = flow_bucket(key);

	while (flow_hashtab[b]) {
		union flow *o = &flowtab[flow_hashtab[b] - 1];

		if (!memcmp(&o->f.key, key, sizeof(*key)))
			return o;
		b = (b + 1) % FLOW_HASH_SIZE;
	}
	return NULL;
}

/**
 * flow_hash_remove() - Remove a flow from the hash table
 * @flow:	Flow
 */
void flow_hash_remove(const union flow *flow)
{
	unsigned int b = flow_bucket(&flow->f.key), idx = flow_idx(flow) + 1;
	unsigned int hole, next;

	while (flow_hashtab[b] && flow_hashtab[b] != idx)
		b = (b + 1) % FLOW_HASH_SIZE;
	if (!flow_hashtab[b])
		return;

	/* Backward shift: move up entries whose home is at or before the
	 * hole, so that every probe sequence stays unbroken.
	 */
	hole = b;
	flow_hashtab[hole] = 0;
	for (next = (hole + 1) % FLOW_HASH_SIZE; flow_hashtab[next];
	     next = (next + 1) % FLOW_HASH_SIZE) {
		const union flow *o = &flowtab[flow_hashtab[next] - 1];
		unsigned int home = flow_bucket(&o->f.key);

		/* Can the entry at next move to hole? Only if its home
		 * isn't cyclically in (hole, next].
		 */
		if ((next > hole && (home <= hole || home > next)) ||
		    (next < hole && (home <= hole && home > next))) {
			flow_hashtab[hole] = flow_hashtab[next];
			flow_hashtab[next] = 0;
			hole = next;
		}
	}
}

/**
 * flow_register() - A protocol says what its flows do on the timer, and
 *		     how they are closed
 * @type:	Flow type
 * @ops:	Operations, static
 */
void flow_register(enum flow_type type, const struct flow_ops *ops)
{
	flow_ops[type] = ops;
}

/**
 * flow_close_all() - Close every flow that has a close operation: the
 *		      guest they belong to is gone
 * @c:		Execution context
 */
void flow_close_all(struct ctx *c)
{
	unsigned int i;

	for (i = 0; i < flow_high; i++) {
		const struct flow_ops *ops = flow_ops_of(&flowtab[i]);

		if (ops && ops->close)
			ops->close(c, &flowtab[i]);
	}
}

/**
 * flow_addr_gone() - The host lost an address: end the flows that use it
 * @c:		Execution context
 * @af:		AF_INET or AF_INET6
 * @addr:	Address that's gone
 *
 * A socket whose local address is gone can neither send nor receive again,
 * and a connected UDP socket keeps the source address connect() picked,
 * even if bound to no address: TCP connections get a reset now rather
 * than hang until they time out, UDP and ping flows are closed, so that
 * the guest's next datagram makes a new one, from an address the host
 * has. Flows from other addresses go on.
 *
 * syscalls: getsockname
 */
void flow_addr_gone(struct ctx *c, sa_family_t af, const void *addr)
{
	union inany_addr gone;
	unsigned int i;

	inany_from_af(&gone, af, addr);
	for (i = 0; i < flow_high; i++) {
		const struct flow_ops *ops = flow_ops_of(&flowtab[i]);
		union sockaddr_inany sa = { 0 };
		socklen_t sl = sizeof(sa);
		union inany_addr local;
		int s;

		if (!ops || !ops->sock || !ops->gone)
			continue;
		s = ops->sock(&flowtab[i]);
		if (s < 0 || getsockname(s, &sa.sa, &sl) ||
		    sa.sa.sa_family != af)
			continue;
		if (af == AF_INET)
			inany_from_af(&local, af, &sa.sa4.sin_addr);
		else
			inany_from_af(&local, af, &sa.sa6.sin6_addr);
		if (!inany_equals(&local, &gone))
			continue;
		debug("Flow %u used a vanished address: ended", i);
		ops->gone(c, &flowtab[i]);
	}
}

/**
 * flow_timer() - Timers of every flow, in one pass over the table
 * @c:		Execution context
 * @now:	Current time
 * @fast:	Timers at the fine period are due (TCP, every TCP_TIMER_MS
 *		while some connection armed its timer)
 * @expire:	Housekeeping is due (every TIMER_INTERVAL_MS): the other
 *		types' timers run, closing idle ping and UDP flows
 *
 * The protocols register their timers (flow_register()), so that
 * this table calls no protocol directly. There's no pass over the table if
 * nothing is due. Each timer may free the flow it's given: the scan goes
 * on with the next entry.
 */
void flow_timer(struct ctx *c, const struct timespec *now, bool fast,
		bool expire)
{
	unsigned int i;

	if (!fast && !expire)
		return;

	for (i = 0; i < flow_high; i++) {
		const struct flow_ops *ops = flow_ops_of(&flowtab[i]);

		if (ops && ops->timer && (expire || (ops->fast && fast)))
			ops->timer(c, &flowtab[i], now);
	}
}
