/*
 * Per-CPU state. Each CPU reaches its own struct cpu through this_cpu(),
 * a load from GS:0 (the GS base register holds the structure's address).
 */
#ifndef CPU_H
#define CPU_H

#include "lib/types.h"
#include "arch.h"

#define MAX_CPUS 64
#define MAX_HELD_LOCKS 16

struct spinlock;
struct os_instance;
struct proc;

struct cpu_counters {
    uint64_t ticks;
    uint64_t idle_ticks;
    uint64_t syscalls;
    uint64_t switches;
    uint64_t irqs;
    uint64_t ipis;
    uint64_t handlers;      /* system-call handlers run here (syscall_run) */
    uint64_t table_locks;   /* locks over the kernel's tables taken here (lockrank.h) */
};

struct cpu {
    /* Fixed offsets: used by the syscall entry in assembly (asm_offsets). */
    struct cpu *self;           /* GS:0 */
    uint64_t kstack_top;        /* GS:8, stack used on entry from user mode */
    uint64_t user_rsp;          /* GS:16, scratch for the syscall entry */

    int id;                     /* dense: 0 .. ncpus-1 */
    volatile bool online;
    struct os_instance *os;     /* the OS instance this CPU serves */
    struct proc *current;       /* running process, or NULL when idle */

    int irq_depth;              /* push_off() nesting */
    bool irq_enabled_before;    /* interrupt state at the outermost push_off() */

    const struct spinlock *held[MAX_HELD_LOCKS]; /* rank checker's stack */
    int nheld;

    struct kcatch *catch;       /* armed by tests that expect a fault */
    struct context *sched_ctx;  /* this CPU's scheduler loop */
    volatile bool idle;         /* halted in the scheduler, waiting for work */
    volatile bool need_resched; /* time slice used up */
    struct cpu_counters count;
    uint64_t boot_cycles;       /* how long bring-up took (SMP) */
    /* CPU failure (kernel/cpufail.c): the heartbeat is this CPU's timer
     * ticks, which the others watch; fail_how is what cpufail() asked of
     * it (ABI_CPUFAIL_*, 0: nothing, -1: it has stopped); failed is set
     * once, by the CPU that declares it dead, which clears online too. */
    volatile uint64_t heartbeat;
    volatile int fail_how;
    volatile bool failed;
    struct arch_cpu arch;
};

extern struct cpu cpus[MAX_CPUS];
extern int ncpus;               /* CPUs online */

static inline struct cpu *this_cpu(void) { return arch_this_cpu(); }
static inline int cpu_id(void) { return this_cpu()->id; }

#endif
