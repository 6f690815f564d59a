#ifndef IDT_H
#define IDT_H
#include "lib/types.h"

#define VEC_DIVIDE 0
#define VEC_DEBUG 1
#define VEC_NMI 2
#define VEC_BREAKPOINT 3
#define VEC_INVALID_OPCODE 6
#define VEC_DOUBLE_FAULT 8
#define VEC_GP 13
#define VEC_PAGE_FAULT 14
#define VEC_MACHINE_CHECK 18
#define VEC_IRQ_BASE 32        /* ISA IRQ n arrives on vector 32 + n */
#define VEC_AHCI 0x40          /* the SATA controller (MSI, else its INTx line) */
#define VEC_TIMER 0xF0         /* local APIC timer */
#define VEC_IPI_CALL 0xF1      /* remote function call */
#define VEC_IPI_RESCHED 0xF2   /* "look at your ready queue" */
#define VEC_IPI_FORWARD 0xF3   /* "kernel work was forwarded to you" (leader model) */
#define VEC_SPURIOUS 0xFF

void idt_build(void);
void idt_load(void);

struct trap_frame;
struct cpu;
/* Panics unless RFLAGS.AC and DF are clear: the entry stubs' promise. */
void trap_entry_check(void);
/* Tests only (tests/kernel/test_entry.c): called first by the NMI handler,
 * with the NMI's trap frame, when set. */
extern void (*volatile nmi_test_probe)(const struct trap_frame *f);
/* Single-step traps taken (and absorbed) in kernel mode (trap.c). */
extern volatile uint64_t kernel_single_steps;
extern struct cpu *volatile kernel_single_step_cpu; /* this_cpu() in the last one */
#endif
