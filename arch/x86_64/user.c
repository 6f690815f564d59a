/*
 * User-mode support: SYSCALL set-up, SMEP/SMAP, the FPU/SSE state of each
 * process, per-process page tables (lower half private, upper half shared),
 * and checked copies between user and kernel memory.
 */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/cpu.h"
#include "kernel/frame.h"
#include "kernel/printk.h"
#include "lib/string.h"

extern char syscall_entry[];
static bool smap_enabled;
static uint8_t default_fpu[FPU_STATE_SIZE] __attribute__((aligned(16)));

/* IA32_STAR: kernel CS in bits 47:32; bits 63:48 + 16 = user CS and + 8 =
 * user SS for SYSRET (SDM vol. 3A 5.8.8) -- hence the GDT order kdata, udata, ucode.
 * IA32_FMASK: the RFLAGS bits SYSCALL clears (SYSCALL_FMASK in x86.h says
 * which and why); the user's own RFLAGS stay in R11 and in the trap frame. */
static void syscall_msrs_init(void) {
    wrmsr(MSR_STAR, ((uint64_t)(SEL_UDATA - 8 - 3) << 48) | ((uint64_t)SEL_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, SYSCALL_FMASK);
}

/* SMEP: the kernel never executes user pages; SMAP: it never reads or
 * writes them except inside stac/clac windows (SDM vol. 3A 4.6). */
static void protection_features_init(bool report) {
    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);
    if (a < 7)
        return;
    cpuid(7, 0, &a, &b, &c, &d);
    uint64_t cr4 = read_cr4();
    if (b & (1u << 7))
        cr4 |= CR4_SMEP;
    if (b & (1u << 20)) {
        cr4 |= CR4_SMAP;
        smap_enabled = true;
    }
    write_cr4(cr4);
    if (report)
        pr_info("cpu: SMEP %s, SMAP %s\n", (b & (1u << 7)) ? "on" : "not offered",
                (b & (1u << 20)) ? "on" : "not offered");
}

/* SSE for user programs (newlib's printf uses it); the kernel itself is
 * built -mgeneral-regs-only and never touches these registers. */
static void fpu_init(void) {
    write_cr0((read_cr0() & ~(1ULL << 2) /* EM */) | (1ULL << 1) /* MP */);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    __asm__ volatile("fninit");
}

void arch_user_cpu_init(bool boot_cpu) {
    syscall_msrs_init();
    protection_features_init(boot_cpu);
    fpu_init();
    if (boot_cpu) {
        uint32_t mxcsr = 0x1F80;
        __asm__ volatile("ldmxcsr %0; fxsave %1" : : "m"(mxcsr), "m"(default_fpu));
    }
}

void arch_fpu_init_state(void *state) { memcpy(state, default_fpu, FPU_STATE_SIZE); }

/* FXSAVE stores MXCSR_MASK at bytes 28-31; 0 there means the CPU predates
 * it and the mask is 0xFFBF (SDM vol. 1 11.6.6 "Guidelines for writing to
 * the MXCSR register"). Setting a bit outside it is #GP, in FXRSTOR too. */
uint32_t arch_fpu_mxcsr_mask(void) {
    uint32_t mask;
    memcpy(&mask, default_fpu + 28, sizeof mask);
    return mask ? mask : 0xFFBF;
}
void arch_fpu_save(void *state) { __asm__ volatile("fxsave (%0)" ::"r"(state) : "memory"); }
void arch_fpu_restore(void *state) { __asm__ volatile("fxrstor (%0)" ::"r"(state) : "memory"); }

/* ---- address spaces ---- */

uint64_t arch_as_create(void) {
    uint64_t root = frame_alloc();
    if (!root)
        return 0;
    uint64_t *dst = PHYS_TO_VIRT(root), *src = PHYS_TO_VIRT(arch_kernel_root());
    for (int i = 256; i < 512; i++)
        dst[i] = src[i]; /* the shared upper half */
    return root;
}

void arch_as_activate(uint64_t root) { write_cr3(root ? root : arch_kernel_root()); }

/* CR3's page-table base (SDM vol. 3A 4.5: bits 12 and up; no PCIDs here). */
uint64_t arch_as_active(void) { return read_cr3() & ~0xFFFULL; }

/* Call fn for every mapped user page (level-1 entries of the lower half). */
static int walk_user(uint64_t root, int (*fn)(uint64_t va, uint64_t *pte, void *ctx), void *ctx) {
    uint64_t *l4 = PHYS_TO_VIRT(root);
    for (int i4 = 0; i4 < 256; i4++) {
        if (!(l4[i4] & PTE_P))
            continue;
        uint64_t *l3 = PHYS_TO_VIRT(l4[i4] & PTE_ADDR);
        for (int i3 = 0; i3 < 512; i3++) {
            if (!(l3[i3] & PTE_P))
                continue;
            uint64_t *l2 = PHYS_TO_VIRT(l3[i3] & PTE_ADDR);
            for (int i2 = 0; i2 < 512; i2++) {
                if (!(l2[i2] & PTE_P))
                    continue;
                uint64_t *l1 = PHYS_TO_VIRT(l2[i2] & PTE_ADDR);
                for (int i1 = 0; i1 < 512; i1++) {
                    if (!(l1[i1] & PTE_P))
                        continue;
                    uint64_t va = ((uint64_t)i4 << 39) | ((uint64_t)i3 << 30) | ((uint64_t)i2 << 21) |
                                  ((uint64_t)i1 << 12);
                    int r = fn(va, &l1[i1], ctx);
                    if (r)
                        return r;
                }
            }
        }
    }
    return 0;
}

/* fork: share every user page. A writable page becomes read-only and
 * copy-on-write (PTE_COW) in both address spaces; the first write in
 * either copies it (arch_cow_break). Read-only pages are simply shared.
 * Each sharing adds a frame reference. */
struct share {
    uint64_t dst_root;
    struct frame_batch refs; /* the child's new references, taken in batches */
};

static int share_page(uint64_t va, uint64_t *pte, void *ctx) {
    struct share *sh = ctx;
    /* MAP_NOGLOBAL: a PROT_NONE page has no PTE_U, and arch_map_page()
     * would make a page without MAP_USER global (a kernel page), kept in
     * every TLB across address spaces. User pages never are. */
    if (*pte & PTE_SHW) /* a shared-memory window: the child sees the same memory, no reference */
        return arch_map_page(sh->dst_root, va, *pte & PTE_ADDR, paging_map_flags(*pte) | MAP_NOGLOBAL) < 0 ? -1 : 0;
    if (*pte & (PTE_W | PTE_COW))
        *pte = (*pte & ~PTE_W) | PTE_COW;
    uint64_t pa = *pte & PTE_ADDR;
    if (arch_map_page(sh->dst_root, va, pa, paging_map_flags(*pte) | MAP_NOGLOBAL) < 0)
        return -1;
    frame_batch_put(&sh->refs, pa);
    return 0;
}

/* Returns 0 or -1 (out of memory for the child's page tables; the caller
 * destroys the partial copy, which drops the references taken so far).
 * Only this CPU runs the source address space (the scheduler loads the
 * kernel's tables between processes), so a local flush of its now
 * read-only entries is enough. Needs the source's address-space lock. */
int arch_as_copy(uint64_t dst_root, uint64_t src_root) {
    struct share sh = {.dst_root = dst_root, .refs = {.add = true}};
    int r = walk_user(src_root, share_page, &sh);
    frame_batch_flush(&sh.refs); /* also on failure: the caller's destroy drops them */
    if ((read_cr3() & PTE_ADDR) == src_root)
        write_cr3(read_cr3()); /* drop the writable translations (SDM vol. 3A 4.10.4.1) */
    return r;
}

int arch_cow_break(uint64_t root, uint64_t va) {
    uint64_t *pte = paging_pte(root, va);
    if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U))
        return 1;
    if (*pte & PTE_W)
        return 0; /* already resolved (a stale translation) */
    if (!(*pte & PTE_COW))
        return 1;
    uint64_t old = *pte & PTE_ADDR;
    /* The last reference: nobody else can take a new one (that needs this
     * address space's lock), so the page is ours to write. */
    if (frame_refcount(old) == 1) {
        *pte = (*pte & ~PTE_COW) | PTE_W;
    } else {
        uint64_t pa = frame_alloc_raw();
        if (!pa)
            return -1;
        memcpy(PHYS_TO_VIRT(pa), PHYS_TO_VIRT(old), PAGE_SIZE);
        *pte = (*pte & ~(PTE_COW | PTE_ADDR)) | pa | PTE_W;
        frame_free(old);
    }
    if ((read_cr3() & PTE_ADDR) == root)
        invlpg(va);
    return 0;
}

/* Free the user pages of [start, end) and every page table under it that
 * is empty afterwards. Absent tables are skipped whole, so a huge range
 * costs only what is mapped in it. */
static void unmap_level(uint64_t *table, int level, uint64_t base, uint64_t start, uint64_t end,
                        struct frame_batch *drops) {
    uint64_t span = 1ULL << (12 + 9 * (level - 1));
    for (int i = 0; i < (level == 4 ? 256 : 512); i++) {
        uint64_t lo = base + (uint64_t)i * span, hi = lo + span;
        if (hi <= start || lo >= end || !(table[i] & PTE_P))
            continue;
        if (level == 1) {
            if (!(table[i] & PTE_SHW)) /* window pages belong to no address space */
                frame_batch_put(drops, table[i] & PTE_ADDR);
            table[i] = 0;
            continue;
        }
        unmap_level(PHYS_TO_VIRT(table[i] & PTE_ADDR), level - 1, lo, start, end, drops);
        uint64_t *below = PHYS_TO_VIRT(table[i] & PTE_ADDR);
        bool empty = true;
        for (int k = 0; k < 512 && empty; k++)
            empty = !(below[k] & PTE_P);
        if (empty) {
            frame_free(table[i] & PTE_ADDR);
            table[i] = 0;
        }
    }
}

void arch_unmap_user_range(uint64_t root, uint64_t start, uint64_t end) {
    struct frame_batch drops = {.add = false};
    unmap_level(PHYS_TO_VIRT(root), 4, 0, start, end, &drops);
    frame_batch_flush(&drops);
    if ((read_cr3() & PTE_ADDR) == root)
        write_cr3(read_cr3());
}

/* New permissions for the user pages present in [start, end), walked like
 * unmap_level(): absent tables are skipped whole. `flags` 0 makes a page
 * PROT_NONE: it stays present, with its frame and contents, but without
 * PTE_U, so that any access from user mode faults (SDM vol. 3A 4.6) and
 * the kernel's checks (arch_user_range_ok) refuse it. A page that is to
 * be writable keeps PTE_W only if it has it now (then it is this address
 * space's alone); otherwise it becomes copy-on-write, and the first write
 * copies it or, as its last user, takes it over (arch_cow_break). */
static void protect_level(uint64_t *table, int level, uint64_t base, uint64_t start, uint64_t end, unsigned flags) {
    uint64_t span = 1ULL << (12 + 9 * (level - 1));
    for (int i = 0; i < (level == 4 ? 256 : 512); i++) {
        uint64_t lo = base + (uint64_t)i * span, hi = lo + span;
        if (hi <= start || lo >= end || !(table[i] & PTE_P))
            continue;
        if (level > 1) {
            protect_level(PHYS_TO_VIRT(table[i] & PTE_ADDR), level - 1, lo, start, end, flags);
            continue;
        }
        uint64_t e = table[i];
        if (e & PTE_SHW)
            continue;
        bool owned = e & PTE_W;
        e = (e & ~(PTE_U | PTE_W | PTE_COW | PTE_G)) | PTE_NX;
        if (flags & MAP_USER) {
            e |= PTE_U;
            if (flags & MAP_EXEC)
                e &= ~PTE_NX;
            if (flags & MAP_WRITE)
                e |= owned ? PTE_W : PTE_COW;
        }
        table[i] = e;
    }
}

void arch_protect_user_range(uint64_t root, uint64_t start, uint64_t end, unsigned flags) {
    protect_level(PHYS_TO_VIRT(root), 4, 0, start, end, flags);
    if ((read_cr3() & PTE_ADDR) == root)
        write_cr3(read_cr3()); /* drop the old permissions (SDM vol. 3A 4.10.4.1) */
}

static int free_page(uint64_t va, uint64_t *pte, void *ctx) {
    (void)va;
    if (!(*pte & PTE_SHW)) /* window pages belong to no address space */
        frame_batch_put(ctx, *pte & PTE_ADDR);
    *pte = 0;
    return 0;
}

static void free_tables(uint64_t table_pa, int level) {
    uint64_t *t = PHYS_TO_VIRT(table_pa);
    for (int i = 0; level > 1 && i < (level == 4 ? 256 : 512); i++)
        if (t[i] & PTE_P)
            free_tables(t[i] & PTE_ADDR, level - 1);
    frame_free(table_pa);
}

/* Free every user page and page table, then the root. Must not be the
 * address space this CPU is using. */
void arch_as_destroy(uint64_t root) {
    struct frame_batch drops = {.add = false};
    walk_user(root, free_page, &drops);
    frame_batch_flush(&drops);
    free_tables(root, 4);
}

/* ---- copying to and from user memory ---- */

/* Every page of [va, va+len) must be mapped user-accessible (and writable
 * when `write`): checked before the copy, so the copy itself cannot fault. */
bool arch_user_range_ok(uint64_t root, uint64_t va, size_t len, bool write) {
    if (len == 0)
        return true;
    if (va < USER_LO || va + len < va || va + len > USER_TOP)
        return false;
    for (uint64_t p = ALIGN_DOWN(va, PAGE_SIZE); p < va + len; p += PAGE_SIZE) {
        uint64_t pa;
        unsigned flags;
        if (!arch_translate(root, p, &pa, &flags) || !(flags & MAP_USER) || (write && !(flags & MAP_WRITE)))
            return false;
    }
    return true;
}

void arch_user_copy(void *dst, const void *src, size_t n) {
    if (smap_enabled)
        stac();
    memcpy(dst, src, n);
    if (smap_enabled)
        clac();
}

/* Length of the NUL-terminated user string at va: -1 when it runs into an
 * unmapped page, -2 when no NUL comes within max bytes. */
long arch_user_strnlen(uint64_t root, uint64_t va, size_t max) {
    for (size_t n = 0; n < max; n++) {
        if ((n == 0 || ((va + n) & (PAGE_SIZE - 1)) == 0) && !arch_user_range_ok(root, va + n, 1, false))
            return -1;
        char c;
        arch_user_copy(&c, (const char *)(va + n), 1);
        if (c == 0)
            return (long)n;
    }
    return -2;
}

void arch_set_kernel_stack(uint64_t top) { gdt_set_kernel_stack(this_cpu(), top); }

/* A fresh user trap frame: entry point, stack, user selectors, IF on. */
void arch_init_user_frame(struct trap_frame *f, uint64_t entry, uint64_t rsp) {
    memset(f, 0, sizeof *f);
    f->rip = entry;
    f->rsp = rsp;
    f->cs = SEL_UCODE;
    f->ss = SEL_UDATA;
    f->rflags = RFLAGS_IF;
}
