/* In-kernel tests of SMP bring-up, spinlocks, remote calls, shootdown, timers. */
#include "kernel/ktest.h"
#include "kernel/cpu.h"
#include "kernel/frame.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "arch.h"

/* The MADT view of the machine; compared against what came up. */
int arch_enabled_cpus(uint32_t *apic_ids, int max);

KTEST(smp, all_cpus_online_dense_unique) {
    uint32_t madt_ids[MAX_CPUS];
    int enabled = arch_enabled_cpus(madt_ids, MAX_CPUS);
    KT_ASSERT(ncpus >= 1);
    KT_ASSERT_EQ(ncpus, enabled < MAX_CPUS ? enabled : MAX_CPUS);
    for (int i = 0; i < ncpus; i++) {
        KT_ASSERT_EQ(cpus[i].id, i);
        KT_ASSERT(cpus[i].online);
        bool in_madt = false;
        for (int k = 0; k < enabled; k++)
            in_madt |= madt_ids[k] == cpus[i].arch.apic_id;
        KT_ASSERT(in_madt);
        for (int j = 0; j < i; j++)
            KT_ASSERT_NE(cpus[i].arch.apic_id, cpus[j].arch.apic_id);
    }
}

/* Kept small: with more virtual CPUs than host cores a ticket lock hands
 * over slowly, because the waiter next in line may not be running at all
 * (lock-holder preemption). About 6000 acquisitions in total. */
static int increments(void) { return ncpus <= 2 ? 3000 : 6000 / ncpus; }
#define INCREMENTS increments()
static struct spinlock counter_lock = SPINLOCK_INIT("test counter", RANK_TEST);
static volatile uint64_t counter;

static void add_locked(void *arg) {
    (void)arg;
    for (int i = 0; i < INCREMENTS; i++) {
        spin_lock(&counter_lock);
        counter = counter + 1;
        spin_unlock(&counter_lock);
    }
}

static void add_unlocked(void *arg) {
    (void)arg;
    for (int i = 0; i < INCREMENTS; i++) {
        uint64_t v = counter; /* read-modify-write that another CPU can interleave */
        arch_cpu_relax();
        counter = v + 1;
    }
}

KTEST(smp, spinlock_counter_is_exact) {
    counter = 0;
    spin_reset_stats(&counter_lock);
    smp_call_all(add_locked, NULL);
    KT_ASSERT_EQ(counter, (uint64_t)ncpus * INCREMENTS);
    KT_ASSERT_EQ(counter_lock.stats.acquisitions, (uint64_t)ncpus * INCREMENTS);
    printk(LOG_INFO, "ktest:   %d CPUs x %d increments under the lock = %llu; %llu contended acquisitions\n",
           ncpus, INCREMENTS, (unsigned long long)counter, (unsigned long long)counter_lock.stats.contended);
}

/* Not an assertion of a loss: only a demonstration of what the lock prevents. */
KTEST(smp, unlocked_counter_may_lose_updates) {
    counter = 0;
    smp_call_all(add_unlocked, NULL);
    uint64_t expect = (uint64_t)ncpus * INCREMENTS;
    KT_ASSERT(counter <= expect); /* (a stale write-back can even undo another CPU's work) */
    KT_ASSERT(counter >= 1);
    printk(LOG_INFO, "ktest:   without the lock: %llu of %llu increments survived (%llu lost)\n",
           (unsigned long long)counter, (unsigned long long)expect, (unsigned long long)(expect - counter));
}

static void report_cpu(void *arg) { *(volatile int *)arg = cpu_id(); }

/* With interrupts off this thread cannot be preempted or moved, so
 * "another CPU" stays another CPU (smp_call waits by polling). */
KTEST(smp, remote_call_runs_on_target) {
    int wrong_cpu = -1, missing_ipi = -1;
    push_off();
    for (int i = 0; i < ncpus; i++) {
        volatile int where = -1;
        uint64_t ipis_before = cpus[i].count.ipis;
        smp_call(i, report_cpu, (void *)&where);
        if (where != i && wrong_cpu < 0)
            wrong_cpu = i;
        if (i != cpu_id() && cpus[i].count.ipis <= ipis_before && missing_ipi < 0)
            missing_ipi = i;
    }
    pop_off();
    KT_ASSERT_EQ(wrong_cpu, -1);
    KT_ASSERT_EQ(missing_ipi, -1);
}

static volatile int reached[MAX_CPUS];
static void mark_reached(void *arg) {
    (void)arg;
    __atomic_fetch_add(&reached[cpu_id()], 1, __ATOMIC_RELAXED);
}

KTEST(smp, broadcast_reaches_all) {
    for (int i = 0; i < ncpus; i++)
        reached[i] = 0;
    smp_call_all(mark_reached, NULL);
    for (int i = 0; i < ncpus; i++)
        KT_ASSERT_EQ(reached[i], 1);
}

/* A kernel page is read on every CPU (so each TLB holds the translation),
 * remapped to another frame here, shot down, and read again everywhere. */
#define SHOOT_VA (KSTACK_AREA + KSTACK_AREA_SIZE - 16 * PAGE_SIZE)
static volatile uint64_t seen[MAX_CPUS];
static void read_page(void *arg) {
    (void)arg;
    seen[cpu_id()] = *(volatile uint64_t *)SHOOT_VA;
}

KTEST(smp, tlb_shootdown_remaps_everywhere) {
    uint64_t a = frame_alloc(), b = frame_alloc();
    KT_ASSERT(a && b);
    *(uint64_t *)PHYS_TO_VIRT(a) = 0xAAAA;
    *(uint64_t *)PHYS_TO_VIRT(b) = 0xBBBB;
    KT_ASSERT_EQ(arch_map_page(0, SHOOT_VA, a, MAP_WRITE), 0);
    smp_call_all(read_page, NULL);
    for (int i = 0; i < ncpus; i++)
        KT_ASSERT_EQ(seen[i], 0xAAAA);
    KT_ASSERT_EQ(arch_map_page(0, SHOOT_VA, b, MAP_WRITE), 0); /* the PTE changes, TLBs still say a */
    tlb_shootdown(SHOOT_VA);
    smp_call_all(read_page, NULL);
    bool all_b = true;
    for (int i = 0; i < ncpus; i++)
        all_b &= seen[i] == 0xBBBB;
    arch_unmap_page(0, SHOOT_VA);
    tlb_shootdown(SHOOT_VA);
    frame_free(a);
    frame_free(b);
    KT_ASSERT(all_b);
}

KTEST(smp, every_cpu_ticks) {
    uint64_t before[MAX_CPUS];
    for (int i = 0; i < ncpus; i++)
        before[i] = cpus[i].count.ticks;
    KT_ASSERT(arch_irq_enabled());
    /* Wait until every CPU has taken at least two timer interrupts; bounded
     * so a dead timer fails the test instead of hanging it. */
    uint64_t deadline = uptime_ns() + 5000000000ULL;
    int behind;
    do {
        behind = 0;
        for (int i = 0; i < ncpus; i++)
            behind += cpus[i].count.ticks < before[i] + 2;
    } while (behind && uptime_ns() < deadline);
    KT_ASSERT_EQ(behind, 0);
}

KTEST(smp, mdelay_matches_tsc) {
    push_off(); /* no preemption between the delay and its measurement */
    uint64_t start = arch_cycles();
    mdelay(100);
    uint64_t ms = cycles_to_ns(arch_cycles() - start) / 1000000;
    pop_off();
    KT_ASSERT(ms >= 90);
    KT_ASSERT(ms <= 200);
}

static struct spinlock outer = SPINLOCK_INIT("test outer", RANK_FILES);
static struct spinlock inner = SPINLOCK_INIT("test inner", RANK_FRAMES);

KTEST(locks, recursive_acquisition_is_caught) {
    const struct spinlock *who;
    spin_lock(&outer);
    enum lock_check r = spin_check(&outer, &who);
    spin_unlock(&outer);
    KT_ASSERT_EQ(r, LOCK_RECURSIVE);
    KT_ASSERT(who == &outer);
}

KTEST(locks, out_of_rank_order_is_caught) {
    const struct spinlock *who;
    spin_lock(&inner);
    enum lock_check r = spin_check(&outer, &who); /* lower rank while holding a higher one */
    spin_unlock(&inner);
    KT_ASSERT_EQ(r, LOCK_OUT_OF_ORDER);
    KT_ASSERT(who == &inner);
    spin_lock(&outer);
    r = spin_check(&inner, &who); /* increasing order is fine */
    spin_unlock(&outer);
    KT_ASSERT_EQ(r, LOCK_OK);
}

static void check_not_holder(void *arg) { *(volatile int *)arg = spin_holding(&outer); }

KTEST(locks, only_the_owner_holds) {
    spin_lock(&outer); /* interrupts are off now: this thread stays on this CPU */
    bool i_hold = spin_holding(&outer);
    volatile int other_holds = -1;
    if (ncpus > 1)
        smp_call((cpu_id() + 1) % ncpus, check_not_holder, (void *)&other_holds);
    spin_unlock(&outer);
    KT_ASSERT(i_hold);
    KT_ASSERT(!spin_holding(&outer));
    if (ncpus > 1)
        KT_ASSERT_EQ(other_holds, 0);
}

KTEST(locks, dump_counters) {
    spin_lock(&counter_lock);
    spin_unlock(&counter_lock);
    spin_dump_all(); /* the `locks` table: every lock taken so far, with its counters */
    KT_ASSERT(counter_lock.stats.acquisitions > 0);
}
