/*
 * Kernel heap: kmalloc/kfree with power-of-two size classes (16 .. 2048
 * bytes), each class a free list over slab pages with its own lock, so
 * that CPUs allocating different sizes do not contend; in front of them
 * each CPU keeps a small cache of free objects per class, which it uses
 * without any lock (interrupts off: the cache is this CPU's alone).
 * Bigger requests get whole contiguous frames. Every object is at least
 * 16-byte aligned, and objects of up to 64 bytes are aligned to their size
 * class.
 */
#ifndef HEAP_H
#define HEAP_H

#include "lib/types.h"
#include "kernel/spinlock.h"

#define HEAP_CLASSES 8       /* 16, 32, 64, 128, 256, 512, 1024, 2048 */
#define HEAP_MAX_SMALL 2048

#define HEAP_CACHE 8         /* free objects per class in each CPU's cache */

struct heap_object;
struct heap_class {
    struct spinlock lock;    /* RANK_HEAP; classes in index order if ever two */
    struct heap_object *free;
    uint64_t slab_pages;
};
struct heap {
    struct heap_class cls[HEAP_CLASSES];
    uint64_t slab_pages;     /* all classes (atomic: read by tests) */
    uint64_t large_pages;    /* atomic */
    uint64_t live_objects;   /* allocated and not yet freed, both kinds (atomic: read by tests) */
};

/* One CPU's cache in front of its instance's heap, and its counters. */
struct heap_cpu_cache {
    struct heap_object *obj[HEAP_CLASSES][HEAP_CACHE];
    uint8_t n[HEAP_CLASSES];
    uint64_t hits, misses;   /* allocations served from the cache / from a class list */
};
extern struct heap_cpu_cache heap_caches[];

void heap_init(struct heap *h);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
/* Usable size of an allocation (its size class or its large-block size). */
size_t ksize(const void *p);

#endif
