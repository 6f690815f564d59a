/*
 * The console on the screen: one character grid (lib/textgrid.h) that
 * receives everything the console prints (kernel/printk.c) and is drawn
 * later, in batches: from the timer tick at most every FBCON_FLUSH_MS
 * (FBCON_FLOOD_FLUSH_MS while text scrolls by), and at once during a panic.
 * Arch code (arch/x86_64/screen.c) sizes the grid
 * from the boot loader's framebuffer and supplies the function that puts a
 * cell on the screen (font glyphs into pixels, or an EGA text cell).
 *
 * Locking: fbcon_write() and fbcon_flush() are called with the console
 * output lock held, or by the panicking CPU, which owns the machine then.
 */
#ifndef FBCON_H
#define FBCON_H

#include "lib/textgrid.h"

#define FBCON_FLUSH_MS 40        /* after a flush that drew little (typing) */
#define FBCON_FLOOD_FLUSH_MS 200 /* after one that redrew a quarter of the screen or more (scrolling) */

/* The screen has cols x rows cells: text is kept from now on. */
void fbcon_setup(uint32_t cols, uint32_t rows);
/* The screen can be drawn on: the next flush draws every cell. */
void fbcon_attach(textgrid_put_fn put, void *ctx);

void fbcon_write(const char *s, size_t n, enum tg_colour fg);
/* Draw what changed (nothing before fbcon_attach()); now_ns: the time,
 * for fbcon_flush_due(). */
void fbcon_flush(uint64_t now_ns);
/* Something waits to be drawn and the last flush is FBCON_FLUSH_MS old.
 * Reads only: may be asked without the lock, as a hint. */
bool fbcon_flush_due(uint64_t now_ns);

#endif
