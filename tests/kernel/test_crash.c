/*
 * Crash tests: each ends the kernel on purpose, so the suite runs only when
 * named (test=crash.NAME, see tests/matrix.txt) and passes when the panic
 * report says what it should.
 */
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "arch.h"
#include "kernel/spinlock.h"
#include "kernel/ubsan.h"
#include "lib/fmt.h"

/* Recursion with a large frame runs off the bottom of the 16 KiB kernel
 * stack into its guard page. The page fault cannot be delivered on that
 * stack, so the CPU raises a double fault, which runs on its own IST stack
 * and is reported instead of resetting the machine (a triple fault). */
static int __attribute__((noinline)) recurse(volatile char *prev, int depth) {
    volatile char frame[512];
    frame[0] = (char)depth;
    frame[511] = prev ? prev[0] : 0;
    if (depth > (1 << 30)) /* never: 16 KiB of stack runs out long before */
        return 0;
    return recurse(frame, depth + 1) + frame[100];
}

KTEST(crash, kernel_stack_overflow_is_reported) {
    ktest_expect_panic("double fault");
    recurse(NULL, 0);
    KT_FAIL("the recursion returned");
}

/* The rank checker: two locks taken out of rank order. The test passes only
 * when the panic names both locks with their ranks and both sites, exactly
 * where they were taken (file:line, built here from __LINE__). */
static struct spinlock crash_outer = SPINLOCK_INIT("crash outer", RANK_FILES);
static struct spinlock crash_inner = SPINLOCK_INIT("crash inner", RANK_FRAMES);
static char crash_expect[256];

KTEST(crash, lock_order_violation_names_both_locks) {
    int inner_line = __LINE__ + 1;
    spin_lock(&crash_inner);
    fmt_snprintf(crash_expect, sizeof crash_expect,
                 "lock order violation: taking 'crash outer' (rank %d) at %s:%d while holding 'crash inner' "
                 "(rank %d, taken at %s:%d)",
                 RANK_FILES, __FILE__, __LINE__ + 2, RANK_FRAMES, __FILE__, inner_line);
    ktest_expect_panic(crash_expect);
    spin_lock(&crash_outer); /* lower rank while holding a higher one */
    KT_FAIL("the rank checker let a lower-ranked lock be taken");
}

/* Two locks of one rank (two CPUs' ready queues, in an array as fine has
 * them) taken against the tie-break: the higher address first. */
static struct spinlock crash_queues[2] = {SPINLOCK_INIT("crash queue 0", RANK_RUNQUEUE),
                                          SPINLOCK_INIT("crash queue 1", RANK_RUNQUEUE)};

KTEST(crash, same_rank_against_the_tie_break) {
    int first_line = __LINE__ + 1;
    spin_lock(&crash_queues[1]);
    fmt_snprintf(crash_expect, sizeof crash_expect,
                 "lock tie-break violation: taking 'crash queue 0' (rank %d, at %p) at %s:%d while holding "
                 "'crash queue 1' (rank %d, at %p, taken at %s:%d)",
                 RANK_RUNQUEUE, (void *)&crash_queues[0], __FILE__, __LINE__ + 3, RANK_RUNQUEUE,
                 (void *)&crash_queues[1], __FILE__, first_line);
    ktest_expect_panic(crash_expect);
    spin_lock(&crash_queues[0]); /* CPU 1's queue, then CPU 0's: wrong order */
    KT_FAIL("the rank checker let two same-rank locks be taken against the tie-break");
}

/* A fault inside the panic report itself must still end the run. panic()'s
 * backtrace follows the saved frame pointers; this test's own saved one is
 * made to point at the last page of the address space, which is not mapped,
 * so the walk faults while the panic is being reported. The kernel must then
 * say so and leave QEMU with the failure status (tests/matrix.txt,
 * pc-crash-in-panic), not halt with the run hanging: an AP whose frame chain
 * ran off the top of its stack did that once. Never returns, so corrupting
 * its own frame costs nothing. */
KTEST(crash, fault_in_the_panic_report_ends_the_run) {
    (void)kt_;
    uint64_t *frame = __builtin_frame_address(0);
    frame[0] = 0xfffffffffffff000ULL;
    panic("crash test: a frame chain that leads to an unmapped page");
}

/* The one ending no report can describe: a triple fault. The machine
 * resets, which QEMU's -no-reboot turns into QEMU exiting with status 0;
 * `make run` (tools/qemu.py) must still say what happened, from QMP's
 * SHUTDOWN event (tests/host/test_qemu_run.py boots this test). */
KTEST(crash, triple_fault_resets_the_machine) {
    (void)kt_;
    printk(LOG_INFO, "crash: an empty IDT, then a breakpoint: the machine must reset\n");
    arch_triple_fault();
}

/* The sanitised kernel (make SANITIZE=ubsan, kernel/ubsan.c) in a test boot:
 * undefined behaviour ends the run with a panic that names it and the line,
 * here a signed overflow through volatile operands (the compiler cannot fold
 * it away). On the normal kernel nothing checks, so the test is skipped
 * there: it shows only that the sanitised kernel panics. */
KTEST(crash, ubsan_report_panics_a_test_boot) {
    if (!UBSAN_ENABLED)
        KT_SKIP("not the sanitised kernel (make SANITIZE=ubsan)");
    volatile int a = 2147483647, b = 1;
    fmt_snprintf(crash_expect, sizeof crash_expect,
                 "UBSan: signed integer overflow: 2147483647 + 1 cannot be represented in type 'int' at %s:%d:",
                 __FILE__, __LINE__ + 2);
    ktest_expect_panic(crash_expect);
    volatile int sum = a + b;
    KT_FAIL("the overflow went unreported (the sum was %d)", sum);
}
