// SPDX-License-Identifier: GPL-2.0-or-later
/* test_seccomp.c - The seccomp allow-lists (seccomp.c, seccomp.sh)
 *
 * Each check runs in a child of its own that installs a list's filter the
 * way the daemon (or pasta's broker) does, with seccomp_install(), makes
 * some calls and exits 0:
 * - every call on the list goes through (made with arguments the kernel
 *   refuses, so that it does nothing), and so does a working set used for
 *   real: a pipe, epoll, the clock, a socket option (passt and pasta), a
 *   socket passed over a socket pair (the broker);
 * - calls off the list (mkdir, ptrace, execve, unshare, mount, chroot)
 *   kill the child with SIGSYS, and so does a listed call made as an x32
 *   call or through the i386 entry point (x86_64; where the kernel has no
 *   i386 entry point, int 0x80 kills the child as it does without a filter);
 * - a fatal error still ends the way it should: die() with status 1, and
 *   for passt and pasta abort() with SIGABRT.
 * One more check runs the BPF program in a small interpreter here for every
 * number up to 1023: allowed exactly when on the list, which tests the
 * binary search seccomp.sh generates without a child per number.
 */

#include <check.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"
#include "passt.h"
#include "seccomp.h"
#include "seccomp_filter.h"
#include "unit.h"

#define ARG_BAD		0x7fffffffL	/* Refused by every listed call */
#define NR_MAX		1024		/* Interpreter: numbers checked */

static const long passt_calls[] = { SECCOMP_PASST_CALLS };
static const long pasta_calls[] = { SECCOMP_PASTA_CALLS };
static const long broker_calls[] = { SECCOMP_BROKER_CALLS };

static const struct {
	long nr;
	const char *name;
} names[] = { SECCOMP_NAMES };

static const enum seccomp_list lists[] = {
	SECCOMP_PASST, SECCOMP_PASTA, SECCOMP_BROKER,
};
static const enum seccomp_list daemons[] = { SECCOMP_PASST, SECCOMP_PASTA };

static const char *const list_name[] = {
	[SECCOMP_PASST] = "passt",
	[SECCOMP_PASTA] = "pasta",
	[SECCOMP_BROKER] = "broker",
};

/**
 * list_calls() - An allow-list, as the build generated it
 * @list:	SECCOMP_PASST, SECCOMP_PASTA or SECCOMP_BROKER
 * @n:		Set to the number of entries
 *
 * Return: sorted system call numbers
 */
static const long *list_calls(enum seccomp_list list, size_t *n)
{
	switch (list) {
	case SECCOMP_PASTA:
		*n = sizeof(pasta_calls) / sizeof(pasta_calls[0]);
		return pasta_calls;
	case SECCOMP_BROKER:
		*n = sizeof(broker_calls) / sizeof(broker_calls[0]);
		return broker_calls;
	default:
		*n = sizeof(passt_calls) / sizeof(passt_calls[0]);
		return passt_calls;
	}
}

/**
 * listed() - Is a call on a list?
 * @list:	SECCOMP_PASST, SECCOMP_PASTA or SECCOMP_BROKER
 * @nr:		System call number
 *
 * Return: true if it is
 */
static bool listed(enum seccomp_list list, long nr)
{
	const long *calls;
	size_t n, i;

	calls = list_calls(list, &n);
	for (i = 0; i < n; i++) {
		if (calls[i] == nr)
			return true;
	}
	return false;
}

/**
 * name_of() - Name of a system call, for messages
 * @nr:		System call number
 *
 * Return: its name, "?" if unknown
 */
static const char *name_of(long nr)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].nr == nr)
			return names[i].name;
	}
	return "?";
}

/**
 * in_filtered_child() - Run a function in a child under a list's filter
 * @list:	SECCOMP_PASST, SECCOMP_PASTA or SECCOMP_BROKER
 * @fn:		Function, called after seccomp_install(): the child exits
 *		with its return value
 * @arg:	Argument for @fn
 *
 * Return: the child's wait status
 */
static int in_filtered_child(enum seccomp_list list, int (*fn)(long arg),
			     long arg)
{
	int status;
	pid_t pid;

	fflush(NULL);	/* Nothing buffered to be written twice */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		seccomp_install(list);
		_exit(fn(arg));
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/**
 * ck_ended() - Check how a child ended
 * @status:	Wait status
 * @sig:	Signal expected to have killed it, 0 if it should have exited
 * @code:	Exit status expected, if @sig is 0
 * @what:	What the child did, for the message
 * @list:	List, for the message
 */
static void ck_ended(int status, int sig, int code, const char *what,
		     enum seccomp_list list)
{
	bool ok = sig ? WIFSIGNALED(status) && WTERMSIG(status) == sig :
			WIFEXITED(status) && WEXITSTATUS(status) == code;

	ck_assert_msg(ok, "%s: %s: expected %s %i, got %s %i",
		      list_name[list], what,
		      sig ? "death by signal" : "exit status", sig ? sig : code,
		      WIFSIGNALED(status) ? "signal" : "exit status",
		      WIFSIGNALED(status) ? WTERMSIG(status) :
					    WEXITSTATUS(status));
}

#define ck_killed_by(status, sig, what, list)				\
	ck_ended((status), (sig), 0, (what), (list))
#define ck_exited(status, code, what, list)				\
	ck_ended((status), 0, (code), (what), (list))

/* Every call on the list can be made */

/**
 * call_refused() - Make a call with arguments the kernel refuses
 * @nr:		System call number
 *
 * Return: 0: the filter let it through
 */
static int call_refused(long nr)
{
	syscall(nr, ARG_BAD, ARG_BAD, ARG_BAD, ARG_BAD, ARG_BAD, ARG_BAD);
	return 0;
}

START_TEST(listed_calls_allowed)
{
	enum seccomp_list list = lists[_i];
	const long *calls;
	size_t n, i;

	calls = list_calls(list, &n);
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++) {
		/* Those don't come back, or not to a sane state */
		if (calls[i] == __NR_exit || calls[i] == __NR_exit_group ||
		    calls[i] == __NR_rt_sigreturn)
			continue;
		ck_exited(in_filtered_child(list, call_refused, calls[i]), 0,
			  name_of(calls[i]), list);
	}
}
END_TEST

static int pipe_fds[2], epoll_fd, sock_fd;

/**
 * working_set() - Use a few listed calls for real, as the loop does
 * @arg:	Unused
 *
 * Return: 0 if all of them worked, the step that failed otherwise
 */
static int working_set(long arg)
{
	struct epoll_event ev;
	struct timespec ts;
	socklen_t sl;
	char buf[4];
	int v;

	(void)arg;
	if (write(pipe_fds[1], "ping", 4) != 4)
		return 1;
	if (epoll_wait(epoll_fd, &ev, 1, 0) != 1 || ev.data.u64 != 42)
		return 2;
	if (read(pipe_fds[0], buf, 4) != 4 || memcmp(buf, "ping", 4))
		return 3;
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) ||
	    clock_gettime(CLOCK_REALTIME, &ts))
		return 4;
	sl = sizeof(v);
	if (getsockopt(sock_fd, SOL_SOCKET, SO_TYPE, &v, &sl) ||
	    v != SOCK_DGRAM)
		return 5;
	if (close(sock_fd))
		return 6;
	return 0;
}

START_TEST(working_set_works)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 };
	enum seccomp_list list = daemons[_i];
	int status;

	ck_assert_int_eq(pipe(pipe_fds), 0);
	epoll_fd = epoll_create1(0);
	ck_assert_int_ge(epoll_fd, 0);
	ck_assert_int_eq(epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pipe_fds[0], &ev),
			 0);
	sock_fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(sock_fd, 0);

	status = in_filtered_child(list, working_set, 0);
	ck_exited(status, 0, "pipe, epoll, clock, socket option", list);
}
END_TEST

static int pair[2];

/**
 * broker_once() - Serve one request the way pasta's broker does
 * @arg:	Unused
 *
 * Return: 0 if the socket went out, the step that failed otherwise
 */
static int broker_once(long arg)
{
	char req[8];
	struct iovec iov = { req, sizeof(req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd;

	(void)arg;
	if (recvmsg(pair[1], &mh, 0) != sizeof(req))
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 2;
	if (nsb_reply(pair[1], 0, fd) != sizeof(int))
		return 3;
	return close(fd) ? 4 : 0;
}

START_TEST(broker_works)
{
	char req[8] = "request", cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	int fd, v, err = -1;
	struct iovec iov = { &err, sizeof(err) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	socklen_t sl;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair), 0);
	ck_assert_int_eq(send(pair[0], req, sizeof(req), 0), sizeof(req));
	ck_exited(in_filtered_child(SECCOMP_BROKER, broker_once, 0), 0,
		  "recvmsg, socket, sendmsg with SCM_RIGHTS, close",
		  SECCOMP_BROKER);

	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	ck_assert_int_eq(recvmsg(pair[0], &mh, 0), sizeof(err));
	ck_assert_int_eq(err, 0);
	cm = CMSG_FIRSTHDR(&mh);
	ck_assert_ptr_nonnull(cm);
	ck_assert_int_eq(cm->cmsg_type, SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	sl = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &sl), 0);
	ck_assert_int_eq(v, SOCK_DGRAM);
}
END_TEST

/* Calls off the list kill */

static const struct {
	long nr;
	const char *name;
} forbidden[] = {
	{ SYS_mkdir, "mkdir" },
	{ SYS_ptrace, "ptrace" },
	{ SYS_execve, "execve" },
	{ SYS_unshare, "unshare" },
	{ SYS_mount, "mount" },
	{ SYS_chroot, "chroot" },
};

/**
 * call_forbidden() - Make a call off the list, harmless if it went through
 * @i:		Index in forbidden[]
 *
 * Return: 0, if still alive: the test fails on that
 */
static int call_forbidden(long i)
{
	static char *const argv[] = { "true", NULL };

	switch (forbidden[i].nr) {
	case SYS_mkdir:
		syscall(SYS_mkdir, "/nonexistent/seccomp-test", 0700);
		break;
	case SYS_ptrace:
		syscall(SYS_ptrace, 0x7fffffffL, 0, 0, 0);
		break;
	case SYS_execve:
		syscall(SYS_execve, "/nonexistent/true", argv, argv + 1);
		break;
	case SYS_mount:
		syscall(SYS_mount, NULL, "/nonexistent", NULL, 0, NULL);
		break;
	default:
		syscall(forbidden[i].nr, ARG_BAD, ARG_BAD);
	}
	return 0;
}

START_TEST(unlisted_calls_kill)
{
	enum seccomp_list list = lists[_i];
	size_t i;

	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		ck_assert_msg(!listed(list, forbidden[i].nr),
			      "%s is listed: pick another call for this test",
			      forbidden[i].name);
		ck_killed_by(in_filtered_child(list, call_forbidden, (long)i),
			     SIGSYS, forbidden[i].name, list);
	}
}
END_TEST

#ifdef __x86_64__
/**
 * call_x32() - A listed call, made as an x32 call
 * @nr:		Its number
 *
 * Return: 0, if still alive
 */
static int call_x32(long nr)
{
	syscall(__X32_SYSCALL_BIT | nr, ARG_BAD, ARG_BAD, ARG_BAD);
	return 0;
}

/**
 * call_i386() - A call through the i386 entry point: 20 is getpid there
 * @arg:	Unused
 *
 * Return: 0, if still alive
 */
static int call_i386(long arg)
{
	long ret = 20;

	(void)arg;
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	return 0;
}

/**
 * i386_unfiltered() - How a call through int 0x80 ends with no filter
 *
 * Return: 0 if it comes back, the signal that killed the caller otherwise:
 *	   SIGSEGV where the kernel has no i386 entry point at all
 *	   (CONFIG_IA32_EMULATION off, or ia32_emulation=0)
 */
static int i386_unfiltered(void)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(call_i386(0));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	return 0;
}

START_TEST(other_abi_kills)
{
	enum seccomp_list list = lists[_i];
	int i386_sig = i386_unfiltered();
	size_t n;
	long nr;

	nr = list_calls(list, &n)[0];
	ck_killed_by(in_filtered_child(list, call_x32, nr), SIGSYS,
		     "a listed call as an x32 call", list);

	/* Without the i386 entry point, the call never reaches the filter:
	 * the kernel kills the caller the same way with or without it
	 */
	if (i386_sig && list == lists[0])
		fprintf(stderr, "test_seccomp: no i386 entry point in this "
			"kernel (int 0x80 gives signal %i without a filter)\n",
			i386_sig);
	ck_killed_by(in_filtered_child(list, call_i386, 0),
		     i386_sig ? i386_sig : SIGSYS,
		     "getpid through int 0x80", list);
}
END_TEST
#endif /* __x86_64__ */

/* Fatal errors end the way they would without the filter */

/**
 * call_die() - Fail the way the daemon does, die()
 * @arg:	Unused
 *
 * Return: doesn't return
 */
static int call_die(long arg)
{
	(void)arg;
	log_level = -1;		/* Quiet: the message isn't the point */
	die("seccomp test: dying on purpose");
}

/**
 * call_abort() - Fail the way libc does on a failed check, abort()
 * @arg:	Unused
 *
 * Return: doesn't return
 */
static int call_abort(long arg)
{
	(void)arg;
	abort();
}

START_TEST(die_exits)
{
	enum seccomp_list list = lists[_i];

	ck_exited(in_filtered_child(list, call_die, 0), EXIT_FAILURE,
		  "die()", list);
}
END_TEST

/* The broker's list doesn't have what abort() needs: it dies of SIGSYS */
START_TEST(abort_aborts)
{
	enum seccomp_list list = daemons[_i];

	ck_killed_by(in_filtered_child(list, call_abort, 0), SIGABRT,
		     "abort()", list);
}
END_TEST

/* The search, number by number, in a BPF interpreter */

/**
 * bpf_run() - Run a seccomp filter over one call's data
 * @prog:	Filter: loads of nr and arch, JEQ/JGE/JGT/JSET/JA, RET only
 * @d:		Call data
 *
 * Return: the filter's verdict, fails the test on anything else
 */
static uint32_t bpf_run(const struct sock_fprog *prog,
			const struct seccomp_data *d)
{
	uint32_t a = 0;
	unsigned pc = 0;

	while (pc < prog->len) {
		const struct sock_filter *f = &prog->filter[pc++];
		bool t;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			ck_assert(f->k == offsetof(struct seccomp_data, nr) ||
				  f->k == offsetof(struct seccomp_data, arch));
			a = f->k == offsetof(struct seccomp_data, nr) ?
			    (uint32_t)d->nr : d->arch;
			continue;
		case BPF_RET | BPF_K:
			return f->k;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			t = a == f->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			t = a >= f->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			t = a > f->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			t = a & f->k;
			break;
		default:
			ck_abort_msg("instruction %u: code 0x%x", pc - 1,
				     f->code);
		}
		pc += t ? f->jt : f->jf;
	}
	ck_abort_msg("filter ran past its end");
	return 0;
}

START_TEST(search_matches_list)
{
	static const uint32_t archs[] = {
		AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64,
		AUDIT_ARCH_ARM, AUDIT_ARCH_PPC64LE, AUDIT_ARCH_S390X,
		AUDIT_ARCH_RISCV64,
	};
	enum seccomp_list list = lists[_i];
	const struct sock_fprog *prog = seccomp_prog(list);
	struct seccomp_data d = { 0 };
	uint32_t deny, native;
	size_t n, i, allowed = 0;
	long nr;

	list_calls(list, &n);

	/* What the filter returns for a number that is on no list */
	d.nr = -1;
	d.arch = 0;
	deny = bpf_run(prog, &d);
	ck_assert_uint_ne(deny, SECCOMP_RET_ALLOW);

	/* The architecture: the one value that lets a listed call in */
	d.nr = (int)list_calls(list, &n)[0];
	native = 0;
	for (i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
		d.arch = archs[i];
		if (bpf_run(prog, &d) == SECCOMP_RET_ALLOW) {
			ck_assert_uint_eq(native, 0);
			native = archs[i];
		}
	}
	ck_assert_uint_ne(native, 0);

	d.arch = native;
	for (nr = 0; nr < NR_MAX; nr++) {
		uint32_t r;

		d.nr = (int)nr;
		r = bpf_run(prog, &d);
		ck_assert_msg(r == (listed(list, nr) ? SECCOMP_RET_ALLOW :
						       deny),
			      "call %li (%s): verdict 0x%x", nr, name_of(nr),
			      r);
		allowed += r == SECCOMP_RET_ALLOW;

		d.nr = (int)(nr | 0x40000000);
		ck_assert_uint_eq(bpf_run(prog, &d), deny);
	}
	ck_assert_uint_eq(allowed, n);

	/* A listed call through another architecture */
	d.nr = (int)list_calls(list, &n)[0];
	d.arch = native ^ __AUDIT_ARCH_64BIT;
	ck_assert_uint_eq(bpf_run(prog, &d), deny);
}
END_TEST

static Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc;

	tc = unit_tcase(s, "filter", NULL, NULL, NULL, 0);
	UNIT_LOOP(tc, search_matches_list, lists);
	UNIT_LOOP(tc, listed_calls_allowed, lists);
	UNIT_LOOP(tc, working_set_works, daemons);
	tcase_add_test(tc, broker_works);
	UNIT_LOOP(tc, unlisted_calls_kill, lists);
#ifdef __x86_64__
	UNIT_LOOP(tc, other_abi_kills, lists);
#endif
	UNIT_LOOP(tc, die_exits, lists);
	UNIT_LOOP(tc, abort_aborts, daemons);
	tcase_set_timeout(tc, 60);
	return s;
}

int main(void)
{
	return unit_run(seccomp_suite());
}
