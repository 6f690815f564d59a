/*
 * sh - a small shell for the console.
 *
 * Prints the prompt "$ ", reads a line, splits it into words (blanks
 * separate words; '...' and "..." keep blanks inside a word; an unquoted
 * '#' at the start of a word begins a comment) and runs the program named
 * by the first word with fork + execve, passing the environment on. The
 * file system is one flat archive, so there is no PATH: "ls", "./ls" and
 * "/ls" name the same file.
 *
 * A trailing "&" runs the program in the background: sh prints "[pid]" and
 * goes on; finished background jobs are reaped before each prompt and
 * reported as "[pid] done". A foreground program that ends abnormally is
 * reported ("sh: ls: killed by signal 11", "sh: x: exit 3").
 *
 * Built-ins: exit [code], wait (for all background jobs), jobs, help.
 * sh exits at end of input. Lines longer than MAXLINE-1 characters are cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"

#define MAXLINE 512
#define MAXARGS 64
#define MAXJOBS 64

extern char **environ;

static char *empty_env[] = { NULL };

static int jobs[MAXJOBS]; /* pids of running background jobs, 0 = free */

static char **env(void)
{
    return environ ? environ : empty_env;
}

/* ---- input: the console hands over a line per read, but piped input may
 * arrive in bigger pieces, so sh keeps its own buffer. ---- */

static char inbuf[1024];
static size_t inpos, inlen;
static int at_eof;

static int getch(void)
{
    while (inpos == inlen) {
        if (at_eof)
            return -1;
        ssize_t n = read(0, inbuf, sizeof inbuf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            at_eof = 1;
            return -1;
        }
        inpos = 0;
        inlen = (size_t)n;
    }
    return (unsigned char)inbuf[inpos++];
}

/* One line without its end into line[size]; 1 when a line was read (maybe
 * cut: *cut set), 0 at end of input. */
static int read_line(char *line, size_t size, int *cut)
{
    static int after_cr;
    size_t n = 0;
    int got = 0;

    *cut = 0;
    for (;;) {
        int c = getch();
        if (c < 0)
            break;
        if (c == '\n' && after_cr && !got) { /* the \n of a \r\n pair */
            after_cr = 0;
            continue;
        }
        after_cr = c == '\r';
        got = 1;
        if (c == '\n' || c == '\r')
            break;
        if (n < size - 1)
            line[n++] = (char)c;
        else
            *cut = 1;
    }
    line[n] = '\0';
    return got;
}

/* ---- parsing ---- */

/* Split line (in place) into argv; sets *bg for a trailing "&".
 * Returns the number of words, or -1 after printing a syntax error. */
static int parse(char *line, char **argv, int *bg)
{
    int argc = 0;
    char *in = line, *out = line;

    *bg = 0;
    for (;;) {
        while (*in == ' ' || *in == '\t')
            in++;
        if (*in == '\0' || *in == '#')
            break;
        if (*bg) {
            fprintf(stderr, "sh: syntax error: text after '&'\n");
            return -1;
        }
        if (*in == '&') {
            *bg = 1;
            in++;
            continue;
        }
        if (argc == MAXARGS) {
            fprintf(stderr, "sh: too many words (at most %d)\n", MAXARGS);
            return -1;
        }
        argv[argc++] = out;
        /* one word: copy it down, dropping quotes */
        char quote = 0;
        while (*in != '\0') {
            char c = *in;
            if (quote) {
                in++;
                if (c == quote)
                    quote = 0;
                else
                    *out++ = c;
            } else if (c == '\'' || c == '"') {
                quote = c;
                in++;
            } else if (c == ' ' || c == '\t' || c == '&') {
                break;
            } else {
                *out++ = c;
                in++;
            }
        }
        /* out never passes in, but the terminator may land on the
         * separator that stopped the word: look at it first */
        char next = *in;
        *out++ = '\0';
        if (next != '\0')
            in++;
        if (next == '&')
            *bg = 1;
    }
    argv[argc] = NULL;
    return argc;
}

/* ---- jobs ---- */

static void report_done(int pid, int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        printf("[%d] done\n", pid);
    else if (WIFEXITED(status))
        printf("[%d] done (exit %d)\n", pid, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("[%d] done (killed by signal %d)\n", pid, WTERMSIG(status));
    else
        printf("[%d] done (status 0x%x)\n", pid, status);
}

static void forget_job(int pid)
{
    for (int i = 0; i < MAXJOBS; i++)
        if (jobs[i] == pid)
            jobs[i] = 0;
}

/* Reap every child that has ended (block: wait for all of them). */
static void reap(int block)
{
    for (;;) {
        int status = 0;
        int pid = waitpid(-1, &status, block ? 0 : WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            break;
        forget_job(pid);
        report_done(pid, status);
    }
    fflush(stdout);
}

/* ---- running programs ---- */

/* The archive name of a command: "/x" and "./x" both mean "x". */
static const char *file_name(const char *cmd)
{
    for (;;) {
        if (cmd[0] == '/')
            cmd++;
        else if (cmd[0] == '.' && cmd[1] == '/')
            cmd += 2;
        else
            return cmd;
    }
}

static void run(char **argv, int bg)
{
    const char *path = file_name(argv[0]);
    int fd = *path ? open(path, O_RDONLY) : -1;

    if (fd < 0) {
        if (*path == '\0' || errno == ENOENT)
            fprintf(stderr, "sh: %s: not found\n", argv[0]);
        else
            fprintf(stderr, "sh: %s: %s\n", argv[0], strerror(errno));
        return;
    }
    close(fd);

    fflush(stdout);
    fflush(stderr);
    int pid = fork();
    if (pid < 0) {
        fprintf(stderr, "sh: fork: %s\n", strerror(errno));
        return;
    }
    if (pid == 0) {
        execve(path, argv, env());
        fprintf(stderr, "sh: %s: %s\n", argv[0], strerror(errno));
        _exit(126);
    }

    if (bg) {
        for (int i = 0; i < MAXJOBS; i++) {
            if (jobs[i] == 0) {
                jobs[i] = pid;
                break;
            }
        }
        printf("[%d]\n", pid);
        fflush(stdout);
        return;
    }

    int status = 0, w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    if (w != pid) {
        fprintf(stderr, "sh: waitpid %d: %s\n", pid, strerror(errno));
        return;
    }
    if (WIFSIGNALED(status))
        fprintf(stderr, "sh: %s: killed by signal %d\n", argv[0], WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 126)
        fprintf(stderr, "sh: %s: exit %d\n", argv[0], WEXITSTATUS(status));
}

/* ---- built-ins ---- */

static void help(void)
{
    printf("built-ins: exit [code], wait, jobs, help\n"
           "run a program: name [args...] [&]   ('...' and \"...\" quote, # comments)\n"
           "files:");
    struct abi_dirent d;
    int col = 6;
    for (int i = 0; i < 100000 && os_readdir(i, &d) == 1; i++) {
        int len = (int)strnlen(d.name, sizeof d.name);
        if (col + 1 + len > 78) {
            printf("\n      ");
            col = 6;
        }
        printf(" %.*s", len, d.name);
        col += 1 + len;
    }
    printf("\n");
}

/* 1 if argv[0] was a built-in (and has been done). */
static int builtin(int argc, char **argv)
{
    if (strcmp(argv[0], "exit") == 0) {
        int code = 0;
        if (argc > 1) {
            char *end;
            long v = strtol(argv[1], &end, 10);
            if (*argv[1] == '\0' || *end != '\0') {
                fprintf(stderr, "sh: exit: %s: not a number\n", argv[1]);
                return 1;
            }
            code = (int)(v & 0xff);
        }
        fflush(stdout);
        exit(code);
    }
    if (strcmp(argv[0], "wait") == 0) {
        reap(1);
        return 1;
    }
    if (strcmp(argv[0], "jobs") == 0) {
        for (int i = 0; i < MAXJOBS; i++)
            if (jobs[i])
                printf("[%d] running\n", jobs[i]);
        return 1;
    }
    if (strcmp(argv[0], "help") == 0) {
        help();
        return 1;
    }
    if (strcmp(argv[0], "cd") == 0) {
        fprintf(stderr, "sh: cd: there are no directories\n");
        return 1;
    }
    return 0;
}

int main(void)
{
    static char line[MAXLINE];
    char *argv[MAXARGS + 1];

    for (;;) {
        reap(0);
        fputs("$ ", stdout);
        fflush(stdout);

        int cut;
        if (!read_line(line, sizeof line, &cut)) {
            fputc('\n', stdout);
            break;
        }
        if (cut)
            fprintf(stderr, "sh: line too long, cut to %d characters\n", MAXLINE - 1);

        int bg;
        int argc = parse(line, argv, &bg);
        if (argc <= 0) {
            if (argc == 0 && bg)
                fprintf(stderr, "sh: syntax error: '&' without a command\n");
            continue;
        }
        if (!builtin(argc, argv))
            run(argv, bg);
        fflush(stdout);
    }
    fflush(stdout);
    return 0;
}
