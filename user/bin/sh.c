/*
 * sh - a small shell for the console.
 *
 * Prints the prompt "$ ", reads a line, splits it into words (blanks
 * separate words; '...' and "..." keep blanks inside a word; an unquoted
 * '#' at the start of a word begins a comment) and runs the program named
 * by the first word with fork + execve, passing the environment on. A
 * name without '/' is a program of the initrd, else of the first $PATH
 * directory that has it (/bin on the disk); a name with '/' is that file.
 *
 * Redirections and pipelines: "< file" reads stdin from file, "> file"
 * writes stdout to it (created or emptied), ">> file" appends; "a | b | c"
 * connects each program's stdout to the next one's stdin (pipe(), dup2()).
 *
 * A trailing "&" runs the program in the background: sh prints "[pid]" and
 * goes on; finished background jobs are reaped before each prompt and
 * reported as "[pid] done". A foreground program that ends abnormally is
 * reported ("sh: ls: killed by signal 11", "sh: x: exit 3").
 *
 * Ctrl-C (docs/processes.md "Signals"): the console sends SIGINT to every
 * process of its OS instance but init, as a V7 terminal did to its process
 * group. An interactive sh catches it: a read at the prompt or a wait for
 * the foreground job is interrupted, and sh goes on; the foreground job
 * has SIGINT at the default (exec resets the handler) and ends; background
 * jobs are started with SIGINT ignored, so they go on.
 *
 * Built-ins: exit [code], wait (for all background jobs), jobs, help,
 * cd [dir] (default /), pwd.
 * sh exits at end of input. Lines longer than MAXLINE-1 characters are cut.
 *
 * sh -c "command": run that one command line (each line of it, if it has
 * several) instead of reading the console, with no prompt, and exit with
 * the status of the last command: its exit code, 128 + the signal that
 * killed it, 127 when it was not found, 2 after a syntax error. This is
 * how system() and popen() run commands (user/lib/posix.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"

#define MAXLINE 512
#define MAXARGS 64
#define MAXJOBS 64
#define MAXSTAGES 8

/* One program of a pipeline, with its redirections. */
struct stage {
    char *argv[MAXARGS + 1];
    int argc;
    char *in, *out;     /* < file, > file or >> file; NULL: none */
    int append;
};

extern char **environ;

static char *empty_env[] = { NULL };

static int jobs[MAXJOBS]; /* pids of running background jobs, 0 = free */
static int last_status;   /* of the last command, as sh -c exits with it */
static int interactive = 1; /* 0 under -c: no prompt, no "exit N" reports */

static char **env(void)
{
    return environ ? environ : empty_env;
}

/* ---- input: the console hands over a line per read, but piped input may
 * arrive in bigger pieces, so sh keeps its own buffer. ---- */

static char inbuf[1024];
static size_t inpos, inlen;
static int at_eof;
static volatile sig_atomic_t interrupted; /* Ctrl-C since the last prompt */

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int getch(void)
{
    while (inpos == inlen) {
        if (at_eof)
            return -1;
        ssize_t n = read(0, inbuf, sizeof inbuf);
        if (n < 0 && errno == EINTR) {
            if (interrupted) { /* Ctrl-C at the prompt: the console dropped the line */
                interrupted = 0;
                fputs("$ ", stdout);
                fflush(stdout);
            }
            continue;
        }
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

/* Split line (in place) into the stages of a pipeline; sets *bg for a
 * trailing "&". Returns the number of stages (0: empty line), or -1 after
 * printing a syntax error. Operators: | < > >> & (outside quotes). */
static int parse(char *line, struct stage *st, int *bg)
{
    static char words[2 * MAXLINE];
    int n = 0;
    char *in = line, *out = words;
    char **want = NULL; /* the redirection whose file name comes next */

    *bg = 0;
    memset(&st[0], 0, sizeof st[0]);
    for (;;) {
        while (*in == ' ' || *in == '\t')
            in++;
        if (*in == '\0' || *in == '#')
            break;
        if (*bg) {
            fprintf(stderr, "sh: syntax error: text after '&'\n");
            return -1;
        }
        char c = *in;
        if (c == '&' || c == '|' || c == '<' || c == '>') {
            if (want) {
                fprintf(stderr, "sh: syntax error: a file name must follow '<' or '>'\n");
                return -1;
            }
            in++;
            if (c == '&') {
                *bg = 1;
            } else if (c == '|') {
                if (st[n].argc == 0) {
                    fprintf(stderr, "sh: syntax error: '|' without a command before it\n");
                    return -1;
                }
                if (++n == MAXSTAGES) {
                    fprintf(stderr, "sh: too many programs in a pipeline (at most %d)\n", MAXSTAGES);
                    return -1;
                }
                memset(&st[n], 0, sizeof st[n]);
            } else if (c == '<') {
                want = &st[n].in;
            } else {
                st[n].append = *in == '>';
                if (st[n].append)
                    in++;
                want = &st[n].out;
            }
            continue;
        }
        if (!want && st[n].argc == MAXARGS) {
            fprintf(stderr, "sh: too many words (at most %d)\n", MAXARGS);
            return -1;
        }
        char *word = out; /* words are copied to their own buffer, unquoted */
        char quote = 0;
        while (*in != '\0') {
            c = *in;
            if (quote) {
                in++;
                if (c == quote)
                    quote = 0;
                else
                    *out++ = c;
            } else if (c == '\'' || c == '"') {
                quote = c;
                in++;
            } else if (c == ' ' || c == '\t' || c == '&' || c == '|' || c == '<' || c == '>') {
                break;
            } else {
                *out++ = c;
                in++;
            }
        }
        *out++ = '\0';
        if (want) {
            *want = word;
            want = NULL;
        } else {
            st[n].argv[st[n].argc++] = word;
        }
    }
    if (want) {
        fprintf(stderr, "sh: syntax error: a file name must follow '<' or '>'\n");
        return -1;
    }
    if (st[n].argc == 0) {
        if (n > 0) {
            fprintf(stderr, "sh: syntax error: '|' without a command after it\n");
            return -1;
        }
        return 0;
    }
    return n + 1;
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

/* Where a command's program is: "x" is the initrd's x if it has one, else
 * x in the first directory of $PATH that has it (init sets PATH=/bin, the
 * disk's programs; /bin when PATH is unset); a name with '/' is that file
 * ("/x" and "./x" still find the initrd's x). Fills path; 0, or -1 with
 * errno. */
static int find_program(const char *cmd, char *path, size_t size)
{
    if (!*cmd) {
        errno = ENOENT;
        return -1;
    }
    int fd = open(cmd, O_RDONLY);
    if (fd >= 0 || strchr(cmd, '/')) {
        if (fd < 0)
            return -1;
        close(fd);
        snprintf(path, size, "%s", cmd);
        return 0;
    }
    int saved = errno;
    const char *dirs = getenv("PATH");
    if (!dirs)
        dirs = "/bin";
    for (const char *d = dirs;;) {
        const char *end = strchr(d, ':');
        int len = end ? (int)(end - d) : (int)strlen(d);
        char cand[256];
        /* an empty entry is the working directory, which open(cmd) tried */
        if (len > 0 && snprintf(cand, sizeof cand, "%.*s/%s", len, d, cmd) < (int)sizeof cand &&
            (fd = open(cand, O_RDONLY)) >= 0) {
            close(fd);
            snprintf(path, size, "%s", cand);
            return 0;
        }
        if (!end)
            break;
        d = end + 1;
    }
    errno = saved;
    return -1;
}

/* In the child: stdin/stdout from the redirections. */
static int redirect(const struct stage *st)
{
    if (st->in) {
        int fd = open(st->in, O_RDONLY);
        if (fd < 0 || dup2(fd, 0) < 0) {
            fprintf(stderr, "sh: %s: %s\n", st->in, strerror(errno));
            return -1;
        }
        close(fd);
    }
    if (st->out) {
        int fd = open(st->out, O_WRONLY | O_CREAT | (st->append ? O_APPEND : O_TRUNC), 0644);
        if (fd < 0 || dup2(fd, 1) < 0) {
            fprintf(stderr, "sh: %s: %s\n", st->out, strerror(errno));
            return -1;
        }
        close(fd);
    }
    return 0;
}

/* The command's status as the shell reports it ($?). */
static int wait_for(int pid, const char *name)
{
    int status = 0, w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    if (w != pid) {
        fprintf(stderr, "sh: waitpid %d: %s\n", pid, strerror(errno));
        return 1;
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGINT) /* Ctrl-C: the user knows */
        fprintf(stderr, "sh: %s: killed by signal %d\n", name, WTERMSIG(status));
    else if (interactive && WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 126)
        fprintf(stderr, "sh: %s: exit %d\n", name, WEXITSTATUS(status));
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Start every stage, each reading the previous one's pipe. */
static void run(struct stage *st, int n, int bg)
{
    static char paths[MAXSTAGES][256];
    for (int i = 0; i < n; i++)
        if (find_program(st[i].argv[0], paths[i], sizeof paths[i]) < 0) {
            if (errno == ENOENT)
                fprintf(stderr, "sh: %s: not found\n", st[i].argv[0]);
            else
                fprintf(stderr, "sh: %s: %s\n", st[i].argv[0], strerror(errno));
            last_status = errno == ENOENT ? 127 : 126;
            return;
        }
    int pids[MAXSTAGES], prev_read = -1;
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < n; i++) {
        int p[2] = { -1, -1 };
        if (i + 1 < n && pipe(p) < 0) {
            fprintf(stderr, "sh: pipe: %s\n", strerror(errno));
            n = i;
            break;
        }
        int pid = fork();
        if (pid < 0) {
            fprintf(stderr, "sh: fork: %s\n", strerror(errno));
            if (p[0] >= 0)
                close(p[0]), close(p[1]);
            n = i;
            break;
        }
        if (pid == 0) {
            if (bg)
                signal(SIGINT, SIG_IGN); /* stays ignored across exec: Ctrl-C is not for it */
            if (prev_read >= 0) {
                dup2(prev_read, 0);
                close(prev_read);
            }
            if (p[1] >= 0) {
                dup2(p[1], 1);
                close(p[1]);
                close(p[0]);
            }
            if (redirect(&st[i]) < 0)
                _exit(126);
            execve(paths[i], st[i].argv, env());
            fprintf(stderr, "sh: %s: %s\n", st[i].argv[0], strerror(errno));
            _exit(126);
        }
        pids[i] = pid;
        if (prev_read >= 0)
            close(prev_read);
        if (p[1] >= 0)
            close(p[1]);
        prev_read = p[0];
    }
    if (prev_read >= 0)
        close(prev_read);

    if (bg) {
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < MAXJOBS; i++) {
                if (jobs[i] == 0) {
                    jobs[i] = pids[k];
                    break;
                }
            }
            printf("[%d]\n", pids[k]);
        }
        fflush(stdout);
        last_status = 0;
        return;
    }
    last_status = 1; /* nothing started */
    for (int k = 0; k < n; k++)
        last_status = wait_for(pids[k], st[k].argv[0]); /* a pipeline's is its last program's */
}

/* ---- built-ins ---- */

static void help(void)
{
    printf("built-ins: exit [code], wait, jobs, help, cd [dir], pwd\n"
           "run a program: name [args...] [< in] [> out | >> out] [| name ...] [&]\n"
           "               ('...' and \"...\" quote, # comments)\n"
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
        const char *dir = argc > 1 ? argv[1] : "/";
        if (chdir(dir) < 0) {
            fprintf(stderr, "sh: cd: %s: %s\n", dir, strerror(errno));
            last_status = 1;
        }
        return 1;
    }
    if (strcmp(argv[0], "pwd") == 0) {
        char buf[256];
        if (getcwd(buf, sizeof buf)) {
            printf("%s\n", buf);
        } else {
            fprintf(stderr, "sh: pwd: %s\n", strerror(errno));
            last_status = 1;
        }
        return 1;
    }
    return 0;
}

/* One command line (changed in place by the parser). */
static void run_line(char *line)
{
    static struct stage st[MAXSTAGES];
    int bg;
    int n = parse(line, st, &bg);
    if (n <= 0) {
        if (n == 0 && bg)
            fprintf(stderr, "sh: syntax error: '&' without a command\n");
        if (n < 0 || bg)
            last_status = 2;
        return;
    }
    last_status = 0;
    if (n > 1 || st[0].in || st[0].out || bg || !builtin(st[0].argc, st[0].argv))
        run(st, n, bg);
    fflush(stdout);
}

/* sh -c: each line of cmd in turn; the status of the last. */
static int run_string(const char *cmd)
{
    static char line[MAXLINE];
    interactive = 0;
    while (*cmd) {
        const char *end = strchr(cmd, '\n');
        size_t len = end ? (size_t)(end - cmd) : strlen(cmd);
        if (len >= sizeof line) {
            fprintf(stderr, "sh: -c: line longer than %d characters\n", MAXLINE - 1);
            return 2;
        }
        memcpy(line, cmd, len);
        line[len] = '\0';
        run_line(line);
        cmd += len + (end ? 1 : 0);
    }
    reap(1); /* background jobs of the string: wait for them, as its end is ours */
    fflush(stdout);
    return last_status;
}

int main(int argc, char **argv)
{
    static char line[MAXLINE];

    if (argc > 1) {
        if (strcmp(argv[1], "-c") == 0 && argc > 2)
            return run_string(argv[2]);
        fprintf(stderr, "usage: sh [-c command]\n");
        return 2;
    }
    if (isatty(0)) {
        struct sigaction sa = { .sa_handler = on_interrupt }; /* no SA_RESTART: reads end with EINTR */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
    }
    for (;;) {
        reap(0);
        interrupted = 0;
        fputs("$ ", stdout);
        fflush(stdout);

        int cut;
        if (!read_line(line, sizeof line, &cut)) {
            fputc('\n', stdout);
            break;
        }
        if (cut)
            fprintf(stderr, "sh: line too long, cut to %d characters\n", MAXLINE - 1);
        run_line(line);
    }
    fflush(stdout);
    return 0;
}
