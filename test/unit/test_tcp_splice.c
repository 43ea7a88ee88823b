// SPDX-License-Identifier: GPL-2.0-or-later
/* test_tcp_splice.c - pasta's spliced TCP path (tcp_splice.c): what a new
 * connection to a -T port does within the handler that accepts it
 *
 * Both ends are on loopback, where the kernel completes a handshake within
 * connect() itself: the client's first bytes must reach the server before
 * the handler returns, with no event handled in between, and a target
 * that refuses must give the client a reset there and then. The target is
 * a listening socket on 127.0.0.1 of the namespace the test runs in,
 * reached through a port offset in the -T table, as the handler reads it.
 */

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "passt.h"
#include "tcp_splice.h"
#include "unit.h"

static struct ctx c;		/* Large: static */

/**
 * listener() - A listening TCP socket on 127.0.0.1, on a port of its own
 * @port:	Set to its port, host order
 *
 * Return: the socket
 */
static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s, 8), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &sl), 0);
	*port = ntohs(a.sin_port);
	return s;
}

/**
 * client() - Connect to 127.0.0.1 port @port, blocking
 * @port:	Port, host order
 *
 * Return: the connected socket
 */
static int client(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

/**
 * accept_ns() - Have the handler accept what waits on @l, a -T port that
 *		 forwards to @target
 * @l:		Listening socket, the -T port
 * @port:	Its port
 * @target:	Port on 127.0.0.1 the connection goes to
 */
static void accept_ns(int l, uint16_t port, uint16_t target)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TCP_LISTEN_NS,
				.fd = l, .data = port };

	c.tcp_out.delta[port] = (uint16_t)(target - port);
	tcp_splice_listen_ns_handler(&c, ref);
}

/**
 * setup() - Checked fixture: pasta context with an epoll set, flow table
 */
static void setup(void)
{
	memset(&c, 0, sizeof(c));
	c.mode = MODE_PASTA;
	c.ifi4 = 1;
	c.epollfd = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(c.epollfd, 0);
	flow_init();
}

/**
 * teardown() - Checked fixture: close the epoll set
 */
static void teardown(void)
{
	close(c.epollfd);
}

START_TEST(first_bytes_reach_the_server_within_the_handler)
{
	uint16_t lport, tport;
	int l = listener(&lport), t = listener(&tport), cl, srv;
	struct pollfd pfd = { .fd = t, .events = POLLIN };
	char buf[16] = { 0 };

	cl = client(lport);
	ck_assert_int_eq(send(cl, "hello", 5, 0), 5);

	accept_ns(l, lport, tport);

	/* No event handled since: connected and passed on already */
	ck_assert_int_eq(poll(&pfd, 1, 1000), 1);
	srv = accept(t, NULL, NULL);
	ck_assert_int_ge(srv, 0);
	ck_assert_int_eq(recv(srv, buf, sizeof(buf), MSG_DONTWAIT), 5);
	ck_assert_str_eq(buf, "hello");

	close(srv);
	close(cl);
	close(t);
	close(l);
}
END_TEST

START_TEST(refused_target_resets_the_client_within_the_handler)
{
	uint16_t lport, tport;
	int l = listener(&lport), t = listener(&tport), cl;
	char buf[16];

	close(t);		/* Nothing listens on tport any more */
	cl = client(lport);

	accept_ns(l, lport, tport);

	ck_assert_int_eq(recv(cl, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, ECONNRESET);

	close(cl);
	close(l);
}
END_TEST

/**
 * tcp_splice_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *tcp_splice_suite(void)
{
	Suite *s = suite_create("tcp_splice");

	unit_tcase(s, "new connections", setup, teardown, TESTS(
		first_bytes_reach_the_server_within_the_handler,
		refused_target_resets_the_client_within_the_handler));

	return s;
}

int main(void)
{
	return unit_run(tcp_splice_suite());
}
