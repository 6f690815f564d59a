#!/usr/bin/env python3
"""tools/bochs.py - boot the kernel ISO in Bochs, the second emulator.

    python3 tools/bochs.py [--iso build/os.iso] [--smp 4] [--mem 256M]
                           [--cpu corei7_sandy_bridge_2600k] [--ips 50000000]
                           [--workdir DIR] [--test] [--print]

On a terminal the serial console (COM1) is the terminal itself: Bochs puts
it in raw mode and reads and writes it, so the shell works (`make bochs`).
Ctrl-C goes to the guest; leave with the shell's `halt` (ACPI S5 ends
Bochs), or kill tools/bochs.py from elsewhere (it puts the terminal back).
Otherwise (--test, or output piped) COM1 goes to a file whose new bytes this
script copies to its standard output, and there is no serial input. Every
option falls back to an environment variable (SMP, MEM, BOCHS_CPU,
BOCHS_IPS), then to the defaults shown by --help.

The machine. Bochs 2.7 as Debian builds it (package bochs) emulates an
i440FX PC with x86-64 and SMP, a local APIC per CPU, an I/O APIC, the PIT,
the CMOS RTC, a PIIX4 ACPI power-management function and an IDE CD-ROM.
It has no AHCI controller, so the kernel runs without its SATA disk (the
initrd is the file system) and the disk suites skip.

Which BIOS. Bochs's own BIOS (/usr/share/bochs/BIOS-bochs-latest) boots GRUB
2.06 from the CD, but GRUB's heap is then corrupted while it loads the
kernel ("free magic is broken at 0x137ab0", GRUB's kern/mm.c) and the
machine triple-faults. SeaBIOS (package seabios, which QEMU uses too) boots
it. SeaBIOS knows two things from the CMOS when no QEMU fw_cfg device is
there: the memory size (registers 0x30/0x31, 0x34/0x35) and the CPU count
less one (0x5f; without it SeaBIOS waits for no AP and its ACPI MADT lists
one CPU). Bochs writes neither 0x5f nor, once it is given a CMOS image,
the memory registers, so this script writes the whole image (cmos.img).

The clock. `clock: sync=none` with `ips` N: guest time is N instructions a
second of each CPU, whatever the host does, so a run is the same on a slow
or a loaded host (and faster than real time). The TSC then runs at N Hz.

How a run ends. QEMU's isa-debug-exit device is not in Bochs: the kernel's
write of 0x10 (pass), 0x11 (fail) or 0x12 (panic) to port 0xf4 goes to no device. Bochs
logs writes to unmapped ports at its debug level ("unmapped: 32-bit write to
00f4 = 00000010"), so the bochsrc turns that one module's debug messages on
and this script watches the log: at that line it ends Bochs and exits with
QEMU's status for the same write, (v << 1) | 1: 33 pass, 35 fail, 37 panic.
ACPI S5 (arch/x86_64/power.c: SLP_TYP 0 from SeaBIOS's SSDT) makes Bochs
itself quit ("ACPI control: soft power off"); that is status 0 here, as
when QEMU is quit. A triple fault stops Bochs (reset_on_triple_fault=0;
QEMU's -no-reboot does the same): status 4. With --test the statuses are
passed through as they are (tools/testrun.py judges them like QEMU's);
without it 33 -> 0, 35 -> 1 and 37 -> 3, as tools/qemu.py does.

Bochs's own log (bochs.log, with the BIOS's messages and the CPUs' state
when it stops) and the generated bochsrc stay in --workdir (default: a
temporary directory, removed afterwards unless the run failed).

tools/testrun.py runs `tools/bochs.py --test` for the cells with
@emulator=bochs (docs/testing.md, docs/emulators.md).
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time

# The kernel's statuses and what they mean for a person are qemu.py's (this
# script's directory is on sys.path when it runs as a program).
from qemu import EXIT_PASS, map_status

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BIOS = "/usr/share/seabios/bios.bin"
VGABIOS = "/usr/share/vgabios/vgabios.bin"     # package vgabios: for Bochs's VGA
DEBUG_EXIT_PORT = 0xF4
EXIT_POWEROFF = 0
EXIT_TRIPLE_FAULT = 4        # as tools/qemu.py's "the machine reset"
EXIT_BOCHS_ERROR = 5         # Bochs stopped for a reason of its own (see its log)
STOP_GRACE = 5.0             # seconds for Bochs to quit when asked

DEFAULTS = {
    "smp": "1",
    "mem": "256M",
    # x86-64 with NX, SSE4, XSAVE, xAPIC (no x2APIC): what the kernel and
    # newlib need, and a plain xAPIC machine. corei7_haswell_4770 and later
    # models offer x2APIC (bochs --help cpu lists them all).
    "cpu": "corei7_sandy_bridge_2600k",
    # Instructions a second of guest time, per CPU (see "The clock").
    "ips": "50000000",
}

RE_DEBUG_EXIT = re.compile(r"unmapped: \d+-bit write to %04x = ([0-9a-f]+)" % DEBUG_EXIT_PORT)
RE_POWEROFF = re.compile(r"ACPI control: soft power off")
RE_TRIPLE = re.compile(r"triple fault|3rd \(\d+\) exception with no resolution")
RE_PANIC = re.compile(r"\]p\[|>>PANIC<<")


def bochs_binary():
    return os.environ.get("BOCHS", "bochs")


def mem_mib(mem):
    """'256M', '1G', '512' -> MiB (int); ValueError when not a size Bochs and
    SeaBIOS both take here (16 MiB to 3 GiB: the CMOS registers used hold
    memory below 4 GiB, and the PCI hole starts at 3.5 GiB)."""
    m = re.fullmatch(r"(\d+)([MmGg]?)", str(mem).strip())
    if not m:
        raise ValueError("memory size %r: give MiB like 256M or GiB like 1G" % mem)
    n = int(m.group(1)) * (1024 if m.group(2) in ("G", "g") else 1)
    if not 16 <= n <= 3072:
        raise ValueError("memory size %r: Bochs runs here take 16M to 3G" % mem)
    return n


def cmos_image(mib, smp):
    """The 128 bytes of CMOS that SeaBIOS reads on a machine without fw_cfg.

    Registers (the IBM PC/AT CMOS map; SeaBIOS src/fw/paravirt.c and
    src/hw/rtc.c): 0x0a-0x0d the MC146818 status registers (divider 32.768
    kHz with a 1024 Hz rate, 24-hour mode, valid RAM and time); 0x15/0x16
    base memory in KiB; 0x17/0x18 and 0x30/0x31 memory above 1 MiB in KiB
    (at most 0xffff); 0x34/0x35 memory above 16 MiB in 64 KiB units; 0x5f the
    CPU count less one (QEMU's convention, which SeaBIOS waits for)."""
    if not 1 <= smp <= 255:
        raise ValueError("CPU count %d: Bochs runs here take 1 to 255" % smp)
    b = bytearray(128)
    b[0x0A], b[0x0B], b[0x0D] = 0x26, 0x02, 0x80
    b[0x15], b[0x16] = 640 & 0xFF, 640 >> 8
    ext = min((mib - 1) * 1024, 0xFFFF)
    b[0x17] = b[0x30] = ext & 0xFF
    b[0x18] = b[0x31] = ext >> 8
    above16 = (mib - 16) * 16
    b[0x34], b[0x35] = above16 & 0xFF, above16 >> 8
    b[0x5F] = smp - 1
    return bytes(b)


def bochsrc(iso, smp, mib, cpu, ips, workdir, tty=None):
    """The configuration file's text (bochsrc(5) of Bochs 2.7). COM1 is the
    terminal tty (raw, both ways) when given, else the file serial.txt."""
    w = lambda name: os.path.join(workdir, name)  # noqa: E731
    com1 = "mode=term, dev=%s" % tty if tty else "mode=file, dev=%s" % w("serial.txt")
    return "\n".join([
        "# generated by tools/bochs.py",
        "megs: %d" % mib,
        "cpu: count=%d, ips=%d, model=%s, reset_on_triple_fault=0" % (smp, ips, cpu),
        "romimage: file=%s" % BIOS,
        "vgaromimage: file=%s" % VGABIOS,
        "cmosimage: file=%s, rtc_init=time0" % w("cmos.img"),
        "clock: sync=none, time0=local",
        # Debian's Bochs has no `nogui` display; RFB without waiting for a
        # viewer (timeout=0) draws nowhere. It listens on a port from 5900.
        'display_library: rfb, options="timeout=0"',
        "ata0-master: type=cdrom, path=%s, status=inserted" % iso,
        "boot: cdrom",
        "com1: enabled=1, %s" % com1,
        "speaker: enabled=0",
        "log: %s" % w("bochs.log"),
        "panic: action=fatal",
        "error: action=report",
        "info: action=report",
        # Only the unmapped-port module's debug lines: the 0xf4 write.
        "debug: action=ignore, unmapped=report",
        "",
    ])


def prepare(iso, smp, mem, cpu, ips, workdir, tty=None):
    """Write bochsrc, cmos.img and the debugger's script into workdir; return
    the command line. Raises ValueError on a bad size or count."""
    mib = mem_mib(mem)
    smp = int(str(smp).split(",")[0])
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "cmos.img"), "wb") as f:
        f.write(cmos_image(mib, smp))
    with open(os.path.join(workdir, "bochsrc"), "w", encoding="utf-8") as f:
        f.write(bochsrc(os.path.abspath(iso), smp, mib, cpu, int(ips), workdir, tty))
    # Debian builds Bochs with its debugger, which stops before the first
    # instruction: the script says continue. When Bochs is interrupted, the
    # debugger reads standard input (/dev/null here) and quits.
    with open(os.path.join(workdir, "debug.rc"), "w", encoding="utf-8") as f:
        f.write("continue\n")
    for stale in ("serial.txt", "bochs.log"):
        try:
            os.unlink(os.path.join(workdir, stale))
        except FileNotFoundError:
            pass
    return [bochs_binary(), "-q", "-f", os.path.join(workdir, "bochsrc"),
            "-rc", os.path.join(workdir, "debug.rc")]


class Tail:
    """Reads what has been appended to a file since the last call."""

    def __init__(self, path):
        self.path = path
        self.pos = 0

    def read(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return b""
        self.pos += len(data)
        return data


def stop(proc):
    """Ask Bochs to quit (SIGINT: its debugger takes over, finds no input
    and quits, closing its files), then kill it if it does not."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def bochs_run(iso, smp, mem, cpu, ips, workdir, output, timeout=None, tty=None):
    """Boot ISO in Bochs, pass the serial output to output(bytes) as it comes
    (or, with tty, let Bochs use that terminal for COM1), and return
    (status, why): status as in the module docstring (33/35 for the
    kernel's 0xf4 write, 0 poweroff, 4 triple fault, 5 Bochs's own stop),
    or None when the timeout ran out (Bochs is stopped then too)."""
    cmd = prepare(iso, smp, mem, cpu, ips, workdir, tty)
    serial = Tail(os.path.join(workdir, "serial.txt"))
    log = Tail(os.path.join(workdir, "bochs.log"))
    with open(os.path.join(workdir, "bochs.out"), "wb") as bout:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=bout,
                                stderr=subprocess.STDOUT, cwd=workdir)
    deadline = None if timeout is None else time.monotonic() + timeout
    status, why, logtext = None, "timeout", ""
    try:
        while True:
            exited = proc.poll() is not None
            data = serial.read()
            if data:
                output(data)
            logtext = (logtext + log.read().decode("utf-8", "replace"))[-65536:]
            m = RE_DEBUG_EXIT.search(logtext)
            if m:
                v = int(m.group(1), 16)
                status, why = (v << 1) | 1, "the kernel wrote 0x%x to port 0x%x" % (v, DEBUG_EXIT_PORT)
                break
            if exited:
                if RE_POWEROFF.search(logtext):
                    status, why = EXIT_POWEROFF, "ACPI soft power off"
                elif RE_TRIPLE.search(logtext):
                    status, why = EXIT_TRIPLE_FAULT, "triple fault"
                else:
                    status, why = EXIT_BOCHS_ERROR, "Bochs stopped (status %d; see %s)" % (
                        proc.returncode, os.path.join(workdir, "bochs.log"))
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(0.2)
    finally:
        stop(proc)
    data = serial.read()
    if data:
        output(data)
    return status, why


def env_or(name, key):
    v = os.environ.get(name)
    return v if v else DEFAULTS[key]


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Boot the kernel ISO in Bochs (serial console on standard output).",
        epilog="Exit status, as tools/qemu.py: 0 if the kernel reported pass or powered "
               "off, 1 if it reported fail, 3 a kernel panic, 4 a triple fault, 5 Bochs "
               "stopped by itself, 124 timeout (with --test: 33 pass, 35 fail and 37 "
               "panic, as QEMU).")
    p.add_argument("--iso", default=os.path.join(REPO, "build", "os.iso"),
                   help="ISO to boot (default build/os.iso)")
    p.add_argument("--smp", default=env_or("SMP", "smp"), help="CPU count (env SMP)")
    p.add_argument("--mem", default=env_or("MEM", "mem"), help="memory (env MEM)")
    p.add_argument("--cpu", default=env_or("BOCHS_CPU", "cpu"),
                   help="Bochs CPU model (env BOCHS_CPU; `bochs --help cpu` lists them)")
    p.add_argument("--ips", default=env_or("BOCHS_IPS", "ips"),
                   help="instructions per guest second and CPU (env BOCHS_IPS)")
    p.add_argument("--timeout", type=float, default=None, help="seconds, then stop Bochs")
    p.add_argument("--workdir", default=None,
                   help="where bochsrc, cmos.img and bochs.log go (default: a temporary "
                        "directory, kept only when the run failed)")
    p.add_argument("--test", action="store_true",
                   help="exit with QEMU's statuses (33 pass, 35 fail) for tools/testrun.py")
    p.add_argument("--print", dest="print_only", action="store_true",
                   help="write the configuration, print the command line and exit")
    a = p.parse_args(argv)

    if not os.path.isfile(a.iso):
        print("bochs.py: %s: no such file (run `make` first)" % a.iso, file=sys.stderr)
        return 2
    for need in (bochs_binary(), BIOS, VGABIOS):
        if shutil.which(need) is None and not os.path.isfile(need):
            print("bochs.py: %s not found (run tools/deps.sh)" % need, file=sys.stderr)
            return 2
    workdir = a.workdir or tempfile.mkdtemp(prefix="bochs.")
    try:
        if a.print_only:
            print(" ".join(prepare(a.iso, a.smp, a.mem, a.cpu, a.ips, workdir)))
            return 0
        print("bochs: %s CPUs, %s, model %s, %s instructions a second; files in %s"
              % (a.smp, a.mem, a.cpu, a.ips, workdir), file=sys.stderr)
        sys.stderr.flush()
        out = sys.stdout.buffer
        last = [b"\n"]

        def output(data):
            out.write(data)
            out.flush()
            last[0] = data[-1:]

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        tty = None
        if not a.test and sys.stdin.isatty() and sys.stdout.isatty():
            tty = os.ttyname(sys.stdin.fileno())
            print("bochs: the serial console is this terminal; `halt` powers off",
                  file=sys.stderr)
        saved = termios.tcgetattr(sys.stdin.fileno()) if tty else None
        try:
            status, why = bochs_run(a.iso, a.smp, a.mem, a.cpu, a.ips, workdir, output,
                                    a.timeout, tty)
        finally:
            if saved:   # Bochs restores it when it quits, but not when killed
                termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
    except ValueError as e:
        print("bochs.py: %s" % e, file=sys.stderr)
        return 2
    if last[0] != b"\n":   # the serial output may end mid-line; ours starts a new one
        out.write(b"\n")
        out.flush()
    if status is None:
        print("bochs: stopped after %ss (timeout)" % a.timeout, file=sys.stderr)
        status = 124
    else:
        print("bochs: %s" % why, file=sys.stderr)
    if a.workdir is None and status in (EXIT_PASS, EXIT_POWEROFF):
        shutil.rmtree(workdir, ignore_errors=True)
    return status if a.test else map_status(status)


if __name__ == "__main__":
    sys.exit(main())
