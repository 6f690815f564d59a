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

struct heap_cpu_cache heap_caches[MAX_CPUS];

static const char *const class_lock_names[HEAP_CLASSES] = {
    "heap 16", "heap 32", "heap 64", "heap 128", "heap 256", "heap 512", "heap 1024", "heap 2048"};

void heap_init(struct heap *h) {
    *h = (struct heap){0};
    for (int c = 0; c < HEAP_CLASSES; c++)
        spin_init(&h->cls[c].lock, class_lock_names[c], RANK_HEAP);
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

/* Carve a fresh page into objects of class c (the class's lock held). */
static bool refill(struct heap *h, int c) {
    uint64_t pa = frame_alloc();
    if (!pa)
        return false;
    struct page_header *ph = PHYS_TO_VIRT(pa);
    *ph = (struct page_header){SLAB_MAGIC, (uint32_t)c, h};
    size_t sz = class_size(c);
    for (size_t off = PAGE_HEADER; off + sz <= PAGE_SIZE; off += sz) {
        struct heap_object *o = (struct heap_object *)((char *)ph + off);
        o->next = h->cls[c].free;
        h->cls[c].free = o;
    }
    h->cls[c].slab_pages++;
    __atomic_fetch_add(&h->slab_pages, 1, __ATOMIC_RELAXED);
    return true;
}

static void *alloc_large(struct heap *h, size_t size) {
    size_t pages = (size + PAGE_HEADER + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t pa = frame_alloc_contig(pages);
    if (!pa)
        return NULL;
    struct page_header *ph = PHYS_TO_VIRT(pa);
    *ph = (struct page_header){LARGE_MAGIC, (uint32_t)pages, h};
    __atomic_fetch_add(&h->large_pages, pages, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->live_objects, 1, __ATOMIC_RELAXED);
    return (char *)ph + PAGE_HEADER;
}

void *kmalloc(size_t size) {
    if (size == 0)
        return NULL;
    struct heap *h = &this_os()->heap;
    if (size > HEAP_MAX_SMALL)
        return size > (1ULL << 30) ? NULL : alloc_large(h, size);
    int c = class_of(size);
    struct heap_object *o = NULL;
    push_off(); /* this CPU's cache: no lock, only no interrupt in between */
    struct heap_cpu_cache *cc = &heap_caches[cpu_id()];
    if (cc->n[c] > 0) {
        o = cc->obj[c][--cc->n[c]];
        cc->hits++;
    } else {
        cc->misses++;
    }
    pop_off();
    if (o) {
        __atomic_fetch_add(&h->live_objects, 1, __ATOMIC_RELAXED);
        return o;
    }
    struct heap_class *k = &h->cls[c];
    spin_lock(&k->lock);
    o = k->free;
    if (!o && refill(h, c))
        o = k->free;
    if (o)
        k->free = o->next;
    spin_unlock(&k->lock);
    if (o)
        __atomic_fetch_add(&h->live_objects, 1, __ATOMIC_RELAXED);
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
        __atomic_fetch_sub(&h->large_pages, pages, __ATOMIC_RELAXED);
        __atomic_fetch_sub(&h->live_objects, 1, __ATOMIC_RELAXED);
        ph->magic = 0;
        frame_free_contig(VIRT_TO_PHYS(ph), pages);
        return;
    }
    if (ph->magic != SLAB_MAGIC || ((uint64_t)p - (uint64_t)ph - PAGE_HEADER) % class_size((int)ph->class_or_pages))
        panic("kfree(%p): not an object kmalloc returned", p);
    struct heap_object *o = p;
    int c = (int)ph->class_or_pages;
    bool cached = false;
    __atomic_fetch_sub(&h->live_objects, 1, __ATOMIC_RELAXED);
    push_off();
    struct heap_cpu_cache *cc = &heap_caches[cpu_id()];
    if (h == &this_os()->heap && cc->n[c] < HEAP_CACHE) { /* only this CPU's instance's objects */
        cc->obj[c][cc->n[c]++] = o;
        cached = true;
    }
    pop_off();
    if (cached)
        return;
    spin_lock(&h->cls[c].lock);
    o->next = h->cls[c].free;
    h->cls[c].free = o;
    spin_unlock(&h->cls[c].lock);
}
