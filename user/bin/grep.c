/* grep text [file ...] - the lines that contain text (a plain substring).
 * Exit status 0 if a line matched, 1 if none, 2 on an error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int search(FILE *f, const char *text, const char *name, int many)
{
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, text)) {
            found = 1;
            if (many)
                printf("%s:", name);
            fputs(line, stdout);
        }
    return found;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: grep text [file ...]\n");
        return 2;
    }
    if (argc == 2)
        return search(stdin, argv[1], "", 0) ? 0 : 1;
    int found = 0, err = 0;
    for (int i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            fprintf(stderr, "grep: %s: %s\n", argv[i], strerror(errno));
            err = 1;
            continue;
        }
        found |= search(f, argv[1], argv[i], argc > 3);
        fclose(f);
    }
    return err ? 2 : found ? 0 : 1;
}
