/*
 * Files: a flat, read-only file system over the initrd archive (cpio newc,
 * a multiboot2 module), the console, and, when the machine has a disk, the
 * ext2 root file system (kernel/ext2.c) and pipes (kernel/pipe.c). Open
 * files live in the OS instance's open-file table, shared by descriptors
 * after fork and dup.
 *
 * Names: "name" or "/name" that the initrd has is the initrd's file (the
 * programs and test files, as before the disk); every other name is looked
 * up on the disk, relative to the working directory.
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
#include "kernel/bcache.h"
#include "kernel/blk.h"
#include "kernel/ext2.h"
#include "kernel/options.h"
#include "kernel/pipe.h"
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

/* The first disk with an ext2 file system becomes the root of this
 * instance, over its own buffer cache. An organisation that runs more
 * than one instance (private) calls this once on a CPU of each. */
void fs_mount_root(void) {
    struct os_instance *os = this_os();
    if (nblk_devs == 0)
        return;
    if (!os->bcache && !(os->bcache = kzalloc(sizeof *os->bcache))) {
        pr_err("fs: no memory for the buffer cache\n");
        return;
    }
    for (int i = 0; i < nblk_devs; i++)
        if (ext2_mount(blk_devs[i], os->bcache) == 0)
            break;
    if (!os->fs)
        pr_warn("fs: no ext2 file system on the disks: the initrd is the only file system\n");
}

/* The block watchdog and the cache flusher; after init, so that init keeps
 * pid 1. A test= boot runs without them (kmain): they wake up every few
 * tens of milliseconds and take the scheduler lock each time, and the
 * scheduler and lock tests should see only their own threads. */
void fs_start_threads(void) {
    if (!fs_root())
        return;
    blk_start_watchdog();
    bcache_start_flusher();
}

void fs_flush_all(void) {
    if (fs_root() && current_proc()) {
        int err = fs_sync();
        if (err)
            pr_err("fs: writing back the cache failed (%d)\n", err);
    }
}

void fs_init(void) {
    console_wakeup = os_console_input_for; /* readers sleep on their instance's console file */
    console_interrupt = os_console_interrupt_for; /* Ctrl-C: SIGINT (kernel/signal.c) */
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
    fs_mount_root();
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

/* A free slot of the open-file table, cleared, with one reference; the
 * table's lock held. The slot's own lock stays as it is: it is registered
 * in the lock list, and clearing it would cut the list. */
static struct file *file_slot(void) {
    struct file *table = this_os()->files;
    for (int i = 0; i < MAX_FILES; i++)
        if (table[i].refs == 0) {
            struct file *f = &table[i];
            memset((char *)f + sizeof f->lock, 0, sizeof *f - sizeof f->lock);
            f->refs = 1;
            return f;
        }
    return NULL;
}

struct file *file_alloc(void) {
    spin_lock(&this_os()->files_lock);
    struct file *f = file_slot(); /* F_NONE until the caller fills it in */
    spin_unlock(&this_os()->files_lock);
    return f;
}

/* "name" or "/name" that the archive has. */
static bool initrd_name(const char *path, struct cpio_entry *e) {
    while (*path == '/')
        path++;
    for (const char *p = path; *p; p++)
        if (*p == '/')
            return false;
    return archive && cpio_find(archive, archive_size, path, e) == 1;
}

/* A file or directory of the disk. */
static struct file *open_inode(const char *path, int flags, uint32_t mode, int *err) {
    int acc = flags & ABI_O_ACCMODE;
    bool wr = acc == ABI_O_WRONLY || acc == ABI_O_RDWR;
    struct inode *ip;
    int r = (flags & ABI_O_CREAT) ? fs_create(path, mode, flags & ABI_O_EXCL, &ip) : fs_namei(path, &ip);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    if ((r = ilock(ip)) < 0) {
        iput(ip);
        *err = r;
        return NULL;
    }
    if (fs_is_dir(ip) && (wr || (flags & ABI_O_TRUNC)))
        r = -ABI_EISDIR;
    else if (!fs_is_dir(ip) && (flags & ABI_O_DIRECTORY))
        r = -ABI_ENOTDIR;
    else if ((flags & ABI_O_TRUNC) && wr)
        r = fs_truncate(ip, 0);
    iunlock(ip);
    struct file *f = r < 0 ? NULL : file_alloc();
    if (!f) {
        iput(ip);
        *err = r < 0 ? r : -ABI_ENFILE;
        return NULL;
    }
    f->type = F_INODE;
    f->ip = ip;
    f->readable = acc == ABI_O_RDONLY || acc == ABI_O_RDWR;
    f->writable = wr;
    f->append = flags & ABI_O_APPEND;
    return f;
}

struct file *file_open(const char *path, int flags, uint32_t mode, int *err) {
    if (strcmp(path, "/dev/console") == 0 || strcmp(path, "dev/console") == 0)
        return file_dup(console_file());
    struct cpio_entry e;
    bool in_initrd = initrd_name(path, &e);
    if (!in_initrd && fs_root())
        return open_inode(path, flags, mode, err);
    if (!in_initrd) {
        *err = -ABI_ENOENT;
        return NULL;
    }
    if ((flags & ABI_O_ACCMODE) != ABI_O_RDONLY || (flags & (ABI_O_CREAT | ABI_O_TRUNC))) {
        *err = -ABI_EROFS;
        return NULL;
    }
    struct os_instance *os = this_os();
    spin_lock(&os->files_lock);
    struct file *f = file_slot();
    if (f) {
        f->type = F_INITRD;
        f->data = e.data;
        f->size = e.size;
        f->mode = e.mode;
        f->ino = e.ino;
        f->readable = true;
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

/* The last close drops the inode or the pipe end: after the table lock is
 * given back, because both may sleep. */
void file_close(struct file *f) {
    struct spinlock *l = &this_os()->files_lock;
    spin_lock(l);
    if (f->refs <= 0)
        panic("file_close: file has no references");
    bool last = --f->refs == 0 && f != console_file();
    struct file copy = *f;
    if (last)
        f->type = F_NONE; /* the slot is free from here on */
    spin_unlock(&this_os()->files_lock);
    if (!last)
        return;
    if (copy.type == F_INODE)
        iput(copy.ip);
    else if (copy.type == F_PIPE)
        pipe_close(copy.pipe, copy.writable);
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
    while (!console_line_ready(os->id) && !proc_interrupted(p))
        sleep(&os->console, &os->console_readers);
    spin_unlock(&os->console_readers);
    model->sched_unlock();
    if (!console_line_ready(os->id) && proc_interrupted(p))
        return -ABI_EINTR;
    char kbuf[256];
    size_t got = console_read_ready(os->id, kbuf, MIN(n, sizeof kbuf));
    return copy_to_user(ubuf, kbuf, got) < 0 ? -ABI_EFAULT : (long)got;
}

long file_read(struct file *f, void *buf, size_t n, bool to_user) {
    if (f->type == F_CONSOLE)
        return to_user ? console_read((uint64_t)buf, n) : -ABI_EINVAL;
    if (!f->readable)
        return -ABI_EBADF;
    if (f->type == F_PIPE)
        return to_user ? pipe_read(f->pipe, (uint64_t)buf, n) : -ABI_EINVAL;
    if (f->type == F_INODE) { /* the offset moves under the inode's sleep lock: the read may sleep */
        int err = ilock(f->ip);
        if (err)
            return err;
        long r = fs_is_dir(f->ip) ? -ABI_EISDIR : fs_readi(f->ip, f->offset, buf, n, to_user);
        if (r > 0)
            f->offset += (uint64_t)r;
        iunlock(f->ip);
        return r;
    }
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
    if (f->type == F_PIPE)
        return pipe_write(f->pipe, (uint64_t)ubuf, n);
    if (f->type == F_INODE) {
        int err = ilock(f->ip);
        if (err)
            return err;
        if (f->append)
            f->offset = f->ip->d.size;
        long r = fs_writei(f->ip, f->offset, ubuf, n, true);
        if (r > 0)
            f->offset += (uint64_t)r;
        iunlock(f->ip);
        return r;
    }
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
    if (f->type == F_CONSOLE || f->type == F_PIPE)
        return -ABI_ESPIPE;
    uint64_t size = f->size;
    if (f->type == F_INODE) { /* its offset moves under the inode's sleep lock, as in read and write */
        int err = ilock(f->ip);
        if (err)
            return err;
        size = f->ip->d.size;
    }
    spin_lock(&f->lock);
    int64_t base = whence == ABI_SEEK_SET ? 0 : whence == ABI_SEEK_CUR ? (int64_t)f->offset
                   : whence == ABI_SEEK_END ? (int64_t)size : -1;
    int64_t pos;
    /* base + off can pass INT64_MAX (seek far, then SEEK_CUR far again):
     * checked, so the offset never wraps around to a small or negative one. */
    if (base < 0 || __builtin_add_overflow(base, off, &pos) || pos < 0)
        pos = -ABI_EINVAL;
    else
        f->offset = (uint64_t)pos;
    spin_unlock(&f->lock);
    if (f->type == F_INODE)
        iunlock(f->ip);
    return pos;
}

int file_stat(struct file *f, struct abi_stat *st) {
    if (f->type == F_INODE) {
        int err = ilock(f->ip);
        if (err)
            return err;
        fs_stati(f->ip, st);
        iunlock(f->ip);
        return 0;
    }
    *st = (struct abi_stat){.size = f->size, .mode = f->mode, .ino = f->ino, .blksize = 512, .nlink = 1};
    if (f->type == F_INITRD && !(st->mode & ABI_S_IFMT))
        st->mode |= ABI_S_IFREG;
    if (f->type == F_PIPE)
        st->mode = ABI_S_IFIFO | 0600;
    return 0;
}

/* Programs up to 16 MiB from the disk. */
#define LOAD_MAX (16u << 20)

int fs_load(const char *path, const void **data, uint64_t *size, bool *owned) {
    *owned = false;
    struct cpio_entry e;
    if (initrd_name(path, &e) || !fs_root())
        return fs_lookup(path, data, size);
    struct inode *ip;
    int err = fs_namei(path, &ip);
    if (err)
        return err;
    if ((err = ilock(ip)) < 0) {
        iput(ip);
        return err;
    }
    uint64_t n = ip->d.size;
    uint8_t *buf = NULL;
    if (fs_is_dir(ip))
        err = -ABI_EACCES;
    else if (n > LOAD_MAX)
        err = -ABI_ENOEXEC;
    else if (!(buf = kmalloc(n ? n : 1)))
        err = -ABI_ENOMEM;
    else if (fs_readi(ip, 0, buf, n, false) != (long)n)
        err = -ABI_EIO;
    iunlock(ip);
    iput(ip);
    if (err) {
        kfree(buf);
        return err;
    }
    *data = buf;
    *size = n;
    *owned = true;
    return 0;
}
