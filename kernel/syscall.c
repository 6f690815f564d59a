/*
 * System calls: the entry from user mode (syscall_dispatch, called by
 * arch/x86_64/syscall.S) and one handler per call of user/include/abi.h.
 * Arguments arrive in rdi, rsi, rdx, r10, r8, r9 and are decoded by the
 * rule below (syscall_run); every pointer is checked through uaccess.h.
 */
#include "kernel/syscall.h"
#include "kernel/cpufail.h"
#include "kernel/sysfile.h"
#include "kernel/mmap.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/poll.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/trace.h"
#include "kernel/primcost.h"
#include "kernel/worktable.h"
#include "kernel/shm.h"
#include "kernel/signal.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "kernel/vm.h"
#include "lib/fmt.h"
#include "lib/string.h"

/*
 * Arguments. Each call declares the type of each argument register in its
 * table entry below, and syscall_run() decodes them all in one place
 * before the handler runs (docs/abi.md, "Argument widths"):
 *   ARG_INT  a C int. Valid when the 64-bit register holds the int
 *            sign-extended, as a compiler leaves it when it passes an int
 *            in a 64-bit register (-1 is 0xffffffffffffffff). Any other
 *            value (0x100000000, or 0xffffffff for -1) is rejected: the
 *            call does nothing and returns -EINVAL.
 *   ARG_U64  a pointer, size or 64-bit count: all 64 bits are used as
 *            they are (pointers are then checked through uaccess.h).
 *   ARG_S64  a signed 64-bit value (an offset or increment).
 * Registers a call does not declare are ignored.
 */
enum arg_kind { ARG_NONE, ARG_INT, ARG_U64, ARG_S64 };
#define MAX_ARGS 6

union sysarg {
    int i;
    uint64_t u;
    int64_t s;
};

static bool int_arg_ok(uint64_t reg) { return (int64_t)reg == (int64_t)(int32_t)reg; }

static struct file *fd_file(int fd) {
    struct proc *p = current_proc();
    return fd >= 0 && fd < NOFILE ? p->files[fd] : NULL;
}

static long sys_exit(const union sysarg *a) { proc_exit(ABI_W_EXITED(a[0].i)); }
static long sys_fork(const union sysarg *a) { (void)a; return proc_fork(); }
static long sys_execve(const union sysarg *a) { return sys_execve_impl(a[0].u, a[1].u, a[2].u); }
static long sys_waitpid(const union sysarg *a) { return proc_wait(a[0].i, a[1].u, a[2].i); }
static long sys_getpid(const union sysarg *a) { (void)a; return current_proc()->pid; }

static long sys_getppid(const union sysarg *a) {
    (void)a;
    proc_table_lock(); /* the parent may exit and hand us to init meanwhile */
    struct proc *parent = current_proc()->parent;
    int ppid = parent ? parent->pid : 0;
    proc_table_unlock();
    return ppid;
}

static long sys_kill(const union sysarg *a) { return proc_kill(a[0].i, a[1].i); }

/* Signals (kernel/signal.c). */
static long sys_sigaction(const union sysarg *a) { return signal_sigaction(a[0].i, a[1].u, a[2].u); }
static long sys_sigprocmask(const union sysarg *a) { return signal_sigprocmask(a[0].i, a[1].u, a[2].u); }
static long sys_sigpending(const union sysarg *a) { return signal_sigpending(a[0].u); }
static long sys_sigreturn(const union sysarg *a) { return signal_sigreturn(a[0].u); }
static long sys_alarm(const union sysarg *a) { return signal_alarm(a[0].u); }
static long sys_sigsuspend(const union sysarg *a) { return signal_sigsuspend(a[0].u); }
static long sys_sbrk(const union sysarg *a) { return as_sbrk(current_proc()->as, a[0].s); }

static long sys_write(const union sysarg *a) {
    struct file *file = fd_file(a[0].i);
    if (!file)
        return -ABI_EBADF;
    if (!user_readable(a[1].u, a[2].u))
        return -ABI_EFAULT;
    return file_write(file, (const void *)a[1].u, a[2].u);
}

static long sys_read(const union sysarg *a) {
    struct file *file = fd_file(a[0].i);
    if (!file)
        return -ABI_EBADF;
    if (!user_writable(a[1].u, a[2].u))
        return -ABI_EFAULT;
    return file_read(file, (void *)a[1].u, a[2].u, true);
}

static long sys_open(const union sysarg *a) { return sysfile_open(a[0].u, a[1].i, a[2].u); }
static long sys_close(const union sysarg *a) { return sysfile_close(a[0].i); }

static long sys_lseek(const union sysarg *a) {
    struct file *file = fd_file(a[0].i);
    return file ? file_lseek(file, a[1].s, a[2].i) : -ABI_EBADF;
}

static long sys_fstat(const union sysarg *a) { return sysfile_fstat(a[0].i, a[1].u); }

static long sys_isatty(const union sysarg *a) {
    struct file *file = fd_file(a[0].i);
    if (!file)
        return -ABI_EBADF;
    return file->type == F_CONSOLE ? 1 : -ABI_ENOTTY;
}

static long sys_sched_yield(const union sysarg *a) {
    (void)a;
    yield();
    return 0;
}

/* sleep_ms() adds ms * 10^6 to the uptime: longer sleeps are cut to 2^62 ns
 * (146 years), so the sum cannot wrap around into a sleep that ends at once. */
#define SLEEP_MS_MAX ((1ULL << 62) / 1000000)
static long sys_sleep(const union sysarg *a) { return sleep_ms(MIN(a[0].u, SLEEP_MS_MAX)); }

static long sys_uptime(const union sysarg *a) {
    uint64_t ns = uptime_ns();
    return copy_to_user(a[0].u, &ns, sizeof ns);
}

static uint64_t ns_to_clock(uint64_t ns) { return ns / (1000000000ULL / ABI_CLOCKS_PER_SEC); }

static long sys_times(const union sysarg *a) {
    struct proc *p = current_proc();
    uint64_t run = p->runtime_ns + (uptime_ns() - p->last_switch_in);
    struct abi_tms t = {.utime = ns_to_clock(run), .cutime = ns_to_clock(p->child_runtime_ns),
                        .elapsed = ns_to_clock(uptime_ns())};
    return copy_to_user(a[0].u, &t, sizeof t) < 0 ? -ABI_EFAULT : (long)t.elapsed; /* POSIX: elapsed ticks */
}

/* Where the caller's own code runs: the CPU it entered the kernel from,
 * which under `leader` is not the one that runs this handler. */
static long sys_getcpu(const union sysarg *a) { (void)a; return current_proc()->user_cpu; }

static long sys_setaffinity(const union sysarg *a) { return proc_set_affinity(a[0].i, a[1].i); }

/* Privileged in the one sense teachos has (no users, no root): only a
 * process that descends from its instance's init may fail a CPU, i.e. a
 * program started from the boot session's shell or run=, never a process
 * cut off from it. cpu_fail_request() refuses CPUs out of range, offline,
 * already failing, and the last live one. */
static bool descends_from_init(void) {
    struct proc *p = current_proc(), *init = this_os()->init;
    proc_table_lock(); /* parent links */
    while (p && p != init)
        p = p->parent;
    proc_table_unlock();
    return p != NULL;
}

static long sys_cpufail(const union sysarg *a) {
    if (!descends_from_init())
        return -ABI_EPERM;
    return cpu_fail_request(a[0].i, a[1].i);
}

/* The benchmark's kernel work (kernel/worktable.h). */
static long sys_kwork(const union sysarg *a) { return worktable_work(a[0].i, a[1].u); }

/* The per-CPU trace (kernel/trace.h): its buffers are machine-wide, so
 * only a program of the boot session may start, stop or dump it. */
static long sys_trace(const union sysarg *a) {
    if (a[0].i == ABI_TRACE_STATUS)
        return trace_on;
    if (!descends_from_init())
        return -ABI_EPERM;
    switch (a[0].i) {
    case ABI_TRACE_START: return trace_start(a[1].u);
    case ABI_TRACE_STOP: trace_stop(); return 0;
    case ABI_TRACE_DUMP: return trace_dump();
    default: return -ABI_EINVAL;
    }
}

static long sys_primcost(const union sysarg *a) {
    struct abi_primcost pc;
    if (!user_writable(a[2].u, sizeof pc))
        return -ABI_EFAULT;
    long r = primcost_measure(a[0].i, a[1].i, &pc);
    if (r == 0 && copy_to_user(a[2].u, &pc, sizeof pc) < 0)
        r = -ABI_EFAULT;
    return r;
}

static void fill_cpuinfo(struct abi_cpuinfo *ci, const struct cpu *c) {
    ci->apic_id = c->arch.apic_id;
    ci->state = c->failed ? ABI_CPU_FAILED : !c->online ? ABI_CPU_OFFLINE : c->current ? ABI_CPU_RUNNING : ABI_CPU_IDLE;
    ci->current_pid = c->current && !c->failed ? c->current->pid : 0;
    ci->ready = (uint32_t)model->ready_count(c->id);
    ci->ticks = c->count.ticks;
    ci->idle_ticks = c->count.idle_ticks;
    ci->syscalls = c->count.syscalls;
    ci->switches = c->count.switches;
    ci->irqs = c->count.irqs;
    ci->ipis = c->count.ipis;
    ci->handlers = c->count.handlers;
    ci->table_locks = c->count.table_locks;
    ci->os_instance = c->os ? (uint32_t)c->os->id : 0;
    str_copy(ci->role, model->cpu_role(c->id), sizeof ci->role);
    ci->flags = (model->runs_kernel(c->id) ? ABI_CPU_F_RUNS_KERNEL : 0) | (model->runs_user(c->id) ? ABI_CPU_F_RUNS_USER : 0);
}

/* Another instance's counters are read without its lock: a snapshot. */
static void fill_osinfo(struct abi_osinfo *oi, const struct os_instance *os) {
    oi->mem_start = os->frames.first_pfn * PAGE_SIZE;
    oi->mem_end = (os->frames.first_pfn + os->frames.npfn) * PAGE_SIZE;
    oi->total_frames = os->frames.total;
    oi->free_frames = __atomic_load_n(&os->frames.free, __ATOMIC_RELAXED);
    oi->cpu = os_instance_cpu(os->id);
    struct proc *procs = __atomic_load_n(&os->procs, __ATOMIC_ACQUIRE);
    for (int i = 0; procs && i < MAX_PROCS; i++)
        oi->nprocs += __atomic_load_n(&procs[i].state, __ATOMIC_RELAXED) != P_UNUSED;
}

static long sys_sysinfo(const union sysarg *a) {
    struct abi_sysinfo *si = kzalloc(sizeof *si);
    if (!si)
        return -ABI_ENOMEM;
    si->ncpus = (uint32_t)ncpus;
    si->max_procs = MAX_PROCS;
    si->page_size = PAGE_SIZE;
    str_copy(si->model, model->name, sizeof si->model);
    si->uptime_ns = uptime_ns();
    si->total_frames = frames_total();
    si->free_frames = frames_free();
    proc_table_lock(); /* slots are taken and freed under it */
    for (int i = 0; i < MAX_PROCS; i++)
        si->nprocs += this_os()->procs[i].state != P_UNUSED;
    proc_table_unlock();
    for (int i = 0; i < ncpus && i < ABI_MAX_CPUS; i++)
        fill_cpuinfo(&si->cpu[i], &cpus[i]);
    si->os_instance = (uint32_t)this_os()->id;
    for (int i = 0; i < ncpus; i++) { /* a lock-free look: the slots are never freed */
        struct proc *cur = __atomic_load_n(&cpus[i].current, __ATOMIC_RELAXED);
        si->cpus_in_kernel += cur && (cur->is_kthread || cur->in_kernel);
    }
    si->nstats = (uint32_t)model->stats(si->stat, ABI_MAX_MODEL_STATS);
    si->ninstances = (uint32_t)os_instance_count;
    for (int i = 0; i < os_instance_count && i < ABI_MAX_CPUS; i++)
        fill_osinfo(&si->os[i], &os_instances[i]);
    si->lost_wakeups = __atomic_load_n(&lost_wakeups, __ATOMIC_RELAXED);
    si->tsc_hz = time_cycle_hz();
    si->lock_spin_cycles = __atomic_load_n(&lock_spin_cycles_total, __ATOMIC_RELAXED);
    long r = copy_to_user(a[0].u, si, sizeof *si);
    kfree(si);
    return r;
}

static const uint32_t abi_states[] = {[P_EMBRYO] = ABI_P_RUNNABLE, [P_RUNNABLE] = ABI_P_RUNNABLE,
                                      [P_RUNNING] = ABI_P_RUNNING, [P_SLEEPING] = ABI_P_SLEEPING,
                                      [P_ZOMBIE] = ABI_P_ZOMBIE};

static long sys_procinfo(const union sysarg *a) {
    int slot = a[0].i;
    if (slot < 0 || slot >= MAX_PROCS)
        return -ABI_EINVAL;
    if (!user_writable(a[1].u, sizeof(struct abi_procinfo)))
        return -ABI_EFAULT;
    struct proc *p = &this_os()->procs[slot];
    proc_table_lock(); /* a consistent snapshot of the slot: its pid and parent */
    proc_lock(p);      /* and its state */
    bool used = p->state != P_UNUSED;
    struct abi_procinfo pi = {0};
    if (used) {
        pi = (struct abi_procinfo){.pid = p->pid, .ppid = p->parent ? p->parent->pid : 0,
                                   .state = abi_states[p->state], .cpu = p->cpu, .prio = p->prio,
                                   .runtime_ns = p->runtime_ns};
        str_copy(pi.name, p->name, sizeof pi.name);
    }
    proc_unlock(p);
    proc_table_unlock();
    if (!used)
        return 0;
    return copy_to_user(a[1].u, &pi, sizeof pi) < 0 ? -ABI_EFAULT : 1;
}

static long sys_readdir(const union sysarg *a) {
    struct abi_dirent d;
    if (!user_writable(a[1].u, sizeof d))
        return -ABI_EFAULT;
    int r = fs_readdir(a[0].i, &d);
    return r == 1 && copy_to_user(a[1].u, &d, sizeof d) < 0 ? -ABI_EFAULT : r;
}

static long sys_setprio(const union sysarg *a) {
    int pid = a[0].i, prio = a[1].i;
    if (prio < 0 || prio >= NPRIO)
        return -ABI_EINVAL;
    proc_table_lock();
    struct proc *p = pid == 0 ? current_proc() : proc_find(pid);
    bool ok = false;
    if (p) {
        proc_lock(p);
        ok = !p->is_kthread && p->state != P_ZOMBIE;
        if (ok)
            p->prio = prio; /* takes effect the next time it is queued */
        proc_unlock(p);
    }
    proc_table_unlock();
    return ok ? 0 : -ABI_ESRCH;
}

/* Test only (usertests parallel_kernel): wait inside the kernel, spinning
 * (neither sleeping nor holding a lock), until a second caller is inside
 * too or `ms` (at most 2 s) have passed; returns 2 when two callers were
 * inside at once during this one's stay, else 1. Two callers on two CPUs
 * meet under an organisation that runs system calls in parallel, and never
 * under one big kernel lock. The caller that sees the other counts a
 * meeting, which the other sees even if it was not looking at that moment
 * (its CPU may not have run then); each takes its snapshot of the count
 * before it counts itself in, so no meeting can slip in between. */
#define RENDEZVOUS_MAX_MS 2000
static volatile int rendezvous_inside;
static volatile uint64_t rendezvous_meetings;

static long sys_test_rendezvous(const union sysarg *a) {
    uint64_t deadline = uptime_ns() + MIN(a[0].u, (uint64_t)RENDEZVOUS_MAX_MS) * 1000000ULL;
    uint64_t before = __atomic_load_n(&rendezvous_meetings, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&rendezvous_inside, 1, __ATOMIC_SEQ_CST);
    bool met = false;
    while (!met && uptime_ns() < deadline) {
        if (__atomic_load_n(&rendezvous_inside, __ATOMIC_SEQ_CST) >= 2) {
            __atomic_add_fetch(&rendezvous_meetings, 1, __ATOMIC_SEQ_CST);
            met = true;
        } else {
            met = __atomic_load_n(&rendezvous_meetings, __ATOMIC_SEQ_CST) != before;
        }
        arch_cpu_relax();
    }
    __atomic_sub_fetch(&rendezvous_inside, 1, __ATOMIC_SEQ_CST);
    return met ? 2 : 1;
}

/* Every lock's counters, one per call (the `locks` program adds up the
 * locks of one name). Registry order is newest first, and stable enough:
 * a lock registered meanwhile shifts the indices by one. */
static long sys_lockstat(const union sysarg *a) {
    if (a[0].i < 0)
        return -ABI_EINVAL;
    const struct spinlock *l = spin_registered(a[0].i);
    if (!l)
        return 0;
    struct abi_lockstat ls = {.rank = l->rank, .acquired = l->stats.acquisitions, .contended = l->stats.contended,
                              .spin_cycles = l->stats.spin_cycles, .max_hold = l->stats.max_hold};
    str_copy(ls.name, l->name, sizeof ls.name);
    return copy_to_user(a[1].u, &ls, sizeof ls) < 0 ? -ABI_EFAULT : 1;
}

static long sys_poweroff(const union sysarg *a) {
    machine_poweroff(a[0].i);
    return 0;
}

uint64_t arch_rtc_boot_epoch(void);
static long sys_gettimeofday(const union sysarg *a) {
    uint64_t ns = uptime_ns();
    struct abi_timeval tv = {(int64_t)(arch_rtc_boot_epoch() + ns / 1000000000ULL),
                             (int64_t)(ns / 1000 % 1000000)};
    return copy_to_user(a[0].u, &tv, sizeof tv);
}

/* The clocks of abi.h. REALTIME is gettimeofday's clock (the RTC read at
 * boot, advanced by the uptime) with its nanoseconds; the CPU-time clocks
 * count the caller's time on a CPU, as times() does, up to now. */
static long sys_clock_gettime(const union sysarg *a) {
    struct proc *p = current_proc();
    uint64_t now = uptime_ns(), ns;
    int64_t base = 0;
    switch (a[0].i) {
    case ABI_CLOCK_MONOTONIC: ns = now; break;
    case ABI_CLOCK_REALTIME: ns = now; base = (int64_t)arch_rtc_boot_epoch(); break;
    case ABI_CLOCK_PROCESS_CPUTIME_ID:
    case ABI_CLOCK_THREAD_CPUTIME_ID: ns = p->runtime_ns + (now - p->last_switch_in); break;
    default: return -ABI_EINVAL;
    }
    struct abi_timespec ts = {base + (int64_t)(ns / 1000000000ULL), (int64_t)(ns % 1000000000ULL)};
    return copy_to_user(a[1].u, &ts, sizeof ts);
}

static long sys_poll(const union sysarg *a) { return poll_fds(a[0].u, a[1].u, a[2].i); }

/* Only the process's own thread touches its mask (proc.h): no lock. POSIX
 * uses only the permission bits of the argument; umask cannot fail. */
static long sys_umask(const union sysarg *a) {
    struct proc *p = current_proc();
    uint32_t old = p->umask;
    p->umask = (uint32_t)a[0].i & ABI_UMASK_BITS;
    return old;
}

/* The release is the issue the ABI last grew at; the version names what
 * differs from boot to boot of the same image: the organisation. */
#define TEACHOS_RELEASE "0.15"
static long sys_uname(const union sysarg *a) {
    struct abi_utsname u;
    memset(&u, 0, sizeof u);
    str_copy(u.sysname, "teachos", sizeof u.sysname);
    if (os_instance_count > 1)
        fmt_snprintf(u.nodename, sizeof u.nodename, "teachos-%d", this_os()->id);
    else
        str_copy(u.nodename, "teachos", sizeof u.nodename);
    str_copy(u.release, TEACHOS_RELEASE, sizeof u.release);
    fmt_snprintf(u.version, sizeof u.version, "organisation %s, %d CPUs", model->name, ncpus);
    str_copy(u.machine, "x86_64", sizeof u.machine);
    return copy_to_user(a[0].u, &u, sizeof u);
}

static long sys_access(const union sysarg *a) { return sysfile_access(a[0].u, a[1].i); }

static long shm_call(uint64_t uname, long (*fn)(const char *)) {
    char name[ABI_SHM_NAME_MAX];
    long len = copy_string_from_user(name, uname, sizeof name);
    return len < 0 ? (len == -ABI_ENAMETOOLONG ? -ABI_EINVAL : len) : fn(name);
}

static long sys_shm_map(const union sysarg *a) { return shm_call(a[0].u, shm_map); }
static long sys_shm_unmap(const union sysarg *a) { return shm_call(a[0].u, shm_unmap); }

/* The disk and file system (kernel/sysfile.c). */
static long sys_mkdir(const union sysarg *a) { return sysfile_mkdir(a[0].u, a[1].u); }
static long sys_rmdir(const union sysarg *a) { return sysfile_rmdir(a[0].u); }
static long sys_unlink(const union sysarg *a) { return sysfile_unlink(a[0].u); }
static long sys_link(const union sysarg *a) { return sysfile_link(a[0].u, a[1].u); }
static long sys_rename(const union sysarg *a) { return sysfile_rename(a[0].u, a[1].u); }
static long sys_chdir(const union sysarg *a) { return sysfile_chdir(a[0].u); }
static long sys_getcwd(const union sysarg *a) { return sysfile_getcwd(a[0].u, a[1].u); }
static long sys_stat(const union sysarg *a) { return sysfile_stat(a[0].u, a[1].u); }
static long sys_getdents(const union sysarg *a) { return sysfile_getdents(a[0].i, a[1].u); }
static long sys_dup(const union sysarg *a) { return sysfile_dup(a[0].i); }
static long sys_dup2(const union sysarg *a) { return sysfile_dup2(a[0].i, a[1].i); }
static long sys_pipe(const union sysarg *a) { return sysfile_pipe(a[0].u); }
static long sys_ftruncate(const union sysarg *a) { return sysfile_ftruncate(a[0].i, a[1].s); }
static long sys_fsync(const union sysarg *a) { return sysfile_fsync(a[0].i); }
static long sys_sync(const union sysarg *a) { (void)a; return sysfile_sync(); }
static long sys_fcntl(const union sysarg *a) { return sysfile_fcntl(a[0].i, a[1].i, a[2].i); }
static long sys_bcacheinfo(const union sysarg *a) { return sysfile_bcacheinfo(a[0].u); }
static long sys_statfs(const union sysarg *a) { return sysfile_statfs(a[0].u); }

/* Memory mappings (kernel/mmap.c). */
static long sys_mmap(const union sysarg *a) { return mmap_map(a[0].u, a[1].u, a[2].i, a[3].i, a[4].i, a[5].s); }
static long sys_munmap(const union sysarg *a) { return mmap_unmap(a[0].u, a[1].u); }
static long sys_mprotect(const union sysarg *a) { return mmap_protect(a[0].u, a[1].u, a[2].i); }

struct syscall_desc {
    long (*fn)(const union sysarg *a);
    uint8_t args[MAX_ARGS]; /* enum arg_kind of rdi, rsi, rdx, r10, r8, r9 */
};

#define I ARG_INT
#define U ARG_U64
#define S ARG_S64
/* One line per call of abi.h, with the kinds of its arguments in order;
 * docs/abi.md's table "Argument widths" is this table in words. */
static const struct syscall_desc table[SYS_COUNT] = {
    [SYS_exit] = {sys_exit, {I}},
    [SYS_fork] = {sys_fork, {0}},
    [SYS_execve] = {sys_execve, {U, U, U}},
    [SYS_waitpid] = {sys_waitpid, {I, U, I}},
    [SYS_getpid] = {sys_getpid, {0}},
    [SYS_getppid] = {sys_getppid, {0}},
    [SYS_kill] = {sys_kill, {I, I}},
    [SYS_sbrk] = {sys_sbrk, {S}},
    [SYS_write] = {sys_write, {I, U, U}},
    [SYS_read] = {sys_read, {I, U, U}},
    [SYS_open] = {sys_open, {U, I, U}},
    [SYS_close] = {sys_close, {I}},
    [SYS_lseek] = {sys_lseek, {I, S, I}},
    [SYS_fstat] = {sys_fstat, {I, U}},
    [SYS_isatty] = {sys_isatty, {I}},
    [SYS_sched_yield] = {sys_sched_yield, {0}},
    [SYS_sleep] = {sys_sleep, {U}},
    [SYS_uptime] = {sys_uptime, {U}},
    [SYS_times] = {sys_times, {U}},
    [SYS_getcpu] = {sys_getcpu, {0}},
    [SYS_sysinfo] = {sys_sysinfo, {U}},
    [SYS_procinfo] = {sys_procinfo, {I, U}},
    [SYS_readdir] = {sys_readdir, {I, U}},
    [SYS_setprio] = {sys_setprio, {I, I}},
    [SYS_poweroff] = {sys_poweroff, {I}},
    [SYS_gettimeofday] = {sys_gettimeofday, {U}},
    [SYS_setaffinity] = {sys_setaffinity, {I, I}},
    [SYS_shm_map] = {sys_shm_map, {U}},
    [SYS_shm_unmap] = {sys_shm_unmap, {U}},
    [SYS_test_rendezvous] = {sys_test_rendezvous, {U}},
    [SYS_cpufail] = {sys_cpufail, {I, I}},
    [SYS_lockstat] = {sys_lockstat, {I, U}},
    [SYS_kwork] = {sys_kwork, {I, U}},
    [SYS_trace] = {sys_trace, {I, U}},
    [SYS_primcost] = {sys_primcost, {I, I, U}},
    [SYS_mkdir] = {sys_mkdir, {U, U}},
    [SYS_rmdir] = {sys_rmdir, {U}},
    [SYS_unlink] = {sys_unlink, {U}},
    [SYS_link] = {sys_link, {U, U}},
    [SYS_rename] = {sys_rename, {U, U}},
    [SYS_chdir] = {sys_chdir, {U}},
    [SYS_getcwd] = {sys_getcwd, {U, U}},
    [SYS_stat] = {sys_stat, {U, U}},
    [SYS_getdents] = {sys_getdents, {I, U}},
    [SYS_dup] = {sys_dup, {I}},
    [SYS_dup2] = {sys_dup2, {I, I}},
    [SYS_pipe] = {sys_pipe, {U}},
    [SYS_ftruncate] = {sys_ftruncate, {I, S}},
    [SYS_fsync] = {sys_fsync, {I}},
    [SYS_sync] = {sys_sync, {0}},
    [SYS_fcntl] = {sys_fcntl, {I, I, I}},
    [SYS_bcacheinfo] = {sys_bcacheinfo, {U}},
    [SYS_statfs] = {sys_statfs, {U}},
    [SYS_sigaction] = {sys_sigaction, {I, U, U}},
    [SYS_sigprocmask] = {sys_sigprocmask, {I, U, U}},
    [SYS_sigpending] = {sys_sigpending, {U}},
    [SYS_sigreturn] = {sys_sigreturn, {U}},
    [SYS_alarm] = {sys_alarm, {U}},
    [SYS_sigsuspend] = {sys_sigsuspend, {U}},
    [SYS_mmap] = {sys_mmap, {U, U, I, I, I, S}},
    [SYS_munmap] = {sys_munmap, {U, U}},
    [SYS_mprotect] = {sys_mprotect, {U, U, I}},
    [SYS_poll] = {sys_poll, {U, U, I}},
    [SYS_clock_gettime] = {sys_clock_gettime, {I, U}},
    [SYS_umask] = {sys_umask, {I}},
    [SYS_uname] = {sys_uname, {U}},
    [SYS_access] = {sys_access, {U, I}},
};
#undef I
#undef U
#undef S

/* The one place the argument rule is applied: -EINVAL when an int
 * argument is out of range, else the decoded arguments in a[]. */
static long decode_args(const struct syscall_desc *d, const struct trap_frame *f, union sysarg *a) {
    const uint64_t regs[MAX_ARGS] = {f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9};
    for (int i = 0; i < MAX_ARGS; i++) {
        switch (d->args[i]) {
        case ARG_INT:
            if (!int_arg_ok(regs[i]))
                return -ABI_EINVAL;
            a[i].i = (int32_t)regs[i];
            break;
        case ARG_U64:
            a[i].u = regs[i];
            break;
        case ARG_S64:
            a[i].s = (int64_t)regs[i];
            break;
        default:
            a[i].u = 0; /* undeclared registers are ignored */
            break;
        }
    }
    return 0;
}

long syscall_run(struct trap_frame *f) {
    uint64_t n = f->rax; /* all 64 bits: 0x100000004 is no call */
    if (n >= SYS_COUNT || !table[n].fn)
        return -ABI_ENOSYS;
    union sysarg a[MAX_ARGS];
    long err = decode_args(&table[n], f, a);
    if (err)
        return err;
    if (!model->runs_kernel(cpu_id()))
        panic("system call %llu on CPU %d, which the %s organisation keeps out of the kernel",
              (unsigned long long)n, cpu_id(), model->name);
    /* Handlers act on the caller: current_proc() and, through CR3, its
     * memory (uaccess.c). An organisation that runs a call away from the
     * calling CPU must bring both along (leader: the process itself moves). */
    struct proc *p = current_proc();
    if (p->as && arch_as_active() != p->as->root)
        panic("system call %llu of pid %d runs on address space %llx, not its own %llx", (unsigned long long)n,
              p->pid, (unsigned long long)arch_as_active(), (unsigned long long)p->as->root);
    this_cpu()->count.handlers++; /* where handlers run: the organisations differ here */
    return table[n].fn(a);
}

/* Back to user mode: a pending kill ends the process, a used-up time slice
 * gives the CPU to the next ready process, and a pending signal is
 * delivered (kernel/signal.c). Called in the kernel-entered state. */
void leave_kernel_checks(void) {
    struct proc *p = current_proc();
    if (p->killed)
        proc_exit(ABI_W_SIGNALED(p->killed));
    if (this_cpu()->need_resched)
        yield();
    signal_deliver(p->tf); /* the user frame, at the top of its kernel stack */
}

/* From arch/x86_64/syscall.S, with interrupts off. */
void syscall_dispatch(struct trap_frame *f) {
    trace(TR_KIN, (uint32_t)f->rax);
    this_cpu()->count.syscalls++;
    current_proc()->user_cpu = cpu_id();
    model->kernel_enter();
    struct proc *p = current_proc(); /* after the entry: it may have waited for a lock */
    p->in_kernel = true;
    uint64_t nr = f->rax;
    f->rax = (uint64_t)model->syscall(f);
    /* A call a signal interrupted may start again (SA_RESTART), if the
     * signal is delivered now: signal_deliver() looks, once. */
    p->sig_restart_nr = (int64_t)f->rax == -ABI_EINTR && signal_restartable(nr) ? (int)nr : -1;
    leave_kernel_checks();
    p->sig_restart_nr = -1;
    current_proc()->in_kernel = false;
    model->kernel_exit();
    trace(TR_KOUT, 0); /* on the CPU the caller goes back to user mode on (leader: a follower) */
}
