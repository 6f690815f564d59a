/*
 * Where every interrupt and exception lands (from vectors.S). Exceptions in
 * the kernel are fatal unless a test armed a catch; exceptions in user mode
 * go to the process layer, which ends only the faulting process.
 */
#include "arch/x86_64/idt.h"
#include "arch/x86_64/x86.h"
#include "kernel/cpu.h"
#include "kernel/printk.h"
#include "kernel/trace.h"
#include "kernel/panic.h"
#include "kernel/trap_hooks.h"

static irq_handler_fn irq_handlers[256];

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded", "invalid opcode",
    "device not available", "double fault", "coprocessor segment overrun", "invalid TSS", "segment not present",
    "stack-segment fault", "general protection", "page fault", "reserved (15)", "x87 floating-point error",
    "alignment check", "machine check", "SIMD floating-point error", "virtualization exception",
    "control protection", "reserved (22)", "reserved (23)", "reserved (24)", "reserved (25)", "reserved (26)",
    "reserved (27)", "hypervisor injection", "VMM communication", "security exception", "reserved (31)",
};

const char *trap_name(int vector) {
    return vector < 32 ? exception_names[vector] : "interrupt";
}

void arch_set_irq_handler(int vector, irq_handler_fn fn) { irq_handlers[vector] = fn; }

static void describe_page_fault(uint64_t err) {
    printk_raw("  page fault: %s %s in %s mode%s\n", (err & 1) ? "protection violation" : "page not present",
               (err & 16) ? "on instruction fetch" : (err & 2) ? "on write" : "on read",
               (err & 4) ? "user" : "supervisor", (err & 8) ? " (reserved bit set)" : "");
}

void arch_dump_frame(const struct trap_frame *f) {
    printk_raw("  %s (vector %llu) error code 0x%llx on CPU %d\n", trap_name((int)f->vector),
               (unsigned long long)f->vector, (unsigned long long)f->error, cpu_id());
    if (f->vector == VEC_PAGE_FAULT) {
        printk_raw("  CR2 (faulting address) = %016llx\n", (unsigned long long)read_cr2());
        describe_page_fault(f->error);
    }
    printk_raw("  RIP %04llx:%016llx  RSP %04llx:%016llx  RFLAGS %016llx\n", (unsigned long long)f->cs,
               (unsigned long long)f->rip, (unsigned long long)f->ss, (unsigned long long)f->rsp,
               (unsigned long long)f->rflags);
    printk_raw("  RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n", (unsigned long long)f->rax,
               (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    printk_raw("  RSI %016llx RDI %016llx RBP %016llx R8  %016llx\n", (unsigned long long)f->rsi,
               (unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->r8);
    printk_raw("  R9  %016llx R10 %016llx R11 %016llx R12 %016llx\n", (unsigned long long)f->r9,
               (unsigned long long)f->r10, (unsigned long long)f->r11, (unsigned long long)f->r12);
    printk_raw("  R13 %016llx R14 %016llx R15 %016llx CR3 %016llx\n", (unsigned long long)f->r13,
               (unsigned long long)f->r14, (unsigned long long)f->r15, (unsigned long long)read_cr3());
}

/* A test expected this fault: resume at its kcatch_setjmp(). */
static bool catch_kernel_fault(struct trap_frame *f) {
    struct cpu *c = this_cpu();
    struct kcatch *k = c->catch;
    if (!k || !k->armed)
        return false;
    k->armed = 0;
    k->vector = (int)f->vector;
    k->fault_addr = f->vector == VEC_PAGE_FAULT ? read_cr2() : f->rip;
    k->error = f->error;
    c->catch = NULL;
    kcatch_longjmp(k, (int)f->vector + 1);
}

/*
 * A single-step trap in kernel mode (#DB with DR6.BS, SDM vol. 3B 18.2.3,
 * 18.3.1.4). The kernel never sets TF on itself, and every entry clears it
 * (interrupt gates: SDM vol. 3A 6.12.1.3; SYSCALL: IA32_FMASK), so this can
 * only be a user's TF leaking through some entry: absorbed by clearing TF
 * in the interrupted context, reported once, counted for the tests.
 */
volatile uint64_t kernel_single_steps;
struct cpu *volatile kernel_single_step_cpu;

static bool absorb_kernel_single_step(struct trap_frame *f) {
    uint64_t dr6;
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    if (f->vector != VEC_DEBUG || !(dr6 & DR6_BS))
        return false;
    __asm__ volatile("mov %0, %%dr6" ::"r"(dr6 & ~(uint64_t)DR6_BS));
    f->rflags &= ~(uint64_t)RFLAGS_TF;
    kernel_single_step_cpu = this_cpu();
    if (kernel_single_steps++ == 0)
        pr_warn("trap: single-step trap in kernel mode at %016llx: TF cleared\n", (unsigned long long)f->rip);
    return true;
}

static void kernel_exception(struct trap_frame *f) {
    if (absorb_kernel_single_step(f))
        return;
    if (catch_kernel_fault(f))
        return;
    if (!panicking)
        arch_irq_disable();
    printk_raw("\n*** kernel exception: %s at %016llx\n", trap_name((int)f->vector), (unsigned long long)f->rip);
    arch_dump_frame(f);
    printk_raw("  faulting function:\n");
    print_backtrace_from(f->rip, f->rbp);
    panic("%s in kernel mode at RIP %016llx", trap_name((int)f->vector), (unsigned long long)f->rip);
}

/*
 * The entry code promises C code AC = 0 (SMAP in force: SDM vol. 3A 4.6.1)
 * and DF = 0 (the psABI's string direction), whatever flags the interrupted
 * code had: vectors.S clears both, SYSCALL through IA32_FMASK. Checked on
 * every entry, so a path that forgets is a clear panic the first time a
 * program with AC or DF set enters through it (usertests rflags_entry).
 */
void trap_entry_check(void) {
    uint64_t fl = read_rflags();
    if (fl & (RFLAGS_AC | RFLAGS_DF))
        panic("kernel entered with RFLAGS %llx: AC or DF not cleared on entry", (unsigned long long)fl);
}

void (*volatile nmi_test_probe)(const struct trap_frame *f);

void trap_dispatch(struct trap_frame *f) {
    trap_entry_check();
    bool from_user = trap_from_user(f);
    /* From user mode the frame is the top of the process's kernel stack,
     * also for the IST vectors (vectors.S moves it there), so whatever the
     * handler does (end the process, reschedule) it does on its own stack. */
    if (from_user && (uint64_t)(f + 1) != this_cpu()->kstack_top)
        panic("trap from user mode with its frame at %p, not at the top of the kernel stack %llx", (void *)f,
              (unsigned long long)this_cpu()->kstack_top);
    if (f->vector == VEC_NMI) {
        void (*probe)(const struct trap_frame *) = nmi_test_probe;
        if (probe)
            probe(f);
        nmi_received(f);
        return;
    }
    if (f->vector < 32) {
        if (from_user) {
            user_exception(f);
            trap_return_to_user(f);
        } else {
            kernel_exception(f);
        }
        return;
    }
    if (from_user) /* an interrupt of user code: the kernel runs until the return */
        trace(TR_KIN, 1000 + (uint32_t)f->vector);
    if (irq_handlers[f->vector]) {
        arch_kstack_tlb_sync(); /* the handler may read another thread's stack */
        irq_handlers[f->vector](f);
    } else {
        this_cpu()->count.irqs++;
        pr_warn("unexpected interrupt on vector %llu\n", (unsigned long long)f->vector);
    }
    if (from_user) {
        trap_return_to_user(f);
        trace(TR_KOUT, 0);
    }
}
