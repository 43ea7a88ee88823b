// SPDX-License-Identifier: GPL-2.0-or-later
/* tap.c - The guest side: both transports and the output queue
 *
 * The bottom layer of the frame path: it moves Ethernet frames between us
 * and the guest, and knows nothing of what they carry.
 *
 * passt talks to qemu over a UNIX domain stream socket: each Ethernet frame
 * is preceded by its length, a 32-bit big-endian number. One read can carry
 * many frames and a frame can be split across reads, so the receive path
 * keeps a partial frame at the start of its buffer until the rest arrives.
 * A length that no Ethernet frame can have (shorter than an Ethernet
 * header, longer than a maximum IP packet plus header) means the stream is
 * out of sync or hostile: the connection is closed and logged, and passt
 * listens again, rather than guessing where the next frame starts.
 *
 * The listening socket's file is created by bind() under a umask that
 * leaves it 0600, so only its owner (and root) can connect; an existing
 * file at the path is replaced only if it's a socket of our user that
 * nobody listens on any more, never followed or removed otherwise.
 *
 * pasta reads a tap device in the namespace: every read is exactly one
 * frame, and many reads are done per wakeup. Unless --no-tap-offload is
 * given, the tap is opened with IFF_VNET_HDR: every frame, both ways, is
 * preceded by a virtio-net header (struct virtio_net_hdr, the 10-byte
 * kind: it puts the IP header of frames we read on a 4-byte boundary, and
 * its num_buffers field, in the 12-byte kind, means nothing on a tap).
 * That lets the namespace's kernel hand us TCP segments of up to 64 KiB
 * at any MTU, with the checksum left to do, and take the same from us
 * (see tap_vnet_init()): the cost per byte no longer depends on the MTU.
 * The header is stripped on reading (only a UDP segment size is kept, see
 * tap_vnet_seg()), and written from a per-frame copy on tap_flush(): all
 * zeroes for a plain, fully checksummed frame, or what the sender gave:
 * tcp.c with a frame queued by reference, frame.c with a copied frame of
 * UDP datagrams (see frame_udp_gso_send()).
 *
 * Either way, received frames are described by a packet pool (packet.c)
 * that tap_passt_read() and tap_pasta_read() return to dispatch.c, which
 * parses them and hands them to the protocols.
 *
 * Output is queued and flushed once per loop iteration: for passt, one
 * sendmsg() carries every queued frame with its length prefix. A stream
 * socket may take only part of that; the rest of a frame that was started
 * is kept and written first next time, so the framing never breaks, and
 * frames that can't be queued are dropped (and counted), never blocked on.
 * Frames are queued either by copy (tap_send_iov(), tap_send_frame()) or,
 * for bulk TCP data, by reference: tcp.c builds them in frame buffers it
 * takes from here (tap_frames_get()), which are all free again once the
 * queue has been flushed. This file owns those buffers.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "isolation.h"
#include "log.h"
#include "passt.h"
#include "pcap.h"
#include "tap.h"
#include "util.h"

struct tap_stats tap_stats;

/* Receive side: frames land here, the pool describes them */
static char tap_buf[TAP_BUF_BYTES];
PACKET_POOL_DECL(tap_pool, TAP_POOL_FRAMES, tap_buf, sizeof(tap_buf));
/* pasta, UDP segmentation offload: datagram size of each UDP frame */
static uint16_t tap_seg[TAP_POOL_FRAMES];
static size_t tap_seg_count;

/**
 * struct tap_rd - passt: state of the stream read by tap_passt_read()
 * @off:	Start of the data not yet made into frames, in tap_buf
 * @end:	End of the data received
 * @rounds:	recv() calls in this wakeup so far
 * @bad:	A length that can't be was found at @off
 */
static struct tap_rd {
	size_t off;
	size_t end;
	int rounds;
	bool bad;
} tap_rd;

/* Frame buffers queued by reference: all free again after a flush */
static struct tap_frame tap_frames[TAP_FRAMES];
static unsigned int tap_frames_used;

/* Output side: queued frames, each with room for the 4-byte length */
static char tap_out[TAP_OUT_BYTES];
static size_t tap_out_used;
static struct iovec tap_out_iov[TAP_OUT_FRAMES * 2];
static uint32_t tap_out_len[TAP_OUT_FRAMES];
static size_t tap_out_frames;
/* pasta with IFF_VNET_HDR: the header written in front of each frame */
static struct virtio_net_hdr tap_out_vnet[TAP_OUT_FRAMES];

/* passt: bytes the socket didn't take yet, whole frames (but the first,
 * which may have been started), with their length prefixes
 */
static char tap_backlog[TAP_BACKLOG_BYTES];
static size_t tap_backlog_len;

/**
 * tap_sock_unlink() - Remove passt's socket file, if we created one
 * @c:		Execution context
 *
 * syscalls(passt): unlinkat
 */
void tap_sock_unlink(const struct ctx *c)
{
	if (c->mode != MODE_PASST || c->fd_tap_given || !*c->sock_path)
		return;
	/* Once recorded, through its directory: we may have no root */
	if (c->sock_own.kept)
		isolate_file_remove(&c->sock_own);
	else
		unlinkat(AT_FDCWD, c->sock_path, 0);
}

/**
 * tap_sock_bind() - Bind a UNIX socket, the file only for us to connect to
 * @fd:		Socket
 * @addr:	Address, with the path
 *
 * bind() creates the file atomically, failing if the name exists in any
 * form (a symbolic link isn't followed), and with the mode the umask
 * leaves of 0777: ours makes it 0600 whatever the caller's umask was.
 *
 * Return: 0 on success, -1 on failure with errno set
 */
static int tap_sock_bind(int fd, const struct sockaddr_un *addr)
{
	mode_t mask = umask(S_IRWXG | S_IRWXO | S_IXUSR);
	int rc, e;

	rc = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
	e = errno;
	umask(mask);
	errno = e;
	return rc;
}

/**
 * tap_sock_stale() - Is the file at a socket path a leftover of ours?
 * @addr:	Address, with the path
 * @why:	Buffer for the reason why it isn't
 * @len:	Size of @why
 *
 * Only a socket file that belongs to our effective user and that nobody
 * listens on can be removed to make room: anything else (a symbolic link,
 * a regular file, another user's socket, a live instance) stays as it is.
 *
 * Return: true if it can be replaced, false with the reason in @why
 */
static bool tap_sock_stale(const struct sockaddr_un *addr, char *why,
			   size_t len)
{
	struct stat st;
	int probe;

	if (lstat(addr->sun_path, &st)) {
		snprintf(why, len, "%s", errno == ENOENT ?
			 "it disappeared while we looked" : strerror(errno));
		return false;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(why, len, "it is a symbolic link");
		return false;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(why, len, "it exists and is not a socket");
		return false;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, len, "it is a socket of uid %u, not ours",
			 (unsigned int)st.st_uid);
		return false;
	}

	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		die_perror("Can't create UNIX socket");
	if (connect(probe, (const struct sockaddr *)addr, sizeof(*addr)) == 0 ||
	    errno != ECONNREFUSED) {
		close(probe);
		snprintf(why, len, "it is in use by another instance");
		return false;
	}
	close(probe);
	return true;
}

/**
 * tap_sock_try_path() - Bind a UNIX socket to a path, if it's free or stale
 * @fd:		Socket
 * @path:	Path
 * @explicit:	Path given by the user: report problems as fatal
 *
 * Return: 0 if bound, -1 if the path is taken (or can't be used)
 */
static int tap_sock_try_path(int fd, const char *path, bool explicit)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char why[80];

	strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);

	if (!tap_sock_bind(fd, &addr))
		return 0;
	if (errno != EADDRINUSE) {
		if (explicit)
			die_perror("Can't bind UNIX socket %s", path);
		return -1;
	}

	if (!tap_sock_stale(&addr, why, sizeof(why))) {
		if (explicit)
			die("Can't use socket path %s: %s", path, why);
		debug("Socket path %s skipped: %s", path, why);
		return -1;
	}

	unlink(path);
	if (!tap_sock_bind(fd, &addr))
		return 0;
	if (explicit)
		die_perror("Can't bind UNIX socket %s", path);
	return -1;
}

/**
 * tap_sock_init() - passt: create the listening socket, or take --fd
 * @c:		Execution context
 */
void tap_sock_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_LISTEN };
	int fd, i;

	if (c->fd_tap_given) {
		ref.type = EPOLL_TYPE_TAP_PASST;
		ref.fd = c->fd_tap;
		fd_set_nonblock(c->fd_tap);
		if (epoll_add(c, EPOLLIN | EPOLLRDHUP, ref))
			die("Can't watch the descriptor given with --fd");
		info("Using connected socket on descriptor %i", c->fd_tap);
		return;
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_perror("Can't create UNIX socket");

	if (*c->sock_path) {
		tap_sock_try_path(fd, c->sock_path, true);
	} else {
		for (i = 1; i < UNIX_SOCK_MAX; i++) {
			snprintf(c->sock_path, sizeof(c->sock_path),
				 "/tmp/passt_%i.socket", i);
			if (!tap_sock_try_path(fd, c->sock_path, false))
				break;
		}
		if (i == UNIX_SOCK_MAX) {
			*c->sock_path = '\0';
			die("No free socket path in /tmp/passt_1.socket to "
			    "/tmp/passt_%i.socket", UNIX_SOCK_MAX - 1);
		}
	}

	if (listen(fd, 1) < 0) {
		tap_sock_unlink(c);
		die_perror("Can't listen on UNIX socket %s", c->sock_path);
	}

	c->fd_tap_listen = fd;
	ref.fd = fd;
	epoll_add(c, EPOLLIN, ref);

	info("UNIX domain socket bound at %s", c->sock_path);
	info("You can now start qemu (>= 7.2, with commit 13c6be96618c):");
	info("    kvm ... -device virtio-net-pci,netdev=s "
	     "-netdev stream,id=s,server=off,addr.type=unix,addr.path=%s",
	     c->sock_path);
	info("or qrap, for earlier qemu versions:");
	info("    ./qrap 5 kvm ... -net socket,fd=5 -net nic,model=virtio");
}

/**
 * tap_passt_reset() - Forget the state of a guest connection
 */
static void tap_passt_reset(void)
{
	memset(&tap_rd, 0, sizeof(tap_rd));
	tap_frames_used = 0;
	tap_backlog_len = 0;
	tap_out_used = 0;
	tap_out_frames = 0;
	pool_flush(&tap_pool);
}

/**
 * tap_listen_handler() - passt: a guest connects
 * @c:		Execution context
 * @events:	epoll events
 *
 * syscalls(passt): getsockopt close
 */
void tap_listen_handler(struct ctx *c, uint32_t events)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_PASST };
	struct ucred cred;
	socklen_t sl = sizeof(cred);
	int fd;

	(void)events;

	fd = sock_accept(c->fd_tap_listen, NULL, NULL);
	if (fd < 0)
		return;

	if (c->fd_tap >= 0) {
		/* One guest at a time: tell the newcomer by closing */
		warn_ratelimit("Another guest is already connected, "
			       "refusing a new one");
		close(fd);
		return;
	}

	if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl))
		info("Guest connected (pid %i, uid %u)", cred.pid, cred.uid);
	else
		info("Guest connected");

	tap_passt_reset();
	c->fd_tap = fd;
	ref.fd = fd;
	epoll_add(c, EPOLLIN | EPOLLRDHUP, ref);
}

/**
 * tap_passt_close() - passt: the guest is gone, listen again or quit
 * @c:		Execution context
 *
 * Return: true if we must exit now (--one-off or --fd): the caller does
 *
 * syscalls(passt): close
 */
bool tap_passt_close(struct ctx *c)
{
	epoll_del(c, c->fd_tap);
	close(c->fd_tap);
	c->fd_tap = -1;
	tap_passt_reset();

	if (c->one_off || c->fd_tap_given) {
		info("Guest disconnected, exiting (%s)",
		     c->fd_tap_given ? "--fd" : "--one-off");
		return true;
	}
	info("Guest disconnected, waiting for a new connection");
	return false;
}

/**
 * tap_stream_parse() - Split qemu stream data into frames
 * @frames:	Pool to add complete frames to
 * @buf:	Data: length-prefixed frames, possibly ending with a partial one
 * @len:	Bytes of data
 * @consumed:	Set to the bytes taken by complete frames (or up to the
 *		first frame the pool had no room for)
 *
 * Return: 0 on success, -1 if a length is impossible (stream out of sync)
 */
int tap_stream_parse(struct pool *frames, char *buf, size_t len,
		     size_t *consumed)
{
	size_t off = 0;

	while (len - off >= sizeof(uint32_t)) {
		uint32_t flen;

		memcpy(&flen, buf + off, sizeof(flen));
		flen = ntohl(flen);

		if (flen < TAP_FRAME_MIN || flen > TAP_FRAME_MAX) {
			*consumed = off;
			return -1;
		}
		if (len - off - sizeof(uint32_t) < flen)
			break;			/* Rest arrives later */
		if (pool_full(frames))
			break;

		packet_add(frames, flen, buf + off + sizeof(uint32_t));
		off += sizeof(uint32_t) + flen;
	}

	*consumed = off;
	return 0;
}

/**
 * tap_passt_read() - passt: the next frames from the guest's socket
 * @c:		Execution context
 * @gone:	Set if the connection is lost (end of file, error, or a
 *		stream out of sync): the caller closes it
 *
 * Frames already received come first; then we read more, up to
 * TAP_READ_ROUNDS times in one wakeup (epoll is level-triggered: if data
 * is left, we're called again). A frame cut by the end of what we read
 * stays at the start of the buffer until its rest arrives.
 *
 * Return: pool of frames, valid until the next call, NULL if none is left
 *	   for now
 *
 * syscalls(passt): recvfrom
 */
const struct pool *tap_passt_read(struct ctx *c, bool *gone)
{
	pool_flush(&tap_pool);
	tap_seg_count = 0;

	for (;;) {
		size_t consumed = 0;
		ssize_t n;

		if (!tap_rd.bad &&
		    tap_stream_parse(&tap_pool, tap_buf + tap_rd.off,
				     tap_rd.end - tap_rd.off, &consumed)) {
			uint32_t bad;

			memcpy(&bad, tap_buf + tap_rd.off + consumed,
			       sizeof(bad));
			err_ratelimit("Impossible frame length %u from guest, "
				      "closing the connection", ntohl(bad));
			tap_rd.bad = true;
		}
		tap_rd.off += consumed;
		if (tap_pool.count)
			return &tap_pool;	/* Frames before a bad length too */
		if (tap_rd.bad)
			break;

		/* What's left is a partial frame, if anything */
		tap_rd.end -= tap_rd.off;
		memmove(tap_buf, tap_buf + tap_rd.off, tap_rd.end);
		tap_rd.off = 0;

		if (tap_rd.rounds++ >= TAP_READ_ROUNDS) {
			tap_rd.rounds = 0;
			return NULL;
		}

		n = recv(c->fd_tap, tap_buf + tap_rd.end,
			 sizeof(tap_buf) - tap_rd.end, MSG_DONTWAIT);
		if (n > 0) {
			tap_rd.end += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			tap_rd.rounds = 0;
			return NULL;
		}
		if (n < 0)
			warn_ratelimit("Guest socket read error: %s",
				       strerror(errno));
		break;
	}

	*gone = true;
	return NULL;
}

/**
 * tap_vnet_init() - pasta: size the virtio-net header, enable offloads
 * @c:		Execution context, with the tap open: @tap_vnet set if its
 *		frames carry the header
 *
 * The richest set of offloads the kernel takes wins: TUNSETOFFLOAD fails
 * with EINVAL on a flag the running kernel doesn't know, so we try the
 * next set, down to none. With --no-tap-offload=LIST, a set holding one
 * of the flags in LIST is skipped as if the kernel had refused it. With
 * offloads off, the header stays (a descriptor given with --fd may carry
 * it), all zeroes on output.
 *
 * Return: 0 on success, -1 on failure
 */
int tap_vnet_init(struct ctx *c)
{
	static const unsigned int sets[] = {
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6,
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
		TUN_F_CSUM,
		0,
	};
	int hlen = (int)sizeof(struct virtio_net_hdr);
	unsigned int i;

	c->tap_offloads = 0;
	if (!c->tap_vnet)
		return 0;

	if (ioctl(c->fd_tap, TUNSETVNETHDRSZ, &hlen) < 0) {
		err_perror("Can't set the virtio-net header size of the tap");
		return -1;
	}

	for (i = 0; i < ARRAY_SIZE(sets); i++) {
		unsigned int f = c->no_tap_offload ? 0 : sets[i];

		if (f & c->tap_offload_refuse) {
			debug("Tap offloads 0x%x: refused (--no-tap-offload)",
			      f);
			continue;
		}
		if (!ioctl(c->fd_tap, TUNSETOFFLOAD, (unsigned long)f)) {
			c->tap_offloads = f;
			info("Tap offloads:%s%s%s%s%s",
			     f & TUN_F_CSUM ? " checksum" : "",
			     f & TUN_F_TSO4 ? " TSO4" : "",
			     f & TUN_F_TSO6 ? " TSO6" : "",
			     f & TUN_F_USO4 ? " USO" : "", f ? "" : " none");
			return 0;
		}
		if (errno != EINVAL) {
			err_perror("Can't set tap offloads 0x%x", f);
			return -1;
		}
		debug("Tap offloads 0x%x: refused by the kernel", f);
	}

	err("The kernel refuses even tap offloads 0");
	return -1;
}

/**
 * tap_vnet_seg() - Datagram size of a UDP frame the kernel left us to split
 * @c:		Execution context
 * @vh:		Its virtio-net header, as received
 *
 * Only the segment size of a header for UDP segmentation (USO), if we
 * enabled it, is used. Nothing else in the header matters to us: received
 * checksums aren't verified (whether complete or left partial), and a TCP
 * segment of any size is taken whole. The rest of the frame is checked as
 * usual: a header that doesn't fit what follows it can't do harm.
 *
 * Return: datagram size, 0 if the frame is one datagram (or isn't UDP)
 */
static uint16_t tap_vnet_seg(const struct ctx *c,
			     const struct virtio_net_hdr *vh)
{
	if (!(c->tap_offloads & (TUN_F_USO4 | TUN_F_USO6)))
		return 0;
	if ((vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) !=
	    VIRTIO_NET_HDR_GSO_UDP_L4)
		return 0;
	return vh->gso_size;
}

/**
 * tap_udp_seg() - Size of the datagrams a UDP frame from the tap stands for
 * @p:		Pool of frames, from tap_pasta_read() or elsewhere
 * @idx:	Index of the frame
 *
 * Return: datagram size to split the frame's payload at (see
 *	   tap_vnet_seg()), 0 if it's one datagram
 */
uint16_t tap_udp_seg(const struct pool *p, size_t idx)
{
	if (p != &tap_pool || idx >= tap_seg_count)
		return 0;
	return tap_seg[idx];
}

/**
 * tap_pasta_read() - pasta: frames waiting on the tap device
 * @c:		Execution context
 *
 * Return: pool of frames, valid until the next call
 *
 * syscalls(pasta): read
 */
const struct pool *tap_pasta_read(struct ctx *c)
{
	size_t hlen = c->tap_vnet ? sizeof(struct virtio_net_hdr) : 0;
	size_t used = 0;

	pool_flush(&tap_pool);
	tap_seg_count = 0;
	while (sizeof(tap_buf) - used >= TAP_FRAME_MAX + hlen &&
	       !pool_full(&tap_pool)) {
		ssize_t n = read(c->fd_tap, tap_buf + used,
				 TAP_FRAME_MAX + hlen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				warn_ratelimit("Tap read error: %s",
					       strerror(errno));
			break;
		}
		if (n == 0)
			die("Tap device closed, exiting");
		if ((size_t)n < hlen + TAP_FRAME_MIN) {
			tap_stats.dropped_in++;
			continue;
		}
		if (hlen) {
			struct virtio_net_hdr vh;

			memcpy(&vh, tap_buf + used, sizeof(vh));
			tap_seg[tap_pool.count] = tap_vnet_seg(c, &vh);
			tap_seg_count = tap_pool.count + 1;
		}
		packet_add(&tap_pool, (size_t)n - hlen, tap_buf + used + hlen);
		used += ROUND_UP((size_t)n, 8);
	}

	return &tap_pool;
}

/**
 * tap_out_vnet_set() - Set the virtio-net header of a queued frame
 * @i:		Index of the frame in the output queue
 * @vh:		Header, NULL for a plain frame (all zeroes)
 */
static void tap_out_vnet_set(size_t i, const struct virtio_net_hdr *vh)
{
	if (vh)
		tap_out_vnet[i] = *vh;
	else
		memset(&tap_out_vnet[i], 0, sizeof(tap_out_vnet[i]));
}

/**
 * tap_send_iov() - Queue one frame, given in pieces, for the guest
 * @c:		Execution context
 * @iov:	Pieces of the frame, starting with the Ethernet header
 * @cnt:	Number of pieces
 * @vh:		virtio-net header for pasta's tap (segmentation, checksum),
 *		NULL for a plain frame; ignored unless the tap carries it
 *
 * The frame is copied to the output queue, so the caller's buffers can be
 * reused at once. The queue is flushed at the end of the loop iteration,
 * or right now if it is full.
 */
void tap_send_iov(struct ctx *c, const struct iovec *iov, size_t cnt,
		  const struct virtio_net_hdr *vh)
{
	size_t len = 0, i;
	char *dst;

	for (i = 0; i < cnt; i++)
		len += iov[i].iov_len;

	if (len < TAP_FRAME_MIN || len > TAP_FRAME_MAX) {
		tap_stats.dropped_out++;
		return;
	}
	if (c->fd_tap < 0)
		return;

	if (tap_out_frames >= TAP_OUT_FRAMES ||
	    sizeof(tap_out) - tap_out_used < len)
		tap_flush(c);
	if (tap_out_frames >= TAP_OUT_FRAMES ||
	    sizeof(tap_out) - tap_out_used < len) {
		tap_stats.dropped_out++;
		return;
	}

	dst = tap_out + tap_out_used;
	for (i = 0; i < cnt; i++) {
		memcpy(dst, iov[i].iov_base, iov[i].iov_len);
		dst += iov[i].iov_len;
	}

	tap_out_len[tap_out_frames] = htonl((uint32_t)len);
	tap_out_iov[tap_out_frames * 2].iov_base = &tap_out_len[tap_out_frames];
	tap_out_iov[tap_out_frames * 2].iov_len = sizeof(uint32_t);
	tap_out_iov[tap_out_frames * 2 + 1].iov_base = tap_out + tap_out_used;
	tap_out_iov[tap_out_frames * 2 + 1].iov_len = len;
	tap_out_vnet_set(tap_out_frames, vh);
	tap_out_frames++;
	tap_out_used += ROUND_UP(len, 8);
}

/**
 * tap_send_frame_ref() - Queue a frame without copying it
 * @c:		Execution context
 * @frame:	Frame, starting with the Ethernet header, in a buffer from
 *		tap_frames_get(): it must stay unchanged until it's sent
 * @len:	Length of the frame
 * @vh:		virtio-net header for pasta's tap (segmentation, checksum),
 *		NULL for a plain frame; ignored unless the tap carries it
 *
 * Return: true if queued, false if dropped
 */
bool tap_send_frame_ref(struct ctx *c, const void *frame, size_t len,
			const struct virtio_net_hdr *vh)
{
	if (len < TAP_FRAME_MIN || len > TAP_FRAME_MAX || c->fd_tap < 0) {
		tap_stats.dropped_out++;
		return false;
	}
	if (tap_out_frames >= TAP_OUT_FRAMES)
		tap_flush(c);

	tap_out_len[tap_out_frames] = htonl((uint32_t)len);
	tap_out_iov[tap_out_frames * 2].iov_base = &tap_out_len[tap_out_frames];
	tap_out_iov[tap_out_frames * 2].iov_len = sizeof(uint32_t);
	tap_out_iov[tap_out_frames * 2 + 1].iov_base = (void *)(uintptr_t)frame;
	tap_out_iov[tap_out_frames * 2 + 1].iov_len = len;
	tap_out_vnet_set(tap_out_frames, vh);
	tap_out_frames++;
	return true;
}

/**
 * tap_frames_get() - Frame buffers to build frames in, queued by reference
 * @c:		Execution context
 * @n:		Number of buffers, at most TAP_FRAMES
 *
 * If fewer than @n buffers are free, or the queue has room for fewer than
 * @n more frames, the queue is flushed first, which frees all buffers: so
 * queueing the @n frames with tap_send_frame_ref() can't flush the queue
 * (and free buffers still being filled) halfway. Buffers taken and not
 * queued are given back with tap_frames_put(), before anything else is
 * queued.
 *
 * Return: the first of @n consecutive buffers
 */
struct tap_frame *tap_frames_get(struct ctx *c, unsigned int n)
{
	struct tap_frame *f;

	if (TAP_FRAMES - tap_frames_used < n ||
	    TAP_OUT_FRAMES - tap_out_frames < n)
		tap_flush(c);
	f = &tap_frames[tap_frames_used];
	tap_frames_used += n;
	return f;
}

/**
 * tap_frames_put() - Give back the last buffers taken, unused
 * @n:		Number of buffers
 */
void tap_frames_put(unsigned int n)
{
	tap_frames_used -= n;
}

/**
 * tap_send_frame() - Queue one frame for the guest
 * @c:		Execution context
 * @frame:	Frame, starting with the Ethernet header
 * @len:	Length of the frame
 */
void tap_send_frame(struct ctx *c, const void *frame, size_t len)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)frame,
			     .iov_len = len };

	tap_send_iov(c, &iov, 1, NULL);
}

/**
 * tap_set_epollout() - Ask for (or stop asking for) writability of the tap
 * @c:		Execution context
 * @on:		Whether to watch for EPOLLOUT
 *
 * syscalls: epoll_ctl
 */
static void tap_set_epollout(const struct ctx *c, bool on)
{
	union epoll_ref ref = { .fd = c->fd_tap };
	struct epoll_event ev;

	ref.type = c->mode == MODE_PASST ? EPOLL_TYPE_TAP_PASST :
					   EPOLL_TYPE_TAP_PASTA;
	ev.events = EPOLLIN | (on ? EPOLLOUT : 0) |
		    (c->mode == MODE_PASST ? EPOLLRDHUP : 0);
	ev.data.u64 = ref.u64;
	epoll_ctl(c->epollfd, EPOLL_CTL_MOD, c->fd_tap, &ev);
}

/**
 * tap_backlogged() - Is output to the guest waiting for the socket?
 *
 * Return: true while the backlog isn't empty: producers of bulk data
 *	   (TCP) hold back until tap_flush() drains it
 */
bool tap_backlogged(void)
{
	return tap_backlog_len > 0;
}

/**
 * tap_backlog_add() - Keep queued output the socket didn't take
 * @from:	Index in tap_out_iov of the first piece not (fully) written
 * @skip:	Bytes of that piece already written
 *
 * A frame that was started must be completed, so its rest always goes in;
 * whole frames after it go in while there's room, and are dropped (and
 * counted) after that.
 */
static void tap_backlog_add(size_t from, size_t skip)
{
	size_t i = from, end = tap_out_frames * 2;

	/* Finish the frame that was started, if any */
	if (skip || i % 2) {
		size_t last = i | 1;	/* Its data piece */

		for (; i <= last; i++) {
			const struct iovec *v = &tap_out_iov[i];
			size_t l = v->iov_len - skip;

			memcpy(tap_backlog + tap_backlog_len,
			       (const char *)v->iov_base + skip, l);
			tap_backlog_len += l;
			skip = 0;
		}
		tap_stats.frames_out++;
	}

	for (; i < end; i += 2) {
		size_t l = tap_out_iov[i].iov_len + tap_out_iov[i + 1].iov_len;

		if (sizeof(tap_backlog) - tap_backlog_len < l) {
			tap_stats.dropped_out += (end - i) / 2;
			return;
		}
		memcpy(tap_backlog + tap_backlog_len, tap_out_iov[i].iov_base,
		       tap_out_iov[i].iov_len);
		memcpy(tap_backlog + tap_backlog_len + tap_out_iov[i].iov_len,
		       tap_out_iov[i + 1].iov_base, tap_out_iov[i + 1].iov_len);
		tap_backlog_len += l;
		tap_stats.frames_out++;
	}
}

/**
 * tap_flush_passt() - passt: write the backlog and queued frames
 * @c:		Execution context
 *
 * What the socket doesn't take is kept in the backlog and written first
 * next time (we're woken up by EPOLLOUT): the framing never breaks, and
 * nothing is lost unless the backlog itself overflows.
 *
 * syscalls(passt): sendto sendmsg
 */
static void tap_flush_passt(struct ctx *c)
{
	size_t start = 0;
	ssize_t n;

	if (tap_backlog_len) {
		n = send(c->fd_tap, tap_backlog, tap_backlog_len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			tap_backlog_len -= (size_t)n;
			memmove(tap_backlog, tap_backlog + n, tap_backlog_len);
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			   errno != EINTR) {
			debug_perror("Guest socket write error");
		}
		if (tap_backlog_len) {
			tap_backlog_add(0, 0);
			tap_set_epollout(c, true);
			return;
		}
	}

	while (start < tap_out_frames) {
		size_t cnt = MIN(tap_out_frames - start, (size_t)512), i, total;
		struct msghdr mh = { 0 };

		mh.msg_iov = &tap_out_iov[start * 2];
		mh.msg_iovlen = cnt * 2;
		for (i = 0, total = 0; i < cnt * 2; i++)
			total += mh.msg_iov[i].iov_len;

		n = sendmsg(c->fd_tap, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				debug_perror("Guest socket write error");
				tap_stats.dropped_out += tap_out_frames - start;
				return;
			}
			n = 0;
		}

		if ((size_t)n == total) {
			tap_stats.frames_out += cnt;
			start += cnt;
			continue;
		}

		/* Partly written: find where it stopped, keep the rest */
		for (i = start * 2; (size_t)n >= tap_out_iov[i].iov_len; i++) {
			n -= (ssize_t)tap_out_iov[i].iov_len;
			if (i % 2)
				tap_stats.frames_out++;
		}
		tap_backlog_add(i, (size_t)n);
		tap_set_epollout(c, true);
		return;
	}

	tap_set_epollout(c, false);
}

/**
 * tap_flush() - Send every queued frame to the guest
 * @c:		Execution context
 *
 * A segment the guest's kernel is to split (pasta, with offloads) is
 * captured as it is written, one frame, its checksum possibly partial.
 *
 * syscalls(pasta): write writev
 */
void tap_flush(struct ctx *c)
{
	size_t i;

	if (!tap_out_frames && !tap_backlog_len)
		return;

	if (c->fd_tap < 0)
		goto out;

	for (i = 0; i < tap_out_frames; i++)
		pcap_frame(tap_out_iov[i * 2 + 1].iov_base,
			   tap_out_iov[i * 2 + 1].iov_len);

	if (c->mode == MODE_PASST) {
		tap_flush_passt(c);
		goto out;
	}

	for (i = 0; i < tap_out_frames; i++) {
		const struct iovec *iov = &tap_out_iov[i * 2 + 1];
		struct iovec v[2] = {
			{ &tap_out_vnet[i], sizeof(tap_out_vnet[i]) }, *iov,
		};
		ssize_t n;

		if (c->tap_vnet)
			n = writev(c->fd_tap, v, 2);
		else
			n = write(c->fd_tap, iov->iov_base, iov->iov_len);
		if (n < 0) {
			tap_stats.dropped_out++;
			debug_ratelimit("Tap write error: %s", strerror(errno));
		} else {
			tap_stats.frames_out++;
		}
	}

out:
	tap_out_frames = 0;
	tap_out_used = 0;
	tap_frames_used = 0;
}

/**
 * tap_backend_init() - pasta: register the tap device with the loop
 * @c:		Execution context
 */
void tap_backend_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_TAP_PASTA,
				.fd = c->fd_tap };

	fd_set_nonblock(c->fd_tap);
	if (epoll_add(c, EPOLLIN, ref))
		die("Can't watch the tap device");
}
