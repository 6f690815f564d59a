/*
 * SYSCALL entry (Intel SDM vol. 2B "SYSCALL", vol. 3A 5.8.8): the CPU has
 * put the user RIP in RCX and RFLAGS in R11, loaded the kernel CS/SS from
 * IA32_STAR and cleared the RFLAGS bits in IA32_FMASK (SYSCALL_FMASK in
 * x86.h: IF, TF, DF, AC, IOPL, NT), but it has not switched stacks. SWAPGS
 * makes GS point at this CPU's struct cpu, where the kernel stack of the
 * running process is kept (GS:8). An NMI or machine check that arrives
 * before the SWAPGS finds the user's GS: vectors.S paranoid_common copes.
 * We build the same trap frame an interrupt would, so both leave through
 * trap_return (IRETQ), which also copes with any user RIP and RSP and
 * sanitises the user's RFLAGS (R11, saved in the frame).
 */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/frame.inc"
    .text
    .global syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:16               /* user rsp, until it is in the frame */
    movq %gs:8, %rsp                /* this process's kernel stack */
    pushq $SEL_UDATA                /* ss */
    pushq %gs:16                    /* rsp */
    pushq %r11                      /* rflags */
    pushq $SEL_UCODE                /* cs */
    pushq %rcx                      /* rip */
    pushq $0                        /* error code */
    pushq $0x80                     /* "vector": marks a system call */
    PUSH_GPRS
    xorl %ebp, %ebp                 /* backtraces stop at the trap frame */
    call trap_entry_check           /* FMASK cleared AC and DF: checked */
    movq %rsp, %rdi
    call syscall_dispatch
    jmp trap_return

/* Start a thread in user mode from the trap frame at %rdi (new processes). */
    .global arch_enter_user
arch_enter_user:
    movq %rdi, %rsp
    jmp trap_return
