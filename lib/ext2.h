/*
 * ext2 on-disk structures, decoded and checked (the ext2 specification,
 * "The Second Extended File System", Dave Poirier; revision 1). Pure code:
 * kernel/ext2.c reads blocks through the buffer cache and asks here what
 * they say; tests/host/test_ext2.c gives it images made by mke2fs and
 * broken ones. Every check that fails returns EXT2_EIO (or a mount error),
 * never trusts a number it has not bounded.
 */
#ifndef LIB_EXT2_H
#define LIB_EXT2_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define EXT2_SUPER_OFFSET 1024
#define EXT2_SUPER_SIZE 1024
#define EXT2_MAGIC 0xEF53
#define EXT2_ROOT_INO 2
#define EXT2_NDIR 12            /* direct blocks in an inode */
#define EXT2_IND 12             /* i_block[12]: indirect */
#define EXT2_DIND 13            /* i_block[13]: double indirect */
#define EXT2_TIND 14
#define EXT2_NAME_MAX 255
#define EXT2_GD_SIZE 32

/* Feature bits this implementation understands (superblock 3.1.x). */
#define EXT2_INCOMPAT_FILETYPE 0x0002
#define EXT2_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_RO_COMPAT_LARGE_FILE 0x0002

/* i_mode file types and directory entry file_type values. */
#define EXT2_S_IFMT 0xF000
#define EXT2_S_IFREG 0x8000
#define EXT2_S_IFDIR 0x4000
#define EXT2_FT_UNKNOWN 0
#define EXT2_FT_REG 1
#define EXT2_FT_DIR 2

#define EXT2_EIO (-5)
#define EXT2_EINVAL (-22)

/* What the superblock says, once checked. */
struct ext2_geom {
    uint32_t block_size;
    uint32_t blocks_count, inodes_count;
    uint32_t first_data_block;
    uint32_t blocks_per_group, inodes_per_group;
    uint32_t inode_size;
    uint32_t first_ino;
    uint32_t groups;
    uint32_t gd_block;          /* first block of the group descriptor table */
    uint32_t gd_blocks;
    uint32_t ptrs_per_block;    /* block numbers in one block */
    uint32_t feature_incompat, feature_ro_compat;
    char volume_name[17];       /* s_volume_name, NUL-terminated */
};
/* The label tools/mkdisk.sh gives the kernel's own disks. The kernel mounts
 * no other file system: on a real PC the SATA disks are the owner's. */
#define EXT2_OWN_LABEL "teachos"
/* sb = the 1024 bytes at byte 1024 of the disk. 0, or a negative error
 * with a reason in why ("bad magic", ...). */
int ext2_parse_super(const uint8_t *sb, uint64_t disk_bytes, struct ext2_geom *g, const char **why);

/* The superblock's free counts (byte offsets 12 and 16), read and written in place. */
uint32_t ext2_sb_free_blocks(const uint8_t *sb);
uint32_t ext2_sb_free_inodes(const uint8_t *sb);
void ext2_sb_set_free(uint8_t *sb, uint32_t free_blocks, uint32_t free_inodes);

/* A group descriptor (3.2), at gd = 32 bytes of the table. */
struct ext2_group {
    uint32_t block_bitmap, inode_bitmap, inode_table;
    uint16_t free_blocks, free_inodes, used_dirs;
};
int ext2_parse_group(const struct ext2_geom *g, uint32_t group, const uint8_t *gd, struct ext2_group *out);
void ext2_write_group(uint8_t *gd, const struct ext2_group *in);
/* Where the descriptor of `group` is: block and byte offset. */
void ext2_group_desc_pos(const struct ext2_geom *g, uint32_t group, uint32_t *block, uint32_t *off);

/* An inode (3.3), decoded. */
struct ext2_inode {
    uint16_t mode, uid, gid, links;
    uint64_t size;
    uint32_t atime, ctime, mtime, dtime;
    uint32_t blocks512;         /* i_blocks: 512-byte units in use */
    uint32_t flags;
    uint32_t block[15];
};
/* Where inode ino lives: its group, and block/offset in the group's table. 0 or EXT2_EIO. */
int ext2_inode_pos(const struct ext2_geom *g, uint32_t ino, uint32_t inode_table, uint32_t *block, uint32_t *off);
uint32_t ext2_inode_group(const struct ext2_geom *g, uint32_t ino);
/* Decode raw (inode_size bytes); EXT2_EIO when a block number is past the end. */
int ext2_parse_inode(const struct ext2_geom *g, const uint8_t *raw, struct ext2_inode *out);
/* Encode into raw, leaving bytes this code does not know as they were. */
void ext2_write_inode(uint8_t *raw, const struct ext2_inode *in);

/* Logical block -> the path through the block map: depth 0 (direct) to 2
 * (double indirect); idx[0..depth] the indices at each level. EXT2_EINVAL
 * beyond the double-indirect range (triple-indirect files are refused). */
int ext2_block_path(const struct ext2_geom *g, uint64_t lblock, int *depth, uint32_t idx[3]);
/* Most logical blocks a file here may have. */
uint64_t ext2_max_blocks(const struct ext2_geom *g);
/* A block number read from an inode or an indirect block is usable:
 * 0 (a hole) or inside the data area. */
bool ext2_block_ok(const struct ext2_geom *g, uint32_t b);

/* Directory entries (3.4.2, linked list with file types). */
struct ext2_dirent {
    uint32_t inode;
    uint16_t rec_len;
    uint8_t name_len, file_type;
    const char *name;           /* not NUL-terminated */
};
/* The entry at *off in a directory block; advances *off. 1 entry, 0 end of
 * block, EXT2_EIO when the entry is malformed (length too small, not a
 * multiple of 4, name longer than the record, record past the block). */
int ext2_dirent_next(const uint8_t *blk, uint32_t bsize, uint32_t *off, struct ext2_dirent *e);
/* Bytes an entry with this name needs (8 + name, rounded to 4). */
uint32_t ext2_dirent_size(uint32_t name_len);
/* Write an entry at off. */
void ext2_dirent_write(uint8_t *blk, uint32_t off, uint32_t ino, uint16_t rec_len, const char *name,
                       uint32_t name_len, uint8_t file_type);

/* Bitmaps: first clear bit below nbits, or -1; set / clear one bit. */
int ext2_bitmap_find_zero(const uint8_t *map, uint32_t nbits);
bool ext2_bitmap_test(const uint8_t *map, uint32_t bit);
void ext2_bitmap_set(uint8_t *map, uint32_t bit, bool v);

/* A group holds a superblock backup (sparse_super: groups 0, 1 and powers of 3, 5, 7). */
bool ext2_group_has_super(const struct ext2_geom *g, uint32_t group);

#endif
