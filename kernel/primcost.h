/*
 * What the kernel's primitives cost, in TSC cycles (the primcost() system
 * call; `prims` prints them and `make bench` makes a table of them): an
 * uncontended spinlock, a lock handed back and forth between two CPUs, a
 * remote call there and back (the IPI round trip).
 */
#ifndef PRIMCOST_H
#define PRIMCOST_H

#include "lib/types.h"
#include "user/include/abi.h"

/* Time primitive `which` (ABI_PRIM_*) against CPU `cpu` (hand-off, IPI;
 * -1: any other online CPU of this OS instance): 0, -EINVAL (which, or cpu
 * not another online CPU of this instance, or none), -EBUSY (another
 * measurement runs), -EIO (the partner failed during the hand-off). */
long primcost_measure(int which, int cpu, struct abi_primcost *out);

#endif
