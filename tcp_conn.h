/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_conn.h - A TCP connection between the tap and a host socket (tcp.c)
 *
 * Part of the flow table: flow.h includes this after the common part of
 * every flow (struct flow_common), to make union flow. Include flow.h,
 * not this file.
 */
#ifndef TCP_CONN_H
#define TCP_CONN_H

#include <stdint.h>
#include <time.h>

/**
 * struct tcp_conn - TCP connection translated between tap and a socket
 * @f:			Common fields: key is the guest side 4-tuple
 * @sock:		Host socket
 * @state:		enum tcp_state (tcp.c)
 * @flags:		TCP_F_* (tcp.c)
 * @ws_to_guest:	Window scale we announced: guest shifts our windows
 * @ws_from_guest:	Window scale the guest announced
 * @retrans:		Retransmissions since the last progress
 * @dup_acks:		Duplicate ACKs since the acknowledgement moved
 * @resend_shift:	After a rewind: log2 of the segments in flight allowed
 * @mss:		Largest payload of a segment to the guest
 * @ooo_held:		Slots of the out-of-order store holding our segments
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
 * @outq_bound:		At least what @sock has queued: its last SIOCOUTQ
 *			reading plus what was written since, bytes
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
	uint16_t ooo_held;
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
	uint32_t outq_bound;
	int64_t ts_rto;
	time_t ts_activity;
};

#endif /* TCP_CONN_H */
