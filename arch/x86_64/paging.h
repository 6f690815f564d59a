/* Page-table entry bits (SDM vol. 3A 4.5, tables 4-15 to 4-20). */
#ifndef PAGING_H
#define PAGING_H
#include "arch.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define PTE_G (1ULL << 8)
#define PTE_COW (1ULL << 9) /* software bit (ignored by the MMU): a copy-on-write page */
#define PTE_SHW (1ULL << 10) /* software bit: a shared-memory window page, owned by no address space */
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL
#define PTE_ADDR_2M 0x000FFFFFFFE00000ULL
#define KERNEL_HALF 0xFFFF800000000000ULL

/* Page flags beyond arch.h's, for arch/ only. */
#define MAP_COW (1u << 8)      /* read-only now, copied on the first write */
#define MAP_NOGLOBAL (1u << 9) /* a kernel mapping without the global bit */
#define MAP_WC (1u << 10)      /* write-combining (PAT entry 1, see paging_pat_init) */

/* The level-1 entry of va in root's tables (0 = kernel), or NULL. */
uint64_t *paging_pte(uint64_t root, uint64_t va);
/* The MAP_* flags of a page-table entry. */
unsigned paging_map_flags(uint64_t pte);
/* Every CPU, before it maps anything MAP_WC: PAT entry 1 becomes
 * write-combining (the same on all CPUs, as the SDM requires). */
void paging_pat_init(void);
/* Map the framebuffer at PHYS_MAP_BASE + pa, write-combining; returns
 * false if the CPU has no PAT (the mapping is write-through then). */
bool paging_map_framebuffer(uint64_t pa, size_t len);
/* The AP trampoline's identity mapping (arch/x86_64/smp.c), during bring-up. */
void paging_map_trampoline(uint64_t pa);
void paging_unmap_trampoline(uint64_t pa);

#endif
