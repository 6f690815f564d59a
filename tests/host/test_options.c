/*
 * Host tests of kernel/options.c: the kernel's reading of its command line.
 * options.c is kernel code, but pure apart from its messages, so it is
 * compiled in here (#include) with printk() collecting the messages.
 */
#include "tests/host/htest.h"
#include "kernel/options.c"

#include <stdio.h>

int console_loglevel;
static char messages[4096];

void printk(int level, const char *fmt, ...) {
    (void)level;
    size_t n = strlen(messages);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(messages + n, sizeof messages - n, fmt, ap);
    va_end(ap);
}

static const struct boot_options defaults = {.model = "bkl", .loglevel = LOG_INFO, .hz = 100, .maxcpus = 64,
                                             .sched = "percpu", .balance_ms = 20,
                                             .cpufail_cpu = -1, .cpufail_how = ABI_CPUFAIL_USER};

static void parse(const char *line) {
    boot_options = defaults;
    messages[0] = '\0';
    options_parse(line);
}

HTEST(values_are_taken) {
    parse("model=fine test=smp,locks run=usertests loglevel=3 hz=250 maxcpus=0x8");
    HT_ASSERT_STREQ(boot_options.model, "fine");
    HT_ASSERT_STREQ(boot_options.test, "smp,locks");
    HT_ASSERT_STREQ(boot_options.run, "usertests");
    HT_ASSERT_EQ(boot_options.loglevel, 3);
    HT_ASSERT_EQ(boot_options.hz, 250);
    HT_ASSERT_EQ(boot_options.maxcpus, 8);
    HT_ASSERT_EQ(boot_options.errors, 0);
    HT_ASSERT_STREQ(messages, "");
}

HTEST(bare_word_is_an_error_not_a_reset) {
    parse("model=bkl model");
    HT_ASSERT_STREQ(boot_options.model, "bkl");
    HT_ASSERT_EQ(boot_options.errors, 1);
    HT_ASSERT(strstr(messages, "'model' needs a value") != NULL);
    parse("run=usertests run test=all test");
    HT_ASSERT_STREQ(boot_options.run, "usertests");
    HT_ASSERT_STREQ(boot_options.test, "all");
    HT_ASSERT_EQ(boot_options.errors, 2);
    parse("hz");
    HT_ASSERT_EQ(boot_options.hz, 100);
    HT_ASSERT_EQ(boot_options.errors, 1);
}

HTEST(run_with_arguments_as_grub_passes_them) {
    /* grub.cfg: run="ut_args a b c" */
    parse("\"run=ut_args a b c\" model=bkl");
    HT_ASSERT_STREQ(boot_options.run, "ut_args a b c");
    HT_ASSERT_EQ(boot_options.errors, 0);
    parse("run=\"ut_args a\"");
    HT_ASSERT_STREQ(boot_options.run, "ut_args a");
}

HTEST(errors_are_counted_and_named) {
    parse("modle=fine hz=5 loglevel=x \"run=open");
    HT_ASSERT_EQ(boot_options.errors, 4);
    HT_ASSERT(strstr(messages, "'modle=fine' is not an option") != NULL);
    HT_ASSERT(strstr(messages, "hz needs a number from 10 to 10000") != NULL);
    HT_ASSERT(strstr(messages, "loglevel needs a number from 0 to 3") != NULL);
    HT_ASSERT(strstr(messages, "'\"run=open' has a \" without its closing \"") != NULL);
    HT_ASSERT_EQ(boot_options.hz, 100);
    HT_ASSERT_STREQ(boot_options.run, "");
}

HTEST(too_long_value_is_an_error_not_a_cut) {
    char line[200] = "model=";
    memset(line + 6, 'm', 20);
    parse(line);
    HT_ASSERT_STREQ(boot_options.model, "bkl");
    HT_ASSERT_EQ(boot_options.errors, 1);
    HT_ASSERT(strstr(messages, "longer than 15 characters") != NULL);
}

HTEST(sched_layout_and_balance_period) {
    parse("model=fine sched=global balance=50");
    HT_ASSERT_STREQ(boot_options.sched, "global");
    HT_ASSERT_EQ(boot_options.balance_ms, 50);
    HT_ASSERT_EQ(boot_options.errors, 0);
    parse("sched=percpu");
    HT_ASSERT_STREQ(boot_options.sched, "percpu");
    parse("sched=fast balance=0");
    HT_ASSERT_STREQ(boot_options.sched, "percpu"); /* an unknown layout is refused, not guessed */
    HT_ASSERT_EQ(boot_options.balance_ms, 20);
    HT_ASSERT_EQ(boot_options.errors, 2);
    HT_ASSERT(strstr(messages, "'sched=fast' must be sched=global or sched=percpu") != NULL);
    HT_ASSERT(strstr(messages, "balance needs a number from 1 to 10000") != NULL);
}

HTEST(unattended_means_test_or_run) {
    parse("model=bkl");
    HT_ASSERT(!options_unattended());
    parse("test=all");
    HT_ASSERT(options_unattended());
    parse("run=hello");
    HT_ASSERT(options_unattended());
}

int main(void) {
    return htest_main("options");
}

/* cpufail=N@MS[:how]: a failure on a timer, for unattended tests. */
HTEST(cpufail_schedules_a_failure) {
    parse("cpufail=2@1500");
    HT_ASSERT_EQ(boot_options.cpufail_cpu, 2);
    HT_ASSERT_EQ(boot_options.cpufail_ms, 1500);
    HT_ASSERT_EQ(boot_options.cpufail_how, ABI_CPUFAIL_USER);
    HT_ASSERT_EQ(boot_options.errors, 0);
    parse("cpufail=0@20:kernel");
    HT_ASSERT_EQ(boot_options.cpufail_cpu, 0);
    HT_ASSERT_EQ(boot_options.cpufail_how, ABI_CPUFAIL_KERNEL);
    parse("cpufail=3@100:lock");
    HT_ASSERT_EQ(boot_options.cpufail_how, ABI_CPUFAIL_LOCK);
    HT_ASSERT_EQ(boot_options.errors, 0);
}

HTEST(cpufail_rejects_bad_values) {
    const char *bad[] = {"cpufail=2", "cpufail=@100", "cpufail=2@", "cpufail=64@10", "cpufail=x@10",
                         "cpufail=2@10:power", "cpufail=2@10:", "cpufail"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parse(bad[i]);
        HT_ASSERT_EQ(boot_options.errors, 1);
        HT_ASSERT_EQ(boot_options.cpufail_cpu, -1);
        HT_ASSERT(strstr(messages, "needs cpufail=CPU@MS") != NULL);
    }
}
