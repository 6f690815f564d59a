/* User address spaces: creation, copy-on-write fork, demand-zero heap,
 * stack and mappings, page faults, the program break. */
#ifndef VM_H
#define VM_H

#include "kernel/proc.h"

/* Address spaces live in a table of the OS instance, not in the heap: they
 * come and go with every fork and exec, and slots never strand heap pages.
 * Two per process: exec builds the new one before the old one goes. */
#define AS_SLOTS (2 * MAX_PROCS)
struct os_instance;
void as_table_init(struct os_instance *os);
struct addrspace *as_create(void);
struct addrspace *as_clone(const struct addrspace *src);
void as_destroy(struct addrspace *as);
/* Write into a new address space (exec's, not yet active and sharing no
 * copy-on-write page), whatever the pages' permissions, mapping
 * demand-zero pages on the way; 0, or -ENOMEM (also for a page that is
 * neither mapped nor demand-zero). */
int as_write(struct addrspace *as, uint64_t va, const void *src, size_t n);
/* sbrk(): returns the old break or -ENOMEM. */
int64_t as_sbrk(struct addrspace *as, int64_t increment);
/* May `pages` more pages be promised to a program (sbrk, a writable
 * mmap)? Only if that leaves SBRK_RESERVE_FRAMES free right now: a check,
 * not a reservation (docs/memory.md, "When memory runs out"). */
bool vm_commit_ok(uint64_t pages);
/* A user-mode page fault at va: 0 when resolved (demand-zero page mapped,
 * copy-on-write page copied), -EFAULT for a bad access, -ENOMEM when
 * memory ran out (the caller kills the process; a line is printed). */
int vm_fault(struct addrspace *as, uint64_t va, bool write);
/* Before the kernel itself reads (or writes) [va, va+n) of the current
 * process: fill in demand-zero pages and break copy-on-write, so that the
 * range checks and the copy see ordinary pages. 0, -EFAULT, or -ENOMEM
 * (then the process is marked killed). */
int vm_prepare_user(struct addrspace *as, uint64_t va, size_t n, bool write);

#endif
