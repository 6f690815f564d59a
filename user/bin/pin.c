/*
 * pin - run a program on chosen CPUs (setaffinity), like taskset.
 *
 *   pin CPU PROG [ARG...]          run PROG pinned to CPU, wait for it
 *   pin FIRST-LAST PROG [ARG...]   one copy of PROG pinned to each CPU of
 *                                  the range, all at once; wait for all
 *
 * The exit status is the first copy's that did not exit 0 (0 if all did).
 * Under `model=leader`, `pin 1-3 bench -t 2000 getpid` keeps three
 * followers calling the kernel while `cpus` shows the leader's share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"

static int parse_range(const char *s, int *first, int *last)
{
    char *end;
    long a = strtol(s, &end, 10), b = a;
    if (end == s || a < 0)
        return -1;
    if (*end == '-') {
        const char *t = end + 1;
        b = strtol(t, &end, 10);
        if (end == t || b < a)
            return -1;
    }
    if (*end || b >= ABI_MAX_CPUS)
        return -1;
    *first = (int)a;
    *last = (int)b;
    return 0;
}

int main(int argc, char **argv)
{
    int first, last;
    if (argc < 3 || parse_range(argv[1], &first, &last) < 0) {
        fprintf(stderr, "usage: pin CPU|FIRST-LAST PROG [ARG...]\n");
        return 2;
    }
    int pids[ABI_MAX_CPUS], n = 0;
    for (int cpu = first; cpu <= last; cpu++) {
        fflush(stdout);
        int pid = fork();
        if (pid < 0) {
            fprintf(stderr, "pin: fork: %s\n", strerror(errno));
            break;
        }
        if (pid == 0) {
            if (setaffinity(0, cpu) < 0) {
                fprintf(stderr, "pin: CPU %d: %s\n", cpu, strerror(errno));
                _exit(126);
            }
            execv(argv[2], argv + 2);
            fprintf(stderr, "pin: %s: %s\n", argv[2], strerror(errno));
            _exit(127);
        }
        pids[n++] = pid;
    }
    int result = 0;
    for (int i = 0; i < n; i++) {
        int st;
        if (waitpid(pids[i], &st, 0) == pids[i] && !result && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
            result = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    return result;
}
