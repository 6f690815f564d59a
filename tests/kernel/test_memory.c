/* In-kernel tests of the frame allocator, the heap and page permissions. */
#include "kernel/ktest.h"
#include "kernel/bootinfo.h"
#include "kernel/cpu.h"
#include "kernel/os.h"
#include "lib/string.h"
#include "arch.h"

extern char _boot_start[], _kernel_end[], _rodata_start[], _data_start[];

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
    uint64_t top = arch_alloc_kstack();
    KT_ASSERT(top);
    uint64_t pa;
    unsigned flags;
    KT_ASSERT(arch_translate(0, top - 8, &pa, &flags));
    KT_ASSERT(!arch_translate(0, top - KSTACK_SIZE - 8, &pa, &flags)); /* the guard */
    struct kcatch c = {0};
    if (KCATCH(&c) == 0) {
        *(volatile uint64_t *)(top - KSTACK_SIZE - 8) = 1;
        this_cpu()->catch = NULL;
        arch_free_kstack(top);
        KT_FAIL("write to the guard page did not fault");
    }
    arch_free_kstack(top);
    KT_ASSERT_EQ(c.vector, 14);
    KT_ASSERT_EQ(c.error & 1, 0); /* not present */
}
