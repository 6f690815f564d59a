/*
 * Memory mappings: mmap, munmap, mprotect (kernel/mmap.c). Each address
 * space records its mappings in a small table of regions; the page tables
 * hold the pages that exist so far, and a fault inside a region maps a
 * zeroed page with the region's protection (kernel/vm.c).
 */
#ifndef MMAP_H
#define MMAP_H

#include "lib/types.h"

/* Regions one address space may hold; one more is -ENOMEM. */
#define MMAP_REGIONS 32

/* [start, end), page-aligned, inside [USER_MMAP_BASE, USER_MMAP_TOP). */
struct vm_region {
    uint64_t start, end;
    uint32_t prot; /* ABI_PROT_* */
    uint32_t pad;
};

/* Sorted by address, never overlapping, neighbours with the same
 * protection merged. Two entries more than an address space may keep, so
 * that an edit can split a region before it merges (kernel/mmap.c). */
struct vm_regions {
    int n;
    struct vm_region r[MMAP_REGIONS + 2];
};

struct addrspace;

/* The page flags (MAP_USER, MAP_WRITE, MAP_EXEC) a first touch of va
 * gives its page, when va lies in a mapping the access may touch; else 0
 * (not mapped, PROT_NONE, or a write to a read-only mapping). The caller
 * holds as->lock. */
unsigned mmap_fault_flags(const struct addrspace *as, uint64_t va, bool write);

/* The system calls: an address, 0, or -ABI_E*. */
long mmap_map(uint64_t addr, uint64_t len, int prot, int flags, int fd, int64_t off);
long mmap_unmap(uint64_t addr, uint64_t len);
long mmap_protect(uint64_t addr, uint64_t len, int prot);

#endif
