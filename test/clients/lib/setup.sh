#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/clients/lib/setup.sh - What make check-clients needs beyond
# test/setup.sh: debootstrap, and the Debian trees that hold the real
# clients (lib/trees.sh), built from the machine's configured Debian
# mirror into /var/cache/passt-clients on first use and reused after.

set -eu

# shellcheck source=test/clients/lib/trees.sh
. "$(dirname "${BASH_SOURCE[0]}")/trees.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "test/clients/lib/setup.sh: must run as root" >&2
	exit 1
fi

if ! command -v debootstrap >/dev/null; then
	echo "Installing: debootstrap"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

for t in trixie bpo; do
	start=$SECONDS
	path=$(tree_path "$t")
	echo "tree $t: $path ($((SECONDS - start)) s)"
done
