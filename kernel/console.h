/*
 * Console input: bytes from the UART's receive interrupt go into a ring
 * buffer with a simple line discipline (echo, backspace, Ctrl-U); readers
 * get whole lines.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include "lib/types.h"

void console_input(char c);          /* from the interrupt handler */
/* Copy up to n bytes of completed lines; returns 0 when nothing is ready. */
size_t console_read_ready(char *buf, size_t n);
bool console_line_ready(void);
/* Who to wake when a line completes (set by the process layer). */
extern void (*console_wakeup)(void);

#endif
