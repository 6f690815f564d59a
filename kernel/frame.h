/*
 * Physical frame allocator: a bitmap per pool (one bit per 4 KiB frame,
 * 1 = free) and beside it a reference count per frame (copy-on-write fork
 * shares frames between address spaces; frame_free() drops one reference
 * and the last one frees the frame). Each OS instance (os.h) owns one pool: the shared models have
 * one pool over all memory; `private` gives each CPU a pool over its own
 * slice. frame_alloc() takes from the pool of the instance this CPU serves.
 */
#ifndef FRAME_H
#define FRAME_H

#include "lib/types.h"
#include "kernel/spinlock.h"

struct frame_pool {
    struct spinlock lock;
    uint64_t *bitmap;        /* bit i = frame first_pfn + i, 1 = free */
    uint16_t *refs;          /* refs[i]: references to frame first_pfn + i, 0 when free */
    uint64_t bitmap_pa;      /* the bitmap, then the counts at bitmap_pa + refs_offset */
    uint64_t refs_offset;
    uint64_t first_pfn;
    uint64_t npfn;           /* frames the bitmap covers */
    uint64_t total;          /* frames that were free at boot */
    uint64_t free;
    uint64_t hint;           /* where the next search starts */
};

struct phys_range {
    uint64_t start, end;     /* [start, end), bytes */
};

struct mb2_info;
/* Build the boot pool from the memory map minus the reserved ranges. Returns
 * the end of the highest usable RAM (for the direct map). */
uint64_t frames_init(struct frame_pool *pool, const struct mb2_info *mb, const struct phys_range *reserved,
                     size_t nreserved);
/* The end of the available RAM below `limit`; *left_out = the bytes of
 * available RAM at or above it (not used). */
uint64_t frames_usable_top(const struct mb2_info *mb, uint64_t limit, uint64_t *left_out);
/* Until paging is up only the first 1 GiB is reachable. */
void frames_paging_ready(struct frame_pool *boot_pool);

uint64_t pool_alloc(struct frame_pool *p, size_t n);      /* zeroed, contiguous; 0 on failure */
uint64_t pool_alloc_raw(struct frame_pool *p, size_t n);  /* the same, contents left as they were */
void pool_free(struct frame_pool *p, uint64_t pa, size_t n); /* drop one reference of each */
void pool_ref(struct frame_pool *p, uint64_t pa);         /* one more reference */
unsigned pool_refcount(const struct frame_pool *p, uint64_t pa);
bool pool_owns(const struct frame_pool *p, uint64_t pa);

/* Move the frames [start_pfn, end_pfn) out of `src` into the new pool
 * `dst` (its bitmap and counts are placed in the range itself). No frame
 * of the range may be allocated from `src`; false when one is, or when the
 * range has too few free frames for dst's own bookkeeping. */
bool pool_carve(struct frame_pool *src, struct frame_pool *dst, uint64_t start_pfn, uint64_t end_pfn,
                const char *lock_name);
/* Take [start_pfn, end_pfn) out of `src` for good (free frames become
 * nobody's); false if one of them is allocated. */
bool pool_withdraw(struct frame_pool *src, uint64_t start_pfn, uint64_t end_pfn);
/* Free frames of p in [start_pfn, end_pfn). */
uint64_t pool_free_in(const struct frame_pool *p, uint64_t start_pfn, uint64_t end_pfn);
/* Cut p's range at end_pfn (frames above must have been carved away). */
void pool_truncate(struct frame_pool *p, uint64_t end_pfn);
/* Each CPU keeps a few free frames of its instance's pool in front of the
 * pool's lock (004: a partition per CPU), under a lock of its own that only
 * a CPU that drains every cache (memory ran out) takes besides it. Cached
 * frames count as free. */
#define FRAME_CACHE 32
struct frame_cpu_cache {
    struct spinlock lock;        /* RANK_FRAME_CACHE; in CPU order when draining */
    struct frame_pool *pool;     /* whose frames these are */
    int n;
    uint64_t pa[FRAME_CACHE];
    uint64_t hits, misses;       /* single-frame allocations served here / from the pool */
};
extern struct frame_cpu_cache frame_caches[];
/* Give every CPU's cached frames of p back to p's bitmap. */
void pool_drain_caches(struct frame_pool *p);

/* The current CPU's instance's pool. */
uint64_t frame_alloc(void);                 /* zeroed, one reference */
/* Not zeroed: for a caller that overwrites the whole page (fork's copies,
 * pages loaded from a file). */
uint64_t frame_alloc_raw(void);
uint64_t frame_alloc_contig(size_t n);
void frame_free(uint64_t pa);               /* drop a reference; the last frees */
void frame_free_contig(uint64_t pa, size_t n);
void frame_ref(uint64_t pa);                /* another address space maps it too */
unsigned frame_refcount(uint64_t pa);
uint64_t frames_free(void);
uint64_t frames_total(void);

/* Many reference changes at once, all of one kind: a reference more
 * (add = true: fork sharing pages) or one less (exit, unmapping). The
 * changes take effect at frame_batch_flush(), which the user must call
 * before anything relies on them (and before the batch goes out of scope). */
#define FRAME_BATCH 64
struct frame_batch {
    bool add;
    size_t n;
    uint64_t pa[FRAME_BATCH];
};
void frame_batch_put(struct frame_batch *b, uint64_t pa);
void frame_batch_flush(struct frame_batch *b);

#endif
