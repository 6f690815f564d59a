#include "kernel/console.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "arch.h"

#define INPUT_SIZE 1024

static struct spinlock input_lock = SPINLOCK_INIT("console input", RANK_CONSOLE_IN);
static char ring[INPUT_SIZE];
static size_t head, tail, committed; /* [tail, committed) is complete lines; [committed, head) the line being typed */
void (*console_wakeup)(void);

static void echo(const char *s) {
    while (*s)
        arch_console_putc(*s++);
}

static bool ring_full(void) { return head - tail == INPUT_SIZE; }

/* The line discipline for one byte; the caller made sure the ring has room. */
static void edit(char c) {
    if (c == '\b' || c == 0x7F) {
        if (head != committed) {
            head--;
            echo("\b \b");
        }
    } else if (c == 0x15) { /* Ctrl-U: erase the line */
        while (head != committed) {
            head--;
            echo("\b \b");
        }
    } else {
        ring[head++ % INPUT_SIZE] = c;
        if (c == '\n') {
            echo("\r\n");
            committed = head;
        } else if (c == 0x04) { /* Ctrl-D: end of input for the reader */
            committed = head;
        } else {
            char s[2] = {c, 0};
            echo(s);
            /* A line as long as the whole ring: hand over what is there, so
             * the reader can make room for the rest. Such a line reaches the
             * reader in pieces and only the last one ends in '\n'; holding
             * it back would leave no room for its newline, ever. */
            if (ring_full() && committed == tail)
                committed = head;
        }
    }
}

/* Take bytes from the UART while the ring has room. A byte that finds the
 * ring full stays in the UART (its FIFO is off: QEMU, or the sender, holds
 * the rest), and is fetched when a reader makes room: so piped input is
 * never dropped, however far it runs ahead of the reader. Called with
 * input_lock held, which also keeps the bytes in order when the receive
 * interrupt and a reader on another CPU both pull. */
static void pull_from_uart(void) {
    for (int c; !ring_full() && (c = arch_console_getc()) >= 0;)
        edit(c == '\r' ? '\n' : (char)c);
}

/* Wake readers when a line is complete. */
static void wake_if_committed(size_t before) {
    if (committed != before && console_wakeup)
        console_wakeup();
}

void console_input(char c) {
    spin_lock(&input_lock);
    size_t before = committed;
    if (!ring_full())
        edit(c == '\r' ? '\n' : c);
    spin_unlock(&input_lock);
    wake_if_committed(before);
}

void console_receive(void) {
    spin_lock(&input_lock);
    size_t before = committed;
    pull_from_uart();
    spin_unlock(&input_lock);
    wake_if_committed(before);
}

bool console_line_ready(void) { return committed != tail; }

size_t console_read_ready(char *buf, size_t n) {
    spin_lock(&input_lock);
    size_t got = 0;
    while (got < n && tail != committed) {
        char c = ring[tail++ % INPUT_SIZE];
        if (c == 0x04) /* Ctrl-D ends this read; an empty read means end of file */
            break;
        buf[got++] = c;
        if (c == '\n')
            break;
    }
    size_t before = committed;
    pull_from_uart(); /* what waited in the UART for the room just made */
    spin_unlock(&input_lock);
    wake_if_committed(before);
    return got;
}
