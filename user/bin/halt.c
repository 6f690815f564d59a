/*
 * halt [code] - power the machine off (QEMU exits); the optional code is
 * handed to poweroff() (0 means success).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "os.h"

int main(int argc, char **argv)
{
    int code = 0;

    if (argc > 1)
        code = atoi(argv[1]);
    printf("halt: powering off (code %d)\n", code);
    fflush(stdout);
    poweroff(code);
    fprintf(stderr, "halt: poweroff failed: %s\n", strerror(errno));
    return 1;
}
