/*
 * Host tests of lib/string.c, the kernel's own memcpy/memset/memmove/memcmp.
 * The file is compiled into this test with every function renamed (the
 * macros below), so that it does not clash with the host's libc and the
 * test runs the real kernel code, word-sized paths included. Each function
 * is checked against a byte-by-byte reference for every length 0..300 and
 * every source and destination alignment 0..15, with guard bytes around the
 * destination to catch any write outside it.
 */
#include "tests/host/htest.h"

#define memcpy ks_memcpy
#define memmove ks_memmove
#define memset ks_memset
#define memcmp ks_memcmp
#define strlen ks_strlen
#define strnlen ks_strnlen
#define strcmp ks_strcmp
#define strncmp ks_strncmp
#define strchr ks_strchr
#define str_copy ks_str_copy
#include "lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef str_copy

#define MAX_LEN 300
#define MAX_ALIGN 16
#define GUARD 32
#define AREA (GUARD + MAX_ALIGN + MAX_LEN + GUARD)
#define GUARD_BYTE 0xEE

/* 16-byte aligned, so that offset k really is alignment k. */
static unsigned char src_area[AREA] __attribute__((aligned(16)));
static unsigned char dst_area[AREA] __attribute__((aligned(16)));
static unsigned char expect[AREA];

static unsigned char pattern(size_t i, unsigned seed) { return (unsigned char)(i * 131 + seed * 7 + (i >> 3) + 1); }

static void fill_pattern(unsigned char *a, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        a[i] = pattern(i, seed);
}

/* First index where the two areas differ, or -1. */
static long first_difference(const unsigned char *a, const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return (long)i;
    return -1;
}

HTEST(memcpy_every_length_and_alignment) {
    for (size_t n = 0; n <= MAX_LEN; n++) {
        for (size_t sa = 0; sa < MAX_ALIGN; sa++) {
            for (size_t da = 0; da < MAX_ALIGN; da++) {
                fill_pattern(src_area, AREA, (unsigned)(n + sa));
                for (size_t i = 0; i < AREA; i++)
                    dst_area[i] = expect[i] = GUARD_BYTE;
                unsigned char *d = dst_area + GUARD + da, *s = src_area + GUARD + sa;
                for (size_t i = 0; i < n; i++) /* the reference */
                    expect[GUARD + da + i] = s[i];
                void *r = ks_memcpy(d, s, n);
                long bad = first_difference(dst_area, expect, AREA);
                if (r != d || bad >= 0)
                    HT_FAIL_AT("memcpy n=%zu src align %zu dst align %zu: %s at area offset %ld", n, sa, da,
                               r != d ? "wrong return value" : "wrong byte", bad);
            }
        }
    }
}

HTEST(memset_every_length_and_alignment) {
    static const int values[] = {0, 0xA5, 0x1FF /* only the low byte counts */, -1};
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        for (size_t n = 0; n <= MAX_LEN; n++) {
            for (size_t da = 0; da < MAX_ALIGN; da++) {
                for (size_t i = 0; i < AREA; i++)
                    dst_area[i] = expect[i] = GUARD_BYTE;
                for (size_t i = 0; i < n; i++)
                    expect[GUARD + da + i] = (unsigned char)values[v];
                unsigned char *d = dst_area + GUARD + da;
                void *r = ks_memset(d, values[v], n);
                long bad = first_difference(dst_area, expect, AREA);
                if (r != d || bad >= 0)
                    HT_FAIL_AT("memset(%#x) n=%zu align %zu: %s at area offset %ld", values[v], n, da,
                               r != d ? "wrong return value" : "wrong byte", bad);
            }
        }
    }
}

/* Source and destination inside one buffer, `shift` bytes apart either
 * way: overlapping for |shift| < n, disjoint otherwise. */
HTEST(memmove_overlap_both_ways) {
    static const long shifts[] = {0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 64, 200, 299};
    static unsigned char buf[1024] __attribute__((aligned(16)));
    static unsigned char ref[1024];
    for (size_t k = 0; k < sizeof shifts / sizeof shifts[0]; k++) {
        for (int sign = -1; sign <= 1; sign += 2) {
            long shift = sign * shifts[k];
            for (size_t n = 0; n <= MAX_LEN; n++) {
                for (size_t sa = 0; sa < MAX_ALIGN; sa++) {
                    size_t so = 320 + sa; /* room for a shift of 299 either way */
                    size_t dof = (size_t)((long)so + shift);
                    fill_pattern(buf, sizeof buf, (unsigned)(n + k));
                    memcpy(ref, buf, sizeof buf);
                    unsigned char tmp[MAX_LEN + 1];
                    for (size_t i = 0; i < n; i++) /* the reference: through a copy */
                        tmp[i] = ref[so + i];
                    for (size_t i = 0; i < n; i++)
                        ref[dof + i] = tmp[i];
                    void *r = ks_memmove(buf + dof, buf + so, n);
                    long bad = first_difference(buf, ref, sizeof buf);
                    if (r != buf + dof || bad >= 0)
                        HT_FAIL_AT("memmove n=%zu src align %zu shift %ld: %s at offset %ld", n, sa, shift,
                                   r != buf + dof ? "wrong return value" : "wrong byte", bad);
                }
            }
        }
    }
}

HTEST(memmove_disjoint_every_alignment) {
    for (size_t n = 0; n <= MAX_LEN; n += 7) {
        for (size_t sa = 0; sa < MAX_ALIGN; sa++) {
            for (size_t da = 0; da < MAX_ALIGN; da++) {
                fill_pattern(src_area, AREA, (unsigned)n);
                for (size_t i = 0; i < AREA; i++)
                    dst_area[i] = expect[i] = GUARD_BYTE;
                for (size_t i = 0; i < n; i++)
                    expect[GUARD + da + i] = src_area[GUARD + sa + i];
                ks_memmove(dst_area + GUARD + da, src_area + GUARD + sa, n);
                long bad = first_difference(dst_area, expect, AREA);
                if (bad >= 0)
                    HT_FAIL_AT("memmove n=%zu src align %zu dst align %zu: wrong byte at %ld", n, sa, da, bad);
            }
        }
    }
}

static int sign_of(int x) { return (x > 0) - (x < 0); }

static int reference_memcmp(const unsigned char *a, const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Equal buffers, then one byte changed up or down at several positions
 * (first, inside the first word, at word boundaries, last). */
HTEST(memcmp_every_length_and_alignment) {
    for (size_t n = 0; n <= MAX_LEN; n++) {
        for (size_t aa = 0; aa < MAX_ALIGN; aa++) {
            for (size_t ba = 0; ba < MAX_ALIGN; ba += 3) {
                unsigned char *a = src_area + GUARD + aa, *b = dst_area + GUARD + ba;
                fill_pattern(a, n, 3);
                fill_pattern(b, n, 3);
                if (ks_memcmp(a, b, n) != 0)
                    HT_FAIL_AT("memcmp of equal buffers n=%zu align %zu/%zu is %d", n, aa, ba, ks_memcmp(a, b, n));
                size_t positions[] = {0, 1, 7, 8, 9, n / 2, n - 1};
                for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
                    size_t at = positions[p];
                    if (at >= n)
                        continue;
                    unsigned char keep = b[at];
                    static const unsigned char deltas[] = {1, 0x80, 0xFF};
                    for (size_t d = 0; d < 3; d++) {
                        b[at] = (unsigned char)(keep + deltas[d]);
                        if (at + 1 < n) /* a later byte the other way: byte order must decide */
                            b[at + 1] = (unsigned char)(a[at + 1] - deltas[d]);
                        int want = reference_memcmp(a, b, n), got = ks_memcmp(a, b, n);
                        if (sign_of(got) != want)
                            HT_FAIL_AT("memcmp n=%zu align %zu/%zu differing at %zu: %d, expected sign %d", n, aa,
                                       ba, at, got, want);
                        b[at] = keep;
                        if (at + 1 < n)
                            b[at + 1] = a[at + 1];
                    }
                }
            }
        }
    }
}

HTEST(memcmp_bytes_are_unsigned) {
    unsigned char a[16] = {0}, b[16] = {0};
    a[10] = 0x80;
    b[10] = 0x7F;
    HT_ASSERT(ks_memcmp(a, b, 16) > 0);
    HT_ASSERT(ks_memcmp(b, a, 16) < 0);
}

HTEST(string_functions) {
    HT_ASSERT_EQ(ks_strlen(""), 0);
    HT_ASSERT_EQ(ks_strlen("teachos"), 7);
    HT_ASSERT_EQ(ks_strnlen("teachos", 3), 3);
    HT_ASSERT(ks_strcmp("abc", "abd") < 0);
    HT_ASSERT(ks_strcmp("abc", "abc") == 0);
    HT_ASSERT(ks_strncmp("abcx", "abcy", 3) == 0);
    HT_ASSERT(ks_strchr("hello", 'l') != NULL && *ks_strchr("hello", 'l') == 'l');
    HT_ASSERT(ks_strchr("hello", 'z') == NULL);
    char small[4];
    HT_ASSERT_EQ(ks_str_copy(small, "teachos", sizeof small), 7);
    HT_ASSERT_STREQ(small, "tea");
}

int main(void) { return htest_main("string"); }
