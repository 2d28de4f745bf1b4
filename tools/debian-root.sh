#!/bin/sh
# debian-root.sh SUITE PACKAGE|FILE.deb... - a minimal Debian root of SUITE
# (debootstrap's minbase) with these packages, and for a .deb the
# libraries it depends on (so it can then be installed with dpkg -i). Made
# once and kept under ~/.cache/memtrace/roots, its name saying the suite and
# the packages, so a second run downloads nothing. Prints its directory:
# use it read-only (chroot), or copy it (cp -a) to change it.
#   tests/integration/package.sh: bookworm .output/memtrace_*.deb (with man-db)
#   tests/integration/python.sh:  tools/python-root.sh (sid's Pythons)
set -eu

suite=$1
shift
packages=$(for p in "$@"; do
	case $p in
	# "libbpf1 (>= 1:1.0.0), libc6 (>= 2.34), ..." -> libbpf1 libc6 ...
	*.deb) dpkg-deb -f "$p" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (].*//' ;;
	*) echo "$p" ;;
	esac
done | grep -v '^$' | sort -u | paste -sd, -)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/memtrace/roots
root=$cache/$suite-$(printf '%s' "$packages" | sha256sum | cut -c1-12)
if [ ! -x "$root/bin/sh" ]; then
	mkdir -p "$cache"
	dir=$(mktemp -d "$cache/.root-XXXXXX")
	echo "debian-root.sh: debootstrap $suite with $packages (once; kept in $root)" >&2
	if ! debootstrap --variant=minbase --include="$packages" "$suite" "$dir" \
		http://deb.debian.org/debian > "$dir.log" 2>&1; then
		tail -n 20 "$dir.log" >&2
		rm -rf "$dir" "$dir.log"
		echo "debian-root.sh: debootstrap $suite failed" >&2
		exit 1
	fi
	rm -f "$dir.log"
	rm -rf "$root"
	mv "$dir" "$root"
fi
echo "$root"
