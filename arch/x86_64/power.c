/* Powering off, and the wall-clock time from the CMOS real-time clock. */
#include "arch/x86_64/acpi_boot.h"
#include "arch/x86_64/x86.h"
#include "kernel/printk.h"
#include "arch.h"

uint64_t arch_fault_address(void) { return read_cr2(); }

/* ACPI S5 (soft off): write SLP_TYPa/b with SLP_EN into PM1a/b_CNT
 * (ACPI 6.x 4.8.3.2.1 and 7.4.2); the \_S5 values come from the DSDT. */
void arch_poweroff(void) {
    if (acpi_ok && acpi.has_fadt && acpi.has_s5 && acpi.pm1a_cnt_port) {
        outw(acpi.pm1a_cnt_port, (uint16_t)((acpi.slp_typa_s5 << 10) | (1 << 13)));
        if (acpi.pm1b_cnt_port)
            outw(acpi.pm1b_cnt_port, (uint16_t)((acpi.slp_typb_s5 << 10) | (1 << 13)));
    }
    pr_err("poweroff: the machine did not switch off; halting\n");
    arch_halt_forever();
}

/* CMOS RTC registers (MC146818): seconds 0x00, minutes 0x02, hours 0x04,
 * day 0x07, month 0x08, year 0x09, status B 0x0B (bit 2 binary, bit 1 24h). */
static uint8_t cmos(uint8_t reg) {
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned from_bcd(uint8_t v, bool binary) { return binary ? v : (v & 0x0F) + (v >> 4) * 10; }

static uint64_t days_before_year(unsigned y) {
    uint64_t d = 0;
    for (unsigned k = 1970; k < y; k++)
        d += (k % 4 == 0 && (k % 100 != 0 || k % 400 == 0)) ? 366 : 365;
    return d;
}

static uint64_t boot_epoch;

uint64_t arch_rtc_boot_epoch(void) {
    if (boot_epoch)
        return boot_epoch;
    while (cmos(0x0A) & 0x80) /* update in progress */
        cpu_relax();
    bool bin = cmos(0x0B) & 0x04;
    unsigned sec = from_bcd(cmos(0x00), bin), min = from_bcd(cmos(0x02), bin);
    unsigned hour = from_bcd(cmos(0x04) & 0x7F, bin), day = from_bcd(cmos(0x07), bin);
    unsigned mon = from_bcd(cmos(0x08), bin), year = 2000 + from_bcd(cmos(0x09), bin);
    static const unsigned cum[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    uint64_t days = days_before_year(year) + cum[(mon - 1) % 12] + (mon > 2 && leap) + day - 1;
    extern uint64_t uptime_ns(void);
    boot_epoch = days * 86400 + hour * 3600 + min * 60 + sec - uptime_ns() / 1000000000ULL;
    return boot_epoch;
}
