/* cp from to - copy a file's bytes into a new or emptied file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char buf[8192];

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: cp from to\n");
        return 2;
    }
    int in = open(argv[1], O_RDONLY);
    if (in < 0) {
        fprintf(stderr, "cp: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        fprintf(stderr, "cp: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w <= 0) {
                fprintf(stderr, "cp: %s: %s\n", argv[2], strerror(errno));
                return 1;
            }
            done += w;
        }
    if (n < 0) {
        fprintf(stderr, "cp: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    return close(out) < 0 || close(in) < 0;
}
