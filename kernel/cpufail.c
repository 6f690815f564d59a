/*
 * When a CPU fails. The texts (shared/seeds/004, last paragraph): an SMP
 * kernel "continues to operate despite failures"; a CPU that fails outside
 * the kernel takes only the process it was running with it. Here a CPU can
 * be failed on purpose and the others notice and carry on, each
 * organisation in its own way (model->cpu_failed).
 *
 * Failing. cpufail(cpu, how) (the system call, the `cpufail` program) or
 * cpufail=N@MS (a boot option) marks the CPU's fail_how and sends it an
 * NMI, which no interrupt-disabled code holds off. The CPU stops where it
 * was asked to: `user` at the first NMI or timer tick that interrupts user
 * code, `kernel` at once in its NMI handler (kernel code, whatever it was
 * doing), `lock` at its next timer tick after taking the organisation's
 * scheduler lock and the process-table lock (bkl: the big kernel lock and
 * the table; fine: the table), or at once if the NMI finds it holding a
 * lock already. It stops with interrupts off and cleans nothing up: locks
 * stay taken, its process stays "running", as after a loss of power.
 *
 * Noticing. Every timer tick bumps the CPU's heartbeat, first thing. Every
 * CPU, on its own tick, looks at the others' heartbeats; one whose
 * heartbeat stood still while the others took CPU_DEAD_AFTER_TICKS ticks
 * is dead. A CPU spinning for a lock or a remote call with interrupts off
 * takes no ticks, so it looks at the CPU it waits for meanwhile
 * (cpu_fail_waiting): by the same rule, and, since all live CPUs may be
 * waiting so (for the big lock the dead CPU holds), also by the time its
 * heartbeat has stood still during this wait. Before the verdict the
 * suspect is pinged with NMIs, which a live CPU answers even with
 * interrupts off (its heartbeat moves in its NMI handler); a stopped CPU
 * sits in its NMI handler with NMIs blocked and cannot. The first CPU to see it reports it once
 * (which CPU, since when, what it ran, which locks it held), marks it
 * failed and offline, moves device interrupts away from it, and calls
 * model->cpu_failed on itself.
 *
 * Why so cautious (50 of the others' ticks AND 1.5 s, with NMI pings in
 * between, where a real machine could say "dead" after 10 ticks): QEMU runs
 * each virtual CPU as a host thread under TCG, often four or eight of them
 * on two host cores shared with other work. A halted or descheduled one
 * takes its ticks late and coalesced (an idle CPU here may see 6 ticks a
 * second instead of 100), and when the thread that runs QEMU's timers is
 * descheduled every CPU misses them at once. Both a wall-clock rule alone
 * and a tick rule alone declared live CPUs dead while testing this. And
 * since a false "dead" would run the CPU's process twice, the verdict is
 * followed by fencing (fence()): the CPU is stopped for real first.
 * (docs/organisations.md, "When a CPU fails").
 */
#include "kernel/cpufail.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/model.h"
#include "kernel/heap.h"
#include "kernel/options.h"
#include "kernel/os.h"
#include "kernel/proc.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"

#define STOPPED (-1) /* fail_how of a CPU that has stopped */
#define NOW (-2)     /* fail_how: stop at the NMI this CPU has just sent itself */

/* What each CPU saw of each other CPU: its heartbeat, and the machine's
 * clock in ticks (the fastest heartbeat of the others) when that heartbeat
 * last moved. Only the observing CPU writes its row: no races. A table of
 * nseen x nseen entries from the heap (cpu_fail_init): as a 64 x 64 array
 * in the kernel's image it made the image too big for a 9 MiB boot. */
struct sight {
    uint64_t beat, ref, pinged, since_ns;
};
static struct sight *seen;
static int nseen;

void cpu_fail_init(int n) {
    seen = kzalloc(sizeof *seen * (size_t)n * (size_t)n);
    if (!seen)
        panic("cpufail: no memory for the heartbeat table of %d CPUs", n);
    nseen = n;
}

/* A CPU that has kept interrupts off for a while is not dead if it answers
 * an NMI (cpu_fail_nmi bumps its heartbeat): ask it before the verdict. */
static void ping(int cpu, uint64_t *last, uint64_t when) {
    *last = when;
    arch_send_fail_nmi(cpu);
}

static volatile int scheduled_fired; /* cpufail= has been acted on */

int cpu_fail_live_cpus(void) {
    int n = 0;
    for (int i = 0; i < ncpus; i++)
        n += cpus[i].online && __atomic_load_n(&cpus[i].fail_how, __ATOMIC_SEQ_CST) == 0;
    return n;
}

int cpu_fail_request(int cpu, int how) {
    if (how < ABI_CPUFAIL_USER || how > ABI_CPUFAIL_LOCK || cpu < 0 || cpu >= ncpus || !cpus[cpu].online)
        return -ABI_EINVAL;
    int none = 0;
    if (!__atomic_compare_exchange_n(&cpus[cpu].fail_how, &none, how, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return -ABI_EBUSY;
    if (cpu_fail_live_cpus() < 1) { /* it was the last one: someone must be left to notice */
        __atomic_store_n(&cpus[cpu].fail_how, 0, __ATOMIC_SEQ_CST);
        return -ABI_EBUSY;
    }
    static const char *const hows[] = {"", "user code", "kernel code", "a kernel lock"};
    pr_info("cpufail: CPU %d is asked to fail (in %s), by CPU %d\n", cpu, hows[how], cpu_id());
    if (cpu != cpu_id())
        arch_send_fail_nmi(cpu);
    return 0;
}

/* The power goes: interrupts off, and nothing else. Always inside the NMI
 * handler, never returning from it, so that NMIs stay blocked (SDM vol. 3A
 * 6.7.1): the CPU answers no more pings (look_at), as a dead one would. */
static __attribute__((noreturn)) void stop_here(void) {
    arch_irq_disable();
    __atomic_store_n(&this_cpu()->fail_how, STOPPED, __ATOMIC_SEQ_CST);
    arch_halt_forever();
}

/* Outside the NMI handler (a timer tick): an NMI to itself gets it there. */
static __attribute__((noreturn)) void stop_via_nmi(void) {
    __atomic_store_n(&this_cpu()->fail_how, NOW, __ATOMIC_SEQ_CST);
    arch_send_fail_nmi(cpu_id());
    for (;;) /* taken at once, whatever the interrupt flag says */
        arch_cpu_relax();
}

/* Every NMI is a sign of life too: a CPU that looks dead is pinged with
 * one (look_at), and a live CPU that keeps interrupts off for long (a long
 * system call under the big lock) answers it here. */
void cpu_fail_nmi(struct trap_frame *f) {
    struct cpu *c = this_cpu();
    int how = __atomic_load_n(&c->fail_how, __ATOMIC_SEQ_CST);
    if (how == STOPPED || how == NOW || how == ABI_CPUFAIL_KERNEL || (how == ABI_CPUFAIL_USER && trap_from_user(f)) ||
        (how == ABI_CPUFAIL_LOCK && c->nheld > 0))
        stop_here();
    __atomic_store_n(&c->heartbeat, c->heartbeat + 1, __ATOMIC_RELAXED);
}

/* A timer tick interrupts code that holds no spinlock (they keep
 * interrupts off), so `lock` takes its locks here, in rank order. */
static void stop_if_asked(struct trap_frame *f) {
    struct cpu *c = this_cpu();
    if (boot_options.cpufail_cpu == c->id && !scheduled_fired &&
        uptime_ns() >= boot_options.cpufail_ms * 1000000ULL) {
        scheduled_fired = 1;
        pr_info("cpufail: the boot option cpufail=%d@%u fails this CPU now\n", c->id, boot_options.cpufail_ms);
        if (cpu_fail_request(c->id, boot_options.cpufail_how) < 0)
            pr_warn("cpufail: CPU %d is the last CPU left; it goes on\n", c->id);
    }
    int how = __atomic_load_n(&c->fail_how, __ATOMIC_SEQ_CST);
    if (how == ABI_CPUFAIL_KERNEL || (how == ABI_CPUFAIL_USER && trap_from_user(f)))
        stop_via_nmi();
    if (how == ABI_CPUFAIL_LOCK) {
        model->sched_lock();
        proc_table_lock();
        stop_via_nmi();
    }
}

/* What the dead CPU leaves behind, said once, by the CPU that noticed. */
static void report(int cpu, uint64_t missed, int how) {
    struct cpu *d = &cpus[cpu];
    uint64_t now = uptime_ns();
    if (missed) /* else a waiting CPU found it, and said so */
        pr_err("cpufail: CPU %d has failed: its heartbeat missed %llu ticks of the others (noticed by CPU %d at "
               "%llu.%03llu s)\n",
               cpu, (unsigned long long)missed, cpu_id(), (unsigned long long)(now / 1000000000),
               (unsigned long long)(now / 1000000 % 1000));
    else
        pr_err("cpufail: CPU %d has failed (noticed by CPU %d at %llu.%03llu s)\n", cpu, cpu_id(),
               (unsigned long long)(now / 1000000000), (unsigned long long)(now / 1000000 % 1000));
    /* in the kernel: a system call, a kernel thread, or an interrupt that
     * holds a lock (cpufail's `lock` takes its locks in the timer tick) */
    pr_err("cpufail: CPU %d %s (heartbeat %llu, timer ticks %llu)\n", cpu,
           how ? "was asked to fail (cpufail)" : "was not asked to fail: a real failure, or a false alarm",
           (unsigned long long)d->heartbeat, (unsigned long long)d->count.ticks);
    struct proc *p = __atomic_load_n(&d->current, __ATOMIC_RELAXED);
    if (p)
        pr_err("cpufail: CPU %d was running pid %d (%s), in %s\n", cpu, p->pid, p->name,
               p->in_kernel || p->is_kthread || d->nheld ? "the kernel" : "user code");
    else
        pr_err("cpufail: CPU %d was running no process\n", cpu);
    if (d->nheld == 0)
        pr_err("cpufail: CPU %d held no kernel lock\n", cpu);
    for (int i = 0; i < d->nheld && i < MAX_HELD_LOCKS; i++)
        pr_err("cpufail: CPU %d held '%s' (taken at %s)\n", cpu, d->held[i]->name, d->held[i]->site);
}

/* Any live CPU to take the dead one's interrupts: this one. */
/* Each instance's sleep deadlines and lost-wakeup watch belong to one CPU
 * of it (os->first_cpu, os_poll_events): when that one dies, the lowest
 * live CPU of the same instance takes them over, or sleepers would never
 * wake (bkl, fine, leader: when CPU 0 fails). */
static void take_over_timers(int cpu) {
    struct os_instance *os = cpus[cpu].os;
    if (os_instance_cpu(os->id) != cpu)
        return;
    for (int i = 0; i < ncpus; i++)
        if (cpus[i].online && cpus[i].os == os) {
            __atomic_store_n(&os->first_cpu, i, __ATOMIC_RELEASE);
            pr_info("cpufail: CPU %d now wakes OS instance %d's sleepers in place of CPU %d\n", i, os->id, cpu);
            return;
        }
}

/* Fencing, as a cluster does to a node it has given up on: make sure the
 * CPU really is stopped before its process is run elsewhere. A live CPU
 * that only looked dead (a host thread descheduled for long under QEMU)
 * would otherwise go on running that process on the same kernel stack.
 * The NMI stops it at once, wherever it is; a dead one does not answer,
 * and after a millisecond we go on without it. */
static void fence(int cpu) {
    int none = 0;
    __atomic_compare_exchange_n(&cpus[cpu].fail_how, &none, ABI_CPUFAIL_KERNEL, false, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    arch_send_fail_nmi(cpu);
    uint64_t until = uptime_ns() + 1000000;
    while (__atomic_load_n(&cpus[cpu].fail_how, __ATOMIC_SEQ_CST) != STOPPED && uptime_ns() < until)
        arch_cpu_relax();
}

static void declare_failed(int cpu, uint64_t missed) {
    bool no = false;
    if (!__atomic_compare_exchange_n(&cpus[cpu].failed, &no, true, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return; /* another CPU said it first */
    int asked = __atomic_load_n(&cpus[cpu].fail_how, __ATOMIC_SEQ_CST); /* before fencing sets it */
    fence(cpu);
    report(cpu, missed, asked);
    __atomic_store_n(&cpus[cpu].online, false, __ATOMIC_SEQ_CST);
    arch_cpu_offline(cpu, cpu_id());
    model->cpu_failed(cpu); /* first: an organisation that cannot go on (leader, its leader) stops here */
    take_over_timers(cpu);
    /* The dead CPU may have been sent the console's last interrupt and
     * never handled it; the UART keeps its edge-triggered line raised
     * until it is read, so no new interrupt would come: read it once. */
    console_receive();
}

/* The fastest heartbeat of the CPUs other than `cpu`: the machine's clock
 * in ticks. Under QEMU every CPU's timer can stall at once (the host
 * thread that runs QEMU's timers is descheduled) and a wall-clock second
 * would then pass without a tick anywhere; counted in the others' ticks, a
 * CPU is dead only when it missed ticks that the others took. */
static uint64_t machine_ticks(int cpu) {
    uint64_t max = 0;
    for (int i = 0; i < ncpus; i++) {
        uint64_t b = __atomic_load_n(&cpus[i].heartbeat, __ATOMIC_RELAXED);
        if (i != cpu && b > max)
            max = b;
    }
    return max;
}

static void look_at(int cpu) {
    struct cpu *d = &cpus[cpu];
    if (cpu == cpu_id() || !d->online || d->failed)
        return;
    uint64_t beat = __atomic_load_n(&d->heartbeat, __ATOMIC_RELAXED), ref = machine_ticks(cpu);
    if (beat == 0) /* its timer has not started yet */
        return;
    if (cpu_id() >= nseen || cpu >= nseen)
        return; /* a CPU that came up beyond those expected at boot: not watched */
    struct sight *s = &seen[cpu_id() * nseen + cpu];
    uint64_t now = uptime_ns();
    if (beat != s->beat || s->ref == 0) {
        s->beat = beat;
        s->ref = ref;
        s->since_ns = now;
        return;
    }
    uint64_t missed = ref - s->ref;
    if (missed >= CPU_DEAD_AFTER_TICKS && now - s->since_ns >= CPU_DEAD_AFTER_MS * 1000000ULL)
        declare_failed(cpu, missed);
    else if (missed && missed % CPU_PING_TICKS == 0 && s->pinged != ref)
        ping(cpu, &s->pinged, ref);
}

void cpu_fail_waiting(struct cpu_wait *w, int cpu) {
    if (cpu < 0 || cpu >= ncpus || cpu == cpu_id() || !cpus[cpu].online || cpus[cpu].failed)
        return;
    look_at(cpu); /* the others' ticks, if any CPU still takes them */
    uint64_t beat = __atomic_load_n(&cpus[cpu].heartbeat, __ATOMIC_RELAXED), now = uptime_ns();
    if (w->cpu != cpu || w->beat != beat) {
        *w = (struct cpu_wait){cpu, beat, now, 0};
        return;
    }
    uint64_t tenths = (now - w->since_ns) / (CPU_DEAD_WAIT_MS * 100000ULL);
    if (tenths && tenths != w->pinged) /* ten pings before the verdict */
        ping(cpu, &w->pinged, tenths);
    if (now - w->since_ns >= CPU_DEAD_WAIT_MS * 1000000ULL) {
        pr_err("cpufail: CPU %d has waited %llu ms for CPU %d, whose heartbeat stood still all that time\n",
               cpu_id(), (unsigned long long)((now - w->since_ns) / 1000000), cpu);
        declare_failed(cpu, 0);
    }
}

void cpu_fail_tick(struct trap_frame *f) {
    struct cpu *c = this_cpu();
    __atomic_store_n(&c->heartbeat, c->heartbeat + 1, __ATOMIC_RELAXED);
    stop_if_asked(f);
    for (int i = 0; i < ncpus; i++)
        look_at(i);
}

void cpu_fail_stop_if_locked(int cpu) {
    const struct cpu *d = &cpus[cpu];
    if (d->nheld == 0)
        return;
    panic("cpufail: CPU %d failed holding '%s' (taken at %s), %d lock%s in all: a CPU that fails inside the "
          "kernel leaves its tables half changed, and no other CPU may take them",
          cpu, d->held[0]->name, d->held[0]->site, d->nheld, d->nheld == 1 ? "" : "s");
}
