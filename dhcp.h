/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DHCP_H
#define DHCP_H

#include "packet.h"

#define DHCP_SERVER_PORT	67	/* RFC 2131, 4.1 */
#define DHCP_CLIENT_PORT	68

struct ctx;

int dhcp(struct ctx *c, const struct pool *p);

#endif /* DHCP_H */
