/*
 * ACPI table parser: RSDP -> XSDT/RSDT -> MADT, FADT (+ DSDT \_S5_), HPET,
 * MCFG (PCI ECAM).
 *
 * Freestanding and stateless: tables live at physical addresses, so the
 * caller supplies a mapping callback. The parser never unmaps and keeps no
 * pointer past the return of acpi_parse(); every multi-byte field is read
 * with memcpy because firmware tables need not be aligned.
 *
 * Section numbers refer to the ACPI Specification 6.x.
 *
 * Policy (decided here, tested in tests/host/test_acpi.c):
 *  - fatal (negative return, message in err): bad RSDP signature/checksum,
 *    no usable XSDT or RSDT, no MADT, MADT that cannot be mapped, has a bad
 *    length or a bad checksum;
 *  - XSDT with a bad checksum/length, or one that cannot be mapped: warning,
 *    and the RSDT is used instead when the RSDP has one (fatal otherwise);
 *  - optional tables (FADT, DSDT, HPET) with a bad checksum or length: warning,
 *    the table is ignored;
 *  - malformed MADT entries: an entry too short for its type is skipped,
 *    an entry with length < 2 or running past the table end ends the walk;
 *    each is one warning;
 *  - more CPUs / IOAPICs / overrides / NMIs than the arrays hold: the extra
 *    entries are dropped with one warning per array.
 */
#ifndef LIB_ACPI_H
#define LIB_ACPI_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_NMIS 16

/* Largest table the parser will map (a big real-machine DSDT is < 1 MiB). */
#define ACPI_MAX_TABLE_LEN (4u << 20)

/* acpi_parse() return codes */
#define ACPI_OK 0
#define ACPI_ERR_ARG (-1)  /* NULL map/out, no RSDP given */
#define ACPI_ERR_RSDP (-2) /* RSDP signature, checksum or length */
#define ACPI_ERR_ROOT (-3) /* no usable XSDT/RSDT */
#define ACPI_ERR_MADT (-4) /* MADT missing, unmappable or corrupt */

/* Returns a pointer to len readable bytes at phys, or NULL. */
typedef const void *(*acpi_map_fn)(uint64_t phys, size_t len, void *ctx);

struct acpi_cpu {
    uint32_t apic_id;
    uint32_t uid;        /* ACPI processor UID */
    bool enabled;        /* flags bit 0: usable now */
    bool online_capable; /* flags bit 1: may be enabled later (if !enabled) */
    bool x2apic;         /* came from a type 9 (x2APIC) entry */
};

struct acpi_ioapic {
    uint32_t id;
    uint32_t addr;
    uint32_t gsi_base;
};

/* flags are MPS INTI flags: polarity bits 0-1, trigger mode bits 2-3. */
#define ACPI_INTI_POLARITY_MASK 0x3
#define ACPI_INTI_POLARITY_HIGH 0x1
#define ACPI_INTI_POLARITY_LOW 0x3
#define ACPI_INTI_TRIGGER_MASK 0xC
#define ACPI_INTI_TRIGGER_EDGE 0x4
#define ACPI_INTI_TRIGGER_LEVEL 0xC

struct acpi_override {
    uint8_t bus, source; /* bus is always 0 (ISA) */
    uint32_t gsi;
    uint16_t flags;
};

/* A type 4 entry's "all processors" UID 0xFF is stored as ACPI_NMI_ALL_CPUS,
 * so one value means "all" for both entry types. */
#define ACPI_NMI_ALL_CPUS 0xFFFFFFFFu

struct acpi_nmi {
    uint32_t uid;  /* processor UID, or ACPI_NMI_ALL_CPUS */
    uint8_t lint;  /* LINT0 or LINT1 */
    uint16_t flags;
};

struct acpi_info {
    int revision; /* RSDP revision: 0 = ACPI 1.0, 2 = ACPI 2.0+ */
    char oem[7];  /* RSDP OEMID, NUL-terminated */
    bool used_xsdt;

    uint64_t lapic_addr; /* MADT field, replaced by a type 5 override entry */
    bool pcat_compat;    /* MADT flags bit 0: legacy 8259 PICs present */

    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    int cpu_count; /* types 0 and 9, deduplicated by APIC ID */
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    int ioapic_count;
    struct acpi_override overrides[ACPI_MAX_OVERRIDES];
    int override_count;
    struct acpi_nmi nmis[ACPI_MAX_NMIS];
    int nmi_count; /* types 4 and 0xA */

    bool has_hpet;
    uint64_t hpet_addr;

    bool has_mcfg;          /* PCI ECAM for segment 0 (MCFG table) */
    uint64_t mcfg_base;
    uint8_t mcfg_bus_start, mcfg_bus_end;

    bool has_fadt;
    uint16_t pm1a_cnt_port;
    uint16_t pm1b_cnt_port; /* 0 if absent */
    /* FADT revision 2 or later with IAPC_BOOT_ARCH bit 1 ("8042") clear:
     * the firmware says there is no PS/2 controller (ACPI 6.x, 5.2.9.3,
     * Table 5.11). A revision-1 FADT has no such field: false then. */
    bool no_8042;
    bool has_s5;            /* \_S5_ found in the DSDT, else in an SSDT */
    uint16_t slp_typa_s5;
    uint16_t slp_typb_s5;

    int warnings;
    char last_warning[96];
};

/*
 * Parse the ACPI tables. rsdp/rsdp_len are the RSDP bytes (e.g. copied from
 * the multiboot2 tag); if rsdp is NULL the RSDP is mapped at rsdp_phys
 * instead. rsdp_phys may be 0 and is otherwise only used in messages.
 * Returns ACPI_OK or a negative ACPI_ERR_*, with a message in err (err may be
 * NULL). *out is fully rewritten either way.
 */
int acpi_parse(uint64_t rsdp_phys, const void *rsdp, size_t rsdp_len,
               acpi_map_fn map, void *ctx, struct acpi_info *out, char *err,
               size_t errlen);

/* True if the len bytes at p sum to 0 mod 256 (5.2.5.3, 5.2.6). */
bool acpi_checksum_ok(const void *p, size_t len);

#endif
