/* Bring the boot CPU's own hardware state up: console, GDT/TSS, IDT, features. */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/serial.h"
#include "arch/x86_64/x86.h"
#include "kernel/cpu.h"
#include "kernel/printk.h"

/* Per-CPU control-register set-up, for the boot CPU and every AP. */
void arch_cpu_features_init(void) {
    uint32_t a, b, c, d;
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    if (!(d & (1u << 20)))
        panic("CPU lacks the NX bit, which the kernel's page permissions need");
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE | EFER_SCE);
    write_cr0(read_cr0() | CR0_WP); /* supervisor writes honour read-only pages */
    paging_pat_init();              /* PAT entry 1 write-combining, the same on every CPU */
}

void arch_early_init(void) {
    /* Mask the 8259s first, while the local APIC still passes their output
     * through (LINT0 = ExtINT, as the BIOS left it): a PIT interrupt raised
     * during boot is then withdrawn instead of staying latched. */
    pic_disable();
    serial_init();
    gdt_init_cpu(this_cpu());
    idt_build();
    idt_load();
    arch_cpu_features_init();
}
