#!/usr/bin/env python3
"""tools/lab.py - coursework labs: student trees, graders, and the proof
that every grader can fail (docs/labs/README.md).

    python3 tools/lab.py list                      the labs and their handouts
    python3 tools/lab.py check                     every solution region is well formed
    python3 tools/lab.py make LAB DEST             write a student tree for LAB into DEST
    python3 tools/lab.py grade LAB [--kernel K --initrd I --disk D]
    python3 tools/lab.py prove [LAB ...]           CI: full marks on this tree, fewer on
                                                   each stripped tree, which still boots

Solution regions. The code a student writes in a lab is marked in place in
the kernel's own sources (.c, .h, .S), with the stub the student starts from
beside it, inside a comment so that the full tree builds the solution:

        /* LAB bkl: BEGIN */
        ...the solution...
        /* LAB bkl: STUB
        ...the stub, as the student will see it (no comment closers here)...
           LAB bkl: END */

A region without a stub (the student writes it from nothing) ends with
"/* LAB bkl: END */". Each marker stands alone on its line. `make` turns the
regions of LAB into their stubs, keeps every other lab's solutions, drops all
marker lines, and commits the result as a new git repository: the student
tree has no solution of LAB and no marker at all.

Graders. tests/labs/LAB.lab describes one lab:

    title    The big kernel lock
    handout  docs/labs/3-bkl.md
    boot     pc 2 max model=bkl          machine, CPUs, CPU model, command line:
                                         the stripped tree must boot to the shell so
    cell     NAME MACHINE SMP CPU TIMEOUT CMDLINE...     a boot, as in tests/matrix.txt
                                         (@input= files are relative to tests/)
    check    POINTS CELL KIND ARGS... -- what the check shows

with the kinds
    pass WORD NAME   the cell printed "WORD: PASS NAME" (ktest, usertests, ...)
    expect "RE"      some line of the cell's output matches RE
    clean            the cell passed as a whole, as `make test` judges a cell
                     (exit status, no panic, every closing line without failures)

`grade` boots each cell once and prints one line per check, then
"lab LAB: SCORE/TOTAL"; exit status 0 only with full marks. Grading reads
the tests' own output; it never looks at a time.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import types

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
LAB_DIR = os.path.join("tests", "labs")
SOURCE_EXT = (".c", ".h", ".S")
RE_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
# A marker line, strictly; and anything that looks like one, to catch typos.
RE_MARKER = re.compile(r"^\s*(/\*)?\s*LAB ([A-Za-z0-9_-]+): (BEGIN|STUB|END)\s*(\*/)?\s*$")
RE_LOOSE = re.compile(r"\bLAB\s+\S+\s*:\s*(BEGIN|STUB|END)\b")
BOOT_INPUT = "input/lab-boot.txt"
BOOT_LINE = "lab boot: shell ok"


class LabError(Exception):
    pass


# ------------------------------------------------------------ regions


class Region:
    def __init__(self, lab, path, begin):
        self.lab = lab
        self.path = path
        self.begin = begin      # line numbers, 1-based
        self.stub = None
        self.end = None


def parse_regions(path, text, labs=None):
    """The regions of one file's text: (regions, errors). Errors are
    "path:line: what" strings; labs, when given, is the set of known names."""
    regions, errors = [], []
    cur = None
    for no, line in enumerate(text.split("\n"), 1):
        m = RE_MARKER.match(line)
        if not m:
            if RE_LOOSE.search(line):
                errors.append("%s:%d: malformed lab marker (a marker stands alone on its line: "
                              "'/* LAB name: BEGIN */', '/* LAB name: STUB', 'LAB name: END */')"
                              % (path, no))
            continue
        opener, lab, word, closer = m.group(1), m.group(2), m.group(3), m.group(4)
        where = "%s:%d" % (path, no)
        if not RE_NAME.match(lab):
            errors.append("%s: bad lab name %r (lower case letters, digits, '-')" % (where, lab))
            continue
        if labs is not None and lab not in labs:
            errors.append("%s: no lab named %r (tests/labs/%s.lab is missing)" % (where, lab, lab))
        if word == "BEGIN":
            if cur is not None:
                errors.append("%s: LAB %s: BEGIN inside the region of lab %s opened at line %d "
                              "(regions do not nest)" % (where, lab, cur.lab, cur.begin))
                continue
            if not (opener and closer):
                errors.append("%s: write the BEGIN marker as '/* LAB %s: BEGIN */'" % (where, lab))
            cur = Region(lab, path, no)
        elif word == "STUB":
            if cur is None or cur.lab != lab:
                errors.append("%s: LAB %s: STUB outside a region of lab %s" % (where, lab, lab))
                continue
            if cur.stub is not None:
                errors.append("%s: a second STUB in the region opened at line %d" % (where, cur.begin))
                continue
            if not opener or closer:
                errors.append("%s: write the STUB marker as '/* LAB %s: STUB' (the stub is "
                              "inside that comment)" % (where, lab))
            cur.stub = no
        else:
            if cur is None or cur.lab != lab:
                errors.append("%s: LAB %s: END without a BEGIN of lab %s" % (where, lab, lab))
                continue
            if cur.stub is not None and (opener or not closer):
                errors.append("%s: after a stub, write the END marker as 'LAB %s: END */'" % (where, lab))
            if cur.stub is None and not (opener and closer):
                errors.append("%s: write the END marker as '/* LAB %s: END */'" % (where, lab))
            cur.end = no
            regions.append(cur)
            cur = None
    if cur is not None:
        errors.append("%s:%d: LAB %s: BEGIN is never closed by an END" % (path, cur.begin, cur.lab))
    if not errors:
        for r in regions:
            stub = text.split("\n")[r.stub:r.end - 1] if r.stub else []
            for k, l in enumerate(stub):
                if "*/" in l:
                    errors.append("%s:%d: '*/' inside the stub would end its comment early"
                                  % (path, r.stub + 1 + k))
    return regions, errors


def strip_text(text, regions, lab):
    """text with lab's regions turned into their stubs and every other
    region's solution kept; no marker line stays."""
    lines = text.split("\n")
    keep = [True] * len(lines)
    for r in regions:
        stub = r.stub or r.end          # the line after the solution's last
        keep[r.begin - 1] = keep[stub - 1] = keep[r.end - 1] = False
        for i in range(r.begin, stub - 1):      # solution lines
            keep[i] = r.lab != lab
        for i in range(stub, r.end - 1):        # stub lines
            keep[i] = r.lab == lab
    return "\n".join(l for l, k in zip(lines, keep) if k)


def tree_files(root):
    """The files of the tree: git's list when it is a repository (tracked
    and untracked-but-not-ignored), else every file outside build/."""
    if os.path.isdir(os.path.join(root, ".git")) or os.path.isfile(os.path.join(root, ".git")):
        p = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], stdout=subprocess.PIPE, check=True)
        return sorted(f for f in set(p.stdout.decode().split("\0"))
                      if f and os.path.isfile(os.path.join(root, f)))
    out = []
    for d, subdirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        subdirs[:] = [s for s in subdirs if not (rel == "." and s in ("build", ".git"))]
        out += [os.path.normpath(os.path.join(rel, f)) for f in files]
    return sorted(out)


def is_source(path):
    return path.endswith(SOURCE_EXT) and not path.startswith("tests/host/data/")


def lab_names(root=REPO):
    d = os.path.join(root, LAB_DIR)
    if not os.path.isdir(d):
        return []
    return sorted(f[:-4] for f in os.listdir(d) if f.endswith(".lab"))


def scan_tree(root=REPO):
    """{path: (text, regions)} for every source file with a region, and the errors."""
    labs = set(lab_names(root))
    found, errors = {}, []
    for f in tree_files(root):
        if not is_source(f):
            continue
        with open(os.path.join(root, f), encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
        if "LAB" not in text:
            continue
        regions, errs = parse_regions(f, text, labs)
        errors += errs
        if regions:
            found[f] = (text, regions)
    return found, errors


def make_tree(lab, dest, root=REPO, commit=True):
    """Write the student tree of lab into dest (which must not exist or be empty)."""
    if lab not in lab_names(root):
        raise LabError("no lab named %r (labs: %s)" % (lab, ", ".join(lab_names(root))))
    found, errors = scan_tree(root)
    if errors:
        raise LabError("the solution regions are malformed:\n  " + "\n  ".join(errors))
    if not any(r.lab == lab for _, regs in found.values() for r in regs):
        raise LabError("lab %s has no solution region in the sources" % lab)
    if os.path.exists(dest) and os.listdir(dest):
        raise LabError("%s exists and is not empty" % dest)
    os.makedirs(dest, exist_ok=True)
    for f in tree_files(root):
        src, dst = os.path.join(root, f), os.path.join(dest, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if f in found:
            text, regions = found[f]
            with open(dst, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(strip_text(text, regions, lab))
            shutil.copymode(src, dst)
        else:
            shutil.copy2(src, dst)
    if commit:
        git = ["git", "-C", dest, "-c", "user.name=teachos labs", "-c", "user.email=labs@teachos.invalid"]
        for cmd in (["init", "-q"], ["add", "-A"],
                    ["commit", "-q", "-m", "lab %s: the starting tree (docs/labs/)" % lab]):
            subprocess.run(git + cmd, check=True, stdout=subprocess.DEVNULL)


# ------------------------------------------------------------ graders


class Lab:
    def __init__(self, name):
        self.name = name
        self.title = name
        self.handout = None
        self.boot = None         # (machine, smp, cpu, cmdline)
        self.cells = []          # matrix lines: (line, where)
        self.checks = []         # (points, cell, kind, args, text, where)


def read_lab(name, root=REPO):
    path = os.path.join(root, LAB_DIR, name + ".lab")
    if not os.path.isfile(path):
        raise LabError("no lab named %r (labs: %s)" % (name, ", ".join(lab_names(root)) or "none"))
    lab = Lab(name)
    errors = []
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            where = "%s:%d" % (os.path.relpath(path, root), no)
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, _, rest = line.partition(" ")
            rest = rest.strip()
            if key == "title":
                lab.title = rest
            elif key == "handout":
                lab.handout = rest
            elif key == "boot":
                parts = rest.split(None, 3)
                if len(parts) < 3:
                    errors.append("%s: boot MACHINE SMP CPU [CMDLINE]" % where)
                else:
                    lab.boot = (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else "")
            elif key == "cell":
                lab.cells.append((rest, where))
            elif key == "check":
                body, sep, text = rest.partition(" -- ")
                try:
                    words = shlex.split(body)
                except ValueError as e:
                    errors.append("%s: %s" % (where, e))
                    continue
                if not sep or len(words) < 3:
                    errors.append("%s: check POINTS CELL KIND ARGS... -- DESCRIPTION" % where)
                    continue
                try:
                    points = int(words[0])
                    if points <= 0:
                        raise ValueError
                except ValueError:
                    errors.append("%s: points must be a positive whole number" % where)
                    continue
                kind, args = words[2], words[3:]
                want = {"pass": 2, "expect": 1, "clean": 0}
                if kind not in want:
                    errors.append("%s: unknown check kind %r (pass, expect, clean)" % (where, kind))
                    continue
                if len(args) != want[kind]:
                    errors.append("%s: '%s' takes %d argument(s)" % (where, kind, want[kind]))
                    continue
                if kind == "expect":
                    try:
                        re.compile(args[0])
                    except re.error as e:
                        errors.append("%s: %s" % (where, e))
                        continue
                lab.checks.append((points, words[1], kind, args, text.strip(), where))
            else:
                errors.append("%s: unknown line %r" % (where, key))
    names = [c[0].split()[0] for c in lab.cells if c[0].split()]
    for points, cell, kind, args, text, where in lab.checks:
        if cell not in names:
            errors.append("%s: no cell named %r in this lab" % (where, cell))
    if not lab.checks:
        errors.append("%s: no checks" % os.path.relpath(path, root))
    if lab.boot is None:
        errors.append("%s: no 'boot' line" % os.path.relpath(path, root))
    if errors:
        raise LabError("\n".join(errors))
    return lab


def testrun_module():
    sys.path.insert(0, TOOLS)
    import testrun
    return testrun


def run_cells(lines, opts, only=None, stop=None):
    """Boot matrix lines (text, where) with testrun's machinery; returns
    {name: cell}. stop(cell) -> True ends the run early."""
    tr = testrun_module()
    cells, errors = tr.parse_matrix_lines(lines, os.path.join(REPO, "tests"))
    if errors:
        raise LabError("\n".join(errors))
    run = types.SimpleNamespace(logdir=opts.logdir, diskdir=os.path.join(opts.logdir, "disks"),
                                disk=opts.disk, mem="256M", accel=opts.accel, extra="",
                                timeout_scale=opts.timeout_scale, verbose=opts.verbose)
    done = {}
    isos = {}
    for c in cells:
        if only is not None and c.name not in only:
            continue
        if c.cmdline not in isos:
            isos[c.cmdline] = tr.build_iso(opts.kernel, opts.initrd, c.cmdline,
                                           os.path.join(opts.logdir, "iso"))
        c.iso, c.iso_error = isos[c.cmdline]
        tr.run_cell(c, run)
        done[c.name] = c
        if stop and stop(c):
            break
    return done


def cell_lines(cell):
    try:
        with open(cell.log, encoding="utf-8", errors="replace") as f:
            return [l.rstrip("\n") for l in f if not l.startswith("# testrun:")]
    except (OSError, TypeError):
        return []


def judge(check, cell):
    """(ok, why-not) for one check against its booted cell."""
    points, name, kind, args, text, where = check
    if cell is None:
        return False, "cell %s did not run" % name
    lines = cell_lines(cell)
    if kind == "pass":
        rx = re.compile(r"(?<![\w.-])%s: PASS %s(?![\w.-])" % (re.escape(args[0]), re.escape(args[1])))
        if any(rx.search(l) for l in lines):
            return True, ""
        fail = re.compile(r"(?<![\w.-])%s: FAIL %s\b.*" % (re.escape(args[0]), re.escape(args[1])))
        for l in lines:
            m = fail.search(l)
            if m:
                return False, m.group(0)[:120]
    elif kind == "expect":
        rx = re.compile(args[0])
        if any(rx.search(l) for l in lines):
            return True, ""
        return False, "no line matches %r" % args[0]
    elif cell.ok:
        return True, ""
    if cell.reasons:
        return False, cell.reasons[0][:120]
    return False, "not seen in the output of cell %s" % name


def grade(lab, opts, quiet_cells=True, stop_at_first_failure=False):
    """Boot the lab's cells, print a line per check and the total; return (score, total)."""
    total = sum(c[0] for c in lab.checks)
    print("== lab %s: %s ==" % (lab.name, lab.title), flush=True)
    if lab.handout:
        print("   handout: %s" % lab.handout)
    used = [c[1] for c in lab.checks]
    order = [l for l in lab.cells if l[0].split()[0] in used]
    score, cells = 0, {}
    pending = list(lab.checks)

    def report(cell):
        nonlocal score
        failed = False
        for check in [c for c in pending if c[1] == cell.name]:
            pending.remove(check)
            ok, why = judge(check, cell)
            score += check[0] if ok else 0
            failed |= not ok
            print("  %-58s %s %3d/%-3d%s" % (
                check[4][:58], "OK  " if ok else "FAIL", check[0] if ok else 0, check[0],
                "" if ok else "\n      (%s: %s)" % (cell.name, why)), flush=True)
        return failed and stop_at_first_failure

    cells = run_cells(order, opts, stop=report)
    for check in pending:           # cells not booted (an early stop)
        print("  %-58s %s %3d/%-3d\n      (not run: an earlier check failed)" % (
            check[4][:58], "FAIL", 0, check[0]))
    print("lab %s: %d/%d" % (lab.name, score, total), flush=True)
    return score, total


# ------------------------------------------------------------ prove


def build_kernel(tree, log):
    # Not the calling make's flags and jobserver (make test runs this).
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    with open(log, "w") as f:
        p = subprocess.run(["make", "-C", tree, "-j2", "kernel"], stdout=f, stderr=subprocess.STDOUT,
                           env=env, stdin=subprocess.DEVNULL)
    return p.returncode == 0


def prove(labs, opts):
    """For each lab: this tree scores full marks; the stripped tree builds,
    boots to the shell and scores less. Prints "host labs: N passed, N failed"."""
    passed = failed = 0
    root = os.path.join(opts.workdir)
    os.makedirs(root, exist_ok=True)

    def result(ok, what):
        nonlocal passed, failed
        passed += ok
        failed += not ok
        print("%s labs.%s" % ("PASS" if ok else "FAIL", what), flush=True)

    found, errors = scan_tree()
    if not found and not errors:
        # A student tree (make lab): its solutions are the student's own.
        print("labs: no solution region in this tree (a student's starting tree): nothing to prove")
        print("host labs: 0 passed, 0 failed")
        return True
    if not opts.part:
        result(not errors, "regions_well_formed" + ("" if not errors else ": " + "; ".join(errors[:3])))
    if opts.jobs > 1 and len(labs) > 1:
        # One child per lab, opts.jobs at a time; each one's output is
        # printed whole when it ends, and its results counted here.
        from concurrent.futures import ThreadPoolExecutor
        argv = [sys.executable, os.path.abspath(__file__), "prove", "--part", "--jobs", "1",
                "--workdir", opts.workdir, "--kernel", opts.kernel, "--initrd", opts.initrd,
                "--accel", opts.accel, "--timeout-scale", str(opts.timeout_scale)] + \
            (["--disk", opts.disk] if opts.disk else [])

        def child(name):
            p = subprocess.run(argv + [name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
            return p.stdout.decode("utf-8", "replace").splitlines()

        with ThreadPoolExecutor(max_workers=opts.jobs) as ex:
            for lines in ex.map(child, labs):
                for line in lines:
                    if line.startswith("host labs:"):
                        continue
                    print(line, flush=True)
                    passed += line.startswith("PASS labs.")
                    failed += line.startswith("FAIL labs.")
        print("host labs: %d passed, %d failed" % (passed, failed))
        return failed == 0
    for name in labs:
        t0 = time.monotonic()
        try:
            lab = read_lab(name)
        except LabError as e:
            result(False, "%s.grader_reads: %s" % (name, e))
            continue
        base = types.SimpleNamespace(**vars(opts))
        base.logdir = os.path.join(root, name, "full")
        score, total = grade(lab, base)
        result(score == total, "%s.full_tree_full_marks (%d/%d)" % (name, score, total))

        tree = os.path.join(root, name, "tree")
        shutil.rmtree(os.path.join(root, name, "tree"), ignore_errors=True)
        try:
            make_tree(name, tree, commit=False)
        except LabError as e:
            result(False, "%s.stripped_tree_written: %s" % (name, e))
            continue
        log = os.path.join(root, name, "build.log")
        built = build_kernel(tree, log)
        result(built, "%s.stripped_tree_builds%s" % (name, "" if built else " (see %s)" % log))
        if not built:
            continue
        stripped = types.SimpleNamespace(**vars(opts))
        stripped.kernel = os.path.join(tree, "build", "kernel.elf")
        stripped.logdir = os.path.join(root, name, "stripped")
        machine, smp, cpu, cmdline = lab.boot
        boot = ("lab-boot %s %s %s 90 @input=%s @expect=\"^(\\$ )*%s$\" %s" % (
            machine, smp, cpu, BOOT_INPUT, BOOT_LINE, cmdline), "boot line of %s.lab" % name)
        cells = run_cells([boot], stripped)
        c = cells.get("lab-boot")
        result(bool(c and c.ok), "%s.stripped_tree_boots_to_the_shell%s" % (
            name, "" if c and c.ok else ": " + "; ".join(c.reasons[:2] if c else ["not run"])))
        s_score, s_total = grade(lab, stripped, stop_at_first_failure=True)
        result(s_score < s_total, "%s.stub_scores_below_full_marks (%d/%d on the stubs)"
               % (name, s_score, s_total))
        print("   (%s: %.0f s)" % (name, time.monotonic() - t0), flush=True)
    print("host labs: %d passed, %d failed" % (passed, failed))
    return failed == 0


# ------------------------------------------------------------ main


def main(argv=None):
    p = argparse.ArgumentParser(description="Coursework labs (docs/labs/README.md).")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the labs")
    sub.add_parser("check", help="check the solution regions and the graders")
    m = sub.add_parser("make", help="write a student tree")
    m.add_argument("lab")
    m.add_argument("dest")
    for name in ("grade", "prove"):
        g = sub.add_parser(name)
        if name == "grade":
            g.add_argument("lab")
        else:
            g.add_argument("labs", nargs="*")
            g.add_argument("--workdir", default=os.path.join(REPO, "build", "labs"))
            g.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("LAB_JOBS") or 1),
                           help="labs proved at once (env LAB_JOBS; default 1)")
            g.add_argument("--part", action="store_true", help=argparse.SUPPRESS)
        g.add_argument("--kernel", default=os.path.join(REPO, "build", "kernel.elf"))
        g.add_argument("--initrd", default=os.path.join(REPO, "build", "initrd.cpio"))
        g.add_argument("--disk", default=os.path.join(REPO, "build", "disk.img"))
        g.add_argument("--logdir", default=os.path.join(REPO, "build", "grade"))
        g.add_argument("--accel", default=os.environ.get("ACCEL") or "tcg")
        g.add_argument("--timeout-scale", type=float,
                       default=float(os.environ.get("TEST_TIMEOUT_SCALE") or 1.0))
        g.add_argument("-v", "--verbose", action="store_true")
    opts = p.parse_args(argv)
    try:
        if opts.cmd == "list":
            for name in lab_names():
                lab = read_lab(name)
                print("%-10s %-50s %s" % (name, lab.title, lab.handout or ""))
            return 0
        if opts.cmd == "check":
            found, errors = scan_tree()
            for name in lab_names():
                try:
                    read_lab(name)
                except LabError as e:
                    errors.append(str(e))
                if not any(r.lab == name for _, regs in found.values() for r in regs):
                    errors.append("lab %s: no solution region in the sources" % name)
            for e in errors:
                print(e)
            n = sum(len(r) for _, r in found.values())
            print("lab check: %d regions in %d files, %d labs, %d errors" % (
                n, len(found), len(lab_names()), len(errors)))
            return 1 if errors else 0
        if opts.cmd == "make":
            make_tree(opts.lab, opts.dest)
            print("lab %s: student tree written to %s (one commit); handout: %s" % (
                opts.lab, opts.dest, read_lab(opts.lab).handout))
            return 0
        if not opts.disk or not os.path.isfile(opts.disk):
            opts.disk = ""
        if opts.cmd == "grade":
            lab = read_lab(opts.lab)
            opts.logdir = os.path.join(opts.logdir, opts.lab)
            score, total = grade(lab, opts)
            return 0 if score == total else 1
        labs = opts.labs or lab_names()
        return 0 if prove(labs, opts) else 1
    except LabError as e:
        print("lab: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
