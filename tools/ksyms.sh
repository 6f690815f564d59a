#!/bin/sh
# Turn the kernel's text symbols into an assembly table for backtraces:
#   tools/ksyms.sh kernel.elf > ksyms.S   (or /dev/null for the empty table)
# Layout matches struct ksym in lib/ksym.h: { uint64_t addr; const char *name; }.
set -e
echo '    .section .ksyms, "a"'
echo '    .balign 8'
echo '    .global ksym_table, ksym_count'
if [ "$1" = /dev/null ]; then
    echo 'ksym_count: .quad 0'
    echo 'ksym_table:'
    exit 0
fi
nm -n --defined-only "$1" | awk '
    $2 ~ /^[tTwW]$/ && $1 ~ /^ffffffff8/ { addr[n] = $1; name[n] = $3; n++ }
    END {
        printf "ksym_count: .quad %d\nksym_table:\n", n
        for (i = 0; i < n; i++) printf "    .quad 0x%s, .Lname%d\n", addr[i], i
        for (i = 0; i < n; i++) printf ".Lname%d: .asciz \"%s\"\n", i, name[i]
    }'
