// SPDX-License-Identifier: GPL-2.0-or-later
/* broker.c - pasta: sockets in the namespace, without joining it again
 *
 * pasta needs new sockets in the target network namespace as long as it
 * runs: the pool of the loopback fast path (tcp_splice.c), sockets for
 * spliced UDP flows, listeners for ports the automatic scan finds. A
 * socket belongs to the namespace of the process that created it, whoever
 * uses it afterwards, so the one thing that must happen in the namespace
 * is socket(2) itself.
 *
 * Joining the namespace again for that (setns()) would need CAP_SYS_ADMIN
 * over it for the daemon's whole life. Instead, before the daemon drops
 * its privileges, it forks the broker: a process that joins the target
 * namespaces once, gives up everything it can (isolate_broker(): the
 * daemon's own sandbox), and then does one thing: for each request on a
 * SOCK_SEQPACKET socket pair (family, type, protocol), it creates a socket
 * and passes it back with SCM_RIGHTS, or the error number. Binding,
 * connecting and options are done by the daemon on the socket it
 * receives: they act on the socket's own namespace.
 *
 * The broker ends when the daemon does: end of file on the pair, and
 * PR_SET_PDEATHSIG for the case the daemon is killed.
 *
 * Until the broker is started, sock_open() with the namespace selected is
 * only valid in an ns_call() helper, which is already in the namespace:
 * see ns_run().
 */

#include <errno.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "broker.h"
#include "isolation.h"
#include "log.h"
#include "netlink.h"
#include "passt.h"
#include "seccomp.h"
#include "util.h"

/* Socket requests sent ahead of their answers, see nsb_sockets() */
#define NSB_BATCH	8

/* Room for a netlink request relayed to the namespace */
#define NSB_NL_MAX	512

/**
 * enum nsb_op - What the daemon asks the broker for
 * @NSB_SOCKET:		A socket
 * @NSB_NETLINK:	A netlink change, to the tap interface only
 */
enum nsb_op {
	NSB_SOCKET,
	NSB_NETLINK,
};

/**
 * struct nsb_req - A socket to open in the namespace, or a netlink request
 * @op:		enum nsb_op
 * @af:		Address family
 * @type:	Socket type, with SOCK_NONBLOCK and SOCK_CLOEXEC if wanted
 * @proto:	Protocol
 * @nl:		NSB_NETLINK: the request, nlmsg_len bytes of it
 */
struct nsb_req {
	int op;
	int af;
	int type;
	int proto;
	char nl[NSB_NL_MAX] __attribute__((aligned(4)));
};

static int nsb_fd = -1;		/* Our end of the pair, -1: no broker */

/**
 * nsb_req_valid() - Is it a socket the daemon may ask for?
 * @req:	Request
 *
 * Return: true for TCP and UDP sockets, IPv4 or IPv6
 */
static bool nsb_req_valid(const struct nsb_req *req)
{
	int type = req->type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (req->af != AF_INET && req->af != AF_INET6)
		return false;
	if (type == SOCK_STREAM)
		return !req->proto || req->proto == IPPROTO_TCP;
	if (type == SOCK_DGRAM)
		return !req->proto || req->proto == IPPROTO_UDP;
	return false;
}

/**
 * nsb_netlink_do() - Broker: make a netlink change the daemon asked for
 * @req:	Request, as received
 * @n:		Bytes received
 * @ifi:	The tap interface: the only one changes may concern
 *
 * Return: 0 or a positive error number, the kernel's or EINVAL
 */
static int nsb_netlink_do(struct nsb_req *req, size_t n, unsigned int ifi)
{
	static int nl = -1;
	int rc;

	if (n != sizeof(*req))
		return EINVAL;
	if (nl < 0 && (nl = nl_open()) < 0)
		return errno;
	rc = nl_relay(nl, req->nl, sizeof(req->nl), ifi);
	return -rc;
}

/**
 * nsb_reply() - Broker: send an answer, with the socket if there is one
 * @s:		Broker's end of the socket pair
 * @err:	Error number, 0 if a socket follows, -1 if done without one
 * @fd:		Socket to pass with SCM_RIGHTS, or -1
 *
 * Return: what sendmsg() returns
 */
/* syscalls(broker): sendmsg */
ssize_t nsb_reply(int s, int err, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &err, sizeof(err) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL);
}

/**
 * nsb_serve() - Broker: answer requests until the daemon goes away
 * @s:		Broker's end of the socket pair
 * @ifi:	The tap interface, for netlink changes
 *
 * Return: doesn't return
 */
/* syscalls(broker): recvmsg socket close exit_group */
/* syscalls(broker): bind setsockopt sendto recvfrom */
static void __attribute__((noreturn)) nsb_serve(int s, unsigned int ifi)
{
	for (;;) {
		struct nsb_req req;
		struct iovec iov = { &req, sizeof(req) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;
		int fd, err;

		n = recvmsg(s, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)offsetof(struct nsb_req, nl))
			_exit(n ? EXIT_FAILURE : EXIT_SUCCESS);

		if (req.op == NSB_NETLINK) {
			fd = -1;
			errno = nsb_netlink_do(&req, (size_t)n, ifi);
		} else if (req.op != NSB_SOCKET || !nsb_req_valid(&req)) {
			fd = -1;
			errno = EINVAL;
		} else {
			fd = socket(req.af, req.type | SOCK_CLOEXEC,
				    req.proto);
		}
		err = fd < 0 ? errno : 0;
		if (req.op == NSB_NETLINK && !err)
			err = -1;	/* Done: no descriptor follows */

		n = nsb_reply(s, err, fd);
		if (fd >= 0)
			close(fd);
		if (n < 0)
			_exit(EXIT_FAILURE);
	}
}

/**
 * nsb_start() - Fork the broker into the target namespaces
 * @c:		Execution context
 *
 * Called once set-up is done, after going to the background (the broker
 * ends with the process that forks it), before the daemon gives up the
 * privileges it would need to join the namespaces.
 */
void nsb_start(struct ctx *c)
{
	int sv[2];
	pid_t pid;

	if (c->mode != MODE_PASTA || c->pasta_netns_fd < 0)
		return;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		die_perror("Can't create a socket pair for the broker");

	pid = fork();
	if (pid < 0)
		die_perror("Can't start the namespace broker");
	if (pid > 0) {
		close(sv[1]);
		nsb_fd = sv[0];
		c->nsb_pid = pid;
		/* Nothing joins the namespaces again: let go of them */
		close(c->pasta_netns_fd);
		c->pasta_netns_fd = -1;
		if (c->pasta_userns_fd >= 0)
			close(c->pasta_userns_fd);
		c->pasta_userns_fd = -1;
		return;
	}

	close(sv[0]);
	prctl(PR_SET_NAME, "pasta-broker", 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != c->pid)	/* Gone already */
		_exit(EXIT_FAILURE);

	if ((c->pasta_userns_fd >= 0 &&
	     setns(c->pasta_userns_fd, CLONE_NEWUSER)) ||
	    setns(c->pasta_netns_fd, CLONE_NEWNET)) {
		err_perror("Broker: can't join the namespace");
		_exit(EXIT_FAILURE);
	}

	isolate_broker(c, sv[1], c->pasta_conf_ns && !c->no_follow);
	seccomp_install(SECCOMP_BROKER);
	nsb_serve(sv[1], c->pasta_ifi);
}

/**
 * nsb_running() - Is the broker there to ask?
 *
 * Return: true once nsb_start() forked it
 */
bool nsb_running(void)
{
	return nsb_fd >= 0;
}

/**
 * nsb_socket_ask() - Send the broker a request for a socket
 * @af:		Address family
 * @type:	Socket type, with flags
 * @proto:	Protocol
 *
 * Return: 0 on success, -1 if the broker is gone
 */
/* syscalls(pasta): sendmsg */
static int nsb_socket_ask(int af, int type, int proto)
{
	static struct nsb_req req;
	struct iovec iov = { &req, offsetof(struct nsb_req, nl) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	req.op = NSB_SOCKET;
	req.af = af;
	req.type = type;
	req.proto = proto;
	do
		n = sendmsg(nsb_fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)offsetof(struct nsb_req, nl) ? 0 : -1;
}

/**
 * nsb_socket_take() - Receive the broker's answer to one socket request
 *
 * Return: the socket, or -1 with errno set (EIO if the broker is gone)
 */
/* syscalls(pasta): recvmsg close */
static int nsb_socket_take(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct cmsghdr *cm;
	struct iovec iov;
	struct msghdr mh;
	int err, fd = -1;
	ssize_t n;

	iov.iov_base = &err;
	iov.iov_len = sizeof(err);
	mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	do
		n = recvmsg(nsb_fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(err))
		goto gone;

	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));

	if (err || fd < 0) {
		if (fd >= 0)
			close(fd);
		errno = err ? err : EIO;
		return -1;
	}
	return fd;

gone:
	err_ratelimit("Namespace broker is gone: no new sockets there");
	errno = EIO;
	return -1;
}

/**
 * nsb_sockets() - Ask the broker for sockets in the namespace, a batch of
 *		   requests at a time: one wake-up of the broker per batch,
 *		   not one per socket
 * @af:		Address family
 * @type:	Socket type, with flags
 * @proto:	Protocol
 * @fds:	Set to the sockets
 * @n:		How many are wanted
 *
 * Return: how many sockets are in @fds; if fewer than @n, errno is set
 */
int nsb_sockets(int af, int type, int proto, int *fds, int n)
{
	int got = 0, asked, i;

	if (nsb_fd < 0) {
		errno = ENOTCONN;
		return 0;
	}

	while (got < n) {
		int err = 0;

		/* Both ways, at most NSB_BATCH messages wait in a queue */
		for (asked = 0; asked < MIN(n - got, NSB_BATCH); asked++) {
			if (nsb_socket_ask(af, type, proto))
				break;
		}
		if (!asked) {
			err_ratelimit("Namespace broker is gone: no new sockets"
				      " there");
			errno = EIO;
			return got;
		}

		for (i = 0; i < asked; i++) {
			int fd = nsb_socket_take();

			if (fd < 0)
				err = errno;
			else
				fds[got++] = fd;
		}
		if (err) {
			errno = err;
			return got;
		}
	}
	return got;
}

/**
 * nsb_socket() - Ask the broker for a socket in the namespace
 * @af:		Address family
 * @type:	Socket type, with flags
 * @proto:	Protocol
 *
 * Return: the socket, or -1 with errno set
 */
int nsb_socket(int af, int type, int proto)
{
	int fd;

	if (nsb_sockets(af, type, proto, &fd, 1) != 1)
		return -1;
	return fd;
}

/**
 * nsb_netlink() - Have the broker make a netlink change in the namespace
 * @nh:		Request, complete, at most NSB_NL_MAX bytes
 *
 * Only address and route changes on the tap interface are accepted
 * (nl_relay()): the broker keeps CAP_NET_ADMIN there for this alone.
 *
 * Return: 0 on success, negative error number otherwise
 */
/* syscalls(pasta): sendmsg recvmsg */
int nsb_netlink(const struct nlmsghdr *nh)
{
	static struct nsb_req req;
	struct iovec iov = { &req, sizeof(req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int err;

	if (nsb_fd < 0)
		return -ENOTCONN;
	if (nh->nlmsg_len > sizeof(req.nl))
		return -EMSGSIZE;

	memset(&req, 0, sizeof(req));
	req.op = NSB_NETLINK;
	memcpy(req.nl, nh, nh->nlmsg_len);
	do
		n = sendmsg(nsb_fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(req))
		return -EIO;

	iov.iov_base = &err;
	iov.iov_len = sizeof(err);
	do
		n = recv(nsb_fd, &err, sizeof(err), 0);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(err))
		return -EIO;
	return err < 0 ? 0 : -err;
}
