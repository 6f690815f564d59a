/* User address spaces: creation, fork copies, the program break. */
#ifndef VM_H
#define VM_H

#include "kernel/proc.h"

#define USER_STACK_PAGES 32     /* 128 KiB, mapped when a program starts */

struct addrspace *as_create(void);
struct addrspace *as_clone(const struct addrspace *src);
void as_destroy(struct addrspace *as);
/* Map fresh zeroed pages over [start, end) (page-aligned); 0 or -ENOMEM. */
int as_map_zeroed(struct addrspace *as, uint64_t start, uint64_t end, unsigned flags);
/* Write into an address space that need not be the active one. */
void as_write(struct addrspace *as, uint64_t va, const void *src, size_t n);
/* sbrk(): returns the old break or -ENOMEM. */
int64_t as_sbrk(struct addrspace *as, int64_t increment);

#endif
