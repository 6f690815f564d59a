/*
 * panic(): report the CPU, the reason and a symbolised backtrace, stop every
 * other CPU, and leave QEMU with a failure status (make run and the test
 * runner end at once), or halt on a machine without QEMU's exit device.
 */
#include "kernel/printk.h"
#include "kernel/cpu.h"
#include "kernel/cpufail.h"
#include "kernel/panic.h"
#include "lib/fmt.h"
#include "lib/ksym.h"
#include "kernel/trap_hooks.h"
#include "kernel/ktest.h"

volatile int panicking;
static int panic_cpu = -1; /* the CPU that reports the panic */

extern const struct ksym ksym_table[];
extern const uint64_t ksym_count;

/* Consecutive identical frames (deep recursion) print once, with a count. */
struct bt_state {
    uint64_t last;
    int repeats;
};

static void flush_repeats(struct bt_state *st) {
    if (st && st->repeats > 0)
        printk_raw("    ... the frame above %d more time%s\n", st->repeats, st->repeats == 1 ? "" : "s");
    if (st)
        st->repeats = 0;
}

static void print_frame(uint64_t addr, void *ctx) {
    struct bt_state *st = ctx;
    if (st && addr == st->last) {
        st->repeats++;
        return;
    }
    flush_repeats(st);
    if (st)
        st->last = addr;
    uint64_t off = 0;
    const char *name = ksym_lookup(ksym_table, ksym_count, addr, &off);
    if (name)
        printk_raw("    %016llx  %s+0x%llx\n", (unsigned long long)addr, name, (unsigned long long)off);
    else
        printk_raw("    %016llx  ?\n", (unsigned long long)addr);
}

void print_backtrace(uint64_t rbp) {
    struct bt_state st = {0, 0};
    printk_raw("  backtrace:\n");
    arch_backtrace(rbp, print_frame, &st);
    flush_repeats(&st);
}

__attribute__((weak)) void arch_stop_other_cpus(void) {}

void panic(const char *fmt, ...) {
    arch_irq_disable();
    int me = cpu_id();
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL)) {
        /* A fault inside this CPU's own panic report (its backtrace, say):
         * no one else will end the run, so end it here. */
        if (__atomic_load_n(&panic_cpu, __ATOMIC_ACQUIRE) == me) {
            printk_raw("\n*** panic within the panic on CPU %d; stopping here\n", me);
            arch_exit_emulator(EMU_EXIT_PANIC);
        }
        /* Another CPU is already panicking; it will stop us. */
        arch_halt_forever();
    }
    __atomic_store_n(&panic_cpu, me, __ATOMIC_RELEASE);
    arch_stop_other_cpus();
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    bool expected = ktest_panic_was_expected(reason);
    printk_raw("\n*** %s on CPU %d: %s\n", expected ? "expected panic" : "KERNEL PANIC", me, reason);
    print_backtrace((uint64_t)__builtin_frame_address(0));
    printk_raw("*** all CPUs stopped.\n");
    /* Leave QEMU, with the pass status only for a panic a crash test asked
     * for and the panic status otherwise, so `make run` and `make test` end
     * and say why (isa-debug-exit; on a real PC nothing listens there and
     * we halt). */
    arch_exit_emulator(expected ? EMU_EXIT_PASS : EMU_EXIT_PANIC);
}

void print_backtrace_from(uint64_t rip, uint64_t rbp) {
    struct bt_state st = {0, 0};
    print_frame(rip, &st); /* the faulting instruction itself */
    arch_backtrace(rbp, print_frame, &st);
    flush_repeats(&st);
}

/* NMIs are how a panicking CPU stops the others (arch_stop_other_cpus). */
void nmi_received(struct trap_frame *f) {
    if (panicking)
        arch_halt_forever();
    this_cpu()->count.irqs++;
    cpu_fail_nmi(f); /* cpufail() stops CPUs with an NMI */
}
