/*
 * cpufail - stop a CPU dead, as if it lost power (the cpufail() call).
 *
 *   cpufail N            CPU N stops the next time it runs user code
 *   cpufail N user       the same
 *   cpufail N kernel     CPU N stops at once, inside the kernel
 *   cpufail N lock       CPU N stops holding a kernel lock (bkl: the big
 *                        lock; fine: the process table's)
 *
 * The other CPUs notice within about a second, report it on the console,
 * and go on as the organisation allows (docs/organisations.md, "When a CPU
 * fails"); `cpus` then shows the CPU as "FAIL".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "os.h"

int main(int argc, char **argv)
{
    static const char *const hows[] = {[ABI_CPUFAIL_USER] = "user", [ABI_CPUFAIL_KERNEL] = "kernel",
                                       [ABI_CPUFAIL_LOCK] = "lock"};
    char *end;
    long cpu = argc >= 2 ? strtol(argv[1], &end, 10) : -1;
    int how = argc >= 3 ? 0 : ABI_CPUFAIL_USER;
    for (int h = ABI_CPUFAIL_USER; argc >= 3 && h <= ABI_CPUFAIL_LOCK; h++)
        if (strcmp(argv[2], hows[h]) == 0)
            how = h;
    if (argc < 2 || argc > 3 || *end || cpu < 0 || how == 0) {
        fprintf(stderr, "usage: cpufail CPU [user|kernel|lock]\n");
        return 2;
    }
    if (cpufail((int)cpu, how) < 0) {
        fprintf(stderr, "cpufail: CPU %ld: %s\n", cpu,
                errno == EBUSY ? "already failing, or the last CPU left" : strerror(errno));
        return 1;
    }
    printf("cpufail: CPU %ld is failing (in %s); watch the console\n", cpu, hows[how]);
    return 0;
}
