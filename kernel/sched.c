/*
 * The scheduler. Every CPU runs scheduler() on its own stack: it asks the
 * organisation for the next process (model->pick_next), switches to it, and
 * gets control back when that process gives up the CPU through sched().
 * The scheduler lock (model->sched_lock) is held across each switch, so a
 * process's state and its place in the ready queues always change together:
 * a wakeup can never slip in between "decide to sleep" and "sleep".
 */
#include "kernel/proc.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/time.h"

#define TIME_SLICE_TICKS 2
volatile int sleepers_with_deadline;

static void account(struct proc *p) {
    uint64_t now = uptime_ns();
    p->runtime_ns += now - p->last_switch_in;
    p->last_switch_in = now;
}

/* Give the CPU back to this CPU's scheduler loop. The caller holds the
 * scheduler lock and has already changed p->state. */
void sched(void) {
    struct cpu *c = this_cpu();
    struct proc *p = c->current;
    if (!model->sched_locked())
        panic("sched: scheduler lock not held");
    if (p->state == P_RUNNING)
        panic("sched: process %d is still marked running", p->pid);
    if (arch_irq_enabled())
        panic("sched: interrupts enabled");
    int depth = c->lock_depth;
    bool irq_before = c->irq_enabled_before;
    account(p);
    if (!p->is_kthread)
        arch_fpu_save(p->fpu);
    arch_switch(&p->ctx, c->sched_ctx);
    c = this_cpu(); /* possibly another CPU by now */
    c->lock_depth = depth;
    c->irq_enabled_before = irq_before;
}

/* Wake one idle CPU, if there is one, to run a newly runnable process. */
static void kick_idle_cpu(void) {
    for (int i = 0; i < ncpus; i++)
        if (i != cpu_id() && cpus[i].idle) {
            arch_send_resched_ipi(i);
            return;
        }
}

void make_runnable(struct proc *p) {
    p->state = P_RUNNABLE;
    model->enqueue(p);
    kick_idle_cpu();
}

void yield(void) {
    model->sched_lock();
    struct proc *p = current_proc();
    p->state = P_RUNNABLE;
    model->enqueue(p);
    this_cpu()->need_resched = false;
    sched();
    model->sched_unlock();
}

void sleep_on(void *chan) {
    struct proc *p = current_proc();
    p->wait_channel = chan;
    p->state = P_SLEEPING;
    sched();
    p->wait_channel = NULL;
}

void wakeup_locked(void *chan) {
    struct proc *procs = this_os()->procs;
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i].state == P_SLEEPING && procs[i].wait_channel == chan)
            make_runnable(&procs[i]);
}

void wakeup(void *chan) {
    model->sched_lock();
    wakeup_locked(chan);
    model->sched_unlock();
}

int sleep_ms(uint64_t ms) {
    struct proc *p = current_proc();
    model->sched_lock();
    p->wake_at_ns = uptime_ns() + ms * 1000000ULL;
    __atomic_fetch_add(&sleepers_with_deadline, 1, __ATOMIC_RELAXED);
    while (uptime_ns() < p->wake_at_ns && !p->killed)
        sleep_on(&p->wake_at_ns);
    __atomic_fetch_sub(&sleepers_with_deadline, 1, __ATOMIC_RELAXED);
    p->wake_at_ns = 0;
    model->sched_unlock();
    return p->killed ? -ABI_EINTR : 0;
}

static void wake_expired_sleepers(void) {
    if (__atomic_load_n(&sleepers_with_deadline, __ATOMIC_RELAXED) == 0)
        return;
    uint64_t now = uptime_ns();
    model->sched_lock();
    struct proc *procs = this_os()->procs;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &procs[i];
        if (p->state == P_SLEEPING && p->wake_at_ns && p->wake_at_ns <= now && p->wait_channel == &p->wake_at_ns)
            make_runnable(p);
    }
    model->sched_unlock();
}

/* Timer interrupt: sleepers' deadlines (on CPU 0), time slices, and
 * preemption of kernel threads that hold no lock. */
void sched_tick(struct trap_frame *f) {
    struct cpu *c = this_cpu();
    if (c->id == 0)
        wake_expired_sleepers();
    struct proc *p = c->current;
    if (!p)
        return;
    if (++p->slice_ticks >= TIME_SLICE_TICKS)
        c->need_resched = true;
    if (!trap_from_user(f) && p->is_kthread && c->need_resched && c->nheld == 0 && c->irq_depth == 0)
        yield();
}

static void run(struct cpu *c, struct proc *p) {
    p->state = P_RUNNING;
    p->cpu = c->id;
    p->last_switch_in = uptime_ns();
    p->slice_ticks = 0;
    c->current = p;
    c->need_resched = false;
    c->count.switches++;
    arch_set_kernel_stack(p->kstack_top);
    arch_as_activate(p->as ? p->as->root : 0);
    if (!p->is_kthread)
        arch_fpu_restore(p->fpu);
    arch_switch(&c->sched_ctx, p->ctx);
    c->current = NULL;
    c->lock_depth = 1; /* ours again: held once, by this loop */
    arch_as_activate(0);
    if (p->state == P_ZOMBIE && !p->parent)
        proc_free(p); /* nobody will wait for it; its stack is no longer in use */
}

void scheduler(void) {
    struct cpu *c = this_cpu();
    for (;;) {
        model->sched_lock();
        struct proc *p = model->pick_next();
        if (p) {
            run(c, p);
            model->sched_unlock();
            continue;
        }
        c->idle = true;
        model->sched_unlock();
        arch_wait_for_interrupt(); /* sti; hlt: a resched IPI or the timer ends it */
        arch_irq_disable();
        c->idle = false;
    }
}
