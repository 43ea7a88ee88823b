// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_tap.c - Hostile frames from the guest, through every parser
 *
 * Valid frames of each kind the guest may send (ARP, DHCP, DHCPv6, NDP
 * router and neighbour solicitations, ICMP and ICMPv6 echo, TCP SYN and
 * data, UDP) are mutated at random: bit flips, byte overwrites with
 * boundary values, truncation, extension with garbage, and corrupted
 * length fields. Each mutated frame goes through dispatch_frames() exactly as
 * if read from the tap, and also through the qemu stream framing parser.
 * Built with AddressSanitizer and UndefinedBehaviorSanitizer, any read out
 * of bounds or undefined operation stops the run with a report.
 *
 * The run happens in new user and network namespaces that have only a
 * loopback interface: whatever sockets the protocol handlers open on
 * behalf of the fuzzed guest can't reach anything but this machine's own
 * loopback, and connections elsewhere fail at once (no route).
 *
 * Usage: fuzz_tap [ITERATIONS [SEED]]
 */


#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "checksum.h"
#include "flow.h"
#include "log.h"
#include "packet.h"
#include "passt.h"
#include "dispatch.h"
#include "tap.h"
#include "icmp.h"
#include "tcp.h"
#include "udp.h"

#define FRAME_MAX	2048

static struct ctx c;
static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static const uint8_t guest_mac[6] = { 0x02, 0, 0, 0, 0, 0x42 };

/**
 * eth() - Write an Ethernet header
 * @f:		Frame
 * @proto:	EtherType
 * @bcast:	Broadcast destination
 *
 * Return: header length
 */
static size_t eth(uint8_t *f, uint16_t proto, int bcast)
{
	struct ethhdr *eh = (struct ethhdr *)f;

	memset(eh->h_dest, bcast ? 0xff : 0x9a, ETH_ALEN);
	memcpy(eh->h_source, guest_mac, ETH_ALEN);
	eh->h_proto = htons(proto);
	return sizeof(*eh);
}

static size_t ip4(uint8_t *f, uint8_t proto, const char *src, const char *dst,
		  size_t l4len)
{
	struct iphdr *iph = (struct iphdr *)f;

	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons((uint16_t)(sizeof(*iph) + l4len));
	iph->ttl = 64;
	iph->protocol = proto;
	inet_pton(AF_INET, src, &iph->saddr);
	inet_pton(AF_INET, dst, &iph->daddr);
	iph->check = csum_ip4_header(iph, sizeof(*iph));
	return sizeof(*iph);
}

static size_t ip6(uint8_t *f, uint8_t nh, const char *src, const char *dst,
		  size_t l4len, uint8_t hlim)
{
	struct ip6_hdr *h = (struct ip6_hdr *)f;

	memset(h, 0, sizeof(*h));
	h->ip6_flow = htonl(6U << 28);
	h->ip6_plen = htons((uint16_t)l4len);
	h->ip6_nxt = nh;
	h->ip6_hlim = hlim;
	inet_pton(AF_INET6, src, &h->ip6_src);
	inet_pton(AF_INET6, dst, &h->ip6_dst);
	return sizeof(*h);
}

/**
 * build_seed() - Build one valid frame of a kind
 * @f:		Frame buffer
 * @kind:	Which kind
 *
 * Return: frame length
 */
static size_t build_seed(uint8_t *f, unsigned int kind)
{
	size_t off = 0, l4len;
	uint8_t *l4;

	memset(f, 0, FRAME_MAX);
	switch (kind % 10) {
	case 0: {	/* ARP request for the gateway */
		static const uint8_t arp[] = {
			0, 1, 8, 0, 6, 4, 0, 1,
			0x02, 0, 0, 0, 0, 0x42, 198, 51, 100, 2,
			0, 0, 0, 0, 0, 0, 198, 51, 100, 1,
		};
		off = eth(f, ETH_P_ARP, 1);
		memcpy(f + off, arp, sizeof(arp));
		return off + sizeof(arp);
	}
	case 1: {	/* DHCP DISCOVER with options */
		static const uint8_t opts[] = {
			99, 130, 83, 99, 53, 1, 1, 61, 7, 1, 2, 0, 0, 0, 0,
			0x42, 57, 2, 2, 64, 80, 0, 55, 4, 1, 3, 6, 119, 255,
		};
		l4len = 8 + 236 + sizeof(opts);
		off = eth(f, ETH_P_IP, 1);
		off += ip4(f + off, IPPROTO_UDP, "0.0.0.0", "255.255.255.255",
			   l4len);
		l4 = f + off;
		((struct udphdr *)l4)->source = htons(68);
		((struct udphdr *)l4)->dest = htons(67);
		((struct udphdr *)l4)->len = htons((uint16_t)l4len);
		l4[8] = 1;	/* op */
		l4[9] = 1;	/* htype */
		l4[10] = 6;	/* hlen */
		memcpy(l4 + 8 + 28, guest_mac, 6);
		memcpy(l4 + 8 + 236, opts, sizeof(opts));
		return off + l4len;
	}
	case 2: {	/* DHCPv6 SOLICIT with client id, IA_NA, ORO */
		static const uint8_t msg[] = {
			1, 0x12, 0x34, 0x56,
			0, 1, 0, 10, 0, 3, 0, 1, 2, 0, 0, 0, 0, 0x42,
			0, 3, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
			0, 6, 0, 4, 0, 23, 0, 24,
			0, 14, 0, 0,
		};
		l4len = 8 + sizeof(msg);
		off = eth(f, ETH_P_IPV6, 1);
		off += ip6(f + off, IPPROTO_UDP, "fe80::42", "ff02::1:2",
			   l4len, 1);
		l4 = f + off;
		((struct udphdr *)l4)->source = htons(546);
		((struct udphdr *)l4)->dest = htons(547);
		((struct udphdr *)l4)->len = htons((uint16_t)l4len);
		((struct udphdr *)l4)->check = 0xffff;
		memcpy(l4 + 8, msg, sizeof(msg));
		return off + l4len;
	}
	case 3: {	/* Router solicitation with source link-layer option */
		static const uint8_t rs[] = {
			133, 0, 0, 0, 0, 0, 0, 0,
			1, 1, 0x02, 0, 0, 0, 0, 0x42,
		};
		off = eth(f, ETH_P_IPV6, 1);
		off += ip6(f + off, IPPROTO_ICMPV6, "fe80::42", "ff02::2",
			   sizeof(rs), 255);
		memcpy(f + off, rs, sizeof(rs));
		return off + sizeof(rs);
	}
	case 4: {	/* Neighbour solicitation for the gateway */
		uint8_t ns[32] = { 135, 0, 0, 0, 0, 0, 0, 0 };

		inet_pton(AF_INET6, "2001:db8::1", ns + 8);
		ns[24] = 1;
		ns[25] = 1;
		memcpy(ns + 26, guest_mac, 6);
		off = eth(f, ETH_P_IPV6, 1);
		off += ip6(f + off, IPPROTO_ICMPV6, "fe80::42",
			   "ff02::1:ff00:1", sizeof(ns), 255);
		memcpy(f + off, ns, sizeof(ns));
		return off + sizeof(ns);
	}
	case 5: {	/* ICMP echo request to the loopback-mapped gateway */
		uint8_t e[16] = { ICMP_ECHO, 0, 0, 0, 0, 7, 0, 1, 'f', 'u' };

		off = eth(f, ETH_P_IP, 0);
		off += ip4(f + off, IPPROTO_ICMP, "198.51.100.2",
			   "198.51.100.1", sizeof(e));
		memcpy(f + off, e, sizeof(e));
		return off + sizeof(e);
	}
	case 6: {	/* ICMPv6 echo request */
		uint8_t e[16] = { ICMP6_ECHO_REQUEST, 0, 0, 0, 0, 7, 0, 1 };

		off = eth(f, ETH_P_IPV6, 0);
		off += ip6(f + off, IPPROTO_ICMPV6, "2001:db8::2",
			   "2001:db8::1", sizeof(e), 64);
		memcpy(f + off, e, sizeof(e));
		return off + sizeof(e);
	}
	case 7:		/* TCP SYN with options, to the gateway (loopback) */
	case 8: {	/* TCP segment with data, maybe of a known flow */
		uint8_t t[40 + 16] = { 0 };
		struct tcphdr *th = (struct tcphdr *)t;
		static const uint8_t o[] = { 2, 4, 5, 0xb4, 1, 3, 3, 7,
					     4, 2, 8, 10, 0, 0, 0, 1 };

		th->source = htons(40000 + (uint16_t)(rnd() % 4));
		th->dest = htons(kind % 10 == 7 ? 9 : 7);
		th->seq = htonl(rnd());
		th->ack_seq = htonl(rnd());
		if (kind % 10 == 7) {
			th->syn = 1;
			th->doff = (sizeof(*th) + sizeof(o)) / 4;
			memcpy(t + sizeof(*th), o, sizeof(o));
			l4len = sizeof(*th) + sizeof(o);
		} else {
			th->ack = 1;
			th->psh = 1;
			th->doff = 5;
			memcpy(t + 20, "some payload bytes", 18);
			l4len = 20 + 18;
		}
		th->window = htons(65535);
		off = eth(f, ETH_P_IP, 0);
		off += ip4(f + off, IPPROTO_TCP, "198.51.100.2",
			   "198.51.100.1", l4len);
		memcpy(f + off, t, l4len);
		return off + l4len;
	}
	default: {	/* UDP to the loopback-mapped gateway */
		l4len = 8 + 12;
		off = eth(f, ETH_P_IP, 0);
		off += ip4(f + off, IPPROTO_UDP, "198.51.100.2",
			   "198.51.100.1", l4len);
		l4 = f + off;
		((struct udphdr *)l4)->source = htons(5353);
		((struct udphdr *)l4)->dest = htons(9);
		((struct udphdr *)l4)->len = htons((uint16_t)l4len);
		memcpy(l4 + 8, "fuzz payload", 12);
		return off + l4len;
	}
	}
}

/**
 * mutate() - Damage a frame at random
 * @f:		Frame
 * @len:	Length, may be changed
 */
static void mutate(uint8_t *f, size_t *len)
{
	static const uint8_t special[] = { 0, 1, 0x7f, 0x80, 0xfe, 0xff };
	unsigned int n = 1 + rnd() % 6, i;

	for (i = 0; i < n; i++) {
		size_t pos = *len ? rnd() % *len : 0;

		switch (rnd() % 6) {
		case 0:
			f[pos] ^= (uint8_t)(1U << (rnd() % 8));
			break;
		case 1:
			f[pos] = special[rnd() % sizeof(special)];
			break;
		case 2:
			f[pos] = (uint8_t)rnd();
			break;
		case 3:		/* Truncate */
			*len = pos;
			break;
		case 4: {	/* Extend with garbage */
			size_t add = rnd() % 64, j;

			for (j = 0; j < add && *len < FRAME_MAX; j++)
				f[(*len)++] = (uint8_t)rnd();
			break;
		}
		default:	/* A 16-bit field set to a boundary */
			if (pos + 1 < *len) {
				uint16_t v = rnd() % 2 ? 0xffff :
					     (uint16_t)(rnd() % 600);

				memcpy(f + pos, &v, 2);
			}
		}
	}
}

/**
 * drain() - Read and discard what the handlers sent to the "tap"
 * @fd:		Read end of the pipe
 */
static void drain(int fd)
{
	static char buf[1 << 16];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/**
 * setup() - Namespaces, and a context like pasta's after start-up
 * @pipe_r:	Set to the read end of the "tap"
 */
static void setup(int *pipe_r)
{
	int p[2];

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		perror("unshare (user and network namespaces)");
		exit(1);
	}

	c.mode = MODE_PASTA;
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC)) {
		perror("pipe2");
		exit(1);
	}
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	*pipe_r = p[0];
	c.fd_tap = p[1];
	c.fd_tap_listen = -1;
	c.mtu = 65520;
	c.ifi4 = c.ifi6 = 1;
	memcpy(c.our_tap_mac, (uint8_t[]){ 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 },
	       6);
	inet_pton(AF_INET, "198.51.100.2", &c.ip4.addr);
	c.ip4.addr_seen = c.ip4.addr;
	c.ip4.prefix_len = 24;
	inet_pton(AF_INET, "198.51.100.1", &c.ip4.gw);
	c.ip4.our_tap_addr = c.ip4.gw;
	c.ip4.map_host_loopback = c.ip4.gw;
	inet_pton(AF_INET, "203.0.113.53", &c.ip4.dns[0]);
	inet_pton(AF_INET6, "2001:db8::2", &c.ip6.addr);
	c.ip6.addr_seen = c.ip6.addr;
	c.ip6.prefix_len = 64;
	inet_pton(AF_INET6, "fe80::1", &c.ip6.gw);
	c.ip6.our_tap_ll = c.ip6.gw;
	c.ip6.map_host_loopback = c.ip6.gw;
	inet_pton(AF_INET6, "2001:db8:1::53", &c.ip6.dns[0]);
	strcpy(c.dns_search[0], "example.com");
	strcpy(c.hostname, "fuzzguest");
	strcpy(c.fqdn, "fuzzguest.example.com");
	c.tcp_in.mode = c.udp_in.mode = FWD_NONE;
	c.tcp_out.mode = c.udp_out.mode = FWD_NONE;

	flow_init();
	tcp_init(&c);
	udp_init(&c);
	icmp_init();
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	static uint8_t frames[64][FRAME_MAX + 8];
	static char stream[64 * (FRAME_MAX + 12)];
	struct iovec pkt[64];
	struct pool p = { .buf = (char *)frames, .buf_size = sizeof(frames),
			  .size = 64, .pkt = pkt };
	struct iovec spkt[64];
	struct pool sp = { .buf = stream, .buf_size = sizeof(stream),
			   .size = 64, .pkt = spkt };
	unsigned long i;
	int pipe_r;

	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x5eed5eedULL;
	if (!rng_state)
		rng_state = 1;
	log_level = LOG_ERR;	/* Handlers complain a lot about junk */

	setup(&pipe_r);

	for (i = 0; i < iters; i += 16) {
		struct timespec now;
		size_t n, slen = 0, consumed;
		unsigned int j;

		clock_gettime(CLOCK_MONOTONIC, &now);
		pool_flush(&p);
		for (j = 0; j < 16; j++) {
			size_t len = build_seed(frames[j], rnd());
			uint32_t be;

			if (rnd() % 8)
				mutate(frames[j], &len);
			packet_add(&p, len, (char *)frames[j]);

			/* The same frame, qemu-framed, maybe lying */
			be = htonl(rnd() % 16 ? (uint32_t)len : rnd());
			memcpy(stream + slen, &be, 4);
			memcpy(stream + slen + 4, frames[j], len);
			slen += 4 + len;
		}

		dispatch_frames(&c, &p, &now);
		tap_flush(&c);
		drain(pipe_r);

		pool_flush(&sp);
		n = rnd() % (slen + 1);		/* Cut anywhere */
		tap_stream_parse(&sp, stream, n, &consumed);
		if (consumed > n) {
			fprintf(stderr, "stream parse consumed %zu of %zu\n",
				consumed, n);
			return 1;
		}

		if (!(i % 4096)) {
			flow_timer(&c, &now, true, true);
			tap_flush(&c);
			drain(pipe_r);
		}
	}

	printf("fuzz_tap: %lu frames through dispatch_frames(), no fault\n",
	       iters);
	return 0;
}
