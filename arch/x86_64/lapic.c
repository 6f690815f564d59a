#include "arch/x86_64/lapic.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/x86.h"
#include "arch/x86_64/acpi_boot.h"
#include "kernel/cpu.h"
#include "kernel/printk.h"
#include "kernel/time.h"

/* Register offsets in the xAPIC MMIO page; in x2APIC mode the MSR is
 * 0x800 + offset / 16 (SDM vol. 3A table 11-6). */
#define REG_ID 0x020
#define REG_TPR 0x080
#define REG_EOI 0x0B0
#define REG_SVR 0x0F0
#define REG_ICR_LOW 0x300
#define REG_ICR_HIGH 0x310
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE 0x3E0

#define SVR_ENABLE 0x100
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LVT_NMI (4u << 8)
#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_X2APIC (1ULL << 10)
#define ICR_DELIVERY_PENDING (1u << 12)

bool lapic_x2apic;
static volatile uint32_t *mmio;
static uint64_t timer_hz; /* timer counts per second at divide-by-16 */

static uint32_t lapic_read(uint32_t reg) {
    if (lapic_x2apic)
        return (uint32_t)rdmsr(0x800 + reg / 16);
    return mmio[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v) {
    if (lapic_x2apic)
        wrmsr(0x800 + reg / 16, v);
    else
        mmio[reg / 4] = v;
}

uint32_t lapic_id(void) { return lapic_x2apic ? lapic_read(REG_ID) : lapic_read(REG_ID) >> 24; }

void lapic_eoi(void) { lapic_write(REG_EOI, 0); }

void lapic_init_bsp(uint64_t mmio_phys) {
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    if (!(d & (1u << 9)))
        panic("this CPU has no local APIC");
    lapic_x2apic = c & (1u << 21);  /* CPUID.01H:ECX.x2APIC[bit 21] */
    if (!lapic_x2apic)
        mmio = arch_map_mmio(mmio_phys, PAGE_SIZE);
    pr_info("lapic: %s mode%s\n", lapic_x2apic ? "x2APIC (MSR access)" : "xAPIC (MMIO access)",
            lapic_x2apic ? "" : " (CPUID offers no x2APIC)");
}

/* This CPU's ACPI processor UID, which the MADT's NMI entries name. */
static bool my_acpi_uid(uint32_t *uid) {
    uint32_t id = lapic_id();
    for (int i = 0; acpi_ok && i < acpi.cpu_count; i++)
        if (acpi.cpus[i].apic_id == id) {
            *uid = acpi.cpus[i].uid;
            return true;
        }
    return false;
}

/* LINT pins wired to NMI by the MADT (types 4/0xA, ACPI 5.2.12.6) for this
 * CPU or for all CPUs; polarity and trigger follow the entry's flags. */
static void program_lint_nmis(void) {
    lapic_write(REG_LVT_LINT0, LVT_MASKED); /* ExtINT from the 8259s: not used */
    lapic_write(REG_LVT_LINT1, LVT_MASKED);
    uint32_t uid = 0;
    bool known = my_acpi_uid(&uid);
    for (int i = 0; acpi_ok && i < acpi.nmi_count; i++) {
        const struct acpi_nmi *n = &acpi.nmis[i];
        if (n->uid != ACPI_NMI_ALL_CPUS && (!known || n->uid != uid))
            continue;
        uint32_t lvt = LVT_NMI;
        if ((n->flags & ACPI_INTI_POLARITY_MASK) == ACPI_INTI_POLARITY_LOW)
            lvt |= 1u << 13;
        if ((n->flags & ACPI_INTI_TRIGGER_MASK) == ACPI_INTI_TRIGGER_LEVEL)
            lvt |= 1u << 15;
        lapic_write(n->lint ? REG_LVT_LINT1 : REG_LVT_LINT0, lvt);
    }
}

void lapic_init_cpu(void) {
    /* 11.12.5: from disabled, go to xAPIC mode first, then to x2APIC;
     * disabled -> x2APIC in one write is an invalid transition (#GP). */
    uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;
    wrmsr(MSR_APIC_BASE, base);
    if (lapic_x2apic)
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
    lapic_write(REG_SVR, SVR_ENABLE | VEC_SPURIOUS);
    lapic_write(REG_TPR, 0);
    lapic_write(REG_LVT_ERROR, LVT_MASKED);
    program_lint_nmis();
    lapic_eoi();
}

/* In xAPIC mode the ICR is two registers (SDM vol. 3A 11.6.1): the
 * destination goes into the high half, and writing the low half sends.
 * Interrupts stay off from the first write until the delivery status says
 * the IPI has left, so an interrupt handler that sends its own IPI in
 * between can neither redirect this one to its destination nor find the
 * ICR still busy. */
void lapic_send_icr(uint32_t apic_id, uint32_t low) {
    uint64_t flags = arch_irq_save();
    if (lapic_x2apic) {
        wrmsr(0x800 + REG_ICR_LOW / 16, ((uint64_t)apic_id << 32) | low); /* one 64-bit write */
    } else {
        lapic_write(REG_ICR_HIGH, apic_id << 24);
        lapic_write(REG_ICR_LOW, low); /* writing the low half sends the IPI */
        while (lapic_read(REG_ICR_LOW) & ICR_DELIVERY_PENDING)
            cpu_relax();
    }
    arch_irq_restore(flags);
}

static void timer_free_run(void) {
    lapic_write(REG_TIMER_DIVIDE, 0x3); /* divide by 16 */
    lapic_write(REG_LVT_TIMER, LVT_MASKED);
    lapic_write(REG_TIMER_INIT, 0xFFFFFFFF);
}

/* The TSC and the timer's current count read close together (at most
 * 50 us apart), or false: as tsc.c does with the PIT. */
static bool timer_pair(uint64_t *tsc, uint32_t *count) {
    uint64_t tight = time_cycle_hz() / 20000;
    for (int tries = 0; tries < 100; tries++) {
        uint64_t before = rdtsc();
        uint32_t c = lapic_read(REG_TIMER_CURRENT);
        uint64_t after = rdtsc();
        if (after - before <= tight) {
            *tsc = before + (after - before) / 2;
            *count = c;
            return true;
        }
    }
    return false;
}

/* The timer's rate at divide-by-16 against the TSC, which arch_time_init()
 * calibrated against the PIT: two tight (TSC, count) pairs about 20 ms
 * apart. Only the instants of the pairs matter, so a virtual CPU that the
 * host deschedules in between does not skew the rate. */
void lapic_timer_calibrate(void) {
    uint64_t hz = 0, cycle_hz = time_cycle_hz();
    for (int tries = 0; tries < 10 && !hz; tries++) {
        uint64_t t0, t1;
        uint32_t c0, c1;
        timer_free_run();
        if (!timer_pair(&t0, &c0))
            continue;
        while (rdtsc() - t0 < cycle_hz / 50)
            cpu_relax();
        if (timer_pair(&t1, &c1) && c1 < c0)
            hz = (uint64_t)(c0 - c1) * cycle_hz / (t1 - t0);
    }
    lapic_write(REG_TIMER_INIT, 0);
    timer_hz = hz;
    if (timer_hz < 10000)
        panic("LAPIC timer calibration failed (%llu Hz measured against the TSC)", (unsigned long long)hz);
    pr_info("lapic: timer runs at %llu kHz (divide by 16), calibrated against the TSC\n",
            (unsigned long long)(timer_hz / 1000));
}

void lapic_timer_start(unsigned hz) {
    lapic_write(REG_TIMER_DIVIDE, 0x3);
    lapic_write(REG_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
    lapic_write(REG_TIMER_INIT, (uint32_t)(timer_hz / hz));
}
