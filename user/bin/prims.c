/*
 * prims - what the kernel's primitives cost, in TSC cycles (docs/bench.md).
 *
 *   prims [name...]
 *
 * syscall    a system call that does nothing (getpid), from user mode and
 *            back: run it pinned to a follower under `leader` and it is a
 *            forwarded call (forward=ipi or forward=poll)
 * switch     a context switch: two processes on one CPU giving it to each
 *            other with sched_yield (half a round)
 * fork       fork, the child's exit and the parent's wait
 * exec       fork, exec of a program that exits at once, wait; minus fork
 * lock       an uncontended spinlock, taken and released (in the kernel)
 * handoff    a spinlock that two CPUs take in turn: one hand-off
 * ipi        a remote call to another CPU and its answer (IPI round trip)
 * migration  the balancer moving a process between two CPUs' queues
 *            (fine sched=percpu only: its fine.mig_cycles counter)
 *
 * Each is timed in several runs; one line per primitive:
 *   prim: <name> <median> min <fastest> max <slowest> runs <n>
 * (cycles per operation), or "prim: <name> n/a (<why>)".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"

#define RUNS 7

static struct abi_sysinfo si;
static const char *self = "prims";

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *per_op, int runs)
{
    qsort(per_op, (size_t)runs, sizeof per_op[0], cmp_u64);
    printf("prim: %s %llu min %llu max %llu runs %d\n", name, (unsigned long long)per_op[runs / 2],
           (unsigned long long)per_op[0], (unsigned long long)per_op[runs - 1], runs);
}

/* Cycles per call of op, over `n` calls, in RUNS runs. */
static void time_op(const char *name, void (*op)(void), int n)
{
    uint64_t per_op[RUNS];
    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = rdtsc();
        for (int i = 0; i < n; i++)
            op();
        per_op[r] = (rdtsc() - t0) / (uint64_t)n;
    }
    report(name, per_op, RUNS);
}

static void op_getpid(void) { getpid(); }

static void op_fork(void)
{
    int pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

static void op_fork_exec(void)
{
    int pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)self, "--exit", NULL};
        execv(self, argv);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

static void do_switch(void)
{
    const int n = 2000;
    int cpu = getcpu();
    uint64_t per_op[RUNS];
    setaffinity(0, cpu);
    for (int r = 0; r < RUNS; r++) {
        int ready[2];
        if (pipe(ready) < 0) {
            printf("prim: switch n/a (pipe: %s)\n", strerror(errno));
            return;
        }
        int pid = fork();
        if (pid == 0) {
            setaffinity(0, cpu);
            char c = 1;
            write(ready[1], &c, 1); /* pinned: the timing may start */
            for (int i = 0; i < n; i++)
                sched_yield();
            _exit(0);
        }
        char c;
        read(ready[0], &c, 1);
        close(ready[0]);
        close(ready[1]);
        uint64_t t0 = rdtsc();
        for (int i = 0; i < n; i++)
            sched_yield();
        uint64_t t = rdtsc() - t0;
        waitpid(pid, NULL, 0);
        per_op[r] = t / (2 * (uint64_t)n); /* each yield of each side: one switch */
    }
    setaffinity(0, -1);
    report("switch", per_op, RUNS);
}

static void do_exec(void)
{
    const int n = 20;
    uint64_t per_op[RUNS];
    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = rdtsc();
        for (int i = 0; i < n; i++)
            op_fork();
        uint64_t t1 = rdtsc();
        for (int i = 0; i < n; i++)
            op_fork_exec();
        uint64_t t2 = rdtsc();
        uint64_t fork_only = t1 - t0, with_exec = t2 - t1;
        per_op[r] = with_exec > fork_only ? (with_exec - fork_only) / n : 0;
    }
    report("exec", per_op, RUNS);
}

static void do_kernel(const char *name, int which)
{
    struct abi_primcost pc;
    if (primcost(which, -1, &pc) < 0) { /* against any other CPU than the one measuring */
        printf("prim: %s n/a (%s)\n", name, strerror(errno));
        return;
    }
    printf("prim: %s %llu min %llu max %llu runs %u\n", name, (unsigned long long)pc.median,
           (unsigned long long)pc.min, (unsigned long long)pc.max, pc.runs);
}

static uint64_t stat_value(const char *name)
{
    for (uint32_t i = 0; i < si.nstats; i++)
        if (strcmp(si.stat[i].name, name) == 0)
            return si.stat[i].value;
    return 0;
}

/* Migrations happen when one CPU has a queue and others have nothing:
 * twice as many processes as CPUs, all pinned to CPU 0 for a moment, then
 * set free to run anywhere: the balancer spreads them. */
static void do_migration(void)
{
    if (sysinfo(&si) < 0 || strcmp(si.model, "fine") != 0) {
        printf("prim: migration n/a (only under fine, sched=percpu)\n");
        return;
    }
    uint64_t c0 = stat_value("fine.mig_cycles"), m0 = stat_value("fine.mig_timed");
    int n = 2 * (int)si.ncpus;
    for (int i = 0; i < n; i++)
        if (fork() == 0) {
            setaffinity(0, 0);
            sleep_ms(5);
            setaffinity(0, -1);
            uint64_t t = rdtsc();
            while (rdtsc() - t < (uint64_t)(si.tsc_hz / 5)) /* 200 ms */
                ;
            _exit(0);
        }
    while (wait(NULL) > 0)
        ;
    sysinfo(&si);
    uint64_t c = stat_value("fine.mig_cycles") - c0, m = stat_value("fine.mig_timed") - m0;
    if (!m) {
        printf("prim: migration n/a (no migration happened%s)\n",
               stat_value("fine.sched_global") ? ": sched=global has one queue" : "");
        return;
    }
    printf("prim: migration %llu min - max - runs %llu\n", (unsigned long long)(c / m), (unsigned long long)m);
}

static void do_syscall(void) { time_op("syscall", op_getpid, 2000); }
static void do_fork(void) { time_op("fork", op_fork, 20); }
static void do_lock(void) { do_kernel("lock", ABI_PRIM_LOCK); }
static void do_handoff(void) { do_kernel("handoff", ABI_PRIM_HANDOFF); }
static void do_ipi(void) { do_kernel("ipi", ABI_PRIM_IPI); }

static const struct {
    const char *name;
    void (*fn)(void);
} prims[] = {
    {"syscall", do_syscall}, {"switch", do_switch}, {"fork", do_fork}, {"exec", do_exec},
    {"lock", do_lock},       {"handoff", do_handoff}, {"ipi", do_ipi}, {"migration", do_migration},
};

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--exit") == 0)
        return 0;
    if (argv[0] && strchr(argv[0], '/'))
        self = argv[0];
    int bad = 0;
    for (int a = 1; a < argc; a++) {
        bool known = false;
        for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
            known |= strcmp(argv[a], prims[i].name) == 0;
        if (!known) {
            fprintf(stderr, "prims: no primitive '%s'\n", argv[a]);
            bad = 1;
        }
    }
    if (bad)
        return 2;
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
        bool want = argc == 1;
        for (int a = 1; a < argc; a++)
            want |= strcmp(argv[a], prims[i].name) == 0;
        if (want) {
            prims[i].fn();
            fflush(stdout);
        }
    }
    return 0;
}
