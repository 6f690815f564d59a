/*
 * The benchmark's work table (docs/bench.md): the kernel work that
 * `loadgen` asks for with kwork(region, cycles). It is a kernel table like
 * the others, split into ABI_KWORK_REGIONS independent critical regions,
 * each with its own lock and its own counters: a call holds one region's
 * lock while it updates that region for `cycles` TSC cycles.
 *
 * So the same call serialises where the organisation serialises the
 * kernel (bkl: inside the big lock; leader: only on the leader) and
 * spreads where it does not (fine: callers of different regions run at
 * once; private: every instance has a table of its own).
 */
#ifndef WORKTABLE_H
#define WORKTABLE_H

#include "lib/types.h"

struct os_instance;

/* The instance's table, from its own memory (os_instance_claim). */
void worktable_init(struct os_instance *os);
/* kwork(): 0, or -EINVAL for a region or a cycle count out of range. */
long worktable_work(int region, uint64_t cycles);

#endif
