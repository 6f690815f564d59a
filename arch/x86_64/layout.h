/*
 * The virtual address-space layout, shared by C and assembly.
 *
 *   0x0000000000400000 .. USER_TOP    user programs (lower half, per process):
 *                                     program, heap, shm windows, mmap area, stack
 *   PHYS_MAP_BASE                     all physical memory, mapped 1:1 + offset
 *   KSTACK_AREA                       kernel stacks, each with an unmapped guard page
 *   KERNEL_VMA                        the kernel image (-mcmodel=kernel: top 2 GiB)
 *
 * PML4 entries 256..511 (the upper half) are shared by every address space.
 */
#ifndef LAYOUT_H
#define LAYOUT_H

#define PAGE_SIZE 4096
#define PAGE_SHIFT 12

#define KERNEL_VMA 0xFFFFFFFF80000000
#define KERNEL_PHYS_LOAD 0x100000
#define PHYS_MAP_BASE 0xFFFF800000000000
#define PHYS_MAP_MAX_BYTES (1ULL << 39) /* one PML4 entry: 512 GiB */
#define KSTACK_AREA 0xFFFFFF0000000000
#define KSTACK_AREA_SIZE (1ULL << 39)

/* Kernel stacks: 16 KiB plus a guard page below each. */
#define KSTACK_PAGES 4
#define KSTACK_SIZE (KSTACK_PAGES * PAGE_SIZE)
/* IST stacks for double fault, NMI and machine check. */
#define IST_STACK_SIZE (2 * PAGE_SIZE)

#define USER_LO 0x0000000000400000
#define USER_TOP 0x00007FFFFFFFF000
#define USER_STACK_TOP USER_TOP
#define USER_STACK_MAX (8ULL << 20)
/* Shared-memory windows (kernel/shm.c), below the stack; the heap stays under them. */
#define USER_SHM_BASE 0x00007F0000000000
/* mmap()'s area (kernel/mmap.c): every mapping lies in [USER_MMAP_BASE,
 * USER_MMAP_TOP), 4 GiB above the windows and 4 GiB below the stack area,
 * so that it never meets the program, the heap, the windows or the stack. */
#define USER_MMAP_BASE 0x00007F0100000000
#define USER_MMAP_TOP 0x00007FFF00000000

/* Real-mode page where application processors start (issue: SMP). */
#define AP_TRAMPOLINE_PHYS 0x8000

#endif
