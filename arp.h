/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ARP_H
#define ARP_H

#include <stdbool.h>
#include <stddef.h>

#include "packet.h"

struct ctx;

bool arp(struct ctx *c, const struct pool *frames, size_t idx);

#endif /* ARP_H */
