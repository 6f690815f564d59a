/* Open files: the console, read-only files of the initrd archive, files
 * and directories of the disk's ext2 file system, and pipes. */
#ifndef FILE_H
#define FILE_H

#include "lib/types.h"
#include "kernel/spinlock.h"

#define MAX_FILES 256

enum file_type { F_NONE, F_CONSOLE, F_INITRD, F_INODE, F_PIPE };

struct inode;
struct pipe;
struct abi_stat;

struct file {
    struct spinlock lock;   /* first (file_slot() clears the rest): the offset of an initrd file (RANK_FILE);
                             * a disk file's offset moves under its inode's sleep lock */
    enum file_type type;
    int refs;
    const uint8_t *data;    /* F_INITRD: contents in the archive */
    uint64_t size;
    uint64_t offset;        /* shared by every descriptor of this open file */
    uint32_t mode;
    uint32_t ino;
    bool writable;
    bool readable;
    bool append;            /* O_APPEND: every write at the end */
    struct inode *ip;       /* F_INODE */
    struct pipe *pipe;      /* F_PIPE */
};

struct os_instance;
void file_table_init(struct os_instance *os); /* its locks, once per instance */
void fs_init(void);
/* Mount the disk's ext2 file system as this OS instance's root, with the
 * instance's own buffer cache (fs_init does it for the boot instance). */
void fs_mount_root(void);
/* The disk's helper threads (block watchdog, cache flusher). */
void fs_start_threads(void);
/* mode: the permission bits of a file that O_CREAT creates (umask applied). */
struct file *file_open(const char *path, int flags, uint32_t mode, int *err);
struct file *file_dup(struct file *f);
void file_close(struct file *f);
long file_read(struct file *f, void *kbuf_or_user, size_t n, bool to_user);
long file_write(struct file *f, const void *user_buf, size_t n);
int64_t file_lseek(struct file *f, int64_t off, int whence);
int file_stat(struct file *f, struct abi_stat *st);
/* A fresh open-file slot of this instance with one reference, or NULL. */
struct file *file_alloc(void);
/* Find an archive member: 0 found (data/size set), else -ENOENT. */
int fs_lookup(const char *path, const void **data, uint64_t *size);
/* A program's bytes: from the initrd in place (*owned false) or read from
 * the disk into kmalloc'd memory (*owned true: kfree it). */
int fs_load(const char *path, const void **data, uint64_t *size, bool *owned);
int fs_readdir(int index, void *dirent);
struct file *console_file(void);
/* Write back every dirty block (sync, halt). */
void fs_flush_all(void);

#endif
