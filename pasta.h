/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PASTA_H
#define PASTA_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
struct conf_result;
struct ip4_ctx;
struct ip6_ctx;

void pasta_setup(struct ctx *c, const struct conf_result *r);
void pasta_release_child(struct ctx *c);
int pasta_child_handler(struct ctx *c);
bool pasta_netns_quit_check(const struct ctx *c);

void pasta_ns_follow(const struct ctx *c, const struct ip4_ctx *o4, bool on4,
		     const struct ip6_ctx *o6, bool on6);

#endif /* PASTA_H */
