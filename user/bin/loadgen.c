/*
 * loadgen - a workload with a dial (docs/bench.md): P processes, each
 * repeating U cycles of computation in user mode and K cycles of kernel
 * work, with the kernel share f = K / (U + K) set on the command line.
 *
 *   loadgen [-p procs] [-f share] [-c cycles] [-r regions] [-t ms] [-m mix]
 *
 *   -p  processes (default: one per CPU of this OS instance that runs user
 *       code), pinned round-robin to those CPUs
 *   -f  the kernel share f (default 0.1)
 *   -c  cycles per iteration, U + K (default 200000, TSC cycles)
 *   -r  regions of the kernel's work table the calls spread over (default
 *       64; 1 puts every call in one critical region)
 *   -t  how long to measure, in ms (default 1000)
 *   -m  what an iteration is: dial (the above; default), or a real mix:
 *       getpid, fork (fork, exit, wait), exec (fork, exec, wait), pipe (a
 *       byte there and back between two processes), file (write and read
 *       back 4 KiB of a file of its own on the disk)
 *
 * The kernel work is kwork(region, K): it holds one region of the kernel's
 * work table (kernel/worktable.c) for K cycles, so it queues behind the big
 * kernel lock under bkl, for the leader under leader, for that region's
 * own lock only under fine, and for nothing under private.
 *
 * Output, one line for tools/bench.py:
 *   loadgen: result mix=M model=X cpus=N procs=P f=F cycles=C regions=R
 *            ms=T iterations=I rate=R/s lockwait=W leaderbusy=B
 * rate is iterations per second of the whole instance; lockwait the share
 * of the machine's CPU time spent spinning for kernel locks (sysinfo's
 * lock_spin_cycles, every lock and every CPU of the machine); leaderbusy
 * the leader's share of time serving followers (leader only, else -1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"

#define MAX_PROCS 64

static int procs;
static double share = 0.1;
static uint64_t cycles = 200000;
static int regions = ABI_KWORK_REGIONS;
static uint64_t ms = 1000;
static const char *mix = "dial";
static const char *self = "loadgen";
static struct abi_sysinfo si; /* about 12 KiB: not on the stack */

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* User-mode computation for n cycles: the "U" of the dial. */
static void compute(uint64_t n)
{
    uint64_t start = rdtsc();
    volatile uint64_t x = 0;
    while (rdtsc() - start < n)
        x += 1;
}

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* ---- one iteration of each mix ---- */

struct worker {
    int index;
    uint32_t rng;
    int to_partner, from_partner; /* pipe mix */
    int fd;                       /* file mix */
};

static int it_dial(struct worker *w)
{
    uint64_t k = (uint64_t)(share * (double)cycles);
    compute(cycles - k);
    return kwork((int)(rng_next(&w->rng) % (uint32_t)regions), k);
}

static int it_getpid(struct worker *w)
{
    (void)w;
    return getpid() > 0 ? 0 : -1;
}

static int it_fork(struct worker *w)
{
    (void)w;
    int pid = fork();
    if (pid == 0)
        _exit(0);
    int st;
    return pid > 0 && waitpid(pid, &st, 0) == pid ? 0 : -1;
}

static int it_exec(struct worker *w)
{
    (void)w;
    int pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)self, "--exit", NULL};
        execv(self, argv);
        _exit(127);
    }
    int st;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int it_pipe(struct worker *w)
{
    char c = 'x';
    return write(w->to_partner, &c, 1) == 1 && read(w->from_partner, &c, 1) == 1 ? 0 : -1;
}

static int it_file(struct worker *w)
{
    static char block[4096];
    if (lseek(w->fd, 0, SEEK_SET) != 0 || write(w->fd, block, sizeof block) != sizeof block)
        return -1;
    return lseek(w->fd, 0, SEEK_SET) == 0 && read(w->fd, block, sizeof block) == sizeof block ? 0 : -1;
}

static int (*iteration(void))(struct worker *)
{
    static const struct {
        const char *name;
        int (*fn)(struct worker *);
    } mixes[] = {
        {"dial", it_dial}, {"getpid", it_getpid}, {"fork", it_fork},
        {"exec", it_exec}, {"pipe", it_pipe},     {"file", it_file},
    };
    for (size_t i = 0; i < sizeof mixes / sizeof mixes[0]; i++)
        if (strcmp(mix, mixes[i].name) == 0)
            return mixes[i].fn;
    return NULL;
}

/* The pipe mix's partner: echoes every byte until the pipe closes. */
static void echo_partner(int in, int out)
{
    char c;
    while (read(in, &c, 1) == 1)
        if (write(out, &c, 1) != 1)
            break;
    _exit(0);
}

static int setup(struct worker *w)
{
    if (strcmp(mix, "pipe") == 0) {
        int there[2], back[2];
        if (pipe(there) < 0 || pipe(back) < 0)
            return -1;
        int pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            close(there[1]);
            close(back[0]);
            echo_partner(there[0], back[1]);
        }
        close(there[0]);
        close(back[1]);
        w->to_partner = there[1];
        w->from_partner = back[0];
    } else if (strcmp(mix, "file") == 0) {
        char path[48];
        snprintf(path, sizeof path, "/tmp/loadgen-%d-%d", getpid(), w->index);
        if ((w->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) < 0)
            return -1;
        unlink(path); /* gone with the last close */
    }
    return 0;
}

/* ---- what the kernel counted during the window ---- */

struct counters {
    uint64_t tsc, spin, serve_us, up_ns;
    int leader;
};

/* One system call: under bkl every call waits for the big lock, and a
 * sample must not take long. */
static void sample(struct counters *c)
{
    c->spin = 0;
    c->leader = 0;
    c->serve_us = 0;
    if (sysinfo(&si) == 0) {
        c->spin = si.lock_spin_cycles;
        for (uint32_t i = 0; i < si.nstats; i++)
            if (strcmp(si.stat[i].name, "serve_us") == 0) {
                c->leader = 1;
                c->serve_us = si.stat[i].value;
            }
    }
    c->up_ns = uptime_ns();
    c->tsc = rdtsc();
}

/* What a worker tells the parent: its count (negative: it failed), and
 * from worker 0 the kernel's counters at both ends of the window. */
struct report {
    int64_t count;
    struct counters before, after;
};

/* A worker: wait for the start time, then count the iterations that end
 * inside [start, end). The window is in TSC cycles, read in user mode: a
 * clock read by system call would itself be kernel work. */
static void worker(int index, int cpu, int go, int out)
{
    struct worker w = {.index = index, .rng = 2463534242u + 7919u * (uint32_t)index};
    if (cpu >= 0)
        setaffinity(0, cpu);
    int (*fn)(struct worker *) = iteration();
    struct report r = {.count = setup(&w) < 0 ? -1 : 0};
    uint64_t window[2];
    if (read(go, window, sizeof window) != sizeof window)
        _exit(1);
    while (rdtsc() < window[0])
        ;
    if (index == 0)
        sample(&r.before);
    while (r.count >= 0 && rdtsc() < window[1]) {
        if (fn(&w) < 0)
            r.count = -1 - r.count;
        else
            r.count++;
    }
    if (index == 0)
        sample(&r.after);
    if (write(out, &r, sizeof r) != sizeof r)
        _exit(1);
    _exit(r.count >= 0 ? 0 : 2);
}

/* TSC cycles per second, as the kernel calibrated them at boot. */
static double tsc_hz(void)
{
    return sysinfo(&si) == 0 && si.tsc_hz ? (double)si.tsc_hz : 1e9;
}

/* The CPUs of this instance that run user code. */
static int user_cpus(int *list)
{
    int n = 0;
    if (sysinfo(&si) < 0)
        return 0;
    for (uint32_t i = 0; i < si.ncpus && i < ABI_MAX_CPUS; i++)
        if (si.cpu[i].os_instance == si.os_instance && (si.cpu[i].flags & ABI_CPU_F_RUNS_USER) &&
            si.cpu[i].state != ABI_CPU_FAILED && si.cpu[i].state != ABI_CPU_OFFLINE)
            list[n++] = (int)i;
    return n;
}

static int usage(void)
{
    fprintf(stderr, "usage: loadgen [-p procs] [-f share] [-c cycles] [-r regions] [-t ms] "
                    "[-m dial|getpid|fork|exec|pipe|file]\n");
    return 2;
}

static bool parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc || argv[i][0] != '-' || !argv[i][1] || argv[i][2])
            return false;
        char *v = argv[++i], *end;
        switch (argv[i - 1][1]) {
        case 'p': procs = (int)strtol(v, &end, 10); break;
        case 'f': share = strtod(v, &end); break;
        case 'c': cycles = strtoull(v, &end, 10); break;
        case 'r': regions = (int)strtol(v, &end, 10); break;
        case 't': ms = strtoull(v, &end, 10); break;
        case 'm': mix = v; end = v + strlen(v); break;
        default: return false;
        }
        if (*end)
            return false;
    }
    return procs >= 0 && procs <= MAX_PROCS && share >= 0 && share <= 1 && cycles > 0 && cycles <= 10000000000ull &&
           (uint64_t)(share * (double)cycles) <= ABI_KWORK_MAX_CYCLES && regions >= 1 &&
           regions <= ABI_KWORK_REGIONS && ms > 0 && ms <= 600000 && iteration();
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--exit") == 0)
        return 0; /* the exec mix's child */
    if (argv[0] && strchr(argv[0], '/'))
        self = argv[0];
    if (!parse(argc, argv))
        return usage();
    int cpu_list[ABI_MAX_CPUS];
    int ncpu = user_cpus(cpu_list);
    if (procs == 0)
        procs = ncpu > 0 ? ncpu : 1;

    int go[2], report[2];
    if (pipe(go) < 0 || pipe(report) < 0) {
        perror("loadgen: pipe");
        return 1;
    }
    for (int i = 0; i < procs; i++) {
        int pid = fork();
        if (pid < 0) {
            perror("loadgen: fork");
            return 1;
        }
        if (pid == 0) {
            close(go[1]);
            close(report[0]);
            worker(i, ncpu > 0 ? cpu_list[i % ncpu] : -1, go[0], report[1]);
        }
    }
    close(go[0]);
    close(report[1]);

    /* Everyone is forked: start a little later, all at once. */
    double hz = tsc_hz();
    uint64_t window[2];
    window[0] = rdtsc() + (uint64_t)(hz * 0.02);
    window[1] = window[0] + (uint64_t)(hz * (double)ms / 1000.0);
    for (int i = 0; i < procs; i++)
        if (write(go[1], window, sizeof window) != sizeof window) {
            perror("loadgen: go");
            return 1;
        }

    int64_t total = 0;
    int failed = 0;
    struct counters before = {0}, after = {0};
    for (int i = 0; i < procs; i++) {
        struct report r;
        if (read(report[0], &r, sizeof r) != sizeof r || r.count < 0) {
            failed++;
            continue;
        }
        total += r.count;
        if (r.after.tsc) {
            before = r.before;
            after = r.after;
        }
    }
    while (wait(NULL) > 0)
        ;
    if (failed) {
        fprintf(stderr, "loadgen: %d of %d workers failed (mix %s: %s)\n", failed, procs, mix,
                strcmp(mix, "file") == 0 ? "is there a disk?" : "see above");
        return 1;
    }
    double secs = (double)(window[1] - window[0]) / hz;
    /* lock_spin_cycles counts every CPU of the machine (all instances, the
     * leader too): so does the time it is compared with */
    double cpu_cycles = (double)(after.tsc - before.tsc) * (si.ncpus > 0 ? si.ncpus : 1);
    double lockwait = cpu_cycles > 0 ? (double)(after.spin - before.spin) / cpu_cycles : 0;
    double busy = after.leader ? (double)(after.serve_us - before.serve_us) * 1000.0 /
                                     (double)(after.up_ns - before.up_ns)
                               : -1;
    printf("loadgen: result mix=%s model=%s cpus=%d procs=%d f=%.3f cycles=%llu regions=%d ms=%llu "
           "iterations=%lld rate=%.1f lockwait=%.4f leaderbusy=%.4f\n",
           mix, si.model, ncpu, procs, share, (unsigned long long)cycles, regions, (unsigned long long)ms,
           (long long)total, (double)total / (secs > 0 ? secs : 1), lockwait, busy);
    return 0;
}
