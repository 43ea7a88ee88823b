// SPDX-License-Identifier: GPL-2.0-or-later
/* test_conf.c - Command line parsing (conf())
 *
 * Each test runs conf() once on an argument vector, in passt or pasta mode,
 * and checks what it set in struct ctx and struct conf_result. conf() stops
 * the program on the first bad value with exit status 1: those cases are
 * Check exit tests. A few more tests run conf() in a child of their own to
 * read its message, which must name the option and the value refused.
 *
 * getopt keeps global state, so every case is its own test: Check runs
 * each test in a fresh process.
 */

#include <arpa/inet.h>
#include <check.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "fwd.h"
#include "log.h"
#include "passt.h"
#include "util.h"
#include "unit.h"

#define ARGS_MAX	32

static struct ctx c;		/* Large: static, zeroed for each run */
static struct conf_result res;

/**
 * run_conf() - Run conf() on a fresh context
 * @mode:	MODE_PASST or MODE_PASTA, also sets argv[0]
 * @args:	Arguments after argv[0], NULL-terminated
 */
static void run_conf(enum passt_mode mode, const char *const *args)
{
	static char *argv[ARGS_MAX + 2];
	int argc = 0;

	argv[argc++] = strdup(mode == MODE_PASTA ? "pasta" : "passt");
	for (; *args; args++) {
		ck_assert_int_lt(argc, ARGS_MAX);
		argv[argc++] = strdup(*args);	/* getopt wants them writable */
	}
	argv[argc] = NULL;

	memset(&c, 0, sizeof(c));
	memset(&res, 0, sizeof(res));
	c.mode = mode;
	conf(&c, argc, argv, &res);
}

#define ARGS(...)	((const char *const []){ __VA_ARGS__, NULL })
#define NO_ARGS		((const char *const []){ NULL })

#define passt(...)	run_conf(MODE_PASST, ARGS(__VA_ARGS__))
#define pasta(...)	run_conf(MODE_PASTA, ARGS(__VA_ARGS__))

/* For exit tests: conf() must not return. Not ck_abort_msg(): a failed
 * assertion exits with 1 too, which an exit test for status 1 would take
 * for a pass.
 */
#define refused(run, what)						\
	do {								\
		run;							\
		mark_point();						\
		fprintf(stderr, "%s: %s accepted: %s\n", __func__,	\
			(what), #run);					\
		_exit(EXIT_SUCCESS);					\
	} while (0)
#define passt_refused(...)	refused(passt(__VA_ARGS__), "passt")

/**
 * conf_exit() - Run conf() in a child, collect exit status and messages
 * @msg:	Buffer for what the child wrote to stderr
 * @size:	Size of @msg
 * @mode:	MODE_PASST or MODE_PASTA
 * @args:	Arguments after argv[0], NULL-terminated
 *
 * Return: exit status of the child, 0 if conf() returned, -1 if killed
 */
static int conf_exit(char *msg, size_t size, enum passt_mode mode,
		     const char *const *args)
{
	size_t n = 0;
	int p[2], status;
	ssize_t rc;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		run_conf(mode, args);
		_exit(0);
	}

	close(p[1]);
	while (n < size - 1 && (rc = read(p[0], msg + n, size - 1 - n)) > 0)
		n += (size_t)rc;
	msg[n] = '\0';
	close(p[0]);

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/**
 * quiet() - Checked fixture: no messages from die() in exit tests
 */
static void quiet(void)
{
	log_stderr = false;
}

/* Refused: exit status 1 */

/**
 * struct conf_case - A command line conf() must refuse
 * @what:	What is wrong with it, for messages
 * @mode:	MODE_PASST or MODE_PASTA
 * @args:	Arguments after argv[0], NULL-terminated
 */
struct conf_case {
	const char *what;
	enum passt_mode mode;
	const char *const *args;
};

#define PASST	MODE_PASST
#define PASTA	MODE_PASTA

static const struct conf_case conf_refused[] = {
	{ "unknown option",		PASST, ARGS("--bogus") },
	{ "unknown short option",	PASST, ARGS("-x") },
	{ "port above 65535",		PASST, ARGS("-t", "70000") },
	{ "reversed port range",	PASST, ARGS("-t", "2000-1000") },
	{ "UDP port garbage",		PASST, ARGS("-u", "abc") },
	{ "port forwarded twice",	PASST, ARGS("-t", "80", "-t", "80") },
	{ "MTU below minimum",		PASST, ARGS("-m", "10") },
	{ "MTU above maximum",		PASST, ARGS("-m", "70000") },
	{ "MTU not a number",		PASST, ARGS("-m", "abc") },
	{ "DHCP lease too short",	PASST, ARGS("--dhcp-lease", "9") },
	{ "DHCP lease too long",	PASST, ARGS("--dhcp-lease", "604801") },
	{ "missing option value",	PASST, ARGS("-m") },
	{ "bad IPv4 address",		PASST, ARGS("-a", "300.1.1.1") },
	{ "loopback address",		PASST, ARGS("-a", "127.0.0.1") },
	{ "unspecified IPv6 address",	PASST, ARGS("-a", "::") },
	{ "prefix length above 32",	PASST, ARGS("-n", "33") },
	{ "prefix length zero",		PASST, ARGS("-n", "0") },
	{ "non-contiguous netmask",	PASST, ARGS("-n", "255.0.255.0") },
	{ "short MAC address",		PASST, ARGS("-M", "02:00:00:00:00") },
	{ "long MAC address",	PASST, ARGS("-M", "02:00:00:00:00:01:02") },
	{ "negative MAC bytes",	PASST, ARGS("-M", "-1:-1:-1:-1:-1:-1") },
	{ "MAC byte without digits",
				PASST, ARGS("-M", "0x:01:02:03:04:05") },
	{ "gateway not an address",	PASST, ARGS("-g", "nope") },
	{ "unknown interface",		PASST, ARGS("-i", "nonexist0") },
	{ "auto ports in passt",	PASST, ARGS("-t", "auto") },
	{ "--config-net in passt",	PASST, ARGS("--config-net") },
	{ "--netns in passt",	PASST, ARGS("--netns", "/run/netns/x") },
	{ "socket in pasta",		PASTA, ARGS("-s", "/tmp/x.socket") },
	{ "log size not a number",	PASST, ARGS("--log-size", "abc") },
	{ "log size below minimum",	PASST, ARGS("--log-size", "100") },
	{ "idle timeout not a number",	PASST,
					ARGS("--tcp-idle-timeout", "1h") },
	{ "idle timeout negative",	PASTA,
					ARGS("--tcp-idle-timeout", "-1") },
	{ "idle timeout over a year",	PASST,
					ARGS("--tcp-idle-timeout", "31536001") },
	{ "IPv4 only and IPv6 only",	PASST, ARGS("-4", "-6") },
	{ "DNS not an address",		PASST, ARGS("-D", "nope") },
	{ "DNS unspecified",		PASST, ARGS("-D", "0.0.0.0") },
	{ "DNS unspecified, IPv6",	PASST, ARGS("-D", "::") },
	{ "DNS multicast",		PASST, ARGS("-D", "224.0.0.251") },
	{ "DNS broadcast",		PASST, ARGS("-D", "255.255.255.255") },
	{ "too many DNS servers",	PASST, ARGS("-D", "192.0.2.1",
						    "-D", "192.0.2.2",
						    "-D", "192.0.2.3",
						    "-D", "192.0.2.4") },
	{ "too many search domains",	PASST, ARGS("-S", "a b c d e f g") },
	{ "file descriptor below 3",	PASST, ARGS("-F", "2") },
	{ "file descriptor and socket",	PASST, ARGS("-F", "5",
						    "-s", "/tmp/x.socket") },
	{ "positional argument in passt", PASST, ARGS("-f", "extra") },
	{ "--userns without --netns",	PASTA, ARGS("--userns",
						    "/proc/1/ns/user") },
	{ "empty hostname",		PASST, ARGS("-H", "") },
	{ "outbound address garbage",	PASST, ARGS("-o", "nope") },
	{ "unknown outbound interface",	PASST, ARGS("--outbound-if6",
						    "nonexist0") },
	{ "--one-off in pasta",		PASTA, ARGS("--one-off") },
	{ "namespace interface with /",	PASTA, ARGS("-I", "a/b") },
	{ "--netns and a command",	PASTA, ARGS("--netns", "x", "sh") },
};

START_TEST(command_line_refused)
{
	const struct conf_case *t = &conf_refused[_i];

	refused(run_conf(t->mode, t->args), t->what);
}
END_TEST

START_TEST(overlong_socket_path_refused)
{
	char path[201];

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	passt_refused("-s", path);
}
END_TEST

START_TEST(overlong_fqdn_refused)
{
	char name[DNSRCH_LEN + 2];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	passt_refused("--fqdn", name);
}
END_TEST

/* Messages name the option and the value */

/**
 * struct conf_msg_case - A command line conf() refuses, and its message
 * @refused:	The command line
 * @names:	Two pieces the message must contain
 */
struct conf_msg_case {
	struct conf_case refused;
	const char *names[2];
};

static const struct conf_msg_case conf_messages[] = {
	{ { "port", PASST, ARGS("-t", "70000") }, { "--tcp-ports", "70000" } },
	{ { "MTU", PASST, ARGS("-m", "10") }, { "--mtu", "\"10\"" } },
	{ { "address", PASST, ARGS("-a", "300.1.1.1") },
	  { "--address", "300.1.1.1" } },
	{ { "interface", PASST, ARGS("-i", "nonexist0") },
	  { "--interface", "nonexist0" } },
	{ { "unknown option", PASST, ARGS("--bogus") },
	  { "Unknown", "--bogus" } },
	{ { "missing value", PASST, ARGS("-m") }, { "needs a value", "-m" } },
	/* A known option, given a value it doesn't take */
	{ { "value for a flag", PASST, ARGS("--debug=1") }, { "--debug", "" } },
	{ { "pasta only", PASST, ARGS("--config-net") },
	  { "--config-net", "pasta" } },
	{ { "passt only", PASTA, ARGS("--socket", "/tmp/x.socket") },
	  { "--socket", "passt" } },
	/* Not "empty": the option has no business in passt at all */
	{ { "mode checked before value", PASST, ARGS("--netns", "") },
	  { "--netns", "only valid for pasta" } },
	/* The first of two bad options is reported, in either order */
	{ { "first of two, mode", PASST, ARGS("--config-net", "-m", "10") },
	  { "--config-net", "pasta" } },
	{ { "first of two, value", PASST, ARGS("-m", "10", "--config-net") },
	  { "--mtu", "\"10\"" } },
	{ { "bad value before conflict", PASST,
	    ARGS("-4", "-6", "-m", "10") }, { "--mtu", "\"10\"" } },
	{ { "-4 with -6", PASST, ARGS("-6", "-4") },
	  { "-4 (--ipv4-only)", "-6 (--ipv6-only)" } },
	{ { "--fd with --socket", PASST,
	    ARGS("-s", "/tmp/x.socket", "-F", "5") }, { "--fd", "--socket" } },
	{ { "--userns alone", PASTA, ARGS("--userns", "/proc/1/ns/user") },
	  { "--userns", "--netns" } },
};

START_TEST(error_names_option_and_value)
{
	const struct conf_msg_case *t = &conf_messages[_i];
	const struct conf_case *r = &t->refused;
	char msg[1024];

	ck_assert_int_eq(conf_exit(msg, sizeof(msg), r->mode, r->args), 1);
	ck_assert_msg(strstr(msg, t->names[0]) && strstr(msg, t->names[1]),
		      "%s: message doesn't mention \"%s\" and \"%s\": %s",
		      r->what, t->names[0], t->names[1], msg);
}
END_TEST

/* Accepted */

START_TEST(defaults_without_options)
{
	const uint8_t mac[ETH_ALEN] = MAC_OUR_DEFAULT;

	run_conf(MODE_PASST, NO_ARGS);
	ck_assert_int_eq(c.mtu, MTU_DEFAULT);
	ck_assert(!c.mtu_set);
	ck_assert_mem_eq(c.our_tap_mac, mac, ETH_ALEN);
	ck_assert_int_eq(c.fd_tap, -1);
	ck_assert_uint_eq(c.log_size, LOGFILE_SIZE_DEFAULT);
	ck_assert(!c.dns_set_by_user);
	ck_assert_int_eq(res.argc, 0);
}
END_TEST

START_TEST(mtu_set)
{
	passt("-m", "1500");
	ck_assert_int_eq(c.mtu, 1500);
	ck_assert(c.mtu_set);
}
END_TEST

START_TEST(mtu_long_option_with_equals)
{
	passt("--mtu=9000");
	ck_assert_int_eq(c.mtu, 9000);
}
END_TEST

START_TEST(mtu_zero_accepted)
{
	passt("-m", "0");
	ck_assert_int_eq(c.mtu, 0);
	ck_assert(c.mtu_set);
}
END_TEST

START_TEST(mtu_minimum_accepted)
{
	passt("-m", "68");
	ck_assert_int_eq(c.mtu, MTU_MIN);
}
END_TEST

START_TEST(mtu_maximum_accepted)
{
	passt("-m", "65520");
	ck_assert_int_eq(c.mtu, MTU_MAX);
}
END_TEST

START_TEST(ipv4_address_and_prefix_length)
{
	struct in_addr a;

	passt("-a", "10.0.0.5", "-n", "24");
	inet_pton(AF_INET, "10.0.0.5", &a);
	ck_assert_uint_eq(c.ip4.addr.s_addr, a.s_addr);
	ck_assert_int_eq(c.ip4.prefix_len, 24);
}
END_TEST

START_TEST(netmask_converted_to_prefix_length)
{
	passt("-n", "255.255.0.0");
	ck_assert_int_eq(c.ip4.prefix_len, 16);
}
END_TEST

START_TEST(full_netmask_is_prefix_32)
{
	passt("-n", "255.255.255.255");
	ck_assert_int_eq(c.ip4.prefix_len, 32);
}
END_TEST

START_TEST(ipv6_address)
{
	struct in6_addr a;

	passt("-a", "2001:db8::5");
	inet_pton(AF_INET6, "2001:db8::5", &a);
	ck_assert_mem_eq(&c.ip6.addr, &a, sizeof(a));
	ck_assert_uint_eq(c.ip4.addr.s_addr, 0);
}
END_TEST

START_TEST(gateways_for_both_families)
{
	struct in6_addr a6;
	struct in_addr a4;

	passt("-g", "10.0.0.1", "-g", "2001:db8::1");
	inet_pton(AF_INET, "10.0.0.1", &a4);
	inet_pton(AF_INET6, "2001:db8::1", &a6);
	ck_assert_uint_eq(c.ip4.gw.s_addr, a4.s_addr);
	ck_assert_mem_eq(&c.ip6.gw, &a6, sizeof(a6));
}
END_TEST

START_TEST(mac_address_set)
{
	const uint8_t mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };

	passt("-M", "02:00:00:00:00:01");
	ck_assert_mem_eq(c.our_tap_mac, mac, ETH_ALEN);
}
END_TEST

START_TEST(interface_lo_accepted)
{
	passt("-i", "lo");
	ck_assert_uint_eq(c.ifi4, if_nametoindex("lo"));
	ck_assert_uint_eq(c.ifi6, if_nametoindex("lo"));
	ck_assert_str_eq(c.ifname4, "lo");
	ck_assert_str_eq(c.ifname6, "lo");
}
END_TEST

START_TEST(ipv4_only_disables_ipv6)
{
	passt("-4");
	ck_assert_uint_eq(c.ifi6, (unsigned int)-1);
	ck_assert_uint_ne(c.ifi4, (unsigned int)-1);
}
END_TEST

START_TEST(ipv6_only_disables_ipv4)
{
	passt("--ipv6-only");
	ck_assert_uint_eq(c.ifi4, (unsigned int)-1);
	ck_assert_uint_ne(c.ifi6, (unsigned int)-1);
}
END_TEST

START_TEST(socket_path_set)
{
	passt("-s", "/tmp/test.socket");
	ck_assert_str_eq(c.sock_path, "/tmp/test.socket");
}
END_TEST

START_TEST(log_size_set)
{
	passt("--log-size", "100000");
	ck_assert_uint_eq(c.log_size, 100000);
}
END_TEST

START_TEST(tcp_idle_timeout_default_and_set)
{
	passt("-f");
	ck_assert_uint_eq(c.tcp_idle_timeout, 7875);
	passt("--tcp-idle-timeout", "0");
	ck_assert_uint_eq(c.tcp_idle_timeout, 0);
	passt("--tcp-idle-timeout", "31536000");
	ck_assert_uint_eq(c.tcp_idle_timeout, 31536000);
}
END_TEST

START_TEST(tcp_ports_forwarded_and_mapped)
{
	passt("-t", "22,80:8080");
	ck_assert_int_eq(c.tcp_in.mode, FWD_SPEC);
	ck_assert(fwd_port_is_fwd(&c.tcp_in, 22));
	ck_assert_uint_eq(fwd_port_target(&c.tcp_in, 22), 22);
	ck_assert(fwd_port_is_fwd(&c.tcp_in, 80));
	ck_assert_uint_eq(fwd_port_target(&c.tcp_in, 80), 8080);
	ck_assert(!fwd_port_is_fwd(&c.tcp_in, 8080));
	ck_assert_int_eq(c.udp_in.mode, FWD_NONE);
}
END_TEST

START_TEST(tcp_ports_long_option_with_equals)
{
	passt("--tcp-ports=1000-1001");
	ck_assert_int_eq(c.tcp_in.mode, FWD_SPEC);
	ck_assert(!fwd_port_is_fwd(&c.tcp_in, 999));
	ck_assert(fwd_port_is_fwd(&c.tcp_in, 1000));
	ck_assert(fwd_port_is_fwd(&c.tcp_in, 1001));
	ck_assert(!fwd_port_is_fwd(&c.tcp_in, 1002));
}
END_TEST

START_TEST(repeated_port_options_accumulate)
{
	passt("-t", "22", "-t", "80", "-u", "53");
	ck_assert(fwd_port_is_fwd(&c.tcp_in, 22));
	ck_assert(fwd_port_is_fwd(&c.tcp_in, 80));
	ck_assert(!fwd_port_is_fwd(&c.tcp_in, 53));
	ck_assert_int_eq(c.udp_in.mode, FWD_SPEC);
	ck_assert(fwd_port_is_fwd(&c.udp_in, 53));
	ck_assert(!fwd_port_is_fwd(&c.udp_in, 22));
}
END_TEST

START_TEST(passt_default_forwards_nothing)
{
	run_conf(MODE_PASST, NO_ARGS);
	ck_assert_int_eq(c.tcp_in.mode, FWD_NONE);
	ck_assert_int_eq(c.udp_in.mode, FWD_NONE);
}
END_TEST

START_TEST(pasta_default_is_auto_everywhere)
{
	run_conf(MODE_PASTA, NO_ARGS);
	ck_assert_int_eq(c.tcp_in.mode, FWD_AUTO);
	ck_assert_int_eq(c.udp_in.mode, FWD_AUTO);
	ck_assert_int_eq(c.tcp_out.mode, FWD_AUTO);
	ck_assert_int_eq(c.udp_out.mode, FWD_AUTO);
}
END_TEST

START_TEST(pasta_explicit_spec_keeps_other_defaults)
{
	pasta("-t", "none", "-U", "53");
	ck_assert_int_eq(c.tcp_in.mode, FWD_NONE);
	ck_assert_int_eq(c.udp_in.mode, FWD_AUTO);
	ck_assert_int_eq(c.tcp_out.mode, FWD_AUTO);
	ck_assert_int_eq(c.udp_out.mode, FWD_SPEC);
	ck_assert(fwd_port_is_fwd(&c.udp_out, 53));
}
END_TEST

START_TEST(pasta_auto_accepted)
{
	pasta("-t", "auto");
	ck_assert_int_eq(c.tcp_in.mode, FWD_AUTO);
}
END_TEST

START_TEST(pasta_ns_interface_not_checked_here)
{
	/* -T: the interface is in the namespace, not on this host */
	pasta("-T", "%nonexist0/80");
	ck_assert(fwd_port_is_fwd(&c.tcp_out, 80));
}
END_TEST

START_TEST(dns_servers_for_both_families)
{
	struct in6_addr a6;
	struct in_addr a4;

	passt("-D", "192.0.2.53", "-D", "2001:db8::53");
	inet_pton(AF_INET, "192.0.2.53", &a4);
	inet_pton(AF_INET6, "2001:db8::53", &a6);
	ck_assert_uint_eq(c.ip4.dns[0].s_addr, a4.s_addr);
	ck_assert_uint_eq(c.ip4.dns[1].s_addr, 0);
	ck_assert_mem_eq(&c.ip6.dns[0], &a6, sizeof(a6));
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&c.ip6.dns[1]));
	ck_assert(c.dns_set_by_user);
}
END_TEST

START_TEST(dns_servers_kept_in_order)
{
	struct in_addr a4;

	passt("-D", "192.0.2.1", "-D", "192.0.2.2", "-D", "192.0.2.3");
	inet_pton(AF_INET, "192.0.2.1", &a4);
	ck_assert_uint_eq(c.ip4.dns[0].s_addr, a4.s_addr);
	inet_pton(AF_INET, "192.0.2.3", &a4);
	ck_assert_uint_eq(c.ip4.dns[2].s_addr, a4.s_addr);
}
END_TEST

START_TEST(dns_none_clears_servers)
{
	passt("-D", "192.0.2.53", "-D", "none");
	ck_assert_uint_eq(c.ip4.dns[0].s_addr, 0);
	ck_assert(c.dns_set_by_user);
}
END_TEST

START_TEST(follow_defaults_and_options)
{
	passt("-a", "192.0.2.2");
	ck_assert(!c.no_follow);
	ck_assert_uint_eq(c.dhcp_lease, DHCP_LEASE_DEFAULT);
	passt("--no-follow", "--dhcp-lease", "30");
	ck_assert(c.no_follow);
	ck_assert_uint_eq(c.dhcp_lease, 30);
}
END_TEST

START_TEST(given_values_are_pinned)
{
	passt("-a", "192.0.2.2", "-g", "192.0.2.1", "-S", "a.example",
	      "--dns-host", "2001:db8::53", "-4");
	ck_assert(c.pins.addr4 && c.pins.gw4 && c.pins.search);
	ck_assert(c.pins.dns_host6 && !c.pins.dns_host4);
	ck_assert(!c.pins.prefix4 && !c.pins.addr6 && !c.pins.gw6);
	ck_assert(c.pins.off6 && !c.pins.off4);
	ck_assert_uint_eq(c.pins.ifi, 0);
}
END_TEST

START_TEST(refresh_keeps_what_was_given)
{
	static const char resolv[] = "nameserver 203.0.113.9\n"
				     "nameserver 2001:db8::9\n"
				     "search new.example\n";

	/* Given: address, gateway and DNS servers; the search list isn't */
	passt("-a", "192.0.2.2", "-n", "24", "-g", "192.0.2.1",
	      "-D", "198.51.100.53");
	conf_refresh(&c, resolv);
	ck_assert_uint_eq(c.ip4.addr.s_addr, inet_addr("192.0.2.2"));
	ck_assert_int_eq(c.ip4.prefix_len, 24);
	ck_assert_uint_eq(c.ip4.gw.s_addr, inet_addr("192.0.2.1"));
	ck_assert_uint_eq(c.ip4.dns[0].s_addr, inet_addr("198.51.100.53"));
	ck_assert_uint_eq(c.ip4.dns[1].s_addr, 0);
	ck_assert_str_eq(c.dns_search[0], "new.example");

	/* Nothing given: resolv.conf's servers, and the resolver */
	passt("-S", "old.example");
	conf_refresh(&c, resolv);
	ck_assert_uint_eq(c.ip4.dns[0].s_addr, inet_addr("203.0.113.9"));
	ck_assert_uint_eq(c.ip4.dns_host.s_addr, inet_addr("203.0.113.9"));
	ck_assert_str_eq(c.dns_search[0], "old.example");
	ck_assert_str_eq(c.dns_search[1], "");
}
END_TEST

START_TEST(search_domains_split_on_spaces)
{
	passt("-S", "a.example b.example");
	ck_assert_str_eq(c.dns_search[0], "a.example");
	ck_assert_str_eq(c.dns_search[1], "b.example");
	ck_assert_str_eq(c.dns_search[2], "");
}
END_TEST

START_TEST(pasta_command_returned)
{
	pasta("-f", "sh", "-c", "true");
	ck_assert(c.foreground);
	ck_assert_int_eq(res.argc, 3);
	ck_assert_str_eq(res.argv[0], "sh");
	ck_assert_str_eq(res.argv[1], "-c");
	ck_assert_str_eq(res.argv[2], "true");
}
END_TEST

START_TEST(pasta_pid_returned)
{
	pasta("-t", "80", "1234");
	ck_assert_int_eq(res.argc, 1);
	ck_assert_str_eq(res.argv[0], "1234");
}
END_TEST

START_TEST(pasta_double_dash_ends_options)
{
	pasta("-f", "--", "-x");
	ck_assert_int_eq(res.argc, 1);
	ck_assert_str_eq(res.argv[0], "-x");
}
END_TEST

START_TEST(pasta_without_command)
{
	run_conf(MODE_PASTA, NO_ARGS);
	ck_assert_int_eq(res.argc, 0);
}
END_TEST

/* Options handled alike, by kind */

START_TEST(flags_set)
{
	passt("-q", "-e", "-1", "--no-tcp", "--no-udp", "--no-icmp",
	      "--no-dhcp", "--no-ndp", "--no-dhcpv6", "--no-ra",
	      "--no-dhcp-dns", "--no-dhcp-search", "--no-map-gw",
	      "--forward-multicast");
	ck_assert(c.quiet && c.stderr_log && c.one_off);
	ck_assert(c.no_tcp && c.no_udp && c.no_icmp);
	ck_assert(c.no_dhcp && c.no_ndp && c.no_dhcpv6 && c.no_ra);
	ck_assert(c.no_dhcp_dns && c.no_dhcp_dns_search && c.no_map_gw);
	ck_assert(c.fwd_multicast);
	ck_assert(!c.debug && !c.foreground && !c.no_splice);
}
END_TEST

START_TEST(pasta_flags_set)
{
	pasta("--netns-only", "--no-netns-quit", "--config-net",
	      "--host-lo-to-ns-lo", "--no-splice");
	ck_assert(c.netns_only && c.no_netns_quit && c.pasta_conf_ns);
	ck_assert(c.host_lo_to_ns_lo && c.no_splice);
	ck_assert(!c.no_tcp);
}
END_TEST

START_TEST(strings_copied)
{
	passt("-H", "guest", "--fqdn", "guest.example", "-P", "/tmp/t.pid",
	      "-p", "/tmp/t.pcap", "-l", "/tmp/t.log");
	ck_assert_str_eq(c.hostname, "guest");
	ck_assert_str_eq(c.fqdn, "guest.example");
	ck_assert_str_eq(c.pidfile, "/tmp/t.pid");
	ck_assert_str_eq(c.pcap, "/tmp/t.pcap");
	ck_assert_str_eq(c.log_file, "/tmp/t.log");
}
END_TEST

START_TEST(addresses_of_either_family)
{
	struct in6_addr a6;
	struct in_addr a4;

	passt("-o", "192.0.2.9", "-o", "2001:db8::9",
	      "--dns-forward", "192.0.2.53", "--dns-host", "2001:db8::53");
	inet_pton(AF_INET, "192.0.2.9", &a4);
	ck_assert_uint_eq(c.ip4.addr_out.s_addr, a4.s_addr);
	inet_pton(AF_INET6, "2001:db8::9", &a6);
	ck_assert_mem_eq(&c.ip6.addr_out, &a6, sizeof(a6));
	inet_pton(AF_INET, "192.0.2.53", &a4);
	ck_assert_uint_eq(c.ip4.dns_match.s_addr, a4.s_addr);
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&c.ip6.dns_match));
	inet_pton(AF_INET6, "2001:db8::53", &a6);
	ck_assert_mem_eq(&c.ip6.dns_host, &a6, sizeof(a6));
	ck_assert_uint_eq(c.ip4.dns_host.s_addr, 0);
}
END_TEST

START_TEST(outbound_interfaces_per_family)
{
	passt("--outbound-if4", "lo");
	ck_assert_str_eq(c.ip4.ifname_out, "lo");
	ck_assert_str_eq(c.ip6.ifname_out, "");
}
END_TEST

START_TEST(map_host_loopback_none_disables_mapping)
{
	passt("--map-host-loopback", "none");
	ck_assert(c.no_map_gw);
}
END_TEST

START_TEST(map_guest_addr_set)
{
	struct in_addr a4;

	passt("--map-guest-addr", "192.0.2.7");
	inet_pton(AF_INET, "192.0.2.7", &a4);
	ck_assert_uint_eq(c.ip4.map_guest_addr.s_addr, a4.s_addr);
	ck_assert_uint_eq(c.ip4.map_host_loopback.s_addr, 0);
	ck_assert(!c.no_map_gw);
}
END_TEST

START_TEST(pasta_ns_mac_and_ifname_set)
{
	const uint8_t mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
	const uint8_t ours[ETH_ALEN] = MAC_OUR_DEFAULT;

	pasta("--ns-mac-addr", "02:00:00:00:00:02", "-I", "ns0");
	ck_assert_mem_eq(c.pasta_mac, mac, ETH_ALEN);
	ck_assert(c.pasta_mac_set);
	ck_assert_mem_eq(c.our_tap_mac, ours, ETH_ALEN);
	ck_assert_str_eq(c.pasta_ifname, "ns0");
}
END_TEST

START_TEST(pasta_netns_name_under_run_netns)
{
	pasta("--netns", "x");
	ck_assert_str_eq(c.netns_path, "/run/netns/x");
}
END_TEST

/**
 * conf_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = unit_tcase(s, "refused", quiet, NULL, TESTS());
	tcase_add_loop_exit_test(tc, command_line_refused, 1, 0,
				 ARRAY_SIZE(conf_refused));
	tcase_add_exit_test(tc, overlong_socket_path_refused, 1);
	tcase_add_exit_test(tc, overlong_fqdn_refused, 1);

	tc = unit_tcase(s, "messages", NULL, NULL, TESTS());
	UNIT_LOOP(tc, error_names_option_and_value, conf_messages);

	unit_tcase(s, "accepted", NULL, NULL, TESTS(
		defaults_without_options, mtu_set,
		mtu_long_option_with_equals, mtu_zero_accepted,
		mtu_minimum_accepted, mtu_maximum_accepted,
		ipv4_address_and_prefix_length,
		netmask_converted_to_prefix_length,
		full_netmask_is_prefix_32, ipv6_address,
		gateways_for_both_families, mac_address_set,
		interface_lo_accepted, ipv4_only_disables_ipv6,
		ipv6_only_disables_ipv4, socket_path_set, log_size_set, tcp_idle_timeout_default_and_set,
		search_domains_split_on_spaces,
		dns_servers_for_both_families,
		dns_servers_kept_in_order, dns_none_clears_servers,
		follow_defaults_and_options, given_values_are_pinned,
		refresh_keeps_what_was_given));

	unit_tcase(s, "ports", NULL, NULL, TESTS(
		tcp_ports_forwarded_and_mapped,
		tcp_ports_long_option_with_equals,
		repeated_port_options_accumulate,
		passt_default_forwards_nothing,
		pasta_default_is_auto_everywhere,
		pasta_explicit_spec_keeps_other_defaults,
		pasta_auto_accepted, pasta_ns_interface_not_checked_here));

	unit_tcase(s, "kinds", NULL, NULL, TESTS(
		flags_set, pasta_flags_set, strings_copied,
		addresses_of_either_family, outbound_interfaces_per_family,
		map_host_loopback_none_disables_mapping, map_guest_addr_set,
		pasta_ns_mac_and_ifname_set,
		pasta_netns_name_under_run_netns));

	unit_tcase(s, "pasta arguments", NULL, NULL, TESTS(
		pasta_command_returned, pasta_pid_returned,
		pasta_double_dash_ends_options, pasta_without_command));

	return s;
}

int main(void)
{
	return unit_run(conf_suite());
}
