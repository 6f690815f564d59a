#include "kernel/time.h"
#include "arch.h"

static uint64_t cycle_hz;
static uint64_t boot_cycles;
static uint64_t ns_per_cycle_fp32;  /* nanoseconds per cycle, 32.32 fixed point */

void time_set_cycle_hz(uint64_t hz) {
    boot_cycles = 0; /* uptime counts from reset, like the cycle counter */
    ns_per_cycle_fp32 = (1000000000ULL << 32) / hz;
    cycle_hz = hz;
}

bool time_ready(void) { return cycle_hz != 0; }
uint64_t time_cycle_hz(void) { return cycle_hz; }

uint64_t cycles_to_ns(uint64_t cycles) {
    return (uint64_t)(((unsigned __int128)cycles * ns_per_cycle_fp32) >> 32);
}

uint64_t uptime_ns(void) { return cycle_hz ? cycles_to_ns(arch_cycles() - boot_cycles) : 0; }

void udelay(uint64_t us) {
    uint64_t start = arch_cycles();
    uint64_t wait = us * (cycle_hz / 1000000);
    while (arch_cycles() - start < wait)
        arch_cpu_relax();
}

void mdelay(uint64_t ms) { udelay(ms * 1000); }
