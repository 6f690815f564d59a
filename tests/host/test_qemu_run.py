#!/usr/bin/env python3
"""Host tests for tools/qemu.py: `make run`'s exit status and its one line
on how the guest ended.

The table of endings is checked directly; then the real kernel
(build/kernel.elf) boots once for each ending it can produce: a clean
power-off, failed tests, a panic and a triple fault under SeaBIOS, and a
clean power-off under UEFI (OVMF). Prints "PASS qemu_run.<name>" or
"FAIL qemu_run.<name>: <why>" per test and, last, "host qemu_run: N passed,
N failed" (the closing line tools/testrun.py reads).
"""
import os
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
import qemu  # noqa: E402

KERNEL = os.path.join(REPO, "build", "kernel.elf")
INITRD = os.path.join(REPO, "build", "initrd.cpio")
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def endings_table():
    cases = [
        ((33, None), 0, "powered off cleanly"),
        ((35, None), 1, "reported failure"),
        ((37, None), 3, "kernel panic"),
        ((0, "guest-reset"), 4, "reset"),
        ((0, "guest-shutdown"), 0, "ACPI"),
        ((0, "host-ui"), 5, "quit"),
        ((0, "host-signal"), 5, "quit"),
        ((0, None), 4, "no known cause"),
        ((1, None), 1, "QEMU failed"),
        ((-9, None), 137, "signal 9"),
    ]
    for (status, reason), rc, words in cases:
        got_rc, line = qemu.ending(status, reason)
        assert got_rc == rc, "%s/%s: status %d, want %d" % (status, reason, got_rc, rc)
        assert words in line, "%s/%s: %r lacks %r" % (status, reason, line, words)


@test
def uefi_command_line_has_both_flash_chips():
    cmd = qemu.qemu_command("x.iso", machine="q35", firmware="uefi", uefi_vars="/tmp/v.fd")
    flash = [a for a in cmd if a.startswith("if=pflash")]
    assert len(flash) == 2, cmd
    assert "readonly=on" in flash[0] and "/tmp/v.fd" in flash[1], flash
    assert not any("pflash" in a for a in qemu.qemu_command("x.iso")), "bios has no flash"
    try:
        qemu.qemu_command("x.iso", firmware="coreboot")
    except ValueError:
        pass
    else:
        raise AssertionError("an unknown firmware was accepted")


def boot(cmdline, firmware="bios", machine="pc"):
    """Boot the kernel through tools/qemu.py as `make run` does; return
    (exit status, qemu.py's last stderr line, serial output)."""
    with tempfile.TemporaryDirectory(prefix="test_qemu_run.") as work:
        iso = os.path.join(work, "os.iso")
        subprocess.run(["bash", os.path.join(REPO, "tools", "mkiso.sh"), KERNEL, INITRD, iso, cmdline],
                       check=True, stdin=subprocess.DEVNULL)
        p = subprocess.run([sys.executable, os.path.join(REPO, "tools", "qemu.py"), "--iso", iso,
                            "--smp", "1", "--machine", machine, "--cpu", "max",
                            "--firmware", firmware, "--disk", "none"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=180)
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        return p.returncode, (err[-1] if err else ""), p.stdout.decode("utf-8", "replace")


def expect_boot(cmdline, rc, words, firmware="bios", machine="pc"):
    got, line, out = boot(cmdline, firmware, machine)
    assert got == rc and words in line, "%s: status %d (%r), want %d with %r; serial ends %r" % (
        cmdline, got, line, rc, words, out[-300:])


@test
def clean_power_off_is_0():
    expect_boot("model=bkl test=boot", 0, "powered off cleanly")


@test
def failed_boot_is_1():
    expect_boot("model=bkl run=no-such-program", 1, "reported failure")


@test
def panic_is_3():
    expect_boot("model=bkl test=crash.fault_in_the_panic_report_ends_the_run", 3, "kernel panic")


@test
def triple_fault_is_4():
    expect_boot("model=bkl test=crash.triple_fault_resets_the_machine", 4, "the machine reset")


@test
def uefi_clean_power_off_is_0():
    expect_boot("model=bkl test=boot", 0, "powered off cleanly", firmware="uefi", machine="q35")


def main():
    passed = failed = 0
    for fn in TESTS:
        try:
            fn()
            print("PASS qemu_run.%s" % fn.__name__)
            passed += 1
        except Exception as e:  # noqa: BLE001 - any failure is the test's
            print("FAIL qemu_run.%s: %s" % (fn.__name__, e or type(e).__name__))
            traceback.print_exc(limit=3, file=sys.stdout)
            failed += 1
    print("host qemu_run: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
