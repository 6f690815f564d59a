/*
 * The UBSan runtime (kernel/ubsan.c) on the sanitised kernel (make
 * SANITIZE=ubsan): undefined behaviour committed on purpose, through
 * volatile operands so the compiler cannot see it coming, must be reported
 * with its kind, its values and this file's line. ubsan_catch_begin() keeps
 * the reports from ending the test boot. On the normal kernel there are no
 * checks and every test here is skipped.
 */
#include "kernel/ktest.h"
#include "kernel/ubsan.h"
#include "lib/fmt.h"
#include "lib/string.h"

static char got[256];

static bool contains(const char *s, const char *sub) {
    for (size_t n = strlen(sub); *s; s++)
        if (strncmp(s, sub, n) == 0)
            return true;
    return false;
}

/* The report must hold `what` and end in this file's `line` (a column follows). */
#define EXPECT_REPORT(count, what, line)                                                          \
    do {                                                                                          \
        char where_[96];                                                                          \
        fmt_snprintf(where_, sizeof where_, " at %s:%d:", __FILE__, (line));                      \
        if ((count) != 1)                                                                         \
            KT_FAIL("%d reports, expected 1 (first: '%s')", (count), got);                         \
        if (!contains(got, (what)) || !contains(got, where_))                                     \
            KT_FAIL("report '%s' does not say '%s' and '%s'", got, (what), where_);               \
    } while (0)

#define NEEDS_UBSAN()                                                                             \
    do {                                                                                          \
        if (!UBSAN_ENABLED)                                                                       \
            KT_SKIP("not the sanitised kernel (make SANITIZE=ubsan)");                            \
    } while (0)

KTEST(ubsan, signed_overflow_is_reported) {
    NEEDS_UBSAN();
    volatile int a = 2147483647, b = 1, r;
    ubsan_catch_begin(got, sizeof got);
    int line = __LINE__ + 1;
    r = a + b;
    int n = ubsan_catch_end();
    (void)r;
    EXPECT_REPORT(n, "signed integer overflow: 2147483647 + 1 cannot be represented in type 'int'", line);
}

KTEST(ubsan, shift_too_far_is_reported) {
    NEEDS_UBSAN();
    volatile int one = 1, by = 40, r;
    ubsan_catch_begin(got, sizeof got);
    int line = __LINE__ + 1;
    r = one << by;
    int n = ubsan_catch_end();
    (void)r;
    EXPECT_REPORT(n, "shift by 40 is too far for the 32-bit type 'int'", line);
}

KTEST(ubsan, index_out_of_bounds_is_reported) {
    NEEDS_UBSAN();
    int table[4] = {1, 2, 3, 4};
    volatile int i = 5;
    int *volatile r;
    ubsan_catch_begin(got, sizeof got);
    int line = __LINE__ + 1;
    r = &table[i & 7]; /* no load: only the index is checked */
    int n = ubsan_catch_end();
    (void)r;
    EXPECT_REPORT(n, "index 5 is out of bounds for type 'int [4]'", line);
}

KTEST(ubsan, misaligned_load_is_reported) {
    NEEDS_UBSAN();
    static uint64_t words[2];
    uint32_t *volatile odd = (uint32_t *)((char *)words + 1); /* opaque: GCC cannot see it is odd */
    volatile uint32_t r;
    ubsan_catch_begin(got, sizeof got);
    int line = __LINE__ + 1;
    r = *odd;
    int n = ubsan_catch_end();
    (void)r;
    EXPECT_REPORT(n, "which needs 4-byte alignment", line);
    if (!contains(got, "load of misaligned address"))
        KT_FAIL("report '%s' does not name the load", got);
}

/* Outside a test boot the kernel goes on; one site in a loop must then
 * not flood the console: the second and third time are silent. */
KTEST(ubsan, each_site_is_reported_once) {
    NEEDS_UBSAN();
    volatile long a = -9223372036854775807L - 1, r;
    ubsan_catch_begin(got, sizeof got);
    int line = __LINE__ + 2;
    for (int k = 0; k < 3; k++)
        r = -a;
    int n = ubsan_catch_end();
    (void)r;
    EXPECT_REPORT(n, "negating -9223372036854775808 cannot be represented in type 'long int'", line);
}
