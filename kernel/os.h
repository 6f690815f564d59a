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
struct bcache;
struct ext2_fs;

struct os_instance {
    int id;
    struct frame_pool frames;       /* physical memory */
    struct heap heap;               /* kernel heap */
    struct proc *procs;             /* process table (MAX_PROCS slots) */
    int next_pid;
    struct list_node ready[ABI_NPRIO]; /* priority ready queues */
    struct file files[MAX_FILES];   /* open-file table */
    struct bcache *bcache;          /* buffer cache: one per instance (kernel/bcache.h) */
    struct ext2_fs *fs;             /* the root file system as this instance sees it */
};

extern struct os_instance os_instances[MAX_OS_INSTANCES];
extern int os_instance_count;

static inline struct os_instance *this_os(void) { return this_cpu()->os; }
/* The instance whose frame pool holds physical address pa. */
struct frame_pool *os_pool_owning(uint64_t pa);

#endif
