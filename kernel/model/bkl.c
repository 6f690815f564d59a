/*
 * bkl: any CPU runs the kernel, but only while holding the one big kernel
 * lock. A CPU takes it on every entry from user mode (system call,
 * exception, preemption) and drops it on the way out; the scheduler, the
 * interrupt handlers that wake processes and kernel threads take it first
 * on every scheduling path (sched_lock), and a process that sleeps in the
 * kernel keeps it only until the switch, when the next process on that CPU
 * inherits it. The tables' own locks (process table, one process, files,
 * address space, heap, frames) are taken inside it, never contended.
 * There is one OS instance and one set of priority ready queues, so load is
 * balanced for free; the price is that every CPU waits for the lock when two
 * want the kernel at once (the lock's contention counters show it).
 */
#include "kernel/model.h"
#include "kernel/cpufail.h"
#include "kernel/os.h"
#include "kernel/proc.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/syscall.h"
#include "lib/string.h"

static struct spinlock bkl = SPINLOCK_INIT("big kernel lock", RANK_BKL);

/* LAB bkl: BEGIN */
/* How many times each CPU holds the lock: the same CPU may enter the
 * kernel, then the scheduler. Only that CPU touches its entry, and only with
 * interrupts off. */
static int depth[MAX_CPUS];

/* Interrupts go off before the depth is looked at: an interrupt between
 * counting and taking would otherwise find the lock "held" (depth > 0)
 * while it is not, and change the ready queues unlocked. */
static void bkl_lock(void) {
    push_off();
    int *d = &depth[cpu_id()];
    if ((*d)++ == 0)
        spin_lock(&bkl); /* keeps interrupts off until the last unlock */
    else if (!spin_holding(&bkl))
        panic("bkl: CPU %d counts depth %d but does not hold the lock", cpu_id(), *d - 1);
    pop_off();
}

static void bkl_unlock(void) {
    int *d = &depth[cpu_id()];
    if (arch_irq_enabled())
        panic("bkl: unlock with interrupts enabled (depth %d)", *d);
    if (*d <= 0)
        panic("bkl: unlock without lock");
    if (--*d == 0)
        spin_unlock(&bkl);
}

static bool bkl_held(void) {
    push_off(); /* the depth is this CPU's: stay on it while reading */
    bool held = depth[cpu_id()] > 0 && spin_holding(&bkl);
    pop_off();
    return held;
}
/* LAB bkl: STUB
// LAB bkl: make `bkl` (above) the one lock that a CPU must hold to run
// kernel code, so that at most one CPU is inside the kernel at a time.
// It is recursive per CPU: a CPU that holds it may take it again (a system
// call that then enters the scheduler), so keep a depth per CPU and take
// the spinlock only on the first hold, release it only on the last.
// Turn interrupts off (push_off) before you look at the depth: an
// interrupt between the count and the spin_lock() would find the lock
// "held" when it is not. Catch misuse with a panic: a depth above zero
// without spin_holding(&bkl), an unlock at depth zero or with interrupts
// on. bkl_held() is true only when this CPU counts a hold AND really
// holds the spinlock. bkl_switch_save()/bkl_switch_restore() below hand
// the depth from a thread to its CPU's scheduler loop and back: read them.
// As it stands every CPU takes a lock of its own: right on one CPU, and
// no lock at all between two.
static int depth[MAX_CPUS];
static struct spinlock own_lock[MAX_CPUS] = {[0 ... MAX_CPUS - 1] = SPINLOCK_INIT("big kernel lock", RANK_BKL)};

static void bkl_lock(void) {
    push_off();
    int cpu = cpu_id();
    if (depth[cpu]++ == 0)
        spin_lock(&own_lock[cpu]);
    pop_off();
}

static void bkl_unlock(void) {
    int cpu = cpu_id();
    if (--depth[cpu] == 0)
        spin_unlock(&own_lock[cpu]);
}

static bool bkl_held(void) {
    push_off();
    bool held = depth[cpu_id()] > 0;
    pop_off();
    return held;
}
   LAB bkl: END */

/* The scheduler loop holds the lock once; a thread that switches away may
 * hold it deeper (kernel entry, then the scheduler) and gets that back. */
static long bkl_switch_save(void) {
    int *d = &depth[cpu_id()];
    long saved = *d;
    *d = 1;
    return saved;
}

static void bkl_switch_restore(long saved) { depth[cpu_id()] = (int)saved; }

static void bkl_init(void) {
    struct os_instance *os = this_os();
    for (int i = 0; i < NPRIO; i++)
        list_init(&os->ready[i]);
}

/* Ready processes that any CPU may take, and those pinned to one CPU
 * (setaffinity), so that an idle CPU does not spin on work it may not run.
 * Written under the lock, read without it. */
static int ready_anywhere, ready_pinned[MAX_CPUS];

static int *ready_counter(const struct proc *p) {
    return p->affinity < 0 ? &ready_anywhere : &ready_pinned[p->affinity];
}

static void count_ready(const struct proc *p, int delta) {
    int *n = ready_counter(p);
    __atomic_store_n(n, *n + delta, __ATOMIC_SEQ_CST);
}

/* Priority ready queues: highest priority (0) first, round robin within. */
static void bkl_enqueue(struct proc *p) {
    list_push_back(&this_os()->ready[p->prio], &p->rq);
    count_ready(p, +1);
}

/* The first process in priority order that may run here. */
static struct proc *bkl_pick_next(void) {
    struct os_instance *os = this_os();
    for (int prio = 0; prio < NPRIO; prio++)
        for (struct list_node *n = os->ready[prio].next; n != &os->ready[prio]; n = n->next) {
            struct proc *p = list_entry(n, struct proc, rq);
            if (!proc_may_run_on(p, cpu_id()))
                continue;
            list_remove(n);
            count_ready(p, -1);
            return p;
        }
    return NULL;
}

static bool bkl_dequeue(struct proc *p) {
    if (list_empty(&p->rq)) /* picked, not yet running: a removed node is self-linked */
        return false;
    list_remove(&p->rq);
    count_ready(p, -1);
    return true;
}

static int bkl_ready_count(int cpu) {
    return __atomic_load_n(&ready_anywhere, __ATOMIC_SEQ_CST) + __atomic_load_n(&ready_pinned[cpu], __ATOMIC_SEQ_CST);
}

/* Any CPU takes from the one queue, so an idle CPU is worth waking (a host
 * thread wake-up under emulation, and a bounce of the lock and the process
 * between caches) only when more processes are ready than CPUs are about to
 * look at the queue anyway: those in their scheduler loop and not halted,
 * and this one when its process is going to sleep or exit, or has just
 * forked p (it usually waits for the child next, as a shell does). */
static int bkl_cpu_to_wake(struct proc *p) {
    if (p->affinity >= 0) /* only that CPU will take it: wake it if it sleeps */
        return __atomic_load_n(&cpus[p->affinity].idle, __ATOMIC_SEQ_CST) ? p->affinity : -1;
    struct proc *cur = current_proc();
    int looking = (!cur || cur->state != P_RUNNING || p->parent == cur) ? 1 : 0;
    int idle_cpu = -1;
    for (int i = 0; i < ncpus; i++) {
        if (i == cpu_id() || !cpus[i].online) /* a failed CPU looks at nothing */
            continue;
        if (__atomic_load_n(&cpus[i].idle, __ATOMIC_SEQ_CST)) {
            if (idle_cpu < 0)
                idle_cpu = i;
        } else if (!__atomic_load_n(&cpus[i].current, __ATOMIC_RELAXED)) {
            looking++;
        }
    }
    return bkl_ready_count(cpu_id()) > looking ? idle_cpu : -1;
}

/* A system call runs right here, on the calling CPU, under the lock. */
static long bkl_syscall(struct trap_frame *f) { return syscall_run(f); }

static void bkl_switched_out(struct proc *p) { (void)p; } /* the lock already kept p here */

static void bkl_idle_wait(void) { arch_wait_for_interrupt(); } /* sti; hlt: a resched IPI or the timer ends it */

static void bkl_tick(void) {} /* time slices are all it needs (sched.c) */

static bool bkl_runs_kernel(int cpu) {
    (void)cpu;
    return true; /* any CPU, one at a time */
}

static bool bkl_runs_user(int cpu) {
    (void)cpu;
    return true;
}

static const char *bkl_cpu_role(int cpu) {
    (void)cpu;
    return "cpu"; /* every CPU is alike */
}

/* The big lock's own counters, as `locks` shows them. */
static int bkl_stats(struct abi_model_stat *out, int max) {
    const struct { const char *name; uint64_t value; } s[] = {
        {"bkl.acquired", bkl.stats.acquisitions},
        {"bkl.contended", bkl.stats.contended},
        {"bkl.spin_cycles", bkl.stats.spin_cycles},
        {"bkl.max_hold_cycles", bkl.stats.max_hold},
    };
    int n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(s); i++)
        n = model_stat_put(out, n, max, s[i].name, -1, s[i].value);
    return n;
}

/* A CPU has failed. Holding the big lock (or any lock inside it) it leaves
 * the kernel's tables half changed and the lock taken for good: the kernel
 * stops. Otherwise it was running user code, which only its own process
 * can miss: that process is killed, and the one ready queue, which every
 * CPU takes from, simply has one taker fewer. */
static void bkl_cpu_failed(int cpu) {
    cpu_fail_stop_if_locked(cpu);
    proc_lost_on_cpu(cpu);
}

const struct model_ops model_bkl = {
    .name = "bkl",
    .init = bkl_init,
    .kernel_enter = bkl_lock,
    .kernel_exit = bkl_unlock,
    .syscall = bkl_syscall,
    .sched_lock = bkl_lock,
    .sched_unlock = bkl_unlock,
    .sched_locked = bkl_held,
    .switch_save = bkl_switch_save,
    .switch_restore = bkl_switch_restore,
    .enqueue = bkl_enqueue,
    .pick_next = bkl_pick_next,
    .dequeue = bkl_dequeue,
    .ready_count = bkl_ready_count,
    .cpu_to_wake = bkl_cpu_to_wake,
    .switched_out = bkl_switched_out,
    .idle_wait = bkl_idle_wait,
    .tick = bkl_tick,
    .cpu_role = bkl_cpu_role,
    .runs_kernel = bkl_runs_kernel,
    .runs_user = bkl_runs_user,
    .stats = bkl_stats,
    .cpu_failed = bkl_cpu_failed,
};
