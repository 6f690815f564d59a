/*
 * <sys/signal.h> (and so <signal.h>) for this kernel: newlib's, with what
 * its x86_64-elf configuration leaves out.
 *
 * newlib's signal numbers, sigset_t (a 64-bit word, bit n = signal n),
 * SIG_DFL/SIG_IGN and SIG_BLOCK/SIG_UNBLOCK/SIG_SETMASK are the kernel's
 * (user/include/abi.h follows them). But its struct sigaction for this
 * target has no sa_sigaction and newlib defines no SA_SIGINFO, SA_RESTART,
 * SA_RESETHAND or SA_NODEFER, and its siginfo_t has no si_addr. So newlib's
 * header is included with those two names moved out of the way, and they
 * are defined here again: struct sigaction keeps newlib's layout (handler,
 * mask, flags) and adds the restorer the kernel wants (struct
 * abi_sigaction), siginfo_t is struct abi_siginfo under POSIX's names.
 *
 * The user/include directory comes before newlib's on the include path
 * (-I before -isystem), so newlib's own <signal.h> finds this file too.
 */
#ifndef TEACHOS_SYS_SIGNAL_H
#define TEACHOS_SYS_SIGNAL_H

#define sigaction __newlib_sigaction
#define siginfo_t __newlib_siginfo_t
#include_next <sys/signal.h>
#undef sigaction
#undef siginfo_t

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int si_signo;
    int si_errno;
    int si_code;     /* SI_USER, SEGV_MAPERR, CLD_EXITED, ... */
    pid_t si_pid;    /* the sender (kill), or the child (SIGCHLD) */
    uid_t si_uid;    /* always 0 */
    unsigned short __si_pad;
    int si_status;   /* SIGCHLD: the exit code or the signal */
    void *si_addr;   /* the faulting address (SIGSEGV), or instruction (SIGILL, SIGFPE) */
    union sigval si_value;
} siginfo_t;

struct sigaction {
    union {
        void (*sa_handler)(int);
        void (*sa_sigaction)(int, siginfo_t *, void *); /* with SA_SIGINFO */
    };
    sigset_t sa_mask;
    int sa_flags;
    void (*sa_restorer)(void); /* filled in by sigaction() (user/lib/signal.c) */
};

int sigaction(int sig, const struct sigaction *__restrict act, struct sigaction *__restrict old);

/* sa_flags (SA_NOCLDSTOP, 1, is newlib's). */
#define SA_SIGINFO 0x2   /* sa_sigaction(sig, info, context) */
#define SA_RESTART 0x4   /* restart an interrupted read, write or waitpid */
#define SA_NODEFER 0x8   /* do not block the signal while its handler runs */
#define SA_RESETHAND 0x10 /* back to SIG_DFL once delivered */

/* si_code (SI_USER .. SI_MESGQ are newlib's). */
#define SI_KERNEL 6
#define SEGV_MAPERR 10
#define SEGV_ACCERR 11
#define SEGV_GPF 12
#define ILL_ILLOPC 20
#define FPE_INTDIV 30
#define FPE_FLTINV 31
#define CLD_EXITED 40
#define CLD_KILLED 41

/* newlib's macros shift an int: 1 << 31 is undefined, and sign-extends
 * into the upper half of the 64-bit set. */
#undef sigaddset
#undef sigdelset
#undef sigemptyset
#undef sigfillset
#undef sigismember
#define sigaddset(what, sig) (*(what) |= (1UL << (sig)), 0)
#define sigdelset(what, sig) (*(what) &= ~(1UL << (sig)), 0)
#define sigemptyset(what) (*(what) = 0, 0)
#define sigfillset(what) (*(what) = ~0UL, 0)
#define sigismember(what, sig) (((*(what)) & (1UL << (sig))) != 0)

#ifdef __cplusplus
}
#endif

#endif
