/*
 * panic(): report the CPU, the reason and a symbolised backtrace, stop every
 * other CPU, and halt (or, in test mode, leave QEMU with a failure status so
 * the test runner does not wait for its timeout).
 */
#include "kernel/printk.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "lib/fmt.h"
#include "lib/ksym.h"
#include "kernel/trap_hooks.h"

volatile int panicking;
bool exit_emulator_on_panic;

extern const struct ksym ksym_table[];
extern const uint64_t ksym_count;

static void print_frame(uint64_t addr, void *ctx) {
    (void)ctx;
    uint64_t off = 0;
    const char *name = ksym_lookup(ksym_table, ksym_count, addr, &off);
    if (name)
        printk_raw("    %016llx  %s+0x%llx\n", (unsigned long long)addr, name, (unsigned long long)off);
    else
        printk_raw("    %016llx  ?\n", (unsigned long long)addr);
}

void print_backtrace(uint64_t rbp) {
    printk_raw("  backtrace:\n");
    arch_backtrace(rbp, print_frame, NULL);
}

__attribute__((weak)) void arch_stop_other_cpus(void) {}

void panic(const char *fmt, ...) {
    arch_irq_disable();
    int me = cpu_id();
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL)) {
        /* Another CPU is already panicking; it will stop us. */
        arch_halt_forever();
    }
    arch_stop_other_cpus();
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    printk_raw("\n*** KERNEL PANIC on CPU %d: %s\n", me, reason);
    print_backtrace((uint64_t)__builtin_frame_address(0));
    printk_raw("*** all CPUs stopped.\n");
    if (exit_emulator_on_panic)
        arch_exit_emulator(false);
    arch_halt_forever();
}

void print_backtrace_from(uint64_t rip, uint64_t rbp) {
    print_frame(rip + 1, NULL); /* print_frame shows return addresses - 1 */
    arch_backtrace(rbp, print_frame, NULL);
}

/* NMIs are how a panicking CPU stops the others (arch_stop_other_cpus). */
void nmi_received(struct trap_frame *f) {
    (void)f;
    if (panicking)
        arch_halt_forever();
    this_cpu()->count.irqs++;
}
