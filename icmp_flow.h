/* SPDX-License-Identifier: GPL-2.0-or-later */
/* icmp_flow.h - An ICMP or ICMPv6 echo flow over a ping socket (icmp.c)
 *
 * Part of the flow table: flow.h includes this after the common part of
 * every flow (struct flow_common), to make union flow. Include flow.h,
 * not this file.
 */
#ifndef ICMP_FLOW_H
#define ICMP_FLOW_H

#include <time.h>

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

#endif /* ICMP_FLOW_H */
