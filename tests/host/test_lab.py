#!/usr/bin/env python3
"""Host tests for tools/lab.py: solution regions, student trees, graders.

Prints "PASS lab.<name>" or "FAIL lab.<name>: <why>" per test and, last,
"host lab: N passed, N failed" (the closing line tools/testrun.py reads).
"""
import os
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import lab  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


GOOD = """\
int a;
/* LAB one: BEGIN */
int solution_one;
/* LAB one: STUB
int stub_one;
   LAB one: END */
int b;
    /* LAB two: BEGIN */
    int solution_two;
    /* LAB two: END */
int c;
"""


def errors_of(text, labs=None):
    return lab.parse_regions("f.c", text, labs)[1]


@test
def regions_are_found():
    regions, errors = lab.parse_regions("f.c", GOOD, {"one", "two"})
    assert errors == [], errors
    assert [(r.lab, r.begin, r.stub, r.end) for r in regions] == [("one", 2, 4, 6), ("two", 8, None, 10)]


@test
def stripping_one_lab_keeps_the_others_solution():
    regions, _ = lab.parse_regions("f.c", GOOD)
    one = lab.strip_text(GOOD, regions, "one")
    assert one == "int a;\nint stub_one;\nint b;\n    int solution_two;\nint c;\n", repr(one)
    two = lab.strip_text(GOOD, regions, "two")
    assert two == "int a;\nint solution_one;\nint b;\nint c;\n", repr(two)
    other = lab.strip_text(GOOD, regions, "three")
    assert "LAB" not in other and "stub_one" not in other and "solution_one" in other


@test
def nested_begin_is_an_error_with_its_line():
    text = "/* LAB one: BEGIN */\nx\n/* LAB two: BEGIN */\n/* LAB two: END */\n/* LAB one: END */\n"
    errs = errors_of(text)
    assert any(e.startswith("f.c:3:") and "do not nest" in e for e in errs), errs


@test
def unclosed_begin_is_an_error_with_its_line():
    errs = errors_of("a\n/* LAB one: BEGIN */\nx\n")
    assert any(e.startswith("f.c:2:") and "never closed" in e for e in errs), errs


@test
def end_without_begin_is_an_error():
    errs = errors_of("a\n/* LAB one: END */\n")
    assert any(e.startswith("f.c:2:") and "without a BEGIN" in e for e in errs), errs


@test
def end_of_another_lab_is_an_error():
    errs = errors_of("/* LAB one: BEGIN */\n/* LAB two: END */\n/* LAB one: END */\n")
    assert any(e.startswith("f.c:2:") for e in errs), errs


@test
def stub_outside_a_region_and_twice_are_errors():
    errs = errors_of("/* LAB one: STUB\nLAB one: END */\n")
    assert any(e.startswith("f.c:1:") and "STUB outside" in e for e in errs), errs
    errs = errors_of("/* LAB one: BEGIN */\n/* LAB one: STUB\n/* LAB one: STUB\nLAB one: END */\n")
    assert any(e.startswith("f.c:3:") and "second STUB" in e for e in errs), errs


@test
def wrong_comment_forms_are_errors():
    # END closing a stub must close its comment; END without a stub must be a whole comment
    errs = errors_of("/* LAB one: BEGIN */\n/* LAB one: STUB\nx\n/* LAB one: END */\n")
    assert any(e.startswith("f.c:4:") for e in errs), errs
    errs = errors_of("LAB one: BEGIN\n/* LAB one: END */\n")
    assert any(e.startswith("f.c:1:") for e in errs), errs


@test
def comment_closer_inside_a_stub_is_an_error():
    errs = errors_of("/* LAB one: BEGIN */\n/* LAB one: STUB\nx; /* no */\n   LAB one: END */\n")
    assert any(e.startswith("f.c:3:") and "'*/'" in e for e in errs), errs


@test
def marker_not_alone_on_its_line_is_an_error():
    errs = errors_of("int x; /* LAB one: BEGIN */\n/* LAB one: END */\n")
    assert any(e.startswith("f.c:1:") and "malformed" in e for e in errs), errs


@test
def unknown_lab_and_bad_name_are_errors():
    errs = errors_of("/* LAB nosuch: BEGIN */\n/* LAB nosuch: END */\n", {"one"})
    assert any(e.startswith("f.c:1:") and "no lab named 'nosuch'" in e for e in errs), errs
    errs = errors_of("/* LAB Bad_Name: BEGIN */\n/* LAB Bad_Name: END */\n")
    assert any("bad lab name" in e for e in errs), errs


def fake_repo(d, source, grader):
    os.makedirs(os.path.join(d, "kernel"))
    os.makedirs(os.path.join(d, "tests", "labs"))
    with open(os.path.join(d, "kernel", "f.c"), "w") as f:
        f.write(source)
    with open(os.path.join(d, "tests", "labs", "one.lab"), "w") as f:
        f.write(grader)
    with open(os.path.join(d, "tests", "labs", "two.lab"), "w") as f:
        f.write(grader)
    with open(os.path.join(d, "run.sh"), "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(os.path.join(d, "run.sh"), 0o755)


GRADER = """title One
boot pc 1 max model=bkl
cell c1 pc 1 max 60 test=smp
check 60 c1 pass ktest smp.x -- smp.x passes
check 40 c1 clean -- the boot is clean
"""


@test
def student_tree_has_the_stub_no_markers_and_one_commit():
    with tempfile.TemporaryDirectory() as d:
        src, dest = os.path.join(d, "src"), os.path.join(d, "dest")
        fake_repo(src, GOOD, GRADER)
        lab.make_tree("one", dest, root=src)
        with open(os.path.join(dest, "kernel", "f.c")) as f:
            text = f.read()
        assert "stub_one" in text and "solution_one" not in text and "solution_two" in text, text
        assert "LAB" not in text
        assert os.access(os.path.join(dest, "run.sh"), os.X_OK), "file modes are kept"
        log = subprocess.run(["git", "-C", dest, "log", "--oneline"], stdout=subprocess.PIPE,
                             check=True).stdout.decode().splitlines()
        assert len(log) == 1, log
        try:
            lab.make_tree("one", dest, root=src)
            raise AssertionError("a non-empty destination was accepted")
        except lab.LabError:
            pass


@test
def student_tree_refuses_malformed_regions_naming_file_and_line():
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "src")
        fake_repo(src, "/* LAB one: BEGIN */\nx\n", GRADER)
        try:
            lab.make_tree("one", os.path.join(d, "dest"), root=src)
            raise AssertionError("malformed regions were accepted")
        except lab.LabError as e:
            assert "kernel/f.c:1:" in str(e), str(e)
        assert not os.path.exists(os.path.join(d, "dest"))


@test
def grader_file_is_read_and_its_errors_named():
    with tempfile.TemporaryDirectory() as d:
        fake_repo(d, GOOD, GRADER)
        one = lab.read_lab("one", root=d)
        assert one.title == "One" and one.boot == ("pc", "1", "max", "model=bkl")
        assert [(c[0], c[1], c[2]) for c in one.checks] == [(60, "c1", "pass"), (40, "c1", "clean")]
        with open(os.path.join(d, "tests", "labs", "two.lab"), "w") as f:
            f.write(GRADER + "check 5 nocell clean -- x\ncheck x c1 clean -- y\ncheck 5 c1 wat -- z\n")
        try:
            lab.read_lab("two", root=d)
            raise AssertionError("a bad grader was accepted")
        except lab.LabError as e:
            msg = str(e)
            assert "two.lab:6: no cell named 'nocell'" in msg, msg
            assert "two.lab:7: points" in msg and "two.lab:8: unknown check kind" in msg, msg


class FakeCell:
    def __init__(self, log, ok=True, reasons=()):
        self.log, self.ok, self.reasons = log, ok, list(reasons)


@test
def checks_are_judged_from_the_log():
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "c.log")
        with open(log, "w") as f:
            f.write("# testrun: header ktest: PASS smp.y\n[ 1.0 c0] ktest: PASS smp.x (1 ms)\n"
                    "usertests: FAIL fork_tree: child lost\nsmp: 2/2 CPUs online\n")
        cell = FakeCell(log)
        ok = lambda kind, *args: lab.judge((1, "c", kind, list(args), "", ""), cell)[0]
        assert ok("pass", "ktest", "smp.x")
        assert not ok("pass", "ktest", "smp.y"), "the runner's own lines are not output"
        assert not ok("pass", "ktest", "smp"), "a prefix of a name is not the name"
        assert not ok("pass", "usertests", "fork_tree")
        assert lab.judge((1, "c", "pass", ["usertests", "fork_tree"], "", ""), cell)[1].startswith(
            "usertests: FAIL fork_tree")
        assert ok("expect", r"^smp: 2/2 CPUs online$") and not ok("expect", "3/3")
        assert ok("clean")
        assert not lab.judge((1, "c", "clean", [], "", ""), FakeCell(log, ok=False, reasons=["panic"]))[0]
        assert not lab.judge((1, "c", "clean", [], "", ""), None)[0]


@test
def this_repository_regions_are_well_formed():
    found, errors = lab.scan_tree()
    assert errors == [], errors
    labs = set(lab.lab_names())
    assert labs, "no lab in tests/labs"
    for name in labs:
        lab.read_lab(name)
        assert any(r.lab == name for _, regs in found.values() for r in regs), \
            "lab %s has no region" % name


def main():
    passed = failed = 0
    for fn in TESTS:
        try:
            fn()
            print("PASS lab.%s" % fn.__name__)
            passed += 1
        except Exception as e:  # noqa: BLE001 - any failure is the test's
            print("FAIL lab.%s: %s" % (fn.__name__, e or type(e).__name__))
            traceback.print_exc(limit=3, file=sys.stdout)
            failed += 1
    print("host lab: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
