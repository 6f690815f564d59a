/*
 * Host tests of lib/cmdline.c.
 */
#include "tests/host/htest.h"
#include "lib/cmdline.h"

#include <stdlib.h>

/* Render the whole iteration as "key=<val>|key|!raw|..." so one string says
 * it all; a malformed word shows as '!' and its raw text. */
static const char *tokens(const char *line) {
    static char out[8192];
    size_t n = 0;
    struct cmdline_opt o;
    const char *cur = line;
    out[0] = '\0';
    while (cmdline_next(&cur, &o)) {
        if (o.error) {
            n += (size_t)snprintf(out + n, sizeof(out) - n, "%s!%.*s", n ? "|" : "",
                                  (int)o.raw_len, o.raw);
            continue;
        }
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s", n ? "|" : "",
                              (int)o.key_len, o.key);
        if (o.val != NULL)
            n += (size_t)snprintf(out + n, sizeof(out) - n, "=<%.*s>",
                                  (int)o.val_len, o.val);
    }
    return out;
}

/* The error of the first word of line, or "" when it is well-formed. */
static const char *first_error(const char *line) {
    struct cmdline_opt o;
    const char *cur = line;
    if (!cmdline_next(&cur, &o))
        return "(no word)";
    return o.error ? o.error : "";
}

HTEST(empty_and_blank_lines) {
    HT_ASSERT_STREQ(tokens(""), "");
    HT_ASSERT_STREQ(tokens("   "), "");
    HT_ASSERT_STREQ(tokens(" \t \t"), "");
    HT_ASSERT_STREQ(tokens("\n"), "");
    const char *cur = NULL;
    struct cmdline_opt o;
    HT_ASSERT(!cmdline_next(&cur, &o));
}

HTEST(simple_tokens) {
    HT_ASSERT_STREQ(tokens("model=fine"), "model=<fine>");
    HT_ASSERT_STREQ(tokens("quiet"), "quiet");
    HT_ASSERT_STREQ(tokens("a=1 b c=3"), "a=<1>|b|c=<3>");
    HT_ASSERT_STREQ(tokens("  a=1\t\tb   c=3  "), "a=<1>|b|c=<3>");
    HT_ASSERT_STREQ(tokens("a=b=c"), "a=<b=c>");
    HT_ASSERT_STREQ(tokens("key= next"), "key=<>|next");
    HT_ASSERT_STREQ(tokens("/boot/kernel.elf model=bkl"), "/boot/kernel.elf|model=<bkl>");
}

HTEST(empty_value_differs_from_bare_key) {
    const char *cur = "k= j";
    struct cmdline_opt o;
    HT_ASSERT(cmdline_next(&cur, &o));
    HT_ASSERT(o.val != NULL);
    HT_ASSERT_EQ(o.val_len, 0);
    HT_ASSERT(cmdline_next(&cur, &o));
    HT_ASSERT(o.val == NULL);
    HT_ASSERT_EQ(o.val_len, 0);
    HT_ASSERT(!cmdline_next(&cur, &o));
    HT_ASSERT(!cmdline_next(&cur, &o)); /* stays at the end */
}

HTEST(quoted_values) {
    HT_ASSERT_STREQ(tokens("msg=\"hello world\" x"), "msg=<hello world>|x");
    HT_ASSERT_STREQ(tokens("msg=\"\" x"), "msg=<>|x");
    HT_ASSERT_STREQ(tokens("msg=\"a=b c\""), "msg=<a=b c>");
    HT_ASSERT_STREQ(tokens("msg=\"tab\there\""), "msg=<tab\there>");
    /* quotes group wherever they stand in a word, and are dropped */
    HT_ASSERT_STREQ(tokens("msg=\"a b\"glued c"), "msg=<a bglued>|c");
    HT_ASSERT_STREQ(tokens("a=x\"y z\"w b"), "a=<xy zw>|b");
    HT_ASSERT_STREQ(tokens("\"a\"=\"b\""), "a=<b>");
    HT_ASSERT_STREQ(tokens("a=\"\"\"\""), "a=<>");
}

HTEST(grub_quoting) {
    /* What GRUB 2.06 passes, seen in the kernel's "command line:" line, for
     * grub.cfg words run="hello a b c" x=it\'s y='a"b c' z=back\\slash
     * w=ab"c d"ef v="" u="one": */
    const char *grub = "\"run=hello a b c\" x=it\\'s \"y=a\\\"b c\" z=back\\\\slash "
                       "\"w=abc def\" v= u=one model=bkl";
    HT_ASSERT_STREQ(tokens(grub), "run=<hello a b c>|x=<it's>|y=<a\"b c>|z=<back\\slash>|"
                                  "w=<abc def>|v=<>|u=<one>|model=<bkl>");
    char v[64];
    HT_ASSERT(cmdline_get(grub, "run", v, sizeof v));
    HT_ASSERT_STREQ(v, "hello a b c");
    HT_ASSERT(cmdline_get(grub, "y", v, sizeof v));
    HT_ASSERT_STREQ(v, "a\"b c");
    /* a backslash takes any next character, a blank too */
    HT_ASSERT_STREQ(tokens("a=b\\ c d"), "a=<b c>|d");
    HT_ASSERT_STREQ(tokens("a\\=b c"), "a=b|c"); /* an escaped '=' is part of the key */
}

HTEST(malformed_words_are_errors) {
    /* an unterminated quote takes the rest of the line, as one bad word */
    HT_ASSERT_STREQ(tokens("a=1 msg=\"no end x=2"), "a=<1>|!msg=\"no end x=2");
    HT_ASSERT_STREQ(first_error("msg=\"no end x=2"), "has a \" without its closing \"");
    HT_ASSERT_STREQ(tokens("msg=\""), "!msg=\"");
    HT_ASSERT_STREQ(tokens("\"run=hello a"), "!\"run=hello a");
    /* a backslash with nothing after it */
    HT_ASSERT_STREQ(tokens("a=1 b=\\"), "a=<1>|!b=\\");
    HT_ASSERT_STREQ(first_error("b=\\"), "ends in a lone backslash");
    HT_ASSERT_STREQ(first_error("\\"), "ends in a lone backslash");
    /* well-formed words have no error */
    HT_ASSERT_STREQ(first_error("a=\"b c\""), "");
    HT_ASSERT_STREQ(first_error("bare"), "");
    /* a malformed word is not found by cmdline_get */
    char v[8] = "keep";
    HT_ASSERT(!cmdline_get("run=\"x y", "run", v, sizeof v));
    HT_ASSERT_STREQ(v, "keep");
}

HTEST(empty_keys_are_errors) {
    HT_ASSERT_STREQ(tokens("=x"), "!=x");
    HT_ASSERT_STREQ(first_error("=x"), "has no option name");
    HT_ASSERT_STREQ(tokens("= a"), "!=|a");
    HT_ASSERT_STREQ(tokens("a =b c"), "a|!=b|c");
    HT_ASSERT_STREQ(tokens("=\"x y\" z"), "!=\"x y\"|z"); /* the quoted part too */
    HT_ASSERT_STREQ(tokens("==="), "!===");
    HT_ASSERT_STREQ(tokens("\"\" a"), "!\"\"|a"); /* a word that decodes to nothing */
}

HTEST(opt_is_exact) {
    const char *cur = "model=fine modelx mod";
    struct cmdline_opt o;
    HT_ASSERT(cmdline_next(&cur, &o));
    HT_ASSERT(cmdline_opt_is(&o, "model"));
    HT_ASSERT(!cmdline_opt_is(&o, "mode"));
    HT_ASSERT(!cmdline_opt_is(&o, "models"));
    HT_ASSERT(!cmdline_opt_is(&o, ""));
    HT_ASSERT(cmdline_next(&cur, &o));
    HT_ASSERT(!cmdline_opt_is(&o, "model"));
    HT_ASSERT(cmdline_opt_is(&o, "modelx"));
    HT_ASSERT(cmdline_next(&cur, &o));
    HT_ASSERT(cmdline_opt_is(&o, "mod"));
}

HTEST(get_last_occurrence_wins) {
    char v[32];
    HT_ASSERT(cmdline_get("model=bkl cpus=2 model=fine", "model", v, sizeof(v)));
    HT_ASSERT_STREQ(v, "fine");
    HT_ASSERT(cmdline_get("model=bkl model", "model", v, sizeof(v)));
    HT_ASSERT_STREQ(v, ""); /* bare key last */
    HT_ASSERT(cmdline_get("model model=leader", "model", v, sizeof(v)));
    HT_ASSERT_STREQ(v, "leader");
}

HTEST(get_missing_leaves_buffer_alone) {
    char v[8] = "keep";
    HT_ASSERT(!cmdline_get("a=1 b=2", "c", v, sizeof(v)));
    HT_ASSERT_STREQ(v, "keep");
    HT_ASSERT(!cmdline_get("", "a", v, sizeof(v)));
    HT_ASSERT(!cmdline_get(NULL, "a", v, sizeof(v)));
    HT_ASSERT(!cmdline_get("abc=1", "ab", v, sizeof(v)));
    HT_ASSERT(!cmdline_get("x=abc", "abc", v, sizeof(v))); /* values are not keys */
    HT_ASSERT_STREQ(v, "keep");
}

HTEST(get_truncates_safely) {
    char v[5];
    memset(v, 'Z', sizeof(v));
    HT_ASSERT(cmdline_get("k=abcdefgh", "k", v, sizeof(v)));
    HT_ASSERT_STREQ(v, "abcd");
    char one[1] = { 'Z' };
    HT_ASSERT(cmdline_get("k=abc", "k", one, 1));
    HT_ASSERT_EQ(one[0], '\0');
    HT_ASSERT(cmdline_get("k=abc", "k", NULL, 0)); /* presence only */
    char exact[4];
    HT_ASSERT(cmdline_get("k=abc", "k", exact, sizeof(exact)));
    HT_ASSERT_STREQ(exact, "abc");
}

HTEST(longest_word) {
    /* CMDLINE_WORD_CHARS characters fit; one more is an error, not a cut */
    char line[CMDLINE_WORD_MAX + 8];
    memset(line, 'v', sizeof line);
    memcpy(line, "k=", 2);
    line[CMDLINE_WORD_CHARS] = '\0';
    char v[CMDLINE_WORD_MAX];
    HT_ASSERT(cmdline_get(line, "k", v, sizeof v));
    HT_ASSERT_EQ(strlen(v), CMDLINE_WORD_CHARS - 2);
    line[CMDLINE_WORD_CHARS] = 'v';
    line[CMDLINE_WORD_CHARS + 1] = '\0';
    HT_ASSERT_STREQ(first_error(line), "is longer than 255 characters");
    HT_ASSERT(!cmdline_get(line, "k", v, sizeof v));
}

HTEST(very_long_values) {
    /* heap-allocated and exact size: ASan sees any overrun */
    size_t n = 100000;
    char *line = malloc(n + 8);
    HT_ASSERT(line != NULL);
    memcpy(line, "big=", 4);
    memset(line + 4, 'v', n);
    memcpy(line + 4 + n, " x", 3);
    struct cmdline_opt o;
    const char *cur = line;
    bool first = cmdline_next(&cur, &o);
    const char *err = o.error;
    size_t raw_len = o.raw_len;
    bool second = cmdline_next(&cur, &o) && !o.error && cmdline_opt_is(&o, "x");
    char small[16] = "keep";
    bool got_big = cmdline_get(line, "big", small, sizeof(small));
    bool got_x = cmdline_get(line, "x", small, sizeof(small));
    free(line);
    HT_ASSERT(first && err != NULL);
    HT_ASSERT_EQ(raw_len, n + 4);   /* the whole word is skipped, not cut */
    HT_ASSERT(second);
    HT_ASSERT(!got_big && got_x);
    HT_ASSERT_STREQ(small, "");
}

HTEST(get_quoted) {
    char v[32];
    HT_ASSERT(cmdline_get("init=\"/bin/sh -c ls\" quiet", "init", v, sizeof(v)));
    HT_ASSERT_STREQ(v, "/bin/sh -c ls");
    HT_ASSERT(cmdline_get("quiet", "quiet", v, sizeof(v)));
    HT_ASSERT_STREQ(v, "");
}

static bool u64(const char *s, uint64_t *out) {
    return cmdline_parse_u64(s, strlen(s), out);
}

HTEST(parse_u64_accepts) {
    uint64_t v = 99;
    HT_ASSERT(u64("0", &v) && v == 0);
    HT_ASSERT(u64("42", &v) && v == 42);
    HT_ASSERT(u64("007", &v) && v == 7); /* decimal, not octal */
    HT_ASSERT(u64("0x10", &v) && v == 16);
    HT_ASSERT(u64("0XfF", &v) && v == 255);
    HT_ASSERT(u64("0x0", &v) && v == 0);
    HT_ASSERT(u64("18446744073709551615", &v) && v == UINT64_MAX);
    HT_ASSERT(u64("0xffffffffffffffff", &v) && v == UINT64_MAX);
    HT_ASSERT(u64("0x00000000000000000001", &v) && v == 1); /* leading zeros */
    /* the length bounds the number, not a NUL */
    HT_ASSERT(cmdline_parse_u64("123abc", 3, &v) && v == 123);
}

HTEST(parse_u64_rejects) {
    uint64_t v = 99;
    HT_ASSERT(!u64("", &v));
    HT_ASSERT(!u64("0x", &v));
    HT_ASSERT(!u64("x10", &v));
    HT_ASSERT(!u64("-1", &v));
    HT_ASSERT(!u64("+1", &v));
    HT_ASSERT(!u64(" 1", &v));
    HT_ASSERT(!u64("1 ", &v));
    HT_ASSERT(!u64("12a", &v));
    HT_ASSERT(!u64("0x1g", &v));
    HT_ASSERT(!u64("1k", &v));
    HT_ASSERT(!u64("18446744073709551616", &v));   /* 2^64 */
    HT_ASSERT(!u64("99999999999999999999", &v));
    HT_ASSERT(!u64("0x10000000000000000", &v));    /* 2^64 */
    HT_ASSERT(!cmdline_parse_u64(NULL, 0, &v));
    HT_ASSERT_EQ(v, 99); /* untouched on failure */
}

static bool has(const char *list, const char *item) {
    return cmdline_list_contains(list, strlen(list), item);
}

HTEST(list_contains) {
    HT_ASSERT(has("smp,mem", "smp"));
    HT_ASSERT(has("smp,mem", "mem"));
    HT_ASSERT(!has("smp,mem", "sm"));
    HT_ASSERT(!has("smp,mem", "smpx"));
    HT_ASSERT(!has("smp,mem", "smp,mem"));
    HT_ASSERT(has("smp", "smp"));
    HT_ASSERT(!has("", "smp"));
    HT_ASSERT(has(",,smp,,", "smp"));
    HT_ASSERT(!has(",,,", "smp"));
    HT_ASSERT(!has("smp,mem", ""));
    HT_ASSERT(!has("a,,b", ""));
    HT_ASSERT(has("all", "anything"));
    HT_ASSERT(has("smp,all", "mem"));
    HT_ASSERT(!has("allx,xall", "mem"));
    HT_ASSERT(!cmdline_list_contains(NULL, 0, "smp"));
    /* the length bounds the list: "smp,mem" cut after "smp,me" */
    HT_ASSERT(!cmdline_list_contains("smp,mem", 6, "mem"));
    HT_ASSERT(cmdline_list_contains("smp,mem", 6, "me"));
    HT_ASSERT(!cmdline_list_contains("smp,mem", 0, "smp"));
}

HTEST(list_from_an_option_value) {
    const char *cur = "test=smp,locks model=fine";
    struct cmdline_opt o;
    HT_ASSERT(cmdline_next(&cur, &o));
    HT_ASSERT(cmdline_opt_is(&o, "test"));
    HT_ASSERT(cmdline_list_contains(o.val, o.val_len, "locks"));
    HT_ASSERT(!cmdline_list_contains(o.val, o.val_len, "model"));
    HT_ASSERT(!cmdline_list_contains(o.val, o.val_len, "fine"));
}

int main(void) {
    return htest_main("cmdline");
}
