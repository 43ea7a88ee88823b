/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SECCOMP_H
#define SECCOMP_H

#include <linux/filter.h>

#include "passt.h"

const struct sock_fprog *seccomp_prog(enum passt_mode mode);
void seccomp_install(enum passt_mode mode);

#endif /* SECCOMP_H */
