/*
 * The process table and the lifecycle of processes and kernel threads:
 * creation, fork, exit, wait and kill.
 *
 * Locks, in rank order (docs/locks.md): model->sched_lock() (bkl: the big
 * lock; fine: nothing), the process table's lock (slots, pids, parent
 * links), then one process's lock (its state, exit status, kill flag). A
 * parent reaps a zombie child only under the child's lock, which the child
 * holds across its last switch until its CPU has left its kernel stack.
 */
#include "kernel/proc.h"
#include "kernel/file.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/signal.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "kernel/vm.h"
#include "lib/string.h"

void proc_table_lock(void) { spin_lock(&this_os()->proc_lock); }
void proc_table_unlock(void) { spin_unlock(&this_os()->proc_lock); }
void proc_lock(struct proc *p) { spin_lock(&p->lock); }
void proc_unlock(struct proc *p) { spin_unlock(&p->lock); }

struct proc *proc_find(int pid) {
    struct proc *procs = this_os()->procs;
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i].state != P_UNUSED && procs[i].pid == pid)
            return &procs[i];
    return NULL;
}

/* The first switch into a thread "returns" into one of these. */
static void first_run_user(void);
static void first_run_kthread(void);

/* Lay out a new kernel stack: the user trap frame at the top, below it the
 * context arch_switch() pops, which returns into `entry` with the stack
 * aligned as after a call. */
static void prepare_stack(struct proc *p, void (*entry)(void)) {
    p->tf = (struct trap_frame *)(p->kstack_top - sizeof(struct trap_frame));
    p->ctx = (struct context *)((uint64_t)p->tf - 64);
    memset(p->ctx, 0, sizeof *p->ctx);
    p->ctx->rip = (uint64_t)entry;
}

/* Everything of a slot but its lock, which other CPUs may be taking. */
static void proc_clear(struct proc *p) {
    memset((char *)p + sizeof p->lock, 0, sizeof *p - sizeof p->lock);
}

/* A free slot, marked EMBRYO, with a kernel stack. Process table lock held.
 * NULL with *err = -EAGAIN (table full) or -ENOMEM. */
static struct proc *proc_alloc_locked(const char *name, int *err) {
    struct os_instance *os = this_os();
    struct proc *p = NULL;
    for (int i = 0; i < MAX_PROCS && !p; i++)
        if (os->procs[i].state == P_UNUSED)
            p = &os->procs[i];
    if (!p) {
        *err = -ABI_EAGAIN;
        return NULL;
    }
    uint64_t kstack = arch_alloc_kstack(&os->kstacks); /* in the instance's own memory */
    if (!kstack) {
        *err = -ABI_ENOMEM;
        return NULL;
    }
    proc_lock(p); /* a wakeup may be looking at the slot */
    proc_clear(p);
    p->state = P_EMBRYO;
    p->pid = ++os->next_pid;
    p->kstack_top = kstack;
    p->prio = DEFAULT_PRIO;
    p->cpu = cpu_id();
    p->user_cpu = cpu_id();
    p->affinity = -1;
    p->umask = ABI_UMASK_DEFAULT;
    p->started_ns = uptime_ns();
    list_init(&p->rq);
    str_copy(p->name, name, sizeof p->name);
    proc_unlock(p);
    return p;
}

static struct proc *proc_alloc(const char *name, int *err) {
    proc_table_lock();
    struct proc *p = proc_alloc_locked(name, err);
    proc_table_unlock();
    return p;
}

/* Release a zombie's (or a failed embryo's) slot and kernel stack. The
 * process table lock and p->lock are held: a zombie's lock is free only
 * once its CPU has left its stack. */
void proc_free(struct proc *p) {
    arch_free_kstack(&this_os()->kstacks, p->kstack_top);
    p->kstack_top = 0;
    p->state = P_UNUSED;
    p->pid = 0;
    p->parent = NULL;
}

static void proc_free_embryo(struct proc *p) {
    proc_table_lock();
    proc_lock(p);
    proc_free(p);
    proc_unlock(p);
    proc_table_unlock();
}

void proc_reap_orphan(struct proc *p) {
    proc_table_lock();
    proc_lock(p);
    if (p->state == P_ZOMBIE && !p->parent) /* a parent's exit may have freed it meanwhile */
        proc_free(p);
    proc_unlock(p);
    proc_table_unlock();
}

/* ---- kernel threads ---- */

/* The scheduler loop switched here holding the thread's lock (and the
 * organisation's scheduler lock once), with interrupts off and to stay off
 * when the locks go (sched.c). */
static void release_first_switch(const char *who) {
    proc_unlock(current_proc());
    model->sched_unlock();
    if (arch_irq_enabled())
        panic("%s: interrupts on after the first switch", who);
}

static void first_run_kthread(void) {
    struct proc *p = current_proc();
    release_first_switch("first_run_kthread");
    arch_irq_enable(); /* a kernel thread runs with interrupts on */
    p->kfn(p->karg);
    proc_exit(ABI_W_EXITED(0));
}

struct proc *kthread_create(const char *name, void (*fn)(void *), void *arg, int prio) {
    int err;
    model->sched_lock();
    proc_table_lock();
    struct proc *p = proc_alloc_locked(name, &err);
    if (p) {
        p->is_kthread = true;
        p->prio = prio;
        p->parent = current_proc(); /* NULL from boot code: reaped by the scheduler */
        prepare_stack(p, first_run_kthread);
        p->kfn = fn;
        p->karg = arg;
        proc_lock(p);
        make_runnable(p);
        proc_unlock(p);
    }
    proc_table_unlock();
    model->sched_unlock();
    return p;
}

/* ---- processes of a failed CPU (kernel/cpufail.c) ---- */

/* The process ran on a CPU that failed; its kernel stack and registers
 * there are lost, so it starts afresh on a live CPU, here, only to exit
 * the way a killed process does: its files closed, its memory freed, its
 * parent woken with the signal in the wait status. */
static void first_run_lost(void) {
    struct proc *p = current_proc();
    release_first_switch("first_run_lost");
    model->kernel_enter(); /* proc_exit() runs in the kernel-entered state (leader: on the leader) */
    proc_exit(ABI_W_SIGNALED(p->killed));
}

/* `cpu` failed outside any lock (model->cpu_failed): the process it ran is
 * killed with SIGKILL, and processes pinned to it may run anywhere. The
 * dead CPU held neither p->lock nor any other, and never runs again, so
 * its process's stack can be laid out anew. */
void proc_lost_on_cpu(int cpu) {
    struct cpu *d = &cpus[cpu];
    struct proc *procs = d->os->procs;
    model->sched_lock();
    proc_table_lock();
    struct proc *p = __atomic_exchange_n(&d->current, NULL, __ATOMIC_SEQ_CST);
    if (p) {
        proc_lock(p);
        pr_err("cpufail: pid %d (%s) ran on CPU %d: killed (signal %d)\n", p->pid, p->name, cpu, ABI_SIGKILL);
        p->killed = ABI_SIGKILL;
        p->in_kernel = false;
        p->affinity = -1;
        prepare_stack(p, first_run_lost);
        make_runnable(p);
        proc_unlock(p);
    }
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *q = &procs[i];
        if (q->state == P_UNUSED || q->affinity != cpu)
            continue;
        proc_lock(q); /* as proc_set_affinity(q, -1): off the queue the old rule chose, on again */
        if (q->state == P_RUNNABLE && model->dequeue(q)) {
            q->affinity = -1;
            make_runnable(q);
        } else {
            q->affinity = -1;
        }
        pr_info("cpufail: pid %d (%s) was pinned to CPU %d; it may run anywhere now\n", q->pid, q->name, cpu);
        proc_unlock(q);
    }
    proc_table_unlock();
    model->sched_unlock();
}

/* ---- user processes ---- */

/* Interrupts must stay off until the iretq: after its swapgs an interrupt
 * would run on the user's GS. */
static void first_run_user(void) {
    release_first_switch("first_run_user");
    model->kernel_enter(); /* it leaves the kernel the way a system call does */
    model->kernel_exit();  /* (leader: to a follower) */
    arch_enter_user(current_proc()->tf);
}

int proc_fork(void) {
    struct proc *parent = current_proc();
    int err;
    struct proc *child = proc_alloc(parent->name, &err);
    if (!child)
        return err;
    prepare_stack(child, first_run_user);
    child->as = as_clone(parent->as);
    if (!child->as) {
        proc_free_embryo(child);
        return -ABI_ENOMEM;
    }
    *child->tf = *parent->tf;
    child->tf->rax = 0; /* fork() returns 0 in the child */
    arch_fpu_save(parent->fpu);
    memcpy(child->fpu, parent->fpu, sizeof child->fpu);
    for (int fd = 0; fd < NOFILE; fd++)
        child->files[fd] = parent->files[fd] ? file_dup(parent->files[fd]) : NULL;
    child->cloexec = parent->cloexec;
    str_copy(child->cwd, parent->cwd, sizeof child->cwd);
    child->umask = parent->umask;
    child->prio = parent->prio;
    child->affinity = parent->affinity; /* as sched_setaffinity(2): inherited */
    signal_fork(child, parent);
    int pid = child->pid; /* read before it runs: it may exit and be reaped at once */
    model->sched_lock();
    proc_table_lock();
    child->parent = parent;
    proc_lock(child);
    make_runnable(child);
    proc_unlock(child);
    proc_table_unlock();
    model->sched_unlock();
    return pid;
}

/* Children of an exiting process go to init (or, without init, nowhere:
 * the scheduler frees them when they exit, and this frees those that
 * already have, under each one's lock). Process table lock held. */
static void reparent_children(struct proc *p) {
    struct proc *procs = this_os()->procs;
    struct proc *init = this_os()->init;
    struct proc *heir = (init && init != p) ? init : NULL;
    bool zombie_passed = false;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *c = &procs[i];
        if (c->state == P_UNUSED || c->parent != p)
            continue;
        c->parent = heir;
        if (c->state == P_ZOMBIE) {
            zombie_passed = true;
            if (!heir) {
                proc_lock(c);
                proc_free(c);
                proc_unlock(c);
            }
        }
    }
    if (zombie_passed && heir)
        wakeup(heir);
}

/* End the current process: called in the kernel-entered state (from a
 * system call or a fault), or by a kernel thread that returns. */
void proc_exit(int status) {
    struct proc *p = current_proc();
    if (p == this_os()->init) {
        /* This instance's dirty blocks go to the disk now, while it can
         * still sleep for them: the last init to end powers the machine
         * off from its own instance, which can write back only its own
         * cache (private). */
        fs_flush_all();
        init_exited(status); /* returns while other instances' inits run */
        this_os()->init = NULL; /* its slot will be reused: no longer init */
    }
    /* Each slot is emptied before what it held is released: should this
     * CPU be declared failed in between (cpufail), the process runs
     * proc_exit() again from first_run_lost(), and must not close a file
     * or free an address space twice. */
    for (int fd = 0; fd < NOFILE; fd++) {
        struct file *f = p->files[fd];
        if (f) {
            p->files[fd] = NULL;
            file_close(f);
        }
    }
    struct addrspace *as = p->as;
    if (as) {
        arch_as_activate(0);
        p->as = NULL;
        as_destroy(as);
    }
    /* The parent sleeps in wait() with the table lock as its condition
     * lock: woken while this holds it, it finds the zombie when it gets it. */
    model->sched_lock();
    proc_table_lock();
    reparent_children(p);
    if (p->parent) {
        wakeup(p->parent);
        signal_child_exited(p->parent, p->pid, status); /* SIGCHLD */
    }
    proc_lock(p);
    p->exit_status = status;
    p->exited_ns = uptime_ns();
    p->state = P_ZOMBIE;
    proc_table_unlock();
    sched();
    panic("zombie %d ran again", p->pid);
}

/* Wait for a child (pid > 0: that one; -1: any). Like every pointer the
 * kernel is given, the status pointer must be valid (the C library passes
 * its own when a program gives NULL); it is checked before a child is
 * reaped, so a bad pointer loses nothing. */
int proc_wait(int pid, uint64_t user_status, int options) {
    struct proc *p = current_proc();
    if (!user_writable(user_status, sizeof(int)))
        return -ABI_EFAULT;
    struct os_instance *os = this_os();
    model->sched_lock();
    proc_table_lock();
    for (;;) {
        bool have_children = false;
        for (int i = 0; i < MAX_PROCS; i++) {
            struct proc *c = &os->procs[i];
            /* Parent links and "zombie" both change under the table lock. */
            if (c->state == P_UNUSED || c->parent != p || (pid > 0 && c->pid != pid))
                continue;
            have_children = true;
            if (c->state != P_ZOMBIE)
                continue;
            proc_lock(c); /* waits until the zombie's CPU has left its stack */
            int cpid = c->pid, status = c->exit_status;
            p->child_runtime_ns += c->runtime_ns + c->child_runtime_ns;
            proc_free(c);
            proc_unlock(c);
            proc_table_unlock();
            model->sched_unlock();
            copy_to_user(user_status, &status, sizeof status);
            return cpid;
        }
        bool interrupted = proc_interrupted(p);
        if (!have_children || interrupted || (options & ABI_WNOHANG)) {
            proc_table_unlock();
            model->sched_unlock();
            return !have_children ? -ABI_ECHILD : interrupted ? -ABI_EINTR : 0;
        }
        p->wait_pid = pid > 0 ? pid : -1;
        sleep(p, &os->proc_lock);
    }
}

/* Signal 0 only asks whether pid exists and may be signalled (POSIX); a
 * zombie not yet waited for still exists, and a signal to it does nothing.
 * What the signal does is up to the target (kernel/signal.c). */
int proc_kill(int pid, int sig) {
    if (sig < 0 || sig >= ABI_NSIG)
        return -ABI_EINVAL;
    struct proc *me = current_proc();
    model->sched_lock();
    proc_table_lock();
    struct proc *p = proc_find(pid);
    int r = 0;
    if (!p)
        r = -ABI_ESRCH;
    else if (p->is_kthread || p == this_os()->init)
        r = -ABI_EPERM;
    else if (sig != 0) {
        struct abi_siginfo info = {.signo = sig, .code = ABI_SI_USER, .pid = me ? me->pid : 0};
        proc_lock(p);
        signal_post(p, sig, &info); /* a zombie ignores it */
        proc_unlock(p);
    }
    proc_table_unlock();
    model->sched_unlock();
    return r;
}

/* Pin process pid (0: the caller) to `cpu`, or let it run anywhere (-1);
 * only to a CPU that is online and runs user processes.
 * The organisation's pick_next honours it from the next switch on; the
 * caller moves at once (it gives up the CPU when this one is not allowed). */
int proc_set_affinity(int pid, int cpu) {
    if (cpu < -1 || cpu >= ncpus || (cpu >= 0 && (!cpus[cpu].online || !model->runs_user(cpu))))
        return -ABI_EINVAL;
    if (cpu >= 0 && cpus[cpu].os != this_os())
        return -ABI_EINVAL; /* that CPU serves another OS instance: processes never leave theirs */
    model->sched_lock();
    proc_table_lock();
    struct proc *p = pid == 0 ? current_proc() : proc_find(pid);
    int r = 0;
    if (!p || p->state == P_ZOMBIE)
        r = -ABI_ESRCH;
    else if (p->is_kthread && p != current_proc())
        r = -ABI_EPERM;
    else {
        proc_lock(p);
        /* Queued where the old affinity allowed: queue it again. Runnable
         * but on no queue means a CPU is switching to it right now: it
         * is queued by the new rule the next time it gives up the CPU. */
        if (p->state == P_RUNNABLE && model->dequeue(p)) {
            p->affinity = cpu;
            make_runnable(p);
        } else {
            p->affinity = cpu;
        }
        proc_unlock(p);
    }
    bool move = r == 0 && p == current_proc() && !proc_may_run_on(p, cpu_id());
    proc_table_unlock();
    model->sched_unlock();
    if (move)
        yield();
    return r;
}

/* Start pid 1 from the archive, with `args` (the run= option) after its name. */
void proc_start_init(const char *path, const char *args) {
    int err;
    struct proc *p = proc_alloc("init", &err);
    if (!p)
        panic("no memory for the first process");
    prepare_stack(p, first_run_user);
    for (int fd = 0; fd < 3; fd++)
        p->files[fd] = file_dup(console_file());
    this_os()->init = p;
    init_started();
    int r = exec_into(p, path, args);
    if (r < 0)
        panic("cannot start %s: error %d", path, r);
    model->sched_lock();
    proc_lock(p);
    make_runnable(p);
    proc_unlock(p);
    model->sched_unlock();
}

/* A kernel thread waits for a child kernel thread (tests). */
int proc_wait_kernel(int pid, int *status) {
    struct proc *p = current_proc();
    struct os_instance *os = this_os();
    model->sched_lock();
    proc_table_lock();
    for (;;) {
        struct proc *c = proc_find(pid);
        if (!c || c->parent != p) {
            proc_table_unlock();
            model->sched_unlock();
            return -ABI_ECHILD;
        }
        p->wait_pid = pid;
        if (c->state == P_ZOMBIE) {
            proc_lock(c);
            *status = c->exit_status;
            proc_free(c);
            proc_unlock(c);
            proc_table_unlock();
            model->sched_unlock();
            return pid;
        }
        sleep(p, &os->proc_lock);
    }
}
