/*
 * kmain(): the boot CPU arrives here from boot/boot.S in long mode on the
 * boot page tables. It reads as the list of steps that bring the kernel up.
 */
#include "kernel/bootinfo.h"
#include "kernel/cpu.h"
#include "kernel/cpufail.h"
#include "kernel/ktest.h"
#include "kernel/memory.h"
#include "kernel/options.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/trace.h"
#include "kernel/model.h"
#include "kernel/proc.h"
#include "kernel/file.h"
#include "kernel/heap.h"
#include "kernel/vm.h"
#include "arch.h"

struct cpu cpus[MAX_CPUS];
int ncpus = 1;

static void print_banner(void) {
    pr_info("teachos: a teaching SMP kernel for x86_64 (organisation: %s)\n", model->name);
    pr_info("boot loader: %s\n", boot_info.loader_name ? boot_info.loader_name : "(unnamed)");
    pr_info("command line: '%s'\n", boot_info.cmdline ? boot_info.cmdline : "");
}

/* An AP arrives here from ap_entry() (arch/x86_64/smp.c) with its
 * hardware set up; like the boot CPU it ends in its scheduler loop. */
void kernel_ap_main(void) {
    arch_user_cpu_init(false);
    if (os_instance_claim())              /* the first CPU of its instance (private: every AP) */
        os_instance_start_programs();
    arch_timer_start_this_cpu(boot_options.hz);
    scheduler();
}

void kernel_timer_tick(struct trap_frame *f) {
    cpu_fail_tick(f); /* first: the heartbeat, before anything that could wait for a dead CPU */
    if (!trap_from_user(f) && !this_cpu()->current)
        this_cpu()->count.idle_ticks++;
    console_tick(); /* draws the screen console when due (before sched_tick, which may switch away) */
    sched_tick(f);
}

/* Power off; in QEMU first through isa-debug-exit, so the exit status says
 * whether `code` was 0 (tools/testrun.py reads it). */
void machine_poweroff(int code) {
    fs_flush_all(); /* dirty blocks to the disk before the machine stops */
    pr_info("poweroff (code %d)\n", code);
    arch_exit_emulator_if_present(code == 0 ? EMU_EXIT_PASS : EMU_EXIT_FAIL);
    arch_poweroff();
}

/* Every instance runs its own init: the machine stays up until the last
 * one has ended, and then powers off with the first failing code (so a
 * test boot fails when any instance's tests failed). */
static volatile int inits_running, first_failure;

void init_started(void) { __atomic_fetch_add(&inits_running, 1, __ATOMIC_SEQ_CST); }

void init_exited(int status) {
    int code = (status & 0x7F) ? 128 + (status & 0x7F) : (status >> 8) & 0xFF;
    if (code)
        __atomic_compare_exchange_n(&first_failure, &(int){0}, code, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    int left = __atomic_sub_fetch(&inits_running, 1, __ATOMIC_SEQ_CST);
    pr_info("init of OS instance %d exited (%s %d); %s\n", this_os()->id,
            (status & 0x7F) ? "killed by signal" : "status", (status & 0x7F) ? status & 0x7F : code,
            left ? "other instances' inits still run" : "powering off");
    if (left == 0)
        machine_poweroff(__atomic_load_n(&first_failure, __ATOMIC_SEQ_CST));
}

/* An instance's init will never exit: its CPU failed (private). It no
 * longer holds the machine up, and counts as no failure of its own: the
 * failure was reported when the CPU was found dead. */
void init_lost(int instance) {
    int left = __atomic_sub_fetch(&inits_running, 1, __ATOMIC_SEQ_CST);
    pr_info("init of OS instance %d is lost with its CPU; %s\n", instance,
            left ? "other instances' inits still run" : "powering off");
    if (left == 0)
        machine_poweroff(__atomic_load_n(&first_failure, __ATOMIC_SEQ_CST));
}

/* A boot that cannot do what it was asked stops here, with one line saying
 * why and a failure exit status (docs/boot.md, "When the kernel refuses to
 * boot"): an unattended boot (test= or run=) with command-line errors, which
 * would otherwise run something else than was asked for, and any boot
 * without the initrd that init and the tests need. */
static void refuse_to_boot_if_broken(bool model_ok) {
    if (options_unattended() && (boot_options.errors || !model_ok)) {
        pr_err("boot: %u error%s on the command line of a test= or run= boot (see above); not running it\n",
               boot_options.errors + !model_ok, boot_options.errors + !model_ok == 1 ? "" : "s");
        machine_poweroff(1);
    }
    if (boot_info.module_count > 0)
        return;
    uint64_t mib = (bootinfo_memory_top() + (1u << 20) - 1) >> 20;
    if (mib < BOOT_MIN_MEMORY_MIB)
        pr_err("boot: no initrd: %llu MiB of memory is too little for GRUB to load it (it needs %d MiB: make run "
               "MEM=%dM)\n",
               (unsigned long long)mib, BOOT_MIN_MEMORY_MIB, BOOT_MIN_MEMORY_MIB);
    else
        pr_err("boot: no initrd: the boot loader passed no module (grub.cfg needs `module2 /boot/initrd.cpio`)\n");
    machine_poweroff(1);
}

/* Someone wants this CPU to look at its ready queues (the scheduler loop
 * does, after the interrupt), or left work for its instance. */
void kernel_resched_ipi(void) { os_poll_events(); }

void kmain(uint32_t mb2_info_pa) {
    arch_set_cpu_pointer(&cpus[0]);       /* this_cpu() works from here on (a UBSan report needs it: kernel/ubsan.c) */
    for (int i = 0; i < MAX_CPUS; i++)
        cpus[i].os = &os_instances[0];    /* every CPU serves the boot instance unless model->init() says otherwise */
    os_instance_setup(&os_instances[0], 0);
    cpus[0].online = true;
    arch_early_init();                    /* UART, GDT/TSS, IDT, NX and WP */
    bootinfo_parse(mb2_info_pa);          /* memory map, command line, modules, RSDP */
    arch_screen_init();                   /* the screen console keeps text from here (drawn once mapped) */
    options_parse(boot_info.cmdline);     /* test=, loglevel=, model=, ... */
    bool model_ok = model_select(boot_options.model); /* the organisation: kernel/model/<name>.c */
    print_banner();
    arch_time_init();                     /* TSC calibrated against the PIT */
    memory_init();                        /* frames, kernel page tables, heap */
    arch_screen_map();                    /* framebuffer mapped: the console appears on the screen */
    bootinfo_print_memory_map();
    acpi_init();                          /* MADT: CPUs, I/O APICs, IRQ overrides */
    refuse_to_boot_if_broken(model_ok);   /* bad test=/run= command line, no initrd */
    arch_interrupts_init();               /* local APIC on (the 8259s were masked in arch_early_init) */
    ioapic_init();                        /* I/O APICs, every line masked */
    arch_timer_init(boot_options.hz);     /* LAPIC timer calibrated, ticking here */
    arch_devices_init();                  /* PCI listing, SATA disks (AHCI) */
    arch_user_cpu_init(true);             /* SYSCALL, SMEP/SMAP, SSE */
    model->init();                        /* its OS instances, ready queues and locks */
    arch_console_irq_init();              /* COM1 receive interrupt -> console input (after the instances: a line ~N names one) */
    arch_keyboard_init();                 /* PS/2 keyboard, IRQ 1 -> the same console input */
    os_instance_claim();                  /* the boot instance's process table */
    fs_init();                            /* initrd archive, console */
    cpu_fail_init(arch_cpus_expected(boot_options.maxcpus)); /* the heartbeat table (kernel/cpufail.c) */
    arch_smp_start(boot_options.maxcpus); /* INIT-SIPI-SIPI the other CPUs */
    trace_boot();                         /* trace=N: every CPU records from here on */
    os_instance_start_programs();         /* init, or the kernel tests */
    scheduler();                          /* the boot CPU becomes one CPU among many */
}
