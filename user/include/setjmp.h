/*
 * <setjmp.h>: newlib's, plus sigsetjmp/siglongjmp, which newlib offers
 * only for Cygwin and RTEMS. A signal handler that leaves by longjmp does
 * not go back through sigreturn, so the mask it ran with (its own signal
 * blocked) would stay; siglongjmp puts back the mask sigsetjmp saw.
 */
#ifndef TEACHOS_SETJMP_H
#define TEACHOS_SETJMP_H

#include_next <setjmp.h>
#include <signal.h>

typedef struct {
    jmp_buf jb;
    int savemask;
    sigset_t mask;
} sigjmp_buf[1];

/* A macro: setjmp must be called in the frame that later returns twice. */
#define sigsetjmp(env, save)                                                              \
    ((env)->savemask = (save), (save) ? (void)sigprocmask(SIG_BLOCK, NULL, &(env)->mask) \
                                      : (void)0,                                          \
     setjmp((env)->jb))
void siglongjmp(sigjmp_buf env, int value) __attribute__((__noreturn__));

#endif
