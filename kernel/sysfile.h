/* The file-system system calls (numbers 30-59 of user/include/abi.h),
 * called by kernel/syscall.c's table with decoded arguments. */
#ifndef SYSFILE_H
#define SYSFILE_H

#include "lib/types.h"

/* mode: used only with O_CREAT (permission bits, less the umask). */
long sysfile_open(uint64_t upath, int flags, uint64_t mode);
long sysfile_close(int fd);
long sysfile_fstat(int fd, uint64_t ust);
long sysfile_mkdir(uint64_t upath, uint64_t mode);
long sysfile_rmdir(uint64_t upath);
long sysfile_unlink(uint64_t upath);
long sysfile_link(uint64_t uold, uint64_t unew);
long sysfile_rename(uint64_t uold, uint64_t unew);
long sysfile_chdir(uint64_t upath);
long sysfile_getcwd(uint64_t ubuf, uint64_t size);
long sysfile_stat(uint64_t upath, uint64_t ust);
long sysfile_getdents(int fd, uint64_t udirent);
long sysfile_dup(int fd);
long sysfile_dup2(int fd, int newfd);
long sysfile_pipe(uint64_t ufds);
long sysfile_ftruncate(int fd, int64_t length);
long sysfile_fsync(int fd);
long sysfile_sync(void);
long sysfile_fcntl(int fd, int cmd, int arg);
long sysfile_bcacheinfo(uint64_t uinfo);
long sysfile_statfs(uint64_t ustat);
/* access(): mode ABI_F_OK or ABI_R_OK|W_OK|X_OK, for the one user (root). */
long sysfile_access(uint64_t upath, int mode);

#endif
