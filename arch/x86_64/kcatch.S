/*
 * A kernel setjmp/longjmp for the tests that provoke a fault on purpose
 * (trap.c resumes at the setjmp with the vector + 1). Saves the callee-saved
 * registers, the stack pointer, the return address and RFLAGS (so interrupts
 * come back as they were).
 */
    .text
    .global kcatch_setjmp
kcatch_setjmp:
    mov %rbx, 0(%rdi)
    mov %rbp, 8(%rdi)
    mov %r12, 16(%rdi)
    mov %r13, 24(%rdi)
    mov %r14, 32(%rdi)
    mov %r15, 40(%rdi)
    lea 8(%rsp), %rax           /* the caller's rsp after we return */
    mov %rax, 48(%rdi)
    mov (%rsp), %rax
    mov %rax, 56(%rdi)
    pushfq
    popq 64(%rdi)
    movl $1, 72(%rdi)           /* armed */
    xor %eax, %eax
    ret

    .global kcatch_longjmp
kcatch_longjmp:
    mov %esi, %eax
    mov 0(%rdi), %rbx
    mov 8(%rdi), %rbp
    mov 16(%rdi), %r12
    mov 24(%rdi), %r13
    mov 32(%rdi), %r14
    mov 40(%rdi), %r15
    mov 48(%rdi), %rsp
    pushq 64(%rdi)
    popfq
    jmp *56(%rdi)
