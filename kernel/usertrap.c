/*
 * Exceptions and returns to user mode, before processes exist. The process
 * layer (proc.c) replaces these once there is user mode to return to.
 */
#include "kernel/trap_hooks.h"
#include "kernel/printk.h"

__attribute__((weak)) void user_exception(struct trap_frame *f) {
    arch_dump_frame(f);
    panic("%s in user mode, but no process is running", trap_name((int)f->vector));
}

__attribute__((weak)) void trap_return_to_user(struct trap_frame *f) { (void)f; }
