/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>
#include <time.h>

#define LOGFILE_SIZE_DEFAULT	(1024 * 1024UL)
#define LOGFILE_SIZE_MIN	(5UL * 4096)

void logmsg(int pri, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void logmsg_perror(int pri, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void __attribute__((noreturn)) die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void __attribute__((noreturn)) die_perror(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#define err(...)		logmsg(LOG_ERR, __VA_ARGS__)
#define warn(...)		logmsg(LOG_WARNING, __VA_ARGS__)
#define info(...)		logmsg(LOG_INFO, __VA_ARGS__)
#define debug(...)		logmsg(LOG_DEBUG, __VA_ARGS__)
#define trace(...)							\
	do {								\
		if (log_trace)						\
			logmsg(LOG_DEBUG, __VA_ARGS__);			\
	} while (0)

#define err_perror(...)		logmsg_perror(LOG_ERR, __VA_ARGS__)
#define warn_perror(...)	logmsg_perror(LOG_WARNING, __VA_ARGS__)
#define debug_perror(...)	logmsg_perror(LOG_DEBUG, __VA_ARGS__)

/* Rate limited: at most LOG_RATELIMIT_BURST lines per call site and second
 * syscalls: clock_gettime
 */
#define LOG_RATELIMIT_BURST	5
#define logmsg_ratelimit(pri, ...)					\
	do {								\
		static time_t rl_sec_;					\
		static unsigned int rl_count_, rl_supp_;		\
		struct timespec rl_ts_;					\
		time_t rl_now_;						\
		clock_gettime(CLOCK_MONOTONIC_COARSE, &rl_ts_);		\
		rl_now_ = rl_ts_.tv_sec;				\
		if (rl_now_ != rl_sec_) {				\
			if (rl_supp_)					\
				logmsg(pri, "(%u messages suppressed)",	\
				       rl_supp_);			\
			rl_sec_ = rl_now_;				\
			rl_count_ = rl_supp_ = 0;			\
		}							\
		if (rl_count_++ < LOG_RATELIMIT_BURST)			\
			logmsg(pri, __VA_ARGS__);			\
		else							\
			rl_supp_++;					\
	} while (0)

#define err_ratelimit(...)	logmsg_ratelimit(LOG_ERR, __VA_ARGS__)
#define warn_ratelimit(...)	logmsg_ratelimit(LOG_WARNING, __VA_ARGS__)
#define info_ratelimit(...)	logmsg_ratelimit(LOG_INFO, __VA_ARGS__)
#define debug_ratelimit(...)	logmsg_ratelimit(LOG_DEBUG, __VA_ARGS__)

extern bool log_trace;
extern bool log_stderr;		/* Messages go to stderr, not syslog/file */
extern int log_level;		/* Highest priority value still printed */

void log_init(const char *ident);
void log_open_file(const char *path, size_t size);
void log_to_syslog(void);
void log_close(void);

#endif /* LOG_H */
