/*
 * Interrupt and exception entry stubs, one per vector (SDM vol. 3A 6.12,
 * 6.14 "Exception and interrupt handling in 64-bit mode"). Vectors with a
 * CPU-pushed error code (8, 10-14, 17, 21, 29, 30) skip the dummy push, so
 * every trap frame has the same layout (struct trap_frame in arch.h).
 * The vectors that run on an IST stack (#DF 8, NMI 2, #MC 18: idt.c) go
 * through paranoid_common, all others through trap_common.
 */
#include "arch/x86_64/frame.inc"
    .text

.macro STUB vector
    .balign 16
vector_\vector:
    .if ((\vector == 8) + ((\vector >= 10) * (\vector <= 14)) + (\vector == 17) + (\vector == 21) + (\vector == 29) + (\vector == 30)) == 0
    pushq $0
    .endif
    pushq $\vector
    .if ((\vector == 2) + (\vector == 8) + (\vector == 18)) == 0
    jmp trap_common
    .else
    jmp paranoid_common
    .endif
.endm

    .global vector_table
vector_table_stubs:
.altmacro
.set i, 0
.rept 256
    STUB %i
    .set i, i + 1
.endr

.macro STUB_ADDR vector
    .quad vector_\vector
.endm
    .section .rodata
    .balign 8
vector_table:
.set i, 0
.rept 256
    STUB_ADDR %i
    .set i, i + 1
.endr
.noaltmacro                         /* so %rsp in a macro argument is a register again */

    .text
/*
 * Common path: switch to the kernel's GS when we came from user mode
 * (CS RPL = 3), save the general registers, clear AC and DF, call
 * trap_dispatch(frame), undo. For these vectors the saved CS tells the
 * truth about GS: they never arrive inside the entry or exit sequences
 * below or in syscall.S, which run with interrupts off and do not fault
 * (IRETQ pops a frame the kernel built: user selectors, a canonical RIP
 * from SYSCALL, a fault or an ELF entry point, and sanitised RFLAGS).
 */
trap_common:
    testb $3, 24(%rsp)          /* saved CS, above vector and error code */
    jz 1f
    swapgs
1:  PUSH_GPRS
    CLEAR_AC_DF
    mov %rsp, %rdi
    xor %ebp, %ebp              /* backtraces stop at the trap frame */
    call trap_dispatch
    .global trap_return
trap_return:
    testb $3, FRAME_CS(%rsp)
    jz 2f
    SANITIZE_USER_RFLAGS %rsp
    POP_GPRS
    swapgs
    addq $16, %rsp              /* vector and error code */
    iretq
2:  POP_GPRS
    addq $16, %rsp
    iretq

/*
 * NMI, machine check and double fault: they can arrive anywhere, also
 * between SYSCALL and its SWAPGS, between the SWAPGS and the IRETQ on the
 * way out, or between an interrupt gate and trap_common's SWAPGS. There the
 * saved CS says "kernel" while GS still holds the user's base, so CS is no
 * guide. Instead (as a "paranoid" entry does) read IA32_GS_BASE and compare
 * it with this CPU's struct cpu pointer, which gdt.c keeps at the top of
 * each IST stack (the TSS IST pointer is 16 bytes below it, so the frame the
 * CPU pushes ends just under it: SDM vol. 3A 6.14.5 "Interrupt stack
 * table"). SWAPGS (SDM vol. 2B "SWAPGS") only when they differ, and the
 * same SWAPGS again on the way out, so the interrupted code gets back the
 * exact GS state it had. rbx, callee-saved in C, remembers the decision.
 */
paranoid_common:
    PUSH_GPRS
    CLEAR_AC_DF
    movl $MSR_GS_BASE, %ecx
    rdmsr
    shlq $32, %rdx
    orq %rax, %rdx              /* the GS base we arrived with */
    xorl %ebx, %ebx
    cmpq FRAME_SIZE(%rsp), %rdx /* this CPU's struct cpu */
    je 1f
    swapgs
    movl $1, %ebx
1:  mov %rsp, %rdi
    xor %ebp, %ebp
    call trap_dispatch
    testb $3, FRAME_CS(%rsp)
    jz 2f
    SANITIZE_USER_RFLAGS %rsp
2:  testl %ebx, %ebx
    jz 3f
    swapgs
3:  POP_GPRS
    addq $16, %rsp
    iretq
