// SPDX-License-Identifier: GPL-2.0-or-later
/* harness.c - What the libFuzzer targets share
 *
 * Namespaces: each target runs in new user and network namespaces of its
 * own, made at start, whose only interface is a loopback we bring up:
 * whatever the daemon's code connects to or sends on behalf of the fuzzed
 * guest ends there, and nothing leaves the machine. Ping sockets are
 * allowed in that namespace (for our one group), so ICMP echo works as on
 * a configured host.
 *
 * Set-up: fz_setup(), fz_pasta_tap() (a datagram socket pair standing for
 * pasta's tap device), fz_daemon_init() and fz_ready() do what the daemon
 * does at start, in that order. fz_fds_run_out() makes every new socket
 * fail for a while, to reach the daemon's error paths. fz_tap_real() is a
 * real tap device, kept down: fz_vnet_set() has tap_vnet_init() negotiate
 * pasta's offloads on it, and answers written to it fail, as they do once
 * the namespace takes pasta's interface down.
 *
 * Frames: fz_frame_fix() sets the length fields and checksums of a frame
 * the fuzzer made, so that mutations reach past them (the daemon doesn't
 * verify the guest's checksums, but the guest's kernel would have made
 * them right, and length fields that agree reach further).
 * fz_frame_check() checks a frame the daemon sent to the guest: within the
 * MTU, IP and layer 4 length fields that agree with the frame, checksums
 * right. It computes them itself, not with checksum.c. fz_tap_read_back()
 * flushes pasta's tap and checks every frame in it. With the virtio-net
 * header on the tap (fz_vnet_set()), fz_vnet_frame() checks each frame's
 * header first and does what the guest's kernel would: it completes a
 * checksum left partial, and lets a TCP segment to be split (TSO) exceed
 * the MTU, within what its segment size allows. What DHCP and router
 * advertisements give is checked too (fz_link_check()): the context's
 * address and prefix, from our link-local address.
 *
 * Host changes: fz_host_change() changes the host's network as an input
 * says, through conf_refresh() and hostwatch_change(), as the daemon does
 * when it follows the host; fz_host_back() restores it at the end of the
 * input.
 *
 * Log: the daemon logs to a file at its default level (info); after each
 * input, fz_log_check() reads it and fails if one message, digits aside,
 * came more often than rate limiting allows: a guest that can make us
 * write a line per frame can fill a disk.
 */

#include <arpa/inet.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "flow.h"
#include "frame.h"
#include "harness.h"
#include "hostwatch.h"
#include "icmp.h"
#include "log.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"

const uint8_t fz_guest_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x42 };
const uint8_t fz_our_mac[6] = MAC_OUR_DEFAULT;

/* Datagram size of the last frame fz_vnet_frame() saw, if a USO one */
size_t fz_udp_seg;

/* The same message more often than this in one input is a flood: rate
 * limiting allows LOG_RATELIMIT_BURST and a summary per second, and an
 * input may span a second boundary
 */
/* One message as often as a rate-limited call site may write it (a burst,
 * and the count of what it suppressed) in each second an input spans, from
 * two call sites at most
 */
#define FZ_LOG_SAME_MAX		(2 * (LOG_RATELIMIT_BURST + 1))
#define FZ_LOG_DISTINCT		256

/* The log is emptied once this much more of it was checked */
#define FZ_LOG_KEEP		(1 << 20)

/* Changes of the host per input: each is logged, in lines that aren't the
 * guest's doing, and a change happens at most every HOSTWATCH_DELAY_MS
 */
#define FZ_HOST_CHANGES_MAX	4

/* What conf_refresh() and hostwatch_change() use of a context: all but
 * the port forwarding tables at its end (most of its 900 KiB), which is all
 * a host change copies
 */
#define FZ_CTX_HOST		offsetof(struct ctx, tcp_in)

/* The loopback interface is the first of every network namespace */
#define FZ_LO_IFINDEX		1

static int fz_log_fd = -1;
static off_t fz_log_off;	/* What was logged before this was checked */
static off_t fz_log_trimmed;	/* The log was emptied when at this offset */
static int fz_fds_base = -1;
static int fz_fds_all = -1;

/**
 * fz_u8() - Take one byte of input, 0 once it's used up
 * @in:		Input
 *
 * Return: the byte
 */
FZ_NOCOV uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v = 0;

	fz_bytes(in, &v, 1);
	return v;
}

/**
 * fz_u16() - Take two bytes of input, big-endian
 * @in:		Input
 *
 * Return: the value
 */
FZ_NOCOV uint16_t fz_u16(struct fz_in *in)
{
	return (uint16_t)(fz_u8(in) << 8 | fz_u8(in));
}

/**
 * fz_u32() - Take four bytes of input, big-endian
 * @in:		Input
 *
 * Return: the value
 */
FZ_NOCOV uint32_t fz_u32(struct fz_in *in)
{
	return (uint32_t)fz_u16(in) << 16 | fz_u16(in);
}

/**
 * fz_bytes() - Take up to @len bytes of input
 * @in:		Input
 * @dst:	Copy them here, if not NULL
 * @len:	Bytes wanted
 *
 * Return: bytes taken, fewer than @len at the end of the input
 */
FZ_NOCOV size_t fz_bytes(struct fz_in *in, void *dst, size_t len)
{
	if (len > in->len)
		len = in->len;
	if (dst)
		memcpy(dst, in->p, len);
	in->p += len;
	in->len -= len;
	return len;
}

/**
 * fz_fail() - An invariant doesn't hold: say which, and abort
 * @fmt:	Format string
 */
void fz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "INVARIANT FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/**
 * fz_write_file() - Write a string to a file, or fail
 * @path:	File
 * @s:		String
 */
static void fz_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/**
 * fz_netns_setup() - New user and network namespaces, loopback up, ping
 *		      sockets allowed
 */
void fz_netns_setup(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		perror("unshare (user and network namespaces)");
		exit(1);
	}
	fz_write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", uid);
	fz_write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "0 %u 1", gid);
	fz_write_file("/proc/self/gid_map", map);

	fz_lo_up();
	fz_write_file("/proc/sys/net/ipv4/ping_group_range", "0 0");
}

/**
 * fz_lo_up() - Bring up the loopback interface of our network namespace
 */
void fz_lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr)) {
		perror("loopback flags");
		exit(1);
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr)) {
		perror("loopback up");
		exit(1);
	}
	close(s);
}

/**
 * fz_lo_addrs() - Give our loopback more addresses
 * @a4:		IPv4 address, as lo:1, or NULL
 * @a6:		IPv6 address, or NULL
 * @prefix6:	Prefix length of @a6
 */
void fz_lo_addrs(const struct in_addr *a4, const struct in6_addr *a6,
		 int prefix6)
{
	struct in6_ifreq {
		struct in6_addr addr;
		uint32_t prefixlen;
		int ifindex;
	} r6 = { .prefixlen = (uint32_t)prefix6,
		 .ifindex = (int)if_nametoindex("lo") };
	struct ifreq r4 = { .ifr_name = "lo:1" };
	struct sockaddr_in *sa = (struct sockaddr_in *)&r4.ifr_addr;
	int s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	sa->sin_family = AF_INET;
	if (a4)
		sa->sin_addr = *a4;
	if (a6)
		r6.addr = *a6;
	if (s4 < 0 || s6 < 0 || (a4 && ioctl(s4, SIOCSIFADDR, &r4)) ||
	    (a6 && ioctl(s6, SIOCSIFADDR, &r6)))
		fz_fail("addresses on the loopback: %s", strerror(errno));
	close(s4);
	close(s6);
}

/**
 * fz_netns_enter() - Enter a network namespace, or a new one
 * @fd:		Descriptor of the namespace, -1 for a new one, loopback up
 *
 * Return: descriptor of the namespace we were in
 */
int fz_netns_enter(int fd)
{
	int old = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (old < 0 || (fd >= 0 ? setns(fd, CLONE_NEWNET) :
				 unshare(CLONE_NEWNET))) {
		perror("entering a network namespace");
		exit(1);
	}
	if (fd < 0)
		fz_lo_up();
	return old;
}

/**
 * fz_fds_run_out() - No more descriptors from now on, or as many as before
 * @out:	Run out, not back to normal
 *
 * The soft limit goes down to the lowest free descriptor: every socket()
 * and accept() fails with EMFILE until it's restored.
 */
void fz_fds_run_out(bool out)
{
	static struct rlimit saved;
	static bool low;
	struct rlimit r;
	int fd;

	if (out == low)
		return;
	if (!out) {
		setrlimit(RLIMIT_NOFILE, &saved);
		low = false;
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &saved) || (fd = dup(0)) < 0)
		return;
	close(fd);
	r = saved;
	r.rlim_cur = (rlim_t)fd;
	if (!setrlimit(RLIMIT_NOFILE, &r))
		low = true;
}

/**
 * fz_ctx_init() - A context like the daemon's after start-up
 * @c:		Execution context, zeroed
 * @mode:	MODE_PASST or MODE_PASTA
 *
 * The guest has 198.51.100.2/24 and 2001:db8::2/64, the gateway is mapped
 * to the host's loopback; nothing is forwarded. The caller sets the tap.
 */
void fz_ctx_init(struct ctx *c, int mode)
{
	c->mode = mode;
	c->epollfd = epoll_create1(EPOLL_CLOEXEC);
	c->fd_tap = c->fd_tap_listen = c->pidfile_fd = -1;
	c->pasta_netns_fd = c->pasta_userns_fd = -1;
	c->mtu = FZ_MTU;
	c->ifi4 = c->ifi6 = 1;
	memcpy(c->our_tap_mac, fz_our_mac, ETH_ALEN);
	memcpy(c->guest_mac, fz_guest_mac, ETH_ALEN);
	inet_pton(AF_INET, FZ_GUEST4, &c->ip4.addr);
	c->ip4.addr_seen = c->ip4.addr;
	c->ip4.prefix_len = 24;
	inet_pton(AF_INET, FZ_GW4, &c->ip4.gw);
	c->ip4.our_tap_addr = c->ip4.gw;
	c->ip4.map_host_loopback = c->ip4.gw;
	inet_pton(AF_INET, FZ_DNS4, &c->ip4.dns[0]);
	inet_pton(AF_INET6, FZ_GUEST6, &c->ip6.addr);
	c->ip6.addr_seen = c->ip6.addr;
	inet_pton(AF_INET6, FZ_GUEST_LL6, &c->ip6.addr_ll_seen);
	c->ip6.prefix_len = 64;
	inet_pton(AF_INET6, FZ_GW6, &c->ip6.gw);
	inet_pton(AF_INET6, FZ_LL6, &c->ip6.our_tap_ll);
	c->ip6.map_host_loopback = c->ip6.gw;
	inet_pton(AF_INET6, FZ_DNS6, &c->ip6.dns[0]);
	strcpy(c->dns_search[0], "example.com");
	strcpy(c->dns_search[1], "fuzz.example.org");
	strcpy(c->hostname, "fuzzguest");
	strcpy(c->fqdn, "fuzzguest.example.com");
	c->tcp_idle_timeout = 7200;
	c->tcp_in.mode = c->udp_in.mode = FWD_NONE;
	c->tcp_out.mode = c->udp_out.mode = FWD_NONE;
}

/**
 * fz_setup() - Namespaces, log, a context like the daemon's: at start
 * @c:		Execution context, zeroed
 * @mode:	MODE_PASST or MODE_PASTA
 */
void fz_setup(struct ctx *c, int mode)
{
	fz_netns_setup();
	fz_log_init();
	fz_ctx_init(c, mode);
}

/**
 * fz_pasta_tap() - pasta's tap device: a datagram socket pair, large buffers
 * @c:		Execution context: the daemon's end becomes its tap
 *
 * Return: the guest's end
 */
int fz_pasta_tap(struct ctx *c)
{
	int sv[2], sz = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		perror("socketpair");
		exit(1);
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	fd_set_nonblock(sv[0]);
	c->fd_tap = sv[0];
	return sv[1];
}

/**
 * fz_daemon_init() - Flow table and protocols, as the daemon starts them
 * @c:		Execution context
 */
void fz_daemon_init(struct ctx *c)
{
	flow_init();
	tcp_init(c);
	udp_init(c);
	icmp_init();
}

/**
 * fz_ready() - Set-up done: forget its log lines, count its sockets
 */
void fz_ready(void)
{
	log_stderr = false;
	fz_log_check();
	fz_fds_baseline();
}

/**
 * fz_log_init() - Log to an unlinked file at the default level
 */
void fz_log_init(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/fuzz-log-%i", getpid());
	log_open_file(path, (size_t)1 << 40);
	/* Ours to read and empty: the daemon's is write-only */
	fz_log_fd = open(path, O_RDWR | O_CLOEXEC);
	unlink(path);
	if (fz_log_fd < 0) {
		perror(path);
		exit(1);
	}
	/* Messages also go to stderr until fz_ready(): set-up may die */
	log_level = LOG_INFO;
}

/**
 * fz_log_norm() - A log line without its time stamp and digits
 * @line:	Line, changed in place
 * @len:	Its length, without the newline
 *
 * Return: start of the message
 */
static FZ_NOCOV char *fz_log_norm(char *line, size_t len)
{
	char *msg = memchr(line, ' ', len), *w, *r;

	msg = msg ? msg + 1 : line;
	line[len] = '\0';
	for (r = w = msg; *r; r++) {
		if (*r < '0' || *r > '9')
			*w++ = *r;
	}
	*w = '\0';
	return msg;
}

/**
 * fz_log_skip() - Leave what was logged so far unchecked
 */
static void fz_log_skip(void)
{
	struct stat st;

	if (fstat(fz_log_fd, &st))
		fz_fail("can't look at the log: %s", strerror(errno));
	fz_log_off = st.st_size;
}

/**
 * fz_log_check() - Fail on a flood of one message in what was logged since
 *		    the last check
 *
 * Rate limits count per second of the clock: an input that took long (on
 * a loaded machine) may see a burst in each second it spanned.
 *
 * The daemon writes at an offset of its own, which only grows: the file is
 * emptied once in a while (leaving a hole before what comes next), never
 * read from its start.
 */
FZ_NOCOV void fz_log_check(void)
{
	static char buf[1 << 20];
	static struct { char msg[96]; unsigned int n; } seen[FZ_LOG_DISTINCT];
	static int debug = -1;
	static time_t last;
	unsigned int nseen = 0, i, max;
	struct timespec ts;
	char *p, *end;
	ssize_t n;

	if (debug < 0)
		debug = !!getenv("FZ_DEBUG");
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	max = FZ_LOG_SAME_MAX * (unsigned int)(last && ts.tv_sec > last ?
					       ts.tv_sec - last + 1 : 1);
	last = ts.tv_sec;

	do {
		n = pread(fz_log_fd, buf, sizeof(buf) - 1, fz_log_off);
		if (n < 0)
			fz_fail("can't read the log: %s", strerror(errno));
		end = buf + n;

		for (p = buf; p < end; ) {
			char *nl = memchr(p, '\n', (size_t)(end - p)), *msg;

			if (!nl)
				break;	/* Line not written in full yet */
			msg = fz_log_norm(p, (size_t)(nl - p));
			if (debug)
				fprintf(stderr, "log: %s\n", msg);
			for (i = 0; i < nseen; i++) {
				if (!strncmp(seen[i].msg, msg,
					     sizeof(seen[i].msg) - 1))
					break;
			}
			if (i == nseen && nseen < FZ_LOG_DISTINCT) {
				snprintf(seen[i].msg, sizeof(seen[i].msg), "%s",
					 msg);
				seen[i].n = 0;
				nseen++;
			}
			if (i < nseen && ++seen[i].n > max)
				fz_fail("log flood: \"%s\" more than %u times "
					"in one input", msg, max);
			p = nl + 1;
		}
		fz_log_off += p - buf;
	} while (p > buf && n == sizeof(buf) - 1);

	if (fz_log_off - fz_log_trimmed >= FZ_LOG_KEEP) {
		if (ftruncate(fz_log_fd, 0))
			fz_fail("can't truncate the log: %s", strerror(errno));
		fz_log_trimmed = fz_log_off;
	}
}

/**
 * fz_stream_rx() - Read passt's stream to the guest, hand on whole frames
 * @rx:		What was read before and not handed on: a partial frame
 * @fd:		Guest's end of the socket
 * @fn:		Called for each frame
 *
 * The harness's own parser of the length-prefixed stream: a length no
 * frame can have means the daemon broke the framing.
 */
void fz_stream_rx(struct fz_rx *rx, int fd, fz_frame_fn fn)
{
	ssize_t n;

	while ((n = recv(fd, rx->buf + rx->len, sizeof(rx->buf) - rx->len,
			 MSG_DONTWAIT)) > 0) {
		size_t off = 0;

		rx->len += (size_t)n;
		for (;;) {
			uint32_t flen;

			if (rx->len - off < sizeof(flen))
				break;
			memcpy(&flen, rx->buf + off, sizeof(flen));
			flen = ntohl(flen);
			if (flen < ETH_HLEN || flen > ETH_HLEN + IP_MAXPACKET)
				fz_fail("frame length %u in the stream to the "
					"guest", flen);
			if (rx->len - off - sizeof(flen) < flen)
				break;
			fn(rx->buf + off + sizeof(flen), flen);
			off += sizeof(flen) + flen;
		}
		memmove(rx->buf, rx->buf + off, rx->len - off);
		rx->len -= off;
	}
}

/**
 * fz_fds_count() - Count our open descriptors, or our open sockets
 * @sockets:	Sockets only: libFuzzer keeps files and pipes (to its
 *		symbolizer) open
 * @print:	Print each socket
 *
 * Return: number of them, -1 if /proc/self/fd can't be read
 */
static FZ_NOCOV int fz_fds_count(bool sockets, bool print)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		struct stat st;

		if (*e->d_name < '0' || *e->d_name > '9')
			continue;
		/* fstat(), not readlink(): no path lookup per descriptor */
		if (sockets && (fstat(atoi(e->d_name), &st) ||
				!S_ISSOCK(st.st_mode)))
			continue;
		if (print)
			fprintf(stderr, "fd %s: socket, inode %lu\n",
				e->d_name, (unsigned long)st.st_ino);
		n++;
	}
	closedir(d);
	return n;
}

/**
 * fz_fds_baseline() - Remember how many descriptors are open between inputs
 */
void fz_fds_baseline(void)
{
	fz_fds_base = fz_fds_count(true, false);
	fz_fds_all = fz_fds_count(false, false);
}

/**
 * fz_fds_check() - Fail if sockets leaked since fz_fds_baseline()
 *
 * Descriptors of any kind are counted first, which takes no call per
 * descriptor: sockets are looked at only if that count changed.
 */
void fz_fds_check(void)
{
	int n = fz_fds_count(false, false);

	if (n == fz_fds_all)
		return;
	n = fz_fds_count(true, false);
	if (n != fz_fds_base && fz_fds_count(true, true) >= 0)
		fz_fail("%i sockets open between inputs, %i at start",
			n, fz_fds_base);
	fz_fds_all = fz_fds_count(false, false);	/* libFuzzer's own */
}

/**
 * fz_csum() - Internet checksum (RFC 1071), written for the harness
 * @buf:	Data
 * @len:	Length
 * @sum:	Sum so far (pseudo-header), unfolded
 *
 * Eight bytes at a time: the two 32-bit big-endian halves of each are
 * added, which folds to the same sum as their 16-bit words, as 2^16 is 1
 * modulo 0xffff.
 *
 * Return: the checksum, ready for the header
 */
FZ_NOCOV uint16_t fz_csum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *b = buf;
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + sizeof(uint64_t) <= len; i += sizeof(uint64_t)) {
		uint64_t w;

		memcpy(&w, b + i, sizeof(w));
		w = be64toh(w);
		s += (w >> 32) + (w & 0xffffffff);
	}
	for (; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/**
 * fz_pseudo() - Sum of an IPv4 or IPv6 pseudo-header
 * @af:		AF_INET or AF_INET6
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Protocol
 * @len:	Layer 4 length
 *
 * Return: unfolded sum, host order
 */
FZ_NOCOV uint32_t fz_pseudo(int af, const void *src, const void *dst,
			    uint8_t proto, size_t len)
{
	size_t alen = af == AF_INET ? 4 : 16, i;
	const uint8_t *s = src, *d = dst;
	uint32_t sum = proto + (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16);

	for (i = 0; i < alen; i += 2)
		sum += (uint32_t)(s[i] << 8 | s[i + 1]) +
		       (uint32_t)(d[i] << 8 | d[i + 1]);
	return sum;
}

/**
 * fz_l4_csum_off() - Where the checksum of a layer 4 protocol is
 * @proto:	Protocol
 *
 * Return: offset in its header, -1 for a protocol we don't check
 */
static int fz_l4_csum_off(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return offsetof(struct tcphdr, check);
	case IPPROTO_UDP:
		return offsetof(struct udphdr, check);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return -1;
	}
}

/**
 * fz_frame_fix() - Set the lengths and checksums of a frame from the fuzzer
 * @f:		Frame
 * @len:	Its length
 *
 * Only headers that are there in full are touched; IPv6 extension headers
 * are left alone (and so is the layer 4 header after them).
 */
void fz_frame_fix(uint8_t *f, size_t len)
{
	uint16_t proto;
	uint8_t *l4, nxt;
	size_t l4len;
	uint32_t sum;
	int off;

	if (len < ETH_HLEN)
		return;
	proto = (uint16_t)(f[12] << 8 | f[13]);

	if (proto == ETH_P_IP && len >= ETH_HLEN + sizeof(struct iphdr)) {
		struct iphdr *iph = (struct iphdr *)(f + ETH_HLEN);
		size_t hlen = (size_t)iph->ihl * 4;

		if (hlen < sizeof(*iph) || ETH_HLEN + hlen > len)
			return;
		iph->tot_len = htons((uint16_t)MIN(len - ETH_HLEN, 65535));
		iph->check = 0;
		iph->check = fz_csum(iph, hlen, 0);
		l4 = f + ETH_HLEN + hlen;
		l4len = ntohs(iph->tot_len) - hlen;
		nxt = iph->protocol;
		sum = nxt == IPPROTO_ICMP ? 0 :
		      fz_pseudo(AF_INET, &iph->saddr, &iph->daddr, nxt, l4len);
	} else if (proto == ETH_P_IPV6 &&
		   len >= ETH_HLEN + sizeof(struct ip6_hdr)) {
		struct ip6_hdr *ip6h = (struct ip6_hdr *)(f + ETH_HLEN);

		l4len = MIN(len - ETH_HLEN - sizeof(*ip6h), 65535);
		ip6h->ip6_plen = htons((uint16_t)l4len);
		l4 = (uint8_t *)(ip6h + 1);
		nxt = ip6h->ip6_nxt;
		sum = fz_pseudo(AF_INET6, &ip6h->ip6_src, &ip6h->ip6_dst, nxt,
				l4len);
	} else {
		return;
	}

	off = fz_l4_csum_off(nxt);
	if (off < 0 || l4len < (size_t)off + 2)
		return;
	if (nxt == IPPROTO_UDP && l4len >= sizeof(struct udphdr))
		((struct udphdr *)l4)->len = htons((uint16_t)l4len);
	l4[off] = l4[off + 1] = 0;
	memcpy(l4 + off, &(uint16_t){ fz_csum(l4, l4len, sum) }, 2);
}

/**
 * fz_l4_check() - Check the layer 4 header and checksum of a frame to the
 *		   guest
 * @af:		AF_INET or AF_INET6
 * @src:	Source address
 * @dst:	Destination address
 * @proto:	Protocol
 * @l4:		Layer 4 header and payload
 * @l4len:	Their length, from the IP header
 */
static void fz_l4_check(int af, const void *src, const void *dst,
			uint8_t proto, const uint8_t *l4, size_t l4len)
{
	int off = fz_l4_csum_off(proto);
	uint32_t sum;

	if (off < 0)
		fz_fail("frame to the guest with protocol %u", proto);
	if (l4len < (size_t)off + 2)
		fz_fail("protocol %u header truncated: %zu bytes", proto,
			l4len);

	if (proto == IPPROTO_TCP) {
		const struct tcphdr *th = (const struct tcphdr *)l4;

		if (l4len < sizeof(*th) || th->doff < 5 ||
		    (size_t)th->doff * 4 > l4len)
			fz_fail("TCP header length %u in %zu bytes", th->doff,
				l4len);
	}
	if (proto == IPPROTO_UDP) {
		const struct udphdr *uh = (const struct udphdr *)l4;

		if (l4len < sizeof(*uh) || ntohs(uh->len) != l4len)
			fz_fail("UDP length %u, IP says %zu", ntohs(uh->len),
				l4len);
	}

	sum = proto == IPPROTO_ICMP ? 0 :
	      fz_pseudo(af, src, dst, proto, l4len);
	if (fz_csum(l4, l4len, sum) != 0 &&
	    !(proto == IPPROTO_UDP && af == AF_INET && !l4[6] && !l4[7]))
		fz_fail("bad checksum, protocol %u, %zu bytes", proto, l4len);
}

/**
 * fz_prefix_has() - Whether an IPv6 address is in a prefix
 * @a:		Address
 * @p:		An address of the prefix
 * @len:	Prefix length
 *
 * Return: true if it is
 */
static bool fz_prefix_has(const uint8_t *a, const struct in6_addr *p, int len)
{
	int i;

	for (i = 0; i < len && i < 128; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		if ((a[i / 8] & m) != (p->s6_addr[i / 8] & m))
			return false;
	}
	return true;
}

/**
 * struct fz_addrs - What DHCP and NDP give the guest, as fz_link_ok() checks
 * @addr4:	IPv4 address
 * @addr6:	IPv6 address
 * @prefix_len:	IPv6 prefix length
 * @on6:	IPv6 enabled
 * @ll:		Our link-local address
 */
struct fz_addrs {
	struct in_addr addr4;
	struct in6_addr addr6;
	int prefix_len;
	bool on6;
	struct in6_addr ll;
};

/* What the context had before each host change of this input, for frames
 * a passt guest reads late
 */
static struct fz_addrs fz_host_hist[FZ_HOST_CHANGES_MAX + 1];
static unsigned int fz_host_nhist;

/**
 * fz_addrs_of() - What DHCP and NDP give the guest with this context
 * @c:		Execution context
 * @a:		Filled in
 */
static void fz_addrs_of(const struct ctx *c, struct fz_addrs *a)
{
	a->addr4 = c->ip4.addr;
	a->addr6 = c->ip6.addr;
	a->prefix_len = c->ip6.prefix_len;
	a->on6 = c->ifi6;
	a->ll = c->ip6.our_tap_ll;
}

/**
 * fz_link_ok() - Is what DHCP or NDP told the guest what we have?
 * @a:		What we have
 * @af:		Address family
 * @src:	Source address
 * @proto:	Layer 4 protocol
 * @l4:		Layer 4 header and data
 * @l4len:	Their length
 * @why:	Set to what's wrong, if something is
 * @size:	Size of @why
 *
 * A DHCP reply offers our address, or none. A router advertisement that
 * makes us the guest's router (lifetime not 0) comes from our link-local
 * address, and a prefix it gives (valid lifetime not 0) is ours: after the
 * host changed, the old ones only go out withdrawn.
 *
 * Return: true if it is, or it's something else
 */
static bool fz_link_ok(const struct fz_addrs *a, int af, const void *src,
		       uint8_t proto, const uint8_t *l4, size_t l4len,
		       char *why, size_t size)
{
	char x[INET6_ADDRSTRLEN], y[INET6_ADDRSTRLEN];
	size_t off;

	if (af == AF_INET && proto == IPPROTO_UDP && l4len >= 8 + 20 &&
	    l4[0] == 0 && l4[1] == 67) {
		struct in_addr yi;

		memcpy(&yi, l4 + 8 + 16, sizeof(yi));
		if (!yi.s_addr || yi.s_addr == a->addr4.s_addr)
			return true;
		snprintf(why, size, "DHCP reply gives %s, we have %s",
			 inet_ntop(AF_INET, &yi, x, sizeof(x)),
			 inet_ntop(AF_INET, &a->addr4, y, sizeof(y)));
		return false;
	}
	if (af != AF_INET6 || proto != IPPROTO_ICMPV6 || l4len < 16 ||
	    l4[0] != ND_ROUTER_ADVERT)
		return true;

	if ((l4[6] || l4[7]) && memcmp(src, &a->ll, 16)) {
		snprintf(why, size, "router advertisement, lifetime %u, from "
			 "%s, not from our link-local address %s",
			 l4[6] << 8 | l4[7],
			 inet_ntop(AF_INET6, src, x, sizeof(x)),
			 inet_ntop(AF_INET6, &a->ll, y, sizeof(y)));
		return false;
	}
	for (off = 16; off + 2 <= l4len && l4[off + 1];
	     off += l4[off + 1] * 8U) {
		const uint8_t *o = l4 + off;

		if (o[0] != ND_OPT_PREFIX_INFORMATION || o[1] != 4 ||
		    off + 32 > l4len)
			continue;
		if (!(o[4] | o[5] | o[6] | o[7]))
			continue;		/* Withdrawn */
		if (a->on6 && o[2] == a->prefix_len &&
		    fz_prefix_has(o + 16, &a->addr6, o[2]))
			continue;
		snprintf(why, size, "router advertisement gives %s/%u, we "
			 "have %s/%i%s",
			 inet_ntop(AF_INET6, o + 16, x, sizeof(x)), o[2],
			 inet_ntop(AF_INET6, &a->addr6, y, sizeof(y)),
			 a->prefix_len, a->on6 ? "" : ", IPv6 off");
		return false;
	}
	return true;
}

/**
 * fz_link_check() - What DHCP and NDP tell the guest is what we have now
 * @c:		Execution context
 * @af:		Address family
 * @src:	Source address
 * @proto:	Layer 4 protocol
 * @l4:		Layer 4 header and data
 * @l4len:	Their length
 *
 * See fz_link_ok(). A passt guest may read a frame late, after the host
 * changed: what the context had before any change of this input is fine
 * then. pasta's guest reads every frame before the next change.
 */
static void fz_link_check(const struct ctx *c, int af, const void *src,
			  uint8_t proto, const uint8_t *l4, size_t l4len)
{
	char why[256];
	struct fz_addrs a;
	unsigned int i;

	fz_addrs_of(c, &a);
	if (fz_link_ok(&a, af, src, proto, l4, l4len, why, sizeof(why)))
		return;
	for (i = 0; c->mode == MODE_PASST && i < fz_host_nhist; i++) {
		char other[256];

		if (fz_link_ok(&fz_host_hist[i], af, src, proto, l4, l4len,
			       other, sizeof(other)))
			return;
	}
	fz_fail("%s", why);
}

/* What the host may change to: the addresses of each kind, the first
 * the one fz_ctx_init() starts with, the last none (read from the host,
 * which has none)
 */
static const char *const fz_host_addr4[8] = {
	FZ_GUEST4, "198.51.100.3", "203.0.113.5", "192.0.2.77",
	"10.0.0.2", IP4_LOCAL_ADDR, "198.51.100.255", "0.0.0.0",
};
static const int fz_host_prefix4[8] = { 24, 16, 8, 30, 32, 0, 25, 31 };
static const char *const fz_host_gw4[8] = {
	FZ_GW4, "198.51.100.254", "203.0.113.1", "192.0.2.1",
	"10.0.0.1", IP4_LOCAL_GW, FZ_GUEST4, "0.0.0.0",
};
static const char *const fz_host_addr6[8] = {
	FZ_GUEST6, "2001:db8::3", "2001:db8:1::2", "2001:db8:ffff::1",
	"fd00::2", "2001:db8:1:2:3:4:5:6", "2001:db8::1", "::",
};
static const char *const fz_host_gw6[8] = {
	FZ_GW6, FZ_LL6, "fe80::2", "2001:db8:1::1",
	"fd00::1", "fe80::42", "2001:db8::2", "::",
};


static struct ctx fz_host_was;		/* Before this input changed it */
static unsigned int fz_host_changes;	/* Changes in this input */

/**
 * fz_host_apply() - Apply what the host has now, leave its log lines out
 * @c:		Execution context
 * @next:	As conf_refresh() left it
 * @now:	Current time
 *
 * What was logged before is checked for floods first.
 */
static void fz_host_apply(struct ctx *c, const struct ctx *next,
			  const struct timespec *now)
{
	fz_log_check();
	if (fz_host_nhist < ARRAY_SIZE(fz_host_hist))
		fz_addrs_of(c, &fz_host_hist[fz_host_nhist++]);
	hostwatch_change(c, next, now);
	fz_log_skip();
}

/**
 * fz_host_change() - The host's network changes, as hostwatch.c applies it
 * @c:		Execution context
 * @in:		Input: what the host has now, see below
 * @now:	Current time
 *
 * The host is our namespace, whose only interface is the loopback, with no
 * default route: what the host's interface would have comes from the
 * input, given to conf_refresh() as the command line would pin it, and
 * conf_refresh() applies its rules to that and to the rest, which it reads
 * from the namespace (nothing: a family with nothing given is gone, both
 * gone is local mode). hostwatch_change() then applies the result, as the
 * daemon does after reading the host again. The input:
 *
 *	what (1 byte)	bit 0: no IPv4 (-6), bit 1: no IPv6 (-4), bits 2-5:
 *			IPv4 address, IPv4 gateway, IPv6 address, IPv6
 *			gateway not given (from the host: none), bit 6:
 *			interface not given (no default route), bit 7:
 *			search domains given (kept as they are)
 *	IPv4 (1 byte)	bits 0-2: address, bits 3-5: prefix length
 *	gateways (1)	bits 0-2: IPv4, bits 4-6: IPv6
 *	IPv6 (1 byte)	bits 0-2: address
 *	length (1 byte), and that many bytes of resolv.conf
 *
 * fz_host_back() puts the host back as it was before the input.
 */
void fz_host_change(struct ctx *c, struct fz_in *in,
		    const struct timespec *now)
{
	static char resolv[CONF_RESOLV_MAX];
	static struct ctx next;
	uint8_t what = fz_u8(in), v4 = fz_u8(in), gw = fz_u8(in);
	uint8_t v6 = fz_u8(in);
	size_t len = fz_bytes(in, resolv, fz_u8(in));
	struct conf_pins *p = &next.pins;

	if (fz_host_changes >= FZ_HOST_CHANGES_MAX)
		return;
	if (!fz_host_changes++) {
		memcpy(&fz_host_was, c, FZ_CTX_HOST);
		fz_host_nhist = 0;
	}

	resolv[len] = '\0';
	memcpy(&next, c, FZ_CTX_HOST);
	memset(p, 0, sizeof(*p));
	p->off4 = what & 0x01;
	p->off6 = what & 0x02;
	p->addr4 = p->prefix4 = !(what & 0x04);
	p->gw4 = !(what & 0x08);
	p->addr6 = !(what & 0x10);
	p->gw6 = !(what & 0x20);
	p->ifi = what & 0x40 ? 0 : FZ_LO_IFINDEX;
	p->search = what & 0x80;

	inet_pton(AF_INET, fz_host_addr4[v4 & 7], &next.ip4.addr);
	next.ip4.prefix_len = fz_host_prefix4[(v4 >> 3) & 7];
	inet_pton(AF_INET, fz_host_gw4[gw & 7], &next.ip4.gw);
	inet_pton(AF_INET6, fz_host_addr6[v6 & 7], &next.ip6.addr);
	inet_pton(AF_INET6, fz_host_gw6[(gw >> 4) & 7], &next.ip6.gw);

	conf_refresh(&next, resolv);
	fz_host_apply(c, &next, now);
}

/**
 * fz_host_back() - The host back as it was before this input changed it
 * @c:		Execution context
 * @now:	Current time
 */
void fz_host_back(struct ctx *c, const struct timespec *now)
{
	if (!fz_host_changes)
		return;
	fz_host_changes = 0;
	fz_host_apply(c, &fz_host_was, now);
}

/**
 * struct fz_reasm - A datagram the daemon sends in fragments, as it comes
 * @buf:	Ethernet and IP header of the first fragment, then the data
 * @hlen:	Length of those headers (no Fragment header for IPv6)
 * @len:	Data so far
 * @id:		Identification of the fragments
 * @active:	A datagram is being put together
 */
static struct fz_reasm {
	uint8_t buf[ETH_HLEN + 40 + IP_MAXPACKET];
	size_t hlen;
	size_t len;
	uint32_t id;
	bool active;
} fz_reasm;

/**
 * fz_frag() - Check a fragment, put the datagram together
 * @f:		Frame
 * @hlen:	Length of the Ethernet and IP header (IPv6: without the
 *		Fragment header)
 * @data:	Fragment data
 * @dlen:	Its length
 * @off:	Its offset in the datagram
 * @more:	More fragments follow
 * @id:		Identification
 *
 * The daemon sends the fragments of a datagram one after the other, in
 * order, each but the last with a multiple of 8 bytes.
 *
 * Return: length of the whole datagram's frame in fz_reasm.buf once the
 *	   last fragment came, 0 before
 */
static size_t fz_frag(const uint8_t *f, size_t hlen, const uint8_t *data,
		      size_t dlen, size_t off, bool more, uint32_t id)
{
	struct fz_reasm *r = &fz_reasm;

	if (more && dlen % 8)
		fz_fail("fragment of %zu bytes, not the last", dlen);
	if (!off) {
		if (r->active)
			fz_fail("new datagram before the last fragment of "
				"the previous one");
		memcpy(r->buf, f, hlen);
		r->hlen = hlen;
		r->len = 0;
		r->id = id;
		r->active = true;
	}
	if (!r->active || id != r->id || off != r->len)
		fz_fail("fragment at %zu out of order (%zu so far)", off,
			r->len);
	if (r->hlen + off + dlen > sizeof(r->buf))
		fz_fail("fragments past the largest datagram");
	memcpy(r->buf + r->hlen + off, data, dlen);
	r->len += dlen;
	if (more)
		return 0;
	r->active = false;
	return r->hlen + r->len;
}

/**
 * fz_tap_real() - A tap device of our network namespace, with the
 *		   virtio-net header, made on first use and kept, always down
 *
 * pasta makes its tap the same way (pasta_tap_open()), in the namespace
 * it serves. Frames aren't read from this one (the kernel has none to
 * give while it's down), and writing to it fails with EIO, as it does to
 * pasta's tap once the namespace takes the interface down.
 *
 * Return: its descriptor
 */
int fz_tap_real(void)
{
	static int fd = -1;
	struct ifreq ifr = { .ifr_name = "fztap0",
			     .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };

	if (fd >= 0)
		return fd;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr))
		fz_fail("can't make a tap device (/dev/net/tun must be "
			"usable by the fuzzer's user): %s", strerror(errno));
	return fd;
}

/**
 * fz_tap_real_check() - Is what tap_vnet_init() enabled what the kernel
 *			 has, and nothing --no-tap-offload refused?
 * @c:		Execution context, after tap_vnet_init() on fz_tap_real()
 */
static void fz_tap_real_check(const struct ctx *c)
{
	struct ifreq ifr = { .ifr_name = "fztap0" };
	struct ethtool_value csum = { .cmd = ETHTOOL_GTXCSUM };
	struct ethtool_value tso = { .cmd = ETHTOOL_GTSO };
	unsigned int f = c->tap_offloads;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (f & c->tap_offload_refuse)
		fz_fail("tap offloads 0x%x, --no-tap-offload refused 0x%x",
			f, c->tap_offload_refuse);
	ifr.ifr_data = (char *)&csum;
	if (s < 0 || ioctl(s, SIOCETHTOOL, &ifr))
		fz_fail("checksum offload of the tap: %s", strerror(errno));
	ifr.ifr_data = (char *)&tso;
	if (ioctl(s, SIOCETHTOOL, &ifr))
		fz_fail("TSO of the tap: %s", strerror(errno));
	close(s);
	if (!csum.data != !(f & TUN_F_CSUM) ||
	    !tso.data != !(f & (TUN_F_TSO4 | TUN_F_TSO6)))
		fz_fail("tap offloads 0x%x, the kernel has checksum %u, TSO %u",
			f, csum.data, tso.data);
}

/**
 * fz_vnet_set() - Whether pasta's tap carries the virtio-net header, and
 *		   with which offloads, as an input says
 * @c:		Execution context
 * @sel:	0: no header (--no-tap-offload); 1: header, no offloads
 *		(--no-tap-offload=csum); 2: checksum (=tso6); 3: and TSO
 *		(=uso); 4 and more: what the kernel takes (and USO)
 *
 * The offloads are what tap_vnet_init() negotiates, with those options,
 * on a real tap (fz_tap_real()), checked against what the kernel then
 * reports for it: once per @sel in a process, as each call takes the
 * kernel's lock on network devices, some microseconds.
 */
void fz_vnet_set(struct ctx *c, unsigned int sel)
{
	static const unsigned int refuse[] = {
		TUN_F_CSUM, TUN_F_TSO6, TUN_F_USO4 | TUN_F_USO6, 0,
	};
	static unsigned int offloads[ARRAY_SIZE(refuse) + 1];
	static bool known[ARRAY_SIZE(refuse) + 1];
	int fd = c->fd_tap;

	sel = MIN(sel, ARRAY_SIZE(refuse));
	c->tap_vnet = sel > 0;
	if (known[sel]) {
		c->tap_offloads = offloads[sel];
		return;
	}

	c->no_tap_offload = !sel;
	c->tap_offload_refuse = sel ? refuse[sel - 1] : 0;
	c->fd_tap = fz_tap_real();
	if (tap_vnet_init(c))
		fz_fail("tap_vnet_init() failed on a tap device");
	c->fd_tap = fd;
	if (sel)
		fz_tap_real_check(c);
	c->no_tap_offload = false;
	c->tap_offload_refuse = 0;
	offloads[sel] = c->tap_offloads;
	known[sel] = true;
}

/**
 * fz_vnet_frame() - Check the virtio-net header of a frame to the guest,
 *		     do with it what the guest's kernel does
 * @c:		Execution context
 * @buf:	What was read from the tap: header (if the tap has it), frame
 * @n:		Its length
 * @len:	Set to the length of the frame
 * @max:	Set to the longest the frame may be, for fz_frame_check()
 *
 * The header must be there, in front of every frame. A checksum left to
 * the guest (NEEDS_CSUM, only with checksum offload) must be TCP's or
 * UDP's, within the frame: it's completed here, as the kernel would, and
 * fz_frame_check() then finds it right or not. A segment to be split
 * must be TCP (with TSO) or UDP (with USO, at most FRAME_UDP_SEGS_MAX
 * datagrams) of the IP version its type says, with its checksum partial
 * and a segment size that gives frames within the MTU and more than one of
 * them; anything else must be within the MTU. fz_udp_seg says the size of
 * the datagrams in a UDP frame to be split, 0 for any other frame.
 *
 * Return: the frame
 */
uint8_t *fz_vnet_frame(const struct ctx *c, uint8_t *buf, size_t n,
		       size_t *len, size_t *max)
{
	size_t hl = sizeof(struct virtio_net_hdr), l4off = 0, thl = 0;
	struct virtio_net_hdr vh;
	uint8_t *f = buf + hl;
	uint16_t proto;
	uint8_t l4p = 0;

	*len = n;
	*max = (size_t)c->mtu + ETH_HLEN;
	fz_udp_seg = 0;
	if (!c->tap_vnet)
		return buf;
	if (n < hl + ETH_HLEN)
		fz_fail("frame of %zu bytes with the virtio-net header", n);
	memcpy(&vh, buf, hl);
	*len = n -= hl;

	proto = (uint16_t)(f[12] << 8 | f[13]);
	if (proto == ETH_P_IP && n >= ETH_HLEN + 20) {
		l4p = f[ETH_HLEN + 9];
		l4off = ETH_HLEN + 20;
	} else if (proto == ETH_P_IPV6 && n >= ETH_HLEN + 40) {
		l4p = f[ETH_HLEN + 6];
		l4off = ETH_HLEN + 40;
	}
	if (l4p == IPPROTO_TCP && n >= l4off + sizeof(struct tcphdr))
		thl = (size_t)(f[l4off + 12] >> 4) * 4;
	else if (l4p == IPPROTO_UDP && n >= l4off + sizeof(struct udphdr))
		thl = sizeof(struct udphdr);
	else
		l4off = 0;

	if (vh.flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		fz_fail("virtio-net header flags 0x%x", vh.flags);
	if (vh.hdr_len > n)
		fz_fail("virtio-net header length %u, frame of %zu",
			vh.hdr_len, n);
	if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint16_t sum;

		if (!(c->tap_offloads & TUN_F_CSUM))
			fz_fail("partial checksum without checksum offload");
		if (!thl || vh.csum_start != l4off ||
		    vh.csum_offset != (l4p == IPPROTO_TCP ?
				       offsetof(struct tcphdr, check) :
				       offsetof(struct udphdr, check)))
			fz_fail("partial checksum at %u + %u, not TCP's or "
				"UDP's (%zu) in a frame of %zu", vh.csum_start,
				vh.csum_offset, l4off, n);
		sum = fz_csum(f + l4off, n - l4off, 0);
		memcpy(f + l4off + vh.csum_offset, &sum, sizeof(sum));
	} else if (vh.csum_start || vh.csum_offset) {
		fz_fail("checksum at %u + %u, but none partial",
			vh.csum_start, vh.csum_offset);
	}

	switch (vh.gso_type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		if (vh.gso_size)
			fz_fail("segment size %u without segmentation",
				vh.gso_size);
		return f;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!(c->tap_offloads & TUN_F_TSO4) || proto != ETH_P_IP)
			fz_fail("TSO4 frame, EtherType 0x%04x, offloads 0x%x",
				proto, c->tap_offloads);
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!(c->tap_offloads & TUN_F_TSO6) || proto != ETH_P_IPV6)
			fz_fail("TSO6 frame, EtherType 0x%04x, offloads 0x%x",
				proto, c->tap_offloads);
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (!(c->tap_offloads & (proto == ETH_P_IP ? TUN_F_USO4 :
							      TUN_F_USO6)) ||
		    l4p != IPPROTO_UDP)
			fz_fail("USO frame, EtherType 0x%04x, protocol %u, "
				"offloads 0x%x", proto, l4p, c->tap_offloads);
		break;
	default:
		fz_fail("virtio-net segmentation type %u", vh.gso_type);
	}

	if (!thl || !(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		fz_fail("segmentation not TCP or UDP, or without partial "
			"checksum");
	if (!vh.gso_size || l4off + thl + vh.gso_size > *max)
		fz_fail("segment size %u, headers %zu, MTU %i",
			vh.gso_size, l4off + thl, c->mtu);
	if (n <= l4off + thl + vh.gso_size)
		fz_fail("frame of %zu bytes to split, one segment of %u",
			n, vh.gso_size);
	if (l4p == IPPROTO_UDP) {
		size_t segs = (n - l4off - thl + vh.gso_size - 1) /
			      vh.gso_size;

		if (segs > FRAME_UDP_SEGS_MAX)
			fz_fail("USO frame of %zu datagrams", segs);
		fz_udp_seg = vh.gso_size;
	}
	*max = TAP_FRAME_MAX;
	return f;
}

/**
 * fz_tap_read_back() - Flush the tap's output, read and check every frame
 * @c:		Execution context
 * @fd:		The guest's end of the tap (fz_pasta_tap())
 *
 * The tap is only read if the daemon wrote to it since the last call: a
 * system call is most of what an input costs, and most messages get no
 * answer.
 */
void fz_tap_read_back(struct ctx *c, int fd)
{
	static uint8_t buf[1 << 17];
	static uint64_t seen;
	size_t whole;
	ssize_t n;

	tap_flush(c);
	if (tap_stats.frames_out == seen)
		return;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		size_t len, max;
		uint8_t *f = fz_vnet_frame(c, buf, (size_t)n, &len, &max);

		fz_frame_check(c, f, len, max, &whole);
	}
	seen = tap_stats.frames_out;
}

/**
 * fz_frame_check() - Check a frame the daemon sent to the guest
 * @c:		Execution context
 * @f:		Frame
 * @len:	Its length
 * @max:	Longest it may be, 0 for the MTU and the Ethernet header
 * @whole:	Set to the length of the frame to look into further: @len,
 *		or, after the last fragment of a datagram, the frame the
 *		fragments make up; 0 while fragments are missing
 *
 * Return: that frame (@f, or the one the fragments made up), NULL if none
 */
const uint8_t *fz_frame_check(const struct ctx *c, const uint8_t *f,
			      size_t len, size_t max, size_t *whole)
{
	uint16_t proto;

	*whole = len;
	if (len < ETH_HLEN)
		fz_fail("frame to the guest of %zu bytes", len);
	if (memcmp(f + ETH_ALEN, c->our_tap_mac, ETH_ALEN))
		fz_fail("frame to the guest not from our MAC address");
	proto = (uint16_t)(f[12] << 8 | f[13]);

	if (proto == ETH_P_ARP) {
		if (len < ETH_HLEN + 28)
			fz_fail("ARP frame of %zu bytes", len);
		return f;
	}
	if (!max)
		max = (size_t)c->mtu + ETH_HLEN;
	if (len > max) {
		const uint8_t *l3 = f + ETH_HLEN;
		size_t l4off = proto == ETH_P_IPV6 ? 40 : 20;
		uint8_t l4proto = len < ETH_HLEN + 40 ? 0 :
				  proto == ETH_P_IPV6 ? l3[6] : l3[9];

		fz_fail("frame of %zu bytes, beyond %zu (MTU %i): EtherType "
			"0x%04x, protocol %u, ports %u to %u", len, max, c->mtu,
			proto, l4proto, l3[l4off] << 8 | l3[l4off + 1],
			l3[l4off + 2] << 8 | l3[l4off + 3]);
	}

	if (proto == ETH_P_IP) {
		struct iphdr iph;
		uint16_t frag;

		if (len < ETH_HLEN + sizeof(iph))
			fz_fail("IPv4 frame of %zu bytes", len);
		memcpy(&iph, f + ETH_HLEN, sizeof(iph));
		if (iph.version != 4 || iph.ihl != 5)
			fz_fail("IPv4 version %u, header length %u",
				iph.version, iph.ihl);
		if (ntohs(iph.tot_len) != len - ETH_HLEN)
			fz_fail("IPv4 total length %u in a frame of %zu",
				ntohs(iph.tot_len), len);
		if (fz_csum(f + ETH_HLEN, sizeof(iph), 0))
			fz_fail("IPv4 header checksum wrong");

		frag = ntohs(iph.frag_off);
		if (frag & (IP_MF | IP_OFFMASK)) {
			struct iphdr *wh;

			*whole = fz_frag(f, ETH_HLEN + sizeof(iph),
					 f + ETH_HLEN + sizeof(iph),
					 len - ETH_HLEN - sizeof(iph),
					 (size_t)(frag & IP_OFFMASK) * 8,
					 frag & IP_MF, ntohs(iph.id));
			if (!*whole)
				return NULL;
			f = fz_reasm.buf;
			len = *whole;
			wh = (struct iphdr *)(fz_reasm.buf + ETH_HLEN);
			wh->frag_off = 0;
			wh->tot_len = htons((uint16_t)(len - ETH_HLEN));
		}
		fz_l4_check(AF_INET, &iph.saddr, &iph.daddr, iph.protocol,
			    f + ETH_HLEN + sizeof(iph),
			    len - ETH_HLEN - sizeof(iph));
		fz_link_check(c, AF_INET, &iph.saddr, iph.protocol,
			      f + ETH_HLEN + sizeof(iph),
			      len - ETH_HLEN - sizeof(iph));
	} else if (proto == ETH_P_IPV6) {
		struct ip6_hdr ip6h;
		uint8_t nxt;

		if (len < ETH_HLEN + sizeof(ip6h))
			fz_fail("IPv6 frame of %zu bytes", len);
		memcpy(&ip6h, f + ETH_HLEN, sizeof(ip6h));
		if ((ip6h.ip6_vfc >> 4) != 6)
			fz_fail("IPv6 version %u", ip6h.ip6_vfc >> 4);
		if (ntohs(ip6h.ip6_plen) != len - ETH_HLEN - sizeof(ip6h))
			fz_fail("IPv6 payload length %u in a frame of %zu",
				ntohs(ip6h.ip6_plen), len);
		nxt = ip6h.ip6_nxt;

		if (nxt == IPPROTO_FRAGMENT) {
			size_t hl = ETH_HLEN + sizeof(ip6h);
			struct ip6_frag fh;
			struct ip6_hdr *wh;

			if (len < hl + sizeof(fh))
				fz_fail("IPv6 fragment of %zu bytes", len);
			memcpy(&fh, f + hl, sizeof(fh));
			*whole = fz_frag(f, hl, f + hl + sizeof(fh),
					 len - hl - sizeof(fh),
					 ntohs(fh.ip6f_offlg & IP6F_OFF_MASK),
					 fh.ip6f_offlg & IP6F_MORE_FRAG,
					 ntohl(fh.ip6f_ident));
			if (!*whole)
				return NULL;
			f = fz_reasm.buf;
			len = *whole;
			wh = (struct ip6_hdr *)(fz_reasm.buf + ETH_HLEN);
			wh->ip6_nxt = nxt = fh.ip6f_nxt;
			wh->ip6_plen = htons((uint16_t)(len - hl));
		}
		fz_l4_check(AF_INET6, &ip6h.ip6_src, &ip6h.ip6_dst, nxt,
			    f + ETH_HLEN + sizeof(ip6h),
			    len - ETH_HLEN - sizeof(ip6h));
		fz_link_check(c, AF_INET6, &ip6h.ip6_src, nxt,
			      f + ETH_HLEN + sizeof(ip6h),
			      len - ETH_HLEN - sizeof(ip6h));
	} else {
		fz_fail("frame to the guest with EtherType 0x%04x", proto);
	}
	return f;
}
