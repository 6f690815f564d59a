/*
 * The ext2 file system, read-write (kernel/ext2.c): the on-disk format is
 * decoded by lib/ext2.c, blocks come through the buffer cache of the OS
 * instance (kernel/bcache.h). One mounted file system per instance, the
 * root. Paths are absolute or relative to the caller's working directory.
 *
 * Several instances over one disk (private): the first instance to mount
 * a disk owns its metadata; every other instance mounts it data-only, over
 * its own cache: it reads everything, and may overwrite the contents of
 * existing files in place, but any change of metadata (create, unlink,
 * link, rename, mkdir, rmdir, truncate, growing a file, filling a hole) is
 * -EROFS, and an in-place write leaves the inode (size, times) as it is. Two instances allocating from their own copies of
 * the bitmaps would corrupt the file system; overwriting data in place
 * only shows the texts' lesson: the same block cached, and dirty, in two
 * caches at once (stale reads, lost updates).
 *
 * Locks, in the order they are taken (kernel/lockrank.h):
 *   fs->dirop   (sleep) one namespace change at a time: create, link,
 *               unlink, mkdir, rmdir, rename;
 *   inode->lock (sleep) an inode's fields and its block map, a directory's
 *               entries; a parent before its child;
 *   fs->bitmap  (sleep) block and inode bitmaps, group and superblock counts;
 *   buffer      (sleep) one block in the cache.
 *   fs->icache  (spin)  the in-core inode table's reference counts.
 */
#ifndef EXT2_H
#define EXT2_H

#include "lib/ext2.h"
#include "lib/types.h"
#include "kernel/sleeplock.h"
#include "kernel/spinlock.h"

#define EXT2_NINODE 64

struct blk_dev;
struct bcache;
struct abi_stat;
struct abi_dirent;
struct ext2_fs;

struct inode {
    struct ext2_fs *fs;
    uint32_t ino;
    int refs;                   /* icache lock */
    bool valid;                 /* d holds the disk inode (inode lock) */
    struct sleeplock lock;
    struct ext2_inode d;
};

struct ext2_fs {
    struct blk_dev *dev;
    bool data_only;             /* another instance owns the metadata (above) */
    struct bcache *cache;
    struct ext2_geom g;
    struct sleeplock dirop, bitmap;
    struct spinlock icache;
    struct inode inodes[EXT2_NINODE];
};

/* Mount d as this instance's root; 0 or a negative errno (message printed). */
int ext2_mount(struct blk_dev *d, struct bcache *cache);
/* The mounted root file system of this instance, or NULL. */
struct ext2_fs *fs_root(void);

/* Inodes: referenced with iget/idup, released with iput; locked with
 * ilock (which reads the inode in) and iunlock. */
struct inode *idup(struct inode *ip);
void iput(struct inode *ip);
int ilock(struct inode *ip);
void iunlock(struct inode *ip);

/* Path to inode (referenced, unlocked); 0 or -ENOENT, -ENOTDIR, ... */
int fs_namei(const char *path, struct inode **out);
/* Create a regular file (O_CREAT) with permission bits perm: the existing
 * one (as it is) unless excl. */
int fs_create(const char *path, uint32_t perm, bool excl, struct inode **out);
int fs_mkdir(const char *path, uint32_t perm);
int fs_rmdir(const char *path);
int fs_unlink(const char *path);
int fs_link(const char *oldpath, const char *newpath);
int fs_rename(const char *oldpath, const char *newpath);

/* File contents, inode locked by the caller. */
long fs_readi(struct inode *ip, uint64_t off, void *buf, size_t n, bool to_user);
long fs_writei(struct inode *ip, uint64_t off, const void *buf, size_t n, bool from_user);
int fs_truncate(struct inode *ip, uint64_t size);
void fs_stati(struct inode *ip, struct abi_stat *st);
/* The directory entry at *pos (a byte offset), skipping empty slots;
 * 1 entry, 0 end, or an error. Inode locked. */
int fs_dirent_at(struct inode *dp, uint64_t *pos, struct abi_dirent *out);
bool fs_is_dir(const struct inode *ip);
/* The superblock's counts. */
struct abi_statfs;
int fs_statfs(struct abi_statfs *out);
/* Write all dirty blocks of this instance's file system. */
int fs_sync(void);

#endif
