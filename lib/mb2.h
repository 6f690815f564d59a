/*
 * Multiboot2 boot information parser (Multiboot2 specification, version
 * 2.0, section 3.6 "Boot information format").
 *
 * mb2_parse() checks the whole structure against the bytes we may read
 * before trusting any of it, and copies what the kernel needs into a plain
 * struct so that nothing else has to walk tags.
 */
#ifndef LIB_MB2_H
#define LIB_MB2_H

#include "lib/types.h"

/* Value of EAX at kernel entry (spec 3.3 "I386 machine state"). */
#define MB2_BOOTLOADER_MAGIC 0x36d76289u

/* Tag types (spec 3.6.2 - 3.6.16). */
enum mb2_tag_type {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_LOADER_NAME = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_BASIC_MEMINFO = 4,
    MB2_TAG_BOOTDEV = 5,
    MB2_TAG_MMAP = 6,
    MB2_TAG_FRAMEBUFFER = 8,
    MB2_TAG_ACPI_OLD = 14,
    MB2_TAG_ACPI_NEW = 15,
    MB2_TAG_EFI_MMAP = 17,
};

/* Framebuffer types (3.6.12). */
enum mb2_fb_type {
    MB2_FB_INDEXED = 0,
    MB2_FB_RGB = 1,
    MB2_FB_EGA_TEXT = 2,
};

/* Memory map entry types (spec 3.6.8). */
enum mb2_mmap_type {
    MB2_MMAP_AVAILABLE = 1,
    MB2_MMAP_RESERVED = 2,
    MB2_MMAP_ACPI_RECLAIMABLE = 3,
    MB2_MMAP_NVS = 4,
    MB2_MMAP_BAD = 5,
};

/* mb2_parse() results: 0 or one of these. */
enum mb2_error {
    MB2_E_HEADER = -1,  /* fixed part unreadable or total_size wrong */
    MB2_E_ALIGN = -2,   /* the structure is not 8-byte aligned */
    MB2_E_TAG = -3,     /* a tag's size is < 8 or runs past total_size */
    MB2_E_NO_END = -4,  /* no valid end tag */
    MB2_E_CONTENT = -5, /* a known tag's contents are inconsistent */
};

#define MB2_MAX_MODULES 16
#define MB2_MAX_MMAP 128

struct mb2_mmap_entry {
    uint64_t addr, len;
    uint32_t type; /* enum mb2_mmap_type; others mean reserved */
};

struct mb2_module {
    uint32_t start, end; /* physical; end is one past the last byte */
    const char *cmdline;
};

struct mb2_info {
    uint32_t total_size;
    const char *cmdline;     /* NULL if no tag */
    const char *loader_name; /* NULL if no tag */

    struct mb2_mmap_entry mmap[MB2_MAX_MMAP];
    size_t mmap_count;
    bool mmap_truncated; /* entries beyond MB2_MAX_MMAP were dropped */
    bool mmap_from_efi;  /* from the EFI memory map tag (17), which wins */

    struct mb2_module modules[MB2_MAX_MODULES];
    size_t module_count;
    bool modules_truncated;

    const void *rsdp; /* points into the tag; NULL if none */
    size_t rsdp_len;
    int rsdp_revision; /* 2 from the new-RSDP tag, 0 from the old one */

    bool has_fb;
    uint64_t fb_addr;
    uint32_t fb_pitch, fb_width, fb_height;
    uint8_t fb_bpp, fb_type; /* fb_type: enum mb2_fb_type */
    /* MB2_FB_RGB only: each colour's lowest bit and width in a pixel. */
    uint8_t fb_red_pos, fb_red_size, fb_green_pos, fb_green_size;
    uint8_t fb_blue_pos, fb_blue_size;

    uint32_t mem_lower_kb, mem_upper_kb;
    bool has_basic_meminfo;

    /* On error: the offending tag's type and offset (0 if not tag-related). */
    uint32_t err_tag_type;
    size_t err_offset;
};

/*
 * Parse the boot information at info, of which avail bytes are readable.
 * Returns 0, or a negative enum mb2_error with *err (if err != NULL) set to
 * a static message. *out is zeroed first; on error it holds what was parsed
 * before the fault plus err_tag_type / err_offset.
 */
int mb2_parse(const void *info, size_t avail, struct mb2_info *out,
              const char **err);

/* A short name for a memory map type, e.g. "available". */
const char *mb2_mmap_type_name(uint32_t type);

#endif
