#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/setup.sh - Install what the tests need on a Debian 12 machine, as
# root, and make /dev/net/tun usable by unprivileged users as ordinary
# distributions ship it. Packages already installed are not fetched again.
# clang, its runtime (libFuzzer and the sanitizers: libclang-rt-14-dev) and
# llvm (llvm-profdata, llvm-cov) build and measure the fuzz targets.

set -eu

PKGS="build-essential pkg-config check iproute2 socat
      tcpdump python3 util-linux procps iputils-ping udhcpc isc-dhcp-client
      ndisc6 busybox-static cpio linux-image-amd64 qemu-system-x86
      qemu-utils iperf3 valgrind clang llvm libclang-rt-14-dev"

if [ "$(id -u)" -ne 0 ]; then
	echo "test/setup.sh: must run as root (tests create namespaces)" >&2
	exit 1
fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
	echo "Installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -c /dev/net/tun ]; then
	mkdir -p /dev/net
	mknod /dev/net/tun c 10 200
fi
chmod 0666 /dev/net/tun
