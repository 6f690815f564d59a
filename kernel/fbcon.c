/*
 * The screen console's one grid and when it is drawn (kernel/fbcon.h).
 */
#include "kernel/fbcon.h"

static struct textgrid grid;
static bool active;
static textgrid_put_fn put;
static void *put_ctx;
static uint64_t last_flush_ns;
static size_t last_drawn; /* cells the last flush drew */

void fbcon_setup(uint32_t cols, uint32_t rows) {
    textgrid_init(&grid, cols, rows);
    active = true;
}

void fbcon_attach(textgrid_put_fn fn, void *ctx) {
    put_ctx = ctx;
    put = fn;
    textgrid_invalidate(&grid);
}

void fbcon_write(const char *s, size_t n, enum tg_colour fg) {
    if (active)
        textgrid_write(&grid, s, n, fg);
}

void fbcon_flush(uint64_t now_ns) {
    if (!active || !put)
        return;
    last_drawn = textgrid_flush(&grid, put, put_ctx);
    last_flush_ns = now_ns;
}

/* A flush that redrew much of the screen means the text is scrolling by
 * faster than anyone reads it: then the next one waits longer, so a flood
 * of output costs a few redraws a second, while typing (a cell or two per
 * flush) still shows at once. */
bool fbcon_flush_due(uint64_t now_ns) {
    uint64_t ms = last_drawn > (size_t)grid.cols * grid.rows / 4 ? FBCON_FLOOD_FLUSH_MS : FBCON_FLUSH_MS;
    return active && put && grid.dirty && now_ns - last_flush_ns >= ms * 1000000ULL;
}
