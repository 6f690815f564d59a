/*
 * Host tests of lib/cpio.c. Archives are written by a small newc writer in
 * this file (so the suite is self-contained); every parse runs on an
 * exact-size heap copy so ASan catches any read past the archive. When the
 * host has cpio(1), an archive made by the real tool is read as well.
 */
#include "tests/host/htest.h"
#include "lib/cpio.h"

#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

static uint8_t ar[1 << 16];
static size_t ar_len;

/* ---- a newc writer (cpio(5)) ------------------------------------------- */

static void pad4(void)
{
    while (ar_len % 4)
        ar[ar_len++] = 0;
}

static void add_raw(const char *name, uint32_t namesize, const void *data,
                    uint32_t size, uint32_t mode, uint32_t ino)
{
    char hdr[CPIO_HEADER_LEN + 1];
    snprintf(hdr, sizeof hdr,
             "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             ino, mode, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, namesize, 0u);
    memcpy(ar + ar_len, hdr, CPIO_HEADER_LEN);
    ar_len += CPIO_HEADER_LEN;
    memcpy(ar + ar_len, name, namesize);
    ar_len += namesize;
    pad4();
    memcpy(ar + ar_len, data, size);
    ar_len += size;
    pad4();
}

static size_t add(const char *name, const void *data, uint32_t size,
                  uint32_t mode)
{
    size_t at = ar_len;
    static uint32_t ino = 100;
    add_raw(name, (uint32_t)strlen(name) + 1, data, size, mode, ino++);
    return at;
}

static size_t trailer(void)
{
    size_t at = ar_len;
    add_raw("TRAILER!!!", 11, "", 0, 0, 0);
    return at;
}

/* Names of every length mod 4 and data of every length mod 4. */
static size_t off_sh, off_motd, off_trailer;

static void build(void)
{
    memset(ar, 0, sizeof ar);
    ar_len = 0;
    add(".", "", 0, CPIO_S_IFDIR | 0755);
    add("bin", "", 0, CPIO_S_IFDIR | 0755);
    off_sh = add("bin/sh", "#!hello", 7, CPIO_S_IFREG | 0755);
    off_motd = add("etc/motd", "abc", 3, CPIO_S_IFREG | 0644);
    add("empty", "", 0, CPIO_S_IFREG | 0644);
    add("a", "12345678", 8, CPIO_S_IFREG | 0644);
    add("ab", "1", 1, CPIO_S_IFREG | 0644);
    add("abc", "12", 2, CPIO_S_IFREG | 0644);
    add("lnk", "bin/sh", 6, CPIO_S_IFLNK | 0777);
    off_trailer = trailer();
}

#define ENTRIES 9

static const char *const names[ENTRIES] = {
    ".", "bin", "bin/sh", "etc/motd", "empty", "a", "ab", "abc", "lnk",
};

static const char *const datas[ENTRIES] = {
    "", "", "#!hello", "abc", "", "12345678", "1", "12", "bin/sh",
};

/* Walk an exact-size copy; returns the final cpio_next code and the
 * number of entries seen, checking each lies inside the archive. */
static int walk(const void *src, size_t n, int *entries)
{
    uint8_t *copy = malloc(n ? n : 1);
    size_t off = 0;
    struct cpio_entry e;
    int rc;
    memcpy(copy, src, n);
    *entries = 0;
    while ((rc = cpio_next(copy, n, &off, &e)) == 1) {
        if ((const uint8_t *)e.data + e.size > copy + n ||
            (const uint8_t *)e.name + e.name_len >= copy + n ||
            e.name[e.name_len] != '\0' || off > n ||
            (off % 4 && off != n)) {
            rc = -100; /* an entry escaped the archive */
            break;
        }
        (*entries)++;
    }
    free(copy);
    return rc;
}

static int find(const void *src, size_t n, const char *path,
                struct cpio_entry *e, char *data, size_t cap)
{
    uint8_t *copy = malloc(n ? n : 1);
    int rc;
    memcpy(copy, src, n);
    rc = cpio_find(copy, n, path, e);
    if (rc == 1 && data && e->size < cap) {
        memcpy(data, e->data, e->size);
        data[e->size] = '\0';
    }
    if (rc == 1)
        e->name = e->data = NULL; /* they pointed into the copy */
    free(copy);
    return rc;
}

/* ---- valid archives ---------------------------------------------------- */

HTEST(walk_all_entries)
{
    size_t off = 0, prev;
    struct cpio_entry e;
    build();
    for (int i = 0; i < ENTRIES; i++) {
        HT_ASSERT_EQ(cpio_next(ar, ar_len, &off, &e), 1);
        HT_ASSERT_STREQ(e.name, names[i]);
        HT_ASSERT_EQ(e.name_len, strlen(names[i]));
        HT_ASSERT_EQ(e.size, strlen(datas[i]));
        HT_ASSERT(memcmp(e.data, datas[i], e.size) == 0);
        HT_ASSERT_EQ((const uint8_t *)e.data - ar,
                     ((const uint8_t *)e.name - ar + e.name_len + 1 + 3) & ~3);
        HT_ASSERT_EQ(off % 4, 0);
        HT_ASSERT_EQ(e.ino, 100 + i);
    }
    HT_ASSERT_EQ(off, off_trailer);
    prev = off;
    HT_ASSERT_EQ(cpio_next(ar, ar_len, &off, &e), 0);
    HT_ASSERT_STREQ(e.name, "TRAILER!!!");
    HT_ASSERT_EQ(off, prev); /* stays on the trailer */
    HT_ASSERT_EQ(cpio_next(ar, ar_len, &off, &e), 0);
}

HTEST(modes)
{
    size_t off = off_sh;
    struct cpio_entry e;
    build();
    HT_ASSERT_EQ(cpio_next(ar, ar_len, &off, &e), 1);
    HT_ASSERT_EQ(e.mode, CPIO_S_IFREG | 0755);
    HT_ASSERT_EQ(off, off_motd);
    off = 0;
    HT_ASSERT_EQ(cpio_next(ar, ar_len, &off, &e), 1);
    HT_ASSERT_EQ(e.mode & CPIO_S_IFMT, CPIO_S_IFDIR);
}

HTEST(walk_exact_copy)
{
    int n;
    build();
    HT_ASSERT_EQ(walk(ar, ar_len, &n), 0);
    HT_ASSERT_EQ(n, ENTRIES);
}

HTEST(find_paths)
{
    struct cpio_entry e;
    char data[64];
    static const char *const same[] = {
        "bin/sh", "/bin/sh", "./bin/sh", "//bin/sh", "././bin/sh", ".//bin/sh",
    };
    build();
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        HT_ASSERT_EQ(find(ar, ar_len, same[i], &e, data, sizeof data), 1);
        HT_ASSERT_STREQ(data, "#!hello");
        HT_ASSERT_EQ(e.size, 7);
    }
    HT_ASSERT_EQ(find(ar, ar_len, "etc/motd", &e, data, sizeof data), 1);
    HT_ASSERT_STREQ(data, "abc");
    HT_ASSERT_EQ(find(ar, ar_len, "/", &e, NULL, 0), 1);
    HT_ASSERT_EQ(e.mode & CPIO_S_IFMT, CPIO_S_IFDIR);
    HT_ASSERT_EQ(find(ar, ar_len, "", &e, NULL, 0), 1);
    HT_ASSERT_EQ(find(ar, ar_len, "empty", &e, NULL, 0), 1);
    HT_ASSERT_EQ(e.size, 0);
}

HTEST(find_misses)
{
    struct cpio_entry e;
    static const char *const miss[] = {
        "bin/s", "bin/sh/", "bin/shx", "sh", "BIN/SH", "TRAILER!!!",
        "etc", "../bin/sh", "bin//sh",
    };
    build();
    for (size_t i = 0; i < sizeof miss / sizeof miss[0]; i++)
        if (find(ar, ar_len, miss[i], &e, NULL, 0) != 0)
            HT_FAIL_AT("\"%s\" should not be found", miss[i]);
}

HTEST(find_dot_slash_names)
{
    struct cpio_entry e;
    char data[16];
    memset(ar, 0, sizeof ar);
    ar_len = 0;
    add("./init", "x", 1, CPIO_S_IFREG | 0755); /* `find . | cpio` style */
    add("/abs", "y", 1, CPIO_S_IFREG | 0644);
    add(".hidden", "z", 1, CPIO_S_IFREG | 0644);
    trailer();
    HT_ASSERT_EQ(find(ar, ar_len, "/init", &e, data, sizeof data), 1);
    HT_ASSERT_STREQ(data, "x");
    HT_ASSERT_EQ(find(ar, ar_len, "abs", &e, data, sizeof data), 1);
    HT_ASSERT_STREQ(data, "y");
    HT_ASSERT_EQ(find(ar, ar_len, "/.hidden", &e, data, sizeof data), 1);
    HT_ASSERT_STREQ(data, "z");
    HT_ASSERT_EQ(find(ar, ar_len, "hidden", &e, NULL, 0), 0);
}

HTEST(lowercase_hex_and_padding_after_trailer)
{
    int n;
    build();
    for (size_t i = 6; i < CPIO_HEADER_LEN; i++) /* first header's fields */
        if (ar[i] >= 'A' && ar[i] <= 'F')
            ar[i] += 'a' - 'A';
    ar_len += 512; /* cpio pads archives to a block size with zeros */
    HT_ASSERT_EQ(walk(ar, ar_len, &n), 0);
    HT_ASSERT_EQ(n, ENTRIES);
}

HTEST(empty_archive_with_trailer)
{
    int n;
    memset(ar, 0, sizeof ar);
    ar_len = 0;
    trailer();
    HT_ASSERT_EQ(walk(ar, ar_len, &n), 0);
    HT_ASSERT_EQ(n, 0);
    HT_ASSERT_EQ(walk(ar, CPIO_HEADER_LEN + 11, &n), 0); /* no padding */
}

/* ---- malformed archives ----------------------------------------------- */

static int first(void)
{
    int n;
    return walk(ar, ar_len, &n);
}

HTEST(bad_magic)
{
    static const char *const bad[] = {"070707", "070702", "070700", "170701",
                                      "07070 ", "\0\0\0\0\0\0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        build();
        memcpy(ar + off_motd, bad[i], 6);
        HT_ASSERT_EQ(first(), CPIO_EMAGIC);
    }
}

HTEST(non_hex_digit_in_every_field)
{
    static const char bad[] = {'g', 'G', ' ', '-', 'x', '\0', '/', ':', '@',
                               '`'};
    for (int field = 0; field < 13; field++) {
        for (size_t b = 0; b < sizeof bad; b++) {
            build();
            ar[off_motd + 6 + 8 * field + (b % 8)] = (uint8_t)bad[b];
            if (first() != CPIO_EHEX)
                HT_FAIL_AT("field %d char 0x%02x accepted", field, bad[b]);
        }
    }
}

/* Overwrite the 8-digit field `field` (0 = ino ... 11 = namesize) of the
 * header at `at`. */
static void set_field(size_t at, int field, uint32_t v)
{
    char digits[9];
    snprintf(digits, sizeof digits, "%08X", v);
    memcpy(ar + at + 6 + 8 * field, digits, 8);
}

enum { FIELD_FILESIZE = 6, FIELD_NAMESIZE = 11 };

HTEST(namesize_zero)
{
    build();
    set_field(off_motd, FIELD_NAMESIZE, 0);
    HT_ASSERT_EQ(first(), CPIO_ENAMESIZE);
}

HTEST(name_not_terminated)
{
    build();
    set_field(off_motd, FIELD_NAMESIZE, 8); /* "etc/motd" without its NUL */
    HT_ASSERT_EQ(first(), CPIO_ENAME);
    build();
    set_field(off_motd, FIELD_NAMESIZE, 4); /* NUL would be at 3: "etc" */
    HT_ASSERT_EQ(first(), CPIO_ENAME);
    build();
    ar[off_motd + CPIO_HEADER_LEN + 3] = '\0'; /* embedded NUL */
    HT_ASSERT_EQ(first(), CPIO_ENAME);
}

HTEST(name_past_end)
{
    build();
    set_field(off_motd, FIELD_NAMESIZE, 0xFFFFFFFFu);
    HT_ASSERT_EQ(first(), CPIO_ETRUNC);
    build();
    set_field(off_trailer, FIELD_NAMESIZE, 12);
    HT_ASSERT_EQ(walk(ar, off_trailer + CPIO_HEADER_LEN + 11, &(int){0}),
                 CPIO_ETRUNC);
}

HTEST(filesize_past_end)
{
    build();
    set_field(off_motd, FIELD_FILESIZE, 0xFFFFFFFFu);
    HT_ASSERT_EQ(first(), CPIO_ETRUNC);
    build();
    set_field(off_motd, FIELD_FILESIZE, (uint32_t)(ar_len - off_motd));
    HT_ASSERT_EQ(first(), CPIO_ETRUNC);
    build();
    /* data exactly reaching the end is fine, but then no trailer follows */
    set_field(off_motd, FIELD_FILESIZE,
              (uint32_t)(ar_len - (off_motd + CPIO_HEADER_LEN + 12)));
    HT_ASSERT_EQ(first(), CPIO_ENOTRAILER);
}

HTEST(filesize_changes_next_header)
{
    build();
    set_field(off_motd, FIELD_FILESIZE, 4); /* same padded size: harmless */
    HT_ASSERT_EQ(first(), 0);
    set_field(off_motd, FIELD_FILESIZE, 5); /* next header read 4 bytes late */
    HT_ASSERT_EQ(first(), CPIO_EMAGIC);
}

HTEST(missing_trailer)
{
    build();
    ar_len = off_trailer;
    HT_ASSERT_EQ(first(), CPIO_ENOTRAILER);
    HT_ASSERT_EQ(walk(ar, 0, &(int){0}), CPIO_ENOTRAILER);
    memcpy(ar + off_trailer + CPIO_HEADER_LEN, "TRAILER!!?", 10);
    ar_len = sizeof ar; /* followed by zeros: no magic */
    HT_ASSERT_EQ(first(), CPIO_EMAGIC);
}

HTEST(truncated_at_every_byte)
{
    size_t complete;
    build();
    complete = off_trailer + CPIO_HEADER_LEN + 11; /* through the NUL */
    for (size_t n = 0; n <= ar_len; n++) {
        int entries, rc = walk(ar, n, &entries);
        if (n < complete && rc >= 0)
            HT_FAIL_AT("length %zu: rc %d", n, rc);
        if (n >= complete && (rc != 0 || entries != ENTRIES))
            HT_FAIL_AT("length %zu: rc %d entries %d", n, rc, entries);
        if (rc == -100)
            HT_FAIL_AT("length %zu: entry escaped the archive", n);
    }
}

HTEST(bad_offsets)
{
    size_t off;
    struct cpio_entry e;
    build();
    off = 2;
    HT_ASSERT_EQ(cpio_next(ar, ar_len, &off, &e), CPIO_EOFFSET);
    off = ar_len + 4;
    HT_ASSERT_EQ(cpio_next(ar, ar_len, &off, &e), CPIO_EOFFSET);
    off = (size_t)-4;
    HT_ASSERT_EQ(cpio_next(ar, ar_len, &off, &e), CPIO_EOFFSET);
    off = ar_len; /* end without a trailer at this offset */
    HT_ASSERT_EQ(cpio_next(ar, ar_len, &off, &e), CPIO_ENOTRAILER);
}

HTEST(null_arguments)
{
    size_t off = 0;
    struct cpio_entry e;
    build();
    HT_ASSERT_EQ(cpio_next(NULL, 10, &off, &e), CPIO_EINVAL);
    HT_ASSERT_EQ(cpio_next(ar, ar_len, NULL, &e), CPIO_EINVAL);
    HT_ASSERT_EQ(cpio_next(ar, ar_len, &off, NULL), CPIO_EINVAL);
    HT_ASSERT_EQ(cpio_find(ar, ar_len, NULL, &e), CPIO_EINVAL);
    HT_ASSERT_EQ(cpio_find(ar, ar_len, "a", NULL), CPIO_EINVAL);
    HT_ASSERT_EQ(cpio_find(NULL, 0, "a", &e), CPIO_EINVAL);
}

HTEST(find_reports_malformed)
{
    struct cpio_entry e;
    build();
    ar[off_motd] = 'X';
    /* found before the damage, error when the damage comes first */
    HT_ASSERT_EQ(find(ar, ar_len, "bin/sh", &e, NULL, 0), 1);
    HT_ASSERT_EQ(find(ar, ar_len, "empty", &e, NULL, 0), CPIO_EMAGIC);
    HT_ASSERT_EQ(find(ar, ar_len, "nothing", &e, NULL, 0), CPIO_EMAGIC);
}

HTEST(strerror_messages)
{
    static const int codes[] = {CPIO_EMAGIC, CPIO_EHEX, CPIO_ENAMESIZE,
                                CPIO_ENAME, CPIO_ETRUNC, CPIO_ENOTRAILER,
                                CPIO_EOFFSET, CPIO_EINVAL};
    const int n = sizeof codes / sizeof codes[0];
    for (int i = 0; i < n; i++) {
        const char *m = cpio_strerror(codes[i]);
        HT_ASSERT(m && *m);
        HT_ASSERT(strcmp(m, cpio_strerror(-1000)) != 0);
        for (int j = 0; j < i; j++)
            HT_ASSERT(strcmp(m, cpio_strerror(codes[j])) != 0);
    }
    HT_ASSERT_STREQ(cpio_strerror(-1000), "unknown cpio error");
    HT_ASSERT(strstr(cpio_strerror(CPIO_EMAGIC), "070701") != NULL);
}

HTEST(random_corruption)
{
    uint32_t r = 4242;
    build();
    size_t len = ar_len;
    for (int iter = 0; iter < 20000; iter++) {
        int entries, rc;
        build();
        for (int k = 0; k < 1 + iter % 4; k++) {
            r = r * 1103515245u + 12345u;
            size_t at = (r >> 8) % len;
            r = r * 1103515245u + 12345u;
            /* mostly plausible header characters, sometimes anything */
            ar[at] = (r >> 30) ? (uint8_t)"0123456789ABCDEF\0"[(r >> 8) % 17]
                               : (uint8_t)(r >> 16);
        }
        rc = walk(ar, len, &entries);
        HT_ASSERT(rc != -100);
        HT_ASSERT(rc <= 0 && rc >= CPIO_EINVAL);
    }
}

/* ---- the real cpio(1) -------------------------------------------------- */

static void real_cpio_tool(int *ht_failed_)
{
    char dir[] = "/tmp/test_cpio_XXXXXX", cmd[512];
    static uint8_t buf[1 << 16];
    size_t n = 0;
    struct cpio_entry e;
    char data[64];
    FILE *f;
    int entries;
    HT_ASSERT(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p t/bin t/etc && printf 'hello\\n' > t/bin/hi &&"
             " printf 'odd' > t/etc/odd-length-name.txt && : > t/empty &&"
             " cd t && find . | LC_ALL=C sort | cpio -o -H newc --quiet"
             " > ../a.cpio", dir);
    if (system(cmd) == 0) {
        snprintf(cmd, sizeof cmd, "%s/a.cpio", dir);
        f = fopen(cmd, "rb");
        if (f) {
            n = fread(buf, 1, sizeof buf, f);
            fclose(f);
        }
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("    (could not remove %s)\n", dir);
    HT_ASSERT(n > 0);
    HT_ASSERT_EQ(walk(buf, n, &entries), 0);
    HT_ASSERT_EQ(entries, 6); /* . bin bin/hi empty etc etc/odd... */
    HT_ASSERT_EQ(find(buf, n, "/bin/hi", &e, data, sizeof data), 1);
    HT_ASSERT_STREQ(data, "hello\n");
    HT_ASSERT_EQ(e.mode & CPIO_S_IFMT, CPIO_S_IFREG);
    HT_ASSERT_EQ(find(buf, n, "etc/odd-length-name.txt", &e, data,
                      sizeof data), 1);
    HT_ASSERT_STREQ(data, "odd");
    HT_ASSERT_EQ(find(buf, n, "/etc", &e, NULL, 0), 1);
    HT_ASSERT_EQ(e.mode & CPIO_S_IFMT, CPIO_S_IFDIR);
    HT_ASSERT_EQ(find(buf, n, "/empty", &e, NULL, 0), 1);
    HT_ASSERT_EQ(e.size, 0);
}

int main(void)
{
    /* Registered only when the tool exists, so a pass means it ran. */
    if (access("/usr/bin/cpio", X_OK) == 0 && htest_count < HTEST_MAX)
        htest_table[htest_count++] =
            (struct htest){"real_cpio_tool", real_cpio_tool};
    else
        printf("SKIP cpio.real_cpio_tool (no /usr/bin/cpio)\n");
    return htest_main("cpio");
}
