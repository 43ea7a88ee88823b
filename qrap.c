// SPDX-License-Identifier: GPL-2.0-or-later
/* qrap.c - Connect an older qemu to passt: qrap FD QEMU-COMMAND [ARG]...
 *
 * qemu versions without "-netdev stream" can use a socket descriptor they
 * inherit ("-net socket,fd=FD" or "-netdev socket,fd=FD"). qrap connects to
 * passt's UNIX domain socket, puts the connection on descriptor FD and
 * executes qemu with the rest of the command line. The socket is found as
 * passt creates it by default, /tmp/passt_N.socket for the first N where
 * somebody listens, unless the environment variable PASST_SOCKET names it.
 *
 * Anybody can create a socket in /tmp, so whoever listens there first
 * would see, and could change, all of the guest's traffic. A connection
 * is kept only if the listener (its credentials when it called listen(),
 * from SO_PEERCRED) runs as our own user or as root: a root passt listens
 * before it switches to an unprivileged user. Other listeners are skipped
 * in the search and refused when PASST_SOCKET names them.
 */

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#define SOCK_MAX	100

/**
 * usage() - Print how to call qrap, then exit
 * @name:	Program name
 * @status:	Exit status: EXIT_SUCCESS for --help, to standard output
 */
static void usage(const char *name, int status)
{
	fprintf(status == EXIT_SUCCESS ? stdout : stderr,
		"Usage: %s FD QEMU-COMMAND [ARG]...\n"
		"\n"
		"Connect to passt's UNIX domain socket, then run QEMU-COMMAND "
		"with the\nconnection on descriptor FD: use it in qemu as "
		"-net socket,fd=FD\nor -netdev socket,fd=FD,id=ID.\n"
		"\n"
		"The socket is $PASST_SOCKET if set (the path given to passt "
		"with --socket),\nor else the first of /tmp/passt_1.socket "
		"to /tmp/passt_%i.socket where\npasst listens. Only a "
		"listener running as our own user or as root is\naccepted: "
		"set PASST_SOCKET to a path in a directory only you can "
		"write\nto, rather than rely on the search in /tmp.\n",
		name, SOCK_MAX - 1);
	exit(status);
}

/**
 * try_connect() - Connect to a UNIX domain socket
 * @path:	Path
 *
 * Return: connected socket, -1 on failure (errno set)
 */
static int try_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(a.sun_path, path);

	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	return s;
}

/**
 * listener_trusted() - Does our user or root listen on a connected socket?
 * @s:		Socket connected to @path
 * @path:	Path of the socket, for messages
 * @name:	Program name, for messages
 *
 * Return: true if the listener runs as our effective user or as root,
 *	   false (after a message) otherwise
 */
static bool listener_trusted(int s, const char *path, const char *name)
{
	struct ucred cred;
	socklen_t sl = sizeof(cred);
	uid_t uid = geteuid();

	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &sl)) {
		fprintf(stderr, "%s: can't tell who listens on %s: %s\n", name,
			path, strerror(errno));
		return false;
	}
	if (cred.uid == uid || cred.uid == 0)
		return true;

	fprintf(stderr, "%s: refusing %s: it belongs to a process of uid %u "
		"(pid %i), not to us (uid %u) or root\n", name, path,
		(unsigned int)cred.uid, (int)cred.pid, (unsigned int)uid);
	return false;
}

int main(int argc, char **argv)
{
	const char *env = getenv("PASST_SOCKET");
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	long fd;
	char *end;
	int s = -1, i;

	if (argc == 2 && (!strcmp(argv[1], "--help") ||
			  !strcmp(argv[1], "-h")))
		usage(argv[0], EXIT_SUCCESS);
	if (argc < 3)
		usage(argv[0], EXIT_FAILURE);

	errno = 0;
	fd = strtol(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || fd < 3 || fd > INT_MAX) {
		fprintf(stderr, "%s: invalid descriptor number \"%s\", must "
			"be 3 or more\n", argv[0], argv[1]);
		return EXIT_FAILURE;
	}

	if (env && *env) {
		s = try_connect(env);
		if (s < 0) {
			fprintf(stderr, "%s: can't connect to passt at %s: "
				"%s\n", argv[0], env, strerror(errno));
			return EXIT_FAILURE;
		}
		if (!listener_trusted(s, env, argv[0]))
			return EXIT_FAILURE;
	} else {
		for (i = 1; i < SOCK_MAX && s < 0; i++) {
			snprintf(path, sizeof(path), "/tmp/passt_%i.socket", i);
			s = try_connect(path);
			if (s >= 0 && !listener_trusted(s, path, argv[0])) {
				close(s);
				s = -1;
			}
		}
		if (s < 0) {
			fprintf(stderr, "%s: no passt of ours listens on any of "
				"/tmp/passt_1.socket to /tmp/passt_%i.socket "
				"(start passt first, or set PASST_SOCKET)\n",
				argv[0], SOCK_MAX - 1);
			return EXIT_FAILURE;
		}
	}

	if (s != (int)fd) {
		if (dup2(s, (int)fd) < 0) {
			perror("dup2");
			return EXIT_FAILURE;
		}
		close(s);
	}

	execvp(argv[2], argv + 2);
	fprintf(stderr, "%s: can't run %s: %s\n", argv[0], argv[2],
		strerror(errno));
	return EXIT_FAILURE;
}
