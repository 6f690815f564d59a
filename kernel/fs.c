/*
 * Files: a flat, read-only file system over the initrd archive (cpio newc,
 * a multiboot2 module), plus the console. Open files live in the OS
 * instance's open-file table, shared by descriptors after fork.
 */
#include "kernel/file.h"
#include "kernel/heap.h"
#include "kernel/bootinfo.h"
#include "kernel/console.h"
#include "kernel/model.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/uaccess.h"
#include "lib/cpio.h"
#include "lib/string.h"

static const uint8_t *archive;
static size_t archive_size;

/* Each OS instance's open-file table has its own locks; it lies in the
 * instance's own heap (os_instance_claim). */
void file_table_init(struct os_instance *os) {
    os->files = kzalloc(sizeof(struct file) * MAX_FILES);
    if (!os->files)
        panic("OS instance %d: no memory for the open-file table", os->id);
    for (int i = 0; i < MAX_FILES; i++)
        spin_init(&os->files[i].lock, "open file", RANK_FILE);
}

void fs_init(void) {
    console_wakeup = os_console_input_for; /* readers sleep on their instance's console file */
    if (boot_info.module_count == 0) {
        pr_warn("fs: no initrd module: no programs to run\n");
        return;
    }
    const struct mb2_module *m = &boot_info.modules[0];
    archive = PHYS_TO_VIRT(m->start);
    archive_size = m->end - m->start;
    int files = 0;
    struct cpio_entry e;
    size_t off = 0;
    int r;
    while ((r = cpio_next(archive, archive_size, &off, &e)) == 1)
        files++;
    if (r < 0)
        pr_warn("fs: initrd is malformed after %d files: %s\n", files, cpio_strerror(r));
    pr_info("fs: initrd of %zu KiB with %d files\n", archive_size >> 10, files);
}

/* Each instance has its own console file (its own count of descriptors on
 * it); console.c decides which instance the keyboard talks to. */
struct file *console_file(void) { return &this_os()->console; }

int fs_lookup(const char *path, const void **data, uint64_t *size) {
    struct cpio_entry e;
    if (!archive || cpio_find(archive, archive_size, path, &e) != 1 || (e.mode & ABI_S_IFMT) == ABI_S_IFDIR)
        return -ABI_ENOENT;
    *data = e.data;
    *size = e.size;
    return 0;
}

int fs_readdir(int index, void *out) {
    struct abi_dirent *d = out;
    struct cpio_entry e;
    size_t off = 0;
    for (int i = 0; archive && cpio_next(archive, archive_size, &off, &e) == 1;) {
        if (e.name_len == 1 && e.name[0] == '.')
            continue;
        if (i++ == index) {
            memset(d, 0, sizeof *d);
            d->size = e.size;
            d->mode = e.mode;
            str_copy(d->name, e.name, sizeof d->name);
            return 1;
        }
    }
    return 0;
}

static struct file *file_slot(void) {
    struct file *table = this_os()->files;
    for (int i = 0; i < MAX_FILES; i++)
        if (table[i].refs == 0)
            return &table[i];
    return NULL;
}

struct file *file_open(const char *path, int flags, int *err) {
    if (strcmp(path, "/dev/console") == 0 || strcmp(path, "dev/console") == 0)
        return file_dup(console_file());
    struct cpio_entry e;
    if (!archive || cpio_find(archive, archive_size, path, &e) != 1) {
        *err = -ABI_ENOENT;
        return NULL;
    }
    if ((flags & ABI_O_ACCMODE) != ABI_O_RDONLY) {
        *err = -ABI_EROFS;
        return NULL;
    }
    struct os_instance *os = this_os();
    spin_lock(&os->files_lock);
    struct file *f = file_slot();
    if (f) { /* field by field: the slot's lock stays as it is */
        f->type = F_INITRD;
        f->refs = 1;
        f->data = e.data;
        f->size = e.size;
        f->offset = 0;
        f->mode = e.mode;
        f->ino = e.ino;
        f->writable = false;
    }
    spin_unlock(&os->files_lock);
    if (!f)
        *err = -ABI_ENFILE;
    return f;
}

/* The console is no slot of any table; its count is kept under the table
 * lock of the instance that touches it (one lock per instance: under
 * `private` the console's count is only a statistic, never freed). */
struct file *file_dup(struct file *f) {
    struct spinlock *l = &this_os()->files_lock;
    spin_lock(l);
    f->refs++;
    spin_unlock(l);
    return f;
}

void file_close(struct file *f) {
    struct spinlock *l = &this_os()->files_lock;
    spin_lock(l);
    if (f->refs <= 0)
        panic("file_close: file has no references");
    if (--f->refs == 0 && f != console_file())
        f->type = F_NONE;
    spin_unlock(l);
}

/* Console reads block until a whole line (or Ctrl-D) has been typed. The
 * check and the sleep happen under the instance's console_readers lock,
 * which the input's wakeup takes too (os_console_input_for), so no wakeup
 * is lost in between. */
static long console_read(uint64_t ubuf, size_t n) {
    struct proc *p = current_proc();
    struct os_instance *os = this_os();
    model->sched_lock();
    spin_lock(&os->console_readers);
    while (!console_line_ready(os->id) && !p->killed)
        sleep(&os->console, &os->console_readers);
    spin_unlock(&os->console_readers);
    model->sched_unlock();
    if (p->killed)
        return -ABI_EINTR;
    char kbuf[256];
    size_t got = console_read_ready(os->id, kbuf, MIN(n, sizeof kbuf));
    return copy_to_user(ubuf, kbuf, got) < 0 ? -ABI_EFAULT : (long)got;
}

long file_read(struct file *f, void *buf, size_t n, bool to_user) {
    if (f->type == F_CONSOLE)
        return to_user ? console_read((uint64_t)buf, n) : -ABI_EINVAL;
    /* The offset is shared after fork: read, copy and advance it under the
     * file's lock, so two readers get different bytes, never the same. */
    spin_lock(&f->lock);
    long r;
    if (f->offset >= f->size) { /* also any offset lseek set past the end */
        r = 0;
    } else {
        size_t k = MIN(n, f->size - f->offset); /* so f->offset + k <= f->size: no overflow */
        r = (long)k;
        if (to_user && copy_to_user((uint64_t)buf, f->data + f->offset, k) < 0)
            r = -ABI_EFAULT;
        else if (!to_user)
            memcpy(buf, f->data + f->offset, k);
        if (r > 0)
            f->offset += k;
    }
    spin_unlock(&f->lock);
    return r;
}

long file_write(struct file *f, const void *ubuf, size_t n) {
    if (!f->writable)
        return -ABI_EBADF;
    char kbuf[256];
    size_t done = 0;
    while (done < n) {
        size_t k = MIN(n - done, sizeof kbuf);
        if (copy_from_user(kbuf, (uint64_t)ubuf + done, k) < 0)
            return done ? (long)done : -ABI_EFAULT;
        console_output(this_os()->id, kbuf, k);
        done += k;
    }
    return (long)done;
}

int64_t file_lseek(struct file *f, int64_t off, int whence) {
    if (f->type == F_CONSOLE)
        return -ABI_ESPIPE;
    spin_lock(&f->lock);
    int64_t base = whence == ABI_SEEK_SET ? 0 : whence == ABI_SEEK_CUR ? (int64_t)f->offset
                   : whence == ABI_SEEK_END ? (int64_t)f->size : -1;
    int64_t pos;
    /* base + off can pass INT64_MAX (seek far, then SEEK_CUR far again):
     * checked, so the offset never wraps around to a small or negative one. */
    if (base < 0 || __builtin_add_overflow(base, off, &pos) || pos < 0)
        pos = -ABI_EINVAL;
    else
        f->offset = (uint64_t)pos;
    spin_unlock(&f->lock);
    return pos;
}
