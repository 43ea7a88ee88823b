// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_frames.c - libFuzzer target: pasta's tap device, a sequence of frames
 *
 * The input is a sequence of records, each one frame the guest writes to
 * its tap device:
 *
 *	flags (1 byte)	bit 0: fix length fields and checksums first
 *			bit 1: the daemon reads what was written so far
 *			       before this frame (a new batch)
 *			bit 2: advance the clock by a second and run the
 *			       flow timers after this batch
 *			bit 3: with bit 1, the tap's interface is down while
 *			       the daemon answers that batch: what it writes
 *			       fails (EIO), as when the namespace takes the
 *			       interface down
 *	length (2 bytes, big-endian), frame (that many bytes, or what's left)
 *
 * Bits 4 to 6 of the first record's flags say whether the tap carries the
 * virtio-net header, and which offloads are on, as tap_vnet_init()
 * negotiates them on a real tap (fz_vnet_set()): 0, as with
 * --no-tap-offload; 1, the header but no offloads; 2, checksum; 3, and
 * TSO; 4 to 7, and USO, as pasta enables them on a recent kernel.
 * With the header, each record's bytes are the header (10 bytes) and the
 * frame, as the namespace's kernel writes them, or anything shorter: the
 * header comes from the input, whatever it says; fixing up (bit 0) is
 * done on the frame after it.
 *
 * The tap device is a datagram socket pair: the daemon's end reads one
 * frame per read() (tap_pasta_read()) and writes one per write(), the
 * other end is the guest. Frames go through dispatch_pasta_handler() as
 * when the tap is readable, so consecutive frames of one flow form runs;
 * with the interface down (bit 3), the daemon writes its answers to a
 * real tap device that is down (fz_tap_real()) instead.
 * Every frame the daemon sends back is checked (fz_vnet_frame(),
 * fz_frame_check()). Flows
 * don't outlive an input: they're closed after it, and no descriptor may
 * be left over.
 */

#include <errno.h>
#include <stdbool.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dispatch.h"
#include "flow.h"
#include "harness.h"
#include "icmp.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "udp.h"

#define FZ_F_FIX	0x01
#define FZ_F_BATCH	0x02
#define FZ_F_TIMER	0x04
#define FZ_F_DOWN	0x08

static struct ctx c;
static int guest_fd;		/* The guest's end of the tap */
static struct timespec now;

/**
 * fz_batch() - The daemon reads what the guest wrote, answers, we check
 * @down:	The tap's interface is down: the answers can't be written
 */
static void fz_batch(bool down)
{
	int fd = c.fd_tap;

	if (!down) {
		dispatch_pasta_handler(&c, EPOLLIN, &now);
	} else {
		/* As dispatch_pasta_handler() does, with another tap to
		 * write to once the frames were read
		 */
		const struct pool *frames = tap_pasta_read(&c);

		c.fd_tap = fz_tap_real();
		dispatch_frames(&c, frames, &now);
		tap_flush(&c);
		c.fd_tap = fd;
	}
	fz_tap_read_back(&c, guest_fd);
}

/**
 * LLVMFuzzerInitialize() - Namespaces, context, tap, log: once
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_setup(&c, MODE_PASTA);
	guest_fd = fz_pasta_tap(&c);
	tap_backend_init(&c);
	fz_daemon_init(&c);
	fz_ready();
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - One sequence of frames
 * @data:	Input
 * @size:	Its size
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[sizeof(struct virtio_net_hdr) + TAP_FRAME_MAX];
	struct fz_in in = { data, size };
	size_t hl;

	fz_vnet_set(&c, size ? (data[0] >> 4) & 7 : 0);
	hl = c.tap_vnet ? sizeof(struct virtio_net_hdr) : 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	while (in.len) {
		uint8_t flags = fz_u8(&in);
		size_t len = fz_bytes(&in, frame, fz_u16(&in));

		if (flags & FZ_F_BATCH) {
			fz_batch(flags & FZ_F_DOWN);
			if (flags & FZ_F_TIMER) {
				now.tv_sec++;
				flow_timer(&c, &now, true, true);
				fz_tap_read_back(&c, guest_fd);
			}
		}
		if (!len)
			continue;	/* A tap device has no empty reads */
		if ((flags & FZ_F_FIX) && len > hl)
			fz_frame_fix(frame + hl, len - hl);
		if (send(guest_fd, frame, len, MSG_DONTWAIT) < 0 &&
		    errno == EAGAIN) {
			fz_batch(false);
			send(guest_fd, frame, len, MSG_DONTWAIT);
		}
	}
	fz_batch(false);

	flow_close_all(&c);
	fz_tap_read_back(&c, guest_fd);
	if (tcp_timer_pending() || tcp_tap_blocked())
		fz_fail("TCP timers or blocked connections without flows");
	fz_log_check();
	fz_fds_check();
	return 0;
}
