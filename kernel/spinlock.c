/*
 * Ticket spinlocks and the lock-rank checker.
 *
 * A ticket lock hands the lock out in arrival order (fair): each CPU takes a
 * ticket and waits until `now_serving` reaches it. Interrupts stay off while a
 * lock is held (push_off), so an interrupt handler on the same CPU can never
 * spin on a lock its own CPU holds.
 */
#include "kernel/spinlock.h"
#include "kernel/trace.h"
#include "kernel/cpu.h"
#include "kernel/cpufail.h"
#include "kernel/printk.h"
#include "kernel/smp.h"

static struct spinlock *registry_head;
static struct spinlock registry_lock = SPINLOCK_INIT("lock registry", RANK_LOCK_REGISTRY);

void spin_init(struct spinlock *l, const char *name, int rank) {
    *l = (struct spinlock)SPINLOCK_INIT(name, rank);
}

void push_off(void) {
    uint64_t flags = arch_irq_save();
    struct cpu *c = this_cpu();
    if (c->irq_depth++ == 0)
        c->irq_enabled_before = flags & (1ULL << 9);
}

void pop_off(void) {
    struct cpu *c = this_cpu();
    if (arch_irq_enabled())
        panic("pop_off with interrupts enabled");
    if (c->irq_depth <= 0)
        panic("pop_off without push_off");
    if (--c->irq_depth == 0 && c->irq_enabled_before)
        arch_irq_enable();
}

bool spin_holding(const struct spinlock *l) {
    return l->owner == cpu_id() && l->next_ticket != l->now_serving;
}

/* Only the first MAX_HELD_LOCKS held locks are recorded (note_acquired);
 * deeper ones are counted in nheld but cannot be checked. */
enum lock_check spin_check(const struct spinlock *l, const struct spinlock **conflict) {
    struct cpu *c = this_cpu();
    int recorded = c->nheld < MAX_HELD_LOCKS ? c->nheld : MAX_HELD_LOCKS;
    for (int i = 0; i < recorded; i++) {
        if (c->held[i] == l) {
            *conflict = l;
            return LOCK_RECURSIVE;
        }
    }
    /* LAB locks: BEGIN */
    for (int i = 0; i < recorded; i++) {
        const struct spinlock *h = c->held[i];
        /* Same rank: the tie-break (lockrank.h) allows only increasing
         * addresses, which for locks in an array is index order. */
        if (h->rank > l->rank || (h->rank == l->rank && (uintptr_t)h > (uintptr_t)l)) {
            *conflict = h;
            return LOCK_OUT_OF_ORDER;
        }
    }
    /* LAB locks: STUB
    // LAB locks: the rank order (kernel/lockrank.h). Taking l is out of
    // order when this CPU already holds a lock of a higher rank, or of
    // the same rank at a higher address (the tie-break): set *conflict
    // to that lock and return LOCK_OUT_OF_ORDER.
       LAB locks: END */
    *conflict = NULL;
    return LOCK_OK;
}

static void check_before_acquire(struct spinlock *l, const char *site) {
    const struct spinlock *other;
    switch (spin_check(l, &other)) {
    case LOCK_OK:
        break;
    case LOCK_RECURSIVE:
        panic("recursive acquisition of lock '%s' at %s (first taken at %s)", l->name, site, l->site);
    case LOCK_OUT_OF_ORDER:
        if (other->rank == l->rank)
            panic("lock tie-break violation: taking '%s' (rank %d, at %p) at %s while holding '%s' (rank %d, at %p, "
                  "taken at %s): locks of one rank are taken in increasing address order",
                  l->name, l->rank, (void *)l, site, other->name, other->rank, (const void *)other, other->site);
        panic("lock order violation: taking '%s' (rank %d) at %s while holding '%s' (rank %d, taken at %s)",
              l->name, l->rank, site, other->name, other->rank, other->site);
    }
}

static void register_lock(struct spinlock *l) {
    if (l == &registry_lock || __atomic_exchange_n(&l->registered, 1, __ATOMIC_ACQ_REL))
        return;
    spin_lock(&registry_lock);
    l->registry_next = registry_head;
    registry_head = l;
    spin_unlock(&registry_lock);
}

uint64_t lock_spin_cycles_total;

static void note_acquired(struct spinlock *l, const char *site, uint64_t waited, bool contended) {
    struct cpu *c = this_cpu();
    l->owner = c->id;
    l->site = site;
    l->acquired_at = arch_cycles();
    l->stats.acquisitions++;
    /* One process's own lock is not a table's: it is how a process is
     * handed from the CPU that leaves its stack to the next one, and a
     * leader's follower takes it for the process it runs (sched.c). */
    if (l->rank <= RANK_LAST_TABLE && l->rank != RANK_PROC)
        c->count.table_locks++;
    if (contended) {
        l->stats.contended++;
        l->stats.spin_cycles += waited;
        /* machine-wide, for one cheap read (sysinfo): written only when
         * a CPU has just waited anyway */
        __atomic_add_fetch(&lock_spin_cycles_total, waited, __ATOMIC_RELAXED);
    }
    if (c->nheld < MAX_HELD_LOCKS)
        c->held[c->nheld] = l;
    c->nheld++;
}

void spin_lock_at(struct spinlock *l, const char *site) {
    push_off();
    check_before_acquire(l, site);
    /* LAB locks: BEGIN */
    uint32_t ticket = __atomic_fetch_add(&l->next_ticket, 1, __ATOMIC_RELAXED);
    uint64_t start = 0;
    bool contended = __atomic_load_n(&l->now_serving, __ATOMIC_ACQUIRE) != ticket;
    if (contended) {
        trace(TR_LWAIT, (uint32_t)l->rank);
        start = arch_cycles();
        struct cpu_wait w = {-1, 0, 0, 0};
        for (uint32_t spins = 1; __atomic_load_n(&l->now_serving, __ATOMIC_ACQUIRE) != ticket; spins++) {
            smp_serve_while_waiting(); /* a waiting CPU still answers remote calls (TLB shootdown) */
            arch_cpu_relax();
            if ((spins & 0xFFFF) == 0) /* no ticks here: is the holder's heart still beating? */
                cpu_fail_waiting(&w, __atomic_load_n(&l->owner, __ATOMIC_RELAXED));
        }
    }
    /* LAB locks: STUB
    // LAB locks: take a ticket (next_ticket, atomically) and wait until
    // now_serving reaches it. While waiting, keep answering remote calls
    // (smp_serve_while_waiting) and relax the CPU (arch_cpu_relax); set
    // contended and start (arch_cycles) so that the lock's counters show
    // the wait. As it stands every CPU walks straight in.
    __atomic_fetch_add(&l->next_ticket, 1, __ATOMIC_RELAXED);
    uint64_t start = 0;
    bool contended = false;
       LAB locks: END */
    note_acquired(l, site, contended ? arch_cycles() - start : 0, contended);
    if (contended)
        trace(TR_LGOT, (uint32_t)l->rank);
    if (!l->registered)
        register_lock(l);
}

bool spin_trylock_at(struct spinlock *l, const char *site) {
    push_off();
    uint32_t serving = __atomic_load_n(&l->now_serving, __ATOMIC_ACQUIRE);
    uint32_t expect = serving;
    const struct spinlock *other;
    if (spin_check(l, &other) != LOCK_OK ||
        !__atomic_compare_exchange_n(&l->next_ticket, &expect, serving + 1, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED)) {
        pop_off();
        return false;
    }
    note_acquired(l, site, 0, false);
    if (!l->registered)
        register_lock(l);
    return true;
}

static void forget_held(struct cpu *c, struct spinlock *l) {
    for (int i = c->nheld - 1; i >= 0; i--) {
        if (i < MAX_HELD_LOCKS && c->held[i] == l) {
            for (int j = i; j + 1 < c->nheld && j + 1 < MAX_HELD_LOCKS; j++)
                c->held[j] = c->held[j + 1];
            c->nheld--;
            return;
        }
    }
    c->nheld--; /* deeper than the stack records; keep the count right */
}

void spin_unlock(struct spinlock *l) {
    struct cpu *c = this_cpu();
    if (!spin_holding(l))
        panic("release of lock '%s' by CPU %d, which does not hold it (owner %d)", l->name, c->id, l->owner);
    uint64_t held = arch_cycles() - l->acquired_at;
    if (held > l->stats.max_hold)
        l->stats.max_hold = held;
    l->owner = -1;
    forget_held(c, l);
    __atomic_store_n(&l->now_serving, l->now_serving + 1, __ATOMIC_RELEASE);
    pop_off();
}

void spin_reset_stats(struct spinlock *l) { l->stats = (struct lock_stats){0}; }

void spin_dump_all(void) {
    printk(LOG_INFO, "%-24s %4s %12s %10s %14s %12s\n", "lock", "rank", "acquired", "contended", "spin cycles",
           "max hold");
    for (struct spinlock *l = __atomic_load_n(&registry_head, __ATOMIC_ACQUIRE); l; l = l->registry_next)
        printk(LOG_INFO, "%-24s %4d %12llu %10llu %14llu %12llu\n", l->name, l->rank,
               (unsigned long long)l->stats.acquisitions, (unsigned long long)l->stats.contended,
               (unsigned long long)l->stats.spin_cycles, (unsigned long long)l->stats.max_hold);
}

const struct spinlock *spin_registered(int index) {
    const struct spinlock *l = __atomic_load_n(&registry_head, __ATOMIC_ACQUIRE);
    for (; l && index > 0; index--)
        l = l->registry_next; /* locks are only ever added, at the head */
    return index < 0 ? NULL : l;
}
