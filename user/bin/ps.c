/*
 * ps - one line per process, from procinfo() over the process-table slots
 * until it says there are no more: PID PPID STATE CPU PRIO TIME NAME, where
 * TIME is the CPU time used, in seconds.
 */
#include <stdio.h>
#include "os.h"

static const char *state_name(uint32_t s)
{
    switch (s) {
    case ABI_P_RUNNABLE: return "ready";
    case ABI_P_RUNNING:  return "run";
    case ABI_P_SLEEPING: return "sleep";
    case ABI_P_ZOMBIE:   return "zombie";
    default:             return "?";
    }
}

int main(void)
{
    struct abi_procinfo p;
    static struct abi_sysinfo si;

    /* Pids are per OS instance: say whose table this is when there are several. */
    if (sysinfo(&si) == 0 && si.ninstances > 1)
        printf("OS instance %u of %u (CPU %d): its own processes and pids\n", (unsigned)si.os_instance,
               (unsigned)si.ninstances, (int)si.os[si.os_instance].cpu);
    printf("%5s %5s %-6s %3s %4s %10s %s\n",
           "PID", "PPID", "STATE", "CPU", "PRIO", "TIME", "NAME");
    /* The bound only guards against a kernel that never says "past the end". */
    for (int slot = 0; slot < 65536; slot++) {
        int r = procinfo(slot, &p);
        if (r < 0)
            break;
        if (r == 0)
            continue;
        unsigned long long ms = (unsigned long long)(p.runtime_ns / 1000000u);
        printf("%5d %5d %-6s %3d %4d %6llu.%03llu %.*s\n",
               (int)p.pid, (int)p.ppid, state_name(p.state), (int)p.cpu,
               (int)p.prio, ms / 1000, ms % 1000,
               (int)sizeof p.name, p.name);
    }
    return 0;
}
