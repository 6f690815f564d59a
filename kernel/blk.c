/*
 * The block layer (kernel/blk.h): a queue per device in front of the
 * driver's command slots, completion by interrupt, and a watchdog that
 * catches lost interrupts and ends hung commands with -EIO, so a caller is
 * never left waiting forever.
 */
#include "kernel/blk.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/sleeplock.h"
#include "kernel/time.h"
#include "user/include/abi.h"

struct blk_dev *blk_devs[BLK_MAX_DEVS];
int nblk_devs;

void blk_register(struct blk_dev *d) {
    if (nblk_devs == BLK_MAX_DEVS) {
        pr_warn("blk: no room for %s\n", d->name);
        return;
    }
    spin_init(&d->lock, "block queue", RANK_BLKQ);
    list_init(&d->queue);
    blk_devs[nblk_devs++] = d;
    pr_info("blk: %s: %s, %llu sectors (%llu MiB), %d command slots\n", d->name, d->model,
            (unsigned long long)d->sectors, (unsigned long long)(d->sectors >> 11), d->slots);
}

static int free_slot(struct blk_dev *d) {
    for (int i = 0; i < d->slots; i++)
        if (!d->inflight[i])
            return i;
    return -1;
}

static void start_locked(struct blk_dev *d, struct blk_req *req, int slot) {
    req->slot = slot;
    req->issued_ns = uptime_ns();
    d->inflight[slot] = req;
    d->ninflight++;
    if ((uint64_t)d->ninflight > d->max_inflight)
        d->max_inflight = (uint64_t)d->ninflight;
    d->start(d, req);
}

int blk_submit(struct blk_req *req) {
    struct blk_dev *d = req->dev;
    if (req->count == 0 || req->count > BLK_MAX_SECTORS || req->lba >= d->sectors ||
        req->count > d->sectors - req->lba)
        return -ABI_EINVAL;
    req->done = 0;
    req->os = this_os();
    req->error = 0;
    req->slot = -1;
    spin_lock(&d->lock);
    if (req->write)
        d->writes++;
    else
        d->reads++;
    int slot = free_slot(d);
    if (slot >= 0)
        start_locked(d, req, slot);
    else
        list_push_back(&d->queue, &req->link);
    spin_unlock(&d->lock);
    return 0;
}

void blk_complete_locked(struct blk_dev *d, struct blk_req *req, int error, bool from_irq) {
    d->inflight[req->slot] = NULL;
    d->ninflight--;
    req->error = error;
    if (error)
        d->errors++;
    if (from_irq)
        d->irq_completions++;
    else
        d->poll_completions++;
    if (!list_empty(&d->queue)) {
        struct list_node *n = d->queue.next;
        list_remove(n);
        start_locked(d, list_entry(n, struct blk_req, link), req->slot);
    }
}

void blk_wake(struct blk_req **done, int n) {
    for (int i = 0; i < n; i++) {
        struct os_instance *os = done[i]->os;
        __atomic_store_n(&done[i]->done, 1, __ATOMIC_RELEASE); /* the waiter may free *done[i] from here on */
        sleep_done_wakeup(os);
    }
}

static void poll_dev(void *arg) {
    struct blk_dev *d = arg;
    d->poll(d);
}

int blk_wait(struct blk_req *req) {
    sleep_until(&req->done, poll_dev, req->dev);
    return req->error;
}

int blk_rw(struct blk_dev *d, uint64_t lba, uint32_t count, void *buf, bool write) {
    struct blk_req req = {.dev = d, .lba = lba, .count = count, .write = write, .buf = buf};
    int err = blk_submit(&req);
    return err ? err : blk_wait(&req);
}

/* Every 20 ms: completions whose interrupt was lost, and commands older
 * than BLK_TIMEOUT_NS, which the driver ends with an error. */
static void watchdog(void *arg) {
    (void)arg;
    for (;;) {
        sleep_ms(20);
        for (int i = 0; i < nblk_devs; i++) {
            struct blk_dev *d = blk_devs[i];
            if (__atomic_load_n(&d->ninflight, __ATOMIC_RELAXED) == 0)
                continue; /* nothing to look after */
            d->poll(d);
            bool hung = false;
            spin_lock(&d->lock);
            uint64_t now = uptime_ns(); /* under the lock: no request issued after it */
            for (int s = 0; s < d->slots; s++)
                if (d->inflight[s] && now > d->inflight[s]->issued_ns &&
                    now - d->inflight[s]->issued_ns > BLK_TIMEOUT_NS)
                    hung = true;
            if (hung)
                d->timeouts++;
            spin_unlock(&d->lock);
            if (hung) {
                pr_warn("blk: %s: a command took longer than %llu s: resetting\n", d->name,
                        (unsigned long long)(BLK_TIMEOUT_NS / 1000000000ULL));
                d->reset(d);
            }
        }
    }
}

/* One watchdog for the machine's devices, on the first instance that asks
 * (private: every instance that mounts the disk does). */
void blk_start_watchdog(void) {
    static int started;
    if (!nblk_devs || __atomic_exchange_n(&started, 1, __ATOMIC_ACQ_REL))
        return;
    if (!kthread_create("blkwatch", watchdog, NULL, 1)) {
        __atomic_store_n(&started, 0, __ATOMIC_RELEASE); /* another instance may try */
        pr_warn("blk: no watchdog thread: lost interrupts will hang requests\n");
    }
}
