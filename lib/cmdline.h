/*
 * Kernel command line parsing.
 *
 * The line is a sequence of tokens separated by spaces or tabs:
 *     key            bare key: val == NULL
 *     key=value      value runs to the next blank ("a=b=c" has value "b=c")
 *     key="v a l"    double quotes allow blanks; the quotes are not part of
 *                    the value; a missing closing quote takes the rest of the
 *                    line; anything glued after the closing quote is ignored
 * A token with an empty key ("=x") is skipped. Nothing is modified: options
 * point into the original string and carry lengths.
 */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include "lib/types.h"

struct cmdline_opt {
    const char *key;
    size_t key_len;
    const char *val;  /* NULL for a bare key; not NUL-terminated */
    size_t val_len;
};

/* Iterate: *cursor starts at the line and advances. False at the end. */
bool cmdline_next(const char **cursor, struct cmdline_opt *opt);

/*
 * Look key up (the last occurrence wins). If present, copies its value into
 * val (bare key: ""), truncated to valsz - 1 bytes and NUL-terminated when
 * valsz > 0, and returns true. val may be NULL when valsz is 0.
 */
bool cmdline_get(const char *cmdline, const char *key, char *val, size_t valsz);

/* Is o's key exactly key? */
bool cmdline_opt_is(const struct cmdline_opt *o, const char *key);

/* Decimal or 0x/0X hexadecimal; false on empty, junk or overflow. */
bool cmdline_parse_u64(const char *s, size_t len, uint64_t *out);

/*
 * Does the comma-separated list (len bytes, e.g. "smp,mem") name item, or
 * contain "all"? Empty elements are ignored; an empty item is never found.
 */
bool cmdline_list_contains(const char *list, size_t len, const char *item);

#endif
