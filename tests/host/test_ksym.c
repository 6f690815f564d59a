/*
 * Host tests of lib/ksym.c, including an exhaustive comparison with a
 * linear scan over many table sizes.
 */
#include "tests/host/htest.h"
#include "lib/ksym.h"

static const struct ksym table[] = {
    { 0xffffffff80100000ull, "_start" },
    { 0xffffffff80100040ull, "kmain" },
    { 0xffffffff80100200ull, "panic" },
    { 0xffffffff80100200ull, "panic_alias" },
    { 0xffffffff80100300ull, "printk" },
};
#define N ARRAY_SIZE(table)

HTEST(empty_table) {
    uint64_t off = 77;
    HT_ASSERT(ksym_lookup(NULL, 0, 0x1234, &off) == NULL);
    HT_ASSERT(ksym_lookup(table, 0, 0xffffffff80100040ull, &off) == NULL);
    HT_ASSERT_EQ(off, 77); /* untouched when nothing is found */
}

HTEST(below_first_symbol) {
    uint64_t off = 77;
    HT_ASSERT(ksym_lookup(table, N, 0, &off) == NULL);
    HT_ASSERT(ksym_lookup(table, N, 0xffffffff800fffffull, &off) == NULL);
    HT_ASSERT_EQ(off, 77);
}

HTEST(exact_and_inside) {
    uint64_t off = 99;
    HT_ASSERT_STREQ(ksym_lookup(table, N, 0xffffffff80100000ull, &off), "_start");
    HT_ASSERT_EQ(off, 0);
    HT_ASSERT_STREQ(ksym_lookup(table, N, 0xffffffff8010003full, &off), "_start");
    HT_ASSERT_EQ(off, 0x3f);
    HT_ASSERT_STREQ(ksym_lookup(table, N, 0xffffffff80100040ull, &off), "kmain");
    HT_ASSERT_EQ(off, 0);
    HT_ASSERT_STREQ(ksym_lookup(table, N, 0xffffffff801001ffull, &off), "kmain");
    HT_ASSERT_EQ(off, 0x1bf);
}

HTEST(equal_addresses_give_the_last) {
    uint64_t off = 99;
    HT_ASSERT_STREQ(ksym_lookup(table, N, 0xffffffff80100200ull, &off), "panic_alias");
    HT_ASSERT_EQ(off, 0);
    HT_ASSERT_STREQ(ksym_lookup(table, N, 0xffffffff80100210ull, &off), "panic_alias");
    HT_ASSERT_EQ(off, 0x10);
}

HTEST(above_last_symbol_and_top_of_address_space) {
    uint64_t off = 0;
    HT_ASSERT_STREQ(ksym_lookup(table, N, 0xffffffff80100300ull, &off), "printk");
    HT_ASSERT_EQ(off, 0);
    HT_ASSERT_STREQ(ksym_lookup(table, N, ~0ull, &off), "printk");
    HT_ASSERT(off == ~0ull - 0xffffffff80100300ull);
}

HTEST(offset_pointer_optional) {
    HT_ASSERT_STREQ(ksym_lookup(table, N, 0xffffffff80100041ull, NULL), "kmain");
    HT_ASSERT(ksym_lookup(table, N, 1, NULL) == NULL);
}

HTEST(single_entry) {
    struct ksym one[1] = { { 0, "zero" } };
    uint64_t off = 5;
    HT_ASSERT_STREQ(ksym_lookup(one, 1, 0, &off), "zero");
    HT_ASSERT_EQ(off, 0);
    HT_ASSERT_STREQ(ksym_lookup(one, 1, 12345, &off), "zero");
    HT_ASSERT_EQ(off, 12345);
}

/* The index a linear scan finds: the last entry with addr <= a, or -1. */
static long linear(const struct ksym *t, size_t n, uint64_t a) {
    long found = -1;
    for (size_t i = 0; i < n && t[i].addr <= a; i++)
        found = (long)i;
    return found;
}

HTEST(matches_linear_scan_for_all_sizes) {
    static struct ksym t[130];
    static char names[130][8];
    for (size_t i = 0; i < 130; i++) {
        snprintf(names[i], sizeof(names[i]), "s%zu", i);
        /* gaps of 1..4 and some duplicates */
        t[i].addr = 100 + i * 3 - (i % 7 == 3 ? 3 : 0);
        t[i].name = names[i];
    }
    for (size_t n = 0; n <= 130; n++) {
        for (uint64_t a = 90; a < 100 + 130 * 3 + 5; a++) {
            long want = linear(t, n, a);
            uint64_t off = 0xdead;
            const char *got = ksym_lookup(t, n, a, &off);
            if (want < 0) {
                HT_ASSERT(got == NULL);
                HT_ASSERT_EQ(off, 0xdead);
            } else {
                HT_ASSERT(got == t[want].name);
                HT_ASSERT_EQ(off, a - t[want].addr);
            }
        }
    }
}

int main(void) {
    return htest_main("ksym");
}
