/* In-kernel tests of kernel threads, the scheduler and sleep/wakeup. */
#include "kernel/ktest.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/proc.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "lib/string.h"

/* A hang fails the test instead of the run. Generous: with more virtual
 * CPUs than host cores, every hand-over through the big kernel lock can
 * wait for a descheduled CPU. */
#define DEADLINE_NS (60ULL * 1000000000ULL)

static volatile int ran_on[MAX_CPUS];

static int cpus_used(void) {
    int used = 0;
    for (int i = 0; i < ncpus; i++)
        used += __atomic_load_n(&ran_on[i], __ATOMIC_RELAXED) > 0;
    return used;
}

/* The CPUs that run kernel threads for this OS instance: all of them
 * under bkl, the leader alone under leader, this CPU alone under private. */
static int kernel_cpus(void) {
    int n = 0;
    for (int i = 0; i < ncpus; i++)
        n += cpus[i].os == this_os() && model->runs_kernel(i);
    return n;
}

/* Spin, noting the CPU, until spinners have run on every CPU (or the
 * deadline passes): then how fast a busy host lets each virtual CPU run
 * does not decide the outcome, only whether the scheduler uses them all. */
static void spin_and_note_cpu(void *arg) {
    uint64_t deadline = *(const uint64_t *)arg;
    do
        __atomic_fetch_add(&ran_on[cpu_id()], 1, __ATOMIC_RELAXED);
    while (cpus_used() < kernel_cpus() && uptime_ns() < deadline);
}

KTEST(sched, kthreads_spread_over_cpus) {
    for (int i = 0; i < ncpus; i++)
        ran_on[i] = 0;
    static uint64_t deadline;
    deadline = uptime_ns() + DEADLINE_NS;
    int n = 2 * kernel_cpus(), pids[2 * MAX_CPUS];
    for (int i = 0; i < n; i++) {
        struct proc *p = kthread_create("spinner", spin_and_note_cpu, &deadline, DEFAULT_PRIO);
        KT_ASSERT(p);
        pids[i] = p->pid;
    }
    for (int i = 0; i < n; i++) {
        int status = -1;
        KT_ASSERT_EQ(proc_wait_kernel(pids[i], &status), pids[i]);
        KT_ASSERT_EQ(status, ABI_W_EXITED(0));
    }
    int used = cpus_used();
    printk(LOG_INFO, "ktest:   %d spinning threads ran on %d of the %d CPUs that run kernel code here (%d online)\n",
           n, used, kernel_cpus(), ncpus);
    KT_ASSERT_EQ(used, kernel_cpus());
    for (int i = 0; i < ncpus; i++) /* and none where the organisation forbids it, or of another instance */
        if (!model->runs_kernel(i) || cpus[i].os != this_os())
            KT_ASSERT_EQ(ran_on[i], 0);
}

/* Ping-pong: two threads hand a token back and forth ROUNDS times with
 * sleep(chan, lock)/wakeup, the token under its own lock. A lost wakeup
 * would leave both asleep forever. */
#define ROUNDS 300
static volatile int token, pings, pongs;
static struct spinlock token_lock = SPINLOCK_INIT("test token", RANK_SLEEP_COND);

static void player(void *arg) {
    int me = (int)(uintptr_t)arg;
    for (int i = 0; i < ROUNDS; i++) {
        model->sched_lock();
        spin_lock(&token_lock);
        while (token != me)
            sleep((void *)&token, &token_lock);
        token = 1 - me;
        if (me)
            pongs++;
        else
            pings++;
        wakeup((void *)&token);
        spin_unlock(&token_lock);
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
 * keep arrival order within a priority. Dummy kernel threads in free slots
 * of the process table (an organisation may keep per-slot state), pinned
 * to this CPU, with interrupts off (this thread stays here) and under the
 * scheduler lock, so no other CPU can take them and this one does not run
 * them. The table lock keeps the slots from being handed out meanwhile. */
KTEST(sched, priority_order_and_round_robin) {
    static const int prio[5] = {5, 1, 5, 3, 1};
    static const int expect[5] = {1, 4, 3, 0, 2};
    struct proc *dummy[5], *procs = this_os()->procs;
    int ndummy = 0;
    push_off();
    model->sched_lock();
    proc_table_lock();
    for (int i = 0; i < MAX_PROCS && ndummy < 5; i++)
        if (procs[i].state == P_UNUSED) {
            struct proc *d = dummy[ndummy] = &procs[i];
            memset((char *)d + sizeof d->lock, 0, sizeof *d - sizeof d->lock); /* its lock stays */
            d->is_kthread = true;
            d->affinity = cpu_id();
            d->cpu = cpu_id(); /* private: a process of this CPU's instance */
            d->prio = prio[ndummy++];
            d->state = P_RUNNABLE;
            list_init(&d->rq);
            model->enqueue(d);
        }
    int got[5], n = 0;
    struct proc *p, *others[MAX_PROCS];
    int nothers = 0;
    while (n < 5 && (p = model->pick_next()) != NULL) {
        int which = -1;
        for (int i = 0; i < ndummy; i++)
            if (p == dummy[i])
                which = i;
        if (which >= 0)
            got[n++] = which;
        else if (nothers < MAX_PROCS)
            others[nothers++] = p;
    }
    for (int i = 0; i < nothers; i++) /* real processes that were waiting go back */
        model->enqueue(others[i]);
    for (int i = 0; i < ndummy; i++)
        dummy[i]->state = P_UNUSED;
    proc_table_unlock();
    model->sched_unlock();
    pop_off();
    KT_ASSERT_EQ(ndummy, 5);
    KT_ASSERT_EQ(n, 5);
    for (int i = 0; i < 5; i++)
        KT_ASSERT_EQ(got[i], expect[i]);
}

/* A thread that never yields must still be preempted by the timer, or the
 * other thread (same CPU when there is only one) would never run. The hogs
 * give up at the deadline so that a failure ends; each one says whether it
 * stopped because the setter ran meanwhile (which needed a preemption) or
 * only because time ran out. */
static volatile int flag_set, hogs_saw_flag;
static void spinner_until_flag(void *arg) {
    (void)arg;
    uint64_t deadline = uptime_ns() + DEADLINE_NS;
    while (!flag_set && uptime_ns() < deadline)
        arch_cpu_relax();
    if (flag_set)
        __atomic_fetch_add(&hogs_saw_flag, 1, __ATOMIC_RELAXED);
}
static void set_flag(void *arg) {
    (void)arg;
    flag_set = 1;
}

KTEST(sched, timer_preempts_kernel_threads) {
    flag_set = 0;
    hogs_saw_flag = 0;
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
    KT_ASSERT_EQ(hogs_saw_flag, ncpus);
}

static void exit_quietly(void *arg) { (void)arg; }

KTEST(sched, kthread_exit_and_reap) {
    struct proc *p = kthread_create("short", exit_quietly, NULL, DEFAULT_PRIO);
    KT_ASSERT(p);
    int pid = p->pid, st = -1;
    KT_ASSERT_EQ(proc_wait_kernel(pid, &st), pid);
    KT_ASSERT_EQ(st, ABI_W_EXITED(0));
    proc_table_lock();
    bool found = proc_find(pid) != NULL;
    proc_table_unlock();
    KT_ASSERT(!found);
    KT_ASSERT_EQ(proc_wait_kernel(pid, &st), -ABI_ECHILD);
}

KTEST(sched, sleep_ms_waits) {
    uint64_t t0 = uptime_ns();
    KT_ASSERT_EQ(sleep_ms(30), 0);
    KT_ASSERT(uptime_ns() - t0 >= 30000000ULL); /* a lower bound, not a timing */
}

/* The scheduler lock counts as held only while it really is: an interrupt
 * that takes it (here a remote call, as a timer tick's wake-ups would) on a
 * CPU whose thread is taking or dropping it must either find it free and
 * take it, or find it held by that thread. A thread takes and drops the
 * lock as fast as it can with interrupts on while the test interrupts
 * whichever CPU it is on. */
static volatile int looper_cpu = -1, looper_stop;
static void lock_looper(void *arg) {
    (void)arg;
    while (!looper_stop) {
        looper_cpu = cpu_id();
        model->sched_lock();
        model->sched_unlock();
    }
}

static void probe_sched_lock(void *arg) {
    model->sched_lock();
    if (!model->sched_locked())
        __atomic_fetch_add((volatile int *)arg, 1, __ATOMIC_RELAXED);
    model->sched_unlock();
}

KTEST(sched, lock_is_held_when_counted) {
    if (kernel_cpus() < 2)
        KT_SKIP("needs 2 CPUs that run kernel threads (the probe interrupts another CPU)");
    looper_stop = 0;
    looper_cpu = -1;
    struct proc *l = kthread_create("looper", lock_looper, NULL, DEFAULT_PRIO);
    KT_ASSERT(l);
    int pid = l->pid, st;
    volatile int not_held = 0;
    int probes = 0;
    uint64_t deadline = uptime_ns() + DEADLINE_NS;
    while (probes < 300 && uptime_ns() < deadline) {
        int target = looper_cpu;
        if (target >= 0 && target != cpu_id()) {
            smp_call_locking(target, probe_sched_lock, (void *)&not_held); /* it takes a lock */
            probes++;
        }
        arch_cpu_relax();
    }
    looper_stop = 1;
    KT_ASSERT_EQ(proc_wait_kernel(pid, &st), pid);
    printk(LOG_INFO, "ktest:   %d probes of the scheduler lock from interrupts\n", probes);
    KT_ASSERT_EQ(not_held, 0);
    KT_ASSERT(probes > 0);
}

/* Every switch leaves the interrupt state defined (sched.c): a thread that
 * sleeps with interrupts enabled must not hand "enabled" on to the
 * scheduler loop and from there to threads that start afterwards (a new
 * user process would reach iretq with interrupts on after swapgs). The
 * checks are in the scheduler and first_run_*(), which panic; this test
 * makes the situation happen on every CPU. */
static volatile int sleeper_stop;
static void sleep_with_interrupts_on(void *arg) {
    (void)arg;
    while (!sleeper_stop)
        sleep_ms(1);
}

static void note_interrupt_state(void *arg) {
    if (!arch_irq_enabled()) /* a kernel thread's own code runs with interrupts on */
        __atomic_fetch_add((volatile int *)arg, 1, __ATOMIC_RELAXED);
}

KTEST(sched, switches_keep_interrupts_defined) {
    sleeper_stop = 0;
    int sleepers[MAX_CPUS], st;
    for (int i = 0; i < ncpus; i++) {
        struct proc *p = kthread_create("sleeper", sleep_with_interrupts_on, NULL, DEFAULT_PRIO);
        KT_ASSERT(p);
        sleepers[i] = p->pid;
    }
    static volatile int off_in_thread;
    off_in_thread = 0;
    for (int round = 0; round < 50; round++) {
        struct proc *p = kthread_create("starter", note_interrupt_state, (void *)&off_in_thread, DEFAULT_PRIO);
        KT_ASSERT(p);
        int pid = p->pid;
        KT_ASSERT_EQ(proc_wait_kernel(pid, &st), pid);
    }
    sleeper_stop = 1;
    for (int i = 0; i < ncpus; i++)
        KT_ASSERT_EQ(proc_wait_kernel(sleepers[i], &st), sleepers[i]);
    KT_ASSERT_EQ(off_in_thread, 0);
}
