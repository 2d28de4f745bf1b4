#!/bin/sh
# build-image.sh ARCH DEB OUT COMMIT - the DaemonSet's OCI image (make image): the
# package's files, the shared libraries they need (this Debian's, for ARCH)
# and their copyright files, on an empty base; entrypoint `memtrace serve`,
# listening on every address of the pod by default. Written as an OCI image
# layout in a tar (OUT), tagged with the version: no network, no registry,
# no daemon (umoci). `podman load`, `skopeo copy oci-archive:OUT:VERSION`
# and `ctr images import` read it.
set -eu

arch=$1 deb=$2 out=$3 commit=$4
version=$(dpkg-deb -f "$deb" Version)
work=$(dirname "$out")/image
layout=$work/layout
rootfs=$work/bundle/rootfs
case $arch in
amd64) triplet=x86_64-linux-gnu ;;
arm64) triplet=aarch64-linux-gnu ;;
*) echo "build-image.sh: no image for $arch" >&2; exit 2 ;;
esac

rm -rf "$work"
mkdir -p "$work"
umoci init --layout "$layout"
umoci new --image "$layout:$version"
umoci unpack --image "$layout:$version" "$work/bundle" > /dev/null
dpkg-deb -x "$deb" "$rootfs"
# the systemd unit and the completion have no use in a container
rm -rf "$rootfs/lib/systemd" "$rootfs/usr/share/bash-completion"

# the libraries ELF says the binary needs, and theirs, from this machine's
# multiarch directories (the package's Depends, resolved)
needed() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
}
find_lib() {
	for dir in /lib/$triplet /usr/lib/$triplet; do
		[ -e "$dir/$1" ] && { echo "$dir/$1"; return; }
	done
	echo "build-image.sh: $1 ($arch) not found: install the package's dependencies for $arch" >&2
	exit 1
}
copy_file() { # copy a file to the same path in the image, and its package's copyright
	dest=$rootfs$(realpath -s "$1")
	[ -e "$dest" ] && return 1
	mkdir -p "$(dirname "$dest")"
	cp -L "$1" "$dest"
	# dpkg knows a file by the path its package ships (/lib/... on merged-/usr)
	pkg=$({ dpkg -S "$1" || dpkg -S "$(realpath "$1")"; } 2>/dev/null | head -n 1 | cut -d: -f1) || pkg=
	if [ -n "$pkg" ] && [ -e "/usr/share/doc/$pkg/copyright" ]; then
		mkdir -p "$rootfs/usr/share/doc/$pkg"
		cp "/usr/share/doc/$pkg/copyright" "$rootfs/usr/share/doc/$pkg/"
	fi
}
todo=$rootfs/usr/bin/memtrace
while [ -n "$todo" ]; do
	set -- $todo
	todo=
	for elf in "$@"; do
		for name in $(needed "$elf"); do
			lib=$(find_lib "$name")
			copy_file "$lib" && todo="$todo $rootfs$lib"
		done
	done
done
interp=$(readelf -l "$rootfs/usr/bin/memtrace" | sed -n 's/.*interpreter: \(.*\)\]$/\1/p')
copy_file "$interp" || true
mkdir -p "$rootfs/tmp"

umoci repack --image "$layout:$version" "$work/bundle"
umoci config --image "$layout:$version" --os linux --architecture "$arch" \
	--config.entrypoint /usr/bin/memtrace --config.entrypoint serve \
	--config.cmd --listen --config.cmd 0.0.0.0:9464 \
	--config.exposedports 9464/tcp \
	--config.label "org.opencontainers.image.title=memtrace" \
	--config.label "org.opencontainers.image.version=$version" \
	--config.label "org.opencontainers.image.revision=$commit" \
	--history.created_by "tools/build-image.sh $arch $(basename "$deb")"
umoci gc --layout "$layout"
tar -C "$layout" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "$out"
