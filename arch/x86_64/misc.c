/* Small arch services: stopping, leaving QEMU, the per-CPU pointer, backtraces. */
#include "arch/x86_64/x86.h"
#include "kernel/cpu.h"

_Static_assert(__builtin_offsetof(struct cpu, self) == 0, "syscall.S reads GS:0");
_Static_assert(__builtin_offsetof(struct cpu, kstack_top) == 8, "syscall.S reads GS:8");
_Static_assert(__builtin_offsetof(struct cpu, user_rsp) == 16, "syscall.S writes GS:16");
_Static_assert(__builtin_offsetof(struct kcatch, rflags) == 64, "kcatch.S layout");
_Static_assert(__builtin_offsetof(struct kcatch, armed) == 72, "kcatch.S layout");

void arch_halt_forever(void) {
    for (;;)
        __asm__ volatile("cli; hlt");
}

/*
 * QEMU's isa-debug-exit device (iobase 0xf4) ends QEMU with status
 * (value << 1) | 1 (enum emu_exit). On a real PC nothing listens there, so
 * we fall through to halting.
 */
void arch_exit_emulator_if_present(enum emu_exit how) { outl(0xF4, how); }

void arch_exit_emulator(enum emu_exit how) {
    arch_exit_emulator_if_present(how);
    arch_halt_forever();
}

/*
 * An IDT of limit 0: the breakpoint's vector is past the limit, which is a
 * #GP (SDM vol. 3A 6.10, "Interrupt Descriptor Table"); that cannot be
 * delivered either, so a #DF follows, and a fault while delivering a #DF
 * shuts the processor down (SDM vol. 3A 6.15, interrupt 8). The chipset
 * answers shutdown with a reset.
 */
void arch_triple_fault(void) {
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty = {0, 0};
    __asm__ volatile("cli; lidt %0; int3" ::"m"(empty));
    arch_halt_forever();
}

void arch_set_cpu_pointer(struct cpu *c) {
    c->self = c;
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}

/* Walk the frame-pointer chain (-fno-omit-frame-pointer): [rbp] = caller's
 * rbp, [rbp+8] = return address. Stop at a null or non-kernel frame. */
void arch_backtrace(uint64_t rbp, backtrace_fn fn, void *ctx) {
    for (int depth = 0; depth < 32; depth++) {
        if (rbp < KERNEL_VMA && rbp < PHYS_MAP_BASE)
            break;
        if (rbp & 7)
            break;
        uint64_t *frame = (uint64_t *)rbp;
        uint64_t ret = frame[1];
        if (ret < KERNEL_VMA)
            break;
        fn(ret - 1, ctx); /* -1: point inside the call instruction */
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
}
