// SPDX-License-Identifier: GPL-2.0-or-later
/* dhcpv6.c - DHCPv6 server for the guest (stub, being written) */

#include "dhcpv6.h"
#include "passt.h"

int dhcpv6(struct ctx *c, const struct in6_addr *saddr,
	   const struct in6_addr *daddr, const struct pool *p)
{
	(void)c;
	(void)saddr;
	(void)daddr;
	(void)p;
	return 0;
}
