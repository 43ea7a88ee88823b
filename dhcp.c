// SPDX-License-Identifier: GPL-2.0-or-later
/* dhcp.c - DHCP (RFC 2131) and BOOTP (RFC 951) server for the guest
 *
 * Theory of operation
 *
 * The guest has exactly one IPv4 address to get: c->ip4.addr, normally the
 * host's own. There is no address pool and no lease table: every request is
 * answered from the configuration alone, so nothing is remembered between
 * messages and nothing can run out. The lease is --dhcp-lease seconds: the
 * guest renews at half of it, and once the host's address has changed
 * (hostwatch.c) the renewal asks for the old one, gets a NAK and starts
 * again with the new one. With --no-follow the lease is infinite.
 *
 * Parsing. tap.c hands us one UDP datagram to port 67, UDP header first.
 * It is hostile input: every byte is read through packet_get(), bounded
 * both by what was received and by the UDP length field. The fixed BOOTP
 * header is copied out once it is known to be complete and sane (a request,
 * Ethernet hardware addresses, the magic cookie). Options are walked in the
 * options field, which must end with the END option, then, if option 52
 * says so, in the 'file' and 'sname' fields, each option's length checked
 * against the end of its area before its value is looked at. The values we
 * act on are length-checked and copied into struct dhcp_req; of repeated
 * options the first counts; options we don't use are skipped whatever their
 * length, zero included (Rapid Commit has none). Anything malformed is
 * dropped: no reply, a rate-limited debug line, and the tap's counter of
 * dropped frames.
 *
 * Answers, all from c->ip4.our_tap_addr port 67:
 *   DISCOVER	OFFER, or at once ACK if it carries Rapid Commit (RFC 4039)
 *   REQUEST	ACK if the address the client wants (option 50, else ciaddr
 *		when renewing) is the guest's, NAK if not; silence if the
 *		server identifier names another server, as RFC 2131 4.3.2
 *		says: the client took someone else's offer
 *   INFORM	ACK with the configuration only: no yiaddr, no lease time
 *   DECLINE	logged: the guest found its address in use
 *   RELEASE	nothing to free, no reply
 *   no option 53: a plain BOOTP request, answered with a BOOTREPLY
 *
 * Options. A reply carries, besides the DHCP bookkeeping (53, 54, 51, the
 * client identifier echoed as RFC 6842 wants), the subnet mask, the router,
 * classless static routes (RFC 3442: the gateway as an on-link /32 and the
 * default route through it) when the gateway lies outside the guest's
 * subnet, DNS servers, domain name and search list (RFC 3397, compressed),
 * MTU, host name and FQDN (RFC 4702). They are sent whether requested or
 * not: clients keep what they know. A reply must fit the client's maximum
 * message size (option 57, at least 576 bytes of IP datagram, default 576;
 * for plain BOOTP the 64-byte vendor area), and our MTU: options go by
 * priority, the search list, domain name, FQDN and host name first; the
 * bookkeeping always fits.
 *
 * Destination (RFC 2131 4.1): the relay in giaddr if set; NAKs broadcast;
 * ciaddr if set; broadcast if the client set the broadcast flag; otherwise
 * yiaddr, at the guest's MAC address as tap.c last saw it.
 */

#include <arpa/inet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dhcp.h"
#include "frame.h"
#include "log.h"
#include "packet.h"
#include "passt.h"
#include "tap.h"
#include "util.h"

#define BOOTP_OP_REQUEST	1
#define BOOTP_OP_REPLY		2
#define BOOTP_FLAG_BROADCAST	0x8000
#define BOOTP_VEND_LEN		64	/* RFC 951: vendor area of BOOTP */

#define DHCP_MAGIC_COOKIE	0x63825363	/* 99.130.83.99, RFC 2132 2 */

/* Smallest IP datagram every client takes, RFC 2132 9.10, RFC 2131 2 */
#define DHCP_IP_SIZE_MIN	576
#define DHCP_IP_UDP_HLEN	(sizeof(struct iphdr) + sizeof(struct udphdr))

#define DHCP_OPTS_SIZE		4096	/* Largest reply: ~2 KiB of options */
#define DHCP_OPT_LEN_MAX	255	/* Longer values are split, RFC 3396 */
#define DHCP_LEASE_INFINITE	0xffffffff

/* Client FQDN flags, RFC 4702 2.1 */
#define FQDN_FLAG_S		0x01	/* Server does A RR updates */
#define FQDN_FLAG_O		0x02	/* Server overrode the client's S */
#define FQDN_FLAG_E		0x04	/* Canonical wire format */
#define FQDN_FLAG_N		0x08	/* Server does no updates */
#define FQDN_RCODE_SERVER	255	/* RCODE1, RCODE2 from servers */

/* Message types (option 53), RFC 2132 9.6 */
enum dhcp_msg_type {
	DHCPDISCOVER = 1,
	DHCPOFFER,
	DHCPREQUEST,
	DHCPDECLINE,
	DHCPACK,
	DHCPNAK,
	DHCPRELEASE,
	DHCPINFORM,
};

/* Option codes */
enum dhcp_opt_code {
	OPT_PAD			= 0,
	OPT_SUBNET_MASK		= 1,	/* RFC 2132 3.3 */
	OPT_ROUTER		= 3,	/* RFC 2132 3.5 */
	OPT_DNS			= 6,	/* RFC 2132 3.8 */
	OPT_HOSTNAME		= 12,	/* RFC 2132 3.14 */
	OPT_DOMAIN_NAME		= 15,	/* RFC 2132 3.17 */
	OPT_MTU			= 26,	/* RFC 2132 5.1 */
	OPT_REQUESTED_ADDR	= 50,	/* RFC 2132 9.1 */
	OPT_LEASE_TIME		= 51,	/* RFC 2132 9.2 */
	OPT_OVERLOAD		= 52,	/* RFC 2132 9.3 */
	OPT_MSG_TYPE		= 53,	/* RFC 2132 9.6 */
	OPT_SERVER_ID		= 54,	/* RFC 2132 9.7 */
	OPT_MESSAGE		= 56,	/* RFC 2132 9.9 */
	OPT_MAX_MSG_SIZE	= 57,	/* RFC 2132 9.10 */
	OPT_CLIENT_ID		= 61,	/* RFC 2132 9.14 */
	OPT_RAPID_COMMIT	= 80,	/* RFC 4039 */
	OPT_CLIENT_FQDN		= 81,	/* RFC 4702 */
	OPT_DOMAIN_SEARCH	= 119,	/* RFC 3397 */
	OPT_CLASSLESS_ROUTES	= 121,	/* RFC 3442 */
	OPT_END			= 255,
};

/* Option 52: which header fields hold more options */
#define OVERLOAD_FILE		1
#define OVERLOAD_SNAME		2

/**
 * struct bootp_hdr - Fixed part of a BOOTP/DHCP message, RFC 2131 2
 * @op:		BOOTP_OP_REQUEST or BOOTP_OP_REPLY
 * @htype:	Hardware address type (ARPHRD_ETHER)
 * @hlen:	Hardware address length
 * @hops:	Relay hops
 * @xid:	Transaction ID, chosen by the client
 * @secs:	Seconds since the client began
 * @flags:	Broadcast flag, network order
 * @ciaddr:	Client address, if it has one already
 * @yiaddr:	"Your" address: what the server gives
 * @siaddr:	Next server, for bootstrap
 * @giaddr:	Relay agent
 * @chaddr:	Client hardware address
 * @sname:	Server host name, or options (overload)
 * @file:	Boot file name, or options (overload)
 */
struct bootp_hdr {
	uint8_t op;
	uint8_t htype;
	uint8_t hlen;
	uint8_t hops;
	uint32_t xid;
	uint16_t secs;
	uint16_t flags;
	struct in_addr ciaddr;
	struct in_addr yiaddr;
	struct in_addr siaddr;
	struct in_addr giaddr;
	uint8_t chaddr[16];
	uint8_t sname[64];
	uint8_t file[128];
} __attribute__((packed));

_Static_assert(sizeof(struct bootp_hdr) == 236, "BOOTP header is 236 bytes");

/**
 * struct dhcp_msg - A reply as it goes out
 * @h:		Fixed header
 * @magic:	DHCP_MAGIC_COOKIE, network order
 * @opts:	Options
 */
struct dhcp_msg {
	struct bootp_hdr h;
	uint32_t magic;
	uint8_t opts[DHCP_OPTS_SIZE];
} __attribute__((packed));

/* Where things are in the datagram tap.c hands us: UDP header first */
#define DHCP_OFF		sizeof(struct udphdr)
#define DHCP_OFF_COOKIE		(DHCP_OFF + sizeof(struct bootp_hdr))
#define DHCP_OFF_OPTS		(DHCP_OFF_COOKIE + sizeof(uint32_t))
#define DHCP_OFF_SNAME		(DHCP_OFF + offsetof(struct bootp_hdr, sname))
#define DHCP_OFF_FILE		(DHCP_OFF + offsetof(struct bootp_hdr, file))

/* Smallest reply: a full BOOTP message (RFC 951, RFC 1542 2.1) */
#define BOOTP_MSG_MIN		(sizeof(struct bootp_hdr) + BOOTP_VEND_LEN)

/**
 * struct dhcp_req - A request, checked and copied out of the frame
 * @h:			Fixed header
 * @type:		Message type (option 53), 0 for plain BOOTP
 * @requested:		Requested address (option 50), 0 if absent
 * @server_id:		Server identifier (option 54), 0 if absent
 * @max_size:		Largest IP datagram the client takes (option 57),
 *			0 if absent
 * @overload:		Option overload (option 52), 0 if absent
 * @rapid_commit:	Rapid Commit (option 80) present
 * @fqdn:		Client FQDN (option 81) present
 * @fqdn_flags:		Its flags
 * @client_id_len:	Length of the client identifier (option 61), 0 if
 *			absent
 * @client_id:		Client identifier
 * @seen:		Option codes met so far: of duplicates, the first counts
 */
struct dhcp_req {
	struct bootp_hdr h;
	uint8_t type;
	struct in_addr requested;
	struct in_addr server_id;
	size_t max_size;
	uint8_t overload;
	bool rapid_commit;
	bool fqdn;
	uint8_t fqdn_flags;
	uint8_t client_id_len;
	uint8_t client_id[DHCP_OPT_LEN_MAX];
	uint8_t seen[256 / 8];
};

/* Reply options: the lowest priority is dropped first if the reply is long */
enum dhcp_prio {
	PRIO_DROPPED = 0,
	PRIO_SEARCH,
	PRIO_DOMAIN,
	PRIO_FQDN,
	PRIO_HOSTNAME,
	PRIO_MTU,
	PRIO_DNS,
	PRIO_ROUTER,
	PRIO_ROUTES,
	PRIO_MASK,
	PRIO_CLIENT_ID,
	PRIO_CORE,		/* Never dropped: always fits */
};

/**
 * struct dhcp_opt_out - An option that may go into a reply
 * @code:	Option code
 * @prio:	enum dhcp_prio, PRIO_DROPPED once left out
 * @len:	Length of the value: above 255, split (RFC 3396)
 * @val:	Value
 */
struct dhcp_opt_out {
	uint8_t code;
	uint8_t prio;
	size_t len;
	const uint8_t *val;
};

#define DHCP_OPTS_OUT_MAX	16

/**
 * struct dhcp_vals - Storage for encoded reply option values
 * @type:	Message type
 * @server_id:	Server identifier
 * @lease:	Lease time, network order
 * @mask:	Subnet mask
 * @router:	Router
 * @routes:	Classless static routes: gateway /32 on-link, default
 * @dns:	DNS servers
 * @mtu:	Interface MTU, network order
 * @fqdn:	Client FQDN: flags, RCODE1, RCODE2, name in wire format
 * @search:	Domain search list in wire format
 */
struct dhcp_vals {
	uint8_t type;
	struct in_addr server_id;
	uint32_t lease;
	struct in_addr mask;
	struct in_addr router;
	uint8_t routes[(1 + 4 + 4) + (1 + 4)];
	struct in_addr dns[MAXNS];
	uint16_t mtu;
	uint8_t fqdn[3 + DNS_NAME_MAX];
	uint8_t search[MAXDNSRCH * DNS_NAME_MAX];
};

static const char *const dhcp_type_str[] = {
	"BOOTP", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK",
	"RELEASE", "INFORM",
};

/**
 * dhcp_type_name() - Name of a message type, for logs
 * @type:	Message type, 0 for BOOTP
 *
 * Return: the name, "unknown" if out of range
 */
static const char *dhcp_type_name(uint8_t type)
{
	if (type < ARRAY_SIZE(dhcp_type_str))
		return dhcp_type_str[type];
	return "unknown";
}

/**
 * dhcp_get() - Checked access to the datagram, bounded by the UDP length
 * @p:		Pool, the datagram is packet 0
 * @off:	Offset from the UDP header
 * @len:	Length
 * @end:	End of the datagram as the UDP header gives it
 *
 * Return: pointer to the range, NULL if it doesn't lie before @end or
 *	   within what was received
 */
static const uint8_t *dhcp_get(const struct pool *p, size_t off, size_t len,
			       size_t end)
{
	if (off > end || len > end - off)
		return NULL;
	return packet_get(p, 0, off, len, NULL);
}

/**
 * dhcp_opt_take() - Check and record one option of a request
 * @r:		Request being parsed
 * @code:	Option code
 * @val:	Value, checked to lie in the datagram
 * @len:	Length of the value
 * @main_area:	Option is in the options field, not in 'file' or 'sname'
 *
 * Return: false if the option is malformed
 */
static bool dhcp_opt_take(struct dhcp_req *r, uint8_t code,
			  const uint8_t *val, uint8_t len, bool main_area)
{
	bool ok = true;

	/* Overload can only be announced in the options field */
	if (code == OPT_OVERLOAD && !main_area)
		return true;

	if (r->seen[code / 8] & (1U << (code % 8))) {
		trace("DHCP: repeated option %u ignored", code);
		return true;
	}
	r->seen[code / 8] |= 1U << (code % 8);

	switch (code) {
	case OPT_MSG_TYPE:
		ok = len == 1 && val[0];
		if (ok)
			r->type = val[0];
		break;
	case OPT_REQUESTED_ADDR:
		ok = len == sizeof(r->requested);
		if (ok)
			memcpy(&r->requested, val, len);
		break;
	case OPT_SERVER_ID:
		ok = len == sizeof(r->server_id);
		if (ok)
			memcpy(&r->server_id, val, len);
		break;
	case OPT_MAX_MSG_SIZE:
		ok = len == sizeof(uint16_t);
		if (ok) {
			/* Below the legal minimum: take the minimum */
			r->max_size = MAX((size_t)val[0] << 8 | val[1],
					  DHCP_IP_SIZE_MIN);
		}
		break;
	case OPT_OVERLOAD:
		ok = len == 1 && val[0] >= OVERLOAD_FILE &&
		     val[0] <= (OVERLOAD_FILE | OVERLOAD_SNAME);
		if (ok)
			r->overload = val[0];
		break;
	case OPT_CLIENT_ID:
		ok = len >= 2;			/* RFC 2132 9.14 */
		if (ok) {
			memcpy(r->client_id, val, len);
			r->client_id_len = len;
		}
		break;
	case OPT_RAPID_COMMIT:
		ok = !len;
		r->rapid_commit = ok;
		break;
	case OPT_CLIENT_FQDN:
		ok = len >= 3;			/* Flags, RCODE1, RCODE2 */
		if (ok) {
			r->fqdn = true;
			r->fqdn_flags = val[0];
		}
		break;
	default:
		break;				/* Not used: any length will do */
	}

	if (!ok)
		debug_ratelimit("DHCP: option %u with bad length %u or value, "
				"request dropped", code, len);
	return ok;
}

/**
 * dhcp_opts_parse() - Walk one area of options
 * @p:		Pool, the datagram is packet 0
 * @start:	Offset of the area
 * @end:	End of the area
 * @r:		Request being parsed
 * @main_area:	The options field: END required, overload allowed
 *
 * Return: false if the options are malformed
 */
static bool dhcp_opts_parse(const struct pool *p, size_t start, size_t end,
			    struct dhcp_req *r, bool main_area)
{
	size_t off = start;

	while (off < end) {
		const uint8_t *code, *len, *val;

		code = dhcp_get(p, off, 1, end);
		if (!code)
			return false;
		if (*code == OPT_PAD) {
			off++;
			continue;
		}
		if (*code == OPT_END)
			return true;

		len = dhcp_get(p, off + 1, 1, end);
		if (!len) {
			debug_ratelimit("DHCP: option %u has no length byte, "
					"request dropped", *code);
			return false;
		}
		val = dhcp_get(p, off + 2, *len, end);
		if (!val) {
			debug_ratelimit("DHCP: option %u of length %u runs "
					"past the end of its area, request "
					"dropped", *code, *len);
			return false;
		}
		if (!dhcp_opt_take(r, *code, val, *len, main_area))
			return false;
		off += 2 + (size_t)*len;
	}

	if (main_area) {
		debug_ratelimit("DHCP: no END option, request dropped");
		return false;
	}
	return true;	/* 'file' and 'sname' end with their fields */
}

/**
 * dhcp_parse() - Check a request and copy out what we need of it
 * @p:		Pool, packet 0 is the UDP header and the DHCP message
 * @r:		Filled with the request
 *
 * Return: false if the request is malformed and must be dropped
 */
static bool dhcp_parse(const struct pool *p, struct dhcp_req *r)
{
	const struct udphdr *uh;
	const uint8_t *h, *cookie;
	size_t end, plen;
	uint32_t magic;

	memset(r, 0, sizeof(*r));

	uh = packet_get_hdr(p, 0, 0, struct udphdr);
	if (!uh)
		return false;
	end = ntohs(uh->len);
	plen = packet_len(p, 0);
	if (end < sizeof(*uh) || end > plen) {
		debug_ratelimit("DHCP: UDP length %zu, datagram of %zu bytes: "
				"dropped", end, plen);
		return false;
	}

	h = dhcp_get(p, DHCP_OFF, sizeof(r->h), end);
	if (!h) {
		debug_ratelimit("DHCP: truncated BOOTP header (%zu bytes), "
				"dropped", end - sizeof(*uh));
		return false;
	}
	memcpy(&r->h, h, sizeof(r->h));

	if (r->h.op != BOOTP_OP_REQUEST) {
		debug_ratelimit("DHCP: BOOTP op %u from the guest, dropped",
				r->h.op);
		return false;
	}
	if (r->h.htype != ARPHRD_ETHER || r->h.hlen != ETH_ALEN) {
		debug_ratelimit("DHCP: hardware type %u, address length %u: "
				"not Ethernet, dropped", r->h.htype,
				r->h.hlen);
		return false;
	}

	cookie = dhcp_get(p, DHCP_OFF_COOKIE, sizeof(magic), end);
	if (!cookie) {
		debug_ratelimit("DHCP: no magic cookie, dropped");
		return false;
	}
	memcpy(&magic, cookie, sizeof(magic));
	if (magic != htonl(DHCP_MAGIC_COOKIE)) {
		debug_ratelimit("DHCP: bad magic cookie 0x%08x, dropped",
				ntohl(magic));
		return false;
	}

	if (!dhcp_opts_parse(p, DHCP_OFF_OPTS, end, r, true))
		return false;

	/* RFC 2131 4.1: 'file' first, then 'sname' */
	if ((r->overload & OVERLOAD_FILE) &&
	    !dhcp_opts_parse(p, DHCP_OFF_FILE,
			     DHCP_OFF_FILE + sizeof(r->h.file), r, false))
		return false;
	if ((r->overload & OVERLOAD_SNAME) &&
	    !dhcp_opts_parse(p, DHCP_OFF_SNAME,
			     DHCP_OFF_SNAME + sizeof(r->h.sname), r, false))
		return false;

	return true;
}

/**
 * dhcp_search_encode() - Encode the search list for option 119
 * @c:		Execution context
 * @buf:	Output buffer
 * @size:	Size of @buf
 * @first:	Set to the index of the first domain encoded, if any
 *
 * Return: length of the encoded list, 0 if there's nothing to send
 */
static size_t dhcp_search_encode(const struct ctx *c, uint8_t *buf,
				 size_t size, int *first)
{
	struct dns_suffix sfx[MAXDNSRCH * (DNS_NAME_MAX / 2)];
	size_t off = 0, nsfx = 0;
	int i;

	*first = -1;
	for (i = 0; i < MAXDNSRCH && *c->dns_search[i]; i++) {
		size_t next = dns_name_put(c->dns_search[i], buf, size, off,
					sfx, &nsfx, ARRAY_SIZE(sfx));
		if (!next) {
			debug_ratelimit("DHCP: search domain '%s' not valid, "
					"left out", c->dns_search[i]);
			continue;
		}
		if (*first < 0)
			*first = i;
		off = next;
	}
	return off;
}

/**
 * dhcp_opt_add() - Queue an option for a reply
 * @o:		Options queued
 * @n:		Number queued, updated
 * @code:	Option code
 * @prio:	enum dhcp_prio
 * @val:	Value
 * @len:	Length of @val
 */
static void dhcp_opt_add(struct dhcp_opt_out *o, size_t *n, uint8_t code,
			 enum dhcp_prio prio, const void *val, size_t len)
{
	if (*n >= DHCP_OPTS_OUT_MAX)
		return;
	o[*n].code = code;
	o[*n].prio = (uint8_t)prio;
	o[*n].val = val;
	o[*n].len = len;
	(*n)++;
}

/**
 * dhcp_opt_wire_len() - Bytes an option takes in a message
 * @o:		Option
 *
 * Return: length including the code and length bytes of every piece
 */
static size_t dhcp_opt_wire_len(const struct dhcp_opt_out *o)
{
	size_t pieces = o->len ? (o->len + DHCP_OPT_LEN_MAX - 1) /
				 DHCP_OPT_LEN_MAX : 1;

	return o->len + 2 * pieces;
}

/**
 * dhcp_opts_fit() - Leave out options, lowest priority first, until they fit
 * @o:		Options queued
 * @n:		Number queued
 * @room:	Room for options, END excluded
 */
static void dhcp_opts_fit(struct dhcp_opt_out *o, size_t n, size_t room)
{
	size_t total = 0, i;

	for (i = 0; i < n; i++)
		total += dhcp_opt_wire_len(&o[i]);

	while (total > room) {
		struct dhcp_opt_out *low = NULL;

		for (i = 0; i < n; i++) {
			if (o[i].prio == PRIO_DROPPED ||
			    o[i].prio == PRIO_CORE)
				continue;
			if (!low || o[i].prio < low->prio)
				low = &o[i];
		}
		if (!low)
			break;	/* Can't happen: core options always fit */

		debug_ratelimit("DHCP: option %u left out: reply wouldn't "
				"fit in %zu bytes", low->code, room);
		total -= dhcp_opt_wire_len(low);
		low->prio = PRIO_DROPPED;
	}
}

/**
 * dhcp_opts_write() - Write the options that fit, then END
 * @o:		Options queued
 * @n:		Number queued
 * @buf:	Options area of the reply
 * @size:	Room in @buf
 *
 * Return: bytes written
 */
static size_t dhcp_opts_write(const struct dhcp_opt_out *o, size_t n,
			      uint8_t *buf, size_t size)
{
	size_t off = 0, i;

	for (i = 0; i < n; i++) {
		const uint8_t *val = o[i].val;
		size_t left = o[i].len;

		if (o[i].prio == PRIO_DROPPED)
			continue;
		if (dhcp_opt_wire_len(&o[i]) >= size - off)
			continue;	/* Can't happen after dhcp_opts_fit() */

		do {
			size_t piece = MIN(left, DHCP_OPT_LEN_MAX);

			buf[off++] = o[i].code;
			buf[off++] = (uint8_t)piece;
			memcpy(buf + off, val, piece);
			off += piece;
			val += piece;
			left -= piece;
		} while (left);
	}

	buf[off++] = OPT_END;
	return off;
}

/**
 * dhcp_opts_config() - Queue the options that configure the guest
 * @c:		Execution context
 * @r:		Request
 * @v:		Storage for encoded values
 * @o:		Options queued
 * @n:		Number queued, updated
 */
static void dhcp_opts_config(const struct ctx *c, const struct dhcp_req *r,
			     struct dhcp_vals *v, struct dhcp_opt_out *o,
			     size_t *n)
{
	int plen = c->ip4.prefix_len;
	size_t len;
	int first;

	v->mask.s_addr = plen <= 0 ? 0 :
			 plen >= 32 ? 0xffffffff : htonl(~0U << (32 - plen));
	dhcp_opt_add(o, n, OPT_SUBNET_MASK, PRIO_MASK, &v->mask,
		     sizeof(v->mask));

	if (c->ip4.gw.s_addr) {
		v->router = c->ip4.gw;
		dhcp_opt_add(o, n, OPT_ROUTER, PRIO_ROUTER, &v->router,
			     sizeof(v->router));

		/* RFC 3442: clients taking option 121 ignore option 3, so
		 * the default route goes in too, after the route that makes
		 * the gateway reachable on the link.
		 */
		if ((c->ip4.gw.s_addr & v->mask.s_addr) !=
		    (c->ip4.addr.s_addr & v->mask.s_addr)) {
			uint8_t *rt = v->routes;

			*rt++ = 32;
			memcpy(rt, &c->ip4.gw, 4);
			rt += 4;
			memset(rt, 0, 4);		/* On-link */
			rt += 4;
			*rt++ = 0;			/* Default */
			memcpy(rt, &c->ip4.gw, 4);
			dhcp_opt_add(o, n, OPT_CLASSLESS_ROUTES, PRIO_ROUTES,
				     v->routes, sizeof(v->routes));
		}
	}

	if (!c->no_dhcp_dns) {
		size_t i, ndns = 0;

		for (i = 0; i < MAXNS && c->ip4.dns[i].s_addr; i++)
			v->dns[ndns++] = c->ip4.dns[i];
		if (ndns)
			dhcp_opt_add(o, n, OPT_DNS, PRIO_DNS, v->dns,
				     ndns * sizeof(v->dns[0]));
	}

	if (!c->no_dhcp_dns_search) {
		len = dhcp_search_encode(c, v->search, sizeof(v->search),
					 &first);
		if (len) {
			const char *d = c->dns_search[first];
			size_t dlen = strnlen(d, DNS_TEXT_MAX + 1);

			if (dlen && d[dlen - 1] == '.')
				dlen--;
			dhcp_opt_add(o, n, OPT_DOMAIN_NAME, PRIO_DOMAIN, d,
				     dlen);
			dhcp_opt_add(o, n, OPT_DOMAIN_SEARCH, PRIO_SEARCH,
				     v->search, len);
		}
	}

	if (*c->hostname) {
		len = strnlen(c->hostname, DHCP_OPT_LEN_MAX);
		dhcp_opt_add(o, n, OPT_HOSTNAME, PRIO_HOSTNAME, c->hostname,
			     len);
	}

	if (c->mtu) {
		v->mtu = htons((uint16_t)c->mtu);
		dhcp_opt_add(o, n, OPT_MTU, PRIO_MTU, &v->mtu, sizeof(v->mtu));
	}

	if (*c->fqdn) {
		/* We update no DNS records: N set, S clear, and O set if the
		 * client asked us to do the A record update
		 */
		v->fqdn[0] = FQDN_FLAG_E | FQDN_FLAG_N;
		if (r->fqdn && (r->fqdn_flags & FQDN_FLAG_S))
			v->fqdn[0] |= FQDN_FLAG_O;
		v->fqdn[1] = v->fqdn[2] = FQDN_RCODE_SERVER;
		len = dns_name_put(c->fqdn, v->fqdn, sizeof(v->fqdn), 3,
				NULL, NULL, 0);
		if (len)
			dhcp_opt_add(o, n, OPT_CLIENT_FQDN, PRIO_FQDN, v->fqdn,
				     len);
		else
			debug_ratelimit("DHCP: FQDN '%s' not valid, left out",
					c->fqdn);
	}
}

/**
 * dhcp_reply_size_max() - Largest reply the client takes
 * @c:		Execution context
 * @r:		Request
 *
 * Return: maximum length of the DHCP message, IP and UDP headers excluded
 */
static size_t dhcp_reply_size_max(const struct ctx *c,
				  const struct dhcp_req *r)
{
	size_t ip_max = r->max_size;

	if (!ip_max) {
		if (!r->type)	/* Plain BOOTP: 64 bytes of vendor area */
			return BOOTP_MSG_MIN;
		ip_max = DHCP_IP_SIZE_MIN;
	}
	if (c->mtu && (size_t)c->mtu < ip_max)
		ip_max = MAX((size_t)c->mtu, DHCP_IP_SIZE_MIN);

	return MIN(ip_max - DHCP_IP_UDP_HLEN, sizeof(struct dhcp_msg));
}

/**
 * dhcp_reply() - Build and send a reply
 * @c:		Execution context
 * @r:		Request
 * @type:	DHCPOFFER, DHCPACK, DHCPNAK, or 0 for a BOOTP reply
 * @yiaddr:	Address given to the client, 0 for none (INFORM, NAK)
 */
static void dhcp_reply(struct ctx *c, const struct dhcp_req *r, uint8_t type,
		       struct in_addr yiaddr)
{
	static const char nak_msg[] = "requested address not available";
	static struct dhcp_msg m;
	struct dhcp_opt_out o[DHCP_OPTS_OUT_MAX];
	size_t n = 0, size, len;
	struct dhcp_vals v;
	struct in_addr dst;
	in_port_t dport = DHCP_CLIENT_PORT;

	memset(&m, 0, sizeof(m));
	m.h.op = BOOTP_OP_REPLY;
	m.h.htype = r->h.htype;
	m.h.hlen = r->h.hlen;
	m.h.xid = r->h.xid;
	m.h.flags = r->h.flags;
	if (type == DHCPNAK && r->h.giaddr.s_addr)	/* RFC 2131 4.3.2 */
		m.h.flags |= htons(BOOTP_FLAG_BROADCAST);
	if (type != DHCPOFFER && type != DHCPNAK)
		m.h.ciaddr = r->h.ciaddr;
	m.h.yiaddr = yiaddr;
	m.h.giaddr = r->h.giaddr;
	memcpy(m.h.chaddr, r->h.chaddr, sizeof(m.h.chaddr));
	m.magic = htonl(DHCP_MAGIC_COOKIE);

	memset(&v, 0, sizeof(v));
	if (type) {
		v.type = type;
		dhcp_opt_add(o, &n, OPT_MSG_TYPE, PRIO_CORE, &v.type, 1);
		v.server_id = c->ip4.our_tap_addr;
		dhcp_opt_add(o, &n, OPT_SERVER_ID, PRIO_CORE, &v.server_id,
			     sizeof(v.server_id));
		if (yiaddr.s_addr) {
			v.lease = htonl(c->no_follow ? DHCP_LEASE_INFINITE :
					c->dhcp_lease);
			dhcp_opt_add(o, &n, OPT_LEASE_TIME, PRIO_CORE,
				     &v.lease, sizeof(v.lease));
		}
		if (r->rapid_commit && r->type == DHCPDISCOVER &&
		    type == DHCPACK)
			dhcp_opt_add(o, &n, OPT_RAPID_COMMIT, PRIO_CORE,
				     "", 0);
		if (r->client_id_len)		/* RFC 6842 */
			dhcp_opt_add(o, &n, OPT_CLIENT_ID, PRIO_CLIENT_ID,
				     r->client_id, r->client_id_len);
	}
	if (type == DHCPNAK)
		dhcp_opt_add(o, &n, OPT_MESSAGE, PRIO_SEARCH, nak_msg,
			     sizeof(nak_msg) - 1);
	else
		dhcp_opts_config(c, r, &v, o, &n);

	size = dhcp_reply_size_max(c, r);
	dhcp_opts_fit(o, n, size - offsetof(struct dhcp_msg, opts) - 1);
	len = offsetof(struct dhcp_msg, opts) +
	      dhcp_opts_write(o, n, m.opts, size - offsetof(struct dhcp_msg,
							    opts));
	len = MAX(len, BOOTP_MSG_MIN);	/* Padded with zeroes */

	/* RFC 2131 4.1 */
	if (r->h.giaddr.s_addr) {
		dst = r->h.giaddr;
		dport = DHCP_SERVER_PORT;
	} else if (type != DHCPNAK && r->h.ciaddr.s_addr) {
		dst = r->h.ciaddr;
	} else if (type != DHCPNAK && yiaddr.s_addr &&
		   !(ntohs(r->h.flags) & BOOTP_FLAG_BROADCAST)) {
		dst = yiaddr;
	} else {
		dst.s_addr = htonl(INADDR_BROADCAST);
	}

	debug_ratelimit("DHCP: %s to %s for %s", dhcp_type_name(type),
			inet_ntoa(dst), dhcp_type_name(r->type));
	frame_udp4_send(c, c->ip4.our_tap_addr, DHCP_SERVER_PORT, dst, dport,
			&m, len);
}

/**
 * dhcp_request() - Answer a DHCPREQUEST
 * @c:		Execution context
 * @r:		Request
 */
static void dhcp_request(struct ctx *c, const struct dhcp_req *r)
{
	struct in_addr none = { 0 }, want;

	if (r->server_id.s_addr &&
	    r->server_id.s_addr != c->ip4.our_tap_addr.s_addr) {
		debug_ratelimit("DHCP: REQUEST for server %s, not us: ignored",
				inet_ntoa(r->server_id));
		return;
	}

	/* SELECTING and INIT-REBOOT: option 50; RENEWING, REBINDING: ciaddr */
	want = r->requested.s_addr ? r->requested : r->h.ciaddr;
	if (want.s_addr != c->ip4.addr.s_addr) {
		debug_ratelimit("DHCP: guest asked for %s, not its address: "
				"NAK", inet_ntoa(want));
		dhcp_reply(c, r, DHCPNAK, none);
		return;
	}

	dhcp_reply(c, r, DHCPACK, c->ip4.addr);
	c->ip4.addr_seen = c->ip4.addr;
}

/**
 * dhcp() - Answer a DHCP or BOOTP request from the guest
 * @c:		Execution context
 * @p:		Pool whose packet 0 is the UDP header and the message
 *
 * Return: 1 if the request was handled (answered, or rightly left
 *	   unanswered), 0 if it was malformed or not for a server, and dropped
 */
int dhcp(struct ctx *c, const struct pool *p)
{
	struct in_addr none = { 0 };
	struct dhcp_req r;

	if (!dhcp_parse(p, &r)) {
		tap_stats.dropped_in++;
		return 0;
	}

	debug_ratelimit("DHCP: %s from the guest", dhcp_type_name(r.type));

	switch (r.type) {
	case 0:
		dhcp_reply(c, &r, 0, c->ip4.addr);
		c->ip4.addr_seen = c->ip4.addr;
		break;
	case DHCPDISCOVER:
		if (r.rapid_commit) {
			dhcp_reply(c, &r, DHCPACK, c->ip4.addr);
			c->ip4.addr_seen = c->ip4.addr;
		} else {
			dhcp_reply(c, &r, DHCPOFFER, c->ip4.addr);
		}
		break;
	case DHCPREQUEST:
		dhcp_request(c, &r);
		break;
	case DHCPINFORM:
		dhcp_reply(c, &r, DHCPACK, none);
		break;
	case DHCPDECLINE:
		warn_ratelimit("DHCP: guest declined %s: address in use on "
			       "its link?", inet_ntoa(r.requested));
		break;
	case DHCPRELEASE:
		debug_ratelimit("DHCP: guest released %s",
				inet_ntoa(r.h.ciaddr));
		break;
	default:
		debug_ratelimit("DHCP: %s (type %u) from the guest ignored",
				dhcp_type_name(r.type), r.type);
		return 0;
	}

	return 1;
}
