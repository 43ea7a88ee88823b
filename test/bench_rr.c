// SPDX-License-Identifier: GPL-2.0-or-later
/* bench_rr.c - TCP request/response latency and connections per second
 *
 * The small-message rows of `make bench` (test/bench.sh), measured by a
 * client whose own cost per round trip is two system calls, so that the
 * figures, and their ratios to the kernel's paths, are those of the paths:
 *
 * - server: echo everything every connection sends, until it closes; any
 *   number of connections, one thread, epoll, TCP_NODELAY.  Ends on a
 *   signal, or after IDLE_S seconds without any event
 * - rr: one connection, WARMUP round trips, then COUNT round trips of SIZE
 *   bytes each way, each timed with CLOCK_MONOTONIC from before the send
 *   to the last byte of the echo; prints the median, the 99th percentile
 *   and the fastest, in microseconds
 * - cps: for SECONDS, one connection after the other: connect, send SIZE
 *   bytes, read their echo, close; prints connections per second.  The
 *   client closes first and keeps the TIME_WAIT sockets: with the
 *   kernel's default range of local ports and no reuse (sysctls
 *   net.ipv4.ip_local_port_range, tcp_tw_reuse), a few seconds of them
 *   fill it and connect() then spends longer looking for a free port than
 *   the rest of the exchange takes
 *
 * Results go to standard output as one flat JSON object, errors to
 * standard error.  Every system call of the clients gives up after 10 s
 * (IO_TIMEOUT_S).  ADDR is an IPv4 or IPv6 address.  A benchmark tool, not
 * part of the daemon.
 *
 * Usage: bench_rr server ADDR PORT
 *	  bench_rr rr ADDR PORT COUNT SIZE
 *	  bench_rr cps ADDR PORT SECONDS SIZE
 *
 * Exit status: 0 when the measurement was made, 1 otherwise.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WARMUP		100
#define SIZE_MAX_B	(1 << 20)
#define BUF_B		(1 << 16)
#define EVENTS		64
#define IO_TIMEOUT_S	10
#define FAILS_MAX	100
#define IDLE_S		300

/**
 * struct conn - One connection of the echo server
 * @fd:		Its socket
 * @pending:	Bytes read and not yet written back, NULL if none
 * @len:	Length of @pending
 * @off:	Bytes of @pending already written
 */
struct conn {
	int fd;
	char *pending;
	size_t len;
	size_t off;
};

/**
 * struct addr - A socket address of either family
 * @sa:		Generic view
 * @in:		IPv4
 * @in6:	IPv6
 * @len:	Length of the one in use
 */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	};
	socklen_t len;
};

/**
 * die() - Print a message with the last error and exit with status 1
 * @what:	What failed
 */
static void die(const char *what)
{
	fprintf(stderr, "bench_rr: %s: %s\n", what, strerror(errno));
	exit(1);
}

/**
 * number() - Parse a positive decimal number from the command line
 * @s:		The argument
 * @max:	Largest value accepted
 *
 * Return: the number, exits with status 1 if it isn't one in range
 */
static long number(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v <= 0 || v > max) {
		fprintf(stderr, "bench_rr: invalid number \"%s\": must be from"
			" 1 to %li\n", s, max);
		exit(1);
	}
	return v;
}

/**
 * addr_parse() - Fill a socket address from an IPv4 or IPv6 address
 * @a:		Address to fill
 * @s:		Address as text
 * @port:	Port as text
 */
static void addr_parse(struct addr *a, const char *s, const char *port)
{
	in_port_t p = htons((in_port_t)number(port, 65535));

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = p;
		a->len = sizeof(a->in);
	} else if (inet_pton(AF_INET6, s, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = p;
		a->len = sizeof(a->in6);
	} else {
		fprintf(stderr, "bench_rr: invalid address \"%s\"\n", s);
		exit(1);
	}
}

/**
 * now_ns() - Monotonic clock in nanoseconds
 *
 * Return: nanoseconds since an arbitrary point
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/**
 * nodelay() - Send every write at once (no Nagle's algorithm)
 * @fd:		TCP socket
 */
static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/**
 * conn_close() - Close a connection of the echo server and free it
 * @ep:		epoll descriptor
 * @c:		Connection
 */
static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->pending);
	free(c);
}

/**
 * conn_wait() - Wait for input, or for room to write what is pending
 * @ep:		epoll descriptor
 * @c:		Connection
 */
static void conn_wait(int ep, struct conn *c)
{
	struct epoll_event ev = {
		.events = c->pending ? EPOLLOUT : EPOLLIN, .data.ptr = c,
	};

	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev))
		die("epoll_ctl");
}

/**
 * conn_flush() - Write what is pending on a connection
 * @c:		Connection
 *
 * Return: 0 if all was written or the socket is full, -1 on error
 */
static int conn_flush(struct conn *c)
{
	while (c->off < c->len) {
		ssize_t n = send(c->fd, c->pending + c->off, c->len - c->off,
				 MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->off += (size_t)n;
	}
	free(c->pending);
	c->pending = NULL;
	return 0;
}

/**
 * conn_echo() - Read what a connection sent and write it back
 * @c:		Connection
 *
 * Return: 0 on success, -1 if the peer closed it or on error
 */
static int conn_echo(struct conn *c)
{
	static char buf[BUF_B];
	ssize_t n, w;

	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0)
		return -1;

	w = send(c->fd, buf, (size_t)n, MSG_NOSIGNAL);
	if (w < 0 && errno != EAGAIN)
		return -1;
	if (w == n)
		return 0;

	/* The peer doesn't read: keep the rest, stop reading until sent */
	if (w < 0)
		w = 0;
	c->len = (size_t)(n - w);
	c->off = 0;
	c->pending = malloc(c->len);
	if (!c->pending)
		die("malloc");
	memcpy(c->pending, buf + w, c->len);
	return 0;
}

/**
 * conn_accept() - Accept every connection waiting on the listening socket
 * @ep:		epoll descriptor
 * @s:		Listening socket
 */
static void conn_accept(int ep, int s)
{
	int fd;

	while ((fd = accept4(s, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct conn *c = calloc(1, sizeof(*c));

		if (!c)
			die("calloc");
		c->fd = fd;
		nodelay(fd);
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			die("epoll_ctl");
	}
	if (errno != EAGAIN && errno != ECONNABORTED)
		fprintf(stderr, "bench_rr: accept: %s\n", strerror(errno));
}

/**
 * conn_event() - Handle an event on a connection of the echo server
 * @ep:		epoll descriptor
 * @c:		Connection, closed if the peer closed it or on error
 */
static void conn_event(int ep, struct conn *c)
{
	bool pending = c->pending;

	if (pending ? conn_flush(c) : conn_echo(c))
		conn_close(ep, c);
	else if (pending != !!c->pending)	/* output blocked, or done */
		conn_wait(ep, c);
}

/**
 * server() - Echo server, until a signal or IDLE_S seconds without events
 * @a:		Address and port to listen on
 *
 * Return: 0 after IDLE_S seconds without events, exits with 1 on errors
 */
static int server(const struct addr *a)
{
	struct epoll_event ev = { .events = EPOLLIN }, events[EVENTS];
	struct rlimit lim;
	int s, ep, n, i, one = 1;

	/* One descriptor per connection, and many may be open at once */
	if (!getrlimit(RLIMIT_NOFILE, &lim)) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}

	s = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s < 0)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, &a->sa, a->len))
		die("bind");
	if (listen(s, 4096))
		die("listen");

	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev))
		die("epoll_ctl");

	while ((n = epoll_wait(ep, events, EVENTS, IDLE_S * 1000))) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			if (events[i].data.ptr)
				conn_event(ep, events[i].data.ptr);
			else
				conn_accept(ep, s);
		}
	}
	return 0;
}

/**
 * client_connect() - Connect a blocking socket with timeouts on every call
 * @a:		Address and port of the server
 *
 * Return: the socket, -1 on failure (errno set)
 */
static int client_connect(const struct addr *a)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	int fd;

	fd = socket(a->sa.sa_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, &a->sa, a->len)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	nodelay(fd);
	return fd;
}

/**
 * round_trip() - Send a message and read its echo
 * @fd:		Connected socket
 * @buf:	Message, overwritten by the echo
 * @size:	Its length
 *
 * Return: 0 on success, -1 on error or if the peer closed (errno set)
 */
static int round_trip(int fd, char *buf, size_t size)
{
	size_t done;
	ssize_t n;

	for (done = 0; done < size; done += (size_t)n) {
		n = send(fd, buf + done, size - done, MSG_NOSIGNAL);
		if (n < 0)
			return -1;
	}
	for (done = 0; done < size; done += (size_t)n) {
		n = recv(fd, buf + done, size - done, 0);
		if (n <= 0) {
			if (!n)
				errno = ECONNRESET;
			return -1;
		}
	}
	return 0;
}

/**
 * cmp_u64() - qsort() comparison for unsigned 64-bit values
 * @a:		First value
 * @b:		Second value
 *
 * Return: <0, 0, >0
 */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/**
 * rr() - Round trips on one connection: median and 99th percentile
 * @a:		Address and port of the echo server
 * @count:	Round trips timed, after WARMUP ones
 * @size:	Bytes each way
 *
 * Return: 0, exits with 1 on errors
 */
static int rr(const struct addr *a, long count, long size)
{
	uint64_t *t = calloc((size_t)count, sizeof(*t));
	char *buf = malloc((size_t)size);
	double p50, p99;
	long i;
	int fd;

	if (!t || !buf)
		die("malloc");
	memset(buf, 'p', (size_t)size);
	fd = client_connect(a);
	if (fd < 0)
		die("connect");

	for (i = -WARMUP; i < count; i++) {
		uint64_t t0 = now_ns();

		if (round_trip(fd, buf, (size_t)size)) {
			if (errno == EAGAIN)
				errno = ETIMEDOUT;
			die("round trip");
		}
		if (i >= 0)
			t[i] = now_ns() - t0;
	}
	close(fd);

	/* The median of an even count is the mean of the middle two */
	qsort(t, (size_t)count, sizeof(*t), cmp_u64);
	p50 = ((double)t[(count - 1) / 2] + (double)t[count / 2]) / 2;
	p99 = (double)t[count * 99 / 100];
	printf("{\"count\": %li, \"p50_us\": %.1f, \"p99_us\": %.1f, "
	       "\"min_us\": %.1f}\n", count, p50 / 1000, p99 / 1000,
	       (double)t[0] / 1000);
	free(t);
	free(buf);
	return 0;
}

/**
 * cps() - New connections, one after the other, for @secs seconds
 * @a:		Address and port of the echo server
 * @secs:	Duration
 * @size:	Bytes each way on each connection
 *
 * Return: 0 if any connection completed, 1 otherwise
 */
static int cps(const struct addr *a, long secs, long size)
{
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)secs * 1000000000ULL;
	char *buf = malloc((size_t)size);
	long done = 0, failed = 0;
	uint64_t t;

	if (!buf)
		die("malloc");
	memset(buf, 'c', (size_t)size);
	while ((t = now_ns()) < end) {
		int fd = client_connect(a);

		if (fd >= 0 && !round_trip(fd, buf, (size_t)size)) {
			close(fd);
			done++;
			continue;
		}
		fprintf(stderr, "bench_rr: connection %li: %s\n",
			done + failed, strerror(errno == EAGAIN ? ETIMEDOUT :
						errno));
		if (fd >= 0)
			close(fd);
		if (++failed > FAILS_MAX)
			break;
	}
	t = now_ns();
	printf("{\"connections\": %li, \"failed\": %li, \"per_s\": %.1f}\n",
	       done, failed, (double)done * 1e9 / (double)(t - t0));
	free(buf);
	return !done;
}

/**
 * usage() - Print how to call this and exit with status 1
 * @name:	Program name
 */
static void usage(const char *name)
{
	fprintf(stderr, "Usage: %s server ADDR PORT\n"
		"       %s rr ADDR PORT COUNT SIZE\n"
		"       %s cps ADDR PORT SECONDS SIZE\n", name, name, name);
	exit(1);
}

/**
 * main() - Run the mode the command line names
 * @argc:	Argument count
 * @argv:	Mode and its arguments
 *
 * Return: 0 when the measurement was made, 1 otherwise
 */
int main(int argc, char **argv)
{
	struct addr a;

	if (argc < 4)
		usage(argv[0]);
	addr_parse(&a, argv[2], argv[3]);

	if (!strcmp(argv[1], "server") && argc == 4)
		return server(&a);
	if (!strcmp(argv[1], "rr") && argc == 6)
		return rr(&a, number(argv[4], 100000000),
			  number(argv[5], SIZE_MAX_B));
	if (!strcmp(argv[1], "cps") && argc == 6)
		return cps(&a, number(argv[4], 3600),
			   number(argv[5], SIZE_MAX_B));
	usage(argv[0]);
	return 1;
}
