/* Thin wrappers over single x86 instructions, and the register bits and MSR
 * numbers they use (arch-private). The #defines are shared with the
 * assembly entry code (vectors.S, syscall.S). */
#ifndef X86_H
#define X86_H

/* RFLAGS (SDM vol. 1 3.4.3). */
#define RFLAGS_CF (1 << 0)
#define RFLAGS_FIXED1 (1 << 1)   /* reserved, always 1 */
#define RFLAGS_PF (1 << 2)
#define RFLAGS_AF (1 << 4)
#define RFLAGS_ZF (1 << 6)
#define RFLAGS_SF (1 << 7)
#define RFLAGS_TF (1 << 8)
#define RFLAGS_IF (1 << 9)
#define RFLAGS_DF (1 << 10)
#define RFLAGS_OF (1 << 11)
#define RFLAGS_IOPL (3 << 12)
#define RFLAGS_NT (1 << 14)
#define RFLAGS_RF (1 << 16)
#define RFLAGS_VM (1 << 17)
#define RFLAGS_AC (1 << 18)
#define RFLAGS_VIF (1 << 19)
#define RFLAGS_VIP (1 << 20)
#define RFLAGS_ID (1 << 21)

/* The bits a user program may carry through a system call or interrupt:
 * the arithmetic flags, TF (single-stepping itself), DF, AC (alignment
 * checking, which CPL 3 may turn on), ID (the CPUID probe), and RF (set
 * by the CPU in a fault's frame so the instruction can be restarted).
 * Everything else is the kernel's: on the way back to user mode IF is
 * forced on and IOPL, NT, VM, VIF and VIP off (vectors.S trap_return). */
#define RFLAGS_USER_KEEP                                                                      \
    (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_TF | RFLAGS_DF | RFLAGS_OF | \
     RFLAGS_RF | RFLAGS_AC | RFLAGS_ID)
#define RFLAGS_USER_FORCE (RFLAGS_IF | RFLAGS_FIXED1)

/* Cleared by SYSCALL through IA32_FMASK (SDM vol. 3A 5.8.8): no interrupts
 * before the kernel stack is set up, no single-step trap into the kernel,
 * string instructions forward, no SMAP bypass, no I/O privilege and no
 * nested-task IRET. */
#define SYSCALL_FMASK (RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_IOPL | RFLAGS_NT | RFLAGS_AC)

/* DR6.BS: the debug exception was a single-step trap (SDM vol. 3B 18.2.3). */
#define DR6_BS (1 << 14)

#define MSR_EFER 0xC0000080
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_SFMASK 0xC0000084
#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_APIC_BASE 0x1B

#ifndef __ASSEMBLY__
#include "lib/types.h"

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port) {
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

#define DEFINE_CR_ACCESSORS(n)                                                   \
    static inline uint64_t read_cr##n(void) {                                    \
        uint64_t v;                                                              \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                        \
        return v;                                                                \
    }                                                                            \
    static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)

static inline uint64_t read_rflags(void) {
    uint64_t f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f;
}
static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

#define EFER_SCE (1 << 0)
#define EFER_NXE (1 << 11)

#define CR0_WP (1ULL << 16)
#define CR4_PGE (1ULL << 7)
#define CR4_OSFXSR (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define CR4_SMEP (1ULL << 20)
#define CR4_SMAP (1ULL << 21)

/* SMAP user-access windows (SDM vol. 3A 4.6.1): STAC/CLAC toggle EFLAGS.AC. */
static inline void stac(void) { __asm__ volatile("stac" ::: "memory"); }
static inline void clac(void) { __asm__ volatile("clac" ::: "memory"); }
/* Exchange GS base with IA32_KERNEL_GS_BASE (SDM vol. 2B "SWAPGS"). */
static inline void swapgs(void) { __asm__ volatile("swapgs" ::: "memory"); }

#endif /* __ASSEMBLY__ */
#endif
