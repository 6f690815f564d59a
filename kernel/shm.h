/*
 * Shared-memory windows: named pieces of physical memory outside every OS
 * instance's slice, which a process of any instance can map into its
 * address space (shm_map, SYS 27) to exchange data with a process of
 * another instance -- the texts' producer writing into memory and the
 * consumer fetching it from where the producer wrote it. An organisation
 * that sets aside the area calls shm_init(); without it the calls fail
 * with -ENOSYS.
 */
#ifndef SHM_H
#define SHM_H

#include "lib/types.h"
#include "user/include/abi.h"

#define SHM_WINDOWS 8
#define SHM_WINDOW_PAGES (ABI_SHM_WINDOW_SIZE / 4096)

void shm_init(uint64_t pa, uint64_t frames);
/* Map window `name` (created, zeroed, on first use) into the current
 * process: its user address, or -EINVAL (bad name), -ENOSPC (all windows
 * named), -ENOMEM, -ENOSYS (no window area). */
long shm_map(const char *name);
/* Unmap window `name` from the current process (its contents stay). */
long shm_unmap(const char *name);
/* The physical range of the area (0, 0 without one): for tests. */
void shm_area(uint64_t *pa, uint64_t *frames);

#endif
