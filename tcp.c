// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp.c - TCP translation between the guest (tap) and host sockets
 *
 * Theory of operation
 * ===================
 *
 * We don't implement a TCP stack. Each connection of the guest is paired
 * with an ordinary TCP socket on the host, and our job is to translate
 * between segments on the tap side and socket calls, reflecting the state
 * of one side to the other instead of making our own decisions: the host
 * kernel does congestion control, retransmission and flow control towards
 * the world, the guest's kernel does them towards us.
 *
 * Opening
 * -------
 * Outbound: a SYN from the guest to an address and port becomes a
 * non-blocking connect() to the same destination (the gateway address is
 * translated to the host's loopback, see fwd_nat_from_tap()). When the
 * connection completes, the guest gets a SYN-ACK; when it fails, a RST.
 * Inbound: a listening socket per forwarded port (-t) accepts a connection
 * and we send a SYN to the guest, for the mapped port, from the address
 * the peer has as seen by the guest (the gateway for the host's loopback).
 * The guest's SYN-ACK completes it. Both directions agree on the maximum
 * segment size (from the guest's MSS option and our MTU) and on window
 * scaling (RFC 7323: used only if the guest offers it).
 *
 * Guest to host
 * -------------
 * Data from the guest is written to the socket as it arrives in order,
 * and the guest is acknowledged for what the socket accepted: a full send
 * buffer means a smaller acknowledgement, and the guest retransmits the
 * rest. A run of segments of one connection goes to the socket with one
 * sendmsg(). The window we advertise is the room left in the socket's
 * send buffer; when it is exhausted we wait for the socket to become
 * writable (EPOLLOUT) and then send a window update.
 *
 * A segment that arrives past a gap (one before it was lost) is answered
 * with a duplicate ACK, so that the guest's fast retransmit fills the gap,
 * and is kept meanwhile, if it starts at most TCP_OOO_AHEAD_MAX bytes
 * ahead, in a static store of slots shared by all connections: many small
 * ones, for segments of a usual MTU, and a few for segments of any size.
 * When the segment filling the gap is written, the kept ones it joins up
 * with are written after it, or once the socket has room again, and our
 * next ACK covers them all: the guest doesn't send them again. A kept FIN
 * is passed on once everything before it is written. Each connection
 * counts the slots it holds: only a connection that holds some looks
 * through the store for them, to write them, or to give them back when
 * it's freed. When the store is full, more segments past a gap are
 * dropped, and the guest sends them again. Either way, no data is passed
 * twice and none is skipped.
 *
 * Host to guest
 * -------------
 * Data arriving on the socket is not read, but peeked (MSG_PEEK) into
 * frames of at most one MSS (and half the largest window the guest has
 * offered, see tcp_seg_max()), up to the guest's window. It stays in the
 * socket's receive queue until the guest acknowledges it, and is then
 * discarded (MSG_TRUNC): there are no per-connection buffers, and the
 * kernel's receive window towards the peer reflects what the guest has
 * taken. SO_PEEK_OFF makes each peek continue after the previous one; on
 * kernels without it for TCP, the bytes already sent are peeked into a
 * scratch buffer first. A retransmission (timeout with exponential
 * back-off, or three duplicate ACKs) rewinds to the guest's last
 * acknowledgement and peeks the same data again, one segment first, then
 * twice as many with each ACK, until it reaches what was sent before: a
 * guest holding the rest out of order, or one that lacked nothing (a
 * spurious timeout), acknowledges past it, and we go on from there. A FIN
 * we had sent counts as sent before. A duplicate ACK, as RFC 5681 has it,
 * carries no data and the same acknowledgement and window as the one
 * before: one that opens the window is an update, from a guest whose
 * application reads slowly, and no sign of loss. When the guest's window
 * is full, we stop watching the socket for input (EPOLLIN), and resume
 * when an acknowledgement opens it.
 *
 * Closing
 * -------
 * FIN and RST travel both ways: a FIN from the guest becomes
 * shutdown(SHUT_WR) once all its data is written; end of file on the
 * socket becomes a FIN to the guest once all data before it is sent. A RST
 * from the guest closes the socket with SO_LINGER set to zero, so the peer
 * sees a reset; a reset or error on the socket becomes a RST to the guest.
 * A connection is freed when both directions are closed and our FIN is
 * acknowledged. We have no TIME-WAIT: the host kernel keeps the real one.
 *
 * Sequence numbers
 * ----------------
 * Our initial sequence number towards the guest follows RFC 6528: a keyed
 * hash (SipHash) of the four-tuple plus a clock ticking every 4 us.
 *
 * Timers
 * ------
 * While some connection waits for something, an acknowledgement of data,
 * SYN or FIN (retransmission with back-off, then a reset after
 * TCP_MAX_RETRANS tries), or a connect() that takes too long, the flow
 * table's timer, flow_timer(), runs every TCP_TIMER_MS and calls
 * tcp_flow_timer() for each connection.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checksum.h"
#include "frame.h"
#include "flow.h"
#include "fwd.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "tcp_splice.h"
#include "util.h"

#define TCP_WS_OURS		8	/* Our window scale: windows up to 16 MiB */
#define TCP_WS_MAX		14	/* Largest window scale, RFC 7323, 2.3 */
#define TCP_MSS_GUEST_DEFAULT		536	/* RFC 9293, 3.7.1 */
#define TCP_FRAME_PAYLOAD_MAX	TAP_PAYLOAD_MAX
#define TCP_RTO_INIT_MS		1000	/* RFC 6298, 2.1 */
#define TCP_RTO_MIN_MS		200
#define TCP_RTO_MAX_MS		60000
#define TCP_MAX_RETRANS		8
#define TCP_CONNECT_TIMEOUT_S	60
#define TCP_SYN_TIMEOUT_MS	TCP_RTO_INIT_MS
#define TCP_LISTEN_BACKLOG	128
#define TCP_READ_FRAMES_MAX	TAP_FRAMES

/* Connection states */
enum tcp_state {
	TCPS_CLOSED = 0,
	TCPS_CONNECTING,		/* Outbound: connect() in progress */
	TCPS_SYN_ACK_SENT,	/* Outbound: waiting for the guest's ACK */
	TCPS_SYN_SENT,		/* Inbound: waiting for the guest's SYN-ACK */
	TCPS_ESTABLISHED,	/* Data both ways, FIN flags tell the rest */
};

/* Connection flags */
#define TCP_F_TAP_FIN_RCVD	0x0001	/* Guest sent FIN, not yet handled */
#define TCP_F_SOCK_SHUT_WR	0x0002	/* FIN from guest passed to socket */
#define TCP_F_SOCK_EOF		0x0004	/* End of file on the socket */
#define TCP_F_TAP_FIN_SENT	0x0008	/* FIN sent to the guest */
#define TCP_F_TAP_FIN_ACKED	0x0010	/* ...and acknowledged */
#define TCP_F_ACK_DUE		0x0020	/* An ACK to the guest is owed */
#define TCP_F_SOCK_FULL		0x0040	/* Socket send buffer was full */
#define TCP_F_ZERO_WND		0x0080	/* Guest's window closed, data waits */
#define TCP_F_TAP_BLOCKED	0x0100	/* Output to the guest was backlogged */
#define TCP_F_EPOLL_OFF		0x0200	/* Socket hung up, no longer watched */
#define TCP_F_RECOVERY		0x0400	/* Fast retransmit done, until new ACK */
#define TCP_F_TAP_FIN_MAX	0x0800	/* FIN went out after seq_max_to_tap */
#define TCP_F_SOCK_DRAINED	0x1000	/* Last peek found nothing: new data
					 * comes with an epoll event */

#define TCP_RESEND_SHIFT_MAX	6	/* Up to 64 segments sent again at once */

/* Out-of-order segments from the guest, kept until the gap is filled: the
 * slots are shared by all connections, each counts those it holds
 */
#define TCP_OOO_SMALL		2048	/* Slots for up to 2 KiB (MTU ~1500) */
#define TCP_OOO_SMALL_SIZE	2048
#define TCP_OOO_BIG		128	/* Slots for any segment */
#define TCP_OOO_SLOTS		(TCP_OOO_SMALL + TCP_OOO_BIG)
#define TCP_OOO_AHEAD_MAX	(16U << 20)	/* Keep nothing further out */

/**
 * struct tcp_ooo - A segment the guest sent past a gap
 * @flow:	Flow index + 1, 0 for a free slot
 * @seq:	Sequence number of its first byte
 * @len:	Payload length
 * @fin:	It carried a FIN
 */
static struct tcp_ooo {
	uint32_t flow;
	uint32_t seq;
	uint32_t len;
	bool fin;
} tcp_ooo[TCP_OOO_SLOTS];
static uint8_t tcp_ooo_small[TCP_OOO_SMALL][TCP_OOO_SMALL_SIZE];
static uint8_t tcp_ooo_big[TCP_OOO_BIG][TCP_FRAME_PAYLOAD_MAX];

/**
 * tcp_ooo_data() - Data area of a slot
 * @i:		Slot
 *
 * Return: start of its data
 */
static uint8_t *tcp_ooo_data(int i)
{
	return i < TCP_OOO_SMALL ? tcp_ooo_small[i] :
				   tcp_ooo_big[i - TCP_OOO_SMALL];
}
static unsigned int tcp_ooo_count;	/* Slots in use, all connections */

static void tcp_ooo_free(struct tcp_conn *conn);

/* Guest data of one run of segments, written with a single sendmsg() */
#define TCP_WBATCH_MAX		256
static struct iovec tcp_wbatch[TCP_WBATCH_MAX];
static unsigned int tcp_wbatch_n;
static size_t tcp_wbatch_len;
static struct tcp_conn *tcp_wbatch_conn;

static uint64_t tcp_isn_key[2];
static bool tcp_peek_off_ok = true;	/* SO_PEEK_OFF works for TCP */
static unsigned int tcp_timers_armed;	/* Connections needing the timer */
static unsigned int tcp_tap_blocked_count;	/* Waiting for the tap */

/* Scratch buffer for peeks without SO_PEEK_OFF: discards sent bytes */
static uint8_t tcp_discard[16 << 20];

/**
 * now_ms() - Monotonic time in milliseconds
 * @now:	Current time
 *
 * Return: milliseconds
 */
static int64_t now_ms(const struct timespec *now)
{
	return (int64_t)now->tv_sec * 1000 + now->tv_nsec / 1000000;
}

/**
 * tcp_af() - Address family of a connection
 * @conn:	Connection
 *
 * Return: AF_INET or AF_INET6
 */
static sa_family_t tcp_af(const struct tcp_conn *conn)
{
	return inany_is_v4(&conn->f.key.src) ? AF_INET : AF_INET6;
}

/**
 * tcp_isn() - Initial sequence number for a connection, RFC 6528
 * @key:	Four-tuple
 * @now:	Current time
 *
 * Return: sequence number
 */
static uint32_t tcp_isn(const struct flow_key *key, const struct timespec *now)
{
	uint64_t ticks = ((uint64_t)now->tv_sec * 1000000000ULL +
			  (uint64_t)now->tv_nsec) >> 12;	/* ~4 us */

	return (uint32_t)(siphash_2_4(key, sizeof(*key), tcp_isn_key) + ticks);
}

/**
 * tcp_epoll_set() - Change the events watched on a connection's socket
 * @c:		Execution context
 * @conn:	Connection
 * @events:	New events
 *
 * syscalls: epoll_ctl
 */
static void tcp_epoll_set(const struct ctx *c, struct tcp_conn *conn,
			  uint32_t events)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TCP, .fd = conn->sock,
				.data = flow_ref((union flow *)conn) };
	struct epoll_event ev;

	/* After end of file, input and hangup events are level-triggered
	 * news we already have: asking for them again would spin.
	 */
	if (conn->flags & TCP_F_SOCK_EOF)
		events &= ~(uint32_t)(EPOLLIN | EPOLLRDHUP);
	if ((conn->flags & TCP_F_EPOLL_OFF) || events == conn->epoll_events)
		return;

	ev.events = events;
	ev.data.u64 = ref.u64;
	if (epoll_ctl(c->epollfd, EPOLL_CTL_MOD, conn->sock, &ev))
		debug_perror("TCP: can't change epoll events");
	conn->epoll_events = events;
}

/**
 * tcp_epoll_drained() - Everything on the socket is sent: wait for news only
 * @c:		Execution context
 * @conn:	Connection
 *
 * Data we peeked stays in the socket until the guest acknowledges it, so
 * the socket stays readable: level-triggered, EPOLLIN would wake us over
 * and over until the ACK comes, which a guest may delay by tens of
 * milliseconds. Edge-triggered, it wakes us when more data arrives; the
 * ACK itself sends whatever its window allows (tcp_tap_handler()). Any
 * other change of the events goes back to level-triggered.
 */
static void tcp_epoll_drained(const struct ctx *c, struct tcp_conn *conn)
{
	if (conn->epoll_events & EPOLLIN)
		tcp_epoll_set(c, conn, conn->epoll_events | EPOLLET);
}

/**
 * tcp_epoll_established() - Watch a connection just established for input
 * @c:		Execution context
 * @conn:	Connection
 *
 * Edge-triggered from the start, as tcp_epoll_drained() would make it: the
 * caller peeks right after (tcp_tap_handler()), and data already there is
 * reported once anyway (epoll checks readiness on EPOLL_CTL_MOD).
 */
static void tcp_epoll_established(const struct ctx *c, struct tcp_conn *conn)
{
	tcp_epoll_set(c, conn, EPOLLIN | EPOLLRDHUP | EPOLLET);
}

/**
 * tcp_epoll_off() - Stop watching a socket that hung up
 * @c:		Execution context
 * @conn:	Connection
 *
 * EPOLLHUP can't be masked: once both directions of the socket are shut,
 * it would be reported for as long as the socket is watched. What's left
 * (data still queued, our FIN) is driven by the guest's segments and the
 * timer.
 */
static void tcp_epoll_off(const struct ctx *c, struct tcp_conn *conn)
{
	if (conn->flags & TCP_F_EPOLL_OFF)
		return;
	epoll_del(c, conn->sock);
	conn->flags |= TCP_F_EPOLL_OFF;
}

/**
 * tcp_epollout() - EPOLLOUT if we wait for room in the socket's buffer
 * @conn:	Connection
 *
 * Return: EPOLLOUT or 0
 */
static uint32_t tcp_epollout(const struct tcp_conn *conn)
{
	return conn->flags & TCP_F_SOCK_FULL ? EPOLLOUT : 0;
}

/**
 * tcp_timer_arm() - Start the retransmission/handshake timer
 * @conn:	Connection
 * @now:	Current time
 */
static void tcp_timer_arm(struct tcp_conn *conn, const struct timespec *now)
{
	if (!conn->ts_rto)
		tcp_timers_armed++;
	conn->ts_rto = now_ms(now) ? now_ms(now) : 1;
}

/**
 * tcp_timer_disarm() - Stop the timer
 * @conn:	Connection
 */
static void tcp_timer_disarm(struct tcp_conn *conn)
{
	if (conn->ts_rto)
		tcp_timers_armed--;
	conn->ts_rto = 0;
}

/**
 * tcp_timer_pending() - Does any connection need the timer soon?
 *
 * Return: true if flow_timer() should run every TCP_TIMER_MS for TCP
 */
bool tcp_timer_pending(void)
{
	return tcp_timers_armed > 0;
}

/**
 * tcp_rto_ms() - Current retransmission timeout of a connection
 * @conn:	Connection
 *
 * Return: timeout in milliseconds, doubled for each retransmission
 */
static int64_t tcp_rto_ms(const struct tcp_conn *conn)
{
	int64_t rto = TCP_RTO_INIT_MS;
	unsigned int i;

	if (conn->state == TCPS_ESTABLISHED)
		rto = TCP_RTO_MIN_MS;
	for (i = 0; i < conn->retrans && rto < TCP_RTO_MAX_MS; i++)
		rto *= 2;
	return MIN(rto, TCP_RTO_MAX_MS);
}

/**
 * tcp_opts_parse() - Parse MSS and window scale from a TCP header
 * @p:		Pool of TCP segments
 * @idx:	Index of the segment in @p
 * @hlen:	TCP header length, options included
 * @o:		Set to the options found
 *
 * Return: 0 if the options are well-formed, -1 otherwise
 */
int tcp_opts_parse(const struct pool *p, size_t idx, size_t hlen,
		   struct tcp_opts *o)
{
	size_t off = sizeof(struct tcphdr);

	o->mss = 0;
	o->ws = -1;

	while (off < hlen) {
		const uint8_t *kind = packet_get(p, idx, off, 1, NULL);
		const uint8_t *opt;
		uint8_t len;

		if (!kind)
			return -1;
		if (*kind == TCPOPT_EOL)
			break;
		if (*kind == TCPOPT_NOP) {
			off++;
			continue;
		}

		opt = packet_get(p, idx, off, 2, NULL);
		if (!opt)
			return -1;
		len = opt[1];
		if (len < 2 || off + len > hlen)
			return -1;
		opt = packet_get(p, idx, off, len, NULL);
		if (!opt)
			return -1;

		if (*kind == TCPOPT_MAXSEG && len == TCPOLEN_MAXSEG)
			o->mss = (opt[2] << 8) | opt[3];
		else if (*kind == TCPOPT_WINDOW && len == TCPOLEN_WINDOW)
			o->ws = MIN(opt[2], TCP_WS_MAX);
		off += len;
	}
	return 0;
}

/**
 * tcp_mss_ours() - MSS we announce and use towards the guest
 * @c:		Execution context
 * @af:		Address family
 *
 * Return: maximum segment payload for our MTU
 */
static int tcp_mss_ours(const struct ctx *c, sa_family_t af)
{
	int mtu = c->mtu ? c->mtu : MTU_DEFAULT;
	int hdrs = (int)((af == AF_INET ? sizeof(struct iphdr) :
					  sizeof(struct ip6_hdr)) +
			 sizeof(struct tcphdr));

	return MIN(mtu - hdrs, (int)TCP_FRAME_PAYLOAD_MAX);
}

/**
 * tcp_fill_headers() - Write Ethernet, IP and TCP headers for a segment
 * @c:		Execution context
 * @conn:	Connection
 * @buf:	Where the headers end: the payload follows at @buf
 * @plen:	Payload length
 * @flags:	TCP flags
 * @seq:	Sequence number
 * @opts:	TCP options, or NULL
 * @optlen:	Length of @opts, a multiple of 4
 * @vh:		If not NULL, the checksum is left to the guest's kernel: set
 *		to the pseudo-header's sum only, and @vh says where it goes
 *
 * Otherwise, the checksum covers the payload, which must be in place
 * already.
 *
 * Return: pointer to the start of the frame (before @buf)
 */
static uint8_t *tcp_fill_headers(const struct ctx *c,
				 const struct tcp_conn *conn, uint8_t *buf,
				 size_t plen, uint8_t flags, uint32_t seq,
				 const uint8_t *opts, size_t optlen,
				 struct virtio_net_hdr *vh)
{
	const struct flow_key *k = &conn->f.key;
	size_t l4len = sizeof(struct tcphdr) + optlen + plen;
	struct tcphdr *th;
	struct ethhdr *eh;
	uint32_t sum;

	th = (struct tcphdr *)(buf - optlen - sizeof(*th));
	memset(th, 0, sizeof(*th));
	th->source = htons(k->dport);
	th->dest = htons(k->sport);
	th->seq = htonl(seq);
	th->ack_seq = htonl(conn->seq_from_tap);
	th->doff = (uint16_t)((sizeof(*th) + optlen) / 4);
	th->fin = !!(flags & TH_FIN);
	th->syn = !!(flags & TH_SYN);
	th->rst = !!(flags & TH_RST);
	th->psh = !!(flags & TH_PUSH);
	th->ack = !!(flags & TH_ACK);
	if (flags & TH_SYN)
		th->window = htons((uint16_t)MIN(conn->wnd_to_tap, 65535));
	else
		th->window = htons((uint16_t)MIN(conn->wnd_to_tap >>
						 conn->ws_to_guest, 65535));
	if (optlen)
		memcpy(th + 1, opts, optlen);

	if (tcp_af(conn) == AF_INET) {
		struct iphdr *iph = (struct iphdr *)((uint8_t *)th -
						     sizeof(*iph));
		struct in_addr src = k->dst.v4mapped.a4;
		struct in_addr dst = k->src.v4mapped.a4;

		frame_ip4(iph, src, dst, IPPROTO_TCP, l4len,
			  FRAME_HLIM_DEFAULT);
		sum = csum_pseudo4(src, dst, IPPROTO_TCP, l4len);
		eh = (struct ethhdr *)((uint8_t *)iph - sizeof(*eh));
		frame_eth(c, eh, AF_INET, &dst);
	} else {
		struct ip6_hdr *ip6h = (struct ip6_hdr *)((uint8_t *)th -
							  sizeof(*ip6h));

		frame_ip6(ip6h, &k->dst.a6, &k->src.a6, IPPROTO_TCP, l4len,
			  FRAME_HLIM_DEFAULT);
		sum = csum_pseudo6(&ip6h->ip6_src, &ip6h->ip6_dst,
				   IPPROTO_TCP, l4len);
		eh = (struct ethhdr *)((uint8_t *)ip6h - sizeof(*eh));
		frame_eth(c, eh, AF_INET6, &k->src.a6);
	}

	th->check = 0;
	if (vh)
		frame_vnet_csum(vh, &th->check, sum,
				(size_t)((uint8_t *)th - (uint8_t *)eh),
				offsetof(struct tcphdr, check),
				(size_t)(buf - (uint8_t *)eh));
	else
		th->check = csum(th, l4len, sum);
	return (uint8_t *)eh;
}

static void tcp_update_sndbuf(struct tcp_conn *conn);

/**
 * tcp_outq_add() - Count bytes written to the socket in @outq_bound
 * @conn:	Connection
 * @n:		Bytes written
 */
static void tcp_outq_add(struct tcp_conn *conn, size_t n)
{
	if (UINT32_MAX - conn->outq_bound > n)
		conn->outq_bound += (uint32_t)n;
	else
		conn->outq_bound = UINT32_MAX;
}

/**
 * tcp_sndbuf_limit() - What the guest may have queued in the socket
 * @conn:	Connection
 *
 * Return: three quarters of the send buffer: its size counts the kernel's
 * overhead too, so keep a margin (a segment the socket can't take costs a
 * retransmission)
 */
static uint32_t tcp_sndbuf_limit(const struct tcp_conn *conn)
{
	return conn->sndbuf / 4 * 3;
}

/**
 * tcp_wnd_update() - Compute the window to advertise to the guest
 * @c:		Execution context
 * @conn:	Connection
 *
 * The room left in the socket's send buffer: what the guest may send
 * without us having to refuse it. When that gets small, we watch for the
 * socket to become writable again, and then send a window update. The
 * kernel reports writability once at most two thirds of the buffer are
 * queued, so at that point the room we compute (three quarters of the
 * buffer, less what's queued) is always well above the low mark: a
 * writable socket never leaves us waiting for EPOLLOUT again.
 *
 * What's queued is read (SIOCOUTQ), with the buffer size, only once the
 * bound we keep, @outq_bound (the last reading plus what we wrote since),
 * passes an eighth of the room: a connection with little in flight, as
 * request/response traffic has, makes no system call here for most
 * segments, and the window it's offered is at most an eighth smaller.
 *
 * syscalls: ioctl
 */
static void tcp_wnd_update(const struct ctx *c, struct tcp_conn *conn)
{
	uint32_t max = 65535U << conn->ws_to_guest;
	uint32_t room, limit;

	if (conn->outq_bound > tcp_sndbuf_limit(conn) / 8) {
		int outq = 0;

		tcp_update_sndbuf(conn);
		if (ioctl(conn->sock, SIOCOUTQ, &outq) < 0 || outq < 0)
			outq = 0;
		conn->outq_bound = (uint32_t)outq;
	}
	limit = tcp_sndbuf_limit(conn);
	room = limit > conn->outq_bound ? limit - conn->outq_bound : 0;
	conn->wnd_to_tap = MIN(room, max);

	if (conn->state != TCPS_ESTABLISHED)
		return;
	if (conn->wnd_to_tap < MIN((uint32_t)conn->mss, conn->sndbuf / 16)) {
		conn->flags |= TCP_F_SOCK_FULL;
		tcp_epoll_set(c, conn, conn->epoll_events | EPOLLOUT);
	}
}

/**
 * tcp_send_ctl() - Send a segment without payload to the guest
 * @c:		Execution context
 * @conn:	Connection
 * @flags:	TCP flags
 * @seq:	Sequence number
 */
static void tcp_send_ctl(struct ctx *c, struct tcp_conn *conn, uint8_t flags,
			 uint32_t seq)
{
	uint8_t buf[TAP_HDRS_MAX + 16] __attribute__((aligned(4)));
	uint8_t opts[8];
	size_t optlen = 0;
	uint8_t *frame;

	if (flags & TH_SYN) {
		int mss = MIN(tcp_mss_ours(c, tcp_af(conn)), 65535);

		opts[0] = TCPOPT_MAXSEG;
		opts[1] = TCPOLEN_MAXSEG;
		opts[2] = (uint8_t)(mss >> 8);
		opts[3] = (uint8_t)mss;
		optlen = 4;
		if (!(flags & TH_ACK) || conn->ws_to_guest) {
			opts[4] = TCPOPT_NOP;
			opts[5] = TCPOPT_WINDOW;
			opts[6] = TCPOLEN_WINDOW;
			opts[7] = TCP_WS_OURS;
			optlen = 8;
		}
	}

	if (!(flags & TH_RST))
		tcp_wnd_update(c, conn);
	frame = tcp_fill_headers(c, conn, buf + sizeof(buf), 0, flags, seq,
				 opts, optlen, NULL);
	tap_send_frame(c, frame, (size_t)(buf + sizeof(buf) - frame));
	if (flags & TH_ACK)
		conn->seq_ack_to_tap = conn->seq_from_tap;
	conn->flags &= (uint16_t)~TCP_F_ACK_DUE;
}

/**
 * tcp_rst_no_conn() - Answer a segment that belongs to no connection
 * @c:		Execution context
 * @af:		Address family
 * @saddr:	Guest's address
 * @daddr:	Destination address
 * @th:		The guest's TCP header
 * @plen:	Its payload length
 */
static void tcp_rst_no_conn(struct ctx *c, sa_family_t af, const void *saddr,
			    const void *daddr, const struct tcphdr *th,
			    size_t plen)
{
	struct tcp_conn tmp = { 0 };

	if (th->rst)
		return;

	flow_key_set(&tmp.f.key, af, saddr, daddr, ntohs(th->source),
		     ntohs(th->dest), IPPROTO_TCP);
	tmp.sock = -1;

	/* RFC 9293, 3.10.7.1 */
	if (th->ack) {
		tmp.seq_from_tap = 0;
		tcp_send_ctl(c, &tmp, TH_RST, ntohl(th->ack_seq));
	} else {
		tmp.seq_from_tap = ntohl(th->seq) + (uint32_t)plen +
				   (th->syn ? 1 : 0) + (th->fin ? 1 : 0);
		tcp_send_ctl(c, &tmp, TH_RST | TH_ACK, 0);
	}
}

/**
 * tcp_conn_close() - Close a connection's socket and free its entry
 * @c:		Execution context
 * @conn:	Connection
 * @rst:	Reset the peer (SO_LINGER with zero timeout) instead of closing
 *
 * syscalls: close
 */
static void tcp_conn_close(struct ctx *c, struct tcp_conn *conn, bool rst)
{
	/* The socket leaves the epoll set as it's closed: we hold its only
	 * descriptor, no EPOLL_CTL_DEL needed (see epoll(7))
	 */
	(void)c;
	if (conn->sock >= 0) {
		if (rst)
			sock_close_rst(conn->sock);
		else
			close(conn->sock);
	}
	tcp_timer_disarm(conn);
	tcp_ooo_free(conn);
	if (conn->flags & TCP_F_TAP_BLOCKED)
		tcp_tap_blocked_count--;
	if (tcp_wbatch_conn == conn) {
		tcp_wbatch_conn = NULL;
		tcp_wbatch_n = 0;
		tcp_wbatch_len = 0;
	}
	flow_hash_remove((union flow *)conn);
	flow_free((union flow *)conn);
}

/**
 * tcp_conn_reset() - Reset both sides of a connection and free it
 * @c:		Execution context
 * @conn:	Connection
 */
static void tcp_conn_reset(struct ctx *c, struct tcp_conn *conn)
{
	if (conn->state != TCPS_CONNECTING)
		tcp_send_ctl(c, conn, TH_RST | TH_ACK, conn->seq_to_tap);
	else
		tcp_send_ctl(c, conn, TH_RST | TH_ACK, 0);
	tcp_conn_close(c, conn, true);
}

/**
 * tcp_sock_setup() - Common options for a connection's socket
 * @conn:	Connection
 *
 * syscalls: setsockopt
 */
static void tcp_sock_setup(struct tcp_conn *conn)
{
	int one = 1, zero = 0;

	setsockopt(conn->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (tcp_peek_off_ok &&
	    setsockopt(conn->sock, SOL_SOCKET, SO_PEEK_OFF, &zero,
		       sizeof(zero))) {
		tcp_peek_off_ok = false;
		info("TCP: no SO_PEEK_OFF on this kernel, re-reading sent data");
	}
	/* tcp_wnd_update() reads the size at its first use: this is only
	 * what it keeps if that fails
	 */
	conn->sndbuf = 65536 / 2;
	conn->outq_bound = UINT32_MAX;
}

/**
 * tcp_update_sndbuf() - Re-read the send buffer size, autotuned by the
 *			 kernel as the connection grows
 * @conn:	Connection
 *
 * syscalls: getsockopt
 */
static void tcp_update_sndbuf(struct tcp_conn *conn)
{
	int sndbuf = 0;
	socklen_t sl = sizeof(sndbuf);

	if (!getsockopt(conn->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl) &&
	    sndbuf > 0)
		conn->sndbuf = (uint32_t)sndbuf;
}

/**
 * tcp_syn_ack_to_tap() - connect() completed: send SYN-ACK to the guest
 * @c:		Execution context
 * @conn:	Connection
 * @now:	Current time
 */
static void tcp_syn_ack_to_tap(struct ctx *c, struct tcp_conn *conn,
			       const struct timespec *now)
{
	conn->state = TCPS_SYN_ACK_SENT;
	tcp_send_ctl(c, conn, TH_SYN | TH_ACK, conn->seq_init_to_tap);
	conn->seq_to_tap = conn->seq_init_to_tap + 1;
	conn->seq_max_to_tap = conn->seq_to_tap;
	conn->seq_ack_from_tap = conn->seq_init_to_tap;
	tcp_timer_arm(conn, now);
	tcp_epoll_set(c, conn, EPOLLRDHUP);
}

/**
 * tcp_conn_from_tap() - A SYN from the guest: open the host side
 * @c:		Execution context
 * @key:	Four-tuple, guest side
 * @af:		Address family
 * @to:		Host side destination, from fwd_sockaddr_from_tap()
 * @th:		TCP header of the SYN
 * @o:		Its options
 * @now:	Current time
 *
 * Return: the new connection, NULL if none could be opened or it was reset
 *	   at once (and freed): the caller answers the SYN with a RST
 *
 * syscalls: socket epoll_ctl connect close
 */
static struct tcp_conn *tcp_conn_from_tap(struct ctx *c,
					  const struct flow_key *key,
					  sa_family_t af,
					  const struct fwd_target *to,
					  const struct tcphdr *th,
					  const struct tcp_opts *o,
					  const struct timespec *now)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TCP };
	struct tcp_conn *conn;
	union flow *flow;
	int s;

	if (c->no_tcp)
		return NULL;

	flow = flow_alloc(c, FLOW_ORIGIN_GUEST);
	if (!flow) {
		warn_ratelimit("Flow table full: refusing a TCP connection "
			       "from the guest");
		return NULL;
	}
	conn = &flow->tcp;
	conn->f.type = FLOW_TCP;
	conn->f.key = *key;
	conn->sock = -1;

	s = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		   IPPROTO_TCP);
	if (s < 0) {
		warn_ratelimit("TCP: can't open socket: %s", strerror(errno));
		flow_free(flow);
		return NULL;
	}
	conn->sock = s;
	if (!to->to_lo)
		fwd_bind_outbound(c, s, af);
	tcp_sock_setup(conn);

	conn->seq_from_tap = ntohl(th->seq) + 1;
	conn->seq_ack_to_tap = conn->seq_from_tap;
	conn->mss = (uint16_t)MIN(o->mss ? o->mss : TCP_MSS_GUEST_DEFAULT,
				  tcp_mss_ours(c, af));
	if (o->ws >= 0) {
		conn->ws_from_guest = (uint8_t)o->ws;
		conn->ws_to_guest = TCP_WS_OURS;
	}
	conn->wnd_from_tap = ntohs(th->window);	/* Never scaled in a SYN */
	conn->wnd_max_from_tap = conn->wnd_from_tap;
	conn->seq_init_to_tap = tcp_isn(key, now);
	conn->ts_activity = now->tv_sec;

	if (flow_hash_insert(flow)) {
		close(s);
		flow_free(flow);
		return NULL;
	}

	ref.fd = s;
	ref.data = flow_ref(flow);
	conn->epoll_events = EPOLLOUT | EPOLLRDHUP;
	{
		struct epoll_event ev = { .events = conn->epoll_events,
					  .data.u64 = ref.u64 };

		if (epoll_ctl(c->epollfd, EPOLL_CTL_ADD, s, &ev)) {
			err_ratelimit("TCP: can't add socket to epoll: %s",
				      strerror(errno));
			tcp_conn_close(c, conn, false);
			return NULL;
		}
	}

	conn->state = TCPS_CONNECTING;
	tcp_timer_arm(conn, now);

	if (connect(s, &to->sa.sa, to->sl) == 0) {
		tcp_syn_ack_to_tap(c, conn, now);
	} else if (errno != EINPROGRESS) {
		debug("TCP: connect() failed at once: %s", strerror(errno));
		tcp_conn_reset(c, conn);
		return NULL;
	}
	return conn;
}

/**
 * tcp_rewind() - Go back to the guest's last acknowledgement, to send again
 * @conn:	Connection
 *
 * syscalls: setsockopt
 */
static void tcp_rewind(struct tcp_conn *conn)
{
	conn->seq_to_tap = conn->seq_ack_from_tap;
	conn->flags &= (uint16_t)~(TCP_F_TAP_FIN_SENT | TCP_F_SOCK_DRAINED);
	conn->resend_shift = 0;
	if (tcp_peek_off_ok) {
		int zero = 0;

		setsockopt(conn->sock, SOL_SOCKET, SO_PEEK_OFF, &zero,
			   sizeof(zero));
	}
}

/**
 * tcp_seg_max() - Largest data segment to send to the guest
 * @conn:	Connection
 *
 * At most half the largest window the guest ever advertised, as Linux
 * senders do: a receiver rounds its window down to a multiple of the
 * largest segment it has seen, and if that exceeds what it's willing to
 * offer, the window stays closed for good. A Linux guest that accepted the
 * connection with a SYN cookie (accept queue full) has no window scaling,
 * offers at most 64240 bytes, and would deadlock on our 65480-byte
 * segments.
 *
 * Return: segment size, bytes
 */
static size_t tcp_seg_max(const struct tcp_conn *conn)
{
	uint32_t cutoff = conn->wnd_max_from_tap;

	if (cutoff > TCP_MSS_GUEST_DEFAULT)
		cutoff /= 2;
	if (!cutoff || cutoff >= conn->mss)
		return conn->mss;
	return MIN(MAX(cutoff, 64U), (uint32_t)conn->mss);
}

/**
 * tcp_gso_seg() - Payload per frame towards the guest, with segmentation
 *		   offload where the tap has it
 * @c:		Execution context
 * @conn:	Connection
 * @mss:	Segment size the guest takes, see tcp_seg_max()
 *
 * With TSO on pasta's tap (see tap_vnet_init()), one frame carries as many
 * segments of @mss as fit in the largest IP packet (and frame), and the
 * guest's kernel takes it like a GRO-merged one: it counts and ACKs the
 * bytes, not the frames, and its rounding of the window to the largest
 * segment seen uses @mss, the segment size we give it in the header.
 *
 * Return: bytes of payload per frame, @mss without offload
 */
static size_t tcp_gso_seg(const struct ctx *c, const struct tcp_conn *conn,
			  size_t mss)
{
	size_t max = TAP_FRAME_MAX - ETH_HLEN - sizeof(struct tcphdr);

	if (tcp_af(conn) == AF_INET) {
		if (!(c->tap_offloads & TUN_F_TSO4))
			return mss;
		max -= sizeof(struct iphdr);
	} else {
		if (!(c->tap_offloads & TUN_F_TSO6))
			return mss;
		max -= sizeof(struct ip6_hdr);
	}
	max = MIN(max, (size_t)TAP_PAYLOAD_MAX);
	if (mss >= max)
		return mss;
	return max / mss * mss;
}

/**
 * tcp_resend_room() - How much more we may send again, after a rewind
 * @conn:	Connection
 *
 * After tcp_rewind(), data up to @seq_max_to_tap goes out as one segment
 * first, then twice as many in flight with each ACK that moves, up to
 * 1 << TCP_RESEND_SHIFT_MAX segments, as in slow start: the guest may hold
 * the rest already, out of order, or the timeout was spurious and it lacks
 * nothing. Its ACK then jumps ahead, see tcp_ack_from_tap(), and we don't
 * send what it has again. If it lost all of it, doubling gets it there in
 * a few round trips.
 *
 * Return: bytes, UINT32_MAX if we're not sending again
 */
static uint32_t tcp_resend_room(const struct tcp_conn *conn)
{
	uint32_t budget, in_flight;

	if (!SEQ_LT(conn->seq_to_tap, conn->seq_max_to_tap))
		return UINT32_MAX;

	budget = (uint32_t)tcp_seg_max(conn) << conn->resend_shift;
	in_flight = conn->seq_to_tap - conn->seq_ack_from_tap;
	if (in_flight >= budget)
		return 0;
	return MIN(budget - in_flight,
		   conn->seq_max_to_tap - conn->seq_to_tap);
}

/**
 * tcp_data_to_tap() - Peek data from the socket, send it to the guest
 * @c:		Execution context
 * @conn:	Connection
 * @now:	Current time
 *
 * Return: true if the connection was reset and freed: @conn is gone
 *
 * syscalls: recvmsg
 */
static bool tcp_data_to_tap(struct ctx *c, struct tcp_conn *conn,
			    const struct timespec *now)
{
	struct iovec iov[TCP_READ_FRAMES_MAX + 1];
	struct tap_frame *frames;
	uint32_t in_flight, wnd, avail, room;
	struct msghdr mh = { 0 };
	unsigned int nframes, i, skip_iov = 0;
	size_t mss = tcp_seg_max(conn), seg = tcp_gso_seg(c, conn, mss);
	bool partial = !!(c->tap_offloads & TUN_F_CSUM);
	ssize_t n;

	if (conn->state != TCPS_ESTABLISHED ||
	    (conn->flags & TCP_F_TAP_FIN_SENT))
		return false;

	if (tap_backlogged()) {
		/* passt: the guest's socket is full, wait for it to drain
		 * instead of queueing (and dropping) more data frames
		 */
		if (!(conn->flags & TCP_F_TAP_BLOCKED))
			tcp_tap_blocked_count++;
		conn->flags |= TCP_F_TAP_BLOCKED;
		conn->flags &= (uint16_t)~TCP_F_SOCK_DRAINED;
		tcp_epoll_set(c, conn, EPOLLRDHUP | tcp_epollout(conn));
		return false;
	}

	in_flight = conn->seq_to_tap - conn->seq_ack_from_tap;
	wnd = conn->wnd_from_tap;
	room = tcp_resend_room(conn);
	if (in_flight >= wnd || !room) {
		/* Guest window full, or a segment sent again not yet
		 * acknowledged: wait for an ACK. If the window is closed
		 * altogether, probe it from the timer, in case the update
		 * that opens it gets lost (RFC 9293, 3.8.6.1).
		 */
		tcp_epoll_set(c, conn, EPOLLRDHUP | tcp_epollout(conn));
		conn->flags &= (uint16_t)~TCP_F_SOCK_DRAINED;
		if (!wnd && !in_flight) {
			conn->flags |= TCP_F_ZERO_WND;
			tcp_timer_arm(conn, now);
		}
		return false;
	}
	conn->flags &= (uint16_t)~TCP_F_ZERO_WND;
	avail = MIN(wnd - in_flight, room);

	nframes = (unsigned int)MIN((avail + seg - 1) / seg,
				    (uint32_t)TCP_READ_FRAMES_MAX);
	if (!nframes)
		return false;

	if (!tcp_peek_off_ok && in_flight) {
		if (in_flight > sizeof(tcp_discard)) {
			tcp_conn_reset(c, conn);
			return true;
		}
		iov[0].iov_base = tcp_discard;
		iov[0].iov_len = in_flight;
		skip_iov = 1;
	}

	/* Frames stay queued by reference: take them in one go, so that a
	 * flush in between can't reuse one we fill.
	 */
	frames = tap_frames_get(c, nframes);
	for (i = 0; i < nframes; i++) {
		size_t len = MIN(seg, (size_t)avail - i * seg);

		iov[skip_iov + i].iov_base = frames[i].payload;
		iov[skip_iov + i].iov_len = len;
	}

	mh.msg_iov = iov;
	mh.msg_iovlen = skip_iov + nframes;
	n = recvmsg(conn->sock, &mh, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0) {
		tap_frames_put(nframes);
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			conn->flags |= TCP_F_SOCK_DRAINED;
			tcp_epoll_drained(c, conn);
			return false;
		}
		if (errno == EINTR)
			return false;
		debug("TCP: socket error on read: %s", strerror(errno));
		tcp_conn_reset(c, conn);
		return true;
	}
	if (skip_iov) {
		if ((size_t)n <= in_flight)
			n = 0;
		else
			n -= (ssize_t)in_flight;
	}

	if (n == 0) {
		tap_frames_put(nframes);
		if (conn->flags & TCP_F_SOCK_EOF) {
			/* Everything before the end sent: now the FIN */
			tcp_send_ctl(c, conn, TH_FIN | TH_ACK,
				     conn->seq_to_tap);
			conn->seq_to_tap++;
			conn->flags |= TCP_F_TAP_FIN_SENT | TCP_F_TAP_FIN_MAX;
			tcp_timer_arm(conn, now);
			tcp_epoll_set(c, conn, tcp_epollout(conn));
		} else {
			conn->flags |= TCP_F_SOCK_DRAINED;
			tcp_epoll_drained(c, conn);
		}
		return false;
	}

	/* Less than we asked for doesn't make it drained: a peek also stops
	 * short at urgent data (MSG_OOB) with more behind it, and no event
	 * would tell us about that again
	 */
	conn->flags &= (uint16_t)~TCP_F_SOCK_DRAINED;

	tcp_wnd_update(c, conn);
	for (i = 0; i < nframes && n > 0; i++) {
		size_t len = MIN((size_t)n, iov[skip_iov + i].iov_len);
		struct virtio_net_hdr vh = { 0 };
		uint8_t *frame;

		/* With checksum offload, the guest's kernel takes the
		 * checksum as good (CHECKSUM_PARTIAL): none computed here
		 */
		frame = tcp_fill_headers(c, conn, frames[i].payload, len,
					 TH_ACK | (len < seg ? TH_PUSH : 0),
					 conn->seq_to_tap, NULL, 0,
					 partial ? &vh : NULL);
		if (len > mss) {
			vh.gso_type = tcp_af(conn) == AF_INET ?
				      VIRTIO_NET_HDR_GSO_TCPV4 :
				      VIRTIO_NET_HDR_GSO_TCPV6;
			vh.gso_size = (uint16_t)mss;
		}
		tap_send_frame_ref(c, frame,
				   (size_t)(frames[i].payload + len - frame),
				   &vh);
		conn->seq_to_tap += (uint32_t)len;
		n -= (ssize_t)len;
	}
	if (SEQ_GT(conn->seq_to_tap, conn->seq_max_to_tap))
		conn->seq_max_to_tap = conn->seq_to_tap;
	tap_frames_put(nframes - i);
	conn->seq_ack_to_tap = conn->seq_from_tap;
	conn->flags &= (uint16_t)~TCP_F_ACK_DUE;

	if (!conn->ts_rto)
		tcp_timer_arm(conn, now);
	return false;
}

/**
 * tcp_check_done() - Free the connection if both directions are closed
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: true if the connection was freed
 */
static bool tcp_check_done(struct ctx *c, struct tcp_conn *conn)
{
	if ((conn->flags & TCP_F_SOCK_SHUT_WR) &&
	    (conn->flags & TCP_F_TAP_FIN_ACKED)) {
		/* The guest's FIN came last, with or after the ACK of ours:
		 * it waits in LAST-ACK for this one, which we'd otherwise
		 * never send, and then a reset for its FIN sent again
		 */
		if (conn->flags & TCP_F_ACK_DUE)
			tcp_send_ctl(c, conn, TH_ACK, conn->seq_to_tap);
		tcp_conn_close(c, conn, false);
		return true;
	}
	return false;
}

/**
 * tcp_ack_from_tap() - Process the acknowledgement and window of a segment
 * @c:		Execution context
 * @conn:	Connection
 * @th:		TCP header
 * @plen:	Payload length
 * @now:	Current time
 *
 * syscalls: recvfrom
 */
static void tcp_ack_from_tap(struct ctx *c, struct tcp_conn *conn,
			     const struct tcphdr *th, size_t plen,
			     const struct timespec *now)
{
	uint32_t ack = ntohl(th->ack_seq);
	uint32_t wnd = (uint32_t)ntohs(th->window) << conn->ws_from_guest;
	uint32_t fin_max;

	if (!th->ack)
		return;

	/* Sending again, we accept ACKs up to what was sent before, FIN
	 * included if it went out: see tcp_resend_room()
	 */
	fin_max = !!(conn->flags & TCP_F_TAP_FIN_MAX);
	if (SEQ_GT(ack, conn->seq_ack_from_tap) &&
	    (SEQ_LE(ack, conn->seq_to_tap) ||
	     SEQ_LE(ack, conn->seq_max_to_tap + fin_max))) {
		uint32_t acked = ack - conn->seq_ack_from_tap;

		/* The guest had more than we sent again: the rest needn't go
		 * again. SO_PEEK_OFF goes back with the data we discard below,
		 * and stops at zero.
		 */
		if (SEQ_GT(ack, conn->seq_to_tap)) {
			conn->seq_to_tap = ack;
			if (fin_max && ack == conn->seq_max_to_tap + 1)
				conn->flags |= TCP_F_TAP_FIN_SENT;
		}
		if (SEQ_LT(conn->seq_to_tap, conn->seq_max_to_tap) &&
		    conn->resend_shift < TCP_RESEND_SHIFT_MAX)
			conn->resend_shift++;

		if ((conn->flags & TCP_F_TAP_FIN_SENT) &&
		    ack == conn->seq_to_tap) {
			conn->flags |= TCP_F_TAP_FIN_ACKED;
			acked--;	/* The FIN takes no room in the socket */
		}
		if (acked && recv(conn->sock, NULL, acked,
				  MSG_DONTWAIT | MSG_TRUNC) < 0)
			debug_perror("TCP: can't discard acknowledged data");

		conn->seq_ack_from_tap = ack;
		conn->retrans = 0;
		conn->dup_acks = 0;
		conn->flags &= (uint16_t)~TCP_F_RECOVERY;
		if (ack == conn->seq_to_tap &&
		    !SEQ_LT(conn->seq_to_tap, conn->seq_max_to_tap))
			tcp_timer_disarm(conn);
		else
			tcp_timer_arm(conn, now);
	} else if (ack == conn->seq_ack_from_tap && !plen && !th->fin &&
		   !th->syn && wnd == conn->wnd_from_tap &&
		   conn->seq_to_tap != conn->seq_ack_from_tap &&
		   !(conn->flags & TCP_F_RECOVERY)) {
		/* RFC 5681, 2: a duplicate leaves the window as it was. One
		 * that changes it is a window update, from a guest whose
		 * application reads slowly: nothing was lost
		 */
		if (++conn->dup_acks == 3) {	/* RFC 5681, 3.2 */
			debug("TCP: fast retransmit from %u", ack);
			tcp_rewind(conn);
			conn->dup_acks = 0;
			/* Duplicates of what we send again bring more
			 * duplicate ACKs: one rewind until the ACK moves
			 */
			conn->flags |= TCP_F_RECOVERY;
		}
	}

	conn->wnd_from_tap = wnd;
	conn->wnd_max_from_tap = MAX(conn->wnd_max_from_tap, wnd);
	if (conn->state == TCPS_ESTABLISHED &&
	    !(conn->flags & TCP_F_SOCK_EOF) &&
	    !(conn->epoll_events & EPOLLIN) && tcp_resend_room(conn) &&
	    SEQ_LT(conn->seq_to_tap, conn->seq_ack_from_tap + wnd))
		tcp_epoll_set(c, conn, EPOLLIN | EPOLLRDHUP |
			      tcp_epollout(conn));
}

/**
 * tcp_wbatch_flush() - Write the guest data collected for a connection
 * @c:		Execution context
 *
 * The data was acknowledged in advance (seq_from_tap moved on as it was
 * collected): what the socket doesn't take is taken back, and the guest
 * will send it again.
 *
 * The batch only ever holds data of the connection tcp_tap_handler() is
 * handling segments of: it flushes the batch before it returns.
 *
 * Return: 0 if all was written, 1 if the socket took less, -1 if the
 *	   connection was reset, and freed
 *
 * syscalls: sendmsg
 */
static int tcp_wbatch_flush(struct ctx *c)
{
	struct tcp_conn *conn = tcp_wbatch_conn;
	struct msghdr mh = { .msg_iov = tcp_wbatch,
			     .msg_iovlen = tcp_wbatch_n };
	size_t len = tcp_wbatch_len;
	ssize_t n;

	tcp_wbatch_n = 0;
	tcp_wbatch_len = 0;
	tcp_wbatch_conn = NULL;
	if (!conn || !len)
		return 0;

	n = sendmsg(conn->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			debug("TCP: socket write error: %s", strerror(errno));
			tcp_conn_reset(c, conn);
			return -1;
		}
		n = 0;
	}
	tcp_outq_add(conn, (size_t)n);
	if ((size_t)n == len)
		return 0;

	/* Full: the guest sends the rest again, we say when there's room */
	conn->seq_from_tap -= (uint32_t)(len - (size_t)n);
	conn->flags |= TCP_F_SOCK_FULL;
	tcp_epoll_set(c, conn, conn->epoll_events | EPOLLOUT);
	return 1;
}

/**
 * tcp_fin_from_tap() - All the guest's data is written: pass its FIN on
 * @conn:	Connection
 *
 * syscalls: shutdown
 */
static void tcp_fin_from_tap(struct tcp_conn *conn)
{
	conn->seq_from_tap++;
	conn->flags |= TCP_F_TAP_FIN_RCVD;
	if (shutdown(conn->sock, SHUT_WR) == 0 || errno == ENOTCONN)
		conn->flags |= TCP_F_SOCK_SHUT_WR;
}

/**
 * tcp_ooo_keep() - Keep a segment that arrived past a gap
 * @conn:	Connection
 * @seq:	Sequence number of the segment
 * @payload:	Payload
 * @plen:	Payload length
 * @fin:	FIN flag of the segment
 *
 * Without this, every segment after a lost one would have to be sent
 * again by the guest, one round trip each. Slots are shared by every
 * connection; when they run out, segments are dropped, and the guest sends
 * them again.
 */
static void tcp_ooo_keep(struct tcp_conn *conn, uint32_t seq,
			 const uint8_t *payload, size_t plen, bool fin)
{
	uint32_t idx = flow_idx((const union flow *)conn) + 1;
	int i, free_slot = -1;

	if (seq - conn->seq_from_tap > TCP_OOO_AHEAD_MAX ||
	    plen > TCP_FRAME_PAYLOAD_MAX || tcp_ooo_count >= TCP_OOO_SLOTS)
		return;

	for (i = 0; i < TCP_OOO_SLOTS; i++) {
		if (!tcp_ooo[i].flow) {
			if (free_slot < 0 &&
			    (i >= TCP_OOO_SMALL || plen <= TCP_OOO_SMALL_SIZE))
				free_slot = i;
			continue;
		}
		if (tcp_ooo[i].flow == idx && tcp_ooo[i].seq == seq &&
		    tcp_ooo[i].len >= plen)
			return;		/* Have it already */
	}
	if (free_slot < 0)
		return;

	memcpy(tcp_ooo_data(free_slot), payload, plen);
	tcp_ooo[free_slot].flow = idx;
	tcp_ooo[free_slot].seq = seq;
	tcp_ooo[free_slot].len = (uint32_t)plen;
	tcp_ooo[free_slot].fin = fin;
	tcp_ooo_count++;
	conn->ooo_held++;
}

/**
 * tcp_ooo_release() - Give a slot of the out-of-order store back
 * @conn:	Connection holding it
 * @o:		Slot
 */
static void tcp_ooo_release(struct tcp_conn *conn, struct tcp_ooo *o)
{
	o->flow = 0;
	tcp_ooo_count--;
	conn->ooo_held--;
}

/**
 * tcp_ooo_free() - Forget the kept segments of a connection
 * @conn:	Connection
 */
static void tcp_ooo_free(struct tcp_conn *conn)
{
	uint32_t idx = flow_idx((const union flow *)conn) + 1;
	int i;

	for (i = 0; conn->ooo_held && i < TCP_OOO_SLOTS; i++) {
		if (tcp_ooo[i].flow == idx)
			tcp_ooo_release(conn, &tcp_ooo[i]);
	}
}

/**
 * tcp_ooo_drain() - Write kept segments that the gap no longer separates
 * @c:		Execution context
 * @conn:	Connection
 *
 * If the socket fills up, we wait for EPOLLOUT to go on.
 *
 * Return: true if a kept FIN was reached
 *
 * syscalls: sendto
 */
static bool tcp_ooo_drain(const struct ctx *c, struct tcp_conn *conn)
{
	uint32_t idx = flow_idx((const union flow *)conn) + 1;
	bool progress = true;
	int i;

	while (progress && conn->ooo_held) {
		progress = false;
		for (i = 0; i < TCP_OOO_SLOTS; i++) {
			struct tcp_ooo *o = &tcp_ooo[i];
			uint32_t skip;
			ssize_t n;

			if (o->flow != idx || SEQ_GT(o->seq, conn->seq_from_tap))
				continue;

			skip = conn->seq_from_tap - o->seq;
			if (skip >= o->len) {
				/* All old now, or just its FIN is left */
				bool fin = o->fin && skip == o->len;

				tcp_ooo_release(conn, o);
				if (fin)
					return true;
				continue;
			}

			n = send(conn->sock, tcp_ooo_data(i) + skip,
				 o->len - skip, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				conn->seq_from_tap += (uint32_t)n;
				tcp_outq_add(conn, (size_t)n);
			}
			if (n < (ssize_t)(o->len - skip)) {
				/* Full: go on once there's room */
				conn->flags |= TCP_F_SOCK_FULL;
				tcp_epoll_set(c, conn, conn->epoll_events |
					      EPOLLOUT);
				return false;
			}
			progress = true;
		}
	}
	return false;
}

/**
 * tcp_data_from_tap() - Write the payload of a guest segment to the socket
 * @c:		Execution context
 * @conn:	Connection
 * @th:		TCP header
 * @payload:	Payload
 * @plen:	Payload length
 *
 * Return: true if the connection was reset on a write error, and freed
 */
static bool tcp_data_from_tap(struct ctx *c, struct tcp_conn *conn,
			      const struct tcphdr *th, const uint8_t *payload,
			      size_t plen)
{
	uint32_t seq = ntohl(th->seq);
	bool fin = th->fin;
	size_t skip = 0;

	if (!plen && !fin) {
		/* Keepalive probe: one below what we expect, answer it */
		if (SEQ_LT(seq, conn->seq_from_tap))
			conn->flags |= TCP_F_ACK_DUE;
		return false;
	}
	if (conn->flags & TCP_F_TAP_FIN_RCVD) {
		/* Nothing can follow a FIN: just acknowledge again */
		conn->flags |= TCP_F_ACK_DUE;
		return false;
	}

	if (SEQ_GT(seq, conn->seq_from_tap)) {
		/* A gap: keep this one aside if we can; the duplicate ACK
		 * makes the guest send the missing data again
		 */
		tcp_ooo_keep(conn, seq, payload, plen, fin);
		conn->flags |= TCP_F_ACK_DUE;
		return false;
	}
	if (SEQ_LT(seq, conn->seq_from_tap)) {
		skip = conn->seq_from_tap - seq;
		if (skip > plen || (skip == plen && !fin) ||
		    (skip == plen && fin && !plen)) {
			/* All old (or a keepalive probe): acknowledge */
			conn->flags |= TCP_F_ACK_DUE;
			return false;
		}
	}

	if (plen > skip) {
		if (tcp_wbatch_conn != conn || tcp_wbatch_n == TCP_WBATCH_MAX) {
			int rc = tcp_wbatch_flush(c);

			if (rc < 0)
				return true;
			if (rc) {
				/* The socket took less: seq_from_tap went
				 * back, this segment now lies past a gap.
				 * The guest sends it all again.
				 */
				conn->flags |= TCP_F_ACK_DUE;
				return false;
			}
		}
		tcp_wbatch_conn = conn;
		tcp_wbatch[tcp_wbatch_n].iov_base =
			(void *)(uintptr_t)(payload + skip);
		tcp_wbatch[tcp_wbatch_n].iov_len = plen - skip;
		tcp_wbatch_n++;
		tcp_wbatch_len += plen - skip;
		conn->seq_from_tap += (uint32_t)(plen - skip);

		/* A FIN, or kept segments to follow, need it written now */
		if (fin || conn->ooo_held) {
			int rc = tcp_wbatch_flush(c);

			if (rc < 0)
				return true;
			if (rc)
				fin = false;
			else if (!fin)
				fin = tcp_ooo_drain(c, conn);
		}
	}

	if (fin) {
		/* Everything before the FIN must be written before it */
		int rc = tcp_wbatch_flush(c);

		if (rc < 0)
			return true;
		if (!rc)
			tcp_fin_from_tap(conn);
	}
	conn->flags |= TCP_F_ACK_DUE;
	return false;
}

/**
 * tcp_segment() - Handle one TCP segment from the guest
 * @c:		Execution context
 * @af:		Address family
 * @saddr:	Source address
 * @daddr:	Destination address
 * @p:		Pool of segments of one four-tuple
 * @idx:	Index of the segment in @p
 * @now:	Current time
 * @due:	Set to the connection if data or an ACK to the guest may be
 *		due, left alone otherwise
 *
 * Return: true if the segment's connection was freed
 */
static bool tcp_segment(struct ctx *c, sa_family_t af, const void *saddr,
			const void *daddr, const struct pool *p, size_t idx,
			const struct timespec *now, struct tcp_conn **due)
{
	const struct tcphdr *th;
	const uint8_t *payload;
	struct tcp_conn *conn;
	struct flow_key key;
	struct tcp_opts o;
	union flow *flow;
	size_t hlen, len, plen;

	th = packet_get_hdr(p, idx, 0, struct tcphdr);
	if (!th)
		return false;
	len = packet_len(p, idx);
	hlen = (size_t)th->doff * 4;
	if (hlen < sizeof(*th) || hlen > len)
		return false;
	plen = len - hlen;
	payload = packet_get(p, idx, hlen, plen, NULL);
	if (!payload && plen)
		return false;
	if (tcp_opts_parse(p, idx, hlen, &o)) {
		debug_ratelimit("TCP: malformed options from guest, dropped");
		return false;
	}

	flow_key_set(&key, af, saddr, daddr, ntohs(th->source),
		     ntohs(th->dest), IPPROTO_TCP);
	flow = flow_lookup(&key);

	if (!flow) {
		struct fwd_target to;

		if (!fwd_sockaddr_from_tap(c, IPPROTO_TCP, af, saddr, daddr,
					   key.dport, &to)) {
			tap_stats.dropped_addr++;
			return false;
		}
		if (th->syn && !th->ack && !th->rst && !th->fin &&
		    tcp_conn_from_tap(c, &key, af, &to, th, &o, now))
			return false;
		tcp_rst_no_conn(c, af, saddr, daddr, th, plen);
		return false;
	}

	conn = &flow->tcp;
	conn->ts_activity = now->tv_sec;

	if (th->rst) {
		/* RFC 5961, 3.2: only a RST in the window is believed */
		uint32_t seq = ntohl(th->seq);

		if (conn->state == TCPS_SYN_SENT ||
		    (SEQ_GE(seq, conn->seq_from_tap) &&
		     SEQ_LE(seq, conn->seq_from_tap +
				 MAX(conn->wnd_to_tap, 1U)))) {
			tcp_conn_close(c, conn, true);
			return true;
		}
		return false;
	}

	switch (conn->state) {
	case TCPS_CONNECTING:
		return false;	/* SYN sent again: we're still connecting */
	case TCPS_SYN_ACK_SENT:
		if (th->syn && !th->ack) {
			tcp_send_ctl(c, conn, TH_SYN | TH_ACK,
				     conn->seq_init_to_tap);
			return false;
		}
		if (!th->ack || ntohl(th->ack_seq) != conn->seq_init_to_tap + 1)
			return false;
		conn->state = TCPS_ESTABLISHED;
		conn->seq_ack_from_tap = conn->seq_init_to_tap + 1;
		conn->retrans = 0;
		tcp_timer_disarm(conn);
		tcp_epoll_established(c, conn);
		break;
	case TCPS_SYN_SENT:
		if (th->ack &&
		    ntohl(th->ack_seq) != conn->seq_init_to_tap + 1) {
			/* RFC 9293, 3.10.7.3: an unacceptable ACK gets a
			 * reset. The usual reason: the guest still holds
			 * an earlier connection of this four-tuple in
			 * TIME-WAIT, and our SYN's sequence number is not
			 * past it (the earlier one carried more data than
			 * our ISN clock moved since), so it answered with
			 * that connection's ACK. The reset ends it, and the
			 * SYN sent again on the timer opens ours: no SYN
			 * now, or a guest that ignores resets in TIME-WAIT
			 * (tcp_rfc1337) would make this a loop.
			 */
			tcp_rst_no_conn(c, af, saddr, daddr, th, plen);
			return false;
		}
		if (!th->syn || !th->ack)
			return false;
		conn->seq_from_tap = ntohl(th->seq) + 1;
		conn->mss = (uint16_t)MIN(o.mss ? o.mss : TCP_MSS_GUEST_DEFAULT,
					  tcp_mss_ours(c, af));
		if (o.ws >= 0) {
			conn->ws_from_guest = (uint8_t)o.ws;
		} else {
			conn->ws_from_guest = 0;
			conn->ws_to_guest = 0;
		}
		conn->wnd_from_tap = ntohs(th->window);
		conn->wnd_max_from_tap = conn->wnd_from_tap;
		conn->seq_ack_from_tap = conn->seq_init_to_tap + 1;
		conn->retrans = 0;
		conn->state = TCPS_ESTABLISHED;
		tcp_timer_disarm(conn);
		tcp_send_ctl(c, conn, TH_ACK, conn->seq_to_tap);
		tcp_epoll_established(c, conn);
		*due = conn;
		return false;
	default:
		break;
	}

	if (th->syn) {
		/* The guest sends its SYN-ACK again: our ACK got lost (or
		 * dropped on a full accept queue), send it again
		 */
		if (th->ack) {
			conn->flags |= TCP_F_ACK_DUE;
			*due = conn;
		}
		return false;	/* Otherwise an old SYN: ignore */
	}

	tcp_ack_from_tap(c, conn, th, plen, now);
	if (tcp_data_from_tap(c, conn, th, payload, plen) ||
	    tcp_check_done(c, conn))
		return true;
	*due = conn;
	return false;
}

/**
 * tcp_tap_handler() - A run of TCP segments of one four-tuple
 * @c:		Execution context
 * @af:		Address family
 * @saddr:	Source address
 * @daddr:	Destination address
 * @p:		Pool of segments, in the order received
 * @now:	Current time
 *
 * Segments are handled in order; then the data the guest's
 * acknowledgements made room for is sent, and one ACK covers the run.
 *
 * All segments have the same four-tuple, so they all find the same
 * connection, or, once a segment frees it, none, until a SYN opens a new
 * one: @conn is always that connection or NULL.
 *
 * Return: number of segments consumed (all)
 */
int tcp_tap_handler(struct ctx *c, sa_family_t af, const void *saddr,
		    const void *daddr, const struct pool *p,
		    const struct timespec *now)
{
	struct tcp_conn *conn = NULL;
	size_t i;

	for (i = 0; i < p->count; i++) {
		if (tcp_segment(c, af, saddr, daddr, p, i, now, &conn))
			conn = NULL;
	}
	if (tcp_wbatch_flush(c) < 0 || !conn)
		return (int)p->count;

	/* Room the guest's ACKs made, or data to send again after a rewind.
	 * If we peeked all the socket had, new data comes with an event, but
	 * an answer may be there already: with an ACK due, look, to send it
	 * along (a request and its response make two frames, not three).
	 * After the socket's end of file, no event comes: the FIN goes once
	 * the guest acknowledged everything before it.
	 */
	if ((!(conn->flags & TCP_F_SOCK_DRAINED) ||
	     (conn->flags & (TCP_F_ACK_DUE | TCP_F_SOCK_EOF))) &&
	    tcp_data_to_tap(c, conn, now))
		return (int)p->count;
	if (conn->flags & TCP_F_ACK_DUE)
		tcp_send_ctl(c, conn, TH_ACK, conn->seq_to_tap);
	return (int)p->count;
}

/**
 * tcp_sock_handler() - Events on a connection's socket
 * @c:		Execution context
 * @ref:	epoll reference: flow index in data
 * @events:	epoll events
 * @now:	Current time
 *
 * syscalls: getsockopt
 */
void tcp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events,
		      const struct timespec *now)
{
	union flow *flow = flow_from_ref(ref.data, FLOW_TCP);
	struct tcp_conn *conn;

	if (!flow || flow->tcp.sock != ref.fd)
		return;
	conn = &flow->tcp;
	conn->ts_activity = now->tv_sec;

	if (events & EPOLLERR) {
		int e = 0;
		socklen_t sl = sizeof(e);

		getsockopt(conn->sock, SOL_SOCKET, SO_ERROR, &e, &sl);
		debug("TCP: socket error: %s", strerror(e));
		tcp_conn_reset(c, conn);
		return;
	}

	if (conn->state == TCPS_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLHUP)) {
			int e = 0;
			socklen_t sl = sizeof(e);

			getsockopt(conn->sock, SOL_SOCKET, SO_ERROR, &e, &sl);
			if (e || (events & EPOLLHUP)) {
				debug("TCP: connect() failed: %s",
				      strerror(e));
				tcp_conn_reset(c, conn);
				return;
			}
			tcp_syn_ack_to_tap(c, conn, now);
		}
		return;
	}

	if ((events & EPOLLOUT) && (conn->flags & TCP_F_SOCK_FULL)) {
		/* Room again: write what we kept, send a window update */
		conn->flags &= (uint16_t)~TCP_F_SOCK_FULL;
		tcp_epoll_set(c, conn, conn->epoll_events & ~EPOLLOUT);
		if (conn->ooo_held && !(conn->flags & TCP_F_TAP_FIN_RCVD) &&
		    tcp_ooo_drain(c, conn))
			tcp_fin_from_tap(conn);
		tcp_send_ctl(c, conn, TH_ACK, conn->seq_to_tap);
	}

	if (events & (EPOLLRDHUP | EPOLLHUP))
		conn->flags |= TCP_F_SOCK_EOF;
	/* Before sending: whatever events that would ask for, hung up, the
	 * socket leaves the set
	 */
	if (events & EPOLLHUP)
		tcp_epoll_off(c, conn);

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
		conn->flags &= (uint16_t)~TCP_F_SOCK_DRAINED;
		if (conn->state == TCPS_ESTABLISHED &&
		    tcp_data_to_tap(c, conn, now))
			return;		/* Reset on the way */
	}

	if (!(events & EPOLLHUP))
		tcp_epoll_set(c, conn, conn->epoll_events);
}

/**
 * tcp_listen_handler() - Accept a connection on a forwarded port
 * @c:		Execution context
 * @ref:	epoll reference: port in data
 * @now:	Current time
 *
 * syscalls: epoll_ctl
 */
void tcp_listen_handler(struct ctx *c, union epoll_ref ref,
			const struct timespec *now)
{
	union epoll_ref cref = { .type = EPOLL_TYPE_TCP };
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	uint16_t port = (uint16_t)ref.data, guest_port, peer_port;
	union inany_addr peer, guest, remote;
	struct tcp_conn *conn;
	struct flow_key key;
	union flow *flow;
	sa_family_t af;
	int s;

	s = sock_accept(ref.fd, (struct sockaddr *)&sa, &sl);
	if (s < 0)
		return;

	if (sa.ss_family == AF_INET) {
		const struct sockaddr_in *sa4 = (struct sockaddr_in *)&sa;

		inany_from_af(&peer, AF_INET, &sa4->sin_addr);
		peer_port = ntohs(sa4->sin_port);
	} else {
		const struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)&sa;

		inany_from_af(&peer, AF_INET6, &sa6->sin6_addr);
		peer_port = ntohs(sa6->sin6_port);
	}
	af = inany_is_v4(&peer) ? AF_INET : AF_INET6;

	if ((af == AF_INET && !c->ifi4) || (af == AF_INET6 && !c->ifi6)) {
		sock_close_rst(s);
		return;
	}

	guest_port = fwd_port_target(&c->tcp_in, port);

	/* pasta: loopback to loopback goes socket to socket */
	if ((af == AF_INET &&
	     (ntohl(peer.v4mapped.a4.s_addr) >> 24) == IN_LOOPBACKNET) ||
	    (af == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&peer.a6))) {
		if (tcp_splice_from_host(c, s, af, guest_port))
			return;
	}

	fwd_nat_to_tap(c, &peer, &remote, &guest);

	memset(&key, 0, sizeof(key));
	key.src = guest;
	key.dst = remote;
	key.sport = guest_port;
	key.dport = peer_port;
	key.proto = IPPROTO_TCP;

	flow = flow_alloc(c, FLOW_ORIGIN_PEER);
	if (!flow) {
		warn_ratelimit("Flow table full: refusing a TCP connection "
			       "to port %u", port);
		sock_close_rst(s);
		return;
	}
	conn = &flow->tcp;
	conn->f.type = FLOW_TCP;
	conn->f.key = key;
	conn->sock = s;
	if (flow_hash_insert(flow)) {
		sock_close_rst(s);
		flow_free(flow);
		return;
	}
	tcp_sock_setup(conn);

	conn->ws_to_guest = TCP_WS_OURS;	/* Until the SYN-ACK says */
	conn->mss = (uint16_t)tcp_mss_ours(c, af);
	conn->seq_init_to_tap = tcp_isn(&key, now);
	conn->seq_to_tap = conn->seq_init_to_tap + 1;
	conn->seq_max_to_tap = conn->seq_to_tap;
	conn->seq_ack_from_tap = conn->seq_init_to_tap;
	conn->ts_activity = now->tv_sec;
	conn->state = TCPS_SYN_SENT;

	cref.fd = s;
	cref.data = flow_ref(flow);
	conn->epoll_events = EPOLLRDHUP;
	{
		struct epoll_event ev = { .events = conn->epoll_events,
					  .data.u64 = cref.u64 };

		if (epoll_ctl(c->epollfd, EPOLL_CTL_ADD, s, &ev)) {
			tcp_conn_close(c, conn, true);
			return;
		}
	}

	tcp_wnd_update(c, conn);
	tcp_send_ctl(c, conn, TH_SYN, conn->seq_init_to_tap);
	tcp_timer_arm(conn, now);
}

/**
 * tcp_tap_blocked() - Are connections waiting for output to the guest?
 *
 * Return: true if some connection held back data because of the backlog
 */
bool tcp_tap_blocked(void)
{
	return tcp_tap_blocked_count > 0;
}

/**
 * tcp_tap_resume() - Output to the guest drained: connections held back
 *		      can send again
 * @c:		Execution context
 * @now:	Current time
 */
void tcp_tap_resume(struct ctx *c, const struct timespec *now)
{
	union flow *flow;

	flow_foreach(flow, FLOW_TCP) {
		struct tcp_conn *conn = &flow->tcp;

		if (!tcp_tap_blocked_count || tap_backlogged())
			break;
		if (!(conn->flags & TCP_F_TAP_BLOCKED))
			continue;
		conn->flags &= (uint16_t)~TCP_F_TAP_BLOCKED;
		tcp_tap_blocked_count--;
		if (!(conn->flags & TCP_F_SOCK_EOF))
			tcp_epoll_set(c, conn, EPOLLIN | EPOLLRDHUP |
				      tcp_epollout(conn));
		tcp_data_to_tap(c, conn, now);
	}
}

/**
 * tcp_flow_timer() - Retransmissions and timeouts of a connection, called
 *		      from flow_timer() every TCP_TIMER_MS while
 *		      tcp_timer_pending(), and at housekeeping (idle timeout)
 * @c:		Execution context
 * @flow:	The connection's flow entry
 * @now:	Current time
 *
 * Return: true if the connection was reset, and freed
 */
static bool tcp_flow_timer(struct ctx *c, union flow *flow,
			   const struct timespec *now)
{
	struct tcp_conn *conn = &flow->tcp;
	int64_t ms = now_ms(now);

	if (c->tcp_idle_timeout &&
	    now->tv_sec - conn->ts_activity >= (time_t)c->tcp_idle_timeout) {
		debug("TCP: idle for %u s, resetting", c->tcp_idle_timeout);
		tcp_conn_reset(c, conn);
		return true;
	}

	if (!conn->ts_rto)
		return false;

	if (conn->state == TCPS_CONNECTING) {
		if (ms - conn->ts_rto > TCP_CONNECT_TIMEOUT_S * 1000) {
			tcp_conn_reset(c, conn);
			return true;
		}
		return false;
	}

	if (ms - conn->ts_rto < tcp_rto_ms(conn))
		return false;

	if (conn->retrans >= TCP_MAX_RETRANS) {
		debug("TCP: no answer from the guest, resetting");
		tcp_conn_reset(c, conn);
		return true;
	}
	conn->retrans++;
	conn->ts_rto = ms;

	switch (conn->state) {
	case TCPS_SYN_ACK_SENT:
		tcp_send_ctl(c, conn, TH_SYN | TH_ACK, conn->seq_init_to_tap);
		break;
	case TCPS_SYN_SENT:
		tcp_send_ctl(c, conn, TH_SYN, conn->seq_init_to_tap);
		break;
	case TCPS_ESTABLISHED:
		if (conn->seq_to_tap == conn->seq_ack_from_tap &&
		    (conn->flags & TCP_F_ZERO_WND) && !conn->wnd_from_tap) {
			/* Window probe: an old sequence number makes the
			 * guest answer with its current window
			 */
			conn->retrans = MIN(conn->retrans, 5);
			tcp_send_ctl(c, conn, TH_ACK, conn->seq_to_tap - 1);
			break;
		}
		if (conn->seq_to_tap == conn->seq_ack_from_tap &&
		    !SEQ_LT(conn->seq_to_tap, conn->seq_max_to_tap)) {
			conn->flags &= (uint16_t)~TCP_F_ZERO_WND;
			tcp_timer_disarm(conn);
			break;
		}
		debug("TCP: retransmission timeout, from %u",
		      conn->seq_ack_from_tap);
		tcp_rewind(conn);
		/* Late duplicates of the old flight: no rewind again */
		conn->dup_acks = 0;
		conn->flags |= TCP_F_RECOVERY;
		return tcp_data_to_tap(c, conn, now);
	default:
		tcp_timer_disarm(conn);
	}
	return false;
}

/**
 * tcp_flow_drop() - The guest is gone: close the socket with a reset, so
 *		     that the peer knows at once
 * @c:		Execution context
 * @flow:	The connection's flow entry
 */
static void tcp_flow_drop(struct ctx *c, union flow *flow)
{
	tcp_conn_close(c, &flow->tcp, true);
}

/**
 * tcp_flow_sock() - A connection's socket, for flow_addr_gone()
 * @flow:	The connection's flow entry
 *
 * Return: the socket, -1 if it has none
 */
static int tcp_flow_sock(const union flow *flow)
{
	return flow->tcp.sock;
}

/**
 * tcp_flow_gone() - The host lost the connection's local address: reset
 * @c:		Execution context
 * @flow:	The connection's flow entry
 */
static void tcp_flow_gone(struct ctx *c, union flow *flow)
{
	tcp_conn_reset(c, &flow->tcp);
}

static const struct flow_ops tcp_flow_ops = {
	.timer = tcp_flow_timer, .fast = true, .close = tcp_flow_drop,
	.sock = tcp_flow_sock, .gone = tcp_flow_gone,
};

/**
 * tcp_listen_open() - A listening socket for a -t or -T port
 * @af:		Address family
 * @port:	Port
 * @rule:	Forwarding rule of the port, NULL if none
 *
 * Accepted sockets inherit TCP_NODELAY from it: spliced connections
 * (tcp_splice.c) rely on that, one setsockopt() fewer for each.
 *
 * Return: socket, -1 on failure
 *
 * syscalls(pasta): listen close setsockopt
 */
static int tcp_listen_open(sa_family_t af, uint16_t port,
			   const struct fwd_rule *rule)
{
	int s = sock_bind_port(af, SOCK_STREAM, port, rule), one = 1;

	if (s < 0)
		return s;
	if (listen(s, TCP_LISTEN_BACKLOG)) {
		close(s);
		return -1;
	}
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return s;
}

/**
 * tcp_raise_nofile() - Raise the descriptor limit: one per socket
 */
static void tcp_raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return;
	r.rlim_cur = r.rlim_max;
	setrlimit(RLIMIT_NOFILE, &r);
}

/**
 * tcp_init() - ISN key, descriptor limit, the flow timer, how to open -t
 *		 and -T sockets
 * @c:		Execution context
 */
void tcp_init(struct ctx *c)
{
	(void)c;
	if (getrandom(tcp_isn_key, sizeof(tcp_isn_key), 0) !=
	    sizeof(tcp_isn_key))
		die("Can't get random bytes for TCP sequence numbers");
	tcp_raise_nofile();
	flow_register(FLOW_TCP, &tcp_flow_ops);
	fwd_socks_register(FWD_TCP_IN, tcp_listen_open, NULL);
	fwd_socks_register(FWD_TCP_OUT, tcp_listen_open, NULL);
}
