/*
 * ls [-l] [name ...] - list files: one line per file with its size in bytes
 * and its name. Without names: the working directory of the disk, or,
 * booted without a disk, the initrd. A name the initrd has ("x", "/x",
 * "./x") is the initrd's file; any other is looked up on the disk, and a
 * directory lists its entries. A missing one is reported and makes the exit
 * status 1. -l adds the file type and permission bits (and links).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

static void show_stat(const char *name, const struct stat *st, int longfmt)
{
    if (longfmt) {
        char m[11];
        mode_string((uint32_t)st->st_mode, m);
        printf("%s %3d %8ld %s\n", m, (int)st->st_nlink, (long)st->st_size, name);
    } else {
        printf("%8ld %s%s\n", (long)st->st_size, name, S_ISDIR(st->st_mode) ? "/" : "");
    }
}

/* A directory of the disk: 0, or -1 when it cannot be opened. */
static int list_dir(const char *dir, int longfmt)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0)
            show_stat(e->d_name, &st, longfmt);
        else
            printf("       ? %s\n", e->d_name);
    }
    closedir(d);
    return 0;
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
        if (list_dir(".", longfmt) == 0)
            return 0;
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
        struct stat st;
        if (!found && stat(argv[a], &st) == 0) {
            found = 1;
            if (S_ISDIR(st.st_mode))
                list_dir(argv[a], longfmt);
            else
                show_stat(argv[a], &st, longfmt);
        }
        if (!found) {
            fprintf(stderr, "ls: %s: not found\n", argv[a]);
            status = 1;
        }
    }
    return status;
}
