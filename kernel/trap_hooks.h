/*
 * What the kernel offers the trap path in arch/: the machine-dependent entry
 * code decodes the event, these decide what it means for processes.
 */
#ifndef TRAP_HOOKS_H
#define TRAP_HOOKS_H

#include "arch.h"

/* An exception in user mode: ends the current process (proc.c). */
void user_exception(struct trap_frame *f);
/* An NMI: during a panic it stops this CPU (panic.c). */
void nmi_received(struct trap_frame *f);
/* Last stop before returning to user mode: pending kill, reschedule. */
void trap_return_to_user(struct trap_frame *f);
/* Backtrace starting at a trapped context. */
void print_backtrace_from(uint64_t rip, uint64_t rbp);
const char *trap_name(int vector);

#endif
