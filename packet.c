// SPDX-License-Identifier: GPL-2.0-or-later
/* packet.c - Bounds-checked access to received packets
 *
 * Every frame the guest sends is untrusted. Frames are collected into pools:
 * a pool records where each packet starts and how long it is, and checks on
 * insertion that the whole packet lies inside the pool's buffer. Readers
 * never do pointer arithmetic on frames: they ask for a range (offset and
 * length) of a given packet and get a pointer only if that range lies
 * completely inside the packet, or NULL otherwise. A handler that checks for
 * NULL can't read past what was received, whatever the frame claims about
 * its own lengths.
 */

#include <stdint.h>
#include <string.h>

#include "log.h"
#include "packet.h"

/**
 * packet_add() - Add a packet to a pool
 * @p:		Pool
 * @len:	Length of the packet
 * @start:	Start of the packet, inside the pool's buffer
 *
 * Return: true if added, false if the pool is full or the packet lies
 *	   outside the pool's buffer
 */
bool packet_add(struct pool *p, size_t len, const char *start)
{
	if (p->count >= p->size) {
		debug_ratelimit("packet pool full, dropping packet");
		return false;
	}

	if (start < p->buf || start > p->buf + p->buf_size ||
	    len > p->buf_size - (size_t)(start - p->buf)) {
		debug_ratelimit("packet outside its pool's buffer, dropping");
		return false;
	}

	p->pkt[p->count].iov_base = (void *)(uintptr_t)start;
	p->pkt[p->count].iov_len = len;
	p->count++;
	return true;
}

/**
 * packet_get() - Get a checked pointer to a range of a packet
 * @p:		Pool
 * @idx:	Index of the packet in the pool
 * @offset:	Offset of the range from the start of the packet
 * @len:	Length of the range
 * @left:	If not NULL, set to the bytes following the range
 *
 * Return: pointer to the range, NULL if it doesn't lie within the packet
 */
const void *packet_get(const struct pool *p, size_t idx, size_t offset,
		       size_t len, size_t *left)
{
	size_t plen;

	if (idx >= p->count)
		return NULL;

	plen = p->pkt[idx].iov_len;
	if (offset > plen || len > plen - offset)
		return NULL;

	if (left)
		*left = plen - offset - len;

	return (const char *)p->pkt[idx].iov_base + offset;
}

/**
 * packet_len() - Length of a packet in a pool
 * @p:		Pool
 * @idx:	Index of the packet
 *
 * Return: length, 0 if @idx is out of range
 */
size_t packet_len(const struct pool *p, size_t idx)
{
	if (idx >= p->count)
		return 0;
	return p->pkt[idx].iov_len;
}

/**
 * pool_flush() - Remove every packet from a pool
 * @p:		Pool
 */
void pool_flush(struct pool *p)
{
	p->count = 0;
}

/**
 * pool_full() - Check whether a pool can take another packet
 * @p:		Pool
 *
 * Return: true if full
 */
bool pool_full(const struct pool *p)
{
	return p->count >= p->size;
}
