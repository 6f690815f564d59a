/*
 * poll() (kernel/poll.h): wait until one of several descriptors is ready.
 *
 * Waiting on several channels at once. sleep(chan, lk) waits on one
 * channel under one condition lock: a pipe's readers sleep on the pipe
 * under the pipe's lock, console readers on the console file under
 * os->console_readers. A poller of a pipe and the console cannot hold both
 * locks, nor sleep on both channels. So every OS instance has one more
 * channel, its poll count os->poll_gen ("something changed"), and every
 * change that can make a descriptor ready ends with poll_notify(): bump the
 * count, wake every poller of the instance, and let each look again. The
 * count lives under os->timers, the lock of the sleepers with a deadline,
 * so that the timer tick's scan (sched_wake_expired_sleepers) wakes a
 * poller whose timeout has passed just as it wakes sleep_ms().
 *
 * No lost wakeups. A poller reads the count *before* it looks at its
 * descriptors, and then sleeps only while the count is still that value
 * (checked under os->timers, which poll_notify holds to bump it). Each
 * descriptor is looked at under the lock its changes are made under (the
 * pipe's lock, the console input lock), and a change is notified after
 * that lock is released. So a change the look missed came after the look,
 * hence after the read of the count: its bump makes the count differ, and
 * the poller either sees that before it sleeps or is asleep on the channel
 * when the wakeup comes. The same argument covers poll_notify's shortcut:
 * a poller counts itself into os->pollers before its first look, so a
 * waker whose change the look missed finds the count non-zero.
 *
 * The price of one channel for all: every pipe write wakes every poller of
 * the instance, whichever descriptors it waits for; each looks again and
 * most sleep again. A teaching kernel with a handful of pollers can afford
 * that; a large one keeps a wait queue per descriptor instead (Linux's
 * poll_table), at the cost of registering with each one.
 */
#include "kernel/poll.h"
#include "kernel/console.h"
#include "kernel/file.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/pipe.h"
#include "kernel/proc.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "user/include/abi.h"

/* The one place poll() asks whether to stop waiting before anything is
 * ready: the process must end, or has a signal to deliver (proc.h; a
 * signal posted while it sleeps wakes it: kernel/signal.c). */
static bool poll_interrupted(const struct proc *p) { return proc_interrupted(p); }

void poll_notify(void) {
    struct os_instance *os = this_os();
    if (__atomic_load_n(&os->pollers, __ATOMIC_ACQUIRE) == 0)
        return;
    model->sched_lock(); /* first, as on every path into the scheduler */
    spin_lock(&os->timers);
    __atomic_store_n(&os->poll_gen, os->poll_gen + 1, __ATOMIC_RELEASE);
    wakeup((void *)&os->poll_gen);
    spin_unlock(&os->timers);
    model->sched_unlock();
}

/* What an open file offers now: ABI_POLL* bits. Files of the disk and of
 * the initrd never make a reader or writer wait (POSIX: regular files are
 * always ready); the console waits for a whole line to read, never to
 * write. */
static int file_ready(struct file *f) {
    switch (f->type) {
    case F_PIPE:
        return pipe_poll(f->pipe, f->writable);
    case F_CONSOLE:
        return (console_poll_ready(this_os()->id) ? ABI_POLLIN : 0) | ABI_POLLOUT;
    default:
        return ABI_POLLIN | ABI_POLLOUT;
    }
}

static int16_t revents_of(int32_t fd, int16_t events) {
    if (fd < 0)
        return 0; /* POSIX: a negative fd is ignored */
    struct file *f = fd < NOFILE ? current_proc()->files[fd] : NULL;
    if (!f)
        return ABI_POLLNVAL;
    int ready = file_ready(f);
    if (ready & ABI_POLLIN)
        ready |= ABI_POLLRDNORM;
    if (ready & ABI_POLLOUT)
        ready |= ABI_POLLWRNORM;
    /* POLLERR and POLLHUP are reported whether asked for or not. */
    return (int16_t)(ready & ((uint16_t)events | ABI_POLLERR | ABI_POLLHUP));
}

static long scan(struct abi_pollfd *fds, size_t n) {
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        fds[i].revents = revents_of(fds[i].fd, fds[i].events);
        count += fds[i].revents != 0;
    }
    return count;
}

/* Sleep until the poll count is no longer gen, the deadline (0: none) has
 * passed, or the process is interrupted; a spurious return only means one
 * more look. The deadline is registered as sleep_ms() registers its own. */
static void wait_for_change(uint64_t gen, uint64_t deadline) {
    struct proc *p = current_proc();
    struct os_instance *os = this_os();
    model->sched_lock();
    spin_lock(&os->timers);
    if (deadline) {
        p->wake_at_ns = deadline;
        __atomic_fetch_add(&os->sleepers_with_deadline, 1, __ATOMIC_RELAXED);
    }
    while (os->poll_gen == gen && !poll_interrupted(p) && (!deadline || uptime_ns() < deadline)) {
        if (deadline && deadline < os->next_deadline_ns)
            __atomic_store_n(&os->next_deadline_ns, deadline, __ATOMIC_RELAXED);
        sleep((void *)&os->poll_gen, &os->timers);
    }
    if (deadline) {
        __atomic_fetch_sub(&os->sleepers_with_deadline, 1, __ATOMIC_RELAXED);
        p->wake_at_ns = 0;
    }
    spin_unlock(&os->timers);
    model->sched_unlock();
}

long poll_fds(uint64_t ufds, uint64_t nfds, int timeout_ms) {
    struct abi_pollfd fds[ABI_POLL_MAX]; /* 512 bytes of the 16 KiB kernel stack */
    if (nfds > ABI_POLL_MAX)
        return -ABI_EINVAL;
    size_t bytes = nfds * sizeof fds[0];
    /* The whole array must be writable before anything waits: revents go
     * back into it at the end. */
    if (nfds && (!user_writable(ufds, bytes) || copy_from_user(fds, ufds, bytes) < 0))
        return -ABI_EFAULT;
    struct proc *p = current_proc();
    struct os_instance *os = this_os();
    uint64_t deadline = timeout_ms > 0 ? uptime_ns() + (uint64_t)timeout_ms * 1000000ULL : 0;
    __atomic_fetch_add(&os->pollers, 1, __ATOMIC_SEQ_CST); /* before the first look (below) */
    long r;
    for (;;) {
        uint64_t gen = __atomic_load_n(&os->poll_gen, __ATOMIC_ACQUIRE);
        r = scan(fds, nfds);
        if (r > 0 || timeout_ms == 0)
            break;
        if (poll_interrupted(p)) {
            r = -ABI_EINTR;
            break;
        }
        if (deadline && uptime_ns() >= deadline)
            break; /* timed out: 0 */
        wait_for_change(gen, deadline);
    }
    __atomic_fetch_sub(&os->pollers, 1, __ATOMIC_SEQ_CST);
    if (r >= 0 && nfds && copy_to_user(ufds, fds, bytes) < 0)
        r = -ABI_EFAULT;
    return r;
}
