/*
 * System calls: the entry from user mode (syscall_dispatch, called by
 * arch/x86_64/syscall.S) and one handler per call of user/include/abi.h.
 * Arguments arrive in rdi, rsi, rdx, r10, r8, r9; every pointer is checked
 * through uaccess.h.
 */
#include "kernel/syscall.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "kernel/vm.h"
#include "lib/string.h"

#define A1 (f->rdi)
#define A2 (f->rsi)
#define A3 (f->rdx)

static struct file *fd_file(int fd) {
    struct proc *p = current_proc();
    return fd >= 0 && fd < NOFILE ? p->files[fd] : NULL;
}

static long sys_exit(struct trap_frame *f) { proc_exit(ABI_W_EXITED((int)A1)); }
static long sys_fork(struct trap_frame *f) { (void)f; return proc_fork(); }
static long sys_execve(struct trap_frame *f) { return sys_execve_impl(A1, A2, A3); }
static long sys_waitpid(struct trap_frame *f) { return proc_wait((int)A1, A2, (int)A3); }
static long sys_getpid(struct trap_frame *f) { (void)f; return current_proc()->pid; }

static long sys_getppid(struct trap_frame *f) {
    (void)f;
    model->sched_lock(); /* the parent may exit and hand us to init meanwhile */
    struct proc *parent = current_proc()->parent;
    int ppid = parent ? parent->pid : 0;
    model->sched_unlock();
    return ppid;
}

static long sys_kill(struct trap_frame *f) { return proc_kill((int)A1, (int)A2); }
static long sys_sbrk(struct trap_frame *f) { return as_sbrk(current_proc()->as, (int64_t)A1); }

static long sys_write(struct trap_frame *f) {
    struct file *file = fd_file((int)A1);
    if (!file)
        return -ABI_EBADF;
    if (!user_readable(A2, A3))
        return -ABI_EFAULT;
    return file_write(file, (const void *)A2, A3);
}

static long sys_read(struct trap_frame *f) {
    struct file *file = fd_file((int)A1);
    if (!file)
        return -ABI_EBADF;
    if (!user_writable(A2, A3))
        return -ABI_EFAULT;
    return file_read(file, (void *)A2, A3, true);
}

static long sys_open(struct trap_frame *f) {
    char path[128];
    long len = copy_string_from_user(path, A1, sizeof path);
    if (len < 0)
        return len;
    struct proc *p = current_proc();
    int fd = 0;
    while (fd < NOFILE && p->files[fd])
        fd++;
    if (fd == NOFILE)
        return -ABI_EMFILE;
    int err = 0;
    struct file *file = file_open(path, (int)A2, &err);
    if (!file)
        return err;
    p->files[fd] = file;
    return fd;
}

static long sys_close(struct trap_frame *f) {
    struct file *file = fd_file((int)A1);
    if (!file)
        return -ABI_EBADF;
    current_proc()->files[A1] = NULL;
    file_close(file);
    return 0;
}

static long sys_lseek(struct trap_frame *f) {
    struct file *file = fd_file((int)A1);
    return file ? file_lseek(file, (int64_t)A2, (int)A3) : -ABI_EBADF;
}

static long sys_fstat(struct trap_frame *f) {
    struct file *file = fd_file((int)A1);
    if (!file)
        return -ABI_EBADF;
    struct abi_stat st = {.size = file->size, .mode = file->mode, .ino = file->ino, .blksize = 512};
    if (file->type == F_INITRD && !(st.mode & ABI_S_IFMT))
        st.mode |= ABI_S_IFREG;
    return copy_to_user(A2, &st, sizeof st);
}

static long sys_isatty(struct trap_frame *f) {
    struct file *file = fd_file((int)A1);
    if (!file)
        return -ABI_EBADF;
    return file->type == F_CONSOLE ? 1 : -ABI_ENOTTY;
}

static long sys_sched_yield(struct trap_frame *f) {
    (void)f;
    yield();
    return 0;
}

static long sys_sleep(struct trap_frame *f) { return sleep_ms(A1); }

static long sys_uptime(struct trap_frame *f) {
    uint64_t ns = uptime_ns();
    return copy_to_user(A1, &ns, sizeof ns);
}

static uint64_t ns_to_clock(uint64_t ns) { return ns / (1000000000ULL / ABI_CLOCKS_PER_SEC); }

static long sys_times(struct trap_frame *f) {
    struct proc *p = current_proc();
    uint64_t run = p->runtime_ns + (uptime_ns() - p->last_switch_in);
    struct abi_tms t = {.utime = ns_to_clock(run), .cutime = ns_to_clock(p->child_runtime_ns),
                        .elapsed = ns_to_clock(uptime_ns())};
    return copy_to_user(A1, &t, sizeof t) < 0 ? -ABI_EFAULT : (long)t.elapsed; /* POSIX: elapsed ticks */
}

static long sys_getcpu(struct trap_frame *f) { (void)f; return cpu_id(); }

static void fill_cpuinfo(struct abi_cpuinfo *ci, const struct cpu *c) {
    ci->apic_id = c->arch.apic_id;
    ci->state = !c->online ? ABI_CPU_OFFLINE : c->current ? ABI_CPU_RUNNING : ABI_CPU_IDLE;
    ci->current_pid = c->current ? c->current->pid : 0;
    ci->ready = (uint32_t)model->ready_count(c->id);
    ci->ticks = c->count.ticks;
    ci->idle_ticks = c->count.idle_ticks;
    ci->syscalls = c->count.syscalls;
    ci->switches = c->count.switches;
    ci->irqs = c->count.irqs;
    ci->ipis = c->count.ipis;
}

static long sys_sysinfo(struct trap_frame *f) {
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
    for (int i = 0; i < MAX_PROCS; i++)
        si->nprocs += this_os()->procs[i].state != P_UNUSED;
    for (int i = 0; i < ncpus && i < ABI_MAX_CPUS; i++)
        fill_cpuinfo(&si->cpu[i], &cpus[i]);
    long r = copy_to_user(A1, si, sizeof *si);
    kfree(si);
    return r;
}

static const uint32_t abi_states[] = {[P_EMBRYO] = ABI_P_RUNNABLE, [P_RUNNABLE] = ABI_P_RUNNABLE,
                                      [P_RUNNING] = ABI_P_RUNNING, [P_SLEEPING] = ABI_P_SLEEPING,
                                      [P_ZOMBIE] = ABI_P_ZOMBIE};

static long sys_procinfo(struct trap_frame *f) {
    int slot = (int)A1;
    if (slot < 0 || slot >= MAX_PROCS)
        return -ABI_EINVAL;
    if (!user_writable(A2, sizeof(struct abi_procinfo)))
        return -ABI_EFAULT;
    struct proc *p = &this_os()->procs[slot];
    model->sched_lock(); /* a consistent snapshot of the slot */
    bool used = p->state != P_UNUSED;
    struct abi_procinfo pi = {0};
    if (used) {
        pi = (struct abi_procinfo){.pid = p->pid, .ppid = p->parent ? p->parent->pid : 0,
                                   .state = abi_states[p->state], .cpu = p->cpu, .prio = p->prio,
                                   .runtime_ns = p->runtime_ns};
        str_copy(pi.name, p->name, sizeof pi.name);
    }
    model->sched_unlock();
    if (!used)
        return 0;
    return copy_to_user(A2, &pi, sizeof pi) < 0 ? -ABI_EFAULT : 1;
}

static long sys_readdir(struct trap_frame *f) {
    struct abi_dirent d;
    if (!user_writable(A2, sizeof d))
        return -ABI_EFAULT;
    int r = fs_readdir((int)A1, &d);
    return r == 1 && copy_to_user(A2, &d, sizeof d) < 0 ? -ABI_EFAULT : r;
}

static long sys_setprio(struct trap_frame *f) {
    int pid = (int)A1, prio = (int)A2;
    if (prio < 0 || prio >= NPRIO)
        return -ABI_EINVAL;
    model->sched_lock();
    struct proc *p = pid == 0 ? current_proc() : proc_find(pid);
    bool ok = p && !p->is_kthread && p->state != P_ZOMBIE;
    if (ok)
        p->prio = prio; /* takes effect the next time it is queued */
    model->sched_unlock();
    return ok ? 0 : -ABI_ESRCH;
}

void machine_poweroff(int code);
static long sys_poweroff(struct trap_frame *f) {
    machine_poweroff((int)A1);
    return 0;
}

uint64_t arch_rtc_boot_epoch(void);
static long sys_gettimeofday(struct trap_frame *f) {
    uint64_t ns = uptime_ns();
    struct abi_timeval tv = {(int64_t)(arch_rtc_boot_epoch() + ns / 1000000000ULL),
                             (int64_t)(ns / 1000 % 1000000)};
    return copy_to_user(A1, &tv, sizeof tv);
}

typedef long (*syscall_fn)(struct trap_frame *f);
static const syscall_fn table[SYS_COUNT] = {
    [SYS_exit] = sys_exit,         [SYS_fork] = sys_fork,         [SYS_execve] = sys_execve,
    [SYS_waitpid] = sys_waitpid,   [SYS_getpid] = sys_getpid,     [SYS_getppid] = sys_getppid,
    [SYS_kill] = sys_kill,         [SYS_sbrk] = sys_sbrk,         [SYS_write] = sys_write,
    [SYS_read] = sys_read,         [SYS_open] = sys_open,         [SYS_close] = sys_close,
    [SYS_lseek] = sys_lseek,       [SYS_fstat] = sys_fstat,       [SYS_isatty] = sys_isatty,
    [SYS_sched_yield] = sys_sched_yield, [SYS_sleep] = sys_sleep, [SYS_uptime] = sys_uptime,
    [SYS_times] = sys_times,       [SYS_getcpu] = sys_getcpu,     [SYS_sysinfo] = sys_sysinfo,
    [SYS_procinfo] = sys_procinfo, [SYS_readdir] = sys_readdir,   [SYS_setprio] = sys_setprio,
    [SYS_poweroff] = sys_poweroff, [SYS_gettimeofday] = sys_gettimeofday,
};

long syscall_run(struct trap_frame *f) {
    uint64_t n = f->rax;
    if (n >= SYS_COUNT || !table[n])
        return -ABI_ENOSYS;
    return table[n](f);
}

/* Back to user mode: a pending kill ends the process, a used-up time slice
 * gives the CPU to the next ready process. Called in the kernel-entered state. */
void leave_kernel_checks(void) {
    struct proc *p = current_proc();
    if (p->killed)
        proc_exit(ABI_W_SIGNALED(p->killed));
    if (this_cpu()->need_resched)
        yield();
}

/* From arch/x86_64/syscall.S, with interrupts off. */
void syscall_dispatch(struct trap_frame *f) {
    this_cpu()->count.syscalls++;
    model->kernel_enter();
    f->rax = (uint64_t)model->syscall(f);
    leave_kernel_checks();
    model->kernel_exit();
}
