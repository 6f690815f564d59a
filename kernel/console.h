/*
 * Console input: bytes from the UART's receive interrupt go into a ring
 * buffer with a simple line discipline (echo, backspace, Ctrl-U); readers
 * get whole lines, except that a line longer than the buffer (1024 bytes)
 * reaches them in pieces, only the last one ending in '\n'. When the buffer
 * is full, further bytes wait in the UART until a reader makes room.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include "lib/types.h"

void console_input(char c);          /* one byte (dropped if the buffer is full) */
void console_receive(void);          /* the receive interrupt: take bytes from the UART while there is room */
/* Copy up to n bytes of completed lines; returns 0 when nothing is ready. */
size_t console_read_ready(char *buf, size_t n);
bool console_line_ready(void);
/* Who to wake when a line completes (set by the process layer). */
extern void (*console_wakeup)(void);

#endif
