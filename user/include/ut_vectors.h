/*
 * The argv and envp that usertests hands to `ut_args check`, and that
 * ut_args checks it received: one definition, so the two cannot drift
 * apart. Includes an empty argument, one with a blank, a long argument and
 * a long environment string.
 */
#ifndef UT_VECTORS_H
#define UT_VECTORS_H

#include <string.h>

#define UT_CHECK_ARGC 7
#define UT_CHECK_ENVC 4

static char ut_long_arg[201], ut_long_env[160];

static void ut_check_vectors(char *argv[UT_CHECK_ARGC + 1], char *envp[UT_CHECK_ENVC + 1])
{
    for (int i = 0; i < 200; i++)
        ut_long_arg[i] = (char)('a' + i % 26);
    ut_long_arg[200] = '\0';
    strcpy(ut_long_env, "UT_LONG=");
    for (int i = 8; i < 159; i++)
        ut_long_env[i] = (char)('0' + i % 10);
    ut_long_env[159] = '\0';
    char *a[] = { "ut_args", "check", "hello", "a b", "", ut_long_arg, "last", NULL };
    char *e[] = { "UT_ONE=1", "UT_TWO=two words", "UT_EMPTY=", ut_long_env, NULL };
    memcpy(argv, a, sizeof a);
    memcpy(envp, e, sizeof e);
}

#endif
