/*
 * printf-style formatter. See fmt.h for the supported subset.
 *
 * Every conversion is reduced to the same shape before output:
 *   [spaces] [prefix: sign or 0x] [zeros] [body] [spaces]
 * so padding rules live in one place (emit_field).
 */
#include "lib/fmt.h"
#include "lib/types.h"

#define INT_MAX_ ((int)(~0u >> 1))

enum {
    F_LEFT  = 1 << 0, /* '-' */
    F_ZERO  = 1 << 1, /* '0' */
    F_PLUS  = 1 << 2, /* '+' */
    F_SPACE = 1 << 3, /* ' ' */
    F_ALT   = 1 << 4, /* '#' */
};

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

struct spec {
    unsigned flags;
    int width;      /* 0 = none */
    int prec;       /* -1 = none */
    enum length len;
    char conv;
};

struct out {
    fmt_putc_fn fn;
    void *ctx;
    size_t count;
};

static void emit(struct out *o, char c) {
    o->fn(o->ctx, c);
    o->count++;
}

static void emit_repeat(struct out *o, char c, int n) {
    for (; n > 0; n--)
        emit(o, c);
}

static void emit_mem(struct out *o, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        emit(o, s[i]);
}

/* Output prefix, zeros and body padded with spaces to the field width. */
static void emit_field(struct out *o, const struct spec *sp,
                       const char *prefix, size_t prefix_len, int zeros,
                       const char *body, size_t body_len) {
    size_t total = prefix_len + (size_t)zeros + body_len;
    int pad = (size_t)sp->width > total ? sp->width - (int)total : 0;

    if (!(sp->flags & F_LEFT))
        emit_repeat(o, ' ', pad);
    emit_mem(o, prefix, prefix_len);
    emit_repeat(o, '0', zeros);
    emit_mem(o, body, body_len);
    if (sp->flags & F_LEFT)
        emit_repeat(o, ' ', pad);
}

/* ---- parsing the conversion specification ---- */

/* Decimal digits, saturating at INT_MAX rather than overflowing. */
static int parse_decimal(const char **p) {
    int v = 0;
    while (**p >= '0' && **p <= '9') {
        int d = *(*p)++ - '0';
        v = (v > (INT_MAX_ - d) / 10) ? INT_MAX_ : v * 10 + d;
    }
    return v;
}

static unsigned parse_flags(const char **p) {
    unsigned flags = 0;
    for (;; (*p)++) {
        switch (**p) {
        case '-': flags |= F_LEFT; break;
        case '0': flags |= F_ZERO; break;
        case '+': flags |= F_PLUS; break;
        case ' ': flags |= F_SPACE; break;
        case '#': flags |= F_ALT; break;
        default: return flags;
        }
    }
}

static void parse_width(const char **p, va_list *ap, struct spec *sp) {
    if (**p != '*') {
        sp->width = parse_decimal(p);
        return;
    }
    (*p)++;
    int w = va_arg(*ap, int);
    if (w < 0) { /* C: a negative '*' width is a '-' flag plus a width */
        sp->flags |= F_LEFT;
        w = (w == -INT_MAX_ - 1) ? INT_MAX_ : -w;
    }
    sp->width = w;
}

static void parse_precision(const char **p, va_list *ap, struct spec *sp) {
    sp->prec = -1;
    if (**p != '.')
        return;
    (*p)++;
    if (**p == '*') {
        (*p)++;
        int pr = va_arg(*ap, int);
        sp->prec = pr < 0 ? -1 : pr; /* C: negative means "no precision" */
    } else {
        sp->prec = parse_decimal(p); /* "%.d" means precision 0 */
    }
}

static enum length parse_length(const char **p) {
    switch (**p) {
    case 'h':
        (*p)++;
        if (**p == 'h') {
            (*p)++;
            return LEN_HH;
        }
        return LEN_H;
    case 'l':
        (*p)++;
        if (**p == 'l') {
            (*p)++;
            return LEN_LL;
        }
        return LEN_L;
    case 'z': (*p)++; return LEN_Z;
    case 'j': (*p)++; return LEN_J;
    case 't': (*p)++; return LEN_T;
    default: return LEN_NONE;
    }
}

/* Parse what follows '%'. Returns false if the format ends first. */
static bool parse_spec(const char **p, va_list *ap, struct spec *sp) {
    sp->flags = parse_flags(p);
    parse_width(p, ap, sp);
    parse_precision(p, ap, sp);
    sp->len = parse_length(p);
    sp->conv = **p;
    if (sp->conv == '\0')
        return false;
    (*p)++;
    return true;
}

/* ---- fetching arguments ---- */

/* Arguments narrower than int arrive promoted; the casts undo that. */
static int64_t fetch_signed(va_list *ap, enum length len) {
    switch (len) {
    case LEN_HH: return (signed char)va_arg(*ap, int);
    case LEN_H: return (short)va_arg(*ap, int);
    case LEN_L: return va_arg(*ap, long);
    case LEN_LL: return va_arg(*ap, long long);
    case LEN_Z: return va_arg(*ap, ptrdiff_t); /* signed size_t */
    case LEN_J: return va_arg(*ap, intmax_t);
    case LEN_T: return va_arg(*ap, ptrdiff_t);
    default: return va_arg(*ap, int);
    }
}

static uint64_t fetch_unsigned(va_list *ap, enum length len) {
    switch (len) {
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_H: return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_L: return va_arg(*ap, unsigned long);
    case LEN_LL: return va_arg(*ap, unsigned long long);
    case LEN_Z: return va_arg(*ap, size_t);
    case LEN_J: return va_arg(*ap, uintmax_t);
    case LEN_T: return va_arg(*ap, size_t); /* unsigned ptrdiff_t */
    default: return va_arg(*ap, unsigned int);
    }
}

/* ---- conversions ---- */

/* Digits of v in base, written backwards from end; returns the count. */
static size_t to_digits(uint64_t v, unsigned base, bool upper, char *end) {
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t n = 0;
    do {
        *--end = digits[v % base];
        v /= base;
        n++;
    } while (v != 0);
    return n;
}

static void format_integer(struct out *o, const struct spec *sp,
                           uint64_t mag, bool negative) {
    unsigned base = sp->conv == 'o' ? 8 : (sp->conv == 'x' || sp->conv == 'X') ? 16 : 10;
    bool is_signed = sp->conv == 'd' || sp->conv == 'i';
    char buf[24]; /* 22 octal digits hold 2^64 - 1 */
    char *end = buf + sizeof(buf);
    /* C: zero with precision 0 has no digits at all. */
    size_t ndig = (mag == 0 && sp->prec == 0) ? 0 : to_digits(mag, base, sp->conv == 'X', end);
    int zeros = sp->prec > (int)ndig ? sp->prec - (int)ndig : 0;

    /* C: '#' with %o raises the precision just enough to start with 0. */
    if ((sp->flags & F_ALT) && base == 8 && zeros == 0 && (mag != 0 || ndig == 0))
        zeros = 1;

    char prefix[2];
    size_t prefix_len = 0;
    if (is_signed && negative)
        prefix[prefix_len++] = '-';
    else if (is_signed && (sp->flags & F_PLUS))
        prefix[prefix_len++] = '+';
    else if (is_signed && (sp->flags & F_SPACE))
        prefix[prefix_len++] = ' ';
    else if ((sp->flags & F_ALT) && base == 16 && mag != 0) {
        prefix[prefix_len++] = '0';
        prefix[prefix_len++] = sp->conv;
    }

    /* C: '0' pads with zeros after the prefix, unless '-' or a precision. */
    if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->prec < 0) {
        size_t used = prefix_len + (size_t)zeros + ndig;
        if ((size_t)sp->width > used)
            zeros += sp->width - (int)used;
    }
    emit_field(o, sp, prefix, prefix_len, zeros, end - ndig, ndig);
}

static void format_signed(struct out *o, const struct spec *sp, int64_t v) {
    /* Negate in unsigned arithmetic: -INT64_MIN would overflow. */
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    format_integer(o, sp, mag, v < 0);
}

static void format_pointer(struct out *o, const struct spec *sp, const void *ptr) {
    char buf[16];
    uint64_t v = (uint64_t)(uintptr_t)ptr;
    for (int i = 15; i >= 0; i--, v >>= 4)
        buf[i] = "0123456789abcdef"[v & 0xf];
    emit_field(o, sp, "0x", 2, 0, buf, sizeof(buf));
}

static void format_string(struct out *o, const struct spec *sp, const char *s) {
    if (s == NULL)
        s = "(null)";
    /* Never read past the precision: the string need not be terminated. */
    size_t len = 0;
    while ((sp->prec < 0 || len < (size_t)sp->prec) && s[len] != '\0')
        len++;
    emit_field(o, sp, "", 0, 0, s, len);
}

static void format_char(struct out *o, const struct spec *sp, char c) {
    emit_field(o, sp, "", 0, 0, &c, 1);
}

/* Handle one conversion; start points at its '%' for verbatim fallbacks. */
static void format_one(struct out *o, const struct spec *sp, va_list *ap,
                       const char *start, const char *end) {
    switch (sp->conv) {
    case 'd':
    case 'i': format_signed(o, sp, fetch_signed(ap, sp->len)); break;
    case 'u':
    case 'x':
    case 'X':
    case 'o': format_integer(o, sp, fetch_unsigned(ap, sp->len), false); break;
    case 'p': format_pointer(o, sp, va_arg(*ap, const void *)); break;
    case 's': format_string(o, sp, va_arg(*ap, const char *)); break;
    case 'c': format_char(o, sp, (char)va_arg(*ap, int)); break;
    case '%': emit(o, '%'); break;
    default: emit_mem(o, start, (size_t)(end - start)); break;
    }
}

int fmt_vformat(fmt_putc_fn fn, void *ctx, const char *fmt, va_list ap) {
    struct out o = { fn, ctx, 0 };
    va_list args;
    /* A copy we can pass by pointer: va_list may be an array type. */
    va_copy(args, ap);
    const char *p = fmt;
    while (*p != '\0') {
        if (*p != '%') {
            emit(&o, *p++);
            continue;
        }
        const char *start = p++;
        struct spec sp;
        if (!parse_spec(&p, &args, &sp)) {
            emit_mem(&o, start, (size_t)(p - start)); /* incomplete: verbatim */
            break;
        }
        format_one(&o, &sp, &args, start, p);
    }
    va_end(args);
    return o.count > (size_t)INT_MAX_ ? -1 : (int)o.count;
}

int fmt_format(fmt_putc_fn fn, void *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vformat(fn, ctx, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- into a buffer ---- */

struct bufctx {
    char *buf;
    size_t size;
    size_t pos;
};

static void buf_putc(void *ctx, char c) {
    struct bufctx *b = ctx;
    if (b->pos + 1 < b->size) /* keep the last byte for the NUL */
        b->buf[b->pos] = c;
    b->pos++;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
    struct bufctx b = { buf, size, 0 };
    int n = fmt_vformat(buf_putc, &b, fmt, ap);
    if (size > 0)
        buf[MIN(b.pos, size - 1)] = '\0';
    return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
