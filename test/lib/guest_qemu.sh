# shellcheck shell=bash
# shellcheck disable=SC2012 # ls | sort -V: kernel versions, not any names
# shellcheck disable=SC2034 # GUEST_RC, GUEST_SECONDS are for the tests
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test/lib/guest_qemu.sh - boot a real qemu guest on passt's UNIX socket
#
# The guest is the Debian kernel from /boot with a busybox initramfs: its
# /init (test/guest/init) mounts proc, sys and dev, loads the virtio
# modules listed in test/guest/modules, brings up lo and eth0, runs a test
# script, reports on the serial console and powers off.  No KVM here:
# qemu runs with -accel tcg -cpu max, which boots in a few seconds.
#
# Usage (after assert.sh and topo.sh; passt runs in the host namespace,
# qemu only needs the socket so it runs wherever the test runs):
#
#	. test/lib/guest_qemu.sh
#	guest_build_initramfs "$TOPO_TMP/guest.cpio.gz" my_guest_script.sh
#	guest_run "$sock" "$TOPO_TMP/guest.cpio.gz" "$TOPO_TMP/guest.log" 60
#	ip=$(guest_result "$TOPO_TMP/guest.log" dhcp_ip)
#
# The test script is a busybox sh script, run as /test.sh after the
# network devices are up.  It should start with
#	. /lib/guest/lib.sh
# which gives it: result KEY VALUE... (prints "GUEST-RESULT KEY=VALUE"),
# guest_error TEXT, run LABEL CMD... (runs CMD, echoes its output as
# "GUEST-OUT LABEL: ...", reports LABEL_rc), wait_for SECONDS CMD... and
# guest_uptime.  /lib/guest/udhcpc.script is a udhcpc -s script that
# reports the lease as dhcp_ip, dhcp_mask, dhcp_router, dhcp_dns,
# dhcp_mtu, ... and configures it.  After the script /init prints
# "GUEST-DONE rc=N" and runs poweroff -f.
#
# Functions:
#	guest_build_initramfs OUT [SCRIPT]	build OUT (gzip'd cpio)
#	guest_start SOCKET INITRAMFS LOG	start qemu, set GUEST_PID
#	guest_wait LOG [TIMEOUT_S]		wait for qemu to exit
#	guest_run SOCKET INITRAMFS LOG [TIMEOUT_S]   both of the above
#	guest_result LOG KEY			print the value of KEY
#	guest_results LOG			print every KEY=VALUE
#	guest_done_rc LOG			print N of "GUEST-DONE rc=N"
#	guest_show_log LOG			print LOG, indented, for the test log
#
# guest_wait and guest_run return 0 once qemu exited and the guest printed
# GUEST-DONE, 124 if qemu had to be killed (by PID) after TIMEOUT_S, 1
# otherwise; they set GUEST_RC (qemu's exit status) and GUEST_SECONDS.
# The machine is q35, 1 vCPU, virtio-net-pci with GUEST_MAC on
# -netdev stream (qemu >= 7.2).
#
# Environment:
#	GUEST_KERNEL	kernel image (default: /boot/vmlinuz-VER for the
#			newest VER that also has /lib/modules/VER)
#	GUEST_KVER	module version directory (default: from GUEST_KERNEL)
#	GUEST_MAC	guest MAC address (default 52:54:00:12:34:56)
#	GUEST_MEM	guest memory, MiB (default 256)
#	GUEST_APPEND	extra kernel command line; parameters without a
#			dot reach /init and the script as environment
#	GUEST_TIMEOUT	default timeout of guest_wait/guest_run (60 s)
#	GUEST_PVH	1 (default): boot the uncompressed vmlinux, extracted
#			from GUEST_KERNEL, through its PVH entry point; this
#			skips firmware and in-guest decompression, which take
#			about 4 s under TCG.  0: boot GUEST_KERNEL as it is
#	GUEST_CACHE_DIR	where the base initramfs and the vmlinux are
#			cached, keyed by the hash of their content (default
#			${TMPDIR:-/tmp}/passt-guest-cache); "" to disable
#	QEMU		qemu binary (default qemu-system-x86_64)
#	GUEST_NETDEV	more -netdev stream options, e.g. reconnect-ms=500

GUEST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST_DIR=$(cd "$GUEST_LIB_DIR/../guest" && pwd)
GUEST_MAC=${GUEST_MAC:-52:54:00:12:34:56}
GUEST_MEM=${GUEST_MEM:-256}
GUEST_APPEND=${GUEST_APPEND:-}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-60}
GUEST_CACHE_DIR=${GUEST_CACHE_DIR-${TMPDIR:-/tmp}/passt-guest-cache}
QEMU=${QEMU:-qemu-system-x86_64}
GUEST_BUSYBOX=${GUEST_BUSYBOX:-}
GUEST_KERNEL=${GUEST_KERNEL:-}
GUEST_KVER=${GUEST_KVER:-}
GUEST_PID=""

GUEST_PVH=${GUEST_PVH:-1}
GUEST_BOOT_IMAGE=""

# Bump when the layout of the base initramfs changes
GUEST_FORMAT=1

# guest_msg() - Print a progress line to stderr (stdout may be captured)
guest_msg() {
	printf '# guest: %s\n' "$*" >&2
}

# guest_kernel() - Set GUEST_KERNEL and GUEST_KVER, fail if none usable
guest_kernel() {
	local k v best=""

	if [ -z "${GUEST_KERNEL:-}" ]; then
		# Newest /boot/vmlinuz-VER with a matching /lib/modules/VER
		for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V); do
			v=${k#/boot/vmlinuz-}
			[ -d "/lib/modules/$v" ] && best=$k
		done
		if [ -z "$best" ]; then
			# Any kernel image, then any module directory
			best=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
		fi
		GUEST_KERNEL=$best
	fi
	if [ -z "$GUEST_KERNEL" ] || [ ! -r "$GUEST_KERNEL" ]; then
		echo "guest_kernel: no readable kernel image (/boot/vmlinuz-*;" \
		     "install linux-image-amd64 or set GUEST_KERNEL)" >&2
		return 1
	fi
	if [ -z "${GUEST_KVER:-}" ]; then
		v=${GUEST_KERNEL##*/vmlinuz-}
		if [ -d "/lib/modules/$v" ]; then
			GUEST_KVER=$v
		else
			GUEST_KVER=$(ls -1 /lib/modules 2>/dev/null | sort -V | tail -n 1)
			echo "guest_kernel: warning: no /lib/modules/$v," \
			     "using modules of $GUEST_KVER" >&2
		fi
	fi
	if [ ! -d "/lib/modules/$GUEST_KVER" ]; then
		echo "guest_kernel: no /lib/modules/$GUEST_KVER" >&2
		return 1
	fi
}

# guest_busybox() - Set GUEST_BUSYBOX to a statically linked busybox
guest_busybox() {
	local b

	[ -n "$GUEST_BUSYBOX" ] && return 0
	for b in /bin/busybox /usr/bin/busybox /usr/lib/busybox-static/busybox; do
		[ -x "$b" ] || continue
		# A dynamically linked one has a program interpreter
		if command -v readelf >/dev/null &&
		   LC_ALL=C readelf -l "$b" 2>/dev/null | grep -q 'interpreter'; then
			continue
		fi
		GUEST_BUSYBOX=$b
		return 0
	done
	echo "guest_busybox: no statically linked busybox (install busybox-static)" >&2
	return 1
}

# guest_module_path() - NAME: print the path of module NAME for GUEST_KVER,
# nothing if it is built in, fail if it is missing
guest_module_path() {
	local name=$1 dir="/lib/modules/$GUEST_KVER" alt rel

	alt=$(printf '%s' "$name" | tr '_' '-')
	if [ -r "$dir/modules.builtin" ] &&
	   grep -qE "/($name|$alt)\.ko\$" "$dir/modules.builtin"; then
		return 0
	fi
	rel=""
	if [ -r "$dir/modules.dep" ]; then
		rel=$(sed -n 's/:.*//p' "$dir/modules.dep" |
		      grep -E "(^|/)($name|$alt)\.ko(\.xz|\.zst|\.gz)?\$" | head -n 1)
	fi
	if [ -n "$rel" ] && [ -r "$dir/$rel" ]; then
		printf '%s\n' "$dir/$rel"
		return 0
	fi
	rel=$(find "$dir" \( -name "$name.ko*" -o -name "$alt.ko*" \) 2>/dev/null | head -n 1)
	if [ -n "$rel" ]; then
		printf '%s\n' "$rel"
		return 0
	fi
	echo "guest_module_path: module $name not found under $dir" >&2
	return 1
}

# guest_module_names() - Print the module names from test/guest/modules
guest_module_names() {
	sed -e 's/#.*//' -e 's/[[:space:]]//g' "$GUEST_DIR/modules" | grep .
}

# guest_decompress() - SRC DST: copy a module, decompressed
guest_decompress() {
	case "$1" in
	*.ko.xz)
		xz -dc "$1" >"$2" 2>/dev/null || "$GUEST_BUSYBOX" xzcat "$1" >"$2" ;;
	*.ko.zst)
		zstd -qdc "$1" >"$2" ;;
	*.ko.gz)
		gzip -dc "$1" >"$2" 2>/dev/null || "$GUEST_BUSYBOX" zcat "$1" >"$2" ;;
	*)
		cp "$1" "$2" ;;
	esac
}

# guest_cpio() - DIR OUT: pack DIR into the gzip'd newc cpio OUT
guest_cpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -1 -n >"$2"
}

# guest_base_key() - Print the hash of everything in the base initramfs
guest_base_key() {
	local m p

	{
		echo "format $GUEST_FORMAT kver $GUEST_KVER"
		sha256sum "$GUEST_BUSYBOX" "$GUEST_DIR/init" "$GUEST_DIR/lib.sh" \
			  "$GUEST_DIR/udhcpc.script" "$GUEST_DIR/modules"
		for m in $(guest_module_names); do
			p=$(guest_module_path "$m") || return 1
			if [ -n "$p" ]; then
				echo "$m $(sha256sum <"$p")"
			else
				echo "$m builtin"
			fi
		done
	} | sha256sum | cut -d' ' -f1
}

# guest_build_base() - OUT: build the base initramfs (no test script)
guest_build_base() {
	local out=$1 st m p a list

	st=$(mktemp -d "${TMPDIR:-/tmp}/guest-root.XXXXXX") || return 1
	mkdir -p "$st/bin" "$st/sbin" "$st/usr/bin" "$st/usr/sbin" \
		 "$st/proc" "$st/sys" "$st/dev" "$st/tmp" "$st/run" \
		 "$st/etc/guest" "$st/lib/guest" "$st/lib/modules" \
		 "$st/usr/share/udhcpc" "$st/var/run"
	# The kernel opens /dev/console before /init runs; /init mounts
	# devtmpfs and reopens it in any case
	mknod -m 600 "$st/dev/console" c 5 1 2>/dev/null || true

	cp "$GUEST_BUSYBOX" "$st/bin/busybox"
	chmod 755 "$st/bin/busybox"
	# Applet links, as busybox --install -s would make them
	for a in $("$GUEST_BUSYBOX" --list-full); do
		[ "$a" = bin/busybox ] && continue
		[ -e "$st/$a" ] || ln -s /bin/busybox "$st/$a"
	done
	[ -e "$st/bin/sh" ] || ln -s /bin/busybox "$st/bin/sh"

	list="$st/etc/guest/modules"
	: >"$list"
	for m in $(guest_module_names); do
		if ! p=$(guest_module_path "$m"); then
			rm -rf "$st"
			return 1
		fi
		if [ -z "$p" ]; then
			echo "# $m is built into the kernel" >>"$list"
			continue
		fi
		if ! guest_decompress "$p" "$st/lib/modules/$m.ko"; then
			echo "guest_build_base: cannot decompress $p" >&2
			rm -rf "$st"
			return 1
		fi
		echo "$m" >>"$list"
	done

	install -m 755 "$GUEST_DIR/init" "$st/init"
	install -m 644 "$GUEST_DIR/lib.sh" "$st/lib/guest/lib.sh"
	install -m 755 "$GUEST_DIR/udhcpc.script" "$st/lib/guest/udhcpc.script"
	ln -s /lib/guest/udhcpc.script "$st/usr/share/udhcpc/default.script"
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$st/etc/passwd"
	printf 'root:x:0:\n' >"$st/etc/group"

	if ! guest_cpio "$st" "$out"; then
		rm -rf "$st"
		return 1
	fi
	rm -rf "$st"
}

# guest_cache_ok() - DIR: true if DIR is ours and only we can write it
guest_cache_ok() {
	local owner perm

	[ -d "$1" ] && [ ! -L "$1" ] || return 1
	owner=$(stat -c %u "$1") && perm=$(stat -c %a "$1") || return 1
	[ "$owner" = "$(id -u)" ] || return 1
	case "$perm" in
	*[2367]? | *[2367]) return 1 ;;
	esac
}

# guest_cache_dir() - Print the cache directory, or the temporary one
guest_cache_dir() {
	local dir=$GUEST_CACHE_DIR

	if [ -n "$dir" ]; then
		mkdir -p "$dir" 2>/dev/null && chmod 700 "$dir" 2>/dev/null
		if ! guest_cache_ok "$dir"; then
			guest_msg "cache $dir not private to us, not caching"
			dir=""
		else
			# Entries are touched on use: drop those unused for a week
			find "$dir" -maxdepth 1 -type f -mtime +7 -delete 2>/dev/null
		fi
	fi
	if [ -z "$dir" ]; then
		dir=${TOPO_TMP:-${TMPDIR:-/tmp}}
	fi
	printf '%s\n' "$dir"
}

# guest_base() - Print the path of the (cached) base initramfs
guest_base() {
	local key dir tmp

	guest_kernel || return 1
	guest_busybox || return 1
	key=$(guest_base_key) || return 1
	dir=$(guest_cache_dir)

	if [ -s "$dir/base-$key.cpio.gz" ]; then
		touch "$dir/base-$key.cpio.gz"
		printf '%s\n' "$dir/base-$key.cpio.gz"
		return 0
	fi
	guest_msg "building base initramfs (kernel $GUEST_KVER, busybox $GUEST_BUSYBOX)"
	tmp=$(mktemp "$dir/base-$key.XXXXXX") || return 1
	if ! guest_build_base "$tmp"; then
		rm -f "$tmp"
		return 1
	fi
	# Atomic: a concurrent build of the same key writes the same content
	mv -f "$tmp" "$dir/base-$key.cpio.gz"
	printf '%s\n' "$dir/base-$key.cpio.gz"
}

# guest_extract_vmlinux() - BZIMAGE OUT: extract the ELF vmlinux from a
# compressed kernel image; fail unless it has a PVH entry point
guest_extract_vmlinux() {
	local img=$1 out=$2 magic off dec

	# Payload compressors by magic, most likely first (Debian: xz)
	for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' \
		     'gzip:\x1f\x8b\x08' 'lzma:\x5d\x00\x00'; do
		dec=${magic%%:*}
		command -v "$dec" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "${magic#*:}" "$img" 2>/dev/null |
			     cut -d: -f1 | head -n 5); do
			case "$dec" in
			xz)   tail -c +$((off + 1)) "$img" | xz -dc --single-stream ;;
			zstd) tail -c +$((off + 1)) "$img" | zstd -qdc ;;
			gzip) tail -c +$((off + 1)) "$img" | gzip -dc ;;
			lzma) tail -c +$((off + 1)) "$img" | xz -dc --format=lzma ;;
			esac >"$out" 2>/dev/null
			if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] &&
			   guest_has_pvh "$out"; then
				return 0
			fi
		done
	done
	rm -f "$out"
	return 1
}

# guest_has_pvh() - ELF: true if ELF has a XEN_ELFNOTE_PHYS32_ENTRY note
guest_has_pvh() {
	command -v readelf >/dev/null || return 1
	LC_ALL=C readelf -n "$1" 2>/dev/null |
		grep -Eq '^[[:space:]]*Xen[[:space:]].*(0x00000012|PHYS32_ENTRY)'
}

# guest_boot_image() - Set GUEST_BOOT_IMAGE: the (cached) PVH vmlinux
# extracted from GUEST_KERNEL or, failing that, GUEST_KERNEL itself
guest_boot_image() {
	local key dir tmp

	guest_kernel || return 1
	GUEST_BOOT_IMAGE=$GUEST_KERNEL
	[ "$GUEST_PVH" = 1 ] || return 0

	key=$({ echo "vmlinux $GUEST_FORMAT"; sha256sum <"$GUEST_KERNEL"; } |
	      sha256sum | cut -d' ' -f1)
	dir=$(guest_cache_dir)
	if [ -s "$dir/vmlinux-$key" ]; then
		touch "$dir/vmlinux-$key"
		GUEST_BOOT_IMAGE="$dir/vmlinux-$key"
		return 0
	fi
	if [ -e "$dir/vmlinux-$key.none" ]; then
		return 0
	fi
	tmp=$(mktemp "$dir/vmlinux-$key.XXXXXX") || return 0
	if guest_extract_vmlinux "$GUEST_KERNEL" "$tmp"; then
		mv -f "$tmp" "$dir/vmlinux-$key"
		GUEST_BOOT_IMAGE="$dir/vmlinux-$key"
	else
		guest_msg "no PVH vmlinux in $GUEST_KERNEL, booting it as it is"
		rm -f "$tmp"
		: >"$dir/vmlinux-$key.none"
	fi
}

# guest_build_initramfs() - OUT [SCRIPT]: build the initramfs OUT for a
# guest that runs SCRIPT (a busybox sh script) as /test.sh
#
# OUT is the cached base archive followed by a small archive holding the
# script: the kernel unpacks concatenated cpio archives in order.
guest_build_initramfs() {
	local out=$1 script=${2:-} base st

	# Here, not only in the $(...) below: the caller sees GUEST_KVER
	guest_kernel || return 1
	guest_busybox || return 1
	base=$(guest_base) || return 1
	if [ -z "$script" ]; then
		cp "$base" "$out"
		return
	fi
	if [ ! -r "$script" ]; then
		echo "guest_build_initramfs: cannot read $script" >&2
		return 1
	fi
	st=$(mktemp -d "${TMPDIR:-/tmp}/guest-script.XXXXXX") || return 1
	install -m 755 "$script" "$st/test.sh"
	if ! guest_cpio "$st" "$st.cpio.gz"; then
		rm -rf "$st" "$st.cpio.gz"
		return 1
	fi
	cat "$base" "$st.cpio.gz" >"$out"
	rm -rf "$st" "$st.cpio.gz"
}

# guest_start() - SOCKET INITRAMFS LOG: boot the guest in the background,
# its network device connected to passt's UNIX socket SOCKET
#
# Serial console and qemu's own messages go to LOG.  Sets GUEST_PID and,
# with topo.sh, registers it for clean-up.
guest_start() {
	local sock=$1 initrd=$2 log=$3

	guest_boot_image || return 1
	GUEST_START_TIME=$(date +%s.%N)
	"$QEMU" -name passt-test-guest -machine q35 \
		-accel tcg -cpu max -smp 1 -m "$GUEST_MEM" \
		-nodefaults -no-user-config -display none -monitor none \
		-serial stdio -no-reboot \
		-kernel "$GUEST_BOOT_IMAGE" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 $GUEST_APPEND" \
		-netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$sock${GUEST_NETDEV:+,$GUEST_NETDEV}" \
		-device "virtio-net-pci,netdev=n0,mac=$GUEST_MAC,romfile=" \
		</dev/null >"$log" 2>&1 &
	GUEST_PID=$!
	if declare -F topo_track_pid >/dev/null; then
		topo_track_pid "$GUEST_PID"
	fi
}

# guest_wait() - LOG [TIMEOUT_S]: wait for the guest started last to exit
#
# Returns 0 if qemu exited and the guest printed GUEST-DONE, 124 if it had
# to be killed after TIMEOUT_S, 1 otherwise.  Sets GUEST_RC (qemu's exit
# status) and GUEST_SECONDS (time from guest_start to exit).
GUEST_RC=""
GUEST_SECONDS=""
guest_wait() {
	local log=$1 timeout=${2:-$GUEST_TIMEOUT} tries end

	tries=$((timeout * 10))
	# pid_alive() reads /proc/PID/stat once: "kill -0, then look for a
	# zombie" raced with bash reaping qemu in between, which looked like
	# a guest that never powered off
	while [ "$tries" -gt 0 ] && pid_alive "$GUEST_PID"; do
		sleep 0.1
		tries=$((tries - 1))
	done
	if pid_alive "$GUEST_PID"; then
		guest_msg "qemu (PID $GUEST_PID) still running after $timeout s, killing it"
		kill -TERM "$GUEST_PID" 2>/dev/null
		tries=20
		while [ "$tries" -gt 0 ] && pid_alive "$GUEST_PID"; do
			sleep 0.1
			tries=$((tries - 1))
		done
		kill -KILL "$GUEST_PID" 2>/dev/null
		wait "$GUEST_PID" 2>/dev/null
		GUEST_RC=124
		return 124
	fi
	GUEST_RC=0
	wait "$GUEST_PID" 2>/dev/null || GUEST_RC=$?
	end=$(date +%s.%N)
	GUEST_SECONDS=$(awk -v a="$GUEST_START_TIME" -v b="$end" \
		'BEGIN { printf "%.1f", b - a }')
	if [ -n "$(guest_done_rc "$log")" ]; then
		return 0
	fi
	return 1
}

# guest_run() - SOCKET INITRAMFS LOG [TIMEOUT_S]: boot the guest, wait
# until it powers off (or kill it after TIMEOUT_S); see guest_wait()
guest_run() {
	guest_start "$1" "$2" "$3" || return 1
	guest_wait "$3" "${4:-$GUEST_TIMEOUT}"
}

# guest_results() - LOG: print every KEY=VALUE the guest reported
guest_results() {
	tr -d '\r' <"$1" | sed -n 's/^GUEST-RESULT //p'
}

# guest_result() - LOG KEY: print the value the guest last reported for
# KEY, fail if it reported none
guest_result() {
	guest_results "$1" | awk -v k="$2" '
		index($0, k "=") == 1 { v = substr($0, length(k) + 2); f = 1 }
		END { if (f) print v; exit !f }'
}

# guest_done_rc() - LOG: print the exit status of the guest's test script
guest_done_rc() {
	tr -d '\r' <"$1" | sed -n 's/^GUEST-DONE rc=//p' | tail -n 1
}

# guest_show_log() - LOG: print the guest's console output, indented
guest_show_log() {
	tr -d '\r' <"$1" | sed 's/^/#   guest: /'
}

# r() - LOG KEY: the guest's result for KEY, empty if none (for $(...) in
# assertions, which then say what was missing)
r() {
	guest_result "$1" "$2" || true
}

# guest_said() - LOG KEY=VALUE: true if the guest printed that result
guest_said() {
	[ -e "$1" ] && tr -d '\r' <"$1" | grep -qxF "GUEST-RESULT $2"
}

# guest_wait_result() - LOG KEY=VALUE TIMEOUT_S: wait for a result while
# qemu runs
guest_wait_result() {
	local log=$1 kv=$2 tries=$(($3 * 10))

	while [ "$tries" -gt 0 ]; do
		guest_said "$log" "$kv" && return 0
		pid_alive "$GUEST_PID" || break
		sleep 0.1
		tries=$((tries - 1))
	done
	guest_said "$log" "$kv"
}

# eui64_addr() - MAC: the SLAAC address in 2001:db8::/64 for MAC, /64
eui64_addr() {
	local IFS=: b

	# shellcheck disable=SC2086 # split on IFS
	set -- $1
	b=$((0x$1 ^ 2))
	printf '2001:db8::%x:%x:%x:%x/64\n' $(((b << 8) | 0x$2)) \
		$(((0x$3 << 8) | 0xff)) $((0xfe00 | 0x$4)) $(((0x$5 << 8) | 0x$6))
}

# guest_tests_start() - SCRIPT: what a guest test needs besides test_start:
# qemu, the initramfs, and ICMP echo sockets for every group in the host namespace (passt,
# possibly as nobody, relays the guest's pings through them, and a fresh
# namespace doesn't allow them: a distribution does, in systemd's
# 50-default.conf)
#
# SCRIPT: the guest's test script, in GUEST_INITRD ($TOPO_TMP/guest.cpio.gz)
GUEST_INITRD=""
guest_tests_start() {
	command -v "$QEMU" >/dev/null ||
		fail "$QEMU not found (install qemu-system-x86)"
	in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"
	GUEST_INITRD="$TOPO_TMP/guest.cpio.gz"
	guest_build_initramfs "$GUEST_INITRD" "$1" ||
		fail "cannot build the guest initramfs"
}

# tcp_open() - ADDR PORT: true if a TCP connection in the host ns succeeds
tcp_open() {
	in_host bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# guest_http_server() - PORT SIZE: a python http.server on the host
# namespace's 127.0.0.1:PORT serving dl.bin, SIZE random bytes, from
# $TOPO_TMP/www; sets DL_SHA to its SHA-256
DL_SHA=""
guest_http_server() {
	mkdir -p "$TOPO_TMP/www"
	head -c "$2" /dev/urandom >"$TOPO_TMP/www/dl.bin"
	chmod -R a+rX "$TOPO_TMP/www"
	DL_SHA=$(sha256sum <"$TOPO_TMP/www/dl.bin" | cut -d' ' -f1)
	bg_host "$TOPO_TMP/http.log" "$PYTHON" -m http.server \
		--bind 127.0.0.1 --directory "$TOPO_TMP/www" "$1"
	wait_until 10 tcp_open 127.0.0.1 "$1" || fail "http.server did not start"
}

# guest_finish() - LOG LABEL PASST_LOG [TIMEOUT_S]: wait (default 180 s)
# for the guest started last to run its script and power off, print its
# console; fail the test if it doesn't (with passt's log), or if qemu's
# exit status isn't 0
guest_finish() {
	local timeout=${4:-180} rc=0

	guest_wait "$1" "$timeout" || rc=$?
	info "$2: guest console:"
	guest_show_log "$1"
	if [ "$rc" != 0 ]; then
		show_log "$3" "passt log" all
		[ "$rc" = 124 ] &&
			fail "$2: guest did not power off within $timeout s"
		fail "$2: guest did not finish its script (status $rc," \
		     "qemu status $GUEST_RC)"
	fi
	ok "$2: guest powered off after $GUEST_SECONDS s"
	assert_eq "$GUEST_RC" 0 "$2: qemu exit status"
}

# guest_check_lease() - LOG LABEL: the guest's udhcpc got passt's default
# lease (the host's address, /24, the gateway as router, the host's name
# server, MTU 65520), and three echo replies from the gateway
guest_check_lease() {
	local g=$1 l=$2

	soft assert_eq "$(r "$g" udhcpc_rc)" 0 "$l: udhcpc exit status"
	soft assert_eq "$(r "$g" dhcp_ip)" "$HOST_IP4" "$l: DHCP address"
	soft assert_eq "$(r "$g" dhcp_mask)" 24 "$l: DHCP prefix length"
	soft assert_eq "$(r "$g" dhcp_router)" "$GW_IP4" "$l: DHCP router"
	soft assert_token "$(r "$g" dhcp_dns)" "$REMOTE_IP4" "$l: DHCP DNS server"
	soft assert_eq "$(r "$g" dhcp_mtu)" 65520 "$l: DHCP MTU"
	soft assert_eq "$(r "$g" ping4_received)" 3 "$l: ping replies from $GW_IP4"
}
