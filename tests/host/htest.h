/*
 * Host unit-test framework for lib/. Each tests/host/test_*.c is one program
 * built with the host compiler under AddressSanitizer and UBSan.
 *
 *   HTEST(name) { HT_ASSERT(x == 1); HT_ASSERT_EQ(a, b); HT_ASSERT_STREQ(s, t); }
 *   int main(void) { return htest_main("fmt"); }
 *
 * Output: one "PASS suite.name" / "FAIL suite.name" line per test, the failed
 * assertion with file:line and the values, and a closing line
 * "host suite: N passed, N failed" that tools/testrun.py adds up. Tests that
 * do not fit in the table (HTEST_MAX) are counted as failures, never
 * dropped silently.
 */
#ifndef HTEST_H
#define HTEST_H

#include <stdio.h>
#include <string.h>
#include <stdint.h>

struct htest {
    const char *name;
    void (*fn)(int *failed);
};

#ifndef HTEST_MAX
#define HTEST_MAX 256
#endif
extern struct htest htest_table[HTEST_MAX];
extern int htest_count;
extern int htest_registered;   /* all HTEST()s, also those past HTEST_MAX */

#define HTEST(name_)                                                        \
    static void htest_fn_##name_(int *ht_failed_);                          \
    __attribute__((constructor)) static void htest_reg_##name_(void) {      \
        htest_registered++;                                                 \
        if (htest_count < HTEST_MAX)                                         \
            htest_table[htest_count++] =                                     \
                (struct htest){#name_, htest_fn_##name_};                    \
    }                                                                       \
    static void htest_fn_##name_(int *ht_failed_)

#define HT_FAIL_AT(...)                                                     \
    do {                                                                    \
        printf("    %s:%d: ", __FILE__, __LINE__);                          \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
        *ht_failed_ = 1;                                                    \
        return;                                                             \
    } while (0)

#define HT_ASSERT(cond)                                                     \
    do {                                                                    \
        if (!(cond))                                                        \
            HT_FAIL_AT("assertion failed: %s", #cond);                      \
    } while (0)

#define HT_ASSERT_EQ(a, b)                                                  \
    do {                                                                    \
        long long ht_a_ = (long long)(a), ht_b_ = (long long)(b);           \
        if (ht_a_ != ht_b_)                                                 \
            HT_FAIL_AT("%s == %s: %lld != %lld", #a, #b, ht_a_, ht_b_);     \
    } while (0)

#define HT_ASSERT_STREQ(a, b)                                               \
    do {                                                                    \
        const char *ht_a_ = (a), *ht_b_ = (b);                              \
        if (!ht_a_ || !ht_b_ || strcmp(ht_a_, ht_b_) != 0)                  \
            HT_FAIL_AT("%s == %s: \"%s\" != \"%s\"", #a, #b,                \
                       ht_a_ ? ht_a_ : "(null)", ht_b_ ? ht_b_ : "(null)"); \
    } while (0)

/* Each test program is one translation unit, so the table lives here. */
struct htest htest_table[HTEST_MAX];
int htest_count;
int htest_registered;

static inline int htest_main(const char *suite) {
    int passed = 0, failed = 0;
    for (int i = 0; i < htest_count; i++) {
        int f = 0;
        htest_table[i].fn(&f);
        printf("%s %s.%s\n", f ? "FAIL" : "PASS", suite, htest_table[i].name);
        if (f)
            failed++;
        else
            passed++;
    }
    if (htest_registered > htest_count) {
        printf("FAIL %s: %d tests registered, only %d fit in the table (raise HTEST_MAX)\n", suite,
               htest_registered, htest_count);
        failed += htest_registered - htest_count;
    }
    if (passed + failed == 0) {
        printf("host %s: no tests ran\n", suite);
        failed = 1;
    }
    printf("host %s: %d passed, %d failed\n", suite, passed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}

#endif
