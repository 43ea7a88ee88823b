/* SPDX-License-Identifier: GPL-2.0-or-later */
/* flow.h - The flow table: the part every flow has in common, the union of
 * all of them (each protocol's own part is in its header: icmp_flow.h,
 * tcp_conn.h, tcp_splice_conn.h, udp_flow.h), and the table's interface
 */
#ifndef FLOW_H
#define FLOW_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "inany.h"

#define FLOW_MAX		131072	/* Flows of every protocol, together */
#define FLOW_IDX_BITS		17	/* FLOW_MAX fits */
/* In an epoll reference of a flow (flow_ref()): a bit for the protocol's
 * own use, the side of a spliced connection
 */
#define FLOW_REF_SIDE		(1U << FLOW_IDX_BITS)
#define FLOW_HASH_SIZE		(FLOW_MAX * 2)

/* Flows that peers open may take three quarters of a table of @limit
 * entries: the last quarter is kept for the flows the guest opens
 */
#define FLOW_PEER_MAX(limit)	((limit) - (limit) / 4)

/**
 * enum flow_type - What a flow table entry is
 */
enum flow_type {
	FLOW_TYPE_NONE = 0,	/* Free entry */
	FLOW_PING4,		/* ICMP echo over a ping socket */
	FLOW_PING6,		/* ICMPv6 echo over a ping socket */
	FLOW_TCP,		/* TCP connection over the tap */
	FLOW_UDP,		/* UDP flow over the tap */
	FLOW_TCP_SPLICE,	/* pasta: TCP between loopbacks, spliced */
	FLOW_NUM_TYPES,
};

/**
 * struct flow_key - Guest side identity of a flow, for lookups
 * @src:	Guest's address
 * @dst:	Address the guest sent to
 * @sport:	Guest's port, or ICMP echo identifier
 * @dport:	Destination port, 0 for ICMP
 * @proto:	IP protocol number
 * @pif:	Where the flow starts: PIF_TAP (guest), PIF_HOST or PIF_NS for
 *		pasta's loopback fast path
 * @pad:	Zero: keys are hashed and compared as bytes
 */
struct flow_key {
	union inany_addr src;
	union inany_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t pif;
	uint8_t pad[2];
};

#define PIF_TAP		0
#define PIF_HOST	1
#define PIF_NS		2

/**
 * enum flow_origin - Who opened a flow: what share of the table it takes
 */
enum flow_origin {
	FLOW_ORIGIN_GUEST = 0,	/* The guest, or pasta's namespace (-U, -T) */
	FLOW_ORIGIN_PEER,	/* A peer, through a -t or -u port */
};

/**
 * struct flow_common - Fields every flow starts with
 * @type:	enum flow_type
 * @origin:	enum flow_origin, set by flow_alloc()
 * @unanswered:	On the list of flows the table may take back (flow.c)
 * @key:	Guest side identity
 */
struct flow_common {
	uint8_t type;
	uint8_t origin;
	uint8_t unanswered;
	struct flow_key key;
};

#include "icmp_flow.h"
#include "tcp_conn.h"
#include "tcp_splice_conn.h"
#include "udp_flow.h"

/**
 * union flow - An entry of the flow table
 * @f:		Common fields
 * @ping:	Ping flow
 * @tcp:	TCP connection over the tap
 * @udp:	UDP flow
 * @splice:	Spliced TCP connection
 * @free:	Free entries: type FLOW_TYPE_NONE, index of the next free one
 */
union flow {
	struct flow_common f;
	struct ping_flow ping;
	struct tcp_conn tcp;
	struct udp_flow udp;
	struct tcp_splice_conn splice;
	struct {
		uint8_t type;
		uint32_t next_free;
	} free;
};

void flow_init(void);
struct ctx;
/**
 * struct flow_ops - What the flow table may do with a protocol's flows
 * @timer:	Timer of one flow: true if it freed the flow
 * @fast:	@timer runs at the fine period too (TCP), not only at
 *		housekeeping
 * @close:	Close the flow at once, resetting what can be reset, and free
 *		it: its guest is gone, or the table takes back an unanswered
 *		flow (flow_set_unanswered())
 * @sock:	The flow's own socket on the host side, whose local address
 *		it keeps using, -1 if none (shared, or spliced): or NULL
 * @gone:	That address is gone from the host: end the flow, and free
 *		it, telling the guest what can be told (a TCP reset)
 */
struct flow_ops {
	bool (*timer)(struct ctx *c, union flow *flow,
		      const struct timespec *now);
	bool fast;
	void (*close)(struct ctx *c, union flow *flow);
	int (*sock)(const union flow *flow);
	void (*gone)(struct ctx *c, union flow *flow);
};

void flow_register(enum flow_type type, const struct flow_ops *ops);
void flow_close_all(struct ctx *c);
void flow_addr_gone(struct ctx *c, sa_family_t af, const void *addr);
void flow_timer(struct ctx *c, const struct timespec *now, bool fast,
		bool expire);
union flow *flow_alloc(struct ctx *c, enum flow_origin origin);
void flow_free(union flow *flow);
void flow_set_unanswered(union flow *flow);
void flow_answered(union flow *flow);
unsigned int flow_idx(const union flow *flow);
union flow *flow_at(uint32_t idx, enum flow_type type);
uint32_t flow_ref(const union flow *flow);
union flow *flow_from_ref(uint32_t ref, enum flow_type type);
union flow *flow_next(const union flow *flow, enum flow_type type);

/**
 * flow_foreach() - Loop over the flows of one type in the table
 * @flow:	Cursor, union flow *
 * @type:	enum flow_type
 *
 * The body may free the flow at the cursor: the scan goes on after it.
 */
#define flow_foreach(flow, type)					\
	for ((flow) = flow_next(NULL, (type)); (flow);			\
	     (flow) = flow_next((flow), (type)))

int flow_hash_insert(union flow *flow);
void flow_hash_remove(const union flow *flow);
union flow *flow_lookup(const struct flow_key *key);
void flow_key_set(struct flow_key *key, sa_family_t af, const void *src,
		  const void *dst, uint16_t sport, uint16_t dport,
		  uint8_t proto);
uint64_t siphash_2_4(const void *data, size_t len, const uint64_t key[2]);

#endif /* FLOW_H */
