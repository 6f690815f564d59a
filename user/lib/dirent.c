/* Directory streams over getdents() (user/include/dirent.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abi.h"
#include "os.h"

DIR *opendir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return NULL;
    DIR *d = malloc(sizeof *d);
    if (!d) {
        close(fd);
        return NULL;
    }
    d->fd = fd;
    return d;
}

struct dirent *readdir(DIR *d)
{
    struct abi_dirent a;
    if (getdents(d->fd, &a) != 1)
        return NULL;
    d->ent.d_ino = a.ino;
    d->ent.d_type = (a.mode & ABI_S_IFMT) == ABI_S_IFDIR ? DT_DIR
                    : (a.mode & ABI_S_IFMT) == ABI_S_IFREG ? DT_REG : DT_UNKNOWN;
    strncpy(d->ent.d_name, a.name, sizeof d->ent.d_name - 1);
    d->ent.d_name[sizeof d->ent.d_name - 1] = 0;
    return &d->ent;
}

int closedir(DIR *d)
{
    int r = close(d->fd);
    free(d);
    return r;
}

int dirfd(DIR *d) { return d->fd; }
