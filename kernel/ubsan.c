/*
 * The UBSan runtime of the sanitised kernel (make SANITIZE=ubsan; see
 * kernel/ubsan.h for what it prints and when it panics).
 *
 * GCC's checks call the __ubsan_handle_* functions below with a pointer to
 * a static record the compiler made for the site (its source location and
 * type descriptors) and the operands as "value handles": an integer of up
 * to 64 bits is the handle itself, a wider one (__int128) is behind it.
 * The record layouts are GCC's (gcc/ubsan.cc builds them; libsanitizer's
 * ubsan_handlers.h names the same fields).
 *
 * Constraints on this file:
 *  - It is compiled without the checks (Makefile: -fno-sanitize=all), or a
 *    check here would call itself.
 *  - It may run anywhere: with any lock held (the console's too: printk may
 *    be the code that went wrong), in an interrupt, before the heap or the
 *    other CPUs exist. So it takes no lock and allocates nothing: a report
 *    is formatted on the stack and written straight to the serial port
 *    (arch_console_putc), or handed to panic(), which takes no lock either.
 *    A report may therefore interleave with a line another CPU prints.
 *  - fmt_snprintf and the serial code it uses are themselves checked: a
 *    report that finds more undefined behaviour while it is being made is
 *    dropped (the per-CPU `reporting` flag) instead of recursing.
 *
 * Compiled into the normal kernel too, where nothing calls it: one build
 * rule for both, and -Werror keeps checking that it compiles.
 */
#include "kernel/ubsan.h"
#include "kernel/cpu.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "lib/fmt.h"
#include "arch.h"

struct source_location {
    const char *file;
    uint32_t line;
    uint32_t column;
};

/* kind 0: an integer, info = log2(bits) << 1 | signed; 1: floating point. */
struct type_descriptor {
    uint16_t kind;
    uint16_t info;
    char name[];
};
#define TYPE_KIND_INTEGER 0

struct type_mismatch_data {
    struct source_location loc;
    const struct type_descriptor *type;
    uint8_t log_alignment;
    uint8_t type_check_kind;
};
struct overflow_data {
    struct source_location loc;
    const struct type_descriptor *type;
};
struct shift_data {
    struct source_location loc;
    const struct type_descriptor *lhs_type;
    const struct type_descriptor *rhs_type;
};
struct out_of_bounds_data {
    struct source_location loc;
    const struct type_descriptor *array_type;
    const struct type_descriptor *index_type;
};
struct unreachable_data {
    struct source_location loc;
};
struct invalid_value_data {
    struct source_location loc;
    const struct type_descriptor *type;
};
struct nonnull_arg_data {
    struct source_location loc;
    struct source_location attr_loc;
    int arg_index;
};
struct nonnull_return_data {
    struct source_location attr_loc;
};
struct pointer_overflow_data {
    struct source_location loc;
};
struct invalid_builtin_data {
    struct source_location loc;
    uint8_t kind; /* 0: ctz, 1: clz */
};
struct alignment_assumption_data {
    struct source_location loc;
    struct source_location assumption_loc;
    const struct type_descriptor *type;
};

typedef void *value_handle;

/* ---- reporting ---- */

static volatile bool reporting[MAX_CPUS]; /* this CPU is inside report() */
static volatile int catch_cpu = -1;       /* ubsan_catch_begin()'s CPU */
static char *catch_buf;
static size_t catch_size;
static volatile int catch_count;

void ubsan_catch_begin(char *buf, size_t size) {
    catch_buf = buf;
    catch_size = size;
    catch_count = 0;
    if (size)
        buf[0] = 0;
    __atomic_store_n(&catch_cpu, cpu_id(), __ATOMIC_RELEASE);
}

int ubsan_catch_end(void) {
    __atomic_store_n(&catch_cpu, -1, __ATOMIC_RELEASE);
    return catch_count;
}

/* The sites reported so far, for "each site once". The key is the site
 * itself, not GCC's record of it: an unrolled or inlined copy of a check
 * has a record of its own at the same file:line:column. A key packs the
 * low 32 bits of the file name's address (the kernel image is far smaller
 * than 4 GiB), 20 bits of line and 12 of column; slots are claimed with a
 * compare-and-swap, so no lock. When the table is full, sites report every
 * time, which is noisy but loses nothing. */
#define SITES 1024
static uint64_t sites[SITES];

static bool first_report_of(const struct source_location *loc) {
    uint64_t key = (uint64_t)(uint32_t)(uintptr_t)loc->file << 32 | (uint64_t)(loc->line & 0xfffff) << 12 |
                   (loc->column & 0xfff);
    if (key == 0)
        key = 1; /* 0 marks a free slot */
    uint64_t h = key * 0x9e3779b97f4a7c15ULL;
    for (unsigned i = 0; i < SITES; i++) {
        uint64_t *slot = &sites[((h >> 54) + i) & (SITES - 1)];
        uint64_t seen = __atomic_load_n(slot, __ATOMIC_RELAXED);
        if (seen == 0 && __atomic_compare_exchange_n(slot, &seen, key, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return true;
        if (seen == key)
            return false;
    }
    return true;
}

static void serial_line(const char *s) {
    for (; *s; s++) {
        if (*s == '\n')
            arch_console_putc('\r');
        arch_console_putc(*s);
    }
}

/* The one place a report leaves from. `fatal`: execution cannot go on
 * after this site (__builtin_unreachable), so even a normal boot panics. */
static void report(const struct source_location *loc, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(const struct source_location *loc, bool fatal, const char *fmt, ...) {
    int me = cpu_id();
    if (reporting[me])
        return; /* undefined behaviour inside the report itself: drop it */
    reporting[me] = true;
    /* Each site once: outside test boots the kernel goes on, and a check
     * in a loop would flood the console. */
    if (!first_report_of(loc) && !fatal) {
        reporting[me] = false;
        return;
    }
    char what[192];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *file = loc->file ? loc->file : "(unknown file)";
    unsigned line = loc->line, column = loc->column;

    if (__atomic_load_n(&catch_cpu, __ATOMIC_ACQUIRE) == me && !fatal) {
        /* The first report is kept: later ones may only be its echoes
         * (an index out of bounds is also a load past the object). */
        if (catch_count++ == 0 && catch_size)
            fmt_snprintf(catch_buf, catch_size, "%s at %s:%u:%u", what, file, line, column);
    } else if (fatal || options_unattended()) {
        /* A test boot: the run fails here, with panic()'s backtrace. */
        panic("UBSan: %s at %s:%u:%u", what, file, line, column);
    }
    char text[320];
    fmt_snprintf(text, sizeof text, "UBSan on CPU %d: %s at %s:%u:%u\n", me, what, file, line, column);
    serial_line(text);
    reporting[me] = false;
}

/* ---- operands ---- */

static bool type_is_int(const struct type_descriptor *t) { return t->kind == TYPE_KIND_INTEGER; }
static bool type_is_signed(const struct type_descriptor *t) { return type_is_int(t) && (t->info & 1); }
static unsigned type_bits(const struct type_descriptor *t) { return type_is_int(t) ? 1u << (t->info >> 1) : 0; }

/* An operand as text: decimal for integers of up to 64 bits, hex beyond. */
static void value_text(char *buf, size_t size, const struct type_descriptor *t, value_handle v) {
    unsigned bits = type_bits(t);
    if (bits > 64) {
        const uint64_t *w = v; /* little-endian: low half first */
        fmt_snprintf(buf, size, "0x%016llx%016llx", (unsigned long long)w[1], (unsigned long long)w[0]);
    } else if (bits == 0) {
        fmt_snprintf(buf, size, "(a value of type %s)", t->name);
    } else if (type_is_signed(t)) {
        unsigned extra = 64 - bits; /* sign-extend from the type's width */
        int64_t s = (int64_t)((uint64_t)v << extra) >> extra;
        fmt_snprintf(buf, size, "%lld", (long long)s);
    } else {
        uint64_t u = bits == 64 ? (uint64_t)v : (uint64_t)v & ((1ULL << bits) - 1);
        fmt_snprintf(buf, size, "%llu", (unsigned long long)u);
    }
}

/* Negative, for a signed type (only the low 64 bits are looked at). */
static bool value_negative(const struct type_descriptor *t, value_handle v) {
    unsigned bits = type_bits(t);
    if (!type_is_signed(t))
        return false;
    if (bits > 64)
        return (int64_t)((const uint64_t *)v)[1] < 0;
    return ((uint64_t)v >> (bits - 1)) & 1;
}

static uint64_t value_u64(const struct type_descriptor *t, value_handle v) {
    return type_bits(t) > 64 ? ((const uint64_t *)v)[0] : (uint64_t)v;
}

/* ---- the handlers GCC 12 calls (their declarations are here only: no
 * kernel code calls them by name) ---- */

#define HANDLER(name, ...) void __ubsan_handle_##name(__VA_ARGS__); void __ubsan_handle_##name(__VA_ARGS__)

static void arith_overflow(struct overflow_data *d, value_handle a, value_handle b, char op) {
    char x[48], y[48];
    value_text(x, sizeof x, d->type, a);
    value_text(y, sizeof y, d->type, b);
    report(&d->loc, false, "%s integer overflow: %s %c %s cannot be represented in type %s",
           type_is_signed(d->type) ? "signed" : "unsigned", x, op, y, d->type->name);
}

HANDLER(add_overflow, struct overflow_data *d, value_handle a, value_handle b) { arith_overflow(d, a, b, '+'); }
HANDLER(sub_overflow, struct overflow_data *d, value_handle a, value_handle b) { arith_overflow(d, a, b, '-'); }
HANDLER(mul_overflow, struct overflow_data *d, value_handle a, value_handle b) { arith_overflow(d, a, b, '*'); }

HANDLER(negate_overflow, struct overflow_data *d, value_handle a) {
    char x[48];
    value_text(x, sizeof x, d->type, a);
    report(&d->loc, false, "negating %s cannot be represented in type %s", x, d->type->name);
}

HANDLER(divrem_overflow, struct overflow_data *d, value_handle a, value_handle b) {
    char x[48];
    value_text(x, sizeof x, d->type, a);
    if (type_is_int(d->type) && value_u64(d->type, b) == 0)
        report(&d->loc, false, "division of %s by zero (type %s)", x, d->type->name);
    else
        report(&d->loc, false, "dividing %s by -1 cannot be represented in type %s", x, d->type->name);
}

HANDLER(shift_out_of_bounds, struct shift_data *d, value_handle a, value_handle b) {
    char x[48], y[48];
    value_text(x, sizeof x, d->lhs_type, a);
    value_text(y, sizeof y, d->rhs_type, b);
    if (value_negative(d->rhs_type, b))
        report(&d->loc, false, "shift by a negative amount %s", y);
    else if (value_u64(d->rhs_type, b) >= type_bits(d->lhs_type))
        report(&d->loc, false, "shift by %s is too far for the %u-bit type %s", y, type_bits(d->lhs_type),
               d->lhs_type->name);
    else if (value_negative(d->lhs_type, a))
        report(&d->loc, false, "left shift of the negative value %s", x);
    else
        report(&d->loc, false, "left shift of %s by %s places cannot be represented in type %s", x, y,
               d->lhs_type->name);
}

HANDLER(out_of_bounds, struct out_of_bounds_data *d, value_handle index) {
    char i[48];
    value_text(i, sizeof i, d->index_type, index);
    report(&d->loc, false, "index %s is out of bounds for type %s", i, d->array_type->name);
}

HANDLER(type_mismatch_v1, struct type_mismatch_data *d, value_handle ptr) {
    /* The kinds of access, in GCC's numbering (ubsan_type_check_kind). */
    static const char *const how[] = {"load of",         "store to",          "reference binding to",
                                      "member access within", "member call on", "constructor call on",
                                      "downcast of",     "downcast of",       "upcast of",
                                      "cast to virtual base of", "_Nonnull binding to", "dynamic operation on"};
    const char *access = d->type_check_kind < ARRAY_SIZE(how) ? how[d->type_check_kind] : "access to";
    uint64_t p = (uint64_t)ptr, align = 1ULL << d->log_alignment;
    if (p == 0)
        report(&d->loc, false, "%s a null pointer of type %s", access, d->type->name);
    else if (d->log_alignment && (p & (align - 1)))
        report(&d->loc, false, "%s misaligned address %p for type %s, which needs %llu-byte alignment", access,
               ptr, d->type->name, (unsigned long long)align);
    else
        report(&d->loc, false, "%s address %p with too little room for an object of type %s", access, ptr,
               d->type->name);
}

HANDLER(builtin_unreachable, struct unreachable_data *d) {
    report(&d->loc, true, "execution reached __builtin_unreachable()");
    panic("UBSan: execution reached __builtin_unreachable() again"); /* reported before: still no way on */
}

HANDLER(missing_return, struct unreachable_data *d) {
    report(&d->loc, true, "the end of a value-returning function was reached without a return");
    panic("UBSan: a function ended without returning its value");
}

HANDLER(vla_bound_not_positive, struct overflow_data *d, value_handle bound) {
    char x[48];
    value_text(x, sizeof x, d->type, bound);
    report(&d->loc, false, "variable-length array bound %s is not positive", x);
}

HANDLER(load_invalid_value, struct invalid_value_data *d, value_handle v) {
    char x[48];
    value_text(x, sizeof x, d->type, v);
    report(&d->loc, false, "load of %s, which is no valid value of type %s", x, d->type->name);
}

HANDLER(nonnull_arg, struct nonnull_arg_data *d) {
    report(&d->loc, false, "a null pointer passed as argument %d, which is declared never null (%s:%u)",
           d->arg_index, d->attr_loc.file, d->attr_loc.line);
}

HANDLER(nonnull_return_v1, struct nonnull_return_data *d, const struct source_location *loc) {
    report(loc, false, "a null pointer returned from a function declared never to return null (%s:%u)",
           d->attr_loc.file, d->attr_loc.line);
}

HANDLER(pointer_overflow, struct pointer_overflow_data *d, value_handle base, value_handle result) {
    if (!base)
        report(&d->loc, false, "pointer arithmetic on a null pointer gave %p", result);
    else if (!result)
        report(&d->loc, false, "pointer arithmetic on %p gave a null pointer", base);
    else
        report(&d->loc, false, "pointer arithmetic on %p wrapped around to %p", base, result);
}

HANDLER(invalid_builtin, struct invalid_builtin_data *d) {
    report(&d->loc, false, "zero passed to %s, which is undefined for it",
           d->kind == 0 ? "__builtin_ctz()" : "__builtin_clz()");
}

HANDLER(alignment_assumption, struct alignment_assumption_data *d, value_handle ptr, value_handle align,
        value_handle offset) {
    report(&d->loc, false, "pointer %p (offset %llu) is not %llu-byte aligned as assumed at %s:%u", ptr,
           (unsigned long long)offset, (unsigned long long)align, d->assumption_loc.file,
           d->assumption_loc.line);
}
