/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DHCPV6_H
#define DHCPV6_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

struct ctx;

#define DHCPV6_CLIENT_PORT	546
#define DHCPV6_SERVER_PORT	547

int dhcpv6(struct ctx *c, const struct in6_addr *saddr,
	   const struct in6_addr *daddr, const struct pool *p);

#endif /* DHCPV6_H */
