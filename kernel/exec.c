/*
 * execve: load an ELF executable from the archive into a fresh address
 * space, with argv and envp on a new stack. The old program is only
 * replaced once everything has succeeded, so a bad file leaves the caller
 * running with an error code.
 */
#include "kernel/proc.h"
#include "kernel/file.h"
#include "kernel/frame.h"
#include "kernel/heap.h"
#include "kernel/printk.h"
#include "kernel/signal.h"
#include "kernel/uaccess.h"
#include "kernel/vm.h"
#include "lib/elf.h"
#include "lib/string.h"

#define MAX_ARGS 64
#define ARG_BYTES (32 * 1024)
#define PATH_MAX_LEN 128

/* argv/envp gathered in kernel memory before the old program goes away. */
struct exec_args {
    int argc, envc;
    char *argv[MAX_ARGS + 1];
    char *envp[MAX_ARGS + 1];
    size_t used;
    char buf[ARG_BYTES];
};

static int add_string(struct exec_args *a, char **slot, const char *s, size_t len) {
    if (a->used + len + 1 > ARG_BYTES)
        return -ABI_E2BIG;
    *slot = a->buf + a->used;
    memcpy(*slot, s, len);
    (*slot)[len] = 0;
    a->used += len + 1;
    return 0;
}

/* Copy a NULL-terminated array of user strings (argv or envp). The array
 * itself must exist: a NULL argv or envp is a bad pointer like any other. */
static int gather_user_vector(struct exec_args *a, uint64_t uvec, char **out, int *count) {
    *count = 0;
    for (;;) {
        uint64_t ptr;
        if (copy_from_user(&ptr, uvec + (uint64_t)*count * 8, 8) < 0)
            return -ABI_EFAULT;
        if (!ptr)
            break;
        if (*count >= MAX_ARGS)
            return -ABI_E2BIG;
        long len = copy_string_from_user(a->buf + a->used, ptr, ARG_BYTES - a->used);
        if (len < 0)
            return len == -ABI_ENAMETOOLONG ? -ABI_E2BIG : (int)len;
        out[(*count)++] = a->buf + a->used;
        a->used += (size_t)len + 1;
    }
    out[*count] = NULL;
    return 0;
}

/* Words of a kernel string (init's run= arguments) after argv[0]. */
static int gather_words(struct exec_args *a, const char *name, const char *words) {
    a->argc = 0;
    add_string(a, &a->argv[a->argc++], name, strlen(name));
    for (const char *s = words; s && *s;) {
        while (*s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        if (e > s && a->argc < MAX_ARGS && add_string(a, &a->argv[a->argc++], s, (size_t)(e - s)) < 0)
            return -ABI_E2BIG;
        s = e;
    }
    a->argv[a->argc] = NULL;
    a->envc = 0;
    a->envp[0] = NULL;
    return 0;
}

/* A fresh page of segment s at va: a frame that is not zeroed first, as
 * the file's bytes overwrite most of it; only what lies outside the
 * segment's file part is cleared (bss, the gap before p_vaddr). */
static int map_segment_page(struct addrspace *as, uint64_t va, const struct elf_segment *s, unsigned flags) {
    uint64_t pa = frame_alloc_raw();
    if (!pa)
        return -ABI_ENOMEM;
    uint8_t *page = PHYS_TO_VIRT(pa);
    uint64_t file_lo = MAX(s->vaddr, va), file_hi = MIN(s->vaddr + s->filesz, va + PAGE_SIZE);
    if (file_hi <= file_lo) {
        memset(page, 0, PAGE_SIZE);
    } else {
        memset(page, 0, file_lo - va);
        memset(page + (file_hi - va), 0, va + PAGE_SIZE - file_hi);
    }
    if (arch_map_page(as->root, va, pa, flags | MAP_USER) < 0) {
        frame_free(pa);
        return -ABI_ENOMEM;
    }
    return 0;
}

/* Two segments may share a page (its permissions are then the union of
 * theirs), but never so that the page is both writable and executable:
 * such a file is refused, W^X (docs/abi.md). */
static int load_segment(struct addrspace *as, const uint8_t *file, const struct elf_segment *s, const char *path) {
    unsigned flags = (s->write ? MAP_WRITE : 0) | (s->exec ? MAP_EXEC : 0);
    if ((flags & MAP_WRITE) && (flags & MAP_EXEC)) {
        pr_warn("exec: %s: a segment at %llx is both writable and executable\n", path,
                (unsigned long long)s->vaddr);
        return -ABI_ENOEXEC;
    }
    for (uint64_t va = ALIGN_DOWN(s->vaddr, PAGE_SIZE); va < s->vaddr + s->memsz; va += PAGE_SIZE) {
        uint64_t pa;
        unsigned old;
        if (arch_translate(as->root, va, &pa, &old)) { /* a page shared with an earlier segment */
            unsigned both = old | flags;
            if ((both & MAP_WRITE) && (both & MAP_EXEC)) {
                pr_warn("exec: %s: the page at %llx would be writable and executable (two segments share it)\n",
                        path, (unsigned long long)va);
                return -ABI_ENOEXEC;
            }
            if (arch_map_page(as->root, va, pa, both) < 0)
                return -ABI_ENOMEM;
        } else if (map_segment_page(as, va, s, flags) < 0) {
            return -ABI_ENOMEM;
        }
    }
    return as_write(as, s->vaddr, file + s->offset, s->filesz);
}

/* Strings at the top of the stack, then (16-byte aligned) argc, argv[],
 * NULL, envp[], NULL: the System V initial process stack without auxv.
 * The stack is demand-zero: as_write maps the pages it writes (at most
 * ARG_BYTES plus the vectors), the rest comes on first touch. Returns the
 * stack pointer, or 0 when memory ran out. */
static uint64_t build_stack(struct addrspace *as, const struct exec_args *a) {
    uint64_t sp = USER_STACK_TOP;
    uint64_t argv_ptrs[MAX_ARGS + 1], envp_ptrs[MAX_ARGS + 1];
    int r = 0;
    for (int i = a->envc - 1; i >= 0; i--) {
        size_t n = strlen(a->envp[i]) + 1;
        sp -= n;
        r |= as_write(as, sp, a->envp[i], n);
        envp_ptrs[i] = sp;
    }
    for (int i = a->argc - 1; i >= 0; i--) {
        size_t n = strlen(a->argv[i]) + 1;
        sp -= n;
        r |= as_write(as, sp, a->argv[i], n);
        argv_ptrs[i] = sp;
    }
    argv_ptrs[a->argc] = envp_ptrs[a->envc] = 0;
    size_t words = 1 + (size_t)a->argc + 1 + (size_t)a->envc + 1;
    sp = ALIGN_DOWN(sp - words * 8, 16);
    uint64_t argc = (uint64_t)a->argc, at = sp;
    r |= as_write(as, at, &argc, 8);
    r |= as_write(as, at += 8, argv_ptrs, ((size_t)a->argc + 1) * 8);
    r |= as_write(as, at + ((size_t)a->argc + 1) * 8, envp_ptrs, ((size_t)a->envc + 1) * 8);
    return r ? 0 : sp;
}

static const char *base_name(const char *path) {
    const char *slash = NULL;
    for (const char *s = path; *s; s++)
        if (*s == '/')
            slash = s;
    return slash ? slash + 1 : path;
}

/* Build the new program's address space; replace p's only on success. */
static int load_image(struct proc *p, const char *path, const struct exec_args *a, const void *data,
                      uint64_t size);

/* Descriptors marked close-on-exec go once the new program is in place. */
static void close_on_exec(struct proc *p) {
    for (int fd = 0; fd < NOFILE; fd++)
        if ((p->cloexec & (1u << fd)) && p->files[fd]) {
            file_close(p->files[fd]);
            p->files[fd] = NULL;
        }
    p->cloexec = 0;
}

static int load_program(struct proc *p, const char *path, const struct exec_args *a) {
    const void *data;
    uint64_t size;
    bool owned;
    int err = fs_load(path, &data, &size, &owned);
    if (err < 0)
        return err == -ABI_EIO || err == -ABI_ENOMEM || err == -ABI_EACCES || err == -ABI_ENOEXEC ||
                       err == -ABI_ENOTDIR
                   ? err
                   : -ABI_ENOENT;
    err = load_image(p, path, a, data, size);
    if (owned)
        kfree((void *)data);
    return err;
}

/* The new program from its file's bytes. */
static int load_image(struct proc *p, const char *path, const struct exec_args *a, const void *data,
                      uint64_t size) {
    struct elf_image img;
    const char *why = "?";
    /* Below the shared-memory windows: above them lie mmap's area and the
     * stack, which the kernel manages itself (docs/memory.md). */
    if (elf_parse(data, size, USER_LO, USER_SHM_BASE, &img, &why) < 0) {
        pr_warn("exec: %s: not a valid executable: %s\n", path, why);
        return -ABI_ENOEXEC;
    }
    struct addrspace *as = as_create();
    if (!as)
        return -ABI_ENOMEM;
    int r = 0;
    for (int i = 0; i < img.segment_count && r == 0; i++)
        r = load_segment(as, data, &img.segments[i], path);
    as->image_end = as->brk = ALIGN_UP(img.highest, PAGE_SIZE);
    uint64_t sp = r == 0 ? build_stack(as, a) : 0;
    if (r == 0 && sp == 0)
        r = -ABI_ENOMEM;
    if (r < 0) {
        as_destroy(as);
        return r;
    }
    struct addrspace *old = p->as;
    p->as = as;
    if (p == current_proc())
        arch_as_activate(as->root);
    if (old)
        as_destroy(old);
    arch_init_user_frame(p->tf, img.entry, sp);
    arch_fpu_init_state(p->fpu);
    if (p == current_proc())
        arch_fpu_restore(p->fpu);
    proc_lock(p); /* procinfo reads the name under it */
    str_copy(p->name, base_name(path), sizeof p->name);
    proc_unlock(p);
    close_on_exec(p);
    signal_exec(p);
    return 0;
}

int exec_into(struct proc *p, const char *path, const char *args) {
    struct exec_args *a = kmalloc(sizeof *a);
    if (!a)
        return -ABI_ENOMEM;
    a->used = 0;
    int r = gather_words(a, base_name(path), args);
    if (r == 0)
        r = load_program(p, path, a);
    kfree(a);
    return r;
}

long sys_execve_impl(uint64_t upath, uint64_t uargv, uint64_t uenvp) {
    char path[PATH_MAX_LEN];
    long len = copy_string_from_user(path, upath, sizeof path);
    if (len < 0)
        return len;
    struct exec_args *a = kmalloc(sizeof *a);
    if (!a)
        return -ABI_ENOMEM;
    a->used = 0;
    int r = gather_user_vector(a, uargv, a->argv, &a->argc);
    if (r == 0)
        r = gather_user_vector(a, uenvp, a->envp, &a->envc);
    if (r == 0)
        r = load_program(current_proc(), path, a);
    kfree(a);
    return r;
}
