// SPDX-License-Identifier: GPL-2.0-or-later
/* passt.c - Entry point, execution context, the event loop
 *
 * One binary, two modes, chosen by the name it runs under: passt connects a
 * qemu guest over a UNIX domain socket, pasta a network namespace over a
 * tap device. main() parses the command line, sets up the guest side,
 * drops privileges, goes to the background unless asked not to, and runs
 * the one epoll loop. Every descriptor in the epoll set carries a union
 * epoll_ref whose type picks the handler: dispatch is a switch, never a
 * search. Housekeeping runs from a periodic timer, folded into the
 * epoll_wait() timeout, and so do the timers of the flow table: every
 * TCP_TIMER_MS while a TCP connection needs it, and with housekeeping to
 * close idle flows. Frames for the guest are queued by the handlers and
 * flushed once at the end of every iteration.
 *
 * SIGTERM, SIGINT and SIGHUP are read from a signalfd in the same epoll
 * set, so they are seen at a well-defined point, even when the loop is
 * busy, and lead to a clean exit: socket file and PID file removed.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "conf.h"
#include "dispatch.h"
#include "flow.h"
#include "fwd.h"
#include "hostwatch.h"
#include "icmp.h"
#include "ndp.h"
#include "isolation.h"
#include "log.h"
#include "netlink.h"
#include "passt.h"
#include "pasta.h"
#include "pcap.h"
#include "seccomp.h"
#include "tap.h"
#include "tcp.h"
#include "tcp_splice.h"
#include "udp.h"
#include "util.h"

#define EPOLL_EVENTS		64

static struct ctx ctx;
/**
 * passt_exit() - Remove our files and exit
 * @c:		Execution context
 * @status:	Exit status
 *
 * syscalls: exit_group
 */
void passt_exit(const struct ctx *c, int status)
{
	tap_sock_unlink(c);
	if (c->pidfile_written)
		isolate_file_remove(&c->pidfile_own);
	exit(status);
}

/**
 * signals_init() - Take the quit signals through a signalfd
 * @c:		Execution context
 *
 * SIGTERM, SIGINT and SIGHUP are blocked and read from a descriptor in
 * the epoll set, so they're seen however busy the loop is.
 */
static void signals_init(struct ctx *c)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_SIGNAL };
	sigset_t quit;
	int fd;

	sigemptyset(&quit);
	sigaddset(&quit, SIGTERM);
	sigaddset(&quit, SIGINT);
	sigaddset(&quit, SIGHUP);
	sigprocmask(SIG_BLOCK, &quit, NULL);

	fd = signalfd(-1, &quit, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		die_perror("Can't create signalfd");
	ref.fd = fd;
	if (epoll_add(c, EPOLLIN, ref))
		die("Can't watch for signals");
}

/**
 * signal_handler() - A quit signal arrived: clean up and exit
 * @c:		Execution context
 * @fd:		signalfd
 *
 * syscalls: read
 * syscalls(pasta): kill
 */
static void signal_handler(struct ctx *c, int fd)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;

	info("Exiting on signal %u", si.ssi_signo);
	/* The command we started has no network without us */
	if (c->mode == MODE_PASTA && c->pasta_spawned)
		kill(c->pasta_child, SIGTERM);
	passt_exit(c, EXIT_SUCCESS);
}

/**
 * pidfile_open() - Create the PID file early, to report errors at start
 * @c:		Execution context
 *
 * Mode 0600: whoever reads it (libvirt, podman, systemd, a script) runs as
 * the user who started us, or as root.
 */
static void pidfile_open(struct ctx *c)
{
	char why[128];

	if (!*c->pidfile)
		return;
	c->pidfile_fd = file_open_own(c->pidfile, O_WRONLY, why, sizeof(why));
	if (c->pidfile_fd < 0) {
		tap_sock_unlink(c);
		die("Can't use PID file %s: %s", c->pidfile, why);
	}
}

/**
 * pidfile_write() - Write our PID to the PID file
 * @c:		Execution context
 */
static void pidfile_write(struct ctx *c)
{
	char buf[32];
	int n;

	if (c->pidfile_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%i\n", c->pid);
	if (write_all(c->pidfile_fd, buf, (size_t)n))
		warn_perror("Can't write PID file %s", c->pidfile);
	close(c->pidfile_fd);
	c->pidfile_fd = -1;
	c->pidfile_written = true;
}

/**
 * daemonize() - Go to the background: the parent returns 0 to its caller
 * @c:		Execution context
 */
static void daemonize(struct ctx *c)
{
	pid_t pid;
	int null;

	fflush(stdout);
	fflush(stderr);

	pid = fork();
	if (pid < 0) {
		tap_sock_unlink(c);
		die_perror("Can't go to the background");
	}
	if (pid > 0) {
		/* Whoever started us may read the PID file as soon as we
		 * return: it must hold the daemon's PID by then.
		 */
		c->pid = pid;
		pidfile_write(c);
		_exit(EXIT_SUCCESS);
	}

	setsid();
	if (c->pidfile_fd >= 0) {
		close(c->pidfile_fd);
		c->pidfile_fd = -1;
		c->pidfile_written = true;
	}

	/* Callers such as podman wait for our output to end: let go of
	 * every standard descriptor, --stderr or not.
	 */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
}

/**
 * timer_handler() - Periodic housekeeping
 * @c:		Execution context
 * @now:	Current time
 */
static void timer_handler(struct ctx *c, const struct timespec *now)
{
	if (c->mode == MODE_PASTA) {
		if (pasta_netns_quit_check(c))
			passt_exit(c, EXIT_SUCCESS);
		tcp_splice_timer(c);
		fwd_auto_scan(c);
	}
	if (c->ifi6 && !c->no_ndp && !c->no_ra)
		ndp_timer(c, now);

	debug_ratelimit("tap: %llu frames in, %llu out, %llu dropped in, "
			"%llu dropped out, %llu dropped for their address",
			(unsigned long long)tap_stats.frames_in,
			(unsigned long long)tap_stats.frames_out,
			(unsigned long long)tap_stats.dropped_in,
			(unsigned long long)tap_stats.dropped_out,
			(unsigned long long)tap_stats.dropped_addr);
}

/**
 * main() - Set up, then run the event loop
 * @argc:	Argument count
 * @argv:	Arguments
 *
 * Return: doesn't return: exits from passt_exit() or on fatal errors
 */
int main(int argc, char **argv)
{
	struct epoll_event events[EPOLL_EVENTS];
	struct timespec now, last_timer, last_flow_timer;
	struct conf_result r = { 0 };
	struct ctx *c = &ctx;
	char argv0[PATH_MAX];
	const char *name;

	snprintf(argv0, sizeof(argv0), "%s", argv[0]);
	name = basename(argv0);
	c->mode = strncmp(name, "pasta", strlen("pasta")) ? MODE_PASST :
							    MODE_PASTA;
	c->pid = getpid();
	log_init(c->mode == MODE_PASTA ? "pasta" : "passt");
	signal(SIGPIPE, SIG_IGN);

	conf(c, argc, argv, &r);
	/* Before we open any descriptor of our own */
	isolate_initial(c);

	c->epollfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epollfd < 0)
		die_perror("Can't create epoll descriptor");

	if (c->debug)
		log_level = LOG_DEBUG;
	else if (c->quiet)
		log_level = LOG_WARNING;
	if (*c->log_file)
		log_open_file(c->log_file, c->log_size);
	/* Before the socket or the namespace are set up: nothing to undo */
	pcap_init(c->pcap);

	conf_defaults(c);
	flow_init();
	/* Before anything else takes descriptors: see sock_accept() */
	fd_spare_init();

	tcp_init(c);
	udp_init(c);
	icmp_init();
	fwd_socks_init(c, false);
	if (c->mode == MODE_PASST)
		tap_sock_init(c);
	if (c->mode == MODE_PASST && !c->fd_tap_given)
		isolate_file_keep(&c->sock_own, c->sock_path, -1);
	pidfile_open(c);
	if (c->pidfile_fd >= 0)
		isolate_file_keep(&c->pidfile_own, c->pidfile, c->pidfile_fd);
	if (c->mode == MODE_PASTA) {
		pasta_setup(c, &r);
		fwd_socks_init(c, true);	/* Before the pool takes fds */
		tcp_splice_init(c);
		fwd_auto_init(c);
	}
	/* Following the host: its configuration is read again, and, with
	 * --config-net, the namespace's changed
	 */
	hostwatch_init(c);
	nl_sock_close(!c->no_follow,
		      !c->no_follow && c->mode == MODE_PASTA &&
		      c->pasta_conf_ns);

	conf_print(c);

	if (!c->foreground) {
		daemonize(c);
		log_to_syslog();
	}
	c->pid = getpid();
	pidfile_write(c);

	/* From here on, no path and no privilege: everything the daemon
	 * needs later is open. pasta's namespace broker goes first, as it
	 * needs the namespace files; the seccomp filter after.
	 */
	nsb_start(c);
	isolate_sandbox(c);
	/* After going to the background: a signalfd wakes up epoll only
	 * for the process that registered it
	 */
	signals_init(c);

	if (c->mode == MODE_PASTA)
		pasta_release_child(c);

	clock_gettime(CLOCK_MONOTONIC, &last_timer);
	last_flow_timer = last_timer;
	seccomp_install(c->mode == MODE_PASTA ? SECCOMP_PASTA : SECCOMP_PASST);
	/* syscalls: epoll_wait|epoll_pwait clock_gettime */
	for (;;) {
		bool housekeeping;
		long elapsed;
		int i, n, timeout;

		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = timespec_diff_ms(&now, &last_timer);
		timeout = elapsed >= TIMER_INTERVAL_MS ? 0 :
			  (int)(TIMER_INTERVAL_MS - elapsed);
		if (tcp_timer_pending()) {
			long t = TCP_TIMER_MS -
				 timespec_diff_ms(&now, &last_flow_timer);

			timeout = MIN(timeout, (int)MAX(t, 0L));
		}
		if (hostwatch_timeout(&now) >= 0)
			timeout = MIN(timeout, hostwatch_timeout(&now));

		n = epoll_wait(c->epollfd, events, EPOLL_EVENTS, timeout);
		if (n < 0 && errno != EINTR)
			die_perror("epoll_wait() failed");

		clock_gettime(CLOCK_MONOTONIC, &now);

		for (i = 0; i < n; i++) {
			union epoll_ref ref = { .u64 = events[i].data.u64 };
			uint32_t ev = events[i].events;

			switch (ref.type) {
			case EPOLL_TYPE_SIGNAL:
				signal_handler(c, ref.fd);
				break;
			case EPOLL_TYPE_TAP_LISTEN:
				tap_listen_handler(c, ev);
				break;
			case EPOLL_TYPE_TAP_PASST:
				if (ref.fd == c->fd_tap &&
				    dispatch_passt_handler(c, ev, &now))
					passt_exit(c, EXIT_SUCCESS);
				break;
			case EPOLL_TYPE_TAP_PASTA:
				dispatch_pasta_handler(c, ev, &now);
				break;
			case EPOLL_TYPE_PASTA_PIDFD: {
				int status = pasta_child_handler(c);

				if (status >= 0)
					passt_exit(c, status);
				break;
			}
			case EPOLL_TYPE_PING:
				icmp_sock_handler(c, ref, &now);
				break;
			case EPOLL_TYPE_TCP:
				tcp_sock_handler(c, ref, ev, &now);
				break;
			case EPOLL_TYPE_TCP_LISTEN:
				tcp_listen_handler(c, ref, &now);
				break;
			case EPOLL_TYPE_UDP:
				udp_sock_handler(c, ref, ev, &now);
				break;
			case EPOLL_TYPE_UDP_LISTEN:
			case EPOLL_TYPE_UDP_LISTEN_NS:
				udp_listen_handler(c, ref, ev, &now);
				break;
			case EPOLL_TYPE_TCP_SPLICE:
				tcp_splice_sock_handler(c, ref, ev);
				break;
			case EPOLL_TYPE_TCP_LISTEN_NS:
				tcp_splice_listen_ns_handler(c, ref);
				break;
			case EPOLL_TYPE_HOSTWATCH_NL:
				hostwatch_nl_handler(&now);
				break;
			case EPOLL_TYPE_HOSTWATCH_INOTIFY:
				hostwatch_inotify_handler(&now);
				break;
			default:
				debug("Unexpected epoll reference type %u",
				      ref.type);
			}
		}

		housekeeping = timespec_diff_ms(&now, &last_timer) >=
			       TIMER_INTERVAL_MS;
		if (housekeeping || timespec_diff_ms(&now, &last_flow_timer) >=
				    TCP_TIMER_MS) {
			flow_timer(c, &now, tcp_timer_pending(), housekeeping);
			last_flow_timer = now;
		}
		if (housekeeping) {
			timer_handler(c, &now);
			last_timer = now;
		}
		hostwatch_timer(c, &now);

		tap_flush(c);

		/* The backlog may have drained in that flush, not only on
		 * EPOLLOUT: connections held back go on now
		 */
		if (tcp_tap_blocked() && !tap_backlogged()) {
			tcp_tap_resume(c, &now);
			tap_flush(c);
		}
	}
}
