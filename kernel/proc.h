/*
 * Processes and kernel threads. A process has a user address space, a
 * kernel stack (with the user trap frame at its top) and a saved kernel
 * context for arch_switch(); a kernel thread has only the last two.
 */
#ifndef PROC_H
#define PROC_H

#include "lib/list.h"
#include "lib/types.h"
#include "kernel/cpu.h"
#include "kernel/file.h"
#include "user/include/abi.h"

#define MAX_PROCS 64
#define NOFILE 16
#define NPRIO ABI_NPRIO
#define DEFAULT_PRIO 4

enum proc_state { P_UNUSED, P_EMBRYO, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE };

struct addrspace {
    uint64_t root;          /* physical address of the top-level page table */
    uint64_t image_end;     /* end of the loaded segments: the break starts here */
    uint64_t brk;           /* current program break */
};

struct proc {
    enum proc_state state;
    int pid;
    struct proc *parent;
    char name[ABI_NAME_MAX];
    int prio;
    int cpu;                    /* CPU running it, or the last one that did */
    int user_cpu;               /* CPU its user code ran on when it last entered the kernel */
    int affinity;               /* the one CPU it may run on, or -1: any (setaffinity) */
    bool is_kthread;
    void (*kfn)(void *);        /* kernel threads: what to run */
    void *karg;

    struct context *ctx;        /* saved by arch_switch */
    uint64_t kstack_top;
    struct trap_frame *tf;      /* user registers, at the top of the kernel stack */
    struct addrspace *as;       /* NULL for kernel threads */
    struct file *files[NOFILE];

    void *wait_channel;         /* what a sleeping process waits for */
    uint64_t wake_at_ns;        /* sleep_ms deadline, 0 = none */
    int killed;                 /* signal number of a pending kill, 0 = none */
    int exit_status;            /* wait status once a zombie */

    uint64_t started_ns, runtime_ns, last_switch_in;
    unsigned slice_ticks;       /* timer ticks since it was last switched in */
    uint64_t child_runtime_ns;
    struct list_node rq;        /* ready-queue link */
    char cwd[ABI_PATH_MAX];     /* working directory, absolute ("" = "/") */
    uint32_t cloexec;           /* bit fd: close files[fd] on exec */
    uint8_t fpu[FPU_STATE_SIZE] __attribute__((aligned(16)));
};

static inline struct proc *current_proc(void) { return this_cpu()->current; }
/* Its affinity lets p run on `cpu`: every organisation's pick_next asks. */
static inline bool proc_may_run_on(const struct proc *p, int cpu) { return p->affinity < 0 || p->affinity == cpu; }
int proc_set_affinity(int pid, int cpu);

/* Lifecycle (kernel/proc.c). */
void proc_free(struct proc *p);
struct proc *kthread_create(const char *name, void (*fn)(void *), void *arg, int prio);
int proc_fork(void);
__attribute__((noreturn)) void proc_exit(int wait_status);
int proc_wait(int pid, uint64_t user_status, int options);
int proc_kill(int pid, int sig);
struct proc *proc_find(int pid);
void proc_start_init(const char *path, const char *args);
/* kernel/main.c: an instance's init started / ended; the machine powers
 * off when the last one ends, with the first failing status. */
void init_started(void);
void init_exited(int status);
/* Replace p's program by the archive file `path` (kernel/exec.c). */
int exec_into(struct proc *p, const char *path, const char *args);
int proc_wait_kernel(int pid, int *status);

/* Scheduling (kernel/sched.c). */
__attribute__((noreturn)) void scheduler(void);
void sched(void);                   /* give up the CPU; the scheduler lock is held */
void yield(void);
void sleep_on(void *chan);          /* scheduler lock held; returns with it held */
void wakeup(void *chan);            /* takes the scheduler lock */
void wakeup_locked(void *chan);
void make_runnable(struct proc *p); /* scheduler lock held */
void sched_tick(struct trap_frame *f);
int sleep_ms(uint64_t ms);
/* Wake this instance's sleep_ms() sleepers whose deadline has passed
 * (timer tick, on the instance's first CPU). */
void sched_wake_expired_sleepers(void);

#endif
