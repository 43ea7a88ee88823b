// SPDX-License-Identifier: GPL-2.0-or-later
/* log.c - Logging: levels, stderr, syslog, or a size-capped log file
 *
 * Until the daemon detaches (or for good with --stderr or --foreground),
 * messages go to stderr. After that they go to syslog, or to the log file
 * given with --log-file. The log file never grows past its size limit: when
 * a write would exceed it, the oldest half of the file is dropped (the file
 * is rewritten in place, keeping its newest lines), so a long running
 * daemon neither fills the disk nor loses its most recent history.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

bool log_trace;
bool log_stderr = true;
int log_level = LOG_INFO;

static const char *log_ident = "passt";
static int log_file_fd = -1;
static size_t log_file_size = LOGFILE_SIZE_DEFAULT;
static size_t log_file_written;
static bool log_syslog;
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
 * @path:	Path of the log file, created or truncated
 * @size:	Maximum size of the file, bytes
 */
void log_open_file(const char *path, size_t size)
{
	log_file_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
			   O_APPEND, 0600);
	if (log_file_fd < 0)
		die_perror("Can't open log file %s", path);
	log_file_size = size;
	log_file_written = 0;
}

/**
 * log_to_syslog() - Stop writing to stderr: use syslog unless a file is set
 */
void log_to_syslog(void)
{
	log_stderr = false;
	if (log_file_fd < 0) {
		openlog(log_ident, LOG_PID, LOG_DAEMON);
		log_syslog = true;
	}
}

/**
 * log_close_file() - Close the log file, if any
 */
void log_close_file(void)
{
	if (log_file_fd >= 0)
		close(log_file_fd);
	log_file_fd = -1;
}

/**
 * log_file_rotate() - Drop the oldest half of the log file to make room
 *
 * syscalls: openat pread64 pwrite64 ftruncate close
 */
static void log_file_rotate(void)
{
	static char buf[1 << 16];
	off_t keep_from = (off_t)(log_file_written / 2), rd = keep_from;
	off_t wr = 0;
	int fd;

	/* O_APPEND descriptors can't write at an offset: use a second one */
	fd = open("/proc/self/fd/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		char name[32];
		int rw;

		snprintf(name, sizeof(name), "%d", log_file_fd);
		rw = openat(fd, name, O_RDWR | O_CLOEXEC);
		close(fd);
		fd = rw;
	}
	if (fd < 0) {
		/* Can't rewrite in place: start over */
		if (ftruncate(log_file_fd, 0) == 0)
			log_file_written = 0;
		return;
	}

	/* Align to the start of a line */
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), rd);
		char *nl;

		if (n <= 0)
			break;
		nl = memchr(buf, '\n', (size_t)n);
		if (nl) {
			rd += nl - buf + 1;
			break;
		}
		rd += n;
	}

	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), rd);

		if (n <= 0 || pwrite(fd, buf, (size_t)n, wr) != n)
			break;
		rd += n;
		wr += n;
	}

	if (ftruncate(fd, wr) == 0)
		log_file_written = (size_t)wr;
	close(fd);
}

/**
 * vlogmsg() - Print a message at the given priority, to the current sink
 * @pri:	syslog priority
 * @err:	errno value to append as string, or 0
 * @fmt:	Format string
 * @ap:		Arguments
 *
 * syscalls: write
 * syslog(3), connecting to /dev/log on each message until it can:
 * syscalls: getpid socket connect sendto close
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
		if (len > 0) {
			if (log_file_written + (size_t)len > log_file_size)
				log_file_rotate();
			if (write(log_file_fd, line, (size_t)len) == len)
				log_file_written += (size_t)len;
		}
	}

	if (log_stderr) {
		msg[n++] = '\n';
		ssize_t rc = write(STDERR_FILENO, msg, (size_t)n);

		(void)rc;	/* Nowhere left to complain */
	} else if (log_syslog) {
		syslog(pri, "%s", msg);
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
