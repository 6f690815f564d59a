#include "kernel/ktest.h"
#include "kernel/time.h"
#include "lib/cmdline.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "arch.h"

extern const struct ktest _ktests_start[], _ktests_end[];

static bool selected(const struct ktest *t, const char *list) {
    char full[96];
    fmt_snprintf(full, sizeof full, "%s.%s", t->suite, t->name);
    size_t len = strlen(list);
    return cmdline_list_contains(list, len, t->suite) || cmdline_list_contains(list, len, full);
}

static int passed, failed, skipped;

static void run_one(const struct ktest *t) {
    struct ktest_ctx ctx = {0};
    uint64_t start = arch_cycles();
    t->fn(&ctx);
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

void ktest_main(const char *list) {
    printk(LOG_ERR, "ktest: running '%s'\n", list);
    ktest_run(list);
    printk(LOG_ERR, "ktest: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    arch_exit_emulator(failed == 0 && passed > 0);
}
