/*
 * The text screen's character grid (see lib/textgrid.h).
 */
#include "lib/textgrid.h"

#define BLANK TG_CELL(' ', TG_LIGHTGREY, TG_BLACK)

static uint16_t *row_cells(struct textgrid *g, uint32_t r) { return &g->cells[((g->top + r) % g->rows) * g->cols]; }

static uint32_t clamp(uint32_t v, uint32_t max) { return v < 1 ? 1 : v > max ? max : v; }

void textgrid_init(struct textgrid *g, uint32_t cols, uint32_t rows) {
    g->cols = clamp(cols, TEXTGRID_MAX_COLS);
    g->rows = clamp(rows, TEXTGRID_MAX_ROWS);
    for (uint32_t i = 0; i < g->cols * g->rows; i++)
        g->cells[i] = BLANK;
    g->top = g->cx = g->cy = 0;
    g->esc = 0;
    textgrid_invalidate(g);
}

void textgrid_invalidate(struct textgrid *g) {
    g->shown_valid = false;
    g->dirty = true;
}

static void new_line(struct textgrid *g) {
    g->cx = 0;
    if (g->cy + 1 < g->rows) {
        g->cy++;
        return;
    }
    /* Scroll: the top row leaves; it becomes the new bottom row, blank. */
    g->top = (g->top + 1) % g->rows;
    uint16_t *r = row_cells(g, g->rows - 1);
    for (uint32_t c = 0; c < g->cols; c++)
        r[c] = BLANK;
}

static void put_char(struct textgrid *g, unsigned char ch, enum tg_colour fg) {
    if (g->cx >= g->cols) /* the previous character filled the line */
        new_line(g);
    row_cells(g, g->cy)[g->cx++] = TG_CELL(ch, fg, TG_BLACK);
}

void textgrid_write(struct textgrid *g, const char *s, size_t n, enum tg_colour fg) {
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (g->esc == 1) { /* after ESC: '[' opens a control sequence; any other byte ends the escape */
            g->esc = ch == '[' ? 2 : 0;
            continue;
        }
        if (g->esc == 2) { /* parameters until the final byte, 0x40-0x7E (ECMA-48, 5.4) */
            if (ch >= 0x40 && ch <= 0x7E)
                g->esc = 0;
            continue;
        }
        switch (ch) {
        case '\n':
            new_line(g);
            break;
        case '\r':
            g->cx = 0;
            break;
        case '\b':
            if (g->cx > 0)
                g->cx--;
            break;
        case '\t': /* moves the cursor, as a terminal's tab does: the cells keep what they hold */
            if (g->cx >= g->cols)
                new_line(g);
            g->cx = (g->cx / 8 + 1) * 8 < g->cols ? (g->cx / 8 + 1) * 8 : g->cols;
            break;
        case 0x1B:
            g->esc = 1;
            break;
        default:
            if (ch >= 0x20)
                put_char(g, ch, fg);
        }
    }
    g->dirty = true;
}

size_t textgrid_flush(struct textgrid *g, textgrid_put_fn put, void *ctx) {
    if (!g->dirty)
        return 0;
    size_t drawn = 0;
    uint32_t cx = g->cx < g->cols ? g->cx : g->cols - 1; /* a full line shows its cursor on its last cell */
    for (uint32_t r = 0; r < g->rows; r++) {
        const uint16_t *row = row_cells(g, r);
        uint16_t *shown = &g->shown[r * g->cols];
        for (uint32_t c = 0; c < g->cols; c++) {
            bool cursor = r == g->cy && c == cx;
            bool was_cursor = r == g->shown_cy && c == g->shown_cx;
            if (g->shown_valid && row[c] == shown[c] && cursor == was_cursor)
                continue;
            put(ctx, c, r, row[c], cursor);
            shown[c] = row[c];
            drawn++;
        }
    }
    g->shown_cx = cx;
    g->shown_cy = g->cy;
    g->shown_valid = true;
    g->dirty = false;
    return drawn;
}

uint16_t textgrid_cell(const struct textgrid *g, uint32_t col, uint32_t row) {
    if (col >= g->cols || row >= g->rows)
        return 0;
    return g->cells[((g->top + row) % g->rows) * g->cols + col];
}
