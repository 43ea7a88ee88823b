// SPDX-License-Identifier: GPL-2.0-or-later
/* pasta.c - Network namespaces for pasta: create, join, watch
 *
 * Three ways to get a namespace:
 * - spawn (no PID, no --netns): a child is cloned into new user and network
 *   namespaces, with our uid and gid mapped to root there. It waits on a
 *   pipe until the tap device is up and configured, then runs the command
 *   (default: the user's shell). pasta stays in the foreground and exits
 *   with the command's exit status, 128 + N if a signal N killed it.
 * - PID: join the network namespace of that process, and its user
 *   namespace unless --netns-only or --userns; pasta quits when that
 *   process exits (a pidfd tells us).
 * - --netns PATH|NAME: join that namespace (and --userns, if given); pasta
 *   quits when the path disappears, e.g. on `ip netns del`.
 *
 * pasta itself never moves into the namespace: the work that must happen
 * there (creating the tap device, netlink configuration) runs in a short
 * lived helper sharing our memory and file table (clone() with CLONE_VM and
 * CLONE_FILES), which joins the namespaces, does the job and exits. The
 * descriptors it opened, the tap and a netlink socket, stay with us.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "netlink.h"
#include "passt.h"
#include "pasta.h"
#include "tap.h"
#include "util.h"


static int pasta_sync_fd = -1;		/* Child runs its command on EOF */
static int pasta_pidfd = -1;		/* Child or joined process */

/**
 * pidfd_open_() - Open a pidfd for a process
 * @pid:	Process
 *
 * Return: pidfd, -1 on failure
 */
static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/**
 * same_ns() - Check whether a namespace file is our own user namespace
 * @fd:		Namespace file descriptor
 *
 * Return: true if it's the user namespace we're in
 */
static bool same_userns(int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) || stat("/proc/self/ns/user", &b))
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/**
 * pasta_open_ns_files() - Open the namespace files to join
 * @c:		Execution context
 * @netns:	Path of the network namespace
 * @userns:	Path of the user namespace, NULL or empty for none
 */
static void pasta_open_ns_files(struct ctx *c, const char *netns,
				const char *userns)
{
	c->pasta_netns_fd = open(netns, O_RDONLY | O_CLOEXEC);
	if (c->pasta_netns_fd < 0)
		die_perror("Can't open network namespace %s", netns);

	if (!userns || !*userns)
		return;
	c->pasta_userns_fd = open(userns, O_RDONLY | O_CLOEXEC);
	if (c->pasta_userns_fd < 0)
		die_perror("Can't open user namespace %s", userns);
	if (same_userns(c->pasta_userns_fd)) {
		close(c->pasta_userns_fd);
		c->pasta_userns_fd = -1;
	}
}

/**
 * struct pasta_spawn_arg - What the spawned child runs
 * @argv:	Command and arguments
 * @sync:	Pipe: read end, EOF means the network is ready
 * @sync_w:	Pipe: write end, closed by the child
 */
struct pasta_spawn_arg {
	char **argv;
	int sync;
	int sync_w;
};

/**
 * pasta_spawn_child() - Child: wait for the network, run the command
 * @arg:	struct pasta_spawn_arg
 *
 * Return: doesn't return on success, 1 if the command can't be run
 */
static int pasta_spawn_child(void *arg)
{
	const struct pasta_spawn_arg *a = arg;
	char buf;
	ssize_t n;

	/* End with pasta, even if it's killed. The kernel sends this with
	 * pasta's credentials: started as root, pasta switched user and
	 * the signal doesn't reach a command running as root (passt.1,
	 * SIGNALS). If pasta is gone already, the read below sees EOF.
	 */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	close(a->sync_w);
	/* One byte: the network is ready. EOF: pasta failed, give up */
	do
		n = read(a->sync, &buf, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);
	close(a->sync);

	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	{
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}

	execvp(a->argv[0], a->argv);
	fprintf(stderr, "pasta: can't run %s: %s\n", a->argv[0],
		strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/**
 * pasta_write_maps() - Map our uid and gid to root in the child's namespace
 * @c:		Execution context
 * @pid:	Child
 */
static void pasta_write_maps(const struct ctx *c, pid_t pid)
{
	char path[64], map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid == 0) {
		/* Root can map the whole range: files keep their owners */
		snprintf(map, sizeof(map), "0 0 4294967295");
		snprintf(path, sizeof(path), "/proc/%i/uid_map", pid);
		if (write_file(path, map))
			die_perror("Can't write %s", path);
		snprintf(path, sizeof(path), "/proc/%i/gid_map", pid);
		if (write_file(path, map))
			die_perror("Can't write %s", path);
		return;
	}

	snprintf(path, sizeof(path), "/proc/%i/setgroups", pid);
	write_file(path, "deny");	/* Absent on old kernels: fine */

	snprintf(path, sizeof(path), "/proc/%i/uid_map", pid);
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_file(path, map))
		die_perror("Can't write %s", path);

	snprintf(path, sizeof(path), "/proc/%i/gid_map", pid);
	snprintf(map, sizeof(map), "0 %u 1", gid);
	if (write_file(path, map))
		die_perror("Can't write %s", path);

	(void)c;
}

/**
 * pasta_spawn() - Start the command in new namespaces
 * @c:		Execution context
 * @argc:	Number of arguments, 0 for the user's shell
 * @argv:	Command and arguments
 */
static void pasta_spawn(struct ctx *c, int argc, char **argv)
{
	static char stack[NS_CALL_STACK_SIZE] __attribute__((aligned(16)));
	static char *sh_argv[] = { NULL, NULL };
	static char shell[PATH_MAX];
	struct pasta_spawn_arg a;
	char path[64];
	int flags = CLONE_NEWNET | CLONE_NEWUTS | SIGCHLD, sync[2];
	pid_t pid;

	if (!argc) {
		const char *sh = getenv("SHELL");
		const struct passwd *pw;

		if (!sh || !*sh) {
			pw = getpwuid(geteuid());
			sh = pw && pw->pw_shell && *pw->pw_shell ?
			     pw->pw_shell : "/bin/sh";
		}
		snprintf(shell, sizeof(shell), "%s", sh);
		sh_argv[0] = shell;
		argv = sh_argv;
	}

	if (!c->netns_only)
		flags |= CLONE_NEWUSER;

	if (pipe2(sync, O_CLOEXEC))
		die_perror("Can't create a pipe");

	a.argv = argv;
	a.sync = sync[0];
	a.sync_w = sync[1];

	pid = clone(pasta_spawn_child, stack + sizeof(stack), flags, &a);
	if (pid < 0) {
		if (errno == EPERM && c->netns_only)
			die("Can't create a network namespace without a user "
			    "namespace unless run as root (--netns-only)");
		die_perror("Can't create namespaces for the command");
	}
	close(sync[0]);
	pasta_sync_fd = sync[1];
	c->pasta_child = pid;
	c->pasta_spawned = true;

	if (!c->netns_only)
		pasta_write_maps(c, pid);

	snprintf(path, sizeof(path), "/proc/%i/ns/net", pid);
	if (c->netns_only) {
		pasta_open_ns_files(c, path, NULL);
	} else {
		char upath[64];

		snprintf(upath, sizeof(upath), "/proc/%i/ns/user", pid);
		pasta_open_ns_files(c, path, upath);
	}

	pasta_pidfd = pidfd_open_(pid);
	if (pasta_pidfd < 0)
		die_perror("Can't watch the command (pidfd_open)");
}

/**
 * pasta_join_pid() - Join the namespaces of a running process
 * @c:		Execution context
 * @arg:	PID, as a string
 */
static void pasta_join_pid(struct ctx *c, const char *arg)
{
	char netns[64], userns[64];
	unsigned long pid;

	if (str_to_ulong(arg, INT_MAX, &pid) || !pid)
		die("Invalid PID: %s", arg);
	if (kill((pid_t)pid, 0) && errno == ESRCH)
		die("No such process: %s", arg);

	snprintf(netns, sizeof(netns), "/proc/%lu/ns/net", pid);
	snprintf(userns, sizeof(userns), "/proc/%lu/ns/user", pid);
	pasta_open_ns_files(c, netns, c->netns_only ? NULL :
				      *c->userns_path ? c->userns_path :
							userns);
	c->pasta_pid_target = (pid_t)pid;

	pasta_pidfd = pidfd_open_((pid_t)pid);
	if (pasta_pidfd < 0)
		warn_perror("Can't watch process %lu, won't quit with it", pid);
}

/**
 * pasta_tap_open() - In the namespace: create the tap device
 * @c:		Execution context
 * @arg:	Unused
 *
 * We create it with a virtio-net header in front of frames (IFF_VNET_HDR)
 * unless --no-tap-offload is given; a descriptor given with --fd carries
 * one if it was opened that way (TUNGETIFF tells). See tap_vnet_init().
 *
 * Return: 0 on success, -1 on failure
 */
static int pasta_tap_open(struct ctx *c, void *arg)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd;
	(void)arg;

	if (nl_sock_init_ns()) {
		err_perror("Can't open netlink socket in the namespace");
		return -1;
	}

	if (c->fd_tap_given) {
		fd = c->fd_tap;
		if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
			err_perror("Descriptor %i is not a tap device", fd);
			return -1;
		}
		snprintf(c->pasta_ifname, sizeof(c->pasta_ifname), "%s",
			 ifr.ifr_name);
		c->tap_vnet = !!(ifr.ifr_flags & IFF_VNET_HDR);
	} else {
		if (!c->no_tap_offload)
			ifr.ifr_flags |= IFF_VNET_HDR;
		fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			err_perror("Can't open /dev/net/tun");
			return -1;
		}
		memcpy(ifr.ifr_name, c->pasta_ifname, IFNAMSIZ);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			err_perror("Can't create tap device %s",
				   c->pasta_ifname);
			close(fd);
			return -1;
		}
		memcpy(c->pasta_ifname, ifr.ifr_name, IFNAMSIZ);
		c->fd_tap = fd;
		c->tap_vnet = !c->no_tap_offload;
	}

	if (tap_vnet_init(c))
		return -1;

	c->pasta_ifi = if_nametoindex(c->pasta_ifname);
	if (!c->pasta_ifi) {
		err("Tap device %s not found in the namespace",
		    c->pasta_ifname);
		return -1;
	}

	if (c->pasta_mac_set &&
	    nl_link_set_mac(nl_sock_ns, c->pasta_ifi, c->pasta_mac)) {
		err("Can't set the MAC address of %s", c->pasta_ifname);
		return -1;
	}
	nl_link_get_mac(nl_sock_ns, c->pasta_ifi, c->guest_mac);
	return 0;
}

/**
 * prefix_contains4() - Check if an IPv4 address is within a subnet
 * @net:	Any address of the subnet
 * @len:	Prefix length
 * @a:		Address
 *
 * Return: true if @a is inside @net/@len
 */
static bool prefix_contains4(struct in_addr net, int len, struct in_addr a)
{
	uint32_t mask = len ? htonl(~0U << (32 - len)) : 0;

	return (net.s_addr & mask) == (a.s_addr & mask);
}

/**
 * pasta_ns_conf() - In the namespace: loopback up; with --config-net,
 *		     MTU, addresses and default routes on the tap
 * @c:		Execution context
 * @arg:	Unused
 *
 * Return: 0 on success, -1 on failure
 */
static int pasta_ns_conf(struct ctx *c, void *arg)
{
	unsigned int lo = if_nametoindex("lo");
	unsigned int ifi = c->pasta_ifi;
	int s = nl_sock_ns, rc;
	(void)arg;

	if (lo && nl_link_up(s, lo))
		warn("Can't bring up the loopback interface in the namespace");

	if (!c->pasta_conf_ns) {
		if ((rc = nl_link_up(s, ifi))) {
			errno = -rc;
			err_perror("Can't bring up %s", c->pasta_ifname);
			return -1;
		}
		return 0;
	}

	if (c->mtu && (rc = nl_link_set_mtu(s, ifi, (unsigned int)c->mtu))) {
		errno = -rc;
		err_perror("Can't set MTU %i on %s", c->mtu, c->pasta_ifname);
		return -1;
	}
	if (c->ifi6 || !c->no_follow) {
		char path[PATH_MAX];

		/* We assign the address: an extra one from SLAAC would make
		 * replies leave from an address the flows don't know.
		 */
		snprintf(path, sizeof(path),
			 "/proc/sys/net/ipv6/conf/%s/autoconf",
			 c->pasta_ifname);
		if (write_file(path, "0"))
			debug_perror("Can't disable SLAAC on %s",
				     c->pasta_ifname);
	}

	if ((rc = nl_link_up(s, ifi))) {
		errno = -rc;
		err_perror("Can't bring up %s", c->pasta_ifname);
		return -1;
	}

	if (c->ifi4) {
		rc = nl_addr_set(s, ifi, AF_INET, &c->ip4.addr,
				 c->ip4.prefix_len);
		if (rc) {
			errno = -rc;
			err_perror("Can't set IPv4 address on %s",
				   c->pasta_ifname);
			return -1;
		}
		if (!prefix_contains4(c->ip4.addr, c->ip4.prefix_len,
				      c->ip4.gw))
			nl_route_set_onlink(s, ifi, AF_INET, &c->ip4.gw, 32);
		rc = nl_route_set_def(s, ifi, AF_INET, &c->ip4.gw);
		if (rc) {
			errno = -rc;
			err_perror("Can't set IPv4 default route on %s",
				   c->pasta_ifname);
			return -1;
		}
	}

	if (c->ifi6) {
		if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr)) {
			rc = nl_addr_set(s, ifi, AF_INET6, &c->ip6.addr,
					 c->ip6.prefix_len);
			if (rc) {
				errno = -rc;
				err_perror("Can't set IPv6 address on %s",
					   c->pasta_ifname);
				return -1;
			}
		}
		rc = nl_route_set_def(s, ifi, AF_INET6, &c->ip6.gw);
		if (rc) {
			errno = -rc;
			err_perror("Can't set IPv6 default route on %s",
				   c->pasta_ifname);
			return -1;
		}
	}
	return 0;
}

/**
 * pasta_ns_follow4() - Move the namespace's IPv4 configuration
 * @c:		Execution context, new configuration
 * @o:		Old configuration
 * @on:		IPv4 was configured
 */
static void pasta_ns_follow4(const struct ctx *c, const struct ip4_ctx *o,
			     bool on)
{
	unsigned int ifi = c->pasta_ifi;
	int s = nl_sock_ns, rc;

	if (on == !!c->ifi4 && o->addr.s_addr == c->ip4.addr.s_addr &&
	    o->prefix_len == c->ip4.prefix_len &&
	    o->gw.s_addr == c->ip4.gw.s_addr)
		return;

	if (on) {
		nl_route_del_def(s, ifi, AF_INET);
		nl_addr_del(s, ifi, AF_INET, &o->addr, o->prefix_len);
	}
	if (!c->ifi4)
		return;

	rc = nl_addr_set(s, ifi, AF_INET, &c->ip4.addr, c->ip4.prefix_len);
	if (!prefix_contains4(c->ip4.addr, c->ip4.prefix_len, c->ip4.gw))
		nl_route_set_onlink(s, ifi, AF_INET, &c->ip4.gw, 32);
	if (!rc)
		rc = nl_route_set_def(s, ifi, AF_INET, &c->ip4.gw);
	if (rc) {
		errno = -rc;
		warn_perror("Can't update IPv4 on %s", c->pasta_ifname);
	}
}

/**
 * pasta_ns_follow6() - Move the namespace's IPv6 configuration
 * @c:		Execution context, new configuration
 * @o:		Old configuration
 * @on:		IPv6 was configured
 */
static void pasta_ns_follow6(const struct ctx *c, const struct ip6_ctx *o,
			     bool on)
{
	unsigned int ifi = c->pasta_ifi;
	int s = nl_sock_ns, rc = 0;

	if (on == !!c->ifi6 && IN6_ARE_ADDR_EQUAL(&o->addr, &c->ip6.addr) &&
	    o->prefix_len == c->ip6.prefix_len &&
	    IN6_ARE_ADDR_EQUAL(&o->gw, &c->ip6.gw))
		return;

	if (on) {
		nl_route_del_def(s, ifi, AF_INET6);
		if (!IN6_IS_ADDR_UNSPECIFIED(&o->addr))
			nl_addr_del(s, ifi, AF_INET6, &o->addr, o->prefix_len);
	}
	if (!c->ifi6)
		return;

	if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr))
		rc = nl_addr_set(s, ifi, AF_INET6, &c->ip6.addr,
				 c->ip6.prefix_len);
	if (!rc)
		rc = nl_route_set_def(s, ifi, AF_INET6, &c->ip6.gw);
	if (rc) {
		errno = -rc;
		warn_perror("Can't update IPv6 on %s", c->pasta_ifname);
	}
}

/**
 * pasta_ns_follow() - --config-net: the host changed, change the namespace
 * @c:		Execution context, new configuration
 * @o4:		Old IPv4 configuration
 * @on4:	IPv4 was configured
 * @o6:		Old IPv6 configuration
 * @on6:	IPv6 was configured
 *
 * Through pasta's broker (nl_sock_ns is NL_SOCK_BROKER by then), which
 * keeps CAP_NET_ADMIN over the namespace for this: a netlink request acts
 * with the capabilities of the process that sends it, and ours are gone.
 */
void pasta_ns_follow(const struct ctx *c, const struct ip4_ctx *o4, bool on4,
		     const struct ip6_ctx *o6, bool on6)
{
	pasta_ns_follow4(c, o4, on4);
	pasta_ns_follow6(c, o6, on6);
}

/**
 * pasta_netns_watch() - --netns: keep the path's directory, to see it go
 * @c:		Execution context
 *
 * Once we run in an empty root no path resolves: pasta_netns_quit_check()
 * looks the name up from a descriptor of its directory instead.
 */
static void pasta_netns_watch(struct ctx *c)
{
	if (c->no_netns_quit)
		return;
	c->netns_dirfd = path_dir_open(c->netns_path, c->netns_name,
				       sizeof(c->netns_name));
	if (c->netns_dirfd < 0) {
		*c->netns_name = '\0';
		warn_perror("Can't open the directory of %s, won't quit when "
			    "it's gone", c->netns_path);
	}
}

/**
 * pasta_setup() - Get the namespace, create and configure the tap device
 * @c:		Execution context
 * @r:		Positional arguments: command, or PID
 */
void pasta_setup(struct ctx *c, const struct conf_result *r)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_PASTA_PIDFD };
	bool is_pid = false;

	if (r->argc == 1 && !*c->netns_path) {
		unsigned long v;

		is_pid = !str_to_ulong(r->argv[0], INT_MAX, &v);
	}

	if (*c->netns_path) {
		pasta_open_ns_files(c, c->netns_path, c->userns_path);
		pasta_netns_watch(c);
	} else if (is_pid) {
		pasta_join_pid(c, r->argv[0]);
	} else {
		pasta_spawn(c, r->argc, r->argv);
		c->foreground = true;	/* The command owns the terminal */
	}

	if (ns_call(c, pasta_tap_open, NULL)) {
		if (c->pasta_spawned)
			kill(c->pasta_child, SIGKILL);
		die("Can't set up the tap device in the namespace");
	}
	if (ns_call(c, pasta_ns_conf, NULL)) {
		if (c->pasta_spawned)
			kill(c->pasta_child, SIGKILL);
		die("Can't configure the namespace");
	}

	tap_backend_init(c);

	if (pasta_pidfd >= 0) {
		ref.fd = pasta_pidfd;
		if (epoll_add(c, EPOLLIN, ref))
			die("Can't watch the namespace's process");
	}
}

/**
 * pasta_release_child() - The network is ready: let the command run
 * @c:		Execution context
 */
void pasta_release_child(struct ctx *c)
{
	(void)c;
	if (pasta_sync_fd >= 0) {
		if (write(pasta_sync_fd, "g", 1) != 1)
			warn_perror("Can't start the command");
		close(pasta_sync_fd);
		pasta_sync_fd = -1;
	}
}

/**
 * pasta_child_handler() - The command or the joined process ended
 * @c:		Execution context
 *
 * Return: exit status we quit with (the command's, 128 + signal if a
 *	   signal ended it), -1 to go on
 *
 * syscalls(pasta): wait4
 */
int pasta_child_handler(struct ctx *c)
{
	int status;

	if (!c->pasta_spawned) {
		if (c->no_netns_quit)
			return -1;
		info("Process %i is gone, exiting", c->pasta_pid_target);
		return EXIT_SUCCESS;
	}

	if (waitpid(c->pasta_child, &status, WNOHANG) <= 0)
		return -1;

	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_FAILURE;
}

/**
 * pasta_netns_quit_check() - Periodic: quit if the joined namespace's path
 *			      is gone
 * @c:		Execution context
 *
 * Return: true if it's gone and we must exit
 *
 * syscalls(pasta): newfstatat|fstatat64
 */
bool pasta_netns_quit_check(const struct ctx *c)
{
	struct stat st;

	if (c->no_netns_quit || !*c->netns_name)
		return false;
	/* Not following links: an absolute one wouldn't resolve here */
	if (fstatat(c->netns_dirfd, c->netns_name, &st,
		    AT_SYMLINK_NOFOLLOW) && errno == ENOENT) {
		info("Namespace %s is gone, exiting", c->netns_path);
		return true;
	}
	return false;
}
