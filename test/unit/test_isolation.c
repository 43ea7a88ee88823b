// SPDX-License-Identifier: GPL-2.0-or-later
/* test_isolation.c - What the sandbox stands on: descriptors closed at
 * start, files reached through their directory (isolation.c, util.c)
 *
 * close_open_files() closes everything from a number up but the one
 * descriptor --fd names; it runs in a child here, as it would take the
 * test runner's own descriptors with it. path_dir_open() splits a path
 * into a descriptor of its directory and a name. isolate_file_remove()
 * removes a file we recorded through that descriptor, with no path, even
 * after the working directory changed, and only if it's still the file
 * we created: not a file renamed over it, not a symbolic link put in its
 * place.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "isolation.h"
#include "util.h"
#include "unit.h"

static char dir[] = "/tmp/test_isolation.XXXXXX";
static char path[64];		/* The file we create, in @dir */
static char other[64];		/* Another one, to put in its place */

/**
 * dir_setup() - Checked fixture: an empty directory
 */
static void dir_setup(void)
{
	strcpy(dir, "/tmp/test_isolation.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/daemon.pid", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
}

/**
 * dir_teardown() - Checked fixture: remove the directory and its files
 */
static void dir_teardown(void)
{
	unlink(path);
	unlink(other);
	rmdir(dir);
}

/**
 * create() - Create an empty file
 * @p:		Path
 *
 * Return: its descriptor
 */
static int create(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	return fd;
}

/**
 * is_open() - Is a descriptor open?
 * @fd:		Descriptor
 *
 * Return: true if it is
 */
static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

/**
 * closed_in_child() - Run close_open_files() in a child, check what's left
 * @keep:	Descriptor to keep, -1 for none
 *
 * The child holds 20, 21 and 22, closes from 20 up but @keep.
 *
 * Return: the child's exit status: 0 if exactly @keep is left of the three
 */
static int closed_in_child(int keep)
{
	int status, fd;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		for (fd = 20; fd <= 22; fd++) {
			if (dup2(STDERR_FILENO, fd) != fd)
				_exit(2);
		}
		close_open_files(20, keep);
		for (fd = 20; fd <= 22; fd++) {
			if (is_open(fd) != (fd == keep))
				_exit(1);
		}
		_exit(is_open(STDERR_FILENO) ? 0 : 3);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(close_all_from)
{
	ck_assert_int_eq(closed_in_child(-1), 0);
}
END_TEST

START_TEST(close_all_but_the_first)
{
	ck_assert_int_eq(closed_in_child(20), 0);
}
END_TEST

START_TEST(close_all_but_one_in_the_middle)
{
	ck_assert_int_eq(closed_in_child(21), 0);
}
END_TEST

START_TEST(close_all_but_the_last)
{
	ck_assert_int_eq(closed_in_child(22), 0);
}
END_TEST

/**
 * assert_dir_is() - Check that a descriptor is the directory at a path
 * @fd:		Descriptor
 * @d:		Path of the directory
 */
static void assert_dir_is(int fd, const char *d)
{
	struct stat a, b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(stat(d, &b), 0);
	ck_assert(S_ISDIR(a.st_mode));
	ck_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	close(fd);
}

START_TEST(dir_of_absolute_path)
{
	char name[NAME_MAX + 1];

	assert_dir_is(path_dir_open(path, name, sizeof(name)), dir);
	ck_assert_str_eq(name, "daemon.pid");
}
END_TEST

START_TEST(dir_of_a_name_in_the_root)
{
	char name[NAME_MAX + 1];

	assert_dir_is(path_dir_open("/passt.pid", name, sizeof(name)), "/");
	ck_assert_str_eq(name, "passt.pid");
}
END_TEST

START_TEST(dir_of_a_bare_name_is_the_working_directory)
{
	char name[NAME_MAX + 1], cwd[PATH_MAX];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	assert_dir_is(path_dir_open("daemon.pid", name, sizeof(name)), dir);
	ck_assert_str_eq(name, "daemon.pid");
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(dir_of_a_path_ending_with_a_slash)
{
	char name[NAME_MAX + 1];

	errno = 0;
	ck_assert_int_eq(path_dir_open("/tmp/", name, sizeof(name)), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(dir_of_a_name_too_long)
{
	char name[8];

	errno = 0;
	ck_assert_int_eq(path_dir_open("/tmp/daemon.pid", name, sizeof(name)),
			 -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

START_TEST(remove_ours_without_a_path)
{
	struct isolate_file f = { 0 };
	char cwd[PATH_MAX];
	int fd;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	fd = create("daemon.pid");
	isolate_file_keep(&f, "daemon.pid", fd);
	close(fd);
	ck_assert(f.kept);

	/* The relative path means nothing from here */
	ck_assert_int_eq(chdir("/"), 0);
	isolate_file_remove(&f);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(chdir(cwd), 0);
	close(f.dirfd);
}
END_TEST

START_TEST(remove_ours_recorded_by_name)
{
	struct isolate_file f = { 0 };

	close(create(path));
	isolate_file_keep(&f, path, -1);
	isolate_file_remove(&f);
	ck_assert_int_eq(access(path, F_OK), -1);
	close(f.dirfd);
}
END_TEST

START_TEST(leave_a_file_renamed_over_ours)
{
	struct isolate_file f = { 0 };

	close(create(path));
	isolate_file_keep(&f, path, -1);
	close(create(other));
	ck_assert_int_eq(rename(other, path), 0);

	isolate_file_remove(&f);
	ck_assert_int_eq(access(path, F_OK), 0);
	close(f.dirfd);
}
END_TEST

START_TEST(leave_a_symlink_put_in_place_of_ours)
{
	struct isolate_file f = { 0 };
	struct stat st;
	int fd;

	fd = create(path);
	isolate_file_keep(&f, path, fd);
	close(fd);
	ck_assert_int_eq(rename(path, other), 0);
	ck_assert_int_eq(symlink(other, path), 0);

	/* The link points to our file: still not ours to remove */
	isolate_file_remove(&f);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(access(other, F_OK), 0);
	close(f.dirfd);
}
END_TEST

START_TEST(nothing_recorded_nothing_removed)
{
	struct isolate_file f = { 0 };

	close(create(path));
	isolate_file_keep(&f, "/nonexistent-dir/daemon.pid", -1);
	ck_assert(!f.kept);
	isolate_file_remove(&f);
	ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

/**
 * isolation_suite() - Build the suite
 *
 * Return: the suite
 */
static Suite *isolation_suite(void)
{
	Suite *s = suite_create("isolation");

	unit_tcase(s, "close_open_files", NULL, NULL, TESTS(
		close_all_from,
		close_all_but_the_first,
		close_all_but_one_in_the_middle,
		close_all_but_the_last));
	unit_tcase(s, "path_dir_open", dir_setup, dir_teardown, TESTS(
		dir_of_absolute_path,
		dir_of_a_name_in_the_root,
		dir_of_a_bare_name_is_the_working_directory,
		dir_of_a_path_ending_with_a_slash,
		dir_of_a_name_too_long));
	unit_tcase(s, "isolate_file", dir_setup, dir_teardown, TESTS(
		remove_ours_without_a_path,
		remove_ours_recorded_by_name,
		leave_a_file_renamed_over_ours,
		leave_a_symlink_put_in_place_of_ours,
		nothing_recorded_nothing_removed));

	return s;
}

int main(void)
{
	return unit_run(isolation_suite());
}
