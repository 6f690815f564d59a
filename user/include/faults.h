/*
 * Faults on purpose, for the tests of how the kernel ends a faulting
 * process: usertests provokes them in forked children, ut_fault after an
 * exec. provoke_fault() returns -1 for an unknown kind and otherwise does
 * not return at all (the kernel ends the process).
 */
#ifndef FAULTS_H
#define FAULTS_H

#include <stdint.h>
#include <string.h>

/* The compiler must not see which address is used: it could otherwise turn
 * a NULL access into a trap instruction of its own (SIGILL, not SIGSEGV). */
static inline void *hide(uintptr_t a)
{
    __asm__ volatile("" : "+r"(a));
    return (void *)a;
}

static int provoke_fault(const char *kind)
{
    if (strcmp(kind, "null_write") == 0) {
        *(volatile int *)hide(0) = 1;
    } else if (strcmp(kind, "null_read") == 0) {
        (void)*(volatile int *)hide(0);
    } else if (strcmp(kind, "jump_null") == 0) {
        ((void (*)(void))hide(0))();
    } else if (strcmp(kind, "text_write") == 0) {
        volatile unsigned char *p = hide((uintptr_t)&provoke_fault);
        *p = *p; /* writes back the same byte, should it be allowed */
    } else if (strcmp(kind, "kernel_read") == 0) {
        (void)*(volatile uint64_t *)hide(0xffffffff80000000ull);
    } else if (strcmp(kind, "kernel_write") == 0) {
        *(volatile uint64_t *)hide(0xffffffff80000000ull) = 0;
    } else if (strcmp(kind, "noncanonical") == 0) {
        (void)*(volatile uint64_t *)hide(0x8000000000000000ull);
    } else if (strcmp(kind, "hlt") == 0) {
        __asm__ volatile("hlt");
    } else if (strcmp(kind, "ud2") == 0) {
        __asm__ volatile("ud2");
    } else if (strcmp(kind, "div0") == 0) {
        __asm__ volatile("xorl %%edx, %%edx\n\t"
                         "xorl %%ecx, %%ecx\n\t"
                         "movl $1, %%eax\n\t"
                         "divl %%ecx" ::: "eax", "ecx", "edx", "cc");
    } else if (strcmp(kind, "divovf") == 0) {
        __asm__ volatile("movl $0x80000000, %%eax\n\t"
                         "cltd\n\t"
                         "movl $-1, %%ecx\n\t"
                         "idivl %%ecx" ::: "eax", "ecx", "edx", "cc");
    } else {
        return -1;
    }
    return 0;
}

#endif
