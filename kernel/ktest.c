#include "kernel/ktest.h"
#include "kernel/time.h"
#include "lib/cmdline.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "arch.h"

extern const struct ktest _ktests_start[], _ktests_end[];

/* Suites named "crash" end the kernel on purpose: they run only when named,
 * never as part of "all". */
static bool selected(const struct ktest *t, const char *list) {
    char full[96];
    fmt_snprintf(full, sizeof full, "%s.%s", t->suite, t->name);
    size_t len = strlen(list);
    bool named = false;
    for (const char *c = list; *c; c++)
        if (strncmp(c, t->suite, strlen(t->suite)) == 0 && (c == list || c[-1] == ','))
            named = true;
    if (strcmp(t->suite, "crash") == 0 && !named)
        return false;
    return cmdline_list_contains(list, len, t->suite) || cmdline_list_contains(list, len, full);
}

/* A crash test names the panic it provokes; panic() then reports the test
 * as passed instead of failing the run. */
static const char *expected_panic;
static const struct ktest *running;

void ktest_expect_panic(const char *substring) { expected_panic = substring; }

static bool contains(const char *s, const char *sub) {
    for (size_t n = strlen(sub); *s; s++)
        if (strncmp(s, sub, n) == 0)
            return true;
    return false;
}

static int passed, failed, skipped;

/* The expected panic ends the run: the crash test passed, and the closing
 * line counts it with the tests that ran before it. The run passes only if
 * none of those failed. */
bool ktest_panic_was_expected(const char *reason) {
    if (!expected_panic || !running || !contains(reason, expected_panic))
        return false;
    printk_raw("ktest: PASS %s.%s (panicked as expected: \"%s\")\n", running->suite, running->name, expected_panic);
    passed++;
    printk_raw("ktest: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed == 0;
}

static void run_one(const struct ktest *t) {
    struct ktest_ctx ctx = {0};
    uint64_t start = arch_cycles();
    running = t;
    t->fn(&ctx);
    running = NULL;
    if (expected_panic) {
        expected_panic = NULL;
        KT_FAIL_CTX(&ctx, "the expected panic did not happen");
    }
    uint64_t us = cycles_to_ns(arch_cycles() - start) / 1000;
    const char *verdict = ctx.failed ? "FAIL" : ctx.skipped ? "SKIP" : "PASS";
    printk(LOG_ERR, "ktest: %s %s.%s (%llu.%03llu ms)\n", verdict, t->suite, t->name,
           (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
    if (ctx.failed)
        failed++;
    else if (ctx.skipped)
        skipped++;
    else
        passed++;
}

int ktest_run(const char *list) {
    int before = failed;
    for (const struct ktest *t = _ktests_start; t < _ktests_end; t++)
        if (selected(t, list))
            run_one(t);
    return failed - before;
}

/* How many tests `list` selects, and how many there are: the runner checks
 * that exactly as many result lines follow (tools/testrun.py). */
static void announce(const char *list) {
    int registered = 0, chosen = 0;
    for (const struct ktest *t = _ktests_start; t < _ktests_end; t++) {
        registered++;
        chosen += selected(t, list);
    }
    printk(LOG_ERR, "ktest: running '%s': %d of %d registered tests selected\n", list, chosen, registered);
}

void ktest_main(const char *list) {
    announce(list);
    ktest_run(list);
    printk(LOG_ERR, "ktest: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    arch_exit_emulator(failed == 0 && passed > 0 ? EMU_EXIT_PASS : EMU_EXIT_FAIL);
}
