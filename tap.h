/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TAP_H
#define TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>

#include "packet.h"

/* UDP segmentation offload (Linux 6.2), for older headers */
#ifndef TUN_F_USO4
#define TUN_F_USO4		0x20
#define TUN_F_USO6		0x40
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5
#endif

/* Largest frame: an IPv4/IPv6 packet of 65535 bytes plus Ethernet header */
#define TAP_FRAME_MAX		(IP_MAXPACKET + ETH_HLEN)
#define TAP_FRAME_MIN		ETH_HLEN

#define TAP_BUF_BYTES		(8UL << 20)	/* Frames read in one go */
#define TAP_POOL_FRAMES		4096
#define TAP_OUT_BYTES		(4UL << 20)	/* Frames queued for output */
#define TAP_OUT_FRAMES		2048
#define TAP_BACKLOG_BYTES	(8UL << 20)	/* passt: output kept back */
#define TAP_READ_ROUNDS		16	/* recv() calls per wakeup, at most */

/* Frame buffers for frames queued by reference (TCP data) */
#define TAP_FRAMES		128
/* Room for headers in front of the payload: Ethernet, IPv6, TCP */
#define TAP_HDRS_MAX		(ETH_HLEN + sizeof(struct ip6_hdr) +	\
				 sizeof(struct tcphdr))
/* Largest payload: a TCP segment in the largest IPv4 packet */
#define TAP_PAYLOAD_MAX		(IP_MAXPACKET - sizeof(struct iphdr) -	\
				 sizeof(struct tcphdr))

/**
 * struct tap_frame - Buffer for one frame queued by reference
 * @hdrs:	Room for the headers, written backwards from @payload
 * @payload:	Payload
 */
struct tap_frame {
	uint8_t hdrs[TAP_HDRS_MAX];
	uint8_t payload[TAP_PAYLOAD_MAX];
} __attribute__((packed));

struct ctx;
union epoll_ref;

/**
 * struct tap_stats - Counters of the tap path, for the debug log
 * @frames_in:		Frames received
 * @frames_out:		Frames sent
 * @dropped_in:		Frames received and dropped as malformed
 * @dropped_out:	Frames we could not send (queue or socket full)
 * @dropped_addr:	Frames received and dropped for a source or destination
 *			address we don't forward (see fwd_sockaddr_from_tap())
 */
struct tap_stats {
	uint64_t frames_in;
	uint64_t frames_out;
	uint64_t dropped_in;
	uint64_t dropped_out;
	uint64_t dropped_addr;
};

extern struct tap_stats tap_stats;

void tap_sock_init(struct ctx *c);
void tap_backend_init(struct ctx *c);
int tap_vnet_init(struct ctx *c);
void tap_listen_handler(struct ctx *c, uint32_t events);
const struct pool *tap_passt_read(struct ctx *c, bool *gone);
bool tap_passt_close(struct ctx *c);
const struct pool *tap_pasta_read(struct ctx *c);
uint16_t tap_udp_seg(const struct pool *p, size_t idx);
int tap_stream_parse(struct pool *frames, char *buf, size_t len,
		     size_t *consumed);
void tap_send_frame(struct ctx *c, const void *frame, size_t len);
bool tap_send_frame_ref(struct ctx *c, const void *frame, size_t len,
			const struct virtio_net_hdr *vh);
struct tap_frame *tap_frames_get(struct ctx *c, unsigned int n);
void tap_frames_put(unsigned int n);
void tap_send_iov(struct ctx *c, const struct iovec *iov, size_t cnt,
		  const struct virtio_net_hdr *vh);
bool tap_backlogged(void);
void tap_flush(struct ctx *c);
void tap_sock_unlink(const struct ctx *c);

#endif /* TAP_H */
