#include "arch/x86_64/gdt.h"
#include "arch/x86_64/x86.h"
#include "kernel/cpu.h"
#include "kernel/printk.h"

static struct gdt_tss gdts[MAX_CPUS];
static uint8_t ist_stacks[MAX_CPUS][3][IST_STACK_SIZE] __attribute__((aligned(16)));

/* Code/data descriptors: in 64-bit mode only L, D, P, DPL and type matter. */
#define DESC_KCODE 0x00AF9A000000FFFFULL
#define DESC_KDATA 0x00CF92000000FFFFULL
#define DESC_UDATA 0x00CFF2000000FFFFULL
#define DESC_UCODE 0x00AFFA000000FFFFULL

static void set_tss_descriptor(uint64_t *slot, struct tss *tss) {
    uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;
    slot[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ULL << 40) /* present, 64-bit TSS */ |
              (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    slot[1] = base >> 32;
}

void gdt_init_cpu(struct cpu *c) {
    struct gdt_tss *g = &gdts[c->id];
    g->gdt[0] = 0;
    g->gdt[1] = DESC_KCODE;
    g->gdt[2] = DESC_KDATA;
    g->gdt[3] = DESC_UDATA;
    g->gdt[4] = DESC_UCODE;
    g->tss = (struct tss){.iomap_base = sizeof(struct tss)};
    for (int i = 0; i < 3; i++) {
        /* The top 16 bytes hold this CPU's struct cpu pointer, for the
         * paranoid entry (vectors.S), which cannot trust GS; the CPU pushes
         * its frame below them (the IST pointer stays 16-byte aligned). */
        uint64_t *top = (uint64_t *)&ist_stacks[c->id][i][IST_STACK_SIZE];
        top[-2] = (uint64_t)c;
        top[-1] = 0;
        c->arch.ist_stacks[i] = (uint64_t)&top[-2];
        g->tss.ist[i] = c->arch.ist_stacks[i]; /* IST1 #DF, IST2 NMI, IST3 #MC */
    }
    set_tss_descriptor(&g->gdt[5], &g->tss);
    c->arch.gdt = g;

    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = {sizeof(g->gdt) - 1, (uint64_t)g->gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ds\n\t"
                     "movw %w2, %%es\n\t"
                     "movw %w2, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(ptr), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS)
                     : "rax", "memory");
}

void gdt_set_kernel_stack(struct cpu *c, uint64_t top) {
    c->arch.gdt->tss.rsp[0] = top;
    c->kstack_top = top;
}
