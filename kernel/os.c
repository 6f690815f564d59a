#include "kernel/os.h"
#include "kernel/worktable.h"
#include "kernel/file.h"
#include "kernel/ktest.h"
#include "kernel/model.h"
#include "kernel/options.h"
#include "kernel/poll.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/sleeplock.h"
#include "kernel/vm.h"
#include "lib/fmt.h"
#include "arch.h"

struct os_instance os_instances[MAX_OS_INSTANCES];
int os_instance_count = 1;

struct frame_pool *os_pool_owning(uint64_t pa) {
    for (int i = 0; i < os_instance_count; i++)
        if (pool_owns(&os_instances[i].frames, pa))
            return &os_instances[i].frames;
    panic("no OS instance owns physical address %llx", (unsigned long long)pa);
}

void os_instance_setup(struct os_instance *os, int id) {
    os->id = id;
    os->first_cpu = -1;
    os->next_deadline_ns = UINT64_MAX;
    os->next_alarm_ns = UINT64_MAX;
    spin_init(&os->proc_lock, "process table", RANK_PROC_TABLE);
    spin_init(&os->files_lock, "open-file table", RANK_FILES);
    spin_init(&os->timers, "sleep timers", RANK_SLEEP_COND);
    arch_kstack_area_init(&os->kstacks, id, &os->frames);
    os->console = (struct file){.type = F_CONSOLE, .refs = 1, .mode = ABI_S_IFCHR | 0666, .writable = true};
    spin_init(&os->console.lock, "console file", RANK_FILE);
    spin_init(&os->console_readers, "console readers", RANK_SLEEP_COND);
    spin_init(&os->done_lock, "disk waiters", RANK_SLEEP_COND);
}

/* The lock table (spin_dump_all) lists every lock by name: an instance's
 * own locks carry its number, so the dump shows which locks each instance
 * has and that no other instance ever took them. */
static void name_locks(struct os_instance *os) {
    struct spinlock *locks[] = {&os->frames.lock, &os->files_lock, &os->kstacks.lock, &os->lock, &os->proc_lock,
                                &os->timers, &os->done_lock};
    const char *what[] = {"frames", "open files", "kernel stacks", "instance lock", "process table", "sleep timers",
                          "disk waiters"};
    _Static_assert(ARRAY_SIZE(locks) <= ARRAY_SIZE(os->lock_names), "a name for each lock");
    for (size_t i = 0; i < ARRAY_SIZE(locks); i++) {
        fmt_snprintf(os->lock_names[i], sizeof os->lock_names[i], "%s (os %d)", what[i], os->id);
        locks[i]->name = os->lock_names[i];
    }
}

bool os_instance_claim(void) {
    struct os_instance *os = this_os();
    if (__atomic_exchange_n(&os->claimed, 1, __ATOMIC_ACQ_REL))
        return false; /* another CPU of a shared instance got here first */
    /* Allocated here, by the instance's own CPU: from its own slice. */
    os->procs = kzalloc(sizeof(struct proc) * MAX_PROCS);
    if (!os->procs)
        panic("OS instance %d: no memory for the process table", os->id);
    for (int i = 0; i < MAX_PROCS; i++)
        spin_init(&os->procs[i].lock, "process", RANK_PROC);
    as_table_init(os);   /* address spaces (vm.c) */
    file_table_init(os); /* open files (fs.c) */
    worktable_init(os);  /* the benchmark's kernel work (worktable.c) */
    name_locks(os);
    __atomic_store_n(&os->first_cpu, cpu_id(), __ATOMIC_RELEASE);
    return true;
}

int os_instance_cpu(int id) { return __atomic_load_n(&os_instances[id].first_cpu, __ATOMIC_ACQUIRE); }

static void ktest_thread(void *arg) { ktest_main(arg); }

void os_instance_start_programs(void) {
    if (boot_options.test[0]) { /* tests run as a kernel thread of the boot instance */
        if (this_os()->id == 0)
            kthread_create("ktest", ktest_thread, boot_options.test, 0);
    } else {
        if (!this_os()->fs)
            fs_mount_root(); /* private: its own view of the disk, over its own cache (data only: ext2.h) */
        proc_start_init("init", boot_options.run);
        fs_start_threads(); /* disk watchdog, cache flusher of an instance with a disk (after init: pid 1) */
    }
}

/* Sleepers look at their condition and go to sleep under lk: the wakeup
 * takes it too, so that it cannot fall in between. */
static void wake_under(void *chan, struct spinlock *lk) {
    model->sched_lock(); /* first, before any lock: the scheduling paths' rule (sched.c) */
    spin_lock(lk);
    wakeup(chan);
    spin_unlock(lk);
    model->sched_unlock();
}

void os_wake(struct os_instance *os, void *chan, struct spinlock *lk, volatile int *pending) {
    if (this_os() == os) {
        wake_under(chan, lk);
        return;
    }
    /* Another instance's tables are not ours to touch: leave a note, and
     * ring its CPU so that it looks at once rather than at its next tick. */
    __atomic_store_n(pending, 1, __ATOMIC_RELEASE);
    int cpu = os_instance_cpu(os->id);
    if (cpu >= 0)
        arch_send_resched_ipi(cpu);
}

/* A note os_wake() left for this instance: taken once. */
static bool take_pending(volatile int *pending) {
    return __atomic_load_n(pending, __ATOMIC_ACQUIRE) && __atomic_exchange_n(pending, 0, __ATOMIC_ACQ_REL);
}

/* Console readers sleep on their console file (fs.c); pollers of the
 * console on the instance's poll channel (poll.c). */
void os_console_input_for(int id) {
    struct os_instance *os = &os_instances[id];
    os_wake(os, &os->console, &os->console_readers, &os->console_pending);
    if (this_os() == os)
        poll_notify();
}

void os_console_interrupt_for(int id) {
    struct os_instance *os = &os_instances[id];
    if (this_os() == os) {
        signal_console_interrupt();
        return;
    }
    __atomic_store_n(&os->console_intr_pending, 1, __ATOMIC_RELEASE); /* as os_wake() */
    int cpu = os_instance_cpu(os->id);
    if (cpu >= 0)
        arch_send_resched_ipi(cpu);
}

void os_poll_events(void) {
    struct os_instance *os = this_os();
    if (take_pending(&os->console_pending)) {
        wake_under(&os->console, &os->console_readers);
        poll_notify();
    }
    if (take_pending(&os->console_intr_pending))
        signal_console_interrupt();
    if (take_pending(&os->done_pending)) /* a disk completion that another instance's CPU took */
        wake_under((void *)&os->done_pending, &os->done_lock);
    if (cpu_id() == os->first_cpu) { /* one CPU per instance looks at the deadlines */
        sched_wake_expired_sleepers();
        signal_alarm_tick();
        sched_watch_lost_wakeups();
    }
}
