/*
 * spin MS - use the CPU for MS milliseconds (default 2000) without making
 * a system call, then say where it ran. Start several in the background
 * (`spin 5000 &`) and look at `cpus`: under `private` they all queue on the
 * instance's one CPU while the other CPUs idle.
 */
#include <stdio.h>
#include <stdlib.h>
#include "os.h"

int main(int argc, char **argv)
{
    uint64_t ms = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000;
    uint64_t start = uptime_ns();
    volatile uint64_t n = 0;
    while (uptime_ns() - start < ms * 1000000ull)
        for (int i = 0; i < 10000; i++)
            n++;
    printf("spin: %llu ms on CPU %d done\n", (unsigned long long)ms, getcpu());
    return 0;
}
