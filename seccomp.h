/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SECCOMP_H
#define SECCOMP_H

#include <linux/filter.h>

/**
 * enum seccomp_list - Which allow-list: "syscalls(passt|pasta|broker):"
 */
enum seccomp_list {
	SECCOMP_PASST,
	SECCOMP_PASTA,
	SECCOMP_BROKER,		/* pasta's namespace broker, see broker.c */
	SECCOMP_LISTS,
};

const struct sock_fprog *seccomp_prog(enum seccomp_list list);
void seccomp_install(enum seccomp_list list);

#endif /* SECCOMP_H */
