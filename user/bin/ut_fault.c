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
#include "faults.h"


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
    if (provoke_fault(argv[1]) < 0) {
        fprintf(stderr, "ut_fault: unknown kind '%s'\n", argv[1]);
        return 3;
    }
    fprintf(stderr, "ut_fault: %s did not fault\n", argv[1]);
    return 4;
}
