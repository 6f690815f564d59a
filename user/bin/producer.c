/*
 * producer NAME COUNT - write COUNT numbered items into the ring buffer in
 * shared-memory window NAME (user/include/shmring.h); `consumer NAME COUNT`
 * on another OS instance reads and checks them. The texts' producer that
 * writes into memory from which the consumer fetches. Use a fresh NAME for
 * each run: the ring starts empty only in a window that was never used.
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
        fprintf(stderr, "usage: producer NAME COUNT\n");
        return 2;
    }
    long count = atol(argv[2]);
    struct shm_ring *r = shm_map(argv[1]);
    if (!r) {
        fprintf(stderr, "producer: shm_map(%s): %s\n", argv[1], strerror(errno));
        return 1;
    }
    long waits = 0;
    for (long i = 0; i < count; i++) {
        while (shm_ring_full(r)) {
            waits++;
            sched_yield();
        }
        shm_ring_put(r, shm_ring_item((uint64_t)i));
    }
    printf("producer: %ld items into window %s from CPU %d (%ld waits for room)\n", count, argv[1], getcpu(),
           waits);
    return 0;
}
