/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ISOLATION_H
#define ISOLATION_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/**
 * struct isolate_file - A file we created, to remove when we exit
 * @kept:	Set once recorded by isolate_file_keep()
 * @path:	Path as given, for messages
 * @dirfd:	O_PATH descriptor of its directory
 * @name:	Its name in that directory
 * @dev:	Device of the file we created, to leave a successor's alone
 * @ino:	Inode of the file we created
 */
struct isolate_file {
	bool kept;
	const char *path;
	int dirfd;
	char name[NAME_MAX + 1];
	dev_t dev;
	ino_t ino;
};

struct ctx;

void isolate_initial(struct ctx *c);
void isolate_file_keep(struct isolate_file *f, const char *path, int fd);
void isolate_file_remove(const struct isolate_file *f);
void isolate_sandbox(const struct ctx *c);
void isolate_broker(const struct ctx *c, int keep, bool net_admin);

#endif /* ISOLATION_H */
