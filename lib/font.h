/*
 * The console's built-in 8x16 bitmap font and a renderer that draws one
 * character cell into a linear framebuffer of 16, 24 or 32 bits per pixel,
 * whatever the positions of red, green and blue in a pixel (the multiboot2
 * framebuffer tag describes them: Multiboot2 specification 2.0, 3.6.12,
 * framebuffer_type 1 "direct RGB colour").
 *
 * Pure code: host-tested in tests/host/test_font.c; tools/testrun.py reads
 * the glyphs from lib/font.c to check a screenshot.
 */
#ifndef LIB_FONT_H
#define LIB_FONT_H

#include "lib/types.h"

#define FONT_WIDTH 8
#define FONT_HEIGHT 16
#define FONT_FIRST 0x20 /* ' ' */
#define FONT_LAST 0x7E  /* '~'; every other byte is drawn as the fallback box */

/* Where red, green and blue sit in a pixel of bpp bits: each has its lowest
 * bit at *_pos and is *_size bits wide (1..16). */
struct pixel_format {
    uint8_t bpp; /* 16, 24 or 32 */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

/* A rectangle of pixels: row y starts at base + y * pitch (bytes). */
struct pixel_buffer {
    uint8_t *base;
    uint32_t pitch, width, height;
    struct pixel_format fmt;
};

/* NULL if pb can be drawn into, else why not (a static message): a bpp
 * other than 16/24/32, a pitch too small for the width, a channel that
 * does not fit in a pixel or overlaps another, no base. */
const char *font_check(const struct pixel_buffer *pb);

/* The pixel value of colour rgb (0xRRGGBB) in format f: each 8-bit channel
 * scaled to its field's width and shifted to its position. */
uint32_t font_pack(const struct pixel_format *f, uint32_t rgb);

/* Whether pixel (row, col) of character c's glyph is foreground; c outside
 * FONT_FIRST..FONT_LAST gives the fallback glyph, row/col outside the cell
 * give false. */
bool font_bit(unsigned char c, int row, int col);

/* Draw character c with its cell's top-left pixel at (x, y), foreground and
 * background colours fg and bg as 0xRRGGBB. Returns 0, or -1 (nothing
 * drawn) when pb is unusable (font_check) or the cell does not lie wholly
 * inside it. */
int font_draw(const struct pixel_buffer *pb, uint32_t x, uint32_t y, unsigned char c, uint32_t fg, uint32_t bg);

/* Fill a w x h rectangle at (x, y) with colour rgb; -1 as font_draw. */
int font_fill(const struct pixel_buffer *pb, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t rgb);

#endif
