/*
 * Basic types and small helper macros shared by lib/ and the kernel.
 * Freestanding: only compiler-provided headers.
 */
#ifndef LIB_TYPES_H
#define LIB_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* a must be a power of two; the result has the type of x (after promotion). */
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)   ALIGN_DOWN((x) + ((__typeof__(x))(a) - 1), (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

/* Statement expressions so each argument is evaluated exactly once. */
#define MIN(a, b)                                                            \
    ({ __typeof__(a) min_a_ = (a); __typeof__(b) min_b_ = (b);               \
       min_a_ < min_b_ ? min_a_ : min_b_; })
#define MAX(a, b)                                                            \
    ({ __typeof__(a) max_a_ = (a); __typeof__(b) max_b_ = (b);               \
       max_a_ > max_b_ ? max_a_ : max_b_; })

/* From a pointer to a member, get back the structure that contains it. */
#define container_of(ptr, type, member)                                      \
    ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
