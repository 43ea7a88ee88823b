/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "packet.h"

struct ctx;

void dispatch_frames(struct ctx *c, const struct pool *frames,
		     const struct timespec *now);
bool dispatch_passt_handler(struct ctx *c, uint32_t events,
			    const struct timespec *now);
void dispatch_pasta_handler(struct ctx *c, uint32_t events,
			    const struct timespec *now);

#endif /* DISPATCH_H */
