/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef HOSTWATCH_H
#define HOSTWATCH_H

#include <time.h>

struct ctx;

/* From the first change of a burst to the update */
#define HOSTWATCH_DELAY_MS	200

void hostwatch_init(const struct ctx *c);
void hostwatch_nl_handler(const struct timespec *now);
void hostwatch_inotify_handler(const struct timespec *now);
void hostwatch_resolv_read(void);
int hostwatch_timeout(const struct timespec *now);
void hostwatch_change(struct ctx *c, const struct ctx *next,
		      const struct timespec *now);
void hostwatch_timer(struct ctx *c, const struct timespec *now);

#endif /* HOSTWATCH_H */
