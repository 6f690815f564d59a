/*
 * Multiboot2 boot information parser. Section numbers refer to the
 * Multiboot2 specification, version 2.0.
 *
 * Layout (3.6.1): u32 total_size, u32 reserved, then tags. Each tag is
 * u32 type, u32 size (header included, padding excluded), its data, then
 * padding so the next tag starts 8-byte aligned. The list ends with a tag
 * of type 0 and size 8.
 *
 * Fields are read with memcpy so that nothing here depends on the alignment
 * of what is inside a tag (mmap entry_size need not be a multiple of 8).
 */
#include "lib/mb2.h"
#include "lib/string.h"

static uint32_t rd32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t rd64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* ---- error messages that name the tag type (types 0-21 of 3.6) ---- */

#define MB2_TAG_NUMBERS(X)                                                   \
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12)     \
    X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21)

#define MSG_PAST(n) [n] = "tag " #n " runs past total_size",
#define MSG_SMALL(n) [n] = "tag " #n " has size < 8",
static const char *const msg_past[] = { MB2_TAG_NUMBERS(MSG_PAST) };
static const char *const msg_small[] = { MB2_TAG_NUMBERS(MSG_SMALL) };

static const char *tag_msg(const char *const *table, size_t n, uint32_t type,
                           const char *fallback) {
    return type < n ? table[type] : fallback;
}

/* ---- tag parsers: each returns NULL or an error message ---- */

/* A NUL-terminated string at tag[off], wholly inside the tag's size. */
static bool tag_string(const uint8_t *tag, uint32_t size, uint32_t off,
                       const char **str) {
    for (uint32_t i = off; i < size; i++) {
        if (tag[i] == '\0') {
            *str = (const char *)(tag + off);
            return true;
        }
    }
    return false;
}

/* 3.6.3 Boot command line: u32 type=1, u32 size, u8[n] string. */
static const char *parse_cmdline(struct mb2_info *out, const uint8_t *tag,
                                 uint32_t size) {
    if (!tag_string(tag, size, 8, &out->cmdline))
        return "cmdline tag (1) is not NUL-terminated";
    return NULL;
}

/* 3.6.4 Boot loader name: u32 type=2, u32 size, u8[n] string. */
static const char *parse_loader_name(struct mb2_info *out, const uint8_t *tag,
                                     uint32_t size) {
    if (!tag_string(tag, size, 8, &out->loader_name))
        return "loader name tag (2) is not NUL-terminated";
    return NULL;
}

/* 3.6.6 Modules: type=3, size, u32 mod_start, u32 mod_end, string. */
static const char *parse_module(struct mb2_info *out, const uint8_t *tag,
                                uint32_t size) {
    if (size < 16)
        return "module tag (3) is shorter than 16 bytes";
    struct mb2_module m = { rd32(tag + 8), rd32(tag + 12), NULL };
    if (m.start > m.end)
        return "module tag (3) has mod_start > mod_end";
    if (!tag_string(tag, size, 16, &m.cmdline))
        return "module tag (3) string is not NUL-terminated";
    if (out->module_count == MB2_MAX_MODULES) {
        out->modules_truncated = true;
        return NULL;
    }
    out->modules[out->module_count++] = m;
    return NULL;
}

/* 3.6.7 Basic memory information: type=4, size=16, u32 mem_lower, mem_upper. */
static const char *parse_meminfo(struct mb2_info *out, const uint8_t *tag,
                                 uint32_t size) {
    if (size < 16)
        return "basic meminfo tag (4) is shorter than 16 bytes";
    out->mem_lower_kb = rd32(tag + 8);
    out->mem_upper_kb = rd32(tag + 12);
    out->has_basic_meminfo = true;
    return NULL;
}

/*
 * 3.6.8 Memory map: type=6, size, u32 entry_size, u32 entry_version, then
 * entries of entry_size bytes: u64 base_addr, u64 length, u32 type,
 * u32 reserved. entry_size may grow in later versions, so we step by it.
 */
static const char *parse_mmap(struct mb2_info *out, const uint8_t *tag,
                              uint32_t size) {
    if (size < 16)
        return "mmap tag (6) is shorter than 16 bytes";
    uint32_t entry_size = rd32(tag + 8);
    if (entry_size < 24)
        return "mmap tag (6) has entry_size < 24";
    if ((size - 16) % entry_size != 0)
        return "mmap tag (6) size is not a whole number of entries";
    if (out->mmap_from_efi)
        return NULL; /* the EFI map came first and is the later, fuller one */
    for (uint32_t off = 16; off < size; off += entry_size) {
        if (out->mmap_count == MB2_MAX_MMAP) {
            out->mmap_truncated = true;
            break;
        }
        struct mb2_mmap_entry *e = &out->mmap[out->mmap_count++];
        e->addr = rd64(tag + off);
        e->len = rd64(tag + off + 8);
        e->type = rd32(tag + off + 16);
    }
    return NULL;
}

/*
 * 3.6.12 Framebuffer info: type=8, size, u64 addr, u32 pitch, u32 width,
 * u32 height, u8 bpp, u8 framebuffer_type, u8 reserved, then color_info.
 */
static const char *parse_framebuffer(struct mb2_info *out, const uint8_t *tag,
                                     uint32_t size) {
    if (size < 31)
        return "framebuffer tag (8) is shorter than 31 bytes";
    out->fb_addr = rd64(tag + 8);
    out->fb_pitch = rd32(tag + 16);
    out->fb_width = rd32(tag + 20);
    out->fb_height = rd32(tag + 24);
    out->fb_bpp = tag[28];
    out->fb_type = tag[29];
    /* GRUB's struct has a u16 reserved field where the spec text says u8,
     * so color_info starts at offset 32 (as in GRUB's multiboot2.h). For
     * direct RGB it is three (field position, mask size) byte pairs. */
    if (out->fb_type == MB2_FB_RGB) {
        if (size < 38)
            return "framebuffer tag (8) of RGB type is shorter than 38 bytes";
        out->fb_red_pos = tag[32];
        out->fb_red_size = tag[33];
        out->fb_green_pos = tag[34];
        out->fb_green_size = tag[35];
        out->fb_blue_pos = tag[36];
        out->fb_blue_size = tag[37];
    }
    out->has_fb = true;
    return NULL;
}

/* UEFI 2.x section 7.2, EFI_MEMORY_TYPE, as multiboot2 memory types: what
 * the firmware and the loader used before ExitBootServices is free now. */
static uint32_t efi_type_to_mb2(uint32_t efi) {
    switch (efi) {
    case 1: case 2:         /* EfiLoaderCode, EfiLoaderData */
    case 3: case 4:         /* EfiBootServicesCode, EfiBootServicesData */
    case 7:                 /* EfiConventionalMemory */
        return MB2_MMAP_AVAILABLE;
    case 8: return MB2_MMAP_BAD;               /* EfiUnusableMemory */
    case 9: return MB2_MMAP_ACPI_RECLAIMABLE;  /* EfiACPIReclaimMemory */
    case 10: return MB2_MMAP_NVS;              /* EfiACPIMemoryNVS */
    default: return MB2_MMAP_RESERVED;         /* runtime services, MMIO, ... */
    }
}

/*
 * 3.6.17 EFI memory map: type=17, size, u32 descriptor_size,
 * u32 descriptor_version, then EFI_MEMORY_DESCRIPTORs (UEFI 7.2,
 * GetMemoryMap): u32 Type, u32 pad, u64 PhysicalStart, u64 VirtualStart,
 * u64 NumberOfPages (4 KiB each), u64 Attribute. GRUB takes it as it exits
 * boot services, so it is the map the kernel really runs with; it replaces
 * tag 6 (made earlier, with boot-services memory still taken). Firmware
 * lists many small neighbouring ranges: those of one type are merged.
 */
static const char *parse_efi_mmap(struct mb2_info *out, const uint8_t *tag,
                                  uint32_t size) {
    if (size < 16)
        return "EFI mmap tag (17) is shorter than 16 bytes";
    uint32_t desc_size = rd32(tag + 8);
    if (desc_size < 40)
        return "EFI mmap tag (17) has descriptor_size < 40";
    out->mmap_count = 0;
    out->mmap_truncated = false;
    out->mmap_from_efi = true;
    for (uint32_t off = 16; size - off >= desc_size; off += desc_size) {
        uint64_t addr = rd64(tag + off + 8), pages = rd64(tag + off + 24);
        if (pages == 0)
            continue;
        if (pages > (UINT64_MAX - addr) >> 12)
            return "EFI mmap tag (17) has a range past the top of memory";
        uint32_t type = efi_type_to_mb2(rd32(tag + off));
        struct mb2_mmap_entry *last = out->mmap_count ? &out->mmap[out->mmap_count - 1] : NULL;
        if (last && last->type == type && last->addr + last->len == addr) {
            last->len += pages << 12;
            continue;
        }
        if (out->mmap_count == MB2_MAX_MMAP) {
            out->mmap_truncated = true;
            break;
        }
        out->mmap[out->mmap_count++] = (struct mb2_mmap_entry){addr, pages << 12, type};
    }
    return NULL;
}

/*
 * 3.6.15 / 3.6.16 ACPI old / new RSDP: type=14 / 15, size, then a copy of
 * the RSDP (20 bytes for ACPI 1.0, 36 bytes for 2.0+). The new one wins
 * whatever the tag order, because it carries the 64-bit XSDT address.
 */
static const char *parse_rsdp(struct mb2_info *out, const uint8_t *tag,
                              uint32_t size, int revision) {
    if (revision == 2 && size < 8 + 36)
        return "ACPI new RSDP tag (15) is shorter than 8 + 36 bytes";
    if (revision == 0 && size < 8 + 20)
        return "ACPI old RSDP tag (14) is shorter than 8 + 20 bytes";
    if (revision == 0 && out->rsdp != NULL)
        return NULL;
    out->rsdp = tag + 8;
    out->rsdp_len = size - 8;
    out->rsdp_revision = revision;
    return NULL;
}

static const char *parse_tag(struct mb2_info *out, const uint8_t *tag,
                             uint32_t type, uint32_t size) {
    switch (type) {
    case MB2_TAG_CMDLINE: return parse_cmdline(out, tag, size);
    case MB2_TAG_LOADER_NAME: return parse_loader_name(out, tag, size);
    case MB2_TAG_MODULE: return parse_module(out, tag, size);
    case MB2_TAG_BASIC_MEMINFO: return parse_meminfo(out, tag, size);
    case MB2_TAG_MMAP: return parse_mmap(out, tag, size);
    case MB2_TAG_FRAMEBUFFER: return parse_framebuffer(out, tag, size);
    case MB2_TAG_ACPI_OLD: return parse_rsdp(out, tag, size, 0);
    case MB2_TAG_ACPI_NEW: return parse_rsdp(out, tag, size, 2);
    case MB2_TAG_EFI_MMAP: return parse_efi_mmap(out, tag, size);
    default: return NULL; /* 3.6.2: unknown tags must be ignored */
    }
}

/* ---- the walk ---- */

static int fail(struct mb2_info *out, const char **err, int code,
                const char *msg, uint32_t type, size_t off) {
    out->err_tag_type = type;
    out->err_offset = off;
    if (err != NULL)
        *err = msg;
    return code;
}

/* Check the fixed part (3.6.1); returns 0 or an error. */
static int check_header(const void *info, size_t avail, struct mb2_info *out,
                        const char **err) {
    if (info == NULL || avail < 8)
        return fail(out, err, MB2_E_HEADER,
                    "boot information shorter than its 8-byte fixed part", 0, 0);
    if (((uintptr_t)info & 7) != 0)
        return fail(out, err, MB2_E_ALIGN,
                    "boot information is not 8-byte aligned", 0, 0);
    out->total_size = rd32(info);
    if (out->total_size < 8)
        return fail(out, err, MB2_E_HEADER, "total_size < 8", 0, 0);
    if (out->total_size > avail)
        return fail(out, err, MB2_E_HEADER,
                    "total_size is larger than the readable bytes", 0, 0);
    return 0;
}

int mb2_parse(const void *info, size_t avail, struct mb2_info *out,
              const char **err) {
    memset(out, 0, sizeof(*out));
    int rc = check_header(info, avail, out, err);
    if (rc != 0)
        return rc;

    const uint8_t *base = info;
    size_t total = out->total_size;
    size_t off = 8;
    while (total - off >= 8) {
        const uint8_t *tag = base + off;
        uint32_t type = rd32(tag), size = rd32(tag + 4);
        if (size < 8)
            return fail(out, err, MB2_E_TAG, tag_msg(msg_small, ARRAY_SIZE(msg_small),
                        type, "tag of unknown type has size < 8"), type, off);
        if (size > total - off)
            return fail(out, err, MB2_E_TAG, tag_msg(msg_past, ARRAY_SIZE(msg_past),
                        type, "tag of unknown type runs past total_size"), type, off);
        if (type == MB2_TAG_END) {
            if (size != 8)
                return fail(out, err, MB2_E_NO_END, "end tag (0) size is not 8",
                            type, off);
            return 0;
        }
        const char *msg = parse_tag(out, tag, type, size);
        if (msg != NULL)
            return fail(out, err, MB2_E_CONTENT, msg, type, off);
        off += ALIGN_UP((size_t)size, 8);
        if (off > total)
            break; /* the last tag's padding is cut off: no room for an end */
    }
    return fail(out, err, MB2_E_NO_END, "no end tag before total_size", 0, off);
}

const char *mb2_mmap_type_name(uint32_t type) {
    switch (type) {
    case MB2_MMAP_AVAILABLE: return "available";
    case MB2_MMAP_ACPI_RECLAIMABLE: return "ACPI reclaimable";
    case MB2_MMAP_NVS: return "ACPI NVS";
    case MB2_MMAP_BAD: return "bad RAM";
    default: return "reserved"; /* 3.6.8: any other value is reserved */
    }
}
