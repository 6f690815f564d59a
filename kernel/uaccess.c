#include "kernel/uaccess.h"
#include "kernel/proc.h"
#include "kernel/vm.h"
#include "user/include/abi.h"

static uint64_t current_root(void) {
    struct proc *p = current_proc();
    return p && p->as ? p->as->root : 0;
}

/* Demand-zero and copy-on-write pages are made ordinary first, so that the
 * check sees them as they will be and the copy cannot fault. */
static bool user_range_ok(uint64_t va, size_t n, bool write) {
    if (!current_root() || vm_prepare_user(current_proc()->as, va, n, write) != 0)
        return false;
    struct addrspace *as = current_proc()->as;
    spin_lock(&as->lock); /* the page tables are read: under their lock */
    bool ok = arch_user_range_ok(as->root, va, n, write);
    spin_unlock(&as->lock);
    return ok;
}

bool user_readable(uint64_t va, size_t n) { return user_range_ok(va, n, false); }
bool user_writable(uint64_t va, size_t n) { return user_range_ok(va, n, true); }

int copy_from_user(void *dst, uint64_t src, size_t n) {
    if (!user_readable(src, n))
        return -ABI_EFAULT;
    arch_user_copy(dst, (const void *)src, n);
    return 0;
}

int copy_to_user(uint64_t dst, const void *src, size_t n) {
    if (!user_writable(dst, n))
        return -ABI_EFAULT;
    arch_user_copy((void *)dst, src, n);
    return 0;
}

/* Page by page, so that a demand-zero or copy-on-write page the string
 * reaches is made ordinary first, and one beyond its end is not touched. */
long copy_string_from_user(char *dst, uint64_t src, size_t max) {
    if (!current_root())
        return -ABI_EFAULT;
    for (size_t done = 0; done < max;) {
        uint64_t va = src + done;
        size_t chunk = MIN(max - done, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        if (va < src || !user_readable(va, chunk))
            return -ABI_EFAULT;
        long len = arch_user_strnlen(current_root(), va, chunk);
        if (len == -1)
            return -ABI_EFAULT;
        if (len >= 0) {
            arch_user_copy(dst, (const void *)src, done + (size_t)len + 1);
            return (long)done + len;
        }
        done += chunk;
    }
    return -ABI_ENAMETOOLONG;
}
