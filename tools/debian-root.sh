#!/bin/sh
# debian-root.sh SUITE DEB - a fresh Debian root where the package DEB can be
# installed with dpkg -i: debootstrap's minbase, plus man-db and the
# libraries the package depends on. Made once and cached as a tarball under
# ~/.cache/memtrace/roots (its name says the suite and the packages), so a
# second run downloads nothing. Prints the tarball's path.
set -eu

suite=$1 deb=$2
cache=${XDG_CACHE_HOME:-$HOME/.cache}/memtrace/roots
# "libbpf1 (>= 1:1.0.0), libc6 (>= 2.34), ..." -> libbpf1,libc6,...
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (].*//' | grep -v '^$' | sort -u | paste -sd, -)
include=man-db,$deps
tarball=$cache/$suite-$(printf '%s' "$include" | sha256sum | cut -c1-12).tar.gz
if [ ! -s "$tarball" ]; then
	mkdir -p "$cache"
	dir=$(mktemp -d "$cache/.root-XXXXXX")
	echo "debian-root.sh: debootstrap $suite with $include (once; cached in $tarball)" >&2
	if ! debootstrap --variant=minbase --include="$include" "$suite" "$dir" \
		http://deb.debian.org/debian > "$dir.log" 2>&1; then
		tail -n 20 "$dir.log" >&2
		rm -rf "$dir"
		echo "debian-root.sh: debootstrap $suite failed" >&2
		exit 1
	fi
	rm -f "$dir.log"
	tar -C "$dir" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	rm -rf "$dir"
fi
echo "$tarball"
