# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/clients/lib/clients.sh - run real clients (podman, rootlesskit) from
# a Debian tree (trees.sh) inside the test topology's host namespace
#
# tree_start NAME starts a holder process: in the host namespace, in a
# mount namespace of its own, pivoted into the tree by enter.sh, with our
# binaries on /opt/passt and the test's directory $CLIENTS_WORK on /work.
# tree_root and tree_user then run commands there (nsenter into the
# holder's mount and network namespaces and its root), as root or as the
# tree's unprivileged user ctest (uid 1000, subordinate IDs from 100000),
# whose home is /work/home and runtime directory /run/user/1000.  The
# holder is a registered PID: topo.sh's clean-up ends it, and the mount
# namespace with all its mounts goes with it.
#
# Needs common.sh (test_start done).

# shellcheck source=test/clients/lib/trees.sh
. "$(dirname "${BASH_SOURCE[0]}")/trees.sh"

CTEST_UID=1000
CLIENTS_WORK=""
TREE_PID=""
TREE_DIR=""

# TREE_ON_EXIT - clean-up commands (strings, run by eval) for what lives
# outside the host namespace and so outside topo.sh's clean-up:
# containers, a rootlesskit child, a domain.  tree_start installs an EXIT
# trap that runs them, then topo.sh's clean-up, keeping the exit status
TREE_ON_EXIT=()

# tree_on_exit() - CMD: run CMD (a string, for eval) before the clean-up
tree_on_exit() {
	TREE_ON_EXIT+=("$1")
}

# tree_cleanup() - run TREE_ON_EXIT, each bounded, failures ignored
tree_cleanup() {
	local c

	for c in "${TREE_ON_EXIT[@]}"; do
		eval "timeout 30 $c" >/dev/null 2>&1 || true
	done
}

# TREE_SAME - directories bound at the same path in the tree (tree_start)
TREE_SAME=()

# tree_start() - NAME [BINDIR]: enter tree NAME with BINDIR (default
# $PASST_BIN_DIR) on /opt/passt; sets TREE_PID, TREE_DIR, CLIENTS_WORK
tree_start() {
	local bindir=${2:-$PASST_BIN_DIR} same=() p

	for p in "${TREE_SAME[@]}"; do
		same+=(--same "$p")
	done

	# shellcheck disable=SC2154 # rc is set in the trap itself
	trap 'rc=$?; set +e; tree_cleanup; (exit $rc); topo_cleanup' EXIT
	TREE_DIR=$(tree_path "$1") || fail "tree $1: cannot build it (see $1.log under /var/cache/passt-clients)"
	CLIENTS_WORK="$TOPO_TMP/work"
	mkdir -p "$CLIENTS_WORK/home"
	chown "$CTEST_UID:$CTEST_UID" "$CLIENTS_WORK/home"
	chmod 755 "$CLIENTS_WORK"
	bg_host "$TOPO_TMP/tree-$1.log" unshare -m \
		"$CLIENTS_LIB_DIR/enter.sh" "$TREE_DIR" "$bindir" "$CLIENTS_WORK" \
		"${same[@]}" sleep infinity
	TREE_PID=$BG_PID
	if ! wait_until 10 is_sleep "$TREE_PID"; then
		show_log "$TOPO_TMP/tree-$1.log" "enter.sh" all
		fail "tree $1: could not enter $TREE_DIR"
	fi
	tree_root mkdir -p "/run/user/$CTEST_UID"
	tree_root chown "$CTEST_UID:$CTEST_UID" "/run/user/$CTEST_UID"
	tree_root chmod 700 "/run/user/$CTEST_UID"
	info "tree $1: $TREE_DIR entered (holder PID $TREE_PID), our binaries on /opt/passt"
}

# tree_root() - CMD...: run CMD as root in the tree
tree_root() {
	nsenter -t "$TREE_PID" -m -n -r -w -- \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# TREE_ENV - extra VAR=VALUE words for tree_user's environment
TREE_ENV=()

# tree_user_cmd() - set TREE_USER to the command prefix of tree_user, an
# array usable with bg_run (each part execs the next: the PID stays)
TREE_USER=()
tree_user_cmd() {
	TREE_USER=(nsenter -t "$TREE_PID" -m -n -r -w --
		   setpriv --reuid "$CTEST_UID" --regid "$CTEST_UID"
		   --init-groups --inh-caps=-all --
		   env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/work/home
		   USER=ctest LOGNAME=ctest
		   XDG_RUNTIME_DIR="/run/user/$CTEST_UID" "${TREE_ENV[@]}")
}

# tree_user() - CMD...: run CMD in the tree as ctest, no capabilities
tree_user() {
	tree_user_cmd
	"${TREE_USER[@]}" "$@"
}

# broken_pastas() - make two pastas broken on purpose, for the clients to
# fail with, in $CLIENTS_WORK (/work in the tree): exit1/pasta exits 1 at
# once; noudp/pasta is ours with the UDP port forwarding options the
# client gives (-u SPEC, --udp-ports=SPEC) turned to none (left out, they
# would be pasta's default, auto)
broken_pastas() {
	local w=$CLIENTS_WORK

	mkdir -p "$w/exit1" "$w/noudp"
	printf '#!/bin/sh\nexit 1\n' >"$w/exit1/pasta"
	cat >"$w/noudp/pasta" <<'EOC'
#!/bin/sh
skip=0
for a do
	shift
	if [ "$skip" = 1 ]; then skip=0; continue; fi
	case "$a" in
	-u) skip=1; set -- "$@" -u none; continue ;;
	--udp-ports=*) set -- "$@" --udp-ports=none; continue ;;
	esac
	set -- "$@" "$a"
done
exec /opt/passt/pasta "$@"
EOC
	chmod 755 "$w/exit1/pasta" "$w/noudp/pasta"
}

# exe_is_ours() - PID: true if PID runs our passt binary (same file, by
# device and inode, whatever path it was started by), not Debian's
exe_is_ours() {
	[ "$(stat -L -c '%d:%i' "/proc/$1/exe" 2>/dev/null)" = \
	  "$(stat -L -c '%d:%i' "$PASST")" ]
}

# pastas_in_host() - print the PIDs of every pasta or passt process in
# the host namespace, whichever binary (argv[0] named so)
pastas_in_host() {
	local pid a0

	for pid in $(ip netns pids "$HOST_NS"); do
		a0=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1)
		case "${a0##*/}" in
		pasta | passt) printf '%s\n' "$pid" ;;
		esac
	done
}

# check_ours() - LABEL: every pasta or passt in the host namespace (the
# ones the client started) runs our binary; show their argv.  Sets
# OURS_PIDS; fails the test if there is none
OURS_PIDS=""
check_ours() {
	local pid

	OURS_PIDS=$(pastas_in_host)
	[ -n "$OURS_PIDS" ] || fail "$1: no pasta or passt running in the host namespace"
	for pid in $OURS_PIDS; do
		info "$1: PID $pid argv: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
		if exe_is_ours "$pid"; then
			ok "$1: PID $pid runs our binary ($(nsenter -t "$TREE_PID" -m -r \
				readlink "/proc/$pid/exe") in the tree)"
		else
			tfail "$1: PID $pid runs $(readlink "/proc/$pid/exe"), not our $PASST"
		fi
	done
}

# busybox_image() - DIR TAR [PROG...]: a container image rootfs in DIR from
# the tree's busybox-static with its applet links, plus each PROG (a path
# in the tree) with the shared libraries ldd lists for it there, packed
# as TAR
busybox_image() {
	local d=$1 tar=$2 a p l

	shift 2
	mkdir -p "$d/bin" "$d/etc" "$d/proc" "$d/sys" "$d/dev" "$d/tmp" "$d/www"
	cp "$TREE_DIR/bin/busybox" "$d/bin/busybox"
	for a in $("$d/bin/busybox" --list); do
		[ -e "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"
	done
	for p in "$@"; do
		cp "$TREE_DIR$p" "$d/bin/"
		for l in $(tree_root ldd "$p" | grep -o '/[^ ]*'); do
			mkdir -p "$d$(dirname "$l")"
			cp -L "$TREE_DIR$l" "$d$l"
		done
	done
	tar -C "$d" -cf "$tar" .
}
