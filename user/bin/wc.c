/* wc [file ...] - lines, words and bytes of each file or of standard input. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char buf[8192];

static int count(int fd, const char *name)
{
    long lines = 0, words = 0, bytes = 0;
    int inword = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];
            bytes++;
            lines += c == '\n';
            int space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
            words += !space && !inword;
            inword = !space;
        }
    if (n < 0) {
        fprintf(stderr, "wc: %s: %s\n", name, strerror(errno));
        return 1;
    }
    printf("%7ld %7ld %7ld%s%s\n", lines, words, bytes, *name ? " " : "", name);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return count(0, "");
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "wc: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        status |= count(fd, argv[i]);
        close(fd);
    }
    return status;
}
