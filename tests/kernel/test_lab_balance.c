/*
 * Lab 7, balance (docs/labs/7-balance.md): fine's per-CPU queues are
 * balanced by an idle CPU that pulls waiting work, and by a periodic pass
 * that evens out the loads. One test for each. In both, spinning kernel
 * threads gather on the last CPU, pinned there, and then let themselves
 * go: they stay in that CPU's queue (a process goes back to the CPU it
 * last ran on). Only balancing can take them elsewhere; without it they
 * never leave and give up at a deadline, so the outcome does not depend
 * on how fast the host runs the virtual CPUs.
 *
 * - idle_cpus_pull_waiting_work: every other CPU has nothing to do. Booted
 *   with a long period (balance=10000: the periodic pass is due only
 *   every 10 s), it is the idle pull that must spread them, at once, and
 *   fine's counter fine.pulls says so. A periodic pass that falls inside
 *   an attempt may spread them first; then the attempt is made again (the
 *   next pass is 10 s away).
 * - periodic_pass_evens_out_loads: every other CPU runs an anchor, a
 *   spinner pinned there, so no CPU is ever idle and no pull can happen;
 *   with the default period (balance=20) only the periodic pass can give
 *   those CPUs a share.
 *
 * Skipped unless model=fine sched=percpu with 2 CPUs or more, and a period
 * that suits the test.
 */
#include "kernel/ktest.h"
#include "kernel/model.h"
#include "kernel/options.h"
#include "kernel/os.h"
#include "kernel/proc.h"
#include "kernel/time.h"
#include "lib/string.h"

#define ATTEMPT_NS (15ULL * 1000000000ULL)

static struct abi_model_stat stats[ABI_MAX_MODEL_STATS];

/* The sum of a counter of the organisation over cpu (-1: the one without
 * a CPU, or all of them summed with sum_cpus). */
static long long stat_sum(const char *name, bool sum_cpus) {
    int n = model->stats(stats, ABI_MAX_MODEL_STATS);
    long long v = -1;
    for (int i = 0; i < n; i++)
        if (strcmp(stats[i].name, name) == 0 && (sum_cpus || stats[i].cpu == -1))
            v = (v < 0 ? 0 : v) + (long long)stats[i].value;
    return v;
}

static struct {
    int target, nspinners, nonline; /* nonline: CPUs online at the start */
    uint64_t deadline;
    volatile int arrived, lost, anchored, stop_anchors;
    volatile int ran_on[MAX_CPUS]; /* after they were let go */
} g;

static int online_cpus(void) {
    int n = 0;
    for (int i = 0; i < ncpus; i++)
        n += cpus[i].online;
    return n;
}

static int cpus_used(void) {
    int n = 0;
    for (int i = 0; i < ncpus; i++)
        n += __atomic_load_n(&g.ran_on[i], __ATOMIC_RELAXED) != 0;
    return n;
}

static void gather_then_spin(void *arg) {
    (void)arg;
    if (proc_set_affinity(0, g.target) != 0 || cpu_id() != g.target) {
        __atomic_add_fetch(&g.lost, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&g.arrived, 1, __ATOMIC_SEQ_CST);
        return;
    }
    /* All of them in the target's queue, each having run there, before
     * any may move: pinned, no balancer takes them. */
    __atomic_add_fetch(&g.arrived, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&g.arrived, __ATOMIC_SEQ_CST) < g.nspinners && uptime_ns() < g.deadline)
        yield();
    proc_set_affinity(0, -1); /* free to move; its home stays the target */
    while (cpus_used() < g.nonline && uptime_ns() < g.deadline) {
        __atomic_store_n(&g.ran_on[cpu_id()], 1, __ATOMIC_RELAXED);
        arch_cpu_relax();
    }
    __atomic_store_n(&g.ran_on[cpu_id()], 1, __ATOMIC_RELAXED);
}

static int last_online_cpu(void) {
    int last = 0;
    for (int i = 0; i < ncpus; i++)
        if (cpus[i].online)
            last = i;
    return last;
}

/* Start the spinners, wait for them all; they share g. */
static bool run_spinners(int n, void (*fn)(void *)) {
    int pids[MAX_PROCS / 2], st;
    for (int i = 0; i < n; i++) {
        struct proc *p = kthread_create("gather", fn, NULL, DEFAULT_PRIO);
        if (!p)
            return false;
        pids[i] = p->pid;
    }
    bool ok = true;
    for (int i = 0; i < n; i++)
        if (proc_wait_kernel(pids[i], &st) != pids[i] || st != ABI_W_EXITED(0))
            ok = false;
    return ok;
}

/* A CPU that stops during a test (cpufail: a failure, or a false alarm
 * on a host too busy to run the virtual CPU) takes its spinners with it
 * and leaves fewer CPUs to share the rest: the test then shows nothing. */
static bool cpu_lost(void) { return online_cpus() != g.nonline; }

static bool fine_percpu(void) {
    return strcmp(model->name, "fine") == 0 && stat_sum("fine.sched_percpu", false) == 1;
}

KTEST(lab_balance, idle_cpus_pull_waiting_work) {
    if (!fine_percpu())
        KT_SKIP("the idle pull is fine's, with per-CPU queues (model=fine sched=percpu)");
    if (online_cpus() < 2)
        KT_SKIP("needs 2 CPUs");
    if (boot_options.balance_ms < 5000)
        KT_SKIP("needs balance=10000 (balance=%u): a short period lets the periodic pass do the pull's work",
                boot_options.balance_ms);
    for (int attempt = 1; attempt <= 2; attempt++) {
        memset((void *)&g, 0, sizeof g);
        g.target = last_online_cpu(); /* a pull to any other CPU moves a process down in CPU order */
        g.nonline = online_cpus();
        g.nspinners = MIN(2 * g.nonline, MAX_PROCS / 2);
        g.deadline = uptime_ns() + ATTEMPT_NS;
        long long pulls = stat_sum("fine.pulls", true), passes = stat_sum("fine.passes", false);
        bool ran = run_spinners(g.nspinners, gather_then_spin);
        if (cpu_lost())
            KT_FAIL("%d of %d CPUs went offline during the test (cpufail, above): no verdict",
                    g.nonline - online_cpus(), g.nonline);
        KT_ASSERT(ran);
        KT_ASSERT_EQ(g.lost, 0);
        pulls = stat_sum("fine.pulls", true) - pulls;
        passes = stat_sum("fine.passes", false) - passes;
        int used = cpus_used();
        printk(LOG_INFO,
               "ktest:   attempt %d: %d spinners gathered on CPU %d, then ran on %d of %d CPUs; %lld pulls, %lld "
               "periodic passes meanwhile\n",
               attempt, g.nspinners, g.target, used, g.nonline, pulls, passes);
        if (used < g.nonline)
            KT_FAIL("%d of %d CPUs stayed idle for %llu s while spinners waited on CPU %d: no idle CPU pulled one",
                    g.nonline - used, g.nonline, ATTEMPT_NS / 1000000000ULL, g.target);
        if (pulls >= g.nonline - 1)
            return; /* every idle CPU pulled its work */
        if (passes == 0)
            KT_FAIL("the spinners spread, but with %lld pulls for %d idle CPUs and no periodic pass: fine.pulls "
                    "must count each pull", pulls, g.nonline - 1);
        /* a periodic pass spread them first: once more */
    }
    KT_FAIL("the spinners spread only at a periodic pass, twice: the idle CPUs did not pull");
}

/* Pinned to one CPU other than the target, it keeps that CPU busy: never
 * idle, so that CPU never pulls. */
static void anchor(void *arg) {
    int cpu = (int)(uintptr_t)arg;
    if (proc_set_affinity(0, cpu) != 0 || cpu_id() != cpu) {
        __atomic_add_fetch(&g.lost, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&g.anchored, 1, __ATOMIC_SEQ_CST);
        return;
    }
    __atomic_add_fetch(&g.anchored, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&g.stop_anchors, __ATOMIC_SEQ_CST) && uptime_ns() < g.deadline + ATTEMPT_NS)
        arch_cpu_relax();
}

KTEST(lab_balance, periodic_pass_evens_out_loads) {
    if (!fine_percpu())
        KT_SKIP("the periodic pass is fine's, with per-CPU queues (model=fine sched=percpu)");
    if (online_cpus() < 2)
        KT_SKIP("needs 2 CPUs");
    if (boot_options.balance_ms > 1000)
        KT_SKIP("needs a period of 1 s or less (balance=%u)", boot_options.balance_ms);
    memset((void *)&g, 0, sizeof g);
    g.target = last_online_cpu();
    g.nonline = online_cpus();
    g.nspinners = MIN(2 * g.nonline, MAX_PROCS / 4);
    g.deadline = uptime_ns() + ATTEMPT_NS;
    int anchors[MAX_CPUS], nanchors = 0, st;
    for (int i = 0; i < ncpus; i++) {
        if (!cpus[i].online || i == g.target)
            continue;
        struct proc *p = kthread_create("anchor", anchor, (void *)(uintptr_t)i, DEFAULT_PRIO);
        KT_ASSERT(p);
        anchors[nanchors++] = p->pid;
    }
    while (__atomic_load_n(&g.anchored, __ATOMIC_SEQ_CST) < nanchors && uptime_ns() < g.deadline)
        sleep_ms(1);
    long long pulls = stat_sum("fine.pulls", true), passes = stat_sum("fine.passes", false);
    long long moved = stat_sum("fine.migrations", true);
    bool ran = run_spinners(g.nspinners, gather_then_spin);
    __atomic_store_n(&g.stop_anchors, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < nanchors; i++)
        KT_ASSERT_EQ(proc_wait_kernel(anchors[i], &st), anchors[i]);
    if (cpu_lost())
        KT_FAIL("%d of %d CPUs went offline during the test (cpufail, above): no verdict", g.nonline - online_cpus(),
                g.nonline);
    KT_ASSERT(ran);
    KT_ASSERT_EQ(g.lost, 0);
    int used = cpus_used();
    printk(LOG_INFO,
           "ktest:   %d spinners gathered on CPU %d, %d anchors elsewhere; the spinners then ran on %d of %d CPUs; "
           "%lld migrations, %lld pulls, %lld periodic passes meanwhile\n",
           g.nspinners, g.target, nanchors, used, g.nonline, stat_sum("fine.migrations", true) - moved,
           stat_sum("fine.pulls", true) - pulls, stat_sum("fine.passes", false) - passes);
    if (used < g.nonline)
        KT_FAIL("in %llu s, %d CPUs busy with one anchor each got none of the %d spinners waiting on CPU %d: "
                "no periodic pass moved one",
                ATTEMPT_NS / 1000000000ULL, g.nonline - used, g.nspinners - 1, g.target);
}
