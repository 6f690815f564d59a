/*
 * ext2, read-write (kernel/ext2.h). The ext2 specification's vocabulary:
 * block groups with a block bitmap, an inode bitmap and an inode table;
 * inodes with 12 direct blocks, an indirect and a double-indirect block;
 * directories as linked lists of entries within each block.
 */
#include "kernel/ext2.h"
#include "kernel/bcache.h"
#include "kernel/blk.h"
#include "kernel/options.h"
#include "kernel/os.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "lib/string.h"
#include "user/include/abi.h"

struct ext2_fs *fs_root(void) { return this_os()->fs; }

static uint32_t now_secs(void) { return (uint32_t)(arch_rtc_boot_epoch() + uptime_ns() / 1000000000ULL); }

static struct buf *fbread(struct ext2_fs *fs, uint32_t b, int *err) {
    if (b == 0 || b >= fs->g.blocks_count) {
        *err = -ABI_EIO;
        return NULL;
    }
    return bread(fs->cache, fs->dev, b, err);
}
static void fbrelse(struct ext2_fs *fs, struct buf *b) { brelse(fs->cache, b); }
static int fbdirty(struct ext2_fs *fs, struct buf *b) { return bdirty(fs->cache, b); }

/* ---- mount ---- */

int ext2_mount(struct blk_dev *d, struct bcache *cache) {
    uint8_t *sb = kmalloc(EXT2_SUPER_SIZE);
    if (!sb)
        return -ABI_ENOMEM;
    int err = blk_rw(d, EXT2_SUPER_OFFSET / SECTOR_SIZE, EXT2_SUPER_SIZE / SECTOR_SIZE, sb, false);
    struct ext2_geom g;
    const char *why = "read error";
    if (!err)
        err = ext2_parse_super(sb, d->sectors * SECTOR_SIZE, &g, &why);
    kfree(sb);
    if (err) {
        pr_err("ext2: %s: cannot mount: %s\n", d->name, why);
        return -ABI_EIO;
    }
    /* Booted from a USB stick on a real PC, the SATA disks are the owner's,
     * and an ext3 volume (or a whole-disk ext2 one) would pass every check
     * above: only a disk labelled as ours is ever written. */
    if (strcmp(g.volume_name, EXT2_OWN_LABEL) != 0) {
        pr_warn("ext2: %s: labelled '%s', not '%s': not this kernel's disk, left alone\n", d->name,
                g.volume_name, EXT2_OWN_LABEL);
        return -ABI_EINVAL;
    }
    struct ext2_fs *fs = kzalloc(sizeof *fs);
    if (!fs)
        return -ABI_ENOMEM;
    if (!cache->ready && !bcache_init(cache, g.block_size, boot_options.bcache)) {
        kfree(fs);
        return -ABI_ENOMEM;
    }
    if (cache->block_size != g.block_size) {
        pr_err("ext2: %s: block size %u, the cache has %u\n", d->name, g.block_size, cache->block_size);
        kfree(fs);
        return -ABI_EINVAL;
    }
    fs->dev = d;
    fs->cache = cache;
    struct os_instance *none = NULL;
    fs->data_only = !__atomic_compare_exchange_n(&d->fs_owner, &none, this_os(), false, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_ACQUIRE) && none != this_os();
    fs->g = g;
    sleep_init(&fs->dirop, "ext2 directory operations", RANK_FS_DIROP);
    sleep_init(&fs->bitmap, "ext2 bitmaps", RANK_FS_BITMAP);
    spin_init(&fs->icache, "ext2 inode table", RANK_ICACHE);
    for (int i = 0; i < EXT2_NINODE; i++)
        sleep_init(&fs->inodes[i].lock, "inode", RANK_FS_INODE);
    /* Every group descriptor must make sense before anything is trusted. */
    for (uint32_t grp = 0; grp < g.groups; grp++) {
        uint32_t blk, off;
        ext2_group_desc_pos(&g, grp, &blk, &off);
        struct buf *b = fbread(fs, blk, &err);
        if (!b) {
            kfree(fs);
            return err;
        }
        struct ext2_group gd;
        err = ext2_parse_group(&g, grp, b->data + off, &gd);
        fbrelse(fs, b);
        if (err) {
            pr_err("ext2: %s: group %u's descriptor points outside the file system\n", d->name, grp);
            kfree(fs);
            return -ABI_EIO;
        }
    }
    this_os()->fs = fs;
    struct inode *root;
    if ((err = fs_namei("/", &root)) < 0 || (err = ilock(root)) < 0 || !fs_is_dir(root)) {
        pr_err("ext2: %s: the root directory is unreadable\n", d->name);
        this_os()->fs = NULL;
        return err < 0 ? err : -ABI_EIO;
    }
    iunlock(root);
    iput(root);
    pr_info("ext2: %s mounted as / : %u blocks of %u bytes, %u inodes, %u groups; cache %s%s\n", d->name,
            g.blocks_count, g.block_size, g.inodes_count, g.groups, cache->enabled ? "on" : "off",
            fs->data_only ? "; data only (another OS instance owns the metadata)" : "");
    return 0;
}

/* ---- group descriptors and the superblock's counts ---- */

static int group_get(struct ext2_fs *fs, uint32_t grp, struct ext2_group *gd) {
    uint32_t blk, off;
    int err;
    ext2_group_desc_pos(&fs->g, grp, &blk, &off);
    struct buf *b = fbread(fs, blk, &err);
    if (!b)
        return err;
    err = ext2_parse_group(&fs->g, grp, b->data + off, gd) ? -ABI_EIO : 0;
    fbrelse(fs, b);
    return err;
}

/* Add the deltas to group grp's counts and the superblock's. */
static int counts_add(struct ext2_fs *fs, uint32_t grp, int dblocks, int dinodes, int ddirs) {
    uint32_t blk, off;
    int err;
    ext2_group_desc_pos(&fs->g, grp, &blk, &off);
    struct buf *b = fbread(fs, blk, &err);
    if (!b)
        return err;
    struct ext2_group gd;
    if (ext2_parse_group(&fs->g, grp, b->data + off, &gd)) {
        fbrelse(fs, b);
        return -ABI_EIO;
    }
    gd.free_blocks = (uint16_t)(gd.free_blocks + dblocks);
    gd.free_inodes = (uint16_t)(gd.free_inodes + dinodes);
    gd.used_dirs = (uint16_t)(gd.used_dirs + ddirs);
    ext2_write_group(b->data + off, &gd);
    err = fbdirty(fs, b);
    fbrelse(fs, b);
    /* The superblock is bytes 1024-2047: block 1 of a 1 KiB file system,
     * the second half of block 0 otherwise. */
    uint32_t sblk = EXT2_SUPER_OFFSET / fs->g.block_size, soff = EXT2_SUPER_OFFSET % fs->g.block_size;
    b = fs->g.block_size == 1024 ? fbread(fs, sblk, &err) : bread(fs->cache, fs->dev, 0, &err);
    if (!b)
        return err;
    uint8_t *sb = b->data + soff;
    ext2_sb_set_free(sb, ext2_sb_free_blocks(sb) + (uint32_t)dblocks, ext2_sb_free_inodes(sb) + (uint32_t)dinodes);
    int e2 = fbdirty(fs, b);
    fbrelse(fs, b);
    return err ? err : e2;
}

/* ---- block and inode allocation (bitmap lock) ---- */

static uint32_t blocks_in_group(const struct ext2_geom *g, uint32_t grp) {
    uint32_t start = g->first_data_block + grp * g->blocks_per_group;
    return MIN(g->blocks_per_group, g->blocks_count - start);
}

/* The first free inode of group grp's bitmap (reserved inodes skipped),
 * as a bit number, or -1. */
static int first_free_inode(const struct ext2_fs *fs, uint32_t grp, const uint8_t *bitmap) {
    uint32_t n = MIN(fs->g.inodes_per_group, fs->g.inodes_count - grp * fs->g.inodes_per_group);
    for (uint32_t bit = 0; bit < n; bit++)
        if (grp * fs->g.inodes_per_group + bit + 1 >= fs->g.first_ino && !ext2_bitmap_test(bitmap, bit))
            return (int)bit;
    return -1;
}

/* Take a block (inode false) or an inode (dir: a directory's) from the
 * bitmaps, searching the groups from goal_group on, and count it in the
 * group's and the superblock's free counts. The block or inode number, or
 * 0 with *err (-ENOSPC, -EROFS, a read error). */
static uint32_t bitmap_alloc(struct ext2_fs *fs, uint32_t goal_group, bool inode, bool dir, int *err) {
    if (fs->data_only) {
        *err = -ABI_EROFS;
        return 0;
    }
    sleep_lock(&fs->bitmap);
    uint32_t found = 0;
    *err = -ABI_ENOSPC;
    for (uint32_t k = 0; k < fs->g.groups && !found; k++) {
        uint32_t grp = (goal_group + k) % fs->g.groups;
        struct ext2_group gd;
        if ((*err = group_get(fs, grp, &gd)) < 0)
            break;
        *err = -ABI_ENOSPC;
        if ((inode ? gd.free_inodes : gd.free_blocks) == 0)
            continue;
        struct buf *b = fbread(fs, inode ? gd.inode_bitmap : gd.block_bitmap, err);
        if (!b)
            break;
        int bit = inode ? first_free_inode(fs, grp, b->data)
                        : ext2_bitmap_find_zero(b->data, blocks_in_group(&fs->g, grp));
        if (bit >= 0) {
            ext2_bitmap_set(b->data, (uint32_t)bit, true);
            *err = fbdirty(fs, b);
            found = inode ? grp * fs->g.inodes_per_group + (uint32_t)bit + 1
                          : fs->g.first_data_block + grp * fs->g.blocks_per_group + (uint32_t)bit;
            if (!*err)
                *err = counts_add(fs, grp, inode ? 0 : -1, inode ? -1 : 0, dir ? 1 : 0);
        }
        fbrelse(fs, b);
    }
    sleep_unlock(&fs->bitmap);
    return *err ? 0 : found;
}

/* Give bit `bit` of group grp's block or inode bitmap back, and count it. */
static void bitmap_free(struct ext2_fs *fs, uint32_t grp, uint32_t bit, bool inode, bool dir) {
    int err;
    sleep_lock(&fs->bitmap);
    struct ext2_group gd;
    if (group_get(fs, grp, &gd) == 0) {
        struct buf *b = fbread(fs, inode ? gd.inode_bitmap : gd.block_bitmap, &err);
        if (b) {
            if (ext2_bitmap_test(b->data, bit)) {
                ext2_bitmap_set(b->data, bit, false);
                fbdirty(fs, b);
                counts_add(fs, grp, inode ? 0 : +1, inode ? +1 : 0, dir ? -1 : 0);
            } else if (!inode) {
                pr_warn("ext2: freeing free block %u\n",
                        fs->g.first_data_block + grp * fs->g.blocks_per_group + bit);
            }
            fbrelse(fs, b);
        }
    }
    sleep_unlock(&fs->bitmap);
}

/* A zeroed new block near `goal` (group of), or 0 with *err (-ENOSPC). */
static uint32_t balloc(struct ext2_fs *fs, uint32_t goal_group, int *err) {
    uint32_t found = bitmap_alloc(fs, goal_group, false, false, err);
    if (!found)
        return 0;
    struct buf *z = bget_new(fs->cache, fs->dev, found, err);
    if (!z)
        return 0;
    memset(z->data, 0, fs->g.block_size);
    *err = fbdirty(fs, z);
    fbrelse(fs, z);
    return *err ? 0 : found;
}

static void bfree(struct ext2_fs *fs, uint32_t blockno) {
    if (fs->data_only || !blockno || !ext2_block_ok(&fs->g, blockno))
        return; /* data only: the bitmaps are the owner's */
    bitmap_free(fs, (blockno - fs->g.first_data_block) / fs->g.blocks_per_group,
                (blockno - fs->g.first_data_block) % fs->g.blocks_per_group, false, false);
}

static uint32_t ialloc(struct ext2_fs *fs, uint32_t goal_group, bool dir, int *err) {
    return bitmap_alloc(fs, goal_group, true, dir, err);
}

static void ifree(struct ext2_fs *fs, uint32_t ino, bool dir) {
    if (fs->data_only)
        return; /* the bitmaps are the owner's */
    bitmap_free(fs, ext2_inode_group(&fs->g, ino), (ino - 1) % fs->g.inodes_per_group, true, dir);
}

/* ---- in-core inodes ---- */

static struct inode *iget(struct ext2_fs *fs, uint32_t ino, int *err) {
    if (ino == 0 || ino > fs->g.inodes_count) {
        *err = -ABI_EIO;
        return NULL;
    }
    spin_lock(&fs->icache);
    struct inode *empty = NULL;
    for (int i = 0; i < EXT2_NINODE; i++) {
        struct inode *ip = &fs->inodes[i];
        if (ip->refs > 0 && ip->ino == ino) {
            ip->refs++;
            spin_unlock(&fs->icache);
            return ip;
        }
        if (!empty && ip->refs == 0)
            empty = ip;
    }
    if (empty) {
        empty->fs = fs;
        empty->ino = ino;
        empty->refs = 1;
        empty->valid = false;
    }
    spin_unlock(&fs->icache);
    if (!empty)
        *err = -ABI_ENFILE;
    return empty;
}

struct inode *idup(struct inode *ip) {
    spin_lock(&ip->fs->icache);
    ip->refs++;
    spin_unlock(&ip->fs->icache);
    return ip;
}

static int iupdate(struct inode *ip) {
    struct ext2_fs *fs = ip->fs;
    struct ext2_group gd;
    uint32_t blk, off;
    int err = group_get(fs, ext2_inode_group(&fs->g, ip->ino), &gd);
    if (err || ext2_inode_pos(&fs->g, ip->ino, gd.inode_table, &blk, &off))
        return err ? err : -ABI_EIO;
    struct buf *b = fbread(fs, blk, &err);
    if (!b)
        return err;
    ext2_write_inode(b->data + off, &ip->d);
    err = fbdirty(fs, b);
    fbrelse(fs, b);
    return err;
}

int ilock(struct inode *ip) {
    sleep_lock(&ip->lock);
    if (ip->valid)
        return 0;
    struct ext2_fs *fs = ip->fs;
    struct ext2_group gd;
    uint32_t blk, off;
    int err = group_get(fs, ext2_inode_group(&fs->g, ip->ino), &gd);
    if (!err && ext2_inode_pos(&fs->g, ip->ino, gd.inode_table, &blk, &off))
        err = -ABI_EIO;
    struct buf *b = err ? NULL : fbread(fs, blk, &err);
    if (b) {
        if (ext2_parse_inode(&fs->g, b->data + off, &ip->d))
            err = -ABI_EIO;
        fbrelse(fs, b);
    }
    if (err) {
        pr_warn("ext2: inode %u is unreadable or corrupt\n", ip->ino);
        sleep_unlock(&ip->lock);
        return err;
    }
    ip->valid = true;
    return 0;
}

void iunlock(struct inode *ip) { sleep_unlock(&ip->lock); }

static int itrunc_locked(struct inode *ip, uint64_t size);

/* The last reference to an inode without links frees it. The in-core copy
 * is forgotten when nobody holds it: the next user reads the disk (through
 * the cache), so two instances sharing a disk see each other's inodes as
 * far as their caches let them. */
void iput(struct inode *ip) {
    struct ext2_fs *fs = ip->fs;
    spin_lock(&fs->icache);
    bool last = ip->refs == 1;
    spin_unlock(&fs->icache);
    if (last) {
        sleep_lock(&ip->lock);
        /* Data only: an unlinked inode is the owner's to free (a stale
         * copy here may show links 0 for an inode the owner reused). */
        if (ip->valid && ip->d.links == 0 && !fs->data_only) {
            bool dir = (ip->d.mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
            itrunc_locked(ip, 0);
            ip->d.mode = 0;
            ip->d.dtime = now_secs();
            iupdate(ip);
            ifree(fs, ip->ino, dir);
        }
        ip->valid = false;
        sleep_unlock(&ip->lock);
    }
    spin_lock(&fs->icache);
    ip->refs--;
    spin_unlock(&fs->icache);
}

bool fs_is_dir(const struct inode *ip) { return (ip->d.mode & EXT2_S_IFMT) == EXT2_S_IFDIR; }

/* ---- the block map ---- */

/* Physical block of logical block lb (0: a hole), allocating the block
 * and any indirect block on the way when alloc. Inode locked. */
static uint32_t bmap(struct inode *ip, uint64_t lb, bool alloc, int *err) {
    struct ext2_fs *fs = ip->fs;
    int depth;
    uint32_t idx[3];
    *err = 0;
    if (ext2_block_path(&fs->g, lb, &depth, idx)) {
        *err = -ABI_EFBIG;
        return 0;
    }
    uint32_t group = ext2_inode_group(&fs->g, ip->ino);
    uint32_t blk = ip->d.block[idx[0]];
    if (!blk) {
        if (!alloc)
            return 0;
        if (!(blk = balloc(fs, group, err)))
            return 0;
        ip->d.block[idx[0]] = blk;
        ip->d.blocks512 += fs->g.block_size / 512;
        if ((*err = iupdate(ip)) < 0)
            return 0;
    }
    for (int level = 1; level <= depth; level++) {
        struct buf *b = fbread(fs, blk, err);
        if (!b)
            return 0;
        uint32_t *ptrs = (uint32_t *)b->data;
        uint32_t next = ptrs[idx[level]];
        if (!ext2_block_ok(&fs->g, next)) {
            fbrelse(fs, b);
            pr_warn("ext2: inode %u: block number %u past the end\n", ip->ino, next);
            *err = -ABI_EIO;
            return 0;
        }
        if (!next && alloc) {
            next = balloc(fs, group, err);
            if (next) {
                ptrs[idx[level]] = next;
                *err = fbdirty(fs, b);
                ip->d.blocks512 += fs->g.block_size / 512;
                if (!*err)
                    *err = iupdate(ip);
            }
        }
        fbrelse(fs, b);
        if (!next || *err)
            return 0;
        blk = next;
    }
    return blk;
}

/* Free the blocks under an indirect block of this level (1 or 2). */
static void free_tree(struct inode *ip, uint32_t blk, int level) {
    struct ext2_fs *fs = ip->fs;
    int err;
    if (!blk)
        return;
    if (level > 0) {
        /* The block's numbers, 64 at a time onto the stack (no heap: a
         * size class first used here would keep its page). */
        for (uint32_t i = 0; i < fs->g.ptrs_per_block; i += 64) {
            uint32_t part[64];
            struct buf *b = fbread(fs, blk, &err);
            if (!b)
                break;
            memcpy(part, (uint32_t *)b->data + i, sizeof part);
            fbrelse(fs, b);
            for (int k = 0; k < 64; k++)
                if (part[k] && ext2_block_ok(&fs->g, part[k]))
                    free_tree(ip, part[k], level - 1);
        }
    }
    bfree(fs, blk);
    ip->d.blocks512 -= MIN(ip->d.blocks512, fs->g.block_size / 512);
}

/* Cut the file to `size` bytes: blocks wholly past it are freed (indirect
 * blocks that end up empty too), the tail of the last one zeroed. */
static int itrunc_locked(struct inode *ip, uint64_t size) {
    struct ext2_fs *fs = ip->fs;
    uint32_t bs = fs->g.block_size, p = fs->g.ptrs_per_block;
    uint64_t keep = (size + bs - 1) / bs; /* logical blocks kept */
    int err = 0;
    if (size > ext2_max_blocks(&fs->g) * bs)
        return -ABI_EFBIG;
    if (size < ip->d.size) {
        for (uint64_t lb = keep; lb < EXT2_NDIR; lb++) {
            free_tree(ip, ip->d.block[lb], 0);
            ip->d.block[lb] = 0;
        }
        /* Indirect: entries from keep - 12 on. */
        uint64_t ind_keep = keep > EXT2_NDIR ? keep - EXT2_NDIR : 0;
        if (ip->d.block[EXT2_IND] && ind_keep < p) {
            if (ind_keep == 0) {
                free_tree(ip, ip->d.block[EXT2_IND], 1);
                ip->d.block[EXT2_IND] = 0;
            } else {
                struct buf *b = fbread(fs, ip->d.block[EXT2_IND], &err);
                if (b) {
                    uint32_t *ptrs = (uint32_t *)b->data;
                    for (uint64_t i = ind_keep; i < p; i++)
                        if (ptrs[i] && ext2_block_ok(&fs->g, ptrs[i])) {
                            bfree(fs, ptrs[i]);
                            ip->d.blocks512 -= MIN(ip->d.blocks512, bs / 512);
                            ptrs[i] = 0;
                        }
                    fbdirty(fs, b);
                    fbrelse(fs, b);
                }
            }
        }
        /* Double indirect: the second-level blocks from dind_keep on. */
        uint64_t dind_keep = keep > EXT2_NDIR + p ? keep - EXT2_NDIR - p : 0;
        if (ip->d.block[EXT2_DIND]) {
            if (dind_keep == 0) {
                free_tree(ip, ip->d.block[EXT2_DIND], 2);
                ip->d.block[EXT2_DIND] = 0;
            } else {
                struct buf *b = fbread(fs, ip->d.block[EXT2_DIND], &err);
                if (b) {
                    uint32_t *l1 = (uint32_t *)b->data;
                    for (uint64_t i = 0; i < p; i++) {
                        uint64_t first = i * p; /* first lb (relative) under l1[i] */
                        if (!l1[i] || !ext2_block_ok(&fs->g, l1[i]) || first + p <= dind_keep)
                            continue;
                        if (first >= dind_keep) {
                            free_tree(ip, l1[i], 1);
                            l1[i] = 0;
                            continue;
                        }
                        struct buf *b2 = fbread(fs, l1[i], &err);
                        if (!b2)
                            continue;
                        uint32_t *l2 = (uint32_t *)b2->data;
                        for (uint64_t j = dind_keep - first; j < p; j++)
                            if (l2[j] && ext2_block_ok(&fs->g, l2[j])) {
                                bfree(fs, l2[j]);
                                ip->d.blocks512 -= MIN(ip->d.blocks512, bs / 512);
                                l2[j] = 0;
                            }
                        fbdirty(fs, b2);
                        fbrelse(fs, b2);
                    }
                    fbdirty(fs, b);
                    fbrelse(fs, b);
                }
            }
        }
        /* Zero the tail of the last kept block, so growing the file again
         * reads zeros there. */
        if (size % bs) {
            uint32_t blk = bmap(ip, size / bs, false, &err);
            struct buf *b = blk ? fbread(fs, blk, &err) : NULL;
            if (b) {
                memset(b->data + size % bs, 0, bs - size % bs);
                fbdirty(fs, b);
                fbrelse(fs, b);
            }
        }
    }
    ip->d.size = size;
    ip->d.mtime = ip->d.ctime = now_secs();
    int e2 = iupdate(ip);
    return err ? err : e2;
}

int fs_truncate(struct inode *ip, uint64_t size) {
    if (fs_is_dir(ip))
        return -ABI_EISDIR;
    if (ip->fs->data_only)
        return -ABI_EROFS;
    return itrunc_locked(ip, size);
}

/* ---- contents ---- */

long fs_readi(struct inode *ip, uint64_t off, void *buf, size_t n, bool to_user) {
    struct ext2_fs *fs = ip->fs;
    uint32_t bs = fs->g.block_size;
    if (off >= ip->d.size)
        return 0;
    n = MIN(n, ip->d.size - off);
    size_t done = 0;
    int err = 0;
    while (done < n) {
        uint32_t boff = (uint32_t)((off + done) % bs);
        size_t k = MIN(n - done, (size_t)(bs - boff));
        uint32_t blk = bmap(ip, (off + done) / bs, false, &err);
        if (err)
            break;
        struct buf *b = NULL;
        if (blk && !(b = fbread(fs, blk, &err)))
            break;
        static const uint8_t zeros[BCACHE_MAX_BLOCK];
        const uint8_t *src = b ? b->data + boff : zeros; /* a hole reads as zeros */
        int r = 0;
        if (to_user)
            r = copy_to_user((uint64_t)buf + done, src, k);
        else
            memcpy((uint8_t *)buf + done, src, k);
        if (b)
            fbrelse(fs, b);
        if (r < 0) {
            err = -ABI_EFAULT;
            break;
        }
        done += k;
    }
    return done ? (long)done : err;
}

long fs_writei(struct inode *ip, uint64_t off, const void *buf, size_t n, bool from_user) {
    struct ext2_fs *fs = ip->fs;
    uint32_t bs = fs->g.block_size;
    uint64_t end;
    if (__builtin_add_overflow(off, n, &end) || end > ext2_max_blocks(&fs->g) * bs)
        return -ABI_EFBIG;
    if (fs->data_only && end > ip->d.size)
        return -ABI_EROFS; /* growing the file changes its inode */
    size_t done = 0;
    int err = 0;
    while (done < n) {
        uint32_t boff = (uint32_t)((off + done) % bs);
        size_t k = MIN(n - done, (size_t)(bs - boff));
        uint32_t blk = bmap(ip, (off + done) / bs, true, &err);
        if (!blk)
            break;
        struct buf *b = fbread(fs, blk, &err);
        if (!b)
            break;
        int r = 0;
        if (from_user)
            r = copy_from_user(b->data + boff, (uint64_t)buf + done, k);
        else
            memcpy(b->data + boff, (const uint8_t *)buf + done, k);
        if (r < 0) {
            fbrelse(fs, b);
            err = -ABI_EFAULT;
            break;
        }
        err = fbdirty(fs, b);
        fbrelse(fs, b);
        if (err)
            break;
        done += k;
    }
    if (done && !fs->data_only) { /* data only: the inode stays as the owner wrote it */
        if (off + done > ip->d.size)
            ip->d.size = off + done;
        ip->d.mtime = ip->d.ctime = now_secs();
        int e2 = iupdate(ip);
        if (e2 && !err)
            err = e2;
    }
    return done ? (long)done : err;
}

void fs_stati(struct inode *ip, struct abi_stat *st) {
    *st = (struct abi_stat){.size = ip->d.size, .mode = ip->d.mode, .ino = ip->ino, .dev = 1,
                            .blksize = ip->fs->g.block_size};
    st->nlink = ip->d.links;
    st->blocks = ip->d.blocks512;
    st->atime = ip->d.atime;
    st->mtime = ip->d.mtime;
    st->ctime = ip->d.ctime;
}

/* ---- directories ---- */

/* Visit the entries of directory dp (locked): fn returns nonzero to stop.
 * A malformed block ends the walk with -EIO. */
struct dir_walk {
    uint32_t lb, off;           /* where the entry is */
    uint32_t prev_off;          /* the entry before it in the block, or ~0 */
};

typedef int (*dir_fn)(struct inode *dp, struct buf *b, const struct ext2_dirent *e, const struct dir_walk *w,
                      void *ctx);

static int dir_walk(struct inode *dp, dir_fn fn, void *ctx) {
    struct ext2_fs *fs = dp->fs;
    uint32_t bs = fs->g.block_size;
    uint64_t nblocks = dp->d.size / bs;
    int err = 0;
    for (uint32_t lb = 0; lb < nblocks; lb++) {
        uint32_t blk = bmap(dp, lb, false, &err);
        if (err)
            return err;
        if (!blk)
            return -ABI_EIO; /* directories have no holes */
        struct buf *b = fbread(fs, blk, &err);
        if (!b)
            return err;
        uint32_t off = 0, prev = ~0u;
        struct ext2_dirent e;
        struct dir_walk w;
        int r;
        for (;;) {
            uint32_t here = off;
            r = ext2_dirent_next(b->data, bs, &off, &e);
            if (r <= 0)
                break;
            w = (struct dir_walk){lb, here, prev};
            if ((r = fn(dp, b, &e, &w, ctx)) != 0)
                break;
            prev = here;
        }
        fbrelse(fs, b);
        if (r < 0) {
            if (r == EXT2_EIO)
                pr_warn("ext2: directory %u, block %u: malformed entry\n", dp->ino, lb);
            return r == EXT2_EIO ? -ABI_EIO : r;
        }
        if (r > 0)
            return r;
    }
    return 0;
}

struct lookup_ctx {
    const char *name;
    uint32_t len;
    uint32_t ino;
    struct dir_walk where;
    uint8_t type;
};

static int lookup_fn(struct inode *dp, struct buf *b, const struct ext2_dirent *e, const struct dir_walk *w,
                     void *ctx) {
    (void)dp, (void)b;
    struct lookup_ctx *l = ctx;
    if (e->inode && e->name_len == l->len && memcmp(e->name, l->name, l->len) == 0) {
        l->ino = e->inode;
        l->where = *w;
        l->type = e->file_type;
        return 1;
    }
    return 0;
}

/* Inode number of name in dp (locked), or 0 / error. */
static int dir_lookup(struct inode *dp, const char *name, uint32_t len, struct lookup_ctx *l) {
    *l = (struct lookup_ctx){.name = name, .len = len};
    int r = dir_walk(dp, lookup_fn, l);
    return r < 0 ? r : l->ino ? 1 : 0;
}

static uint8_t ftype_of(uint16_t mode) {
    return (mode & EXT2_S_IFMT) == EXT2_S_IFDIR ? EXT2_FT_DIR : EXT2_FT_REG;
}

struct insert_ctx {
    const char *name;
    uint32_t len, ino;
    uint8_t type;
    int done;
};

/* An unused entry big enough, or an entry with room after its name. */
static int insert_fn(struct inode *dp, struct buf *b, const struct ext2_dirent *e, const struct dir_walk *w,
                     void *ctx) {
    struct insert_ctx *c = ctx;
    uint32_t need = ext2_dirent_size(c->len);
    uint32_t used = e->inode ? ext2_dirent_size(e->name_len) : 0;
    if (e->rec_len < used + need)
        return 0;
    if (used) {
        ext2_dirent_write(b->data, w->off, e->inode, (uint16_t)used, e->name, e->name_len, e->file_type);
        ext2_dirent_write(b->data, w->off + used, c->ino, (uint16_t)(e->rec_len - used), c->name, c->len, c->type);
    } else {
        ext2_dirent_write(b->data, w->off, c->ino, e->rec_len, c->name, c->len, c->type);
    }
    c->done = fbdirty(dp->fs, b);
    return c->done ? c->done : 1;
}

/* Add name -> ino to dp (locked); the caller checked it is not there. */
static int dir_add(struct inode *dp, const char *name, uint32_t len, uint32_t ino, uint8_t type) {
    struct ext2_fs *fs = dp->fs;
    struct insert_ctx c = {name, len, ino, type, 0};
    int r = dir_walk(dp, insert_fn, &c);
    if (r < 0)
        return r;
    if (r > 0)
        return 0;
    /* No room: a new block with one entry over all of it. */
    int err;
    uint32_t blk = bmap(dp, dp->d.size / fs->g.block_size, true, &err);
    if (!blk)
        return err;
    struct buf *b = fbread(fs, blk, &err);
    if (!b)
        return err;
    ext2_dirent_write(b->data, 0, ino, (uint16_t)fs->g.block_size, name, len, type);
    err = fbdirty(fs, b);
    fbrelse(fs, b);
    dp->d.size += fs->g.block_size;
    dp->d.mtime = dp->d.ctime = now_secs();
    int e2 = iupdate(dp);
    return err ? err : e2;
}

/* Remove the entry lookup found: merged into the one before it, or, first
 * in its block, marked unused. */
static int dir_remove(struct inode *dp, const struct dir_walk *w) {
    struct ext2_fs *fs = dp->fs;
    int err;
    uint32_t blk = bmap(dp, w->lb, false, &err);
    struct buf *b = blk ? fbread(fs, blk, &err) : NULL;
    if (!b)
        return err ? err : -ABI_EIO;
    uint32_t off = w->off;
    struct ext2_dirent e;
    if (ext2_dirent_next(b->data, fs->g.block_size, &off, &e) != 1) {
        fbrelse(fs, b);
        return -ABI_EIO;
    }
    if (w->prev_off == ~0u) {
        b->data[w->off] = b->data[w->off + 1] = b->data[w->off + 2] = b->data[w->off + 3] = 0;
    } else {
        uint32_t poff = w->prev_off;
        struct ext2_dirent pe;
        if (ext2_dirent_next(b->data, fs->g.block_size, &poff, &pe) != 1) {
            fbrelse(fs, b);
            return -ABI_EIO;
        }
        uint16_t merged = (uint16_t)(pe.rec_len + e.rec_len);
        b->data[w->prev_off + 4] = (uint8_t)merged;
        b->data[w->prev_off + 5] = (uint8_t)(merged >> 8);
    }
    err = fbdirty(fs, b);
    fbrelse(fs, b);
    dp->d.mtime = dp->d.ctime = now_secs();
    int e2 = iupdate(dp);
    return err ? err : e2;
}

static int empty_fn(struct inode *dp, struct buf *b, const struct ext2_dirent *e, const struct dir_walk *w,
                    void *ctx) {
    (void)dp, (void)b, (void)w, (void)ctx;
    if (!e->inode)
        return 0;
    if ((e->name_len == 1 && e->name[0] == '.') || (e->name_len == 2 && e->name[0] == '.' && e->name[1] == '.'))
        return 0;
    return 1;
}

/* 1 when dp has only . and .. */
static int dir_empty(struct inode *dp) {
    int r = dir_walk(dp, empty_fn, NULL);
    return r < 0 ? r : r == 0;
}

struct nth_ctx {
    uint64_t pos;
    struct abi_dirent *out;
    uint64_t next;
};

static int nth_fn(struct inode *dp, struct buf *b, const struct ext2_dirent *e, const struct dir_walk *w,
                  void *ctx) {
    (void)b;
    struct nth_ctx *c = ctx;
    uint64_t at = (uint64_t)w->lb * dp->fs->g.block_size + w->off;
    if (at < c->pos || !e->inode)
        return 0;
    memset(c->out, 0, sizeof *c->out);
    uint32_t n = MIN((uint32_t)e->name_len, (uint32_t)sizeof c->out->name - 1);
    memcpy(c->out->name, e->name, n);
    c->out->mode = e->file_type == EXT2_FT_DIR ? ABI_S_IFDIR : e->file_type == EXT2_FT_REG ? ABI_S_IFREG : 0;
    c->out->ino = e->inode;
    c->next = at + e->rec_len;
    return 1;
}

int fs_dirent_at(struct inode *dp, uint64_t *pos, struct abi_dirent *out) {
    if (!fs_is_dir(dp))
        return -ABI_ENOTDIR;
    struct nth_ctx c = {*pos, out, 0};
    int r = dir_walk(dp, nth_fn, &c);
    if (r <= 0)
        return r;
    *pos = c.next;
    return 1;
}

/* ---- paths ---- */

/* The next component of *p (skipping slashes): its start and length; 0 at
 * the end, -ENAMETOOLONG past EXT2_NAME_MAX. */
static int next_name(const char **p, const char **name, uint32_t *len) {
    const char *s = *p;
    while (*s == '/')
        s++;
    if (!*s)
        return 0;
    const char *e = s;
    while (*e && *e != '/')
        e++;
    if (e - s > EXT2_NAME_MAX)
        return -ABI_ENAMETOOLONG;
    *name = s;
    *len = (uint32_t)(e - s);
    *p = e;
    return 1;
}

static bool only_slashes(const char *p) {
    while (*p == '/')
        p++;
    return !*p;
}

#define MAX_PATH_DEPTH 64

/* Walk path from the root or the working directory. With parent, stop at
 * the last component: return its directory, and the name in name/len.
 * Every directory on the way is looked up under its own lock only. */
static int walk(const char *path, bool parent, struct inode **out, const char **lname, uint32_t *llen) {
    struct ext2_fs *fs = fs_root();
    int err;
    if (!fs)
        return -ABI_ENOENT;
    if (!*path)
        return -ABI_ENOENT;
    struct inode *ip;
    const char *cwd = current_proc() ? current_proc()->cwd : "/";
    if (path[0] != '/' && cwd[0] && strcmp(cwd, "/") != 0) {
        err = walk(cwd, false, &ip, NULL, NULL); /* the working directory itself is absolute */
        if (err)
            return err;
    } else {
        ip = iget(fs, EXT2_ROOT_INO, &err);
        if (!ip)
            return err;
    }
    const char *p = path, *name;
    uint32_t len;
    int steps = 0;
    while ((err = next_name(&p, &name, &len)) == 1) {
        if ((err = ilock(ip)) < 0) {
            iput(ip);
            return err;
        }
        if (!fs_is_dir(ip)) {
            iunlock(ip);
            iput(ip);
            return -ABI_ENOTDIR;
        }
        if (parent && only_slashes(p)) {
            iunlock(ip);
            *out = ip;
            *lname = name;
            *llen = len;
            return 0;
        }
        if (++steps > MAX_PATH_DEPTH * 4) {
            iunlock(ip);
            iput(ip);
            return -ABI_ENAMETOOLONG;
        }
        struct lookup_ctx l;
        int r = dir_lookup(ip, name, len, &l);
        iunlock(ip);
        if (r <= 0) {
            iput(ip);
            return r < 0 ? r : -ABI_ENOENT;
        }
        struct inode *next = iget(fs, l.ino, &err);
        iput(ip);
        if (!next)
            return err;
        ip = next;
    }
    if (err < 0) {
        iput(ip);
        return err;
    }
    if (parent) { /* "/" or "" has no last component */
        iput(ip);
        return -ABI_EINVAL;
    }
    *out = ip;
    return 0;
}

int fs_namei(const char *path, struct inode **out) { return walk(path, false, out, NULL, NULL); }

static bool is_dot_or_dotdot(const char *name, uint32_t len) {
    return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

/* A new inode of this mode linked as name in dp (locked, dirop held). */
static int make_node(struct inode *dp, const char *name, uint32_t len, uint16_t mode, struct inode **out) {
    struct ext2_fs *fs = dp->fs;
    int err;
    bool dir = (mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
    uint32_t ino = ialloc(fs, ext2_inode_group(&fs->g, dp->ino), dir, &err);
    if (!ino)
        return err;
    struct inode *ip = iget(fs, ino, &err);
    if (!ip) {
        ifree(fs, ino, dir);
        return err;
    }
    sleep_lock(&ip->lock);
    uint32_t now = now_secs();
    ip->d = (struct ext2_inode){.mode = mode, .links = dir ? 2 : 1, .atime = now, .ctime = now, .mtime = now};
    ip->valid = true;
    err = iupdate(ip);
    if (!err && dir) {
        /* "." and ".." in the first block (ext2 spec 3.4). */
        uint32_t blk = bmap(ip, 0, true, &err);
        struct buf *b = blk ? fbread(fs, blk, &err) : NULL;
        if (b) {
            uint16_t dot = (uint16_t)ext2_dirent_size(1);
            ext2_dirent_write(b->data, 0, ino, dot, ".", 1, EXT2_FT_DIR);
            ext2_dirent_write(b->data, dot, dp->ino, (uint16_t)(fs->g.block_size - dot), "..", 2, EXT2_FT_DIR);
            err = fbdirty(fs, b);
            fbrelse(fs, b);
            ip->d.size = fs->g.block_size;
            if (!err)
                err = iupdate(ip);
        }
    }
    if (!err)
        err = dir_add(dp, name, len, ino, ftype_of(mode));
    if (!err && dir) {
        dp->d.links++;
        err = iupdate(dp);
    }
    if (err) {
        ip->d.links = 0; /* iput frees what was allocated */
        iunlock(ip);
        iput(ip);
        return err;
    }
    iunlock(ip);
    *out = ip;
    return 0;
}

static int create(const char *path, uint16_t mode, bool excl, struct inode **out) {
    struct ext2_fs *fs = fs_root();
    struct inode *dp;
    const char *name;
    uint32_t len;
    int err = walk(path, true, &dp, &name, &len);
    if (err)
        return err == -ABI_EINVAL ? -ABI_EEXIST : err;
    sleep_lock(&fs->dirop);
    if ((err = ilock(dp)) < 0)
        goto out_unlocked;
    struct lookup_ctx l;
    int r = dir_lookup(dp, name, len, &l);
    if (r < 0) {
        err = r;
    } else if (r > 0) {
        if (excl || (mode & EXT2_S_IFMT) == EXT2_S_IFDIR) {
            err = -ABI_EEXIST;
        } else {
            struct inode *ip = iget(fs, l.ino, &err);
            if (ip) {
                *out = ip;
                err = 0;
            }
        }
    } else if (is_dot_or_dotdot(name, len)) {
        err = -ABI_EEXIST;
    } else if (dp->d.links == 0) {
        err = -ABI_ENOENT; /* the directory was removed */
    } else if (fs->data_only) {
        err = -ABI_EROFS;
    } else {
        err = make_node(dp, name, len, mode, out);
    }
    iunlock(dp);
out_unlocked:
    sleep_unlock(&fs->dirop);
    iput(dp);
    return err;
}

int fs_create(const char *path, uint32_t perm, bool excl, struct inode **out) {
    int err = create(path, (uint16_t)(EXT2_S_IFREG | (perm & ABI_MODE_BITS)), excl, out);
    if (err)
        return err;
    if ((err = ilock(*out)) == 0) {
        bool dir = fs_is_dir(*out);
        iunlock(*out);
        if (dir) {
            iput(*out);
            return -ABI_EISDIR;
        }
    }
    return err;
}

int fs_mkdir(const char *path, uint32_t perm) {
    struct inode *ip;
    int err = create(path, (uint16_t)(EXT2_S_IFDIR | (perm & ABI_MODE_BITS)), true, &ip);
    if (!err)
        iput(ip);
    return err;
}

/* unlink and rmdir: remove name from its directory and drop a link. */
static int remove_name(const char *path, bool want_dir) {
    struct ext2_fs *fs = fs_root();
    if (fs->data_only)
        return -ABI_EROFS;
    struct inode *dp;
    const char *name;
    uint32_t len;
    int err = walk(path, true, &dp, &name, &len);
    if (err)
        return err == -ABI_EINVAL ? -ABI_EBUSY : err; /* the root */
    if (is_dot_or_dotdot(name, len)) {
        iput(dp);
        return want_dir ? -ABI_EINVAL : -ABI_EISDIR;
    }
    sleep_lock(&fs->dirop);
    struct inode *ip = NULL;
    if ((err = ilock(dp)) < 0)
        goto out;
    struct lookup_ctx l;
    int r = dir_lookup(dp, name, len, &l);
    if (r <= 0) {
        err = r < 0 ? r : -ABI_ENOENT;
        goto out_dp;
    }
    if (!(ip = iget(fs, l.ino, &err)))
        goto out_dp;
    if ((err = ilock(ip)) < 0)
        goto out_dp;
    if (want_dir && !fs_is_dir(ip))
        err = -ABI_ENOTDIR;
    else if (!want_dir && fs_is_dir(ip))
        err = -ABI_EISDIR;
    else if (want_dir && (r = dir_empty(ip)) != 1)
        err = r < 0 ? r : -ABI_ENOTEMPTY;
    if (!err)
        err = dir_remove(dp, &l.where);
    if (!err) {
        if (want_dir) {
            ip->d.links = 0;
            dp->d.links--;
            iupdate(dp);
        } else {
            ip->d.links--;
        }
        ip->d.ctime = now_secs();
        err = iupdate(ip);
    }
    iunlock(ip);
out_dp:
    iunlock(dp);
out:
    sleep_unlock(&fs->dirop);
    if (ip)
        iput(ip);
    iput(dp);
    return err;
}

int fs_unlink(const char *path) { return remove_name(path, false); }
int fs_rmdir(const char *path) { return remove_name(path, true); }

int fs_link(const char *oldpath, const char *newpath) {
    struct ext2_fs *fs = fs_root();
    if (fs->data_only)
        return -ABI_EROFS;
    struct inode *ip, *dp;
    const char *name;
    uint32_t len;
    int err = fs_namei(oldpath, &ip);
    if (err)
        return err;
    if ((err = walk(newpath, true, &dp, &name, &len)) < 0) {
        iput(ip);
        return err == -ABI_EINVAL ? -ABI_EEXIST : err;
    }
    sleep_lock(&fs->dirop);
    if ((err = ilock(dp)) == 0) {
        struct lookup_ctx l;
        int r = dir_lookup(dp, name, len, &l);
        if (r != 0) {
            err = r < 0 ? r : -ABI_EEXIST;
        } else if ((err = ilock(ip)) == 0) {
            if (fs_is_dir(ip))
                err = -ABI_EPERM; /* POSIX: no hard links to directories */
            else if (ip->d.links >= 65000)
                err = -ABI_EMLINK;
            else if (!(err = dir_add(dp, name, len, ip->ino, EXT2_FT_REG))) {
                ip->d.links++;
                ip->d.ctime = now_secs();
                err = iupdate(ip);
            }
            iunlock(ip);
        }
        iunlock(dp);
    }
    sleep_unlock(&fs->dirop);
    iput(dp);
    iput(ip);
    return err;
}

/* Is directory `ino` at or below `dir`? Walk up from dir by "..". */
static int is_under(struct ext2_fs *fs, uint32_t ancestor, struct inode *dir) {
    struct inode *ip = idup(dir);
    int err = 0;
    for (int steps = 0; steps < 1024; steps++) {
        if (ip->ino == ancestor) {
            iput(ip);
            return 1;
        }
        if (ip->ino == EXT2_ROOT_INO) {
            iput(ip);
            return 0;
        }
        if ((err = ilock(ip)) < 0)
            break;
        struct lookup_ctx l;
        int r = dir_lookup(ip, "..", 2, &l);
        iunlock(ip);
        if (r <= 0) {
            err = r < 0 ? r : -ABI_EIO;
            break;
        }
        struct inode *up = iget(fs, l.ino, &err);
        iput(ip);
        if (!up)
            return err;
        ip = up;
    }
    iput(ip);
    return err ? err : -ABI_EIO; /* a cycle of ".." entries */
}

/* Point dir's ".." at newparent. */
struct dotdot_ctx {
    uint32_t ino;
    int err;
};
static int dotdot_fn(struct inode *dp, struct buf *b, const struct ext2_dirent *e, const struct dir_walk *w,
                     void *ctx) {
    struct dotdot_ctx *c = ctx;
    if (e->name_len == 2 && e->name[0] == '.' && e->name[1] == '.') {
        ext2_dirent_write(b->data, w->off, c->ino, e->rec_len, "..", 2, EXT2_FT_DIR);
        c->err = fbdirty(dp->fs, b);
        return 1;
    }
    return 0;
}

int fs_rename(const char *oldpath, const char *newpath) {
    struct ext2_fs *fs = fs_root();
    if (fs->data_only)
        return -ABI_EROFS;
    struct inode *odp, *ndp, *ip = NULL, *victim = NULL;
    const char *oname, *nname;
    uint32_t olen, nlen;
    int err = walk(oldpath, true, &odp, &oname, &olen);
    if (err)
        return err == -ABI_EINVAL ? -ABI_EBUSY : err;
    if ((err = walk(newpath, true, &ndp, &nname, &nlen)) < 0) {
        iput(odp);
        return err == -ABI_EINVAL ? -ABI_EBUSY : err;
    }
    if (is_dot_or_dotdot(oname, olen) || is_dot_or_dotdot(nname, nlen)) {
        iput(odp);
        iput(ndp);
        return -ABI_EINVAL;
    }
    /* With the directory-operation lock nobody else changes the tree, so
     * the directories can be locked one at a time below. */
    sleep_lock(&fs->dirop);
    struct lookup_ctx ol, nl;
    int r;
    if ((err = ilock(odp)) < 0)
        goto out;
    r = dir_lookup(odp, oname, olen, &ol);
    iunlock(odp);
    if (r <= 0) {
        err = r < 0 ? r : -ABI_ENOENT;
        goto out;
    }
    if (!(ip = iget(fs, ol.ino, &err)) || (err = ilock(ip)) < 0)
        goto out;
    bool dir = fs_is_dir(ip);
    iunlock(ip);
    if (dir && (r = is_under(fs, ip->ino, ndp)) != 0) {
        err = r < 0 ? r : -ABI_EINVAL; /* into itself */
        goto out;
    }
    if ((err = ilock(ndp)) < 0)
        goto out;
    r = dir_lookup(ndp, nname, nlen, &nl);
    iunlock(ndp);
    if (r < 0) {
        err = r;
        goto out;
    }
    if (r > 0) {
        if (nl.ino == ol.ino) {
            err = 0; /* the same file: nothing to do (POSIX) */
            goto out;
        }
        if (!(victim = iget(fs, nl.ino, &err)) || (err = ilock(victim)) < 0)
            goto out;
        bool vdir = fs_is_dir(victim);
        if (vdir && !dir)
            err = -ABI_EISDIR;
        else if (!vdir && dir)
            err = -ABI_ENOTDIR;
        else if (vdir && (r = dir_empty(victim)) != 1)
            err = r < 0 ? r : -ABI_ENOTEMPTY;
        iunlock(victim);
        if (err)
            goto out;
    }
    /* The new name first, so a crash in between leaves two links rather
     * than none. Then the old name goes, then the victim's link. */
    if ((err = ilock(ndp)) < 0)
        goto out;
    if (victim) {
        /* Re-find the victim's entry and point it at ip. */
        r = dir_lookup(ndp, nname, nlen, &nl);
        err = r == 1 ? dir_remove(ndp, &nl.where) : -ABI_EIO;
        if (!err && fs_is_dir(victim))
            ndp->d.links--;
    }
    if (!err)
        err = dir_add(ndp, nname, nlen, ip->ino, dir ? EXT2_FT_DIR : EXT2_FT_REG);
    if (!err && dir && ndp != odp && ndp->ino != odp->ino)
        ndp->d.links++;
    if (!err)
        err = iupdate(ndp);
    iunlock(ndp);
    if (err)
        goto out;
    if ((err = ilock(odp)) < 0)
        goto out;
    r = dir_lookup(odp, oname, olen, &ol);
    err = r == 1 ? dir_remove(odp, &ol.where) : -ABI_EIO;
    if (!err && dir && ndp->ino != odp->ino) {
        odp->d.links--;
        err = iupdate(odp);
    }
    iunlock(odp);
    if (!err && dir && ndp->ino != odp->ino && (err = ilock(ip)) == 0) {
        struct dotdot_ctx c = {ndp->ino, 0};
        r = dir_walk(ip, dotdot_fn, &c);
        err = r < 0 ? r : c.err;
        iunlock(ip);
    }
    if (!err && victim && (err = ilock(victim)) == 0) {
        victim->d.links = fs_is_dir(victim) ? 0 : victim->d.links - 1;
        victim->d.ctime = now_secs();
        err = iupdate(victim);
        iunlock(victim);
    }
out:
    sleep_unlock(&fs->dirop);
    if (victim)
        iput(victim);
    if (ip)
        iput(ip);
    iput(odp);
    iput(ndp);
    return err;
}

int fs_sync(void) {
    struct os_instance *os = this_os();
    return os->bcache ? bcache_sync(os->bcache) : 0;
}

int fs_statfs(struct abi_statfs *out) {
    struct ext2_fs *fs = fs_root();
    if (!fs)
        return -ABI_ENOENT;
    int err;
    uint32_t soff = EXT2_SUPER_OFFSET % fs->g.block_size;
    struct buf *b = bread(fs->cache, fs->dev, EXT2_SUPER_OFFSET / fs->g.block_size, &err);
    if (!b)
        return err;
    *out = (struct abi_statfs){.block_size = fs->g.block_size, .inodes = fs->g.inodes_count,
                               .free_inodes = ext2_sb_free_inodes(b->data + soff), .blocks = fs->g.blocks_count,
                               .free_blocks = ext2_sb_free_blocks(b->data + soff)};
    fbrelse(fs, b);
    return 0;
}
