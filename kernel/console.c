#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "arch.h"

#define INPUT_SIZE 1024
#define OUTPUT_LINE 256
#define MAX_CONSOLE_OS MAX_CPUS

/* One instance's input: [tail, committed) is complete lines; [committed,
 * head) the line being typed (only in the attached instance's ring). */
struct input_ring {
    char ring[INPUT_SIZE];
    size_t head, tail, committed;
};

/* The serial port is one device: one lock over its input side, whichever
 * instance reads (docs/locks.md, locks shared between instances). */
static struct spinlock input_lock = SPINLOCK_INIT("console input", RANK_CONSOLE_IN);
static struct input_ring rings[MAX_CONSOLE_OS];
static volatile int attached;        /* the instance the keyboard talks to */
static int instances = 1;
static uint64_t to_wake;             /* instances whose rings got a line, to be woken after the lock */
static uint64_t to_interrupt;        /* instances that got a Ctrl-C, likewise */
void (*console_wakeup)(int os);
void (*console_interrupt)(int os);

/* The other instances' output, a line at a time (under input_lock). */
static struct {
    char buf[OUTPUT_LINE];
    size_t n;
} pending_out[MAX_CONSOLE_OS];

void console_set_instances(int n) { instances = n < 1 ? 1 : n > MAX_CONSOLE_OS ? MAX_CONSOLE_OS : n; }
int console_attached(void) { return __atomic_load_n(&attached, __ATOMIC_ACQUIRE); }

/* Under the console's output lock, as every other output: written
 * character by character without it, an echo or a console message fell
 * into the middle of another instance's line (pc-private-console once
 * failed so). */
static void echo(const char *s) { console_write(s, strlen(s)); }

static struct input_ring *cur(void) { return &rings[attached]; }
static bool ring_full(const struct input_ring *r) { return r->head - r->tail == INPUT_SIZE; }

static void flush_pending_untagged(int os) {
    if (pending_out[os].n)
        console_write(pending_out[os].buf, pending_out[os].n);
    pending_out[os].n = 0;
}

/* The line just ended (not yet committed): is it `~N` for an instance?
 * Then it is dropped and the console moves. */
static bool take_switch_line(struct input_ring *r) {
    size_t len = r->head - r->committed;
    if (len < 2 || len > 3 || r->ring[r->committed % INPUT_SIZE] != '~')
        return false;
    int n = 0;
    for (size_t i = r->committed + 1; i < r->head; i++) {
        char c = r->ring[i % INPUT_SIZE];
        if (c < '0' || c > '9')
            return false;
        n = n * 10 + (c - '0');
    }
    r->head = r->committed;
    char msg[64];
    if (n >= instances) {
        fmt_snprintf(msg, sizeof msg, "\r\n[console: there is no instance %d; still on %d]\r\n", n, attached);
        echo(msg);
        return true;
    }
    __atomic_store_n(&attached, n, __ATOMIC_RELEASE);
    fmt_snprintf(msg, sizeof msg, "\r\n[console: now on instance %d]\r\n", n);
    echo(msg);
    flush_pending_untagged(n); /* its unfinished line, e.g. the shell's prompt */
    return true;
}

/* The line discipline for one byte; the caller made sure the ring has room. */
static void edit(char c) {
    struct input_ring *r = cur();
    if (c == '\b' || c == 0x7F) {
        if (r->head != r->committed) {
            r->head--;
            echo("\b \b");
        }
    } else if (c == 0x15) { /* Ctrl-U: erase the line */
        while (r->head != r->committed) {
            r->head--;
            echo("\b \b");
        }
    } else if (c == 0x03) { /* Ctrl-C: the line is dropped, the instance's processes get SIGINT */
        r->head = r->committed;
        echo("^C\r\n");
        to_interrupt |= 1ULL << attached;
    } else if (c == '\n' && take_switch_line(r)) {
        return;
    } else {
        r->ring[r->head++ % INPUT_SIZE] = c;
        if (c == '\n') {
            echo("\r\n");
            r->committed = r->head;
            to_wake |= 1ULL << attached;
        } else if (c == 0x04) { /* Ctrl-D: end of input for the reader */
            r->committed = r->head;
            to_wake |= 1ULL << attached;
        } else {
            char s[2] = {c, 0};
            echo(s);
            /* A line as long as the whole ring: hand over what is there, so
             * the reader can make room for the rest. Such a line reaches the
             * reader in pieces and only the last one ends in '\n'; holding
             * it back would leave no room for its newline, ever. */
            if (ring_full(r) && r->committed == r->tail) {
                r->committed = r->head;
                to_wake |= 1ULL << attached;
            }
        }
    }
}

/* Take bytes from the UART while the attached ring has room. A byte that
 * finds the ring full stays in the UART (its FIFO is off: QEMU, or the
 * sender, holds the rest), and is fetched when a reader makes room: so
 * piped input is never dropped, however far it runs ahead of the reader.
 * Called with input_lock held, which also keeps the bytes in order when
 * the receive interrupt and a reader on another CPU both pull. */
static void pull_from_uart(void) {
    for (int c; !ring_full(cur()) && (c = arch_console_getc()) >= 0;)
        edit(c == '\r' ? '\n' : (char)c);
}

/* After dropping the lock: wake the readers of every instance that got a
 * line (console_wakeup takes scheduler locks, which rank below this one). */
static void unlock_and_wake(void) {
    uint64_t w = to_wake, intr = to_interrupt;
    to_wake = to_interrupt = 0;
    spin_unlock(&input_lock);
    for (int i = 0; w && i < MAX_CONSOLE_OS; i++, w >>= 1)
        if ((w & 1) && console_wakeup)
            console_wakeup(i);
    for (int i = 0; intr && i < MAX_CONSOLE_OS; i++, intr >>= 1)
        if ((intr & 1) && console_interrupt)
            console_interrupt(i);
}

void console_input(char c) {
    spin_lock(&input_lock);
    if (!ring_full(cur()))
        edit(c == '\r' ? '\n' : c);
    unlock_and_wake();
}

void console_receive(void) {
    spin_lock(&input_lock);
    pull_from_uart();
    unlock_and_wake();
}

bool console_line_ready(int os) { return rings[os].committed != rings[os].tail; }

/* The same under the input lock, for poll(): a line committed after this
 * look is followed by console_wakeup() for its instance, which tells the
 * pollers too (kernel/poll.c), so none can miss it. */
bool console_poll_ready(int os) {
    spin_lock(&input_lock);
    bool ready = console_line_ready(os);
    spin_unlock(&input_lock);
    return ready;
}

size_t console_read_ready(int os, char *buf, size_t n) {
    struct input_ring *r = &rings[os];
    spin_lock(&input_lock);
    size_t got = 0;
    while (got < n && r->tail != r->committed) {
        char c = r->ring[r->tail++ % INPUT_SIZE];
        if (c == 0x04) /* Ctrl-D ends this read; an empty read means end of file */
            break;
        buf[got++] = c;
        if (c == '\n')
            break;
    }
    pull_from_uart(); /* what waited in the UART for the room just made */
    unlock_and_wake();
    return got;
}

/* A finished line of a detached instance, with its tag, in one write. */
static void emit_tagged(int os) {
    char line[OUTPUT_LINE + 16];
    int k = fmt_snprintf(line, sizeof line, "[cpu%d] ", os);
    for (size_t i = 0; i < pending_out[os].n; i++)
        line[k++] = pending_out[os].buf[i];
    if (line[k - 1] != '\n') /* a line longer than the buffer: the rest gets its own tag */
        line[k++] = '\n';
    console_write(line, (size_t)k);
    pending_out[os].n = 0;
}

void console_output(int os, const char *s, size_t n) {
    if (os == console_attached() && pending_out[os].n == 0) {
        console_write(s, n);
        return;
    }
    spin_lock(&input_lock);
    if (os == attached) {
        flush_pending_untagged(os);
        console_write(s, n);
    } else {
        for (size_t i = 0; i < n; i++) {
            pending_out[os].buf[pending_out[os].n++] = s[i];
            if (s[i] == '\n' || pending_out[os].n == OUTPUT_LINE)
                emit_tagged(os);
        }
    }
    spin_unlock(&input_lock);
}
