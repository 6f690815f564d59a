/*
 * trace - the kernel's per-CPU trace (docs/bench.md, "A trace of every CPU").
 *
 *   trace start [events]    record, `events` per CPU (default 8192)
 *   trace stop              stop recording (the buffers stay)
 *   trace dump              print the buffers ("trace: ..." lines)
 *   trace status            recording or not
 *   trace run [-e events] program [args...]
 *                           start, run the program, stop, dump
 *
 * Turn a console log with a dump into a picture:
 *   python3 tools/trace2json.py LOG --json t.json --png t.png
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"

static int usage(void)
{
    fprintf(stderr, "usage: trace start [events] | stop | dump | status | run [-e events] program [args...]\n");
    return 2;
}

static int call(int cmd, uint64_t arg, const char *what)
{
    int r = trace(cmd, arg);
    if (r < 0)
        fprintf(stderr, "trace: %s: %s\n", what, strerror(errno));
    return r;
}

static int run(int argc, char **argv)
{
    uint64_t events = 0;
    int i = 0;
    if (argc >= 2 && strcmp(argv[0], "-e") == 0) {
        events = strtoull(argv[1], NULL, 10);
        i = 2;
    }
    if (i >= argc)
        return usage();
    if (call(ABI_TRACE_START, events, "start") < 0)
        return 1;
    int pid = fork();
    if (pid == 0) {
        execv(argv[i], &argv[i]);
        fprintf(stderr, "trace: %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    int st = 0;
    if (pid > 0)
        waitpid(pid, &st, 0);
    call(ABI_TRACE_STOP, 0, "stop");
    fflush(stdout);
    if (call(ABI_TRACE_DUMP, 0, "dump") < 0)
        return 1;
    return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "start") == 0 && argc <= 3)
        return call(ABI_TRACE_START, argc == 3 ? strtoull(argv[2], NULL, 10) : 0, "start") < 0;
    if (strcmp(cmd, "stop") == 0 && argc == 2)
        return call(ABI_TRACE_STOP, 0, "stop") < 0;
    if (strcmp(cmd, "dump") == 0 && argc == 2) {
        fflush(stdout);
        return call(ABI_TRACE_DUMP, 0, "dump") < 0;
    }
    if (strcmp(cmd, "status") == 0 && argc == 2) {
        int on = call(ABI_TRACE_STATUS, 0, "status");
        if (on >= 0)
            printf("trace: %s\n", on ? "recording" : "not recording");
        return on < 0;
    }
    if (strcmp(cmd, "run") == 0)
        return run(argc - 2, argv + 2);
    return usage();
}
