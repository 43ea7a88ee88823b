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
 *			bit 3: at the end, the guest closes its end at once,
 *			       without reading what's on the way to it,
 *			       before the daemon read the last piece: its
 *			       answers to that meet a closed socket
 *	cuts (1 byte)	n, at most 15: the stream is written in n + 1
 *			pieces
 *	n sizes		2 bytes each, big-endian: the first n pieces
 *	stream		the rest: 4-byte big-endian lengths and frames
 *
 * Each input is one guest connection: it connects to the daemon's listening
 * socket (made by tap_sock_init() at start, in a /tmp of the fuzzer's own,
 * after the daemon took and gave back a socket passed as with --fd, and
 * skipped the paths it must not take; see fz_sock_setup()),
 * tap_listen_handler() accepts it, then each piece is written and
 * dispatch_passt_handler() runs as when the socket is readable (and
 * writable, when the daemon waits for that), through the real reassembly
 * (tap_passt_read()) and on into the handlers; at the end the guest closes
 * its end, and the daemon must see it gone and close its flows.
 *
 * The fuzzer runs in a mount namespace of its own with an empty /tmp: give
 * it corpus and output directories elsewhere (run.sh uses test/fuzz/).
 *
 * What the daemon sends back is split into frames by the harness, with
 * its own parser, and every frame is checked (fz_frame_check()): the
 * framing must never break, even when the socket took only part of a
 * frame.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dispatch.h"
#include "flow.h"
#include "harness.h"
#include "icmp.h"
#include "isolation.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"
#include "util.h"

#define FZ_F_NOREAD	0x01
#define FZ_F_ONE_OFF	0x02
#define FZ_F_SECOND	0x04
#define FZ_F_ABORT	0x08
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

	fz_frame_check(&c, f, len, 0, &whole);
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
 * fz_private_tmp() - A /tmp of our own, in a mount namespace of our own
 *
 * The daemon picks its socket path in /tmp: the machine's stays untouched,
 * and nothing is left there if the fuzzer is killed.
 */
static void fz_private_tmp(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"))
		fz_fail("private /tmp: %s", strerror(errno));
}

/**
 * fz_listener() - A socket listening at a path, or a stale socket file
 * @path:	Path
 * @live:	Keep it listening, not closed (a dead instance's file)
 *
 * Return: the socket if @live, -1 otherwise
 */
static int fz_listener(const char *path, bool live)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    (live && listen(s, 1)))
		fz_fail("socket at %s: %s", path, strerror(errno));
	if (live)
		return s;
	close(s);
	return -1;
}

/**
 * fz_sock_setup() - The daemon's socket, through the paths a user can take
 *
 * First --fd: a connected socket given to the daemon, then taken back.
 * Then no path given: the daemon must skip /tmp/passt_1.socket (a
 * symbolic link), _2 (a regular file), _3 (another instance's, live) and
 * take _4, a socket file a dead instance left behind.
 */
static void fz_sock_setup(void)
{
	int sp[2], live, f;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp))
		fz_fail("socketpair: %s", strerror(errno));
	c.fd_tap = sp[0];
	c.fd_tap_given = true;
	tap_sock_init(&c);
	epoll_ctl(c.epollfd, EPOLL_CTL_DEL, c.fd_tap, NULL);
	tap_sock_unlink(&c);		/* Nothing of ours to remove */
	close(sp[0]);
	close(sp[1]);
	c.fd_tap = -1;
	c.fd_tap_given = false;

	fz_private_tmp();
	if (symlink("/nonexistent", "/tmp/passt_1.socket"))
		fz_fail("symlink: %s", strerror(errno));
	f = open("/tmp/passt_2.socket", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (f < 0)
		fz_fail("regular file: %s", strerror(errno));
	close(f);
	live = fz_listener("/tmp/passt_3.socket", true);
	fz_listener("/tmp/passt_4.socket", false);

	*c.sock_path = '\0';
	tap_sock_init(&c);
	if (strcmp(c.sock_path, "/tmp/passt_4.socket"))
		fz_fail("socket path %s, not the stale one", c.sock_path);
	isolate_file_keep(&c.sock_own, c.sock_path, -1);
	close(live);
	listen_addr.sun_family = AF_UNIX;
	memcpy(listen_addr.sun_path, c.sock_path, sizeof(c.sock_path));
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
	(void)argc;
	(void)argv;
	fz_setup(&c, MODE_PASST);
	fz_sock_setup();
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
		if (i == n && (flags & FZ_F_ABORT))
			break;		/* Gone before the daemon reads it */
		if (fz_handle(EPOLLIN))
			break;
		if (!(flags & FZ_F_NOREAD))
			fz_read_back(guest);
	}

	if (flags & FZ_F_ABORT) {
		/* The guest goes at once: the daemon's writes fail */
		close(guest);
		for (i = 0; i < 4 && !fz_handle(EPOLLIN | EPOLLOUT |
						 EPOLLRDHUP | EPOLLHUP); i++)
			;
		if (c.fd_tap >= 0)
			fz_fail("the daemon didn't see the guest go");
	} else {
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
	}
	if (tap_backlogged())
		fz_fail("backlog left over after the guest went");

	if (tcp_timer_pending() || tcp_tap_blocked())
		fz_fail("TCP timers or blocked connections without flows");
	fz_log_check();
	fz_fds_check();
	return 0;
}
