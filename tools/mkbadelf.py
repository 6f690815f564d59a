#!/usr/bin/env python3
"""tools/mkbadelf.py SRC_ELF OUTDIR - malformed executables for the ELF loader tests.

Starts from a real user program (a static ELF64 x86-64 ET_EXEC with at least
two PT_LOAD segments, as user/user.ld makes them) and writes one broken copy
per way of breaking it into OUTDIR. Every file is named bad-*.elf; each must
be refused by execve() (an error, typically -ENOEXEC, never a crash or a
half-built process):

  bad-magic.elf         e_ident magic changed ("\\x7fELF" -> "\\x7fELX")
  bad-truncated.elf     file cut in the middle of the program headers
  bad-phoff.elf         e_phoff points past the end of the file
  bad-phoff-wrap.elf    e_phoff + e_phnum * e_phentsize overflows 64 bits
  bad-huge-segment.elf  a PT_LOAD whose p_vaddr + p_memsz reaches into the kernel half
  bad-overlap.elf       two PT_LOADs cover the same page
  bad-text.elf          plain text, not ELF at all
  bad-empty.elf         zero bytes
  bad-class.elf         EI_CLASS says 32-bit
  bad-machine.elf       e_machine is EM_386
  bad-type.elf          e_type is ET_REL (not an executable)
  bad-entry.elf         e_entry in the kernel half
  bad-filesz.elf        a PT_LOAD with p_filesz > p_memsz
  bad-segoff.elf        a PT_LOAD whose file bytes lie past the end of the file
  bad-low.elf           a PT_LOAD at virtual address 0 (below the user range)
  bad-wrap.elf          a PT_LOAD whose p_vaddr + p_memsz wraps around 2^64
  bad-nophdr.elf        e_phnum = 0: nothing to load
  bad-phentsize.elf     e_phentsize is not sizeof(Elf64_Phdr)
  bad-wx-shared.elf     the writable segment moved into the free end of the text
                        segment's last page: no byte overlaps, but that page would
                        be writable and executable (the kernel refuses W+X pages)
  bad-wx-segment.elf    the text segment is writable too (PF_R|PF_W|PF_X)

Python 3 standard library only.
"""
import os
import struct
import sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")  # Elf64_Ehdr, 64 bytes
PHDR = struct.Struct("<IIQQQQQQ")          # Elf64_Phdr, 56 bytes
PT_LOAD = 1
ET_EXEC, ET_REL = 2, 1
EM_X86_64, EM_386 = 62, 3
KERNEL_HALF = 0xFFFF800000000000
U64 = 1 << 64


def die(msg):
    sys.exit("mkbadelf: " + msg)


class Elf:
    """A parsed copy of the source image that can be edited and written out."""

    def __init__(self, data):
        self.data = bytearray(data)
        (self.ident, self.type, self.machine, _, self.entry, self.phoff, _, _, _,
         self.phentsize, self.phnum, _, _, _) = EHDR.unpack_from(self.data, 0)

    def copy(self):
        return Elf(self.data)

    # ELF header fields by offset (Elf64_Ehdr layout)
    def set_u16(self, off, v):
        struct.pack_into("<H", self.data, off, v)

    def set_u64(self, off, v):
        struct.pack_into("<Q", self.data, off, v % U64)

    def set_type(self, v): self.set_u16(0x10, v)
    def set_machine(self, v): self.set_u16(0x12, v)
    def set_entry(self, v): self.set_u64(0x18, v)
    def set_phoff(self, v): self.set_u64(0x20, v)
    def set_phentsize(self, v): self.set_u16(0x36, v)
    def set_phnum(self, v): self.set_u16(0x38, v)

    def phdr_off(self, i):
        return self.phoff + i * self.phentsize

    def phdr(self, i):
        return list(PHDR.unpack_from(self.data, self.phdr_off(i)))

    def set_phdr(self, i, fields):
        PHDR.pack_into(self.data, self.phdr_off(i), *[f % U64 for f in fields])

    def loads(self):
        return [i for i in range(self.phnum) if self.phdr(i)[0] == PT_LOAD]


# Program-header field indices
P_TYPE, P_FLAGS, P_OFFSET, P_VADDR, P_PADDR, P_FILESZ, P_MEMSZ, P_ALIGN = range(8)


def edit_load(elf, which, **changes):
    """Copy of elf with fields of its which-th PT_LOAD changed."""
    e = elf.copy()
    i = e.loads()[which]
    ph = e.phdr(i)
    for name, value in changes.items():
        ph[globals()["P_" + name.upper()]] = value
    e.set_phdr(i, ph)
    return e


def variants(src):
    out = {}
    loads = src.loads()
    first = src.phdr(loads[0])
    last = src.phdr(loads[-1])

    e = src.copy()
    e.data[1:4] = b"ELX"
    out["bad-magic.elf"] = e.data

    cut = src.phoff + src.phentsize * (src.phnum // 2) + src.phentsize // 2
    out["bad-truncated.elf"] = src.data[:cut]

    e = src.copy()
    e.set_phoff(len(src.data) + 0x1000)
    out["bad-phoff.elf"] = e.data

    e = src.copy()
    e.set_phoff(U64 - 16)
    out["bad-phoff-wrap.elf"] = e.data

    out["bad-huge-segment.elf"] = edit_load(
        src, -1, memsz=KERNEL_HALF + 0x1000 - last[P_VADDR]).data

    # The second segment moved onto the first one's first page.
    out["bad-overlap.elf"] = edit_load(src, 1, vaddr=first[P_VADDR],
                                       paddr=first[P_VADDR]).data

    out["bad-text.elf"] = b"This is a text file, not an executable.\n"
    out["bad-empty.elf"] = b""

    e = src.copy()
    e.data[4] = 1  # ELFCLASS32
    out["bad-class.elf"] = e.data

    e = src.copy()
    e.set_machine(EM_386)
    out["bad-machine.elf"] = e.data

    e = src.copy()
    e.set_type(ET_REL)
    out["bad-type.elf"] = e.data

    e = src.copy()
    e.set_entry(0xFFFFFFFF80000000)
    out["bad-entry.elf"] = e.data

    out["bad-filesz.elf"] = edit_load(src, -1, filesz=last[P_MEMSZ] + 0x1000).data

    out["bad-segoff.elf"] = edit_load(
        src, 0, offset=(len(src.data) + 0xFFF) & ~0xFFF).data

    out["bad-low.elf"] = edit_load(src, 0, vaddr=0, paddr=0).data

    out["bad-wrap.elf"] = edit_load(
        src, -1, memsz=U64 - last[P_VADDR] + 0x2000).data

    e = src.copy()
    e.set_phnum(0)
    out["bad-nophdr.elf"] = e.data

    e = src.copy()
    e.set_phentsize(PHDR.size // 2)
    out["bad-phentsize.elf"] = e.data

    text_end = first[P_VADDR] + first[P_MEMSZ]
    start = (text_end + 15) & ~15
    page_end = (text_end + 0xFFF) & ~0xFFF
    if start >= page_end:
        die("the source's text segment fills its last page; bad-wx-shared.elf needs room after it")
    out["bad-wx-shared.elf"] = edit_load(
        src, -1, vaddr=start, paddr=start, offset=first[P_OFFSET] + (start - first[P_VADDR]),
        filesz=page_end - start, memsz=page_end - start).data

    out["bad-wx-segment.elf"] = edit_load(src, 0, flags=first[P_FLAGS] | 2).data  # PF_W
    return out


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.split("\n\n")[0])
    src_path, outdir = argv[1], argv[2]
    with open(src_path, "rb") as f:
        data = f.read()
    if len(data) < EHDR.size or data[:4] != b"\x7fELF":
        die(f"{src_path}: not an ELF file")
    src = Elf(data)
    if (src.ident[4], src.ident[5], src.type, src.machine) != (2, 1, ET_EXEC, EM_X86_64):
        die(f"{src_path}: not a little-endian ELF64 x86-64 executable")
    if src.phentsize != PHDR.size or src.phoff + src.phnum * PHDR.size > len(data):
        die(f"{src_path}: unexpected program headers")
    if len(src.loads()) < 2:
        die(f"{src_path}: needs at least two PT_LOAD segments")

    os.makedirs(outdir, exist_ok=True)
    for name, blob in variants(src).items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main(sys.argv)
