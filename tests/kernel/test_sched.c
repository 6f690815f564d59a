/* In-kernel tests of kernel threads, the scheduler and sleep/wakeup. */
#include "kernel/ktest.h"
#include "kernel/model.h"
#include "kernel/proc.h"
#include "kernel/time.h"

/* A hang fails the test instead of the run. Generous: with more virtual
 * CPUs than host cores, every hand-over through the big kernel lock can
 * wait for a descheduled CPU. */
#define DEADLINE_NS (60ULL * 1000000000ULL)

static volatile int ran_on[MAX_CPUS];

static void spin_and_note_cpu(void *arg) {
    (void)arg;
    uint64_t until = uptime_ns() + 30000000ULL;
    while (uptime_ns() < until)
        __atomic_fetch_add(&ran_on[cpu_id()], 1, __ATOMIC_RELAXED);
}

KTEST(sched, kthreads_spread_over_cpus) {
    for (int i = 0; i < ncpus; i++)
        ran_on[i] = 0;
    int n = 2 * ncpus, pids[2 * MAX_CPUS];
    for (int i = 0; i < n; i++) {
        struct proc *p = kthread_create("spinner", spin_and_note_cpu, NULL, DEFAULT_PRIO);
        KT_ASSERT(p);
        pids[i] = p->pid;
    }
    for (int i = 0; i < n; i++) {
        int status = -1;
        KT_ASSERT_EQ(proc_wait_kernel(pids[i], &status), pids[i]);
        KT_ASSERT_EQ(status, ABI_W_EXITED(0));
    }
    int used = 0;
    for (int i = 0; i < ncpus; i++)
        used += ran_on[i] > 0;
    printk(LOG_INFO, "ktest:   %d spinning threads ran on %d of %d CPUs\n", n, used, ncpus);
    KT_ASSERT(used >= 1);
    if (ncpus > 1)
        KT_ASSERT(used > 1);
}

/* Ping-pong: two threads hand a token back and forth ROUNDS times with
 * sleep_on/wakeup. A lost wakeup would leave both asleep forever. */
#define ROUNDS 300
static volatile int token, pings, pongs;

static void player(void *arg) {
    int me = (int)(uintptr_t)arg;
    for (int i = 0; i < ROUNDS; i++) {
        model->sched_lock();
        while (token != me)
            sleep_on((void *)&token);
        token = 1 - me;
        if (me)
            pongs++;
        else
            pings++;
        wakeup_locked((void *)&token);
        model->sched_unlock();
    }
}

KTEST(sched, no_lost_wakeups) {
    token = 0;
    pings = pongs = 0;
    struct proc *a = kthread_create("ping", player, (void *)0, DEFAULT_PRIO);
    struct proc *b = kthread_create("pong", player, (void *)1, DEFAULT_PRIO);
    KT_ASSERT(a && b);
    int pa = a->pid, pb = b->pid, st;
    uint64_t deadline = uptime_ns() + DEADLINE_NS;
    while ((pings < ROUNDS || pongs < ROUNDS) && uptime_ns() < deadline)
        sleep_ms(5);
    KT_ASSERT_EQ(pings, ROUNDS);
    KT_ASSERT_EQ(pongs, ROUNDS);
    KT_ASSERT_EQ(proc_wait_kernel(pa, &st), pa);
    KT_ASSERT_EQ(proc_wait_kernel(pb, &st), pb);
}

/* The ready queues hand out the highest priority first (0 is highest) and
 * keep arrival order within a priority. Dummy entries, under the lock, so
 * no other CPU can take them. */
KTEST(sched, priority_order_and_round_robin) {
    static struct proc dummy[5];
    static const int prio[5] = {5, 1, 5, 3, 1};
    static const int expect[5] = {1, 4, 3, 0, 2};
    model->sched_lock();
    for (int i = 0; i < 5; i++) {
        dummy[i].prio = prio[i];
        list_init(&dummy[i].rq);
        model->enqueue(&dummy[i]);
    }
    int got[5], n = 0;
    struct proc *p, *others[MAX_PROCS];
    int nothers = 0;
    while (n < 5 && (p = model->pick_next()) != NULL) {
        if (p >= dummy && p < dummy + 5)
            got[n++] = (int)(p - dummy);
        else if (nothers < MAX_PROCS)
            others[nothers++] = p;
    }
    for (int i = 0; i < nothers; i++) /* real processes that were waiting go back */
        model->enqueue(others[i]);
    model->sched_unlock();
    KT_ASSERT_EQ(n, 5);
    for (int i = 0; i < 5; i++)
        KT_ASSERT_EQ(got[i], expect[i]);
}

/* A thread that never yields must still be preempted by the timer, or the
 * other thread (same CPU when there is only one) would never run. */
static volatile int flag_set;
static void spinner_until_flag(void *arg) {
    (void)arg;
    uint64_t deadline = uptime_ns() + DEADLINE_NS;
    while (!flag_set && uptime_ns() < deadline)
        arch_cpu_relax();
}
static void set_flag(void *arg) {
    (void)arg;
    flag_set = 1;
}

KTEST(sched, timer_preempts_kernel_threads) {
    flag_set = 0;
    int spinners[MAX_CPUS], st;
    for (int i = 0; i < ncpus; i++) { /* enough to occupy every CPU */
        struct proc *p = kthread_create("hog", spinner_until_flag, NULL, DEFAULT_PRIO);
        KT_ASSERT(p);
        spinners[i] = p->pid;
    }
    struct proc *s = kthread_create("setter", set_flag, NULL, DEFAULT_PRIO);
    KT_ASSERT(s);
    int setter = s->pid;
    KT_ASSERT_EQ(proc_wait_kernel(setter, &st), setter);
    for (int i = 0; i < ncpus; i++)
        KT_ASSERT_EQ(proc_wait_kernel(spinners[i], &st), spinners[i]);
    KT_ASSERT(flag_set);
}

static void exit_quietly(void *arg) { (void)arg; }

KTEST(sched, kthread_exit_and_reap) {
    struct proc *p = kthread_create("short", exit_quietly, NULL, DEFAULT_PRIO);
    KT_ASSERT(p);
    int pid = p->pid, st = -1;
    KT_ASSERT_EQ(proc_wait_kernel(pid, &st), pid);
    KT_ASSERT_EQ(st, ABI_W_EXITED(0));
    KT_ASSERT(proc_find(pid) == NULL);
    KT_ASSERT_EQ(proc_wait_kernel(pid, &st), -ABI_ECHILD);
}

KTEST(sched, sleep_ms_waits) {
    uint64_t t0 = uptime_ns();
    KT_ASSERT_EQ(sleep_ms(30), 0);
    KT_ASSERT(uptime_ns() - t0 >= 30000000ULL); /* a lower bound, not a timing */
}
