/*
 * Physical frame allocator: a bitmap per pool (one bit per 4 KiB frame,
 * 1 = free). Each OS instance (os.h) owns one pool: the shared models have
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
    uint64_t bitmap_pa;
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
/* Until paging is up only the first 1 GiB is reachable. */
void frames_paging_ready(struct frame_pool *boot_pool);

uint64_t pool_alloc(struct frame_pool *p, size_t n);      /* zeroed, contiguous; 0 on failure */
void pool_free(struct frame_pool *p, uint64_t pa, size_t n);
bool pool_owns(const struct frame_pool *p, uint64_t pa);

/* The current CPU's instance's pool. */
uint64_t frame_alloc(void);
uint64_t frame_alloc_contig(size_t n);
void frame_free(uint64_t pa);
void frame_free_contig(uint64_t pa, size_t n);
uint64_t frames_free(void);
uint64_t frames_total(void);

#endif
