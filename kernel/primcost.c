/* The primitives' costs (kernel/primcost.h). */
#include "kernel/primcost.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "lib/string.h"

#define RUNS 9
#define LOCK_OPS 1000
#define HANDOFF_OPS 2000
#define IPI_OPS 50

/* Locks of their own: a measurement never waits for a kernel table. */
static struct spinlock measured = SPINLOCK_INIT("primcost: measured lock", RANK_TEST);
static volatile int measuring;

static uint64_t time_lock(void) {
    uint64_t start = arch_cycles();
    for (int i = 0; i < LOCK_OPS; i++) {
        spin_lock(&measured);
        spin_unlock(&measured);
    }
    return arch_cycles() - start;
}

/* Hand-off: this CPU and `partner` take the lock in turn as fast as they
 * can, both at once (smp_call_all runs the function everywhere together);
 * nearly every acquisition then waits for the other CPU's release. The
 * time from the common start until both are done, over all acquisitions,
 * is one hand-off (if one CPU ran late, that time includes its lone
 * acquisitions, and the figure comes out near an uncontended lock). */
struct handoff {
    int a, b;
    volatile int ready, done;
    uint64_t start;
    volatile uint64_t end;
    volatile uint64_t counter;
};

static void handoff_side(void *arg) {
    struct handoff *h = arg;
    if (cpu_id() != h->a && cpu_id() != h->b)
        return;
    if (__atomic_add_fetch(&h->ready, 1, __ATOMIC_SEQ_CST) == 2)
        h->start = arch_cycles(); /* the second to arrive starts the clock */
    while (__atomic_load_n(&h->ready, __ATOMIC_SEQ_CST) < 2)
        arch_cpu_relax(); /* both start together */
    for (int i = 0; i < HANDOFF_OPS; i++) {
        spin_lock(&measured);
        h->counter++;
        spin_unlock(&measured);
    }
    if (__atomic_add_fetch(&h->done, 1, __ATOMIC_SEQ_CST) == 2)
        h->end = arch_cycles(); /* the last to finish stops it */
}

static uint64_t time_handoff(int partner) {
    struct handoff h = {.a = cpu_id(), .b = partner};
    smp_call_all(handoff_side, &h); /* returns when both have finished */
    return h.end - h.start;
}

static void nothing(void *arg) { (void)arg; }

static uint64_t time_ipi(int cpu) {
    uint64_t start = arch_cycles();
    for (int i = 0; i < IPI_OPS; i++)
        smp_call(cpu, nothing, NULL);
    return arch_cycles() - start;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void sort_u64(uint64_t *v, int n) {
    for (int i = 1; i < n; i++) /* insertion sort: nine numbers */
        for (int j = i; j > 0 && cmp_u64(&v[j - 1], &v[j]) > 0; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

long primcost_measure(int which, int cpu, struct abi_primcost *out) {
    bool needs_partner = which == ABI_PRIM_HANDOFF || which == ABI_PRIM_IPI;
    if (which < ABI_PRIM_LOCK || which > ABI_PRIM_IPI)
        return -ABI_EINVAL;
    /* -1: any other CPU. The caller cannot know which CPU runs this (under
     * leader the leader does, not the caller's CPU). */
    for (int c = 0; cpu == -1 && c < ncpus; c++)
        if (c != cpu_id() && cpus[c].online)
            cpu = c;
    if (needs_partner && (cpu < 0 || cpu >= ncpus || cpu == cpu_id() || !cpus[cpu].online))
        return -ABI_EINVAL;
    if (__atomic_exchange_n(&measuring, 1, __ATOMIC_ACQ_REL))
        return -ABI_EBUSY;
    uint32_t ops = which == ABI_PRIM_LOCK ? LOCK_OPS : which == ABI_PRIM_HANDOFF ? 2 * HANDOFF_OPS : IPI_OPS;
    uint64_t per_op[RUNS];
    for (int r = 0; r < RUNS; r++) {
        uint64_t cycles = which == ABI_PRIM_LOCK ? time_lock() : which == ABI_PRIM_HANDOFF ? time_handoff(cpu)
                                                                                             : time_ipi(cpu);
        per_op[r] = cycles / ops;
    }
    __atomic_store_n(&measuring, 0, __ATOMIC_RELEASE);
    sort_u64(per_op, RUNS);
    *out = (struct abi_primcost){.median = per_op[RUNS / 2], .min = per_op[0], .max = per_op[RUNS - 1],
                                 .runs = RUNS, .per_run = ops};
    return 0;
}
