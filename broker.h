/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BROKER_H
#define BROKER_H

#include <stdbool.h>
#include <sys/types.h>

struct ctx;

void nsb_start(struct ctx *c);
bool nsb_running(void);
int nsb_socket(int af, int type, int proto);
int nsb_sockets(int af, int type, int proto, int *fds, int n);
ssize_t nsb_reply(int s, int err, int fd);
struct nlmsghdr;
int nsb_netlink(const struct nlmsghdr *nh);

#endif /* BROKER_H */
