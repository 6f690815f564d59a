#!/usr/bin/env python3
"""tools/bench-smp.py - does a second CPU make things slower? (`make bench-smp`)

    python3 tools/bench-smp.py [--kernel build/kernel.elf] [--initrd build/initrd.cpio]
                               [--smp 1,2] [--machine pc] [--cpu max] [--model bkl]
                               [--options 'sched=global'] [--bench '-r 3 getpid2 fork2']
                               [--timeout 600] [--csv build/bench/smp.csv]

Boots the kernel once per CPU count with `run=bench` (user/bin/bench.c), under
TCG like every test, collects the lines

    bench: <name> <median>/s min <x> max <y> runs <n>

(and the hottest locks of each benchmark, "bench-lock:" lines, kept in the logs),
and prints a table: each rate at every CPU count and the ratio of the last
count to the first (smp2/smp1 by default; above 1 is faster). The same
numbers go to a CSV file (build/bench/smp.csv); the serial logs are kept in
build/bench/smp<N>.log. A benchmark, not a test: it asserts no timing and
its exit status says only whether the boots produced the lines (0) or not (1).
The numbers depend on what else the host is doing: say so when you quote them.
"""

import argparse
import csv
import os
import re
import subprocess
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
from qemu import qemu_command  # noqa: E402
from testrun import build_iso, clean_line  # noqa: E402

RE_BENCH = re.compile(r"bench: (\S+) ([\d.]+)/s min ([\d.]+) max ([\d.]+) runs (\d+)")


def boot(args, smp, iso, logdir):
    cmd = qemu_command(iso, smp, args.mem, args.machine, args.cpu, "tcg", None, serial="stdio")
    log = os.path.join(logdir, "smp%s.log" % smp)
    print("bench-smp: booting -smp %s (log %s)" % (smp, os.path.relpath(log)), flush=True)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=args.timeout)
        text = p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        text = (e.output or b"").decode("utf-8", "replace")
        print("bench-smp: -smp %s timed out after %ds" % (smp, args.timeout))
    lines = [clean_line(l) for l in text.splitlines()]
    with open(log, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    rates = {}
    for l in lines:
        m = RE_BENCH.search(l)
        if m:
            rates[m.group(1)] = tuple(float(m.group(i)) for i in (2, 3, 4)) + (int(m.group(5)),)
    return rates


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default=os.path.join(REPO, "build", "kernel.elf"))
    ap.add_argument("--initrd", default=os.path.join(REPO, "build", "initrd.cpio"))
    ap.add_argument("--smp", default="1,2", help="CPU counts, comma-separated (default 1,2)")
    ap.add_argument("--machine", default="pc")
    ap.add_argument("--cpu", default="max")
    ap.add_argument("--mem", default="256M")
    ap.add_argument("--model", default="", help="organisation (model=...; default: the kernel's)")
    ap.add_argument("--options", default="", help="more kernel options, e.g. 'sched=global'")
    ap.add_argument("--bench", default="", help="bench's arguments, e.g. '-r 3 getpid2 fork2'")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per boot")
    ap.add_argument("--csv", default=os.path.join(REPO, "build", "bench", "smp.csv"))
    args = ap.parse_args()

    counts = [c.strip() for c in args.smp.split(",") if c.strip()]
    outdir = os.path.dirname(os.path.abspath(args.csv))
    os.makedirs(outdir, exist_ok=True)
    cmdline = ("model=%s " % args.model if args.model else "") + (args.options + " " if args.options else "")
    cmdline += 'run="bench %s"' % args.bench if args.bench else "run=bench"
    iso, err = build_iso(args.kernel, args.initrd, cmdline, os.path.join(REPO, "build", "iso"))
    if err:
        print("bench-smp: " + err)
        return 1

    results = {c: boot(args, c, iso, outdir) for c in counts}
    names = []
    for c in counts:
        names += [n for n in results[c] if n not in names]
    if not names:
        print("bench-smp: no 'bench:' lines in the logs")
        return 1

    first, last = counts[0], counts[-1]
    head = ["name"] + ["smp%s /s" % c for c in counts]
    if len(counts) > 1:
        head.append("smp%s/smp%s" % (last, first))
    rows = []
    for n in names:
        row = [n] + ["%.0f" % results[c][n][0] if n in results[c] else "-" for c in counts]
        if len(counts) > 1:
            a, b = results[first].get(n), results[last].get(n)
            row.append("%.2f" % (b[0] / a[0]) if a and b and a[0] > 0 else "-")
        rows.append(row)
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(r[i].ljust(widths[i]) if i == 0 else r[i].rjust(widths[i])
                        for i in range(len(r))))

    with open(args.csv, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "smp", "median_per_s", "min_per_s", "max_per_s", "runs"])
        for n in names:
            for c in counts:
                if n in results[c]:
                    med, lo, hi, k = results[c][n]
                    w.writerow([n, c, "%.1f" % med, "%.1f" % lo, "%.1f" % hi, k])
    print("bench-smp: CSV in %s" % os.path.relpath(args.csv))
    missing = [c for c in counts if len(results[c]) < len(names)]
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
