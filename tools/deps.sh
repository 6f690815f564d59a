#!/usr/bin/env bash
# tools/deps.sh - make sure the build and test tools are installed.
#
# Called by the Makefile on every `make`, so the common case (everything is
# already there) must be silent and fast: it only looks for commands and
# files, it never asks dpkg. Anything missing is installed with apt-get
# (through sudo when not root), non-interactively, after one `apt-get update`.
#
#   tools/deps.sh               check, install what is missing
#   tools/deps.sh --check       check only; list what is missing, exit 1 if any
#   tools/deps.sh gdb           also need these optional packages
#                               (PACKAGE or PACKAGE:COMMAND, e.g. gdb)
#
# Exit status: 0 when everything is present (or was installed), non-zero with
# a message on stderr otherwise.

set -u

check_only=0
extra=()
for arg in "$@"; do
    case "$arg" in
        --check) check_only=1 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "deps: unknown option '$arg' (try --help)" >&2; exit 2 ;;
        *) extra+=("$arg") ;;
    esac
done

missing=()

# need_cmd PACKAGE COMMAND: PACKAGE provides COMMAND.
need_cmd() {
    command -v "$2" >/dev/null 2>&1 || missing+=("$1")
}

# need_glob PACKAGE PATTERN: PACKAGE provides a file matching PATTERN.
need_glob() {
    local f
    for f in $2; do
        [ -e "$f" ] && return 0
    done
    missing+=("$1")
}

check_all() {
    missing=()
    need_cmd  qemu-system-x86 qemu-system-x86_64
    need_glob grub-pc-bin     "/usr/lib/grub/i386-pc/modinfo.sh /usr/lib/grub/i386-pc/kernel.img"
    need_glob grub-efi-amd64-bin "/usr/lib/grub/x86_64-efi/modinfo.sh /usr/lib/grub/x86_64-efi/kernel.img"
    need_glob ovmf            "/usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd"
    need_cmd  grub-common     grub-mkrescue
    need_cmd  xorriso         xorriso
    need_cmd  mtools          mformat
    need_cmd  cpio            cpio
    need_glob e2fsprogs       "/sbin/mke2fs /usr/sbin/mke2fs"
    need_glob e2fsprogs       "/sbin/e2fsck /usr/sbin/e2fsck"
    need_glob newlib-source   "/usr/src/newlib/newlib-*.tar.*"
    need_cmd  python3         python3
    # Bochs, the second emulator (tools/bochs.py): it boots with SeaBIOS and
    # the LGPL VGA BIOS. bochs needs a GUI package; bochs-term is the small
    # one (without it apt would pick bochs-wx and GTK). The display used is
    # bochs's own RFB plugin, drawing nowhere.
    need_cmd  bochs           bochs
    need_glob bochs-term      "/usr/lib/*/bochs/plugins/libbx_term_gui.so"
    need_glob seabios         /usr/share/seabios/bios.bin
    need_glob vgabios         /usr/share/vgabios/vgabios.bin
    need_cmd  gnuplot-nox     gnuplot
    need_cmd  gcc             gcc
    need_cmd  make            make
    need_cmd  binutils        ld
    need_cmd  binutils        objcopy
    local e
    for e in "${extra[@]}"; do
        need_cmd "${e%%:*}" "${e#*:}"
    done
    # de-duplicate, keeping order
    local -A seen=()
    local out=() p
    for p in "${missing[@]}"; do
        [ -n "${seen[$p]:-}" ] && continue
        seen[$p]=1
        out+=("$p")
    done
    missing=("${out[@]}")
}

check_all
[ ${#missing[@]} -eq 0 ] && exit 0

if [ $check_only -eq 1 ]; then
    echo "deps: missing: ${missing[*]}" >&2
    exit 1
fi

echo "deps: installing ${missing[*]} (missing)" >&2

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: apt-get not found; please install by hand: ${missing[*]}" >&2
    exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "deps: not root and no sudo; please run as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    # Without a terminal sudo cannot ask for a password: fail instead of hanging.
    if [ -t 0 ]; then sudo=(sudo); else sudo=(sudo -n); fi
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/deps.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT

run() {
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "$@" </dev/null >"$log" 2>&1; then
        echo "deps: '$*' failed:" >&2
        tail -n 40 "$log" >&2
        echo "deps: could not install: ${missing[*]}" >&2
        exit 1
    fi
}

run apt-get update -q
run apt-get install -y -q --no-install-recommends "${missing[@]}"

check_all
if [ ${#missing[@]} -ne 0 ]; then
    echo "deps: still missing after install: ${missing[*]}" >&2
    exit 1
fi
echo "deps: done" >&2
exit 0
