/*
 * Host tests of lib/ext2.c: an image made by e2fsprogs' mke2fs (the same
 * options as tools/mkdisk.sh), read with the library as the kernel reads
 * it, then broken in the ways the kernel must survive: each gives an error,
 * never a crash or an endless loop.
 */
#include "tests/host/htest.h"
#include "lib/ext2.h"

#include <stdlib.h>
#include <unistd.h>

#define IMG_BLOCKS 2048
static uint8_t *img;
static size_t img_size;

static void make_image(void) {
    if (img)
        return;
    char dir[] = "/tmp/ext2test.XXXXXX";
    if (!mkdtemp(dir))
        abort();
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/root/sub && echo hello > %s/root/sub/file && "
             "truncate -s %d %s/img && "
             "PATH=$PATH:/sbin:/usr/sbin mke2fs -q -F -t ext2 -b 1024 -I 128 "
             "-O ^dir_index,^resize_inode,^ext_attr -L teachos -d %s/root %s/img >/dev/null 2>&1",
             dir, dir, IMG_BLOCKS * 1024, dir, dir, dir);
    if (system(cmd) != 0) {
        printf("    cannot run mke2fs (e2fsprogs): %s\n", cmd);
        abort();
    }
    snprintf(cmd, sizeof cmd, "%s/img", dir);
    FILE *f = fopen(cmd, "rb");
    img_size = IMG_BLOCKS * 1024;
    img = malloc(img_size);
    if (!f || fread(img, 1, img_size, f) != img_size)
        abort();
    fclose(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        abort();
}

static uint8_t *copy(void) {
    make_image();
    uint8_t *c = malloc(img_size);
    memcpy(c, img, img_size);
    return c;
}

static uint8_t *blk(uint8_t *im, const struct ext2_geom *g, uint32_t b) { return im + (size_t)b * g->block_size; }

/* Root inode and the block of its first directory block, via the library. */
static int root_dir_block(uint8_t *im, struct ext2_geom *g, struct ext2_inode *root, uint8_t **rawino) {
    uint32_t gb, goff, ib, ioff;
    struct ext2_group gd;
    if (ext2_parse_super(im + EXT2_SUPER_OFFSET, img_size, g, NULL))
        return -1;
    ext2_group_desc_pos(g, 0, &gb, &goff);
    if (ext2_parse_group(g, 0, blk(im, g, gb) + goff, &gd))
        return -2;
    if (ext2_inode_pos(g, EXT2_ROOT_INO, gd.inode_table, &ib, &ioff))
        return -3;
    *rawino = blk(im, g, ib) + ioff;
    return ext2_parse_inode(g, *rawino, root) ? -4 : 0;
}

HTEST(mke2fs_image_reads) {
    uint8_t *im = copy();
    struct ext2_geom g;
    struct ext2_inode root;
    uint8_t *raw;
    HT_ASSERT_EQ(root_dir_block(im, &g, &root, &raw), 0);
    HT_ASSERT_EQ(g.block_size, 1024);
    HT_ASSERT_EQ(g.blocks_count, IMG_BLOCKS);
    HT_ASSERT(g.feature_incompat & EXT2_INCOMPAT_FILETYPE);
    HT_ASSERT_STREQ(g.volume_name, EXT2_OWN_LABEL);
    memset(im + EXT2_SUPER_OFFSET + 120, 'x', 16); /* a label of all 16 bytes stays terminated */
    struct ext2_geom g2;
    HT_ASSERT_EQ(ext2_parse_super(im + EXT2_SUPER_OFFSET, img_size, &g2, NULL), 0);
    HT_ASSERT_STREQ(g2.volume_name, "xxxxxxxxxxxxxxxx");
    HT_ASSERT_EQ(root.mode & EXT2_S_IFMT, EXT2_S_IFDIR);
    HT_ASSERT(root.links >= 3);
    const uint8_t *d = blk(im, &g, root.block[0]);
    uint32_t off = 0;
    struct ext2_dirent e;
    int found_sub = 0, n = 0, r;
    while ((r = ext2_dirent_next(d, g.block_size, &off, &e)) == 1) {
        n++;
        if (e.inode && e.name_len == 3 && memcmp(e.name, "sub", 3) == 0 && e.file_type == EXT2_FT_DIR)
            found_sub = 1;
    }
    HT_ASSERT_EQ(r, 0);
    HT_ASSERT(n >= 4); /* . .. lost+found sub */
    HT_ASSERT(found_sub);
    free(im);
}

HTEST(bad_magic_is_refused) {
    uint8_t *im = copy();
    struct ext2_geom g;
    const char *why = NULL;
    im[EXT2_SUPER_OFFSET + 56] ^= 0xFF;
    HT_ASSERT_EQ(ext2_parse_super(im + EXT2_SUPER_OFFSET, img_size, &g, &why), EXT2_EIO);
    HT_ASSERT(why && strstr(why, "magic"));
    free(im);
}

HTEST(superblock_numbers_out_of_range) {
    struct ext2_geom g;
    const char *why;
    uint8_t *im = copy();
    uint8_t *sb = im + EXT2_SUPER_OFFSET;
    HT_ASSERT_EQ(ext2_parse_super(sb, img_size / 2, &g, &why), EXT2_EIO); /* bigger than the disk */
    sb[24] = 9;                                                           /* block size 512 KiB */
    HT_ASSERT_EQ(ext2_parse_super(sb, img_size, &g, &why), EXT2_EIO);
    free(im);
    im = copy();
    sb = im + EXT2_SUPER_OFFSET;
    memset(sb + 32, 0, 4); /* zero blocks per group: a division by zero */
    HT_ASSERT_EQ(ext2_parse_super(sb, img_size, &g, &why), EXT2_EIO);
    free(im);
    im = copy();
    sb = im + EXT2_SUPER_OFFSET;
    sb[96] |= 0x40; /* an incompatible feature we do not know (extents) */
    HT_ASSERT_EQ(ext2_parse_super(sb, img_size, &g, &why), EXT2_EIO);
    free(im);
}

HTEST(group_descriptor_past_the_end) {
    uint8_t *im = copy();
    struct ext2_geom g;
    HT_ASSERT_EQ(ext2_parse_super(im + EXT2_SUPER_OFFSET, img_size, &g, NULL), 0);
    uint32_t gb, goff;
    ext2_group_desc_pos(&g, 0, &gb, &goff);
    uint8_t *gd = blk(im, &g, gb) + goff;
    struct ext2_group grp;
    gd[8] = 0xFF, gd[9] = 0xFF, gd[10] = 0xFF; /* inode table far away */
    HT_ASSERT_EQ(ext2_parse_group(&g, 0, gd, &grp), EXT2_EIO);
    HT_ASSERT_EQ(ext2_parse_group(&g, g.groups, gd, &grp), EXT2_EINVAL);
    free(im);
}

HTEST(inode_block_past_the_end) {
    uint8_t *im = copy();
    struct ext2_geom g;
    struct ext2_inode root;
    uint8_t *raw;
    HT_ASSERT_EQ(root_dir_block(im, &g, &root, &raw), 0);
    raw[40 + 4 * 13] = 0xFF, raw[41 + 4 * 13] = 0xFF, raw[42 + 4 * 13] = 0xFF; /* i_block[13] */
    HT_ASSERT_EQ(ext2_parse_inode(&g, raw, &root), EXT2_EIO);
    HT_ASSERT(!ext2_block_ok(&g, g.blocks_count));
    HT_ASSERT(ext2_block_ok(&g, 0));
    free(im);
}

static int walk_block(const uint8_t *d, uint32_t bs) {
    uint32_t off = 0;
    struct ext2_dirent e;
    int r, steps = 0;
    while ((r = ext2_dirent_next(d, bs, &off, &e)) == 1)
        if (++steps > 1000)
            return 99; /* would loop */
    return r;
}

HTEST(malformed_directory_entries) {
    uint8_t *im = copy();
    struct ext2_geom g;
    struct ext2_inode root;
    uint8_t *raw;
    HT_ASSERT_EQ(root_dir_block(im, &g, &root, &raw), 0);
    uint8_t *d = blk(im, &g, root.block[0]);
    uint8_t save[1024];
    memcpy(save, d, sizeof save);
    HT_ASSERT_EQ(walk_block(d, g.block_size), 0);
    d[4] = d[5] = 0; /* rec_len 0: a loop in a naive reader */
    HT_ASSERT_EQ(walk_block(d, g.block_size), EXT2_EIO);
    memcpy(d, save, sizeof save);
    d[12 + 4] = 0xF0, d[12 + 5] = 0x07; /* ".." runs past its block */
    HT_ASSERT_EQ(walk_block(d, g.block_size), EXT2_EIO);
    memcpy(d, save, sizeof save);
    d[4] = 10; /* not a multiple of 4 */
    HT_ASSERT_EQ(walk_block(d, g.block_size), EXT2_EIO);
    /* Two entries that fill the block exactly but with a rec_len of 10:
     * only the multiple-of-4 rule catches it. */
    uint8_t odd[1024] = {0};
    ext2_dirent_write(odd, 0, 2, 10, ".", 1, EXT2_FT_DIR);
    ext2_dirent_write(odd, 10, 2, 1014, "..", 2, EXT2_FT_DIR);
    HT_ASSERT_EQ(walk_block(odd, 1024), EXT2_EIO);
    memcpy(d, save, sizeof save);
    d[6] = 200; /* name longer than the record */
    HT_ASSERT_EQ(walk_block(d, g.block_size), EXT2_EIO);
    free(im);
}

HTEST(block_paths) {
    struct ext2_geom g = {.block_size = 1024, .ptrs_per_block = 256};
    int depth;
    uint32_t idx[3];
    HT_ASSERT_EQ(ext2_block_path(&g, 11, &depth, idx), 0);
    HT_ASSERT_EQ(depth, 0);
    HT_ASSERT_EQ(ext2_block_path(&g, 12, &depth, idx), 0);
    HT_ASSERT(depth == 1 && idx[0] == EXT2_IND && idx[1] == 0);
    HT_ASSERT_EQ(ext2_block_path(&g, 12 + 256, &depth, idx), 0);
    HT_ASSERT(depth == 2 && idx[0] == EXT2_DIND && idx[1] == 0 && idx[2] == 0);
    HT_ASSERT_EQ(ext2_block_path(&g, 12 + 256 + 256 * 256 - 1, &depth, idx), 0);
    HT_ASSERT(idx[1] == 255 && idx[2] == 255);
    HT_ASSERT_EQ(ext2_block_path(&g, 12 + 256 + 256 * 256, &depth, idx), EXT2_EINVAL);
    HT_ASSERT_EQ(ext2_max_blocks(&g), 12 + 256 + 256 * 256);
}

HTEST(bitmaps_and_entries) {
    uint8_t map[4] = {0xFF, 0x7F, 0, 0};
    HT_ASSERT_EQ(ext2_bitmap_find_zero(map, 32), 15);
    ext2_bitmap_set(map, 15, true);
    HT_ASSERT_EQ(ext2_bitmap_find_zero(map, 32), 16);
    HT_ASSERT_EQ(ext2_bitmap_find_zero(map, 16), -1);
    HT_ASSERT(ext2_bitmap_test(map, 15));
    ext2_bitmap_set(map, 3, false);
    HT_ASSERT(!ext2_bitmap_test(map, 3));
    HT_ASSERT_EQ(ext2_dirent_size(1), 12);
    HT_ASSERT_EQ(ext2_dirent_size(4), 12);
    HT_ASSERT_EQ(ext2_dirent_size(5), 16);
    uint8_t b[1024] = {0};
    ext2_dirent_write(b, 0, 7, 1024, "name", 4, EXT2_FT_REG);
    uint32_t off = 0;
    struct ext2_dirent e;
    HT_ASSERT_EQ(ext2_dirent_next(b, 1024, &off, &e), 1);
    HT_ASSERT(e.inode == 7 && e.rec_len == 1024 && e.name_len == 4 && memcmp(e.name, "name", 4) == 0);
    HT_ASSERT_EQ(ext2_dirent_next(b, 1024, &off, &e), 0);
}

HTEST(inode_round_trip_and_superblock_counts) {
    uint8_t *im = copy();
    struct ext2_geom g;
    struct ext2_inode root, again;
    uint8_t *raw;
    HT_ASSERT_EQ(root_dir_block(im, &g, &root, &raw), 0);
    root.links = 9;
    root.mtime = 12345;
    ext2_write_inode(raw, &root);
    HT_ASSERT_EQ(ext2_parse_inode(&g, raw, &again), 0);
    HT_ASSERT(again.links == 9 && again.mtime == 12345 && again.block[0] == root.block[0]);
    uint8_t *sb = im + EXT2_SUPER_OFFSET;
    ext2_sb_set_free(sb, 100, 50);
    HT_ASSERT(ext2_sb_free_blocks(sb) == 100 && ext2_sb_free_inodes(sb) == 50);
    HT_ASSERT(ext2_group_has_super(&g, 0) && ext2_group_has_super(&g, 1) && ext2_group_has_super(&g, 9) &&
              ext2_group_has_super(&g, 25) && !ext2_group_has_super(&g, 6));
    free(im);
}

int main(void) { return htest_main("ext2"); }
