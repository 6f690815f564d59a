/*
 * <sys/utsname.h>: newlib has none for x86_64-elf. uname() (system call
 * 60, docs/abi.md) fills these in; implemented in user/lib/posix.c.
 */
#ifndef _SYS_UTSNAME_H
#define _SYS_UTSNAME_H

#define _UTSNAME_LENGTH 65 /* ABI_UTSNAME_LEN */

struct utsname {
    char sysname[_UTSNAME_LENGTH];  /* "teachos" */
    char nodename[_UTSNAME_LENGTH]; /* "teachos" ("teachos-N": OS instance N of several) */
    char release[_UTSNAME_LENGTH];
    char version[_UTSNAME_LENGTH];  /* the organisation: "organisation fine, 4 CPUs" */
    char machine[_UTSNAME_LENGTH];  /* "x86_64" */
};

int uname(struct utsname *name);

#endif
