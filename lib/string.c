/* The C string functions the kernel uses (GCC may also emit calls to
 * memcpy/memset/memmove/memcmp itself, even in freestanding code). */
#include "lib/string.h"
#include <stdint.h>

/*
 * memcpy, memset and memmove move 8 bytes per step with `rep movsq` /
 * `rep stosq` and only the unaligned head and the tail byte-wise. Under
 * emulation (QEMU TCG) every iteration of a string instruction is one
 * emulated step, so `rep movsb` alone costs a step per byte. The head
 * aligns the destination to 8 bytes, which also suits real hardware (SDM
 * vol. 1 7.3.9.3 and the optimization manual's advice on fast strings).
 * Every path expects DF = 0 on entry, as the ABI and the trap entry stubs
 * guarantee; the backward copy sets it and clears it again.
 */
#define WORD_MIN 16 /* shorter copies are not worth the set-up */

static void bytes_forward(unsigned char *d, const unsigned char *s, size_t n) {
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n)::"memory");
}

void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n >= WORD_MIN) {
        size_t head = -(uintptr_t)d & 7;
        bytes_forward(d, s, head);
        d += head, s += head, n -= head;
        size_t words = n / 8;
        __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(words)::"memory");
        n %= 8;
    }
    bytes_forward(d, s, n);
    return dst;
}

/* Highest byte first, for a destination above an overlapping source: the
 * tail up to an 8-byte boundary of the destination's end, whole words, then
 * the rest, each with DF = 1 (the string instructions then count down). */
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n) {
    size_t tail = n >= WORD_MIN ? (uintptr_t)(d + n) & 7 : n;
    unsigned char *dp = d + n - 1;
    const unsigned char *sp = s + n - 1;
    size_t c = tail;
    __asm__ volatile("std; rep movsb; cld" : "+D"(dp), "+S"(sp), "+c"(c)::"memory");
    n -= tail;
    if (n == 0)
        return;
    size_t words = n / 8;
    dp = d + n - 8;
    sp = s + n - 8;
    __asm__ volatile("std; rep movsq; cld" : "+D"(dp), "+S"(sp), "+c"(words)::"memory");
    c = n % 8;
    dp = d + c - 1;
    sp = s + c - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(dp), "+S"(sp), "+c"(c)::"memory");
}

void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    /* A forward copy is safe unless the destination starts inside the
     * source: each step reads only bytes no earlier step has written. */
    if ((uintptr_t)d - (uintptr_t)s >= n)
        memcpy(d, s, n);
    else if (d != s)
        copy_backward(d, s, n);
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    uint64_t pattern = (unsigned char)c * 0x0101010101010101ULL;
    if (n >= WORD_MIN) {
        size_t head = -(uintptr_t)d & 7;
        size_t k = head;
        __asm__ volatile("rep stosb" : "+D"(d), "+c"(k) : "a"(pattern) : "memory");
        n -= head;
        size_t words = n / 8;
        __asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
        n %= 8;
    }
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(pattern) : "memory");
    return dst;
}

/* Eight bytes at a time while they are equal; the first difference is then
 * found byte-wise (byte order decides, not the word's value). */
int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t wx, wy;
        __builtin_memcpy(&wx, x + i, 8);
        __builtin_memcpy(&wy, y + i, 8);
        if (wx != wy)
            break;
    }
    for (; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t maxlen) {
    size_t n = 0;
    while (n < maxlen && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b) {
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i] || !a[i])
            return (unsigned char)a[i] - (unsigned char)b[i];
    }
    return 0;
}

char *strchr(const char *s, int c) {
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

size_t str_copy(char *dst, const char *src, size_t size) {
    size_t n = strlen(src);
    size_t k = n < size - 1 ? n : size - 1;
    memcpy(dst, src, k);
    dst[k] = 0;
    return n;
}
