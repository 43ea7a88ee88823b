// SPDX-License-Identifier: GPL-2.0-or-later
/* conf.c - Command line: options, validation, defaults, --help
 *
 * Options follow the names, short forms and syntax of upstream passt and
 * pasta, since podman, libvirt, rootlesskit and users' scripts pass them.
 * Parsing happens in two steps. conf() reads the command line: conf_opts[]
 * says, for each option, in which mode it's valid and how its value is
 * parsed, either by kind (flag, string, address, port specification...) or
 * by a conf_opt_*() function of its own. Once every option is read,
 * conf_check() applies the rules between options. The first bad value or
 * combination stops the program with a single line that names the option
 * and the value, exit status 1, before anything has been set up.
 * conf_defaults() then fills in what wasn't given from the host:
 * the interface holding the default route for each family, its address,
 * prefix length and gateway (netlink), and DNS servers and search domains
 * (resolv.conf). A family without a default route is disabled; with no
 * default route at all we run in local mode, with link-local addresses.
 * What the command line gave is recorded (struct conf_pins): when the host
 * changes, conf_refresh() applies the same rules again to the rest, for
 * hostwatch.c.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fwd.h"
#include "log.h"
#include "netlink.h"
#include "passt.h"
#include "tap.h"
#include "tcp.h"
#include "util.h"

#define RESOLV_CONF	"/etc/resolv.conf"

/* Re-reading the host's configuration (conf_refresh()): no info lines */
static bool conf_quiet;
static unsigned int conf_ifi_lo;	/* Index of "lo", looked up once */

#define conf_info(...)							\
	do {								\
		if (!conf_quiet)					\
			info(__VA_ARGS__);				\
	} while (0)
#define NETNS_RUN_DIR	"/run/netns"

/**
 * usage() - Print the help text and exit
 * @name:	Program name
 * @mode:	Mode: pasta has more options
 * @status:	Exit status
 */
static void __attribute__((noreturn))
usage(const char *name, enum passt_mode mode, int status)
{
	FILE *f = status ? stderr : stdout;

	if (mode == MODE_PASTA) {
		fprintf(f,
			"Usage: %s [OPTION]... [COMMAND [ARG]...]\n"
			"       %s [OPTION]... PID\n"
			"       %s [OPTION]... --netns PATH|NAME\n"
			"\n"
			"Without PID or --netns, run COMMAND (default: the "
			"user's shell) in new\nuser, network and UTS namespaces "
			"connected to the host's network.\n\n", name, name,
			name);
	} else {
		fprintf(f,
			"Usage: %s [OPTION]...\n"
			"\n"
			"Connect a qemu guest to the host's network over a "
			"UNIX domain socket.\n\n", name);
	}

	fprintf(f,
		"General options:\n"
		"  -d, --debug            Print debugging messages\n"
		"      --trace            Print even more, per-packet, messages\n"
		"  -q, --quiet            Print only warnings and errors\n"
		"  -f, --foreground       Don't go to the background\n"
		"  -e, --stderr           Log to stderr (until going to the\n"
		"                         background; for compatibility)\n"
		"  -l, --log-file PATH    Log to a file (implies no syslog)\n"
		"      --log-size SIZE    Maximum size of the log file, bytes\n"
		"                         default: 1048576\n"
		"      --runas UID|UID:GID|USER|USER:GROUP\n"
		"                         Run as this user after set-up\n"
		"                         default when started as root: "
		"nobody\n"
		"  -P, --pid PATH         Write the daemon's PID to a file\n"
		"  -p, --pcap PATH        Capture every frame to a pcap file\n"
		"      --version          Print the version and exit\n"
		"  -h, --help             Print this text and exit\n"
		"\n");

	if (mode == MODE_PASST)
		fprintf(f,
			"Guest connection:\n"
			"  -s, --socket, --socket-path PATH\n"
			"                         UNIX domain socket to listen on\n"
			"                         default: first free of "
			"/tmp/passt_1.socket, ...\n"
			"  -F, --fd FD            Use a connected socket, "
			"inherited as FD\n"
			"  -1, --one-off          Quit when the guest "
			"disconnects\n\n");
	else
		fprintf(f,
			"Namespace:\n"
			"  -I, --ns-ifname NAME   Name of the tap device in the "
			"namespace\n"
			"                         default: the host interface's "
			"name, or tap0\n"
			"      --ns-mac-addr MAC  MAC address of that device\n"
			"      --netns PATH|NAME  Join this network namespace "
			"(NAME: /run/netns/NAME)\n"
			"      --userns PATH      Join this user namespace too\n"
			"      --netns-only       Don't join or create a user "
			"namespace\n"
			"      --no-netns-quit    Don't quit when the namespace "
			"goes away\n"
			"      --config-net       Configure the tap device: "
			"addresses, routes, MTU\n"
			"  -F, --fd FD            Use a tap device inherited "
			"as FD\n\n");

	fprintf(f,
		"Addresses (default: those of the host's interface with the "
		"default route):\n"
		"  -m, --mtu MTU          MTU for the guest (68 to 65520, 0 "
		"not to set it)\n"
		"                         default: 65520\n"
		"  -a, --address ADDR     IPv4 or IPv6 address for the guest\n"
		"  -n, --netmask MASK     IPv4 netmask or prefix length\n"
		"  -M, --mac-addr MAC     Our MAC address, as the guest sees it\n"
		"                         default: 9a:55:9a:55:9a:55\n"
		"  -g, --gateway ADDR     IPv4 or IPv6 default gateway for the "
		"guest\n"
		"  -i, --interface NAME   Host interface to take addresses "
		"from\n"
		"  -o, --outbound ADDR    Source address for outbound "
		"traffic\n"
		"      --outbound-if4 NAME\n"
		"      --outbound-if6 NAME\n"
		"                         Interface for outbound IPv4, IPv6\n"
		"  -D, --dns ADDR         DNS server for the guest, repeatable;"
		" \"none\"\n"
		"                         default: from " RESOLV_CONF "\n"
		"  -S, --search LIST      Search domains, space or comma "
		"separated; \"none\"\n"
		"      --no-dhcp-dns      Don't send DNS servers (DHCP, NDP, "
		"DHCPv6)\n"
		"      --no-dhcp-search   Don't send search domains\n"
		"      --dns-forward ADDR Forward DNS sent to ADDR to the host's"
		" resolver\n"
		"      --dns-host ADDR    Host resolver for --dns-forward\n"
		"  -H, --hostname NAME    Host name for the guest (DHCP)\n"
		"      --fqdn NAME        Fully qualified name for the guest\n"
		"      --no-map-gw        Don't map the gateway address to the "
		"host\n"
		"      --map-host-loopback ADDR\n"
		"                         Address that stands for the host's "
		"loopback\n"
		"                         default: the gateway; \"none\"\n"
		"      --map-guest-addr ADDR\n"
		"                         Address that stands for the host's "
		"own address\n"
		"  -4, --ipv4-only        Only IPv4\n"
		"  -6, --ipv6-only        Only IPv6\n"
		"\n"
		"Protocols and services:\n"
		"      --no-tcp --no-udp --no-icmp\n"
		"      --no-dhcp --no-ndp --no-dhcpv6 --no-ra\n"
		"                         Disable the protocol or service\n"
		"      --forward-multicast\n"
		"                         Send the guest's UDP to multicast "
		"groups out\n"
		"                         from the host (default: dropped)\n"
		"      --dhcp-lease SECONDS\n"
		"                         DHCP lease time; renewals pick up "
		"host changes\n"
		"                         default: " STR(DHCP_LEASE_DEFAULT)
		", infinite with --no-follow\n"
		"      --no-follow        Read the host's addresses, routes "
		"and DNS once,\n"
		"                         at start, and don't follow their "
		"changes\n"
		"      --tcp-idle-timeout SECONDS\n"
		"                         Reset TCP connections idle this "
		"long (0: never)\n"
		"                         default: 7875\n"
		"\n"
		"Port forwarding (SPEC: none, all, %s[ADDR][%%IF/]PORTS[,...]):\n"
		"  PORTS: PORT, FIRST-LAST, PORT:TO, FIRST-LAST:TO-TO_LAST, "
		"~EXCLUDED\n"
		"  -t, --tcp-ports SPEC   TCP ports forwarded to the guest\n"
		"  -u, --udp-ports SPEC   UDP ports forwarded to the guest\n",
		mode == MODE_PASTA ? "auto, " : "");

	if (mode == MODE_PASTA)
		fprintf(f,
			"  -T, --tcp-ns SPEC      TCP ports forwarded from the "
			"namespace to the host\n"
			"  -U, --udp-ns SPEC      UDP ports forwarded from the "
			"namespace to the host\n"
			"                         default for all four: auto\n"
			"      --host-lo-to-ns-lo Connections from the host's "
			"loopback come from\n"
			"                         the namespace's loopback\n"
			"      --no-splice        Don't use the loopback fast "
			"path\n"
			"      --no-tap-offload[=LIST]  No virtio-net header "
			"and offloads on the tap,\n"
			"                         or, with LIST (csum, tso4, "
			"tso6, uso), act as if\n"
			"                         the "
			"kernel refused those offload flags\n");
	else
		fprintf(f, "                         default: none\n");

	exit(status);
}

enum {
	OPT_TRACE = 256,
	OPT_LOG_SIZE,
	OPT_VERSION,
	OPT_RUNAS,
	OPT_OUT_IF4,
	OPT_OUT_IF6,
	OPT_NO_DHCP_DNS,
	OPT_NO_DHCP_SEARCH,
	OPT_DNS_FORWARD,
	OPT_DNS_HOST,
	OPT_NO_TCP,
	OPT_NO_UDP,
	OPT_NO_ICMP,
	OPT_NO_DHCP,
	OPT_NO_NDP,
	OPT_NO_DHCPV6,
	OPT_NO_RA,
	OPT_NO_MAP_GW,
	OPT_MAP_HOST_LO,
	OPT_MAP_GUEST,
	OPT_FQDN,
	OPT_NS_MAC,
	OPT_NETNS,
	OPT_USERNS,
	OPT_NETNS_ONLY,
	OPT_NO_NETNS_QUIT,
	OPT_CONFIG_NET,
	OPT_HOST_LO_TO_NS_LO,
	OPT_NO_SPLICE,
	OPT_NO_TAP_OFFLOAD,
	OPT_TCP_IDLE,
	OPT_FWD_MCAST,
	OPT_NO_FOLLOW,
	OPT_DHCP_LEASE,
};

static const struct option options[] = {
	{ "debug",		no_argument,		NULL, 'd' },
	{ "trace",		no_argument,		NULL, OPT_TRACE },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "foreground",		no_argument,		NULL, 'f' },
	{ "stderr",		no_argument,		NULL, 'e' },
	{ "log-file",		required_argument,	NULL, 'l' },
	{ "log-size",		required_argument,	NULL, OPT_LOG_SIZE },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ "help",		no_argument,		NULL, 'h' },
	{ "socket",		required_argument,	NULL, 's' },
	{ "socket-path",	required_argument,	NULL, 's' },
	{ "fd",			required_argument,	NULL, 'F' },
	{ "one-off",		no_argument,		NULL, '1' },
	{ "pcap",		required_argument,	NULL, 'p' },
	{ "pid",		required_argument,	NULL, 'P' },
	{ "mtu",		required_argument,	NULL, 'm' },
	{ "address",		required_argument,	NULL, 'a' },
	{ "netmask",		required_argument,	NULL, 'n' },
	{ "mac-addr",		required_argument,	NULL, 'M' },
	{ "gateway",		required_argument,	NULL, 'g' },
	{ "interface",		required_argument,	NULL, 'i' },
	{ "outbound",		required_argument,	NULL, 'o' },
	{ "outbound-if4",	required_argument,	NULL, OPT_OUT_IF4 },
	{ "outbound-if6",	required_argument,	NULL, OPT_OUT_IF6 },
	{ "dns",		required_argument,	NULL, 'D' },
	{ "search",		required_argument,	NULL, 'S' },
	{ "no-dhcp-dns",	no_argument,		NULL, OPT_NO_DHCP_DNS },
	{ "no-dhcp-search",	no_argument,		NULL, OPT_NO_DHCP_SEARCH },
	{ "dns-forward",	required_argument,	NULL, OPT_DNS_FORWARD },
	{ "dns-host",		required_argument,	NULL, OPT_DNS_HOST },
	{ "no-tcp",		no_argument,		NULL, OPT_NO_TCP },
	{ "tcp-idle-timeout",	required_argument,	NULL, OPT_TCP_IDLE },
	{ "no-udp",		no_argument,		NULL, OPT_NO_UDP },
	{ "no-icmp",		no_argument,		NULL, OPT_NO_ICMP },
	{ "no-dhcp",		no_argument,		NULL, OPT_NO_DHCP },
	{ "no-ndp",		no_argument,		NULL, OPT_NO_NDP },
	{ "no-dhcpv6",		no_argument,		NULL, OPT_NO_DHCPV6 },
	{ "no-ra",		no_argument,		NULL, OPT_NO_RA },
	{ "forward-multicast",	no_argument,		NULL, OPT_FWD_MCAST },
	{ "no-follow",		no_argument,		NULL, OPT_NO_FOLLOW },
	{ "dhcp-lease",		required_argument,	NULL, OPT_DHCP_LEASE },
	{ "no-map-gw",		no_argument,		NULL, OPT_NO_MAP_GW },
	{ "map-host-loopback",	required_argument,	NULL, OPT_MAP_HOST_LO },
	{ "map-guest-addr",	required_argument,	NULL, OPT_MAP_GUEST },
	{ "ipv4-only",		no_argument,		NULL, '4' },
	{ "ipv6-only",		no_argument,		NULL, '6' },
	{ "tcp-ports",		required_argument,	NULL, 't' },
	{ "udp-ports",		required_argument,	NULL, 'u' },
	{ "tcp-ns",		required_argument,	NULL, 'T' },
	{ "udp-ns",		required_argument,	NULL, 'U' },
	{ "ns-ifname",		required_argument,	NULL, 'I' },
	{ "ns-mac-addr",	required_argument,	NULL, OPT_NS_MAC },
	{ "netns",		required_argument,	NULL, OPT_NETNS },
	{ "userns",		required_argument,	NULL, OPT_USERNS },
	{ "netns-only",		no_argument,		NULL, OPT_NETNS_ONLY },
	{ "no-netns-quit",	no_argument,		NULL, OPT_NO_NETNS_QUIT },
	{ "config-net",		no_argument,		NULL, OPT_CONFIG_NET },
	{ "runas",		required_argument,	NULL, OPT_RUNAS },
	{ "hostname",		required_argument,	NULL, 'H' },
	{ "fqdn",		required_argument,	NULL, OPT_FQDN },
	{ "host-lo-to-ns-lo",	no_argument,		NULL, OPT_HOST_LO_TO_NS_LO },
	{ "no-splice",		no_argument,		NULL, OPT_NO_SPLICE },
	{ "no-tap-offload",	optional_argument,	NULL, OPT_NO_TAP_OFFLOAD },
	{ 0 },
};

/**
 * opt_name() - Name of an option as the user may have typed it
 * @val:	getopt value
 *
 * Return: "--long-name", or "-x" if there's no long name
 */
static const char *opt_name(int val)
{
	static char buf[64];
	const struct option *o;

	for (o = options; o->name; o++) {
		if (o->val == val) {
			snprintf(buf, sizeof(buf), "--%s", o->name);
			return buf;
		}
	}
	snprintf(buf, sizeof(buf), "-%c", val);
	return buf;
}

#define die_opt(val, arg, why)						\
	die("Invalid value for %s: \"%s\": %s", opt_name(val), arg, why)

/**
 * parse_mac() - Parse a MAC address, xx:xx:xx:xx:xx:xx
 * @s:		String
 * @mac:	Set to the address
 *
 * Return: 0 on success, -1 on failure
 */
static int parse_mac(const char *s, uint8_t *mac)
{
	int i;

	for (i = 0; i < ETH_ALEN; i++) {
		const char *p = s + i * 3;
		char hex[3] = { 0 };

		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]))
			return -1;
		if (p[2] != (i == ETH_ALEN - 1 ? '\0' : ':'))
			return -1;
		hex[0] = p[0];
		hex[1] = p[1];
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	return 0;
}

/**
 * parse_addr() - Parse an IPv4 or IPv6 address
 * @s:		String
 * @a4:		Set if IPv4
 * @a6:		Set if IPv6
 *
 * Return: AF_INET, AF_INET6, or 0 if @s is not an address
 */
static sa_family_t parse_addr(const char *s, struct in_addr *a4,
			      struct in6_addr *a6)
{
	if (inet_pton(AF_INET, s, a4) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, a6) == 1)
		return AF_INET6;
	return 0;
}

/**
 * conf_ifname() - Check an interface name given with an option
 * @val:	getopt value, for messages
 * @name:	Interface name
 * @dst:	Where to copy it
 *
 * Return: interface index
 */
static unsigned int conf_ifname(int val, const char *name, char *dst)
{
	unsigned int ifi;

	if (!*name || strlen(name) >= IFNAMSIZ)
		die_opt(val, name, "invalid interface name");
	ifi = if_nametoindex(name);
	if (!ifi)
		die_opt(val, name, "no such interface");
	strcpy(dst, name);
	return ifi;
}

/**
 * conf_ports() - Parse a port forwarding option
 * @c:		Execution context
 * @val:	Option: 't', 'u', 'T' or 'U'
 * @arg:	Specification
 * @fwd:	Forwarding configuration to add to
 */
static void conf_ports(const struct ctx *c, int val, const char *arg,
		       struct fwd_ports *fwd)
{
	char msg[256];

	if (fwd_parse_spec(fwd, arg, c->mode == MODE_PASTA,
			   val == 't' || val == 'u', msg, sizeof(msg)))
		die_opt(val, arg, msg);
}

/**
 * conf_bad_option() - Report an option getopt refused, and exit
 * @arg:	Argument that held the option
 * @optopt:	Option character or value getopt saw, 0 if unknown
 */
static void __attribute__((noreturn))
conf_bad_option(const char *arg, int optopt)
{
	if (!strncmp(arg, "--", 2)) {
		if (strchr(arg, '=') && optopt)
			die("Option %s doesn't take a value (see --help)",
			    opt_name(optopt));
		die("Unknown option: %s (see --help)", arg);
	}
	if (optopt > 0 && optopt < 256)
		die("Unknown option: -%c (see --help)", optopt);
	die("Unknown option: %s (see --help)", arg);
}

/**
 * struct conf_state - What parsing carries from one option to the next
 * @name:	Program name, argv[0], for --help
 * @val:	Option being parsed: getopt value
 * @arg:	Its value, NULL if it takes none
 * @v4_only:	-4 given
 * @v6_only:	-6 given
 * @dns4:	IPv4 DNS servers given with -D so far
 * @dns6:	IPv6 DNS servers given with -D so far
 */
struct conf_state {
	const char *name;
	int val;
	const char *arg;
	bool v4_only;
	bool v6_only;
	int dns4;
	int dns6;
};

/**
 * conf_addr46() - Parse the value of an option taking an address of either
 *		   family
 * @s:		Parsing state: option and value
 * @a4:		Set if the value is an IPv4 address
 * @a6:		Set if it's an IPv6 address
 */
static void conf_addr46(const struct conf_state *s, struct in_addr *a4,
			struct in6_addr *a6)
{
	struct in6_addr v6;
	struct in_addr v4;

	switch (parse_addr(s->arg, &v4, &v6)) {
	case AF_INET:
		*a4 = v4;
		break;
	case AF_INET6:
		*a6 = v6;
		break;
	default:
		die_opt(s->val, s->arg, "not an IP address");
	}
}

/**
 * conf_opt_trace() - --trace: debug messages, per-packet ones too
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_trace(struct ctx *c, struct conf_state *s)
{
	(void)s;
	c->debug = true;
	log_trace = true;
}

/**
 * conf_opt_log_size() - --log-size: bytes, at least LOGFILE_SIZE_MIN
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_log_size(struct ctx *c, struct conf_state *s)
{
	unsigned long v;

	if (str_to_ulong(s->arg, ULONG_MAX, &v))
		die_opt(s->val, s->arg, "not a number of bytes");
	if (v < LOGFILE_SIZE_MIN)
		die("Invalid value for %s: \"%s\": below the minimum of %lu "
		    "bytes", opt_name(s->val), s->arg, LOGFILE_SIZE_MIN);
	c->log_size = v;
}

/**
 * conf_opt_tcp_idle() - --tcp-idle-timeout: seconds, 0 for none
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_tcp_idle(struct ctx *c, struct conf_state *s)
{
	unsigned long v;

	if (str_to_ulong(s->arg, TCP_IDLE_TIMEOUT_MAX, &v))
		die_opt(s->val, s->arg, "not a number of seconds from 0 to "
			STR(TCP_IDLE_TIMEOUT_MAX));
	c->tcp_idle_timeout = (uint32_t)v;
}

/**
 * conf_opt_dhcp_lease() - --dhcp-lease: seconds, DHCP_LEASE_MIN or more
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_dhcp_lease(struct ctx *c, struct conf_state *s)
{
	unsigned long v;

	if (str_to_ulong(s->arg, DHCP_LEASE_MAX, &v) || v < DHCP_LEASE_MIN)
		die_opt(s->val, s->arg, "not a number of seconds from "
			STR(DHCP_LEASE_MIN) " to " STR(DHCP_LEASE_MAX));
	c->dhcp_lease = (uint32_t)v;
}

/**
 * conf_opt_version() - --version: print the version and exit
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_version(struct ctx *c, struct conf_state *s)
{
	(void)s;
	printf("%s " PASST_VERSION "\n",
	       c->mode == MODE_PASTA ? "pasta" : "passt");
	exit(EXIT_SUCCESS);
}

/**
 * conf_opt_help() - -h: print the help text and exit
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_help(struct ctx *c, struct conf_state *s)
{
	usage(s->name, c->mode, EXIT_SUCCESS);
}

/**
 * conf_opt_runas() - --runas: UID[:GID] or USER[:GROUP]
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_runas(struct ctx *c, struct conf_state *s)
{
	char user[LOGIN_NAME_MAX + 1] = "", group[LOGIN_NAME_MAX + 1] = "";
	const char *arg = s->arg, *colon = strchr(arg, ':');
	unsigned long v;

	if (colon) {
		if ((size_t)(colon - arg) > LOGIN_NAME_MAX ||
		    strlen(colon + 1) > LOGIN_NAME_MAX)
			die_opt(s->val, arg, "name too long");
		memcpy(user, arg, (size_t)(colon - arg));
		strcpy(group, colon + 1);
	} else {
		if (strlen(arg) > LOGIN_NAME_MAX)
			die_opt(s->val, arg, "name too long");
		strcpy(user, arg);
	}

	if (!str_to_ulong(user, UINT_MAX - 1, &v)) {
		c->uid = (uid_t)v;
		c->gid = (gid_t)v;
	} else {
		const struct passwd *pw = getpwnam(user);

		if (!pw)
			die_opt(s->val, arg, "no such user");
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}

	if (*group) {
		if (!str_to_ulong(group, UINT_MAX - 1, &v)) {
			c->gid = (gid_t)v;
		} else {
			const struct group *gr = getgrnam(group);

			if (!gr)
				die_opt(s->val, arg, "no such group");
			c->gid = gr->gr_gid;
		}
	}
	if (!c->uid || !c->gid)
		die_opt(s->val, arg, "won't run as root (uid or gid 0) after "
				     "set-up");
	c->runas_set = true;
}

/**
 * conf_opt_fd() - -F: descriptor of a connected socket or a tap device
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_fd(struct ctx *c, struct conf_state *s)
{
	unsigned long v;

	if (str_to_ulong(s->arg, INT_MAX, &v) || v <= 2)
		die_opt(s->val, s->arg,
			"not a file descriptor number above 2");
	c->fd_tap = (int)v;
	c->fd_tap_given = true;
}

/**
 * conf_opt_ns_ifname() - -I: name of the tap device in the namespace
 * @c:		Execution context
 * @s:		Parsing state
 *
 * The interface doesn't exist yet: check only that the name is valid.
 */
static void conf_opt_ns_ifname(struct ctx *c, struct conf_state *s)
{
	if (!*s->arg || strlen(s->arg) >= IFNAMSIZ ||
	    strchr(s->arg, '/') || strchr(s->arg, ' '))
		die_opt(s->val, s->arg, "invalid interface name");
	strcpy(c->pasta_ifname, s->arg);
}

/**
 * conf_opt_netns() - --netns: path, or name of an entry in NETNS_RUN_DIR
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_netns(struct ctx *c, struct conf_state *s)
{
	const char *arg = s->arg;

	if (!*arg)
		die_opt(s->val, arg, "empty");
	if (strchr(arg, '/')) {
		if (strlen(arg) >= sizeof(c->netns_path))
			die_opt(s->val, arg, "path too long");
		strcpy(c->netns_path, arg);
	} else {
		if (strlen(arg) + sizeof(NETNS_RUN_DIR "/") >
		    sizeof(c->netns_path))
			die_opt(s->val, arg, "name too long");
		snprintf(c->netns_path, sizeof(c->netns_path),
			 NETNS_RUN_DIR "/%s", arg);
	}
}

/**
 * conf_opt_mtu() - -m: MTU_MIN to MTU_MAX, or 0 not to set it
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_mtu(struct ctx *c, struct conf_state *s)
{
	unsigned long v;

	if (str_to_ulong(s->arg, ULONG_MAX, &v))
		die_opt(s->val, s->arg, "not a number");
	if (v && (v < MTU_MIN || v > MTU_MAX))
		die_opt(s->val, s->arg, "MTU must be between " STR(MTU_MIN)
			" and " STR(MTU_MAX) ", or 0");
	c->mtu = (int)v;
	c->mtu_set = true;
}

/**
 * conf_opt_address() - -a: unicast address for the guest, either family
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_address(struct ctx *c, struct conf_state *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	switch (parse_addr(s->arg, &a4, &a6)) {
	case AF_INET:
		if (a4.s_addr == INADDR_ANY ||
		    a4.s_addr == INADDR_BROADCAST ||
		    IN_MULTICAST(ntohl(a4.s_addr)) ||
		    (ntohl(a4.s_addr) >> 24) == IN_LOOPBACKNET)
			die_opt(s->val, s->arg,
				"not a usable unicast address");
		c->ip4.addr = a4;
		break;
	case AF_INET6:
		if (IN6_IS_ADDR_UNSPECIFIED(&a6) ||
		    IN6_IS_ADDR_LOOPBACK(&a6) ||
		    IN6_IS_ADDR_MULTICAST(&a6) ||
		    IN6_IS_ADDR_V4MAPPED(&a6))
			die_opt(s->val, s->arg,
				"not a usable unicast address");
		c->ip6.addr = a6;
		break;
	default:
		die_opt(s->val, s->arg, "not an IP address");
	}
}

/**
 * conf_opt_netmask() - -n: IPv4 prefix length, or contiguous netmask
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_netmask(struct ctx *c, struct conf_state *s)
{
	struct in_addr a4;
	unsigned long v;

	if (!str_to_ulong(s->arg, 32, &v)) {
		c->ip4.prefix_len = (int)v;
	} else if (inet_pton(AF_INET, s->arg, &a4) == 1) {
		uint32_t m = ntohl(a4.s_addr);
		int len = 0;

		while (m & 0x80000000U) {
			m <<= 1;
			len++;
		}
		if (m)
			die_opt(s->val, s->arg, "not a contiguous netmask");
		c->ip4.prefix_len = len;
	} else {
		die_opt(s->val, s->arg, "not a netmask or prefix length");
	}
	if (!c->ip4.prefix_len)
		die_opt(s->val, s->arg, "prefix length is zero");
}

/**
 * conf_opt_mac() - -M, our MAC address, or --ns-mac-addr, the namespace's
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_mac(struct ctx *c, struct conf_state *s)
{
	bool ns = s->val == OPT_NS_MAC;

	if (parse_mac(s->arg, ns ? c->pasta_mac : c->our_tap_mac))
		die_opt(s->val, s->arg, "not a MAC address");
	if (ns)
		c->pasta_mac_set = true;
}

/**
 * parse_unicast() - Parse an address that can be a single host's
 * @str:	Address as given
 * @a4:		Set to it, if it's IPv4
 * @a6:		Set to it, if it's IPv6
 *
 * Return: its family, 0 if it isn't an address, or is unspecified,
 *	   broadcast or multicast
 */
static sa_family_t parse_unicast(const char *str, struct in_addr *a4,
				 struct in6_addr *a6)
{
	sa_family_t af = parse_addr(str, a4, a6);

	if (af == AF_INET && (a4->s_addr == INADDR_ANY ||
			      a4->s_addr == INADDR_BROADCAST ||
			      IN_MULTICAST(ntohl(a4->s_addr))))
		return 0;
	if (af == AF_INET6 && (IN6_IS_ADDR_UNSPECIFIED(a6) ||
			       IN6_IS_ADDR_MULTICAST(a6)))
		return 0;
	return af;
}

/**
 * conf_opt_gateway() - -g: default gateway for the guest, either family
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_gateway(struct ctx *c, struct conf_state *s)
{
	struct in6_addr a6;
	struct in_addr a4;
	sa_family_t af;

	af = parse_unicast(s->arg, &a4, &a6);
	if (af == AF_INET)
		c->ip4.gw = a4;
	else if (af == AF_INET6)
		c->ip6.gw = a6;
	else
		die_opt(s->val, s->arg, "not a usable gateway address");
}

/**
 * conf_opt_interface() - -i: host interface to take addresses from
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_interface(struct ctx *c, struct conf_state *s)
{
	c->ifi4 = c->ifi6 = conf_ifname(s->val, s->arg, c->ifname4);
	strcpy(c->ifname6, c->ifname4);
}

/**
 * conf_opt_dns() - -D: DNS server for the guest, repeatable, or "none"
 * @c:		Execution context
 * @s:		Parsing state: counts servers given so far
 */
static void conf_opt_dns(struct ctx *c, struct conf_state *s)
{
	struct in6_addr a6;
	struct in_addr a4;
	sa_family_t af;

	c->dns_set_by_user = true;
	if (!strcmp(s->arg, "none")) {
		s->dns4 = s->dns6 = 0;
		memset(c->ip4.dns, 0, sizeof(c->ip4.dns));
		memset(c->ip6.dns, 0, sizeof(c->ip6.dns));
		return;
	}

	af = parse_unicast(s->arg, &a4, &a6);
	if (!af)
		die_opt(s->val, s->arg, "not a unicast IP address");
	if ((af == AF_INET && s->dns4 >= MAXNS) ||
	    (af == AF_INET6 && s->dns6 >= MAXNS))
		die_opt(s->val, s->arg, "too many DNS servers (at most "
			STR(MAXNS) " per family)");
	if (af == AF_INET)
		c->ip4.dns[s->dns4++] = a4;
	else
		c->ip6.dns[s->dns6++] = a6;
}

/**
 * conf_opt_search() - -S: space or comma separated domains, or "none"
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_search(struct ctx *c, struct conf_state *s)
{
	char buf[MAXDNSRCH * (DNSRCH_LEN + 1)], *tok, *save;
	int n = 0;

	memset(c->dns_search, 0, sizeof(c->dns_search));
	if (!strcmp(s->arg, "none")) {
		c->no_dhcp_dns_search = true;
		return;
	}
	if (strlen(s->arg) >= sizeof(buf))
		die_opt(s->val, s->arg, "too long");
	strcpy(buf, s->arg);

	for (tok = strtok_r(buf, " ,", &save); tok;
	     tok = strtok_r(NULL, " ,", &save)) {
		if (n >= MAXDNSRCH)
			die_opt(s->val, s->arg, "too many search domains "
				"(at most " STR(MAXDNSRCH) ")");
		if (strlen(tok) > DNSRCH_LEN)
			die_opt(s->val, s->arg, "domain name too long");
		strcpy(c->dns_search[n++], tok);
	}
}

/**
 * conf_opt_map() - --map-host-loopback, --map-guest-addr: address, or "none"
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_map(struct ctx *c, struct conf_state *s)
{
	bool host_lo = s->val == OPT_MAP_HOST_LO;

	if (!strcmp(s->arg, "none")) {
		if (host_lo)
			c->no_map_gw = true;
		return;
	}
	if (host_lo)
		conf_addr46(s, &c->ip4.map_host_loopback,
			    &c->ip6.map_host_loopback);
	else
		conf_addr46(s, &c->ip4.map_guest_addr,
			    &c->ip6.map_guest_addr);
}

/**
 * conf_opt_no_offload() - --no-tap-offload: none at all, or refuse some
 * @c:		Execution context
 * @s:		Parsing state: no value, or a list of csum, tso4, tso6, uso
 *
 * With a list, the tap keeps its virtio-net header and we behave as if the
 * kernel refused those TUNSETOFFLOAD flags (see tap_vnet_init()): to test
 * the fallback, and to compare.
 */
static void conf_opt_no_offload(struct ctx *c, struct conf_state *s)
{
	static const struct {
		const char *name;
		unsigned int flag;
	} flags[] = {
		{ "csum", TUN_F_CSUM }, { "tso4", TUN_F_TSO4 },
		{ "tso6", TUN_F_TSO6 }, { "uso", TUN_F_USO4 | TUN_F_USO6 },
	};
	char buf[64], *tok, *save;
	unsigned int i;

	if (!s->arg) {
		c->no_tap_offload = true;
		return;
	}
	if (strlen(s->arg) >= sizeof(buf))
		die_opt(s->val, s->arg, "too long");
	strcpy(buf, s->arg);

	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ARRAY_SIZE(flags); i++) {
			if (!strcmp(tok, flags[i].name))
				break;
		}
		if (i == ARRAY_SIZE(flags))
			die_opt(s->val, s->arg, "not a list of csum, tso4, "
				"tso6, uso");
		c->tap_offload_refuse |= flags[i].flag;
	}
	if (!c->tap_offload_refuse)
		die_opt(s->val, s->arg, "not a list of csum, tso4, tso6, "
			"uso");
}

/**
 * conf_opt_ip_only() - -4 or -6: one family only, checked in conf_check()
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_opt_ip_only(struct ctx *c, struct conf_state *s)
{
	(void)c;
	if (s->val == '4')
		s->v4_only = true;
	else
		s->v6_only = true;
}

/**
 * enum conf_kind - How the value of an option is parsed
 * @CONF_FUNC:		By its own function, @fn
 * @CONF_FLAG:		No value: sets the bool at @off
 * @CONF_STR:		Copied to the buffer at @off, shorter than @size
 * @CONF_NAME:		The same, and not empty
 * @CONF_ADDR46:	IPv4 address to @off, or IPv6 address to @off6
 * @CONF_IFNAME:	Name of a host interface, copied to @off
 * @CONF_PORTS:		Forwarding specification, added to the struct
 *			fwd_ports at @off
 */
enum conf_kind {
	CONF_FUNC,
	CONF_FLAG,
	CONF_STR,
	CONF_NAME,
	CONF_ADDR46,
	CONF_IFNAME,
	CONF_PORTS,
};

/**
 * enum conf_only - Modes an option is valid in
 * @BOTH:		passt and pasta
 * @PASST_ONLY:		passt: refused in pasta mode
 * @PASTA_ONLY:		pasta: refused in passt mode
 */
enum conf_only {
	BOTH,
	PASST_ONLY,
	PASTA_ONLY,
};

/**
 * struct conf_opt - How to parse one option
 * @val:	getopt value
 * @only:	Modes it's valid in
 * @kind:	How its value is parsed
 * @off:	Offset in struct ctx of what it sets
 * @off6:	CONF_ADDR46: offset in struct ctx of the IPv6 address
 * @size:	CONF_STR, CONF_NAME: size of the buffer at @off
 * @why:	CONF_STR, CONF_NAME: message if the value doesn't fit
 * @fn:		CONF_FUNC: parses and checks the value, sets struct ctx
 */
struct conf_opt {
	int val;
	enum conf_only only;
	enum conf_kind kind;
	size_t off;
	size_t off6;
	size_t size;
	const char *why;
	void (*fn)(struct ctx *c, struct conf_state *s);
};

#define CTX_OFF(f)	offsetof(struct ctx, f)
#define CTX_SIZE(f)	sizeof(((struct ctx *)NULL)->f)

#define FUNC(fn_)	.kind = CONF_FUNC, .fn = (fn_)
#define FLAG(f)		.kind = CONF_FLAG, .off = CTX_OFF(f)
#define PATH(f)		.kind = CONF_STR, .off = CTX_OFF(f),		\
			.size = CTX_SIZE(f), .why = "path too long"
#define NAME(f, why_)	.kind = CONF_NAME, .off = CTX_OFF(f),		\
			.size = CTX_SIZE(f), .why = (why_)
#define ADDR46(f)	.kind = CONF_ADDR46, .off = CTX_OFF(ip4.f),	\
			.off6 = CTX_OFF(ip6.f)
#define IFNAME(f)	.kind = CONF_IFNAME, .off = CTX_OFF(f)
#define PORTS(f)	.kind = CONF_PORTS, .off = CTX_OFF(f)

static const struct conf_opt conf_opts[] = {
	/* General */
	{ 'd',			BOTH,		FLAG(debug) },
	{ OPT_TRACE,		BOTH,		FUNC(conf_opt_trace) },
	{ 'q',			BOTH,		FLAG(quiet) },
	{ 'f',			BOTH,		FLAG(foreground) },
	{ 'e',			BOTH,		FLAG(stderr_log) },
	{ 'l',			BOTH,		PATH(log_file) },
	{ OPT_LOG_SIZE,		BOTH,		FUNC(conf_opt_log_size) },
	{ OPT_RUNAS,		BOTH,		FUNC(conf_opt_runas) },
	{ 'P',			BOTH,		PATH(pidfile) },
	{ 'p',			BOTH,		PATH(pcap) },
	{ OPT_VERSION,		BOTH,		FUNC(conf_opt_version) },
	{ 'h',			BOTH,		FUNC(conf_opt_help) },

	/* Guest connection: passt */
	{ 's',			PASST_ONLY,	NAME(sock_path,
		"socket path too long (at most 107 characters) or empty") },
	{ 'F',			BOTH,		FUNC(conf_opt_fd) },
	{ '1',			PASST_ONLY,	FLAG(one_off) },

	/* Namespace: pasta */
	{ 'I',			PASTA_ONLY,	FUNC(conf_opt_ns_ifname) },
	{ OPT_NS_MAC,		PASTA_ONLY,	FUNC(conf_opt_mac) },
	{ OPT_NETNS,		PASTA_ONLY,	FUNC(conf_opt_netns) },
	{ OPT_USERNS,		PASTA_ONLY,	NAME(userns_path,
						     "invalid path") },
	{ OPT_NETNS_ONLY,	PASTA_ONLY,	FLAG(netns_only) },
	{ OPT_NO_NETNS_QUIT,	PASTA_ONLY,	FLAG(no_netns_quit) },
	{ OPT_CONFIG_NET,	PASTA_ONLY,	FLAG(pasta_conf_ns) },

	/* Addresses */
	{ 'm',			BOTH,		FUNC(conf_opt_mtu) },
	{ 'a',			BOTH,		FUNC(conf_opt_address) },
	{ 'n',			BOTH,		FUNC(conf_opt_netmask) },
	{ 'M',			BOTH,		FUNC(conf_opt_mac) },
	{ 'g',			BOTH,		FUNC(conf_opt_gateway) },
	{ 'i',			BOTH,		FUNC(conf_opt_interface) },
	{ 'o',			BOTH,		ADDR46(addr_out) },
	{ OPT_OUT_IF4,		BOTH,		IFNAME(ip4.ifname_out) },
	{ OPT_OUT_IF6,		BOTH,		IFNAME(ip6.ifname_out) },
	{ 'D',			BOTH,		FUNC(conf_opt_dns) },
	{ 'S',			BOTH,		FUNC(conf_opt_search) },
	{ OPT_NO_DHCP_DNS,	BOTH,		FLAG(no_dhcp_dns) },
	{ OPT_NO_DHCP_SEARCH,	BOTH,		FLAG(no_dhcp_dns_search) },
	{ OPT_DNS_FORWARD,	BOTH,		ADDR46(dns_match) },
	{ OPT_DNS_HOST,		BOTH,		ADDR46(dns_host) },
	{ 'H',			BOTH,		NAME(hostname,
						     "invalid host name") },
	{ OPT_FQDN,		BOTH,		NAME(fqdn,
						     "invalid domain name") },
	{ OPT_NO_MAP_GW,	BOTH,		FLAG(no_map_gw) },
	{ OPT_MAP_HOST_LO,	BOTH,		FUNC(conf_opt_map) },
	{ OPT_MAP_GUEST,	BOTH,		FUNC(conf_opt_map) },
	{ '4',			BOTH,		FUNC(conf_opt_ip_only) },
	{ '6',			BOTH,		FUNC(conf_opt_ip_only) },

	/* Protocols and services */
	{ OPT_NO_TCP,		BOTH,		FLAG(no_tcp) },
	{ OPT_TCP_IDLE,		BOTH,		FUNC(conf_opt_tcp_idle) },
	{ OPT_NO_UDP,		BOTH,		FLAG(no_udp) },
	{ OPT_NO_ICMP,		BOTH,		FLAG(no_icmp) },
	{ OPT_NO_DHCP,		BOTH,		FLAG(no_dhcp) },
	{ OPT_NO_NDP,		BOTH,		FLAG(no_ndp) },
	{ OPT_NO_DHCPV6,	BOTH,		FLAG(no_dhcpv6) },
	{ OPT_NO_RA,		BOTH,		FLAG(no_ra) },
	{ OPT_FWD_MCAST,	BOTH,		FLAG(fwd_multicast) },
	{ OPT_NO_FOLLOW,	BOTH,		FLAG(no_follow) },
	{ OPT_DHCP_LEASE,	BOTH,		FUNC(conf_opt_dhcp_lease) },

	/* Port forwarding */
	{ 't',			BOTH,		PORTS(tcp_in) },
	{ 'u',			BOTH,		PORTS(udp_in) },
	{ 'T',			PASTA_ONLY,	PORTS(tcp_out) },
	{ 'U',			PASTA_ONLY,	PORTS(udp_out) },
	{ OPT_HOST_LO_TO_NS_LO,	PASTA_ONLY,	FLAG(host_lo_to_ns_lo) },
	{ OPT_NO_SPLICE,	PASTA_ONLY,	FLAG(no_splice) },
	{ OPT_NO_TAP_OFFLOAD,	PASTA_ONLY,	FUNC(conf_opt_no_offload) },
};

#undef FUNC
#undef FLAG
#undef PATH
#undef NAME
#undef ADDR46
#undef IFNAME
#undef PORTS

/**
 * conf_opt_find() - Look up how to parse an option
 * @val:	getopt value
 *
 * Return: entry of conf_opts[], NULL if there's none
 */
static const struct conf_opt *conf_opt_find(int val)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(conf_opts); i++) {
		if (conf_opts[i].val == val)
			return &conf_opts[i];
	}
	return NULL;
}

/**
 * conf_opt() - Parse one option: check the mode, then the value
 * @c:		Execution context
 * @s:		Parsing state, with option and value
 * @o:		How to parse it
 */
static void conf_opt(struct ctx *c, struct conf_state *s,
		     const struct conf_opt *o)
{
	char *dst = (char *)c + o->off;

	if (o->only == PASST_ONLY && c->mode != MODE_PASST)
		die("Option %s is only valid for passt", opt_name(o->val));
	if (o->only == PASTA_ONLY && c->mode != MODE_PASTA)
		die("Option %s is only valid for pasta", opt_name(o->val));

	switch (o->kind) {
	case CONF_FUNC:
		o->fn(c, s);
		break;
	case CONF_FLAG:
		*(bool *)dst = true;
		break;
	case CONF_NAME:
		if (!*s->arg)
			die_opt(o->val, s->arg, o->why);
		/* fall through */
	case CONF_STR:
		if (strlen(s->arg) >= o->size)
			die_opt(o->val, s->arg, o->why);
		strcpy(dst, s->arg);
		break;
	case CONF_ADDR46:
		conf_addr46(s, (struct in_addr *)dst,
			    (struct in6_addr *)((char *)c + o->off6));
		break;
	case CONF_IFNAME:
		conf_ifname(o->val, s->arg, dst);
		break;
	case CONF_PORTS:
		conf_ports(c, o->val, s->arg, (struct fwd_ports *)dst);
		break;
	}
}

/**
 * conf_parse() - Parse the options, stopping at the first bad one
 * @c:		Execution context
 * @s:		Parsing state
 * @argc:	Argument count
 * @argv:	Arguments
 *
 * Return: index in @argv of the first positional argument
 */
static int conf_parse(struct ctx *c, struct conf_state *s,
		      int argc, char **argv)
{
	const char *optstring = c->mode == MODE_PASTA ?
		"+:dqfel:hF:I:p:P:m:a:n:M:g:i:o:D:S:H:46t:u:T:U:" :
		"+:dqfel:hs:F:1p:P:m:a:n:M:g:i:o:D:S:H:46t:u:";
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, optstring, options, NULL)) != -1) {
		const struct conf_opt *o = conf_opt_find(opt);

		if (opt == ':')
			die("Option %s needs a value (see --help)",
			    argv[optind - 1]);
		if (!o)
			conf_bad_option(argv[optind - 1], optopt);

		s->val = opt;
		s->arg = optarg;
		conf_opt(c, s, o);
	}
	return optind;
}

/**
 * conf_check() - Check the rules between options, once all are parsed
 * @c:		Execution context
 * @s:		Parsing state
 * @r:		Positional arguments
 */
static void conf_check(const struct ctx *c, const struct conf_state *s,
		       const struct conf_result *r)
{
	if (s->v4_only && s->v6_only)
		die("Options -4 (--ipv4-only) and -6 (--ipv6-only) "
		    "exclude each other");

	if (c->mode == MODE_PASST) {
		if (r->argc)
			die("Unexpected argument: %s (see --help)",
			    r->argv[0]);
		if (c->fd_tap_given && *c->sock_path)
			die("Options --fd and --socket exclude each other");
	} else {
		if (*c->netns_path && r->argc)
			die("Unexpected argument with --netns: %s",
			    r->argv[0]);
		if (*c->userns_path && !*c->netns_path && !r->argc)
			die("Option --userns needs --netns or a PID");
	}
}

/**
 * conf_derive() - Set what follows from the options given, or not given
 * @c:		Execution context
 * @s:		Parsing state
 */
static void conf_derive(struct ctx *c, const struct conf_state *s)
{
	/* What's given now stays as given when the host changes */
	c->pins.ifi = c->ifi4;		/* Only -i sets it by now */
	if (s->v4_only)
		c->ifi6 = (unsigned int)-1;	/* Marked: disabled later */
	if (s->v6_only)
		c->ifi4 = (unsigned int)-1;

	c->pins.addr4 = !!c->ip4.addr.s_addr;
	c->pins.prefix4 = !!c->ip4.prefix_len;
	c->pins.gw4 = !!c->ip4.gw.s_addr;
	c->pins.addr6 = !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr);
	c->pins.gw6 = !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.gw);
	c->pins.off4 = s->v6_only;
	c->pins.off6 = s->v4_only;
	c->pins.search = *c->dns_search[0] || c->no_dhcp_dns_search;
	c->pins.dns_host4 = !!c->ip4.dns_host.s_addr;
	c->pins.dns_host6 = !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_host);
	c->pins.map_lo4 = !!c->ip4.map_host_loopback.s_addr;
	c->pins.map_lo6 = !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_loopback);

	if (c->mode == MODE_PASST) {
		if (c->tcp_in.mode == FWD_UNSET)
			c->tcp_in.mode = FWD_NONE;
		if (c->udp_in.mode == FWD_UNSET)
			c->udp_in.mode = FWD_NONE;
	} else {
		struct fwd_ports *f[] = { &c->tcp_in, &c->udp_in,
					  &c->tcp_out, &c->udp_out };
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(f); i++) {
			if (f[i]->mode == FWD_UNSET)
				f[i]->mode = FWD_AUTO;
		}
	}
}

/**
 * conf_init() - Set what holds unless an option says otherwise
 * @c:		Execution context
 */
static void conf_init(struct ctx *c)
{
	const uint8_t mac_default[ETH_ALEN] = MAC_OUR_DEFAULT;

	memcpy(c->our_tap_mac, mac_default, ETH_ALEN);
	c->mtu = MTU_DEFAULT;
	c->log_size = LOGFILE_SIZE_DEFAULT;
	c->tcp_idle_timeout = TCP_IDLE_TIMEOUT_DEFAULT;
	c->dhcp_lease = DHCP_LEASE_DEFAULT;
	c->fd_tap = c->fd_tap_listen = c->pidfile_fd = -1;
	c->pasta_netns_fd = c->pasta_userns_fd = -1;
	c->uid = geteuid();
	c->gid = getegid();
}

/**
 * conf() - Parse and check the command line
 * @c:		Execution context, mode already set
 * @argc:	Argument count
 * @argv:	Arguments
 * @r:		Set to the positional arguments left
 */
void conf(struct ctx *c, int argc, char **argv, struct conf_result *r)
{
	struct conf_state s = { .name = argv[0] };
	int first;

	conf_init(c);
	first = conf_parse(c, &s, argc, argv);

	r->argc = argc - first;
	r->argv = argv + first;
	conf_check(c, &s, r);
	conf_derive(c, &s);
}

/**
 * conf_resolv_parse() - Take DNS servers and search domains from the text
 *			 of resolv.conf, where the command line gave none
 * @c:		Execution context
 * @text:	Contents of resolv.conf, NUL-terminated
 */
static void conf_resolv_parse(struct ctx *c, const char *text)
{
	bool read_dns = !c->dns_set_by_user, read_search = !c->pins.search;
	int dns4 = 0, dns6 = 0, nsearch = 0;
	const char *p = text;
	char line[BUFSIZ];

	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *kw, *arg, *save;

		/* An over-long line is cut: nothing valid is that long */
		snprintf(line, sizeof(line), "%.*s", (int)MIN(len,
			 sizeof(line) - 1), p);
		p += len + (end ? 1 : 0);

		kw = strtok_r(line, " \t\r\n", &save);
		if (!kw)
			continue;

		if (read_dns && !strcmp(kw, "nameserver")) {
			struct in6_addr a6;
			struct in_addr a4;
			char *pct;

			arg = strtok_r(NULL, " \t\r\n", &save);
			if (!arg)
				continue;
			pct = strchr(arg, '%');		/* Scoped: drop it */
			if (pct)
				*pct = '\0';
			if (inet_pton(AF_INET, arg, &a4) == 1) {
				if (dns4 < MAXNS)
					c->ip4.dns[dns4++] = a4;
			} else if (inet_pton(AF_INET6, arg, &a6) == 1) {
				if (dns6 < MAXNS)
					c->ip6.dns[dns6++] = a6;
			}
		} else if (read_search && (!strcmp(kw, "search") ||
					   !strcmp(kw, "domain"))) {
			if (!strcmp(kw, "search"))
				nsearch = 0;
			while ((arg = strtok_r(NULL, " \t\r\n", &save)) &&
			       nsearch < MAXDNSRCH) {
				if (strlen(arg) > DNSRCH_LEN)
					continue;
				strcpy(c->dns_search[nsearch++], arg);
			}
		}
	}
}

/**
 * conf_resolv_read() - Read resolv.conf at start
 * @buf:	Buffer for its contents, NUL-terminated on return
 * @size:	Size of @buf
 */
static void conf_resolv_read(char *buf, size_t size)
{
	int fd = open(RESOLV_CONF, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	if (n < 0) {
		debug("Can't read " RESOLV_CONF ", no DNS defaults");
		n = 0;
	}
	buf[n] = '\0';
}

/**
 * conf_dns_loopback() - Host resolvers on loopback: point the guest to the
 *			 address that reaches the host's loopback instead
 * @c:		Execution context
 */
static void conf_dns_loopback(struct ctx *c)
{
	int i;

	for (i = 0; i < MAXNS; i++) {
		struct in_addr *a4 = &c->ip4.dns[i];
		struct in6_addr *a6 = &c->ip6.dns[i];

		if (a4->s_addr && (ntohl(a4->s_addr) >> 24) == IN_LOOPBACKNET) {
			if (!c->ip4.dns_host.s_addr)
				c->ip4.dns_host = *a4;
			if (c->ip4.map_host_loopback.s_addr)
				*a4 = c->ip4.map_host_loopback;
			else
				a4->s_addr = 0;
		}
		if (IN6_IS_ADDR_LOOPBACK(a6)) {
			if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_host))
				c->ip6.dns_host = *a6;
			if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_loopback))
				*a6 = c->ip6.map_host_loopback;
			else
				memset(a6, 0, sizeof(*a6));
		}
	}

	/* Compact: no holes in the lists */
	for (i = 0; i < MAXNS - 1; i++) {
		if (!c->ip4.dns[i].s_addr) {
			memmove(&c->ip4.dns[i], &c->ip4.dns[i + 1],
				(MAXNS - i - 1) * sizeof(c->ip4.dns[0]));
			c->ip4.dns[MAXNS - 1].s_addr = 0;
		}
		if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns[i])) {
			memmove(&c->ip6.dns[i], &c->ip6.dns[i + 1],
				(MAXNS - i - 1) * sizeof(c->ip6.dns[0]));
			memset(&c->ip6.dns[MAXNS - 1], 0,
			       sizeof(c->ip6.dns[0]));
		}
	}

	if (!c->ip4.dns_host.s_addr && c->ip4.dns[0].s_addr)
		c->ip4.dns_host = c->ip4.dns[0];
	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_host) &&
	    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns[0]))
		c->ip6.dns_host = c->ip6.dns[0];
}

/**
 * conf_ip4() - Fill in IPv4 defaults from the host
 * @c:		Execution context
 *
 * Return: true if IPv4 is usable
 */
static bool conf_ip4(struct ctx *c)
{
	if (c->ifi4 == (unsigned int)-1)
		return false;

	if (!c->ifi4) {
		c->ifi4 = nl_get_ext_if(nl_sock, AF_INET);
		if (!c->ifi4) {
			conf_info("No default IPv4 route on the host: IPv4 "
			     "disabled");
			return false;
		}
		nl_link_get_name(nl_sock, c->ifi4, c->ifname4);
	}

	if (!c->ip4.gw.s_addr)
		nl_route_get_def(nl_sock, c->ifi4, AF_INET, &c->ip4.gw);

	if (!c->ip4.addr.s_addr) {
		int len = 0;

		if (nl_addr_get(nl_sock, c->ifi4, AF_INET, &c->ip4.addr,
				&len, NULL)) {
			conf_info("No IPv4 address on %s: IPv4 disabled",
			     c->ifname4);
			return false;
		}
		if (!c->ip4.prefix_len)
			c->ip4.prefix_len = len;
	}

	if (!c->ip4.prefix_len) {
		in_addr_t a = ntohl(c->ip4.addr.s_addr);

		c->ip4.prefix_len = IN_CLASSA(a) ? 8 : IN_CLASSB(a) ? 16 : 24;
	}

	if (!c->ip4.gw.s_addr) {
		conf_info("No IPv4 gateway found on %s: IPv4 disabled",
		     c->ifname4);
		return false;
	}
	return true;
}

/**
 * conf_ip6() - Fill in IPv6 defaults from the host
 * @c:		Execution context
 *
 * Return: true if IPv6 is usable
 */
static bool conf_ip6(struct ctx *c)
{
	struct in6_addr ll = IN6ADDR_ANY_INIT;

	if (c->ifi6 == (unsigned int)-1)
		return false;

	if (!c->ifi6) {
		c->ifi6 = nl_get_ext_if(nl_sock, AF_INET6);
		if (!c->ifi6) {
			conf_info("No default IPv6 route on the host: IPv6 "
			     "disabled");
			return false;
		}
		nl_link_get_name(nl_sock, c->ifi6, c->ifname6);
	}

	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.gw))
		nl_route_get_def(nl_sock, c->ifi6, AF_INET6, &c->ip6.gw);

	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr)) {
		int len = 0;

		if (nl_addr_get(nl_sock, c->ifi6, AF_INET6, &c->ip6.addr,
				&len, &ll)) {
			conf_info("No IPv6 address on %s: IPv6 disabled",
			     c->ifname6);
			return false;
		}
		c->ip6.prefix_len = len;
	} else {
		nl_addr_get(nl_sock, c->ifi6, AF_INET6, NULL, NULL, &ll);
	}
	if (!c->ip6.prefix_len || c->ip6.prefix_len > 128)
		c->ip6.prefix_len = 64;

	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.gw)) {
		conf_info("No IPv6 gateway found on %s: IPv6 disabled",
		     c->ifname6);
		return false;
	}

	if (IN6_IS_ADDR_LINKLOCAL(&c->ip6.gw))
		c->ip6.our_tap_ll = c->ip6.gw;
	else if (!IN6_IS_ADDR_UNSPECIFIED(&ll))
		c->ip6.our_tap_ll = ll;
	else
		inet_pton(AF_INET6, IP6_LOCAL_GW, &c->ip6.our_tap_ll);
	return true;
}

/**
 * conf_local_mode() - No default route at all: link-local addresses only
 * @c:		Execution context
 * @v4:		IPv4 wasn't disabled by option
 * @v6:		IPv6 wasn't disabled by option
 */
static void conf_local_mode(struct ctx *c, bool v4, bool v6)
{
	conf_info("No default route on the host: local mode, the guest "
		  "reaches only this host");
	c->local_mode = true;

	if (v4) {
		c->ifi4 = conf_ifi_lo;
		strcpy(c->ifname4, "lo");
		if (!c->ip4.addr.s_addr)
			inet_pton(AF_INET, IP4_LOCAL_ADDR, &c->ip4.addr);
		if (!c->ip4.gw.s_addr)
			inet_pton(AF_INET, IP4_LOCAL_GW, &c->ip4.gw);
		if (!c->ip4.prefix_len)
			c->ip4.prefix_len = IP4_LOCAL_PREFIX_LEN;
	}
	if (v6) {
		c->ifi6 = conf_ifi_lo;
		strcpy(c->ifname6, "lo");
		if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.gw))
			inet_pton(AF_INET6, IP6_LOCAL_GW, &c->ip6.gw);
		if (!c->ip6.prefix_len)
			c->ip6.prefix_len = 64;
		inet_pton(AF_INET6, IP6_LOCAL_GW, &c->ip6.our_tap_ll);
	}
}

/**
 * conf_addrs() - Addresses, prefixes, gateways from the host, local mode
 * @c:		Execution context, with what the user gave
 *
 * Return: false if neither family is left
 */
static bool conf_addrs(struct ctx *c)
{
	bool v4_allowed = c->ifi4 != (unsigned int)-1;
	bool v6_allowed = c->ifi6 != (unsigned int)-1;
	bool v4, v6;

	v4 = conf_ip4(c);
	v6 = conf_ip6(c);

	if (!v4 && !v6 && (v4_allowed || v6_allowed)) {
		/* Keep what the user asked for, but only where it makes
		 * sense: addresses given explicitly for a family with no
		 * route still leave us in local mode.
		 */
		conf_local_mode(c, v4_allowed, v6_allowed);
		v4 = v4_allowed;
		v6 = v6_allowed;
	}
	if (!v4)
		c->ifi4 = 0;
	if (!v6)
		c->ifi6 = 0;

	if (!c->ifi4 && !c->ifi6)
		return false;

	if (c->mtu && c->mtu < MTU_MIN_IPV6 && c->ifi6) {
		conf_info("MTU %i is below the IPv6 minimum of "
			  STR(MTU_MIN_IPV6) ": IPv6 disabled", c->mtu);
		c->ifi6 = 0;
	}

	if (!c->no_map_gw) {
		if (!c->ip4.map_host_loopback.s_addr)
			c->ip4.map_host_loopback = c->ip4.gw;
		if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_loopback))
			c->ip6.map_host_loopback = c->ip6.gw;
	}

	c->ip4.our_tap_addr = c->ip4.gw;
	return true;
}

/**
 * conf_dns() - DNS servers, resolvers and search domains
 * @c:		Execution context, addresses set
 * @resolv:	Contents of resolv.conf, NUL-terminated
 */
static void conf_dns(struct ctx *c, const char *resolv)
{
	conf_resolv_parse(c, resolv);
	conf_dns_loopback(c);
}

/**
 * conf_host_open() - Open what reading the host's configuration takes: the
 *		      netlink socket, and the index of its loopback interface
 *		      (local mode), looked up once as it can't be in the sandbox
 *
 * Called by conf_defaults(); the fuzzers call it to reach conf_refresh().
 */
void conf_host_open(void)
{
	nl_sock_init();
	conf_ifi_lo = if_nametoindex("lo");
}

/**
 * conf_defaults() - Fill in what the command line didn't give, from the host
 * @c:		Execution context, after conf()
 */
void conf_defaults(struct ctx *c)
{
	static char resolv[CONF_RESOLV_MAX];

	conf_host_open();

	if (!conf_addrs(c))
		die("Both IPv4 and IPv6 are disabled: nothing to do");

	c->ip4.addr_seen = c->ip4.addr;
	c->ip6.addr_seen = c->ip6.addr;

	conf_resolv_read(resolv, sizeof(resolv));
	conf_dns(c, resolv);

	if (c->mode == MODE_PASTA && !*c->pasta_ifname) {
		const char *n = c->ifi4 ? c->ifname4 : c->ifname6;

		if (c->local_mode || !*n)
			n = "tap0";
		strcpy(c->pasta_ifname, n);
	}
}

/**
 * conf_refresh() - Read the host's configuration again, where not pinned
 * @c:		Copy of the execution context, changed to what the host has
 *		now: the caller compares and applies
 * @resolv:	Contents of resolv.conf, NUL-terminated
 *
 * Same rules as conf_defaults(), on the values the user didn't give, and
 * without a message for each: hostwatch.c logs what changes.
 *
 * syscalls: sendto recvfrom
 */
void conf_refresh(struct ctx *c, const char *resolv)
{
	struct conf_pins *p = &c->pins;

	c->ifi4 = p->off4 ? (unsigned int)-1 : p->ifi;
	c->ifi6 = p->off6 ? (unsigned int)-1 : p->ifi;
	if (!p->ifi)
		*c->ifname4 = *c->ifname6 = '\0';
	c->local_mode = false;
	if (!p->addr4)
		c->ip4.addr.s_addr = 0;
	if (!p->prefix4)
		c->ip4.prefix_len = 0;
	if (!p->gw4)
		c->ip4.gw.s_addr = 0;
	if (!p->addr6)
		c->ip6.addr = in6addr_any;
	c->ip6.prefix_len = 0;
	if (!p->gw6)
		c->ip6.gw = in6addr_any;
	c->ip6.our_tap_ll = in6addr_any;
	if (!p->map_lo4)
		c->ip4.map_host_loopback.s_addr = 0;
	if (!p->map_lo6)
		c->ip6.map_host_loopback = in6addr_any;

	conf_quiet = true;
	conf_addrs(c);
	conf_quiet = false;

	if (!c->dns_set_by_user) {
		memset(c->ip4.dns, 0, sizeof(c->ip4.dns));
		memset(c->ip6.dns, 0, sizeof(c->ip6.dns));
	}
	if (!p->search)
		memset(c->dns_search, 0, sizeof(c->dns_search));
	if (!p->dns_host4)
		c->ip4.dns_host.s_addr = 0;
	if (!p->dns_host6)
		c->ip6.dns_host = in6addr_any;
	conf_dns(c, resolv);
}

/**
 * conf_print() - Log the configuration the guest will get
 * @c:		Execution context
 */
void conf_print(const struct ctx *c)
{
	char buf[INET6_ADDRSTRLEN];
	int i;

	if (c->mode == MODE_PASTA)
		info("Namespace interface: %s", c->pasta_ifname);
	info("MAC address (ours): %02x:%02x:%02x:%02x:%02x:%02x",
	     c->our_tap_mac[0], c->our_tap_mac[1], c->our_tap_mac[2],
	     c->our_tap_mac[3], c->our_tap_mac[4], c->our_tap_mac[5]);

	if (c->ifi4) {
		info("IPv4 (from %s): address %s/%i", c->ifname4,
		     inet_ntop(AF_INET, &c->ip4.addr, buf, sizeof(buf)),
		     c->ip4.prefix_len);
		info("    gateway %s",
		     inet_ntop(AF_INET, &c->ip4.gw, buf, sizeof(buf)));
		for (i = 0; i < MAXNS && c->ip4.dns[i].s_addr; i++)
			info("    DNS %s", inet_ntop(AF_INET, &c->ip4.dns[i],
						     buf, sizeof(buf)));
	}
	if (c->ifi6) {
		if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr))
			info("IPv6 (from %s): link-local only", c->ifname6);
		else
			info("IPv6 (from %s): address %s/%i", c->ifname6,
			     inet_ntop(AF_INET6, &c->ip6.addr, buf,
				       sizeof(buf)),
			     c->ip6.prefix_len);
		info("    gateway %s",
		     inet_ntop(AF_INET6, &c->ip6.gw, buf, sizeof(buf)));
		for (i = 0; i < MAXNS && !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns[i]);
		     i++)
			info("    DNS %s", inet_ntop(AF_INET6, &c->ip6.dns[i],
						     buf, sizeof(buf)));
	}
	for (i = 0; i < MAXDNSRCH && *c->dns_search[i]; i++)
		info("    search %s", c->dns_search[i]);
}
