#include "kernel/options.h"
#include "kernel/printk.h"
#include "lib/cmdline.h"
#include "lib/string.h"

struct boot_options boot_options = {.model = "bkl", .loglevel = LOG_INFO, .hz = 100, .maxcpus = 64};

static void copy_value(char *dst, size_t size, const struct cmdline_opt *o) {
    size_t n = o->val_len < size - 1 ? o->val_len : size - 1;
    if (o->val)
        memcpy(dst, o->val, n);
    dst[n] = 0;
}

static bool parse_number(const struct cmdline_opt *o, uint64_t lo, uint64_t hi, uint64_t *out) {
    if (o->val && cmdline_parse_u64(o->val, o->val_len, out) && *out >= lo && *out <= hi)
        return true;
    pr_warn("options: %.*s needs a number from %llu to %llu; ignored\n", (int)o->key_len, o->key,
            (unsigned long long)lo, (unsigned long long)hi);
    return false;
}

static void apply(const struct cmdline_opt *o) {
    uint64_t n;
    if (cmdline_opt_is(o, "test"))
        copy_value(boot_options.test, sizeof boot_options.test, o);
    else if (cmdline_opt_is(o, "model"))
        copy_value(boot_options.model, sizeof boot_options.model, o);
    else if (cmdline_opt_is(o, "run"))
        copy_value(boot_options.run, sizeof boot_options.run, o);
    else if (cmdline_opt_is(o, "loglevel")) {
        if (parse_number(o, 0, 3, &n))
            boot_options.loglevel = (int)n;
    } else if (cmdline_opt_is(o, "hz")) {
        if (parse_number(o, 10, 10000, &n))
            boot_options.hz = (unsigned)n;
    } else if (cmdline_opt_is(o, "maxcpus")) {
        if (parse_number(o, 1, 64, &n))
            boot_options.maxcpus = (unsigned)n;
    } else
        pr_warn("options: unknown option '%.*s' ignored\n", (int)o->key_len, o->key);
}

void options_parse(const char *cmdline) {
    struct cmdline_opt o;
    const char *cursor = cmdline ? cmdline : "";
    while (cmdline_next(&cursor, &o))
        apply(&o);
    console_loglevel = boot_options.loglevel;
}
