/*
 * "newc" cpio reader; see lib/cpio.h and cpio(5) for the format.
 */
#include "lib/cpio.h"
#include "lib/string.h"

#define MAGIC "070701"
#define MAGIC_LEN 6
#define FIELD_LEN 8
#define TRAILER "TRAILER!!!"

/* Header fields in order (cpio(5), "New ASCII Format"). */
enum field {
    F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE,
    F_DEVMAJOR, F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK,
    F_COUNT
};

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Parse all 13 fields; every digit must be hex (no spaces, no sign). */
static int parse_fields(const char *hdr, uint32_t f[F_COUNT])
{
    const char *p = hdr + MAGIC_LEN;
    for (int i = 0; i < F_COUNT; i++) {
        uint32_t v = 0;
        for (int d = 0; d < FIELD_LEN; d++) {
            int h = hex_value(*p++);
            if (h < 0)
                return CPIO_EHEX;
            v = v << 4 | (uint32_t)h;
        }
        f[i] = v;
    }
    return 0;
}

/* Round up to 4 without overflow; SIZE_MAX when it would overflow. */
static size_t align4(size_t x)
{
    return x > SIZE_MAX - 3 ? SIZE_MAX : (x + 3) & ~(size_t)3;
}

/* Name checks: namesize counts the NUL, which must be its last byte and the
 * only NUL (a name with an embedded NUL would not be the name it claims). */
static int check_name(const char *name, uint32_t namesize, size_t avail)
{
    if (namesize == 0)
        return CPIO_ENAMESIZE;
    if (namesize > avail)
        return CPIO_ETRUNC;
    if (strnlen(name, namesize) != namesize - 1)
        return CPIO_ENAME;
    return 0;
}

int cpio_next(const void *archive, size_t size, size_t *offset,
              struct cpio_entry *out)
{
    const char *a = archive;
    uint32_t f[F_COUNT];
    size_t off, data_off;
    int rc;

    if (!archive || !offset || !out)
        return CPIO_EINVAL;
    off = *offset;
    if (off > size)
        return CPIO_EOFFSET;
    if (off == size)
        return CPIO_ENOTRAILER;
    if (off & 3)
        return CPIO_EOFFSET;
    if (size - off < CPIO_HEADER_LEN)
        return CPIO_ETRUNC;
    if (memcmp(a + off, MAGIC, MAGIC_LEN) != 0)
        return CPIO_EMAGIC;
    rc = parse_fields(a + off, f);
    if (rc == 0)
        rc = check_name(a + off + CPIO_HEADER_LEN, f[F_NAMESIZE],
                        size - off - CPIO_HEADER_LEN);
    if (rc != 0)
        return rc;

    *out = (struct cpio_entry){
        .name = a + off + CPIO_HEADER_LEN,
        .name_len = f[F_NAMESIZE] - 1,
        .size = f[F_FILESIZE],
        .mode = f[F_MODE],
        .ino = f[F_INO],
    };
    if (strcmp(out->name, TRAILER) == 0)
        return 0; /* *offset stays on the trailer */

    /* off + 110 + namesize <= size was checked, so no overflow here. */
    data_off = align4(off + CPIO_HEADER_LEN + f[F_NAMESIZE]);
    if (data_off > size || f[F_FILESIZE] > size - data_off)
        return CPIO_ETRUNC;
    out->data = a + data_off;
    /* An archive cut inside the final padding still yields this entry;
     * *offset stops at size, so the next call reports the missing trailer. */
    *offset = align4(data_off + f[F_FILESIZE]);
    if (*offset > size)
        *offset = size;
    return 1;
}

/* Skip leading "/" and "./" so that "/a", "./a" and "a" compare equal;
 * a lone "." (the root directory member) becomes "". */
static const char *strip_prefix(const char *s)
{
    for (;;) {
        if (s[0] == '/')
            s++;
        else if (s[0] == '.' && s[1] == '/')
            s += 2;
        else if (s[0] == '.' && s[1] == '\0')
            s++;
        else
            return s;
    }
}

int cpio_find(const void *archive, size_t size, const char *path,
              struct cpio_entry *out)
{
    size_t off = 0;
    struct cpio_entry e;
    int rc;
    if (!path || !out)
        return CPIO_EINVAL;
    path = strip_prefix(path);
    while ((rc = cpio_next(archive, size, &off, &e)) == 1) {
        if (strcmp(strip_prefix(e.name), path) == 0) {
            *out = e;
            return 1;
        }
    }
    return rc;
}

const char *cpio_strerror(int err)
{
    switch (err) {
    case 1: return "entry";
    case 0: return "end of archive";
    case CPIO_EMAGIC: return "bad cpio magic (want newc \"070701\")";
    case CPIO_EHEX: return "non-hex digit in a cpio header field";
    case CPIO_ENAMESIZE: return "cpio name size is zero";
    case CPIO_ENAME: return "cpio name is not NUL-terminated at its size";
    case CPIO_ETRUNC: return "cpio header, name or data past the archive end";
    case CPIO_ENOTRAILER: return "cpio archive ends without TRAILER!!!";
    case CPIO_EOFFSET: return "bad cpio offset";
    case CPIO_EINVAL: return "invalid argument";
    default: return "unknown cpio error";
    }
}
