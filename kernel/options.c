#include "kernel/options.h"
#include "kernel/printk.h"
#include "lib/cmdline.h"
#include "lib/string.h"
#include "user/include/abi.h"

struct boot_options boot_options = {.model = "bkl", .loglevel = LOG_INFO, .hz = 100, .maxcpus = 64,
                                   .forward = "ipi", .leader_runs_user = 1, .sched = "percpu", .balance_ms = 20,
                                   .cpufail_cpu = -1, .cpufail_how = ABI_CPUFAIL_USER, .msi = true, .bcache = true};

/* Every option takes a value: a bare word (`model` alone) is an error, never
 * a reset to empty. Errors are counted; kmain() decides what they mean. */
static void option_error(const struct cmdline_opt *o, const char *why) {
    pr_err("options: '%.*s' %s; ignored\n", (int)o->raw_len, o->raw, why);
    boot_options.errors++;
}

static void copy_value(char *dst, size_t size, const struct cmdline_opt *o) {
    if (!o->val) {
        option_error(o, "needs a value: write it as key=value");
        return;
    }
    if (o->val_len >= size) {
        pr_err("options: the value of %.*s is longer than %zu characters; ignored\n", (int)o->key_len,
               o->key, size - 1);
        boot_options.errors++;
        return;
    }
    memcpy(dst, o->val, o->val_len);
    dst[o->val_len] = 0;
}

static bool parse_number(const struct cmdline_opt *o, uint64_t lo, uint64_t hi, uint64_t *out) {
    if (cmdline_parse_u64(o->val, o->val_len, out) && *out >= lo && *out <= hi)
        return true;
    pr_err("options: %.*s needs a number from %llu to %llu; ignored\n", (int)o->key_len, o->key,
           (unsigned long long)lo, (unsigned long long)hi);
    boot_options.errors++;
    return false;
}


/* partition=3,1,1,1: weights from 1 to 1000, at most one per CPU. */
static void parse_partition(const struct cmdline_opt *o) {
    unsigned n = 0;
    size_t i = 0;
    boot_options.npartition = 0;
    if (!o->val || o->val_len == 0) {
        option_error(o, "needs weights: partition=W0,W1,... (1 to 1000 each)");
        return;
    }
    while (i <= o->val_len) {
        size_t j = i;
        while (j < o->val_len && o->val[j] != ',')
            j++;
        uint64_t w;
        if (n >= ARRAY_SIZE(boot_options.partition) || !cmdline_parse_u64(o->val + i, j - i, &w) || w < 1 ||
            w > 1000) {
            option_error(o, "needs weights: partition=W0,W1,... (1 to 1000 each, at most 64)");
            return;
        }
        boot_options.partition[n++] = (unsigned)w;
        i = j + 1;
    }
    boot_options.npartition = n;
}

/* cpufail=N@MS or cpufail=N@MS:HOW, HOW one of user, kernel, lock. The CPU
 * number is checked against the CPUs that come up when the time comes. */
static void parse_cpufail(const struct cmdline_opt *o) {
    static const char *const hows[] = {[ABI_CPUFAIL_USER] = "user", [ABI_CPUFAIL_KERNEL] = "kernel",
                                       [ABI_CPUFAIL_LOCK] = "lock"};
    const char *v = o->val;
    size_t len = o->val ? o->val_len : 0, at = 0, colon = len;
    while (at < len && v[at] != '@')
        at++;
    for (size_t i = at; i < len; i++)
        if (v[i] == ':') {
            colon = i;
            break;
        }
    uint64_t cpu, ms;
    int how = ABI_CPUFAIL_USER;
    bool ok = at < len && cmdline_parse_u64(v, at, &cpu) && cpu < 64 &&
              cmdline_parse_u64(v + at + 1, colon - at - 1, &ms) && ms <= 3600000;
    if (ok && colon < len) {
        how = 0;
        for (int h = ABI_CPUFAIL_USER; h <= ABI_CPUFAIL_LOCK; h++)
            if (strlen(hows[h]) == len - colon - 1 && memcmp(v + colon + 1, hows[h], len - colon - 1) == 0)
                how = h;
        ok = how != 0;
    }
    if (!ok) {
        option_error(o, "needs cpufail=CPU@MS or cpufail=CPU@MS:user|kernel|lock (CPU below 64, MS at most 3600000)");
        return;
    }
    boot_options.cpufail_cpu = (int)cpu;
    boot_options.cpufail_ms = (unsigned)ms;
    boot_options.cpufail_how = how;
}

static void parse_on_off(const struct cmdline_opt *o, bool *out) {
    if (o->val && o->val_len == 2 && memcmp(o->val, "on", 2) == 0)
        *out = true;
    else if (o->val && o->val_len == 3 && memcmp(o->val, "off", 3) == 0)
        *out = false;
    else
        option_error(o, "needs the value on or off");
}

static void apply(const struct cmdline_opt *o) {
    uint64_t n;
    if (o->error)
        option_error(o, o->error);
    else if (cmdline_opt_is(o, "test"))
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
    } else if (cmdline_opt_is(o, "forward")) {
        if (o->val && ((o->val_len == 3 && memcmp(o->val, "ipi", 3) == 0) ||
                       (o->val_len == 4 && memcmp(o->val, "poll", 4) == 0)))
            copy_value(boot_options.forward, sizeof boot_options.forward, o);
        else
            option_error(o, "needs ipi or poll");
    } else if (cmdline_opt_is(o, "leader_runs_user")) {
        if (parse_number(o, 0, 1, &n))
            boot_options.leader_runs_user = (int)n;
    } else if (cmdline_opt_is(o, "partition")) {
        parse_partition(o);
    } else if (cmdline_opt_is(o, "maxcpus")) {
        if (parse_number(o, 1, 64, &n))
            boot_options.maxcpus = (unsigned)n;
    } else if (cmdline_opt_is(o, "sched")) {
        char v[sizeof boot_options.sched] = "";
        copy_value(v, sizeof v, o);
        if (strcmp(v, "global") == 0 || strcmp(v, "percpu") == 0)
            memcpy(boot_options.sched, v, sizeof boot_options.sched);
        else if (o->val && o->val_len < sizeof v)
            option_error(o, "must be sched=global or sched=percpu");
    } else if (cmdline_opt_is(o, "balance")) {
        if (parse_number(o, 1, 10000, &n))
            boot_options.balance_ms = (unsigned)n;
    } else if (cmdline_opt_is(o, "cpufail")) {
        parse_cpufail(o);
    } else if (cmdline_opt_is(o, "msi"))
        parse_on_off(o, &boot_options.msi);
    else if (cmdline_opt_is(o, "bcache"))
        parse_on_off(o, &boot_options.bcache);
    else if (cmdline_opt_is(o, "trace")) {
        if (parse_number(o, 0, ABI_TRACE_MAX_EVENTS, &n)) {
            if (n > 0 && n < 16)
                option_error(o, "needs 0 (off) or at least 16 events per CPU");
            else
                boot_options.trace = (unsigned)n;
        }
    } else
        option_error(o, "is not an option (docs/boot.md lists them)");
}

void options_parse(const char *cmdline) {
    struct cmdline_opt o;
    const char *cursor = cmdline ? cmdline : "";
    while (cmdline_next(&cursor, &o))
        apply(&o);
    console_loglevel = boot_options.loglevel;
}

bool options_unattended(void) { return boot_options.test[0] || boot_options.run[0]; }
