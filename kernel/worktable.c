/* The benchmark's work table (kernel/worktable.h). */
#include "kernel/worktable.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "user/include/abi.h"

/* One critical region: its lock and the entries it guards, on cache lines
 * of their own so that two regions never share one. */
struct work_region {
    struct spinlock lock;
    uint64_t calls;
    uint64_t cycles;
    uint64_t entries[8];
} __attribute__((aligned(64)));

struct worktable {
    struct work_region region[ABI_KWORK_REGIONS];
};

void worktable_init(struct os_instance *os) {
    os->work = kzalloc(sizeof *os->work);
    if (!os->work) {
        pr_warn("OS instance %d: no memory for the work table: kwork() fails\n", os->id);
        return;
    }
    for (int i = 0; i < ABI_KWORK_REGIONS; i++)
        spin_init(&os->work->region[i].lock, "work table region", RANK_WORKTABLE);
}

long worktable_work(int region, uint64_t cycles) {
    struct worktable *t = this_os()->work;
    if (region < 0 || region >= ABI_KWORK_REGIONS || cycles > ABI_KWORK_MAX_CYCLES)
        return -ABI_EINVAL;
    if (!t)
        return -ABI_ENOMEM;
    struct work_region *r = &t->region[region];
    spin_lock(&r->lock);
    uint64_t start = arch_cycles(), now = start;
    /* Real updates of the region's entries, read back each time, so that
     * the region's cache lines are this CPU's for as long as it works. */
    for (unsigned i = 0; now - start < cycles; i++) {
        r->entries[i % 8] += now;
        now = arch_cycles();
    }
    r->calls++;
    r->cycles += now - start;
    spin_unlock(&r->lock);
    return 0;
}
