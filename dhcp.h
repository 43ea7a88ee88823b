/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DHCP_H
#define DHCP_H

#include "packet.h"

struct ctx;

int dhcp(struct ctx *c, const struct pool *p);

#endif /* DHCP_H */
