/*
 * An OS instance: one copy of the kernel's tables. The shared organisations
 * (leader, bkl, fine) run one instance on all CPUs; `private` runs one per
 * CPU, each over its own slice of memory. Every CPU reaches the instance it
 * serves through this_cpu()->os, so the code that uses the tables does not
 * need to know which organisation runs.
 *
 * Boot: every CPU serves instance 0 until model->init() says otherwise
 * (`private` creates one instance per CPU there). The first CPU that comes
 * to serve an instance claims it (os_instance_claim): it allocates the
 * instance's process table from the instance's own memory, becomes the CPU
 * that scans the instance's sleepers, and starts the instance's programs
 * (its own init, or on the boot instance the kernel tests).
 */
#ifndef OS_H
#define OS_H

#include "kernel/cpu.h"
#include "kernel/frame.h"
#include "kernel/heap.h"
#include "kernel/file.h"
#include "kernel/spinlock.h"
#include "lib/list.h"
#include "user/include/abi.h"

#define MAX_OS_INSTANCES MAX_CPUS

struct proc;
struct bcache;
struct worktable;
struct ext2_fs;

/* Each lock here guards this instance's table only, so that instances
 * (private: one per CPU) never share a lock. */
struct os_instance {
    int id;
    struct frame_pool frames;       /* physical memory (frames.lock) */
    struct heap heap;               /* kernel heap (one lock per size class) */
    struct spinlock proc_lock;      /* process table: slots, pids, parents */
    struct proc *procs;             /* process table (MAX_PROCS slots) */
    struct addrspace *spaces;       /* address spaces (AS_SLOTS), claimed atomically (vm.c) */
    int next_pid;
    struct list_node ready[ABI_NPRIO]; /* priority ready queues (bkl, leader, private; fine keeps its own) */
    struct spinlock files_lock;     /* open-file table: slots, reference counts, the console file's count */
    struct file *files;             /* open-file table (MAX_FILES slots, from the instance's heap: the
                                     * instances' array stays small enough for an 8 MiB boot) */
    struct file console;            /* this instance's view of the console */
    struct proc *init;              /* its first process, or NULL */
    struct kstack_area kstacks;     /* its processes' kernel stacks (arch.h) */

    /* The organisation's lock over this instance's tables, for those that
     * have one lock per instance (private), and its recursion depth. */
    struct spinlock lock;
    int depth;
    volatile int nready;            /* ready processes (private's ready_count) */

    /* sleep_ms() and poll() deadlines: how many sleep, and the earliest
     * one; `timers` is the condition lock of every sleep_ms() and poll() of
     * this instance. */
    volatile int sleepers_with_deadline;
    volatile uint64_t next_deadline_ns;
    struct spinlock timers;
    /* poll() (kernel/poll.c): processes inside it, and the count of events
     * (pipe and console changes) they may wait for; bumped under `timers`. */
    volatile int pollers;
    volatile uint64_t poll_gen;
    uint64_t next_watch_ns;         /* the lost-wakeup watchdog's next look (sched.c) */
    volatile int console_pending;   /* input came for it while another CPU took it */
    volatile int console_intr_pending; /* Ctrl-C for it, taken on another instance's CPU */
    volatile uint64_t next_alarm_ns; /* its processes' earliest alarm, under `timers` (kernel/signal.c) */
    struct spinlock console_readers; /* condition lock of its console readers (fs.c) */
    /* sleep_until()'s waiters (the disk's): their condition lock, and the
     * flag a completion on another instance's CPU leaves (sleeplock.c). */
    struct spinlock done_lock;
    volatile int done_pending;

    char lock_names[8][24];         /* "frames (os 2)", ...: the `locks` dump says whose */
    volatile int claimed;           /* a CPU serves it (os_instance_claim) */
    int first_cpu;                  /* that CPU: it scans the sleepers */
    struct bcache *bcache;          /* buffer cache: one per instance (kernel/bcache.h) */
    struct ext2_fs *fs;             /* the root file system as this instance sees it */
    struct worktable *work;         /* the benchmark's work table (kernel/worktable.h) */
};

extern struct os_instance os_instances[MAX_OS_INSTANCES];
extern int os_instance_count;

static inline struct os_instance *this_os(void) { return this_cpu()->os; }
/* The instance whose frame pool holds physical address pa. */
struct frame_pool *os_pool_owning(uint64_t pa);
/* The fields that do not depend on memory (locks, console file, sleepers). */
void os_instance_setup(struct os_instance *os, int id);
/* On a CPU that starts serving its instance: true if it is the first, and
 * then it has set up the instance's process table. */
bool os_instance_claim(void);
/* The programs an instance starts: its init (run= or the shell), or, on
 * the boot instance of a test= boot, the kernel tests. */
void os_instance_start_programs(void);
/* Work that other CPUs left for this instance (console input), and the
 * sleepers whose deadline passed: from the timer tick and the resched IPI. */
void os_poll_events(void);
/* Wake os's sleepers on chan, whose condition lock is lk: at once if this
 * CPU serves os, else through *pending and a resched IPI to the CPU that
 * does (os_poll_events then wakes them there). */
void os_wake(struct os_instance *os, void *chan, struct spinlock *lk, volatile int *pending);
/* Wake instance `id`'s console readers (os_wake). */
void os_console_input_for(int id);
/* Ctrl-C for instance `id`: SIGINT to its processes, here or on its CPU. */
void os_console_interrupt_for(int id);
/* The CPU serving instance `id`, or -1 if none does (yet). */
int os_instance_cpu(int id);

#endif
