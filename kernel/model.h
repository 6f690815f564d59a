/*
 * The organisation interface. Each multiprocessor organisation is one file
 * in kernel/model/ that fills this table; the rest of the kernel calls
 * through it and never asks which organisation runs.
 */
#ifndef MODEL_H
#define MODEL_H

#include "arch.h"

struct proc;

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
    /* The lock over the process table and ready queues, and its release.
     * Recursive per CPU; held across a context switch. */
    void (*sched_lock)(void);
    void (*sched_unlock)(void);
    bool (*sched_locked)(void);
    /* Put a runnable process on a ready queue / take the next one off for
     * this CPU (NULL: nothing to run). Called with the scheduler lock. */
    void (*enqueue)(struct proc *p);
    struct proc *(*pick_next)(void);
    /* Ready processes waiting for this CPU (for sysinfo). */
    int (*ready_count)(int cpu);
};

extern const struct model_ops *model;
extern const struct model_ops model_bkl;

/* Choose the organisation by name (model= option); false if unknown. */
bool model_select(const char *name);

#endif
