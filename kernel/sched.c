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
#include "kernel/smp.h"
#include "kernel/time.h"

#define TIME_SLICE_TICKS 2

static void account(struct proc *p) {
    uint64_t now = uptime_ns();
    p->runtime_ns += now - p->last_switch_in;
    p->last_switch_in = now;
}

/* Give the CPU back to this CPU's scheduler loop. The caller holds the
 * scheduler lock (nothing else) and has already changed p->state.
 *
 * The interrupt state at a switch is fixed: interrupts are off on both
 * sides, disabled exactly once (by the scheduler lock), and the scheduler
 * loop's "enabled before" is false, because the loop itself always runs
 * with interrupts off. What the leaving thread will restore when it drops
 * its last lock (its own irq_enabled_before, and its hold on the lock)
 * belongs to it and travels with it, on its stack. */
void sched(void) {
    struct cpu *c = this_cpu();
    struct proc *p = c->current;
    if (!model->sched_locked())
        panic("sched: scheduler lock not held");
    if (p->state == P_RUNNING)
        panic("sched: process %d is still marked running", p->pid);
    if (arch_irq_enabled())
        panic("sched: interrupts enabled");
    if (c->irq_depth != 1)
        panic("sched: interrupts disabled %d deep; only the scheduler lock may be held across a switch",
              c->irq_depth);
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
    p->state = P_RUNNABLE;
    model->enqueue(p);
    kick_idle_cpu(p);
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

/* Each instance keeps the earliest sleep_ms() deadline of its processes
 * (os->next_deadline_ns, UINT64_MAX: none), so that the timer tick looks
 * at one word, without the lock, before it scans the table. Lowered under
 * the scheduler lock by each new sleeper, recomputed by the scan; a
 * deadline that is early only makes a scan happen sooner. */
int sleep_ms(uint64_t ms) {
    struct proc *p = current_proc();
    struct os_instance *os = this_os();
    model->sched_lock();
    p->wake_at_ns = uptime_ns() + ms * 1000000ULL;
    __atomic_fetch_add(&os->sleepers_with_deadline, 1, __ATOMIC_RELAXED);
    if (p->wake_at_ns < os->next_deadline_ns)
        __atomic_store_n(&os->next_deadline_ns, p->wake_at_ns, __ATOMIC_RELAXED);
    while (uptime_ns() < p->wake_at_ns && !p->killed)
        sleep_on(&p->wake_at_ns);
    __atomic_fetch_sub(&os->sleepers_with_deadline, 1, __ATOMIC_RELAXED);
    p->wake_at_ns = 0;
    model->sched_unlock();
    return p->killed ? -ABI_EINTR : 0;
}

void sched_wake_expired_sleepers(void) {
    struct os_instance *os = this_os();
    if (__atomic_load_n(&os->sleepers_with_deadline, __ATOMIC_RELAXED) == 0)
        return;
    uint64_t now = uptime_ns();
    if (now < __atomic_load_n(&os->next_deadline_ns, __ATOMIC_RELAXED))
        return; /* nobody's deadline has come: no lock taken */
    model->sched_lock();
    uint64_t next = UINT64_MAX;
    struct proc *procs = os->procs;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &procs[i];
        if (p->state != P_SLEEPING || !p->wake_at_ns || p->wait_channel != &p->wake_at_ns)
            continue;
        if (p->wake_at_ns <= now)
            make_runnable(p);
        else if (p->wake_at_ns < next)
            next = p->wake_at_ns;
    }
    __atomic_store_n(&os->next_deadline_ns, next, __ATOMIC_RELAXED);
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

/* The interrupt state the scheduler loop keeps at every switch point. */
static void check_switch_state(struct cpu *c, const char *where) {
    if (arch_irq_enabled() || c->irq_depth != 1 || c->irq_enabled_before)
        panic("scheduler %s: interrupts %s, disabled %d deep, restored as %s (expected off, 1, off)", where,
              arch_irq_enabled() ? "on" : "off", c->irq_depth, c->irq_enabled_before ? "on" : "off");
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
    arch_as_activate(p->as ? p->as->root : 0); /* a CR3 write on every switch: arch_free_kstack() relies on it */
    if (!p->is_kthread)
        arch_fpu_restore(p->fpu);
    check_switch_state(c, "switching to a thread");
    arch_switch(&c->sched_ctx, p->ctx);
    check_switch_state(c, "back from a thread");
    c->current = NULL;
    arch_as_activate(0);
    if (p->state == P_ZOMBIE && !p->parent)
        proc_free(p); /* nobody will wait for it; its stack is no longer in use */
    else
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
            if (p)
                run(c, p);
            model->sched_unlock();
            if (p)
                continue;
        }
        __atomic_store_n(&c->idle, true, __ATOMIC_SEQ_CST);
        if (model->ready_count(c->id) == 0)
            model->idle_wait(); /* bkl: sti; hlt, until a resched IPI or the timer */
        arch_irq_disable();
        __atomic_store_n(&c->idle, false, __ATOMIC_SEQ_CST);
    }
}
