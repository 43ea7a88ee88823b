#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2154 # t_*: from the kernel command line
#
# test/guest/full_check.sh - guest side of qemu_full.sh, qrap.sh and
# libvirt.sh: one boot, the checks named in t_checks (comma-separated, in
# this order), every finding a GUEST-RESULT line for the host to assert on.
#
#   dhcp      udhcpc lease (dhcp_* results), configured on eth0
#   ping4     3 echo requests to the IPv4 gateway (ping4_received)
#   neigh     the gateway's MAC address in the neighbour table (gw4_mac)
#   ping6     SLAAC address and default route, 3 echo requests to t_gw6
#   http      busybox wget http://GW4:t_http/dl.bin (http_size, http_sha256)
#   upload    t_up_size random bytes through busybox nc to GW4:t_sink
#             (up_size, up_sha256; the host compares what it received)
#   outbound  busybox nc to t_out (ADDR:PORT, a banner server), whatever
#             it sends as outbound_text
#   tftp      busybox tftp get of tdl.bin and put of a random file, both
#             from/to GW4:t_tftp (tftp_get_*, tftp_put_*)
#   tcpin     busybox nc -l -p t_tcpin_port (default 80) serving
#             t_srv_size random bytes: reports
#             tcpin_srv_sha256, then tcpin_ready=1; the host connects
#             through passt's -t, sends its data and reads ours; then
#             tcpin_recv_size/sha256 (what the host sent)
#   udpin     socat UDP4-RECVFROM:5555 (copied into the initramfs by the
#             host): reports udpin_ready=1; the host sends one datagram
#             through passt's -u, the guest answers "guest-got:PAYLOAD"
#             and reports udpin_got
#
# Other parameters: t_gw4 (default 198.51.100.1), t_gw6 (2001:db8::1).

# shellcheck source=lib.sh
. /lib/guest/lib.sh

GW4=${t_gw4:-198.51.100.1}
GW6=${t_gw6:-2001:db8::1}
CHECKS=${t_checks:-dhcp,ping4,ping6,http}
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu

# has() - CHECK: true if CHECK was asked for
has() {
	case ",$CHECKS," in
	*",$1,"*) return 0 ;;
	esac
	return 1
}

# sha() - FILE: print the SHA-256 of FILE
sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# size() - FILE: print the size of FILE in bytes
size() {
	wc -c <"$1" | tr -d ' '
}

# listening() - tcp|udp PORT: true if something is bound to PORT
# shellcheck disable=SC2317 # called through wait_for
listening() {
	_hex=$(printf ':%04X ' "$2")
	if [ "$1" = tcp ]; then
		# State 0A: LISTEN; busybox nc -l binds a dual-stack socket
		cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
			grep -q "${_hex}[0-9A-F:]* 0A "
	else
		cat /proc/net/udp /proc/net/udp6 2>/dev/null | grep -q "$_hex"
	fi
}

# shellcheck disable=SC2317 # called through wait_for
have_ip6() {
	ip -6 addr show dev eth0 scope global 2>/dev/null | grep inet6 |
		grep -qv tentative &&
	[ -n "$(ip -6 route show default 2>/dev/null)" ]
}

result checks "$CHECKS"
failed=0

if has dhcp; then
	run udhcpc udhcpc -i eth0 -f -n -q -t 4 -T 2 \
		-s /lib/guest/udhcpc.script || failed=$((failed + 1))
	run addr4 ip -4 addr show dev eth0
	run route4 ip -4 route show
fi

if has ping4; then
	run ping4 ping -c 3 -w 10 "$GW4" || failed=$((failed + 1))
	result ping4_received "$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping4.out)"
fi

if has neigh; then
	ping -c 1 -w 5 "$GW4" >/dev/null 2>&1
	run neigh ip neigh show
	result gw4_mac "$(ip neigh show "$GW4" dev eth0 |
		sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p' | head -n 1)"
fi

if has ping6; then
	wait_for 15 have_ip6
	result ip6_addr "$(ip -6 addr show dev eth0 scope global | grep inet6 |
		sed 's/.*inet6 \([^ ]*\).*/\1/' | tr '\n' ' ' | sed 's/ $//')"
	result ip6_router "$(ip -6 route show default |
		sed -n 's/.*via \([^ ]*\).*/\1/p' | head -n 1)"
	run ping6 ping6 -c 3 -w 10 "$GW6" || failed=$((failed + 1))
	result ping6_received "$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping6.out)"
fi

if has http; then
	rm -f /tmp/dl.bin
	run http timeout 60 wget -q -O /tmp/dl.bin "http://$GW4:${t_http:-8081}/dl.bin" ||
		failed=$((failed + 1))
	if [ -f /tmp/dl.bin ]; then
		result http_size "$(size /tmp/dl.bin)"
		result http_sha256 "$(sha /tmp/dl.bin)"
		rm -f /tmp/dl.bin
	fi
fi

if has upload; then
	head -c "${t_up_size:-1048576}" /dev/urandom >/tmp/up.bin
	result up_size "$(size /tmp/up.bin)"
	result up_sha256 "$(sha /tmp/up.bin)"
	# nc half-closes after the file, the host's sink closes at EOF
	run upload timeout 60 nc "$GW4" "${t_sink:-8082}" </tmp/up.bin ||
		failed=$((failed + 1))
	rm -f /tmp/up.bin
fi

if has outbound; then
	_a=${t_out%:*}
	_p=${t_out##*:}
	run outbound timeout 30 nc "$_a" "$_p" </dev/null || failed=$((failed + 1))
	result outbound_text "$(head -n 1 /tmp/outbound.out)"
fi

if has tftp; then
	_p=${t_tftp:-6969}
	run tftp_get timeout 60 tftp -g -r tdl.bin -l /tmp/tdl.bin "$GW4" "$_p" ||
		failed=$((failed + 1))
	if [ -f /tmp/tdl.bin ]; then
		result tftp_get_size "$(size /tmp/tdl.bin)"
		result tftp_get_sha256 "$(sha /tmp/tdl.bin)"
	fi
	head -c "${t_tput_size:-40000}" /dev/urandom >/tmp/tup.bin
	result tftp_put_size "$(size /tmp/tup.bin)"
	result tftp_put_sha256 "$(sha /tmp/tup.bin)"
	run tftp_put timeout 60 tftp -p -l /tmp/tup.bin -r tup.bin "$GW4" "$_p" ||
		failed=$((failed + 1))
fi

# serve() - NAME tcp|udp PORT PID ERRFILE WHAT: the server WHAT (PID) is
# started: NAME_ready once it listens on PORT, NAME_rc once it exits (a
# failed check unless 0), and its standard error (ERRFILE)
serve() {
	if wait_for 10 listening "$2" "$3"; then
		result "$1_ready" 1
	else
		guest_error "$6 not listening on $2 port $3"
	fi
	_rc=0
	wait "$4" || _rc=$?
	result "$1_rc" "$_rc"
	[ "$_rc" = 0 ] || failed=$((failed + 1))
	sed "s/^/GUEST-OUT $1: /" "$5"
}

if has tcpin; then
	head -c "${t_srv_size:-262144}" /dev/urandom >/tmp/srv.bin
	result tcpin_srv_size "$(size /tmp/srv.bin)"
	result tcpin_srv_sha256 "$(sha /tmp/srv.bin)"
	_p=${t_tcpin_port:-80}
	timeout 90 nc -l -p "$_p" </tmp/srv.bin >/tmp/tin.bin 2>/tmp/tin.err &
	serve tcpin tcp "$_p" $! /tmp/tin.err "nc -l -p $_p"
	result tcpin_recv_size "$(size /tmp/tin.bin)"
	result tcpin_recv_sha256 "$(sha /tmp/tin.bin)"
fi

if has udpin; then
	if ! command -v socat >/dev/null; then
		guest_error "no socat in the initramfs"
		failed=$((failed + 1))
	else
		# One datagram: the answer goes back to its sender
		# shellcheck disable=SC2016 # for the inner shell
		timeout 90 socat -T 60 UDP4-RECVFROM:5555 \
			SYSTEM:'read -r l; echo "$l" >/tmp/udp_in; echo "guest-got:$l"' \
			2>/tmp/uin.err &
		serve udpin udp 5555 $! /tmp/uin.err socat
		result udpin_got "$(cat /tmp/udp_in 2>/dev/null)"
	fi
fi

result failed_checks "$failed"
exit "$failed"
