/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TCP_H
#define TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "packet.h"

#define TCP_TIMER_MS		100	/* Retransmission timer granularity */

/* Idle connections are reset after Linux's keepalive idle time and nine
 * probes 75 s apart (tcp_keepalive_time, _probes, _intvl): a connection
 * with keepalive on is never cut before its ends would notice themselves
 */
#define TCP_IDLE_TIMEOUT_DEFAULT	(7200 + 9 * 75)
#define TCP_IDLE_TIMEOUT_MAX		31536000	/* A year */

struct ctx;
union epoll_ref;

void tcp_init(struct ctx *c);
int tcp_tap_handler(struct ctx *c, sa_family_t af, const void *saddr,
		    const void *daddr, const struct pool *p,
		    const struct timespec *now);
void tcp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
		      const struct timespec *now);
void tcp_listen_handler(struct ctx *c, union epoll_ref ref,
			const struct timespec *now);
bool tcp_timer_pending(void);
void tcp_tap_resume(struct ctx *c, const struct timespec *now);
bool tcp_tap_blocked(void);

/* Sequence number arithmetic, modulo 2^32 (RFC 1982 style) */
#define SEQ_LT(a, b)		((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LE(a, b)		((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)		((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GE(a, b)		((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

/**
 * struct tcp_opts - Options parsed from a guest's TCP header
 * @mss:	Maximum segment size, 0 if absent
 * @ws:		Window scale shift, -1 if absent
 */
struct tcp_opts {
	int mss;
	int ws;
};

int tcp_opts_parse(const struct pool *p, size_t idx, size_t hlen,
		   struct tcp_opts *o);

#endif /* TCP_H */
