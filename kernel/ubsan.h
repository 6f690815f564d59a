/*
 * The runtime of the sanitised kernel (make SANITIZE=ubsan, docs/debugging.md).
 * GCC's -fsanitize=undefined puts a check before each operation whose result
 * C leaves undefined (a signed overflow, a shift too far, an index past an
 * array, a misaligned or null pointer, ...) and calls a __ubsan_handle_*
 * function in kernel/ubsan.c when the check fails. That function prints
 *   UBSan on CPU 1: signed integer overflow: 2147483647 + 1 cannot be represented in type 'int' at kernel/x.c:12:9
 * and then, in a test boot (test= or run=), panics with that text; in any
 * other boot it goes on, and reports each site only once.
 *
 * The normal kernel has the same file but nothing calls it.
 */
#ifndef UBSAN_H
#define UBSAN_H

#include "lib/types.h"

/* True in the kernel built with make SANITIZE=ubsan (the Makefile defines
 * CONFIG_UBSAN there): its tests run only where the checks are compiled in. */
#ifdef CONFIG_UBSAN
#define UBSAN_ENABLED 1
#else
#define UBSAN_ENABLED 0
#endif

/* For tests that commit undefined behaviour on purpose to see it reported:
 * from ubsan_catch_begin() on, a report on this CPU is counted and the
 * first one's text (without the "UBSan on CPU N: " head) copied into buf,
 * instead of ending a test boot. ubsan_catch_end() stops that
 * and returns how many reports came; sites already reported once stay
 * silent, as they do outside tests. One CPU at a time. */
void ubsan_catch_begin(char *buf, size_t size);
int ubsan_catch_end(void);

#endif
