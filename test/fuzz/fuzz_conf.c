// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_conf.c - libFuzzer target: the command line
 *
 * The input is a mode byte (bit 0: pasta, not passt) and the arguments,
 * separated by NUL bytes, at most FZ_ARGS_MAX of them: conf() parses and
 * checks them as main() would, before anything is set up.
 *
 * conf() ends the process on a bad option (die(), exit status 1), on
 * --help and --version: the target is linked with --wrap=exit, so that
 * exit() while conf() runs comes back here instead, with the status.
 * Checked: conf() exits with status 1 (a bad command line) or 0 (--help,
 * --version) and nothing else, and one it accepts leaves values in their
 * ranges and strings terminated.
 */

#include <getopt.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "harness.h"
#include "log.h"
#include "passt.h"

#define FZ_ARGS_MAX	32

static struct ctx c;
static jmp_buf conf_exit;
static bool in_conf;

void __real_exit(int status) __attribute__((noreturn));
void __wrap_exit(int status) __attribute__((noreturn));

/**
 * __wrap_exit() - exit() while conf() runs: back to the harness
 * @status:	Exit status, passed to setjmp()'s caller plus one
 */
void __wrap_exit(int status)
{
	if (!in_conf)
		__real_exit(status);
	in_conf = false;
	longjmp(conf_exit, status + 1);
}

/**
 * getopt_reset() - Forget where getopt_long() was in an earlier argv
 *
 * conf() sets optind to 1, which doesn't reset glibc's position inside a
 * group of short options: after a jump out of the middle of one, the next
 * call would go on in the old argv.
 */
static void getopt_reset(void)
{
	static char arg0[] = "x";
	static char *argv[] = { arg0, NULL };
	static const struct option none[] = { { 0 } };

	optind = 0;
	getopt_long(1, argv, "", none, NULL);
}

/**
 * check_ctx() - What conf() accepted must be in range
 */
static void check_ctx(void)
{
	if (c.mtu && (c.mtu < MTU_MIN || c.mtu > MTU_MAX))
		fz_fail("MTU %i accepted", c.mtu);
	if (c.ip4.prefix_len < 0 || c.ip4.prefix_len > 32)
		fz_fail("IPv4 prefix length %i accepted", c.ip4.prefix_len);
	if (c.ip6.prefix_len < 0 || c.ip6.prefix_len > 128)
		fz_fail("IPv6 prefix length %i accepted", c.ip6.prefix_len);
	if (c.fd_tap_given && c.fd_tap <= 2)
		fz_fail("--fd %i accepted", c.fd_tap);
	if (c.mode == MODE_PASST && (c.tcp_out.mode || c.udp_out.mode))
		fz_fail("-T or -U accepted by passt");
	if (!memchr(c.sock_path, '\0', sizeof(c.sock_path)) ||
	    !memchr(c.pidfile, '\0', sizeof(c.pidfile)) ||
	    !memchr(c.log_file, '\0', sizeof(c.log_file)) ||
	    !memchr(c.netns_path, '\0', sizeof(c.netns_path)) ||
	    !memchr(c.pasta_ifname, '\0', sizeof(c.pasta_ifname)))
		fz_fail("a path or name left without its terminator");
}

/**
 * LLVMFuzzerInitialize() - Help text and version go nowhere
 * @argc:	Unused
 * @argv:	Unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!freopen("/dev/null", "w", stdout))
		return 1;
	log_stderr = false;
	return 0;
}

/**
 * LLVMFuzzerTestOneInput() - One command line
 * @data:	Input
 * @size:	Its size
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[1 << 16];
	char *argv[FZ_ARGS_MAX + 2];
	struct conf_result r = { 0 };
	int argc = 1, status;
	bool log_trace_was = log_trace;
	size_t i, len;

	if (!size || size > sizeof(buf) - 1)
		return 0;
	memset(&c, 0, sizeof(c));
	c.mode = data[0] & 1 ? MODE_PASTA : MODE_PASST;
	argv[0] = c.mode == MODE_PASTA ? "pasta" : "passt";

	len = size - 1;
	memcpy(buf, data + 1, len);
	buf[len] = '\0';
	for (i = 0; i < len && argc <= FZ_ARGS_MAX; ) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;

	status = setjmp(conf_exit);
	if (!status) {
		in_conf = true;
		conf(&c, argc, argv, &r);
		in_conf = false;
		check_ctx();
	} else if (status - 1 != EXIT_FAILURE &&
		   status - 1 != EXIT_SUCCESS) {
		fz_fail("conf() exited with status %i", status - 1);
	}
	getopt_reset();
	log_trace = log_trace_was;
	return 0;
}
