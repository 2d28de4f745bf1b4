#!/bin/bash
# run.sh - memtrace's one test runner: the cmocka unit tests, then every
# test_* function of tests/integration/*.sh, each in its own bash under a
# timeout. Prints PASS/FAIL/SKIP per test, a failing test's output, and ends
# with "N passed, N failed, N skipped".
#
# usage: tests/run.sh [NAME_PATTERN...]   (substring filters on test names)
# MEMTRACE_REQUIRE_BPF=1 turns a skip for lack of root/BPF into a failure;
# MEMTRACE_TEST_FILES replaces the list of integration test files.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# the build's output directory (make test passes it: .output, or .output-sanitize)
MEMTRACE_OUTPUT=$(cd "$ROOT" && mkdir -p "${MEMTRACE_OUTPUT:-.output}" && cd "${MEMTRACE_OUTPUT:-.output}" && pwd)
export ROOT MEMTRACE_OUTPUT
TEST_TIMEOUT=${TEST_TIMEOUT:-180}
passed=0 failed=0 skipped=0
failures=()

FILTERS=("$@")
selected() { # name: is it chosen by the command line's filters?
	[ ${#FILTERS[@]} -eq 0 ] && return 0
	local pattern
	for pattern in "${FILTERS[@]}"; do
		[[ $1 == *"$pattern"* ]] && return 0
	done
	return 1
}

record() { # name status output-file [seconds]
	local took=${4:+"  ${4}s"}
	case $2 in
	0) passed=$((passed + 1)); printf 'PASS  %s%s\n' "$1" "$took" ;;
	77) skipped=$((skipped + 1)); printf 'SKIP  %s (%s)\n' "$1" "$(grep -m1 '^SKIP:' "$3" | cut -c7-)" ;;
	*)
		failed=$((failed + 1)); failures+=("$1")
		printf 'FAIL  %s (exit %s)%s\n' "$1" "$2" "$took"
		sed 's/^/    | /' "$3" | tail -n 40
		;;
	esac
}

# Unit tests: each cmocka binary reports its cases in TAP.
for bin in "$MEMTRACE_OUTPUT"/unit/test_*; do
	[ -x "$bin" ] || continue
	suite=$(basename "$bin")
	out=$(mktemp)
	CMOCKA_MESSAGE_OUTPUT=TAP timeout "$TEST_TIMEOUT" "$bin" > "$out" 2>&1
	status=$?
	while read -r line; do
		case $line in
		"ok "*) name=${line#ok * - }; selected "$suite/$name" || continue
			passed=$((passed + 1)); printf 'PASS  %s/%s\n' "$suite" "$name" ;;
		"not ok "*) name=${line#not ok * - }; selected "$suite/$name" || continue
			failed=$((failed + 1)); failures+=("$suite/$name")
			printf 'FAIL  %s/%s\n' "$suite" "$name"; sed 's/^/    | /' "$out" | grep -v '^    | ok ' | tail -n 20 ;;
		esac
	done < "$out"
	if [ "$status" -ne 0 ] && ! grep -q '^not ok ' "$out"; then
		record "$suite" "$status" "$out" # crashed or timed out outside a case
	fi
	rm -f "$out"
done

# Integration tests (the kernel matrix's guests add their own files).
for file in ${MEMTRACE_TEST_FILES:-"$ROOT"/tests/integration/*.sh}; do
	for fn in $(bash -c "source '$file'; declare -F" | awk '$3 ~ /^test_/ { print $3 }'); do
		name="$(basename "$file" .sh)/$fn"
		selected "$name" || continue
		tmp=$(mktemp -d)
		out=$tmp/.output
		start=$SECONDS
		# a sanitized build (make SANITIZE=1 test) reports into the test's directory
		TMP=$tmp ASAN_OPTIONS="log_path=$tmp/sanitizer" UBSAN_OPTIONS="log_path=$tmp/sanitizer:print_stacktrace=1" \
			timeout -k 5 "$TEST_TIMEOUT" bash -c \
			"set -eu; cd \"\$TMP\"; source '$ROOT/tests/lib.sh'; source '$file'; $fn" > "$out" 2>&1
		status=$?
		[ "$status" -eq 124 ] && echo "timed out after ${TEST_TIMEOUT}s" >> "$out"
		if compgen -G "$tmp/sanitizer.*" > /dev/null; then
			cat "$tmp"/sanitizer.* >> "$out"
			status=99
		fi
		record "$name" "$status" "$out" $((SECONDS - start))
		# stray processes a failed test left behind
		pkill -KILL -f "$tmp" 2>/dev/null
		rm -rf "$tmp"
	done
done

echo
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
