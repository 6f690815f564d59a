/*
 * The buffer cache: a fixed set of block buffers in front of a disk, one
 * cache per OS instance (struct os_instance). A block is in at most one
 * buffer of a cache; the buffer's sleep lock lets one process at a time
 * use it. Dirty buffers are written back on sync, by the periodic flusher,
 * at halt, and when the least recently used buffer is reused for another
 * block. With bcache=off every read goes to the disk and every write is
 * written through at once.
 *
 * Under `private` every CPU has its own instance, hence its own cache: the
 * same block can be in two caches, dirty in both (docs/storage.md).
 */
#ifndef BCACHE_H
#define BCACHE_H

#include "lib/list.h"
#include "lib/types.h"
#include "kernel/sleeplock.h"
#include "kernel/spinlock.h"

#define BCACHE_NBUF 128
#define BCACHE_MAX_BLOCK 4096

struct blk_dev;

struct buf {
    struct blk_dev *dev;
    uint32_t blockno;
    bool valid;                 /* data holds the block */
    bool dirty;                 /* data is newer than the disk */
    int refs;                   /* users and waiters (cache lock) */
    struct sleeplock lock;      /* the one process using data */
    struct list_node lru;       /* most recently released first */
    uint8_t *data;
};

struct bcache {
    struct spinlock lock;       /* RANK_BCACHE: the list, identities, refs */
    struct buf bufs[BCACHE_NBUF];
    struct list_node lru;
    uint32_t block_size;
    bool enabled;
    bool ready;
    uint64_t hits, misses, writebacks, evictions, reads, writes, errors;
};

/* Buffers of block_size bytes (512 .. BCACHE_MAX_BLOCK); false: no memory. */
bool bcache_init(struct bcache *c, uint32_t block_size, bool enabled);
/* The block, locked and read in; NULL on an I/O error or when every
 * buffer is in use (*err says which). */
struct buf *bread(struct bcache *c, struct blk_dev *d, uint32_t blockno, int *err);
/* The block, locked, contents undefined (to be overwritten entirely). */
struct buf *bget_new(struct bcache *c, struct blk_dev *d, uint32_t blockno, int *err);
/* b's data changed: written back later (or at once with bcache=off). */
int bdirty(struct bcache *c, struct buf *b);
void brelse(struct bcache *c, struct buf *b);
/* Write every dirty buffer; 0 or the first error. */
int bcache_sync(struct bcache *c);
/* Forget clean unused buffers of d (tests). */
void bcache_invalidate(struct bcache *c, struct blk_dev *d);
/* Start the periodic flusher of this instance's cache. */
void bcache_start_flusher(void);

#endif
