/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NDP_H
#define NDP_H

#include <netinet/in.h>
#include <time.h>

#include "packet.h"

struct ctx;

/* Unsolicited router advertisements: a few quick ones once a guest is
 * there (RFC 4861, 6.2.4, allows up to 16 s between the first three), then
 * one every RA_INTERVAL_MIN to RA_INTERVAL_MAX seconds, all in seconds
 */
#define RA_INITIAL_COUNT	3
#define RA_INITIAL_INTERVAL	4
#define RA_INTERVAL_MIN		200
#define RA_INTERVAL_MAX		600

/* Router lifetime we advertise, seconds: the largest the field holds, as
 * RFC 8319 allows, so that we stay default router between advertisements
 */
#define RA_ROUTER_LIFETIME	65535

int ndp(struct ctx *c, const struct in6_addr *saddr,
	const struct in6_addr *daddr, const struct pool *p);
void ndp_timer(struct ctx *c, const struct timespec *now);
void ndp_host_changed(struct ctx *c, const struct timespec *now);

#endif /* NDP_H */
