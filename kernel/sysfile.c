/*
 * File-system system calls (kernel/sysfile.h): descriptors, paths and the
 * working directory. Paths are copied in first (at most ABI_PATH_MAX - 1
 * bytes, else ENAMETOOLONG); every error is a POSIX errno.
 */
#include "kernel/sysfile.h"
#include "kernel/bcache.h"
#include "kernel/blk.h"
#include "kernel/ext2.h"
#include "kernel/file.h"
#include "kernel/os.h"
#include "kernel/pipe.h"
#include "kernel/proc.h"
#include "kernel/uaccess.h"
#include "lib/string.h"
#include "user/include/abi.h"

static long get_path(char *dst, uint64_t upath) {
    long len = copy_string_from_user(dst, upath, ABI_PATH_MAX);
    if (len == -ABI_ERANGE || len == -ABI_ENAMETOOLONG)
        return -ABI_ENAMETOOLONG;
    if (len < 0)
        return len;
    return len == 0 ? -ABI_ENOENT : len;
}

static struct file *fd_file(int fd) {
    struct proc *p = current_proc();
    return fd >= 0 && fd < NOFILE ? p->files[fd] : NULL;
}

/* The lowest free descriptor at or above `from`, or -EMFILE. */
static int fd_alloc(struct proc *p, int from) {
    for (int fd = from; fd < NOFILE; fd++)
        if (!p->files[fd])
            return fd;
    return -ABI_EMFILE;
}

static void fd_install(struct proc *p, int fd, struct file *f, bool cloexec) {
    p->files[fd] = f;
    if (cloexec)
        p->cloexec |= 1u << fd;
    else
        p->cloexec &= ~(1u << fd);
}

/* The permission bits a file or directory is created with: the mode the
 * program asked for (anything above ABI_MODE_BITS is -EINVAL) less the
 * process's umask. */
static long create_mode(uint64_t mode) {
    if (mode & ~(uint64_t)ABI_MODE_BITS)
        return -ABI_EINVAL;
    return (long)(mode & ~(uint64_t)current_proc()->umask);
}

/* Paths live on the kernel stack (16 KiB): a heap size class first used
 * here would keep its page for good. The mode register is read only with
 * O_CREAT (POSIX): without it, whatever rdx holds is ignored, as for any
 * register a call does not take. */
long sysfile_open(uint64_t upath, int flags, uint64_t mode) {
    char path[ABI_PATH_MAX];
    long r = get_path(path, upath);
    long perm = (flags & ABI_O_CREAT) ? create_mode(mode) : 0;
    if (r >= 0 && perm < 0)
        r = perm;
    struct proc *p = current_proc();
    int fd = r < 0 ? (int)r : fd_alloc(p, 0);
    if (fd >= 0) {
        int err = 0;
        struct file *f = file_open(path, flags, (uint32_t)perm, &err);
        if (f)
            fd_install(p, fd, f, flags & ABI_O_CLOEXEC);
        else
            fd = err;
    }
    return fd;
}

long sysfile_close(int fd) {
    struct file *f = fd_file(fd);
    if (!f)
        return -ABI_EBADF;
    struct proc *p = current_proc();
    fd_install(p, fd, NULL, false);
    file_close(f);
    return 0;
}

long sysfile_fstat(int fd, uint64_t ust) {
    struct file *f = fd_file(fd);
    if (!f)
        return -ABI_EBADF;
    struct abi_stat st;
    int err = file_stat(f, &st);
    return err ? err : copy_to_user(ust, &st, sizeof st);
}

/* Calls of one path: copy it in, run fn. */
static long with_path(uint64_t upath, int (*fn)(const char *)) {
    char path[ABI_PATH_MAX];
    long r = get_path(path, upath);
    if (r >= 0)
        r = fs_root() ? fn(path) : -ABI_EROFS;
    return r;
}

static long with_paths(uint64_t u1, uint64_t u2, int (*fn)(const char *, const char *)) {
    char a[ABI_PATH_MAX], b[ABI_PATH_MAX];
    long r = get_path(a, u1);
    if (r >= 0)
        r = get_path(b, u2);
    if (r >= 0)
        r = fs_root() ? fn(a, b) : -ABI_EROFS;
    return r;
}

long sysfile_mkdir(uint64_t upath, uint64_t mode) {
    char path[ABI_PATH_MAX];
    long r = get_path(path, upath);
    long perm = create_mode(mode);
    if (r >= 0)
        r = perm < 0 ? perm : fs_root() ? fs_mkdir(path, (uint32_t)perm) : -ABI_EROFS;
    return r;
}
long sysfile_rmdir(uint64_t upath) { return with_path(upath, fs_rmdir); }
long sysfile_unlink(uint64_t upath) { return with_path(upath, fs_unlink); }
long sysfile_link(uint64_t uold, uint64_t unew) { return with_paths(uold, unew, fs_link); }
long sysfile_rename(uint64_t uold, uint64_t unew) { return with_paths(uold, unew, fs_rename); }

/* The working directory is kept as an absolute path with no ".", ".." or
 * doubled slashes; chdir checks the directory exists before it goes there. */
static int normalize(const char *cwd, const char *path, char *out, size_t max) {
    char tmp[2 * ABI_PATH_MAX + 2];
    tmp[0] = 0;
    if (path[0] != '/')
        str_copy(tmp, cwd[0] ? cwd : "/", 2 * ABI_PATH_MAX);
    size_t n = strlen(tmp);
    tmp[n++] = '/';
    str_copy(tmp + n, path, 2 * ABI_PATH_MAX + 2 - n);
    size_t o = 0;
    int err = 0;
    for (const char *s = tmp; *s;) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 0 || (len == 1 && s[0] == '.')) {
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else {
            if (o + 1 + len + 1 > max) {
                err = -ABI_ENAMETOOLONG;
                break;
            }
            out[o++] = '/';
            memcpy(out + o, s, len);
            o += len;
        }
        s = e;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = 0;
    return err;
}

long sysfile_chdir(uint64_t upath) {
    char path[ABI_PATH_MAX], norm[ABI_PATH_MAX];
    long r = get_path(path, upath);
    struct inode *ip;
    if (r >= 0 && !fs_root())
        r = -ABI_ENOENT;
    if (r >= 0 && (r = fs_namei(path, &ip)) == 0) {
        if ((r = ilock(ip)) == 0) {
            if (!fs_is_dir(ip))
                r = -ABI_ENOTDIR;
            iunlock(ip);
        }
        iput(ip);
    }
    struct proc *p = current_proc();
    if (r >= 0 && (r = normalize(p->cwd, path, norm, ABI_PATH_MAX)) == 0)
        str_copy(p->cwd, norm, sizeof p->cwd);
    return r < 0 ? r : 0;
}

long sysfile_getcwd(uint64_t ubuf, uint64_t size) {
    const char *cwd = current_proc()->cwd[0] ? current_proc()->cwd : "/";
    size_t n = strlen(cwd) + 1;
    if (size < n)
        return -ABI_ERANGE;
    return copy_to_user(ubuf, cwd, n) < 0 ? -ABI_EFAULT : (long)(n - 1);
}

long sysfile_stat(uint64_t upath, uint64_t ust) {
    char path[ABI_PATH_MAX];
    long r = get_path(path, upath);
    if (r >= 0) {
        int err = 0;
        struct file *f = file_open(path, ABI_O_RDONLY, 0, &err);
        r = err;
        if (f) {
            struct abi_stat st;
            r = file_stat(f, &st);
            file_close(f);
            if (!r)
                r = copy_to_user(ust, &st, sizeof st);
        }
    }
    return r;
}

long sysfile_getdents(int fd, uint64_t udirent) {
    struct file *f = fd_file(fd);
    if (!f)
        return -ABI_EBADF;
    if (f->type != F_INODE)
        return -ABI_ENOTDIR;
    struct abi_dirent d;
    int err = ilock(f->ip);
    if (err)
        return err;
    uint64_t pos = f->offset;
    int r = fs_dirent_at(f->ip, &pos, &d);
    if (r == 1) {
        /* The size and full mode come from the inode itself. */
        f->offset = pos;
    }
    iunlock(f->ip);
    if (r != 1)
        return r;
    return copy_to_user(udirent, &d, sizeof d) < 0 ? -ABI_EFAULT : 1;
}

long sysfile_dup(int fd) {
    struct file *f = fd_file(fd);
    if (!f)
        return -ABI_EBADF;
    struct proc *p = current_proc();
    int nfd = fd_alloc(p, 0);
    if (nfd >= 0)
        fd_install(p, nfd, file_dup(f), false);
    return nfd;
}

long sysfile_dup2(int fd, int newfd) {
    struct file *f = fd_file(fd);
    if (!f)
        return -ABI_EBADF;
    if (newfd < 0 || newfd >= NOFILE)
        return -ABI_EBADF;
    if (newfd == fd)
        return fd;
    struct proc *p = current_proc();
    struct file *old = p->files[newfd];
    fd_install(p, newfd, file_dup(f), false);
    if (old)
        file_close(old);
    return newfd;
}

long sysfile_pipe(uint64_t ufds) {
    struct proc *p = current_proc();
    if (!user_writable(ufds, 2 * sizeof(int32_t)))
        return -ABI_EFAULT;
    int r0 = fd_alloc(p, 0);
    if (r0 < 0)
        return r0;
    p->files[r0] = console_file(); /* reserve it while the second is found */
    int r1 = fd_alloc(p, r0 + 1);
    p->files[r0] = NULL;
    if (r1 < 0)
        return r1;
    struct file *rf, *wf;
    int err = pipe_create(&rf, &wf);
    if (err)
        return err;
    fd_install(p, r0, rf, false);
    fd_install(p, r1, wf, false);
    int32_t fds[2] = {r0, r1};
    if (copy_to_user(ufds, fds, sizeof fds) < 0) {
        sysfile_close(r0);
        sysfile_close(r1);
        return -ABI_EFAULT;
    }
    return 0;
}

long sysfile_ftruncate(int fd, int64_t length) {
    struct file *f = fd_file(fd);
    if (!f)
        return -ABI_EBADF;
    if (length < 0)
        return -ABI_EINVAL;
    if (f->type != F_INODE || !f->writable)
        return f->type == F_INODE || f->type == F_INITRD ? -ABI_EBADF : -ABI_EINVAL;
    int err = ilock(f->ip);
    if (err)
        return err;
    err = fs_truncate(f->ip, (uint64_t)length);
    iunlock(f->ip);
    return err;
}

long sysfile_fsync(int fd) {
    struct file *f = fd_file(fd);
    if (!f)
        return -ABI_EBADF;
    return f->type == F_INODE ? fs_sync() : 0;
}

long sysfile_sync(void) { return fs_sync(); }

long sysfile_fcntl(int fd, int cmd, int arg) {
    struct proc *p = current_proc();
    if (!fd_file(fd))
        return -ABI_EBADF;
    if (cmd == ABI_F_GETFD)
        return (p->cloexec >> fd) & 1 ? ABI_FD_CLOEXEC : 0;
    if (cmd == ABI_F_SETFD) {
        fd_install(p, fd, p->files[fd], arg & ABI_FD_CLOEXEC);
        return 0;
    }
    return -ABI_EINVAL;
}

long sysfile_bcacheinfo(uint64_t uinfo) {
    struct os_instance *os = this_os();
    struct bcache *c = os->bcache;
    struct abi_bcacheinfo bi = {.os_instance = (uint32_t)os->id};
    if (c && c->ready) {
        spin_lock(&c->lock);
        bi.enabled = c->enabled;
        bi.nbuf = BCACHE_NBUF;
        bi.block_size = c->block_size;
        bi.reads = c->reads;
        bi.hits = c->hits;
        bi.misses = c->misses;
        bi.writes = c->writes;
        bi.writebacks = c->writebacks;
        bi.evictions = c->evictions;
        bi.errors = c->errors;
        spin_unlock(&c->lock);
    }
    for (int i = 0; i < nblk_devs; i++) {
        struct blk_dev *d = blk_devs[i];
        spin_lock(&d->lock);
        bi.disk_reads += d->reads;
        bi.disk_writes += d->writes;
        bi.irq_completions += d->irq_completions;
        bi.poll_completions += d->poll_completions;
        bi.max_inflight = MAX(bi.max_inflight, d->max_inflight);
        spin_unlock(&d->lock);
    }
    return copy_to_user(uinfo, &bi, sizeof bi);
}

long sysfile_statfs(uint64_t ustat) {
    struct abi_statfs st;
    int err = fs_statfs(&st);
    return err ? err : copy_to_user(ustat, &st, sizeof st);
}

/* There is one user, root (uid 0): it may read and write every file, and
 * execute one with at least one x bit (a directory it may always search),
 * as POSIX lets an implementation grant its privileged user. Writing is
 * EROFS where the file system is read-only: the initrd, and the disk as an
 * OS instance sees it that mounted it data-only (private, instances other
 * than the first: kernel/ext2.h). */
long sysfile_access(uint64_t upath, int mode) {
    if (mode & ~(ABI_R_OK | ABI_W_OK | ABI_X_OK))
        return -ABI_EINVAL;
    char path[ABI_PATH_MAX];
    long r = get_path(path, upath);
    if (r < 0)
        return r;
    int err = 0;
    struct file *f = file_open(path, ABI_O_RDONLY, 0, &err);
    if (!f)
        return err;
    struct abi_stat st;
    r = file_stat(f, &st);
    bool read_only = f->type == F_INITRD || (f->type == F_INODE && f->ip->fs->data_only);
    file_close(f);
    if (r < 0)
        return r;
    bool dir = (st.mode & ABI_S_IFMT) == ABI_S_IFDIR;
    if ((mode & ABI_W_OK) && read_only)
        return -ABI_EROFS;
    if ((mode & ABI_X_OK) && !dir && !(st.mode & 0111))
        return -ABI_EACCES;
    return 0;
}
