/*
 * A text screen as a character grid: text goes in (with newlines, carriage
 * returns, backspaces, tabs, scrolling), and a flush hands the cells that
 * changed since the last flush to a drawing function. The screen console
 * (kernel/fbcon.c) keeps one and draws it with the font (lib/font.c) or
 * into the EGA text buffer.
 *
 * Why a grid and deferred drawing: drawing a 1024x768 screen costs
 * milliseconds (under emulation, and on real hardware whose framebuffer is
 * slow memory); moving its pixels up a line for every printed line would
 * cost that per line, and a test boot prints thousands. Writing here only
 * sets cells (scrolling moves the ring's top row, no copy), and a flush
 * draws just the cells that differ from what the screen shows: many lines
 * printed between two flushes cost one redraw.
 *
 * Pure code: host-tested in tests/host/test_textgrid.c.
 */
#ifndef LIB_TEXTGRID_H
#define LIB_TEXTGRID_H

#include "lib/types.h"

#define TEXTGRID_MAX_COLS 256
#define TEXTGRID_MAX_ROWS 96

/* The 16 colours of the PC's text modes; the index is the EGA attribute's
 * colour number, so text mode uses it as it is. */
enum tg_colour {
    TG_BLACK, TG_BLUE, TG_GREEN, TG_CYAN, TG_RED, TG_MAGENTA, TG_BROWN, TG_LIGHTGREY,
    TG_DARKGREY, TG_LIGHTBLUE, TG_LIGHTGREEN, TG_LIGHTCYAN, TG_LIGHTRED, TG_LIGHTMAGENTA, TG_YELLOW, TG_WHITE,
};

/* A cell: character in bits 0-7, foreground colour in 8-11, background in
 * 12-15 (the EGA text-mode layout). */
#define TG_CELL(ch, fg, bg) ((uint16_t)((uint8_t)(ch) | ((fg) & 15) << 8 | ((bg) & 15) << 12))
#define TG_CHAR(cell) ((char)((cell) & 0xFF))
#define TG_FG(cell) (((cell) >> 8) & 15)
#define TG_BG(cell) (((cell) >> 12) & 15)

/* Draw `cell` at (col, row) of the screen; `cursor`: as the cursor (the
 * caller swaps its colours). */
typedef void (*textgrid_put_fn)(void *ctx, uint32_t col, uint32_t row, uint16_t cell, bool cursor);

struct textgrid {
    uint32_t cols, rows;
    uint16_t cells[TEXTGRID_MAX_COLS * TEXTGRID_MAX_ROWS]; /* screen row r is ring row (top + r) % rows */
    uint32_t top;
    uint32_t cx, cy; /* the cursor, in screen coordinates; cx == cols: the line is full */
    int esc;         /* 0: text; 1: after ESC; 2: inside ESC [ ... */
    bool dirty;      /* changed since the last flush */
    uint16_t shown[TEXTGRID_MAX_COLS * TEXTGRID_MAX_ROWS]; /* what the screen holds, by screen row */
    uint32_t shown_cx, shown_cy;
    bool shown_valid; /* false: the screen's contents are unknown */
};

/* A blank grid of cols x rows (each clamped to 1..the maximum). */
void textgrid_init(struct textgrid *g, uint32_t cols, uint32_t rows);

/* Text in colour fg on black: '\n' starts a new line, '\r' goes to the
 * line's start, '\b' one cell back (not past the start), '\t' moves the cursor
 * to the next multiple of 8 (or the line's end); a full line wraps; other control bytes and ANSI escape
 * sequences (ESC [ ... final byte) are dropped; bytes 0x7F-0xFF are kept
 * (the font draws them as its fallback box). */
void textgrid_write(struct textgrid *g, const char *s, size_t n, enum tg_colour fg);

/* The screen's contents are unknown (a new screen): the next flush draws
 * every cell. */
void textgrid_invalidate(struct textgrid *g);

/* Hand every cell that differs from the screen to put (and the cells the
 * cursor leaves and enters). Returns the number of cells drawn. */
size_t textgrid_flush(struct textgrid *g, textgrid_put_fn put, void *ctx);

/* The cell at (col, row) of the screen as the grid has it; 0 outside. */
uint16_t textgrid_cell(const struct textgrid *g, uint32_t col, uint32_t row);

#endif
