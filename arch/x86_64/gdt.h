/* Per-CPU GDT and TSS (SDM vol. 3A 3.4.5, 7.7 "Task management in 64-bit mode"). */
#ifndef GDT_H
#define GDT_H

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)
#define SEL_TSS 0x28

#ifndef __ASSEMBLY__
#include "lib/types.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct gdt_tss {
    uint64_t gdt[7];    /* null, kcode, kdata, udata, ucode, tss (2 slots) */
    struct tss tss;
} __attribute__((aligned(16)));

struct cpu;
void gdt_init_cpu(struct cpu *c);
/* Stack the CPU switches to on an interrupt or exception from user mode. */
void gdt_set_kernel_stack(struct cpu *c, uint64_t top);
#endif /* __ASSEMBLY__ */
#endif
