/*
 * bcdemo - the private organisation's buffer-cache problem, by hand
 * (docs/storage.md, "What private does to the cache"). Under
 * model=private every OS instance mounts the one disk over its own buffer
 * cache. Instance 0 owns the file system's metadata; the others mount it
 * data-only: they read everything and may overwrite an existing file in
 * place, but creating, growing or truncating a file gives EROFS. So make
 * the file on instance 0; any instance may then patch it within its length:
 *
 *   bcdemo read FILE               print FILE (and leave its blocks cached)
 *   bcdemo patch FILE OFF TEXT     write TEXT at byte OFF of FILE (no sync)
 *   bcdemo sync                    write this instance's dirty blocks back
 *   bcdemo info                    which instance and cache answered
 *
 * On `make run MODEL=private SMP=3` (~N moves the console to instance N):
 *   ~0  echo zero-zero > /tmp/pf, then sync
 *   ~1  bcdemo read /tmp/pf                  "zero-zero"; now in 1's cache
 *   ~0  bcdemo patch /tmp/pf 0 AAAA, sync    the disk holds "AAAA-zero"
 *   ~1  bcdemo read /tmp/pf                  still "zero-zero": a stale block
 *   ~1  bcdemo patch /tmp/pf 5 BBBB, sync    1 writes back its whole old copy
 *   ~2  bcdemo read /tmp/pf                  "zero-BBBB": 0's change is lost
 * With bcache=off instance 1 reads "AAAA-zero" and instance 2 "AAAA-BBBB".
 * The cells pc-private-bcache and pc-private-nocache run this from a
 * script, kept in step by barrier (tests/input/private-bcache.txt).
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
