// SPDX-License-Identifier: GPL-2.0-or-later
/* icmp.c - ICMP echo via ping sockets (stub, being written) */

#include "icmp.h"
#include "passt.h"

int icmp_tap_handler(struct ctx *c, sa_family_t af, const void *saddr,
		     const void *daddr, const struct pool *p,
		     const struct timespec *now)
{
	(void)c;
	(void)af;
	(void)saddr;
	(void)daddr;
	(void)p;
	(void)now;
	return 0;
}

void icmp_sock_handler(struct ctx *c, union epoll_ref ref,
		       const struct timespec *now)
{
	(void)c;
	(void)ref;
	(void)now;
}

void icmp_timer(struct ctx *c, const struct timespec *now)
{
	(void)c;
	(void)now;
}
