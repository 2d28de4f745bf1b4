#!/bin/sh
# build-deb.sh ARCH OUTPUT COMMIT - build OUTPUT/memtrace_<version>_<ARCH>.deb
# (make deb). dpkg-buildpackage runs in a copy of the source tree under
# OUTPUT/deb: it writes into debian/ and next to the tree, and the copy has
# no .git, so the commit goes in as COMMIT (the Makefile reads it). ARCH
# arm64 on an amd64 machine is a cross build, with the vmlinux.h made from
# the cached arm64 kernel's BTF. lintian checks the result: no errors.
set -eu

arch=$1 output=$2 commit=$3
here=$(pwd)
version=$(dpkg-parsechangelog -S Version)
work=$output/deb
tree=$work/memtrace-$version
native=$(dpkg --print-architecture)

rm -rf "$work"
mkdir -p "$tree"
tar -c --exclude='./.output*' --exclude=./.git --exclude=./memtrace --exclude=./bench-results . |
	tar -x -C "$tree"
printf '%s\n' "$commit" > "$tree/COMMIT"

set -- -b -us -uc
if [ "$arch" != "$native" ]; then
	# the build dependencies are the cross build's (tools/install-deps.sh deb-arm64)
	set -- "$@" -a "$arch" -d
	make --no-print-directory ARCH=arm64 "$output/vmlinux.btf"
	VMLINUX_BTF=$here/$output/vmlinux.btf
	export VMLINUX_BTF
fi
echo "build-deb.sh: dpkg-buildpackage $* in $tree" >&2
(cd "$tree" && dpkg-buildpackage "$@" > ../build.log 2>&1) || {
	tail -n 30 "$work/build.log" >&2
	echo "build-deb.sh: dpkg-buildpackage failed (all of it in $work/build.log)" >&2
	exit 1
}
deb=memtrace_${version}_$arch.deb
mv "$work/$deb" "$output/$deb"
lintian --allow-root --fail-on error "$output/$deb" >&2
echo "$output/$deb"
