/*
 * cpus - the per-CPU table from sysinfo(): state, the process running there,
 * ready-queue length and the counters; the organisation's own counters
 * (leader: the leader's busy share; fine: per-CPU migrations and
 * queue-lock contention, the balancer's violations); then the organisation
 * ("model"), how many CPUs are in the kernel right now, uptime, processes
 * and physical memory of the OS instance that answered, and, with several
 * instances (private), each one's memory.
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include "os.h"

static struct abi_sysinfo si; /* about 12 KiB: not on the stack */

static const char *cpu_state(uint32_t s)
{
    switch (s) {
    case ABI_CPU_OFFLINE: return "off";
    case ABI_CPU_IDLE:    return "idle";
    case ABI_CPU_RUNNING: return "run";
    case ABI_CPU_FAILED:  return "FAIL"; /* stopped dead (cpufail); its heartbeat stopped */
    default:              return "?";
    }
}

int main(void)
{
    if (sysinfo(&si) < 0) {
        fprintf(stderr, "cpus: sysinfo: %s\n", strerror(errno));
        return 1;
    }

    /* Show every CPU that is online or ever did anything. */
    unsigned n = si.ncpus < ABI_MAX_CPUS ? si.ncpus : ABI_MAX_CPUS;
    for (unsigned i = n; i < ABI_MAX_CPUS; i++)
        if (si.cpu[i].state != ABI_CPU_OFFLINE || si.cpu[i].ticks != 0)
            n = i + 1;

    /* HANDLERS: system-call handlers run on the CPU; TABLOCKS: locks over
     * the kernel's tables it took. Under `leader` both stay 0 on a follower. */
    printf("%3s %-9s %2s %4s %-4s %5s %5s %8s %8s %8s %8s %8s %8s %7s %7s\n",
           "CPU", "ROLE", "OS", "APIC", "STAT", "PID", "READY", "TICKS", "IDLE",
           "SYSCALLS", "HANDLERS", "TABLOCKS", "SWITCHES", "IRQS", "IPIS");
    for (unsigned i = 0; i < n; i++) {
        const struct abi_cpuinfo *c = &si.cpu[i];
        printf("%3u %-9.*s %2u %4u %-4s %5d %5u %8llu %8llu %8llu %8llu %8llu %8llu %7llu %7llu\n",
               i, (int)sizeof c->role, c->role, (unsigned)c->os_instance,
               (unsigned)c->apic_id, cpu_state(c->state), (int)c->current_pid,
               (unsigned)c->ready, (unsigned long long)c->ticks,
               (unsigned long long)c->idle_ticks, (unsigned long long)c->syscalls,
               (unsigned long long)c->handlers, (unsigned long long)c->table_locks,
               (unsigned long long)c->switches, (unsigned long long)c->irqs,
               (unsigned long long)c->ipis);
    }

    /* The organisation's own counters: machine-wide ones, then per CPU. */
    if (si.nstats)
        printf("%.*s counters:\n", (int)sizeof si.model, si.model);
    for (unsigned i = 0; i < si.nstats && i < ABI_MAX_MODEL_STATS; i++) {
        const struct abi_model_stat *s = &si.stat[i];
        if (s->cpu < 0)
            printf("  %-20.*s %llu\n", (int)sizeof s->name, s->name, (unsigned long long)s->value);
        else
            printf("  %-20.*s cpu %-3d %llu\n", (int)sizeof s->name, s->name, (int)s->cpu,
                   (unsigned long long)s->value);
    }

    unsigned long long ms = (unsigned long long)(si.uptime_ns / 1000000u);
    unsigned long long pg = si.page_size ? si.page_size : 4096;
    printf("model:     %.*s\n", (int)sizeof si.model, si.model);
    printf("in kernel: %u CPUs right now (system calls, faults, kernel threads)\n", (unsigned)si.cpus_in_kernel);
    printf("watchdog:  %u lost wakeups seen\n", (unsigned)si.lost_wakeups);
    unsigned failed = 0;
    for (unsigned i = 0; i < si.ncpus && i < ABI_MAX_CPUS; i++)
        failed += si.cpu[i].state == ABI_CPU_FAILED;
    if (failed) /* stopped by cpufail and noticed (docs/organisations.md, "When a CPU fails") */
        printf("cpus:      %u online, %u failed\n", (unsigned)si.ncpus - failed, failed);
    else
        printf("cpus:      %u online\n", (unsigned)si.ncpus);
    printf("uptime:    %llu.%03llu s\n", ms / 1000, ms % 1000);
    printf("processes: %u of %u\n", (unsigned)si.nprocs, (unsigned)si.max_procs);
    printf("memory:    %llu of %llu frames free (%llu of %llu KiB)\n",
           (unsigned long long)si.free_frames, (unsigned long long)si.total_frames,
           (unsigned long long)si.free_frames * pg / 1024,
           (unsigned long long)si.total_frames * pg / 1024);
    /* Which OS instance answered; with more than one (private), each
     * one's slice of memory: they cannot lend each other pages. */
    printf("instance:  %u of %u (the tables above PROCESSES and MEMORY are its own)\n",
           (unsigned)si.os_instance, (unsigned)si.ninstances);
    if (si.ninstances > 1) {
        printf("%3s %3s %-29s %10s %10s %6s\n", "OS", "CPU", "MEMORY", "FREE KiB", "TOTAL KiB", "PROCS");
        for (unsigned i = 0; i < si.ninstances && i < ABI_MAX_CPUS; i++) {
            const struct abi_osinfo *o = &si.os[i];
            printf("%3u %3d %012llx-%012llx %10llu %10llu %6u%s\n", i, (int)o->cpu,
                   (unsigned long long)o->mem_start, (unsigned long long)o->mem_end,
                   (unsigned long long)o->free_frames * pg / 1024,
                   (unsigned long long)o->total_frames * pg / 1024, (unsigned)o->nprocs,
                   i == si.os_instance ? "  <- this one" : "");
        }
    }
    return 0;
}
