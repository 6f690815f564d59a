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
    } else if (head - tail < INPUT_SIZE - 1) {
        ring[head++ % INPUT_SIZE] = c;
        if (c == '\n') {
            echo("\r\n");
            committed = head;
        } else if (c == 0x04) { /* Ctrl-D: end of input for the reader */
            committed = head;
        } else {
            char s[2] = {c, 0};
            echo(s);
        }
    }
}

void console_input(char c) {
    if (c == '\r')
        c = '\n';
    spin_lock(&input_lock);
    size_t before = committed;
    edit(c);
    bool line_done = committed != before;
    spin_unlock(&input_lock);
    if (line_done && console_wakeup)
        console_wakeup();
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
    spin_unlock(&input_lock);
    return got;
}
