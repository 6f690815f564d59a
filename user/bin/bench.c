/*
 * bench - how fast the basic operations are (a benchmark, not a test: it
 * asserts nothing). tools/bench-smp.py boots it at -smp 1 and -smp 2 and
 * compares (`make bench-smp`, docs/testing.md).
 *
 *   bench [-t ms] [-r runs] [name...]
 *
 *   -t ms     length of one run (default 500 ms of uptime)
 *   -r runs   runs per benchmark (default 5); the median, the slowest and
 *             the fastest run are reported
 *   name...   only these benchmarks (default all, in the order below)
 *
 * Benchmarks (rates are operations per second of uptime):
 *   getpid        the getpid system call in a loop
 *   fork          fork + the child's exit + the parent's waitpid
 *   exec          fork + exec of "ut_args exit 0" + waitpid
 *   sbrk          grow the heap by 1 MiB, write a byte to every page, shrink it
 *   getpid2       two processes at once, each calling getpid: the sum rate
 *   fork2         two processes at once, each doing fork + exit + wait: the sum
 *
 * getpid2 and fork2 give each of the two processes as many operations as
 * one process managed in the run time (the median of getpid or fork, which
 * they run first) and time how long both take together.
 *
 * Output, one line per benchmark:
 *   bench: <name> <median>/s min <slowest> max <fastest> runs <n>
 * then the three kernel locks (added up by name, as `locks` does) that
 * spent the most cycles waiting during it:
 *   bench-lock: <name> <lock> acquired <n> contended <n> spin <cycles>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"

#define PAGE 4096
#define SBRK_BYTES (1 << 20)
#define MAX_RUNS 32

static uint64_t run_ns = 500ull * 1000000;
static int runs = 5;
static double median_rate[8];

static uint64_t now(void) { return uptime_ns(); }

static void fork_exit_wait(void)
{
    int pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0) {
        int st;
        waitpid(pid, &st, 0);
    }
}

static void fork_exec_wait(void)
{
    static char *args[] = { "ut_args", "exit", "0", NULL };
    static char *env[] = { NULL };
    int pid = fork();
    if (pid == 0) {
        execve(args[0], args, env);
        _exit(127);
    }
    if (pid > 0) {
        int st;
        waitpid(pid, &st, 0);
    }
}

static void sbrk_grow_shrink(void)
{
    char *p = sbrk(SBRK_BYTES);
    if (p == (char *)-1)
        return;
    for (int off = 0; off < SBRK_BYTES; off += PAGE)
        p[off] = 1;
    sbrk(-SBRK_BYTES);
}

static void do_getpid(void) { getpid(); }

/* Operations per second of one process doing op for run_ns. */
static double rate_for_time(void (*op)(void), int batch)
{
    uint64_t t0 = now(), t, n = 0;
    do {
        for (int i = 0; i < batch; i++)
            op();
        n += (uint64_t)batch;
        t = now();
    } while (t - t0 < run_ns);
    return (double)n * 1e9 / (double)(t - t0);
}

/* Two processes doing op `count` times each, at once: the sum rate. */
static double rate_of_two(void (*op)(void), uint64_t count)
{
    if (count < 1)
        count = 1;
    fflush(stdout);
    uint64_t t0 = now();
    int pids[2];
    for (int k = 0; k < 2; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            for (uint64_t i = 0; i < count; i++)
                op();
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++)
        if (pids[k] > 0) {
            int st;
            waitpid(pids[k], &st, 0);
        }
    uint64_t t = now();
    int ok = (pids[0] > 0) + (pids[1] > 0);
    return (double)count * ok * 1e9 / (double)(t - t0);
}

/* Kernel locks by name, summed (lockstat), for the hottest locks of a run. */
#define MAX_LOCK_NAMES 64
struct lock_sum {
    char name[24];
    uint64_t acquired, contended, spin;
};

static int lock_sums(struct lock_sum *out)
{
    int n = 0;
    struct abi_lockstat l;
    for (int i = 0; lockstat(i, &l) == 1; i++) {
        int k = 0;
        while (k < n && strncmp(out[k].name, l.name, sizeof l.name) != 0)
            k++;
        if (k == n) {
            if (n == MAX_LOCK_NAMES)
                continue;
            memset(&out[n], 0, sizeof out[n]);
            memcpy(out[n].name, l.name, sizeof l.name);
            n++;
        }
        out[k].acquired += l.acquired;
        out[k].contended += l.contended;
        out[k].spin += l.spin_cycles;
    }
    return n;
}

static struct lock_sum locks_before[MAX_LOCK_NAMES], locks_after[MAX_LOCK_NAMES];

static void print_hottest_locks(const char *bench, int nbefore)
{
    int n = lock_sums(locks_after);
    for (int k = 0; k < n; k++) /* the change during the run */
        for (int j = 0; j < nbefore; j++)
            if (strncmp(locks_after[k].name, locks_before[j].name, sizeof locks_after[k].name) == 0) {
                locks_after[k].acquired -= locks_before[j].acquired;
                locks_after[k].contended -= locks_before[j].contended;
                locks_after[k].spin -= locks_before[j].spin;
            }
    for (int top = 0; top < 3 && top < n; top++) {
        int best = top;
        for (int k = top + 1; k < n; k++)
            if (locks_after[k].spin > locks_after[best].spin)
                best = k;
        struct lock_sum t = locks_after[top];
        locks_after[top] = locks_after[best];
        locks_after[best] = t;
        const struct lock_sum *x = &locks_after[top];
        printf("bench-lock: %s %.24s acquired %llu contended %llu spin %llu\n", bench, x->name,
               (unsigned long long)x->acquired, (unsigned long long)x->contended, (unsigned long long)x->spin);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct bench {
    const char *name;
    void (*op)(void);
    int batch;        /* operations between two looks at the clock */
    int two_of;       /* >= 0: two processes, counts from this benchmark's median */
};

static const struct bench benches[] = {
    { "getpid", do_getpid, 1000, -1 },
    { "fork", fork_exit_wait, 1, -1 },
    { "exec", fork_exec_wait, 1, -1 },
    { "sbrk", sbrk_grow_shrink, 1, -1 },
    { "getpid2", do_getpid, 0, 0 },
    { "fork2", fork_exit_wait, 0, 1 },
};
#define NBENCH (int)(sizeof benches / sizeof benches[0])

static void run_bench(int b)
{
    const struct bench *x = &benches[b];
    double r[MAX_RUNS];
    int nbefore = lock_sums(locks_before);
    if (x->two_of >= 0 && median_rate[x->two_of] == 0)
        median_rate[x->two_of] = rate_for_time(benches[x->two_of].op, benches[x->two_of].batch);
    for (int i = 0; i < runs; i++) {
        if (x->two_of >= 0)
            r[i] = rate_of_two(x->op, (uint64_t)(median_rate[x->two_of] * (double)run_ns / 1e9));
        else
            r[i] = rate_for_time(x->op, x->batch);
    }
    qsort(r, (size_t)runs, sizeof r[0], cmp_double);
    median_rate[b] = r[runs / 2];
    printf("bench: %s %.0f/s min %.0f max %.0f runs %d\n", x->name, r[runs / 2], r[0], r[runs - 1], runs);
    print_hottest_locks(x->name, nbefore);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i += 2) {
        if (i + 1 >= argc)
            goto usage;
        long v = strtol(argv[i + 1], NULL, 0);
        if (strcmp(argv[i], "-t") == 0 && v > 0)
            run_ns = (uint64_t)v * 1000000;
        else if (strcmp(argv[i], "-r") == 0 && v > 0 && v <= MAX_RUNS)
            runs = (int)v;
        else
            goto usage;
    }
    struct abi_sysinfo si;
    if (sysinfo(&si) == 0)
        printf("bench: %u CPUs, model %s, %d runs of %llu ms\n", si.ncpus, si.model, runs,
               (unsigned long long)(run_ns / 1000000));
    fflush(stdout);
    for (int b = 0; b < NBENCH; b++) {
        int wanted = i >= argc;
        for (int k = i; k < argc; k++)
            wanted |= strcmp(argv[k], benches[b].name) == 0;
        if (wanted)
            run_bench(b);
    }
    printf("bench: done\n");
    return 0;
usage:
    printf("usage: bench [-t ms] [-r runs] [getpid|fork|exec|sbrk|getpid2|fork2...]\n");
    return 2;
}
