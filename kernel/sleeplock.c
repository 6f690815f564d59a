/*
 * Sleeping locks and "sleep until done", over the scheduler's sleep(chan,
 * lk) and wakeup(). The state and the sleep are looked at under a condition
 * lock (the sleep lock's own `lk`; for "done" flags the instance's
 * done_lock), and
 * every wakeup takes it too, so none is lost between the test and the sleep
 * (kernel/sched.c). As on every path into the scheduler, the organisation's
 * lock comes first. No other spinlock may be held here: sched() refuses to
 * switch with one held, which is the rule "never sleep holding a spinlock"
 * enforced.
 */
#include "kernel/sleeplock.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/proc.h"

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
        sleep_nointr(l, &l->lk); /* held only briefly: a signal waits until it is ours */
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
    struct os_instance *os = this_os();
    model->sched_lock();
    spin_lock(&os->done_lock);
    while (!__atomic_load_n(done, __ATOMIC_ACQUIRE))
        sleep_nointr((void *)&os->done_pending, &os->done_lock);
    spin_unlock(&os->done_lock);
    model->sched_unlock();
}

/* The completion may come on a CPU of another instance (private: the
 * disk's interrupt goes to instance 0's): os_wake() handles both. */
void sleep_done_wakeup(struct os_instance *os) {
    os_wake(os, (void *)&os->done_pending, &os->done_lock, &os->done_pending);
}
