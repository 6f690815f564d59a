/* In-kernel tests of what boot left behind: boot information, symbols, time. */
#include "kernel/ktest.h"
#include "kernel/bootinfo.h"
#include "kernel/time.h"
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

KTEST(boot, uptime_advances) {
    uint64_t a = uptime_ns();
    udelay(1000);
    uint64_t b = uptime_ns();
    KT_ASSERT(b > a);
    KT_ASSERT(b - a >= 1000000); /* udelay(1000) waits at least 1 ms of TSC time */
}
