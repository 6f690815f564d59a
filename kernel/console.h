/*
 * The console: one serial port, shared by the OS instances (`private` runs
 * one per CPU) and attached to one of them at a time.
 *
 * Input: bytes from the UART's receive interrupt go through a simple line
 * discipline (echo, backspace, Ctrl-U) into the ring buffer of the instance
 * the console is attached to; readers get whole lines, except that a line
 * longer than the buffer (1024 bytes) reaches them in pieces, only the last
 * one ending in '\n'. When the buffer is full, further bytes wait in the
 * UART until a reader makes room.
 *
 * Switching: a line that is just `~N` (a tilde, an instance number, Enter)
 * is caught here and never read by anyone: it attaches the console to
 * instance N (under `private`, the OS of CPU N). Lines typed after it go
 * to instance N, lines typed before it stay with the instance they were
 * typed to, so a piped script can move from instance to instance.
 *
 * Output: what the attached instance writes goes out as it is. The other
 * instances' output is not lost: it is collected a line at a time and
 * printed with a "[cpuN] " tag in front; an unfinished line (a prompt)
 * waits until it is finished or the console comes to its instance.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include "lib/types.h"

void console_input(char c);          /* one byte (dropped if the buffer is full) */
void console_receive(void);          /* the receive interrupt: take bytes from the UART while there is room */
/* Copy up to n bytes of instance os's completed lines; 0 when none is ready. */
size_t console_read_ready(int os, char *buf, size_t n);
bool console_line_ready(int os);
bool console_poll_ready(int os);     /* the same, under the input lock (poll) */
/* Who to wake when a line completes for instance os (set by the file layer). */
extern void (*console_wakeup)(int os);
/* Ctrl-C was typed for instance `os` (set by fs.c: os_console_interrupt_for). */
extern void (*console_interrupt)(int os);
/* How many instances there are: `~N` accepts N below this (default 1). */
void console_set_instances(int n);
int console_attached(void);
/* Program output of instance os (see above). */
void console_output(int os, const char *s, size_t n);

#endif
