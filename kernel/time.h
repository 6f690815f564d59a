/* Time since boot, from the calibrated cycle counter. */
#ifndef TIME_H
#define TIME_H

#include "lib/types.h"

/* Called once the cycle counter's frequency is known (arch_time_init). */
void time_set_cycle_hz(uint64_t hz);
bool time_ready(void);
uint64_t time_cycle_hz(void);
uint64_t uptime_ns(void);
uint64_t cycles_to_ns(uint64_t cycles);
/* Busy-wait: really waits, whether or not interrupts are on. */
void udelay(uint64_t us);
void mdelay(uint64_t ms);

#endif
