/*
 * Every lock's rank, in the one order locks may be taken: a CPU holding a
 * lock of rank r may only take locks of rank > r. This is the "resource
 * ranking" of the seed texts: deadlock is impossible when every CPU acquires
 * in increasing order. The rank checker in spinlock.c enforces it, and
 * `make lockranks` prints this table (docs/locks.md shows it).
 *
 * X(name, rank, what it protects)
 *
 * Locks of the same rank may be held together only in the order of the
 * tie-break: increasing address. Locks of one kind that live in an array
 * (the per-CPU ready queues, the frame caches, the heap's size classes,
 * the process table's slots) are therefore taken in index order: CPU
 * number, size class, slot. The checker (spin_check) enforces rank first,
 * then this order.
 *
 * Ranks 15-18 are sleep locks (kernel/sleeplock.h): a process may sleep
 * holding them (waiting for the disk), so they are taken after the
 * organisation's own lock (10-14) and before any other spinlock, in this
 * order: directory, inode, bitmaps, buffer. The rank checker sees only
 * spinlocks: the file system's code keeps this order by construction.
 *
 * Ranks 20-52 are the independent critical regions of the kernel's tables
 * (process table, one process, Lrq, Lawt, files, address space). Every
 * organisation takes them; under `bkl` they sit inside the big lock and are
 * never contended, under `fine` they are the only protection.
 */
#ifndef LOCKRANK_H
#define LOCKRANK_H

#define LOCK_RANKS(X)                                                            \
    X(RANK_BKL, 10, "big kernel lock (bkl model): the whole kernel")             \
    X(RANK_LEADER, 12, "the leader's tables (leader model): taken on the leader only") \
    X(RANK_INSTANCE, 14, "one OS instance's tables (private model)")           \
    X(RANK_FS_DIROP, 15, "sleep lock: directory operations (create, unlink, rename)") \
    X(RANK_FS_INODE, 16, "sleep lock: one in-core inode and its blocks")         \
    X(RANK_FS_BITMAP, 17, "sleep lock: block and inode bitmaps, free counts")    \
    X(RANK_BUF, 18, "sleep lock: one buffer of the buffer cache")               \
    X(RANK_PROC_TABLE, 20, "process table: slots, parent links, pids")          \
    X(RANK_SLEEP_COND, 22, "a sleeper's condition (console readers, sleep timers, pipes, sleep locks)") \
    X(RANK_PROC, 25, "one process: state, wait channel, exit status, signals (tie: address)") \
    X(RANK_RUNQUEUE, 30, "ready queues: Lrq, or one CPU's queues (tie: CPU number)") \
    X(RANK_AWT, 40, "assigned workload table (Lawt)")                            \
    X(RANK_WORKTABLE, 45, "the benchmark's work table: one region (kwork, docs/bench.md)") \
    X(RANK_FILES, 50, "open-file table: slots and reference counts")            \
    X(RANK_FILE, 51, "one open file: an initrd file's offset")                                \
    X(RANK_ADDRSPACE, 52, "one address space: page tables, break")               \
    X(RANK_HEAP, 54, "one heap size class's free list (tie: class)")            \
    X(RANK_KERNEL_PT, 56, "kernel page tables (upper half), kernel stacks")      \
    X(RANK_ICACHE, 57, "in-core inode table: reference counts")                 \
    X(RANK_BCACHE, 58, "buffer cache: LRU list, block numbers, reference counts") \
    X(RANK_FRAME_CACHE, 59, "one CPU's cache of free frames (tie: CPU number)")  \
    X(RANK_FRAMES, 60, "physical frame allocator")                               \
    X(RANK_BLKQ, 70, "block request queue and the AHCI port (also in its IRQ)")  \
    X(RANK_PCI, 72, "PCI configuration mechanism #1 ports")                      \
    X(RANK_SHM, 80, "names of the shared-memory windows (private model)")       \
    X(RANK_CONSOLE_IN, 85, "console input buffer")                               \
    X(RANK_TEST, 88, "locks of the in-kernel tests and of primcost's timings") \
    X(RANK_CONSOLE, 90, "console output (innermost: printk works anywhere)")    \
    X(RANK_LOCK_REGISTRY, 95, "list of all locks, for the `locks` dump")

enum lock_rank {
#define LOCK_RANK_ENUM(name, value, what) name = value,
    LOCK_RANKS(LOCK_RANK_ENUM)
#undef LOCK_RANK_ENUM
};

/* Ranks up to here guard the kernel's tables (an OS instance's state);
 * those above guard devices and diagnostics. Each CPU counts the table
 * locks it takes (cpus: TABLOCKS): under `leader` a follower takes none. */
#define RANK_LAST_TABLE RANK_FRAMES

#endif
