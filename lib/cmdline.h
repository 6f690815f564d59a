/*
 * Kernel command line parsing.
 *
 * The line is a sequence of words separated by blanks (space, tab, newline).
 * Within a word, double quotes group characters, blanks included, and are
 * themselves dropped; a backslash takes the next character literally. That is
 * the form GRUB hands over: from `run="hello a b"` in grub.cfg the kernel gets
 * "run=hello a b" (GRUB quotes every argument that holds a space, and puts a
 * backslash before \, ' and "), and the word decodes to run=hello a b.
 * The decoded word is
 *     key            a bare key: val == NULL
 *     key=value      value is everything after the first '=' ("a=b=c": "b=c")
 * A malformed word comes back with `error` set and no key: a quote left open
 * (the word then runs to the end of the line), a backslash at the very end,
 * an empty key ("=x"), or a word longer than CMDLINE_WORD_CHARS characters.
 */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include "lib/types.h"

#define CMDLINE_WORD_CHARS 255 /* the longest word */
#define CMDLINE_WORD_MAX (CMDLINE_WORD_CHARS + 1)

struct cmdline_opt {
    const char *key;   /* into word[], key_len bytes (not NUL-terminated); NULL on error */
    size_t key_len;
    const char *val;   /* into word[], NUL-terminated; NULL for a bare key */
    size_t val_len;
    const char *error; /* NULL, or why the word is malformed ("has no option name") */
    const char *raw;   /* the word as it stands in the line, for messages */
    size_t raw_len;
    char word[CMDLINE_WORD_MAX]; /* the decoded word */
};

/* Iterate: *cursor starts at the line and advances. False at the end; true
 * for every word, malformed ones included (check opt->error). */
bool cmdline_next(const char **cursor, struct cmdline_opt *opt);

/*
 * Look key up among the well-formed words (the last occurrence wins). If
 * present, copies its value into
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
