#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# podman.sh - Debian 13's podman 5, rootless, runs containers with
# --network pasta, and the pasta it runs is ours: podman finds it through
# [engine] helper_binaries_dir (CONTAINERS_CONF_OVERRIDE), before Debian's
# own passt package, which the tree also has on $PATH.  Runs in the
# trixie tree (lib/trees.sh) entered by lib/clients.sh in the topology's
# host namespace, as the tree's unprivileged user; the image is a
# busybox-static tarball, podman import'ed (no registry is reachable).
#
# The container runs busybox httpd on port 80 (a 256 KiB random file) and
# a UDP server on port 53 (socat: "udp-in-ctr-" + each line), published with
# -p 8080:80 -p 8053:53/udp.  Checks:
#   - every pasta or passt process podman started runs our binary
#     (/proc/PID/exe is our file, by device and inode); its argv is shown
#   - the container's eth0: the host's addresses, prefix lengths, default
#     routes of both families, MTU 65520
#   - from inside: TCP banner, UDP (a DNS query) and ping (busybox's, raw
#     socket: the container has NET_RAW) to the router namespace's remote
#     addresses, IPv4 and IPv6, each answer checked (the servers see the
#     host's address as the peer)
#   - host.containers.internal (podman's /etc/hosts entry) reaches a
#     server on the host's own address
#   - DNS: /etc/resolv.conf names 169.254.1.1, and a query to it is
#     answered by the host's resolver (the DNS server in the router ns)
#   - the published ports from the host's loopback, the host's own address
#     and the router namespace: download SHA-256, DNS answer
#   - podman stop: pasta exits
# Then the same container with a pasta that is broken on purpose, to show
# the checks catch it:
#   - a pasta that exits 1 at once: podman run fails, nothing published
#   - a pasta wrapper that drops podman's -u options (published UDP
#     ports): the TCP download still works, the UDP check fails
#
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=../lib/guest.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest.sh"
# shellcheck source=lib/clients.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/clients.sh"

DNS_NAME=ctr.example
DNS_ANSWER=192.0.2.53

test_start
# Ping sockets for every group, as systemd's defaults set it on Debian
in_host sysctl -qw net.ipv4.ping_group_range="0 2147483647"
tree_start trixie

# --- servers around the container -------------------------------------------

remote_servers "$DNS_NAME" "$DNS_ANSWER"
srv_start "$ROUTER_NS" remote6 banner --bind "$REMOTE_IP6" --port 7070 \
	--text hello-from-remote6
srv_start "$ROUTER_NS" dns6 dns --bind "$REMOTE_IP6" --port 53 \
	--a "$DNS_NAME=$DNS_ANSWER"
srv_start "$HOST_NS" hown banner --bind "$HOST_IP4" --port 7072 \
	--text hello-from-host-address

# --- podman's configuration and the image -------------------------------------

W=$CLIENTS_WORK
cat >"$W/storage.conf" <<EOC
[storage]
driver = "vfs"
runroot = "/run/user/$CTEST_UID/containers"
graphroot = "/work/home/storage"
EOC
# containers.conf: our pasta's directory first, then podman's own helper
# directories (netavark, conmon...), as the key replaces the default list;
# no systemd, no cgroup delegation here
conf() {
	cat <<EOC
[containers]
cgroups = "disabled"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
helper_binaries_dir = ["$1", "/usr/libexec/podman", "/usr/lib/podman"]
EOC
}
conf /opt/passt >"$W/ours.conf"
TREE_ENV=(CONTAINERS_STORAGE_CONF=/work/storage.conf
	  CONTAINERS_CONF_OVERRIDE=/work/ours.conf)

mkdir -p "$TOPO_TMP/rootfs/www"
head -c 262144 /dev/urandom >"$TOPO_TMP/rootfs/www/dl.bin"
DL_SHA=$(sha256sum <"$TOPO_TMP/rootfs/www/dl.bin" | cut -d' ' -f1)
tree_user_cmd
tree_on_exit "${TREE_USER[*]} podman rm -a -f -t 0"
busybox_image "$TOPO_TMP/rootfs" "$W/bb.tar" /usr/bin/socat
chmod 644 "$W/bb.tar"

capture tree_user podman --version
show_capture
assert_contains "$CAP_OUT" "podman version 5." "podman 5 from the tree"
capture tree_user podman import /work/bb.tar localhost/bb:test
[ "$CAP_RC" = 0 ] || { show_capture; fail "podman import of the busybox tarball"; }
ok "podman import: busybox image"

# run_ctr() - NAME: start the container, TCP 8080 and UDP 8053 published
# shellcheck disable=SC2016 # expanded by the container's shell
run_ctr() {
	capture tree_user podman run -d --name "$1" --network pasta \
		--cap-add NET_RAW \
		-p 8080:80 -p 8053:53/udp localhost/bb:test \
		sh -c 'httpd -p 80 -h /www
		       socat -d -d UDP4-RECVFROM:53,fork SYSTEM:"read l; echo udp-in-ctr-\$l" 2>/tmp/socat.log &
		       exec sleep 100000'
}

# published() - LABEL NS ADDR: TCP download and UDP answer through the
# published ports at ADDR from NS; soft checks unless EXPECT_BROKEN=tcp
# or udp says that one must fail
EXPECT_BROKEN=""
published() {
	local l=$1 ns=$2 a=$3 url

	url="http://$a:8080/dl.bin"
	capture ns_run "$ns" timeout 20 "$PYTHON" "$SRV" httpget --url "$url"
	if [ "$EXPECT_BROKEN" = tcp ]; then
		soft assert_no_line "$CAP_OUT" "httpget 262144 $DL_SHA" \
			"$l: $url must fail with the broken pasta"
	else
		show_capture
		soft assert_line "$CAP_OUT" "httpget 262144 $DL_SHA" \
			"$l: -p 8080:80 from $ns to $a (download SHA-256)"
	fi
	capture ns_run "$ns" timeout 20 "$PYTHON" "$SRV" udpx --to "$a:8053" \
		--send "hi-$ns"$'\n' --retries 3
	show_capture
	if [ "$EXPECT_BROKEN" != "" ]; then
		soft assert_not_contains "$CAP_OUT" "udp-in-ctr-hi-$ns" \
			"$l: UDP $a:8053 must not answer with the broken pasta"
	else
		soft assert_contains "$CAP_OUT" "udpx reply udp-in-ctr-hi-$ns" \
			"$l: -p 8053:53/udp from $ns to $a (the reply)"
	fi
}

# all_published() - LABEL: published() from loopback, own address, router
all_published() {
	published "$1" "$HOST_NS" 127.0.0.1
	published "$1" "$HOST_NS" "$HOST_IP4"
	published "$1" "$ROUTER_NS" "$HOST_IP4"
}

# in_ctr() - LABEL EXPECT CMD...: podman exec CMD, its output has EXPECT
in_ctr() {
	local l=$1 want=$2

	shift 2
	capture tree_user podman exec c1 "$@"
	show_capture
	soft assert_contains "$CAP_OUT" "$want" "$l"
}

# --- 1. our pasta --------------------------------------------------------------

run_ctr c1
show_capture
[ "$CAP_RC" = 0 ] || fail "podman run --network pasta failed"
ok "podman run -d --network pasta -p 8080:80 -p 8053:53/udp"

check_ours podman
PASTA_PIDS=$OURS_PIDS

cpid=$(tree_user podman inspect -f '{{.State.Pid}}' c1)
d=$(netinfo_dir ctr)
netinfo_dump "$d" nsenter -t "$cpid" -n || fail "cannot read the container's configuration"
check_topo_config "$d" eth0 "container"

in_ctr "TCP to $REMOTE_IP4 from the host's address" \
	"hello-from-remote peer=$HOST_IP4:" timeout 10 nc "$REMOTE_IP4" 7070
in_ctr "TCP to $REMOTE_IP6 from the host's address" \
	"hello-from-remote6 peer=$HOST_IP6" timeout 10 nc "$REMOTE_IP6" 7070
in_ctr "UDP (DNS) to $REMOTE_IP4" "Address: $DNS_ANSWER" \
	nslookup "$DNS_NAME" "$REMOTE_IP4"
in_ctr "UDP (DNS) to $REMOTE_IP6" "Address: $DNS_ANSWER" \
	nslookup "$DNS_NAME" "$REMOTE_IP6"
soft assert_contains "$(grep "^dns $DNS_NAME " "$TOPO_TMP/dns6.log" | tail -n 1)" " $HOST_IP6" \
	"the IPv6 DNS server got the query from the host's address"
in_ctr "ping $REMOTE_IP4" "2 packets received" ping -c 2 -W 5 "$REMOTE_IP4"
in_ctr "ping $REMOTE_IP6" "2 packets received" ping -c 2 -W 5 "$REMOTE_IP6"

hci=$(tree_user podman exec c1 sh -c \
	'grep -w host.containers.internal /etc/hosts | head -n 1' | awk '{ print $1 }')
info "host.containers.internal is $hci in the container's /etc/hosts"
in_ctr "host.containers.internal reaches the host's $HOST_IP4" \
	"hello-from-host-address peer=" timeout 10 nc host.containers.internal 7072

in_ctr "resolv.conf names 169.254.1.1" "nameserver 169.254.1.1" cat /etc/resolv.conf
in_ctr "DNS via 169.254.1.1 answered by the host's resolver" \
	"$DNS_ANSWER" nslookup "$DNS_NAME" 169.254.1.1
soft assert_contains "$(grep "^dns $DNS_NAME " "$TOPO_TMP/dns.log" | tail -n 1)" " $HOST_IP4:" \
	"the resolver got the query from the host's address"

capture tree_user podman exec c1 netstat -ln
show_capture
all_published "ours"
capture tree_user podman exec c1 cat /tmp/socat.log
show_capture

capture tree_user podman stop -t 2 c1
show_capture
for pid in $PASTA_PIDS; do
	expect_quit "$pid" "podman stop"
done
tree_user podman rm -f c1 >/dev/null 2>&1 || true
assert_eq "$(pastas_in_host)" "" "no pasta left after podman stop"

# --- 2. broken on purpose ---------------------------------------------------------

broken_pastas
conf /work/exit1 >"$W/exit1.conf"
conf /work/noudp >"$W/noudp.conf"

TREE_ENV=(CONTAINERS_STORAGE_CONF=/work/storage.conf
	  CONTAINERS_CONF_OVERRIDE=/work/exit1.conf)
run_ctr c2
show_capture
soft assert_ne "$CAP_RC" 0 "broken (pasta exits 1): podman run fails"
EXPECT_BROKEN=tcp
all_published "exit-1 pasta"
tree_user podman rm -f c2 >/dev/null 2>&1 || true

TREE_ENV=(CONTAINERS_STORAGE_CONF=/work/storage.conf
	  CONTAINERS_CONF_OVERRIDE=/work/noudp.conf)
run_ctr c3
show_capture
[ "$CAP_RC" = 0 ] || tfail "broken (no -u): podman run failed"
EXPECT_BROKEN=udp
all_published "no-UDP pasta"
tree_user podman stop -t 2 c3 >/dev/null 2>&1 || true
tree_user podman rm -f c3 >/dev/null 2>&1 || true

soft_finish
