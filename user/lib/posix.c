/*
 * user/lib/posix.c - the POSIX calls of issue 15 that are not plain newlib
 * stubs (those are in syscalls.c): waiting on several descriptors, clocks,
 * the system's description, the one user, file-creation mask and access,
 * and running programs by name (execvp, system, popen).
 *
 * Kernel calls where the kernel has the state: poll (57), clock_gettime
 * (58: the wall clock's nanoseconds and the CPU time are the kernel's),
 * umask (59: a per-process mask, inherited), uname (60: the organisation),
 * access (61: the modes, and which file systems are read-only). Built
 * here from calls that exist: select (over poll), clock_getres and
 * nanosleep (over SYS_sleep and the uptime), sysconf and getpagesize
 * (sysinfo), getuid and friends (one user: root), the exec family, system,
 * popen and pclose (fork, execve, pipe, waitpid).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "abi.h"
#include "os.h"

extern char **environ;

/* The kernel's result: >= 0 passes through, -E becomes errno = E and -1
 * (raw_syscall is syscalls.c's instruction, unchanged). */
static long check(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* ---------------------------------------------------------------------
 * poll and select
 * ------------------------------------------------------------------- */
_Static_assert(sizeof(struct pollfd) == sizeof(struct abi_pollfd), "struct pollfd is struct abi_pollfd");
_Static_assert(offsetof(struct pollfd, revents) == offsetof(struct abi_pollfd, revents), "pollfd layout");
_Static_assert(POLLIN == ABI_POLLIN && POLLPRI == ABI_POLLPRI && POLLOUT == ABI_POLLOUT &&
               POLLERR == ABI_POLLERR && POLLHUP == ABI_POLLHUP && POLLNVAL == ABI_POLLNVAL &&
               POLLRDNORM == ABI_POLLRDNORM && POLLWRNORM == ABI_POLLWRNORM, "poll bits");
_Static_assert(_UTSNAME_LENGTH == ABI_UTSNAME_LEN, "utsname field size");

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    return (int)check(raw_syscall(SYS_poll, (long)fds, (long)nfds, timeout, 0, 0));
}

/* select() is poll() over the descriptors the sets name. An fd that is not
 * open is EBADF (poll says POLLNVAL); a pipe with no writer left, or no
 * reader, counts as readable or writable: the read or write would not
 * block (it ends or fails at once). The timeout is rounded up to whole
 * milliseconds and is not updated. */
int select(int n, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
    struct pollfd pfd[FD_SETSIZE];
    nfds_t k = 0;
    if (n < 0 || n > FD_SETSIZE) {
        errno = EINVAL;
        return -1;
    }
    int ms = -1;
    if (tv) {
        if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000) {
            errno = EINVAL;
            return -1;
        }
        long long t = (long long)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
        ms = tv->tv_sec > INT_MAX / 1000 || t > INT_MAX ? INT_MAX : (int)t;
    }
    for (int fd = 0; fd < n; fd++) {
        short ev = (short)((rd && FD_ISSET(fd, rd) ? POLLIN : 0) | (wr && FD_ISSET(fd, wr) ? POLLOUT : 0) |
                           (ex && FD_ISSET(fd, ex) ? POLLPRI : 0));
        if (ev)
            pfd[k++] = (struct pollfd){ .fd = fd, .events = ev };
    }
    int r = poll(pfd, k, ms);
    if (r < 0)
        return -1;
    for (nfds_t i = 0; i < k; i++)
        if (pfd[i].revents & POLLNVAL) {
            errno = EBADF;
            return -1;
        }
    if (rd)
        FD_ZERO(rd);
    if (wr)
        FD_ZERO(wr);
    if (ex)
        FD_ZERO(ex);
    int count = 0;
    for (nfds_t i = 0; i < k; i++) {
        int fd = pfd[i].fd;
        short ev = pfd[i].events, re = pfd[i].revents;
        if ((ev & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR))) {
            FD_SET(fd, rd);
            count++;
        }
        if ((ev & POLLOUT) && (re & (POLLOUT | POLLERR))) {
            FD_SET(fd, wr);
            count++;
        }
        if ((ev & POLLPRI) && (re & POLLPRI)) {
            FD_SET(fd, ex);
            count++;
        }
    }
    return count;
}

/* ---------------------------------------------------------------------
 * Clocks and sleeping
 * ------------------------------------------------------------------- */
_Static_assert(CLOCK_REALTIME == ABI_CLOCK_REALTIME && CLOCK_MONOTONIC == ABI_CLOCK_MONOTONIC &&
               CLOCK_PROCESS_CPUTIME_ID == ABI_CLOCK_PROCESS_CPUTIME_ID, "newlib's clock ids are the ABI's");

/* newlib's struct timespec is struct abi_timespec: the kernel fills it in
 * (and a bad pointer is EFAULT, not a crash here). */
_Static_assert(sizeof(struct timespec) == sizeof(struct abi_timespec) &&
               offsetof(struct timespec, tv_nsec) == offsetof(struct abi_timespec, nsec) &&
               sizeof(time_t) == sizeof(int64_t), "struct timespec is struct abi_timespec");

int clock_gettime(clockid_t clock, struct timespec *ts)
{
    return (int)check(raw_syscall(SYS_clock_gettime, (long)clock, (long)ts, 0, 0, 0));
}

/* Every clock counts in nanoseconds (the calibrated cycle counter). */
int clock_getres(clockid_t clock, struct timespec *res)
{
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_PROCESS_CPUTIME_ID &&
        clock != ABI_CLOCK_THREAD_CPUTIME_ID) {
        errno = EINVAL;
        return -1;
    }
    if (res) {
        res->tv_sec = 0;
        res->tv_nsec = 1;
    }
    return 0;
}

#define NS_PER_SEC 1000000000ull
#define NS_PER_MS 1000000ull

/* The kernel sleeps in whole milliseconds: the request is rounded up, so
 * it never sleeps less than asked. Interrupted (a kill today, a signal
 * once there are signals), it says how much was left. */
int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!req) {
        errno = EFAULT;
        return -1;
    }
    if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= (long)NS_PER_SEC) {
        errno = EINVAL;
        return -1;
    }
    /* Over 2^62 ns (146 years) is as good as for ever: no overflow below. */
    uint64_t want = (uint64_t)req->tv_sec > (1ull << 62) / NS_PER_SEC
                        ? 1ull << 62
                        : (uint64_t)req->tv_sec * NS_PER_SEC + (uint64_t)req->tv_nsec;
    uint64_t start = uptime_ns();
    long r = raw_syscall(SYS_sleep, (long)((want + NS_PER_MS - 1) / NS_PER_MS), 0, 0, 0, 0);
    if (r >= 0)
        return 0;
    if (r == -EINTR && rem) {
        uint64_t slept = uptime_ns() - start;
        uint64_t left = slept < want ? want - slept : 0;
        rem->tv_sec = (time_t)(left / NS_PER_SEC);
        rem->tv_nsec = (long)(left % NS_PER_SEC);
    }
    return (int)check(r);
}

/* ---------------------------------------------------------------------
 * The system
 * ------------------------------------------------------------------- */

/* sysinfo() fills 20 KiB: once per process for the values that never
 * change, again for the CPUs online, which may (cpufail). */
static struct abi_sysinfo si;

long sysconf(int name)
{
    switch (name) {
    case _SC_OPEN_MAX:
        return ABI_NOFILE;
    case _SC_CLK_TCK:
        return CLOCKS_PER_SEC; /* the unit of times() (syscalls.c converts to it) */
    case _SC_PAGESIZE:
    case _SC_CHILD_MAX:
    case _SC_NPROCESSORS_CONF:
    case _SC_NPROCESSORS_ONLN:
        break;
    default:
        errno = EINVAL;
        return -1;
    }
    if (sysinfo(&si) < 0)
        return -1;
    switch (name) {
    case _SC_PAGESIZE:
        return si.page_size;
    case _SC_CHILD_MAX:
        return si.max_procs; /* the process table, shared with everybody */
    case _SC_NPROCESSORS_CONF:
        return si.ncpus;
    default: { /* _SC_NPROCESSORS_ONLN: up, idle or busy; not offline or failed */
        long n = 0;
        for (uint32_t i = 0; i < si.ncpus && i < ABI_MAX_CPUS; i++)
            n += si.cpu[i].state == ABI_CPU_IDLE || si.cpu[i].state == ABI_CPU_RUNNING;
        return n;
    }
    }
}

int getpagesize(void)
{
    static int size;
    if (!size)
        size = (int)sysconf(_SC_PAGESIZE);
    return size > 0 ? size : 4096;
}

_Static_assert(sizeof(struct utsname) == sizeof(struct abi_utsname), "struct utsname is struct abi_utsname");

int uname(struct utsname *name)
{
    return (int)check(raw_syscall(SYS_uname, (long)name, 0, 0, 0, 0));
}

/* One user, root; one group, its own. */
uid_t getuid(void) { return 0; }
uid_t geteuid(void) { return 0; }
gid_t getgid(void) { return 0; }
gid_t getegid(void) { return 0; }

mode_t umask(mode_t mask)
{
    return (mode_t)raw_syscall(SYS_umask, (long)(int)(mask & 0777), 0, 0, 0, 0);
}

int access(const char *path, int mode)
{
    return (int)check(raw_syscall(SYS_access, (long)path, mode, 0, 0, 0));
}

/* ---------------------------------------------------------------------
 * Running programs by name
 * ------------------------------------------------------------------- */
#define DEFAULT_PATH "/bin"
#define MAX_EXEC_ARGS 64

/* execvp: a name without '/' is looked for in each directory of $PATH
 * (default /bin; an empty entry is the working directory), in order; the
 * first that exists is run. Only when PATH finds nothing is the name
 * tried as it is: the initrd's programs have flat names ("echo"), and a
 * machine without a disk has no /bin. */
int execvpe(const char *file, char *const argv[], char *const envp[])
{
    if (!file || !*file) {
        errno = ENOENT;
        return -1;
    }
    if (strchr(file, '/'))
        return execve(file, argv, envp);
    const char *path = getenv("PATH");
    if (!path)
        path = DEFAULT_PATH;
    int saw_eacces = 0;
    size_t flen = strlen(file);
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t dlen = end ? (size_t)(end - p) : strlen(p);
        char full[ABI_PATH_MAX];
        if (dlen + 1 + flen < sizeof full) {
            if (dlen) {
                memcpy(full, p, dlen);
                full[dlen] = '/';
                memcpy(full + dlen + 1, file, flen + 1);
            } else {
                memcpy(full, file, flen + 1);
            }
            execve(full, argv, envp);
            if (errno == EACCES)
                saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG)
                return -1; /* it exists but cannot run (ENOEXEC, E2BIG, ENOMEM): say so */
        }
        if (!end)
            break;
        p = end;
    }
    execve(file, argv, envp); /* the initrd's flat name */
    if (errno == ENOENT && saw_eacces)
        errno = EACCES;
    return -1;
}

int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

/* The list forms: the arguments up to the NULL into an array. */
static int collect(const char *arg0, va_list ap, char **argv)
{
    int n = 0;
    for (const char *a = arg0; a; a = va_arg(ap, const char *)) {
        if (n == MAX_EXEC_ARGS) {
            errno = E2BIG;
            return -1;
        }
        argv[n++] = (char *)a;
    }
    argv[n] = NULL;
    return n;
}

int execl(const char *path, const char *arg0, ...)
{
    char *argv[MAX_EXEC_ARGS + 1];
    va_list ap;
    va_start(ap, arg0);
    int n = collect(arg0, ap, argv);
    va_end(ap);
    return n < 0 ? -1 : execve(path, argv, environ);
}

int execlp(const char *file, const char *arg0, ...)
{
    char *argv[MAX_EXEC_ARGS + 1];
    va_list ap;
    va_start(ap, arg0);
    int n = collect(arg0, ap, argv);
    va_end(ap);
    return n < 0 ? -1 : execvp(file, argv);
}

int execle(const char *path, const char *arg0, ...)
{
    char *argv[MAX_EXEC_ARGS + 1];
    va_list ap;
    va_start(ap, arg0);
    int n = collect(arg0, ap, argv);
    char *const *envp = n < 0 ? NULL : va_arg(ap, char *const *);
    va_end(ap);
    return n < 0 ? -1 : execve(path, argv, envp);
}

/* The shell: /bin/sh on the disk, else the initrd's sh (a machine without
 * a disk). In a child, which _exit(127)s when neither runs (POSIX). */
__attribute__((noreturn)) static void exec_shell(const char *cmd)
{
    char *argv[] = { "sh", "-c", (char *)cmd, NULL };
    execve("/bin/sh", argv, environ);
    execve("sh", argv, environ);
    _exit(127);
}

/* Without signals to block, system() is fork, sh -c and a wait that goes
 * on through EINTR. system(NULL) asks whether there is a shell. */
int system(const char *cmd)
{
    if (!cmd)
        return access("/bin/sh", X_OK) == 0 || access("sh", X_OK) == 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        exec_shell(cmd);
    int status;
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    return w < 0 ? -1 : status;
}

/* popen's children, by stream: pclose waits for the right one, and each
 * new child closes the streams of the others (POSIX). */
#define MAX_POPEN 8
static struct {
    FILE *f;
    pid_t pid;
} popened[MAX_POPEN];

FILE *popen(const char *cmd, const char *mode)
{
    if (!cmd || !mode || (strcmp(mode, "r") != 0 && strcmp(mode, "w") != 0)) {
        errno = EINVAL;
        return NULL;
    }
    int reading = mode[0] == 'r';
    int slot = 0;
    while (slot < MAX_POPEN && popened[slot].f)
        slot++;
    if (slot == MAX_POPEN) {
        errno = EMFILE;
        return NULL;
    }
    int p[2];
    if (pipe(p) < 0)
        return NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        errno = e;
        return NULL;
    }
    if (pid == 0) {
        for (int i = 0; i < MAX_POPEN; i++)
            if (popened[i].f)
                close(fileno(popened[i].f));
        int mine = reading ? p[1] : p[0], other = reading ? p[0] : p[1];
        close(other);
        if (mine != (reading ? 1 : 0)) {
            dup2(mine, reading ? 1 : 0);
            close(mine);
        }
        exec_shell(cmd);
    }
    close(reading ? p[1] : p[0]);
    FILE *f = fdopen(reading ? p[0] : p[1], mode);
    if (!f) {
        int e = errno;
        close(reading ? p[0] : p[1]);
        waitpid(pid, NULL, 0);
        errno = e;
        return NULL;
    }
    popened[slot].f = f;
    popened[slot].pid = pid;
    return f;
}

int pclose(FILE *f)
{
    int slot = 0;
    while (slot < MAX_POPEN && (!f || popened[slot].f != f))
        slot++;
    if (slot == MAX_POPEN) {
        errno = ECHILD;
        return -1;
    }
    pid_t pid = popened[slot].pid;
    popened[slot].f = NULL;
    fclose(f);
    int status;
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    return w < 0 ? -1 : status;
}
