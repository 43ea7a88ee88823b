// SPDX-License-Identifier: GPL-2.0-or-later
/* conf.c - Command line: options, validation, defaults, --help
 *
 * Options follow the names, short forms and syntax of upstream passt and
 * pasta, since podman, libvirt, rootlesskit and users' scripts pass them.
 * Parsing happens in two steps. conf() reads the command line and checks
 * every value: the first bad one stops the program with a single line that
 * names the option and the value, exit status 1, before anything has been
 * set up. conf_defaults() then fills in what wasn't given from the host:
 * the interface holding the default route for each family, its address,
 * prefix length and gateway (netlink), and DNS servers and search domains
 * (resolv.conf). A family without a default route is disabled; with no
 * default route at all we run in local mode, with link-local addresses.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fwd.h"
#include "log.h"
#include "netlink.h"
#include "passt.h"
#include "util.h"

#define RESOLV_CONF	"/etc/resolv.conf"
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
		"                         default for passt started as root: "
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
			"path\n");
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
	{ "no-udp",		no_argument,		NULL, OPT_NO_UDP },
	{ "no-icmp",		no_argument,		NULL, OPT_NO_ICMP },
	{ "no-dhcp",		no_argument,		NULL, OPT_NO_DHCP },
	{ "no-ndp",		no_argument,		NULL, OPT_NO_NDP },
	{ "no-dhcpv6",		no_argument,		NULL, OPT_NO_DHCPV6 },
	{ "no-ra",		no_argument,		NULL, OPT_NO_RA },
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

	for (i = 0; i < ETH_ALEN_; i++) {
		const char *p = s + i * 3;
		char hex[3] = { 0 };

		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]))
			return -1;
		if (p[2] != (i == ETH_ALEN_ - 1 ? '\0' : ':'))
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
 * conf_runas() - Parse --runas: UID[:GID] or USER[:GROUP]
 * @c:		Execution context
 * @arg:	Option argument
 */
static void conf_runas(struct ctx *c, const char *arg)
{
	char user[LOGIN_NAME_MAX + 1] = "", group[LOGIN_NAME_MAX + 1] = "";
	const char *colon = strchr(arg, ':');
	unsigned long v;

	if (colon) {
		if ((size_t)(colon - arg) > LOGIN_NAME_MAX ||
		    strlen(colon + 1) > LOGIN_NAME_MAX)
			die_opt(OPT_RUNAS, arg, "name too long");
		memcpy(user, arg, (size_t)(colon - arg));
		strcpy(group, colon + 1);
	} else {
		if (strlen(arg) > LOGIN_NAME_MAX)
			die_opt(OPT_RUNAS, arg, "name too long");
		strcpy(user, arg);
	}

	if (!str_to_ulong(user, UINT_MAX - 1, &v)) {
		c->uid = (uid_t)v;
		c->gid = (gid_t)v;
	} else {
		const struct passwd *pw = getpwnam(user);

		if (!pw)
			die_opt(OPT_RUNAS, arg, "no such user");
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}

	if (*group) {
		if (!str_to_ulong(group, UINT_MAX - 1, &v)) {
			c->gid = (gid_t)v;
		} else {
			const struct group *gr = getgrnam(group);

			if (!gr)
				die_opt(OPT_RUNAS, arg, "no such group");
			c->gid = gr->gr_gid;
		}
	}
	c->runas_set = true;
}

/**
 * conf_search() - Parse -S: space or comma separated domains, or "none"
 * @c:		Execution context
 * @arg:	Option argument
 */
static void conf_search(struct ctx *c, const char *arg)
{
	char buf[MAXDNSRCH * (DNSRCH_LEN + 1)], *tok, *save;
	int n = 0;

	memset(c->dns_search, 0, sizeof(c->dns_search));
	if (!strcmp(arg, "none")) {
		c->no_dhcp_dns_search = true;
		return;
	}
	if (strlen(arg) >= sizeof(buf))
		die_opt('S', arg, "too long");
	strcpy(buf, arg);

	for (tok = strtok_r(buf, " ,", &save); tok;
	     tok = strtok_r(NULL, " ,", &save)) {
		if (n >= MAXDNSRCH)
			die_opt('S', arg, "too many search domains (at most "
				STR(MAXDNSRCH) ")");
		if (strlen(tok) > DNSRCH_LEN)
			die_opt('S', arg, "domain name too long");
		strcpy(c->dns_search[n++], tok);
	}
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
 * conf_pasta_only() - Refuse a pasta option in passt mode
 * @c:		Execution context
 * @val:	Option
 */
static void conf_pasta_only(const struct ctx *c, int val)
{
	if (c->mode != MODE_PASTA)
		die("Option %s is only valid for pasta", opt_name(val));
}

/**
 * conf_passt_only() - Refuse a passt option in pasta mode
 * @c:		Execution context
 * @val:	Option
 */
static void conf_passt_only(const struct ctx *c, int val)
{
	if (c->mode != MODE_PASST)
		die("Option %s is only valid for passt", opt_name(val));
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
 * conf() - Parse and check the command line
 * @c:		Execution context, mode already set
 * @argc:	Argument count
 * @argv:	Arguments
 * @r:		Set to the positional arguments left
 */
void conf(struct ctx *c, int argc, char **argv, struct conf_result *r)
{
	const char *optstring = c->mode == MODE_PASTA ?
		"+:dqfel:hF:I:p:P:m:a:n:M:g:i:o:D:S:H:46t:u:T:U:" :
		"+:dqfel:hs:F:1p:P:m:a:n:M:g:i:o:D:S:H:46t:u:";
	const uint8_t mac_default[ETH_ALEN_] = MAC_OUR_DEFAULT;
	bool dns_set = false, v4_only = false, v6_only = false;
	int dns4 = 0, dns6 = 0, opt;
	unsigned long v;

	memcpy(c->our_tap_mac, mac_default, ETH_ALEN_);
	c->mtu = MTU_DEFAULT;
	c->log_size = LOGFILE_SIZE_DEFAULT;
	c->fd_tap = c->fd_tap_listen = c->pidfile_fd = -1;
	c->pasta_netns_fd = c->pasta_userns_fd = -1;
	c->uid = geteuid();
	c->gid = getegid();

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, optstring, options, NULL)) != -1) {
		struct in6_addr a6;
		struct in_addr a4;
		sa_family_t af;

		switch (opt) {
		case 'd':
			c->debug = true;
			break;
		case OPT_TRACE:
			c->debug = true;
			log_trace = true;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'f':
			c->foreground = true;
			break;
		case 'e':
			c->stderr_log = true;
			break;
		case 'l':
			if (strlen(optarg) >= sizeof(c->log_file))
				die_opt(opt, optarg, "path too long");
			strcpy(c->log_file, optarg);
			break;
		case OPT_LOG_SIZE:
			if (str_to_ulong(optarg, ULONG_MAX, &v))
				die_opt(opt, optarg, "not a number of bytes");
			if (v < LOGFILE_SIZE_MIN)
				die("Invalid value for %s: \"%s\": below the "
				    "minimum of %lu bytes", opt_name(opt),
				    optarg, LOGFILE_SIZE_MIN);
			c->log_size = v;
			break;
		case OPT_VERSION:
			printf("%s " PASST_VERSION "\n",
			       c->mode == MODE_PASTA ? "pasta" : "passt");
			exit(EXIT_SUCCESS);
		case 'h':
			usage(argv[0], c->mode, EXIT_SUCCESS);
		case 's':
			conf_passt_only(c, opt);
			if (!*optarg || strlen(optarg) >= UNIX_PATH_MAX)
				die_opt(opt, optarg, "socket path too long "
					"(at most 107 characters) or empty");
			strcpy(c->sock_path, optarg);
			break;
		case 'F':
			if (str_to_ulong(optarg, INT_MAX, &v) || v <= 2)
				die_opt(opt, optarg,
					"not a file descriptor number above 2");
			c->fd_tap = (int)v;
			c->fd_tap_given = true;
			break;
		case '1':
			conf_passt_only(c, opt);
			c->one_off = true;
			break;
		case 'p':
			if (strlen(optarg) >= sizeof(c->pcap))
				die_opt(opt, optarg, "path too long");
			strcpy(c->pcap, optarg);
			break;
		case 'P':
			if (strlen(optarg) >= sizeof(c->pidfile))
				die_opt(opt, optarg, "path too long");
			strcpy(c->pidfile, optarg);
			break;
		case 'm':
			if (str_to_ulong(optarg, ULONG_MAX, &v))
				die_opt(opt, optarg, "not a number");
			if (v && (v < MTU_MIN || v > MTU_MAX))
				die_opt(opt, optarg, "MTU must be between "
					STR(MTU_MIN) " and " STR(MTU_MAX)
					", or 0");
			c->mtu = (int)v;
			c->mtu_set = true;
			break;
		case 'a':
			af = parse_addr(optarg, &a4, &a6);
			if (af == AF_INET) {
				if (a4.s_addr == INADDR_ANY ||
				    a4.s_addr == INADDR_BROADCAST ||
				    IN_MULTICAST(ntohl(a4.s_addr)) ||
				    (ntohl(a4.s_addr) >> 24) == IN_LOOPBACKNET)
					die_opt(opt, optarg,
						"not a usable unicast address");
				c->ip4.addr = a4;
			} else if (af == AF_INET6) {
				if (IN6_IS_ADDR_UNSPECIFIED(&a6) ||
				    IN6_IS_ADDR_LOOPBACK(&a6) ||
				    IN6_IS_ADDR_MULTICAST(&a6) ||
				    IN6_IS_ADDR_V4MAPPED(&a6))
					die_opt(opt, optarg,
						"not a usable unicast address");
				c->ip6.addr = a6;
			} else {
				die_opt(opt, optarg, "not an IP address");
			}
			break;
		case 'n':
			if (!str_to_ulong(optarg, 32, &v)) {
				c->ip4.prefix_len = (int)v;
			} else if (inet_pton(AF_INET, optarg, &a4) == 1) {
				uint32_t m = ntohl(a4.s_addr);
				int len = 0;

				while (m & 0x80000000U) {
					m <<= 1;
					len++;
				}
				if (m)
					die_opt(opt, optarg,
						"not a contiguous netmask");
				c->ip4.prefix_len = len;
			} else {
				die_opt(opt, optarg,
					"not a netmask or prefix length");
			}
			if (!c->ip4.prefix_len)
				die_opt(opt, optarg, "prefix length is zero");
			break;
		case 'M':
			if (parse_mac(optarg, c->our_tap_mac))
				die_opt(opt, optarg, "not a MAC address");
			break;
		case OPT_NS_MAC:
			conf_pasta_only(c, opt);
			if (parse_mac(optarg, c->pasta_mac))
				die_opt(opt, optarg, "not a MAC address");
			c->pasta_mac_set = true;
			break;
		case 'g':
			af = parse_addr(optarg, &a4, &a6);
			if (af == AF_INET &&
			    a4.s_addr != INADDR_ANY &&
			    a4.s_addr != INADDR_BROADCAST &&
			    !IN_MULTICAST(ntohl(a4.s_addr)))
				c->ip4.gw = a4;
			else if (af == AF_INET6 &&
				 !IN6_IS_ADDR_UNSPECIFIED(&a6) &&
				 !IN6_IS_ADDR_MULTICAST(&a6))
				c->ip6.gw = a6;
			else
				die_opt(opt, optarg,
					"not a usable gateway address");
			break;
		case 'i':
			c->ifi4 = c->ifi6 = conf_ifname(opt, optarg,
							c->ifname4);
			strcpy(c->ifname6, c->ifname4);
			break;
		case 'o':
			af = parse_addr(optarg, &a4, &a6);
			if (af == AF_INET)
				c->ip4.addr_out = a4;
			else if (af == AF_INET6)
				c->ip6.addr_out = a6;
			else
				die_opt(opt, optarg, "not an IP address");
			break;
		case OPT_OUT_IF4:
			conf_ifname(opt, optarg, c->ip4.ifname_out);
			break;
		case OPT_OUT_IF6:
			conf_ifname(opt, optarg, c->ip6.ifname_out);
			break;
		case 'D':
			if (!strcmp(optarg, "none")) {
				dns_set = true;
				dns4 = dns6 = 0;
				memset(c->ip4.dns, 0, sizeof(c->ip4.dns));
				memset(c->ip6.dns, 0, sizeof(c->ip6.dns));
				break;
			}
			af = parse_addr(optarg, &a4, &a6);
			if (!af)
				die_opt(opt, optarg, "not an IP address");
			if ((af == AF_INET && dns4 >= MAXNS) ||
			    (af == AF_INET6 && dns6 >= MAXNS))
				die_opt(opt, optarg, "too many DNS servers "
					"(at most " STR(MAXNS) " per family)");
			if (af == AF_INET)
				c->ip4.dns[dns4++] = a4;
			else
				c->ip6.dns[dns6++] = a6;
			dns_set = true;
			break;
		case 'S':
			conf_search(c, optarg);
			break;
		case OPT_NO_DHCP_DNS:
			c->no_dhcp_dns = true;
			break;
		case OPT_NO_DHCP_SEARCH:
			c->no_dhcp_dns_search = true;
			break;
		case OPT_DNS_FORWARD:
			af = parse_addr(optarg, &a4, &a6);
			if (af == AF_INET)
				c->ip4.dns_match = a4;
			else if (af == AF_INET6)
				c->ip6.dns_match = a6;
			else
				die_opt(opt, optarg, "not an IP address");
			break;
		case OPT_DNS_HOST:
			af = parse_addr(optarg, &a4, &a6);
			if (af == AF_INET)
				c->ip4.dns_host = a4;
			else if (af == AF_INET6)
				c->ip6.dns_host = a6;
			else
				die_opt(opt, optarg, "not an IP address");
			break;
		case OPT_NO_TCP:
			c->no_tcp = true;
			break;
		case OPT_NO_UDP:
			c->no_udp = true;
			break;
		case OPT_NO_ICMP:
			c->no_icmp = true;
			break;
		case OPT_NO_DHCP:
			c->no_dhcp = true;
			break;
		case OPT_NO_NDP:
			c->no_ndp = true;
			break;
		case OPT_NO_DHCPV6:
			c->no_dhcpv6 = true;
			break;
		case OPT_NO_RA:
			c->no_ra = true;
			break;
		case OPT_NO_MAP_GW:
			c->no_map_gw = true;
			break;
		case OPT_MAP_HOST_LO:
		case OPT_MAP_GUEST: {
			bool host_lo = opt == OPT_MAP_HOST_LO;
			struct in_addr *d4 = host_lo ? &c->ip4.map_host_loopback
						     : &c->ip4.map_guest_addr;
			struct in6_addr *d6 = host_lo ?
					      &c->ip6.map_host_loopback :
					      &c->ip6.map_guest_addr;

			if (!strcmp(optarg, "none")) {
				if (host_lo)
					c->no_map_gw = true;
				break;
			}
			af = parse_addr(optarg, &a4, &a6);
			if (af == AF_INET)
				*d4 = a4;
			else if (af == AF_INET6)
				*d6 = a6;
			else
				die_opt(opt, optarg, "not an IP address");
			break;
		}
		case '4':
			v4_only = true;
			break;
		case '6':
			v6_only = true;
			break;
		case 't':
			conf_ports(c, opt, optarg, &c->tcp_in);
			break;
		case 'u':
			conf_ports(c, opt, optarg, &c->udp_in);
			break;
		case 'T':
			conf_pasta_only(c, opt);
			conf_ports(c, opt, optarg, &c->tcp_out);
			break;
		case 'U':
			conf_pasta_only(c, opt);
			conf_ports(c, opt, optarg, &c->udp_out);
			break;
		case 'I':
			conf_pasta_only(c, opt);
			if (!*optarg || strlen(optarg) >= IFNAMSIZ ||
			    strchr(optarg, '/') || strchr(optarg, ' '))
				die_opt(opt, optarg, "invalid interface name");
			strcpy(c->pasta_ifname, optarg);
			break;
		case OPT_NETNS:
			conf_pasta_only(c, opt);
			if (!*optarg)
				die_opt(opt, optarg, "empty");
			if (strchr(optarg, '/')) {
				if (strlen(optarg) >= sizeof(c->netns_path))
					die_opt(opt, optarg, "path too long");
				strcpy(c->netns_path, optarg);
			} else {
				if (strlen(optarg) + sizeof(NETNS_RUN_DIR "/") >
				    sizeof(c->netns_path))
					die_opt(opt, optarg, "name too long");
				snprintf(c->netns_path, sizeof(c->netns_path),
					 NETNS_RUN_DIR "/%s", optarg);
			}
			break;
		case OPT_USERNS:
			conf_pasta_only(c, opt);
			if (!*optarg || strlen(optarg) >= sizeof(c->userns_path))
				die_opt(opt, optarg, "invalid path");
			strcpy(c->userns_path, optarg);
			break;
		case OPT_NETNS_ONLY:
			conf_pasta_only(c, opt);
			c->netns_only = true;
			break;
		case OPT_NO_NETNS_QUIT:
			conf_pasta_only(c, opt);
			c->no_netns_quit = true;
			break;
		case OPT_CONFIG_NET:
			conf_pasta_only(c, opt);
			c->pasta_conf_ns = true;
			break;
		case OPT_RUNAS:
			conf_runas(c, optarg);
			break;
		case 'H':
			if (!*optarg || strlen(optarg) > HOST_NAME_MAX)
				die_opt(opt, optarg, "invalid host name");
			strcpy(c->hostname, optarg);
			break;
		case OPT_FQDN:
			if (!*optarg || strlen(optarg) > DNSRCH_LEN)
				die_opt(opt, optarg, "invalid domain name");
			strcpy(c->fqdn, optarg);
			break;
		case OPT_HOST_LO_TO_NS_LO:
			conf_pasta_only(c, opt);
			c->host_lo_to_ns_lo = true;
			break;
		case OPT_NO_SPLICE:
			conf_pasta_only(c, opt);
			c->no_splice = true;
			break;
		case ':':
			die("Option %s needs a value (see --help)",
			    argv[optind - 1]);
		case '?':
		default:
			conf_bad_option(argv[optind - 1], optopt);
		}
	}

	if (v4_only && v6_only)
		die("Options -4 (--ipv4-only) and -6 (--ipv6-only) "
		    "exclude each other");
	if (v4_only)
		c->ifi6 = (unsigned int)-1;	/* Marked: disabled below */
	if (v6_only)
		c->ifi4 = (unsigned int)-1;

	if (c->mode == MODE_PASST) {
		if (c->tcp_in.mode == FWD_UNSET)
			c->tcp_in.mode = FWD_NONE;
		if (c->udp_in.mode == FWD_UNSET)
			c->udp_in.mode = FWD_NONE;
		if (optind < argc)
			die("Unexpected argument: %s (see --help)",
			    argv[optind]);
		if (c->fd_tap_given && *c->sock_path)
			die("Options --fd and --socket exclude each other");
	} else {
		struct fwd_ports *f[] = { &c->tcp_in, &c->udp_in,
					  &c->tcp_out, &c->udp_out };
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(f); i++)
			if (f[i]->mode == FWD_UNSET)
				f[i]->mode = FWD_AUTO;

		if (*c->netns_path && optind < argc)
			die("Unexpected argument with --netns: %s",
			    argv[optind]);
		if (*c->userns_path && !*c->netns_path && optind == argc)
			die("Option --userns needs --netns or a PID");
	}

	r->argc = argc - optind;
	r->argv = argv + optind;
	c->dns_set_by_user = dns_set;
}

/**
 * conf_resolv() - Read DNS servers and search domains from resolv.conf
 * @c:		Execution context
 */
static void conf_resolv(struct ctx *c)
{
	bool read_dns = !c->dns_set_by_user, read_search = !*c->dns_search[0];
	int dns4 = 0, dns6 = 0, nsearch = 0;
	char line[BUFSIZ];
	FILE *f;

	if (!read_dns && !read_search)
		return;
	f = fopen(RESOLV_CONF, "re");
	if (!f) {
		debug("Can't read " RESOLV_CONF ", no DNS defaults");
		return;
	}

	while (fgets(line, sizeof(line), f)) {
		char *kw, *arg, *save;

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
	fclose(f);
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
			info("No default IPv4 route on the host: IPv4 "
			     "disabled");
			return false;
		}
		if_indextoname(c->ifi4, c->ifname4);
	}

	if (!c->ip4.gw.s_addr)
		nl_route_get_def(nl_sock, c->ifi4, AF_INET, &c->ip4.gw);

	if (!c->ip4.addr.s_addr) {
		int len = 0;

		if (nl_addr_get(nl_sock, c->ifi4, AF_INET, &c->ip4.addr,
				&len, NULL)) {
			info("No IPv4 address on %s: IPv4 disabled",
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
		info("No IPv4 gateway found on %s: IPv4 disabled",
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
			info("No default IPv6 route on the host: IPv6 "
			     "disabled");
			return false;
		}
		if_indextoname(c->ifi6, c->ifname6);
	}

	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.gw))
		nl_route_get_def(nl_sock, c->ifi6, AF_INET6, &c->ip6.gw);

	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr)) {
		int len = 0;

		if (nl_addr_get(nl_sock, c->ifi6, AF_INET6, &c->ip6.addr,
				&len, &ll)) {
			info("No IPv6 address on %s: IPv6 disabled",
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
		info("No IPv6 gateway found on %s: IPv6 disabled",
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
	unsigned int lo = if_nametoindex("lo");

	info("No default route on the host: local mode, the guest reaches "
	     "only this host");
	c->local_mode = true;

	if (v4) {
		c->ifi4 = lo;
		strcpy(c->ifname4, "lo");
		if (!c->ip4.addr.s_addr)
			inet_pton(AF_INET, IP4_LOCAL_ADDR, &c->ip4.addr);
		if (!c->ip4.gw.s_addr)
			inet_pton(AF_INET, IP4_LOCAL_GW, &c->ip4.gw);
		if (!c->ip4.prefix_len)
			c->ip4.prefix_len = IP4_LOCAL_PREFIX_LEN;
	}
	if (v6) {
		c->ifi6 = lo;
		strcpy(c->ifname6, "lo");
		if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.gw))
			inet_pton(AF_INET6, IP6_LOCAL_GW, &c->ip6.gw);
		if (!c->ip6.prefix_len)
			c->ip6.prefix_len = 64;
		inet_pton(AF_INET6, IP6_LOCAL_GW, &c->ip6.our_tap_ll);
	}
}

/**
 * conf_defaults() - Fill in what the command line didn't give, from the host
 * @c:		Execution context, after conf()
 */
void conf_defaults(struct ctx *c)
{
	bool v4_allowed = c->ifi4 != (unsigned int)-1;
	bool v6_allowed = c->ifi6 != (unsigned int)-1;
	bool v4, v6;

	nl_sock_init();

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
		die("Both IPv4 and IPv6 are disabled: nothing to do");

	if (c->mtu && c->mtu < MTU_MIN_IPV6 && c->ifi6) {
		info("MTU %i is below the IPv6 minimum of " STR(MTU_MIN_IPV6)
		     ": IPv6 disabled", c->mtu);
		c->ifi6 = 0;
	}

	if (!c->no_map_gw) {
		if (!c->ip4.map_host_loopback.s_addr)
			c->ip4.map_host_loopback = c->ip4.gw;
		if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_loopback))
			c->ip6.map_host_loopback = c->ip6.gw;
	}

	c->ip4.our_tap_addr = c->ip4.gw;
	c->ip4.addr_seen = c->ip4.addr;
	c->ip6.addr_seen = c->ip6.addr;

	conf_resolv(c);
	conf_dns_loopback(c);

	if (c->mode == MODE_PASTA && !*c->pasta_ifname) {
		const char *n = c->ifi4 ? c->ifname4 : c->ifname6;

		if (c->local_mode || !*n)
			n = "tap0";
		strcpy(c->pasta_ifname, n);
	}
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
