// SPDX-License-Identifier: GPL-2.0-or-later
/* test_dhcpv6.c - The DHCPv6 server (dhcpv6.c) and name encoding
 *
 * Each test writes a client message (UDP header and DHCPv6 payload) the
 * way a client on the guest would, runs dhcpv6() on it, or tap_handler() on
 * a whole frame, and reads back what was sent to the guest: the daemon runs
 * in pasta mode with the write end of a pipe as its tap device. Replies are
 * checked for addresses, ports and UDP checksum, then option by option:
 * Server ID, Client ID, IA_NA with its address and lifetimes, status codes,
 * DNS servers, domain list and FQDN, byte for byte.
 *
 * Malformed messages (an option or a nested option running past what
 * contains it, truncated headers, impossible lengths) and messages RFC
 * 8415, 16 says to discard (missing Client ID, foreign Server ID) must get
 * no answer at all.
 */

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checksum.h"
#include "dhcpv6.h"
#include "util.h"
#include "packet.h"
#include "passt.h"
#include "tap.h"

#include "fixture.h"
#include "unit.h"

#define OUR_LL		"fe80::1"
#define GUEST_ADDR	"2001:db8::2"
#define CLIENT_LL	"fe80::5054:ff:fe12:3456"
#define SERVERS		"ff02::1:2"
#define DNS1		"2001:db8::53"
#define DNS2		"2001:db8:1::53"

/* Message types and options, as numbers: the test states the protocol */
#define SOLICIT		1
#define ADVERTISE	2
#define REQUEST		3
#define CONFIRM		4
#define RENEW		5
#define REBIND		6
#define REPLY		7
#define RELEASE		8
#define DECLINE		9
#define RELAY_FORW	12
#define INFO_REQUEST	11

#define OPT_CLIENTID	1
#define OPT_SERVERID	2
#define OPT_IA_NA	3
#define OPT_IA_TA	4
#define OPT_IAADDR	5
#define OPT_ORO		6
#define OPT_PREFERENCE	7
#define OPT_ELAPSED	8
#define OPT_STATUS	13
#define OPT_RAPID	14
#define OPT_DNS		23
#define OPT_DOMAINS	24
#define OPT_IA_PD	25
#define OPT_FQDN	39

/* DUID-LL, Ethernet, our MAC address */
static const uint8_t our_duid[] = { 0, 3, 0, 1,
				    0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };
/* DUID-LLT of a client */
static const uint8_t client_duid[] = { 0, 1, 0, 1, 0x2c, 0x3d, 0x4e, 0x5f,
				       0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t iaid[4] = { 0x0c, 0x8d, 0x9f, 0x8f };
static const uint8_t xid[3] = { 0xab, 0xcd, 0xef };

static const uint8_t domains_wire[] = {
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
	3, 's', 'u', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	3, 'n', 'e', 't', 0,
};

static struct ctx c;		/* Large: static */
static int peer_fd = -1;	/* Guest side: frames come out here */

/* Datagram under test: UDP header, then the DHCPv6 message */
static uint8_t in_buf[8192] __attribute__((aligned(8)));
static size_t in_len;

/**
 * struct reply - A DHCPv6 message the guest received, split up
 * @len:	Frame length, 0 if nothing was sent
 * @frame:	The frame
 * @ip6h:	IPv6 header, copied out
 * @uh:		UDP header, copied out
 * @msg:	DHCPv6 message, inside @frame
 * @msg_len:	Length of @msg
 */
struct reply {
	size_t len;
	uint8_t frame[TAP_FRAME_MAX];
	struct ip6_hdr ip6h;
	struct udphdr uh;
	const uint8_t *msg;
	size_t msg_len;
};
static struct reply r;

/**
 * dhcpv6_setup() - Checked fixture: pasta context, pipe as tap device
 */
static void dhcpv6_setup(void)
{
	memset(in_buf, 0, sizeof(in_buf));
	in_len = 0;

	fixture_pasta(&c, &peer_fd);
	c.ifi6 = 1;
	c.mtu = MTU_DEFAULT;
	c.ip6.addr = addr6(GUEST_ADDR);
	c.ip6.addr_seen = c.ip6.addr;
	c.ip6.prefix_len = 64;
	c.ip6.gw = addr6("2001:db8::1");
	c.ip6.our_tap_ll = addr6(OUR_LL);
	c.ip6.dns[0] = addr6(DNS1);
	c.ip6.dns[1] = addr6(DNS2);
	strcpy(c.dns_search[0], "example.org");
	strcpy(c.dns_search[1], "sub.example.net");
	strcpy(c.fqdn, "guest.example.org");

}

/**
 * dhcpv6_teardown() - Checked fixture: close both ends of the pipe
 */
static void dhcpv6_teardown(void)
{
	close(peer_fd);
	if (c.fd_tap >= 0)
		close(c.fd_tap);
}

/**
 * put() - Append bytes to the datagram under test
 * @data:	Bytes
 * @len:	Length
 */
static void put(const void *data, size_t len)
{
	ck_assert_uint_le(in_len + len, sizeof(in_buf));
	if (len)
		memcpy(in_buf + in_len, data, len);
	in_len += len;
}

/**
 * put16() - Append a 16-bit number, network order
 * @v:		Number
 */
static void put16(uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(b, sizeof(b));
}

/**
 * put32() - Append a 32-bit number, network order
 * @v:		Number
 */
static void put32(uint32_t v)
{
	put16((uint16_t)(v >> 16));
	put16((uint16_t)v);
}

/**
 * put_opt() - Append an option
 * @code:	Option code
 * @data:	Option data
 * @len:	Length of @data
 */
static void put_opt(uint16_t code, const void *data, size_t len)
{
	put16(code);
	put16((uint16_t)len);
	put(data, len);
}

/**
 * msg_start() - Start a message: UDP header (length set on run), type, xid
 * @type:	Message type
 */
static void msg_start(uint8_t type)
{
	struct udphdr uh = { .source = htons(546), .dest = htons(547) };

	in_len = 0;
	put(&uh, sizeof(uh));
	put(&type, 1);
	put(xid, sizeof(xid));
}

/**
 * put_client_id() - Append the client's Client ID option
 */
static void put_client_id(void)
{
	put_opt(OPT_CLIENTID, client_duid, sizeof(client_duid));
}

/**
 * put_server_id() - Append a Server ID option with our DUID
 */
static void put_server_id(void)
{
	put_opt(OPT_SERVERID, our_duid, sizeof(our_duid));
}

/**
 * put_ia_na() - Append an IA_NA listing @n addresses
 * @addrs:	Addresses, text
 * @n:		Number of addresses
 */
static void put_ia_na(const char **addrs, size_t n)
{
	size_t i;

	put16(OPT_IA_NA);
	put16((uint16_t)(12 + n * 28));
	put(iaid, sizeof(iaid));
	put32(3600);
	put32(5400);
	for (i = 0; i < n; i++) {
		struct in6_addr a = addr6(addrs[i]);

		put16(OPT_IAADDR);
		put16(24);
		put(&a, sizeof(a));
		put32(7200);
		put32(7500);
	}
}

/**
 * put_elapsed() - Append an Elapsed Time option, which we ignore
 */
static void put_elapsed(void)
{
	uint8_t zero[2] = { 0 };

	put_opt(OPT_ELAPSED, zero, sizeof(zero));
}

/**
 * run_len() - Call dhcpv6() on the datagram, UDP length @ulen
 * @ulen:	Value for the UDP length field
 *
 * Return: what dhcpv6() returns
 */
static int run_len(size_t ulen)
{
	PACKET_POOL_P(pool, in_buf, sizeof(in_buf));
	struct in6_addr s = addr6(CLIENT_LL), d = addr6(SERVERS);
	uint16_t l = htons((uint16_t)ulen);

	memcpy(in_buf + offsetof(struct udphdr, len), &l, sizeof(l));
	ck_assert(packet_add(&pool, in_len, (const char *)in_buf));
	return dhcpv6(&c, &s, &d, &pool);
}

/**
 * run() - Call dhcpv6() on the datagram, with the right UDP length
 *
 * Return: what dhcpv6() returns
 */
static int run(void)
{
	return run_len(in_len);
}

/**
 * read_reply() - Flush the tap queue, read one frame into @r
 *
 * Return: frame length, 0 if nothing was sent
 */
static size_t read_reply(void)
{
	size_t hdrs = ETH_HLEN + sizeof(struct ip6_hdr);
	ssize_t n;

	memset(&r, 0, sizeof(r));
	tap_flush(&c);
	n = read(peer_fd, r.frame, sizeof(r.frame));
	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		return 0;
	}
	r.len = (size_t)n;
	ck_assert_uint_ge(r.len, hdrs + sizeof(r.uh));
	memcpy(&r.ip6h, r.frame + ETH_HLEN, sizeof(r.ip6h));
	memcpy(&r.uh, r.frame + hdrs, sizeof(r.uh));
	r.msg = r.frame + hdrs + sizeof(r.uh);
	r.msg_len = r.len - hdrs - sizeof(r.uh);
	return r.len;
}

/**
 * assert_no_reply() - Check that nothing was sent to the guest
 */
static void assert_no_reply(void)
{
	ck_assert_uint_eq(read_reply(), 0);
}

/**
 * assert_reply() - Read one frame: DHCPv6 message @type to the client
 * @type:	Message type expected
 *
 * Checks addresses, ports, lengths, the UDP checksum and the transaction
 * ID; nothing else may have been sent.
 */
static void assert_reply(uint8_t type)
{
	struct in6_addr s = addr6(OUR_LL), d = addr6(CLIENT_LL);
	size_t l4len;
	uint8_t more[64];

	ck_assert_uint_gt(read_reply(), 0);
	ck_assert_mem_eq(r.frame, guest_mac, ETH_ALEN);
	ck_assert_mem_eq(r.frame + ETH_ALEN, our_mac, ETH_ALEN);
	ck_assert_uint_eq(r.ip6h.ip6_nxt, IPPROTO_UDP);
	ck_assert_mem_eq(&r.ip6h.ip6_src, &s, sizeof(s));
	ck_assert_mem_eq(&r.ip6h.ip6_dst, &d, sizeof(d));
	ck_assert_uint_eq(ntohs(r.uh.source), 547);
	ck_assert_uint_eq(ntohs(r.uh.dest), 546);

	l4len = ntohs(r.ip6h.ip6_plen);
	ck_assert_uint_eq(l4len, sizeof(r.uh) + r.msg_len);
	ck_assert_uint_eq(ntohs(r.uh.len), l4len);
	ck_assert_uint_eq(csum(r.frame + ETH_HLEN + sizeof(r.ip6h), l4len,
			       csum_pseudo6(&s, &d, IPPROTO_UDP, l4len)), 0);
	ck_assert_uint_le(r.len - ETH_HLEN, MTU_MIN_IPV6);

	ck_assert_uint_ge(r.msg_len, 4);
	ck_assert_uint_eq(r.msg[0], type);
	ck_assert_mem_eq(r.msg + 1, xid, sizeof(xid));

	ck_assert_int_lt(read(peer_fd, more, sizeof(more)), 0);
}

/**
 * opt_find() - Find an option in a list of options of the reply
 * @start:	Offset of the list in r.msg
 * @end:	End of the list
 * @code:	Option code
 * @nth:	Which one of that code, from 0
 * @len:	Set to the option data length
 *
 * Also checks that the whole list is well-formed.
 *
 * Return: offset of the option data in r.msg, 0 if not there
 */
static size_t opt_find(size_t start, size_t end, uint16_t code, int nth,
		       size_t *len)
{
	size_t off, found = 0;

	for (off = start; off < end; ) {
		uint16_t oc, ol;

		ck_assert_uint_le(off + 4, end);
		oc = (uint16_t)(r.msg[off] << 8 | r.msg[off + 1]);
		ol = (uint16_t)(r.msg[off + 2] << 8 | r.msg[off + 3]);
		ck_assert_uint_le(off + 4 + ol, end);
		if (oc == code && !found && !nth--) {
			found = off + 4;
			*len = ol;
		}
		off += 4 + ol;
	}
	ck_assert_uint_eq(off, end);
	return found;
}

/**
 * opt() - Find a top-level option of the reply
 * @code:	Option code
 * @len:	Set to the option data length
 *
 * Return: offset of the option data in r.msg, 0 if not there
 */
static size_t opt(uint16_t code, size_t *len)
{
	return opt_find(4, r.msg_len, code, 0, len);
}

/**
 * assert_opt() - The reply has option @code with exactly @data
 * @code:	Option code
 * @data:	Data expected
 * @len:	Length of @data
 */
static void assert_opt(uint16_t code, const void *data, size_t len)
{
	size_t olen, off = opt(code, &olen);

	ck_assert_msg(off, "option %u missing", code);
	ck_assert_uint_eq(olen, len);
	ck_assert_mem_eq(r.msg + off, data, len);
}

/**
 * assert_no_opt() - The reply has no option @code
 * @code:	Option code
 */
static void assert_no_opt(uint16_t code)
{
	size_t olen;

	ck_assert_msg(!opt(code, &olen), "option %u present", code);
}

/**
 * assert_ids() - Server ID is ours, Client ID is the client's
 */
static void assert_ids(void)
{
	assert_opt(OPT_SERVERID, our_duid, sizeof(our_duid));
	assert_opt(OPT_CLIENTID, client_duid, sizeof(client_duid));
}

/**
 * assert_config() - DNS servers and domain list are there, as configured
 */
static void assert_config(void)
{
	struct in6_addr dns[2] = { addr6(DNS1), addr6(DNS2) };

	assert_opt(OPT_DNS, dns, sizeof(dns));
	assert_opt(OPT_DOMAINS, domains_wire, sizeof(domains_wire));
}

/**
 * iaaddr_expect() - Build an IA Address option's data
 * @buf:	At least 24 bytes
 * @a:		Address, text
 * @lifetime:	Preferred and valid lifetime
 */
static void iaaddr_expect(uint8_t *buf, const char *a, uint32_t lifetime)
{
	struct in6_addr addr = addr6(a);
	uint32_t lt = htonl(lifetime);

	memcpy(buf, &addr, sizeof(addr));
	memcpy(buf + 16, &lt, 4);
	memcpy(buf + 20, &lt, 4);
}

/**
 * assert_ia_na() - The reply's IA_NA (the @nth) holds our address only
 * @nth:	Which IA_NA, from 0
 *
 * Return: offset of the IA_NA data, for further checks
 */
static size_t assert_ia_na(int nth)
{
	uint8_t fixed[12], iaaddr[24];
	size_t len, off, alen, aoff;

	off = opt_find(4, r.msg_len, OPT_IA_NA, nth, &len);
	ck_assert_msg(off, "IA_NA %i missing", nth);
	ck_assert_uint_ge(len, 12);

	memcpy(fixed, iaid, 4);
	memset(fixed + 4, 0xff, 8);		/* T1, T2: infinite */
	ck_assert_mem_eq(r.msg + off, fixed, sizeof(fixed));

	aoff = opt_find(off + 12, off + len, OPT_IAADDR, 0, &alen);
	ck_assert(aoff);
	ck_assert_uint_eq(alen, 24);
	iaaddr_expect(iaaddr, GUEST_ADDR, 0xffffffff);
	ck_assert_mem_eq(r.msg + aoff, iaaddr, sizeof(iaaddr));
	ck_assert(!opt_find(off + 12, off + len, OPT_STATUS, 0, &alen));
	return off;
}

/**
 * assert_status() - The reply has a top-level Status Code @status
 * @status:	Status code
 */
static void assert_status(uint16_t status)
{
	size_t len, off = opt(OPT_STATUS, &len);

	ck_assert_msg(off, "no status code");
	ck_assert_uint_ge(len, 2);
	ck_assert_uint_eq(r.msg[off] << 8 | r.msg[off + 1], status);
}

/* Name encoding */

START_TEST(name_encoding)
{
	static const uint8_t org[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				       3, 'o', 'r', 'g', 0 };
	uint8_t buf[300];

	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), "example.org"),
			  sizeof(org));
	ck_assert_mem_eq(buf, org, sizeof(org));

	/* A final dot changes nothing */
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), "example.org."),
			  sizeof(org));
	ck_assert_mem_eq(buf, org, sizeof(org));

	/* Exactly enough room, then one byte short */
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(org), "example.org"),
			  sizeof(org));
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(org) - 1,
					  "example.org"), 0);
	ck_assert_uint_eq(dns_name_encode(buf, 0, "example.org"), 0);

	/* Single label */
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), "lan"), 5);
	ck_assert_mem_eq(buf, "\003lan", 5);
}
END_TEST

START_TEST(name_encoding_refuses_bad_names)
{
	char name[300];
	uint8_t buf[300];

	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), ""), 0);
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), "."), 0);
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), "a..b"), 0);
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), ".a"), 0);
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), "a.."), 0);

	/* Labels: 63 characters at most */
	memset(name, 'x', 63);
	strcpy(name + 63, ".org");
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), name), 69);
	memset(name, 'x', 64);
	strcpy(name + 64, ".org");
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), name), 0);

	/* Names: 255 bytes encoded at most, that's 253 characters */
	memset(name, 0, sizeof(name));
	memset(name, 'x', 253);
	name[50] = name[100] = name[150] = name[200] = '.';
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), name), 255);
	name[253] = 'x';
	ck_assert_uint_eq(dns_name_encode(buf, sizeof(buf), name), 0);
}
END_TEST

/* Solicit */

START_TEST(solicit_gets_advertise)
{
	const uint8_t pref = 255;

	msg_start(SOLICIT);
	put_client_id();
	put_elapsed();
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 1);

	assert_reply(ADVERTISE);
	assert_ids();
	assert_ia_na(0);
	assert_opt(OPT_PREFERENCE, &pref, 1);
	assert_config();
	assert_no_opt(OPT_RAPID);
	assert_no_opt(OPT_STATUS);
	assert_no_opt(OPT_FQDN);	/* Not asked for */
}
END_TEST

START_TEST(solicit_with_rapid_commit_gets_reply)
{
	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_RAPID, NULL, 0);
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 1);

	assert_reply(REPLY);
	assert_ids();
	assert_ia_na(0);
	assert_opt(OPT_RAPID, NULL, 0);
	assert_no_opt(OPT_PREFERENCE);
	assert_config();
}
END_TEST

START_TEST(solicit_with_hint_gets_our_address)
{
	static const char *hint[] = { "2001:db8::99" };
	size_t off, len, alen;

	msg_start(SOLICIT);
	put_client_id();
	put_ia_na(hint, 1);
	ck_assert_int_eq(run(), 1);

	assert_reply(ADVERTISE);
	off = assert_ia_na(0);
	opt_find(4, r.msg_len, OPT_IA_NA, 0, &len);
	ck_assert(!opt_find(off + 12, off + len, OPT_IAADDR, 1, &alen));
}
END_TEST

START_TEST(solicit_with_two_ia_na)
{
	uint8_t second[4] = { 1, 2, 3, 4 };
	size_t off, len, soff, slen;

	msg_start(SOLICIT);
	put_client_id();
	put_ia_na(NULL, 0);
	put16(OPT_IA_NA);
	put16(12);
	put(second, 4);
	put32(0);
	put32(0);
	ck_assert_int_eq(run(), 1);

	assert_reply(ADVERTISE);
	assert_ia_na(0);
	off = opt_find(4, r.msg_len, OPT_IA_NA, 1, &len);
	ck_assert(off);
	ck_assert_mem_eq(r.msg + off, second, 4);
	ck_assert(!opt_find(off + 12, off + len, OPT_IAADDR, 0, &slen));
	soff = opt_find(off + 12, off + len, OPT_STATUS, 0, &slen);
	ck_assert(soff);
	ck_assert_uint_eq(r.msg[soff] << 8 | r.msg[soff + 1], 2);
}
END_TEST

START_TEST(solicit_without_client_id_dropped)
{
	msg_start(SOLICIT);
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(solicit_with_server_id_dropped)
{
	msg_start(SOLICIT);
	put_client_id();
	put_server_id();
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(solicit_in_local_mode_gets_no_address)
{
	memset(&c.ip6.addr, 0, sizeof(c.ip6.addr));

	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_RAPID, NULL, 0);
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 1);

	/* RFC 8415, 18.3.1: Advertise, no IA, status NoAddrsAvail */
	assert_reply(ADVERTISE);
	assert_ids();
	assert_no_opt(OPT_IA_NA);
	assert_status(2);
	assert_config();
}
END_TEST

/* Request, Renew, Rebind */

START_TEST(request_gets_reply)
{
	static const char *ours[] = { GUEST_ADDR };
	size_t off, len, alen;

	msg_start(REQUEST);
	put_client_id();
	put_server_id();
	put_elapsed();
	put_ia_na(ours, 1);
	ck_assert_int_eq(run(), 1);

	assert_reply(REPLY);
	assert_ids();
	off = assert_ia_na(0);
	opt_find(4, r.msg_len, OPT_IA_NA, 0, &len);
	ck_assert(!opt_find(off + 12, off + len, OPT_IAADDR, 1, &alen));
	assert_config();
	assert_no_opt(OPT_PREFERENCE);
	assert_no_opt(OPT_RAPID);
}
END_TEST

START_TEST(request_for_other_address_gets_it_expired)
{
	static const char *addrs[] = { "2001:db8::99", GUEST_ADDR };
	uint8_t expired[24];
	size_t off, len, aoff, alen;

	msg_start(REQUEST);
	put_client_id();
	put_server_id();
	put_ia_na(addrs, 2);
	ck_assert_int_eq(run(), 1);

	assert_reply(REPLY);
	off = assert_ia_na(0);
	opt_find(4, r.msg_len, OPT_IA_NA, 0, &len);
	aoff = opt_find(off + 12, off + len, OPT_IAADDR, 1, &alen);
	ck_assert(aoff);
	iaaddr_expect(expired, "2001:db8::99", 0);
	ck_assert_uint_eq(alen, sizeof(expired));
	ck_assert_mem_eq(r.msg + aoff, expired, sizeof(expired));
	ck_assert(!opt_find(off + 12, off + len, OPT_IAADDR, 2, &alen));
}
END_TEST

START_TEST(request_for_other_server_dropped)
{
	uint8_t other[10] = { 0, 3, 0, 1, 2, 0, 0, 0, 0, 1 };

	msg_start(REQUEST);
	put_client_id();
	put_opt(OPT_SERVERID, other, sizeof(other));
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();

	/* Our DUID with a trailing byte isn't ours either */
	msg_start(REQUEST);
	put_client_id();
	put16(OPT_SERVERID);
	put16(sizeof(our_duid) + 1);
	put(our_duid, sizeof(our_duid));
	put("", 1);
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(request_without_server_id_dropped)
{
	msg_start(REQUEST);
	put_client_id();
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(request_without_client_id_dropped)
{
	msg_start(REQUEST);
	put_server_id();
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(request_in_local_mode_gets_no_address)
{
	size_t off, len, soff, slen;

	memset(&c.ip6.addr, 0, sizeof(c.ip6.addr));
	msg_start(REQUEST);
	put_client_id();
	put_server_id();
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 1);

	assert_reply(REPLY);
	off = opt_find(4, r.msg_len, OPT_IA_NA, 0, &len);
	ck_assert(off);
	ck_assert(!opt_find(off + 12, off + len, OPT_IAADDR, 0, &slen));
	soff = opt_find(off + 12, off + len, OPT_STATUS, 0, &slen);
	ck_assert(soff);
	ck_assert_uint_eq(r.msg[soff] << 8 | r.msg[soff + 1], 2);
}
END_TEST

START_TEST(renew_gets_reply)
{
	static const char *ours[] = { GUEST_ADDR };

	msg_start(RENEW);
	put_client_id();
	put_server_id();
	put_ia_na(ours, 1);
	ck_assert_int_eq(run(), 1);
	assert_reply(REPLY);
	assert_ids();
	assert_ia_na(0);
	assert_config();

	/* Renew must name its server */
	msg_start(RENEW);
	put_client_id();
	put_ia_na(ours, 1);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(rebind_gets_reply)
{
	static const char *ours[] = { GUEST_ADDR };

	msg_start(REBIND);
	put_client_id();
	put_ia_na(ours, 1);
	ck_assert_int_eq(run(), 1);
	assert_reply(REPLY);
	assert_ids();
	assert_ia_na(0);
	assert_config();

	/* Rebind must not name a server */
	msg_start(REBIND);
	put_client_id();
	put_server_id();
	put_ia_na(ours, 1);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

/* Confirm */

START_TEST(confirm_on_link_succeeds)
{
	static const char *addrs[] = { GUEST_ADDR, "2001:db8::abcd" };

	msg_start(CONFIRM);
	put_client_id();
	put_ia_na(addrs, 2);
	ck_assert_int_eq(run(), 1);

	assert_reply(REPLY);
	assert_ids();
	assert_status(0);
	assert_no_opt(OPT_IA_NA);
}
END_TEST

START_TEST(confirm_off_link_fails)
{
	static const char *addrs[] = { GUEST_ADDR, "2001:db8:1::2" };

	msg_start(CONFIRM);
	put_client_id();
	put_ia_na(addrs, 2);
	ck_assert_int_eq(run(), 1);

	assert_reply(REPLY);
	assert_ids();
	assert_status(4);
	assert_no_opt(OPT_IA_NA);
}
END_TEST

START_TEST(confirm_in_local_mode_fails)
{
	static const char *addrs[] = { GUEST_ADDR };

	memset(&c.ip6.addr, 0, sizeof(c.ip6.addr));
	msg_start(CONFIRM);
	put_client_id();
	put_ia_na(addrs, 1);
	ck_assert_int_eq(run(), 1);
	assert_reply(REPLY);
	assert_status(4);
}
END_TEST

START_TEST(confirm_without_addresses_unanswered)
{
	msg_start(CONFIRM);
	put_client_id();
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(confirm_with_server_id_dropped)
{
	static const char *addrs[] = { GUEST_ADDR };

	msg_start(CONFIRM);
	put_client_id();
	put_server_id();
	put_ia_na(addrs, 1);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

/* Information-request, Release, Decline */

START_TEST(information_request_gets_reply_without_ia)
{
	msg_start(INFO_REQUEST);
	put_client_id();
	put_elapsed();
	ck_assert_int_eq(run(), 1);

	assert_reply(REPLY);
	assert_ids();
	assert_config();
	assert_no_opt(OPT_IA_NA);
	assert_no_opt(OPT_STATUS);
}
END_TEST

START_TEST(information_request_without_client_id)
{
	size_t len;

	msg_start(INFO_REQUEST);
	ck_assert_int_eq(run(), 1);

	assert_reply(REPLY);
	assert_opt(OPT_SERVERID, our_duid, sizeof(our_duid));
	ck_assert(!opt(OPT_CLIENTID, &len));
	assert_config();
}
END_TEST

START_TEST(information_request_for_us_answered)
{
	msg_start(INFO_REQUEST);
	put_client_id();
	put_server_id();
	ck_assert_int_eq(run(), 1);
	assert_reply(REPLY);
	assert_config();
}
END_TEST

START_TEST(information_request_dropped_when_invalid)
{
	uint8_t other[10] = { 0, 3, 0, 1, 2, 0, 0, 0, 0, 1 };
	uint8_t ia_pd[12] = { 0 };

	/* Another server's */
	msg_start(INFO_REQUEST);
	put_client_id();
	put_opt(OPT_SERVERID, other, sizeof(other));
	ck_assert_int_eq(run(), 0);

	/* With an IA, of any kind */
	msg_start(INFO_REQUEST);
	put_client_id();
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 0);

	msg_start(INFO_REQUEST);
	put_client_id();
	put_opt(OPT_IA_PD, ia_pd, sizeof(ia_pd));
	ck_assert_int_eq(run(), 0);

	msg_start(INFO_REQUEST);
	put_client_id();
	put_opt(OPT_IA_TA, ia_pd, 4);
	ck_assert_int_eq(run(), 0);

	assert_no_reply();
}
END_TEST

START_TEST(release_and_decline_get_success)
{
	static const char *ours[] = { GUEST_ADDR };
	static const uint8_t types[] = { RELEASE, DECLINE };
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		msg_start(types[i]);
		put_client_id();
		put_server_id();
		put_ia_na(ours, 1);
		ck_assert_int_eq(run(), 1);
		assert_reply(REPLY);
		assert_ids();
		assert_status(0);
		assert_no_opt(OPT_IA_NA);
		assert_no_opt(OPT_DNS);

		/* Only to us */
		msg_start(types[i]);
		put_client_id();
		put_ia_na(ours, 1);
		ck_assert_int_eq(run(), 0);
		assert_no_reply();
	}
}
END_TEST

START_TEST(server_and_relay_messages_dropped)
{
	static const uint8_t types[] = { ADVERTISE, REPLY, 10, RELAY_FORW, 13,
					 0, 255 };
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		msg_start(types[i]);
		put_client_id();
		put_server_id();
		ck_assert_int_eq(run(), 0);
		assert_no_reply();
	}
}
END_TEST

/* Configuration options */

START_TEST(fqdn_sent_when_asked_for)
{
	static const uint8_t fqdn[] = {
		0x06,		/* N: no updates; O: overrode client's S */
		5, 'g', 'u', 'e', 's', 't', 7, 'e', 'x', 'a', 'm', 'p', 'l',
		'e', 3, 'o', 'r', 'g', 0,
	};
	uint8_t client_fqdn[] = { 0x01, 2, 'm', 'e', 0 };
	uint8_t oro[] = { 0, OPT_DNS, 0, OPT_DOMAINS, 0, OPT_FQDN };

	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_ORO, oro, sizeof(oro));
	put_opt(OPT_FQDN, client_fqdn, sizeof(client_fqdn));
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 1);
	assert_reply(ADVERTISE);
	assert_opt(OPT_FQDN, fqdn, sizeof(fqdn));

	/* Client leaves updates to itself (S clear): no override */
	client_fqdn[0] = 0;
	msg_start(REQUEST);
	put_client_id();
	put_server_id();
	put_opt(OPT_ORO, oro, sizeof(oro));
	put_opt(OPT_FQDN, client_fqdn, sizeof(client_fqdn));
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 1);
	assert_reply(REPLY);
	{
		uint8_t expect[sizeof(fqdn)];

		memcpy(expect, fqdn, sizeof(fqdn));
		expect[0] = 0x04;
		assert_opt(OPT_FQDN, expect, sizeof(expect));
	}
}
END_TEST

START_TEST(fqdn_not_sent_unless_sent_and_requested)
{
	uint8_t client_fqdn[] = { 0x01, 2, 'm', 'e', 0 };
	uint8_t oro[] = { 0, OPT_FQDN };

	/* Requested, but the client sent no FQDN option */
	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_ORO, oro, sizeof(oro));
	ck_assert_int_eq(run(), 1);
	assert_reply(ADVERTISE);
	assert_no_opt(OPT_FQDN);

	/* Sent, not requested */
	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_FQDN, client_fqdn, sizeof(client_fqdn));
	ck_assert_int_eq(run(), 1);
	assert_reply(ADVERTISE);
	assert_no_opt(OPT_FQDN);

	/* Both, but no name configured */
	*c.fqdn = 0;
	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_ORO, oro, sizeof(oro));
	put_opt(OPT_FQDN, client_fqdn, sizeof(client_fqdn));
	ck_assert_int_eq(run(), 1);
	assert_reply(ADVERTISE);
	assert_no_opt(OPT_FQDN);
}
END_TEST

START_TEST(dns_options_follow_switches)
{
	c.no_dhcp_dns = true;
	c.no_dhcp_dns_search = true;
	msg_start(INFO_REQUEST);
	put_client_id();
	ck_assert_int_eq(run(), 1);
	assert_reply(REPLY);
	assert_no_opt(OPT_DNS);
	assert_no_opt(OPT_DOMAINS);

	/* Nothing configured: same */
	c.no_dhcp_dns = false;
	c.no_dhcp_dns_search = false;
	memset(c.ip6.dns, 0, sizeof(c.ip6.dns));
	memset(c.dns_search, 0, sizeof(c.dns_search));
	msg_start(INFO_REQUEST);
	put_client_id();
	ck_assert_int_eq(run(), 1);
	assert_reply(REPLY);
	assert_no_opt(OPT_DNS);
	assert_no_opt(OPT_DOMAINS);
}
END_TEST

START_TEST(reply_stays_within_minimum_mtu)
{
	uint8_t long_duid[130];
	size_t i;

	for (i = 0; i < MAXDNSRCH; i++) {
		memset(c.dns_search[i], 0, sizeof(c.dns_search[i]));
		memset(c.dns_search[i], 'a' + (int)i, 253);
		c.dns_search[i][60] = c.dns_search[i][120] = '.';
		c.dns_search[i][180] = c.dns_search[i][240] = '.';
	}
	memset(long_duid, 0x42, sizeof(long_duid));

	msg_start(SOLICIT);
	put_opt(OPT_CLIENTID, long_duid, sizeof(long_duid));
	put_ia_na(NULL, 0);
	ck_assert_int_eq(run(), 1);
	assert_reply(ADVERTISE);
	assert_opt(OPT_CLIENTID, long_duid, sizeof(long_duid));
	assert_ia_na(0);
	{
		struct in6_addr dns[2] = { addr6(DNS1), addr6(DNS2) };

		assert_opt(OPT_DNS, dns, sizeof(dns));
	}

	/* Not every search domain fits: the first ones do, whole */
	{
		size_t len, off = opt(OPT_DOMAINS, &len);

		ck_assert(off);
		ck_assert_uint_ge(len, 255);
		ck_assert_uint_lt(len, MAXDNSRCH * 255);
		ck_assert_uint_eq(len % 255, 0);
		for (i = 0; i < len / 255; i++) {
			ck_assert_uint_eq(r.msg[off + i * 255], 60);
			ck_assert_uint_eq(r.msg[off + i * 255 + 1], 'a' + i);
			ck_assert_uint_eq(r.msg[off + i * 255 + 254], 0);
		}
	}
}
END_TEST

/* Malformed messages */

START_TEST(option_past_end_dropped)
{
	msg_start(SOLICIT);
	put_client_id();
	put16(OPT_ELAPSED);
	put16(3);		/* Two bytes follow */
	put16(0);
	ck_assert_int_eq(run(), 0);
	assert_no_reply();

	/* Client ID itself running past the end */
	msg_start(SOLICIT);
	put16(OPT_CLIENTID);
	put16(sizeof(client_duid) + 1);
	put(client_duid, sizeof(client_duid));
	ck_assert_int_eq(run(), 0);
	assert_no_reply();

	/* Largest length possible */
	msg_start(SOLICIT);
	put_client_id();
	put16(OPT_IA_NA);
	put16(0xffff);
	put(iaid, sizeof(iaid));
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(nested_option_overrun_dropped)
{
	struct in6_addr a = addr6(GUEST_ADDR);

	/* IAADDR claims 24 bytes, the IA_NA holds only 20 of them: the rest
	 * of the message is there, but belongs to another option
	 */
	msg_start(SOLICIT);
	put_client_id();
	put16(OPT_IA_NA);
	put16(12 + 4 + 20);
	put(iaid, sizeof(iaid));
	put32(0);
	put32(0);
	put16(OPT_IAADDR);
	put16(24);
	put(&a, 16);
	put32(0);
	put_elapsed();
	ck_assert_int_eq(run(), 0);
	assert_no_reply();

	/* Option header cut by the end of the IA_NA */
	msg_start(SOLICIT);
	put_client_id();
	put16(OPT_IA_NA);
	put16(12 + 2);
	put(iaid, sizeof(iaid));
	put32(0);
	put32(0);
	put16(OPT_IAADDR);
	put_elapsed();
	ck_assert_int_eq(run(), 0);
	assert_no_reply();

	/* Sub-option of the IAADDR running past it */
	msg_start(REQUEST);
	put_client_id();
	put_server_id();
	put16(OPT_IA_NA);
	put16(12 + 4 + 24 + 4);
	put(iaid, sizeof(iaid));
	put32(0);
	put32(0);
	put16(OPT_IAADDR);
	put16(24 + 4);
	put(&a, 16);
	put32(0);
	put32(0);
	put16(OPT_STATUS);
	put16(2);
	put_elapsed();
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(short_ia_options_dropped)
{
	struct in6_addr a = addr6(GUEST_ADDR);
	uint8_t data[16] = { 0 };

	/* IA_NA shorter than IAID, T1, T2 */
	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_IA_NA, data, 11);
	ck_assert_int_eq(run(), 0);

	/* IAADDR shorter than address and lifetimes */
	msg_start(SOLICIT);
	put_client_id();
	put16(OPT_IA_NA);
	put16(12 + 4 + 20);
	put(iaid, sizeof(iaid));
	put32(0);
	put32(0);
	put16(OPT_IAADDR);
	put16(20);
	put(&a, 16);
	put32(0);
	ck_assert_int_eq(run(), 0);

	/* IA_PD, IA_TA too short */
	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_IA_PD, data, 11);
	ck_assert_int_eq(run(), 0);
	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_IA_TA, data, 3);
	ck_assert_int_eq(run(), 0);

	assert_no_reply();
}
END_TEST

START_TEST(truncated_message_dropped)
{
	size_t len, full;

	msg_start(SOLICIT);
	put_client_id();
	put_ia_na(NULL, 0);
	full = in_len;

	/* Every length short of the full message, but those ending right
	 * after a whole option
	 */
	for (len = 0; len < full; len++) {
		size_t ids = sizeof(struct udphdr) + 4;

		if (len == ids + 4 + sizeof(client_duid))
			continue;	/* Just Client ID: valid Solicit */
		in_len = len;
		if (len < sizeof(struct udphdr)) {
			PACKET_POOL_P(pool, in_buf, sizeof(in_buf));
			struct in6_addr s = addr6(CLIENT_LL);
			struct in6_addr d = addr6(SERVERS);

			ck_assert(packet_add(&pool, len, (const char *)in_buf));
			ck_assert_int_eq(dhcpv6(&c, &s, &d, &pool), 0);
			continue;
		}
		ck_assert_msg(!run(), "%zu of %zu bytes answered", len, full);
	}
	assert_no_reply();
}
END_TEST

START_TEST(udp_length_checked)
{
	msg_start(SOLICIT);
	put_client_id();
	put_ia_na(NULL, 0);

	/* Longer than the datagram */
	ck_assert_int_eq(run_len(in_len + 1), 0);
	ck_assert_int_eq(run_len(0xffff), 0);
	/* Shorter than a header */
	ck_assert_int_eq(run_len(0), 0);
	ck_assert_int_eq(run_len(sizeof(struct udphdr) + 3), 0);
	assert_no_reply();

	/* Shorter than the datagram, cutting the IA_NA: the bytes after the
	 * UDP length aren't part of the message, even if they're there
	 */
	ck_assert_int_eq(run_len(in_len - 4), 0);
	assert_no_reply();

	/* Shorter than the datagram: the rest is ignored */
	put32(0xdeadbeef);
	ck_assert_int_eq(run_len(in_len - 4), 1);
	assert_reply(ADVERTISE);
	assert_ia_na(0);
}
END_TEST

START_TEST(bad_client_ids_dropped)
{
	uint8_t duid[131] = { 0, 4 };

	/* Empty */
	msg_start(SOLICIT);
	put_opt(OPT_CLIENTID, NULL, 0);
	ck_assert_int_eq(run(), 0);

	/* Longer than a DUID can be */
	msg_start(SOLICIT);
	put_opt(OPT_CLIENTID, duid, sizeof(duid));
	ck_assert_int_eq(run(), 0);

	/* Twice */
	msg_start(SOLICIT);
	put_client_id();
	put_client_id();
	ck_assert_int_eq(run(), 0);

	/* Server ID twice */
	msg_start(REQUEST);
	put_client_id();
	put_server_id();
	put_server_id();
	ck_assert_int_eq(run(), 0);

	assert_no_reply();
}
END_TEST

START_TEST(odd_option_request_dropped)
{
	uint8_t oro[3] = { 0, OPT_DNS, 0 };

	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_ORO, oro, sizeof(oro));
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(from_unspecified_or_multicast_dropped)
{
	PACKET_POOL_P(pool, in_buf, sizeof(in_buf));
	struct in6_addr any = addr6("::"), mc = addr6("ff02::1");
	struct in6_addr d = addr6(SERVERS);
	uint16_t l;

	msg_start(SOLICIT);
	put_client_id();
	l = htons((uint16_t)in_len);
	memcpy(in_buf + offsetof(struct udphdr, len), &l, sizeof(l));
	ck_assert(packet_add(&pool, in_len, (const char *)in_buf));
	ck_assert_int_eq(dhcpv6(&c, &any, &d, &pool), 0);
	ck_assert_int_eq(dhcpv6(&c, &mc, &d, &pool), 0);
	assert_no_reply();
}
END_TEST

/* The whole path */

START_TEST(solicit_through_tap_handler)
{
	static uint8_t frame[2048] __attribute__((aligned(8)));
	PACKET_POOL_P(pool, frame, sizeof(frame));
	struct ethhdr eh = { .h_proto = htons(ETH_P_IPV6) };
	struct ip6_hdr ip6h;
	uint16_t l;

	msg_start(SOLICIT);
	put_client_id();
	put_opt(OPT_RAPID, NULL, 0);
	put_ia_na(NULL, 0);
	l = htons((uint16_t)in_len);
	memcpy(in_buf + offsetof(struct udphdr, len), &l, sizeof(l));

	memcpy(eh.h_dest, "\x33\x33\x00\x01\x00\x02", ETH_ALEN);
	memcpy(eh.h_source, guest_mac, ETH_ALEN);
	memset(&ip6h, 0, sizeof(ip6h));
	ip6h.ip6_flow = htonl(6U << 28);
	ip6h.ip6_plen = htons((uint16_t)in_len);
	ip6h.ip6_nxt = IPPROTO_UDP;
	ip6h.ip6_hlim = 1;
	ip6h.ip6_src = addr6(CLIENT_LL);
	ip6h.ip6_dst = addr6(SERVERS);

	memcpy(frame, &eh, sizeof(eh));
	memcpy(frame + sizeof(eh), &ip6h, sizeof(ip6h));
	memcpy(frame + sizeof(eh) + sizeof(ip6h), in_buf, in_len);
	ck_assert(packet_add(&pool, sizeof(eh) + sizeof(ip6h) + in_len,
			     (const char *)frame));

	tap_handler(&c, &pool, NULL);
	assert_reply(REPLY);
	assert_ids();
	assert_ia_na(0);
	assert_config();
}
END_TEST

/**
 * dhcpv6_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *dhcpv6_suite(void)
{
	Suite *s = suite_create("dhcpv6");

	unit_tcase(s, "names", NULL, NULL, TESTS(
		name_encoding, name_encoding_refuses_bad_names));

	unit_tcase(s, "messages", dhcpv6_setup, dhcpv6_teardown, TESTS(
		solicit_gets_advertise,
		solicit_with_rapid_commit_gets_reply,
		solicit_with_hint_gets_our_address,
		solicit_with_two_ia_na,
		solicit_without_client_id_dropped,
		solicit_with_server_id_dropped,
		solicit_in_local_mode_gets_no_address,
		request_gets_reply,
		request_for_other_address_gets_it_expired,
		request_for_other_server_dropped,
		request_without_server_id_dropped,
		request_without_client_id_dropped,
		request_in_local_mode_gets_no_address, renew_gets_reply,
		rebind_gets_reply, confirm_on_link_succeeds,
		confirm_off_link_fails, confirm_in_local_mode_fails,
		confirm_without_addresses_unanswered,
		confirm_with_server_id_dropped,
		information_request_gets_reply_without_ia,
		information_request_without_client_id,
		information_request_for_us_answered,
		information_request_dropped_when_invalid,
		release_and_decline_get_success,
		server_and_relay_messages_dropped,
		fqdn_sent_when_asked_for,
		fqdn_not_sent_unless_sent_and_requested,
		dns_options_follow_switches,
		reply_stays_within_minimum_mtu,
		solicit_through_tap_handler));

	unit_tcase(s, "malformed", dhcpv6_setup, dhcpv6_teardown, TESTS(
		option_past_end_dropped, nested_option_overrun_dropped,
		short_ia_options_dropped, truncated_message_dropped,
		udp_length_checked, bad_client_ids_dropped,
		odd_option_request_dropped,
		from_unspecified_or_multicast_dropped));

	return s;
}

int main(void)
{
	return unit_run(dhcpv6_suite());
}
