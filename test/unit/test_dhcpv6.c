// SPDX-License-Identifier: GPL-2.0-or-later
/* test_dhcpv6.c - The DHCPv6 server (dhcpv6.c) and name encoding
 *
 * Each test writes a client message (UDP header and DHCPv6 payload) the
 * way a client on the guest would, runs dhcpv6() on it, or dispatch_frames() on
 * a whole frame, and reads back what was sent to the guest: the daemon runs
 * in pasta mode with the write end of a pipe as its tap device. Replies are
 * checked for addresses, ports and UDP checksum, then option by option:
 * Server ID, Client ID, IA_NA with its address and lifetimes, status codes,
 * DNS servers, domain list and FQDN, byte for byte.
 *
 * Malformed messages (an option or a nested option running past what
 * contains it, truncated headers, impossible lengths) and messages RFC
 * 8415, 16 says to discard (missing Client ID, foreign Server ID) must get
 * no answer at all: they are one table, msg_dropped[].
 */

#include <arpa/inet.h>
#include <check.h>
#include <linux/if_ether.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcpv6.h"
#include "util.h"
#include "packet.h"
#include "passt.h"
#include "dispatch.h"
#include "tap.h"
#include "unit.h"

#include "fixture.h"

#define SERVERS		"ff02::1:2"

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

/* Option data, as bytes, for the tables below as well */
#define OUR_DUID	0, 3, 0, 1, 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55
#define OTHER_DUID	0, 3, 0, 1, 2, 0, 0, 0, 0, 1
#define CLIENT_DUID	0, 1, 0, 1, 0x2c, 0x3d, 0x4e, 0x5f,		\
			0x52, 0x54, 0x00, 0x12, 0x34, 0x56
#define IAID		0x0c, 0x8d, 0x9f, 0x8f
#define GUEST_BYTES	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,		\
			0, 0, 0, 0, 0, 0, 0, 2

/* DUID-LL, Ethernet, our MAC address */
static const uint8_t our_duid[] = { OUR_DUID };
/* DUID-LLT of a client */
static const uint8_t client_duid[] = { CLIENT_DUID };
static const uint8_t iaid[4] = { IAID };
static const uint8_t xid[3] = { 0xab, 0xcd, 0xef };

static const uint8_t domains_wire[] = {
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
	3, 's', 'u', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	3, 'n', 'e', 't', 0,
};

/* Datagram under test: UDP header, then the DHCPv6 message */
static uint8_t in_buf[8192] __attribute__((aligned(8)));
static size_t in_len;

static struct frame r;		/* What the guest received */
static const uint8_t *msg;	/* The DHCPv6 message in it */
static size_t msg_len;

/**
 * dhcpv6_setup() - Checked fixture: pasta context, pipe as tap device
 */
static void dhcpv6_setup(void)
{
	memset(in_buf, 0, sizeof(in_buf));
	in_len = 0;

	fixture_pasta_ip6();
	c.no_follow = true;	/* Infinite lifetimes: dhcpv6.sh checks others */
	strcpy(c.fqdn, "guest.example.org");
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

/* Parts of a message, in the order msg_start() appends them */
#define CID		(1U << 0)	/* The client's Client ID */
#define SID		(1U << 1)	/* Our Server ID */
#define ELAPSED		(1U << 2)	/* An Elapsed Time, which we ignore */
#define RAPID		(1U << 3)	/* A Rapid Commit */
#define IA		(1U << 4)	/* An IA_NA without addresses... */
#define IA_OURS		(1U << 5)	/* ...or with our address */

/**
 * put_ia_part() - Append the IA_NA, if any, of the parts of a message
 * @parts:	IA or IA_OURS for an IA_NA, other parts are ignored
 */
static void put_ia_part(unsigned int parts)
{
	if (parts & IA)
		put_ia_na(NULL, 0);
	if (parts & IA_OURS) {
		static const char *ours[] = { GUEST6 };

		put_ia_na(ours, 1);
	}
}

/**
 * msg_start() - Start a message: UDP header (length set on run), type, xid
 * @type:	Message type
 * @parts:	Options to append: CID, SID, ELAPSED, RAPID, IA or IA_OURS
 */
static void msg_start(uint8_t type, unsigned int parts)
{
	struct udphdr uh = { .source = htons(546), .dest = htons(547) };
	static const uint8_t zero[2];

	in_len = 0;
	put(&uh, sizeof(uh));
	put(&type, 1);
	put(xid, sizeof(xid));

	if (parts & CID)
		put_opt(OPT_CLIENTID, client_duid, sizeof(client_duid));
	if (parts & SID)
		put_opt(OPT_SERVERID, our_duid, sizeof(our_duid));
	if (parts & ELAPSED)
		put_opt(OPT_ELAPSED, zero, sizeof(zero));
	if (parts & RAPID)
		put_opt(OPT_RAPID, NULL, 0);
	put_ia_part(parts);
}

/**
 * run_from() - Call dhcpv6() on the datagram, from @src, UDP length @ulen
 * @src:	Source address, text
 * @ulen:	Value for the UDP length field, if the datagram has one
 *
 * Return: what dhcpv6() returns
 */
static int run_from(const char *src, size_t ulen)
{
	PACKET_POOL_P(pool, in_buf, sizeof(in_buf));
	struct in6_addr s = addr6(src), d = addr6(SERVERS);
	uint16_t l = htons((uint16_t)ulen);

	if (in_len >= sizeof(struct udphdr))
		memcpy(in_buf + offsetof(struct udphdr, len), &l, sizeof(l));
	ck_assert(packet_add(&pool, in_len, (const char *)in_buf));
	return dhcpv6(&c, &s, &d, &pool);
}

/**
 * run_len() - Call dhcpv6() on the datagram, UDP length @ulen
 * @ulen:	Value for the UDP length field
 *
 * Return: what dhcpv6() returns
 */
static int run_len(size_t ulen)
{
	return run_from(GUEST_LL6, ulen);
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
 * assert_reply() - Read one frame: DHCPv6 message @type to the client
 * @type:	Message type expected
 *
 * Checks addresses, ports, lengths, the UDP checksum and the transaction
 * ID; nothing else may have been sent.
 */
static void assert_reply(uint8_t type)
{
	struct in6_addr s = addr6(OUR_LL6), d = addr6(GUEST_LL6);

	ck_assert_uint_gt(guest_read(&r), 0);
	assert_eth(&r, guest_mac, our_mac, ETH_P_IPV6);
	assert_ip6(&r, &s, &d, IPPROTO_UDP);
	assert_udp(&r, 547, 546);
	ck_assert_uint_le(r.len - ETH_HLEN, MTU_MIN_IPV6);

	msg = r.l4 + sizeof(struct udphdr);
	msg_len = r.l4_len - sizeof(struct udphdr);
	ck_assert_uint_ge(msg_len, 4);
	ck_assert_uint_eq(msg[0], type);
	ck_assert_mem_eq(msg + 1, xid, sizeof(xid));

	assert_no_reply();
}

/**
 * exchange() - Run dhcpv6() on the message, which it must answer with @type
 * @type:	Message type expected in reply
 */
static void exchange(uint8_t type)
{
	ck_assert_int_eq(run(), 1);
	assert_reply(type);
}

/**
 * opt_find() - Find an option in a list of options of the reply
 * @start:	Offset of the list in @msg
 * @end:	End of the list
 * @code:	Option code
 * @nth:	Which one of that code, from 0
 * @len:	Set to the option data length
 *
 * Also checks that the whole list is well-formed.
 *
 * Return: offset of the option data in @msg, 0 if not there
 */
static size_t opt_find(size_t start, size_t end, uint16_t code,
		       unsigned int nth, size_t *len)
{
	return opt_walk(&opt_dhcpv6, msg, start, end, code, nth, len);
}

/**
 * opt() - Find a top-level option of the reply
 * @code:	Option code
 * @len:	Set to the option data length
 *
 * Return: offset of the option data in @msg, 0 if not there
 */
static size_t opt(uint16_t code, size_t *len)
{
	return opt_find(4, msg_len, code, 0, len);
}

/**
 * assert_opt() - The reply has option @code with exactly @data
 * @code:	Option code
 * @data:	Data expected
 * @len:	Length of @data
 */
static void assert_opt(uint16_t code, const void *data, size_t len)
{
	assert_opt_eq(&opt_dhcpv6, msg, 4, msg_len, code, data, len);
}

/**
 * assert_no_opt() - The reply has no option @code
 * @code:	Option code
 */
static void assert_no_opt(uint16_t code)
{
	assert_opt_absent(&opt_dhcpv6, msg, 4, msg_len, code);
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
	struct in6_addr dns[2] = { addr6(DNS6_1), addr6(DNS6_2) };

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
 * @len:	Set to the length of the IA_NA data
 *
 * Return: offset of the IA_NA data, for further checks
 */
static size_t assert_ia_na(unsigned int nth, size_t *len)
{
	uint8_t fixed[12], iaaddr[24];
	size_t off, alen, aoff;

	off = opt_find(4, msg_len, OPT_IA_NA, nth, len);
	ck_assert_msg(off, "IA_NA %u missing", nth);
	ck_assert_uint_ge(*len, 12);

	memcpy(fixed, iaid, 4);
	memset(fixed + 4, 0xff, 8);		/* T1, T2: infinite */
	ck_assert_mem_eq(msg + off, fixed, sizeof(fixed));

	aoff = opt_find(off + 12, off + *len, OPT_IAADDR, 0, &alen);
	ck_assert(aoff);
	ck_assert_uint_eq(alen, 24);
	iaaddr_expect(iaaddr, GUEST6, 0xffffffff);
	ck_assert_mem_eq(msg + aoff, iaaddr, sizeof(iaaddr));
	ck_assert(!opt_find(off + 12, off + *len, OPT_STATUS, 0, &alen));
	return off;
}

/**
 * assert_ia_na_only_ours() - The reply's first IA_NA holds our address, once
 */
static void assert_ia_na_only_ours(void)
{
	size_t len, alen, off = assert_ia_na(0, &len);

	ck_assert(!opt_find(off + 12, off + len, OPT_IAADDR, 1, &alen));
}

/**
 * assert_ia_na_no_addrs() - The reply's @nth IA_NA: no address, NoAddrsAvail
 * @nth:	Which IA_NA, from 0
 *
 * Return: offset of the IA_NA data, for further checks
 */
static size_t assert_ia_na_no_addrs(unsigned int nth)
{
	size_t off, len, soff, slen;

	off = opt_find(4, msg_len, OPT_IA_NA, nth, &len);
	ck_assert(off);
	ck_assert(!opt_find(off + 12, off + len, OPT_IAADDR, 0, &slen));
	soff = opt_find(off + 12, off + len, OPT_STATUS, 0, &slen);
	ck_assert(soff);
	ck_assert_uint_eq(msg[soff] << 8 | msg[soff + 1], 2);
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
	ck_assert_uint_eq(msg[off] << 8 | msg[off + 1], status);
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
	size_t len;

	msg_start(SOLICIT, CID | ELAPSED | IA);
	exchange(ADVERTISE);
	assert_ids();
	assert_ia_na(0, &len);
	assert_opt(OPT_PREFERENCE, &pref, 1);
	assert_config();
	assert_no_opt(OPT_RAPID);
	assert_no_opt(OPT_STATUS);
	assert_no_opt(OPT_FQDN);	/* Not asked for */
}
END_TEST

START_TEST(solicit_with_rapid_commit_gets_reply)
{
	size_t len;

	msg_start(SOLICIT, CID | RAPID | IA);
	exchange(REPLY);
	assert_ids();
	assert_ia_na(0, &len);
	assert_opt(OPT_RAPID, NULL, 0);
	assert_no_opt(OPT_PREFERENCE);
	assert_config();
}
END_TEST

START_TEST(solicit_with_hint_gets_our_address)
{
	static const char *hint[] = { "2001:db8::99" };

	msg_start(SOLICIT, CID);
	put_ia_na(hint, 1);
	exchange(ADVERTISE);
	assert_ia_na_only_ours();
}
END_TEST

START_TEST(solicit_with_two_ia_na)
{
	uint8_t second[4] = { 1, 2, 3, 4 };
	size_t len;

	msg_start(SOLICIT, CID | IA);
	put16(OPT_IA_NA);
	put16(12);
	put(second, 4);
	put32(0);
	put32(0);
	exchange(ADVERTISE);

	assert_ia_na(0, &len);
	ck_assert_mem_eq(msg + assert_ia_na_no_addrs(1), second, 4);
}
END_TEST

START_TEST(solicit_in_local_mode_gets_no_address)
{
	memset(&c.ip6.addr, 0, sizeof(c.ip6.addr));
	msg_start(SOLICIT, CID | RAPID | IA);

	/* RFC 8415, 18.3.1: Advertise, no IA, status NoAddrsAvail */
	exchange(ADVERTISE);
	assert_ids();
	assert_no_opt(OPT_IA_NA);
	assert_status(2);
	assert_config();
}
END_TEST

/* Request, Renew, Rebind */

START_TEST(request_gets_reply)
{
	msg_start(REQUEST, CID | SID | ELAPSED | IA_OURS);
	exchange(REPLY);
	assert_ids();
	assert_ia_na_only_ours();
	assert_config();
	assert_no_opt(OPT_PREFERENCE);
	assert_no_opt(OPT_RAPID);
}
END_TEST

START_TEST(request_for_other_address_gets_it_expired)
{
	static const char *addrs[] = { "2001:db8::99", GUEST6 };
	size_t off, len, aoff, alen;
	uint8_t expired[24];

	msg_start(REQUEST, CID | SID);
	put_ia_na(addrs, 2);
	exchange(REPLY);

	off = assert_ia_na(0, &len);
	aoff = opt_find(off + 12, off + len, OPT_IAADDR, 1, &alen);
	ck_assert(aoff);
	iaaddr_expect(expired, "2001:db8::99", 0);
	ck_assert_uint_eq(alen, sizeof(expired));
	ck_assert_mem_eq(msg + aoff, expired, sizeof(expired));
	ck_assert(!opt_find(off + 12, off + len, OPT_IAADDR, 2, &alen));
}
END_TEST

START_TEST(request_in_local_mode_gets_no_address)
{
	memset(&c.ip6.addr, 0, sizeof(c.ip6.addr));
	msg_start(REQUEST, CID | SID | IA);
	exchange(REPLY);
	assert_ia_na_no_addrs(0);
}
END_TEST

/**
 * struct bound_msg - A message from a client with an address
 * @type:	Message type
 * @parts:	Options msg_start() appends
 */
static const struct bound_msg {
	uint8_t type;
	unsigned int parts;
} renew_rebind[] = {
	/* Renew must name its server, Rebind must not */
	{ RENEW,	CID | SID | IA_OURS },
	{ REBIND,	CID | IA_OURS },
};

START_TEST(renew_and_rebind_get_reply)
{
	const struct bound_msg *t = &renew_rebind[_i];
	size_t len;

	msg_start(t->type, t->parts);
	exchange(REPLY);
	assert_ids();
	assert_ia_na(0, &len);
	assert_config();
}
END_TEST

/* Confirm */

/**
 * confirm() - Confirm our address and another one, get the status
 * @other:	The other address, text
 * @status:	Status code expected
 */
static void confirm(const char *other, uint16_t status)
{
	const char *addrs[] = { GUEST6, other };

	msg_start(CONFIRM, CID);
	put_ia_na(addrs, 2);
	exchange(REPLY);
	assert_ids();
	assert_status(status);
	assert_no_opt(OPT_IA_NA);
}

START_TEST(confirm_on_link_succeeds)
{
	confirm("2001:db8::abcd", 0);
}
END_TEST

START_TEST(confirm_off_link_fails)
{
	confirm("2001:db8:1::2", 4);
}
END_TEST

START_TEST(confirm_in_local_mode_fails)
{
	memset(&c.ip6.addr, 0, sizeof(c.ip6.addr));
	msg_start(CONFIRM, CID | IA_OURS);
	exchange(REPLY);
	assert_status(4);
}
END_TEST

/* Information-request, Release, Decline */

START_TEST(information_request_gets_reply_without_ia)
{
	msg_start(INFO_REQUEST, CID | ELAPSED);
	exchange(REPLY);
	assert_ids();
	assert_config();
	assert_no_opt(OPT_IA_NA);
	assert_no_opt(OPT_STATUS);
}
END_TEST

START_TEST(information_request_without_client_id)
{
	msg_start(INFO_REQUEST, 0);
	exchange(REPLY);
	assert_opt(OPT_SERVERID, our_duid, sizeof(our_duid));
	assert_no_opt(OPT_CLIENTID);
	assert_config();
}
END_TEST

START_TEST(information_request_for_us_answered)
{
	msg_start(INFO_REQUEST, CID | SID);
	exchange(REPLY);
	assert_config();
}
END_TEST

START_TEST(release_and_decline_get_success)
{
	static const uint8_t types[] = { RELEASE, DECLINE };
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		msg_start(types[i], CID | SID | IA_OURS);
		exchange(REPLY);
		assert_ids();
		assert_status(0);
		assert_no_opt(OPT_IA_NA);
		assert_no_opt(OPT_DNS);
	}
}
END_TEST

/* Configuration options */

static const uint8_t oro_fqdn[] = { 0, OPT_FQDN };
static const uint8_t oro_all[] = { 0, OPT_DNS, 0, OPT_DOMAINS, 0, OPT_FQDN };

/**
 * put_fqdn_opts() - Append an Option Request, a Client FQDN, or both
 * @oro:	Option Request data, NULL for none
 * @oro_len:	Length of @oro
 * @flags:	Flags of the Client FQDN option, -1 for none
 */
static void put_fqdn_opts(const uint8_t *oro, size_t oro_len, int flags)
{
	if (oro)
		put_opt(OPT_ORO, oro, oro_len);
	if (flags >= 0) {
		uint8_t client_fqdn[] = { (uint8_t)flags, 2, 'm', 'e', 0 };

		put_opt(OPT_FQDN, client_fqdn, sizeof(client_fqdn));
	}
}

START_TEST(fqdn_sent_when_asked_for)
{
	uint8_t fqdn[] = {
		0x06,		/* N: no updates; O: overrode client's S */
		5, 'g', 'u', 'e', 's', 't', 7, 'e', 'x', 'a', 'm', 'p', 'l',
		'e', 3, 'o', 'r', 'g', 0,
	};

	msg_start(SOLICIT, CID);
	put_fqdn_opts(oro_all, sizeof(oro_all), 0x01);
	put_ia_na(NULL, 0);
	exchange(ADVERTISE);
	assert_opt(OPT_FQDN, fqdn, sizeof(fqdn));

	/* Client leaves updates to itself (S clear): no override */
	msg_start(REQUEST, CID | SID);
	put_fqdn_opts(oro_all, sizeof(oro_all), 0);
	put_ia_na(NULL, 0);
	exchange(REPLY);
	fqdn[0] = 0x04;
	assert_opt(OPT_FQDN, fqdn, sizeof(fqdn));
}
END_TEST

START_TEST(fqdn_not_sent_unless_sent_and_requested)
{
	/* Requested, but the client sent no FQDN option */
	msg_start(SOLICIT, CID);
	put_fqdn_opts(oro_fqdn, sizeof(oro_fqdn), -1);
	exchange(ADVERTISE);
	assert_no_opt(OPT_FQDN);

	/* Sent, not requested */
	msg_start(SOLICIT, CID);
	put_fqdn_opts(NULL, 0, 0x01);
	exchange(ADVERTISE);
	assert_no_opt(OPT_FQDN);

	/* Both, but no name configured */
	*c.fqdn = 0;
	msg_start(SOLICIT, CID);
	put_fqdn_opts(oro_fqdn, sizeof(oro_fqdn), 0x01);
	exchange(ADVERTISE);
	assert_no_opt(OPT_FQDN);
}
END_TEST

START_TEST(dns_options_follow_switches)
{
	c.no_dhcp_dns = true;
	c.no_dhcp_dns_search = true;
	msg_start(INFO_REQUEST, CID);
	exchange(REPLY);
	assert_no_opt(OPT_DNS);
	assert_no_opt(OPT_DOMAINS);

	/* Nothing configured: same */
	c.no_dhcp_dns = false;
	c.no_dhcp_dns_search = false;
	memset(c.ip6.dns, 0, sizeof(c.ip6.dns));
	memset(c.dns_search, 0, sizeof(c.dns_search));
	msg_start(INFO_REQUEST, CID);
	exchange(REPLY);
	assert_no_opt(OPT_DNS);
	assert_no_opt(OPT_DOMAINS);
}
END_TEST

START_TEST(reply_stays_within_minimum_mtu)
{
	struct in6_addr dns[2] = { addr6(DNS6_1), addr6(DNS6_2) };
	uint8_t long_duid[130];
	size_t i, len, off;

	for (i = 0; i < MAXDNSRCH; i++) {
		memset(c.dns_search[i], 0, sizeof(c.dns_search[i]));
		memset(c.dns_search[i], 'a' + (int)i, 253);
		c.dns_search[i][60] = c.dns_search[i][120] = '.';
		c.dns_search[i][180] = c.dns_search[i][240] = '.';
	}
	memset(long_duid, 0x42, sizeof(long_duid));

	msg_start(SOLICIT, 0);
	put_opt(OPT_CLIENTID, long_duid, sizeof(long_duid));
	put_ia_na(NULL, 0);
	exchange(ADVERTISE);
	assert_opt(OPT_CLIENTID, long_duid, sizeof(long_duid));
	assert_ia_na(0, &len);
	assert_opt(OPT_DNS, dns, sizeof(dns));

	/* Not every search domain fits: the first ones do, whole */
	off = opt(OPT_DOMAINS, &len);
	ck_assert(off);
	ck_assert_uint_ge(len, 255);
	ck_assert_uint_lt(len, MAXDNSRCH * 255);
	ck_assert_uint_eq(len % 255, 0);
	for (i = 0; i < len / 255; i++) {
		ck_assert_uint_eq(msg[off + i * 255], 60);
		ck_assert_uint_eq(msg[off + i * 255 + 1], 'a' + i);
		ck_assert_uint_eq(msg[off + i * 255 + 254], 0);
	}
}
END_TEST

/* Messages dropped without an answer */

/**
 * struct msg_case - A message from the client
 * @type:	Message type
 * @parts:	Options msg_start() appends, an IA_NA last of all
 * @raw:	Options appended as they are, before the IA_NA
 * @raw_len:	Length of @raw
 * @what:	What the case is about, for messages
 */
struct msg_case {
	uint8_t type;
	unsigned int parts;
	const uint8_t *raw;
	size_t raw_len;
	const char *what;
};

#define RAW(...)	(const uint8_t []){ __VA_ARGS__ },		\
			sizeof((const uint8_t []){ __VA_ARGS__ })
#define NONE		NULL, 0

/* IA_NA header, @len bytes of data, T1 and T2 zero */
#define IA_NA_HDR(len)	0, OPT_IA_NA, 0, (len), IAID, 0, 0, 0, 0, 0, 0, 0, 0
/* Elapsed Time, zero */
#define ELAPSED_OPT	0, OPT_ELAPSED, 0, 2, 0, 0

static const struct msg_case msg_dropped[] = {
	/* RFC 8415, 16: what a server must discard */
	{ SOLICIT,	IA,			NONE, "Solicit, no Client ID" },
	{ SOLICIT,	CID | SID | IA,		NONE, "Solicit, Server ID" },
	{ REQUEST,	CID | IA,		NONE, "Request, no Server ID" },
	{ REQUEST,	SID | IA,		NONE, "Request, no Client ID" },
	{ REQUEST,	CID | IA, RAW(0, OPT_SERVERID, 0, 10, OTHER_DUID),
	  "Request for another server" },
	{ REQUEST,	CID | IA, RAW(0, OPT_SERVERID, 0, 11, OUR_DUID, 0),
	  "Request, our DUID with a trailing byte" },
	{ RENEW,	CID | IA_OURS,		NONE, "Renew, no Server ID" },
	{ REBIND,	CID | SID | IA_OURS,	NONE, "Rebind, Server ID" },
	{ CONFIRM,	CID | IA,		NONE, "Confirm, no address" },
	{ CONFIRM,	CID | SID | IA_OURS,	NONE, "Confirm, Server ID" },
	{ INFO_REQUEST,	CID, RAW(0, OPT_SERVERID, 0, 10, OTHER_DUID),
	  "Information-request for another server" },
	{ INFO_REQUEST,	CID | IA,		NONE,
	  "Information-request, IA_NA" },
	{ INFO_REQUEST,	CID, RAW(0, OPT_IA_PD, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0,
				 0, 0, 0, 0),	"Information-request, IA_PD" },
	{ INFO_REQUEST,	CID, RAW(0, OPT_IA_TA, 0, 4, 0, 0, 0, 0),
	  "Information-request, IA_TA" },
	{ RELEASE,	CID | IA_OURS,		NONE, "Release, no Server ID" },
	{ DECLINE,	CID | IA_OURS,		NONE, "Decline, no Server ID" },

	/* Server and relay messages */
	{ ADVERTISE,	CID | SID,		NONE, "Advertise" },
	{ REPLY,	CID | SID,		NONE, "Reply" },
	{ 10,		CID | SID,		NONE, "Reconfigure" },
	{ RELAY_FORW,	CID | SID,		NONE, "Relay-forward" },
	{ 13,		CID | SID,		NONE, "Relay-reply" },
	{ 0,		CID | SID,		NONE, "type 0" },
	{ 255,		CID | SID,		NONE, "type 255" },

	/* Options running past the end */
	{ SOLICIT,	CID, RAW(0, OPT_ELAPSED, 0, 3, 0, 0),
	  "option past the end" },
	{ SOLICIT,	0, RAW(0, OPT_CLIENTID, 0, 15, CLIENT_DUID),
	  "Client ID past the end" },
	{ SOLICIT,	CID, RAW(0, OPT_IA_NA, 0xff, 0xff, IAID),
	  "largest length possible" },

	/* Nested options running past what contains them: the rest of the
	 * message is there, but belongs to another option
	 */
	{ SOLICIT,	CID, RAW(IA_NA_HDR(12 + 4 + 20),
				 0, OPT_IAADDR, 0, 24, GUEST_BYTES, 0, 0, 0, 0,
				 ELAPSED_OPT),
	  "IA Address past its IA_NA" },
	{ SOLICIT,	CID, RAW(IA_NA_HDR(12 + 2), 0, OPT_IAADDR, ELAPSED_OPT),
	  "option header cut by its IA_NA" },
	{ REQUEST,	CID | SID, RAW(IA_NA_HDR(12 + 4 + 24 + 4),
				       0, OPT_IAADDR, 0, 24 + 4, GUEST_BYTES,
				       0, 0, 0, 0, 0, 0, 0, 0,
				       0, OPT_STATUS, 0, 2, ELAPSED_OPT),
	  "option past its IA Address" },

	/* Impossible lengths */
	{ SOLICIT,	CID, RAW(0, OPT_IA_NA, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0,
				 0, 0, 0),	"IA_NA too short" },
	{ SOLICIT,	CID, RAW(IA_NA_HDR(12 + 4 + 20),
				 0, OPT_IAADDR, 0, 20, GUEST_BYTES, 0, 0, 0, 0),
	  "IA Address shorter than address and lifetimes" },
	{ SOLICIT,	CID, RAW(0, OPT_IA_PD, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0,
				 0, 0, 0),	"IA_PD too short" },
	{ SOLICIT,	CID, RAW(0, OPT_IA_TA, 0, 3, 0, 0, 0),
	  "IA_TA too short" },
	{ SOLICIT,	0, RAW(0, OPT_CLIENTID, 0, 0),	"empty Client ID" },
	{ SOLICIT,	CID, RAW(0, OPT_CLIENTID, 0, 14, CLIENT_DUID),
	  "Client ID twice" },
	{ REQUEST,	CID | SID, RAW(0, OPT_SERVERID, 0, 10, OUR_DUID),
	  "Server ID twice" },
	{ SOLICIT,	CID, RAW(0, OPT_ORO, 0, 3, 0, OPT_DNS, 0),
	  "odd Option Request" },
};

START_TEST(msg_dropped_silently)
{
	const struct msg_case *t = &msg_dropped[_i];

	msg_start(t->type, t->parts & ~(IA | IA_OURS));
	put(t->raw, t->raw_len);
	put_ia_part(t->parts);
	ck_assert_msg(!run(), "%s answered", t->what);
	assert_no_reply();
}
END_TEST

START_TEST(overlong_client_id_dropped)
{
	uint8_t duid[131] = { 0, 4 };	/* Longer than a DUID can be */

	msg_start(SOLICIT, 0);
	put_opt(OPT_CLIENTID, duid, sizeof(duid));
	ck_assert_int_eq(run(), 0);
	assert_no_reply();
}
END_TEST

START_TEST(truncated_message_dropped)
{
	size_t len, full;

	msg_start(SOLICIT, CID | IA);
	full = in_len;

	/* Every length short of the full message, but those ending right
	 * after a whole option
	 */
	for (len = 0; len < full; len++) {
		size_t ids = sizeof(struct udphdr) + 4;

		if (len == ids + 4 + sizeof(client_duid))
			continue;	/* Just Client ID: valid Solicit */
		in_len = len;
		ck_assert_msg(!run(), "%zu of %zu bytes answered", len, full);
	}
	assert_no_reply();
}
END_TEST

START_TEST(udp_length_checked)
{
	size_t len;

	msg_start(SOLICIT, CID | IA);

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
	assert_ia_na(0, &len);
}
END_TEST

START_TEST(from_unspecified_or_multicast_dropped)
{
	msg_start(SOLICIT, CID);
	ck_assert_int_eq(run_from("::", in_len), 0);
	ck_assert_int_eq(run_from("ff02::1", in_len), 0);
	assert_no_reply();
}
END_TEST

/* The whole path */

START_TEST(solicit_through_tap_handler)
{
	static const uint8_t servers_mac[ETH_ALEN] = { 0x33, 0x33,
						       0x00, 0x01, 0x00, 0x02 };
	static uint8_t frame[2048] __attribute__((aligned(8)));
	PACKET_POOL_P(pool, frame, sizeof(frame));
	struct in6_addr s = addr6(GUEST_LL6), d = addr6(SERVERS);
	uint16_t l;
	size_t len;

	msg_start(SOLICIT, CID | RAPID | IA);
	l = htons((uint16_t)in_len);
	memcpy(in_buf + offsetof(struct udphdr, len), &l, sizeof(l));

	len = eth_put(frame, servers_mac, guest_mac, ETH_P_IPV6);
	len += ip6_put(frame + len, &s, &d, IPPROTO_UDP, 1, in_len);
	memcpy(frame + len, in_buf, in_len);
	ck_assert(packet_add(&pool, len + in_len, (const char *)frame));

	dispatch_frames(&c, &pool, NULL);
	assert_reply(REPLY);
	assert_ids();
	assert_ia_na(0, &len);
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
	TCase *tc;

	unit_tcase(s, "names", NULL, NULL, TESTS(
		name_encoding, name_encoding_refuses_bad_names));

	tc = unit_tcase(s, "messages", dhcpv6_setup, fixture_teardown, TESTS(
		solicit_gets_advertise, solicit_with_rapid_commit_gets_reply,
		solicit_with_hint_gets_our_address, solicit_with_two_ia_na,
		solicit_in_local_mode_gets_no_address, request_gets_reply,
		request_for_other_address_gets_it_expired,
		request_in_local_mode_gets_no_address,
		confirm_on_link_succeeds, confirm_off_link_fails,
		confirm_in_local_mode_fails,
		information_request_gets_reply_without_ia,
		information_request_without_client_id,
		information_request_for_us_answered,
		release_and_decline_get_success, fqdn_sent_when_asked_for,
		fqdn_not_sent_unless_sent_and_requested,
		dns_options_follow_switches, reply_stays_within_minimum_mtu,
		solicit_through_tap_handler));
	UNIT_LOOP(tc, renew_and_rebind_get_reply, renew_rebind);

	tc = unit_tcase(s, "dropped", dhcpv6_setup, fixture_teardown, TESTS(
		overlong_client_id_dropped, truncated_message_dropped,
		udp_length_checked, from_unspecified_or_multicast_dropped));
	UNIT_LOOP(tc, msg_dropped_silently, msg_dropped);

	return s;
}

int main(void)
{
	return unit_run(dhcpv6_suite());
}
