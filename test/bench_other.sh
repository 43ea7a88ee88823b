#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/bench_other.sh - fetch Debian's passt package, unpack it into a cache
# directory (no installation) and print the path of its pasta: another
# implementation for `make bench` to compare with, and nothing else; the
# project's code and tests never use it.
#
# Usage: BENCH_OTHER_PASTA=$(test/bench_other.sh) make bench
#
# Environment: BENCH_OTHER_CACHE  the cache directory (default
#                                 /var/cache/passt-bench-other)
#              BENCH_OTHER_PKG    the package, as apt-get download takes
#                                 it (default passt: the version apt-get
#                                 would install, e.g. 0.0~git20230309 on
#                                 Debian 12)
#
# Needs apt-get and dpkg-deb, and a package list that has the package
# (apt-get update).  Prints the path on standard output, anything else on
# standard error; exit status 1 if it can't.
set -eu

CACHE=${BENCH_OTHER_CACHE:-/var/cache/passt-bench-other}
PKG=${BENCH_OTHER_PKG:-passt}

# die() - MESSAGE: say it and exit 1
die() {
	echo "bench_other.sh: $*" >&2
	exit 1
}

command -v apt-get >/dev/null || die "no apt-get: not a Debian system?"
command -v dpkg-deb >/dev/null || die "no dpkg-deb"

mkdir -p "$CACHE"
chmod 755 "$CACHE"

# The version apt-get would install, or the one asked for; unpacked once
name=${PKG%%=*}
ver=$(apt-cache policy "$name" 2>/dev/null | awk '/Candidate:/ { print $2 }')
case "$PKG" in *=*) ver=${PKG#*=} ;; esac
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	die "apt-cache knows no version of $name (apt-get update?)"
fi
dir="$CACHE/${name}_${ver//[^A-Za-z0-9.+~-]/_}"
pasta="$dir/usr/bin/pasta"
if [ ! -x "$pasta" ]; then
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp/deb"
	# apt-get download writes to the current directory, as _apt if it
	# can: a directory of root's only, so it says so and downloads as root
	(cd "$dir.tmp/deb" && apt-get -q download "$name=$ver" >&2) ||
		die "apt-get download $name=$ver failed"
	set -- "$dir.tmp/deb/"*.deb
	[ -f "$1" ] || die "no .deb after apt-get download $name=$ver"
	dpkg-deb -x "$1" "$dir.tmp" || die "dpkg-deb -x $1 failed"
	rm -rf "$dir.tmp/deb" "$dir"
	mv "$dir.tmp" "$dir"
fi
[ -x "$pasta" ] || die "$pasta: not in the package"
printf '%s\n' "$pasta"
