/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udp_flow.h - A UDP flow between the guest (or a loopback) and a socket
 *		of ours (udp.c)
 *
 * Part of the flow table: flow.h includes this after the common part of
 * every flow (struct flow_common), to make union flow. Include flow.h,
 * not this file.
 */
#ifndef UDP_FLOW_H
#define UDP_FLOW_H

#include <netinet/in.h>
#include <stdint.h>
#include <time.h>

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

#endif /* UDP_FLOW_H */
