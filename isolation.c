// SPDX-License-Identifier: GPL-2.0-or-later
/* isolation.c - Least privilege: user switch, capabilities
 *
 * Everything that needs privilege (binding the socket, creating the tap,
 * configuring the namespace) happens at start-up. Then:
 * - started as root, passt switches to the --runas user (default: nobody),
 *   leaving behind a minimal root process whose only job is to remove the
 *   socket and PID files when the daemon is gone; pasta switches only if
 *   --runas is given, since its namespaces are owned by the user who
 *   started it;
 * - every capability is dropped (libcap-ng when available, capset()
 *   otherwise), but CAP_SYS_ADMIN for pasta started as root, which joins
 *   its namespaces again later; no_new_privs is set so nothing we might
 *   execute can regain any.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_LIBCAPNG
#include <cap-ng.h>
#endif

#include "broker.h"
#include "isolation.h"
#include "log.h"
#include "passt.h"
#include "util.h"

#define RUNAS_DEFAULT_USER	"nobody"

/**
 * struct cleaner_file - A file to remove once the daemon is gone
 * @path:	Path
 * @dev:	Device of the file we created, to leave a successor's alone
 * @ino:	Inode of the file we created
 */
struct cleaner_file {
	const char *path;
	dev_t dev;
	ino_t ino;
};

/**
 * cleaner_remove() - Remove a file if it is still the one we created
 * @f:		File
 */
static void cleaner_remove(const struct cleaner_file *f)
{
	struct stat st;

	if (!f->path || lstat(f->path, &st))
		return;
	if (st.st_dev == f->dev && st.st_ino == f->ino)
		unlink(f->path);
}

/**
 * isolate_cleaner() - Keep a minimal root process to remove our files
 * @c:		Execution context
 *
 * Once passt runs as an unprivileged user it can't remove its socket and
 * PID files from directories only root may write to. A child that keeps
 * root does nothing but wait for the daemon to go away (end of file on a
 * pipe, whatever the reason: exit, signal, crash), removes those files if
 * they are still the ones we created, and exits.
 */
static void isolate_cleaner(const struct ctx *c)
{
	struct cleaner_file files[2] = { { 0 } };
	struct stat st;
	int p[2], n = 0, i;
	pid_t pid;
	char buf;

	if (*c->pidfile && !lstat(c->pidfile, &st))
		files[n++] = (struct cleaner_file){ c->pidfile, st.st_dev,
						    st.st_ino };
	if (c->mode == MODE_PASST && !c->fd_tap_given && *c->sock_path &&
	    !lstat(c->sock_path, &st))
		files[n++] = (struct cleaner_file){ c->sock_path, st.st_dev,
						    st.st_ino };
	if (!n)
		return;

	if (pipe2(p, O_CLOEXEC))
		die_perror("Can't create a pipe");
	pid = fork();
	if (pid < 0)
		die_perror("Can't fork");
	if (pid > 0) {
		close(p[0]);	/* Write end stays open until we're gone */
		return;
	}

	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	close(p[1]);
	close_open_files(STDERR_FILENO + 1, p[0]);
	prctl(PR_SET_NAME, "passt-cleaner", 0, 0, 0);

	while (read(p[0], &buf, 1) < 0 && errno == EINTR)
		;
	for (i = 0; i < n; i++)
		cleaner_remove(&files[i]);
	_exit(EXIT_SUCCESS);
}

/**
 * isolate_user() - Drop root: switch to the --runas user
 * @c:		Execution context
 */
void isolate_user(struct ctx *c)
{
	bool explicit = c->runas_set;

	if (geteuid() != 0)
		return;
	if (c->mode == MODE_PASTA && !explicit)
		return;

	if (!explicit) {
		const struct passwd *pw = getpwnam(RUNAS_DEFAULT_USER);

		if (!pw) {
			warn("Running as root: no user \"" RUNAS_DEFAULT_USER
			     "\" to switch to, use --runas");
			return;
		}
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}
	if (c->uid == 0)
		return;

	isolate_cleaner(c);

	if (setgroups(0, NULL) && errno != EPERM)
		die_perror("Can't clear supplementary groups");
	if (setgid(c->gid) || setuid(c->uid))
		die_perror("Can't switch to uid %u, gid %u", c->uid, c->gid);
	debug("Switched to uid %u, gid %u", c->uid, c->gid);
}

/**
 * isolate_caps() - Drop every capability, forbid regaining any
 * @c:		Execution context
 */
void isolate_caps(const struct ctx *c)
{
	/* pasta started as root joins namespaces owned by the initial user
	 * namespace again later (sockets for the loopback fast path, -U and
	 * -T ports found by the automatic scan): that needs CAP_SYS_ADMIN.
	 * Started by anybody else, it owns the namespaces and needs nothing.
	 */
	bool keep_sys_admin = c->mode == MODE_PASTA && !nsb_running();

#ifdef HAVE_LIBCAPNG
	keep_sys_admin = keep_sys_admin &&
			 capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN);
	capng_clear(CAPNG_SELECT_BOTH);
	if (keep_sys_admin)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			     CAP_SYS_ADMIN);
	if (capng_apply(CAPNG_SELECT_BOTH))
		warn("Can't drop capabilities");
#else
	{
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2] = { { 0 } };
		uint32_t bit = 1U << (CAP_SYS_ADMIN % 32);

		if (!syscall(SYS_capget, &hdr, data))
			keep_sys_admin = keep_sys_admin &&
					 (data[CAP_SYS_ADMIN / 32].effective &
					  bit);
		else
			keep_sys_admin = false;

		memset(data, 0, sizeof(data));
		if (keep_sys_admin) {
			data[CAP_SYS_ADMIN / 32].effective = bit;
			data[CAP_SYS_ADMIN / 32].permitted = bit;
		}
		if (syscall(SYS_capset, &hdr, data))
			warn_perror("Can't drop capabilities");
	}
#endif

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		warn_perror("Can't set no_new_privs");
}
