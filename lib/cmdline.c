/*
 * Kernel command line parsing; the token grammar is described in cmdline.h.
 */
#include "lib/cmdline.h"
#include "lib/string.h"

static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_blanks(const char *p) {
    while (is_blank(*p))
        p++;
    return p;
}

static const char *skip_token(const char *p) {
    while (*p != '\0' && !is_blank(*p))
        p++;
    return p;
}

/* Parse the value after '='; returns where the token ends. */
static const char *parse_value(const char *p, struct cmdline_opt *opt) {
    if (*p != '"') {
        const char *end = skip_token(p);
        opt->val = p;
        opt->val_len = (size_t)(end - p);
        return end;
    }
    p++;
    const char *close = p;
    while (*close != '\0' && *close != '"')
        close++;
    opt->val = p;
    opt->val_len = (size_t)(close - p);
    if (*close == '\0') /* unterminated quote: the value is the rest */
        return close;
    return skip_token(close + 1);
}

/* Parse one token starting at a non-blank; returns where it ends. */
static const char *parse_token(const char *p, struct cmdline_opt *opt) {
    opt->key = p;
    while (*p != '\0' && *p != '=' && !is_blank(*p))
        p++;
    opt->key_len = (size_t)(p - opt->key);
    opt->val = NULL;
    opt->val_len = 0;
    if (*p != '=')
        return p;
    return parse_value(p + 1, opt);
}

bool cmdline_next(const char **cursor, struct cmdline_opt *opt) {
    const char *p = *cursor;
    if (p == NULL)
        return false;
    for (;;) {
        p = skip_blanks(p);
        if (*p == '\0') {
            *cursor = p;
            return false;
        }
        p = parse_token(p, opt);
        if (opt->key_len > 0) {
            *cursor = p;
            return true;
        }
    }
}

bool cmdline_opt_is(const struct cmdline_opt *o, const char *key) {
    size_t n = strlen(key);
    return o->key_len == n && memcmp(o->key, key, n) == 0;
}

bool cmdline_get(const char *cmdline, const char *key, char *val, size_t valsz) {
    struct cmdline_opt opt, found = { 0 };
    bool present = false;
    const char *cur = cmdline;
    while (cmdline_next(&cur, &opt)) {
        if (cmdline_opt_is(&opt, key)) {
            found = opt;
            present = true;
        }
    }
    if (present && valsz > 0) {
        size_t n = MIN(found.val_len, valsz - 1);
        if (n > 0)
            memcpy(val, found.val, n);
        val[n] = '\0';
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
