#!/usr/bin/env python3
"""Host tests for tools/trace2json.py, the trace-dump converter.

Prints "PASS trace.<name>" or "FAIL trace.<name>: <why>" per test and, last,
"host trace: N passed, N failed" (the closing line tools/testrun.py reads).
Exit status 0 only if no test failed. The sample log and the facts expected
of it are in tests/host/data/trace-sample.txt.
"""
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "trace2json.py")
SAMPLE = os.path.join(HERE, "data", "trace-sample.txt")
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import trace2json as t2j  # noqa: E402  (after the path is set)

TESTS = []


def test(fn):
    """Register a test; its name is the function's without "test_"."""
    TESTS.append(fn)
    return fn


def sample_lines():
    with open(SAMPLE, encoding="utf-8") as f:
        return f.read().splitlines()


def sample_dump():
    """Only the dump lines of the sample (for building other logs)."""
    return [l for l in sample_lines() if "trace: " in l]


def tick(us):
    """The sample's TSC value at us microseconds (hz = 2 GHz)."""
    return 10000000000 + 2000 * us


def run_cli(*args, env=None):
    """Run the tool as a program: (exit status, stdout, stderr)."""
    r = subprocess.run([sys.executable, TOOL] + list(args), capture_output=True,
                       text=True, env=env)
    return r.returncode, r.stdout, r.stderr


def events(chrome, ph, tid=None):
    return [e for e in chrome["traceEvents"]
            if e["ph"] == ph and (tid is None or e["tid"] == tid)]


def expect(cond, why):
    if not cond:
        raise AssertionError(why)


def expect_eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


# The sample's state intervals: (name, ts us, dur us); see trace-sample.txt.
CPU0 = [("kernel", 0, 3), ("lock wait: run queue", 3, 2), ("kernel", 5, 3),
        ("user", 8, 4), ("kernel", 12, 2), ("idle", 14, 6), ("kernel", 20, 1),
        ("lock wait: console", 21, 1), ("kernel", 22, 2), ("user", 24, 4),
        ("kernel", 28, 2)]
CPU1 = [("kernel", 2, 2), ("waiting for leader", 4, 6), ("kernel", 10, 2),
        ("user", 12, 5), ("kernel", 17, 1), ("lock wait: run queue", 18, 7),
        ("kernel", 25, 2), ("idle", 27, 3)]


# ---------------------------------------------------------------- the sample

@test
def test_sample_parse():
    t = t2j.parse(sample_lines())
    expect_eq((t.cpus, t.hz, t.model), (2, 2000000000, "leader"), "begin line")
    expect_eq(len(t.events), 27, "events read (ANSI, CR and '$ ' lines included)")
    expect(t.complete and t.dropped == 0, "sample is complete with nothing dropped")
    expect_eq(t.locks, {1: "console", 3: "run queue"}, "lock names")
    expect_eq(t.warnings, [], "warnings")


@test
def test_sample_threads():
    c = t2j.to_chrome(t2j.parse(sample_lines()))
    meta = events(c, "M")
    names = {e["tid"]: e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    expect_eq(names, {0: "CPU 0", 1: "CPU 1"}, "thread names")
    procs = [e["args"]["name"] for e in meta if e["name"] == "process_name"]
    expect_eq(procs, ["teachos leader"], "process name")
    expect_eq(c["displayTimeUnit"], "ns", "displayTimeUnit")
    expect(all(e["pid"] == 0 for e in c["traceEvents"]), "every event in pid 0")


def check_intervals(cpu, want):
    c = t2j.to_chrome(t2j.parse(sample_lines()))
    xs = events(c, "X", cpu)
    expect_eq(len(xs), len(want), "CPU %d X events" % cpu)
    got = [(e["name"], e["ts"], e["dur"]) for e in xs]
    expect_eq(got, want, "CPU %d intervals (name, ts, dur)" % cpu)


@test
def test_sample_cpu0_intervals():
    check_intervals(0, CPU0)


@test
def test_sample_cpu1_intervals():
    check_intervals(1, CPU1)


@test
def test_sample_instants():
    c = t2j.to_chrome(t2j.parse(sample_lines()))
    got = sorted((e["tid"], e["ts"], e["name"], e["args"]) for e in events(c, "i")
                 if e.get("s") == "t")
    want = [(0, 1.0, "IPI received", {"vector": 240}), (0, 6.0, "switch", {"pid": 7}),
            (0, 13.0, "IPI sent", {"target_cpu": 1}),
            (0, 29.0, "IPI received", {"vector": 240}),
            (1, 11.0, "migrate", {"pid": 9}), (1, 16.0, "IPI received", {"vector": 251}),
            (1, 26.0, "switch", {"pid": 0})]
    expect_eq(got, want, "thread-scoped instant events (tid, ts, name, args)")
    expect_eq(len(events(c, "i")), 7, "instant events")


@test
def test_sample_lock_name():
    c = t2j.to_chrome(t2j.parse(sample_lines()))
    waits = sorted({e["name"] for e in events(c, "X") if e["name"].startswith("lock wait")})
    # "run queue" is named by a lock line that comes after the begin line,
    # among the events: the name has a space in it.
    expect_eq(waits, ["lock wait: console", "lock wait: run queue"], "lock wait names")


@test
def test_states_intervals():
    st = t2j.states(t2j.parse(sample_lines()))
    expect_eq(len(st), 2, "one list per CPU")
    want = [(tick(a), tick(a + d), name) for name, a, d in CPU1]
    expect_eq(st[1], want, "CPU 1 states in TSC ticks")
    expect_eq(st[0][-1], (tick(28), tick(30), "kernel"), "CPU 0 last interval")


@test
def test_summary():
    rc, out, err = run_cli(SAMPLE, "--summary")
    expect_eq(rc, 0, "exit status (stderr %r)" % err)
    rows = [l.split() for l in out.splitlines() if l[:1].isdigit()]
    expect_eq(rows, [["0", "0.030", "26.7%", "43.3%", "10.0%", "0.0%", "20.0%"],
                     ["1", "0.028", "17.9%", "25.0%", "25.0%", "21.4%", "10.7%"]],
              "summary rows")
    expect("waiting for leader" in out, "column titles in the summary")


# ---------------------------------------------------------------- state rules

def small_dump(evs, end=True, model="fine", cpus=1):
    """A log with one dump of the given "cpu tsc type arg" events."""
    lines = ["trace: begin cpus=%d hz=1000000 model=%s" % (cpus, model),
             "trace: lock 7 proc table"]
    lines += ["trace: ev " + e for e in evs]
    if end:
        lines.append("trace: end events=%d dropped=0" % len(evs))
    return lines


@test
def test_lwait_returns_to_kernel():
    # hz = 1 MHz: one tick is one microsecond.
    t = t2j.parse(small_dump(["0 100 kin 3", "0 110 lwait 7", "0 115 lgot 7",
                              "0 130 kout 0", "0 140 kin 4"]))
    expect_eq(t2j.states(t)[0],
              [(100, 110, "kernel"), (110, 115, "lock wait: proc table"),
               (115, 130, "kernel"), (130, 140, "user")], "states")


@test
def test_lwait_in_leader_wait_returns_there():
    # The state before the wait is remembered, whatever it was.
    t = t2j.parse(small_dump(["0 0 fwd 3", "0 5 lwait 9", "0 6 lgot 9", "0 8 fwdret 0"]))
    expect_eq(t2j.states(t)[0],
              [(0, 5, "waiting for leader"), (5, 6, "lock wait: lock 9"),
               (6, 8, "waiting for leader")], "states (unnamed lock 9)")


@test
def test_first_event_starts_state():
    # CPU 1 starts with an instant event and an lgot: its state is unknown
    # before the lgot, kernel after it.
    t = t2j.parse(small_dump(["0 0 kin 1", "1 10 sw 4", "1 20 lgot 7", "0 50 kout 0"],
                             cpus=2))
    expect_eq(t2j.states(t)[1], [(20, 50, "kernel")], "CPU 1 states")


# ---------------------------------------------------------------- odd logs

@test
def test_cut_short():
    lines = [l for l in sample_lines() if "trace: end" not in l]
    t = t2j.parse(lines)
    expect(not t.complete, "dump marked incomplete")
    expect(any("cut short" in w for w in t.warnings), "a cut-short warning: %r" % t.warnings)
    expect_eq(len(events(t2j.to_chrome(t), "X")), len(CPU0) + len(CPU1), "X events")
    with tempfile.TemporaryDirectory() as tmp:
        log, out = os.path.join(tmp, "cut.log"), os.path.join(tmp, "cut.json")
        with open(log, "w") as f:
            f.write("\n".join(lines[:-4]) + "\n")       # cut in the middle too
        rc, _, err = run_cli(log, "--json", out)
        expect_eq(rc, 0, "exit status (stderr %r)" % err)
        expect("warning" in err and "cut short" in err, "warning on stderr: %r" % err)
        json.load(open(out))


@test
def test_dropped_warns():
    lines = [l.replace("dropped=0", "dropped=12") for l in sample_lines()]
    t = t2j.parse(lines)
    expect_eq(t.dropped, 12, "dropped count")
    expect(any("12 events dropped" in w for w in t.warnings), "warning: %r" % t.warnings)


def two_dumps():
    """The sample, then a second (fine, 1 CPU) dump."""
    return sample_lines() + ["shell output between the dumps"] + \
        small_dump(["0 1000 kin 1", "0 3000 kout 0"])


@test
def test_second_dump_default():
    t = t2j.parse(two_dumps())
    expect_eq((t.model, len(t.events)), ("fine", 2), "default dump (model, events)")
    t0 = t2j.parse(two_dumps(), index=0)
    expect_eq((t0.model, len(t0.events)), ("leader", 27), "--index 0 dump")


@test
def test_second_dump_cli():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "two.log")
        with open(log, "w") as f:
            f.write("\n".join(two_dumps()) + "\n")
        for args, model in (([], "teachos fine"), (["--index", "0"], "teachos leader"),
                            (["--index", "1"], "teachos fine")):
            rc, out, err = run_cli(log, "--json", "-", *args)
            expect_eq(rc, 0, "exit status %s (stderr %r)" % (args, err))
            procs = [e["args"]["name"] for e in json.loads(out)["traceEvents"]
                     if e["name"] == "process_name"]
            expect_eq(procs, [model], "process name with %s" % args)
        rc, _, err = run_cli(log, "--index", "2")
        expect(rc == 1 and "index" in err, "--index 2 of 2 dumps: rc %d, %r" % (rc, err))


@test
def test_last_complete_dump_default():
    # A later dump cut short is passed over for the last complete one.
    log = two_dumps() + small_dump(["0 5 kin 1"], end=False, model="bkl")
    t = t2j.parse(log)
    expect_eq(t.model, "fine", "chosen dump")
    expect(any("last complete" in w for w in t.warnings), "warning: %r" % t.warnings)
    expect_eq(t2j.parse(log, index=2).model, "bkl", "--index 2")


@test
def test_garbage_and_unknown_event():
    log = ["\x00\xff garbage", "trace: ev 0 5 kin 1", "trace:", "trace: end events=x",
           "junk \x1b[2K\rtrace: begin cpus=2 hz=1000000 model=bkl",
           "trace: ev 0 10 kin 3", "trace: ev zero 11 kin 3", "trace: ev 0 12",
           "trace: ev 0 13 kout 0 extra", "trace: ev 5 14 kin 1", "trace: lock",
           "trace: weird line", "trace: ev 0 20 frobnicate 42",
           "\rtrace: ev 1 25 kin 1\x1b[0m", "trace: ev 0 30 kout 0",
           "trace: end events=4 dropped=0", "trace: ev 0 99 kin 1"]
    t = t2j.parse(log)
    expect_eq([e.type for e in t.events], ["kin", "frobnicate", "kin", "kout"], "events kept")
    expect_eq(t.bad_lines, 6, "unreadable lines counted")
    c = t2j.to_chrome(t)
    unknown = [e for e in events(c, "i") if e["name"] == "frobnicate"]
    expect_eq([(e["ts"], e["args"]) for e in unknown], [(10.0, {"arg": 42})],
              "unknown type as an instant (ts, args)")
    expect_eq([(e["name"], e["ts"], e["dur"]) for e in events(c, "X", 0)],
              [("kernel", 0.0, 20.0)], "CPU 0 intervals")
    json.loads(json.dumps(c))
    t2j.summary(t)


@test
def test_no_dump_is_an_error():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "none.log")
        with open(log, "w") as f:
            f.write("just a boot log\nno dump here\n")
        rc, out, err = run_cli(log)
        expect(rc == 1 and "no trace dump" in err and "Traceback" not in err,
               "rc %d, stderr %r" % (rc, err))


@test
def test_json_valid():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "s.json")
        rc, _, err = run_cli(SAMPLE, "--json", out)
        expect_eq(rc, 0, "exit status (stderr %r)" % err)
        with open(out) as f:
            c = json.loads(f.read())
    expect(isinstance(c["traceEvents"], list), "traceEvents is a list")
    for e in c["traceEvents"]:
        expect(e["ph"] in "XiM", "phase %r" % e["ph"])
        if e["ph"] == "X":
            expect(e["dur"] > 0 and e["ts"] >= 0, "X event %r" % e)
    # With no output asked for, the JSON goes to stdout.
    rc, out, _ = run_cli(SAMPLE)
    expect_eq(json.loads(out), c, "stdout JSON same as --json file")


# ---------------------------------------------------------------- PNG

@test
def test_png():
    if not shutil.which("gnuplot"):
        return "skipped: gnuplot not installed"
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "s.png")
        rc, _, err = run_cli(SAMPLE, "--png", out)
        expect_eq(rc, 0, "exit status (stderr %r)" % err)
        with open(out, "rb") as f:
            expect_eq(f.read(8), b"\x89PNG\r\n\x1a\n", "PNG signature")
    return None


@test
def test_png_without_gnuplot():
    # A PATH without gnuplot on it: --png fails clearly, JSON alone works.
    with tempfile.TemporaryDirectory() as empty:
        env = dict(os.environ, PATH=empty)
        rc, _, err = run_cli(SAMPLE, "--png", os.path.join(empty, "x.png"), env=env)
        expect(rc == 1 and "gnuplot not found" in err, "rc %d, stderr %r" % (rc, err))
        rc, _, err = run_cli(SAMPLE, "--json", os.path.join(empty, "x.json"), env=env)
        expect_eq(rc, 0, "JSON-only exit status without gnuplot (stderr %r)" % err)


# ---------------------------------------------------------------- runner

def main():
    passed = failed = 0
    for fn in TESTS:
        name = "trace." + fn.__name__[len("test_"):]
        try:
            # Tests call the module directly: keep its prints off our output.
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                note = fn()
        except AssertionError as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
            continue
        except Exception as e:        # a crash in the tool is a failure, not an abort
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            failed += 1
            continue
        print("PASS %s%s" % (name, " (%s)" % note if note else ""))
        passed += 1
    print("host trace: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
