/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PASTA_H
#define PASTA_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
struct conf_result;

void pasta_setup(struct ctx *c, const struct conf_result *r);
void pasta_release_child(struct ctx *c);
int pasta_child_handler(struct ctx *c);
bool pasta_netns_quit_check(const struct ctx *c);

#endif /* PASTA_H */
