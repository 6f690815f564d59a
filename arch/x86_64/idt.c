/* The IDT: 256 interrupt gates (SDM vol. 3A 6.14.1 "64-bit mode IDT"); four
 * vectors run on their own interrupt stacks (IST, SDM vol. 3A 6.14.5). */
#include "arch/x86_64/idt.h"
#include "arch/x86_64/gdt.h"

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
extern const uint64_t vector_table[256];

#define GATE_INTERRUPT 0x8E /* present, DPL 0, 64-bit interrupt gate: IF cleared on entry */

static void set_gate(int vec, uint64_t handler, int ist) {
    idt[vec] = (struct idt_gate){
        .offset_lo = handler & 0xFFFF,
        .selector = SEL_KCODE,
        .ist = (uint8_t)ist,
        .type_attr = GATE_INTERRUPT,
        .offset_mid = (handler >> 16) & 0xFFFF,
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

void idt_build(void) {
    for (int v = 0; v < 256; v++)
        set_gate(v, vector_table[v], 0);
    set_gate(VEC_DOUBLE_FAULT, vector_table[VEC_DOUBLE_FAULT], 1);
    set_gate(VEC_NMI, vector_table[VEC_NMI], 2);
    set_gate(VEC_MACHINE_CHECK, vector_table[VEC_MACHINE_CHECK], 3);
    /* #DB on its own stack too: a single-step trap could come on the first
     * instruction of an entry, before its SWAPGS, so it takes the paranoid
     * path (vectors.S) like NMI and #MC. */
    set_gate(VEC_DEBUG, vector_table[VEC_DEBUG], 4);
}

void idt_load(void) {
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" ::"m"(ptr));
}
