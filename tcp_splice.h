/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TCP_SPLICE_H
#define TCP_SPLICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct ctx;
union epoll_ref;

void tcp_splice_init(struct ctx *c);
void tcp_splice_timer(struct ctx *c);
bool tcp_splice_from_host(struct ctx *c, int s, sa_family_t af,
			  uint16_t port);
void tcp_splice_sock_handler(struct ctx *c, union epoll_ref ref,
			     uint32_t events);
void tcp_splice_listen_ns_handler(struct ctx *c, union epoll_ref ref);

#endif /* TCP_SPLICE_H */
