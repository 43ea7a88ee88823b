/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ICMP_H
#define ICMP_H

#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "packet.h"

struct ctx;
union epoll_ref;

int icmp_tap_handler(struct ctx *c, sa_family_t af, const void *saddr,
		     const void *daddr, const struct pool *p,
		     const struct timespec *now);
void icmp_sock_handler(struct ctx *c, union epoll_ref ref,
		       const struct timespec *now);
void icmp_init(void);

#endif /* ICMP_H */
