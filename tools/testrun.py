#!/usr/bin/env python3
"""tools/testrun.py - the test runner behind `make test`.

    python3 tools/testrun.py [--matrix tests/matrix.txt] [--host build/host/test_* ...]
                             [--filter SUBSTR[,SUBSTR...]] [--kernel build/kernel.elf]
                             [--initrd build/initrd.cpio] [-j N] [-v] [--list]

1. Runs each host unit-test binary (tests/host/htest.h) and reads its closing
   line "host <suite>: N passed, N failed".
2. For each cell of the matrix (tests/matrix.txt: name machine smp cpu
   timeout cmdline...) builds an ISO for the cell's kernel command line (one
   per distinct command line, cached under build/iso/) with tools/mkiso.sh,
   boots it in QEMU (tools/qemu.py's qemu_command) with the serial port on a
   pipe, enforces the cell's timeout, and keeps the serial log in
   build/test-logs/<cell>.log.

What the kernel prints (anywhere on a line, after any prefix):
   ktest: PASS suite.name | ktest: FAIL suite.name | ktest: SKIP suite.name
   ktest: N passed, N failed[, N skipped]       the kernel's closing line
   <word>: N passed, N failed[, N skipped]      user test programs' closing
                                                lines (any word but "host")
   KERNEL PANIC                                 a panic
   teachos: ... (organisation: NAME)            the boot banner
   private: OS instance K is gone with CPU ...  instance K was lost (cpufail)
   ...: N OS instances ...                      how many OS instances run (private:
                                                one per CPU, each with its own init)
   ktest: running 'LIST': N of M registered tests selected
A cell passes only if QEMU exits with status 33 (the kernel wrote 0x10 to
isa-debug-exit), at least one closing line was seen, none reports failures,
there is no KERNEL PANIC line, the banner names the organisation the cell's
model= asked for (DEFAULT_MODEL without one), at least one test ran, and,
when the kernel ran tests, as many result lines came as it selected and
its closing line counts exactly those, and, in a run= cell whose kernel
runs N > 1 OS instances (each with its own init running the program), at
least N closing lines of user programs came: one from every instance
(less those a "private: OS instance K is gone with CPU" line says were
lost with a failed CPU, tests/matrix.txt's cpufail cells). A failed cell shows its reasons and the
last 30 lines of its log; its closing lines' counts are added, plus one
failure for the cell itself when no failed test was counted.

The last line of the output is always "N passed, N failed" over the host
tests and all cells; a run with no test at all is "0 passed, 1 failed".
Exit status 0 only if nothing failed.

Environment: ACCEL (tcg|kvm; default tcg), MEM (guest memory, default 256M),
TEST_VERBOSE=1 (same as -v: echo serial output live), TEST_TIMEOUT_SCALE
(multiply every cell timeout, e.g. 2 on a slow machine), QEMU_EXTRA (extra
QEMU arguments), FILTER (same as --filter), JOBS (same as -j).
"""

import argparse
import codecs
import glob
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
from qemu import qemu_command, connect_unix, uefi_vars_copy, EXIT_PASS, EXIT_FAIL, EXIT_PANIC  # noqa: E402

LOG_TAIL = 30
DETAIL_LINES = 8  # lines of why per failed cell in the closing summary
PANIC_GRACE = 5.0        # seconds to let a panic finish its report before the kill
HOST_TIMEOUT = 300.0     # seconds for one host test binary
LABS_TIMEOUT = 1800.0    # seconds for the proof of every lab's grader (--labs)

# Output conventions (see docs/testing.md).
RE_CLOSING = re.compile(
    r"(?<![\w.-])([A-Za-z_][\w.-]*): (\d+) passed, (\d+) failed(?:, (\d+) skipped)?")
RE_KTEST = re.compile(r"ktest: (PASS|FAIL|SKIP) (\S+)")
RE_HOST_CLOSING = re.compile(r"^host (\S+): (\d+) passed, (\d+) failed")
RE_HOST_FAIL = re.compile(r"^FAIL (\S+)")
RE_KTEST_SELECTED = re.compile(r"ktest: running '[^']*': (\d+) of (\d+) registered tests selected")
RE_BANNER = re.compile(r"teachos: .*\(organisation: ([\w.-]+)\)")
RE_MODEL_OPT = re.compile(r"(?:^|\s)model=(\S*)")
RE_INSTANCES = re.compile(r"\b(\d+) OS instances\b")
RE_INSTANCE_LOST = re.compile(r"private: OS instance (\d+) is gone with CPU")
RE_RUN_OPT = re.compile(r"(?:^|\s)run=")
DEFAULT_MODEL = "bkl"    # boot_options.model in kernel/options.c
PANIC = "KERNEL PANIC"
# Terminal control sequences (GRUB clears the screen, positions the cursor).
RE_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78cDEHM])")
RE_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
CELL_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")

print_lock = threading.Lock()
running = set()          # Popen objects of QEMUs still running
running_lock = threading.Lock()
interrupted = threading.Event()


def out(*lines):
    with print_lock:
        for line in lines:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()


def rel(path):
    try:
        r = os.path.relpath(path)
    except ValueError:
        return path
    return path if r.startswith("../..") else r


def fmt_time(s):
    return "%.1fs" % s


def clean_line(s):
    s = RE_ANSI.sub("", s)
    s = s.replace("\r", "")
    return RE_CTRL.sub("", s)


# ----------------------------------------------------------------- matrix


class Cell:
    def __init__(self, name, machine, smp, cpu, timeout, cmdline, where):
        self.name = name
        self.machine = machine
        self.smp = smp
        self.cpu = cpu
        self.timeout = timeout
        self.cmdline = cmdline
        self.where = where
        self.emulator = "qemu"      # or "bochs" (@emulator=bochs)
        # results
        self.iso = None
        self.iso_error = None
        self.status = None          # QEMU exit status, None if killed/not run
        self.timed_out = False
        self.elapsed = 0.0
        self.closings = []          # (word, passed, failed, skipped)
        self.ktest_fail = []        # names from "ktest: FAIL x"
        self.ktest_counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
        self.panic = None           # the first panic line
        self.selected = None        # from "ktest: running ...: N of M registered tests selected"
        self.banner_model = None    # from the boot banner
        self.instances = 1          # from "N OS instances"
        self.lost = set()           # instances whose CPU failed (cpufail): no closing line from them
        self.reasons = []
        self.detail = []            # e2fsck's findings, for the closing summary
        self.tail = []              # the last lines of serial output
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.ok = False
        self.log = None
        self.cmd = None
        self.done = False
        self.steps_passed = 0       # @screen/@wait/@keys steps done (run_screen_steps)
        self.steps_failed = []      # why a step failed
        self.steps_stopped = False  # QEMU was stopped after a failed step


def parse_matrix(path):
    with open(path, encoding="utf-8") as f:
        lines = [(raw, "%s:%d" % (rel(path), no)) for no, raw in enumerate(f, 1)]
    return parse_matrix_lines(lines, os.path.dirname(path))


def parse_matrix_lines(lines, matrix_dir):
    """Cells from (text, where) pairs in the matrix format; @input= files
    are relative to matrix_dir (tools/lab.py's graders use this too)."""
    cells, errors = [], []
    for raw, where in lines:
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        parts = line.split(None, 5)
        if len(parts) < 5:
            errors.append("%s: need 'name machine smp cpu timeout cmdline...'" % where)
            continue
        name, machine, smp, cpu, timeout = parts[:5]
        cmdline = parts[5] if len(parts) > 5 else ""
        if not CELL_NAME.match(name):
            errors.append("%s: bad cell name %r" % (where, name))
            continue
        try:
            smp_n = int(smp.split(",")[0])  # "4,sockets=2,cores=2" is 4 CPUs
            tmo = float(timeout)
            if smp_n < 1 or tmo <= 0:
                raise ValueError
        except ValueError:
            errors.append("%s: smp and timeout must be positive numbers" % where)
            continue
        if any(c.name == name for c in cells):
            errors.append("%s: duplicate cell name %r" % (where, name))
            continue
        cell = Cell(name, machine, smp, cpu, tmo, cmdline, where)
        err = take_cell_options(cell, matrix_dir)
        if err:
            errors.append("%s: %s" % (where, err))
            continue
        cells.append(cell)
    return cells, errors


# Words at the start of a cell's command line that begin with '@' are for the
# runner, not the kernel (docs/testing.md, "Cells that check their output"):
#   @mem=8M          guest memory of this cell (default: --mem / MEM)
#   @input=FILE      FILE (relative to the matrix file) is the serial input
#   @exit=N          the QEMU exit status the cell must end with (default 33)
#   @expect="RE"     some line must match the regular expression RE (repeatable)
#   @panic="RE"      a KERNEL PANIC line is expected, and must match RE
# With @expect or @panic the cell needs no closing line.
#   @nodisk=1        boot without the SATA disk (the initrd is the only file system)
#   @disklabel=NAME  give the cell's copy of the disk another ext2 label first
#                    (tune2fs -L): the kernel must leave it alone
#   @trace=1         the log must hold a complete per-CPU trace dump that
#                    tools/trace2json.py reads, with events from every CPU
#   @firmware=uefi   boot through OVMF instead of SeaBIOS (the same ISO)
# The screen and the keyboard (docs/console.md), steps done in order:
#   @gfx=MODE        GRUB's gfxpayload for this cell's ISO (e.g. 1024x768x32)
#   @screen="TEXT"   once a serial line holds TEXT, the screen must show it
#                    (QEMU's screendump, read with the font of lib/font.c)
#   @wait="RE"       wait for a serial line matching RE
#   @keys="TEXT"     type TEXT on the PS/2 keyboard (QEMU's sendkey; \n is Enter)
#   @kernel=NAME     boot another build of the kernel: NAME/kernel.elf next to
#                    --kernel (@kernel=ubsan: build/ubsan/kernel.elf, the one
#                    `make SANITIZE=ubsan` builds; see cell_kernel)
#   @emulator=bochs  boot in Bochs (tools/bochs.py) instead of QEMU: machine
#                    must be pc, cpu is a Bochs CPU model, no disk, no @input
RE_CELL_OPTION = re.compile(
    r'@(mem|input|exit|expect|panic|nodisk|trace|firmware|gfx|screen|wait|keys|kernel|emulator|disklabel)=(?:"([^"]*)"|(\S+))(?:\s+|$)')
RE_KERNEL_VARIANT = re.compile(r"^[a-z0-9]+$")


def take_cell_options(cell, matrix_dir):
    cell.mem = None
    cell.input = None
    cell.exit = EXIT_PASS
    cell.expect = []
    cell.panic_expected = None
    cell.nodisk = False
    cell.disklabel = None
    cell.trace = False
    cell.firmware = "bios"
    cell.gfx = None
    cell.steps = []     # ("screen"|"wait"|"keys", value), in the matrix's order
    cell.kernel_variant = None
    cell.emulator = "qemu"
    rest = cell.cmdline
    while rest.startswith("@"):
        m = RE_CELL_OPTION.match(rest)
        if not m:
            return "bad runner option %r (see docs/testing.md)" % rest.split()[0]
        key, val = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
        rest = rest[m.end():]
        try:
            if key == "mem":
                cell.mem = val
            elif key == "input":
                cell.input = os.path.join(matrix_dir, val)
                if not os.path.isfile(cell.input):
                    return "@input: %s: no such file" % rel(cell.input)
            elif key == "exit":
                cell.exit = int(val)
            elif key == "expect":
                cell.expect.append(re.compile(val))
            elif key == "disklabel":
                if not re.match(r"^[A-Za-z0-9_-]{1,16}$", val):
                    raise ValueError("an ext2 label: 1-16 letters, digits, - or _")
                cell.disklabel = val
            elif key == "nodisk":
                cell.nodisk = val not in ("0", "no")
            elif key == "trace":
                cell.trace = val not in ("0", "no")
            elif key == "firmware":
                if val not in ("bios", "uefi"):
                    raise ValueError("firmware is bios or uefi")
                cell.firmware = val
            elif key == "gfx":
                cell.gfx = val
            elif key in ("screen", "wait", "keys"):
                err = screen_step_error(key, val)
                if err:
                    return "@%s=%s: %s" % (key, val, err)
                cell.steps.append((key, re.compile(val) if key == "wait" else val))
            elif key == "kernel":
                if not RE_KERNEL_VARIANT.match(val):
                    return "@kernel=%s: a build's name, like ubsan (lower-case letters and digits)" % val
                cell.kernel_variant = val
            elif key == "emulator":
                cell.emulator = val
            else:
                cell.panic_expected = re.compile(val)
        except (ValueError, re.error) as e:
            return "@%s=%s: %s" % (key, val, e)
    cell.cmdline = rest
    return bochs_cell_problem(cell)


def bochs_cell_problem(cell):
    """What a cell cannot ask of Bochs (tools/bochs.py), or None."""
    if cell.emulator not in ("qemu", "bochs"):
        return "@emulator=%s: qemu or bochs" % cell.emulator
    if cell.emulator != "bochs":
        return None
    if cell.machine != "pc":
        return "@emulator=bochs: the machine is Bochs's i440FX PC, write pc"
    if cell.input:
        return "@emulator=bochs: no serial input (@input) under Bochs"
    if cell.firmware != "bios" or cell.steps or cell.gfx:
        return "@emulator=bochs: SeaBIOS only, and no QEMU monitor (@firmware, @gfx, @screen, @wait, @keys)"
    cell.nodisk = True      # Bochs has no AHCI controller
    return None


def bochs_cell_command(cell, opts):
    """tools/bochs.py's command line for a cell; its files (bochsrc, Bochs's
    own log) go next to the cell's log, in <logdir>/<cell>.bochs/."""
    return [sys.executable, os.path.join(TOOLS, "bochs.py"), "--test",
            "--iso", cell.iso, "--smp", str(cell.smp), "--mem", cell.mem or opts.mem,
            "--cpu", cell.cpu, "--workdir", os.path.join(opts.logdir, cell.name + ".bochs")]


# One Bochs at a time (it is slow and takes a core), whatever -j says.
bochs_lock = threading.Lock()


def matches(name, filters):
    return not filters or any(f in name for f in filters)


# ----------------------------------------------------------------- host tests


class HostResult:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.suite = self.name[5:] if self.name.startswith("test_") else self.name
        self.passed = 0
        self.failed = 0
        self.ok = False
        self.reasons = []
        self.elapsed = 0.0
        self.fails = []


def run_host(path, logdir, verbose, argv=None, timeout=HOST_TIMEOUT):
    """One host suite: the program at path (or the command argv, whose
    suite is named by path) and its closing line "host SUITE: ..."."""
    r = HostResult(path)
    t0 = time.monotonic()
    output = ""
    try:
        p = subprocess.run(argv or [os.path.abspath(path)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, start_new_session=True)
        output = p.stdout.decode("utf-8", "replace")
        status = p.returncode
    except subprocess.TimeoutExpired as e:
        output = (e.output or b"").decode("utf-8", "replace")
        status = None
        r.reasons.append("timeout after %ds" % timeout)
    except OSError as e:
        status = None
        r.reasons.append("cannot run: %s" % e)
    r.elapsed = time.monotonic() - t0

    closing = None
    for line in output.splitlines():
        m = RE_HOST_CLOSING.match(line)
        if m:
            closing = m
            r.passed += int(m.group(2))
            r.failed += int(m.group(3))
        m = RE_HOST_FAIL.match(line)
        if m:
            r.fails.append(m.group(1))
    if status is not None and status != 0:
        if status < 0:
            r.reasons.append("killed by signal %d" % -status)
        else:
            r.reasons.append("exit status %d" % status)
    if closing is None and status is not None:
        r.reasons.append("no closing line 'host %s: N passed, N failed'" % r.suite)
    if r.failed:
        r.reasons.append("%d failed" % r.failed)
    r.ok = not r.reasons
    if not r.ok and r.failed == 0:
        r.failed = 1

    os.makedirs(logdir, exist_ok=True)
    log = os.path.join(logdir, "host-%s.log" % r.suite)
    with open(log, "w", encoding="utf-8") as f:
        f.write(output)

    head = "host  %-16s %s  %d passed, %d failed  %s" % (
        r.suite, "PASS" if r.ok else "FAIL", r.passed, r.failed, fmt_time(r.elapsed))
    lines = [head]
    if verbose:
        lines += ["      | " + l for l in output.splitlines()]
    if not r.ok:
        lines.append("      reason: " + "; ".join(r.reasons))
        if not verbose:
            tail = output.splitlines()[-LOG_TAIL:] or ["(no output)"]
            lines.append("      --- last %d lines of %s ---" % (len(tail), rel(log)))
            lines += ["      | " + l for l in tail]
            lines.append("      ---")
    out(*lines)
    return r

# ----------------------------------------------------------------- screen and keyboard
#
# @screen, @wait and @keys steps (docs/console.md): a thread beside the
# serial reader drives QEMU's human monitor on a unix socket. @screen takes
# screendumps (PPM) and reads the console grid off them with the kernel's own
# font, parsed from lib/font.c, so a wrong glyph, colour-less text or a
# console that never draws fails; @keys types through QEMU's PS/2 keyboard.

STEP_TIMEOUT = 30.0      # seconds a step waits for its serial line (times --timeout-scale)
SCREEN_TIMEOUT = 15.0    # seconds @screen keeps looking at the screen after that
FONT_SOURCE = os.path.join(REPO, "lib", "font.c")
FONT_W, FONT_H = 8, 16

# QEMU sendkey names (QKeyCode) for the characters @keys can type.
_KEYS = {" ": "spc", "\n": "ret", "\t": "tab", "-": "minus", "=": "equal", ".": "dot",
         ",": "comma", "/": "slash", ";": "semicolon", "'": "apostrophe", "[": "bracket_left",
         "]": "bracket_right", "\\": "backslash", "`": "grave_accent"}
_SHIFTED = {"_": "-", "+": "=", ">": ".", "<": ",", "?": "/", ":": ";", '"': "'", "{": "[",
            "}": "]", "|": "\\", "~": "`", "!": "1", "@": "2", "#": "3", "$": "4", "%": "5",
            "^": "6", "&": "7", "*": "8", "(": "9", ")": "0"}


def key_names(text):
    """sendkey arguments that type text; ValueError for a character without one."""
    names = []
    for ch in text:
        if ch.islower() or ch.isdigit():
            names.append(ch)
        elif ch.isupper():
            names.append("shift-" + ch.lower())
        elif ch in _KEYS:
            names.append(_KEYS[ch])
        elif ch in _SHIFTED:
            names.append("shift-" + key_names(_SHIFTED[ch])[0])
        else:
            raise ValueError("no key types %r" % ch)
    return names


def keys_text(val):
    return val.replace("\\n", "\n").replace("\\t", "\t")


def screen_step_error(key, val):
    try:
        if key == "keys":
            key_names(keys_text(val))
        elif key == "wait":
            re.compile(val)
        elif not val:
            return "empty text"
    except (ValueError, re.error) as e:
        return str(e)
    return None


_font = None


def load_font(path=FONT_SOURCE):
    """{glyph bit pattern: character} from the glyph table in lib/font.c: its
    rows are the "...#...."-style strings, 16 per glyph, from 0x20 to 0x7e and
    then the fallback."""
    global _font
    if _font is None or path != FONT_SOURCE:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        start = text.index("glyph_art")
        rows = re.findall(r'"([.#]{%d})"' % FONT_W, text[start:])
        count = 0x7E - 0x20 + 2
        if len(rows) != count * FONT_H:
            raise ValueError("%s: %d glyph rows, expected %d" % (rel(path), len(rows), count * FONT_H))
        table = {}
        for i in range(count - 1):
            bits = "".join(rows[i * FONT_H:(i + 1) * FONT_H]).replace(".", "0").replace("#", "1")
            table[int(bits, 2)] = chr(0x20 + i)
        if path != FONT_SOURCE:
            return table
        _font = table
    return _font


def read_ppm(path):
    """(width, height, RGB bytes) of a binary PPM (P6, maxval 255) as QEMU's
    screendump writes it."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    if not m:
        raise ValueError("%s: not a P6 PPM" % path)
    w, h = int(m.group(1)), int(m.group(2))
    pix = data[m.end():]
    if len(pix) < w * h * 3:
        raise ValueError("%s: %d bytes of pixels, expected %d" % (path, len(pix), w * h * 3))
    return w, h, pix


def screen_rows(w, h, pix, font):
    """The console read off the pixels: per text row a string, each 8x16
    cell the character whose glyph has exactly its non-black pixels ('\\0'
    where none has: a cursor, a picture, a wrong glyph)."""
    rows = []
    for r in range(h // FONT_H):
        line = []
        for c in range(w // FONT_W):
            bits = 0
            for y in range(r * FONT_H, (r + 1) * FONT_H):
                o = (y * w + c * FONT_W) * 3
                for x in range(FONT_W):
                    bits = bits << 1 | (pix[o:o + 3] != b"\0\0\0")
                    o += 3
            line.append(font.get(bits, "\0"))
        rows.append("".join(line))
    return rows


class Monitor:
    """QEMU's human monitor on a unix socket: one command at a time."""

    def __init__(self, path, proc, timeout=10.0):
        self.sock = connect_unix(path, timeout, alive=lambda: proc.poll() is None)
        self.sock.settimeout(timeout)
        self._read_prompt()

    def _read_prompt(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("QEMU's monitor closed")
            buf += chunk
        return buf.decode("utf-8", "replace")

    def command(self, cmd):
        self.sock.sendall(cmd.encode() + b"\n")
        return self._read_prompt()

    def close(self):
        self.sock.close()


def monitor_socket_path(logdir, name):
    # A short directory: a unix socket's path must fit in 108 bytes.
    import tempfile
    return os.path.join(tempfile.mkdtemp(prefix="testrun-mon-"), "%s.sock" % name[:40])


def _wait_line(cell, proc, lines, start, match, scale):
    """Index of the first line from start on that match() accepts; None if
    QEMU ends or STEP_TIMEOUT (times scale) passes first."""
    deadline = time.monotonic() + STEP_TIMEOUT * scale
    i = start
    while True:
        while i < len(lines):
            if match(lines[i]):
                return i
            i += 1
        if proc.poll() is not None or time.monotonic() > deadline or interrupted.is_set():
            return None
        time.sleep(0.1)


def _look_at_screen(mon, proc, text, ppm):
    """Screendumps until one shows text on a console row; (True, rows) or
    (False, the last rows read)."""
    font = load_font()
    deadline = time.monotonic() + SCREEN_TIMEOUT
    rows = []
    while True:
        if os.path.exists(ppm):
            os.unlink(ppm)
        reply = mon.command("screendump %s" % ppm)
        try:
            rows = screen_rows(*read_ppm(ppm), font)
        except (OSError, ValueError) as e:
            rows = ["(screendump: %s; monitor said %r)" % (e, reply.strip()[-120:])]
        if any(text in r for r in rows):
            return True, rows
        if proc.poll() is not None or time.monotonic() > deadline:
            return False, rows
        time.sleep(0.5)


def run_screen_steps(cell, proc, lines, monitor_path, opts, logf):
    mon = None
    start = 0
    ppm = os.path.join(opts.logdir, cell.name + ".ppm")

    def note(msg):
        try:
            logf.write("# testrun: %s\n" % msg)
            logf.flush()
        except ValueError:
            pass

    try:
        for kind, val in cell.steps:
            if kind == "keys":
                mon = mon or Monitor(monitor_path, proc)
                for k in key_names(keys_text(val)):
                    mon.command("sendkey %s" % k)
                note("@keys: typed %r" % keys_text(val))
            else:
                match = val.search if kind == "wait" else (lambda l, t=val: t in l)
                i = _wait_line(cell, proc, lines, start, match, opts.timeout_scale)
                shown = val.pattern if kind == "wait" else val
                if i is None:
                    cell.steps_failed.append("@%s: no serial line %s %r" % (
                        kind, "matches" if kind == "wait" else "holds", shown))
                    return
                start = i + 1
                if kind == "screen":
                    mon = mon or Monitor(monitor_path, proc)
                    ok, rows = _look_at_screen(mon, proc, val, ppm)
                    if not ok:
                        shown_rows = [r.rstrip(" \0").replace("\0", "?") for r in rows]
                        shown_rows = [r for r in shown_rows if r][-4:]
                        later = len(lines) - start
                        cell.steps_failed.append("@screen: %r is on the serial line but not on the screen "
                                                 "(%d lines came after it there: %s; screendump %s; its last "
                                                 "rows: %s)" % (
                                                     val, later,
                                                     "scrolled off?" if later >= len(rows) else "not scrolled off",
                                                     rel(ppm), " | ".join(shown_rows) or "none"))
                        return
                    note("@screen: %r is on the screen" % val)
            cell.steps_passed += 1
        if os.path.exists(ppm):
            os.unlink(ppm)  # kept only when a step failed
    except (OSError, ValueError) as e:
        cell.steps_failed.append("@screen/@keys: %s" % e)
    finally:
        if cell.steps_failed and proc.poll() is None:
            cell.steps_stopped = True
            kill_group(proc)  # the rest of the steps cannot run: no need to wait for the timeout
        if mon:
            mon.close()
        shutil.rmtree(os.path.dirname(monitor_path), ignore_errors=True)


# ----------------------------------------------------------------- ISOs


def iso_name(cmdline, gfx=None, variant=None):
    key = cmdline if gfx is None else cmdline + "\0gfx=" + gfx
    slug = re.sub(r"[^A-Za-z0-9]+", "_", cmdline).strip("_")[:40] or "default"
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    # Another kernel build (@kernel=) gets ISOs of its own names.
    return "%s%s-%s.iso" % (variant + "-" if variant else "", slug, digest)


def cell_kernel(cell, kernel):
    """The kernel image a cell boots: --kernel, or with @kernel=NAME the
    build NAME/kernel.elf in --kernel's directory (build/ubsan/kernel.elf)."""
    if not cell.kernel_variant:
        return kernel
    return os.path.join(os.path.dirname(kernel), cell.kernel_variant, os.path.basename(kernel))


def build_iso(kernel, initrd, cmdline, isodir, gfx=None, variant=None):
    """Return (path, None) or (None, error). Rebuilt only when out of date.
    gfx: GRUB's gfxpayload (mkiso's GFXPAYLOAD), None for mkiso's default;
    variant: the @kernel= build, for the ISO's name."""
    for f in (kernel, initrd):
        if not os.path.isfile(f):
            return None, "%s missing (build it first: make%s)" % (
                rel(f), " SANITIZE=%s" % variant if variant and f == kernel else "")
    os.makedirs(isodir, exist_ok=True)
    iso = os.path.join(isodir, iso_name(cmdline, gfx, variant))
    mkiso = os.path.join(TOOLS, "mkiso.sh")
    try:
        newest = max(os.path.getmtime(p) for p in (kernel, initrd, mkiso))
        if os.path.getmtime(iso) > newest:
            return iso, None
    except OSError:
        pass
    env = dict(os.environ)
    env.pop("MENU_TIMEOUT", None)       # tests boot the default entry at once
    env.pop("GFXPAYLOAD", None)
    if gfx is not None:
        env["GFXPAYLOAD"] = gfx
    p = subprocess.run(["bash", mkiso, kernel, initrd, iso, cmdline],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=env)
    if p.returncode != 0:
        msg = p.stdout.decode("utf-8", "replace").strip().splitlines()
        return None, "mkiso.sh failed: " + (" / ".join(msg[-5:]) or "status %d" % p.returncode)
    with open(iso + ".cmdline", "w", encoding="utf-8") as f:
        f.write(cmdline + "\n")
    return iso, None


# ----------------------------------------------------------------- cells


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def relabel_disk(path, label):
    """@disklabel: tune2fs -L on the cell's copy; None, or what went wrong."""
    tune2fs = shutil.which("tune2fs") or "/sbin/tune2fs"
    try:
        p = subprocess.run([tune2fs, "-L", label, path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "@disklabel: cannot run tune2fs: %s" % e
    if p.returncode != 0:
        return "@disklabel: tune2fs failed: %s" % p.stdout.decode("utf-8", "replace").strip()
    return None


def check_disk(path):
    """e2fsck -fn on a cell's disk: None when clean, else its output."""
    e2fsck = shutil.which("e2fsck") or "/sbin/e2fsck"
    try:
        p = subprocess.run([e2fsck, "-fn", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "cannot run e2fsck: %s" % e
    text = p.stdout.decode("utf-8", "replace")
    # e2fsck exits 0 for a wrong free count in the superblock (it treats the
    # count as a hint); any question it answered "no" is a problem here.
    if p.returncode == 0 and "Fix? no" not in text:
        return None
    return "exit status %d\n%s" % (p.returncode, text)


def run_cell(cell, opts):
    if cell.emulator == "bochs":
        with bochs_lock:
            return run_cell_in(cell, opts)
    return run_cell_in(cell, opts)


def run_cell_in(cell, opts):
    os.makedirs(opts.logdir, exist_ok=True)
    cell.log = os.path.join(opts.logdir, cell.name + ".log")
    timeout = cell.timeout * opts.timeout_scale
    out("cell  %-16s start  %s smp=%s cpu=%s timeout=%ds: %s%s" % (
        cell.name, cell.machine, cell.smp, cell.cpu, timeout,
        "(kernel %s) " % cell.kernel_variant if cell.kernel_variant else "", cell.cmdline or "(empty)"))
    t0 = time.monotonic()

    if cell.iso_error:
        cell.reasons.append(cell.iso_error)
        with open(cell.log, "w", encoding="utf-8") as f:
            f.write("# testrun: cell %s not booted: %s\n" % (cell.name, cell.iso_error))
        finish_cell(cell, [], opts)
        return cell

    # A fresh copy of the disk for every cell; e2fsck looks at it afterwards.
    cell.disk = None
    if opts.disk and not cell.nodisk:
        os.makedirs(opts.diskdir, exist_ok=True)
        cell.disk = os.path.join(opts.diskdir, cell.name + ".img")
        shutil.copyfile(opts.disk, cell.disk)
        if cell.disklabel:
            err = relabel_disk(cell.disk, cell.disklabel)
            if err:
                cell.reasons.append(err)
                with open(cell.log, "w", encoding="utf-8") as f:
                    f.write("# testrun: cell %s not booted: %s\n" % (cell.name, err))
                finish_cell(cell, [], opts)
                return cell
    uefi_vars = None
    if cell.firmware == "uefi":
        try:
            uefi_vars = uefi_vars_copy(os.path.join(opts.logdir, cell.name + ".ovmf-vars.fd"))
        except OSError as e:
            cell.reasons.append(str(e))
            with open(cell.log, "w", encoding="utf-8") as f:
                f.write("# testrun: cell %s not booted: %s\n" % (cell.name, e))
            finish_cell(cell, [], opts)
            return cell
    monitor_path = monitor_socket_path(opts.logdir, cell.name) if cell.steps else None
    cell.cmd = qemu_command(cell.iso, cell.smp, cell.mem or opts.mem, cell.machine, cell.cpu,
                            opts.accel, opts.extra, serial="stdio", disk=cell.disk,
                            firmware=cell.firmware, uefi_vars=uefi_vars, monitor=monitor_path)
    if cell.emulator == "bochs":
        cell.cmd = bochs_cell_command(cell, opts)
    lines = []
    panic_at = [None]
    logf = open(cell.log, "w", encoding="utf-8")
    logf.write("# testrun: cell %s (%s): %s\n" % (cell.name, cell.where, cell.cmdline))
    logf.write("# testrun: %s\n" % " ".join(shlex.quote(c) for c in cell.cmd))
    logf.flush()

    try:
        stdin = open(cell.input, "rb") if cell.input else subprocess.DEVNULL
        proc = subprocess.Popen(cell.cmd, stdin=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        if cell.input:
            stdin.close()       # QEMU has its own copy
    except OSError as e:
        logf.close()
        cell.reasons.append("cannot start QEMU: %s" % e)
        finish_cell(cell, [], opts)
        return cell
    with running_lock:
        running.add(proc)

    def take(line):
        line = clean_line(line)
        lines.append(line)
        try:
            logf.write(line + "\n")
            logf.flush()
        except ValueError:      # log closed: QEMU's pipe outlived it
            return
        if PANIC in line and panic_at[0] is None:
            panic_at[0] = time.monotonic()
        if opts.verbose:
            out("[%s] %s" % (cell.name, line))

    def reader():
        dec = codecs.getincrementaldecoder("utf-8")("replace")
        buf = ""
        fd = proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += dec.decode(chunk)
            *complete, buf = buf.split("\n")
            for l in complete:
                take(l)
        buf += dec.decode(b"", final=True)
        if buf:
            take(buf)

    rt = threading.Thread(target=reader, daemon=True)
    rt.start()
    steps = None
    if cell.steps:
        steps = threading.Thread(target=run_screen_steps, daemon=True,
                                 args=(cell, proc, lines, monitor_path, opts, logf))
        steps.start()
    deadline = t0 + timeout
    killed = None           # why we killed QEMU, if we did
    while True:
        limit = deadline
        if panic_at[0] is not None:
            limit = min(limit, panic_at[0] + PANIC_GRACE)
        try:
            proc.wait(timeout=max(0.0, min(limit - time.monotonic(), 0.5)))
            break
        except subprocess.TimeoutExpired:
            pass
        if interrupted.is_set():
            killed = "interrupted"
        elif time.monotonic() >= deadline:
            killed = "timeout after %ds: hung, QEMU killed" % timeout
            cell.timed_out = True
        elif time.monotonic() >= limit:
            killed = "QEMU still running %ds after the panic: killed" % PANIC_GRACE
        if killed:
            kill_group(proc)
            proc.wait()
            break
    if not killed and cell.steps_stopped:
        killed = "QEMU stopped after the failed step"
    cell.elapsed = time.monotonic() - t0
    # QEMU is gone; anything it started may still hold the pipe open.
    rt.join(2.0)
    if rt.is_alive():
        kill_group(proc)
        rt.join(2.0)
    with running_lock:
        running.discard(proc)
    proc.stdout.close()
    if steps:
        steps.join(5.0)
    if killed:
        cell.reasons.append(killed)
    else:
        cell.status = proc.returncode
    logf.write("# testrun: QEMU %s after %.1fs\n" % (
        "exit status %d" % cell.status if cell.status is not None else "killed",
        cell.elapsed))
    if cell.disk and not killed:
        fsck = check_disk(cell.disk)
        if fsck:
            cell.reasons.append("e2fsck -fn: the disk is not clean afterwards (see the log)")
            logf.write("# testrun: e2fsck -fn %s:\n%s\n" % (cell.disk, fsck))
            # What e2fsck found, for the closing summary: a CI log may
            # show only its end, and the disk copy is gone by then.
            cell.detail = ["e2fsck: " + l for l in fsck.splitlines()
                           if l.strip() and not l.startswith(("Pass ", "e2fsck "))][:DETAIL_LINES]
        else:
            logf.write("# testrun: e2fsck -fn: clean\n")
    logf.close()
    finish_cell(cell, lines, opts)
    return cell


def expected_model(cmdline):
    """The organisation a command line asks for: its last model=, else the kernel's default."""
    found = RE_MODEL_OPT.findall(cmdline)
    return found[-1] if found else DEFAULT_MODEL


def cell_count_problems(cell):
    """What is wrong with a booted cell's banner and test counts (empty: nothing)."""
    problems = []
    want = expected_model(cell.cmdline)
    if (cell.expect or cell.panic_expected) and not cell.closings:
        # A cell judged by its @expect/@panic lines alone ran no tests. One
        # that expects the kernel to refuse its command line (pc-bad-model:
        # an unknown model, @exit=35) or to stop before the banner (no NX,
        # too little memory) is judged by those lines; one that expects a
        # clean run must still have booted the organisation it named.
        if cell.exit == EXIT_PASS and cell.banner_model not in (None, want):
            problems.append("organisation %r ran, the cell asked for %r"
                            % (cell.banner_model, want))
        return problems
    if cell.banner_model is None:
        problems.append("no boot banner naming the organisation (wanted %r)" % want)
    elif cell.banner_model != want:
        problems.append("organisation %r ran, the cell asked for %r"
                        % (cell.banner_model, want))
    results = sum(cell.ktest_counts.values())
    kernel = [(p, f, s) for word, p, f, s in cell.closings if word == "ktest"]
    if cell.selected is not None:
        if results != cell.selected:
            problems.append("the kernel selected %d tests but %d result lines came"
                            % (cell.selected, results))
        for p, f, s in kernel:
            if p + f + s != results:
                problems.append("the ktest closing line counts %d tests, the result lines %d"
                                % (p + f + s, results))
    elif kernel:
        problems.append("a ktest closing line, but no 'ktest: running' line saying how many "
                        "tests were selected")
    if cell.closings and sum(p + f + s for _, p, f, s in cell.closings) == 0:
        problems.append("no test ran")
    user = [c for c in cell.closings if c[0] != "ktest"]
    if RE_RUN_OPT.search(cell.cmdline) and cell.instances > 1 and len(user) < cell.instances - len(cell.lost):
        problems.append("%d OS instances ran the program (%d lost with a failed CPU), but only %d closing "
                        "lines came" % (cell.instances, len(cell.lost), len(user)))
    return problems


def check_trace_dump(cell, lines):
    """@trace: the last complete dump parses, holds events of every CPU and
    gives each CPU a timeline (tools/trace2json.py). One passed test, or a
    reason."""
    import trace2json
    try:
        t = trace2json.parse(lines)
    except trace2json.TraceError as e:
        cell.reasons.append("@trace: %s" % e)
        return
    seen = {ev.cpu for ev in t.events}
    timelines = trace2json.states(t)
    problems = []
    if not t.complete:
        problems.append("the dump is cut short")
    if t.bad_lines:
        problems.append("%d unreadable trace lines" % t.bad_lines)
    missing = [c for c in range(t.cpus) if c not in seen or not timelines[c]]
    if missing:
        problems.append("no events from CPU %s of %d" % (",".join(map(str, missing)), t.cpus))
    if problems:
        cell.reasons.append("@trace: " + "; ".join(problems))
    else:
        cell.passed += 1


def check_expected_output(cell, lines):
    """The @expect/@panic checks of a cell: each met one counts as a passed
    test, each missed one adds a reason. False if the cell has none."""
    if cell.trace:
        check_trace_dump(cell, lines)
    checks = [("line", rx) for rx in cell.expect]
    if cell.panic_expected:
        checks.append(("panic line", cell.panic_expected))
    for what, rx in checks:
        pool = [l for l in lines if PANIC in l] if what == "panic line" else lines
        if any(rx.search(l) for l in pool):
            cell.passed += 1
        else:
            cell.reasons.append("no %s matches %r" % (what, rx.pattern))
    cell.passed += cell.steps_passed
    cell.reasons += cell.steps_failed
    return bool(checks) or cell.trace or bool(cell.steps)


def finish_cell(cell, lines, opts):
    cell.tail = [l.rstrip() for l in lines[-DETAIL_LINES:]]
    for line in lines:
        m = RE_KTEST.search(line)
        if m:
            cell.ktest_counts[m.group(1)] += 1
            if m.group(1) == "FAIL":
                cell.ktest_fail.append(m.group(2))
        for m in RE_CLOSING.finditer(line):
            if m.group(1) == "host":
                continue
            cell.closings.append((m.group(1), int(m.group(2)), int(m.group(3)),
                                  int(m.group(4) or 0)))
        if PANIC in line and cell.panic is None:
            cell.panic = line.strip()
        m = RE_KTEST_SELECTED.search(line)
        if m and cell.selected is None:
            cell.selected = int(m.group(1))
        m = RE_BANNER.search(line)
        if m and cell.banner_model is None:
            cell.banner_model = m.group(1)
        m = RE_INSTANCES.search(line)
        if m and cell.instances == 1:
            cell.instances = int(m.group(1))
        m = RE_INSTANCE_LOST.search(line)
        if m:
            cell.lost.add(int(m.group(1)))

    r = cell.reasons
    expected_output = check_expected_output(cell, lines)
    if cell.panic and not cell.panic_expected:
        r.insert(0, "kernel panic: %s" % cell.panic)
    if cell.status is not None and cell.status != cell.exit:
        what = {EXIT_FAIL: " (kernel reported failure)",
                EXIT_PANIC: " (kernel panic)",
                1: " (QEMU error: see the log)",
                0: " (the guest reset, e.g. a triple fault, or shut down;"
                   " it never wrote to isa-debug-exit)"}.get(cell.status, "")
        r.append("QEMU exit status %d, expected %d%s" % (cell.status, cell.exit, what))
    if cell.iso_error is None and not cell.closings and not expected_output:
        r.append("no closing line ('ktest: N passed, N failed')")
    for word, p, f, s in cell.closings:
        cell.passed += p
        cell.failed += f
        cell.skipped += s
        if f:
            r.append("%s: %d failed" % (word, f))
    if cell.ktest_fail and cell.failed == 0:
        r.append("%d 'ktest: FAIL' lines but no closing line counts them"
                 % len(cell.ktest_fail))
    if cell.cmd:
        r += cell_count_problems(cell)
    cell.ok = not r
    if not cell.ok and cell.failed == 0:
        cell.failed = 1

    head = "cell  %-16s %s   %d passed, %d failed%s  %s" % (
        cell.name, "PASS" if cell.ok else "FAIL", cell.passed, cell.failed,
        ", %d skipped" % cell.skipped if cell.skipped else "", fmt_time(cell.elapsed))
    report = [head]
    if not cell.ok:
        for reason in r:
            report.append("      reason: " + reason)
        if cell.ktest_fail:
            report.append("      failed tests: " + ", ".join(cell.ktest_fail))
        if not lines and cell.cmd:
            report.append("      (no serial output at all; log: %s)" % rel(cell.log))
        elif lines and not opts.verbose:
            tail = lines[-LOG_TAIL:]
            report.append("      --- last %d lines of %s ---" % (len(tail), rel(cell.log)))
            report += ["      | " + l for l in tail]
            report.append("      ---")
        elif cell.log:
            report.append("      log: " + rel(cell.log))
        if cell.cmd and cell.emulator == "bochs":
            report.append("      rerun: python3 tools/bochs.py --iso %s --smp %s --cpu %s "
                          "(Bochs's log: %s)" % (rel(cell.iso), cell.smp, cell.cpu,
                                                 rel(cell.cmd[-1])))
        elif cell.cmd:
            report.append("      rerun: python3 tools/qemu.py --iso %s --machine %s "
                          "--smp %s --cpu %s" % (rel(cell.iso), cell.machine,
                                                 cell.smp, shlex.quote(cell.cpu)))
    cell.done = True
    out(*report)


# ----------------------------------------------------------------- main


def expand_host(patterns):
    """Expand globs; keep executables (a shell glob may also bring .o/.d files)."""
    files = []
    for p in patterns:
        hits = sorted(glob.glob(p)) if any(c in p for c in "*?[") else [p]
        for h in hits:
            if h.endswith((".c", ".h", ".o", ".d", ".log", ".txt")):
                continue
            if os.path.exists(h) and not (os.path.isfile(h) and os.access(h, os.X_OK)):
                continue
            if h not in files:
                files.append(h)
    return files


def summary_table(hosts, cells):
    rows = [("name", "machine", "smp", "cpu", "result", "passed", "failed", "time", "reason")]
    for h in hosts:
        rows.append(("host:" + h.suite, "-", "-", "-", "PASS" if h.ok else "FAIL",
                     str(h.passed), str(h.failed), fmt_time(h.elapsed),
                     "; ".join(h.reasons)))
    for c in cells:
        rows.append((c.name, c.machine, str(c.smp), c.cpu, "PASS" if c.ok else "FAIL",
                     str(c.passed), str(c.failed), fmt_time(c.elapsed),
                     (c.reasons[0] if c.reasons else "")[:70]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for r in rows:
        lines.append("  " + "  ".join(r[i].ljust(widths[i]) for i in range(len(widths)))
                     + "  " + r[-1])
    return [l.rstrip() for l in lines]


def main(argv=None):
    env = os.environ
    p = argparse.ArgumentParser(
        description="Run host unit tests and boot every cell of the test matrix.",
        epilog="The last output line is 'N passed, N failed'. See docs/testing.md.")
    p.add_argument("--matrix", default=os.path.join(REPO, "tests", "matrix.txt"),
                   help="matrix file (default tests/matrix.txt; '' for none)")
    p.add_argument("--host", nargs="*", default=[], metavar="BIN",
                   help="host test binaries (globs are expanded)")
    p.add_argument("--filter", default=env.get("FILTER", ""),
                   help="run only cells/host suites whose name contains one of "
                        "these comma-separated substrings (env FILTER)")
    p.add_argument("--kernel", default=os.path.join(REPO, "build", "kernel.elf"))
    p.add_argument("--initrd", default=os.path.join(REPO, "build", "initrd.cpio"))
    p.add_argument("--disk", default="",
                   help="disk image; each cell boots a copy and e2fsck -fn checks it after")
    p.add_argument("--diskdir", default=os.path.join(REPO, "build", "test-disks"))
    p.add_argument("-j", "--jobs", type=int, default=int(env.get("JOBS") or 1),
                   help="cells run in parallel (default 1; env JOBS)")
    p.add_argument("-v", "--verbose", action="store_true",
                   default=env.get("TEST_VERBOSE", "") not in ("", "0"),
                   help="echo serial output live (env TEST_VERBOSE=1)")
    p.add_argument("--labs", action="store_true",
                   help="after the cells, prove every lab's grader (tools/lab.py prove: full "
                        "marks on this tree, fewer on each lab's stubs) as the host suite 'labs'")
    p.add_argument("--list", action="store_true", help="list host suites and cells, run nothing")
    p.add_argument("--accel", default=env.get("ACCEL") or "tcg", help="tcg or kvm (env ACCEL)")
    p.add_argument("--mem", default=env.get("MEM") or "256M", help="guest memory (env MEM)")
    p.add_argument("--extra", default=env.get("QEMU_EXTRA", ""),
                   help="extra QEMU arguments (env QEMU_EXTRA)")
    p.add_argument("--timeout-scale", type=float,
                   default=float(env.get("TEST_TIMEOUT_SCALE") or 1.0),
                   help="multiply every cell's timeout (env TEST_TIMEOUT_SCALE)")
    p.add_argument("--logdir", default=os.path.join(REPO, "build", "test-logs"))
    p.add_argument("--isodir", default=os.path.join(REPO, "build", "iso"))
    opts = p.parse_args(argv)
    opts.jobs = max(1, opts.jobs)
    filters = [f for f in opts.filter.split(",") if f.strip()]
    filters = [f.strip() for f in filters]

    setup_errors = []
    cells = []
    if opts.matrix:
        if not os.path.isfile(opts.matrix):
            setup_errors.append("%s: no such matrix file" % rel(opts.matrix))
        else:
            cells, errs = parse_matrix(opts.matrix)
            setup_errors += errs
    cells = [c for c in cells if matches(c.name, filters)]
    hosts = [h for h in expand_host(opts.host)
             if matches(os.path.basename(h), filters)]

    if opts.list:
        for h in hosts:
            print("host  %s" % rel(h))
        for c in cells:
            print("cell  %-16s %-4s smp=%-2s cpu=%-16s timeout=%-5s %s" % (
                c.name, c.machine, c.smp, c.cpu, "%ds" % c.timeout,
                ("@kernel=%s " % c.kernel_variant if c.kernel_variant else "") + c.cmdline))
        for e in setup_errors:
            print("error: " + e)
        return 1 if setup_errors else 0

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    t_start = time.monotonic()
    out("testrun: %d host suite%s, %d cell%s (-j %d, accel %s)%s" % (
        len(hosts), "" if len(hosts) == 1 else "s", len(cells),
        "" if len(cells) == 1 else "s", opts.jobs, opts.accel,
        "; filter: " + ",".join(filters) if filters else ""))
    for e in setup_errors:
        out("testrun: error: " + e)

    host_results = []
    cell_results = []
    try:
        for h in hosts:
            host_results.append(run_host(h, opts.logdir, opts.verbose))

        if cells:
            if shutil.which(qemu_command("x", accel="tcg")[0]) is None:
                out("testrun: QEMU not found (run tools/deps.sh)")
            isos = {}
            for c in cells:
                key = (c.kernel_variant, c.cmdline, c.gfx)
                if key not in isos:
                    isos[key] = build_iso(cell_kernel(c, opts.kernel), opts.initrd, c.cmdline,
                                          opts.isodir, c.gfx, c.kernel_variant)
                c.iso, c.iso_error = isos[key]
            if opts.jobs == 1:
                for c in cells:
                    cell_results.append(run_cell(c, opts))
            else:
                with ThreadPoolExecutor(max_workers=opts.jobs) as ex:
                    futs = [ex.submit(run_cell, c, opts) for c in cells]
                    try:
                        for f in futs:
                            while True:
                                try:
                                    f.result(timeout=0.5)
                                    break
                                except TimeoutError:
                                    continue
                    except KeyboardInterrupt:
                        interrupted.set()
                        ex.shutdown(wait=True, cancel_futures=True)
                        raise
                cell_results = [c for c in cells]
        if opts.labs and not filters:
            argv = [sys.executable, os.path.join(TOOLS, "lab.py"), "prove", "--jobs",
                    env.get("LAB_JOBS") or "2",
                    "--kernel", opts.kernel, "--initrd", opts.initrd, "--accel", opts.accel,
                    "--timeout-scale", str(opts.timeout_scale)] + (["--disk", opts.disk] if opts.disk else [])
            host_results.append(run_host("labs", opts.logdir, opts.verbose, argv, LABS_TIMEOUT))
    except KeyboardInterrupt:
        interrupted.set()
        with running_lock:
            procs = list(running)
        for proc in procs:
            kill_group(proc)
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        out("testrun: interrupted")
        done = [c for c in cells if c.done]
        done_p = sum(h.passed for h in host_results) + sum(c.passed for c in done)
        done_f = sum(h.failed for h in host_results) + sum(c.failed for c in done)
        out("%d passed, %d failed" % (done_p, done_f + 1))
        return 130

    passed = sum(h.passed for h in host_results) + sum(c.passed for c in cells)
    failed = sum(h.failed for h in host_results) + sum(c.failed for c in cells)
    failed += len(setup_errors)

    table = summary_table(host_results, cells)
    lines = ["", "summary (%s, logs in %s):" % (fmt_time(time.monotonic() - t_start),
                                                rel(opts.logdir))]
    if len(table) > 1:
        lines += table
    bad = [c.name for c in cells if not c.ok] + ["host:" + h.suite for h in host_results if not h.ok]
    if bad:
        lines.append("failed: " + " ".join(bad))
        # The first lines of why, at the very end where a truncated CI log
        # still shows them.
        for c in [c for c in cells if not c.ok][:3]:
            why = c.detail or (["panic: " + c.panic] if c.panic else []) + c.tail[-4:]
            lines += ["  %s: %s" % (c.name, l[:150]) for l in why[:DETAIL_LINES]]
    for e in setup_errors:
        lines.append("error: " + e)
    if passed + failed == 0:
        lines.append("no test ran%s: that counts as a failure" %
                     (" (filter %r matched nothing)" % opts.filter if filters else ""))
        failed = 1
    try:
        os.makedirs(opts.logdir, exist_ok=True)
        with open(os.path.join(opts.logdir, "summary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines[1:] + ["%d passed, %d failed" % (passed, failed)]) + "\n")
    except OSError:
        pass
    lines.append("%d passed, %d failed" % (passed, failed))
    out(*lines)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
