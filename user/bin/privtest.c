/*
 * privtest - isolation tests of the `private` organisation, run by the init
 * of every OS instance at once (run=privtest): each instance prints
 * "privtest: N passed, N failed". The instances meet through counters in
 * a shared-memory window, so the tests do not depend on timing:
 *
 *   own_cpu          getcpu() is always this instance's CPU, also in children
 *   own_processes    procinfo shows only this instance's processes, pids are
 *                    the instance's own (init is pid 1 everywhere)
 *   no_moving        setaffinity() to another instance's CPU is refused
 *   window_ring      a producer here and a consumer on the next instance
 *                    exchange 20000 items through a window (pairs 0-1, 2-3..;
 *                    with one instance, a child is the producer)
 *   out_of_memory    instance 0 takes all its memory; while it has none, the
 *                    others still have theirs and fork and run programs;
 *                    then instance 0 gives it back
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"
#include "shmring.h"

#define PAGE 4096
#define WAIT_NS (60ull * 1000000000ull)

static struct abi_sysinfo si;
static int me, n;            /* my instance, how many */
static int passed, failed, cur_failed;
static const char *cur;
static volatile int *sync_counters;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("privtest: FAIL %s: ", cur);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    cur_failed = 1;
}

/* Arrive at meeting point `k` and wait until `want` instances have. */
static void meet(int k, int want)
{
    __atomic_add_fetch(&sync_counters[k], 1, __ATOMIC_SEQ_CST);
    uint64_t start = uptime_ns();
    while (__atomic_load_n(&sync_counters[k], __ATOMIC_SEQ_CST) < want) {
        if (uptime_ns() - start > WAIT_NS) {
            fail("meeting %d: %d of %d instances came", k, sync_counters[k], want);
            return;
        }
        sleep_ms(2);
    }
}

static void t_own_cpu(void)
{
    for (int i = 0; i < 200; i++) {
        if (getcpu() != me) {
            fail("getcpu() = %d on instance %d", getcpu(), me);
            return;
        }
        if (i % 20 == 0)
            sched_yield();
    }
    int pid = fork();
    if (pid == 0)
        _exit(getcpu() == me ? 0 : 1);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail("a child of instance %d ran elsewhere (status %x)", me, st);
}

static void t_own_processes(void)
{
    int pids[4];
    for (int i = 0; i < 4; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            sleep_ms(200);
            _exit(0);
        }
    }
    struct abi_procinfo p;
    int used = 0, init_seen = 0, kids = 0;
    for (int slot = 0, r; (r = procinfo(slot, &p)) >= 0; slot++) {
        if (r != 1)
            continue;
        used++;
        if (p.cpu != me)
            fail("pid %d (%s) in my table has CPU %d", p.pid, p.name, p.cpu);
        if (p.pid == 1 && strcmp(p.name, "init") == 0)
            init_seen = 1;
        for (int i = 0; i < 4; i++)
            kids += p.pid == pids[i];
    }
    sysinfo(&si);
    if (!init_seen)
        fail("no init with pid 1 in instance %d's table", me);
    if (kids != 4)
        fail("%d of my 4 children in my table", kids);
    if ((unsigned)used != si.nprocs)
        fail("procinfo lists %d processes, sysinfo says %u", used, si.nprocs);
    for (int i = 0; i < 4; i++)
        waitpid(pids[i], NULL, 0);
}

static void t_no_moving(void)
{
    if (n == 1)
        return;
    int other = (me + 1) % n;
    if (setaffinity(0, other) == 0 || errno != EINVAL)
        fail("setaffinity(0, %d) on instance %d: %s", other, me, strerror(errno));
    if (getcpu() != me)
        fail("moved to CPU %d", getcpu());
    if (setaffinity(0, me) != 0 || setaffinity(0, -1) != 0)
        fail("setaffinity to my own CPU failed: %s", strerror(errno));
}

#define ITEMS 20000

static int consume(struct shm_ring *r)
{
    int bad = 0;
    uint64_t start = uptime_ns();
    for (long i = 0; i < ITEMS; i++) {
        while (shm_ring_empty(r)) {
            if (uptime_ns() - start > WAIT_NS)
                return -1;
            sched_yield();
        }
        bad += shm_ring_get(r) != shm_ring_item((uint64_t)i);
    }
    return bad;
}

static void produce(struct shm_ring *r)
{
    for (long i = 0; i < ITEMS; i++) {
        while (shm_ring_full(r))
            sched_yield();
        shm_ring_put(r, shm_ring_item((uint64_t)i));
    }
}

static void t_window_ring(void)
{
    char name[32];
    int pair = me / 2;
    snprintf(name, sizeof name, "pt.ring%d", pair);
    if (n == 1) { /* one instance: a child produces */
        struct shm_ring *r = shm_map(name);
        if (!r) {
            fail("shm_map: %s", strerror(errno));
            return;
        }
        int pid = fork();
        if (pid == 0) {
            produce(r);
            _exit(0);
        }
        int bad = consume(r);
        waitpid(pid, NULL, 0);
        if (bad)
            fail("%d items wrong (-1: none came)", bad);
        return;
    }
    if (me % 2 == 1 || me + 1 < n) {
        struct shm_ring *r = shm_map(name);
        if (!r) {
            fail("shm_map(%s): %s", name, strerror(errno));
            return;
        }
        if (me % 2 == 0) {
            produce(r);
            printf("privtest:   instance %d produced %d items into %s\n", me, ITEMS, name);
        } else {
            int bad = consume(r);
            if (bad)
                fail("%d items from instance %d wrong (-1: none came)", bad, me - 1);
            else
                printf("privtest:   instance %d consumed %d items from instance %d through %s\n", me, ITEMS,
                       me - 1, name);
        }
    }
    /* A window really is outside every instance's memory. */
    if (shm_map("") != NULL || errno != EINVAL)
        fail("shm_map(\"\") did not fail with EINVAL");
}

/* Instance 0 exhausts its memory; the others check theirs and work. */
static void t_out_of_memory(void)
{
    meet(1, n);
    if (me == 0) {
        sysinfo(&si);
        /* sbrk checks each growth against the frames free right now, so
         * the pages are touched as the break grows: until sbrk says no. */
        uint64_t pages = 0;
        char *base = sbrk(0);
        for (int step = 64; step >= 1; step = step > 1 ? step / 8 : 0)
            while (sbrk(step * PAGE) != (void *)-1)
                for (int k = 0; k < step; k++, pages++)
                    base[pages * PAGE] = 1;
        sysinfo(&si);
        printf("privtest:   instance 0 holds %llu pages; %llu frames left of %llu\n", (unsigned long long)pages,
               (unsigned long long)si.free_frames, (unsigned long long)si.total_frames);
        if (si.free_frames > 300)
            fail("instance 0 still has %llu free frames after sbrk said no", (unsigned long long)si.free_frames);
        for (unsigned i = 1; i < si.ninstances; i++)
            if (si.os[i].free_frames < si.os[i].total_frames / 2)
                fail("instance %u has only %llu of %llu frames free while 0 is exhausted", i,
                     (unsigned long long)si.os[i].free_frames, (unsigned long long)si.os[i].total_frames);
        meet(2, n); /* exhausted now */
        meet(3, n); /* the others have worked meanwhile */
        sbrk(-(intptr_t)(pages * PAGE));
        sysinfo(&si);
        if (si.free_frames < si.total_frames / 2)
            fail("after giving back: %llu of %llu frames free", (unsigned long long)si.free_frames,
                 (unsigned long long)si.total_frames);
    } else {
        meet(2, n);
        for (int i = 0; i < 5; i++) {
            int pid = fork();
            if (pid == 0) {
                char *args[] = {"echo", "privtest:   a program runs beside the exhausted instance", NULL};
                char *env[] = {NULL};
                execve("echo", args, env);
                _exit(127);
            }
            int st = 0;
            if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fail("fork+exec %d on instance %d while 0 is exhausted: pid %d status %x errno %d", i, me, pid, st,
                     errno);
                break;
            }
        }
        void *p = sbrk(256 * PAGE);
        if (p == (void *)-1)
            fail("instance %d could not grow its heap by 1 MiB", me);
        else {
            memset(p, 1, 256 * PAGE);
            sbrk(-256 * PAGE);
        }
        meet(3, n);
    }
}

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
    {"own_cpu", t_own_cpu},
    {"own_processes", t_own_processes},
    {"no_moving", t_no_moving},
    {"window_ring", t_window_ring},
    {"out_of_memory", t_out_of_memory},
};

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (sysinfo(&si) != 0 || strcmp(si.model, "private") != 0) {
        printf("privtest: needs model=private (this is %.16s)\n", si.model);
        printf("privtest: 0 passed, 1 failed\n");
        return 1;
    }
    me = (int)si.os_instance;
    n = (int)si.ninstances;
    sync_counters = shm_map("pt.sync");
    if (!sync_counters) {
        printf("privtest: shm_map: %s\nprivtest: 0 passed, 1 failed\n", strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        cur = tests[i].name;
        cur_failed = 0;
        tests[i].fn();
        if (cur_failed)
            failed++;
        else {
            passed++;
            printf("privtest: PASS %s\n", cur);
        }
    }
    printf("privtest: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
