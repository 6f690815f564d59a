/*
 * Application-processor start-up code. The boot CPU copies this page to
 * AP_TRAMPOLINE_PHYS (below 1 MiB) and points the STARTUP IPI's vector at it
 * (vector 0x08 -> CS:IP = 0800:0000, SDM vol. 3A 9.4.4.1). The AP wakes in
 * real mode, and goes 16-bit -> 32-bit protected -> 64-bit long mode on the
 * kernel's own page tables (SDM vol. 3A 10.8.5), then jumps to ap_entry().
 * The code runs at a different address than it is linked at: TRAMP()
 * computes run-time addresses from offsets within the page.
 */
#include "arch/x86_64/layout.h"

#define TRAMP(x) (AP_TRAMPOLINE_PHYS + (x) - ap_trampoline)

    .section .trampoline, "ax"
    .global ap_trampoline, ap_trampoline_end, ap_trampoline_data
    .code16
ap_trampoline:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl TRAMP(tramp_gdt_ptr)
    mov %cr0, %eax
    or $1, %eax                     /* PE */
    mov %eax, %cr0
    ljmpl $0x08, $TRAMP(tramp32)

    .code32
tramp32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    /* Only the AP this data block was written for may go on: one that
     * answers a STARTUP IPI too late (after the boot CPU gave up on it and
     * moved on to the next CPU) would otherwise share that CPU's stack.
     * tramp_apic_id is the 32-bit id the boot CPU read from the MADT (an
     * x2APIC id may be above 255), so compare it with the 32-bit x2APIC id
     * of CPUID leaf 0BH (EDX) where the CPU has that leaf (SDM vol. 3A
     * 10.12.8.1: it is also the xAPIC id when that fits in 8 bits), else
     * with the 8-bit initial APIC id of CPUID.01H:EBX[31:24]. */
    xor %eax, %eax
    cpuid
    cmp $0xB, %eax
    jb 1f                           /* no leaf 0BH */
    mov $0xB, %eax
    xor %ecx, %ecx
    cpuid
    test $0xFFFF, %ebx              /* EBX[15:0] = 0: leaf 0BH not implemented */
    jz 1f
    mov %edx, %ebx                  /* x2APIC id, 32 bits */
    jmp 2f
1:  mov $1, %eax
    cpuid
    shr $24, %ebx                   /* initial APIC id, 8 bits */
2:  cmp TRAMP(tramp_apic_id), %ebx
    jne park
    /* LAB smp: BEGIN */
    mov %cr4, %eax
    or $((1 << 5) | (1 << 7)), %eax /* PAE, PGE */
    mov %eax, %cr4
    mov TRAMP(tramp_cr3), %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx           /* IA32_EFER: LME, NXE, SCE */
    rdmsr
    or $((1 << 8) | (1 << 11) | (1 << 0)), %eax
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16)), %eax /* PG, WP */
    mov %eax, %cr0
    ljmp $0x18, $TRAMP(tramp64)
    /* LAB smp: STUB
    // LAB smp: from 32-bit protected mode to 64-bit mode (SDM vol. 3A
    // LAB smp: 10.8.5), in this order: CR4.PAE (and PGE, as the BSP has);
    // LAB smp: CR3 = the kernel page-table root from the data block
    // LAB smp: (tramp_cr3); in IA32_EFER (MSR 0xC0000080, rdmsr/wrmsr) LME,
    // LAB smp: and NXE and SCE as the BSP has them; then CR0.PG (and WP),
    // LAB smp: which turns paging and long mode on; then a far jump through
    // LAB smp: the 64-bit code selector of tramp_gdt to tramp64. Addresses
    // LAB smp: here are physical: write a label x as TRAMP(x).
    // LAB smp: Until then the AP parks: it halts here for good.
    jmp park
       LAB smp: END */

    .code64
tramp64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov TRAMP(tramp_stack), %rsp
    /* ap_entry() is jumped to, not called: a zero return address makes the
     * stack look as it does after a call (rsp 8 below a 16-byte boundary,
     * System V ABI 3.2.2) and ends the frame chain for a backtrace, which
     * would otherwise read the word above the stack's top (unmapped). */
    pushq $0
    mov TRAMP(tramp_cpu), %rdi
    xor %ebp, %ebp
    mov TRAMP(tramp_entry), %rax
    jmp *%rax

park:
    cli
    hlt
    jmp park

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* 0x08: 32-bit code */
    .quad 0x00CF92000000FFFF        /* 0x10: data */
    .quad 0x00AF9A000000FFFF        /* 0x18: 64-bit code */
tramp_gdt_ptr:
    .word 4 * 8 - 1
    .long TRAMP(tramp_gdt)
    .balign 8
ap_trampoline_data:                 /* struct trampoline_data in smp.c */
tramp_cr3: .quad 0
tramp_stack: .quad 0
tramp_cpu: .quad 0
tramp_entry: .quad 0
tramp_apic_id: .quad 0
ap_trampoline_end:
