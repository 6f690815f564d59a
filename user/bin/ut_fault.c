/*
 * ut_fault KIND - a helper of usertests: does what KIND says, which should
 * end the process with a signal (see the table below), for usertests to
 * check the wait status.
 *
 *   null_write null_read jump_null   page fault at address 0      SIGSEGV
 *   text_write                       write to its own code         SIGSEGV
 *   kernel_read kernel_write         touch 0xffffffff80000000      SIGSEGV
 *   noncanonical                     touch 0x8000000000000000      SIGSEGV (#GP)
 *   hlt                              privileged instruction        SIGSEGV (#GP)
 *   ud2                              invalid opcode                SIGILL
 *   div0 divovf                      divide error (1/0, INT_MIN/-1) SIGFPE
 *
 * Also: "exit N" exits with N, "sleep" sleeps and "spin" spins until killed
 * (both give up after a minute, or when their parent is gone).
 *
 * Exit status 2: usage; 3: unknown KIND; 4: the fault did not stop it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "os.h"

/* The compiler must not see which address is used: it could otherwise turn
 * a NULL access into a trap instruction of its own (SIGILL, not SIGSEGV). */
static void *hide(uintptr_t a)
{
    __asm__ volatile("" : "+r"(a));
    return (void *)a;
}

static int do_fault(const char *kind)
{
    if (strcmp(kind, "null_write") == 0) {
        *(volatile int *)hide(0) = 1;
    } else if (strcmp(kind, "null_read") == 0) {
        (void)*(volatile int *)hide(0);
    } else if (strcmp(kind, "jump_null") == 0) {
        ((void (*)(void))hide(0))();
    } else if (strcmp(kind, "text_write") == 0) {
        volatile unsigned char *p = hide((uintptr_t)&do_fault);
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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ut_fault KIND | exit N | sleep | spin\n");
        return 2;
    }
    if (strcmp(argv[1], "exit") == 0)
        return argc > 2 ? atoi(argv[2]) : 0;
    if (strcmp(argv[1], "sleep") == 0 || strcmp(argv[1], "spin") == 0) {
        int sleeping = argv[1][1] == 'l';
        int parent = getppid();
        uint64_t start = uptime_ns();
        while (getppid() == parent && uptime_ns() - start < 60000000000ull)
            if (sleeping)
                sleep_ms(20);
        return 5;
    }
    if (do_fault(argv[1]) < 0) {
        fprintf(stderr, "ut_fault: unknown kind '%s'\n", argv[1]);
        return 3;
    }
    fprintf(stderr, "ut_fault: %s did not fault\n", argv[1]);
    return 4;
}
