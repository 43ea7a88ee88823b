/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PACKET_H
#define PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/**
 * struct pool - A set of received packets, all within one buffer
 * @buf:	Buffer every packet of the pool must lie within
 * @buf_size:	Size of @buf
 * @size:	Capacity: number of entries in @pkt
 * @count:	Number of packets held
 * @pkt:	Packets: start and length of each, inside @buf
 */
struct pool {
	const char *buf;
	size_t buf_size;
	size_t size;
	size_t count;
	struct iovec *pkt;
};

/* Declare a pool @name of capacity @cap over buffer @b of size @bsize */
#define PACKET_POOL_DECL(name, cap, b, bsize)				\
	static struct iovec name ## _pkt[(cap)];			\
	static struct pool name = {					\
		.buf = (const char *)(b), .buf_size = (bsize),		\
		.size = (cap), .count = 0, .pkt = name ## _pkt,		\
	}

/* A pool holding a single packet, on the stack: for handing one frame on */
#define PACKET_POOL_P(name, b, bsize)					\
	struct iovec name ## _pkt[1];					\
	struct pool name = {						\
		.buf = (const char *)(b), .buf_size = (bsize),		\
		.size = 1, .count = 0, .pkt = name ## _pkt,		\
	}

bool packet_add(struct pool *p, size_t len, const char *start);
const void *packet_get(const struct pool *p, size_t idx, size_t offset,
		       size_t len, size_t *left);
size_t packet_len(const struct pool *p, size_t idx);
void pool_flush(struct pool *p);
bool pool_full(const struct pool *p);

/* Typed access to a header at @off in packet @idx, NULL if truncated */
#define packet_get_hdr(p, idx, off, type)				\
	((const type *)packet_get((p), (idx), (off), sizeof(type), NULL))

#endif /* PACKET_H */
