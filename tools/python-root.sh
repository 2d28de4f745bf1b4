#!/bin/sh
# python-root.sh - the Debian unstable root with the Pythons
# tests/integration/python.sh runs (3.13, 3.14, 3.15; bookworm's 3.11 is
# this host's), made once by tools/debian-root.sh. Prints its directory;
# run an interpreter in it with chroot.
exec "$(dirname "$0")/debian-root.sh" sid python3.13 python3.14 python3.15
