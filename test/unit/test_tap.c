// SPDX-License-Identifier: GPL-2.0-or-later
/* test_tap.c - qemu stream framing (tap_stream_parse()) and ARP replies
 *
 * The framing tests lay out a buffer the way qemu's stream socket delivers
 * it, frames each preceded by a 32-bit big-endian length, and check which
 * frames tap_stream_parse() puts in the pool and how many bytes it reports
 * consumed: complete frames only, a partial frame left for the next read,
 * impossible lengths reported with the offset of the bad frame.
 *
 * The ARP tests run arp() on crafted frames. In pasta mode a queued frame is
 * written to c->fd_tap with one write() per frame on tap_flush(), so the
 * write end of a pipe stands in for the tap device and the reply is read
 * back whole from the other end.
 *
 * The passt stream tests put the daemon on one end of a UNIX socketpair and
 * play qemu on the other: frames split across reads, more frames than a
 * pool holds, impossible lengths, hangups, and output cut by a full socket.
 * For the last, send() and sendmsg() are interposed here so that a write
 * stops exactly where a test wants it; the stream the guest reads must
 * still be made of whole frames only.
 *
 * Frames queued by reference (TCP's) must reach the guest as they were
 * when queued, even when the output queue fills up in the middle of a
 * batch and the next batch takes buffers at once.
 *
 * pasta's tap with the virtio-net header: a datagram socketpair stands for
 * it (one frame per read). The header of a received frame is stripped and
 * nothing in it is trusted: whatever it claims (segmentation of a frame
 * that isn't TCP, a segment size of 0, a checksum position past the end),
 * the frame is handed on as received; a read too short for the header and
 * an Ethernet header is dropped. Every frame written carries a header: all
 * zeroes, or the one given with a frame queued by reference.
 */

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <net/if_arp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arp.h"
#include "log.h"
#include "packet.h"
#include "passt.h"
#include "dispatch.h"
#include "tap.h"
#include "util.h"
#include "unit.h"

#include "fixture.h"

/* Stream framing */

#define LEN_PREFIX	sizeof(uint32_t)
#define STREAM_POOL_CAP	8

static char stream[2 * (LEN_PREFIX + TAP_FRAME_MAX)];
static struct iovec stream_pkts[STREAM_POOL_CAP];
static struct pool frames;

/**
 * stream_reset() - Checked fixture: empty pool over a zeroed stream buffer
 */
static void stream_reset(void)
{
	memset(stream, 0, sizeof(stream));
	memset(stream_pkts, 0, sizeof(stream_pkts));
	frames.buf = stream;
	frames.buf_size = sizeof(stream);
	frames.size = STREAM_POOL_CAP;
	frames.count = 0;
	frames.pkt = stream_pkts;
}

/**
 * put_len() - Write a length prefix, big-endian
 * @at:		Where to write it
 * @len:	Length
 *
 * Return: bytes written
 */
static size_t put_len(char *at, uint32_t len)
{
	uint32_t be = htonl(len);

	memcpy(at, &be, sizeof(be));
	return sizeof(be);
}

/**
 * put_frame() - Write a length prefix and a frame filled with @fill
 * @at:		Where to write
 * @len:	Frame length
 * @fill:	Byte the frame is made of, to tell frames apart
 *
 * Return: bytes written, prefix included
 */
static size_t put_frame(char *at, uint32_t len, char fill)
{
	size_t n = put_len(at, len);

	memset(at + n, fill, len);
	return n + len;
}

/**
 * assert_parse() - Check what tap_stream_parse() makes of a buffer
 * @buf:	Buffer
 * @len:	Bytes in it
 * @rc:		Return value expected
 * @consumed:	Bytes consumed expected
 * @count:	Frames in the pool expected
 */
static void assert_parse(char *buf, size_t len, int rc, size_t consumed,
			 unsigned int count)
{
	size_t n = 99;

	ck_assert_int_eq(tap_stream_parse(&frames, buf, len, &n), rc);
	ck_assert_uint_eq(n, consumed);
	ck_assert_uint_eq(frames.count, count);
}

/* Frame @idx of the pool starts at @at in the stream, is @len bytes long */
#define assert_frame(idx, at, len)					\
	do {								\
		ck_assert_ptr_eq(frames.pkt[(idx)].iov_base, (at));	\
		ck_assert_uint_eq(frames.pkt[(idx)].iov_len, (len));	\
	} while (0)

/* Lengths a frame may have, with the value they must have */
static const uint32_t good_lens[][2] = {
	{ 60, 60 }, { TAP_FRAME_MIN, 14 }, { TAP_FRAME_MAX, 65549 },
};

START_TEST(one_frame_taken)
{
	uint32_t len = good_lens[_i][0];
	size_t end = put_frame(stream, len, 'a');

	ck_assert_uint_eq(len, good_lens[_i][1]);
	assert_parse(stream, end, 0, end, 1);
	assert_frame(0, stream + LEN_PREFIX, len);
}
END_TEST

START_TEST(several_frames_in_one_buffer)
{
	size_t off = 0;

	off += put_frame(stream + off, 60, 'a');
	off += put_frame(stream + off, TAP_FRAME_MIN, 'b');
	off += put_frame(stream + off, 1500, 'c');

	assert_parse(stream, off, 0, off, 3);
	assert_frame(0, stream + LEN_PREFIX, 60);
	assert_frame(1, stream + 2 * LEN_PREFIX + 60, TAP_FRAME_MIN);
	assert_frame(2, stream + 3 * LEN_PREFIX + 60 + TAP_FRAME_MIN, 1500);
	ck_assert_int_eq(((char *)frames.pkt[2].iov_base)[0], 'c');
	ck_assert_int_eq(((char *)frames.pkt[2].iov_base)[1499], 'c');
}
END_TEST

START_TEST(empty_buffer_consumes_nothing)
{
	assert_parse(stream, 0, 0, 0, 0);
}
END_TEST

START_TEST(partial_frame_left_for_next_read)
{
	size_t first = put_frame(stream, 60, 'a'), rest;

	/* Second frame: 100 bytes announced, 50 received so far */
	put_frame(stream + first, 100, 'b');
	assert_parse(stream, first + LEN_PREFIX + 50, 0, first, 1);
	assert_frame(0, stream + LEN_PREFIX, 60);

	/* As the receive path does: keep the partial frame at the start of
	 * the buffer, then the rest of it arrives after it.
	 */
	rest = LEN_PREFIX + 50;
	memmove(stream, stream + first, rest);
	memset(stream + rest, 'b', 50);
	pool_flush(&frames);

	assert_parse(stream, rest + 50, 0, LEN_PREFIX + 100, 1);
	assert_frame(0, stream + LEN_PREFIX, 100);
	ck_assert_int_eq(((char *)frames.pkt[0].iov_base)[0], 'b');
	ck_assert_int_eq(((char *)frames.pkt[0].iov_base)[99], 'b');
}
END_TEST

START_TEST(length_prefix_alone_waits_for_frame)
{
	put_frame(stream, 60, 'a');
	assert_parse(stream, LEN_PREFIX, 0, 0, 0);
}
END_TEST

START_TEST(split_length_prefix_waits)
{
	size_t first = put_frame(stream, 60, 'a'), end;

	end = first + put_frame(stream + first, 70, 'b');

	/* Only 2 of the 4 bytes of the second length */
	assert_parse(stream, first + 2, 0, first, 1);

	/* Nothing but those 2 bytes */
	pool_flush(&frames);
	assert_parse(stream + first, 2, 0, 0, 0);

	/* The rest arrives */
	assert_parse(stream + first, end - first, 0, end - first, 1);
	assert_frame(0, stream + first + LEN_PREFIX, 70);
}
END_TEST

/* Impossible lengths, with the value they must have */
static const uint32_t bad_lens[][2] = {
	{ 0, 0 }, { TAP_FRAME_MIN - 1, 13 }, { TAP_FRAME_MAX + 1, 65550 },
	{ UINT32_MAX, UINT32_MAX }, { 0x80000000U, 0x80000000U },
};

START_TEST(bad_length_refused)
{
	uint32_t len = bad_lens[_i][0];
	size_t first = put_frame(stream, 60, 'a'), consumed = 99;

	ck_assert_uint_eq(len, bad_lens[_i][1]);

	/* After a good frame */
	put_len(stream + first, len);
	ck_assert_msg(tap_stream_parse(&frames, stream, first + LEN_PREFIX,
				       &consumed) == -1,
		      "length %u accepted", len);
	ck_assert_uint_eq(consumed, first);

	/* Even with the whole announced frame there, if it fits */
	stream_reset();
	first = put_frame(stream, 60, 'a');
	if (len <= sizeof(stream) - first - LEN_PREFIX) {
		put_frame(stream + first, len, 'b');
		assert_parse(stream, first + LEN_PREFIX + len, -1, first, 1);
	}
}
END_TEST

START_TEST(bad_length_as_first_frame_consumes_nothing)
{
	put_len(stream, TAP_FRAME_MAX + 1);
	assert_parse(stream, LEN_PREFIX, -1, 0, 0);
}
END_TEST

START_TEST(maximum_length_one_byte_short_waits)
{
	size_t end = put_frame(stream, TAP_FRAME_MAX, 'a');

	assert_parse(stream, end - 1, 0, 0, 0);
}
END_TEST

START_TEST(full_pool_stops_at_first_frame_not_taken)
{
	size_t off = 0, second_end;

	frames.size = 2;
	off += put_frame(stream + off, 60, 'a');
	off += put_frame(stream + off, 70, 'b');
	second_end = off;
	off += put_frame(stream + off, 80, 'c');

	assert_parse(stream, off, 0, second_end, 2);
	assert_frame(1, stream + 2 * LEN_PREFIX + 60, 70);

	/* The receive path flushes the pool and goes on from there */
	pool_flush(&frames);
	assert_parse(stream + second_end, off - second_end, 0,
		     off - second_end, 1);
	assert_frame(0, stream + second_end + LEN_PREFIX, 80);
}
END_TEST

START_TEST(full_pool_takes_nothing)
{
	size_t end = put_frame(stream, 60, 'a');

	frames.size = 0;
	assert_parse(stream, end, 0, 0, 0);
}
END_TEST

/* ARP */

/**
 * struct arp_eth_ipv4 - ARP frame for IPv4 over Ethernet, RFC 826 layout
 * @eh:		Ethernet header
 * @ah:		ARP header
 * @sha:	Sender hardware address
 * @sip:	Sender IP address
 * @tha:	Target hardware address
 * @tip:	Target IP address
 */
struct arp_eth_ipv4 {
	struct ethhdr eh;
	struct arphdr ah;
	uint8_t sha[ETH_ALEN];
	uint8_t sip[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tip[4];
} __attribute__((packed));

#define GUEST_ADDR	"192.0.2.2"
#define GW_ADDR		"192.0.2.1"

static char arp_buf[128];	/* Frame under test, the pool's buffer */

/**
 * tap_setup() - The fixture's context, guest at GUEST_ADDR, MAC not learnt
 */
static void tap_setup(void)
{
	memset(arp_buf, 0, sizeof(arp_buf));
	memset(c.guest_mac, 0, ETH_ALEN);	/* Learnt from a frame */
	c.ifi4 = 1;
	c.ip4.addr.s_addr = addr4(GUEST_ADDR);
	c.ip4.gw.s_addr = addr4(GW_ADDR);
}

/**
 * arp_setup() - Checked fixture: pasta context writing frames to a pipe
 */
static void arp_setup(void)
{
	fixture_pasta();
	tap_setup();
}

/**
 * arp_request() - Write an ARP request from the guest into @arp_buf
 * @sip:	Sender IP address, dotted
 * @tip:	Target IP address, dotted
 *
 * Return: the frame, for further changes
 */
static struct arp_eth_ipv4 *arp_request(const char *sip, const char *tip)
{
	struct arp_eth_ipv4 *f = (struct arp_eth_ipv4 *)arp_buf;
	in_addr_t s = addr4(sip), t = addr4(tip);

	eth_put((uint8_t *)arp_buf, bcast_mac, guest_mac, ETH_P_ARP);
	f->ah.ar_hrd = htons(ARPHRD_ETHER);
	f->ah.ar_pro = htons(ETH_P_IP);
	f->ah.ar_hln = ETH_ALEN;
	f->ah.ar_pln = 4;
	f->ah.ar_op = htons(ARPOP_REQUEST);
	memcpy(f->sha, guest_mac, ETH_ALEN);
	memcpy(f->sip, &s, sizeof(s));
	memset(f->tha, 0, ETH_ALEN);
	memcpy(f->tip, &t, sizeof(t));
	return f;
}

/**
 * run_arp() - Put the first @len bytes of @arp_buf in a pool, call arp()
 * @len:	Frame length
 *
 * Return: what arp() returns
 */
static bool run_arp(size_t len)
{
	PACKET_POOL_P(pool, arp_buf, sizeof(arp_buf));

	ck_assert(packet_add(&pool, len, arp_buf));
	return arp(&c, &pool, 0);
}

/**
 * check_reply() - Check an ARP reply to the guest's request for @tip
 * @reply:	Reply frame
 * @tip:	Address the guest asked about, dotted
 */
static void check_reply(const struct arp_eth_ipv4 *reply, const char *tip)
{
	in_addr_t ip = addr4(tip);

	ck_assert_mem_eq(reply->eh.h_dest, guest_mac, ETH_ALEN);
	ck_assert_mem_eq(reply->eh.h_source, our_mac, ETH_ALEN);
	ck_assert_uint_eq(ntohs(reply->eh.h_proto), ETH_P_ARP);

	ck_assert_uint_eq(ntohs(reply->ah.ar_hrd), ARPHRD_ETHER);
	ck_assert_uint_eq(ntohs(reply->ah.ar_pro), ETH_P_IP);
	ck_assert_uint_eq(reply->ah.ar_hln, ETH_ALEN);
	ck_assert_uint_eq(reply->ah.ar_pln, 4);
	ck_assert_uint_eq(ntohs(reply->ah.ar_op), ARPOP_REPLY);

	ck_assert_mem_eq(reply->sha, our_mac, ETH_ALEN);
	ck_assert_mem_eq(reply->sip, &ip, 4);
	ck_assert_mem_eq(reply->tha, guest_mac, ETH_ALEN);
	ip = addr4(GUEST_ADDR);
	ck_assert_mem_eq(reply->tip, &ip, 4);
}

/**
 * assert_reply() - Flush, check that exactly one ARP reply for @tip came out
 * @tip:	Address the guest asked about, dotted
 */
static void assert_reply(const char *tip)
{
	struct arp_eth_ipv4 reply;

	ck_assert_uint_eq(frame_recv(&c, peer_fd, &reply, sizeof(reply)),
			  sizeof(reply));
	assert_no_reply();
	check_reply(&reply, tip);
}

/**
 * struct arp_case - An ARP request from the guest
 * @sip:	Sender IP address, dotted
 * @tip:	Target IP address, dotted
 * @len:	Frame length, 0 for no Ethernet padding
 * @seen:	Address the guest was seen using, NULL for the configured one
 */
struct arp_case {
	const char *sip;
	const char *tip;
	size_t len;
	const char *seen;
};

static const struct arp_case arp_answered[] = {
	{ GUEST_ADDR,	GW_ADDR,	0,  NULL },
	{ GUEST_ADDR,	"198.51.100.7",	0,  NULL },	/* Any address */
	{ GUEST_ADDR,	GW_ADDR,	60, NULL },	/* Ethernet padding */
};

static const struct arp_case arp_unanswered[] = {
	/* Duplicate address detection: sender 0.0.0.0, target ourselves */
	{ "0.0.0.0",	GUEST_ADDR,	0,  NULL },
	{ GUEST_ADDR,	GUEST_ADDR,	0,  NULL },	/* Guest's address */
	{ "192.0.2.3",	GUEST_ADDR,	0,  NULL },
	{ "0.0.0.0",	"192.0.2.99",	0,  "192.0.2.99" },	/* In use */
	{ "192.0.2.50",	"192.0.2.50",	0,  NULL },	/* Gratuitous */
};

/**
 * run_arp_case() - Write the request of a case, call arp() on it
 * @t:		Case
 */
static void run_arp_case(const struct arp_case *t)
{
	if (t->seen)
		c.ip4.addr_seen.s_addr = addr4(t->seen);
	arp_request(t->sip, t->tip);
	ck_assert(run_arp(t->len ? t->len : sizeof(struct arp_eth_ipv4)));
}

START_TEST(arp_request_answered)
{
	run_arp_case(&arp_answered[_i]);
	assert_reply(arp_answered[_i].tip);
}
END_TEST

START_TEST(arp_request_unanswered)
{
	run_arp_case(&arp_unanswered[_i]);
	assert_no_reply();
}
END_TEST

START_TEST(arp_reply_queued_until_flush)
{
	char reply[256];

	arp_request(GUEST_ADDR, GW_ADDR);
	ck_assert(run_arp(sizeof(struct arp_eth_ipv4)));
	ck_assert_int_eq(read(peer_fd, reply, sizeof(reply)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	assert_reply(GW_ADDR);
}
END_TEST

START_TEST(arp_request_through_tap_handler)
{
	PACKET_POOL_P(pool, arp_buf, sizeof(arp_buf));

	arp_request(GUEST_ADDR, GW_ADDR);
	ck_assert(packet_add(&pool, sizeof(struct arp_eth_ipv4), arp_buf));
	dispatch_frames(&c, &pool, NULL);
	ck_assert_mem_eq(c.guest_mac, guest_mac, ETH_ALEN);
	assert_reply(GW_ADDR);
}
END_TEST

START_TEST(arp_reply_from_guest_ignored)
{
	struct arp_eth_ipv4 *f = arp_request(GUEST_ADDR, GW_ADDR);

	f->ah.ar_op = htons(ARPOP_REPLY);
	ck_assert(run_arp(sizeof(struct arp_eth_ipv4)));
	assert_no_reply();
}
END_TEST

START_TEST(truncated_arp_refused)
{
	size_t len;

	arp_request(GUEST_ADDR, GW_ADDR);
	for (len = ETH_HLEN; len < sizeof(struct arp_eth_ipv4); len++)
		ck_assert_msg(!run_arp(len), "%zu byte frame accepted", len);
	assert_no_reply();
}
END_TEST

/**
 * struct arp_bad_hdr - A field of the ARP header, set to a value arp() refuses
 * @off:	Offset of the field in the frame
 * @size:	Size of the field, 1 or 2 bytes
 * @val:	Value, host order
 */
static const struct arp_bad_hdr {
	size_t off;
	size_t size;
	uint16_t val;
} arp_bad_hdrs[] = {
	{ offsetof(struct arp_eth_ipv4, ah.ar_hrd), 2, ARPHRD_IEEE802 },
	{ offsetof(struct arp_eth_ipv4, ah.ar_pro), 2, ETH_P_IPV6 },
	{ offsetof(struct arp_eth_ipv4, ah.ar_hln), 1, 8 },
	{ offsetof(struct arp_eth_ipv4, ah.ar_pln), 1, 16 },
};

START_TEST(arp_with_bad_header_refused)
{
	const struct arp_bad_hdr *t = &arp_bad_hdrs[_i];
	uint16_t be = htons(t->val);

	arp_request(GUEST_ADDR, GW_ADDR);
	if (t->size == 1)
		arp_buf[t->off] = (char)t->val;
	else
		memcpy(arp_buf + t->off, &be, sizeof(be));
	ck_assert(!run_arp(sizeof(struct arp_eth_ipv4)));
	assert_no_reply();
}
END_TEST

/* passt: the whole path over a stream socket, as qemu connects */

/* Byte budget for the daemon's writes to the guest's stream socket
 *
 * send() and sendmsg() are defined here, so tap.o calls these: they pass
 * through to the kernel, but write at most @write_budget bytes in total,
 * then fail with EAGAIN. That makes partial writes land exactly where a
 * test wants them: inside a length prefix, inside a frame, or at a frame
 * boundary. SIZE_MAX (the default) means no limit.
 */
static size_t write_budget = SIZE_MAX;

/**
 * budget_take() - Account for bytes written
 * @n:		Return value of the write
 */
static void budget_take(ssize_t n)
{
	if (n > 0 && write_budget != SIZE_MAX)
		write_budget -= (size_t)n;
}

/**
 * send() - send(2), within @write_budget: tap.c sends pending tails with it
 * @fd:		Socket
 * @buf:	Data
 * @len:	Length of data
 * @flags:	Flags, as for send(2)
 *
 * Return: bytes written, -1 with errno EAGAIN if the budget is spent
 */
ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n;

	if (!write_budget) {
		errno = EAGAIN;
		return -1;
	}
	n = syscall(SYS_sendto, fd, buf, MIN(len, write_budget), flags,
		    NULL, 0);
	budget_take(n);
	return n;
}

/**
 * sendmsg() - sendmsg(2), within @write_budget: tap.c sends queued frames
 * @fd:		Socket
 * @msg:	Message, whose iovec is cut to what the budget allows
 * @flags:	Flags, as for sendmsg(2)
 *
 * Return: bytes written, -1 with errno EAGAIN if the budget is spent
 */
ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static struct iovec iov[IOV_MAX];
	struct msghdr mh = *msg;
	size_t left = write_budget, i;
	ssize_t n;

	if (!write_budget) {
		errno = EAGAIN;
		return -1;
	}
	for (i = 0; i < msg->msg_iovlen && i < IOV_MAX && left; i++) {
		iov[i] = msg->msg_iov[i];
		iov[i].iov_len = MIN(iov[i].iov_len, left);
		left -= iov[i].iov_len;
	}
	mh.msg_iov = iov;
	mh.msg_iovlen = i;
	n = syscall(SYS_sendmsg, fd, &mh, flags);
	budget_take(n);
	return n;
}

/**
 * passt_setup() - Checked fixture: passt context on one end of a socketpair
 */
static void passt_setup(void)
{
	fixture_passt();
	tap_setup();
	log_stderr = false;	/* Disconnections are logged: keep quiet */
}

/**
 * guest_send() - Write bytes to the daemon, as the guest
 * @data:	Data
 * @len:	Length
 */
static void guest_send(const void *data, size_t len)
{
	ck_assert_int_eq(write(peer_fd, data, len), (ssize_t)len);
}

/**
 * guest_recv() - Read whatever the daemon sent so far, as the guest
 * @buf:	Buffer
 * @size:	Size of @buf
 *
 * Return: bytes read
 */
static size_t guest_recv(char *buf, size_t size)
{
	size_t n = 0;
	ssize_t rc;

	while (n < size && (rc = read(peer_fd, buf + n, size - n)) > 0)
		n += (size_t)rc;
	return n;
}

/**
 * passt_read() - Let the daemon handle what the guest sent
 *
 * Return: true if the daemon must exit now (passt.c's loop then does)
 */
static bool passt_read(void)
{
	const struct timespec now = { 0 };

	return dispatch_passt_handler(&c, EPOLLIN, &now);
}

/**
 * framed_arp_request() - A length-prefixed ARP request for GW_ADDR
 * @out:	Buffer, at least LEN_PREFIX + sizeof(struct arp_eth_ipv4)
 *
 * Return: bytes written to @out
 */
static size_t framed_arp_request(char *out)
{
	size_t n = put_len(out, sizeof(struct arp_eth_ipv4));

	memcpy(out + n, arp_request(GUEST_ADDR, GW_ADDR),
	       sizeof(struct arp_eth_ipv4));
	return n + sizeof(struct arp_eth_ipv4);
}

/**
 * assert_framed_reply() - The guest got exactly one length-prefixed reply
 */
static void assert_framed_reply(void)
{
	char in[LEN_PREFIX + sizeof(struct arp_eth_ipv4) + 64];
	struct arp_eth_ipv4 reply;
	uint32_t len;

	ck_assert_uint_eq(guest_recv(in, sizeof(in)),
			  LEN_PREFIX + sizeof(reply));
	memcpy(&len, in, sizeof(len));
	ck_assert_uint_eq(ntohl(len), sizeof(reply));
	memcpy(&reply, in + LEN_PREFIX, sizeof(reply));
	check_reply(&reply, GW_ADDR);
}

START_TEST(passt_answers_arp_over_stream)
{
	char out[64];

	guest_send(out, framed_arp_request(out));
	passt_read();
	assert_framed_reply();
	ck_assert_uint_eq(tap_stats.frames_in, 1);
	ck_assert_uint_eq(tap_stats.frames_out, 1);
}
END_TEST

START_TEST(passt_frame_split_across_reads)
{
	char out[64], in[64];
	size_t len = framed_arp_request(out);

	guest_send(out, 2);		/* Half the length prefix */
	passt_read();
	ck_assert_uint_eq(guest_recv(in, sizeof(in)), 0);

	guest_send(out + 2, 20);	/* Rest of it, part of the frame */
	passt_read();
	ck_assert_uint_eq(guest_recv(in, sizeof(in)), 0);
	ck_assert_uint_eq(tap_stats.frames_in, 0);

	guest_send(out + 22, len - 22);
	passt_read();
	assert_framed_reply();
	ck_assert_uint_eq(tap_stats.frames_in, 1);
}
END_TEST

START_TEST(passt_takes_more_frames_than_pool_holds)
{
	static char out[(TAP_POOL_FRAMES + 100) * (LEN_PREFIX + ETH_HLEN)];
	static const uint8_t no_mac[ETH_ALEN];
	int fd = c.fd_tap;
	size_t i, off = 0;

	/* Minimal frames of a protocol nobody handles: counted, ignored */
	for (i = 0; i < TAP_POOL_FRAMES + 100; i++) {
		off += put_len(out + off, ETH_HLEN);
		off += eth_put((uint8_t *)out + off, no_mac, guest_mac,
			       ETH_P_802_EX1);
	}
	guest_send(out, off);
	passt_read();

	ck_assert_uint_eq(tap_stats.frames_in, TAP_POOL_FRAMES + 100);
	ck_assert_uint_eq(tap_stats.dropped_in, 0);
	ck_assert_int_eq(c.fd_tap, fd);	/* Connection still up */
}
END_TEST

START_TEST(passt_bad_length_closes_connection)
{
	char out[64], in[128];
	size_t len = framed_arp_request(out);

	/* A good frame, then a length no Ethernet frame can have */
	len += put_len(out + len, TAP_FRAME_MIN - 1);
	guest_send(out, len);
	passt_read();

	ck_assert_int_eq(c.fd_tap, -1);
	ck_assert_uint_eq(tap_stats.frames_in, 1);

	/* The reply to the good frame still went out, then the close */
	ck_assert_uint_eq(guest_recv(in, sizeof(in)),
			  LEN_PREFIX + sizeof(struct arp_eth_ipv4));
	ck_assert_int_eq(read(peer_fd, in, sizeof(in)), 0);
}
END_TEST

START_TEST(passt_guest_hangup_waits_for_next_guest)
{
	close(peer_fd);
	peer_fd = -1;
	ck_assert(!passt_read());
	ck_assert_int_eq(c.fd_tap, -1);
}
END_TEST

START_TEST(passt_guest_hangup_with_one_off_asks_to_exit)
{
	c.one_off = true;
	close(peer_fd);
	peer_fd = -1;
	if (!passt_read())
		ck_abort_msg("still running after the guest hung up with "
			     "--one-off");
	ck_assert_int_eq(c.fd_tap, -1);
}
END_TEST

/**
 * test_frame() - Build a self-describing frame for the guest
 * @f:		Buffer, at least @len bytes
 * @idx:	Sequence number, stored in the frame
 * @len:	Length, stored in the frame too
 *
 * Bytes after the header are a function of @idx and their offset, so that a
 * frame cut short or glued to the wrong data is found by check_test_frame().
 */
static void test_frame(uint8_t *f, uint32_t idx, uint32_t len)
{
	uint32_t i;

	eth_put(f, guest_mac, our_mac, ETH_P_802_EX1);
	memcpy(f + ETH_HLEN, &idx, sizeof(idx));
	memcpy(f + ETH_HLEN + 4, &len, sizeof(len));
	for (i = ETH_HLEN + 8; i < len; i++)
		f[i] = (uint8_t)(idx * 7 + i);
}

/**
 * check_test_frame() - Check a frame built by test_frame()
 * @f:		Frame
 * @len:	Length it came with
 *
 * Return: sequence number of the frame
 */
static uint32_t check_test_frame(const uint8_t *f, uint32_t len)
{
	uint32_t idx, flen, i;

	ck_assert_uint_ge(len, ETH_HLEN + 8);
	memcpy(&idx, f + ETH_HLEN, sizeof(idx));
	memcpy(&flen, f + ETH_HLEN + 4, sizeof(flen));
	ck_assert_uint_eq(flen, len);
	for (i = ETH_HLEN + 8; i < len && f[i] == (uint8_t)(idx * 7 + i); i++)
		;
	ck_assert_msg(i == len, "frame %u: wrong byte at %u of %u", idx, i,
		      len);
	return idx;
}

/**
 * check_output_framing() - Queue more than the socket takes, check the stream
 * @drain:	Whether the guest reads between the daemon's flushes
 *
 * sendmsg() stops mid-frame; the rest of that frame and the frames queued
 * after it wait in the backlog, which goes out first on later flushes.
 * Once the backlog drains, the guest must have seen every frame, whole,
 * in order, none corrupted, and none dropped.
 */
static void check_output_framing(bool drain)
{
	static uint8_t in[1 << 20], frame[2048];
	uint32_t idx = 0, seen = 0, last = 0, round;
	int sndbuf = 4096;
	size_t got = 0, off;

	ck_assert_int_eq(setsockopt(c.fd_tap, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);

	for (round = 0; round < 8; round++) {
		uint32_t i;

		for (i = 0; i < 64; i++, idx++) {
			uint32_t len = 60 + (idx * 37) % 1400;

			test_frame(frame, idx, len);
			tap_send_frame(&c, frame, len);
		}
		tap_flush(&c);
		if (drain || round % 2)
			got += guest_recv((char *)in + got, sizeof(in) - got);
		tap_flush(&c);		/* Pending tail, if any */
		if (drain)
			got += guest_recv((char *)in + got, sizeof(in) - got);
	}
	got += guest_recv((char *)in + got, sizeof(in) - got);
	for (round = 0; round < 10000 && tap_backlogged(); round++) {
		tap_flush(&c);
		got += guest_recv((char *)in + got, sizeof(in) - got);
	}
	ck_assert(!tap_backlogged());

	for (off = 0; off < got; seen++) {
		uint32_t len, i;

		ck_assert_uint_ge(got - off, LEN_PREFIX);
		memcpy(&len, in + off, sizeof(len));
		len = ntohl(len);
		off += LEN_PREFIX;
		ck_assert_uint_ge(got - off, len);
		i = check_test_frame(in + off, len);
		if (seen)
			ck_assert_uint_gt(i, last);
		last = i;
		off += len;
	}
	ck_assert_uint_eq(off, got);

	/* Everything went out, late but whole */
	ck_assert_uint_eq(seen, idx);
	ck_assert_uint_eq(tap_stats.frames_out, seen);
	ck_assert_uint_eq(tap_stats.dropped_out, 0);
}

START_TEST(passt_output_framing_survives_partial_writes)
{
	check_output_framing(true);
}
END_TEST

START_TEST(passt_output_framing_survives_stuck_guest)
{
	check_output_framing(false);
}
END_TEST

/**
 * queue_test_frames() - Queue frames built by test_frame()
 * @first:	Sequence number of the first one
 * @count:	Number of frames
 * @len:	Length of each
 */
static void queue_test_frames(uint32_t first, uint32_t count, uint32_t len)
{
	static uint8_t frame[2048];
	uint32_t i;

	for (i = first; i < first + count; i++) {
		test_frame(frame, i, len);
		tap_send_frame(&c, frame, len);
	}
}

/**
 * guest_frames() - Read the stream, check it's made of whole, intact frames
 * @seq:	Filled with the sequence numbers of the frames, in order
 * @max:	Size of @seq
 *
 * Return: number of frames
 */
static size_t guest_frames(uint32_t *seq, size_t max)
{
	static uint8_t in[1 << 16];
	size_t got = guest_recv((char *)in, sizeof(in)), off = 0, n = 0;

	while (off < got) {
		uint32_t len;

		ck_assert_uint_ge(got - off, LEN_PREFIX);
		memcpy(&len, in + off, sizeof(len));
		len = ntohl(len);
		off += LEN_PREFIX;
		ck_assert_msg(got - off >= len, "frame %zu cut short", n);
		ck_assert_uint_lt(n, max);
		seq[n++] = check_test_frame(in + off, len);
		off += len;
	}
	return n;
}

/**
 * assert_guest_frames() - The guest got frames 0 to @n - 1, whole, in order
 * @n:		Number of frames
 */
static void assert_guest_frames(uint32_t n)
{
	uint32_t seq[8], i;

	ck_assert_uint_eq(guest_frames(seq, ARRAY_SIZE(seq)), n);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(seq[i], i);
}

/**
 * flush_within() - Flush the daemon's queue, letting @budget bytes out
 * @budget:	Bytes the socket takes, SIZE_MAX for no limit
 */
static void flush_within(size_t budget)
{
	write_budget = budget;
	tap_flush(&c);
}

/**
 * flush_one_more() - Room again: queue one more frame, flush everything
 * @idx:	Sequence number of the frame
 */
static void flush_one_more(uint32_t idx)
{
	write_budget = SIZE_MAX;
	queue_test_frames(idx, 1, 100);
	tap_flush(&c);
}

/**
 * assert_all_out() - The guest got frames 0 to @n - 1, none dropped
 * @n:		Number of frames
 */
static void assert_all_out(uint32_t n)
{
	assert_guest_frames(n);
	ck_assert_uint_eq(tap_stats.frames_out, n);
	ck_assert_uint_eq(tap_stats.dropped_out, 0);
}

/* Where the first flush of frames 0 and 1 (100 bytes each) stops: in the
 * length prefix of frame 1, at its start or end, inside frame 1. Whatever
 * was started of frame 1 must be completed on the next flush, before
 * frame 2, queued later.
 */
static const size_t cuts[] = {
	LEN_PREFIX + 100 + 1, LEN_PREFIX + 100 + 2, LEN_PREFIX + 100 + 3,
	LEN_PREFIX + 100, LEN_PREFIX + 100 + LEN_PREFIX,
	LEN_PREFIX + 100 + LEN_PREFIX + 37,
};

START_TEST(passt_cut_keeps_frames_whole)
{
	queue_test_frames(0, 2, 100);
	flush_within(cuts[_i]);
	flush_one_more(2);
	assert_all_out(3);
}
END_TEST

START_TEST(passt_cut_keeps_frames_after_cut_one)
{
	/* Frame 0 cut 6 bytes in: its tail and frame 1 wait, in order */
	queue_test_frames(0, 2, 100);
	flush_within(LEN_PREFIX + 6);
	ck_assert(tap_backlogged());

	flush_one_more(2);
	ck_assert(!tap_backlogged());
	assert_all_out(3);
}
END_TEST

START_TEST(passt_tail_written_in_pieces)
{
	queue_test_frames(0, 2, 100);
	flush_within(LEN_PREFIX + 100 + 50);

	/* Only 20 more bytes of the tail fit, then 10 */
	flush_within(20);
	flush_within(10);
	flush_within(SIZE_MAX);

	flush_one_more(2);
	assert_guest_frames(3);
}
END_TEST

START_TEST(passt_socket_full_keeps_whole_frames)
{
	queue_test_frames(0, 2, 100);
	flush_within(0);
	ck_assert_uint_eq(tap_stats.dropped_out, 0);
	ck_assert(tap_backlogged());

	flush_one_more(2);
	assert_guest_frames(3);
}
END_TEST

START_TEST(passt_stuck_tail_queues_new_frames)
{
	/* Frame 1 cut, then the socket takes nothing: frame 2 waits behind
	 * the tail of frame 1
	 */
	queue_test_frames(0, 2, 100);
	flush_within(LEN_PREFIX + 100 + 50);
	queue_test_frames(2, 1, 100);
	tap_flush(&c);
	ck_assert_uint_eq(tap_stats.dropped_out, 0);

	/* Room again: the backlog goes out, then new frames follow */
	flush_within(SIZE_MAX);
	flush_one_more(3);
	assert_guest_frames(4);
}
END_TEST

/* Frames queued by reference */

#define REF_LEN		60	/* Smallest Ethernet frame, without FCS */

/**
 * ref_setup() - Checked fixture: pasta, with a pipe that takes a full queue
 */
static void ref_setup(void)
{
	fixture_pasta();
	ck_assert_int_ge(fcntl(c.fd_tap, F_SETPIPE_SZ, 1 << 20), 1 << 18);
}

/**
 * ref_fill() - Fill a frame with one byte value
 * @f:		Frame buffer
 * @v:		Value
 *
 * Return: start of the frame
 */
static const uint8_t *ref_fill(struct tap_frame *f, uint8_t v)
{
	memset(f->payload, v, REF_LEN);
	return f->payload;
}

START_TEST(ref_frames_survive_a_full_queue)
{
	uint8_t frame[REF_LEN], got[REF_LEN];
	struct tap_frame *f, *next;
	unsigned int i, n = 0, b = 0, x = 0;
	ssize_t r;

	/* Leave room for one frame in the output queue */
	memset(frame, 'a', sizeof(frame));
	for (i = 0; i < TAP_OUT_FRAMES - 1; i++)
		tap_send_frame(&c, frame, sizeof(frame));

	/* A batch of two: queueing them mustn't flush halfway and leave the
	 * second one pointing into a buffer handed out again
	 */
	f = tap_frames_get(&c, 2);
	ck_assert(tap_send_frame_ref(&c, ref_fill(&f[0], 'b'), REF_LEN, NULL));
	ck_assert(tap_send_frame_ref(&c, ref_fill(&f[1], 'b'), REF_LEN, NULL));

	/* The next batch, built before anything is written */
	next = tap_frames_get(&c, 2);
	ref_fill(&next[0], 'x');
	ref_fill(&next[1], 'x');
	tap_frames_put(2);
	tap_flush(&c);

	/* A pipe is a byte stream: every frame here is REF_LEN long */
	while ((r = read(peer_fd, got, REF_LEN)) > 0) {
		ck_assert_int_eq(r, REF_LEN);
		n++;
		b += got[0] == 'b';
		x += got[0] == 'x';
	}
	ck_assert_uint_eq(x, 0);
	ck_assert_uint_eq(b, 2);
	ck_assert_uint_eq(n, TAP_OUT_FRAMES + 1);
}
END_TEST

/**
 * vnet_setup() - Checked fixture: pasta, tap with the virtio-net header
 */
static void vnet_setup(void)
{
	fixture_socketpair(MODE_PASTA, SOCK_DGRAM);
	c.tap_vnet = true;
}

/**
 * vnet_write() - The guest writes a virtio-net header and a frame
 * @vh:		Header
 * @frame:	Frame
 * @len:	Its length
 */
static void vnet_write(const struct virtio_net_hdr *vh, const void *frame,
		       size_t len)
{
	struct iovec iov[2] = { { (void *)vh, sizeof(*vh) },
				{ (void *)frame, len } };

	ck_assert_int_eq(writev(peer_fd, iov, 2),
			 (ssize_t)(sizeof(*vh) + len));
}

/* Headers no frame of ours matches: handed on as plain frames regardless */
static const struct virtio_net_hdr vnet_hostile[] = {
	{ .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 0 },
	{ .gso_type = VIRTIO_NET_HDR_GSO_UDP, .gso_size = 1 },
	{ .gso_type = 0xff, .gso_size = 0xffff, .hdr_len = 0xffff },
	{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 0xfff0,
	  .csum_offset = 0xffff },
	{ .flags = 0xff, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6,
	  .gso_size = 1, .csum_start = 59, .csum_offset = 1 },
};

START_TEST(vnet_header_stripped_whatever_it_claims)
{
	const struct pool *p;
	uint8_t frame[60];
	size_t i;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	vnet_write(&vnet_hostile[_i], frame, sizeof(frame));

	p = tap_pasta_read(&c);
	ck_assert_uint_eq(p->count, 1);
	ck_assert_uint_eq(packet_len(p, 0), sizeof(frame));
	ck_assert_mem_eq(packet_get(p, 0, 0, sizeof(frame), NULL), frame,
			 sizeof(frame));
}
END_TEST

START_TEST(vnet_short_read_dropped)
{
	struct virtio_net_hdr vh = { 0 };
	uint64_t dropped = tap_stats.dropped_in;
	const struct pool *p;
	uint8_t frame[ETH_HLEN - 1] = { 0 };

	vnet_write(&vh, frame, sizeof(frame));
	ck_assert_int_eq(write(peer_fd, &vh, sizeof(vh) - 1),
			 (ssize_t)sizeof(vh) - 1);

	p = tap_pasta_read(&c);
	ck_assert_uint_eq(p->count, 0);
	ck_assert_uint_eq(tap_stats.dropped_in, dropped + 2);
}
END_TEST

START_TEST(vnet_output_carries_header)
{
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				     .hdr_len = 54, .gso_size = 1460,
				     .csum_start = 34, .csum_offset = 16 };
	struct virtio_net_hdr zero = { 0 };
	uint8_t frame[REF_LEN], got[sizeof(vh) + REF_LEN];
	struct tap_frame *f;

	memset(frame, 'a', sizeof(frame));
	tap_send_frame(&c, frame, sizeof(frame));
	f = tap_frames_get(&c, 1);
	ck_assert(tap_send_frame_ref(&c, ref_fill(f, 'b'), REF_LEN, &vh));
	tap_flush(&c);

	ck_assert_int_eq(read(peer_fd, got, sizeof(got)), (ssize_t)sizeof(got));
	ck_assert_mem_eq(got, &zero, sizeof(zero));
	ck_assert_mem_eq(got + sizeof(zero), frame, sizeof(frame));
	ck_assert_int_eq(read(peer_fd, got, sizeof(got)), (ssize_t)sizeof(got));
	ck_assert_mem_eq(got, &vh, sizeof(vh));
	ck_assert_uint_eq(got[sizeof(vh)], 'b');
}
END_TEST

/**
 * tap_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *tap_suite(void)
{
	Suite *s = suite_create("tap");
	TCase *tc;

	tc = unit_tcase(s, "stream framing", stream_reset, NULL, TESTS(
		several_frames_in_one_buffer, empty_buffer_consumes_nothing,
		partial_frame_left_for_next_read,
		length_prefix_alone_waits_for_frame,
		split_length_prefix_waits,
		bad_length_as_first_frame_consumes_nothing,
		maximum_length_one_byte_short_waits,
		full_pool_stops_at_first_frame_not_taken,
		full_pool_takes_nothing));
	UNIT_LOOP(tc, one_frame_taken, good_lens);
	UNIT_LOOP(tc, bad_length_refused, bad_lens);

	tc = unit_tcase(s, "arp", arp_setup, fixture_teardown, TESTS(
		arp_reply_queued_until_flush, arp_request_through_tap_handler,
		arp_reply_from_guest_ignored, truncated_arp_refused));
	UNIT_LOOP(tc, arp_request_answered, arp_answered);
	UNIT_LOOP(tc, arp_request_unanswered, arp_unanswered);
	UNIT_LOOP(tc, arp_with_bad_header_refused, arp_bad_hdrs);

	tc = unit_tcase(s, "passt stream", passt_setup, fixture_teardown, TESTS(
		passt_answers_arp_over_stream, passt_frame_split_across_reads,
		passt_takes_more_frames_than_pool_holds,
		passt_bad_length_closes_connection,
		passt_guest_hangup_waits_for_next_guest,
		passt_output_framing_survives_partial_writes,
		passt_output_framing_survives_stuck_guest,
		passt_cut_keeps_frames_after_cut_one,
		passt_tail_written_in_pieces,
		passt_socket_full_keeps_whole_frames,
		passt_stuck_tail_queues_new_frames));
	tcase_add_test(tc, passt_guest_hangup_with_one_off_asks_to_exit);
	UNIT_LOOP(tc, passt_cut_keeps_frames_whole, cuts);
	/* Thousands of small writes through a 4 KiB socket buffer: a second
	 * when the machine is idle, more than Check's default 4 s when it
	 * isn't
	 */
	tcase_set_timeout(tc, 30);

	tc = unit_tcase(s, "frames by reference", ref_setup, fixture_teardown,
			TESTS(ref_frames_survive_a_full_queue));

	tc = unit_tcase(s, "virtio-net header", vnet_setup, fixture_teardown,
			TESTS(vnet_short_read_dropped,
			      vnet_output_carries_header));
	tcase_add_loop_test(tc, vnet_header_stripped_whatever_it_claims, 0,
			    (int)ARRAY_SIZE(vnet_hostile));

	return s;
}

int main(void)
{
	return unit_run(tap_suite());
}
