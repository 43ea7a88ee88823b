/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PCAP_H
#define PCAP_H

#include <stddef.h>

void pcap_init(const char *path);
void pcap_frame(const void *frame, size_t len);

#endif /* PCAP_H */
