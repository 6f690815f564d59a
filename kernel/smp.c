/*
 * Remote calls. Every CPU has a one-slot mailbox. A caller claims the slot,
 * fills in the function, and interrupts the target with an IPI; the target
 * runs the function in its IPI handler and sets `done`. A caller that waits
 * (for the slot or for `done`) keeps serving its own mailbox meanwhile, so
 * two CPUs calling each other with interrupts off cannot deadlock; so does
 * a CPU waiting for a spinlock (spin_lock), so that a lock holder waiting
 * for a TLB shootdown is answered. Such a call therefore may run in the
 * middle of any lock acquisition on its target, including the big kernel
 * lock's count-then-take: it must not take a lock its target may be taking.
 * A call that does (a test's probe of the scheduler lock) is posted with
 * smp_call_locking() and runs only from the IPI handler, when the target
 * has interrupts on and so is in no lock operation.
 */
#include "kernel/smp.h"
#include "kernel/cpu.h"
#include "kernel/cpufail.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"

struct mailbox {
    volatile int busy;      /* claimed by a caller */
    volatile int pending;   /* fn/arg are filled in, not yet run */
    volatile int done;
    volatile int irq_only;  /* run from the IPI handler only (smp_call_locking) */
    smp_fn fn;
    void *arg;
} __attribute__((aligned(64)));

static struct mailbox mailboxes[MAX_CPUS];

/* Claiming the call and clearing `pending` is one atomic exchange: read and
 * cleared in two steps, the IPI handler could interrupt a CPU polling its
 * mailbox between them and both would run the call, the second time after
 * the caller has returned and its argument is gone. */
static void handle_calls(bool from_irq) {
    struct mailbox *m = &mailboxes[cpu_id()];
    if (!__atomic_load_n(&m->pending, __ATOMIC_ACQUIRE) || (!from_irq && m->irq_only) ||
        !__atomic_exchange_n(&m->pending, 0, __ATOMIC_ACQ_REL))
        return;
    arch_kstack_tlb_sync(); /* arg may lie on the caller's kernel stack */
    m->fn(m->arg);
    __atomic_store_n(&m->done, 1, __ATOMIC_RELEASE);
}

void smp_handle_calls(void) { handle_calls(true); }
void smp_serve_while_waiting(void) { handle_calls(false); }

/* Waiting on `cpu`, which may fail meanwhile: a failed CPU never answers,
 * so the wait ends (false) when it goes offline; and since this CPU takes
 * no ticks while it waits, it looks at cpu's heartbeat itself now and then. */
static bool wait_serving(volatile int *flag, int value, int cpu) {
    struct cpu_wait w = {-1, 0, 0, 0};
    for (uint32_t spins = 1; __atomic_load_n(flag, __ATOMIC_ACQUIRE) != value; spins++) {
        if (!__atomic_load_n(&cpus[cpu].online, __ATOMIC_SEQ_CST))
            return false;
        smp_serve_while_waiting();
        arch_cpu_relax();
        if ((spins & 0xFFFF) == 0)
            cpu_fail_waiting(&w, cpu);
    }
    return true;
}

static void post(int cpu, smp_fn fn, void *arg, bool irq_only) {
    struct mailbox *m = &mailboxes[cpu];
    int expected = 0;
    while (!__atomic_compare_exchange_n(&m->busy, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        expected = 0;
        if (!__atomic_load_n(&cpus[cpu].online, __ATOMIC_SEQ_CST))
            return; /* failed meanwhile: nothing to post to (finish() sees it too) */
        smp_serve_while_waiting();
        arch_cpu_relax();
    }
    m->irq_only = irq_only;
    m->fn = fn;
    m->arg = arg;
    m->done = 0;
    __atomic_store_n(&m->pending, 1, __ATOMIC_RELEASE);
    arch_send_call_ipi(cpu);
}

/* A failed CPU keeps its mailbox claimed forever: nobody calls it again. */
static void finish(int cpu) {
    struct mailbox *m = &mailboxes[cpu];
    if (__atomic_load_n(&cpus[cpu].online, __ATOMIC_SEQ_CST) && wait_serving(&m->done, 1, cpu))
        __atomic_store_n(&m->busy, 0, __ATOMIC_RELEASE);
}

/* Both calls keep interrupts off from the moment they ask which CPU they
 * are on until the last call has finished: the caller can be neither
 * preempted nor moved, so "this CPU" stays true (otherwise smp_call_all
 * could run fn twice on one CPU and never on the one it left). The waits
 * poll this CPU's own mailbox, so two CPUs calling each other still finish. */
static void call_one(int cpu, smp_fn fn, void *arg, bool irq_only) {
    push_off();
    if (cpu == cpu_id()) {
        fn(arg);
    } else if (cpus[cpu].online) { /* a failed CPU runs nothing any more */
        post(cpu, fn, arg, irq_only);
        finish(cpu);
    }
    pop_off();
}

void smp_call(int cpu, smp_fn fn, void *arg) { call_one(cpu, fn, arg, false); }
void smp_call_locking(int cpu, smp_fn fn, void *arg) { call_one(cpu, fn, arg, true); }

void smp_call_all(smp_fn fn, void *arg) {
    push_off();
    int me = cpu_id();
    bool posted[MAX_CPUS];
    for (int i = 0; i < ncpus; i++)
        if ((posted[i] = i != me && __atomic_load_n(&cpus[i].online, __ATOMIC_SEQ_CST))) /* not a failed one */
            post(i, fn, arg, false);
    fn(arg);
    for (int i = 0; i < ncpus; i++)
        if (posted[i])
            finish(i);
    pop_off();
}

struct flush_range {
    uint64_t va;
    size_t pages;
};

static void flush_range(void *arg) {
    const struct flush_range *r = arg;
    for (size_t i = 0; i < r->pages; i++)
        arch_flush_tlb_page(r->va + i * PAGE_SIZE);
}

void tlb_shootdown_range(uint64_t va, size_t pages) {
    struct flush_range r = {va, pages};
    smp_call_all(flush_range, &r);
}

void tlb_shootdown(uint64_t va) { tlb_shootdown_range(va, 1); }
