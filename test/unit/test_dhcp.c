// SPDX-License-Identifier: GPL-2.0-or-later
/* test_dhcp.c - DHCP and BOOTP server: replies, options, hostile requests
 *
 * Each test writes a request the way tap.c hands it to dhcp(): one packet
 * in a pool, the UDP header first, then the BOOTP header, the magic cookie
 * and options. The context is a pasta one whose tap is the write end of a
 * pipe, so a reply comes out of the other end as a whole Ethernet frame
 * after tap_flush(). The reply is parsed here independently of dhcp.c:
 * Ethernet, IPv4 and UDP headers (with checksums), the BOOTP header, and
 * the options, pieces of a split option concatenated (RFC 3396), END
 * required. Option values are compared byte for byte.
 *
 * Malformed requests must be dropped without a reply and without reading
 * outside the packet; run this under valgrind (CK_FORK=no) to check the
 * latter. Most of them are rows of two tables, bad_opts[] and bad_hdrs[].
 */

#include <arpa/inet.h>
#include <check.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcp.h"
#include "packet.h"
#include "passt.h"
#include "dispatch.h"
#include "tap.h"
#include "util.h"
#include "unit.h"

#include "fixture.h"

/* BOOTP/DHCP message up to the options, row by row as RFC 2131, figure 1
 * draws it; then the magic cookie
 */
struct bootp {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16], sname[64], file[128];
	uint8_t cookie[4];
} __attribute__((packed));

#define UDP_HLEN	sizeof(struct udphdr)
#define OPTS_OFF	(UDP_HLEN + sizeof(struct bootp))

enum {
	DISCOVER = 1, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM,
};

static const uint8_t cookie[4] = { 99, 130, 83, 99 };

#define GUEST	"192.0.2.2"
#define GW	"192.0.2.1"
#define DNS1	"192.0.2.53"
#define DNS2	"198.51.100.53"
#define XID	0x1badcafe

static uint8_t req[8192];	/* The request: UDP header, then DHCP */
static size_t req_len;

static struct frame f;		/* The reply */

/**
 * struct reply - The DHCP message of the reply, options gathered
 * @b:		BOOTP header, in @f
 * @dhcp_len:	Length of the DHCP message
 * @count:	Pieces of each option
 * @olen:	Total length of each option, pieces concatenated
 * @val:	Value of each option, pieces concatenated
 */
static struct reply {
	const struct bootp *b;
	size_t dhcp_len;
	unsigned int count[256];
	size_t olen[256];
	uint8_t val[256][2048];
} rp;

/**
 * setup() - Checked fixture: pasta context with a full configuration
 */
static void setup(void)
{
	fixture_pasta();
	c.no_follow = true;	/* Infinite leases: see request_lease_following */
	c.dhcp_lease = DHCP_LEASE_DEFAULT;
	c.ifi4 = 1;
	c.ip4.addr.s_addr = addr4(GUEST);
	c.ip4.prefix_len = 24;
	c.ip4.gw.s_addr = addr4(GW);
	c.ip4.our_tap_addr = c.ip4.gw;
	c.ip4.dns[0].s_addr = addr4(DNS1);
	c.ip4.dns[1].s_addr = addr4(DNS2);
	strcpy(c.dns_search[0], "example.com");
	strcpy(c.dns_search[1], "sub.example.com");
	strcpy(c.hostname, "guest");
	strcpy(c.fqdn, "guest.example.com");
	c.mtu = 65520;
}

/**
 * req_start() - Start a request from the guest's MAC address
 * @type:	Message type for option 53, 0 for plain BOOTP
 *
 * Return: the BOOTP header, for changes
 */
static struct bootp *req_start(uint8_t type)
{
	struct udphdr *uh = (struct udphdr *)req;
	struct bootp *b = (struct bootp *)(req + UDP_HLEN);

	memset(req, 0, sizeof(req));
	uh->source = htons(68);
	uh->dest = htons(67);
	b->op = 1;
	b->htype = 1;
	b->hlen = ETH_ALEN;
	b->xid = htonl(XID);
	memcpy(b->chaddr, guest_mac, ETH_ALEN);
	memcpy(b->cookie, cookie, sizeof(cookie));
	req_len = OPTS_OFF;

	if (type) {
		req[req_len++] = 53;
		req[req_len++] = 1;
		req[req_len++] = type;
	}
	return b;
}

/**
 * req_bytes() - Append raw bytes to the request
 * @b:		Bytes
 * @len:	How many
 */
static void req_bytes(const void *b, size_t len)
{
	ck_assert_uint_le(req_len + len, sizeof(req));
	if (len)
		memcpy(req + req_len, b, len);
	req_len += len;
}

/**
 * req_opt() - Append an option to the request
 * @code:	Option code
 * @len:	Length
 * @val:	Value
 */
static void req_opt(uint8_t code, uint8_t len, const void *val)
{
	uint8_t hdr[2] = { code, len };

	req_bytes(hdr, sizeof(hdr));
	req_bytes(val, len);
}

/**
 * req_addr_opt() - Append an option holding an IPv4 address
 * @code:	Option code
 * @a:		Address, dotted
 */
static void req_addr_opt(uint8_t code, const char *a)
{
	in_addr_t v = addr4(a);

	req_opt(code, 4, &v);
}

/**
 * req_end() - Append the END option
 */
static void req_end(void)
{
	req[req_len++] = 255;
}

/**
 * run_len() - Hand the first @len bytes of the request to dhcp()
 * @len:	Length of the packet in the pool
 * @udp_len:	Value of the UDP length field
 *
 * Return: what dhcp() returns
 */
static int run_len(size_t len, size_t udp_len)
{
	struct udphdr *uh = (struct udphdr *)req;
	PACKET_POOL_P(pool, NULL, 0);
	char *pkt;
	int rc;

	/* Exactly @len bytes on the heap: valgrind sees any overread */
	uh->len = htons((uint16_t)udp_len);
	pkt = malloc(len);
	ck_assert_ptr_nonnull(pkt);
	memcpy(pkt, req, len);
	pool.buf = pkt;
	pool.buf_size = len;

	ck_assert(packet_add(&pool, len, pkt));
	rc = dhcp(&c, &pool);
	free(pkt);
	return rc;
}

/**
 * run() - Hand the request as built to dhcp()
 *
 * Return: what dhcp() returns
 */
static int run(void)
{
	return run_len(req_len, req_len);
}

/**
 * assert_dropped_why() - Request refused: 0 returned, no reply, counted
 * @rc:		What dhcp() returned
 * @why:	What is wrong with the request, for messages
 */
static void assert_dropped_why(int rc, const char *why)
{
	ck_assert_msg(rc == 0, "%s: request taken", why);
	assert_no_reply();
	ck_assert_uint_eq(tap_stats.dropped_in, 1);
}

/**
 * assert_dropped() - Request refused: 0 returned, no reply, counted
 * @rc:		What dhcp() returned
 */
static void assert_dropped(int rc)
{
	ck_assert_int_eq(rc, 0);
	assert_no_reply();
	ck_assert_uint_eq(tap_stats.dropped_in, 1);
}

/**
 * get_reply() - Read exactly one reply and parse it into @f and @rp
 */
static void get_reply(void)
{
	const uint8_t *opts, *end;
	size_t off;

	memset(rp.count, 0, sizeof(rp.count));
	memset(rp.olen, 0, sizeof(rp.olen));
	ck_assert_uint_gt(guest_read(&f), 0);
	assert_no_reply();

	assert_eth(&f, NULL, our_mac, ETH_P_IP);
	ck_assert_uint_eq(f.ip4.saddr, c.ip4.our_tap_addr.s_addr);
	assert_udp(&f, 67, 0);
	ck_assert_uint_ge(f.l4_len, UDP_HLEN + sizeof(struct bootp) + 1);

	rp.b = (const struct bootp *)(f.l4 + UDP_HLEN);
	rp.dhcp_len = f.l4_len - UDP_HLEN;
	ck_assert_uint_eq(rp.b->op, 2);
	ck_assert_uint_eq(rp.b->htype, 1);
	ck_assert_uint_eq(rp.b->hlen, ETH_ALEN);
	ck_assert_uint_eq(rp.b->hops, 0);
	ck_assert_uint_eq(ntohl(rp.b->xid), XID);
	ck_assert_mem_eq(rp.b->cookie, cookie, sizeof(cookie));

	/* Options, END required, pieces of one option concatenated */
	opts = (const uint8_t *)(rp.b + 1);
	end = (const uint8_t *)rp.b + rp.dhcp_len;
	for (off = 0; ; ) {
		uint8_t code, len;

		ck_assert(opts + off < end);
		code = opts[off++];
		if (code == 0)
			continue;
		if (code == 255)
			break;
		ck_assert(opts + off < end);
		len = opts[off++];
		ck_assert(opts + off + len <= end);
		ck_assert_uint_le(rp.olen[code] + len, sizeof(rp.val[code]));
		memcpy(rp.val[code] + rp.olen[code], opts + off, len);
		rp.olen[code] += len;
		rp.count[code]++;
		off += len;
	}
}

/**
 * exchange() - End the request, dhcp() takes it, read the reply into @rp
 */
static void exchange(void)
{
	req_end();
	ck_assert_int_eq(run(), 1);
	get_reply();
}

/**
 * exchange_bound() - Exchange for a guest using its address already
 * @type:	Message type of the request, which has ciaddr set
 */
static void exchange_bound(uint8_t type)
{
	struct bootp *b = req_start(type);

	b->ciaddr = addr4(GUEST);
	exchange();
}

/**
 * exchange_unanswered() - End the request, dhcp() takes it, no reply
 */
static void exchange_unanswered(void)
{
	req_end();
	ck_assert_int_eq(run(), 1);
	assert_no_reply();
}

/**
 * tot_len() - IPv4 total length of the reply
 *
 * Return: total length, host order
 */
static size_t tot_len(void)
{
	return ntohs(f.ip4.tot_len);
}

/**
 * has_opt() - Check whether the reply has an option
 * @code:	Option code
 *
 * Return: true if present
 */
static bool has_opt(uint8_t code)
{
	return rp.count[code] > 0;
}

/* A list of option codes, for assert_opts() */
#define OPTS(...)	((const uint8_t []){ __VA_ARGS__, 0 })

/**
 * assert_opts() - The reply has, or hasn't, each of some options
 * @present:	Whether the options must be there
 * @codes:	Option codes, 0-terminated
 */
static void assert_opts(bool present, const uint8_t *codes)
{
	for (; *codes; codes++) {
		ck_assert_msg(has_opt(*codes) == present, "option %u %s",
			      *codes, present ? "missing" : "present");
	}
}

/**
 * assert_opt() - The reply has option @code with exactly this value
 * @code:	Option code
 * @val:	Expected value
 * @len:	Its length
 */
static void assert_opt(uint8_t code, const void *val, size_t len)
{
	ck_assert_msg(has_opt(code), "option %u missing", code);
	ck_assert_uint_eq(rp.olen[code], len);
	ck_assert_mem_eq(rp.val[code], val, len);
}

/**
 * assert_opt_addr() - The reply has option @code holding one address
 * @code:	Option code
 * @a:		Address, dotted
 */
static void assert_opt_addr(uint8_t code, const char *a)
{
	in_addr_t v = addr4(a);

	assert_opt(code, &v, 4);
}

/**
 * assert_type() - The reply has message type @type
 * @type:	Expected type
 */
static void assert_type(uint8_t type)
{
	assert_opt(53, &type, 1);
}

/**
 * assert_dst() - The reply went to this IP and MAC address, this port
 * @ip:		Destination address, dotted
 * @mac:	Destination MAC address
 * @port:	Destination port
 */
static void assert_dst(const char *ip, const uint8_t *mac, uint16_t port)
{
	ck_assert_uint_eq(f.ip4.daddr, addr4(ip));
	ck_assert_mem_eq(f.eh.h_dest, mac, ETH_ALEN);
	assert_udp(&f, 67, port);
}

/**
 * assert_reply_to() - The reply has message type @type, went to this
 *		       IP and MAC address, this port
 * @type:	Expected type
 * @ip:		Destination address, dotted
 * @mac:	Destination MAC address
 * @port:	Destination port
 */
static void assert_reply_to(uint8_t type, const char *ip, const uint8_t *mac,
			    uint16_t port)
{
	assert_type(type);
	assert_dst(ip, mac, port);
}

/**
 * assert_addrs() - The reply's "your" (yiaddr) and client (ciaddr) address
 * @yiaddr:	Expected yiaddr, network order
 * @ciaddr:	Expected ciaddr, network order
 */
static void assert_addrs(in_addr_t yiaddr, in_addr_t ciaddr)
{
	ck_assert_uint_eq(rp.b->yiaddr, yiaddr);
	ck_assert_uint_eq(rp.b->ciaddr, ciaddr);
}

/* Expected option values for the configuration of setup() */
static const uint8_t search_wire[] = {
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	3, 's', 'u', 'b', 0xc0, 0x00,
};
static const uint8_t fqdn_wire[] = {
	0x0c, 255, 255,		/* E and N set, RCODE1 and RCODE2 255 */
	5, 'g', 'u', 'e', 's', 't',
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
};
static const uint8_t lease_infinite[] = { 0xff, 0xff, 0xff, 0xff };
static const uint8_t mtu_65520[] = { 0xff, 0xf0 };
static const uint8_t mask_24[] = { 255, 255, 255, 0 };

/**
 * assert_config_opts() - The reply configures the guest as setup() says
 */
static void assert_config_opts(void)
{
	in_addr_t dns[2] = { addr4(DNS1), addr4(DNS2) };

	assert_opt(1, mask_24, sizeof(mask_24));
	assert_opt_addr(3, GW);
	assert_opt(6, dns, sizeof(dns));
	assert_opt(12, "guest", 5);
	assert_opt(15, "example.com", 11);
	assert_opt(26, mtu_65520, sizeof(mtu_65520));
	assert_opt(81, fqdn_wire, sizeof(fqdn_wire));
	assert_opt(119, search_wire, sizeof(search_wire));
	ck_assert(!has_opt(121));	/* Gateway inside the subnet */
}

/**
 * assert_leased() - The reply leases the address for good, configures all
 */
static void assert_leased(void)
{
	assert_opt(51, lease_infinite, 4);
	assert_config_opts();
}

/* Replies */

START_TEST(discover_gets_offer)
{
	req_start(DISCOVER);
	exchange();

	assert_reply_to(OFFER, GUEST, guest_mac, 68);
	assert_addrs(addr4(GUEST), 0);
	ck_assert_uint_eq(rp.b->siaddr, 0);
	ck_assert_uint_eq(rp.b->giaddr, 0);
	ck_assert_uint_eq(rp.b->flags, 0);
	ck_assert_mem_eq(rp.b->chaddr, guest_mac, ETH_ALEN);

	assert_opt_addr(54, GW);
	assert_leased();
	assert_opts(false, OPTS(61, 80));

	/* Fits the default maximum size, padded to a full BOOTP message */
	ck_assert_uint_le(tot_len(), 576);
	ck_assert_uint_ge(rp.dhcp_len, 300);
}
END_TEST

START_TEST(discover_through_tap_handler)
{
	static uint8_t frame[2048] __attribute__((aligned(8)));
	PACKET_POOL_P(pool, frame, sizeof(frame));
	uint8_t *p = frame + 2;	/* IP header aligned, as in tap.c */
	size_t len;

	req_start(DISCOVER);
	req_end();
	((struct udphdr *)req)->len = htons((uint16_t)req_len);

	len = eth_put(p, bcast_mac, guest_mac, ETH_P_IP);
	len += ip4_put(p + len, INADDR_ANY, htonl(INADDR_BROADCAST),
		       IPPROTO_UDP, req_len);
	memcpy(p + len, req, req_len);
	memset(c.guest_mac, 0, ETH_ALEN);	/* Learnt from this frame */

	ck_assert(packet_add(&pool, len + req_len, (char *)p));
	dispatch_frames(&c, &pool, NULL);
	get_reply();
	assert_reply_to(OFFER, GUEST, guest_mac, 68);
}
END_TEST

START_TEST(request_selecting_gets_ack)
{
	req_start(REQUEST);
	req_addr_opt(50, GUEST);
	req_addr_opt(54, GW);
	c.ip4.addr_seen.s_addr = 0;
	exchange();

	assert_reply_to(ACK, GUEST, guest_mac, 68);
	assert_addrs(addr4(GUEST), 0);
	assert_opt_addr(54, GW);
	assert_leased();
	ck_assert_uint_eq(c.ip4.addr_seen.s_addr, addr4(GUEST));
}
END_TEST

START_TEST(request_init_reboot_gets_ack)
{
	req_start(REQUEST);
	req_addr_opt(50, GUEST);
	exchange();
	assert_type(ACK);
	ck_assert_uint_eq(rp.b->yiaddr, addr4(GUEST));
}
END_TEST

START_TEST(request_renewing_acked_to_ciaddr)
{
	exchange_bound(REQUEST);
	assert_reply_to(ACK, GUEST, guest_mac, 68);
	assert_addrs(addr4(GUEST), addr4(GUEST));
	assert_opt(51, lease_infinite, 4);
}
END_TEST

START_TEST(request_lease_following)
{
	static const uint8_t lease_120[] = { 0, 0, 0, 120 };

	c.no_follow = false;
	exchange_bound(REQUEST);
	assert_reply_to(ACK, GUEST, guest_mac, 68);
	assert_opt(51, lease_120, 4);
}
END_TEST

START_TEST(request_wrong_address_gets_nak)
{
	static const uint8_t client_id[] = { 1, 0x52, 0x54, 0, 0x12, 0x34,
					     0x56 };

	req_start(REQUEST);
	req_addr_opt(50, "192.0.2.99");
	req_addr_opt(54, GW);
	req_opt(61, sizeof(client_id), client_id);
	c.ip4.addr_seen.s_addr = 0;
	exchange();

	assert_reply_to(NAK, "255.255.255.255", bcast_mac, 68);
	assert_addrs(0, 0);
	assert_opt_addr(54, GW);
	assert_opt(61, client_id, sizeof(client_id));
	/* Nothing else of the configuration, RFC 2131 table 3 */
	assert_opts(false, OPTS(51, 1, 3, 6));
	ck_assert_uint_eq(c.ip4.addr_seen.s_addr, 0);
}
END_TEST

START_TEST(request_for_other_server_unanswered)
{
	req_start(REQUEST);
	req_addr_opt(50, GUEST);
	req_addr_opt(54, "192.0.2.200");
	exchange_unanswered();
}
END_TEST

START_TEST(inform_gets_ack_without_lease)
{
	exchange_bound(INFORM);

	assert_reply_to(ACK, GUEST, guest_mac, 68);
	assert_addrs(0, addr4(GUEST));
	assert_opt_addr(54, GW);
	ck_assert(!has_opt(51));
	assert_config_opts();
}
END_TEST

START_TEST(rapid_commit_gets_ack)
{
	req_start(DISCOVER);
	req_opt(80, 0, NULL);
	c.ip4.addr_seen.s_addr = 0;
	exchange();

	assert_type(ACK);
	assert_opt(80, "", 0);
	ck_assert_uint_eq(rp.b->yiaddr, addr4(GUEST));
	assert_leased();
	ck_assert_uint_eq(c.ip4.addr_seen.s_addr, addr4(GUEST));
}
END_TEST

START_TEST(rapid_commit_on_request_not_echoed)
{
	req_start(REQUEST);
	req_addr_opt(50, GUEST);
	req_opt(80, 0, NULL);
	exchange();
	assert_type(ACK);
	ck_assert(!has_opt(80));
}
END_TEST

START_TEST(bootp_gets_bootreply)
{
	in_addr_t dns[2] = { addr4(DNS1), addr4(DNS2) };

	req_start(0);
	c.ip4.addr_seen.s_addr = 0;
	exchange();

	ck_assert_uint_eq(rp.b->yiaddr, addr4(GUEST));
	assert_dst(GUEST, guest_mac, 68);
	assert_opts(false, OPTS(53, 54, 51));
	assert_opt(1, mask_24, sizeof(mask_24));
	assert_opt_addr(3, GW);
	assert_opt(6, dns, sizeof(dns));
	/* RFC 951: 64 bytes of vendor area, no more */
	ck_assert_uint_eq(rp.dhcp_len, 300);
	ck_assert_uint_eq(c.ip4.addr_seen.s_addr, addr4(GUEST));
}
END_TEST

/**
 * struct dst_case - A request, and where the reply to it must go
 * @type:	Message type of the request
 * @ciaddr:	Client address in the request, dotted, NULL for none
 * @giaddr:	Relay agent address in the request, dotted, NULL for none
 * @reqaddr:	Requested address (option 50), dotted, NULL for none
 * @bflag:	Broadcast flag set in the request
 * @reply:	Message type of the reply
 * @dst:	Destination address of the reply, dotted
 * @bcast:	Reply to the broadcast MAC address, not the guest's
 * @port:	Destination port of the reply
 *
 * A reply through a relay agent carries the agent's address, and
 * a broadcast flag set in the request or the relayed NAK.
 */
static const struct dst_case {
	uint8_t type;
	const char *ciaddr, *giaddr, *reqaddr;
	bool bflag;
	uint8_t reply;
	const char *dst;
	bool bcast;
	uint16_t port;
} dst_cases[] = {
	/* Relayed NAK: to the relay */
	{ REQUEST, NULL, "192.0.2.250", "192.0.2.99", false,
	  NAK, "192.0.2.250", false, 67 },
	/* Renewing, wrong ciaddr: NAK to everybody */
	{ REQUEST, "192.0.2.77", NULL, NULL, false,
	  NAK, "255.255.255.255", true, 68 },
	/* Broadcast flag set */
	{ DISCOVER, NULL, NULL, NULL, true,
	  OFFER, "255.255.255.255", true, 68 },
	/* Relayed offer: to the relay */
	{ DISCOVER, NULL, "192.0.2.250", NULL, false,
	  OFFER, "192.0.2.250", false, 67 },
};

START_TEST(reply_goes_where_it_must)
{
	const struct dst_case *t = &dst_cases[_i];
	struct bootp *b = req_start(t->type);

	if (t->ciaddr)
		b->ciaddr = addr4(t->ciaddr);
	if (t->giaddr) {
		b->giaddr = addr4(t->giaddr);
		b->hops = 1;
	}
	if (t->bflag)
		b->flags = htons(0x8000);
	if (t->reqaddr)
		req_addr_opt(50, t->reqaddr);
	exchange();

	assert_type(t->reply);
	assert_dst(t->dst, t->bcast ? bcast_mac : guest_mac, t->port);
	if (t->giaddr)
		ck_assert_uint_eq(rp.b->giaddr, addr4(t->giaddr));
	if (t->bflag || (t->giaddr && t->reply == NAK))
		ck_assert_uint_eq(ntohs(rp.b->flags), 0x8000);
}
END_TEST

START_TEST(client_id_echoed)
{
	static const uint8_t id[] = { 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	req_start(DISCOVER);
	req_opt(61, sizeof(id), id);
	exchange();
	assert_type(OFFER);
	assert_opt(61, id, sizeof(id));
}
END_TEST

START_TEST(release_and_decline_unanswered)
{
	struct bootp *b = req_start(RELEASE);

	b->ciaddr = addr4(GUEST);
	req_addr_opt(54, GW);
	exchange_unanswered();

	req_start(DECLINE);
	req_addr_opt(50, GUEST);
	req_addr_opt(54, GW);
	exchange_unanswered();
}
END_TEST

START_TEST(server_messages_from_guest_ignored)
{
	static const uint8_t types[] = { OFFER, 42 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		req_start(types[i]);
		req_end();
		ck_assert_int_eq(run(), 0);
		assert_no_reply();
	}
}
END_TEST

/* Options */

START_TEST(search_list_compressed)
{
	static const uint8_t wire[] = {
		1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
		0,
		1, 'b', 0xc0, 0x02,	/* b + pointer to "example.com" */
		0xc0, 0x02,		/* "example.com." itself */
		3, 'o', 'r', 'g', 0,
		3, 'n', 'e', 't', 0xc0, 0x0a,	/* net + "com" */
	};

	memset(c.dns_search, 0, sizeof(c.dns_search));
	strcpy(c.dns_search[0], "a.example.com");
	strcpy(c.dns_search[1], "b.example.com");
	strcpy(c.dns_search[2], "example.com.");
	strcpy(c.dns_search[3], "bad..name");		/* Skipped */
	strcpy(c.dns_search[4], "org");
	strcpy(c.dns_search[5], "net.com");

	req_start(DISCOVER);
	exchange();
	assert_opt(119, wire, sizeof(wire));
	assert_opt(15, "a.example.com", 13);
}
END_TEST

START_TEST(trailing_dots_and_invalid_names)
{
	static const uint8_t wire[] = {
		3, 'o', 'r', 'g', 0,
		3, 'n', 'e', 't', 0,
	};

	memset(c.dns_search, 0, sizeof(c.dns_search));
	strcpy(c.dns_search[0], ".");			/* Skipped */
	strcpy(c.dns_search[1], "org.");
	memset(c.dns_search[2], 'x', 64);		/* Label too long */
	strcpy(c.dns_search[3], "net");
	strcpy(c.fqdn, "guest..example.com");		/* Left out */

	req_start(DISCOVER);
	exchange();
	assert_opt(119, wire, sizeof(wire));
	assert_opt(15, "org", 3);
	ck_assert(!has_opt(81));
	assert_opt(12, "guest", 5);
}
END_TEST

START_TEST(no_dns_no_search_when_disabled)
{
	c.no_dhcp_dns = true;
	c.no_dhcp_dns_search = true;
	req_start(DISCOVER);
	exchange();
	assert_type(OFFER);
	assert_opts(false, OPTS(6, 15, 119));
	assert_opt_addr(3, GW);
}
END_TEST

START_TEST(unset_values_left_out)
{
	memset(c.ip4.dns, 0, sizeof(c.ip4.dns));
	memset(c.dns_search, 0, sizeof(c.dns_search));
	*c.hostname = *c.fqdn = 0;
	c.mtu = 0;
	req_start(DISCOVER);
	exchange();
	assert_opts(false, OPTS(6, 12, 15, 26, 81, 119));
}
END_TEST

START_TEST(fqdn_override_flag_when_client_asks_updates)
{
	static const uint8_t client_fqdn[] = { 0x05, 0, 0, 1, 'x', 0 };

	req_start(DISCOVER);
	req_opt(81, sizeof(client_fqdn), client_fqdn);	/* S and E set */
	exchange();
	ck_assert_uint_eq(rp.olen[81], sizeof(fqdn_wire));
	ck_assert_uint_eq(rp.val[81][0], 0x0e);	/* N, E, O; S clear */
	ck_assert_mem_eq(rp.val[81] + 1, fqdn_wire + 1, sizeof(fqdn_wire) - 1);
}
END_TEST

START_TEST(classless_routes_when_gateway_outside_subnet)
{
	static const uint8_t routes[] = {
		32, 198, 51, 100, 1, 0, 0, 0, 0,	/* gw/32 on-link */
		0, 198, 51, 100, 1,			/* default via gw */
	};

	c.ip4.gw.s_addr = addr4("198.51.100.1");
	c.ip4.our_tap_addr = c.ip4.gw;
	req_start(DISCOVER);
	exchange();
	assert_opt(121, routes, sizeof(routes));
	assert_opt_addr(3, "198.51.100.1");
	assert_opt(1, mask_24, sizeof(mask_24));
}
END_TEST

START_TEST(prefix_32_mask_and_routes)
{
	static const uint8_t mask_32[] = { 255, 255, 255, 255 };
	static const uint8_t routes[] = {
		32, 192, 0, 2, 1, 0, 0, 0, 0,
		0, 192, 0, 2, 1,
	};

	c.ip4.prefix_len = 32;
	req_start(DISCOVER);
	exchange();
	assert_opt(1, mask_32, sizeof(mask_32));
	assert_opt(121, routes, sizeof(routes));
}
END_TEST

static uint8_t long_wire[512];	/* Option 119 for long_config() */

/**
 * long_config() - Long search list, host name and FQDN
 *
 * Return: length of the option 119 value expected, in @long_wire
 */
static size_t long_config(void)
{
	uint8_t *wire = long_wire;
	size_t off = 0;
	int i;

	memset(c.dns_search, 0, sizeof(c.dns_search));
	for (i = 0; i < MAXDNSRCH; i++) {
		memset(c.dns_search[i], 'a' + i, 50);
		strcpy(c.dns_search[i] + 50, ".example.org");
		wire[off++] = 50;
		memset(wire + off, 'a' + i, 50);
		off += 50;
		if (!i) {
			/* With root */
			memcpy(wire + off, "\7example\3org", 13);
			off += 13;
		} else {
			wire[off++] = 0xc0;
			wire[off++] = 51;	/* "example.org" in the first */
		}
	}
	memset(c.hostname, 'h', 64);
	c.hostname[64] = 0;
	memset(c.fqdn, 'f', 60);
	strcpy(c.fqdn + 60, ".very-long-domain-name.example.org");
	return off;
}

/**
 * discover_max() - Discover with a maximum message size, get the offer
 * @max:	Maximum DHCP message size (option 57), 0 for none
 */
static void discover_max(uint16_t max)
{
	uint16_t be = htons(max);

	req_start(DISCOVER);
	if (max)
		req_opt(57, 2, &be);
	exchange();
}

START_TEST(default_max_size_drops_optional_options)
{
	long_config();
	discover_max(0);

	ck_assert_uint_le(tot_len(), 576);
	assert_type(OFFER);
	assert_opt_addr(54, GW);
	assert_opt(51, lease_infinite, 4);
	assert_opt(1, mask_24, sizeof(mask_24));
	assert_opt_addr(3, GW);
	assert_opt(26, mtu_65520, sizeof(mtu_65520));
	assert_opt(12, c.hostname, 64);
	/* The search list goes first, and here that's enough */
	assert_opts(true, OPTS(6, 15, 81));
	assert_opts(false, OPTS(119));
}
END_TEST

START_TEST(small_max_size_taken_as_576)
{
	long_config();
	discover_max(300);
	ck_assert_uint_le(tot_len(), 576);
	ck_assert_uint_gt(tot_len(), 300);
	assert_opts(false, OPTS(119));
	assert_opt(1, mask_24, sizeof(mask_24));
}
END_TEST

START_TEST(large_max_size_takes_everything_split)
{
	size_t len = long_config();

	ck_assert_uint_gt(len, 255);
	discover_max(1500);
	ck_assert_uint_le(tot_len(), 1500);
	ck_assert_uint_gt(tot_len(), 576);
	assert_opt(119, long_wire, len);
	ck_assert_uint_eq(rp.count[119], 2);	/* RFC 3396 split */
	assert_opts(true, OPTS(81, 15));
	assert_opt(12, c.hostname, 64);
}
END_TEST

START_TEST(mtu_caps_reply_size)
{
	long_config();
	c.mtu = 600;
	discover_max(1500);
	ck_assert_uint_le(tot_len(), 600);
	assert_opts(false, OPTS(119));
}
END_TEST

START_TEST(long_client_id_still_fits)
{
	uint8_t id[255];

	long_config();
	memset(id, 0x5a, sizeof(id));
	req_start(DISCOVER);
	req_opt(61, sizeof(id), id);
	exchange();
	ck_assert_uint_le(tot_len(), 576);
	assert_type(OFFER);
	assert_opt(61, id, sizeof(id));
	assert_opt(51, lease_infinite, 4);
	assert_opt_addr(54, GW);
	assert_opt(1, mask_24, sizeof(mask_24));
	assert_opt_addr(3, GW);
	assert_opts(true, OPTS(6, 26));
	/* No room left for any of the names */
	assert_opts(false, OPTS(119, 15, 81, 12));
}
END_TEST

START_TEST(pad_options_and_trailing_bytes_accepted)
{
	static const uint8_t pads[] = { 0, 0, 0 };
	static const uint8_t after_end[] = { 53, 1, REQUEST, 77 };

	req_start(0);
	req_bytes(pads, sizeof(pads));
	req_opt(53, 1, (uint8_t []){ DISCOVER });
	req_bytes(pads, sizeof(pads));
	req_opt(200, 0, NULL);		/* Unknown, empty: skipped */
	req_end();
	req_bytes(after_end, sizeof(after_end));
	ck_assert_int_eq(run(), 1);
	get_reply();
	assert_type(OFFER);
}
END_TEST

START_TEST(overloaded_file_and_sname_read)
{
	static const uint8_t id[] = { 1, 2, 3 };
	struct bootp *b = req_start(0);

	req_opt(52, 1, (uint8_t []){ 3 });
	req_end();
	/* 'file' first: the message type; then 'sname': the client ID */
	b->file[0] = 53;
	b->file[1] = 1;
	b->file[2] = DISCOVER;
	b->file[3] = 255;
	b->sname[0] = 0;
	b->sname[1] = 61;
	b->sname[2] = sizeof(id);
	memcpy(b->sname + 3, id, sizeof(id));
	/* No END in 'sname': the field ends it */
	memset(b->sname + 3 + sizeof(id), 0, sizeof(b->sname) - 3 - sizeof(id));
	ck_assert_int_eq(run(), 1);
	get_reply();
	assert_type(OFFER);
	assert_opt(61, id, sizeof(id));
	/* Nothing of the request's fields comes back */
	ck_assert_uint_eq(rp.b->file[0], 0);
	ck_assert_uint_eq(rp.b->sname[1], 0);
}
END_TEST

START_TEST(overload_without_flag_ignores_fields)
{
	struct bootp *b = req_start(DISCOVER);

	req_end();
	b->file[0] = 53;		/* Not options: ignored */
	b->file[1] = 1;
	b->file[2] = REQUEST;
	ck_assert_int_eq(run(), 1);
	get_reply();
	assert_type(OFFER);
}
END_TEST

/* Malformed requests */

#define RAW(...)	(const uint8_t []){ __VA_ARGS__ },		\
			sizeof((const uint8_t []){ __VA_ARGS__ })

/**
 * struct bad_opts - Options dhcp() must refuse
 * @opts:	Bytes, as they are, after option 53 if @type is set
 * @len:	Length of @opts
 * @type:	Message type for option 53 first, 0 for none
 * @end:	An END option after @opts
 * @what:	What is wrong, for messages
 */
static const struct bad_opts {
	const uint8_t *opts;
	size_t len;
	uint8_t type;
	bool end;
	const char *what;
} bad_opts[] = {
	{ RAW(61, 200, 1, 2), DISCOVER, true,	"length past the end" },
	{ RAW(61), DISCOVER, false,		"no length byte" },
	{ RAW(50, 4, 192, 0, 2, 2), DISCOVER, false,	"no END" },
	{ RAW(53, 0), 0, true,			"empty message type" },
	{ RAW(50, 0), REQUEST, true,		"empty requested address" },
	{ RAW(53, 2, DISCOVER, 1), 0, true,	"long message type" },
	{ RAW(50, 3, 1, 1, 1), DISCOVER, true,	"short requested address" },
	{ RAW(54, 5, 1, 1, 1, 1, 1), DISCOVER, true,	"long server ID" },
	{ RAW(57, 1, 1), DISCOVER, true,	"short maximum size" },
	{ RAW(52, 2, 1, 1), DISCOVER, true,	"long overload" },
	{ RAW(61, 1, 1), DISCOVER, true,	"one-byte client ID" },
	{ RAW(80, 1, 1), DISCOVER, true,	"rapid commit with data" },
	{ RAW(81, 2, 1, 1), DISCOVER, true,	"short client FQDN" },
	{ RAW(52, 1, 9), DISCOVER, true,	"bad overload value" },
};

START_TEST(bad_options_dropped)
{
	const struct bad_opts *t = &bad_opts[_i];

	req_start(t->type);
	req_bytes(t->opts, t->len);
	if (t->end)
		req_end();
	assert_dropped_why(run(), t->what);
}
END_TEST

/**
 * struct bad_hdr - A byte of the BOOTP header dhcp() must refuse
 * @off:	Offset in the header
 * @val:	Value
 * @what:	What is wrong, for messages
 */
static const struct bad_hdr {
	size_t off;
	uint8_t val;
	const char *what;
} bad_hdrs[] = {
	{ offsetof(struct bootp, op),		2,	"BOOTREPLY" },
	{ offsetof(struct bootp, htype),	6,	"not Ethernet" },
	{ offsetof(struct bootp, hlen),		200,	"hlen 200" },
	{ offsetof(struct bootp, cookie) + 3,	98,	"wrong magic cookie" },
};

START_TEST(bad_header_dropped)
{
	const struct bad_hdr *t = &bad_hdrs[_i];

	req_start(DISCOVER);
	req[UDP_HLEN + t->off] = t->val;
	req_end();
	assert_dropped_why(run(), t->what);
}
END_TEST

START_TEST(option_length_past_udp_length_dropped)
{
	size_t full;

	req_start(DISCOVER);
	req_opt(61, 8, "\1abcdefg");
	req_end();
	full = req_len;
	/* The UDP header cuts the datagram inside option 61 */
	assert_dropped(run_len(full, full - 5));
}
END_TEST

START_TEST(option_past_end_of_file_field_dropped)
{
	struct bootp *b = req_start(DISCOVER);

	req_opt(52, 1, (uint8_t []){ 1 });
	req_end();
	b->file[125] = 61;
	b->file[126] = 10;		/* Runs into the cookie */
	b->file[127] = 1;
	memset(b->file, 0, 125);
	assert_dropped(run());
}
END_TEST

/**
 * assert_lengths_dropped() - dhcp() drops the request cut at these lengths
 * @lens:	Lengths of the packet, and of the UDP length field, in pairs
 * @n:		Number of pairs
 */
static void assert_lengths_dropped(const size_t (*lens)[2], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int rc;

		memset(&tap_stats, 0, sizeof(tap_stats));
		rc = run_len(lens[i][0], lens[i][1]);
		ck_assert_msg(!rc, "%zu bytes, UDP length %zu: answered",
			      lens[i][0], lens[i][1]);
		assert_dropped(rc);
	}
}

START_TEST(truncated_header_dropped)
{
	static const size_t lens[][2] = {
		{ UDP_HLEN + 100, UDP_HLEN + 100 },
		{ UDP_HLEN + 235, UDP_HLEN + 235 },
		{ UDP_HLEN, UDP_HLEN },
		{ 4, 4 },				/* Not even UDP */
	};

	req_start(DISCOVER);
	req_end();
	assert_lengths_dropped(lens, ARRAY_SIZE(lens));
}
END_TEST

START_TEST(udp_length_mismatch_dropped)
{
	req_start(DISCOVER);
	req_end();
	assert_lengths_dropped((const size_t [][2]){
		{ req_len, req_len + 1 },	/* Beyond packet */
		{ req_len, 4 },			/* Below header */
	}, 2);
}
END_TEST

START_TEST(no_magic_cookie_dropped)
{
	/* Header alone, as an RFC 951 client without vendor area sends */
	static const size_t lens[][2] = {
		{ UDP_HLEN + 236, UDP_HLEN + 236 },
		{ UDP_HLEN + 238, UDP_HLEN + 238 },
	};

	req_start(DISCOVER);
	assert_lengths_dropped(lens, ARRAY_SIZE(lens));
}
END_TEST

/**
 * rnd() - Small deterministic pseudo-random generator (xorshift32)
 *
 * Return: next value
 */
static uint32_t rnd(void)
{
	static uint32_t x = 2463534242U;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

START_TEST(random_options_never_crash)
{
	unsigned int i, answered = 0;

	for (i = 0; i < 20000; i++) {
		struct bootp *b = req_start(0);
		size_t n = rnd() % 400, j, len, ulen;

		if (rnd() % 4 == 0)
			n = 0;

		if (rnd() % 4 == 0)
			b->file[0] = 53;
		for (j = 0; j < n; j++) {
			uint32_t r = rnd();

			/* Mostly small codes and lengths, to reach deep */
			req[req_len++] = (uint8_t)(r % 8 ? r % 128 : r >> 8);
			if (req_len >= sizeof(req) - 1)
				break;
		}
		if (rnd() % 2)
			req_end();
		len = req_len - rnd() % 8;
		ulen = rnd() % 16 ? len : rnd() % (len + 16);
		answered += run_len(len, ulen) == 1;

		while (guest_read(&f))
			;
	}
	ck_assert_uint_gt(answered, 0);
}
END_TEST

/**
 * dhcp_suite() - Test suite
 *
 * Return: the suite
 */
static Suite *dhcp_suite(void)
{
	Suite *s = suite_create("dhcp");
	TCase *tc;

	tc = unit_tcase(s, "replies", setup, fixture_teardown, TESTS(
		discover_gets_offer, discover_through_tap_handler,
		request_selecting_gets_ack,
		request_init_reboot_gets_ack,
		request_renewing_acked_to_ciaddr,
		request_lease_following,
		request_wrong_address_gets_nak,
		request_for_other_server_unanswered,
		inform_gets_ack_without_lease, rapid_commit_gets_ack,
		rapid_commit_on_request_not_echoed,
		bootp_gets_bootreply, client_id_echoed,
		release_and_decline_unanswered,
		server_messages_from_guest_ignored));
	UNIT_LOOP(tc, reply_goes_where_it_must, dst_cases);

	unit_tcase(s, "options", setup, fixture_teardown, TESTS(
		search_list_compressed, trailing_dots_and_invalid_names,
		no_dns_no_search_when_disabled, unset_values_left_out,
		fqdn_override_flag_when_client_asks_updates,
		classless_routes_when_gateway_outside_subnet,
		prefix_32_mask_and_routes,
		default_max_size_drops_optional_options,
		small_max_size_taken_as_576,
		large_max_size_takes_everything_split,
		mtu_caps_reply_size, long_client_id_still_fits,
		pad_options_and_trailing_bytes_accepted,
		overloaded_file_and_sname_read,
		overload_without_flag_ignores_fields));

	tc = unit_tcase(s, "malformed", setup, fixture_teardown, TESTS(
		option_length_past_udp_length_dropped,
		option_past_end_of_file_field_dropped,
		truncated_header_dropped, udp_length_mismatch_dropped,
		no_magic_cookie_dropped, random_options_never_crash));
	UNIT_LOOP(tc, bad_options_dropped, bad_opts);
	UNIT_LOOP(tc, bad_header_dropped, bad_hdrs);

	return s;
}

int main(void)
{
	return unit_run(dhcp_suite());
}
