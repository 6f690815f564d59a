/*
 * Kernel symbol lookup for backtraces. The build generates a table of
 * function symbols sorted by ascending address.
 */
#ifndef LIB_KSYM_H
#define LIB_KSYM_H

#include "lib/types.h"

struct ksym {
    uint64_t addr;
    const char *name;
};

/*
 * The symbol with the greatest addr <= addr (the last of equal ones), with
 * *offset (if offset != NULL) set to addr minus its address. NULL when the
 * table is empty or addr is below its first symbol.
 */
const char *ksym_lookup(const struct ksym *table, size_t count, uint64_t addr,
                        uint64_t *offset);

#endif
