/*
 * A PS/2 keyboard decoder: scan-code set 1 bytes in, ASCII out (US layout).
 *
 * Set 1 is what an 8042 controller hands the CPU with translation on, the
 * PC's and QEMU's default (the keyboard itself speaks set 2; the
 * controller translates). One key press sends a "make" code, its release
 * the same code with bit 7 set ("break"); keys added after the XT carry a
 * 0xE0 prefix byte, and Pause sends a 6-byte 0xE1 sequence with no
 * release. References: IBM PS/2 Hardware Interface Technical Reference,
 * "Keyboard and Auxiliary Device Controller" and "Keyboards (101- and
 * 102-Key)", scan code set 1 table; Microsoft "Keyboard Scan Code
 * Specification" rev. 1.3a, appendix C.
 *
 * Pure code: host-tested in tests/host/test_kbd.c.
 */
#ifndef LIB_KBD_H
#define LIB_KBD_H

#include "lib/types.h"

#define KBD_NONE (-1) /* kbd_feed(): this byte gives no character */

struct kbd {
    bool lshift, rshift, lctrl, rctrl, alt;
    bool caps;      /* caps lock on */
    bool caps_down; /* the caps lock key is held (its repeats toggle nothing) */
    bool e0;        /* the previous byte was the 0xE0 prefix */
    int e1_left;    /* bytes of a Pause (0xE1) sequence still to swallow */
};

void kbd_init(struct kbd *k);

/*
 * Feed one byte from the controller. Returns the character the key press
 * types (0..127), or KBD_NONE for a release, a modifier, a prefix, a
 * controller reply (0xFA acknowledge, 0xFE resend, 0x00/0xFF errors) or a
 * key without a character (function keys, arrows, Home, ...).
 *
 * Characters: letters, digits and punctuation with Shift and Caps Lock
 * (Caps Lock shifts letters only); Ctrl with a letter gives its control
 * character (Ctrl-C = 0x03), Ctrl with [ \ ] gives 0x1B-0x1D; Enter and
 * keypad Enter '\n', Backspace '\b', Tab '\t', Escape 0x1B; the keypad's
 * digits and operators as themselves (as if Num Lock were on). Alt is
 * tracked but changes nothing.
 */
int kbd_feed(struct kbd *k, uint8_t byte);

#endif
