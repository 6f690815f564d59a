/*
 * Binary search over the sorted symbol table.
 */
#include "lib/ksym.h"

const char *ksym_lookup(const struct ksym *table, size_t count, uint64_t addr,
                        uint64_t *offset) {
    /* Find the first entry above addr; invariant: table[0, lo) <= addr,
     * table[hi, count) > addr. */
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (table[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct ksym *s = &table[lo - 1];
    if (offset != NULL)
        *offset = addr - s->addr;
    return s->name;
}
