/*
 * mmaptests - tests of mmap, munmap and mprotect (docs/abi.md, SYS_mmap
 * 54 to SYS_mprotect 56; docs/memory.md, "Mappings").
 *
 *   mmaptests            every test, then the leak check
 *   mmaptests NAME...    the named tests (and the leak check)
 *   mmaptests -l         list the tests
 *
 * Each test runs in a forked child; a touch that must fault is made in a
 * grandchild, whose wait status must say SIGSEGV. One line per test,
 * "mmaptests: PASS name" or "mmaptests: FAIL name: why", and at the end
 * "mmaptests: N passed, N failed"; the exit status is 0 only if all
 * passed. `mmaptests --touch ADDR` (used by exec_drops_mappings) reads
 * ADDR and exits 0: it must die of SIGSEGV instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "os.h"
#include "utest.h"

#define PAGE 4096ul
/* The area mappings live in (arch/x86_64/layout.h: kernel-defined). */
#define AREA_BASE 0x00007F0100000000ul
#define AREA_TOP 0x00007FFF00000000ul
#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)

static char *map(size_t len, int prot)
{
    void *p = mmap(NULL, len, prot, PA, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int in_area(const void *p, size_t len)
{
    uintptr_t a = (uintptr_t)p;
    return a >= AREA_BASE && a + len <= AREA_TOP && a % PAGE == 0;
}

enum touch { READ, WRITE, EXEC, READ_WRITE };
static const char *const touch_names[] = { "reading", "writing", "executing", "reading, then writing" };

/* Touch p in a child: its wait status (exit 0 if it survived). */
static int touch_in_child(volatile char *p, enum touch how)
{
    int pid = ut_fork();
    if (pid == 0) {
        if (how == READ)
            (void)*p;
        else if (how == WRITE)
            *p = 1;
        else if (how == EXEC)
            ((void (*)(void))p)();
        else
            *p = (char)(*p + 1); /* the read maps the page, the write must still fault */
        _exit(0);
    }
    return pid < 0 ? -1 : ut_reap(pid, NULL);
}

/* The touch must be a fault: the child dies of SIGSEGV. 1 if so. */
static int faults(volatile char *p, enum touch how, const char *what)
{
    int st = touch_in_child(p, how);
    if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV)
        return 1;
    ut_fail("%s %s at %p: %s, expected killed by signal %d", touch_names[how], what, (void *)p, ut_status_str(st), SIGSEGV);
    return 0;
}

/* The touch must work: the child exits 0. */
static int works(volatile char *p, enum touch how, const char *what)
{
    int st = touch_in_child(p, how);
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 1;
    ut_fail("%s %s at %p: %s, expected it to work", touch_names[how], what, (void *)p, ut_status_str(st));
    return 0;
}

static int all_bytes(const char *p, size_t n, char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* ---------------------------------------------------------------- tests */

static void t_anon_zero_rw(void)
{
    char *p = map(3 * PAGE + 100, RW); /* rounded up to 4 pages */
    CHECK(p, "mmap of 3 pages + 100 bytes: errno %d", errno);
    CHECK(in_area(p, 4 * PAGE), "mapping at %p, outside the area [%#lx, %#lx)", (void *)p, AREA_BASE, AREA_TOP);
    CHECK(all_bytes(p, 4 * PAGE, 0), "a fresh anonymous mapping is not all zero");
    for (size_t i = 0; i < 4 * PAGE; i++)
        p[i] = (char)(i * 13 + 1);
    for (size_t i = 0; i < 4 * PAGE; i++)
        CHECK(p[i] == (char)(i * 13 + 1), "byte %zu did not keep what was written", i);
    char *q = map(PAGE, RW);
    CHECK(q && (q >= p + 4 * PAGE || q + PAGE <= p), "a second mapping %p overlaps the first %p", (void *)q, (void *)p);
    CHECK(all_bytes(q, PAGE, 0), "the second mapping is not zero");
    CHECK(munmap(p, 4 * PAGE) == 0 && munmap(q, PAGE) == 0, "munmap: errno %d", errno);
    char *r = map(4 * PAGE, RW); /* a mapping where the first was: zero again */
    CHECK(r && all_bytes(r, 4 * PAGE, 0), "a mapping made after munmap is not zero");
    CHECK(munmap(r, 4 * PAGE) == 0, "munmap: errno %d", errno);
}

static void t_munmap_faults(void)
{
    char *p = map(2 * PAGE, RW);
    CHECK(p, "mmap: errno %d", errno);
    p[0] = 1;
    CHECK(munmap(p, 2 * PAGE) == 0, "munmap: errno %d", errno);
    faults(p, READ, "an unmapped page (touched before munmap)");
    faults(p + PAGE, WRITE, "an unmapped page (never touched)");
    CHECK(munmap(p, 2 * PAGE) == 0, "munmap of a range without mappings: errno %d (POSIX: 0)", errno);
}

static void t_partial_munmap(void)
{
    char *p = map(5 * PAGE, RW);
    CHECK(p, "mmap: errno %d", errno);
    for (int i = 0; i < 5; i++)
        memset(p + i * PAGE, 'a' + i, PAGE);
    CHECK(munmap(p + PAGE, PAGE) == 0, "munmap of the second page: errno %d", errno);
    CHECK(munmap(p + 4 * PAGE, 100) == 0, "munmap of the last page (length 100): errno %d", errno);
    faults(p + PAGE, READ, "the hole munmap cut into a mapping");
    faults(p + 4 * PAGE + 200, READ, "the unmapped end of a mapping");
    CHECK(all_bytes(p, PAGE, 'a'), "page 0 changed");
    CHECK(all_bytes(p + 2 * PAGE, PAGE, 'c') && all_bytes(p + 3 * PAGE, PAGE, 'd'), "pages 2 and 3 changed");
    /* Both pieces are still mappings of their own: mprotect sees them,
     * and the hole between them. */
    CHECK(mprotect(p, PAGE, PROT_READ) == 0 && mprotect(p + 2 * PAGE, 2 * PAGE, PROT_READ) == 0,
          "mprotect of the pieces: errno %d", errno);
    EXPECT_ERR(mprotect(p, 3 * PAGE, RW), ENOMEM); /* the hole */
    faults(p + 2 * PAGE, WRITE, "a piece made read-only");
    CHECK(munmap(p, 5 * PAGE) == 0, "munmap over pieces and holes: errno %d", errno);
    faults(p + 3 * PAGE, READ, "a piece after munmap of the whole range");
}

static void t_mprotect_readonly(void)
{
    char *p = map(3 * PAGE, RW);
    CHECK(p, "mmap: errno %d", errno);
    memset(p, 'x', 2 * PAGE); /* page 2 stays untouched */
    CHECK(mprotect(p, 3 * PAGE, PROT_READ) == 0, "mprotect(PROT_READ): errno %d", errno);
    CHECK(all_bytes(p, 2 * PAGE, 'x') && all_bytes(p + 2 * PAGE, PAGE, 0), "contents changed by mprotect");
    faults(p, WRITE, "a page made read-only");
    faults(p + 2 * PAGE, WRITE, "an untouched page made read-only");
    works(p + 2 * PAGE + 10, READ, "an untouched read-only page");
    faults(p + 2 * PAGE + 20, READ_WRITE, "an untouched read-only page");
    /* The kernel honours it too: read() into it is EFAULT. */
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe: errno %d", errno);
    CHECK(write(fds[1], "hi", 2) == 2, "write to the pipe: errno %d", errno);
    EXPECT_ERR(read(fds[0], p + PAGE, 2), EFAULT);
    CHECK(write(fds[1], p, 2) == 2, "write() from a read-only mapping: errno %d", errno);
    close(fds[0]);
    close(fds[1]);
    CHECK(mprotect(p + PAGE, PAGE, RW) == 0, "mprotect back to read-write: errno %d", errno);
    p[PAGE] = 'y';
    CHECK(p[PAGE] == 'y' && p[PAGE + 1] == 'x', "write after mprotect back to read-write");
    faults(p, WRITE, "the page before, still read-only");
    faults(p + 2 * PAGE, WRITE, "the page after, still read-only");
    CHECK(munmap(p, 3 * PAGE) == 0, "munmap: errno %d", errno);
}

static void t_prot_none(void)
{
    char *p = map(2 * PAGE, PROT_NONE);
    CHECK(p, "mmap(PROT_NONE): errno %d", errno);
    faults(p, READ, "a PROT_NONE mapping");
    faults(p + PAGE, WRITE, "a PROT_NONE mapping");
    CHECK(mprotect(p, 2 * PAGE, RW) == 0, "mprotect(RW): errno %d", errno);
    CHECK(all_bytes(p, 2 * PAGE, 0), "PROT_NONE made read-write is not zero");
    memset(p, 'n', 2 * PAGE);
    CHECK(mprotect(p, PAGE, PROT_NONE) == 0, "mprotect(PROT_NONE): errno %d", errno);
    faults(p, READ, "a page with contents made PROT_NONE");
    works(p + PAGE, WRITE, "the page after it, still read-write");
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe: errno %d", errno);
    EXPECT_ERR(write(fds[1], p, 1), EFAULT);
    close(fds[0]);
    close(fds[1]);
    CHECK(mprotect(p, PAGE, PROT_READ) == 0, "mprotect(PROT_READ): errno %d", errno);
    CHECK(all_bytes(p, PAGE, 'n'), "the contents did not survive PROT_NONE");
    CHECK(munmap(p, 2 * PAGE) == 0, "munmap: errno %d", errno);
}

/* mov $42, %eax; ret */
static const unsigned char code42[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 };

static void t_prot_exec(void)
{
    char *p = map(PAGE, RW);
    CHECK(p, "mmap: errno %d", errno);
    memcpy(p, code42, sizeof code42);
    faults(p, EXEC, "a read-write (no-execute) mapping");
    EXPECT_ERR(mprotect(p, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC), EACCES);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_WRITE | PROT_EXEC, PA, -1, 0), EACCES);
    CHECK(mprotect(p, PAGE, PROT_READ | PROT_EXEC) == 0, "mprotect(R|X): errno %d", errno);
    int r = ((int (*)(void))(uintptr_t)p)();
    CHECK(r == 42, "the code in the mapping returned %d, not 42", r);
    faults(p, WRITE, "a read-execute mapping");
    CHECK(mprotect(p, PAGE, PROT_READ) == 0, "mprotect(PROT_READ): errno %d", errno);
    faults(p, EXEC, "a mapping made read-only again");
    CHECK(munmap(p, PAGE) == 0, "munmap: errno %d", errno);
    char *x = map(PAGE, PROT_EXEC); /* execute-only: on x86 also readable */
    CHECK(x, "mmap(PROT_EXEC): errno %d", errno);
    works(x, READ, "a PROT_EXEC mapping");
    faults(x, WRITE, "a PROT_EXEC mapping");
    faults(x, READ_WRITE, "a PROT_EXEC mapping");
    CHECK(munmap(x, PAGE) == 0, "munmap: errno %d", errno);
}

static void t_fixed_replaces(void)
{
    char *p = map(4 * PAGE, RW);
    CHECK(p, "mmap: errno %d", errno);
    memset(p, 'o', 4 * PAGE);
    char *q = mmap(p + PAGE, 2 * PAGE, RW, PA | MAP_FIXED, -1, 0);
    CHECK(q == p + PAGE, "MAP_FIXED at %p gave %p (errno %d)", (void *)(p + PAGE), (void *)q, errno);
    CHECK(all_bytes(q, 2 * PAGE, 0), "MAP_FIXED over old contents: the new mapping is not zero");
    CHECK(all_bytes(p, PAGE, 'o') && all_bytes(p + 3 * PAGE, PAGE, 'o'), "the pages around it changed");
    char *r = mmap(p + 2 * PAGE, PAGE, PROT_READ, PA | MAP_FIXED, -1, 0);
    CHECK(r == p + 2 * PAGE, "MAP_FIXED read-only: %p (errno %d)", (void *)r, errno);
    faults(r, WRITE, "a read-only MAP_FIXED mapping over a read-write one");
    works(p + PAGE, WRITE, "the read-write page before it");
    /* A mapping at a fixed address where there was none, and its page
     * count: one mapping of 4 pages again after the holes are filled. */
    CHECK(munmap(p, 4 * PAGE) == 0, "munmap: errno %d", errno);
    char *s = mmap(p, 4 * PAGE, RW, PA | MAP_FIXED, -1, 0);
    CHECK(s == p, "MAP_FIXED into free space: %p (errno %d)", (void *)s, errno);
    CHECK(all_bytes(s, 4 * PAGE, 0), "MAP_FIXED into free space is not zero");
    CHECK(munmap(s, 4 * PAGE) == 0, "munmap: errno %d", errno);
}

static void t_hint(void)
{
    char *want = (char *)(AREA_BASE + 0x40000000ul); /* 1 GiB into the area */
    char *p = mmap(want, PAGE, RW, PA, -1, 0);
    CHECK(p == want, "a free hint %p gave %p (errno %d)", (void *)want, (void *)p, errno);
    char *q = mmap(want, PAGE, RW, PA, -1, 0);
    CHECK(q != MAP_FAILED && q != want && in_area(q, PAGE), "a hint in use gave %p (errno %d)", (void *)q, errno);
    char *r = mmap((void *)0x400000, PAGE, RW, PA, -1, 0); /* the program: not in the area */
    CHECK(r != MAP_FAILED && in_area(r, PAGE), "a hint outside the area gave %p (errno %d)", (void *)r, errno);
    char *s = mmap(want + PAGE + 123, PAGE, RW, PA, -1, 0); /* unaligned: rounded down */
    CHECK(s == want + PAGE, "an unaligned free hint gave %p, wanted %p", (void *)s, (void *)(want + PAGE));
    p[0] = q[0] = r[0] = s[0] = 1;
    CHECK(munmap(p, PAGE) == 0 && munmap(q, PAGE) == 0 && munmap(r, PAGE) == 0 && munmap(s, PAGE) == 0,
          "munmap: errno %d", errno);
}

/* After fork each process has its own copy of every mapping, with its
 * own later changes: contents, munmap and mprotect. */
static void t_fork_private(void)
{
    char *p = map(3 * PAGE, RW);
    char *ro = map(PAGE, PROT_READ);
    char *was_ro = map(PAGE, RW);
    CHECK(p && ro && was_ro, "mmap: errno %d", errno);
    p[0] = 'P';
    p[PAGE] = 'Q';
    /* Read-only at the fork, so shared without copy-on-write: made
     * writable in the child, the page must still be copied. */
    was_ro[0] = 'V';
    CHECK(mprotect(was_ro, PAGE, PROT_READ) == 0, "mprotect: errno %d", errno);
    int to_child[2], to_parent[2];
    CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0, "pipe: errno %d", errno);
    int pid = ut_fork();
    CHECK(pid >= 0, "fork: errno %d", errno);
    if (pid == 0) {
        char c;
        close(to_child[1]); /* so that each side sees the other's end as EOF if it dies */
        close(to_parent[0]);
        if (p[0] != 'P' || p[PAGE] != 'Q')
            _exit(2); /* the parent's contents are not there */
        p[0] = 'C';
        if (write(to_parent[1], "w", 1) != 1 || read(to_child[0], &c, 1) != 1)
            _exit(3);
        if (p[PAGE] != 'Q')
            _exit(4); /* the parent's later write shows */
        if (munmap(p + 2 * PAGE, PAGE) != 0 || mprotect(p, PAGE, PROT_READ) != 0)
            _exit(5);
        if (mprotect(was_ro, PAGE, RW) != 0)
            _exit(5);
        was_ro[0] = 'W';
        if (write(to_parent[1], "u", 1) != 1 || read(to_child[0], &c, 1) != 1)
            _exit(3);
        _exit(0);
    }
    char c;
    close(to_child[0]);
    close(to_parent[1]);
    CHECK(read(to_parent[0], &c, 1) == 1, "read from the child: errno %d (it ended: %s)", errno, ut_status_str(ut_reap(pid, NULL)));
    CHECK(p[0] == 'P', "the child's write shows in the parent: '%c'", p[0]);
    p[PAGE] = 'R';
    CHECK(write(to_child[1], "g", 1) == 1, "write to the child");
    CHECK(read(to_parent[0], &c, 1) == 1, "read from the child: errno %d (it ended: %s; 4: the parent's later "
          "write seen, 5: munmap/mprotect failed)", errno, ut_status_str(ut_reap(pid, NULL)));
    /* The child has unmapped a page and made one read-only: not here. */
    p[2 * PAGE] = 'S';
    p[0] = 'T';
    CHECK(p[2 * PAGE] == 'S' && p[0] == 'T', "the parent's pages after the child's munmap/mprotect");
    CHECK(was_ro[0] == 'V', "the child's write to a shared read-only page it made writable shows in the parent: "
          "'%c'", was_ro[0]);
    CHECK(write(to_child[1], "g", 1) == 1, "write to the child");
    int st = ut_reap(pid, NULL);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child: %s (2: parent's data missing, "
          "4: parent's later write seen, 5: munmap/mprotect failed)", ut_status_str(st));
    faults(ro, WRITE, "a read-only mapping in a forked child");
    works(p, WRITE, "a read-write mapping in a forked child");
    close(to_child[1]);
    close(to_parent[0]);
    CHECK(munmap(p, 3 * PAGE) == 0 && munmap(ro, PAGE) == 0 && munmap(was_ro, PAGE) == 0, "munmap: errno %d", errno);
}

static unsigned char pat(size_t i) { return (unsigned char)(i * 7 + 3); }

#define FILE_SIZE 5000 /* a page and some: the second page ends inside the file */
#define FILE_NAME "/tmp/mmaptests.dat"
/* Where the disk is read-only to this process (private, an instance other
 * than 0: ext2.h), a file that is there already. */
#define FILE_FALLBACK "/bin/echo"

static unsigned char file_bytes[128 * 1024];

/* The file's bytes from `off` in a mapping of len bytes: the file's, then 0. */
static int check_file_bytes(const unsigned char *p, size_t off, size_t size, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char want = off + i < size ? file_bytes[off + i] : 0;
        if (p[i] != want) {
            ut_fail("mapped byte %zu (file offset %zu of %zu): 0x%02x, expected 0x%02x", i, off + i, size, p[i],
                    want);
            return 0;
        }
    }
    return 1;
}

static long read_file(const char *path, unsigned char *buf, size_t max)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long total = 0, r;
    while (total < (long)max && (r = read(fd, buf + total, max - (size_t)total)) > 0)
        total += r;
    close(fd);
    return total;
}

static void t_file_private(void)
{
    const char *path = FILE_NAME;
    int fd = open(FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0644);
    int created = fd >= 0;
    if (created) {
        for (size_t i = 0; i < FILE_SIZE; i++)
            file_bytes[i] = pat(i);
        CHECK(write(fd, file_bytes, FILE_SIZE) == FILE_SIZE, "write: errno %d", errno);
        close(fd);
    } else {
        CHECK(errno == EROFS, "create %s: errno %d", FILE_NAME, errno);
        path = FILE_FALLBACK;
    }
    long got = read_file(path, file_bytes, sizeof file_bytes);
    CHECK(got > (long)PAGE && got < (long)sizeof file_bytes, "read %s: %ld bytes, errno %d", path, got, errno);
    size_t size = (size_t)got, pages = (size + PAGE - 1) / PAGE;
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open %s: errno %d", path, errno);

    /* The whole file and a page more, private and writable. */
    unsigned char *p = mmap(NULL, (pages + 1) * PAGE, RW, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED, "mmap of %s: errno %d", path, errno);
    if (!check_file_bytes(p, 0, size, (pages + 1) * PAGE))
        return;
    unsigned char first = p[0];
    p[0] ^= 0xff;
    p[size - 1] ^= 0xff;
    p[size + 10] = 1;
    p[pages * PAGE] = 2;
    /* From an offset, read-only. */
    unsigned char *q = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    CHECK(q != MAP_FAILED, "mmap at offset %lu: errno %d", PAGE, errno);
    if (!check_file_bytes(q, PAGE, size, PAGE))
        return;
    faults((char *)q, WRITE, "a read-only file mapping");
    unsigned char *z = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, (off_t)(pages * PAGE)); /* past the end */
    CHECK(z != MAP_FAILED && all_bytes((char *)z, PAGE, 0), "a mapping past the end of the file is not zero");
    CHECK(close(fd) == 0, "close: errno %d", errno);
    /* The mapping outlives the descriptor; the writes stayed private. */
    CHECK(p[0] == (first ^ 0xff) && p[size + 10] == 1, "the mapping after close()");
    static unsigned char back[sizeof file_bytes];
    long n = read_file(path, back, sizeof back);
    CHECK(n == (long)size && memcmp(back, file_bytes, size) == 0, "the file changed: %ld bytes, or other ones", n);
    /* A child sees the mapping's bytes, with the parent's changes. */
    int pid = ut_fork();
    if (pid == 0)
        _exit(p[0] == (first ^ 0xff) && p[1] == file_bytes[1] && q[5] == file_bytes[PAGE + 5] ? 0 : 1);
    int st = ut_reap(pid, NULL);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a forked child's view of a file mapping: %s",
          ut_status_str(st));
    /* A PROT_NONE file mapping keeps the bytes for a later mprotect. */
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open %s: errno %d", path, errno);
    unsigned char *h = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE, fd, 0);
    CHECK(h != MAP_FAILED, "mmap(PROT_NONE) of the file: errno %d", errno);
    close(fd);
    faults((char *)h, READ, "a PROT_NONE file mapping");
    CHECK(mprotect(h, 2 * PAGE, PROT_READ) == 0, "mprotect: errno %d", errno);
    if (!check_file_bytes(h, 0, size, 2 * PAGE))
        return;
    CHECK(munmap(p, (pages + 1) * PAGE) == 0 && munmap(q, PAGE) == 0 && munmap(z, PAGE) == 0 &&
              munmap(h, 2 * PAGE) == 0,
          "munmap: errno %d", errno);
    if (created)
        CHECK(unlink(FILE_NAME) == 0, "unlink: errno %d", errno);

    /* A file of the initrd (read-only, no disk involved). */
    fd = open("numbers.txt", O_RDONLY);
    CHECK(fd >= 0, "open numbers.txt: errno %d", errno);
    long len = read(fd, file_bytes, sizeof file_bytes);
    CHECK(len > 0 && len < (long)sizeof file_bytes, "read numbers.txt: %ld, errno %d", len, errno);
    char *m = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED, "mmap of numbers.txt (initrd): errno %d", errno);
    size_t end = ((size_t)len + PAGE - 1) & ~(PAGE - 1);
    check_file_bytes((unsigned char *)m, 0, (size_t)len, end);
    close(fd);
    CHECK(munmap(m, (size_t)len) == 0, "munmap: errno %d", errno);
}

/* The kernel's own accesses to mappings: read() into an untouched
 * read-write mapping maps it; into PROT_NONE or read-only ones, EFAULT. */
static void t_kernel_access(void)
{
    char *p = map(2 * PAGE, RW);
    char *n = map(PAGE, PROT_NONE);
    CHECK(p && n, "mmap: errno %d", errno);
    int fd = open("numbers.txt", O_RDONLY);
    CHECK(fd >= 0, "open: errno %d", errno);
    long r = read(fd, p + PAGE - 10, 100); /* across two untouched pages */
    CHECK(r == 100, "read() into an untouched mapping: %ld, errno %d", r, errno);
    EXPECT_ERR(read(fd, n, 10), EFAULT);
    EXPECT_ERR(read(fd, p + 2 * PAGE - 10, 100), EFAULT); /* runs off the end of the mapping */
    close(fd);
    struct stat st;
    EXPECT_ERR(stat((const char *)n, &st), EFAULT);
    CHECK(munmap(p, 2 * PAGE) == 0 && munmap(n, PAGE) == 0, "munmap: errno %d", errno);
    EXPECT_ERR(write(1, p, 1), EFAULT);
}

static void t_bad_args(void)
{
    char *p = map(2 * PAGE, RW);
    CHECK(p, "mmap: errno %d", errno);
    p[0] = 'k';
    /* mmap: lengths */
    EXPECT_ERR(mmap(NULL, 0, RW, PA, -1, 0), EINVAL);
    EXPECT_ERR(mmap(NULL, SIZE_MAX, RW, PA, -1, 0), EINVAL);            /* rounding up wraps */
    EXPECT_ERR(mmap(NULL, SIZE_MAX - PAGE + 1, PROT_NONE, PA, -1, 0), ENOMEM); /* more than the area */
    EXPECT_ERR(mmap(NULL, 1ul << 41, PROT_NONE, PA, -1, 0), ENOMEM);     /* 2 TiB: more than the area */
    /* protections and flags */
    EXPECT_ERR(mmap(NULL, PAGE, 8, PA, -1, 0), EINVAL);
    EXPECT_ERR(mmap(NULL, PAGE, -1, PA, -1, 0), EINVAL);
    EXPECT_ERR(mmap(NULL, PAGE, RW, MAP_ANONYMOUS, -1, 0), EINVAL);     /* neither private nor shared */
    EXPECT_ERR(mmap(NULL, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0), EINVAL); /* not offered */
    EXPECT_ERR(mmap(NULL, PAGE, RW, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    EXPECT_ERR(mmap(NULL, PAGE, RW, PA | 0x100, -1, 0), EINVAL);
    EXPECT_ERR(mmap(NULL, PAGE, RW, PA | (int)0x80000000u, -1, 0), EINVAL);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, PA, -1, 0), EACCES);
    /* MAP_FIXED: alignment, and only inside the area */
    EXPECT_ERR(mmap(p + 1, PAGE, RW, PA | MAP_FIXED, -1, 0), EINVAL);
    EXPECT_ERR(mmap((void *)0x400000, PAGE, RW, PA | MAP_FIXED, -1, 0), ENOMEM); /* the program's text */
    EXPECT_ERR(mmap(sbrk(0), PAGE, RW, PA | MAP_FIXED, -1, 0), ENOMEM);
    EXPECT_ERR(mmap((void *)(AREA_TOP - PAGE), 2 * PAGE, RW, PA | MAP_FIXED, -1, 0), ENOMEM);
    EXPECT_ERR(mmap((void *)(AREA_BASE - PAGE), 2 * PAGE, RW, PA | MAP_FIXED, -1, 0), ENOMEM);
    EXPECT_ERR(mmap((void *)-PAGE, PAGE, RW, PA | MAP_FIXED, -1, 0), ENOMEM);
    CHECK(p[0] == 'k' && code42[0] == 0xb8, "a refused mmap changed memory");
    /* files */
    int fd = open("numbers.txt", O_RDONLY);
    CHECK(fd >= 0, "open: errno %d", errno);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 1), EINVAL);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, -(off_t)PAGE), EINVAL);
    EXPECT_ERR(mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, (off_t)(~0ul >> 1) - (off_t)PAGE + 1), EINVAL);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 15, 0), EBADF);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 1000, 0), EBADF);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 1, 0), EACCES); /* the console */
    close(fd);
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe: errno %d", errno);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fds[0], 0), EACCES);
    close(fds[0]);
    close(fds[1]);
    fd = open("/", O_RDONLY);
    CHECK(fd >= 0, "open(\"/\"): errno %d", errno);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0), EACCES); /* a directory */
    close(fd);
    fd = open("/tests/numbers.txt", O_WRONLY); /* on the disk; nothing is written */
    CHECK(fd >= 0, "open /tests/numbers.txt for writing: errno %d", errno);
    EXPECT_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0), EACCES); /* not open for reading */
    close(fd);
    /* munmap */
    EXPECT_ERR(munmap(p + 1, PAGE), EINVAL);
    EXPECT_ERR(munmap(p, 0), EINVAL);
    EXPECT_ERR(munmap(p, SIZE_MAX), EINVAL);
    EXPECT_ERR(munmap(p, AREA_TOP), EINVAL); /* past the area's end */
    EXPECT_ERR(munmap((void *)0x400000, PAGE), EINVAL); /* the program */
    char *brk = sbrk(0);
    EXPECT_ERR(munmap((void *)(((uintptr_t)brk - 1) & ~(PAGE - 1)), PAGE), EINVAL); /* the heap */
    char local = 'l';
    EXPECT_ERR(munmap((void *)((uintptr_t)&local & ~(PAGE - 1)), PAGE), EINVAL); /* the stack */
    CHECK(munmap((void *)(AREA_TOP - PAGE), PAGE) == 0, "munmap of an empty range in the area: errno %d", errno);
    /* mprotect */
    EXPECT_ERR(mprotect(p + 1, PAGE, PROT_READ), EINVAL);
    EXPECT_ERR(mprotect(p, PAGE, 8), EINVAL);
    EXPECT_ERR(mprotect(p, SIZE_MAX, PROT_READ), EINVAL);
    EXPECT_ERR(mprotect(p, 3 * PAGE, PROT_READ), ENOMEM); /* runs past the mapping */
    EXPECT_ERR(mprotect((void *)0x400000, PAGE, PROT_READ), ENOMEM); /* not a mapping */
    EXPECT_ERR(mprotect((void *)(AREA_TOP - PAGE), PAGE, PROT_READ), ENOMEM);
    EXPECT_ERR(mprotect(p, PAGE, PROT_WRITE | PROT_EXEC), EACCES);
    CHECK(mprotect(p, 0, PROT_NONE) == 0, "mprotect with length 0: errno %d", errno);
    p[PAGE] = 'w'; /* still read-write after all that */
    CHECK(p[0] == 'k' && p[PAGE] == 'w', "the mapping after refused calls");
    CHECK(munmap(p, 2 * PAGE) == 0, "munmap: errno %d", errno);
}

/* docs/abi.md "Argument widths": prot, flags and fd are ints; an int
 * register that is not a sign extension is EINVAL, and nothing is done. */
static void t_int_width(void)
{
    static const uint64_t flips[] = { 1ull << 32, 0xffffffff00000000ull };
    for (unsigned f = 0; f < 2; f++) {
        long r = raw_syscall6(SYS_mmap, 0, (long)PAGE, (long)(RW ^ flips[f]), PA, -1, 0);
        CHECK(r == -EINVAL, "mmap with prot 0x%llx: %ld", (unsigned long long)(RW ^ flips[f]), r);
        r = raw_syscall6(SYS_mmap, 0, (long)PAGE, RW, (long)(PA ^ flips[f]), -1, 0);
        CHECK(r == -EINVAL, "mmap with flags 0x%llx: %ld", (unsigned long long)(PA ^ flips[f]), r);
        r = raw_syscall6(SYS_mmap, 0, (long)PAGE, RW, PA, (long)(-1L ^ (long)flips[f]), 0);
        CHECK(r == -EINVAL, "mmap with fd 0x%llx: %ld", (unsigned long long)(-1L ^ (long)flips[f]), r);
    }
    /* -1 zero-extended (movl $-1): not an int's register. */
    long r = raw_syscall6(SYS_mmap, 0, (long)PAGE, RW, PA, 0xffffffffL, 0);
    CHECK(r == -EINVAL, "mmap with fd 0xffffffff: %ld", r);
    r = raw_syscall6(SYS_mmap, 0, (long)PAGE, RW, PA, -1, 0x5a5a5a5a5a5a5000L); /* offset: ignored without a file */
    CHECK(r > 0 && in_area((void *)r, PAGE), "mmap with a sign-extended -1 fd: %ld", r);
    char *p = (char *)r;
    p[0] = 'i';
    for (unsigned f = 0; f < 2; f++) {
        long q = raw_syscall6(SYS_mprotect, r, (long)PAGE, (long)(PROT_READ ^ flips[f]), 0x5a5a, 0x5a5a, 0x5a5a);
        CHECK(q == -EINVAL, "mprotect with prot 0x%llx: %ld", (unsigned long long)(PROT_READ ^ flips[f]), q);
    }
    works(p, WRITE, "a mapping a refused mprotect left alone");
    /* 64-bit arguments are taken whole: an address with a high bit set is
     * a different (non-canonical) one, a length with one is huge. */
    long q = raw_syscall6(SYS_mmap, r | (1L << 47), (long)PAGE, RW, PA | MAP_FIXED, -1, 0);
    CHECK(q == -ENOMEM, "MAP_FIXED at %#lx: %ld", r | (1L << 47), q);
    q = raw_syscall6(SYS_munmap, r | (1L << 47), (long)PAGE, 0x5a5a, 0x5a5a, 0x5a5a, 0x5a5a);
    CHECK(q == -EINVAL, "munmap(%#lx): %ld", r | (1L << 47), q);
    q = raw_syscall6(SYS_mprotect, r | (1L << 63), (long)PAGE, PROT_NONE, 0x5a5a, 0x5a5a, 0x5a5a);
    CHECK(q == -ENOMEM, "mprotect(%#lx): %ld", r | (1L << 63), q);
    q = raw_syscall6(SYS_munmap, r, (long)PAGE | (1L << 40), 0x5a5a, 0x5a5a, 0x5a5a, 0x5a5a);
    CHECK(q == -EINVAL, "munmap with length %#lx: %ld", (long)PAGE | (1L << 40), q);
    CHECK(p[0] == 'i', "the mapping after the refused calls");
    q = raw_syscall6(SYS_munmap, r, (long)PAGE, 0x5a5a, 0x5a5a, 0x5a5a, 0x5a5a); /* junk in unused registers */
    CHECK(q == 0, "munmap with junk in the unused registers: %ld", q);
}

/* A mapping's frames go back when its process ends and when it execs;
 * after exec the mapping is gone. */
static void t_exit_exec_free(void)
{
    uint64_t before = ut_free_frames();
    int pid = ut_fork();
    if (pid == 0) {
        char *p = map(256 * PAGE, RW);
        if (!p)
            _exit(2);
        for (size_t i = 0; i < 256; i++)
            p[i * PAGE] = 1;
        _exit(0);
    }
    int st = ut_reap(pid, NULL);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child touching 1 MiB: %s", ut_status_str(st));
    uint64_t after = ut_free_frames();
    for (int i = 0; i < 40 && after < before; i++) {
        sleep_ms(50);
        after = ut_free_frames();
    }
    CHECK(after + 16 >= before, "free frames %llu before, %llu after a child touched 256 mapped pages and exited",
          (unsigned long long)before, (unsigned long long)after);

    char *p = map(PAGE, RW);
    CHECK(p, "mmap: errno %d", errno);
    p[0] = 'e';
    char addr[32];
    snprintf(addr, sizeof addr, "%lx", (unsigned long)(uintptr_t)p);
    char *argv[] = { "mmaptests", "--touch", addr, NULL };
    char *envp[] = { NULL };
    pid = ut_fork();
    if (pid == 0) {
        execve("mmaptests", argv, envp);
        _exit(100);
    }
    st = ut_reap(pid, NULL);
    CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
          "a program exec'd by a process with a mapping at %s read it: %s (expected SIGSEGV)", addr, ut_status_str(st));
    CHECK(p[0] == 'e' && munmap(p, PAGE) == 0, "the parent's mapping after its child's exec");
}

/* Map and touch 1 MiB at a time until mmap says ENOMEM; afterwards,
 * with the mappings gone, memory is there again. In a child, whose
 * memory then goes back; the kernel and the other processes go on. The
 * pages are made present by a read() at the end of a file into them
 * (the kernel fills in a buffer's pages before it copies, and the copy
 * is empty): one call per MiB instead of 256 page faults, which under
 * `leader` on a busy host took minutes. */
static void t_exhaust_memory(void)
{
    uint64_t before = ut_free_frames();
    static struct abi_sysinfo si;
    CHECK(sysinfo(&si) == 0, "sysinfo: errno %d", errno);
    uint64_t limit = si.total_frames / 256 + 64;
    int pid = ut_fork();
    if (pid == 0) {
        const size_t step = 256 * PAGE;
        static char *maps[4096];
        int fd = open("numbers.txt", O_RDONLY);
        if (fd < 0 || lseek(fd, 0, SEEK_END) <= 0)
            _exit(17);
        uint64_t n = 0;
        for (;; n++) {
            if (n > limit || n >= sizeof maps / sizeof maps[0])
                _exit(10); /* never refused */
            errno = 0;
            char *p = mmap(NULL, step, RW, PA, -1, 0);
            if (p == MAP_FAILED)
                break;
            if (n == 0) { /* the first by page faults */
                for (size_t off = 0; off < step; off += PAGE)
                    p[off] = 1;
            } else if (read(fd, p, step) != 0) {
                _exit(17);
            }
            for (size_t off = 0; off < step; off += PAGE)
                p[off + 1] = 1;
            maps[n] = p;
        }
        if (errno != ENOMEM)
            _exit(11);
        if (n == 0)
            _exit(12);
        for (uint64_t i = 0; i < n; i++)
            if (munmap(maps[i], step) != 0)
                _exit(13);
        char *p = mmap(NULL, step, RW, PA, -1, 0);
        if (p == MAP_FAILED)
            _exit(14);
        memset(p, 2, step);
        int kid = fork(); /* fork and copy-on-write still work */
        if (kid == 0) {
            memset(p, 3, step);
            _exit(0);
        }
        int st;
        if (kid < 0 || waitpid(kid, &st, 0) != kid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            _exit(15);
        _exit(all_bytes(p, step, 2) ? 0 : 16);
    }
    int st = ut_reap(pid, NULL);
    static const char *why[] = { "mmap never failed", "mmap failed but not with ENOMEM", "not even 1 MiB could be had",
                                 "munmap failed", "mapping again after munmap failed", "fork afterwards failed",
                                 "the grandchild's writes showed", "read() at the end of numbers.txt failed" };
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) >= 10 && WEXITSTATUS(st) <= 17)
        ut_fail("the child mapping memory: %s", why[WEXITSTATUS(st) - 10]);
    else
        CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child mapping memory: %s", ut_status_str(st));
    uint64_t after = ut_free_frames();
    for (int i = 0; i < 40 && after < before; i++) {
        sleep_ms(50);
        after = ut_free_frames();
    }
    CHECK(after + 16 >= before, "free frames %llu before, %llu after", (unsigned long long)before,
          (unsigned long long)after);
}

/* The table of mappings is small: one more is ENOMEM, and so is a split
 * that would need one; nothing changes then. */
static void t_exhaust_regions(void)
{
    char *big = map(3 * PAGE, RW);
    CHECK(big, "mmap: errno %d", errno);
    memset(big, 'b', 3 * PAGE);
    static char *one[4096];
    int n = 0;
    for (;; n++) {
        CHECK(n < 4096, "4096 mappings of alternating protection and no ENOMEM");
        errno = 0;
        /* Alternating protections: neighbours that could not merge. */
        char *p = mmap(NULL, PAGE, n % 2 ? PROT_NONE : PROT_READ, PA, -1, 0);
        if (p == MAP_FAILED)
            break;
        one[n] = p;
    }
    CHECK(errno == ENOMEM, "the mapping that did not fit: errno %d, expected ENOMEM", errno);
    CHECK(n >= 8, "only %d mappings fit", n);
    EXPECT_ERR(mprotect(big + PAGE, PAGE, PROT_READ), ENOMEM); /* would split one region into three */
    EXPECT_ERR(munmap(big + PAGE, PAGE), ENOMEM);               /* would split it into two */
    big[PAGE] = 'B'; /* still mapped, still read-write */
    /* An mprotect that merges needs no room: the last single page takes
     * its neighbour's protection. */
    int last = n - 1;
    CHECK(one[last] == one[last - 1] + PAGE, "mappings %p and %p, made one after the other, are not neighbours",
          (void *)one[last - 1], (void *)one[last]);
    CHECK(mprotect(one[last], PAGE, last % 2 ? PROT_READ : PROT_NONE) == 0,
          "an mprotect that merges two mappings, with the table full: errno %d", errno);
    CHECK(munmap(one[0], PAGE) == 0, "munmap of a whole mapping: errno %d", errno);
    CHECK(munmap(big + PAGE, PAGE) == 0, "munmap splitting a mapping, after one was freed: errno %d", errno);
    CHECK(big[0] == 'b' && big[2 * PAGE] == 'b', "the pieces' contents");
    for (int i = 1; i < n; i++)
        CHECK(munmap(one[i], PAGE) == 0, "munmap: errno %d", errno);
    CHECK(munmap(big, 3 * PAGE) == 0, "munmap: errno %d", errno);
    char *p = map(PAGE, RW);
    CHECK(p, "a mapping after all were removed: errno %d", errno);
    p[0] = 1;
    CHECK(munmap(p, PAGE) == 0, "munmap: errno %d", errno);
}

/* ---------------------------------------------------------------- runner */

static const struct ut_test tests[] = {
    { "anon_zero_rw", t_anon_zero_rw, 0 },
    { "munmap_faults", t_munmap_faults, 0 },
    { "partial_munmap", t_partial_munmap, 0 },
    { "mprotect_readonly", t_mprotect_readonly, 0 },
    { "prot_none", t_prot_none, 0 },
    { "prot_exec", t_prot_exec, 0 },
    { "fixed_replaces", t_fixed_replaces, 0 },
    { "hint", t_hint, 0 },
    { "fork_private", t_fork_private, 0 },
    { "file_private", t_file_private, 0 },
    { "kernel_access", t_kernel_access, 0 },
    { "bad_args", t_bad_args, 0 },
    { "int_width", t_int_width, 0 },
    { "exit_exec_free", t_exit_exec_free, 0 },
    { "exhaust_memory", t_exhaust_memory, 0 },
    { "exhaust_regions", t_exhaust_regions, 0 },
};
#define NTESTS (sizeof tests / sizeof tests[0])

static const struct ut_suite suite = {
    .prog = "mmaptests",
    .tests = tests,
    .ntests = NTESTS,
    .default_limit_s = 180, /* a hang guard: the slowest test takes seconds */
    .own_check = "no_leaks",
};

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--touch") == 0) {
        volatile char *p = (volatile char *)(uintptr_t)strtoull(argv[2], NULL, 16);
        (void)*p;
        return 0;
    }
    int r = ut_start(&suite, argc, argv);
    if (r != UT_GO_ON)
        return r;
    /* Warm-up: a fork and a pipe, so that this process's own memory is
     * settled before the first count. */
    int pid = ut_fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        ut_reap(pid, NULL);
    uint64_t free_start = ut_free_frames_settled(ut_free_frames());

    ut_run_tests(&suite, argc, argv);

    /* The last check, here in the parent: every frame is back. */
    ut_begin("no_leaks");
    uint64_t free_end = ut_free_frames_settled(free_start);
    if (free_end != free_start)
        ut_fail("%llu frames free after the warm-up, %llu at the end", (unsigned long long)free_start,
                (unsigned long long)free_end);
    ut_end();
    return ut_finish();
}
