/*
 * Starting the application processors with the INIT-SIPI-SIPI sequence of
 * the Intel SDM vol. 3A 9.4.4.1 ("Typical BSP initialization sequence"):
 * INIT, wait 10 ms, STARTUP, wait 200 us, a second STARTUP if the AP has not
 * reported. The CPUs to start come from the ACPI MADT.
 */
#include "arch/x86_64/acpi_boot.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/cpu.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/trace.h"
#include "lib/string.h"

struct trampoline_data {
    uint64_t cr3, stack, cpu, entry, apic_id;
};

extern char ap_trampoline[], ap_trampoline_end[], ap_trampoline_data[];
void arch_cpu_features_init(void);

#define AP_TIMEOUT_MS 2000

static struct trampoline_data *tramp_data(void) {
    return PHYS_TO_VIRT(AP_TRAMPOLINE_PHYS + (ap_trampoline_data - ap_trampoline));
}

/* First C code on an AP: its own GDT/TSS, the IDT, CR/EFER features, the
 * local APIC and timer; then report in and join the kernel. */
static void ap_entry(struct cpu *c) {
    /* LAB smp: BEGIN */
    arch_set_cpu_pointer(c);
    gdt_init_cpu(c);
    idt_load();
    arch_cpu_features_init();
    lapic_init_cpu();
    c->boot_cycles = arch_cycles() - c->boot_cycles;
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    /* LAB smp: STUB
    // LAB smp: the AP arrives here in 64-bit mode on its own stack, but
    // LAB smp: with nothing of its own yet: this_cpu() does not work, the
    // LAB smp: GDT is the trampoline's (in a page that is unmapped soon),
    // LAB smp: there is no IDT and no TSS, its local APIC is off. Set up,
    // LAB smp: in this order: the per-CPU pointer, so that this_cpu() is c
    // LAB smp: (arch.h); its own GDT and TSS (gdt.h); the IDT the BSP built
    // LAB smp: (idt.h); the CR0/EFER features, as arch_early_init() does on
    // LAB smp: the BSP (init.c); its local APIC (lapic.h). Then make
    // LAB smp: c->boot_cycles the cycles the start-up took (start_ap()
    // LAB smp: stored arch_cycles() there just before the INIT) and, last,
    // LAB smp: set c->online with a release store: the BSP waits for it in
    // LAB smp: wait_online() and from then on counts on all of the above.
    // LAB smp: Until then the AP stops here and never reports in.
    (void)c;
    arch_halt_forever();
       LAB smp: END */
    kernel_ap_main();
}

static bool wait_online(struct cpu *c, uint64_t us) {
    uint64_t end = arch_cycles() + us * (time_cycle_hz() / 1000000);
    while (arch_cycles() < end)
        if (__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
            return true;
    return __atomic_load_n(&c->online, __ATOMIC_ACQUIRE);
}

static bool start_ap(struct cpu *c) {
    /* From the area of the instance the AP will serve (model->init chose
     * it): taken here, by the boot CPU, before the AP runs, so no other
     * CPU uses that area yet. */
    uint64_t stack = arch_alloc_kstack(&c->os->kstacks);
    if (!stack) {
        pr_err("smp: no memory for a stack for APIC %u\n", c->arch.apic_id);
        return false;
    }
    *tramp_data() = (struct trampoline_data){arch_kernel_root(), stack, (uint64_t)c, (uint64_t)ap_entry,
                                             c->arch.apic_id};
    c->kstack_top = stack;
    c->boot_cycles = arch_cycles();
    /* LAB smp: BEGIN */
    lapic_send_icr(c->arch.apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
    mdelay(10);
    uint32_t sipi = ICR_STARTUP | (AP_TRAMPOLINE_PHYS >> 12);
    lapic_send_icr(c->arch.apic_id, sipi);
    if (!wait_online(c, 200)) {
        lapic_send_icr(c->arch.apic_id, sipi);
        wait_online(c, AP_TIMEOUT_MS * 1000ULL);
    }
    /* LAB smp: STUB
    // LAB smp: wake the AP with the sequence of SDM vol. 3A 9.4.4.1: an
    // LAB smp: INIT IPI (level assert) to its APIC id, then 10 ms, then a
    // LAB smp: STARTUP IPI whose vector field is the page number of the
    // LAB smp: trampoline's copy (AP_TRAMPOLINE_PHYS); give the AP 200 us
    // LAB smp: to come online, and if it has not, send a second STARTUP and
    // LAB smp: wait up to AP_TIMEOUT_MS. lapic_send_icr() sends an IPI
    // LAB smp: (the ICR_ modes are in lapic.h), mdelay() waits, and
    // LAB smp: wait_online() waits for the AP to set c->online.
    // LAB smp: Until then no IPI is sent: the AP sleeps on, the wait runs
    // LAB smp: out, and the kernel goes on without it.
    wait_online(c, AP_TIMEOUT_MS * 1000ULL);
       LAB smp: END */
    if (c->online)
        return true;
    tramp_data()->apic_id = ~0ULL; /* should it wake up now, it parks in the trampoline */
    pr_err("smp: CPU with APIC id %u did not come up within %d ms; going on without it\n", c->arch.apic_id,
           AP_TIMEOUT_MS);
    return false; /* its stack is not freed: a late AP may still be reading the trampoline */
}

static void install_trampoline(void) {
    if (arch_kernel_root() >= (1ULL << 32))
        panic("kernel page tables above 4 GiB: an AP in 32-bit mode cannot load them");
    memcpy(PHYS_TO_VIRT(AP_TRAMPOLINE_PHYS), ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
    /* The AP turns paging on while running at the trampoline's physical
     * address, so that page must be identity-mapped for the moment. */
    paging_map_trampoline(AP_TRAMPOLINE_PHYS);
}

static int enabled_in_madt(void) {
    int n = 0;
    for (int i = 0; acpi_ok && i < acpi.cpu_count; i++)
        n += acpi.cpus[i].enabled;
    return acpi_ok ? n : 1;
}

int arch_cpus_expected(unsigned maxcpus) {
    int n = enabled_in_madt();
    return MIN(MIN(n, (int)maxcpus), MAX_CPUS);
}

void arch_smp_start(unsigned maxcpus) {
    uint32_t me = this_cpu()->arch.apic_id;
    install_trampoline();
    for (int i = 0; acpi_ok && i < acpi.cpu_count; i++) {
        const struct acpi_cpu *a = &acpi.cpus[i];
        if (!a->enabled || a->apic_id == me)
            continue;
        if ((unsigned)ncpus >= maxcpus || ncpus >= MAX_CPUS) {
            pr_info("smp: leaving APIC id %u offline (maxcpus=%u)\n", a->apic_id, maxcpus);
            continue;
        }
        struct cpu *c = &cpus[ncpus];
        c->id = ncpus;
        c->arch.apic_id = a->apic_id;
        if (start_ap(c)) {
            pr_info("smp: CPU %d (APIC id %u) online after %llu us\n", c->id, a->apic_id,
                    (unsigned long long)(cycles_to_ns(c->boot_cycles) / 1000));
            ncpus++;
        }
    }
    paging_unmap_trampoline(AP_TRAMPOLINE_PHYS);
    pr_info("smp: %d/%d CPUs online\n", ncpus, enabled_in_madt());
}

/* ---- IPIs ---- */

static void send_ipi(int cpu, uint32_t vector) {
    trace(TR_IPI_SENT, (uint32_t)cpu);
    lapic_send_icr(cpus[cpu].arch.apic_id, ICR_FIXED | vector);
}

void arch_send_call_ipi(int cpu) { send_ipi(cpu, VEC_IPI_CALL); }
void arch_send_resched_ipi(int cpu) { send_ipi(cpu, VEC_IPI_RESCHED); }
void arch_send_forward_ipi(int cpu) { send_ipi(cpu, VEC_IPI_FORWARD); }

/* A fixed-vector IPI waits while the target has interrupts off; an NMI
 * does not (SDM vol. 3A 11.6.1, ICR delivery mode 100b: NMI, the vector
 * field is ignored), so cpufail() reaches a CPU in any state, as a power
 * failure would. Once inside its NMI handler, further NMIs are blocked
 * until an iret that a stopped CPU never executes (SDM vol. 3A 6.7.1). */
void arch_send_fail_nmi(int cpu) { lapic_send_icr(cpus[cpu].arch.apic_id, ICR_NMI); }

/* Interrupts the I/O APIC sends to the failed CPU (the console's) would be
 * lost from now on: send them to a live one. */
void arch_cpu_offline(int cpu, int to) { ioapic_reroute(cpus[cpu].arch.apic_id, cpus[to].arch.apic_id); }

static volatile int lapic_ready;

/* NMI every other CPU: nothing can hold an NMI off, so even a CPU spinning
 * with interrupts disabled stops (its NMI handler halts during a panic). */
void arch_stop_other_cpus(void) {
    if (lapic_ready && ncpus > 1)
        lapic_send_icr(0, ICR_NMI | ICR_ALL_BUT_SELF);
}

static void ipi_call_handler(struct trap_frame *f) {
    trace(TR_IPI_RECV, (uint32_t)f->vector);
    this_cpu()->count.ipis++;
    lapic_eoi();
    smp_handle_calls();
}

static void ipi_resched_handler(struct trap_frame *f) {
    trace(TR_IPI_RECV, (uint32_t)f->vector);
    this_cpu()->count.ipis++;
    lapic_eoi();
    kernel_resched_ipi();
}

static void ipi_forward_handler(struct trap_frame *f) {
    trace(TR_IPI_RECV, (uint32_t)f->vector);
    this_cpu()->count.ipis++;
    lapic_eoi();
    kernel_forward_ipi(f);
}

static void timer_handler(struct trap_frame *f) {
    this_cpu()->count.ticks++;
    lapic_eoi();
    kernel_timer_tick(f);
}

static void spurious_handler(struct trap_frame *f) { (void)f; } /* no EOI for spurious (11.9) */

void arch_interrupts_init(void) {
    uint64_t lapic_pa = acpi_ok ? acpi.lapic_addr : 0xFEE00000;
    lapic_init_bsp(lapic_pa);
    lapic_init_cpu();
    this_cpu()->arch.apic_id = lapic_id();
    arch_set_irq_handler(VEC_TIMER, timer_handler);
    arch_set_irq_handler(VEC_IPI_CALL, ipi_call_handler);
    arch_set_irq_handler(VEC_IPI_RESCHED, ipi_resched_handler);
    arch_set_irq_handler(VEC_IPI_FORWARD, ipi_forward_handler);
    arch_set_irq_handler(VEC_SPURIOUS, spurious_handler);
    lapic_ready = 1;
}

void arch_timer_init(unsigned hz) {
    lapic_timer_calibrate();
    lapic_timer_start(hz);
}

void arch_timer_start_this_cpu(unsigned hz) { lapic_timer_start(hz); }

/* The enabled CPUs' APIC ids, as the MADT lists them (tests compare). */
int arch_enabled_cpus(uint32_t *apic_ids, int max) {
    if (!acpi_ok) {
        apic_ids[0] = cpus[0].arch.apic_id;
        return 1;
    }
    int n = 0;
    for (int i = 0; i < acpi.cpu_count && n < max; i++)
        if (acpi.cpus[i].enabled)
            apic_ids[n++] = acpi.cpus[i].apic_id;
    return n;
}
