/*
 * Kernel console output. Each printk() call is formatted first and written
 * to the console under one lock, so lines from different CPUs never mix.
 */
#ifndef PRINTK_H
#define PRINTK_H

#include "lib/types.h"
#include <stdarg.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int console_loglevel;    /* messages above this level are dropped */

void printk(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vprintk(int level, const char *fmt, va_list ap);
/* printk without the "[time cpu]" prefix, for tables and continuation. */
void console_write(const char *s, size_t n);
void printk_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Every timer tick, on every CPU: draws the screen console when due
 * (kernel/fbcon.h). */
void console_tick(void);

#define pr_err(...) printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/* True once some CPU has panicked: the others stop at their next chance. */
extern volatile int panicking;

#endif
