/*
 * A ring buffer in a shared-memory window (shm_map): one producer, one
 * consumer, each possibly on another OS instance. The producer alone
 * writes `head`, the consumer alone writes `tail`; a slot is filled before
 * head moves past it (release) and read after the consumer saw head move
 * (acquire), so no lock is needed -- the kernel provides only the memory.
 * Used by user/bin/producer.c, consumer.c and privtest.c.
 */
#ifndef SHMRING_H
#define SHMRING_H

#include <stdint.h>
#include "abi.h"

#define SHM_RING_SLOTS ((ABI_SHM_WINDOW_SIZE - 128) / 8)

struct shm_ring {
    uint32_t head;       /* items written so far */
    uint32_t pad0[15];   /* head and tail on separate cache lines */
    uint32_t tail;       /* items read so far */
    uint32_t pad1[15];
    uint64_t slot[SHM_RING_SLOTS];
};

_Static_assert(sizeof(struct shm_ring) <= ABI_SHM_WINDOW_SIZE, "ring larger than a window");

/* The i-th item of a stream: a value the consumer can check. */
static inline uint64_t shm_ring_item(uint64_t i) { return (i + 1) * 0x9E3779B97F4A7C15ull; }

static inline int shm_ring_full(const struct shm_ring *r)
{
    return __atomic_load_n(&r->head, __ATOMIC_RELAXED) - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) ==
           SHM_RING_SLOTS;
}

static inline void shm_ring_put(struct shm_ring *r, uint64_t v)
{
    uint32_t h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
    r->slot[h % SHM_RING_SLOTS] = v;
    __atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
}

static inline int shm_ring_empty(const struct shm_ring *r)
{
    return __atomic_load_n(&r->tail, __ATOMIC_RELAXED) == __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
}

static inline uint64_t shm_ring_get(struct shm_ring *r)
{
    uint32_t t = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
    uint64_t v = r->slot[t % SHM_RING_SLOTS];
    __atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
    return v;
}

#endif
