// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_auto.c - libFuzzer target: pasta's automatic port forwarding
 *
 * pasta's default for -t, -u, -T and -U is "auto": it scans, once a
 * second, what is bound on the other side (the namespace for -t and -u,
 * the host for -T and -U), and forwards those ports, opening and closing
 * its own sockets as they come and go (fwd_auto_scan()). What is bound
 * there is up to the user, or whatever runs in the namespace: here the
 * input binds and closes sockets on the host (the fuzzer's network
 * namespace) and in pasta's (a second one), and says when the daemon
 * scans. The options are fixed:
 *
 *	-t auto,~10022,10080	-u auto,~10053	-T auto,~10122	-U auto
 *
 * so that exclusions and a port given by number alongside "auto" (opened
 * at start, never taken by the scan) are there too.
 *
 * Operations, one byte to say which (bits 0-1), then its fields:
 *
 *	0 bind		what (1 byte): bit 0 UDP (else TCP), bit 1 IPv6,
 *			bit 2 in pasta's namespace (else the host), bit 3
 *			IPv6 only, bit 4 TCP: bound, not listening; UDP:
 *			connected (neither is forwarded), bits 5-7 slot
 *			port (1 byte): bit 7 set, two more bytes give it,
 *			else one of 16 (the options' ports among them)
 *	1 close		slot (1 byte)
 *	2, 3 scan	fwd_auto_scan(), then the checks below (at most
 *			FZ_SCANS of them per input: each takes milliseconds)
 *
 * After each scan, for each option: every port it forwards automatically
 * is one a socket of ours is bound to on its other side (listening, for
 * TCP; not connected, for UDP), neither excluded nor given by number nor
 * in the ephemeral range (UDP), nor forwarded by the option the other way
 * (the daemon's own sockets); and each such port of ours is forwarded,
 * unless a socket of ours on this side holds it too. At the end of the
 * input every socket of ours is closed and the daemon scans: nothing may
 * be left forwarded, no socket of the daemon's left open.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd.h"
#include "harness.h"
#include "inany.h"
#include "passt.h"
#include "util.h"

#define FZ_SLOTS	8
#define FZ_SCANS	16	/* Scans per input, at most */
#define FZ_EXPLICIT	10080	/* -t auto,...,10080 */

/* The options, and where each one's scan looks */
static const char *const specs[FWD_DIRS] = {
	[FWD_TCP_IN] = ("auto,~10022," STR(FZ_EXPLICIT)),
	[FWD_UDP_IN] = "auto,~10053",
	[FWD_TCP_OUT] = "auto,~10122",
	[FWD_UDP_OUT] = "auto",
};
static const bool dir_udp[FWD_DIRS] = {
	[FWD_UDP_IN] = true, [FWD_UDP_OUT] = true,
};
static const bool dir_scans_ns[FWD_DIRS] = {
	[FWD_TCP_IN] = true, [FWD_UDP_IN] = true,
};
static const enum fwd_dir opposite[FWD_DIRS] = {
	[FWD_TCP_IN] = FWD_TCP_OUT,	[FWD_TCP_OUT] = FWD_TCP_IN,
	[FWD_UDP_IN] = FWD_UDP_OUT,	[FWD_UDP_OUT] = FWD_UDP_IN,
};

/* Ports a bind picks from, with one byte */
static const uint16_t ports[16] = {
	10000, 10001, 10002, 10022, 10053, 10080, 10122, 10200,
	1, 65535, 32768, 40000, 60999, 61000, 8080, 10201,
};

/**
 * struct slot - A socket of ours
 * @fd:		Socket, -1 if the slot is free
 * @port:	Its port
 * @ns:		It's in pasta's namespace
 * @udp:	UDP, not TCP
 * @fwdable:	Listening (TCP) or not connected (UDP): the scan takes it
 */
struct slot {
	int fd;
	uint16_t port;
	bool ns;
	bool udp;
	bool fwdable;
};

static struct ctx c;
static struct slot slots[FZ_SLOTS];
static int host_ns;		/* The fuzzer's network namespace: the host */
static uint8_t explicit[FWD_DIRS][NUM_PORTS / 8];	/* Given by number */

/**
 * fwd_of() - Forwarding table of an option
 * @dir:	Option
 *
 * Return: the table
 */
static struct fwd_ports *fwd_of(enum fwd_dir dir)
{
	static struct fwd_ports *const f[FWD_DIRS] = {
		[FWD_TCP_IN] = &c.tcp_in,	[FWD_UDP_IN] = &c.udp_in,
		[FWD_TCP_OUT] = &c.tcp_out,	[FWD_UDP_OUT] = &c.udp_out,
	};

	return f[dir];
}

/**
 * sock_make() - A socket bound to a port, on the host or in the namespace
 * @ns:		In pasta's namespace
 * @udp:	UDP, not TCP
 * @v6:		IPv6
 * @v6only:	IPv6 only (IPV6_V6ONLY)
 * @idle:	TCP: don't listen; UDP: connect to the port itself
 * @port:	Port
 *
 * Return: socket, -1 if it can't be bound
 */
static int sock_make(bool ns, bool udp, bool v6, bool v6only, bool idle,
		     uint16_t port)
{
	union sockaddr_inany sa = { 0 };
	socklen_t sl;
	int s, one = v6only;

	if (ns && setns(c.pasta_netns_fd, CLONE_NEWNET))
		fz_fail("entering the namespace: %s", strerror(errno));
	s = socket(v6 ? AF_INET6 : AF_INET,
		   (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (ns && setns(host_ns, CLONE_NEWNET))
		fz_fail("back to the host: %s", strerror(errno));
	if (s < 0)
		return -1;

	if (v6) {
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		sa.sa6.sin6_family = AF_INET6;
		sa.sa6.sin6_port = htons(port);
		sl = sizeof(sa.sa6);
	} else {
		sa.sa4.sin_family = AF_INET;
		sa.sa4.sin_port = htons(port);
		sl = sizeof(sa.sa4);
	}
	if (bind(s, &sa.sa, sl))
		goto fail;
	if (!idle && !udp && listen(s, 1))
		goto fail;
	if (idle && udp) {
		if (v6)
			sa.sa6.sin6_addr = in6addr_loopback;
		else
			sa.sa4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(s, &sa.sa, sl))
			goto fail;
	}
	return s;
fail:
	close(s);
	return -1;
}

/**
 * op_bind() - Bind a socket of ours, in a free slot or one we close first
 * @in:		Input
 */
static void op_bind(struct fz_in *in)
{
	uint8_t what = fz_u8(in), p = fz_u8(in);
	struct slot *sl = &slots[what >> 5];
	uint16_t port = p & 0x80 ? fz_u16(in) : ports[p & 15];
	int s;

	if (sl->fd >= 0)
		close(sl->fd);
	sl->fd = -1;
	if (!port)
		return;
	s = sock_make(what & 4, what & 1, what & 2, what & 8, what & 16, port);
	if (s < 0)
		return;
	sl->fd = s;
	sl->port = port;
	sl->ns = what & 4;
	sl->udp = what & 1;
	sl->fwdable = !(what & 16);
}

/**
 * held() - Does a socket of ours hold a port?
 * @ns:		In pasta's namespace, not on the host
 * @udp:	UDP, not TCP
 * @port:	Port
 * @fwdable:	Only sockets the scan takes
 *
 * Return: true if one does
 */
static bool held(bool ns, bool udp, uint16_t port, bool fwdable)
{
	unsigned int i;

	for (i = 0; i < FZ_SLOTS; i++) {
		const struct slot *sl = &slots[i];

		if (sl->fd >= 0 && sl->ns == ns && sl->udp == udp &&
		    sl->port == port && (sl->fwdable || !fwdable))
			return true;
	}
	return false;
}

/**
 * wanted() - Should an option forward a port, as what we bound says?
 * @dir:	Option
 * @port:	Port
 *
 * Return: true if it should, whether or not it could open its sockets
 */
static bool wanted(enum fwd_dir dir, uint16_t port)
{
	const struct fwd_ports *fwd = fwd_of(dir);
	uint16_t eph_first, eph_last;

	if (!held(dir_scans_ns[dir], dir_udp[dir], port, true) ||
	    bitmap_isset(fwd->excl, port) || bitmap_isset(explicit[dir], port) ||
	    bitmap_isset(fwd_of(opposite[dir])->map, port))
		return false;
	fwd_ephemeral_range(&eph_first, &eph_last);
	return !dir_udp[dir] || port < eph_first || port > eph_last;
}

/**
 * check() - What each option forwards automatically is what it should
 */
static FZ_NOCOV void check(void)
{
	enum fwd_dir dir;
	unsigned int i, p;

	for (dir = 0; dir < FWD_DIRS; dir++) {
		const struct fwd_ports *fwd = fwd_of(dir);

		for (i = 0; i < sizeof(fwd->automap); i++) {
			if (!fwd->automap[i])
				continue;
			for (p = i * 8; p < i * 8 + 8; p++) {
				if (!bitmap_isset(fwd->automap, p))
					continue;
				if (!bitmap_isset(fwd->map, p))
					fz_fail("option %u: port %u forwarded "
						"automatically, not in the map",
						dir, p);
				if (!wanted(dir, (uint16_t)p))
					fz_fail("option %u forwards port %u, "
						"which nothing of ours holds "
						"there (or it mustn't)", dir, p);
			}
		}

		/* What we hold on the side the daemon opens its sockets on
		 * may keep it from forwarding
		 */
		for (i = 0; i < FZ_SLOTS; i++) {
			const struct slot *sl = &slots[i];

			if (sl->fd < 0 || !wanted(dir, sl->port) ||
			    held(!dir_scans_ns[dir], dir_udp[dir], sl->port,
				 false))
				continue;
			if (!bitmap_isset(fwd->automap, sl->port))
				fz_fail("option %u doesn't forward port %u, "
					"bound on its other side", dir,
					sl->port);
		}
	}
}

/**
 * small_hashes() - Network namespaces made from now on get small TCP and
 *		    UDP hash tables of their own
 *
 * Reading /proc/net/tcp walks the namespace's table of connections: the
 * kernel's shared one, with millions of buckets, took 10 ms per read.
 */
static void small_hashes(void)
{
	static const char *const paths[] = {
		"/proc/sys/net/ipv4/tcp_child_ehash_entries",
		"/proc/sys/net/ipv4/udp_child_hash_entries",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		FILE *f = fopen(paths[i], "we");

		if (!f || fputs("128", f) < 0 || fclose(f))
			fz_fail("%s: %s", paths[i], strerror(errno));
	}
}

/**
 * LLVMFuzzerInitialize() - Namespaces, options, sockets of the options
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	enum fwd_dir dir;
	unsigned int i;
	char err[128];
	int s;

	(void)argc;
	(void)argv;
	fz_setup(&c, MODE_PASTA);
	/* The host and pasta's namespace: two new ones, with small tables */
	small_hashes();
	close(fz_netns_enter(-1));
	small_hashes();
	host_ns = fz_netns_enter(-1);
	c.pasta_netns_fd = fz_netns_enter(host_ns);

	fz_daemon_init(&c);
	for (dir = 0; dir < FWD_DIRS; dir++) {
		memset(fwd_of(dir), 0, sizeof(struct fwd_ports));
		if (fwd_parse_spec(fwd_of(dir), specs[dir], true, false, err,
				   sizeof(err)))
			fz_fail("%s: %s", specs[dir], err);
		memcpy(explicit[dir], fwd_of(dir)->map, sizeof(explicit[dir]));
	}
	fwd_socks_init(&c, false);
	fwd_socks_init(&c, true);
	fwd_auto_init(&c);

	/* The port given by number is the daemon's from the start */
	s = sock_make(false, false, false, false, true, FZ_EXPLICIT);
	if (s >= 0)
		fz_fail("-t auto,%u: nothing listens on %u", FZ_EXPLICIT,
			FZ_EXPLICIT);

	for (i = 0; i < FZ_SLOTS; i++)
		slots[i].fd = -1;
	fz_ready();
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - One sequence of binds, closes and scans
 * @data:	Input
 * @size:	Its size
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	unsigned int i, scans = 0;

	while (in.len) {
		switch (fz_u8(&in) & 3) {
		case 0:
			op_bind(&in);
			break;
		case 1: {
			struct slot *sl = &slots[fz_u8(&in) % FZ_SLOTS];

			if (sl->fd >= 0)
				close(sl->fd);
			sl->fd = -1;
			break;
		}
		default:
			if (scans++ >= FZ_SCANS)
				break;
			fwd_auto_scan(&c);
			check();
		}
	}

	for (i = 0; i < FZ_SLOTS; i++) {
		if (slots[i].fd >= 0)
			close(slots[i].fd);
		slots[i].fd = -1;
	}
	fwd_auto_scan(&c);
	check();
	fz_log_check();
	fz_fds_check();
	return 0;
}
