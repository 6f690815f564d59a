/*
 * The screen the boot loader left us (multiboot2 framebuffer tag,
 * Multiboot2 specification 2.0, 3.6.12): a linear RGB framebuffer, drawn
 * with the kernel's font (lib/font.c), or the PC's EGA/VGA text buffer,
 * which holds characters itself. Either way kernel/fbcon.c keeps the
 * character grid and calls put_* below for each cell that changed.
 *
 * Two steps, because the banner is printed before paging is set up:
 * arch_screen_init() sizes the grid as soon as the boot information is
 * parsed (text is kept from then on), arch_screen_map() maps the screen
 * once the kernel's page tables exist, and the next flush draws it all.
 */
#include "arch.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/bootinfo.h"
#include "kernel/fbcon.h"
#include "kernel/printk.h"
#include "lib/font.h"

/* The 16 text-mode colours as RGB, the values of the IBM VGA's default
 * palette (dark colours at 0xAA, bright ones adding 0x55; brown's green
 * halved). */
static const uint32_t palette[16] = {
    0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
    0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
};

static enum { SCREEN_NONE, SCREEN_PIXELS, SCREEN_TEXT } kind;
static struct pixel_buffer pixels;
static volatile uint16_t *text;
static uint32_t text_stride; /* cells per row of the text buffer */

static void put_pixels(void *ctx, uint32_t col, uint32_t row, uint16_t cell, bool cursor) {
    (void)ctx;
    uint32_t fg = palette[TG_FG(cell)], bg = palette[TG_BG(cell)];
    font_draw(&pixels, col * FONT_WIDTH, row * FONT_HEIGHT, (unsigned char)TG_CHAR(cell), cursor ? bg : fg,
              cursor ? fg : bg);
}

/* An EGA text cell: the character, then the attribute byte with the
 * foreground colour in bits 0-3 and the background in bits 4-6 (bit 7 is
 * blink on a VGA that the firmware left in its default mode). */
static void put_text(void *ctx, uint32_t col, uint32_t row, uint16_t cell, bool cursor) {
    (void)ctx;
    unsigned fg = TG_FG(cell), bg = TG_BG(cell);
    if (cursor) {
        unsigned t = fg;
        fg = bg;
        bg = t & 7;
    }
    text[row * text_stride + col] = (uint16_t)((uint8_t)TG_CHAR(cell) | (fg | (bg & 7) << 4) << 8);
}

void arch_screen_init(void) {
    if (!boot_info.has_fb)
        return;
    if (boot_info.fb_type == MB2_FB_RGB) {
        pixels = (struct pixel_buffer){
            .base = (uint8_t *)(PHYS_MAP_BASE + boot_info.fb_addr), /* where arch_screen_map() puts it */
            .pitch = boot_info.fb_pitch,
            .width = boot_info.fb_width,
            .height = boot_info.fb_height,
            .fmt = {boot_info.fb_bpp, boot_info.fb_red_pos, boot_info.fb_red_size, boot_info.fb_green_pos,
                    boot_info.fb_green_size, boot_info.fb_blue_pos, boot_info.fb_blue_size},
        };
        if (font_check(&pixels) || pixels.width < FONT_WIDTH || pixels.height < FONT_HEIGHT)
            return; /* arch_screen_map() says why */
        kind = SCREEN_PIXELS;
        fbcon_setup(pixels.width / FONT_WIDTH, pixels.height / FONT_HEIGHT);
    } else if (boot_info.fb_type == MB2_FB_EGA_TEXT && boot_info.fb_bpp == 16 && boot_info.fb_width &&
               boot_info.fb_height && boot_info.fb_pitch >= boot_info.fb_width * 2) {
        kind = SCREEN_TEXT; /* width and height count characters here */
        text_stride = boot_info.fb_pitch / 2;
        fbcon_setup(boot_info.fb_width, boot_info.fb_height);
    }
}

/* VGA CRTC Cursor Start register (index 0Ah) bit 5 turns the hardware
 * cursor off: the console draws its own (IBM VGA Technical Reference,
 * CRT Controller Registers; the CRTC is at 3D4h/3D5h in colour modes). */
static void hide_text_cursor(void) {
    outb(0x3D4, 0x0A);
    outb(0x3D5, (uint8_t)(inb(0x3D5) | 0x20));
}

void arch_screen_map(void) {
    if (!boot_info.has_fb) {
        pr_info("screen: the boot loader passed no framebuffer; console on the serial port only\n");
        return;
    }
    if (kind == SCREEN_NONE) {
        const char *why = boot_info.fb_type == MB2_FB_INDEXED ? "indexed colour is not supported"
                          : boot_info.fb_type == MB2_FB_RGB  ? font_check(&pixels)
                                                             : "unusable text mode";
        pr_warn("screen: framebuffer type %u, %ux%ux%u: %s; console on the serial port only\n", boot_info.fb_type,
                boot_info.fb_width, boot_info.fb_height, boot_info.fb_bpp, why ? why : "smaller than a character");
        return;
    }
    if (kind == SCREEN_TEXT) {
        /* The text buffer (B8000h on a PC) lies in the first megabyte, which
         * the direct map covers; the firmware's MTRRs make the legacy VGA
         * window uncacheable whatever the page says. */
        text = PHYS_TO_VIRT(boot_info.fb_addr);
        hide_text_cursor();
        fbcon_attach(put_text, NULL);
        pr_info("screen: EGA text mode, %ux%u characters at %llx; console there and on the serial port\n",
                boot_info.fb_width, boot_info.fb_height, (unsigned long long)boot_info.fb_addr);
        return;
    }
    bool wc = paging_map_framebuffer(boot_info.fb_addr, (size_t)pixels.pitch * pixels.height);
    font_fill(&pixels, 0, 0, pixels.width, pixels.height, palette[TG_BLACK]);
    fbcon_attach(put_pixels, NULL);
    pr_info("screen: %ux%ux%u framebuffer at %llx (%s), console of %ux%u characters\n", pixels.width,
            pixels.height, pixels.fmt.bpp, (unsigned long long)boot_info.fb_addr,
            wc ? "write-combining" : "write-through: no PAT", pixels.width / FONT_WIDTH, pixels.height / FONT_HEIGHT);
}
