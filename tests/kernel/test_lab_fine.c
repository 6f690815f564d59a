/*
 * Lab 6, fine (docs/labs/6-fine.md): every operation on the ready queues
 * takes the lock of the queue it changes. Counted with the locks' own
 * counters, which fine publishes through model->stats() (what `cpus`
 * prints): under sched=global each enqueue, pick and dequeue takes Lrq,
 * and a pick that finds a process takes Lawt as well; under sched=percpu
 * each takes the queue lock of the CPU whose queue it changes, on every
 * CPU. Other CPUs' work can only add to a lock's count, so a count below
 * the number of operations made here is an operation that took no lock
 * (or another queue's). Skipped under the other organisations.
 */
#include "kernel/ktest.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/proc.h"
#include "kernel/time.h"
#include "lib/string.h"

#define ROUNDS 64

static struct abi_model_stat stats[ABI_MAX_MODEL_STATS];

/* A counter of the organisation, or -1 when it has none of that name. */
static long long stat_of(const char *name, int cpu) {
    int n = model->stats(stats, ABI_MAX_MODEL_STATS);
    for (int i = 0; i < n; i++)
        if (stats[i].cpu == cpu && strcmp(stats[i].name, name) == 0)
            return (long long)stats[i].value;
    return -1;
}

static bool global_layout(void) { return stat_of("fine.sched_global", -1) == 1; }

/* What one exercise did and saw. */
struct exercise {
    int cpu;
    int enqueues, dequeues, picks, found; /* operations made */
    int dequeued, got_dummy;              /* their results */
    long long before[2], after[2];        /* global: Lrq, Lawt; percpu: this CPU's queue lock */
    bool no_slot;
};

static void read_counts(long long out[2], int cpu) {
    if (global_layout()) {
        out[0] = stat_of("Lrq.acq", -1);
        out[1] = stat_of("Lawt.acq", -1);
    } else {
        out[0] = stat_of("rq.acq", cpu);
        out[1] = 0;
    }
}

/* On this CPU, with interrupts off and the process table locked (as the
 * test sched.priority_order_and_round_robin does): a dummy kernel thread
 * in a free slot, pinned here, goes through the queues ROUNDS times,
 * enqueued and then picked or dequeued again. Real processes that a pick
 * returns meanwhile go back on a queue at the end. */
static void exercise_here(struct exercise *e) {
    struct proc *procs = this_os()->procs, *d = NULL, *others[MAX_PROCS];
    int nothers = 0;
    push_off();
    model->sched_lock();
    proc_table_lock();
    e->cpu = cpu_id();
    for (int i = 0; i < MAX_PROCS && !d; i++)
        if (procs[i].state == P_UNUSED)
            d = &procs[i];
    if (!d) {
        e->no_slot = true;
        goto out;
    }
    memset((char *)d + sizeof d->lock, 0, sizeof *d - sizeof d->lock); /* its lock stays */
    d->is_kthread = true;
    d->affinity = e->cpu;
    d->cpu = e->cpu;
    d->prio = DEFAULT_PRIO;
    list_init(&d->rq);
    read_counts(e->before, e->cpu);
    for (int round = 0; round < ROUNDS; round++) {
        proc_lock(d);
        d->state = P_RUNNABLE;
        model->enqueue(d);
        proc_unlock(d);
        e->enqueues++;
        if (round % 2) {
            proc_lock(d);
            e->dequeued += model->dequeue(d);
            proc_unlock(d);
            e->dequeues++;
            continue;
        }
        for (;;) {
            struct proc *p = model->pick_next();
            e->picks++;
            if (!p)
                break;
            e->found++;
            if (p == d) {
                e->got_dummy++;
                break;
            }
            if (nothers < MAX_PROCS)
                others[nothers++] = p;
        }
    }
    read_counts(e->after, e->cpu);
    d->state = P_UNUSED;
out:
    for (int i = 0; i < nothers; i++) { /* real processes that were waiting go back */
        proc_lock(others[i]);
        make_runnable(others[i]);
        proc_unlock(others[i]);
    }
    proc_table_unlock();
    model->sched_unlock();
    pop_off();
}

/* A kernel thread that moves to its CPU and exercises the queues there. */
static void exercise_on(void *arg) {
    struct exercise *e = arg;
    if (proc_set_affinity(0, e->cpu) != 0 || cpu_id() != e->cpu) {
        e->cpu = -1;
        return;
    }
    exercise_here(e);
    proc_set_affinity(0, -1);
}

static void report(const struct exercise *e, bool global) {
    printk(LOG_INFO, "ktest:   CPU %d: %d enqueues, %d dequeues, %d picks (%d found a process)\n", e->cpu, e->enqueues,
           e->dequeues, e->picks, e->found);
    if (global)
        printk(LOG_INFO, "ktest:   meanwhile Lrq was taken %lld times, Lawt %lld times (by every CPU)\n",
               e->after[0] - e->before[0], e->after[1] - e->before[1]);
    else
        printk(LOG_INFO, "ktest:   meanwhile CPU %d's queue lock was taken %lld times (by every CPU)\n", e->cpu,
               e->after[0] - e->before[0]);
}

KTEST(lab_fine, queue_operations_take_their_locks) {
    if (strcmp(model->name, "fine") != 0)
        KT_SKIP("the ready queues' locks are fine's (model=fine)");
    bool global = global_layout();
    static struct exercise ex[MAX_CPUS];
    int n = global ? 1 : ncpus;
    for (int i = 0; i < n; i++) {
        memset(&ex[i], 0, sizeof ex[i]);
        ex[i].cpu = global ? cpu_id() : i;
    }
    if (global) {
        exercise_here(&ex[0]); /* one set of queues: any CPU will do */
    } else {
        for (int i = 0; i < n; i++) { /* one after the other, each on its CPU */
            if (!cpus[i].online)
                continue;
            struct proc *t = kthread_create("queue exercise", exercise_on, &ex[i], DEFAULT_PRIO);
            KT_ASSERT(t);
            int pid = t->pid, st;
            KT_ASSERT_EQ(proc_wait_kernel(pid, &st), pid);
        }
    }
    for (int i = 0; i < n; i++) {
        const struct exercise *e = &ex[i];
        if (!global && !cpus[i].online)
            continue;
        if (!global)
            KT_ASSERT_EQ(e->cpu, i); /* the thread reached its CPU */
        KT_ASSERT(!e->no_slot);
        report(e, global);
        KT_ASSERT_EQ(e->got_dummy, ROUNDS / 2); /* every pick round found the dummy */
        KT_ASSERT_EQ(e->dequeued, ROUNDS / 2);  /* every dequeue found it queued */
        long long ops = e->enqueues + e->dequeues + e->picks, took = e->after[0] - e->before[0];
        if (took < ops)
            KT_FAIL("%s taken %lld times for %lld queue operations on CPU %d: some enqueue, pick or dequeue "
                    "changed a queue without its lock", global ? "Lrq" : "the CPU's queue lock", took, ops, e->cpu);
        if (global && e->after[1] - e->before[1] < e->found)
            KT_FAIL("Lawt taken %lld times for %d picks that wrote the AWT: a pick wrote it without Lawt",
                    e->after[1] - e->before[1], e->found);
    }
}
