/*
 * Reading the firmware's ACPI tables: find the RSDP in the multiboot2
 * information, let lib/acpi.c walk RSDT/XSDT and the MADT. A malformed table
 * is reported and the machine is run with the boot CPU only.
 */
#include "arch/x86_64/acpi_boot.h"
#include "arch/x86_64/paging.h"
#include "kernel/bootinfo.h"
#include "kernel/printk.h"

struct acpi_info acpi;
bool acpi_ok;

/* Tables may lie outside the direct map (firmware memory above RAM):
 * map any missing page read-only on demand. */
static const void *map_table(uint64_t pa, size_t len, void *ctx) {
    (void)ctx;
    if (len == 0 || pa + len < pa)
        return NULL;
    for (uint64_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + len; p += PAGE_SIZE) {
        uint64_t got;
        unsigned flags;
        if (!arch_translate(0, PHYS_MAP_BASE + p, &got, &flags) && arch_map_page(0, PHYS_MAP_BASE + p, p, 0) < 0)
            return NULL;
    }
    return PHYS_TO_VIRT(pa);
}

void acpi_init(void) {
    if (!boot_info.rsdp) {
        pr_warn("acpi: the boot loader passed no RSDP; running on one CPU\n");
        return;
    }
    char err[128] = "";
    if (acpi_parse(0, boot_info.rsdp, boot_info.rsdp_len, map_table, NULL, &acpi, err, sizeof err) < 0) {
        pr_err("acpi: %s; falling back to one CPU\n", err);
        return;
    }
    acpi_ok = true;
    int enabled = 0;
    for (int i = 0; i < acpi.cpu_count; i++)
        enabled += acpi.cpus[i].enabled;
    pr_info("acpi: revision %d, OEM '%s', %s; MADT: %d CPUs (%d enabled), %d I/O APICs, %d overrides, "
            "LAPIC at %llx\n",
            acpi.revision, acpi.oem, acpi.used_xsdt ? "XSDT" : "RSDT", acpi.cpu_count, enabled, acpi.ioapic_count,
            acpi.override_count, (unsigned long long)acpi.lapic_addr);
    if (acpi.warnings)
        pr_warn("acpi: %d warnings, last: %s\n", acpi.warnings, acpi.last_warning);
}
