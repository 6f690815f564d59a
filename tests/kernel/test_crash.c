/*
 * Crash tests: each ends the kernel on purpose, so the suite runs only when
 * named (test=crash.NAME, see tests/matrix.txt) and passes when the panic
 * report says what it should.
 */
#include "kernel/ktest.h"

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
