/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NDP_H
#define NDP_H

#include <netinet/in.h>
#include <time.h>

#include "packet.h"

struct ctx;

int ndp(struct ctx *c, const struct in6_addr *saddr,
	const struct in6_addr *daddr, const struct pool *p);
void ndp_timer(struct ctx *c, const struct timespec *now);

#endif /* NDP_H */
