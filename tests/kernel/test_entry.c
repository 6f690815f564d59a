/*
 * The paths into the kernel (arch/x86_64/vectors.S, syscall.S): what every
 * entry promises the C code, whatever state the interrupted code left.
 * These are x86 tests by nature (GS base, RFLAGS, NMIs), so they use the
 * arch-private headers.
 */
#include "kernel/ktest.h"
#include "kernel/cpu.h"
#include "arch.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"

/* ---- NMI and the GS base ---- */

/* What a handler that trusts GS would take for this CPU: a decoy. */
static struct cpu decoy;

static volatile struct {
    int count;
    struct cpu *cpu;     /* this_cpu() inside the handler */
    uint64_t gs_base;    /* IA32_GS_BASE inside the handler */
} seen;

static void record_nmi(const struct trap_frame *f) {
    (void)f;
    seen.cpu = this_cpu();
    seen.gs_base = rdmsr(MSR_GS_BASE);
    seen.count++;
}

struct gs_state {
    uint64_t base, kernel_base;
};

/*
 * Send this CPU an NMI (a self IPI in NMI delivery mode, SDM vol. 3A
 * 11.6.1) with interrupts off and, when `user_gs`, after a SWAPGS with
 * IA32_KERNEL_GS_BASE set to the decoy: the state between SYSCALL and its
 * SWAPGS, or between the exit's SWAPGS and IRETQ. Returns whether the NMI
 * came, and the GS state seen right after it, before undoing the SWAPGS.
 * Nothing between the two SWAPGS may use GS (no this_cpu(), no printk).
 */
static bool nmi_in_gs_window(bool user_gs, struct gs_state *after) {
    uint32_t me = lapic_id();
    uint64_t flags = arch_irq_save();
    uint64_t saved_kernel_gs = rdmsr(MSR_KERNEL_GS_BASE);
    seen.count = 0;
    seen.cpu = NULL;
    nmi_test_probe = record_nmi;
    if (user_gs) {
        wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)&decoy);
        swapgs(); /* GS base = decoy, IA32_KERNEL_GS_BASE = this CPU */
    }
    lapic_send_icr(me, ICR_NMI | ICR_LEVEL_ASSERT);
    /* A hang guard, not a timing: NMIs arrive within instructions. */
    for (uint64_t i = 0; i < 2000000000ULL && !seen.count; i++)
        cpu_relax();
    after->base = rdmsr(MSR_GS_BASE);
    after->kernel_base = rdmsr(MSR_KERNEL_GS_BASE);
    if (user_gs)
        swapgs();
    wrmsr(MSR_KERNEL_GS_BASE, saved_kernel_gs);
    nmi_test_probe = NULL;
    arch_irq_restore(flags);
    return seen.count == 1;
}

KTEST(entry, nmi_in_kernel_sees_this_cpu) {
    struct cpu *me = this_cpu();
    struct gs_state after;
    KT_ASSERT(nmi_in_gs_window(false, &after));
    KT_ASSERT_EQ(seen.cpu, me);
    KT_ASSERT_EQ(seen.gs_base, (uint64_t)me);
    KT_ASSERT_EQ(after.base, (uint64_t)me);
}

/* Fails on an NMI entry that believes the saved CS (kernel) and so keeps
 * the user's GS: its handler then finds the decoy. */
KTEST(entry, nmi_with_user_gs_sees_this_cpu) {
    decoy.self = &decoy;
    decoy.id = -1;
    struct cpu *me = this_cpu();
    struct gs_state after;
    KT_ASSERT(nmi_in_gs_window(true, &after));
    KT_ASSERT_EQ(seen.cpu, me);
    KT_ASSERT_EQ(seen.gs_base, (uint64_t)me);
    /* ... and it gave back the exact GS state it interrupted. */
    KT_ASSERT_EQ(after.base, (uint64_t)&decoy);
    KT_ASSERT_EQ(after.kernel_base, (uint64_t)me);
    KT_ASSERT_EQ(this_cpu(), me);
}

/* The IST stacks carry this CPU's pointer where paranoid_common reads it. */
KTEST(entry, ist_stacks_hold_the_cpu_pointer) {
    struct cpu *me = this_cpu();
    for (int i = 0; i < 3; i++) {
        KT_ASSERT_EQ(me->arch.ist_stacks[i] % 16, 0);
        KT_ASSERT_EQ(*(struct cpu **)me->arch.ist_stacks[i], me);
    }
}

/* ---- RFLAGS on entry ---- */

/* SYSCALL leaves the kernel with the user's RFLAGS minus IA32_FMASK. */
KTEST(entry, syscall_fmask_clears_kernel_flags) {
    uint64_t need = RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT | RFLAGS_IOPL;
    KT_ASSERT_EQ(rdmsr(MSR_SFMASK) & need, need);
}

/* An exception taken with AC (and DF) set still runs its handler with both
 * clear: without the entry's clearing, trap_entry_check() panics here. AC
 * is set with POPFQ, which works with or without SMAP (STAC would not). */
KTEST(entry, exception_entry_clears_ac_and_df) {
    struct kcatch c = {0};
    if (KCATCH(&c) == 0) {
        __asm__ volatile("pushfq\n\t"
                         "orq %0, (%%rsp)\n\t"
                         "popfq\n\t"
                         "int3\n\t"
                         :
                         : "i"(RFLAGS_AC | RFLAGS_DF)
                         : "memory", "cc");
        __asm__ volatile("cld" ::: "memory");
        this_cpu()->catch = NULL;
        KT_FAIL("int3 was not caught");
    }
    KT_ASSERT_EQ(c.vector, VEC_BREAKPOINT);
    KT_ASSERT_EQ(read_rflags() & (RFLAGS_AC | RFLAGS_DF), 0); /* kcatch restored the flags of the setjmp */
}

/* A single-step trap in kernel mode (TF set, as a user's TF leaking through
 * an entry would leave it) is absorbed: TF cleared, counted, no panic. If
 * it were not, the kernel would panic, or trap after every instruction. */
KTEST(entry, kernel_single_step_is_absorbed) {
    uint64_t before = kernel_single_steps;
    uint64_t flags = arch_irq_save();
    __asm__ volatile("pushfq\n\t"
                     "orq %0, (%%rsp)\n\t"
                     "popfq\n\t"
                     "nop\n\t"
                     "nop\n\t"
                     :
                     : "i"(RFLAGS_TF)
                     : "memory", "cc");
    uint64_t tf = read_rflags() & RFLAGS_TF;
    arch_irq_restore(flags);
    KT_ASSERT_EQ(tf, 0);
    KT_ASSERT_EQ(kernel_single_steps, before + 1);
}
