/*
 * failtest - fail a CPU under load and check what the organisation makes
 * of it (tests/matrix.txt, docs/organisations.md "When a CPU fails").
 * Needs 4 CPUs; CPU 2 is the one that fails.
 *
 *   failtest [user]  bkl, fine, leader: four CPU-bound children, pinned to
 *                    CPUs 1, 2, 2 and 3; CPU 2 fails while it runs one of
 *                    its two. That one must end killed by SIGKILL, the other
 *                    three exit 0 (the second on CPU 2 is unpinned and runs
 *                    elsewhere), sysinfo must show CPU 2 failed, and a new
 *                    child must still run. private: every instance runs a
 *                    CPU-bound child; instance 0 fails CPU 2, and each
 *                    instance left sees its child finish and CPU 2 failed
 *                    (instance 2 says nothing: it is gone).
 *   failtest lock    as user, but CPU 2 fails holding a kernel lock: the
 *                    kernel must stop with a report naming it (a crash cell).
 *   failtest leader  fail CPU 0 in the kernel: under model=leader every
 *                    follower must stop, saying why (a crash cell).
 *   failtest boot    the boot option cpufail=N@MS failed a CPU: wait until
 *                    sysinfo shows it failed, then check that six children
 *                    still run to the end on the CPUs left.
 * Closing line: "failtest: N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"

#define VICTIM 2
#define SPIN_NS 6000000000ULL /* the children's work: long enough to outlive the failure's detection */

static int passed, failed;
static struct abi_sysinfo si;

static void check(int ok, const char *what)
{
    printf("failtest: %s %s\n", ok ? "ok  " : "FAIL", what);
    if (ok)
        passed++;
    else
        failed++;
}

static void spin_until(uint64_t end)
{
    volatile uint64_t x = 0;
    while (uptime_ns() < end)
        for (int i = 0; i < 10000; i++)
            x += i;
}

static int spawn(int cpu, uint64_t end)
{
    fflush(stdout);
    int pid = fork();
    if (pid == 0) {
        if (cpu >= 0 && setaffinity(0, cpu) < 0)
            _exit(3);
        spin_until(end);
        _exit(0);
    }
    return pid;
}

static int victim_failed(void)
{
    return sysinfo(&si) == 0 && si.cpu[VICTIM].state == ABI_CPU_FAILED;
}

static int finish(void)
{
    printf("failtest: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* private: each instance on its own; instance 0 pulls the trigger. */
static int private_test(void)
{
    int me = (int)si.os_instance;
    uint64_t end = uptime_ns() + SPIN_NS / 2;
    int pid = spawn(-1, end);
    if (me == 0) {
        for (int i = 0; i < 100 && (sysinfo(&si) < 0 || si.cpu[VICTIM].state == ABI_CPU_OFFLINE); i++)
            sleep_ms(100); /* CPU 2 may not be up yet */
        sleep_ms(500);
        check(cpufail(VICTIM, ABI_CPUFAIL_USER) == 0, "instance 0 fails CPU 2");
    }
    int status = -1;
    check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "this instance's child finished");
    for (int i = 0; i < 100 && !victim_failed(); i++)
        sleep_ms(100);
    check(victim_failed(), "sysinfo shows CPU 2 failed");
    printf("failtest: instance %d goes on without instance 2\n", me);
    return finish();
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "user";
    if (sysinfo(&si) == 0 && strcmp(si.model, "private") == 0 && si.ninstances >= 4)
        return private_test(); /* its instance may start before the other CPUs are up */
    if (sysinfo(&si) < 0 || si.ncpus < 4) {
        check(0, "needs 4 CPUs (-smp 4)");
        return finish();
    }

    if (strcmp(mode, "boot") == 0) {
        int dead = -1;
        for (int i = 0; i < 100 && dead < 0; i++) {
            sleep_ms(100);
            for (unsigned c = 0; sysinfo(&si) == 0 && c < si.ncpus && c < ABI_MAX_CPUS; c++)
                if (si.cpu[c].state == ABI_CPU_FAILED)
                    dead = (int)c;
        }
        check(dead >= 0, "sysinfo shows the CPU that cpufail= failed");
        printf("failtest: CPU %d failed at boot\n", dead);
        int kids[6], ok = 0;
        for (int i = 0; i < 6; i++)
            kids[i] = spawn(-1, uptime_ns() + 300000000ULL);
        for (int i = 0; i < 6; i++) {
            int st = -1;
            ok += waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        }
        check(ok == 6, "six children run to the end on the CPUs left");
        return finish();
    }

    uint64_t end = uptime_ns() + SPIN_NS;
    static const int on[4] = {1, VICTIM, VICTIM, 3};
    int pids[4];
    for (int i = 0; i < 4; i++)
        pids[i] = spawn(on[i], end);
    sleep_ms(500); /* all four are spinning now */

    if (strcmp(mode, "leader") == 0) {
        printf("failtest: failing the leader, CPU 0, in the kernel\n");
        cpufail(0, ABI_CPUFAIL_KERNEL);
        spin_until(uptime_ns() + 20000000000ULL);
        check(0, "the machine went on after the leader failed");
        return finish();
    }
    if (strcmp(mode, "lock") == 0) {
        printf("failtest: failing CPU 2 while it holds a kernel lock\n");
        cpufail(VICTIM, ABI_CPUFAIL_LOCK);
        sleep_ms(20000);
        check(0, "the kernel went on after CPU 2 failed holding a lock");
        return finish();
    }

    /* CPU 2 fails the next time it runs user code: this process, which
     * must live to see the outcome, keeps off it (under leader a process
     * comes back from every call on whichever follower is free). */
    check(setaffinity(0, 1) == 0, "the test itself keeps to CPU 1");
    check(cpufail(99, ABI_CPUFAIL_USER) < 0 && errno == EINVAL, "cpufail refuses CPU 99");
    check(cpufail(1, 7) < 0 && errno == EINVAL, "cpufail refuses an unknown way to fail");
    check(cpufail(VICTIM, ABI_CPUFAIL_USER) == 0, "cpufail(2, user) is accepted");
    check(cpufail(VICTIM, ABI_CPUFAIL_USER) < 0 && errno == EBUSY, "a second cpufail(2) is refused");

    int status[4], killed = 0, exited0 = 0;
    for (int i = 0; i < 4; i++) {
        status[i] = -1;
        if (waitpid(pids[i], &status[i], 0) != pids[i])
            status[i] = -1;
    }
    check(WIFEXITED(status[0]) && WEXITSTATUS(status[0]) == 0, "the child on CPU 1 finished");
    check(WIFEXITED(status[3]) && WEXITSTATUS(status[3]) == 0, "the child on CPU 3 finished");
    for (int i = 1; i <= 2; i++) {
        killed += WIFSIGNALED(status[i]) && WTERMSIG(status[i]) == ABI_SIGKILL;
        exited0 += WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 0;
    }
    printf("failtest: the children pinned to CPU 2 ended with wait status %#x and %#x\n", status[1], status[2]);
    check(killed == 1 && exited0 == 1,
          "of the two on CPU 2, the running one was killed by SIGKILL, the waiting one finished elsewhere");
    check(victim_failed(), "sysinfo shows CPU 2 failed");
    check(cpufail(VICTIM, ABI_CPUFAIL_USER) < 0 && errno == EINVAL, "cpufail refuses the failed CPU 2");
    check(setaffinity(0, VICTIM) < 0 && errno == EINVAL, "setaffinity refuses the failed CPU 2");

    fflush(stdout);
    int pid = fork(), st = -1;
    if (pid == 0)
        _exit(7);
    check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7,
          "a new child runs and exits after the failure");
    return finish();
}
