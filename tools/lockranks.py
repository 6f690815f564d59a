#!/usr/bin/env python3
"""Print the lock-rank table of kernel/lockrank.h in acquisition order, as a
Markdown table (docs/locks.md shows the same). Usage: lockranks.py HEADER"""
import re
import sys

ROW = re.compile(r'X\((\w+),\s*(\d+),\s*"((?:[^"\\]|\\.)*)"\)')


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "kernel/lockrank.h"
    rows = sorted((int(r), n, w) for n, r, w in ROW.findall(open(path).read()))
    if not rows:
        sys.exit("lockranks: no X(name, rank, \"what\") rows in %s" % path)
    print("| rank | name | protects |")
    print("| ---: | --- | --- |")
    for rank, name, what in rows:
        print("| %d | `%s` | %s |" % (rank, name, what.replace("`", "")))


if __name__ == "__main__":
    main()
