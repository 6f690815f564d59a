/*
 * Time: calibrate the TSC against the 8254 PIT, whose input clock is a fixed
 * 1.193182 MHz. Channel 2 is used because its output can be read back
 * through port 0x61 without interrupts (PIT datasheet; the PC/AT layout).
 */
#include "arch/x86_64/x86.h"
#include "kernel/printk.h"
#include "kernel/time.h"

#define PIT_HZ 1193182ULL
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define CALIBRATE_MS 20

/* Run `start`, let PIT channel 2 count down `ms` milliseconds once, and
 * return what `stop` says: any counter can be measured against the PIT. */
uint64_t pit_measure(unsigned ms, void (*start)(void), uint64_t (*stop)(void)) {
    uint16_t count = (uint16_t)(PIT_HZ * ms / 1000);
    outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);   /* gate on, speaker off */
    outb(PIT_CMD, 0xB0);                          /* channel 2, lo/hi byte, mode 0 */
    outb(PIT_CH2, count & 0xFF);
    outb(PIT_CH2, count >> 8);
    start();
    uint64_t guard = 0;
    while (!(inb(PORT_B) & 0x20) && ++guard < 100000000ULL) /* OUT2 goes high at zero */
        cpu_relax();
    return stop();
}

static uint64_t tsc_at_start;
static void tsc_start(void) { tsc_at_start = rdtsc(); }
static uint64_t tsc_stop(void) { return rdtsc() - tsc_at_start; }
static uint64_t cycles_in_pit_interval(unsigned ms) { return pit_measure(ms, tsc_start, tsc_stop); }

void arch_time_init(void) {
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 3; i++) { /* the shortest of three: least disturbed */
        uint64_t c = cycles_in_pit_interval(CALIBRATE_MS);
        if (c < best)
            best = c;
    }
    uint64_t hz = best * 1000 / CALIBRATE_MS;
    if (hz < 1000000)
        hz = 1000000000ULL; /* implausible: assume 1 GHz rather than divide by ~0 */
    time_set_cycle_hz(hz);
    pr_info("time: TSC runs at %llu.%03llu MHz (calibrated against the PIT)\n",
            (unsigned long long)(hz / 1000000), (unsigned long long)(hz / 1000 % 1000));
}
