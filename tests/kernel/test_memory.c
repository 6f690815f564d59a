/* In-kernel tests of the frame allocator, the heap and page permissions. */
#include "kernel/ktest.h"
#include "kernel/bootinfo.h"
#include "kernel/cpu.h"
#include "kernel/os.h"
#include "kernel/vm.h"
#include "lib/mb2.h"
#include "lib/string.h"
#include "arch.h"

extern char _boot_start[], _kernel_end[], _rodata_start[], _data_start[], _text_start[];

static bool in_range(uint64_t pa, uint64_t start, uint64_t end) { return pa + PAGE_SIZE > start && pa < end; }

static bool frame_is_reserved(uint64_t pa) {
    if (in_range(pa, 0, 0x100000) || in_range(pa, (uint64_t)_boot_start, KIMG_TO_PHYS(_kernel_end)))
        return true;
    uint64_t info = VIRT_TO_PHYS(boot_info_raw());
    if (in_range(pa, info, info + boot_info.total_size))
        return true;
    for (size_t i = 0; i < boot_info.module_count; i++)
        if (in_range(pa, boot_info.modules[i].start, boot_info.modules[i].end))
            return true;
    for (size_t i = 0; i < boot_info.mmap_count; i++) {
        const struct mb2_mmap_entry *e = &boot_info.mmap[i];
        if (e->type != MB2_MMAP_AVAILABLE && in_range(pa, e->addr, e->addr + e->len))
            return true;
    }
    return false;
}

KTEST(frames, alloc_free_roundtrip) {
    uint64_t before = frames_free();
    uint64_t a = frame_alloc(), b = frame_alloc();
    KT_ASSERT(a && b);
    KT_ASSERT_NE(a, b);
    KT_ASSERT_EQ(a % PAGE_SIZE, 0);
    KT_ASSERT_EQ(frames_free(), before - 2);
    const uint8_t *p = PHYS_TO_VIRT(a);
    for (int i = 0; i < PAGE_SIZE; i++)
        KT_ASSERT_EQ(p[i], 0); /* frames come zeroed */
    frame_free(a);
    frame_free(b);
    KT_ASSERT_EQ(frames_free(), before);
}

KTEST(frames, contiguous) {
    uint64_t before = frames_free();
    uint64_t pa = frame_alloc_contig(16);
    KT_ASSERT(pa);
    for (int i = 0; i < 16; i++) { /* every frame of the run is now taken */
        uint64_t other = frame_alloc();
        KT_ASSERT(other < pa || other >= pa + 16 * PAGE_SIZE);
        frame_free(other);
    }
    frame_free_contig(pa, 16);
    KT_ASSERT_EQ(frames_free(), before);
}

/* Take every frame (chained through the frames themselves), check none is
 * reserved and none comes twice, then give them all back. */
KTEST(frames, exhaustion_and_reserved_regions) {
    uint64_t before = frames_free(), count = 0, head = 0;
    bool reserved_seen = false;
    for (uint64_t pa; (pa = frame_alloc()) != 0; count++) {
        reserved_seen |= frame_is_reserved(pa);
        *(uint64_t *)PHYS_TO_VIRT(pa) = head;
        head = pa;
    }
    uint64_t left = frames_free();
    KT_ASSERT_EQ(frame_alloc(), 0); /* exhausted: NULL, never corruption */
    while (head) {
        uint64_t next = *(uint64_t *)PHYS_TO_VIRT(head);
        frame_free(head);
        head = next;
    }
    KT_ASSERT(!reserved_seen);
    KT_ASSERT_EQ(left, 0);
    KT_ASSERT_EQ(count, before);
    KT_ASSERT_EQ(frames_free(), before);
}

/* A shared frame stays allocated until its last reference goes. */
KTEST(frames, reference_counts) {
    uint64_t before = frames_free();
    uint64_t pa = frame_alloc_raw();
    KT_ASSERT(pa);
    KT_ASSERT_EQ(frame_refcount(pa), 1);
    frame_ref(pa);
    frame_ref(pa);
    KT_ASSERT_EQ(frame_refcount(pa), 3);
    frame_free(pa);
    frame_free(pa);
    KT_ASSERT_EQ(frame_refcount(pa), 1);
    KT_ASSERT_EQ(frames_free(), before - 1); /* still in use */
    frame_free(pa);
    KT_ASSERT_EQ(frame_refcount(pa), 0);
    KT_ASSERT_EQ(frames_free(), before);
}

/* A batch applies every change it was given, more than FRAME_BATCH of
 * them included (it flushes itself when full), and nothing before its
 * flush. */
KTEST(frames, batch_applies_every_change) {
    uint64_t before = frames_free();
    uint64_t a = frame_alloc_raw(), b = frame_alloc_raw();
    KT_ASSERT(a && b);
    struct frame_batch refs = {.add = true};
    for (int k = 0; k < FRAME_BATCH + 10; k++)
        frame_batch_put(&refs, k % 2 ? b : a);
    frame_batch_flush(&refs);
    KT_ASSERT_EQ(frame_refcount(a), 1 + (FRAME_BATCH + 10) / 2);
    KT_ASSERT_EQ(frame_refcount(b), 1 + (FRAME_BATCH + 10) / 2);
    struct frame_batch drops = {.add = false};
    for (int k = 0; k < FRAME_BATCH + 10; k++)
        frame_batch_put(&drops, k % 2 ? b : a);
    frame_batch_put(&drops, a);
    KT_ASSERT_EQ(frames_free(), before - 2); /* the last drops wait for the flush */
    frame_batch_flush(&drops);
    KT_ASSERT_EQ(frame_refcount(a), 0);
    KT_ASSERT_EQ(frame_refcount(b), 1);
    KT_ASSERT_EQ(frames_free(), before - 1);
    frame_free(b);
    KT_ASSERT_EQ(frames_free(), before);
}

/* RAM above what the direct map covers is left out, and counted. */
KTEST(frames, usable_top_stops_at_the_direct_map) {
    static struct mb2_info mb; /* large: not on the stack */
    memset(&mb, 0, sizeof mb);
    mb.mmap[0] = (struct mb2_mmap_entry){0x100000, (2ULL << 30) - 0x100000, MB2_MMAP_AVAILABLE};
    mb.mmap[1] = (struct mb2_mmap_entry){2ULL << 30, 2ULL << 30, MB2_MMAP_RESERVED};
    mb.mmap[2] = (struct mb2_mmap_entry){4ULL << 30, 600ULL << 30, MB2_MMAP_AVAILABLE};
    mb.mmap[3] = (struct mb2_mmap_entry){700ULL << 30, 1ULL << 30, MB2_MMAP_AVAILABLE};
    mb.mmap_count = 4;
    uint64_t left;
    KT_ASSERT_EQ(frames_usable_top(&mb, PHYS_MAP_MAX_BYTES, &left), PHYS_MAP_MAX_BYTES);
    KT_ASSERT_EQ(left, (604ULL << 30) - PHYS_MAP_MAX_BYTES + (1ULL << 30));
    KT_ASSERT_EQ(frames_usable_top(&mb, 8ULL << 30, &left), 8ULL << 30);
    mb.mmap_count = 1; /* all below the limit: nothing left out */
    KT_ASSERT_EQ(frames_usable_top(&mb, PHYS_MAP_MAX_BYTES, &left), 2ULL << 30);
    KT_ASSERT_EQ(left, 0);
}

KTEST(heap, sizes_and_alignment) {
    static const size_t sizes[] = {1, 7, 16, 17, 24, 63, 64, 100, 128, 255, 1000, 2048, 2049, 4096, 10000, 100000};
    void *p[ARRAY_SIZE(sizes)];
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        p[i] = kmalloc(sizes[i]);
        KT_ASSERT(p[i]);
        KT_ASSERT_EQ((uint64_t)p[i] % 16, 0);
        if (sizes[i] <= 64)
            KT_ASSERT_EQ((uint64_t)p[i] % ksize(p[i]), 0);
        KT_ASSERT(ksize(p[i]) >= sizes[i]);
        memset(p[i], (int)i + 1, sizes[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) { /* no allocation overwrote another */
        const uint8_t *b = p[i];
        for (size_t k = 0; k < sizes[i]; k++)
            KT_ASSERT_EQ(b[k], i + 1);
    }
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
        kfree(p[i]);
    KT_ASSERT(kmalloc(0) == NULL);
}

KTEST(heap, reuse_after_free) {
    void *a = kmalloc(40);
    kfree(a);
    void *b = kmalloc(40);
    KT_ASSERT(a == b); /* the free list hands the object straight back */
    kfree(b);
    uint64_t before = frames_free();
    void *big = kmalloc(64 * 1024);
    KT_ASSERT(big);
    KT_ASSERT(frames_free() < before);
    kfree(big);
    KT_ASSERT_EQ(frames_free(), before); /* large blocks return their frames */
}

KTEST(heap, exhaustion_returns_null) {
    uint64_t before = frames_free();
    void *head = NULL;
    size_t n = 0;
    for (void *p; (p = kmalloc(256 * 1024)) != NULL; n++) {
        *(void **)p = head;
        head = p;
    }
    KT_ASSERT(n > 0);
    void *small_head = NULL;
    for (void *p; (p = kmalloc(2048)) != NULL;) { /* then the last scraps */
        *(void **)p = small_head;
        small_head = p;
    }
    /* The heap said no only because memory ran out (a slab may still have
     * room for a 1-byte block, so kmalloc(1) is not asked about). */
    uint64_t frames_left = frames_free();
    while (head) {
        void *next = *(void **)head;
        kfree(head);
        head = next;
    }
    while (small_head) {
        void *next = *(void **)small_head;
        kfree(small_head);
        small_head = next;
    }
    KT_ASSERT_EQ(frames_left, 0);
    /* Slab pages stay with the heap for reuse; large blocks all came back. */
    KT_ASSERT(frames_free() + this_os()->heap.slab_pages >= before);
    void *again = kmalloc(256 * 1024);
    KT_ASSERT(again);
    kfree(again);
}

static const uint32_t rodata_word = 0x12345678;
static uint8_t data_code[16] = {0xC3}; /* "ret", but in a no-execute page */

KTEST(paging, write_to_rodata_faults) {
    struct kcatch c = {0};
    if (KCATCH(&c) == 0) {
        *(volatile uint32_t *)&rodata_word = 1;
        this_cpu()->catch = NULL;
        KT_FAIL("write to rodata did not fault");
    }
    KT_ASSERT_EQ(c.vector, 14);
    KT_ASSERT_EQ(c.fault_addr, (uint64_t)&rodata_word);
    KT_ASSERT_EQ(c.error & 3, 3); /* present page, write access */
    KT_ASSERT_EQ(rodata_word, 0x12345678);
}

KTEST(paging, execute_from_data_faults) {
    struct kcatch c = {0};
    if (KCATCH(&c) == 0) {
        ((void (*)(void))(uintptr_t)data_code)();
        this_cpu()->catch = NULL;
        KT_FAIL("executing from data did not fault");
    }
    KT_ASSERT_EQ(c.vector, 14);
    KT_ASSERT_EQ(c.fault_addr, (uint64_t)data_code);
    KT_ASSERT(c.error & 16); /* instruction fetch */
}

KTEST(paging, text_is_not_writable) {
    uint64_t pa;
    unsigned flags;
    KT_ASSERT(arch_translate(0, (uint64_t)&ktest_run, &pa, &flags));
    KT_ASSERT(flags & MAP_EXEC);
    KT_ASSERT(!(flags & MAP_WRITE));
    KT_ASSERT(arch_translate(0, (uint64_t)_data_start, &pa, &flags));
    KT_ASSERT(flags & MAP_WRITE);
    KT_ASSERT(!(flags & MAP_EXEC));
    KT_ASSERT(!(flags & MAP_USER));
}

KTEST(paging, kernel_stack_guard_page) {
    uint64_t top = arch_alloc_kstack(&this_os()->kstacks);
    KT_ASSERT(top);
    uint64_t pa;
    unsigned flags;
    KT_ASSERT(arch_translate(0, top - 8, &pa, &flags));
    /* Not global: freeing a stack then needs no shoot-down (paging.c). */
    KT_ASSERT(!(flags & MAP_GLOBAL));
    KT_ASSERT(arch_translate(0, (uint64_t)&ktest_run, &pa, &flags));
    KT_ASSERT(flags & MAP_GLOBAL); /* the kernel text is, so the check above can tell */
    KT_ASSERT(!arch_translate(0, top - KSTACK_SIZE - 8, &pa, &flags)); /* the guard */
    struct kcatch c = {0};
    if (KCATCH(&c) == 0) {
        *(volatile uint64_t *)(top - KSTACK_SIZE - 8) = 1;
        this_cpu()->catch = NULL;
        arch_free_kstack(&this_os()->kstacks, top);
        KT_FAIL("write to the guard page did not fault");
    }
    arch_free_kstack(&this_os()->kstacks, top);
    KT_ASSERT_EQ(c.vector, 14);
    KT_ASSERT_EQ(c.error & 1, 0); /* not present */
}

/* The direct map's view of the kernel image has the image's permissions,
 * minus execute: writing text or rodata through it faults as well. */
static void expect_alias_write_faults(struct ktest_ctx *kt_, const void *kernel_va, const char *what) {
    volatile uint8_t *alias = PHYS_TO_VIRT(KIMG_TO_PHYS(kernel_va));
    uint64_t pa;
    unsigned flags;
    KT_ASSERT(arch_translate(0, (uint64_t)alias, &pa, &flags));
    KT_ASSERT_EQ(pa, KIMG_TO_PHYS(kernel_va));
    KT_ASSERT(!(flags & MAP_WRITE));
    KT_ASSERT(!(flags & MAP_EXEC));
    struct kcatch c = {0};
    if (KCATCH(&c) == 0) {
        *alias = *alias;
        this_cpu()->catch = NULL;
        KT_FAIL("write to the direct-map alias of %s did not fault", what);
    }
    KT_ASSERT_EQ(c.vector, 14);
    KT_ASSERT_EQ(c.fault_addr, (uint64_t)alias);
    KT_ASSERT_EQ(c.error & 3, 3); /* present page, write access */
}

KTEST(paging, direct_map_alias_of_text_is_read_only) { expect_alias_write_faults(kt_, _text_start, "text"); }
KTEST(paging, direct_map_alias_of_rodata_is_read_only) { expect_alias_write_faults(kt_, &rodata_word, "rodata"); }

KTEST(paging, direct_map_alias_of_data_is_writable) {
    static volatile uint64_t word = 1;
    volatile uint64_t *alias = PHYS_TO_VIRT(KIMG_TO_PHYS(&word));
    *alias = 2;
    KT_ASSERT_EQ(word, 2);
}

/* The AP trampoline's identity mapping is gone after bring-up, with the
 * page tables it needed: the kernel's lower half is empty again (x86_64:
 * PML4 entries 0-255 are all zero). */
KTEST(paging, trampoline_unmapped_after_bringup) {
    uint64_t pa;
    unsigned flags;
    KT_ASSERT(!arch_translate(0, AP_TRAMPOLINE_PHYS, &pa, &flags));
    const uint64_t *pml4 = PHYS_TO_VIRT(arch_kernel_root());
    for (int i = 0; i < 256; i++)
        if (pml4[i])
            KT_FAIL("kernel PML4 entry %d is %llx after bring-up", i, (unsigned long long)pml4[i]);
}

/* ---- user address spaces: demand-zero, copy-on-write, sbrk ---- */

#define TEST_HEAP 0x10000000ULL

/* Free frames, not counting the heap's slab pages (which stay with the
 * heap once kmalloc took them; struct addrspace comes from there). */
static uint64_t frames_free_but_slabs(void) { return frames_free() + this_os()->heap.slab_pages; }

static struct addrspace *test_as(void) {
    struct addrspace *as = as_create();
    if (as)
        as->image_end = as->brk = TEST_HEAP;
    return as;
}

KTEST(vm, sbrk_maps_nothing_and_first_touch_maps_a_zero_page) {
    uint64_t before = frames_free_but_slabs();
    struct addrspace *as = test_as();
    KT_ASSERT(as);
    uint64_t after_create = frames_free();
    KT_ASSERT_EQ(as_sbrk(as, 16 * PAGE_SIZE), (int64_t)TEST_HEAP);
    KT_ASSERT_EQ(frames_free(), after_create); /* nothing mapped yet */
    uint64_t pa;
    unsigned flags;
    KT_ASSERT(!arch_translate(as->root, TEST_HEAP + 5 * PAGE_SIZE, &pa, &flags));
    KT_ASSERT_EQ(vm_fault(as, TEST_HEAP + 5 * PAGE_SIZE + 123, false), 0);
    KT_ASSERT(arch_translate(as->root, TEST_HEAP + 5 * PAGE_SIZE, &pa, &flags));
    KT_ASSERT((flags & MAP_USER) && (flags & MAP_WRITE) && !(flags & MAP_EXEC));
    const uint8_t *p = PHYS_TO_VIRT(pa);
    for (int i = 0; i < PAGE_SIZE; i++)
        KT_ASSERT_EQ(p[i], 0);
    /* above the break, below the stack area: not demand-zero */
    KT_ASSERT_EQ(vm_fault(as, TEST_HEAP + 16 * PAGE_SIZE, true), -ABI_EFAULT);
    /* the stack area is, all of it */
    KT_ASSERT_EQ(vm_fault(as, USER_STACK_TOP - USER_STACK_MAX, true), 0);
    KT_ASSERT_EQ(vm_fault(as, USER_STACK_TOP - USER_STACK_MAX - 1, true), -ABI_EFAULT);
    as_destroy(as);
    KT_ASSERT_EQ(frames_free_but_slabs(), before);
}

KTEST(vm, sbrk_huge_fails_and_shrinking_frees_page_tables) {
    struct addrspace *as = test_as();
    KT_ASSERT(as);
    uint64_t start = frames_free();
    KT_ASSERT_EQ(as_sbrk(as, 0x400000000000LL), -ABI_ENOMEM);
    KT_ASSERT_EQ(as_sbrk(as, (int64_t)(frames_free() * PAGE_SIZE)), -ABI_ENOMEM);
    KT_ASSERT_EQ(as->brk, TEST_HEAP);
    KT_ASSERT_EQ(frames_free(), start);
    /* 8 MiB touched every 64 pages (several page tables), then given back */
    KT_ASSERT_EQ(as_sbrk(as, 8 << 20), (int64_t)TEST_HEAP);
    for (uint64_t va = TEST_HEAP; va < TEST_HEAP + (8 << 20); va += 64 * PAGE_SIZE)
        KT_ASSERT_EQ(vm_fault(as, va, true), 0);
    KT_ASSERT(frames_free() < start - 32);
    KT_ASSERT_EQ(as_sbrk(as, -(8 << 20)), (int64_t)(TEST_HEAP + (8 << 20)));
    KT_ASSERT_EQ(frames_free(), start); /* pages and page tables */
    as_destroy(as);
}

KTEST(vm, fork_shares_pages_copy_on_write) {
    uint64_t before = frames_free_but_slabs();
    struct addrspace *parent = test_as();
    KT_ASSERT(parent);
    KT_ASSERT_EQ(as_sbrk(parent, 2 * PAGE_SIZE), (int64_t)TEST_HEAP);
    KT_ASSERT_EQ(vm_fault(parent, TEST_HEAP, true), 0);
    KT_ASSERT_EQ(vm_fault(parent, TEST_HEAP + PAGE_SIZE, true), 0);
    uint64_t pa0, pa1, c0, c1;
    unsigned flags;
    KT_ASSERT(arch_translate(parent->root, TEST_HEAP, &pa0, &flags));
    KT_ASSERT(arch_translate(parent->root, TEST_HEAP + PAGE_SIZE, &pa1, &flags));
    *(uint64_t *)PHYS_TO_VIRT(pa0) = 0x1111;
    uint64_t before_fork = frames_free();
    struct addrspace *child = as_clone(parent);
    KT_ASSERT(child);
    KT_ASSERT(before_fork - frames_free() <= 4); /* page tables only, no page copied */
    KT_ASSERT(arch_translate(child->root, TEST_HEAP, &c0, &flags));
    KT_ASSERT_EQ(c0, pa0);
    KT_ASSERT(!(flags & MAP_WRITE)); /* shared read-only, in both */
    KT_ASSERT(arch_translate(parent->root, TEST_HEAP, &pa0, &flags));
    KT_ASSERT(!(flags & MAP_WRITE));
    KT_ASSERT_EQ(frame_refcount(pa0), 2);
    /* the child writes: it gets its own copy with the same contents */
    KT_ASSERT_EQ(vm_fault(child, TEST_HEAP, true), 0);
    KT_ASSERT(arch_translate(child->root, TEST_HEAP, &c0, &flags));
    KT_ASSERT_NE(c0, pa0);
    KT_ASSERT(flags & MAP_WRITE);
    KT_ASSERT_EQ(*(uint64_t *)PHYS_TO_VIRT(c0), 0x1111);
    KT_ASSERT_EQ(frame_refcount(pa0), 1);
    /* the parent, now its only user, takes the page back without a copy */
    uint64_t free_now = frames_free();
    KT_ASSERT_EQ(vm_fault(parent, TEST_HEAP, true), 0);
    KT_ASSERT(arch_translate(parent->root, TEST_HEAP, &pa0, &flags));
    KT_ASSERT(flags & MAP_WRITE);
    KT_ASSERT_EQ(frames_free(), free_now);
    /* a read fault on a shared page is no fix-up: it is not a COW write */
    KT_ASSERT_EQ(vm_fault(parent, TEST_HEAP + PAGE_SIZE, false), -ABI_EFAULT);
    KT_ASSERT(arch_translate(child->root, TEST_HEAP + PAGE_SIZE, &c1, &flags));
    KT_ASSERT_EQ(c1, pa1);
    as_destroy(child);
    KT_ASSERT_EQ(frame_refcount(pa1), 1);
    as_destroy(parent);
    KT_ASSERT_EQ(frames_free_but_slabs(), before);
}
