/*
 * Ticket spinlocks with a name, a rank (lockrank.h), the owning CPU and the
 * acquiring site, plus counters, so that `locks` can show where a kernel
 * organisation spends its time waiting (spin_dump_all prints them; the
 * locks.dump_counters kernel test shows the table).
 */
#ifndef SPINLOCK_H
#define SPINLOCK_H

#include "lib/types.h"
#include "kernel/lockrank.h"

struct lock_stats {
    uint64_t acquisitions;
    uint64_t contended;     /* acquisitions that had to wait */
    uint64_t spin_cycles;   /* cycles spent waiting, in total */
    uint64_t max_hold;      /* longest hold, in cycles */
};

struct spinlock {
    volatile uint32_t next_ticket;
    volatile uint32_t now_serving;
    const char *name;
    int rank;
    volatile int owner;         /* CPU number, or -1 */
    const char *site;           /* "file.c:123" of the current holder */
    uint64_t acquired_at;       /* cycle counter when taken */
    struct lock_stats stats;
    struct spinlock *registry_next;
    volatile int registered;
};

#define SPINLOCK_INIT(name_, rank_) {.name = (name_), .rank = (rank_), .owner = -1}

#define SPIN_STR2(x) #x
#define SPIN_STR(x) SPIN_STR2(x)
#define SPIN_SITE __FILE__ ":" SPIN_STR(__LINE__)

void spin_init(struct spinlock *l, const char *name, int rank);
/* Cycles all CPUs have spent spinning for contended locks since boot. */
extern uint64_t lock_spin_cycles_total;
#define spin_lock(l) spin_lock_at((l), SPIN_SITE)
void spin_lock_at(struct spinlock *l, const char *site);
/* Take the lock only if it is free right now (and taking it would respect
 * the rank order); false otherwise. */
#define spin_trylock(l) spin_trylock_at((l), SPIN_SITE)
bool spin_trylock_at(struct spinlock *l, const char *site);
void spin_unlock(struct spinlock *l);
bool spin_holding(const struct spinlock *l);

/* What taking `l` now would be: fine, a recursive acquisition, or out of rank
 * order. spin_lock() panics on the last two; tests ask here instead. */
enum lock_check { LOCK_OK, LOCK_RECURSIVE, LOCK_OUT_OF_ORDER };
enum lock_check spin_check(const struct spinlock *l, const struct spinlock **conflict);

/* Interrupt disabling that nests: the outermost pop restores the old state. */
void push_off(void);
void pop_off(void);

/* Print every lock that has been taken, with its counters. */
void spin_dump_all(void);
void spin_reset_stats(struct spinlock *l);
/* The index-th lock ever taken (registry order): NULL past the last. */
const struct spinlock *spin_registered(int index);

#endif
