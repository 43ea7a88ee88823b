#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/clients/lib/tree.sh - Build (once per machine) the Debian directory trees
# that the real-client tests run podman, rootlesskit, libvirt and qemu from.
#
#   tree.sh NAME SUITE PACKAGES...
#
# The tree is NAME under $CLIENTS_CACHE (default /var/cache/passt-clients),
# made by debootstrap from the Debian mirror this machine's own apt sources
# name (/etc/apt/sources.list.d/*.sources or /etc/apt/sources.list), with
# SUITE as the base and PACKAGES installed on top.  A tree is reused when
# its stamp (suite, mirror, package list) matches, rebuilt from scratch
# otherwise; a half-built tree is never reused.  Prints the tree's path.
#
# A suite like bookworm-backports is built as its base suite (bookworm)
# with the backports suite added to the tree's apt sources, and PACKAGES
# taken from it.

set -eu

CLIENTS_CACHE=${CLIENTS_CACHE:-/var/cache/passt-clients}
CLIENTS_UID=1000

# mirror() - print the first Debian mirror URI of the machine's apt sources
mirror() {
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
		done
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p' "$f"
		done
	} | grep -E '/debian/?$' | grep -v -- '-security' | head -n 1
}

[ $# -ge 2 ] || { echo "usage: $0 NAME SUITE PACKAGES..." >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "$0: must run as root" >&2; exit 1; }
name=$1 suite=$2
shift 2

MIRROR=${CLIENTS_MIRROR:-$(mirror)}
[ -n "$MIRROR" ] || { echo "$0: no Debian mirror in /etc/apt sources" >&2; exit 1; }

base=${suite%-backports}
tree=$CLIENTS_CACHE/$name
stamp="2 $suite $MIRROR $*"

if [ -f "$tree/.passt-clients-stamp" ] &&
   [ "$(cat "$tree/.passt-clients-stamp")" = "$stamp" ]; then
	echo "$tree"
	exit 0
fi

command -v debootstrap >/dev/null ||
	{ echo "$0: debootstrap missing (make check-clients installs it)" >&2; exit 1; }

# unmount_below() - DIR: unmount whatever a failed build left mounted in
# DIR (debootstrap mounts proc and sys in the target), deepest first, so
# that removing DIR cannot reach into them
unmount_below() {
	[ -d "$1" ] || return 0
	findmnt -rn -o TARGET | grep -F "$1/" | sort -r | while read -r m; do
		umount -l "$m" || true
	done
}

mkdir -p "$CLIENTS_CACHE"
unmount_below "$tree.new"
unmount_below "$tree"
rm -rf "$tree" "$tree.new"
echo "tree.sh: building $tree: debootstrap $base from $MIRROR" >&2
debootstrap --variant=minbase "$base" "$tree.new" "$MIRROR" >"$CLIENTS_CACHE/$name.log" 2>&1 ||
	{ tail -n 20 "$CLIENTS_CACHE/$name.log" >&2; exit 1; }

printf 'deb %s %s main\n' "$MIRROR" "$base" >"$tree.new/etc/apt/sources.list"
target=""
if [ "$suite" != "$base" ]; then
	printf 'deb %s %s main\n' "$MIRROR" "$suite" >>"$tree.new/etc/apt/sources.list"
	target="-t $suite"
fi

# No daemons started by package scripts while installing into the tree
printf '#!/bin/sh\nexit 101\n' >"$tree.new/usr/sbin/policy-rc.d"
chmod 0755 "$tree.new/usr/sbin/policy-rc.d"

mount -t proc proc "$tree.new/proc"
trap 'unmount_below "$tree.new"' EXIT
rc=0
# shellcheck disable=SC2086
chroot "$tree.new" sh -c "export DEBIAN_FRONTEND=noninteractive;
	apt-get update -qq && apt-get install -y -qq --no-install-recommends \
	$target $*" >>"$CLIENTS_CACHE/$name.log" 2>&1 || rc=$?
umount "$tree.new/proc"
if [ $rc -ne 0 ]; then
	tail -n 20 "$CLIENTS_CACHE/$name.log" >&2
	exit 1
fi
chroot "$tree.new" apt-get clean >/dev/null 2>&1 || true

# What enter.sh and the tests expect of every tree: an unprivileged user
# with subordinate IDs (rootless podman, rootlesskit), and plain files
# for enter.sh to bind the network namespace's resolv.conf and hosts on
chroot "$tree.new" useradd -m -u "$CLIENTS_UID" -s /bin/sh ctest
printf 'ctest:100000:65536\n' >"$tree.new/etc/subuid"
printf 'ctest:100000:65536\n' >"$tree.new/etc/subgid"
for f in resolv.conf hosts; do
	rm -f "$tree.new/etc/$f"
	: >"$tree.new/etc/$f"
done

printf '%s\n' "$stamp" >"$tree.new/.passt-clients-stamp"
mv "$tree.new" "$tree"
echo "$tree"
