#include "kernel/shm.h"
#include "kernel/proc.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "arch.h"

/* The names are the one table all instances share: a lock of its own,
 * taken only by shm_map/shm_unmap, never by an instance's ordinary work
 * (docs/locks.md). The windows' contents need no lock of the kernel's:
 * the programs that share them agree on their own protocol. */
static struct spinlock names_lock = SPINLOCK_INIT("shm window names", RANK_SHM);
static char names[SHM_WINDOWS][ABI_SHM_NAME_MAX];
static uint64_t area_pa, area_frames;

void shm_init(uint64_t pa, uint64_t frames) {
    area_pa = pa;
    area_frames = frames;
    memset(PHYS_TO_VIRT(pa), 0, frames * PAGE_SIZE);
}

void shm_area(uint64_t *pa, uint64_t *frames) {
    *pa = area_pa;
    *frames = area_frames;
}

static bool name_ok(const char *name) {
    size_t n = strlen(name);
    return n > 0 && n < ABI_SHM_NAME_MAX;
}

/* The window called `name`, or -1; with `create`, a free one gets it. */
static int find_window(const char *name, bool create) {
    spin_lock(&names_lock);
    int w = -1, free_slot = -1;
    for (int i = 0; i < SHM_WINDOWS && w < 0; i++) {
        if (names[i][0] && strcmp(names[i], name) == 0)
            w = i;
        else if (!names[i][0] && free_slot < 0)
            free_slot = i;
    }
    if (w < 0 && create && free_slot >= 0) {
        str_copy(names[free_slot], name, sizeof names[free_slot]);
        w = free_slot;
    }
    spin_unlock(&names_lock);
    return w;
}

static uint64_t window_va(int w) { return USER_SHM_BASE + (uint64_t)w * ABI_SHM_WINDOW_SIZE; }
static uint64_t window_pa(int w) { return area_pa + (uint64_t)w * ABI_SHM_WINDOW_SIZE; }

long shm_map(const char *name) {
    if (!area_frames)
        return -ABI_ENOSYS;
    if (!name_ok(name))
        return -ABI_EINVAL;
    int w = find_window(name, true);
    if (w < 0)
        return -ABI_ENOSPC;
    uint64_t root = current_proc()->as->root;
    /* Mapped as memory no address space owns: fork shares it as it is
     * (not copy-on-write) and exit leaves the frames alone. */
    for (int i = 0; i < SHM_WINDOW_PAGES; i++)
        if (arch_map_page(root, window_va(w) + (uint64_t)i * PAGE_SIZE, window_pa(w) + (uint64_t)i * PAGE_SIZE,
                          MAP_USER | MAP_WRITE | MAP_SHARED_WINDOW) < 0) {
            shm_unmap(name);
            return -ABI_ENOMEM;
        }
    return (long)window_va(w);
}

long shm_unmap(const char *name) {
    if (!area_frames)
        return -ABI_ENOSYS;
    if (!name_ok(name))
        return -ABI_EINVAL;
    int w = find_window(name, false);
    if (w < 0)
        return -ABI_ENOENT;
    uint64_t root = current_proc()->as->root;
    int mapped = 0;
    for (int i = 0; i < SHM_WINDOW_PAGES; i++)
        mapped += arch_unmap_page(root, window_va(w) + (uint64_t)i * PAGE_SIZE) != 0;
    return mapped ? 0 : -ABI_ENOENT;
}
