/*
 * user/lib/signal.c - signals for newlib programs (system calls 48-53 and
 * kill; docs/abi.md "Signals").
 *
 * newlib's signal() and raise() keep a table of their own and never tell
 * the kernel (libc/signal/signal.c): a handler installed with them would
 * never run. The definitions here replace that whole object (signal,
 * raise, _signal_r, _raise_r, ...: the linker takes them from libos.a
 * before it looks in libc.a) and go through the kernel's sigaction.
 *
 * Every handler returns to __sig_restorer below, whose address sigaction()
 * passes to the kernel with the action: it calls sigreturn() with the
 * frame the kernel pushed, which sits right where the handler's RET left
 * the stack pointer. The restorer is code in the program's text, because
 * the stack is not executable.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <reent.h>

#include "abi.h"
#include "os.h"

_Static_assert(sizeof(struct sigaction) == sizeof(struct abi_sigaction), "struct sigaction is abi_sigaction");
_Static_assert(offsetof(struct sigaction, sa_mask) == offsetof(struct abi_sigaction, mask), "sa_mask");
_Static_assert(offsetof(struct sigaction, sa_flags) == offsetof(struct abi_sigaction, flags), "sa_flags");
_Static_assert(offsetof(struct sigaction, sa_restorer) == offsetof(struct abi_sigaction, restorer), "sa_restorer");
_Static_assert(sizeof(siginfo_t) == sizeof(struct abi_siginfo), "siginfo_t is abi_siginfo");
_Static_assert(offsetof(siginfo_t, si_code) == offsetof(struct abi_siginfo, code), "si_code");
_Static_assert(offsetof(siginfo_t, si_pid) == offsetof(struct abi_siginfo, pid), "si_pid");
_Static_assert(offsetof(siginfo_t, si_status) == offsetof(struct abi_siginfo, status), "si_status");
_Static_assert(offsetof(siginfo_t, si_addr) == offsetof(struct abi_siginfo, addr), "si_addr");
_Static_assert(sizeof(sigset_t) == sizeof(uint64_t), "sigset_t is a 64-bit word");
_Static_assert(SIGUSR1 == ABI_SIGUSR1 && SIGCHLD == ABI_SIGCHLD && SIGALRM == ABI_SIGALRM && NSIG == ABI_NSIG,
               "newlib's signal numbers are the kernel's");
_Static_assert(SA_SIGINFO == ABI_SA_SIGINFO && SA_RESTART == ABI_SA_RESTART && SA_NODEFER == ABI_SA_NODEFER &&
                   SA_RESETHAND == ABI_SA_RESETHAND && SA_NOCLDSTOP == ABI_SA_NOCLDSTOP,
               "SA_* are the kernel's");
_Static_assert(SIG_BLOCK == ABI_SIG_BLOCK && SIG_UNBLOCK == ABI_SIG_UNBLOCK && SIG_SETMASK == ABI_SIG_SETMASK,
               "sigprocmask's how");

/* The handler's RET lands here with RSP at the frame (struct abi_sigframe). */
void __sig_restorer(void);
__asm__(".text\n"
        ".global __sig_restorer\n"
        ".type __sig_restorer, @function\n"
        "__sig_restorer:\n"
        "    movq %rsp, %rdi\n"
        "    movl $" "51" ", %eax\n" /* SYS_sigreturn: checked below */
        "    syscall\n"
        "    ud2\n" /* sigreturn does not return here */
        ".size __sig_restorer, . - __sig_restorer\n");
_Static_assert(SYS_sigreturn == 51, "__sig_restorer's call number");

static int result(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return (int)r;
}

int sigaction(int sig, const struct sigaction *restrict act, struct sigaction *restrict old)
{
    struct sigaction a;
    if (act) {
        a = *act;
        a.sa_restorer = __sig_restorer;
        act = &a;
    }
    return result(raw_syscall(SYS_sigaction, sig, (long)act, (long)old, 0, 0));
}
int _sigaction(int sig, const struct sigaction *restrict act, struct sigaction *restrict old)
    __attribute__((alias("sigaction")));

/* BSD semantics, as glibc's signal(): the handler stays installed, and
 * read, write and waitpid resume after it. */
_sig_func_ptr signal(int sig, _sig_func_ptr handler)
{
    struct sigaction act = { .sa_handler = handler, .sa_flags = SA_RESTART }, old;
    sigemptyset(&act.sa_mask);
    if (sigaction(sig, &act, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

_sig_func_ptr _signal_r(struct _reent *r, int sig, _sig_func_ptr handler)
{
    (void)r;
    return signal(sig, handler);
}

int raise(int sig)
{
    return kill(getpid(), sig);
}

int _raise_r(struct _reent *r, int sig)
{
    (void)r;
    return raise(sig);
}

/* newlib's signal.o defines these too; nothing here needs them. */
int _init_signal(void) { return 0; }
int _init_signal_r(struct _reent *r) { (void)r; return 0; }

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    return result(raw_syscall(SYS_sigprocmask, how, (long)set, (long)old, 0, 0));
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    long r = raw_syscall(SYS_sigprocmask, how, (long)set, (long)old, 0, 0);
    return r < 0 ? (int)-r : 0;
}

int sigpending(sigset_t *set)
{
    return result(raw_syscall(SYS_sigpending, (long)set, 0, 0, 0, 0));
}

int sigsuspend(const sigset_t *mask)
{
    return result(raw_syscall(SYS_sigsuspend, (long)mask, 0, 0, 0, 0));
}

/* Waits until a signal is delivered: a handler ran (-1, EINTR), or the
 * process ended. */
int pause(void)
{
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    return sigsuspend(&now);
}

int alarm_ms(uint64_t ms)
{
    return result(raw_syscall(SYS_alarm, (long)ms, 0, 0, 0, 0));
}

unsigned alarm(unsigned seconds)
{
    int left = alarm_ms((uint64_t)seconds * 1000);
    return left < 0 ? 0 : (unsigned)((left + 999) / 1000);
}

/* No repeating interval: the kernel has one alarm per process. */
useconds_t ualarm(useconds_t usecs, useconds_t interval)
{
    (void)interval;
    int left = alarm_ms(((uint64_t)usecs + 999) / 1000);
    return left < 0 ? 0 : (useconds_t)left * 1000;
}

void siglongjmp(sigjmp_buf env, int value)
{
    if (env->savemask)
        sigprocmask(SIG_SETMASK, &env->mask, NULL);
    longjmp(env->jb, value);
}
