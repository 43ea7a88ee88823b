// SPDX-License-Identifier: GPL-2.0-or-later
/* test_log.c - The log file and its size limit (log.c)
 *
 * Numbered lines are logged to a file with the smallest size limit, many
 * times over. After every line the file must be within the limit; after
 * every rotation it must still hold the newer half of what it held; at
 * the end it must hold an unbroken run of lines ending with the last one.
 * The same must hold once the process has given up root and the file's
 * path is gone, as it is for the daemon in its sandbox: rotation works on
 * the descriptor opened at start, never on a path.
 */

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "unit.h"

#define LINES		3000
#define LIMIT		LOGFILE_SIZE_MIN
#define FILLER		"abcdefghijklmnopqrstuvwxyz0123456789"

static char dir[] = "/tmp/test_log.XXXXXX";
static char path[64];
static char buf[LIMIT + 1];

/**
 * log_setup() - Checked fixture: a directory, the log file opened in it
 *
 * The file is opened a second time, read-only, to look at it however the
 * test changes our privileges or the path.
 *
 * Return: read-only descriptor of the log file
 */
static int log_setup(void)
{
	int fd;

	strcpy(dir, "/tmp/test_log.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/daemon.log", dir);

	log_open_file(path, LIMIT);
	log_stderr = false;
	log_level = LOG_DEBUG;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/**
 * log_flood() - Log numbered lines, check the size limit after each one
 * @fd:		Read-only descriptor of the log file
 */
static void log_flood(int fd)
{
	size_t last = 0, rotations = 0;
	struct stat st;
	int i;

	for (i = 0; i < LINES; i++) {
		info("line %05i " FILLER, i);

		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_msg((size_t)st.st_size <= LIMIT,
			      "line %i: file has %zu bytes, limit %zu", i,
			      (size_t)st.st_size, (size_t)LIMIT);
		if ((size_t)st.st_size < last) {
			/* Rotated: the newer half (less one line) is left */
			ck_assert_msg((size_t)st.st_size >= LIMIT / 2 - 128,
				      "line %i: %zu bytes left after rotation",
				      i, (size_t)st.st_size);
			rotations++;
		}
		last = (size_t)st.st_size;
	}
	ck_assert_uint_ge(rotations, 5);
}

/**
 * log_check_newest() - The file holds an unbroken run up to the last line
 * @fd:		Read-only descriptor of the log file
 */
static void log_check_newest(int fd)
{
	int expect = -1, first = -1, n;
	ssize_t len;
	char *p;

	len = pread(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(len, 0);
	buf[len] = '\0';
	ck_assert_msg(buf[len - 1] == '\n', "last line cut");

	for (p = buf; *p; p = strchr(p, '\n') + 1) {
		char *l = strstr(p, ": line ");

		ck_assert_ptr_nonnull(l);
		ck_assert_int_eq(sscanf(l, ": line %d", &n), 1);
		if (expect >= 0)
			ck_assert_int_eq(n, expect);
		else
			first = n;
		expect = n + 1;
	}
	ck_assert_int_eq(expect, LINES);
	ck_assert_int_lt(first, LINES - (int)(LIMIT / 2 / 80));
}

START_TEST(file_stays_within_limit_keeping_newest_lines)
{
	int fd = log_setup();

	log_flood(fd);
	log_check_newest(fd);
	close(fd);
}
END_TEST

START_TEST(rotation_needs_no_path_and_no_privilege)
{
	int fd = log_setup();

	/* As the daemon: no path to reopen, no right to open it anyway */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	if (geteuid() == 0)
		ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
	else
		fprintf(stderr, "rotation_needs_no_path_and_no_privilege: "
			"not root, privilege not dropped\n");

	log_flood(fd);
	log_check_newest(fd);
	close(fd);
}
END_TEST

/**
 * log_teardown() - Checked fixture: remove the log file and directory
 */
static void log_teardown(void)
{
	unlink(path);
	rmdir(dir);
}

/**
 * log_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *log_suite(void)
{
	Suite *s = suite_create("log");

	unit_tcase(s, "log_file", NULL, log_teardown, TESTS(
		file_stays_within_limit_keeping_newest_lines,
		rotation_needs_no_path_and_no_privilege));

	return s;
}

int main(void)
{
	return unit_run(log_suite());
}
