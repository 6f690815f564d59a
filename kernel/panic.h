#ifndef PANIC_H
#define PANIC_H
#include "lib/types.h"
/* Print the call chain starting at frame pointer rbp, with symbol names. */
void print_backtrace(uint64_t rbp);
#endif
