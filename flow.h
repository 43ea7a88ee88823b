/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef FLOW_H
#define FLOW_H

#include <stdint.h>
#include <time.h>

#include "inany.h"

#define FLOW_MAX		131072	/* Flows of every protocol, together */
#define FLOW_HASH_SIZE		(FLOW_MAX * 2)

/**
 * enum flow_type - What a flow table entry is
 */
enum flow_type {
	FLOW_TYPE_NONE = 0,	/* Free entry */
	FLOW_PING4,		/* ICMP echo over a ping socket */
	FLOW_PING6,		/* ICMPv6 echo over a ping socket */
	FLOW_NUM_TYPES,
};

/**
 * struct flow_key - Guest side identity of a flow, for lookups
 * @src:	Guest's address
 * @dst:	Address the guest sent to
 * @sport:	Guest's port, or ICMP echo identifier
 * @dport:	Destination port, 0 for ICMP
 * @proto:	IP protocol number
 * @pad:	Zero: keys are hashed and compared as bytes
 */
struct flow_key {
	union inany_addr src;
	union inany_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t pad[3];
};

/**
 * struct flow_common - Fields every flow starts with
 * @type:	enum flow_type
 * @key:	Guest side identity
 */
struct flow_common {
	uint8_t type;
	struct flow_key key;
};

/**
 * struct ping_flow - ICMP or ICMPv6 echo flow
 * @f:		Common fields
 * @sock:	Ping socket
 * @seq:	Last sequence number sent, -1 if none
 * @ts:		Last activity, seconds
 */
struct ping_flow {
	struct flow_common f;
	int sock;
	int seq;
	time_t ts;
};

/**
 * union flow - An entry of the flow table
 * @f:		Common fields
 * @ping:	Ping flow
 * @next_free:	Free entries: index of the next free one
 */
union flow {
	struct flow_common f;
	struct ping_flow ping;
	struct {
		uint8_t type;
		uint32_t next_free;
	} free;
};

extern union flow flowtab[FLOW_MAX];
extern unsigned int flow_count;
extern unsigned int flow_first_free;
extern unsigned int flow_high;

void flow_init(void);
union flow *flow_alloc(void);
void flow_free(union flow *flow);
unsigned int flow_idx(const union flow *flow);
int flow_hash_insert(union flow *flow);
void flow_hash_remove(const union flow *flow);
union flow *flow_lookup(const struct flow_key *key);
void flow_key_set(struct flow_key *key, sa_family_t af, const void *src,
		  const void *dst, uint16_t sport, uint16_t dport,
		  uint8_t proto);
uint64_t siphash_2_4(const void *data, size_t len, const uint64_t key[2]);

#endif /* FLOW_H */
