#ifndef IOAPIC_H
#define IOAPIC_H
#include "lib/types.h"
void ioapic_init(void);
/* Remap the 8259 PICs away from the exception vectors and mask them all. */
void pic_disable(void);
/* Deliver ISA IRQ `irq` as vector 32 + irq to the CPU with this APIC id. */
bool ioapic_route_isa(int irq, uint32_t dest_apic_id);
/* Every unmasked entry that goes to APIC `from` goes to APIC `to` instead. */
void ioapic_reroute(uint32_t from, uint32_t to);
/* Deliver GSI gsi as `vector` to the CPU with this APIC id; level-triggered
 * active-high (PCI INTx as QEMU's ACPI link devices describe it) or edge. */
bool ioapic_route_gsi(uint32_t gsi, uint8_t vector, bool level, uint32_t dest_apic_id);
#endif
