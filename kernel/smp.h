/*
 * Running code on other CPUs: remote calls over IPIs, TLB shootdown, and the
 * hooks the arch layer calls on each CPU (AP start, timer tick, reschedule).
 */
#ifndef SMP_H
#define SMP_H

#include "lib/types.h"
#include "arch.h"

typedef void (*smp_fn)(void *arg);

/* Run fn(arg) on `cpu` and wait until it has finished. fn may run while
 * `cpu` waits for a spinlock, so it must not take a lock that `cpu` may be
 * taking (kernel/smp.c). */
void smp_call(int cpu, smp_fn fn, void *arg);
/* The same for an fn that takes a lock: it runs only from the target's IPI
 * handler, that is once the target has interrupts on. */
void smp_call_locking(int cpu, smp_fn fn, void *arg);
/* Run fn(arg) on every online CPU, this one included, at the same time;
 * wait until all have finished. */
void smp_call_all(smp_fn fn, void *arg);
/* Run the call waiting in this CPU's mailbox, if any: from the IPI
 * handler, and (smp_call's only) while this CPU waits for a lock or a
 * mailbox. */
void smp_handle_calls(void);
void smp_serve_while_waiting(void);
/* After changing a kernel mapping: flush va from every CPU's TLB. */
void tlb_shootdown(uint64_t va);
void tlb_shootdown_range(uint64_t va, size_t pages);

/* Called by the arch layer. */
__attribute__((noreturn)) void kernel_ap_main(void);
void kernel_timer_tick(struct trap_frame *f);
void kernel_resched_ipi(void);
/* Kernel work was forwarded to this CPU (VEC_IPI_FORWARD): reschedule soon. */
void kernel_forward_ipi(struct trap_frame *f);

#endif
