/*
 * barrier NAME N - wait until N processes, on any OS instances, have called
 * `barrier NAME N`: a counter in shared-memory window NAME. A console
 * script uses it to let every instance finish before one of them halts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "os.h"

static struct abi_sysinfo si;

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: barrier NAME N\n");
        return 2;
    }
    int n = atoi(argv[2]);
    volatile int *count = shm_map(argv[1]);
    if (!count) {
        fprintf(stderr, "barrier: shm_map(%s): %s\n", argv[1], strerror(errno));
        return 1;
    }
    sysinfo(&si);
    int me = __atomic_add_fetch(count, 1, __ATOMIC_SEQ_CST);
    printf("barrier: instance %u (CPU %d) arrived at %s as %d of %d\n", (unsigned)si.os_instance, getcpu(),
           argv[1], me, n);
    fflush(stdout);
    while (__atomic_load_n(count, __ATOMIC_SEQ_CST) < n)
        sleep_ms(5);
    printf("barrier: instance %u: all %d arrived\n", (unsigned)si.os_instance, n);
    return 0;
}
