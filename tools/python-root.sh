#!/bin/sh
# python-root.sh [SUITE PACKAGE...] - a minimal Debian root of SUITE with these
# packages (interpreters for the Python tests: bookworm has python3.11,
# trixie python3.13, sid python3.13, python3.14 and python3.15; by default
# sid's three, which tests/integration/python.sh runs), made once
# with debootstrap and kept under ~/.cache/memtrace/roots (its name says the
# suite and the packages), so a second run downloads nothing. Prints its
# directory; run an interpreter in it with chroot.
set -eu

[ $# -gt 0 ] || set -- sid python3.13 python3.14 python3.15
suite=$1
shift
packages=$(printf '%s\n' "$@" | sort -u | paste -sd, -)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/memtrace/roots
root=$cache/$suite-$(printf '%s' "$packages" | sha256sum | cut -c1-12)
if [ ! -x "$root/bin/sh" ]; then
	mkdir -p "$cache"
	dir=$(mktemp -d "$cache/.root-XXXXXX")
	echo "python-root.sh: debootstrap $suite with $packages (once; kept in $root)" >&2
	if ! debootstrap --variant=minbase --include="$packages" "$suite" "$dir" \
		http://deb.debian.org/debian > "$dir.log" 2>&1; then
		tail -n 20 "$dir.log" >&2
		rm -rf "$dir" "$dir.log"
		echo "python-root.sh: debootstrap $suite failed" >&2
		exit 1
	fi
	rm -f "$dir.log"
	rm -rf "$root"
	mv "$dir" "$root"
fi
echo "$root"
