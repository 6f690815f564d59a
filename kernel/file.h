/* Open files: the console and read-only files of the initrd archive. */
#ifndef FILE_H
#define FILE_H

#include "lib/types.h"
#include "kernel/spinlock.h"

#define MAX_FILES 256

enum file_type { F_NONE, F_CONSOLE, F_INITRD };

struct file {
    enum file_type type;
    int refs;
    const uint8_t *data;    /* F_INITRD: contents in the archive */
    uint64_t size;
    uint64_t offset;
    uint32_t mode;
    uint32_t ino;
    bool writable;
    struct spinlock lock;   /* the offset, shared by descriptors after fork (RANK_FILE) */
};

struct os_instance;
void file_table_init(struct os_instance *os); /* its locks, once per instance */
void fs_init(void);
struct file *file_open(const char *path, int flags, int *err);
struct file *file_dup(struct file *f);
void file_close(struct file *f);
long file_read(struct file *f, void *kbuf_or_user, size_t n, bool to_user);
long file_write(struct file *f, const void *user_buf, size_t n);
int64_t file_lseek(struct file *f, int64_t off, int whence);
/* Find an archive member: 0 found (data/size set), else -ENOENT. */
int fs_lookup(const char *path, const void **data, uint64_t *size);
int fs_readdir(int index, void *dirent);
struct file *console_file(void);

#endif
