#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ipjson.py - flatten `ip -j` output into lines that shell tests can match.

  ipjson.py addr FILE     (from `ip -j addr`)
      iface IF
      link IF mtu N
      link IF state STATE
      link IF flag FLAG           one line per flag (UP, LOWER_UP, ...)
      addr IF inet A.B.C.D/LEN
      addr IF inet6 ADDR/LEN      (every scope)
      addr IF inet6-scope ADDR/LEN SCOPE

  ipjson.py route FILE    (from `ip -j route` or `ip -6 -j route`)
      route DST via GW dev IF     (or route DST dev IF without gateway)

  ipjson.py ifaces FILE   (from `ip -j addr` or `ip -j link`)
      the names of all interfaces except lo, one per line

FILE "-" reads standard input.  Standard library only.
"""

import json
import sys


def load(path):
    if path == "-":
        text = sys.stdin.read()
    else:
        with open(path) as f:
            text = f.read()
    text = text.strip()
    if not text:
        return []
    return json.loads(text)


def cmd_addr(data):
    for link in data:
        name = link.get("ifname", "?")
        print("iface %s" % name)
        print("link %s mtu %s" % (name, link.get("mtu")))
        print("link %s state %s" % (name, link.get("operstate")))
        for flag in link.get("flags", []):
            print("link %s flag %s" % (name, flag))
        for a in link.get("addr_info", []):
            fam = a.get("family")
            if fam not in ("inet", "inet6"):
                continue
            print("addr %s %s %s/%s" % (name, fam, a.get("local"),
                                        a.get("prefixlen")))
            if fam == "inet6":
                print("addr %s inet6-scope %s/%s %s"
                      % (name, a.get("local"), a.get("prefixlen"),
                         a.get("scope")))


def cmd_route(data):
    for r in data:
        dst = r.get("dst", "?")
        dev = r.get("dev", "?")
        if "gateway" in r:
            print("route %s via %s dev %s" % (dst, r["gateway"], dev))
        else:
            print("route %s dev %s" % (dst, dev))


def cmd_ifaces(data):
    for link in data:
        if link.get("ifname") != "lo":
            print(link.get("ifname"))


def main():
    cmds = {"addr": cmd_addr, "route": cmd_route, "ifaces": cmd_ifaces}
    if len(sys.argv) != 3 or sys.argv[1] not in cmds:
        print("usage: ipjson.py addr|route|ifaces FILE", file=sys.stderr)
        return 2
    try:
        data = load(sys.argv[2])
    except (OSError, ValueError) as e:
        print("ipjson.py: cannot parse %s: %s" % (sys.argv[2], e),
              file=sys.stderr)
        return 1
    cmds[sys.argv[1]](data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
