/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UDP_H
#define UDP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "packet.h"

#define UDP_TIMEOUT_ONEWAY	30	/* Seconds, flows seen one way only */
#define UDP_TIMEOUT		120	/* Seconds, once both sides sent */

struct ctx;
union epoll_ref;

void udp_init(struct ctx *c);
int udp_tap_handler(struct ctx *c, sa_family_t af, const void *saddr,
		    const void *daddr, const struct pool *p,
		    const uint16_t *seg, const struct timespec *now);
void udp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
		      const struct timespec *now);
void udp_listen_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
			const struct timespec *now);

#endif /* UDP_H */
