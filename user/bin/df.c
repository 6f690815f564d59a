/* df - size and use of the disk's file system (statfs, SYS_statfs). */
#include <stdio.h>
#include "os.h"

int main(void)
{
    struct abi_statfs s;
    if (statfs_root(&s) < 0) {
        perror("df");
        return 1;
    }
    unsigned long long kib = (unsigned long long)s.block_size / 1024;
    unsigned long long used = s.blocks - s.free_blocks;
    printf("%-10s %10s %10s %10s %5s %8s %8s\n", "fs", "KiB", "used", "free", "use%", "inodes", "ifree");
    printf("%-10s %10llu %10llu %10llu %4llu%% %8u %8u\n", "/ (ext2)", s.blocks * kib, used * kib,
           (unsigned long long)s.free_blocks * kib, s.blocks ? used * 100 / s.blocks : 0, s.inodes,
           s.free_inodes);
    return 0;
}
