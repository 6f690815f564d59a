/*
 * The block layer: requests to read or write whole sectors of a disk. A
 * request is queued on its device; the driver (arch/x86_64/ahci.c) keeps
 * several in flight at once (one per command slot) and completes each from
 * its interrupt, which wakes the process that waits for it. Any number of
 * processes on any CPUs may have requests outstanding.
 */
#ifndef BLK_H
#define BLK_H

#include "lib/list.h"
#include "lib/types.h"
#include "kernel/spinlock.h"

#define SECTOR_SIZE 512
#define BLK_MAX_SECTORS 64      /* per request: 32 KiB */
#define BLK_TIMEOUT_NS (5ULL * 1000000000ULL)

struct blk_dev;
struct os_instance;

struct blk_req {
    struct blk_dev *dev;
    uint64_t lba;
    uint32_t count;             /* sectors */
    bool write;
    void *buf;                  /* kernel memory in the direct map */
    volatile int done;          /* set by the completion, then the waiter is woken */
    struct os_instance *os;     /* the waiter's instance: the completion may come on another's CPU */
    int error;                  /* 0 or -EIO */
    uint64_t issued_ns;
    int slot;                   /* the driver's command slot while in flight */
    struct list_node link;      /* in the device's queue while waiting for a slot */
};

struct blk_dev {
    const char *name;
    char model[41];
    uint64_t sectors;
    int slots;                  /* commands the device takes at once */
    /* Start req in a free slot (the queue lock is held). */
    void (*start)(struct blk_dev *d, struct blk_req *req);
    /* Look for finished commands (interrupts lost or off); and, for the
     * watchdog, end every command in flight with an error and restart. */
    void (*poll)(struct blk_dev *d);
    void (*reset)(struct blk_dev *d);
    void *priv;
    struct os_instance *fs_owner; /* the instance whose file system owns its metadata (ext2_mount) */

    struct spinlock lock;       /* RANK_BLKQ: queue, slots, counters */
    struct list_node queue;     /* waiting for a slot */
    struct blk_req *inflight[32];
    int ninflight;
    uint64_t reads, writes, errors, irq_completions, poll_completions, timeouts, max_inflight;
};

#define BLK_MAX_DEVS 4
extern struct blk_dev *blk_devs[BLK_MAX_DEVS];
extern int nblk_devs;

void blk_register(struct blk_dev *d);
/* Read or write count sectors at lba; sleeps until done. 0 or -EIO/-EINVAL. */
int blk_rw(struct blk_dev *d, uint64_t lba, uint32_t count, void *buf, bool write);
/* Submit without waiting; blk_wait() waits for it. */
int blk_submit(struct blk_req *req);
int blk_wait(struct blk_req *req);
/* From the driver, queue lock held: req finished (error 0 or -EIO). The
 * slot is free again; the next queued request is started. */
void blk_complete_locked(struct blk_dev *d, struct blk_req *req, int error, bool from_irq);
/* After the driver dropped the queue lock: wake the waiters of completed
 * requests (wakeups take the scheduler lock, of lower rank). */
void blk_wake(struct blk_req **done, int n);
/* The watchdog thread: lost interrupts and hung commands. */
void blk_start_watchdog(void);

#endif
