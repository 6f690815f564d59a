/*
 * Host tests of lib/font.c: the glyph table and the pixel renderer.
 */
#include "tests/host/htest.h"
#include "lib/font.h"

#include <stdlib.h>

static const struct pixel_format xrgb = {32, 16, 8, 8, 8, 0, 8};  /* QEMU's std VGA, OVMF GOP */
static const struct pixel_format xbgr = {32, 0, 8, 8, 8, 16, 8};
static const struct pixel_format rgb24 = {24, 16, 8, 8, 8, 0, 8};
static const struct pixel_format rgb565 = {16, 11, 5, 5, 6, 0, 5};

HTEST(every_glyph_stays_in_its_cell_and_column_7_is_the_gap) {
    for (int c = FONT_FIRST; c <= FONT_LAST; c++) {
        int set = 0;
        for (int row = 0; row < FONT_HEIGHT; row++) {
            for (int col = 0; col < FONT_WIDTH; col++)
                set += font_bit((unsigned char)c, row, col);
            if (font_bit((unsigned char)c, row, FONT_WIDTH - 1))
                HT_FAIL_AT("glyph 0x%02x has a pixel in column 7, row %d", c, row);
        }
        if ((c == ' ') != (set == 0))
            HT_FAIL_AT("glyph 0x%02x has %d pixels", c, set);
        /* outside the cell: never a pixel */
        HT_ASSERT(!font_bit((unsigned char)c, -1, 0) && !font_bit((unsigned char)c, FONT_HEIGHT, 0));
        HT_ASSERT(!font_bit((unsigned char)c, 0, -1) && !font_bit((unsigned char)c, 0, FONT_WIDTH));
    }
}

static bool same_glyph(unsigned char a, unsigned char b) {
    for (int row = 0; row < FONT_HEIGHT; row++)
        for (int col = 0; col < FONT_WIDTH; col++)
            if (font_bit(a, row, col) != font_bit(b, row, col))
                return false;
    return true;
}

HTEST(all_glyphs_differ_and_other_bytes_get_the_fallback) {
    for (int a = FONT_FIRST; a <= FONT_LAST; a++) {
        for (int b = a + 1; b <= FONT_LAST; b++)
            if (same_glyph((unsigned char)a, (unsigned char)b))
                HT_FAIL_AT("glyphs '%c' and '%c' are the same", a, b);
        if (same_glyph((unsigned char)a, 0x7F))
            HT_FAIL_AT("glyph '%c' looks like the fallback", a);
    }
    const unsigned char others[] = {0x00, 0x01, 0x1F, 0x7F, 0x80, 0xC3, 0xFF};
    for (size_t i = 1; i < sizeof others; i++)
        HT_ASSERT(same_glyph(others[0], others[i]));
    HT_ASSERT(font_bit(0x00, 2, 0)); /* the fallback is a box */
}

HTEST(glyphs_sit_where_the_design_says) {
    HT_ASSERT(font_bit('_', 14, 0) && font_bit('_', 14, 6));  /* underscore on the descender line */
    HT_ASSERT(font_bit('.', 12, 3) && !font_bit('.', 3, 3));   /* full stop on the baseline */
    HT_ASSERT(font_bit('\'', 3, 3) && !font_bit('\'', 12, 3)); /* apostrophe at the top */
    HT_ASSERT(font_bit('T', 3, 0) && font_bit('T', 3, 6) && font_bit('T', 12, 3) && !font_bit('T', 12, 0));
    HT_ASSERT(font_bit('L', 12, 6) && !font_bit('L', 3, 6));
    HT_ASSERT(font_bit('g', 14, 1) && !font_bit('g', 3, 1)); /* descender */
}

HTEST(colours_are_packed_into_the_fields) {
    HT_ASSERT_EQ(font_pack(&xrgb, 0x123456), 0x123456);
    HT_ASSERT_EQ(font_pack(&xbgr, 0x123456), 0x563412);
    HT_ASSERT_EQ(font_pack(&rgb24, 0xA0B0C0), 0xA0B0C0);
    HT_ASSERT_EQ(font_pack(&rgb565, 0xFFFFFF), 0xFFFF);
    HT_ASSERT_EQ(font_pack(&rgb565, 0xFF0000), 0xF800);
    HT_ASSERT_EQ(font_pack(&rgb565, 0x00FF00), 0x07E0);
    HT_ASSERT_EQ(font_pack(&rgb565, 0x0000FF), 0x001F);
    HT_ASSERT_EQ(font_pack(&rgb565, 0x808080), (0x10 << 11) | (0x20 << 5) | 0x10);
    const struct pixel_format ten = {32, 20, 10, 10, 10, 0, 10}; /* 10 bits a channel */
    HT_ASSERT_EQ(font_pack(&ten, 0xFF0000), 0x3FFu << 20);
    HT_ASSERT_EQ(font_pack(&ten, 0x000080), 0x202);
}

/* A buffer with a margin of sentinel bytes round the w x h pixels (static
 * storage: a failed assertion returns early and must leak nothing). */
static uint8_t canvas_mem[16384] __attribute__((aligned(8)));

struct canvas {
    uint8_t *mem;
    size_t size;
    struct pixel_buffer pb;
};

#define SENTINEL 0xA5
#define PAD 8 /* pitch padding bytes per row, also sentinels */

static void canvas_make(struct canvas *cv, const struct pixel_format *f, uint32_t w, uint32_t h) {
    uint32_t bytes = f->bpp / 8, pitch = w * bytes + PAD;
    cv->size = (size_t)pitch * h + 64;
    if (cv->size > sizeof canvas_mem)
        abort();
    cv->mem = canvas_mem;
    memset(cv->mem, SENTINEL, cv->size);
    cv->pb = (struct pixel_buffer){cv->mem + 32, pitch, w, h, *f};
}

static uint32_t pixel_at(const struct canvas *cv, uint32_t x, uint32_t y) {
    uint32_t bytes = cv->pb.fmt.bpp / 8, v = 0;
    const uint8_t *p = cv->pb.base + (size_t)y * cv->pb.pitch + (size_t)x * bytes;
    for (uint32_t i = 0; i < bytes; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* Every byte outside the cell at (x0, y0) is still a sentinel. */
static int bytes_touched_outside(const struct canvas *cv, uint32_t x0, uint32_t y0) {
    uint32_t bytes = cv->pb.fmt.bpp / 8;
    int bad = 0;
    for (size_t i = 0; i < cv->size; i++) {
        long off = (long)i - 32;
        bool in = false;
        if (off >= 0) {
            uint32_t y = (uint32_t)(off / cv->pb.pitch), xb = (uint32_t)(off % cv->pb.pitch);
            in = y >= y0 && y < y0 + FONT_HEIGHT && xb >= x0 * bytes && xb < (x0 + FONT_WIDTH) * bytes;
        }
        if (!in && cv->mem[i] != SENTINEL)
            bad++;
    }
    return bad;
}

static void check_draw(int *ht_failed_, const struct pixel_format *f) {
    struct canvas cv;
    canvas_make(&cv, f, 40, 40);
    uint32_t fg = 0xFFC040, bg = 0x102030;
    for (const char *s = "AgW@~"; *s; s++) {
        memset(cv.mem, SENTINEL, cv.size);
        uint32_t x = 13, y = 7;
        HT_ASSERT_EQ(font_draw(&cv.pb, x, y, (unsigned char)*s, fg, bg), 0);
        for (int row = 0; row < FONT_HEIGHT; row++)
            for (int col = 0; col < FONT_WIDTH; col++) {
                uint32_t want = font_pack(f, font_bit((unsigned char)*s, row, col) ? fg : bg);
                uint32_t got = pixel_at(&cv, x + (uint32_t)col, y + (uint32_t)row);
                if (got != want)
                    HT_FAIL_AT("%d bpp '%c' row %d col %d: %x, want %x", f->bpp, *s, row, col, got, want);
            }
        HT_ASSERT_EQ(bytes_touched_outside(&cv, x, y), 0);
    }
}

HTEST(draws_at_32_bpp_rgb_and_bgr) {
    check_draw(ht_failed_, &xrgb);
    if (*ht_failed_)
        return;
    check_draw(ht_failed_, &xbgr);
}

HTEST(draws_at_24_bpp) { check_draw(ht_failed_, &rgb24); }

HTEST(draws_at_16_bpp) { check_draw(ht_failed_, &rgb565); }

HTEST(fill_covers_its_rectangle_only) {
    struct canvas cv;
    canvas_make(&cv, &rgb24, 30, 30);
    HT_ASSERT_EQ(font_fill(&cv.pb, 3, 4, FONT_WIDTH, FONT_HEIGHT, 0x0000FF), 0);
    HT_ASSERT_EQ(pixel_at(&cv, 3, 4), 0xFF);
    HT_ASSERT_EQ(pixel_at(&cv, 10, 19), 0xFF);
    HT_ASSERT_EQ(bytes_touched_outside(&cv, 3, 4), 0);
    HT_ASSERT_EQ(font_fill(&cv.pb, 25, 0, 6, 1, 0), -1);
}

HTEST(cells_outside_the_buffer_are_rejected_untouched) {
    struct canvas cv;
    canvas_make(&cv, &xrgb, 32, 32);
    HT_ASSERT_EQ(font_draw(&cv.pb, 32 - FONT_WIDTH, 32 - FONT_HEIGHT, 'A', 0xFFFFFF, 0), 0); /* last cell fits */
    memset(cv.mem, SENTINEL, cv.size);
    HT_ASSERT_EQ(font_draw(&cv.pb, 32 - FONT_WIDTH + 1, 0, 'A', 0xFFFFFF, 0), -1);
    HT_ASSERT_EQ(font_draw(&cv.pb, 0, 32 - FONT_HEIGHT + 1, 'A', 0xFFFFFF, 0), -1);
    HT_ASSERT_EQ(font_draw(&cv.pb, UINT32_MAX - 2, 0, 'A', 0xFFFFFF, 0), -1); /* x + 8 wraps in 32 bits */
    HT_ASSERT_EQ(font_draw(&cv.pb, 0, UINT32_MAX, 'A', 0xFFFFFF, 0), -1);
    HT_ASSERT_EQ(font_fill(&cv.pb, 1, 1, UINT32_MAX, 1, 0), -1);
    HT_ASSERT_EQ(bytes_touched_outside(&cv, 1000, 1000), 0);
}

HTEST(bad_buffers_are_rejected) {
    uint8_t mem[4096] __attribute__((aligned(8)));
    struct pixel_buffer ok = {mem, 64, 16, 16, xrgb};
    HT_ASSERT(font_check(&ok) == NULL);
    struct pixel_buffer b = ok;
    b.fmt.bpp = 8;
    HT_ASSERT(font_check(&b) != NULL && font_draw(&b, 0, 0, 'A', 1, 0) == -1);
    b = ok;
    b.pitch = 63; /* less than 16 pixels of 4 bytes */
    HT_ASSERT(font_check(&b) != NULL);
    b = ok;
    b.pitch = 66; /* rows would start unaligned */
    HT_ASSERT(font_check(&b) != NULL);
    b = ok;
    b.base = NULL;
    HT_ASSERT(font_check(&b) != NULL);
    HT_ASSERT(font_check(NULL) != NULL);
    b = ok;
    b.width = 0;
    HT_ASSERT(font_check(&b) != NULL);
    b = ok;
    b.fmt.red_pos = 28; /* 28 + 8 bits > 32 */
    HT_ASSERT(font_check(&b) != NULL);
    b = ok;
    b.fmt.green_pos = 12; /* overlaps red (16-23) */
    HT_ASSERT(font_check(&b) != NULL);
    b = ok;
    b.fmt.blue_size = 0;
    HT_ASSERT(font_check(&b) != NULL);
    struct pixel_buffer b16 = {mem, 32, 16, 16, rgb565};
    HT_ASSERT(font_check(&b16) == NULL);
    b16.fmt.red_pos = 12; /* 12 + 5 > 16 */
    HT_ASSERT(font_check(&b16) != NULL);
}

int main(void) { return htest_main("font"); }
