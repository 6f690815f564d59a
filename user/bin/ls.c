/*
 * ls [-l] [name ...] - list the (flat, read-only) file system: one line per
 * file with its size in bytes and its name. With names, only those (a name
 * may be written "/x" or "./x"); a missing one is reported and makes the exit
 * status 1. -l adds the file type and permission bits.
 */
#include <stdio.h>
#include <string.h>
#include "os.h"

static const char *base(const char *name)
{
    for (;;) {
        if (name[0] == '/')
            name++;
        else if (name[0] == '.' && name[1] == '/')
            name += 2;
        else
            return name;
    }
}

static void mode_string(uint32_t mode, char out[11])
{
    uint32_t t = mode & ABI_S_IFMT;
    out[0] = t == ABI_S_IFDIR ? 'd' : t == ABI_S_IFCHR ? 'c' : '-';
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
    out[10] = '\0';
}

static void show(const struct abi_dirent *d, int longfmt)
{
    if (longfmt) {
        char m[11];
        mode_string(d->mode, m);
        printf("%s %8llu %.*s\n", m, (unsigned long long)d->size,
               (int)sizeof d->name, d->name);
    } else {
        printf("%8llu %.*s\n", (unsigned long long)d->size,
               (int)sizeof d->name, d->name);
    }
}

int main(int argc, char **argv)
{
    struct abi_dirent d;
    int longfmt = 0, first = 1, status = 0;

    if (first < argc && strcmp(argv[first], "-l") == 0) {
        longfmt = 1;
        first++;
    }
    if (first >= argc) {
        for (int i = 0; i < 100000 && os_readdir(i, &d) == 1; i++)
            show(&d, longfmt);
        return 0;
    }
    for (int a = first; a < argc; a++) {
        const char *want = base(argv[a]);
        int found = 0;
        for (int i = 0; i < 100000 && os_readdir(i, &d) == 1; i++) {
            if (strncmp(d.name, want, sizeof d.name) == 0) {
                show(&d, longfmt);
                found = 1;
                break;
            }
        }
        if (!found) {
            fprintf(stderr, "ls: %s: not found\n", argv[a]);
            status = 1;
        }
    }
    return status;
}
