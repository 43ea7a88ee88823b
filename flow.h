/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef FLOW_H
#define FLOW_H

#include <netinet/in.h>
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
 * struct tcp_conn - TCP connection translated between tap and a socket
 * @f:			Common fields: key is the guest side 4-tuple
 * @sock:		Host socket
 * @state:		enum tcp_state (tcp.c)
 * @flags:		TCP_F_* (tcp.c)
 * @ws_to_guest:	Window scale we announced: guest shifts our windows
 * @ws_from_guest:	Window scale the guest announced
 * @retrans:		Retransmissions since the last progress
 * @dup_acks:		Duplicate ACKs seen in a row
 * @resend_shift:	After a rewind: log2 of the segments in flight allowed
 * @mss:		Largest payload of a segment to the guest
 * @epoll_events:	Events currently requested for @sock
 * @seq_to_tap:		Next sequence number we send to the guest
 * @seq_ack_from_tap:	Oldest sequence number the guest hasn't acknowledged
 * @seq_from_tap:	Next sequence number expected from the guest
 * @seq_ack_to_tap:	Last acknowledgement number sent to the guest
 * @seq_init_to_tap:	Our initial sequence number
 * @seq_max_to_tap:	End of the data sent to the guest so far: sending
 *			again after a rewind goes up to here
 * @wnd_from_tap:	Guest's receive window, bytes
 * @wnd_max_from_tap:	Largest window the guest advertised, bytes
 * @wnd_to_tap:		Window last advertised to the guest, bytes
 * @sndbuf:		Send buffer size of @sock, bytes (cached)
 * @ts_rto:		Time the retransmission timer started, ms
 * @ts_activity:	Time of the last segment from either side, s
 */
struct tcp_conn {
	struct flow_common f;
	int sock;
	uint8_t state;
	uint16_t flags;
	uint8_t ws_to_guest;
	uint8_t ws_from_guest;
	uint8_t retrans;
	uint8_t dup_acks;
	uint8_t resend_shift;
	uint16_t mss;
	uint32_t epoll_events;
	uint32_t seq_to_tap;
	uint32_t seq_ack_from_tap;
	uint32_t seq_from_tap;
	uint32_t seq_ack_to_tap;
	uint32_t seq_init_to_tap;
	uint32_t seq_max_to_tap;
	uint32_t wnd_from_tap;
	uint32_t wnd_max_from_tap;
	uint32_t wnd_to_tap;
	uint32_t sndbuf;
	int64_t ts_rto;
	time_t ts_activity;
};

/**
 * struct udp_flow - UDP flow between the guest and a host socket
 * @f:		Common fields: key is the guest side four-tuple
 * @sock:	Socket: our own, connected, or a shared -u listening one
 * @shared:	Spliced flows: the bound socket on the peer's side
 * @flags:	UDP_F_* (udp.c)
 * @peer:	Peer on the side of the shared socket
 * @ts:		Last datagram either way, seconds
 */
struct udp_flow {
	struct flow_common f;
	int sock;
	int shared;
	uint8_t flags;
	union {
		struct sockaddr_in sa4;
		struct sockaddr_in6 sa6;
	} peer;
	time_t ts;
};

/**
 * struct tcp_splice_conn - Two connected sockets joined with splice(2)
 * @f:		Common fields (the key is unused: no lookups by tuple)
 * @s:		Sockets: [0] accepted, [1] the one we connected
 * @pipe:	Pipes: [0] carries data from s[0] to s[1], [1] the reverse
 * @pending:	Bytes in each pipe
 * @flags:	SPLICE_F_* (tcp_splice.c)
 * @events:	epoll events requested for each socket
 * @pipe_size:	Capacity of each pipe, bytes
 */
struct tcp_splice_conn {
	struct flow_common f;
	int s[2];
	int pipe[2][2];
	uint32_t pending[2];
	uint32_t pipe_size[2];
	uint16_t flags;
	uint32_t events[2];
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
void flow_timer(struct ctx *c, const struct timespec *now);
union flow *flow_alloc(void);
void flow_free(union flow *flow);
unsigned int flow_idx(const union flow *flow);
union flow *flow_at(uint32_t idx, enum flow_type type);
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
