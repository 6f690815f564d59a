/*
 * Signal frames on x86-64: what of the interrupted user context goes on
 * the user stack, how a handler is entered, and the checks on a context a
 * program hands back with sigreturn(). kernel/signal.c decides which
 * signal and when; docs/processes.md "Signals" draws the frame.
 *
 * The context a handler returns may have been rewritten by the program
 * (or forged whole). The way back to user mode is IRETQ (trap_return in
 * vectors.S), which at CPL 0 takes CS, SS, RIP, RSP and RFLAGS from the
 * frame as they are: a kernel CS would return to ring 0, IOPL 3 would give
 * the program the I/O ports and CLI, and a non-canonical RIP makes IRETQ
 * itself fault in the kernel, after the SWAPGS, on the user's GS (SDM
 * vol. 3A 6.14.2, and vol. 2A "IRET": #GP(0) "if the return instruction
 * pointer is not within ... canonical"). So every one of them is checked,
 * and a context that fails is refused: the process ends with SIGSEGV.
 */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/x86.h"
#include "kernel/cpu.h"
#include "lib/string.h"
#include "user/include/abi.h"

_Static_assert(sizeof(struct abi_sigcontext) == 704, "abi.h: struct abi_sigcontext is 704 bytes");
_Static_assert(sizeof(struct abi_sigframe) == 752, "abi.h: struct abi_sigframe is 752 bytes");
_Static_assert(FPU_STATE_SIZE == sizeof(((struct abi_sigcontext *)0)->fpu), "the FXSAVE image fits");

/* The x86-64 psABI (3.2.2): the 128 bytes below RSP are the interrupted
 * function's red zone, and a function is entered with RSP + 8 a multiple
 * of 16. */
#define RED_ZONE 128

/* What user mode may hold in RFLAGS, and must: the sanitiser on the way
 * out (SANITIZE_USER_RFLAGS, frame.inc) keeps RFLAGS_USER_KEEP and forces
 * RFLAGS_USER_FORCE. A sigreturn context with any other bit set (IOPL, NT,
 * VM, VIF, VIP, or a reserved bit: SDM vol. 3A 2.3 "System flags and fields
 * in the EFLAGS register"), or with IF or the always-one bit 1 clear, was
 * not made by this kernel and is refused. AC is a user's own choice
 * (alignment checks at CPL 3); it is cleared on every kernel entry. */
#define RFLAGS_USER_ALLOWED (RFLAGS_USER_KEEP | RFLAGS_USER_FORCE)

void arch_signal_save(const struct trap_frame *f, struct abi_sigcontext *c, void *fpu_scratch) {
    c->r15 = f->r15, c->r14 = f->r14, c->r13 = f->r13, c->r12 = f->r12;
    c->r11 = f->r11, c->r10 = f->r10, c->r9 = f->r9, c->r8 = f->r8;
    c->rbp = f->rbp, c->rdi = f->rdi, c->rsi = f->rsi, c->rdx = f->rdx;
    c->rcx = f->rcx, c->rbx = f->rbx, c->rax = f->rax;
    c->rip = f->rip;
    c->cs = f->cs;
    /* As trap_return would sanitise them: a program may set NT with POPF,
     * and its own frame must pass the check on the way back. */
    c->rflags = (f->rflags & RFLAGS_USER_KEEP) | RFLAGS_USER_FORCE;
    c->rsp = f->rsp;
    c->ss = f->ss;
    c->trapno = f->vector;
    c->err = f->error;
    /* The kernel never touches the x87/SSE registers (-mgeneral-regs-only),
     * so they still hold the program's values (docs/processes.md). */
    arch_fpu_save(fpu_scratch);
    memcpy(c->fpu, fpu_scratch, FPU_STATE_SIZE);
}

uint64_t arch_signal_frame_addr(const struct trap_frame *f, size_t size) {
    uint64_t sp = f->rsp;
    if (sp < USER_LO + RED_ZONE + size + 16 || sp > USER_TOP)
        return 0;
    return ALIGN_DOWN(sp - RED_ZONE - size, 16);
}

void arch_signal_enter(struct trap_frame *f, uint64_t handler, uint64_t sp, uint64_t a0, uint64_t a1, uint64_t a2,
                       void *fpu_scratch) {
    f->rip = handler;
    f->rsp = sp;
    f->rdi = a0;
    f->rsi = a1;
    f->rdx = a2;
    f->rax = 0;
    f->cs = SEL_UCODE;
    f->ss = SEL_UDATA;
    /* DF clear, as the psABI requires at a call; no single-stepping into
     * the handler (the interrupted code's TF comes back with sigreturn). */
    f->rflags = (f->rflags & RFLAGS_USER_KEEP & ~(RFLAGS_DF | RFLAGS_TF | RFLAGS_RF)) | RFLAGS_USER_FORCE;
    /* A handler starts with the x87/SSE state of a new program (as under
     * Linux): the interrupted code's is on the frame. */
    arch_fpu_init_state(fpu_scratch);
    arch_fpu_restore(fpu_scratch);
}

/* Canonical and in the lower half; USER_TOP is where the user stack ends. */
static bool user_address(uint64_t va) { return va <= USER_TOP; }

const char *arch_signal_context_check(const struct abi_sigcontext *c) {
    if (c->cs != SEL_UCODE)
        return "CS is not the user code segment";
    if (c->ss != SEL_UDATA)
        return "SS is not the user data segment";
    if (!user_address(c->rip))
        return "RIP is not a user address";
    if (!user_address(c->rsp))
        return "RSP is not a user address";
    if (c->rflags & ~(uint64_t)RFLAGS_USER_ALLOWED)
        return "RFLAGS has system or reserved bits set (IOPL, NT, VM, VIF, VIP, ...)";
    if ((c->rflags & RFLAGS_USER_FORCE) != RFLAGS_USER_FORCE)
        return "RFLAGS has IF or bit 1 clear";
    uint32_t mxcsr;
    memcpy(&mxcsr, c->fpu + 24, sizeof mxcsr); /* FXSAVE layout: MXCSR at byte 24 */
    if (mxcsr & ~arch_fpu_mxcsr_mask())
        return "MXCSR has reserved bits set";
    return NULL;
}

void arch_signal_restore(struct trap_frame *f, const struct abi_sigcontext *c, void *fpu_scratch) {
    f->r15 = c->r15, f->r14 = c->r14, f->r13 = c->r13, f->r12 = c->r12;
    f->r11 = c->r11, f->r10 = c->r10, f->r9 = c->r9, f->r8 = c->r8;
    f->rbp = c->rbp, f->rdi = c->rdi, f->rsi = c->rsi, f->rdx = c->rdx;
    f->rcx = c->rcx, f->rbx = c->rbx, f->rax = c->rax;
    f->rip = c->rip;
    f->cs = c->cs;
    f->rflags = c->rflags;
    f->rsp = c->rsp;
    f->ss = c->ss;
    /* Straight from the copy into the registers: nothing in between may
     * switch this process out (which would save over fpu_scratch). */
    memcpy(fpu_scratch, c->fpu, FPU_STATE_SIZE);
    arch_fpu_restore(fpu_scratch);
}

/* SYSCALL (0F 05) is two bytes long, and RCX and R11 are the CPU's to
 * overwrite anyway: the number back in RAX and RIP on the instruction
 * make the program call again with its argument registers as they were. */
void arch_signal_restart_syscall(struct abi_sigcontext *c, uint64_t nr) {
    c->rax = nr;
    c->rip -= 2;
}
