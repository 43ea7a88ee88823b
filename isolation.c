// SPDX-License-Identifier: GPL-2.0-or-later
/* isolation.c - Least privilege: user switch, capabilities
 *
 * Everything that needs privilege (binding the socket, creating the tap,
 * configuring the namespace) happens at start-up. Then:
 * - started as root, passt switches to the --runas user (default: nobody),
 *   after handing it the files it must remove at exit; pasta switches only
 *   if --runas is given, since its namespaces are owned by the user who
 *   started it;
 * - every capability is dropped (libcap-ng when available, capset()
 *   otherwise), and no_new_privs is set so nothing we might execute can
 *   regain any.
 */

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_LIBCAPNG
#include <cap-ng.h>
#endif

#include "isolation.h"
#include "log.h"
#include "passt.h"

#define RUNAS_DEFAULT_USER	"nobody"

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

	/* Files we remove at exit must be ours in sticky directories */
	if (c->pidfile_fd >= 0 && fchown(c->pidfile_fd, c->uid, c->gid))
		debug_perror("Can't hand the PID file to uid %u", c->uid);
	if (c->mode == MODE_PASST && !c->fd_tap_given && *c->sock_path &&
	    chown(c->sock_path, c->uid, c->gid))
		debug_perror("Can't hand the socket file to uid %u", c->uid);

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
	(void)c;

#ifdef HAVE_LIBCAPNG
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH))
		warn("Can't drop capabilities");
#else
	{
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2] = { { 0 } };

		if (syscall(SYS_capset, &hdr, data))
			warn_perror("Can't drop capabilities");
	}
#endif

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		warn_perror("Can't set no_new_privs");
}
