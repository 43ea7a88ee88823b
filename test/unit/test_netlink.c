// SPDX-License-Identifier: GPL-2.0-or-later
/* test_netlink.c - What pasta's broker relays to its namespace (nl_relay())
 *
 * With --config-net and following the host, the broker keeps
 * CAP_NET_ADMIN in pasta's namespace and makes address and route changes
 * the daemon asks for. A compromised daemon may ask for anything: only
 * addresses of the tap interface and routes of the main table through it
 * may go through, and nothing that reaches another interface (a route
 * with multipath next hops or a nexthop object, another table). Refusals
 * come before anything is sent; the changes that pass are made, on the
 * loopback of a network namespace of the test's own.
 */

#include <check.h>
#include <errno.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink.h"
#include "unit.h"

#define TAP_IFI		7	/* The tap, for the refusals: never sent */

/**
 * struct req - A request as the daemon would send it
 * @nh:		Netlink header
 * @body:	ifaddrmsg or rtmsg, then attributes
 */
static struct req {
	struct nlmsghdr nh;
	uint8_t body[256];
} __attribute__((aligned(NLMSG_ALIGNTO))) r;

/**
 * req_init() - Start a request
 * @type:	RTM_NEWADDR, RTM_NEWROUTE...
 * @hlen:	Size of the family header after the netlink header
 *
 * Return: the family header, zeroed
 */
static void *req_init(uint16_t type, size_t hlen)
{
	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_type = type;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE;
	r.nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(hlen);
	return NLMSG_DATA(&r.nh);
}

/**
 * req_attr() - Append an attribute
 * @type:	Attribute type
 * @data:	Payload
 * @len:	Its length
 */
static void req_attr(unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((uint8_t *)&r +
					       NLMSG_ALIGN(r.nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r.nh.nlmsg_len = (uint32_t)(NLMSG_ALIGN(r.nh.nlmsg_len) +
				    RTA_ALIGN(rta->rta_len));
}

/**
 * route_req() - A route to 192.0.2.0/24 in the main table through @oif
 * @oif:	Output interface
 */
static void route_req(unsigned int oif)
{
	struct rtmsg *rtm = req_init(RTM_NEWROUTE, sizeof(*rtm));
	struct in_addr dst = { htonl(0xc0000200) };

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 24;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	req_attr(RTA_DST, &dst, sizeof(dst));
	req_attr(RTA_OIF, &oif, sizeof(oif));
}

/**
 * addr_req() - 192.0.2.1/32 on @ifi
 * @ifi:	Interface
 */
static void addr_req(unsigned int ifi)
{
	struct ifaddrmsg *ifa = req_init(RTM_NEWADDR, sizeof(*ifa));
	struct in_addr a = { htonl(0xc0000201) };

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_index = ifi;
	req_attr(IFA_LOCAL, &a, sizeof(a));
	req_attr(IFA_ADDRESS, &a, sizeof(a));
}

START_TEST(refuses_address_of_another_interface)
{
	addr_req(TAP_IFI + 1);
	ck_assert_int_eq(nl_relay(-1, &r, sizeof(r), TAP_IFI), -EPERM);
}
END_TEST

START_TEST(refuses_route_through_another_interface)
{
	route_req(TAP_IFI + 1);
	ck_assert_int_eq(nl_relay(-1, &r, sizeof(r), TAP_IFI), -EPERM);
}
END_TEST

START_TEST(refuses_route_without_interface)
{
	struct rtmsg *rtm = req_init(RTM_NEWROUTE, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	ck_assert_int_eq(nl_relay(-1, &r, sizeof(r), TAP_IFI), -EPERM);
}
END_TEST

START_TEST(refuses_other_table)
{
	struct rtmsg *rtm;
	uint32_t table = 100;

	route_req(TAP_IFI);
	rtm = NLMSG_DATA(&r.nh);
	rtm->rtm_table = RT_TABLE_LOCAL;
	ck_assert_int_eq(nl_relay(-1, &r, sizeof(r), TAP_IFI), -EPERM);

	route_req(TAP_IFI);
	req_attr(RTA_TABLE, &table, sizeof(table));
	ck_assert_int_eq(nl_relay(-1, &r, sizeof(r), TAP_IFI), -EPERM);
}
END_TEST

START_TEST(refuses_multipath_next_hops)
{
	struct {
		struct rtnexthop nh;
	} mp = { { .rtnh_len = sizeof(struct rtnexthop),
		   .rtnh_ifindex = TAP_IFI + 1 } };

	route_req(TAP_IFI);
	req_attr(RTA_MULTIPATH, &mp, sizeof(mp));
	ck_assert_int_eq(nl_relay(-1, &r, sizeof(r), TAP_IFI), -EPERM);
}
END_TEST

START_TEST(refuses_nexthop_object)
{
	uint32_t id = 1;

	route_req(TAP_IFI);
	req_attr(RTA_NH_ID, &id, sizeof(id));
	ck_assert_int_eq(nl_relay(-1, &r, sizeof(r), TAP_IFI), -EPERM);
}
END_TEST

START_TEST(refuses_other_message_types)
{
	static const uint16_t types[] = { RTM_NEWLINK, RTM_DELLINK,
					  RTM_NEWRULE, RTM_NEWNEIGH,
					  RTM_NEWNEXTHOP, RTM_GETROUTE };
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct ifaddrmsg *ifa = req_init(types[i], 64);

		ifa->ifa_index = TAP_IFI;
		ck_assert_int_eq(nl_relay(-1, &r, sizeof(r), TAP_IFI), -EPERM);
	}
}
END_TEST

START_TEST(refuses_short_or_lying_lengths)
{
	route_req(TAP_IFI);
	ck_assert_int_eq(nl_relay(-1, &r, NLMSG_LENGTH(4), TAP_IFI), -EINVAL);
	r.nh.nlmsg_len = sizeof(r) + 1;
	ck_assert_int_eq(nl_relay(-1, &r, sizeof(r), TAP_IFI), -EINVAL);
	r.nh.nlmsg_len = NLMSG_LENGTH(2);
	ck_assert_int_eq(nl_relay(-1, &r, sizeof(r), TAP_IFI), -EINVAL);
}
END_TEST

START_TEST(makes_address_and_route_of_the_interface)
{
	unsigned int lo;
	int s;

	ck_assert_msg(!unshare(CLONE_NEWUSER | CLONE_NEWNET),
		      "unshare: %s", strerror(errno));
	lo = if_nametoindex("lo");
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(nl_link_up(s, lo), 0);

	addr_req(lo);
	ck_assert_int_eq(nl_relay(s, &r, sizeof(r), lo), 0);
	route_req(lo);
	ck_assert_int_eq(nl_relay(s, &r, sizeof(r), lo), 0);
	/* Now there: adding it again must fail with EEXIST */
	route_req(lo);
	r.nh.nlmsg_flags |= NLM_F_EXCL;
	ck_assert_int_eq(nl_relay(s, &r, sizeof(r), lo), -EEXIST);
	close(s);
}
END_TEST

/**
 * netlink_suite() - Test suite for nl_relay()
 *
 * Return: the suite
 */
static Suite *netlink_suite(void)
{
	Suite *s = suite_create("netlink");

	unit_tcase(s, "nl_relay refuses", NULL, NULL, TESTS(
		refuses_address_of_another_interface,
		refuses_route_through_another_interface,
		refuses_route_without_interface, refuses_other_table,
		refuses_multipath_next_hops, refuses_nexthop_object,
		refuses_other_message_types,
		refuses_short_or_lying_lengths));
	unit_tcase(s, "nl_relay makes", NULL, NULL, TESTS(
		makes_address_and_route_of_the_interface));
	return s;
}

int main(void)
{
	return unit_run(netlink_suite());
}
