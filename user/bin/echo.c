/*
 * echo [-n] [word ...] - print the words separated by single spaces,
 * followed by a newline (left out with -n).
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int newline = 1;
    int i = 1;

    if (i < argc && strcmp(argv[i], "-n") == 0) {
        newline = 0;
        i++;
    }
    for (int first = i; i < argc; i++) {
        if (i > first)
            fputc(' ', stdout);
        fputs(argv[i], stdout);
    }
    if (newline)
        fputc('\n', stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
