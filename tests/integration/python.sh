# python.sh - Python programs, for the people who size Python jobs. So far:
# what memtrace reads of each required interpreter, checked against the
# interpreter itself: its line tables (src/pylinetable.c), which name the
# line of a Python frame, and its version (src/pyversion.c). The
# interpreters: this host's Debian 12 3.11 (libpython linked in), the
# pyenv 3.11 on PATH if there is one (--enable-shared), and 3.13, 3.14 and
# 3.15 of Debian unstable, run in its root (tools/python-root.sh).

# dump INTERPRETER [ROOT]: the interpreter's line tables into lines-<name>.txt
dump_line_tables() {
	local python=$1 root=${2:-} name
	name=$(basename "$python")
	if [ -n "$root" ]; then
		cp "$ROOT/tests/tools/py_linetables.py" "$root/tmp/py_linetables.py"
		chroot "$root" "$python" /tmp/py_linetables.py > "lines-$name.txt" 2> "dump-$name.err" ||
			fail "$name in $root: $(tail -n 3 "dump-$name.err")"
	else
		"$python" "$ROOT/tests/tools/py_linetables.py" > "lines-$name.txt" 2> "dump-$name.err" ||
			fail "$name: $(tail -n 3 "dump-$name.err")"
	fi
	cat "dump-$name.err"
}

test_line_tables_match_co_lines() {
	local sid
	[ -x /usr/bin/python3.11 ] || fail "/usr/bin/python3.11 is missing (tools/install-deps.sh test: python3)"
	dump_line_tables /usr/bin/python3.11
	sid=$("$ROOT/tools/python-root.sh") ||
		fail "no Debian unstable root with Python 3.13-3.15"
	for v in 3.13 3.14 3.15; do
		dump_line_tables "/usr/bin/python$v" "$sid"
	done
	for f in lines-*.txt; do
		"$OUT/unit/test_python" lines "$f" || fail "$f: the decoder disagrees with co_lines()"
	done
}

# Py_Version from the executable (Debian's link libpython in) or from the
# libpython it needs (--enable-shared builds, programs embedding Python),
# through a root as for a container
test_python_version_from_its_files() {
	local sid exe want got
	sid=$("$ROOT/tools/python-root.sh") || fail "no Debian unstable root with Python 3.13-3.15"
	for exe in /usr/bin/python3.11 "$sid/usr/bin/python3.13" "$sid/usr/bin/python3.14" \
		"$sid/usr/bin/python3.15" $(command -v pyenv > /dev/null && pyenv which python3 2> /dev/null); do
		if [ "${exe#"$sid"}" != "$exe" ]; then
			want=$(chroot "$sid" "${exe#"$sid"}" -c 'import sys; print("0x%08x" % sys.hexversion)')
			got=$("$OUT/unit/test_python" version "$sid" "${exe#"$sid"}")
		else
			exe=$(readlink -f "$exe")
			want=$("$exe" -c 'import sys; print("0x%08x" % sys.hexversion)')
			got=$("$OUT/unit/test_python" version "" "$exe")
		fi
		assert_eq "Py_Version of $exe" "$got" "$want"
	done
	# a program that embeds Debian's shared libpython (found through the system's directories)
	echo 'int main(void) { return 0; }' | gcc -x c - -o embed -Wl,--no-as-needed -lpython3.11 ||
		fail "cannot link with libpython3.11 (tools/install-deps.sh test: libpython3.11-dev)"
	assert_eq "Py_Version of libpython3.11.so" "$("$OUT/unit/test_python" version "" "$PWD/embed")" \
		"$(/usr/bin/python3.11 -c 'import sys; print("0x%08x" % sys.hexversion)')"
	# not a Python
	! "$OUT/unit/test_python" version "" /bin/sh 2> err.txt || fail "/bin/sh has a Py_Version"
	grep -q "No such file" err.txt || fail "$(cat err.txt)"
}
