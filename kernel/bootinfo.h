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
/* Where the raw structure is mapped now. */
const void *boot_info_raw(void);

#endif
