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
#define PIT_LATCH_CH2 0x80  /* counter latch command for channel 2 */
#define PORT_B_OUT2 0x20    /* port 0x61 bit 5: channel 2's output */

/* ---- the PIT as a clock independent of the TSC ---- */

/* Channel 2 in mode 0 counts down once from 0xFFFF (about 54.9 ms); OUT2
 * goes high at zero and stays high, so a count that ran out is noticed. */
static void pit_stopwatch_start(void) {
    outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
    outb(PIT_CMD, 0xB0);
    outb(PIT_CH2, 0xFF);
    outb(PIT_CH2, 0xFF);
}

/* PIT time since the start, and the TSC at that instant: the latch is read
 * between two TSC reads, and the pair is kept only when those are at most
 * `tight` cycles apart (a host that deschedules the virtual CPU between
 * them makes a loose pair: read again). False once the count ran out, or
 * if no tight pair came. */
static bool pit_stopwatch_read(uint64_t *pit_ns, uint64_t *tsc, uint64_t tight) {
    for (int tries = 0; tries < 100; tries++) {
        uint64_t before = rdtsc();
        outb(PIT_CMD, PIT_LATCH_CH2);
        uint32_t lo = inb(PIT_CH2), hi = inb(PIT_CH2);
        uint64_t after = rdtsc();
        if (inb(PORT_B) & PORT_B_OUT2)
            return false;
        if (after - before > tight)
            continue;
        *pit_ns = (0xFFFFu - ((hi << 8) | lo)) * 1000000000ULL / PIT_HZ;
        *tsc = before + (after - before) / 2;
        return true;
    }
    return false;
}

/* One calibration: two tight (PIT, TSC) pairs CALIBRATE_MS apart, or 0.
 * Only the instants of the two pairs matter, so a virtual CPU that the
 * host deschedules in between (it happens under TCG on a busy host) does
 * not skew the rate, as it did when the end was found by polling OUT2:
 * a late look at OUT2 counted extra cycles into the interval. */
#define CALIBRATE_TIGHT 250000 /* cycles: 50-250 us at 1-5 GHz (the rate is not known yet) */
static uint64_t calibrate_once(void) {
    uint64_t p0, t0, p1, t1;
    pit_stopwatch_start();
    if (!pit_stopwatch_read(&p0, &t0, CALIBRATE_TIGHT))
        return 0;
    do
        if (!pit_stopwatch_read(&p1, &t1, CALIBRATE_TIGHT))
            return 0;
    while (p1 - p0 < CALIBRATE_MS * 1000000ULL);
    return (t1 - t0) * 1000000000ULL / (p1 - p0);
}

/* The median of three calibrations that succeeded (at most ten tries). */
void arch_time_init(void) {
    uint64_t got[3];
    int n = 0;
    for (int tries = 0; tries < 10 && n < 3; tries++) {
        uint64_t hz = calibrate_once();
        if (hz)
            got[n++] = hz;
    }
    uint64_t hz = n == 0 ? 0 : n < 3 ? got[0] : MAX(MIN(got[0], got[1]), MIN(MAX(got[0], got[1]), got[2]));
    if (hz < 1000000)
        hz = 1000000000ULL; /* implausible: assume 1 GHz rather than divide by ~0 */
    time_set_cycle_hz(hz);
    pr_info("time: TSC runs at %llu.%03llu MHz (calibrated against the PIT)\n",
            (unsigned long long)(hz / 1000000), (unsigned long long)(hz / 1000 % 1000));
}

bool arch_time_against_pit(void (*fn)(void *), void *arg, uint64_t *pit_ns, uint64_t *cycles) {
    uint64_t p0, t0, p1, t1;
    pit_stopwatch_start();
    uint64_t tight = time_cycle_hz() / 20000; /* 50 us */
    if (!pit_stopwatch_read(&p0, &t0, tight))
        return false;
    fn(arg);
    if (!pit_stopwatch_read(&p1, &t1, tight))
        return false;
    *pit_ns = p1 - p0;
    *cycles = t1 - t0;
    return true;
}
