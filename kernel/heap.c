#include "kernel/heap.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "lib/string.h"

#define SLAB_MAGIC 0x51AB51ABu
#define LARGE_MAGIC 0x1A46E000u
#define PAGE_HEADER 64      /* keeps objects 64-byte aligned within a slab */

/* The first PAGE_HEADER bytes of every heap page. */
struct page_header {
    uint32_t magic;
    uint32_t class_or_pages; /* slab: size class index; large: frame count */
    struct heap *owner;      /* objects go back to the heap they came from */
};

struct heap_object {
    struct heap_object *next;
};

void heap_init(struct heap *h) {
    *h = (struct heap){0};
    spin_init(&h->lock, "heap", RANK_HEAP);
}

static int class_of(size_t size) {
    int c = 0;
    for (size_t s = 16; s < size; s <<= 1)
        c++;
    return c;
}

static size_t class_size(int c) { return (size_t)16 << c; }

static struct page_header *header_of(const void *p) {
    return (struct page_header *)ALIGN_DOWN((uint64_t)p, PAGE_SIZE);
}

/* Carve a fresh page into objects of class c (called with the lock held). */
static bool refill(struct heap *h, int c) {
    uint64_t pa = frame_alloc();
    if (!pa)
        return false;
    struct page_header *ph = PHYS_TO_VIRT(pa);
    *ph = (struct page_header){SLAB_MAGIC, (uint32_t)c, h};
    size_t sz = class_size(c);
    for (size_t off = PAGE_HEADER; off + sz <= PAGE_SIZE; off += sz) {
        struct heap_object *o = (struct heap_object *)((char *)ph + off);
        o->next = h->free[c];
        h->free[c] = o;
    }
    h->slab_pages++;
    return true;
}

static void *alloc_large(struct heap *h, size_t size) {
    size_t pages = (size + PAGE_HEADER + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t pa = frame_alloc_contig(pages);
    if (!pa)
        return NULL;
    struct page_header *ph = PHYS_TO_VIRT(pa);
    *ph = (struct page_header){LARGE_MAGIC, (uint32_t)pages, h};
    spin_lock(&h->lock);
    h->large_pages += pages;
    h->live_objects++;
    spin_unlock(&h->lock);
    return (char *)ph + PAGE_HEADER;
}

void *kmalloc(size_t size) {
    if (size == 0)
        return NULL;
    struct heap *h = &this_os()->heap;
    if (size > HEAP_MAX_SMALL)
        return size > (1ULL << 30) ? NULL : alloc_large(h, size);
    int c = class_of(size);
    spin_lock(&h->lock);
    struct heap_object *o = h->free[c];
    if (!o && refill(h, c))
        o = h->free[c];
    if (o) {
        h->free[c] = o->next;
        h->live_objects++;
    }
    spin_unlock(&h->lock);
    return o;
}

void *kzalloc(size_t size) {
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

size_t ksize(const void *p) {
    struct page_header *ph = header_of(p);
    if (ph->magic == SLAB_MAGIC)
        return class_size((int)ph->class_or_pages);
    return (size_t)ph->class_or_pages * PAGE_SIZE - PAGE_HEADER;
}

void kfree(void *p) {
    if (!p)
        return;
    struct page_header *ph = header_of(p);
    struct heap *h = ph->owner;
    if (ph->magic == LARGE_MAGIC && (char *)p == (char *)ph + PAGE_HEADER) {
        size_t pages = ph->class_or_pages;
        spin_lock(&h->lock);
        h->large_pages -= pages;
        h->live_objects--;
        spin_unlock(&h->lock);
        ph->magic = 0;
        frame_free_contig(VIRT_TO_PHYS(ph), pages);
        return;
    }
    if (ph->magic != SLAB_MAGIC || ((uint64_t)p - (uint64_t)ph - PAGE_HEADER) % class_size((int)ph->class_or_pages))
        panic("kfree(%p): not an object kmalloc returned", p);
    struct heap_object *o = p;
    spin_lock(&h->lock);
    o->next = h->free[ph->class_or_pages];
    h->free[ph->class_or_pages] = o;
    h->live_objects--;
    spin_unlock(&h->lock);
}
