/*
 * <sys/mman.h>: memory mappings (POSIX). newlib 3.3 for x86_64-elf does
 * not install one; the calls are in user/lib/syscalls.c and described in
 * docs/abi.md (SYS_mmap, SYS_munmap, SYS_mprotect). The values are
 * abi.h's ABI_PROT_* and ABI_MAP_* (those of Linux).
 *
 * Mappings are private: MAP_SHARED is refused with EINVAL. A mapping may
 * not be writable and executable at once (EACCES): write the code, then
 * mprotect(PROT_READ | PROT_EXEC).
 */
#ifndef _SYS_MMAN_H_
#define _SYS_MMAN_H_

#include <stddef.h>
#include <sys/types.h>

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_ANON MAP_ANONYMOUS

#define MAP_FAILED ((void *)-1)

#ifdef __cplusplus
extern "C" {
#endif

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);

#ifdef __cplusplus
}
#endif

#endif
