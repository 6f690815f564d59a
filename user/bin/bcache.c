/* bcache - the buffer cache of this OS instance: hits, misses, write-backs,
 * and how many requests the disk got (SYS_bcacheinfo). */
#include <stdio.h>
#include "os.h"

int main(void)
{
    struct abi_bcacheinfo b;
    if (bcacheinfo(&b) < 0) {
        perror("bcache");
        return 1;
    }
    printf("buffer cache of OS instance %u: %s, %u buffers of %u bytes\n", b.os_instance,
           b.enabled ? "on" : "off (bcache=off: every access goes to the disk)", b.nbuf, b.block_size);
    printf("  block reads %llu: hits %llu, misses %llu\n", (unsigned long long)b.reads,
           (unsigned long long)b.hits, (unsigned long long)b.misses);
    printf("  block writes %llu, written back %llu, evicted %llu, errors %llu\n", (unsigned long long)b.writes,
           (unsigned long long)b.writebacks, (unsigned long long)b.evictions, (unsigned long long)b.errors);
    printf("disk requests: %llu reads, %llu writes; completed by interrupt %llu, by polling %llu; "
           "at most %llu in flight\n",
           (unsigned long long)b.disk_reads, (unsigned long long)b.disk_writes,
           (unsigned long long)b.irq_completions, (unsigned long long)b.poll_completions,
           (unsigned long long)b.max_inflight);
    return 0;
}
