#include "kernel/printk.h"
#include "kernel/cpu.h"
#include "kernel/fbcon.h"
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

/* Colours on the screen (the serial line stays plain text): each CPU's
 * "[time cN]" prefix in its own, the message by its level. */
static const enum tg_colour cpu_colour[] = {TG_LIGHTCYAN, TG_LIGHTGREEN, TG_YELLOW,  TG_LIGHTMAGENTA,
                                            TG_LIGHTBLUE, TG_CYAN,       TG_BROWN,   TG_MAGENTA};
static const enum tg_colour level_colour[] = {
    [LOG_ERR] = TG_LIGHTRED, [LOG_WARN] = TG_YELLOW, [LOG_INFO] = TG_LIGHTGREY, [LOG_DEBUG] = TG_DARKGREY};
#define PLAIN TG_LIGHTGREY

/* One output: the first `prefix` bytes of s in colour pc, the rest in bc. */
static void screen_write(const char *s, size_t n, size_t prefix, enum tg_colour pc, enum tg_colour bc) {
    fbcon_write(s, prefix, pc);
    fbcon_write(s + prefix, n - prefix, bc);
}

/*
 * Once a CPU panics, the console lock may be held by a CPU that will never
 * let it go (it was stopped by NMI); the panicking CPU writes without it,
 * and draws the screen at once (no timer tick will).
 */
static void console_emit(const char *s, size_t n, size_t prefix, enum tg_colour pc, enum tg_colour bc) {
    if (panicking) {
        uart_write(s, n);
        screen_write(s, n, 0, TG_LIGHTRED, TG_LIGHTRED);
        fbcon_flush(0);
        return;
    }
    spin_lock(&console_lock);
    uart_write(s, n);
    screen_write(s, n, prefix, pc, bc);
    spin_unlock(&console_lock);
}

/* From every CPU's timer tick: draw the screen if it is due. Whoever gets
 * the lock first does it; a CPU that finds it taken leaves it to a later
 * tick (this may interrupt a holder of other locks, so it never waits). */
void console_tick(void) {
    if (panicking || !time_ready())
        return;
    uint64_t now = uptime_ns();
    if (!fbcon_flush_due(now) || !spin_trylock(&console_lock))
        return;
    if (fbcon_flush_due(now))
        fbcon_flush(now);
    spin_unlock(&console_lock);
}

static size_t format_prefix(char *buf, size_t size) {
    uint64_t ns = time_ready() ? uptime_ns() : 0;
    int cpu = this_cpu() ? cpu_id() : 0;
    return (size_t)fmt_snprintf(buf, size, "[%5llu.%06llu c%d] ", (unsigned long long)(ns / 1000000000ULL),
                                (unsigned long long)(ns / 1000 % 1000000), cpu);
}

/* Program output: the bytes as they are, under the console lock. */
void console_write(const char *s, size_t n) { console_emit(s, n, 0, PLAIN, PLAIN); }

void vprintk(int level, const char *fmt, va_list ap) {
    if (level > console_loglevel)
        return;
    char line[LINE_MAX];
    size_t n = format_prefix(line, sizeof line), prefix = n;
    int len = fmt_vsnprintf(line + n, sizeof line - n, fmt, ap);
    if (len < 0)
        len = 0;
    n += (size_t)len;
    if (n >= sizeof line) { /* truncated: keep the line ending */
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    int cpu = this_cpu() ? cpu_id() : 0;
    console_emit(line, n, prefix, cpu_colour[cpu % ARRAY_SIZE(cpu_colour)],
                 level >= 0 && level < (int)ARRAY_SIZE(level_colour) ? level_colour[level] : PLAIN);
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
    console_emit(line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1, 0, PLAIN, PLAIN);
}
