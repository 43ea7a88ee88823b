// SPDX-License-Identifier: GPL-2.0-or-later
/* icmp.c - ICMP and ICMPv6 echo for the guest, over ping sockets
 *
 * An echo request from the guest becomes a datagram on an unprivileged
 * "ping" socket (SOCK_DGRAM with IPPROTO_ICMP or IPPROTO_ICMPV6): no raw
 * sockets, no CAP_NET_RAW. There is one socket per flow, that is per
 * guest address, destination and echo identifier. The kernel puts the
 * socket's own identifier in requests and filters replies by it, so
 * replies are rewritten to carry the guest's identifier again; sequence
 * numbers and payload pass unchanged, and the checksum is recomputed.
 * Replies come from the address the guest sent to, also when that address
 * was translated (the gateway address reaches the host's loopback).
 *
 * Flows idle for ICMP_ECHO_TIMEOUT seconds are closed by the timer. Where
 * the host doesn't allow ping sockets (net.ipv4.ping_group_range excludes
 * our group), the log says so once and requests are dropped.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "frame.h"
#include "fwd.h"
#include "icmp.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "util.h"

#define ICMP_ECHO_TIMEOUT	60	/* Seconds without requests */
#define ICMP_BUF_SIZE		65536
#define ICMP_READ_ROUNDS	16	/* Replies read per wakeup, at most */

/**
 * struct icmp_echo - Start of an echo request or reply, either family
 * @type:	Type
 * @code:	Code
 * @csum:	Checksum
 * @id:		Identifier
 * @seq:	Sequence number
 */
struct icmp_echo {
	uint8_t type;
	uint8_t code;
	uint16_t csum;
	uint16_t id;
	uint16_t seq;
};

/**
 * icmp_sock_open() - Open and register the ping socket of a new flow
 * @c:		Execution context
 * @af:		Address family
 * @flow:	Flow
 * @to_lo:	The destination is the host's loopback: don't bind outbound
 *
 * Return: socket, -1 on failure
 *
 * syscalls: socket close
 */
static int icmp_sock_open(const struct ctx *c, sa_family_t af,
			  union flow *flow, bool to_lo)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_PING,
				.data = flow_ref(flow) };
	static bool warned;
	int s;

	s = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		   af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (s < 0) {
		if ((errno == EACCES || errno == EPERM) && !warned) {
			warn("Ping sockets not permitted "
			     "(net.ipv4.ping_group_range excludes our group): "
			     "ICMP echo requests from the guest are dropped");
			warned = true;
		} else if (errno != EACCES && errno != EPERM) {
			warn_ratelimit("Can't open ping socket: %s",
				       strerror(errno));
		}
		return -1;
	}

	if (!to_lo)
		fwd_bind_outbound(c, s, af);

	ref.fd = s;
	if (epoll_add(c, EPOLLIN, ref)) {
		close(s);
		return -1;
	}
	return s;
}

/**
 * icmp_flow_close() - Close a ping flow and free its entry
 * @c:		Execution context
 * @flow:	Flow
 *
 * syscalls: close
 */
static void icmp_flow_close(const struct ctx *c, union flow *flow)
{
	epoll_del(c, flow->ping.sock);
	close(flow->ping.sock);
	flow_hash_remove(flow);
	flow_free(flow);
}

/**
 * icmp_tap_handler() - An ICMP or ICMPv6 message from the guest
 * @c:		Execution context
 * @af:		Address family
 * @saddr:	Source address
 * @daddr:	Destination address
 * @p:		Pool: packet 0 is the ICMP header and payload
 * @now:	Current time
 *
 * Return: 1 (the packet is consumed, sent or dropped)
 *
 * syscalls: sendto
 */
int icmp_tap_handler(struct ctx *c, sa_family_t af, const void *saddr,
		     const void *daddr, const struct pool *p,
		     const struct timespec *now)
{
	uint8_t req_type = af == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	uint8_t proto = af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	const struct icmp_echo *ih;
	struct fwd_target to;
	struct flow_key key;
	union flow *flow;
	size_t len;

	ih = packet_get_hdr(p, 0, 0, struct icmp_echo);
	if (!ih)
		return 1;
	if (ih->type != req_type || ih->code)
		return 1;	/* Only echo requests go out */
	len = packet_len(p, 0);

	if (!fwd_sockaddr_from_tap(c, proto, af, saddr, daddr, 0, &to)) {
		tap_stats.dropped_addr++;
		return 1;
	}

	flow_key_set(&key, af, saddr, daddr, ntohs(ih->id), 0, proto);
	flow = flow_lookup(&key);
	if (!flow) {
		flow = flow_alloc(c, FLOW_ORIGIN_GUEST);
		if (!flow) {
			warn_ratelimit("Flow table full, dropping echo "
				       "request");
			return 1;
		}
		flow->ping.f.type = af == AF_INET ? FLOW_PING4 : FLOW_PING6;
		flow->ping.f.key = key;
		flow->ping.seq = -1;
		flow->ping.sock = icmp_sock_open(c, af, flow, to.to_lo);
		if (flow->ping.sock < 0) {
			flow_free(flow);
			return 1;
		}
		flow_hash_insert(flow);
		debug("Ping flow %u: id %u", flow_idx(flow), ntohs(ih->id));
	}

	if (sendto(flow->ping.sock, ih, len, MSG_NOSIGNAL, &to.sa.sa,
		   to.sl) < 0)
		debug_ratelimit("Can't send echo request: %s",
				strerror(errno));

	flow->ping.seq = ntohs(ih->seq);
	flow->ping.ts = now->tv_sec;
	return 1;
}

/**
 * icmp_sock_handler() - Replies on a ping socket
 * @c:		Execution context
 * @ref:	epoll reference: flow index in data
 * @now:	Current time
 *
 * syscalls: recvfrom
 */
void icmp_sock_handler(struct ctx *c, union epoll_ref ref,
		       const struct timespec *now)
{
	static char buf[ICMP_BUF_SIZE];
	union flow *flow;
	int i;

	flow = flow_from_ref(ref.data, FLOW_PING4);
	if (!flow)
		flow = flow_from_ref(ref.data, FLOW_PING6);
	if (!flow || flow->ping.sock != ref.fd)
		return;

	for (i = 0; i < ICMP_READ_ROUNDS; i++) {
		const struct flow_key *k = &flow->f.key;
		struct icmp_echo *ih = (struct icmp_echo *)buf;
		ssize_t n;

		n = recv(flow->ping.sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			break;
		if ((size_t)n < sizeof(*ih))
			continue;

		ih->id = htons(k->sport);
		if (flow->f.type == FLOW_PING4) {
			if (ih->type != ICMP_ECHOREPLY)
				continue;
			frame_icmp4_send(c, k->dst.v4mapped.a4,
					 k->src.v4mapped.a4, buf, (size_t)n);
		} else {
			if (ih->type != ICMP6_ECHO_REPLY)
				continue;
			frame_icmp6_send(c, &k->dst.a6, &k->src.a6, buf,
					 (size_t)n);
		}
		flow->ping.ts = now->tv_sec;
	}
}

/**
 * icmp_flow_timer() - Close a ping flow idle for too long
 * @c:		Execution context
 * @flow:	Ping flow
 * @now:	Current time
 *
 * Return: true if the flow was closed, and freed
 */
static bool icmp_flow_timer(struct ctx *c, union flow *flow,
			    const struct timespec *now)
{
	if (now->tv_sec - flow->ping.ts <= ICMP_ECHO_TIMEOUT)
		return false;

	debug("Ping flow %u: idle, closed", flow_idx(flow));
	icmp_flow_close(c, flow);
	return true;
}

/**
 * icmp_flow_drop() - The guest is gone: close a ping flow
 * @c:		Execution context
 * @flow:	Flow
 */
static void icmp_flow_drop(struct ctx *c, union flow *flow)
{
	icmp_flow_close(c, flow);
}

/**
 * icmp_init() - Register the timer of ping flows, and how they're closed
 */
void icmp_init(void)
{
	static const struct flow_ops ops = {
		.timer = icmp_flow_timer, .close = icmp_flow_drop,
	};

	flow_register(FLOW_PING4, &ops);
	flow_register(FLOW_PING6, &ops);
}
