#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# podman.sh - pasta started the way podman starts it for a container, with
# podman's exact options:
#
#   pasta --config-net -t 8080-8080:80-80 --dns-forward 169.254.1.1
#         -u none -T none -U none --no-map-gw --quiet
#         --netns PATH --map-guest-addr 169.254.1.2
#
# Podman runs it with Go's CombinedOutput() (standard output and error on
# one pipe; it waits for pasta to exit and for the pipe to close: pasta
# goes to the background once the network is ready), reads the addresses
# in the namespace at once, and expects pasta to exit by itself once the
# namespace file is removed (podman unmounts it with MNT_DETACH, then
# deletes it).  clients_srv.py combined runs pasta the same way.
#
#   1. as root, --netns /run/netns/NAME of a namespace from ip netns add
#   2. as root, containers.conf options first (-I eth0 --mtu 1500) and a
#      published port with a host address, -t 127.0.0.1/8080-8080:80-80,
#      --netns NAME
#   3. rootless, as nobody, like rootless podman: a user + mount namespace
#      (unshare --user --map-root-user --mount), a network namespace
#      persisted by a bind mount on a file in a directory of nobody's,
#      pasta started from within the user namespace; ends by unmounting
#      and removing the file
#   4. rootless, podman's shared "rootless-netns": -t none and --pid FILE,
#      stopped with SIGTERM; the PID file is removed
#
# Each time: pasta returns 0 and prints nothing (--quiet); at once, eth0
# has the host's addresses and default routes (MTU 65520, or --mtu); the
# host's 127.0.0.1:8080 reaches a web server on port 80 inside (SHA-256 of
# a download); DNS to 169.254.1.1 inside is answered by the host's
# resolver (a DNS server on 203.0.113.1 in the router namespace, the host
# namespace's first nameserver), from 169.254.1.1; TCP to 203.0.113.1
# leaves from the host's address; 169.254.1.2 reaches a server bound to the
# host's own 198.51.100.2; with --no-map-gw, 198.51.100.1 is the real
# router, not the host's loopback; -T none: the host's loopback ports are
# not reachable from inside.  An unknown option fails with status 1, one
# line, nothing set up.
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest.sh"

DNS_NAME=ctr.example
DNS_ANSWER=192.0.2.53

test_start
topo_unpriv_bin

# --- servers around the container -------------------------------------------

remote_servers "$DNS_NAME" "$DNS_ANSWER"
srv_start "$ROUTER_NS" rgw banner --bind "$GW_IP4" --port 7071 \
	--text hello-from-router
srv_start "$HOST_NS" hlo banner --bind 127.0.0.1 --port 7071 \
	--text hello-from-host-loopback
srv_start "$HOST_NS" hown banner --bind "$HOST_IP4" --port 7072 \
	--text hello-from-host-address
srv_start "$HOST_NS" hlo3 banner --bind 127.0.0.1 --port 7073 \
	--text host-loopback-7073
ok "servers: DNS $REMOTE_IP4:53 ($DNS_NAME -> $DNS_ANSWER), banners on" \
   "$REMOTE_IP4:7070, $GW_IP4:7071 (router), 127.0.0.1:7071 and :7073," \
   "$HOST_IP4:7072 (host ns)"

mkdir -p "$TOPO_TMP/www"
head -c 524288 /dev/urandom >"$TOPO_TMP/www/dl.bin"
chmod -R a+rX "$TOPO_TMP/www"
DL_SHA=$(sha256sum <"$TOPO_TMP/www/dl.bin" | cut -d' ' -f1)

# --- helpers ------------------------------------------------------------------

# CTR: command prefix that runs something inside the container's netns
CTR=()

# pasta_pid_for() - NEEDLE: PID of the pasta in the host ns whose command
# line contains NEEDLE (the namespace path or name)
pasta_pid_for() {
	local pid exe

	for pid in $(ip netns pids "$HOST_NS"); do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
		[ "${exe##*/}" = passt ] || continue
		if tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$1"; then
			printf '%s\n' "$pid"
			return 0
		fi
	done
	return 1
}

# run_pasta() - RUNNER...: run pasta as podman does (Go's CombinedOutput:
# one pipe for standard output and error, wait for exit and end of file)
run_pasta() {
	capture "$@"
}

# check_started() - LABEL: pasta's exit status and silence (CAP_OUT of
# clients_srv.py combined)
check_started() {
	show_capture
	soft assert_contains "$CAP_OUT" "combined eof yes" \
		"$1: pasta returned and nothing it left running holds podman's output pipe"
	assert_line "$CAP_OUT" "combined rc 0" "$1: pasta returned 0 with the network ready"
	soft assert_eq "$(printf '%s\n' "$CAP_OUT" | grep '^out: ' || true)" "" \
		"$1: --quiet: nothing printed"
}

# check_config() - LABEL MTU: addresses and routes, read right after return
check_config() {
	local l=$1 mtu=$2 d

	d=$(netinfo_dir "$3")
	netinfo_dump "$d" "${CTR[@]}" || fail "$l: cannot read the namespace's configuration"
	netinfo_load "$d" "$l"
	check_link eth0 "$mtu" "$l"
	assert_line "$NI_ADDR" "addr eth0 inet $HOST_IP4/24" "$l: IPv4 address"
	assert_line "$NI_ADDR" "addr eth0 inet6 $HOST_IP6/64" "$l: IPv6 address"
	assert_line "$NI_ROUTE4" "route default via $GW_IP4 dev eth0" "$l: IPv4 default route"
	assert_line "$NI_ROUTE6" "route default via $GW_IP6 dev eth0" "$l: IPv6 default route"
	CONFIG_SHOWN+="$l:"$'\n'"$(printf '%s\n%s\n%s\n' "$NI_ADDR" "$NI_ROUTE4" "$NI_ROUTE6" |
		grep -E '^(addr eth0 inet6? |route|link eth0 mtu)' | sed 's/^/  /')"$'\n'
}
CONFIG_SHOWN=""

# start_web() - LABEL: a web server on port 80 inside; sets WEB_PID
WEB_PID=""
start_web() {
	rm -f "$TOPO_TMP/web.ready"
	bg_run "$TOPO_TMP/web-$1.log" "${CTR[@]}" "$PYTHON" -m http.server \
		--bind 0.0.0.0 --directory "$TOPO_TMP/www" 80
	WEB_PID=$BG_PID
	wait_until 10 "${CTR[@]}" bash -c 'exec 3<>/dev/tcp/127.0.0.1/80' 2>/dev/null ||
		fail "$1: web server in the container did not start"
}

# check_services() - LABEL: published port, DNS, outbound, map-guest-addr,
# --no-map-gw, -T none
check_services() {
	local l=$1

	capture in_host timeout 20 "$PYTHON" "$SRV" httpget --url http://127.0.0.1:8080/dl.bin
	show_capture
	soft assert_line "$CAP_OUT" "httpget 524288 $DL_SHA" \
		"$l: host 127.0.0.1:8080 -> port 80 inside (download SHA-256)"

	capture "${CTR[@]}" timeout 20 "$PYTHON" "$SRV" dnsq --server 169.254.1.1 --name "$DNS_NAME"
	show_capture
	soft assert_line "$CAP_OUT" "dnsq answer $DNS_ANSWER" "$l: DNS via 169.254.1.1 answered by the host's resolver"
	soft assert_contains "$CAP_OUT" "dnsq from 169.254.1.1:53 " "$l: DNS answer comes from 169.254.1.1:53"
	soft assert_contains "$(grep "^dns $DNS_NAME " "$TOPO_TMP/dns.log" | tail -n 1)" " $HOST_IP4:" \
		"$l: the resolver got the query from the host's address"

	capture "${CTR[@]}" timeout 20 "$PYTHON" "$SRV" get --connect "$REMOTE_IP4:7070"
	show_capture
	soft assert_contains "$CAP_OUT" "hello-from-remote peer=$HOST_IP4:" \
		"$l: outbound TCP to $REMOTE_IP4 leaves from the host's address"

	capture "${CTR[@]}" timeout 20 "$PYTHON" "$SRV" get --connect 169.254.1.2:7072
	show_capture
	soft assert_contains "$CAP_OUT" "hello-from-host-address" \
		"$l: --map-guest-addr 169.254.1.2 reaches the host's own $HOST_IP4"

	capture "${CTR[@]}" timeout 20 "$PYTHON" "$SRV" get --connect "$GW_IP4:7071"
	show_capture
	soft assert_contains "$CAP_OUT" "hello-from-router" \
		"$l: --no-map-gw: $GW_IP4 is the router, not the host's loopback"

	capture "${CTR[@]}" timeout 20 "$PYTHON" "$SRV" get --connect 127.0.0.1:7073 --timeout 3
	show_capture
	soft assert_ne "$CAP_RC" 0 "$l: -T none: the host's 127.0.0.1:7073 is not reachable from inside"
	soft assert_not_contains "$CAP_OUT" "host-loopback-7073" "$l: -T none: nothing from the host's loopback"
}

PODMAN_TAIL=(--dns-forward 169.254.1.1 -u none -T none -U none --no-map-gw --quiet)

# --- 1. root, --netns /run/netns/NAME ----------------------------------------

ns=$(topo_netns_name ctr1)
topo_netns_add "$ns"
CTR=(ip netns exec "$ns")
run_pasta in_host "$PYTHON" "$SRV" combined -- "$PASTA" --config-net -t 8080-8080:80-80 "${PODMAN_TAIL[@]}" \
	--netns "/run/netns/$ns" --map-guest-addr 169.254.1.2
check_started "root"
check_config "root" 65520 root
ppid=$(pasta_pid_for "/run/netns/$ns") || fail "root: no pasta running for /run/netns/$ns"
topo_track_pid "$ppid"
ok "root: pasta runs in the background (PID $ppid)"
start_web root
check_services root
topo_kill_pid "$WEB_PID"
ip netns del "$ns"
info "deleted netns $ns"
expect_quit "$ppid" "root, after ip netns del"

# --- 2. root, containers.conf options first, -t ADDR/..., --netns NAME -----

ns=$(topo_netns_name ctr2)
topo_netns_add "$ns"
CTR=(ip netns exec "$ns")
run_pasta in_host "$PYTHON" "$SRV" combined -- "$PASTA" -I eth0 --mtu 1500 --config-net \
	-t 127.0.0.1/8080-8080:80-80 "${PODMAN_TAIL[@]}" --netns "$ns" \
	--map-guest-addr 169.254.1.2
check_started "root, -t 127.0.0.1/..."
check_config "root, -t 127.0.0.1/..." 1500 root2
ppid=$(pasta_pid_for "$ns") || fail "root 2: no pasta running for $ns"
topo_track_pid "$ppid"
start_web root2
check_services "root, -t 127.0.0.1/..."
capture in_host timeout 5 "$PYTHON" "$SRV" httpget --url "http://$HOST_IP4:8080/dl.bin" --timeout 3
show_capture
soft assert_ne "$CAP_RC" 0 "-t 127.0.0.1/8080...: port 8080 on $HOST_IP4 is not published"
topo_kill_pid "$WEB_PID"
ip netns del "$ns"
expect_quit "$ppid" "root 2, after ip netns del"

# Unknown option: status 1, one line, nothing set up
ns=$(topo_netns_name ctr3)
topo_netns_add "$ns"
run_pasta in_host "$PYTHON" "$SRV" combined -- "$PASTA" --config-net --no-such-option \
	-t 8080-8080:80-80 "${PODMAN_TAIL[@]}" --netns "$ns" --map-guest-addr 169.254.1.2
show_capture
assert_eq "$CAP_RC" 1 "unknown option: exit status"
msg=$(printf '%s\n' "$CAP_OUT" | grep '^out: ' || true)
assert_eq "$(line_count "$msg")" 1 "unknown option: one line of output"
assert_contains "$msg" "no-such-option" "unknown option: the message names it"
assert_eq "$(ip -n "$ns" -o link show | grep -cv ': lo:' || true)" 0 \
	"unknown option: no interface created in the namespace"
pasta_pid_for "$ns" >/dev/null && fail "unknown option: a pasta is running for $ns"
ip netns del "$ns"

# --- 3. rootless, like rootless podman ----------------------------------------

udir="$TOPO_TMP/rootless"
mkdir -m 755 "$udir"
chown "$NOBODY_UID:$NOBODY_GID" "$udir"

# rootless_start() - LABEL NAME PASTA-OPTIONS...: as nobody, in a new user
# and mount namespace, create the netns file NAME and run pasta on it, then
# stay there (sleep) so that the mount namespace can be entered; sets
# HOLDER, NSFILE, CTR
HOLDER=""
NSFILE=""
rootless_start() {
	local l=$1 name=$2 s

	shift 2
	NSFILE="$udir/netns/$name"
	s="$udir/$name.sh"
	cat >"$s" <<EOF
#!/bin/bash
# As nobody, in its own user and mount namespaces, as podman runs
mkdir -p "$udir/netns"
touch "$NSFILE"
unshare --net="$NSFILE" true || { echo "rc=netns" >"$udir/$name.rc"; exit 1; }
rc=0
/usr/bin/python3 "$SRV" combined -- "$UPASTA" "\$@" >"$udir/$name.out" 2>&1 || rc=\$?
echo "rc=\$rc" >"$udir/$name.rc"
exec sleep 600
EOF
	chmod 755 "$s"
	bg_host "$TOPO_TMP/holder-$name.log" "${AS_NOBODY[@]}" unshare --user \
		--map-root-user --mount bash "$s" "$@"
	HOLDER=$BG_PID
	wait_until 20 test -s "$udir/$name.rc" || {
		cat "$TOPO_TMP/holder-$name.log"; fail "$l: pasta did not return within 20 s"; }
	CAP_RC=$(sed -n 's/^rc=//p' "$udir/$name.rc")
	CAP_OUT=$(cat "$udir/$name.out")
	CAP_ERR=""
	CTR=(nsenter -t "$HOLDER" -m nsenter "--net=$NSFILE")
}

rootless_start "rootless" ctr4 --config-net -t 8080-8080:80-80 "${PODMAN_TAIL[@]}" \
	--netns "$udir/netns/ctr4" --map-guest-addr 169.254.1.2
check_started "rootless"
ppid=$(pasta_pid_for "$udir/netns/ctr4") || fail "rootless: no pasta running"
topo_track_pid "$ppid"
assert_eq "$(daemon_status "$ppid" Uid)" "$NOBODY_UID" "rootless: pasta runs as nobody"
assert_eq "$(readlink "/proc/$ppid/ns/user")" "$(readlink "/proc/$HOLDER/ns/user")" \
	"rootless: pasta runs in the user namespace it was started in"
check_config "rootless" 65520 rootless
start_web rootless
check_services rootless
topo_kill_pid "$WEB_PID"
# As podman does: lazy unmount (MNT_DETACH), then remove the file
nsenter -t "$HOLDER" -m sh -c "umount -l '$NSFILE' && rm -f '$NSFILE'" ||
	fail "rootless: cannot remove the namespace file"
info "unmounted and removed $NSFILE"
expect_quit "$ppid" "rootless, after the namespace file was removed"

# --- 4. rootless-netns: --pid FILE, -t none, SIGTERM ------------------------

pidf="$udir/rootless-netns-conn.pid"
topo_track_pidfile "$pidf"
rootless_start "rootless-netns" rootless-netns --config-net --pid "$pidf" \
	--dns-forward 169.254.1.1 -t none -u none -T none -U none --no-map-gw \
	--quiet --netns "$udir/netns/rootless-netns" --map-guest-addr 169.254.1.2
check_started "rootless-netns"
# Podman reads the file when it tears the network down, not at once
wait_until 2 read_pidfile "$pidf" >/dev/null || true
ppid=$(read_pidfile "$pidf") || fail "rootless-netns: no PID in $pidf"
topo_track_pid "$ppid"
assert_eq "$(pasta_pid_for "$udir/netns/rootless-netns" || true)" "$ppid" \
	"rootless-netns: the PID file names the running pasta"
check_config "rootless-netns" 65520 rootless-netns
capture "${CTR[@]}" timeout 20 "$PYTHON" "$SRV" dnsq --server 169.254.1.1 --name "$DNS_NAME"
show_capture
soft assert_line "$CAP_OUT" "dnsq answer $DNS_ANSWER" "rootless-netns: DNS via 169.254.1.1"
kill -TERM "$ppid"
expect_quit "$ppid" "rootless-netns, after SIGTERM"
wait_until 2 test ! -e "$pidf" || true
assert_not_exists "$pidf" "rootless-netns: PID file removed"

info "configuration podman would read, per run:"
printf '%s' "$CONFIG_SHOWN" | sed 's/^/#   /'
soft_finish
echo "podman: all checks passed"
