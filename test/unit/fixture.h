/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fixture.h - What the unit tests of the link services (DHCP, DHCPv6, NDP)
 * share: the MAC addresses, and a pasta context whose tap device is the
 * write end of a pipe, so that frames sent to the guest come out of the
 * other end
 *
 * Include after check.h, passt.h and tap.h.
 */

#ifndef TEST_UNIT_FIXTURE_H
#define TEST_UNIT_FIXTURE_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const uint8_t our_mac[ETH_ALEN] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };
static const uint8_t guest_mac[ETH_ALEN] = { 0x52, 0x54, 0x00,
					     0x12, 0x34, 0x56 };

/**
 * addr6() - Parse an IPv6 address, for brevity
 * @s:		Address, text
 *
 * Return: the address
 */
static inline struct in6_addr addr6(const char *s)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/**
 * fixture_pasta() - Zero the context and the tap counters, then set up pasta
 *		     mode with our and the guest's MAC, and a pipe as tap device
 * @c:		Execution context
 * @peer_fd:	Set to the read end of the pipe: the guest's side
 */
static inline void fixture_pasta(struct ctx *c, int *peer_fd)
{
	int p[2];

	memset(c, 0, sizeof(*c));
	memset(&tap_stats, 0, sizeof(tap_stats));
	c->mode = MODE_PASTA;
	c->epollfd = -1;
	c->fd_tap_listen = -1;
	memcpy(c->our_tap_mac, our_mac, ETH_ALEN);
	memcpy(c->guest_mac, guest_mac, ETH_ALEN);

	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	*peer_fd = p[0];
	c->fd_tap = p[1];
}

#endif /* TEST_UNIT_FIXTURE_H */
