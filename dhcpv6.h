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

/* RFC 1035, 2.3.4: sizes of names in their wire encoding */
#define DNS_LABEL_MAX		63
#define DNS_NAME_MAX		255

int dhcpv6(struct ctx *c, const struct in6_addr *saddr,
	   const struct in6_addr *daddr, const struct pool *p);
size_t dns_name_encode(uint8_t *buf, size_t size, const char *name);

#endif /* DHCPV6_H */
