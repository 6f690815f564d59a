/*
 * ut_args - a helper of usertests that checks what execve handed it.
 *
 *   ut_args check ...   argv and envp must be exactly the ones below
 *                       (usertests builds the same); exit 0 if so, else a
 *                       code naming the first mismatch (see ut_args_code).
 *   ut_args noenv       the environment must be empty
 *   ut_args many N      argv must be {ut_args, many, N, a0, a1, ... a(N-1)}
 *   ut_args pid         exit with getpid() & 0x7f
 *   ut_args ppid P      exit 0 if getppid() == P, else 1
 *   ut_args exit N      return N from main
 *   anything else       print argc, argv[] and envp[], exit 0
 *
 * Codes: 2 wrong argc; 9 argv[argc] not NULL; 10+i argv[i] differs;
 * 30 wrong number of environment strings; 31+i envp[i] differs;
 * 40 environ is not envp; 41 getenv gives a wrong answer; 42 non-empty
 * environment for noenv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ut_vectors.h"

extern char **environ;

static int count(char **v)
{
    int n = 0;
    while (v[n])
        n++;
    return n;
}

static int check(int argc, char **argv, char **envp)
{
    char *xa[UT_CHECK_ARGC + 1], *xe[UT_CHECK_ENVC + 1];
    ut_check_vectors(xa, xe);

    if (argc != UT_CHECK_ARGC)
        return 2;
    if (argv[argc] != NULL)
        return 9;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], xa[i]) != 0)
            return 10 + i;
    if (count(envp) != UT_CHECK_ENVC)
        return 30;
    for (int i = 0; i < UT_CHECK_ENVC; i++)
        if (strcmp(envp[i], xe[i]) != 0)
            return 31 + i;
    if (environ != envp)
        return 40;
    const char *two = getenv("UT_TWO"), *empty = getenv("UT_EMPTY");
    if (!two || strcmp(two, "two words") != 0 || !empty || *empty != '\0' ||
        getenv("UT_MISSING") != NULL)
        return 41;
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    const char *mode = argc > 1 ? argv[1] : "";

    if (strcmp(mode, "check") == 0)
        return check(argc, argv, envp);
    if (strcmp(mode, "noenv") == 0)
        return envp[0] == NULL && (environ == NULL || environ[0] == NULL) ? 0 : 42;
    if (strcmp(mode, "many") == 0 && argc > 2) {
        int n = atoi(argv[2]);
        if (argc != n + 3)
            return 2;
        if (argv[argc] != NULL)
            return 9;
        for (int i = 0; i < n; i++) {
            char want[16];
            snprintf(want, sizeof want, "a%d", i);
            if (strcmp(argv[3 + i], want) != 0)
                return 10 + (i > 100 ? 100 : i);
        }
        return 0;
    }
    if (strcmp(mode, "pid") == 0)
        return getpid() & 0x7f;
    if (strcmp(mode, "ppid") == 0 && argc > 2)
        return getppid() == atoi(argv[2]) ? 0 : 1;
    if (strcmp(mode, "exit") == 0 && argc > 2)
        return atoi(argv[2]);

    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=\"%s\"\n", i, argv[i]);
    for (int i = 0; envp[i]; i++)
        printf("envp[%d]=\"%s\"\n", i, envp[i]);
    return 0;
}
