/*
 * bcdemo - the private organisation's buffer-cache problem, by hand
 * (docs/storage.md, "What private does to the cache"). Each OS instance
 * under model=private has its own buffer cache over the one disk:
 *
 *   bcdemo read FILE               print FILE (and leave its blocks cached)
 *   bcdemo patch FILE OFF TEXT     write TEXT at byte OFF of FILE (no sync)
 *   bcdemo sync                    write this instance's dirty blocks back
 *   bcdemo info                    which instance and cache answered
 *
 * Stale block: instance 0 `read f`; instance 1 `patch f 0 NEW` and `sync`;
 * instance 0 `read f` again still shows the old text (its cached copy).
 * Lost update: instance 0 `patch f 0 AAA`, instance 1 `patch f 8 BBB`,
 * both `sync`: the file on the disk has only one of the two changes.
 * With bcache=off both come out right.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "os.h"

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "read") == 0) {
        char buf[512];
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "bcdemo: %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        printf("bcdemo: %s holds \"%s\"\n", argv[2], buf);
        return n < 0;
    }
    if (argc == 5 && strcmp(argv[1], "patch") == 0) {
        int fd = open(argv[2], O_WRONLY | O_CREAT, 0644);
        if (fd < 0 || lseek(fd, atol(argv[3]), SEEK_SET) < 0 ||
            write(fd, argv[4], strlen(argv[4])) != (ssize_t)strlen(argv[4])) {
            fprintf(stderr, "bcdemo: %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        close(fd);
        printf("bcdemo: wrote \"%s\" at %s of %s (in this instance's cache)\n", argv[4], argv[3], argv[2]);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "sync") == 0) {
        sync();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "info") == 0) {
        struct abi_bcacheinfo b;
        if (bcacheinfo(&b) < 0)
            return 1;
        printf("bcdemo: OS instance %u, cache %s: %llu hits, %llu misses, %llu written back\n", b.os_instance,
               b.enabled ? "on" : "off", (unsigned long long)b.hits, (unsigned long long)b.misses,
               (unsigned long long)b.writebacks);
        return 0;
    }
    fprintf(stderr, "usage: bcdemo read FILE | patch FILE OFF TEXT | sync | info\n");
    return 2;
}
