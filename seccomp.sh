#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# seccomp.sh - Build the seccomp allow-lists from the sources' annotations
#
# Usage: CC=COMPILER seccomp.sh OUTPUT SOURCE...
#
# Every system call the daemon makes once its event loop runs is listed in
# a comment next to the code that makes it:
#
#	/* syscalls: recvmmsg sendmmsg */		passt and pasta
#	/* syscalls(passt): accept4 */			passt only
#	 * syscalls(pasta): splice pipe2		in a comment block
#	/* syscalls(broker): recvmsg sendmsg */	pasta's namespace broker
#
# The annotation starts a comment line ("/*" or " *" in front of it), the
# names are the kernel's (__NR_name), separated by blanks, up to the end of
# the line or of the comment. "a|b" takes the first of a and b that this
# architecture has (epoll_wait|epoll_pwait: aarch64 has only the latter).
# An unknown name or list, or a name no alternative of which exists, fails
# the build with the file and line.
#
# OUTPUT is a header for seccomp.c: per list (passt, pasta, broker), the
# count, the sorted list of numbers (for tests) and a BPF binary search
# over them that ends in SECCOMP_RET_ALLOW or SECCOMP_DENY (seccomp.c
# defines it); and the names of every system call of the architecture,
# for the debug build's message. The numbers come from <sys/syscall.h> as
# the compiler CC sees it: the target's, also when cross-compiling.
#
# Needs only a POSIX shell, awk (mawk will do), sort and the C compiler.

set -eu

if [ "$#" -lt 2 ]; then
	echo "Usage: CC=COMPILER $0 OUTPUT SOURCE..." >&2
	exit 2
fi
out=$1
shift
cc=${CC:-cc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/seccomp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Annotations, one line per name: FILE LINE MODE NAME[|NAME...]
awk '
/^[ \t]*(\/\*|\*)[ \t]*syscalls(\([a-z]*\))?:/ {
	mode = "both"
	if ($0 ~ /syscalls\(/) {
		mode = $0
		sub(/^[^(]*\(/, "", mode)
		sub(/\).*$/, "", mode)
		if (mode != "passt" && mode != "pasta" && mode != "broker") {
			printf "%s:%d: no such list: \"%s\"\n",
			       FILENAME, FNR, mode > "/dev/stderr"
			bad = 1
			next
		}
	}
	line = $0
	sub(/^[^:]*:/, "", line)
	sub(/\*\/.*$/, "", line)
	n = split(line, w, /[ \t]+/)
	for (i = 1; i <= n; i++) {
		if (w[i] == "")
			continue
		if (w[i] !~ /^[a-z0-9_]+(\|[a-z0-9_]+)*$/) {
			printf "%s:%d: not a system call name: \"%s\"\n",
			       FILENAME, FNR, w[i] > "/dev/stderr"
			bad = 1
			continue
		}
		print FILENAME, FNR, mode, w[i]
	}
}
END { exit bad }
' "$@" > "$tmp/annotations"

# What the compiler makes of __NR_name for each name mentioned: "@@ name
# VALUE", VALUE a number, a sum like (0x40000000 + 0), or __NR_name itself
# if the architecture has no such call
{
	echo '#include <sys/syscall.h>'
	awk '{ n = split($4, alt, "|"); for (i = 1; i <= n; i++)
	       print alt[i] }' "$tmp/annotations" | sort -u |
		awk '{ print "@@ " $1 " __NR_" $1 }'
} > "$tmp/numbers.c"
$cc -E -P -x c "$tmp/numbers.c" > "$tmp/numbers.i"
grep '^@@ ' "$tmp/numbers.i" > "$tmp/numbers" || true

# Every name the architecture has, for the debug build's message
printf '#include <sys/syscall.h>\n' |
	$cc -E -dM -x c - |
	awk '$1 == "#define" && $2 ~ /^__NR_[a-z0-9_]+$/ {
		print substr($2, 6) }' | sort -u > "$tmp/all"

awk -v out="$out" -v numbers="$tmp/numbers" -v all="$tmp/all" '
# num() - Value of a constant expression made of sums of integer literals
function num(s,		t, n, i, j, v, d, x) {
	gsub(/[() \t]/, "", s)
	n = split(s, t, "+")
	v = 0
	for (i = 1; i <= n; i++) {
		if (t[i] ~ /^0[xX][0-9a-fA-F]+[uUlL]*$/) {
			x = 0
			for (j = 3; j <= length(t[i]); j++) {
				d = index("0123456789abcdef",
					  tolower(substr(t[i], j, 1)))
				if (!d)
					break
				x = x * 16 + d - 1
			}
			v += x
		} else if (t[i] ~ /^[0-9]+[uUlL]*$/) {
			v += t[i] + 0
		} else {
			return -1
		}
	}
	return v
}

# size() - Instructions of the search over entries lo..hi of the sorted list
function size(lo, hi) {
	if (hi - lo + 1 <= LEAF)
		return hi - lo + 1
	return 1 + size(lo, mid(lo, hi) - 1) + size(mid(lo, hi), hi)
}

function mid(lo, hi) {
	return int((lo + hi + 1) / 2)
}

# emit() - Write the search over lo..hi: a comparison with the middle entry
# jumping over the lower half, or, for a few entries, one test of each
function emit(lo, hi,		i, m, jf) {
	if (hi - lo + 1 <= LEAF) {
		for (i = lo; i <= hi; i++) {
			jf = i == hi ? (total - 1 - (pc + 1)) : 0
			line("BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_" \
			     sorted[i] ", " (total - 2 - (pc + 1)) ", " jf ")")
		}
		return
	}
	m = mid(lo, hi)
	line("BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __NR_" sorted[m] ", " \
	     size(lo, m - 1) ", 0)")
	emit(lo, m - 1)
	emit(m, hi)
}

function line(s) {
	printf "\t%s,\t\\\n", s > out
	pc++
}

# program() - The list for one mode: sorted, deduplicated, and its filter
function program(mode, MODE,	name, n, i, j, tmp) {
	n = 0
	for (name in chosen) {
		if (!((mode, name) in want) &&
		    !(mode != "broker" && ("both", name) in want))
			continue
		sorted[++n] = name
	}
	# Insertion sort by number: a few dozen entries
	for (i = 2; i <= n; i++) {
		tmp = sorted[i]
		for (j = i - 1; j >= 1 && value[sorted[j]] > value[tmp]; j--)
			sorted[j + 1] = sorted[j]
		sorted[j + 1] = tmp
	}
	if (!n) {
		print "seccomp.sh: no system call listed for " mode \
		      > "/dev/stderr"
		exit 1
	}

	total = size(1, n) + 2
	if (total > 256) {
		print "seccomp.sh: " mode " filter too long for 8-bit jumps" \
		      > "/dev/stderr"
		exit 1
	}
	count[mode] = n

	printf "\n/* %s: %d system calls, sorted by number\n", mode, n > out
	for (i = 1; i <= n; i++)
		printf " *   %-18s %4d  %s\n", sorted[i], value[sorted[i]],
		       where[sorted[i], mode] > out
	printf " */\n#define SECCOMP_%s_COUNT\t%d\n\n", MODE, n > out

	printf "#define SECCOMP_%s_CALLS\t\\\n", MODE > out
	for (i = 1; i <= n; i++)
		printf "\t__NR_%s,\t\\\n", sorted[i] > out
	printf "\n" > out

	printf "/* Binary search, then allow (at %d) or deny (at %d) */\n",
	       total - 2, total - 1 > out
	printf "#define SECCOMP_%s_SEARCH\t\\\n", MODE > out
	pc = 0
	emit(1, n)
	line("BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)")
	line("BPF_STMT(BPF_RET | BPF_K, SECCOMP_DENY)")
	printf "\n" > out
	split("", sorted)
}

BEGIN {
	LEAF = 3
	while ((getline l < numbers) > 0) {
		split(l, f, " ")
		v = l
		sub(/^@@ [^ ]+ /, "", v)
		if (v ~ /__NR_/)
			continue	# Not on this architecture
		value[f[2]] = num(v)
		if (value[f[2]] < 0) {
			print "seccomp.sh: can'\''t evaluate __NR_" f[2] \
			      " = " v > "/dev/stderr"
			exit 1
		}
	}
}

{
	file = $1; ln = $2; mode = $3
	n = split($4, alt, "|")
	name = ""
	for (i = 1; i <= n; i++) {
		if (alt[i] in value) {
			name = alt[i]
			break
		}
	}
	if (name == "") {
		printf "%s:%d: unknown system call: %s\n", file, ln, $4 \
		       > "/dev/stderr"
		bad = 1
		next
	}
	chosen[name] = 1
	want[mode, name] = 1
	for (m = 1; m <= 3; m++) {
		md = m == 1 ? "passt" : m == 2 ? "pasta" : "broker"
		if (mode != md && !(mode == "both" && md != "broker"))
			continue
		if (index(" " where[name, md] " ", " " file ":" ln " "))
			continue
		where[name, md] = where[name, md] (where[name, md] ? " " : "") \
				  file ":" ln
	}
}

END {
	if (bad)
		exit 1
	printf "/* Generated by seccomp.sh from the \"syscalls:\" " \
	       "annotations: do not edit */\n" > out
	printf "#ifndef SECCOMP_FILTER_H\n#define SECCOMP_FILTER_H\n" > out
	program("passt", "PASST")
	program("pasta", "PASTA")
	program("broker", "BROKER")

	printf "/* Every system call of the architecture, by name */\n" > out
	printf "#define SECCOMP_NAMES\t\\\n" > out
	while ((getline l < all) > 0)
		printf "\t{ __NR_%s, \"%s\" },\t\\\n", l, l > out
	printf "\n#endif /* SECCOMP_FILTER_H */\n" > out

	printf "seccomp: passt %d system calls, pasta %d, broker %d\n",
	       count["passt"], count["pasta"], count["broker"]
}
' "$tmp/annotations"
