#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench_compare.py - compare two `make bench` runs (BENCH_JSON files).

Usage: test/bench_compare.py OLD.json NEW.json [PREFIX...]

For every figure both runs have (only those whose key starts with one of
the PREFIXes, if any: e.g. "ours." or "ratio.ours_ref."), print the old
and the new value and new / old, and say whether that is better or worse
by more than 5 %: the unit at the end of the key tells which way is up
(_gbps, _pps, _per_s: higher is better; _us, _loss_pct, _cpu_s_per_gb,
_kb: lower is better; the same for ratios of them).  A loss is compared
as a difference in percentage points.  Figures only one run has, and
failed measurements, are listed at the end.  The runs' meta.* entries
(time, kernel, versions, options) are shown first.

Exit status: 0, or 2 for a usage or file error.
"""

import json
import sys

HIGHER = ("_gbps", "_pps", "_per_s")
LOWER = ("_us", "_loss_pct", "_cpu_s_per_gb", "_kb")
NOISE = 0.05


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("bench_compare.py: %s: %s" % (path, e))
    if not isinstance(d, dict):
        sys.exit("bench_compare.py: %s: not a JSON object" % path)
    return d


def verdict(key, old, new):
    """"better", "worse" or "" for a change of KEY from OLD to NEW"""
    if key.endswith("_loss_pct"):
        change = (old - new) / 100.0
    elif not old:
        return ""
    elif key.endswith(HIGHER):
        change = new / old - 1
    elif key.endswith(LOWER):
        change = old / new - 1 if new else 1
    else:
        return ""
    if change > NOISE:
        return "better"
    if change < -NOISE:
        return "worse"
    return ""


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def main():
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.split("\n\n", 1)[1].split("\n\n", 1)[0],
              file=sys.stderr)
        return 2
    old, new = load(sys.argv[1]), load(sys.argv[2])
    prefixes = tuple(sys.argv[3:]) or ("",)

    for k in sorted(set(old) | set(new)):
        if k.startswith("meta."):
            a, b = old.get(k, "-"), new.get(k, "-")
            print("%-44s %s%s" % (k, a, "" if a == b else "  ->  %s" % b))
    print()
    print("%-44s %12s %12s %9s" % ("figure", "old", "new", "new/old"))
    only = []
    for k in sorted(set(old) | set(new)):
        if k.startswith("meta.") or not k.startswith(prefixes):
            continue
        a, b = old.get(k), new.get(k)
        if not number(a) or not number(b):
            only.append("%s: old %s, new %s" % (k, a, b))
            continue
        r = "%.2f" % (b / a) if a else "-"
        print("%-44s %12g %12g %9s  %s" % (k, a, b, r, verdict(k, a, b)))
    if only:
        print()
        print("not in both runs, or failed:")
        for line in only:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
