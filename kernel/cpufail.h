/*
 * CPU failure: failing a CPU on purpose (cpufail(), cpufail=), noticing a
 * dead CPU by its heartbeat, and what every organisation shares when one
 * has died (kernel/cpufail.c; the organisation's part is
 * model->cpu_failed, docs/organisations.md "When a CPU fails").
 */
#ifndef CPUFAIL_H
#define CPUFAIL_H

#include "lib/types.h"

struct trap_frame;
struct spinlock;

/* A CPU whose heartbeat stood still while another CPU took this many
 * timer ticks, and for at least CPU_DEAD_AFTER_MS, is dead
 * (kernel/cpufail.c says why so long). */
#define CPU_DEAD_AFTER_TICKS 50
#define CPU_DEAD_AFTER_MS 1500
/* ... and is pinged with an NMI every this many of them before that. */
#define CPU_PING_TICKS 10

/* cpufail(cpu, how): 0, or -EINVAL (bad how, CPU out of range or offline),
 * -EBUSY (it is already failing, or it is the last CPU that would be left). */
int cpu_fail_request(int cpu, int how);
/* At boot, before the other CPUs start: room to watch n CPUs. */
void cpu_fail_init(int n);
/* First thing in every timer tick: the heartbeat, a failure asked of this
 * CPU, the others' heartbeats. */
void cpu_fail_tick(struct trap_frame *f);
/* In the NMI handler: cpufail() may have sent it. */
void cpu_fail_nmi(struct trap_frame *f);
/* A CPU that waits with interrupts off (a spinlock, a remote call) takes
 * no ticks, and when every live CPU waits so, no heartbeat moves at all;
 * so it calls cpu_fail_waiting() now and then with the CPU it waits for,
 * and that CPU is dead when its heartbeat has stood still for
 * CPU_DEAD_WAIT_MS of this wait (a live CPU keeps a lock, or a remote
 * call waiting, for microseconds). Start with struct cpu_wait w = {-1, 0, 0, 0}. */
#define CPU_DEAD_WAIT_MS 2000
struct cpu_wait {
    int cpu;
    uint64_t beat, since_ns, pinged;
};
void cpu_fail_waiting(struct cpu_wait *w, int cpu);
/* For model->cpu_failed: stop the kernel with a report naming the locks
 * `cpu` held, if it held any (nothing it protected can be trusted). */
void cpu_fail_stop_if_locked(int cpu);
/* CPUs that are online and not asked to fail. */
int cpu_fail_live_cpus(void);

#endif
