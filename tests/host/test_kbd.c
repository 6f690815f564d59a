/*
 * Host tests of lib/kbd.c: scan-code set 1 to ASCII.
 */
#include "tests/host/htest.h"
#include "lib/kbd.h"

/* Feed bytes; the characters typed, as a string ("" if none). */
static const char *typed(struct kbd *k, const uint8_t *b, size_t n) {
    static char out[256];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int c = kbd_feed(k, b[i]);
        if (c != KBD_NONE && m + 1 < sizeof out)
            out[m++] = (char)c;
    }
    out[m] = 0;
    return out;
}

#define TYPED(k, ...) typed((k), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* Press and release, as the keyboard sends it. */
#define TAP(code) (code), (code) | 0x80

HTEST(letters_digits_and_the_enter_key) {
    struct kbd k;
    kbd_init(&k);
    /* e c h o space h i 1 0 Enter */
    HT_ASSERT_STREQ(TYPED(&k, TAP(0x12), TAP(0x2E), TAP(0x23), TAP(0x18), TAP(0x39), TAP(0x23), TAP(0x17),
                          TAP(0x02), TAP(0x0B), TAP(0x1C)),
                    "echo hi10\n");
    HT_ASSERT_STREQ(TYPED(&k, TAP(0x0E), TAP(0x0F), TAP(0x01)), "\b\t\x1b");
    HT_ASSERT_STREQ(TYPED(&k, TAP(0x0C), TAP(0x0D), TAP(0x1A), TAP(0x1B), TAP(0x27), TAP(0x28), TAP(0x29),
                          TAP(0x2B), TAP(0x33), TAP(0x34), TAP(0x35)),
                    "-=[];'`\\,./");
}

HTEST(releases_give_nothing_and_held_keys_repeat) {
    struct kbd k;
    kbd_init(&k);
    HT_ASSERT_STREQ(TYPED(&k, 0x9E, 0x9E), "");     /* releases only */
    HT_ASSERT_STREQ(TYPED(&k, 0x1E, 0x1E, 0x1E, 0x9E), "aaa"); /* typematic repeats of 'a' */
}

HTEST(shift_either_side_until_released) {
    struct kbd k;
    kbd_init(&k);
    HT_ASSERT_STREQ(TYPED(&k, 0x2A, TAP(0x1E), TAP(0x02), TAP(0x28), 0xAA, TAP(0x1E)), "A!\"a");
    HT_ASSERT_STREQ(TYPED(&k, 0x36, TAP(0x35), TAP(0x2B), TAP(0x0C), 0xB6, TAP(0x35)), "?|_/");
    /* both held, one released: still shifted */
    HT_ASSERT_STREQ(TYPED(&k, 0x2A, 0x36, 0xAA, TAP(0x10), 0xB6, TAP(0x10)), "Qq");
}

HTEST(caps_lock_shifts_letters_only_and_toggles_once_per_press) {
    struct kbd k;
    kbd_init(&k);
    HT_ASSERT_STREQ(TYPED(&k, TAP(0x3A), TAP(0x1E), TAP(0x02)), "A1");
    HT_ASSERT_STREQ(TYPED(&k, 0x2A, TAP(0x1E), TAP(0x02), 0xAA), "a!"); /* shift undoes caps for letters */
    /* a held caps lock key repeats its make code: one toggle, not two */
    HT_ASSERT_STREQ(TYPED(&k, 0x3A, 0x3A, 0xBA, TAP(0x1E)), "a");
    HT_ASSERT_STREQ(TYPED(&k, TAP(0x3A), TAP(0x1E)), "A");
}

HTEST(ctrl_letters_give_control_characters) {
    struct kbd k;
    kbd_init(&k);
    HT_ASSERT_STREQ(TYPED(&k, 0x1D, TAP(0x2E), 0x9D), "\x03"); /* Ctrl-C */
    HT_ASSERT_STREQ(TYPED(&k, 0x1D, TAP(0x20), TAP(0x16), TAP(0x1E), TAP(0x2C), 0x9D), "\x04\x15\x01\x1a");
    HT_ASSERT_STREQ(TYPED(&k, 0xE0, 0x1D, TAP(0x2E), 0xE0, 0x9D, TAP(0x2E)), "\x03" "c"); /* right Ctrl */
    HT_ASSERT_STREQ(TYPED(&k, 0x1D, 0x2A, TAP(0x2E), 0xAA, 0x9D), "\x03"); /* Ctrl-Shift-C too */
    HT_ASSERT_STREQ(TYPED(&k, 0x1D, TAP(0x1A), TAP(0x2B), TAP(0x1B), TAP(0x02), 0x9D), "\x1b\x1c\x1d" "1");
}

HTEST(extended_keys) {
    struct kbd k;
    kbd_init(&k);
    /* arrows, Home, Delete: nothing; keypad Enter and '/': characters */
    HT_ASSERT_STREQ(TYPED(&k, 0xE0, 0x48, 0xE0, 0xC8, 0xE0, 0x4B, 0xE0, 0xCB, 0xE0, 0x47, 0xE0, 0xC7, 0xE0,
                          0x53, 0xE0, 0xD3),
                    "");
    HT_ASSERT_STREQ(TYPED(&k, 0xE0, 0x1C, 0xE0, 0x9C, 0xE0, 0x35, 0xE0, 0xB5), "\n/");
    /* E0 2A is the fake shift some keyboards send round an E0 key: no shift */
    HT_ASSERT_STREQ(TYPED(&k, 0xE0, 0x2A, 0xE0, 0x48, 0xE0, 0xC8, 0xE0, 0xAA, TAP(0x1E)), "a");
    /* and its fake release (E0 AA, sent while Shift is held) releases nothing */
    HT_ASSERT_STREQ(TYPED(&k, 0x2A, 0xE0, 0xAA, TAP(0x1E), 0xAA), "A");
    /* the prefix applies to one byte only: keypad 8 after an arrow */
    HT_ASSERT_STREQ(TYPED(&k, 0xE0, 0x48, 0x48, 0xC8), "8");
    /* right Alt press and release leave nothing held */
    HT_ASSERT_STREQ(TYPED(&k, 0xE0, 0x38, 0xE0, 0xB8, TAP(0x1E)), "a");
}

HTEST(keypad_digits_ignore_shift) {
    struct kbd k;
    kbd_init(&k);
    HT_ASSERT_STREQ(TYPED(&k, TAP(0x4F), TAP(0x52), TAP(0x4E), TAP(0x37), TAP(0x53)), "10+*.");
    HT_ASSERT_STREQ(TYPED(&k, 0x2A, TAP(0x47), 0xAA), "7");
}

HTEST(pause_and_controller_replies_type_nothing) {
    struct kbd k;
    kbd_init(&k);
    HT_ASSERT_STREQ(TYPED(&k, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, TAP(0x1E)), "a");
    /* the 9D inside Pause is not a release of a Ctrl key held by the user */
    HT_ASSERT_STREQ(TYPED(&k, 0x1D, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, TAP(0x2E), 0x9D), "\x03");
    HT_ASSERT_STREQ(TYPED(&k, 0xFA, 0xFE, 0x00, 0xFF, 0xEE, TAP(0x30)), "b");
    /* a reply between E0 and its code drops the prefix */
    HT_ASSERT_STREQ(TYPED(&k, 0xE0, 0xFA, 0x1C), "\n");
    /* function keys and codes past the table */
    HT_ASSERT_STREQ(TYPED(&k, TAP(0x3B), TAP(0x44), TAP(0x57), TAP(0x58), TAP(0x59), TAP(0x7F)), "");
}

HTEST(every_code_either_types_or_not_without_touching_memory_outside) {
    struct kbd k;
    kbd_init(&k);
    for (int pre = 0; pre < 2; pre++)
        for (int b = 0; b < 256; b++) {
            if (pre)
                kbd_feed(&k, 0xE0);
            int c = kbd_feed(&k, (uint8_t)b);
            HT_ASSERT(c == KBD_NONE || (c >= 0 && c < 128));
        }
}

int main(void) { return htest_main("kbd"); }
