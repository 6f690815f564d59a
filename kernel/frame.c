#include "kernel/frame.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "lib/mb2.h"
#include "lib/string.h"
#include "arch.h"

#define EARLY_LIMIT_PFN ((1ULL << 30) / PAGE_SIZE)
static uint64_t reachable_pfn = EARLY_LIMIT_PFN;

static bool bit_free(const struct frame_pool *p, uint64_t i) { return p->bitmap[i / 64] & (1ULL << (i % 64)); }
static void set_free(struct frame_pool *p, uint64_t i) { p->bitmap[i / 64] |= 1ULL << (i % 64); }
static void set_used(struct frame_pool *p, uint64_t i) { p->bitmap[i / 64] &= ~(1ULL << (i % 64)); }

static bool overlaps(uint64_t a, uint64_t b, const struct phys_range *r, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a < r[i].end && r[i].start < b)
            return true;
    return false;
}

uint64_t frames_usable_top(const struct mb2_info *mb, uint64_t limit, uint64_t *left_out) {
    uint64_t top = 0;
    *left_out = 0;
    for (size_t i = 0; i < mb->mmap_count; i++) {
        const struct mb2_mmap_entry *e = &mb->mmap[i];
        if (e->type != MB2_MMAP_AVAILABLE)
            continue;
        uint64_t end = e->addr + e->len;
        if (end > limit)
            *left_out += end - MAX(e->addr, limit);
        if (MIN(end, limit) > top)
            top = MIN(end, limit);
    }
    return top;
}

/* First available, unreserved, reachable place for `bytes` of bitmap. */
static uint64_t place_bitmap(const struct mb2_info *mb, uint64_t bytes, const struct phys_range *res, size_t nres) {
    for (size_t i = 0; i < mb->mmap_count; i++) {
        const struct mb2_mmap_entry *e = &mb->mmap[i];
        if (e->type != MB2_MMAP_AVAILABLE)
            continue;
        uint64_t lim = MIN(e->addr + e->len, EARLY_LIMIT_PFN * PAGE_SIZE);
        for (uint64_t a = ALIGN_UP(MAX(e->addr, 0x100000ULL), PAGE_SIZE); a + bytes <= lim; a += PAGE_SIZE)
            if (!overlaps(a, a + bytes, res, nres))
                return a;
    }
    return 0;
}

static void free_available_ranges(struct frame_pool *p, const struct mb2_info *mb, const struct phys_range *res,
                                  size_t nres, uint64_t top) {
    for (size_t i = 0; i < mb->mmap_count; i++) {
        const struct mb2_mmap_entry *e = &mb->mmap[i];
        if (e->type != MB2_MMAP_AVAILABLE)
            continue;
        uint64_t end = MIN(e->addr + e->len, top);
        for (uint64_t a = ALIGN_UP(e->addr, PAGE_SIZE); a + PAGE_SIZE <= end; a += PAGE_SIZE) {
            if (overlaps(a, a + PAGE_SIZE, res, nres))
                continue;
            set_free(p, a / PAGE_SIZE - p->first_pfn);
            p->free++;
        }
    }
    p->total = p->free;
}

uint64_t frames_init(struct frame_pool *p, const struct mb2_info *mb, const struct phys_range *reserved,
                     size_t nreserved) {
    /* Only what the direct map covers can be reached (PHYS_MAP_MAX_BYTES). */
    uint64_t left_out;
    uint64_t top = frames_usable_top(mb, PHYS_MAP_MAX_BYTES, &left_out);
    if (!top)
        panic("memory map lists no available RAM");
    if (left_out)
        pr_warn("frames: %llu MiB of RAM above the direct map's %llu GiB not used\n",
                (unsigned long long)(left_out >> 20), (unsigned long long)(PHYS_MAP_MAX_BYTES >> 30));
    p->first_pfn = 0;
    p->npfn = top / PAGE_SIZE;
    /* The bitmap and the reference counts share one place. */
    uint64_t bitmap_bytes = ALIGN_UP(p->npfn, 64) / 8;
    uint64_t bytes = ALIGN_UP(bitmap_bytes + p->npfn * sizeof *p->refs, PAGE_SIZE);
    uint64_t at = place_bitmap(mb, bytes, reserved, nreserved);
    if (!at)
        panic("no room for the frame bitmap and counts (%llu bytes)", (unsigned long long)bytes);
    p->bitmap_pa = at;
    p->refs_offset = bitmap_bytes;
    p->bitmap = PHYS_TO_VIRT(at);
    p->refs = PHYS_TO_VIRT(at + bitmap_bytes);
    memset(p->bitmap, 0, bytes);
    struct phys_range all[nreserved + 1];
    memcpy(all, reserved, nreserved * sizeof *reserved);
    all[nreserved] = (struct phys_range){at, at + bytes};
    free_available_ranges(p, mb, all, nreserved + 1, top);
    spin_init(&p->lock, "frames", RANK_FRAMES);
    return top;
}

void frames_paging_ready(struct frame_pool *p) {
    reachable_pfn = UINT64_MAX;
    p->bitmap = PHYS_TO_VIRT(p->bitmap_pa); /* now through the direct map */
    p->refs = PHYS_TO_VIRT(p->bitmap_pa + p->refs_offset);
}

static bool run_is_free(const struct frame_pool *p, uint64_t i, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (i + k >= p->npfn || !bit_free(p, i + k))
            return false;
    return true;
}

static int64_t find_run(const struct frame_pool *p, size_t n) {
    uint64_t limit = MIN(p->npfn, reachable_pfn > p->first_pfn ? reachable_pfn - p->first_pfn : 0);
    for (uint64_t pass = 0, i = p->hint; pass < 2; pass++, i = 0) {
        while (i + n <= limit) {
            if (n == 1 && p->bitmap[i / 64] == 0) { /* skip a full word quickly */
                i = ALIGN_DOWN(i, 64) + 64;
                continue;
            }
            if (run_is_free(p, i, n))
                return (int64_t)i;
            i++;
        }
    }
    return -1;
}

struct frame_cpu_cache frame_caches[MAX_CPUS] = {
    [0 ... MAX_CPUS - 1] = {.lock = SPINLOCK_INIT("frame cache", RANK_FRAME_CACHE)}};

/* Give every cached frame of pool p back to its bitmap (memory ran out
 * there, a cache elsewhere may hold what is missing; or the pool is about
 * to be cut up). */
void pool_drain_caches(struct frame_pool *p) {
    for (int i = 0; i < MAX_CPUS; i++) {
        struct frame_cpu_cache *fc = &frame_caches[i];
        /* A first look without the lock: a cache of another pool (under
         * private, another instance's) is not ours to lock. */
        if (__atomic_load_n(&fc->n, __ATOMIC_RELAXED) == 0 || __atomic_load_n(&fc->pool, __ATOMIC_RELAXED) != p)
            continue;
        spin_lock(&fc->lock);
        if (fc->pool == p) {
            spin_lock(&p->lock);
            for (int k = 0; k < fc->n; k++) {
                set_free(p, fc->pa[k] / PAGE_SIZE - p->first_pfn);
                p->free++;
            }
            spin_unlock(&p->lock);
            fc->n = 0;
        }
        spin_unlock(&fc->lock);
    }
}

static uint64_t pool_take_locked(struct frame_pool *p, size_t n) {
    int64_t i = p->free >= n ? find_run(p, n) : -1;
    if (i < 0)
        return 0;
    for (size_t k = 0; k < n; k++) {
        set_used(p, (uint64_t)i + k);
        __atomic_store_n(&p->refs[i + k], 1, __ATOMIC_RELAXED);
    }
    p->free -= n;
    p->hint = (uint64_t)i + n;
    return ((uint64_t)i + p->first_pfn) * PAGE_SIZE;
}

/* One frame from this CPU's cache, refilled from the pool by half a cache
 * at a time (one pool lock for FRAME_CACHE / 2 frames). */
static uint64_t cache_alloc(struct frame_pool *p) {
    struct frame_cpu_cache *fc = &frame_caches[cpu_id()]; /* if this moves on, it is another CPU's: still a lock */
    uint64_t pa = 0;
    spin_lock(&fc->lock);
    if (fc->pool != p && fc->n == 0)
        fc->pool = p;
    if (fc->pool == p) {
        if (fc->n == 0) {
            fc->misses++;
            spin_lock(&p->lock);
            while (fc->n < FRAME_CACHE / 2) {
                uint64_t got = pool_take_locked(p, 1);
                if (!got)
                    break;
                __atomic_store_n(&p->refs[got / PAGE_SIZE - p->first_pfn], 0, __ATOMIC_RELAXED); /* cached: no owner */
                fc->pa[fc->n++] = got;
            }
            spin_unlock(&p->lock);
        } else {
            fc->hits++;
        }
        if (fc->n > 0)
            pa = fc->pa[--fc->n];
    }
    spin_unlock(&fc->lock);
    if (pa)
        __atomic_store_n(&p->refs[pa / PAGE_SIZE - p->first_pfn], 1, __ATOMIC_RELAXED);
    return pa;
}

uint64_t pool_alloc_raw(struct frame_pool *p, size_t n) {
    if (n == 0)
        return 0;
    if (n == 1) {
        uint64_t pa = cache_alloc(p);
        if (pa)
            return pa;
    }
    spin_lock(&p->lock);
    uint64_t pa = pool_take_locked(p, n);
    spin_unlock(&p->lock);
    if (!pa) { /* perhaps in the CPUs' caches: give them back and look again */
        pool_drain_caches(p);
        spin_lock(&p->lock);
        pa = pool_take_locked(p, n);
        spin_unlock(&p->lock);
    }
    return pa;
}

uint64_t pool_alloc(struct frame_pool *p, size_t n) {
    uint64_t pa = pool_alloc_raw(p, n);
    if (pa)
        memset(PHYS_TO_VIRT(pa), 0, n * PAGE_SIZE);
    return pa;
}

bool pool_owns(const struct frame_pool *p, uint64_t pa) {
    uint64_t pfn = pa / PAGE_SIZE;
    return pfn >= p->first_pfn && pfn < p->first_pfn + p->npfn;
}

static void check_frame(const struct frame_pool *p, uint64_t pa, size_t n, const char *what) {
    if (pa % PAGE_SIZE || !pool_owns(p, pa) || !pool_owns(p, pa + (n - 1) * PAGE_SIZE))
        panic("%s of %llx (%zu frames): not a frame of this pool", what, (unsigned long long)pa, n);
}

/*
 * Reference counts change only under the pool lock, with plain loads and
 * stores: no count needs an atomic instruction of its own, and a caller
 * that changes many (fork shares every page, exit drops them all) takes the
 * lock once for a whole batch (frame_batch below). Under QEMU's parallel
 * TCG every locked instruction is expensive: one atomic per page made
 * fork+exit+wait at -smp 2 a fifth slower than at -smp 1.
 */
static void drop_ref_locked(struct frame_pool *p, uint64_t pa) {
    uint64_t i = pa / PAGE_SIZE - p->first_pfn;
    uint16_t old = p->refs[i];
    if (old == 0 || bit_free(p, i))
        panic("double free of frame %llx", (unsigned long long)pa);
    __atomic_store_n(&p->refs[i], old - 1, __ATOMIC_RELAXED); /* read unlocked by pool_refcount */
    if (old == 1) {
        set_free(p, i);
        p->free++;
    }
}

static void add_ref_locked(struct frame_pool *p, uint64_t pa) {
    uint64_t i = pa / PAGE_SIZE - p->first_pfn;
    uint16_t old = p->refs[i];
    if (old == 0 || old == UINT16_MAX)
        panic("frame_ref of %llx with %u references", (unsigned long long)pa, old);
    __atomic_store_n(&p->refs[i], old + 1, __ATOMIC_RELAXED);
}

/* Each frame loses one reference; the last one returns it to the bitmap. */
void pool_free(struct frame_pool *p, uint64_t pa, size_t n) {
    check_frame(p, pa, n, "frame_free");
    spin_lock(&p->lock);
    for (size_t k = 0; k < n; k++)
        drop_ref_locked(p, pa + k * PAGE_SIZE);
    spin_unlock(&p->lock);
}

void pool_ref(struct frame_pool *p, uint64_t pa) {
    check_frame(p, pa, 1, "frame_ref");
    spin_lock(&p->lock);
    add_ref_locked(p, pa);
    spin_unlock(&p->lock);
}

/* Apply a batch: one lock hold per run of frames of the same pool (with
 * one shared instance, that is one hold for the whole batch). */
void frame_batch_flush(struct frame_batch *b) {
    struct frame_pool *held = NULL;
    for (size_t k = 0; k < b->n; k++) {
        struct frame_pool *p = os_pool_owning(b->pa[k]);
        check_frame(p, b->pa[k], 1, b->add ? "frame_ref" : "frame_free");
        if (p != held) {
            if (held)
                spin_unlock(&held->lock);
            spin_lock(&p->lock);
            held = p;
        }
        if (b->add)
            add_ref_locked(p, b->pa[k]);
        else
            drop_ref_locked(p, b->pa[k]);
    }
    if (held)
        spin_unlock(&held->lock);
    b->n = 0;
}

void frame_batch_put(struct frame_batch *b, uint64_t pa) {
    if (b->n == FRAME_BATCH)
        frame_batch_flush(b);
    b->pa[b->n++] = pa;
}

unsigned pool_refcount(const struct frame_pool *p, uint64_t pa) {
    check_frame(p, pa, 1, "frame_refcount");
    return __atomic_load_n(&p->refs[pa / PAGE_SIZE - p->first_pfn], __ATOMIC_ACQUIRE);
}

/* ---- partitions (private: one pool per OS instance) ---- */

static bool range_unallocated(const struct frame_pool *p, uint64_t start_pfn, uint64_t end_pfn) {
    for (uint64_t pfn = start_pfn; pfn < end_pfn; pfn++)
        if (p->refs[pfn - p->first_pfn])
            return false;
    return true;
}

uint64_t pool_free_in(const struct frame_pool *p, uint64_t start_pfn, uint64_t end_pfn) {
    uint64_t n = 0;
    for (uint64_t pfn = start_pfn; pfn < end_pfn; pfn++)
        n += bit_free(p, pfn - p->first_pfn) ? 1 : 0;
    return n;
}

bool pool_withdraw(struct frame_pool *src, uint64_t start_pfn, uint64_t end_pfn) {
    spin_lock(&src->lock);
    bool ok = start_pfn >= src->first_pfn && end_pfn <= src->first_pfn + src->npfn &&
              range_unallocated(src, start_pfn, end_pfn);
    for (uint64_t pfn = start_pfn; ok && pfn < end_pfn; pfn++) {
        uint64_t i = pfn - src->first_pfn;
        if (bit_free(src, i)) {
            set_used(src, i);
            src->free--;
            src->total--;
        }
    }
    spin_unlock(&src->lock);
    return ok;
}

bool pool_carve(struct frame_pool *src, struct frame_pool *dst, uint64_t start_pfn, uint64_t end_pfn,
                const char *lock_name) {
    uint64_t npfn = end_pfn - start_pfn;
    uint64_t bitmap_bytes = ALIGN_UP(npfn, 64) / 8;
    uint64_t meta_pages = ALIGN_UP(bitmap_bytes + npfn * sizeof *dst->refs, PAGE_SIZE) / PAGE_SIZE;
    spin_lock(&src->lock);
    bool ok = start_pfn >= src->first_pfn && end_pfn <= src->first_pfn + src->npfn &&
              range_unallocated(src, start_pfn, end_pfn);
    /* The bookkeeping goes into the first run of free frames of the range. */
    int64_t at = -1;
    for (uint64_t pfn = start_pfn; ok && at < 0 && pfn + meta_pages <= end_pfn; pfn++)
        if (run_is_free(src, pfn - src->first_pfn, meta_pages))
            at = (int64_t)pfn;
    if (!ok || at < 0) {
        spin_unlock(&src->lock);
        return false;
    }
    *dst = (struct frame_pool){0};
    dst->first_pfn = start_pfn;
    dst->npfn = npfn;
    dst->bitmap_pa = (uint64_t)at * PAGE_SIZE;
    dst->refs_offset = bitmap_bytes;
    dst->bitmap = PHYS_TO_VIRT(dst->bitmap_pa);
    dst->refs = PHYS_TO_VIRT(dst->bitmap_pa + bitmap_bytes);
    memset(dst->bitmap, 0, meta_pages * PAGE_SIZE);
    for (uint64_t pfn = start_pfn; pfn < end_pfn; pfn++) {
        uint64_t i = pfn - src->first_pfn;
        if (!bit_free(src, i))
            continue; /* reserved (the initrd, firmware): nobody's */
        set_used(src, i);
        src->free--;
        src->total--;
        if (pfn >= (uint64_t)at && pfn < (uint64_t)at + meta_pages)
            continue; /* dst's own bitmap and counts */
        set_free(dst, pfn - start_pfn);
        dst->free++;
    }
    dst->total = dst->free;
    spin_unlock(&src->lock);
    spin_init(&dst->lock, lock_name, RANK_FRAMES);
    return true;
}

void pool_truncate(struct frame_pool *p, uint64_t end_pfn) {
    spin_lock(&p->lock);
    if (end_pfn < p->first_pfn + p->npfn) {
        if (pool_free_in(p, end_pfn, p->first_pfn + p->npfn))
            panic("pool_truncate: free frames above %llx", (unsigned long long)(end_pfn * PAGE_SIZE));
        p->npfn = end_pfn - p->first_pfn;
        p->hint = 0;
    }
    spin_unlock(&p->lock);
}

static struct frame_pool *current_pool(void) { return &this_cpu()->os->frames; }

uint64_t frame_alloc(void) { return pool_alloc(current_pool(), 1); }
uint64_t frame_alloc_raw(void) { return pool_alloc_raw(current_pool(), 1); }
uint64_t frame_alloc_contig(size_t n) { return pool_alloc(current_pool(), n); }
/* A frame whose only reference is the caller's can change hands without
 * the pool lock: nobody else may add or drop a reference to it. It goes to
 * this CPU's cache when that holds frames of the same pool and has room. */
void frame_free(uint64_t pa) {
    struct frame_pool *p = os_pool_owning(pa);
    check_frame(p, pa, 1, "frame_free");
    uint16_t *ref = &p->refs[pa / PAGE_SIZE - p->first_pfn];
    if (__atomic_load_n(ref, __ATOMIC_ACQUIRE) == 1) {
        struct frame_cpu_cache *fc = &frame_caches[cpu_id()];
        bool cached = false;
        spin_lock(&fc->lock);
        if (fc->pool == p && fc->n < FRAME_CACHE) {
            __atomic_store_n(ref, 0, __ATOMIC_RELAXED);
            fc->pa[fc->n++] = pa;
            cached = true;
        }
        spin_unlock(&fc->lock);
        if (cached)
            return;
    }
    pool_free(p, pa, 1);
}
uint64_t frames_free(void) {
    struct frame_pool *p = current_pool();
    uint64_t n = p->free;
    for (int i = 0; i < ncpus; i++) /* a look without the locks: a statistic */
        if (frame_caches[i].pool == p)
            n += (uint64_t)__atomic_load_n(&frame_caches[i].n, __ATOMIC_RELAXED);
    return n;
}
uint64_t frames_total(void) { return current_pool()->total; }

/* A frame goes back to the pool that owns it, whichever CPU frees it. */
void frame_free_contig(uint64_t pa, size_t n) { pool_free(os_pool_owning(pa), pa, n); }
void frame_ref(uint64_t pa) { pool_ref(os_pool_owning(pa), pa); }
unsigned frame_refcount(uint64_t pa) { return pool_refcount(os_pool_owning(pa), pa); }
