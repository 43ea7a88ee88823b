// SPDX-License-Identifier: GPL-2.0-or-later
/* log.c - Logging: levels, stderr, the system log, or a size-capped file
 *
 * Until the daemon detaches (or for good with --stderr or --foreground),
 * messages go to stderr. After that they go to the system log, or to the
 * log file given with --log-file. Both sinks are opened once, before the
 * daemon gives up its privileges and its view of the file system, and are
 * used through their descriptors only: nothing here looks up a path once
 * start-up is over.
 *
 * The log file never grows past its size limit: when a line would exceed
 * it, the oldest half of the file is dropped (rewritten in place with
 * pread() and pwrite() on the descriptor opened at start, then truncated),
 * so a long running daemon neither fills the disk nor loses its most
 * recent history. Writes go at our own offset, never through O_APPEND.
 *
 * The system log is reached through our own datagram socket, connected to
 * /dev/log when the daemon detaches and never reconnected; it doesn't
 * block: a message the system log can't take right now is dropped and
 * counted, and the count is reported before the next message that goes
 * through. Messages are formatted as syslog(3) would, RFC 3164 style:
 * "<PRI>Mmm dd hh:mm:ss ident[pid]: text", facility daemon. If the system
 * log restarts with a new socket, messages are lost until we exit: use
 * --log-file where that matters.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define LOG_SYSLOG_PATH		"/dev/log"

bool log_trace;
bool log_stderr = true;
int log_level = LOG_INFO;

static const char *log_ident = "passt";
static int log_file_fd = -1;
static size_t log_file_size = LOGFILE_SIZE_DEFAULT;
static size_t log_file_written;
static bool log_syslog;
static int log_syslog_fd = -1;
static pid_t log_syslog_pid;
static unsigned long log_syslog_dropped;
static struct timespec log_start;

/**
 * log_init() - Set the program name used in messages and the time base
 * @ident:	Program name, "passt" or "pasta"
 */
void log_init(const char *ident)
{
	log_ident = ident;
	clock_gettime(CLOCK_MONOTONIC, &log_start);
}

/**
 * log_open_file() - Send messages to a file from now on
 * @path:	Path of the log file, created, or emptied if it's a stale one
 *		of ours (see file_open_own())
 * @size:	Maximum size of the file, bytes
 */
void log_open_file(const char *path, size_t size)
{
	char why[128];

	log_file_fd = file_open_own(path, O_RDWR, why, sizeof(why));
	if (log_file_fd < 0)
		die("Can't use log file %s: %s", path, why);
	log_file_size = size;
	log_file_written = 0;
}

/**
 * log_syslog_open() - Connect our datagram socket to the system log
 *
 * Without a system log socket (containers often have none), messages of
 * the daemon are lost: there's nobody to tell by then.
 */
static void log_syslog_open(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX,
				 .sun_path = LOG_SYSLOG_PATH };
	int s;

	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return;
	}
	log_syslog_fd = s;
}

/**
 * log_to_syslog() - Stop writing to stderr: use syslog unless a file is set
 *
 * Called once the daemon is in the background, still able to reach
 * /dev/log: the socket is connected now, the time zone loaded for the
 * time stamps, and the process ID taken, for good.
 */
void log_to_syslog(void)
{
	log_stderr = false;
	if (log_file_fd >= 0)
		return;

	tzset();
	log_syslog_pid = getpid();
	log_syslog_open();
	log_syslog = true;
}

/**
 * log_close() - Close the log file and the system log socket, for good
 *
 * For a child that closes every descriptor it inherited (pasta's broker):
 * it must not write messages to whatever gets those numbers next. It logs
 * to standard error, if anywhere, from then on.
 */
void log_close(void)
{
	if (log_file_fd >= 0)
		close(log_file_fd);
	if (log_syslog_fd >= 0)
		close(log_syslog_fd);
	log_file_fd = log_syslog_fd = -1;
	log_syslog = false;
	log_stderr = true;
}

/**
 * log_syslog_send() - Send one message to the system log, never blocking
 * @pri:	syslog priority, facility not included
 * @msg:	Message
 *
 * Return: 0 if the system log took it, -1 if it was dropped
 *
 * syscalls: sendto clock_gettime
 */
static int log_syslog_send(int pri, const char *msg)
{
	char buf[BUFSIZ + 128], stamp[32] = "";
	struct timespec ts;
	struct tm tm;
	time_t now;
	int n;

	if (log_syslog_fd < 0)
		return -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = ts.tv_sec;

	if (localtime_r(&now, &tm))
		strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(buf, sizeof(buf), "<%i>%s %s[%i]: %s", LOG_DAEMON | pri,
		     stamp, log_ident, (int)log_syslog_pid, msg);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;

	if (send(log_syslog_fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    n)
		return -1;
	return 0;
}

/**
 * log_syslog_msg() - Log to the system log, reporting what was dropped first
 * @pri:	syslog priority
 * @msg:	Message
 */
static void log_syslog_msg(int pri, const char *msg)
{
	if (log_syslog_dropped) {
		char note[80];

		snprintf(note, sizeof(note), "%lu messages dropped: "
			 "the system log didn't take them", log_syslog_dropped);
		if (log_syslog_send(LOG_WARNING, note)) {
			log_syslog_dropped++;
			return;
		}
		log_syslog_dropped = 0;
	}

	if (log_syslog_send(pri, msg))
		log_syslog_dropped++;
}

/**
 * log_file_rotate() - Drop the oldest half of the log file to make room
 *
 * The newer half is moved to the start of the file, from the first line
 * that begins in it, and the file truncated after it.
 *
 * Return: 0 on success, -1 if the file couldn't be rewritten
 *
 * syscalls: pread64 pwrite64 ftruncate
 */
static int log_file_rotate(void)
{
	static char buf[1 << 16];
	off_t end = (off_t)log_file_written;
	off_t rd = end / 2, wr = 0;

	/* Align to the start of a line */
	while (rd < end) {
		ssize_t n = pread(log_file_fd, buf,
				  (size_t)MIN((off_t)sizeof(buf), end - rd),
				  rd);
		char *nl;

		if (n <= 0)
			return -1;
		nl = memchr(buf, '\n', (size_t)n);
		if (nl) {
			rd += nl - buf + 1;
			break;
		}
		rd += n;
	}

	while (rd < end) {
		ssize_t n = pread(log_file_fd, buf,
				  (size_t)MIN((off_t)sizeof(buf), end - rd),
				  rd);

		if (n <= 0 || pwrite(log_file_fd, buf, (size_t)n, wr) != n)
			return -1;
		rd += n;
		wr += n;
	}

	if (ftruncate(log_file_fd, wr))
		return -1;
	log_file_written = (size_t)wr;
	return 0;
}

/**
 * log_file_write() - Append a line to the log file, within its size limit
 * @line:	Line, with its newline
 * @len:	Length of the line, at most half the size limit
 *
 * syscalls: pwrite64 ftruncate
 */
static void log_file_write(const char *line, size_t len)
{
	ssize_t n;

	if (log_file_written + len > log_file_size &&
	    (log_file_rotate() || log_file_written + len > log_file_size)) {
		/* Can't keep the newer half: start over, but stay in bounds */
		if (ftruncate(log_file_fd, 0))
			return;
		log_file_written = 0;
	}

	n = pwrite(log_file_fd, line, len, (off_t)log_file_written);
	if (n > 0)
		log_file_written += (size_t)n;
}

/**
 * vlogmsg() - Print a message at the given priority, to the current sink
 * @pri:	syslog priority
 * @err:	errno value to append as string, or 0
 * @fmt:	Format string
 * @ap:		Arguments
 *
 * syscalls: write
 */
static void vlogmsg(int pri, int err, const char *fmt, va_list ap)
{
	char msg[BUFSIZ];
	int n;

	if (pri > log_level)
		return;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (err)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
			      strerror(err));
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;

	if (log_file_fd >= 0) {
		char line[BUFSIZ + 64];
		struct timespec now;
		int len;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_nsec < log_start.tv_nsec) {
			now.tv_sec--;
			now.tv_nsec += 1000000000L;
		}
		len = snprintf(line, sizeof(line), "%lli.%04li: %s\n",
			       (long long)(now.tv_sec - log_start.tv_sec),
			       (now.tv_nsec - log_start.tv_nsec) / 100000,
			       msg);
		if (len > 0 && (size_t)len >= sizeof(line))
			len = sizeof(line) - 1;
		if (len > 0)
			log_file_write(line, (size_t)len);
	}

	if (log_stderr) {
		msg[n++] = '\n';
		ssize_t rc = write(STDERR_FILENO, msg, (size_t)n);

		(void)rc;	/* Nowhere left to complain */
	} else if (log_syslog) {
		log_syslog_msg(pri, msg);
	}
}

/**
 * logmsg() - Log a message
 * @pri:	syslog priority
 * @fmt:	Format string
 */
void logmsg(int pri, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlogmsg(pri, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

/**
 * logmsg_perror() - Log a message followed by the description of errno
 * @pri:	syslog priority
 * @fmt:	Format string
 */
void logmsg_perror(int pri, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlogmsg(pri, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

/**
 * die() - Log an error and exit with status 1
 * @fmt:	Format string
 *
 * syscalls: exit_group
 */
void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogmsg(LOG_ERR, 0, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

/**
 * die_perror() - Log an error with the description of errno, exit with 1
 * @fmt:	Format string
 *
 * syscalls: exit_group
 */
void die_perror(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlogmsg(LOG_ERR, saved, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}
