/*
 * printf-style formatting into a per-character callback.
 *
 * Supported: %d %i %u %x %X %o %p %s %c %%; flags - 0 + space #; field width
 * and precision, either of them may be '*'; length modifiers hh h l ll z j t.
 * Differences from C printf, on purpose:
 *   - %p always prints "0x" and 16 hex digits (also for NULL);
 *   - %s of NULL prints "(null)" (truncated by a precision like any string);
 *   - no floating point (the kernel is built -mgeneral-regs-only), no %n;
 *     an unknown or incomplete conversion is printed verbatim.
 */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*fmt_putc_fn)(void *ctx, char c);

/* Returns the number of characters passed to out, or -1 if over INT_MAX. */
int fmt_vformat(fmt_putc_fn out, void *ctx, const char *fmt, va_list ap);
int fmt_format(fmt_putc_fn out, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * C99 snprintf semantics: writes at most size bytes including the NUL (always
 * terminated when size > 0; buf may be NULL when size is 0) and returns the
 * length the full output would have had.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
