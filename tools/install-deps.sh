#!/bin/sh
# install-deps.sh - install the Debian packages memtrace needs to build, test
# and benchmark, and only those that are missing: with everything present it
# does nothing (one dpkg-query) and prints nothing.
#
# usage: tools/install-deps.sh [build|test|bench|kernels]
#   (test and bench include build; kernels, the kernel matrix's, too)
set -eu

build="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev libdw-dev libprotobuf-c-dev protobuf-c-compiler libmicrohttpd-dev libcapstone-dev pkg-config make gcc"
test="$build libcmocka-dev jq procps util-linux runc busybox-static libclang-rt-14-dev protobuf-compiler python3-protobuf python3-yaml nodejs prometheus chromium curl file systemd"
bench="$test bpftrace"
kernels="$build jq cpio busybox-static qemu-system-x86 qemu-system-arm"

case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
bench) want=$bench ;;
kernels) want=$kernels ;;
*) echo "install-deps.sh: unknown set '$1' (build, test, bench or kernels)" >&2; exit 2 ;;
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
# update the package lists once, if they are absent or a day old
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
	apt-get update -qq >&2
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
