/*
 * Interrupt and exception entry stubs, one per vector (SDM vol. 3A 6.12,
 * 6.14 "Exception and interrupt handling in 64-bit mode"). Vectors with a
 * CPU-pushed error code (8, 10-14, 17, 21, 29, 30) skip the dummy push, so
 * every trap frame has the same layout (struct trap_frame in arch.h).
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
    jmp trap_common
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

    .text
/*
 * Common path: save the general registers, switch to the kernel's GS when
 * we came from user mode (CS RPL = 3), call trap_dispatch(frame), undo.
 */
trap_common:
    testb $3, 24(%rsp)          /* saved CS, above vector and error code */
    jz 1f
    swapgs
1:  PUSH_GPRS
    cld
    mov %rsp, %rdi
    xor %ebp, %ebp              /* backtraces stop at the trap frame */
    call trap_dispatch
    .global trap_return
trap_return:
    POP_GPRS
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  addq $16, %rsp              /* vector and error code */
    iretq
