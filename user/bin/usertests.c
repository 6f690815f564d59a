/*
 * usertests - the user-space test suite (run by `make test` through the
 * kernel option run=usertests, on every organisation and CPU count).
 *
 *   usertests            run every test
 *   usertests NAME...    run only the named tests (the leak check still ends
 *                        the run)
 *   usertests -l         list the tests
 *
 * Each test is a function run in a forked child of usertests (the harness
 * user/include/utest.h, shared with the other test programs), so that a
 * test that crashes or hangs cannot take the others with it: the child exits 0
 * when the test passed, 1 when it failed (it has then printed why), and
 * anything else is reported by the parent. A watchdog kills a test child
 * that takes longer than its limit (a hang guard, not a timing assertion:
 * the limits are minutes). Per test one line:
 *
 *   usertests: PASS <name>
 *   usertests: FAIL <name>: <reason, with the values seen>
 *
 * and at the end exactly "usertests: N passed, N failed"; the exit status is
 * 1 if anything failed. Helper programs ut_args and ut_fault are exec'd by
 * some tests.
 *
 * Because the tests run in children, the parent's own memory does not grow
 * after the warm-up: the last check (no_leaks) compares the free frames
 * before and after the whole run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include "os.h"
#include "utest.h"
#include "faults.h"
#include "ut_vectors.h"

extern char **environ;

#define PAGE 4096ul
#define MS 1000000ull /* nanoseconds */

/* ======================================================================
 * Helpers (the harness itself, fail, the wait helpers and the frame
 * count, is user/include/utest.h)
 * ====================================================================== */

static char *no_env[] = { NULL };

static struct abi_sysinfo si; /* large: static */

static void get_sysinfo(void)
{
    if (sysinfo(&si) != 0)
        ut_fail("sysinfo failed, errno %d", errno);
}

/* The CPUs that may run my processes: those serving my OS instance (all
 * of them under the shared organisations, one under private). From the
 * last get_sysinfo(). */
static int my_instance_cpus(void)
{
    int n = 0;
    for (unsigned i = 0; i < si.ncpus && i < ABI_MAX_CPUS; i++)
        n += si.cpu[i].os_instance == si.os_instance;
    return n;
}

/* The number of processes machine-wide, 0 if sysinfo fails. */
static uint32_t nprocs_now(void)
{
    struct abi_sysinfo info;
    return sysinfo(&info) == 0 ? info.nprocs : 0;
}

static int sys_yield(void)
{
    return (int)raw_syscall(SYS_sched_yield, 0, 0, 0, 0, 0);
}


static int popcount(unsigned v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* A child that stays until killed, or until its parent is gone, or ten
 * minutes pass (so that it can never outlive a broken test for long). It
 * wakes up only a few times a second: there may be hundreds of them. */
static _Noreturn void linger(void)
{
    int parent = getppid();
    for (int i = 0; i < 2400 && getppid() == parent; i++)
        sleep_ms(250);
    _exit(3);
}

/* A child that spins (stays runnable) until killed, same limits. */
static _Noreturn void spin_until_killed(void)
{
    int parent = getppid();
    uint64_t start = uptime_ns();
    while (getppid() == parent && uptime_ns() - start < 60000 * MS)
        for (volatile int i = 0; i < 10000; i++)
            ;
    _exit(3);
}

/* The pid's state from procinfo, or -1 if it is not in the table. */
static int proc_lookup(int pid, struct abi_procinfo *out)
{
    struct abi_procinfo p;
    for (int slot = 0; slot < 65536; slot++) {
        int r = procinfo(slot, &p);
        if (r < 0)
            break;
        if (r == 1 && p.pid == pid) {
            if (out)
                *out = p;
            return (int)p.state;
        }
    }
    return -1;
}

/* ======================================================================
 * Processes: fork, getpid, trees over all CPUs
 * ====================================================================== */

static void t_getpid(void)
{
    int me = getpid();
    if (me <= 1)
        ut_fail("getpid() = %d, expected > 1", me);
    if (getpid() != me)
        ut_fail("getpid() changed: %d then %d", me, getpid());
    int parent = getppid();
    if (parent <= 0 || parent == me)
        ut_fail("getppid() = %d (getpid() = %d)", parent, me);

    for (int i = 0; i < 3; i++) {
        int pid = ut_fork();
        if (pid < 0) {
            ut_fail("fork: errno %d", errno);
            return;
        }
        if (pid == 0) {
            if (getppid() != me)
                _exit(0xff);
            _exit(getpid() & 0x7f);
        }
        if (pid == me || pid <= 0)
            ut_fail("fork returned %d in the parent (getpid() = %d)", pid, me);
        int st = ut_reap(pid, "child");
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0xff)
            ut_fail("child %d: getppid() was not %d", pid, me);
        else
            ut_expect_exit(st, pid & 0x7f, "child exits with its getpid() & 0x7f");
    }
    if (getpid() != me || getppid() != parent)
        ut_fail("getpid/getppid changed after forking: %d/%d, were %d/%d",
                getpid(), getppid(), me, parent);
}

static unsigned cpu_bit(void)
{
    int c = getcpu();
    return c < 0 ? 0 : 1u << (c % 7);
}

/* One node of the fork tree. Leaves spin for spin_ns and return the set of
 * CPUs they saw (one bit per CPU number modulo 7, never 0); inner nodes
 * fork two children, reap them and return the union. Errors: 0x80 | code. */
static int tree_node(int depth, uint64_t spin_ns)
{
    unsigned mask = cpu_bit();

    if (depth == 0) {
        uint64_t t0 = uptime_ns();
        while (uptime_ns() - t0 < spin_ns) {
            for (volatile int i = 0; i < 2000; i++)
                ;
            mask |= cpu_bit();
        }
        return (int)(mask & 0x7f);
    }

    int pids[2], bad = 0;
    for (int k = 0; k < 2; k++) {
        pids[k] = fork();
        if (pids[k] == 0)
            _exit(tree_node(depth - 1, spin_ns));
        if (pids[k] < 0) {
            if (k == 1) {
                int st;
                waitpid(pids[0], &st, 0);
            }
            return 0x80 | 1;
        }
    }
    int seen[2] = { 0, 0 };
    for (int k = 0; k < 2; k++) {
        int st = 0, w, which;
        if (depth % 2) { /* by pid on odd levels, any child on even ones */
            w = waitpid(pids[k], &st, 0);
            which = k;
        } else {
            w = waitpid(-1, &st, 0);
            which = w == pids[0] ? 0 : w == pids[1] ? 1 : -1;
        }
        if (w < 0 || which < 0 || w != pids[which] || seen[which]) {
            bad = 2;
            continue;
        }
        seen[which] = 1;
        if (!WIFEXITED(st))
            bad = 3;
        else if (WEXITSTATUS(st) & 0x80)
            bad = WEXITSTATUS(st) & 0x7f;
        else if (WEXITSTATUS(st) == 0)
            bad = 4;
        else
            mask |= (unsigned)WEXITSTATUS(st);
    }
    int st;
    if (!bad && (waitpid(-1, &st, WNOHANG) != -1 || errno != ECHILD))
        bad = 5;
    mask |= cpu_bit();
    return bad ? 0x80 | bad : (int)(mask & 0x7f);
}

static const char *tree_error(int code)
{
    switch (code) {
    case 1: return "a fork failed";
    case 2: return "waitpid returned a wrong pid or error";
    case 3: return "a child did not exit normally";
    case 4: return "a child reported no CPU";
    case 5: return "waitpid(-1, WNOHANG) after reaping both children was not ECHILD";
    default: return "?";
    }
}

static void t_fork_tree(void)
{
    get_sysinfo();
    int room = (int)si.max_procs - (int)si.nprocs;
    int depth = room >= 40 ? 4 : room >= 20 ? 3 : 2;
    int ncpus = my_instance_cpus();
    uint64_t spin = 20 * MS;
    unsigned mask = 0;

    for (int attempt = 0; attempt < 5; attempt++, spin *= 3) {
        int pid = ut_fork();
        if (pid < 0) {
            ut_fail("fork: errno %d", errno);
            return;
        }
        if (pid == 0)
            _exit(tree_node(depth, spin));
        int st = ut_reap(pid, "tree root");
        if (st == -1)
            return;
        if (!WIFEXITED(st)) {
            ut_fail("tree root (depth %d): %s", depth, ut_status_str(st));
            return;
        }
        int code = WEXITSTATUS(st);
        if (code & 0x80) {
            ut_fail("tree of depth %d: %s (code %d)", depth, tree_error(code & 0x7f), code & 0x7f);
            return;
        }
        mask |= (unsigned)code;
        if (ncpus <= 1 || popcount(mask) >= 2)
            break;
    }
    if (ncpus > 1 && popcount(mask) < 2)
        ut_fail("%d processes in 5 trees of depth %d only ever ran on CPU set 0x%x "
                "(bit = cpu %% 7) with %d CPUs serving my instance", (1 << (depth + 1)) - 1, depth, mask, ncpus);
    int st;
    if (waitpid(-1, &st, WNOHANG) != -1 || errno != ECHILD)
        ut_fail("a child is left over after the trees");
}

/* Many children of one parent at once, reaped with waitpid(-1). */
static void t_fork_wide(void)
{
    static int pids[64];
    static int done[64];
    get_sysinfo();
    int ncpus = my_instance_cpus();
    int n = 2 * ncpus + 2;
    int room = (int)si.max_procs - (int)si.nprocs - 2;
    if (n > room)
        n = room;
    if (n > 64)
        n = 64;
    if (n < 2) {
        ut_fail("no room in the process table: %u of %u used", si.nprocs, si.max_procs);
        return;
    }

    unsigned mask = 0;
    uint64_t spin = 30 * MS;
    for (int attempt = 0; attempt < 5; attempt++, spin *= 3) {
        for (int i = 0; i < n; i++) {
            pids[i] = ut_fork();
            if (pids[i] < 0) {
                ut_fail("fork %d of %d: errno %d", i + 1, n, errno);
                n = i;
                break;
            }
            if (pids[i] == 0)
                _exit(tree_node(0, spin));
            done[i] = 0;
        }
        for (int k = 0; k < n; k++) {
            int st = 0;
            int w = waitpid(-1, &st, 0);
            int i;
            for (i = 0; i < n && pids[i] != w; i++)
                ;
            if (i == n) {
                ut_fail("waitpid(-1) returned %d (errno %d), not one of my %d children", w, errno, n);
                return;
            }
            if (done[i]++)
                ut_fail("child %d reaped twice", w);
            if (!WIFEXITED(st) || WEXITSTATUS(st) == 0 || (WEXITSTATUS(st) & 0x80))
                ut_fail("child %d: %s", w, ut_status_str(st));
            else
                mask |= (unsigned)WEXITSTATUS(st);
        }
        int st;
        if (waitpid(-1, &st, WNOHANG) != -1 || errno != ECHILD)
            ut_fail("waitpid(-1, WNOHANG) after reaping all: not ECHILD");
        if (ut_failures() || ncpus <= 1 || popcount(mask) >= 2)
            break;
    }
    if (!ut_failures() && ncpus > 1 && popcount(mask) < 2)
        ut_fail("%d spinning children only ran on CPU set 0x%x with %d CPUs serving my instance", n, mask, ncpus);
}

/* ======================================================================
 * exec
 * ====================================================================== */

/* The argv and envp that `ut_args check` expects (ut_vectors.h). */
static char *check_argv[UT_CHECK_ARGC + 1], *check_envp[UT_CHECK_ENVC + 1];

static const char *ut_args_code(int code)
{
    static char b[64];
    if (code == 0) return "ok";
    if (code == 2) return "wrong argc";
    if (code == 9) return "argv[argc] is not NULL";
    if (code >= 10 && code < 30) { snprintf(b, sizeof b, "argv[%d] differs", code - 10); return b; }
    if (code == 30) return "wrong number of environment strings";
    if (code > 30 && code < 40) { snprintf(b, sizeof b, "envp[%d] differs", code - 31); return b; }
    if (code == 40) return "environ != envp";
    if (code == 41) return "getenv gives a wrong answer";
    if (code == 42) return "environment not empty";
    if (code >= UT_EXEC_FAILED && code < UT_EXEC_FAILED + 100) {
        snprintf(b, sizeof b, "execve failed with errno %d", code - UT_EXEC_FAILED);
        return b;
    }
    return "?";
}

static void expect_ut_args(int st, const char *what)
{
    if (st == -1)
        return;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return;
    if (WIFEXITED(st))
        ut_fail("%s: ut_args exit %d: %s", what, WEXITSTATUS(st), ut_args_code(WEXITSTATUS(st)));
    else
        ut_fail("%s: ut_args %s", what, ut_status_str(st));
}

static void t_exec_args(void)
{
    ut_check_vectors(check_argv, check_envp);
    expect_ut_args(ut_run_prog("ut_args", check_argv, check_envp), "argv+envp check");
    expect_ut_args(ut_run_prog("/ut_args", check_argv, check_envp), "path /ut_args");

    char *noenv_argv[] = { "ut_args", "noenv", NULL };
    expect_ut_args(ut_run_prog("ut_args", noenv_argv, no_env), "empty environment");

    /* many arguments */
    static char words[40][8];
    char *many[44];
    many[0] = "ut_args";
    many[1] = "many";
    many[2] = "40";
    for (int i = 0; i < 40; i++) {
        snprintf(words[i], sizeof words[i], "a%d", i);
        many[3 + i] = words[i];
    }
    many[43] = NULL;
    expect_ut_args(ut_run_prog("ut_args", many, check_envp), "40 arguments");

    /* exec keeps the pid and the parent */
    char *pid_argv[] = { "ut_args", "pid", NULL };
    int pid = ut_spawn("ut_args", pid_argv, no_env);
    if (pid > 0)
        ut_expect_exit(ut_reap(pid, "ut_args pid"), pid & 0x7f, "exec'd program's getpid() & 0x7f");
    char me[16];
    snprintf(me, sizeof me, "%d", getpid());
    char *ppid_argv[] = { "ut_args", "ppid", me, NULL };
    ut_expect_exit(ut_run_prog("ut_args", ppid_argv, no_env), 0, "exec'd program's getppid()");

    /* main's return value is the exit status */
    char *exit_argv[] = { "ut_args", "exit", "42", NULL };
    ut_expect_exit(ut_run_prog("ut_args", exit_argv, no_env), 42, "return 42 from main");
}

/* ======================================================================
 * wait statuses, kill
 * ====================================================================== */

static void t_wait_exit(void)
{
    static const int codes[] = { 0, 1, 42, 255, 256 + 3, 7 };
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int pid = ut_fork();
        if (pid < 0) {
            ut_fail("fork: errno %d", errno);
            return;
        }
        if (pid == 0) {
            if (i == 5)
                exit(codes[i]);  /* through newlib's exit */
            _exit(codes[i]);
        }
        int st = ut_reap(pid, "child");
        char what[40];
        snprintf(what, sizeof what, "_exit(%d)", codes[i]);
        if (ut_expect_exit(st, codes[i] & 0xff, what) && WIFSIGNALED(st))
            ut_fail("%s: status 0x%x is both exited and signalled", what, st);
    }
    /* a zombie keeps its status until it is reaped */
    int pid = ut_fork();
    if (pid == 0)
        _exit(77);
    if (pid > 0) {
        sleep_ms(30);
        ut_expect_exit(ut_reap(pid, "zombie"), 77, "exit 77 reaped after 30 ms");
    }
    /* several children, reaped in any order with waitpid(-1) */
    int pids[3];
    for (int i = 0; i < 3; i++) {
        pids[i] = ut_fork();
        if (pids[i] == 0)
            _exit(11 + i);
        if (pids[i] < 0) {
            ut_fail("fork: errno %d", errno);
            return;
        }
    }
    for (int k = 0; k < 3; k++) {
        int st = 0;
        int w = waitpid(-1, &st, 0);
        int i;
        for (i = 0; i < 3 && pids[i] != w; i++)
            ;
        if (i == 3)
            ut_fail("waitpid(-1) returned %d (errno %d), not one of %d %d %d", w, errno,
                    pids[0], pids[1], pids[2]);
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 11 + i)
            ut_fail("child %d: %s, expected exit %d", w, ut_status_str(st), 11 + i);
        if (i < 3)
            pids[i] = -2;
    }
}

/* The faults a process can make, with the signal each must end it with. */
static const struct fault_kind {
    const char *name;
    int sig;
} fault_kinds[] = {
    { "null_write", SIGSEGV },   { "null_read", SIGSEGV },
    { "jump_null", SIGSEGV },    { "text_write", SIGSEGV },
    { "kernel_read", SIGSEGV },  { "kernel_write", SIGSEGV },
    { "noncanonical", SIGSEGV }, { "hlt", SIGSEGV },
    { "ud2", SIGILL },           { "div0", SIGFPE },
    { "divovf", SIGFPE },
};
#define NFAULTS (sizeof fault_kinds / sizeof fault_kinds[0])


static volatile int canary = 12345;

/* After a child died of a fault, the parent and the system must still be
 * fine: memory intact, fork and exec working. */
static void check_still_fine(const char *after)
{
    if (canary != 12345)
        ut_fail("after %s: the parent's memory changed (canary %d)", after, canary);
    int pid = ut_fork();
    if (pid < 0) {
        ut_fail("after %s: fork failed, errno %d", after, errno);
        return;
    }
    if (pid == 0)
        _exit(7);
    char what[64];
    snprintf(what, sizeof what, "fork after %s", after);
    ut_expect_exit(ut_reap(pid, what), 7, what);
}

static void t_fault_fork(void)
{
    for (unsigned i = 0; i < NFAULTS; i++) {
        const struct fault_kind *f = &fault_kinds[i];
        int pid = ut_fork();
        if (pid < 0) {
            ut_fail("fork: errno %d", errno);
            return;
        }
        if (pid == 0) {
            canary = 0;
            provoke_fault(f->name);
            _exit(4);
        }
        int st = ut_reap(pid, f->name);
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 4)
            ut_fail("%s: the child survived the fault (exit 4), expected signal %d", f->name, f->sig);
        else
            ut_expect_signal(st, f->sig, f->name);
        check_still_fine(f->name);
    }
}

static void t_fault_exec(void)
{
    for (unsigned i = 0; i < NFAULTS; i++) {
        const struct fault_kind *f = &fault_kinds[i];
        char *argv[] = { "ut_fault", (char *)f->name, NULL };
        int st = ut_run_prog("ut_fault", argv, no_env);
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 4)
            ut_fail("ut_fault %s survived the fault (exit 4), expected signal %d", f->name, f->sig);
        else {
            char what[48];
            snprintf(what, sizeof what, "ut_fault %s", f->name);
            ut_expect_signal(st, f->sig, what);
        }
    }
    check_still_fine("faulting programs");
    char *pid_argv[] = { "ut_args", "pid", NULL };
    int pid = ut_spawn("ut_args", pid_argv, no_env);
    if (pid > 0)
        ut_expect_exit(ut_reap(pid, "ut_args pid"), pid & 0x7f, "exec after faulting programs");
}

static void t_kill(void)
{
    static const int sigs[] = { SIGTERM, SIGKILL, SIGINT };
    /* sleeping children */
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        int pid = ut_fork();
        if (pid < 0) {
            ut_fail("fork: errno %d", errno);
            return;
        }
        if (pid == 0)
            linger();
        sleep_ms(20);
        int r = kill(pid, sigs[i]);
        if (r != 0)
            ut_fail("kill(%d, %d) = %d, errno %d", pid, sigs[i], r, errno);
        int late;
        int st = ut_reap_within(pid, 20000, &late);
        char what[48];
        snprintf(what, sizeof what, "sleeping child after kill(%d)", sigs[i]);
        if (late)
            ut_fail("%s: still there after 20 s", what);
        else
            ut_expect_signal(st, sigs[i], what);
    }
    /* a running (spinning) child, possibly on another CPU */
    int pid = ut_fork();
    if (pid == 0)
        spin_until_killed();
    if (pid > 0) {
        sleep_ms(20);
        if (kill(pid, SIGKILL) != 0)
            ut_fail("kill(spinning %d) failed, errno %d", pid, errno);
        int late, st = ut_reap_within(pid, 20000, &late);
        if (late)
            ut_fail("spinning child still there 20 s after kill");
        else
            ut_expect_signal(st, SIGKILL, "spinning child after kill(SIGKILL)");
    }
    /* a child blocked in waitpid for its own child */
    pid = ut_fork();
    if (pid == 0) {
        int g = fork();
        if (g == 0)
            linger();
        int st;
        waitpid(g, &st, 0);
        _exit(6);
    }
    if (pid > 0) {
        sleep_ms(30);
        if (kill(pid, SIGTERM) != 0)
            ut_fail("kill(waiting %d) failed, errno %d", pid, errno);
        int late, st = ut_reap_within(pid, 20000, &late);
        if (late)
            ut_fail("child blocked in waitpid still there 20 s after kill");
        else
            ut_expect_signal(st, SIGTERM, "child blocked in waitpid after kill(SIGTERM)");
    }
    /* a process killing itself */
    pid = ut_fork();
    if (pid == 0) {
        kill(getpid(), SIGTERM);
        _exit(6);
    }
    if (pid > 0) {
        int late, st = ut_reap_within(pid, 20000, &late);
        ut_expect_signal(st, SIGTERM, "kill(getpid(), SIGTERM)");
        /* pid is now gone */
        int r = kill(pid, SIGTERM);
        if (r != -1 || errno != ESRCH)
            ut_fail("kill of reaped pid %d: %d errno %d, expected -1 ESRCH (%d)", pid, r, errno, ESRCH);
    }
}

/* kill(pid, 0) asks whether pid exists (POSIX): 0 for the caller, a
 * living child and a zombie not yet waited for; ESRCH once it is reaped.
 * A real signal to a zombie is accepted and does nothing. */
static void t_kill_zero_and_zombie(void)
{
    int r;
    if ((r = kill(getpid(), 0)) != 0)
        ut_fail("kill(self, 0): %d errno %d, expected 0", r, errno);
    if ((r = kill(getpid(), -1)) != -1 || errno != EINVAL)
        ut_fail("kill(self, -1): %d errno %d, expected -1 EINVAL", r, errno);
    int pid = ut_fork();
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    if (pid == 0)
        _exit(7);
    /* a zombie once it has exited: wait for that without reaping it */
    uint64_t end = uptime_ns() + 20000000000ull;
    struct abi_procinfo pi;
    int zombie = 0;
    while (!zombie && uptime_ns() < end) {
        int used;
        for (int slot = 0; (used = procinfo(slot, &pi)) >= 0 && !zombie; slot++)
            zombie = used == 1 && pi.pid == pid && pi.state == ABI_P_ZOMBIE;
        if (!zombie)
            sleep_ms(1);
    }
    if (!zombie)
        ut_fail("child %d never showed up as a zombie", pid);
    if ((r = kill(pid, 0)) != 0)
        ut_fail("kill(zombie %d, 0): %d errno %d, expected 0", pid, r, errno);
    if ((r = kill(pid, SIGTERM)) != 0)
        ut_fail("kill(zombie %d, SIGTERM): %d errno %d, expected 0 (and no effect)", pid, r, errno);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
        ut_fail("the zombie's status changed after kill: 0x%x, expected exit 7", st);
    if ((r = kill(pid, 0)) != -1 || errno != ESRCH)
        ut_fail("kill(reaped %d, 0): %d errno %d, expected -1 ESRCH", pid, r, errno);
}

static void t_wait_errors(void)
{
    int st, r;

    r = waitpid(-1, &st, 0);
    if (r != -1 || errno != ECHILD)
        ut_fail("waitpid(-1) with no children: %d errno %d, expected -1 ECHILD", r, errno);
    r = waitpid(-1, &st, WNOHANG);
    if (r != -1 || errno != ECHILD)
        ut_fail("waitpid(-1, WNOHANG) with no children: %d errno %d, expected -1 ECHILD", r, errno);
    r = waitpid(1, &st, WNOHANG);
    if (r != -1 || errno != ECHILD)
        ut_fail("waitpid(1 = init) : %d errno %d, expected -1 ECHILD", r, errno);
    r = waitpid(getpid(), &st, WNOHANG);
    if (r != -1 || errno != ECHILD)
        ut_fail("waitpid(self): %d errno %d, expected -1 ECHILD", r, errno);
    r = waitpid(getppid(), &st, WNOHANG);
    if (r != -1 || errno != ECHILD)
        ut_fail("waitpid(parent): %d errno %d, expected -1 ECHILD", r, errno);

    /* WNOHANG on a child that is alive; a sibling is not a child */
    int a = ut_fork();
    if (a < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    if (a == 0)
        linger();
    r = waitpid(a, &st, WNOHANG);
    if (r != 0)
        ut_fail("waitpid(live child, WNOHANG) = %d (errno %d), expected 0", r, errno);
    r = waitpid(-1, &st, WNOHANG);
    if (r != 0)
        ut_fail("waitpid(-1, WNOHANG) with a live child = %d (errno %d), expected 0", r, errno);
    int b = ut_fork();
    if (b == 0) {
        int s;
        int rr = waitpid(a, &s, WNOHANG);
        _exit(rr == -1 && errno == ECHILD ? 0 : 1);
    }
    if (b > 0)
        ut_expect_exit(ut_reap(b, "sibling"), 0, "waitpid on a sibling must give ECHILD");
    kill(a, SIGKILL);
    int late;
    ut_expect_signal(ut_reap_within(a, 20000, &late), SIGKILL, "lingering child");

    /* WNOHANG until an exiting child shows up */
    int c = ut_fork();
    if (c == 0)
        _exit(5);
    if (c > 0) {
        uint64_t end = uptime_ns() + 20000 * MS;
        do {
            st = 0;
            r = waitpid(c, &st, WNOHANG);
            if (r == 0)
                sleep_ms(1);
        } while (r == 0 && uptime_ns() < end);
        if (r != c)
            ut_fail("waitpid(exiting child, WNOHANG): %d errno %d, never %d", r, errno, c);
        else
            ut_expect_exit(st, 5, "child reaped with WNOHANG");
        r = waitpid(c, &st, 0);
        if (r != -1 || errno != ECHILD)
            ut_fail("second waitpid of reaped %d: %d errno %d, expected -1 ECHILD", c, r, errno);
    }
}

/* ======================================================================
 * Memory: sbrk, fork copies, exhaustion
 * ====================================================================== */

static char *brk_now(void)
{
    return (char *)sbrk(0);
}

static void t_sbrk(void)
{
    char *b0 = brk_now();
    if (b0 == (char *)-1 || b0 != brk_now()) {
        ut_fail("sbrk(0) inconsistent: %p then %p", (void *)b0, (void *)brk_now());
        return;
    }

    const intptr_t inc = 5 * (intptr_t)PAGE + 123;
    char *p = sbrk(inc);
    if (p != b0) {
        ut_fail("sbrk(%ld) returned %p, expected the old break %p (errno %d)",
                (long)inc, (void *)p, (void *)b0, errno);
        return;
    }
    if (brk_now() != b0 + inc)
        ut_fail("after sbrk(%ld) the break is %p, expected %p", (long)inc, (void *)brk_now(),
                (void *)(b0 + inc));

    /* whole new pages come zeroed */
    char *first_page = (char *)(((uintptr_t)b0 + PAGE - 1) & ~(PAGE - 1));
    for (char *q = first_page; q < b0 + inc; q++) {
        if (*q != 0) {
            ut_fail("new heap byte at %p is 0x%02x, expected 0", (void *)q, (unsigned char)*q);
            break;
        }
    }
    for (intptr_t i = 0; i < inc; i++)
        p[i] = (char)(i * 7 + 1);
    for (intptr_t i = 0; i < inc; i++) {
        if (p[i] != (char)(i * 7 + 1)) {
            ut_fail("heap byte %ld reads 0x%02x, wrote 0x%02x", (long)i, (unsigned char)p[i],
                    (unsigned char)(i * 7 + 1));
            break;
        }
    }

    /* shrink back, grow again: fresh pages are zero again */
    char *q = sbrk(-inc);
    if (q != b0 + inc)
        ut_fail("sbrk(-%ld) returned %p, expected %p", (long)inc, (void *)q, (void *)(b0 + inc));
    if (brk_now() != b0)
        ut_fail("after shrinking the break is %p, expected %p", (void *)brk_now(), (void *)b0);
    p = sbrk(inc);
    if (p != b0) {
        ut_fail("growing again: sbrk returned %p, expected %p", (void *)p, (void *)b0);
        return;
    }
    for (char *r = first_page; r < b0 + inc; r++) {
        if (*r != 0) {
            ut_fail("regrown heap byte at offset %ld is 0x%02x, expected 0", (long)(r - b0),
                    (unsigned char)*r);
            break;
        }
    }
    memset(p, 0x5a, (size_t)inc);

    /* huge requests fail cleanly and leave the break alone */
    static const intptr_t huge[] = { (intptr_t)1 << 46, (intptr_t)0x7fff00000000, (intptr_t)1 << 62 };
    for (unsigned i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        char *before = brk_now();
        errno = 0;
        void *r = sbrk(huge[i]);
        if (r != (void *)-1 || errno != ENOMEM)
            ut_fail("sbrk(0x%lx) = %p errno %d, expected (void *)-1 ENOMEM (%d)",
                    (unsigned long)huge[i], r, errno, ENOMEM);
        if (brk_now() != before)
            ut_fail("failed sbrk(0x%lx) moved the break from %p to %p", (unsigned long)huge[i],
                    (void *)before, (void *)brk_now());
    }
    long raw = raw_syscall(SYS_sbrk, (long)1 << 46, 0, 0, 0, 0);
    if (raw != -ABI_ENOMEM)
        ut_fail("raw sbrk(1 << 46) = %ld, expected %d", raw, -ABI_ENOMEM);
    for (intptr_t i = 0; i < inc; i++) {
        if (p[i] != 0x5a) {
            ut_fail("heap byte %ld changed to 0x%02x by failed sbrk calls", (long)i,
                    (unsigned char)p[i]);
            break;
        }
    }
    sbrk(-inc);

    /* shrinking below the start of the heap is refused */
    char *before = brk_now();
    void *r = sbrk(-((intptr_t)1 << 40));
    if (r != (void *)-1)
        ut_fail("sbrk(-(1 << 40)) = %p, expected failure", r);
    if (brk_now() != before)
        ut_fail("failed negative sbrk moved the break from %p to %p", (void *)before,
                (void *)brk_now());
}

/* Memory given back by sbrk is gone: touching it kills the process. */
static void t_sbrk_unmap(void)
{
    char *b0 = brk_now();
    char *top = (char *)(((uintptr_t)b0 + PAGE - 1) & ~(PAGE - 1)) + 3 * PAGE;
    if (sbrk(top - b0) != b0) {
        ut_fail("sbrk(%ld) failed, errno %d", (long)(top - b0), errno);
        return;
    }
    memset(top - 3 * PAGE, 1, 3 * PAGE);
    if (sbrk(-2 * (intptr_t)PAGE) == (void *)-1) {
        ut_fail("sbrk(-2 pages) failed, errno %d", errno);
        return;
    }
    char *gone = top - 2 * PAGE; /* first page above the new break */
    if (top[-2 * (intptr_t)PAGE - 1] != 1)
        ut_fail("the byte below the new break changed");
    int pid = ut_fork();
    if (pid == 0) {
        (void)*(volatile char *)gone;
        _exit(4);
    }
    if (pid > 0) {
        int st = ut_reap(pid, "toucher");
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 4)
            ut_fail("reading %p, a page given back with sbrk, did not fault", (void *)gone);
        else
            ut_expect_signal(st, SIGSEGV, "reading a page given back with sbrk");
    }
    pid = ut_fork();
    if (pid == 0) {
        *(volatile char *)(gone + 100) = 1;
        _exit(4);
    }
    if (pid > 0) {
        int st = ut_reap(pid, "toucher");
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 4)
            ut_fail("writing %p, a page given back with sbrk, did not fault", (void *)(gone + 100));
        else
            ut_expect_signal(st, SIGSEGV, "writing a page given back with sbrk");
    }
}

/* Grow the heap until memory runs out: a clean ENOMEM, and all of it comes
 * back when the process ends. */
static void t_sbrk_exhaust(void)
{
    uint64_t before = ut_free_frames_settled(ut_free_frames());
    uint64_t total = si.total_frames;
    int pid = ut_fork();
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    if (pid == 0) {
        const intptr_t step = 256 * (intptr_t)PAGE; /* 1 MiB */
        intptr_t grown = 0;
        uint64_t limit = total / 256 + 64;
        for (uint64_t n = 0;; n++) {
            if (n > limit)
                _exit(10); /* never failed */
            errno = 0;
            char *p = sbrk(step);
            if (p == (char *)-1)
                break;
            for (intptr_t off = 0; off < step; off += (intptr_t)PAGE)
                p[off] = 1;
            grown += step;
        }
        if (errno != ENOMEM)
            _exit(11);
        if (grown < step)
            _exit(12);
        if (sbrk(-grown) == (void *)-1)
            _exit(13);
        char *p = sbrk(step); /* the memory is available again */
        if (p == (char *)-1)
            _exit(14);
        memset(p, 2, (size_t)step);
        _exit(0);
    }
    int late, st = ut_reap_within(pid, 280000, &late);
    if (late) {
        ut_fail("the child growing its heap was still running after 280 s");
        return;
    }
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 0) {
        static const char *why[] = { "sbrk never failed", "sbrk failed but not with ENOMEM",
                                     "not even 1 MiB could be had",
                                     "shrinking the whole heap failed",
                                     "growing again after shrinking failed" };
        int c = WEXITSTATUS(st);
        ut_fail("heap-growing child: %s (exit %d)", c >= 10 && c <= 14 ? why[c - 10] : "?", c);
    } else {
        ut_expect_exit(st, 0, "heap-growing child");
    }
    uint64_t after = ut_free_frames_settled(before);
    if (after != before)
        ut_fail("free frames %llu before, %llu after the child ended",
                (unsigned long long)before, (unsigned long long)after);
}

/* After fork, parent and child have their own copies of all memory. */
static void t_fork_memory(void)
{
    static char data_buf[3 * 4096] = { 1 }; /* .data */
    static char bss_buf[3 * 4096];          /* .bss */
    char *heap = sbrk(3 * (intptr_t)PAGE);
    if (heap == (char *)-1) {
        ut_fail("sbrk failed, errno %d", errno);
        return;
    }
    volatile char stack_buf[512];
    for (int i = 0; i < 3 * 4096; i++) {
        data_buf[i] = (char)i;
        bss_buf[i] = (char)(i + 1);
        heap[i] = (char)(i + 2);
    }
    for (int i = 0; i < 512; i++)
        stack_buf[i] = (char)(i + 3);

    int pid = ut_fork();
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    if (pid == 0) {
        for (int i = 0; i < 3 * 4096; i++)
            if (data_buf[i] != (char)i || bss_buf[i] != (char)(i + 1) || heap[i] != (char)(i + 2))
                _exit(1);
        for (int i = 0; i < 512; i++)
            if (stack_buf[i] != (char)(i + 3))
                _exit(2);
        for (int i = 0; i < 3 * 4096; i++)
            data_buf[i] = bss_buf[i] = heap[i] = 0x77;
        for (int i = 0; i < 512; i++)
            stack_buf[i] = 0x77;
        _exit(0);
    }
    int st = ut_reap(pid, "child");
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1)
        ut_fail("the child does not see the parent's data/bss/heap");
    else if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2)
        ut_fail("the child does not see the parent's stack");
    else
        ut_expect_exit(st, 0, "child checking and overwriting memory");
    for (int i = 0; i < 3 * 4096; i++) {
        if (data_buf[i] != (char)i || bss_buf[i] != (char)(i + 1) || heap[i] != (char)(i + 2)) {
            ut_fail("the child's writes changed the parent's memory at offset %d", i);
            break;
        }
    }
    for (int i = 0; i < 512; i++) {
        if (stack_buf[i] != (char)(i + 3)) {
            ut_fail("the child's writes changed the parent's stack at offset %d", i);
            break;
        }
    }
    sbrk(-3 * (intptr_t)PAGE);
}

static int exhaust_kids[4096];

/* Fork lingering children until fork fails; returns how many, sets *err. */
static int fork_until_failure(int *err)
{
    int n = 0;
    *err = 0;
    while (n < (int)(sizeof exhaust_kids / sizeof exhaust_kids[0])) {
        int pid = ut_fork();
        if (pid == 0)
            linger();
        if (pid < 0) {
            *err = errno;
            break;
        }
        exhaust_kids[n++] = pid;
    }
    return n;
}

static void kill_and_reap(int n)
{
    for (int i = 0; i < n; i++)
        if (kill(exhaust_kids[i], SIGKILL) != 0)
            ut_fail("kill(child %d) failed, errno %d", exhaust_kids[i], errno);
    for (int i = 0; i < n; i++) {
        int late, st = ut_reap_within(exhaust_kids[i], 20000, &late);
        if (late)
            ut_fail("child %d still there 20 s after kill", exhaust_kids[i]);
        else if (!(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
            char what[40];
            snprintf(what, sizeof what, "child %d of %d", i + 1, n);
            ut_expect_signal(st, SIGKILL, what);
        }
    }
}

static void exhaust(intptr_t heap_pages)
{
    /* a fork and reap first, so that this process's own pages are settled */
    int pid = ut_fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        ut_reap(pid, "warm-up child");

    char *heap = NULL;
    if (heap_pages > 0) {
        heap = sbrk(heap_pages * (intptr_t)PAGE);
        if (heap == (char *)-1) {
            ut_fail("sbrk(%ld pages) failed, errno %d", (long)heap_pages, errno);
            return;
        }
        for (intptr_t i = 0; i < heap_pages; i++)
            heap[i * (intptr_t)PAGE] = 1;
    }
    uint64_t before = ut_free_frames_settled(ut_free_frames());

    int err;
    int n = fork_until_failure(&err);
    if (n == (int)(sizeof exhaust_kids / sizeof exhaust_kids[0]))
        ut_fail("fork did not fail after %d children", n);
    else if (err != EAGAIN && err != ENOMEM)
        ut_fail("fork failed after %d children with errno %d, expected EAGAIN (%d) or ENOMEM (%d)",
                n, err, EAGAIN, ENOMEM);
    if (n < 1)
        ut_fail("not a single fork worked");
    uint64_t at_full = ut_free_frames();
    kill_and_reap(n);

    uint64_t after = ut_free_frames_settled(before);
    if (after != before)
        ut_fail("free frames: %llu before forking, %llu with %d children, %llu after reaping them",
                (unsigned long long)before, (unsigned long long)at_full, n,
                (unsigned long long)after);

    /* and it all works again */
    int n2 = fork_until_failure(&err);
    if (n2 < 1)
        ut_fail("fork does not work again after the children are gone: errno %d", err);
    else if (n2 < n - n / 4 - 1 || n2 > n + n / 4 + 1)
        ut_note("second round: %d children (first round %d)", n2, n);
    kill_and_reap(n2);
    pid = ut_fork();
    if (pid == 0)
        _exit(9);
    if (pid < 0)
        ut_fail("fork after the second round failed, errno %d", errno);
    else
        ut_expect_exit(ut_reap(pid, "last child"), 9, "fork after exhausting twice");
    after = ut_free_frames_settled(before);
    if (after != before)
        ut_fail("free frames: %llu before, %llu after two rounds",
                (unsigned long long)before, (unsigned long long)after);
    ut_note("fork failed after %d children with %s; %llu frames free at the limit",
            n, err == EAGAIN ? "EAGAIN" : err == ENOMEM ? "ENOMEM" : "?",
            (unsigned long long)at_full);
    if (heap)
        sbrk(-heap_pages * (intptr_t)PAGE);
}

/* Until the process table (or memory) is full. */
static void t_fork_exhaust(void)
{
    exhaust(0);
}

/* Big processes, so that memory runs out before the process table (if fork
 * copies memory; with copy-on-write the table fills up first). */
static void t_fork_exhaust_mem(void)
{
    uint64_t f = ut_free_frames();
    exhaust((intptr_t)(f / 6));
}

/* ======================================================================
 * Bad pointers: EFAULT
 * ====================================================================== */

static const uintptr_t bad_ptrs[] = { 0, 0xffffffff80000000ull, 0x0000700000000000ull };
static const char *const bad_names[] = { "NULL", "kernel address", "unmapped address" };
#define NBAD 3

static void expect_efault(long r, const char *call, const char *ptr)
{
    if (r != -ABI_EFAULT)
        ut_fail("%s with %s: returned %ld, expected -EFAULT (%d)", call, ptr, r, -ABI_EFAULT);
}

/* execve with bad pointers, in a child (should it succeed after all, the
 * child is gone, not this process). Child exit: 0 = EFAULT; UT_EXEC_FAILED +
 * other errno; anything else = the exec happened. */
static void efault_exec(long path, long argv, long envp, const char *what)
{
    int pid = ut_fork();
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    if (pid == 0) {
        long r = raw_syscall(SYS_execve, path, argv, envp, 0, 0);
        if (r == -ABI_EFAULT)
            _exit(0);
        _exit(r < 0 && -r < 100 ? UT_EXEC_FAILED + (int)-r : 99);
    }
    int st = ut_reap(pid, what);
    if (st == -1 || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
        return;
    if (WIFEXITED(st) && WEXITSTATUS(st) >= UT_EXEC_FAILED)
        ut_fail("%s: returned -%d, expected -EFAULT", what, WEXITSTATUS(st) - UT_EXEC_FAILED);
    else
        ut_fail("%s: execve did not fail (the program ended with %s)", what, ut_status_str(st));
}

static void t_efault(void)
{
    int fd = open("numbers.txt", O_RDONLY);
    if (fd < 0) {
        ut_fail("open numbers.txt: errno %d", errno);
        return;
    }
    /* a used procinfo slot: ours */
    int myslot = -1;
    struct abi_procinfo pi;
    for (int s = 0; s < 65536 && myslot < 0; s++) {
        int r = procinfo(s, &pi);
        if (r < 0)
            break;
        if (r == 1 && pi.pid == getpid())
            myslot = s;
    }
    if (myslot < 0)
        ut_fail("procinfo: cannot find my own slot");

    char *ok_argv[] = { "ut_fault", "exit", "93", NULL };
    for (int b = 0; b < NBAD; b++) {
        long p = (long)bad_ptrs[b];
        const char *n = bad_names[b];
        expect_efault(raw_syscall(SYS_write, 1, p, 10, 0, 0), "write(1, buf, 10)", n);
        expect_efault(raw_syscall(SYS_read, fd, p, 10, 0, 0), "read(file, buf, 10)", n);
        expect_efault(raw_syscall(SYS_open, p, 0, 0, 0, 0), "open(path)", n);
        expect_efault(raw_syscall(SYS_fstat, fd, p, 0, 0, 0), "fstat(fd, st)", n);
        expect_efault(raw_syscall(SYS_uptime, p, 0, 0, 0, 0), "uptime(ns)", n);
        expect_efault(raw_syscall(SYS_times, p, 0, 0, 0, 0), "times(t)", n);
        expect_efault(raw_syscall(SYS_sysinfo, p, 0, 0, 0, 0), "sysinfo(info)", n);
        if (myslot >= 0)
            expect_efault(raw_syscall(SYS_procinfo, myslot, p, 0, 0, 0), "procinfo(slot, p)", n);
        expect_efault(raw_syscall(SYS_readdir, 0, p, 0, 0, 0), "readdir(0, d)", n);
        expect_efault(raw_syscall(SYS_gettimeofday, p, 0, 0, 0, 0), "gettimeofday(tv)", n);

        /* waitpid with a child that has ended, so the status is written */
        int pid = ut_fork();
        if (pid == 0)
            _exit(0);
        if (pid > 0) {
            sleep_ms(10);
            expect_efault(raw_syscall(SYS_waitpid, pid, p, 0, 0, 0), "waitpid(child, status, 0)", n);
            int st;
            int r = waitpid(pid, &st, 0); /* whether or not the bad call reaped it */
            if (r != pid && !(r == -1 && errno == ECHILD))
                ut_fail("waitpid after the bad one: %d errno %d", r, errno);
        }

        char what[80];
        snprintf(what, sizeof what, "execve(path = %s)", n);
        efault_exec(p, (long)ok_argv, (long)no_env, what);
        snprintf(what, sizeof what, "execve(argv = %s)", n);
        efault_exec((long)"ut_fault", p, (long)no_env, what);
        snprintf(what, sizeof what, "execve(envp = %s)", n);
        efault_exec((long)"ut_fault", (long)ok_argv, p, what);
        char *bad_argv[] = { "ut_fault", (char *)p, NULL };
        if (p != 0) { /* a NULL element just ends argv */
            snprintf(what, sizeof what, "execve(argv[1] = %s)", n);
            efault_exec((long)"ut_fault", (long)bad_argv, (long)no_env, what);
            char *bad_envp[] = { "A=1", (char *)p, NULL };
            snprintf(what, sizeof what, "execve(envp[1] = %s)", n);
            efault_exec((long)"ut_fault", (long)ok_argv, (long)bad_envp, what);
        }
    }

    /* buffers that start in mapped memory and run past the end of it: make
     * the break page-aligned with one more page, give one back, and check
     * that the page above the break is really unmapped */
    char *b0 = brk_now();
    char *top = (char *)(((uintptr_t)b0 + PAGE - 1) & ~(PAGE - 1)) + PAGE;
    if (sbrk(top + PAGE - b0) != b0 || sbrk(-(intptr_t)PAGE) == (void *)-1 || brk_now() != top) {
        ut_fail("cannot set up the heap for the spanning buffers (break %p)", (void *)brk_now());
    } else {
        memset(top - PAGE, 'a', PAGE);
        int pid = ut_fork();
        if (pid == 0) {
            (void)*(volatile char *)top;
            _exit(4);
        }
        int st = pid > 0 ? ut_reap(pid, "toucher") : -1;
        if (st != -1 && WIFSIGNALED(st)) {
            const char *n = "buffer running off the heap";
            expect_efault(raw_syscall(SYS_write, 1, (long)(top - 8), 16, 0, 0), "write(1, buf, 16)", n);
            expect_efault(raw_syscall(SYS_read, fd, (long)(top - 8), 16, 0, 0), "read(file, buf, 16)", n);
            expect_efault(raw_syscall(SYS_open, (long)(top - 8), 0, 0, 0, 0), "open(path without NUL)", n);
            expect_efault(raw_syscall(SYS_fstat, fd, (long)(top - 8), 0, 0, 0), "fstat(fd, st)", n);
            expect_efault(raw_syscall(SYS_uptime, (long)(top - 4), 0, 0, 0, 0), "uptime(ns)", n);
            expect_efault(raw_syscall(SYS_gettimeofday, (long)(top - 8), 0, 0, 0, 0), "gettimeofday(tv)", n);
            expect_efault(raw_syscall(SYS_sysinfo, (long)(top - 64), 0, 0, 0, 0), "sysinfo(info)", n);
            expect_efault(raw_syscall(SYS_readdir, 0, (long)(top - 16), 0, 0, 0), "readdir(0, d)", n);
            char **argv_end = (char **)(top - sizeof(char *));
            argv_end[0] = "ut_fault"; /* ...and no NULL before the end */
            efault_exec((long)"ut_fault", (long)argv_end, (long)no_env, "execve(argv running off the heap)");
        } else {
            ut_note("the page above the break at %p is mapped (%s): spanning-buffer checks skipped",
                    (void *)top, st == -1 ? "?" : ut_status_str(st));
        }
    }

    /* still fine */
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size <= 0)
        ut_fail("fstat after the EFAULT calls failed, errno %d", errno);
    close(fd);
    if (write(1, "", 0) != 0)
        ut_fail("write(1, \"\", 0) failed after the EFAULT calls, errno %d", errno);
}

/* ======================================================================
 * exec of files that are not (good) programs
 * ====================================================================== */

/* Child: execve(name) and report errno through the exit status. */
static int exec_errno(const char *name)
{
    char *argv[] = { (char *)name, NULL };
    int pid = ut_fork();
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        return -1;
    }
    if (pid == 0) {
        execve(name, argv, no_env);
        _exit(UT_EXEC_FAILED + (errno < 100 ? errno : 99));
    }
    int st = ut_reap(pid, name);
    if (st == -1)
        return -1;
    if (WIFEXITED(st) && WEXITSTATUS(st) >= UT_EXEC_FAILED)
        return WEXITSTATUS(st) - UT_EXEC_FAILED;
    ut_fail("execve(\"%s\") did not fail: the program ended with %s", name, ut_status_str(st));
    return -1;
}

static void t_exec_bad(void)
{
    static char names[64][64];
    int n = 0;
    struct abi_dirent d;
    for (int i = 0; i < 100000 && n < 64 && os_readdir(i, &d) == 1; i++) {
        size_t len = strnlen(d.name, sizeof d.name);
        if (len > 8 && strncmp(d.name, "bad-", 4) == 0 && strcmp(d.name + len - 4, ".elf") == 0) {
            memcpy(names[n], d.name, len);
            names[n][len] = '\0';
            n++;
        }
    }
    if (n == 0)
        ut_fail("no bad-*.elf files in the archive");

    static int rejected[64];
    for (int i = 0; i < n; i++) {
        int e = exec_errno(names[i]);
        if (e >= 0 && e != ENOEXEC)
            ut_fail("execve(\"%s\"): errno %d, expected ENOEXEC (%d)", names[i], e, ENOEXEC);
        rejected[i] = e >= 0;
    }
    /* and right here, in this process, which must go on unharmed */
    static volatile int mine = 4242;
    char *heap = malloc(1000);
    if (heap)
        memset(heap, 0x3c, 1000);
    for (int i = 0; i < n; i++) {
        if (!rejected[i])
            continue; /* it did run: not in this process */
        char *argv[] = { names[i], "x", NULL };
        errno = 0;
        int r = execve(names[i], argv, no_env);
        if (r != -1 || errno != ENOEXEC)
            ut_fail("execve(\"%s\") in this process: %d errno %d, expected -1 ENOEXEC", names[i], r, errno);
        long raw = raw_syscall(SYS_execve, (long)names[i], (long)argv, (long)no_env, 0, 0);
        if (raw != -ABI_ENOEXEC)
            ut_fail("raw execve(\"%s\") = %ld, expected %d", names[i], raw, -ABI_ENOEXEC);
    }
    if (mine != 4242)
        ut_fail("memory changed by failed execve calls: %d", mine);
    if (heap) {
        for (int i = 0; i < 1000; i++)
            if (heap[i] != 0x3c) {
                ut_fail("heap changed by failed execve calls");
                break;
            }
        free(heap);
    }

    /* files that are not programs at all, and files that do not exist */
    static const char *const not_elf[] = { "motd", "numbers.txt" };
    for (int i = 0; i < 2; i++) {
        int e = exec_errno(not_elf[i]);
        if (e >= 0 && e != ENOEXEC)
            ut_fail("execve(\"%s\") (not ELF): errno %d, expected ENOEXEC (%d)", not_elf[i], e, ENOEXEC);
    }
    static const char *const missing[] = { "ut_no_such_program", "" };
    for (int i = 0; i < 2; i++) {
        char *argv[] = { "x", NULL };
        errno = 0;
        int r = execve(missing[i], argv, no_env);
        if (r != -1 || errno != ENOENT)
            ut_fail("execve(\"%s\"): %d errno %d, expected -1 ENOENT (%d)", missing[i], r, errno, ENOENT);
    }
    check_still_fine("failed execve calls");
}

/* Many execs in a row give all their memory back. */
static void t_exec_leak(void)
{
    char *argv[] = { "ut_args", "exit", "3", NULL };
    ut_expect_exit(ut_run_prog("ut_args", argv, no_env), 3, "warm-up exec");
    uint64_t before = ut_free_frames_settled(ut_free_frames());
    for (int i = 0; i < 30 && !ut_failures(); i++) {
        ut_expect_exit(ut_run_prog("ut_args", argv, no_env), 3, "exec");
        int pid = ut_fork();
        if (pid == 0)
            _exit(0);
        if (pid > 0)
            ut_expect_exit(ut_reap(pid, "child"), 0, "fork");
    }
    uint64_t after = ut_free_frames_settled(before);
    if (after != before)
        ut_fail("free frames %llu before and %llu after 30 fork+exec and 30 fork cycles",
                (unsigned long long)before, (unsigned long long)after);
}

/* Several processes doing fork + exec + wait at the same time. */
static void t_stress_fork_exec(void)
{
    get_sysinfo();
    int workers = 2 * (int)si.ncpus;
    if (workers > 8)
        workers = 8;
    if (workers < 2)
        workers = 2;
    int pids[8];
    for (int w = 0; w < workers; w++) {
        pids[w] = ut_fork();
        if (pids[w] < 0) {
            ut_fail("fork of worker %d: errno %d", w, errno);
            workers = w;
            break;
        }
        if (pids[w] == 0) {
            for (int i = 0; i < 12; i++) {
                char code[8];
                snprintf(code, sizeof code, "%d", (w * 12 + i) % 100);
                char *argv[] = { "ut_args", "exit", code, NULL };
                int pid = fork();
                if (pid < 0)
                    _exit(100 + i);
                if (pid == 0) {
                    execve("ut_args", argv, no_env);
                    _exit(99);
                }
                int st, r = waitpid(pid, &st, 0);
                if (r != pid || !WIFEXITED(st) || WEXITSTATUS(st) != (w * 12 + i) % 100)
                    _exit(150 + i);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < workers; k++) {
        int st = 0;
        int r = waitpid(-1, &st, 0);
        int w;
        for (w = 0; w < workers && pids[w] != r; w++)
            ;
        if (w == workers) {
            ut_fail("waitpid(-1) returned %d (errno %d), not a worker", r, errno);
            return;
        }
        pids[w] = -2;
        if (WIFEXITED(st) && WEXITSTATUS(st) >= 100 && WEXITSTATUS(st) < 150)
            ut_fail("worker %d: fork %d failed", w, WEXITSTATUS(st) - 100);
        else if (WIFEXITED(st) && WEXITSTATUS(st) >= 150)
            ut_fail("worker %d: exec'd child %d ended wrongly", w, WEXITSTATUS(st) - 150);
        else
            ut_expect_exit(st, 0, "worker");
    }
}

/* Orphans are re-parented to init (pid 1), which reaps them. */
static void t_orphans(void)
{
    int m = ut_fork();
    if (m < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    if (m == 0) {
        int g = fork();
        if (g == 0) {
            uint64_t end = uptime_ns() + 5000 * MS;
            while (getppid() != 1 && uptime_ns() < end)
                sleep_ms(5);
            sleep_ms(1000); /* stay long enough to be seen */
            _exit(0);
        }
        _exit(g < 0 ? 0 : 1 + g % 255);
    }
    int st = ut_reap(m, "middle child");
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) == 0) {
        ut_fail("middle child could not fork: %s", st == -1 ? "?" : ut_status_str(st));
        return;
    }
    int low = WEXITSTATUS(st);
    /* find the grandchild: ppid 1, 1 + pid % 255 == low, not our own parent */
    int g = -1;
    uint64_t end = uptime_ns() + 900 * MS;
    struct abi_procinfo p;
    while (g < 0 && uptime_ns() < end) {
        for (int slot = 0; slot < 65536; slot++) {
            int r = procinfo(slot, &p);
            if (r < 0)
                break;
            if (r == 1 && p.ppid == 1 && 1 + p.pid % 255 == low && p.pid != getppid() &&
                p.pid != getpid() && p.pid != m) {
                g = p.pid;
                break;
            }
        }
        if (g < 0)
            sleep_ms(10);
    }
    if (g < 0) {
        ut_fail("no process with ppid 1 and 1 + pid %% 255 = %d after its parent %d ended", low, m);
        return;
    }
    /* init must reap it once it ends (in about a second) */
    end = uptime_ns() + 15000 * MS;
    int state;
    while ((state = proc_lookup(g, &p)) >= 0 && uptime_ns() < end)
        sleep_ms(20);
    if (state >= 0)
        ut_fail("orphan %d is still in the process table after 15 s (state %d, ppid %d)", g, state,
                (int)p.ppid);
}

/* ======================================================================
 * FPU / SSE state across context switches
 * ====================================================================== */

static void t_fpu(void)
{
    get_sysinfo();
    int n = 2 * (int)si.ncpus + 1;
    if (n > 9)
        n = 9;
    int pids[9];
    for (int k = 0; k < n; k++) {
        pids[k] = ut_fork();
        if (pids[k] < 0) {
            ut_fail("fork: errno %d", errno);
            n = k;
            break;
        }
        if (pids[k] == 0) {
            double step = (k + 1) * 0.5, acc = 0;
            long double lstep = (k + 1) * 0.25L, lacc = 0;
            uint64_t start = uptime_ns();
            long blocks = 0;
            while (blocks < 20 || uptime_ns() - start < 200 * MS) {
                for (int i = 0; i < 20000; i++) {
                    acc += step;
                    lacc += lstep;
                }
                blocks++;
                if (acc != step * 20000.0 * (double)blocks)
                    _exit(1);
                if (lacc != lstep * 20000.0L * (long double)blocks)
                    _exit(2);
                if (blocks % 4 == 0)
                    sys_yield();
                if (blocks > 100000)
                    break;
            }
            _exit(0);
        }
    }
    for (int k = 0; k < n; k++) {
        int st = ut_reap(pids[k], "adder");
        if (st != -1 && WIFEXITED(st) && (WEXITSTATUS(st) == 1 || WEXITSTATUS(st) == 2))
            ut_fail("process %d of %d: its %s sum went wrong (state lost or mixed in a switch)",
                    k + 1, n, WEXITSTATUS(st) == 1 ? "SSE (double)" : "x87 (long double)");
        else
            ut_expect_exit(st, 0, "adder");
    }
}

/* ======================================================================
 * newlib: formatting, malloc, stdio
 * ====================================================================== */

__attribute__((format(printf, 2, 3)))
static void fmt_is(const char *want, const char *fmt, ...)
{
    char got[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(got, sizeof got, fmt, ap);
    va_end(ap);
    if (strcmp(got, want) != 0 || n != (int)strlen(want))
        ut_fail("format \"%s\" gave \"%s\" (%d), expected \"%s\"", fmt, got, n, want);
}

static void t_printf(void)
{
    fmt_is("-42", "%d", -42);
    fmt_is("0", "%d", 0);
    fmt_is("-2147483648", "%d", INT_MIN);
    fmt_is("2147483647", "%d", INT_MAX);
    fmt_is("4294967295", "%u", UINT_MAX);
    fmt_is("-9223372036854775808", "%lld", LLONG_MIN);
    fmt_is("18446744073709551615", "%llu", ULLONG_MAX);
    fmt_is("-9223372036854775807", "%ld", -LONG_MAX);
    fmt_is("deadbeef", "%x", 0xdeadbeefu);
    fmt_is("0XFF", "%#X", 255);
    fmt_is("00001234", "%08x", 0x1234);
    fmt_is("123456789abcdef0", "%lx", 0x123456789abcdef0ul);
    fmt_is("7fffffffffffffff", "%llx", (unsigned long long)LLONG_MAX);
    fmt_is("42   |", "%-5d|", 42);
    fmt_is("   42|", "%5d|", 42);
    fmt_is("+5 -5", "%+d %+d", 5, -5);
    fmt_is("10", "%o", 8);
    fmt_is("12345", "%zu", (size_t)12345);
    fmt_is("-0042", "%05d", -42);
    fmt_is("%", "%%");
    fmt_is("x", "%c", 'x');

    fmt_is("3.141590", "%f", 3.14159);
    fmt_is("0.667", "%.3f", 2.0 / 3.0);
    fmt_is("-0.500000", "%f", -0.5);
    fmt_is("1.234568e+04", "%e", 12345.678);
    fmt_is("0.000000e+00", "%e", 0.0);
    fmt_is("-1.235e-04", "%.3e", -0.000123456);
    fmt_is("0.0001", "%g", 0.0001);
    fmt_is("1e-05", "%g", 0.00001);
    fmt_is("100000", "%g", 100000.0);
    fmt_is("1e+06", "%g", 1000000.0);
    fmt_is("1.23457e+08", "%g", 123456789.0);
    fmt_is("    3.1416", "%10.4f", 3.14159265);
    fmt_is("10000000000.000000", "%f", 1e10);
    fmt_is("2.5", "%g", 2.5);

    fmt_is("   ab|", "%5s|", "ab");
    fmt_is("ab   |", "%-5s|", "ab");
    fmt_is("ab", "%.2s", "abcdef");
    fmt_is("     abc|", "%8.3s|", "abcdef");
    fmt_is("[hello]", "[%s]", "hello");
    fmt_is("", "%s", "");

    char buf[8];
    const char *long_str = hide((uintptr_t)"abcdefgh"); /* truncation on purpose */
    int n = snprintf(buf, 5, "%s", long_str);
    if (n != 8 || strcmp(buf, "abcd") != 0)
        ut_fail("snprintf(buf, 5, \"abcdefgh\") = %d \"%s\", expected 8 \"abcd\"", n, buf);

    int a, b;
    unsigned x;
    double d;
    char word[16];
    int k = sscanf("12 -7 0x1f 2.5 word", "%d %d %x %lf %15s", &a, &b, &x, &d, word);
    if (k != 5 || a != 12 || b != -7 || x != 0x1f || d != 2.5 || strcmp(word, "word") != 0)
        ut_fail("sscanf: %d fields: %d %d 0x%x %g \"%s\"", k, a, b, x, d, k == 5 ? word : "");
    if (strtol("-0x10", NULL, 0) != -16 || strtoul("777", NULL, 8) != 511 || atoi("  42x") != 42)
        ut_fail("strtol/strtoul/atoi: %ld %lu %d", strtol("-0x10", NULL, 0),
                strtoul("777", NULL, 8), atoi("  42x"));
    if (strtod("3.25", NULL) != 3.25 || atof("-1e3") != -1000.0)
        ut_fail("strtod/atof: %g %g", strtod("3.25", NULL), atof("-1e3"));
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void t_string(void)
{
    char buf[64];
    if (strlen("hello") != 5 || strcmp("abc", "abd") >= 0 || strncmp("abcx", "abcy", 3) != 0)
        ut_fail("strlen/strcmp/strncmp");
    strcpy(buf, "0123456789");
    memmove(buf + 2, buf, 8);
    if (memcmp(buf, "0101234567", 10) != 0)
        ut_fail("memmove up: \"%.10s\"", buf);
    strcpy(buf, "0123456789");
    memmove(buf, buf + 2, 8);
    if (memcmp(buf, "2345678989", 10) != 0)
        ut_fail("memmove down: \"%.10s\"", buf);
    if (strchr("hello", 'l') == NULL || strrchr("hello", 'l') - "hello" != 3 ||
        strstr("haystack", "st") == NULL || strstr("haystack", "xy") != NULL)
        ut_fail("strchr/strrchr/strstr");
    strcpy(buf, "a,b,,c");
    int parts = 0;
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
        parts++;
    if (parts != 3)
        ut_fail("strtok found %d parts in \"a,b,,c\", expected 3", parts);
    static int v[100];
    for (int i = 0; i < 100; i++)
        v[i] = (i * 37) % 100 - 50;
    qsort(v, 100, sizeof v[0], cmp_int);
    for (int i = 0; i < 100; i++)
        if (v[i] != i - 50) {
            ut_fail("qsort: v[%d] = %d", i, v[i]);
            break;
        }
    if (abs(-5) != 5 || labs(-5L) != 5)
        ut_fail("abs");
}

static unsigned char pattern(int i, size_t j)
{
    return (unsigned char)(i * 31 + j * 7 + (j >> 8));
}

static int check_block(const unsigned char *p, size_t n, int i)
{
    for (size_t j = 0; j < n; j++)
        if (p[j] != pattern(i, j))
            return 0;
    return 1;
}

static void t_malloc(void)
{
    static const size_t sizes[] = { 1, 2, 3, 7, 8, 15, 16, 31, 64, 100, 255, 256, 1000,
                                    4095, 4096, 4097, 10000, 65536, 100000, 1u << 20 };
    enum { NS = sizeof sizes / sizeof sizes[0] };
    unsigned char *blk[NS];

    for (int i = 0; i < NS; i++) {
        blk[i] = malloc(sizes[i]);
        if (!blk[i]) {
            ut_fail("malloc(%zu) = NULL, errno %d", sizes[i], errno);
            for (int k = 0; k < i; k++)
                free(blk[k]);
            return;
        }
        if ((uintptr_t)blk[i] % 16 != 0)
            ut_fail("malloc(%zu) = %p: not 16-byte aligned", sizes[i], (void *)blk[i]);
        for (size_t j = 0; j < sizes[i]; j++)
            blk[i][j] = pattern(i, j);
    }
    for (int i = 0; i < NS; i++)
        if (!check_block(blk[i], sizes[i], i))
            ut_fail("block %d (%zu bytes) was overwritten", i, sizes[i]);
    /* free every other one, allocate other sizes in the holes */
    for (int i = 1; i < NS; i += 2) {
        free(blk[i]);
        blk[i] = malloc(sizes[i] / 2 + 1);
        if (!blk[i]) {
            ut_fail("malloc(%zu) after free = NULL", sizes[i] / 2 + 1);
            continue;
        }
        for (size_t j = 0; j < sizes[i] / 2 + 1; j++)
            blk[i][j] = pattern(i, j);
    }
    for (int i = 0; i < NS; i++)
        if (blk[i] && !check_block(blk[i], i % 2 ? sizes[i] / 2 + 1 : sizes[i], i))
            ut_fail("block %d was overwritten after reallocating its neighbours", i);
    /* realloc keeps the contents */
    for (int i = 0; i < NS; i++) {
        if (!blk[i])
            continue;
        size_t old = i % 2 ? sizes[i] / 2 + 1 : sizes[i];
        unsigned char *p = realloc(blk[i], old * 2 + 10);
        if (!p) {
            ut_fail("realloc(%zu -> %zu) = NULL", old, old * 2 + 10);
            continue;
        }
        blk[i] = p;
        if (!check_block(p, old, i))
            ut_fail("realloc(%zu -> %zu) lost the contents", old, old * 2 + 10);
        p = realloc(blk[i], old / 2 + 1);
        if (!p) {
            ut_fail("realloc shrink to %zu = NULL", old / 2 + 1);
            continue;
        }
        blk[i] = p;
        if (!check_block(p, old / 2 + 1, i))
            ut_fail("realloc shrink to %zu lost the contents", old / 2 + 1);
    }
    for (int i = 0; i < NS; i++)
        free(blk[i]);

    /* many small blocks */
    static int *small[2000];
    for (int i = 0; i < 2000; i++) {
        small[i] = malloc(24);
        if (!small[i]) {
            ut_fail("malloc(24) #%d = NULL", i);
            break;
        }
        small[i][0] = i;
        small[i][5] = ~i;
    }
    for (int i = 0; i < 2000 && small[i]; i++)
        if (small[i][0] != i || small[i][5] != ~i) {
            ut_fail("small block %d overwritten", i);
            break;
        }
    for (int i = 0; i < 2000; i++)
        free(small[i]);

    /* calloc zeroes, even where dirty memory was freed */
    unsigned char *dirty = malloc(65536);
    if (dirty) {
        memset(dirty, 0xff, 65536);
        free(dirty);
    }
    unsigned char *z = calloc(8192, 8);
    if (!z) {
        ut_fail("calloc(8192, 8) = NULL");
    } else {
        for (int i = 0; i < 65536; i++)
            if (z[i]) {
                ut_fail("calloc memory byte %d is 0x%02x", i, z[i]);
                break;
            }
        free(z);
    }
    z = calloc(1000, 1);
    if (!z) {
        ut_fail("calloc(1000, 1) = NULL");
    } else {
        for (int i = 0; i < 1000; i++)
            if (z[i]) {
                ut_fail("calloc(1000, 1) byte %d is 0x%02x", i, z[i]);
                break;
            }
        free(z);
    }

    /* too much fails cleanly */
    errno = 0;
    void *huge = malloc((size_t)1 << 46);
    if (huge != NULL || errno != ENOMEM)
        ut_fail("malloc(1 << 46) = %p errno %d, expected NULL ENOMEM", huge, errno);
    free(huge);
    void *after = malloc(100);
    if (!after)
        ut_fail("malloc(100) after a failed huge one = NULL");
    free(after);
}

static char filebuf[65536], filebuf2[65536];

/* Whole file with open/read into buf; the size, or -1. */
static long read_whole(const char *name, char *buf, size_t size)
{
    int fd = open(name, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, size - n < 1000 ? size - n : 1000); /* odd sizes */
        if (r < 0) {
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == size)
            break;
    }
    close(fd);
    return (long)n;
}

static void t_stdio(void)
{
    FILE *f = fopen("numbers.txt", "r");
    if (!f) {
        ut_fail("fopen(\"numbers.txt\", \"r\") = NULL, errno %d", errno);
        return;
    }
    static long offs[1002];
    char line[64] = "";
    long sum = 0;
    int count = 0;
    for (;;) {
        long off = ftell(f);
        if (!fgets(line, sizeof line, f))
            break;
        if (count < 1001)
            offs[count] = off;
        int v = atoi(line);
        if (v != count + 1 && !ut_failures())
            ut_fail("line %d of numbers.txt is \"%.20s\"", count + 1, line);
        sum += v;
        count++;
    }
    if (count != 1000 || sum != 500500)
        ut_fail("fgets: %d lines, sum %ld; expected 1000, 500500", count, sum);
    if (!feof(f) || ferror(f))
        ut_fail("after the last line: feof %d ferror %d", feof(f), ferror(f));

    rewind(f);
    int v, n = 0;
    sum = 0;
    while (fscanf(f, "%d", &v) == 1) {
        sum += v;
        n++;
    }
    if (n != 1000 || sum != 500500)
        ut_fail("fscanf: %d numbers, sum %ld; expected 1000, 500500", n, sum);

    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        ut_fail("fstat(fileno) failed, errno %d", errno);
    if (fseek(f, 0, SEEK_END) != 0 || ftell(f) != (long)st.st_size)
        ut_fail("fseek(0, SEEK_END): ftell %ld, fstat size %ld", ftell(f), (long)st.st_size);
    if (count == 1000) {
        static const int which[] = { 0, 1, 9, 99, 499, 998, 999 };
        for (unsigned i = 0; i < sizeof which / sizeof which[0]; i++) {
            int k = which[i];
            if (fseek(f, offs[k], SEEK_SET) != 0 || !fgets(line, sizeof line, f) || atoi(line) != k + 1)
                ut_fail("fseek(%ld, SEEK_SET) then fgets: \"%.20s\", expected %d", offs[k], line, k + 1);
            if (k < 999 && ftell(f) != offs[k + 1])
                ut_fail("ftell after line %d: %ld, expected %ld", k + 1, ftell(f), offs[k + 1]);
            if (k < 999 && (fseek(f, offs[k] - offs[k + 1], SEEK_CUR) != 0 || ftell(f) != offs[k]))
                ut_fail("fseek(%ld, SEEK_CUR): ftell %ld, expected %ld", offs[k] - offs[k + 1],
                        ftell(f), offs[k]);
        }
        if (fseek(f, offs[999] - (long)st.st_size, SEEK_END) != 0 || !fgets(line, sizeof line, f) ||
            atoi(line) != 1000)
            ut_fail("fseek(%ld, SEEK_END) then fgets: \"%.20s\", expected 1000",
                    offs[999] - (long)st.st_size, line);
    }
    if (fclose(f) != 0)
        ut_fail("fclose failed, errno %d", errno);

    /* fread of motd gives what read() gives */
    long n1 = read_whole("motd", filebuf, sizeof filebuf);
    if (n1 <= 0) {
        ut_fail("read of motd: %ld, errno %d", n1, errno);
    } else {
        f = fopen("/motd", "r");
        if (!f) {
            ut_fail("fopen(\"/motd\") = NULL, errno %d", errno);
        } else {
            size_t n2 = 0, r;
            while ((r = fread(filebuf2 + n2, 1, 37, f)) > 0 && n2 + r + 37 <= sizeof filebuf2)
                n2 += r;
            n2 += r;
            if ((long)n2 != n1 || memcmp(filebuf, filebuf2, n2) != 0)
                ut_fail("fread of motd gave %zu bytes, read() %ld; contents %s", n2, n1,
                        memcmp(filebuf, filebuf2, (size_t)n1 < n2 ? (size_t)n1 : n2) ? "differ" : "agree");
            fclose(f);
        }
    }

    errno = 0;
    f = fopen("no-such-file", "r");
    if (f || errno != ENOENT)
        ut_fail("fopen(\"no-such-file\") = %p errno %d, expected NULL ENOENT", (void *)f, errno);
    if (f)
        fclose(f);
    f = fopen("numbers.txt", "w");
    if (f) {
        int r1 = fputs("garbage\n", f);
        int r2 = fflush(f);
        if (r1 != EOF && r2 != EOF)
            ut_fail("writing to numbers.txt through stdio succeeded");
        fclose(f);
        if (read_whole("numbers.txt", filebuf2, sizeof filebuf2) != (long)st.st_size)
            ut_fail("numbers.txt changed size after fopen(\"w\")");
    }
}

/* ======================================================================
 * Files and file descriptors
 * ====================================================================== */

static void t_files(void)
{
    long size = read_whole("numbers.txt", filebuf, sizeof filebuf);
    if (size <= 0) {
        ut_fail("reading numbers.txt: %ld, errno %d", size, errno);
        return;
    }
    if (memcmp(filebuf, "1\n2\n3\n", 6) != 0)
        ut_fail("numbers.txt starts with \"%.6s\"", filebuf);

    int fd = open("numbers.txt", O_RDONLY);
    if (fd < 3)
        ut_fail("open(\"numbers.txt\") = %d (errno %d), expected >= 3", fd, errno);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0)
        ut_fail("fstat: errno %d", errno);
    else if (st.st_size != size || !S_ISREG(st.st_mode))
        ut_fail("fstat: size %ld mode 0%o; read %ld bytes, expected a regular file",
                (long)st.st_size, (unsigned)st.st_mode, size);

    char b[32];
    ssize_t r = read(fd, b, 10);
    if (r != 10 || memcmp(b, filebuf, 10) != 0)
        ut_fail("read(fd, 10) = %ld", (long)r);
    off_t o = lseek(fd, 0, SEEK_CUR);
    if (o != 10)
        ut_fail("lseek(0, SEEK_CUR) = %ld, expected 10", (long)o);
    o = lseek(fd, 100, SEEK_SET);
    r = read(fd, b, 10);
    if (o != 100 || r != 10 || memcmp(b, filebuf + 100, 10) != 0)
        ut_fail("lseek(100, SEEK_SET) = %ld, read %ld bytes: wrong data", (long)o, (long)r);
    o = lseek(fd, -5, SEEK_CUR);
    r = read(fd, b, 5);
    if (o != 105 || r != 5 || memcmp(b, filebuf + 105, 5) != 0)
        ut_fail("lseek(-5, SEEK_CUR) = %ld (expected 105), read %ld", (long)o, (long)r);
    o = lseek(fd, 0, SEEK_END);
    if (o != size)
        ut_fail("lseek(0, SEEK_END) = %ld, expected the size %ld", (long)o, size);
    r = read(fd, b, 10);
    if (r != 0)
        ut_fail("read at the end = %ld, expected 0", (long)r);
    o = lseek(fd, -4, SEEK_END);
    r = read(fd, b, 10);
    if (o != size - 4 || r != 4 || memcmp(b, filebuf + size - 4, 4) != 0)
        ut_fail("lseek(-4, SEEK_END) = %ld, read %ld (expected 4 bytes)", (long)o, (long)r);
    o = lseek(fd, size + 100, SEEK_SET);
    r = read(fd, b, 10);
    if (o != -1 && r != 0)
        ut_fail("read past the end: %ld, expected 0", (long)r);
    errno = 0;
    o = lseek(fd, -1, SEEK_SET);
    if (o != -1 || errno != EINVAL)
        ut_fail("lseek(-1, SEEK_SET) = %ld errno %d, expected -1 EINVAL", (long)o, errno);
    errno = 0;
    o = lseek(fd, 0, 7);
    if (o != -1 || errno != EINVAL)
        ut_fail("lseek(0, whence 7) = %ld errno %d, expected -1 EINVAL", (long)o, errno);

    /* read-only */
    errno = 0;
    r = write(fd, "x", 1);
    if (r != -1)
        ut_fail("write to a file opened O_RDONLY = %ld, expected -1", (long)r);
    int wfd = open("numbers.txt", O_WRONLY);
    if (wfd >= 0) {
        r = write(wfd, "x", 1);
        if (r != -1)
            ut_fail("write to numbers.txt (opened O_WRONLY) = %ld, expected -1", (long)r);
        close(wfd);
    }
    wfd = open("numbers.txt", O_RDWR);
    if (wfd >= 0) {
        r = write(wfd, "x", 1);
        if (r != -1)
            ut_fail("write to numbers.txt (opened O_RDWR) = %ld, expected -1", (long)r);
        close(wfd);
    }
    if (read_whole("numbers.txt", filebuf2, sizeof filebuf2) != size ||
        memcmp(filebuf, filebuf2, (size_t)size) != 0)
        ut_fail("numbers.txt changed");

    /* tty or not */
    errno = 0;
    if (isatty(0) != 1)
        ut_fail("isatty(0) = 0, errno %d, expected 1", errno);
    errno = 0;
    int t = isatty(fd);
    if (t != 0 || errno != ENOTTY)
        ut_fail("isatty(file) = %d errno %d, expected 0 ENOTTY (%d)", t, errno, ENOTTY);
    if (raw_syscall(SYS_isatty, fd, 0, 0, 0, 0) != -ABI_ENOTTY)
        ut_fail("raw isatty(file) = %ld, expected %d", raw_syscall(SYS_isatty, fd, 0, 0, 0, 0), -ABI_ENOTTY);
    int cfd = open("/dev/console", O_WRONLY);
    if (cfd < 0)
        ut_fail("open(\"/dev/console\") failed, errno %d", errno);
    else {
        if (isatty(cfd) != 1)
            ut_fail("isatty(/dev/console) is not 1");
        close(cfd);
    }

    /* other names for the same file, and missing ones */
    int fd2 = open("/numbers.txt", O_RDONLY);
    if (fd2 < 0 || read(fd2, b, 6) != 6 || memcmp(b, filebuf, 6) != 0)
        ut_fail("open(\"/numbers.txt\") = %d: does not read the same file", fd2);
    if (fd2 >= 0)
        close(fd2);
    static const char *const missing[] = { "no-such-file", "", "/no/such/file" };
    for (int i = 0; i < 3; i++) {
        errno = 0;
        int m = open(missing[i], O_RDONLY);
        if (m != -1 || (errno != ENOENT && !(i == 2 && errno == ENOTDIR)))
            ut_fail("open(\"%s\") = %d errno %d, expected -1 ENOENT", missing[i], m, errno);
        if (m >= 0)
            close(m);
    }

    /* bad descriptors */
    if (close(fd) != 0)
        ut_fail("close: errno %d", errno);
    static const int badfds[] = { -1, 1000, 99 };
    for (int i = 0; i < 4; i++) {
        int bfd = i < 3 ? badfds[i] : fd; /* fd: just closed */
        errno = 0;
        if (read(bfd, b, 1) != -1 || errno != EBADF)
            ut_fail("read(%d) errno %d, expected EBADF", bfd, errno);
        errno = 0;
        if (write(bfd, b, 1) != -1 || errno != EBADF)
            ut_fail("write(%d) errno %d, expected EBADF", bfd, errno);
        errno = 0;
        if (close(bfd) != -1 || errno != EBADF)
            ut_fail("close(%d) errno %d, expected EBADF", bfd, errno);
        errno = 0;
        if (fstat(bfd, &st) != -1 || errno != EBADF)
            ut_fail("fstat(%d) errno %d, expected EBADF", bfd, errno);
        errno = 0;
        if (lseek(bfd, 0, SEEK_SET) != -1 || errno != EBADF)
            ut_fail("lseek(%d) errno %d, expected EBADF", bfd, errno);
    }

    /* descriptors are inherited by fork */
    fd = open("numbers.txt", O_RDONLY);
    int pid = fd >= 0 ? ut_fork() : -1;
    if (pid == 0) {
        char c[4];
        _exit(read(fd, c, 4) == 4 && memcmp(c, filebuf, 4) == 0 ? 0 : 1);
    }
    if (pid > 0)
        ut_expect_exit(ut_reap(pid, "child"), 0, "child reading an inherited descriptor");
    if (fd >= 0)
        close(fd);
}

static void t_fd_limit(void)
{
    static int fds[10000];
    int n = 0, err = 0;
    while (n < 10000) {
        int fd = open("motd", O_RDONLY);
        if (fd < 0) {
            err = errno;
            break;
        }
        fds[n++] = fd;
    }
    if (n == 10000)
        ut_fail("10000 open files and no EMFILE");
    else if (err != EMFILE && err != ENFILE)
        ut_fail("open failed after %d files with errno %d, expected EMFILE (%d) or ENFILE (%d)",
                n, err, EMFILE, ENFILE);
    if (n < 4)
        ut_fail("only %d files could be opened", n);
    for (int i = 0; i < n; i++)
        if (close(fds[i]) != 0)
            ut_fail("close(%d) failed, errno %d", fds[i], errno);
    int fd = open("motd", O_RDONLY);
    if (fd < 0)
        ut_fail("open after closing all: errno %d", errno);
    else
        close(fd);
    ut_note("%d files open at the limit", n + 3);
}

static void t_readdir(void)
{
    static const char *const must[] = { "init", "sh", "usertests", "ut_args", "ut_fault",
                                        "motd", "numbers.txt" };
    int found[7] = { 0 };
    struct abi_dirent d;
    int n = 0;
    for (int i = 0; i < 100000; i++) {
        memset(&d, 0, sizeof d);
        int r = os_readdir(i, &d);
        if (r == 0)
            break;
        if (r != 1) {
            ut_fail("readdir(%d) = %d, errno %d", i, r, errno);
            break;
        }
        n++;
        if (memchr(d.name, 0, sizeof d.name) == NULL || d.name[0] == '\0') {
            ut_fail("entry %d: name empty or not terminated", i);
            continue;
        }
        for (int k = 0; k < 7; k++)
            if (strcmp(d.name, must[k]) == 0)
                found[k]++;
        if ((d.mode & ABI_S_IFMT) == ABI_S_IFCHR)
            continue;
        int fd = open(d.name, O_RDONLY);
        struct stat st;
        if (fd < 0) {
            ut_fail("open(\"%s\") from readdir failed, errno %d", d.name, errno);
            continue;
        }
        if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != d.size)
            ut_fail("%s: readdir size %llu, fstat size %ld", d.name, (unsigned long long)d.size,
                    (long)st.st_size);
        close(fd);
    }
    for (int k = 0; k < 7; k++)
        if (found[k] != 1)
            ut_fail("\"%s\" listed %d times", must[k], found[k]);
    if (os_readdir(n, &d) != 0 || os_readdir(n + 1000, &d) != 0)
        ut_fail("readdir past the end does not give 0");
}

/* ======================================================================
 * Time, scheduling, system information
 * ====================================================================== */

static void t_time(void)
{
    uint64_t prev = uptime_ns();
    if (prev == 0)
        ut_fail("uptime is 0");
    for (int i = 0; i < 2000; i++) {
        uint64_t now = uptime_ns();
        if (now < prev) {
            ut_fail("uptime went backwards: %llu then %llu (cpu %d)", (unsigned long long)prev,
                    (unsigned long long)now, getcpu());
            break;
        }
        prev = now;
        if (i % 100 == 0)
            sys_yield();
    }
    uint64_t raw_ns = 0;
    long r = raw_syscall(SYS_uptime, (long)&raw_ns, 0, 0, 0, 0);
    if (r != 0 || raw_ns < prev)
        ut_fail("raw uptime = %ld, %llu ns (earlier reading %llu)", r, (unsigned long long)raw_ns,
                (unsigned long long)prev);

    for (int ms = 1; ms <= 50; ms *= 7) {
        uint64_t t0 = uptime_ns();
        int s = sleep_ms((uint64_t)ms);
        uint64_t t1 = uptime_ns();
        if (s != 0)
            ut_fail("sleep_ms(%d) = %d", ms, s);
        if (t1 - t0 < (uint64_t)ms * MS)
            ut_fail("sleep_ms(%d) returned after %llu us", ms, (unsigned long long)((t1 - t0) / 1000));
    }
    uint64_t t0 = uptime_ns();
    sleep_ms(50);
    uint64_t t1 = uptime_ns();
    if (t1 - t0 < 50 * MS)
        ut_fail("sleep_ms(50) returned after %llu us", (unsigned long long)((t1 - t0) / 1000));

    struct abi_tms a, b;
    long ra = raw_syscall(SYS_times, (long)&a, 0, 0, 0, 0);
    sleep_ms(20);
    for (volatile int i = 0; i < 200000; i++)
        ;
    long rb = raw_syscall(SYS_times, (long)&b, 0, 0, 0, 0);
    if (ra < 0 || rb < 0)
        ut_fail("times = %ld, %ld", ra, rb);
    else {
        if ((uint64_t)ra != a.elapsed || (uint64_t)rb != b.elapsed)
            ut_fail("times returned %ld/%ld but elapsed %llu/%llu", ra, rb,
                    (unsigned long long)a.elapsed, (unsigned long long)b.elapsed);
        if (b.elapsed < a.elapsed + 20)
            ut_fail("times elapsed %llu then %llu over a sleep of 20 ms",
                    (unsigned long long)a.elapsed, (unsigned long long)b.elapsed);
        if (b.utime + b.stime < a.utime + a.stime)
            ut_fail("CPU time went backwards: %llu then %llu", (unsigned long long)(a.utime + a.stime),
                    (unsigned long long)(b.utime + b.stime));
    }
    struct tms tm;
    clock_t c = times(&tm);
    if (c == (clock_t)-1)
        ut_fail("newlib times() failed, errno %d", errno);

    struct timeval tv;
    if (gettimeofday(&tv, NULL) != 0)
        ut_fail("gettimeofday failed, errno %d", errno);
    else if (tv.tv_sec <= 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
        ut_fail("gettimeofday: %lld s %ld us", (long long)tv.tv_sec, (long)tv.tv_usec);
}

static void t_sched(void)
{
    for (int i = 0; i < 100; i++) {
        int r = sys_yield();
        if (r != 0) {
            ut_fail("sched_yield = %d", r);
            break;
        }
    }
    get_sysinfo();
    for (int i = 0; i < 200; i++) {
        int c = getcpu();
        if (c < 0 || c >= ABI_MAX_CPUS || c >= (int)si.ncpus) {
            ut_fail("getcpu() = %d with %u CPUs", c, si.ncpus);
            break;
        }
        if (i % 10 == 0)
            sys_yield();
    }

    struct abi_procinfo p;
    int r = setprio(0, 5);
    if (r != 0)
        ut_fail("setprio(0, 5) = %d errno %d", r, errno);
    else if (proc_lookup(getpid(), &p) < 0 || p.prio != 5)
        ut_fail("after setprio(0, 5) procinfo says prio %d", (int)p.prio);
    int pid = ut_fork();
    if (pid == 0)
        linger();
    if (pid > 0) {
        r = setprio(pid, 2);
        if (r != 0)
            ut_fail("setprio(child, 2) = %d errno %d", r, errno);
        else if (proc_lookup(pid, &p) < 0 || p.prio != 2)
            ut_fail("after setprio(child, 2) procinfo says prio %d", (int)p.prio);
        kill(pid, SIGKILL);
        int late;
        ut_reap_within(pid, 20000, &late);
    }
    if (setprio(0, ABI_NPRIO) != -1 || setprio(0, -1) != -1)
        ut_fail("setprio with priority %d or -1 did not fail", ABI_NPRIO);
    if (setprio(0, 0) != 0)
        ut_fail("setprio(0, 0) failed, errno %d", errno);
}

static void t_sysinfo(void)
{
    get_sysinfo();
    if (si.ncpus < 1 || si.ncpus > ABI_MAX_CPUS)
        ut_fail("ncpus = %u", si.ncpus);
    if (si.page_size != PAGE)
        ut_fail("page_size = %u", si.page_size);
    if (si.model[0] == '\0' || memchr(si.model, 0, sizeof si.model) == NULL)
        ut_fail("model name empty or not terminated");
    if (si.total_frames == 0 || si.free_frames > si.total_frames)
        ut_fail("frames: %llu free of %llu", (unsigned long long)si.free_frames,
                (unsigned long long)si.total_frames);
    if (si.nprocs < 2 || si.nprocs > si.max_procs)
        ut_fail("nprocs %u, max_procs %u", si.nprocs, si.max_procs);
    if (si.uptime_ns == 0)
        ut_fail("uptime_ns = 0");
    uint64_t ticks = 0;
    for (unsigned i = 0; i < si.ncpus && i < ABI_MAX_CPUS; i++) {
        ticks += si.cpu[i].ticks;
        /* FAILED: stopped by cpufail (a boot that fails one on purpose,
         * docs/organisations.md "When a CPU fails"), and then no longer used */
        if (si.cpu[i].state != ABI_CPU_IDLE && si.cpu[i].state != ABI_CPU_RUNNING && si.cpu[i].state != ABI_CPU_FAILED)
            ut_fail("cpu %u of %u online has state %u", i, si.ncpus, si.cpu[i].state);
        if (si.cpu[i].idle_ticks > si.cpu[i].ticks)
            ut_fail("cpu %u: idle ticks %llu > ticks %llu", i,
                    (unsigned long long)si.cpu[i].idle_ticks, (unsigned long long)si.cpu[i].ticks);
    }
    if (ticks == 0)
        ut_fail("no CPU has taken a timer tick");
    /* The snapshot is taken on whichever CPU runs the system call, and
     * that CPU shows the caller as its running process. Which CPU that was
     * cannot be asked in the same breath (the process may move between
     * getcpu() and sysinfo()), so: exactly one CPU shows us running. Pids
     * are per OS instance: only CPUs serving ours count. */
    int mine = 0, where = -1;
    for (unsigned i = 0; i < si.ncpus && i < ABI_MAX_CPUS; i++)
        if (si.cpu[i].state == ABI_CPU_RUNNING && si.cpu[i].current_pid == getpid() &&
            si.cpu[i].os_instance == si.os_instance) {
            mine++;
            where = (int)i;
        }
    int c = getcpu();
    if (c < 0 || (unsigned)c >= si.ncpus)
        ut_fail("getcpu() = %d with %u CPUs", c, si.ncpus);
    if (mine != 1)
        ut_fail("sysinfo: %d CPUs show me (pid %d) running, expected exactly 1", mine, getpid());
    else if (where != c)
        printf("usertests:   sysinfo: taken on CPU %d, now on CPU %d (moved in between)\n", where, c);
    /* Each instance's memory: mine is the one that answered, and its
     * total is what the top-level fields say; slices never overlap. */
    if (si.ninstances < 1 || si.ninstances > si.ncpus || si.os_instance >= si.ninstances)
        ut_fail("sysinfo: %u instances, answered by instance %u, %u CPUs", si.ninstances, si.os_instance, si.ncpus);
    else if (si.os[si.os_instance].total_frames != si.total_frames)
        ut_fail("sysinfo: my instance has %llu frames in os[], %llu in total_frames",
                (unsigned long long)si.os[si.os_instance].total_frames, (unsigned long long)si.total_frames);
    for (unsigned i = 0; i < si.ninstances && i < ABI_MAX_CPUS; i++) {
        const struct abi_osinfo *o = &si.os[i];
        if (o->mem_start >= o->mem_end || o->free_frames > o->total_frames ||
            o->total_frames > (o->mem_end - o->mem_start) / PAGE)
            ut_fail("sysinfo: instance %u: memory %llx-%llx, %llu of %llu frames free", i,
                    (unsigned long long)o->mem_start, (unsigned long long)o->mem_end,
                    (unsigned long long)o->free_frames, (unsigned long long)o->total_frames);
        if (i > 0 && o->mem_start < si.os[i - 1].mem_end)
            ut_fail("sysinfo: instance %u's memory starts at %llx, inside instance %u's (ends %llx)", i,
                    (unsigned long long)o->mem_start, i - 1, (unsigned long long)si.os[i - 1].mem_end);
    }
}

static void t_procinfo(void)
{
    /* some CPU time first, then a real switch so that it is accounted */
    uint64_t t0 = uptime_ns();
    while (uptime_ns() - t0 < 50 * MS)
        for (volatile int i = 0; i < 10000; i++)
            ;
    sleep_ms(2);

    struct abi_procinfo p;
    int used = 0, me = 0;
    for (int slot = 0; slot < 65536; slot++) {
        int r = procinfo(slot, &p);
        if (r < 0)
            break;
        if (r != 1)
            continue;
        used++;
        if (p.pid != getpid())
            continue;
        me++;
        if (p.state != ABI_P_RUNNING)
            ut_fail("my state is %u, expected running (%d)", p.state, ABI_P_RUNNING);
        if (p.ppid != getppid())
            ut_fail("my ppid is %d, getppid() says %d", (int)p.ppid, getppid());
        if (memchr(p.name, 0, sizeof p.name) == NULL || strstr(p.name, "usertests") == NULL)
            ut_fail("my name is \"%.*s\"", (int)sizeof p.name, p.name);
        if (p.prio < 0 || p.prio >= ABI_NPRIO)
            ut_fail("my prio is %d", (int)p.prio);
        if (p.runtime_ns == 0)
            ut_fail("my run time is 0 after spinning 50 ms");
    }
    if (me != 1)
        ut_fail("found myself %d times in the process table", me);
    if (used < 2)
        ut_fail("only %d processes in the table", used);

    /* a sleeping child, then a zombie, then gone */
    int pid = ut_fork();
    if (pid == 0)
        linger();
    if (pid > 0) {
        int s = -1;
        uint64_t end = uptime_ns() + 5000 * MS;
        while ((s = proc_lookup(pid, &p)) != ABI_P_SLEEPING && uptime_ns() < end)
            sleep_ms(5);
        if (s != ABI_P_SLEEPING)
            ut_fail("a child in sleep_ms shows state %d, expected sleeping (%d)", s, ABI_P_SLEEPING);
        else if (p.ppid != getpid())
            ut_fail("child's ppid %d, expected %d", (int)p.ppid, getpid());
        kill(pid, SIGKILL);
        end = uptime_ns() + 5000 * MS;
        while ((s = proc_lookup(pid, &p)) != ABI_P_ZOMBIE && uptime_ns() < end)
            sleep_ms(5);
        if (s != ABI_P_ZOMBIE)
            ut_fail("a killed, unreaped child shows state %d, expected zombie (%d)", s, ABI_P_ZOMBIE);
        ut_reap(pid, "child");
        if ((s = proc_lookup(pid, &p)) >= 0)
            ut_fail("reaped child %d still in the table (state %d)", pid, s);
    }
}

/* ======================================================================
 * Memory: copy-on-write fork, demand-zero heap and stack, sbrk limits
 * ====================================================================== */

/* Read the first n bytes of numbers.txt into dst; the count or -1. */
static long read_numbers(char *dst, size_t n)
{
    int fd = open("numbers.txt", O_RDONLY);
    if (fd < 0)
        return -1;
    long r = read(fd, dst, n);
    close(fd);
    return r;
}

static char cow_data[3 * 4096]; /* shared copy-on-write after a fork */

/* The kernel writes into copy-on-write and not-yet-mapped pages itself:
 * read() into a shared page, waitpid's status into one, read() into heap
 * pages never touched. Each works, and only the writer sees the change. */
/* A path the kernel reads from pages not touched yet: a fresh heap page
 * reads as zeros (the empty path), and a name that runs from a written page
 * into an untouched one ends at its first byte. Both are valid memory:
 * ENOENT, never EFAULT. */
static void t_string_in_fresh_heap(void)
{
    char *fresh = sbrk(3 * (intptr_t)PAGE);
    if (fresh == (char *)-1) {
        ut_fail("sbrk(3 pages): errno %d", errno);
        return;
    }
    fresh = (char *)(((uintptr_t)fresh + PAGE - 1) & ~(PAGE - 1)); /* a whole untouched page */
    errno = 0;
    if (open(fresh, O_RDONLY) != -1 || errno != ENOENT)
        ut_fail("open of an empty path in an untouched heap page: errno %d, expected ENOENT (%d)", errno, ENOENT);
    char *name = fresh + 2 * PAGE - 2; /* "zz" at the end of page 2, the NUL in untouched page 3 */
    name[0] = 'z';
    name[1] = 'z';
    errno = 0;
    if (open(name, O_RDONLY) != -1 || errno != ENOENT)
        ut_fail("open of a name ending in an untouched page: errno %d, expected ENOENT (%d)", errno, ENOENT);
}

static void t_cow_kernel_writes(void)
{
    static char expect[6000];
    long want = read_numbers(expect, sizeof expect);
    if (want < 200) { /* read at 4000 below must cross a page boundary */
        ut_fail("numbers.txt: read %ld bytes, expected at least 200", want);
        return;
    }
    memset(cow_data, 'p', sizeof cow_data);
    int pid = ut_fork();
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    if (pid == 0) {
        /* across a page boundary of a page the parent shares */
        long n = read_numbers(cow_data + 4000, (size_t)want);
        if (n != want)
            _exit(2);
        if (memcmp(cow_data + 4000, expect, (size_t)want) != 0 || cow_data[3999] != 'p')
            _exit(3);
        _exit(0);
    }
    static int status = -1; /* .data: copy-on-write since the fork */
    int w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    if (w != pid)
        ut_fail("waitpid into a copy-on-write page: %d, errno %d", w, errno);
    else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        ut_fail("child reading into a copy-on-write page: %s (2 = short read, 3 = wrong bytes)",
                ut_status_str(status));
    for (size_t i = 0; i < sizeof cow_data; i++) {
        if (cow_data[i] != 'p') {
            ut_fail("the child's read() changed the parent's byte %zu to 0x%02x", i,
                    (unsigned char)cow_data[i]);
            break;
        }
    }
    /* heap pages nobody touched yet: the kernel maps them for read() */
    char *heap = sbrk(3 * (intptr_t)PAGE);
    if (heap == (char *)-1) {
        ut_fail("sbrk(3 pages): errno %d", errno);
        return;
    }
    long n = read_numbers(heap + 10, (size_t)want);
    if (n != want)
        ut_fail("read() into untouched heap pages: %ld, expected %ld (errno %d)", n, want, errno);
    else if (memcmp(heap + 10, expect, (size_t)want) != 0)
        ut_fail("read() into untouched heap pages: wrong bytes");
    for (int i = 0; i < 10; i++)
        if (heap[i] != 0)
            ut_fail("heap byte %d before the read is 0x%02x, expected 0", i, (unsigned char)heap[i]);
    sbrk(-3 * (intptr_t)PAGE);
}

/* Recursion with a page of locals per level, each level checked on the way
 * back: the stack grows on demand. */
__attribute__((noinline)) static int deep_stack(int depth, int max)
{
    volatile char frame[4000];
    for (size_t i = 0; i < sizeof frame; i += 512)
        frame[i] = (char)(depth + (int)i);
    int below = depth < max ? deep_stack(depth + 1, max) : 0;
    for (size_t i = 0; i < sizeof frame; i += 512)
        if (frame[i] != (char)(depth + (int)i))
            return -1;
    return below < 0 ? -1 : below + 1;
}

static void t_stack_grows(void)
{
    int pid = ut_fork();
    if (pid == 0)
        _exit(deep_stack(0, 255) == 256 ? 0 : 1); /* 256 levels: 1 MiB */
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    int st = ut_reap(pid, "recursing child");
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1)
        ut_fail("1 MiB of recursion: a stack frame changed");
    else
        ut_expect_exit(st, 0, "1 MiB of recursion on the stack");
}

/* Recursion without end: past USER_STACK_MAX (8 MiB) it is a SIGSEGV, the
 * memory comes back and this process goes on. */
static void t_stack_limit(void)
{
    uint64_t before = ut_free_frames_settled(ut_free_frames());
    int pid = ut_fork();
    if (pid == 0) {
        deep_stack(0, 1 << 30);
        _exit(5);
    }
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    ut_expect_signal(ut_reap(pid, "endlessly recursing child"), SIGSEGV, "recursion past the stack limit");
    uint64_t after = ut_free_frames_settled(before);
    if (after != before)
        ut_fail("free frames %llu before, %llu after the child overflowed its stack",
                (unsigned long long)before, (unsigned long long)after);
}

/* sbrk(huge) fails at once and takes nothing; heap grown, touched and given
 * back returns every frame, page tables included. */
static void t_sbrk_huge(void)
{
    uint64_t before = ut_free_frames_settled(ut_free_frames());
    char *b0 = brk_now();
    static const intptr_t huge[] = { (intptr_t)0x400000000000, (intptr_t)1 << 45 };
    for (unsigned i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        errno = 0;
        void *r = sbrk(huge[i]);
        if (r != (void *)-1 || errno != ENOMEM)
            ut_fail("sbrk(0x%lx) = %p errno %d, expected ENOMEM", (unsigned long)huge[i], r, errno);
    }
    /* more than the free memory, though inside the address space */
    intptr_t more = (intptr_t)(ut_free_frames() + 16) * (intptr_t)PAGE;
    errno = 0;
    void *r = sbrk(more);
    if (r != (void *)-1 || errno != ENOMEM)
        ut_fail("sbrk(%ld), more than the free memory: %p errno %d, expected ENOMEM", (long)more, r, errno);
    if (brk_now() != b0)
        ut_fail("failed sbrk calls moved the break from %p to %p", (void *)b0, (void *)brk_now());
    uint64_t after = ut_free_frames_settled(before);
    if (after != before)
        ut_fail("free frames %llu before, %llu after the failed sbrk calls", (unsigned long long)before,
                (unsigned long long)after);

    const intptr_t grow = 12 << 20; /* several page tables' worth */
    char *p = sbrk(grow);
    if (p == (char *)-1) {
        ut_fail("sbrk(12 MiB): errno %d", errno);
        return;
    }
    for (intptr_t off = 0; off < grow; off += (intptr_t)PAGE)
        p[off] = 1;
    if (ut_free_frames() + 3072 > before)
        ut_fail("12 MiB touched, yet only %lld frames fewer are free",
                (long long)(before - ut_free_frames()));
    sbrk(-grow);
    after = ut_free_frames_settled(before);
    if (after != before)
        ut_fail("free frames %llu before, %llu after growing, touching and shrinking the heap",
                (unsigned long long)before, (unsigned long long)after);
}

/* Let the kernel map (or copy) the pages of [p, p + pages) all in one
 * system call: read() prepares its whole buffer, though the file is short.
 * Much cheaper under emulation than a fault per page. */
static void prepare_by_read(char *p, intptr_t pages)
{
    int fd = open("numbers.txt", O_RDONLY);
    if (fd >= 0) {
        read(fd, p, (size_t)pages * PAGE);
        close(fd);
    }
}

/* A child of this process writes every page of a heap it shares with it
 * copy-on-write; exit 0 when it was killed by SIGKILL and the heap here
 * stayed as it was. `faults`: the child first has the kernel copy all but
 * 1500 of the pages it can get, so that memory runs out in a fault of its
 * own; otherwise it has the kernel copy them all, and runs out there. */
static int cow_victim(char *heap, intptr_t pages, int faults)
{
    fflush(stdout);
    int g = fork();
    if (g == 0) {
        intptr_t n = faults ? (intptr_t)ut_free_frames() - 1500 : pages;
        prepare_by_read(heap, n < 0 ? 0 : n < pages ? n : pages);
        for (intptr_t i = 0; i < pages; i++)
            heap[i * (intptr_t)PAGE] = 2; /* each a copy, until none can be had */
        _exit(3);
    }
    if (g < 0)
        return 4;
    int gst;
    if (waitpid(g, &gst, 0) != g)
        return 5;
    for (intptr_t i = 0; i < pages; i++)
        if (heap[i * (intptr_t)PAGE] != 1)
            return 6; /* the dying child's writes leaked into us */
    return WIFSIGNALED(gst) && WTERMSIG(gst) == SIGKILL ? 0 : WIFEXITED(gst) ? 7 : 8;
}

/* Memory runs out at a first touch (the stack, after a heap that took
 * nearly everything), at a copy-on-write fault and in a copy-on-write break
 * the kernel makes for read(): each time only that process is killed
 * (SIGKILL, with a line on the console), and everything comes back. */
static void t_oom_kills_faulting_process(void)
{
    uint64_t before = ut_free_frames_settled(ut_free_frames());
    int pid = ut_fork();
    if (pid == 0) {
        intptr_t free_now = (intptr_t)ut_free_frames();
        intptr_t pages = free_now - free_now / 512 - 300; /* room for its page tables */
        char *heap = sbrk(pages * (intptr_t)PAGE);
        if (heap == (char *)-1)
            _exit(2);
        prepare_by_read(heap, pages);
        deep_stack(0, 1 << 30); /* 8 MiB of stack: there are not that many frames left */
        _exit(3);
    }
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    int st = ut_reap(pid, "child exhausting memory with heap and stack");
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2)
        ut_fail("sbrk of all but 300 free frames failed");
    else
        ut_expect_signal(st, SIGKILL, "first touch with no memory left");
    uint64_t after = ut_free_frames_settled(before);
    if (after != before)
        ut_fail("free frames %llu before, %llu after the first-touch victim", (unsigned long long)before,
                (unsigned long long)after);

    for (int faults = 1; faults >= 0; faults--) {
        const char *how = faults ? "a copy-on-write fault" : "read() into copy-on-write pages";
        pid = ut_fork();
        if (pid == 0) {
            intptr_t pages = (intptr_t)ut_free_frames() * 3 / 5;
            char *heap = sbrk(pages * (intptr_t)PAGE);
            if (heap == (char *)-1)
                _exit(2);
            prepare_by_read(heap, pages);
            for (intptr_t i = 0; i < pages; i++)
                heap[i * (intptr_t)PAGE] = 1;
            _exit(cow_victim(heap, pages, faults));
        }
        if (pid < 0) {
            ut_fail("fork: errno %d", errno);
            return;
        }
        st = ut_reap(pid, "parent of the copy-on-write victim");
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 0) {
            static const char *why[] = { "sbrk of 3/5 of the free frames failed",
                                         "the child writing the shared heap was not killed",
                                         "fork failed", "waitpid failed",
                                         "the killed child's writes showed in the parent",
                                         "the child writing the shared heap exited normally",
                                         "the child writing the shared heap died of another signal" };
            int c = WEXITSTATUS(st);
            ut_fail("out of memory in %s: %s (exit %d)", how, c >= 2 && c <= 8 ? why[c - 2] : "?", c);
        } else {
            ut_expect_exit(st, 0, "parent of the copy-on-write victim");
        }
        after = ut_free_frames_settled(before);
        if (after != before)
            ut_fail("free frames %llu before, %llu after the victim of %s", (unsigned long long)before,
                    (unsigned long long)after, how);
    }
}

/* ======================================================================
 * The runner
 * ====================================================================== */

/* ======================================================================
 * The paths between user mode and the kernel: argument widths, offsets
 * and user RFLAGS (docs/abi.md "Argument widths" and "Flags"). Each must
 * leave the kernel running whatever a program puts in its registers.
 * ====================================================================== */

/* Flipping these bits of a sign-extended int leaves a register that is not
 * any int's sign extension: 0x100000000 for 0, 0xffffffff for -1. */
static const uint64_t int_flips[] = { 1ull << 32, 0xffffffff00000000ull };
#define JUNK 0x5a5a5a5a00000001ll /* in the registers a call does not use */

struct width_call {
    int nr;
    const char *name;
    const char *kinds; /* per argument: i = int, u = 64 bits */
    long args[5];      /* valid values */
    int check;         /* 0: not called as is; 1: returns `want`; 2: returns >= 0 */
    long want;
};

static long call_args(int nr, const long a[5])
{
    return raw_syscall(nr, a[0], a[1], a[2], a[3], a[4]);
}

/* Every call of abi.h with an int argument: with the upper half of each
 * int flipped it must fail with EINVAL and do nothing (close(0x100000000)
 * was a kernel page fault); with the int sign-extended, and junk in the
 * registers it does not use, it must give its ordinary result. */
static void t_abi_int_width(void)
{
    static int st;
    static struct abi_stat abst;
    static struct abi_procinfo pi;
    static struct abi_dirent de;
    static char buf[8];
    const struct width_call calls[] = {
        { SYS_exit, "exit", "i", { 0x63 }, 0, 0 },
        { SYS_waitpid, "waitpid", "iui", { -1, (long)&st, WNOHANG }, 1, -ECHILD },
        { SYS_kill, "kill", "ii", { -12345, SIGTERM }, 1, -ESRCH },
        { SYS_write, "write", "iuu", { 1, (long)buf, 0 }, 1, 0 },
        { SYS_read, "read", "iuu", { -1, (long)buf, 1 }, 1, -EBADF },
        { SYS_open, "open", "ui", { (long)"no-such-file", O_RDONLY }, 1, -ENOENT },
        { SYS_lseek, "lseek", "iui", { 0, 0, SEEK_SET }, 1, -ESPIPE },
        { SYS_fstat, "fstat", "iu", { 1, (long)&abst }, 1, 0 },
        { SYS_isatty, "isatty", "i", { 1 }, 1, 1 },
        { SYS_procinfo, "procinfo", "iu", { 0, (long)&pi }, 2, 0 },
        { SYS_readdir, "readdir", "iu", { 0, (long)&de }, 1, 1 },
        { SYS_setprio, "setprio", "ii", { 0, 4 }, 1, 0 },
        { SYS_setaffinity, "setaffinity", "ii", { 0, -1 }, 1, 0 },
        { SYS_close, "close", "i", { 0 }, 1, 0 }, /* last use of fd 0 */
        { SYS_poweroff, "poweroff", "i", { 0x55 }, 0, 0 },
    };
    for (unsigned c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        const struct width_call *w = &calls[c];
        long a[5];
        size_t n = strlen(w->kinds);
        for (int k = 0; k < 5; k++)
            a[k] = k < (int)n ? w->args[k] : JUNK;
        for (size_t k = 0; k < n; k++) {
            if (w->kinds[k] != 'i')
                continue;
            for (unsigned f = 0; f < sizeof int_flips / sizeof int_flips[0]; f++) {
                long b[5];
                memcpy(b, a, sizeof b);
                b[k] = (long)((uint64_t)a[k] ^ int_flips[f]);
                long r = call_args(w->nr, b);
                if (r != -EINVAL)
                    ut_fail("%s with argument %zu = 0x%llx: %ld, expected -EINVAL (%d)", w->name, k + 1,
                            (unsigned long long)b[k], r, -EINVAL);
            }
        }
        if (w->check) {
            long r = call_args(w->nr, a);
            if (w->check == 1 ? r != w->want : r < 0)
                ut_fail("%s with valid (sign-extended) arguments and junk in unused registers: %ld, "
                        "expected %s%ld", w->name, r, w->check == 1 ? "" : ">= ", w->want);
        }
    }

    /* The calls without int arguments ignore the registers they do not
     * use, and take their 64-bit arguments whole. */
    long pid = getpid();
    long r;
    if ((r = raw_syscall(SYS_getpid, JUNK, JUNK, JUNK, JUNK, JUNK)) != pid)
        ut_fail("getpid with junk in every register: %ld, expected %ld", r, pid);
    if ((r = raw_syscall(SYS_getppid, JUNK, JUNK, JUNK, JUNK, JUNK)) != getppid())
        ut_fail("getppid with junk in every register: %ld", r);
    if ((r = raw_syscall(SYS_getcpu, JUNK, JUNK, JUNK, JUNK, JUNK)) < 0 || r >= (long)si.ncpus)
        ut_fail("getcpu with junk in every register: %ld", r);
    if ((r = raw_syscall(SYS_sched_yield, JUNK, JUNK, JUNK, JUNK, JUNK)) != 0)
        ut_fail("sched_yield with junk in every register: %ld", r);
    static uint64_t ns;
    static struct abi_tms tms;
    static struct abi_timeval tv;
    static const struct { int nr; const char *name; void *p; } ptr_calls[] = {
        { SYS_uptime, "uptime", &ns }, { SYS_times, "times", &tms },
        { SYS_sysinfo, "sysinfo", &si }, { SYS_gettimeofday, "gettimeofday", &tv },
    };
    for (unsigned i = 0; i < sizeof ptr_calls / sizeof ptr_calls[0]; i++) {
        /* a good pointer with a high bit set is a different (kernel or
         * non-canonical) address: EFAULT, not the good pointer */
        for (int bit = 32; bit < 64; bit += 31) {
            long p = (long)((uint64_t)(uintptr_t)ptr_calls[i].p | (1ull << bit));
            if ((r = raw_syscall(ptr_calls[i].nr, p, JUNK, JUNK, JUNK, JUNK)) != -EFAULT)
                ut_fail("%s(0x%lx): %ld, expected -EFAULT", ptr_calls[i].name, p, r);
        }
        if ((r = raw_syscall(ptr_calls[i].nr, (long)ptr_calls[i].p, JUNK, JUNK, JUNK, JUNK)) < 0)
            ut_fail("%s(good pointer) with junk in the unused registers: %ld", ptr_calls[i].name, r);
    }
    long path = (long)((uint64_t)(uintptr_t)"ut_args" | (1ull << 32));
    if ((r = raw_syscall(SYS_execve, path, 0, 0, JUNK, JUNK)) != -EFAULT)
        ut_fail("execve(\"ut_args\" | 1 << 32): %ld, expected -EFAULT", r);
    if ((r = raw_syscall(SYS_sbrk, (long)1 << 62, JUNK, 0, 0, 0)) != -ENOMEM)
        ut_fail("sbrk(1 << 62): %ld, expected -ENOMEM", r);
    if ((r = raw_syscall(SYS_sbrk, LONG_MIN, JUNK, 0, 0, 0)) != -ENOMEM)
        ut_fail("sbrk(LONG_MIN): %ld, expected -ENOMEM", r);

    /* The call number is all of rax. */
    if ((r = raw_syscall((long)((1ull << 32) | SYS_getpid), 0, 0, 0, 0, 0)) != -ENOSYS)
        ut_fail("call number 0x100000000 + SYS_getpid: %ld, expected -ENOSYS", r);
    if ((r = raw_syscall(-1, 0, 0, 0, 0, 0)) != -ENOSYS)
        ut_fail("call number -1: %ld, expected -ENOSYS", r);
    if ((r = raw_syscall(SYS_COUNT, 0, 0, 0, 0, 0)) != -ENOSYS)
        ut_fail("call number SYS_COUNT: %ld, expected -ENOSYS", r);
}

/* sleep_ms(UINT64_MAX): ms * 10^6 must not wrap around into a sleep that
 * is over at once. The child should still be asleep when it is killed. */
static void t_sleep_huge(void)
{
    int pid = ut_fork();
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        return;
    }
    if (pid == 0)
        _exit((int)raw_syscall(SYS_sleep, -1, 0, 0, 0, 0) == 0 ? 3 : 4);
    int late;
    int st = ut_reap_within(pid, 500, &late);
    if (st != -1 && !late)
        ut_fail("sleep_ms(UINT64_MAX) returned within 500 ms: child %s (3: it returned 0)", ut_status_str(st));
    else
        ut_expect_signal(st, SIGKILL, "sleep_ms(UINT64_MAX), killed");
}

/* lseek offsets near INT64_MAX: base + offset must not wrap around. */
static void t_lseek_overflow(void)
{
    int fd = open("numbers.txt", O_RDONLY);
    if (fd < 0) {
        ut_fail("open numbers.txt: errno %d", errno);
        return;
    }
    long r;
    if ((r = raw_syscall(SYS_lseek, fd, LONG_MAX, SEEK_SET, 0, 0)) != LONG_MAX)
        ut_fail("lseek(fd, INT64_MAX, SEEK_SET): %ld, expected INT64_MAX", r);
    if ((r = raw_syscall(SYS_lseek, fd, 1, SEEK_CUR, 0, 0)) != -EINVAL)
        ut_fail("lseek(fd, 1, SEEK_CUR) at INT64_MAX: %ld, expected -EINVAL", r);
    if ((r = raw_syscall(SYS_lseek, fd, LONG_MAX, SEEK_CUR, 0, 0)) != -EINVAL)
        ut_fail("lseek(fd, INT64_MAX, SEEK_CUR) at INT64_MAX: %ld, expected -EINVAL", r);
    if ((r = raw_syscall(SYS_lseek, fd, 0, SEEK_CUR, 0, 0)) != LONG_MAX)
        ut_fail("the failed seeks moved the offset: now %ld, expected INT64_MAX", r);
    char c;
    if ((r = raw_syscall(SYS_read, fd, (long)&c, 1, 0, 0)) != 0)
        ut_fail("read at offset INT64_MAX: %ld, expected 0 (end of file)", r);
    if ((r = raw_syscall(SYS_lseek, fd, LONG_MAX, SEEK_END, 0, 0)) != -EINVAL)
        ut_fail("lseek(fd, INT64_MAX, SEEK_END): %ld, expected -EINVAL", r);
    if ((r = raw_syscall(SYS_lseek, fd, LONG_MIN, SEEK_END, 0, 0)) != -EINVAL)
        ut_fail("lseek(fd, INT64_MIN, SEEK_END): %ld, expected -EINVAL", r);
    if ((r = raw_syscall(SYS_lseek, fd, LONG_MIN, SEEK_CUR, 0, 0)) != -EINVAL)
        ut_fail("lseek(fd, INT64_MIN, SEEK_CUR): %ld, expected -EINVAL", r);
    if ((r = raw_syscall(SYS_lseek, fd, 0, SEEK_SET, 0, 0)) != 0 ||
        (r = raw_syscall(SYS_read, fd, (long)&c, 1, 0, 0)) != 1)
        ut_fail("after the seeks, seek to 0 and read 1 byte: %ld", r);
    close(fd);
}

#define UF_CF 0x1ull
#define UF_TF 0x100ull
#define UF_IF 0x200ull
#define UF_DF 0x400ull
#define UF_IOPL 0x3000ull
#define UF_NT 0x4000ull
#define UF_AC 0x40000ull
#define UF_ID 0x200000ull

/* Set `set` in RFLAGS, make the system call nr (no arguments), read RFLAGS
 * right after it, then clear `set` again. Returns the call's result. */
static long syscall_with_flags(uint64_t set, long nr, uint64_t *after)
{
    long r = nr;
    uint64_t a;
    __asm__ volatile("pushfq\n\t"
                     "orq %[set], (%%rsp)\n\t"
                     "popfq\n\t"
                     "syscall\n\t"
                     "pushfq\n\t"
                     "popq %[a]\n\t"
                     "pushfq\n\t"
                     "andq %[keep], (%%rsp)\n\t"
                     "popfq\n\t"
                     : "+a"(r), [a] "=&r"(a)
                     : [set] "r"(set), [keep] "r"(~set)
                     : "rcx", "r11", "rdi", "rsi", "rdx", "r10", "r8", "r9", "memory", "cc");
    *after = a;
    return r;
}

/* Spin with `set` in RFLAGS for n iterations (timer interrupts come and
 * go meanwhile); RFLAGS at the end, before `set` is cleared again. */
static uint64_t spin_with_flags(uint64_t set, unsigned long n)
{
    uint64_t a;
    __asm__ volatile("pushfq\n\t"
                     "orq %[set], (%%rsp)\n\t"
                     "popfq\n\t"
                     "1: dec %[n]\n\t"
                     "jnz 1b\n\t"
                     "pushfq\n\t"
                     "popq %[a]\n\t"
                     "pushfq\n\t"
                     "andq %[keep], (%%rsp)\n\t"
                     "popfq\n\t"
                     : [n] "+r"(n), [a] "=&r"(a)
                     : [set] "r"(set), [keep] "r"(~set)
                     : "memory", "cc");
    return a;
}

/* In a child: set `set` in RFLAGS and do `what`, which must end it. */
enum flag_fault { FF_INT3, FF_UD2, FF_NULL_WRITE, FF_NOP, FF_SYSCALL, FF_CLI };
static _Noreturn void fault_with_flags(uint64_t set, enum flag_fault what)
{
    volatile int *null = hide(0);
    uint64_t after;
    switch (what) {
    case FF_INT3:
        __asm__ volatile("pushfq; orq %0, (%%rsp); popfq; int3" ::"r"(set) : "memory", "cc");
        break;
    case FF_UD2:
        __asm__ volatile("pushfq; orq %0, (%%rsp); popfq; ud2" ::"r"(set) : "memory", "cc");
        break;
    case FF_NULL_WRITE:
        __asm__ volatile("pushfq; orq %0, (%%rsp); popfq; movl $1, (%1)" ::"r"(set), "r"(null)
                         : "memory", "cc");
        break;
    case FF_NOP:
        __asm__ volatile("pushfq; orq %0, (%%rsp); popfq; nop; nop" ::"r"(set) : "memory", "cc");
        break;
    case FF_SYSCALL:
        syscall_with_flags(set, SYS_getpid, &after);
        break;
    case FF_CLI:
        __asm__ volatile("pushfq; orq %0, (%%rsp); popfq; cli" ::"r"(set) : "memory", "cc");
        break;
    }
    _exit(4);
}

static const struct flag_case {
    const char *name;
    uint64_t set;
} flag_cases[] = {
    { "NT", UF_NT }, { "AC", UF_AC }, { "DF", UF_DF }, { "IOPL=3", UF_IOPL },
    { "ID", UF_ID }, { "CF", UF_CF }, { "NT|AC|DF|IOPL", UF_NT | UF_AC | UF_DF | UF_IOPL },
};
#define NFLAGCASES (sizeof flag_cases / sizeof flag_cases[0])

/* User RFLAGS before `syscall`, during interrupts and before a fault: the
 * program survives what it may do (NT before syscall used to reset the
 * machine), gets the documented signal for a fault, its own flags back
 * except NT and IOPL, and the kernel lives on. The kernel checks on every
 * entry that AC and DF are clear in kernel mode (trap.c trap_entry_check):
 * a path that lets a user's AC through panics here. */
static void t_rflags_entry(void)
{
    long pid = getpid();
    for (unsigned i = 0; i < NFLAGCASES; i++) {
        const struct flag_case *c = &flag_cases[i];
        uint64_t set = c->set, after = 0;
        long r = syscall_with_flags(set, SYS_getpid, &after);
        if (r != pid)
            ut_fail("%s set, getpid: %ld, expected %ld", c->name, r, pid);
        uint64_t kept = set & (UF_AC | UF_DF | UF_ID | UF_CF);
        if ((after & kept) != kept)
            ut_fail("%s set, after syscall RFLAGS 0x%llx: lost 0x%llx", c->name, (unsigned long long)after,
                    (unsigned long long)(kept & ~after));
        if (after & (UF_NT | UF_IOPL))
            ut_fail("%s set, after syscall RFLAGS 0x%llx: NT or IOPL set", c->name, (unsigned long long)after);
        if (!(after & UF_IF))
            ut_fail("%s set, after syscall RFLAGS 0x%llx: IF clear", c->name, (unsigned long long)after);

        /* Timer interrupts from user mode with the flags set: spin for at
         * least 100 ms of uptime (several ticks) in short stretches. */
        uint64_t end = uptime_ns() + 100 * MS;
        do {
            after = spin_with_flags(set, 200000);
            if ((after & kept) != kept || !(after & UF_IF) || (after & UF_IOPL))
                ut_fail("%s set, after a spin RFLAGS 0x%llx", c->name, (unsigned long long)after);
        } while (uptime_ns() < end && !ut_failures());
    }

    /* Faults with the flags set end only the faulting child. */
    static const struct { enum flag_fault what; const char *name; int sig; } faults[] = {
        { FF_INT3, "int3", SIGSEGV }, /* INT3 through a DPL 0 gate: #GP */
        { FF_UD2, "ud2", SIGILL },
        { FF_NULL_WRITE, "null write", SIGSEGV },
        { FF_CLI, "cli", SIGSEGV },   /* IOPL stays 0 */
    };
    for (unsigned i = 0; i < NFLAGCASES; i++)
        for (unsigned f = 0; f < sizeof faults / sizeof faults[0]; f++) {
            char what[64];
            snprintf(what, sizeof what, "%s set, then %s", flag_cases[i].name, faults[f].name);
            int child = ut_fork();
            if (child < 0) {
                ut_fail("fork: errno %d", errno);
                return;
            }
            if (child == 0)
                fault_with_flags(flag_cases[i].set, faults[f].what);
            ut_expect_signal(ut_reap(child, what), faults[f].sig, what);
        }

    /* TF: the single-step trap comes in user mode, after the first
     * instruction (SYSCALL's FMASK keeps it out of the kernel); like any
     * exception without a signal of its own it ends the process with
     * SIGSEGV. */
    static const struct { enum flag_fault what; const char *name; } tf_cases[] = {
        { FF_NOP, "TF set, then nop" }, { FF_SYSCALL, "TF set, then syscall" },
        { FF_INT3, "TF set, then int3" },
    };
    for (unsigned i = 0; i < sizeof tf_cases / sizeof tf_cases[0]; i++) {
        int child = ut_fork();
        if (child < 0) {
            ut_fail("fork: errno %d", errno);
            return;
        }
        if (child == 0)
            fault_with_flags(UF_TF | UF_AC | UF_NT, tf_cases[i].what);
        ut_expect_signal(ut_reap(child, tf_cases[i].name), SIGSEGV, tf_cases[i].name);
    }
    check_still_fine("faults with user RFLAGS set");
}

/* ---- CPUs and organisations: setaffinity, where handlers run ---- */

/* A counter of the running organisation (sysinfo().stat[]), or -1. */
static long long model_stat(const struct abi_sysinfo *s, const char *name, int cpu)
{
    for (unsigned i = 0; i < s->nstats && i < ABI_MAX_MODEL_STATS; i++)
        if (s->stat[i].cpu == cpu && strncmp(s->stat[i].name, name, sizeof s->stat[i].name) == 0)
            return (long long)s->stat[i].value;
    return -1;
}

static int runs_kernel(const struct abi_sysinfo *s, int cpu)
{
    return (s->cpu[cpu].flags & ABI_CPU_F_RUNS_KERNEL) != 0;
}

/* A CPU that has not failed (cpufail): the tests below run on the CPUs
 * that are left after one failed on purpose. */
static int cpu_live(const struct abi_sysinfo *s, int cpu)
{
    return s->cpu[cpu].state != ABI_CPU_FAILED && s->cpu[cpu].state != ABI_CPU_OFFLINE;
}

/* A CPU this process may be pinned to: it runs user processes, of this
 * OS instance (private: only the caller's own CPU), and it is alive. */
static int may_pin_to(const struct abi_sysinfo *s, int cpu)
{
    return (s->cpu[cpu].flags & ABI_CPU_F_RUNS_USER) && s->cpu[cpu].os_instance == s->os_instance &&
           cpu_live(s, cpu);
}

static int last_pinnable(const struct abi_sysinfo *s)
{
    int last = 0;
    for (int cpu = 0; cpu < (int)s->ncpus; cpu++)
        if (may_pin_to(s, cpu))
            last = cpu;
    return last;
}

/* In a child pinned to `cpu`: the kernel must act on this process, in this
 * address space, whichever CPU runs the handlers. Exit codes name the
 * first thing that went wrong; getpid() & 0x7f when all is well. */
static volatile int cow_word = 1234;
static void pinned_child(int cpu, int parent)
{
    if (setaffinity(0, cpu) != 0)
        _exit(101);
    for (int i = 0; i < 20; i++) {
        if (getcpu() != cpu)
            _exit(102);
        sys_yield();
    }
    if (getppid() != parent)
        _exit(103);
    /* sbrk, then touch: each new page is a demand-zero fault, handled
     * wherever the organisation handles faults. */
    unsigned char *mem = sbrk(3 * PAGE);
    if (mem == (void *)-1)
        _exit(104);
    for (unsigned i = 0; i < 3 * PAGE; i++)
        if (mem[i] != 0)
            _exit(105);
    for (unsigned i = 0; i < 3 * PAGE; i++)
        mem[i] = (unsigned char)(i * 7 + cpu);
    for (unsigned i = 0; i < 3 * PAGE; i++)
        if (mem[i] != (unsigned char)(i * 7 + cpu))
            _exit(106);
    /* fork: the child inherits the affinity and a copy of the memory */
    int me = getpid();
    int child = fork();
    if (child == 0) {
        if (getcpu() != cpu || getppid() != me)
            _exit(1);
        cow_word = 99;
        mem[5] = 0xEE;
        _exit(mem[6] == (unsigned char)(6 * 7 + cpu) ? 0 : 2);
    }
    int st;
    if (child < 0 || waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        _exit(107);
    if (cow_word != 1234 || mem[5] != (unsigned char)(5 * 7 + cpu))
        _exit(108);
    /* exec from here: the new program is this process, still pinned */
    char *pid_argv[] = { "ut_args", "pid", NULL };
    child = fork();
    if (child == 0) {
        execve("ut_args", pid_argv, no_env);
        _exit(3);
    }
    if (child < 0 || waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != (child & 0x7f))
        _exit(109);
    if (sleep_ms(3) != 0 || getcpu() != cpu)
        _exit(110);
    _exit(getpid() & 0x7f);
}

static void t_affinity(void)
{
    get_sysinfo();
    int n = (int)si.ncpus, parent = getpid();
    for (int cpu = 0; cpu < n; cpu++) {
        if (!may_pin_to(&si, cpu)) {
            long r = raw_syscall(SYS_setaffinity, 0, cpu, 0, 0, 0);
            if (r != -EINVAL)
                ut_fail("setaffinity(0, %d), a CPU that runs no user processes of this instance: %ld, expected -EINVAL",
                        cpu, r);
            continue;
        }
        int pid = ut_fork();
        if (pid < 0) {
            ut_fail("fork: errno %d", errno);
            return;
        }
        if (pid == 0)
            pinned_child(cpu, parent);
        char what[48];
        snprintf(what, sizeof what, "child pinned to CPU %d", cpu);
        ut_expect_exit(ut_reap(pid, what), pid & 0x7f, what);
    }
    /* errors */
    long r;
    if ((r = raw_syscall(SYS_setaffinity, 0, n, 0, 0, 0)) != -EINVAL)
        ut_fail("setaffinity(0, %d) (no such CPU) = %ld, expected -EINVAL", n, r);
    if ((r = raw_syscall(SYS_setaffinity, 0, -2, 0, 0, 0)) != -EINVAL)
        ut_fail("setaffinity(0, -2) = %ld, expected -EINVAL", r);
    if ((r = raw_syscall(SYS_setaffinity, 0, 0x100000000L, 0, 0, 0)) != -EINVAL)
        ut_fail("setaffinity(0, 1 << 32) = %ld, expected -EINVAL (an int argument)", r);
    int last = last_pinnable(&si);
    if ((r = raw_syscall(SYS_setaffinity, 999999, last, 0, 0, 0)) != -ESRCH)
        ut_fail("setaffinity(999999, %d) = %ld, expected -ESRCH", last, r);
    if ((r = raw_syscall(SYS_setaffinity, 1, last, 0, 0, 0)) != 0)
        ut_fail("setaffinity(1, %d) (init) = %ld", last, r);
    raw_syscall(SYS_setaffinity, 1, -1, 0, 0, 0); /* init: back to anywhere */
    /* pin another process: a sleeping child moves when it wakes */
    int pid = ut_fork();
    if (pid == 0) {
        sleep_ms(100);
        _exit(getcpu());
    }
    if (pid > 0) {
        if (setaffinity(pid, last) != 0)
            ut_fail("setaffinity(child %d, %d): errno %d", pid, last, errno);
        ut_expect_exit(ut_reap(pid, "child pinned by its parent"), last, "the CPU the pinned child ran on");
    }
    /* pin a busy child over and over while it runs, waits on the ready
     * list or sits in a CPU's slot: it must never run its code on a CPU
     * that runs no user processes (leader_runs_user=0: the leader) */
    int user_cpus[ABI_MAX_CPUS], nu = 0;
    for (int cpu = 0; cpu < n; cpu++)
        if (may_pin_to(&si, cpu))
            user_cpus[nu++] = cpu;
    uint32_t forbidden = 0;
    for (int cpu = 0; cpu < n && cpu < 32; cpu++)
        if (!may_pin_to(&si, cpu))
            forbidden |= 1u << cpu;
    int busy[3];
    for (int i = 0; i < 3; i++) {
        busy[i] = ut_fork();
        if (busy[i] == 0) {
            int bad = 0;
            for (int i = 0; i < 10000; i++) { /* only getcpu(): it is the first call after any move */
                int c = getcpu();
                if (c < 32 && (forbidden >> c & 1))
                    bad++;
            }
            _exit(bad ? 1 : 0);
        }
    }
    for (int k = 0; k < 100; k++) {
        int who = busy[k % 3];
        if (who > 0 && setaffinity(who, k % 4 == 3 ? -1 : user_cpus[k % nu]) != 0 && errno != ESRCH)
            ut_fail("setaffinity(busy child %d): errno %d", who, errno);
        sleep_ms(2);
    }
    for (int i = 0; i < 3; i++)
        if (busy[i] > 0)
            ut_expect_exit(ut_reap(busy[i], "busy child pinned while it ran"), 0,
                           "busy child (1: its code ran on a CPU that runs no user processes)");
    if (setaffinity(0, -1) != 0)
        ut_fail("setaffinity(0, -1): errno %d", errno);
}

/* Where system-call handlers run. A process pinned to each CPU in turn
 * makes CALLS calls: a CPU that runs kernel code runs them itself; one
 * that does not (a follower under `leader`) must run none, nor take any
 * lock over the kernel's tables, and the CPUs that run kernel code run
 * them instead. */
#define CALLS 400
static void t_handlers_where(void)
{
    static struct abi_sysinfo before;
    if (sysinfo(&before) != 0) {
        ut_fail("sysinfo: errno %d", errno);
        return;
    }
    int n = (int)before.ncpus, offloaded = 0, user_cpus = 0;
    for (int cpu = 0; cpu < n; cpu++) {
        if (!may_pin_to(&before, cpu))
            continue; /* leader_runs_user=0, or another instance (private) */
        user_cpus++;
        int pid = ut_fork();
        if (pid == 0) {
            if (setaffinity(0, cpu) != 0)
                _exit(1);
            for (int i = 0; i < CALLS; i++)
                if (getpid() <= 0)
                    _exit(2);
            _exit(getcpu() == cpu ? 0 : 3);
        }
        ut_expect_exit(ut_reap(pid, "pinned caller"), 0, "pinned caller");
        offloaded += runs_kernel(&before, cpu) ? 0 : CALLS;
    }
    get_sysinfo();
    unsigned long long by_kernel_cpus = 0;
    int outsiders = 0, live = 0;
    for (int cpu = 0; cpu < n; cpu++) {
        unsigned long long h = si.cpu[cpu].handlers - before.cpu[cpu].handlers;
        if (!cpu_live(&si, cpu))
            continue; /* failed (cpufail): nothing runs there any more */
        live++;
        if (runs_kernel(&si, cpu)) {
            by_kernel_cpus += h;
            continue;
        }
        outsiders++;
        if (si.cpu[cpu].handlers != 0 || si.cpu[cpu].table_locks != 0)
            ut_fail("CPU %d (%.12s) does not run kernel code, but ran %llu handlers and took %llu table locks", cpu,
                    si.cpu[cpu].role, (unsigned long long)si.cpu[cpu].handlers,
                    (unsigned long long)si.cpu[cpu].table_locks);
        if (si.cpu[cpu].syscalls == before.cpu[cpu].syscalls)
            ut_fail("CPU %d: no system call started there, though a process pinned to it made %d", cpu, CALLS);
    }
    if (by_kernel_cpus < (unsigned long long)user_cpus * CALLS)
        ut_fail("the CPUs that run kernel code ran %llu handlers, expected at least %d", by_kernel_cpus,
                user_cpus * CALLS);
    if (strncmp(si.model, "leader", sizeof si.model) == 0 && live > 1 && outsiders != live - 1)
        ut_fail("leader: %d CPUs keep out of the kernel, expected every live follower (%d)", outsiders, live - 1);
    ut_note("%d of %d CPUs stay out of the kernel; %d calls were run for them elsewhere", outsiders, n, offloaded);
}

/* Every CPU's processes call the kernel at once; under `leader` every one
 * of those requests reaches the leader's mailbox exactly once: each call
 * gets its own answer, and afterwards every follower's requests were all
 * taken (forwarded == taken). */
#define FLOOD_PER_CPU 3
#define FLOOD_CALLS 1500
static void t_request_flood(void)
{
    static struct abi_sysinfo before;
    if (sysinfo(&before) != 0) {
        ut_fail("sysinfo: errno %d", errno);
        return;
    }
    int n = (int)before.ncpus, pids[FLOOD_PER_CPU * ABI_MAX_CPUS], np = 0, user_cpu[ABI_MAX_CPUS], nuser = 0;
    for (int cpu = 0; cpu < n; cpu++)
        if (may_pin_to(&before, cpu))
            user_cpu[nuser++] = cpu;
    uint64_t start = uptime_ns() + 200 * MS;
    for (int i = 0; i < nuser * FLOOD_PER_CPU; i++) {
        int pid = ut_fork();
        if (pid == 0) {
            if (setaffinity(0, user_cpu[i % nuser]) != 0)
                _exit(1);
            int me = getpid();
            while (uptime_ns() < start) /* all start together */
                ;
            for (int k = 0; k < FLOOD_CALLS; k++)
                if (getpid() != me)
                    _exit(2);
            _exit(0);
        }
        if (pid < 0) {
            ut_fail("fork: errno %d", errno);
            break;
        }
        pids[np++] = pid;
    }
    for (int i = 0; i < np; i++)
        ut_expect_exit(ut_reap(pids[i], "flooding caller"), 0, "flooding caller");
    get_sysinfo();
    unsigned long long forwarded = 0;
    int followers = 0;
    for (int cpu = 0; cpu < n; cpu++) {
        long long f = model_stat(&si, "forwarded", cpu), t = model_stat(&si, "taken", cpu);
        if (f < 0 || !cpu_live(&si, cpu))
            continue; /* not a follower, or a failed one (cpufail) */
        followers++;
        if (f != t)
            ut_fail("CPU %d forwarded %lld requests but the leader took %lld", cpu, f, t);
        forwarded += (unsigned long long)(f - model_stat(&before, "forwarded", cpu));
    }
    unsigned long long want = (unsigned long long)followers * FLOOD_PER_CPU * FLOOD_CALLS;
    if (forwarded < want)
        ut_fail("%llu requests forwarded, expected at least %llu", forwarded, want);
    ut_note("%d processes x %d calls; %llu requests forwarded by %d followers, queue max %lld", np, FLOOD_CALLS,
            forwarded, followers, model_stat(&si, "queue_max", -1));
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* More CPU-bound processes than CPUs, none pinned: no CPU may stay idle
 * while processes wait. Organisations that keep the count (leader:
 * idle_while_waiting per follower, checked after every assignment the
 * leader makes) must not count a single case. The processes spin on the
 * time-stamp counter, making no system call. */
static void t_no_idle_while_waiting(void)
{
    get_sysinfo();
    int n = 0, pids[ABI_MAX_CPUS + 2]; /* n: the CPUs this instance's processes share */
    for (int cpu = 0; cpu < (int)si.ncpus; cpu++)
        n += si.cpu[cpu].os_instance == si.os_instance;
    int nproc = n + 2;
    long long before = 0, after = 0;
    int counted = 0;
    for (int cpu = 0; cpu < (int)si.ncpus; cpu++) {
        long long v = model_stat(&si, "idle_while_waiting", cpu);
        if (v >= 0) {
            before += v;
            counted = 1;
        }
    }
    uint64_t t0 = rdtsc();
    sleep_ms(100);
    uint64_t per_s = (rdtsc() - t0) * 10;
    for (int i = 0; i < nproc; i++) {
        int pid = ut_fork();
        if (pid == 0) {
            uint64_t end = rdtsc() + per_s;
            while (rdtsc() < end)
                ;
            _exit(0);
        }
        pids[i] = pid;
    }
    for (int i = 0; i < nproc; i++)
        if (pids[i] > 0)
            ut_expect_exit(ut_reap(pids[i], "spinner"), 0, "spinner");
    get_sysinfo();
    for (int cpu = 0; cpu < (int)si.ncpus; cpu++) {
        long long v = model_stat(&si, "idle_while_waiting", cpu);
        if (v >= 0)
            after += v;
    }
    if (counted && after != before)
        ut_fail("%lld times the organisation left a CPU idle while %d spinners waited for %d CPUs", after - before, nproc,
                n);
    if (!counted)
        ut_note("the %.16s organisation keeps no idle-while-waiting count", si.model);
}

/* ---- kernel code in parallel, the balancer, stress ---- */

static long test_rendezvous(uint64_t ms)
{
    return raw_syscall(SYS_test_rendezvous, (long)ms, 0, 0, 0, 0);
}

/* Two processes on two CPUs enter a system call that waits, inside the
 * kernel, for the other to arrive. Under `fine` both are inside at once;
 * under `bkl` never (the first holds the big lock until it gives up).
 * The expectation is the test's, chosen by the organisation's name. */
static void t_parallel_kernel(void)
{
    get_sysinfo();
    int expect = 0;
    if (strncmp(si.model, "fine", sizeof si.model) == 0)
        expect = 2;
    else if (strncmp(si.model, "bkl", sizeof si.model) == 0)
        expect = 1;
    if (si.ncpus < 2 || expect == 0) {
        ut_note("skipped: needs 2 CPUs and model bkl or fine (%u CPUs, %.16s)", (unsigned)si.ncpus, si.model);
        return;
    }
    if (setaffinity(0, 0) != 0)
        ut_fail("setaffinity(0, 0): errno %d", errno);
    int pid = ut_fork();
    if (pid == 0) { /* moved to CPU 1 by the parent; there before it enters the kernel */
        for (int i = 0; i < 1000 && getcpu() != 1; i++)
            sys_yield();
        if (getcpu() != 1)
            _exit(90);
        _exit((int)test_rendezvous(2000));
    }
    if (pid < 0) {
        ut_fail("fork: errno %d", errno);
        setaffinity(0, -1);
        return;
    }
    /* The child inherited CPU 0; it must not wait behind this process's
     * rendezvous there (a system call is not preempted), so it goes to
     * CPU 1 before this one enters the kernel to wait. */
    if (setaffinity(pid, 1) != 0)
        ut_fail("setaffinity(child, 1): errno %d", errno);
    int cpu = getcpu();
    long mine = test_rendezvous(2000);
    int st = ut_reap(pid, "rendezvous child");
    setaffinity(0, -1);
    if (cpu != 0)
        ut_fail("the parent ran on CPU %d, not 0", cpu);
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 90)
        ut_fail("the child could not move to CPU 1");
    else if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != expect || mine != expect)
        ut_fail("under %.16s: %ld and %s inside the kernel at once, expected %d for both", si.model, mine,
                st == -1 ? "?" : ut_status_str(st), expect);
}

/* Spinning children, all started on CPU 0 (pinned there, then let go):
 * after some balancing periods every CPU has a load within one of every
 * other's, and the watch's violation count stops growing. */
static void t_balancer(void)
{
    get_sysinfo();
    long long period = model_stat(&si, "fine.balance_ms", -1);
    if (si.ncpus < 2 || period <= 0) {
        ut_note("skipped: needs 2 CPUs and fine's per-CPU queues (%.16s)", si.model);
        return;
    }
    int ncpu = (int)si.ncpus, live = 0;
    for (int c = 0; c < ncpu; c++)
        live += cpu_live(&si, c);
    int n = 4 * live;
    int kids[4 * ABI_MAX_CPUS];
    if (n > 48)
        n = 48;
    setaffinity(0, 0);
    for (int i = 0; i < n; i++) {
        kids[i] = ut_fork();
        if (kids[i] == 0)
            spin_until_killed();
        if (kids[i] < 0) {
            ut_fail("fork %d: errno %d", i, errno);
            n = i;
            break;
        }
    }
    sleep_ms((uint64_t)n * 30); /* each runs on CPU 0 at least once: that is where they belong now */
    for (int i = 0; i < n; i++) /* all queued on CPU 0: let them go */
        if (setaffinity(kids[i], -1) != 0)
            ut_fail("setaffinity(%d, -1): errno %d", kids[i], errno);
    setaffinity(0, -1);
    int balanced = 0, spread = 0;
    for (int round = 0; round < 100 && !balanced; round++) {
        sleep_ms((uint64_t)period * 3);
        get_sysinfo();
        int lo = 1 << 30, hi = -1, me = getcpu();
        for (int c = 0; c < ncpu; c++) {
            if (!cpu_live(&si, c))
                continue; /* failed: the balancer gives it nothing */
            int load = (int)si.cpu[c].ready + (si.cpu[c].state == ABI_CPU_RUNNING && c != me);
            lo = load < lo ? load : lo;
            hi = load > hi ? load : hi;
        }
        spread = hi - lo;
        balanced = spread <= 1;
    }
    if (!balanced)
        ut_fail("%d spinners on %d CPUs: loads still %d apart after 100 checks", n, live, spread);
    long long v1 = model_stat(&si, "fine.violations", -1);
    sleep_ms((uint64_t)period * 10);
    get_sysinfo();
    long long v2 = model_stat(&si, "fine.violations", -1);
    if (v2 != v1)
        ut_fail("the idle-while-work-waits count grew from %lld to %lld in 10 more periods", v1, v2);
    long long moved = 0;
    for (int c = 0; c < ncpu; c++)
        moved += model_stat(&si, "fine.migrations", c);
    ut_note("%d spinners balanced to loads within %d; %lld migrations so far", n, spread, moved);
    for (int i = 0; i < n; i++)
        kill(kids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        ut_reap(kids[i], "spinner");
}

/* Every CPU at once: fork, exec, exit, wait, kill and sbrk, a fixed number
 * of operations each. The kernel's lost-wakeup watchdog (sysinfo) must not
 * have seen a waiter asleep past its deadline with its event signalled, no
 * worker may hang, and no frame may be lost. */
#define STRESS_ROUNDS 12
static void stress_worker(int w)
{
    for (int i = 0; i < STRESS_ROUNDS; i++) {
        char code[8];
        snprintf(code, sizeof code, "%d", (w + i) % 100);
        char *argv[] = { "ut_args", "exit", code, NULL };
        int a = fork();
        if (a == 0) {
            execve("ut_args", argv, no_env);
            _exit(99);
        }
        int b = fork();
        if (b == 0)
            linger();
        char *p = sbrk(8 * PAGE);
        if (p == (char *)-1)
            _exit(110);
        for (int k = 0; k < 8; k++)
            p[k * PAGE] = (char)k;
        if (b > 0 && kill(b, SIGKILL) != 0)
            _exit(111);
        int st;
        if (a < 0 || waitpid(a, &st, 0) != a || !WIFEXITED(st) || WEXITSTATUS(st) != (w + i) % 100)
            _exit(112);
        if (b < 0 || waitpid(b, &st, 0) != b || !WIFSIGNALED(st))
            _exit(113);
        sbrk(-8 * PAGE);
    }
    _exit(0);
}

static void t_stress_all_cpus(void)
{
    get_sysinfo();
    int workers = (int)si.ncpus * 2;
    if (workers > 16)
        workers = 16;
    uint64_t before = ut_free_frames_settled(ut_free_frames());
    uint32_t lost_before = si.lost_wakeups;
    int pids[16];
    for (int w = 0; w < workers; w++) {
        pids[w] = ut_fork();
        if (pids[w] == 0)
            stress_worker(w);
        if (pids[w] < 0) {
            ut_fail("fork of worker %d: errno %d", w, errno);
            workers = w;
            break;
        }
    }
    /* Reap the workers, watching the kernel's watchdog meanwhile: a lost
     * wakeup fails the test at once (the waiter would sleep forever). */
    int left = workers, lost = 0;
    uint64_t end = uptime_ns() + 90000 * MS;
    while (left > 0 && uptime_ns() < end && !lost) {
        int st, r = waitpid(-1, &st, WNOHANG);
        if (r > 0) {
            int w = 0;
            while (w < workers && pids[w] != r)
                w++;
            if (w == workers)
                continue;
            pids[w] = -1;
            left--;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                ut_fail("worker %d: %s", w, ut_status_str(st));
            continue;
        }
        sleep_ms(20);
        get_sysinfo();
        lost = si.lost_wakeups != lost_before;
    }
    if (lost)
        ut_fail("the kernel's watchdog saw %u lost wakeups", (unsigned)(si.lost_wakeups - lost_before));
    else if (left > 0)
        ut_fail("%d workers still running after 90 s", left);
    for (int w = 0; w < workers; w++)
        if (pids[w] > 0) {
            kill(pids[w], SIGKILL);
            ut_reap(pids[w], "worker");
        }
    uint64_t after = ut_free_frames_settled(before);
    if (after != before)
        ut_fail("free frames: %llu before, %llu after", (unsigned long long)before, (unsigned long long)after);
    get_sysinfo();
    if (!lost && si.lost_wakeups != lost_before)
        ut_fail("the kernel's watchdog saw %u lost wakeups", (unsigned)(si.lost_wakeups - lost_before));
}

static const struct ut_test tests[] = {
    { "getpid", t_getpid, 30 },
    { "sysinfo", t_sysinfo, 30 },
    { "affinity", t_affinity, 120 },
    { "handlers_where", t_handlers_where, 120 },
    { "request_flood", t_request_flood, 240 },
    { "no_idle_while_waiting", t_no_idle_while_waiting, 120 },
    { "procinfo", t_procinfo, 30 },
    { "time", t_time, 120 }, /* 2000 system calls: slow when the host is busy */
    { "sched", t_sched, 30 },
    { "wait_exit", t_wait_exit, 30 },
    { "wait_errors", t_wait_errors, 60 },
    { "kill", t_kill, 60 },
    { "kill_zero_and_zombie", t_kill_zero_and_zombie, 30 },
    { "fork_tree", t_fork_tree, 90 },
    { "fork_wide", t_fork_wide, 90 },
    { "fork_memory", t_fork_memory, 30 },
    { "exec_args", t_exec_args, 60 },
    { "fault_fork", t_fault_fork, 60 },
    { "fault_exec", t_fault_exec, 60 },
    { "exec_bad", t_exec_bad, 60 },
    { "sbrk", t_sbrk, 30 },
    { "sbrk_unmap", t_sbrk_unmap, 30 },
    { "efault", t_efault, 60 },
    { "files", t_files, 30 },
    { "fd_limit", t_fd_limit, 30 },
    { "readdir", t_readdir, 30 },
    { "printf", t_printf, 30 },
    { "string", t_string, 30 },
    { "malloc", t_malloc, 30 },
    { "stdio", t_stdio, 30 },
    { "fpu", t_fpu, 60 },
    { "orphans", t_orphans, 60 },
    { "exec_leak", t_exec_leak, 90 },
    { "stress_fork_exec", t_stress_fork_exec, 120 },
    { "fork_exhaust", t_fork_exhaust, 120 },
    /* Hang guards, not timings: each takes seconds, but a whole machine's
     * memory page by page under leader (every fault on CPU 0) on a loaded
     * host has taken over 100 s. */
    { "fork_exhaust_mem", t_fork_exhaust_mem, 300 },
    { "sbrk_exhaust", t_sbrk_exhaust, 300 },
    { "abi_int_width", t_abi_int_width, 60 },
    { "sleep_huge", t_sleep_huge, 60 },
    { "lseek_overflow", t_lseek_overflow, 30 },
    { "rflags_entry", t_rflags_entry, 120 },
    { "cow_kernel_writes", t_cow_kernel_writes, 30 },
    { "string_in_fresh_heap", t_string_in_fresh_heap, 30 },
    { "stack_grows", t_stack_grows, 30 },
    { "stack_limit", t_stack_limit, 60 },
    { "sbrk_huge", t_sbrk_huge, 60 },
    { "oom_kills_faulting_process", t_oom_kills_faulting_process, 180 },
    { "parallel_kernel", t_parallel_kernel, 60 },
    { "balancer", t_balancer, 120 },
    { "stress_all_cpus", t_stress_all_cpus, 240 },
};
#define NTESTS (sizeof tests / sizeof tests[0])

static const struct ut_suite suite = {
    .prog = "usertests",
    .tests = tests,
    .ntests = NTESTS,
    .default_limit_s = 60, /* each test names its own */
    .own_check = "no_leaks",
};

int main(int argc, char **argv)
{
    int r = ut_start(&suite, argc, argv);
    if (r != UT_GO_ON)
        return r;

    /* Warm-up: everything the parent will do (print, fork, wait, exec via
     * a child), so that its own memory is settled before counting. */
    get_sysinfo();
    printf("usertests: starting: %u CPUs, model %.16s, %u of %u processes, "
           "%llu of %llu frames free\n", si.ncpus, si.model, si.nprocs, si.max_procs,
           (unsigned long long)si.free_frames, (unsigned long long)si.total_frames);
    fflush(stdout);
    char *warm_argv[] = { "ut_args", "exit", "0", NULL };
    int st = ut_run_prog("ut_args", warm_argv, no_env);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        printf("usertests: warning: warm-up exec of ut_args: %s\n", st == -1 ? "failed" : ut_status_str(st));
    {
        int late;
        int pid = ut_fork();
        if (pid == 0)
            _exit(0);
        if (pid > 0)
            ut_reap_within(pid, 10000, &late);
    }
    uint64_t free_start = ut_free_frames_settled(ut_free_frames());
    uint32_t procs_start = nprocs_now();

    ut_run_tests(&suite, argc, argv);

    /* The last check, here in the parent: every frame is back. */
    ut_begin("no_leaks");
    uint64_t free_end = ut_free_frames_settled(free_start);
    uint32_t procs_end = nprocs_now();
    /* The count is machine-wide. Alone (as in `make test`) it must match
     * exactly; with other programs started or ended meanwhile (e.g.
     * `usertests &` in the shell), only a loss can be told apart. */
    int alone = procs_start == procs_end;
    if (alone ? free_end != free_start : free_end < free_start)
        ut_fail("%llu frames free after the warm-up, %llu at the end (%lld lost)%s",
                (unsigned long long)free_start, (unsigned long long)free_end,
                (long long)(free_start - free_end),
                alone ? "" : "; other processes ran meanwhile, so the count is approximate");
    else if (!alone)
        printf("usertests:   no_leaks: %u processes at the start, %u at the end: "
               "checked only that no frame was lost\n", procs_start, procs_end);
    if (waitpid(-1, &st, WNOHANG) != -1 || errno != ECHILD)
        ut_fail("usertests still has children at the end");
    ut_end();
    return ut_finish();
}
