/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fixture.h - What the unit tests of the tap path and the link services
 * (ARP, DHCP, DHCPv6, NDP) share: the MAC addresses, an execution context,
 * and the guest's end of its tap device
 *
 * In pasta mode, the tap device is the write end of a pipe, so that frames
 * sent to the guest come out of the other end whole, one read() each, on
 * tap_flush(). In passt mode, it is one end of a UNIX stream socketpair,
 * and the test plays qemu on the other.
 *
 * Include after check.h, passt.h and tap.h, in one file of a test program.
 */

#ifndef TEST_UNIT_FIXTURE_H
#define TEST_UNIT_FIXTURE_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frames.h"

static const uint8_t our_mac[ETH_ALEN] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };
static const uint8_t guest_mac[ETH_ALEN] = { 0x52, 0x54, 0x00,
					     0x12, 0x34, 0x56 };
static const uint8_t bcast_mac[ETH_ALEN] = { 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff };

/* The guest's IPv6 link, as fixture_pasta_ip6() sets it up */
#define OUR_LL6		"fe80::1"
#define GW6		"2001:db8::1"
#define GUEST6		"2001:db8::2"
#define GUEST_LL6	"fe80::5054:ff:fe12:3456"
#define DNS6_1		"2001:db8::53"
#define DNS6_2		"2001:db8:1::53"

static struct ctx c;		/* Large: static */
static int peer_fd = -1;	/* Guest side of the tap device */

/**
 * addr4() - Parse a dotted IPv4 address, for brevity
 * @s:		Address, text
 *
 * Return: the address, network order
 */
static inline in_addr_t addr4(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

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
 * fixture_ctx() - Zero @c and the tap counters, set mode and MAC addresses
 * @mode:	MODE_PASST or MODE_PASTA
 */
static inline void fixture_ctx(enum passt_mode mode)
{
	memset(&c, 0, sizeof(c));
	memset(&tap_stats, 0, sizeof(tap_stats));
	c.mode = mode;
	c.epollfd = -1;
	c.fd_tap = c.fd_tap_listen = -1;
	memcpy(c.our_tap_mac, our_mac, ETH_ALEN);
	memcpy(c.guest_mac, guest_mac, ETH_ALEN);
}

/**
 * fixture_pasta() - Pasta context with a pipe as tap device
 */
static inline void fixture_pasta(void)
{
	int p[2];

	fixture_ctx(MODE_PASTA);
	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	peer_fd = p[0];
	c.fd_tap = p[1];
}

/**
 * fixture_pasta_ip6() - Pasta context, guest on an IPv6 link, two DNS
 *			 servers, two search domains
 */
static inline void fixture_pasta_ip6(void)
{
	fixture_pasta();
	c.ifi6 = 1;
	c.mtu = MTU_DEFAULT;
	c.ip6.addr = addr6(GUEST6);
	c.ip6.addr_seen = c.ip6.addr;
	c.ip6.addr_ll_seen = addr6(GUEST_LL6);
	c.ip6.prefix_len = 64;
	c.ip6.gw = addr6(GW6);
	c.ip6.our_tap_ll = addr6(OUR_LL6);
	c.ip6.dns[0] = addr6(DNS6_1);
	c.ip6.dns[1] = addr6(DNS6_2);
	strcpy(c.dns_search[0], "example.org");
	strcpy(c.dns_search[1], "sub.example.net");
}

/**
 * fixture_socketpair() - Context whose tap is one end of a UNIX socketpair
 * @mode:	MODE_PASST or MODE_PASTA
 * @type:	SOCK_STREAM (qemu's stream) or SOCK_DGRAM (a tap device)
 */
static inline void fixture_socketpair(enum passt_mode mode, int type)
{
	int sv[2];

	fixture_ctx(mode);
	ck_assert_int_eq(socketpair(AF_UNIX, type | SOCK_NONBLOCK |
				    SOCK_CLOEXEC, 0, sv), 0);
	c.fd_tap = sv[0];
	peer_fd = sv[1];
}

/**
 * fixture_passt() - Passt context on one end of a stream socketpair
 */
static inline void fixture_passt(void)
{
	fixture_socketpair(MODE_PASST, SOCK_STREAM);
}

/**
 * fixture_teardown() - Checked fixture: close both ends of the tap device
 */
static inline void fixture_teardown(void)
{
	if (peer_fd >= 0)
		close(peer_fd);
	if (c.fd_tap >= 0)
		close(c.fd_tap);
}

/**
 * guest_read() - Read one frame the daemon sent to the guest, in pasta mode
 * @f:		Frame, filled in
 *
 * Return: frame length, 0 if nothing was sent
 */
static inline size_t guest_read(struct frame *f)
{
	return frame_read(&c, peer_fd, f);
}

/**
 * assert_no_reply() - Check that nothing was sent to the guest, pasta mode
 */
static inline void assert_no_reply(void)
{
	uint8_t buf[ETH_HLEN];

	ck_assert_uint_eq(frame_recv(&c, peer_fd, buf, sizeof(buf)), 0);
}

#endif /* TEST_UNIT_FIXTURE_H */
