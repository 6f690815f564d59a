#!/usr/bin/env python3
"""tools/bench.py - how do the four kernel organisations scale? (`make bench`)

    make bench              the full sweep (up to about 30 minutes on 2 host cores)
    make bench QUICK=1      a short version that tries every part (a few minutes)
    python3 tools/bench.py [--quick] [--kernel build/kernel.elf] [--initrd build/initrd.cpio]
                           [--disk build/disk.img] [--out build/bench] [--mem 512M]
                           [--no-traces] [--no-prims]

WHAT IT MEASURES
  loadgen (user/bin/loadgen.c) keeps every CPU busy with a loop of U cycles of
  user work and K cycles of kernel work, with the kernel share f = K/(U+K)
  set by a dial (-f). The kernel work holds one of 64 critical regions of a
  table, so it waits for the big kernel lock under bkl, for the leader CPU
  under leader, for that one region's lock under fine and for nothing under
  private. Its result is a rate: iterations per second of the whole machine.

  Six configurations (kernel options) are swept:
      bkl                   model=bkl
      leader forward=ipi    model=leader forward=ipi
      leader forward=poll   model=leader forward=poll
      private               model=private
      fine sched=global     model=fine sched=global
      fine sched=percpu     model=fine sched=percpu
  at -smp 1, 2, 4 and 8, with f = 0.05, 0.1, 0.2, 0.33 and 0.5, every point
  3 times (median, and min..max as the spread). At -smp 2 and 4 also the
  real mixes once each: getpid, fork, exec, pipe, file (loadgen -m ...).

HOW IT IS ORGANISED (one boot per configuration and CPU count)
  A boot takes a couple of seconds, so a boot per point would not fit in the
  time. Instead every (configuration, -smp) pair is ONE boot of the kernel
  without run=: init starts the shell, and the shell's input, fed on the
  serial line (like tools/bench-leader.py), is a script of loadgen lines,
  all repeats and f values in turn (repeat 1 of every f, then repeat 2, ...,
  so slow moments of the host spread over the f values), then the mixes,
  then `halt`. Every loadgen run of a boot gets its own window length
  (-t 1000, -t 1001, -t 1002, ...: the rate is per second, so 1 ms more does
  not matter) and the window length in its result line says which run it
  was, whatever else the console printed in between.

  Under private every CPU is its own OS instance with its own shell, and the
  console is attached to one instance at a time. The script types each run
  to every instance (a line `~N` moves the console to instance N) behind a
  `barrier` (user/bin/barrier.c), so the instances start each run together;
  the rate of a run is the sum of the instances' rates. A barrier is a
  counter in a shared-memory window and the kernel has only 8 of them, so
  all barriers of a boot use one window with growing targets (N, 2N, 3N...).

  Boots of one CPU count run several at once where the host has the cores
  for them: host cores // -smp boots (--jobs N to choose), so that every
  virtual CPU has a real core of its own. On the 2-core host that is two
  1-CPU boots at a time and one boot otherwise; on a 16-core host, two
  8-CPU boots. The primitives and the traces always boot one at a time.

  Besides the sweep:
  - the primitives (user/bin/prims.c), four more boots at -smp 2: `prims`
    under bkl, `prims migration` under fine sched=percpu, and the forwarded
    system call `pin 1 prims syscall` (pin: on CPU 1, a follower) under
    leader forward=ipi and forward=poll;
  - one short trace per configuration at -smp 4 (`trace run loadgen -t 50
    -f 0.2 -c 1000000`), turned into a timeline by tools/trace2json.py.
    Under private that would be four `trace run`s fighting over the one
    machine-wide trace, so there instance 0 starts and dumps it while every
    instance runs the loadgen line (a shell script again).

  --quick: -smp 1, 2, 4; f = 0.1 and 0.33; 1 repeat; windows of 300 ms;
  the mixes at -smp 2 only (200 ms); the same primitives (a primitive boot
  gives up after 45 s) and traces; the model on fewer CPU counts. A few
  minutes.

HOW LONG
  The full sweep is 24 sweep boots with 540 loadgen runs, plus 4 primitive
  boots and 6 trace boots, then the model (a minute or so): one full run
  took 13 minutes on a 2-core host that was also running other QEMUs;
  QUICK=1 took 1.2 minutes on the idle host and 3.2 minutes on the busy
  one. The time left is estimated as it goes (`--plan` prints the plan and
  a nominal time without booting). A busy host also changes the numbers,
  see below.

OUTPUTS (in build/bench/, or --out)
  results.csv     one row per measured point: config, model, options, smp,
                  mix, f, cycles, regions, reps, rate_median, rate_min,
                  rate_max, lockwait_median, leaderbusy_median,
                  oversubscribed, instances (OS instances that reported /
                  OS instances), note. rate is iterations/s of the whole
                  machine; lockwait the share of CPU time spent spinning for
                  kernel locks; leaderbusy the leader's share of time serving
                  followers (-1: no leader). oversubscribed = 1 when -smp is
                  more than this host's cores: then virtual CPUs take turns
                  on real ones, and the point says little about real CPUs.
  primitives.csv  the primitives in TSC cycles (median, min, max) and ns.
  model.csv       tools/benchmodel.py calibrated for every configuration and
                  f from the rates at -smp 1 and 2, its prediction for 1..64
                  CPUs (a grid of CPU counts), the operational bound, and at
                  the measured CPU counts the measurement and the relative
                  error (predicted - measured) / measured.
  throughput-fF.png  rate vs CPUs, one colour per configuration: measured
                  points with min..max bars, the model dashed, the bound
                  min(N/(U+K), 1/K) of the one-server organisations (bkl,
                  leader) dotted, the texts' claim "the leader saturates at
                  N = 1/f" as a vertical line, the oversubscribed CPU counts
                  shaded.
  speedup-fF.png  rate(N)/rate(1), measured and model, with the ideal N.
  leaderbusy.png  the leader's busy share vs CPUs, a line per f.
  lockwait-fF.png the lock-wait share vs CPUs, a line per configuration.
  trace-CONFIG.json / .png  the timelines (open the JSON in
                  https://ui.perfetto.dev).
  logs/           every boot's serial log (and the .in script it was fed);
  plot/           the gnuplot data and scripts (change and rerun them).

HOW TO READ IT
  Under private the rate grows with N (nothing is shared); under bkl and
  leader it stops growing near N = 1/f (the one server is busy all the
  time: the rate is then about 1/K); fine sits in between, depending on how
  often two CPUs pick the same region. Where the model's dashed line and
  the points part, something the model leaves out matters (cache traffic,
  the scheduler, the host). Quote every number with its spread, the host's
  core count and what else ran on the host.

  Virtual CPUs are threads of the host. When the host has fewer free cores
  than -smp (oversubscribed points, or other work on the host), a virtual
  CPU often waits for a real one for a host time slice (milliseconds). The
  kernel's spinlocks are ticket locks: the lock goes to the next waiter in
  line even when that waiter's virtual CPU is not running, and every other
  CPU spins behind it. Under bkl that can cut the rate by a factor of 100
  (a trace then shows most of every CPU's time as "lock wait"), and it
  slows forwarded calls to the leader the same way. Such points measure
  the host, not the organisation: compare them only with the model's
  caveat in mind, and rerun on an idle host (or one with more cores).

A benchmark, not a test: nothing about the timings is asserted. A boot that
fails or times out, or a run with no result line, is reported (which
configuration, the log path) and the sweep goes on; the exit status is
nonzero only if nothing at all could be measured.
"""

import argparse
import concurrent.futures
import csv
import json
import math
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
import benchmodel  # noqa: E402
import trace2json  # noqa: E402
from qemu import qemu_command  # noqa: E402
from testrun import build_iso, clean_line, rel  # noqa: E402


class Config:
    def __init__(self, name, label, org, options):
        self.name = name        # for file names: leader-ipi
        self.label = label      # for people: leader forward=ipi
        self.org = org          # benchmodel's organisation
        self.options = options  # the kernel command line


CONFIGS = [
    Config("bkl", "bkl", "bkl", "model=bkl"),
    Config("leader-ipi", "leader forward=ipi", "leader", "model=leader forward=ipi"),
    Config("leader-poll", "leader forward=poll", "leader", "model=leader forward=poll"),
    Config("private", "private", "private", "model=private"),
    Config("fine-global", "fine sched=global", "fine", "model=fine sched=global"),
    Config("fine-percpu", "fine sched=percpu", "fine", "model=fine sched=percpu"),
]
BY_NAME = {c.name: c for c in CONFIGS}

MIXES = ["getpid", "fork", "exec", "pipe", "file"]
FULL = dict(smp=[1, 2, 4, 8], fs=[0.05, 0.1, 0.2, 0.33, 0.5], reps=3, ms=1000,
            mix_smp=[2, 4], mix_reps=3, mix_ms=500,
            grid=list(range(1, 9)) + [10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64])
QUICK = dict(smp=[1, 2, 4], fs=[0.1, 0.33], reps=1, ms=300,
             mix_smp=[2], mix_reps=1, mix_ms=200,
             grid=[1, 2, 4, 8, 16, 32, 64])
CYCLES = 200000          # loadgen's default -c
REGIONS = 64             # loadgen's default -r
MAIN_F = 0.1             # the f of the headline plots

# Primitive boots: (config, smp, run= program, what its lines are).
PRIM_BOOTS = [
    ("bkl", 2, "prims", "local"),
    ("fine-percpu", 2, "prims migration", "local"),
    ("leader-ipi", 2, "pin 1 prims syscall", "forwarded"),
    ("leader-poll", 2, "pin 1 prims syscall", "forwarded"),
]
TRACE_SMP = 4
TRACE_LOADGEN = "loadgen -t 50 -f 0.2 -c 1000000"

RE_RESULT = re.compile(
    r"loadgen: result mix=(\S+) model=(\S+) cpus=(\d+) procs=(\d+) f=([\d.]+) cycles=(\d+) "
    r"regions=(\d+) ms=(\d+) iterations=(\d+) rate=([\d.]+) lockwait=(-?[\d.]+) leaderbusy=(-?[\d.]+)")
RE_FAILED = re.compile(r"loadgen: (\d+) of (\d+) workers failed \((.*)\)")
RE_PRIM = re.compile(r"prim: (\S+) (\d+) min (\d+|-) max (\d+|-) runs (\d+)")
RE_PRIM_NA = re.compile(r"prim: (\S+) n/a \((.*)\)")
RE_TSC = re.compile(r"TSC runs at ([\d.]+) MHz")
PANIC = "KERNEL PANIC"

# Nominal seconds, for the time-left estimate only (scaled by what the run
# so far actually took).
BOOT_S = 3.0             # QEMU start, GRUB, kernel boot, power-off
BOOT_PER_CPU_S = 0.5     # more virtual CPUs boot slower under TCG
STEP_S = 0.3             # loadgen's start-up and the shell, per run
STEP_PER_INSTANCE_S = 0.05
PRIM_BOOT_S = 20.0
TRACE_BOOT_S = 6.0
PREDICT_S = 0.1          # one benchmodel.predict()


SAY_LOCK = threading.Lock()   # boots may run in parallel (--jobs)


def say(msg):
    with SAY_LOCK:
        print("bench: " + msg, flush=True)


def fmt_f(f):
    return "%.2f" % f


def host_cores():
    return os.cpu_count() or 1


def oversubscribed(smp):
    return smp > host_cores()


# ------------------------------------------------------------------ booting


class Boot:
    """One QEMU run: its log lines and how it ended."""

    def __init__(self, name, cmdline, smp, log):
        self.name = name
        self.cmdline = cmdline
        self.smp = smp
        self.log = log
        self.lines = []
        self.status = None
        self.timed_out = False
        self.error = None
        self.elapsed = 0.0

    def mhz(self):
        for line in self.lines:
            m = RE_TSC.search(line)
            if m:
                return float(m.group(1))
        return None

    def problem(self):
        """Why this boot did not end normally, or None."""
        if self.error:
            return self.error
        if self.timed_out:
            return "timed out after %.0f s" % self.elapsed
        for line in self.lines:
            if PANIC in line:
                return "kernel panic: " + line.strip()
        if self.status != 33:
            return "QEMU exit status %s (33 is a normal power-off)" % self.status
        return None


class Runner:
    def __init__(self, args):
        self.args = args
        self.logdir = os.path.join(args.out, "logs")
        os.makedirs(self.logdir, exist_ok=True)
        self.procs = set()            # QEMUs running now (several with --jobs)
        self.lock = threading.Lock()

    def boot(self, name, cmdline, smp, script=None, timeout=600, on_line=None):
        """Boot the kernel with `cmdline` on `smp` CPUs, feed `script` (or
        nothing) to the serial line, stream the output (on_line(line) for
        every line) into logs/NAME.log, and return a Boot."""
        log = os.path.join(self.logdir, name + ".log")
        b = Boot(name, cmdline, smp, log)
        iso, err = build_iso(self.args.kernel, self.args.initrd, cmdline,
                             os.path.join(self.args.out, "iso"))
        if err:
            b.error = "no ISO: " + err
            with open(log, "w", encoding="utf-8") as f:
                f.write("# bench: not booted: %s\n" % b.error)
            return b
        disk = None
        if self.args.disk and os.path.isfile(self.args.disk):
            disk = os.path.join(self.args.out, "disk-%s.img" % name)
            shutil.copyfile(self.args.disk, disk)      # a fresh disk for every boot
        cmd = qemu_command(iso, smp, self.args.mem, "pc", "max", "tcg", None, serial="stdio", disk=disk)
        if script is not None:
            inpath = os.path.join(self.logdir, name + ".in")
            with open(inpath, "w", encoding="utf-8") as f:
                f.write(script)
            stdin = open(inpath, "rb")
        else:
            stdin = subprocess.DEVNULL
        t0 = time.monotonic()
        logf = open(log, "w", encoding="utf-8")
        logf.write("# bench: %s\n# bench: %s\n" % (cmdline, " ".join(shlex.quote(c) for c in cmd)))
        try:
            proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            b.error = "cannot start QEMU: %s" % e
            logf.write("# bench: %s\n" % b.error)
            logf.close()
            return b
        finally:
            if stdin is not subprocess.DEVNULL:
                stdin.close()
        with self.lock:
            self.procs.add(proc)

        def kill():
            b.timed_out = True
            kill_group(proc)

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            for raw in proc.stdout:
                line = clean_line(raw.decode("utf-8", "replace").rstrip("\n"))
                b.lines.append(line)
                logf.write(line + "\n")
                if on_line:
                    on_line(line)
            b.status = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                kill_group(proc)
                proc.wait()
            with self.lock:
                self.procs.discard(proc)
            if disk:
                os.remove(disk)
            b.elapsed = time.monotonic() - t0
            if b.problem():
                logf.write("# bench: %s\n" % b.problem())
            logf.close()
        return b

    def stop(self):
        with self.lock:
            for proc in self.procs:
                kill_group(proc)


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ------------------------------------------------------------------ the plan


class Step:
    """One loadgen run inside a sweep boot."""

    def __init__(self, mix, f, rep, reps, ms):
        self.mix = mix
        self.f = f
        self.rep = rep
        self.reps = reps
        self.ms = ms              # also the run's name in its result line
        self.lines = []           # parsed result lines (dicts)

    def command(self):
        if self.mix == "dial":
            return "loadgen -t %d -f %s" % (self.ms, fmt_f(self.f))
        return "loadgen -t %d -m %s" % (self.ms, self.mix)

    def what(self):
        if self.mix == "dial":
            return "f=%s" % fmt_f(self.f)
        return "mix %s" % self.mix

    def nominal(self, instances):
        return self.ms / 1000.0 + STEP_S + STEP_PER_INSTANCE_S * instances


class SweepBoot:
    def __init__(self, config, smp, plan):
        self.config = config
        self.smp = smp
        self.instances = smp if config.org == "private" else 1
        self.steps = []
        index = 0
        for rep in range(plan["reps"]):
            for f in plan["fs"]:
                self.steps.append(Step("dial", f, rep, plan["reps"], plan["ms"] + index))
                index += 1
        if smp in plan["mix_smp"]:
            for rep in range(plan["mix_reps"]):
                for mix in MIXES:
                    self.steps.append(Step(mix, None, rep, plan["mix_reps"], plan["mix_ms"] + index))
                    index += 1
        self.by_ms = {s.ms: s for s in self.steps}
        self.boot = None
        self.failures = []        # "loadgen: N of M workers failed" lines

    def name(self):
        return "%s-smp%d" % (self.config.name, self.smp)

    def nominal(self):
        return (BOOT_S + BOOT_PER_CPU_S * self.smp +
                sum(s.nominal(self.instances) for s in self.steps))

    def script(self):
        """The shell input: every run, then halt."""
        if self.instances == 1:
            return "".join(s.command() + "\n" for s in self.steps) + "halt\n"
        # private: each run typed to every instance behind a barrier (see the
        # docstring); the last barrier lets every instance finish before
        # instance 0 halts the machine.
        n = self.instances
        out = []
        for k, s in enumerate(self.steps, 1):
            for i in range(n):
                out.append("~%d\nbarrier bench %d\n%s\n" % (i, n * k, s.command()))
        k = len(self.steps) + 1
        for i in list(range(1, n)) + [0]:
            out.append("~%d\nbarrier bench %d\n" % (i, n * k))
        out.append("halt\n")
        return "".join(out)


def parse_result(line):
    m = RE_RESULT.search(line)
    if not m:
        return None
    g = m.groups()
    return dict(mix=g[0], model=g[1], cpus=int(g[2]), procs=int(g[3]), f=float(g[4]),
                cycles=int(g[5]), regions=int(g[6]), ms=int(g[7]), iterations=int(g[8]),
                rate=float(g[9]), lockwait=float(g[10]), leaderbusy=float(g[11]))


# ------------------------------------------------------------------ progress


class Progress:
    """[k/total] and the time left: the nominal cost of what is left, scaled
    by how the real time so far compares with the nominal cost so far."""

    def __init__(self, total_steps, nominal_total):
        self.total = total_steps
        self.done = 0
        self.nominal_total = nominal_total
        self.nominal_done = 0.0
        self.t0 = time.monotonic()
        self.lock = threading.Lock()

    def left(self):
        elapsed = time.monotonic() - self.t0
        rest = max(0.0, self.nominal_total - self.nominal_done)
        if self.nominal_done > 0 and elapsed > 0:
            rest *= elapsed / self.nominal_done
        if rest < 90:
            return "about %d s left" % max(1, round(rest))
        return "about %d min left" % round(rest / 60)

    def step(self, nominal):
        self.done += 1
        self.nominal_done += nominal

    def counter(self):
        return "[%d/%d]" % (self.done, self.total)


# ------------------------------------------------------------------ the sweep


def jobs_for(smp, jobs):
    """How many boots of `smp` CPUs run at once: --jobs, or by default as
    many as the host has cores for (each virtual CPU a real core)."""
    return jobs if jobs > 0 else max(1, host_cores() // smp)


def run_sweep(runner, boots, progress, problems, jobs=0):
    """The sweep boots, grouped by CPU count; within a group several at once
    where the host has the cores (a 2-core host: two 1-CPU boots)."""
    for smp in sorted({sb.smp for sb in boots}):
        group = [sb for sb in boots if sb.smp == smp]
        n = min(jobs_for(smp, jobs), len(group))
        if n > 1:
            say("-smp %d: %d boots at once (%d host cores)" % (smp, n, host_cores()))
            with concurrent.futures.ThreadPoolExecutor(n) as pool:
                list(pool.map(lambda sb: sweep_boot(runner, sb, progress, problems), group))
        else:
            for sb in group:
                sweep_boot(runner, sb, progress, problems)


def sweep_boot(runner, sb, progress, problems):
    cfg = sb.config
    expect = sb.instances
    done = set()
    counted = [0.0]                     # nominal time this boot added to the progress
    say("boot %s -smp %d%s: %d runs (log %s)" % (
        cfg.label, sb.smp, " (oversubscribed: %d > %d host cores)" % (sb.smp, host_cores())
        if oversubscribed(sb.smp) else "", len(sb.steps), rel(os.path.join(runner.logdir, sb.name() + ".log"))))

    def on_line(line, sb=sb, done=done, expect=expect):
        r = parse_result(line)
        if r is None:
            if RE_FAILED.search(line):
                sb.failures.append(line.strip())
            return
        step = sb.by_ms.get(r["ms"])
        if step is None:
            return
        step.lines.append(r)
        if len(step.lines) >= expect and step.ms not in done:
            done.add(step.ms)
            with progress.lock:
                progress.step(step.nominal(expect))
                counted[0] += step.nominal(expect)
            rate = sum(x["rate"] for x in step.lines)
            say("%s %s -smp %d: %s rep %d/%d: %.0f/s (%s)" % (
                progress.counter(), cfg.label, sb.smp, step.what(), step.rep + 1, step.reps,
                rate, progress.left()))

    timeout = max(240.0, 6 * sb.nominal())
    b = runner.boot(sb.name(), cfg.options, sb.smp, sb.script(), timeout, on_line)
    sb.boot = b
    # Runs that never reported still count as done for the estimate.
    with progress.lock:
        for s in sb.steps:
            if s.ms not in done:
                progress.step(s.nominal(expect))
                counted[0] += s.nominal(expect)
        progress.nominal_done += sb.nominal() - counted[0]
    # Under private only instance 0 may write the disk (the others'
    # file system is read-only): the file mix fails there, as expected;
    # results.csv says so in its note.
    missing = [s for s in sb.steps if len(s.lines) < expect and
               not (cfg.org == "private" and s.mix == "file" and s.lines)]
    why = b.problem()
    if why:
        problems.append("%s -smp %d: %s (log %s)" % (cfg.label, sb.smp, why, rel(b.log)))
        say("PROBLEM: %s -smp %d: %s (log %s)" % (cfg.label, sb.smp, why, rel(b.log)))
    if missing:
        lst = ", ".join("%s rep %d (%d of %d result lines)" % (s.what(), s.rep + 1, len(s.lines), expect)
                        for s in missing)
        msg = "%s -smp %d: no complete result for %s (log %s)" % (cfg.label, sb.smp, lst, rel(b.log))
        if sb.failures:
            msg += "; loadgen said: " + sb.failures[0]
        problems.append(msg)
        say("PROBLEM: " + msg)


def median(xs):
    return statistics.median(xs) if xs else None


def collect_rows(boots):
    """results.csv's rows from the sweep boots."""
    rows = []
    for sb in boots:
        cfg = sb.config
        groups = {}
        for s in sb.steps:
            groups.setdefault((s.mix, s.f), []).append(s)
        for (mix, f), steps in groups.items():
            rates, lockwaits, busys, counts = [], [], [], []
            for s in steps:
                if not s.lines:
                    continue
                rates.append(sum(x["rate"] for x in s.lines))
                lockwaits.append(statistics.mean(x["lockwait"] for x in s.lines))
                busys.append(max(x["leaderbusy"] for x in s.lines))
                counts.append(len(s.lines))
            if not rates:
                continue
            note = ""
            if min(counts) < sb.instances:
                note = "only %d of %d OS instances reported" % (min(counts), sb.instances)
                if mix == "file" and cfg.org == "private":
                    note += " (instance 0 owns the disk: the others' file system is read-only)"
            first = next(s.lines[0] for s in steps if s.lines)
            rows.append(dict(
                config=cfg.name, model=cfg.org, options=cfg.options, smp=sb.smp, mix=mix,
                f=fmt_f(f) if f is not None else "", cycles=first["cycles"] if mix == "dial" else "",
                regions=first["regions"] if mix == "dial" else "", reps=len(rates),
                rate_median=round(median(rates), 1), rate_min=round(min(rates), 1),
                rate_max=round(max(rates), 1), lockwait_median=round(median(lockwaits), 4),
                leaderbusy_median=round(median(busys), 4), oversubscribed=int(oversubscribed(sb.smp)),
                tsc_mhz=sb.boot.mhz() if sb.boot and sb.boot.mhz() else "",
                instances="%d/%d" % (min(counts), sb.instances), note=note))
    return rows


RESULT_FIELDS = ["config", "model", "options", "smp", "mix", "f", "cycles", "regions", "reps",
                 "rate_median", "rate_min", "rate_max", "lockwait_median", "leaderbusy_median",
                 "oversubscribed", "instances", "note", "tsc_mhz"]


def write_csv(path, fields, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


# ------------------------------------------------------------------ primitives


def run_prims(runner, progress, problems, timeout):
    """The primitive boots; rows for primitives.csv and the TSC rate seen."""
    rows, mhz = [], []
    for cfg_name, smp, program, kind in PRIM_BOOTS:
        cfg = BY_NAME[cfg_name]
        cmdline = '%s run="%s"' % (cfg.options, program)
        name = "prims-%s" % cfg.name
        say("%s boot %s -smp %d: %s (log %s)" % (progress.counter(), cfg.label, smp, program,
                                                  rel(os.path.join(runner.logdir, name + ".log"))))
        b = runner.boot(name, cmdline, smp, None, timeout)
        progress.step(PRIM_BOOT_S)
        if b.mhz():
            mhz.append(b.mhz())
        found = 0
        for line in b.lines:
            m = RE_PRIM.search(line)
            if m:
                prim = m.group(1)
                label = prim
                if kind == "forwarded":
                    label = "%s, forwarded (pin 1)" % prim
                rows.append(dict(primitive=label, name=prim, kind=kind, config=cfg.name, options=cfg.options,
                                 smp=smp, cycles_median=int(m.group(2)),
                                 cycles_min=m.group(3), cycles_max=m.group(4), runs=int(m.group(5)), note=""))
                found += 1
                continue
            m = RE_PRIM_NA.search(line)
            if m and (m.group(1) in program.split() or program == "prims"):
                rows.append(dict(primitive=m.group(1), name=m.group(1), kind=kind, config=cfg.name,
                                 options=cfg.options, smp=smp, cycles_median="", cycles_min="",
                                 cycles_max="", runs=0, note="n/a (%s)" % m.group(2)))
        why = b.problem()
        if why or not found:
            msg = "%s -smp %d %s: %s (log %s)" % (cfg.label, smp, program,
                                                 why or "no prim: line", rel(b.log))
            problems.append(msg)
            say("PROBLEM: " + msg)
        else:
            say("%s %s: %d primitive(s) (%s)" % (progress.counter(), cfg.label, found, progress.left()))
    hz = statistics.median(mhz) * 1e6 if mhz else None
    # "migration n/a (only under fine, sched=percpu)" from the bkl boot is
    # no news when the fine boot measured it.
    measured_names = {r["name"] for r in rows if r["cycles_median"] != ""}
    rows = [r for r in rows if r["cycles_median"] != "" or r["name"] not in measured_names]
    for r in rows:
        if r["cycles_median"] != "" and hz:
            r["ns_median"] = round(r["cycles_median"] / hz * 1e9, 1)
        else:
            r["ns_median"] = ""
    return rows, hz


PRIM_FIELDS = ["primitive", "config", "options", "smp", "cycles_median", "cycles_min", "cycles_max",
               "runs", "ns_median", "note", "name", "kind"]


def read_csvs(outdir):
    """results.csv and primitives.csv as written by an earlier run (--replot)."""
    rows, prims = [], []
    with open(os.path.join(outdir, "results.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            r["smp"] = int(r["smp"])
            r["oversubscribed"] = int(r["oversubscribed"])
            for k in ("rate_median", "rate_min", "rate_max", "lockwait_median", "leaderbusy_median"):
                r[k] = float(r[k])
            rows.append(r)
    path = os.path.join(outdir, "primitives.csv")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                r["smp"] = int(r["smp"])
                if r["cycles_median"] != "":
                    r["cycles_median"] = int(r["cycles_median"])
                    r["ns_median"] = float(r["ns_median"]) if r["ns_median"] else ""
                prims.append(r)
    return rows, prims


def prim_value(rows, name, config):
    for r in rows:
        if r["name"] == name and r["config"] == config and r["cycles_median"] != "":
            return float(r["cycles_median"])
    return None


def prim_table(rows):
    head = ["primitive", "measured under", "cycles median", "min", "max", "ns"]
    body = []
    for r in rows:
        under = "%s -smp %d" % (BY_NAME[r["config"]].label, r["smp"])
        if r["cycles_median"] == "":
            body.append([r["primitive"], under, r["note"], "", "", ""])
        else:
            body.append([r["primitive"], under, str(r["cycles_median"]), str(r["cycles_min"]),
                         str(r["cycles_max"]), "%.0f" % r["ns_median"] if r["ns_median"] != "" else "-"])
    return table_text(head, body)


def table_text(head, body):
    widths = [max(len(str(row[i])) for row in [head] + body) for i in range(len(head))]
    out = []
    for row in [head] + body:
        out.append("  ".join(str(row[i]).ljust(widths[i]) if i == 0 else str(row[i]).rjust(widths[i])
                             for i in range(len(row))))
    return "\n".join(out)


# ------------------------------------------------------------------ traces


def private_trace_script(n):
    """Instance 0 starts the trace, every instance runs loadgen (behind a
    barrier, so instance 0 has started it first), instance 0 stops and
    dumps it once all are done, and halts."""
    out = []
    for i in list(range(1, n)):
        out.append("~%d\nbarrier trace %d\n%s\nbarrier trace %d\n" % (i, n, TRACE_LOADGEN, 2 * n))
    out.append("~0\ntrace start\nbarrier trace %d\n%s\nbarrier trace %d\ntrace stop\ntrace dump\nhalt\n"
               % (n, TRACE_LOADGEN, 2 * n))
    return "".join(out)


def run_traces(runner, progress, problems, outdir):
    made = []
    for cfg in CONFIGS:
        name = "trace-%s" % cfg.name
        say("%s boot %s -smp %d: trace of %s (log %s)" % (
            progress.counter(), cfg.label, TRACE_SMP, TRACE_LOADGEN,
            rel(os.path.join(runner.logdir, name + ".log"))))
        if cfg.org == "private":
            b = runner.boot(name, cfg.options, TRACE_SMP, private_trace_script(TRACE_SMP), 240)
        else:
            b = runner.boot(name, '%s run="trace run %s"' % (cfg.options, TRACE_LOADGEN), TRACE_SMP, None, 240)
        progress.step(TRACE_BOOT_S)
        why = b.problem()
        try:
            tr = trace2json.parse(b.lines)
            jpath = os.path.join(outdir, name + ".json")
            ppath = os.path.join(outdir, name + ".png")
            with open(jpath, "w", encoding="utf-8") as f:
                json.dump(trace2json.to_chrome(tr), f)
            trace2json.to_png(tr, ppath)
            made.append((cfg, jpath, ppath, tr.warnings))
            say("%s trace %s: %d events, %s, %s (%s)" % (progress.counter(), cfg.label, len(tr.events),
                                                        rel(jpath), rel(ppath), progress.left()))
            for w in tr.warnings:
                say("  trace %s: warning: %s" % (cfg.label, w))
        except (trace2json.TraceError, OSError) as e:
            why = (why + "; " if why else "") + "trace: %s" % e
        if why:
            msg = "trace %s -smp %d: %s (log %s)" % (cfg.label, TRACE_SMP, why, rel(b.log))
            problems.append(msg)
            say("PROBLEM: " + msg)
    return made


# ------------------------------------------------------------------ the model


def measured(rows, config, f, smp):
    for r in rows:
        if r["config"] == config and r["mix"] == "dial" and r["f"] == fmt_f(f) and r["smp"] == smp:
            return r
    return None


def run_model(rows, prim_rows, hz, plan, configs, problems):
    """Calibrate benchmodel per configuration and f; model.csv rows, the
    error table's rows, and the curves for the plots."""
    local_syscall = prim_value(prim_rows, "syscall", "bkl")
    handoff = prim_value(prim_rows, "handoff", "bkl")
    out, errors, curves = [], [], {}
    if not hz:
        problems.append("model: no TSC rate (no boot printed 'TSC runs at X MHz'): no model")
        return out, errors, curves
    smps = sorted({r["smp"] for r in rows})
    for cfg in configs:
        forward = 0.0
        note = ""
        if cfg.org == "leader":
            fwd = prim_value(prim_rows, "syscall", cfg.name)
            if fwd is not None and local_syscall is not None:
                forward = max(0.0, fwd - local_syscall)
            else:
                note = "forward=0: the forwarded or the local syscall cost is missing"
        ho = 0.0
        if cfg.org in ("bkl", "fine"):
            if handoff is not None:
                ho = handoff
            else:
                note = "handoff=0: the handoff cost is missing"
        regions = REGIONS if cfg.org == "fine" else 1
        for f in plan["fs"]:
            r1, r2 = measured(rows, cfg.name, f, 1), measured(rows, cfg.name, f, 2)
            if not r1 or not r2 or r1["rate_median"] <= 0 or r2["rate_median"] <= 0:
                problems.append("model %s f=%s: no rate at -smp 1 and 2 to calibrate from" % (cfg.label, fmt_f(f)))
                continue
            p = benchmodel.calibrate(cfg.org, f, r1["rate_median"], r2["rate_median"], hz,
                                     regions=regions, forward=forward, handoff=ho)
            grid = sorted(set(plan["grid"]) | set(smps))
            curve = []
            for n in grid:
                pred = benchmodel.predict(cfg.org, n, p)
                b = benchmodel.org_bound(cfg.org, n, p)
                bnd = b * hz if b is not None else None
                m = measured(rows, cfg.name, f, n)
                err = ""
                if m and m["rate_median"] > 0:
                    err = benchmodel.relative_error(pred, m["rate_median"])
                    if n not in (1, 2):
                        errors.append((cfg, f, n, pred, m["rate_median"], err, m["oversubscribed"]))
                curve.append((n, pred, bnd))
                out.append(dict(config=cfg.name, model=cfg.org, f=fmt_f(f), cpus=n,
                                predicted=round(pred, 1), bound=round(bnd, 1) if bnd is not None else "",
                                measured_median=m["rate_median"] if m else "",
                                rel_error=round(err, 4) if err != "" else "",
                                oversubscribed=int(oversubscribed(n)),
                                user_cycles=round(p.user), kernel_cycles=round(p.kernel),
                                forward=round(p.forward), handoff=round(p.handoff), regions=p.regions,
                                hz=round(hz), calibrated_f=round(p.kernel / (p.user + p.kernel), 4),
                                note=note))
            curves[(cfg.name, fmt_f(f))] = (p, curve)
    return out, errors, curves


MODEL_FIELDS = ["config", "model", "f", "cpus", "predicted", "bound", "measured_median", "rel_error",
                "oversubscribed", "user_cycles", "kernel_cycles", "calibrated_f", "forward", "handoff",
                "regions", "hz", "note"]


def error_table(errors, plan):
    ns = [n for n in plan["smp"] if n > 2]
    cells = {}
    for cfg, f, n, pred, meas, err, over in errors:
        cells[(cfg.name, fmt_f(f), n)] = "%+.0f%%%s" % (100 * err, "*" if over else "")
    head = ["config", "f"] + ["err@%d" % n for n in ns]
    body = []
    for cfg in CONFIGS:
        for f in plan["fs"]:
            row = [cfg.label, fmt_f(f)] + [cells.get((cfg.name, fmt_f(f), n), "-") for n in ns]
            if any(c != "-" for c in row[2:]):
                body.append(row)
    return table_text(head, body)


# ------------------------------------------------------------------ plots

COLOURS = {"bkl": "#d62728", "leader-ipi": "#1f77b4", "leader-poll": "#17becf", "private": "#2ca02c",
           "fine-global": "#9467bd", "fine-percpu": "#ff7f0e"}
F_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"]


def gp_str(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def over_edge():
    """Where the oversubscribed region starts on a log-2 axis of CPU counts."""
    c = host_cores()
    return c * math.sqrt(2)


def gp_common(png, title, xlabel, ylabel, logy=False, xmax=80):
    s = ["set terminal pngcairo size 1500,800 font ',10'",
         "set output %s" % gp_str(png),
         "set title %s" % gp_str(title),
         "set xlabel %s" % gp_str(xlabel),
         "set ylabel %s" % gp_str(ylabel),
         "set logscale x 2",
         "set xrange [0.8:%g]" % xmax,
         "set grid",
         "set key outside right top font ',9'",
         "set object 1 rect from first %g, graph 0 to graph 1, graph 1 fc rgb '#ececec' fs solid noborder behind"
         % over_edge(),
         "set label 1 %s at first %g, graph 0.90 left front textcolor rgb '#555555'"
         % (gp_str("oversubscribed: N > %d host cores" % host_cores()), over_edge() * 1.05)]
    if logy:
        s.append("set logscale y 10")
    return s


def dat_path(plotdir, name):
    return os.path.join(plotdir, name + ".dat")


def write_dat(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(" ".join("NaN" if v is None else repr(v) if isinstance(v, float) else str(v) for v in r) + "\n")


def run_gnuplot(script_path, problems):
    p = subprocess.run(["gnuplot", script_path], capture_output=True, text=True)
    if p.returncode != 0:
        problems.append("gnuplot %s failed: %s" % (rel(script_path), p.stderr.strip()[-500:]))
        return False
    return True


def write_plot(gp, header, plots, png, made, problems):
    """Write a gnuplot script (header lines, then one plot command of
    `plots`) and run it; a PNG that came out goes on `made`."""
    with open(gp, "w", encoding="utf-8") as fh:
        fh.write("\n".join(header + ["plot " + ", \\\n     ".join(plots)]) + "\n")
    if run_gnuplot(gp, problems):
        made.append(png)


def make_plots(rows, curves, plan, outdir, problems):
    if not shutil.which("gnuplot"):
        problems.append("gnuplot not found (apt-get install gnuplot-nox): no plots")
        return []
    plotdir = os.path.join(outdir, "plot")
    os.makedirs(plotdir, exist_ok=True)
    made = []
    dial = [r for r in rows if r["mix"] == "dial"]
    max_smp = max([r["smp"] for r in dial] or [1])

    def points(cfg, f):
        pts = sorted((r for r in dial if r["config"] == cfg.name and r["f"] == fmt_f(f)), key=lambda r: r["smp"])
        return pts

    for f in plan["fs"]:
        ftag = "f%s" % fmt_f(f)
        # --- throughput and speedup
        tp = os.path.join(outdir, "throughput-%s.png" % ftag)
        sp = os.path.join(outdir, "speedup-%s.png" % ftag)
        ts = gp_common(tp, "loadgen throughput at f = %s (U+K = %d cycles): measured (min..max), "
                           "model (dashed), bound (dotted)" % (fmt_f(f), CYCLES),
                       "CPUs (N)", "iterations per second (whole machine)", logy=True)
        ss = gp_common(sp, "speedup at f = %s: rate(N) / rate(1), measured and model (dashed)" % fmt_f(f),
                       "CPUs (N)", "speedup", logy=True)
        ts.append("set arrow 1 from first %g, graph 0 to first %g, graph 1 nohead dt 3 lw 2 lc rgb '#444444'"
                  % (1 / f, 1 / f))
        ts.append("set label 2 %s at first %g, graph 0.96 left" % (
            gp_str("texts: the leader saturates at N = 1/f = %.3g" % (1 / f)), 1 / f * 1.05))
        ss.append("set arrow 1 from first %g, graph 0 to first %g, graph 1 nohead dt 3 lw 2 lc rgb '#444444'"
                  % (1 / f, 1 / f))
        ss.append("set label 2 %s at first %g, graph 0.96 left" % (gp_str("N = 1/f"), 1 / f * 1.05))
        tplots, splots = [], []
        for cfg in CONFIGS:
            col = COLOURS[cfg.name]
            pts = points(cfg, f)
            base = pts[0]["rate_median"] if pts and pts[0]["smp"] == 1 else None
            if pts:
                d = dat_path(plotdir, "meas-%s-%s" % (cfg.name, ftag))
                write_dat(d, [(r["smp"], r["rate_median"], r["rate_min"], r["rate_max"],
                               r["rate_median"] / base if base else None,
                               r["rate_min"] / base if base else None,
                               r["rate_max"] / base if base else None) for r in pts])
                tplots.append("%s using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb '%s' title %s"
                              % (gp_str(d), col, gp_str(cfg.label + " measured")))
                if base:
                    splots.append("%s using 1:5:6:7 with yerrorlines lw 2 pt 7 lc rgb '%s' title %s"
                                  % (gp_str(d), col, gp_str(cfg.label + " measured")))
            c = curves.get((cfg.name, fmt_f(f)))
            if c:
                p, curve = c
                d = dat_path(plotdir, "model-%s-%s" % (cfg.name, ftag))
                x1 = curve[0][1] if curve and curve[0][0] == 1 else None
                write_dat(d, [(n, pred, bnd, pred / x1 if x1 else None) for n, pred, bnd in curve])
                tplots.append("%s using 1:2 with lines dt 2 lw 1.5 lc rgb '%s' title %s"
                              % (gp_str(d), col, gp_str(cfg.label + " model")))
                if cfg.org in ("bkl", "leader"):
                    tplots.append("%s using 1:3 with lines dt 3 lw 1 lc rgb '%s' title %s"
                                  % (gp_str(d), col, gp_str(cfg.label + " bound min(N/(U+K), 1/K)")))
                if x1:
                    splots.append("%s using 1:4 with lines dt 2 lw 1.5 lc rgb '%s' notitle" % (gp_str(d), col))
        # The dial's own bound, as the texts reason: K = f(U+K) of the one
        # server per iteration, U+K of each CPU, at the TSC rate.
        hz = next((c[0].hz for c in curves.values()), None)
        if hz and tplots:
            k = f * CYCLES
            d = dat_path(plotdir, "dialbound-%s" % ftag)
            write_dat(d, [(n, hz * benchmodel.bound(n, CYCLES - k, k)) for n in plan["grid"]])
            tplots.append("%s using 1:2 with lines dt 3 lw 2 lc rgb '#000000' title %s" % (
                gp_str(d), gp_str("dial's bound min(N/(U+K), 1/K), K = f*%d cycles" % CYCLES)))
        if tplots:
            write_plot(os.path.join(plotdir, "throughput-%s.gp" % ftag), ts, tplots, tp, made, problems)
        if splots:
            splots.append("x with lines lw 1 lc rgb '#888888' dt 4 title 'ideal: N'")
            write_plot(os.path.join(plotdir, "speedup-%s.gp" % ftag), ss, splots, sp, made, problems)
        # --- lock wait per configuration
        lp = os.path.join(outdir, "lockwait-%s.png" % ftag)
        ls = gp_common(lp, "share of CPU time spinning for kernel locks, f = %s" % fmt_f(f),
                       "CPUs (N)", "lock-wait share", xmax=max_smp * 1.5)
        ls.append("set yrange [0:*]")
        lplots = []
        for cfg in CONFIGS:
            pts = points(cfg, f)
            if pts:
                d = dat_path(plotdir, "meas-%s-%s" % (cfg.name, ftag) + "-lw")
                write_dat(d, [(r["smp"], r["lockwait_median"]) for r in pts])
                lplots.append("%s using 1:2 with linespoints lw 2 pt 7 lc rgb '%s' title %s"
                              % (gp_str(d), COLOURS[cfg.name], gp_str(cfg.label)))
        if lplots:
            write_plot(os.path.join(plotdir, "lockwait-%s.gp" % ftag), ls, lplots, lp, made, problems)
    # --- the leader's busy share, a line per f (ipi solid, poll dashed)
    bp = os.path.join(outdir, "leaderbusy.png")
    bs = gp_common(bp, "leader's share of time serving followers (forward=ipi solid, forward=poll dashed)",
                   "CPUs (N)", "leader busy share", xmax=max_smp * 1.5)
    bs.append("set yrange [0:1.05]")
    bplots = []
    for i, f in enumerate(plan["fs"]):
        col = F_COLOURS[i % len(F_COLOURS)]
        for cfg, dt in ((BY_NAME["leader-ipi"], 1), (BY_NAME["leader-poll"], 2)):
            pts = [r for r in points(cfg, f) if r["leaderbusy_median"] >= 0]
            if pts:
                d = dat_path(plotdir, "busy-%s-f%s" % (cfg.name, fmt_f(f)))
                write_dat(d, [(r["smp"], r["leaderbusy_median"]) for r in pts])
                bplots.append("%s using 1:2 with linespoints dt %d lw 2 pt 7 lc rgb '%s' title %s"
                              % (gp_str(d), dt, col, gp_str("f = %s, %s" % (fmt_f(f), cfg.label))))
    if bplots:
        write_plot(os.path.join(plotdir, "leaderbusy.gp"), bs, bplots, bp, made, problems)
    return made


# ------------------------------------------------------------------ main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="the short version (make bench QUICK=1)")
    ap.add_argument("--kernel", default=os.path.join(REPO, "build", "kernel.elf"))
    ap.add_argument("--initrd", default=os.path.join(REPO, "build", "initrd.cpio"))
    ap.add_argument("--disk", default=os.path.join(REPO, "build", "disk.img"))
    ap.add_argument("--out", default=os.path.join(REPO, "build", "bench"))
    ap.add_argument("--mem", default="512M", help="guest memory (private splits it between the CPUs)")
    ap.add_argument("--configs", default="", help="only these configurations, comma-separated "
                    "(%s)" % ",".join(c.name for c in CONFIGS))
    ap.add_argument("--smp", default="", help="only these CPU counts, e.g. 1,2,8 (calibrating the "
                    "model needs 1 and 2)")
    ap.add_argument("--f", default="", help="only these values of the dial, e.g. 0.1,0.5")
    ap.add_argument("--no-prims", action="store_true")
    ap.add_argument("--replot", action="store_true", help="boot nothing: the model, plots and summary "
                    "again from the CSVs of the last run (after changing this script, say)")
    ap.add_argument("--plan", action="store_true", help="print the plan (boots, runs, nominal time) and "
                    "the first sweep boot's shell script, then stop")
    ap.add_argument("--no-traces", action="store_true")
    ap.add_argument("--jobs", type=int, default=0, help="sweep boots at once (default: host cores // -smp, "
                    "so that every virtual CPU has a real core)")
    args = ap.parse_args(argv)
    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)
    plan = dict(QUICK if args.quick else FULL)
    try:
        if args.smp:
            plan["smp"] = [int(w) for w in args.smp.split(",") if w.strip()]
        if args.f:
            plan["fs"] = [float(w) for w in args.f.split(",") if w.strip()]
    except ValueError as e:
        ap.error(str(e))
    configs = CONFIGS
    if args.configs:
        want = [w.strip() for w in args.configs.split(",") if w.strip()]
        bad = [w for w in want if w not in BY_NAME]
        if bad:
            ap.error("unknown configuration(s): %s" % ", ".join(bad))
        configs = [BY_NAME[w] for w in want]
    t_start = time.monotonic()

    boots = [SweepBoot(cfg, smp, plan) for cfg in configs for smp in plan["smp"]]
    nsteps = sum(len(b.steps) for b in boots)
    nprim = 0 if args.no_prims else len(PRIM_BOOTS)
    ntrace = 0 if args.no_traces else len(CONFIGS)
    ncurves = len(configs) * len(plan["fs"])
    nominal = (sum(b.nominal() for b in boots) + nprim * PRIM_BOOT_S + ntrace * TRACE_BOOT_S +
               ncurves * (len(plan["grid"]) + 14) * PREDICT_S)
    progress = Progress(nsteps + nprim + ntrace, nominal)
    say("%s: %d configurations x -smp %s, f = %s, %d repeat(s) of %d ms; mixes at -smp %s; "
        "%d sweep boots with %d loadgen runs, %d primitive boots, %d trace boots; host has %d cores "
        "(-smp above that is marked oversubscribed); nominal %.0f min" % (
            "QUICK" if args.quick else "full sweep", len(configs), ",".join(map(str, plan["smp"])),
            ", ".join(fmt_f(f) for f in plan["fs"]), plan["reps"], plan["ms"],
            ",".join(map(str, plan["mix_smp"])), len(boots), nsteps, nprim, ntrace, host_cores(),
            nominal / 60))

    if args.plan:
        for b in boots:
            print("  %-22s -smp %d: %2d runs, nominal %3.0f s" % (b.config.label, b.smp, len(b.steps), b.nominal()))
        if boots:
            print("the shell script of %s:\n%s" % (boots[0].name(), boots[0].script()))
        return 0

    runner = Runner(args)
    problems = []
    prim_rows, prim_hz, traces = [], None, []

    def stop(signum, frame):
        runner.stop()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    results_csv = os.path.join(args.out, "results.csv")
    prims_csv = os.path.join(args.out, "primitives.csv")
    if args.replot:
        try:
            rows, prim_rows = read_csvs(args.out)
        except (OSError, KeyError, ValueError) as e:
            say("--replot: cannot read the CSVs of the last run in %s: %s" % (rel(args.out), e))
            return 1
        rows = [r for r in rows if r["config"] in {c.name for c in configs}]
        plan["fs"] = sorted({float(r["f"]) for r in rows if r["mix"] == "dial"})
        plan["smp"] = sorted({r["smp"] for r in rows})
        mhz = [float(r["tsc_mhz"]) for r in rows if r.get("tsc_mhz")]
        pc = [r for r in prim_rows if r["cycles_median"] != "" and r["ns_median"]]
        prim_hz = pc[0]["cycles_median"] / pc[0]["ns_median"] * 1e9 if pc else None
    else:
        try:
            run_sweep(runner, boots, progress, problems, args.jobs)
            if not args.no_prims:
                prim_rows, prim_hz = run_prims(runner, progress, problems, 45 if args.quick else 180)
            if not args.no_traces:
                traces = run_traces(runner, progress, problems, args.out)
        except KeyboardInterrupt:
            runner.stop()
            say("interrupted: writing what was measured so far")
        rows = collect_rows(boots)
        write_csv(results_csv, RESULT_FIELDS, rows)
        write_csv(prims_csv, PRIM_FIELDS, prim_rows)
        mhz = [b.boot.mhz() for b in boots if b.boot and b.boot.mhz()]
    hz = statistics.median(mhz) * 1e6 if mhz else prim_hz
    if args.replot:
        for cfg in configs:
            j, p = (os.path.join(args.out, "trace-%s.%s" % (cfg.name, e)) for e in ("json", "png"))
            if os.path.isfile(j) and os.path.isfile(p):
                traces.append((cfg, j, p, []))
    say("the model: calibrating %d curves and predicting 1..64 CPUs (%s)" % (
        len(configs) * len(plan["fs"]), progress.left()))
    model_rows, errors, curves = run_model(rows, prim_rows, hz, plan, configs, problems)
    model_csv = os.path.join(args.out, "model.csv")
    write_csv(model_csv, MODEL_FIELDS, model_rows)
    pngs = make_plots(rows, curves, plan, args.out, problems)

    # ---- the summary
    wall = time.monotonic() - t_start
    print()
    say("summary (%.1f min; host: %d cores; TSC %s)" % (
        wall / 60, host_cores(), "%.0f MHz" % (hz / 1e6) if hz else "unknown"))
    print("  results:    %s (%d rows)" % (rel(results_csv), len(rows)))
    print("  primitives: %s" % rel(prims_csv))
    print("  model:      %s" % rel(model_csv))
    for p in pngs:
        print("  plot:       %s" % rel(p))
    for cfg, j, p, w in traces:
        print("  trace:      %s, %s" % (rel(j), rel(p)))
    print("  logs:       %s/" % rel(runner.logdir))
    if prim_rows:
        print("\nprimitives (TSC cycles; ns at %s):" % ("%.0f MHz" % (prim_hz / 1e6) if prim_hz else "?"))
        print(prim_table(prim_rows))
    if errors:
        print("\nmodel error (predicted - measured) / measured, calibrated at -smp 1 and 2"
              " (* = oversubscribed: -smp > %d host cores):" % host_cores())
        print(error_table(errors, plan))
    dial = {}
    for r in rows:
        if r["mix"] == "dial" and r["f"] == fmt_f(MAIN_F if MAIN_F in plan["fs"] else plan["fs"][0]):
            dial.setdefault(r["config"], {})[r["smp"]] = r
    if dial:
        f0 = MAIN_F if MAIN_F in plan["fs"] else plan["fs"][0]
        print("\nrate at f = %s, iterations/s (median of the repeats; * oversubscribed):" % fmt_f(f0))
        head = ["config"] + ["-smp %d" % n for n in plan["smp"]]
        body = []
        for cfg in configs:
            if cfg.name in dial:
                body.append([cfg.label] + ["%.0f%s" % (dial[cfg.name][n]["rate_median"],
                                                       "*" if dial[cfg.name][n]["oversubscribed"] else "")
                                           if n in dial[cfg.name] else "-" for n in plan["smp"]])
        print(table_text(head, body))
    if problems:
        print("\nproblems (%d):" % len(problems))
        for p in problems:
            print("  - " + p)
    if not rows and not any(r["cycles_median"] != "" for r in prim_rows):
        say("nothing could be measured")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
