/*
 * ELF64 executable validation for the program loader.
 *
 * References: System V ABI generic "gABI" (ELF header, program header,
 * chapter 4/5) and the x86-64 psABI (EM_X86_64, ELFCLASS64, little endian).
 * Only statically linked ET_EXEC files are accepted: the loader does not
 * relocate (no ET_DYN/PIE) and has no dynamic linker (PT_INTERP rejected).
 *
 * elf_parse() reads the file with memcpy-style byte access, so the file may
 * sit at any alignment (e.g. inside a cpio archive).
 */
#ifndef LIB_ELF_H
#define LIB_ELF_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define ELF_MAX_SEGMENTS 16 /* PT_LOAD segments with memsz > 0 */
#define ELF_MAX_PHNUM 64    /* program headers of any type */
#define ELF_PAGE_SIZE 4096u

#define ELF_EINVAL (-1) /* every failure; *err says which check failed */

struct elf_segment {
    uint64_t vaddr, memsz, filesz, offset;
    bool read, write, exec; /* PF_R, PF_W, PF_X */
};

struct elf_image {
    uint64_t entry;
    int segment_count;
    struct elf_segment segments[ELF_MAX_SEGMENTS];
    uint64_t lowest, highest; /* page-aligned bounds of all segments */
};

/*
 * Validate the ELF file of `size` bytes at `file` and describe its loadable
 * segments (PT_LOAD with memsz 0 are skipped; other types are ignored).
 * Every segment's page-rounded range must lie inside [user_lo, user_hi).
 * Segments may share a page but their byte ranges [vaddr, vaddr+memsz) must
 * not overlap. Returns 0, or ELF_EINVAL with *err (if err is non-NULL)
 * pointing to a static message; *out is then zeroed.
 */
int elf_parse(const void *file, size_t size, uint64_t user_lo,
              uint64_t user_hi, struct elf_image *out, const char **err);

#endif
