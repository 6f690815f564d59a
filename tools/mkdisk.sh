#!/usr/bin/env bash
# tools/mkdisk.sh STAGE OUT [BIN] - the SATA disk image: an ext2 file system made
# by e2fsprogs' mke2fs over a staging tree built from the initrd's files:
#   /bin    the programs (also those of BIN, which only the disk has)
#   /etc    motd
#   /tmp    empty, for students   /home   empty
#   /tests  test data: numbers.txt and the malformed ELF files
# The file system takes FS_BLOCKS 1 KiB blocks; the image is SCRATCH_KIB
# larger, and the in-kernel block-layer tests write only there, past the
# end of the file system (docs/storage.md).
set -eu
stage=$1
out=$2
bin=${3:-}
FS_BLOCKS=${FS_BLOCKS:-16384}
SCRATCH_KIB=1024
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)

root=$(mktemp -d "${TMPDIR:-/tmp}/disk-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/home" "$root/tests"
for f in "$stage"/*; do
    name=$(basename "$f")
    case "$name" in
        *.elf|numbers.txt) cp "$f" "$root/tests/" ;;
        motd) cp "$f" "$root/etc/" ;;
        *) if [ -x "$f" ]; then cp "$f" "$root/bin/"; else cp "$f" "$root/etc/"; fi ;;
    esac
done
if [ -n "$bin" ]; then
    cp "$bin"/* "$root/bin/"
fi
chmod 1777 "$root/tmp"
rm -f "$out.tmp"
truncate -s $(( (FS_BLOCKS + SCRATCH_KIB) * 1024 )) "$out.tmp"
# Revision 1 ext2 with 1 KiB blocks (so files soon need the indirect and
# double-indirect blocks), file types in directory entries, sparse
# superblocks; no hashed directories and no resize inode, which this
# kernel does not maintain.
# (128-byte inodes: mke2fs warns that they end in 2038; said once here.)
if ! "$MKE2FS" -q -F -t ext2 -b 1024 -I 128 -O ^dir_index,^resize_inode,^ext_attr \
    -E root_owner=0:0 -L teachos -d "$root" "$out.tmp" "$FS_BLOCKS" >"$root.err" 2>&1; then
    cat "$root.err" >&2
    rm -f "$root.err"
    exit 1
fi
rm -f "$root.err"
mv "$out.tmp" "$out"
echo "disk: $(basename "$out"): ext2, $FS_BLOCKS blocks of 1 KiB + ${SCRATCH_KIB} KiB scratch"
