// SPDX-License-Identifier: GPL-2.0-or-later
/* ndp.c - Neighbour Discovery towards the guest: we are the router and
 * every neighbour
 *
 * As with ARP for IPv4, the guest's link has two nodes: the guest and us.
 * Whatever address the guest solicits (the gateway, a host on its prefix,
 * a link-local address), we answer with a neighbour advertisement carrying
 * our MAC address, so all of the guest's traffic comes to us. Addresses the
 * guest uses itself are the exception: a solicitation for one of them, and
 * any duplicate address detection probe (source ::) for an address that
 * isn't one of ours, goes unanswered, or the guest would give the address
 * up as a duplicate. That includes the addresses it makes up with SLAAC.
 *
 * We are also the guest's router. Router advertisements go out on request
 * (router solicitation) and unsolicited to all nodes, a few quickly once a
 * guest is there and then every few minutes, from ndp_timer(). They carry
 * our MAC address, the MTU, the prefix of the guest's address (on-link,
 * autonomous, infinite lifetimes: the guest may make up its own address in
 * it with SLAAC), DNS servers (RFC 8106 RDNSS) and the search list (DNSSL),
 * and the "managed" and "other configuration" flags when our DHCPv6 server
 * runs, so the guest also asks for the very address the host has. In local
 * mode (no global address for the guest) they carry no prefix: the guest
 * keeps link-local addresses and routes through us.
 *
 * When the host's network changes (hostwatch.c), one goes out at once if
 * the guest would hear something new. What the guest last heard is noted
 * (ndp_told), and an advertisement also withdraws what it heard and the
 * configuration no longer has: the old prefix at lifetime 0, old DNS
 * servers at lifetime 0. If IPv6 is gone from the host, a final one with
 * router lifetime 0 tells the guest to stop routing through us.
 *
 * Received messages are checked as RFC 4861 requires (sections 6.1 and
 * 7.1): ICMPv6 code 0, length, every option of non-zero length within the
 * message, no source link-layer address option with an unspecified source,
 * and, when the caller passes the IPv6 header along, hop limit 255.
 * Anything else is dropped silently. The ICMPv6 checksum isn't checked
 * here: frames come straight from the guest's kernel or hypervisor, not
 * over a wire, and checksums may legitimately be left for offload.
 */

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dhcpv6.h"
#include "frame.h"
#include "log.h"
#include "ndp.h"
#include "passt.h"
#include "tap.h"
#include "util.h"

#ifndef ND_OPT_RDNSS
#define ND_OPT_RDNSS		25	/* RFC 8106, 5.1 */
#endif
#ifndef ND_OPT_DNSSL
#define ND_OPT_DNSSL		31	/* RFC 8106, 5.2 */
#endif

#define NDP_HOP_LIMIT		255	/* RFC 4861, 6.1 and 7.1 */
#define NDP_OPT_UNIT		8	/* Option lengths count 8 octets */
#define NDP_LIFETIME_INFINITE	0xffffffffU

/* Keep advertisements within the IPv6 minimum MTU, whatever the guest's */
#define RA_MAX_LEN		(MTU_MIN_IPV6 - sizeof(struct ip6_hdr))

/**
 * struct ndp_opt_lla - Source or target link-layer address option
 * @type:	ND_OPT_SOURCE_LINKADDR or ND_OPT_TARGET_LINKADDR
 * @len:	Length in units of 8 octets: 1
 * @mac:	MAC address
 */
struct ndp_opt_lla {
	uint8_t type;
	uint8_t len;
	uint8_t mac[ETH_ALEN];
} __attribute__((packed));

/**
 * struct ndp_opt_dns - Header of the RDNSS and DNSSL options (RFC 8106)
 * @type:	ND_OPT_RDNSS or ND_OPT_DNSSL
 * @len:	Length in units of 8 octets, header included
 * @reserved:	Zero
 * @lifetime:	Seconds the addresses or domains may be used, network order
 */
struct ndp_opt_dns {
	uint8_t type;
	uint8_t len;
	uint16_t reserved;
	uint32_t lifetime;
} __attribute__((packed));

/**
 * struct ndp_na - Neighbour advertisement with target link-layer address
 * @na:		ICMPv6 header, flags and target
 * @tlla:	Target link-layer address option: our MAC address
 */
struct ndp_na {
	struct nd_neighbor_advert na;
	struct ndp_opt_lla tlla;
} __attribute__((packed));

/**
 * struct ndp_ra_schedule - When the next unsolicited advertisement is due
 * @sent:	Advertisements sent since a guest was (last) seen connected
 * @next:	Monotonic clock second the next one is due at
 */
static struct ndp_ra_schedule {
	unsigned int sent;
	time_t next;
} ndp_ra_schedule;

/**
 * struct ndp_adv - What an advertisement tells the guest, to compare
 * @ll:		Our link-local address, its source: unspecified for none
 * @prefix:	An address of the prefix, unspecified for none
 * @prefix_len:	Prefix length
 * @dns:	DNS servers (RDNSS), unspecified ones unused
 * @search:	Search domains (DNSSL), empty ones unused
 *
 * ndp_told is what the guest last heard: the next advertisement withdraws
 * what's in there and not in the configuration any more (lifetime 0).
 */
struct ndp_adv {
	struct in6_addr ll;
	struct in6_addr prefix;
	int prefix_len;
	struct in6_addr dns[MAXNS];
	char search[MAXDNSRCH][DNSRCH_LEN + 1];
};

static struct ndp_adv ndp_told;
static bool ndp_told_final;	/* ...and the router lifetime 0 after it */

static const struct in6_addr ndp_all_nodes = {
	.s6_addr = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }
};

/**
 * ndp_hop_limit_ok() - Check the hop limit, if the caller passed it along
 * @p:		Pool: packet 0 is the message, packet 1 (optional) the
 *		IPv6 header it came with
 *
 * A hop limit of 255 proves the message wasn't forwarded by a router: it
 * comes from the link itself.
 *
 * Return: false if the IPv6 header is there and the hop limit isn't 255
 */
static bool ndp_hop_limit_ok(const struct pool *p)
{
	const uint8_t *hlim;

	if (p->count < 2)
		return true;

	if (!packet_get(p, 1, 0, sizeof(struct ip6_hdr), NULL))
		return false;
	hlim = packet_get(p, 1, offsetof(struct ip6_hdr, ip6_hlim), 1, NULL);
	return hlim && *hlim == NDP_HOP_LIMIT;
}

/**
 * ndp_opts_valid() - Check the options of a received NDP message
 * @p:		Pool, packet 0 is the ICMPv6 message
 * @off:	Offset of the first option, after the fixed part
 * @slla:	Set if there's a source link-layer address option
 *
 * Return: true if every option has a non-zero length and lies within the
 *	   message (RFC 4861, 6.1.1 and 7.1.1), false otherwise
 */
static bool ndp_opts_valid(const struct pool *p, size_t off, bool *slla)
{
	size_t end = packet_len(p, 0);

	*slla = false;

	/* Each round moves at least NDP_OPT_UNIT bytes on: bounded */
	while (off < end) {
		const uint8_t *opt = packet_get(p, 0, off, 2, NULL);
		size_t len;

		if (!opt || !opt[1])
			return false;

		len = (size_t)opt[1] * NDP_OPT_UNIT;
		if (!packet_get(p, 0, off, len, NULL))
			return false;

		if (opt[0] == ND_OPT_SOURCE_LINKADDR)
			*slla = true;
		off += len;
	}

	return true;
}

/**
 * ndp_is_guest_addr() - Is this one of the addresses the guest uses?
 * @c:		Execution context
 * @addr:	Address
 *
 * Return: true if the guest was given @addr or was seen using it
 */
static bool ndp_is_guest_addr(const struct ctx *c, const struct in6_addr *addr)
{
	return (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr) &&
		IN6_ARE_ADDR_EQUAL(addr, &c->ip6.addr)) ||
	       (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr_seen) &&
		IN6_ARE_ADDR_EQUAL(addr, &c->ip6.addr_seen)) ||
	       (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr_ll_seen) &&
		IN6_ARE_ADDR_EQUAL(addr, &c->ip6.addr_ll_seen));
}

/**
 * ndp_is_our_addr() - Is this an address we answer from ourselves?
 * @c:		Execution context
 * @addr:	Address
 *
 * Return: true for our link-local address and the guest's gateway
 */
static bool ndp_is_our_addr(const struct ctx *c, const struct in6_addr *addr)
{
	return IN6_ARE_ADDR_EQUAL(addr, &c->ip6.our_tap_ll) ||
	       IN6_ARE_ADDR_EQUAL(addr, &c->ip6.gw);
}

/**
 * ndp_is_solicited_node() - Is this a solicited-node multicast address?
 * @addr:	Address
 *
 * Return: true if @addr is in ff02::1:ff00:0/104 (RFC 4291, 2.7.1)
 */
static bool ndp_is_solicited_node(const struct in6_addr *addr)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0x01, 0xff };

	return !memcmp(addr->s6_addr, prefix, sizeof(prefix));
}

/**
 * ndp_ns() - Answer a neighbour solicitation
 * @c:		Execution context
 * @saddr:	Source address of the solicitation
 * @daddr:	Destination address of the solicitation
 * @p:		Pool, packet 0 is the ICMPv6 message
 */
static void ndp_ns(struct ctx *c, const struct in6_addr *saddr,
		   const struct in6_addr *daddr, const struct pool *p)
{
	struct nd_neighbor_solicit ns;
	const void *msg = packet_get(p, 0, 0, sizeof(ns), NULL);
	const struct in6_addr *dst;
	struct ndp_na na;
	uint32_t flags;
	bool slla, dad;

	if (!msg) {
		debug_ratelimit("NDP: truncated neighbour solicitation");
		return;
	}
	memcpy(&ns, msg, sizeof(ns));

	if (!ndp_opts_valid(p, sizeof(ns), &slla)) {
		debug_ratelimit("NDP: neighbour solicitation with bad options");
		return;
	}
	if (IN6_IS_ADDR_MULTICAST(&ns.nd_ns_target))
		return;

	dad = IN6_IS_ADDR_UNSPECIFIED(saddr);
	if (dad && (slla || !ndp_is_solicited_node(daddr)))
		return;

	if (dad) {
		/* The guest probes an address it wants to use: stay quiet,
		 * unless it's an address we stand for (RFC 4862, 5.4.3)
		 */
		if (!ndp_is_our_addr(c, &ns.nd_ns_target))
			return;
		dst = &ndp_all_nodes;
		flags = ND_NA_FLAG_ROUTER | ND_NA_FLAG_OVERRIDE;
	} else {
		if (ndp_is_guest_addr(c, &ns.nd_ns_target))
			return;
		dst = saddr;
		flags = ND_NA_FLAG_ROUTER | ND_NA_FLAG_SOLICITED |
			ND_NA_FLAG_OVERRIDE;
	}

	memset(&na, 0, sizeof(na));
	na.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	na.na.nd_na_code = 0;
	na.na.nd_na_flags_reserved = flags;
	na.na.nd_na_target = ns.nd_ns_target;
	na.tlla.type = ND_OPT_TARGET_LINKADDR;
	na.tlla.len = sizeof(na.tlla) / NDP_OPT_UNIT;
	memcpy(na.tlla.mac, c->our_tap_mac, ETH_ALEN);

	/* We answer as the node owning the target address */
	frame_icmp6_send(c, &ns.nd_ns_target, dst, &na, sizeof(na));
}

/**
 * ndp_has_addr() - Is an address in a list of MAXNS?
 * @list:	List, unspecified entries unused
 * @a:		Address
 *
 * Return: true if it is
 */
static bool ndp_has_addr(const struct in6_addr *list, const struct in6_addr *a)
{
	int i;

	for (i = 0; i < MAXNS; i++) {
		if (IN6_ARE_ADDR_EQUAL(&list[i], a))
			return true;
	}
	return false;
}

/**
 * ndp_opt_rdnss() - Write an RDNSS option (RFC 8106, 5.1)
 * @buf:	Where to write it
 * @size:	Room at @buf
 * @dns:	DNS servers, MAXNS, unspecified entries unused
 * @except:	Leave out the servers in here, MAXNS, or NULL
 * @lifetime:	Lifetime, seconds, host order: 0 withdraws them
 *
 * Return: length written, 0 if there's no DNS server to advertise
 */
static size_t ndp_opt_rdnss(uint8_t *buf, size_t size,
			    const struct in6_addr *dns,
			    const struct in6_addr *except, uint32_t lifetime)
{
	struct ndp_opt_dns hdr = {
		.type = ND_OPT_RDNSS,
		.lifetime = htonl(lifetime),
	};
	size_t len = sizeof(hdr), i;

	if (size < sizeof(hdr))
		return 0;

	for (i = 0; i < MAXNS; i++) {
		const struct in6_addr *a = &dns[i];

		if (IN6_IS_ADDR_UNSPECIFIED(a) ||
		    (except && ndp_has_addr(except, a)))
			continue;
		if (size - len < sizeof(*a))
			break;
		memcpy(buf + len, a, sizeof(*a));
		len += sizeof(*a);
	}
	if (len == sizeof(hdr))
		return 0;

	hdr.len = (uint8_t)(len / NDP_OPT_UNIT);
	memcpy(buf, &hdr, sizeof(hdr));
	return len;
}

/**
 * ndp_has_domain() - Is a search domain in a list?
 * @list:	Search domains, MAXDNSRCH, the first empty one ends them
 * @d:		Domain
 *
 * Return: true if it's there
 */
static bool ndp_has_domain(char (*list)[DNSRCH_LEN + 1], const char *d)
{
	int i;

	for (i = 0; i < MAXDNSRCH && *list[i]; i++) {
		if (!strcmp(list[i], d))
			return true;
	}
	return false;
}

/**
 * ndp_opt_dnssl() - Write a DNSSL option (RFC 8106, 5.2)
 * @buf:	Where to write it
 * @size:	Room at @buf
 * @search:	Search domains, MAXDNSRCH, the first empty one ends them
 * @except:	Leave out the domains in here, MAXDNSRCH, or NULL
 * @lifetime:	Lifetime, seconds, host order: 0 withdraws them
 *
 * Domains that don't fit in @size (after the others) are left out.
 *
 * Return: length written, padding included, 0 if there's no domain
 */
static size_t ndp_opt_dnssl(uint8_t *buf, size_t size,
			    char (*search)[DNSRCH_LEN + 1],
			    char (*except)[DNSRCH_LEN + 1], uint32_t lifetime)
{
	struct ndp_opt_dns hdr = {
		.type = ND_OPT_DNSSL,
		.lifetime = htonl(lifetime),
	};
	/* Room for the names, rounded down so that padding always fits */
	size_t room = size / NDP_OPT_UNIT * NDP_OPT_UNIT;
	size_t len = sizeof(hdr), padded, i;

	if (room <= sizeof(hdr))
		return 0;

	for (i = 0; i < MAXDNSRCH && *search[i]; i++) {
		size_t n;

		if (except && ndp_has_domain(except, search[i]))
			continue;
		n = dns_name_encode(buf + len, room - len, search[i]);
		if (!n) {
			debug("NDP: search domain %s left out of DNSSL",
			      search[i]);
			continue;
		}
		len += n;
	}
	if (len == sizeof(hdr))
		return 0;

	padded = ROUND_UP(len, NDP_OPT_UNIT);
	memset(buf + len, 0, padded - len);

	hdr.len = (uint8_t)(padded / NDP_OPT_UNIT);
	memcpy(buf, &hdr, sizeof(hdr));
	return padded;
}

/**
 * ndp_prefix() - Mask an address to its prefix
 * @addr:	Address
 * @prefix_len:	Prefix length, 0 to 128
 * @prefix:	Filled with the prefix
 */
static void ndp_prefix(const struct in6_addr *addr, int prefix_len,
		       struct in6_addr *prefix)
{
	int i;

	for (i = 0; i < 16; i++) {
		int bits = prefix_len - i * 8;

		if (bits >= 8)
			prefix->s6_addr[i] = addr->s6_addr[i];
		else if (bits > 0)
			prefix->s6_addr[i] = addr->s6_addr[i] &
					     (uint8_t)(0xff << (8 - bits));
		else
			prefix->s6_addr[i] = 0;
	}
}

/**
 * ndp_opt_prefix() - Write a prefix information option
 * @buf:	Where to write it
 * @addr:	Any address of the prefix
 * @prefix_len:	Prefix length
 * @lifetime:	Valid and preferred lifetime, seconds, host order
 *
 * Return: length of the option
 */
static size_t ndp_opt_prefix(uint8_t *buf, const struct in6_addr *addr,
			     int prefix_len, uint32_t lifetime)
{
	struct nd_opt_prefix_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.nd_opt_pi_type = ND_OPT_PREFIX_INFORMATION;
	pi.nd_opt_pi_len = sizeof(pi) / NDP_OPT_UNIT;
	pi.nd_opt_pi_prefix_len = (uint8_t)prefix_len;
	pi.nd_opt_pi_flags_reserved = ND_OPT_PI_FLAG_ONLINK |
				      ND_OPT_PI_FLAG_AUTO;
	pi.nd_opt_pi_valid_time = htonl(lifetime);
	pi.nd_opt_pi_preferred_time = htonl(lifetime);
	ndp_prefix(addr, prefix_len, &pi.nd_opt_pi_prefix);
	memcpy(buf, &pi, sizeof(pi));
	return sizeof(pi);
}

/**
 * ndp_adv_now() - What an advertisement would tell the guest now
 * @c:		Execution context
 * @a:		Filled in: all unspecified if IPv6 is off
 */
static void ndp_adv_now(const struct ctx *c, struct ndp_adv *a)
{
	memset(a, 0, sizeof(*a));
	if (!c->ifi6)
		return;
	a->ll = c->ip6.our_tap_ll;
	if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr)) {
		ndp_prefix(&c->ip6.addr, c->ip6.prefix_len, &a->prefix);
		a->prefix_len = c->ip6.prefix_len;
	}
	if (!c->no_dhcp_dns)
		memcpy(a->dns, c->ip6.dns, sizeof(a->dns));
	if (!c->no_dhcp_dns_search)
		memcpy(a->search, c->dns_search, sizeof(a->search));
}

/**
 * ndp_adv_same() - Would the guest hear the same thing twice?
 * @a:		One advertisement's contents
 * @b:		The other's
 *
 * Return: true if they're the same
 */
static bool ndp_adv_same(const struct ndp_adv *a, const struct ndp_adv *b)
{
	return IN6_ARE_ADDR_EQUAL(&a->ll, &b->ll) &&
	       IN6_ARE_ADDR_EQUAL(&a->prefix, &b->prefix) &&
	       a->prefix_len == b->prefix_len &&
	       !memcmp(a->dns, b->dns, sizeof(a->dns)) &&
	       !memcmp(a->search, b->search, sizeof(a->search));
}

/**
 * ndp_ra_build() - Build a router advertisement
 * @c:		Execution context
 * @buf:	Buffer, at least RA_MAX_LEN bytes
 * @now:	What it advertises (ndp_adv_now())
 * @final:	Router lifetime 0, nothing advertised (RFC 4861, 6.2.5):
 *		we stop being the guest's router, or stop being it from
 *		this link-local address
 *
 * What the guest last heard (ndp_told) and @now doesn't have goes in too,
 * withdrawn: the prefix at valid and preferred lifetime 0 (RFC 4862,
 * 5.5.3: the guest's addresses in it are deprecated at once), DNS servers
 * and search domains at lifetime 0 (RFC 8106, 5.1 and 5.2: no longer to be
 * used). A final one withdraws every DNS server and search domain it had:
 * clients keep them per router.
 *
 * Return: length of the advertisement
 */
static size_t ndp_ra_build(const struct ctx *c, uint8_t *buf,
			   struct ndp_adv *now, bool final)
{
	bool addr = !final && !IN6_IS_ADDR_UNSPECIFIED(&now->prefix);
	struct ndp_adv *old = &ndp_told;
	struct ndp_opt_lla slla = {
		.type = ND_OPT_SOURCE_LINKADDR,
		.len = sizeof(slla) / NDP_OPT_UNIT,
	};
	struct nd_router_advert ra;
	size_t len;

	memset(&ra, 0, sizeof(ra));
	ra.nd_ra_type = ND_ROUTER_ADVERT;
	ra.nd_ra_code = 0;
	ra.nd_ra_curhoplimit = 0;		/* Unspecified: guest's own */
	if (!c->no_dhcpv6 && !final) {
		/* The address from DHCPv6, other configuration too */
		if (addr)
			ra.nd_ra_flags_reserved |= ND_RA_FLAG_MANAGED;
		ra.nd_ra_flags_reserved |= ND_RA_FLAG_OTHER;
	}
	ra.nd_ra_router_lifetime = final ? 0 : htons(RA_ROUTER_LIFETIME);
	ra.nd_ra_reachable = 0;			/* Unspecified */
	ra.nd_ra_retransmit = 0;		/* Unspecified */
	memcpy(buf, &ra, sizeof(ra));
	len = sizeof(ra);

	memcpy(slla.mac, c->our_tap_mac, ETH_ALEN);
	memcpy(buf + len, &slla, sizeof(slla));
	len += sizeof(slla);

	if (c->mtu >= MTU_MIN_IPV6) {
		struct nd_opt_mtu mtu;

		memset(&mtu, 0, sizeof(mtu));
		mtu.nd_opt_mtu_type = ND_OPT_MTU;
		mtu.nd_opt_mtu_len = sizeof(mtu) / NDP_OPT_UNIT;
		mtu.nd_opt_mtu_mtu = htonl((uint32_t)c->mtu);
		memcpy(buf + len, &mtu, sizeof(mtu));
		len += sizeof(mtu);
	}

	if (addr)
		len += ndp_opt_prefix(buf + len, &now->prefix, now->prefix_len,
				      NDP_LIFETIME_INFINITE);
	if (!IN6_IS_ADDR_UNSPECIFIED(&old->prefix) &&
	    (!IN6_ARE_ADDR_EQUAL(&old->prefix, &now->prefix) ||
	     old->prefix_len != now->prefix_len))
		len += ndp_opt_prefix(buf + len, &old->prefix, old->prefix_len,
				      0);

	if (!final)
		len += ndp_opt_rdnss(buf + len, RA_MAX_LEN - len, now->dns,
				     NULL, NDP_LIFETIME_INFINITE);
	len += ndp_opt_rdnss(buf + len, RA_MAX_LEN - len, old->dns,
			     final ? NULL : now->dns, 0);
	if (!final)
		len += ndp_opt_dnssl(buf + len, RA_MAX_LEN - len, now->search,
				     NULL, NDP_LIFETIME_INFINITE);
	len += ndp_opt_dnssl(buf + len, RA_MAX_LEN - len, old->search,
			     final ? NULL : now->search, 0);

	return len;
}

/**
 * ndp_ra_send() - Send a router advertisement to the guest
 * @c:		Execution context
 * @dst:	Destination: the soliciting guest, or all nodes
 */
static void ndp_ra_send(struct ctx *c, const struct in6_addr *dst)
{
	static uint8_t buf[RA_MAX_LEN] __attribute__((aligned(8)));
	struct ndp_adv now;
	size_t len;

	ndp_adv_now(c, &now);
	len = ndp_ra_build(c, buf, &now, false);
	frame_icmp6_send(c, &c->ip6.our_tap_ll, dst, buf, len);
	ndp_told = now;
	ndp_told_final = false;
}

/**
 * ndp_host_changed() - The host's IPv6 changed: tell the guest now
 * @c:		Execution context, new configuration
 * @now:	Current time
 *
 * If what the guest last heard from us differs from what it would hear now
 * (prefix, DNS servers, our link-local address, IPv6 at all), one
 * unsolicited advertisement at once, withdrawing what's gone, then the
 * quick ones again, in case that one was lost. If IPv6 is gone, or our
 * link-local address changed, first a final one from the old address with
 * router lifetime 0 (RFC 4861, 6.2.5), so that the guest stops routing
 * through it; what it withdraws stays noted, and goes out again, at
 * lifetime 0, with the advertisement that comes once IPv6 is back.
 */
void ndp_host_changed(struct ctx *c, const struct timespec *now)
{
	struct ndp_adv adv;

	if (c->no_ndp || c->no_ra || c->fd_tap < 0)
		return;

	ndp_adv_now(c, &adv);
	if (!ndp_told_final && ndp_adv_same(&adv, &ndp_told))
		return;

	if (!IN6_IS_ADDR_UNSPECIFIED(&ndp_told.ll) && !ndp_told_final &&
	    !IN6_ARE_ADDR_EQUAL(&ndp_told.ll, &adv.ll)) {
		static uint8_t buf[RA_MAX_LEN] __attribute__((aligned(8)));
		size_t len = ndp_ra_build(c, buf, &adv, true);

		frame_icmp6_send(c, &ndp_told.ll, &ndp_all_nodes, buf, len);
		ndp_told_final = true;
	}
	if (!c->ifi6)
		return;

	ndp_ra_send(c, &ndp_all_nodes);
	ndp_ra_schedule.sent = 1;
	ndp_ra_schedule.next = now->tv_sec + RA_INITIAL_INTERVAL;
}

/**
 * ndp_rs() - Answer a router solicitation
 * @c:		Execution context
 * @saddr:	Source address of the solicitation
 * @p:		Pool, packet 0 is the ICMPv6 message
 */
static void ndp_rs(struct ctx *c, const struct in6_addr *saddr,
		   const struct pool *p)
{
	bool slla;

	if (!packet_get(p, 0, 0, sizeof(struct nd_router_solicit), NULL)) {
		debug_ratelimit("NDP: truncated router solicitation");
		return;
	}
	if (!ndp_opts_valid(p, sizeof(struct nd_router_solicit), &slla)) {
		debug_ratelimit("NDP: router solicitation with bad options");
		return;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(saddr) && slla)
		return;

	if (c->no_ra)
		return;

	/* Unicast when we can (RFC 4861, 6.2.6): nobody else to tell */
	ndp_ra_send(c, IN6_IS_ADDR_UNSPECIFIED(saddr) ? &ndp_all_nodes : saddr);
}

/**
 * ndp() - Handle a Neighbour Discovery message from the guest
 * @c:		Execution context
 * @saddr:	Source address
 * @daddr:	Destination address
 * @p:		Pool: packet 0 is the ICMPv6 message; packet 1, if
 *		present, is the IPv6 header it came with, for the hop
 *		limit check
 *
 * Return: 1 if it was an NDP message (answered, ignored or dropped as
 *	   invalid), 0 if it's some other ICMPv6 message
 */
int ndp(struct ctx *c, const struct in6_addr *saddr,
	const struct in6_addr *daddr, const struct pool *p)
{
	const uint8_t *ih = packet_get(p, 0, 0, 2, NULL); /* Type, code */
	uint8_t type, code;

	if (!ih)
		return 0;
	type = ih[0];
	code = ih[1];

	if (type < ND_ROUTER_SOLICIT || type > ND_REDIRECT)
		return 0;

	if (code || !ndp_hop_limit_ok(p)) {
		debug_ratelimit("NDP: message type %u with code %u or hop "
				"limit other than 255 dropped", type, code);
		return 1;
	}

	switch (type) {
	case ND_NEIGHBOR_SOLICIT:
		ndp_ns(c, saddr, daddr, p);
		break;
	case ND_ROUTER_SOLICIT:
		ndp_rs(c, saddr, p);
		break;
	default:
		/* Advertisements and redirects: the guest has no say */
		break;
	}

	return 1;
}

/**
 * ndp_timer() - Send unsolicited router advertisements when due
 * @c:		Execution context
 * @now:	Current time, monotonic clock
 */
void ndp_timer(struct ctx *c, const struct timespec *now)
{
	struct ndp_ra_schedule *s = &ndp_ra_schedule;
	time_t interval;

	if (c->fd_tap < 0) {
		/* No guest: a new one gets the quick ones again, and has
		 * heard nothing it should forget
		 */
		s->sent = 0;
		memset(&ndp_told, 0, sizeof(ndp_told));
		ndp_told_final = false;
		return;
	}

	if (!c->ifi6 || c->no_ndp || c->no_ra)
		return;

	if (s->sent && now->tv_sec < s->next)
		return;

	ndp_ra_send(c, &ndp_all_nodes);

	if (s->sent < RA_INITIAL_COUNT)
		s->sent++;

	if (s->sent < RA_INITIAL_COUNT) {
		interval = RA_INITIAL_INTERVAL;
	} else {
		/* Spread out (RFC 4861, 6.2.4): nanoseconds are random enough
		 * for that
		 */
		interval = RA_INTERVAL_MIN + now->tv_nsec %
			   (RA_INTERVAL_MAX - RA_INTERVAL_MIN + 1);
	}
	s->next = now->tv_sec + interval;
}
