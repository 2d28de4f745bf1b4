# valgrind.sh - memcheck over memtrace's main modes: no memory error, no
# leak. tests/valgrind/bpf.supp silences valgrind's incomplete model of the
# bpf(2) attributes only.

memcheck() { # name memtrace-args...
	local name=$1 status
	shift
	command -v valgrind > /dev/null || fail "valgrind is not installed"
	set +e
	valgrind --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--suppressions="$ROOT/tests/valgrind/bpf.supp" "$OUT/memtrace" "$@" \
		> "$name.out" 2> "$name.vg"
	status=$?
	set -e
	[ "$status" -ne 99 ] || fail "$name: $(grep -v 'unhandled eBPF' "$name.vg" | tail -n 30)"
	grep -q "ERROR SUMMARY: 0 errors" "$name.vg" || fail "$name: $(tail -n 20 "$name.vg")"
	echo "ok: $name: $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$name.vg"), $(grep -oE 'All heap blocks were freed|definitely lost: [0-9,]* bytes' "$name.vg" | head -n 1)"
}

test_valgrind_main_modes() {
	require_bpf
	# valgrind cannot run an ASan build; make SANITIZE=1 test checks the same with ASan
	case $OUT in *-sanitize) skip "the build under test is the ASan one" ;; esac
	memcheck command -q --json c.json --timeline c.csv -- "$WL/forktree" 2 8
	jq -e .peak_rss_bytes c.json > /dev/null
	memcheck all -a -d 1 -i 0.3 --by container --json a.json
	memcheck audit audit -d 1 -i 0 --json audit.json
	memcheck top top -b -i 0.3 -n 2
	start_stepper
	memcheck pid -p "$STEPPER_PID" -d 1 -i 0.3 --json p.json
	step "exit 0"
}
