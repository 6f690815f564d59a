/*
 * posixtests - tests of the POSIX interface of issue 15 that ordinary
 * programs expect: poll and select, clocks and sleeping, sysconf, uname,
 * the user ids, umask, access, the environment, execvp, system and popen
 * (docs/userland.md, docs/abi.md). Run by the matrix as run=posixtests
 * under every organisation.
 *
 *   posixtests            every test        posixtests NAME...   the named ones
 *   posixtests --poll-stdin   poll the console for a line, read it, print it
 *                         (the cell that types one: tests/input/poll-console.txt)
 *
 * Each test runs in a forked child (user/include/utest.h), which a
 * watchdog kills after a minute (a hang guard, not a timing assertion),
 * and prints "posixtests: PASS name" or "posixtests: FAIL name: why"; the
 * last line is "posixtests: N passed, N failed", and the exit status is 0
 * only if all passed.
 *
 * Under `private` every OS instance runs its own copy; instances other
 * than the first see the disk read-only (kernel/ext2.h), so the tests that
 * create files check EROFS there instead, and every name under /tmp
 * carries the instance and the pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "os.h"
#include "utest.h"

#define MS 1000000ull
/* A hang guard, not a timing assertion: the slowest test takes seconds. */
#define TEST_LIMIT_S 60

static struct abi_sysinfo si;

/* The disk as this OS instance sees it: writable by the first instance
 * only (private: the others mount it data-only). */
static bool disk_writable(void) { return si.os_instance == 0; }

/* A name under /tmp that no other test, process or instance uses. */
static const char *tmp_name(const char *what)
{
    static char names[4][64];
    static int next;
    char *b = names[next++ % 4];
    snprintf(b, 64, "/tmp/posix-%u-%d-%s", si.os_instance, getpid(), what);
    return b;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long read_file(const char *path, char *buf, size_t max)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = read(fd, buf, max);
    close(fd);
    return n;
}

/* ------------------------------------------------------------ poll */

/* Wait until process pid sleeps (in its poll: it does nothing else that
 * sleeps), at most 10 s: then a write finds it asleep, and only a wakeup
 * gets it going. */
static void wait_asleep(int pid)
{
    struct abi_procinfo pi;
    for (int tries = 0; tries < 2000; tries++) {
        for (int slot = 0; procinfo(slot, &pi) >= 0; slot++)
            if (pi.pid == pid && pi.state == ABI_P_SLEEPING)
                return;
        sleep_ms(5);
    }
}

/* A child that sleeps ms and waits until the parent sleeps, then writes
 * `text` into fds[1] and keeps its end open (so only the data can wake a
 * poller, not the close) until finish() kills it; with text NULL it just
 * exits, closing its end. The parent keeps only the read end. */
static int later(int fds[2], int ms, const char *text)
{
    int parent = getpid();
    int pid = ut_fork();
    if (pid == 0) {
        close(fds[0]);
        sleep_ms((uint64_t)ms);
        wait_asleep(parent);
        if (!text)
            _exit(0);
        if (write(fds[1], text, strlen(text)) != (ssize_t)strlen(text))
            _exit(1);
        sleep_ms(2 * TEST_LIMIT_S * 1000); /* longer than a test may take */
        _exit(0);
    }
    close(fds[1]);
    return pid;
}

/* The writer of later(): still there (it wrote and waits), then gone. */
static bool finish(int pid)
{
    int st;
    if (waitpid(pid, &st, WNOHANG) != 0)
        return false; /* it ended by itself (a failed write), or is gone */
    kill(pid, SIGKILL);
    st = ut_reap(pid, NULL);
    return st != -1 && WIFSIGNALED(st);
}

static void t_poll_pipe_data(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: errno %d", errno);
    struct pollfd pf = { .fd = p[0], .events = POLLIN };
    CHECK(poll(&pf, 1, 0) == 0 && pf.revents == 0, "empty pipe ready at once: revents 0x%x", pf.revents);
    int pid = later(p, 100, "data");
    uint64_t t0 = now_ns();
    int r = poll(&pf, 1, -1);
    uint64_t waited = now_ns() - t0;
    CHECK(r == 1, "poll = %d, errno %d; wanted 1", r, errno);
    CHECK(pf.revents == POLLIN, "revents 0x%x, wanted POLLIN only (0x%x)", pf.revents, POLLIN);
    char buf[8];
    CHECK(read(p[0], buf, sizeof buf) == 4 && memcmp(buf, "data", 4) == 0, "read after poll");
    CHECK(finish(pid), "the writer failed");
    CHECK(waited >= 50 * MS, "poll returned after %llu ns, before the writer could have written",
          (unsigned long long)waited);
    close(p[0]);
}

static void t_poll_pipe_hup(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: errno %d", errno);
    int pid = later(p, 100, NULL); /* its end closes when it exits */
    struct pollfd pf = { .fd = p[0], .events = POLLIN };
    int r = poll(&pf, 1, -1);
    CHECK(r == 1, "poll = %d, errno %d; wanted 1", r, errno);
    CHECK(pf.revents & POLLHUP, "revents 0x%x: no POLLHUP after the writer closed", pf.revents);
    char c;
    CHECK(read(p[0], &c, 1) == 0, "read after the hang-up is not end of file");
    CHECK(ut_reap(pid, NULL) == 0, "child failed");
    close(p[0]);
}

static void t_poll_timeout(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: errno %d", errno);
    struct pollfd pf = { .fd = p[0], .events = POLLIN };
    uint64_t t0 = now_ns();
    CHECK(poll(&pf, 1, 0) == 0, "timeout 0 on an empty pipe: not 0");
    CHECK(poll(&pf, 1, 120) == 0, "timeout 120 ms on an empty pipe: not 0 (errno %d)", errno);
    uint64_t waited = now_ns() - t0;
    CHECK(waited >= 120 * MS, "a 120 ms timeout returned after %llu ns", (unsigned long long)waited);
    CHECK(pf.revents == 0, "revents 0x%x after a timeout", pf.revents);
    /* no descriptors at all: a sleep */
    t0 = now_ns();
    CHECK(poll(NULL, 0, 30) == 0, "poll(NULL, 0, 30) = not 0, errno %d", errno);
    CHECK(now_ns() - t0 >= 30 * MS, "poll(NULL, 0, 30) did not wait");
    close(p[0]);
    close(p[1]);
}

static void t_poll_nval(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: errno %d", errno);
    close(15);
    struct pollfd pf[3] = { { .fd = 15, .events = POLLIN }, { .fd = -1, .events = POLLIN },
                            { .fd = p[1], .events = POLLOUT } };
    int r = poll(pf, 3, -1);
    CHECK(r == 2, "poll = %d; wanted 2 (the closed fd and the write end)", r);
    CHECK(pf[0].revents == POLLNVAL, "closed fd: revents 0x%x, wanted POLLNVAL", pf[0].revents);
    CHECK(pf[1].revents == 0, "negative fd: revents 0x%x, wanted 0", pf[1].revents);
    CHECK(pf[2].revents == POLLOUT, "write end: revents 0x%x, wanted POLLOUT", pf[2].revents);
    static struct pollfd many[ABI_POLL_MAX + 1];
    EXPECT_ERR(poll(many, ABI_POLL_MAX + 1, 0), EINVAL);
    EXPECT_ERR(poll((struct pollfd *)8, 1, 0), EFAULT);
    /* revents go back into the array: a read-only one is EFAULT at once */
    static const struct pollfd ro = { .fd = 0, .events = POLLOUT };
    EXPECT_ERR(poll((struct pollfd *)&ro, 1, -1), EFAULT);
    /* an int timeout with its upper half set is refused (docs/abi.md) */
    long rr = raw_syscall(SYS_poll, (long)pf, 1, 0x100000000l, 0, 0);
    CHECK(rr == -EINVAL, "timeout 1 << 32: %ld, wanted -EINVAL", rr);
    close(p[0]);
    close(p[1]);
}

static void t_poll_write_end(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: errno %d", errno);
    static char fill[4096];
    CHECK(write(p[1], fill, sizeof fill) == sizeof fill, "filling the pipe: errno %d", errno);
    struct pollfd pf = { .fd = p[1], .events = POLLOUT };
    CHECK(poll(&pf, 1, 0) == 0, "a full pipe is writable: revents 0x%x", pf.revents);
    char buf[1024];
    CHECK(read(p[0], buf, sizeof buf) > 0, "read");
    int r = poll(&pf, 1, 0);
    CHECK(r == 1 && pf.revents == POLLOUT, "after a read: poll %d revents 0x%x, wanted POLLOUT", r, pf.revents);
    close(p[0]);
    r = poll(&pf, 1, 0);
    CHECK(r == 1 && (pf.revents & POLLERR), "no reader: poll %d revents 0x%x, wanted POLLERR", r, pf.revents);
    close(p[1]);
}

/* A file of the disk or the initrd never blocks; the console is writable. */
static void t_poll_files(void)
{
    int fd = open("/etc/motd", O_RDONLY);
    if (fd < 0)
        fd = open("hello", O_RDONLY); /* the initrd's */
    CHECK(fd >= 0, "no file to open: errno %d", errno);
    struct pollfd pf[2] = { { .fd = fd, .events = POLLIN | POLLOUT }, { .fd = 1, .events = POLLOUT } };
    int r = poll(pf, 2, -1);
    CHECK(r == 2, "poll = %d, wanted 2", r);
    CHECK(pf[0].revents == (POLLIN | POLLOUT), "file: revents 0x%x", pf[0].revents);
    CHECK(pf[1].revents == POLLOUT, "console: revents 0x%x", pf[1].revents);
    close(fd);
}

/* Two pipes: only the one written is reported. */
static void t_poll_two_pipes(void)
{
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0, "pipe: errno %d", errno);
    int pid = later(b, 80, "x");
    struct pollfd pf[2] = { { .fd = a[0], .events = POLLIN }, { .fd = b[0], .events = POLLIN } };
    int r = poll(pf, 2, -1);
    CHECK(r == 1, "poll = %d, wanted 1", r);
    CHECK(pf[0].revents == 0 && pf[1].revents == POLLIN, "revents 0x%x 0x%x", pf[0].revents, pf[1].revents);
    CHECK(finish(pid), "the writer failed");
    close(a[0]);
    close(a[1]);
    close(b[0]);
}

/* A ball passed back and forth through two pipes, each side waiting in
 * poll (with a long timeout as the hang guard): a lost wakeup shows as a
 * timeout. On several CPUs the two run at once. */
static void t_poll_pingpong(void)
{
    int ab[2], ba[2];
    CHECK(pipe(ab) == 0 && pipe(ba) == 0, "pipe: errno %d", errno);
    enum { ROUNDS = 300 };
    int pid = ut_fork();
    if (pid == 0) {
        close(ab[1]);
        close(ba[0]);
        for (int i = 0; i < ROUNDS; i++) {
            struct pollfd pf = { .fd = ab[0], .events = POLLIN };
            char c;
            if (poll(&pf, 1, 10000) != 1 || read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    close(ab[0]);
    close(ba[1]);
    for (int i = 0; i < ROUNDS; i++) {
        char c = (char)i, d;
        struct pollfd pf = { .fd = ba[0], .events = POLLIN };
        CHECK(write(ab[1], &c, 1) == 1, "write in round %d", i);
        int r = poll(&pf, 1, 10000);
        CHECK(r == 1, "round %d: poll = %d (10 s without the ball: a lost wakeup?)", i, r);
        CHECK(read(ba[0], &d, 1) == 1 && d == c, "round %d: wrong ball", i);
    }
    CHECK(ut_reap(pid, NULL) == 0, "the other side failed");
    close(ab[1]);
    close(ba[0]);
}

/* A process killed while it waits in poll wakes and ends. */
static void t_poll_killed(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: errno %d", errno);
    int pid = ut_fork();
    if (pid == 0) {
        struct pollfd pf = { .fd = p[0], .events = POLLIN };
        poll(&pf, 1, -1);
        _exit(3);
    }
    sleep_ms(100);
    CHECK(kill(pid, SIGTERM) == 0, "kill: errno %d", errno);
    int st = ut_reap(pid, NULL);
    CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "status 0x%x, wanted killed by SIGTERM", st);
    close(p[0]);
    close(p[1]);
}

static void t_select_pipe(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: errno %d", errno);
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = { 0, 50000 };
    CHECK(select(p[0] + 1, &rd, NULL, NULL, &tv) == 0, "an empty pipe is readable");
    CHECK(!FD_ISSET(p[0], &rd), "the set still names the fd after a timeout");
    int q[2] = { p[0], p[1] };
    int pid = later(q, 100, "s");
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    FD_ZERO(&wr);
    int r = select(p[0] + 1, &rd, &wr, NULL, NULL);
    CHECK(r == 1 && FD_ISSET(p[0], &rd), "select = %d, errno %d; wanted the read end", r, errno);
    CHECK(finish(pid), "the writer failed");
    int w[2];
    CHECK(pipe(w) == 0, "pipe: errno %d", errno);
    FD_ZERO(&wr);
    FD_SET(w[1], &wr);
    r = select(w[1] + 1, NULL, &wr, NULL, NULL);
    CHECK(r == 1 && FD_ISSET(w[1], &wr), "write end: select = %d", r);
    close(14);
    FD_ZERO(&rd);
    FD_SET(14, &rd);
    EXPECT_ERR(select(15, &rd, NULL, NULL, NULL), EBADF);
    EXPECT_ERR(select(-1, NULL, NULL, NULL, NULL), EINVAL);
    close(p[0]);
    close(w[0]);
    close(w[1]);
}

/* ------------------------------------------------------------ clocks */

static void t_clock_monotonic(void)
{
    uint64_t prev = now_ns();
    CHECK(prev > 0, "clock_gettime(CLOCK_MONOTONIC): errno %d", errno);
    for (int i = 0; i < 2000; i++) {
        uint64_t t = now_ns();
        CHECK(t >= prev, "went back from %llu to %llu", (unsigned long long)prev, (unsigned long long)t);
        prev = t;
    }
    struct timespec req = { 0, 50 * 1000 * 1000 }, rem = { 7, 7 };
    uint64_t t0 = now_ns();
    CHECK(nanosleep(&req, &rem) == 0, "nanosleep: errno %d", errno);
    uint64_t slept = now_ns() - t0;
    CHECK(slept >= 50 * MS, "a 50 ms nanosleep advanced the clock by only %llu ns", (unsigned long long)slept);
    struct timespec bad = { 0, 1000000000 };
    EXPECT_ERR(nanosleep(&bad, NULL), EINVAL);
    bad.tv_nsec = -1;
    EXPECT_ERR(nanosleep(&bad, NULL), EINVAL);
    struct timespec ts, res;
    EXPECT_ERR(clock_gettime((clockid_t)99, &ts), EINVAL);
    EXPECT_ERR(clock_gettime(CLOCK_MONOTONIC, (struct timespec *)8), EFAULT);
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0, "clock_getres");
    EXPECT_ERR(clock_getres((clockid_t)99, &res), EINVAL);
}

static void t_clock_realtime(void)
{
    struct timespec ts;
    struct timeval tv;
    CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0, "clock_gettime(CLOCK_REALTIME): errno %d", errno);
    CHECK(gettimeofday(&tv, NULL) == 0, "gettimeofday");
    long long d = (long long)tv.tv_sec - (long long)ts.tv_sec;
    CHECK(d >= -86400 && d <= 86400, "REALTIME %lld and gettimeofday %lld are %lld s apart",
          (long long)ts.tv_sec, (long long)tv.tv_sec, d);
    CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000, "tv_nsec %ld out of range", ts.tv_nsec);
    CHECK(ts.tv_sec > 1000000000, "REALTIME %lld is before 2001", (long long)ts.tv_sec);
}

static void t_clock_cputime(void)
{
    struct timespec a, b;
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a) == 0, "errno %d", errno);
    uint64_t t0 = now_ns();
    volatile uint64_t x = 0;
    while (now_ns() - t0 < 30 * MS)
        x++;
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b) == 0, "errno %d", errno);
    uint64_t used = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ull + (uint64_t)b.tv_nsec - (uint64_t)a.tv_nsec;
    CHECK((b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec > a.tv_nsec)) && used > 0,
          "the CPU time did not advance over 30 ms of spinning");
    CHECK(used <= now_ns() - t0 + 5 * MS, "used %llu ns of CPU in %llu ns", (unsigned long long)used,
          (unsigned long long)(now_ns() - t0));
}

/* ------------------------------------------------------------ system */

static void t_sysconf(void)
{
    CHECK(sysconf(_SC_NPROCESSORS_CONF) == (long)si.ncpus, "_SC_NPROCESSORS_CONF %ld, sysinfo %u",
          sysconf(_SC_NPROCESSORS_CONF), si.ncpus);
    long online = 0;
    for (uint32_t i = 0; i < si.ncpus; i++)
        online += si.cpu[i].state == ABI_CPU_IDLE || si.cpu[i].state == ABI_CPU_RUNNING;
    long on = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(on >= 1 && on <= (long)si.ncpus && on == online, "_SC_NPROCESSORS_ONLN %ld, sysinfo %ld of %u", on,
          online, si.ncpus);
    CHECK(sysconf(_SC_PAGESIZE) == (long)si.page_size && getpagesize() == (int)si.page_size,
          "page size %ld / %d, sysinfo %u", sysconf(_SC_PAGESIZE), getpagesize(), si.page_size);
    CHECK(sysconf(_SC_CHILD_MAX) == (long)si.max_procs, "_SC_CHILD_MAX %ld", sysconf(_SC_CHILD_MAX));
    /* times() counts in _SC_CLK_TCK units: a 100 ms sleep is about a tenth of it */
    long tck = sysconf(_SC_CLK_TCK);
    CHECK(tck > 0, "_SC_CLK_TCK %ld", tck);
    clock_t c0 = times(NULL);
    sleep_ms(100);
    long ticks = (long)(times(NULL) - c0);
    CHECK(ticks >= tck / 10 && ticks < tck * 30, "100 ms were %ld times() ticks at _SC_CLK_TCK %ld", ticks, tck);
    /* _SC_OPEN_MAX descriptors, and not one more */
    long max = sysconf(_SC_OPEN_MAX);
    CHECK(max == ABI_NOFILE, "_SC_OPEN_MAX %ld", max);
    int last = -1, fd;
    while ((fd = dup(0)) >= 0)
        last = fd;
    CHECK(errno == EMFILE && last == max - 1, "dup stopped at fd %d (errno %d), _SC_OPEN_MAX %ld", last, errno, max);
    EXPECT_ERR(sysconf(-1), EINVAL);
    EXPECT_ERR(sysconf(9999), EINVAL);
}

static void t_uname(void)
{
    struct utsname u;
    CHECK(uname(&u) == 0, "uname: errno %d", errno);
    CHECK(strcmp(u.sysname, "teachos") == 0, "sysname '%s'", u.sysname);
    CHECK(strcmp(u.machine, "x86_64") == 0, "machine '%s'", u.machine);
    CHECK(u.release[0] && u.nodename[0], "empty release or nodename");
    char model[sizeof si.model + 1];
    snprintf(model, sizeof model, "%.*s", (int)sizeof si.model, si.model);
    CHECK(strstr(u.version, model) != NULL, "version '%s' does not name the organisation '%s'", u.version, model);
    EXPECT_ERR(uname((struct utsname *)8), EFAULT);
}

static void t_ids(void)
{
    CHECK(getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0, "ids %d %d %d %d", (int)getuid(),
          (int)geteuid(), (int)getgid(), (int)getegid());
}

/* The mode of a created file, or -1. */
static int mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static void t_umask(void)
{
    mode_t old = umask(077);
    CHECK(old == 022, "the first umask was %03o, wanted 022 (the default)", (unsigned)old);
    CHECK(umask(077) == 077, "umask did not keep 077");
    if (disk_writable()) {
        const char *f = tmp_name("umask"), *d = tmp_name("umaskdir");
        int fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0666);
        CHECK(fd >= 0, "create %s: errno %d", f, errno);
        close(fd);
        int m = mode_of(f);
        unlink(f);
        CHECK(m == 0600, "0666 under umask 077 made mode %03o, wanted 0600", m);
        CHECK(mkdir(d, 0777) == 0, "mkdir: errno %d", errno);
        m = mode_of(d);
        rmdir(d);
        CHECK(m == 0700, "mkdir 0777 under umask 077 made mode %03o, wanted 0700", m);
        FILE *s = fopen(f, "w"); /* stdio asks for 0666 */
        CHECK(s != NULL, "fopen: errno %d", errno);
        fclose(s);
        m = mode_of(f);
        unlink(f);
        CHECK(m == 0600, "fopen under umask 077 made mode %03o", m);
        EXPECT_ERR(open(f, O_WRONLY | O_CREAT, 010644), EINVAL); /* not a permission bit */
    } else {
        EXPECT_ERR(open(tmp_name("umask"), O_WRONLY | O_CREAT, 0644), EROFS);
    }
    /* without O_CREAT the mode register is not read, whatever it holds */
    long r = raw_syscall(SYS_open, (long)"/no/such/file", O_RDONLY, 0x123456789l, 0, 0);
    CHECK(r == -ENOENT, "open without O_CREAT, junk mode: %ld, wanted -ENOENT", r);
    /* inherited by a child, and over exec */
    int pid = ut_fork();
    if (pid == 0)
        _exit(umask(0) == 077 ? 0 : 1);
    CHECK(ut_reap(pid, NULL) == 0, "a child did not inherit umask 077");
    umask(027);
    pid = ut_fork();
    if (pid == 0) {
        execlp("posixtests", "posixtests", "--umask", (char *)NULL);
        _exit(99);
    }
    int st = ut_reap(pid, NULL);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 027, "after exec the umask was %d, wanted %d (%s)",
          WEXITSTATUS(st), 027, WEXITSTATUS(st) == 99 ? "exec failed" : "");
    umask(022);
}

static void t_access(void)
{
    CHECK(access("/bin/sh", F_OK) == 0, "access(/bin/sh, F_OK): errno %d", errno);
    CHECK(access("/bin/sh", R_OK | X_OK) == 0, "access(/bin/sh, R_OK|X_OK): errno %d", errno);
    CHECK(access("hello", X_OK) == 0, "the initrd's hello: X_OK: errno %d", errno);
    EXPECT_ERR(access("hello", W_OK), EROFS); /* the initrd is read-only */
    CHECK(access("/etc/motd", R_OK) == 0, "access(/etc/motd, R_OK): errno %d", errno);
    EXPECT_ERR(access("/etc/motd", X_OK), EACCES); /* mode 0644: root needs an x bit */
    CHECK(access("/tmp", X_OK | R_OK) == 0, "access(/tmp, X_OK): errno %d", errno);
    EXPECT_ERR(access("/no/such/file", F_OK), ENOENT);
    EXPECT_ERR(access("/bin/sh", 8), EINVAL);
    EXPECT_ERR(access((const char *)8, F_OK), EFAULT);
    if (disk_writable()) {
        CHECK(access("/etc/motd", W_OK) == 0, "root may write /etc/motd: errno %d", errno);
        const char *f = tmp_name("access");
        int fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0);
        CHECK(fd >= 0, "create: errno %d", errno);
        close(fd);
        bool ok = access(f, R_OK | W_OK) == 0 && access(f, X_OK) < 0 && errno == EACCES;
        unlink(f);
        CHECK(ok, "mode 000: root reads and writes, but does not execute");
    } else {
        EXPECT_ERR(access("/etc/motd", W_OK), EROFS);
    }
}

/* ------------------------------------------------------------ environment */

static void t_environment(void)
{
    const char *path = getenv("PATH"), *home = getenv("HOME"), *term = getenv("TERM");
    CHECK(path && strcmp(path, "/bin") == 0, "PATH is %s", path ? path : "(unset)");
    CHECK(home && (strcmp(home, "/") == 0 || strcmp(home, "/root") == 0), "HOME is %s", home ? home : "(unset)");
    CHECK(term && strcmp(term, "vt100") == 0, "TERM is %s", term ? term : "(unset)");
    CHECK(setenv("POSIXTESTS_X", "forty two", 1) == 0, "setenv");
    CHECK(strcmp(getenv("POSIXTESTS_X"), "forty two") == 0, "getenv after setenv");
    int pid = ut_fork();
    if (pid == 0) {
        execlp("posixtests", "posixtests", "--getenv", "POSIXTESTS_X", "forty two", (char *)NULL);
        _exit(99);
    }
    int st = ut_reap(pid, NULL);
    CHECK(st == 0, "a program run after setenv did not see it (exit %d)", WEXITSTATUS(st));
    unsetenv("POSIXTESTS_X");
    CHECK(getenv("POSIXTESTS_X") == NULL, "unsetenv");
}

/* execvp and execlp look through PATH: `sync` is a program of the disk's
 * /bin only, so an exec by its bare name finds it only that way. */
static void t_execvp(void)
{
    int pid = ut_fork();
    if (pid == 0) {
        char *argv[] = { "sync", NULL };
        execvp("sync", argv);
        _exit(100 + errno);
    }
    int st = ut_reap(pid, NULL);
    CHECK(st == 0, "execvp(\"sync\") with PATH=/bin: exit %d", WEXITSTATUS(st));
    pid = ut_fork();
    if (pid == 0) {
        setenv("PATH", "/nowhere:/tmp", 1);
        execlp("sync", "sync", (char *)NULL);
        _exit(errno == ENOENT ? 0 : 100 + errno);
    }
    st = ut_reap(pid, NULL);
    CHECK(st == 0, "execlp(\"sync\") with a PATH without it: exit %d (0: ENOENT)", WEXITSTATUS(st));
    pid = ut_fork();
    if (pid == 0) { /* PATH unset: /bin */
        unsetenv("PATH");
        execlp("sync", "sync", (char *)NULL);
        _exit(100 + errno);
    }
    st = ut_reap(pid, NULL);
    CHECK(st == 0, "execlp(\"sync\") without PATH: exit %d", WEXITSTATUS(st));
    pid = ut_fork();
    if (pid == 0) { /* the initrd's flat names, when PATH finds nothing */
        setenv("PATH", "/nowhere", 1);
        execlp("ut_args", "ut_args", "exit", "7", (char *)NULL);
        _exit(100 + errno);
    }
    st = ut_reap(pid, NULL);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 7, "execlp of the initrd's ut_args: exit %d",
          WEXITSTATUS(st));
}

static void t_system(void)
{
    CHECK(system(NULL) != 0, "system(NULL): no shell");
    int st = system("exit 3");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "system(\"exit 3\") = 0x%x", st);
    st = system("no-such-program-here");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127, "system of a missing program = 0x%x, wanted exit 127", st);
    if (disk_writable()) {
        const char *f = tmp_name("system");
        char cmd[128], buf[16] = { 0 };
        snprintf(cmd, sizeof cmd, "echo hi > %s", f);
        st = system(cmd);
        CHECK(st == 0, "system(\"%s\") = 0x%x", cmd, st);
        long n = read_file(f, buf, sizeof buf - 1);
        unlink(f);
        CHECK(n == 3 && strcmp(buf, "hi\n") == 0, "%s holds %ld bytes '%s', wanted \"hi\\n\"", f, n, buf);
    } else {
        st = system("echo hi > /tmp/posix-ro");
        CHECK(st != 0, "a redirection into a read-only disk succeeded");
    }
}

static void t_popen(void)
{
    FILE *f = popen("echo hi", "r");
    CHECK(f != NULL, "popen(\"echo hi\", \"r\"): errno %d", errno);
    char line[32] = { 0 };
    char *got = fgets(line, sizeof line, f);
    int st = pclose(f);
    CHECK(got && strcmp(line, "hi\n") == 0, "read '%s' from echo hi", line);
    CHECK(st == 0, "pclose = 0x%x", st);
    f = popen("exit 5", "r");
    CHECK(f != NULL, "popen(\"exit 5\")");
    st = pclose(f);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "pclose of exit 5 = 0x%x", st);
    errno = 0;
    CHECK(popen("echo", "rw") == NULL && errno == EINVAL, "popen mode \"rw\" accepted");
    if (disk_writable()) {
        const char *path = tmp_name("popen");
        char cmd[128], buf[16] = { 0 };
        snprintf(cmd, sizeof cmd, "cat > %s", path);
        f = popen(cmd, "w");
        CHECK(f != NULL, "popen(\"%s\", \"w\")", cmd);
        fputs("abc", f);
        st = pclose(f);
        long n = read_file(path, buf, sizeof buf - 1);
        unlink(path);
        CHECK(st == 0 && n == 3 && strcmp(buf, "abc") == 0, "cat wrote %ld bytes '%s', status 0x%x", n, buf, st);
    }
}

/* ------------------------------------------------------------ driver */

static const struct ut_test tests[] = {
    { "poll_pipe_data", t_poll_pipe_data, 0 },
    { "poll_pipe_hup", t_poll_pipe_hup, 0 },
    { "poll_timeout", t_poll_timeout, 0 },
    { "poll_nval", t_poll_nval, 0 },
    { "poll_write_end", t_poll_write_end, 0 },
    { "poll_files", t_poll_files, 0 },
    { "poll_two_pipes", t_poll_two_pipes, 0 },
    { "poll_pingpong", t_poll_pingpong, 0 },
    { "poll_killed", t_poll_killed, 0 },
    { "select_pipe", t_select_pipe, 0 },
    { "clock_monotonic", t_clock_monotonic, 0 },
    { "clock_realtime", t_clock_realtime, 0 },
    { "clock_cputime", t_clock_cputime, 0 },
    { "sysconf", t_sysconf, 0 },
    { "uname", t_uname, 0 },
    { "ids", t_ids, 0 },
    { "umask", t_umask, 0 },
    { "access", t_access, 0 },
    { "environment", t_environment, 0 },
    { "execvp", t_execvp, 0 },
    { "system", t_system, 0 },
    { "popen", t_popen, 0 },
};

static const struct ut_suite suite = {
    .prog = "posixtests",
    .tests = tests,
    .ntests = sizeof tests / sizeof tests[0],
    .default_limit_s = TEST_LIMIT_S,
};

int main(int argc, char **argv)
{
    /* helpers that tests exec */
    if (argc == 2 && strcmp(argv[1], "--umask") == 0)
        return (int)umask(0);
    if (argc == 4 && strcmp(argv[1], "--getenv") == 0) {
        const char *v = getenv(argv[2]);
        return v && strcmp(v, argv[3]) == 0 ? 0 : 1;
    }
    if (argc == 2 && strcmp(argv[1], "--poll-stdin") == 0) { /* the console cell: a line typed after it */
        struct pollfd pf = { .fd = 0, .events = POLLIN };
        int r = poll(&pf, 1, 10000);
        char line[64] = { 0 };
        ssize_t n = r == 1 ? read(0, line, sizeof line - 1) : 0;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        printf("poll-stdin: poll %d revents 0x%x line '%s'\n", r, pf.revents, line);
        return r == 1 ? 0 : 1;
    }
    int r = ut_start(&suite, argc, argv);
    if (r != UT_GO_ON)
        return r;
    if (sysinfo(&si) < 0) {
        ut_fail("sysinfo: errno %d", errno);
        return ut_finish();
    }
    ut_run_tests(&suite, argc, argv);
    return ut_finish();
}
