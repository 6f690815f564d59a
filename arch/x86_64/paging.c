/*
 * The kernel's page tables (4-level paging, SDM vol. 3A 4.5): a direct map
 * of physical memory in 2 MiB pages, the kernel image in 4 KiB pages with
 * per-section permissions (text R-X, rodata R--, data/bss RW-, NX enforced),
 * and the kernel-stack area where each stack has an unmapped guard page.
 */
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/cpu.h"
#include "kernel/frame.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"

uint64_t phys_map_offset = KERNEL_VMA;
static uint64_t kernel_root;
static bool kernel_root_live; /* CR3 holds it: a changed entry must be flushed */
static struct spinlock kernel_pt_lock = SPINLOCK_INIT("kernel page tables", RANK_KERNEL_PT);

extern char _kernel_start[], _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _data_end[], _ksyms_start[], _ksyms_end[], _kernel_end[];
extern char boot_stack_guard[];

uint64_t arch_kernel_root(void) { return kernel_root; }

static uint64_t *table_at(uint64_t entry) { return PHYS_TO_VIRT(entry & PTE_ADDR); }

static unsigned level_index(uint64_t va, int level) { return (va >> (12 + 9 * (level - 1))) & 511; }

/* A translation that changed while it may be cached: flushed once the
 * table lock is dropped (tlb_shootdown waits for other CPUs). */
struct stale {
    uint64_t va;
    size_t pages;
};

/* A map splits at most one large page, and the entry it then writes lies
 * inside it: the wider range covers both. */
static void note_stale(struct stale *st, uint64_t va, size_t pages) {
    if (pages > st->pages) {
        st->va = va;
        st->pages = pages;
    }
}

/* Replace a 2 MiB mapping by a table of 512 equivalent 4 KiB mappings.
 * The TLB may hold the large translation: changing a page's size needs an
 * invalidation of the whole range (SDM vol. 3A 4.10.2.3, 4.10.4.1), which
 * the caller does through `st`. */
static int split_large_page(uint64_t *pde, uint64_t va, struct stale *st) {
    uint64_t pt = frame_alloc();
    if (!pt)
        return -1;
    uint64_t *t = PHYS_TO_VIRT(pt);
    uint64_t base = *pde & PTE_ADDR_2M, flags = *pde & ~(PTE_ADDR_2M | PTE_PS);
    for (int i = 0; i < 512; i++)
        t[i] = (base + (uint64_t)i * PAGE_SIZE) | flags;
    *pde = pt | PTE_P | PTE_W | (*pde & PTE_U);
    note_stale(st, ALIGN_DOWN(va, 1ULL << 21), 512);
    return 0;
}

/* The level-1 entry for va, creating tables on the way when `create`. */
static uint64_t *walk(uint64_t root, uint64_t va, bool create, struct stale *st) {
    uint64_t *table = PHYS_TO_VIRT(root);
    uint64_t inter = PTE_P | PTE_W | (va < KERNEL_HALF ? PTE_U : 0);
    for (int level = 4; level > 1; level--) {
        uint64_t *e = &table[level_index(va, level)];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t t = frame_alloc();
            if (!t)
                return NULL;
            *e = t | inter;
        } else if (level == 2 && (*e & PTE_PS)) {
            if (!create || split_large_page(e, va, st) < 0)
                return NULL;
        }
        table = table_at(*e);
    }
    return &table[level_index(va, 1)];
}

static uint64_t pte_flags(unsigned flags) {
    uint64_t f = PTE_P;
    if (flags & MAP_WRITE)
        f |= PTE_W;
    if (!(flags & MAP_EXEC))
        f |= PTE_NX;
    if (flags & MAP_USER)
        f |= PTE_U;
    else
        f |= PTE_G;
    if (flags & MAP_NOCACHE)
        f |= PTE_PCD | PTE_PWT;
    else if (flags & MAP_WC)
        f |= PTE_PWT; /* PAT entry 1: write-combining after paging_pat_init() */
    if (flags & MAP_COW)
        f |= PTE_COW;
    if (flags & MAP_SHARED_WINDOW)
        f |= PTE_SHW;
    if (flags & MAP_NOGLOBAL)
        f &= ~PTE_G;
    return f;
}

unsigned paging_map_flags(uint64_t e) {
    return ((e & PTE_W) ? MAP_WRITE : 0) | ((e & PTE_NX) ? 0 : MAP_EXEC) | ((e & PTE_U) ? MAP_USER : 0) |
           ((e & PTE_PCD) ? MAP_NOCACHE : 0) | ((e & PTE_COW) ? MAP_COW : 0) | ((e & PTE_G) ? MAP_GLOBAL : 0) |
           ((e & PTE_SHW) ? MAP_SHARED_WINDOW : 0);
}

/* Rewriting a present entry leaves the old translation in TLBs (SDM vol.
 * 3A 4.10.4.1): it goes into `st` to be flushed. */
static int map_locked(uint64_t root, uint64_t va, uint64_t pa, unsigned flags, struct stale *st) {
    uint64_t *pte = walk(root, va, true, st);
    if (!pte)
        return -1;
    bool live = *pte & PTE_P;
    *pte = (pa & PTE_ADDR) | pte_flags(flags);
    if (live)
        note_stale(st, va, 1);
    return 0;
}

/* Kernel mappings are global and live on every CPU: a shoot-down. A user
 * address space runs on one CPU at a time, and the scheduler reloads CR3
 * between processes, so only this CPU can hold its translations. */
static void flush_stale(bool kernel, const struct stale *st) {
    if (!st->pages)
        return;
    if (kernel && kernel_root_live) {
        tlb_shootdown_range(st->va, st->pages);
    } else {
        for (size_t i = 0; i < st->pages; i++)
            invlpg(st->va + i * PAGE_SIZE);
    }
}

int arch_map_page(uint64_t root, uint64_t va, uint64_t pa, unsigned flags) {
    bool kernel = root == 0;
    struct stale st = {0, 0};
    if (kernel) {
        root = kernel_root;
        spin_lock(&kernel_pt_lock);
    }
    int r = map_locked(root, va, pa, flags, &st);
    if (kernel)
        spin_unlock(&kernel_pt_lock);
    flush_stale(kernel, &st);
    return r;
}

uint64_t *paging_pte(uint64_t root, uint64_t va) { return walk(root, va, false, NULL); }

uint64_t arch_unmap_page(uint64_t root, uint64_t va) {
    bool kernel = root == 0;
    if (kernel) {
        root = kernel_root;
        spin_lock(&kernel_pt_lock);
    }
    uint64_t pa = 0;
    uint64_t *pte = walk(root, va, false, NULL);
    if (pte && (*pte & PTE_P)) {
        pa = *pte & PTE_ADDR;
        *pte = 0;
        invlpg(va);
    }
    if (kernel)
        spin_unlock(&kernel_pt_lock);
    return pa;
}

bool arch_translate(uint64_t root, uint64_t va, uint64_t *pa, unsigned *flags) {
    uint64_t *table = PHYS_TO_VIRT(root ? root : kernel_root);
    for (int level = 4; level >= 1; level--) {
        uint64_t e = table[level_index(va, level)];
        if (!(e & PTE_P))
            return false;
        if (level == 1 || (level == 2 && (e & PTE_PS))) {
            uint64_t page_mask = level == 2 ? (1ULL << 21) - 1 : PAGE_SIZE - 1;
            *pa = (e & PTE_ADDR & ~page_mask) | (va & page_mask);
            *flags = paging_map_flags(e) & ~MAP_COW;
            return true;
        }
        table = table_at(e);
    }
    return false;
}

void arch_flush_tlb_page(uint64_t va) { invlpg(va); }

/* ---- the AP trampoline's identity mapping ---- */

/* Not global, so that no CPU keeps it across a CR3 load, and removed with
 * its page tables after bring-up (the kernel's lower half is then empty
 * again). Must not be shared with anything: the tables are freed. */
void paging_map_trampoline(uint64_t pa) {
    if (arch_map_page(0, pa, pa, MAP_EXEC | MAP_WRITE | MAP_NOGLOBAL) < 0)
        panic("out of memory mapping the AP trampoline");
}

static bool table_empty(const uint64_t *t) {
    for (int i = 0; i < 512; i++)
        if (t[i] & PTE_P)
            return false;
    return true;
}

void paging_unmap_trampoline(uint64_t pa) {
    spin_lock(&kernel_pt_lock);
    uint64_t *path[4]; /* the entry at each level, 4 = PML4 */
    uint64_t *table = PHYS_TO_VIRT(kernel_root);
    for (int level = 4; level >= 1; level--) {
        path[level - 1] = &table[level_index(pa, level)];
        if (!(*path[level - 1] & PTE_P) || (level == 2 && (*path[level - 1] & PTE_PS)))
            panic("AP trampoline at %llx is not mapped by 4 KiB page", (unsigned long long)pa);
        if (level > 1)
            table = table_at(*path[level - 1]);
    }
    *path[0] = 0; /* the page is reserved memory: never freed */
    for (int level = 2; level <= 4; level++) {
        uint64_t *below = table_at(*path[level - 1]);
        if (!table_empty(below))
            break;
        *path[level - 1] = 0;
        frame_free(VIRT_TO_PHYS(below));
    }
    spin_unlock(&kernel_pt_lock);
    /* Every CPU that came up ran through it. INVLPG also drops the cached
     * upper-level entries for the address (SDM vol. 3A 4.10.4.1). */
    tlb_shootdown(pa);
}

void *arch_map_mmio(uint64_t pa, size_t len) {
    uint64_t start = pa & ~(uint64_t)(PAGE_SIZE - 1);
    for (uint64_t p = start; p < pa + len; p += PAGE_SIZE)
        if (arch_map_page(0, PHYS_MAP_BASE + p, p, MAP_WRITE | MAP_NOCACHE) < 0)
            panic("out of memory mapping MMIO at %llx", (unsigned long long)p);
    return (void *)(PHYS_MAP_BASE + pa);
}

/* ---- write-combining for the framebuffer ---- */

/*
 * A page's memory type comes from the PAT entry its PAT, PCD and PWT bits
 * select (SDM vol. 3A 13.12.3, Table 13-11; 11.12 in older editions). At
 * reset the eight entries are WB, WT, UC-, UC twice over; entry 1 (PWT
 * alone), write-through, is used by no mapping here, so it becomes
 * write-combining (encoding 01h, Table 13-10): writes to the framebuffer
 * are then gathered into bursts instead of going out one by one, and WC
 * in the PAT wins over the UC that the MTRRs give the PCI hole (Table
 * 13-7). Every CPU loads the same value (13.12.4) before any WC mapping
 * exists, so no cached line of the old type needs flushing.
 */
#define MSR_PAT 0x277
#define PAT_RESET 0x0007040600070406ULL
#define PAT_WC 0x01ULL
static bool pat_ok;

void paging_pat_init(void) {
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    if (!(d & (1u << 16))) /* CPUID.01H:EDX.PAT[bit 16] */
        return;
    uint64_t pat = (PAT_RESET & ~(0xFFULL << 8)) | PAT_WC << 8;
    wrmsr(MSR_PAT, pat);
    if (cpu_id() == 0)
        pat_ok = true;
}

bool paging_map_framebuffer(uint64_t pa, size_t len) {
    uint64_t start = pa & ~(uint64_t)(PAGE_SIZE - 1);
    for (uint64_t p = start; p < pa + len; p += PAGE_SIZE)
        if (arch_map_page(0, PHYS_MAP_BASE + p, p, MAP_WRITE | MAP_WC) < 0)
            panic("out of memory mapping the framebuffer at %llx", (unsigned long long)p);
    return pat_ok;
}

/* ---- building the kernel's tables ---- */

static unsigned section_permissions(uint64_t va) {
    if (va >= (uint64_t)_text_start && va < (uint64_t)_text_end)
        return MAP_EXEC;
    if (va >= (uint64_t)_data_start && va < (uint64_t)_data_end)
        return MAP_WRITE;
    return 0; /* rodata, ksyms: read-only, no execute */
}

/* The image at KERNEL_VMA with its sections' permissions, and the same
 * permissions, minus execute, on its alias in the direct map: otherwise
 * the direct map would be a writable view of text and rodata. The 2 MiB
 * direct-map pages over the image are split for that. */
static void map_kernel_image(uint64_t root) {
    struct stale st = {0, 0}; /* root not live yet: nothing to flush */
    for (uint64_t va = (uint64_t)_kernel_start; va < (uint64_t)_kernel_end; va += PAGE_SIZE) {
        uint64_t pa = KIMG_TO_PHYS(va);
        if (map_locked(root, PHYS_MAP_BASE + pa, pa, section_permissions(va) & ~MAP_EXEC, &st) < 0)
            panic("out of memory building kernel page tables");
        if (va == (uint64_t)boot_stack_guard)
            continue; /* the boot stack's guard page stays unmapped */
        if (map_locked(root, va, pa, section_permissions(va), &st) < 0)
            panic("out of memory building kernel page tables");
    }
}

static void map_physical_memory(uint64_t root, uint64_t max_phys) {
    uint64_t end = ALIGN_UP(max_phys, 1ULL << 21);
    if (end > PHYS_MAP_MAX_BYTES)
        end = PHYS_MAP_MAX_BYTES;
    for (uint64_t pa = 0; pa < end; pa += 1ULL << 21) {
        uint64_t va = PHYS_MAP_BASE + pa;
        uint64_t *table = PHYS_TO_VIRT(root);
        for (int level = 4; level > 2; level--) {
            uint64_t *e = &table[level_index(va, level)];
            if (!(*e & PTE_P)) {
                uint64_t t = frame_alloc();
                if (!t)
                    panic("out of memory building the direct map");
                *e = t | PTE_P | PTE_W;
            }
            table = table_at(*e);
        }
        table[level_index(va, 2)] = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
    }
}

/* Top-level entries of the upper half are created now and never change, so
 * every process's copy of them (see address spaces) stays valid forever. */
static void preallocate_upper_half(uint64_t root) {
    uint64_t *pml4 = PHYS_TO_VIRT(root);
    for (int i = 256; i < 512; i++) {
        if (pml4[i] & PTE_P)
            continue;
        uint64_t t = frame_alloc();
        if (!t)
            panic("out of memory building kernel page tables");
        pml4[i] = t | PTE_P | PTE_W;
    }
}

void arch_paging_init(uint64_t max_phys) {
    uint64_t root = frame_alloc();
    if (!root)
        panic("no memory for the kernel's page tables");
    map_physical_memory(root, max_phys);
    map_kernel_image(root);
    preallocate_upper_half(root);
    kernel_root = root;
    write_cr4(read_cr4() | CR4_PGE);
    write_cr3(root);
    kernel_root_live = true;
    phys_map_offset = PHYS_MAP_BASE;
    pr_info("paging: direct map of %llu MiB at %llx (kernel image read-only there); kernel text R-X, rodata R--, "
            "data RW- NX\n",
            (unsigned long long)(ALIGN_UP(max_phys, 1ULL << 21) >> 20), (unsigned long long)PHYS_MAP_BASE);
}

/* ---- kernel stacks ---- */

#define KSTACK_SLOT (KSTACK_SIZE + PAGE_SIZE)
#define KSTACK_AREA_SPAN (1ULL << 30) /* one page-directory-pointer entry per area */

void arch_kstack_area_init(struct kstack_area *a, int index, struct frame_pool *frames) {
    spin_init(&a->lock, "kernel stacks", RANK_KERNEL_PT);
    a->frames = frames;
    a->base = KSTACK_AREA + (uint64_t)index * KSTACK_AREA_SPAN;
}

static int claim_kstack_slot(struct kstack_area *a) {
    spin_lock(&a->lock);
    int slot = -1;
    for (int i = 0; i < KSTACK_AREA_SLOTS && slot < 0; i++)
        if (!(a->used[i / 64] & (1ULL << (i % 64)))) {
            a->used[i / 64] |= 1ULL << (i % 64);
            slot = i;
        }
    spin_unlock(&a->lock);
    return slot;
}

/* The level-1 entry of a stack page of area a, making the area's tables on
 * the way from the area's own pool. Only the area's lock is needed: the
 * top-level entry of the stack range never changes (preallocate_upper_half)
 * and below it the area owns its own page-directory-pointer entry, so no
 * other area writes the same table words. */
static uint64_t *kstack_pte(struct kstack_area *a, uint64_t va, bool create) {
    uint64_t *table = PHYS_TO_VIRT(kernel_root);
    for (int level = 4; level > 1; level--) {
        uint64_t *e = &table[level_index(va, level)];
        if (!(*e & PTE_P)) {
            uint64_t t = create ? pool_alloc(a->frames, 1) : 0;
            if (!t)
                return NULL;
            *e = t | PTE_P | PTE_W;
        }
        table = table_at(*e);
    }
    return &table[level_index(va, 1)];
}

/*
 * Kernel stacks are mapped non-global, so that freeing one needs no TLB
 * shoot-down (an IPI to every CPU and a wait for all of them on each
 * exit: under emulation, a host thread wake-up per idle CPU). A MOV to CR3
 * invalidates every non-global translation (SDM vol. 3A 4.10.4.1), and
 * every CPU writes CR3 before it switches onto a thread's stack (run() in
 * kernel/sched.c activates the thread's address space, or the kernel's,
 * for every switch). So a CPU can hold a stale translation of a freed stack
 * only from before its last switch, and it touches another thread's stack
 * only through its own current thread: the CPU that allocates a stack
 * (fork writes the child's first frame there) flushes the range locally,
 * and any CPU that later switches onto the stack has reloaded CR3 since.
 * (The processor may cache translations speculatively, SDM 4.10.2.3: this
 * is why the allocating CPU flushes even though it never used the old
 * mapping.)
 */
static void flush_kstack_locally(uint64_t base) {
    for (int i = 0; i < KSTACK_PAGES; i++)
        invlpg(base + (uint64_t)i * PAGE_SIZE);
}

/* Every free counts here. A CPU touches a stack of another thread without
 * switching when an interrupt or a remote call reads data there (the
 * disk's completion reads the waiter's request; a call reads its caller's
 * arguments). If it once touched an earlier stack at the same address and
 * has not written CR3 since (an idle CPU does not), its TLB still maps the
 * freed frame: arch_kstack_tlb_sync() reloads CR3 when a stack was freed
 * since this CPU last looked. The count goes up before the slot is free for
 * reuse, so a request or a call made on a new stack at that address is seen
 * with it. */
static volatile uint64_t kstack_frees;
static uint64_t kstack_frees_seen[MAX_CPUS];

void arch_kstack_tlb_sync(void) {
    uint64_t n = __atomic_load_n(&kstack_frees, __ATOMIC_SEQ_CST);
    uint64_t *seen = &kstack_frees_seen[cpu_id()];
    if (*seen != n) {
        *seen = n;
        write_cr3(read_cr3()); /* non-global entries go (SDM vol. 3A 4.10.4.1) */
    }
}

void arch_free_kstack(struct kstack_area *a, uint64_t top) {
    uint64_t base = top - KSTACK_SIZE;
    int slot = (int)((base - PAGE_SIZE - a->base) / KSTACK_SLOT);
    if (base < a->base || slot >= KSTACK_AREA_SLOTS)
        panic("arch_free_kstack: stack %llx is not in the area at %llx", (unsigned long long)top,
              (unsigned long long)a->base);
    spin_lock(&a->lock);
    for (int i = 0; i < KSTACK_PAGES; i++) {
        uint64_t va = base + (uint64_t)i * PAGE_SIZE;
        uint64_t *pte = kstack_pte(a, va, false);
        if (pte && (*pte & PTE_P)) {
            uint64_t pa = *pte & PTE_ADDR;
            *pte = 0;
            invlpg(va); /* this CPU; the others reload CR3 before they use a stack */
            pool_free(a->frames, pa, 1);
        }
    }
    __atomic_fetch_add(&kstack_frees, 1, __ATOMIC_SEQ_CST);
    a->used[slot / 64] &= ~(1ULL << (slot % 64));
    spin_unlock(&a->lock);
}

uint64_t arch_alloc_kstack(struct kstack_area *a) {
    int slot = claim_kstack_slot(a);
    if (slot < 0)
        return 0;
    uint64_t base = a->base + (uint64_t)slot * KSTACK_SLOT + PAGE_SIZE; /* guard page below */
    uint64_t top = base + KSTACK_SIZE;
    for (uint64_t va = base; va < top; va += PAGE_SIZE) {
        uint64_t pa = pool_alloc(a->frames, 1);
        spin_lock(&a->lock);
        uint64_t *pte = pa ? kstack_pte(a, va, true) : NULL;
        if (pte)
            *pte = pa | pte_flags(MAP_WRITE | MAP_NOGLOBAL);
        spin_unlock(&a->lock);
        if (!pte) {
            if (pa)
                pool_free(a->frames, pa, 1);
            arch_free_kstack(a, top);
            return 0;
        }
    }
    flush_kstack_locally(base);
    return top;
}
