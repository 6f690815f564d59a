/*
 * leader: one CPU, the leader (CPU 0), runs the operating system; the
 * others, the followers, run user code only. There is one OS instance and
 * one set of priority ready lists, and only the leader touches them.
 *
 * A process that needs the kernel on a follower (a system call, a fault, a
 * time slice that has ended) is handed to the leader: its kernel half runs
 * there, as in the classic master/slave UNIX ports, while the follower
 * takes the next process it was given, or halts. The leader does the work
 * on the process's own kernel stack, so the call finds the caller as the
 * current process and its address space in CR3, and a call that blocks
 * (waitpid, a console read, sleep) simply sleeps on the leader like any
 * kernel thread while the leader goes on with other work. When the kernel
 * half is done the leader puts the process back on the ready list, and its
 * assignment of work to followers (the assigned workload table, AWT) gives
 * it to an idle follower: "it can never happen that one CPU is idle while
 * another is overloaded". The price is that every system call of every CPU
 * queues for this one CPU (cpus shows how busy it is).
 *
 *   follower                              leader (CPU 0)
 *   --------                              --------------
 *   user code: syscall
 *   kernel_enter(): hand over ---------> request mailbox (+ IPI, forward=ipi)
 *   run the next process in its AWT       pick_next(): requests first
 *   slot, or halt                         the handler runs, for the caller
 *                                         kernel_exit(): back on the ready
 *   AWT slot <--------------------------- list; assign_work() gives it to an
 *   runs it: back to the caller's code   idle follower (+ resched IPI)
 *
 * Boot options: forward=ipi (a follower wakes the leader with an IPI on a
 * vector of its own) or forward=poll (no interrupt: the leader looks at the
 * mailboxes when it schedules, at each timer tick, and spins on them while
 * idle; either side halts only after polling for a while, and only then is
 * woken with an IPI). leader_runs_user=0 keeps the leader to kernel work.
 */
#include "kernel/model.h"
#include "kernel/cpufail.h"
#include "kernel/options.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/trace.h"
#include "kernel/spinlock.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
#include "lib/string.h"

#define LEADER 0

static bool poll_mode;  /* forward=poll */
static bool runs_user;  /* leader_runs_user=1 */

static bool is_leader(void) { return cpu_id() == LEADER; }

/* ---- The leader's hold on the tables ----
 * Only the leader touches the kernel's tables, so the lock over them is
 * never contended: it is there so that the rank checker and `locks` see it,
 * and, with interrupts off while it is held, it keeps the leader's own
 * interrupt handlers out of a table it is changing. A follower's hold is a
 * count and nothing more: it changes no table, and what its scheduler loop
 * and a hand-over need (interrupts off while a process changes hands) the
 * process's own lock gives (sched.c). */
static struct spinlock tables = SPINLOCK_INIT("leader: the kernel's tables", RANK_LEADER);
static int depth[MAX_CPUS];

/* Interrupts go off before the depth is looked at (as in bkl.c): an
 * interrupt between counting and taking would find the lock "held". On the
 * leader the spinlock's own push_off() then keeps them off until the last
 * unlock. */
static void leader_lock(void) {
    push_off();
    int *d = &depth[cpu_id()];
    bool first = (*d)++ == 0;
    if (is_leader() && first)
        spin_lock(&tables);
    else if (is_leader() && !spin_holding(&tables))
        panic("leader: depth %d without the lock", *d - 1);
    pop_off();
}

static void leader_unlock(void) {
    push_off();
    int *d = &depth[cpu_id()];
    if (*d <= 0)
        panic("leader: unlock without lock on CPU %d", cpu_id());
    if (--*d == 0 && is_leader())
        spin_unlock(&tables);
    pop_off();
}

static bool leader_held(void) {
    push_off();
    bool held = depth[cpu_id()] > 0 && (!is_leader() || spin_holding(&tables));
    pop_off();
    return held;
}

static long leader_switch_save(void) {
    int *d = &depth[cpu_id()];
    long saved = *d;
    *d = 1;
    return saved;
}

static void leader_switch_restore(long saved) { depth[cpu_id()] = (int)saved; }

/* ---- Where each process is ----
 * Per process-table slot, only the leader writes it, under its lock. */
enum where { W_NONE, W_KERNEL_QUEUE, W_READY_LIST, W_AWT };
static struct {
    enum where where;
    bool handing_back; /* left the leader for the ready list (kernel_exit) */
    bool gives_way;    /* its time slice ended, or it yielded: others first */
    bool request_queued; /* a request taken from the mailbox, not yet started */
    int from;          /* the follower whose request the leader serves, or -1 */
    uint64_t served_since;
} pinfo[MAX_PROCS];

static int slot(const struct proc *p) { return (int)(p - this_os()->procs); }

/* The leader's queues: kernel work (forwarded requests, woken sleepers,
 * kernel threads: they run only here), by priority; the ready list of user
 * processes is this_os()->ready[], also by priority. */
static struct list_node kernel_queue[NPRIO];
/* Lengths, written by the leader, read anywhere without a lock: the kernel
 * queue, the ready list, and the ready list split into the processes any
 * CPU may take and those pinned to one CPU (so that no CPU spins on work
 * it may not take). */
static int kernel_ready, user_ready, ready_any, ready_pinned[MAX_CPUS];

/* ---- The request mailbox ----
 * Followers push processes that need the kernel; the leader takes them
 * all at once. A lock-free stack (compare-and-swap on its head), so that a
 * follower never waits for the leader or for another follower. */
static struct proc *request_next[MAX_PROCS];
static struct proc *volatile requests;

/* ---- The assigned workload table (AWT) ----
 * One entry per follower: the process the leader gave it to run next, and
 * whether it asked for work. The leader fills `next`; the follower takes
 * it with an atomic exchange, so either the follower runs it or the leader
 * takes it back, never both. */
static struct awt_entry {
    struct proc *volatile next;
    volatile bool asking;
    volatile bool halted;       /* halted in idle_wait: needs an IPI to see new work */
    uint64_t forwarded;         /* requests this follower handed to the leader */
    uint64_t served;            /* of which the leader has taken (served or serving) */
    uint64_t assigned;          /* processes the leader gave it */
    uint64_t idle_while_waiting; /* assignments that left it idle while work waited */
} awt[MAX_CPUS];

/* The leader's own counters (cpus, sysinfo). */
static struct {
    uint64_t serve_ns;          /* time in forwarded processes' kernel halves */
    uint64_t idle_ns;           /* time in idle_wait() */
    uint64_t queue_len, queue_max; /* requests taken but not yet run */
    uint64_t idle_with_work;    /* leader ticks with an asking follower and waiting work */
} lead;

static bool leader_may_run_user(void);

static void notify(int cpu, bool forward_vector) {
    if (!poll_mode || __atomic_load_n(&awt[cpu].halted, __ATOMIC_SEQ_CST)) {
        if (forward_vector)
            arch_send_forward_ipi(cpu);
        else
            arch_send_resched_ipi(cpu);
    }
}

/* ---- Followers ---- */

/* Entering the kernel on a follower hands the process to the leader: it
 * is marked runnable and switched away from here (sched), and once its
 * stack is free, switched_out() posts it. It resumes on the leader, still
 * in this function, holding the leader's lock once, as kernel_enter must
 * leave it. p's own lock is held across the switch, as by every path into
 * the scheduler: the leader cannot start on p's stack before this CPU has
 * left it. */
static void leader_kernel_enter(void) {
    leader_lock();
    if (is_leader())
        return;
    /* LAB leader: BEGIN */
    struct proc *p = current_proc();
    proc_lock(p);
    pinfo[slot(p)].gives_way = this_cpu()->need_resched; /* p still belongs to this CPU */
    trace_forwarded((uint32_t)p->pid);
    p->state = P_RUNNABLE;
    sched();
    proc_unlock(p); /* on the leader now, which took it before switching to p */
    if (!is_leader())
        panic("leader: pid %d's kernel half resumed on follower %d", p->pid, cpu_id());
}

/* The follower still owns p here: it writes p's request fields, and the
 * compare-and-swap that publishes p orders those writes before the
 * leader's exchange that takes it. */
static void post_request(struct proc *p, int from) {
    awt[from].forwarded++;
    pinfo[slot(p)].from = from;
    struct proc *head;
    do {
        head = __atomic_load_n(&requests, __ATOMIC_RELAXED);
        request_next[slot(p)] = head;
    } while (!__atomic_compare_exchange_n(&requests, &head, p, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    notify(LEADER, true);
}
/* LAB leader: STUB
    // LAB leader: a follower runs no kernel code (runs_kernel), so the
    // process p = current_proc() goes to the leader. Take p's own lock (as
    // every path into the scheduler does), mark it runnable and give up
    // this CPU with sched(). Do not post it to the leader here: this CPU is
    // still on p's kernel stack until the switch is over, and the leader
    // would run on it too (leader_switched_out() posts it). When sched()
    // returns, p runs on the leader: release its lock and panic if it is
    // not there. Before the switch, note in pinfo[slot(p)].gives_way
    // whether p's time slice has ended (this_cpu()->need_resched), and
    // record trace_forwarded(pid). As it stands the call runs right here
    // on the follower, and syscall_run() stops the kernel.
}

// LAB leader: write post_request(p, from): put p on the leader's mailbox,
// the lock-free stack `requests` linked through request_next[slot(p)]:
// push with a compare-and-swap on the head, so that no follower ever
// waits (take_requests() below is the other side). Before the push,
// count the request in awt[from].forwarded and note pinfo[slot(p)].from;
// after it, notify the leader (notify(LEADER, true)).
   LAB leader: END */

static struct proc *follower_pick_next(void) {
    struct awt_entry *e = &awt[cpu_id()];
    struct proc *p = __atomic_exchange_n(&e->next, NULL, __ATOMIC_ACQ_REL);
    if (!p && !e->asking) {
        __atomic_store_n(&e->asking, true, __ATOMIC_SEQ_CST); /* "give me a process" */
        notify(LEADER, true);
    }
    return p;
}

/* ---- The leader ---- */

static void push_kernel_work(struct proc *p) {
    pinfo[slot(p)].where = W_KERNEL_QUEUE;
    list_push_back(&kernel_queue[p->prio], &p->rq);
    __atomic_store_n(&kernel_ready, kernel_ready + 1, __ATOMIC_SEQ_CST);
}

/* Take every posted request, oldest first, into the kernel queue. */
static void take_requests(void) {
    struct proc *p = __atomic_exchange_n(&requests, NULL, __ATOMIC_ACQUIRE), *oldest = NULL;
    while (p) { /* the stack holds the newest first: reverse it */
        struct proc *next = request_next[slot(p)];
        request_next[slot(p)] = oldest;
        oldest = p;
        p = next;
    }
    for (p = oldest; p; p = request_next[slot(p)]) {
        awt[pinfo[slot(p)].from].served++;
        push_kernel_work(p);
        pinfo[slot(p)].request_queued = true;
        if (++lead.queue_len > lead.queue_max)
            lead.queue_max = lead.queue_len;
    }
}

/* The first process in priority order on `queues` that may run on cpu. */
static struct proc *first_for(struct list_node *queues, int cpu) {
    for (int prio = 0; prio < NPRIO; prio++)
        for (struct list_node *n = queues[prio].next; n != &queues[prio]; n = n->next) {
            struct proc *p = list_entry(n, struct proc, rq);
            if (proc_may_run_on(p, cpu))
                return p;
        }
    return NULL;
}

static void count_ready(const struct proc *p, int delta) {
    int *n = p->affinity < 0 ? &ready_any : &ready_pinned[p->affinity];
    __atomic_store_n(n, *n + delta, __ATOMIC_SEQ_CST);
    __atomic_store_n(&user_ready, user_ready + delta, __ATOMIC_SEQ_CST);
}

static int ready_for(int cpu) {
    return __atomic_load_n(&ready_any, __ATOMIC_SEQ_CST) + __atomic_load_n(&ready_pinned[cpu], __ATOMIC_SEQ_CST);
}

static void take_off_ready_list(struct proc *p) {
    list_remove(&p->rq);
    count_ready(p, -1);
    pinfo[slot(p)].where = W_NONE;
}

static bool follower_online(int f) { return f != LEADER && f < ncpus && cpus[f].online; }

/* The leader's scheduling decision for the followers: every follower that
 * asked gets the first ready process it may run; then, while processes are
 * still waiting, a busy follower gets one in its slot, and takes it when
 * its time slice ends (that is how a follower's process gets preempted). */
static void assign_work(void) {
    /* LAB leader: BEGIN */
    for (int pass = 0; pass < 2 && user_ready > 0; pass++)
        for (int f = 1; f < ncpus && user_ready > 0; f++) {
            struct awt_entry *e = &awt[f];
            if (!follower_online(f) || e->next || (pass == 0 && !e->asking) || !ready_for(f))
                continue;
            struct proc *p = first_for(this_os()->ready, f);
            if (!p)
                continue;
            take_off_ready_list(p);
            pinfo[slot(p)].where = W_AWT;
            e->assigned++;
            bool was_asking = e->asking;
            __atomic_store_n(&e->asking, false, __ATOMIC_SEQ_CST);
            __atomic_store_n(&e->next, p, __ATOMIC_SEQ_CST);
            if (was_asking)
                notify(f, false);
        }
    /* LAB leader: STUB
    // LAB leader: hand out the ready list (this_os()->ready, by priority)
    // to the followers, in two passes while processes are ready
    // (user_ready): first every online follower that asks (awt[f].asking)
    // and has an empty slot gets the first ready process it may run
    // (first_for(), ready_for()); then every other online follower with an
    // empty slot gets one too, which it takes when its time slice ends.
    // Take the process off the ready list, note where it is now (W_AWT),
    // count it (awt[f].assigned), clear `asking` and publish the process
    // in awt[f].next with an atomic store; a follower that was asking is
    // halted or about to be: notify(f, false). As it stands no follower
    // is ever given work: every process runs on the leader.
       LAB leader: END */
    /* The texts' promise, checked each time: no follower is left idle
     * while a process it may run waits (usertests no_idle_while_waiting). */
    for (int f = 1; f < ncpus; f++)
        if (follower_online(f) && awt[f].asking && !awt[f].next && ready_for(f) > 0)
            awt[f].idle_while_waiting++;
}

/* A user process on the ready list, where followers get their work. */
static void push_ready(struct proc *p) {
    pinfo[slot(p)].where = W_READY_LIST;
    list_push_back(&this_os()->ready[p->prio], &p->rq);
    count_ready(p, +1);
}

static void leader_enqueue(struct proc *p) {
    if (!is_leader())
        panic("leader: follower %d changed the ready lists", cpu_id());
    if (p == current_proc())
        pinfo[slot(p)].gives_way = true; /* yield(): when it leaves the kernel, others go first */
    if (pinfo[slot(p)].handing_back) {
        pinfo[slot(p)].handing_back = false;
        push_ready(p);
        assign_work();
    } else {
        push_kernel_work(p); /* it is inside the kernel: only the leader may run it */
    }
}

/* Requests and kernel threads first, then (leader_runs_user=1) a user
 * process that no follower took. */
static struct proc *leader_pick_next(void) {
    take_requests();
    assign_work();
    struct proc *p = NULL;
    for (int prio = 0; prio < NPRIO && !p; prio++) /* kernel work runs here whatever its affinity */
        if (!list_empty(&kernel_queue[prio]))
            p = list_entry(kernel_queue[prio].next, struct proc, rq);
    if (p) {
        list_remove(&p->rq);
        __atomic_store_n(&kernel_ready, kernel_ready - 1, __ATOMIC_SEQ_CST);
        pinfo[slot(p)].where = W_NONE;
        if (pinfo[slot(p)].request_queued) {
            pinfo[slot(p)].request_queued = false;
            lead.queue_len--;
        }
        if (pinfo[slot(p)].from >= 0)
            pinfo[slot(p)].served_since = uptime_ns();
        return p;
    }
    if (leader_may_run_user() && (p = first_for(this_os()->ready, LEADER)))
        take_off_ready_list(p);
    return p;
}

static struct proc *leader_pick(void) { return is_leader() ? leader_pick_next() : follower_pick_next(); }

/* A process taken off the ready list or an AWT slot is queued again as
 * user work (handing_back), not as kernel work: it is on its way out of
 * the kernel, and the leader must not resume it in user mode itself. */
static bool leader_dequeue(struct proc *p) {
    take_requests();
    enum where was = pinfo[slot(p)].where;
    switch (was) {
    case W_KERNEL_QUEUE:
        list_remove(&p->rq);
        __atomic_store_n(&kernel_ready, kernel_ready - 1, __ATOMIC_SEQ_CST);
        if (pinfo[slot(p)].request_queued) {
            pinfo[slot(p)].request_queued = false;
            lead.queue_len--;
        }
        break;
    case W_READY_LIST:
        take_off_ready_list(p);
        break;
    case W_AWT: { /* its follower may be taking it right now: whoever swaps it out has it */
        bool taken = false;
        for (int f = 1; f < ncpus && !taken; f++) {
            struct proc *expect = p;
            taken = __atomic_compare_exchange_n(&awt[f].next, &expect, NULL, false, __ATOMIC_ACQ_REL,
                                                __ATOMIC_RELAXED);
        }
        if (!taken)
            return false; /* running on its follower already */
        break;
    }
    default:
        return false;
    }
    pinfo[slot(p)].where = W_NONE;
    pinfo[slot(p)].handing_back = was == W_READY_LIST || was == W_AWT;
    return true;
}

/* ---- Leaving the kernel ---- */

static bool follower_asking(void) {
    for (int f = 1; f < ncpus; f++)
        if (follower_online(f) && awt[f].asking && !awt[f].next)
            return true;
    return false;
}

/* A follower asks, and the ready list has a process it may run. */
static bool work_to_hand_out(void) {
    for (int f = 1; f < ncpus; f++)
        if (follower_online(f) && awt[f].asking && !awt[f].next && ready_for(f))
            return true;
    return false;
}

static bool leader_may_run_user(void) {
    for (int f = 1; f < ncpus; f++)
        if (follower_online(f))
            return runs_user;
    return true; /* without followers, user code has nowhere else to run */
}

static void stop_serving(struct proc *p) {
    if (pinfo[slot(p)].from >= 0 && pinfo[slot(p)].served_since) {
        lead.serve_ns += uptime_ns() - pinfo[slot(p)].served_since;
        pinfo[slot(p)].served_since = 0;
    }
}

/* On the leader a user process's kernel half is done. It goes back to the
 * ready list (and so to a follower) unless the leader may keep running it:
 * it may run user code, the process's affinity allows it, no kernel work
 * waits, no follower is idle, and the process is not giving way to others. */
static void leader_kernel_exit(void) {
    struct proc *p = current_proc();
    if (is_leader() && p && !p->is_kthread) {
        stop_serving(p);
        pinfo[slot(p)].from = -1; /* the request is done */
        bool gives_way = pinfo[slot(p)].gives_way && user_ready > 0;
        pinfo[slot(p)].gives_way = false;
        if (!leader_may_run_user() || !proc_may_run_on(p, LEADER) || kernel_ready > 0 || requests ||
            follower_asking() || gives_way) {
            proc_lock(p);
            pinfo[slot(p)].handing_back = true;
            p->state = P_RUNNABLE;
            sched(); /* switched_out() queues it once this stack is free */
            proc_unlock(p); /* on a follower now (or back on the leader) */
        }
    }
    leader_unlock();
}

/* After p left this CPU. On a follower that was a hand-over: now that the
 * follower no longer runs on p's stack, the leader may. */
static void leader_switched_out(struct proc *p) {
    /* LAB leader: BEGIN */
    if (!is_leader()) {
        if (p->state != P_RUNNABLE)
            panic("leader: pid %d left follower %d in state %d", p->pid, cpu_id(), p->state);
        if (!awt[cpu_id()].next)
            awt[cpu_id()].asking = true; /* the same notification asks for work */
        post_request(p, cpu_id());
        return;
    }
    /* LAB leader: STUB
    // LAB leader: on a follower, p has just left this CPU for the leader
    // (leader_kernel_enter) and its stack is free: post it to the leader.
    // It must be runnable (panic if not). If this follower's AWT slot is
    // empty, set its `asking` first: the one notification then both
    // brings the request and asks for work.
    if (!is_leader())
        panic("leader: pid %d left follower %d, and nothing posts it to the leader", p->pid, cpu_id());
       LAB leader: END */
    stop_serving(p);
    if (pinfo[slot(p)].handing_back)
        leader_enqueue(p);
}

/* ---- Waiting for work ---- */

static int leader_ready_count(int cpu) {
    if (cpu != LEADER)
        return __atomic_load_n(&awt[cpu].next, __ATOMIC_SEQ_CST) != NULL;
    int n = __atomic_load_n(&kernel_ready, __ATOMIC_SEQ_CST) + (__atomic_load_n(&requests, __ATOMIC_SEQ_CST) != NULL);
    if (leader_may_run_user())
        n += ready_for(LEADER);
    return n + work_to_hand_out();
}

/* enqueue() already handed user work to followers and woke them; kernel
 * work is for the leader, which is the CPU calling this. */
static int leader_cpu_to_wake(struct proc *p) {
    (void)p;
    return -1;
}

/* forward=ipi: halt until an interrupt. forward=poll: look at the
 * mailbox (the leader) or the AWT slot (a follower) for a while first; only
 * a CPU that then halts needs an IPI (notify() checks `halted`). */
#define POLL_NS 2000000ULL
static void leader_idle_wait(void) {
    struct awt_entry *e = &awt[cpu_id()];
    uint64_t start = uptime_ns();
    if (poll_mode) {
        uint64_t until = uptime_ns() + POLL_NS;
        arch_irq_enable();
        while (leader_ready_count(cpu_id()) == 0 && uptime_ns() < until)
            arch_cpu_relax();
        arch_irq_disable();
    }
    __atomic_store_n(&e->halted, true, __ATOMIC_SEQ_CST);
    if (leader_ready_count(cpu_id()) == 0)
        arch_wait_for_interrupt();
    arch_irq_disable();
    __atomic_store_n(&e->halted, false, __ATOMIC_SEQ_CST);
    if (is_leader())
        lead.idle_ns += uptime_ns() - start;
}

/* ---- When a CPU fails ----
 * Only the leader changes its tables, so a follower that notices a dead
 * follower leaves it to the leader's next tick. A dead leader takes the
 * kernel with it: each follower stops at its next tick, and the last one
 * powers the machine off. */
static volatile uint64_t failed_followers; /* bit f: follower f failed, the leader has not cleaned up */
static volatile bool leader_failed;
static volatile int followers_left;        /* followers still running when the leader failed */

static void follower_stops(void) {
    arch_irq_disable();
    pr_err("leader: follower %d stops: the leader (CPU %d) has failed, and only the leader runs the kernel\n",
           cpu_id(), LEADER);
    if (__atomic_sub_fetch(&followers_left, 1, __ATOMIC_SEQ_CST) == 0) {
        pr_err("leader: every follower has stopped; powering off\n");
        machine_poweroff(1);
    }
    arch_halt_forever();
}

/* On the leader: the follower's AWT slot goes back to the ready list, it is
 * asked for nothing more (follower_online() is false now), its process is
 * killed, and the rest is handed out to the followers left. */
static void lose_follower(int f) {
    leader_lock();
    struct proc *p = __atomic_exchange_n(&awt[f].next, NULL, __ATOMIC_ACQ_REL);
    if (p)
        push_ready(p); /* given to it, never taken: it has not run there */
    awt[f].asking = false;
    leader_unlock();
    proc_lost_on_cpu(f);
    leader_lock();
    assign_work();
    leader_unlock();
}

static void leader_cpu_failed(int cpu) {
    if (cpu == LEADER) {
        int n = 0;
        for (int f = 1; f < ncpus; f++)
            n += follower_online(f);
        __atomic_store_n(&followers_left, n, __ATOMIC_SEQ_CST);
        __atomic_store_n(&leader_failed, true, __ATOMIC_SEQ_CST);
        follower_stops(); /* this one first; the others at their next tick */
    }
    cpu_fail_stop_if_locked(cpu);
    if (is_leader())
        lose_follower(cpu);
    else
        __atomic_fetch_or(&failed_followers, 1ULL << cpu, __ATOMIC_SEQ_CST);
}

/* Every timer tick, on each CPU. The leader looks at its mailbox here
 * (forward=poll has no IPI to tell it) and gives kernel work the CPU;
 * and cleans up after failed followers. */
static void leader_tick(void) {
    struct cpu *c = this_cpu();
    if (__atomic_load_n(&leader_failed, __ATOMIC_SEQ_CST) && !is_leader())
        follower_stops();
    if (is_leader() && __atomic_load_n(&failed_followers, __ATOMIC_SEQ_CST)) {
        uint64_t lost = __atomic_exchange_n(&failed_followers, 0, __ATOMIC_SEQ_CST);
        for (int f = 1; f < ncpus; f++)
            if (lost & (1ULL << f))
                lose_follower(f);
    }
    if (is_leader() && c->current && (__atomic_load_n(&requests, __ATOMIC_SEQ_CST) || kernel_ready > 0))
        c->need_resched = true; /* kernel work first */
}

/* kernel_enter() brought the caller to the leader: the handler runs there
 * (syscall_run() checks runs_kernel()). */
static long leader_syscall(struct trap_frame *f) { return syscall_run(f); }

static bool leader_runs_kernel(int cpu) { return cpu == LEADER; }

static bool leader_runs_user(int cpu) { return cpu != LEADER || leader_may_run_user(); }

static void leader_init(void) {
    struct os_instance *os = this_os();
    for (int i = 0; i < NPRIO; i++) {
        list_init(&os->ready[i]);
        list_init(&kernel_queue[i]);
    }
    for (int i = 0; i < MAX_PROCS; i++)
        pinfo[i].from = -1;
    for (int f = 0; f < MAX_CPUS; f++)
        awt[f].asking = f != LEADER; /* a follower starts with nothing to run */
    poll_mode = strcmp(boot_options.forward, "poll") == 0;
    runs_user = boot_options.leader_runs_user;
    pr_info("leader: CPU %d leads; forward=%s, leader_runs_user=%d\n", LEADER, poll_mode ? "poll" : "ipi",
            runs_user);
}

static const char *leader_cpu_role(int cpu) { return cpu == LEADER ? "leader" : "follower"; }

/* The leader's busy share in thousandths of its time: serving followers'
 * requests, its own work (kernel threads, its own user processes), idle. */
static int leader_stats(struct abi_model_stat *out, int max) {
    /* measured, not sampled: a tick that waits while the leader serves with
     * interrupts off would be taken at the next halt and counted as idle */
    uint64_t up = uptime_ns() ? uptime_ns() : 1;
    uint64_t serve = lead.serve_ns * 1000 / up, idle = lead.idle_ns * 1000 / up;
    uint64_t forwarded = 0, started = 0;
    for (int f = 1; f < ncpus; f++) {
        forwarded += awt[f].forwarded;
        started += awt[f].served;
    }
    int n = 0;
    n = model_stat_put(out, n, max, "serve_permille", LEADER, serve);
    n = model_stat_put(out, n, max, "own_permille", LEADER, serve + idle < 1000 ? 1000 - serve - idle : 0);
    n = model_stat_put(out, n, max, "idle_permille", LEADER, idle);
    n = model_stat_put(out, n, max, "serve_us", LEADER, lead.serve_ns / 1000);
    n = model_stat_put(out, n, max, "idle_us", LEADER, lead.idle_ns / 1000);
    n = model_stat_put(out, n, max, "queue_now", -1, forwarded - started + lead.queue_len); /* posted + taken, not started */
    n = model_stat_put(out, n, max, "queue_max", -1, lead.queue_max);
    n = model_stat_put(out, n, max, "forward_poll", -1, poll_mode);
    n = model_stat_put(out, n, max, "leader_runs_user", -1, runs_user);
    for (int f = 1; f < ncpus; f++) {
        n = model_stat_put(out, n, max, "forwarded", f, awt[f].forwarded);
        n = model_stat_put(out, n, max, "taken", f, awt[f].served);
        n = model_stat_put(out, n, max, "assigned", f, awt[f].assigned);
        n = model_stat_put(out, n, max, "idle_while_waiting", f, awt[f].idle_while_waiting);
    }
    return n;
}

const struct model_ops model_leader = {
    .name = "leader",
    .init = leader_init,
    .kernel_enter = leader_kernel_enter,
    .kernel_exit = leader_kernel_exit,
    .syscall = leader_syscall,
    .sched_lock = leader_lock,
    .sched_unlock = leader_unlock,
    .sched_locked = leader_held,
    .switch_save = leader_switch_save,
    .switch_restore = leader_switch_restore,
    .enqueue = leader_enqueue,
    .pick_next = leader_pick,
    .dequeue = leader_dequeue,
    .ready_count = leader_ready_count,
    .cpu_to_wake = leader_cpu_to_wake,
    .switched_out = leader_switched_out,
    .idle_wait = leader_idle_wait,
    .tick = leader_tick,
    .cpu_role = leader_cpu_role,
    .runs_kernel = leader_runs_kernel,
    .runs_user = leader_runs_user,
    .stats = leader_stats,
    .cpu_failed = leader_cpu_failed,
};
