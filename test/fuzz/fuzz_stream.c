// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_stream.c - libFuzzer target: passt's stream from qemu, cut anywhere
 *
 * The input is what a qemu guest writes to passt's UNIX domain socket,
 * cut into writes where the input says:
 *
 *	flags (1 byte)	bit 0: the guest reads nothing back until the end,
 *			       so the daemon's output fills the socket and
 *			       goes to its backlog
 *			bit 1: --one-off: the daemon asks to exit once the
 *			       guest is gone
 *			bit 2: a second guest tries to connect meanwhile, and
 *			       must be turned away
 *	cuts (1 byte)	n, at most 15: the stream is written in n + 1
 *			pieces
 *	n sizes		2 bytes each, big-endian: the first n pieces
 *	stream		the rest: 4-byte big-endian lengths and frames
 *
 * Each input is one guest connection: it connects to the daemon's listening
 * socket (made by tap_sock_init() at start, in /tmp, removed at exit),
 * tap_listen_handler() accepts it, then each piece is written and
 * dispatch_passt_handler() runs as when the socket is readable (and
 * writable, when the daemon waits for that), through the real reassembly
 * (tap_passt_read()) and on into the handlers; at the end the guest closes
 * its end, and the daemon must see it gone and close its flows.
 *
 * What the daemon sends back is split into frames by the harness, with
 * its own parser, and every frame is checked (fz_frame_check()): the
 * framing must never break, even when the socket took only part of a
 * frame.
 */

#include <errno.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dispatch.h"
#include "flow.h"
#include "harness.h"
#include "icmp.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"

#define FZ_F_NOREAD	0x01
#define FZ_F_ONE_OFF	0x02
#define FZ_F_SECOND	0x04
#define FZ_CUTS_MAX	15

static struct ctx c;
static struct sockaddr_un listen_addr;
static struct timespec now;

static struct fz_rx rx;		/* Output to the guest */

/**
 * fz_check() - Check one frame to the guest
 * @f:		Frame
 * @len:	Its length
 */
static void fz_check(const uint8_t *f, size_t len)
{
	size_t whole;

	fz_frame_check(&c, f, len, &whole);
}

/**
 * fz_read_back() - Read what the daemon sent, check every whole frame
 * @fd:		Guest's end of the socket
 */
static void fz_read_back(int fd)
{
	fz_stream_rx(&rx, fd, fz_check);
}

/**
 * fz_handle() - Run the daemon's handler for its socket
 * @events:	epoll events
 *
 * Return: true if the daemon closed the connection
 */
static bool fz_handle(uint32_t events)
{
	if (c.fd_tap < 0)
		return true;
	if (tap_backlogged())
		events |= EPOLLOUT;
	dispatch_passt_handler(&c, events, &now);
	return c.fd_tap < 0;
}

/**
 * fz_unlink() - Remove the daemon's socket file at exit
 */
static void fz_unlink(void)
{
	tap_sock_unlink(&c);
}

/**
 * LLVMFuzzerInitialize() - Namespaces, context, listening socket: once
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int stale;

	(void)argc;
	(void)argv;
	fz_setup(&c, MODE_PASST);

	/* The daemon's own listening socket, at a path of ours, where a
	 * dead instance left its socket file
	 */
	snprintf(c.sock_path, sizeof(c.sock_path), "/tmp/fuzz_stream_%i.socket",
		 getpid());
	listen_addr.sun_family = AF_UNIX;
	memcpy(listen_addr.sun_path, c.sock_path, sizeof(c.sock_path));
	stale = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (stale < 0 || bind(stale, (struct sockaddr *)&listen_addr,
			      sizeof(listen_addr)))
		fz_fail("can't leave a stale socket file behind");
	close(stale);
	tap_sock_init(&c);
	atexit(fz_unlink);
	fz_daemon_init(&c);
	fz_ready();
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - One guest connection
 * @data:	Input
 * @size:	Its size
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint16_t cuts[FZ_CUTS_MAX];
	uint8_t flags = fz_u8(&in);
	unsigned int n = fz_u8(&in) % (FZ_CUTS_MAX + 1), i;
	int guest, small = 4096;

	for (i = 0; i < n; i++)
		cuts[i] = fz_u16(&in);

	clock_gettime(CLOCK_MONOTONIC, &now);
	rx.len = 0;
	guest = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (guest < 0 || connect(guest, (struct sockaddr *)&listen_addr,
				 sizeof(listen_addr)))
		fz_fail("can't connect to the daemon: %s", strerror(errno));
	tap_listen_handler(&c, EPOLLIN);
	if (c.fd_tap < 0)
		fz_fail("the daemon didn't take the guest's connection");
	c.one_off = flags & FZ_F_ONE_OFF;
	if (flags & FZ_F_SECOND) {
		int second = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		char b;

		if (second < 0 ||
		    connect(second, (struct sockaddr *)&listen_addr,
			    sizeof(listen_addr)))
			fz_fail("second guest can't connect: %s",
				strerror(errno));
		tap_listen_handler(&c, EPOLLIN);
		if (recv(second, &b, 1, MSG_DONTWAIT))
			fz_fail("second guest not turned away");
		close(second);
	}
	if (flags & FZ_F_NOREAD) {
		/* Fill up soon: the backlog gets used */
		setsockopt(c.fd_tap, SOL_SOCKET, SO_SNDBUF, &small,
			   sizeof(small));
		setsockopt(guest, SOL_SOCKET, SO_RCVBUF, &small,
			   sizeof(small));
	}

	for (i = 0; i <= n && c.fd_tap >= 0; i++) {
		size_t len = i < n ? MIN(cuts[i], in.len) : in.len;

		while (len) {
			ssize_t w = send(guest, in.p, len, MSG_DONTWAIT |
							    MSG_NOSIGNAL);

			if (w <= 0) {
				/* The daemon must read before we go on */
				if (fz_handle(EPOLLIN))
					break;
				if (!(flags & FZ_F_NOREAD))
					fz_read_back(guest);
				continue;
			}
			fz_bytes(&in, NULL, (size_t)w);
			len -= (size_t)w;
		}
		if (fz_handle(EPOLLIN))
			break;
		if (!(flags & FZ_F_NOREAD))
			fz_read_back(guest);
	}

	/* The guest reads what's left, then goes away */
	for (i = 0; i < 64 && c.fd_tap >= 0 && tap_backlogged(); i++) {
		fz_read_back(guest);
		fz_handle(EPOLLOUT);
	}
	fz_read_back(guest);
	shutdown(guest, SHUT_WR);
	for (i = 0; i < 4 && !fz_handle(EPOLLIN | EPOLLRDHUP); i++)
		fz_read_back(guest);
	if (c.fd_tap >= 0)
		fz_fail("the daemon didn't see the guest go");
	fz_read_back(guest);
	close(guest);

	if (tcp_timer_pending() || tcp_tap_blocked())
		fz_fail("TCP timers or blocked connections without flows");
	fz_log_check();
	fz_fds_check();
	return 0;
}
