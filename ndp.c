// SPDX-License-Identifier: GPL-2.0-or-later
/* ndp.c - NDP: neighbour and router advertisements (stub, being written) */

#include "ndp.h"
#include "passt.h"

int ndp(struct ctx *c, const struct in6_addr *saddr,
	const struct in6_addr *daddr, const struct pool *p)
{
	(void)c;
	(void)saddr;
	(void)daddr;
	(void)p;
	return 0;
}

void ndp_timer(struct ctx *c, const struct timespec *now)
{
	(void)c;
	(void)now;
}
