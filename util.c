// SPDX-License-Identifier: GPL-2.0-or-later
/* util.c - Small helpers shared by every part: epoll registration, file
 * descriptors, files under /proc and /sys, time, namespace entry
 */


#include <dirent.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"
#include "passt.h"
#include "util.h"
#include "fwd.h"

/**
 * epoll_add() - Register a file descriptor with the loop
 * @c:		Execution context
 * @events:	epoll events
 * @ref:	Reference: type, fd and data
 *
 * Return: 0 on success, negative error code on failure
 *
 * syscalls: epoll_ctl
 */
int epoll_add(const struct ctx *c, uint32_t events, union epoll_ref ref)
{
	struct epoll_event ev = { .events = events, .data.u64 = ref.u64 };

	if (epoll_ctl(c->epollfd, EPOLL_CTL_ADD, ref.fd, &ev) < 0) {
		int ret = -errno;

		err_ratelimit("Can't add fd %i to epoll: %s", ref.fd,
			      strerror(errno));
		return ret;
	}
	return 0;
}

/**
 * epoll_del() - Remove a file descriptor from the loop
 * @c:		Execution context
 * @fd:		File descriptor
 *
 * syscalls: epoll_ctl
 */
void epoll_del(const struct ctx *c, int fd)
{
	epoll_ctl(c->epollfd, EPOLL_CTL_DEL, fd, NULL);
}

/**
 * sock_close_rst() - Close a TCP socket so that its peer sees a reset
 * @s:		Socket
 *
 * syscalls: setsockopt close
 */
void sock_close_rst(int s)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(s);
}

/* A descriptor kept in reserve to refuse connections when we're out */
static int fd_spare = -1;

/**
 * fd_spare_init() - Keep one descriptor aside for sock_accept()
 *
 * Any descriptor will do: an unbound socket, as it needs no system call
 * the daemon doesn't make anyway.
 *
 * syscalls: socket
 */
void fd_spare_init(void)
{
	if (fd_spare < 0)
		fd_spare = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/**
 * sock_accept() - accept4() a connection, or refuse it if we're out of
 *		   descriptors
 * @fd:		Listening socket
 * @sa:		Peer address, or NULL
 * @sl:		Length of @sa, or NULL
 *
 * With no descriptor left, accept4() fails and the connection stays
 * queued: a level-triggered listener would wake us up again at once,
 * forever. Close the spare descriptor, take the connection with it and
 * reset it (the client sees a refusal), then take the spare back.
 *
 * Return: the new non-blocking socket, or -1 with errno set (EMFILE or
 *	   ENFILE once the connection was refused)
 *
 * syscalls: accept4 close
 */
int sock_accept(int fd, struct sockaddr *sa, socklen_t *sl)
{
	int s, e;

	s = accept4(fd, sa, sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s >= 0 || (errno != EMFILE && errno != ENFILE))
		return s;

	e = errno;
	if (fd_spare >= 0) {
		close(fd_spare);
		fd_spare = -1;
	}
	s = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (s >= 0)
		sock_close_rst(s);
	fd_spare_init();
	warn_ratelimit("Out of file descriptors (%s): refused a connection",
		       strerror(e));
	errno = e;
	return -1;
}

/**
 * fd_set_nonblock() - Set O_NONBLOCK on a file descriptor
 * @fd:		File descriptor
 *
 * Return: 0 on success, -1 on failure
 */
int fd_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/**
 * write_all() - Write a whole buffer to a (blocking) file descriptor
 * @fd:		File descriptor
 * @buf:	Data
 * @len:	Length of data
 *
 * Return: 0 on success, -1 on error
 */
int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * write_file() - Write a string to an existing file, e.g. under /proc
 * @path:	Path
 * @buf:	String
 *
 * Return: 0 on success, -1 on error
 */
int write_file(const char *path, const char *buf)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = write_all(fd, buf, strlen(buf));
	close(fd);
	return rc;
}

/**
 * file_refuse() - Tell whether an existing file may be taken as ours
 * @st:		Status of the file, not following a symbolic link
 * @why:	Buffer for the reason of a refusal
 * @len:	Size of @why
 *
 * Return: 0 if it's a regular file with one link, owned by our effective
 *	   user; -1 otherwise, with the reason in @why
 */
static int file_refuse(const struct stat *st, char *why, size_t len)
{
	if (S_ISLNK(st->st_mode))
		snprintf(why, len, "it is a symbolic link, not followed");
	else if (!S_ISREG(st->st_mode))
		snprintf(why, len, "it is not a regular file");
	else if (st->st_nlink != 1)
		snprintf(why, len, "it has %lu hard links, not one",
			 (unsigned long)st->st_nlink);
	else if (st->st_uid != geteuid())
		snprintf(why, len, "it belongs to uid %u, not to us (uid %u)",
			 (unsigned int)st->st_uid, (unsigned int)geteuid());
	else
		return 0;
	return -1;
}

/**
 * file_open_own() - Create a file to write to, or empty a stale one of ours
 * @path:	Path
 * @flags:	O_WRONLY or O_RDWR
 * @why:	Buffer for the reason of a failure
 * @len:	Size of @why
 *
 * The PID, capture and log files are opened at start-up, often as root,
 * at paths where other users may have left something for us to write
 * through: a symbolic or hard link to a file they want overwritten. So a
 * new file is created exclusively (O_EXCL fails on any name that exists,
 * links included), and an existing one is opened without following a
 * symbolic link, without truncation, and without blocking on a FIFO; it is
 * taken, and emptied, only if it's a regular file with a single link that
 * belongs to our effective user. The file ends up with mode 0600 either
 * way. The checks are made on the open descriptor; the lstat() before
 * opening just avoids opening devices and FIFOs at all.
 *
 * Return: close-on-exec descriptor of the empty file, or -1 with the
 *	   reason in @why
 */
int file_open_own(const char *path, int flags, char *why, size_t len)
{
	int tries;

	for (tries = 0; tries < 3; tries++) {
		struct stat st;
		int fd;

		fd = open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW |
			  O_NOCTTY | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			break;

		if (lstat(path, &st)) {
			if (errno == ENOENT)
				continue;	/* Removed meanwhile */
			break;
		}
		if (file_refuse(&st, why, len))
			return -1;

		fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			  O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			if (errno == ELOOP) {	/* Swapped for a link */
				snprintf(why, len, "it is a symbolic link, "
					 "not followed");
				return -1;
			}
			break;
		}
		if (fstat(fd, &st)) {
			snprintf(why, len, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		if (file_refuse(&st, why, len)) {
			close(fd);
			return -1;
		}
		if (ftruncate(fd, 0) || fchmod(fd, S_IRUSR | S_IWUSR) ||
		    fcntl(fd, F_SETFL, flags)) {
			snprintf(why, len, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		return fd;
	}

	if (tries == 3)
		snprintf(why, len, "it keeps appearing and disappearing");
	else
		snprintf(why, len, "%s", strerror(errno));
	return -1;
}

/**
 * timespec_diff_ms() - Milliseconds from @b to @a
 * @a:		Later time
 * @b:		Earlier time
 *
 * Return: difference in milliseconds
 */
long timespec_diff_ms(const struct timespec *a, const struct timespec *b)
{
	return (a->tv_sec - b->tv_sec) * 1000L +
	       (a->tv_nsec - b->tv_nsec) / 1000000L;
}

/**
 * close_open_files() - Close every file descriptor from @from upwards
 * @from:	Lowest descriptor to close
 * @keep:	Descriptor to keep open, -1 for none
 *
 * close_range() needs no /proc, and no descriptor of its own; kernels
 * before 5.9 don't have it: then read the list from /proc/self/fd.
 */
void close_open_files(int from, int keep)
{
	struct dirent *de;
	int dfd, rc;
	DIR *d;

	if (keep < from) {
		rc = close_range((unsigned int)from, ~0U, 0);
	} else {
		rc = keep > from ? close_range((unsigned int)from,
					       (unsigned int)keep - 1, 0) : 0;
		if (!rc)
			rc = close_range((unsigned int)keep + 1, ~0U, 0);
	}
	if (!rc)
		return;

	if (!(d = opendir("/proc/self/fd")))
		return;
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd < from || fd == dfd ||
		    fd == keep)
			continue;
		close((int)fd);
	}
	closedir(d);
}

/**
 * path_dir_open() - Open the directory a path is in, to reach it later
 * @path:	Path of a file, absolute or relative
 * @name:	Set to the last component of @path
 * @size:	Size of @name
 *
 * The directory is opened with O_PATH: the descriptor can be used with
 * fstatat(), unlinkat() and the like, not to read the directory, and it
 * keeps working once our root is gone.
 *
 * Return: descriptor of the directory, -1 with errno set on failure
 *	   (EINVAL if @path ends with a slash, ENAMETOOLONG if its last
 *	   component doesn't fit in @name)
 */
int path_dir_open(const char *path, char *name, size_t size)
{
	const char *slash = strrchr(path, '/'), *base;
	char dir[PATH_MAX];

	base = slash ? slash + 1 : path;
	if (!*base) {
		errno = EINVAL;
		return -1;
	}
	if (strlen(base) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	strcpy(name, base);

	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/**
 * struct ns_call_arg - Work to do in the target namespaces
 * @c:		Execution context
 * @fn:		Function to run there
 * @arg:	Its argument
 * @ret:	Its return value
 */
struct ns_call_arg {
	struct ctx *c;
	ns_call_fn fn;
	void *arg;
	int ret;
};

/**
 * ns_call_tramp() - Join the target namespaces, run the function
 * @arg:	struct ns_call_arg
 *
 * Return: 0 (the result is passed in @arg, memory is shared)
 */
static int ns_call_tramp(void *arg)
{
	struct ns_call_arg *a = arg;
	struct ctx *c = a->c;

	if (c->pasta_userns_fd >= 0 &&
	    setns(c->pasta_userns_fd, CLONE_NEWUSER)) {
		err_perror("Can't join the user namespace");
		a->ret = -1;
		return 0;
	}
	if (setns(c->pasta_netns_fd, CLONE_NEWNET)) {
		err_perror("Can't join the network namespace");
		a->ret = -1;
		return 0;
	}
	a->ret = a->fn(c, a->arg);
	return 0;
}

/**
 * ns_call() - Run a function inside the target namespaces (pasta)
 * @c:		Execution context
 * @fn:		Function
 * @arg:	Argument passed to @fn: memory is shared, so it can carry
 *		results back too
 *
 * A short-lived helper sharing our memory and file table joins the
 * namespaces and runs @fn; we wait for it.
 *
 * Return: what @fn returned, -1 if the namespaces couldn't be joined
 */
int ns_call(struct ctx *c, ns_call_fn fn, void *arg)
{
	static char stack[NS_CALL_STACK_SIZE] __attribute__((aligned(16)));
	struct ns_call_arg a = { .c = c, .fn = fn, .arg = arg, .ret = -1 };
	pid_t pid;

	pid = clone(ns_call_tramp, stack + sizeof(stack),
		    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &a);
	if (pid < 0)
		die_perror("Can't start a helper for the namespace");
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return a.ret;
}

/**
 * struct ns_sock_arg - A socket to open, maybe in the namespace: in and out
 * @open:	Opens it, returns it or -1 (errno set)
 * @arg:	Argument for @open
 * @fd:		Set to the socket, -1 on failure
 * @err:	Set to errno on failure
 */
struct ns_sock_arg {
	int (*open)(const void *arg);
	const void *arg;
	int fd;
	int err;
};

/**
 * ns_sock_tramp() - Open the socket, wherever we are
 * @c:		Execution context, unused
 * @arg:	struct ns_sock_arg
 *
 * Return: 0
 */
static int ns_sock_tramp(struct ctx *c, void *arg)
{
	struct ns_sock_arg *a = arg;

	(void)c;
	a->fd = a->open(a->arg);
	a->err = errno;
	return 0;
}

/* Set while a function runs through ns_run() with the broker: sockets it
 * opens with sock_open() come from the namespace
 */
static bool sock_from_ns;

/**
 * ns_run() - Run a function whose sockets must be in the target namespace
 * @c:		Execution context
 * @fn:		Function: opens its sockets with sock_open()
 * @arg:	Argument passed to @fn
 *
 * At start-up, @fn runs in an ns_call() helper, inside the namespaces.
 * Once the broker runs (broker.c), @fn runs here, in the daemon, and
 * sock_open() asks the broker for each socket: binding, connecting and
 * options on it act on the namespace the socket belongs to.
 *
 * Return: what @fn returned
 */
int ns_run(struct ctx *c, ns_call_fn fn, void *arg)
{
	int ret;

	if (!nsb_running())
		return ns_call(c, fn, arg);

	sock_from_ns = true;
	ret = fn(c, arg);
	sock_from_ns = false;
	return ret;
}

/**
 * sock_open() - socket(), in the namespace when run through ns_run()
 * @af:		Address family
 * @type:	Socket type and flags
 * @proto:	Protocol
 *
 * Return: the socket, or -1 with errno set
 *
 * syscalls: socket
 */
int sock_open(int af, int type, int proto)
{
	if (sock_from_ns)
		return nsb_socket(af, type, proto);
	return socket(af, type, proto);
}

/**
 * sock_open_many() - Open sockets with sock_open(), with one request to
 *		      the broker for all of them when they come from it
 * @af:		Address family
 * @type:	Socket type and flags
 * @proto:	Protocol
 * @fds:	Set to the sockets
 * @n:		How many are wanted
 *
 * Return: how many sockets are in @fds; if fewer than @n, errno is set
 *
 * syscalls: socket
 */
int sock_open_many(int af, int type, int proto, int *fds, int n)
{
	int i;

	if (sock_from_ns)
		return nsb_sockets(af, type, proto, fds, n);
	for (i = 0; i < n; i++) {
		fds[i] = socket(af, type, proto);
		if (fds[i] < 0)
			break;
	}
	return i;
}

/**
 * ns_sock() - Open a socket here, or in the target namespaces (pasta)
 * @c:		Execution context
 * @in_ns:	Open it in the namespaces, through ns_run()
 * @open:	Opens the socket with sock_open(), returns it or -1 with
 *		errno set
 * @arg:	Argument for @open
 *
 * Return: the socket, or -1 with errno set by @open
 */
int ns_sock(struct ctx *c, bool in_ns, int (*open)(const void *arg),
	    const void *arg)
{
	struct ns_sock_arg a = { .open = open, .arg = arg, .fd = -1 };

	if (in_ns)
		ns_run(c, ns_sock_tramp, &a);
	else
		ns_sock_tramp(c, &a);
	if (a.fd < 0)
		errno = a.err;
	return a.fd;
}

/**
 * str_to_ulong() - Parse a whole string as an unsigned decimal number
 * @s:		String
 * @max:	Largest acceptable value
 * @val:	Set to the value
 *
 * Return: 0 on success, -1 if @s is not a number or above @max
 */
int str_to_ulong(const char *s, unsigned long max, unsigned long *val)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*val = strtoul(s, &end, 10);
	if (errno || *end || *val > max)
		return -1;
	return 0;
}

/**
 * sock_bind_port() - Open a socket bound to a forwarded port
 * @af:		Address family
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @port:	Port
 * @rule:	Forwarding rule: bind address and interface, may be NULL
 *
 * Return: socket, non-blocking, or -1 on failure with errno set
 *
 * syscalls(pasta): socket setsockopt bind close
 */
int sock_bind_port(sa_family_t af, int type, uint16_t port,
		   const struct fwd_rule *rule)
{
	union {
		struct sockaddr_in sa4;
		struct sockaddr_in6 sa6;
	} sa = { 0 };
	int s, one = 1, e;
	socklen_t sl;

	if (af == AF_INET) {
		sa.sa4.sin_family = AF_INET;
		sa.sa4.sin_port = htons(port);
		if (rule && rule->af == AF_INET)
			sa.sa4.sin_addr = rule->addr.a4;
		sl = sizeof(sa.sa4);
	} else {
		sa.sa6.sin6_family = AF_INET6;
		sa.sa6.sin6_port = htons(port);
		if (rule && rule->af == AF_INET6)
			sa.sa6.sin6_addr = rule->addr.a6;
		sl = sizeof(sa.sa6);
	}

	s = sock_open(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (af == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (rule && *rule->ifname &&
	    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, rule->ifname,
		       (socklen_t)strlen(rule->ifname)))
		goto fail;
	if (bind(s, (struct sockaddr *)&sa, sl))
		goto fail;
	return s;

fail:
	e = errno;
	close(s);
	errno = e;
	return -1;
}

/**
 * dns_suffix_find() - Look for a suffix written before
 * @sfx:	Suffixes written
 * @n:		Number of entries
 * @name:	Suffix to look for, not terminated
 * @len:	Its length
 *
 * Return: the entry, NULL if none
 */
static const struct dns_suffix *dns_suffix_find(const struct dns_suffix *sfx,
					      size_t n, const char *name,
					      size_t len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (sfx[i].len == len && !memcmp(sfx[i].name, name, len))
			return &sfx[i];
	}
	return NULL;
}

/**
 * dns_name_put() - Write a domain name in DNS wire format (RFC 1035 3.1)
 * @name:	Name, dot-separated, with an optional trailing dot
 * @buf:	Output buffer
 * @size:	Size of @buf
 * @off:	Where to write in @buf
 * @sfx:	Suffixes written before, for compression pointers (RFC 1035
 *		4.1.4, as RFC 3397 uses them); NULL: no compression
 * @nsfx:	Number of entries in @sfx, updated
 * @sfx_max:	Capacity of @sfx
 *
 * Return: offset right after the name, 0 if the name is invalid or doesn't
 *	   fit (@buf past @off and @nsfx then are as they were)
 */
size_t dns_name_put(const char *name, uint8_t *buf, size_t size, size_t off,
		    struct dns_suffix *sfx, size_t *nsfx, size_t sfx_max)
{
	size_t len = strnlen(name, DNS_TEXT_MAX + 2), i = 0;
	size_t nsfx_old = sfx ? *nsfx : 0;

	if (len && name[len - 1] == '.')
		len--;
	if (!len || len > DNS_TEXT_MAX || name[len - 1] == '.')
		goto invalid;

	while (i < len) {
		const char *dot = memchr(name + i, '.', len - i);
		size_t label = dot ? (size_t)(dot - name) - i : len - i;
		const struct dns_suffix *found = NULL;

		if (sfx)
			found = dns_suffix_find(sfx, *nsfx, name + i, len - i);
		if (found) {
			if (size - off < 2)
				goto invalid;
			buf[off++] = (uint8_t)((DNS_PTR | found->off) >> 8);
			buf[off++] = (uint8_t)found->off;
			return off;
		}

		if (!label || label > DNS_LABEL_MAX || size - off < 1 + label)
			goto invalid;
		if (sfx && *nsfx < sfx_max && off <= DNS_PTR_OFF_MAX) {
			sfx[*nsfx].name = name + i;
			sfx[*nsfx].len = len - i;
			sfx[*nsfx].off = off;
			(*nsfx)++;
		}
		buf[off++] = (uint8_t)label;
		memcpy(buf + off, name + i, label);
		off += label;
		i += label + 1;
	}

	if (size - off < 1)
		goto invalid;
	buf[off++] = 0;		/* Root label */
	return off;

invalid:
	if (sfx)
		*nsfx = nsfx_old;
	return 0;
}
