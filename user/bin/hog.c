/*
 * hog [MS] - take all the memory this OS instance will give (the heap grows
 * and every page is touched until sbrk says no), hold it for MS
 * milliseconds (default 5000), then give it back. Under `private` only the
 * instance that runs it runs out: `cpus` meanwhile shows the others'
 * memory untouched, and there is no way to borrow it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "os.h"

static struct abi_sysinfo si;

int main(int argc, char **argv)
{
    uint64_t ms = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000;
    char *base = sbrk(0);
    uint64_t pages = 0;
    /* sbrk checks each growth against the frames free now: touch as it grows. */
    for (int step = 64; step >= 1; step = step > 1 ? step / 8 : 0)
        while (sbrk(step * 4096) != (void *)-1)
            for (int k = 0; k < step; k++, pages++)
                base[pages * 4096] = 1;
    sysinfo(&si);
    printf("hog: instance %u holds %llu KiB; it has %llu KiB free, the others:", (unsigned)si.os_instance,
           (unsigned long long)pages * 4, (unsigned long long)si.free_frames * 4);
    for (unsigned i = 0; i < si.ninstances; i++)
        if (i != si.os_instance)
            printf(" %u: %llu KiB", i, (unsigned long long)si.os[i].free_frames * 4);
    printf("\n");
    fflush(stdout);
    sleep_ms(ms);
    sbrk(-(intptr_t)(pages * 4096));
    printf("hog: gave %llu KiB back\n", (unsigned long long)pages * 4);
    return 0;
}
