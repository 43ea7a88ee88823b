// SPDX-License-Identifier: GPL-2.0-or-later
/* seccomp.c - The system call allow-list, installed before the event loop
 *
 * Once set-up is over, the daemon only moves data between the guest and
 * sockets it already has, or opens like ones: a few dozen system calls. A
 * seccomp filter, one per mode, allows those and kills the process
 * (SECCOMP_RET_KILL_PROCESS) on anything else, so that code running in it
 * after a memory safety bug can't open files, create namespaces, trace or
 * execute anything. pasta's namespace broker (broker.c) gets a list of its
 * own, a handful of calls.
 *
 * The list isn't written here: each call is named in a "syscalls:" comment
 * next to the code that makes it (see seccomp.sh for the syntax), and the
 * build collects them into seccomp_filter.h, where each list, sorted
 * by number, becomes a binary search in classic BPF. The filter first
 * checks that the call comes in through the architecture we were built for
 * (on x86_64, also that it isn't an x32 call), then looks for the number.
 *
 * Whatever code runs, libc may end the daemon: exit() (exit_group) and
 * abort() on a failed stack protector or fortify check, which unblocks
 * SIGABRT and sends it to itself. Those are allowed, so that such a death
 * shows as what it is rather than as SIGSYS (the broker dies of SIGSYS
 * there, a death all the same):
 * syscalls: exit_group rt_sigprocmask getpid gettid tgkill
 *
 * Builds for development: SECCOMP_DEBUG traps instead of killing, and a
 * SIGSYS handler names the call before the process dies of the signal all
 * the same; SECCOMP_OFF leaves the filter out, only to measure what it
 * costs (see doc/design.md).
 */

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "log.h"
#include "seccomp.h"

#ifdef SECCOMP_DEBUG
#define SECCOMP_DENY		SECCOMP_RET_TRAP
#else
#define SECCOMP_DENY		SECCOMP_RET_KILL_PROCESS
#endif

#include "seccomp_filter.h"

#if defined(__x86_64__) && defined(__ILP32__)
#error "seccomp: x32 builds are not supported"
#elif defined(__x86_64__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_I386
#elif defined(__aarch64__) && !defined(__AARCH64EB__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#elif defined(__arm__) && !defined(__ARMEB__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_ARM
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_S390X
#elif defined(__riscv) && __riscv_xlen == 64
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_RISCV64
#else
#error "seccomp: unknown architecture, add its AUDIT_ARCH_ value here"
#endif

/* On x86_64, x32 calls come with our AUDIT_ARCH and this bit set */
#ifdef __x86_64__
#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT	0x40000000
#endif
#define SECCOMP_CHECK_X32						\
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1),	\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_DENY),
#else
#define SECCOMP_CHECK_X32
#endif

/* Deny calls through another architecture, load the number to look up */
#define SECCOMP_PROLOGUE						\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS,				\
		 offsetof(struct seccomp_data, arch)),			\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_AUDIT_ARCH, 1, 0),	\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_DENY),			\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS,				\
		 offsetof(struct seccomp_data, nr)),			\
	SECCOMP_CHECK_X32

static struct sock_filter seccomp_passt[] = {
	SECCOMP_PROLOGUE
	SECCOMP_PASST_SEARCH
};

static struct sock_filter seccomp_pasta[] = {
	SECCOMP_PROLOGUE
	SECCOMP_PASTA_SEARCH
};

static struct sock_filter seccomp_broker[] = {
	SECCOMP_PROLOGUE
	SECCOMP_BROKER_SEARCH
};

#define SECCOMP_FPROG(insns)						\
	{ .len = sizeof(insns) / sizeof((insns)[0]), .filter = (insns) }

static const struct sock_fprog seccomp_progs[SECCOMP_LISTS] = {
	[SECCOMP_PASST]		= SECCOMP_FPROG(seccomp_passt),
	[SECCOMP_PASTA]		= SECCOMP_FPROG(seccomp_pasta),
	[SECCOMP_BROKER]	= SECCOMP_FPROG(seccomp_broker),
};

static const int seccomp_counts[SECCOMP_LISTS] = {
	[SECCOMP_PASST]		= SECCOMP_PASST_COUNT,
	[SECCOMP_PASTA]		= SECCOMP_PASTA_COUNT,
	[SECCOMP_BROKER]	= SECCOMP_BROKER_COUNT,
};

/**
 * seccomp_prog() - The filter of a list
 * @list:	SECCOMP_PASST, SECCOMP_PASTA or SECCOMP_BROKER
 *
 * Return: the BPF program, as prctl(PR_SET_SECCOMP) takes it
 */
const struct sock_fprog *seccomp_prog(enum seccomp_list list)
{
	return &seccomp_progs[list];
}

#ifdef SECCOMP_DEBUG
/**
 * seccomp_sigsys() - Debug build: name the call the filter refused, die
 * @sig:	SIGSYS
 * @si:		Signal information: the call's number and architecture
 * @uc:		Context, unused
 *
 * The handler was installed with SA_RESETHAND | SA_NODEFER: raising the
 * signal again (the calls abort() makes, listed above) ends the process
 * the way the production filter would.
 */
static void seccomp_sigsys(int sig, siginfo_t *si, void *uc)
{
	static const struct {
		long nr;
		const char *name;
	} names[] = { SECCOMP_NAMES };
	const char *name = "unknown";
	size_t i;

	(void)uc;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].nr == si->si_syscall) {
			name = names[i].name;
			break;
		}
	}
	if (si->si_arch != SECCOMP_AUDIT_ARCH)
		name = "another architecture";

	err("seccomp: system call %i (%s) isn't allowed: add it to a "
	    "\"syscalls:\" annotation where it's made", si->si_syscall, name);
	raise(sig);
}

/**
 * seccomp_debug_init() - Debug build: report calls the filter refuses
 */
static void seccomp_debug_init(void)
{
	struct sigaction sa = {
		.sa_sigaction = seccomp_sigsys,
		.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER,
	};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		die_perror("Can't install the SIGSYS handler");
	warn("Debug build: system calls off the seccomp list are reported, "
	     "then the process dies of SIGSYS");
}
#endif /* SECCOMP_DEBUG */

/**
 * seccomp_install() - Allow from now on only what the list names
 * @list:	SECCOMP_PASST, SECCOMP_PASTA or SECCOMP_BROKER
 *
 * Sets no_new_privs first (the kernel requires it of unprivileged callers;
 * the sandbox has normally set it already). Exits if the filter can't be
 * installed: running without it isn't an option.
 */
void seccomp_install(enum seccomp_list list)
{
#ifdef SECCOMP_OFF
	warn("Built with SECCOMP=0: no seccomp filter (it would allow %i "
	     "system calls). This build is only for measuring the filter's "
	     "cost, never for production", seccomp_counts[list]);
#else
#ifdef SECCOMP_DEBUG
	seccomp_debug_init();
#endif
	/* Not after: the broker can't write */
	debug("seccomp: allowing %i system calls", seccomp_counts[list]);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die_perror("Can't set no_new_privs for the seccomp filter");
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, seccomp_prog(list)))
		die_perror("Can't install the seccomp filter");
#endif
}
