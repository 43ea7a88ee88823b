// SPDX-License-Identifier: GPL-2.0-or-later
/* test_frame.c - Frames to the guest that don't fit its MTU (frame.c), and
 * runs of UDP datagrams in one frame the guest's kernel splits (USO)
 *
 * A UDP datagram or an ICMP message from a host socket may be larger than
 * the guest's MTU: the guest gets it in fragments, none larger than the
 * MTU, as the host's kernel would send it on a link of that MTU. Put
 * together, the fragments are the packet the guest would have got in one
 * frame with a larger MTU, byte for byte (header, checksum and data).
 *
 * With UDP segmentation offload on pasta's tap, a run of datagrams goes in
 * one frame with the virtio-net header that tells the guest's kernel how to
 * split it, lengths of the whole and the checksum left partial; what no
 * send() with UDP_SEGMENT could have made doesn't go at all.
 *
 * The tap device is a datagram socket pair here, so that each frame the
 * daemon writes is read back on its own.
 */

#include <check.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "checksum.h"
#include "passt.h"
#include "tap.h"
#include "frame.h"
#include "unit.h"
#include "fixture.h"

#define DATA_LEN	3000	/* Two fragments at 1500, three at 1280 */
#define SPORT		5353
#define DPORT		40000

static uint8_t data[DATA_LEN];
static uint8_t whole[FRAME_BUF_SIZE];	/* L4 packet sent in one frame */
static size_t whole_len;

/**
 * setup() - Checked fixture: pasta, a datagram socket pair as tap device
 */
static void setup(void)
{
	int sv[2];
	size_t i;

	fixture_ctx(MODE_PASTA);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
				    SOCK_CLOEXEC, 0, sv), 0);
	c.fd_tap = sv[0];
	peer_fd = sv[1];
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + i / 256);
}

/**
 * send_udp() - Send the test datagram to the guest, IPv4 or IPv6
 * @v6:		IPv6
 */
static void send_udp(bool v6)
{
	if (v6) {
		struct in6_addr src = addr6(GW6), dst = addr6(GUEST6);

		frame_udp6_send(&c, &src, SPORT, &dst, DPORT, data,
				sizeof(data));
	} else {
		frame_udp4_send(&c, (struct in_addr){ addr4("192.0.2.1") },
				SPORT, (struct in_addr){ addr4("192.0.2.2") },
				DPORT, data, sizeof(data));
	}
	tap_flush(&c);
}

/**
 * read_frame() - Read the next frame the guest got
 * @buf:	Buffer, FRAME_BUF_SIZE bytes
 *
 * Return: its length, 0 if there's none
 */
static size_t read_frame(uint8_t *buf)
{
	ssize_t n = recv(peer_fd, buf, FRAME_BUF_SIZE, 0);

	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		return 0;
	}
	return (size_t)n;
}

/**
 * send_whole() - Send the datagram with the default MTU, keep its packet
 * @v6:		IPv6
 */
static void send_whole(bool v6)
{
	static uint8_t buf[FRAME_BUF_SIZE];
	size_t hlen = ETH_HLEN + (v6 ? sizeof(struct ip6_hdr) :
				       sizeof(struct iphdr));
	size_t len;

	c.mtu = MTU_DEFAULT;
	send_udp(v6);
	len = read_frame(buf);
	ck_assert_uint_eq(len, hlen + sizeof(struct udphdr) + DATA_LEN);
	whole_len = len - hlen;
	memcpy(whole, buf + hlen, whole_len);
	ck_assert_uint_eq(read_frame(buf), 0);
}

/**
 * reassemble() - Read fragments, check each, put the packet together
 * @v6:		IPv6
 * @mtu:	The guest's MTU
 * @nfrags:	Number of fragments expected
 */
static void reassemble(bool v6, int mtu, size_t nfrags)
{
	static uint8_t buf[FRAME_BUF_SIZE], pkt[FRAME_BUF_SIZE];
	size_t off = 0, n = 0, len;
	uint32_t id = 0;
	bool more = true;

	while (more && (len = read_frame(buf))) {
		size_t hlen, flen, foff;

		ck_assert_uint_le(len, ETH_HLEN + (size_t)mtu);
		if (v6) {
			struct ip6_hdr ip6h;
			struct ip6_frag fh;

			memcpy(&ip6h, buf + ETH_HLEN, sizeof(ip6h));
			ck_assert_uint_eq(ip6h.ip6_nxt, IPPROTO_FRAGMENT);
			hlen = ETH_HLEN + sizeof(ip6h) + sizeof(fh);
			ck_assert_uint_eq(ntohs(ip6h.ip6_plen),
					  len - ETH_HLEN - sizeof(ip6h));
			memcpy(&fh, buf + ETH_HLEN + sizeof(ip6h), sizeof(fh));
			ck_assert_uint_eq(fh.ip6f_nxt, IPPROTO_UDP);
			foff = ntohs(fh.ip6f_offlg & IP6F_OFF_MASK);
			more = fh.ip6f_offlg & IP6F_MORE_FRAG;
			if (!n)
				id = fh.ip6f_ident;
			ck_assert_uint_eq(fh.ip6f_ident, id);
		} else {
			struct iphdr iph;
			uint16_t frag;

			memcpy(&iph, buf + ETH_HLEN, sizeof(iph));
			hlen = ETH_HLEN + sizeof(iph);
			ck_assert_uint_eq(ntohs(iph.tot_len), len - ETH_HLEN);
			frag = ntohs(iph.frag_off);
			ck_assert(!(frag & IP_DF));
			foff = (size_t)(frag & IP_OFFMASK) * 8;
			more = frag & IP_MF;
			if (!n)
				id = iph.id;
			ck_assert_uint_eq(iph.id, id);
		}
		flen = len - hlen;
		ck_assert_uint_eq(foff, off);
		if (more)
			ck_assert_uint_eq(flen % 8, 0);
		memcpy(pkt + off, buf + hlen, flen);
		off += flen;
		n++;
	}

	ck_assert(!more);
	ck_assert_uint_eq(n, nfrags);
	ck_assert_uint_eq(off, whole_len);
	ck_assert_mem_eq(pkt, whole, whole_len);
	ck_assert_uint_eq(read_frame(buf), 0);
}

START_TEST(udp4_larger_than_mtu_in_fragments)
{
	send_whole(false);
	c.mtu = 1500;
	send_udp(false);
	reassemble(false, 1500, 3);
}
END_TEST

START_TEST(udp6_larger_than_mtu_in_fragments)
{
	send_whole(true);
	c.mtu = 1280;
	send_udp(true);
	reassemble(true, 1280, 3);
}
END_TEST

START_TEST(fitting_datagram_in_one_frame)
{
	static uint8_t buf[FRAME_BUF_SIZE];
	struct iphdr iph;

	c.mtu = sizeof(struct iphdr) + sizeof(struct udphdr) + DATA_LEN;
	send_udp(false);
	ck_assert_uint_eq(read_frame(buf), ETH_HLEN + (size_t)c.mtu);
	memcpy(&iph, buf + ETH_HLEN, sizeof(iph));
	ck_assert_uint_eq(ntohs(iph.frag_off), IP_DF);
	ck_assert_uint_eq(read_frame(buf), 0);
}
END_TEST

/**
 * uso_setup() - Checked fixture: as setup(), the tap with the virtio-net
 *		 header, checksum offload and USO, MTU 1500
 */
static void uso_setup(void)
{
	setup();
	c.tap_vnet = true;
	c.tap_offloads = TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6;
	c.mtu = 1500;
}

/**
 * send_run() - Send datagrams of test data, one after the other, as one
 *		USO frame
 * @v6:		IPv6
 * @sizes:	Size of each datagram, zero-terminated
 * @seg:	Datagram size to give
 */
static void send_run(bool v6, const size_t *sizes, size_t seg)
{
	struct iovec iov[FRAME_UDP_SEGS_MAX + 1];
	size_t n, off = 0;

	for (n = 0; sizes[n]; n++) {
		iov[n].iov_base = data + off;
		iov[n].iov_len = sizes[n];
		off += sizes[n];
	}
	if (v6) {
		struct in6_addr src = addr6(GW6), dst = addr6(GUEST6);

		frame_udp_gso_send(&c, AF_INET6, &src, SPORT, &dst, DPORT, iov,
				   n, seg);
	} else {
		struct in_addr src = { addr4("192.0.2.1") };
		struct in_addr dst = { addr4("192.0.2.2") };

		frame_udp_gso_send(&c, AF_INET, &src, SPORT, &dst, DPORT, iov,
				   n, seg);
	}
	tap_flush(&c);
}

/* Three datagrams of 1000, 1000 and 500 bytes: the test data, as a run */
static const size_t run_sizes[] = { 1000, 1000, 500, 0 };
#define RUN_LEN		2500

START_TEST(uso_frame_headers)
{
	static uint8_t buf[FRAME_BUF_SIZE], more[FRAME_BUF_SIZE];
	bool v6 = _i;
	size_t vlen = sizeof(struct virtio_net_hdr), l3 = vlen + ETH_HLEN;
	size_t iplen = v6 ? sizeof(struct ip6_hdr) : sizeof(struct iphdr);
	size_t l4len = sizeof(struct udphdr) + RUN_LEN;
	struct virtio_net_hdr vh;
	struct udphdr uh;
	uint32_t psum;

	send_run(v6, run_sizes, 1000);
	ck_assert_uint_eq(read_frame(buf), vlen + ETH_HLEN + iplen + l4len);
	ck_assert_uint_eq(read_frame(more), 0);

	/* What the kernel needs to split it: virtio_net_hdr_to_skb() */
	memcpy(&vh, buf, vlen);
	ck_assert_uint_eq(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_uint_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
	ck_assert_uint_eq(vh.gso_size, 1000);
	ck_assert_uint_eq(vh.csum_start, ETH_HLEN + iplen);
	ck_assert_uint_eq(vh.csum_offset, offsetof(struct udphdr, check));
	ck_assert_uint_eq(vh.hdr_len, ETH_HLEN + iplen + sizeof(uh));

	/* Lengths of the whole, as a GRO-merged packet has them */
	if (v6) {
		struct ip6_hdr ip6h;
		struct in6_addr src = addr6(GW6), dst = addr6(GUEST6);

		memcpy(&ip6h, buf + l3, sizeof(ip6h));
		ck_assert_uint_eq(ntohs(ip6h.ip6_plen), l4len);
		ck_assert_uint_eq(ip6h.ip6_nxt, IPPROTO_UDP);
		psum = csum_pseudo6(&src, &dst, IPPROTO_UDP, l4len);
	} else {
		struct iphdr iph;

		memcpy(&iph, buf + l3, sizeof(iph));
		ck_assert_uint_eq(ntohs(iph.tot_len), iplen + l4len);
		ck_assert_uint_eq(iph.protocol, IPPROTO_UDP);
		ck_assert_uint_eq(csum_ip4_header(&iph, sizeof(iph)), 0);
		psum = csum_pseudo4((struct in_addr){ addr4("192.0.2.1") },
				    (struct in_addr){ addr4("192.0.2.2") },
				    IPPROTO_UDP, l4len);
	}
	memcpy(&uh, buf + l3 + iplen, sizeof(uh));
	ck_assert_uint_eq(ntohs(uh.source), SPORT);
	ck_assert_uint_eq(ntohs(uh.dest), DPORT);
	ck_assert_uint_eq(ntohs(uh.len), l4len);
	/* Partial: the folded pseudo-header sum, the kernel adds the rest */
	ck_assert_uint_eq(uh.check, (uint16_t)~csum_fold(psum));
	ck_assert_mem_eq(buf + l3 + iplen + sizeof(uh), data, RUN_LEN);
}
END_TEST

START_TEST(uso_frame_max)
{
	c.tap_offloads = TUN_F_CSUM | TUN_F_USO6;
	ck_assert_uint_eq(frame_udp_gso_max(&c, AF_INET, 1000), 0);
	ck_assert_uint_eq(frame_udp_gso_max(&c, AF_INET6, 1000),
			  1000 * FRAME_UDP_SEGS_MAX);
	c.tap_offloads = TUN_F_USO4 | TUN_F_USO6;
	ck_assert_uint_eq(frame_udp_gso_max(&c, AF_INET6, 1000), 0);
	c.tap_offloads = TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6;

	/* Each datagram within the MTU, the whole within an IP packet */
	ck_assert_uint_eq(frame_udp_gso_max(&c, AF_INET, 1472), IP_MAXPACKET -
			  sizeof(struct iphdr) - sizeof(struct udphdr));
	ck_assert_uint_eq(frame_udp_gso_max(&c, AF_INET, 1473), 0);
	ck_assert_uint_eq(frame_udp_gso_max(&c, AF_INET6, 1452), IP_MAXPACKET -
			  sizeof(struct ip6_hdr) - sizeof(struct udphdr));
	ck_assert_uint_eq(frame_udp_gso_max(&c, AF_INET6, 1453), 0);
	ck_assert_uint_eq(frame_udp_gso_max(&c, AF_INET, 0), 0);
	c.mtu = 0;
	ck_assert_uint_eq(frame_udp_gso_max(&c, AF_INET, 3000), IP_MAXPACKET -
			  sizeof(struct iphdr) - sizeof(struct udphdr));
}
END_TEST

START_TEST(uso_frame_not_a_run)
{
	static const size_t bigger_inside[] = { 1000, 1001, 0 };
	static const size_t shorter_inside[] = { 1000, 500, 1000, 0 };
	static const size_t empty_last[] = { 1000, 1000, 0 };
	static uint8_t buf[FRAME_BUF_SIZE];

	/* What no send() with UDP_SEGMENT could give: nothing goes */
	send_run(false, bigger_inside, 1000);
	send_run(false, shorter_inside, 1000);
	send_run(true, empty_last, 999);
	ck_assert_uint_eq(read_frame(buf), 0);

	c.tap_offloads = TUN_F_CSUM | TUN_F_USO6;
	send_run(false, run_sizes, 1000);
	ck_assert_uint_eq(read_frame(buf), 0);
}
END_TEST

/**
 * frame_suite() - Frames to the guest and its MTU
 *
 * Return: the suite
 */
static Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc;

	unit_tcase(s, "mtu", setup, fixture_teardown, TESTS(
		udp4_larger_than_mtu_in_fragments,
		udp6_larger_than_mtu_in_fragments,
		fitting_datagram_in_one_frame));
	tc = unit_tcase(s, "uso", uso_setup, fixture_teardown, TESTS(
		uso_frame_max, uso_frame_not_a_run));
	tcase_add_loop_test(tc, uso_frame_headers, 0, 2);
	return s;
}

int main(void)
{
	return unit_run(frame_suite());
}
