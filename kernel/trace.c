/* The per-CPU trace (kernel/trace.h). */
#include "kernel/trace.h"
#include "kernel/cpu.h"
#include "kernel/frame.h"
#include "kernel/lockrank.h"
#include "kernel/model.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "user/include/abi.h"

struct trace_ev {
    uint64_t tsc;
    uint32_t type;
    uint32_t arg;
};

/* One CPU's ring: only that CPU writes it (interrupts off while it does),
 * so no lock; one cache line of its own so CPUs never share one. When
 * full the oldest events are overwritten: a dump shows the last ones. */
struct trace_ring {
    struct trace_ev *ev;
    uint64_t size;        /* events it holds */
    uint64_t head;        /* events recorded since the start */
    uint64_t pages;
    volatile int busy;    /* inside trace_record: a stop waits for it */
    bool forwarded;       /* leader: waiting for the leader's answer */
} __attribute__((aligned(64)));

volatile int trace_on;
static struct trace_ring rings[MAX_CPUS];
/* One start, stop or dump at a time. Not a spinlock: a start allocates
 * frames, a dump prints, and both take locks of lower rank. */
static volatile int controlling;

static bool control_begin(void) { return !__atomic_exchange_n(&controlling, 1, __ATOMIC_ACQUIRE); }
static void control_end(void) { __atomic_store_n(&controlling, 0, __ATOMIC_RELEASE); }

void trace_record(int type, uint32_t arg) {
    push_off();
    struct trace_ring *r = &rings[cpu_id()];
    /* A full barrier (xchg) between saying "busy" and looking at trace_on:
     * a stop that then sees busy == 0 knows this CPU will see trace_on == 0
     * and stay away from the buffers it frees. */
    __atomic_exchange_n(&r->busy, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&trace_on, __ATOMIC_SEQ_CST) && r->ev) {
        struct trace_ev *e = &r->ev[r->head % r->size];
        e->tsc = arch_cycles();
        e->type = (uint32_t)type;
        e->arg = arg;
        r->head++;
    }
    __atomic_store_n(&r->busy, 0, __ATOMIC_RELEASE);
    pop_off();
}

void trace_forwarded(uint32_t call) {
    if (!trace_on)
        return;
    trace_record(TR_FWD, call);
    rings[cpu_id()].forwarded = true;
}

void trace_switch(uint32_t pid) {
    if (!trace_on)
        return;
    struct trace_ring *r = &rings[cpu_id()];
    if (r->forwarded) { /* the follower has work again: the wait is over */
        r->forwarded = false;
        trace_record(TR_FWDRET, 0);
    }
    trace_record(TR_SWITCH, pid);
}

void trace_idle(bool entering) {
    if (trace_on && !rings[cpu_id()].forwarded)
        trace_record(entering ? TR_IDLE : TR_WAKE, 0);
}

/* Recording off, and no CPU still inside trace_record. A CPU that failed
 * (cpufail) may have stopped inside it for good: its ring is left alone. */
static void quiesce(void) {
    __atomic_store_n(&trace_on, 0, __ATOMIC_SEQ_CST);
    for (int c = 0; c < ncpus; c++)
        while (__atomic_load_n(&rings[c].busy, __ATOMIC_SEQ_CST) && cpus[c].online && !cpus[c].failed &&
               !cpus[c].fail_how)
            arch_cpu_relax();
}

static void free_buffers(void) {
    for (int c = 0; c < MAX_CPUS; c++) {
        struct trace_ring *r = &rings[c];
        if (r->ev)
            frame_free_contig(VIRT_TO_PHYS(r->ev), r->pages);
        *r = (struct trace_ring){0};
    }
}

int trace_start(uint64_t events) {
    if (events == 0)
        events = ABI_TRACE_DEFAULT_EVENTS;
    if (events < 16 || events > ABI_TRACE_MAX_EVENTS)
        return -ABI_EINVAL;
    if (!control_begin())
        return -ABI_EBUSY;
    quiesce();
    free_buffers();
    size_t pages = ALIGN_UP(events * sizeof(struct trace_ev), PAGE_SIZE) / PAGE_SIZE;
    int err = 0;
    for (int c = 0; c < ncpus && !err; c++) {
        uint64_t pa = frame_alloc_contig(pages);
        if (!pa) {
            err = -ABI_ENOMEM;
            break;
        }
        rings[c] = (struct trace_ring){.ev = PHYS_TO_VIRT(pa), .size = events, .pages = pages};
    }
    if (err)
        free_buffers();
    else
        __atomic_store_n(&trace_on, 1, __ATOMIC_SEQ_CST);
    control_end();
    if (!err)
        pr_info("trace: recording, %llu events per CPU\n", (unsigned long long)events);
    return err;
}

void trace_stop(void) {
    /* No control_begin(): stopping is always allowed and only clears a flag. */
    quiesce();
}

static const char *const event_names[] = {
    [TR_KIN] = "kin",     [TR_KOUT] = "kout",   [TR_LWAIT] = "lwait",  [TR_LGOT] = "lgot",
    [TR_FWD] = "fwd",     [TR_FWDRET] = "fwdret", [TR_IDLE] = "idle",  [TR_WAKE] = "wake",
    [TR_SWITCH] = "sw",   [TR_MIGRATE] = "mig", [TR_IPI_SENT] = "ipis", [TR_IPI_RECV] = "ipir",
};

/* The lock ids of lwait/lgot are ranks: name each by its description up
 * to the colon ("big kernel lock (bkl model)", "ready queues"). */
static int up_to_colon(const char *s) {
    const char *colon = strchr(s, ':');
    return colon ? (int)(colon - s) : (int)strlen(s);
}

static void print_lock_names(void) {
#define LOCK_RANK_NAME(name, value, what) printk_raw("trace: lock %d %.*s\n", value, up_to_colon(what), what);
    LOCK_RANKS(LOCK_RANK_NAME)
#undef LOCK_RANK_NAME
}

int trace_dump(void) {
    if (!control_begin()) /* no start may free the buffers under the dump */
        return -ABI_EBUSY;
    quiesce();
    uint64_t total = 0, dropped = 0;
    for (int c = 0; c < ncpus; c++)
        total += rings[c].ev ? MIN(rings[c].head, rings[c].size) : 0;
    if (!total) {
        control_end();
        return -ABI_ENOENT;
    }
    printk_raw("trace: begin cpus=%d hz=%llu model=%s\n", ncpus, (unsigned long long)time_cycle_hz(), model->name);
    print_lock_names();
    for (int c = 0; c < ncpus; c++) {
        struct trace_ring *r = &rings[c];
        if (!r->ev)
            continue;
        uint64_t first = r->head > r->size ? r->head - r->size : 0;
        dropped += first;
        for (uint64_t i = first; i < r->head; i++) {
            const struct trace_ev *e = &r->ev[i % r->size];
            const char *name = e->type < ARRAY_SIZE(event_names) && event_names[e->type] ? event_names[e->type] : "?";
            printk_raw("trace: ev %d %llu %s %u\n", c, (unsigned long long)e->tsc, name, e->arg);
        }
    }
    printk_raw("trace: end events=%llu dropped=%llu\n", (unsigned long long)total, (unsigned long long)dropped);
    control_end();
    return 0;
}

void trace_boot(void) {
    if (boot_options.trace && trace_start(boot_options.trace) < 0)
        pr_warn("trace: no memory for %u events per CPU: not recording\n", boot_options.trace);
}
