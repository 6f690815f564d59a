/*
 * fstests - tests of the disk's file system through the system calls
 * (docs/storage.md). Run by the matrix as run=fstests under every
 * organisation; tools/testrun.py then runs e2fsck -fn on the cell's disk.
 *
 *   fstests            every test        fstests NAME...   the named ones
 *
 * Each test runs in a forked child (user/include/utest.h), in its own
 * directory under /tmp, and prints "fstests: PASS name" or "fstests: FAIL
 * name: why"; the last line is "fstests: N passed, N failed".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "os.h"
#include "utest.h"

static int ncpus(void)
{
    static struct abi_sysinfo si;
    return sysinfo(&si) == 0 ? (int)si.ncpus : 1;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static long read_file(const char *path, char *buf, size_t max)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long total = 0;
    ssize_t r;
    while (total < (long)max && (r = read(fd, buf + total, max - (size_t)total)) > 0)
        total += r;
    close(fd);
    return total;
}

static int put_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    int r = write_all(fd, text, strlen(text));
    return close(fd) < 0 ? -1 : r;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* ---------------------------------------------------------------- tests */

static void t_create_write_read(void)
{
    char buf[64];
    CHECK(put_file("f", "hello, disk") == 0, "put_file: errno %d", errno);
    CHECK(read_file("f", buf, sizeof buf) == 11 && memcmp(buf, "hello, disk", 11) == 0, "read back differs");
    int fd = open("f", O_WRONLY | O_APPEND);
    CHECK(fd >= 0, "open O_APPEND: errno %d", errno);
    CHECK(write(fd, "!", 1) == 1, "append write");
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    CHECK(write(fd, "?", 1) == 1, "append write after seek");
    close(fd);
    CHECK(read_file("f", buf, sizeof buf) == 13 && memcmp(buf, "hello, disk!?", 13) == 0,
          "O_APPEND did not write at the end");
    EXPECT_ERR(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    fd = open("f", O_RDWR | O_TRUNC);
    CHECK(fd >= 0, "open O_TRUNC: errno %d", errno);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 0 && S_ISREG(st.st_mode), "O_TRUNC left size %ld",
          (long)st.st_size);
    CHECK(write(fd, "xyz", 3) == 3, "write");
    CHECK(lseek(fd, 1, SEEK_SET) == 1 && read(fd, buf, 10) == 2 && memcmp(buf, "yz", 2) == 0, "read at offset");
    close(fd);
    EXPECT_ERR(open("missing", O_RDONLY), ENOENT);
    CHECK(unlink("f") == 0, "unlink: errno %d", errno);
    EXPECT_ERR(open("f", O_RDONLY), ENOENT);
}

/* 600 KiB with 1 KiB blocks: direct, indirect and double-indirect blocks. */
#define BIG (600 * 1024)
static void t_big_file(void)
{
    static unsigned char buf[BIG], back[BIG];
    for (int i = 0; i < BIG; i++)
        buf[i] = (unsigned char)(i * 7 + i / 1024);
    int fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open: errno %d", errno);
    CHECK(write_all(fd, buf, BIG) == 0, "write: errno %d", errno);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == BIG, "size %ld", (long)st.st_size);
    /* data blocks + 1 indirect + 1 double + its second-level blocks */
    CHECK(st.st_blocks >= BIG / 512 + 2 * 3, "only %ld sectors allocated", (long)st.st_blocks);
    close(fd);
    CHECK(read_file("big", (char *)back, BIG) == BIG && memcmp(buf, back, BIG) == 0, "read back differs");
    /* Cut into the double-indirect range, then the indirect, then direct. */
    static const long cuts[] = { 400 * 1024 + 17, 100 * 1024 + 5, 5000, 0 };
    for (int k = 0; k < 4; k++) {
        CHECK(truncate("big", cuts[k]) == 0, "truncate %ld: errno %d", cuts[k], errno);
        CHECK(stat("big", &st) == 0 && st.st_size == cuts[k], "size after truncate %ld", (long)st.st_size);
        long n = read_file("big", (char *)back, BIG);
        CHECK(n == cuts[k] && memcmp(buf, back, (size_t)n) == 0, "contents after truncate to %ld", cuts[k]);
    }
    /* Growing again through a hole reads zeros. */
    fd = open("big", O_RDWR);
    CHECK(fd >= 0 && lseek(fd, 300 * 1024, SEEK_SET) == 300 * 1024 && write(fd, "end", 3) == 3, "write past hole");
    close(fd);
    long n = read_file("big", (char *)back, BIG);
    CHECK(n == 300 * 1024 + 3, "size with hole %ld", n);
    for (long i = 0; i < 300 * 1024; i++)
        CHECK(back[i] == 0, "hole byte %ld is %d", i, back[i]);
    CHECK(unlink("big") == 0, "unlink");
}

static void t_many_files(void)
{
    char name[32];
    CHECK(mkdir("many", 0755) == 0, "mkdir: errno %d", errno);
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "many/file-with-a-long-name-%03d", i);
        CHECK(put_file(name, name) == 0, "create %s: errno %d", name, errno);
    }
    CHECK(count_entries("many") == 302, "%d entries, wanted 300 + . + ..", count_entries("many"));
    for (int i = 0; i < 300; i += 2) {
        snprintf(name, sizeof name, "many/file-with-a-long-name-%03d", i);
        CHECK(unlink(name) == 0, "unlink %s: errno %d", name, errno);
    }
    char buf[64];
    for (int i = 1; i < 300; i += 2) {
        snprintf(name, sizeof name, "many/file-with-a-long-name-%03d", i);
        long n = read_file(name, buf, sizeof buf);
        CHECK(n == (long)strlen(name) && memcmp(buf, name, (size_t)n) == 0, "%s lost its contents", name);
        CHECK(unlink(name) == 0, "unlink %s", name);
    }
    CHECK(count_entries("many") == 2, "not empty: %d", count_entries("many"));
    CHECK(rmdir("many") == 0, "rmdir: errno %d", errno);
}

/* Processes on every CPU create and unlink files in one directory. */
static void t_concurrent_dir(void)
{
    int n = ncpus() < 2 ? 2 : ncpus();
    CHECK(mkdir("conc", 0755) == 0, "mkdir");
    for (int c = 0; c < n; c++) {
        int pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
            setaffinity(0, c % ncpus());
            char name[32];
            int bad = 0;
            for (int i = 0; i < 40; i++) {
                snprintf(name, sizeof name, "conc/w%d-%d", c, i);
                if (put_file(name, name) != 0)
                    bad++;
                if (i % 2 == 0 && unlink(name) != 0)
                    bad++;
            }
            _exit(bad ? 1 : 0);
        }
    }
    int status, bad = 0;
    while (wait(&status) > 0)
        bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    CHECK(!bad, "%d workers failed", bad);
    CHECK(count_entries("conc") == 2 + n * 20, "%d entries, wanted %d", count_entries("conc"), 2 + n * 20);
    char name[32], buf[32];
    for (int c = 0; c < n; c++)
        for (int i = 1; i < 40; i += 2) {
            snprintf(name, sizeof name, "conc/w%d-%d", c, i);
            long r = read_file(name, buf, sizeof buf);
            CHECK(r == (long)strlen(name) && memcmp(buf, name, (size_t)r) == 0, "%s wrong", name);
            CHECK(unlink(name) == 0, "unlink %s", name);
        }
    CHECK(rmdir("conc") == 0, "rmdir: errno %d", errno);
}

static void t_rename_link(void)
{
    struct stat st;
    char buf[16];
    CHECK(put_file("a", "AAA") == 0 && put_file("b", "BBB") == 0, "create");
    CHECK(link("a", "a2") == 0, "link: errno %d", errno);
    CHECK(stat("a", &st) == 0 && st.st_nlink == 2, "nlink %d after link", (int)st.st_nlink);
    EXPECT_ERR(link("a", "b"), EEXIST);
    CHECK(rename("a2", "b") == 0, "rename over b: errno %d", errno);
    CHECK(read_file("b", buf, sizeof buf) == 3 && memcmp(buf, "AAA", 3) == 0, "b is not a's contents");
    CHECK(stat("a", &st) == 0 && st.st_nlink == 2, "nlink %d after rename over", (int)st.st_nlink);
    EXPECT_ERR(stat("a2", &st), ENOENT);
    CHECK(unlink("a") == 0 && stat("b", &st) == 0 && st.st_nlink == 1, "nlink %d after unlink", (int)st.st_nlink);
    /* Directories: moving one changes both parents' link counts and its "..". */
    CHECK(mkdir("d1", 0755) == 0 && mkdir("d2", 0755) == 0 && mkdir("d1/sub", 0755) == 0, "mkdir");
    CHECK(stat("d1", &st) == 0 && st.st_nlink == 3, "d1 nlink %d", (int)st.st_nlink);
    CHECK(put_file("d1/sub/x", "x") == 0, "create in sub");
    CHECK(rename("d1/sub", "d2/moved") == 0, "rename dir: errno %d", errno);
    CHECK(stat("d1", &st) == 0 && st.st_nlink == 2, "d1 nlink %d after move", (int)st.st_nlink);
    CHECK(stat("d2", &st) == 0 && st.st_nlink == 3, "d2 nlink %d after move", (int)st.st_nlink);
    struct stat up, d2;
    CHECK(stat("d2/moved/..", &up) == 0 && stat("d2", &d2) == 0 && up.st_ino == d2.st_ino, "'..' not updated");
    CHECK(read_file("d2/moved/x", buf, sizeof buf) == 1, "file lost in the move");
    EXPECT_ERR(rename("d2", "d2/moved/inside"), EINVAL);
    EXPECT_ERR(rename("b", "d2"), EISDIR);
    EXPECT_ERR(rename("d2", "b"), ENOTDIR);
    EXPECT_ERR(rename("nosuch", "b"), ENOENT);
    CHECK(rename("b", "b") == 0, "rename to itself");
    CHECK(unlink("d2/moved/x") == 0 && rmdir("d2/moved") == 0 && rmdir("d2") == 0 && rmdir("d1") == 0 &&
              unlink("b") == 0,
          "cleanup: errno %d", errno);
}

static void t_dir_errors(void)
{
    CHECK(mkdir("e", 0755) == 0 && put_file("e/file", "z") == 0, "setup");
    EXPECT_ERR(mkdir("e", 0755), EEXIST);
    EXPECT_ERR(mkdir("nosuch/x", 0755), ENOENT);
    EXPECT_ERR(mkdir("e/file/x", 0755), ENOTDIR);
    EXPECT_ERR(open("e/file/x", O_RDONLY), ENOTDIR);
    EXPECT_ERR(open("e", O_WRONLY), EISDIR);
    EXPECT_ERR(unlink("e"), EISDIR);
    EXPECT_ERR(rmdir("e/file"), ENOTDIR);
    EXPECT_ERR(rmdir("e"), ENOTEMPTY);
    EXPECT_ERR(rmdir("e/."), EINVAL);
    EXPECT_ERR(chdir("e/file"), ENOTDIR);
    EXPECT_ERR(link("e", "e2"), EPERM);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    EXPECT_ERR(open(longname, O_RDONLY | O_CREAT, 0644), ENAMETOOLONG);
    EXPECT_ERR(close(99), EBADF);
    CHECK(unlink("e/file") == 0 && rmdir("e") == 0, "cleanup");
    EXPECT_ERR(rmdir("e"), ENOENT);
}

static void t_cwd(void)
{
    char buf[256], here[256];
    CHECK(getcwd(here, sizeof here), "getcwd: errno %d", errno);
    CHECK(mkdir("c", 0755) == 0 && mkdir("c/d", 0755) == 0, "mkdir");
    CHECK(chdir("c/d") == 0, "chdir: errno %d", errno);
    CHECK(getcwd(buf, sizeof buf) && strcmp(buf + strlen(here), "/c/d") == 0, "getcwd %s", buf);
    CHECK(put_file("../f", "up") == 0, "relative create: errno %d", errno);
    CHECK(chdir("..") == 0 && read_file("./d/../f", buf, sizeof buf) == 2, "relative read");
    CHECK(chdir(here) == 0, "chdir back");
    CHECK(chdir("/") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0, "cwd /: %s", buf);
    struct stat a, b;
    CHECK(stat("/..", &a) == 0 && stat("/", &b) == 0 && a.st_ino == b.st_ino, "/.. is not /");
    CHECK(chdir(here) == 0, "chdir back");
    errno = 0;
    CHECK(getcwd(buf, 2) == NULL && errno == ERANGE, "getcwd into 2 bytes: errno %d", errno);
    CHECK(unlink("c/f") == 0 && rmdir("c/d") == 0 && rmdir("c") == 0, "cleanup");
}

/* Several writers and readers on one pipe; records of 64 bytes stay whole. */
#define REC 64
#define WRITERS 3
#define RECS 200
static void t_pipes(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe: errno %d", errno);
    for (int w = 0; w < WRITERS; w++) {
        if (fork() == 0) {
            close(fds[0]);
            char rec[REC];
            for (int i = 0; i < RECS; i++) {
                memset(rec, 'a' + w, REC);
                snprintf(rec, 12, "%d:%05d", w, i);
                rec[11] = (char)('a' + w);
                if (write(fds[1], rec, REC) != REC)
                    _exit(1);
            }
            _exit(0);
        }
    }
    int rpipe[2];
    CHECK(pipe(rpipe) == 0, "second pipe");
    for (int r = 0; r < 2; r++) {
        if (fork() == 0) { /* readers report how many records they got */
            close(fds[1]);
            close(rpipe[0]);
            char rec[REC];
            int got = 0, bad = 0;
            for (;;) {
                ssize_t k = 0, n;
                while (k < REC && (n = read(fds[0], rec + k, REC - (size_t)k)) > 0)
                    k += n;
                if (k == 0)
                    break;
                if (k != REC)
                    bad++;
                for (int i = 12; i < REC; i++)
                    if (rec[i] != rec[11])
                        bad++;
                got++;
            }
            int msg[2] = { got, bad };
            write(rpipe[1], msg, sizeof msg);
            _exit(0);
        }
    }
    close(fds[0]);
    close(fds[1]);
    close(rpipe[1]);
    int total = 0, bad = 0, msg[2];
    while (read(rpipe[0], msg, sizeof msg) == sizeof msg) {
        total += msg[0];
        bad += msg[1];
    }
    close(rpipe[0]);
    int status, dead = 0;
    while (wait(&status) > 0)
        dead += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    CHECK(dead == 0, "%d children failed", dead);
    CHECK(bad == 0, "%d torn records", bad);
    CHECK(total == WRITERS * RECS, "%d records read, %d written", total, WRITERS * RECS);
    /* No reader left: EPIPE. */
    CHECK(pipe(fds) == 0, "pipe");
    close(fds[0]);
    EXPECT_ERR(write(fds[1], "x", 1), EPIPE);
    close(fds[1]);
}

static void t_dup_fork_offsets(void)
{
    char buf[32];
    int fd = open("o", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open");
    int pid = fork();
    if (pid == 0)
        _exit(write(fd, "abc", 3) == 3 ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child write");
    CHECK(write(fd, "def", 3) == 3, "parent write");
    int d = dup(fd);
    CHECK(d >= 0 && d != fd, "dup");
    CHECK(write(d, "g", 1) == 1 && lseek(fd, 0, SEEK_CUR) == 7, "dup does not share the offset");
    CHECK(dup2(fd, 10) == 10 && lseek(10, 0, SEEK_SET) == 0 && lseek(fd, 0, SEEK_CUR) == 0, "dup2");
    close(10);
    close(d);
    close(fd);
    CHECK(read_file("o", buf, sizeof buf) == 7 && memcmp(buf, "abcdefg", 7) == 0, "contents %.7s", buf);
    EXPECT_ERR(dup(77), EBADF);
    EXPECT_ERR(dup2(fd, 3000), EBADF);
    /* Close-on-exec: the descriptor is gone in the program exec'd. */
    fd = open("o", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "O_CLOEXEC not set");
    int keep = open("o", O_RDONLY);
    pid = fork();
    if (pid == 0) {
        char a[16], b[16];
        snprintf(a, sizeof a, "%d", fd);
        snprintf(b, sizeof b, "%d", keep);
        char *argv[] = { "fstests", "--fds-after-exec", a, b, NULL };
        execv("/bin/fstests", argv);
        _exit(99);
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "after exec: status %x (1: cloexec fd open, 2: the other closed)",
          status);
    close(fd);
    close(keep);
    CHECK(unlink("o") == 0, "unlink");
}

/* Fill the disk: ENOSPC, then everything freed again and the file system
 * still consistent (e2fsck after the cell). */
static void t_disk_full(void)
{
    static char block[8192];
    memset(block, 'F', sizeof block);
    int fd = open("full", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open");
    long total = 0;
    ssize_t w;
    errno = 0;
    while ((w = write(fd, block, sizeof block)) > 0)
        total += w;
    int e = errno;
    close(fd);
    CHECK(w < 0 && (e == ENOSPC || e == EFBIG), "write ended with %ld, errno %d", (long)w, e);
    CHECK(total > 1024 * 1024, "only %ld bytes fit", total);
    EXPECT_ERR(mkdir("nospace-dir", 0755), ENOSPC);
    struct stat st;
    CHECK(stat("full", &st) == 0 && st.st_size == total, "size %ld, written %ld", (long)st.st_size, total);
    CHECK(unlink("full") == 0, "unlink");
    CHECK(put_file("after", "room again") == 0, "no room after freeing: errno %d", errno);
    CHECK(unlink("after") == 0, "unlink after");
}

static void t_sync(void)
{
    struct abi_bcacheinfo a, b;
    CHECK(bcacheinfo(&a) == 0, "bcacheinfo: errno %d", errno);
    CHECK(put_file("s", "synced") == 0, "create");
    sync();
    CHECK(bcacheinfo(&b) == 0, "bcacheinfo");
    CHECK(b.disk_writes > a.disk_writes, "sync wrote nothing to the disk (%llu -> %llu)",
          (unsigned long long)a.disk_writes, (unsigned long long)b.disk_writes);
    int fd = open("s", O_RDONLY);
    CHECK(fd >= 0 && fsync(fd) == 0, "fsync");
    close(fd);
    CHECK(unlink("s") == 0, "unlink");
}

static const struct ut_test tests[] = {
    { "create_write_read", t_create_write_read, 0 },
    { "big_file", t_big_file, 0 },
    { "many_files", t_many_files, 0 },
    { "concurrent_dir", t_concurrent_dir, 0 },
    { "rename_link", t_rename_link, 0 },
    { "dir_errors", t_dir_errors, 0 },
    { "cwd", t_cwd, 0 },
    { "pipes", t_pipes, 0 },
    { "dup_fork_offsets", t_dup_fork_offsets, 0 },
    { "disk_full", t_disk_full, 0 },
    { "sync", t_sync, 0 },
};

/* Each test in a directory of its own under /tmp, which it must leave
 * empty: what a test forgets to remove is a failure. */
static char test_dir[64];

static int enter_dir(const struct ut_test *t)
{
    snprintf(test_dir, sizeof test_dir, "/tmp/fstests-%s", t->name);
    if (mkdir(test_dir, 0755) < 0 || chdir(test_dir) < 0) {
        ut_fail("cannot make %s: errno %d", test_dir, errno);
        return -1;
    }
    return 0;
}

static void leave_dir(const struct ut_test *t)
{
    (void)t;
    if (chdir("/") < 0 || (ut_failures() == 0 && rmdir(test_dir) < 0))
        ut_fail("cannot remove %s: errno %d (left something behind?)", test_dir, errno);
}

static const struct ut_suite suite = {
    .prog = "fstests",
    .tests = tests,
    .ntests = sizeof tests / sizeof tests[0],
    .default_limit_s = 240, /* disk_full writes the whole disk */
    .enter = enter_dir,
    .leave = leave_dir,
};

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--fds-after-exec") == 0) {
        struct stat st;
        if (fstat(atoi(argv[2]), &st) == 0)
            return 1;
        return fstat(atoi(argv[3]), &st) == 0 ? 0 : 2;
    }
    int r = ut_start(&suite, argc, argv);
    if (r != UT_GO_ON)
        return r;
    ut_run_tests(&suite, argc, argv);
    return ut_finish();
}
