/*
 * The application processors as they run after start-up (lab smp,
 * docs/labs/1-smp.md; docs/smp-boot.md): each CPU is asked, on itself, what
 * it believes it is and what it runs on, and the answers are compared with
 * what start_ap() and ap_entry() (arch/x86_64/smp.c) should have given it.
 *
 * Every test first requires all the CPUs the kernel set out to start to be
 * online: a kernel that starts no AP would otherwise pass them all on the
 * boot CPU alone. These are x86 tests by nature, like test_entry.c.
 */
#include "kernel/ktest.h"
#include "kernel/cpu.h"
#include "kernel/options.h"
#include "kernel/smp.h"
#include "arch.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"

#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define CR0_PE (1ULL << 0)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define APIC_BASE_GLOBAL_ENABLE (1ULL << 11)

struct descriptor_table {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* What one CPU reports about itself. */
struct cpu_view {
    int ran;                  /* the call ran at all */
    struct cpu *self;         /* this_cpu() */
    uint64_t gs_base;         /* IA32_GS_BASE */
    struct descriptor_table gdtr, idtr;
    uint16_t tr;              /* the task register's selector */
    uint32_t apic_id;         /* its local APIC's own idea of its id */
    uint64_t cr0, cr4, efer, apic_base;
};

static struct cpu_view views[MAX_CPUS];

static void look_at_myself(void *arg) {
    struct cpu_view *v = arg;
    v->self = this_cpu();
    v->gs_base = rdmsr(MSR_GS_BASE);
    __asm__ volatile("sgdt %0" : "=m"(v->gdtr));
    __asm__ volatile("sidt %0" : "=m"(v->idtr));
    __asm__ volatile("str %0" : "=r"(v->tr));
    v->apic_id = lapic_id();
    v->cr0 = read_cr0();
    v->cr4 = read_cr4();
    v->efer = rdmsr(MSR_EFER);
    v->apic_base = rdmsr(MSR_APIC_BASE);
    __atomic_store_n(&v->ran, 1, __ATOMIC_RELEASE);
}

/* Every CPU the kernel set out to start is online, and each has filled in
 * its view; false (with the reason printed) otherwise. */
static bool all_cpus_report(struct ktest_ctx *kt_) {
    int expected = arch_cpus_expected(boot_options.maxcpus);
    if (ncpus != expected) {
        printk(LOG_ERR, "ktest:   only %d of %d CPUs online: not every AP started (see the smp: lines of the boot log)\n",
               ncpus, expected);
        kt_->failed = true;
        return false;
    }
    for (int i = 0; i < ncpus; i++) {
        views[i] = (struct cpu_view){0};
        smp_call(i, look_at_myself, &views[i]);
        if (!__atomic_load_n(&views[i].ran, __ATOMIC_ACQUIRE)) {
            printk(LOG_ERR, "ktest:   CPU %d did not run a remote call\n", i);
            kt_->failed = true;
            return false;
        }
    }
    return true;
}

/* The per-CPU pointer is the struct cpu start_ap() handed to that CPU,
 * and its local APIC answers to the APIC id the MADT listed for it. */
KTEST(ap, each_cpu_knows_which_it_is) {
    if (!all_cpus_report(kt_))
        return;
    for (int i = 0; i < ncpus; i++) {
        KT_ASSERT_EQ(views[i].self, &cpus[i]);
        KT_ASSERT_EQ(views[i].gs_base, (uint64_t)&cpus[i]);
        KT_ASSERT_EQ(cpus[i].id, i);
        KT_ASSERT_EQ(views[i].apic_id, cpus[i].arch.apic_id);
        KT_ASSERT(views[i].apic_base & APIC_BASE_GLOBAL_ENABLE);
    }
}

/* Each CPU runs on its own GDT with its own TSS loaded (the trampoline's
 * GDT lies in a page that is unmapped after start-up), and its IST stacks
 * carry its own struct cpu pointer. */
KTEST(ap, each_cpu_has_its_own_gdt_and_tss) {
    if (!all_cpus_report(kt_))
        return;
    for (int i = 0; i < ncpus; i++) {
        struct gdt_tss *g = cpus[i].arch.gdt;
        KT_ASSERT(g != NULL);
        KT_ASSERT_EQ(views[i].gdtr.base, (uint64_t)g->gdt);
        KT_ASSERT_EQ(views[i].gdtr.limit, sizeof(g->gdt) - 1);
        KT_ASSERT_EQ(views[i].tr, SEL_TSS);
        for (int k = 0; k < 3; k++)
            KT_ASSERT_EQ(*(struct cpu **)g->tss.ist[k], &cpus[i]);
        for (int j = 0; j < i; j++)
            KT_ASSERT_NE(views[i].gdtr.base, views[j].gdtr.base);
    }
}

/* One IDT, built by the boot CPU, loaded on every CPU. */
KTEST(ap, each_cpu_loads_the_shared_idt) {
    if (!all_cpus_report(kt_))
        return;
    KT_ASSERT_EQ(views[0].idtr.limit, 256 * 16 - 1);
    for (int i = 1; i < ncpus; i++) {
        KT_ASSERT_EQ(views[i].idtr.base, views[0].idtr.base);
        KT_ASSERT_EQ(views[i].idtr.limit, views[0].idtr.limit);
    }
}

/* Long mode with paging, and the protections the kernel's page tables
 * count on: the same on every CPU as on the boot CPU. */
KTEST(ap, each_cpu_runs_with_the_kernel_features) {
    if (!all_cpus_report(kt_))
        return;
    const uint64_t cr0 = CR0_PE | CR0_PG | CR0_WP, cr4 = CR4_PAE | CR4_PGE;
    const uint64_t efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
    KT_ASSERT_EQ(views[0].cr0 & cr0, cr0);
    KT_ASSERT_EQ(views[0].efer & efer, efer);
    for (int i = 1; i < ncpus; i++) {
        KT_ASSERT_EQ(views[i].cr0 & cr0, cr0);
        KT_ASSERT_EQ(views[i].cr4 & cr4, views[0].cr4 & cr4);
        KT_ASSERT_EQ(views[i].efer & efer, efer);
    }
}
