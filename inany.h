/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef INANY_H
#define INANY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

/**
 * union inany_addr - An IPv4 or IPv6 address, IPv4 as IPv4-mapped IPv6
 * @a6:		The address as IPv6
 * @v4mapped:	The IPv4-mapped form: ::ffff:a.b.c.d
 */
union inany_addr {
	struct in6_addr a6;
	struct {
		uint8_t zero[10];
		uint8_t one[2];
		struct in_addr a4;
	} v4mapped;
};

/**
 * union sockaddr_inany - A socket address of either family
 * @sa:		Generic
 * @sa4:	IPv4
 * @sa6:	IPv6
 */
union sockaddr_inany {
	struct sockaddr sa;
	struct sockaddr_in sa4;
	struct sockaddr_in6 sa6;
};

static inline void inany_from_af(union inany_addr *a, sa_family_t af,
				 const void *addr)
{
	if (af == AF_INET) {
		memset(a->v4mapped.zero, 0, sizeof(a->v4mapped.zero));
		a->v4mapped.one[0] = a->v4mapped.one[1] = 0xff;
		memcpy(&a->v4mapped.a4, addr, sizeof(struct in_addr));
	} else {
		memcpy(&a->a6, addr, sizeof(struct in6_addr));
	}
}

static inline bool inany_is_v4(const union inany_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(&a->a6);
}

static inline bool inany_equals(const union inany_addr *a,
				const union inany_addr *b)
{
	return IN6_ARE_ADDR_EQUAL(&a->a6, &b->a6);
}

#endif /* INANY_H */
