#!/usr/bin/env python3
"""tools/bench-leader.py - what forwarding a system call to the leader costs.

    python3 tools/bench-leader.py [--runs 9] [--csv build/bench/leader.csv]

Two measurements of the leader/follower organisation (kernel/model/leader.c),
each a boot of the kernel with the shell fed from a script on the serial line:

 1. Cycles per getpid: `pin 1 bench -r RUNS getpid` at -smp 2, i.e. the call
    made on CPU 1, under bkl (where CPU 1 runs it itself), leader with
    forward=ipi and leader with forward=poll (where the leader, CPU 0, runs
    it). bench reports the median rate and the spread of RUNS runs; cycles
    per call = TSC rate / calls per second.
 2. The leader's busy share: `pin 1-K bench -t 2000 -r 1 getpid` with K = 1,
    2, 3 followers calling at once, at -smp 4. The share is the growth of the
    leader's serve_us counter over the growth of uptime, read by `cpus`
    before and after. -smp 4 on a 2-core host is oversubscribed: four
    virtual CPUs share two real ones, so the figures say how the leader's
    load grows, not what four real CPUs would do.

A benchmark, not a test: nothing is asserted. The host's other load shows in
the numbers: quote them with the spread and say what else was running.
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
RE_TSC = re.compile(r"TSC runs at ([\d.]+) MHz")
RE_UPTIME = re.compile(r"^uptime:\s+([\d.]+) s")
RE_SERVE = re.compile(r"serve_us\s+cpu 0\s+(\d+)")  # anywhere: typed input may echo in front


def boot(args, cmdline, smp, script, log):
    iso, err = build_iso(args.kernel, args.initrd, cmdline, os.path.join(REPO, "build", "iso"))
    if err:
        sys.exit("bench-leader: " + err)
    cmd = qemu_command(iso, smp, "256M", "pc", "max", "tcg", None, serial="stdio")
    print("bench-leader: %s at -smp %d (log %s)" % (cmdline, smp, os.path.relpath(log)), flush=True)
    try:
        p = subprocess.run(cmd, input=script.encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=args.timeout)
        text = p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        text = (e.output or b"").decode("utf-8", "replace")
        print("bench-leader: timed out after %ds" % args.timeout)
    lines = [clean_line(l) for l in text.splitlines()]
    with open(log, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return lines


def tsc_mhz(lines):
    for l in lines:
        m = RE_TSC.search(l)
        if m:
            return float(m.group(1))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default=os.path.join(REPO, "build", "kernel.elf"))
    ap.add_argument("--initrd", default=os.path.join(REPO, "build", "initrd.cpio"))
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--csv", default=os.path.join(REPO, "build", "bench", "leader.csv"))
    args = ap.parse_args()
    outdir = os.path.dirname(os.path.abspath(args.csv))
    os.makedirs(outdir, exist_ok=True)
    rows = []

    script = "pin 1 bench -r %d getpid\nhalt\n" % args.runs
    for name, cmdline in (("bkl", "model=bkl"), ("leader-ipi", "model=leader forward=ipi"),
                          ("leader-poll", "model=leader forward=poll")):
        lines = boot(args, cmdline, 2, script, os.path.join(outdir, "leader-%s.log" % name))
        mhz = tsc_mhz(lines)
        for l in lines:
            m = RE_BENCH.search(l)
            if m and m.group(1) == "getpid" and mhz:
                med, lo, hi = (float(m.group(i)) for i in (2, 3, 4))
                cyc = mhz * 1e6 / med
                rows.append({"measure": "getpid_cycles", "config": name, "followers": 1, "median": round(cyc),
                             "min": round(mhz * 1e6 / hi), "max": round(mhz * 1e6 / lo), "runs": int(m.group(5))})
                print("  %-12s getpid on CPU 1: %8.0f calls/s = %7.0f cycles per call (fastest run %.0f, "
                      "slowest %.0f)" % (name, med, cyc, mhz * 1e6 / hi, mhz * 1e6 / lo))

    script = "cpus\n"
    for k in (1, 2, 3):
        script += "pin 1-%d bench -t 2000 -r 1 getpid\ncpus\n" % k
    script += "halt\n"
    lines = boot(args, "model=leader", 4, script, os.path.join(outdir, "leader-share.log"))
    samples, up = [], None
    for l in lines:
        m = RE_UPTIME.search(l)
        if m:
            up = float(m.group(1))
        m = RE_SERVE.search(l)
        if m:
            samples.append([None, int(m.group(1))])
        if up is not None and samples and samples[-1][0] is None:
            samples[-1][0] = up
            up = None
    for k in (1, 2, 3):
        if len(samples) > k and samples[k][0] and samples[k - 1][0]:
            share = (samples[k][1] - samples[k - 1][1]) / 1e6 / (samples[k][0] - samples[k - 1][0])
            rows.append({"measure": "leader_serve_share", "config": "leader-ipi smp4 (oversubscribed)",
                         "followers": k, "median": round(share, 3), "min": "", "max": "", "runs": 1})
            print("  %d follower(s) calling getpid: the leader serves them %.0f%% of the time "
                  "(-smp 4 on 2 host cores: oversubscribed)" % (k, 100 * share))
    with open(args.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["measure", "config", "followers", "median", "min", "max", "runs"])
        w.writeheader()
        w.writerows(rows)
    print("bench-leader: %d rows in %s" % (len(rows), os.path.relpath(args.csv)))
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
