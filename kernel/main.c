/*
 * kmain(): the boot CPU arrives here from boot/boot.S in long mode on the
 * boot page tables. It reads as the list of steps that bring the kernel up.
 */
#include "kernel/bootinfo.h"
#include "kernel/cpu.h"
#include "kernel/ktest.h"
#include "kernel/memory.h"
#include "kernel/options.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "arch.h"

struct cpu cpus[MAX_CPUS];
int ncpus = 1;

static void print_banner(void) {
    pr_info("teachos: a teaching SMP kernel for x86_64 (organisation: %s)\n", boot_options.model);
    pr_info("boot loader: %s\n", boot_info.loader_name ? boot_info.loader_name : "(unnamed)");
    pr_info("command line: '%s'\n", boot_info.cmdline ? boot_info.cmdline : "");
}

/* Where every CPU ends up when there is nothing to run. */
__attribute__((noreturn)) static void cpu_idle_loop(void) {
    for (;;)
        arch_wait_for_interrupt();
}

/* An AP arrives here from arch_smp_start() with its hardware set up. */
void kernel_ap_main(void) {
    arch_timer_start_this_cpu(boot_options.hz);
    arch_irq_enable();
    cpu_idle_loop();
}

void kernel_timer_tick(struct trap_frame *f) {
    if (!trap_from_user(f) && !this_cpu()->current)
        this_cpu()->count.idle_ticks++;
}

void kernel_resched_ipi(void) {}

void kmain(uint32_t mb2_info_pa) {
    cpus[0].os = &os_instances[0];        /* the boot CPU serves the first instance */
    cpus[0].online = true;
    arch_set_cpu_pointer(&cpus[0]);       /* this_cpu() works from here on */
    arch_early_init();                    /* UART, GDT/TSS, IDT, NX and WP */
    bootinfo_parse(mb2_info_pa);          /* memory map, command line, modules, RSDP */
    options_parse(boot_info.cmdline);     /* test=, loglevel=, model=, ... */
    exit_emulator_on_panic = boot_options.test[0] != 0;
    print_banner();
    arch_time_init();                     /* TSC calibrated against the PIT */
    memory_init();                        /* frames, kernel page tables, heap */
    bootinfo_print_memory_map();
    acpi_init();                          /* MADT: CPUs, I/O APICs, IRQ overrides */
    arch_interrupts_init();               /* 8259s masked, local APIC on */
    ioapic_init();                        /* I/O APICs, every line masked */
    arch_console_irq_init();              /* COM1 receive interrupt -> console input */
    arch_timer_init(boot_options.hz);     /* LAPIC timer calibrated, ticking here */
    arch_smp_start(boot_options.maxcpus); /* INIT-SIPI-SIPI the other CPUs */
    arch_irq_enable();

    if (boot_options.test[0])
        ktest_main(boot_options.test);
    cpu_idle_loop();
}
