#!/usr/bin/env python3
"""tools/trace2json.py - turn the kernel's per-CPU trace dump into a timeline.

    python3 tools/trace2json.py LOG [--json OUT.json] [--png OUT.png]
                                    [--index K] [--summary]

LOG is a serial-console log ("-" reads standard input). The kernel prints a
dump as lines (anywhere on a line, after any prefix such as "$ " or
terminal junk; every other line of the log is ignored):

    trace: begin cpus=<n> hz=<tsc ticks per second> model=<bkl|leader|private|fine>
    trace: lock <id> <name, spaces allowed>
    trace: ev <cpu> <tsc> <type> <arg>
    trace: end events=<n> dropped=<n>

Outputs:
  --json OUT   Chrome trace-event JSON (open it in https://ui.perfetto.dev or
               chrome://tracing): one thread per CPU, one box per state
               interval, a mark per instant event. "-" writes to stdout.
  --png OUT    a timeline picture drawn by gnuplot (one row per CPU).
  --summary    per CPU, the share of time spent in each state.
  With none of them, the JSON goes to stdout.

A log may hold several dumps: the last complete one is used unless --index K
picks the K-th (counting from 0, complete or not). Warnings (a dump cut short,
events dropped by full ring buffers, unreadable lines) go to stderr.

As a module: parse(lines) -> Trace, states(trace) -> per-CPU lists of
(start_tsc, end_tsc, state), to_chrome(trace) -> dict, summary(trace) -> str,
to_png(trace, path).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import namedtuple
from dataclasses import dataclass, field

# ---------------------------------------------------------------- the states

USER = "user"
KERNEL = "kernel"
LOCK_WAIT = "lock wait"          # a state name is "lock wait: <lock name>"
LEADER = "waiting for leader"
IDLE = "idle"
KINDS = [USER, KERNEL, LOCK_WAIT, LEADER, IDLE]   # table and legend order

# Events that put a CPU into a new state. lwait/lgot are not here: they need
# to remember the state before the wait. Every other type is an instant event.
NEXT_STATE = {
    "kin": KERNEL, "kout": USER,
    "fwd": LEADER, "fwdret": KERNEL,
    "idle": IDLE, "wake": KERNEL,
}

# Instant events: the name shown in the viewer and what their arg means.
INSTANTS = {
    "sw": ("switch", "pid"),
    "mig": ("migrate", "pid"),
    "ipis": ("IPI sent", "target_cpu"),
    "ipir": ("IPI received", "vector"),
}


def kind(state):
    """The kind of a state: "lock wait: run queue" is a LOCK_WAIT."""
    return LOCK_WAIT if state.startswith(LOCK_WAIT + ":") else state


# ---------------------------------------------------------------- parsing

Event = namedtuple("Event", "cpu tsc type arg")


@dataclass
class Trace:
    """One dump: from a "begin" line to its "end" line (or where it stops)."""
    cpus: int
    hz: int
    model: str
    locks: dict = field(default_factory=dict)      # lock id -> name
    events: list = field(default_factory=list)     # Events in log order
    complete: bool = False                         # its "end" line was seen
    declared_events: int = None                    # events=<n> of the end line
    dropped: int = 0
    bad_lines: int = 0                             # trace lines we could not read
    warnings: list = field(default_factory=list)

    def lock_name(self, lock_id):
        return self.locks.get(lock_id, "lock %d" % lock_id)


class TraceError(Exception):
    """A problem that stops the conversion (no dump, bad --index, no gnuplot)."""


# Terminal escape sequences (colours, cursor moves) that may sit on a line.
ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-_])")
# Where a trace line starts: anything may come before "trace:".
TRACE_LINE = re.compile(r"trace: (\w+) ?(.*)$")
NUMBER = re.compile(r"\d+$")


def clean(line):
    """Drop escape sequences, carriage returns and the line end."""
    return ANSI.sub("", line).replace("\r", "").rstrip("\n")


def parse_keys(text):
    """"cpus=2 hz=100 model=fine" -> {"cpus": "2", ...}; other words ignored."""
    return dict(w.split("=", 1) for w in text.split() if "=" in w)


def start_dump(text):
    """A "begin" line -> a new Trace, or None when it lacks a number."""
    keys = parse_keys(text)
    cpus, hz = keys.get("cpus", ""), keys.get("hz", "")
    if not (NUMBER.match(cpus) and NUMBER.match(hz)):
        return None
    trace = Trace(cpus=int(cpus), hz=int(hz), model=keys.get("model", "?"))
    if trace.hz == 0:
        # Avoid dividing by zero; times are then in ticks, not microseconds.
        trace.hz = 1000000
        trace.warnings.append("begin line says hz=0: times shown are TSC ticks")
    return trace


def read_event(text):
    """"<cpu> <tsc> <type> <arg>" -> Event, or None if it is not that."""
    words = text.split()
    if len(words) != 4 or not all(NUMBER.match(words[i]) for i in (0, 1, 3)):
        return None
    return Event(int(words[0]), int(words[1]), words[2], int(words[3]))


def add_line(trace, word, rest):
    """Add one lock/ev line to an open dump; False if it could not be read."""
    if word == "ev":
        ev = read_event(rest)
        if ev and ev.cpu < trace.cpus:    # a CPU beyond cpus=: a garbled line
            trace.events.append(ev)
            return True
        return False
    if word == "lock":
        lock_id, _, name = rest.partition(" ")
        if NUMBER.match(lock_id) and name.strip():
            trace.locks[int(lock_id)] = name.strip()
            return True
    return False


def finish_dump(trace, rest):
    """An "end" line: remember its counts and warn about what they say."""
    keys = parse_keys(rest)
    trace.complete = True
    if NUMBER.match(keys.get("events", "")):
        trace.declared_events = int(keys["events"])
    if NUMBER.match(keys.get("dropped", "")):
        trace.dropped = int(keys["dropped"])


def parse_dumps(lines):
    """Every dump in a log, in order, complete or cut short."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    dumps, cur = [], None
    for raw in lines:
        m = TRACE_LINE.search(clean(raw))
        if not m:
            continue                       # ordinary console output
        word, rest = m.group(1), m.group(2)
        if word == "begin":
            cur = start_dump(rest)         # an open dump without "end" stays cut short
            if cur:
                dumps.append(cur)
        elif cur is None:
            continue                       # lock/ev/end lines outside a dump
        elif word == "end":
            finish_dump(cur, rest)
            cur = None
        elif not add_line(cur, word, rest):
            cur.bad_lines += 1
    for trace in dumps:
        check(trace)
    return dumps


def check(trace):
    """Warnings about one dump (they are shown, the conversion goes on)."""
    w = trace.warnings
    if not trace.complete:
        w.append("dump cut short (no 'trace: end' line): converting the %d events there are"
                 % len(trace.events))
    if trace.dropped:
        w.append("%d events dropped (ring buffers overflowed): the trace has gaps"
                 % trace.dropped)
    if trace.declared_events is not None and trace.declared_events != len(trace.events):
        w.append("end line says events=%d but %d were read"
                 % (trace.declared_events, len(trace.events)))
    if trace.bad_lines:
        w.append("%d unreadable trace lines ignored" % trace.bad_lines)


def parse(lines, index=None):
    """The dump to convert: the index-th one, or by default the last complete
    one (the last one at all if none is complete)."""
    dumps = parse_dumps(lines)
    if not dumps:
        raise TraceError("no trace dump in the log (no 'trace: begin' line)")
    if index is not None:
        if not 0 <= index < len(dumps):
            raise TraceError("--index %d: the log has %d dump(s), 0..%d"
                             % (index, len(dumps), len(dumps) - 1))
        return dumps[index]
    complete = [i for i, d in enumerate(dumps) if d.complete]
    chosen = complete[-1] if complete else len(dumps) - 1
    if chosen != len(dumps) - 1:
        dumps[chosen].warnings.append(
            "the last dump is cut short: using dump %d, the last complete one "
            "(--index %d for the cut one)" % (chosen, len(dumps) - 1))
    return dumps[chosen]


# ---------------------------------------------------------------- states

def next_state(trace, ev, state, before_wait):
    """The state a CPU is in after ev, or None if ev changes nothing."""
    if ev.type == "lwait":
        # Remember where to return; with no state yet, the CPU was surely in
        # the kernel, the only place locks are taken.
        before_wait.append(state or KERNEL)
        return LOCK_WAIT + ": " + trace.lock_name(ev.arg)
    if ev.type == "lgot":
        return before_wait.pop() if before_wait else KERNEL
    if ev.type in NEXT_STATE:
        # Leaving a lock wait any other way means events went missing:
        # forget the waits rather than return to them later.
        before_wait.clear()
        return NEXT_STATE[ev.type]
    return None


def cpu_states(trace, events, end_tsc):
    """The (start_tsc, end_tsc, state) intervals of one CPU's events."""
    intervals, state, since, before_wait = [], None, None, []
    for ev in events:
        new = next_state(trace, ev, state, before_wait)
        if new is None or new == state:
            continue                        # same state: the interval goes on
        if state is not None and ev.tsc > since:
            intervals.append((since, ev.tsc, state))
        state, since = new, ev.tsc          # before the first change: unknown
    # The last state lasts until the end of the trace (its last event on any
    # CPU): the dump does not say when it was taken.
    if state is not None and end_tsc > since:
        intervals.append((since, end_tsc, state))
    return intervals


def states(trace):
    """Per CPU (a list indexed by CPU number), the list of
    (start_tsc, end_tsc, state) intervals, in time order. Zero-length
    intervals are left out."""
    if not trace.events:
        return [[] for _ in range(trace.cpus)]
    end_tsc = max(e.tsc for e in trace.events)
    per_cpu = events_by_cpu(trace)
    return [cpu_states(trace, evs, end_tsc) for evs in per_cpu]


def events_by_cpu(trace):
    """Each CPU's events in time order (stable: equal times keep log order)."""
    per_cpu = [[] for _ in range(trace.cpus)]
    for ev in trace.events:
        per_cpu[ev.cpu].append(ev)
    return [sorted(evs, key=lambda e: e.tsc) for evs in per_cpu]


# ---------------------------------------------------------------- Chrome JSON

def first_tsc(trace):
    return min((e.tsc for e in trace.events), default=0)


def micros(trace, tsc, t0):
    """TSC count -> microseconds since t0, to the nanosecond."""
    return round((tsc - t0) / trace.hz * 1e6, 3)


def metadata_events(trace):
    """Name the process after the model and one thread per CPU."""
    evs = [{"ph": "M", "pid": 0, "tid": 0, "name": "process_name",
            "args": {"name": "teachos " + trace.model}}]
    for cpu in range(trace.cpus):
        evs.append({"ph": "M", "pid": 0, "tid": cpu, "name": "thread_name",
                    "args": {"name": "CPU %d" % cpu}})
        # Keep CPUs in number order in the viewer (not by name: "CPU 10" < "CPU 2").
        evs.append({"ph": "M", "pid": 0, "tid": cpu, "name": "thread_sort_index",
                    "args": {"sort_index": cpu}})
    return evs


def interval_events(trace, t0):
    """One complete ("X") event per state interval."""
    evs = []
    for cpu, intervals in enumerate(states(trace)):
        for start, end, state in intervals:
            ts = micros(trace, start, t0)
            evs.append({"ph": "X", "pid": 0, "tid": cpu, "name": state,
                        "cat": kind(state), "ts": ts,
                        "dur": round(micros(trace, end, t0) - ts, 3)})
    return evs


def instant_events(trace, t0):
    """One instant ("i", thread scope) event per sw/mig/ipis/ipir or unknown event."""
    evs = []
    for ev in trace.events:
        if ev.type in NEXT_STATE or ev.type in ("lwait", "lgot"):
            continue
        name, arg_name = INSTANTS.get(ev.type, (ev.type, "arg"))
        evs.append({"ph": "i", "s": "t", "pid": 0, "tid": ev.cpu, "name": name,
                    "cat": ev.type, "ts": micros(trace, ev.tsc, t0),
                    "args": {arg_name: ev.arg}})
    return evs


def to_chrome(trace):
    """The trace as a Chrome trace-event JSON object (a dict for json.dump)."""
    t0 = first_tsc(trace)
    evs = metadata_events(trace) + interval_events(trace, t0) + instant_events(trace, t0)
    return {"traceEvents": evs, "displayTimeUnit": "ns",
            "otherData": {"model": trace.model, "cpus": trace.cpus, "hz": trace.hz,
                          "complete": trace.complete, "dropped": trace.dropped}}


# ---------------------------------------------------------------- summary

def time_in_kinds(intervals):
    """Ticks spent in each kind of state by one CPU."""
    ticks = dict.fromkeys(KINDS, 0)
    for start, end, state in intervals:
        k = kind(state)
        ticks[k] = ticks.get(k, 0) + end - start     # unknown kinds too, never crash
    return ticks


def summary(trace):
    """A table: per CPU, the traced time and the share of it in each state."""
    widths = [max(len(k), 6) for k in KINDS]      # each column as wide as its title
    head = "%-4s %9s" % ("CPU", "time ms") + "".join(
        "  %*s" % (w, k) for w, k in zip(widths, KINDS))
    lines = ["teachos trace: model=%s, %d CPUs, %d events%s" % (
        trace.model, trace.cpus, len(trace.events),
        "" if trace.complete else " (cut short)"), head]
    for cpu, intervals in enumerate(states(trace)):
        ticks = time_in_kinds(intervals)
        total = sum(ticks.values())
        shares = "".join("  %*.1f%%" % (w - 1, 100.0 * ticks[k] / total if total else 0)
                         for w, k in zip(widths, KINDS))
        lines.append("%-4d %9.3f" % (cpu, total / trace.hz * 1e3) + shares)
    return "\n".join(lines)


# ---------------------------------------------------------------- PNG

COLOURS = {USER: "#2ca02c", KERNEL: "#1f77b4", LOCK_WAIT: "#d62728",
           LEADER: "#ff7f0e", IDLE: "#c7c7c7"}
LEGEND = {USER: "user", KERNEL: "kernel", LOCK_WAIT: "waiting for a lock",
          LEADER: "waiting for the leader", IDLE: "idle"}


def write_data(trace, tmp):
    """One file per kind of state, a line "start_ms end_ms cpu" per interval.
    Returns {kind: path} for the kinds that occur."""
    t0, files = first_tsc(trace), {}
    rows = {k: [] for k in KINDS}
    for cpu, intervals in enumerate(states(trace)):
        for start, end, state in intervals:
            rows.setdefault(kind(state), []).append("%.6f %.6f %d" % (
                micros(trace, start, t0) / 1e3, micros(trace, end, t0) / 1e3, cpu))
    for k in KINDS:
        if rows[k]:
            files[k] = os.path.join(tmp, k.replace(" ", "_") + ".dat")
            with open(files[k], "w") as f:
                f.write("\n".join(rows[k]) + "\n")
    return files


def gnuplot_script(trace, files, png):
    """The gnuplot commands: each interval is a box from start to end,
    0.8 high, on its CPU's row."""
    n = trace.cpus
    t0, t_end = first_tsc(trace), max((e.tsc for e in trace.events), default=0)
    end_ms = max(0.001, micros(trace, t_end, t0) / 1e3)   # never an empty x range
    ytics = ", ".join('"CPU %d" %d' % (c, c) for c in range(n))
    size = "1200,%d" % (160 + 28 * n)
    plots = []
    for k in KINDS:
        style = 'fc rgb "%s" title "%s"' % (COLOURS[k], LEGEND[k])
        if k in files:   # x y xlow xhigh ylow yhigh
            plots.append("'%s' using 1:3:1:2:($3-0.4):($3+0.4) with boxxyerror %s"
                         % (files[k], style))
        else:            # a legend entry even when the state never occurs
            plots.append("NaN with boxes %s" % style)
    return "\n".join([
        # pngcairo draws nicer, the plain png terminal is there everywhere.
        'if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) '
        'set terminal pngcairo noenhanced size %s; else set terminal png noenhanced size %s'
        % (size, size),
        "set output '%s'" % png,
        'set title "teachos trace, model %s (%d CPUs%s)"' % (
            trace.model, n, "" if trace.complete else ", cut short"),
        'set xlabel "time (ms)"',
        "set xrange [0:%f]" % end_ms,
        "set yrange [%f:-0.5]" % (n - 0.5),          # CPU 0 on top
        "set ytics (%s)" % ytics,
        "set style fill solid 1.0 noborder",
        "set key outside below horizontal",
        "plot " + ", \\\n     ".join(plots),
        "",
    ])


def to_png(trace, path):
    """Draw the timeline into the PNG file path with gnuplot."""
    if not shutil.which("gnuplot"):
        raise TraceError("gnuplot not found: install it (apt-get install gnuplot-nox) "
                         "or leave out --png")
    with tempfile.TemporaryDirectory(prefix="trace2json.") as tmp:
        png = os.path.join(tmp, "out.png")      # a path safe to quote in the script
        script = os.path.join(tmp, "timeline.gp")
        with open(script, "w") as f:
            f.write(gnuplot_script(trace, write_data(trace, tmp), png))
        run = subprocess.run(["gnuplot", script], capture_output=True, text=True)
        if run.returncode != 0 or not os.path.exists(png):
            raise TraceError("gnuplot failed:\n" + run.stderr)
        shutil.copyfile(png, path)


# ---------------------------------------------------------------- command line

def read_log(path):
    """The log's lines; serial logs may hold bytes that are not UTF-8."""
    if path == "-":
        return sys.stdin.read().splitlines()
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def write_json(trace, path):
    text = json.dumps(to_chrome(trace), indent=1) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)


def main(argv=None):
    p = argparse.ArgumentParser(description="Convert a teachos trace dump to a timeline.")
    p.add_argument("log", metavar="LOG", help="serial-console log ('-' for stdin)")
    p.add_argument("--json", metavar="OUT.json", help="write Chrome trace JSON ('-' for stdout)")
    p.add_argument("--png", metavar="OUT.png", help="draw a timeline with gnuplot")
    p.add_argument("--index", type=int, metavar="K", help="use the K-th dump (from 0)")
    p.add_argument("--summary", action="store_true", help="print time shares per CPU")
    opts = p.parse_args(argv)
    if opts.json is None and opts.png is None and not opts.summary:
        opts.json = "-"
    try:
        if opts.png and not shutil.which("gnuplot"):
            # Say so before doing any work: the picture was asked for.
            raise TraceError("gnuplot not found: install it (apt-get install gnuplot-nox) "
                             "or leave out --png")
        trace = parse(read_log(opts.log), opts.index)
        for w in trace.warnings:
            print("trace2json: warning: " + w, file=sys.stderr)
        if opts.json:
            write_json(trace, opts.json)
        if opts.summary:
            print(summary(trace))
        if opts.png:
            to_png(trace, opts.png)
    except (TraceError, OSError) as e:
        print("trace2json: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
