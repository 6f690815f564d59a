/*
 * Signals: posting, delivery, and the system calls sigaction, sigprocmask,
 * sigpending, sigreturn, alarm and sigsuspend (docs/processes.md
 * "Signals", docs/abi.md).
 *
 * Locks. A process's pending and blocked sets, its actions, the
 * information for each pending signal and its alarm are under its own lock
 * (RANK_PROC). Posting (kill, SIGCHLD, SIGALRM, Ctrl-C) holds the
 * organisation's scheduler lock too, since it may wake the target; it
 * takes the process table's lock (RANK_PROC_TABLE) or the instance's
 * `timers` (RANK_SLEEP_COND) first when it needs them, both ranked below.
 * Under the process's lock nothing but the sets is touched: user memory
 * (the frame, the system calls' arguments) is copied before or after,
 * since that may take the address space's lock and allocate frames.
 *
 * Only the process itself changes its actions and its blocked set
 * (sigaction, sigprocmask, delivery, sigreturn, exec), so it may read them
 * without the lock; others read them under it.
 */
#include "kernel/signal.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "lib/string.h"

#define BIT(sig) (1u << (sig))
#define VALID_SIGS (~1u) /* 1 .. ABI_NSIG-1: bit 0 is no signal */
/* Neither caught nor blocked: the kernel keeps these. */
#define UNBLOCKABLE (BIT(ABI_SIGKILL) | BIT(ABI_SIGSTOP))
/* Caused by the instruction just run: delivered before any other, so the
 * handler sees its own fault and not a signal that came meanwhile. */
#define SYNCHRONOUS \
    (BIT(ABI_SIGSEGV) | BIT(ABI_SIGBUS) | BIT(ABI_SIGILL) | BIT(ABI_SIGTRAP) | BIT(ABI_SIGFPE) | BIT(ABI_SIGSYS))
/* Default action "ignore" (POSIX: SIGCHLD, SIGURG, SIGCONT, and SIGWINCH
 * as everywhere). There is no job control: the stop signals are ignored as
 * well, and SIGCONT has nothing to continue. Every other signal's default
 * ends the process, with the signal in its wait status. */
#define DEFAULT_IGNORED                                                                                     \
    (BIT(ABI_SIGCHLD) | BIT(ABI_SIGURG) | BIT(ABI_SIGWINCH) | BIT(ABI_SIGCONT) | BIT(ABI_SIGSTOP) |          \
     BIT(ABI_SIGTSTP) | BIT(ABI_SIGTTIN) | BIT(ABI_SIGTTOU))
/* The longest alarm: 2^40 ms (35 years), so that a deadline never wraps. */
#define ALARM_MAX_MS (1ULL << 40)

static bool valid_sig(int sig) { return sig > 0 && sig < ABI_NSIG; }

/* What happens to sig when it is delivered now: p->lock held, or p is the
 * caller (only it changes its actions). */
static bool ignored(const struct proc *p, int sig) {
    uint64_t h = p->sig_action[sig].handler;
    return h == ABI_SIG_IGN || (h == ABI_SIG_DFL && (DEFAULT_IGNORED & BIT(sig)));
}

/* p->lock and the scheduler lock held: a sleep that a signal ends ends now.
 * (A process running user code on another CPU notices at its next timer
 * tick, trap_return_to_user; no IPI is sent.) */
static void wake_for_signal(struct proc *p) {
    if (p->state == P_SLEEPING && p->sleep_intr)
        make_runnable(p);
}

void signal_post(struct proc *p, int sig, const struct abi_siginfo *info) {
    if (!valid_sig(sig) || p->is_kthread || p->state == P_UNUSED || p->state == P_ZOMBIE)
        return;
    if (sig == ABI_SIGKILL) { /* not even blocked: `killed` ends it on its way out */
        if (!p->killed)
            p->killed = ABI_SIGKILL;
        wake_for_signal(p);
        return;
    }
    uint32_t bit = BIT(sig);
    bool blocked = p->sig_blocked & bit;
    if (!blocked && ignored(p, sig))
        return; /* discarded at once (POSIX); a blocked one waits, its action may change */
    if (!(p->sig_pending & bit)) {
        p->sig_info[sig] = *info; /* signals are not queued: a second one merges into the first */
        p->sig_info[sig].signo = sig;
    }
    __atomic_or_fetch(&p->sig_pending, bit, __ATOMIC_RELAXED); /* proc_interrupted() looks without the lock */
    if (!blocked)
        wake_for_signal(p);
}

/* Pending signals that are ignored and not blocked are dropped (after
 * sigaction or sigprocmask): they would only end sleeps for nothing.
 * p->lock held. */
static void drop_ignored(struct proc *p) {
    for (int sig = 1; sig < ABI_NSIG; sig++)
        if ((p->sig_pending & BIT(sig)) && !(p->sig_blocked & BIT(sig)) && ignored(p, sig))
            __atomic_and_fetch(&p->sig_pending, ~BIT(sig), __ATOMIC_RELAXED);
}

void signal_child_exited(struct proc *parent, int pid, int status) {
    if (parent->is_kthread)
        return;
    bool killed = (status & 0x7f) != 0; /* ABI_W_SIGNALED vs ABI_W_EXITED */
    struct abi_siginfo info = {.signo = ABI_SIGCHLD, .code = killed ? ABI_CLD_KILLED : ABI_CLD_EXITED,
                               .pid = pid, .status = killed ? status & 0x7f : (status >> 8) & 0xff};
    proc_lock(parent);
    signal_post(parent, ABI_SIGCHLD, &info);
    proc_unlock(parent);
}

bool signal_fault(int sig, int code, uint64_t addr) {
    struct proc *p = current_proc();
    proc_lock(p);
    /* Blocked, ignored or left at the default, a fault ends the process:
     * ignoring it would only run the faulting instruction again. */
    bool caught = p->sig_action[sig].handler > ABI_SIG_IGN && !(p->sig_blocked & BIT(sig));
    if (caught) {
        p->sig_info[sig] = (struct abi_siginfo){.signo = sig, .code = code, .addr = addr};
        __atomic_or_fetch(&p->sig_pending, BIT(sig), __ATOMIC_RELAXED);
    }
    proc_unlock(p);
    return caught;
}

bool signal_restartable(uint64_t nr) {
    /* The calls that wait for something another process does; sleep,
     * sigsuspend (and poll, select) report EINTR whatever the flags say. */
    return nr == SYS_read || nr == SYS_write || nr == SYS_waitpid;
}

/* Push a frame for sig's handler on the user stack of f and point f at
 * the handler; false if the stack cannot take it. */
static bool push_frame(struct proc *p, struct trap_frame *f, const struct abi_sigaction *act,
                       const struct abi_siginfo *info, uint32_t old_mask) {
    struct abi_sigframe fr;
    memset(&fr, 0, sizeof fr);
    arch_signal_save(f, &fr.ctx, p->fpu);
    fr.ctx.mask = old_mask;
    if (info->signo == ABI_SIGSEGV && f->vector == 14)
        fr.ctx.addr = info->addr;
    /* A read, write or waitpid that a signal interrupted returned -EINTR;
     * with SA_RESTART the handler returns into the call made again. */
    if (p->sig_restart_nr > 0 && (int64_t)fr.ctx.rax == -ABI_EINTR && (act->flags & ABI_SA_RESTART))
        arch_signal_restart_syscall(&fr.ctx, (uint64_t)p->sig_restart_nr);
    p->sig_restart_nr = -1;
    fr.info = *info;
    uint64_t at = arch_signal_frame_addr(f, sizeof fr);
    uint64_t ret = act->restorer;
    if (!at || copy_to_user(at, &fr, sizeof fr) < 0 || copy_to_user(at - sizeof ret, &ret, sizeof ret) < 0)
        return false;
    arch_signal_enter(f, act->handler, at - sizeof ret, (uint64_t)info->signo,
                      at + __builtin_offsetof(struct abi_sigframe, info), at, p->fpu);
    return true;
}

void signal_deliver(struct trap_frame *f) {
    struct proc *p = current_proc();
    for (;;) {
        if (p->killed)
            proc_exit(ABI_W_SIGNALED(p->killed));
        if (!proc_interrupted(p) && !p->sig_mask_saved)
            return; /* the common case: nothing to do, no lock taken */
        proc_lock(p);
        uint32_t ready = p->sig_pending & ~p->sig_blocked & VALID_SIGS;
        if (!ready) {
            /* sigsuspend's mask ends with the call even when no handler
             * ran; what it unblocks may be deliverable now. */
            bool again = p->sig_mask_saved;
            if (again) {
                p->sig_blocked = p->sig_saved_mask;
                p->sig_mask_saved = false;
            }
            proc_unlock(p);
            if (again)
                continue;
            return;
        }
        int sig = __builtin_ctz((ready & SYNCHRONOUS) ? ready & SYNCHRONOUS : ready);
        __atomic_and_fetch(&p->sig_pending, ~BIT(sig), __ATOMIC_RELAXED);
        struct abi_siginfo info = p->sig_info[sig];
        struct abi_sigaction act = p->sig_action[sig];
        if (ignored(p, sig)) {
            proc_unlock(p);
            continue;
        }
        if (act.handler == ABI_SIG_DFL) { /* the default action ends the process */
            proc_unlock(p);
            proc_exit(ABI_W_SIGNALED(sig));
        }
        /* The handler runs with its own mask added, and the signal itself
         * unless SA_NODEFER; the frame keeps the mask to go back to (for
         * sigsuspend, the one from before the call). */
        uint32_t old = p->sig_mask_saved ? p->sig_saved_mask : p->sig_blocked;
        p->sig_mask_saved = false;
        p->sig_blocked |= ((uint32_t)act.mask | ((act.flags & ABI_SA_NODEFER) ? 0 : BIT(sig))) & ~UNBLOCKABLE;
        if (act.flags & ABI_SA_RESETHAND)
            p->sig_action[sig] = (struct abi_sigaction){0};
        proc_unlock(p);
        if (!push_frame(p, f, &act, &info, old)) {
            pr_warn("pid %d (%s): no room on the stack (rsp %llx) for the frame of signal %d: killed (signal %d)\n",
                    p->pid, p->name, (unsigned long long)f->rsp, sig, ABI_SIGSEGV);
            proc_exit(ABI_W_SIGNALED(ABI_SIGSEGV));
        }
        return; /* one at a time: the next one on the way out of sigreturn */
    }
}

void signal_fork(struct proc *child, const struct proc *parent) {
    proc_lock(child); /* a kill() may already have found its pid */
    memcpy(child->sig_action, parent->sig_action, sizeof child->sig_action);
    child->sig_blocked = parent->sig_blocked;
    child->sig_restart_nr = -1;
    proc_unlock(child);
}

void signal_exec(struct proc *p) {
    proc_lock(p);
    for (int sig = 1; sig < ABI_NSIG; sig++) {
        struct abi_sigaction *a = &p->sig_action[sig];
        /* The handlers' code is gone; what was ignored stays ignored (POSIX). */
        *a = (struct abi_sigaction){.handler = a->handler == ABI_SIG_IGN ? ABI_SIG_IGN : ABI_SIG_DFL};
    }
    p->sig_mask_saved = false;
    proc_unlock(p);
}

/* ---- alarm ---- */

/* Each instance keeps the earliest alarm of its processes (next_alarm_ns,
 * UINT64_MAX: none), lowered under `timers` by alarm() and recomputed by
 * the scan, so that the tick looks at one word before it scans. */
void signal_alarm_tick(void) {
    struct os_instance *os = this_os();
    uint64_t now = uptime_ns();
    if (now < __atomic_load_n(&os->next_alarm_ns, __ATOMIC_RELAXED))
        return;
    model->sched_lock();
    spin_lock(&os->timers);
    uint64_t next = UINT64_MAX;
    struct proc *procs = os->procs;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &procs[i];
        if (!__atomic_load_n(&p->alarm_ns, __ATOMIC_RELAXED))
            continue;
        proc_lock(p);
        if (p->alarm_ns && p->alarm_ns <= now) {
            p->alarm_ns = 0;
            struct abi_siginfo info = {.signo = ABI_SIGALRM, .code = ABI_SI_TIMER};
            signal_post(p, ABI_SIGALRM, &info);
        } else if (p->alarm_ns && p->alarm_ns < next) {
            next = p->alarm_ns;
        }
        proc_unlock(p);
    }
    __atomic_store_n(&os->next_alarm_ns, next, __ATOMIC_RELAXED);
    spin_unlock(&os->timers);
    model->sched_unlock();
}

long signal_alarm(uint64_t ms) {
    struct proc *p = current_proc();
    struct os_instance *os = this_os();
    uint64_t now = uptime_ns();
    uint64_t at = ms ? now + MIN(ms, ALARM_MAX_MS) * 1000000ULL : 0;
    spin_lock(&os->timers);
    proc_lock(p);
    uint64_t old = p->alarm_ns;
    p->alarm_ns = at;
    proc_unlock(p);
    if (at && at < os->next_alarm_ns)
        __atomic_store_n(&os->next_alarm_ns, at, __ATOMIC_RELAXED);
    spin_unlock(&os->timers);
    if (!old)
        return 0;
    /* What was left of the old one, rounded up: at least 1 while it was set. */
    return old > now ? (long)((old - now + 999999) / 1000000) : 1;
}

/* ---- Ctrl-C ---- */

void signal_console_interrupt(void) {
    struct os_instance *os = this_os();
    struct abi_siginfo info = {.signo = ABI_SIGINT, .code = ABI_SI_KERNEL};
    model->sched_lock();
    struct proc *procs = os->procs;
    for (int i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &procs[i];
        enum proc_state st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
        if (st == P_UNUSED || st == P_ZOMBIE || p->is_kthread || p == os->init)
            continue;
        proc_lock(p);
        if (p != os->init)
            signal_post(p, ABI_SIGINT, &info);
        proc_unlock(p);
    }
    model->sched_unlock();
}

/* ---- the system calls ---- */

long signal_sigaction(int sig, uint64_t uact, uint64_t uold) {
    struct proc *p = current_proc();
    if (!valid_sig(sig))
        return -ABI_EINVAL;
    struct abi_sigaction act, old;
    if (uact) {
        if (copy_from_user(&act, uact, sizeof act) < 0)
            return -ABI_EFAULT;
        if (BIT(sig) & UNBLOCKABLE)
            return -ABI_EINVAL; /* SIGKILL and SIGSTOP keep their action */
        if ((uint32_t)act.flags & ~(uint32_t)ABI_SA_ALL)
            return -ABI_EINVAL;
        /* A handler and its restorer must be user addresses: the frame
         * sends the program there, never into the kernel's half. */
        if (act.handler > ABI_SIG_IGN && (act.handler >= USER_TOP || !act.restorer || act.restorer >= USER_TOP))
            return -ABI_EINVAL;
        act.pad = 0;
        act.mask &= VALID_SIGS & ~UNBLOCKABLE;
        if (act.handler <= ABI_SIG_IGN)
            act.restorer = 0;
    }
    if (uold && !user_writable(uold, sizeof old))
        return -ABI_EFAULT; /* before anything changed */
    proc_lock(p);
    old = p->sig_action[sig];
    if (uact) {
        p->sig_action[sig] = act;
        drop_ignored(p); /* SIG_IGN discards a pending one, even a blocked one: */
        if (ignored(p, sig))
            __atomic_and_fetch(&p->sig_pending, ~BIT(sig), __ATOMIC_RELAXED);
    }
    proc_unlock(p);
    if (uold && copy_to_user(uold, &old, sizeof old) < 0)
        return -ABI_EFAULT;
    return 0;
}

long signal_sigprocmask(int how, uint64_t uset, uint64_t uold) {
    struct proc *p = current_proc();
    uint64_t set = 0;
    if (uset) {
        if (copy_from_user(&set, uset, sizeof set) < 0)
            return -ABI_EFAULT;
        if (how != ABI_SIG_SETMASK && how != ABI_SIG_BLOCK && how != ABI_SIG_UNBLOCK)
            return -ABI_EINVAL;
    }
    if (uold && !user_writable(uold, sizeof(uint64_t)))
        return -ABI_EFAULT;
    uint32_t s = (uint32_t)set & VALID_SIGS & ~UNBLOCKABLE; /* bits 32-63 mean nothing */
    proc_lock(p);
    uint64_t old = p->sig_blocked;
    if (uset) {
        if (how == ABI_SIG_SETMASK)
            p->sig_blocked = s;
        else if (how == ABI_SIG_BLOCK)
            p->sig_blocked |= s;
        else
            p->sig_blocked &= ~s;
        drop_ignored(p); /* an unblocked signal that is ignored goes now */
    }
    proc_unlock(p);
    /* A signal unblocked here is delivered on the way out of this call. */
    if (uold && copy_to_user(uold, &old, sizeof old) < 0)
        return -ABI_EFAULT;
    return 0;
}

long signal_sigpending(uint64_t uset) {
    struct proc *p = current_proc();
    proc_lock(p);
    uint64_t set = p->sig_pending & p->sig_blocked; /* pending and kept from delivery */
    proc_unlock(p);
    return copy_to_user(uset, &set, sizeof set);
}

long signal_sigsuspend(uint64_t umask) {
    struct proc *p = current_proc();
    struct os_instance *os = this_os();
    uint64_t mask;
    if (copy_from_user(&mask, umask, sizeof mask) < 0)
        return -ABI_EFAULT;
    proc_lock(p);
    p->sig_saved_mask = p->sig_blocked;
    p->sig_mask_saved = true; /* signal_deliver() puts it back */
    p->sig_blocked = (uint32_t)mask & VALID_SIGS & ~UNBLOCKABLE;
    drop_ignored(p);
    proc_unlock(p);
    /* Any condition lock will do: signal_post() makes the sleeper runnable
     * itself, under p->lock, which sleep() checks under too. */
    model->sched_lock();
    spin_lock(&os->timers);
    while (!proc_interrupted(p))
        sleep(&p->sig_pending, &os->timers);
    spin_unlock(&os->timers);
    model->sched_unlock();
    return -ABI_EINTR;
}

long signal_sigreturn(uint64_t uframe) {
    struct proc *p = current_proc();
    struct trap_frame *f = p->tf;
    struct abi_sigcontext c;
    const char *why = copy_from_user(&c, uframe, sizeof c) < 0 ? "not readable" : arch_signal_context_check(&c);
    if (why) {
        pr_warn("pid %d (%s): sigreturn with a bad frame at %llx (%s): killed (signal %d)\n", p->pid, p->name,
                (unsigned long long)uframe, why, ABI_SIGSEGV);
        proc_exit(ABI_W_SIGNALED(ABI_SIGSEGV));
    }
    arch_signal_restore(f, &c, p->fpu);
    proc_lock(p);
    p->sig_blocked = (uint32_t)c.mask & VALID_SIGS & ~UNBLOCKABLE;
    drop_ignored(p);
    proc_unlock(p);
    /* The dispatcher writes the result into rax: the restored rax it is. */
    return (long)c.rax;
}
