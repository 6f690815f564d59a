#!/usr/bin/env python3
"""tools/qemu.py - the one place that builds the QEMU command line.

Run the kernel in the foreground, serial console on this terminal:

    python3 tools/qemu.py [--iso build/os.iso] [--smp 4] [--mem 256M]
                          [--machine pc|q35] [--cpu qemu64] [--accel tcg|kvm]
                          [--gdb] [--extra "-d int -D build/qemu.log"] [--print]
                          [--display none|gtk|sdl|vnc|vnc=:N]

Every option falls back to an environment variable (SMP, MEM, MACHINE, CPU,
ACCEL, QEMU_EXTRA; QEMU names the binary), then to the defaults shown by
--help. QEMU runs under TCG with thread=multi; KVM only when asked for with
--accel kvm or ACCEL=kvm (a /dev/kvm may exist here and still hang).

The kernel leaves QEMU through the isa-debug-exit device at port 0xf4: writing
v makes QEMU exit with status (v << 1) | 1. The kernel writes 0x10 for "tests
passed" or a poweroff with code 0 (status 33), and 0x11 for "failed", a
poweroff with another code, a panic or a refused boot (status 35). The device
is on every command line built here, `make run` and `make debug` included, so
a panicking kernel ends QEMU. This script maps 33 -> 0 and 35 -> 1 and passes
any other status through.

--display shows the machine's screen (the kernel's console on the
framebuffer, docs/console.md) in a window (gtk, sdl) or over VNC (vnc: port
5901; vnc=:N: port 5900+N); its keyboard is the PS/2 keyboard. The default
is none: the serial line on this terminal is the only console.

Quit QEMU with Ctrl-A X (the serial console is muxed with QEMU's monitor:
Ctrl-A C switches between them).

tools/testrun.py imports qemu_command() from here, so `make run` and
`make test` boot the same machine.
"""

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DEBUG_EXIT_PORT = 0xF4
EXIT_PASS = (0x10 << 1) | 1  # 33
EXIT_FAIL = (0x11 << 1) | 1  # 35
GDB_PORT = 1234

DEFAULTS = {
    "smp": "1",
    "mem": "256M",
    "machine": "pc",
    "cpu": "qemu64",
    "accel": "tcg",
}


def qemu_binary():
    return os.environ.get("QEMU", "qemu-system-x86_64")


def accel_args(accel):
    """TCG always multi-threaded; anything else (kvm) only when asked for."""
    accel = (accel or "tcg").strip()
    if accel == "tcg":
        return ["-accel", "tcg,thread=multi"]
    return ["-accel", accel]


def interactive_serial():
    """Serial console plus monitor (Ctrl-A X, Ctrl-A C) on a terminal; the
    plain serial line when input is piped in (`printf 'ls\\nhalt\\n' | make
    run`), because QEMU's monitor multiplexer drops input that arrives
    before the guest is ready to read it."""
    return "mon:stdio" if sys.stdin.isatty() else "stdio"


def display_args(display):
    """QEMU's arguments for --display: none, a window (gtk, sdl, ...), or
    vnc (display :1) / vnc=:N."""
    d = (display or "none").strip()
    if d == "vnc":
        return ["-vnc", ":1"]
    if d.startswith("vnc="):
        return ["-vnc", d[len("vnc="):]]
    return ["-display", d]


def qemu_command(iso, smp=1, mem="256M", machine="pc", cpu="qemu64",
                 accel="tcg", extra=None, *, serial="mon:stdio", gdb=False, disk=None,
                 display="none"):
    """Return the QEMU argv (a list) that boots ISO.

    serial: "mon:stdio" for an interactive run (serial + monitor on the
    terminal), "stdio" for the test runner (serial only, monitor off).
    extra: a string (split like a shell would) or a list of extra arguments.
    display: "none" (the default), a QEMU display such as "gtk", or "vnc[=:N]".
    """
    cmd = [
        qemu_binary(),
        "-machine", str(machine),
        "-cpu", str(cpu),
        "-smp", str(smp),
        "-m", str(mem),
    ]
    cmd += accel_args(accel)
    cmd += [
        "-drive", "file=%s,media=cdrom,format=raw,readonly=on" % iso,
        "-boot", "d",
        "-serial", serial,
    ]
    cmd += display_args(display)
    cmd += [
        "-no-reboot",
        "-device", "isa-debug-exit,iobase=0x%x,iosize=0x04" % DEBUG_EXIT_PORT,
    ]
    cmd += disk_args(machine, disk)
    if serial != "mon:stdio":
        cmd += ["-monitor", "none"]
    if gdb:
        cmd += ["-s", "-S"]
    if extra:
        cmd += shlex.split(extra) if isinstance(extra, str) else list(extra)
    return cmd


def disk_args(machine, disk):
    """The SATA disk: q35 has an AHCI controller built in (its first port
    holds the CD, so the disk goes on the second); pc gets one added."""
    if not disk:
        return []
    drive = ["-drive", "file=%s,if=none,id=disk0,format=raw" % disk]
    if "q35" in str(machine):
        return drive + ["-device", "ide-hd,drive=disk0,bus=ide.1"]
    return ["-device", "ahci,id=ahci"] + drive + ["-device", "ide-hd,drive=disk0,bus=ahci.0"]


def map_status(status):
    """QEMU exit status -> status for `make run`: 33 -> 0, 35 -> 1."""
    if status == EXIT_PASS:
        return 0
    if status == EXIT_FAIL:
        return 1
    if status < 0:  # killed by a signal
        return 128 - status
    return status


def env_or(name, key):
    v = os.environ.get(name)
    return v if v else DEFAULTS[key]


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Boot the kernel ISO in QEMU (serial on this terminal).",
        epilog="Quit with Ctrl-A X. Exit status: 0 if the kernel reported "
               "pass (QEMU 33), 1 if fail (QEMU 35), else QEMU's status.")
    p.add_argument("--iso", default=os.path.join(REPO, "build", "os.iso"),
                   help="ISO to boot (default build/os.iso)")
    p.add_argument("--smp", default=env_or("SMP", "smp"),
                   help="CPU count (env SMP, default %(default)s)")
    p.add_argument("--mem", default=env_or("MEM", "mem"),
                   help="memory size (env MEM, default %(default)s)")
    p.add_argument("--machine", default=env_or("MACHINE", "machine"),
                   help="pc or q35 (env MACHINE, default %(default)s)")
    p.add_argument("--cpu", default=env_or("CPU", "cpu"),
                   help="CPU model, e.g. qemu64,+x2apic (env CPU, default %(default)s)")
    p.add_argument("--accel", default=env_or("ACCEL", "accel"),
                   help="tcg or kvm (env ACCEL, default %(default)s)")
    p.add_argument("--gdb", action="store_true",
                   help="wait for GDB on localhost:%d (-s -S)" % GDB_PORT)
    p.add_argument("--extra", default=os.environ.get("QEMU_EXTRA", ""),
                   help="extra QEMU arguments, one string (env QEMU_EXTRA)")
    p.add_argument("--disk", default=os.environ.get("DISK", ""),
                   help="raw disk image on a SATA (AHCI) port (env DISK; `make run` "
                        "passes a copy of build/disk.img)")
    p.add_argument("--display", default="none",
                   help="none (default), gtk, sdl, vnc (port 5901) or vnc=:N: show the screen "
                        "console and take the PS/2 keyboard (`make run DISPLAY=gtk`)")
    p.add_argument("--print", dest="print_only", action="store_true",
                   help="print the command line and exit")
    a = p.parse_args(argv)

    cmd = qemu_command(a.iso, a.smp, a.mem, a.machine, a.cpu, a.accel,
                       a.extra, serial=interactive_serial(), gdb=a.gdb,
                       disk=a.disk or None, display=a.display)
    if a.print_only:
        print(" ".join(shlex.quote(c) for c in cmd))
        return 0

    if not os.path.isfile(a.iso):
        print("qemu.py: %s: no such file (run `make` first)" % a.iso,
              file=sys.stderr)
        return 2
    if shutil.which(cmd[0]) is None:
        print("qemu.py: %s not found (run tools/deps.sh)" % cmd[0],
              file=sys.stderr)
        return 2

    print("qemu: " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr)
    if a.gdb:
        where = "" if os.path.realpath(os.getcwd()) == REPO else "cd %s && " % REPO
        print("qemu: waiting for GDB on localhost:%d. In another terminal:\n"
              "qemu:     %sgdb -x tools/gdbinit\n"
              "qemu: then `continue`. Ctrl-A X quits QEMU."
              % (GDB_PORT, where), file=sys.stderr)
    else:
        print("qemu: Ctrl-A X quits, Ctrl-A C toggles the QEMU monitor",
              file=sys.stderr)
    sys.stderr.flush()

    proc = subprocess.Popen(cmd)

    def forward(signum, frame):
        # Do not leave QEMU running when we are told to stop.
        proc.send_signal(signum)

    # Ctrl-C belongs to the guest (the terminal is raw while QEMU runs);
    # should one reach us anyway, let QEMU decide what to do with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    status = proc.wait()
    rc = map_status(status)
    if status == EXIT_PASS:
        print("qemu: kernel reported PASS (QEMU exit status 33)", file=sys.stderr)
    elif status == EXIT_FAIL:
        print("qemu: kernel reported FAIL (QEMU exit status 35): a failed test, a "
              "non-zero poweroff, a panic or a refused boot (see above)", file=sys.stderr)
    elif status == 0:
        print("qemu: QEMU exited with status 0: quit (Ctrl-A X), or the guest "
              "reset (a triple fault, with -no-reboot)", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
