/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef FWD_H
#define FWD_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "inany.h"

#define NUM_PORTS		(1U << 16)
#define FWD_RULES_MAX		128

/**
 * enum fwd_mode - How ports are chosen for one forwarding direction
 * @FWD_UNSET:	No option given yet: the mode's default applies
 * @FWD_NONE:	Nothing forwarded
 * @FWD_SPEC:	Ports listed explicitly
 * @FWD_AUTO:	Ports bound on the other side, found by periodic scan
 * @FWD_ALL:	Every non-ephemeral port, less exclusions
 */
enum fwd_mode {
	FWD_UNSET = 0,
	FWD_NONE,
	FWD_SPEC,
	FWD_AUTO,
	FWD_ALL,
};

/**
 * struct fwd_rule - One range of ports from a specification
 * @af:		AF_INET or AF_INET6 for a bind address, AF_UNSPEC for any
 * @addr:	Bind address, if @af is set
 * @ifname:	Interface to bind to, empty for any
 * @first:	First port listened on
 * @last:	Last port listened on
 * @to:		Port @first is forwarded to; the rest follow in order
 */
struct fwd_rule {
	sa_family_t af;
	union {
		struct in_addr a4;
		struct in6_addr a6;
	} addr;
	char ifname[IFNAMSIZ];
	uint16_t first;
	uint16_t last;
	uint16_t to;
};

/**
 * struct fwd_ports - Forwarding configuration for one protocol and direction
 * @mode:	Mode, see enum fwd_mode
 * @rule_count:	Number of entries in @rules
 * @rules:	Ranges as specified, with their bind address and interface
 * @map:	Bitmap of ports forwarded (exclusions already applied)
 * @excl:	Bitmap of ports excluded with ~
 * @delta:	Target port is (port + delta[port]) modulo 2^16
 * @rule_of:	Index in @rules of the rule forwarding each port
 * @automap:	Ports forwarded by the automatic scan, a subset of @map
 */
struct fwd_ports {
	enum fwd_mode mode;
	unsigned int rule_count;
	struct fwd_rule rules[FWD_RULES_MAX];
	uint8_t map[NUM_PORTS / 8];
	uint8_t excl[NUM_PORTS / 8];
	uint16_t delta[NUM_PORTS];
	uint8_t rule_of[NUM_PORTS];
	uint8_t automap[NUM_PORTS / 8];
};

int fwd_parse_spec(struct fwd_ports *fwd, const char *spec, bool allow_auto,
		   bool check_ifname, char *errbuf, size_t errlen);
bool fwd_port_is_fwd(const struct fwd_ports *fwd, uint16_t port);
uint16_t fwd_port_target(const struct fwd_ports *fwd, uint16_t port);
const struct fwd_rule *fwd_port_rule(const struct fwd_ports *fwd,
				     uint16_t port);
void fwd_ephemeral_range(uint16_t *first, uint16_t *last);

/**
 * enum fwd_dir - Forwarding options that open sockets, one set each
 * @FWD_TCP_IN:		-t: TCP listening sockets on the host
 * @FWD_UDP_IN:		-u: UDP sockets bound on the host
 * @FWD_TCP_OUT:	-T: TCP listening sockets in pasta's namespace
 * @FWD_UDP_OUT:	-U: UDP sockets bound in pasta's namespace
 * @FWD_DIRS:		Number of options
 */
enum fwd_dir {
	FWD_TCP_IN,
	FWD_UDP_IN,
	FWD_TCP_OUT,
	FWD_UDP_OUT,
	FWD_DIRS,
};

/**
 * enum fwd_addr_kind - What an address the guest uses is, for forwarding
 * @FWD_ADDR_UNICAST:		An ordinary unicast address
 * @FWD_ADDR_LOOPBACK:		127.0.0.0/8, ::1, interface-local multicast
 * @FWD_ADDR_UNSPECIFIED:	0.0.0.0/8, ::
 * @FWD_ADDR_MULTICAST:		224.0.0.0/4, ff00::/8 (beyond interface-local)
 * @FWD_ADDR_BROADCAST:		255.255.255.255, the guest subnet's broadcast
 * @FWD_ADDR_RESERVED:		240.0.0.0/4 (but the limited broadcast)
 * @FWD_ADDR_V4_IN_V6:		IPv4-mapped (::ffff:0:0/96) or IPv4-compatible
 *				(::/96) IPv6 address: IPv4 in disguise
 */
enum fwd_addr_kind {
	FWD_ADDR_UNICAST = 0,
	FWD_ADDR_LOOPBACK,
	FWD_ADDR_UNSPECIFIED,
	FWD_ADDR_MULTICAST,
	FWD_ADDR_BROADCAST,
	FWD_ADDR_RESERVED,
	FWD_ADDR_V4_IN_V6,
};

/**
 * struct fwd_target - Host side destination of what the guest sends
 * @sa:		Socket address to connect or send to
 * @sl:		Length of @sa
 * @to_lo:	@sa is the host's loopback, as a mapping or the DNS
 *		redirection defines it: no outbound binding (-o, --outbound-if*)
 */
struct fwd_target {
	union sockaddr_inany sa;
	socklen_t sl;
	bool to_lo;
};

struct ctx;
typedef int (*fwd_open_fn)(sa_family_t af, uint16_t port,
			   const struct fwd_rule *rule);
typedef void (*fwd_drop_fn)(struct ctx *c, int s);
void fwd_socks_register(enum fwd_dir dir, fwd_open_fn open, fwd_drop_fn drop);
void fwd_socks_init(struct ctx *c, bool in_ns);
enum fwd_addr_kind fwd_addr_kind(const struct ctx *c, sa_family_t af,
				 const void *addr);
void fwd_learn_addr4(struct ctx *c, in_addr_t saddr);
void fwd_learn_addr6(struct ctx *c, const struct in6_addr *saddr);
bool fwd_nat_from_tap(const struct ctx *c, sa_family_t af, const void *dst,
		      void *out);
void fwd_nat_to_tap(const struct ctx *c, const union inany_addr *peer,
		    union inany_addr *remote, union inany_addr *guest);
bool fwd_sockaddr_from_tap(const struct ctx *c, uint8_t proto, sa_family_t af,
			   const void *saddr, const void *daddr,
			   uint16_t dport, struct fwd_target *t);
bool fwd_splice_sockaddr(const struct ctx *c, sa_family_t af, uint16_t port,
			 bool lo, union sockaddr_inany *sa, socklen_t *sl);
void fwd_bind_outbound(const struct ctx *c, int s, sa_family_t af);
void fwd_auto_init(struct ctx *c);
void fwd_auto_scan(struct ctx *c);
bool fwd_dns_from_tap(const struct ctx *c, sa_family_t af, const void *dst,
		      uint16_t dport, void *out);

#endif /* FWD_H */
