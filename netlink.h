/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NETLINK_H
#define NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* nl_sock_ns once changes go through pasta's broker */
#define NL_SOCK_BROKER	(-2)

extern int nl_sock;
extern int nl_sock_ns;

void nl_sock_init(void);
int nl_sock_init_ns(void);
int nl_open(void);
void nl_sock_close(bool keep, bool via_broker);
int nl_relay(int s, void *buf, size_t size, unsigned int ifi);
int nl_sock_watch(void);
unsigned int nl_get_ext_if(int s, sa_family_t af);
int nl_route_get_def(int s, unsigned int ifi, sa_family_t af, void *gw);
int nl_addr_get(int s, unsigned int ifi, sa_family_t af, void *addr,
		int *prefix_len, void *addr_ll);
int nl_link_get_mac(int s, unsigned int ifi, uint8_t *mac);
int nl_link_get_name(int s, unsigned int ifi, char *name);
int nl_link_get_mtu(int s, unsigned int ifi, unsigned int *mtu);
int nl_link_set_mac(int s, unsigned int ifi, const uint8_t *mac);
int nl_link_set_mtu(int s, unsigned int ifi, unsigned int mtu);
int nl_link_up(int s, unsigned int ifi);
int nl_addr_set(int s, unsigned int ifi, sa_family_t af, const void *addr,
		int prefix_len);
int nl_addr_del(int s, unsigned int ifi, sa_family_t af, const void *addr,
		int prefix_len);
int nl_route_del_def(int s, unsigned int ifi, sa_family_t af);
int nl_route_set_def(int s, unsigned int ifi, sa_family_t af,
		     const void *gw);
int nl_route_set_onlink(int s, unsigned int ifi, sa_family_t af,
			const void *dst, int prefix_len);

#endif /* NETLINK_H */
