/*
 * Signals (kernel/signal.c; docs/processes.md "Signals", docs/abi.md).
 * Each process has a set of pending and a set of blocked signals and one
 * action per signal, all under its own lock (RANK_PROC). A signal is posted
 * (kill, a fault, SIGCHLD, alarm, Ctrl-C) and delivered on the process's
 * way back to user mode: ignored, the default action, or a handler run on
 * a frame pushed on the user stack, from which sigreturn() comes back.
 */
#ifndef SIGNAL_H
#define SIGNAL_H

#include "kernel/proc.h"

/* Post sig to p: p->lock and the organisation's scheduler lock held (it
 * may wake p). A signal p ignores and does not block is dropped at once;
 * one already pending is not queued twice. Zombies and kernel threads
 * take no signals. */
void signal_post(struct proc *p, int sig, const struct abi_siginfo *info);
/* A child of parent (process table lock and scheduler lock held, no
 * process lock) ended with wait status `status`: SIGCHLD. */
void signal_child_exited(struct proc *parent, int pid, int status);
/* The current process faulted with sig: true when a handler will run
 * (installed, and sig not blocked): the signal is then pending and the
 * way out of the kernel delivers it. False: the process is to end as it
 * always did. */
bool signal_fault(int sig, int code, uint64_t addr);
/* On every return to user mode, in the kernel-entered state: end a killed
 * process, or deliver one pending signal to the trap frame f. */
void signal_deliver(struct trap_frame *f);
/* Whether f's interrupted system call `nr` may be restarted (SA_RESTART)
 * after it returned -EINTR. */
bool signal_restartable(uint64_t nr);
/* fork: the child gets the parent's actions and blocked set, nothing
 * pending and no alarm. exec: handlers go back to the default (ignored
 * signals stay ignored); blocked, pending and the alarm stay. */
void signal_fork(struct proc *child, const struct proc *parent);
void signal_exec(struct proc *p);
/* Timer tick on the instance's first CPU: SIGALRM to the processes whose
 * alarm has come. */
void signal_alarm_tick(void);
/* Ctrl-C on the console of this instance: SIGINT to its processes. */
void signal_console_interrupt(void);

/* The system calls. */
long signal_sigaction(int sig, uint64_t uact, uint64_t uold);
long signal_sigprocmask(int how, uint64_t uset, uint64_t uold);
long signal_sigpending(uint64_t uset);
long signal_sigreturn(uint64_t uframe);
long signal_alarm(uint64_t ms);
long signal_sigsuspend(uint64_t umask);

#endif
