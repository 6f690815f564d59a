#include "kernel/memory.h"
#include "kernel/bootinfo.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "arch.h"

extern char _boot_start[], _kernel_end[];

/* Physical ranges the allocator must never hand out. Firmware and ACPI
 * ranges are not "available" in the memory map, so they are excluded anyway. */
static size_t collect_reserved(struct phys_range *r, size_t max, uint64_t info_pa) {
    size_t n = 0;
    r[n++] = (struct phys_range){0, 0x100000}; /* real-mode area, BIOS data, AP trampoline */
    r[n++] = (struct phys_range){(uint64_t)_boot_start, KIMG_TO_PHYS(_kernel_end)};
    r[n++] = (struct phys_range){info_pa, info_pa + boot_info.total_size};
    for (size_t i = 0; i < boot_info.module_count && n < max; i++)
        r[n++] = (struct phys_range){boot_info.modules[i].start, ALIGN_UP(boot_info.modules[i].end, PAGE_SIZE)};
    return n;
}

void memory_init(void) {
    struct os_instance *os = this_os();
    struct phys_range reserved[4 + MB2_MAX_MODULES];
    uint64_t info_pa = VIRT_TO_PHYS(boot_info_raw());
    size_t n = collect_reserved(reserved, ARRAY_SIZE(reserved), info_pa);
    uint64_t top = frames_init(&os->frames, &boot_info, reserved, n);
    arch_paging_init(top);
    frames_paging_ready(&os->frames);
    bootinfo_remap();
    heap_init(&os->heap);
    pr_info("memory: %llu frames free of %llu (%llu MiB)\n", (unsigned long long)os->frames.free,
            (unsigned long long)os->frames.total, (unsigned long long)(os->frames.free * PAGE_SIZE >> 20));
}
