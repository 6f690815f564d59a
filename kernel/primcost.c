/* The primitives' costs (kernel/primcost.h). */
#include "kernel/primcost.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/os.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
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
    volatile bool gave_up;
    uint64_t start;
    volatile uint64_t end;
    volatile uint64_t counter;
};

/* The partner of a measurement may fail (cpufail) before it arrives: wait
 * for it at most a second, and never for a CPU that is failing. */
static bool partner_alive(int cpu) { return cpus[cpu].online && !cpus[cpu].failed && !cpus[cpu].fail_how; }

static bool wait_for_count(volatile int *count, int want, int partner, bool *gave_up) {
    uint64_t deadline = arch_cycles() + time_cycle_hz();
    while (__atomic_load_n(count, __ATOMIC_SEQ_CST) < want) {
        if (*gave_up || !partner_alive(partner) || arch_cycles() > deadline) {
            *gave_up = true;
            return false;
        }
        arch_cpu_relax();
    }
    return true;
}

static void handoff_side(void *arg) {
    struct handoff *h = arg;
    if (cpu_id() != h->a && cpu_id() != h->b)
        return;
    int other = cpu_id() == h->a ? h->b : h->a;
    if (__atomic_add_fetch(&h->ready, 1, __ATOMIC_SEQ_CST) == 2)
        h->start = arch_cycles(); /* the second to arrive starts the clock */
    if (!wait_for_count(&h->ready, 2, other, (bool *)&h->gave_up))
        return; /* both start together, or not at all */
    for (int i = 0; i < HANDOFF_OPS; i++) {
        spin_lock(&measured);
        h->counter++;
        spin_unlock(&measured);
    }
    if (__atomic_add_fetch(&h->done, 1, __ATOMIC_SEQ_CST) == 2)
        h->end = arch_cycles(); /* the last to finish stops it */
}

/* The cycles of one run, or 0 if the partner never came. */
static uint64_t time_handoff(int partner) {
    struct handoff h = {.a = cpu_id(), .b = partner};
    smp_call_all(handoff_side, &h); /* returns when both have finished */
    return h.gave_up || !h.end ? 0 : h.end - h.start;
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
        if (c != cpu_id() && partner_alive(c) && cpus[c].os == this_os())
            cpu = c;
    /* Only a CPU of this OS instance (private: no other instance's CPU is
     * kept busy, and the measurement's locks stay this instance's). */
    if (needs_partner &&
        (cpu < 0 || cpu >= ncpus || cpu == cpu_id() || !partner_alive(cpu) || cpus[cpu].os != this_os()))
        return -ABI_EINVAL;
    if (__atomic_exchange_n(&measuring, 1, __ATOMIC_ACQ_REL))
        return -ABI_EBUSY;
    uint32_t ops = which == ABI_PRIM_LOCK ? LOCK_OPS : which == ABI_PRIM_HANDOFF ? 2 * HANDOFF_OPS : IPI_OPS;
    uint64_t per_op[RUNS];
    for (int r = 0; r < RUNS; r++) {
        uint64_t cycles = which == ABI_PRIM_LOCK ? time_lock() : which == ABI_PRIM_HANDOFF ? time_handoff(cpu)
                                                                                             : time_ipi(cpu);
        if (!cycles) { /* the partner failed or never came */
            __atomic_store_n(&measuring, 0, __ATOMIC_RELEASE);
            return -ABI_EIO;
        }
        per_op[r] = cycles / ops;
    }
    __atomic_store_n(&measuring, 0, __ATOMIC_RELEASE);
    sort_u64(per_op, RUNS);
    *out = (struct abi_primcost){.median = per_op[RUNS / 2], .min = per_op[0], .max = per_op[RUNS - 1],
                                 .runs = RUNS, .per_run = ops};
    return 0;
}
