#!/usr/bin/env python3
"""tools/qemu.py - the one place that builds the QEMU command line.

Run the kernel in the foreground, serial console on this terminal:

    python3 tools/qemu.py [--iso build/os.iso] [--smp 4] [--mem 256M]
                          [--machine pc|q35] [--cpu qemu64] [--accel tcg|kvm]
                          [--firmware bios|uefi]
                          [--gdb] [--extra "-d int -D build/qemu.log"] [--print]
                          [--display none|gtk|sdl|vnc|vnc=:N]

Every option falls back to an environment variable (SMP, MEM, MACHINE, CPU,
ACCEL, FIRMWARE, QEMU_EXTRA; QEMU names the binary), then to the defaults
shown by --help. QEMU runs under TCG with thread=multi; KVM only when asked
for with --accel kvm or ACCEL=kvm (a /dev/kvm may exist here and still hang).
--firmware uefi boots through OVMF (Debian's ovmf package) instead of
SeaBIOS: the same hybrid ISO, GRUB's EFI build, the kernel with boot
services exited (docs/boot.md).

How the guest ended is the exit status, with one line on stderr saying why:

    0  the kernel powered off cleanly (or its tests passed)
    1  the kernel reported failure: failed tests, a non-zero power-off, a
       refused boot
    2  this script could not start QEMU
    3  a kernel panic
    4  the machine reset: a triple fault, or a reset the kernel asked for
    5  you quit QEMU (Ctrl-A X) or it was stopped by a signal

The kernel leaves QEMU through the isa-debug-exit device at port 0xf4:
writing v makes QEMU exit with status (v << 1) | 1, so 33 (pass), 35
(failure) and 37 (panic) come from the kernel (enum emu_exit in
arch/x86_64/arch.h). The device is on every command line built here, `make
run` and `make debug` included. QEMU exits with 0 for everything else, so
this script also listens on QEMU's QMP socket: its SHUTDOWN event names the
cause (guest-reset for a triple fault under -no-reboot, host-ui for Ctrl-A
X, guest-shutdown for an ACPI power-off without the exit device).

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
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DEBUG_EXIT_PORT = 0xF4
EXIT_PASS = (0x10 << 1) | 1  # 33
EXIT_FAIL = (0x11 << 1) | 1  # 35
EXIT_PANIC = (0x12 << 1) | 1  # 37
GDB_PORT = 1234

DEFAULTS = {
    "smp": "1",
    "mem": "256M",
    "machine": "pc",
    "cpu": "qemu64",
    "accel": "tcg",
    "firmware": "bios",
}

# OVMF's firmware code (read-only) and the template of its variable store
# (each run writes its own copy): Debian 12's names first, then older ones.
OVMF_PAIRS = [
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
]


def ovmf_files():
    """(code, vars template) of the installed OVMF, or None."""
    for code, vars_ in OVMF_PAIRS:
        if os.path.isfile(code) and os.path.isfile(vars_):
            return code, vars_
    return None


def uefi_vars_copy(dest):
    """A fresh copy of OVMF's variable store at dest (UEFI writes its boot
    entries there); returns dest. Raises OSError without OVMF."""
    files = ovmf_files()
    if files is None:
        raise OSError("OVMF not found (%s): run tools/deps.sh" % OVMF_PAIRS[0][0])
    shutil.copyfile(files[1], dest)
    return dest


def firmware_args(firmware, uefi_vars):
    """SeaBIOS is QEMU's default; UEFI is OVMF in two flash chips (the
    code read-only, the variables writable)."""
    if firmware in (None, "", "bios"):
        return []
    if firmware != "uefi":
        raise ValueError("firmware must be bios or uefi, not %r" % firmware)
    files = ovmf_files()
    code = files[0] if files else OVMF_PAIRS[0][0]
    return ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=%s" % code,
            "-drive", "if=pflash,format=raw,unit=1,file=%s" % uefi_vars]


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
                 firmware="bios", uefi_vars=None, qmp=None, display="none", monitor=None):
    """Return the QEMU argv (a list) that boots ISO.

    serial: "mon:stdio" for an interactive run (serial + monitor on the
    terminal), "stdio" for the test runner (serial only, monitor off).
    extra: a string (split like a shell would) or a list of extra arguments.
    firmware: "bios" (SeaBIOS) or "uefi" (OVMF, with its variable store in
    the file uefi_vars: see uefi_vars_copy()).
    qmp: a unix socket path for QMP events (how the run ended), or None.
    monitor: a unix socket path for QEMU's human monitor (tools/testrun.py's
    screendump and sendkey steps), or None.
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
    cmd += firmware_args(firmware, uefi_vars)
    cmd += disk_args(machine, disk)
    if qmp:
        cmd += ["-qmp", "unix:%s,server=on,wait=off" % qmp]
    if monitor:
        cmd += ["-monitor", "unix:%s,server=on,wait=off" % monitor]
    elif serial != "mon:stdio":
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
    """The kernel's own endings (isa-debug-exit) as `make run`'s status: 33
    -> 0, 35 -> 1, 37 -> 3 (see the module docstring); any other status
    passes through (tools/bochs.py uses this too)."""
    return {EXIT_PASS: 0, EXIT_FAIL: 1, EXIT_PANIC: 3}.get(status, status)


def connect_unix(path, timeout=10.0, alive=lambda: True):
    """A socket connected to QEMU's unix socket at path. QEMU makes the
    socket as it starts, so this tries again until timeout seconds have
    passed or alive() says QEMU has ended; then it raises OSError."""
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            if not alive() or time.monotonic() > deadline:
                raise OSError("cannot connect to QEMU's socket %s" % path)
            time.sleep(0.05)


class ShutdownListener:
    """Reads QMP events from QEMU's socket in a thread and keeps the cause
    of the last SHUTDOWN event (QMP reference: SHUTDOWN, "reason")."""

    def __init__(self, path):
        self.path = path
        self.reason = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            sock = connect_unix(self.path)
        except OSError:
            return
        with sock, sock.makefile("rwb") as f:
            try:
                f.readline()  # the greeting
                f.write(b'{"execute": "qmp_capabilities"}\n')
                f.flush()
                for line in f:
                    msg = json.loads(line)
                    if msg.get("event") == "SHUTDOWN":
                        self.reason = msg.get("data", {}).get("reason")
            except (OSError, ValueError):
                pass

    def wait(self):
        self.thread.join(timeout=2)
        return self.reason


def ending(status, reason):
    """(exit status for make run, one line saying how the guest ended) from
    QEMU's exit status and the QMP shutdown reason (None if unknown)."""
    if status == EXIT_PASS:
        return map_status(status), "the kernel powered off cleanly (QEMU exit status 33)"
    if status == EXIT_FAIL:
        return map_status(status), ("the kernel reported failure (QEMU exit status 35): failed "
                                    "tests, a non-zero power-off or a refused boot (see above)")
    if status == EXIT_PANIC:
        return map_status(status), "kernel panic (QEMU exit status 37; the report is above)"
    if status == 0:
        if reason == "guest-reset":
            return 4, ("the machine reset (a triple fault, or a reset the kernel asked "
                       "for; QEMU runs with -no-reboot)")
        if reason == "guest-shutdown":
            return 0, "the kernel powered off through ACPI"
        if reason == "guest-panic":
            return 3, "the guest reported a panic to QEMU"
        if reason in ("host-ui", "host-qmp-quit", "host-qmp-system-reset", "host-signal"):
            return 5, "QEMU was quit (%s), the kernel did not end the run" % reason
        return 4, ("QEMU exited with status 0 and no known cause: a reset or "
                   "triple fault (with -no-reboot), or a quit")
    if status < 0:
        return 128 - status, "QEMU was killed by signal %d" % -status
    return status, "QEMU failed with exit status %d (see its message above)" % status


def env_or(name, key):
    v = os.environ.get(name)
    return v if v else DEFAULTS[key]


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Boot the kernel ISO in QEMU (serial on this terminal).",
        epilog="Quit with Ctrl-A X. Exit status: 0 clean power-off (or tests "
               "passed), 1 the kernel reported failure, 2 QEMU not started, "
               "3 kernel panic, 4 reset or triple fault, 5 quit by you.")
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
    p.add_argument("--firmware", default=env_or("FIRMWARE", "firmware"),
                   choices=["bios", "uefi"],
                   help="bios (SeaBIOS) or uefi (OVMF) (env FIRMWARE, default %(default)s)")
    p.add_argument("--gdb", action="store_true",
                   help="wait for GDB on localhost:%d (-s -S)" % GDB_PORT)
    p.add_argument("--extra", default=os.environ.get("QEMU_EXTRA", ""),
                   help="extra QEMU arguments, one string (env QEMU_EXTRA)")
    p.add_argument("--disk", default=os.environ.get("DISK", ""),
                   help="raw disk image on a SATA (AHCI) port (env DISK; `make run` "
                        "passes a copy of build/disk.img; none: no disk)")
    p.add_argument("--display", default="none",
                   help="none (default), gtk, sdl, vnc (port 5901) or vnc=:N: show the screen "
                        "console and take the PS/2 keyboard (`make run DISPLAY=gtk`)")
    p.add_argument("--print", dest="print_only", action="store_true",
                   help="print the command line and exit")
    a = p.parse_args(argv)

    work = tempfile.mkdtemp(prefix="qemu-run.")
    try:
        return run(a, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(a, work):
    uefi_vars = os.path.join(work, "ovmf-vars.fd") if a.firmware == "uefi" else None
    qmp = os.path.join(work, "qmp.sock")
    cmd = qemu_command(a.iso, a.smp, a.mem, a.machine, a.cpu, a.accel,
                       a.extra, serial=interactive_serial(), gdb=a.gdb,
                       disk=None if a.disk in ("", "none") else a.disk, firmware=a.firmware,
                       uefi_vars=uefi_vars, qmp=qmp, display=a.display)
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
    if uefi_vars:
        try:
            uefi_vars_copy(uefi_vars)
        except OSError as e:
            print("qemu.py: %s" % e, file=sys.stderr)
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
    listener = ShutdownListener(qmp)

    def forward(signum, frame):
        # Do not leave QEMU running when we are told to stop.
        proc.send_signal(signum)

    # Ctrl-C belongs to the guest (the terminal is raw while QEMU runs);
    # should one reach us anyway, let QEMU decide what to do with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    status = proc.wait()
    rc, why = ending(status, listener.wait())
    print("qemu: %s; exit status %d" % (why, rc), file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
