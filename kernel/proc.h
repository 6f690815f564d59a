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
#include "kernel/mmap.h"
#include "kernel/spinlock.h"
#include "user/include/abi.h"

#define MAX_PROCS 64
#define NOFILE ABI_NOFILE
#define NPRIO ABI_NPRIO
#define DEFAULT_PRIO 4

enum proc_state { P_UNUSED, P_EMBRYO, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE };

struct addrspace {
    struct spinlock lock;   /* page tables, break and mappings (RANK_ADDRSPACE) */
    volatile int in_use;    /* a slot of the instance's address-space table (vm.c) */
    uint64_t root;          /* physical address of the top-level page table */
    uint64_t image_end;     /* end of the loaded segments: the break starts here */
    uint64_t brk;           /* current program break */
    struct vm_regions maps; /* mmap()'s regions (kernel/mmap.c), under `lock` */
};

/*
 * Locking (docs/locks.md): `lock` (RANK_PROC) guards state, wait_channel,
 * sleep_intr, killed, exit_status, prio, affinity and the signal state
 * (sig_*, alarm_ns), and is held across a context
 * switch (from sched() until the scheduler loop has left the stack). The
 * process table's lock (os->proc_lock, RANK_PROC_TABLE, taken first) guards
 * the slot itself (UNUSED <-> EMBRYO), pid and parent. The rest belongs to
 * the process itself: only its own thread touches it.
 */
struct proc {
    struct spinlock lock;       /* first: proc_clear() keeps it */
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
    int killed;                 /* must end with this signal (SIGKILL, out of memory), 0 = no */
    int exit_status;            /* wait status once a zombie */
    uint64_t exited_ns;         /* when it became a zombie (the lost-wakeup watchdog) */
    int wait_pid;               /* asleep in wait(): the pid it waits for, -1 any */
    bool lost_seen;             /* the watchdog reported this sleep already */
    bool sleep_intr;            /* asleep in sleep(): a signal wakes it (sleep_nointr: not) */

    /* Signals (kernel/signal.c): sets of bit n = signal n, under `lock`.
     * Only the process itself changes its actions and blocked set; others
     * post signals and look at what it does with them. */
    uint32_t sig_pending;       /* posted, not yet delivered */
    uint32_t sig_blocked;
    uint32_t sig_saved_mask;    /* sigsuspend: the mask to go back to */
    bool sig_mask_saved;        /* sig_saved_mask is set */
    int sig_restart_nr;         /* the system call that just returned -EINTR and may restart, or -1 */
    uint64_t alarm_ns;          /* when SIGALRM is due (uptime), 0 = no alarm; also under os->timers */
    struct abi_sigaction sig_action[ABI_NSIG];
    struct abi_siginfo sig_info[ABI_NSIG]; /* what a pending signal's handler will be told */

    uint64_t started_ns, runtime_ns, last_switch_in;
    unsigned slice_ticks;       /* timer ticks since it was last switched in */
    uint64_t child_runtime_ns;
    struct list_node rq;        /* ready-queue link */
    int rq_cpu;                 /* whose ready queue holds it (per-CPU queues) */
    volatile bool in_kernel;    /* inside a system call or fault from user mode (cpus: INKERN) */
    char cwd[ABI_PATH_MAX];     /* working directory, absolute ("" = "/") */
    uint32_t cloexec;           /* bit fd: close files[fd] on exec */
    uint32_t umask;             /* permission bits taken away from created files (inherited) */
    uint8_t fpu[FPU_STATE_SIZE] __attribute__((aligned(16)));
};

static inline struct proc *current_proc(void) { return this_cpu()->current; }
/* A sleep that a signal interrupts should end: p must die, or a signal is
 * pending that it does not block (kernel/signal.c drops ignored ones when
 * they are posted). A lock-free look is fine in a sleeper's loop: sleep()
 * looks again under p->lock, and posting a signal takes it. */
static inline bool proc_interrupted(const struct proc *p) {
    return p->killed || (__atomic_load_n(&p->sig_pending, __ATOMIC_RELAXED) & ~p->sig_blocked);
}
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
struct proc *proc_find(int pid);    /* process table lock held */
void proc_start_init(const char *path, const char *args);
/* kernel/main.c: an instance's init started / ended; the machine powers
 * off when the last one ends, with the first failing status. */
void init_started(void);
void init_exited(int status);
void init_lost(int instance); /* its CPU failed: the machine no longer waits for it */
void machine_poweroff(int code); /* kernel/main.c: QEMU exits with code 0 as pass */
/* Replace p's program by the archive file `path` (kernel/exec.c). */
int exec_into(struct proc *p, const char *path, const char *args);
int proc_wait_kernel(int pid, int *status);
/* `cpu` has failed holding no lock: kill the process it ran (SIGKILL, the
 * parent's wait status says so) and unpin those pinned to it. Takes the
 * scheduler lock, the table lock and each process's lock itself. */
void proc_lost_on_cpu(int cpu);

/* Scheduling (kernel/sched.c). */
__attribute__((noreturn)) void scheduler(void);
/* Give up the CPU: the caller holds its own p->lock (and the organisation's
 * model->sched_lock(), taken before it) and nothing else. */
void sched(void);
void yield(void);
/* Sleep on chan, as xv6's sleep(chan, lk): the caller holds lk (rank below
 * RANK_PROC, e.g. RANK_SLEEP_COND or the process table's), has just found
 * its condition false under it, and gets lk back held on return. lk is
 * released only once the process is marked asleep under its own lock, so a
 * waker that changes the condition under lk and then calls wakeup(chan)
 * cannot miss it. Returns at once when proc_interrupted() (killed, or a
 * signal to deliver), and a signal posted meanwhile wakes it: callers
 * check proc_interrupted() in their loop and return -EINTR. Like any
 * wakeup this may be spurious: callers loop on their condition. */
void sleep(void *chan, struct spinlock *lk);
/* The same, but a signal does not end it (sleep locks, the disk: waits
 * that end soon on their own). */
void sleep_nointr(void *chan, struct spinlock *lk);
/* Wake every process sleeping on chan. Takes each process's lock in turn;
 * the caller holds no process lock. */
void wakeup(void *chan);
/* p->lock held: mark p runnable and queue it. */
void make_runnable(struct proc *p);
/* Process-table and per-process locks (kernel/proc.c). */
void proc_table_lock(void);
void proc_table_unlock(void);
void proc_lock(struct proc *p);
void proc_unlock(struct proc *p);
/* The scheduler loop, after a zombie left its CPU: free it if it has no
 * parent to wait for it (takes the table lock and p->lock, rechecks). */
void proc_reap_orphan(struct proc *p);
void sched_tick(struct trap_frame *f);
int sleep_ms(uint64_t ms);
/* Per instance, on the instance's first CPU (os_poll_events): wake the
 * sleep_ms() sleepers whose deadline has passed; and, once a second, count
 * and report sleepers whose event already happened (the lost-wakeup
 * watchdog). */
void sched_wake_expired_sleepers(void);
void sched_watch_lost_wakeups(void);
/* Waiters the watchdog found asleep with their event signalled, all instances. */
extern volatile uint32_t lost_wakeups;

#endif
