// SPDX-License-Identifier: GPL-2.0-or-later
/* hostwatch.c - Follow the host's addresses, routes and DNS as they change
 *
 * conf.c reads the host's configuration once at start. Unless --no-follow
 * is given, this file keeps it current: a routing netlink socket
 * subscribed to links, addresses and routes of both families, and an
 * inotify descriptor watching resolv.conf, both in the epoll set and both
 * opened before the sandbox. Events are only counted: the first one of a
 * burst arms a deadline HOSTWATCH_DELAY_MS away (folded into the loop's
 * epoll_wait() timeout), so that a VPN coming up, which sends dozens of
 * messages, makes one update. Then conf_refresh() re-reads everything on
 * a copy of the context, with the same rules as at start and leaving what
 * the user gave on the command line alone, and what differs is logged
 * (one info line per change) and applied (hostwatch_change()): the
 * context the protocols read for every answer (DHCP, DHCPv6, NDP, DNS
 * forwarding, address mapping), pasta's namespace with --config-net
 * (pasta_ns_follow()), an unsolicited router advertisement when the IPv6
 * prefix, DNS servers or IPv6 itself come or go (ndp_host_changed()), and
 * flows whose host socket has an address that's gone (flow_addr_gone():
 * TCP connections are reset, UDP flows closed).
 *
 * A full netlink receive queue (ENOBUFS) loses events, not state: the
 * update reads everything again anyway. resolv.conf is watched where it
 * really is: through a symbolic link (systemd-resolved's stub file), its
 * target's directory, for a replacement by rename(), and re-opened by name
 * from a descriptor of that directory, since no path resolves in the
 * sandbox; if it's a mount point of its own (ip netns exec binds
 * /etc/netns/NAME/resolv.conf there), the file itself, as a rename in the
 * directory couldn't replace it, and it's read again from the descriptor
 * kept open.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "flow.h"
#include "hostwatch.h"
#include "log.h"
#include "ndp.h"
#include "netlink.h"
#include "passt.h"
#include "pasta.h"
#include "tap.h"
#include "util.h"

#define RESOLV_CONF_PATH	"/etc/resolv.conf"

/* Events from the watch socket, read per wakeup: the rest waits */
#define HOSTWATCH_NL_ROUNDS	16

static int hw_nl = -1;			/* Subscribed netlink socket */
static int hw_ino = -1;			/* inotify descriptor */
static int hw_wd = -1;			/* Watch: file, or its directory */
static bool hw_wd_file;			/* hw_wd watches the file itself */
static int hw_dirfd = -1;		/* resolv.conf's directory, O_PATH */
static int hw_fd = -1;			/* resolv.conf, open */
static char hw_name[NAME_MAX + 1];	/* resolv.conf's name in there */
static bool hw_reopen;			/* Replaced: open it again by name */
static bool hw_armed;			/* An update is due at hw_due */
static struct timespec hw_due;
static char hw_resolv[CONF_RESOLV_MAX];
static struct ctx hw_next;		/* What the host has now */

/**
 * hostwatch_resolv_init() - Open and watch resolv.conf, where it really is
 * @c:		Execution context
 */
static void hostwatch_resolv_init(const struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_HOSTWATCH_INOTIFY };
	char path[PATH_MAX], dir[PATH_MAX], *slash;
	struct statx sf, sd;

	if (c->dns_set_by_user && c->pins.search)
		return;			/* Nothing in there we'd use */

	if (!realpath(RESOLV_CONF_PATH, path))
		snprintf(path, sizeof(path), "%s", RESOLV_CONF_PATH);
	slash = strrchr(path, '/');
	if (!slash || !slash[1] || strlen(slash + 1) > NAME_MAX)
		return;
	snprintf(hw_name, sizeof(hw_name), "%s", slash + 1);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (!*dir)
		strcpy(dir, "/");

	hw_dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (hw_dirfd < 0) {
		warn_perror("Can't follow %s: directory %s", path, dir);
		return;
	}
	hw_fd = openat(hw_dirfd, hw_name, O_RDONLY | O_CLOEXEC);

	hw_ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (hw_ino < 0) {
		warn_perror("Can't follow %s: inotify", path);
		return;
	}

	/* A file mounted on its own can't be replaced, only rewritten */
	hw_wd_file = hw_fd >= 0 &&
		     !statx(hw_fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sf) &&
		     !statx(hw_dirfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sd) &&
		     (sf.stx_mask & STATX_MNT_ID) &&
		     sf.stx_mnt_id != sd.stx_mnt_id;
	if (hw_wd_file)
		hw_wd = inotify_add_watch(hw_ino, path, IN_CLOSE_WRITE |
					  IN_MODIFY | IN_ATTRIB);
	else
		hw_wd = inotify_add_watch(hw_ino, dir, IN_CLOSE_WRITE |
					  IN_MOVED_TO | IN_MOVED_FROM |
					  IN_CREATE | IN_DELETE |
					  IN_ONLYDIR);
	if (hw_wd < 0) {
		warn_perror("Can't follow %s: watch", path);
		return;
	}
	if (hw_wd_file) {
		/* Never opened again by name */
		close(hw_dirfd);
		hw_dirfd = -1;
	}

	ref.fd = hw_ino;
	if (epoll_add(c, EPOLLIN, ref))
		warn("Can't follow %s: epoll", path);
	debug("Following %s (%s)", path, hw_wd_file ? "the file, mounted"
						    : "its directory");
}

/**
 * hostwatch_resolv_start() - Read resolv.conf by path, as conf.c did
 *
 * What an update uses if resolv.conf can't be followed.
 */
static void hostwatch_resolv_start(void)
{
	int fd = open(RESOLV_CONF_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (fd >= 0) {
		n = read(fd, hw_resolv, sizeof(hw_resolv) - 1);
		close(fd);
	}
	hw_resolv[MAX(n, 0)] = '\0';
}

/**
 * hostwatch_init() - Subscribe to the host's changes, before the sandbox
 * @c:		Execution context, configuration read
 */
void hostwatch_init(const struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_HOSTWATCH_NL };

	if (c->no_follow)
		return;

	hw_nl = nl_sock_watch();
	if (hw_nl < 0) {
		warn_perror("Can't follow the host's network: netlink");
	} else {
		ref.fd = hw_nl;
		if (epoll_add(c, EPOLLIN, ref))
			warn("Can't follow the host's network: epoll");
	}
	hostwatch_resolv_start();
	hostwatch_resolv_init(c);
	hostwatch_resolv_read();
}

/**
 * hostwatch_arm() - Something changed: update once the burst is over
 * @now:	Current time
 */
static void hostwatch_arm(const struct timespec *now)
{
	if (hw_armed)
		return;
	hw_armed = true;
	hw_due = *now;
	hw_due.tv_nsec += (long)HOSTWATCH_DELAY_MS * 1000000L;
	if (hw_due.tv_nsec >= 1000000000L) {
		hw_due.tv_sec += hw_due.tv_nsec / 1000000000L;
		hw_due.tv_nsec %= 1000000000L;
	}
}

/**
 * hostwatch_nl_handler() - Routing messages arrived: drain, arm the update
 * @now:	Current time
 *
 * syscalls: recvfrom
 */
void hostwatch_nl_handler(const struct timespec *now)
{
	static char buf[8192] __attribute__((aligned(4)));
	int i;

	for (i = 0; i < HOSTWATCH_NL_ROUNDS; i++) {
		ssize_t n = recv(hw_nl, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == ENOBUFS) {
			debug("Host changes overran the netlink queue: "
			      "reading everything again");
			hostwatch_arm(now);
			continue;
		}
		if (n <= 0)
			break;
		hostwatch_arm(now);
	}
}

/**
 * hostwatch_inotify_handler() - resolv.conf changed: arm the update
 * @now:	Current time
 *
 * syscalls: read
 */
void hostwatch_inotify_handler(const struct timespec *now)
{
	static char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(hw_ino, buf, sizeof(buf))) > 0) {
		const char *p = buf;

		while (p + sizeof(struct inotify_event) <= buf + n) {
			const struct inotify_event *ev = (const void *)p;
			size_t len = sizeof(*ev) + ev->len;

			if (p + len > buf + n)
				break;
			if (hw_wd_file) {
				hostwatch_arm(now);
			} else if (ev->len &&
				   !strncmp(ev->name, hw_name, ev->len)) {
				if (!(ev->mask & IN_CLOSE_WRITE))
					hw_reopen = true;
				hostwatch_arm(now);
			}
			p += len;
		}
	}
}

/**
 * hostwatch_resolv_read() - Read resolv.conf again into hw_resolv
 *
 * syscalls: openat close pread64
 */
void hostwatch_resolv_read(void)
{
	ssize_t n = -1;

	if (hw_dirfd < 0 && hw_fd < 0)
		return;		/* Not followed: as read at start */
	if (hw_dirfd >= 0 && (hw_reopen || hw_fd < 0)) {
		if (hw_fd >= 0)
			close(hw_fd);
		hw_fd = openat(hw_dirfd, hw_name, O_RDONLY | O_CLOEXEC);
		hw_reopen = false;
	}
	if (hw_fd >= 0)
		n = pread(hw_fd, hw_resolv, sizeof(hw_resolv) - 1, 0);
	hw_resolv[MAX(n, 0)] = '\0';
}

/**
 * hostwatch_timeout() - Time left until the update, for epoll_wait()
 * @now:	Current time
 *
 * Return: milliseconds, -1 if none is due
 */
int hostwatch_timeout(const struct timespec *now)
{
	long ms;

	if (!hw_armed)
		return -1;
	ms = timespec_diff_ms(&hw_due, now);
	return (int)MAX(ms, 0L);
}

/**
 * struct hw_fam - One family's configuration, as hostwatch_log() compares it
 * @on:		The family is in use
 * @addr:	Address, struct in_addr or struct in6_addr
 * @prefix_len:	Its prefix length
 * @gw:		Default gateway, same type as @addr
 */
struct hw_fam {
	bool on;
	const void *addr;
	int prefix_len;
	const void *gw;
};

/**
 * hostwatch_log() - Log a change of one family's configuration
 * @af:		AF_INET or AF_INET6
 * @o:		Old configuration
 * @n:		New configuration
 *
 * Return: true if the address or prefix changed
 */
static bool hostwatch_log(sa_family_t af, const struct hw_fam *o,
			  const struct hw_fam *n)
{
	const char *v = af == AF_INET ? "IPv4" : "IPv6";
	size_t alen = af == AF_INET ? sizeof(struct in_addr) :
				      sizeof(struct in6_addr);
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	bool addr = o->on != n->on || memcmp(o->addr, n->addr, alen) ||
		    o->prefix_len != n->prefix_len;

	inet_ntop(af, o->addr, a, sizeof(a));
	inet_ntop(af, n->addr, b, sizeof(b));
	if (o->on && !n->on)
		info("%s address %s/%i gone: %s disabled", v, a,
		     o->prefix_len, v);
	else if (!o->on && n->on)
		info("%s address %s/%i: %s enabled", v, b, n->prefix_len, v);
	else if (addr)
		info("%s address %s/%i -> %s/%i", v, a, o->prefix_len, b,
		     n->prefix_len);

	if (n->on && (!o->on || memcmp(o->gw, n->gw, alen)))
		info("%s default route via %s", v,
		     inet_ntop(af, n->gw, b, sizeof(b)));
	return addr;
}

/**
 * hostwatch_log_dns() - Log a change of DNS servers or search domains
 * @o:		Old context
 * @n:		New context
 */
static void hostwatch_log_dns(const struct ctx *o, const struct ctx *n)
{
	char buf[INET6_ADDRSTRLEN];
	int i;

	if (!memcmp(o->ip4.dns, n->ip4.dns, sizeof(o->ip4.dns)) &&
	    !memcmp(o->ip6.dns, n->ip6.dns, sizeof(o->ip6.dns)) &&
	    !memcmp(&o->ip4.dns_host, &n->ip4.dns_host,
		    sizeof(o->ip4.dns_host)) &&
	    !memcmp(&o->ip6.dns_host, &n->ip6.dns_host,
		    sizeof(o->ip6.dns_host)) &&
	    !memcmp(o->dns_search, n->dns_search, sizeof(o->dns_search)))
		return;

	if (!n->ip4.dns[0].s_addr && IN6_IS_ADDR_UNSPECIFIED(&n->ip6.dns[0]))
		info("DNS servers: none");
	for (i = 0; i < MAXNS && n->ip4.dns[i].s_addr; i++)
		info("DNS server %s", inet_ntop(AF_INET, &n->ip4.dns[i], buf,
						 sizeof(buf)));
	for (i = 0; i < MAXNS && !IN6_IS_ADDR_UNSPECIFIED(&n->ip6.dns[i]);
	     i++)
		info("DNS server %s", inet_ntop(AF_INET6, &n->ip6.dns[i], buf,
						 sizeof(buf)));
	for (i = 0; i < MAXDNSRCH && *n->dns_search[i]; i++)
		info("DNS search %s", n->dns_search[i]);
}

/**
 * hostwatch_change() - Apply what the host's configuration now is
 * @c:		Execution context
 * @next:	Copy of it, as conf_refresh() left it
 * @now:	Current time
 *
 * Logs what changed, takes the new addresses, routes and DNS into @c, ends
 * flows bound to an address that's gone, follows in pasta's namespace and
 * tells the guest (ndp_host_changed()). Only the fields conf_refresh()
 * updates are taken from @next.
 */
void hostwatch_change(struct ctx *c, const struct ctx *next,
		      const struct timespec *now)
{
	struct ip4_ctx o4 = c->ip4;
	struct ip6_ctx o6 = c->ip6;
	bool on4 = c->ifi4, on6 = c->ifi6, local = c->local_mode;
	bool ch4, ch6;

	if (local != next->local_mode)
		info(next->local_mode ?
		     "No default route on the host: local mode" :
		     "Default route on the host: local mode ends");
	ch4 = hostwatch_log(AF_INET,
			    &(struct hw_fam){ on4, &o4.addr, o4.prefix_len,
					      &o4.gw },
			    &(struct hw_fam){ next->ifi4, &next->ip4.addr,
					      next->ip4.prefix_len,
					      &next->ip4.gw });
	ch6 = hostwatch_log(AF_INET6,
			    &(struct hw_fam){ on6, &o6.addr, o6.prefix_len,
					      &o6.gw },
			    &(struct hw_fam){ next->ifi6, &next->ip6.addr,
					      next->ip6.prefix_len,
					      &next->ip6.gw });
	hostwatch_log_dns(c, next);

	c->ifi4 = next->ifi4;
	c->ifi6 = next->ifi6;
	memcpy(c->ifname4, next->ifname4, sizeof(c->ifname4));
	memcpy(c->ifname6, next->ifname6, sizeof(c->ifname6));
	c->local_mode = next->local_mode;
	c->ip4 = next->ip4;
	c->ip6 = next->ip6;
	memcpy(c->dns_search, next->dns_search, sizeof(c->dns_search));

	/* Resets first, and out, while the guest still has the old address:
	 * pasta's namespace drops them once it's gone. Local mode addresses
	 * were never the host's.
	 */
	if (on4 && !local && o4.addr.s_addr != c->ip4.addr.s_addr)
		flow_addr_gone(c, AF_INET, &o4.addr);
	if (on6 && !local && !IN6_IS_ADDR_UNSPECIFIED(&o6.addr) &&
	    !IN6_ARE_ADDR_EQUAL(&o6.addr, &c->ip6.addr))
		flow_addr_gone(c, AF_INET6, &o6.addr);
	tap_flush(c);

	if (c->mode == MODE_PASTA && c->pasta_conf_ns) {
		pasta_ns_follow(c, &o4, on4, &o6, on6);
		if (ch4)
			c->ip4.addr_seen = c->ip4.addr;
		if (ch6 && !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr))
			c->ip6.addr_seen = c->ip6.addr;
	}
	ndp_host_changed(c, now);
}

/**
 * hostwatch_apply() - Read the host's configuration, apply what changed
 * @c:		Execution context
 * @now:	Current time
 */
static void hostwatch_apply(struct ctx *c, const struct timespec *now)
{
	hostwatch_resolv_read();
	hw_next = *c;
	conf_refresh(&hw_next, hw_resolv);
	hostwatch_change(c, &hw_next, now);
}

/**
 * hostwatch_timer() - Apply the changes once the burst is over
 * @c:		Execution context
 * @now:	Current time
 */
void hostwatch_timer(struct ctx *c, const struct timespec *now)
{
	if (!hw_armed || timespec_diff_ms(now, &hw_due) < 0)
		return;
	hw_armed = false;
	hostwatch_apply(c, now);
}
