/*
 * Reader for "newc" cpio archives (the SVR4 portable format without CRC,
 * magic "070701", as written by `cpio -o -H newc`; see cpio(5)).
 *
 * Layout of one member: a 110-byte ASCII header (magic + 13 fields of 8 hex
 * digits), the name (namesize bytes including its NUL), padding to a multiple
 * of 4, then filesize bytes of data, padding to a multiple of 4. The archive
 * ends with a member named "TRAILER!!!". Offsets are relative to the archive
 * start, which is how the padding is defined.
 *
 * Returned names and data point into the archive; nothing is copied.
 */
#ifndef LIB_CPIO_H
#define LIB_CPIO_H

#include <stdint.h>
#include <stddef.h>

#define CPIO_HEADER_LEN 110

/* Error codes (negative returns) */
#define CPIO_EMAGIC (-1)     /* header does not start with "070701" */
#define CPIO_EHEX (-2)       /* a header field has a non-hex digit */
#define CPIO_ENAMESIZE (-3)  /* namesize is 0 */
#define CPIO_ENAME (-4)      /* name not NUL-terminated exactly at its end */
#define CPIO_ETRUNC (-5)     /* header, name or data runs past the end */
#define CPIO_ENOTRAILER (-6) /* archive ends without "TRAILER!!!" */
#define CPIO_EOFFSET (-7)    /* *offset past the end or not 4-aligned */
#define CPIO_EINVAL (-8)     /* NULL argument */

/* mode bits (cpio(5), as in stat(2)) */
#define CPIO_S_IFMT 0170000u
#define CPIO_S_IFDIR 0040000u
#define CPIO_S_IFREG 0100000u
#define CPIO_S_IFLNK 0120000u

struct cpio_entry {
    const char *name; /* NUL-terminated, inside the archive */
    size_t name_len;  /* without the NUL */
    const void *data;
    size_t size;
    uint32_t mode;
    uint32_t ino;
};

/*
 * Read the member at *offset (start with 0). Returns 1 and advances *offset
 * to the next member, 0 at the trailer (*offset is left on the trailer, so
 * calling again returns 0 again), or a negative CPIO_E* code.
 */
int cpio_next(const void *archive, size_t size, size_t *offset,
              struct cpio_entry *out);

/*
 * Find a member by path. Leading "/" and "./" (repeated) are ignored in
 * both the path and the member names, so "/bin/sh", "bin/sh" and
 * "./bin/sh" are the same; "/", "." and "" name the root ("." member).
 * Returns 1 (found, *out filled), 0 (not found) or a negative CPIO_E* code
 * if the archive is malformed before the member is found.
 */
int cpio_find(const void *archive, size_t size, const char *path,
              struct cpio_entry *out);

/* A static description of a CPIO_E* code. */
const char *cpio_strerror(int err);

#endif
