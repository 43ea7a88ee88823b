// SPDX-License-Identifier: GPL-2.0-or-later
/* test_util.c - Opening the PID, capture and log files (util.c)
 *
 * file_open_own() is what stands between a daemon started as root and a
 * link planted by another user at the path it was given. Each test works
 * in a fresh directory: a new file is created 0600 whatever the umask; a
 * stale regular file of ours is emptied and made 0600; a symbolic link
 * (to a file or dangling), a hard link, a FIFO, a directory and a file of
 * another user are refused with a reason, and whatever they point to is
 * left as it was.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "unit.h"

#define PRECIOUS	"precious contents\n"

static char dir[] = "/tmp/test_util.XXXXXX";
static char path[64];		/* The path we ask for, in @dir */
static char target[64];		/* What a link there points to */
static char why[128];

/**
 * dir_setup() - Checked fixture: an empty directory, a file to protect
 */
static void dir_setup(void)
{
	int fd;

	strcpy(dir, "/tmp/test_util.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/daemon.pid", dir);
	snprintf(target, sizeof(target), "%s/target", dir);

	fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, PRECIOUS, strlen(PRECIOUS)), 0);
	close(fd);
	why[0] = '\0';
}

/**
 * dir_teardown() - Checked fixture: remove the directory and its files
 */
static void dir_teardown(void)
{
	unlink(path);
	unlink(target);
	rmdir(path);	/* When the test made a directory there */
	rmdir(dir);
}

/**
 * target_intact() - Check that the file links point to wasn't changed
 */
static void target_intact(void)
{
	char buf[64] = "";
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(target, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	ck_assert_int_eq(n, (ssize_t)strlen(PRECIOUS));
	ck_assert_str_eq(buf, PRECIOUS);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
}

/**
 * assert_refused() - file_open_own() on @path fails, with @reason in why
 * @reason:	Part of the expected reason
 */
static void assert_refused(const char *reason)
{
	ck_assert_int_eq(file_open_own(path, O_WRONLY, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, reason), "reason '%s', expected '%s'", why,
		      reason);
}

START_TEST(new_file_is_0600_whatever_the_umask)
{
	mode_t mask = umask(0);
	struct stat st;
	int fd;

	fd = file_open_own(path, O_WRONLY, why, sizeof(why));
	umask(mask);
	ck_assert_msg(fd >= 0, "refused: %s", why);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_size, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(write_all(fd, "1\n", 2), 0);
	close(fd);
}
END_TEST

START_TEST(stale_file_of_ours_is_emptied_and_made_0600)
{
	struct stat before, st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, "12345\n", 6), 0);
	ck_assert_int_eq(fstat(fd, &before), 0);
	close(fd);

	fd = file_open_own(path, O_RDWR, why, sizeof(why));
	ck_assert_msg(fd >= 0, "refused: %s", why);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_ino, before.st_ino);
	ck_assert_uint_eq(st.st_size, 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	/* Not left non-blocking, not opened for appending */
	ck_assert_int_eq(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_APPEND), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	close(fd);
}
END_TEST

START_TEST(symlink_to_a_file_is_not_followed)
{
	ck_assert_int_eq(symlink(target, path), 0);
	assert_refused("symbolic link");
	target_intact();
}
END_TEST

START_TEST(dangling_symlink_is_not_followed)
{
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	assert_refused("symbolic link");
	ck_assert_int_eq(access(target, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(hard_link_is_refused)
{
	ck_assert_int_eq(link(target, path), 0);
	assert_refused("2 hard links");
	target_intact();
}
END_TEST

START_TEST(fifo_is_refused_without_blocking)
{
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	alarm(5);	/* Opening it for writing would block: fail instead */
	assert_refused("not a regular file");
	alarm(0);
}
END_TEST

START_TEST(directory_is_refused)
{
	ck_assert_int_eq(mkdir(path, 0700), 0);
	assert_refused("not a regular file");
}
END_TEST

START_TEST(file_of_another_user_is_refused)
{
	int fd;

	if (geteuid() != 0) {
		fprintf(stderr, "file_of_another_user_is_refused: not root, "
			"can't make a file of another user: NOT CHECKED\n");
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, PRECIOUS, strlen(PRECIOUS)), 0);
	ck_assert_int_eq(fchown(fd, 65534, 65534), 0);
	close(fd);

	assert_refused("belongs to uid 65534");
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	{
		char buf[64] = "";

		ck_assert_int_eq(read(fd, buf, sizeof(buf) - 1),
				 (ssize_t)strlen(PRECIOUS));
		ck_assert_str_eq(buf, PRECIOUS);
	}
	close(fd);
}
END_TEST

START_TEST(missing_directory_says_why)
{
	snprintf(path, sizeof(path), "%s/none/daemon.pid", dir);
	assert_refused(strerror(ENOENT));
}
END_TEST

/**
 * util_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *util_suite(void)
{
	Suite *s = suite_create("util");

	unit_tcase(s, "file_open_own", dir_setup, dir_teardown, TESTS(
		new_file_is_0600_whatever_the_umask,
		stale_file_of_ours_is_emptied_and_made_0600,
		symlink_to_a_file_is_not_followed,
		dangling_symlink_is_not_followed,
		hard_link_is_refused,
		fifo_is_refused_without_blocking,
		directory_is_refused,
		file_of_another_user_is_refused,
		missing_directory_says_why));

	return s;
}

int main(void)
{
	return unit_run(util_suite());
}
