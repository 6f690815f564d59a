/*
 * Wrappers for this kernel's own system calls, the ones newlib has no name
 * for. The POSIX-style calls (fork, execve, waitpid, read, write, open, ...)
 * come through newlib's <unistd.h>, <fcntl.h> and <sys/wait.h> as usual.
 * Implemented in user/lib/syscalls.c; the ABI is in abi.h and docs/abi.md.
 */
#ifndef OS_H
#define OS_H

#include <stdint.h>
#include "abi.h"

/* Number of the CPU the caller is running on right now. */
int getcpu(void);
/* Machine-wide state: CPUs, organisation name, counters, free frames. */
int sysinfo(struct abi_sysinfo *info);
/* Process-table slot `slot`: 1 when used (filled in), 0 when free, -1 past the end. */
int procinfo(int slot, struct abi_procinfo *p);
/* Directory entry `index` of the (flat) file system: 1 filled in, 0 at the end. */
int os_readdir(int index, struct abi_dirent *d);
/* Set the priority (0 highest .. ABI_NPRIO-1) of process pid (0: the caller). */
int setprio(int pid, int prio);
/* Let process pid (0: the caller) run only on CPU `cpu`, or anywhere
 * (-1). It moves there at its next switch. EINVAL for a CPU that is not
 * online, runs no user processes (leader_runs_user=0) or serves another OS
 * instance (private), ESRCH for no such process. */
int setaffinity(int pid, int cpu);
/* Stop CPU `cpu` dead, as if it lost power, once it is where `how` says
 * (ABI_CPUFAIL_USER: running user code, _KERNEL: at once, in the kernel,
 * _LOCK: holding a kernel lock); the other CPUs notice within about a
 * second (docs/organisations.md, "When a CPU fails"). EINVAL for a CPU out
 * of range or offline, or a bad `how`; EBUSY when it is failing already or
 * is the last CPU left; EPERM for a caller that does not descend from init. */
int cpufail(int cpu, int how);
/* The benchmark's kernel work (docs/bench.md): hold region `region` of the
 * kernel's work table (0 .. ABI_KWORK_REGIONS-1) for `cycles` TSC cycles.
 * EINVAL for a region or a count out of range. */
int kwork(int region, uint64_t cycles);
/* The per-CPU trace (docs/bench.md): cmd ABI_TRACE_START (arg: events per
 * CPU, 0 for the default), _STOP, _DUMP (the buffers to the console),
 * _STATUS (1 recording, 0 not). EPERM for a caller that does not descend
 * from init, ENOMEM, ENOENT for a dump with nothing recorded. */
int trace(int cmd, uint64_t arg);
/* The cost of kernel primitive `which` (ABI_PRIM_*), in TSC cycles, timed
 * in the kernel against CPU `cpu` (-1: any other than the one measuring);
 * EINVAL, EBUSY while another runs. */
int primcost(int which, int cpu, struct abi_primcost *out);
/* Map the shared-memory window `name` (ABI_SHM_WINDOW_SIZE bytes, zeroed
 * when first named; at most 8 names) into the caller: processes of every
 * OS instance that map the same name see the same memory. NULL with errno
 * ENOSYS when the organisation has no windows (all but private), ENOSPC
 * when all are named, EINVAL for an empty or too long name. */
void *shm_map(const char *name);
/* Unmap window `name` from the caller (its contents stay for others). */
int shm_unmap(const char *name);
/* Kernel lock `index`'s counters: 1 filled in, 0 past the last lock. */
int lockstat(int index, struct abi_lockstat *l);
/* Power the machine off; QEMU exits with a status derived from `code`. */
int poweroff(int code);
/* Give the CPU to another ready process (newlib has no <sched.h> for it). */
int sched_yield(void);
/* Sleep for at least ms milliseconds. */
int sleep_ms(uint64_t ms);
/* Nanoseconds since boot. */
uint64_t uptime_ns(void);
/* SIGALRM in ms milliseconds (0: none); returns the ms left of the
 * previous alarm, rounded up (alarm() and ualarm() are built on it). */
int alarm_ms(uint64_t ms);
/* The next entry of the directory open on fd: 1 filled in, 0 at the end
 * (readdir() in <dirent.h> is built on it). */
int getdents(int fd, struct abi_dirent *d);
/* The buffer cache of the caller's OS instance, and the disk's counters. */
int bcacheinfo(struct abi_bcacheinfo *info);
/* Size and use of the root file system; ENOENT without a disk. */
int statfs_root(struct abi_statfs *s);
/* Issue system call `n` directly, bypassing newlib: the result is the raw
 * kernel return value (negative ABI_E* on error). usertests use it to hand
 * the kernel bad pointers on purpose. */
long raw_syscall(long n, long a1, long a2, long a3, long a4, long a5);
/* The same with the sixth register (r9) too: mmap's offset, or junk in it
 * for the width tests. */
long raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6);

#endif
