/*
 * private: each CPU has its own operating system. At boot, init divides
 * physical memory into one slice per CPU (partition= can give one CPU a
 * larger portion for a big program) and gives each CPU an OS instance over
 * its slice: its own frame pool, heap, process table, pid space, ready
 * queues, open-file table and sleep timers. Only the kernel's code, the
 * devices and a small area of shared-memory windows (kernel/shm.c) lie
 * outside the slices. A system call is caught and handled on its own CPU
 * using that instance's tables; processes are created, run and die on
 * their CPU, so one CPU can be idle while another has a queue, and one
 * can run out of pages while another has pages to spare.
 *
 * The lock of an instance is the instance's own (struct os_instance), taken
 * like the big kernel lock, but only ever by the one CPU that serves it: it
 * keeps that CPU's interrupts and nested kernel entries out, and is never
 * contended. No code that serves one instance takes a lock another
 * instance takes, except around the devices they really share (docs/locks.md).
 */
#include "kernel/model.h"
#include "kernel/cpufail.h"
#include "kernel/console.h"
#include "kernel/options.h"
#include "kernel/os.h"
#include "kernel/proc.h"
#include "kernel/printk.h"
#include "kernel/shm.h"
#include "kernel/spinlock.h"
#include "kernel/syscall.h"
#include "lib/string.h"

/* Interrupts go off before the depth is looked at: an interrupt between
 * counting and taking would otherwise find the lock "held" (depth > 0)
 * while it is not, and change the ready queues unlocked. */
static void private_lock(void) {
    push_off();
    struct os_instance *os = this_os();
    if (os->depth++ == 0)
        spin_lock(&os->lock); /* keeps interrupts off until the last unlock */
    else if (!spin_holding(&os->lock))
        panic("private: CPU %d counts depth %d but does not hold its instance's lock", cpu_id(), os->depth - 1);
    pop_off();
}

static void private_unlock(void) {
    struct os_instance *os = this_os();
    if (arch_irq_enabled())
        panic("private: unlock with interrupts enabled (depth %d)", os->depth);
    if (os->depth <= 0)
        panic("private: unlock without lock");
    if (--os->depth == 0)
        spin_unlock(&os->lock);
}

static bool private_held(void) {
    push_off();
    struct os_instance *os = this_os();
    bool held = os->depth > 0 && spin_holding(&os->lock);
    pop_off();
    return held;
}

/* The scheduler loop holds the lock once; a thread that switches away may
 * hold it deeper (kernel entry, then the scheduler) and gets that back. */
static long private_switch_save(void) {
    struct os_instance *os = this_os();
    long saved = os->depth;
    os->depth = 1;
    return saved;
}

static void private_switch_restore(long saved) { this_os()->depth = (int)saved; }

/* ---- the partition ---- */

/* Physical memory in slices: the shared-memory windows at the top, then
 * each CPU's slice in proportion to its weight, CPU 0 lowest (it already
 * holds what the boot allocated: the kernel's page tables, its heap). */
#define SHM_AREA_FRAMES (SHM_WINDOWS * SHM_WINDOW_PAGES)

static uint64_t highest_free_run(const struct frame_pool *p, uint64_t n) {
    uint64_t end = p->first_pfn + p->npfn;
    for (uint64_t start = end - n; start > p->first_pfn; start--)
        if (pool_free_in(p, start, start + n) == n)
            return start;
    return 0;
}

static uint64_t highest_allocated(const struct frame_pool *p) {
    for (uint64_t i = p->npfn; i-- > 0;)
        if (p->refs[i])
            return p->first_pfn + i;
    return p->first_pfn;
}

static unsigned weight(int cpu) {
    return (unsigned)cpu < boot_options.npartition ? boot_options.partition[cpu] : 1;
}

static void partition_memory(int n) {
    struct frame_pool *boot = &os_instances[0].frames;
    uint64_t end = boot->first_pfn + boot->npfn;
    pool_drain_caches(boot); /* cached frames count as taken: the cuts must see them free */
    uint64_t shm = highest_free_run(boot, SHM_AREA_FRAMES);
    if (!shm || !pool_withdraw(boot, shm, end))
        panic("private: no room for the shared-memory windows");
    shm_init(shm * PAGE_SIZE, SHM_AREA_FRAMES);
    if (boot_options.npartition > (unsigned)n)
        pr_warn("private: partition= names %u CPUs, only %d run; the rest of its weights are ignored\n",
                boot_options.npartition, n);

    /* LAB private: BEGIN */
    /* Cut where the free frames below reach each CPU's share. */
    uint64_t lo = boot->first_pfn, total = pool_free_in(boot, lo, shm), wsum = 0, wdone = 0;
    for (int i = 0; i < n; i++)
        wsum += weight(i);
    uint64_t cut[MAX_CPUS + 1];
    cut[0] = lo;
    cut[n] = shm;
    uint64_t pfn = lo, seen = 0;
    for (int i = 1; i < n; i++) {
        wdone += weight(i - 1);
        uint64_t want = total * wdone / wsum;
        for (; pfn < shm && seen < want; pfn++)
            seen += pool_free_in(boot, pfn, pfn + 1);
        cut[i] = pfn;
    }
    uint64_t used = highest_allocated(boot) + 1;
    if (cut[1] < used) /* the boot allocations must stay in slice 0 */
        panic("private: CPU 0's slice (%llu KiB) is smaller than what the boot already used (%llu KiB)",
              (unsigned long long)((cut[1] - lo) * 4), (unsigned long long)((used - lo) * 4));
    for (int i = n - 1; i >= 1; i--)
        if (!pool_carve(boot, &os_instances[i].frames, cut[i], cut[i + 1], "frames"))
            panic("private: cannot make a frame pool for CPU %d over %llx-%llx", i,
                  (unsigned long long)(cut[i] * PAGE_SIZE), (unsigned long long)(cut[i + 1] * PAGE_SIZE));
    pool_truncate(boot, cut[1]);
    /* LAB private: STUB
    // LAB private: carve the frames below the windows (boot->first_pfn up
    // to shm) into n slices, one per CPU, CPU 0's lowest. Slice i's share
    // of the free frames follows its weight (weight(i), from partition=):
    // walk up the frames counting the free ones (pool_free_in) and cut
    // where the count reaches each share. What the boot already allocated
    // (up to highest_allocated()) must stay in CPU 0's slice: panic if
    // its slice would be too small. Give CPUs 1..n-1 a frame pool each over
    // their slice (pool_carve from the boot pool, highest first), then cut
    // the boot pool down to CPU 0's slice (pool_truncate): afterwards no
    // two pools overlap each other or the windows.
    // As it stands all memory stays with instance 0, windows included.
    (void)weight;
    (void)highest_allocated;
       LAB private: END */
    for (int i = 0; i < n; i++) {
        const struct frame_pool *p = &os_instances[i].frames;
        pr_info("private: instance %d (CPU %d): memory %llx-%llx, %llu frames free (%llu MiB)\n", i, i,
                (unsigned long long)(p->first_pfn * PAGE_SIZE),
                (unsigned long long)((p->first_pfn + p->npfn) * PAGE_SIZE), (unsigned long long)p->free,
                (unsigned long long)(p->free * PAGE_SIZE >> 20));
    }
    pr_info("private: shared-memory windows %llx-%llx, outside every instance\n",
            (unsigned long long)(shm * PAGE_SIZE), (unsigned long long)((shm + SHM_AREA_FRAMES) * PAGE_SIZE));
}

/* One instance per CPU that will come up; a CPU that fails to start leaves
 * its instance unserved (it never runs), as a failed CPU would. */
static void private_init(void) {
    int n = arch_cpus_expected(boot_options.maxcpus);
    /* LAB private: BEGIN */
    for (int i = 1; i < n; i++) {
        os_instance_setup(&os_instances[i], i);
        heap_init(&os_instances[i].heap); /* its pages come from the slice at first use */
    }
    partition_memory(n);
    for (int i = 0; i < n; i++) {
        struct os_instance *os = &os_instances[i];
        for (int prio = 0; prio < NPRIO; prio++)
            list_init(&os->ready[prio]);
        spin_init(&os->lock, "instance lock", RANK_INSTANCE);
        cpus[i].os = os;
    }
    os_instance_count = n;
    /* LAB private: STUB
    // LAB private: one OS instance per CPU that will come up (n of them).
    // Instance 0 was set up at boot (kmain, memory_init); give every other
    // one its fields (os_instance_setup) and an empty heap (heap_init)
    // before the memory is divided, divide it (partition_memory), then give
    // every instance its ready queues and its lock and make CPU i serve
    // instance i (cpus[i].os: this_os() reads it). os_instance_count says
    // how many instances there are (os_pool_owning looks through them).
    // As it stands every CPU shares instance 0: a kernel of one table, at
    // one CPU only (instance 0's lock and queues are not made for sharing).
    n = 1;
    partition_memory(n);
    struct os_instance *os = &os_instances[0];
    for (int prio = 0; prio < NPRIO; prio++)
        list_init(&os->ready[prio]);
    spin_init(&os->lock, "instance lock", RANK_INSTANCE);
       LAB private: END */
    console_set_instances(n);
    pr_info("private: %d OS instances, one per CPU; the console is on instance 0 (a line ~N moves it)\n", n);
}

/* ---- the ready queues: the instance's own, seen by no other CPU ---- */

static void count_ready(struct os_instance *os, int delta) {
    __atomic_store_n(&os->nready, os->nready + delta, __ATOMIC_SEQ_CST);
}

/* Priority ready queues: highest priority (0) first, round robin within. */
static void private_enqueue(struct proc *p) {
    list_push_back(&this_os()->ready[p->prio], &p->rq);
    count_ready(this_os(), +1);
}

static struct proc *private_pick_next(void) {
    struct os_instance *os = this_os();
    for (int prio = 0; prio < NPRIO; prio++)
        for (struct list_node *n = os->ready[prio].next; n != &os->ready[prio]; n = n->next) {
            struct proc *p = list_entry(n, struct proc, rq);
            if (!proc_may_run_on(p, cpu_id()))
                continue;
            if (p->cpu != cpu_id())
                panic("private: process %d of instance %d was made on CPU %d and is asked to run on CPU %d",
                      p->pid, os->id, p->cpu, cpu_id());
            list_remove(n);
            count_ready(os, -1);
            return p;
        }
    return NULL;
}

static bool private_dequeue(struct proc *p) {
    list_remove(&p->rq);
    count_ready(this_os(), -1);
    return true;
}

static int private_ready_count(int cpu) { return __atomic_load_n(&cpus[cpu].os->nready, __ATOMIC_SEQ_CST); }

/* Only this CPU runs this instance's processes, and it is the one making
 * p runnable: it looks at its queue when it next schedules. */
static int private_cpu_to_wake(struct proc *p) {
    (void)p;
    return -1;
}

/* A system call is caught and handled on its own CPU, in its own tables. */
static long private_syscall(struct trap_frame *f) { return syscall_run(f); }

static void private_switched_out(struct proc *p) { (void)p; } /* it stays here: processes never move */

static void private_idle_wait(void) { arch_wait_for_interrupt(); } /* sti; hlt: the timer or an IPI ends it */

static void private_tick(void) {} /* time slices are all it needs (sched.c) */

/* Every CPU runs its own kernel and its own processes. */
static bool private_runs_kernel(int cpu) {
    (void)cpu;
    return true;
}

static bool private_runs_user(int cpu) {
    (void)cpu;
    return true;
}

static const char *private_cpu_role(int cpu) {
    (void)cpu;
    return "own os"; /* every CPU runs its own operating system */
}

/* Per instance: its lock's use (never contended), its ready processes and
 * its free memory, which `cpus` shows side by side. */
static int private_stats(struct abi_model_stat *out, int max) {
    int k = 0;
    for (int i = 0; i < os_instance_count; i++) {
        const struct os_instance *os = &os_instances[i];
        const struct { const char *name; uint64_t value; } s[] = {
            {"instance.lock", os->lock.stats.acquisitions},
            {"instance.contended", os->lock.stats.contended},
            {"instance.free_kib", os->frames.free * (PAGE_SIZE / 1024)},
        };
        for (size_t j = 0; j < ARRAY_SIZE(s); j++)
            k = model_stat_put(out, k, max, s[j].name, i, s[j].value);
    }
    return k;
}

/* Whether lock l is one of instance os's own (its tables, its processes),
 * which no CPU but the instance's ever takes. */
static bool owned_by(const struct os_instance *os, const struct spinlock *l) {
    const char *a = (const char *)l;
    return (a >= (const char *)os && a < (const char *)(os + 1)) ||
           (os->procs && a >= (const char *)os->procs && a < (const char *)(os->procs + MAX_PROCS));
}

/* A CPU has failed, and its instance with it: its processes, its tables and
 * its memory slice, which no other instance may take over (the slices
 * were fixed at boot), are gone. No other instance ever waited for its
 * locks, so the others go on untouched, even when it failed inside its
 * kernel; only a lock the instances share (the console's, a shared
 * window's) would hold them up, and then the kernel stops. */
static void private_cpu_failed(int cpu) {
    struct os_instance *os = cpus[cpu].os;
    for (int i = 0; i < cpus[cpu].nheld && i < MAX_HELD_LOCKS; i++)
        if (!owned_by(os, cpus[cpu].held[i]))
            cpu_fail_stop_if_locked(cpu);
    int n = 0;
    for (int i = 0; os->procs && i < MAX_PROCS; i++)
        n += __atomic_load_n(&os->procs[i].state, __ATOMIC_RELAXED) != P_UNUSED;
    pr_err("private: OS instance %d is gone with CPU %d and its %d processes; its memory %llx-%llx (%llu MiB) "
           "stays lost\n",
           os->id, cpu, n, (unsigned long long)(os->frames.first_pfn * PAGE_SIZE),
           (unsigned long long)((os->frames.first_pfn + os->frames.npfn) * PAGE_SIZE),
           (unsigned long long)(os->frames.npfn * PAGE_SIZE >> 20));
    if (__atomic_exchange_n(&os->init, NULL, __ATOMIC_SEQ_CST))
        init_lost(os->id);
}

const struct model_ops model_private = {
    .name = "private",
    .init = private_init,
    .kernel_enter = private_lock,
    .kernel_exit = private_unlock,
    .syscall = private_syscall,
    .sched_lock = private_lock,
    .sched_unlock = private_unlock,
    .sched_locked = private_held,
    .switch_save = private_switch_save,
    .switch_restore = private_switch_restore,
    .enqueue = private_enqueue,
    .pick_next = private_pick_next,
    .dequeue = private_dequeue,
    .ready_count = private_ready_count,
    .cpu_to_wake = private_cpu_to_wake,
    .switched_out = private_switched_out,
    .idle_wait = private_idle_wait,
    .tick = private_tick,
    .cpu_role = private_cpu_role,
    .runs_kernel = private_runs_kernel,
    .runs_user = private_runs_user,
    .stats = private_stats,
    .cpu_failed = private_cpu_failed,
};
