/*
 * Directory streams for this kernel (newlib has none for a bare target):
 * opendir() opens the directory, readdir() calls getdents() (SYS_getdents)
 * one entry at a time. Implemented in user/lib/dirent.c.
 */
#ifndef _DIRENT_H_
#define _DIRENT_H_

#include <sys/types.h>

struct dirent {
    unsigned long d_ino;
    unsigned char d_type;   /* DT_DIR, DT_REG or DT_UNKNOWN */
    char d_name[256];
};
#define DT_UNKNOWN 0
#define DT_REG 8
#define DT_DIR 4

typedef struct {
    int fd;
    struct dirent ent;
} DIR;

DIR *opendir(const char *path);
struct dirent *readdir(DIR *d);
int closedir(DIR *d);
int dirfd(DIR *d);

#endif
