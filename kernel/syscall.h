#ifndef SYSCALL_H
#define SYSCALL_H
#include "arch.h"
/* Run the system call described by the trap frame (number in rax) on this
 * CPU, against this CPU's OS instance; returns the result for rax. */
long syscall_run(struct trap_frame *f);
long sys_execve_impl(uint64_t upath, uint64_t uargv, uint64_t uenvp);
#endif
