/*
 * Pipes (kernel/pipe.h). The ring and the reader/writer counts are looked
 * at under the pipe's own lock, the condition lock of its sleepers
 * (sleep(chan, lk) and wakeup(), as console input does), so no wakeup is
 * lost; the organisation's lock comes first, as on every path into the
 * scheduler. User memory is never touched under the lock: bytes go through
 * a small kernel buffer.
 */
#include "kernel/pipe.h"
#include "kernel/file.h"
#include "kernel/heap.h"
#include "kernel/model.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/uaccess.h"
#include "user/include/abi.h"

struct pipe {
    struct spinlock lock;       /* everything below (RANK_SLEEP_COND) */
    uint8_t ring[PIPE_SIZE];
    uint64_t nread, nwritten;   /* bytes ever read / written: the ring holds the difference */
    int readers, writers;
};

int pipe_create(struct file **rf, struct file **wf) {
    struct pipe *p = kzalloc(sizeof *p);
    if (!p)
        return -ABI_ENOMEM;
    spin_init(&p->lock, "pipe", RANK_SLEEP_COND);
    p->readers = p->writers = 1;
    *rf = file_alloc();
    *wf = *rf ? file_alloc() : NULL;
    if (!*wf) {
        if (*rf)
            (*rf)->refs = 0;
        kfree(p);
        return -ABI_ENFILE;
    }
    (*rf)->type = (*wf)->type = F_PIPE;
    (*rf)->pipe = (*wf)->pipe = p;
    (*rf)->readable = true;
    (*wf)->writable = true;
    return 0;
}

long pipe_read(struct pipe *p, uint64_t ubuf, size_t n) {
    uint8_t kbuf[PIPE_ATOMIC];
    struct proc *me = current_proc();
    if (n == 0)
        return 0;
    model->sched_lock();
    spin_lock(&p->lock);
    while (p->nread == p->nwritten && p->writers > 0 && !proc_interrupted(me))
        sleep(&p->nread, &p->lock);
    if (p->nread == p->nwritten && p->writers > 0) { /* woken by a signal, nothing to read */
        spin_unlock(&p->lock);
        model->sched_unlock();
        return -ABI_EINTR;
    }
    size_t k = 0;
    size_t want = MIN(n, sizeof kbuf);
    while (k < want && p->nread != p->nwritten)
        kbuf[k++] = p->ring[p->nread++ % PIPE_SIZE];
    wakeup(&p->nwritten); /* room for writers */
    spin_unlock(&p->lock);
    model->sched_unlock();
    poll_notify(); /* and for writers waiting in poll() */
    if (k && copy_to_user(ubuf, kbuf, k) < 0)
        return -ABI_EFAULT;
    return (long)k;
}

long pipe_write(struct pipe *p, uint64_t ubuf, size_t n) {
    uint8_t kbuf[PIPE_ATOMIC];
    struct proc *me = current_proc();
    size_t done = 0;
    while (done < n) {
        size_t chunk = MIN(n - done, sizeof kbuf);
        if (copy_from_user(kbuf, ubuf + done, chunk) < 0)
            return done ? (long)done : -ABI_EFAULT;
        model->sched_lock();
        spin_lock(&p->lock);
        /* A chunk goes in whole: PIPE_ATOMIC bytes are never split. */
        while (p->readers > 0 && PIPE_SIZE - (p->nwritten - p->nread) < chunk && !proc_interrupted(me))
            sleep(&p->nwritten, &p->lock);
        bool room = PIPE_SIZE - (p->nwritten - p->nread) >= chunk;
        if (p->readers == 0 || !room) { /* no reader left, or woken by a signal while full */
            spin_unlock(&p->lock);
            model->sched_unlock();
            if (done)
                return (long)done;
            return p->readers == 0 ? -ABI_EPIPE : -ABI_EINTR;
        }
        for (size_t i = 0; i < chunk; i++)
            p->ring[p->nwritten++ % PIPE_SIZE] = kbuf[i];
        wakeup(&p->nread);
        spin_unlock(&p->lock);
        model->sched_unlock();
        poll_notify();
        done += chunk;
    }
    return (long)done;
}

void pipe_close(struct pipe *p, bool writer) {
    model->sched_lock();
    spin_lock(&p->lock);
    if (writer)
        p->writers--;
    else
        p->readers--;
    bool gone = p->readers == 0 && p->writers == 0;
    wakeup(&p->nread);
    wakeup(&p->nwritten);
    spin_unlock(&p->lock);
    model->sched_unlock();
    if (gone)
        kfree(p);
    else
        poll_notify(); /* an end hung up: POLLHUP or POLLERR for the other */
}

/* Under the pipe's lock, which every change of the ring and the counts
 * takes too: a change after this look is followed by poll_notify(), so a
 * poller that saw nothing ready cannot miss it (kernel/poll.c). A read end
 * is readable with data or at end of file (no writer left: POLLHUP too); a
 * write end is writable when a PIPE_ATOMIC write fits, and when no reader
 * is left (the write fails at once with EPIPE: POLLERR too). */
int pipe_poll(struct pipe *p, bool writer) {
    int ready = 0;
    spin_lock(&p->lock);
    if (writer) {
        if (p->readers == 0)
            ready = ABI_POLLOUT | ABI_POLLERR;
        else if (PIPE_SIZE - (p->nwritten - p->nread) >= PIPE_ATOMIC)
            ready = ABI_POLLOUT;
    } else {
        if (p->nread != p->nwritten)
            ready = ABI_POLLIN;
        if (p->writers == 0)
            ready |= ABI_POLLIN | ABI_POLLHUP;
    }
    spin_unlock(&p->lock);
    return ready;
}
