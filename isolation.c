// SPDX-License-Identifier: GPL-2.0-or-later
/* isolation.c - Least privilege: descriptors, namespaces, user, capabilities
 *
 * Everything that needs privilege or the file system (binding the socket,
 * creating the tap, configuring the namespace, opening the PID, log and
 * pcap files) happens at start-up. What a compromised daemon could do after
 * that is narrowed down in three steps:
 * - isolate_initial(), right after the command line is parsed: every
 *   descriptor we inherited is closed, but the one --fd names; started as
 *   root, the --runas user is looked up while the user database is still
 *   reachable (default nobody, uid and gid 65534 if there's no such user).
 * - isolate_file_keep(), for the socket and PID files: an O_PATH descriptor
 *   of the file's directory, its name, device and inode, so that we can
 *   remove the file at exit if it's still ours (isolate_file_remove()),
 *   without a path and without a privileged helper. Started as root, we
 *   remove them as the --runas user: where that user can't (a directory
 *   only root may write to, or /tmp, sticky), they stay, and whoever
 *   started us removes them. Handing them over to that user would let any
 *   of its processes rewrite the PID file, or connect to the socket.
 * - isolate_sandbox(), once set-up is complete: new mount, IPC and UTS
 *   namespaces whose root is an empty, read-only tmpfs (the old root is
 *   unmounted, so /proc/PID/root shows nothing); started as root, a switch
 *   to the --runas user; then every capability goes, from every set,
 *   bounding and ambient included, no_new_privs is set and the process is
 *   no longer dumpable. Without CAP_SYS_ADMIN (started by an ordinary
 *   user) the namespaces come from a user namespace of our own first,
 *   where our uid and gid are mapped to themselves, so that file ownership
 *   and ping_group_range keep meaning what they meant. isolate_broker()
 *   does the same for pasta's broker, once in the target namespaces.
 *
 * "Root" is uid 0 of the initial user namespace: uid 0 in a namespace of
 * an ordinary user (rootless podman starts pasta so) is that user, and
 * stays who it is.
 *
 * There's no PID namespace: unshare(CLONE_NEWPID) only places the children
 * created afterwards in it, and we create none after start-up. pasta also
 * has to stay the parent of the command it started, to wait for it.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "isolation.h"
#include "log.h"
#include "passt.h"
#include "util.h"

#define RUNAS_DEFAULT_USER	"nobody"
#define RUNAS_FALLBACK_ID	65534	/* nobody, nogroup in most systems */

/* Where the empty root is mounted before we pivot into it: any directory
 * of the old root would do, this one exists everywhere
 */
#define ISOLATE_ROOT_MNT	"/tmp"

/**
 * isolate_started_as_root() - Are we root of the initial user namespace?
 *
 * uid 0 in a user namespace of an ordinary user (rootless podman starts
 * pasta that way) is that user outside: nothing to switch away from. A
 * namespace that maps every uid to itself is as good as the initial one.
 *
 * Return: true if our effective uid is 0 and maps to 0 all the way up
 */
static bool isolate_started_as_root(void)
{
	unsigned int in, out, count;
	bool root = false;
	FILE *f;

	if (geteuid() != 0)
		return false;
	if (!(f = fopen("/proc/self/uid_map", "re")))
		return true;	/* No user namespaces at all */
	root = fscanf(f, "%u %u %u", &in, &out, &count) == 3 && !in &&
	       !out && count == UINT_MAX;
	fclose(f);
	return root;
}

/**
 * isolate_runas() - Find the user we'll run as after set-up
 * @c:		Execution context, uid and gid set if --runas was given
 *
 * Only root switches: the --runas user, by default nobody (uid and gid
 * 65534 if there's no such user); anybody else stays who they are.
 */
static void isolate_runas(struct ctx *c)
{
	const struct passwd *pw;

	if (!isolate_started_as_root())
		return;

	c->runas_switch = true;
	if (c->runas_set)
		return;		/* Never root: see conf_opt_runas() */

	pw = getpwnam(RUNAS_DEFAULT_USER);
	if (!pw) {
		c->uid = c->gid = RUNAS_FALLBACK_ID;
		info("No user \"" RUNAS_DEFAULT_USER "\": will run as uid %u, "
		     "gid %u", c->uid, c->gid);
		return;
	}
	if (!pw->pw_uid || !pw->pw_gid)
		die("Won't run as root after set-up: user \""
		    RUNAS_DEFAULT_USER "\" has uid %u, gid %u, use --runas",
		    pw->pw_uid, pw->pw_gid);
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
}

/**
 * isolate_initial() - At start: find --runas, close inherited descriptors
 * @c:		Execution context, command line parsed
 *
 * Called before the daemon opens any descriptor of its own: whatever is
 * open above standard error now was inherited (or left by the user
 * database lookups), and only --fd was asked for.
 */
void isolate_initial(struct ctx *c)
{
	isolate_runas(c);
	close_open_files(STDERR_FILENO + 1, c->fd_tap_given ? c->fd_tap : -1);
}

/**
 * isolate_file_keep() - Record a file we created, to remove it at exit
 * @f:		Record to fill
 * @path:	Path of the file, must stay valid
 * @fd:		Descriptor of the file, -1 to look the path up (a socket)
 */
void isolate_file_keep(struct isolate_file *f, const char *path, int fd)
{
	struct stat st;
	int dirfd;

	dirfd = path_dir_open(path, f->name, sizeof(f->name));
	if (dirfd < 0) {
		warn_perror("Can't open the directory of %s, won't remove it "
			    "at exit", path);
		return;
	}
	if (fd >= 0 ? fstat(fd, &st) :
		      fstatat(dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW)) {
		warn_perror("Can't stat %s, won't remove it at exit", path);
		close(dirfd);
		return;
	}

	f->path = path;
	f->dirfd = dirfd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->kept = true;
}

/**
 * isolate_file_remove() - At exit: remove a file if it's still ours
 * @f:		File
 *
 * syscalls: newfstatat|fstatat64 unlinkat
 */
void isolate_file_remove(const struct isolate_file *f)
{
	struct stat st;

	if (!f->kept ||
	    fstatat(f->dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) ||
	    st.st_dev != f->dev || st.st_ino != f->ino)
		return;
	if (unlinkat(f->dirfd, f->name, 0))
		info("Can't remove %s (%s): left to whoever started us",
		     f->path, strerror(errno));
}

/**
 * isolate_fail() - A step of the sandbox failed: report it, clean up, exit
 * @c:		Execution context
 * @what:	What failed
 */
static void __attribute__((noreturn)) isolate_fail(const struct ctx *c,
						   const char *what)
{
	err_perror("Can't isolate ourselves: %s", what);
	if (getpid() != c->pid)
		_exit(EXIT_FAILURE);	/* The broker: files aren't ours */
	passt_exit(c, EXIT_FAILURE);
}

/**
 * isolate_userns() - Create a user namespace of our own, uid and gid kept
 * @c:		Execution context
 *
 * Identity maps: we keep our uid and gid, as far as the rest of the system
 * can tell, and gain the capabilities needed for the next steps, over the
 * new namespaces only.
 */
static void isolate_userns(const struct ctx *c)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	/* Switching user cleared it: we couldn't write our own maps */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);

	if (unshare(CLONE_NEWUSER))
		isolate_fail(c, "unshare(CLONE_NEWUSER)");

	/* Absent before Linux 3.19, where gid_map needs nothing else */
	if (write_file("/proc/self/setgroups", "deny") && errno != ENOENT)
		isolate_fail(c, "/proc/self/setgroups");
	snprintf(map, sizeof(map), "%u %u 1", uid, uid);
	if (write_file("/proc/self/uid_map", map))
		isolate_fail(c, "/proc/self/uid_map");
	snprintf(map, sizeof(map), "%u %u 1", gid, gid);
	if (write_file("/proc/self/gid_map", map))
		isolate_fail(c, "/proc/self/gid_map");
}

/**
 * isolate_mounts() - New mount, IPC, UTS namespaces, an empty root
 * @c:		Execution context
 *
 * The new root is a tmpfs mounted, in our own mount namespace only, on
 * ISOLATE_ROOT_MNT. pivot_root(".", ".") stacks the old root on top of it,
 * and a lazy unmount of "." then takes the old root away: nothing of it
 * remains reachable by path. Descriptors opened before keep working.
 */
static void isolate_mounts(const struct ctx *c)
{
	const unsigned long ro = MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC;

	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS))
		isolate_fail(c, "unshare(CLONE_NEWNS | CLONE_NEWIPC | "
				"CLONE_NEWUTS)");

	/* Nothing we do to mounts from now on propagates back */
	if (mount("", "/", "", MS_PRIVATE | MS_REC, NULL))
		isolate_fail(c, "can't make / private");

	if (mount("", ISOLATE_ROOT_MNT, "tmpfs",
		  MS_NODEV | MS_NOSUID | MS_NOEXEC, "mode=0500"))
		isolate_fail(c, "can't mount a tmpfs on " ISOLATE_ROOT_MNT);
	if (chdir(ISOLATE_ROOT_MNT))
		isolate_fail(c, "can't enter the new root");
	if (syscall(SYS_pivot_root, ".", "."))
		isolate_fail(c, "pivot_root()");
	if (umount2(".", MNT_DETACH))
		isolate_fail(c, "can't unmount the old root");
	if (chdir("/"))
		isolate_fail(c, "can't enter the new root");

	if (mount("", "/", "", MS_REMOUNT | MS_BIND | ro, NULL))
		isolate_fail(c, "can't make the new root read-only");
}

/**
 * isolate_user() - Started as root: switch to the --runas user, once
 * @c:		Execution context
 * @keep:	Capability to keep across the switch, -1 for none
 */
static void isolate_user(const struct ctx *c, int keep)
{
	if (!c->runas_switch || (c->uid == geteuid() && c->gid == getegid()))
		return;

	/* Keep the permitted set across setuid(): isolate_caps() trims it */
	if (keep >= 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		isolate_fail(c, "can't keep capabilities");

	if (setgroups(0, NULL))
		isolate_fail(c, "can't clear supplementary groups");
	if (setgid(c->gid) || setuid(c->uid))
		isolate_fail(c, "can't switch user (--runas)");
	debug("Switched to uid %u, gid %u", c->uid, c->gid);
}

/**
 * isolate_bounding() - Clear the capability bounding set
 * @c:		Execution context
 * @keep:	Capability to leave in it, -1 for none
 *
 * Needs CAP_SETPCAP: before we switch user. The last capability the
 * kernel knows is found by reading the set until EINVAL.
 */
static void isolate_bounding(const struct ctx *c, int keep)
{
	int cap;

	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (cap != keep && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			isolate_fail(c, "can't clear the bounding set");
	}
}

/**
 * isolate_caps() - Drop every capability left, forbid regaining any
 * @c:		Execution context
 * @keep:	Capability to keep, effective and permitted, -1 for none
 */
static void isolate_caps(const struct ctx *c, int keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (keep >= 0) {
		data[CAP_TO_INDEX(keep)].effective = CAP_TO_MASK(keep);
		data[CAP_TO_INDEX(keep)].permitted = CAP_TO_MASK(keep);
	}

	/* EINVAL: no ambient capabilities before Linux 4.3 */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		isolate_fail(c, "can't clear ambient capabilities");
	if (syscall(SYS_capset, &hdr, data))
		isolate_fail(c, "can't drop capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		isolate_fail(c, "can't set no_new_privs");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		isolate_fail(c, "can't clear the dumpable flag");
}

/**
 * isolate_have_sys_admin() - Do we have CAP_SYS_ADMIN in our user namespace?
 *
 * Return: true if it's in our effective set
 */
static bool isolate_have_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
	       CAP_TO_MASK(CAP_SYS_ADMIN);
}

/**
 * isolate_sandbox_keep() - Set-up is complete: detach, switch user, drop
 *			    all capabilities, or all but one
 * @c:		Execution context
 * @keep:	Capability to keep, -1 for none
 *
 * Called once set-up is done, the PID file written and the log file open,
 * after pasta's namespace broker is started (it must see the namespace
 * files), before the seccomp filter is installed. On any failure the
 * daemon exits: it doesn't run with less isolation than documented.
 */
static void isolate_sandbox_keep(const struct ctx *c, int keep)
{
	if (!isolate_have_sys_admin()) {
		/* Root without CAP_SYS_ADMIN: switch first, or the user
		 * namespace would be root's; nothing to keep in that case,
		 * our capabilities would be over our own namespace only
		 */
		isolate_user(c, -1);
		isolate_userns(c);
		keep = -1;
	}
	isolate_mounts(c);
	isolate_bounding(c, keep);
	isolate_user(c, keep);
	isolate_caps(c, keep);
}

/**
 * isolate_sandbox() - Set-up is complete: detach, switch user, drop all
 * @c:		Execution context
 *
 * See isolate_sandbox_keep().
 */
void isolate_sandbox(const struct ctx *c)
{
	isolate_sandbox_keep(c, -1);
}

/**
 * isolate_broker() - pasta's broker, in the target namespaces: the same
 * @c:		Execution context
 * @keep:	The one descriptor it needs: its end of the socket pair
 * @net_admin:	Keep CAP_NET_ADMIN, over the target namespace, to change
 *		its addresses and routes as the host's change
 *
 * The broker logs to standard error only (/dev/null, in the background):
 * the numbers of the log descriptors would soon be sockets it makes.
 */
void isolate_broker(const struct ctx *c, int keep, bool net_admin)
{
	log_close();
	close_open_files(STDERR_FILENO + 1, keep);
	isolate_sandbox_keep(c, net_admin ? CAP_NET_ADMIN : -1);
}
