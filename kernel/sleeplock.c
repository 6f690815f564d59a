/*
 * Sleeping locks and "sleep until done", over the scheduler's sleep(chan,
 * lk) and wakeup(). The state and the sleep are looked at under a condition
 * lock (the sleep lock's own `lk`; for "done" flags one lock for all), and
 * every wakeup takes it too, so none is lost between the test and the sleep
 * (kernel/sched.c). As on every path into the scheduler, the organisation's
 * lock comes first. No other spinlock may be held here: sched() refuses to
 * switch with one held, which is the rule "never sleep holding a spinlock"
 * enforced.
 */
#include "kernel/sleeplock.h"
#include "kernel/model.h"
#include "kernel/printk.h"
#include "kernel/proc.h"

/* The condition lock of every sleep_until(): the waker (often the disk's
 * interrupt) sets the flag, then takes this lock to wake the waiter, who
 * looks at the flag and goes to sleep under it. */
static struct spinlock done_lock = SPINLOCK_INIT("sleep until done", RANK_SLEEP_COND);

void sleep_init(struct sleeplock *l, const char *name, int rank) {
    *l = (struct sleeplock){.name = name, .rank = rank};
    spin_init(&l->lk, name, RANK_SLEEP_COND);
}

void sleep_lock(struct sleeplock *l) {
    struct proc *p = current_proc();
    model->sched_lock();
    spin_lock(&l->lk);
    if (l->locked && p && l->owner == p)
        panic("sleep_lock: '%s' taken twice by process %d", l->name, p->pid);
    if (l->locked) {
        l->contended++;
        if (!p)
            panic("sleep_lock: '%s' is taken and there is no process to sleep", l->name);
    }
    while (l->locked)
        sleep(l, &l->lk);
    l->locked = true;
    l->owner = p;
    l->acquisitions++;
    spin_unlock(&l->lk);
    model->sched_unlock();
}

void sleep_unlock(struct sleeplock *l) {
    model->sched_lock();
    spin_lock(&l->lk);
    if (!l->locked)
        panic("sleep_unlock: '%s' is not taken", l->name);
    l->locked = false;
    l->owner = NULL;
    wakeup(l);
    spin_unlock(&l->lk);
    model->sched_unlock();
}

bool sleep_holding(const struct sleeplock *l) {
    return l->locked && l->owner == current_proc();
}

void sleep_until(volatile int *done, void (*poll)(void *), void *arg) {
    if (!current_proc()) {
        while (!__atomic_load_n(done, __ATOMIC_ACQUIRE))
            poll(arg);
        return;
    }
    model->sched_lock();
    spin_lock(&done_lock);
    while (!__atomic_load_n(done, __ATOMIC_ACQUIRE))
        sleep((void *)done, &done_lock);
    spin_unlock(&done_lock);
    model->sched_unlock();
}

/* The waker may be an interrupt on another CPU. wakeup() looks in the
 * process table of the waker's OS instance: with one instance (bkl,
 * leader, fine) that is the waiter's. An organisation with several
 * (private) must wake the waiter's instance here. */
void sleep_done_wakeup(volatile int *done) {
    model->sched_lock();
    spin_lock(&done_lock);
    wakeup((void *)done);
    spin_unlock(&done_lock);
    model->sched_unlock();
}
