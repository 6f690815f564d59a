/*
 * Kernel command line parsing; the token grammar is described in cmdline.h.
 */
#include "lib/cmdline.h"
#include "lib/string.h"

#define DIGITS_(n) #n
#define DIGITS(n) DIGITS_(n) /* a number macro as a string literal */

static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_blanks(const char *p) {
    while (is_blank(*p))
        p++;
    return p;
}

/* Store one character of the word being decoded; false once it is full. */
static bool put(struct cmdline_opt *opt, size_t *n, char c) {
    if (*n >= CMDLINE_WORD_MAX - 1)
        return false;
    opt->word[(*n)++] = c;
    return true;
}

/*
 * Decode one word starting at a non-blank: double quotes group (and are
 * dropped), a backslash takes the next character as it is. This is the form
 * GRUB gives (grub_create_loader_cmdline): it wraps a whole argument that
 * holds a space in quotes, `run="hello a b"` arriving as "run=hello a b",
 * and puts a backslash before every \, ' and ". Returns where the word ends.
 */
static const char *parse_word(const char *p, struct cmdline_opt *opt) {
    size_t n = 0, eq = 0;
    bool quoted = false, has_eq = false, fits = true;
    opt->raw = p;
    opt->error = NULL;
    for (; *p != '\0' && (quoted || !is_blank(*p)); p++) {
        char c = *p;
        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (c == '\\') {
            if (p[1] == '\0') {
                opt->error = "ends in a lone backslash";
                p++;
                break;
            }
            c = *++p;
        } else if (c == '=' && !has_eq) {
            has_eq = true;
            eq = n;
        }
        fits = put(opt, &n, c) && fits;
    }
    opt->raw_len = (size_t)(p - opt->raw);
    opt->word[n] = '\0';
    if (quoted)
        opt->error = "has a \" without its closing \"";
    else if (!fits)
        opt->error = "is longer than " DIGITS(CMDLINE_WORD_CHARS) " characters";
    else if ((has_eq ? eq : n) == 0 && !opt->error)
        opt->error = "has no option name";
    if (opt->error) {
        opt->key = opt->val = NULL;
        opt->key_len = opt->val_len = 0;
        return p;
    }
    opt->key = opt->word;
    opt->key_len = has_eq ? eq : n;
    opt->val = has_eq ? opt->word + eq + 1 : NULL;
    opt->val_len = has_eq ? n - eq - 1 : 0;
    return p;
}

bool cmdline_next(const char **cursor, struct cmdline_opt *opt) {
    const char *p = *cursor;
    if (p == NULL)
        return false;
    p = skip_blanks(p);
    if (*p == '\0') {
        *cursor = p;
        return false;
    }
    *cursor = parse_word(p, opt);
    return true;
}

bool cmdline_opt_is(const struct cmdline_opt *o, const char *key) {
    size_t n = strlen(key);
    return o->key_len == n && memcmp(o->key, key, n) == 0;
}

bool cmdline_get(const char *cmdline, const char *key, char *val, size_t valsz) {
    struct cmdline_opt opt;
    bool present = false;
    const char *cur = cmdline;
    while (cmdline_next(&cur, &opt)) {
        if (opt.error || !cmdline_opt_is(&opt, key))
            continue;
        present = true;
        if (valsz > 0) { /* the last occurrence wins */
            size_t n = MIN(opt.val_len, valsz - 1);
            if (n > 0)
                memcpy(val, opt.val, n);
            val[n] = '\0';
        }
    }
    return present;
}

static int digit_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

bool cmdline_parse_u64(const char *s, size_t len, uint64_t *out) {
    unsigned base = 10;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        len -= 2;
    }
    if (len == 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        int d = digit_value(s[i]);
        if (d >= (int)base)
            return false;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return false; /* would overflow */
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return true;
}

static bool elem_is(const char *e, size_t n, const char *word, size_t wlen) {
    return n == wlen && memcmp(e, word, n) == 0;
}

bool cmdline_list_contains(const char *list, size_t len, const char *item) {
    size_t ilen = strlen(item);
    if (list == NULL || ilen == 0)
        return false;
    size_t start = 0;
    while (start <= len) {
        size_t end = start;
        while (end < len && list[end] != ',')
            end++;
        const char *e = list + start;
        size_t n = end - start;
        if (elem_is(e, n, item, ilen) || elem_is(e, n, "all", 3))
            return true;
        start = end + 1;
    }
    return false;
}
