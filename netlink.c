// SPDX-License-Identifier: GPL-2.0-or-later
/* netlink.c - Routing netlink: read the host's configuration, set up the
 * namespace's
 *
 * Two sockets: nl_sock in the namespace we were started in, used to find
 * the host's default routes, addresses and links (kept after set-up while
 * following the host, see hostwatch.c, which also opens a subscribed one,
 * nl_sock_watch()); nl_sock_ns, opened inside pasta's target namespace,
 * used for --config-net. After set-up, changes to the namespace go through
 * pasta's broker (nl_sock_ns is NL_SOCK_BROKER, nsb_netlink()), which
 * relays them with nl_relay() if they concern the tap only. Requests are
 * made one at a time and their answers read to completion (NLMSG_DONE for
 * dumps, the acknowledgement for changes); every attribute is walked with
 * the RTA_* macros, which check lengths against the message.
 */

#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"
#include "netlink.h"
#include "util.h"

#define NL_BUFSIZE	65536

int nl_sock = -1;
int nl_sock_ns = -1;
static uint32_t nl_seq = 1;

/**
 * nl_open() - Open a routing netlink socket in the current namespace
 *
 * Return: socket, -1 on failure
 */
int nl_open(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int one = 1;

	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(s);
		return -1;
	}
	setsockopt(s, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	return s;
}

/**
 * nl_sock_init() - Open the netlink socket for the initial namespace
 */
void nl_sock_init(void)
{
	nl_sock = nl_open();
	if (nl_sock < 0)
		die_perror("Can't open netlink socket");
}

/**
 * nl_sock_init_ns() - Open the netlink socket, called inside the namespace
 *
 * Return: 0 on success, -1 on failure
 */
int nl_sock_init_ns(void)
{
	nl_sock_ns = nl_open();
	return nl_sock_ns < 0 ? -1 : 0;
}

/**
 * nl_sock_close() - Set-up is done: close the netlink sockets not needed
 * @keep:	Keep nl_sock, to read the host's configuration again
 * @via_broker:	Changes to the namespace go through pasta's broker now
 *		(nsb_netlink()): our own socket there would act with our
 *		capabilities, none once sandboxed
 */
void nl_sock_close(bool keep, bool via_broker)
{
	if (nl_sock >= 0 && !keep) {
		close(nl_sock);
		nl_sock = -1;
	}
	if (nl_sock_ns >= 0)
		close(nl_sock_ns);
	nl_sock_ns = via_broker ? NL_SOCK_BROKER : -1;
}

/**
 * nl_sock_watch() - Open a non-blocking socket for host changes
 *
 * Subscribed to links, addresses and routes of both families. Its large
 * receive buffer makes overruns (ENOBUFS) rare; the reader re-reads
 * everything then anyway.
 *
 * Return: socket, -1 on failure
 */
int nl_sock_watch(void)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
			     RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
			     RTMGRP_IPV6_ROUTE,
	};
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       NETLINK_ROUTE);
	int size = NL_BUFSIZE * 4;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/**
 * typedef nl_cb_t - Called for each message of a dump
 * @nh:		Message
 * @arg:	Caller's data
 *
 * Return: 0 to go on, 1 to stop looking (the rest is still read)
 */
typedef int (*nl_cb_t)(const struct nlmsghdr *nh, void *arg);

/**
 * nl_do() - Send a request, read every answer
 * @s:		Netlink socket
 * @req:	Request, nlmsg_len set
 * @cb:		Callback for dump answers, NULL for a change request
 * @arg:	Data for @cb
 *
 * Return: 0 on success, negative error code from the kernel on failure
 *
 * syscalls: sendto recvfrom
 */
static int nl_do(int s, struct nlmsghdr *req, nl_cb_t cb, void *arg)
{
	static char buf[NL_BUFSIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool stop = false;
	uint32_t seq;
	int ret = 0;

	if (s == NL_SOCK_BROKER && !cb)
		return nsb_netlink(req);
	if (s < 0)
		return -EBADF;

	seq = req->nlmsg_seq = nl_seq++;
	req->nlmsg_flags |= NLM_F_REQUEST;
	if ((req->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		req->nlmsg_flags |= NLM_F_ACK;

	if (send(s, req, req->nlmsg_len, 0) < 0)
		return -errno;

	for (;;) {
		struct nlmsghdr *nh;
		ssize_t n = recv(s, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}

		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE)
				return ret;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EIO;
				/* The acknowledgement ends a plain request */
				return e->error;
			}
			if (cb && !stop && cb(nh, arg))
				stop = true;
		}
	}
}

/**
 * struct nl_req - A request with room for attributes
 * @nh:		Netlink header
 * @u:		Family-specific header
 * @attrs:	Attributes
 */
struct nl_req {
	struct nlmsghdr nh;
	union {
		struct rtmsg rtm;
		struct ifaddrmsg ifa;
		struct ifinfomsg ifi;
	} u;
	char attrs[256];
};

/**
 * nl_add_attr() - Append an attribute to a request
 * @req:	Request
 * @type:	Attribute type
 * @data:	Attribute data
 * @len:	Length of @data
 */
static void nl_add_attr(struct nl_req *req, unsigned short type,
			const void *data, size_t len)
{
	struct rtattr *rta;
	size_t off = NLMSG_ALIGN(req->nh.nlmsg_len);

	if (off + RTA_SPACE(len) > sizeof(*req))
		die("netlink request too long");
	rta = (struct rtattr *)((char *)req + off);
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
}

/**
 * nl_req_init() - Start a request
 * @req:	Request to initialise
 * @type:	Message type
 * @flags:	Message flags besides NLM_F_REQUEST
 * @hlen:	Length of the family-specific header
 */
static void nl_req_init(struct nl_req *req, uint16_t type, uint16_t flags,
			size_t hlen)
{
	memset(req, 0, sizeof(*req));
	req->nh.nlmsg_type = type;
	req->nh.nlmsg_flags = flags;
	req->nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(hlen);
}

static size_t af_len(sa_family_t af)
{
	return af == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

/**
 * struct route_q - Query for a default route
 * @af:		Address family
 * @ifi:	Interface index to match (0: any; set to the first found)
 * @gw:		Gateway found, if not NULL
 * @found:	Set when a route matched
 */
struct route_q {
	sa_family_t af;
	unsigned int ifi;
	void *gw;
	bool found;
};

/**
 * route_cb() - Match default routes of the main table in a dump
 * @nh:		Message
 * @arg:	struct route_q
 *
 * Return: 1 when a match was found, 0 otherwise
 */
static int route_cb(const struct nlmsghdr *nh, void *arg)
{
	struct route_q *q = arg;
	const struct rtmsg *rtm = NLMSG_DATA(nh);
	const struct rtattr *rta;
	unsigned int oif = 0, table;
	const void *gw = NULL;
	int len;

	if (nh->nlmsg_type != RTM_NEWROUTE ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	if (rtm->rtm_family != q->af || rtm->rtm_dst_len ||
	    rtm->rtm_type != RTN_UNICAST)
		return 0;

	table = rtm->rtm_table;
	len = (int)RTM_PAYLOAD(nh);
	for (rta = RTM_RTA(rtm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type) {
		case RTA_OIF:
			if (RTA_PAYLOAD(rta) >= sizeof(uint32_t))
				memcpy(&oif, RTA_DATA(rta), sizeof(uint32_t));
			break;
		case RTA_GATEWAY:
			if (RTA_PAYLOAD(rta) >= af_len(q->af))
				gw = RTA_DATA(rta);
			break;
		case RTA_TABLE:
			if (RTA_PAYLOAD(rta) >= sizeof(uint32_t))
				memcpy(&table, RTA_DATA(rta), sizeof(table));
			break;
		case RTA_MULTIPATH: {
			const struct rtnexthop *nhp = RTA_DATA(rta);
			int mlen = (int)RTA_PAYLOAD(rta);

			/* First next hop stands for the route */
			if (mlen >= (int)sizeof(*nhp) &&
			    nhp->rtnh_len >= sizeof(*nhp) &&
			    nhp->rtnh_len <= mlen) {
				const struct rtattr *a = RTNH_DATA(nhp);
				int alen = nhp->rtnh_len - (int)sizeof(*nhp);

				oif = (unsigned int)nhp->rtnh_ifindex;
				for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
					if (a->rta_type == RTA_GATEWAY &&
					    RTA_PAYLOAD(a) >= af_len(q->af))
						gw = RTA_DATA(a);
				}
			}
			break;
		}
		}
	}

	if (table != RT_TABLE_MAIN || !oif)
		return 0;
	if (q->ifi && q->ifi != oif)
		return 0;

	q->ifi = oif;
	if (q->gw && gw)
		memcpy(q->gw, gw, af_len(q->af));
	q->found = true;
	return 1;
}

/**
 * nl_get_ext_if() - Interface holding the default route for a family
 * @s:		Netlink socket
 * @af:		AF_INET or AF_INET6
 *
 * Return: interface index, 0 if there's no default route
 */
unsigned int nl_get_ext_if(int s, sa_family_t af)
{
	struct route_q q = { .af = af };
	struct nl_req req;

	nl_req_init(&req, RTM_GETROUTE, NLM_F_DUMP, sizeof(struct rtmsg));
	req.u.rtm.rtm_family = af;
	if (nl_do(s, &req.nh, route_cb, &q) || !q.found)
		return 0;
	return q.ifi;
}

/**
 * nl_route_get_def() - Gateway of the default route via an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @gw:		Set to the gateway address
 *
 * Return: 0 if found, -1 otherwise
 */
int nl_route_get_def(int s, unsigned int ifi, sa_family_t af, void *gw)
{
	struct route_q q = { .af = af, .ifi = ifi, .gw = gw };
	struct nl_req req;

	nl_req_init(&req, RTM_GETROUTE, NLM_F_DUMP, sizeof(struct rtmsg));
	req.u.rtm.rtm_family = af;
	if (nl_do(s, &req.nh, route_cb, &q) || !q.found)
		return -1;
	return 0;
}

/**
 * struct addr_q - Query for the addresses of an interface
 * @af:		Address family
 * @ifi:	Interface index
 * @addr:	First global address found, if not NULL
 * @prefix_len:	Its prefix length
 * @addr_ll:	Link-local address (IPv6), if not NULL
 * @found:	Set when a global address was found
 */
struct addr_q {
	sa_family_t af;
	unsigned int ifi;
	void *addr;
	int *prefix_len;
	void *addr_ll;
	bool found;
};

/**
 * addr_cb() - Pick addresses of an interface from a dump
 * @nh:		Message
 * @arg:	struct addr_q
 *
 * Return: 0, to see every address
 */
static int addr_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	struct addr_q *q = arg;
	const struct rtattr *rta;
	const void *local = NULL, *address = NULL, *a;
	uint32_t flags;
	int len;

	if (nh->nlmsg_type != RTM_NEWADDR ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	if (ifa->ifa_family != q->af || ifa->ifa_index != q->ifi)
		return 0;

	flags = ifa->ifa_flags;
	len = (int)IFA_PAYLOAD(nh);
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (RTA_PAYLOAD(rta) < af_len(q->af) &&
		    rta->rta_type != IFA_FLAGS)
			continue;
		if (rta->rta_type == IFA_LOCAL)
			local = RTA_DATA(rta);
		else if (rta->rta_type == IFA_ADDRESS)
			address = RTA_DATA(rta);
		else if (rta->rta_type == IFA_FLAGS &&
			 RTA_PAYLOAD(rta) >= sizeof(uint32_t))
			memcpy(&flags, RTA_DATA(rta), sizeof(flags));
	}

	a = local ? local : address;
	if (!a)
		return 0;

	if (ifa->ifa_scope == RT_SCOPE_LINK) {
		if (q->af == AF_INET6 && q->addr_ll)
			memcpy(q->addr_ll, a, af_len(q->af));
		return 0;
	}
	if (ifa->ifa_scope != RT_SCOPE_UNIVERSE || q->found)
		return 0;
	if (flags & (IFA_F_DEPRECATED | IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return 0;

	if (q->addr)
		memcpy(q->addr, a, af_len(q->af));
	if (q->prefix_len)
		*q->prefix_len = ifa->ifa_prefixlen;
	q->found = true;
	return 0;
}

/**
 * nl_addr_get() - First global address and prefix length of an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @addr:	Set to the address
 * @prefix_len:	Set to the prefix length
 * @addr_ll:	Set to the link-local address (IPv6), if not NULL
 *
 * Return: 0 if a global address was found, -1 otherwise
 */
int nl_addr_get(int s, unsigned int ifi, sa_family_t af, void *addr,
		int *prefix_len, void *addr_ll)
{
	struct addr_q q = { .af = af, .ifi = ifi, .addr = addr,
			    .prefix_len = prefix_len, .addr_ll = addr_ll };
	struct nl_req req;

	nl_req_init(&req, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
	req.u.ifa.ifa_family = af;
	req.u.ifa.ifa_index = ifi;
	if (nl_do(s, &req.nh, addr_cb, &q) || !q.found)
		return -1;
	return 0;
}

/**
 * struct link_q - Query for link attributes
 * @mac:	Hardware address, if not NULL
 * @mtu:	MTU, if not NULL
 * @name:	Name, IFNAMSIZ bytes, if not NULL
 * @found:	Set when the link answered
 */
struct link_q {
	uint8_t *mac;
	unsigned int *mtu;
	char *name;
	bool found;
};

/**
 * link_cb() - Read attributes of a link
 * @nh:		Message
 * @arg:	struct link_q
 *
 * Return: 1
 */
static int link_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	struct link_q *q = arg;
	const struct rtattr *rta;
	int len;

	if (nh->nlmsg_type != RTM_NEWLINK ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;

	len = (int)IFLA_PAYLOAD(nh);
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_ADDRESS && q->mac &&
		    RTA_PAYLOAD(rta) == 6)
			memcpy(q->mac, RTA_DATA(rta), 6);
		else if (rta->rta_type == IFLA_MTU && q->mtu &&
			 RTA_PAYLOAD(rta) >= sizeof(uint32_t))
			memcpy(q->mtu, RTA_DATA(rta), sizeof(uint32_t));
		else if (rta->rta_type == IFLA_IFNAME && q->name &&
			 RTA_PAYLOAD(rta) > 0)
			snprintf(q->name, IFNAMSIZ, "%.*s",
				 (int)MIN(RTA_PAYLOAD(rta), IFNAMSIZ - 1),
				 (const char *)RTA_DATA(rta));
	}
	q->found = true;
	return 1;
}

/**
 * nl_link_get() - Read a link's attributes
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @q:		What to read
 *
 * Return: 0 on success, -1 on failure
 */
static int nl_link_get(int s, unsigned int ifi, struct link_q *q)
{
	struct nl_req req;

	nl_req_init(&req, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
	req.u.ifi.ifi_family = AF_UNSPEC;
	req.u.ifi.ifi_index = (int)ifi;
	if (nl_do(s, &req.nh, link_cb, q) || !q->found)
		return -1;
	return 0;
}

/**
 * nl_link_get_mac() - Hardware address of a link
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @mac:	Set to the address
 *
 * Return: 0 on success, -1 on failure
 */
int nl_link_get_mac(int s, unsigned int ifi, uint8_t *mac)
{
	struct link_q q = { .mac = mac };

	return nl_link_get(s, ifi, &q);
}

/**
 * nl_link_get_name() - Name of a link, without an ioctl() socket
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @name:	Set to the name, IFNAMSIZ bytes
 *
 * Return: 0 on success, -1 on failure
 */
int nl_link_get_name(int s, unsigned int ifi, char *name)
{
	struct link_q q = { .name = name };

	return nl_link_get(s, ifi, &q);
}

/**
 * nl_link_get_mtu() - MTU of a link
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @mtu:	Set to the MTU
 *
 * Return: 0 on success, -1 on failure
 */
int nl_link_get_mtu(int s, unsigned int ifi, unsigned int *mtu)
{
	struct link_q q = { .mtu = mtu };

	return nl_link_get(s, ifi, &q);
}

/**
 * nl_link_set() - Change a link: flags, MTU, hardware address
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @up:		Set IFF_UP
 * @mtu:	New MTU, 0 to leave alone
 * @mac:	New hardware address, NULL to leave alone
 *
 * Return: 0 on success, negative error code on failure
 */
static int nl_link_set(int s, unsigned int ifi, bool up, unsigned int mtu,
		       const uint8_t *mac)
{
	struct nl_req req;

	nl_req_init(&req, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
	req.u.ifi.ifi_family = AF_UNSPEC;
	req.u.ifi.ifi_index = (int)ifi;
	if (up) {
		req.u.ifi.ifi_flags = IFF_UP;
		req.u.ifi.ifi_change = IFF_UP;
	}
	if (mtu)
		nl_add_attr(&req, IFLA_MTU, &mtu, sizeof(mtu));
	if (mac)
		nl_add_attr(&req, IFLA_ADDRESS, mac, 6);
	return nl_do(s, &req.nh, NULL, NULL);
}

int nl_link_set_mac(int s, unsigned int ifi, const uint8_t *mac)
{
	return nl_link_set(s, ifi, false, 0, mac);
}

int nl_link_set_mtu(int s, unsigned int ifi, unsigned int mtu)
{
	return nl_link_set(s, ifi, false, mtu, NULL);
}

int nl_link_up(int s, unsigned int ifi)
{
	return nl_link_set(s, ifi, true, 0, NULL);
}

/**
 * nl_addr_set() - Add an address to an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @addr:	Address
 * @prefix_len:	Prefix length
 *
 * Return: 0 on success (or if already there), negative error code otherwise
 */
int nl_addr_set(int s, unsigned int ifi, sa_family_t af, const void *addr,
		int prefix_len)
{
	struct nl_req req;
	int rc;

	nl_req_init(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
		    sizeof(struct ifaddrmsg));
	req.u.ifa.ifa_family = af;
	req.u.ifa.ifa_prefixlen = (unsigned char)prefix_len;
	req.u.ifa.ifa_index = ifi;
	req.u.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	nl_add_attr(&req, IFA_LOCAL, addr, af_len(af));
	nl_add_attr(&req, IFA_ADDRESS, addr, af_len(af));
	if (af == AF_INET6) {
		/* Usable at once: we are the only other node on the link */
		uint32_t flags = IFA_F_NODAD;

		req.u.ifa.ifa_flags = IFA_F_NODAD;
		nl_add_attr(&req, IFA_FLAGS, &flags, sizeof(flags));
	}

	rc = nl_do(s, &req.nh, NULL, NULL);
	return rc == -EEXIST ? 0 : rc;
}

/**
 * nl_addr_del() - Remove an address from an interface
 * @s:		Netlink socket
 * @ifi:	Interface index
 * @af:		AF_INET or AF_INET6
 * @addr:	Address
 * @prefix_len:	Prefix length
 *
 * Return: 0 on success (or if it wasn't there), negative error code
 *
 * syscalls(pasta): sendto recvfrom
 */
int nl_addr_del(int s, unsigned int ifi, sa_family_t af, const void *addr,
		int prefix_len)
{
	struct nl_req req;
	int rc;

	nl_req_init(&req, RTM_DELADDR, 0, sizeof(struct ifaddrmsg));
	req.u.ifa.ifa_family = af;
	req.u.ifa.ifa_prefixlen = (unsigned char)prefix_len;
	req.u.ifa.ifa_index = ifi;
	nl_add_attr(&req, IFA_LOCAL, addr, af_len(af));

	rc = nl_do(s, &req.nh, NULL, NULL);
	return rc == -EADDRNOTAVAIL ? 0 : rc;
}

/**
 * nl_route_del_def() - Remove the default route of a family via a link
 * @s:		Netlink socket
 * @ifi:	Output interface
 * @af:		AF_INET or AF_INET6
 *
 * Return: 0 on success (or if there was none), negative error code
 */
int nl_route_del_def(int s, unsigned int ifi, sa_family_t af)
{
	struct nl_req req;
	int rc;

	nl_req_init(&req, RTM_DELROUTE, 0, sizeof(struct rtmsg));
	req.u.rtm.rtm_family = af;
	req.u.rtm.rtm_table = RT_TABLE_MAIN;
	req.u.rtm.rtm_scope = RT_SCOPE_NOWHERE;
	nl_add_attr(&req, RTA_OIF, &ifi, sizeof(ifi));

	rc = nl_do(s, &req.nh, NULL, NULL);
	return rc == -ESRCH ? 0 : rc;
}

/**
 * nl_route_add() - Add a route in the main table
 * @s:		Netlink socket
 * @ifi:	Output interface
 * @af:		AF_INET or AF_INET6
 * @dst:	Destination, NULL for default
 * @dst_len:	Destination prefix length
 * @gw:		Gateway, NULL for an on-link route
 *
 * Return: 0 on success (or if already there), negative error code otherwise
 */
static int nl_route_add(int s, unsigned int ifi, sa_family_t af,
			const void *dst, int dst_len, const void *gw)
{
	struct nl_req req;
	int rc;

	nl_req_init(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
		    sizeof(struct rtmsg));
	req.u.rtm.rtm_family = af;
	req.u.rtm.rtm_table = RT_TABLE_MAIN;
	req.u.rtm.rtm_protocol = RTPROT_BOOT;
	req.u.rtm.rtm_type = RTN_UNICAST;
	req.u.rtm.rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	req.u.rtm.rtm_dst_len = (unsigned char)dst_len;
	if (dst)
		nl_add_attr(&req, RTA_DST, dst, af_len(af));
	if (gw)
		nl_add_attr(&req, RTA_GATEWAY, gw, af_len(af));
	nl_add_attr(&req, RTA_OIF, &ifi, sizeof(ifi));

	rc = nl_do(s, &req.nh, NULL, NULL);
	return rc == -EEXIST ? 0 : rc;
}

/**
 * nl_route_set_def() - Add a default route via a gateway
 * @s:		Netlink socket
 * @ifi:	Output interface
 * @af:		AF_INET or AF_INET6
 * @gw:		Gateway
 *
 * Return: 0 on success, negative error code otherwise
 */
int nl_route_set_def(int s, unsigned int ifi, sa_family_t af, const void *gw)
{
	return nl_route_add(s, ifi, af, NULL, 0, gw);
}

/**
 * nl_route_set_onlink() - Add an on-link route, e.g. for a far gateway
 * @s:		Netlink socket
 * @ifi:	Output interface
 * @af:		AF_INET or AF_INET6
 * @dst:	Destination
 * @prefix_len:	Destination prefix length
 *
 * Return: 0 on success, negative error code otherwise
 */
int nl_route_set_onlink(int s, unsigned int ifi, sa_family_t af,
			const void *dst, int prefix_len)
{
	return nl_route_add(s, ifi, af, dst, prefix_len, NULL);
}

/**
 * nl_relay() - pasta's broker: make a change the daemon asked for, if it
 *		concerns the tap interface, addresses and routes only
 * @s:		Netlink socket in the namespace
 * @buf:	Request, as the daemon sent it
 * @size:	Size of @buf
 * @ifi:	Tap interface
 *
 * Return: 0 on success, negative error code otherwise
 */
int nl_relay(int s, void *buf, size_t size, unsigned int ifi)
{
	struct nlmsghdr *nh = buf;
	unsigned int oif = 0;

	if (size < NLMSG_LENGTH(sizeof(struct rtmsg)) ||
	    nh->nlmsg_len > size ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return -EINVAL;

	switch (nh->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR: {
		const struct ifaddrmsg *ifa = NLMSG_DATA(nh);

		if (ifa->ifa_index != ifi)
			return -EPERM;
		break;
	}
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		const struct rtmsg *rtm = NLMSG_DATA(nh);
		const struct rtattr *rta;
		int len;

		if (rtm->rtm_table != RT_TABLE_MAIN)
			return -EPERM;
		len = (int)RTM_PAYLOAD(nh);
		for (rta = RTM_RTA(rtm); RTA_OK(rta, len);
		     rta = RTA_NEXT(rta, len)) {
			/* Only what a route of ours has: no other table, no
			 * multipath or nexthop object leading elsewhere
			 */
			if (rta->rta_type != RTA_DST &&
			    rta->rta_type != RTA_GATEWAY &&
			    rta->rta_type != RTA_OIF)
				return -EPERM;
			if (rta->rta_type == RTA_OIF &&
			    RTA_PAYLOAD(rta) >= sizeof(oif))
				memcpy(&oif, RTA_DATA(rta), sizeof(oif));
		}
		if (oif != ifi)
			return -EPERM;
		break;
	}
	default:
		return -EPERM;
	}

	nh->nlmsg_flags &= NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
			   NLM_F_EXCL | NLM_F_REPLACE;
	return nl_do(s, nh, NULL, NULL);
}
