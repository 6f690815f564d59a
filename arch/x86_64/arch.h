/*
 * The architecture interface: everything machine-independent code (kernel/)
 * may ask of the hardware. kernel/ includes this header and no other header
 * from arch/. Implemented by the files in arch/x86_64/.
 */
#ifndef ARCH_H
#define ARCH_H

#include "lib/types.h"
#include "kernel/spinlock.h"
#include "arch/x86_64/layout.h"

/* ---- per-CPU hardware state, embedded in struct cpu (kernel/cpu.h) ---- */
struct gdt_tss;
struct arch_cpu {
    uint32_t apic_id;
    struct gdt_tss *gdt;        /* this CPU's GDT and TSS */
    uint64_t ist_stacks[3];     /* tops of the double-fault, NMI and MCE stacks */
};

/* ---- interrupts on this CPU ---- */
static inline uint64_t arch_irq_save(void) {
    uint64_t f;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(f)::"memory");
    return f;
}
static inline void arch_irq_restore(uint64_t flags) {
    if (flags & (1ULL << 9))
        __asm__ volatile("sti" ::: "memory");
}
static inline bool arch_irq_enabled(void) {
    uint64_t f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f & (1ULL << 9);
}
static inline void arch_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void arch_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
/* Wait for the next interrupt (enables interrupts atomically with the halt). */
static inline void arch_wait_for_interrupt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void arch_cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline uint64_t arch_cycles(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline void *arch_frame_address(void) { return __builtin_frame_address(0); }
/* Stop this CPU for good. */
__attribute__((noreturn)) void arch_halt_forever(void);

/* ---- early init, called from kmain() in order ---- */
void arch_early_init(void);           /* 8259s masked, console, GDT/TSS, IDT, CPU features */
void arch_console_putc(char c);       /* polled UART output */
int arch_console_getc(void);          /* next received byte, or -1 */
void arch_time_init(void);            /* TSC calibration against the PIT */
/* Run fn(arg) timed by two clocks: the PIT (ns) and the cycle counter; false
 * when it took longer than the PIT counts (~54 ms) or a read was disturbed. */
bool arch_time_against_pit(void (*fn)(void *), void *arg, uint64_t *pit_ns, uint64_t *cycles);

/* ---- interrupts, timers and other CPUs (after memory is up) ---- */
void acpi_init(void);                 /* read the MADT: CPUs, I/O APICs, overrides */
void arch_interrupts_init(void);      /* local APIC (x2APIC if offered), IPI and timer vectors */
void ioapic_init(void);               /* I/O APICs, all lines masked */
void arch_console_irq_init(void);     /* COM1 receive interrupt through the I/O APIC */
void arch_keyboard_init(void);        /* PS/2 keyboard (i8042.c): IRQ 1 -> console input; after acpi_init, ioapic_init */
void arch_screen_init(void);          /* size the screen console from the boot loader's framebuffer (screen.c) */
void arch_screen_map(void);           /* map the framebuffer and draw the console there (after memory_init) */
void arch_timer_init(unsigned hz);    /* calibrate the LAPIC timer, start it here */
void arch_timer_start_this_cpu(unsigned hz);
void arch_smp_start(unsigned maxcpus);/* INIT-SIPI-SIPI every enabled CPU */
int arch_cpus_expected(unsigned maxcpus); /* how many CPUs arch_smp_start will try to bring up, this one included */
void arch_send_call_ipi(int cpu);     /* "run your mailbox" (kernel/smp.c) */
void arch_send_resched_ipi(int cpu);  /* "look at your ready queue" */
void arch_send_forward_ipi(int cpu);  /* "kernel work was forwarded to you" (its own vector) */
void arch_poweroff(void);             /* ACPI S5, else halt */
void arch_send_fail_nmi(int cpu);     /* an NMI to `cpu`: stops it (cpufail) or pings it (kernel/cpufail.c) */
void arch_cpu_offline(int cpu, int to);/* `cpu` has failed: its device interrupts go to CPU `to` */
uint64_t arch_rtc_boot_epoch(void);   /* wall clock at boot, seconds since 1970 (CMOS RTC) */
void arch_devices_init(void);         /* PCI listing, the SATA controller's disks (kernel/blk.h) */

/* ---- the per-CPU pointer: GS base holds the address of this CPU's struct cpu ---- */
struct cpu;
static inline struct cpu *arch_this_cpu(void) {
    struct cpu *c;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}
void arch_set_cpu_pointer(struct cpu *c);

/* ---- memory ---- */
/* Until the kernel's own page tables are up, physical memory is reached
 * through the boot mapping at KERNEL_VMA (first 1 GiB only). */
extern uint64_t phys_map_offset;
#define PHYS_TO_VIRT(pa) ((void *)((uint64_t)(pa) + phys_map_offset))
#define VIRT_TO_PHYS(va) ((uint64_t)(va) - phys_map_offset)
#define KIMG_TO_PHYS(va) ((uint64_t)(va) - KERNEL_VMA)

/* Page permissions for arch_map(). */
#define MAP_WRITE (1u << 0)
#define MAP_EXEC (1u << 1)
#define MAP_USER (1u << 2)
#define MAP_NOCACHE (1u << 3)
#define MAP_GLOBAL (1u << 4) /* reported by arch_translate(): kept in every TLB across CR3 writes */
#define MAP_SHARED_WINDOW (1u << 5) /* memory of no instance (kernel/shm.c): fork shares it, exit keeps it */

/* Build the kernel's own page tables from the memory map and switch to them.
 * `max_phys` is the end of the highest RAM range to put in the direct map. */
void arch_paging_init(uint64_t max_phys);
/* Map one 4 KiB page in the address space whose top table is at `root`
 * (physical); 0 = the kernel's tables. Returns 0 or -ENOMEM. */
int arch_map_page(uint64_t root, uint64_t va, uint64_t pa, unsigned flags);
/* Unmap; returns the physical address that was mapped, or 0. */
uint64_t arch_unmap_page(uint64_t root, uint64_t va);
/* Physical address behind va (and its MAP_* flags), or false when unmapped. */
bool arch_translate(uint64_t root, uint64_t va, uint64_t *pa, unsigned *flags);
/* Map an MMIO range uncached into the direct map; returns its virtual address. */
void *arch_map_mmio(uint64_t pa, size_t len);
/* Flush one kernel page from this CPU's TLB. */
void arch_flush_tlb_page(uint64_t va);
uint64_t arch_kernel_root(void);

/* Kernel stacks come from areas: each OS instance has its own gigabyte of
 * the kernel-stack range, with its own lock, slots and page tables, whose
 * frames (stacks and tables) come from the instance's own pool. So an
 * instance that creates and ends processes takes no lock another takes. */
#define KSTACK_AREA_SLOTS 4096
struct frame_pool;
struct kstack_area {
    struct spinlock lock;
    struct frame_pool *frames;
    uint64_t base;                              /* KSTACK_AREA + index GiB */
    uint64_t used[KSTACK_AREA_SLOTS / 64];      /* bit = slot in use */
};
void arch_kstack_area_init(struct kstack_area *a, int index, struct frame_pool *frames);
/* Allocate a kernel stack with an unmapped guard page below it: returns the
 * top, or 0 when memory ran out. */
uint64_t arch_alloc_kstack(struct kstack_area *a);
/* Kernel stacks are non-global mappings: freeing one flushes only this CPU,
 * which is safe because every CPU reloads CR3 before it switches onto a
 * thread (kernel/sched.c run(); see arch/x86_64/paging.c). */
void arch_free_kstack(struct kstack_area *a, uint64_t top);
/* Before an interrupt or a remote call touches data on another thread's
 * kernel stack (a disk request, a call's arguments): drop this CPU's
 * translations of stacks freed since it last looked (paging.c). */
void arch_kstack_tlb_sync(void);

/* ---- traps ---- */
/* What the entry stubs (vectors.S, syscall.S) save, lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;     /* pushed by the CPU */
};
static inline bool trap_from_user(const struct trap_frame *f) { return (f->cs & 3) == 3; }
/* Page faults: the address (CR2) and whether it was a write (error code
 * bit 1, SDM vol. 3A 4.7). */
uint64_t arch_fault_address(void);
static inline bool arch_fault_is_write(const struct trap_frame *f) { return f->error & 2; }
typedef void (*irq_handler_fn)(struct trap_frame *f);
void arch_set_irq_handler(int vector, irq_handler_fn fn);
void arch_dump_frame(const struct trap_frame *f);
/* Stop every other CPU (NMI broadcast). */
void arch_stop_other_cpus(void);

/* ---- user mode ---- */
#define FPU_STATE_SIZE 512          /* FXSAVE area */
void arch_user_cpu_init(bool boot_cpu); /* SYSCALL MSRs, SMEP/SMAP, SSE */
void arch_fpu_init_state(void *state);
void arch_fpu_save(void *state);
void arch_fpu_restore(void *state);
uint64_t arch_as_create(void);       /* new top-level table sharing the kernel half; 0 = no memory */
void arch_as_activate(uint64_t root);/* 0 = the kernel's own tables */
uint64_t arch_as_active(void);       /* the root this CPU translates through now */
int arch_as_copy(uint64_t dst_root, uint64_t src_root); /* copy-on-write sharing; 0 or -1 */
/* A write to the user page at va: 0 when it is writable now (a shared
 * copy-on-write page copied, or made writable as its last user), 1 when
 * it is not a copy-on-write page, -1 when memory ran out. */
int arch_cow_break(uint64_t root, uint64_t va);
/* Unmap [start, end) of the lower half, dropping frames and empty tables. */
void arch_unmap_user_range(uint64_t root, uint64_t start, uint64_t end);
/* Give the pages present in [start, end) of the lower half the permissions
 * `flags` (MAP_USER, MAP_WRITE, MAP_EXEC; 0: no access at all, contents
 * kept); a page made writable is copy-on-write until its first write. */
void arch_protect_user_range(uint64_t root, uint64_t start, uint64_t end, unsigned flags);
void arch_as_destroy(uint64_t root);
bool arch_user_range_ok(uint64_t root, uint64_t va, size_t len, bool write);
void arch_user_copy(void *dst, const void *src, size_t n); /* inside a SMAP window */
long arch_user_strnlen(uint64_t root, uint64_t va, size_t max);
void arch_set_kernel_stack(uint64_t top);
void arch_init_user_frame(struct trap_frame *f, uint64_t entry, uint64_t rsp);
__attribute__((noreturn)) void arch_enter_user(struct trap_frame *f);
/* ---- signal frames (arch/x86_64/signal.c; kernel/signal.c decides when) ----
 * fpu_scratch is a 16-byte aligned FPU_STATE_SIZE buffer the caller may
 * lend (the process's own save area, p->fpu, unused while it runs). */
struct abi_sigcontext;
/* The interrupted user context of f, and the live x87/SSE registers, into c. */
void arch_signal_save(const struct trap_frame *f, struct abi_sigcontext *c, void *fpu_scratch);
/* Where a frame of `size` bytes goes on f's user stack (below the red
 * zone, 16-aligned, with room for a return address below it); 0 when the
 * stack pointer leaves no room. */
uint64_t arch_signal_frame_addr(const struct trap_frame *f, size_t size);
/* Make f call handler(a0, a1, a2) with the stack pointer at sp (where its
 * return address is), the direction and trap flags clear and a clean FPU. */
void arch_signal_enter(struct trap_frame *f, uint64_t handler, uint64_t sp, uint64_t a0, uint64_t a1, uint64_t a2,
                       void *fpu_scratch);
/* A context a program hands back (sigreturn): NULL if returning to it
 * keeps the CPU in user mode with sane flags and segments, else why not. */
const char *arch_signal_context_check(const struct abi_sigcontext *c);
/* Load a checked context into f and the FPU. */
void arch_signal_restore(struct trap_frame *f, const struct abi_sigcontext *c, void *fpu_scratch);
/* Make the saved context c execute system call nr again (SA_RESTART). */
void arch_signal_restart_syscall(struct abi_sigcontext *c, uint64_t nr);
/* The bits of MXCSR that FXRSTOR accepts (SDM vol. 1 11.6.6). */
uint32_t arch_fpu_mxcsr_mask(void);

/* Saved kernel context of a thread: what arch_switch pushes. */
struct context {
    uint64_t r15, r14, r13, r12, rbx, rbp, rip;
};
void arch_switch(struct context **old, struct context *new_ctx);

/* ---- faults caught on purpose (tests) ---- */
struct kcatch {
    uint64_t regs[8];   /* rbx rbp r12 r13 r14 r15 rsp rip */
    uint64_t rflags;
    int armed;
    int vector;         /* exception vector that was caught */
    uint64_t fault_addr; /* CR2 for a page fault, else the faulting RIP */
    uint64_t error;      /* the exception's error code */
};
/* Arm a catch for the next kernel-mode exception on this CPU. */
#define KCATCH(c) (this_cpu()->catch = (c), kcatch_setjmp(c))
/* Returns 0 when armed; returns again with the vector + 1 after a caught fault. */
int kcatch_setjmp(struct kcatch *c) __attribute__((returns_twice));
void kcatch_longjmp(struct kcatch *c, int value) __attribute__((noreturn));

/* ---- backtraces ---- */
typedef void (*backtrace_fn)(uint64_t return_address, void *ctx);
void arch_backtrace(uint64_t rbp, backtrace_fn fn, void *ctx);

/* ---- leaving QEMU (isa-debug-exit) and powering off ---- */
/* How the run ended, as the value written to isa-debug-exit; QEMU exits
 * with (value << 1) | 1, which tools/qemu.py and tools/testrun.py read:
 * 33 pass or a clean power-off, 35 a failure (failed tests, a non-zero
 * power-off, a refused boot), 37 a kernel panic. */
enum emu_exit { EMU_EXIT_PASS = 0x10, EMU_EXIT_FAIL = 0x11, EMU_EXIT_PANIC = 0x12 };
__attribute__((noreturn)) void arch_exit_emulator(enum emu_exit how);
void arch_exit_emulator_if_present(enum emu_exit how);
/* Reset the machine the hard way, for the crash test of `make run`'s
 * ending (tests/kernel/test_crash.c). */
__attribute__((noreturn)) void arch_triple_fault(void);

#endif
