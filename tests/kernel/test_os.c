/*
 * In-kernel tests of OS instances: memory and heap objects stay in the
 * instance that allocated them, slices do not overlap, and exhausting one
 * instance's memory leaves the others' untouched. With one shared instance
 * (bkl) they check the same rules over the one pool.
 */
#include "kernel/ktest.h"
#include "kernel/heap.h"
#include "kernel/options.h"
#include "kernel/os.h"
#include "kernel/shm.h"
#include "arch.h"

static bool in_pool(const struct frame_pool *p, uint64_t pa) { return pool_owns(p, pa); }

/* Allocate every frame this instance has: each lies in its own slice and
 * is owned by nobody else; the other instances' free counts do not move,
 * and they still have memory while this one has none. */
KTEST(os, exhausted_instance_frames_stay_in_its_slice) {
    struct os_instance *me = this_os();
    uint64_t others_before[MAX_OS_INSTANCES], mine_before = frames_free(); /* with this CPU's cached frames */
    for (int i = 0; i < os_instance_count; i++)
        others_before[i] = os_instances[i].frames.free;
    uint64_t shm_pa, shm_frames;
    shm_area(&shm_pa, &shm_frames);
    uint64_t head = 0, count = 0, stray = 0, stray_pa = 0;
    for (uint64_t pa; (pa = frame_alloc()) != 0; count++) {
        if (!in_pool(&me->frames, pa) || os_pool_owning(pa) != &me->frames ||
            (shm_frames && pa >= shm_pa && pa < shm_pa + shm_frames * PAGE_SIZE)) {
            stray++;
            stray_pa = pa;
        }
        *(uint64_t *)PHYS_TO_VIRT(pa) = head;
        head = pa;
    }
    uint64_t mine_left = frames_free();
    bool others_same = true, others_have_memory = true;
    for (int i = 0; i < os_instance_count; i++) {
        if (&os_instances[i] == me)
            continue;
        others_same &= os_instances[i].frames.free == others_before[i];
        others_have_memory &= os_instances[i].frames.free > 0;
    }
    while (head) {
        uint64_t next = *(uint64_t *)PHYS_TO_VIRT(head);
        frame_free(head);
        head = next;
    }
    printk(LOG_INFO, "ktest:   instance %d: %llu frames taken, all in %llx-%llx; %d other instance%s untouched\n",
           me->id, (unsigned long long)count, (unsigned long long)(me->frames.first_pfn * PAGE_SIZE),
           (unsigned long long)((me->frames.first_pfn + me->frames.npfn) * PAGE_SIZE), os_instance_count - 1,
           os_instance_count == 2 ? "" : "s");
    KT_ASSERT(count > 0);
    KT_ASSERT_EQ(mine_left, 0);
    if (stray)
        KT_FAIL("%llu frames outside instance %d's slice, e.g. %llx", (unsigned long long)stray, me->id,
                (unsigned long long)stray_pa);
    KT_ASSERT(others_same);
    KT_ASSERT(others_have_memory);
    KT_ASSERT_EQ(frames_free(), mine_before);
}

/* Heap objects, small (slab pages) and large (whole frames), come from the
 * instance's own memory and go back to its own heap. */
KTEST(os, heap_objects_stay_in_this_instance) {
    static void *objs[96];
    struct os_instance *me = this_os();
    uint64_t live = me->heap.live_objects;
    for (int i = 0; i < 96; i++) {
        size_t size = (size_t)16 << (i % 10); /* 16 bytes .. 8 KiB: both kinds */
        objs[i] = kmalloc(size);
        KT_ASSERT(objs[i]);
    }
    int stray = 0;
    for (int i = 0; i < 96; i++)
        stray += !in_pool(&me->frames, VIRT_TO_PHYS(objs[i]));
    KT_ASSERT_EQ(me->heap.live_objects, live + 96);
    for (int i = 0; i < 96; i++)
        kfree(objs[i]);
    KT_ASSERT_EQ(stray, 0);
    KT_ASSERT_EQ(me->heap.live_objects, live);
}

/* The slices, and the shared-memory area when there is one, are disjoint,
 * and each CPU serves an instance that exists. */
KTEST(os, slices_are_disjoint) {
    uint64_t shm_pa, shm_frames;
    shm_area(&shm_pa, &shm_frames);
    for (int i = 0; i < os_instance_count; i++) {
        const struct frame_pool *a = &os_instances[i].frames;
        uint64_t a0 = a->first_pfn, a1 = a->first_pfn + a->npfn;
        KT_ASSERT(a1 > a0);
        KT_ASSERT(a->free <= a->total);
        if (shm_frames)
            KT_ASSERT(shm_pa / PAGE_SIZE >= a1 || (shm_pa / PAGE_SIZE) + shm_frames <= a0);
        for (int j = i + 1; j < os_instance_count; j++) {
            const struct frame_pool *b = &os_instances[j].frames;
            KT_ASSERT(b->first_pfn >= a1 || b->first_pfn + b->npfn <= a0);
        }
    }
    for (int c = 0; c < ncpus; c++)
        KT_ASSERT(cpus[c].os >= os_instances && cpus[c].os < os_instances + os_instance_count);
}

/* partition=W0,W1,...: each instance's share of the free memory follows
 * its weight (within 2% of the whole; the boot's own allocations sit in
 * instance 0's slice). Skipped without the option or with one instance. */
KTEST(os, partition_follows_the_weights) {
    if (boot_options.npartition == 0 || os_instance_count < 2)
        KT_SKIP("no partition= option, or one instance");
    uint64_t total = 0, wsum = 0;
    for (int i = 0; i < os_instance_count; i++) {
        total += os_instances[i].frames.total;
        wsum += (unsigned)i < boot_options.npartition ? boot_options.partition[i] : 1;
    }
    for (int i = 0; i < os_instance_count; i++) {
        uint64_t w = (unsigned)i < boot_options.npartition ? boot_options.partition[i] : 1;
        int64_t want = (int64_t)(total * w / wsum), got = (int64_t)os_instances[i].frames.total;
        printk(LOG_INFO, "ktest:   instance %d: weight %llu, %lld frames (%lld by weight)\n", i,
               (unsigned long long)w, (long long)got, (long long)want);
        KT_ASSERT((got > want ? got - want : want - got) <= (int64_t)total / 50);
    }
}
