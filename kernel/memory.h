#ifndef MEMORY_H
#define MEMORY_H
/* Frame allocator over the multiboot2 memory map, the kernel's own page
 * tables, and the heap of the boot OS instance. */
void memory_init(void);
#endif
