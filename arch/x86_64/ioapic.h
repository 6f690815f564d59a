#ifndef IOAPIC_H
#define IOAPIC_H
#include "lib/types.h"
void ioapic_init(void);
/* Deliver ISA IRQ `irq` as vector 32 + irq to the CPU with this APIC id. */
bool ioapic_route_isa(int irq, uint32_t dest_apic_id);
#endif
