/* What the boot loader told us (multiboot2), parsed by lib/mb2.c. */
#ifndef BOOTINFO_H
#define BOOTINFO_H

#include "lib/mb2.h"

extern struct mb2_info boot_info;
/* Parse the information at physical address `pa`; panics on a malformed
 * structure (nothing sensible can run without a memory map). */
void bootinfo_parse(uint64_t pa);
/* Parse again once the direct map is up, so the pointers in boot_info
 * (command line, RSDP, module names) point through it. */
void bootinfo_remap(void);
void bootinfo_print_memory_map(void);
/* The end of the highest usable memory range: about the machine's RAM size. */
uint64_t bootinfo_memory_top(void);
/* Too little memory for GRUB to load the initrd: GRUB's `module2` fails
 * ("error: out of memory" on GRUB's screen) and GRUB boots the kernel
 * without its module. What GRUB needs grows with the initrd: -m 10M was
 * enough for a 2.5 MiB initrd, not for the 3 MiB one of this tree (11M is).
 * The advice leaves room for the initrd to grow; the matrix cells
 * pc-mem8m-no-initrd and pc-mem-least (which boots with exactly this much)
 * keep it honest. */
#define BOOT_MIN_MEMORY_MIB 16
/* Where the raw structure is mapped now. */
const void *boot_info_raw(void);

#endif
