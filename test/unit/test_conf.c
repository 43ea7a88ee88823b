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
#define pasta_refused(...)	refused(pasta(__VA_ARGS__), "pasta")

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

/* conf() exits with 1 and its message mentions @what1 and @what2 */
#define assert_conf_msg(mode, what1, what2, ...)			\
	do {								\
		char msg_[1024];					\
									\
		ck_assert_int_eq(conf_exit(msg_, sizeof(msg_), (mode),	\
					   ARGS(__VA_ARGS__)), 1);	\
		ck_assert_msg(strstr(msg_, (what1)) &&			\
			      strstr(msg_, (what2)),			\
			      "message doesn't mention \"%s\" and "	\
			      "\"%s\": %s", (what1), (what2), msg_);	\
	} while (0)

/**
 * quiet() - Checked fixture: no messages from die() in exit tests
 */
static void quiet(void)
{
	log_stderr = false;
}

/* Refused: exit status 1 */

START_TEST(unknown_option_refused)
{
	passt_refused("--bogus");
}
END_TEST

START_TEST(unknown_short_option_refused)
{
	passt_refused("-x");
}
END_TEST

START_TEST(port_above_65535_refused)
{
	passt_refused("-t", "70000");
}
END_TEST

START_TEST(reversed_port_range_refused)
{
	passt_refused("-t", "2000-1000");
}
END_TEST

START_TEST(udp_port_garbage_refused)
{
	passt_refused("-u", "abc");
}
END_TEST

START_TEST(port_forwarded_twice_refused)
{
	passt_refused("-t", "80", "-t", "80");
}
END_TEST

START_TEST(mtu_below_minimum_refused)
{
	passt_refused("-m", "10");
}
END_TEST

START_TEST(mtu_above_maximum_refused)
{
	passt_refused("-m", "70000");
}
END_TEST

START_TEST(mtu_not_a_number_refused)
{
	passt_refused("-m", "abc");
}
END_TEST

START_TEST(missing_option_value_refused)
{
	passt_refused("-m");
}
END_TEST

START_TEST(bad_ipv4_address_refused)
{
	passt_refused("-a", "300.1.1.1");
}
END_TEST

START_TEST(loopback_address_refused)
{
	passt_refused("-a", "127.0.0.1");
}
END_TEST

START_TEST(unspecified_ipv6_address_refused)
{
	passt_refused("-a", "::");
}
END_TEST

START_TEST(prefix_length_above_32_refused)
{
	passt_refused("-n", "33");
}
END_TEST

START_TEST(prefix_length_zero_refused)
{
	passt_refused("-n", "0");
}
END_TEST

START_TEST(non_contiguous_netmask_refused)
{
	passt_refused("-n", "255.0.255.0");
}
END_TEST

START_TEST(short_mac_address_refused)
{
	passt_refused("-M", "02:00:00:00:00");
}
END_TEST

START_TEST(long_mac_address_refused)
{
	passt_refused("-M", "02:00:00:00:00:01:02");
}
END_TEST

START_TEST(negative_mac_bytes_refused)
{
	passt_refused("-M", "-1:-1:-1:-1:-1:-1");
}
END_TEST

START_TEST(mac_byte_without_digits_refused)
{
	passt_refused("-M", "0x:01:02:03:04:05");
}
END_TEST

START_TEST(gateway_not_an_address_refused)
{
	passt_refused("-g", "nope");
}
END_TEST

START_TEST(unknown_interface_refused)
{
	passt_refused("-i", "nonexist0");
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

START_TEST(auto_ports_refused_in_passt)
{
	passt_refused("-t", "auto");
}
END_TEST

START_TEST(config_net_refused_in_passt)
{
	passt_refused("--config-net");
}
END_TEST

START_TEST(netns_refused_in_passt)
{
	passt_refused("--netns", "/run/netns/x");
}
END_TEST

START_TEST(socket_refused_in_pasta)
{
	pasta_refused("-s", "/tmp/x.socket");
}
END_TEST

START_TEST(log_size_not_a_number_refused)
{
	passt_refused("--log-size", "abc");
}
END_TEST

START_TEST(log_size_below_minimum_refused)
{
	passt_refused("--log-size", "100");
}
END_TEST

START_TEST(ipv4_only_and_ipv6_only_refused)
{
	passt_refused("-4", "-6");
}
END_TEST

START_TEST(dns_not_an_address_refused)
{
	passt_refused("-D", "nope");
}
END_TEST

START_TEST(too_many_dns_servers_refused)
{
	passt_refused("-D", "192.0.2.1", "-D", "192.0.2.2", "-D", "192.0.2.3",
		      "-D", "192.0.2.4");
}
END_TEST

START_TEST(too_many_search_domains_refused)
{
	passt_refused("-S", "a b c d e f g");
}
END_TEST

START_TEST(fd_below_3_refused)
{
	passt_refused("-F", "2");
}
END_TEST

START_TEST(fd_and_socket_together_refused)
{
	passt_refused("-F", "5", "-s", "/tmp/x.socket");
}
END_TEST

START_TEST(positional_argument_refused_in_passt)
{
	passt_refused("-f", "extra");
}
END_TEST

START_TEST(userns_without_netns_refused)
{
	pasta_refused("--userns", "/proc/1/ns/user");
}
END_TEST

START_TEST(empty_hostname_refused)
{
	passt_refused("-H", "");
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

START_TEST(outbound_address_garbage_refused)
{
	passt_refused("-o", "nope");
}
END_TEST

START_TEST(unknown_outbound_interface_refused)
{
	passt_refused("--outbound-if6", "nonexist0");
}
END_TEST

START_TEST(one_off_refused_in_pasta)
{
	pasta_refused("--one-off");
}
END_TEST

START_TEST(ns_ifname_with_slash_refused)
{
	pasta_refused("-I", "a/b");
}
END_TEST

START_TEST(netns_with_positional_argument_refused)
{
	pasta_refused("--netns", "x", "sh");
}
END_TEST

/* Messages name the option and the value */

START_TEST(port_error_names_option_and_value)
{
	assert_conf_msg(MODE_PASST, "--tcp-ports", "70000", "-t", "70000");
}
END_TEST

START_TEST(mtu_error_names_option_and_value)
{
	assert_conf_msg(MODE_PASST, "--mtu", "\"10\"", "-m", "10");
}
END_TEST

START_TEST(address_error_names_option_and_value)
{
	assert_conf_msg(MODE_PASST, "--address", "300.1.1.1",
			"-a", "300.1.1.1");
}
END_TEST

START_TEST(interface_error_names_interface)
{
	assert_conf_msg(MODE_PASST, "--interface", "nonexist0",
			"-i", "nonexist0");
}
END_TEST

START_TEST(unknown_option_error_names_option)
{
	assert_conf_msg(MODE_PASST, "Unknown", "--bogus", "--bogus");
}
END_TEST

START_TEST(missing_value_error_names_option)
{
	assert_conf_msg(MODE_PASST, "needs a value", "-m", "-m");
}
END_TEST

START_TEST(value_for_flag_error_names_option)
{
	/* A known option, given a value it doesn't take */
	assert_conf_msg(MODE_PASST, "--debug", "", "--debug=1");
}
END_TEST

START_TEST(pasta_only_error_names_option)
{
	assert_conf_msg(MODE_PASST, "--config-net", "pasta", "--config-net");
}
END_TEST

START_TEST(passt_only_error_names_option)
{
	assert_conf_msg(MODE_PASTA, "--socket", "passt",
			"--socket", "/tmp/x.socket");
}
END_TEST

START_TEST(mode_checked_before_value)
{
	/* Not "empty": the option has no business in passt at all */
	assert_conf_msg(MODE_PASST, "--netns", "only valid for pasta",
			"--netns", "");
}
END_TEST

START_TEST(first_of_two_bad_options_reported)
{
	assert_conf_msg(MODE_PASST, "--config-net", "pasta",
			"--config-net", "-m", "10");
	assert_conf_msg(MODE_PASST, "--mtu", "\"10\"",
			"-m", "10", "--config-net");
}
END_TEST

START_TEST(bad_value_reported_before_conflict)
{
	assert_conf_msg(MODE_PASST, "--mtu", "\"10\"", "-4", "-6", "-m", "10");
}
END_TEST

START_TEST(ip_only_conflict_names_both_options)
{
	assert_conf_msg(MODE_PASST, "-4 (--ipv4-only)", "-6 (--ipv6-only)",
			"-6", "-4");
}
END_TEST

START_TEST(fd_socket_conflict_names_both_options)
{
	assert_conf_msg(MODE_PASST, "--fd", "--socket",
			"-s", "/tmp/x.socket", "-F", "5");
}
END_TEST

START_TEST(userns_error_names_what_is_missing)
{
	assert_conf_msg(MODE_PASTA, "--userns", "--netns",
			"--userns", "/proc/1/ns/user");
}
END_TEST

/* Accepted */

START_TEST(defaults_without_options)
{
	const uint8_t mac[ETH_ALEN_] = MAC_OUR_DEFAULT;

	run_conf(MODE_PASST, NO_ARGS);
	ck_assert_int_eq(c.mtu, MTU_DEFAULT);
	ck_assert(!c.mtu_set);
	ck_assert_mem_eq(c.our_tap_mac, mac, ETH_ALEN_);
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
	const uint8_t mac[ETH_ALEN_] = { 0x02, 0, 0, 0, 0, 0x01 };

	passt("-M", "02:00:00:00:00:01");
	ck_assert_mem_eq(c.our_tap_mac, mac, ETH_ALEN_);
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

START_TEST(flags_set)
{
	passt("-q", "-e", "-1", "--no-tcp", "--no-udp", "--no-icmp",
	      "--no-dhcp", "--no-ndp", "--no-dhcpv6", "--no-ra",
	      "--no-dhcp-dns", "--no-dhcp-search", "--no-map-gw");
	ck_assert(c.quiet && c.stderr_log && c.one_off);
	ck_assert(c.no_tcp && c.no_udp && c.no_icmp);
	ck_assert(c.no_dhcp && c.no_ndp && c.no_dhcpv6 && c.no_ra);
	ck_assert(c.no_dhcp_dns && c.no_dhcp_dns_search && c.no_map_gw);
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
	const uint8_t mac[ETH_ALEN_] = { 0x02, 0, 0, 0, 0, 0x02 };
	const uint8_t ours[ETH_ALEN_] = MAC_OUR_DEFAULT;

	pasta("--ns-mac-addr", "02:00:00:00:00:02", "-I", "ns0");
	ck_assert_mem_eq(c.pasta_mac, mac, ETH_ALEN_);
	ck_assert(c.pasta_mac_set);
	ck_assert_mem_eq(c.our_tap_mac, ours, ETH_ALEN_);
	ck_assert_str_eq(c.pasta_ifname, "ns0");
}
END_TEST

START_TEST(pasta_netns_name_under_run_netns)
{
	pasta("--netns", "x");
	ck_assert_str_eq(c.netns_path, "/run/netns/x");
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

/**
 * conf_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("refused");
	tcase_add_checked_fixture(tc, quiet, NULL);
	tcase_add_exit_test(tc, unknown_option_refused, 1);
	tcase_add_exit_test(tc, unknown_short_option_refused, 1);
	tcase_add_exit_test(tc, port_above_65535_refused, 1);
	tcase_add_exit_test(tc, reversed_port_range_refused, 1);
	tcase_add_exit_test(tc, udp_port_garbage_refused, 1);
	tcase_add_exit_test(tc, port_forwarded_twice_refused, 1);
	tcase_add_exit_test(tc, mtu_below_minimum_refused, 1);
	tcase_add_exit_test(tc, mtu_above_maximum_refused, 1);
	tcase_add_exit_test(tc, mtu_not_a_number_refused, 1);
	tcase_add_exit_test(tc, missing_option_value_refused, 1);
	tcase_add_exit_test(tc, bad_ipv4_address_refused, 1);
	tcase_add_exit_test(tc, loopback_address_refused, 1);
	tcase_add_exit_test(tc, unspecified_ipv6_address_refused, 1);
	tcase_add_exit_test(tc, prefix_length_above_32_refused, 1);
	tcase_add_exit_test(tc, prefix_length_zero_refused, 1);
	tcase_add_exit_test(tc, non_contiguous_netmask_refused, 1);
	tcase_add_exit_test(tc, short_mac_address_refused, 1);
	tcase_add_exit_test(tc, long_mac_address_refused, 1);
	tcase_add_exit_test(tc, negative_mac_bytes_refused, 1);
	tcase_add_exit_test(tc, mac_byte_without_digits_refused, 1);
	tcase_add_exit_test(tc, gateway_not_an_address_refused, 1);
	tcase_add_exit_test(tc, unknown_interface_refused, 1);
	tcase_add_exit_test(tc, overlong_socket_path_refused, 1);
	tcase_add_exit_test(tc, auto_ports_refused_in_passt, 1);
	tcase_add_exit_test(tc, config_net_refused_in_passt, 1);
	tcase_add_exit_test(tc, netns_refused_in_passt, 1);
	tcase_add_exit_test(tc, socket_refused_in_pasta, 1);
	tcase_add_exit_test(tc, log_size_not_a_number_refused, 1);
	tcase_add_exit_test(tc, log_size_below_minimum_refused, 1);
	tcase_add_exit_test(tc, ipv4_only_and_ipv6_only_refused, 1);
	tcase_add_exit_test(tc, dns_not_an_address_refused, 1);
	tcase_add_exit_test(tc, too_many_dns_servers_refused, 1);
	tcase_add_exit_test(tc, too_many_search_domains_refused, 1);
	tcase_add_exit_test(tc, fd_below_3_refused, 1);
	tcase_add_exit_test(tc, fd_and_socket_together_refused, 1);
	tcase_add_exit_test(tc, positional_argument_refused_in_passt, 1);
	tcase_add_exit_test(tc, userns_without_netns_refused, 1);
	tcase_add_exit_test(tc, empty_hostname_refused, 1);
	tcase_add_exit_test(tc, overlong_fqdn_refused, 1);
	tcase_add_exit_test(tc, outbound_address_garbage_refused, 1);
	tcase_add_exit_test(tc, unknown_outbound_interface_refused, 1);
	tcase_add_exit_test(tc, one_off_refused_in_pasta, 1);
	tcase_add_exit_test(tc, ns_ifname_with_slash_refused, 1);
	tcase_add_exit_test(tc, netns_with_positional_argument_refused, 1);
	suite_add_tcase(s, tc);

	tc = tcase_create("messages");
	tcase_add_test(tc, port_error_names_option_and_value);
	tcase_add_test(tc, mtu_error_names_option_and_value);
	tcase_add_test(tc, address_error_names_option_and_value);
	tcase_add_test(tc, interface_error_names_interface);
	tcase_add_test(tc, unknown_option_error_names_option);
	tcase_add_test(tc, missing_value_error_names_option);
	tcase_add_test(tc, value_for_flag_error_names_option);
	tcase_add_test(tc, pasta_only_error_names_option);
	tcase_add_test(tc, passt_only_error_names_option);
	tcase_add_test(tc, mode_checked_before_value);
	tcase_add_test(tc, first_of_two_bad_options_reported);
	tcase_add_test(tc, bad_value_reported_before_conflict);
	tcase_add_test(tc, ip_only_conflict_names_both_options);
	tcase_add_test(tc, fd_socket_conflict_names_both_options);
	tcase_add_test(tc, userns_error_names_what_is_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("accepted");
	tcase_add_test(tc, defaults_without_options);
	tcase_add_test(tc, mtu_set);
	tcase_add_test(tc, mtu_long_option_with_equals);
	tcase_add_test(tc, mtu_zero_accepted);
	tcase_add_test(tc, mtu_minimum_accepted);
	tcase_add_test(tc, mtu_maximum_accepted);
	tcase_add_test(tc, ipv4_address_and_prefix_length);
	tcase_add_test(tc, netmask_converted_to_prefix_length);
	tcase_add_test(tc, full_netmask_is_prefix_32);
	tcase_add_test(tc, ipv6_address);
	tcase_add_test(tc, gateways_for_both_families);
	tcase_add_test(tc, mac_address_set);
	tcase_add_test(tc, interface_lo_accepted);
	tcase_add_test(tc, ipv4_only_disables_ipv6);
	tcase_add_test(tc, ipv6_only_disables_ipv4);
	tcase_add_test(tc, socket_path_set);
	tcase_add_test(tc, log_size_set);
	tcase_add_test(tc, search_domains_split_on_spaces);
	tcase_add_test(tc, dns_servers_for_both_families);
	tcase_add_test(tc, dns_servers_kept_in_order);
	tcase_add_test(tc, dns_none_clears_servers);
	tcase_add_test(tc, flags_set);
	tcase_add_test(tc, pasta_flags_set);
	tcase_add_test(tc, strings_copied);
	tcase_add_test(tc, addresses_of_either_family);
	tcase_add_test(tc, outbound_interfaces_per_family);
	tcase_add_test(tc, map_host_loopback_none_disables_mapping);
	tcase_add_test(tc, map_guest_addr_set);
	tcase_add_test(tc, pasta_ns_mac_and_ifname_set);
	tcase_add_test(tc, pasta_netns_name_under_run_netns);
	suite_add_tcase(s, tc);

	tc = tcase_create("ports");
	tcase_add_test(tc, tcp_ports_forwarded_and_mapped);
	tcase_add_test(tc, tcp_ports_long_option_with_equals);
	tcase_add_test(tc, repeated_port_options_accumulate);
	tcase_add_test(tc, passt_default_forwards_nothing);
	tcase_add_test(tc, pasta_default_is_auto_everywhere);
	tcase_add_test(tc, pasta_explicit_spec_keeps_other_defaults);
	tcase_add_test(tc, pasta_auto_accepted);
	tcase_add_test(tc, pasta_ns_interface_not_checked_here);
	suite_add_tcase(s, tc);

	tc = tcase_create("pasta arguments");
	tcase_add_test(tc, pasta_command_returned);
	tcase_add_test(tc, pasta_pid_returned);
	tcase_add_test(tc, pasta_double_dash_ends_options);
	tcase_add_test(tc, pasta_without_command);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
