/*
 * Sleeping locks: a process that finds one taken sleeps until it is given
 * back, instead of spinning, so it may be held across disk I/O (a buffer
 * while its block is read, an inode while its blocks are allocated).
 * Built on the scheduler's sleep(chan, lk) and wakeup(): each sleep lock has
 * a spinlock of its own (`lk`, RANK_SLEEP_COND) under which its state is
 * looked at and its waiters go to sleep, so no wakeup is lost even where
 * no big lock is held (fine). Ranks: kernel/lockrank.h, 15-18.
 */
#ifndef SLEEPLOCK_H
#define SLEEPLOCK_H

#include "lib/types.h"
#include "kernel/spinlock.h"

struct proc;

struct sleeplock {
    struct spinlock lk;     /* over the fields below; the waiters' condition lock */
    volatile bool locked;
    struct proc *owner;     /* NULL while free, or at boot before any process */
    const char *name;
    int rank;
    uint64_t acquisitions, contended;
};

#define SLEEPLOCK_INIT(name_, rank_) {.lk = SPINLOCK_INIT(name_, RANK_SLEEP_COND), .name = (name_), .rank = (rank_)}
void sleep_init(struct sleeplock *l, const char *name, int rank);
void sleep_lock(struct sleeplock *l);
void sleep_unlock(struct sleeplock *l);
bool sleep_holding(const struct sleeplock *l);

/* Sleep until *done is nonzero. The waker sets it, then calls
 * sleep_done_wakeup() with the waiter's OS instance, which the caller
 * recorded beforehand: under `private` the disk's interrupt comes to
 * instance 0's CPU whoever waits. The waiters of one instance share one
 * channel and each looks at its own flag again. Before the scheduler runs
 * (no current process) the caller polls instead: poll() is called until
 * *done is set. */
struct os_instance;
void sleep_until(volatile int *done, void (*poll)(void *), void *arg);
void sleep_done_wakeup(struct os_instance *os);

#endif
