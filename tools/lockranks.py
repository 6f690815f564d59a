#!/usr/bin/env python3
"""Print the lock-rank table of kernel/lockrank.h in acquisition order, as a
Markdown table. Usage: lockranks.py HEADER [--update DOC]: with --update, the
table also replaces what stands between the lines <!-- lockranks begin -->
and <!-- lockranks end --> of DOC (docs/locks.md), so the document shows
the header as it is."""
import re
import sys

ROW = re.compile(r'X\((\w+),\s*(\d+),\s*"((?:[^"\\]|\\.)*)"\)')


def main():
    path = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "kernel/lockrank.h"
    rows = sorted((int(r), n, w) for n, r, w in ROW.findall(open(path).read()))
    if not rows:
        sys.exit("lockranks: no X(name, rank, \"what\") rows in %s" % path)
    table = ["| rank | name | protects |", "| ---: | --- | --- |"]
    table += ["| %d | `%s` | %s |" % (rank, name, what.replace("`", "")) for rank, name, what in rows]
    print("\n".join(table))
    if "--update" in sys.argv:
        doc = sys.argv[sys.argv.index("--update") + 1]
        text = open(doc).read()
        begin, end = "<!-- lockranks begin -->\n", "<!-- lockranks end -->"
        if begin not in text or end not in text:
            sys.exit("lockranks: %s has no %s ... %s lines" % (doc, begin.strip(), end))
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        open(doc, "w").write(head + begin + "\n".join(table) + "\n" + end + tail)


if __name__ == "__main__":
    main()
