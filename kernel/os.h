/*
 * An OS instance: one copy of the kernel's tables. The shared organisations
 * (leader, bkl, fine) run one instance on all CPUs; `private` runs one per
 * CPU, each over its own slice of memory. Every CPU reaches the instance it
 * serves through this_cpu()->os, so the code that uses the tables does not
 * need to know which organisation runs.
 */
#ifndef OS_H
#define OS_H

#include "kernel/cpu.h"
#include "kernel/frame.h"
#include "kernel/heap.h"
#include "kernel/file.h"
#include "lib/list.h"
#include "user/include/abi.h"

#define MAX_OS_INSTANCES MAX_CPUS

struct proc;

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
    struct list_node ready[ABI_NPRIO]; /* priority ready queues (bkl's; fine keeps its own) */
    struct spinlock files_lock;     /* open-file table: slots, reference counts */
    struct file *files;             /* open-file table (MAX_FILES slots, from the heap: the
                                     * instances' array stays small enough for an 8 MiB boot) */
};

extern struct os_instance os_instances[MAX_OS_INSTANCES];
extern int os_instance_count;

static inline struct os_instance *this_os(void) { return this_cpu()->os; }
/* The instance whose frame pool holds physical address pa. */
struct frame_pool *os_pool_owning(uint64_t pa);

#endif
