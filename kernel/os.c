#include "kernel/os.h"
#include "kernel/printk.h"

struct os_instance os_instances[MAX_OS_INSTANCES];
int os_instance_count = 1;

struct frame_pool *os_pool_owning(uint64_t pa) {
    for (int i = 0; i < os_instance_count; i++)
        if (pool_owns(&os_instances[i].frames, pa))
            return &os_instances[i].frames;
    panic("no OS instance owns physical address %llx", (unsigned long long)pa);
}
