/*
 * locks - every kernel lock's counters for the running organisation: how
 * often each was taken, how often a CPU had to wait for it and for how
 * long, its longest hold. Locks of one kind (every process's lock, every
 * CPU's ready queue, every open file) are added up into one line, with
 * how many there are; `locks -a` shows each one. Sorted by rank: the
 * order in which the kernel takes them (docs/locks.md).
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include "os.h"

#define MAX_LINES 512

struct line {
    struct abi_lockstat s;
    unsigned count;
};

static struct line lines[MAX_LINES];

int main(int argc, char **argv)
{
    int each = argc > 1 && strcmp(argv[1], "-a") == 0;
    if (argc > 1 && !each) {
        fprintf(stderr, "usage: locks [-a]\n");
        return 2;
    }
    struct abi_sysinfo si;
    int n = 0;
    struct abi_lockstat l;
    errno = 0;
    for (int i = 0; lockstat(i, &l) == 1; i++) {
        int k = 0;
        while (!each && k < n && (strncmp(lines[k].s.name, l.name, sizeof l.name) != 0 || lines[k].s.rank != l.rank))
            k++;
        if (each || k == n) {
            if (n == MAX_LINES)
                break;
            k = n++;
            lines[k].s = l;
            lines[k].count = 1;
            continue;
        }
        lines[k].count++;
        lines[k].s.acquired += l.acquired;
        lines[k].s.contended += l.contended;
        lines[k].s.spin_cycles += l.spin_cycles;
        if (l.max_hold > lines[k].s.max_hold)
            lines[k].s.max_hold = l.max_hold;
    }
    if (errno && n == 0) {
        fprintf(stderr, "locks: lockstat: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 1; i < n; i++) /* insertion sort by rank, stable */
        for (int j = i; j > 0 && lines[j - 1].s.rank > lines[j].s.rank; j--) {
            struct line t = lines[j];
            lines[j] = lines[j - 1];
            lines[j - 1] = t;
        }
    if (sysinfo(&si) == 0)
        printf("organisation %.16s, %u CPUs, %u in the kernel now\n", si.model, (unsigned)si.ncpus,
               (unsigned)si.cpus_in_kernel);
    printf("%4s %-24s %5s %12s %10s %6s %14s %12s\n", "RANK", "LOCK", "COUNT", "ACQUIRED", "CONTENDED", "CONT%",
           "SPIN CYCLES", "MAX HOLD");
    for (int i = 0; i < n; i++) {
        const struct abi_lockstat *s = &lines[i].s;
        unsigned long long pct10 = s->acquired ? s->contended * 1000ULL / s->acquired : 0;
        printf("%4d %-24.24s %5u %12llu %10llu %4llu.%llu %14llu %12llu\n", (int)s->rank, s->name, lines[i].count,
               (unsigned long long)s->acquired, (unsigned long long)s->contended, pct10 / 10, pct10 % 10,
               (unsigned long long)s->spin_cycles, (unsigned long long)s->max_hold);
    }
    return 0;
}
