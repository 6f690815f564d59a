/*
 * User address spaces: fork's copy-on-write sharing, demand-zero pages for
 * the heap, the stack and mmap()'s anonymous mappings (whose regions
 * kernel/mmap.c keeps), the fault handler that fills them in, and sbrk.
 *
 * Locking: everything here changes one address space's page tables and
 * its break under that address space's lock (as->lock, RANK_ADDRSPACE,
 * below the heap's and the frame pool's, which frame_alloc() takes inside
 * it). The frame reference counts have their own lock (the frame pool's,
 * in frame.c) and need nothing more from here.
 */
#include "kernel/vm.h"
#include "kernel/frame.h"
#include "kernel/printk.h"
#include "kernel/heap.h"
#include "kernel/os.h"
#include "lib/string.h"

#define SBRK_RESERVE_FRAMES 256 /* 1 MiB that sbrk leaves free (as_sbrk) */

void as_table_init(struct os_instance *os) {
    os->spaces = kzalloc(sizeof(struct addrspace) * AS_SLOTS);
    if (!os->spaces)
        panic("no memory for the address-space table");
    for (int i = 0; i < AS_SLOTS; i++) /* once: a lock in the registry is never initialised again */
        spin_init(&os->spaces[i].lock, "address space", RANK_ADDRSPACE);
}

struct addrspace *as_create(void) {
    struct addrspace *as = NULL;
    struct addrspace *t = this_os()->spaces;
    for (int i = 0; i < AS_SLOTS && !as; i++) {
        int expect = 0;
        if (__atomic_compare_exchange_n(&t[i].in_use, &expect, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            as = &t[i];
    }
    if (!as)
        return NULL;
    as->image_end = as->brk = 0;
    as->maps.n = 0;
    as->root = arch_as_create();
    if (!as->root) {
        __atomic_store_n(&as->in_use, 0, __ATOMIC_RELEASE);
        return NULL;
    }
    return as;
}

void as_destroy(struct addrspace *as) {
    arch_as_destroy(as->root);
    as->root = 0;
    __atomic_store_n(&as->in_use, 0, __ATOMIC_RELEASE);
}

/* fork: the child shares every page (arch_as_copy marks writable ones
 * copy-on-write); only its page tables are new. */
struct addrspace *as_clone(const struct addrspace *src) {
    struct addrspace *as = as_create();
    if (!as)
        return NULL;
    struct spinlock *l = (struct spinlock *)&src->lock; /* the source's page tables change (copy-on-write marks) */
    spin_lock(l);
    int r = arch_as_copy(as->root, src->root);
    as->image_end = src->image_end;
    as->brk = src->brk;
    as->maps = src->maps; /* the child has the same mappings, their pages shared as above */
    spin_unlock(l);
    if (r < 0) {
        as_destroy(as);
        return NULL;
    }
    return as;
}

/* Pages that exist without being mapped yet: the heap up to the break,
 * the whole stack area (both read-write, no-execute) and every page of an
 * mmap() region. Their first touch maps a zeroed frame with these page
 * flags; 0 when va is none of them, or the access is not allowed there (a
 * PROT_NONE mapping, a write to a read-only one). */
static unsigned demand_zero_flags(const struct addrspace *as, uint64_t va, bool write) {
    if ((va >= as->image_end && va < ALIGN_UP(as->brk, PAGE_SIZE)) ||
        (va >= USER_STACK_TOP - USER_STACK_MAX && va < USER_STACK_TOP))
        return MAP_USER | MAP_WRITE;
    return mmap_fault_flags(as, va, write);
}

/* Make the page at va accessible for a read (or a write): map a zeroed
 * frame at a demand-zero address, copy (or take over) a copy-on-write page
 * for a write. 0, -EFAULT (the access is not allowed) or -ENOMEM. */
static int make_accessible(struct addrspace *as, uint64_t va, bool write) {
    uint64_t pa;
    unsigned flags;
    va = ALIGN_DOWN(va, PAGE_SIZE);
    if (va < USER_LO || va >= USER_TOP)
        return -ABI_EFAULT;
    if (!arch_translate(as->root, va, &pa, &flags)) {
        unsigned first = demand_zero_flags(as, va, write);
        if (!first)
            return -ABI_EFAULT;
        uint64_t frame = frame_alloc();
        if (!frame)
            return -ABI_ENOMEM;
        if (arch_map_page(as->root, va, frame, first) < 0) {
            frame_free(frame);
            return -ABI_ENOMEM;
        }
        return 0;
    }
    if (!(flags & MAP_USER)) /* a PROT_NONE page keeps its frame, the program may not see it (mmap.c) */
        return -ABI_EFAULT;
    if (!write || (flags & MAP_WRITE))
        return 0;
    int r = arch_cow_break(as->root, va);
    return r == 0 ? 0 : r < 0 ? -ABI_ENOMEM : -ABI_EFAULT;
}

static void out_of_memory(uint64_t va, const char *where) {
    struct proc *p = current_proc();
    pr_warn("pid %d (%s): out of memory for the page at %llx (%s): killed (signal %d)\n", p->pid, p->name,
            (unsigned long long)va, where, ABI_SIGKILL);
}

int vm_fault(struct addrspace *as, uint64_t va, bool write) {
    uint64_t pa;
    unsigned flags;
    spin_lock(&as->lock);
    bool present = arch_translate(as->root, ALIGN_DOWN(va, PAGE_SIZE), &pa, &flags);
    /* A present page that faulted for a read, or a writable one for a
     * write, broke another rule (no-execute, a kernel page): no fix-up. */
    int r = present && (!write || (flags & MAP_WRITE)) ? -ABI_EFAULT : make_accessible(as, va, write);
    spin_unlock(&as->lock);
    if (r == -ABI_ENOMEM)
        out_of_memory(va, present ? "copy-on-write fault" : "page fault, first touch");
    return r;
}

int vm_prepare_user(struct addrspace *as, uint64_t va, size_t n, bool write) {
    if (n == 0)
        return 0;
    if (va < USER_LO || va + n < va || va + n > USER_TOP)
        return -ABI_EFAULT;
    int r = 0;
    uint64_t p = ALIGN_DOWN(va, PAGE_SIZE);
    spin_lock(&as->lock);
    for (; p < va + n && r == 0; p += PAGE_SIZE)
        r = make_accessible(as, p, write);
    spin_unlock(&as->lock);
    if (r == -ABI_ENOMEM) {
        struct proc *me = current_proc();
        out_of_memory(p - PAGE_SIZE, "the kernel copying into the program's memory");
        proc_lock(me); /* `killed` is under the process's lock (kill() writes it too) */
        me->killed = ABI_SIGKILL;
        proc_unlock(me);
    }
    return r;
}

int as_write(struct addrspace *as, uint64_t va, const void *src, size_t n) {
    const uint8_t *s = src;
    while (n) {
        uint64_t pa;
        unsigned flags;
        spin_lock(&as->lock);
        bool ok = arch_translate(as->root, va, &pa, &flags) ||
                  (make_accessible(as, va, true) == 0 && arch_translate(as->root, va, &pa, &flags));
        spin_unlock(&as->lock);
        if (!ok)
            return -ABI_ENOMEM;
        size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        memcpy(PHYS_TO_VIRT(pa), s, chunk);
        s += chunk;
        va += chunk;
        n -= chunk;
    }
    return 0;
}

/* The break may grow up to the stack area (with a gap) and shrink down to
 * the end of the loaded image. Growing maps nothing: the pages are
 * demand-zero. So that a request memory can never satisfy fails at once
 * (and not later, as a killed process), growth is refused when it would
 * leave fewer than SBRK_RESERVE_FRAMES of the frames free right now: room
 * for page tables, copy-on-write copies and the kernel's own needs, so that
 * a program that grows its heap until ENOMEM can go on running. It is a
 * check, not a reservation: memory can still run out at a first touch or a
 * copy-on-write fault, which kills that process (vm_fault). Shrinking
 * frees the pages and the page tables left empty. */
bool vm_commit_ok(uint64_t pages) {
    uint64_t free = frames_free();
    return free >= SBRK_RESERVE_FRAMES && pages <= free - SBRK_RESERVE_FRAMES;
}

static int64_t sbrk_locked(struct addrspace *as, int64_t increment) {
    uint64_t old = as->brk;
    uint64_t limit = USER_SHM_BASE - (1ULL << 20); /* below the shared-memory windows and the stack */
    uint64_t new_brk = old + (uint64_t)increment;
    if ((increment > 0 && (new_brk < old || new_brk > limit)) ||
        (increment < 0 && (new_brk > old || new_brk < as->image_end)))
        return -ABI_ENOMEM;
    uint64_t old_top = ALIGN_UP(old, PAGE_SIZE), new_top = ALIGN_UP(new_brk, PAGE_SIZE);
    if (new_top > old_top && !vm_commit_ok((new_top - old_top) / PAGE_SIZE))
        return -ABI_ENOMEM;
    if (new_top < old_top)
        arch_unmap_user_range(as->root, new_top, old_top);
    as->brk = new_brk;
    return (int64_t)old;
}

int64_t as_sbrk(struct addrspace *as, int64_t increment) {
    spin_lock(&as->lock);
    int64_t r = sbrk_locked(as, increment);
    spin_unlock(&as->lock);
    return r;
}
