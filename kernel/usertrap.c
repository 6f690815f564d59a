/*
 * Exceptions in user mode and the last step before returning to user mode.
 * A fault goes to the program's handler for its signal when it has one
 * (and does not block the signal); otherwise it ends only the faulting
 * process, with the signal that describes it in its wait status.
 */
#include "kernel/trap_hooks.h"
#include "kernel/model.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/trace.h"
#include "kernel/vm.h"

void leave_kernel_checks(void);

static int signal_for(int vector) {
    switch (vector) {
    case 0: /* divide error */
    case 16: /* x87 */
    case 19: /* SIMD */
        return ABI_SIGFPE;
    case 6: /* invalid opcode */
        return ABI_SIGILL;
    default: /* page fault, general protection, and the rest */
        return ABI_SIGSEGV;
    }
}

/* What a handler is told (si_code, si_addr): the address for a page fault
 * (CR2), the faulting instruction for SIGILL and SIGFPE, nothing for the
 * rest (a #GP has no address to tell). */
static int code_for(const struct trap_frame *f, uint64_t *addr, uint64_t cr2) {
    switch (f->vector) {
    case 0:
        *addr = f->rip;
        return ABI_FPE_INTDIV;
    case 16:
    case 19:
        *addr = f->rip;
        return ABI_FPE_FLTINV;
    case 6:
        *addr = f->rip;
        return ABI_ILL_ILLOPC;
    case 14: /* error code bit 0: the page was present (SDM vol. 3A 4.7) */
        *addr = cr2;
        return (f->error & 1) ? ABI_SEGV_ACCERR : ABI_SEGV_MAPERR;
    default:
        *addr = 0;
        return ABI_SEGV_GPF;
    }
}

/* A handler for the fault's signal takes over (kernel/signal.c): the frame
 * is pushed on the way out, and the process goes on in its handler. */
static bool caught(struct proc *p, struct trap_frame *f, int sig, uint64_t cr2) {
    uint64_t addr;
    int code = code_for(f, &addr, cr2);
    if (!signal_fault(sig, code, addr))
        return false;
    leave_kernel_checks();
    p->in_kernel = false;
    model->kernel_exit();
    trace(TR_KOUT, 0);
    return true;
}

/* A page fault may be one the VM resolves (a demand-zero page, a
 * copy-on-write page): then the program goes on. vm_fault() takes the
 * address space's lock itself (kernel/vm.c). */
void user_exception(struct trap_frame *f) {
    struct proc *p = current_proc();
    if (!p || p->is_kthread) {
        arch_dump_frame(f);
        panic("%s in user mode, but no user process is running", trap_name((int)f->vector));
    }
    int sig = signal_for((int)f->vector);
    uint64_t addr = f->vector == 14 ? arch_fault_address() : 0; /* CR2, before anything can change it */
    p->user_cpu = cpu_id();
    trace(TR_KIN, 1000 + (uint32_t)f->vector);
    model->kernel_enter();
    p->in_kernel = true;
    if (f->vector == 14) {
        int r = vm_fault(p->as, addr, arch_fault_is_write(f));
        if (r == 0) {
            p->in_kernel = false;
            model->kernel_exit();
            trace(TR_KOUT, 0);
            return;
        }
        if (r == -ABI_ENOMEM)
            proc_exit(ABI_W_SIGNALED(ABI_SIGKILL)); /* vm_fault() printed why */
        if (caught(p, f, sig, addr))
            return;
        pr_warn("pid %d (%s): %s at RIP %llx, address %llx: killed (signal %d)\n", p->pid, p->name,
                trap_name((int)f->vector), (unsigned long long)f->rip, (unsigned long long)addr, sig);
    } else {
        if (caught(p, f, sig, 0))
            return;
        pr_warn("pid %d (%s): %s at RIP %llx: killed (signal %d)\n", p->pid, p->name, trap_name((int)f->vector),
                (unsigned long long)f->rip, sig);
    }
    proc_exit(ABI_W_SIGNALED(sig));
}

void trap_return_to_user(struct trap_frame *f) {
    (void)f;
    struct proc *p = current_proc();
    if (!p || (!proc_interrupted(p) && !this_cpu()->need_resched))
        return;
    model->kernel_enter();
    p->in_kernel = true;
    leave_kernel_checks();
    current_proc()->in_kernel = false;
    model->kernel_exit();
}
