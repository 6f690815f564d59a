/*
 * The per-CPU trace (docs/bench.md, "A trace of every CPU"): each CPU
 * records what it does into a ring buffer of its own, so recording takes
 * no lock and shares no cache line; a dump prints every buffer on the
 * console as "trace: ..." lines, which tools/trace2json.py turns into a
 * Chrome trace and a timeline picture.
 *
 * Off, an event costs one load and a not-taken branch (trace() below).
 * Started by the trace() system call (the `trace` program) or the boot
 * option trace=N (N events per CPU, from boot on).
 */
#ifndef TRACE_H
#define TRACE_H

#include "lib/types.h"

/* What a CPU did; the converter's states are in brackets. */
enum trace_event {
    TR_KIN = 1,  /* entered the kernel from user mode; arg: call number, or 1000 + vector [kernel] */
    TR_KOUT,     /* back to user mode [user] */
    TR_LWAIT,    /* started to spin for a contended lock; arg: its rank [waiting for a lock] */
    TR_LGOT,     /* got it [back to what it was doing] */
    TR_FWD,      /* leader: a follower handed its process to the leader; arg: its pid [waiting for the leader] */
    TR_FWDRET,   /* the follower has a process again [kernel] */
    TR_IDLE,     /* nothing to run: halting [idle] */
    TR_WAKE,     /* out of the halt [kernel] */
    TR_SWITCH,   /* switched to a process; arg: its pid (instant) */
    TR_MIGRATE,  /* fine: this CPU's balancer moved a process between queues; arg: its pid (instant) */
    TR_IPI_SENT, /* arg: the target CPU (instant) */
    TR_IPI_RECV, /* arg: the vector (instant) */
};

extern volatile int trace_on;

void trace_record(int type, uint32_t arg);

/* The one hook the rest of the kernel calls. */
static inline void trace(int type, uint32_t arg) {
    if (__builtin_expect(trace_on, 0))
        trace_record(type, arg);
}

/* Start recording into fresh buffers of `events` per CPU (0: the default):
 * 0, or -ENOMEM / -EINVAL. Stop: recording ends, the buffers stay for a
 * dump. Dump: prints them; 0, or -ENOENT if nothing was recorded. */
int trace_start(uint64_t events);
void trace_stop(void);
int trace_dump(void);
/* Boot option trace=N: start once memory can be allocated. */
void trace_boot(void);

/* A follower that handed its process to the leader waits for an answer:
 * its halts are that wait, not idleness (leader.c). */
void trace_forwarded(uint32_t pid);
void trace_switch(uint32_t pid);
void trace_idle(bool entering);

#endif
