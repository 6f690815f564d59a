/*
 * consumer NAME COUNT - read COUNT items from the ring buffer in
 * shared-memory window NAME, written by `producer NAME COUNT` (typically on
 * another OS instance), and check that each is the one expected, in order.
 * Exit status 0 when all were right.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "os.h"
#include "shmring.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: consumer NAME COUNT\n");
        return 2;
    }
    long count = atol(argv[2]);
    struct shm_ring *r = shm_map(argv[1]);
    if (!r) {
        fprintf(stderr, "consumer: shm_map(%s): %s\n", argv[1], strerror(errno));
        return 1;
    }
    long bad = 0;
    for (long i = 0; i < count; i++) {
        while (shm_ring_empty(r))
            sched_yield();
        uint64_t v = shm_ring_get(r);
        if (v != shm_ring_item((uint64_t)i) && bad++ < 5)
            printf("consumer: item %ld is %llx, expected %llx\n", i, (unsigned long long)v,
                   (unsigned long long)shm_ring_item((uint64_t)i));
    }
    printf("consumer: %ld items from window %s on CPU %d, %ld wrong\n", count, argv[1], getcpu(), bad);
    return bad ? 1 : 0;
}
