/*
 * Checked access to the current process's memory. Every pointer a program
 * hands the kernel goes through these: NULL, kernel addresses, unmapped or
 * read-only pages give -EFAULT, never a kernel fault.
 */
#ifndef UACCESS_H
#define UACCESS_H

#include "lib/types.h"

bool user_readable(uint64_t va, size_t n);
bool user_writable(uint64_t va, size_t n);
int copy_from_user(void *dst, uint64_t src, size_t n);   /* 0 or -EFAULT */
int copy_to_user(uint64_t dst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most max-1 bytes: its length, -EFAULT,
 * or -ENAMETOOLONG. */
long copy_string_from_user(char *dst, uint64_t src, size_t max);

#endif
