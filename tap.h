/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TAP_H
#define TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/uio.h>

#include "packet.h"

#define ETH_HDR_LEN		14
/* Largest frame: an IPv4/IPv6 packet of 65535 bytes plus Ethernet header */
#define TAP_FRAME_MAX		(65535 + ETH_HDR_LEN)
#define TAP_FRAME_MIN		ETH_HDR_LEN

#define TAP_BUF_BYTES		(8UL << 20)	/* Frames read in one go */
#define TAP_POOL_FRAMES		4096
#define TAP_OUT_BYTES		(4UL << 20)	/* Frames queued for output */
#define TAP_OUT_FRAMES		2048
#define TAP_BACKLOG_BYTES	(8UL << 20)	/* passt: output kept back */
#define TAP_READ_ROUNDS		16	/* recv() calls per wakeup, at most */

struct ctx;
union epoll_ref;

/**
 * struct tap_stats - Counters of the tap path, for the debug log
 * @frames_in:		Frames received
 * @frames_out:		Frames sent
 * @dropped_in:		Frames received and dropped as malformed
 * @dropped_out:	Frames we could not send (queue or socket full)
 */
struct tap_stats {
	uint64_t frames_in;
	uint64_t frames_out;
	uint64_t dropped_in;
	uint64_t dropped_out;
};

extern struct tap_stats tap_stats;
extern unsigned long tap_flush_gen;

void tap_sock_init(struct ctx *c);
void tap_backend_init(struct ctx *c);
void tap_listen_handler(struct ctx *c, uint32_t events);
void tap_passt_handler(struct ctx *c, uint32_t events,
		       const struct timespec *now);
void tap_pasta_handler(struct ctx *c, uint32_t events,
		       const struct timespec *now);
void tap_send_frame(struct ctx *c, const void *frame, size_t len);
bool tap_send_frame_ref(struct ctx *c, const void *frame, size_t len);
bool tap_backlogged(void);
void tap_send_iov(struct ctx *c, const struct iovec *iov, size_t cnt);
void tap_flush(struct ctx *c);
void tap_udp4_send(struct ctx *c, struct in_addr src, in_port_t sport,
		   struct in_addr dst, in_port_t dport, const void *data,
		   size_t len);
void tap_udp6_send(struct ctx *c, const struct in6_addr *src, in_port_t sport,
		   const struct in6_addr *dst, in_port_t dport,
		   const void *data, size_t len);
void tap_icmp4_send(struct ctx *c, struct in_addr src, struct in_addr dst,
		    void *icmp, size_t len);
void tap_icmp6_send(struct ctx *c, const struct in6_addr *src,
		    const struct in6_addr *dst, void *icmp6, size_t len);
void tap_handler(struct ctx *c, const struct pool *frames,
		 const struct timespec *now);
int tap_stream_parse(struct pool *frames, char *buf, size_t len,
		     size_t *consumed);
void tap_sock_unlink(const struct ctx *c);
void tap_learn_addr4(struct ctx *c, in_addr_t saddr);

#endif /* TAP_H */
