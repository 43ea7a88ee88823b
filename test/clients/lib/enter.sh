#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/clients/lib/enter.sh - Enter a client tree (tree.sh) the way rootless
# podman can run in it: run as root in the test's host network namespace,
#
#   enter.sh TREE BINDIR WORKDIR [--same PATH]... CMD...
#
# makes a private mount namespace (the caller runs it under unshare -m),
# mounts proc, sysfs, a cgroup2 hierarchy, /dev (bound from outside),
# tmpfs /run and /tmp, binds BINDIR (our passt and pasta) read-only on
# /opt/passt, WORKDIR on /work, the network namespace's /etc/resolv.conf
# and /etc/hosts over the tree's, each --same PATH (a directory) at the
# same path in the tree, then pivot_root(2)s into TREE and execs CMD.  chroot(2) would not do: the kernel refuses a chrooted
# process a new user namespace, which rootless podman needs.  Everything
# mounted here goes away with the mount namespace.

set -eu

tree=$1 bindir=$2 workdir=$3
shift 3
same=""
while [ "$1" = --same ]; do
	same="$same $2"
	shift 2
done

mount --make-rprivate /
mount --bind "$tree" "$tree"
mount -t proc proc "$tree/proc"
mount -t sysfs sysfs "$tree/sys"
mount -t cgroup2 cgroup2 "$tree/sys/fs/cgroup"
mount --rbind /dev "$tree/dev"
mount -t tmpfs -o mode=755 tmpfs "$tree/run"
mount -t tmpfs -o mode=1777 tmpfs "$tree/tmp"
mkdir -p "$tree/opt/passt" "$tree/work"
mount --bind "$bindir" "$tree/opt/passt"
mount -o remount,bind,ro "$tree/opt/passt"
mount --bind "$workdir" "$tree/work"
mount --bind /etc/resolv.conf "$tree/etc/resolv.conf"
mount --bind /etc/hosts "$tree/etc/hosts"
for p in $same; do
	mkdir -p "$tree$p"
	mount --bind "$p" "$tree$p"
done

cd "$tree"
mkdir -p .oldroot
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
# What a systemd host has, and rootless podman expects
mount --make-rshared /
exec "$@"
