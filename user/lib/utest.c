/*
 * The user test programs' shared harness (utest.h, docs/testing.md):
 * reporting, the per-test child and its time limit, the wait helpers and
 * the free-frame count the leak checks use.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"
#include "utest.h"

#define MS 1000000ull /* nanoseconds */
#define PAGE 4096ul
/* Failure lines printed per test: enough to see a pattern, few enough
 * that a test failing in a loop does not flood the serial log. */
#define SHOWN_FAILURES 12

static const char *prog = "utest";
static const char *cur = "setup";
static int cur_failed;
static int check_open = 1; /* "setup" until ut_run_tests, or a ut_begin */
static int passed, failed;
static char outbuf[1024];

const char *ut_current(void) { return cur; }
int ut_failures(void) { return cur_failed; }

/* A failure (failure != 0) or a note of the current test, one line. */
static void report(int failure, const char *fmt, va_list ap)
{
    char msg[640];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (!failure)
        printf("%s:   %s: %s\n", prog, cur, msg);
    /* One FAIL line a test, so that a reader (or grep) sees each failed
     * test once; the later failures are indented under it. */
    else if (++cur_failed == 1)
        printf("%s: FAIL %s: %s\n", prog, cur, msg);
    else if (cur_failed <= SHOWN_FAILURES)
        printf("%s:   (%s) also: %s\n", prog, cur, msg);
    else if (cur_failed == SHOWN_FAILURES + 1)
        printf("%s:   (%s) more failures not shown\n", prog, cur);
    fflush(stdout);
}

void ut_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(1, fmt, ap);
    va_end(ap);
}

void ut_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(0, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ processes */

int ut_fork(void)
{
    fflush(stdout);
    fflush(stderr);
    return fork();
}

int ut_spawn(const char *path, char *const argv[], char *const envp[])
{
    int pid = ut_fork();
    if (pid < 0) {
        ut_fail("fork for %s: errno %d", path, errno);
        return -1;
    }
    if (pid == 0) {
        execve(path, argv, envp);
        _exit(UT_EXEC_FAILED + (errno < 100 ? errno : 99));
    }
    return pid;
}

int ut_reap(int pid, const char *what)
{
    int st = 0, w;
    do
        w = waitpid(pid, &st, 0);
    while (w < 0 && errno == EINTR);
    if (w != pid) {
        ut_fail("%s%swaitpid(%d) returned %d, errno %d", what ? what : "", what ? ": " : "", pid, w, errno);
        return -1;
    }
    return st;
}

int ut_run_prog(const char *path, char *const argv[], char *const envp[])
{
    int pid = ut_spawn(path, argv, envp);
    return pid < 0 ? -1 : ut_reap(pid, path);
}

int ut_reap_within(int pid, uint64_t ms, int *late)
{
    uint64_t end = uptime_ns() + ms * MS;
    int st = 0;
    *late = 0;
    /* Short naps first: most children are quick, and a caller waiting
     * for one should not sleep long past its end. */
    for (unsigned nap = 1;; nap = nap < 16 ? nap * 2 : 16) {
        int w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return st;
        if (w != 0 && !(w < 0 && errno == EINTR)) {
            ut_fail("waitpid(%d, WNOHANG) = %d, errno %d", pid, w, errno);
            return -1;
        }
        if (uptime_ns() > end)
            break;
        sleep_ms(nap);
    }
    *late = 1;
    kill(pid, SIGKILL);
    end = uptime_ns() + 10000 * MS;
    while (uptime_ns() < end) {
        int w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return st;
        if (w != 0 && !(w < 0 && errno == EINTR))
            break;
        sleep_ms(5);
    }
    ut_fail("process %d did not go away after kill(SIGKILL)", pid);
    return -1;
}

const char *ut_status_str(int st)
{
    static char bufs[4][48];
    static int next;
    char *b = bufs[next++ % 4];
    if (st == -1) {
        snprintf(b, 48, "no status");
    } else if (WIFEXITED(st)) {
        int code = WEXITSTATUS(st);
        if (code >= UT_EXEC_FAILED && code < UT_EXEC_FAILED + 100)
            snprintf(b, 48, "exit %d (execve failed, errno %d)", code, code - UT_EXEC_FAILED);
        else
            snprintf(b, 48, "exit %d", code);
    } else if (WIFSIGNALED(st)) {
        snprintf(b, 48, "killed by signal %d", WTERMSIG(st));
    } else {
        snprintf(b, 48, "wait status 0x%x", st);
    }
    return b;
}

int ut_expect_exit(int st, int code, const char *what)
{
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code)
        return 1;
    if (st != -1)
        ut_fail("%s: %s, expected exit %d", what, ut_status_str(st), code);
    return 0;
}

int ut_expect_signal(int st, int sig, const char *what)
{
    if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sig)
        return 1;
    if (st != -1)
        ut_fail("%s: %s, expected killed by signal %d", what, ut_status_str(st), sig);
    return 0;
}

/* ------------------------------------------------------------ frames */

uint64_t ut_free_frames(void)
{
    static struct abi_sysinfo si; /* large: not on the stack */
    return sysinfo(&si) == 0 ? si.free_frames : 0;
}

/* Memory is mapped on first touch, and after a fork every writable page is
 * shared copy-on-write with the parent until one of them writes it. So
 * that a page first written between two counts is not taken for a lost
 * frame, a process makes its memory its own before counting: it writes
 * every page of data, bss and heap (each byte back as it was) and touches
 * 64 KiB of stack below the caller. */
extern char __preinit_array_start[]; /* user.ld: the first writable page */

__attribute__((noinline)) void ut_settle_own_memory(void)
{
    volatile char pad[64 * 1024];
    for (size_t i = 0; i < sizeof pad; i += PAGE)
        pad[i] = 0;
    char *brk = sbrk(0);
    for (uintptr_t a = (uintptr_t)__preinit_array_start & ~(PAGE - 1); a < (uintptr_t)brk; a += PAGE) {
        volatile char *p = (volatile char *)a;
        *p = *p;
    }
}

/* The memory of processes that just ended may be given back a little
 * later: retries for about two seconds. */
uint64_t ut_free_frames_settled(uint64_t want)
{
    ut_settle_own_memory();
    uint64_t now = ut_free_frames();
    for (int i = 0; i < 40 && now != want; i++) {
        sleep_ms(50);
        now = ut_free_frames();
    }
    return now;
}

/* ------------------------------------------------------------ the run */

static int is_named(int argc, char **argv, const char *name)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int ut_start(const struct ut_suite *s, int argc, char **argv)
{
    prog = s->prog;
    /* Line-buffered: each result line goes out whole, and stays whole
     * between the lines of other processes on the console. */
    setvbuf(stdout, outbuf, _IOLBF, sizeof outbuf);
    if (argc == 2 && strcmp(argv[1], "-l") == 0) {
        for (size_t i = 0; i < s->ntests; i++)
            printf("%s\n", s->tests[i].name);
        if (s->own_check)
            printf("%s\n", s->own_check);
        return 0;
    }
    for (int a = 1; a < argc; a++) {
        int known = s->own_check && strcmp(argv[a], s->own_check) == 0;
        for (size_t i = 0; i < s->ntests; i++)
            known |= strcmp(argv[a], s->tests[i].name) == 0;
        if (!known) {
            printf("%s: no test named '%s' (%s -l lists them)\n", prog, argv[a], prog);
            return 2;
        }
    }
    return UT_GO_ON;
}

/* A check of this process's own is over: a failure counts, and its PASS
 * line is printed if announce. */
static int close_check(int announce)
{
    int ok = cur_failed == 0;
    if (!check_open)
        return ok;
    check_open = 0;
    if (!ok)
        failed++;
    else if (announce) {
        printf("%s: PASS %s\n", prog, cur);
        passed++;
    }
    fflush(stdout);
    return ok;
}

static volatile sig_atomic_t timed_out;
static void on_time_limit(int sig)
{
    (void)sig;
    timed_out = 1;
}

/* Run one test in a child; 1 if it passed. */
static int run_one(const struct ut_suite *s, const struct ut_test *t)
{
    cur = t->name;
    cur_failed = 0;
    int pid = ut_fork();
    if (pid < 0) {
        ut_fail("cannot fork the test process: errno %d", errno);
        return 0;
    }
    if (pid == 0) {
        signal(SIGALRM, SIG_DFL); /* the parent's time limit is not the test's */
        if (!s->enter || s->enter(t) == 0) {
            t->fn();
            if (s->leave)
                s->leave(t);
        } else if (cur_failed == 0) {
            ut_fail("the test's preparation failed");
        }
        fflush(stdout);
        _exit(cur_failed ? 1 : 0);
    }
    /* Asleep in waitpid, with an alarm as the time limit: the parent is
     * never ready to run meanwhile, so a test's processes have the CPUs to
     * themselves (sigtests' kill_other relies on it). */
    int limit_s = t->limit_s ? t->limit_s : s->default_limit_s;
    timed_out = 0;
    alarm((unsigned)limit_s);
    int st = 0, w;
    while ((w = waitpid(pid, &st, 0)) != pid && errno == EINTR && !timed_out)
        ;
    alarm(0);
    if (w != pid) {
        int late;
        kill(pid, SIGKILL);
        ut_reap_within(pid, 10000, &late);
        if (timed_out)
            ut_fail("no result after %d s: test process killed", limit_s);
        else
            ut_fail("waitpid(test process %d) = %d, errno %d", pid, w, errno);
        return 0;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        printf("%s: PASS %s\n", prog, t->name);
        fflush(stdout);
        return 1;
    }
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 1)) /* 1: it has said why */
        ut_fail("the test process ended with %s", ut_status_str(st));
    return 0;
}

void ut_run_tests(const struct ut_suite *s, int argc, char **argv)
{
    close_check(0);
    /* No SA_RESTART: the alarm must end the parent's waitpid. */
    struct sigaction sa = { .sa_handler = on_time_limit };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    for (size_t i = 0; i < s->ntests; i++) {
        if (!is_named(argc, argv, s->tests[i].name))
            continue;
        if (run_one(s, &s->tests[i]))
            passed++;
        else
            failed++;
    }
    signal(SIGALRM, SIG_DFL);
}

void ut_begin(const char *name)
{
    close_check(0);
    cur = name;
    cur_failed = 0;
    check_open = 1;
}

int ut_end(void) { return close_check(1); }

int ut_finish(void)
{
    close_check(0);
    printf("%s: %d passed, %d failed\n", prog, passed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}
