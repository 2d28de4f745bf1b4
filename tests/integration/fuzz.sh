# fuzz.sh - each libFuzzer target over the parsers of untrusted text, for a
# bounded time from the seed corpus in tests/fuzz/corpus (new inputs go to
# the test's temporary directory). A crash or a broken promise fails.

run_fuzzer() {
	local fuzzer=$OUT/fuzz/$1
	[ -x "$fuzzer" ] || fail "$fuzzer is not built (make test builds it)"
	mkdir -p corpus
	"$fuzzer" -max_total_time="${FUZZ_TEST_SECONDS:-10}" -timeout=5 corpus "$ROOT"/tests/fuzz/corpus/* \
		> fuzz.log 2>&1 || fail "$(tail -n 30 fuzz.log)"
	grep -E "^#[0-9]+.*DONE" fuzz.log | tail -n 1
}

test_fuzz_container_paths() {
	run_fuzzer fuzz_container
}

test_fuzz_procfs_and_option_parsers() {
	run_fuzzer fuzz_procfs
}

test_fuzz_python_line_tables() {
	run_fuzzer fuzz_pylinetable
}
