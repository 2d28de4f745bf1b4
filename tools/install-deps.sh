#!/bin/sh
# install-deps.sh - install the Debian packages memtrace needs to build, test
# and benchmark, and only those that are missing: with everything present it
# does nothing (one dpkg-query) and prints nothing.
#
# usage: tools/install-deps.sh [build|test|bench|kernels|deb|image|build-arm64|kernels-arm64|deb-arm64]
#   (test and bench include build; kernels, the kernel matrix's, too; deb
#   and image what `make deb` and `make image` use, which test includes; the
#   -arm64 sets the cross build's toolchain and arm64 libraries, installed
#   beside the native ones through dpkg's multiarch)
set -eu

build="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev libdw-dev libprotobuf-c-dev protobuf-c-compiler libmicrohttpd-dev libcapstone-dev libcurl4-openssl-dev pkg-config make gcc scdoc"
deb="$build debhelper dpkg-dev lintian"
image="umoci"
test="$build $deb $image skopeo debootstrap bash-completion man-db libcap2-bin libcmocka-dev jq procps util-linux runc busybox-static libclang-rt-14-dev protobuf-compiler python3.11 libpython3.11-dev python3-protobuf python3-yaml nodejs prometheus chromium curl file systemd"
bench="$test bpftrace"
kernels="$build jq cpio busybox-static qemu-system-x86 qemu-system-arm python3.11"
build_arm64="$build gcc-aarch64-linux-gnu libc6-dev-arm64-cross libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libjson-c-dev:arm64 libdw-dev:arm64 libprotobuf-c-dev:arm64 libmicrohttpd-dev:arm64 libcapstone-dev:arm64 libcurl4-openssl-dev:arm64"
# the guest's bash and jq need these; libc's debuginfo names memset in stacks
kernels_arm64="$kernels $build_arm64 libtinfo6:arm64 libjq1:arm64 libonig5:arm64 libc6-dbg:arm64 libexpat1:arm64"
deb_arm64="$deb $build_arm64"

case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
bench) want=$bench ;;
kernels) want=$kernels ;;
deb) want=$deb ;;
image) want=$image ;;
build-arm64) want=$build_arm64 ;;
kernels-arm64) want=$kernels_arm64 ;;
deb-arm64) want=$deb_arm64 ;;
*) echo "install-deps.sh: unknown set '$1' (build, test, bench, kernels, deb, image, build-arm64, kernels-arm64, deb-arm64)" >&2; exit 2 ;;
esac

missing=
for pkg in $want; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
	case "$status" in
	ii*) ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# arm64 packages beside the native ones: dpkg learns the architecture once
# (the same sources serve it), and apt needs its package lists
fresh=
case $missing in
*:arm64*)
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		fresh=1
	fi
	;;
esac
# update the package lists once, if they are absent or a day old
if [ -n "$fresh" ] || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
	apt-get update -qq >&2
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
