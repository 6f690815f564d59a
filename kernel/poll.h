/*
 * poll(): waiting for any of several descriptors (kernel/poll.c).
 *
 * A change that may make a descriptor ready (a pipe read, write or close,
 * a console line) calls poll_notify() after it, once the lock it made the
 * change under is released: the instance's pollers then look again.
 */
#ifndef POLL_H
#define POLL_H

#include "lib/types.h"

/* SYS_poll: fds and nfds as the program passed them, timeout in ms
 * (negative: none, 0: do not wait) -> ready descriptors, or -E. */
long poll_fds(uint64_t ufds, uint64_t nfds, int timeout_ms);
/* Something a poller of this OS instance may wait for has happened. One
 * load when nobody polls; takes the organisation's lock and os->timers
 * otherwise, so the caller holds no lock ranked at or above RANK_SLEEP_COND. */
void poll_notify(void);

#endif
