/*
 * <poll.h>: newlib has none for x86_64-elf; the kernel's poll() (system
 * call 57, docs/abi.md) takes this structure as it is (struct abi_pollfd,
 * ABI_POLL*: posix.c checks that they agree). Implemented in
 * user/lib/posix.c.
 */
#ifndef _POLL_H
#define _POLL_H

typedef unsigned long nfds_t;

struct pollfd {
    int fd;              /* a negative fd is skipped (revents 0) */
    short events;        /* what to wait for: POLLIN, POLLOUT */
    short revents;       /* what is ready, plus POLLERR, POLLHUP, POLLNVAL */
};

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100

/* Wait up to timeout ms (-1: for ever, 0: not at all) until one of the
 * nfds descriptors is ready; the number of entries with revents set, 0 on
 * timeout, -1 with errno (EINVAL: nfds over 64, EFAULT, EINTR). */
int poll(struct pollfd *fds, nfds_t nfds, int timeout);

#endif
