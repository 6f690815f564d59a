/*
 * The organisation interface. Each multiprocessor organisation is one file
 * in kernel/model/ that fills this table; the rest of the kernel calls
 * through it and never asks which organisation runs.
 */
#ifndef MODEL_H
#define MODEL_H

#include "arch.h"

struct proc;
struct abi_model_stat;

struct model_ops {
    const char *name;
    /* Once on the boot CPU, before the other CPUs start. */
    void (*init)(void);
    /* Entering the kernel from user mode (system call, exception, or a
     * timer tick that wants to reschedule), and leaving it again. */
    void (*kernel_enter)(void);
    void (*kernel_exit)(void);
    /* How a system call reaches the kernel's tables. */
    long (*syscall)(struct trap_frame *f);
    /* The organisation's scheduler lock: what every path into the
     * scheduler (wakeup, sleep, yield, fork, exit, wait, kill, the
     * scheduler loop) takes first, before the process table's lock and any
     * process's lock (proc.c, sched.c take those themselves). bkl: the big
     * kernel lock, so that interrupt handlers and kernel threads, which do
     * not enter through kernel_enter, hold it too. fine: nothing at all --
     * its ready queues have their own locks (Lrq and Lawt, or one per CPU),
     * taken inside enqueue/pick_next/dequeue, after the process's lock.
     * Recursive per CPU; held across a context switch. Interrupts are off
     * on this CPU from before the lock counts as held until it is released
     * for the last time, so an interrupt never sees it half taken.
     * sched_locked(): this CPU holds it (fine: always true, there is
     * nothing to hold). */
    void (*sched_lock)(void);
    void (*sched_unlock)(void);
    bool (*sched_locked)(void);
    /* Around a context switch, which hands the scheduler lock from the
     * thread that gives up the CPU to this CPU's scheduler loop, where it is
     * held exactly once (as the thread's own p->lock is, sched.c).
     * switch_save() returns the leaving thread's own hold (e.g. a
     * recursion depth) and leaves the lock held once; the thread gets its
     * hold back through switch_restore() when it runs again, possibly on
     * another CPU. Only locks ranked below RANK_PROC_TABLE may be held
     * across a switch, besides the thread's own p->lock. */
    long (*switch_save)(void);
    void (*switch_restore)(long saved);
    /* Put a runnable process on a ready queue / take the next one off for
     * this CPU (NULL: nothing to run). Called with the scheduler lock;
     * enqueue also with p->lock held (the caller has set p->state), and
     * pick_next with no process lock: the scheduler loop takes the picked
     * process's lock afterwards. The organisation takes its own queue
     * locks inside (fine: Lrq then Lawt, or the CPU's queue lock). */
    void (*enqueue)(struct proc *p);
    struct proc *(*pick_next)(void);
    /* Take runnable p off its ready queue again (before its affinity
     * changes). Called with the scheduler lock and p->lock. Returns false
     * when p was on no queue: a CPU has picked it and is about to run it. */
    bool (*dequeue)(struct proc *p);
    /* Ready processes waiting for `cpu`. Lock-free and possibly stale:
     * an idle CPU looks here before it takes any lock, and sysinfo shows it.
     * A count that enqueue() raised is seen by a CPU that afterwards marks
     * itself idle and looks again (both sides are sequentially consistent). */
    int (*ready_count)(int cpu);
    /* After make_runnable(p): the idle CPU to wake up for p, or -1 when p
     * can run soon without one (a CPU about to look at the ready queues,
     * such as the waker's own when it is about to sleep or has just forked
     * p, will take it). Scheduler lock held. */
    int (*cpu_to_wake)(struct proc *p);
    /* In this CPU's scheduler loop, right after p gave up the CPU, with the
     * scheduler lock and p->lock held: p's stack is no longer in use here;
     * another CPU may take p as soon as p->lock is released. */
    void (*switched_out)(struct proc *p);
    /* An idle CPU with nothing in ready_count() waits here. Interrupts are
     * off on entry and on return; in between the organisation may halt
     * until an interrupt (sti; hlt) or poll shared memory. */
    void (*idle_wait)(void);
    /* Every timer tick on every CPU, in the interrupt, before the time
     * slice is looked at. */
    void (*tick)(void);
    /* What `cpus` and sysinfo show: the CPU's role in this organisation
     * ("cpu", "leader", "follower", ...) and up to `max` named counters of
     * the organisation's own (returns how many it filled). */
    const char *(*cpu_role)(int cpu);
    /* Whether `cpu` runs kernel code at all: system-call handlers and
     * kernel threads (leader: only the leader). syscall_run() checks it. */
    bool (*runs_kernel)(int cpu);
    /* Whether `cpu` runs user processes (leader_runs_user=0: not the
     * leader); setaffinity refuses the others. */
    bool (*runs_user)(int cpu);
    int (*stats)(struct abi_model_stat *out, int max);
    /* `cpu` has stopped dead (kernel/cpufail.c): called once, on the CPU
     * that noticed, in its timer interrupt (or while it spun waiting for
     * the dead one), after the report and after `cpu` went offline. What
     * is lost with it, and whether the kernel can go on, is the
     * organisation's answer (docs/organisations.md, "When a CPU fails"). */
    void (*cpu_failed)(int cpu);
};

extern const struct model_ops *model;
extern const struct model_ops model_bkl;
extern const struct model_ops model_leader;
extern const struct model_ops model_private;

/* For stats(): store one named counter at out[n] unless the array is full;
 * returns how many entries are filled now. */
int model_stat_put(struct abi_model_stat *out, int n, int max, const char *name, int cpu, uint64_t value);
extern const struct model_ops model_fine;

/* Choose the organisation by name (model= option); false if unknown. */
bool model_select(const char *name);

#endif
