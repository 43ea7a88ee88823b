# shellcheck shell=bash
# shellcheck disable=SC2034 # the lists are read by tree_path, by name
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/clients/lib/trees.sh - which Debian trees the real-client tests use,
# from which suite, with which packages: the one list, read by
# test/clients/lib/setup.sh (which builds them before the tests, as that may
# take minutes) and by the tests (which only look them up: tree.sh
# reuses a tree whose stamp matches).

CLIENTS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Debian 13: podman 5, rootlesskit 2.  busybox-static and socat (for a UDP
# server, which busybox lacks) make the image.
# Debian's own passt is there on purpose: on $PATH, where podman would
# find it, so that the tests prove the pasta that runs is ours.
TREE_TRIXIE=(trixie trixie podman rootlesskit uidmap busybox-static passt
	     iproute2 procps socat)

# Debian 12 with bookworm-backports: qemu 10 (-netdev stream reconnect-ms),
# libvirt 11 (passt backend)
TREE_BPO=(bpo bookworm-backports qemu-system-x86 libvirt-daemon
	  libvirt-daemon-driver-qemu libvirt-clients)

# tree_path() - NAME: print the path of a tree (built if it isn't yet)
tree_path() {
	local -n spec="TREE_${1^^}"

	"$CLIENTS_LIB_DIR/tree.sh" "${spec[@]}"
}
