/*
 * The system-call ABI, shared by the kernel (kernel/syscall.c) and user space
 * (user/lib/syscalls.c). Documented for students in docs/abi.md.
 *
 * Calling convention (the SYSCALL instruction, Intel SDM vol. 2B "SYSCALL"):
 *   rax = system-call number, arguments in rdi, rsi, rdx, r10, r8, r9
 *   (r10 instead of rcx, because SYSCALL overwrites rcx with the return RIP
 *   and r11 with RFLAGS). The result comes back in rax: a value >= 0 on
 *   success, or a negative ABI_E* error number on failure.
 *
 * Only fixed-width types appear here, so the header means the same thing to
 * the freestanding kernel and to newlib programs.
 */
#ifndef ABI_H
#define ABI_H

#include <stdint.h>

/* System-call numbers. Signatures are in the comment after each. */
enum {
    SYS_exit = 0,        /* void exit(int status) */
    SYS_fork = 1,        /* int fork(void) -> child pid / 0 in child */
    SYS_execve = 2,      /* int execve(const char *path, char *const argv[], char *const envp[]) */
    SYS_waitpid = 3,     /* int waitpid(int pid, int *status, int options) -> pid */
    SYS_getpid = 4,      /* int getpid(void) */
    SYS_getppid = 5,     /* int getppid(void) */
    SYS_kill = 6,        /* int kill(int pid, int sig) */
    SYS_sbrk = 7,        /* intptr_t sbrk(intptr_t increment) -> old break */
    SYS_write = 8,       /* ssize_t write(int fd, const void *buf, size_t n) */
    SYS_read = 9,        /* ssize_t read(int fd, void *buf, size_t n) */
    SYS_open = 10,       /* int open(const char *path, int flags, uint64_t mode): mode only with O_CREAT */
    SYS_close = 11,      /* int close(int fd) */
    SYS_lseek = 12,      /* int64_t lseek(int fd, int64_t offset, int whence) */
    SYS_fstat = 13,      /* int fstat(int fd, struct abi_stat *st) */
    SYS_isatty = 14,     /* int isatty(int fd) -> 1, or -ENOTTY */
    SYS_sched_yield = 15,/* int sched_yield(void) */
    SYS_sleep = 16,      /* int sleep_ms(uint64_t ms) */
    SYS_uptime = 17,     /* int uptime(uint64_t *ns) */
    SYS_times = 18,      /* int times(struct abi_tms *t) */
    SYS_getcpu = 19,     /* int getcpu(void) -> number of the CPU the caller's code runs on */
    SYS_sysinfo = 20,    /* int sysinfo(struct abi_sysinfo *info) */
    SYS_procinfo = 21,   /* int procinfo(int slot, struct abi_procinfo *p) -> 1 used, 0 free, -EINVAL past end */
    SYS_readdir = 22,    /* int readdir(int index, struct abi_dirent *d) -> 1 entry, 0 end */
    SYS_setprio = 23,    /* int setprio(int pid, int prio) (0 = pid of caller) */
    SYS_poweroff = 24,   /* int poweroff(int code): stops the machine (QEMU exits) */
    SYS_gettimeofday = 25, /* int gettimeofday(struct abi_timeval *tv): wall clock from the RTC */
    SYS_setaffinity = 26, /* int setaffinity(int pid, int cpu): run only on `cpu` (-1: anywhere; pid 0 = caller) */
    SYS_shm_map = 27,    /* void *shm_map(const char *name): map the shared window `name` (ABI_SHM_WINDOW_SIZE bytes) */
    SYS_shm_unmap = 28,  /* int shm_unmap(const char *name): unmap it from the caller (its contents stay) */
    SYS_test_rendezvous = 29, /* int test_rendezvous(uint64_t ms): test only: wait in the kernel, without
                               * sleeping, up to ms for a second caller; -> most callers seen inside at once */
    /* The disk and the file system (docs/storage.md): 30-59. */
    SYS_mkdir = 30,      /* int mkdir(const char *path, uint64_t mode) */
    SYS_rmdir = 31,      /* int rmdir(const char *path) */
    SYS_unlink = 32,     /* int unlink(const char *path) */
    SYS_link = 33,       /* int link(const char *old, const char *new) */
    SYS_rename = 34,     /* int rename(const char *old, const char *new) */
    SYS_chdir = 35,      /* int chdir(const char *path) */
    SYS_getcwd = 36,     /* int getcwd(char *buf, size_t size) -> length */
    SYS_stat = 37,       /* int stat(const char *path, struct abi_stat *st) */
    SYS_getdents = 38,   /* int getdents(int fd, struct abi_dirent *d) -> 1 entry, 0 end */
    SYS_dup = 39,        /* int dup(int fd) */
    SYS_dup2 = 40,       /* int dup2(int fd, int newfd) */
    SYS_pipe = 41,       /* int pipe(int fds[2]) */
    SYS_ftruncate = 42,  /* int ftruncate(int fd, int64_t length) */
    SYS_fsync = 43,      /* int fsync(int fd) */
    SYS_sync = 44,       /* int sync(void): every dirty block of this instance to the disk */
    SYS_fcntl = 45,      /* int fcntl(int fd, int cmd, int arg): F_GETFD/F_SETFD (close-on-exec) */
    SYS_bcacheinfo = 46, /* int bcacheinfo(struct abi_bcacheinfo *info) */
    SYS_statfs = 47,     /* int statfs(struct abi_statfs *s): the root file system's size and use */
    /* The POSIX process interface (issue 15): signals 48-53, memory 54-56,
     * poll 57, time and system 58-63. */
    SYS_sigaction = 48,  /* int sigaction(int sig, const struct abi_sigaction *act, struct abi_sigaction *old) */
    SYS_sigprocmask = 49,/* int sigprocmask(int how, const uint64_t *set, uint64_t *old) */
    SYS_sigpending = 50, /* int sigpending(uint64_t *set) */
    SYS_sigreturn = 51,  /* int sigreturn(const struct abi_sigframe *frame): back from a handler;
                          * does not return to its caller (a bad frame: SIGSEGV) */
    SYS_alarm = 52,      /* int alarm(uint64_t ms) -> ms left of the previous alarm (rounded up) */
    SYS_sigsuspend = 53, /* int sigsuspend(const uint64_t *mask) -> -EINTR once a signal was delivered */
    SYS_mmap = 54,       /* void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off) */
    SYS_munmap = 55,     /* int munmap(void *addr, size_t len) */
    SYS_mprotect = 56,   /* int mprotect(void *addr, size_t len, int prot) */
    SYS_poll = 57,       /* int poll(struct abi_pollfd *fds, uint64_t nfds, int timeout_ms) -> ready fds */
    SYS_clock_gettime = 58, /* int clock_gettime(int clock, struct abi_timespec *ts) (ABI_CLOCK_*) */
    SYS_umask = 59,      /* int umask(int mask) -> the old mask (only mask & 0777 is used) */
    SYS_uname = 60,      /* int uname(struct abi_utsname *u) */
    SYS_access = 61,     /* int access(const char *path, int mode) (ABI_F_OK or ABI_R_OK|W_OK|X_OK) */
    SYS_lockstat = 70,   /* int lockstat(int index, struct abi_lockstat *l) -> 1 filled in, 0 past the last lock */
    SYS_cpufail = 71,    /* int cpufail(int cpu, int how): stop CPU `cpu` dead, as if it lost power
                          * (how: ABI_CPUFAIL_*); -EINVAL offline/out of range, -EBUSY the last CPU */
    SYS_kwork = 72,      /* int kwork(int region, uint64_t cycles): the benchmark's kernel work: hold region's
                          * lock of the work table for `cycles` TSC cycles (docs/bench.md) -> 0; -EINVAL */
    SYS_trace = 73,      /* int trace(int cmd, uint64_t arg): the per-CPU trace: ABI_TRACE_* (kernel/trace.h) */
    SYS_primcost = 74,   /* int primcost(int which, int cpu, struct abi_primcost *out): time a kernel
                          * primitive (ABI_PRIM_*) against CPU `cpu` (-1: any other) -> 0; -EINVAL, -EBUSY */
    SYS_COUNT
};

/* Error numbers: the values newlib uses, so user space sets errno = -ret. */
enum {
    ABI_EPERM = 1, ABI_ENOENT = 2, ABI_ESRCH = 3, ABI_EINTR = 4, ABI_EIO = 5,
    ABI_E2BIG = 7, ABI_ENOEXEC = 8, ABI_EBADF = 9, ABI_ECHILD = 10,
    ABI_EAGAIN = 11, ABI_ENOMEM = 12, ABI_EACCES = 13, ABI_EFAULT = 14,
    ABI_EBUSY = 16, ABI_EEXIST = 17, ABI_ENOTDIR = 20, ABI_EISDIR = 21,
    ABI_EINVAL = 22, ABI_ENFILE = 23, ABI_EMFILE = 24, ABI_ENOTTY = 25,
    ABI_ENOSPC = 28, ABI_ESPIPE = 29, ABI_EROFS = 30, ABI_ERANGE = 34, ABI_ENOSYS = 88,
    ABI_ENAMETOOLONG = 91,
    ABI_EXDEV = 18, ABI_EFBIG = 27, ABI_EMLINK = 31, ABI_EPIPE = 32,
    ABI_ENOTEMPTY = 90, ABI_ELOOP = 92,
};

/* open() flags (newlib's values). The initrd is read-only; the disk's
 * ext2 file system takes all of them. */
#define ABI_O_RDONLY 0
#define ABI_O_WRONLY 1
#define ABI_O_RDWR 2
#define ABI_O_ACCMODE 3
#define ABI_O_APPEND 0x0008
#define ABI_O_CREAT 0x0200
#define ABI_O_TRUNC 0x0400
#define ABI_O_EXCL 0x0800
#define ABI_O_CLOEXEC 0x40000
#define ABI_O_DIRECTORY 0x200000

/* fcntl() commands and the descriptor flag (newlib's values). */
#define ABI_F_GETFD 1
#define ABI_F_SETFD 2
#define ABI_FD_CLOEXEC 1

#define ABI_PATH_MAX 256
/* Descriptors a process may have open at once: 0 .. ABI_NOFILE-1 (sysconf's _SC_OPEN_MAX). */
#define ABI_NOFILE 16

/* File creation (open with O_CREAT, mkdir): the permission bits a mode may
 * have (anything above is -EINVAL), the bits umask() keeps, and the mask
 * every process starts with (inherited over fork and exec). */
#define ABI_MODE_BITS 07777
#define ABI_UMASK_BITS 0777
#define ABI_UMASK_DEFAULT 022

/* access() modes (newlib's values). */
#define ABI_F_OK 0
#define ABI_X_OK 1
#define ABI_W_OK 2
#define ABI_R_OK 4

/* lseek() whence. */
#define ABI_SEEK_SET 0
#define ABI_SEEK_CUR 1
#define ABI_SEEK_END 2

/* waitpid() options and status encoding (POSIX layout, as newlib's sys/wait.h
 * decodes it): exited normally -> (code & 0xff) << 8; killed -> signal number. */
#define ABI_WNOHANG 1
#define ABI_W_EXITED(code) (((code) & 0xff) << 8)
#define ABI_W_SIGNALED(sig) ((sig) & 0x7f)

/* Signals: newlib's numbers (its sys/signal.h for x86_64-elf), since
 * programs use newlib's headers. A set of signals is a 64-bit word with bit
 * n for signal n (newlib's sigset_t); only bits 1..ABI_NSIG-1 mean
 * anything, the others are ignored. */
#define ABI_NSIG 32
#define ABI_SIGHUP 1
#define ABI_SIGINT 2
#define ABI_SIGQUIT 3
#define ABI_SIGILL 4
#define ABI_SIGTRAP 5
#define ABI_SIGABRT 6
#define ABI_SIGEMT 7
#define ABI_SIGFPE 8
#define ABI_SIGKILL 9
#define ABI_SIGBUS 10
#define ABI_SIGSEGV 11
#define ABI_SIGSYS 12
#define ABI_SIGPIPE 13
#define ABI_SIGALRM 14
#define ABI_SIGTERM 15
#define ABI_SIGURG 16
#define ABI_SIGSTOP 17
#define ABI_SIGTSTP 18
#define ABI_SIGCONT 19
#define ABI_SIGCHLD 20
#define ABI_SIGTTIN 21
#define ABI_SIGTTOU 22
#define ABI_SIGIO 23
#define ABI_SIGXCPU 24
#define ABI_SIGXFSZ 25
#define ABI_SIGVTALRM 26
#define ABI_SIGPROF 27
#define ABI_SIGWINCH 28
#define ABI_SIGLOST 29
#define ABI_SIGUSR1 30
#define ABI_SIGUSR2 31

/* sigaction(): the handler's special values (newlib's SIG_DFL, SIG_IGN),
 * and the flags (SA_NOCLDSTOP is newlib's; the others are this kernel's). */
#define ABI_SIG_DFL 0
#define ABI_SIG_IGN 1
#define ABI_SA_NOCLDSTOP 0x1 /* accepted; there are no stopped children to report */
#define ABI_SA_SIGINFO 0x2   /* handler(sig, siginfo *, sigframe *) */
#define ABI_SA_RESTART 0x4   /* an interrupted read/write/waitpid starts again */
#define ABI_SA_NODEFER 0x8   /* the signal is not blocked while its handler runs */
#define ABI_SA_RESETHAND 0x10 /* back to SIG_DFL once delivered */
#define ABI_SA_ALL 0x1f
/* sigprocmask() how (newlib's values). */
#define ABI_SIG_SETMASK 0
#define ABI_SIG_BLOCK 1
#define ABI_SIG_UNBLOCK 2

/* What a handler is called with and what sigreturn() gets back. */
struct abi_sigaction {             /* 32 bytes: newlib's struct sigaction, plus the restorer */
    uint64_t handler;              /* ABI_SIG_DFL, ABI_SIG_IGN or a user address */
    uint64_t mask;                 /* blocked as well while the handler runs */
    int32_t flags;                 /* ABI_SA_* */
    int32_t pad;
    uint64_t restorer;             /* where the handler returns to: calls sigreturn (user/lib) */
};

/* si_code: newlib's SI_* for signals sent by a process, this kernel's for the rest. */
#define ABI_SI_USER 1        /* kill() */
#define ABI_SI_TIMER 3       /* alarm() */
#define ABI_SI_KERNEL 6      /* the kernel (Ctrl-C on the console) */
#define ABI_SEGV_MAPERR 10   /* page fault: nothing mapped there */
#define ABI_SEGV_ACCERR 11   /* page fault: mapped, but not for that access */
#define ABI_SEGV_GPF 12      /* general protection (si_addr 0), or another exception */
#define ABI_ILL_ILLOPC 20    /* invalid opcode */
#define ABI_FPE_INTDIV 30    /* divide error */
#define ABI_FPE_FLTINV 31    /* x87 or SIMD floating-point exception */
#define ABI_CLD_EXITED 40    /* SIGCHLD: the child called exit (si_status: the code) */
#define ABI_CLD_KILLED 41    /* SIGCHLD: a signal ended the child (si_status: the signal) */

struct abi_siginfo {               /* 40 bytes; newlib programs see it as siginfo_t */
    int32_t signo;
    int32_t errno_value;           /* always 0 */
    int32_t code;                  /* ABI_SI_*, ABI_SEGV_*, ... */
    int32_t pid;                   /* the sender (kill), the child (SIGCHLD), else 0 */
    int32_t uid;                   /* always 0: there is one user */
    int32_t status;                /* SIGCHLD: exit code or signal */
    uint64_t addr;                 /* faults: the address (CR2; the instruction for SIGILL/SIGFPE) */
    uint64_t value;                /* always 0 */
};

/* The interrupted context, as saved on the user stack: the general
 * registers in the kernel's trap-frame order, the signal mask to go back
 * to, and the FXSAVE image of the x87/SSE registers. A handler may change
 * it; sigreturn() checks everything it restores (docs/abi.md). */
struct abi_sigcontext {            /* 704 bytes */
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t rip, cs, rflags, rsp, ss;
    uint64_t trapno;               /* the exception vector, 0x80 for a system call */
    uint64_t err;                  /* the exception's error code */
    uint64_t addr;                 /* a page fault's address (CR2) */
    uint64_t mask;                 /* the blocked set to restore */
    uint8_t fpu[512] __attribute__((aligned(16)));
};

/* The frame on the user stack: the handler's return address (the
 * restorer) sits just below it, and sigreturn() takes its address. */
struct abi_sigframe {              /* 752 bytes, 16-aligned */
    struct abi_sigcontext ctx;     /* the third argument of an SA_SIGINFO handler */
    struct abi_siginfo info;       /* the second */
    uint64_t pad;
};

/* mmap() and mprotect(): protections and flags (the values Linux and
 * most Unix systems use; <sys/mman.h> gives them their POSIX names).
 * MAP_SHARED exists only to be refused (EINVAL): mappings are private. */
#define ABI_PROT_NONE 0
#define ABI_PROT_READ 1
#define ABI_PROT_WRITE 2
#define ABI_PROT_EXEC 4
#define ABI_MAP_SHARED 0x01
#define ABI_MAP_PRIVATE 0x02
#define ABI_MAP_FIXED 0x10
#define ABI_MAP_ANONYMOUS 0x20

/* File modes for abi_stat.mode (same bits as POSIX / newlib). */
#define ABI_S_IFMT 0170000
#define ABI_S_IFDIR 0040000
#define ABI_S_IFCHR 0020000
#define ABI_S_IFREG 0100000
#define ABI_S_IFIFO 0010000

struct abi_stat {
    uint64_t size;
    uint32_t mode;
    uint32_t ino;
    uint32_t dev;
    uint32_t blksize;
    uint32_t nlink;       /* links to the inode (ext2); 1 elsewhere */
    uint32_t blocks;      /* 512-byte units allocated */
    int64_t atime, mtime, ctime; /* seconds since 1970 */
};

/* times(): all values in clock ticks of ABI_CLOCKS_PER_SEC. */
#define ABI_CLOCKS_PER_SEC 1000
struct abi_tms {
    uint64_t utime, stime, cutime, cstime;
    uint64_t elapsed; /* ticks since boot, the return value of times() */
};

struct abi_timeval {
    int64_t sec;
    int64_t usec;
};

/* clock_gettime() clocks (newlib's clockid_t values): the wall clock (RTC
 * at boot + uptime), the caller's CPU time (its only thread's too), and the
 * time since boot, which never goes back. */
#define ABI_CLOCK_REALTIME 1
#define ABI_CLOCK_PROCESS_CPUTIME_ID 2
#define ABI_CLOCK_THREAD_CPUTIME_ID 3
#define ABI_CLOCK_MONOTONIC 4
struct abi_timespec {
    int64_t sec;
    int64_t nsec;         /* 0 .. 999999999 */
};

/* poll(): one entry per descriptor (the layout of POSIX's struct pollfd);
 * events and revents use these bits (Linux's values). A negative fd is
 * skipped (revents 0); at most ABI_POLL_MAX entries. */
struct abi_pollfd {
    int32_t fd;
    int16_t events;
    int16_t revents;
};
#define ABI_POLLIN 0x001      /* reading will not block (data, or end of file) */
#define ABI_POLLPRI 0x002     /* never set: no urgent data here */
#define ABI_POLLOUT 0x004     /* writing will not block */
#define ABI_POLLERR 0x008     /* revents only: a pipe with no reader left */
#define ABI_POLLHUP 0x010     /* revents only: a pipe with no writer left */
#define ABI_POLLNVAL 0x020    /* revents only: fd is not open */
#define ABI_POLLRDNORM 0x040  /* as POLLIN */
#define ABI_POLLWRNORM 0x100  /* as POLLOUT */
#define ABI_POLL_MAX 64

/* uname(): NUL-terminated strings, Linux's field size. */
#define ABI_UTSNAME_LEN 65
struct abi_utsname {
    char sysname[ABI_UTSNAME_LEN];  /* "teachos" */
    char nodename[ABI_UTSNAME_LEN]; /* "teachos", or "teachos-N" for OS instance N > 0 (private) */
    char release[ABI_UTSNAME_LEN];
    char version[ABI_UTSNAME_LEN];  /* names the organisation: "organisation bkl, 4 CPUs" */
    char machine[ABI_UTSNAME_LEN];  /* "x86_64" */
};

#define ABI_MAX_CPUS 64

/* Shared-memory windows (private organisation): named, this big each. */
#define ABI_SHM_NAME_MAX 32
#define ABI_SHM_WINDOW_SIZE 65536
#define ABI_NAME_MAX 32

/* Per-CPU state and counters reported by sysinfo(). */
enum { ABI_CPU_OFFLINE = 0, ABI_CPU_IDLE = 1, ABI_CPU_RUNNING = 2, ABI_CPU_FAILED = 3 };
/* The benchmark's work table (kwork): regions, each with its own lock, and
 * the most cycles one call may hold a region. */
#define ABI_KWORK_REGIONS 64
#define ABI_KWORK_MAX_CYCLES 20000000ULL /* about 10 ms at 2 GHz */

/* trace(cmd, arg): start (arg: events per CPU, 0 for the default), stop,
 * dump the buffers on the console, or ask whether it records (-> 1/0). */
enum { ABI_TRACE_STOP = 0, ABI_TRACE_START = 1, ABI_TRACE_DUMP = 2, ABI_TRACE_STATUS = 3 };
#define ABI_TRACE_DEFAULT_EVENTS 8192
#define ABI_TRACE_MAX_EVENTS (1u << 18) /* 4 MiB per CPU */

/* primcost(which, cpu, out): the kernel primitives' costs, in TSC cycles. */
enum {
    ABI_PRIM_LOCK = 1,    /* an uncontended spinlock acquire + release */
    ABI_PRIM_HANDOFF = 2, /* a lock handed between this CPU and `cpu`, per hand-off */
    ABI_PRIM_IPI = 3,     /* a remote call to `cpu` and its answer (IPI round trip) */
};
struct abi_primcost {
    uint64_t median, min, max; /* cycles per operation over the runs */
    uint32_t runs, per_run;    /* runs, and operations timed per run */
};

/* cpufail(cpu, how): where the CPU is when it stops (kernel/cpufail.c):
 * running user code, in kernel code, or holding a kernel lock. */
enum { ABI_CPUFAIL_USER = 1, ABI_CPUFAIL_KERNEL = 2, ABI_CPUFAIL_LOCK = 3 };
struct abi_cpuinfo {
    uint32_t apic_id;
    uint32_t state;       /* ABI_CPU_* */
    int32_t current_pid;  /* 0 when idle */
    uint32_t ready;       /* processes waiting in this CPU's ready queues */
    uint64_t ticks;       /* timer interrupts taken */
    uint64_t idle_ticks;  /* of which found the CPU idle */
    uint64_t syscalls;    /* system calls started on this CPU */
    uint64_t switches;    /* context switches */
    uint64_t irqs;        /* interrupts other than the timer */
    uint64_t ipis;        /* inter-processor interrupts received */
    uint64_t handlers;    /* system-call handlers run on this CPU (leader: the followers' too) */
    uint64_t table_locks; /* locks over the kernel's tables taken on this CPU */
    uint32_t os_instance; /* the OS instance this CPU serves */
    char role[12];        /* what the organisation makes of it: "cpu", "leader", "follower", ... */
    uint32_t flags;       /* ABI_CPU_F_* */
};
#define ABI_CPU_F_RUNS_KERNEL 1 /* runs system-call handlers and kernel threads */
#define ABI_CPU_F_RUNS_USER 2   /* runs user processes (setaffinity may pin to it) */

/* A counter of the running organisation, by name (sysinfo().stat[]): the
 * leader's request queue, the balancer's migrations, ... cpu is the CPU it
 * belongs to, or -1 for the whole machine. */
struct abi_model_stat {
    char name[20];
    int32_t cpu;
    uint64_t value;
};
#define ABI_MAX_MODEL_STATS 272 /* leader at 64 CPUs: 8 + 4 per follower */

/* One OS instance's memory (sysinfo().os[]): its slice of physical memory
 * [mem_start, mem_end) and its frames. */
struct abi_osinfo {
    uint64_t mem_start, mem_end;
    uint64_t total_frames, free_frames;
    int32_t cpu;           /* the CPU serving it, -1: none yet */
    uint32_t nprocs;       /* processes in its table (a snapshot) */
};

struct abi_sysinfo {
    uint32_t ncpus;
    uint32_t nprocs;       /* processes in use */
    uint32_t max_procs;
    uint32_t page_size;
    char model[16];        /* organisation name: "bkl", ... */
    uint64_t uptime_ns;
    uint64_t total_frames;
    uint64_t free_frames;
    uint32_t os_instance;  /* the OS instance that answered */
    uint32_t nstats;       /* entries used in stat[] */
    struct abi_cpuinfo cpu[ABI_MAX_CPUS];
    struct abi_model_stat stat[ABI_MAX_MODEL_STATS];
    uint32_t ninstances;   /* OS instances (private: one per CPU) */
    uint32_t pad;
    struct abi_osinfo os[ABI_MAX_CPUS]; /* each instance's memory */
    uint32_t cpus_in_kernel; /* CPUs running kernel code right now (system calls, faults, kernel threads) */
    uint32_t lost_wakeups;   /* the kernel's watchdog: waiters found asleep with their event signalled */
    uint64_t tsc_hz;         /* the cycle counter's rate (rdtsc), as calibrated at boot */
    uint64_t lock_spin_cycles; /* cycles all CPUs spent spinning for contended kernel locks since boot */
};

/* One kernel lock's counters (lockstat(), the `locks` program). Locks of one
 * kind (every process's, every CPU's queue) share a name: `locks` adds
 * them up. */
struct abi_lockstat {
    char name[24];
    int32_t rank;         /* kernel/lockrank.h */
    int32_t pad;
    uint64_t acquired;
    uint64_t contended;   /* acquisitions that had to wait */
    uint64_t spin_cycles; /* cycles spent waiting */
    uint64_t max_hold;    /* longest hold, cycles */
};

enum { ABI_P_RUNNABLE = 1, ABI_P_RUNNING = 2, ABI_P_SLEEPING = 3, ABI_P_ZOMBIE = 4 };
struct abi_procinfo {
    int32_t pid;
    int32_t ppid;
    uint32_t state;   /* ABI_P_* */
    int32_t cpu;      /* CPU running it, or last ran it */
    int32_t prio;     /* 0 (highest) .. ABI_NPRIO-1 */
    uint32_t pad;
    uint64_t runtime_ns;
    char name[ABI_NAME_MAX];
};
#define ABI_NPRIO 8

struct abi_dirent {
    uint64_t size;
    uint32_t mode;
    uint32_t pad;
    char name[64];
    uint32_t ino;         /* getdents: the entry's inode (readdir: the archive's) */
    uint32_t pad2;
};

/* statfs(): the root file system (ext2 superblock counts). */
struct abi_statfs {
    uint32_t block_size;
    uint32_t inodes, free_inodes;
    uint32_t pad;
    uint64_t blocks, free_blocks;
};

/* bcacheinfo(): the buffer cache of the calling OS instance. */
struct abi_bcacheinfo {
    uint32_t os_instance;
    uint32_t enabled;     /* 0 with bcache=off */
    uint32_t nbuf, block_size;
    uint64_t reads;       /* bread() calls */
    uint64_t hits, misses;
    uint64_t writes;      /* bdirty() calls */
    uint64_t writebacks;  /* blocks written to the disk */
    uint64_t evictions, errors;
    uint64_t disk_reads, disk_writes; /* requests the disk got (all instances) */
    uint64_t irq_completions, poll_completions, max_inflight;
};

#endif
