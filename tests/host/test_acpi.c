/*
 * Host tests of lib/acpi.c. A fake "physical memory" holds firmware tables
 * (RSDP, XSDT, RSDT, MADT, FADT, DSDT, HPET) at deliberately unaligned
 * addresses. The map callback bounds-checks each request and hands out a
 * fresh heap copy of exactly the requested length, so AddressSanitizer
 * catches any read past what the parser asked to map.
 */
#include "tests/host/htest.h"
#include "lib/acpi.h"

#include <stdbool.h>
#include <stdlib.h>

#define MEM_BASE 0x7ff00000ull
#define MEM_SIZE 0x20000
#define MAX_MAPS 512

struct fw {
    uint8_t mem[MEM_SIZE];
    size_t used;
    uint8_t rsdp[36];
    size_t rsdp_len;
    uint64_t rsdp_phys, xsdt, rsdt, madt, fadt, dsdt, hpet;
    void *maps[MAX_MAPS];
    int map_count;
    bool map_overflow;
    char err[128];
};

static struct fw fw;
static struct acpi_info info;

/* ---- fake physical memory ---------------------------------------------- */

static uint8_t *at(uint64_t phys)
{
    return fw.mem + (phys - MEM_BASE);
}

static bool in_mem(uint64_t phys, size_t len)
{
    return phys >= MEM_BASE && len <= MEM_SIZE &&
           phys - MEM_BASE <= MEM_SIZE - len;
}

static const void *map_cb(uint64_t phys, size_t len, void *ctx)
{
    struct fw *f = ctx;
    void *copy;
    if (!in_mem(phys, len) || len == 0)
        return NULL;
    if (f->map_count == MAX_MAPS) {
        f->map_overflow = true;
        return NULL;
    }
    copy = malloc(len);
    memcpy(copy, at(phys), len);
    f->maps[f->map_count++] = copy;
    return copy;
}

static void unmap_all(void)
{
    for (int i = 0; i < fw.map_count; i++)
        free(fw.maps[i]);
    fw.map_count = 0;
}

/* Odd gaps keep every table unaligned. */
static uint64_t alloc(size_t len)
{
    uint64_t phys = MEM_BASE + fw.used;
    fw.used += len + 3;
    if (fw.used > MEM_SIZE) {
        printf("fake memory exhausted\n");
        abort();
    }
    return phys;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s += *p++;
    return s;
}

/* Recompute the checksum of the table at phys from its header length. */
static void fix_table(uint64_t phys)
{
    uint8_t *t = at(phys);
    uint32_t len;
    memcpy(&len, t + 4, 4);
    if (!in_mem(phys, len))
        len = (uint32_t)(MEM_SIZE - (phys - MEM_BASE));
    t[9] = 0;
    t[9] = (uint8_t)-sum(t, len);
}

static uint64_t table(const char *sig, const void *body, size_t body_len,
                      uint8_t rev)
{
    uint32_t len = 36 + (uint32_t)body_len;
    uint64_t phys = alloc(len);
    uint8_t *t = at(phys);
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, "TEACH ", 6);
    memcpy(t + 16, "HOSTTEST", 8);
    put32(t + 24, 1);
    memcpy(t + 28, "HTST", 4);
    put32(t + 32, 1);
    memcpy(t + 36, body, body_len);
    fix_table(phys);
    return phys;
}

/* ---- MADT entries ------------------------------------------------------ */

struct ents {
    uint8_t b[8192];
    size_t n;
};

static uint8_t *ent(struct ents *e, uint8_t type, uint8_t len)
{
    uint8_t *p = e->b + e->n;
    memset(p, 0, len);
    p[0] = type;
    p[1] = len;
    e->n += len;
    return p;
}

static void e_lapic(struct ents *e, uint8_t uid, uint8_t id, uint32_t flags)
{
    uint8_t *p = ent(e, 0, 8);
    p[2] = uid;
    p[3] = id;
    put32(p + 4, flags);
}

static void e_x2apic(struct ents *e, uint32_t id, uint32_t uid, uint32_t flags)
{
    uint8_t *p = ent(e, 9, 16);
    put32(p + 4, id);
    put32(p + 8, flags);
    put32(p + 12, uid);
}

static void e_ioapic(struct ents *e, uint8_t id, uint32_t addr, uint32_t gsi)
{
    uint8_t *p = ent(e, 1, 12);
    p[2] = id;
    put32(p + 4, addr);
    put32(p + 8, gsi);
}

static void e_override(struct ents *e, uint8_t src, uint32_t gsi, uint16_t fl)
{
    uint8_t *p = ent(e, 2, 10);
    p[3] = src;
    put32(p + 4, gsi);
    put16(p + 8, fl);
}

static void e_nmi(struct ents *e, uint8_t uid, uint16_t flags, uint8_t lint)
{
    uint8_t *p = ent(e, 4, 6);
    p[2] = uid;
    put16(p + 3, flags);
    p[5] = lint;
}

static void e_x2nmi(struct ents *e, uint32_t uid, uint16_t flags, uint8_t lint)
{
    uint8_t *p = ent(e, 0xA, 12);
    put16(p + 2, flags);
    put32(p + 4, uid);
    p[8] = lint;
}

static void e_lapic_addr(struct ents *e, uint64_t addr)
{
    put64(ent(e, 5, 12) + 4, addr);
}

/* The machine of the "good" tests: 2 enabled CPUs, one disabled, one
 * online-capable, a placeholder, one x2APIC CPU, one IOAPIC, two
 * overrides and two NMI entries. */
static void default_entries(struct ents *e)
{
    e->n = 0;
    e_lapic(e, 0, 0, 1);
    e_lapic(e, 1, 1, 1);
    e_lapic(e, 2, 2, 0);
    e_lapic(e, 3, 3, 2);
    e_lapic(e, 4, 0xFF, 0); /* placeholder: not a CPU */
    e_x2apic(e, 300, 5, 1);
    e_ioapic(e, 2, 0xFEC00000u, 0);
    e_override(e, 0, 2, 0);
    e_override(e, 9, 9, 0xD);
    e_nmi(e, 0xFF, 5, 1);
    e_x2nmi(e, 5, 0, 1);
    ent(e, 3, 8); /* NMI source: parsed past, not recorded */
}

/* Name(_S5_, Package(4){0x05, 0x06, Zero, Zero}) after some decoys. */
static const uint8_t default_aml[] = {
    0x10, 0x05, '_', 'S', 'B', '_',                   /* Scope(_SB) */
    0x0D, 'x', '_', 'S', '5', '_', 0x00,              /* "x_S5_" string */
    0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0x0A, 0x02, 0x0A, 0x03,
    0x00,
    0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x06,
    0x00, 0x00,
    0xA3,                                             /* Noop */
};

/* ---- firmware builder -------------------------------------------------- */

enum { OMIT_FADT = 1, OMIT_HPET = 2, OMIT_MADT = 4 };

static void fix_rsdp(void)
{
    fw.rsdp[8] = 0;
    fw.rsdp[8] = (uint8_t)-sum(fw.rsdp, 20);
    fw.rsdp[32] = 0;
    fw.rsdp[32] = (uint8_t)-sum(fw.rsdp, 36);
    memcpy(at(fw.rsdp_phys), fw.rsdp, 36);
}

static uint64_t build_madt(const struct ents *e)
{
    uint8_t body[8 + sizeof e->b];
    put32(body, 0xFEE00000u);
    put32(body + 4, 1); /* PCAT_COMPAT */
    memcpy(body + 8, e->b, e->n);
    return table("APIC", body, 8 + e->n, 5);
}

static uint64_t build_fadt(uint64_t dsdt)
{
    uint8_t body[276 - 36] = {0};
    uint8_t *f = body - 36; /* so offsets below match Table 5.9 */
    put32(f + 40, (uint32_t)dsdt);
    put32(f + 64, 0x604);
    f[172] = 1; /* X_PM1a_CNT_BLK: System I/O */
    f[173] = 16;
    put64(f + 176, 0x604);
    put64(f + 140, dsdt);
    return table("FACP", body, sizeof body, 6);
}

static uint64_t build_hpet(void)
{
    uint8_t body[56 - 36] = {0};
    put32(body, 0x8086A201u);
    body[4] = 0; /* System Memory */
    body[5] = 64;
    put64(body + 8, 0xFED00000u);
    return table("HPET", body, sizeof body, 1);
}

static void build_roots(const uint64_t *tabs, int n)
{
    uint8_t x[8 * 8], r[4 * 8];
    for (int i = 0; i < n; i++) {
        put64(x + 8 * i, tabs[i]);
        put32(r + 4 * i, (uint32_t)tabs[i]);
    }
    fw.xsdt = table("XSDT", x, 8 * (size_t)n, 1);
    fw.rsdt = table("RSDT", r, 4 * (size_t)n, 1);
    fw.rsdp_phys = alloc(36);
    memset(fw.rsdp, 0, sizeof fw.rsdp);
    memcpy(fw.rsdp, "RSD PTR ", 8);
    memcpy(fw.rsdp + 9, "TEACH ", 6);
    fw.rsdp[15] = 2;
    put32(fw.rsdp + 16, (uint32_t)fw.rsdt);
    put32(fw.rsdp + 20, 36);
    put64(fw.rsdp + 24, fw.xsdt);
    fw.rsdp_len = 36;
    fix_rsdp();
}

static void build(const struct ents *e, const uint8_t *aml, size_t aml_n,
                  unsigned omit)
{
    struct ents def;
    uint64_t tabs[8];
    int n = 0;
    unmap_all();
    memset(&fw, 0, sizeof fw);
    fw.used = 5;
    if (!e) {
        default_entries(&def);
        e = &def;
    }
    if (!aml) {
        aml = default_aml;
        aml_n = sizeof default_aml;
    }
    fw.dsdt = table("DSDT", aml, aml_n, 2);
    if (!(omit & OMIT_FADT))
        tabs[n++] = fw.fadt = build_fadt(fw.dsdt);
    if (!(omit & OMIT_MADT))
        tabs[n++] = fw.madt = build_madt(e);
    if (!(omit & OMIT_HPET))
        tabs[n++] = fw.hpet = build_hpet();
    build_roots(tabs, n);
}

/* Run the parser on an exact-size heap copy of the RSDP bytes. */
static int run(void)
{
    uint8_t *r = malloc(fw.rsdp_len ? fw.rsdp_len : 1);
    int rc;
    memcpy(r, fw.rsdp, fw.rsdp_len);
    memset(&info, 0xA5, sizeof info); /* the parser must reset everything */
    rc = acpi_parse(fw.rsdp_phys, r, fw.rsdp_len, map_cb, &fw, &info, fw.err,
                    sizeof fw.err);
    free(r);
    unmap_all();
    return rc;
}

static bool contains(const char *s, const char *part)
{
    return strstr(s, part) != NULL;
}

/* ---- good tables ------------------------------------------------------- */

HTEST(checksum_helper)
{
    uint8_t a[4] = {0x10, 0x20, 0x30, 0xA0};
    HT_ASSERT(acpi_checksum_ok(a, 4));
    a[3] = 0xA1;
    HT_ASSERT(!acpi_checksum_ok(a, 4));
    HT_ASSERT(acpi_checksum_ok(a, 0));
    HT_ASSERT(acpi_checksum_ok(NULL, 0));
    HT_ASSERT(!acpi_checksum_ok(NULL, 1));
}

/* Everything the default tables describe, shared by several tests. */
static void check_default(int *ht_failed_)
{
    HT_ASSERT_EQ(info.lapic_addr, 0xFEE00000u);
    HT_ASSERT(info.pcat_compat);
    HT_ASSERT_EQ(info.cpu_count, 5);
    HT_ASSERT_EQ(info.cpus[0].apic_id, 0);
    HT_ASSERT(info.cpus[0].enabled && !info.cpus[0].x2apic);
    HT_ASSERT_EQ(info.cpus[1].apic_id, 1);
    HT_ASSERT_EQ(info.cpus[1].uid, 1);
    HT_ASSERT(!info.cpus[2].enabled && !info.cpus[2].online_capable);
    HT_ASSERT(!info.cpus[3].enabled && info.cpus[3].online_capable);
    HT_ASSERT_EQ(info.cpus[4].apic_id, 300);
    HT_ASSERT_EQ(info.cpus[4].uid, 5);
    HT_ASSERT(info.cpus[4].enabled && info.cpus[4].x2apic);
    HT_ASSERT_EQ(info.ioapic_count, 1);
    HT_ASSERT_EQ(info.ioapics[0].id, 2);
    HT_ASSERT_EQ(info.ioapics[0].addr, 0xFEC00000u);
    HT_ASSERT_EQ(info.ioapics[0].gsi_base, 0);
    HT_ASSERT_EQ(info.override_count, 2);
    HT_ASSERT_EQ(info.overrides[0].source, 0);
    HT_ASSERT_EQ(info.overrides[0].gsi, 2);
    HT_ASSERT_EQ(info.overrides[1].source, 9);
    HT_ASSERT_EQ(info.overrides[1].flags & ACPI_INTI_TRIGGER_MASK,
                 ACPI_INTI_TRIGGER_LEVEL);
    HT_ASSERT_EQ(info.overrides[1].flags & ACPI_INTI_POLARITY_MASK,
                 ACPI_INTI_POLARITY_HIGH);
    HT_ASSERT_EQ(info.nmi_count, 2);
    HT_ASSERT_EQ(info.nmis[0].uid, ACPI_NMI_ALL_CPUS);
    HT_ASSERT_EQ(info.nmis[0].lint, 1);
    HT_ASSERT_EQ(info.nmis[0].flags, 5);
    HT_ASSERT_EQ(info.nmis[1].uid, 5);
    HT_ASSERT(info.has_hpet);
    HT_ASSERT_EQ(info.hpet_addr, 0xFED00000u);
    HT_ASSERT(info.has_fadt);
    HT_ASSERT_EQ(info.pm1a_cnt_port, 0x604);
    HT_ASSERT_EQ(info.pm1b_cnt_port, 0);
    HT_ASSERT(info.has_s5);
    HT_ASSERT_EQ(info.slp_typa_s5, 5);
    HT_ASSERT_EQ(info.slp_typb_s5, 6);
}

HTEST(good_tables_via_xsdt)
{
    build(NULL, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_STREQ(fw.err, "");
    HT_ASSERT_EQ(info.warnings, 0);
    HT_ASSERT_STREQ(info.last_warning, "");
    HT_ASSERT_EQ(info.revision, 2);
    HT_ASSERT_STREQ(info.oem, "TEACH ");
    HT_ASSERT(info.used_xsdt);
    check_default(ht_failed_);
}

HTEST(good_tables_via_rsdt_acpi1)
{
    build(NULL, NULL, 0, 0);
    fw.rsdp[15] = 0; /* ACPI 1.0: 20-byte RSDP, no XSDT */
    fw.rsdp_len = 20;
    fix_rsdp();
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.warnings, 0);
    HT_ASSERT_EQ(info.revision, 0);
    HT_ASSERT(!info.used_xsdt);
    check_default(ht_failed_);
}

HTEST(rev2_with_zero_xsdt_uses_rsdt)
{
    build(NULL, NULL, 0, 0);
    put64(fw.rsdp + 24, 0);
    fix_rsdp();
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.used_xsdt);
    HT_ASSERT_EQ(info.warnings, 0);
    check_default(ht_failed_);
}

HTEST(rsdp_mapped_from_phys)
{
    build(NULL, NULL, 0, 0);
    HT_ASSERT_EQ(acpi_parse(fw.rsdp_phys, NULL, 0, map_cb, &fw, &info, fw.err,
                            sizeof fw.err), ACPI_OK);
    unmap_all();
    HT_ASSERT(info.used_xsdt);
    check_default(ht_failed_);
    HT_ASSERT_EQ(acpi_parse(MEM_BASE + MEM_SIZE, NULL, 0, map_cb, &fw, &info,
                            fw.err, sizeof fw.err), ACPI_ERR_RSDP);
    unmap_all();
    HT_ASSERT(contains(fw.err, "cannot be mapped"));
}

HTEST(no_fadt_no_hpet_is_fine)
{
    build(NULL, NULL, 0, OMIT_FADT | OMIT_HPET);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.warnings, 0);
    HT_ASSERT(!info.has_fadt && !info.has_hpet && !info.has_s5);
    HT_ASSERT_EQ(info.cpu_count, 5);
}

HTEST(lapic_address_override)
{
    struct ents e;
    default_entries(&e);
    e_lapic_addr(&e, 0x123456789000ull);
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.lapic_addr, 0x123456789000ull);
    HT_ASSERT_EQ(info.cpu_count, 5);
}

HTEST(pcat_compat_clear)
{
    build(NULL, NULL, 0, 0);
    put32(at(fw.madt) + 40, 0);
    fix_table(fw.madt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.pcat_compat);
}

HTEST(unknown_entry_types_are_skipped)
{
    struct ents e = {.n = 0};
    ent(&e, 0x7F, 5);
    ent(&e, 0x0B, 2); /* GIC CPU interface: not x86, ignored */
    e_lapic(&e, 0, 7, 1);
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.warnings, 0);
    HT_ASSERT_EQ(info.cpu_count, 1);
    HT_ASSERT_EQ(info.cpus[0].apic_id, 7);
}

HTEST(duplicate_apic_id_prefers_enabled)
{
    struct ents e = {.n = 0};
    e_lapic(&e, 0, 0, 1);
    e_lapic(&e, 1, 4, 0);       /* disabled first ... */
    e_x2apic(&e, 4, 9, 1);      /* ... then enabled: replaces it */
    e_x2apic(&e, 0, 8, 0);      /* disabled duplicate: ignored */
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.cpu_count, 2);
    HT_ASSERT_EQ(info.warnings, 2);
    HT_ASSERT(contains(info.last_warning, "duplicate APIC ID 0"));
    HT_ASSERT(info.cpus[0].enabled && !info.cpus[0].x2apic);
    HT_ASSERT_EQ(info.cpus[1].apic_id, 4);
    HT_ASSERT_EQ(info.cpus[1].uid, 9);
    HT_ASSERT(info.cpus[1].enabled && info.cpus[1].x2apic);
}

HTEST(x2apic_placeholder_ignored)
{
    struct ents e = {.n = 0};
    e_lapic(&e, 0, 0, 1);
    e_x2apic(&e, 0xFFFFFFFFu, 1, 0);
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.cpu_count, 1);
    HT_ASSERT_EQ(info.warnings, 0);
}

HTEST(online_capable_reserved_when_enabled)
{
    struct ents e = {.n = 0};
    e_lapic(&e, 0, 0, 3); /* bit 1 is reserved when bit 0 is set */
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.cpus[0].enabled);
    HT_ASSERT(!info.cpus[0].online_capable);
}

/* ---- RSDP and root table errors --------------------------------------- */

HTEST(rsdp_bad_signature)
{
    build(NULL, NULL, 0, 0);
    fw.rsdp[0] = 'X';
    fix_rsdp();
    HT_ASSERT_EQ(run(), ACPI_ERR_RSDP);
    HT_ASSERT_STREQ(fw.err, "RSDP signature mismatch");
}

HTEST(rsdp_bad_checksum)
{
    char want[64];
    build(NULL, NULL, 0, 0);
    fw.rsdp[8] += 0x3c;
    snprintf(want, sizeof want, "RSDP checksum mismatch (sum 0x3c)");
    HT_ASSERT_EQ(run(), ACPI_ERR_RSDP);
    HT_ASSERT_STREQ(fw.err, want);
}

HTEST(rsdp_too_short)
{
    build(NULL, NULL, 0, 0);
    for (size_t len = 0; len < 20; len++) {
        fw.rsdp_len = len;
        HT_ASSERT_EQ(run(), ACPI_ERR_RSDP);
    }
    fw.rsdp_len = 19;
    run();
    HT_ASSERT_STREQ(fw.err, "RSDP too short (19 bytes)");
}

HTEST(rsdp_rev2_but_20_bytes_uses_rsdt)
{
    build(NULL, NULL, 0, 0);
    fw.rsdp_len = 20; /* e.g. the multiboot2 "old RSDP" tag */
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.used_xsdt);
    HT_ASSERT_EQ(info.warnings, 1);
    HT_ASSERT(contains(info.last_warning, "using RSDT"));
}

HTEST(rsdp_bad_extended_checksum_uses_rsdt)
{
    build(NULL, NULL, 0, 0);
    fw.rsdp[32] ^= 1;
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.used_xsdt);
    HT_ASSERT_EQ(info.warnings, 1);
    HT_ASSERT(contains(info.last_warning, "extended checksum"));
    check_default(ht_failed_);
}

HTEST(rsdp_bad_length_field_uses_rsdt)
{
    build(NULL, NULL, 0, 0);
    put32(fw.rsdp + 20, 1000); /* longer than the bytes we have */
    fix_rsdp();
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.used_xsdt);
    HT_ASSERT(contains(info.last_warning, "RSDP length 1000 invalid"));
}

HTEST(xsdt_bad_checksum_falls_back_to_rsdt)
{
    build(NULL, NULL, 0, 0);
    at(fw.xsdt)[9] += 1;
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.used_xsdt);
    HT_ASSERT_EQ(info.warnings, 1);
    HT_ASSERT_STREQ(info.last_warning, "XSDT checksum mismatch (sum 0x1)");
    check_default(ht_failed_);
}

HTEST(xsdt_bad_and_no_rsdt_is_fatal)
{
    build(NULL, NULL, 0, 0);
    at(fw.xsdt)[9] += 1;
    put32(fw.rsdp + 16, 0);
    fix_rsdp();
    HT_ASSERT_EQ(run(), ACPI_ERR_ROOT);
    HT_ASSERT_STREQ(fw.err, "XSDT checksum mismatch (sum 0x1)");
}

HTEST(xsdt_unmappable_falls_back)
{
    build(NULL, NULL, 0, 0);
    put64(fw.rsdp + 24, 0xFFFFFFFFFFFFF000ull);
    fix_rsdp();
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.used_xsdt);
    HT_ASSERT(contains(info.last_warning, "cannot be mapped"));
}

HTEST(xsdt_wrong_signature_falls_back)
{
    build(NULL, NULL, 0, 0);
    put64(fw.rsdp + 24, fw.madt); /* points at the MADT instead */
    fix_rsdp();
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.used_xsdt);
    HT_ASSERT(contains(info.last_warning, "wrong signature"));
}

HTEST(both_roots_bad_is_fatal)
{
    build(NULL, NULL, 0, 0);
    at(fw.xsdt)[9] += 1;
    at(fw.rsdt)[9] += 2;
    HT_ASSERT_EQ(run(), ACPI_ERR_ROOT);
    HT_ASSERT_STREQ(fw.err, "RSDT checksum mismatch (sum 0x2)");
    HT_ASSERT_EQ(info.warnings, 1); /* the XSDT problem */
}

HTEST(no_root_address_is_fatal)
{
    build(NULL, NULL, 0, 0);
    put32(fw.rsdp + 16, 0);
    put64(fw.rsdp + 24, 0);
    fix_rsdp();
    HT_ASSERT_EQ(run(), ACPI_ERR_ROOT);
    HT_ASSERT_STREQ(fw.err, "RSDP has no RSDT or XSDT address");
}

HTEST(root_length_bounds)
{
    uint32_t bad[] = {0, 1, 35, ACPI_MAX_TABLE_LEN + 1, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        build(NULL, NULL, 0, 0);
        put32(fw.rsdp + 24, 0); /* XSDT off: RSDT only, so it is fatal */
        put32(fw.rsdp + 28, 0);
        fix_rsdp();
        put32(at(fw.rsdt) + 4, bad[i]);
        HT_ASSERT_EQ(run(), ACPI_ERR_ROOT);
        HT_ASSERT(contains(fw.err, "RSDT length"));
        HT_ASSERT(contains(fw.err, "out of range"));
    }
}

HTEST(root_length_not_multiple_of_entry)
{
    build(NULL, NULL, 0, 0);
    put32(at(fw.xsdt) + 4, 36 + 8 * 3 - 3); /* last entry cut short */
    fix_table(fw.xsdt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.used_xsdt);
    HT_ASSERT_EQ(info.warnings, 1);
    HT_ASSERT(contains(info.last_warning, "not 36 + a multiple of 8"));
    HT_ASSERT(info.has_fadt);
    HT_ASSERT(!info.has_hpet); /* it was the cut entry */
}

HTEST(root_null_and_unmappable_entries)
{
    uint64_t tabs[4];
    build(NULL, NULL, 0, 0);
    tabs[0] = 0;
    tabs[1] = 0x1000; /* outside fake memory */
    tabs[2] = fw.madt;
    tabs[3] = fw.fadt;
    build_roots(tabs, 4);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.warnings, 2);
    HT_ASSERT(contains(info.last_warning, "XSDT entry 1 (0x1000) cannot be"));
    HT_ASSERT(info.has_fadt && !info.has_hpet);
}

/* ---- MADT errors ------------------------------------------------------- */

HTEST(missing_madt)
{
    build(NULL, NULL, 0, OMIT_MADT);
    HT_ASSERT_EQ(run(), ACPI_ERR_MADT);
    HT_ASSERT_STREQ(fw.err, "no MADT (APIC) table found");
}

HTEST(madt_bad_checksum)
{
    build(NULL, NULL, 0, 0);
    at(fw.madt)[50] += 0x3c;
    HT_ASSERT_EQ(run(), ACPI_ERR_MADT);
    HT_ASSERT_STREQ(fw.err, "MADT checksum mismatch (sum 0x3c)");
}

HTEST(madt_too_short_for_fixed_fields)
{
    for (uint32_t len = 0; len < 44; len++) {
        build(NULL, NULL, 0, 0);
        put32(at(fw.madt) + 4, len);
        fix_table(fw.madt);
        HT_ASSERT_EQ(run(), ACPI_ERR_MADT);
        HT_ASSERT(contains(fw.err, "MADT length"));
    }
    HT_ASSERT_STREQ(fw.err, "MADT length 43 out of range (min 44)");
}

HTEST(madt_length_past_mapping)
{
    build(NULL, NULL, 0, 0);
    put32(at(fw.madt) + 4, 0x100000); /* 1 MiB: beyond the fake memory */
    HT_ASSERT_EQ(run(), ACPI_ERR_MADT);
    HT_ASSERT(contains(fw.err, "cannot be mapped"));
    HT_ASSERT(contains(fw.err, "length 1048576"));
}

HTEST(madt_length_absurd)
{
    build(NULL, NULL, 0, 0);
    put32(at(fw.madt) + 4, 0xFFFFFFF0u);
    HT_ASSERT_EQ(run(), ACPI_ERR_MADT);
    HT_ASSERT(contains(fw.err, "out of range"));
}

HTEST(madt_header_unmappable)
{
    uint64_t tabs[1];
    build(NULL, NULL, 0, 0);
    /* the MADT straddles the end of memory: header readable, body not */
    tabs[0] = MEM_BASE + MEM_SIZE - 40;
    memcpy(at(tabs[0]), at(fw.madt), 40);
    build_roots(tabs, 1);
    HT_ASSERT_EQ(run(), ACPI_ERR_MADT);
    HT_ASSERT(contains(fw.err, "MADT at 0x"));
    HT_ASSERT(contains(fw.err, "cannot be mapped"));
}

HTEST(madt_only_fixed_fields)
{
    struct ents e = {.n = 0};
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.cpu_count, 0);
    HT_ASSERT_EQ(info.warnings, 0);
}

HTEST(madt_entry_past_end)
{
    struct ents e;
    default_entries(&e);
    e_lapic(&e, 9, 9, 1);
    e.b[e.n - 7] = 20; /* last entry claims 20 bytes, 8 remain */
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.warnings, 1);
    HT_ASSERT(contains(info.last_warning, "runs past the table end"));
    check_default(ht_failed_);
}

HTEST(madt_zero_length_entry_stops_walk)
{
    struct ents e = {.n = 0};
    e_lapic(&e, 0, 0, 1);
    ent(&e, 0, 8)[1] = 0; /* zero length */
    e_lapic(&e, 1, 1, 1);
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.cpu_count, 1);
    HT_ASSERT_EQ(info.warnings, 1);
    HT_ASSERT_STREQ(info.last_warning,
                    "MADT entry type 0 at offset 52 has length 0; walk "
                    "stopped");
}

HTEST(madt_length_one_entry_stops_walk)
{
    struct ents e = {.n = 0};
    ent(&e, 1, 12)[1] = 1;
    e_lapic(&e, 1, 1, 1);
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.cpu_count, 0);
    HT_ASSERT_EQ(info.ioapic_count, 0);
    HT_ASSERT(contains(info.last_warning, "has length 1"));
}

HTEST(madt_trailing_byte)
{
    struct ents e = {.n = 0};
    e_lapic(&e, 0, 0, 1);
    e.b[e.n++] = 0; /* one stray byte: not even a type+length pair */
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.cpu_count, 1);
    HT_ASSERT(contains(info.last_warning, "truncated entry at offset 52"));
}

HTEST(madt_short_entries_are_skipped)
{
    struct ents e = {.n = 0};
    static const uint8_t types[] = {0, 1, 2, 4, 5, 9, 0xA};
    for (size_t i = 0; i < sizeof types; i++)
        ent(&e, types[i], 5); /* shorter than any of these types */
    e_lapic(&e, 3, 3, 1);
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.warnings, (int)sizeof types);
    HT_ASSERT(contains(info.last_warning, "too short (5 bytes)"));
    HT_ASSERT_EQ(info.cpu_count, 1);
    HT_ASSERT_EQ(info.cpus[0].apic_id, 3);
    HT_ASSERT_EQ(info.lapic_addr, 0xFEE00000u); /* short type 5 ignored */
    HT_ASSERT_EQ(info.ioapic_count + info.override_count + info.nmi_count, 0);
}

HTEST(madt_longer_entries_accepted)
{
    struct ents e = {.n = 0};
    uint8_t *p = ent(&e, 0, 16); /* a future revision may add fields */
    p[3] = 6;
    p[4] = 1;
    e_lapic(&e, 1, 7, 1);
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.warnings, 0);
    HT_ASSERT_EQ(info.cpu_count, 2);
    HT_ASSERT_EQ(info.cpus[0].apic_id, 6);
    HT_ASSERT_EQ(info.cpus[1].apic_id, 7);
}

HTEST(too_many_cpus_truncated)
{
    struct ents e = {.n = 0};
    for (uint32_t i = 0; i < 300; i++)
        e_x2apic(&e, i, i, 1);
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.cpu_count, ACPI_MAX_CPUS);
    HT_ASSERT_EQ(info.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
    HT_ASSERT_EQ(info.warnings, 1);
    HT_ASSERT_STREQ(info.last_warning,
                    "more than 256 CPUs in the MADT; extra entries ignored");
}

HTEST(too_many_ioapics_overrides_nmis)
{
    struct ents e = {.n = 0};
    for (int i = 0; i < ACPI_MAX_IOAPICS + 2; i++)
        e_ioapic(&e, (uint8_t)i, 0xFEC00000u + 0x1000u * i, 24u * i);
    for (int i = 0; i < ACPI_MAX_OVERRIDES + 1; i++)
        e_override(&e, (uint8_t)i, (uint32_t)i, 0);
    for (int i = 0; i < ACPI_MAX_NMIS + 3; i++)
        e_nmi(&e, (uint8_t)i, 0, 1);
    build(&e, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.ioapic_count, ACPI_MAX_IOAPICS);
    HT_ASSERT_EQ(info.ioapics[7].gsi_base, 24 * 7);
    HT_ASSERT_EQ(info.override_count, ACPI_MAX_OVERRIDES);
    HT_ASSERT_EQ(info.nmi_count, ACPI_MAX_NMIS);
    HT_ASSERT_EQ(info.warnings, 3);
}

/* ---- FADT, DSDT and \_S5_ --------------------------------------------- */

HTEST(fadt_bad_checksum_is_a_warning)
{
    build(NULL, NULL, 0, 0);
    at(fw.fadt)[100] ^= 0x10;
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.has_fadt && !info.has_s5);
    HT_ASSERT_EQ(info.warnings, 1);
    HT_ASSERT(contains(info.last_warning, "FADT checksum mismatch"));
    HT_ASSERT(info.has_hpet);
}

/* IAPC_BOOT_ARCH's "8042" bit (offset 109) counts from FADT revision 2. */
HTEST(fadt_8042_flag)
{
    build(NULL, NULL, 0, 0); /* revision 6, flags 0: no 8042 */
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.has_fadt && info.no_8042);
    build(NULL, NULL, 0, 0);
    at(fw.fadt)[109] = 0x03; /* LEGACY_DEVICES | 8042 */
    fix_table(fw.fadt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.has_fadt && !info.no_8042);
    build(NULL, NULL, 0, 0);
    at(fw.fadt)[8] = 1; /* ACPI 1.0: byte 109 is reserved */
    fix_table(fw.fadt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.has_fadt && !info.no_8042);
    build(NULL, NULL, 0, OMIT_FADT);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.no_8042);
}

HTEST(fadt_too_short)
{
    build(NULL, NULL, 0, 0);
    put32(at(fw.fadt) + 4, 100);
    fix_table(fw.fadt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.has_fadt);
    HT_ASSERT_STREQ(info.last_warning,
                    "FADT length 100 out of range (min 116)");
}

HTEST(fadt_acpi1_legacy_fields)
{
    uint8_t *f;
    build(NULL, NULL, 0, 0);
    f = at(fw.fadt);
    put32(f + 4, 116); /* ACPI 1.0 size: no X_ fields */
    put32(f + 64, 0xB004);
    put32(f + 68, 0xB008);
    fix_table(fw.fadt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.has_fadt);
    HT_ASSERT_EQ(info.pm1a_cnt_port, 0xB004);
    HT_ASSERT_EQ(info.pm1b_cnt_port, 0xB008);
    HT_ASSERT(info.has_s5); /* via the 32-bit DSDT field */
    HT_ASSERT_EQ(info.warnings, 0);
}

HTEST(fadt_cut_inside_x_block)
{
    uint8_t *f;
    build(NULL, NULL, 0, 0);
    f = at(fw.fadt);
    put32(f + 4, 178); /* X_PM1a_CNT_BLK (172..183) only partly present */
    put32(f + 64, 0xB004);
    fix_table(fw.fadt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.pm1a_cnt_port, 0xB004);
    HT_ASSERT(info.has_s5); /* X_DSDT (140..147) is inside */
}

HTEST(fadt_x_fields_win)
{
    uint8_t *f;
    build(NULL, NULL, 0, 0);
    f = at(fw.fadt);
    put32(f + 64, 0x1111);   /* legacy, overridden by X_PM1a_CNT_BLK */
    put32(f + 40, 0x1000);   /* bogus legacy DSDT, overridden by X_DSDT */
    f[184] = 1;              /* X_PM1b_CNT_BLK in I/O space */
    put64(f + 188, 0x2222);
    fix_table(fw.fadt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.pm1a_cnt_port, 0x604);
    HT_ASSERT_EQ(info.pm1b_cnt_port, 0x2222);
    HT_ASSERT(info.has_s5);
    HT_ASSERT_EQ(info.warnings, 0);
}

HTEST(fadt_x_field_in_memory_space_ignored)
{
    uint8_t *f;
    build(NULL, NULL, 0, 0);
    f = at(fw.fadt);
    f[172] = 0; /* System Memory: not an I/O port, keep the legacy field */
    put64(f + 176, 0xFE000000u);
    put32(f + 64, 0x404);
    fix_table(fw.fadt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.pm1a_cnt_port, 0x404);
}

HTEST(fadt_port_out_of_range)
{
    uint8_t *f;
    build(NULL, NULL, 0, 0);
    f = at(fw.fadt);
    put64(f + 176, 0x12345);
    fix_table(fw.fadt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.pm1a_cnt_port, 0);
    HT_ASSERT(contains(info.last_warning, "not an I/O port"));
}

HTEST(dsdt_bad_checksum)
{
    build(NULL, NULL, 0, 0);
    at(fw.dsdt)[40] ^= 0xFF;
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.has_fadt && !info.has_s5);
    HT_ASSERT(contains(info.last_warning, "DSDT checksum mismatch"));
}

HTEST(dsdt_missing_or_unmappable)
{
    uint8_t *f;
    build(NULL, NULL, 0, 0);
    f = at(fw.fadt);
    put32(f + 40, 0);
    put64(f + 140, 0);
    fix_table(fw.fadt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.has_fadt && !info.has_s5);
    HT_ASSERT_STREQ(info.last_warning, "FADT has no DSDT address");
    put64(f + 140, 0xDEAD0000ull);
    fix_table(fw.fadt);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.has_s5);
    HT_ASSERT(contains(info.last_warning, "DSDT header at 0xdead0000"));
}

/* SeaBIOS's own tables (what Bochs gets): no \_S5_ in the DSDT, one in an
 * SSDT (ACPI 6.x 5.2.11.2: SSDTs extend the DSDT's namespace). */
static const uint8_t aml_without_s5[] = {
    0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0x0A, 0x02, 0x0A, 0x03,
};
static const uint8_t ssdt_with_s5[] = {
    0x08, '\\', '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0A, 0x07, 0x00,
    0x00, 0x00,
};

/* The default MADT and FADT over DSDT aml, then `copies` SSDTs holding
 * ssdt_with_s5; returns the first SSDT's address. */
static uint64_t build_with_ssdts(const uint8_t *aml, size_t aml_n, int copies)
{
    struct ents def;
    uint64_t tabs[8], first = 0;
    int n = 0;
    unmap_all();
    memset(&fw, 0, sizeof fw);
    fw.used = 5;
    default_entries(&def);
    fw.dsdt = table("DSDT", aml, aml_n, 2);
    tabs[n++] = fw.fadt = build_fadt(fw.dsdt);
    tabs[n++] = fw.madt = build_madt(&def);
    for (int i = 0; i < copies; i++) {
        tabs[n] = table("SSDT", ssdt_with_s5, sizeof ssdt_with_s5, 2);
        if (!first)
            first = tabs[n];
        n++;
    }
    build_roots(tabs, n);
    return first;
}

HTEST(s5_from_an_ssdt_when_the_dsdt_has_none)
{
    build_with_ssdts(aml_without_s5, sizeof aml_without_s5, 1);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT_EQ(info.warnings, 0);
    HT_ASSERT(info.has_fadt && info.has_s5);
    HT_ASSERT_EQ(info.slp_typa_s5, 7);
    HT_ASSERT_EQ(info.slp_typb_s5, 0);
    /* No SSDT at all: no \_S5_, and no warning either. */
    build_with_ssdts(aml_without_s5, sizeof aml_without_s5, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.has_fadt && !info.has_s5);
    HT_ASSERT_EQ(info.warnings, 0);
}

HTEST(s5_in_the_dsdt_wins_over_an_ssdt)
{
    build_with_ssdts(default_aml, sizeof default_aml, 1);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.has_s5);
    HT_ASSERT_EQ(info.slp_typa_s5, 5);
    HT_ASSERT_EQ(info.slp_typb_s5, 6);
}

HTEST(bad_ssdt_is_a_warning_and_the_next_one_counts)
{
    uint64_t first = build_with_ssdts(aml_without_s5, sizeof aml_without_s5, 2);
    at(first)[40] ^= 0xFF;
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(contains(info.last_warning, "SSDT checksum mismatch"));
    HT_ASSERT(info.has_s5);
    HT_ASSERT_EQ(info.slp_typa_s5, 7);
    first = build_with_ssdts(aml_without_s5, sizeof aml_without_s5, 1);
    at(first)[40] ^= 0xFF;
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.has_s5);
    HT_ASSERT(contains(info.last_warning, "SSDT checksum mismatch"));
}

struct s5_case {
    const char *what;
    uint8_t aml[24];
    size_t n;
    bool found;
    uint16_t a, b;
};

static const struct s5_case s5_cases[] = {
    {"zero/one constants",
     {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x01, 0x00, 0x00, 0x00},
     12, true, 1, 0},
    {"root prefix",
     {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0A, 0x07, 0x01},
     12, true, 7, 1},
    {"word prefix",
     {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0B, 0x34, 0x12, 0x00},
     12, true, 0x1234, 0},
    {"two-byte PkgLength",
     {0x08, '_', 'S', '5', '_', 0x12, 0x47, 0x00, 0x02, 0x0A, 0x03, 0x0A,
      0x04, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3,
      0xA3},
     24, true, 3, 4},
    {"one element only",
     {0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0A, 0x05}, 10, false, 0,
     0},
    {"unknown element opcode",
     {0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0C, 0x05, 0x00}, 11,
     false, 0, 0},
    {"package length past table",
     {0x08, '_', 'S', '5', '_', 0x12, 0x3F, 0x02, 0x0A, 0x05, 0x0A, 0x06},
     12, false, 0, 0},
    {"package length zero",
     {0x08, '_', 'S', '5', '_', 0x12, 0x00, 0x02, 0x0A, 0x05, 0x0A, 0x06},
     12, false, 0, 0},
    {"byte prefix cut by package end",
     {0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x0A, 0x05, 0x0A, 0x06},
     12, false, 0, 0},
    {"not a package",
     {0x08, '_', 'S', '5', '_', 0x0A, 0x05}, 7, false, 0, 0},
    {"name without NameOp",
     {'_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0A, 0x05, 0x0A, 0x06}, 11,
     false, 0, 0},
    {"NameOp at the very end", {0x08}, 1, false, 0, 0},
    {"empty AML", {0}, 0, false, 0, 0},
};

HTEST(s5_scanner_cases)
{
    for (size_t i = 0; i < sizeof s5_cases / sizeof s5_cases[0]; i++) {
        const struct s5_case *c = &s5_cases[i];
        build(NULL, c->aml, c->n, 0);
        HT_ASSERT_EQ(run(), ACPI_OK);
        if (info.has_s5 != c->found || info.slp_typa_s5 != c->a ||
            info.slp_typb_s5 != c->b)
            HT_FAIL_AT("case \"%s\": has_s5 %d a %u b %u", c->what,
                       info.has_s5, info.slp_typa_s5, info.slp_typb_s5);
    }
}

/* Cut the DSDT after every byte of the AML: never a crash or a read past
 * the table (ASan), and \_S5_ found only once the package is complete. */
HTEST(s5_truncation_sweep)
{
    size_t full = sizeof default_aml;
    size_t needed = full - 1; /* the whole package, not the final Noop */
    for (size_t n = 0; n <= full; n++) {
        build(NULL, default_aml, n, 0);
        HT_ASSERT_EQ(run(), ACPI_OK);
        if (info.has_s5 != (n >= needed))
            HT_FAIL_AT("length %zu: has_s5 %d", n, info.has_s5);
    }
}

/* ---- HPET -------------------------------------------------------------- */

HTEST(hpet_in_io_space_ignored)
{
    build(NULL, NULL, 0, 0);
    at(fw.hpet)[40] = 1;
    fix_table(fw.hpet);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.has_hpet);
    HT_ASSERT(contains(info.last_warning, "HPET base is not a memory"));
}

HTEST(hpet_too_short)
{
    build(NULL, NULL, 0, 0);
    put32(at(fw.hpet) + 4, 48);
    fix_table(fw.hpet);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.has_hpet);
    HT_ASSERT_EQ(info.warnings, 1);
}

/* ---- API edges --------------------------------------------------------- */

HTEST(null_arguments)
{
    char err[64];
    build(NULL, NULL, 0, 0);
    HT_ASSERT_EQ(acpi_parse(0, fw.rsdp, 36, NULL, &fw, &info, err, sizeof err),
                 ACPI_ERR_ARG);
    HT_ASSERT_EQ(acpi_parse(0, fw.rsdp, 36, map_cb, &fw, NULL, err, sizeof err),
                 ACPI_ERR_ARG);
    HT_ASSERT_EQ(acpi_parse(0, NULL, 0, map_cb, &fw, &info, err, sizeof err),
                 ACPI_ERR_ARG);
    HT_ASSERT_STREQ(err, "no RSDP given");
    /* err may be NULL */
    fw.rsdp[0] = 'x';
    HT_ASSERT_EQ(acpi_parse(0, fw.rsdp, 36, map_cb, &fw, &info, NULL, 0),
                 ACPI_ERR_RSDP);
    unmap_all();
}

HTEST(small_error_buffer_truncates)
{
    char err[8];
    memset(err, 'z', sizeof err);
    build(NULL, NULL, 0, 0);
    fw.rsdp[0] = 'x';
    HT_ASSERT_EQ(
        acpi_parse(0, fw.rsdp, 36, map_cb, &fw, &info, err, sizeof err),
        ACPI_ERR_RSDP);
    HT_ASSERT_STREQ(err, "RSDP si");
    unmap_all();
}

/* ---- random corruption ------------------------------------------------- */

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Flip random bytes of one table, optionally re-fixing its checksum so the
 * corruption reaches the field parsers. The parser must always return with
 * sane counts; ASan and the map copies catch any stray read. */
HTEST(random_corruption)
{
    for (int iter = 0; iter < 4000; iter++) {
        uint64_t tabs[5];
        uint64_t phys;
        uint32_t len;
        int rc;
        build(NULL, NULL, 0, 0);
        tabs[0] = fw.madt, tabs[1] = fw.xsdt, tabs[2] = fw.fadt;
        tabs[3] = fw.dsdt, tabs[4] = fw.hpet;
        phys = tabs[rnd() % 5];
        memcpy(&len, at(phys) + 4, 4);
        for (int k = 1 + rnd() % 4; k > 0; k--)
            at(phys)[rnd() % len] = (uint8_t)rnd();
        if (rnd() % 4)
            fix_table(phys);
        rc = run();
        HT_ASSERT(!fw.map_overflow);
        HT_ASSERT(rc == ACPI_OK || rc == ACPI_ERR_MADT ||
                  rc == ACPI_ERR_ROOT);
        HT_ASSERT(rc == ACPI_OK || fw.err[0] != '\0');
        HT_ASSERT(info.cpu_count >= 0 && info.cpu_count <= ACPI_MAX_CPUS);
        HT_ASSERT(info.ioapic_count >= 0 &&
                  info.ioapic_count <= ACPI_MAX_IOAPICS);
        HT_ASSERT(info.nmi_count >= 0 && info.nmi_count <= ACPI_MAX_NMIS);
        HT_ASSERT(info.override_count >= 0 &&
                  info.override_count <= ACPI_MAX_OVERRIDES);
        HT_ASSERT(strnlen(info.last_warning, sizeof info.last_warning) <
                  sizeof info.last_warning);
    }
}

/* ---- MCFG (PCI ECAM) ---------------------------------------------------- */

static uint64_t build_mcfg(uint16_t seg, uint64_t base, uint8_t b0, uint8_t b1)
{
    uint8_t body[8 + 16] = {0};
    put64(body + 8, base);
    put16(body + 16, seg);
    body[18] = b0;
    body[19] = b1;
    return table("MCFG", body, sizeof body, 1);
}

static void build_with_mcfg(uint16_t seg, uint64_t base, uint8_t b0, uint8_t b1)
{
    uint64_t tabs[4];
    build(NULL, NULL, 0, 0);
    tabs[0] = fw.fadt, tabs[1] = fw.madt, tabs[2] = fw.hpet;
    tabs[3] = build_mcfg(seg, base, b0, b1);
    build_roots(tabs, 4);
}

HTEST(mcfg_segment0_is_found)
{
    build_with_mcfg(0, 0xB0000000u, 0, 255);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(info.has_mcfg);
    HT_ASSERT_EQ(info.mcfg_base, 0xB0000000u);
    HT_ASSERT_EQ(info.mcfg_bus_start, 0);
    HT_ASSERT_EQ(info.mcfg_bus_end, 255);
}

HTEST(mcfg_absent_or_other_segment_or_bad)
{
    build(NULL, NULL, 0, 0);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.has_mcfg);
    build_with_mcfg(1, 0xB0000000u, 0, 255);
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.has_mcfg);
    build_with_mcfg(0, 0xB0000000u, 9, 3); /* buses backwards */
    HT_ASSERT_EQ(run(), ACPI_OK);
    HT_ASSERT(!info.has_mcfg);
    HT_ASSERT(info.warnings > 0);
}

int main(void)
{
    return htest_main("acpi");
}
