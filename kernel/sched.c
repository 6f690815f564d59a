/*
 * The scheduler. Every CPU runs scheduler() on its own stack: it asks the
 * organisation for the next process (model->pick_next), switches to it, and
 * gets control back when that process gives up the CPU through sched().
 *
 * Locks (docs/locks.md). Every path into the scheduler takes, in rank order:
 * model->sched_lock() first (bkl: the big kernel lock; leader: the lock
 * over the leader's tables, a count on a follower; private: the instance's
 * lock; fine: nothing), then
 * the process's own lock p->lock, which guards its state and is held across
 * the switch: a process changes state and joins a ready queue under it, and
 * the CPU that picks the process off a queue takes it before switching to
 * it, so it waits until the CPU the process left has left its stack too.
 * The ready queues' own locks (Lrq and Lawt, or one CPU's queue) belong to
 * the organisation and are taken inside enqueue/pick_next/dequeue.
 */
#include "kernel/proc.h"
#include "kernel/trace.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/time.h"

#define TIME_SLICE_TICKS 2

static void account(struct proc *p) {
    uint64_t now = uptime_ns();
    p->runtime_ns += now - p->last_switch_in;
    p->last_switch_in = now;
}

/* Across a switch a thread may hold its own lock and locks ranked before
 * the process table (the organisation's own, such as the big kernel lock),
 * nothing else; and interrupts must be off only because of those locks. */
static void check_held_across_switch(struct cpu *c, const struct proc *p) {
    if (c->irq_depth != c->nheld)
        panic("sched: interrupts disabled %d deep with %d locks held; only locks may keep them off across a switch",
              c->irq_depth, c->nheld);
    for (int i = 0; i < c->nheld && i < MAX_HELD_LOCKS; i++)
        if (c->held[i] != &p->lock && c->held[i]->rank >= RANK_PROC_TABLE)
            panic("sched: process %d switches away holding '%s' (taken at %s)", p->pid, c->held[i]->name,
                  c->held[i]->site);
}

/* Give the CPU back to this CPU's scheduler loop. The caller holds p->lock
 * (and the organisation's scheduler lock) and has already changed p->state.
 *
 * The interrupt state at a switch is fixed: interrupts are off on both
 * sides, disabled once per held lock, and the scheduler loop's "enabled
 * before" is false, because the loop itself always runs with interrupts
 * off. What the leaving thread will restore when it drops its last lock
 * (its own irq_enabled_before, and its hold on the organisation's lock)
 * belongs to it and travels with it, on its stack. */
void sched(void) {
    struct cpu *c = this_cpu();
    struct proc *p = c->current;
    if (!spin_holding(&p->lock))
        panic("sched: process %d's lock not held", p->pid);
    if (p->state == P_RUNNING)
        panic("sched: process %d is still marked running", p->pid);
    if (arch_irq_enabled())
        panic("sched: interrupts enabled");
    check_held_across_switch(c, p);
    bool irq_before = c->irq_enabled_before;
    long hold = model->switch_save();
    c->irq_enabled_before = false; /* what the scheduler loop restores: interrupts stay off */
    account(p);
    if (!p->is_kthread)
        arch_fpu_save(p->fpu);
    arch_switch(&p->ctx, c->sched_ctx);
    c = this_cpu(); /* possibly another CPU by now */
    model->switch_restore(hold);
    c->irq_enabled_before = irq_before;
}

/* p has just become runnable: wake an idle CPU for it only when the
 * organisation says it cannot run soon where it is (model->cpu_to_wake). */
static void kick_idle_cpu(struct proc *p) {
    int cpu = model->cpu_to_wake(p);
    if (cpu >= 0 && cpu != cpu_id())
        arch_send_resched_ipi(cpu);
}

void make_runnable(struct proc *p) {
    if (!spin_holding(&p->lock))
        panic("make_runnable: process %d's lock not held", p->pid);
    p->state = P_RUNNABLE;
    model->enqueue(p);
    kick_idle_cpu(p);
}

void yield(void) {
    struct proc *p = current_proc();
    model->sched_lock();
    proc_lock(p);
    p->state = P_RUNNABLE;
    model->enqueue(p);
    this_cpu()->need_resched = false;
    sched();
    proc_unlock(p);
    model->sched_unlock();
}

/* The state is set before lk is released, so a waker that takes lk after
 * changing the condition sees SLEEPING even in its lock-free first look
 * (wakeup); a signal posted before is seen here, under p->lock, and one
 * posted later finds the process asleep with sleep_intr set and wakes it
 * (kernel/signal.c). */
static void sleep_common(void *chan, struct spinlock *lk, bool intr) {
    struct proc *p = current_proc();
    proc_lock(p);
    if (intr && proc_interrupted(p)) { /* a signal found it awake: it must not sleep now */
        proc_unlock(p);
        return;
    }
    p->sleep_intr = intr;
    p->wait_channel = chan;
    p->lost_seen = false;
    __atomic_store_n(&p->state, P_SLEEPING, __ATOMIC_RELEASE);
    spin_unlock(lk);
    sched();
    p->wait_channel = NULL;
    p->sleep_intr = false;
    proc_unlock(p);
    spin_lock(lk);
}

void sleep(void *chan, struct spinlock *lk) { sleep_common(chan, lk, true); }
void sleep_nointr(void *chan, struct spinlock *lk) { sleep_common(chan, lk, false); }

/* Each slot is looked at without its lock first (slots are never freed,
 * only reused), and taken only when it may be a sleeper on chan: a full
 * scan takes no lock at all when nobody sleeps there. */
void wakeup(void *chan) {
    model->sched_lock();
    struct proc *procs = this_os()->procs, *me = current_proc();
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *q = &procs[i];
        if (q == me || __atomic_load_n(&q->state, __ATOMIC_ACQUIRE) != P_SLEEPING || q->wait_channel != chan)
            continue;
        proc_lock(q);
        if (q->state == P_SLEEPING && q->wait_channel == chan)
            make_runnable(q);
        proc_unlock(q);
    }
    model->sched_unlock();
}

/* Each instance keeps the earliest sleep_ms() deadline of its processes
 * (os->next_deadline_ns, UINT64_MAX: none), so that the timer tick looks
 * at one word, without the lock, before it scans the table. Lowered under
 * os->timers by each sleeper, recomputed by the scan; a deadline that is
 * early only makes a scan happen sooner. os->timers is the condition lock
 * of every sleep_ms() of the instance: sleepers' wake_at_ns are under it.
 * A sleeper with a deadline is any process whose wake_at_ns is set: a
 * sleep_ms() here, or a poll() with a timeout (kernel/poll.c), which sleeps
 * on another channel but under the same lock; the scan wakes both. */
int sleep_ms(uint64_t ms) {
    struct proc *p = current_proc();
    struct os_instance *os = this_os();
    model->sched_lock();
    spin_lock(&os->timers);
    p->wake_at_ns = uptime_ns() + ms * 1000000ULL;
    __atomic_fetch_add(&os->sleepers_with_deadline, 1, __ATOMIC_RELAXED);
    while (uptime_ns() < p->wake_at_ns && !proc_interrupted(p)) {
        if (p->wake_at_ns < os->next_deadline_ns)
            __atomic_store_n(&os->next_deadline_ns, p->wake_at_ns, __ATOMIC_RELAXED);
        sleep(&p->wake_at_ns, &os->timers);
    }
    __atomic_fetch_sub(&os->sleepers_with_deadline, 1, __ATOMIC_RELAXED);
    p->wake_at_ns = 0;
    spin_unlock(&os->timers);
    model->sched_unlock();
    return proc_interrupted(p) ? -ABI_EINTR : 0;
}

void sched_wake_expired_sleepers(void) {
    struct os_instance *os = this_os();
    if (__atomic_load_n(&os->sleepers_with_deadline, __ATOMIC_RELAXED) == 0)
        return;
    uint64_t now = uptime_ns();
    if (now < __atomic_load_n(&os->next_deadline_ns, __ATOMIC_RELAXED))
        return; /* nobody's deadline has come: no lock taken */
    model->sched_lock();
    spin_lock(&os->timers);
    uint64_t next = UINT64_MAX;
    struct proc *procs = os->procs;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &procs[i];
        /* Under `timers` a sleeper with a deadline is asleep or not in its loop. */
        if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != P_SLEEPING || !p->wake_at_ns)
            continue;
        proc_lock(p);
        if (p->state == P_SLEEPING && p->wake_at_ns) {
            if (p->wake_at_ns <= now)
                make_runnable(p);
            else if (p->wake_at_ns < next)
                next = p->wake_at_ns;
        }
        proc_unlock(p);
    }
    __atomic_store_n(&os->next_deadline_ns, next, __ATOMIC_RELAXED);
    spin_unlock(&os->timers);
    model->sched_unlock();
}

/*
 * The lost-wakeup watchdog (each instance's first CPU, once a second): a
 * process asleep in sleep_ms() or poll() a second past its deadline, or asleep in
 * wait() a second after the child it waits for became a zombie, missed its
 * wakeup: counted (sysinfo's lost_wakeups, which the stress test checks)
 * and reported. Under the table lock, which parent links and "zombie"
 * change under, and each sleeper's lock.
 */
#define WATCHDOG_GRACE_NS 1000000000ULL
volatile uint32_t lost_wakeups;

static bool waits_for_zombie(const struct proc *parent, uint64_t now) {
    struct proc *procs = this_os()->procs;
    for (int i = 0; i < MAX_PROCS; i++) {
        const struct proc *c = &procs[i];
        if (c->state == P_ZOMBIE && c->parent == parent && (parent->wait_pid < 0 || parent->wait_pid == c->pid) &&
            now > c->exited_ns + WATCHDOG_GRACE_NS)
            return true;
    }
    return false;
}

void sched_watch_lost_wakeups(void) {
    struct os_instance *os = this_os();
    uint64_t now = uptime_ns();
    if (now < os->next_watch_ns)
        return;
    os->next_watch_ns = now + WATCHDOG_GRACE_NS;
    model->sched_lock();
    proc_table_lock();
    struct proc *procs = os->procs;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &procs[i];
        if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != P_SLEEPING)
            continue;
        proc_lock(p);
        bool lost = p->state == P_SLEEPING &&
                    ((p->wake_at_ns && now > p->wake_at_ns + WATCHDOG_GRACE_NS) ||
                     (p->wait_channel == p && waits_for_zombie(p, now)));
        lost = lost && !p->lost_seen; /* once per sleep */
        if (lost)
            p->lost_seen = true;
        int pid = p->pid;
        proc_unlock(p);
        if (lost) {
            __atomic_fetch_add(&lost_wakeups, 1, __ATOMIC_RELAXED);
            pr_warn("watchdog: pid %d sleeps although what it waits for has happened (a lost wakeup)\n", pid);
        }
    }
    proc_table_unlock();
    model->sched_unlock();
}

/* Timer interrupt: sleepers' deadlines and console input left for this
 * instance (os_poll_events: the instance's first CPU scans), time slices, and
 * preemption of kernel threads that hold no lock. A used-up slice asks for
 * a reschedule only when something else is ready (a lock-free look). */
/* A kernel thread that holds nothing is preempted right in the interrupt
 * (user code gives the CPU up on its way back to user mode). */
static void preempt_kernel_thread(struct trap_frame *f) {
    struct cpu *c = this_cpu();
    struct proc *p = c->current;
    if (p && !trap_from_user(f) && p->is_kthread && c->need_resched && c->nheld == 0 && c->irq_depth == 0)
        yield();
}

void sched_tick(struct trap_frame *f) {
    struct cpu *c = this_cpu();
    os_poll_events();
    model->tick();
    struct proc *p = c->current;
    if (!p)
        return;
    if (++p->slice_ticks >= TIME_SLICE_TICKS && model->ready_count(c->id) > 0)
        c->need_resched = true;
    preempt_kernel_thread(f);
}

/* Work that only this CPU may do was queued for it (leader: a follower's
 * request): whatever runs here gives way as soon as it can. */
void kernel_forward_ipi(struct trap_frame *f) {
    struct cpu *c = this_cpu();
    if (c->current)
        c->need_resched = true;
    preempt_kernel_thread(f);
}

/* The interrupt state the scheduler loop keeps at every switch point:
 * off, once per lock it holds (the thread's lock, the organisation's). */
static void check_switch_state(struct cpu *c, const char *where) {
    if (arch_irq_enabled() || c->irq_depth < 1 || c->irq_depth != c->nheld || c->irq_enabled_before)
        panic("scheduler %s: interrupts %s, disabled %d deep with %d locks held, restored as %s (expected off, "
              "once per lock, off)",
              where, arch_irq_enabled() ? "on" : "off", c->irq_depth, c->nheld, c->irq_enabled_before ? "on" : "off");
}

/* p->lock held (taken by the scheduler loop; the thread releases it when
 * it runs, and takes it again before it switches back here). */
static void run(struct cpu *c, struct proc *p) {
    p->state = P_RUNNING;
    p->cpu = c->id;
    p->last_switch_in = uptime_ns();
    p->slice_ticks = 0;
    c->current = p;
    c->need_resched = false;
    c->count.switches++;
    arch_set_kernel_stack(p->kstack_top);
    arch_as_activate(p->as ? p->as->root : 0); /* a CR3 write on every switch: arch_free_kstack() relies on it */
    if (!p->is_kthread)
        arch_fpu_restore(p->fpu);
    check_switch_state(c, "switching to a thread");
    trace_switch((uint32_t)p->pid);
    arch_switch(&c->sched_ctx, p->ctx);
    check_switch_state(c, "back from a thread");
    c->current = NULL;
    arch_as_activate(0);
    model->switched_out(p); /* its stack is free here: it may go to another CPU */
}

/* Runs with interrupts off throughout, except while halted. An idle CPU
 * looks at the lock-free ready count and takes the scheduler lock only when
 * something is there. Before halting it says it is idle and looks once
 * more: an enqueue after that look sees `idle` and can send the wake-up
 * IPI, which stays pending (interrupts are off) until `sti; hlt`, whose
 * interrupt shadow lets the halt begin before the IPI is taken. */
void scheduler(void) {
    struct cpu *c = this_cpu();
    arch_irq_disable();
    for (;;) {
        if (model->ready_count(c->id) > 0) {
            model->sched_lock();
            struct proc *p = model->pick_next();
            bool zombie = false;
            if (p) {
                proc_lock(p); /* waits until the CPU p last left has left its stack */
                run(c, p);
                zombie = p->state == P_ZOMBIE;
                proc_unlock(p);
            }
            if (zombie && !__atomic_load_n(&p->parent, __ATOMIC_RELAXED))
                proc_reap_orphan(p); /* nobody will wait for it; its stack is no longer in use */
            model->sched_unlock();
            if (p)
                continue;
        }
        __atomic_store_n(&c->idle, true, __ATOMIC_SEQ_CST);
        if (model->ready_count(c->id) == 0) {
            trace_idle(true);
            model->idle_wait(); /* bkl: sti; hlt, until a resched IPI or the timer */
            trace_idle(false);
        }
        arch_irq_disable();
        __atomic_store_n(&c->idle, false, __ATOMIC_SEQ_CST);
    }
}
