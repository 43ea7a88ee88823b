// SPDX-License-Identifier: GPL-2.0-or-later
/* dhcpv6.c - DHCPv6 server for the guest: one address, DNS, names
 *
 * The guest gets the host's own IPv6 address, the one in c->ip6.addr:
 * whatever IA_NA it asks with, the first one is answered with that address,
 * lifetimes of --dhcp-lease, T1 at half and T2 at four fifths of it, so that
 * a renewal picks up a new address once the host has one (hostwatch.c);
 * with --no-follow, infinite lifetimes and T1/T2, and the guest has no
 * reason to come back. There is no lease table: every answer
 * follows from the configuration and the request alone. Addresses the
 * client lists that aren't ours are returned with zero lifetimes in replies
 * to Request, Renew and Rebind, so a stale one is dropped; further IA_NAs
 * get the status NoAddrsAvail. In local mode (no address for the guest)
 * every IA_NA gets NoAddrsAvail and a Solicit gets an Advertise without
 * IA_NA saying so (RFC 8415, 18.3.1).
 *
 * Replies carry our DUID-LL (made of our MAC address), the client's DUID
 * as it sent it, DNS servers (RFC 3646), the search list and, if the
 * client asked for it and one is configured, a fully qualified name for the
 * guest (RFC 4704: we do no DNS updates, so the N bit is set). Solicit with
 * Rapid Commit gets the Reply at once; otherwise the Advertise carries the
 * highest preference, so the client doesn't wait for other servers.
 *
 * A message is parsed completely, through packet.c, before anything is
 * sent: each option, and each option nested in an IA, must lie within what
 * contains it, or the whole message is dropped. Messages are then checked
 * against RFC 8415, 16: a Client ID is required (but for
 * Information-request), a Server ID must be absent or ours, depending on
 * the message type. Replies come from our link-local address, port 547,
 * to the client's address, port 546, and stay within the IPv6 minimum MTU:
 * optional options that don't fit are left out.
 */

#include <arpa/inet.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dhcpv6.h"
#include "frame.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "util.h"

/* Message types, RFC 8415, 7.3 */
enum dhcpv6_type {
	DHCPV6_SOLICIT			= 1,
	DHCPV6_ADVERTISE		= 2,
	DHCPV6_REQUEST			= 3,
	DHCPV6_CONFIRM			= 4,
	DHCPV6_RENEW			= 5,
	DHCPV6_REBIND			= 6,
	DHCPV6_REPLY			= 7,
	DHCPV6_RELEASE			= 8,
	DHCPV6_DECLINE			= 9,
	DHCPV6_INFORMATION_REQUEST	= 11,
};

/* Option codes: RFC 8415, 21; RFC 3646, 3 and 4; RFC 4704, 4 */
enum dhcpv6_opt {
	DHCPV6_OPT_CLIENTID		= 1,
	DHCPV6_OPT_SERVERID		= 2,
	DHCPV6_OPT_IA_NA		= 3,
	DHCPV6_OPT_IA_TA		= 4,
	DHCPV6_OPT_IAADDR		= 5,
	DHCPV6_OPT_ORO			= 6,
	DHCPV6_OPT_PREFERENCE		= 7,
	DHCPV6_OPT_STATUS_CODE		= 13,
	DHCPV6_OPT_RAPID_COMMIT		= 14,
	DHCPV6_OPT_DNS_SERVERS		= 23,
	DHCPV6_OPT_DOMAIN_LIST		= 24,
	DHCPV6_OPT_IA_PD		= 25,
	DHCPV6_OPT_CLIENT_FQDN		= 39,
};

/* Status codes, RFC 8415, 21.13 */
enum dhcpv6_status {
	DHCPV6_STATUS_SUCCESS		= 0,
	DHCPV6_STATUS_NOADDRSAVAIL	= 2,
	DHCPV6_STATUS_NOTONLINK		= 4,
};

#define DHCPV6_HDR_LEN		4	/* Message type, transaction */
#define DHCPV6_XID_LEN		3
#define DHCPV6_OPT_HDR_LEN	4	/* Option code, option length */
#define DHCPV6_DUID_MAX		130	/* RFC 8415, 11.1: type, 128 */
#define DHCPV6_DUID_TYPE_LL	3	/* DUID-LL, RFC 8415, 11.4 */
#define DHCPV6_HWTYPE_ETHER	1	/* ARP hardware type: Ethernet */
#define DHCPV6_DUID_LL_LEN	(2 + 2 + ETH_ALEN)
#define DHCPV6_IA_NA_LEN	12	/* IAID, T1, T2 */
#define DHCPV6_IA_TA_LEN	4	/* IAID */
#define DHCPV6_IA_PD_LEN	12	/* IAID, T1, T2 */
#define DHCPV6_IAADDR_LEN	24	/* Address, lifetimes */
#define DHCPV6_INFINITY		0xffffffffU
#define DHCPV6_PREFERENCE_MAX	255

#define DHCPV6_IA_MAX		4	/* IA_NAs answered per message */
#define DHCPV6_IA_ADDR_MAX	4	/* Addresses noted per IA_NA */

/* Replies stay within the IPv6 minimum MTU */
#define DHCPV6_REPLY_MAX	(MTU_MIN_IPV6 - sizeof(struct ip6_hdr) -      \
				 sizeof(struct udphdr))

/* Client FQDN flags, RFC 4704, 4.1 */
#define FQDN_FLAG_S		0x01	/* Server updates AAAA records */
#define FQDN_FLAG_O		0x02	/* Server overrode client's S */
#define FQDN_FLAG_N		0x04	/* No DNS updates at all */

/**
 * struct dhcpv6_ia - An IA_NA option from the client
 * @iaid:	Identity association ID, as received
 * @n_addr:	Number of addresses noted in @addr
 * @addr:	Addresses the client listed in it (the first few)
 */
struct dhcpv6_ia {
	uint8_t iaid[4];
	unsigned int n_addr;
	struct in6_addr addr[DHCPV6_IA_ADDR_MAX];
};

/**
 * struct dhcpv6_msg - What we need of a client's message, once parsed
 * @type:		Message type
 * @xid:		Transaction ID
 * @client_id:		Client's DUID, as received
 * @client_id_len:	Length of @client_id, 0 if there's no Client ID
 * @server_id:		There's a Server ID option
 * @server_id_ours:	...and it holds our DUID
 * @rapid_commit:	There's a Rapid Commit option
 * @fqdn:		There's a Client FQDN option
 * @fqdn_flags:		...and these are its flags
 * @oro_fqdn:		The Option Request option lists the Client FQDN
 * @other_ia:		There's an IA_TA or IA_PD option
 * @n_ia_na:		Number of IA_NA options
 * @ia:			The first DHCPV6_IA_MAX of them
 * @n_addr:		Number of addresses in all the IA_NA options
 * @off_link:		One of them isn't on the guest's link
 */
struct dhcpv6_msg {
	uint8_t type;
	uint8_t xid[DHCPV6_XID_LEN];
	uint8_t client_id[DHCPV6_DUID_MAX];
	size_t client_id_len;
	bool server_id;
	bool server_id_ours;
	bool rapid_commit;
	bool fqdn;
	uint8_t fqdn_flags;
	bool oro_fqdn;
	bool other_ia;
	unsigned int n_ia_na;
	struct dhcpv6_ia ia[DHCPV6_IA_MAX];
	unsigned int n_addr;
	bool off_link;
};

/**
 * struct dhcpv6_out - A message being built
 * @buf:	Buffer
 * @size:	Size of @buf
 * @len:	Bytes used
 */
struct dhcpv6_out {
	uint8_t *buf;
	size_t size;
	size_t len;
};

/**
 * dhcpv6_duid() - Our DUID: DUID-LL from our MAC address
 * @c:		Execution context
 * @duid:	Filled with the DUID, DHCPV6_DUID_LL_LEN bytes
 */
static void dhcpv6_duid(const struct ctx *c, uint8_t *duid)
{
	duid[0] = 0;
	duid[1] = DHCPV6_DUID_TYPE_LL;
	duid[2] = 0;
	duid[3] = DHCPV6_HWTYPE_ETHER;
	memcpy(duid + 4, c->our_tap_mac, ETH_ALEN);
}

/**
 * dhcpv6_opt_get() - Read an option header, check the option lies in range
 * @p:		Pool, packet 0 is the UDP datagram
 * @off:	Offset of the option
 * @end:	End of what contains the option (message or option data)
 * @code:	Set to the option code
 * @len:	Set to the length of the option data
 *
 * Return: true if the option, its data included, lies between @off and @end
 */
static bool dhcpv6_opt_get(const struct pool *p, size_t off, size_t end,
			   uint16_t *code, size_t *len)
{
	const uint8_t *h;

	if (off > end || end - off < DHCPV6_OPT_HDR_LEN)
		return false;

	h = packet_get(p, 0, off, DHCPV6_OPT_HDR_LEN, NULL);
	if (!h)
		return false;

	*code = (uint16_t)(h[0] << 8 | h[1]);
	*len = (size_t)(h[2] << 8 | h[3]);

	return *len <= end - off - DHCPV6_OPT_HDR_LEN &&
	       packet_get(p, 0, off + DHCPV6_OPT_HDR_LEN, *len, NULL);
}

/**
 * dhcpv6_opts_valid() - Check that a list of options is well-formed
 * @p:		Pool, packet 0 is the UDP datagram
 * @off:	Offset of the first option
 * @end:	End of the list
 *
 * Return: true if every option lies within the list
 */
static bool dhcpv6_opts_valid(const struct pool *p, size_t off, size_t end)
{
	uint16_t code;
	size_t len;

	/* Each round moves at least DHCPV6_OPT_HDR_LEN on: bounded */
	for (; off < end; off += DHCPV6_OPT_HDR_LEN + len) {
		if (!dhcpv6_opt_get(p, off, end, &code, &len))
			return false;
	}

	return true;
}

/**
 * dhcpv6_on_link() - Is an address on the guest's link?
 * @c:		Execution context
 * @addr:	Address
 *
 * Return: true if @addr is in the prefix of the guest's address
 */
static bool dhcpv6_on_link(const struct ctx *c, const struct in6_addr *addr)
{
	int bits = c->ip6.prefix_len, i;

	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr))
		return false;

	for (i = 0; i < 16 && bits > 0; i++, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((addr->s6_addr[i] ^ c->ip6.addr.s6_addr[i]) & mask)
			return false;
	}

	return true;
}

/**
 * dhcpv6_parse_ia_na() - Parse an IA_NA option and the options in it
 * @c:		Execution context
 * @p:		Pool, packet 0 is the UDP datagram
 * @off:	Offset of the option data
 * @len:	Length of the option data
 * @m:		Parsed message to add the IA_NA to
 *
 * Return: true if the option is well-formed
 */
static bool dhcpv6_parse_ia_na(const struct ctx *c, const struct pool *p,
			       size_t off, size_t len, struct dhcpv6_msg *m)
{
	struct dhcpv6_ia *ia = NULL;
	size_t end = off + len, olen;
	const uint8_t *iaid;
	uint16_t code;

	if (len < DHCPV6_IA_NA_LEN)
		return false;
	iaid = packet_get(p, 0, off, sizeof(ia->iaid), NULL);
	if (!iaid)
		return false;

	if (m->n_ia_na < DHCPV6_IA_MAX) {
		ia = &m->ia[m->n_ia_na];
		memcpy(ia->iaid, iaid, sizeof(ia->iaid));
	}
	m->n_ia_na++;

	for (off += DHCPV6_IA_NA_LEN; off < end;
	     off += DHCPV6_OPT_HDR_LEN + olen) {
		const void *a;
		size_t data;

		if (!dhcpv6_opt_get(p, off, end, &code, &olen))
			return false;
		data = off + DHCPV6_OPT_HDR_LEN;

		if (code != DHCPV6_OPT_IAADDR) {
			if (code == DHCPV6_OPT_STATUS_CODE && olen < 2)
				return false;
			continue;
		}

		if (olen < DHCPV6_IAADDR_LEN ||
		    !dhcpv6_opts_valid(p, data + DHCPV6_IAADDR_LEN,
				       data + olen))
			return false;

		a = packet_get(p, 0, data, sizeof(struct in6_addr), NULL);
		if (!a)
			return false;

		if (ia && ia->n_addr < DHCPV6_IA_ADDR_MAX)
			memcpy(&ia->addr[ia->n_addr++], a,
			       sizeof(struct in6_addr));
		if (!dhcpv6_on_link(c, a))
			m->off_link = true;
		m->n_addr++;
	}

	return true;
}

/**
 * dhcpv6_parse() - Parse and check a whole message from the client
 * @c:		Execution context
 * @p:		Pool, packet 0 is the UDP datagram
 * @m:		Filled with what the message says
 *
 * Return: true if the message is well-formed
 */
static bool dhcpv6_parse(const struct ctx *c, const struct pool *p,
			 struct dhcpv6_msg *m)
{
	uint8_t duid[DHCPV6_DUID_LL_LEN];
	const uint8_t *h;
	struct udphdr uh;
	const void *uhp;
	size_t off, end, len;
	uint16_t code;

	memset(m, 0, sizeof(*m));
	dhcpv6_duid(c, duid);

	uhp = packet_get(p, 0, 0, sizeof(uh), NULL);
	if (!uhp)
		return false;
	memcpy(&uh, uhp, sizeof(uh));

	end = ntohs(uh.len);
	if (end < sizeof(uh) + DHCPV6_HDR_LEN || end > packet_len(p, 0))
		return false;

	h = packet_get(p, 0, sizeof(uh), DHCPV6_HDR_LEN, NULL);
	if (!h)
		return false;
	m->type = h[0];
	memcpy(m->xid, h + 1, DHCPV6_XID_LEN);

	for (off = sizeof(uh) + DHCPV6_HDR_LEN; off < end;
	     off += DHCPV6_OPT_HDR_LEN + len) {
		const void *data;
		size_t i;

		if (!dhcpv6_opt_get(p, off, end, &code, &len))
			return false;
		data = packet_get(p, 0, off + DHCPV6_OPT_HDR_LEN, len, NULL);
		if (!data)
			return false;

		switch (code) {
		case DHCPV6_OPT_CLIENTID:
			if (!len || len > DHCPV6_DUID_MAX || m->client_id_len)
				return false;
			memcpy(m->client_id, data, len);
			m->client_id_len = len;
			break;
		case DHCPV6_OPT_SERVERID:
			if (m->server_id)
				return false;
			m->server_id = true;
			m->server_id_ours = len == sizeof(duid) &&
					    !memcmp(data, duid, sizeof(duid));
			break;
		case DHCPV6_OPT_IA_NA:
			if (!dhcpv6_parse_ia_na(c, p, off + DHCPV6_OPT_HDR_LEN,
						len, m))
				return false;
			break;
		case DHCPV6_OPT_IA_TA:
		case DHCPV6_OPT_IA_PD: {
			size_t fixed = code == DHCPV6_OPT_IA_TA ?
				       DHCPV6_IA_TA_LEN : DHCPV6_IA_PD_LEN;
			size_t start = off + DHCPV6_OPT_HDR_LEN;

			if (len < fixed ||
			    !dhcpv6_opts_valid(p, start + fixed, start + len))
				return false;
			m->other_ia = true;
			break;
		}
		case DHCPV6_OPT_RAPID_COMMIT:
			m->rapid_commit = true;
			break;
		case DHCPV6_OPT_ORO:
			if (len % 2)
				return false;
			for (i = 0; i < len; i += 2) {
				const uint8_t *o = (const uint8_t *)data + i;
				uint16_t req = (uint16_t)(o[0] << 8 | o[1]);

				if (req == DHCPV6_OPT_CLIENT_FQDN)
					m->oro_fqdn = true;
			}
			break;
		case DHCPV6_OPT_CLIENT_FQDN:
			if (!len)
				return false;
			m->fqdn = true;
			m->fqdn_flags = *(const uint8_t *)data;
			break;
		default:
			break;
		}
	}

	return true;
}

/**
 * dhcpv6_put() - Append an option to a message being built
 * @o:		Message being built
 * @code:	Option code
 * @data:	Option data, NULL to leave it for the caller to write
 * @len:	Length of @data
 *
 * Return: true if it fit
 */
static bool dhcpv6_put(struct dhcpv6_out *o, uint16_t code, const void *data,
		       size_t len)
{
	uint8_t *h = o->buf + o->len;

	if (len > UINT16_MAX || o->size - o->len < DHCPV6_OPT_HDR_LEN + len)
		return false;

	h[0] = (uint8_t)(code >> 8);
	h[1] = (uint8_t)code;
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)len;
	if (data)
		memcpy(h + DHCPV6_OPT_HDR_LEN, data, len);
	o->len += DHCPV6_OPT_HDR_LEN + len;
	return true;
}

/**
 * dhcpv6_put_status() - Append a Status Code option
 * @o:		Message being built
 * @status:	Status code
 * @msg:	Message for humans, short
 *
 * Return: true if it fit
 */
static bool dhcpv6_put_status(struct dhcpv6_out *o, enum dhcpv6_status status,
			      const char *msg)
{
	uint8_t data[2 + 64];
	size_t len = MIN(strlen(msg), sizeof(data) - 2);

	data[0] = 0;
	data[1] = (uint8_t)status;
	memcpy(data + 2, msg, len);
	return dhcpv6_put(o, DHCPV6_OPT_STATUS_CODE, data, 2 + len);
}

/**
 * dhcpv6_put_iaaddr() - Append an IA Address option
 * @o:		Message being built
 * @addr:	Address
 * @lifetime:	Preferred and valid lifetime
 *
 * Return: true if it fit
 */
static bool dhcpv6_put_iaaddr(struct dhcpv6_out *o,
			      const struct in6_addr *addr, uint32_t lifetime)
{
	uint8_t data[DHCPV6_IAADDR_LEN];
	uint32_t lt = htonl(lifetime);

	memcpy(data, addr, sizeof(*addr));
	memcpy(data + 16, &lt, sizeof(lt));	/* Preferred */
	memcpy(data + 20, &lt, sizeof(lt));	/* Valid */
	return dhcpv6_put(o, DHCPV6_OPT_IAADDR, data, sizeof(data));
}

/**
 * dhcpv6_put_ia_na() - Append our answer to one of the client's IA_NAs
 * @c:		Execution context
 * @o:		Message being built
 * @ia:		The client's IA_NA
 * @assign:	Give it our address; if false, say there's none to give
 * @drop_others: Return other addresses the client listed, lifetimes 0
 *
 * Return: true if it fit
 */
static bool dhcpv6_put_ia_na(const struct ctx *c, struct dhcpv6_out *o,
			     const struct dhcpv6_ia *ia, bool assign,
			     bool drop_others)
{
	uint32_t life = c->no_follow ? DHCPV6_INFINITY : c->dhcp_lease;
	uint32_t t1 = c->no_follow ? DHCPV6_INFINITY : htonl(life / 2);
	uint32_t t2 = c->no_follow ? DHCPV6_INFINITY : htonl(life / 5 * 4);
	uint8_t fixed[DHCPV6_IA_NA_LEN];
	size_t start = o->len, len;
	unsigned int i;

	memcpy(fixed, ia->iaid, sizeof(ia->iaid));
	memcpy(fixed + 4, &t1, sizeof(t1));
	memcpy(fixed + 8, &t2, sizeof(t2));
	if (!dhcpv6_put(o, DHCPV6_OPT_IA_NA, fixed, sizeof(fixed)))
		return false;

	if (!assign) {
		if (!dhcpv6_put_status(o, DHCPV6_STATUS_NOADDRSAVAIL,
				       "no addresses available"))
			return false;
		goto done;
	}

	if (!dhcpv6_put_iaaddr(o, &c->ip6.addr, life))
		return false;

	for (i = 0; drop_others && i < ia->n_addr; i++) {
		if (IN6_ARE_ADDR_EQUAL(&ia->addr[i], &c->ip6.addr))
			continue;
		if (!dhcpv6_put_iaaddr(o, &ia->addr[i], 0))
			return false;
	}

done:
	len = o->len - start - DHCPV6_OPT_HDR_LEN;
	o->buf[start + 2] = (uint8_t)(len >> 8);
	o->buf[start + 3] = (uint8_t)len;
	return true;
}

/**
 * dhcpv6_put_config() - Append DNS servers, search list and name
 * @c:		Execution context
 * @o:		Message being built
 * @m:		Client's message
 *
 * What doesn't fit is left out: search domains one by one, in order.
 */
static void dhcpv6_put_config(const struct ctx *c, struct dhcpv6_out *o,
			      const struct dhcpv6_msg *m)
{
	uint8_t data[MAXDNSRCH * DNS_NAME_MAX + 1];
	size_t len = 0, i;

	if (!c->no_dhcp_dns) {
		for (i = 0; i < MAXNS; i++) {
			if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns[i]))
				continue;
			memcpy(data + len, &c->ip6.dns[i],
			       sizeof(struct in6_addr));
			len += sizeof(struct in6_addr);
		}
		if (len && !dhcpv6_put(o, DHCPV6_OPT_DNS_SERVERS, data, len))
			debug("DHCPv6: no room for DNS servers");
	}

	if (!c->no_dhcp_dns_search &&
	    o->size - o->len > DHCPV6_OPT_HDR_LEN) {
		size_t room = MIN(sizeof(data),
				  o->size - o->len - DHCPV6_OPT_HDR_LEN);

		/* As many domains as fit, in order */
		len = 0;
		for (i = 0; i < MAXDNSRCH && *c->dns_search[i]; i++) {
			size_t n = dns_name_encode(data + len, room - len,
						   c->dns_search[i]);

			if (!n)
				debug("DHCPv6: search domain %s left out",
				      c->dns_search[i]);
			len += n;
		}
		if (len)
			dhcpv6_put(o, DHCPV6_OPT_DOMAIN_LIST, data, len);
	}

	/* RFC 4704, 6: only to clients sending and requesting the option */
	if (m->fqdn && m->oro_fqdn && *c->fqdn) {
		data[0] = FQDN_FLAG_N;
		if (m->fqdn_flags & FQDN_FLAG_S)
			data[0] |= FQDN_FLAG_O;
		len = dns_name_encode(data + 1, sizeof(data) - 1, c->fqdn);
		if (!len)
			debug("DHCPv6: can't encode name %s", c->fqdn);
		else if (!dhcpv6_put(o, DHCPV6_OPT_CLIENT_FQDN, data, 1 + len))
			debug("DHCPv6: no room for the name");
	}
}

/**
 * dhcpv6_valid() - Check a message against RFC 8415, 16
 * @m:		Parsed message
 *
 * Return: true if a server must process it, false if it must discard it
 */
static bool dhcpv6_valid(const struct dhcpv6_msg *m)
{
	switch (m->type) {
	case DHCPV6_SOLICIT:
	case DHCPV6_CONFIRM:
	case DHCPV6_REBIND:
		return m->client_id_len && !m->server_id;
	case DHCPV6_REQUEST:
	case DHCPV6_RENEW:
	case DHCPV6_RELEASE:
	case DHCPV6_DECLINE:
		return m->client_id_len && m->server_id_ours;
	case DHCPV6_INFORMATION_REQUEST:
		return (!m->server_id || m->server_id_ours) &&
		       !m->n_ia_na && !m->other_ia;
	default:
		/* Server and relay messages, unknown types */
		return false;
	}
}

/**
 * dhcpv6_reply() - Build the answer to a valid message
 * @c:		Execution context
 * @m:		Parsed message
 * @o:		Buffer for the answer
 *
 * Return: true if there is an answer, in @o
 */
static bool dhcpv6_reply(const struct ctx *c, const struct dhcpv6_msg *m,
			 struct dhcpv6_out *o)
{
	bool have_addr = !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr);
	uint8_t duid[DHCPV6_DUID_LL_LEN], pref = DHCPV6_PREFERENCE_MAX;
	uint8_t type = DHCPV6_REPLY;
	bool drop_others = true;
	unsigned int i;

	switch (m->type) {
	case DHCPV6_SOLICIT:
		if (!m->rapid_commit || !have_addr)
			type = DHCPV6_ADVERTISE;
		drop_others = false;
		break;
	case DHCPV6_CONFIRM:
		/* RFC 8415, 18.3.3: nothing to confirm, no reply */
		if (!m->n_addr)
			return false;
		break;
	default:
		break;
	}

	o->buf[0] = type;
	memcpy(o->buf + 1, m->xid, DHCPV6_XID_LEN);
	o->len = DHCPV6_HDR_LEN;

	dhcpv6_duid(c, duid);
	if (!dhcpv6_put(o, DHCPV6_OPT_SERVERID, duid, sizeof(duid)))
		return false;
	if (m->client_id_len &&
	    !dhcpv6_put(o, DHCPV6_OPT_CLIENTID, m->client_id,
			m->client_id_len))
		return false;

	switch (m->type) {
	case DHCPV6_SOLICIT:
		if (!have_addr && m->n_ia_na) {
			/* RFC 8415, 18.3.1: no IA, status in the message */
			if (!dhcpv6_put_status(o, DHCPV6_STATUS_NOADDRSAVAIL,
					       "no addresses available"))
				return false;
			break;
		}
		/* fall through */
	case DHCPV6_REQUEST:
	case DHCPV6_RENEW:
	case DHCPV6_REBIND:
		for (i = 0; i < MIN(m->n_ia_na, DHCPV6_IA_MAX); i++) {
			if (!dhcpv6_put_ia_na(c, o, &m->ia[i],
					      have_addr && !i, drop_others))
				return false;
		}
		break;
	case DHCPV6_CONFIRM:
		if (m->off_link) {
			if (!dhcpv6_put_status(o, DHCPV6_STATUS_NOTONLINK,
					       "not on link"))
				return false;
		} else if (!dhcpv6_put_status(o, DHCPV6_STATUS_SUCCESS,
					      "on link")) {
			return false;
		}
		return true;
	case DHCPV6_RELEASE:
	case DHCPV6_DECLINE:
		return dhcpv6_put_status(o, DHCPV6_STATUS_SUCCESS, "done");
	default:
		break;
	}

	if (type == DHCPV6_ADVERTISE &&
	    !dhcpv6_put(o, DHCPV6_OPT_PREFERENCE, &pref, sizeof(pref)))
		return false;
	if (m->type == DHCPV6_SOLICIT && type == DHCPV6_REPLY &&
	    !dhcpv6_put(o, DHCPV6_OPT_RAPID_COMMIT, NULL, 0))
		return false;

	dhcpv6_put_config(c, o, m);
	return true;
}

/**
 * dhcpv6() - Answer a DHCPv6 message from the guest
 * @c:		Execution context
 * @saddr:	Source address of the datagram
 * @daddr:	Destination address: the servers' multicast group, or us
 * @p:		Pool, packet 0 is the UDP datagram (header and payload)
 *
 * Return: 1 if an answer was queued, 0 if the message was dropped or needs
 *	   none
 */
int dhcpv6(struct ctx *c, const struct in6_addr *saddr,
	   const struct in6_addr *daddr, const struct pool *p)
{
	static uint8_t buf[DHCPV6_REPLY_MAX];
	struct dhcpv6_out o = { .buf = buf, .size = sizeof(buf) };
	struct dhcpv6_msg m;

	(void)daddr;	/* Multicast or unicast to us: both are fine */

	if (IN6_IS_ADDR_UNSPECIFIED(saddr) || IN6_IS_ADDR_MULTICAST(saddr))
		return 0;

	if (!dhcpv6_parse(c, p, &m)) {
		debug_ratelimit("DHCPv6: malformed message dropped");
		return 0;
	}
	if (!dhcpv6_valid(&m)) {
		debug_ratelimit("DHCPv6: message type %u not for us, dropped",
				m.type);
		return 0;
	}
	if (!dhcpv6_reply(c, &m, &o)) {
		if (m.type != DHCPV6_CONFIRM)
			debug_ratelimit("DHCPv6: no room for the answer to "
					"message type %u", m.type);
		return 0;
	}

	frame_udp6_send(c, &c->ip6.our_tap_ll, DHCPV6_SERVER_PORT, saddr,
			DHCPV6_CLIENT_PORT, buf, o.len);
	return 1;
}
