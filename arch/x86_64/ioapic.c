/*
 * Interrupt routing: the legacy 8259 PICs are remapped and masked; ISA IRQs
 * go through the I/O APIC (82093AA datasheet: IOREGSEL/IOWIN, redirection
 * table at registers 0x10 + 2n), following the MADT's interrupt source
 * overrides (ACPI 5.2.12.5): e.g. on QEMU the PIT's IRQ 0 arrives on GSI 2.
 */
#include "arch/x86_64/ioapic.h"
#include "arch.h"
#include "arch/x86_64/acpi_boot.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/x86.h"
#include "kernel/printk.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define REG_VER 0x01
#define REDIR_MASKED (1u << 16)
#define REDIR_LEVEL (1u << 15)
#define REDIR_ACTIVE_LOW (1u << 13)

struct ioapic {
    volatile uint32_t *mmio;
    uint32_t gsi_base, gsi_count;
};
static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static int nioapics;

static uint32_t ioapic_read(struct ioapic *io, uint32_t reg) {
    io->mmio[IOREGSEL / 4] = reg;
    return io->mmio[IOWIN / 4];
}
static void ioapic_write(struct ioapic *io, uint32_t reg, uint32_t v) {
    io->mmio[IOREGSEL / 4] = reg;
    io->mmio[IOWIN / 4] = v;
}

/* ICW1-ICW4 move the PIC vectors away from the exceptions (to 0x20-0x2F),
 * then OCW1 masks every line: the I/O APIC delivers interrupts instead. */
void pic_disable(void) {
    outb(0x20, 0x11);
    outb(0xA0, 0x11);
    outb(0x21, 0x20);
    outb(0xA1, 0x28);
    outb(0x21, 0x04);
    outb(0xA1, 0x02);
    outb(0x21, 0x01);
    outb(0xA1, 0x01);
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

void ioapic_init(void) {
    if (!acpi_ok || acpi.ioapic_count == 0) {
        pr_warn("ioapic: none described by ACPI; no device interrupts\n");
        return;
    }
    for (int i = 0; i < acpi.ioapic_count; i++) {
        struct ioapic *io = &ioapics[nioapics++];
        io->mmio = arch_map_mmio(acpi.ioapics[i].addr, PAGE_SIZE);
        io->gsi_base = acpi.ioapics[i].gsi_base;
        io->gsi_count = ((ioapic_read(io, REG_VER) >> 16) & 0xFF) + 1;
        for (uint32_t n = 0; n < io->gsi_count; n++)
            ioapic_write(io, 0x10 + 2 * n, REDIR_MASKED);
        pr_info("ioapic: id %u at %x, GSIs %u-%u\n", acpi.ioapics[i].id, acpi.ioapics[i].addr, io->gsi_base,
                io->gsi_base + io->gsi_count - 1);
    }
}

/* ISA IRQ -> (GSI, flags), as the overrides say; identity otherwise. */
static uint32_t isa_to_gsi(int irq, uint16_t *flags) {
    *flags = 0;
    for (int i = 0; acpi_ok && i < acpi.override_count; i++)
        if (acpi.overrides[i].source == irq) {
            *flags = acpi.overrides[i].flags;
            return acpi.overrides[i].gsi;
        }
    return (uint32_t)irq;
}

bool ioapic_route_isa(int irq, uint32_t dest_apic_id) {
    uint16_t flags;
    uint32_t gsi = isa_to_gsi(irq, &flags);
    for (int i = 0; i < nioapics; i++) {
        struct ioapic *io = &ioapics[i];
        if (gsi < io->gsi_base || gsi >= io->gsi_base + io->gsi_count)
            continue;
        uint32_t low = VEC_IRQ_BASE + (uint32_t)irq; /* fixed delivery, physical destination */
        if ((flags & ACPI_INTI_POLARITY_MASK) == ACPI_INTI_POLARITY_LOW)
            low |= REDIR_ACTIVE_LOW;
        if ((flags & ACPI_INTI_TRIGGER_MASK) == ACPI_INTI_TRIGGER_LEVEL)
            low |= REDIR_LEVEL;
        uint32_t n = gsi - io->gsi_base;
        ioapic_write(io, 0x10 + 2 * n + 1, dest_apic_id << 24);
        ioapic_write(io, 0x10 + 2 * n, low);
        pr_info("ioapic: ISA IRQ %d -> GSI %u -> vector %u on APIC %u\n", irq, gsi, low & 0xFF, dest_apic_id);
        return true;
    }
    pr_warn("ioapic: no I/O APIC serves GSI %u (ISA IRQ %d)\n", gsi, irq);
    return false;
}

/* The destination is bits 56-63 of the entry (the high register's top
 * byte), physical mode; rewriting only the high half while the low half
 * stays as it was redirects the line without masking it (82093AA 3.2.4). */
void ioapic_reroute(uint32_t from, uint32_t to) {
    for (int i = 0; i < nioapics; i++) {
        struct ioapic *io = &ioapics[i];
        for (uint32_t n = 0; n < io->gsi_count; n++) {
            uint32_t low = ioapic_read(io, 0x10 + 2 * n), high = ioapic_read(io, 0x10 + 2 * n + 1);
            if ((low & REDIR_MASKED) || (high >> 24) != from)
                continue;
            ioapic_write(io, 0x10 + 2 * n + 1, to << 24);
            pr_info("ioapic: GSI %u (vector %u) now goes to APIC %u instead of APIC %u\n", io->gsi_base + n,
                    low & 0xFF, to, from);
        }
    }
}

bool ioapic_route_gsi(uint32_t gsi, uint8_t vector, bool level, uint32_t dest_apic_id) {
    for (int i = 0; i < nioapics; i++) {
        struct ioapic *io = &ioapics[i];
        if (gsi < io->gsi_base || gsi >= io->gsi_base + io->gsi_count)
            continue;
        uint32_t n = gsi - io->gsi_base;
        ioapic_write(io, 0x10 + 2 * n + 1, dest_apic_id << 24);
        ioapic_write(io, 0x10 + 2 * n, vector | (level ? REDIR_LEVEL : 0));
        return true;
    }
    return false;
}
