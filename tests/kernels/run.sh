#!/bin/bash
# run.sh - the kernel matrix: boot Debian's own kernels in qemu and run
# memtrace's guest-side tests in each (make test-kernels).
#
# usage: tests/kernels/run.sh [SUITE...]
#   SUITE: bullseye (5.10), bookworm (6.1), trixie (6.12), sid (the newest);
#   all of them by default, on either architecture.
# env: ARCH (amd64 or arm64; default the build's), MEMTRACE_OUTPUT (the build
#   whose memtrace and workloads are tested), KERNEL_TIMEOUT (seconds a guest
#   may run, default 900), GUEST_CMD (debugging: run this shell command in
#   each guest instead of the tests), KERNEL_APPEND (debugging: more kernel
#   command line, e.g. loglevel=7).
#
# One initramfs per architecture holds busybox, bash, jq, Python 3.11,
# ./memtrace, the workloads and the tests, each binary with the shared libraries it needs;
# its /init (guest-init) runs tests/run.sh on the tests that guest.list
# names plus tests/kernels/guest_*.sh, then powers off. Each guest's
# console is kept in $MEMTRACE_OUTPUT/kernels/<release>.log; the results are
# read from it, and a guest that hangs is killed, its console's tail shown.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(cd "$ROOT" && realpath -m "${MEMTRACE_OUTPUT:-.output}")
ARCH=${ARCH:-$(dpkg --print-architecture)}
KERNEL_TIMEOUT=${KERNEL_TIMEOUT:-900}
HERE=$ROOT/tests/kernels
LOGS=$OUT/kernels
mkdir -p "$LOGS"

case $ARCH in
amd64) libdirs=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu) ;;
arm64) libdirs=(/lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu) ;;
*) echo "run.sh: unknown ARCH '$ARCH' (amd64 or arm64)" >&2; exit 2 ;;
esac
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(bullseye bookworm trixie sid)

die() { echo "run.sh: $*" >&2; exit 1; }

# The shared library NAME as the guest's loader will look for it.
find_lib() {
	local dir
	for dir in "${libdirs[@]}" "${sysroot_libdirs[@]}"; do
		[ -e "$dir/$1" ] && { echo "$dir/$1"; return 0; }
	done
	return 1
}

# Copy an ELF binary to DEST in the image, its loader, and every library it
# needs (recursively, from the DT_NEEDED entries) to /lib, where the guest's
# loader looks.
copy_elf() {
	local src=$1 dest=$2 interp
	install -D -m 0755 "$src" "$STAGE/$dest"
	interp=$(readelf -lW "$src" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	if [ -n "$interp" ] && [ ! -e "$STAGE$interp" ]; then
		install -D -m 0755 "$(readlink -f "$(find_lib "$(basename "$interp")")")" "$STAGE$interp" ||
			die "$src needs $interp, which is not installed for $ARCH"
	fi
	copy_libs "$src"
}
copy_libs() {
	local lib path
	for lib in $(readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -e "$STAGE/lib/$lib" ] && continue
		path=$(find_lib "$lib") || die "$1 needs $lib, which is not installed for $ARCH"
		install -D -m 0755 "$(readlink -f "$path")" "$STAGE/lib/$lib"
		copy_debuginfo "$path"
		copy_libs "$path"
	done
}
# its separate debuginfo, where the host has it (libc6-dbg), found by build id
copy_debuginfo() {
	local id debug
	id=$(readelf -nW "$1" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
	debug=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
	[ -n "$id" ] && [ -f "$debug" ] && install -D -m 0644 "$debug" "$STAGE$debug"
	return 0
}

# bash and jq for the guest: the host's own, or the arch's Debian packages
# (downloaded once into the cache, like the kernels).
sysroot_libdirs=()
guest_tool() {
	local name=$1 pkg=${2:-$1}
	if [ "$ARCH" = "$(dpkg --print-architecture)" ]; then
		[ -x "/usr/bin/$name" ] && echo "/usr/bin/$name" || command -v "$name"
		return
	fi
	local sysroot=${XDG_CACHE_HOME:-$HOME/.cache}/memtrace/sysroot-$ARCH
	if [ ! -x "$sysroot/usr/bin/$name" ] && [ ! -x "$sysroot/bin/$name" ]; then
		mkdir -p "$sysroot"
		local tmp
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -q "$pkg:$ARCH" > /dev/null 2>&1) || die "cannot download $pkg:$ARCH"
		dpkg-deb -x "$tmp"/*.deb "$sysroot"
		rm -rf "$tmp"
	fi
	[ -x "$sysroot/usr/bin/$name" ] || [ -x "$sysroot/bin/$name" ] || die "$pkg:$ARCH has no $name"
	[ -x "$sysroot/usr/bin/$name" ] && echo "$sysroot/usr/bin/$name" || echo "$sysroot/bin/$name"
}

build_initramfs() {
	local image=$1 busybox w
	STAGE=$(mktemp -d)
	mkdir -p "$STAGE"/{bin,lib,proc,sys,dev,tmp,run,etc,root,mt/.output/workloads}
	busybox=$([ "$ARCH" = "$(dpkg --print-architecture)" ] && echo /bin/busybox || guest_tool busybox busybox-static)
	[ -x "$busybox" ] || die "busybox-static is not installed"
	install -m 0755 "$busybox" "$STAGE/bin/busybox"
	copy_elf "$(guest_tool bash)" /bin/bash
	copy_elf "$(guest_tool jq)" /bin/jq
	# Debian 12's Python with what it needs to start (-I -S): the Python frames' test
	copy_elf "$(guest_tool python3.11 python3.11-minimal)" /usr/bin/python3.11
	mkdir -p "$STAGE/usr/lib/python3.11/encodings"
	cp /usr/lib/python3.11/os.py "$STAGE/usr/lib/python3.11/" # the landmark of its prefix
	cp /usr/lib/python3.11/encodings/{__init__,aliases,utf_8}.py "$STAGE/usr/lib/python3.11/encodings/"
	mkdir -p "$STAGE/mt/tests/workloads"
	cp -r "$ROOT/tests/workloads/python" "$STAGE/mt/tests/workloads/"
	copy_elf "$OUT/memtrace" /mt/.output/memtrace
	ln -s .output/memtrace "$STAGE/mt/memtrace"
	for w in "$OUT"/workloads/*; do
		case $w in *.o | *.d) continue ;; esac
		copy_elf "$w" "/mt/.output/workloads/$(basename "$w")"
	done
	mkdir -p "$STAGE/mt/tests/integration" "$STAGE/mt/tests/kernels"
	cp "$ROOT/tests/run.sh" "$ROOT/tests/lib.sh" "$STAGE/mt/tests/"
	cp "$ROOT"/tests/integration/*.sh "$STAGE/mt/tests/integration/"
	cp "$HERE"/guest.list "$HERE"/guest_*.sh "$STAGE/mt/tests/kernels/"
	install -m 0755 "$HERE/guest-init" "$STAGE/init"
	[ -n "${GUEST_CMD:-}" ] && printf '%s\n' "$GUEST_CMD" > "$STAGE/mt/guest-cmd"
	echo "root:x:0:0:root:/root:/bin/bash" > "$STAGE/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/false" >> "$STAGE/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$STAGE/etc/group"
	(cd "$STAGE" && find . | cpio -o -H newc --quiet | gzip -1) > "$image.part" || return 1
	mv "$image.part" "$image"
	rm -rf "$STAGE"
}

# Whether this machine's KVM runs a guest to userspace (nested KVM may hang
# in early boot): asked once per machine and kernel, the answer cached.
kvm_works() {
	local verdict=${XDG_CACHE_HOME:-$HOME/.cache}/memtrace/kvm-$(uname -r)-$ARCH
	[ "$ARCH" = "$(dpkg --print-architecture)" ] && [ -w /dev/kvm ] || return 1
	if [ ! -f "$verdict" ]; then
		local log
		log=$(mktemp)
		timeout 40 "${qemu[@]}" -accel kvm -cpu host,-arch-capabilities -kernel "$1" -initrd "$INITRD" \
			-append "$cmdline memtrace.probe=1" -serial "file:$log" > /dev/null 2>&1
		grep -q 'MEMTRACE-GUEST-PROBE' "$log" && echo yes > "$verdict" || echo no > "$verdict"
		rm -f "$log"
	fi
	[ "$(cat "$verdict")" = yes ]
}

case $ARCH in
amd64)
	qemu=(qemu-system-x86_64 -M pc -smp 2 -m 2048 -display none -monitor none -no-reboot)
	cmdline="console=ttyS0 rdinit=/init panic=-1 quiet"
	tcg=(-accel tcg,thread=multi -cpu max)
	;;
arm64)
	qemu=(qemu-system-aarch64 -M virt -smp 2 -m 2048 -display none -monitor none -no-reboot)
	cmdline="console=ttyAMA0 rdinit=/init panic=-1 quiet"
	tcg=(-accel tcg,thread=multi -cpu max)
	;;
esac
cmdline="$cmdline ${KERNEL_APPEND:-}"
command -v "${qemu[0]}" > /dev/null || die "${qemu[0]} is not installed"
[ -x "$OUT/memtrace" ] || die "no $OUT/memtrace: build it first (make test-kernels does)"

# One per run: .ci/run boots two guests at once; built one at a time (the
# guest tools' sysroot is shared).
INITRD=$LOGS/initramfs-$ARCH-$$.cpio.gz
trap 'rm -f "$INITRD"' EXIT
mkdir -p "${XDG_CACHE_HOME:-$HOME/.cache}/memtrace"
exec 9> "${XDG_CACHE_HOME:-$HOME/.cache}/memtrace/initramfs.lock"
flock 9
build_initramfs "$INITRD" || die "cannot build the initramfs"
flock -u 9

passed=0 failed=0 skipped=0
summary=() rows=()
for suite in "${suites[@]}"; do
	image=$("$ROOT/tools/fetch-kernel.sh" "$suite" "$ARCH") || { failed=$((failed + 1)); summary+=("$suite: cannot fetch its kernel"); continue; }
	release=$(basename "$image" | sed 's/^vmlinuz-//')
	log=$LOGS/$release.log
	accel=("${tcg[@]}")
	kvm_works "$image" && accel=(-accel kvm -cpu host,-arch-capabilities)
	echo "== $release ($suite, $ARCH, ${accel[1]%%,*})"
	start=$(date +%s)
	for attempt in 1 2; do
		timeout "$KERNEL_TIMEOUT" "${qemu[@]}" "${accel[@]}" -kernel "$image" -initrd "$INITRD" \
			-append "$cmdline" -serial "file:$log" > /dev/null 2>&1
		status=$?
		# TCG runs a vCPU's stale translation of code the kernel has just patched
		# (a static key flipped as memtrace attaches): the guest dies of an int3
		# its own patching no longer expects. Not memtrace's fault, nor a real CPU's:
		# booted again, said, with the vCPUs on one host thread (no stale
		# translation across vCPUs; slower, so only then).
		[ "$attempt" = 1 ] && [ "${accel[1]%%,*}" = tcg ] && grep -q 'Oops: int3' "$log" || break
		echo "  (the guest died of an int3 oops in patched code under TCG: booting it again, thread=single)"
		cp "$log" "$log.int3"
		accel=(-accel tcg,thread=single -cpu max)
	done
	secs=$(($(date +%s) - start))
	if [ -n "${GUEST_CMD:-}" ]; then
		tr -d '\r' < "$log" | sed -n '/^MEMTRACE-GUEST-KERNEL/,/^MEMTRACE-GUEST-END/p'
		continue
	fi
	tr -d '\r' < "$log" | grep -E '^(PASS|FAIL|SKIP)  |^    \| ' | sed "s|^|  |"
	p=$(tr -d '\r' < "$log" | grep -c '^PASS  ')
	f=$(tr -d '\r' < "$log" | grep -c '^FAIL  ')
	s=$(tr -d '\r' < "$log" | grep -c '^SKIP  ')
	if ! tr -d '\r' < "$log" | grep -q '^MEMTRACE-GUEST-END'; then
		why="the guest did not finish (qemu exit $status after ${secs}s)"
		[ "$status" -eq 124 ] && why="the guest was killed after ${KERNEL_TIMEOUT}s"
		echo "  FAIL  $release: $why; its console's tail:"
		tail -n 30 "$log" | sed 's/^/    | /'
		f=$((f + 1))
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	info=$(tr -d '\r' < "$log" | sed -n 's/^MEMTRACE-GUEST-KERNEL //p' | head -n 1)
	summary+=("$release: $p passed, $f failed, $s skipped in ${secs}s ($info)")
	rows+=("$(tr -d '\r' < "$log" | sed -n 's/^MEMTRACE-GUEST-ROW //p' | head -n 1 |
		sed "s/^| [^|]* |/| $release ($suite, $ARCH) |/")")
done
echo
echo "kernel matrix ($ARCH):"
printf '  %s\n' "${summary[@]}"
echo
echo "| kernel | RSS counting | locks | features missing | peak - maxrss, 64 MiB grown | lost events |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
