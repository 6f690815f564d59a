/*
 * init - the first process (pid 1), started by the kernel with
 * argv = {"init", <words of the kernel's run= option>...}.
 *
 * With a command (run=usertests, ...): run it, wait for it, then exit with
 * code 0 if it exited with status 0, else 1; when the last init of the
 * machine has ended (one per OS instance), the kernel powers it off with
 * the first failing code. This is how the test matrix runs user-space tests.
 *
 * Without: run the shell "sh" on the console, and start it again whenever it
 * ends.
 *
 * Either way init reaps every child it gets, including orphans, which the
 * kernel re-parents to pid 1.
 *
 * The environment every program inherits (the kernel starts init with an
 * empty one): PATH=/bin (where execvp and sh look: the disk's programs),
 * HOME=/root if that directory exists, else /, and TERM=vt100 (the serial
 * console understands the VT100's escapes). A variable already set is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "os.h"

extern char **environ;

static char *empty_env[] = { NULL };

static char **env(void)
{
    return environ ? environ : empty_env;
}

static void set_environment(void)
{
    struct stat st;
    setenv("PATH", "/bin", 0);
    setenv("HOME", stat("/root", &st) == 0 && S_ISDIR(st.st_mode) ? "/root" : "/", 0);
    setenv("TERM", "vt100", 0);
}

/* fds 0, 1, 2 normally come pre-opened on the console; open any that don't. */
static void ensure_console(void)
{
    struct stat st;
    for (int fd = 0; fd < 3; fd++)
        if (fstat(fd, &st) < 0)
            open("/dev/console", fd == 0 ? O_RDONLY : O_WRONLY);
}

static void describe(const char *what, int status)
{
    if (WIFEXITED(status))
        printf("init: %s exited with status %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("init: %s killed by signal %d\n", what, WTERMSIG(status));
    else
        printf("init: %s ended with wait status 0x%x\n", what, status);
    fflush(stdout);
}

/* fork + execve; the pid of the child, or -1. */
static int spawn(char *const args[])
{
    fflush(stdout);
    fflush(stderr);
    int pid = fork();
    if (pid < 0) {
        printf("init: fork: %s\n", strerror(errno));
        fflush(stdout);
        return -1;
    }
    if (pid == 0) {
        execve(args[0], args, env());
        /* Not in the initrd: a program of the disk's /bin (as sh looks). */
        if (errno == ENOENT && !strchr(args[0], '/')) {
            char path[128];
            snprintf(path, sizeof path, "/bin/%s", args[0]);
            execve(path, args, env());
            errno = ENOENT;
        }
        fprintf(stderr, "init: cannot run %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Wait until child `pid` ends, reaping any orphan on the way; its status,
 * or -1 if it vanished (no children left). */
static int wait_for(int pid)
{
    for (;;) {
        int status = 0;
        int w = waitpid(-1, &status, 0);
        if (w == pid)
            return status;
        if (w < 0) {
            if (errno == ECHILD)
                return -1;
            sleep_ms(10); /* unexpected error: do not spin */
        }
        /* any other pid: an orphan that has been reaped, nothing more to do */
    }
}

/* Reap whatever has already ended, without blocking. */
static void reap_zombies(void)
{
    int status;
    for (int i = 0; i < 1000 && waitpid(-1, &status, WNOHANG) > 0; i++)
        ;
}

static void run_command(int argc, char **argv)
{
    char line[256];
    size_t len = 0;
    line[0] = '\0';
    for (int i = 1; i < argc && len < sizeof line - 1; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, "%s%s",
                                i > 1 ? " " : "", argv[i]);
    printf("init: running '%s'\n", line);
    fflush(stdout);

    int code = 1;
    int pid = spawn(&argv[1]);
    if (pid > 0) {
        int status = wait_for(pid);
        if (status == -1) {
            printf("init: lost track of '%s'\n", line);
        } else {
            describe(argv[1], status);
            code = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
        }
    }
    reap_zombies();
    /* The kernel powers the machine off when the last init has ended
     * (every OS instance runs one under `private`), with the first
     * failing code. */
    printf("init: exiting with code %d\n", code);
    fflush(stdout);
    exit(code);
}

static void run_shell(void)
{
    static char *sh_args[] = { "sh", NULL };

    for (;;) {
        uint64_t start = uptime_ns();
        int pid = spawn(sh_args);
        if (pid < 0) {
            sleep_ms(1000);
            continue;
        }
        int status = wait_for(pid);
        if (status != -1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            describe("sh", status);
        /* A shell that ends at once (no console input, cannot be run...)
         * is not restarted in a tight loop. */
        if (uptime_ns() - start < 1000000000ull)
            sleep_ms(1000);
        reap_zombies();
    }
}

int main(int argc, char **argv)
{
    ensure_console();
    set_environment();
    if (argc > 1)
        run_command(argc, argv);
    else
        run_shell();
    return 0;
}
