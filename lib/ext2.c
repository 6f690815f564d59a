/* ext2 on-disk structures; see lib/ext2.h. Fields are little-endian. */
#include "lib/ext2.h"
#include "lib/string.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v), wr16(p + 2, (uint16_t)(v >> 16)); }

static int bad(const char **why, const char *reason) {
    if (why)
        *why = reason;
    return EXT2_EIO;
}

int ext2_parse_super(const uint8_t *sb, uint64_t disk_bytes, struct ext2_geom *g, const char **why) {
    if (rd16(sb + 56) != EXT2_MAGIC)
        return bad(why, "bad magic (not ext2)");
    uint32_t log = rd32(sb + 24);
    if (log > 2)
        return bad(why, "block size above 4096");
    *g = (struct ext2_geom){0};
    g->block_size = 1024u << log;
    g->inodes_count = rd32(sb + 0);
    g->blocks_count = rd32(sb + 4);
    g->first_data_block = rd32(sb + 20);
    g->blocks_per_group = rd32(sb + 32);
    g->inodes_per_group = rd32(sb + 40);
    uint32_t rev = rd32(sb + 76);
    g->inode_size = rev >= 1 ? rd16(sb + 88) : 128;
    g->first_ino = rev >= 1 ? rd32(sb + 84) : 11;
    g->feature_incompat = rev >= 1 ? rd32(sb + 96) : 0;
    g->feature_ro_compat = rev >= 1 ? rd32(sb + 100) : 0;
    if (rev >= 1)
        memcpy(g->volume_name, sb + 120, 16); /* s_volume_name; [16] stays 0 */
    if (rev > 1)
        return bad(why, "unknown revision");
    if (g->first_data_block != (g->block_size == 1024 ? 1u : 0u))
        return bad(why, "first data block does not match the block size");
    if (g->blocks_per_group == 0 || g->blocks_per_group > 8 * g->block_size)
        return bad(why, "blocks per group out of range");
    if (g->inodes_per_group == 0 || g->inodes_per_group > 8 * g->block_size)
        return bad(why, "inodes per group out of range");
    if (g->inode_size < 128 || g->inode_size > g->block_size || (g->inode_size & (g->inode_size - 1)))
        return bad(why, "inode size not a power of two from 128 to the block size");
    if (g->blocks_count <= g->first_data_block + 1)
        return bad(why, "too few blocks");
    if ((uint64_t)g->blocks_count * g->block_size > disk_bytes)
        return bad(why, "file system larger than the disk");
    if (g->feature_incompat & ~(uint32_t)EXT2_INCOMPAT_FILETYPE)
        return bad(why, "unsupported incompatible features");
    if (g->feature_ro_compat & ~(uint32_t)(EXT2_RO_COMPAT_SPARSE_SUPER | EXT2_RO_COMPAT_LARGE_FILE))
        return bad(why, "unsupported read-only-compatible features");
    g->groups = (g->blocks_count - g->first_data_block + g->blocks_per_group - 1) / g->blocks_per_group;
    if ((uint64_t)g->groups * g->inodes_per_group < g->inodes_count)
        return bad(why, "inode count larger than the groups hold");
    if (g->first_ino <= EXT2_ROOT_INO || g->first_ino > g->inodes_count)
        return bad(why, "first inode out of range");
    g->gd_block = g->first_data_block + 1;
    g->gd_blocks = (g->groups * EXT2_GD_SIZE + g->block_size - 1) / g->block_size;
    if (g->gd_block + g->gd_blocks > g->blocks_count)
        return bad(why, "group descriptors past the end");
    g->ptrs_per_block = g->block_size / 4;
    return 0;
}

uint32_t ext2_sb_free_blocks(const uint8_t *sb) { return rd32(sb + 12); }
uint32_t ext2_sb_free_inodes(const uint8_t *sb) { return rd32(sb + 16); }
void ext2_sb_set_free(uint8_t *sb, uint32_t fb, uint32_t fi) {
    wr32(sb + 12, fb);
    wr32(sb + 16, fi);
}

void ext2_group_desc_pos(const struct ext2_geom *g, uint32_t group, uint32_t *block, uint32_t *off) {
    *block = g->gd_block + group * EXT2_GD_SIZE / g->block_size;
    *off = group * EXT2_GD_SIZE % g->block_size;
}

bool ext2_block_ok(const struct ext2_geom *g, uint32_t b) {
    return b == 0 || (b > g->first_data_block && b < g->blocks_count);
}

int ext2_parse_group(const struct ext2_geom *g, uint32_t group, const uint8_t *gd, struct ext2_group *o) {
    if (group >= g->groups)
        return EXT2_EINVAL;
    o->block_bitmap = rd32(gd + 0);
    o->inode_bitmap = rd32(gd + 4);
    o->inode_table = rd32(gd + 8);
    o->free_blocks = rd16(gd + 12);
    o->free_inodes = rd16(gd + 14);
    o->used_dirs = rd16(gd + 16);
    uint32_t itable_blocks = (g->inodes_per_group * g->inode_size + g->block_size - 1) / g->block_size;
    if (!o->block_bitmap || !ext2_block_ok(g, o->block_bitmap) || !o->inode_bitmap ||
        !ext2_block_ok(g, o->inode_bitmap) || !o->inode_table || !ext2_block_ok(g, o->inode_table) ||
        o->inode_table + itable_blocks > g->blocks_count)
        return EXT2_EIO;
    return 0;
}

void ext2_write_group(uint8_t *gd, const struct ext2_group *in) {
    wr32(gd + 0, in->block_bitmap);
    wr32(gd + 4, in->inode_bitmap);
    wr32(gd + 8, in->inode_table);
    wr16(gd + 12, in->free_blocks);
    wr16(gd + 14, in->free_inodes);
    wr16(gd + 16, in->used_dirs);
}

uint32_t ext2_inode_group(const struct ext2_geom *g, uint32_t ino) { return (ino - 1) / g->inodes_per_group; }

int ext2_inode_pos(const struct ext2_geom *g, uint32_t ino, uint32_t inode_table, uint32_t *block, uint32_t *off) {
    if (ino == 0 || ino > g->inodes_count)
        return EXT2_EIO;
    uint64_t byte = (uint64_t)((ino - 1) % g->inodes_per_group) * g->inode_size;
    *block = inode_table + (uint32_t)(byte / g->block_size);
    *off = (uint32_t)(byte % g->block_size);
    return *block < g->blocks_count ? 0 : EXT2_EIO;
}

int ext2_parse_inode(const struct ext2_geom *g, const uint8_t *raw, struct ext2_inode *o) {
    o->mode = rd16(raw + 0);
    o->uid = rd16(raw + 2);
    o->size = rd32(raw + 4);
    o->atime = rd32(raw + 8);
    o->ctime = rd32(raw + 12);
    o->mtime = rd32(raw + 16);
    o->dtime = rd32(raw + 20);
    o->gid = rd16(raw + 24);
    o->links = rd16(raw + 26);
    o->blocks512 = rd32(raw + 28);
    o->flags = rd32(raw + 32);
    for (int i = 0; i < 15; i++)
        o->block[i] = rd32(raw + 40 + 4 * i);
    /* i_dir_acl is the high 32 bits of a regular file's size (large_file). */
    if ((o->mode & EXT2_S_IFMT) == EXT2_S_IFREG)
        o->size |= (uint64_t)rd32(raw + 108) << 32;
    /* A fast symbolic link keeps its target in i_block: no block numbers. */
    bool fast_symlink = (o->mode & EXT2_S_IFMT) == 0xA000 && o->blocks512 == 0;
    for (int i = 0; i < 15 && !fast_symlink; i++)
        if (!ext2_block_ok(g, o->block[i]))
            return EXT2_EIO;
    if (o->size > ext2_max_blocks(g) * g->block_size)
        return EXT2_EIO;
    return 0;
}

void ext2_write_inode(uint8_t *raw, const struct ext2_inode *in) {
    wr16(raw + 0, in->mode);
    wr16(raw + 2, in->uid);
    wr32(raw + 4, (uint32_t)in->size);
    wr32(raw + 8, in->atime);
    wr32(raw + 12, in->ctime);
    wr32(raw + 16, in->mtime);
    wr32(raw + 20, in->dtime);
    wr16(raw + 24, in->gid);
    wr16(raw + 26, in->links);
    wr32(raw + 28, in->blocks512);
    wr32(raw + 32, in->flags);
    for (int i = 0; i < 15; i++)
        wr32(raw + 40 + 4 * i, in->block[i]);
    if ((in->mode & EXT2_S_IFMT) == EXT2_S_IFREG)
        wr32(raw + 108, (uint32_t)(in->size >> 32));
}

uint64_t ext2_max_blocks(const struct ext2_geom *g) {
    uint64_t p = g->ptrs_per_block;
    return EXT2_NDIR + p + p * p;
}

int ext2_block_path(const struct ext2_geom *g, uint64_t lb, int *depth, uint32_t idx[3]) {
    uint64_t p = g->ptrs_per_block;
    if (lb < EXT2_NDIR) {
        *depth = 0;
        idx[0] = (uint32_t)lb;
        return 0;
    }
    lb -= EXT2_NDIR;
    if (lb < p) {
        *depth = 1;
        idx[0] = EXT2_IND;
        idx[1] = (uint32_t)lb;
        return 0;
    }
    lb -= p;
    if (lb < p * p) {
        *depth = 2;
        idx[0] = EXT2_DIND;
        idx[1] = (uint32_t)(lb / p);
        idx[2] = (uint32_t)(lb % p);
        return 0;
    }
    return EXT2_EINVAL;
}

int ext2_dirent_next(const uint8_t *blk, uint32_t bsize, uint32_t *off, struct ext2_dirent *e) {
    if (*off >= bsize)
        return 0;
    if (bsize - *off < 8)
        return EXT2_EIO;
    const uint8_t *p = blk + *off;
    e->inode = rd32(p);
    e->rec_len = rd16(p + 4);
    e->name_len = p[6];
    e->file_type = p[7];
    e->name = (const char *)p + 8;
    if (e->rec_len < 8 || e->rec_len % 4 || e->rec_len > bsize - *off || (uint32_t)e->name_len + 8 > e->rec_len)
        return EXT2_EIO;
    *off += e->rec_len;
    return 1;
}

uint32_t ext2_dirent_size(uint32_t name_len) { return (8 + name_len + 3) & ~3u; }

void ext2_dirent_write(uint8_t *blk, uint32_t off, uint32_t ino, uint16_t rec_len, const char *name,
                       uint32_t name_len, uint8_t file_type) {
    uint8_t *p = blk + off;
    wr32(p, ino);
    wr16(p + 4, rec_len);
    p[6] = (uint8_t)name_len;
    p[7] = file_type;
    memcpy(p + 8, name, name_len);
}

int ext2_bitmap_find_zero(const uint8_t *map, uint32_t nbits) {
    for (uint32_t i = 0; i < nbits; i++) {
        if (map[i / 8] == 0xFF) {
            i |= 7;
            continue;
        }
        if (!(map[i / 8] & (1u << (i % 8))))
            return (int)i;
    }
    return -1;
}

bool ext2_bitmap_test(const uint8_t *map, uint32_t bit) { return map[bit / 8] & (1u << (bit % 8)); }
void ext2_bitmap_set(uint8_t *map, uint32_t bit, bool v) {
    if (v)
        map[bit / 8] |= (uint8_t)(1u << (bit % 8));
    else
        map[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

static bool power_of(uint32_t n, uint32_t base) {
    while (n > 1 && n % base == 0)
        n /= base;
    return n == 1;
}

bool ext2_group_has_super(const struct ext2_geom *g, uint32_t group) {
    if (!(g->feature_ro_compat & EXT2_RO_COMPAT_SPARSE_SUPER))
        return true;
    return group <= 1 || power_of(group, 3) || power_of(group, 5) || power_of(group, 7);
}
