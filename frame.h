/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef FRAME_H
#define FRAME_H

#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct ctx;

/* Hop limit of what we answer ourselves: NDP requires 255 (RFC 4861, 6.1) */
#define FRAME_HLIM_LINK		MAXTTL
/* Hop limit of segments standing for a host socket's peer */
#define FRAME_HLIM_DEFAULT	IPDEFTTL

/* Datagrams in one frame the guest's kernel splits (USO): UDP_MAX_SEGMENTS
 * is 64 in the oldest kernels that have USO on the tap, 128 in newer ones
 */
#define FRAME_UDP_SEGS_MAX	64

void frame_eth(const struct ctx *c, struct ethhdr *eh, sa_family_t af,
	       const void *dst);
void frame_ip4(struct iphdr *iph, struct in_addr src, struct in_addr dst,
	       uint8_t proto, size_t l4len, uint8_t ttl);
void frame_ip6(struct ip6_hdr *ip6h, const struct in6_addr *src,
	       const struct in6_addr *dst, uint8_t proto, size_t l4len,
	       uint8_t hlim);
void frame_udp4_send(struct ctx *c, struct in_addr src, in_port_t sport,
		     struct in_addr dst, in_port_t dport, const void *data,
		     size_t len);
void frame_udp6_send(struct ctx *c, const struct in6_addr *src,
		     in_port_t sport, const struct in6_addr *dst,
		     in_port_t dport, const void *data, size_t len);
size_t frame_udp_gso_max(const struct ctx *c, sa_family_t af, size_t seg);
void frame_udp_gso_send(struct ctx *c, sa_family_t af, const void *src,
			in_port_t sport, const void *dst, in_port_t dport,
			const struct iovec *data, size_t n, size_t seg);
void frame_vnet_csum(struct virtio_net_hdr *vh, uint16_t *check,
		     uint32_t psum, size_t l4off, size_t csumoff,
		     size_t hdrlen);
void frame_icmp4_send(struct ctx *c, struct in_addr src, struct in_addr dst,
		      void *icmp, size_t len);
void frame_icmp6_send(struct ctx *c, const struct in6_addr *src,
		      const struct in6_addr *dst, void *icmp6, size_t len);

#endif /* FRAME_H */
