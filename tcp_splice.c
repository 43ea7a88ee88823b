// SPDX-License-Identifier: GPL-2.0-or-later
/* tcp_splice.c - pasta's loopback fast path for TCP
 *
 * Theory of operation
 * ===================
 *
 * A connection between the host's loopback and a port forwarded with -t,
 * or from inside the namespace to a port forwarded with -T, doesn't need
 * the tap device at all: both ends are local sockets. We accept it on one
 * side, connect a socket on the other side, and move data between the two
 * with splice(2) through a pipe per direction: the payload never enters
 * user space, and there are no frames, checksums or sequence numbers.
 *
 * Sockets on the namespace's side are opened inside the namespace (by a
 * short lived helper that joins it, see ns_call()): listening sockets for
 * -T at start-up, and a small pool of sockets ready to connect for -t,
 * refilled from the periodic timer. Once open, a socket stays in the
 * namespace it was created in, wherever we are.
 *
 * A connection from the host's loopback reaches the namespace from the
 * namespace's own address (the connecting socket goes to that address),
 * so a service bound only to the namespace's loopback is not exposed;
 * with --host-lo-to-ns-lo, it goes to the namespace's loopback instead.
 *
 * Each direction is independent: data is spliced from the source socket
 * into the pipe and from the pipe into the destination socket, both
 * non-blocking. When the destination can't take more, the pipe fills up
 * and we stop reading the source (back-pressure), waiting for EPOLLOUT on
 * the destination. A socket is read when epoll reports input on it, or
 * when we weren't watching it for input (pipe full, just connected); a
 * read that got less than asked emptied it, and level-triggered epoll
 * tells us when more comes. Both ends being local, the kernel mostly
 * completes the connection to the other side within connect() itself: a
 * second connect() says so, and what the peer already sent goes on in the
 * same wake-up, without waiting for EPOLLOUT. Empty pipes of closed
 * connections are kept for new ones, and closed once no connection came
 * or went for a second. End of file on a source, once its pipe is empty,
 * becomes shutdown(SHUT_WR) on the destination; when both directions are
 * shut, or on an error or reset on either side (passed on as a reset),
 * the connection is closed. A socket shut both ways (EPOLLHUP: its peer's
 * FIN received, ours sent) is not an error: the data its peer sent before
 * that FIN may still wait in it, and is passed on first. A socket we want
 * nothing from (end of file read and nothing to write to it, or its pipe
 * full) is out of the epoll set, so a half-closed connection waiting on
 * the other side costs nothing.
 */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "fwd.h"
#include "log.h"
#include "passt.h"
#include "tcp_splice.h"
#include "util.h"

#define SPLICE_PIPE_SIZE	(1 << 20)	/* Tried first, then default */
#define SPLICE_POOL_SIZE	32		/* Namespace sockets ready */

#define SPLICE_F_CONNECTING	0x0001	/* s[1] still connecting */
#define SPLICE_F_EOF0		0x0002	/* End of file read on s[0] */
#define SPLICE_F_EOF1		0x0004	/* End of file read on s[1] */
#define SPLICE_F_SHUT0		0x0008	/* Direction 0 shut: s[1] SHUT_WR */
#define SPLICE_F_SHUT1		0x0010	/* Direction 1 shut: s[0] SHUT_WR */
#define SPLICE_F_FULL0		0x0020	/* Pipe 0 taken as full until empty */
#define SPLICE_F_FULL1		0x0040	/* Pipe 1 taken as full until empty */

static int splice_pipe_size = SPLICE_PIPE_SIZE;

/* Empty pipes of closed connections, kept for the next ones (no pipe2(),
 * fcntl() and close() for each), and closed once we're idle
 */
#define SPLICE_PIPE_POOL	8
static int pipe_pool[SPLICE_PIPE_POOL][2];
static uint32_t pipe_pool_cap[SPLICE_PIPE_POOL];
static int pipe_pool_count;
static int pipe_pool_max = SPLICE_PIPE_POOL;	/* See tcp_splice_init() */
static bool pipe_pool_used;		/* Since the last timer */

/* Sockets opened in the namespace, ready to connect */
static int ns_pool[2][SPLICE_POOL_SIZE];	/* [0] IPv4, [1] IPv6 */
static int ns_pool_count[2];
static int ns_pool_size = SPLICE_POOL_SIZE;	/* Per family, see init */

/**
 * splice_af_idx() - Pool index of an address family
 * @af:		AF_INET or AF_INET6
 *
 * Return: 0 or 1
 */
static int splice_af_idx(sa_family_t af)
{
	return af == AF_INET ? 0 : 1;
}

/**
 * ns_pool_fill() - In the namespace: open sockets for the pool
 * @c:		Execution context
 * @arg:	Unused
 *
 * Return: 0
 *
 * syscalls(pasta): socket
 */
static int ns_pool_fill(struct ctx *c, void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 2; i++) {
		sa_family_t af = i ? AF_INET6 : AF_INET;

		if ((af == AF_INET && !c->ifi4) || (af == AF_INET6 && !c->ifi6))
			continue;
		ns_pool_count[i] += sock_open_many(af, SOCK_STREAM |
						   SOCK_NONBLOCK | SOCK_CLOEXEC,
						   IPPROTO_TCP,
						   ns_pool[i] + ns_pool_count[i],
						   ns_pool_size -
						   ns_pool_count[i]);
	}
	return 0;
}

/**
 * splice_ns_sock() - Take a socket from the namespace pool
 * @c:		Execution context
 * @af:		Address family
 *
 * Return: socket, -1 if none could be had
 */
static int splice_ns_sock(struct ctx *c, sa_family_t af)
{
	int i = splice_af_idx(af);

	if (!ns_pool_count[i])
		ns_run(c, ns_pool_fill, NULL);
	if (!ns_pool_count[i])
		return -1;
	return ns_pool[i][--ns_pool_count[i]];
}

/**
 * splice_epoll() - Set the events wanted on one socket of a connection
 * @c:		Execution context
 * @conn:	Connection
 * @side:	0 or 1
 * @events:	Events, 0 to take the socket out of the epoll set
 *
 * A socket we want nothing from is not left in the set with no events:
 * epoll reports EPOLLHUP whatever the mask, and a socket shut both ways
 * (its peer's FIN read, ours sent) would wake us up at once, forever,
 * while data from it waits for room in the pipe.
 *
 * Return: 0 on success, -1 if epoll_ctl() failed (events unchanged)
 *
 * syscalls(pasta): epoll_ctl
 */
static int splice_epoll(const struct ctx *c, struct tcp_splice_conn *conn,
			int side, uint32_t events)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TCP_SPLICE,
				.fd = conn->s[side],
				.data = flow_ref((union flow *)conn) |
					(side ? FLOW_REF_SIDE : 0) };
	struct epoll_event ev = { .events = events, .data.u64 = ref.u64 };
	int op;

	if (conn->events[side] == events)
		return 0;
	if (!events)
		op = EPOLL_CTL_DEL;
	else if (!conn->events[side])
		op = EPOLL_CTL_ADD;
	else
		op = EPOLL_CTL_MOD;
	if (epoll_ctl(c->epollfd, op, conn->s[side], &ev)) {
		debug_perror("splice: can't change epoll events");
		return -1;
	}
	conn->events[side] = events;
	return 0;
}

/**
 * splice_pipe_put() - Done with a pipe: keep it for the next connection
 *		       if it's empty and the pool has room, close it otherwise
 * @p:		Pipe's ends
 * @cap:	Its capacity
 * @pending:	Bytes still in it
 *
 * syscalls(pasta): close
 */
static void splice_pipe_put(const int p[2], uint32_t cap, uint32_t pending)
{
	if (!pending && pipe_pool_count < pipe_pool_max) {
		pipe_pool[pipe_pool_count][0] = p[0];
		pipe_pool[pipe_pool_count][1] = p[1];
		pipe_pool_cap[pipe_pool_count++] = cap;
		pipe_pool_used = true;
		return;
	}
	close(p[0]);
	close(p[1]);
}

/**
 * splice_close() - Close everything of a connection, free it
 * @c:		Execution context
 * @conn:	Connection
 * @rst:	Reset both peers instead of closing gracefully
 *
 * The sockets leave the epoll set as they're closed: we hold the only
 * descriptor of each, no EPOLL_CTL_DEL needed (see epoll(7)).
 *
 * syscalls(pasta): close
 */
static void splice_close(const struct ctx *c, struct tcp_splice_conn *conn,
			 bool rst)
{
	int i;

	(void)c;
	for (i = 0; i < 2; i++) {
		if (conn->s[i] >= 0) {
			if (rst)
				sock_close_rst(conn->s[i]);
			else
				close(conn->s[i]);
		}
		if (conn->pipe[i][0] >= 0)
			splice_pipe_put(conn->pipe[i], conn->pipe_size[i],
					conn->pending[i]);
	}
	flow_free((union flow *)conn);
}

/**
 * splice_events_update() - Watch what each socket needs, from the state
 * @c:		Execution context
 * @conn:	Connection
 *
 * Return: 0 on success, -1 if the events couldn't be set
 */
static int splice_events_update(const struct ctx *c,
				struct tcp_splice_conn *conn)
{
	int side;

	for (side = 0; side < 2; side++) {
		uint16_t eof = side ? SPLICE_F_EOF1 : SPLICE_F_EOF0;
		uint16_t full = side ? SPLICE_F_FULL1 : SPLICE_F_FULL0;
		uint32_t ev = 0;

		/* Read from this side while its pipe has room: EPOLLIN also
		 * reports the end of file, so no EPOLLRDHUP, which would stay
		 * ready once the peer has shut down writing.
		 */
		if (!(conn->flags & eof) && !(conn->flags & full) &&
		    conn->pending[side] < conn->pipe_size[side])
			ev |= EPOLLIN;
		/* Write to this side while the other pipe holds data */
		if (conn->pending[!side])
			ev |= EPOLLOUT;
		if (splice_epoll(c, conn, side, ev))
			return -1;
	}
	return 0;
}

/**
 * splice_dir() - Move data one way, as far as it goes without blocking
 * @conn:	Connection
 * @dir:	0: s[0] to s[1], 1: s[1] to s[0]
 * @rd:		Read from the source socket, not only empty the pipe
 *
 * Return: 0, or -1 on an error that ends the connection
 *
 * syscalls(pasta): splice shutdown
 */
static int splice_dir(struct tcp_splice_conn *conn, int dir, bool rd)
{
	uint16_t eof = dir ? SPLICE_F_EOF1 : SPLICE_F_EOF0;
	uint16_t shut = dir ? SPLICE_F_SHUT1 : SPLICE_F_SHUT0;
	uint16_t full = dir ? SPLICE_F_FULL1 : SPLICE_F_FULL0;
	int from = conn->s[dir], to = conn->s[!dir];
	int *p = conn->pipe[dir];
	int rounds;

	for (rounds = 0; rounds < 16; rounds++) {
		bool progress = false;
		ssize_t n;

		if (!conn->pending[dir])
			conn->flags &= (uint16_t)~full;
		if (rd && !(conn->flags & eof) && !(conn->flags & full) &&
		    conn->pending[dir] < conn->pipe_size[dir]) {
			size_t want = conn->pipe_size[dir] - conn->pending[dir];

			n = splice(from, NULL, p[1], NULL, want,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			/* Less than asked: the socket was empty just now (or
			 * the pipe full). Level-triggered EPOLLIN calls us
			 * again if more comes: no read just to see EAGAIN.
			 */
			if (n < (ssize_t)want)
				rd = false;
			if (n > 0) {
				conn->pending[dir] += (uint32_t)n;
				progress = true;
			} else if (n == 0) {
				conn->flags |= eof;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
				   errno != EINTR) {
				return -1;
			} else if (conn->pending[dir]) {
				/* The pipe may hold less than we thought
				 * (pages are counted, not bytes): take it
				 * as full until it drains, rather than
				 * waking up for input we can't take.
				 */
				conn->flags |= full;
			}
		}

		if (conn->pending[dir]) {
			n = splice(p[0], NULL, to, NULL, conn->pending[dir],
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				conn->pending[dir] -= (uint32_t)n;
				progress = true;
			} else if (n < 0 && errno != EAGAIN &&
				   errno != EWOULDBLOCK && errno != EINTR) {
				return -1;
			}
		}

		if (!progress)
			break;
	}
	if (!conn->pending[dir])
		conn->flags &= (uint16_t)~full;

	/* With the other direction shut too, the connection is closed next:
	 * close() sends the FIN, as everything @to sent us was read
	 */
	if ((conn->flags & eof) && !conn->pending[dir] &&
	    !(conn->flags & shut)) {
		if (!(conn->flags & (dir ? SPLICE_F_SHUT0 : SPLICE_F_SHUT1)))
			shutdown(to, SHUT_WR);
		conn->flags |= shut;
	}
	return 0;
}

/**
 * splice_move() - Move data both ways, then close the connection if it's
 *		   done, or watch what each socket needs next
 * @c:		Execution context
 * @conn:	Connection, connected
 * @rd:		Read from s[0], s[1], not only empty the pipes
 */
static void splice_move(const struct ctx *c, struct tcp_splice_conn *conn,
			const bool rd[2])
{
	if (splice_dir(conn, 0, rd[0]) || splice_dir(conn, 1, rd[1])) {
		splice_close(c, conn, true);
		return;
	}

	if ((conn->flags & SPLICE_F_SHUT0) && (conn->flags & SPLICE_F_SHUT1)) {
		splice_close(c, conn, false);
		return;
	}
	if (splice_events_update(c, conn))
		splice_close(c, conn, true);
}

/**
 * tcp_splice_sock_handler() - Events on a spliced connection's socket
 * @c:		Execution context
 * @ref:	epoll reference: flow index and side in data
 * @events:	epoll events
 *
 * syscalls(pasta): getsockopt
 */
void tcp_splice_sock_handler(struct ctx *c, union epoll_ref ref,
			     uint32_t events)
{
	union flow *flow = flow_from_ref(ref.data, FLOW_TCP_SPLICE);
	unsigned int side = !!(ref.data & FLOW_REF_SIDE);
	struct tcp_splice_conn *conn;
	bool rd[2];

	if (!flow || flow->splice.s[side] != ref.fd)
		return;
	conn = &flow->splice;

	if (conn->flags & SPLICE_F_CONNECTING) {
		int e = 0;
		socklen_t sl = sizeof(e);

		if (side != 1 || !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(conn->s[1], SOL_SOCKET, SO_ERROR, &e, &sl);
		if (e || (events & (EPOLLERR | EPOLLHUP))) {
			debug("splice: connect failed: %s", strerror(e));
			splice_close(c, conn, true);
			return;
		}
		conn->flags &= (uint16_t)~SPLICE_F_CONNECTING;
	}

	if (events & EPOLLERR) {
		splice_close(c, conn, true);
		return;
	}

	/* Read from a socket only if it reported input now, or if we
	 * weren't watching it for input (its pipe was full, or it's just
	 * connected): one we watch tells us when it has something.
	 */
	rd[side] = !!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP));
	rd[!side] = !(conn->events[!side] & EPOLLIN);
	if (!(conn->events[side] & EPOLLIN))
		rd[side] = true;
	splice_move(c, conn, rd);
}

/**
 * splice_pipe() - Take an empty pipe from the pool, or open a non-blocking
 *		   one sized for the fast path
 * @p:		Set to the pipe's ends
 * @size:	Set to the capacity of the pipe
 *
 * Return: 0 on success, -1 on failure
 *
 * syscalls(pasta): pipe2 fcntl
 */
static int splice_pipe(int p[2], uint32_t *size)
{
	int sz;

	if (pipe_pool_count) {
		pipe_pool_count--;
		p[0] = pipe_pool[pipe_pool_count][0];
		p[1] = pipe_pool[pipe_pool_count][1];
		*size = pipe_pool_cap[pipe_pool_count];
		pipe_pool_used = true;
		return 0;
	}

	if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
		return -1;
	/* Success returns the capacity set; over the per-user limit, pipes
	 * may get much less than asked, or stay at the default
	 */
	sz = fcntl(p[0], F_SETPIPE_SZ, splice_pipe_size);
	if (sz < 0) {
		debug("splice: pipe size stays at the default");
		sz = fcntl(p[0], F_GETPIPE_SZ);
	}
	*size = sz > 0 ? (uint32_t)sz : 4096;
	return 0;
}

/**
 * splice_new() - Join an accepted socket with a new connection
 * @c:		Execution context
 * @s0:		Accepted socket
 * @s1:		Socket to connect, not connected yet
 * @to:		Where to connect @s1
 * @sl:		Length of @to
 * @origin:	Who connected: a peer on the host's loopback, or the namespace
 *
 * Takes ownership of both sockets: they're closed on failure.
 *
 * syscalls(pasta): setsockopt connect close
 */
static void splice_new(struct ctx *c, int s0, int s1,
		       const struct sockaddr *to, socklen_t sl,
		       enum flow_origin origin)
{
	struct tcp_splice_conn *conn;
	union flow *flow;
	int one = 1;

	flow = flow_alloc(c, origin);
	if (!flow) {
		warn_ratelimit("Flow table full: refusing a connection");
		sock_close_rst(s0);
		close(s1);
		return;
	}
	conn = &flow->splice;
	conn->f.type = FLOW_TCP_SPLICE;
	conn->s[0] = s0;
	conn->s[1] = s1;
	conn->pipe[0][0] = conn->pipe[0][1] = -1;
	conn->pipe[1][0] = conn->pipe[1][1] = -1;
	conn->events[0] = conn->events[1] = 0;

	if (splice_pipe(conn->pipe[0], &conn->pipe_size[0]) ||
	    splice_pipe(conn->pipe[1], &conn->pipe_size[1])) {
		warn_ratelimit("splice: can't open pipes: %s", strerror(errno));
		splice_close(c, conn, true);
		return;
	}

	/* The accepted socket has TCP_NODELAY from its listening socket */
	setsockopt(s1, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	/* Both ends are local: the kernel usually completes the handshake
	 * within connect() itself, which still says EINPROGRESS for a
	 * non-blocking socket. A second connect() tells: 0 if it's done,
	 * EALREADY if not. Then data the peer already sent goes on now,
	 * without a wake-up for EPOLLOUT first.
	 */
	if (!connect(s1, to, sl) ||
	    (errno == EINPROGRESS && !connect(s1, to, sl))) {
		const bool rd[2] = { true, false };

		conn->flags = 0;
		splice_move(c, conn, rd);
		return;
	}
	if (errno != EINPROGRESS && errno != EALREADY) {
		debug("splice: connect failed at once: %s", strerror(errno));
		splice_close(c, conn, true);
		return;
	}

	/* Nothing to read from the accepted socket until we're connected */
	conn->flags = SPLICE_F_CONNECTING;
	if (splice_epoll(c, conn, 1, EPOLLOUT))
		splice_close(c, conn, true);
}

/**
 * tcp_splice_from_host() - A connection from the host's loopback to a -t
 *			    port: connect inside the namespace, splice
 * @c:		Execution context
 * @s:		Accepted socket
 * @af:		Address family of the connection
 * @port:	Target port in the namespace
 *
 * Return: true if taken (@s belongs to the splice path now)
 */
bool tcp_splice_from_host(struct ctx *c, int s, sa_family_t af, uint16_t port)
{
	union sockaddr_inany to;
	socklen_t sl;
	int ns;

	if (c->mode != MODE_PASTA || c->no_splice)
		return false;

	if (!fwd_splice_sockaddr(c, af, port, c->host_lo_to_ns_lo, &to, &sl))
		return false;	/* Link-local only: use the tap */

	ns = splice_ns_sock(c, af);
	if (ns < 0)
		return false;

	splice_new(c, s, ns, (struct sockaddr *)&to, sl, FLOW_ORIGIN_PEER);
	return true;
}

/**
 * tcp_splice_listen_ns_handler() - A connection in the namespace to a -T
 *				    port: connect to the host's loopback
 * @c:		Execution context
 * @ref:	epoll reference: port and family in data
 *
 * syscalls(pasta): socket
 */
void tcp_splice_listen_ns_handler(struct ctx *c, union epoll_ref ref)
{
	uint16_t port = (uint16_t)ref.data, target;
	sa_family_t af = (ref.data >> 16) ? AF_INET6 : AF_INET;
	union {
		struct sockaddr_in sa4;
		struct sockaddr_in6 sa6;
	} to = { 0 };
	socklen_t sl;
	int s, h;

	s = sock_accept(ref.fd, NULL, NULL);
	if (s < 0)
		return;

	target = fwd_port_target(&c->tcp_out, port);
	if (af == AF_INET) {
		to.sa4.sin_family = AF_INET;
		to.sa4.sin_port = htons(target);
		to.sa4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(to.sa4);
	} else {
		to.sa6.sin6_family = AF_INET6;
		to.sa6.sin6_port = htons(target);
		to.sa6.sin6_addr = in6addr_loopback;
		sl = sizeof(to.sa6);
	}

	h = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		   IPPROTO_TCP);
	if (h < 0) {
		warn_ratelimit("splice: can't open a socket: %s",
			       strerror(errno));
		sock_close_rst(s);
		return;
	}
	splice_new(c, s, h, (struct sockaddr *)&to, sl, FLOW_ORIGIN_GUEST);
}

/**
 * tcp_splice_init() - Fill the socket pool in the namespace
 * @c:		Execution context
 */
void tcp_splice_init(struct ctx *c)
{
	struct rlimit r;

	/* Under a low descriptor limit, the pools mustn't take what
	 * connections need: sockets, at most 1/32 of the limit per family,
	 * pipes (two descriptors each), at most 1/32 too
	 */
	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur != RLIM_INFINITY) {
		if (r.rlim_cur / 32 < SPLICE_POOL_SIZE)
			ns_pool_size = MAX((int)(r.rlim_cur / 32), 1);
		if (r.rlim_cur / 64 < SPLICE_PIPE_POOL)
			pipe_pool_max = (int)(r.rlim_cur / 64);
	}

	if (c->mode == MODE_PASTA && !c->no_tcp && !c->no_splice)
		ns_run(c, ns_pool_fill, NULL);
}

/**
 * tcp_splice_timer() - Refill the namespace socket pool, close pooled pipes
 *			if no connection came or went since the last time
 * @c:		Execution context
 *
 * syscalls(pasta): close
 */
void tcp_splice_timer(struct ctx *c)
{
	if (!pipe_pool_used) {
		while (pipe_pool_count) {
			pipe_pool_count--;
			close(pipe_pool[pipe_pool_count][0]);
			close(pipe_pool[pipe_pool_count][1]);
		}
	}
	pipe_pool_used = false;

	if (c->mode != MODE_PASTA || c->no_splice || c->no_tcp)
		return;
	if (ns_pool_count[0] < ns_pool_size / 2 ||
	    ns_pool_count[1] < ns_pool_size / 2)
		ns_run(c, ns_pool_fill, NULL);
}
