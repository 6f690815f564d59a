/*
 * ACPI table parser; see lib/acpi.h for the API and the error policy.
 * Section numbers are those of the ACPI Specification 6.x.
 */
#include "lib/acpi.h"
#include "lib/string.h"

#define SDT_HEADER_LEN 36 /* 5.2.6, Table 5.4 */
#define RSDP_V1_LEN 20    /* 5.2.5.3: the part covered by Checksum */
#define RSDP_V2_LEN 36
#define MADT_ENTRIES 44   /* 5.2.12, Table 5.43: entries follow Flags */
#define FADT_V1_LEN 116   /* ACPI 1.0 FADT ends after Flags (offset 112) */
#define HPET_MIN_LEN 52   /* IA-PC HPET 1.0a, 3.2.4: up to the base address */

/* Little-endian field readers: byte by byte, so alignment never matters. */
static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
    return rd16(p) | rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

bool acpi_checksum_ok(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    if (!p)
        return len == 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + b[i]);
    return sum == 0;
}

static uint8_t byte_sum(const uint8_t *b, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + b[i]);
    return sum;
}

/* ---- messages ----------------------------------------------------------
 * lib/ has no printf, so a tiny template expander: %s takes the one string
 * argument, %x and %u take the next of up to three numbers (hex with 0x). */

struct sink {
    char *buf;
    size_t cap, len;
};

static void put_char(struct sink *k, char c)
{
    if (k->len + 1 < k->cap) {
        k->buf[k->len++] = c;
        k->buf[k->len] = '\0';
    }
}

static void put_str(struct sink *k, const char *s)
{
    while (s && *s)
        put_char(k, *s++);
}

static void put_num(struct sink *k, uint64_t v, unsigned base)
{
    char digits[20];
    int n = 0;
    if (base == 16)
        put_str(k, "0x");
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n)
        put_char(k, digits[--n]);
}

static void say(char *buf, size_t cap, const char *tmpl, const char *s,
                uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t nums[3] = {a, b, c};
    int next = 0;
    struct sink k = {buf, cap, 0};
    if (!buf || cap == 0)
        return;
    buf[0] = '\0';
    for (; *tmpl; tmpl++) {
        if (tmpl[0] != '%' || !tmpl[1]) {
            put_char(&k, *tmpl);
            continue;
        }
        tmpl++;
        if (*tmpl == 's')
            put_str(&k, s);
        else if (*tmpl == 'x' || *tmpl == 'u')
            put_num(&k, next < 3 ? nums[next++] : 0, *tmpl == 'x' ? 16 : 10);
        else
            put_char(&k, *tmpl);
    }
}

/* ---- parser state ------------------------------------------------------ */

struct parser {
    acpi_map_fn map;
    void *ctx;
    struct acpi_info *out;
    char *err;
    size_t errlen;
    char msg[96]; /* problem found by load_table(), before it is judged */
    bool cpus_full, ioapics_full, overrides_full, nmis_full;
};

static void note(struct parser *p, const char *tmpl, const char *s,
                 uint64_t a, uint64_t b, uint64_t c)
{
    say(p->msg, sizeof p->msg, tmpl, s, a, b, c);
}

/* Count the problem in p->msg as a warning. */
static void warn_note(struct parser *p)
{
    struct acpi_info *o = p->out;
    o->warnings++;
    say(o->last_warning, sizeof o->last_warning, "%s", p->msg, 0, 0, 0);
}

static void warn(struct parser *p, const char *tmpl, const char *s,
                 uint64_t a, uint64_t b, uint64_t c)
{
    note(p, tmpl, s, a, b, c);
    warn_note(p);
}

/* Report the problem in p->msg as fatal. */
static int fail_note(struct parser *p, int code)
{
    say(p->err, p->errlen, "%s", p->msg, 0, 0, 0);
    return code;
}

static int fail(struct parser *p, int code, const char *tmpl, const char *s,
                uint64_t a, uint64_t b, uint64_t c)
{
    note(p, tmpl, s, a, b, c);
    return fail_note(p, code);
}

/*
 * Map the whole system description table at phys (5.2.6): the header first
 * to learn its length, then all of it. Checks signature, length bounds and
 * checksum. Returns 0, or -1 with the reason in p->msg; the caller decides
 * whether that is fatal or a warning.
 */
static int load_table(struct parser *p, uint64_t phys, const char *sig,
                      const char *name, uint32_t min_len,
                      const uint8_t **tbl, uint32_t *len)
{
    const uint8_t *hdr = p->map(phys, SDT_HEADER_LEN, p->ctx);
    if (!hdr) {
        note(p, "%s header at %x cannot be mapped", name, phys, 0, 0);
        return -1;
    }
    if (memcmp(hdr, sig, 4) != 0) {
        note(p, "%s at %x has a wrong signature", name, phys, 0, 0);
        return -1;
    }
    *len = rd32(hdr + 4);
    if (*len < min_len || *len > ACPI_MAX_TABLE_LEN) {
        note(p, "%s length %u out of range (min %u)", name, *len, min_len, 0);
        return -1;
    }
    *tbl = p->map(phys, *len, p->ctx);
    if (!*tbl) {
        note(p, "%s at %x (length %u) cannot be mapped", name, phys, *len, 0);
        return -1;
    }
    if (!acpi_checksum_ok(*tbl, *len)) {
        note(p, "%s checksum mismatch (sum %x)", name,
             byte_sum(*tbl, *len), 0, 0);
        return -1;
    }
    return 0;
}

/* ---- RSDP (5.2.5.3) ---------------------------------------------------- */

struct root_addrs {
    uint64_t rsdt, xsdt;
};

/* When rsdp bytes are not given, map them at rsdp_phys. */
static const uint8_t *map_rsdp(struct parser *p, uint64_t phys, size_t *len)
{
    const uint8_t *r = p->map(phys, RSDP_V1_LEN, p->ctx);
    *len = RSDP_V1_LEN;
    if (r && r[15] >= 2) {
        const uint8_t *r2 = p->map(phys, RSDP_V2_LEN, p->ctx);
        if (r2) {
            r = r2;
            *len = RSDP_V2_LEN;
        }
    }
    return r;
}

/* The XSDT address is trusted only if the extended checksum (over Length
 * bytes, revision >= 2) holds; otherwise the RSDT, covered by the first
 * checksum, is used. */
static uint64_t rsdp_xsdt(struct parser *p, const uint8_t *r, size_t len)
{
    uint32_t xlen;
    if (r[15] < 2)
        return 0;
    if (len < RSDP_V2_LEN) {
        warn(p, "RSDP revision %u but only %u bytes; using RSDT", 0, r[15],
             len, 0);
        return 0;
    }
    xlen = rd32(r + 20);
    if (xlen < RSDP_V2_LEN || xlen > len) {
        warn(p, "RSDP length %u invalid; using RSDT", 0, xlen, 0, 0);
        return 0;
    }
    if (!acpi_checksum_ok(r, xlen)) {
        warn(p, "RSDP extended checksum mismatch (sum %x); using RSDT", 0,
             byte_sum(r, xlen), 0, 0);
        return 0;
    }
    return rd64(r + 24);
}

static int parse_rsdp(struct parser *p, const uint8_t *r, size_t len,
                      uint64_t phys, struct root_addrs *ra)
{
    if (!r)
        return fail(p, ACPI_ERR_RSDP, "RSDP at %x cannot be mapped", 0, phys,
                    0, 0);
    if (len < RSDP_V1_LEN)
        return fail(p, ACPI_ERR_RSDP, "RSDP too short (%u bytes)", 0, len,
                    0, 0);
    if (memcmp(r, "RSD PTR ", 8) != 0)
        return fail(p, ACPI_ERR_RSDP, "RSDP signature mismatch", 0, 0, 0, 0);
    if (!acpi_checksum_ok(r, RSDP_V1_LEN))
        return fail(p, ACPI_ERR_RSDP, "RSDP checksum mismatch (sum %x)", 0,
                    byte_sum(r, RSDP_V1_LEN), 0, 0);
    p->out->revision = r[15];
    memcpy(p->out->oem, r + 9, 6);
    p->out->oem[6] = '\0';
    ra->rsdt = rd32(r + 16);
    ra->xsdt = rsdp_xsdt(p, r, len);
    return 0;
}

/* ---- XSDT / RSDT (5.2.7, 5.2.8) ---------------------------------------- */

struct root {
    const uint8_t *tbl;
    uint32_t len;
    unsigned entry_size; /* 8 for the XSDT, 4 for the RSDT */
    const char *name;
};

static int load_root(struct parser *p, const struct root_addrs *ra,
                     struct root *rt)
{
    if (ra->xsdt) {
        rt->entry_size = 8;
        rt->name = "XSDT";
        if (load_table(p, ra->xsdt, "XSDT", "XSDT", SDT_HEADER_LEN, &rt->tbl,
                       &rt->len) == 0) {
            p->out->used_xsdt = true;
            return 0;
        }
        if (!ra->rsdt)
            return fail_note(p, ACPI_ERR_ROOT);
        warn_note(p); /* fall back to the RSDT */
    }
    if (!ra->rsdt)
        return fail(p, ACPI_ERR_ROOT, "RSDP has no RSDT or XSDT address", 0,
                    0, 0, 0);
    rt->entry_size = 4;
    rt->name = "RSDT";
    if (load_table(p, ra->rsdt, "RSDT", "RSDT", SDT_HEADER_LEN, &rt->tbl,
                   &rt->len) != 0)
        return fail_note(p, ACPI_ERR_ROOT);
    return 0;
}

/* SSDTs looked at for \_S5_ when the DSDT has none; firmware has a few. */
#define MAX_SSDTS 16

struct table_addrs {
    uint64_t madt, fadt, hpet, mcfg;
    uint64_t ssdts[MAX_SSDTS];
    unsigned nssdts;
};

static void remember(uint64_t *slot, uint64_t addr)
{
    if (!*slot) /* the first table of a kind wins */
        *slot = addr;
}

/* One pass over the root table's entries, peeking at each header's
 * signature, so an unmappable entry is reported once. */
static void scan_root(struct parser *p, const struct root *rt,
                     struct table_addrs *ta)
{
    uint32_t body = rt->len - SDT_HEADER_LEN;
    uint32_t count = body / rt->entry_size;
    if (body % rt->entry_size)
        warn(p, "%s length %u is not 36 + a multiple of %u", rt->name,
             rt->len, rt->entry_size, 0);
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = rt->tbl + SDT_HEADER_LEN + i * rt->entry_size;
        uint64_t addr = rt->entry_size == 8 ? rd64(e) : rd32(e);
        const uint8_t *hdr;
        if (!addr) {
            warn(p, "%s entry %u is null", rt->name, i, 0, 0);
            continue;
        }
        hdr = p->map(addr, SDT_HEADER_LEN, p->ctx);
        if (!hdr) {
            warn(p, "%s entry %u (%x) cannot be mapped", rt->name, i, addr, 0);
            continue;
        }
        if (memcmp(hdr, "APIC", 4) == 0)
            remember(&ta->madt, addr);
        else if (memcmp(hdr, "FACP", 4) == 0)
            remember(&ta->fadt, addr);
        else if (memcmp(hdr, "HPET", 4) == 0)
            remember(&ta->hpet, addr);
        else if (memcmp(hdr, "MCFG", 4) == 0)
            remember(&ta->mcfg, addr);
        else if (memcmp(hdr, "SSDT", 4) == 0 && ta->nssdts < MAX_SSDTS)
            ta->ssdts[ta->nssdts++] = addr;
    }
}

/* ---- MADT (5.2.12) ----------------------------------------------------- */

enum madt_type {
    MADT_LAPIC = 0,          /* 5.2.12.2 */
    MADT_IOAPIC = 1,         /* 5.2.12.3 */
    MADT_OVERRIDE = 2,       /* 5.2.12.5 */
    MADT_NMI_SOURCE = 3,     /* 5.2.12.6 (not used by this kernel) */
    MADT_LAPIC_NMI = 4,      /* 5.2.12.7 */
    MADT_LAPIC_ADDR = 5,     /* 5.2.12.8 */
    MADT_X2APIC = 9,         /* 5.2.12.12 */
    MADT_X2APIC_NMI = 0xA,   /* 5.2.12.13 */
};

/* Minimum entry length per type, from the tables of 5.2.12.x. */
static unsigned madt_min_len(unsigned type)
{
    switch (type) {
    case MADT_LAPIC: return 8;
    case MADT_IOAPIC: return 12;
    case MADT_OVERRIDE: return 10;
    case MADT_NMI_SOURCE: return 8;
    case MADT_LAPIC_NMI: return 6;
    case MADT_LAPIC_ADDR: return 12;
    case MADT_X2APIC: return 16;
    case MADT_X2APIC_NMI: return 12;
    default: return 2;
    }
}

static bool room(struct parser *p, int count, int max, bool *full,
                 const char *what)
{
    if (count < max)
        return true;
    if (!*full)
        warn(p, "more than %u %s in the MADT; extra entries ignored", what,
             max, 0, 0);
    *full = true;
    return false;
}

static int find_cpu(const struct acpi_info *o, uint32_t apic_id)
{
    for (int i = 0; i < o->cpu_count; i++)
        if (o->cpus[i].apic_id == apic_id)
            return i;
    return -1;
}

/* Local APIC flags (Table 5.47): bit 0 Enabled, bit 1 Online Capable,
 * which is only meaningful (and otherwise reserved) when Enabled is 0. */
static void add_cpu(struct parser *p, uint32_t apic_id, uint32_t uid,
                    uint32_t flags, bool x2apic)
{
    struct acpi_info *o = p->out;
    struct acpi_cpu c = {
        .apic_id = apic_id,
        .uid = uid,
        .enabled = flags & 1,
        .online_capable = !(flags & 1) && (flags & 2),
        .x2apic = x2apic,
    };
    int dup = find_cpu(o, apic_id);
    if (dup >= 0) {
        warn(p, "duplicate APIC ID %u in the MADT", 0, apic_id, 0, 0);
        if (c.enabled && !o->cpus[dup].enabled)
            o->cpus[dup] = c;
        return;
    }
    if (room(p, o->cpu_count, ACPI_MAX_CPUS, &p->cpus_full, "CPUs"))
        o->cpus[o->cpu_count++] = c;
}

static void add_ioapic(struct parser *p, const uint8_t *e)
{
    struct acpi_info *o = p->out;
    if (!room(p, o->ioapic_count, ACPI_MAX_IOAPICS, &p->ioapics_full,
              "I/O APICs"))
        return;
    o->ioapics[o->ioapic_count++] = (struct acpi_ioapic){
        .id = e[2], .addr = rd32(e + 4), .gsi_base = rd32(e + 8)};
}

static void add_override(struct parser *p, const uint8_t *e)
{
    struct acpi_info *o = p->out;
    if (!room(p, o->override_count, ACPI_MAX_OVERRIDES, &p->overrides_full,
              "interrupt overrides"))
        return;
    o->overrides[o->override_count++] = (struct acpi_override){
        .bus = e[2], .source = e[3], .gsi = rd32(e + 4),
        .flags = (uint16_t)rd16(e + 8)};
}

static void add_nmi(struct parser *p, uint32_t uid, uint8_t lint,
                    uint32_t flags)
{
    struct acpi_info *o = p->out;
    if (!room(p, o->nmi_count, ACPI_MAX_NMIS, &p->nmis_full, "LAPIC NMIs"))
        return;
    o->nmis[o->nmi_count++] =
        (struct acpi_nmi){.uid = uid, .lint = lint, .flags = (uint16_t)flags};
}

static void madt_entry(struct parser *p, const uint8_t *e)
{
    switch (e[0]) {
    case MADT_LAPIC:
        if (e[3] != 0xFF) /* 0xFF is the xAPIC broadcast ID: a placeholder */
            add_cpu(p, e[3], e[2], rd32(e + 4), false);
        break;
    case MADT_X2APIC:
        if (rd32(e + 4) != 0xFFFFFFFFu)
            add_cpu(p, rd32(e + 4), rd32(e + 12), rd32(e + 8), true);
        break;
    case MADT_IOAPIC:
        add_ioapic(p, e);
        break;
    case MADT_OVERRIDE:
        add_override(p, e);
        break;
    case MADT_LAPIC_NMI:
        add_nmi(p, e[2] == 0xFF ? ACPI_NMI_ALL_CPUS : e[2], e[5], rd16(e + 3));
        break;
    case MADT_X2APIC_NMI:
        add_nmi(p, rd32(e + 4), e[8], rd16(e + 2));
        break;
    case MADT_LAPIC_ADDR:
        p->out->lapic_addr = rd64(e + 4);
        break;
    default: /* other controllers (SAPIC, GIC, ...) do not concern x86 PCs */
        break;
    }
}

/* Walk the entries (Table 5.43): every step is bounded by the table end and
 * advances by at least 2 bytes, so the walk always terminates. */
static void walk_madt(struct parser *p, const uint8_t *t, uint32_t len)
{
    uint32_t off = MADT_ENTRIES;
    while (off < len) {
        unsigned type, elen;
        if (len - off < 2) {
            warn(p, "MADT ends with a truncated entry at offset %u", 0, off,
                 0, 0);
            return;
        }
        type = t[off];
        elen = t[off + 1];
        if (elen < 2) {
            warn(p, "MADT entry type %u at offset %u has length %u; walk "
                    "stopped", 0, type, off, elen);
            return;
        }
        if (elen > len - off) {
            warn(p, "MADT entry type %u at offset %u runs past the table end",
                 0, type, off, 0);
            return;
        }
        if (elen < madt_min_len(type))
            warn(p, "MADT entry type %u at offset %u too short (%u bytes)", 0,
                 type, off, elen);
        else
            madt_entry(p, t + off);
        off += elen;
    }
}

static int parse_madt(struct parser *p, uint64_t phys)
{
    const uint8_t *t;
    uint32_t len;
    if (!phys)
        return fail(p, ACPI_ERR_MADT, "no MADT (APIC) table found", 0, 0, 0,
                    0);
    if (load_table(p, phys, "APIC", "MADT", MADT_ENTRIES, &t, &len) != 0)
        return fail_note(p, ACPI_ERR_MADT);
    p->out->lapic_addr = rd32(t + 36);
    p->out->pcat_compat = rd32(t + 40) & 1;
    walk_madt(p, t, len);
    return 0;
}

/* ---- DSDT: \_S5_ (7.4.2, AML encoding in 20.2) ------------------------- */

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0A
#define AML_WORD 0x0B
#define AML_PACKAGE 0x12
#define AML_ROOT '\\'

/* One integer constant of a package (20.2.3); returns the index after it,
 * or 0 if it is not a constant this scanner understands. */
static size_t aml_const(const uint8_t *a, size_t i, size_t end, uint16_t *v)
{
    if (i >= end)
        return 0;
    switch (a[i]) {
    case AML_ZERO: *v = 0; return i + 1;
    case AML_ONE: *v = 1; return i + 1;
    case AML_BYTE:
        if (end - i < 2)
            return 0;
        *v = a[i + 1];
        return i + 2;
    case AML_WORD:
        if (end - i < 3)
            return 0;
        *v = (uint16_t)rd16(a + i + 1);
        return i + 3;
    default: return 0;
    }
}

/* PkgLength (20.2.4): bits 7-6 of the lead byte count the bytes that
 * follow; the length counts from the lead byte to the package end. Returns
 * the package end (<= n) and sets *body to the byte after the PkgLength. */
static size_t aml_pkg_end(const uint8_t *a, size_t i, size_t n, size_t *body)
{
    unsigned follow = a[i] >> 6;
    size_t len;
    if (n - i < 1 + follow)
        return 0;
    if (follow == 0) {
        len = a[i] & 0x3F;
    } else {
        len = a[i] & 0x0F;
        for (unsigned k = 0; k < follow; k++)
            len |= (size_t)a[i + 1 + k] << (4 + 8 * k);
    }
    *body = i + 1 + follow;
    if (len > n - i || i + len < *body)
        return 0;
    return i + len;
}

/* Decode "Name(_S5_, Package(){a, b, ...})" whose NameOp is at a[i]. */
static bool aml_s5_at(const uint8_t *a, size_t i, size_t n, uint16_t *typa,
                      uint16_t *typb)
{
    size_t j = i + 1, end, body;
    uint16_t va, vb;
    if (j < n && a[j] == AML_ROOT)
        j++;
    if (n - j < 6 || memcmp(a + j, "_S5_", 4) != 0 || a[j + 4] != AML_PACKAGE)
        return false;
    end = aml_pkg_end(a, j + 5, n, &body);
    if (!end || body >= end || a[body] < 2) /* NumElements */
        return false;
    j = aml_const(a, body + 1, end, &va);
    if (j)
        j = aml_const(a, j, end, &vb);
    if (!j)
        return false;
    *typa = va; /* only a fully decoded package is reported */
    *typb = vb;
    return true;
}

static bool scan_s5(const uint8_t *aml, size_t n, uint16_t *typa,
                    uint16_t *typb)
{
    for (size_t i = 0; i < n; i++)
        if (aml[i] == AML_NAME && aml_s5_at(aml, i, n, typa, typb))
            return true;
    return false;
}

static void parse_dsdt(struct parser *p, uint64_t phys)
{
    const uint8_t *t;
    uint32_t len;
    struct acpi_info *o = p->out;
    if (!phys) {
        warn(p, "FADT has no DSDT address", 0, 0, 0, 0);
        return;
    }
    if (load_table(p, phys, "DSDT", "DSDT", SDT_HEADER_LEN, &t, &len) != 0) {
        warn_note(p);
        return;
    }
    o->has_s5 = scan_s5(t + SDT_HEADER_LEN, len - SDT_HEADER_LEN,
                        &o->slp_typa_s5, &o->slp_typb_s5);
}

/* ---- SSDT: \_S5_ when the DSDT has none (5.2.11.2) --------------------
 * Secondary tables are loaded into the same namespace as the DSDT, so \_S5_
 * may be defined in one of them: SeaBIOS's own tables (on Bochs, or any
 * machine without QEMU's fw_cfg tables) define \_S3_ to \_S5_ in an SSDT
 * and none in the DSDT. A bad SSDT is a warning, like a bad DSDT. */
static void parse_ssdt_s5(struct parser *p, uint64_t phys)
{
    const uint8_t *t;
    uint32_t len;
    struct acpi_info *o = p->out;
    if (load_table(p, phys, "SSDT", "SSDT", SDT_HEADER_LEN, &t, &len) != 0) {
        warn_note(p);
        return;
    }
    o->has_s5 = scan_s5(t + SDT_HEADER_LEN, len - SDT_HEADER_LEN,
                        &o->slp_typa_s5, &o->slp_typb_s5);
}

/* ---- FADT (5.2.9, Table 5.9) ------------------------------------------- */

#define FADT_DSDT 40
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_X_DSDT 140
#define FADT_IAPC_BOOT_ARCH 109 /* 2 bytes, from FADT revision 2 (ACPI 2.0) on */
#define BOOT_ARCH_8042 (1u << 1)
#define FADT_X_PM1A_CNT 172 /* Generic Address Structures, 5.2.3.2 */
#define FADT_X_PM1B_CNT 184
#define GAS_LEN 12
#define GAS_SYSTEM_IO 1

/* An X_ block, if present and in I/O space, overrides the 32-bit field. */
static uint16_t fadt_port(struct parser *p, const uint8_t *t, uint32_t len,
                          unsigned legacy, unsigned xgas, const char *name)
{
    uint64_t port = rd32(t + legacy);
    if (len >= xgas + GAS_LEN && t[xgas] == GAS_SYSTEM_IO && rd64(t + xgas + 4))
        port = rd64(t + xgas + 4);
    if (port > 0xFFFF) {
        warn(p, "FADT %s port %x is not an I/O port", name, port, 0, 0);
        return 0;
    }
    return (uint16_t)port;
}

static void parse_fadt(struct parser *p, uint64_t phys)
{
    const uint8_t *t;
    uint32_t len;
    uint64_t dsdt;
    struct acpi_info *o = p->out;
    if (load_table(p, phys, "FACP", "FADT", FADT_V1_LEN, &t, &len) != 0) {
        warn_note(p);
        return;
    }
    o->has_fadt = true;
    o->no_8042 = t[8] >= 2 && !(rd16(t + FADT_IAPC_BOOT_ARCH) & BOOT_ARCH_8042);
    o->pm1a_cnt_port = fadt_port(p, t, len, FADT_PM1A_CNT, FADT_X_PM1A_CNT,
                                 "PM1a_CNT");
    o->pm1b_cnt_port = fadt_port(p, t, len, FADT_PM1B_CNT, FADT_X_PM1B_CNT,
                                 "PM1b_CNT");
    dsdt = rd32(t + FADT_DSDT);
    if (len >= FADT_X_DSDT + 8 && rd64(t + FADT_X_DSDT))
        dsdt = rd64(t + FADT_X_DSDT); /* X_DSDT wins when non-zero */
    parse_dsdt(p, dsdt);
}

/* ---- HPET (IA-PC HPET Specification 1.0a, 3.2.4) ----------------------- */

#define HPET_BASE_GAS 40
#define GAS_SYSTEM_MEMORY 0

static void parse_hpet(struct parser *p, uint64_t phys)
{
    const uint8_t *t;
    uint32_t len;
    uint64_t addr;
    if (load_table(p, phys, "HPET", "HPET", HPET_MIN_LEN, &t, &len) != 0) {
        warn_note(p);
        return;
    }
    addr = rd64(t + HPET_BASE_GAS + 4);
    if (t[HPET_BASE_GAS] != GAS_SYSTEM_MEMORY || !addr) {
        warn(p, "HPET base is not a memory address (space %u, %x)", 0,
             t[HPET_BASE_GAS], addr, 0);
        return;
    }
    p->out->has_hpet = true;
    p->out->hpet_addr = addr;
}

/* ---- MCFG (PCI Firmware Specification 3.0, 4.1.2) ------------------------
 * After the header, 8 reserved bytes, then 16-byte entries: the ECAM base
 * address (8), the PCI segment group (2), the first and last bus (1 + 1).
 * Only segment 0 is used; a bad table is a warning and PCI falls back to
 * configuration mechanism #1. */
#define MCFG_ENTRIES 44
#define MCFG_ENTRY_LEN 16

static void parse_mcfg(struct parser *p, uint64_t phys)
{
    const uint8_t *t;
    uint32_t len;
    if (load_table(p, phys, "MCFG", "MCFG", MCFG_ENTRIES, &t, &len) != 0) {
        warn_note(p);
        return;
    }
    for (uint32_t off = MCFG_ENTRIES; off + MCFG_ENTRY_LEN <= len;
         off += MCFG_ENTRY_LEN) {
        const uint8_t *e = t + off;
        uint64_t base = rd64(e);
        if (rd16(e + 8) != 0)
            continue;
        if (!base || e[11] < e[10]) {
            warn(p, "MCFG entry with base %x and buses %u-%u ignored", 0,
                 base, e[10], e[11]);
            continue;
        }
        p->out->has_mcfg = true;
        p->out->mcfg_base = base;
        p->out->mcfg_bus_start = e[10];
        p->out->mcfg_bus_end = e[11];
        return;
    }
}

/* ---- entry point ------------------------------------------------------- */

int acpi_parse(uint64_t rsdp_phys, const void *rsdp, size_t rsdp_len,
               acpi_map_fn map, void *ctx, struct acpi_info *out, char *err,
               size_t errlen)
{
    struct parser p = {.map = map, .ctx = ctx, .out = out, .err = err,
                       .errlen = errlen};
    struct root_addrs ra = {0, 0};
    struct table_addrs ta = {0};
    struct root rt;
    int rc;

    say(err, errlen, "", 0, 0, 0, 0);
    if (!out || !map)
        return fail(&p, ACPI_ERR_ARG, "acpi_parse: no output or map", 0, 0,
                    0, 0);
    memset(out, 0, sizeof *out);
    if (!rsdp && !rsdp_phys)
        return fail(&p, ACPI_ERR_ARG, "no RSDP given", 0, 0, 0, 0);
    if (!rsdp)
        rsdp = map_rsdp(&p, rsdp_phys, &rsdp_len);

    rc = parse_rsdp(&p, rsdp, rsdp_len, rsdp_phys, &ra);
    if (rc == 0)
        rc = load_root(&p, &ra, &rt);
    if (rc != 0)
        return rc;
    scan_root(&p, &rt, &ta);
    rc = parse_madt(&p, ta.madt);
    if (rc != 0)
        return rc;
    if (ta.fadt)
        parse_fadt(&p, ta.fadt);
    for (unsigned i = 0; i < ta.nssdts && out->has_fadt && !out->has_s5; i++)
        parse_ssdt_s5(&p, ta.ssdts[i]);
    if (ta.hpet)
        parse_hpet(&p, ta.hpet);
    if (ta.mcfg)
        parse_mcfg(&p, ta.mcfg);
    return 0;
}
