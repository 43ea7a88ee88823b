/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CONF_H
#define CONF_H

struct ctx;

/* Room for resolv.conf: what's beyond is ignored */
#define CONF_RESOLV_MAX		8192

/**
 * struct conf_result - What the command line asks pasta to do beyond ctx
 * @argc:	Number of positional arguments (command, or PID)
 * @argv:	Positional arguments
 */
struct conf_result {
	int argc;
	char **argv;
};

void conf(struct ctx *c, int argc, char **argv, struct conf_result *r);
void conf_host_open(void);
void conf_defaults(struct ctx *c);
void conf_refresh(struct ctx *c, const char *resolv);
void conf_print(const struct ctx *c);

#endif /* CONF_H */
