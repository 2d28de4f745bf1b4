#!/bin/bash
# fetch-kernel.sh - Debian's newest cloud kernel of a suite: for the kernel matrix,
# and for the BTF a cross build's vmlinux.h comes from.
#
# usage: tools/fetch-kernel.sh SUITE ARCH     (ARCH: amd64 or arm64)
# Prints the path of the kernel image (vmlinuz; arm64: the uncompressed Image).
#
# Through a private apt configuration under the cache directory (its own
# sources list, lists, status and archive cache): the system's apt setup is
# never read or changed. The package lists are refreshed once a day and the
# newest kernel of the suite is picked by `sort -V`, so the matrix follows
# Debian's point releases; a kernel already extracted is not downloaded
# again, from any clone.
set -euo pipefail
suite=$1 arch=$2
cache=${XDG_CACHE_HOME:-$HOME/.cache}/memtrace
root=$cache/apt/$suite-$arch
mkdir -p "$root/lists/partial" "$root/archives/partial" "$cache/kernels"
touch "$root/status"
echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
	> "$root/sources.list"
apt_opts=(-q -o "Dir::Etc::SourceList=$root/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=/dev/null"
	-o "Dir::State::Lists=$root/lists" -o "Dir::State::status=$root/status"
	-o "Dir::Cache=$root" -o "Dir::Cache::archives=$root/archives"
	-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch")

if [ -z "$(find "$root/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
	apt-get "${apt_opts[@]}" update 2>&1 | { grep -v unsandboxed || true; } >&2 || { echo "fetch-kernel.sh: cannot update the $suite package lists" >&2; exit 1; }
fi

# The unsigned image (the signed one of sid only depends on linux-binary-*):
# linux-image-<ver>-cloud-<arch>-unsigned, or linux-binary-unsigned-<ver>-cloud-<arch>.
pkg=$(apt-cache "${apt_opts[@]}" pkgnames linux- |
	grep -E "^linux-(image-[0-9][^ ]*-cloud-$arch-unsigned|binary-unsigned-[0-9][^ ]*-cloud-$arch)\$" |
	sed -E 's/^linux-(image|binary-unsigned)-//; s/-unsigned$//' | sort -V | tail -n 1)
[ -n "$pkg" ] || { echo "fetch-kernel.sh: no cloud kernel for $arch in $suite" >&2; exit 1; }
release=${pkg} # e.g. 6.1.0-50-cloud-amd64
image=$cache/kernels/vmlinuz-$release
if [ ! -s "$image" ]; then
	name=$(apt-cache "${apt_opts[@]}" pkgnames linux- |
		awk -v a="linux-image-$release-unsigned" -v b="linux-binary-unsigned-$release" '$0 == a || $0 == b' | head -n 1)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get "${apt_opts[@]}" download "$name" 2>&1 | { grep -v unsandboxed || true; } >&2) ||
		{ echo "fetch-kernel.sh: cannot download $name" >&2; exit 1; }
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -xf - -C "$tmp" --wildcards '*vmlinuz*' './boot/config-*' 2>/dev/null ||
		dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -xf - -C "$tmp" --wildcards '*vmlinuz*'
	found=$(find "$tmp" -name 'vmlinuz*' -type f | head -n 1)
	[ -n "$found" ] || { echo "fetch-kernel.sh: $name holds no vmlinuz" >&2; exit 1; }
	mv "$found" "$image.part" && mv "$image.part" "$image"
fi
echo "$image"
