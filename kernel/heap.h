/*
 * Kernel heap: kmalloc/kfree with power-of-two size classes (16 .. 2048
 * bytes), each class a free list over slab pages; bigger requests get whole
 * contiguous frames. Every object is at least 16-byte aligned, and objects
 * of up to 64 bytes are aligned to their size class.
 */
#ifndef HEAP_H
#define HEAP_H

#include "lib/types.h"
#include "kernel/spinlock.h"

#define HEAP_CLASSES 8       /* 16, 32, 64, 128, 256, 512, 1024, 2048 */
#define HEAP_MAX_SMALL 2048

struct heap_object;
struct heap {
    struct spinlock lock;
    struct heap_object *free[HEAP_CLASSES];
    uint64_t slab_pages;
    uint64_t large_pages;
    uint64_t live_objects;
};

void heap_init(struct heap *h);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
/* Usable size of an allocation (its size class or its large-block size). */
size_t ksize(const void *p);

#endif
