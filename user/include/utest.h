/*
 * utest - the harness the user test programs share (usertests, fstests,
 * posixtests, mmaptests, sigtests; docs/testing.md). Implemented in
 * user/lib/utest.c, linked from libos.a.
 *
 * A program lists its tests in a table of struct ut_test, describes itself
 * in a struct ut_suite and calls ut_start(), ut_run_tests() and
 * ut_finish(). Every test runs in a forked child of its own under a time
 * limit (a hang guard, not a timing assertion), so a crash or a hang ends
 * only that test. The output, which tools/testrun.py reads, is
 *
 *   PROG: PASS name
 *   PROG: FAIL name: reason                first failure of a test
 *   PROG:   (name) also: reason            the next few
 *   PROG: N passed, N failed               the closing line, always last
 *
 * where PROG is ut_suite.prog; the exit status is 0 only if all passed.
 */
#ifndef UTEST_H
#define UTEST_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ut_test {
    const char *name;
    void (*fn)(void);
    int limit_s; /* the hang guard in seconds; 0: the suite's default */
};

struct ut_suite {
    const char *prog; /* prefix of every line: the program's name */
    const struct ut_test *tests;
    size_t ntests;
    int default_limit_s;
    /* The name of a check the program makes itself after the tests (in
     * the parent, with ut_begin/ut_end; e.g. "no_leaks"), or NULL: -l
     * lists it and it is a valid name on the command line. */
    const char *own_check;
    /* Optional, in each test's child: enter() before the test (nonzero:
     * it failed, has said why, and the test is not run), leave() after. */
    int (*enter)(const struct ut_test *t);
    void (*leave)(const struct ut_test *t);
};

/* Exit code of a ut_spawn() child whose execve failed: this plus errno. */
#define UT_EXEC_FAILED 150

/* ut_start's answer when main is to go on to the tests. */
#define UT_GO_ON (-1)

/* Sets the prefix and makes stdout line-buffered. `PROG -l` lists the
 * tests (UT_GO_ON is not returned: 0 is); a name on the command line that
 * is no test's makes it return 2 after saying so. Failures reported
 * between here and ut_run_tests() belong to "setup". */
int ut_start(const struct ut_suite *s, int argc, char **argv);
/* Runs the tests named on the command line (all of them with none), each
 * in a child under its limit, and counts them; a failed setup counts as
 * one failure. */
void ut_run_tests(const struct ut_suite *s, int argc, char **argv);
/* A check made in this process (not a child): failures from here to
 * ut_end() are its; ut_end prints PASS if there were none, counts it, and
 * returns 1 if it passed. */
void ut_begin(const char *name);
int ut_end(void);
/* Prints the closing line; the exit status for main. */
int ut_finish(void);

/* The current test's (or check's) name, and its failures so far. */
const char *ut_current(void);
int ut_failures(void);

/* Report a failure of the current test with the values seen; the test
 * goes on (the CHECK macros return). Only the first few are printed. */
__attribute__((format(printf, 1, 2))) void ut_fail(const char *fmt, ...);
/* A line of information about the current test, not a failure. */
__attribute__((format(printf, 1, 2))) void ut_note(const char *fmt, ...);

/* Fail the test with a reason and return from the calling void function
 * unless c holds. */
#define CHECK(c, ...)             \
    do {                          \
        if (!(c)) {               \
            ut_fail(__VA_ARGS__); \
            return;               \
        }                         \
    } while (0)

/* A call that must fail with errno e (wrappers return -1, mmap
 * MAP_FAILED); otherwise fail and return. */
#define EXPECT_ERR(call, e)                                                                     \
    do {                                                                                        \
        errno = 0;                                                                              \
        long r_ = (long)(call);                                                                 \
        if (r_ != -1 || errno != (e)) {                                                         \
            ut_fail("%s = %ld, errno %d (%s); wanted errno %d (%s)", #call, r_, errno,          \
                    strerror(errno), (e), strerror(e));                                         \
            return;                                                                             \
        }                                                                                       \
    } while (0)

/* fork() with stdio flushed first, so that nothing buffered is printed
 * by both processes. */
int ut_fork(void);
/* fork + execve(path, argv, envp); the child exits UT_EXEC_FAILED + errno
 * if execve fails. The pid, or -1 after a failure is reported. */
int ut_spawn(const char *path, char *const argv[], char *const envp[]);
/* Wait for child pid (EINTR retried); its wait status, or -1 after a
 * failure is reported (what: for the report, may be NULL). */
int ut_reap(int pid, const char *what);
/* Wait for child pid at most ms milliseconds, then SIGKILL it (*late set)
 * and collect it. Its status, or -1 after a failure is reported. */
int ut_reap_within(int pid, uint64_t ms, int *late);
/* ut_spawn, then ut_reap: the wait status, or -1. */
int ut_run_prog(const char *path, char *const argv[], char *const envp[]);
/* A wait status in words ("exit 3", "killed by signal 11", "no status"
 * for -1); four rotating buffers, so one printf may show several. */
const char *ut_status_str(int st);
/* 1 if st is exit `code` (or signal `sig`); else 0, and unless st is -1
 * (already reported) a failure naming `what`. */
int ut_expect_exit(int st, int code, const char *what);
int ut_expect_signal(int st, int sig, const char *what);

/* Free physical frames machine-wide (sysinfo), 0 if it fails. */
uint64_t ut_free_frames(void);
/* Make every page of this process's data, bss, heap and 64 KiB of stack
 * its own (see utest.c), so that a later first write is not counted as a
 * frame lost between two counts. */
void ut_settle_own_memory(void);
/* ut_settle_own_memory, then the free frames once they equal want, or
 * what they are after about two seconds of waiting. */
uint64_t ut_free_frames_settled(uint64_t want);

#endif
