/* In-kernel tests of what boot left behind: boot information, symbols, time. */
#include "kernel/ktest.h"
#include "kernel/bootinfo.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "arch.h"
#include "lib/ksym.h"
#include "lib/string.h"

extern const struct ksym ksym_table[];
extern const uint64_t ksym_count;
void kmain(uint32_t);

KTEST(boot, memory_map_present) {
    KT_ASSERT(boot_info.mmap_count > 0);
    bool available = false;
    for (size_t i = 0; i < boot_info.mmap_count; i++)
        available |= boot_info.mmap[i].type == MB2_MMAP_AVAILABLE;
    KT_ASSERT(available);
}

KTEST(boot, initrd_module_loaded) {
    KT_ASSERT(boot_info.module_count >= 1);
    KT_ASSERT(boot_info.modules[0].end > boot_info.modules[0].start);
}

KTEST(boot, symbols_resolve) {
    KT_ASSERT(ksym_count > 100);
    uint64_t off = 99;
    const char *name = ksym_lookup(ksym_table, ksym_count, (uint64_t)&kmain + 3, &off);
    KT_ASSERT(name && strcmp(name, "kmain") == 0);
    KT_ASSERT_EQ(off, 3);
}

/* Uptime against a clock independent of the TSC behind it: the PIT. */
static void delay_20ms(void *arg) {
    uint64_t *uptime = arg;
    uint64_t a = uptime_ns();
    udelay(20000);
    *uptime = uptime_ns() - a;
}

KTEST(boot, uptime_advances) {
    uint64_t pit_ns = 0, cycles = 0, uptime = 0;
    bool measured = false;
    push_off(); /* stay on this CPU, unpreempted, during a measurement */
    for (int attempt = 0; attempt < 20 && !measured; attempt++) {
        measured = arch_time_against_pit(delay_20ms, &uptime, &pit_ns, &cycles);
        /* uptime is read inside the PIT's interval: a host that deschedules
         * the virtual CPU between the two (after delay_20ms, before the
         * PIT is latched) stretches the PIT's interval only, and the TSC
         * read with the PIT (cycles) shows it. Such a sample says nothing
         * about uptime: measure again. A slow uptime still fails, as no
         * sample then comes out undisturbed. */
        if (measured && cycles_to_ns(cycles) > uptime + 1000000ULL)
            measured = false;
    }
    pop_off();
    if (!measured)
        KT_FAIL("no undisturbed 20 ms measurement against the PIT in 20 attempts");
    KT_ASSERT(uptime > 0);
    KT_ASSERT(pit_ns >= 18000000ULL);       /* udelay(20000) waited about 20 ms of PIT time */
    KT_ASSERT(uptime * 10 >= pit_ns * 9);   /* and uptime advanced by as much */
    KT_ASSERT(uptime * 10 <= pit_ns * 11);
}
