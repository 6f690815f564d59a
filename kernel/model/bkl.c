/*
 * bkl: any CPU runs the kernel, but only while holding the one big kernel
 * lock. A CPU takes it on every entry from user mode (system call,
 * exception, preemption) and drops it on the way out; the scheduler takes it
 * to look at the ready queues, and a process that sleeps in the kernel keeps
 * it only until the switch, when the next process on that CPU inherits it.
 * There is one OS instance and one set of priority ready queues, so load is
 * balanced for free; the price is that every CPU waits for the lock when two
 * want the kernel at once (the lock's contention counters show it).
 */
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/proc.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/syscall.h"

static struct spinlock bkl = SPINLOCK_INIT("big kernel lock", RANK_BKL);

/* Recursive per CPU: the same CPU may enter the kernel, then the scheduler. */
static void bkl_lock(void) {
    struct cpu *c = this_cpu();
    if (c->lock_depth++ == 0)
        spin_lock(&bkl);
}

static void bkl_unlock(void) {
    struct cpu *c = this_cpu();
    if (c->lock_depth <= 0)
        panic("bkl: unlock without lock");
    if (--c->lock_depth == 0)
        spin_unlock(&bkl);
}

static bool bkl_held(void) { return this_cpu()->lock_depth > 0 && spin_holding(&bkl); }

static void bkl_init(void) {
    struct os_instance *os = this_os();
    for (int i = 0; i < NPRIO; i++)
        list_init(&os->ready[i]);
}

/* Priority ready queues: highest priority (0) first, round robin within. */
static void bkl_enqueue(struct proc *p) {
    struct os_instance *os = this_os();
    list_push_back(&os->ready[p->prio], &p->rq);
    os->nready++;
}

static struct proc *bkl_pick_next(void) {
    struct os_instance *os = this_os();
    for (int prio = 0; prio < NPRIO; prio++) {
        struct list_node *n = list_pop_front(&os->ready[prio]);
        if (n) {
            os->nready--;
            return list_entry(n, struct proc, rq);
        }
    }
    return NULL;
}

static int bkl_ready_count(int cpu) {
    (void)cpu;
    return this_os()->nready; /* one shared queue: every CPU sees all of it */
}

/* A system call runs right here, on the calling CPU, under the lock. */
static long bkl_syscall(struct trap_frame *f) { return syscall_run(f); }

const struct model_ops model_bkl = {
    .name = "bkl",
    .init = bkl_init,
    .kernel_enter = bkl_lock,
    .kernel_exit = bkl_unlock,
    .syscall = bkl_syscall,
    .sched_lock = bkl_lock,
    .sched_unlock = bkl_unlock,
    .sched_locked = bkl_held,
    .enqueue = bkl_enqueue,
    .pick_next = bkl_pick_next,
    .ready_count = bkl_ready_count,
};
