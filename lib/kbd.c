/*
 * Scan-code set 1 to ASCII (see lib/kbd.h for the references).
 */
#include "lib/kbd.h"

/* Set 1 make codes 0x00-0x58: the unshifted and shifted character of each
 * key, 0 for none (US layout, the key positions of the standard 101-key
 * keyboard). */
static const char plain[0x59] = {
    [0x01] = 0x1B, [0x02] = '1', [0x03] = '2', [0x04] = '3', [0x05] = '4', [0x06] = '5', [0x07] = '6',
    [0x08] = '7',  [0x09] = '8', [0x0A] = '9', [0x0B] = '0', [0x0C] = '-', [0x0D] = '=', [0x0E] = '\b',
    [0x0F] = '\t', [0x10] = 'q', [0x11] = 'w', [0x12] = 'e', [0x13] = 'r', [0x14] = 't', [0x15] = 'y',
    [0x16] = 'u',  [0x17] = 'i', [0x18] = 'o', [0x19] = 'p', [0x1A] = '[', [0x1B] = ']', [0x1C] = '\n',
    [0x1E] = 'a',  [0x1F] = 's', [0x20] = 'd', [0x21] = 'f', [0x22] = 'g', [0x23] = 'h', [0x24] = 'j',
    [0x25] = 'k',  [0x26] = 'l', [0x27] = ';', [0x28] = '\'', [0x29] = '`', [0x2B] = '\\', [0x2C] = 'z',
    [0x2D] = 'x',  [0x2E] = 'c', [0x2F] = 'v', [0x30] = 'b', [0x31] = 'n', [0x32] = 'm', [0x33] = ',',
    [0x34] = '.',  [0x35] = '/', [0x37] = '*', [0x39] = ' ', [0x47] = '7', [0x48] = '8', [0x49] = '9',
    [0x4A] = '-',  [0x4B] = '4', [0x4C] = '5', [0x4D] = '6', [0x4E] = '+', [0x4F] = '1', [0x50] = '2',
    [0x51] = '3',  [0x52] = '0', [0x53] = '.',
};

static const char shifted[0x59] = {
    [0x01] = 0x1B, [0x02] = '!', [0x03] = '@', [0x04] = '#', [0x05] = '$', [0x06] = '%', [0x07] = '^',
    [0x08] = '&',  [0x09] = '*', [0x0A] = '(', [0x0B] = ')', [0x0C] = '_', [0x0D] = '+', [0x0E] = '\b',
    [0x0F] = '\t', [0x10] = 'Q', [0x11] = 'W', [0x12] = 'E', [0x13] = 'R', [0x14] = 'T', [0x15] = 'Y',
    [0x16] = 'U',  [0x17] = 'I', [0x18] = 'O', [0x19] = 'P', [0x1A] = '{', [0x1B] = '}', [0x1C] = '\n',
    [0x1E] = 'A',  [0x1F] = 'S', [0x20] = 'D', [0x21] = 'F', [0x22] = 'G', [0x23] = 'H', [0x24] = 'J',
    [0x25] = 'K',  [0x26] = 'L', [0x27] = ':', [0x28] = '"', [0x29] = '~', [0x2B] = '|', [0x2C] = 'Z',
    [0x2D] = 'X',  [0x2E] = 'C', [0x2F] = 'V', [0x30] = 'B', [0x31] = 'N', [0x32] = 'M', [0x33] = '<',
    [0x34] = '>',  [0x35] = '?', [0x37] = '*', [0x39] = ' ', [0x47] = '7', [0x48] = '8', [0x49] = '9',
    [0x4A] = '-',  [0x4B] = '4', [0x4C] = '5', [0x4D] = '6', [0x4E] = '+', [0x4F] = '1', [0x50] = '2',
    [0x51] = '3',  [0x52] = '0', [0x53] = '.',
};

#define SC_LCTRL 0x1D
#define SC_LSHIFT 0x2A
#define SC_RSHIFT 0x36
#define SC_ALT 0x38
#define SC_CAPS 0x3A
#define SC_KP_FIRST 0x47 /* keypad 7 .. keypad . (0x53) */
#define SC_KP_LAST 0x53
#define BREAK 0x80

void kbd_init(struct kbd *k) { *k = (struct kbd){0}; }

/* The modifiers: a press sets, a release clears. True if code was one. */
static bool modifier(struct kbd *k, uint8_t code, bool extended, bool down) {
    switch (code) {
    case SC_LSHIFT:
        if (!extended) /* E0 2A / E0 AA: the "fake shift" around some E0 keys, not a key */
            k->lshift = down;
        return true;
    case SC_RSHIFT:
        if (!extended)
            k->rshift = down;
        return true;
    case SC_LCTRL:
        *(extended ? &k->rctrl : &k->lctrl) = down;
        return true;
    case SC_ALT:
        k->alt = down;
        return true;
    case SC_CAPS:
        if (down && !k->caps_down)
            k->caps = !k->caps;
        k->caps_down = down;
        return true;
    }
    return false;
}

/* The character of a pressed key that is not a modifier. */
static int character(const struct kbd *k, uint8_t code, bool extended) {
    if (extended) {
        /* Of the E0 keys only keypad Enter and keypad '/' type; the
         * arrows, Home, End, Insert, Delete, ... do not (the console's
         * line editing has no use for them). */
        if (code == 0x1C)
            return '\n';
        if (code == 0x35)
            return '/';
        return KBD_NONE;
    }
    if (code >= sizeof plain || !plain[code])
        return KBD_NONE;
    bool keypad = code >= SC_KP_FIRST && code <= SC_KP_LAST;
    bool shift = (k->lshift || k->rshift) && !keypad;
    char c = plain[code];
    bool letter = c >= 'a' && c <= 'z';
    if (letter ? shift != k->caps : shift)
        c = shifted[code];
    if (k->lctrl || k->rctrl) {
        if (letter)
            return c & 0x1F; /* Ctrl-A = 0x01 ... Ctrl-Z = 0x1A, either case */
        if (c == '[' || c == '\\' || c == ']')
            return c & 0x1F; /* 0x1B, 0x1C, 0x1D */
    }
    return (unsigned char)c;
}

int kbd_feed(struct kbd *k, uint8_t b) {
    if (k->e1_left > 0) { /* Pause: E1 1D 45 E1 9D C5, no key of its own */
        k->e1_left--;
        return KBD_NONE;
    }
    switch (b) {
    case 0xE0:
        k->e0 = true;
        return KBD_NONE;
    case 0xE1:
        k->e1_left = 2;
        k->e0 = false;
        return KBD_NONE;
    case 0x00: /* key detection error or buffer overrun */
    case 0xFF:
    case 0xFA: /* acknowledge of a command */
    case 0xFE: /* resend */
    case 0xEE: /* echo */
        k->e0 = false;
        return KBD_NONE;
    }
    bool extended = k->e0, down = !(b & BREAK);
    uint8_t code = b & ~BREAK;
    k->e0 = false;
    if (modifier(k, code, extended, down) || !down)
        return KBD_NONE;
    return character(k, code, extended);
}
