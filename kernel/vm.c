#include "kernel/vm.h"
#include "kernel/frame.h"
#include "kernel/printk.h"
#include "kernel/heap.h"
#include "lib/string.h"

struct addrspace *as_create(void) {
    struct addrspace *as = kzalloc(sizeof *as);
    if (!as)
        return NULL;
    as->root = arch_as_create();
    if (!as->root) {
        kfree(as);
        return NULL;
    }
    return as;
}

void as_destroy(struct addrspace *as) {
    arch_as_destroy(as->root);
    kfree(as);
}

struct addrspace *as_clone(const struct addrspace *src) {
    struct addrspace *as = as_create();
    if (!as)
        return NULL;
    if (arch_as_copy(as->root, src->root) < 0) {
        as_destroy(as);
        return NULL;
    }
    as->image_end = src->image_end;
    as->brk = src->brk;
    return as;
}

static void unmap_range(struct addrspace *as, uint64_t start, uint64_t end) {
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        uint64_t pa = arch_unmap_page(as->root, va);
        if (pa)
            frame_free(pa);
    }
}

int as_map_zeroed(struct addrspace *as, uint64_t start, uint64_t end, unsigned flags) {
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        uint64_t pa = frame_alloc();
        if (!pa || arch_map_page(as->root, va, pa, flags | MAP_USER) < 0) {
            if (pa)
                frame_free(pa);
            unmap_range(as, start, va);
            return -ABI_ENOMEM;
        }
    }
    return 0;
}

void as_write(struct addrspace *as, uint64_t va, const void *src, size_t n) {
    const uint8_t *s = src;
    while (n) {
        uint64_t pa;
        unsigned flags;
        if (!arch_translate(as->root, va, &pa, &flags))
            panic("as_write to unmapped %llx", (unsigned long long)va);
        size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        memcpy(PHYS_TO_VIRT(pa), s, chunk);
        s += chunk;
        va += chunk;
        n -= chunk;
    }
}

/* The break may grow up to the stack area (with a gap) and shrink down to
 * the end of the loaded image; freed pages go back to the frame pool. */
int64_t as_sbrk(struct addrspace *as, int64_t increment) {
    uint64_t old = as->brk;
    uint64_t limit = USER_STACK_TOP - USER_STACK_MAX - (1ULL << 20);
    uint64_t new_brk = old + (uint64_t)increment;
    if ((increment > 0 && (new_brk < old || new_brk > limit)) ||
        (increment < 0 && (new_brk > old || new_brk < as->image_end)))
        return -ABI_ENOMEM;
    uint64_t old_top = ALIGN_UP(old, PAGE_SIZE), new_top = ALIGN_UP(new_brk, PAGE_SIZE);
    if (new_top > old_top && as_map_zeroed(as, old_top, new_top, MAP_WRITE) < 0)
        return -ABI_ENOMEM;
    if (new_top < old_top)
        unmap_range(as, new_top, old_top); /* only this CPU runs this address space: local flush */
    as->brk = new_brk;
    return (int64_t)old;
}
