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
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL
#define PTE_ADDR_2M 0x000FFFFFFFE00000ULL
#define KERNEL_HALF 0xFFFF800000000000ULL

#endif
