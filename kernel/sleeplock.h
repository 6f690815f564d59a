/*
 * Sleeping locks: a process that finds one taken sleeps until it is given
 * back, instead of spinning, so it may be held across disk I/O (a buffer
 * while its block is read, an inode while its blocks are allocated).
 * Built on the scheduler's sleep_on/wakeup; only kernel/sleeplock.c knows
 * how, so an organisation that changes the sleep interface changes that
 * one file. Ranks: kernel/lockrank.h, 15-18.
 */
#ifndef SLEEPLOCK_H
#define SLEEPLOCK_H

#include "lib/types.h"

struct proc;

struct sleeplock {
    volatile bool locked;
    struct proc *owner;     /* NULL while free, or at boot before any process */
    const char *name;
    int rank;
    uint64_t acquisitions, contended;
};

#define SLEEPLOCK_INIT(name_, rank_) {.name = (name_), .rank = (rank_)}
void sleep_init(struct sleeplock *l, const char *name, int rank);
void sleep_lock(struct sleeplock *l);
void sleep_unlock(struct sleeplock *l);
bool sleep_holding(const struct sleeplock *l);

/* Sleep until *done is nonzero; the waker sets it, then calls
 * sleep_done_wakeup(done). Before the scheduler runs (no current process)
 * the caller polls instead: poll() is called until *done is set. */
void sleep_until(volatile int *done, void (*poll)(void *), void *arg);
void sleep_done_wakeup(volatile int *done);

#endif
