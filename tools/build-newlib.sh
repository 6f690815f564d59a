#!/usr/bin/env bash
# tools/build-newlib.sh [BUILD_DIR]  -  build newlib 3.3 (libc.a, libm.a and
# its headers) for the user programs, with the host gcc, once.
#
#   BUILD_DIR defaults to "build". Results, at fixed paths:
#     $BUILD/newlib/include   newlib's headers
#     $BUILD/newlib/lib       libc.a, libm.a
#     $BUILD/newlib/.stamp    hash of this script + the tarball it was built from
#   Scratch: $BUILD/newlib-src (sources), $BUILD/newlib-obj (objects),
#            $BUILD/newlib.log (configure/make output).
#
# There is no x86_64-elf cross compiler here; the host gcc makes x86_64 code
# already, so newlib is configured for the target x86_64-elf (a bare ELF
# system: no OS-specific code, system calls left to us) and compiled with the
# host tools. Two things keep the host's Linux identity out of it:
#   -nostdinc -isystem <gcc's own include dir>  no glibc headers
#   -U__linux__ ...   newlib's sys/config.h would otherwise switch on
#                     __DYNAMIC_REENT__ (Linux-only reentrancy layout)
# user/Makefile compiles the programs with the same flags, so headers and
# library agree.
#
# Up to date (stamp matches): prints nothing and exits in well under 0.1 s.
set -eu

BUILD=${1:-build}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
SCRIPT=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
TOOLS=$(dirname "$SCRIPT")

OUT=$BUILD/newlib
SRC=$BUILD/newlib-src
OBJ=$BUILD/newlib-obj
LOG=$BUILD/newlib.log
STAMP=$OUT/.stamp

find_tarball() {
    local f
    for f in /usr/src/newlib/newlib-3.3*.tar.* /usr/src/newlib/newlib-*.tar.*; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

TARBALL=$(find_tarball || true)
if [ -z "$TARBALL" ]; then
    if [ -x "$TOOLS/deps.sh" ]; then
        echo "newlib: source tarball missing, running tools/deps.sh" >&2
        "$TOOLS/deps.sh" >&2 || true
        TARBALL=$(find_tarball || true)
    fi
    if [ -z "$TARBALL" ]; then
        echo "newlib: no /usr/src/newlib/newlib-*.tar.* found." >&2
        echo "newlib: install it with:  sudo apt-get install newlib-source" >&2
        exit 1
    fi
fi

# The fast path: one hash over the script and the tarball (a few MB).
want=$(cat "$SCRIPT" "$TARBALL" | sha256sum | cut -d' ' -f1)
up_to_date() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
        [ -f "$OUT/lib/libc.a" ] && [ -f "$OUT/lib/libm.a" ] &&
        [ -f "$OUT/include/stdio.h" ]
}
up_to_date && exit 0

# Two makes racing here would trample each other: serialise, then look again.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$BUILD/.newlib.lock"
    flock 9
    up_to_date && exit 0
fi

echo "newlib: building newlib 3.3 for x86_64-elf (about a minute, once)"
start=$(date +%s)

fail() {
    echo "newlib: $1 failed; last lines of $LOG:" >&2
    tail -n 30 "$LOG" >&2
    exit 1
}

rm -rf "$SRC" "$OBJ" "$OUT" "$OUT.tmp"
mkdir -p "$SRC" "$OBJ"
: >"$LOG"
tar -xf "$TARBALL" -C "$SRC" --strip-components=1 >>"$LOG" 2>&1 || fail "extracting $TARBALL"

GCC_INC=$(gcc -print-file-name=include)
TFLAGS="-O2 -g -fno-pic -fno-pie -fno-stack-protector -fcf-protection=none"
TFLAGS="$TFLAGS -mcmodel=small -nostdinc -isystem $GCC_INC"
TFLAGS="$TFLAGS -U__linux__ -U__linux -Ulinux -U__gnu_linux__"

# Everything not needed by a small static C program is left out:
#   libgloss (we provide the system-call layer: user/lib/syscalls.c),
#   NLS, iconv, multibyte, multilibs. Float printf/scanf stay on (default).
(
    cd "$OBJ"
    "$SRC/configure" \
        --target=x86_64-elf \
        --prefix="$OUT.tmp" \
        --disable-multilib \
        --disable-nls \
        --disable-newlib-supplied-syscalls \
        --enable-newlib-io-long-long \
        --enable-newlib-io-c99-formats \
        --disable-newlib-iconv \
        --disable-newlib-mb \
        --disable-newlib-multithread \
        CC_FOR_TARGET=gcc \
        AR_FOR_TARGET=ar \
        AS_FOR_TARGET=as \
        LD_FOR_TARGET=ld \
        NM_FOR_TARGET=nm \
        RANLIB_FOR_TARGET=ranlib \
        OBJDUMP_FOR_TARGET=objdump \
        OBJCOPY_FOR_TARGET=objcopy \
        READELF_FOR_TARGET=readelf \
        STRIP_FOR_TARGET=strip \
        CFLAGS_FOR_TARGET="$TFLAGS" \
        CCASFLAGS_FOR_TARGET="$TFLAGS"
) >>"$LOG" 2>&1 || fail "configure"

# Only the newlib target library: no libgloss, no host tools, no docs.
make -C "$OBJ" -j"$(nproc)" all-target-newlib >>"$LOG" 2>&1 || fail "make"
make -C "$OBJ" install-target-newlib >>"$LOG" 2>&1 || fail "make install"

# Normalise the layout: the install puts everything under <prefix>/x86_64-elf.
mkdir -p "$OUT"
mv "$OUT.tmp/x86_64-elf/include" "$OUT/include"
mv "$OUT.tmp/x86_64-elf/lib" "$OUT/lib"
rm -rf "$OUT.tmp"
for f in lib/libc.a lib/libm.a include/stdio.h; do
    [ -f "$OUT/$f" ] || fail "install ($OUT/$f missing)"
done
echo "$want" >"$STAMP"

echo "newlib: done in $(( $(date +%s) - start )) s"
echo "newlib: include $OUT/include"
echo "newlib: lib     $OUT/lib"
