#!/bin/bash
# kernel-btf.sh - the BTF of a kernel image, as bpftool reads it: for a cross
# build, whose vmlinux.h cannot come from the build machine's own
# /sys/kernel/btf/vmlinux.
#
# usage: tools/kernel-btf.sh IMAGE > vmlinux.btf
# IMAGE: an uncompressed kernel (arm64's Image), or a bzImage or a
# compressed one (its payload is decompressed first: gzip, xz, lz4, zstd).
# The raw BTF is the .BTF section: a header (magic 0xeB9F, version 1,
# header length 24) and the type and string sections it counts.
set -euo pipefail
image=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The kernel itself: the image, or the payload a decompressor turns into an ELF.
kernel=$tmp/kernel
cp "$image" "$kernel"
if ! LC_ALL=C grep -qobUaP '\x9f\xeb\x01\x00\x18\x00\x00\x00' "$kernel"; then
	for codec in 'gzip -dc:\x1f\x8b\x08' 'xz -dc:\xfd7zXZ\x00' 'lz4 -dc:\x02\x21\x4c\x18' \
		'zstd -dc:\x28\xb5\x2f\xfd'; do
		cmd=${codec%%:*} magic=${codec#*:}
		for at in $(LC_ALL=C grep -obUaP "$magic" "$image" | cut -d: -f1); do
			dd if="$image" bs=1M iflag=skip_bytes skip="$at" status=none |
				$cmd > "$tmp/payload" 2> /dev/null || true
			if [ "$(head -c 4 "$tmp/payload" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				mv "$tmp/payload" "$kernel"
				break 2
			fi
		done
	done
fi

# header: magic (2), version (1), flags (1), hdr_len, type_off, type_len, str_off, str_len (u32 LE)
at=$(LC_ALL=C grep -obUaP '\x9f\xeb\x01\x00\x18\x00\x00\x00' "$kernel" | head -n 1 | cut -d: -f1)
[ -n "$at" ] || { echo "kernel-btf.sh: no BTF in $image" >&2; exit 1; }
bytes() { dd if="$kernel" bs=1M iflag=skip_bytes,count_bytes skip="$1" count="$2" status=none; }
read -r str_off str_len < <(bytes $((at + 16)) 8 | od -An -tu4)
bytes "$at" $((24 + str_off + str_len))
