/*
 * sigtests - signals through the system calls (docs/abi.md "Signals",
 * docs/processes.md "Signals"): handlers, masks, default actions, faults
 * caught by handlers, sigreturn's checks on a forged frame, interrupted
 * calls, alarm, SIGCHLD, fork and exec.
 *
 *   sigtests            every test
 *   sigtests NAME...    only those (sigtests -l lists them)
 *
 * One line per test, "sigtests: PASS name" or "sigtests: FAIL name: why",
 * and a closing line "sigtests: N passed, N failed"; the exit status is 0
 * only if every test passed. Each test runs in a child of its own under a
 * time limit (user/include/utest.h), so a signal that ends it ends only
 * that test.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "abi.h"
#include "os.h"
#include "utest.h"

#define MS 1000000ull

long raw_syscall(long n, long a1, long a2, long a3, long a4, long a5);
extern char **environ;

static const char *self_path = "sigtests";

/* Wait for a child, at most ms milliseconds (then it is killed); its
 * status, or -1 after a failure naming `what` is reported. */
static int reap_within(int pid, uint64_t ms, const char *what)
{
    int late;
    int st = ut_reap_within(pid, ms, &late);
    if (late) {
        ut_fail("%s: child %d still there after %llu ms", what, pid, (unsigned long long)ms);
        return -1;
    }
    return st;
}

static int install(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    int r = sigaction(sig, &sa, NULL);
    if (r != 0)
        ut_fail("sigaction(%d): errno %d", sig, errno);
    return r;
}

static int install_info(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = flags | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    int r = sigaction(sig, &sa, NULL);
    if (r != 0)
        ut_fail("sigaction(%d, SA_SIGINFO): errno %d", sig, errno);
    return r;
}

static sigset_t blocked_now(void)
{
    sigset_t s = 0;
    sigprocmask(SIG_BLOCK, NULL, &s);
    return s;
}

static volatile int hits, last_sig;
static void count_handler(int sig)
{
    hits++;
    last_sig = sig;
}

/* ---- handlers run, and the program goes on ---- */

static void t_handler_runs(void)
{
    hits = 0;
    if (install(SIGUSR1, count_handler, 0))
        return;
    int r = kill(getpid(), SIGUSR1);
    /* Delivered on the way out of kill itself: before it returns. */
    if (r != 0 || hits != 1 || last_sig != SIGUSR1)
        ut_fail("kill(self, SIGUSR1) = %d: the handler ran %d times, last signal %d", r, hits, last_sig);
    kill(getpid(), SIGUSR1);
    if (hits != 2)
        ut_fail("a second SIGUSR1: the handler ran %d times in all, expected 2", hits);
    /* The mask is back as it was once the handler returned. */
    if (sigismember(&(sigset_t){blocked_now()}, SIGUSR1))
        ut_fail("SIGUSR1 still blocked after its handler returned");
}

static void t_signal_function(void)
{
    hits = 0;
    _sig_func_ptr old = signal(SIGUSR2, count_handler);
    if (old != SIG_DFL)
        ut_fail("signal(SIGUSR2) returned %p, expected SIG_DFL", (void *)old);
    if (raise(SIGUSR2) != 0 || hits != 1)
        ut_fail("raise(SIGUSR2): the handler ran %d times, expected 1", hits);
    kill(getpid(), SIGUSR2); /* still installed (BSD semantics) */
    if (hits != 2)
        ut_fail("second SIGUSR2: the handler ran %d times in all, expected 2", hits);
    if (signal(SIGUSR2, SIG_DFL) != count_handler)
        ut_fail("signal() did not return the handler it replaced");
    if (signal(SIGKILL, count_handler) != SIG_ERR || errno != EINVAL)
        ut_fail("signal(SIGKILL, handler) did not fail with EINVAL");
}

static void t_blocked_then_delivered(void)
{
    hits = 0;
    if (install(SIGUSR1, count_handler, 0))
        return;
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &set, &old) != 0)
        ut_fail("sigprocmask(SIG_BLOCK): errno %d", errno);
    if (sigismember(&old, SIGUSR1))
        ut_fail("SIGUSR1 blocked before it was blocked");
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1); /* not queued: one delivery for both */
    if (hits != 0)
        ut_fail("a blocked SIGUSR1 ran its handler");
    if (sigpending(&pend) != 0 || !sigismember(&pend, SIGUSR1))
        ut_fail("sigpending: 0x%lx, SIGUSR1 missing", (unsigned long)pend);
    if (sigprocmask(SIG_UNBLOCK, &set, NULL) != 0)
        ut_fail("sigprocmask(SIG_UNBLOCK): errno %d", errno);
    if (hits != 1)
        ut_fail("after unblocking: the handler ran %d times, expected 1", hits);
    if (sigpending(&pend) != 0 || pend != 0)
        ut_fail("sigpending after delivery: 0x%lx, expected 0", (unsigned long)pend);
    /* SIG_SETMASK, and SIGKILL and SIGSTOP cannot be blocked. */
    sigfillset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    sigset_t now = blocked_now();
    if (sigismember(&now, SIGKILL) || sigismember(&now, SIGSTOP) || !sigismember(&now, SIGUSR2) ||
        !sigismember(&now, 31))
        ut_fail("after SIG_SETMASK of everything: 0x%lx", (unsigned long)now);
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    if (blocked_now() != 0)
        ut_fail("SIG_SETMASK of nothing left 0x%lx", (unsigned long)blocked_now());
}

static void t_sig_ign(void)
{
    signal(SIGUSR1, SIG_IGN);
    kill(getpid(), SIGUSR1);
    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    /* A blocked, pending signal is dropped when it becomes ignored. */
    hits = 0;
    install(SIGUSR2, count_handler, 0);
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    signal(SIGUSR2, SIG_IGN);
    sigpending(&pend);
    if (sigismember(&pend, SIGUSR2))
        ut_fail("SIGUSR2 still pending after SIG_IGN");
    install(SIGUSR2, count_handler, 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    if (hits != 0)
        ut_fail("an ignored SIGUSR2 ran a handler later");
    /* Another process's SIGTERM to an ignoring child. */
    int pid = ut_fork();
    if (pid == 0) {
        signal(SIGTERM, SIG_IGN);
        for (;;)
            sleep_ms(1000);
    }
    sleep_ms(30);
    kill(pid, SIGTERM);
    sleep_ms(50);
    if (waitpid(pid, NULL, WNOHANG) != 0)
        ut_fail("a child that ignores SIGTERM ended after kill(SIGTERM)");
    kill(pid, SIGKILL);
    ut_expect_signal(reap_within(pid, 5000, "ignoring child"), SIGKILL, "ignoring child after SIGKILL");
}

static void t_default_actions(void)
{
    static const int fatal[] = { SIGUSR1, SIGUSR2, SIGHUP, SIGALRM, SIGABRT, SIGPIPE };
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        int pid = ut_fork();
        if (pid == 0) {
            kill(getpid(), fatal[i]);
            _exit(7);
        }
        char what[48];
        snprintf(what, sizeof what, "kill(self, %d) with no handler", fatal[i]);
        ut_expect_signal(reap_within(pid, 5000, what), fatal[i], what);
    }
    /* Ignored by default: the process goes on. */
    int pid = ut_fork();
    if (pid == 0) {
        kill(getpid(), SIGCHLD);
        kill(getpid(), SIGURG);
        kill(getpid(), SIGWINCH);
        kill(getpid(), SIGCONT);
        _exit(5);
    }
    ut_expect_exit(reap_within(pid, 5000, "default-ignored"), 5, "SIGCHLD, SIGURG, SIGWINCH, SIGCONT to self");
    /* abort() (newlib) ends with SIGABRT through raise(). */
    pid = ut_fork();
    if (pid == 0)
        abort();
    ut_expect_signal(reap_within(pid, 5000, "abort"), SIGABRT, "abort()");
}

static void t_resethand(void)
{
    int pid = ut_fork();
    if (pid == 0) {
        hits = 0;
        install(SIGUSR1, count_handler, SA_RESETHAND);
        raise(SIGUSR1);
        struct sigaction now;
        sigaction(SIGUSR1, NULL, &now);
        if (hits != 1 || now.sa_handler != SIG_DFL)
            _exit(10 + hits);
        raise(SIGUSR1); /* the default now: the end */
        _exit(3);
    }
    ut_expect_signal(reap_within(pid, 5000, "SA_RESETHAND child"), SIGUSR1, "second SIGUSR1 after SA_RESETHAND");
}

static volatile int info_signo, info_code, info_pid;
static void *volatile info_addr;
static volatile uint64_t info_ctx_rip;
static void info_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    info_signo = si->si_signo;
    info_code = si->si_code;
    info_pid = si->si_pid;
    info_addr = si->si_addr;
    info_ctx_rip = uc ? ((struct abi_sigcontext *)uc)->rip : 0;
}

static void t_siginfo(void)
{
    if (install_info(SIGUSR1, info_handler, 0))
        return;
    kill(getpid(), SIGUSR1);
    if (info_signo != SIGUSR1 || info_code != SI_USER || info_pid != getpid())
        ut_fail("kill(self): si_signo %d si_code %d si_pid %d, expected %d %d %d", info_signo, info_code, info_pid,
                SIGUSR1, SI_USER, getpid());
    if (info_ctx_rip < 0x400000 || info_ctx_rip >= 0x800000000000ull)
        ut_fail("the context's rip %llx is no user address", (unsigned long long)info_ctx_rip);
    /* From another process. */
    int parent = getpid();
    info_signo = 0;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int pid = ut_fork();
    if (pid == 0) {
        kill(parent, SIGUSR1);
        _exit(0);
    }
    reap_within(pid, 5000, "sender");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    if (info_signo != SIGUSR1 || info_pid != pid)
        ut_fail("from child %d: si_signo %d si_pid %d", pid, info_signo, info_pid);
}

/* ---- faults to handlers ---- */

static sigjmp_buf jump;
static void jump_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    info_signo = sig;
    info_code = si->si_code;
    info_addr = si->si_addr;
    siglongjmp(jump, 1);
}

static void t_segv_handler(void)
{
    if (install_info(SIGSEGV, jump_handler, 0))
        return;
    /* Twice: siglongjmp must leave SIGSEGV unblocked for the second. */
    static const uintptr_t addrs[] = { 0x1000, 0x7ffff0000008ull };
    for (unsigned i = 0; i < 2; i++) {
        info_signo = 0;
        if (sigsetjmp(jump, 1) == 0) {
            *(volatile int *)addrs[i] = 1;
            ut_fail("the write to %lx did not fault", (unsigned long)addrs[i]);
        }
        if (info_signo != SIGSEGV || (uintptr_t)info_addr != addrs[i] || info_code != SEGV_MAPERR)
            ut_fail("fault at %lx: handler saw signal %d, si_addr %p, si_code %d", (unsigned long)addrs[i],
                    info_signo, info_addr, info_code);
    }
    /* A write to read-only text: mapped, the wrong access. */
    info_signo = 0;
    if (sigsetjmp(jump, 1) == 0)
        *(volatile char *)(uintptr_t)t_segv_handler = 0;
    if (info_signo != SIGSEGV || info_addr != (void *)(uintptr_t)t_segv_handler || info_code != SEGV_ACCERR)
        ut_fail("write to text: signal %d si_addr %p si_code %d", info_signo, info_addr, info_code);
    /* Blocked, the fault ends the process as it always did. */
    int pid = ut_fork();
    if (pid == 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGSEGV);
        sigprocmask(SIG_BLOCK, &set, NULL);
        *(volatile int *)0x1000 = 1;
        _exit(3);
    }
    ut_expect_signal(reap_within(pid, 5000, "blocked SIGSEGV"), SIGSEGV, "fault with SIGSEGV blocked");
}

/* The handler mends the faulting instruction's address register and
 * returns: the instruction runs again and succeeds. */
static volatile long mended = 4242;
static void mend_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    info_addr = si->si_addr;
    ((struct abi_sigcontext *)uc)->rbx = (uint64_t)&mended;
}

static void t_segv_fix_and_return(void)
{
    if (install_info(SIGSEGV, mend_handler, 0))
        return;
    long v;
    __asm__ volatile("movq (%%rbx), %0" : "=r"(v) : "b"(0x2000ul) : "memory");
    if (v != 4242 || info_addr != (void *)0x2000)
        ut_fail("after the handler mended rbx: loaded %ld (si_addr %p), expected 4242", v, info_addr);
}

static void t_sigfpe(void)
{
    if (install_info(SIGFPE, jump_handler, 0))
        return;
    volatile int zero = 0, n = 7;
    info_signo = 0;
    if (sigsetjmp(jump, 1) == 0) {
        n = n / zero;
        ut_fail("7 / 0 did not fault (%d)", n);
    }
    if (info_signo != SIGFPE || info_code != FPE_INTDIV || (uintptr_t)info_addr < 0x400000)
        ut_fail("divide by zero: signal %d si_code %d si_addr %p", info_signo, info_code, info_addr);
    /* SIGILL too. */
    if (install_info(SIGILL, jump_handler, 0))
        return;
    info_signo = 0;
    if (sigsetjmp(jump, 1) == 0)
        __asm__ volatile("ud2");
    if (info_signo != SIGILL || info_code != ILL_ILLOPC)
        ut_fail("ud2: signal %d si_code %d", info_signo, info_code);
}

/* ---- sigreturn checks what it restores ---- */

enum forge { F_NONE, F_KERNEL_RIP, F_NONCANON_RIP, F_KERNEL_RSP, F_IOPL3, F_NT, F_VM, F_IF_CLEAR, F_RESERVED,
             F_CS_RING0, F_CS_TSS, F_SS_KERNEL, F_MXCSR, F_NFORGE };
static const char *const forge_names[] = { "nothing", "kernel rip", "non-canonical rip", "kernel rsp",
    "IOPL 3", "NT", "VM", "IF clear", "reserved rflags bit 15", "ring-0 CS", "TSS selector as CS",
    "kernel SS", "reserved MXCSR bit" };
static volatile int forge_what;
static void forge_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    struct abi_sigcontext *c = uc;
    switch (forge_what) {
    case F_KERNEL_RIP: c->rip = 0xffffffff80100000ull; break;
    case F_NONCANON_RIP: c->rip = 0x0000800000000000ull; break;
    case F_KERNEL_RSP: c->rsp = 0xffff800000010000ull; break;
    case F_IOPL3: c->rflags |= 3u << 12; break;
    case F_NT: c->rflags |= 1u << 14; break;
    case F_VM: c->rflags |= 1u << 17; break;
    case F_IF_CLEAR: c->rflags &= ~(1u << 9); break;
    case F_RESERVED: c->rflags |= 1u << 15; break;
    case F_CS_RING0: c->cs = 0x08; break;
    case F_CS_TSS: c->cs = 0x28 | 3; break;
    case F_SS_KERNEL: c->ss = 0x10; break;
    case F_MXCSR: c->fpu[24 + 2] |= 0x80; break; /* MXCSR bit 23: reserved */
    }
}

static void t_sigreturn_forged(void)
{
    for (int what = F_NONE; what < F_NFORGE; what++) {
        int pid = ut_fork();
        if (pid == 0) {
            forge_what = what;
            install_info(SIGUSR1, forge_handler, 0);
            raise(SIGUSR1);
            _exit(9); /* only an untouched frame comes back here */
        }
        char desc[64];
        snprintf(desc, sizeof desc, "frame with %s", forge_names[what]);
        int st = reap_within(pid, 5000, desc);
        if (what == F_NONE)
            ut_expect_exit(st, 9, desc);
        else
            ut_expect_signal(st, SIGSEGV, desc);
    }
    /* sigreturn called straight away: no frame, a kernel pointer, junk. */
    static const uint64_t frames[] = { 0, 0xffffffff80000000ull, 0x0000800000000000ull, 16 };
    for (unsigned i = 0; i < sizeof frames / sizeof frames[0] + 1; i++) {
        int pid = ut_fork();
        if (pid == 0) {
            static struct abi_sigframe junk;
            memset(&junk, 0x5a, sizeof junk);
            raw_syscall(SYS_sigreturn, i < 4 ? (long)frames[i] : (long)&junk, 0, 0, 0, 0);
            _exit(9);
        }
        char desc[64];
        snprintf(desc, sizeof desc, "sigreturn(%llx)", i < 4 ? (unsigned long long)frames[i] : 0x5a5aull);
        ut_expect_signal(reap_within(pid, 5000, desc), SIGSEGV, desc);
    }
}

/* A frame that does not fit: the stack pointer is no stack. */
static void t_no_room_for_frame(void)
{
    int pid = ut_fork();
    if (pid == 0) {
        install(SIGUSR1, count_handler, 0);
        long r = SYS_kill;
        __asm__ volatile("movq %%rsp, %%r12\n"
                         "movq $0x1000, %%rsp\n"
                         "syscall\n"
                         "movq %%r12, %%rsp\n"
                         : "+a"(r)
                         : "D"((long)getpid()), "S"((long)SIGUSR1)
                         : "rcx", "r11", "r12", "memory");
        _exit(9);
    }
    ut_expect_signal(reap_within(pid, 5000, "no room"), SIGSEGV, "signal with rsp 0x1000");
}

/* ---- registers and FPU across a handler ---- */

static volatile uint32_t handler_mxcsr;
static void clobber_handler(int sig)
{
    (void)sig;
    uint32_t m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    handler_mxcsr = m;
    uint32_t zero_rounding = 0x7f80;
    double junk = 3.25;
    __asm__ volatile("ldmxcsr %0\n"
                     "movsd %1, %%xmm6\n"
                     "movsd %1, %%xmm7\n"
                     "xorl %%edi, %%edi\n"
                     "xorl %%esi, %%esi\n"
                     "xorl %%edx, %%edx\n"
                     "xorl %%r8d, %%r8d\n"
                     "xorl %%r9d, %%r9d\n"
                     "xorl %%r10d, %%r10d\n"
                     :
                     : "m"(zero_rounding), "m"(junk)
                     : "xmm6", "xmm7", "rdi", "rsi", "rdx", "r8", "r9", "r10");
}

static void t_context_restored(void)
{
    if (install(SIGUSR1, clobber_handler, 0))
        return;
    long pid = getpid();
    long rax = SYS_kill, rdi = pid, rsi = SIGUSR1;
    register long rdx __asm__("rdx") = 0x1111;
    register long r8 __asm__("r8") = 0x8888;
    register long r9 __asm__("r9") = 0x9999;
    register long r10 __asm__("r10") = 0x1010;
    double a = 1.5, b = -2.75, ra = 0, rb = 0;
    uint32_t mx = 0x3f80, mx_after = 0; /* round down, every exception masked */
    __asm__ volatile("movsd %[a], %%xmm6\n"
                     "movsd %[b], %%xmm7\n"
                     "ldmxcsr %[mx]\n"
                     "syscall\n"
                     "movsd %%xmm6, %[ra]\n"
                     "movsd %%xmm7, %[rb]\n"
                     "stmxcsr %[mxa]\n"
                     : "+a"(rax), "+D"(rdi), "+S"(rsi), "+r"(rdx), "+r"(r8), "+r"(r9), "+r"(r10), [ra] "=m"(ra),
                       [rb] "=m"(rb), [mxa] "=m"(mx_after)
                     : [a] "m"(a), [b] "m"(b), [mx] "m"(mx)
                     : "rcx", "r11", "xmm6", "xmm7", "memory");
    uint32_t dflt = 0x1f80;
    __asm__ volatile("ldmxcsr %0" ::"m"(dflt));
    if (rax != 0)
        ut_fail("kill returned %ld", rax);
    if (rdi != pid || rsi != SIGUSR1 || rdx != 0x1111 || r8 != 0x8888 || r9 != 0x9999 || r10 != 0x1010)
        ut_fail("registers after the handler: rdi %lx rsi %lx rdx %lx r8 %lx r9 %lx r10 %lx", rdi, rsi, rdx, r8, r9,
                r10);
    if (ra != 1.5 || rb != -2.75)
        ut_fail("xmm6/xmm7 after the handler: %g %g, expected 1.5 -2.75", ra, rb);
    if (mx_after != 0x3f80)
        ut_fail("MXCSR after the handler: %x, expected 3f80", mx_after);
    if (handler_mxcsr != 0x1f80)
        ut_fail("the handler started with MXCSR %x, expected a clean 1f80", handler_mxcsr);
}

/* ---- nesting ---- */

static char order[32];
static volatile int order_n;
static void note_order(char c)
{
    if (order_n < (int)sizeof order - 1)
        order[order_n++] = c;
}
static void inner_handler(int sig)
{
    (void)sig;
    note_order('b');
    note_order('B');
}
static volatile int outer_runs;
static void outer_handler(int sig)
{
    (void)sig;
    note_order('a');
    sigset_t now = blocked_now();
    if (!sigismember(&now, SIGUSR1) || sigismember(&now, SIGUSR2))
        note_order('!'); /* its own signal blocked, the other not */
    raise(SIGUSR2); /* nested: runs now, on top of this one (unless sa_mask blocks it) */
    if (outer_runs++ == 0)
        raise(SIGUSR1); /* blocked: runs after this handler returns */
    note_order('A');
}

static void t_nested(void)
{
    memset(order, 0, sizeof order);
    order_n = outer_runs = 0;
    install(SIGUSR1, outer_handler, 0);
    install(SIGUSR2, inner_handler, 0);
    long keep = 0x5eed;
    raise(SIGUSR1);
    order[order_n] = 0;
    /* a (b B) A, then the pending SIGUSR1: a (b B) A once more */
    if (strcmp(order, "abBAabBA") != 0)
        ut_fail("handlers ran in the order '%s', expected 'abBAabBA'", order);
    if (keep != 0x5eed || blocked_now() != 0)
        ut_fail("after the nested handlers: local %lx, mask 0x%lx", keep, (unsigned long)blocked_now());
    /* sa_mask blocks the other signal during the handler. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = outer_handler;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    memset(order, 0, sizeof order);
    order_n = outer_runs = 0;
    raise(SIGUSR1);
    order[order_n] = 0;
    /* '!' (SIGUSR2 blocked inside): both wait for the outer handler to
     * return, and the lower-numbered SIGUSR1 (30) goes first. */
    if (strcmp(order, "a!Aa!AbB") != 0)
        ut_fail("with sa_mask: order '%s', expected 'a!Aa!AbB'", order);
}

/* ---- interrupted calls ----
 * An alarm interrupts a blocking call. On a loaded host the alarm may come
 * before the program is inside the call; then the handler sets another
 * one, and only a signal that came during the call counts. */

#define ALARM_MS 100
static volatile int in_call, call_hits, early_hits;
static void alarm_handler(int sig)
{
    (void)sig;
    if (in_call) {
        call_hits++;
    } else {
        early_hits++;
        alarm_ms(ALARM_MS);
    }
}

#define DURING_ALARM(r, expr)                                                     \
    do {                                                                          \
        call_hits = early_hits = 0;                                               \
        alarm_ms(ALARM_MS);                                                       \
        in_call = 1;                                                              \
        r = (expr);                                                               \
        in_call = 0;                                                              \
        alarm_ms(0);                                                              \
    } while (0)

static void t_alarm_eintr(void)
{
    if (install(SIGALRM, alarm_handler, 0))
        return;
    int fds[2];
    if (pipe(fds) != 0) {
        ut_fail("pipe: errno %d", errno);
        return;
    }
    char c;
    long r;
    uint64_t t0 = uptime_ns();
    DURING_ALARM(r, read(fds[0], &c, 1));
    uint64_t took = (uptime_ns() - t0) / MS;
    if (r != -1 || errno != EINTR || call_hits != 1)
        ut_fail("read of an empty pipe with an alarm: %ld errno %d, handler ran %d times", r, errno, call_hits);
    if (took < ALARM_MS - 10)
        ut_fail("the read ended after %llu ms, before the alarm", (unsigned long long)took);
    /* alarm() answers what is left of the one before. */
    if (alarm_ms(10000) != 0 || alarm_ms(0) < 9000 || alarm_ms(0) != 0)
        ut_fail("alarm's remaining time is wrong");
    /* sleep and waitpid are interrupted too. */
    t0 = uptime_ns();
    DURING_ALARM(r, sleep_ms(10000));
    if (r != -1 || errno != EINTR || call_hits != 1 || uptime_ns() - t0 > 9000 * MS)
        ut_fail("sleep with an alarm: %ld errno %d, handler ran %d times", r, errno, call_hits);
    int pid = ut_fork();
    if (pid == 0) {
        sleep_ms(10000);
        _exit(0);
    }
    int st;
    DURING_ALARM(r, waitpid(pid, &st, 0));
    if (r != -1 || errno != EINTR || call_hits != 1)
        ut_fail("waitpid with an alarm: %ld errno %d, handler ran %d times", r, errno, call_hits);
    kill(pid, SIGKILL);
    reap_within(pid, 5000, "sleeper");
    /* A pipe write that waits for room: 512 bytes (PIPE_ATOMIC) go in
     * whole or not at all, so the one that finds the pipe full waits. */
    char big[512];
    memset(big, 'x', sizeof big);
    long put = 0, n = 0;
    for (;;) { /* each write under an alarm of its own: the last one waits */
        DURING_ALARM(n, write(fds[1], big, sizeof big));
        if (n <= 0)
            break;
        put += n;
    }
    if (n != -1 || errno != EINTR || put == 0 || call_hits != 1)
        ut_fail("writes into a full pipe: last %ld errno %d after %ld bytes", n, errno, put);
    /* The console, when it is stdin. */
    if (isatty(0)) {
        DURING_ALARM(r, read(0, &c, 1));
        if (r != -1 || errno != EINTR || call_hits != 1)
            ut_fail("read of the console with an alarm: %ld errno %d, handler ran %d", r, errno, call_hits);
    }
    close(fds[0]);
    close(fds[1]);
}

static void t_sa_restart(void)
{
    if (install(SIGALRM, alarm_handler, SA_RESTART))
        return;
    int fds[2];
    pipe(fds);
    int pid = ut_fork();
    if (pid == 0) {
        close(fds[0]);
        sleep_ms(1500);
        write(fds[1], "late", 4);
        _exit(0);
    }
    close(fds[1]);
    char buf[8] = {0};
    long r;
    DURING_ALARM(r, read(fds[0], buf, sizeof buf));
    if (r != 4 || memcmp(buf, "late", 4) != 0 || call_hits != 1)
        ut_fail("read with SA_RESTART: %ld (errno %d, '%.4s'), handler ran %d times, expected 4 'late' and 1", r,
                errno, buf, call_hits);
    /* waitpid restarts too; sleep does not. */
    int pid2 = ut_fork();
    if (pid2 == 0) {
        sleep_ms(1500);
        _exit(4);
    }
    int st = 0;
    DURING_ALARM(r, waitpid(pid2, &st, 0));
    if (r != pid2 || !WIFEXITED(st) || WEXITSTATUS(st) != 4 || call_hits != 1)
        ut_fail("waitpid with SA_RESTART: %ld errno %d status %s, handler ran %d", r, errno, ut_status_str(st), call_hits);
    DURING_ALARM(r, sleep_ms(10000));
    if (r != -1 || errno != EINTR || call_hits != 1)
        ut_fail("sleep with SA_RESTART: %ld errno %d (sleep is never restarted)", r, errno);
    reap_within(pid, 5000, "writer");
    close(fds[0]);
}

/* A child spinning in user mode, never calling the kernel, gets its
 * handler at a timer tick; a sleeping one is woken. */
static volatile int flag;
static void flag_handler(int sig)
{
    (void)sig;
    flag = 1;
}

static void t_kill_other(void)
{
    for (int spin = 0; spin < 2; spin++) {
        int ready[2];
        pipe(ready);
        int pid = ut_fork();
        if (pid == 0) {
            flag = 0;
            install(SIGUSR1, flag_handler, 0);
            write(ready[1], "r", 1);
            if (spin)
                while (!flag)
                    ;
            else
                while (!flag)
                    pause();
            _exit(0);
        }
        char c;
        read(ready[0], &c, 1); /* its handler is installed */
        close(ready[0]);
        close(ready[1]);
        sleep_ms(20);
        if (kill(pid, SIGUSR1) != 0)
            ut_fail("kill(child, SIGUSR1): errno %d", errno);
        /* Asleep in waitpid (an alarm as the time limit), so that nothing
         * but the child is ready to run: the spinner must get its signal
         * at a timer tick even when it has no reason to give up its CPU. */
        install(SIGALRM, count_handler, 0);
        hits = 0;
        alarm_ms(10000);
        int st = 0, w = waitpid(pid, &st, 0);
        alarm_ms(0);
        const char *who = spin ? "spinning child after SIGUSR1" : "pausing child after SIGUSR1";
        if (w != pid) {
            ut_fail("%s: still there after 10 s (waitpid %d, errno %d)", who, w, errno);
            kill(pid, SIGKILL);
            reap_within(pid, 5000, who);
        } else {
            ut_expect_exit(st, 0, who);
        }
    }
}

static void t_sigsuspend(void)
{
    hits = 0;
    install(SIGUSR1, count_handler, 0);
    sigset_t set, empty;
    sigemptyset(&set);
    sigemptyset(&empty);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int parent = getpid();
    int pid = ut_fork();
    if (pid == 0) {
        sleep_ms(50);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    int r = sigsuspend(&empty);
    if (r != -1 || errno != EINTR || hits != 1)
        ut_fail("sigsuspend: %d errno %d, the handler ran %d times", r, errno, hits);
    sigset_t now = blocked_now();
    if (!sigismember(&now, SIGUSR1))
        ut_fail("sigsuspend did not put the mask back (0x%lx)", (unsigned long)now);
    reap_within(pid, 5000, "sender");
}

/* ---- SIGCHLD ---- */

static void t_sigchld(void)
{
    info_signo = 0;
    install_info(SIGCHLD, info_handler, 0);
    sigset_t set, empty;
    sigemptyset(&set);
    sigemptyset(&empty);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int pid = ut_fork();
    if (pid == 0)
        _exit(3);
    while (info_signo == 0)
        sigsuspend(&empty);
    if (info_signo != SIGCHLD || info_pid != pid || info_code != CLD_EXITED)
        ut_fail("SIGCHLD: signal %d si_pid %d (child %d) si_code %d", info_signo, info_pid, pid, info_code);
    ut_expect_exit(reap_within(pid, 5000, "child"), 3, "the child");
    /* Ignored by default: a parent without a handler is not disturbed. */
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    pid = ut_fork();
    if (pid == 0)
        _exit(0);
    ut_expect_exit(reap_within(pid, 5000, "second child"), 0, "child with SIGCHLD at the default");
}

/* ---- fork and exec ---- */

static int exec_probe(void)
{
    int bad = 0;
    sigset_t now = blocked_now(), pend;
    if (!sigismember(&now, SIGUSR1))
        bad |= 1; /* the mask is kept */
    struct sigaction sa;
    sigaction(SIGUSR2, NULL, &sa);
    if (sa.sa_handler != SIG_DFL)
        bad |= 2; /* handlers go back to the default */
    sigaction(SIGTERM, NULL, &sa);
    if (sa.sa_handler != SIG_IGN)
        bad |= 4; /* ignored stays ignored */
    sigpending(&pend);
    if (!sigismember(&pend, SIGUSR1))
        bad |= 8; /* pending stays pending */
    return 40 + bad;
}

static void t_fork_exec(void)
{
    hits = 0;
    install(SIGUSR2, count_handler, 0);
    signal(SIGTERM, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1); /* pending in the parent, not in the child */
    int pid = ut_fork();
    if (pid == 0) {
        int bad = 0;
        sigset_t pend, now = blocked_now();
        sigpending(&pend);
        if (sigismember(&pend, SIGUSR1))
            bad |= 1;
        if (!sigismember(&now, SIGUSR1))
            bad |= 2;
        raise(SIGUSR2);
        if (hits != 1)
            bad |= 4;
        _exit(20 + bad);
    }
    ut_expect_exit(reap_within(pid, 5000, "forked child"), 20, "after fork (1 pending kept, 2 mask lost, 4 handler lost)");
    pid = ut_fork();
    if (pid == 0) {
        raise(SIGUSR1); /* pending across exec */
        char *argv[] = { (char *)self_path, "--exec-probe", NULL };
        execve(self_path, argv, environ);
        _exit(99);
    }
    ut_expect_exit(reap_within(pid, 10000, "exec'd child"), 40,
                   "after exec (1 mask lost, 2 handler kept, 4 SIG_IGN lost, 8 pending lost)");
    sigpending(&set);
    if (!sigismember(&set, SIGUSR1))
        ut_fail("the parent's pending SIGUSR1 went away");
}

/* ---- the calls' errors ---- */

static void t_bad_arguments(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_handler;
    static const int bad_sigs[] = { 0, -1, 32, 64 };
    for (unsigned i = 0; i < 4; i++)
        if (sigaction(bad_sigs[i], &sa, NULL) != -1 || errno != EINVAL)
            ut_fail("sigaction(%d) did not fail with EINVAL", bad_sigs[i]);
    if (sigaction(SIGKILL, &sa, NULL) != -1 || errno != EINVAL || sigaction(SIGSTOP, &sa, NULL) != -1)
        ut_fail("a handler for SIGKILL or SIGSTOP was accepted");
    if (sigaction(SIGKILL, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
        ut_fail("asking for SIGKILL's action failed");
    struct abi_sigaction a = { .handler = (uint64_t)count_handler, .restorer = (uint64_t)count_handler };
    a.flags = 0x1000;
    if (raw_syscall(SYS_sigaction, SIGUSR1, (long)&a, 0, 0, 0) != -EINVAL)
        ut_fail("unknown sa_flags accepted");
    a.flags = 0;
    a.handler = 0xffffffff80000000ull;
    if (raw_syscall(SYS_sigaction, SIGUSR1, (long)&a, 0, 0, 0) != -EINVAL)
        ut_fail("a kernel handler address accepted");
    a.handler = (uint64_t)count_handler;
    a.restorer = 0;
    if (raw_syscall(SYS_sigaction, SIGUSR1, (long)&a, 0, 0, 0) != -EINVAL)
        ut_fail("a handler without a restorer accepted");
    if (raw_syscall(SYS_sigaction, SIGUSR1, 16, 0, 0, 0) != -EFAULT ||
        raw_syscall(SYS_sigaction, SIGUSR1, 0, (long)0xffff800000000000ull, 0, 0) != -EFAULT)
        ut_fail("bad sigaction pointers not EFAULT");
    if (raw_syscall(SYS_sigaction, 0x100000000l + SIGUSR1, 0, 0, 0, 0) != -EINVAL)
        ut_fail("sigaction's int argument with upper bits accepted");
    sigset_t set = 0;
    if (sigprocmask(7, &set, NULL) != -1 || errno != EINVAL)
        ut_fail("sigprocmask(7, set) did not fail with EINVAL");
    if (sigprocmask(7, NULL, &set) != 0)
        ut_fail("sigprocmask(7, NULL, old): how does not matter without a set");
    if (raw_syscall(SYS_sigprocmask, SIG_BLOCK, 8, 0, 0, 0) != -EFAULT || sigpending(NULL) != -1 ||
        errno != EFAULT || raw_syscall(SYS_sigsuspend, 0, 0, 0, 0, 0) != -EFAULT)
        ut_fail("bad set pointers not EFAULT");
    /* A bad old pointer changes nothing. */
    signal(SIGUSR1, SIG_DFL);
    sa.sa_restorer = (void (*)(void))count_handler;
    if (raw_syscall(SYS_sigaction, SIGUSR1, (long)&sa, 8, 0, 0) != -EFAULT)
        ut_fail("sigaction with a bad old pointer did not fail");
    sigaction(SIGUSR1, NULL, &old);
    if (old.sa_handler != SIG_DFL)
        ut_fail("sigaction with a bad old pointer installed the handler");
}

static const struct ut_test tests[] = {
    { "handler_runs", t_handler_runs, 20 },
    { "signal_function", t_signal_function, 20 },
    { "blocked_then_delivered", t_blocked_then_delivered, 20 },
    { "sig_ign", t_sig_ign, 30 },
    { "default_actions", t_default_actions, 60 },
    { "resethand", t_resethand, 20 },
    { "siginfo", t_siginfo, 20 },
    { "segv_handler", t_segv_handler, 20 },
    { "segv_fix_and_return", t_segv_fix_and_return, 20 },
    { "sigfpe_sigill", t_sigfpe, 20 },
    { "sigreturn_forged", t_sigreturn_forged, 90 },
    { "no_room_for_frame", t_no_room_for_frame, 20 },
    { "context_restored", t_context_restored, 20 },
    { "nested", t_nested, 20 },
    { "alarm_eintr", t_alarm_eintr, 60 },
    { "sa_restart", t_sa_restart, 60 },
    { "kill_other", t_kill_other, 60 },
    { "sigsuspend", t_sigsuspend, 20 },
    { "sigchld", t_sigchld, 30 },
    { "fork_exec", t_fork_exec, 60 },
    { "bad_arguments", t_bad_arguments, 20 },
};
#define NTESTS (sizeof tests / sizeof tests[0])

static const struct ut_suite suite = {
    .prog = "sigtests",
    .tests = tests,
    .ntests = NTESTS,
    .default_limit_s = 20,
};

static int exists(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--exec-probe") == 0)
        return exec_probe();
    int r = ut_start(&suite, argc, argv);
    if (r != UT_GO_ON)
        return r;
    /* Where this program is, for the exec test: argv[0] as run, or /bin. */
    static const char *const candidates[] = { "/bin/sigtests", "sigtests" };
    self_path = argv[0];
    if (!exists(self_path))
        for (unsigned i = 0; i < 2; i++)
            if (exists(candidates[i])) {
                self_path = candidates[i];
                break;
            }
    ut_run_tests(&suite, argc, argv);
    return ut_finish();
}
