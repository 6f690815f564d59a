/*
 * Kernel context switch: save the callee-saved registers of the running
 * kernel thread on its stack, store its stack pointer in *old, load `new`
 * and pop the other thread's registers. Everything else (caller-saved
 * registers, the user registers in the trap frame) is already saved by the
 * C calling convention or the trap entry.
 *
 *   void arch_switch(struct context **old, struct context *new);
 */
    .text
    .global arch_switch
arch_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
