/*
 * user/lib/syscalls.c - the layer between newlib and this kernel.
 *
 * newlib does everything a C library does except talk to an operating
 * system: for that it calls a small set of functions it expects the system
 * to supply (read, write, open, sbrk, ...; it was built with
 * MISSING_SYSCALL_NAMES, so it calls them by their plain POSIX names). This
 * file supplies them, each one a SYSCALL instruction plus translation:
 *
 *   - errors: the kernel returns -E (an ABI_E* number, which is also
 *     newlib's E value); the stub stores E in errno and returns -1;
 *   - structures: struct abi_stat / abi_tms / abi_timeval (fixed-width,
 *     shared with the kernel) are converted to newlib's struct stat /
 *     struct tms / struct timeval;
 *   - calls the kernel does not have (stat, link, unlink, sleep, usleep)
 *     are built from ones it has, or fail the way a read-only system would.
 *
 * Both spellings exist: the plain name (write) is the definition, the
 * underscore name (_write), which libgloss-style code and older newlib
 * configurations call, is an alias of it.
 *
 * The calling convention is in user/include/abi.h; the wrappers for the
 * kernel's own calls (getcpu, sysinfo, ...) are declared in os.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/mman.h>

#include "abi.h"
#include "os.h"

/* ---------------------------------------------------------------------
 * The system-call instruction.
 *
 * rax = number; arguments in rdi, rsi, rdx, r10, r8, r9; result in rax.
 * SYSCALL itself overwrites rcx (return rip) and r11 (rflags). The kernel
 * promises to preserve everything else; the argument registers are still
 * declared as read-write ("+") so that the compiler never relies on them
 * afterwards - it costs nothing and tolerates a kernel that uses them as
 * scratch. "memory": the kernel reads and writes user buffers.
 * ------------------------------------------------------------------- */
static inline long syscall6(long n, long a1, long a2, long a3, long a4,
                            long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret = n;
    __asm__ volatile("syscall"
                     : "+a"(ret), "+D"(a1), "+S"(a2), "+d"(a3),
                       "+r"(r10), "+r"(r8), "+r"(r9)
                     :
                     : "rcx", "r11", "memory");
    return ret;
}

#define SC0(n) syscall6((n), 0, 0, 0, 0, 0, 0)
#define SC1(n, a) syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define SC2(n, a, b) syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SC3(n, a, b, c) syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

long raw_syscall(long n, long a1, long a2, long a3, long a4, long a5)
{
    return syscall6(n, a1, a2, a3, a4, a5, 0);
}

long raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    return syscall6(n, a1, a2, a3, a4, a5, a6);
}

/* ---------------------------------------------------------------------
 * errno. newlib keeps errno per reentrancy structure (the errno macro is
 * *__errno()); its _xxx_r wrappers additionally look at a plain global
 * `int errno` left by the system layer. Set both, so every path agrees.
 * ------------------------------------------------------------------- */
static void set_errno(int e)
{
    errno = e;
}
#undef errno
extern int errno;

static long fail(int e)
{
    set_errno(e);
    errno = e;
    return -1;
}

/* A kernel result: >= 0 passes through, -E becomes errno = E, -1. */
static long check(long r)
{
    return r < 0 ? fail((int)-r) : r;
}

#define ALIAS(name) __attribute__((alias(#name), copy(name)))

/* ---------------------------------------------------------------------
 * Processes
 * ------------------------------------------------------------------- */
void _exit(int status)
{
    for (;;)
        SC1(SYS_exit, status);
}

pid_t fork(void)
{
    return (pid_t)check(SC0(SYS_fork));
}
pid_t _fork(void) ALIAS(fork);

int execve(const char *path, char *const argv[], char *const envp[])
{
    return (int)check(SC3(SYS_execve, path, argv, envp));
}
int _execve(const char *path, char *const argv[], char *const envp[]) ALIAS(execve);

/* newlib has no exec family for x86_64-elf (its posix/ directory is not
 * built): execv here, execvp, execlp, execl and execle (the PATH search)
 * in posix.c. */
int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

/* The kernel wants a valid status pointer; POSIX lets a program pass NULL
 * when it does not care, so the library lends one. */
pid_t waitpid(pid_t pid, int *status, int options)
{
    int ignored;
    return (pid_t)check(SC3(SYS_waitpid, pid, status ? status : &ignored, options));
}
pid_t _waitpid(pid_t pid, int *status, int options) ALIAS(waitpid);

pid_t wait(int *status)
{
    return waitpid(-1, status, 0);
}
pid_t _wait(int *status) ALIAS(wait);

pid_t getpid(void)
{
    return (pid_t)check(SC0(SYS_getpid));
}
pid_t _getpid(void) ALIAS(getpid);

pid_t getppid(void)
{
    return (pid_t)check(SC0(SYS_getppid));
}
pid_t _getppid(void) ALIAS(getppid);

int kill(pid_t pid, int sig)
{
    return (int)check(SC2(SYS_kill, pid, sig));
}
int _kill(pid_t pid, int sig) ALIAS(kill);

int sched_yield(void)
{
    return (int)check(SC0(SYS_sched_yield));
}

/* malloc's only source of memory. The kernel returns the old break. */
void *sbrk(ptrdiff_t increment)
{
    long r = SC1(SYS_sbrk, increment);
    if (r < 0) {
        fail(ENOMEM);
        return (void *)-1;
    }
    return (void *)r;
}
void *_sbrk(ptrdiff_t increment) ALIAS(sbrk);

/* Memory mappings (<sys/mman.h>). Addresses the kernel returns lie below
 * 0x00007FFFFFFFF000, so a negative result is always an error. */
_Static_assert(PROT_READ == ABI_PROT_READ && PROT_WRITE == ABI_PROT_WRITE && PROT_EXEC == ABI_PROT_EXEC &&
               PROT_NONE == ABI_PROT_NONE, "sys/mman.h and abi.h disagree");
_Static_assert(MAP_SHARED == ABI_MAP_SHARED && MAP_PRIVATE == ABI_MAP_PRIVATE && MAP_FIXED == ABI_MAP_FIXED &&
               MAP_ANONYMOUS == ABI_MAP_ANONYMOUS, "sys/mman.h and abi.h disagree");

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    long r = syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
    return r < 0 ? (fail((int)-r), MAP_FAILED) : (void *)r;
}

int munmap(void *addr, size_t len)
{
    return (int)check(SC2(SYS_munmap, addr, len));
}

int mprotect(void *addr, size_t len, int prot)
{
    return (int)check(SC3(SYS_mprotect, addr, len, prot));
}

/* ---------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------- */
_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t n)
{
    return (_READ_WRITE_RETURN_TYPE)check(SC3(SYS_write, fd, buf, n));
}
_READ_WRITE_RETURN_TYPE _write(int fd, const void *buf, size_t n) ALIAS(write);

_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t n)
{
    return (_READ_WRITE_RETURN_TYPE)check(SC3(SYS_read, fd, buf, n));
}
_READ_WRITE_RETURN_TYPE _read(int fd, void *buf, size_t n) ALIAS(read);

/* The mode argument is there only with O_CREAT (POSIX), and only then
 * read: the kernel takes its permission bits less the umask. Without
 * O_CREAT rdx carries 0, which the kernel ignores. */
int open(const char *path, int flags, ...)
{
    unsigned mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (unsigned)va_arg(ap, int); /* mode_t is promoted to int */
        va_end(ap);
    }
    return (int)check(SC3(SYS_open, path, flags, mode));
}
int _open(const char *path, int flags, ...) ALIAS(open);

int close(int fd)
{
    return (int)check(SC1(SYS_close, fd));
}
int _close(int fd) ALIAS(close);

off_t lseek(int fd, off_t offset, int whence)
{
    return (off_t)check(SC3(SYS_lseek, fd, offset, whence));
}
off_t _lseek(int fd, off_t offset, int whence) ALIAS(lseek);

/* isatty() answers 1 or 0 (and errno), never -1: stdio tests it for truth. */
int isatty(int fd)
{
    long r = SC1(SYS_isatty, fd);
    if (r < 0) {
        fail((int)-r);
        return 0;
    }
    return r > 0;
}
int _isatty(int fd) ALIAS(isatty);

static void to_stat(const struct abi_stat *a, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_dev = (dev_t)a->dev;
    st->st_ino = (ino_t)a->ino; /* newlib's ino_t is 16 bits wide */
    st->st_mode = (mode_t)a->mode;
    st->st_nlink = a->nlink ? (nlink_t)a->nlink : 1;
    st->st_size = (off_t)a->size;
    st->st_blksize = a->blksize ? (blksize_t)a->blksize : 512;
    st->st_blocks = a->blocks ? (blkcnt_t)a->blocks : (blkcnt_t)((a->size + 511) / 512);
    st->st_atime = (time_t)a->atime;
    st->st_mtime = (time_t)a->mtime;
    st->st_ctime = (time_t)a->ctime;
}

int fstat(int fd, struct stat *st)
{
    struct abi_stat a;
    long r = SC2(SYS_fstat, fd, &a);
    if (r < 0)
        return (int)fail((int)-r);
    to_stat(&a, st);
    return 0;
}
int _fstat(int fd, struct stat *st) ALIAS(fstat);

int stat(const char *restrict path, struct stat *restrict st)
{
    struct abi_stat a;
    long r = SC2(SYS_stat, path, &a);
    if (r < 0)
        return (int)fail((int)-r);
    to_stat(&a, st);
    return 0;
}
int _stat(const char *restrict path, struct stat *restrict st) ALIAS(stat);
int lstat(const char *restrict path, struct stat *restrict st) ALIAS(stat);

int link(const char *old, const char *new)
{
    return (int)check(SC2(SYS_link, old, new));
}
int _link(const char *old, const char *new) ALIAS(link);

int unlink(const char *path)
{
    return (int)check(SC1(SYS_unlink, path));
}
int _unlink(const char *path) ALIAS(unlink);

/* ---------------------------------------------------------------------
 * Directories, descriptors, pipes (system calls 30-46)
 * ------------------------------------------------------------------- */
int mkdir(const char *path, mode_t mode)
{
    return (int)check(SC2(SYS_mkdir, path, (unsigned)mode));
}
int _mkdir(const char *path, mode_t mode) ALIAS(mkdir);

int rmdir(const char *path)
{
    return (int)check(SC1(SYS_rmdir, path));
}

int rename(const char *old, const char *new)
{
    return (int)check(SC2(SYS_rename, old, new));
}
int _rename(const char *old, const char *new) ALIAS(rename);

int chdir(const char *path)
{
    return (int)check(SC1(SYS_chdir, path));
}

char *getcwd(char *buf, size_t size)
{
    long r = SC2(SYS_getcwd, buf, size);
    if (r < 0) {
        fail((int)-r);
        return NULL;
    }
    return buf;
}

int dup(int fd)
{
    return (int)check(SC1(SYS_dup, fd));
}

int dup2(int fd, int newfd)
{
    return (int)check(SC2(SYS_dup2, fd, newfd));
}

int pipe(int fds[2])
{
    return (int)check(SC1(SYS_pipe, fds));
}

int ftruncate(int fd, off_t length)
{
    return (int)check(SC2(SYS_ftruncate, fd, length));
}

int truncate(const char *path, off_t length)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    int r = ftruncate(fd, length);
    int saved = *__errno();
    close(fd);
    if (r < 0)
        fail(saved);
    return r;
}

int fsync(int fd)
{
    return (int)check(SC1(SYS_fsync, fd));
}

void sync(void)
{
    SC0(SYS_sync);
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    int arg = va_arg(ap, int);
    va_end(ap);
    return (int)check(SC3(SYS_fcntl, fd, cmd, arg));
}
int _fcntl(int fd, int cmd, ...) ALIAS(fcntl);

int getdents(int fd, struct abi_dirent *d)
{
    return (int)check(SC2(SYS_getdents, fd, d));
}

int statfs_root(struct abi_statfs *s)
{
    return (int)check(SC1(SYS_statfs, s));
}

int bcacheinfo(struct abi_bcacheinfo *info)
{
    return (int)check(SC1(SYS_bcacheinfo, info));
}

/* ---------------------------------------------------------------------
 * Time
 * ------------------------------------------------------------------- */

/* ABI ticks (ABI_CLOCKS_PER_SEC) to newlib's clock_t (CLOCKS_PER_SEC;
 * both are 1000 for x86_64-elf, but nothing here relies on that). */
static clock_t to_clock(uint64_t ticks)
{
    return (clock_t)(ticks / ABI_CLOCKS_PER_SEC * CLOCKS_PER_SEC +
                     ticks % ABI_CLOCKS_PER_SEC * CLOCKS_PER_SEC / ABI_CLOCKS_PER_SEC);
}

clock_t times(struct tms *buf)
{
    struct abi_tms t;
    long r = SC1(SYS_times, &t);
    if (r < 0) {
        fail((int)-r);
        return (clock_t)-1;
    }
    if (buf) {
        buf->tms_utime = to_clock(t.utime);
        buf->tms_stime = to_clock(t.stime);
        buf->tms_cutime = to_clock(t.cutime);
        buf->tms_cstime = to_clock(t.cstime);
    }
    return to_clock(t.elapsed);
}
clock_t _times(struct tms *buf) ALIAS(times);

/* Wall-clock time from the RTC; there are no time zones (tz is zeroed). */
int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    struct abi_timeval a;
    long r = SC1(SYS_gettimeofday, &a);
    if (r < 0)
        return (int)fail((int)-r);
    if (tv) {
        tv->tv_sec = (time_t)a.sec;
        tv->tv_usec = (suseconds_t)a.usec;
    }
    if (tz)
        memset(tz, 0, sizeof(struct timezone));
    return 0;
}
int _gettimeofday(struct timeval *restrict tv, void *restrict tz) ALIAS(gettimeofday);

int sleep_ms(uint64_t ms)
{
    return (int)check(SC1(SYS_sleep, ms));
}

unsigned sleep(unsigned seconds)
{
    return sleep_ms((uint64_t)seconds * 1000) < 0 ? seconds : 0;
}

/* Millisecond resolution: rounds up, so it never sleeps less than asked. */
int usleep(useconds_t us)
{
    return sleep_ms(((uint64_t)us + 999) / 1000);
}

uint64_t uptime_ns(void)
{
    uint64_t ns = 0;
    if (check(SC1(SYS_uptime, &ns)) < 0)
        return 0;
    return ns;
}

/* ---------------------------------------------------------------------
 * This kernel's own calls (os.h)
 * ------------------------------------------------------------------- */
int getcpu(void)
{
    return (int)check(SC0(SYS_getcpu));
}
/* The glibc name; newlib declares it with _GNU_SOURCE. */
int sched_getcpu(void) ALIAS(getcpu);

int sysinfo(struct abi_sysinfo *info)
{
    return (int)check(SC1(SYS_sysinfo, info));
}

int procinfo(int slot, struct abi_procinfo *p)
{
    return (int)check(SC2(SYS_procinfo, slot, p));
}

int os_readdir(int index, struct abi_dirent *d)
{
    return (int)check(SC2(SYS_readdir, index, d));
}

int setprio(int pid, int prio)
{
    return (int)check(SC2(SYS_setprio, pid, prio));
}

int lockstat(int index, struct abi_lockstat *l)
{
    return (int)check(SC2(SYS_lockstat, index, l));
}

int setaffinity(int pid, int cpu)
{
    return (int)check(SC2(SYS_setaffinity, pid, cpu));
}

int cpufail(int cpu, int how)
{
    return (int)check(SC2(SYS_cpufail, cpu, how));
}

int kwork(int region, uint64_t cycles)
{
    return (int)check(SC2(SYS_kwork, region, cycles));
}

int trace(int cmd, uint64_t arg)
{
    return (int)check(SC2(SYS_trace, cmd, arg));
}

int primcost(int which, int cpu, struct abi_primcost *out)
{
    return (int)check(SC3(SYS_primcost, which, cpu, out));
}

int poweroff(int code)
{
    return (int)check(SC1(SYS_poweroff, code));
}

void *shm_map(const char *name)
{
    long r = check(SC1(SYS_shm_map, name));
    return r < 0 ? NULL : (void *)r;
}

int shm_unmap(const char *name)
{
    return (int)check(SC1(SYS_shm_unmap, name));
}
