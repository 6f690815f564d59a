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
#include "arch.h"

struct cpu cpus[MAX_CPUS];
int ncpus = 1;

static void print_banner(void) {
    pr_info("teachos: a teaching SMP kernel for x86_64 (organisation: %s)\n", boot_options.model);
    pr_info("boot loader: %s\n", boot_info.loader_name ? boot_info.loader_name : "(unnamed)");
    pr_info("command line: '%s'\n", boot_info.cmdline ? boot_info.cmdline : "");
}

void kmain(uint32_t mb2_info_pa) {
    cpus[0].os = &os_instances[0];        /* the boot CPU serves the first instance */
    arch_set_cpu_pointer(&cpus[0]);       /* this_cpu() works from here on */
    arch_early_init();                    /* UART, GDT/TSS, IDT, NX and WP */
    bootinfo_parse(mb2_info_pa);          /* memory map, command line, modules, RSDP */
    options_parse(boot_info.cmdline);     /* test=, loglevel=, model=, ... */
    exit_emulator_on_panic = boot_options.test[0] != 0;
    print_banner();
    arch_time_init();                     /* TSC calibrated against the PIT */
    memory_init();                        /* frames, kernel page tables, heap */
    bootinfo_print_memory_map();

    if (boot_options.test[0])
        ktest_main(boot_options.test);
    pr_info("nothing more to do yet; halting\n");
    arch_halt_forever();
}
