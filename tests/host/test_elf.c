/*
 * Host tests of lib/elf.c. A small valid ET_EXEC image is built in memory
 * (text R+X, data R+W with .bss, and a PT_GNU_STACK), then mutated one
 * field at a time. Every parse runs on an exact-size heap copy so ASan
 * catches any read past the file. When the host compiler can link static
 * non-PIE programs, real linker output is checked too; /bin/true (a PIE on
 * Debian) must be rejected with a useful message.
 */
#include "tests/host/htest.h"
#include "lib/elf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#define USER_LO 0x1000ull
#define USER_HI 0x800000000000ull

#define TEXT_OFF 0x1000
#define TEXT_VA 0x401000ull
#define TEXT_SZ 0x100
#define DATA_OFF 0x2000
#define DATA_VA 0x402000ull
#define DATA_FSZ 0x80
#define DATA_MSZ 0x1000
#define FILE_SZ (DATA_OFF + DATA_FSZ)

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551u

static uint8_t img[0x4000];
static size_t img_size;
static struct elf_image out;
static const char *err;

static void put(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Offsets in Elf64_Ehdr / Elf64_Phdr (gABI). */
static void eh(int off, uint64_t v, int bytes) { put(img + off, v, bytes); }

static uint8_t *ph(int i) { return img + 64 + 56 * i; }

static void phdr(int i, uint32_t type, uint32_t flags, uint64_t off,
                 uint64_t va, uint64_t fsz, uint64_t msz, uint64_t align)
{
    uint8_t *p = ph(i);
    put(p, type, 4);
    put(p + 4, flags, 4);
    put(p + 8, off, 8);
    put(p + 16, va, 8);
    put(p + 24, va, 8);
    put(p + 32, fsz, 8);
    put(p + 40, msz, 8);
    put(p + 48, align, 8);
}

static void ph_set(int i, int off, uint64_t v) { put(ph(i) + off, v, 8); }

enum { P_OFFSET = 8, P_VADDR = 16, P_FILESZ = 32, P_MEMSZ = 40, P_ALIGN = 48 };

static void build_n(int phnum)
{
    memset(img, 0, sizeof img);
    memcpy(img, "\177ELF", 4);
    img[4] = 2; /* ELFCLASS64 */
    img[5] = 1; /* ELFDATA2LSB */
    img[6] = 1; /* EV_CURRENT */
    eh(16, 2, 2);  /* ET_EXEC */
    eh(18, 62, 2); /* EM_X86_64 */
    eh(20, 1, 4);
    eh(24, TEXT_VA, 8);
    eh(32, 64, 8); /* e_phoff */
    eh(52, 64, 2);
    eh(54, 56, 2);
    eh(56, (uint64_t)phnum, 2);
    eh(58, 64, 2);
    memset(img + TEXT_OFF, 0x90, TEXT_SZ);
    memset(img + DATA_OFF, 0x11, DATA_FSZ);
    img_size = FILE_SZ;
}

static void build(void)
{
    build_n(3);
    phdr(0, PT_LOAD, 5, TEXT_OFF, TEXT_VA, TEXT_SZ, TEXT_SZ, 0x1000);
    phdr(1, PT_LOAD, 6, DATA_OFF, DATA_VA, DATA_FSZ, DATA_MSZ, 0x1000);
    phdr(2, PT_GNU_STACK, 6, 0, 0, 0, 0, 16);
}

static int parse_bytes(const void *data, size_t n)
{
    void *copy = malloc(n ? n : 1);
    int rc;
    memcpy(copy, data, n);
    err = NULL;
    rc = elf_parse(copy, n, USER_LO, USER_HI, &out, &err);
    free(copy);
    return rc;
}

static int parse(void)
{
    return parse_bytes(img, img_size);
}

/* Expect rejection with a message containing `part`. */
#define REJECT(part)                                                         \
    do {                                                                     \
        HT_ASSERT_EQ(parse(), ELF_EINVAL);                                   \
        HT_ASSERT(err != NULL);                                              \
        if (!strstr(err, part))                                              \
            HT_FAIL_AT("message \"%s\" lacks \"%s\"", err, part);           \
        HT_ASSERT_EQ(out.segment_count, 0);                                  \
    } while (0)

/* ---- valid images ------------------------------------------------------ */

HTEST(valid_image)
{
    build();
    HT_ASSERT_EQ(parse(), 0);
    HT_ASSERT_STREQ(err, "ok");
    HT_ASSERT_EQ(out.entry, TEXT_VA);
    HT_ASSERT_EQ(out.segment_count, 2);
    HT_ASSERT_EQ(out.segments[0].vaddr, TEXT_VA);
    HT_ASSERT_EQ(out.segments[0].offset, TEXT_OFF);
    HT_ASSERT_EQ(out.segments[0].filesz, TEXT_SZ);
    HT_ASSERT(out.segments[0].read && out.segments[0].exec);
    HT_ASSERT(!out.segments[0].write);
    HT_ASSERT_EQ(out.segments[1].memsz, DATA_MSZ);
    HT_ASSERT_EQ(out.segments[1].filesz, DATA_FSZ);
    HT_ASSERT(out.segments[1].read && out.segments[1].write);
    HT_ASSERT(!out.segments[1].exec);
    HT_ASSERT_EQ(out.lowest, 0x401000);
    HT_ASSERT_EQ(out.highest, 0x403000);
}

HTEST(err_may_be_null)
{
    build();
    HT_ASSERT_EQ(elf_parse(img, img_size, USER_LO, USER_HI, &out, NULL), 0);
    img[0] = 0;
    HT_ASSERT_EQ(elf_parse(img, img_size, USER_LO, USER_HI, &out, NULL),
                 ELF_EINVAL);
    HT_ASSERT_EQ(elf_parse(NULL, 100, USER_LO, USER_HI, &out, &err),
                 ELF_EINVAL);
    HT_ASSERT_STREQ(err, "no file");
    HT_ASSERT_EQ(elf_parse(img, img_size, USER_LO, USER_HI, NULL, &err),
                 ELF_EINVAL);
}

HTEST(trailing_bytes_and_section_headers_ignored)
{
    build();
    img_size = sizeof img; /* extra bytes after the last segment */
    eh(40, 0x3000, 8);      /* e_shoff: sections are not needed to load */
    eh(60, 0xFFFF, 2);
    HT_ASSERT_EQ(parse(), 0);
}

HTEST(other_segment_types_ignored)
{
    build_n(6);
    phdr(0, PT_NOTE, 4, 0x40, 0x400040, 0x20, 0x20, 4);
    phdr(1, PT_LOAD, 5, TEXT_OFF, TEXT_VA, TEXT_SZ, TEXT_SZ, 0x1000);
    phdr(2, PT_TLS, 4, DATA_OFF, DATA_VA, 8, 16, 8);
    phdr(3, PT_LOAD, 6, DATA_OFF, DATA_VA, DATA_FSZ, DATA_MSZ, 0x1000);
    phdr(4, 0x70000000u, 0, 0xFFFFFFFFFFFFull, 0, 1, 1, 3); /* junk, ignored */
    phdr(5, PT_GNU_STACK, 6, 0, 0, 0, 0, 16);
    HT_ASSERT_EQ(parse(), 0);
    HT_ASSERT_EQ(out.segment_count, 2);
}

HTEST(align_zero_one_and_large_accepted)
{
    uint64_t aligns[] = {0, 1, 0x1000, 0x200000};
    for (size_t i = 0; i < 4; i++) {
        build();
        ph_set(0, P_ALIGN, aligns[i]);
        if (aligns[i] == 0x200000) { /* vaddr == offset mod 2 MiB */
            ph_set(0, P_VADDR, 0x601000);
            eh(24, 0x601000, 8);
        }
        HT_ASSERT_EQ(parse(), 0);
    }
}

HTEST(segments_may_share_a_page)
{
    build();
    /* data starts right after text, in the same page, with no file bytes */
    ph_set(1, P_VADDR, TEXT_VA + TEXT_SZ);
    ph_set(1, P_OFFSET, TEXT_OFF + TEXT_SZ);
    ph_set(1, P_FILESZ, 0);
    ph_set(1, P_MEMSZ, 0x20);
    HT_ASSERT_EQ(parse(), 0);
    HT_ASSERT_EQ(out.lowest, 0x401000);
    HT_ASSERT_EQ(out.highest, 0x402000);
}

HTEST(empty_load_segment_skipped)
{
    build();
    phdr(2, PT_LOAD, 6, 0, TEXT_VA, 0, 0, 0x1000); /* memsz 0 */
    HT_ASSERT_EQ(parse(), 0);
    HT_ASSERT_EQ(out.segment_count, 2);
}

HTEST(range_boundaries)
{
    build();
    /* data ends exactly at user_hi: allowed (half-open range) */
    ph_set(1, P_VADDR, USER_HI - DATA_MSZ);
    HT_ASSERT_EQ(parse(), 0);
    HT_ASSERT_EQ(out.highest, USER_HI);
    /* text starts exactly at user_lo */
    build();
    ph_set(0, P_VADDR, USER_LO);
    eh(24, USER_LO + TEXT_SZ - 1, 8); /* entry at the last text byte */
    HT_ASSERT_EQ(parse(), 0);
    HT_ASSERT_EQ(out.lowest, USER_LO);
}

/* ---- header checks ----------------------------------------------------- */

HTEST(truncated_at_every_length)
{
    build();
    for (size_t n = 0; n < FILE_SZ; n++) {
        img_size = n;
        HT_ASSERT_EQ(parse(), ELF_EINVAL);
        HT_ASSERT(err != NULL && strcmp(err, "ok") != 0);
    }
    img_size = 10;
    REJECT("shorter than the ELF header");
    img_size = 64 + 56 * 3 - 1;
    REJECT("program header table outside the file");
    img_size = FILE_SZ - 1;
    REJECT("file data outside the file");
    img_size = FILE_SZ;
    HT_ASSERT_EQ(parse(), 0);
}

HTEST(bad_magic)
{
    for (int i = 0; i < 4; i++) {
        build();
        img[i] ^= 0x20;
        REJECT("bad ELF magic");
    }
}

HTEST(wrong_class)
{
    build();
    img[4] = 1; /* ELFCLASS32 */
    REJECT("not a 64-bit");
    img[4] = 0;
    REJECT("not a 64-bit");
}

HTEST(big_endian)
{
    build();
    img[5] = 2;
    REJECT("little-endian");
    img[5] = 0;
    REJECT("little-endian");
}

HTEST(bad_version)
{
    build();
    img[6] = 0;
    REJECT("version");
    build();
    eh(20, 2, 4);
    REJECT("version");
}

HTEST(wrong_machine)
{
    build();
    eh(18, 3, 2); /* EM_386 */
    REJECT("x86-64");
    eh(18, 183, 2); /* EM_AARCH64 */
    REJECT("x86-64");
}

HTEST(wrong_type)
{
    build();
    eh(16, 3, 2);
    REJECT("ET_DYN");
    eh(16, 1, 2); /* ET_REL */
    REJECT("not an executable");
    eh(16, 4, 2); /* ET_CORE */
    REJECT("not an executable");
}

HTEST(bad_header_sizes)
{
    build();
    eh(52, 52, 2);
    REJECT("e_ehsize");
    build();
    eh(54, 32, 2);
    REJECT("e_phentsize");
    build();
    eh(54, 64, 2);
    REJECT("e_phentsize");
}

HTEST(phoff_out_of_file)
{
    build();
    eh(32, FILE_SZ + 1, 8);
    REJECT("program header table outside");
    eh(32, FILE_SZ - 56 * 3 + 1, 8); /* one byte too far */
    REJECT("program header table outside");
    eh(32, UINT64_MAX - 8, 8); /* phoff + size would wrap */
    REJECT("program header table outside");
}

HTEST(phnum_bounds)
{
    build();
    eh(56, 0, 2);
    REJECT("no program headers");
    eh(56, ELF_MAX_PHNUM + 1, 2);
    REJECT("too many program headers");
    eh(56, 0xFFFF, 2); /* PN_XNUM: not supported */
    REJECT("too many program headers");
}

/* ---- segment checks ---------------------------------------------------- */

HTEST(filesz_exceeds_memsz)
{
    build();
    ph_set(1, P_MEMSZ, DATA_FSZ - 1);
    REJECT("p_filesz exceeds p_memsz");
}

HTEST(file_range_overflow)
{
    build();
    ph_set(1, P_OFFSET, UINT64_MAX - 0x10); /* offset + filesz wraps */
    REJECT("file data outside the file");
    build();
    ph_set(1, P_OFFSET, FILE_SZ + 0x1000); /* starts past the end */
    ph_set(1, P_FILESZ, 0);
    REJECT("file data outside the file");
    build();
    ph_set(1, P_FILESZ, DATA_FSZ + 1); /* ends one byte past */
    REJECT("file data outside the file");
}

HTEST(address_overflow)
{
    build();
    ph_set(1, P_VADDR, 0xFFFFFFFFFFFFF000ull);
    ph_set(1, P_MEMSZ, 0x2000);
    REJECT("overflows");
    build();
    ph_set(1, P_VADDR, 0xFFFFFFFFFFFFF000ull);
    ph_set(1, P_MEMSZ, 0xFFF); /* end fits, its page round-up does not */
    REJECT("overflows");
}

HTEST(outside_user_range)
{
    build();
    ph_set(1, P_VADDR, 0xFFFFFFFF80002000ull); /* kernel half */
    REJECT("outside the user address range");
    build();
    ph_set(0, P_VADDR, 0); /* page 0 is below user_lo */
    eh(24, 0, 8);
    REJECT("outside the user address range");
    build();
    ph_set(1, P_VADDR, USER_HI - DATA_MSZ + 0x1000); /* crosses user_hi */
    REJECT("outside the user address range");
    build();
    ph_set(1, P_VADDR, USER_HI); /* starts at user_hi */
    REJECT("outside the user address range");
    build();
    /* ends 1 byte past user_hi: the page-rounded end exceeds it */
    ph_set(1, P_VADDR, USER_HI - DATA_MSZ);
    ph_set(1, P_MEMSZ, DATA_MSZ + 1);
    REJECT("outside the user address range");
}

HTEST(misaligned_segments)
{
    build();
    ph_set(0, P_VADDR, TEXT_VA + 0x10); /* vaddr != offset mod 4096 */
    eh(24, TEXT_VA + 0x10, 8);
    REJECT("differ modulo the page size");
    build();
    ph_set(0, P_ALIGN, 3);
    REJECT("not a power of two");
    build();
    ph_set(0, P_ALIGN, 0x3000);
    REJECT("not a power of two");
    build();
    ph_set(0, P_ALIGN, 0x800000); /* 0x401000 - 0x1000 is not 8 MiB aligned */
    REJECT("differ modulo p_align");
}

HTEST(overlapping_segments)
{
    build();
    ph_set(1, P_VADDR, TEXT_VA + TEXT_SZ - 0x10); /* last 16 text bytes */
    ph_set(1, P_OFFSET, TEXT_OFF + TEXT_SZ - 0x10);
    ph_set(1, P_FILESZ, 0);
    ph_set(1, P_MEMSZ, 0x20);
    REJECT("segments overlap");
    build();
    ph_set(1, P_VADDR, TEXT_VA); /* identical start */
    ph_set(1, P_OFFSET, TEXT_OFF);
    ph_set(1, P_FILESZ, 0);
    REJECT("segments overlap");
    build();
    ph_set(1, P_VADDR, 0x400000); /* data covers all of text */
    ph_set(1, P_MEMSZ, 0x10000);
    REJECT("segments overlap");
}

HTEST(entry_checks)
{
    build();
    eh(24, 0x500000, 8); /* nowhere */
    REJECT("entry point");
    eh(24, DATA_VA, 8); /* in the non-executable data segment */
    REJECT("entry point");
    eh(24, TEXT_VA + TEXT_SZ, 8); /* one past the end of text */
    REJECT("entry point");
    eh(24, TEXT_VA - 1, 8);
    REJECT("entry point");
    eh(24, TEXT_VA + TEXT_SZ - 1, 8);
    HT_ASSERT_EQ(parse(), 0);
}

HTEST(no_load_segment)
{
    build();
    put(ph(0), PT_NOTE, 4);
    put(ph(1), PT_NOTE, 4);
    REJECT("no loadable");
    build();
    ph_set(0, P_MEMSZ, 0);
    ph_set(0, P_FILESZ, 0);
    ph_set(1, P_MEMSZ, 0);
    ph_set(1, P_FILESZ, 0);
    REJECT("no loadable");
}

HTEST(interp_rejected)
{
    build();
    phdr(2, PT_INTERP, 4, 0x100, 0x400100, 0x1c, 0x1c, 1);
    REJECT("PT_INTERP");
}

static void build_many(int count)
{
    build_n(count);
    for (int i = 0; i < count; i++)
        phdr(i, PT_LOAD, i == 0 ? 5 : 6, 0, TEXT_VA + 0x1000ull * i, 0x10,
             0x10, 0x1000);
}

HTEST(segment_count_limit)
{
    build_many(ELF_MAX_SEGMENTS);
    HT_ASSERT_EQ(parse(), 0);
    HT_ASSERT_EQ(out.segment_count, ELF_MAX_SEGMENTS);
    HT_ASSERT_EQ(out.highest, TEXT_VA + 0x1000ull * ELF_MAX_SEGMENTS);
    build_many(ELF_MAX_SEGMENTS + 1);
    REJECT("too many PT_LOAD");
}

/* Random field corruption: must never crash or read outside the file. */
HTEST(random_corruption)
{
    uint32_t r = 777;
    for (int iter = 0; iter < 20000; iter++) {
        build();
        for (int k = 0; k < 1 + iter % 3; k++) {
            r = r * 1103515245u + 12345u;
            size_t at = (r >> 8) % (64 + 56 * 3);
            r = r * 1103515245u + 12345u;
            img[at] = (uint8_t)(r >> 16);
        }
        if (parse() == 0) {
            HT_ASSERT(out.segment_count >= 1);
            HT_ASSERT(out.lowest < out.highest);
            HT_ASSERT(out.lowest >= USER_LO && out.highest <= USER_HI);
        } else {
            HT_ASSERT(err && out.segment_count == 0);
        }
    }
}

/* ---- real files ------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long len;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    buf = malloc(len > 0 ? (size_t)len : 1);
    *n = fread(buf, 1, (size_t)(len > 0 ? len : 0), f);
    fclose(f);
    return buf;
}

HTEST(bin_true_rejected)
{
    size_t n = 0;
    uint8_t *buf = read_file("/bin/true", &n);
    int rc;
    HT_ASSERT(buf != NULL);
    rc = parse_bytes(buf, n);
    free(buf);
    HT_ASSERT_EQ(rc, ELF_EINVAL);
    /* a PIE (ET_DYN) or a dynamically linked ET_EXEC */
    if (!strstr(err, "ET_DYN") && !strstr(err, "PT_INTERP"))
        HT_FAIL_AT("unexpected message \"%s\"", err);
}

/* Link a program with the host compiler; returns the file or NULL. */
static uint8_t *compile(const char *src, const char *flags, size_t *n)
{
    char dir[] = "/tmp/test_elf_XXXXXX", cmd[512], path[64];
    uint8_t *buf = NULL;
    FILE *f;
    if (!mkdtemp(dir))
        return NULL;
    snprintf(path, sizeof path, "%s/p.c", dir);
    f = fopen(path, "w");
    if (f) {
        fputs(src, f);
        fclose(f);
        snprintf(cmd, sizeof cmd,
                 "cc -O1 %s -o %s/p %s/p.c >/dev/null 2>&1", flags, dir, dir);
        if (system(cmd) == 0) {
            snprintf(path, sizeof path, "%s/p", dir);
            buf = read_file(path, n);
        }
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("    (could not remove %s)\n", dir);
    return buf;
}

static void check_real(int *ht_failed_, uint8_t *buf, size_t n)
{
    int rc = parse_bytes(buf, n);
    free(buf);
    if (rc != 0)
        HT_FAIL_AT("real static executable rejected: %s", err);
    HT_ASSERT(out.segment_count >= 2);
    HT_ASSERT(out.lowest >= 0x400000);
    HT_ASSERT(out.lowest % 4096 == 0 && out.highest % 4096 == 0);
}

static void real_static_nostdlib(int *ht_failed_)
{
    size_t n = 0;
    uint8_t *buf = compile(
        "int counter = 1; char big[8192];\n"
        "void _start(void) { counter += big[1]; for (;;) {} }\n",
        "-static -nostdlib -no-pie -fno-pie", &n);
    HT_ASSERT(buf != NULL);
    check_real(ht_failed_, buf, n);
}

static void real_static_libc(int *ht_failed_)
{
    size_t n = 0;
    uint8_t *buf = compile(
        "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
        "-static -no-pie -fno-pie", &n);
    HT_ASSERT(buf != NULL);
    check_real(ht_failed_, buf, n);
}

/* Register the real-compiler tests only when the compiler can actually
 * link them, so a pass always means the check ran. */
static void register_if(bool ok, const char *name, void (*fn)(int *))
{
    if (ok && htest_count < HTEST_MAX)
        htest_table[htest_count++] = (struct htest){name, fn};
    else
        printf("SKIP elf.%s (host toolchain cannot build it)\n", name);
}

static bool can_link(const char *src, const char *flags)
{
    size_t n;
    uint8_t *buf = compile(src, flags, &n);
    bool ok = buf != NULL;
    free(buf);
    return ok;
}

int main(void)
{
    register_if(can_link("void _start(void) { for (;;) {} }\n",
                         "-static -nostdlib -no-pie -fno-pie"),
                "real_static_nostdlib", real_static_nostdlib);
    register_if(can_link("int main(void) { return 0; }\n",
                         "-static -no-pie -fno-pie"),
                "real_static_libc", real_static_libc);
    return htest_main("elf");
}
