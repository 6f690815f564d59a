/*
 * In-kernel tests of the big kernel lock (lab bkl, docs/labs/3-bkl.md):
 * while one CPU holds it, at any depth, no other CPU gets in; and a thread
 * that holds it keeps its hold when it moves to another CPU. Only the bkl
 * organisation has such a lock; under the others the tests skip.
 */
#include "kernel/ktest.h"
#include "kernel/model.h"
#include "kernel/proc.h"
#include "kernel/time.h"
#include "lib/string.h"

/* Bounds a hang (a CPU that never runs), never a verdict. */
#define DEADLINE_NS (60ULL * 1000000000ULL)

static bool big_lock_here(void) { return strcmp(model->name, "bkl") == 0; }

/* Two threads per CPU; a fixed number of acquisitions in all, few enough
 * that hand-overs between more virtual CPUs than host cores stay quick. */
static int contenders(void) { return 2 * ncpus; }
static int rounds(void) { return 240 / contenders(); }

static volatile int inside, overlaps, started, took_on[MAX_CPUS];
static uint64_t deadline;

/* One look from inside the lock: this CPU must be the only one here, for
 * a while (the pause gives a CPU that wrongly walks in time to show). */
static void alone_inside(void) {
    __atomic_add_fetch(&took_on[cpu_id()], 1, __ATOMIC_RELAXED); /* interrupts are off: this CPU */
    if (__atomic_add_fetch(&inside, 1, __ATOMIC_SEQ_CST) != 1)
        __atomic_add_fetch(&overlaps, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 64; i++)
        arch_cpu_relax();
    if (__atomic_load_n(&inside, __ATOMIC_SEQ_CST) != 1)
        __atomic_add_fetch(&overlaps, 1, __ATOMIC_SEQ_CST);
    __atomic_sub_fetch(&inside, 1, __ATOMIC_SEQ_CST);
}

static void contender(void *arg) {
    (void)arg;
    /* Start together, so that every CPU wants the lock at once. */
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < contenders() && uptime_ns() < deadline)
        arch_cpu_relax();
    for (int r = 0; r < rounds(); r++) {
        model->sched_lock();
        alone_inside();
        model->sched_lock(); /* twice on this CPU, as a system call that sleeps */
        alone_inside();
        model->sched_unlock(); /* once: still held */
        alone_inside();
        model->sched_unlock();
    }
}

KTEST(bkl, one_cpu_inside_at_a_time) {
    if (!big_lock_here() || ncpus < 2)
        KT_SKIP("needs the bkl organisation and 2 CPUs (%s, %d CPUs)", model->name, ncpus);
    inside = overlaps = started = 0;
    for (int i = 0; i < ncpus; i++)
        took_on[i] = 0;
    deadline = uptime_ns() + DEADLINE_NS;
    int n = contenders(), pids[2 * MAX_CPUS];
    for (int i = 0; i < n; i++) {
        struct proc *p = kthread_create("contender", contender, NULL, DEFAULT_PRIO);
        KT_ASSERT(p);
        pids[i] = p->pid;
    }
    for (int i = 0; i < n; i++) {
        int status = -1;
        KT_ASSERT_EQ(proc_wait_kernel(pids[i], &status), pids[i]);
        KT_ASSERT_EQ(status, ABI_W_EXITED(0));
    }
    int cpus_used = 0;
    for (int i = 0; i < ncpus; i++)
        cpus_used += took_on[i] > 0;
    printk(LOG_INFO, "ktest:   %d threads x %d rounds on %d CPUs: %d times another CPU was inside too\n", n, rounds(),
           cpus_used, overlaps);
    KT_ASSERT_EQ(overlaps, 0);
    KT_ASSERT(cpus_used >= 2); /* else nothing was shown: the threads never met */
}

/* A thread that holds the lock twice moves to another CPU while it holds
 * it (setaffinity yields inside): the switch hands the hold to the CPU it
 * leaves, and the CPU it arrives on hands it back, as deep as it was. */
KTEST(bkl, a_hold_moves_with_its_thread) {
    if (!big_lock_here() || ncpus < 2)
        KT_SKIP("needs the bkl organisation and 2 CPUs (%s, %d CPUs)", model->name, ncpus);
    model->sched_lock();
    model->sched_lock();
    int from = cpu_id(), to = (from + 1) % ncpus;
    int r = proc_set_affinity(0, to);
    int now = cpu_id();
    bool held2 = model->sched_locked();
    model->sched_unlock();
    bool held1 = model->sched_locked();
    model->sched_unlock();
    bool held0 = model->sched_locked();
    proc_set_affinity(0, -1);
    KT_ASSERT_EQ(r, 0);
    KT_ASSERT_EQ(now, to);
    KT_ASSERT(held2);
    KT_ASSERT(held1);
    KT_ASSERT(!held0);
}
