/*
 * mmap, munmap, mprotect: private mappings, anonymous or of a regular
 * file, in the area [USER_MMAP_BASE, USER_MMAP_TOP) of each address space
 * (arch/x86_64/layout.h; docs/memory.md, "Mappings").
 *
 * A mapping is a region in its address space's table (struct vm_region,
 * kernel/mmap.h) plus whatever pages of it exist so far:
 *
 *  - Anonymous memory is created lazily, like the heap: the first touch of
 *    a page of a region maps a zeroed frame with the region's protection
 *    (make_accessible() in kernel/vm.c asks mmap_fault_flags()). A mapping
 *    costs nothing until it is used, and a large one can be made without
 *    the memory to back all of it (a check, not a reservation: below).
 *  - A file mapping is filled eagerly: mmap() reads the file's bytes into
 *    new frames before it returns. Reading may sleep on the disk, and the
 *    fault path runs under the address space's spinlock; read at once, the
 *    mapping is ordinary memory from then on (it holds no reference to the
 *    file, and later changes of the file are not seen: MAP_PRIVATE leaves
 *    that unspecified). Its pages past the end of the file are demand-zero.
 *  - PROT_NONE pages that exist stay present, with their frames, but
 *    without the user bit (arch_protect_user_range()), so that a later
 *    mprotect() finds their contents again.
 *
 * The table is small and fixed (MMAP_REGIONS per address space):
 * neighbours with the same protection are merged, and an operation that
 * would leave more regions fails with ENOMEM and changes nothing. Every
 * edit is made on a copy and installed whole.
 *
 * Locking: the table and the page tables under as->lock (RANK_ADDRSPACE),
 * as in vm.c. A file is read with no spinlock held (the inode's sleep
 * lock, RANK_FS_INODE, is taken and dropped per page), between two holds
 * of as->lock. Only the process's own thread changes its address space,
 * so nothing else can change the table in between.
 */
#include "kernel/mmap.h"
#include "kernel/ext2.h"
#include "kernel/file.h"
#include "kernel/frame.h"
#include "kernel/proc.h"
#include "kernel/vm.h"
#include "lib/string.h"
#include "arch.h"

#define PROT_ALL (ABI_PROT_READ | ABI_PROT_WRITE | ABI_PROT_EXEC)
#define FLAGS_KNOWN (ABI_MAP_SHARED | ABI_MAP_PRIVATE | ABI_MAP_FIXED | ABI_MAP_ANONYMOUS)
/* The largest length that still rounds up to a page without wrapping. */
#define LEN_MAX (~0ULL - PAGE_SIZE + 1)

/* The page flags of a protection. x86 pages are always readable when
 * present and user-accessible, so PROT_WRITE and PROT_EXEC imply reading;
 * without PROT_EXEC a page is no-execute (EFER.NXE, Intel SDM vol. 3A 4.6). */
static unsigned page_flags(uint32_t prot) {
    if (prot == ABI_PROT_NONE)
        return 0;
    return MAP_USER | ((prot & ABI_PROT_WRITE) ? MAP_WRITE : 0) | ((prot & ABI_PROT_EXEC) ? MAP_EXEC : 0);
}

/* ---- the region table ---- */

/* Take [s, e) out of every region of t. A region reaching over both ends
 * is split in two: the only case that adds an entry, and at most one
 * region can reach over both. */
static void regions_cut(struct vm_regions *t, uint64_t s, uint64_t e) {
    struct vm_region out[MMAP_REGIONS + 2];
    int n = 0;
    for (int i = 0; i < t->n; i++) {
        struct vm_region r = t->r[i];
        if (r.end <= s || r.start >= e) {
            out[n++] = r;
            continue;
        }
        if (r.start < s)
            out[n++] = (struct vm_region){r.start, s, r.prot, 0};
        if (r.end > e)
            out[n++] = (struct vm_region){e, r.end, r.prot, 0};
    }
    memcpy(t->r, out, sizeof out[0] * (size_t)n);
    t->n = n;
}

/* Add [s, e), which no region of t overlaps, in address order, and merge
 * neighbours that touch and have the same protection. */
static void regions_add(struct vm_regions *t, uint64_t s, uint64_t e, uint32_t prot) {
    int i = t->n;
    for (; i > 0 && t->r[i - 1].start > s; i--)
        t->r[i] = t->r[i - 1];
    t->r[i] = (struct vm_region){s, e, prot, 0};
    t->n++;
    int k = 0;
    for (int j = 1; j < t->n; j++) {
        if (t->r[k].end == t->r[j].start && t->r[k].prot == t->r[j].prot)
            t->r[k].end = t->r[j].end;
        else
            t->r[++k] = t->r[j];
    }
    t->n = k + 1;
}

/* Every page of [s, e) lies in some region. */
static bool regions_cover(const struct vm_regions *t, uint64_t s, uint64_t e) {
    uint64_t at = s;
    for (int i = 0; i < t->n && at < e; i++) {
        if (t->r[i].end <= at)
            continue;
        if (t->r[i].start > at)
            return false;
        at = t->r[i].end;
    }
    return at >= e;
}

static bool regions_free(const struct vm_regions *t, uint64_t s, uint64_t e) {
    for (int i = 0; i < t->n; i++)
        if (t->r[i].start < e && t->r[i].end > s)
            return false;
    return true;
}

/* The lowest address of the area with len free bytes above it, or 0. */
static uint64_t regions_gap(const struct vm_regions *t, uint64_t len) {
    uint64_t at = USER_MMAP_BASE;
    for (int i = 0; i < t->n; i++) {
        if (t->r[i].start - at >= len)
            return at;
        at = t->r[i].end;
    }
    return USER_MMAP_TOP - at >= len ? at : 0;
}

/* Pages of [s, e) in regions without PROT_WRITE. */
static uint64_t pages_not_writable(const struct vm_regions *t, uint64_t s, uint64_t e) {
    uint64_t pages = 0;
    for (int i = 0; i < t->n; i++) {
        uint64_t lo = MAX(s, t->r[i].start), hi = MIN(e, t->r[i].end);
        if (lo < hi && !(t->r[i].prot & ABI_PROT_WRITE))
            pages += (hi - lo) / PAGE_SIZE;
    }
    return pages;
}

unsigned mmap_fault_flags(const struct addrspace *as, uint64_t va, bool write) {
    for (int i = 0; i < as->maps.n; i++) {
        const struct vm_region *r = &as->maps.r[i];
        if (va >= r->start && va < r->end)
            return write && !(r->prot & ABI_PROT_WRITE) ? 0 : page_flags(r->prot);
    }
    return 0;
}

/* [addr, addr + len) lies inside the area (len > 0, page-rounded). */
static bool in_area(uint64_t addr, uint64_t len) {
    return addr >= USER_MMAP_BASE && addr <= USER_MMAP_TOP && len <= USER_MMAP_TOP - addr;
}

/* ---- file mappings ---- */

/* Up to n bytes of an open regular file from offset off into kernel
 * memory: the number read (fewer at the end of the file) or -ABI_E*.
 * May sleep on the disk: the caller holds no spinlock. */
static long file_read_at(struct file *f, uint64_t off, void *dst, size_t n) {
    if (f->type == F_INITRD) { /* the archive's bytes never change: no lock */
        if (off >= f->size)
            return 0;
        size_t k = MIN(n, f->size - off);
        memcpy(dst, f->data + off, k);
        return (long)k;
    }
    int err = ilock(f->ip);
    if (err)
        return err;
    long r = fs_readi(f->ip, off, dst, n, false);
    iunlock(f->ip);
    return r;
}

/* The first `pages` pages of the new mapping at `at`: the file's bytes
 * from `off`, zero after its end. Mapped writable while they are filled
 * (nothing runs in this address space meanwhile), then given the
 * mapping's protection. 0 or -ABI_E*; on an error the caller unmaps. */
static long fill_from_file(struct addrspace *as, struct file *f, uint64_t off, uint64_t at, uint64_t pages,
                           uint32_t prot) {
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t pa = frame_alloc_raw(); /* every byte is written below */
        if (!pa)
            return -ABI_ENOMEM;
        uint8_t *page = PHYS_TO_VIRT(pa);
        long n = file_read_at(f, off + i * PAGE_SIZE, page, PAGE_SIZE);
        if (n < 0) {
            frame_free(pa);
            return n;
        }
        memset(page + n, 0, PAGE_SIZE - (size_t)n);
        spin_lock(&as->lock);
        int r = arch_map_page(as->root, at + i * PAGE_SIZE, pa, MAP_USER | MAP_WRITE);
        spin_unlock(&as->lock);
        if (r < 0) {
            frame_free(pa);
            return -ABI_ENOMEM;
        }
    }
    spin_lock(&as->lock);
    arch_protect_user_range(as->root, at, at + pages * PAGE_SIZE, page_flags(prot));
    spin_unlock(&as->lock);
    return 0;
}

/* Check a file to be mapped; the number of its pages the mapping holds
 * (from off, at most len bytes' worth), or -ABI_E*. */
static long file_pages(int fd, int64_t off, uint64_t len, struct file **out) {
    struct file *f = fd >= 0 && fd < NOFILE ? current_proc()->files[fd] : NULL;
    if (!f)
        return -ABI_EBADF;
    if (f->type != F_INODE && f->type != F_INITRD) /* the console, a pipe */
        return -ABI_EACCES;
    struct abi_stat st;
    int err = file_stat(f, &st);
    if (err)
        return err;
    if ((st.mode & ABI_S_IFMT) != ABI_S_IFREG || !f->readable)
        return -ABI_EACCES;
    *out = f;
    if ((uint64_t)off >= st.size)
        return 0;
    return (long)(MIN(len, ALIGN_UP(st.size - (uint64_t)off, PAGE_SIZE)) / PAGE_SIZE);
}

/* ---- the calls ---- */

long mmap_map(uint64_t addr, uint64_t len, int prot, int flags, int fd, int64_t off) {
    if ((prot & ~PROT_ALL) || (flags & ~FLAGS_KNOWN) ||
        (flags & (ABI_MAP_SHARED | ABI_MAP_PRIVATE)) != ABI_MAP_PRIVATE) /* MAP_SHARED is not offered */
        return -ABI_EINVAL;
    if (len == 0 || len > LEN_MAX)
        return -ABI_EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    bool fixed = flags & ABI_MAP_FIXED, anon = flags & ABI_MAP_ANONYMOUS;
    if (fixed && !IS_ALIGNED(addr, PAGE_SIZE))
        return -ABI_EINVAL;
    if (!anon && (off < 0 || !IS_ALIGNED((uint64_t)off, PAGE_SIZE) || len > (uint64_t)INT64_MAX - (uint64_t)off))
        return -ABI_EINVAL; /* the last byte's offset must be an off_t too */
    /* W^X, as exec has it (docs/abi.md): code is written, then made
     * executable with mprotect. EACCES, as a system whose policy forbids
     * writable code answers. */
    if ((prot & ABI_PROT_WRITE) && (prot & ABI_PROT_EXEC))
        return -ABI_EACCES;
    if (fixed ? !in_area(addr, len) : len > USER_MMAP_TOP - USER_MMAP_BASE)
        return -ABI_ENOMEM;
    struct file *f = NULL;
    long from_file = 0;
    if (!anon && (from_file = file_pages(fd, off, len, &f)) < 0)
        return from_file;
    /* Writable memory is promised when it is mapped (like sbrk); a file's
     * pages are needed now, whatever the protection. */
    if (!vm_commit_ok((prot & ABI_PROT_WRITE) ? len / PAGE_SIZE : (uint64_t)from_file))
        return -ABI_ENOMEM;

    struct addrspace *as = current_proc()->as;
    struct vm_regions t;
    spin_lock(&as->lock);
    t = as->maps;
    uint64_t at, hint = ALIGN_DOWN(addr, PAGE_SIZE);
    if (fixed)
        at = addr;
    else if (hint && in_area(hint, len) && regions_free(&t, hint, hint + len))
        at = hint;
    else
        at = regions_gap(&t, len);
    if (fixed)
        regions_cut(&t, at, at + len);
    /* For a file, the table without the new mapping must fit too: it is
     * what a failed read leaves (below). An anonymous mapping cannot fail
     * later, so only the final table counts (the array has room for the
     * cut's extra entries). */
    bool fits = at != 0 && (!from_file || t.n <= MMAP_REGIONS);
    if (fits) {
        regions_add(&t, at, at + len, (uint32_t)prot);
        fits = t.n <= MMAP_REGIONS;
    }
    if (fits) {
        as->maps = t;
        if (fixed) /* the pages of what was there before */
            arch_unmap_user_range(as->root, at, at + len);
    }
    spin_unlock(&as->lock);
    if (!fits)
        return -ABI_ENOMEM;

    if (from_file) {
        long r = fill_from_file(as, f, (uint64_t)off, at, (uint64_t)from_file, (uint32_t)prot);
        if (r < 0) { /* the range ends up unmapped (POSIX allows it for MAP_FIXED) */
            spin_lock(&as->lock);
            regions_cut(&as->maps, at, at + len);
            arch_unmap_user_range(as->root, at, at + len);
            spin_unlock(&as->lock);
            return r;
        }
    }
    return (long)at;
}

long mmap_unmap(uint64_t addr, uint64_t len) {
    if (!IS_ALIGNED(addr, PAGE_SIZE) || len == 0 || len > LEN_MAX)
        return -ABI_EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!in_area(addr, len)) /* the program, its heap and stack are not mmap's to take away */
        return -ABI_EINVAL;
    struct addrspace *as = current_proc()->as;
    struct vm_regions t;
    spin_lock(&as->lock);
    t = as->maps;
    regions_cut(&t, addr, addr + len);
    bool fits = t.n <= MMAP_REGIONS; /* cutting a hole into a region splits it */
    if (fits) {
        as->maps = t;
        arch_unmap_user_range(as->root, addr, addr + len);
    }
    spin_unlock(&as->lock);
    return fits ? 0 : -ABI_ENOMEM;
}

long mmap_protect(uint64_t addr, uint64_t len, int prot) {
    if ((prot & ~PROT_ALL) || !IS_ALIGNED(addr, PAGE_SIZE) || len > LEN_MAX)
        return -ABI_EINVAL;
    if ((prot & ABI_PROT_WRITE) && (prot & ABI_PROT_EXEC))
        return -ABI_EACCES;
    if (len == 0)
        return 0;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!in_area(addr, len))
        return -ABI_ENOMEM;
    struct addrspace *as = current_proc()->as;
    struct vm_regions t;
    long r = 0;
    spin_lock(&as->lock);
    t = as->maps;
    if (!regions_cover(&t, addr, addr + len)) {
        r = -ABI_ENOMEM; /* POSIX: a page of the range is not mapped */
    } else if ((prot & ABI_PROT_WRITE) && !vm_commit_ok(pages_not_writable(&t, addr, addr + len))) {
        r = -ABI_ENOMEM; /* memory made writable is promised, as in mmap */
    } else {
        regions_cut(&t, addr, addr + len);
        regions_add(&t, addr, addr + len, (uint32_t)prot);
        if (t.n > MMAP_REGIONS) {
            r = -ABI_ENOMEM;
        } else {
            as->maps = t;
            arch_protect_user_range(as->root, addr, addr + len, page_flags((uint32_t)prot));
        }
    }
    spin_unlock(&as->lock);
    return r;
}
