/*
 * hello - the smallest proof that the user-space toolchain works: newlib's
 * printf (integers, floating point, strings), malloc (and so sbrk), and
 * exit() flushing stdout on the way out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *who = argc > 1 ? argv[1] : "world";
    char *msg = malloc(64);
    if (msg == NULL) {
        printf("hello: malloc failed\n");
        return 1;
    }
    snprintf(msg, 64, "hello, %s", who);
    printf("%s from pid %d\n", msg, (int)getpid());
    printf("int %d, float %.3f, string \"%s\" (%zu bytes)\n", 42, 3.14159,
           msg, strlen(msg));
    free(msg);
    return 0;
}
