// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_services.c - libFuzzer target: ARP, DHCP, DHCPv6, NDP and ICMP
 * handlers, called directly
 *
 * The input is a sequence of messages, each handed straight to the handler
 * that parses it, past the layers dispatch.c would check first:
 *
 *	selector (1 byte)	bits 0-2: which handler, see below
 *				bits 3-4: source address (DHCPv6, NDP, ICMP)
 *				bits 5-6: destination address
 *				bit 7: hop limit below 255 (NDP)
 *	length (2 bytes, big-endian), body (that many bytes, or what's left)
 *
 *	0 ARP		body after the Ethernet header
 *	1 DHCP		body after the UDP header (client to server port)
 *	2 DHCPv6	body after the UDP header
 *	3 NDP		ICMPv6 message
 *	4 ICMP		ICMP message, to icmp_tap_handler()
 *	5 ICMPv6	ICMPv6 message, to icmp_tap_handler()
 *	6 NDP timer	the clock moves by the first two bytes of the body, in
 *			seconds, then ndp_timer() runs
 *	7 settings	the first byte of the body changes the context: no DNS,
 *			no search list, no RA, a small MTU, no host name,
 *			long search lists... until the end of the input; bit 0
 *			of the second byte: out of descriptors
 *	7, bit 3 set	the host's network changes, as the body says
 *			(fz_host_change()): new addresses, prefixes,
 *			gateways, DNS servers and search domains, a family
 *			or both gone (local mode), and back; a few times per
 *			input, then as it was at start again
 *
 * Each input starts with a new guest, as far as NDP knows. Every frame
 * sent back is checked (fz_frame_check()): lengths and
 * checksums, and what DHCP and NDP give is what the context has, also
 * after the host changed.
 */

#include <arpa/inet.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arp.h"
#include "conf.h"
#include "dhcp.h"
#include "dhcpv6.h"
#include "flow.h"
#include "harness.h"
#include "icmp.h"
#include "ndp.h"
#include "passt.h"
#include "tap.h"
#include "util.h"

/* On our loopback, what the host has where the input gives no address */
#define FZ_HOST6_LO	"2001:db8:3::2"

static struct ctx c, c_start;
static int guest_fd;
static struct timespec now;

static const char *const src6[4] = {
	FZ_GUEST_LL6, "::", FZ_GUEST6, "2001:db8:ffff::1",
};
static const char *const dst6[4] = {
	"ff02::2", "ff02::1:ff00:1", FZ_LL6, "ff02::1:2",
};
static const char *const dst4[4] = {
	FZ_GW4, "255.255.255.255", "127.0.0.1", FZ_GUEST4,
};

/* The same, and the other addresses messages come from or go to, parsed
 * once: parsing them for each message took a twentieth of the time
 */
static struct in6_addr src6_a[4], dst6_a[4], gw6_a, ll6_a;
static struct in_addr dst4_a[4], guest4_a;

/**
 * addrs_init() - Parse the addresses messages come from and go to
 */
static void addrs_init(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		inet_pton(AF_INET6, src6[i], &src6_a[i]);
		inet_pton(AF_INET6, dst6[i], &dst6_a[i]);
		inet_pton(AF_INET, dst4[i], &dst4_a[i]);
	}
	inet_pton(AF_INET6, FZ_GW6, &gw6_a);
	inet_pton(AF_INET6, FZ_LL6, &ll6_a);
	inet_pton(AF_INET, FZ_GUEST4, &guest4_a);
}

/**
 * ping_events() - Replies on ping sockets go to the guest
 */
static void ping_events(void)
{
	struct epoll_event ev[16];
	int n, i;

	n = epoll_wait(c.epollfd, ev, ARRAY_SIZE(ev), 0);
	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type == EPOLL_TYPE_PING)
			icmp_sock_handler(&c, ref, &now);
	}
}

/**
 * settings() - Change the context for the rest of the input
 * @v:		Bits: what to change
 */
static void settings(uint8_t v)
{
	if (v & 0x01)
		memset(c.ip4.dns, 0, sizeof(c.ip4.dns));
	if (v & 0x02)
		memset(c.dns_search, 0, sizeof(c.dns_search));
	if (v & 0x04)
		c.no_ra = true;
	if (v & 0x08)
		c.mtu = v & 0x80 ? 576 : 1280;
	if (v & 0x10) {
		*c.hostname = '\0';
		*c.fqdn = '\0';
	}
	if (v & 0x20)
		c.no_dhcp_dns = c.no_dhcp_dns_search = true;
	if (v & 0x40)
		memset(c.ip6.dns, 0, sizeof(c.ip6.dns));
	if ((v & 0x88) == 0x80) {
		/* Long names and many of them: options that don't fit */
		unsigned int i;

		for (i = 0; i < MAXDNSRCH; i++) {
			memset(c.dns_search[i], 'a' + i, DNSRCH_LEN - 10);
			strcpy(c.dns_search[i] + DNSRCH_LEN - 10, ".example");
		}
		memset(c.fqdn, 'f', DNSRCH_LEN - 1);
		inet_pton(AF_INET, "198.51.100.54", &c.ip4.dns[1]);
		inet_pton(AF_INET, "198.51.100.55", &c.ip4.dns[2]);
		inet_pton(AF_INET6, "2001:db8::54", &c.ip6.dns[1]);
		inet_pton(AF_INET6, "2001:db8::55", &c.ip6.dns[2]);
	}
}

/**
 * message() - Hand one message to its handler
 * @sel:	Selector, see the top of the file
 * @body:	Body, with room for headers in front of it (64 bytes)
 * @len:	Length of the body
 */
static void message(uint8_t sel, uint8_t *body, size_t len)
{
	struct in6_addr s6 = src6_a[(sel >> 3) & 3];
	struct in6_addr d6 = dst6_a[(sel >> 5) & 3];
	struct in_addr s4 = guest4_a, d4 = dst4_a[(sel >> 5) & 3];
	struct iovec pkt[2];
	struct pool p = { .buf = (const char *)body - 64,
			  .buf_size = len + 64, .size = 2, .pkt = pkt };


	switch (sel & 7) {
	case 0: {
		uint8_t *eh = body - ETH_HLEN;

		memset(eh, 0xff, ETH_ALEN);
		memcpy(eh + ETH_ALEN, fz_guest_mac, ETH_ALEN);
		eh[12] = ETH_P_ARP >> 8;
		eh[13] = ETH_P_ARP & 0xff;
		packet_add(&p, len + ETH_HLEN, (const char *)eh);
		arp(&c, &p, 0);
		break;
	}
	case 1:
	case 2: {
		struct udphdr *uh = (struct udphdr *)(body - sizeof(*uh));
		bool v6 = (sel & 7) == 2;

		uh->source = htons(v6 ? DHCPV6_CLIENT_PORT : DHCP_CLIENT_PORT);
		uh->dest = htons(v6 ? DHCPV6_SERVER_PORT : DHCP_SERVER_PORT);
		uh->len = htons((uint16_t)MIN(len + sizeof(*uh), 65535));
		uh->check = 0;
		packet_add(&p, len + sizeof(*uh), (const char *)uh);
		if (v6)
			dhcpv6(&c, &s6, &d6, &p);
		else
			dhcp(&c, &p);
		break;
	}
	case 3: {
		struct ip6_hdr *ip6h = (struct ip6_hdr *)(body - 64);

		memset(ip6h, 0, sizeof(*ip6h));
		ip6h->ip6_flow = htonl(6U << 28);
		ip6h->ip6_plen = htons((uint16_t)MIN(len, 65535));
		ip6h->ip6_nxt = IPPROTO_ICMPV6;
		ip6h->ip6_hlim = sel & 0x80 ? 64 : 255;
		ip6h->ip6_src = s6;
		ip6h->ip6_dst = d6;
		packet_add(&p, len, (const char *)body);
		packet_add(&p, sizeof(*ip6h), (const char *)ip6h);
		ndp(&c, &s6, &d6, &p);
		break;
	}
	case 4:
		packet_add(&p, len, (const char *)body);
		icmp_tap_handler(&c, AF_INET, &s4, &d4, &p, &now);
		break;
	case 5:
		d6 = sel & 0x20 ? gw6_a : ll6_a;
		packet_add(&p, len, (const char *)body);
		icmp_tap_handler(&c, AF_INET6, &s6, &d6, &p, &now);
		break;
	case 6:
		now.tv_sec += len >= 2 ? (body[0] << 8 | body[1]) : 1;
		ndp_timer(&c, &now);
		break;
	default:
		if (sel & 0x08) {
			struct fz_in h = { body, len };

			fz_host_change(&c, &h, &now);
			break;
		}
		settings(len ? body[0] : 0);
		if (len > 1 && (body[1] & 1))
			fz_fds_run_out(true);
	}
	fz_tap_read_back(&c, guest_fd);
	/* Echo replies come back on ping sockets, opened by ICMP messages and
	 * closed by timers: no need to look for them after other messages
	 */
	if ((sel & 7) >= 4 && (sel & 7) <= 6) {
		ping_events();
		fz_tap_read_back(&c, guest_fd);
	}
}

/**
 * LLVMFuzzerInitialize() - Namespaces, context, tap: once
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct in6_addr a6;

	(void)argc;
	(void)argv;
	addrs_init();
	fz_setup(&c, MODE_PASTA);
	guest_fd = fz_pasta_tap(&c);
	fz_daemon_init(&c);
	conf_host_open();
	/* What the host reads as its IPv6 address, where the input doesn't
	 * give one: a prefix length that isn't a multiple of 8
	 */
	inet_pton(AF_INET6, FZ_HOST6_LO, &a6);
	fz_lo_addrs(NULL, &a6, 60);
	c_start = c;
	clock_gettime(CLOCK_MONOTONIC, &now);
	fz_ready();
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - One sequence of messages
 * @data:	Input
 * @size:	Its size
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[64 + (1 << 16)];
	struct fz_in in = { data, size };

	/* Settings back as they were; not the port forwarding tables at the
	 * end (most of the 900 KiB), which nothing here changes: copying
	 * them took a fifth of the time
	 */
	memcpy(&c, &c_start, offsetof(struct ctx, tcp_in));
	/* A new guest: NDP forgets what it told the last one (the daemon
	 * does so while no guest is connected)
	 */
	c.fd_tap = -1;
	ndp_timer(&c, &now);
	c.fd_tap = c_start.fd_tap;
	while (in.len) {
		uint8_t sel = fz_u8(&in);
		size_t len = fz_bytes(&in, buf + 64, fz_u16(&in));

		message(sel, buf + 64, len);
	}
	fz_host_back(&c, &now);
	flow_close_all(&c);
	fz_tap_read_back(&c, guest_fd);
	fz_fds_run_out(false);
	now.tv_sec += 1;
	fz_log_check();
	fz_fds_check();
	return 0;
}
