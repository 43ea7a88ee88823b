/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PASST_H
#define PASST_H

#include <limits.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "fwd.h"
#include "isolation.h"

#define MAC_OUR_DEFAULT		{ 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 }

#define MTU_DEFAULT		65520
#define MTU_MIN			68
#define MTU_MAX			65520
#define MTU_MIN_IPV6		1280

#define MAXNS			3	/* DNS servers per family */
#define MAXDNSRCH		6	/* Search domains */
#define DNSRCH_LEN		254

#define TIMER_INTERVAL_MS	1000	/* Housekeeping period */

/* DHCP lease while following the host: a renewal, at half of it, picks up
 * a new address
 */
#define DHCP_LEASE_DEFAULT	120
#define DHCP_LEASE_MIN		10
#define DHCP_LEASE_MAX		604800

#define UNIX_SOCK_MAX		100	/* /tmp/passt_N.socket, N < this */
#define UNIX_PATH_MAX		sizeof(((struct sockaddr_un *)0)->sun_path)

/* Local mode addresses, used when the host has no default route at all */
#define IP4_LOCAL_ADDR		"169.254.2.1"
#define IP4_LOCAL_GW		"169.254.2.2"
#define IP4_LOCAL_PREFIX_LEN	16
#define IP6_LOCAL_GW		"fe80::1"

enum passt_mode {
	MODE_PASST,
	MODE_PASTA,
};

/**
 * enum epoll_type - Kind of file descriptor registered with epoll
 */
enum epoll_type {
	EPOLL_TYPE_NONE = 0,
	EPOLL_TYPE_SIGNAL,		/* signalfd: quit signals */
	EPOLL_TYPE_TAP_LISTEN,		/* passt: UNIX listening socket */
	EPOLL_TYPE_TAP_PASST,		/* passt: connected guest socket */
	EPOLL_TYPE_TAP_PASTA,		/* pasta: tap device */
	EPOLL_TYPE_PASTA_PIDFD,		/* pasta: command or joined process */
	EPOLL_TYPE_PING,		/* ICMP/ICMPv6 echo socket */
	EPOLL_TYPE_TCP,			/* TCP connection socket */
	EPOLL_TYPE_TCP_LISTEN,		/* TCP listening socket (-t) */
	EPOLL_TYPE_UDP,			/* UDP flow socket */
	EPOLL_TYPE_UDP_LISTEN,		/* UDP forwarded port socket (-u) */
	EPOLL_TYPE_TCP_SPLICE,		/* pasta: spliced TCP socket */
	EPOLL_TYPE_TCP_LISTEN_NS,	/* pasta: listening in the namespace (-T) */
	EPOLL_TYPE_UDP_LISTEN_NS,	/* pasta: bound in the namespace (-U) */
	EPOLL_TYPE_HOSTWATCH_NL,	/* rtnetlink events of the host */
	EPOLL_TYPE_HOSTWATCH_INOTIFY,	/* resolv.conf changes */
	EPOLL_TYPE_MAX,
};

/**
 * union epoll_ref - Reference stored with each fd in the epoll set
 * @type:	One of enum epoll_type
 * @fd:		File descriptor number
 * @data:	Type-specific data (flow index for sockets of a flow)
 * @u64:	The whole reference, as epoll_data.u64
 */
union epoll_ref {
	struct {
		uint32_t type:8;
		int32_t fd:24;
		uint32_t data;
	};
	uint64_t u64;
};

/**
 * struct ip4_ctx - IPv4 configuration
 * @addr:		Address assigned to the guest
 * @addr_seen:		Source address the guest was last seen using
 * @prefix_len:		Prefix length of the guest's subnet
 * @gw:			Default gateway as seen by the guest
 * @our_tap_addr:	Address we use towards the guest (ARP, DHCP server)
 * @dns:		DNS servers handed to the guest
 * @dns_host:		Host resolver --dns-forward queries go to
 * @dns_match:		Address where the guest sends DNS to be forwarded
 * @map_host_loopback:	Guest-visible address standing for the host's lo
 * @map_guest_addr:	Guest-visible address standing for the host's address
 * @addr_out:		Source address for outbound sockets (-o)
 * @ifname_out:		Interface outbound sockets bind to (--outbound-if4)
 */
struct ip4_ctx {
	struct in_addr addr;
	struct in_addr addr_seen;
	int prefix_len;
	struct in_addr gw;
	struct in_addr our_tap_addr;
	struct in_addr dns[MAXNS];
	struct in_addr dns_host;
	struct in_addr dns_match;
	struct in_addr map_host_loopback;
	struct in_addr map_guest_addr;
	struct in_addr addr_out;
	char ifname_out[IFNAMSIZ];
};

/**
 * struct ip6_ctx - IPv6 configuration
 * @addr:		Address assigned to the guest
 * @addr_seen:		Source address the guest was last seen using
 * @addr_ll_seen:	Link-local address the guest was last seen using
 * @prefix_len:		Prefix length of the guest's subnet
 * @gw:			Default gateway as seen by the guest
 * @our_tap_ll:		Link-local address we use towards the guest
 * @dns:		DNS servers handed to the guest
 * @dns_host:		Host resolver --dns-forward queries go to
 * @dns_match:		Address where the guest sends DNS to be forwarded
 * @map_host_loopback:	Guest-visible address standing for the host's lo
 * @map_guest_addr:	Guest-visible address standing for the host's address
 * @addr_out:		Source address for outbound sockets (-o)
 * @ifname_out:		Interface outbound sockets bind to (--outbound-if6)
 */
struct ip6_ctx {
	struct in6_addr addr;
	struct in6_addr addr_seen;
	struct in6_addr addr_ll_seen;
	int prefix_len;
	struct in6_addr gw;
	struct in6_addr our_tap_ll;
	struct in6_addr dns[MAXNS];
	struct in6_addr dns_host;
	struct in6_addr dns_match;
	struct in6_addr map_host_loopback;
	struct in6_addr map_guest_addr;
	struct in6_addr addr_out;
	char ifname_out[IFNAMSIZ];
};

/**
 * struct conf_pins - What the command line fixed: it doesn't follow the host
 * @ifi:		-i: index of the host interface, 0 if not given
 * @addr4:	-a, IPv4 address
 * @prefix4:	-n: IPv4 prefix length
 * @gw4:	-g, IPv4 gateway
 * @addr6:	-a, IPv6 address
 * @gw6:	-g, IPv6 gateway
 * @off4:	-6: no IPv4
 * @off6:	-4: no IPv6
 * @search:	-S: search domains
 * @dns_host4:	--dns-host, IPv4
 * @dns_host6:	--dns-host, IPv6
 * @map_lo4:	--map-host-loopback, IPv4
 * @map_lo6:	--map-host-loopback, IPv6
 */
struct conf_pins {
	unsigned int ifi;
	bool addr4;
	bool prefix4;
	bool gw4;
	bool addr6;
	bool gw6;
	bool off4;
	bool off6;
	bool search;
	bool dns_host4;
	bool dns_host6;
	bool map_lo4;
	bool map_lo6;
};

/**
 * struct ctx - Execution context
 */
struct ctx {
	enum passt_mode mode;
	int epollfd;
	pid_t pid;

	/* Logging and process */
	bool debug;
	bool quiet;
	bool foreground;
	bool stderr_log;
	char log_file[PATH_MAX];
	size_t log_size;
	char pidfile[PATH_MAX];
	int pidfile_fd;
	bool pidfile_written;
	struct isolate_file pidfile_own;	/* To remove it at exit */
	char pcap[PATH_MAX];
	uid_t uid;
	gid_t gid;
	bool runas_set;
	bool runas_switch;		/* Started as root: become uid, gid */

	/* Tap side: passt */
	char sock_path[UNIX_PATH_MAX];
	int fd_tap_listen;
	int fd_tap;
	bool one_off;
	bool fd_tap_given;
	struct isolate_file sock_own;	/* To remove it at exit */

	/* Tap side: pasta */
	char pasta_ifname[IFNAMSIZ];
	unsigned int pasta_ifi;
	uint8_t pasta_mac[ETH_ALEN];
	bool pasta_mac_set;
	char netns_path[PATH_MAX];
	char userns_path[PATH_MAX];
	int netns_dirfd;		/* --netns: directory, O_PATH */
	char netns_name[NAME_MAX + 1];	/* --netns: name in there */
	pid_t pasta_pid_target;		/* Process whose namespaces we joined */
	pid_t pasta_child;		/* Command we spawned */
	int pasta_netns_fd;
	int pasta_userns_fd;
	pid_t nsb_pid;			/* Namespace broker, see broker.c */
	bool netns_only;
	bool no_netns_quit;
	bool pasta_conf_ns;
	bool pasta_spawned;		/* We created the namespaces */
	bool tap_vnet;			/* Tap frames carry virtio_net_hdr */
	unsigned int tap_offloads;	/* TUN_F_* the kernel took */
	bool no_tap_offload;		/* --no-tap-offload */
	unsigned int tap_offload_refuse; /* --no-tap-offload=LIST */

	/* Addresses, as handed to the guest */
	uint8_t our_tap_mac[ETH_ALEN];
	uint8_t guest_mac[ETH_ALEN];
	int mtu;
	bool mtu_set;
	char ifname4[IFNAMSIZ];
	char ifname6[IFNAMSIZ];
	unsigned int ifi4;		/* 0: IPv4 disabled */
	unsigned int ifi6;		/* 0: IPv6 disabled */
	bool local_mode;
	struct ip4_ctx ip4;
	struct ip6_ctx ip6;
	bool dns_set_by_user;		/* -D given: don't read resolv.conf */
	char dns_search[MAXDNSRCH][DNSRCH_LEN + 1];
	char hostname[HOST_NAME_MAX + 1];
	char fqdn[DNSRCH_LEN + 1];
	struct conf_pins pins;		/* Given by the user: not followed */
	bool no_follow;			/* --no-follow: host read once */
	uint32_t dhcp_lease;		/* Seconds, DHCP lease while following */

	uint32_t tcp_idle_timeout;	/* Seconds, 0: none */

	/* Feature switches */
	bool no_tcp;
	bool no_udp;
	bool no_icmp;
	bool no_dhcp;
	bool no_ndp;
	bool no_dhcpv6;
	bool no_ra;
	bool no_map_gw;
	bool fwd_multicast;		/* UDP to multicast groups goes out */
	bool no_dhcp_dns;
	bool no_dhcp_dns_search;
	bool no_splice;
	bool host_lo_to_ns_lo;

	/* Port forwarding */
	struct fwd_ports tcp_in;	/* -t: host -> guest */
	struct fwd_ports udp_in;	/* -u: host -> guest */
	struct fwd_ports tcp_out;	/* -T: namespace -> host (pasta) */
	struct fwd_ports udp_out;	/* -U: namespace -> host (pasta) */
};

void passt_exit(const struct ctx *c, int status) __attribute__((noreturn));

#endif /* PASST_H */
