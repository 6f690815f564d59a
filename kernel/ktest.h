/*
 * In-kernel tests. A test is a function registered into the .ktests linker
 * section by KTEST(suite, name); the kernel runs the suites named by the
 * `test=` option ("all", or a comma list of suites or suite.name) and prints
 *   ktest: running 'LIST': N of M registered tests selected
 *   ktest: PASS suite.name (1.234 ms)
 * per test, then "ktest: N passed, N failed, N skipped", then leaves QEMU
 * through isa-debug-exit with a pass/fail status (tools/testrun.py reads both).
 */
#ifndef KTEST_H
#define KTEST_H

#include "lib/types.h"
#include "kernel/printk.h"

struct ktest_ctx {
    bool failed;
    bool skipped;
};

struct ktest {
    const char *suite;
    const char *name;
    void (*fn)(struct ktest_ctx *kt_);
};

#define KTEST(suite_, name_)                                                                      \
    static void ktest_fn_##suite_##_##name_(struct ktest_ctx *kt_);                               \
    static const struct ktest ktest_desc_##suite_##_##name_                                       \
        __attribute__((used, section(".ktests"), aligned(8))) = {#suite_, #name_,                 \
                                                                ktest_fn_##suite_##_##name_};     \
    static void ktest_fn_##suite_##_##name_(struct ktest_ctx *kt_)

#define KT_FAIL(...)                                                                              \
    do {                                                                                          \
        printk(LOG_ERR, "ktest:   %s:%d: ", __FILE__, __LINE__);                                 \
        printk_raw(__VA_ARGS__);                                                                  \
        printk_raw("\n");                                                                         \
        kt_->failed = true;                                                                       \
        return;                                                                                   \
    } while (0)

#define KT_ASSERT(cond)                                                                           \
    do {                                                                                          \
        if (!(cond))                                                                              \
            KT_FAIL("assertion failed: %s", #cond);                                               \
    } while (0)

#define KT_ASSERT_EQ(a, b)                                                                        \
    do {                                                                                          \
        long long kt_a_ = (long long)(a), kt_b_ = (long long)(b);                                 \
        if (kt_a_ != kt_b_)                                                                       \
            KT_FAIL("%s == %s: %lld (0x%llx) != %lld (0x%llx)", #a, #b, kt_a_,                    \
                    (unsigned long long)kt_a_, kt_b_, (unsigned long long)kt_b_);                 \
    } while (0)

#define KT_ASSERT_NE(a, b)                                                                        \
    do {                                                                                          \
        long long kt_a_ = (long long)(a), kt_b_ = (long long)(b);                                 \
        if (kt_a_ == kt_b_)                                                                       \
            KT_FAIL("%s != %s: both are %lld (0x%llx)", #a, #b, kt_a_, (unsigned long long)kt_a_);\
    } while (0)

#define KT_SKIP(...)                                                                              \
    do {                                                                                          \
        printk(LOG_INFO, "ktest:   skipped: " __VA_ARGS__);                                       \
        printk_raw("\n");                                                                         \
        kt_->skipped = true;                                                                      \
        return;                                                                                   \
    } while (0)

/* Crash tests (suite "crash", run only when named): declare the panic the
 * test is about to cause; if it happens, the test passes (and the run, when
 * no test before it failed). */
void ktest_expect_panic(const char *substring);
bool ktest_panic_was_expected(const char *reason);
#define KT_FAIL_CTX(ctx, msg) (printk(LOG_ERR, "ktest:   %s\n", msg), (ctx)->failed = true)

/* Run the tests selected by `list` ("all" or "suite,suite.name,..."); returns
 * the number of failures. */
int ktest_run(const char *list);
/* Run the selected tests, print the closing line and leave QEMU. */
__attribute__((noreturn)) void ktest_main(const char *list);

#endif
