/* The local APIC of each CPU (SDM vol. 3A chapter 11), xAPIC or x2APIC mode. */
#ifndef LAPIC_H
#define LAPIC_H
#include "lib/types.h"

extern bool lapic_x2apic;       /* MSR interface (11.12) instead of MMIO */

void lapic_init_bsp(uint64_t mmio_phys); /* choose the mode, map MMIO */
void lapic_init_cpu(void);      /* enable this CPU's APIC, spurious vector, LINT */
uint32_t lapic_id(void);
void lapic_eoi(void);

/* ICR delivery modes (11.6.1). */
#define ICR_FIXED 0x000
#define ICR_NMI 0x400
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_LEVEL_ASSERT 0x4000
#define ICR_ALL_BUT_SELF 0xC0000
void lapic_send_icr(uint32_t apic_id, uint32_t low);

/* The LAPIC timer (11.5.4), calibrated once against the PIT. */
void lapic_timer_calibrate(void);
void lapic_timer_start(unsigned hz);
#endif
