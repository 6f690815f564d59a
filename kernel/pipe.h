/* Pipes: a ring buffer between the descriptors pipe() returns. Reads block
 * while it is empty and a writer remains (then end of file); writes block
 * while it is full and a reader remains (then EPIPE). Writes of up to
 * PIPE_ATOMIC bytes are never interleaved with other writers' bytes. */
#ifndef PIPE_H
#define PIPE_H

#include "lib/types.h"

#define PIPE_SIZE 4096
#define PIPE_ATOMIC 512

struct file;
struct pipe;

/* Two open files: reading end, writing end; 0 or -ENFILE/-ENOMEM. */
int pipe_create(struct file **rf, struct file **wf);
long pipe_read(struct pipe *p, uint64_t ubuf, size_t n);
long pipe_write(struct pipe *p, uint64_t ubuf, size_t n);
void pipe_close(struct pipe *p, bool writer);
/* What poll() sees at one end: ABI_POLLIN/OUT/HUP/ERR bits (kernel/poll.c). */
int pipe_poll(struct pipe *p, bool writer);

#endif
