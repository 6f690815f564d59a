/* Kernel command-line options (key=value words from GRUB's multiboot2 line). */
#ifndef OPTIONS_H
#define OPTIONS_H

#include "lib/types.h"

struct boot_options {
    char test[128];      /* test=all | suite,suite.name,... : run in-kernel tests */
    char model[16];      /* model=private|leader|bkl|fine */
    char run[128];       /* run=prog args: what init runs instead of the shell */
    int loglevel;        /* loglevel=0..3 (err, warn, info, debug) */
    unsigned hz;         /* hz=N: timer interrupts per second per CPU */
    unsigned maxcpus;    /* maxcpus=N: start at most N CPUs */
    char forward[8];     /* forward=ipi|poll: how a follower wakes the leader (leader model) */
    int leader_runs_user; /* leader_runs_user=0|1: the leader also runs user processes */
    /* partition=W0,W1,...: private's memory slices in proportion to these
     * weights, CPU 0 first (CPUs not listed weigh 1); none: equal slices. */
    unsigned partition[64];
    unsigned npartition;
    char sched[8];       /* sched=global|percpu: fine's ready queues (docs/organisations.md) */
    unsigned balance_ms; /* balance=N: fine percpu's balancing period in ms */
    /* cpufail=N@MS[:user|kernel|lock]: fail CPU N on purpose MS milliseconds
     * after boot (kernel/cpufail.c), for tests that run unattended;
     * cpufail_cpu is -1 without it, cpufail_how an ABI_CPUFAIL_* value. */
    int cpufail_cpu;
    unsigned cpufail_ms;
    int cpufail_how;
    bool msi;            /* msi=on|off: devices interrupt by MSI where they can */
    bool bcache;         /* bcache=on|off: off sends every block read and write to the disk */
    unsigned trace;      /* trace=N: record N events per CPU from boot on (kernel/trace.h); 0: off */
    unsigned errors;     /* malformed, unknown or bare words, bad values (each reported) */
};

extern struct boot_options boot_options;
void options_parse(const char *cmdline);
/* With test= or run= the boot runs unattended and its result counts: there a
 * command-line error must stop the machine rather than run something else. */
bool options_unattended(void);

#endif
