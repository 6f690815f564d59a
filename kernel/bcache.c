/* The buffer cache (kernel/bcache.h). */
#include "kernel/bcache.h"
#include "kernel/blk.h"
#include "kernel/frame.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "lib/string.h"
#include "user/include/abi.h"

bool bcache_init(struct bcache *c, uint32_t block_size, bool enabled) {
    if (block_size < SECTOR_SIZE || block_size > BCACHE_MAX_BLOCK || block_size % SECTOR_SIZE)
        return false;
    size_t pages = ALIGN_UP((size_t)BCACHE_NBUF * block_size, PAGE_SIZE) / PAGE_SIZE;
    uint64_t pa = frame_alloc_contig(pages);
    if (!pa)
        return false;
    *c = (struct bcache){.block_size = block_size, .enabled = enabled};
    spin_init(&c->lock, "buffer cache", RANK_BCACHE);
    list_init(&c->lru);
    uint8_t *mem = PHYS_TO_VIRT(pa);
    for (int i = 0; i < BCACHE_NBUF; i++) {
        struct buf *b = &c->bufs[i];
        sleep_init(&b->lock, "buffer", RANK_BUF);
        b->data = mem + (size_t)i * block_size;
        list_push_back(&c->lru, &b->lru);
    }
    c->ready = true;
    return true;
}

static int write_out(struct bcache *c, struct buf *b) {
    uint32_t spb = c->block_size / SECTOR_SIZE;
    int err = blk_rw(b->dev, (uint64_t)b->blockno * spb, spb, b->data, true);
    spin_lock(&c->lock);
    c->writebacks++;
    if (err)
        c->errors++;
    spin_unlock(&c->lock);
    if (!err)
        b->dirty = false;
    return err;
}

/* The buffer for (d, blockno), referenced and locked. A dirty victim is
 * written back first, with its own identity, and the search starts over. */
static struct buf *bget(struct bcache *c, struct blk_dev *d, uint32_t blockno, int *err) {
    for (;;) {
        spin_lock(&c->lock);
        for (struct list_node *n = c->lru.next; n != &c->lru; n = n->next) {
            struct buf *b = list_entry(n, struct buf, lru);
            if (b->dev == d && b->blockno == blockno) {
                b->refs++;
                spin_unlock(&c->lock);
                sleep_lock(&b->lock);
                return b;
            }
        }
        /* Least recently used first: from the tail. */
        struct buf *victim = NULL;
        for (struct list_node *n = c->lru.prev; n != &c->lru; n = n->prev) {
            struct buf *x = list_entry(n, struct buf, lru);
            if (x->refs == 0) {
                victim = x;
                break;
            }
        }
        if (!victim) {
            spin_unlock(&c->lock);
            *err = -ABI_ENOMEM;
            pr_warn("bcache: all %d buffers in use\n", BCACHE_NBUF);
            return NULL;
        }
        victim->refs++;
        if (!victim->dirty) {
            if (victim->valid)
                c->evictions++;
            victim->dev = d;
            victim->blockno = blockno;
            victim->valid = false;
            spin_unlock(&c->lock);
            sleep_lock(&victim->lock);
            return victim;
        }
        spin_unlock(&c->lock);
        sleep_lock(&victim->lock);
        if (victim->dirty)
            write_out(c, victim); /* an error leaves it dirty: the next try writes again */
        brelse(c, victim);
    }
}

struct buf *bread(struct bcache *c, struct blk_dev *d, uint32_t blockno, int *err) {
    struct buf *b = bget(c, d, blockno, err);
    if (!b)
        return NULL;
    spin_lock(&c->lock);
    c->reads++;
    if (b->valid)
        c->hits++;
    else
        c->misses++;
    spin_unlock(&c->lock);
    if (!b->valid) {
        uint32_t spb = c->block_size / SECTOR_SIZE;
        int e = blk_rw(d, (uint64_t)blockno * spb, spb, b->data, false);
        if (e) {
            *err = e;
            spin_lock(&c->lock);
            c->errors++;
            spin_unlock(&c->lock);
            brelse(c, b);
            return NULL;
        }
        b->valid = true;
    }
    return b;
}

struct buf *bget_new(struct bcache *c, struct blk_dev *d, uint32_t blockno, int *err) {
    struct buf *b = bget(c, d, blockno, err);
    if (b)
        b->valid = true;
    return b;
}

int bdirty(struct bcache *c, struct buf *b) {
    spin_lock(&c->lock);
    c->writes++;
    spin_unlock(&c->lock);
    b->dirty = true;
    return c->enabled ? 0 : write_out(c, b);
}

void brelse(struct bcache *c, struct buf *b) {
    sleep_unlock(&b->lock);
    spin_lock(&c->lock);
    if (--b->refs == 0) {
        list_remove(&b->lru);
        list_push_front(&c->lru, &b->lru);
        if (!c->enabled && !b->dirty)
            b->valid = false; /* no caching: the next bread reads the disk */
    }
    spin_unlock(&c->lock);
}

int bcache_sync(struct bcache *c) {
    int first = 0;
    if (!c->ready)
        return 0;
    for (int i = 0; i < BCACHE_NBUF; i++) {
        struct buf *b = &c->bufs[i];
        spin_lock(&c->lock);
        bool dirty = b->dirty;
        if (dirty)
            b->refs++;
        spin_unlock(&c->lock);
        if (!dirty)
            continue;
        sleep_lock(&b->lock);
        int err = b->dirty ? write_out(c, b) : 0;
        if (err && !first)
            first = err;
        brelse(c, b);
    }
    return first;
}

void bcache_invalidate(struct bcache *c, struct blk_dev *d) {
    spin_lock(&c->lock);
    for (int i = 0; i < BCACHE_NBUF; i++)
        if (c->bufs[i].dev == d && c->bufs[i].refs == 0 && !c->bufs[i].dirty)
            c->bufs[i].valid = false;
    spin_unlock(&c->lock);
}

/* The periodic flusher: dirty blocks reach the disk within a few seconds
 * even if nobody calls sync. */
#define FLUSH_INTERVAL_MS 2000
#include "kernel/os.h"

static void flusher(void *arg) {
    struct bcache *c = arg;
    for (;;) {
        sleep_ms(FLUSH_INTERVAL_MS);
        bcache_sync(c);
    }
}

void bcache_start_flusher(void) {
    struct bcache *c = this_os()->bcache;
    if (c && c->ready && !kthread_create("bflush", flusher, c, 2))
        pr_warn("bcache: no flusher thread: dirty blocks wait for sync\n");
}
