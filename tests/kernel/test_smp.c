/* In-kernel tests of SMP bring-up, spinlocks, remote calls, shootdown, timers. */
#include "kernel/ktest.h"
#include "kernel/cpu.h"
#include "kernel/frame.h"
#include "kernel/proc.h"
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
 * "another CPU" stays another CPU (smp_call waits by polling).
 * The call itself may be run before its IPI is taken: a target that is
 * spinning for a lock with interrupts off, or waiting for a call of its
 * own, serves its mailbox by polling, and takes the (still pending) IPI
 * only when it enables interrupts again. So the IPI is waited for, with a
 * bound far above any delivery time (10 s: with 8 virtual CPUs on 2 busy
 * host cores a virtual CPU can go without running for a long while), so
 * that an IPI that never comes fails the test instead of hanging it. */
#define IPI_WAIT_NS (10ULL * 1000000000ULL)

KTEST(smp, remote_call_runs_on_target) {
    int wrong_cpu = -1, missing_ipi = -1;
    push_off();
    for (int i = 0; i < ncpus; i++) {
        volatile int where = -1;
        uint64_t ipis_before = __atomic_load_n(&cpus[i].count.ipis, __ATOMIC_RELAXED);
        smp_call(i, report_cpu, (void *)&where);
        if (where != i && wrong_cpu < 0)
            wrong_cpu = i;
        if (i == cpu_id())
            continue;
        uint64_t deadline = uptime_ns() + IPI_WAIT_NS;
        while (__atomic_load_n(&cpus[i].count.ipis, __ATOMIC_RELAXED) <= ipis_before && uptime_ns() < deadline) {
            smp_handle_calls();
            arch_cpu_relax();
        }
        if (__atomic_load_n(&cpus[i].count.ipis, __ATOMIC_RELAXED) <= ipis_before && missing_ipi < 0)
            missing_ipi = i;
    }
    pop_off();
    KT_ASSERT_EQ(wrong_cpu, -1);
    KT_ASSERT_EQ(missing_ipi, -1);
}

/* Threads on every CPU call each other and everyone at once, with
 * interrupts on, while sleepers make the timer send wake-up IPIs from
 * interrupt handlers. Every call must run exactly once on the CPU it was
 * meant for: a call claimed twice (pending read, then cleared), a broadcast
 * whose caller moved to another CPU half way, or an IPI sent to the wrong
 * CPU by an interrupt between the two ICR writes would each show here
 * (or, for a lost IPI, as a hang the cell's timeout catches). */
/* Fewer rounds per caller with more CPUs: each call waits for a virtual
 * CPU that, with more of them than host cores, may not be running. */
static int cross_rounds(void) { return ncpus <= 2 ? 200 : 400 / ncpus; }
struct call_record {
    volatile int ran[MAX_CPUS];
};
static volatile int cross_failures, cross_done, cross_started, cross_sleepers_stop;
static uint64_t cross_deadline;
/* One caller per CPU, but no more than half the process table holds (at
 * -smp 64 one per CPU plus the sleeper would not fit in MAX_PROCS). */
static int cross_callers(void) { return MIN(ncpus, MAX_PROCS / 2); }

static void record_run(void *arg) {
    struct call_record *r = arg;
    __atomic_fetch_add(&r->ran[cpu_id()], 1, __ATOMIC_RELAXED);
}

static void cross_caller(void *arg) {
    (void)arg;
    /* Start together, so that calls cross (the callers spin here until all
     * run, each on a CPU of its own; bounded so a lost CPU fails instead). */
    __atomic_fetch_add(&cross_started, 1, __ATOMIC_RELAXED);
    while (cross_started < cross_callers() && uptime_ns() < cross_deadline)
        arch_cpu_relax();
    for (int round = 0; round < cross_rounds(); round++) {
        struct call_record r = {0};
        int target = (cpu_id() + 1 + round) % ncpus;
        bool all = round % 4 == 3;
        if (all)
            smp_call_all(record_run, &r);
        else
            smp_call(target, record_run, &r);
        for (int i = 0; i < ncpus; i++)
            if (r.ran[i] != (all || i == target ? 1 : 0))
                __atomic_fetch_add(&cross_failures, 1, __ATOMIC_RELAXED);
    }
    __atomic_fetch_add(&cross_done, 1, __ATOMIC_RELAXED);
}

static void cross_sleeper(void *arg) {
    (void)arg;
    while (!cross_sleepers_stop)
        sleep_ms(1);
}

KTEST(smp, remote_calls_cross_with_interrupts_on) {
    cross_failures = cross_done = cross_started = cross_sleepers_stop = 0;
    cross_deadline = uptime_ns() + 60ULL * 1000000000ULL;
    int callers[MAX_CPUS], sleeper, st;
    struct proc *p = kthread_create("sleeper", cross_sleeper, NULL, DEFAULT_PRIO);
    KT_ASSERT(p);
    sleeper = p->pid;
    for (int i = 0; i < cross_callers(); i++) {
        p = kthread_create("caller", cross_caller, NULL, DEFAULT_PRIO);
        KT_ASSERT(p);
        callers[i] = p->pid;
    }
    for (int i = 0; i < cross_callers(); i++)
        KT_ASSERT_EQ(proc_wait_kernel(callers[i], &st), callers[i]);
    cross_sleepers_stop = 1;
    KT_ASSERT_EQ(proc_wait_kernel(sleeper, &st), sleeper);
    KT_ASSERT_EQ(cross_started, cross_callers());
    KT_ASSERT_EQ(cross_done, cross_callers());
    KT_ASSERT_EQ(cross_failures, 0);
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

/* mdelay() against a clock independent of the TSC it counts: the PIT
 * (arch_time_against_pit). The cycle count over the same interval checks the
 * TSC calibration itself. An attempt the host disturbed (the PIT ran out, a
 * read was delayed) is repeated. */
static void delay_40ms(void *arg) {
    (void)arg;
    mdelay(40);
}

KTEST(smp, mdelay_matches_pit) {
    uint64_t pit_ns = 0, cycles = 0;
    bool measured = false;
    push_off(); /* no preemption, no move to another CPU, during a measurement */
    for (int attempt = 0; attempt < 20 && !measured; attempt++)
        measured = arch_time_against_pit(delay_40ms, NULL, &pit_ns, &cycles);
    pop_off();
    if (!measured)
        KT_FAIL("no undisturbed 40 ms measurement against the PIT in 20 attempts");
    uint64_t tsc_ns = cycles_to_ns(cycles);
    printk(LOG_INFO, "ktest:   mdelay(40): %llu us by the PIT, %llu us by the calibrated TSC\n",
           (unsigned long long)(pit_ns / 1000), (unsigned long long)(tsc_ns / 1000));
    KT_ASSERT(pit_ns >= 36000000ULL);               /* never much shorter than asked */
    KT_ASSERT(tsc_ns <= 80000000ULL);               /* nor twice as long */
    KT_ASSERT(tsc_ns * 10 >= pit_ns * 9);           /* the TSC calibration agrees with the PIT */
    KT_ASSERT(tsc_ns * 10 <= pit_ns * 11);
}

/* The rank checker records MAX_HELD_LOCKS locks per CPU; deeper nesting
 * is counted but must not make it read past its stack. Ranks between the
 * frame allocator's and console input's, which no kernel lock uses. */
#define DEEP_LOCKS (MAX_HELD_LOCKS + 4)
static struct spinlock deep[DEEP_LOCKS + 1];

KTEST(locks, deeper_than_the_held_stack) {
    KT_ASSERT(RANK_FRAMES + DEEP_LOCKS + 1 < RANK_CONSOLE_IN);
    for (int i = 0; i <= DEEP_LOCKS; i++)
        spin_init(&deep[i], "test deep", RANK_FRAMES + 1 + i);
    int nheld_before = this_cpu()->nheld;
    for (int i = 0; i < DEEP_LOCKS; i++)
        spin_lock(&deep[i]);
    const struct spinlock *who_last = NULL, *who_first = NULL;
    enum lock_check last = spin_check(&deep[DEEP_LOCKS], &who_last);
    enum lock_check first = spin_check(&deep[0], &who_first);
    int nheld = this_cpu()->nheld;
    for (int i = DEEP_LOCKS - 1; i >= 0; i--)
        spin_unlock(&deep[i]);
    KT_ASSERT_EQ(nheld, nheld_before + DEEP_LOCKS);
    KT_ASSERT_EQ(this_cpu()->nheld, nheld_before);
    KT_ASSERT_EQ(last, LOCK_OK);
    KT_ASSERT(who_last == NULL);
    KT_ASSERT_EQ(first, LOCK_RECURSIVE);
    KT_ASSERT(who_first == &deep[0]);
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

/* Same rank: allowed in increasing address order (the tie-break), refused
 * the other way; the panicking acquisition is a crash test (test_crash.c). */
static struct spinlock same_rank[2] = {SPINLOCK_INIT("test same 0", RANK_TEST), SPINLOCK_INIT("test same 1", RANK_TEST)};

KTEST(locks, same_rank_follows_the_tie_break) {
    const struct spinlock *who;
    spin_lock(&same_rank[0]);
    enum lock_check up = spin_check(&same_rank[1], &who);
    spin_unlock(&same_rank[0]);
    spin_lock(&same_rank[1]);
    enum lock_check down = spin_check(&same_rank[0], &who);
    spin_unlock(&same_rank[1]);
    KT_ASSERT_EQ(up, LOCK_OK);
    KT_ASSERT_EQ(down, LOCK_OUT_OF_ORDER);
    KT_ASSERT(who == &same_rank[1]);
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
