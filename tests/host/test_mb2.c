/*
 * Host tests of lib/mb2.c: boot information blobs are built tag by tag in
 * a buffer (Multiboot2 spec 3.6), then parsed from an exact-size heap copy
 * so that AddressSanitizer catches any read past what we said was there.
 */
#include "tests/host/htest.h"
#include "lib/mb2.h"

#include <stdlib.h>

/* ---- building boot information ---- */

struct blob {
    uint64_t words[8192]; /* 64 KiB, 8-byte aligned like the real thing */
    size_t len;
};

static uint8_t *bytes(struct blob *b) {
    return (uint8_t *)b->words;
}

static void put32(struct blob *b, size_t off, uint32_t v) {
    memcpy(bytes(b) + off, &v, 4);
}

static void put64(struct blob *b, size_t off, uint64_t v) {
    memcpy(bytes(b) + off, &v, 8);
}

static uint32_t get32(struct blob *b, size_t off) {
    uint32_t v;
    memcpy(&v, bytes(b) + off, 4);
    return v;
}

static void blob_init(struct blob *b) {
    memset(b->words, 0, sizeof(b->words));
    b->len = 8;
}

/* Append a tag with its data, pad to 8, and keep total_size up to date. */
static size_t add_tag(struct blob *b, uint32_t type, const void *data, size_t n) {
    size_t off = b->len;
    put32(b, off, type);
    put32(b, off + 4, (uint32_t)(8 + n));
    if (n > 0)
        memcpy(bytes(b) + off + 8, data, n);
    b->len = (off + 8 + n + 7) & ~(size_t)7;
    put32(b, 0, (uint32_t)b->len);
    return off;
}

static size_t add_end(struct blob *b) {
    return add_tag(b, MB2_TAG_END, NULL, 0);
}

static size_t add_string_tag(struct blob *b, uint32_t type, const char *s) {
    return add_tag(b, type, s, strlen(s) + 1);
}

static size_t add_module(struct blob *b, uint32_t start, uint32_t end, const char *s) {
    uint8_t d[256];
    memcpy(d, &start, 4);
    memcpy(d + 4, &end, 4);
    size_t n = strlen(s) + 1;
    memcpy(d + 8, s, n);
    return add_tag(b, MB2_TAG_MODULE, d, 8 + n);
}

struct entry {
    uint64_t addr, len;
    uint32_t type;
};

/* An mmap tag with entries of entry_size bytes (24 is the spec's size). */
static size_t add_mmap(struct blob *b, uint32_t entry_size, const struct entry *e, size_t n) {
    static uint8_t d[16 + 256 * 64];
    memset(d, 0xee, sizeof(d)); /* garbage in any padding we skip */
    memcpy(d, &entry_size, 4);
    memset(d + 4, 0, 4);
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = d + 8 + i * entry_size;
        memcpy(p, &e[i].addr, 8);
        memcpy(p + 8, &e[i].len, 8);
        memcpy(p + 16, &e[i].type, 4);
    }
    return add_tag(b, MB2_TAG_MMAP, d, 8 + n * entry_size);
}

static size_t add_rsdp(struct blob *b, uint32_t type, size_t n, uint8_t fill) {
    uint8_t d[64];
    memset(d, fill, sizeof(d));
    memcpy(d, "RSD PTR ", 8);
    return add_tag(b, type, d, n);
}

static size_t add_framebuffer(struct blob *b, size_t data_len) {
    uint8_t d[64] = { 0 };
    return add_tag(b, MB2_TAG_FRAMEBUFFER, d, data_len);
}

/* ---- parsing an exact-size copy ---- */

static void *last_copy;
static int last_rc;
static const char *last_err;

static int parse_n(struct blob *b, size_t avail, struct mb2_info *out) {
    free(last_copy);
    last_copy = malloc(avail ? avail : 1); /* malloc is 16-byte aligned */
    memcpy(last_copy, bytes(b), avail);
    last_err = "untouched";
    last_rc = mb2_parse(last_copy, avail, out, &last_err);
    return last_rc;
}

static int parse(struct blob *b, struct mb2_info *out) {
    return parse_n(b, b->len, out);
}

static struct blob B;
static struct mb2_info I;

/* ---- well-formed input ---- */

HTEST(minimal_header_and_end) {
    blob_init(&B);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_STREQ(last_err, "untouched"); /* err only written on failure */
    HT_ASSERT_EQ(I.total_size, 16);
    HT_ASSERT(I.cmdline == NULL && I.loader_name == NULL && I.rsdp == NULL);
    HT_ASSERT_EQ(I.mmap_count, 0);
    HT_ASSERT_EQ(I.module_count, 0);
    HT_ASSERT(!I.has_fb && !I.has_basic_meminfo);
    HT_ASSERT(!I.mmap_truncated && !I.modules_truncated);
}

HTEST(grub_like_full_info) {
    blob_init(&B);
    add_string_tag(&B, MB2_TAG_CMDLINE, "model=fine test=smp");
    add_string_tag(&B, MB2_TAG_LOADER_NAME, "GRUB 2.06");
    uint32_t mi[2] = { 639, 523136 };
    add_tag(&B, MB2_TAG_BASIC_MEMINFO, mi, sizeof(mi));
    struct entry e[3] = {
        { 0, 0x9fc00, 1 }, { 0xf0000, 0x10000, 2 }, { 0x100000, 0x7fee0000, 1 },
    };
    add_mmap(&B, 24, e, 3);
    add_module(&B, 0x200000, 0x201000, "initrd");
    add_module(&B, 0x300000, 0x300000, "");
    size_t fb = add_framebuffer(&B, 30);
    put64(&B, fb + 8, 0xfd000000ull);
    put32(&B, fb + 16, 4096);
    put32(&B, fb + 20, 1024);
    put32(&B, fb + 24, 768);
    bytes(&B)[fb + 28] = 32;
    bytes(&B)[fb + 29] = 1;
    memcpy(bytes(&B) + fb + 32, "\x10\x08\x08\x08\x00\x08", 6); /* x8r8g8b8 */
    add_rsdp(&B, MB2_TAG_ACPI_OLD, 20, 0);
    add_end(&B);

    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.total_size, B.len);
    HT_ASSERT_STREQ(I.cmdline, "model=fine test=smp");
    HT_ASSERT_STREQ(I.loader_name, "GRUB 2.06");
    HT_ASSERT(I.has_basic_meminfo);
    HT_ASSERT_EQ(I.mem_lower_kb, 639);
    HT_ASSERT_EQ(I.mem_upper_kb, 523136);
    HT_ASSERT_EQ(I.mmap_count, 3);
    HT_ASSERT_EQ(I.mmap[1].addr, 0xf0000);
    HT_ASSERT_EQ(I.mmap[1].len, 0x10000);
    HT_ASSERT_EQ(I.mmap[1].type, 2);
    HT_ASSERT_EQ(I.mmap[2].addr, 0x100000);
    HT_ASSERT_EQ(I.mmap[2].len, 0x7fee0000);
    HT_ASSERT_EQ(I.module_count, 2);
    HT_ASSERT_EQ(I.modules[0].start, 0x200000);
    HT_ASSERT_EQ(I.modules[0].end, 0x201000);
    HT_ASSERT_STREQ(I.modules[0].cmdline, "initrd");
    HT_ASSERT_STREQ(I.modules[1].cmdline, "");
    HT_ASSERT(I.has_fb);
    HT_ASSERT_EQ(I.fb_addr, 0xfd000000ull);
    HT_ASSERT_EQ(I.fb_pitch, 4096);
    HT_ASSERT_EQ(I.fb_width, 1024);
    HT_ASSERT_EQ(I.fb_height, 768);
    HT_ASSERT_EQ(I.fb_bpp, 32);
    HT_ASSERT_EQ(I.fb_type, 1);
    HT_ASSERT(I.rsdp != NULL);
    HT_ASSERT_EQ(I.rsdp_len, 20);
    HT_ASSERT_EQ(I.rsdp_revision, 0);
    HT_ASSERT(memcmp(I.rsdp, "RSD PTR ", 8) == 0);
    /* pointers lead into the caller's buffer, not copies */
    HT_ASSERT((const uint8_t *)I.cmdline > (uint8_t *)last_copy);
    HT_ASSERT((const uint8_t *)I.cmdline < (uint8_t *)last_copy + B.len);
}

HTEST(unknown_tags_are_skipped) {
    blob_init(&B);
    uint8_t junk[13] = { 1, 2, 3 };
    add_tag(&B, 21, junk, 5);     /* load base address, not parsed */
    add_tag(&B, 1000, junk, 13);  /* odd size: padding must be skipped */
    add_tag(&B, 7, NULL, 0);      /* empty VBE tag */
    add_string_tag(&B, MB2_TAG_CMDLINE, "x");
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_STREQ(I.cmdline, "x");
}

HTEST(trailing_bytes_after_end_tag_are_ignored) {
    blob_init(&B);
    add_end(&B);
    add_string_tag(&B, MB2_TAG_CMDLINE, "after end");
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT(I.cmdline == NULL); /* nothing after the end tag is read */
}

HTEST(err_pointer_may_be_null) {
    blob_init(&B);
    HT_ASSERT_EQ(mb2_parse(bytes(&B), 4, &I, NULL), MB2_E_HEADER);
    add_end(&B);
    HT_ASSERT_EQ(mb2_parse(bytes(&B), B.len, &I, NULL), 0);
}

/* ---- the fixed part ---- */

HTEST(header_too_short) {
    blob_init(&B);
    add_end(&B);
    for (size_t avail = 0; avail < 8; avail++) {
        HT_ASSERT_EQ(parse_n(&B, avail, &I), MB2_E_HEADER);
        HT_ASSERT(strstr(last_err, "8-byte") != NULL);
    }
    HT_ASSERT_EQ(mb2_parse(NULL, 64, &I, &last_err), MB2_E_HEADER);
}

HTEST(total_size_out_of_range) {
    blob_init(&B);
    add_end(&B);
    put32(&B, 0, 7);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_HEADER);
    HT_ASSERT_STREQ(last_err, "total_size < 8");
    put32(&B, 0, 0);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_HEADER);
    put32(&B, 0, 17);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_HEADER);
    HT_ASSERT_STREQ(last_err, "total_size is larger than the readable bytes");
    put32(&B, 0, 0xffffffff);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_HEADER);
    /* the structure is fine but we were allowed fewer bytes */
    put32(&B, 0, 16);
    HT_ASSERT_EQ(parse_n(&B, 15, &I), MB2_E_HEADER);
    HT_ASSERT_EQ(parse_n(&B, 16, &I), 0);
}

HTEST(total_size_eight_has_no_end_tag) {
    blob_init(&B);
    put32(&B, 0, 8);
    HT_ASSERT_EQ(parse_n(&B, 8, &I), MB2_E_NO_END);
}

HTEST(misaligned_info_rejected) {
    blob_init(&B);
    add_end(&B);
    uint8_t *raw = malloc(B.len + 8);
    HT_ASSERT(raw != NULL);
    memcpy(raw + 4, bytes(&B), B.len);
    int rc = mb2_parse(raw + 4, B.len, &I, &last_err);
    free(raw);
    HT_ASSERT_EQ(rc, MB2_E_ALIGN);
}

/* ---- tag framing ---- */

HTEST(tag_size_below_eight) {
    blob_init(&B);
    add_string_tag(&B, MB2_TAG_CMDLINE, "ok");
    size_t off = add_tag(&B, MB2_TAG_MMAP, "\0\0\0\0\0\0\0\0", 8);
    add_end(&B);
    for (uint32_t bad = 0; bad < 8; bad++) {
        put32(&B, off + 4, bad);
        HT_ASSERT_EQ(parse(&B, &I), MB2_E_TAG);
        HT_ASSERT_STREQ(last_err, "tag 6 has size < 8");
        HT_ASSERT_EQ(I.err_tag_type, 6);
        HT_ASSERT_EQ(I.err_offset, off);
    }
}

HTEST(tag_runs_past_total_size) {
    blob_init(&B);
    struct entry e = { 0, 4096, 1 };
    size_t off = add_mmap(&B, 24, &e, 1);
    add_end(&B);
    put32(&B, off + 4, (uint32_t)(B.len - off + 1)); /* one byte too many */
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_TAG);
    HT_ASSERT_STREQ(last_err, "tag 6 runs past total_size");
    HT_ASSERT_EQ(I.err_offset, off);
    put32(&B, off + 4, 0xfffffff8u); /* huge: no wrap-around in the check */
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_TAG);
    put32(&B, off, 4242); /* unknown type gets a generic message */
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_TAG);
    HT_ASSERT_STREQ(last_err, "tag of unknown type runs past total_size");
    HT_ASSERT_EQ(I.err_tag_type, 4242);
}

HTEST(tag_exactly_reaching_total_size_but_no_end) {
    blob_init(&B);
    add_string_tag(&B, MB2_TAG_CMDLINE, "abc"); /* 12 bytes, padded to 16 */
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_NO_END);
    HT_ASSERT_STREQ(last_err, "no end tag before total_size");
    /* total_size cut inside the padding of the last tag */
    put32(&B, 0, 8 + 12);
    HT_ASSERT_EQ(parse_n(&B, 8 + 12, &I), MB2_E_NO_END);
}

HTEST(missing_end_tag) {
    blob_init(&B);
    add_string_tag(&B, MB2_TAG_CMDLINE, "a");
    add_string_tag(&B, MB2_TAG_LOADER_NAME, "b");
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_NO_END);
    /* an end tag present but total_size stops four bytes into it */
    add_end(&B);
    put32(&B, 0, (uint32_t)(B.len - 4));
    HT_ASSERT_EQ(parse_n(&B, B.len - 4, &I), MB2_E_NO_END);
}

HTEST(end_tag_with_wrong_size) {
    blob_init(&B);
    size_t off = add_tag(&B, MB2_TAG_END, "\0\0\0\0\0\0\0\0", 8);
    HT_ASSERT_EQ(get32(&B, off + 4), 16);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_NO_END);
    HT_ASSERT_STREQ(last_err, "end tag (0) size is not 8");
}

/* ---- tag contents ---- */

HTEST(cmdline_must_be_terminated_inside_tag) {
    blob_init(&B);
    size_t off = add_tag(&B, MB2_TAG_CMDLINE, "abcd", 4); /* no NUL */
    add_end(&B);
    /* the padding after the tag is zero, but it is not part of the tag */
    HT_ASSERT_EQ(bytes(&B)[off + 12], 0);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "cmdline tag (1) is not NUL-terminated");
    HT_ASSERT_EQ(I.err_tag_type, 1);

    blob_init(&B);
    add_tag(&B, MB2_TAG_CMDLINE, NULL, 0); /* no bytes at all */
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);

    blob_init(&B);
    add_tag(&B, MB2_TAG_CMDLINE, "", 1); /* just the NUL: empty line */
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_STREQ(I.cmdline, "");

    blob_init(&B);
    add_tag(&B, MB2_TAG_CMDLINE, "ab\0cd", 5); /* NUL inside: stops there */
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_STREQ(I.cmdline, "ab");
}

HTEST(loader_name_must_be_terminated) {
    blob_init(&B);
    add_tag(&B, MB2_TAG_LOADER_NAME, "GRUB", 4);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "loader name tag (2) is not NUL-terminated");
}

HTEST(mmap_entry_size_checks) {
    struct entry e[2] = { { 0x1000, 0x2000, 1 }, { 0x100000, 0x300000, 3 } };
    uint32_t small[] = { 0, 8, 16, 20, 23 };
    for (size_t i = 0; i < ARRAY_SIZE(small); i++) {
        blob_init(&B);
        size_t off = add_mmap(&B, 24, e, 2);
        put32(&B, off + 8, small[i]);
        add_end(&B);
        HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
        HT_ASSERT_STREQ(last_err, "mmap tag (6) has entry_size < 24");
    }
    /* 25 bytes of entries with entry_size 24: a partial entry */
    blob_init(&B);
    size_t off = add_mmap(&B, 24, e, 2);
    put32(&B, off + 4, 16 + 24 + 1);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "mmap tag (6) size is not a whole number of entries");
    /* header only, shorter than entry_size + version */
    blob_init(&B);
    add_tag(&B, MB2_TAG_MMAP, "\x18\0\0\0", 4);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "mmap tag (6) is shorter than 16 bytes");
    /* no entries at all is fine */
    blob_init(&B);
    add_mmap(&B, 24, e, 0);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.mmap_count, 0);
}

HTEST(mmap_larger_entry_size_is_honoured) {
    struct entry e[3] = {
        { 0, 0x9fc00, 1 }, { 0xfee00000, 0x1000, 2 }, { 0x100000000ull, 0x40000000, 4 },
    };
    uint32_t sizes[] = { 24, 28, 32, 40, 100 }; /* 28: fields not 8-aligned */
    for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
        blob_init(&B);
        add_mmap(&B, sizes[s], e, 3);
        add_end(&B);
        HT_ASSERT_EQ(parse(&B, &I), 0);
        HT_ASSERT_EQ(I.mmap_count, 3);
        for (int i = 0; i < 3; i++) {
            HT_ASSERT_EQ(I.mmap[i].addr, e[i].addr);
            HT_ASSERT_EQ(I.mmap[i].len, e[i].len);
            HT_ASSERT_EQ(I.mmap[i].type, e[i].type);
        }
    }
}

HTEST(mmap_overflow_sets_truncated) {
    static struct entry e[200];
    for (int i = 0; i < 200; i++)
        e[i] = (struct entry){ (uint64_t)i << 20, 1 << 20, 1 + i % 5 };
    blob_init(&B);
    add_mmap(&B, 24, e, 200);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.mmap_count, MB2_MAX_MMAP);
    HT_ASSERT(I.mmap_truncated);
    HT_ASSERT_EQ(I.mmap[MB2_MAX_MMAP - 1].addr, (uint64_t)(MB2_MAX_MMAP - 1) << 20);

    /* exactly MAX: no flag */
    blob_init(&B);
    add_mmap(&B, 24, e, MB2_MAX_MMAP);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.mmap_count, MB2_MAX_MMAP);
    HT_ASSERT(!I.mmap_truncated);

    /* two tags append; the second overflows */
    blob_init(&B);
    add_mmap(&B, 24, e, 100);
    add_mmap(&B, 24, e + 100, 100);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.mmap_count, MB2_MAX_MMAP);
    HT_ASSERT(I.mmap_truncated);
    HT_ASSERT_EQ(I.mmap[100].addr, (uint64_t)100 << 20);
}

HTEST(module_checks) {
    blob_init(&B);
    add_module(&B, 0x2000, 0x1fff, "backwards");
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "module tag (3) has mod_start > mod_end");
    HT_ASSERT_EQ(I.err_tag_type, 3);

    blob_init(&B);
    add_tag(&B, MB2_TAG_MODULE, "\0\0\0\0\0\0\0", 7);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "module tag (3) is shorter than 16 bytes");

    blob_init(&B);
    uint32_t se[3] = { 0x1000, 0x2000, 0x41414141 }; /* "AAAA", no NUL */
    add_tag(&B, MB2_TAG_MODULE, se, sizeof(se));
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "module tag (3) string is not NUL-terminated");

    blob_init(&B);
    add_module(&B, 0xffffffffu, 0xffffffffu, "empty at the top");
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.modules[0].start, 0xffffffffu);
}

HTEST(many_modules_truncate_at_max) {
    blob_init(&B);
    char name[16];
    for (uint32_t i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "mod%u", i);
        add_module(&B, i * 0x1000, i * 0x1000 + 0x800, name);
    }
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.module_count, MB2_MAX_MODULES);
    HT_ASSERT(I.modules_truncated);
    HT_ASSERT_STREQ(I.modules[15].cmdline, "mod15");
    HT_ASSERT_EQ(I.modules[15].start, 15 * 0x1000);

    /* a bad module after the limit is still an error: all tags are checked */
    blob_init(&B);
    for (uint32_t i = 0; i < 17; i++)
        add_module(&B, 0, 1, "m");
    add_module(&B, 2, 1, "bad");
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
}

HTEST(rsdp_new_wins_over_old_in_either_order) {
    for (int order = 0; order < 2; order++) {
        blob_init(&B);
        if (order == 0) {
            add_rsdp(&B, MB2_TAG_ACPI_OLD, 20, 0x11);
            add_rsdp(&B, MB2_TAG_ACPI_NEW, 36, 0x22);
        } else {
            add_rsdp(&B, MB2_TAG_ACPI_NEW, 36, 0x22);
            add_rsdp(&B, MB2_TAG_ACPI_OLD, 20, 0x11);
        }
        add_end(&B);
        HT_ASSERT_EQ(parse(&B, &I), 0);
        HT_ASSERT_EQ(I.rsdp_revision, 2);
        HT_ASSERT_EQ(I.rsdp_len, 36);
        HT_ASSERT_EQ(((const uint8_t *)I.rsdp)[20], 0x22);
    }
}

HTEST(rsdp_short_tags_rejected) {
    blob_init(&B);
    add_rsdp(&B, MB2_TAG_ACPI_NEW, 35, 0);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "ACPI new RSDP tag (15) is shorter than 8 + 36 bytes");
    blob_init(&B);
    add_rsdp(&B, MB2_TAG_ACPI_OLD, 19, 0);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_EQ(I.err_tag_type, 14);
    /* longer than needed is fine; the length is reported */
    blob_init(&B);
    add_rsdp(&B, MB2_TAG_ACPI_OLD, 24, 0);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.rsdp_len, 24);
    HT_ASSERT_EQ(I.rsdp_revision, 0);
}

HTEST(framebuffer_rgb_colour_fields) {
    blob_init(&B);
    size_t fb = add_framebuffer(&B, 29); /* 37 bytes: one short of the blue size */
    bytes(&B)[fb + 29] = MB2_FB_RGB;
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "framebuffer tag (8) of RGB type is shorter than 38 bytes");
    blob_init(&B);
    fb = add_framebuffer(&B, 30);
    bytes(&B)[fb + 28] = 16;
    bytes(&B)[fb + 29] = MB2_FB_RGB;
    memcpy(bytes(&B) + fb + 32, "\x0b\x05\x05\x06\x00\x05", 6); /* r5g6b5 */
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT(I.has_fb);
    HT_ASSERT_EQ(I.fb_red_pos, 11);
    HT_ASSERT_EQ(I.fb_red_size, 5);
    HT_ASSERT_EQ(I.fb_green_pos, 5);
    HT_ASSERT_EQ(I.fb_green_size, 6);
    HT_ASSERT_EQ(I.fb_blue_pos, 0);
    HT_ASSERT_EQ(I.fb_blue_size, 5);
    blob_init(&B); /* EGA text has no colour fields to need */
    fb = add_framebuffer(&B, 23);
    bytes(&B)[fb + 29] = MB2_FB_EGA_TEXT;
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.fb_type, MB2_FB_EGA_TEXT);
}

struct efi_desc {
    uint32_t type;
    uint64_t addr, pages;
};

/* An EFI memory map tag (17) with descriptors of desc_size bytes. */
static size_t add_efi_mmap(struct blob *b, uint32_t desc_size, const struct efi_desc *e, size_t n) {
    static uint8_t d[8 + 256 * 64];
    memset(d, 0xee, sizeof(d)); /* VirtualStart, Attribute, padding: garbage */
    memcpy(d, &desc_size, 4);
    uint32_t version = 1;
    memcpy(d + 4, &version, 4);
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = d + 8 + i * desc_size;
        memcpy(p, &e[i].type, 4);
        memcpy(p + 8, &e[i].addr, 8);
        memcpy(p + 24, &e[i].pages, 8);
    }
    return add_tag(b, MB2_TAG_EFI_MMAP, d, 8 + n * desc_size);
}

HTEST(efi_memory_map_wins_and_merges) {
    /* OVMF-like: boot-services memory beside conventional memory is one
     * free range once boot services have exited. */
    struct efi_desc efi[] = {
        { 7, 0x0, 0x9f }, { 3, 0x9f000, 1 },          /* free, merged */
        { 0, 0xa0000, 0x60 },                          /* reserved */
        { 2, 0x100000, 0x100 }, { 4, 0x200000, 0x700 }, { 7, 0x900000, 0x100 },
        { 9, 0xa00000, 2 }, { 10, 0xa02000, 1 }, { 8, 0xa03000, 1 },
        { 5, 0xa04000, 4 }, { 11, 0xfec00000, 1 }, { 7, 0xb00000, 0 },
    };
    struct entry e[1] = { { 0, 0x9fc00, 1 } };
    for (int efi_first = 0; efi_first < 2; efi_first++) {
        blob_init(&B);
        if (!efi_first)
            add_mmap(&B, 24, e, 1);
        add_efi_mmap(&B, 48, efi, ARRAY_SIZE(efi));
        if (efi_first)
            add_mmap(&B, 24, e, 1);
        add_end(&B);
        HT_ASSERT_EQ(parse(&B, &I), 0);
        HT_ASSERT(I.mmap_from_efi);
        HT_ASSERT_EQ(I.mmap_count, 8);
        HT_ASSERT(I.mmap[0].addr == 0 && I.mmap[0].len == 0xa0000 && I.mmap[0].type == MB2_MMAP_AVAILABLE);
        HT_ASSERT(I.mmap[1].addr == 0xa0000 && I.mmap[1].type == MB2_MMAP_RESERVED);
        HT_ASSERT(I.mmap[2].addr == 0x100000 && I.mmap[2].len == 0x900000 && I.mmap[2].type == MB2_MMAP_AVAILABLE);
        HT_ASSERT_EQ(I.mmap[3].type, MB2_MMAP_ACPI_RECLAIMABLE);
        HT_ASSERT_EQ(I.mmap[4].type, MB2_MMAP_NVS);
        HT_ASSERT_EQ(I.mmap[5].type, MB2_MMAP_BAD);
        HT_ASSERT(I.mmap[6].addr == 0xa04000 && I.mmap[6].type == MB2_MMAP_RESERVED);
        HT_ASSERT(I.mmap[7].addr == 0xfec00000 && I.mmap[7].len == 0x1000);
    }
}

HTEST(efi_memory_map_bad_contents) {
    struct efi_desc big[] = { { 7, 0xfffffffffffff000ull, 2 } };
    blob_init(&B);
    add_efi_mmap(&B, 48, big, 1);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "EFI mmap tag (17) has a range past the top of memory");
    blob_init(&B);
    add_efi_mmap(&B, 32, big, 1);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "EFI mmap tag (17) has descriptor_size < 40");
    blob_init(&B);
    add_tag(&B, MB2_TAG_EFI_MMAP, "\x30\0\0\0", 4);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "EFI mmap tag (17) is shorter than 16 bytes");
    /* More separate ranges than the table holds: truncated, not overrun. */
    static struct efi_desc many[MB2_MAX_MMAP + 5];
    for (size_t i = 0; i < ARRAY_SIZE(many); i++)
        many[i] = (struct efi_desc){ (uint32_t)(i % 2 ? 0 : 7), i * 0x1000, 1 };
    blob_init(&B);
    add_efi_mmap(&B, 40, many, ARRAY_SIZE(many));
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.mmap_count, MB2_MAX_MMAP);
    HT_ASSERT(I.mmap_truncated);
}

HTEST(framebuffer_and_meminfo_short) {
    blob_init(&B);
    add_framebuffer(&B, 22); /* 30 bytes: framebuffer_type present, reserved not */
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "framebuffer tag (8) is shorter than 31 bytes");
    blob_init(&B);
    add_framebuffer(&B, 23);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT(I.has_fb);
    blob_init(&B);
    add_tag(&B, MB2_TAG_BASIC_MEMINFO, "\1\0\0\0", 4);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), MB2_E_CONTENT);
    HT_ASSERT_STREQ(last_err, "basic meminfo tag (4) is shorter than 16 bytes");
}

HTEST(out_is_reset_between_calls) {
    blob_init(&B);
    add_string_tag(&B, MB2_TAG_CMDLINE, "x");
    add_module(&B, 0, 1, "m");
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT_EQ(I.module_count, 1);
    blob_init(&B);
    add_end(&B);
    HT_ASSERT_EQ(parse(&B, &I), 0);
    HT_ASSERT(I.cmdline == NULL);
    HT_ASSERT_EQ(I.module_count, 0);
}

HTEST(mmap_type_names) {
    HT_ASSERT_STREQ(mb2_mmap_type_name(1), "available");
    HT_ASSERT_STREQ(mb2_mmap_type_name(2), "reserved");
    HT_ASSERT_STREQ(mb2_mmap_type_name(3), "ACPI reclaimable");
    HT_ASSERT_STREQ(mb2_mmap_type_name(4), "ACPI NVS");
    HT_ASSERT_STREQ(mb2_mmap_type_name(5), "bad RAM");
    HT_ASSERT_STREQ(mb2_mmap_type_name(0), "reserved");
    HT_ASSERT_STREQ(mb2_mmap_type_name(0xffffffffu), "reserved");
}

/*
 * Random corruption of a valid blob: whatever the bytes, the parser must
 * not read outside them (ASan), must return 0 or a known error with a
 * message, and on success everything it points at lies inside total_size.
 */
static uint64_t rng_state = 0x1234567887654321ull;

static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool inside(const void *p, size_t total) {
    const uint8_t *b = last_copy;
    return (const uint8_t *)p >= b && (const uint8_t *)p < b + total;
}

HTEST(random_corruption_is_caught_safely) {
    static struct blob good;
    blob_init(&good);
    add_string_tag(&good, MB2_TAG_CMDLINE, "model=leader");
    add_string_tag(&good, MB2_TAG_LOADER_NAME, "GRUB");
    struct entry e[4] = { { 0, 0x9fc00, 1 }, { 0x100000, 1 << 30, 1 },
                          { 0xfec00000, 0x1000, 2 }, { 0x7ff0000, 0x10000, 3 } };
    add_mmap(&good, 24, e, 4);
    add_module(&good, 0x400000, 0x480000, "init");
    add_rsdp(&good, MB2_TAG_ACPI_NEW, 36, 7);
    add_end(&good);
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(&B, &good, sizeof(B));
        int flips = 1 + (int)(rng() % 4);
        for (int f = 0; f < flips; f++) {
            size_t off = (rng() % (B.len / 4)) * 4;
            switch (rng() % 3) {
            case 0: bytes(&B)[off + rng() % 4] ^= (uint8_t)(1u << (rng() % 8)); break;
            case 1: put32(&B, off, (uint32_t)rng() % 64); break;
            default: put32(&B, off, (uint32_t)rng()); break;
            }
        }
        size_t avail = rng() % 8 == 0 ? rng() % (B.len + 1) : B.len;
        int rc = parse_n(&B, avail, &I);
        if (rc == 0) {
            ok++;
            HT_ASSERT(I.total_size <= avail);
            HT_ASSERT(I.cmdline == NULL || inside(I.cmdline, I.total_size));
            HT_ASSERT(I.loader_name == NULL || inside(I.loader_name, I.total_size));
            HT_ASSERT(I.rsdp == NULL || inside((const uint8_t *)I.rsdp + I.rsdp_len - 1, I.total_size));
            HT_ASSERT(I.mmap_count <= MB2_MAX_MMAP && I.module_count <= MB2_MAX_MODULES);
            for (size_t m = 0; m < I.module_count; m++) {
                HT_ASSERT(I.modules[m].start <= I.modules[m].end);
                HT_ASSERT(inside(I.modules[m].cmdline, I.total_size));
            }
        } else {
            bad++;
            HT_ASSERT(rc >= MB2_E_CONTENT && rc <= MB2_E_HEADER);
            HT_ASSERT(last_err != NULL && strcmp(last_err, "untouched") != 0);
        }
    }
    HT_ASSERT(ok > 100 && bad > 100); /* both paths really exercised */
}

int main(void) {
    int rc = htest_main("mb2");
    free(last_copy);
    return rc;
}
