/*
 * fine: no big lock. Any number of CPUs run kernel code at once; the kernel
 * is split into independent critical regions, and every table that more
 * than one region uses has a mutex of its own (the process table, each
 * process, the ready queues, the open-file table and each open file, each
 * address space, the heap's size classes, the frame allocator and its
 * per-CPU caches, the kernel page tables, the console). A region takes the
 * locks of the tables it touches in increasing rank (kernel/lockrank.h),
 * so that no two CPUs can wait for each other. Those locks are in the
 * shared code; this file holds what is fine's own: the ready queues.
 *
 * Two layouts (sched=):
 *  - global: the texts' Figure 10.4. One set of priority ready queues
 *    under the lock Lrq, and the assigned workload table (AWT: which
 *    process each CPU runs) under Lawt, always taken Lrq then Lawt. Every
 *    CPU takes both on every switch: the counters show the contention.
 *  - percpu (default): each CPU has its own priority queues and its own
 *    AWT entry under its own lock, rarely contended; the price is load
 *    balancing: an idle CPU pulls work from the busiest one, a periodic
 *    pass (balance=, ms) evens out the queues, and a new process goes to
 *    the least loaded CPU. Two queue locks held together (a migration)
 *    are taken in CPU order, the tie-break for locks of one rank.
 *
 * kernel_enter/kernel_exit take nothing: they only turn interrupts on for
 * the kernel code of a system call or fault, which holds no spinlock then
 * (every spinlock turns them off while held).
 */
#include "kernel/model.h"
#include "kernel/cpufail.h"
#include "kernel/options.h"
#include "kernel/os.h"
#include "kernel/proc.h"
#include "kernel/trace.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
#include "lib/string.h"

enum layout { GLOBAL, PERCPU };
static enum layout layout = PERCPU;

/* One CPU's share of the AWT: the process assigned to it. */
struct awt_entry {
    struct proc *assigned;
};

/* A set of priority ready queues. `nready` and `npinned` (processes that
 * may run only here) are written under `lock` and read without it. */
struct runqueue {
    struct spinlock lock;
    struct list_node ready[NPRIO];
    int nready, npinned;
    struct awt_entry awt;       /* percpu: this CPU's AWT entry, under `lock` */
    uint64_t migrations_in;     /* processes moved here from another CPU */
    uint64_t pulls;             /* of which this CPU pulled while idle */
} __attribute__((aligned(64)));

/* global: Lrq over `all`, Lawt over awt[]. */
static struct runqueue all;
static struct spinlock lawt = SPINLOCK_INIT("Lawt", RANK_AWT);
static struct awt_entry awt[MAX_CPUS];
static int ready_pinned[MAX_CPUS]; /* global: under Lrq, processes pinned to each CPU */

/* percpu: one runqueue per CPU, in an array so that address order is CPU
 * order (the tie-break of two queue locks). */
static struct runqueue rq[MAX_CPUS];

/* The balancer's clock and the watch on "no CPU idle while another has
 * work waiting". Written by the one CPU that wins the period (CAS). */
static uint64_t period_ns, next_pass_ns;
static uint64_t passes, violations, idle_since_ns;

static void rq_init(struct runqueue *q, const char *name) {
    spin_init(&q->lock, name, RANK_RUNQUEUE);
    for (int i = 0; i < NPRIO; i++)
        list_init(&q->ready[i]);
}

static void fine_init(void) {
    layout = strcmp(boot_options.sched, "global") == 0 ? GLOBAL : PERCPU;
    rq_init(&all, "Lrq");
    for (int i = 0; i < MAX_CPUS; i++)
        rq_init(&rq[i], "cpu ready queue");
    period_ns = (uint64_t)boot_options.balance_ms * 1000000ULL;
    pr_info("fine: sched=%s%s\n", layout == GLOBAL ? "global (Lrq, Lawt)" : "percpu",
            layout == PERCPU ? ", load balancer on" : "");
}

/* ---- entering the kernel: no lock ---- */

static void fine_kernel_enter(void) { arch_irq_enable(); } /* no spinlock held: the timer and IPIs may come */
static void fine_kernel_exit(void) { arch_irq_disable(); }  /* the way back to user mode runs with them off */

static long fine_syscall(struct trap_frame *f) { return syscall_run(f); } /* right here, in parallel */

/* No lock over all the queues: each queue operation takes its own. */
static void fine_sched_lock(void) {}
static void fine_sched_unlock(void) {}
static bool fine_sched_locked(void) { return true; }
static long fine_switch_save(void) { return 0; }
static void fine_switch_restore(long saved) { (void)saved; }

/* ---- one set of queues (used by both layouts) ---- */

static void queue_add(struct runqueue *q, struct proc *p) {
    list_push_back(&q->ready[p->prio], &p->rq);
    __atomic_store_n(&q->nready, q->nready + 1, __ATOMIC_SEQ_CST);
    if (p->affinity >= 0)
        __atomic_store_n(&q->npinned, q->npinned + 1, __ATOMIC_RELAXED);
}

static void queue_remove(struct runqueue *q, struct proc *p) {
    list_remove(&p->rq);
    __atomic_store_n(&q->nready, q->nready - 1, __ATOMIC_SEQ_CST);
    if (p->affinity >= 0)
        __atomic_store_n(&q->npinned, q->npinned - 1, __ATOMIC_RELAXED);
}

/* The first process in priority order (0 first, round robin within) that
 * may run on `cpu`. */
static struct proc *queue_first(struct runqueue *q, int cpu) {
    for (int prio = 0; prio < NPRIO; prio++)
        list_for_each(n, &q->ready[prio]) {
            struct proc *p = list_entry(n, struct proc, rq);
            if (proc_may_run_on(p, cpu))
                return p;
        }
    return NULL;
}

/* ---- percpu: placement, stealing, balancing ---- */

static int load_of(int cpu) {
    return __atomic_load_n(&rq[cpu].nready, __ATOMIC_SEQ_CST) +
           (__atomic_load_n(&rq[cpu].awt.assigned, __ATOMIC_RELAXED) != NULL);
}

static int least_loaded_cpu(void) {
    int best = cpu_id(), best_load = load_of(best);
    for (int i = 0; i < ncpus; i++)
        if (cpus[i].online && load_of(i) < best_load) {
            best = i;
            best_load = load_of(i);
        }
    return best;
}

/* Pinned: its CPU. New (never ran): the least loaded CPU. Otherwise the
 * CPU it last ran on, whose caches still hold it; the balancer moves it
 * if that CPU is busy. */
static int home_cpu(const struct proc *p) {
    if (p->affinity >= 0)
        return p->affinity;
    if (p->last_switch_in == 0 || !cpus[p->cpu].online) /* new, or its CPU has failed */
        return least_loaded_cpu();
    return p->cpu;
}

/* Two queue locks at once: lower CPU number first (lockrank.h's tie-break). */
static void lock_pair(int a, int b) {
    spin_lock(&rq[MIN(a, b)].lock);
    spin_lock(&rq[MAX(a, b)].lock);
}

static void unlock_pair(int a, int b) {
    spin_unlock(&rq[MAX(a, b)].lock);
    spin_unlock(&rq[MIN(a, b)].lock);
}

/* Move the highest-priority process of `from` that may run on `to`, so
 * that a migration never leaves the more urgent work behind. Both locks
 * held. A process whose last CPU is still on its stack can be moved: the
 * CPU that runs it takes its p->lock first and waits. */
static bool migrate_one(int from, int to) {
    struct proc *p = queue_first(&rq[from], to);
    if (!p)
        return false;
    queue_remove(&rq[from], p);
    p->rq_cpu = to;
    queue_add(&rq[to], p);
    rq[to].migrations_in++;
    trace(TR_MIGRATE, (uint32_t)p->pid);
    return true;
}

/* One migration by the balancer, both queues' locks included: what it
 * costs in cycles is one of the primitives `make bench` reports. */
static uint64_t migrate_cycles, timed_migrations;

static bool move_one(int from, int to) {
    /* LAB balance: BEGIN */
    uint64_t start = arch_cycles();
    lock_pair(from, to);
    bool moved = migrate_one(from, to);
    unlock_pair(from, to);
    if (moved) {
        __atomic_add_fetch(&migrate_cycles, arch_cycles() - start, __ATOMIC_RELAXED);
        __atomic_add_fetch(&timed_migrations, 1, __ATOMIC_RELAXED);
    }
    return moved;
    /* LAB balance: STUB
    // LAB balance: move one process from CPU from's queue to CPU to's
    // with migrate_one(), holding both queues' locks, taken in the order
    // the rank checker accepts for two locks of one rank (lock_pair()).
    // When one moved, add the cycles the whole move took, locks included
    // (arch_cycles() before and after), to migrate_cycles and count it in
    // timed_migrations: `make bench` reports their ratio. True when one
    // moved. As it stands nothing ever moves.
    (void)from;
    (void)to;
    return false;
       LAB balance: END */
}

/* An idle CPU pulls one process from the CPU with the most waiting. */
static bool pull_work(int me) {
    /* LAB balance: BEGIN */
    int busiest = -1, most = 0;
    for (int i = 0; i < ncpus; i++) {
        int movable = __atomic_load_n(&rq[i].nready, __ATOMIC_SEQ_CST) -
                      __atomic_load_n(&rq[i].npinned, __ATOMIC_RELAXED);
        if (i != me && movable > most && cpus[i].online) {
            busiest = i;
            most = movable;
        }
    }
    if (busiest < 0)
        return false;
    bool moved = move_one(busiest, me);
    if (moved)
        __atomic_add_fetch(&rq[me].pulls, 1, __ATOMIC_RELAXED);
    return moved;
    /* LAB balance: STUB
    // LAB balance: CPU me has nothing to run. Find the online CPU, other
    // than me, with the most processes waiting that could move here (its
    // nready less its npinned, read without its lock: a hint, move_one()
    // looks again under the locks) and move one of them here with
    // move_one(). Count each pull in rq[me].pulls (cpus shows fine.pulls).
    // True when one moved. As it stands an idle CPU only halts.
    (void)me;
    (void)move_one; // used nowhere else until you write the pass: -Werror
    return false;
       LAB balance: END */
}

/* The watch: some CPU has nothing at all while another has a process
 * waiting that could move. Every pass at which that state has lasted
 * longer than two balancing periods counts one violation, so the count
 * grows for as long as the balancer fails to end it. */
static void watch_idle_cpus(uint64_t now) {
    bool idle_cpu = false, work_waiting = false;
    for (int i = 0; i < ncpus; i++) {
        if (!cpus[i].online)
            continue; /* a failed CPU is not idle: it is gone */
        if (load_of(i) == 0)
            idle_cpu = true;
        if (__atomic_load_n(&rq[i].nready, __ATOMIC_SEQ_CST) > __atomic_load_n(&rq[i].npinned, __ATOMIC_RELAXED))
            work_waiting = true;
    }
    if (!(idle_cpu && work_waiting))
        idle_since_ns = 0;
    else if (!idle_since_ns)
        idle_since_ns = now;
    else if (now - idle_since_ns > 2 * period_ns)
        violations++;
}

/* The periodic pass, run by whichever CPU first finds the period over
 * (from its scheduler loop, busy or idle): moves processes from the most
 * to the least loaded CPU until all loads are within one. */
static void periodic_pass(void) {
    uint64_t now = uptime_ns(), due = __atomic_load_n(&next_pass_ns, __ATOMIC_RELAXED);
    if (now < due || !__atomic_compare_exchange_n(&next_pass_ns, &due, now + period_ns, false, __ATOMIC_ACQ_REL,
                                                  __ATOMIC_RELAXED))
        return;
    passes++;
    watch_idle_cpus(now);
    /* LAB balance: BEGIN */
    for (int moves = 0; moves < 2 * ncpus; moves++) {
        int most = cpu_id(), least = cpu_id();
        for (int i = 0; i < ncpus; i++) {
            if (!cpus[i].online) /* a failed CPU takes no work (cpu_failed emptied its queue) */
                continue;
            if (load_of(i) > load_of(most))
                most = i;
            if (load_of(i) < load_of(least))
                least = i;
        }
        if (load_of(most) - load_of(least) < 2)
            break;
        if (!move_one(most, least))
            break;
    }
    /* LAB balance: STUB
    // LAB balance: even out the loads (load_of(): waiting plus running).
    // Find the most and the least loaded online CPUs (a failed CPU takes
    // no work); while their loads differ by 2 or more, move one process
    // from the first to the second with move_one(), and look again. Stop
    // when a move fails (only pinned processes left there), and after
    // 2 * ncpus moves at most, so that one pass stays short. As it stands
    // the pass only keeps the clock and the watch.
       LAB balance: END */
}

/* ---- the model operations ---- */

static void fine_enqueue(struct proc *p) {
    /* LAB fine: BEGIN */
    if (layout == GLOBAL) {
        spin_lock(&all.lock); /* Lrq */
        queue_add(&all, p);
        if (p->affinity >= 0)
            __atomic_store_n(&ready_pinned[p->affinity], ready_pinned[p->affinity] + 1, __ATOMIC_SEQ_CST);
        spin_unlock(&all.lock);
        return;
    }
    int cpu = home_cpu(p);
    spin_lock(&rq[cpu].lock);
    p->rq_cpu = cpu;
    queue_add(&rq[cpu], p);
    spin_unlock(&rq[cpu].lock);
    /* LAB fine: STUB
    // LAB fine: p joins a ready queue, which other CPUs read and change at
    // the same time: hold that queue's lock while it changes. sched=global:
    // Lrq (all.lock), which also guards ready_pinned[]. sched=percpu: the
    // lock of the queue of the CPU home_cpu() chose; p->rq_cpu, which says
    // where p waits, is written under that lock too. As it stands no lock
    // is taken, which is right on one CPU only.
    if (layout == GLOBAL) {
        queue_add(&all, p);
        if (p->affinity >= 0)
            __atomic_store_n(&ready_pinned[p->affinity], ready_pinned[p->affinity] + 1, __ATOMIC_SEQ_CST);
        return;
    }
    int cpu = home_cpu(p);
    p->rq_cpu = cpu;
    queue_add(&rq[cpu], p);
       LAB fine: END */
}

static struct proc *fine_pick_next(void) {
    /* LAB fine: BEGIN */
    int me = cpu_id();
    struct proc *p;
    if (layout == GLOBAL) {
        spin_lock(&all.lock); /* Lrq, then Lawt: the one order */
        p = queue_first(&all, me);
        if (p) {
            queue_remove(&all, p);
            if (p->affinity >= 0)
                __atomic_store_n(&ready_pinned[p->affinity], ready_pinned[p->affinity] - 1, __ATOMIC_SEQ_CST);
            spin_lock(&lawt);
            awt[me].assigned = p;
            spin_unlock(&lawt);
        }
        spin_unlock(&all.lock);
        return p;
    }
    periodic_pass();
    struct runqueue *q = &rq[me];
    spin_lock(&q->lock);
    p = queue_first(q, me);
    if (p) {
        queue_remove(q, p);
        __atomic_store_n(&q->awt.assigned, p, __ATOMIC_RELAXED);
    }
    spin_unlock(&q->lock);
    return p;
    /* LAB fine: STUB
    // LAB fine: part 1: boot with sched=global and read what the rank
    // checker says about this function; fix it and say why (handout).
    int me = cpu_id();
    struct proc *p;
    if (layout == GLOBAL) {
        spin_lock(&lawt); // this CPU's entry in the AWT is written below
        spin_lock(&all.lock); // Lrq, grabbed here, where the queues are needed
        p = queue_first(&all, me);
        if (p) {
            queue_remove(&all, p);
            if (p->affinity >= 0)
                __atomic_store_n(&ready_pinned[p->affinity], ready_pinned[p->affinity] - 1, __ATOMIC_SEQ_CST);
        }
        spin_unlock(&all.lock);
        if (p)
            awt[me].assigned = p;
        spin_unlock(&lawt);
        return p;
    }
    periodic_pass();
    // LAB fine: part 2: this CPU's queues and its AWT entry (q->awt) are
    // under this CPU's queue lock: take the first process off the queue
    // and record it in the entry while holding it (fine_switched_out()
    // clears the entry under the same lock).
    struct runqueue *q = &rq[me];
    p = queue_first(q, me);
    if (p) {
        queue_remove(q, p);
        __atomic_store_n(&q->awt.assigned, p, __ATOMIC_RELAXED);
    }
    return p;
       LAB fine: END */
}

static bool fine_dequeue(struct proc *p) {
    /* LAB fine: BEGIN */
    struct runqueue *q = layout == GLOBAL ? &all : &rq[p->rq_cpu];
    spin_lock(&q->lock);
    /* percpu: the balancer moves a waiting process holding both queues'
     * locks but not p->lock, so p may have left q while this CPU waited
     * for q's lock. Look again: a move away from q needs q's lock, and
     * enqueue needs p->lock, which the caller holds, so once p->rq_cpu
     * names the queue whose lock is held it stays so. */
    while (layout == PERCPU && q != &rq[p->rq_cpu]) {
        spin_unlock(&q->lock);
        q = &rq[p->rq_cpu];
        spin_lock(&q->lock);
    }
    bool queued = !list_empty(&p->rq); /* a removed node is self-linked */
    if (queued) {
        queue_remove(q, p);
        if (layout == GLOBAL && p->affinity >= 0)
            __atomic_store_n(&ready_pinned[p->affinity], ready_pinned[p->affinity] - 1, __ATOMIC_SEQ_CST);
    }
    spin_unlock(&q->lock);
    return queued;
    /* LAB fine: STUB
    // LAB fine: part 2: look and unlink under the lock of the queue p waits
    // in (Lrq, or rq[p->rq_cpu]). Under sched=percpu mind who else may
    // change p->rq_cpu, and what they hold when they do: the caller holds
    // p->lock, the balancer does not take it. Once you hold a queue's
    // lock, is p still in that queue?
    struct runqueue *q = layout == GLOBAL ? &all : &rq[p->rq_cpu];
    bool queued = !list_empty(&p->rq); // a removed node is self-linked
    if (queued) {
        queue_remove(q, p);
        if (layout == GLOBAL && p->affinity >= 0)
            __atomic_store_n(&ready_pinned[p->affinity], ready_pinned[p->affinity] - 1, __ATOMIC_SEQ_CST);
    }
    return queued;
       LAB fine: END */
}

static int fine_ready_count(int cpu) {
    if (layout == GLOBAL)
        return __atomic_load_n(&all.nready, __ATOMIC_SEQ_CST) - __atomic_load_n(&all.npinned, __ATOMIC_RELAXED) +
               __atomic_load_n(&ready_pinned[cpu], __ATOMIC_SEQ_CST);
    return __atomic_load_n(&rq[cpu].nready, __ATOMIC_SEQ_CST);
}

static int any_idle_cpu(int except) {
    for (int i = 0; i < ncpus; i++)
        if (i != except && i != cpu_id() && cpus[i].online && __atomic_load_n(&cpus[i].idle, __ATOMIC_SEQ_CST))
            return i;
    return -1;
}

/* percpu: the CPU whose queue p joined, when it is halted; else, when p
 * could move, any halted CPU (it pulls p). global: as bkl, any halted
 * CPU, unless this CPU is about to look at the queue itself. */
static int fine_cpu_to_wake(struct proc *p) {
    struct proc *cur = current_proc();
    bool me_next = !cur || cur->state != P_RUNNING;
    if (layout == GLOBAL) {
        if (p->affinity >= 0)
            return __atomic_load_n(&cpus[p->affinity].idle, __ATOMIC_SEQ_CST) ? p->affinity : -1;
        return me_next ? -1 : any_idle_cpu(-1);
    }
    int home = p->rq_cpu;
    if (home != cpu_id() && cpus[home].online && __atomic_load_n(&cpus[home].idle, __ATOMIC_SEQ_CST))
        return home;
    if (p->affinity >= 0 || (home == cpu_id() && me_next))
        return -1;
    return any_idle_cpu(home);
}

/* p's stack is free: clear this CPU's AWT entry. */
static void fine_switched_out(struct proc *p) {
    (void)p;
    if (layout == GLOBAL) {
        spin_lock(&lawt);
        awt[cpu_id()].assigned = NULL;
        spin_unlock(&lawt);
    } else {
        struct runqueue *q = &rq[cpu_id()];
        spin_lock(&q->lock);
        __atomic_store_n(&q->awt.assigned, NULL, __ATOMIC_RELAXED);
        spin_unlock(&q->lock);
    }
}

/* percpu: before halting, run the balancer's clock and try to pull. */
static void fine_idle_wait(void) {
    if (layout == PERCPU) {
        periodic_pass();
        if (pull_work(cpu_id()))
            return;
    }
    arch_wait_for_interrupt();
}

static void fine_tick(void) {} /* the balancer runs from the scheduler loop, busy or idle */

/* Every CPU runs kernel code and user processes alike. */
static bool fine_runs_kernel(int cpu) {
    (void)cpu;
    return true;
}

static bool fine_runs_user(int cpu) {
    (void)cpu;
    return true;
}

static const char *fine_cpu_role(int cpu) {
    (void)cpu;
    return "cpu"; /* every CPU is alike */
}

static void put_lock_stats(struct abi_model_stat *out, int max, int *n, const char *prefix,
                           const struct spinlock *l, int cpu) {
    char name[20];
    const struct { const char *suffix; uint64_t value; } s[] = {
        {".acq", l->stats.acquisitions}, {".cont", l->stats.contended}, {".spin", l->stats.spin_cycles}};
    for (size_t i = 0; i < ARRAY_SIZE(s); i++) {
        size_t k = MIN(str_copy(name, prefix, sizeof name), sizeof name - 1);
        str_copy(name + k, s[i].suffix, sizeof name - k);
        *n = model_stat_put(out, *n, max, name, cpu, s[i].value);
    }
}

/* How often each CPU's caches in front of the heap's classes and the
 * frame pool spared it their locks (the caches are shared code; without a
 * big lock they are what keeps those locks cold). */
static void put_cache_stats(struct abi_model_stat *out, int max, int *n) {
    for (int i = 0; i < ncpus; i++) {
        *n = model_stat_put(out, *n, max, "heap.cache_hits", i, heap_caches[i].hits);
        *n = model_stat_put(out, *n, max, "heap.cache_misses", i, heap_caches[i].misses);
        *n = model_stat_put(out, *n, max, "frames.cache_hits", i, frame_caches[i].hits);
        *n = model_stat_put(out, *n, max, "frames.cache_misses", i, frame_caches[i].misses);
    }
}

/* The queue locks' counters (the contention the texts predict), the
 * balancer's migrations and its watch, the per-CPU caches. */
static int fine_stats(struct abi_model_stat *out, int max) {
    int n = 0;
    n = model_stat_put(out, n, max, layout == GLOBAL ? "fine.sched_global" : "fine.sched_percpu", -1, 1);
    if (layout == GLOBAL) {
        put_lock_stats(out, max, &n, "Lrq", &all.lock, -1);
        put_lock_stats(out, max, &n, "Lawt", &lawt, -1);
        put_cache_stats(out, max, &n);
        return n;
    }
    n = model_stat_put(out, n, max, "fine.balance_ms", -1, boot_options.balance_ms);
    n = model_stat_put(out, n, max, "fine.passes", -1, passes);
    n = model_stat_put(out, n, max, "fine.violations", -1, violations);
    n = model_stat_put(out, n, max, "fine.mig_cycles", -1, migrate_cycles);
    n = model_stat_put(out, n, max, "fine.mig_timed", -1, timed_migrations);
    for (int i = 0; i < ncpus; i++) {
        n = model_stat_put(out, n, max, "fine.migrations", i, rq[i].migrations_in);
        n = model_stat_put(out, n, max, "fine.pulls", i, rq[i].pulls);
        put_lock_stats(out, max, &n, "rq", &rq[i].lock, i);
    }
    put_cache_stats(out, max, &n);
    return n;
}

/* A CPU has failed. Holding a table's lock it leaves that table half
 * changed and locked for good: the kernel stops. Otherwise its process is
 * killed and, under percpu, the processes waiting in its queue move to the
 * least loaded live CPUs (the pinned ones were unpinned first), and its AWT
 * entry is cleared; under global the one queue has one taker fewer. */
static void fine_cpu_failed(int cpu) {
    cpu_fail_stop_if_locked(cpu);
    proc_lost_on_cpu(cpu);
    if (layout == GLOBAL) {
        spin_lock(&lawt);
        awt[cpu].assigned = NULL;
        spin_unlock(&lawt);
        return;
    }
    int moved = 0;
    for (;;) {
        int to = least_loaded_cpu(); /* online ones only */
        lock_pair(cpu, to);
        __atomic_store_n(&rq[cpu].awt.assigned, NULL, __ATOMIC_RELAXED);
        bool more = migrate_one(cpu, to);
        unlock_pair(cpu, to);
        if (!more)
            break;
        moved++;
        if (cpus[to].idle)
            arch_send_resched_ipi(to);
    }
    pr_info("fine: %d waiting process%s moved off failed CPU %d's queue\n", moved, moved == 1 ? "" : "es", cpu);
}

const struct model_ops model_fine = {
    .name = "fine",
    .init = fine_init,
    .kernel_enter = fine_kernel_enter,
    .kernel_exit = fine_kernel_exit,
    .syscall = fine_syscall,
    .sched_lock = fine_sched_lock,
    .sched_unlock = fine_sched_unlock,
    .sched_locked = fine_sched_locked,
    .switch_save = fine_switch_save,
    .switch_restore = fine_switch_restore,
    .enqueue = fine_enqueue,
    .pick_next = fine_pick_next,
    .dequeue = fine_dequeue,
    .ready_count = fine_ready_count,
    .cpu_to_wake = fine_cpu_to_wake,
    .switched_out = fine_switched_out,
    .idle_wait = fine_idle_wait,
    .tick = fine_tick,
    .cpu_role = fine_cpu_role,
    .runs_kernel = fine_runs_kernel,
    .runs_user = fine_runs_user,
    .stats = fine_stats,
    .cpu_failed = fine_cpu_failed,
};
