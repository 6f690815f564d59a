/* mv old new - rename a file or directory (rename(2)); "mv a dir/" and
 * "mv a dir" where dir is a directory move a into it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mv old new\n");
        return 2;
    }
    char target[512];
    struct stat st;
    snprintf(target, sizeof target, "%s", argv[2]);
    if (stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode)) {
        const char *base = strrchr(argv[1], '/');
        snprintf(target, sizeof target, "%s/%s", argv[2], base ? base + 1 : argv[1]);
    }
    if (rename(argv[1], target) < 0) {
        fprintf(stderr, "mv: %s -> %s: %s\n", argv[1], target, strerror(errno));
        return 1;
    }
    return 0;
}
