/*
 * Sleeping locks and "sleep until done", over the scheduler's sleep_on()
 * and wakeup(). The flag and the sleep are looked at under the scheduler
 * lock, and every wakeup takes it too, so none is lost between the test
 * and the sleep (kernel/sched.c). No spinlock may be held here: sched()
 * refuses to switch with one held, which is the rule "never sleep holding a
 * spinlock" enforced.
 */
#include "kernel/sleeplock.h"
#include "kernel/model.h"
#include "kernel/printk.h"
#include "kernel/proc.h"

void sleep_init(struct sleeplock *l, const char *name, int rank) {
    *l = (struct sleeplock){.name = name, .rank = rank};
}

void sleep_lock(struct sleeplock *l) {
    struct proc *p = current_proc();
    model->sched_lock();
    if (l->locked && p && l->owner == p)
        panic("sleep_lock: '%s' taken twice by process %d", l->name, p->pid);
    if (l->locked) {
        l->contended++;
        if (!p)
            panic("sleep_lock: '%s' is taken and there is no process to sleep", l->name);
    }
    while (l->locked)
        sleep_on(l);
    l->locked = true;
    l->owner = p;
    l->acquisitions++;
    model->sched_unlock();
}

void sleep_unlock(struct sleeplock *l) {
    model->sched_lock();
    if (!l->locked)
        panic("sleep_unlock: '%s' is not taken", l->name);
    l->locked = false;
    l->owner = NULL;
    wakeup_locked(l);
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
    while (!__atomic_load_n(done, __ATOMIC_ACQUIRE))
        sleep_on((void *)done);
    model->sched_unlock();
}

/* The waker may be an interrupt on another CPU. wakeup() looks in the
 * process table of the waker's OS instance: with one instance (bkl,
 * leader, fine) that is the waiter's. An organisation with several
 * (private) must wake the waiter's instance here. */
void sleep_done_wakeup(volatile int *done) { wakeup((void *)done); }
