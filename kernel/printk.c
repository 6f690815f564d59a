#include "kernel/printk.h"
#include "kernel/cpu.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "lib/fmt.h"

int console_loglevel = LOG_INFO;
static struct spinlock console_lock = SPINLOCK_INIT("console", RANK_CONSOLE);

#define LINE_MAX 320

static void uart_write(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            arch_console_putc('\r');
        arch_console_putc(s[i]);
    }
}

/*
 * Once a CPU panics, the console lock may be held by a CPU that will never
 * let it go (it was stopped by NMI); the panicking CPU writes without it.
 */
static void console_emit(const char *s, size_t n) {
    if (panicking) {
        uart_write(s, n);
        return;
    }
    spin_lock(&console_lock);
    uart_write(s, n);
    spin_unlock(&console_lock);
}

static size_t format_prefix(char *buf, size_t size) {
    uint64_t ns = time_ready() ? uptime_ns() : 0;
    int cpu = this_cpu() ? cpu_id() : 0;
    return (size_t)fmt_snprintf(buf, size, "[%5llu.%06llu c%d] ", (unsigned long long)(ns / 1000000000ULL),
                                (unsigned long long)(ns / 1000 % 1000000), cpu);
}

/* Program output: the bytes as they are, under the console lock. */
void console_write(const char *s, size_t n) { console_emit(s, n); }

void vprintk(int level, const char *fmt, va_list ap) {
    if (level > console_loglevel)
        return;
    char line[LINE_MAX];
    size_t n = format_prefix(line, sizeof line);
    int len = fmt_vsnprintf(line + n, sizeof line - n, fmt, ap);
    if (len < 0)
        len = 0;
    n += (size_t)len;
    if (n >= sizeof line) { /* truncated: keep the line ending */
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    console_emit(line, n);
}

void printk(int level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}

void printk_raw(const char *fmt, ...) {
    char line[LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int len = fmt_vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    console_emit(line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}
