// SPDX-License-Identifier: GPL-2.0-or-later
/* fwd.c - Port forwarding specifications, and where what the guest sends goes
 *
 * A specification, as given to -t, -u, -T and -U, is one of "none", "auto"
 * (pasta: follow what is bound on the other side), "all" (every port outside
 * the ephemeral range), or a comma-separated list of items. The list may
 * start with a bind prefix, "ADDR/", "ADDR%IFNAME/" or "%IFNAME/", that
 * applies to every item of that specification. An item is a port or range
 * ("22", "1000-2000"), optionally mapped to another port or range of the
 * same size ("8080:80", "1000-1010:2000-2010"), or an exclusion ("~22",
 * "~1000-1010") that removes ports from the other items of the same
 * specification. A specification made of exclusions only (or "all" with
 * exclusions) forwards every other port outside the ephemeral range. Repeating the option adds
 * specifications; a port forwarded twice is an error.
 *
 * The result is kept twice: as a list of rules (what to bind, and where),
 * and as a bitmap with a per-port delta so that the data path finds the
 * target of any port in constant time.
 *
 * This file also decides where what the guest sends goes on the host side
 * (fwd_sockaddr_from_tap(), for every TCP SYN, new UDP flow and echo
 * request): only between unicast addresses, and to the host's loopback
 * only through the mapping that stands for it or the DNS redirection.
 * Loopback, unspecified, multicast (unless --forward-multicast, UDP),
 * broadcast and reserved addresses, as source or destination, are dropped,
 * and never taken as the guest's own address (fwd_learn_addr4(),
 * fwd_learn_addr6()).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "fwd.h"
#include "log.h"
#include "passt.h"
#include "util.h"

#define PORT_EPHEMERAL_FIRST_DEFAULT	32768
#define PORT_EPHEMERAL_LAST_DEFAULT	60999

/**
 * struct port_range - A parsed range of ports
 * @first:	First port
 * @last:	Last port
 */
struct port_range {
	unsigned long first;
	unsigned long last;
};

/**
 * fwd_ephemeral_range() - The kernel's ephemeral port range
 * @first:	Set to the first ephemeral port
 * @last:	Set to the last ephemeral port
 *
 * Read once, at start-up: the automatic scan asks again later, when the
 * file is out of reach (see isolation.c).
 */
void fwd_ephemeral_range(uint16_t *first, uint16_t *last)
{
	static uint16_t eph_first = PORT_EPHEMERAL_FIRST_DEFAULT;
	static uint16_t eph_last = PORT_EPHEMERAL_LAST_DEFAULT;
	static bool read_once;
	unsigned int a, b;
	FILE *f;

	if (!read_once) {
		read_once = true;
		f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
		if (f && fscanf(f, "%u %u", &a, &b) == 2 && a <= b &&
		    b < NUM_PORTS) {
			eph_first = (uint16_t)a;
			eph_last = (uint16_t)b;
		}
		if (f)
			fclose(f);
	}
	*first = eph_first;
	*last = eph_last;
}

/**
 * spec_err() - Format an error message for a specification
 * @errbuf:	Buffer for the message
 * @errlen:	Size of @errbuf
 * @fmt:	Format string
 *
 * Return: -1
 */
static int __attribute__((format(printf, 3, 4)))
spec_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/**
 * parse_port() - Parse one port number
 * @s:		String, parsing starts here
 * @end:	Set to the first character after the number
 * @port:	Set to the port
 *
 * Return: 0 on success, -ERANGE if above 65535, -EINVAL if not a number
 */
static int parse_port(const char *s, const char **end, unsigned long *port)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v >= NUM_PORTS) {
			while (*p >= '0' && *p <= '9')
				p++;
			*end = p;
			return -ERANGE;
		}
	}
	*end = p;
	*port = v;
	return 0;
}

/**
 * parse_range() - Parse a port or a range of ports, "P" or "P-Q"
 * @s:		String, parsing starts here
 * @end:	Set to the first character after the range
 * @r:		Set to the range
 * @item:	Whole item, for messages
 * @errbuf:	Buffer for error messages
 * @errlen:	Size of @errbuf
 *
 * Return: 0 on success, -1 on error with @errbuf set
 */
static int parse_range(const char *s, const char **end, struct port_range *r,
		       const char *item, char *errbuf, size_t errlen)
{
	const char *p;
	int rc;

	rc = parse_port(s, &p, &r->first);
	if (rc == -ERANGE)
		return spec_err(errbuf, errlen,
				"port out of range in \"%s\": ports must be below 65536",
				item);
	if (rc)
		return spec_err(errbuf, errlen, "invalid port in \"%s\"",
				item);

	if (*p == '-') {
		rc = parse_port(p + 1, &p, &r->last);
		if (rc == -ERANGE)
			return spec_err(errbuf, errlen,
					"port out of range in \"%s\": ports must be below 65536",
					item);
		if (rc)
			return spec_err(errbuf, errlen,
					"invalid port range \"%s\"", item);
		if (r->last < r->first)
			return spec_err(errbuf, errlen,
					"reversed port range \"%s\"", item);
	} else {
		r->last = r->first;
	}

	if (r->first == 0)
		return spec_err(errbuf, errlen, "port 0 is not valid in \"%s\"",
				item);
	*end = p;
	return 0;
}

/**
 * parse_prefix() - Parse the bind prefix of a specification
 * @prefix:	Text before the '/', modified (interface part cut off)
 * @rule:	Rule template: address and interface are set here
 * @spec:	Whole specification, for messages
 * @check_ifname: Check that the interface exists
 * @errbuf:	Buffer for error messages
 * @errlen:	Size of @errbuf
 *
 * Return: 0 on success, -1 on error with @errbuf set
 */
static int parse_prefix(char *prefix, struct fwd_rule *rule, const char *spec,
			bool check_ifname, char *errbuf, size_t errlen)
{
	char *ifname = strchr(prefix, '%');

	if (ifname) {
		*ifname++ = '\0';
		if (!*ifname || strlen(ifname) >= IFNAMSIZ)
			return spec_err(errbuf, errlen,
					"invalid interface name in \"%s\"",
					spec);
		if (check_ifname && !if_nametoindex(ifname))
			return spec_err(errbuf, errlen,
					"no such interface \"%s\" in \"%s\"",
					ifname, spec);
		strcpy(rule->ifname, ifname);
	}

	if (!*prefix)
		return 0;

	if (inet_pton(AF_INET, prefix, &rule->addr.a4) == 1)
		rule->af = AF_INET;
	else if (inet_pton(AF_INET6, prefix, &rule->addr.a6) == 1)
		rule->af = AF_INET6;
	else
		return spec_err(errbuf, errlen,
				"invalid bind address \"%s\" in \"%s\"",
				prefix, spec);
	return 0;
}

/**
 * fwd_add_range() - Mark a range forwarded, minus exclusions
 * @fwd:	Forwarding configuration
 * @rule:	Rule to add (first, last, to set; bind prefix set)
 * @excl:	Exclusions of this specification
 * @spec:	Whole specification, for messages
 * @errbuf:	Buffer for error messages
 * @errlen:	Size of @errbuf
 *
 * Return: 0 on success, -1 on error with @errbuf set
 */
static int fwd_add_range(struct fwd_ports *fwd, const struct fwd_rule *rule,
			 const uint8_t *excl, const char *spec,
			 char *errbuf, size_t errlen)
{
	unsigned int port;

	if (fwd->rule_count >= FWD_RULES_MAX)
		return spec_err(errbuf, errlen,
				"too many port ranges (at most %u) at \"%s\"",
				FWD_RULES_MAX, spec);

	for (port = rule->first; port <= rule->last; port++) {
		if (bitmap_isset(excl, port))
			continue;
		if (bitmap_isset(fwd->map, port))
			return spec_err(errbuf, errlen,
					"port %u forwarded twice, at \"%s\"",
					port, spec);
	}

	for (port = rule->first; port <= rule->last; port++) {
		if (bitmap_isset(excl, port))
			continue;
		bitmap_set(fwd->map, port);
		fwd->delta[port] = (uint16_t)(rule->to - rule->first);
		fwd->rule_of[port] = (uint8_t)fwd->rule_count;
	}

	fwd->rules[fwd->rule_count++] = *rule;
	return 0;
}

/**
 * fwd_parse_spec() - Parse one port forwarding specification, add to @fwd
 * @fwd:	Forwarding configuration, zeroed before the first call
 * @spec:	Specification string
 * @allow_auto:	Whether "auto" is accepted (pasta)
 * @check_ifname: Check that an interface in the bind prefix exists here
 * @errbuf:	Buffer for an error message, without the option name
 * @errlen:	Size of @errbuf
 *
 * Return: 0 on success, -1 on error with @errbuf set
 */
int fwd_parse_spec(struct fwd_ports *fwd, const char *spec, bool allow_auto,
		   bool check_ifname, char *errbuf, size_t errlen)
{
	static uint8_t excl[NUM_PORTS / 8];
	bool only_excl = true, all = false, any_item = false;
	char buf[BUFSIZ], *items, *slash, *item, *save;
	struct fwd_rule tmpl = { .af = AF_UNSPEC };
	unsigned int i;

	if (!*spec)
		return spec_err(errbuf, errlen, "empty port specification");
	if (strlen(spec) >= sizeof(buf))
		return spec_err(errbuf, errlen, "port specification too long");

	if (!strcmp(spec, "none")) {
		if (fwd->mode != FWD_UNSET && fwd->mode != FWD_NONE)
			return spec_err(errbuf, errlen,
					"\"none\" conflicts with ports given before");
		fwd->mode = FWD_NONE;
		return 0;
	}
	if (fwd->mode == FWD_NONE)
		return spec_err(errbuf, errlen,
				"\"%s\" conflicts with \"none\" given before",
				spec);

	strcpy(buf, spec);
	items = buf;
	slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (parse_prefix(buf, &tmpl, spec, check_ifname, errbuf,
				 errlen))
			return -1;
		items = slash + 1;
	}

	/* First pass: keywords and exclusions, which apply to every item */
	memset(excl, 0, sizeof(excl));
	strcpy(errbuf, "");
	{
		char copy[BUFSIZ];

		strcpy(copy, items);
		for (item = strtok_r(copy, ",", &save); item;
		     item = strtok_r(NULL, ",", &save)) {
			struct port_range r;
			const char *end;

			any_item = true;
			if (!strcmp(item, "all")) {
				all = true;
				continue;
			}
			if (!strcmp(item, "auto")) {
				if (!allow_auto)
					return spec_err(errbuf, errlen,
							"\"auto\" is only valid for pasta");
				fwd->mode = FWD_AUTO;
				continue;
			}
			if (!strcmp(item, "none"))
				return spec_err(errbuf, errlen,
						"\"none\" can't be combined with other ports in \"%s\"",
						spec);
			if (*item != '~') {
				only_excl = false;
				continue;
			}
			if (parse_range(item + 1, &end, &r, item, errbuf,
					errlen))
				return -1;
			if (*end)
				return spec_err(errbuf, errlen,
						"invalid exclusion \"%s\"",
						item);
			for (i = r.first; i <= r.last; i++)
				bitmap_set(excl, i);
		}
	}
	if (!any_item)
		return spec_err(errbuf, errlen,
				"empty port specification \"%s\"", spec);

	/* Keep user exclusions: "auto" must skip them too */
	for (i = 0; i < sizeof(excl); i++)
		fwd->excl[i] |= excl[i];

	/* Second pass: port items */
	for (item = strtok_r(items, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		struct port_range from, to;
		struct fwd_rule rule = tmpl;
		const char *end;

		if (*item == '~' || !strcmp(item, "all") ||
		    !strcmp(item, "auto"))
			continue;

		if (parse_range(item, &end, &from, item, errbuf, errlen))
			return -1;
		if (*end == ':') {
			if (parse_range(end + 1, &end, &to, item, errbuf,
					errlen))
				return -1;
			if (to.last - to.first != from.last - from.first)
				return spec_err(errbuf, errlen,
						"mismatched port range sizes in \"%s\"",
						item);
		} else {
			to = from;
		}
		if (*end)
			return spec_err(errbuf, errlen,
					"invalid port specification \"%s\"",
					item);

		rule.first = (uint16_t)from.first;
		rule.last = (uint16_t)from.last;
		rule.to = (uint16_t)to.first;
		if (fwd_add_range(fwd, &rule, excl, spec, errbuf, errlen))
			return -1;
	}

	if (all || (only_excl && fwd->mode != FWD_AUTO)) {
		struct fwd_rule rule = tmpl;
		uint16_t eph_first, eph_last;
		unsigned int p;

		/* "all", or a list of bare exclusions, means every port
		 * outside the ephemeral range: listening there would take
		 * ports the host needs for its own outbound connections.
		 */
		fwd_ephemeral_range(&eph_first, &eph_last);
		for (p = eph_first; p <= eph_last; p++)
			bitmap_set(excl, p);
		/* Ports already forwarded explicitly keep their mapping */
		for (p = 1; p < NUM_PORTS; p++) {
			if (bitmap_isset(fwd->map, p))
				bitmap_set(excl, p);
		}
		rule.first = 1;
		rule.last = NUM_PORTS - 1;
		rule.to = 1;
		if (fwd_add_range(fwd, &rule, excl, spec, errbuf, errlen))
			return -1;
		if (fwd->mode != FWD_AUTO)
			fwd->mode = all ? FWD_ALL : FWD_SPEC;
	} else if (fwd->mode != FWD_AUTO && fwd->mode != FWD_ALL) {
		fwd->mode = FWD_SPEC;
	}

	return 0;
}

/**
 * fwd_port_is_fwd() - Check whether a port is forwarded
 * @fwd:	Forwarding configuration
 * @port:	Port
 *
 * Return: true if @port is forwarded
 */
bool fwd_port_is_fwd(const struct fwd_ports *fwd, uint16_t port)
{
	return bitmap_isset(fwd->map, port);
}

/**
 * fwd_port_target() - Port a forwarded port maps to
 * @fwd:	Forwarding configuration
 * @port:	Port listened on
 *
 * Return: port to forward to
 */
uint16_t fwd_port_target(const struct fwd_ports *fwd, uint16_t port)
{
	return (uint16_t)(port + fwd->delta[port]);
}

/**
 * fwd_port_rule() - Find the rule a forwarded port comes from
 * @fwd:	Forwarding configuration
 * @port:	Port listened on
 *
 * Return: the rule, NULL if the port is not forwarded
 */
const struct fwd_rule *fwd_port_rule(const struct fwd_ports *fwd,
				     uint16_t port)
{
	if (!bitmap_isset(fwd->map, port))
		return NULL;
	return &fwd->rules[fwd->rule_of[port]];
}

/**
 * struct fwd_socks - The sockets of one forwarding option
 * @epoll_type:	enum epoll_type of the sockets: their epoll reference
 *		carries the port, and the family index from bit 16
 * @in_ns:	Opened in pasta's namespace (-T, -U), not on the host
 * @tcp:	TCP (-t, -T) rather than UDP (-u, -U)
 * @verb:	What opening one does, for messages: "listen on TCP", ...
 * @open:	Opens a socket for a family, a port and its rule, registered
 *		by the protocol (fwd_socks_register())
 * @drop:	Called before a socket is closed, to drop what uses it: NULL
 *		if nothing does
 * @fds:	Sockets by family index and port, -1 if none
 */
static struct fwd_socks {
	unsigned int epoll_type;
	bool in_ns;
	bool tcp;
	const char *verb;
	fwd_open_fn open;
	fwd_drop_fn drop;
	int fds[2][NUM_PORTS];
} fwd_socks[FWD_DIRS] = {
	[FWD_TCP_IN]	= { EPOLL_TYPE_TCP_LISTEN,	false, true,
			    "listen on TCP",	NULL, NULL, { { 0 } } },
	[FWD_UDP_IN]	= { EPOLL_TYPE_UDP_LISTEN,	false, false,
			    "bind UDP",		NULL, NULL, { { 0 } } },
	[FWD_TCP_OUT]	= { EPOLL_TYPE_TCP_LISTEN_NS,	true, true,
			    "listen on TCP",	NULL, NULL, { { 0 } } },
	[FWD_UDP_OUT]	= { EPOLL_TYPE_UDP_LISTEN_NS,	true, false,
			    "bind UDP",		NULL, NULL, { { 0 } } },
};

/**
 * fwd_of() - Forwarding configuration of an option
 * @c:		Execution context
 * @dir:	Which option
 *
 * Return: the configuration
 */
static struct fwd_ports *fwd_of(struct ctx *c, enum fwd_dir dir)
{
	switch (dir) {
	case FWD_TCP_IN:
		return &c->tcp_in;
	case FWD_UDP_IN:
		return &c->udp_in;
	case FWD_TCP_OUT:
		return &c->tcp_out;
	default:
		return &c->udp_out;
	}
}

/**
 * fwd_socks_register() - A protocol says how to open its forwarded sockets
 * @dir:	Which option
 * @open:	Opens a socket bound (and listening, for TCP) to a port
 * @drop:	Called with each socket about to be closed, or NULL
 */
void fwd_socks_register(enum fwd_dir dir, fwd_open_fn open, fwd_drop_fn drop)
{
	fwd_socks[dir].open = open;
	fwd_socks[dir].drop = drop;
	memset(fwd_socks[dir].fds, 0xff, sizeof(fwd_socks[dir].fds));
}

/**
 * struct fwd_open_arg - A socket for a forwarded port, to open
 * @open:	Function the protocol registered
 * @af:		Address family
 * @port:	Port
 * @rule:	Rule of the port, NULL if none
 */
struct fwd_open_arg {
	fwd_open_fn open;
	sa_family_t af;
	uint16_t port;
	const struct fwd_rule *rule;
};

/**
 * fwd_open() - Open one socket, see ns_sock()
 * @arg:	struct fwd_open_arg
 *
 * Return: the socket, -1 on failure
 */
static int fwd_open(const void *arg)
{
	const struct fwd_open_arg *a = arg;

	return a->open(a->af, a->port, a->rule);
}

/**
 * fwd_port_open() - Open the sockets of a forwarded port, for each family
 * @c:		Execution context
 * @dir:	Which option
 * @port:	Port
 *
 * Families are skipped if disabled, or if the port's rule binds to an
 * address of the other family. Sockets already open count as opened.
 *
 * Return: number of sockets for @port now (0 to 2)
 *
 * syscalls(pasta): close
 */
static unsigned int fwd_port_open(struct ctx *c, enum fwd_dir dir,
				  uint16_t port)
{
	const struct fwd_rule *rule = fwd_port_rule(fwd_of(c, dir), port);
	struct fwd_socks *fs = &fwd_socks[dir];
	unsigned int ok = 0;
	int i;

	for (i = 0; i < 2; i++) {
		union epoll_ref ref = { .type = fs->epoll_type,
					.data = port | (uint32_t)i << 16 };
		struct fwd_open_arg a = { .open = fs->open, .port = port,
					  .rule = rule };
		int s;

		a.af = i ? AF_INET6 : AF_INET;
		if ((a.af == AF_INET && !c->ifi4) ||
		    (a.af == AF_INET6 && !c->ifi6) ||
		    (rule && rule->af != AF_UNSPEC && rule->af != a.af))
			continue;
		if (fs->fds[i][port] >= 0) {
			ok++;
			continue;
		}

		s = ns_sock(c, fs->in_ns, fwd_open, &a);
		if (s < 0)
			continue;
		ref.fd = s;
		if (epoll_add(c, EPOLLIN, ref)) {
			close(s);
			continue;
		}
		fs->fds[i][port] = s;
		ok++;
	}
	return ok;
}

/**
 * fwd_port_close() - Close the sockets of a forwarded port
 * @c:		Execution context
 * @dir:	Which option
 * @port:	Port
 *
 * syscalls(pasta): close
 */
static void fwd_port_close(struct ctx *c, enum fwd_dir dir, uint16_t port)
{
	struct fwd_socks *fs = &fwd_socks[dir];
	int i;

	for (i = 0; i < 2; i++) {
		int s = fs->fds[i][port];

		if (s < 0)
			continue;
		if (fs->drop)
			fs->drop(c, s);
		epoll_del(c, s);
		close(s);
		fs->fds[i][port] = -1;
	}
}

/**
 * fwd_socks_off() - Is a protocol switched off?
 * @c:		Execution context
 * @dir:	Which option
 *
 * Return: true for --no-tcp with -t or -T, --no-udp with -u or -U
 */
static bool fwd_socks_off(const struct ctx *c, enum fwd_dir dir)
{
	return fwd_socks[dir].tcp ? c->no_tcp : c->no_udp;
}

/**
 * fwd_socks_init() - Open the sockets of the ports forwarded by number
 *		      (alone or alongside "auto") or with "all", on the host
 *		      or in pasta's namespace
 * @c:		Execution context
 * @in_ns:	The namespace's (-T, -U, pasta only), else the host's (-t, -u)
 *
 * A port asked for by number must work: failing that is fatal. With "all",
 * ports that can't be had are counted and skipped. With "auto", only the
 * ports given by number are opened here (the scan leaves them alone), the
 * rest follows the other side (fwd_auto_scan()).
 */
void fwd_socks_init(struct ctx *c, bool in_ns)
{
	enum fwd_dir dir;

	if (in_ns && c->mode != MODE_PASTA)
		return;

	for (dir = 0; dir < FWD_DIRS; dir++) {
		const struct fwd_socks *fs = &fwd_socks[dir];
		const struct fwd_ports *fwd = fwd_of(c, dir);
		unsigned int port, failed = 0, ok = 0;

		if (fs->in_ns != in_ns || fwd_socks_off(c, dir) ||
		    (fwd->mode != FWD_SPEC && fwd->mode != FWD_ALL &&
		     fwd->mode != FWD_AUTO))
			continue;

		for (port = 1; port < NUM_PORTS; port++) {
			if (!fwd_port_is_fwd(fwd, (uint16_t)port))
				continue;
			if (fwd_port_open(c, dir, (uint16_t)port)) {
				ok++;
				continue;
			}
			if (fwd->mode != FWD_ALL && in_ns)
				die("Can't %s port %u in the namespace",
				    fs->verb, port);
			if (fwd->mode != FWD_ALL)
				die("Can't %s port %u: %s", fs->verb, port,
				    strerror(errno));
			failed++;
		}

		if (failed && !in_ns)
			warn("%s: couldn't %s %u of %u forwarded ports",
			     fs->tcp ? "TCP" : "UDP",
			     fs->tcp ? "listen on" : "bind", failed,
			     failed + ok);
	}
}

/* Names of enum fwd_addr_kind, for messages */
static const char *const fwd_addr_kind_str[] = {
	[FWD_ADDR_UNICAST]	= "unicast",
	[FWD_ADDR_LOOPBACK]	= "loopback",
	[FWD_ADDR_UNSPECIFIED]	= "unspecified",
	[FWD_ADDR_MULTICAST]	= "multicast",
	[FWD_ADDR_BROADCAST]	= "broadcast",
	[FWD_ADDR_RESERVED]	= "reserved",
	[FWD_ADDR_V4_IN_V6]	= "IPv4 in IPv6",
};

/**
 * fwd_addr4_kind() - What an IPv4 address is, see enum fwd_addr_kind
 * @c:		Execution context: the guest's subnet, for its broadcast
 * @a:		Address
 *
 * Return: the kind of address
 */
static enum fwd_addr_kind fwd_addr4_kind(const struct ctx *c,
					 struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);
	int plen = c->ip4.prefix_len;

	if ((h >> IN_CLASSA_NSHIFT) == IN_LOOPBACKNET)
		return FWD_ADDR_LOOPBACK;
	if (!(h >> IN_CLASSA_NSHIFT))	/* "This network", RFC 1122, 3.2.1.3 */
		return FWD_ADDR_UNSPECIFIED;
	if (IN_MULTICAST(h))
		return FWD_ADDR_MULTICAST;
	if (h == INADDR_BROADCAST)
		return FWD_ADDR_BROADCAST;
	if (IN_BADCLASS(h))
		return FWD_ADDR_RESERVED;

	/* Directed broadcast of the guest's subnet (none for /31, /32) */
	if (plen > 0 && plen < 31) {
		uint32_t host = (1U << (32 - plen)) - 1;
		uint32_t net = ntohl(c->ip4.addr.s_addr) & ~host;

		if ((h & ~host) == net && (h & host) == host)
			return FWD_ADDR_BROADCAST;
	}
	return FWD_ADDR_UNICAST;
}

/**
 * fwd_addr6_kind() - What an IPv6 address is, see enum fwd_addr_kind
 * @a:		Address
 *
 * Return: the kind of address
 */
static enum fwd_addr_kind fwd_addr6_kind(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return FWD_ADDR_UNSPECIFIED;
	if (IN6_IS_ADDR_LOOPBACK(a))
		return FWD_ADDR_LOOPBACK;
	/* The socket layer would send these over IPv4, or could */
	if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
		return FWD_ADDR_V4_IN_V6;
	if (IN6_IS_ADDR_MULTICAST(a)) {
		/* Scope, RFC 4291, 2.7: 0 reserved, 1 interface-local */
		switch (a->s6_addr[1] & 0x0f) {
		case 0:
			return FWD_ADDR_RESERVED;
		case 1:
			return FWD_ADDR_LOOPBACK;
		default:
			return FWD_ADDR_MULTICAST;
		}
	}
	return FWD_ADDR_UNICAST;
}

/**
 * fwd_addr_kind() - What an address from or for the guest is
 * @c:		Execution context
 * @af:		Address family
 * @addr:	Address, struct in_addr or struct in6_addr
 *
 * Return: the kind of address, see enum fwd_addr_kind
 */
enum fwd_addr_kind fwd_addr_kind(const struct ctx *c, sa_family_t af,
				 const void *addr)
{
	if (af == AF_INET) {
		struct in_addr a;

		memcpy(&a, addr, sizeof(a));
		return fwd_addr4_kind(c, a);
	}
	return fwd_addr6_kind(addr);
}

/**
 * fwd_learn_addr4() - Note the IPv4 source address the guest uses
 * @c:		Execution context
 * @saddr:	Source address, network order
 *
 * Replies go to the address the guest uses, which may not be the one we
 * offered; say so in the log when it changes to something unexpected, at
 * a bounded rate: the guest may change it with every frame. Only unicast
 * addresses are taken.
 */
void fwd_learn_addr4(struct ctx *c, in_addr_t saddr)
{
	char buf[INET_ADDRSTRLEN], want[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = saddr };

	if (saddr == c->ip4.addr_seen.s_addr ||
	    fwd_addr4_kind(c, a) != FWD_ADDR_UNICAST)
		return;
	c->ip4.addr_seen = a;
	if (saddr == c->ip4.addr.s_addr)
		return;
	info_ratelimit("Guest uses IPv4 address %s, not %s: replies go there",
		       inet_ntop(AF_INET, &a, buf, sizeof(buf)),
		       inet_ntop(AF_INET, &c->ip4.addr, want, sizeof(want)));
}

/**
 * fwd_learn_addr6() - Note the IPv6 source address the guest uses
 * @c:		Execution context
 * @saddr:	Source address
 *
 * A link-local address and a global one are kept apart: replies from a
 * link-local address go to the guest's link-local one. Only unicast
 * addresses are taken (not the unspecified address of duplicate address
 * detection, for one).
 */
void fwd_learn_addr6(struct ctx *c, const struct in6_addr *saddr)
{
	if (fwd_addr6_kind(saddr) != FWD_ADDR_UNICAST)
		return;
	if (IN6_IS_ADDR_LINKLOCAL(saddr))
		c->ip6.addr_ll_seen = *saddr;
	else
		c->ip6.addr_seen = *saddr;
}

/**
 * fwd_nat_from_tap() - Host side address for a destination the guest used
 * @c:		Execution context
 * @af:		Address family
 * @dst:	Destination address as the guest sent it
 * @out:	Set to the address the host socket uses
 *
 * The address that stands for the host's loopback (by default the
 * gateway, unless --no-map-gw) becomes the loopback address, and the
 * --map-guest-addr address becomes the host's own address.
 *
 * Return: true if @dst stands for the host's loopback and @out is now
 *	   the loopback address, false otherwise (whatever @out is)
 */
bool fwd_nat_from_tap(const struct ctx *c, sa_family_t af, const void *dst,
		      void *out)
{
	if (af == AF_INET) {
		const struct in_addr *d = dst;
		struct in_addr *o = out;

		*o = *d;
		if (!c->no_map_gw && c->ip4.map_host_loopback.s_addr &&
		    d->s_addr == c->ip4.map_host_loopback.s_addr) {
			o->s_addr = htonl(INADDR_LOOPBACK);
			return true;
		}
		if (c->ip4.map_guest_addr.s_addr &&
		    d->s_addr == c->ip4.map_guest_addr.s_addr)
			*o = c->ip4.addr;
		return false;
	} else {
		const struct in6_addr *d = dst;
		struct in6_addr *o = out;

		*o = *d;
		if (!c->no_map_gw &&
		    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_loopback) &&
		    IN6_ARE_ADDR_EQUAL(d, &c->ip6.map_host_loopback)) {
			*o = in6addr_loopback;
			return true;
		}
		if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_guest_addr) &&
		    IN6_ARE_ADDR_EQUAL(d, &c->ip6.map_guest_addr))
			*o = c->ip6.addr;
		return false;
	}
}

/**
 * fwd_nat_to_tap() - Address the guest sees for a host side peer
 * @c:		Execution context
 * @peer:	Peer address of a host socket (IPv4 as IPv4-mapped)
 * @remote:	Set to the address the guest sees the traffic from
 * @guest:	Set to the guest's address to send to
 *
 * The host's loopback, and the host's own address (which the guest has
 * too, by default), can't be seen as such by the guest: they appear as
 * the address that stands for the host (--map-host-loopback, by default
 * the gateway), or --map-guest-addr for the host's own address.
 */
void fwd_nat_to_tap(const struct ctx *c, const union inany_addr *peer,
		    union inany_addr *remote, union inany_addr *guest)
{
	*remote = *peer;

	if (inany_is_v4(peer)) {
		struct in_addr a = peer->v4mapped.a4, m;

		if ((ntohl(a.s_addr) >> 24) == IN_LOOPBACKNET ||
		    a.s_addr == c->ip4.addr_seen.s_addr ||
		    a.s_addr == c->ip4.addr.s_addr) {
			m = c->ip4.map_host_loopback.s_addr ?
			    c->ip4.map_host_loopback : c->ip4.gw;
			if ((ntohl(a.s_addr) >> 24) != IN_LOOPBACKNET &&
			    c->ip4.map_guest_addr.s_addr)
				m = c->ip4.map_guest_addr;
			inany_from_af(remote, AF_INET, &m);
		}
		inany_from_af(guest, AF_INET, &c->ip4.addr_seen);
		return;
	}

	if (IN6_IS_ADDR_LOOPBACK(&peer->a6) ||
	    IN6_ARE_ADDR_EQUAL(&peer->a6, &c->ip6.addr_seen) ||
	    IN6_ARE_ADDR_EQUAL(&peer->a6, &c->ip6.addr)) {
		const struct in6_addr *m =
			!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_loopback) ?
			&c->ip6.map_host_loopback : &c->ip6.gw;

		if (!IN6_IS_ADDR_LOOPBACK(&peer->a6) &&
		    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_guest_addr))
			m = &c->ip6.map_guest_addr;
		inany_from_af(remote, AF_INET6, m);
	}

	/* A link-local source needs a link-local destination */
	if (IN6_IS_ADDR_LINKLOCAL(&remote->a6) &&
	    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr_ll_seen))
		inany_from_af(guest, AF_INET6, &c->ip6.addr_ll_seen);
	else if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr_seen))
		inany_from_af(guest, AF_INET6, &c->ip6.addr_seen);
	else
		inany_from_af(guest, AF_INET6, &c->ip6.addr);
}

/**
 * fwd_dns_from_tap() - Redirect DNS the guest sends to --dns-forward
 * @c:		Execution context
 * @af:		Address family
 * @dst:	Destination address as the guest sent it
 * @dport:	Destination port, host order
 * @out:	Host side address so far (from fwd_nat_from_tap()), changed
 *		to the host's resolver for DNS to the --dns-forward address
 *
 * Return: true if redirected
 */
bool fwd_dns_from_tap(const struct ctx *c, sa_family_t af, const void *dst,
		      uint16_t dport, void *out)
{
	if (dport != 53)
		return false;

	if (af == AF_INET) {
		const struct in_addr *d = dst;

		if (!c->ip4.dns_match.s_addr ||
		    d->s_addr != c->ip4.dns_match.s_addr ||
		    !c->ip4.dns_host.s_addr)
			return false;
		memcpy(out, &c->ip4.dns_host, sizeof(c->ip4.dns_host));
		return true;
	}

	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_match) ||
	    !IN6_ARE_ADDR_EQUAL((const struct in6_addr *)dst,
				&c->ip6.dns_match) ||
	    IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_host))
		return false;
	memcpy(out, &c->ip6.dns_host, sizeof(c->ip6.dns_host));
	return true;
}

/* Automatic forwarding: /proc/net files of each side, kept open */
enum { SCAN_TCP, SCAN_TCP6, SCAN_UDP, SCAN_UDP6, SCAN_FILES };
static const char *const scan_paths[SCAN_FILES] = {
	"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6",
};
static int scan_host[SCAN_FILES] = { -1, -1, -1, -1 };
static int scan_ns[SCAN_FILES] = { -1, -1, -1, -1 };

#define SCAN_STATE_TCP_LISTEN	0x0a
#define SCAN_STATE_UDP_UNCONN	0x07

/**
 * fwd_scan_open() - Open the /proc/net files of the current namespace
 * @fds:	Set to the descriptors
 */
static void fwd_scan_open(int *fds)
{
	int i;

	for (i = 0; i < SCAN_FILES; i++)
		fds[i] = open(scan_paths[i], O_RDONLY | O_CLOEXEC);
}

/**
 * fwd_scan_open_ns() - In the namespace: open its /proc/net files
 * @c:		Execution context, unused
 * @fds:	Set to the descriptors
 *
 * Return: 0
 */
static int fwd_scan_open_ns(struct ctx *c, void *fds)
{
	(void)c;
	fwd_scan_open(fds);
	return 0;
}

/**
 * fwd_scan() - Find ports in a given state in a /proc/net/{tcp,udp}* file
 * @fd:		Descriptor of the file, read from the start
 * @state:	Socket state to look for
 * @map:	Bitmap: set for each local port found
 *
 * syscalls(pasta): pread64
 */
static void fwd_scan(int fd, unsigned int state, uint8_t *map)
{
	static char buf[65536];
	size_t have = 0;
	off_t off = 0;
	bool header = true;

	if (fd < 0)
		return;

	for (;;) {
		ssize_t n = pread(fd, buf + have, sizeof(buf) - have - 1, off);
		char *line, *nl;

		if (n <= 0)
			break;
		off += n;
		have += (size_t)n;
		buf[have] = '\0';

		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			unsigned int port, st;
			char *colon;

			*nl = '\0';
			if (header) {
				header = false;
				continue;
			}
			/* "  N: ADDR:PORT ADDR:PORT ST ..." */
			colon = strchr(line, ':');
			if (!colon)
				continue;
			colon = strchr(colon + 1, ':');
			if (!colon ||
			    sscanf(colon + 1, "%x %*x:%*x %x", &port, &st) != 2)
				continue;
			if (st == state && port && port < NUM_PORTS)
				bitmap_set(map, port);
		}

		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have >= sizeof(buf) - 1)
			have = 0;	/* A line this long isn't ours */
	}
}

/**
 * fwd_auto_init() - Open what automatic forwarding reads, on both sides
 * @c:		Execution context
 */
void fwd_auto_init(struct ctx *c)
{
	if (c->mode != MODE_PASTA)
		return;
	if (c->tcp_in.mode != FWD_AUTO && c->tcp_out.mode != FWD_AUTO &&
	    c->udp_in.mode != FWD_AUTO && c->udp_out.mode != FWD_AUTO)
		return;
	fwd_scan_open(scan_host);
	ns_call(c, fwd_scan_open_ns, scan_ns);
	fwd_auto_scan(c);
}

/**
 * fwd_auto_apply() - Follow the scanned set of ports for one option
 * @c:		Execution context
 * @dir:	Which option, in FWD_AUTO mode
 * @want:	Ports to forward now
 */
static void fwd_auto_apply(struct ctx *c, enum fwd_dir dir,
			   const uint8_t *want)
{
	struct fwd_ports *fwd = fwd_of(c, dir);
	unsigned int port;

	for (port = 1; port < NUM_PORTS; port++) {
		unsigned int b = port / 8;
		bool on = bitmap_isset(fwd->automap, port);
		bool w = bitmap_isset(want, port) &&
			 !bitmap_isset(fwd->excl, port);

		if ((want[b] & ~fwd->excl[b]) == fwd->automap[b]) {
			port |= 7;	/* No change for this byte's ports */
			continue;
		}
		if (w == on)
			continue;
		if (!on && bitmap_isset(fwd->map, port))
			continue;	/* Forwarded explicitly: not ours */
		if (w) {
			bitmap_set(fwd->map, port);
			fwd->delta[port] = 0;
			fwd->rule_of[port] = 0;
			if (fwd_port_open(c, dir, (uint16_t)port)) {
				bitmap_set(fwd->automap, port);
				debug("Forwarding port %u automatically",
				      port);
			} else {
				bitmap_clear(fwd->map, port);
			}
		} else {
			fwd_port_close(c, dir, (uint16_t)port);
			bitmap_clear(fwd->map, port);
			bitmap_clear(fwd->automap, port);
			debug("No longer forwarding port %u", port);
		}
	}
}

/**
 * fwd_auto_scan() - Periodic: forward what's bound on the other side
 * @c:		Execution context
 *
 * For -t auto, ports listening in the namespace are forwarded from the
 * host; for -T auto, ports listening on the host are forwarded from the
 * namespace; for -u auto and -U auto, UDP ports bound on the other side
 * (outside the ephemeral range, where clients' sockets live). Our own
 * sockets on each side (the ports of the opposite option) are left out,
 * so the two directions never chase each other.
 */
void fwd_auto_scan(struct ctx *c)
{
	/* The option forwarding the other way, with the same protocol */
	static const enum fwd_dir opposite[FWD_DIRS] = {
		[FWD_TCP_IN] = FWD_TCP_OUT,	[FWD_TCP_OUT] = FWD_TCP_IN,
		[FWD_UDP_IN] = FWD_UDP_OUT,	[FWD_UDP_OUT] = FWD_UDP_IN,
	};
	static uint8_t want[NUM_PORTS / 8];
	enum fwd_dir dir;
	unsigned int p;

	if (c->mode != MODE_PASTA)
		return;

	for (dir = 0; dir < FWD_DIRS; dir++) {
		const struct fwd_socks *fs = &fwd_socks[dir];
		/* Sockets we open in the namespace follow the host's */
		const int *scan = fs->in_ns ? scan_host : scan_ns;
		const uint8_t *ours = fwd_of(c, opposite[dir])->map;

		if (fwd_of(c, dir)->mode != FWD_AUTO || fwd_socks_off(c, dir))
			continue;

		memset(want, 0, sizeof(want));
		if (fs->tcp) {
			fwd_scan(scan[SCAN_TCP], SCAN_STATE_TCP_LISTEN, want);
			fwd_scan(scan[SCAN_TCP6], SCAN_STATE_TCP_LISTEN, want);
		} else {
			uint16_t eph_first, eph_last;

			fwd_scan(scan[SCAN_UDP], SCAN_STATE_UDP_UNCONN, want);
			fwd_scan(scan[SCAN_UDP6], SCAN_STATE_UDP_UNCONN, want);
			fwd_ephemeral_range(&eph_first, &eph_last);
			for (p = eph_first; p <= eph_last; p++) {
				if (!(p % 8) && p + 7 <= eph_last) {
					want[p / 8] = 0;	/* Whole byte */
					p += 7;
					continue;
				}
				bitmap_clear(want, p);
			}
		}
		for (p = 0; p < sizeof(want); p++)
			want[p] &= (uint8_t)~ours[p];
		fwd_auto_apply(c, dir, want);
	}
}

/**
 * fwd_splice_sockaddr() - pasta: where a loopback (spliced) connection or
 *			   flow goes on the other side
 * @c:		Execution context
 * @af:		Address family
 * @port:	Target port
 * @lo:		To the loopback address (from the namespace to the host,
 *		or --host-lo-to-ns-lo), else the namespace's own address
 * @sa:		Filled with the address
 * @sl:		Set to the length of @sa
 *
 * Return: false if there's no such address (IPv6 link-local only)
 */
bool fwd_splice_sockaddr(const struct ctx *c, sa_family_t af, uint16_t port,
			 bool lo, union sockaddr_inany *sa, socklen_t *sl)
{
	memset(sa, 0, sizeof(*sa));
	if (af == AF_INET) {
		sa->sa4.sin_family = AF_INET;
		sa->sa4.sin_port = htons(port);
		sa->sa4.sin_addr.s_addr = lo ? htonl(INADDR_LOOPBACK) :
					       c->ip4.addr_seen.s_addr;
		*sl = sizeof(sa->sa4);
		return true;
	}

	sa->sa6.sin6_family = AF_INET6;
	sa->sa6.sin6_port = htons(port);
	sa->sa6.sin6_addr = lo ? in6addr_loopback : c->ip6.addr;
	*sl = sizeof(sa->sa6);
	return !IN6_IS_ADDR_UNSPECIFIED(&sa->sa6.sin6_addr);
}

/**
 * fwd_proto_str() - Name of a protocol the guest sends, for messages
 * @proto:	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 *
 * Return: the name
 */
static const char *fwd_proto_str(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMP:
		return "ICMP echo";
	default:
		return "ICMPv6 echo";
	}
}

/**
 * fwd_drop() - Say why a packet from the guest isn't forwarded
 * @proto:	Its protocol
 * @af:		Address family
 * @addr:	The address that stops it
 * @what:	Which address that is: "source", "destination", ...
 * @kind:	What the address is
 *
 * At debug level and rate limited: the guest decides how often.
 *
 * Return: false
 */
static bool fwd_drop(uint8_t proto, sa_family_t af, const void *addr,
		     const char *what, enum fwd_addr_kind kind)
{
	char buf[INET6_ADDRSTRLEN];

	debug_ratelimit("%s from the guest dropped: %s %s is %s",
			fwd_proto_str(proto), what,
			inet_ntop(af, addr, buf, sizeof(buf)),
			fwd_addr_kind_str[kind]);
	return false;
}

/**
 * fwd_sockaddr_from_tap() - Where a packet from the guest goes on the host
 *			     side, if anywhere
 * @c:		Execution context
 * @proto:	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 * @af:		Address family
 * @saddr:	Source address as the guest sent it
 * @daddr:	Destination address as the guest sent it
 * @dport:	Destination port, host order (0 for ICMP)
 * @t:		Filled with the address to connect or send to
 *
 * Every packet from the guest that opens a host socket (a TCP SYN, the
 * first datagram of a UDP flow, each echo request) passes here first.
 * Only unicast addresses are forwarded: a source or destination that is
 * loopback, unspecified, multicast, broadcast, reserved or IPv4 dressed
 * as IPv6 is dropped, except multicast destinations of UDP with
 * --forward-multicast. Then fwd_nat_from_tap() and fwd_dns_from_tap()
 * translate the destination, and the result is checked again: it may be
 * the host's loopback only where the mapping (--map-host-loopback, the
 * gateway by default) or the DNS redirection put it. Link-local
 * destinations get the scope of the IPv6 interface.
 *
 * Return: true if @t is where the packet goes, false if it is dropped
 */
bool fwd_sockaddr_from_tap(const struct ctx *c, uint8_t proto, sa_family_t af,
			   const void *saddr, const void *daddr,
			   uint16_t dport, struct fwd_target *t)
{
	enum fwd_addr_kind k, ok = FWD_ADDR_UNICAST;
	bool mapped;
	void *out;

	k = fwd_addr_kind(c, af, saddr);
	if (k != FWD_ADDR_UNICAST)
		return fwd_drop(proto, af, saddr, "source", k);

	k = fwd_addr_kind(c, af, daddr);
	if (k == FWD_ADDR_MULTICAST && proto == IPPROTO_UDP &&
	    c->fwd_multicast)
		ok = FWD_ADDR_MULTICAST;
	if (k != ok)
		return fwd_drop(proto, af, daddr, "destination", k);

	memset(t, 0, sizeof(*t));
	if (af == AF_INET) {
		t->sa.sa4.sin_family = AF_INET;
		t->sa.sa4.sin_port = htons(dport);
		t->sl = sizeof(t->sa.sa4);
		out = &t->sa.sa4.sin_addr;
	} else {
		t->sa.sa6.sin6_family = AF_INET6;
		t->sa.sa6.sin6_port = htons(dport);
		t->sl = sizeof(t->sa.sa6);
		out = &t->sa.sa6.sin6_addr;
	}

	mapped = fwd_nat_from_tap(c, af, daddr, out);
	if (fwd_dns_from_tap(c, af, daddr, dport, out))
		mapped = true;

	k = fwd_addr_kind(c, af, out);
	if (k == FWD_ADDR_LOOPBACK && mapped)
		t->to_lo = true;
	else if (k != ok)
		return fwd_drop(proto, af, out, "translated destination", k);

	if (af == AF_INET6 && (IN6_IS_ADDR_LINKLOCAL(out) ||
			       IN6_IS_ADDR_MC_LINKLOCAL(out)))
		t->sa.sa6.sin6_scope_id = c->ifi6;
	return true;
}

/**
 * fwd_bind_outbound() - Bind a socket for traffic leaving the host, per
 *			 -o and --outbound-if4 / --outbound-if6
 * @c:		Execution context
 * @s:		Socket
 * @af:		Address family
 *
 * syscalls: setsockopt bind
 */
void fwd_bind_outbound(const struct ctx *c, int s, sa_family_t af)
{
	const char *ifname = af == AF_INET ? c->ip4.ifname_out :
					     c->ip6.ifname_out;
	union sockaddr_inany sa = { 0 };
	socklen_t sl = 0;

	if (*ifname && setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname,
				  (socklen_t)strlen(ifname)))
		debug_perror("Can't bind socket to interface %s", ifname);

	if (af == AF_INET && c->ip4.addr_out.s_addr) {
		sa.sa4.sin_family = AF_INET;
		sa.sa4.sin_addr = c->ip4.addr_out;
		sl = sizeof(sa.sa4);
	} else if (af == AF_INET6 &&
		   !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr_out)) {
		sa.sa6.sin6_family = AF_INET6;
		sa.sa6.sin6_addr = c->ip6.addr_out;
		sl = sizeof(sa.sa6);
	}
	if (sl && bind(s, &sa.sa, sl))
		debug_perror("Can't bind socket to the outbound address");
}
