// SPDX-License-Identifier: GPL-2.0-or-later
/* bench_seccomp.c - What the seccomp filter costs per system call
 *
 * A cheap call on both lists, getpid(), made in a loop by a child process,
 * in nanoseconds per call:
 * - without a filter;
 * - under each filter (passt, pasta), as seccomp_install() loads it:
 *   since Linux 5.11 the kernel sees that the verdict for an allowed call
 *   depends on its number only, caches it and doesn't run the filter;
 * - under the same filter preceded by a load of the call's first argument,
 *   which the kernel can't cache: the binary search runs on every call, as
 *   on older kernels.
 * The median of a few runs of each is printed. A benchmark, not a test:
 * nothing is asserted, it fails only if a filter can't be installed.
 *
 * Usage: bench_seccomp [CALLS]	(default: 2000000 per run)
 */

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp.h"

#define RUNS		5
#define PROG_MAX	512

enum bench_filter {
	FILTER_NONE,
	FILTER_CACHED,
	FILTER_UNCACHED,
};

/**
 * filter_load() - Install a filter, cacheable or not
 * @list:	SECCOMP_PASST or SECCOMP_PASTA
 * @uncached:	Put a load of the first argument in front of it
 *
 * Return: 0 on success, -1 on failure
 */
static int filter_load(enum seccomp_list list, bool uncached)
{
	static struct sock_filter insns[PROG_MAX];
	const struct sock_fprog *p = seccomp_prog(list);
	struct sock_fprog prog = { .filter = insns };

	if (!uncached)
		return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p);

	if (p->len + 1U > PROG_MAX)
		return -1;
	/* Relative jumps: the rest of the program is unchanged */
	insns[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, args[0]));
	memcpy(insns + 1, p->filter, p->len * sizeof(insns[0]));
	prog.len = (unsigned short)(p->len + 1);
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/**
 * run() - Time @calls getpid() calls in a child under a filter
 * @list:	Which filter
 * @f:		No filter, the filter, or the filter that can't be cached
 * @calls:	Number of calls
 *
 * Return: nanoseconds per call, negative on failure
 */
static double run(enum seccomp_list list, enum bench_filter f, long calls)
{
	int p[2], status;
	double ns = -1;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct timespec a, b;
		long i;

		close(p[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(1);
		if (f != FILTER_NONE && filter_load(list, f == FILTER_UNCACHED))
			_exit(1);
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
		for (i = 0; i < calls; i++)
			syscall(SYS_getpid);
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
		ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 +
		      (double)(b.tv_nsec - a.tv_nsec)) / (double)calls;
		_exit(write(p[1], &ns, sizeof(ns)) == sizeof(ns) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &ns, sizeof(ns)) != sizeof(ns))
		ns = -1;
	close(p[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return ns;
}

/**
 * cmp_double() - qsort() comparison for doubles
 * @a:		First value
 * @b:		Second value
 *
 * Return: <0, 0, >0
 */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/**
 * median() - Median of RUNS runs of one configuration
 * @list:	Which filter
 * @f:		Filter configuration
 * @calls:	Calls per run
 *
 * Return: nanoseconds per call, negative on failure
 */
static double median(enum seccomp_list list, enum bench_filter f, long calls)
{
	double v[RUNS];
	int i;

	for (i = 0; i < RUNS; i++) {
		v[i] = run(list, f, calls);
		if (v[i] < 0)
			return -1;
	}
	qsort(v, RUNS, sizeof(v[0]), cmp_double);
	return v[RUNS / 2];
}

/**
 * main() - Print the cost per call of each filter configuration
 * @argc:	Argument count
 * @argv:	Calls per run, optional
 *
 * Return: 0, 1 if a filter couldn't be installed
 */
int main(int argc, char **argv)
{
	static const char *const list_name[] = { "passt", "pasta" };
	long calls = argc > 1 ? strtol(argv[1], NULL, 0) : 2000000;
	enum seccomp_list list;
	double none;

	if (calls <= 0) {
		fprintf(stderr, "Usage: %s [CALLS]\n", argv[0]);
		return 1;
	}

	none = median(SECCOMP_PASST, FILTER_NONE, calls);
	if (none < 0)
		return 1;
	printf("seccomp: getpid(), median of %i runs of %li calls\n", RUNS,
	       calls);
	printf("  %-34s %7.1f ns/call\n", "no filter", none);

	for (list = SECCOMP_PASST; list <= SECCOMP_PASTA; list++) {
		double cached = median(list, FILTER_CACHED, calls);
		double uncached = median(list, FILTER_UNCACHED, calls);
		char label[64];

		if (cached < 0 || uncached < 0) {
			fprintf(stderr, "%s: can't install the filter\n",
				list_name[list]);
			return 1;
		}
		snprintf(label, sizeof(label), "%s filter", list_name[list]);
		printf("  %-34s %7.1f ns/call (%+.1f)\n", label, cached,
		       cached - none);
		snprintf(label, sizeof(label), "%s filter, kernel cache off",
			 list_name[list]);
		printf("  %-34s %7.1f ns/call (%+.1f)\n", label, uncached,
		       uncached - none);
	}
	return 0;
}
