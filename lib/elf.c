/*
 * ELF64 executable validation; see lib/elf.h. Field offsets are those of
 * Elf64_Ehdr and Elf64_Phdr in the gABI ("ELF Header", "Program Header").
 */
#include "lib/elf.h"
#include "lib/string.h"

/* Elf64_Ehdr */
#define EH_SIZE 64
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define E_TYPE 16
#define E_MACHINE 18
#define E_VERSION 20
#define E_ENTRY 24
#define E_PHOFF 32
#define E_EHSIZE 52
#define E_PHENTSIZE 54
#define E_PHNUM 56

#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62

/* Elf64_Phdr */
#define PH_SIZE 56
#define P_TYPE 0
#define P_FLAGS 4
#define P_OFFSET 8
#define P_VADDR 16
#define P_FILESZ 32
#define P_MEMSZ 40
#define P_ALIGN 48

#define PT_LOAD 1
#define PT_INTERP 3
#define PF_X 1
#define PF_W 2
#define PF_R 4

#define PAGE_MASK ((uint64_t)ELF_PAGE_SIZE - 1)

/* Little-endian reads, byte by byte: no alignment assumptions. */
static uint64_t rd(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    while (bytes--)
        v = v << 8 | p[bytes];
    return v;
}

struct ctx {
    const uint8_t *file;
    size_t size;
    uint64_t user_lo, user_hi;
    struct elf_image *out;
    const char *err;
};

static int reject(struct ctx *c, const char *why)
{
    c->err = why;
    return ELF_EINVAL;
}

static int check_ident(struct ctx *c)
{
    const uint8_t *f = c->file;
    if (c->size < EH_SIZE)
        return reject(c, "file shorter than the ELF header");
    if (memcmp(f, "\177ELF", 4) != 0)
        return reject(c, "bad ELF magic");
    if (f[EI_CLASS] != ELFCLASS64)
        return reject(c, "not a 64-bit ELF file (EI_CLASS)");
    if (f[EI_DATA] != ELFDATA2LSB)
        return reject(c, "not little-endian (EI_DATA)");
    if (f[EI_VERSION] != EV_CURRENT || rd(f + E_VERSION, 4) != EV_CURRENT)
        return reject(c, "unknown ELF version");
    return 0;
}

static int check_header(struct ctx *c)
{
    const uint8_t *f = c->file;
    uint64_t type = rd(f + E_TYPE, 2);
    if (type == ET_DYN)
        return reject(c, "ET_DYN (shared object or PIE) is not supported; "
                         "link with -static -no-pie");
    if (type != ET_EXEC)
        return reject(c, "not an executable (e_type)");
    if (rd(f + E_MACHINE, 2) != EM_X86_64)
        return reject(c, "not an x86-64 file (e_machine)");
    if (rd(f + E_EHSIZE, 2) != EH_SIZE)
        return reject(c, "bad e_ehsize");
    if (rd(f + E_PHENTSIZE, 2) != PH_SIZE)
        return reject(c, "bad e_phentsize (must be 56)");
    return 0;
}

/* The program header table must lie wholly inside the file; phnum is
 * bounded first, so phnum * 56 cannot overflow. */
static int check_phdr_table(struct ctx *c, uint64_t phoff, uint64_t phnum)
{
    if (phnum == 0)
        return reject(c, "no program headers");
    if (phnum > ELF_MAX_PHNUM)
        return reject(c, "too many program headers");
    if (phoff > c->size || phnum * PH_SIZE > c->size - phoff)
        return reject(c, "program header table outside the file");
    return 0;
}

static bool is_pow2(uint64_t x)
{
    return (x & (x - 1)) == 0;
}

/* Placement rules for one PT_LOAD (gABI "Program Header", p_align etc). */
static int check_load(struct ctx *c, const struct elf_segment *s,
                      uint64_t align)
{
    uint64_t end;
    if (s->filesz > s->memsz)
        return reject(c, "segment p_filesz exceeds p_memsz");
    if (s->offset > c->size || s->filesz > c->size - s->offset)
        return reject(c, "segment file data outside the file");
    if (s->vaddr + s->memsz < s->vaddr)
        return reject(c, "segment address range overflows");
    end = s->vaddr + s->memsz;
    if (end > UINT64_MAX - PAGE_MASK)
        return reject(c, "segment address range overflows");
    if ((s->vaddr & ~PAGE_MASK) < c->user_lo ||
        ((end + PAGE_MASK) & ~PAGE_MASK) > c->user_hi)
        return reject(c, "segment outside the user address range");
    if (align > 1 && !is_pow2(align))
        return reject(c, "segment p_align is not a power of two");
    if ((s->vaddr & PAGE_MASK) != (s->offset & PAGE_MASK))
        return reject(c, "segment p_vaddr and p_offset differ modulo the "
                         "page size");
    if (align > 1 && ((s->vaddr - s->offset) & (align - 1)) != 0)
        return reject(c, "segment p_vaddr and p_offset differ modulo "
                         "p_align");
    return 0;
}

static bool overlaps(const struct elf_segment *a, const struct elf_segment *b)
{
    return a->vaddr < b->vaddr + b->memsz && b->vaddr < a->vaddr + a->memsz;
}

static int add_segment(struct ctx *c, const struct elf_segment *s)
{
    struct elf_image *img = c->out;
    for (int i = 0; i < img->segment_count; i++)
        if (overlaps(&img->segments[i], s))
            return reject(c, "segments overlap");
    if (img->segment_count == ELF_MAX_SEGMENTS)
        return reject(c, "too many PT_LOAD segments");
    img->segments[img->segment_count++] = *s;
    return 0;
}

static int load_phdr(struct ctx *c, const uint8_t *ph)
{
    uint64_t type = rd(ph + P_TYPE, 4), flags = rd(ph + P_FLAGS, 4);
    struct elf_segment s;
    int rc;
    if (type == PT_INTERP)
        return reject(c, "dynamically linked (PT_INTERP); link with -static");
    if (type != PT_LOAD)
        return 0; /* PT_GNU_STACK, PT_NOTE, PT_TLS, ...: nothing to map */
    s = (struct elf_segment){
        .vaddr = rd(ph + P_VADDR, 8),
        .memsz = rd(ph + P_MEMSZ, 8),
        .filesz = rd(ph + P_FILESZ, 8),
        .offset = rd(ph + P_OFFSET, 8),
        .read = flags & PF_R,
        .write = flags & PF_W,
        .exec = flags & PF_X,
    };
    rc = check_load(c, &s, rd(ph + P_ALIGN, 8));
    if (rc == 0 && s.memsz > 0) /* an empty segment maps nothing */
        rc = add_segment(c, &s);
    return rc;
}

static bool entry_is_executable(const struct elf_image *img)
{
    for (int i = 0; i < img->segment_count; i++) {
        const struct elf_segment *s = &img->segments[i];
        if (s->exec && img->entry >= s->vaddr &&
            img->entry - s->vaddr < s->memsz)
            return true;
    }
    return false;
}

static void compute_bounds(struct elf_image *img)
{
    img->lowest = UINT64_MAX;
    img->highest = 0;
    for (int i = 0; i < img->segment_count; i++) {
        const struct elf_segment *s = &img->segments[i];
        uint64_t lo = s->vaddr & ~PAGE_MASK;
        uint64_t hi = (s->vaddr + s->memsz + PAGE_MASK) & ~PAGE_MASK;
        if (lo < img->lowest)
            img->lowest = lo;
        if (hi > img->highest)
            img->highest = hi;
    }
}

static int parse(struct ctx *c)
{
    uint64_t phoff, phnum;
    int rc = check_ident(c);
    if (rc == 0)
        rc = check_header(c);
    if (rc != 0)
        return rc;
    phoff = rd(c->file + E_PHOFF, 8);
    phnum = rd(c->file + E_PHNUM, 2);
    rc = check_phdr_table(c, phoff, phnum);
    for (uint64_t i = 0; rc == 0 && i < phnum; i++)
        rc = load_phdr(c, c->file + phoff + i * PH_SIZE);
    if (rc != 0)
        return rc;
    if (c->out->segment_count == 0)
        return reject(c, "no loadable (PT_LOAD) segment");
    c->out->entry = rd(c->file + E_ENTRY, 8);
    if (!entry_is_executable(c->out))
        return reject(c, "entry point not inside an executable segment");
    compute_bounds(c->out);
    return 0;
}

int elf_parse(const void *file, size_t size, uint64_t user_lo,
              uint64_t user_hi, struct elf_image *out, const char **err)
{
    struct ctx c = {file, size, user_lo, user_hi, out, "ok"};
    int rc;
    if (!out) {
        rc = reject(&c, "no output image");
    } else {
        memset(out, 0, sizeof *out);
        rc = file ? parse(&c) : reject(&c, "no file");
        if (rc != 0)
            memset(out, 0, sizeof *out);
    }
    if (err)
        *err = c.err;
    return rc;
}
