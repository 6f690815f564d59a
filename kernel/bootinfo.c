#include "kernel/bootinfo.h"
#include "kernel/printk.h"
#include "arch.h"

struct mb2_info boot_info;
static uint64_t info_pa;

static void parse_at_current_mapping(void) {
    const void *p = PHYS_TO_VIRT(info_pa);
    uint32_t total;
    __builtin_memcpy(&total, p, sizeof total);
    const char *err = "?";
    int r = mb2_parse(p, total, &boot_info, &err);
    if (r < 0)
        panic("multiboot2 information at %llx is malformed: %s", (unsigned long long)info_pa, err);
}

void bootinfo_parse(uint64_t pa) {
    info_pa = pa;
    parse_at_current_mapping();
}

void bootinfo_remap(void) { parse_at_current_mapping(); }

const void *boot_info_raw(void) { return PHYS_TO_VIRT(info_pa); }

void bootinfo_print_memory_map(void) {
    uint64_t avail = 0;
    for (size_t i = 0; i < boot_info.mmap_count; i++) {
        const struct mb2_mmap_entry *e = &boot_info.mmap[i];
        pr_info("  mem %016llx-%016llx %8llu KiB %s\n", (unsigned long long)e->addr,
                (unsigned long long)(e->addr + e->len - 1), (unsigned long long)(e->len >> 10),
                mb2_mmap_type_name(e->type));
        if (e->type == MB2_MMAP_AVAILABLE)
            avail += e->len;
    }
    pr_info("memory: %llu MiB available in %zu ranges%s, from the %s\n", (unsigned long long)(avail >> 20),
            boot_info.mmap_count, boot_info.mmap_truncated ? " (map truncated)" : "",
            boot_info.mmap_from_efi ? "EFI memory map" : "multiboot2 memory map");
}

uint64_t bootinfo_memory_top(void) {
    uint64_t top = 0;
    for (size_t i = 0; i < boot_info.mmap_count; i++) {
        const struct mb2_mmap_entry *e = &boot_info.mmap[i];
        if (e->type == MB2_MMAP_AVAILABLE && e->addr + e->len > top)
            top = e->addr + e->len;
    }
    return top;
}
