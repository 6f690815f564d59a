/*
 * First instructions: GRUB (multiboot2) enters here in 32-bit protected mode
 * with paging off. We check that a multiboot2 loader started us, build just
 * enough page tables to reach the higher half, enable long mode and jump to
 * kmain(). The kernel replaces these tables with its own in paging.c.
 *
 * References: multiboot2 spec 3.1 (header) and 3.3 (i386 machine state);
 * Intel SDM vol. 3A 10.8.5 "Initializing IA-32e Mode".
 */
#include "arch/x86_64/layout.h"

#define MB2_HEADER_MAGIC 0xE85250D6
#define MB2_BOOTLOADER_MAGIC 0x36D76289
#define MB2_ARCH_I386 0

#define PHYS(sym) ((sym) - KERNEL_VMA)
#define COM1 0x3F8

/* multiboot2 spec 3.1.1: magic, architecture, header length, checksum, tags. */
    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    /* information request tag (3.1.4): memory map, cmdline, modules, ACPI
     * old and new RSDP, framebuffer, EFI memory map. Marked optional (flags
     * bit 0): a loader that cannot give one of them (a BIOS GRUB has no
     * EFI map) boots us anyway, and the kernel checks what it got. */
    .balign 8
    .word 1, 1
    .long 8 + 4 * 7
    .long 6, 1, 3, 14, 15, 8, 17
    .balign 8
    /* framebuffer tag (3.1.10): a linear framebuffer for the screen
     * console, 1024x768 at 32 bits per pixel if the loader can, else what
     * it has. Optional: GRUB's `gfxpayload=text` (tools/mkiso.sh) keeps the
     * BIOS text mode, and a UEFI machine has only what GOP offers. */
    .word 5, 1
    .long 20
    .long 1024, 768, 32
    .balign 8
    /* end tag */
    .word 0, 0
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .global _start
_start:
    cli
    cld
    mov $PHYS(boot_stack_top), %esp
    cmp $MB2_BOOTLOADER_MAGIC, %eax
    jne not_multiboot2
    mov %ebx, PHYS(boot_mb2_info)

    /* CPUID 0x80000001 EDX bit 29 = long mode (SDM vol. 2A, CPUID). */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz no_long_mode

    call build_boot_page_tables

    /* SDM 10.8.5: PAE on, CR3, EFER.LME (and NXE: our tables use NX), then PG. */
    mov %cr4, %eax
    or $(1 << 5), %eax              /* CR4.PAE */
    mov %eax, %cr4
    mov $PHYS(boot_pml4), %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx           /* IA32_EFER */
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax /* LME | NXE */
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax /* PG | WP | PE */
    mov %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $0x08, $long_mode_low

/*
 * Identity-map the first 1 GiB (we are running there) and map it again at
 * KERNEL_VMA (where the kernel is linked), both with 2 MiB pages.
 */
build_boot_page_tables:
    mov $PHYS(boot_pd), %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                  /* present | writable | 2 MiB page */
    mov %eax, (%edi, %ecx, 8)
    movl $0, 4(%edi, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jne 1b
    mov $PHYS(boot_pdpt), %edi
    movl $(PHYS(boot_pd) + 3), (%edi)             /* 0 .. 1 GiB */
    movl $(PHYS(boot_pd) + 3), 510 * 8(%edi)      /* -2 GiB .. */
    mov $PHYS(boot_pml4), %edi
    movl $(PHYS(boot_pdpt) + 3), (%edi)
    movl $(PHYS(boot_pdpt) + 3), 511 * 8(%edi)
    ret

not_multiboot2:
    mov $msg_not_mb2, %esi
    jmp die32
no_long_mode:
    mov $msg_no_lm, %esi
die32:
    call serial_puts32
1:  hlt
    jmp 1b

/* Minimal polled COM1 output usable before anything is set up. */
serial_puts32:
    mov $COM1 + 3, %dx
    mov $0x03, %al                  /* 8N1 */
    out %al, %dx
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %ah
    mov $COM1 + 5, %dx
2:  in %dx, %al
    test $0x20, %al                 /* transmitter holding register empty */
    jz 2b
    mov $COM1, %dx
    mov %ah, %al
    out %al, %dx
    jmp 1b
3:  ret

    .code64
long_mode_low:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $long_mode_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
msg_not_mb2:
    .asciz "boot: not started by a multiboot2 loader (bad magic in EAX); halting.\r\n"
msg_no_lm:
    .asciz "boot: this CPU has no long mode (x86_64); halting.\r\n"
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF        /* 64-bit code, DPL 0 */
    .quad 0x00CF92000000FFFF        /* data, DPL 0 */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .text
long_mode_high:
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp
    mov boot_mb2_info(%rip), %edi
    call kmain
1:  cli
    hlt
    jmp 1b

    .bss
    .balign 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd: .skip 4096
    /* Left unmapped by paging.c, so overflowing the boot stack faults. */
    .global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
    .skip 4096
boot_stack_bottom:
    .skip KSTACK_SIZE
boot_stack_top:
    .data
    .balign 8
boot_mb2_info: .quad 0
