# python.sh - Python programs, for the people who size Python jobs: which
# Python function and line grew memory, on every required interpreter,
# checked against the interpreter itself (its line tables against
# co_lines(), each function's share against tracemalloc's). The
# interpreters: this host's Debian 12 3.11 (libpython linked in), the
# pyenv 3.11 on PATH if there is one (--enable-shared), and 3.13, 3.14 and
# 3.15 of Debian unstable, run chrooted in its root (tools/python-root.sh),
# as in a container.

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

# The interpreters of the end-to-end tests, one per line: "NAME ROOT PATH"
# (ROOT "-": this host's). Debian 12's 3.11 (libpython linked in, stripped,
# non-PIE), pyenv's 3.11 if there is one (--enable-shared, with symbols), and
# Debian unstable's 3.13, 3.14, 3.15, run chrooted as in a container.
interpreters() {
	local sid pyenv
	[ -x /usr/bin/python3.11 ] || fail "/usr/bin/python3.11 is missing (tools/install-deps.sh test: python3)"
	echo "3.11-debian - /usr/bin/python3.11"
	pyenv=$(command -v pyenv > /dev/null && readlink -f "$(pyenv which python3 2> /dev/null)") || true
	[ -n "$pyenv" ] && echo "$("$pyenv" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-shared - $pyenv"
	sid=$("$ROOT/tools/python-root.sh") || fail "no Debian unstable root with Python 3.13-3.15"
	for v in 3.13 3.14 3.15; do
		echo "$v-debian $sid /usr/bin/python$v"
	done
}

# run_python ROOT PATH "SCRIPT [ARGS]" [CMD...]: the script (of
# tests/workloads/python) under that interpreter, chrooted into ROOT unless
# it is "-", run by CMD (e.g. memtrace and its options) if given
run_python() {
	local root=$1 python=$2 script args
	read -r script args <<< "$3"
	shift 3
	if [ "$root" = - ]; then
		"$@" "$python" "$ROOT/tests/workloads/python/$script" $args
	else
		cp "$ROOT/tests/workloads/python/$script" "$root/tmp/$script"
		"$@" chroot "$root" "$python" "/tmp/$script" $args
	fi
}

# bytes of the JSON's growth stacks holding a frame whose label starts with PREFIX
python_bytes() {
	jqf "[.growth_sites[] | select(.stack | map(startswith(\"$1\")) | any) | .bytes] | add // 0" "$2"
}

# 16 KiB: ~4,000 samples for the ~65 MiB half of shares.py grows
PY_SAMPLING="--sample-bytes 16K --ringbuf-size 256M"

# Each function's share of the growth within 7 points of what Python's own
# tracemalloc measures for the same script, on every interpreter; the top
# site names the Python function and its line
test_python_functions_match_tracemalloc() {
	require_bpf
	local name root python small medium want got
	while read -r name root python; do
		MEMTRACE_TEST_TRACEMALLOC=1 run_python "$root" "$python" "shares.py 0.5" > tm.txt 2> tm.err ||
			fail "$name under tracemalloc: $(tail -n 3 tm.err)"
		want=$(awk '{ b[$1] = $2 } END { printf "%.2f", 100 * b["small_objects"] / (b["small_objects"] + b["medium_buffers"]) }' tm.txt)
		run_python "$root" "$python" "shares.py 0.5" "$MEMTRACE" $PY_SAMPLING --json r.json -- \
			> out.txt 2>&1 || fail "$name: memtrace failed: $(tail -n 3 out.txt)"
		small=$(python_bytes "small_objects (shares.py:" r.json)
		medium=$(python_bytes "medium_buffers (shares.py:" r.json)
		[ $((small + medium)) -gt 0 ] || fail "$name: no growth in a Python frame: $(head -c 600 r.json)"
		got=$(awk -v s="$small" -v m="$medium" 'BEGIN { printf "%.2f", 100 * s / (s + m) }')
		echo "$name: small_objects share $got% (tracemalloc $want%), medium_buffers the rest"
		awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(d <= 7 && d >= -7) }' ||
			fail "$name: small_objects has $got% of the growth, tracemalloc says $want%"
		grep -A 2 "top growth sites overall" out.txt | tail -n 1 |
			grep -Eq "^(small_objects|medium_buffers) +shares\.py:[0-9]+ " ||
			fail "$name: the top site is not a Python function and line: $(grep -A 3 'top growth sites overall' out.txt)"
		assert_eq "$name: lost events" "$(jqf .lost_events r.json)" 0
	done < <(interpreters)
}

# What the kernel matrix runs in every guest: Debian 12's 3.11, started with
# only the modules it needs (-I -S), on a quarter of the script (TCG is slow):
# both functions named with their lines,
# small_objects' share within 7 points of the 54.0% tracemalloc measures for
# it on 3.11 (test_python_functions_match_tracemalloc measures it live).
test_python_sites_in_every_kernel() {
	require_bpf
	local small medium share
	[ -x /usr/bin/python3.11 ] || fail "/usr/bin/python3.11 is missing (tools/install-deps.sh test: python3.11)"
	"$MEMTRACE" $PY_SAMPLING --json r.json -- /usr/bin/python3.11 -I -S \
		"$ROOT/tests/workloads/python/shares.py" 0.25 > out.txt 2>&1 || fail "memtrace failed: $(tail -n 3 out.txt)"
	small=$(python_bytes "small_objects (shares.py:" r.json)
	medium=$(python_bytes "medium_buffers (shares.py:" r.json)
	[ "$small" -gt 0 ] && [ "$medium" -gt 0 ] || fail "a function is not named: $small B, $medium B"
	share=$(awk -v s="$small" -v m="$medium" 'BEGIN { printf "%.2f", 100 * s / (s + m) }')
	echo "small_objects share $share%"
	awk -v a="$share" 'BEGIN { d = a - 54.0; exit !(d <= 7 && d >= -7) }' ||
		fail "small_objects has $share% of the growth, tracemalloc says 54.0%"
	assert_eq "lost events" "$(jqf .lost_events r.json)" 0
}

# Two threads growing at once in two functions, 2:1: each growth is its own
# thread's function (a stack never holds both)
test_python_threads_each_their_own_function() {
	require_bpf
	local name root python a b both
	while read -r name root python; do
		run_python "$root" "$python" threads.py "$MEMTRACE" $PY_SAMPLING --json r.json -- \
			> out.txt 2>&1 || fail "$name: memtrace failed: $(tail -n 3 out.txt)"
		a=$(python_bytes "grow_in_thread_a (threads.py:" r.json)
		b=$(python_bytes "grow_in_thread_b (threads.py:" r.json)
		both=$(jqf '[.growth_sites[] | select((.stack | map(startswith("grow_in_thread_a")) | any) and (.stack | map(startswith("grow_in_thread_b")) | any))] | length' r.json)
		echo "$name: thread a $a B, thread b $b B"
		assert_eq "$name: stacks holding both threads' functions" "$both" 0
		[ $((a + b)) -gt 0 ] || fail "$name: no growth in either thread's function"
		assert_within "$name: thread a's share" \
			"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", a / (a + b) }')" 0.6667 10
	done < <(interpreters)
}

# Growth inside a C extension (zlib) shows both the Python caller and the
# native code under it; pprof has the Python function's file and line
test_python_c_extension_frames() {
	require_bpf
	local name root python line
	line=$(grep -n 'keep.append(zlib.compress' "$ROOT/tests/workloads/python/cext.py" | cut -d: -f1)
	while read -r name root python; do
		run_python "$root" "$python" cext.py "$MEMTRACE" $PY_SAMPLING --folded f.txt --pprof p.pb.gz -- \
			> out.txt 2>&1 || fail "$name: memtrace failed: $(tail -n 3 out.txt)"
		grep -E "compress_all \(cext\.py:$line\);.*(deflate|libz\.so)" f.txt > /dev/null ||
			fail "$name: no stack with compress_all and zlib's frames under it: $(sort -t' ' -k2 -rn f.txt | head -n 3)"
		pprof_sums p.pb.gz alloc_space compress_all > pprof.out
		grep -Eq "^compress_all\.where=(.*,)?[^,]*cext\.py:$line(,|$)" pprof.out ||
			fail "$name: pprof's compress_all is not at cext.py:$line: $(cat pprof.out)"
	done < <(interpreters)
}
