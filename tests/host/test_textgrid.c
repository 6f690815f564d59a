/*
 * Host tests of lib/textgrid.c: the screen console's character grid.
 */
#include "tests/host/htest.h"
#include "lib/textgrid.h"

static struct textgrid g;

/* A fake screen that the flush draws on. */
static struct {
    uint16_t cell[TEXTGRID_MAX_ROWS][TEXTGRID_MAX_COLS];
    int cur_col, cur_row, cursors;
    size_t puts;
    bool out_of_range;
} scr;

static void put(void *ctx, uint32_t col, uint32_t row, uint16_t cell, bool cursor) {
    (void)ctx;
    if (col >= g.cols || row >= g.rows) {
        scr.out_of_range = true;
        return;
    }
    scr.cell[row][col] = cell;
    scr.puts++;
    if (cursor) {
        scr.cur_col = (int)col;
        scr.cur_row = (int)row;
        scr.cursors++;
    }
}

static void reset(uint32_t cols, uint32_t rows) {
    memset(&scr, 0, sizeof scr);
    textgrid_init(&g, cols, rows);
}

static void w(const char *s, enum tg_colour fg) { textgrid_write(&g, s, strlen(s), fg); }

/* Row r of the fake screen as a string, trailing blanks cut. */
static const char *screen_row(int r) {
    static char line[TEXTGRID_MAX_COLS + 1];
    uint32_t n = 0;
    for (uint32_t c = 0; c < g.cols; c++)
        line[n++] = TG_CHAR(scr.cell[r][c]) ? TG_CHAR(scr.cell[r][c]) : '?';
    while (n && line[n - 1] == ' ')
        n--;
    line[n] = 0;
    return line;
}

static size_t flush(void) { return textgrid_flush(&g, put, NULL); }

HTEST(text_newlines_and_the_first_flush_draws_everything) {
    reset(10, 4);
    w("ab\ncd", TG_LIGHTGREY);
    HT_ASSERT_EQ(flush(), 40);
    HT_ASSERT_STREQ(screen_row(0), "ab");
    HT_ASSERT_STREQ(screen_row(1), "cd");
    HT_ASSERT_STREQ(screen_row(2), "");
    HT_ASSERT(scr.cur_col == 2 && scr.cur_row == 1 && scr.cursors == 1);
    HT_ASSERT(!scr.out_of_range);
}

HTEST(later_flushes_draw_only_what_changed) {
    reset(10, 4);
    w("hello", TG_LIGHTGREY);
    flush();
    HT_ASSERT_EQ(flush(), 0); /* nothing written */
    scr.puts = 0;
    w("!", TG_LIGHTGREY);
    HT_ASSERT_EQ(flush(), 2); /* the '!' (where the cursor was) and the cursor's new cell */
    HT_ASSERT_STREQ(screen_row(0), "hello!");
    HT_ASSERT(scr.cur_col == 6 && scr.cur_row == 0);
    w("\r", TG_LIGHTGREY); /* only the cursor moves */
    HT_ASSERT_EQ(flush(), 2);
    HT_ASSERT(scr.cur_col == 0);
    textgrid_invalidate(&g);
    HT_ASSERT_EQ(flush(), 40);
}

HTEST(scrolling_moves_lines_up_and_blanks_the_last) {
    reset(8, 3);
    w("one\ntwo\nthree\nfour", TG_LIGHTGREY);
    flush();
    HT_ASSERT_STREQ(screen_row(0), "two");
    HT_ASSERT_STREQ(screen_row(1), "three");
    HT_ASSERT_STREQ(screen_row(2), "four");
    w("\n", TG_LIGHTGREY);
    flush();
    HT_ASSERT_STREQ(screen_row(0), "three");
    HT_ASSERT_STREQ(screen_row(2), "");
    HT_ASSERT(scr.cur_row == 2 && scr.cur_col == 0);
    /* many lines between two flushes: one redraw, at most every cell once */
    scr.puts = 0;
    for (int i = 0; i < 1000; i++)
        w("line\n", TG_LIGHTGREY);
    w("end", TG_LIGHTGREY);
    HT_ASSERT(flush() <= 8 * 3);
    HT_ASSERT_STREQ(screen_row(0), "line");
    HT_ASSERT_STREQ(screen_row(1), "line");
    HT_ASSERT_STREQ(screen_row(2), "end");
}

HTEST(long_lines_wrap_and_the_cursor_stays_on_screen) {
    reset(4, 3);
    w("abcd", TG_LIGHTGREY); /* exactly full: no new line yet */
    flush();
    HT_ASSERT_STREQ(screen_row(0), "abcd");
    HT_ASSERT_STREQ(screen_row(1), "");
    HT_ASSERT(scr.cur_col == 3 && scr.cur_row == 0);
    w("ef\n", TG_LIGHTGREY);
    flush();
    HT_ASSERT_STREQ(screen_row(1), "ef");
    w("abcd\n", TG_LIGHTGREY); /* a full line and its newline: one line, not two */
    flush();
    HT_ASSERT_STREQ(screen_row(0), "ef");
    HT_ASSERT_STREQ(screen_row(1), "abcd");
    HT_ASSERT_STREQ(screen_row(2), "");
    HT_ASSERT(g.cy == 2 && g.cx == 0); /* the newline took the cursor to a new, scrolled-in line */
}

HTEST(backspace_tab_and_controls) {
    reset(20, 3);
    w("abc\b\b \bX", TG_LIGHTGREY);
    flush();
    HT_ASSERT_STREQ(screen_row(0), "aXc");
    w("\r\b\bq\tr", TG_LIGHTGREY); /* backspace stops at the line's start */
    flush();
    HT_ASSERT_STREQ(screen_row(0), "qXc     r");
    w("\n\x01\x07\x7f\xe9z", TG_LIGHTGREY);
    flush();
    HT_ASSERT_STREQ(screen_row(1), "\x7f\xe9z");
    reset(10, 2);
    w("\t\tx", TG_LIGHTGREY); /* a tab past the last stop goes to the line's end */
    flush();
    HT_ASSERT_STREQ(screen_row(1), "x");
    HT_ASSERT_STREQ(screen_row(0), "");
}

HTEST(escape_sequences_are_dropped) {
    reset(20, 2);
    w("a\x1b[1;31mb\x1b[0mc\x1b" "7d\x1b[?25le", TG_LIGHTGREY);
    flush();
    HT_ASSERT_STREQ(screen_row(0), "abcde");
    /* split across writes */
    w("\x1b", TG_LIGHTGREY);
    w("[3", TG_LIGHTGREY);
    w("2mf", TG_LIGHTGREY);
    flush();
    HT_ASSERT_STREQ(screen_row(0), "abcdef");
}

HTEST(colours_go_into_the_cells) {
    reset(10, 2);
    w("e", TG_LIGHTRED);
    w("i", TG_LIGHTGREY);
    flush();
    HT_ASSERT_EQ(scr.cell[0][0], TG_CELL('e', TG_LIGHTRED, TG_BLACK));
    HT_ASSERT_EQ(TG_FG(scr.cell[0][1]), TG_LIGHTGREY);
    HT_ASSERT_EQ(TG_BG(scr.cell[0][1]), TG_BLACK);
    /* the same character in another colour is a change */
    w("\re", TG_YELLOW);
    scr.puts = 0;
    flush();
    HT_ASSERT_EQ(TG_FG(scr.cell[0][0]), TG_YELLOW);
    HT_ASSERT_EQ(textgrid_cell(&g, 0, 0), TG_CELL('e', TG_YELLOW, TG_BLACK));
}

HTEST(sizes_are_clamped) {
    reset(1000, 0);
    HT_ASSERT_EQ(g.cols, TEXTGRID_MAX_COLS);
    HT_ASSERT_EQ(g.rows, 1);
    w("x\ny\nz", TG_LIGHTGREY);
    flush();
    HT_ASSERT_STREQ(screen_row(0), "z");
    HT_ASSERT(!scr.out_of_range);
    HT_ASSERT_EQ(textgrid_cell(&g, TEXTGRID_MAX_COLS, 0), 0);
}

int main(void) { return htest_main("textgrid"); }
