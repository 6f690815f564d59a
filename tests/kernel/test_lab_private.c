/*
 * The test behind lab 5 (docs/labs/5-private.md, tests/labs/private.lab):
 * which instance each CPU serves. Under `private` every CPU that was to
 * come up has an instance of its own, CPU i serving instance i, each with
 * a slice of memory, a heap, ready queues and a lock set up; under the
 * shared organisations every CPU serves the one boot instance. The os
 * suite's other tests look at memory from instance 0 only, and pass
 * vacuously when there is a single instance: this one says whether there
 * are as many as there should be.
 */
#include "kernel/ktest.h"
#include "kernel/model.h"
#include "kernel/options.h"
#include "kernel/os.h"
#include "lib/string.h"
#include "arch.h"

KTEST(os, every_cpu_serves_its_own_instance) {
    if (strcmp(model->name, "private") != 0) {
        KT_ASSERT_EQ(os_instance_count, 1);
        for (int c = 0; c < ncpus; c++)
            KT_ASSERT(cpus[c].os == &os_instances[0]);
        return;
    }
    /* A CPU that fails to start still has its (unserved) instance. */
    int expected = arch_cpus_expected(boot_options.maxcpus);
    printk(LOG_INFO, "ktest:   %d CPUs expected, %d online, %d OS instances\n", expected, ncpus,
           os_instance_count);
    KT_ASSERT_EQ(os_instance_count, expected);
    for (int c = 0; c < ncpus; c++) {
        long served = (long)(cpus[c].os - os_instances);
        if (served != c)
            KT_FAIL("CPU %d serves instance %ld, not its own (%d)", c, served, c);
    }
    for (int i = 0; i < os_instance_count; i++) {
        const struct os_instance *os = &os_instances[i];
        if (os->id != i)
            KT_FAIL("instance %d calls itself %d (os_instance_setup)", i, os->id);
        if (os->frames.npfn == 0 || os->frames.total == 0 || !os->frames.lock.name)
            KT_FAIL("instance %d has no frame pool (%llu frames)", i, (unsigned long long)os->frames.npfn);
        if (!os->heap.cls[0].lock.name)
            KT_FAIL("instance %d's heap is not set up (heap_init)", i);
        if (!os->lock.name || !os->ready[0].next)
            KT_FAIL("instance %d has no lock or no ready queues", i);
    }
}
